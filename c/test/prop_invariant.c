/*
 * prop_invariant.c -- a property test of the agent's invariant: after any call, whatever its arguments, the
 * weights, traces, gain, attention and modulator state are finite, a refused step changes nothing (the state
 * hash is the same), every checkpoint saved loads again to the same state, and a checkpoint round trip is
 * invisible: a twin of the agent, given the same calls but never saved and loaded, stays the same agent (state hash,
 * statuses and actions after every call), which holds only if a file keeps everything a later step reads. The twin
 * runs the generic kernel set, so the same check holds every kernel set to the same bits on random configs.
 *
 * Random configs within the ranges the config table accepts (drawn field by field through the by-name API, so a
 * new field is covered without a change here), random observations and rewards up to +-FLT_MAX including
 * subnormals, random call orders: act, learn (terminal or not), reset, announced contexts, freeze and thaw (often
 * between an act and its learn), save/load round trips through buffers, free and new.
 *   prop_invariant [calls] [seed]      (default 200000 calls; `make prop` runs more)
 */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"

static uint64_t rs;
static uint64_t rnd(void)
{
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return rs;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static size_t below(size_t n) { return (size_t)(rnd() % n); }

/* A float from every region: ordinary values, 0, subnormals, the extremes and anything in between. */
static float any_float(void)
{
    float v;
    switch (below(8)) {
    case 0: v = (float)(2.0 * unif() - 1.0); break;
    case 1: v = (float)(20.0 * unif() - 10.0); break;
    case 2: v = 0.0f; break;
    case 3: v = (float)(unif() * FLT_MIN); break;                       /* subnormal */
    case 4: v = FLT_MAX; break;
    case 5: v = (float)ldexp(unif(), (int)below(256) - 126); break;     /* any exponent */
    case 6: v = (float)(1e3 * (2.0 * unif() - 1.0)); break;
    default: v = (float)ldexp(1.0, (int)below(20) + 100); break;        /* 1e30 .. */
    }
    return (rnd() & 1) ? -v : v;
}
/* mostly ordinary inputs, so that agents learn for a while between the extreme ones */
static float input(void) { return below(10) ? (float)(2.0 * unif() - 1.0) : any_float(); }

/* One element within [lo, hi]: an end, a value near the low end, or log- or linearly spread. */
static double draw_real(double lo, double hi)
{
    switch (below(5)) {
    case 0: return lo;
    case 1: return hi;
    case 2: return lo + (hi - lo) * unif() * 1e-6;
    case 3:
        if (lo > 0) return exp(log(lo) + (log(hi) - log(lo)) * unif());
        return lo + (hi - lo) * unif();
    default: {
        double m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi), x = ldexp(unif(), (int)below(40) - 20);
        x = (rnd() & 1) ? -x : x;
        if (m < 1) x *= m;
        return x < lo ? lo : (x > hi ? hi : x);
    }
    }
}

static void random_config(nm_agent_config *c)
{
    size_t f, i, nf = nm_config_field_count();
    nm_agent_config_default(c);
    /* the agent without continual learning, and one in four the default agent (whose state, hashed every call, is
     * some hundred times larger: its contexts' outcome tables) */
    if (below(4)) nm_agent_config_continual(c, 0);
    c->n_obs = 1 + below(5);
    c->n_actions = 2 + below(3);
    for (f = 0; f < nf; f++) {
        const nm_config_field *fd = nm_config_field_at(f);
        size_t n = fd->rows * fd->cols;
        if (fd->flags & NM_F_STRUCTURAL) continue;    /* the shape is drawn below */
        for (i = 0; i < n; i++) {
            double lo, hi, v;
            if (below(3)) continue;                   /* keep most defaults, so that agents also learn */
            if (nm_config_range(fd->name, i, &lo, &hi, NULL) != NM_OK) continue;
            switch (fd->kind) {
            case NM_FIELD_COUNT: continue;            /* sizes: n_obs and n_actions are small on purpose */
            case NM_FIELD_U64: nm_config_set_u64(c, fd->name, i, rnd(), NULL, 0); continue;
            case NM_FIELD_ENUM: v = (double)below((size_t)hi + 1); break;
            case NM_FIELD_MASK: v = (double)(rnd() & (uint64_t)hi); break;
            default:
                v = ((fd->flags & NM_F_ZERO_OFF) && below(2)) ? 0.0 : draw_real(lo, hi);
                if (v >= hi && hi > lo) v = nextafter(hi, lo);   /* an open upper end (discount < 1) */
            }
            nm_config_set(c, fd->name, i, v, NULL, 0);
        }
    }
    c->n_layers = below(3);
    for (i = 0; i < c->n_layers; i++) c->hidden[i] = 1 + below(8);
    /* the spiking learner takes no continual rows: most spiking draws without them, so that they build; the
     * rest keep whatever was drawn and test the refusal */
    if (c->model == NM_MODEL_SPIKING && below(4)) nm_agent_config_continual(c, 0);
    /* a spiking step simulates sim_ms / dt substeps (up to 20,000): at most 100 here, so that the test's time goes
     * to many calls rather than to a few long simulations (the ranges' ends are exercised by test_spiking) */
    if (c->model == NM_MODEL_SPIKING && c->sim_ms / c->dt > 100.0f) c->dt = c->sim_ms / 100.0f;
}

/* The options of an agent that broke the invariant that differ from the defaults, to reproduce it by hand. */
static void print_config(const nm_agent_config *c)
{
    nm_agent_config d;
    size_t f, i, nf = nm_config_field_count();
    nm_agent_config_default(&d);
    fprintf(stderr, "prop_invariant: the agent's config, where it differs from the defaults:");
    for (f = 0; f < nf; f++) {
        const nm_config_field *fd = nm_config_field_at(f);
        for (i = 0; i < fd->rows * fd->cols; i++) {
            double v, dv;
            if (nm_config_get(c, fd->name, i, &v) != NM_OK || nm_config_get(&d, fd->name, i, &dv) != NM_OK) continue;
            if (v != dv) fprintf(stderr, " %s[%lu]=%.9g", fd->name, (unsigned long)i, v);
        }
    }
    fputc('\n', stderr);
}

/* The twin runs the generic kernel set (the agent the widest this CPU runs, or NEUROMOD_KERNELS's): every set
 * computes the same bits, so the twin also checks that on random configs */
static nm_agent *generic_twin(const nm_agent_config *cfg)
{
    const char *set = getenv("NEUROMOD_KERNELS");
    char *kept = set ? strdup(set) : NULL;
    nm_agent *t = NULL;
    setenv("NEUROMOD_KERNELS", "generic", 1);
    nm_agent_new(cfg, &t, NULL, 0);
    if (kept) setenv("NEUROMOD_KERNELS", kept, 1);
    else unsetenv("NEUROMOD_KERNELS");
    free(kept);
    return t;
}

static long failures;
#define FAIL(...) do { fprintf(stderr, "prop_invariant: " __VA_ARGS__); fputc('\n', stderr); failures++; } while (0)

static int all_finite(const float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

/* The invariant, through the public API. */
static int check(nm_agent *a, const char *after, long call)
{
    const nm_agent_config *c = nm_agent_get_config(a);
    nm_modulator_state m;
    float buf[64];
    memset(&m, 0, sizeof m);
    size_t l, n = nm_agent_checkpoint_size(a);
    unsigned char *ck = malloc(n);
    nm_agent *b = NULL;
    char msg[256];
    int ok = 1;
    if (!all_finite(nm_agent_params(a), nm_agent_param_count(a))) { FAIL("call %ld (%s): a weight is not finite", call, after); ok = 0; }
    nm_agent_get_modulators(a, &m);
    if (!all_finite(m.level, 4) || !all_finite(m.phasic, 4) || !all_finite(m.tonic, 4) || !all_finite(m.params, 8) ||
        !isfinite(m.surprise) || !isfinite(m.expected) || !isfinite(m.unexpected) || !isfinite(m.changepoint) ||
        !isfinite(m.outlier_rate) || !isfinite(m.reward_short) || !isfinite(m.reward_variance) || !isfinite(m.utility_drop)) {
        FAIL("call %ld (%s): the modulator state is not finite", call, after); ok = 0;
    }
    if (nm_agent_attention(a, buf, c->n_obs) != NM_OK || !all_finite(buf, c->n_obs)) { FAIL("call %ld (%s): attention", call, after); ok = 0; }
    for (l = 0; l < c->n_layers && c->model != NM_MODEL_SPIKING; l++)   /* the spiking model has no trunk */
        if (nm_agent_gain(a, l, buf, c->hidden[l]) != NM_OK || !all_finite(buf, c->hidden[l])) { FAIL("call %ld (%s): gain", call, after); ok = 0; }
    /* the traces: the loader refuses a non-finite one */
    if (!ck || nm_agent_save_buffer(a, ck, n) != NM_OK) { FAIL("call %ld (%s): save failed: %s", call, after, nm_agent_error(a)); ok = 0; }
    else if (nm_agent_load_buffer(ck, n, &b, msg, sizeof msg) != NM_OK) { FAIL("call %ld (%s): the checkpoint does not load: %s", call, after, msg); ok = 0; }
    else if (nm_agent_state_hash(a) != nm_agent_state_hash(b)) { FAIL("call %ld (%s): the loaded state differs", call, after); ok = 0; }
    nm_agent_free(b);
    free(ck);
    return ok;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 200000, call, refused = 0, agents = 0;
    nm_agent *a = NULL, *twin = NULL;   /* twin: the same agent, given the same calls but never saved and loaded */
    nm_agent_config cfg;
    float obs[8], next[8];
    char msg[256];
    int pending = 0, reported = 0;
    rs = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9E3779B97F4A7C15ull;
    if (!rs) rs = 1;
    for (call = 0; call < calls && failures < 10; call++) {
        size_t i, n;
        int op, act;
        uint64_t h0;
        nm_status st, st_twin;
        const char *what;
        if (!a || below(2000) == 0) {
            nm_agent_free(a);
            nm_agent_free(twin);
            a = twin = NULL;
            do random_config(&cfg); while (nm_agent_new(&cfg, &a, msg, sizeof msg) != NM_OK);
            twin = generic_twin(&cfg);
            agents++;
            reported = 0;
            pending = 0;
        }
        n = cfg.n_obs;
        for (i = 0; i < n; i++) { obs[i] = input(); next[i] = input(); }
        h0 = nm_agent_state_hash(a);
        op = (int)below(100);
        st = NM_OK;
        st_twin = NM_OK;
        if (op < 45 || !pending) {
            int act_twin = -1;
            what = "act";
            st = nm_agent_act(a, obs, n, &act);
            st_twin = nm_agent_act(twin, obs, n, &act_twin);
            if (st == NM_OK) pending = 1;
            if (st == NM_OK && st_twin == NM_OK && act != act_twin) FAIL("call %ld: act: the twin acts otherwise", call);
        } else if (op < 80) {
            /* 0, NM_TERMINAL, NM_TRUNCATED or both (a truncated step needs next_obs: NULL is refused) */
            int terminal = below(8) == 0, flags = (terminal ? NM_TERMINAL : 0) | (below(8) == 0 ? NM_TRUNCATED : 0),
                none = terminal && below(2);
            float r = below(4) ? (float)(2.0 * unif() - 1.0) : any_float();
            what = "learn";
            st = nm_agent_learn(a, r, none ? NULL : next, none ? 0 : n, flags);
            st_twin = nm_agent_learn(twin, r, none ? NULL : next, none ? 0 : n, flags);
            if (st == NM_ERR_ARG) {
                st = nm_agent_learn(a, 0.0f, next, n, flags);
                st_twin = nm_agent_learn(twin, 0.0f, next, n, flags);
            }
            if (st == NM_OK) pending = 0;
        } else if (op < 84) {
            what = "reset";
            nm_agent_reset_traces(a);
            nm_agent_reset_traces(twin);
            pending = 0;
        } else if (op < 92) {
            /* a context announced, or a freeze or thaw, now and then between an act and its learn */
            int id = (int)below(4), freeze = below(3) == 0, on = (int)below(2);
            what = freeze ? "freeze" : "context";
            st = freeze ? nm_agent_freeze(a, on) : nm_agent_set_context(a, id);
            st_twin = freeze ? nm_agent_freeze(twin, on) : nm_agent_set_context(twin, id);
            if (freeze) pending = 0;   /* freezing clears the traces and the pending step */
            if (st == NM_ERR_ARG) st = st_twin = NM_OK;   /* the spiking model has no contexts: refused, and so the twin */
        } else {
            size_t len = nm_agent_checkpoint_size(a);
            unsigned char *ck = malloc(len);
            nm_agent *b = NULL;
            what = "save/load";
            if (!ck || nm_agent_save_buffer(a, ck, len) != NM_OK || nm_agent_load_buffer(ck, len, &b, msg, sizeof msg) != NM_OK) {
                FAIL("call %ld: save/load round trip failed: %s", call, msg);
            } else {
                if (nm_agent_state_hash(b) != h0) FAIL("call %ld: a loaded agent differs", call);
                nm_agent_free(a);
                a = b;
            }
            free(ck);
        }
        if (st != NM_OK) {
            refused++;
            if (st != NM_ERR_NUMERIC && st != NM_ERR_ARG) FAIL("call %ld: %s returned %s: %s", call, what, nm_strerror(st), nm_agent_error(a));
            if (nm_agent_state_hash(a) != h0) FAIL("call %ld: a refused %s changed the agent (%s)", call, what, nm_agent_error(a));
            if (st == NM_ERR_NUMERIC && !nm_agent_error(a)[0]) FAIL("call %ld: %s refused without a message", call, what);
        }
        /* a checkpoint round trip is invisible: the twin, never saved, is the same agent after every call */
        if (st != st_twin || nm_agent_state_hash(a) != nm_agent_state_hash(twin)) {
            FAIL("call %ld (%s): the agent and its twin (never saved and loaded, on the generic kernel set) differ "
                 "(status %d, twin %d)", call, what, (int)st, (int)st_twin);
            nm_agent_free(twin);   /* one report per divergence: the twin starts over from the agent */
            twin = NULL;
            {
                size_t len = nm_agent_checkpoint_size(a);
                unsigned char *ck = malloc(len);
                if (ck && nm_agent_save_buffer(a, ck, len) == NM_OK) nm_agent_load_buffer(ck, len, &twin, NULL, 0);
                free(ck);
            }
            if (!twin) { nm_agent_free(a); a = NULL; continue; }
        }
        if (!check(a, what, call) && !reported) { print_config(nm_agent_get_config(a)); reported = 1; }
    }
    nm_agent_free(a);
    nm_agent_free(twin);
    printf("prop_invariant: %ld calls, %ld agents, %ld refused steps, %ld violations\n", call, agents, refused, failures);
    printf("c: %d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
