/*
 * population_simd.c -- the interleaved population step: w agents side by side (w the kernel set's register
 * width in floats: 4, 8 or 16; at most NM_LANES), each lane running one
 * agent through exactly the operations, in exactly the order, of learner_rate.c's act and learn with
 * network.c's forward and backward for one dense tanh layer, so that member k stays bit for bit the lone agent.
 *
 * The vector work (the trunk, the heads, the backward pass into the traces, the update, the predictor's rows)
 * runs in the lane kernels (population_lanes.h, one copy per instruction set); the per-agent scalar work
 * (softmax, sampling, the trace bound and clipping decisions, the predictor's arithmetic, the modulator step
 * and its commit) runs per lane on the member's own nm_agent, through the library's own functions where they
 * exist. Every check the lone agent makes is made per lane before anything is written; when one fails (or a
 * rare case arises: an unknown trace bound, a weight that may overflow) the whole group goes back to the
 * members (scatter), steps member by member through nm_agent_act/learn, and comes back (gather): the lone
 * agent's own code then decides and words the outcome.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "population_simd.h"
#include "nm_math.h"

typedef struct nm_lane_kernels {
    const char *name;
    size_t lanes;
    size_t max_hidden;   /* the widest layer it is used for (wider: the lone agent's own vectors do as well) */
    void (*rows_dot)(size_t rows, size_t cols, const float *A, const float *x, const float *b, float *y);
    void (*gain_tanh)(size_t n, const float *g, float *pre, float *post);
    void (*sumsq)(size_t n, const float *x, double *out);
    void (*head_backward)(size_t n, const float *decay, const float *g, const float *h, const float *src,
                          float *dst, const float *w, float *dh);
    void (*tanh_backward)(size_t n, const float *post, const float *g, float *dh);
    void (*dense_trace)(size_t rows, size_t cols, const float *decay, const float *dh, const float *in,
                        const float *src, float *dst, const float *bsrc, float *bdst);
    void (*axpy)(size_t n, const float *alpha, const float *x, float *y);
    void (*row_axpy)(size_t rows, size_t cols, const int *sel, const float *alpha, const float *x, const float *M,
                     float *out, uint32_t *bad);
    void (*row_put)(size_t rows, size_t cols, const int *sel, const float *in, float *M);
    void (*nonfinite)(size_t n, const float *x, uint32_t *bad);
    void (*scal)(size_t n, const float *keep, const int *on, float *x);
} nm_lane_kernels;

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NM_LANE_X86 1
#else
#define NM_LANE_X86 0
#endif

#define NM_LANE(name) generic_##name
#define NM_LANE_ATTR
#define NM_LANE_NAME "generic"
#define NM_LANE_V 4
#define NM_LANE_MAX_HIDDEN 64
#include "population_lanes.h"
#undef NM_LANE
#undef NM_LANE_ATTR
#undef NM_LANE_NAME
#undef NM_LANE_V
#undef NM_LANE_MAX_HIDDEN

#if NM_LANE_X86
#define NM_LANE(name) avx2_##name
#define NM_LANE_ATTR __attribute__((target("avx2")))
#define NM_LANE_NAME "avx2"
#define NM_LANE_V 8
#define NM_LANE_MAX_HIDDEN 128
#include "population_lanes.h"
#undef NM_LANE
#undef NM_LANE_ATTR
#undef NM_LANE_NAME
#undef NM_LANE_V
#undef NM_LANE_MAX_HIDDEN

#define NM_LANE(name) avx512_##name
#define NM_LANE_ATTR __attribute__((target("avx512f")))
#define NM_LANE_NAME "avx512"
#define NM_LANE_V 16
#define NM_LANE_MAX_HIDDEN 128
#include "population_lanes.h"
#undef NM_LANE
#undef NM_LANE_ATTR
#undef NM_LANE_NAME
#undef NM_LANE_V
#undef NM_LANE_MAX_HIDDEN
#endif

/* lanes per group: the kernel set's register width (4 SSE2, 8 AVX2, 16 AVX-512 floats), so that a group's
 * weights and traces stay as near the core as one agent's would */
#define W (s->w)

typedef struct nm_group {
    size_t lo, n;          /* members lo .. lo + n - 1; lanes n .. W - 1 are padding (zeros, never read out) */
    int live;              /* which trace buffer holds the live trace */
    float *params, *trace[2], *cache, *next, *dh;
} nm_group;

struct nm_popsimd {
    const nm_lane_kernels *k;
    size_t n, groups, w;
    size_t n_params, n_traced, cache, width;   /* one member's: parameters, traced, forward cache, max width */
    nm_group *group;
    float *mem;
};

/* The config fields the step reads as the lone agent does, whatever their values (or checks below). Every other
 * field, including any option added after this step was written, must hold its legacy value: the behaviour the
 * step reproduces. A new option that changes the rate step then falls back to stepping members one by one until
 * the step learns it (and the C test's check that a default population interleaves says when a default moved). */
static int field_known(const char *name)
{
    static const char *const known[] = {
        "n_obs", "n_actions", "n_layers", "hidden", "activation", "seed", "init_scale", "critic_scale",
        "predictor_rate", "max_update", "base", "modulators", "mapping", "interaction", "tau_phasic", "tau_tonic",
        "scale", "na_threshold", "na_reset", "surprise_floor", "attention_set", "gain_focus", "na_input",
        "layer_kind", "model", "withhold_action", "serotonin_input", "policy_reset", "importance", "gating",
        "boundary", "deterministic"
    };
    size_t i;
    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(name, known[i]) == 0) return 1;
    return 0;
}

static int fields_in_scope(const nm_agent_config *c)
{
    nm_agent_config legacy;
    nm_agent_config_legacy(&legacy);
/* the spiking learner's rows (their doc says "spiking:") do not touch the rate step, whatever they hold */
#define X_SCOPE(ctype, name, dims, kind, shape, option, flags, lo, hi, expect, values, dflt, leg, doc) \
    if (!field_known(#name) && strncmp(doc, "spiking:", 8) != 0 && \
        memcmp(&c->name, &legacy.name, sizeof c->name) != 0) return 0;
    NM_CONFIG_FIELDS(X_SCOPE)
#undef X_SCOPE
    return 1;
}

int nm_popsimd_covers(const nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    return fields_in_scope(c) && a->model == NM_MODEL_RATE && c->n_layers == 1 && a->layer[0].kind == NM_LAYER_DENSE &&
           a->layer[0].activation == NM_TANH && !a->kern->blas && a->n_anchor == 0 && a->n_imp == 0 &&
           a->n_cont == 0 && a->n_gate == 0 && a->n_models == 0 && !nm_mod_wants_salience(c) &&
           !nm_mod_wants_activity(c) && c->policy_entropy == 0.0f && c->outcome_bias == 0.0f;
}

static const nm_lane_kernels *lanes_for(const char *name)
{
#if NM_LANE_X86
    if (strcmp(name, "avx512") == 0) return &avx512_lanes;
    if (strcmp(name, "avx2") == 0) return &avx2_lanes;
#endif
    (void)name;
    return &generic_lanes;
}

nm_popsimd *nm_popsimd_new(nm_agent *const *member, size_t n)
{
    const nm_agent *a = member[0];
    nm_popsimd *s = calloc(1, sizeof *s);
    size_t g, per;
    if (!s) return NULL;
    s->k = lanes_for(a->kern->name);   /* the members' kernel set (NEUROMOD_KERNELS or the widest) */
    s->w = s->k->lanes;
    s->n = n;
    s->groups = (n + W - 1) / W;
    s->n_params = a->n_params;
    s->n_traced = a->n_traced;
    s->cache = a->cl.size;
    s->width = a->max_width;
    per = (s->n_params + 2 * s->n_traced + 2 * s->cache + 2 * s->width) * W;
    s->group = calloc(s->groups, sizeof *s->group);
    /* 64-byte aligned: a group's vectors start on cache lines (w floats each) */
    s->mem = s->group ? calloc(s->groups * per + 16, sizeof *s->mem) : NULL;
    if (!s->mem) { free(s->group); free(s); return NULL; }
    for (g = 0; g < s->groups; g++) {
        nm_group *G = &s->group[g];
        float *m = s->mem + (16 - ((uintptr_t)s->mem / sizeof(float)) % 16) % 16 + g * per;
        G->lo = g * W;
        G->n = n - G->lo < W ? n - G->lo : W;
        G->params = m; m += s->n_params * W;
        G->trace[0] = m; m += s->n_traced * W;
        G->trace[1] = m; m += s->n_traced * W;
        G->cache = m; m += s->cache * W;
        G->next = m; m += s->cache * W;
        G->dh = m;
    }
    nm_popsimd_gather(s, member);
    return s;
}

void nm_popsimd_free(nm_popsimd *s)
{
    if (!s) return;
    free(s->mem);
    free(s->group);
    free(s);
}

size_t nm_popsimd_groups(const nm_popsimd *s) { return s ? s->groups : 0; }
size_t nm_popsimd_lanes(const nm_popsimd *s) { return s ? s->w : 1; }
size_t nm_popsimd_max_hidden(const nm_popsimd *s) { return s ? s->k->max_hidden : 0; }
const char *nm_popsimd_kernels(const nm_popsimd *s) { return s ? s->k->name : NULL; }

static void put_lane(const nm_popsimd *s, float *dst, const float *src, size_t n, size_t l)
{
    size_t i;
    for (i = 0; i < n; i++) dst[i * W + l] = src[i];
}

static void get_lane(const nm_popsimd *s, float *dst, const float *src, size_t n, size_t l)
{
    size_t i;
    for (i = 0; i < n; i++) dst[i] = src[i * W + l];
}

static void scatter_group(const nm_popsimd *s, const nm_group *G, nm_agent *const *member)
{
    size_t l;
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        get_lane(s, a->block + a->off_params, G->params, s->n_params, l);
        get_lane(s, a->block + a->off_trace, G->trace[G->live], s->n_traced, l);
        get_lane(s, a->block + a->off_cache, G->cache, s->cache, l);
    }
}

static void gather_group(const nm_popsimd *s, nm_group *G, nm_agent *const *member)
{
    size_t l;
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        put_lane(s, G->params, a->block + a->off_params, s->n_params, l);
        put_lane(s, G->trace[G->live], a->block + a->off_trace, s->n_traced, l);
        put_lane(s, G->cache, a->block + a->off_cache, s->cache, l);
    }
}

void nm_popsimd_scatter(const nm_popsimd *s, nm_agent *const *member)
{
    size_t g;
    for (g = 0; g < s->groups; g++) scatter_group(s, &s->group[g], member);
}

void nm_popsimd_scatter_one(const nm_popsimd *s, nm_agent *const *member, size_t k)
{
    const nm_group *G = &s->group[k / W];
    nm_agent *a = member[k];
    size_t l = k % W;
    get_lane(s, a->block + a->off_params, G->params, s->n_params, l);
    get_lane(s, a->block + a->off_trace, G->trace[G->live], s->n_traced, l);
    get_lane(s, a->block + a->off_cache, G->cache, s->cache, l);
}

void nm_popsimd_gather_one(nm_popsimd *s, nm_agent *const *member, size_t k)
{
    nm_group *G = &s->group[k / W];
    const nm_agent *a = member[k];
    size_t l = k % W;
    put_lane(s, G->params, a->block + a->off_params, s->n_params, l);
    put_lane(s, G->trace[G->live], a->block + a->off_trace, s->n_traced, l);
    put_lane(s, G->cache, a->block + a->off_cache, s->cache, l);
}

void nm_popsimd_gather(nm_popsimd *s, nm_agent *const *member)
{
    size_t g;
    for (g = 0; g < s->groups; g++) gather_group(s, &s->group[g], member);
}

static int obs_finite(const float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

/* The lone agent's sample (learner_rate.c) */
static int sample(nm_rng *rng, const float *probs, size_t stride, size_t n)
{
    double u = nm_rng_uniform(rng), c = 0.0;
    size_t i;
    for (i = 0; i + 1 < n; i++) {
        c += probs[i * stride];
        if (u < c) return (int)i;
    }
    return (int)(n - 1);
}

/* network.c's forward pass for the group: u = attn x (per lane, into the cache's input), the layer, V, and
 * unless value_only the logits and the softmax (per lane, scalar, with the library's expf) */
static void forward(const nm_popsimd *s, const nm_group *G, nm_agent *const *member, const float *obs,
                    const float *gain, float *C, int value_only)
{
    const nm_agent *a0 = member[G->lo];
    const nm_layer *L = &a0->layer[0];
    const nm_cache_layout *cl = &a0->cl;
    size_t d = a0->cfg.n_obs, A = a0->cfg.n_actions, F = a0->n_features, i, l;
    const float *P = G->params, *h = C + L->post * W;
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        const float *attn = a->block + a->off_attn, *x = obs + (G->lo + l) * d;
        for (i = 0; i < d; i++) C[(cl->input + i) * W + l] = attn[i] * x[i];
    }
    s->k->rows_dot(L->out, L->in, P + L->w * W, C + cl->input * W, P + L->b * W, C + L->pre * W);
    s->k->gain_tanh(L->out, gain, C + L->pre * W, C + L->post * W);
    s->k->rows_dot(1, F, P + a0->value_w * W, h, P + a0->value_b * W, C + cl->value * W);
    if (value_only) return;
    s->k->rows_dot(A, F, P + a0->policy_w * W, h, P + a0->policy_b * W, C + cl->logits * W);
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        float beta = a->mod.params[NM_P_INVERSE_TEMPERATURE], bias = a->mod.params[NM_P_WITHHOLD_BIAS];
        float *probs = C + cl->probs * W + l, mx, sum;
        const float *logits = C + cl->logits * W + l;
        for (i = 0; i < A; i++)
            probs[i * W] = beta * logits[i * W] + ((int)i == a->cfg.withhold_action ? bias : 0.0f);
        mx = probs[0];
        for (i = 1; i < A; i++) if (probs[i * W] > mx) mx = probs[i * W];
        sum = 0.0f;
        for (i = 0; i < A; i++) { probs[i * W] = nm_expf(probs[i * W] - mx); sum += probs[i * W]; }
        for (i = 0; i < A; i++) probs[i * W] /= sum;
    }
}

/* The uniform gain of each lane (no gain focus, no gate: nm_mod_compose_gain gives every unit G) */
static void lane_gain(const nm_popsimd *s, const nm_group *G, nm_agent *const *member, float *gain)
{
    size_t l;
    for (l = 0; l < W; l++) gain[l] = l < G->n ? member[G->lo + l]->block[member[G->lo + l]->off_gain] : 0.0f;
}

/* A bound below this keeps every trace entry finite (learner_rate.c's NM_SAFE_BOUND) */
#define SAFE_BOUND 1e37

/* 1 when stepped; 0 when the group must step member by member (nothing of any member changed) */
static int act_fast(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *obs, int *actions)
{
    const nm_agent *a0 = member[G->lo];
    const nm_layer *L = &a0->layer[0];
    const nm_cache_layout *cl = &a0->cl;
    size_t d = a0->cfg.n_obs, A = a0->cfg.n_actions, F = a0->n_features, i, l;
    float *C = G->cache, *P = G->params, *O = G->trace[G->live], *E = G->trace[!G->live], *dh = G->dh;
    const float *h = C + L->post * W, *u = C + cl->input * W;
    float gain[NM_LANES], decay[NM_LANES], g[NM_LANES];
    double hh[NM_LANES], heads[NM_LANES], n_dh[NM_LANES], n_in[NM_LANES], bound[NM_LANES];
    int act[NM_LANES];
    uint32_t bad[NM_LANES];
    nm_rng rng0[NM_LANES];

    for (l = 0; l < G->n; l++)
        if (!obs_finite(obs + (G->lo + l) * d, d)) return 0;
    lane_gain(s, G, member, gain);
    forward(s, G, member, obs, gain, C, 0);
    s->k->nonfinite(cl->size, C, bad);
    for (l = 0; l < G->n; l++) if (bad[l]) return 0;
    for (l = 0; l < W; l++) {
        act[l] = 0; decay[l] = 0.0f; heads[l] = 0.0;
        if (l >= G->n) continue;
        nm_agent *a = member[G->lo + l];
        rng0[l] = a->rng;
        act[l] = sample(&a->rng, C + cl->probs * W + l, W, A);
        decay[l] = a->mod.params[NM_P_DISCOUNT] * a->mod.params[NM_P_TRACE_DECAY];
    }
    /* nm_net_backward with w_logpi 1 and w_value critic_scale, from the live trace O into E */
    s->k->sumsq(F, h, hh);
    for (l = 0; l < W; l++) hh[l] += 1.0;
    memset(dh, 0, F * W * sizeof *dh);
    for (i = 0; i < A; i++) {
        for (l = 0; l < W; l++) {
            float beta = l < G->n ? member[G->lo + l]->mod.params[NM_P_INVERSE_TEMPERATURE] : 0.0f;
            g[l] = 1.0f * beta * (((int)i == act[l] ? 1.0f : 0.0f) - C[(cl->probs + i) * W + l]);
            if (l >= G->n) g[l] = 0.0f;
            if (g[l] != 0.0f) heads[l] += (double)g[l] * g[l];
        }
        s->k->head_backward(F, decay, g, h, O + (a0->policy_w + i * F) * W, E + (a0->policy_w + i * F) * W,
                            P + (a0->policy_w + i * F) * W, dh);
        for (l = 0; l < W; l++) {
            size_t at = (a0->policy_b + i) * W + l;
            E[at] = g[l] == 0.0f ? O[at] * decay[l] : decay[l] * O[at] + g[l];
        }
    }
    for (l = 0; l < W; l++) {
        g[l] = l < G->n ? member[G->lo + l]->cfg.critic_scale : 0.0f;
        if (g[l] != 0.0f) heads[l] += (double)g[l] * g[l];
    }
    s->k->head_backward(F, decay, g, h, O + a0->value_w * W, E + a0->value_w * W, P + a0->value_w * W, dh);
    for (l = 0; l < W; l++) {
        size_t at = a0->value_b * W + l;
        E[at] = g[l] == 0.0f ? O[at] * decay[l] : decay[l] * O[at] + g[l];
    }
    s->k->tanh_backward(L->out, C + L->post * W, gain, dh);
    s->k->dense_trace(L->out, L->in, decay, dh, u, O + L->w * W, E + L->w * W, O + L->b * W, E + L->b * W);
    s->k->sumsq(L->out, dh, n_dh);
    s->k->sumsq(L->in, u, n_in);
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        double norm2 = 0.0 + n_dh[l] * (n_in[l] + 1.0);
        bound[l] = fabs((double)decay[l]) * a->trace_bound + sqrt(norm2 + heads[l] * hh[l]);
        if (!(bound[l] < SAFE_BOUND)) {   /* learner_rate.c's rare path: the members decide */
            size_t m;
            for (m = 0; m < G->n; m++) member[G->lo + m]->rng = rng0[m];
            return 0;
        }
    }
    G->live = !G->live;
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        a->trace_bound = bound[l];
        memcpy(a->block + a->off_obs, obs + (G->lo + l) * d, d * sizeof *obs);
        a->pending = 1;
        a->pending_action = act[l];
        a->msg[0] = '\0';
        actions[G->lo + l] = act[l];
    }
    (void)d;
    return 1;
}

static int learn_fast(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *rewards,
                      const float *next_obs, const int *terminals)
{
    const nm_agent *a0 = member[G->lo];
    const nm_layer *L = &a0->layer[0];
    const nm_cache_layout *cl = &a0->cl;
    size_t d = a0->cfg.n_obs, A = a0->cfg.n_actions, F = a0->n_features, l, any_next = 0, any_norm = 0;
    float *C = G->cache, *P = G->params, *O = G->trace[G->live], *dq = G->next, *du = G->next + A * W;
    const float *h = C + L->post * W;
    float gain[NM_LANES], step[NM_LANES], delta[NM_LANES], eta[NM_LANES], eta_var[NM_LANES], hhp[NM_LANES];
    float ones[NM_LANES], keep[NM_LANES];
    double tn[NM_LANES], enorm[NM_LANES];
    int term[NM_LANES], act[NM_LANES], on[NM_LANES], reset[NM_LANES];
    uint32_t bad[NM_LANES];
    nm_mod_signals sig;
    nm_modstate mod_next[NM_LANES];
    nm_mod_effects fx[NM_LANES];

    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        term[l] = terminals ? terminals[G->lo + l] != 0 : 0;
        if (!a->pending || !isfinite(rewards[G->lo + l]) || !nm_plastic(a)) return 0;
        if ((!term[l] || next_obs) && !obs_finite(next_obs + (G->lo + l) * d, d)) return 0;
        if (!term[l]) any_next = 1;
    }
    lane_gain(s, G, member, gain);
    if (any_next) {
        forward(s, G, member, next_obs, gain, G->next, 1);
        for (l = 0; l < G->n; l++) step[l] = G->next[cl->value * W + l];   /* V(s'), before dq reuses next */
    }
    for (l = 0; l < W; l++) {
        const nm_agent *a;
        float v, v_next;
        act[l] = -1; eta[l] = 0.0f; eta_var[l] = 0.0f; ones[l] = 1.0f; on[l] = 0;
        if (l >= G->n) { step[l] = 0.0f; continue; }
        a = member[G->lo + l];
        act[l] = a->pending_action;
        v = C[cl->value * W + l];
        v_next = term[l] ? 0.0f : step[l];
        delta[l] = rewards[G->lo + l] + a->mod.params[NM_P_DISCOUNT] * v_next - v;
        step[l] = a->mod.params[NM_P_LEARNING_RATE] * delta[l] * a->mod.factor[NM_DA];
        enorm[l] = a->trace_bound;
        if (a->cfg.max_update > 0.0f && isfinite(step[l]) &&
            !(fabs((double)step[l]) * a->trace_bound * (1.0 + 1e-3) <= a->cfg.max_update)) on[l] = 1, any_norm = 1;
    }
    if (any_norm) {   /* the exact trace norm, where the clip may act */
        s->k->sumsq(s->n_traced, O, tn);
        for (l = 0; l < G->n; l++) {
            const nm_agent *a = member[G->lo + l];
            double norm;
            if (!on[l]) continue;
            enorm[l] = sqrt(tn[l]);
            norm = enorm[l] * fabs((double)step[l]);
            if (norm > a->cfg.max_update) step[l] = (float)(step[l] * (a->cfg.max_update / norm));
        }
    }
    /* the predictor (predictor.c): both heads' rows for every action, the one taken read per lane */
    s->k->rows_dot(A, F, P + a0->pred_w * W, h, P + a0->pred_b * W, dq);
    s->k->rows_dot(A, F, P + a0->var_w * W, h, P + a0->var_b * W, du);
    s->k->rows_dot(1, F, h, h, ones, hhp);
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        const nm_agent_config *c = &a->cfg;
        float r = rewards[G->lo + l], eps, surprise, expected, predicted, var_target;
        eps = r - dq[act[l] * W + l];
        surprise = fabsf(eps) < 1e3f ? eps * eps : 1e6f;
        predicted = du[act[l] * W + l];
        expected = predicted;
        if (!(expected > c->surprise_floor)) expected = c->surprise_floor;
        var_target = surprise < c->na_threshold * expected ? surprise : c->na_threshold * expected;
        eta[l] = c->predictor_rate * eps / hhp[l];
        eta_var[l] = 0.25f * c->predictor_rate * (var_target - predicted) / hhp[l];
        if (!isfinite(eta[l]) || !isfinite(eta_var[l]) || !isfinite(step[l])) return 0;
        /* update_finite without consolidation: beyond this reach the lone agent scans every weight */
        if (!(fabs((double)step[l]) * enorm[l] * (1.0 + 1e-3) <= 1e30)) return 0;
        sig.reward = r;
        sig.delta = delta[l];
        sig.surprise = surprise;
        sig.expected = expected;
        sig.activity[0] = a->block + a->off_cache + L->post;   /* not read: no gain focus */
        sig.salience = NULL;
        if (nm_agent_modulate_prepare(a, &sig, &mod_next[l], &fx[l]) != NM_OK) return 0;
    }
    /* the predictor rows' new values, into the scratch (dh: 2 max_width lane vectors, F each) */
    for (l = 0; l < W; l++) bad[l] = 0;
    s->k->row_axpy(A, F, act, eta, h, P + a0->pred_w * W, G->dh, bad);
    s->k->row_axpy(A, F, act, eta_var, h, P + a0->var_w * W, G->dh + F * W, bad);
    for (l = 0; l < G->n; l++) if (bad[l]) return 0;

    /* every check passed: the update (plastic members only reach here) */
    s->k->axpy(s->n_traced, step, O, P);
    s->k->row_put(A, F, act, G->dh, P + a0->pred_w * W);
    s->k->row_put(A, F, act, G->dh + F * W, P + a0->var_w * W);
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        float na;
        P[(a0->pred_b + act[l]) * W + l] += eta[l];
        P[(a0->var_b + act[l]) * W + l] += eta_var[l];
        nm_agent_modulate_commit(a, &mod_next[l], &fx[l], &reset[l]);
        na = a->mod.level[NM_NA];
        on[l] = a->cfg.policy_reset > 0.0f && na > 0.0f;
        keep[l] = on[l] ? 1.0f - a->cfg.policy_reset * (na > 1.0f ? 1.0f : na) : 1.0f;
    }
    for (; l < W; l++) { on[l] = 0; keep[l] = 1.0f; }
    /* policy_reset: the policy rows, then their biases, which follow them */
    s->k->scal(A * F + A, keep, on, P + a0->policy_w * W);
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        nm_cont_observe(a, step[l], rewards[G->lo + l]);
        if (term[l] || reset[l]) {
            size_t i;
            for (i = 0; i < s->n_traced; i++) O[i * W + l] = 0.0f;
            a->trace_bound = 0.0;
        }
        a->pending = 0;
        a->steps++;
        a->msg[0] = '\0';
    }
    return 1;
}

void nm_popsimd_act(nm_popsimd *s, nm_agent *const *member, size_t g, const float *obs, int *actions,
                    nm_status *status)
{
    nm_group *G = &s->group[g];
    size_t l, d = member[0]->cfg.n_obs;
    if (act_fast(s, G, member, obs, actions)) {
        for (l = 0; l < G->n; l++) status[G->lo + l] = NM_OK;
        return;
    }
    scatter_group(s, G, member);
    for (l = 0; l < G->n; l++) {
        size_t k = G->lo + l;
        status[k] = nm_agent_act(member[k], obs + k * d, d, actions + k);
    }
    gather_group(s, G, member);
}

void nm_popsimd_learn(nm_popsimd *s, nm_agent *const *member, size_t g, const float *rewards,
                      const float *next_obs, const int *terminals, nm_status *status)
{
    nm_group *G = &s->group[g];
    size_t l, d = member[0]->cfg.n_obs;
    if (learn_fast(s, G, member, rewards, next_obs, terminals)) {
        for (l = 0; l < G->n; l++) status[G->lo + l] = NM_OK;
        return;
    }
    scatter_group(s, G, member);
    for (l = 0; l < G->n; l++) {
        size_t k = G->lo + l;
        status[k] = nm_agent_learn(member[k], rewards[k], next_obs ? next_obs + k * d : NULL, next_obs ? d : 0,
                                   terminals ? terminals[k] != 0 : 0);
    }
    gather_group(s, G, member);
}
