/*
 * test_recurrent.c -- C tests of the recurrent trunk layer: the one-step gradient against finite differences,
 * the e-prop trace against the exact gradient through the whole history where it is exact (recurrent weights at
 * zero), episode boundaries, checkpoint continuation (between act and learn too), the RECU section, every
 * kernel set, and steps that allocate nothing. Ends with "c: N passed, N failed".
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"
#include "nm_internal.h"   /* the live trace, the hidden state, the kernel sets */

static int passed, failed;
/* the kind a negative layer width stands for: each test runs with the recurrent kind, then the integrator */
static nm_layer_kind rec_kind = NM_LAYER_RECURRENT;
static int is_rec(const nm_layer *L) { return L->kind == rec_kind; }
static const char *kind_name(void) { return rec_kind == NM_LAYER_RECURRENT ? "recurrent" : "integrator"; }
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d [%s]: ", __FILE__, __LINE__, \
    kind_name()); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

/* hidden layers from a spec: n > 0 a dense layer of n units, n < 0 a recurrent layer of -n units with tau */
static nm_agent *make_rec(size_t n_obs, size_t n_act, const int *layers, size_t n_layers, float tau, uint64_t seed,
                          nm_activation f, unsigned mods)
{
    nm_agent_config c;
    nm_agent *a = NULL;
    char msg[256];
    size_t l;
    nm_agent_config_default(&c);
    c.n_obs = n_obs; c.n_actions = n_act; c.seed = seed; c.activation = f; c.modulators = mods;
    c.n_layers = n_layers;
    for (l = 0; l < n_layers; l++) {
        c.hidden[l] = (size_t)(layers[l] > 0 ? layers[l] : -layers[l]);
        c.layer_kind[l] = layers[l] > 0 ? NM_LAYER_DENSE : rec_kind;
        c.layer_tau[l] = layers[l] > 0 ? 1.0f : tau;
    }
    if (nm_agent_new(&c, &a, msg, sizeof msg) != NM_OK) { printf("make_rec: %s\n", msg); exit(1); }
    return a;
}

static void obs_at(int t, float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = (float)sin(0.7 * t + 1.3 * (double)i) * (i == (size_t)t % n ? 1.5f : 0.5f);
}

static double objective(nm_agent *a, const float *x, size_t n, int act, float w1, float w2)
{
    float probs[8], v;
    nm_agent_evaluate(a, x, n, probs, &v);
    return w1 * log((double)probs[act]) + w2 * (double)v;
}

static double rel_err(double fd, double g) { return fabs(fd - g) / (1e-3 + fabs(fd) + fabs(g)); }

/* The one-step quantities the traces accumulate (nm_agent_gradient: the hidden state held fixed) against finite
 * differences of evaluate, which reads the same hidden state; after a few steps, so that the state is not 0. */
static void gradcheck_rec(nm_activation f, const int *layers, size_t n_layers, const char *what)
{
    nm_agent *a = make_rec(4, 3, layers, n_layers, 3.0f, 7, f, NM_MOD_ALL);
    float x[4], *g, *theta = nm_agent_params(a);
    size_t P = nm_agent_param_count(a), T = nm_agent_tensor_count(a), t, i;
    int act = 2, s, a0;
    for (s = 0; s < 5; s++) {
        obs_at(s, x, 4);
        nm_agent_act(a, x, 4, &a0);
        nm_agent_learn(a, 0.5f, x, 4, 0);
    }
    {
        size_t nz = 0;
        for (i = 0; i < a->n_rec; i++) nz += a->block[a->off_rstate + i] != 0.0f;
        CHECK(a->n_rec > 0 && nz > 0, "%s: the hidden state is not zero", what);
    }
    for (i = 0; i < P; i++) theta[i] *= 3.0f;
    g = malloc(P * sizeof *g);
    obs_at(9, x, 4);
    nm_agent_gradient(a, x, 4, act, 1.0f, 0.7f, g);
    for (t = 0; t < T; t++) {
        nm_tensor_info info = { NULL, 0, 0, 0 };
        size_t bad = 0, n;
        double worst = 0;
        nm_agent_tensor(a, t, &info);
        if (strncmp(info.name, "predictor", 9) == 0) continue;
        n = info.rows * info.cols;
        for (i = 0; i < n; i++) {
            size_t k = info.offset + i;
            float old = theta[k], h = 1e-2f;
            double fp, fm, err;
            theta[k] = old + h; fp = objective(a, x, 4, act, 1.0f, 0.7f);
            theta[k] = old - h; fm = objective(a, x, 4, act, 1.0f, 0.7f);
            theta[k] = old;
            err = rel_err((fp - fm) / (2.0 * h), g[k]);
            if (err > worst) worst = err;
            if (err > 1e-2) bad++;
        }
        CHECK(bad == 0, "%s %s one-step gradient (%s): %lu of %lu entries off, worst relative error %g", what,
              info.name, f == NM_TANH ? "tanh" : "relu", (unsigned long)bad, (unsigned long)n, worst);
    }
    free(g);
    nm_agent_free(a);
}

/* Runs the episode o_0 .. o_{T-1} from a cleared state and returns log pi(act | history) + c V(history). */
static double history_objective(nm_agent *a, int T, int act, float c)
{
    float x[3];
    int t, a0;
    nm_agent_reset_traces(a);
    for (t = 0; t < T - 1; t++) { obs_at(t, x, 3); nm_agent_act(a, x, 3, &a0); }
    obs_at(T - 1, x, 3);
    return objective(a, x, 3, act, 1.0f, c);
}

/* The e-prop trace against the exact gradient through the whole history. With trace decay 0 (modulators off,
 * so it stays 0) the live trace after the last act is that step's estimate of d[log pi + c V]/dtheta; with the
 * recurrent weights U at 0 every unit is its own leaky integrator and the estimate is exact. With U != 0 it
 * drops the paths through other units' past states: the same comparison must then see a difference, or it could
 * not tell. Returns the worst relative error over the recurrent layer and the heads. */
static double history_check(const int *layers, size_t n_layers, int zero_u, size_t *n_bad)
{
    nm_agent_config c;
    nm_agent *a;
    float x[3], *theta, *g;
    size_t P, i, l, r;
    int t, T = 7, act = 0;
    double worst = 0.0;
    char msg[256];
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 3; c.seed = 11; c.modulators = 0; c.base[NM_P_TRACE_DECAY] = 0.0f;
    c.n_layers = n_layers;
    for (l = 0; l < n_layers; l++) {
        c.hidden[l] = (size_t)(layers[l] > 0 ? layers[l] : -layers[l]);
        c.layer_kind[l] = layers[l] > 0 ? NM_LAYER_DENSE : rec_kind;
        c.layer_tau[l] = layers[l] > 0 ? 1.0f : 3.0f;
    }
    if (nm_agent_new(&c, &a, msg, sizeof msg) != NM_OK) { printf("history_check: %s\n", msg); exit(1); }
    theta = nm_agent_params(a);
    P = nm_agent_param_count(a);
    for (i = 0; i < P; i++) theta[i] *= 3.0f;
    for (l = 0; l < n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (!is_rec(L)) continue;
        /* [W U]' by input: U is the rows after the inputs' */
        if (zero_u) memset(theta + L->w + L->in * L->out, 0, L->out * L->out * sizeof *theta);
        for (r = 0; r < L->out; r++) theta[L->b + r] = 0.3f * (float)r - 0.5f;   /* the bias is checked too */
    }
    g = malloc(P * sizeof *g);
    for (t = 0; t < T; t++) { obs_at(t, x, 3); nm_agent_act(a, x, 3, &act); }
    nm_net_settle(a);   /* the last act's trace writes wait for a learn: make them */
    memcpy(g, a->block + a->off_trace, a->n_traced * sizeof *g);
    *n_bad = 0;
    for (l = 0; l < n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        size_t k, lo = L->w, hi = L->b + L->out;
        if (!is_rec(L)) continue;
        /* the recurrent layer's synapses, and every traced weight above it (layers above and the heads) */
        (void)hi;
        for (k = lo; k < a->n_traced; k++) {
            float old = theta[k], h = 1e-2f;
            double fp, fm, err;
            theta[k] = old + h; fp = history_objective(a, T, act, c.critic_scale);
            theta[k] = old - h; fm = history_objective(a, T, act, c.critic_scale);
            theta[k] = old;
            err = rel_err((fp - fm) / (2.0 * h), g[k]);
            if (err > worst) worst = err;
            if (err > 1e-2) (*n_bad)++;
        }
    }
    free(g);
    nm_agent_free(a);
    return worst;
}

static void test_exact_at_zero_u(void)
{
    static const int rec[] = { -6 }, rec_dense[] = { -5, 4 };
    size_t bad;
    double w = history_check(rec, 1, 1, &bad);
    CHECK(bad == 0, "U = 0: the e-prop trace is the exact gradient through the history (%lu entries off, worst "
          "relative error %g)", (unsigned long)bad, w);
    w = history_check(rec_dense, 2, 1, &bad);
    CHECK(bad == 0, "U = 0, a dense layer above: exact (%lu entries off, worst %g)", (unsigned long)bad, w);
    printf("e-prop trace vs the gradient through the history, U = 0: worst relative error %.2g\n", w);
    w = history_check(rec, 1, 0, &bad);
    printf("e-prop trace vs the gradient through the history, U != 0: worst relative error %.2g (%lu entries "
           "beyond 1e-2)\n", w, (unsigned long)bad);
    CHECK(bad > 0 && w > 0.05, "U != 0: the check sees the approximation (%lu entries off, worst relative error "
          "%g)", (unsigned long)bad, w);
}

/* the hidden state of every recurrent unit is zero */
static int state_zero(const nm_agent *a)
{
    size_t i;
    for (i = 0; i < 2 * a->n_rec; i++) if (a->block[a->off_rstate + i] != 0.0f) return 0;
    for (i = 0; i < a->n_elig; i++) if (a->block[a->off_elig + i] != 0.0f) return 0;
    return 1;
}

static void test_boundaries(void)
{
    static const int layers[] = { 6, -8 };
    nm_agent *a = make_rec(3, 2, layers, 2, 4.0f, 3, NM_TANH, NM_MOD_ALL);
    float x[3], p1[2], p2[2], v1, v2;
    int act, t;
    CHECK(state_zero(a), "a new agent's hidden state is zero");
    for (t = 0; t < 4; t++) { obs_at(t, x, 3); nm_agent_act(a, x, 3, &act); nm_agent_learn(a, 0.1f, x, 3, 0); }
    CHECK(!state_zero(a), "the state carries over steps");
    /* the state is read: the same observation gives another policy after other histories */
    nm_agent_evaluate(a, x, 3, p1, &v1);
    obs_at(0, x, 3); nm_agent_act(a, x, 3, &act); nm_agent_learn(a, 0.1f, x, 3, 0);
    obs_at(3, x, 3);
    nm_agent_evaluate(a, x, 3, p2, &v2);
    CHECK(v1 != v2, "the value depends on the history (%g vs %g)", (double)v1, (double)v2);
    nm_agent_act(a, x, 3, &act); nm_agent_learn(a, 0.1f, x, 3, 1);
    CHECK(state_zero(a), "a terminal learn clears the hidden state and the eligibility vectors");
    for (t = 0; t < 3; t++) { obs_at(t, x, 3); nm_agent_act(a, x, 3, &act); nm_agent_learn(a, 0.1f, x, 3, 0); }
    nm_agent_reset_traces(a);
    CHECK(state_zero(a), "reset (a truncated episode) clears them");
    nm_agent_free(a);
}

/* Save/load at every point of a step (between act and learn too) continues bit for bit. */
static void run(nm_agent *a, int t0, int t1, int *acts)
{
    float x[3];
    int t;
    for (t = t0; t < t1; t++) {
        obs_at(t, x, 3);
        nm_agent_act(a, x, 3, &acts[t]);
        obs_at(t + 1, x, 3);
        nm_agent_learn(a, acts[t] == (t / 3) % 2 ? 1.0f : -0.2f, x, 3, t % 11 == 10);
    }
}

static nm_agent *roundtrip(nm_agent *a)
{
    size_t n = nm_agent_checkpoint_size(a);
    unsigned char *buf = malloc(n);
    nm_agent *b = NULL;
    char msg[256];
    CHECK(nm_agent_save_buffer(a, buf, n) == NM_OK, "save: %s", nm_agent_error(a));
    CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_OK && b, "load: %s", msg);
    free(buf);
    nm_agent_free(a);
    return b;
}

static void test_checkpoint_rec(void)
{
    static const int layers[] = { 5, -7 };
    nm_agent *a = make_rec(3, 2, layers, 2, 5.0f, 4, NM_TANH, NM_MOD_ALL);
    nm_agent *b = make_rec(3, 2, layers, 2, 5.0f, 4, NM_TANH, NM_MOD_ALL);
    int acts_a[400], acts_b[400], t, same = 1, act;
    float x[3];
    size_t n, i;
    unsigned char *buf;
    char msg[256];
    run(a, 0, 150, acts_a);
    run(b, 0, 150, acts_b);
    b = roundtrip(b);
    CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(b), "the state hash survives save/load");
    /* between act and learn, mid-episode: the load redoes the pending forward pass from obs and h_{t-1} */
    obs_at(150, x, 3);
    nm_agent_act(a, x, 3, &act); nm_agent_act(b, x, 3, &act);
    b = roundtrip(b);
    CHECK(memcmp(a->block + a->off_cache, b->block + b->off_cache, a->cl.size * sizeof(float)) == 0,
          "the pending step's forward cache is redone bit for bit");
    obs_at(151, x, 3);
    nm_agent_learn(a, 0.3f, x, 3, 0); nm_agent_learn(b, 0.3f, x, 3, 0);
    run(a, 151, 400, acts_a);
    run(b, 151, 400, acts_b);
    for (t = 151; t < 400; t++) same &= acts_a[t] == acts_b[t];
    CHECK(same && nm_agent_state_hash(a) == nm_agent_state_hash(b), "a loaded agent continues exactly");

    /* the RECU section: required with a recurrent layer */
    n = nm_agent_checkpoint_size(b);
    buf = malloc(n);
    nm_agent_save_buffer(b, buf, n);
    for (i = 20; i + 4 <= n && memcmp(buf + i, "RECU", 4) != 0; i++) {}
    CHECK(i + 4 <= n, "a recurrent agent's checkpoint has a RECU section");
    if (i + 4 <= n) {
        nm_agent *c = NULL;
        memcpy(buf + i, "RECX", 4);
        CHECK(nm_agent_load_buffer(buf, n, &c, msg, sizeof msg) == NM_ERR_FORMAT && !c, "a damaged file is refused");
    }
    free(buf);
    nm_agent_free(a);
    nm_agent_free(b);
}

/* act writes the trace and the eligibility vectors in place when its bound is safe, and out of place (then swaps)
 * when not: after a checkpoint load the bounds are unknown, so an agent reloaded after every step always takes
 * the out-of-place path. Both must give the same bits, with stacked recurrent layers, relu, tau 1 (no leak), a
 * dense layer below and above, on a continuing task (no episode end clears the vectors). */
static void test_inplace_rec(void)
{
    static const int l1[] = { -6, -5 }, l2[] = { 4, -7, 3 }, l3[] = { -9 };
    static const struct { const int *layers; size_t n; float tau; nm_activation f; } cases[] = {
        { l1, 2, 5.0f, NM_TANH }, { l2, 3, 3.0f, NM_RELU }, { l3, 1, 1.0f, NM_TANH }
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nm_agent *a = make_rec(3, 3, cases[k].layers, cases[k].n, cases[k].tau, 20 + k, cases[k].f, NM_MOD_ALL);
        nm_agent *b = make_rec(3, 3, cases[k].layers, cases[k].n, cases[k].tau, 20 + k, cases[k].f, NM_MOD_ALL);
        int t, same = 1, aa, ab;
        float x[3];
        for (t = 0; t < 300 && same; t++) {
            obs_at(t, x, 3);
            nm_agent_act(a, x, 3, &aa);
            nm_agent_act(b, x, 3, &ab);
            obs_at(t + 1, x, 3);
            nm_agent_learn(a, aa == (t / 4) % 3 ? 1.0f : -0.3f, x, 3, 0);
            nm_agent_learn(b, ab == (t / 4) % 3 ? 1.0f : -0.3f, x, 3, 0);
            b = roundtrip(b);
            same = aa == ab && nm_agent_state_hash(a) == nm_agent_state_hash(b);
        }
        CHECK(same, "case %lu: in place and out of place give the same bits (diverged at step %d)",
              (unsigned long)k, t);
        {   /* and the usual step is the in-place one: the trace stays where it is */
            size_t at = a->off_trace, eat = a->off_elig;
            obs_at(t, x, 3);
            nm_agent_act(a, x, 3, &aa);
            CHECK(a->off_trace == at && a->off_elig == eat, "case %lu: the step wrote in place", (unsigned long)k);
        }
        nm_agent_free(a);
        nm_agent_free(b);
    }
}

/* With every modulator effect that reaches the layer on: NA's gain focus (per-unit gain), ACh's attentional set
 * (per-input attention), consolidation (anchors); a checkpoint (ANCH and RECU) continues exactly. */
static void test_compose(void)
{
    nm_agent_config c;
    nm_agent *a, *b;
    int acts_a[400], acts_b[400], t, same = 1;
    char msg[256];
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.seed = 12; c.n_layers = 2; c.hidden[0] = 6; c.hidden[1] = 9;
    c.layer_kind[1] = rec_kind; c.layer_tau[1] = 4.0f;
    c.base[NM_P_CONSOLIDATION] = 0.01f; c.gain_focus = 1.0f; c.attention_set = 30.0f; c.na_reset = 0.3f;
    if (nm_agent_new(&c, &a, msg, sizeof msg) != NM_OK || nm_agent_new(&c, &b, msg, sizeof msg) != NM_OK) {
        printf("test_compose: %s\n", msg);
        exit(1);
    }
    run(a, 0, 200, acts_a);
    run(b, 0, 200, acts_b);
    b = roundtrip(b);
    run(a, 200, 400, acts_a);
    run(b, 200, 400, acts_b);
    for (t = 200; t < 400; t++) same &= acts_a[t] == acts_b[t];
    CHECK(same && nm_agent_state_hash(a) == nm_agent_state_hash(b) && a->n_anchor > 0,
          "gain focus, attentional set and consolidation with a recurrent layer: a checkpoint continues exactly");
    nm_agent_free(a);
    nm_agent_free(b);
}

/* act leaves a recurrent layer's eligibility and trace writes to learn's update (nm_net_update), or to whatever
 * reads them first (nm_net_settle). Agent a takes that path; b settles after every act, as if act wrote them.
 * Between act and learn the schedule puts a hash, a checkpoint round trip, a second act, a gradient, a freeze, a
 * reset (no learn then) or an evaluation; the configs take the attentional set (a refused step keeps the trace),
 * importance (which reads it), clipping and consolidation. Every step's state must be b's, bit for bit. */
static void test_deferred(void)
{
    static const int l1[] = { -9 }, l2[] = { 4, -7 }, l3[] = { -6, 5 };
    static const struct { const int *layers; size_t n; nm_activation f; float set, cons, clip; nm_importance imp; }
    cases[] = {
        { l1, 1, NM_TANH, 0.0f, 0.0f, 0.0f, NM_IMPORTANCE_SLOW },
        { l2, 2, NM_RELU, 30.0f, 0.01f, 0.0f, NM_IMPORTANCE_SLOW },
        { l3, 2, NM_TANH, 0.0f, 0.0f, 0.02f, NM_IMPORTANCE_SLOW },
        { l1, 1, NM_TANH, 0.0f, 0.05f, 0.0f, NM_IMPORTANCE_SI },
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nm_agent_config c;
        nm_agent *ag[2];
        float x[3], *grad[2];
        int t, i, acts[2], same = 1, deferred = 0;
        char msg[256];
        size_t l;
        nm_agent_config_default(&c);
        c.n_obs = 3; c.n_actions = 3; c.seed = 40 + k; c.activation = cases[k].f; c.n_layers = cases[k].n;
        for (l = 0; l < cases[k].n; l++) {
            int w = cases[k].layers[l];
            c.hidden[l] = (size_t)(w > 0 ? w : -w);
            c.layer_kind[l] = w > 0 ? NM_LAYER_DENSE : rec_kind;
            c.layer_tau[l] = w > 0 ? 1.0f : 3.0f;
        }
        c.attention_set = cases[k].set; c.base[NM_P_CONSOLIDATION] = cases[k].cons; c.max_update = cases[k].clip;
        c.importance = cases[k].imp; c.na_reset = 0.3f;
        for (i = 0; i < 2; i++)
            if (nm_agent_new(&c, &ag[i], msg, sizeof msg) != NM_OK) { printf("test_deferred: %s\n", msg); exit(1); }
        for (i = 0; i < 2; i++) grad[i] = malloc(nm_agent_param_count(ag[i]) * sizeof(float));
        for (t = 0; t < 400 && same; t++) {
            int what = t % 10, learn = 1;
            for (i = 0; i < 2; i++) {
                obs_at(t, x, 3);
                nm_agent_act(ag[i], x, 3, &acts[i]);
                if (i == 0) deferred |= ag[0]->rec_defer != 0;
                else nm_net_settle(ag[1]);
                switch (what) {
                case 1: (void)nm_agent_state_hash(ag[i]); break;
                case 2: ag[i] = roundtrip(ag[i]); break;
                case 3:
                    obs_at(t + 5, x, 3);
                    nm_agent_act(ag[i], x, 3, &acts[i]);
                    if (i == 1) nm_net_settle(ag[1]);
                    break;
                case 4: nm_agent_gradient(ag[i], x, 3, 1, 1.0f, 0.5f, grad[i]); break;
                case 5: nm_agent_freeze(ag[i], 1); break;
                case 6: if (t % 20 == 6) { nm_agent_reset_traces(ag[i]); learn = 0; } break;
                case 7: nm_agent_evaluate(ag[i], x, 3, NULL, NULL); break;
                default: break;
                }
                obs_at(t + 1, x, 3);
                /* a reward of 40 now and then makes the clip act */
                if (learn) nm_agent_learn(ag[i], acts[i] == (t / 3) % 3 ? (t % 13 == 0 ? 40.0f : 1.0f) : -0.3f, x, 3,
                                          t % 7 == 6 ? NM_TERMINAL : 0);
                if (what == 5) nm_agent_freeze(ag[i], 0);
            }
            same = acts[0] == acts[1] && nm_agent_state_hash(ag[0]) == nm_agent_state_hash(ag[1]);
            if (what == 4 && same)
                for (l = 0; l < nm_agent_param_count(ag[0]); l++) same &= grad[0][l] == grad[1][l];
        }
        /* the integrator's trace pass is a dense layer's: act makes it, nothing is deferred */
        CHECK(same && deferred == (nm_layer_ops_find(rec_kind, NM_TANH)->trace_update != NULL),
              "case %lu: act's deferred trace writes give the bits of writing them at once (diverged at step %d; "
              "deferred %d)", (unsigned long)k, t, deferred);
        for (i = 0; i < 2; i++) { free(grad[i]); nm_agent_free(ag[i]); }
    }
}

static void test_kernel_sets_rec(void)
{
    static const int layers[] = { -33 }, layers2[] = { 6, -19, 5 };
    static const char *const sets[] = { "avx2", "avx512" };
    size_t s;
    for (s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        const nm_kernels *wide = nm_kernels_find(sets[s]);
        int c, acts_a[300], acts_b[300], same = 1, t;
        if (!wide) { printf("kernel set %s: not supported by this CPU, not tested\n", sets[s]); continue; }
        for (c = 0; c < 2; c++) {
            nm_agent *a = make_rec(3, 2, c ? layers2 : layers, c ? 3 : 1, 4.0f, 8, c ? NM_RELU : NM_TANH, NM_MOD_ALL);
            nm_agent *b = make_rec(3, 2, c ? layers2 : layers, c ? 3 : 1, 4.0f, 8, c ? NM_RELU : NM_TANH, NM_MOD_ALL);
            a->kern = nm_kernels_find("generic");
            b->kern = wide;
            run(a, 0, 300, acts_a);
            run(b, 0, 300, acts_b);
            for (t = 0; t < 300; t++) same &= acts_a[t] == acts_b[t];
            CHECK(same && nm_agent_state_hash(a) == nm_agent_state_hash(b), "kernel set %s = generic (case %d)",
                  sets[s], c);
            nm_agent_free(a);
            nm_agent_free(b);
        }
    }
}

static void test_no_allocation_rec(void)
{
    static const int layers[] = { 8, -32 };
    nm_agent *a = make_rec(5, 3, layers, 2, 5.0f, 2, NM_TANH, NM_MOD_ALL);
    float x[5] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f };
    struct mallinfo2 before, after;
    int t, act;
    for (t = 0; t < 100; t++) { nm_agent_act(a, x, 5, &act); nm_agent_learn(a, 0.5f, x, 5, t % 7 == 0); }
    before = mallinfo2();
    for (t = 0; t < 20000; t++) {
        x[t % 5] = (float)(t % 3);
        nm_agent_act(a, x, 5, &act);
        nm_agent_learn(a, act == 1 ? 1.0f : -1.0f, x, 5, t % 7 == 0);
        if (t % 500 == 499) nm_agent_reset_traces(a);
    }
    after = mallinfo2();
    CHECK(before.uordblks == after.uordblks && before.arena == after.arena && before.hblkhd == after.hblkhd,
          "recurrent act/learn allocate nothing (in-use bytes %lu -> %lu)", (unsigned long)before.uordblks,
          (unsigned long)after.uordblks);
    nm_agent_free(a);
}

/* The first recurrent layer's weights, trace (both buffers) and eligibility vectors (both) start cache lines, with
 * a dense layer below (its weights before them) or not, and on a second agent too (another allocation); a
 * feed-forward agent's block is the allocation itself, unpadded. */
static int on_line(const float *p) { return (uintptr_t)p % (NM_LINE_FLOATS * sizeof(float)) == 0; }

static void test_lines_rec(void)
{
    static const int l1[] = { -64 }, l2[] = { 5, -20 }, l3[] = { -37, 4 }, l4[] = { 3, 7 };
    static const struct { const int *layers; size_t n; } cases[] = { { l1, 1 }, { l2, 2 }, { l3, 2 }, { l1, 1 } };
    size_t k, l;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nm_agent *a = make_rec(3, 2, cases[k].layers, cases[k].n, 3.0f, 1 + k, NM_TANH, NM_MOD_ALL);
        const nm_layer *L = NULL;
        for (l = 0; l < cases[k].n && !L; l++) if (is_rec(&a->layer[l])) L = &a->layer[l];
        CHECK(L && a->align_at == L->w && on_line(a->block + L->w) && on_line(a->block + a->off_trace + L->w) &&
              on_line(a->block + a->off_trace2 + L->w) && on_line(a->block + a->off_elig + L->elig) &&
              on_line(a->block + a->off_elig2 + L->elig) && a->block + a->block_len <= a->block_mem +
              a->block_len + NM_LINE_FLOATS - 1,
              "case %lu: the recurrent layer's weights, trace and eligibility vectors start cache lines",
              (unsigned long)k);
        nm_agent_free(a);
    }
    {
        nm_agent *a = make_rec(3, 2, l4, 2, 1.0f, 1, NM_TANH, NM_MOD_ALL);
        CHECK(a->n_rec == 0 && a->block == a->block_mem && a->off_trace == a->off_params + a->n_params,
              "a feed-forward agent's block is not padded");
        nm_agent_free(a);
    }
}

static void test_config_rec(void)
{
    nm_agent_config c;
    char msg[256];
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2;
    c.layer_tau[0] = 4.0f;
    CHECK(nm_agent_config_check(&c, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "hidden[1].tau"),
          "a dense layer with a time constant is refused: %s", msg);
    c.layer_kind[0] = NM_LAYER_RECURRENT;
    CHECK(nm_agent_config_check(&c, msg, sizeof msg) == NM_OK, "a recurrent layer takes it: %s", msg);
    c.layer_tau[0] = 0.5f;
    CHECK(nm_agent_config_check(&c, msg, sizeof msg) == NM_ERR_ARG, "tau < 1 is refused: %s", msg);
    CHECK(nm_layer_ops_find(NM_LAYER_RECURRENT, NM_TANH) == &nm_layer_recurrent_tanh &&
          nm_layer_ops_find(NM_LAYER_RECURRENT, NM_RELU) == &nm_layer_recurrent_relu, "the recurrent kind is found");
    c.layer_kind[0] = NM_LAYER_INTEGRATOR;
    c.layer_tau[0] = 4.0f;
    CHECK(nm_agent_config_check(&c, msg, sizeof msg) == NM_OK, "an integrator layer takes a time constant: %s", msg);
    CHECK(nm_layer_ops_find(NM_LAYER_INTEGRATOR, NM_TANH) == &nm_layer_integrator_tanh &&
          nm_layer_ops_find(NM_LAYER_INTEGRATOR, NM_RELU) == &nm_layer_integrator_relu, "the integrator kind is found");
}

/* Without a leak (tau 1) the two kinds are one network, an Elman layer: the same forward pass, bit for bit, and
 * the same one-step gradient up to rounding (the recurrent kind rounds dh (D z), the integrator (dh D) z). The
 * integrator's state is h and v, twice the recurrent kind's, and its eligibility one float per input column. */
static void test_kinds_agree_at_tau_1(void)
{
    static const int layers[] = { 5, -7 };
    nm_agent *ag[2];
    float x[3], probs[2][3], v[2], *g[2];
    size_t P, i, bad = 0;
    int k, t, act;
    for (k = 0; k < 2; k++) {
        rec_kind = k ? NM_LAYER_INTEGRATOR : NM_LAYER_RECURRENT;
        ag[k] = make_rec(3, 3, layers, 2, 1.0f, 31, NM_TANH, NM_MOD_ALL);
        for (t = 0; t < 6; t++) { obs_at(t, x, 3); nm_agent_act(ag[k], x, 3, &act); nm_agent_learn(ag[k], 0.2f, x, 3, 0); }
    }
    CHECK(ag[1]->n_rec == 2 * ag[0]->n_rec && ag[1]->n_elig == 5 + 7 + 1 && ag[0]->n_elig == 13 * 7,
          "the integrator keeps h and v, and one eligibility float per input column (n_rec %lu, n_elig %lu)",
          (unsigned long)ag[1]->n_rec, (unsigned long)ag[1]->n_elig);
    /* the same weights and state (h; the integrator's v is its pre-gain sum, which is h's argument at tau 1) */
    memcpy(nm_agent_params(ag[1]), nm_agent_params(ag[0]), nm_agent_param_count(ag[0]) * sizeof(float));
    memcpy(ag[1]->block + ag[1]->off_rstate + ag[1]->layer[1].state,
           ag[0]->block + ag[0]->off_rstate + ag[0]->layer[1].state, 7 * sizeof(float));
    obs_at(7, x, 3);
    for (k = 0; k < 2; k++) nm_agent_evaluate(ag[k], x, 3, probs[k], &v[k]);
    CHECK(memcmp(probs[0], probs[1], sizeof probs[0]) == 0 && v[0] == v[1],
          "tau 1: the kinds' forward passes give the same bits (V %.9g vs %.9g)", (double)v[0], (double)v[1]);
    P = nm_agent_param_count(ag[0]);
    for (k = 0; k < 2; k++) { g[k] = malloc(P * sizeof(float)); nm_agent_gradient(ag[k], x, 3, 1, 1.0f, 0.5f, g[k]); }
    for (i = 0; i < P; i++) bad += rel_err(g[0][i], g[1][i]) > 1e-5;
    CHECK(bad == 0, "tau 1: the kinds' one-step gradients agree (%lu of %lu entries differ)", (unsigned long)bad,
          (unsigned long)P);
    for (k = 0; k < 2; k++) { free(g[k]); nm_agent_free(ag[k]); }
    rec_kind = NM_LAYER_RECURRENT;
}

int main(void)
{
    static const int r1[] = { -6 }, r2[] = { 5, -6 }, r3[] = { -6, 4 };
    int k;
    test_config_rec();
    test_kinds_agree_at_tau_1();
    for (k = 0; k < 2; k++) {
        rec_kind = k ? NM_LAYER_INTEGRATOR : NM_LAYER_RECURRENT;
        printf("-- %s layers\n", kind_name());
        gradcheck_rec(NM_TANH, r1, 1, "recurrent");
        gradcheck_rec(NM_TANH, r2, 2, "dense + recurrent");
        gradcheck_rec(NM_TANH, r3, 2, "recurrent + dense");
        gradcheck_rec(NM_RELU, r2, 2, "dense + recurrent (relu)");
        test_exact_at_zero_u();
        test_boundaries();
        test_checkpoint_rec();
        test_inplace_rec();
        test_compose();
        test_deferred();
        test_kernel_sets_rec();
        test_no_allocation_rec();
        test_lines_rec();
    }
    printf("c: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
