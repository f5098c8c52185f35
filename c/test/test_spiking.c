/*
 * test_spiking.c -- C tests of the spiking learner's parts and of the learner: the LIF neuron against its
 * closed-form solution, the STDP window, the eligibility trace's decay, a two-neuron reward-modulated STDP
 * check, Dale's law after every update, save/load continuation, no allocation per step.
 * Prints one line per failure and ends with "c: N passed, N failed".
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"
#include "nm_internal.h"
#include "spiking.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

/* Subthreshold: v(t) = b (1 - exp(-t / tau)) from rest; suprathreshold: the interspike interval is the
 * refractory period plus the time to climb from reset to threshold, tau ln(b / (b - 1)), to within one dt. */
static void test_lif_closed_form(void)
{
    nm_lif p;
    float v = 0.0f, refr = 0.0f, spike;
    const float tau = 20.0f, dt = 0.1f, b = 0.8f;
    double worst = 0.0, t_first = -1.0, t_second = -1.0, expect;
    int k;
    nm_lif_init(&p, tau, dt, 2.0f);
    for (k = 1; k <= 2000; k++) {
        double exact = b * (1.0 - exp(-k * (double)dt / tau)), err;
        nm_lif_leak(&p, 1, b, &v);
        nm_lif_fire(&p, 1, &v, &refr, &spike);
        err = fabs((double)v - exact);
        if (err > worst) worst = err;
        if (spike != 0.0f) break;
    }
    CHECK(k > 2000 && worst < 1e-5, "subthreshold LIF follows b (1 - exp(-t/tau)) (largest error %g)", worst);
    v = 0.0f; refr = 0.0f;
    for (k = 1; k <= 20000 && t_second < 0; k++) {
        nm_lif_leak(&p, 1, 1.5f, &v);
        nm_lif_fire(&p, 1, &v, &refr, &spike);
        if (spike != 0.0f) { if (t_first < 0) t_first = k * (double)dt; else t_second = k * (double)dt; }
    }
    expect = tau * log(1.5 / 0.5);
    CHECK(t_first >= expect && t_first < expect + dt + 1e-6, "first spike at %g ms, closed form %g ms", t_first, expect);
    /* after a spike: held for 2 ms (20 steps), then the climb from 0 again (its first step starts at reset) */
    CHECK(fabs((t_second - t_first) - (2.0 + expect)) <= dt + 1e-6, "interspike interval %g ms, closed form %g ms",
          t_second - t_first, 2.0 + expect);
}

/* One pairing of a pre and a post spike dt_ms apart (post - pre), on a 0.1 ms grid, into a fresh eligibility. */
static float pairing(float dt_ms, float tau_p, float tau_m, float ap, float am)
{
    float x = 0.0f, y = 0.0f, e = 0.0f, plastic = 1.0f, step = 0.1f;
    float dx = (float)exp(-0.1 / tau_p), dy = (float)exp(-0.1 / tau_m);
    int k, pre = 1000, post = 1000 + (int)lround(dt_ms / step);
    for (k = 0; k < 3000; k++) {
        nm_stdp_decay(1, dx, &x);
        nm_stdp_decay(1, dy, &y);
        if (k == pre) { nm_stdp_pre(1, 0, am, &y, &plastic, &e); x += 1.0f; }
        if (k == post) { nm_stdp_post(1, 1, 0, ap, &x, &plastic, &e); y += 1.0f; }
    }
    return e;
}

static void test_stdp_window(void)
{
    const float tp = 20.0f, tm = 30.0f, ap = 1.0f, am = 0.6f;
    double worst = 0.0;
    int d;
    for (d = -80; d <= 80; d += 5) {
        double expect = d > 0 ? ap * exp(-d / tp) : d < 0 ? -am * exp(d / tm) : ap;   /* same step: pre first */
        double err = fabs(pairing((float)d, tp, tm, ap, am) - expect);
        if (err > worst) worst = err;
    }
    CHECK(worst < 1e-4, "STDP window: a_plus exp(-dt/tau_plus) after, -a_minus exp(dt/tau_minus) before (error %g)",
          worst);
    CHECK(pairing(10.0f, tp, tm, ap, am) > pairing(30.0f, tp, tm, ap, am) &&
          pairing(-10.0f, tp, tm, ap, am) < pairing(-30.0f, tp, tm, ap, am) && pairing(-10.0f, tp, tm, ap, am) < 0.0f,
          "the window decays away from coincidence on both sides, depression before");
}

static nm_agent *spiking(uint64_t seed, float lr, unsigned mods, float bias)
{
    nm_agent_config c;
    nm_agent *a = NULL;
    char msg[256];
    nm_agent_config_default(&c);
    nm_agent_config_continual(&c, 0);   /* the spiking learner takes no continual rows */
    c.n_obs = 3; c.n_actions = 2; c.seed = seed; c.model = NM_MODEL_SPIKING;
    c.base[NM_P_LEARNING_RATE] = lr; c.modulators = mods; c.spike_bias = bias;
    if (nm_agent_new(&c, &a, msg, sizeof msg) != NM_OK) { printf("spiking: %s\n", msg); exit(1); }
    return a;
}

/* With the inputs silent and no drive, no cell fires, so a window adds no pairing and each act multiplies every
 * eligibility by exp(-sim_ms / elig_tau). */
static void test_eligibility_decay(void)
{
    nm_agent *a = spiking(3, 0.0f, NM_MOD_BIT(NM_DA), 0.0f);
    const float on[3] = { 1, 0, 1 }, off[3] = { 0, 0, 0 };
    const float *e = NULL;
    float first = 0.0f;
    double worst = 0.0, f = exp(-(double)a->cfg.sim_ms / a->cfg.elig_tau);
    size_t i, n = a->n_traced, big = 0;
    int act, k;
    for (k = 0; k < 5; k++) { nm_agent_act(a, on, 3, &act); nm_agent_learn(a, 0.0f, off, 3, 0); }
    nm_agent_act(a, off, 3, &act); nm_agent_learn(a, 0.0f, off, 3, 0);   /* one window to fall silent */
    e = a->block + a->off_trace;
    for (i = 0; i < n; i++) if (fabsf(e[i]) > fabsf(e[big])) big = i;
    first = e[big];
    for (k = 1; k <= 10; k++) {
        double err;
        nm_agent_act(a, off, 3, &act); nm_agent_learn(a, 0.0f, off, 3, 0);
        err = fabs(e[big] - first * pow(f, k)) / fabs(first);
        if (err > worst) worst = err;
    }
    CHECK(first != 0.0f && worst < 1e-5, "eligibility decays as exp(-t / elig_tau) (e0 %g, relative error %g)",
          (double)first, worst);
    nm_agent_free(a);
}

/* Two neurons, one plastic synapse: pre leads post by 5 ms in each of 20 pairings; a reward (positive DA)
 * strengthens the synapse, a punishment weakens it, and no update leaves it below 0 or above w_max. */
static void test_two_neuron_rstdp(void)
{
    const float tau = 20.0f, tau_e = 200.0f, w0 = 0.3f, w_max = 1.0f;
    float w_plus = w0, w_minus = w0, w_big = w0, e = 0.0f, x = 0.0f, y = 0.0f, plastic = 1.0f;
    float dx = (float)exp(-1.0 / tau), de = (float)exp(-1.0 / tau_e);
    int k;
    for (k = 0; k < 1000; k++) {
        nm_stdp_decay(1, dx, &x); nm_stdp_decay(1, dx, &y); nm_stdp_decay(1, de, &e);
        if (k % 50 == 0) { nm_stdp_pre(1, 0, 0.5f, &y, &plastic, &e); x += 1.0f; }
        if (k % 50 == 5) { nm_stdp_post(1, 1, 0, 1.0f, &x, &plastic, &e); y += 1.0f; }
    }
    nm_stdp_apply(1, 0.1f, &e, &plastic, w_max, &w_plus);
    nm_stdp_apply(1, -0.1f, &e, &plastic, w_max, &w_minus);
    CHECK(e > 0.0f && w_plus > w0 && w_minus < w0, "causal pairing: rewarded %g > %g > punished %g (e %g)",
          (double)w_plus, (double)w0, (double)w_minus, (double)e);
    nm_stdp_apply(1, -1e6f, &e, &plastic, w_max, &w_big);
    CHECK(w_big == 0.0f, "a large punishment stops at 0 (%g): the synapse stays excitatory", (double)w_big);
    w_big = w0;
    nm_stdp_apply(1, 1e6f, &e, &plastic, w_max, &w_big);
    CHECK(w_big == w_max, "a large reward stops at w_max (%g)", (double)w_big);
}

/* Every update keeps Dale's law: input weights in [0, w_max], each recurrent row one sign (its cell's type). */
static void test_dale(void)
{
    nm_agent *a = spiking(5, 5.0f, NM_MOD_ALL, 0.5f);
    float x[3];
    int t, act, ok = 1;
    size_t i, n_w = 2 * a->cfg.input_neurons * 3 * (3 * (a->cfg.group_e + a->cfg.group_i));
    for (t = 0; t < 3000 && ok; t++) {
        const float *w = nm_agent_params(a);
        x[0] = (float)(t % 3 == 0); x[1] = (float)(t % 5 == 1); x[2] = (float)(t % 2);
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, act == (t % 2) ? 1.0f : -1.0f, x, 3, t % 15 == 14);
        for (i = 0; i < n_w; i++) ok &= w[i] >= 0.0f && w[i] <= a->cfg.w_max;
    }
    CHECK(ok, "input weights stay in [0, w_max] through 3,000 updates at learning rate 5 (failed at step %d)", t);
    nm_agent_free(a);
}

/* A checkpoint taken between act and learn continues exactly: same actions and the same hash. */
static void test_continuation(void)
{
    nm_agent *a = spiking(7, 0.05f, NM_MOD_ALL, 0.5f), *b = NULL;
    float x[3] = { 0, 1, 0 };
    size_t n = 0;
    void *buf;
    char msg[256];
    int t, aa, ab = 0, same = 1;
    for (t = 0; t < 200; t++) {
        nm_agent_act(a, x, 3, &aa);
        nm_agent_learn(a, aa == 1 ? 1.0f : -0.5f, x, 3, t % 15 == 14);
        x[t % 3] = (float)((t / 3) % 2);
    }
    nm_agent_act(a, x, 3, &aa);
    n = nm_agent_checkpoint_size(a);
    buf = malloc(n);
    CHECK(nm_agent_save_buffer(a, buf, n) == NM_OK, "save");
    CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_OK, "load: %s", msg);
    if (!b) { free(buf); nm_agent_free(a); return; }
    CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(b), "the loaded agent has the saved hash");
    for (t = 0; t < 300 && same; t++) {
        nm_agent_learn(a, 0.3f, x, 3, t % 15 == 14);
        nm_agent_learn(b, 0.3f, x, 3, t % 15 == 14);
        x[t % 3] = (float)((t / 7) % 2);
        nm_agent_act(a, x, 3, &aa);
        nm_agent_act(b, x, 3, &ab);
        same = aa == ab && nm_agent_state_hash(a) == nm_agent_state_hash(b);
    }
    CHECK(same, "save/load between act and learn continues exactly (diverged at step %d)", t);
    {
        float g[4];
        CHECK(nm_agent_gradient(a, x, 3, 0, 1.0f, 0.0f, g) == NM_ERR_ARG &&
              strstr(nm_agent_error(a), "not available for the spiking model") && nm_agent_tensor_count(a) == 0,
              "gradient and tensors: not available (%s)", nm_agent_error(a));
    }
    free(buf);
    nm_agent_free(a);
    nm_agent_free(b);
}

static void test_no_allocation(void)
{
    nm_agent *a = spiking(9, 0.05f, NM_MOD_ALL, 0.5f);
    float x[3] = { 1, 0, 1 };
    struct mallinfo2 before, after;
    int t, act;
    for (t = 0; t < 50; t++) { nm_agent_act(a, x, 3, &act); nm_agent_learn(a, 0.5f, x, 3, t % 7 == 0); }
    before = mallinfo2();
    for (t = 0; t < 2000; t++) {
        x[t % 3] = (float)(t % 2);
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, act == 1 ? 1.0f : -1.0f, x, 3, t % 7 == 0);
    }
    after = mallinfo2();
    CHECK(before.uordblks == after.uordblks && before.arena == after.arena, "spiking act/learn allocate nothing");
    nm_agent_free(a);
}

/* actor_gate = policy: with two actions the gates are 1 - pi(a) and -(1 - pi(a)) where the choice gate gives +1 and
 * -1, so after one act from zero eligibility every actor eligibility is the choice agent's times one factor in
 * (0, 1), and the critic's are the same (the two agents draw the same spikes: the gate draws nothing). */
static void test_policy_gate(void)
{
    nm_agent_config c;
    nm_agent *ch = NULL, *po = NULL;
    char msg[256];
    const float obs[3] = { 1, 0, 1 };
    const float *ec, *ep;
    size_t i, k, N, n_in, nA;
    int a1, a2, ok = 1, any = 0;
    double ratio = 0.0;
    nm_agent_config_default(&c);
    nm_agent_config_continual(&c, 0);
    c.n_obs = 3; c.n_actions = 2; c.seed = 9; c.model = NM_MODEL_SPIKING; c.action_readout = 1;
    c.actor_gate = 0;
    if (nm_agent_new(&c, &ch, msg, sizeof msg) != NM_OK) { printf("spiking: %s\n", msg); exit(1); }
    c.actor_gate = 1;
    if (nm_agent_new(&c, &po, msg, sizeof msg) != NM_OK) { printf("spiking: %s\n", msg); exit(1); }
    nm_agent_act(ch, obs, 3, &a1);
    nm_agent_act(po, obs, 3, &a2);
    ec = ch->block + ch->off_trace; ep = po->block + po->off_trace;
    N = 3 * (size_t)(c.group_e + c.group_i); n_in = 2 * (size_t)c.input_neurons * 3; nA = 2 * (size_t)(c.group_e + c.group_i);
    for (i = 0; i < n_in; i++)
        for (k = 0; k < N; k++) {
            float x = ec[i * N + k], y = ep[i * N + k];
            if (k >= nA) { ok &= x == y; continue; }
            if (x == 0.0f) { ok &= y == 0.0f; continue; }
            if (!any) { ratio = (double)y / x; any = 1; }
            ok &= fabs((double)y / x - ratio) < 1e-4;
        }
    CHECK(a1 == a2 && any && ok && ratio > 0.0 && ratio < 1.0,
          "policy gate: actor eligibility = choice gate's x (1 - pi(a)) = %g, critic's unchanged", ratio);
    nm_agent_free(ch);
    nm_agent_free(po);
}

static void test_config(void)
{
    nm_agent_config c;
    nm_agent *a = NULL;
    char msg[256];
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.model = NM_MODEL_SPIKING;
    /* the default config's continual rows are refused by name, with the way to turn them off */
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "not available for the spiking model") &&
          strstr(msg, "nm_agent_config_continual(cfg, 0)"), "the continual rows refused: %s", msg);
    nm_agent_config_continual(&c, 0);
    c.dt = 30.0f;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "dt"), "dt > sim_ms refused: %s", msg);
    c.dt = 1.0f; c.base[NM_P_CONSOLIDATION] = 0.1f;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "consolidation"), "%s", msg);
    c.base[NM_P_CONSOLIDATION] = 0.0f;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_OK && a->learner == &nm_learner_spiking, "the spiking learner");
    nm_agent_free(a);
}

int main(void)
{
    test_lif_closed_form();
    test_stdp_window();
    test_eligibility_decay();
    test_two_neuron_rstdp();
    test_dale();
    test_continuation();
    test_no_allocation();
    test_policy_gate();
    test_config();
    printf("c: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
