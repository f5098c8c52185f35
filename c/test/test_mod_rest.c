/* test_mod_rest.c -- the modulator step's shortcuts (c/modulators.c) give the bits of the full computation:
 * the meta-parameters at zero levels are the rest values computed once from the config (nm_mod_consts), for
 * every sign of the zeros and any mapping; and after steps of agents with no, some and every modulator on, the
 * state's levels and meta-parameters are those that compute_levels' sums and nm_mod_compute_params give. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nm_internal.h"
#include "nm_math.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

static uint32_t rnd(uint32_t *s) { *s ^= *s << 13; *s ^= *s >> 17; *s ^= *s << 5; return *s; }
static float uniform(uint32_t *s, float lo, float hi) { return lo + (hi - lo) * (float)(rnd(s) >> 8) / 16777216.0f; }

static void test_rest_params(void)
{
    uint32_t s = 12345u;
    int cfgs, signs, p, k, bad = 0;
    for (cfgs = 0; cfgs < 500; cfgs++) {
        nm_agent_config c;
        nm_mod_consts mc;
        nm_agent_config_default(&c);
        for (p = 0; p < NM_N_PARAMS; p++) {
            for (k = 0; k < NM_N_MODULATORS; k++) {
                uint32_t r = rnd(&s) % 4;
                c.mapping[p][k] = r == 0 ? 0.0f : (r == 1 ? -0.0f : uniform(&s, -100.0f, 100.0f));
            }
            c.base[p] = rnd(&s) % 5 == 0 ? 0.0f : uniform(&s, -2.0f, 2.0f);
        }
        nm_mod_consts_init(&c, &mc);
        for (signs = 0; signs < 16; signs++) {
            float level[NM_N_MODULATORS], params[NM_N_PARAMS];
            for (k = 0; k < NM_N_MODULATORS; k++) level[k] = (signs >> k) & 1 ? -0.0f : 0.0f;
            nm_mod_compute_params(&c, level, params);
            bad += memcmp(params, mc.rest_params, sizeof params) != 0;
        }
    }
    CHECK(bad == 0, "rest meta-parameters differ from nm_mod_compute_params at zero levels in %d cases", bad);
}

/* an agent's levels and meta-parameters after steps, against the full computation from its raw values */
static void test_step_state(unsigned mods, float withhold)
{
    nm_agent_config c;
    nm_agent *a;
    float x[3] = { 0.5f, -0.25f, 1.0f }, params[NM_N_PARAMS];
    int t, act, k, j;
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.hidden[0] = 8; c.modulators = mods; c.seed = 3;
    c.base[NM_P_WITHHOLD_BIAS] = withhold;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) { CHECK(0, "agent with modulators %u", mods); return; }
    for (t = 0; t < 400; t++) {
        x[t % 3] = (float)(t % 5) * 0.5f - 1.0f;
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, act == (t & 1) ? 1.0f : -1.0f, x, 3, t % 7 == 6);
        if (t % 50 != 49) continue;
        nm_mod_compute_params(&a->cfg, a->mod.level, params);
        CHECK(memcmp(params, a->mod.params, sizeof params) == 0, "modulators %u, step %d: meta-parameters", mods, t);
        for (k = 0; k < NM_N_MODULATORS; k++) {
            float base[NM_N_MODULATORS], raw, xs = 0.0f, factor;
            for (j = 0; j < NM_N_MODULATORS; j++) {
                raw = j == NM_NA ? a->mod.phasic[NM_NA] + a->mod.tonic[NM_NA] + a->mod.utility_drop : a->mod.tonic[j];
                base[j] = (mods & NM_MOD_BIT(j)) ? nm_tanh(raw / a->cfg.scale[j]) : 0.0f;
            }
            for (j = 0; j < NM_N_MODULATORS; j++) if (j != k) xs += a->cfg.interaction[k][j] * base[j];
            factor = xs == 0.0f ? 1.0f : nm_expf(xs);
            CHECK(memcmp(&factor, &a->mod.factor[k], sizeof factor) == 0 &&
                  memcmp(&(float){ base[k] * factor }, &a->mod.level[k], sizeof factor) == 0,
                  "modulators %u, step %d: level and factor of modulator %d", mods, t, k);
        }
    }
    nm_agent_free(a);
}

int main(void)
{
    test_rest_params();
    test_step_state(0u, 0.0f);
    test_step_state(0u, -0.0f);
    test_step_state(NM_MOD_BIT(NM_DA), 0.5f);
    test_step_state(NM_MOD_BIT(NM_NA) | NM_MOD_BIT(NM_5HT), 0.0f);
    test_step_state(NM_MOD_ALL, 0.0f);
    printf("c: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
