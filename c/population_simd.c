/*
 * population_simd.c -- the interleaved population step: w agents side by side (w the kernel set's register
 * width in floats: 4, 8 or 16; at most NM_LANES), each lane running one
 * agent through exactly the operations, in exactly the order, of learner_rate.c's act and learn with
 * network.c's forward and backward for one dense tanh layer, so that member k stays bit for bit the lone agent.
 *
 * The vector work (the trunk, the heads, the softmax, the backward pass into the traces, the update, the
 * predictor's rows, the modulator step with the library's expf per lane) runs in the lane kernels
 * (population_lanes.h, one copy per instruction set); the group holds its members' modulator state, gain and
 * attention as it holds their weights. The per-agent scalar work (sampling, the trace bound and clipping
 * decisions, the predictor's arithmetic) runs per lane on the member's own nm_agent; a member whose config the
 * lane modulator step does not cover (the change-point input) takes nm_mod_step itself. Every check the lone
 * agent makes is made per lane before anything is written; when one fails (or a rare case arises: an unknown
 * trace bound, a weight that may overflow) the whole group goes back to the members (scatter), steps member by
 * member through nm_agent_act/learn, and comes back (gather): the lone agent's own code then decides and words
 * the outcome.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "population_simd.h"
#include "nm_math.h"

/* The modulator state of a group's members, held by the group: nm_modstate's floats (it holds nothing else), one
 * lane vector each, at these indices */
#define NM_MS (sizeof(nm_modstate) / sizeof(float))
#define MS_AT(f) (offsetof(nm_modstate, f) / sizeof(float))
#define MS_PHASIC MS_AT(phasic)
#define MS_TONIC MS_AT(tonic)
#define MS_LEVEL MS_AT(level)
#define MS_FACTOR MS_AT(factor)
#define MS_PARAMS MS_AT(params)
#define MS_SURPRISE MS_AT(surprise)
#define MS_EXPECTED MS_AT(expected)
#define MS_UNEXPECTED MS_AT(unexpected)
#define MS_REWARD_SHORT MS_AT(reward_short)
#define MS_REWARD_VAR MS_AT(reward_var)
#define MS_UTILITY_DROP MS_AT(utility_drop)
#define MS_OUTLIER_RATE MS_AT(outlier_rate)

/* Each lane's constants of the modulator step and the act (from its config and nm_mod_consts), one lane vector
 * each: na_threshold, surprise_floor, na_reset, NA on (1/0), phasic_decay[4], inv_tau_tonic[4],
 * inv_tau_phasic[DA], scale[4], each modulator on (1/0), serotonin_input relative (1/0), interaction[4][4],
 * mapping[8][4], base[8], withhold_action (as a float, -1 none), critic_scale, predictor_rate */
enum {
    KC_NA_THR, KC_FLOOR, KC_NA_RESET, KC_NA_ON, KC_PD, KC_KT = KC_PD + NM_N_MODULATORS,
    KC_KS_DA = KC_KT + NM_N_MODULATORS, KC_SCALE, KC_ON = KC_SCALE + NM_N_MODULATORS, KC_REL = KC_ON + NM_N_MODULATORS,
    KC_INT, KC_MAP = KC_INT + NM_N_MODULATORS * NM_N_MODULATORS, KC_BASE = KC_MAP + NM_N_PARAMS * NM_N_MODULATORS,
    KC_WH = KC_BASE + NM_N_PARAMS, KC_CRITIC, KC_PRED_RATE, KC_N
};

typedef struct nm_lane_kernels nm_lane_kernels;

typedef struct nm_group {
    size_t lo, n;          /* members lo .. lo + n - 1; lanes n .. W - 1 are padding (zeros, never read out) */
    int mod_lanes;         /* every member's modulator step is the lane step's (else each takes nm_mod_step) */
    int cont;              /* some member's learn ends with nm_cont_observe's bookkeeping (continual learning) */
    float *params, *trace, *cache;   /* the trace is written in place (act_fast) */
    /* Scratch of one call, bound to the stepping thread's slot (bind_scratch) as the call starts: learn's forward
     * pass of s' and the predictor's rows (next: one cache), act's dh and the predictor's new rows (dh: 2 max_width
     * lane vectors), the heads' g of act's backward pass (gv: n_actions + 1). Shared by the groups one thread steps,
     * it stays in that core's cache; one per group cost each call a read of lines only to overwrite them (about a
     * tenth of the step at 4096 members). */
    float *next, *dh, *gv;
    /* learn's copy of its frozen members' weights (n_params floats a frozen lane, in the slot's scratch): the lanes
     * update every lane, and a frozen member's lane is put back after (nm_agent_freeze: no synaptic change) */
    float *fsave;
    float *ms;             /* the members' modulator state (NM_MS lane vectors; the group holds it, as the weights) */
    float *kc;             /* their constants (KC_N lane vectors) */
    float *attn;           /* their attention (n_obs lane vectors) */
    /* each unit's gain (hidden lane vectors: what the kernels read, the uniform gain in ms times the unit's gate),
     * each unit's gate (1 where a member has none) and each member's step factor for its gate (nm_cont_step_scale) */
    float *ugain, *gate, *sscale;
    /* the members' importance, path integral and anchors (n_traced lane vectors each; NULL where no member of the
     * population keeps importance) */
    float *imp, *omega, *anchor;
    int *impl;             /* whether the group holds them for that member (nm_cont_weights_tracked at lane_in) */
    /* The members hold the group's state (1: since a step the lanes could not take, they step on their own, until
     * every one is back in the lanes' scope) or the lanes do (0). Handing the group out and back at every step
     * while some member stays out of scope (a continual member's window, which lasts steps) cost more than the
     * members' own steps. */
    int own;
    /* A second bound on each member's trace norm, at most its trace_bound: restarted from the exact norm whenever
     * learn computes that, so it decides less often than the lone agent's bound that the exact norm is needed.
     * It decides nothing else: where the lone agent computes the exact norm and this bound does not, the norm
     * times the step is within max_update (the bound and its margin say so), and the clip does not act. */
    double *tb2;
    /* A recurrent trunk's state (NULL without one): its eligibility vectors (n_elig lane vectors), h and the
     * pending step's h_{t-1} (rstate, rprev; the integrator's h then v), act's dh and D kept for the deferred pass
     * (rdh, rD; the integrator's D then c), each lane's leak,
     * alpha and act's decay, whether its pass is pending (rdefer, as the agent's rec_defer) and its eligibility
     * bound (eb, the agent's elig_bound) */
    float *eps, *rstate, *rprev, *rdh, *rD, *rleak, *ralpha, *rdecay;
    int *rdefer;
    double *eb;
} nm_group;

struct nm_popsimd {
    const nm_lane_kernels *k;
    size_t n, groups, w;
    size_t n_params, n_traced, cache, width;   /* one member's: parameters, traced, forward cache, max width */
    size_t n_obs, hidden, n_actions;
    nm_cache_layout cl;                        /* one member's cache layout and offsets (all members share them) */
    size_t lw, lb, lpre, lpost, policy_w, policy_b, value_w, value_b, pred_w, pred_b, var_w, var_b;
    int rec;                                   /* the trunk is one recurrent layer, of either kind */
    int integ;                                 /* ... of the integrator kind (layer_integrator.c) */
    int imp;                                   /* some member keeps importance (the groups hold it) */
    size_t lz, lelig, n_elig, n_rec;           /* its z in the cache, eligibility offset and size, and state */
    size_t lvnow, lvprev;                      /* the integrator's v_t and v_{t-1} in the cache */
    nm_group *group;
    float *mem;
    size_t slots, slot_floats;   /* scratch: one slot per thread that steps groups, slot_floats each */
    float *scratch;
};

struct nm_lane_kernels {
    const char *name;
    size_t lanes;
    size_t max_hidden;   /* the widest layer it is used for (wider: the lone agent's own vectors do as well) */
    size_t max_recurrent;   /* the same for a trunk of the recurrent kind (its group's synapses leave L2 sooner) */
    void (*rows_dot)(size_t rows, size_t cols, const float *A, const float *x, const float *b, float *y);
    void (*sumsq)(size_t n, const float *x, double *out);
    void (*axpy)(size_t n, const float *alpha, const float *x, float *y);
    void (*nonfinite)(size_t n, const float *x, uint32_t *bad);
    void (*scal)(size_t n, const float *keep, const int *on, float *x);
    void (*softmax)(size_t A, const float *beta, const float *bias, const float *wh, const float *logits,
                    float *probs);
    void (*mod_step)(const float *kc, const float *in, float *out, const float *r, const float *delta,
                     const float *S, const float *E, int32_t *reset);
    void (*act_delta)(const nm_popsimd *s, nm_group *G);
    void (*act_trace)(const nm_popsimd *s, nm_group *G, const float *decay);
    void (*trunk)(const nm_popsimd *s, const nm_group *G, float *C);
    /* R <= 3 rows of rows_dot at once: rows A[r], biases b[r], results y[r] (one lane vector each) */
    void (*dots)(size_t n, size_t R, const float *const *A, const float *x, const float *const *b, float *const *y);
    /* the predictor rows of the taken actions + eta h into G->dh, checked (put 0); then written (put 1) */
    void (*pred_rows)(const nm_popsimd *s, nm_group *G, const int *act, const float *eta, const float *eta_var,
                      uint32_t *bad, int put);
    void (*head_g)(const nm_popsimd *s, nm_group *G, const int *act, double *heads);
    void (*head_bias)(const nm_popsimd *s, nm_group *G, const float *decay);
    void (*learn_sig)(const nm_popsimd *s, nm_group *G, const int *act, const float *r, const float *v_next,
                      const float *dq, const float *du, const float *hh, float *delta, float *step, float *eta,
                      float *eta_var, float *S, float *E, uint32_t *bad);
    void (*trunk_value)(const nm_popsimd *s, const nm_group *G, float *C);   /* V only, 3 inputs */
    void (*expf_n)(size_t n, const float *x, float *y);                      /* n a multiple of lanes */
    void (*obs_in)(size_t d, size_t lo, size_t n, const float *obs, const float *attn, float *u);
    void (*clear)(size_t n, const int *on, float *x);   /* x = 0 in the lanes on */
    /* the recurrent trunk: forward pass, act's phase one (dh, D, and per lane |D|^2, |dh|^2, max dh_i^2) and the
     * heads' part of phase two, and the deferred pass (step NULL: settle the lanes on; else with the update) */
    void (*rec_trunk)(const nm_popsimd *s, const nm_group *G, float *C);
    void (*rec_delta)(const nm_popsimd *s, nm_group *G, double *pd, double *qd, double *md);
    void (*rec_heads)(const nm_popsimd *s, nm_group *G, const float *decay);
    void (*rec_pass)(const nm_popsimd *s, nm_group *G, const int *on, const float *step, const int *zero);
    /* the integrator trunk's: forward pass, act's phase one (dh, D and c = dh D, and per lane |c|^2; its heads'
     * part of phase two is rec_heads) and the deferred pass (rec_pass's modes) */
    void (*int_trunk)(const nm_popsimd *s, const nm_group *G, float *C);
    void (*int_delta)(const nm_popsimd *s, nm_group *G, double *pd);
    void (*int_pass)(const nm_popsimd *s, nm_group *G, const int *on, const float *step, const int *zero);
    /* continual members: each unit's gain from the gate, the update fused with the pull, SI's path integral */
    void (*gate_gain)(const nm_popsimd *s, nm_group *G);
    void (*update_pull)(size_t n, const float *step, const float *k, const int *on, const float *e, const float *imp,
                        const float *anchor, float *theta);   /* step NULL: the pull alone */
    void (*importance)(size_t n, const float *step, const float *alpha, const int *on, const int *ewc,
                       const float *e, float *omega);
};

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NM_LANE_X86 1
#include <immintrin.h>   /* float -> double of half a register (gcc splits the generic one), min and max */
#else
#define NM_LANE_X86 0
#endif

#define NM_LANE(name) generic_##name
#define NM_LANE_ATTR
#define NM_LANE_NAME "generic"
#define NM_LANE_V 4
#define NM_LANE_MAX_HIDDEN 64
#define NM_LANE_MAX_RECURRENT 32
#define NM_LANE_CVTPD(x) __builtin_convertvector((x), vdh)
#if NM_LANE_X86 && defined(__x86_64__)   /* SSE: part of x86-64 */
#define NM_LANE_CLAMP_HI(c, x) ((vf)_mm_min_ps((__m128)(c), (__m128)(x)))
#define NM_LANE_CLAMP_LO(c, x) ((vf)_mm_max_ps((__m128)(c), (__m128)(x)))
#endif
#include "population_lanes.h"

#if NM_LANE_X86
#define NM_LANE(name) avx2_##name
/* AVX2 with FMA (every AVX2 CPU but a few; lanes_for takes the generic set on those): the lane expf's fused
 * reduction and cubic, and its table read as one gather */
#define NM_LANE_ATTR __attribute__((target("avx2,fma")))
#define NM_LANE_NAME "avx2"
#define NM_LANE_V 8
#define NM_LANE_MAX_HIDDEN 128
#define NM_LANE_MAX_RECURRENT 48
#define NM_LANE_CVTPD(x) ((vdh)_mm256_cvtps_pd((__m128)(x)))
#define NM_LANE_FMADD(a, b, c) ((vdh)_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#define NM_LANE_GATHER(i) \
    ((NM_LANE(vq))_mm256_i64gather_epi64((const long long *)(const void *)nm_exp_table, (__m256i)(i), 8))
#define NM_LANE_GATHER_OBS(p, i) ((vf)_mm256_i32gather_ps((p), (__m256i)(i), 4))
#define NM_LANE_CLAMP_HI(c, x) ((vf)_mm256_min_ps((__m256)(c), (__m256)(x)))
#define NM_LANE_CLAMP_LO(c, x) ((vf)_mm256_max_ps((__m256)(c), (__m256)(x)))
#include "population_lanes.h"

#define NM_LANE(name) avx512_##name
#define NM_LANE_ATTR __attribute__((target("avx512f,fma")))   /* every AVX-512F CPU has FMA */
#define NM_LANE_NAME "avx512"
#define NM_LANE_V 16
#define NM_LANE_MAX_HIDDEN 128
/* twice AVX2's lanes: a group of 32-unit members holds about what AVX2's of 48 does (reasoned, not timed) */
#define NM_LANE_MAX_RECURRENT 32
#define NM_LANE_CVTPD(x) ((vdh)_mm512_cvtps_pd((__m256)(x)))
#define NM_LANE_FMADD(a, b, c) ((vdh)_mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c)))
#define NM_LANE_GATHER(i) \
    ((NM_LANE(vq))_mm512_i64gather_epi64((__m512i)(i), (const void *)nm_exp_table, 8))
#define NM_LANE_GATHER_OBS(p, i) ((vf)_mm512_i32gather_ps((__m512i)(i), (p), 4))
#define NM_LANE_CLAMP_HI(c, x) ((vf)_mm512_min_ps((__m512)(c), (__m512)(x)))
#define NM_LANE_CLAMP_LO(c, x) ((vf)_mm512_max_ps((__m512)(c), (__m512)(x)))
#include "population_lanes.h"
#endif

/* lanes per group: the kernel set's register width (4 SSE2, 8 AVX2, 16 AVX-512 floats), so that a group's
 * weights and traces stay as near the core as one agent's would */
#define W (s->w)

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
        "boundary", "deterministic", "layer_tau",
        /* the continual rows: what they add to the plain step the lanes carry (nm_cont_lanes), or nm_cont_observe */
        "context_predictor", "context_tonic", "gate_first", "boundary_learning", "boundary_sustain",
        "boundary_trigger", "gate_step", "gate_min", "model_gate"
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

/* A member is covered whatever its continual state: a step the lanes cannot take this time (a window, a freeze, EWC
 * accumulating) hands its group to the members until all are back (take_back). */
int nm_popsimd_covers(const nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    return fields_in_scope(c) && a->model == NM_MODEL_RATE && c->n_layers == 1 &&
           (a->layer[0].kind == NM_LAYER_DENSE || a->layer[0].kind == NM_LAYER_RECURRENT ||
            a->layer[0].kind == NM_LAYER_INTEGRATOR) &&
           a->layer[0].activation == NM_TANH && !a->kern->blas &&
           !(a->n_anchor && !a->n_imp) &&
           !nm_mod_wants_salience(c) &&
           !nm_mod_wants_activity(c) && c->policy_entropy == 0.0f && c->outcome_bias == 0.0f;
}

static const nm_lane_kernels *lanes_for(const char *name)
{
#if NM_LANE_X86
    if (strcmp(name, "avx512") == 0) return &avx512_lanes;
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("fma")) return &avx2_lanes;
#endif
    (void)name;
    return &generic_lanes;
}

nm_popsimd *nm_popsimd_new(nm_agent *const *member, size_t n, size_t slots)
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
    s->n_obs = a->cfg.n_obs;
    s->hidden = a->layer[0].out;
    s->n_actions = a->cfg.n_actions;
    s->cl = a->cl;
    s->lw = a->layer[0].w; s->lb = a->layer[0].b; s->lpre = a->layer[0].pre; s->lpost = a->layer[0].post;
    s->policy_w = a->policy_w; s->policy_b = a->policy_b; s->value_w = a->value_w; s->value_b = a->value_b;
    s->pred_w = a->pred_w; s->pred_b = a->pred_b; s->var_w = a->var_w; s->var_b = a->var_b;
    s->integ = a->layer[0].kind == NM_LAYER_INTEGRATOR;
    s->rec = a->layer[0].kind == NM_LAYER_RECURRENT || s->integ;
    if (s->rec) {
        s->lz = a->layer[0].z; s->lelig = a->layer[0].elig; s->n_elig = a->n_elig; s->n_rec = a->n_rec;
        s->lvnow = a->layer[0].state_now; s->lvprev = a->layer[0].state_prev;
    }
    for (g = 0; g < n; g++) s->imp |= member[g]->n_imp > 0;
    per = (s->n_params + s->n_traced + s->cache + NM_MS + KC_N + s->n_obs + 2) * W;
    per += (2 * s->hidden + 2) * W;                  /* ugain, gate, sscale, impl */
    if (s->imp) per += 3 * s->n_traced * W;          /* imp, omega, anchor */
    /* the recurrent state: eps, rstate, rprev, rdh, rD, rleak, ralpha, rdecay, then rdefer and eb after tb2 */
    if (s->rec) per += (s->n_elig + 2 * s->n_rec + (s->integ ? 3 : 2) * s->hidden + 3 + 1 + 2) * W;
    /* a slot's next, dh and gv, rounded up to whole cache lines (16 floats), then fsave (touched only while a
     * member is frozen) */
    s->slots = slots ? slots : 1;
    s->slot_floats = ((s->cache + 2 * s->width + s->n_actions + 1) * W + 15) / 16 * 16 + s->n_params * W;
    s->group = calloc(s->groups, sizeof *s->group);
    /* 64-byte aligned: a group's vectors start on cache lines (w floats each) */
    s->mem = s->group ? calloc(s->groups * per + 16, sizeof *s->mem) : NULL;
    s->scratch = s->mem ? calloc(s->slots * s->slot_floats + 16, sizeof *s->scratch) : NULL;
    if (!s->scratch) { free(s->mem); free(s->group); free(s); return NULL; }
    for (g = 0; g < s->groups; g++) {
        nm_group *G = &s->group[g];
        float *m = s->mem + (16 - ((uintptr_t)s->mem / sizeof(float)) % 16) % 16 + g * per;
        G->lo = g * W;
        G->n = n - G->lo < W ? n - G->lo : W;
        G->params = m; m += s->n_params * W;
        G->trace = m; m += s->n_traced * W;
        G->cache = m; m += s->cache * W;
        G->ms = m; m += NM_MS * W;
        G->kc = m; m += KC_N * W;
        G->attn = m; m += s->n_obs * W;
        G->ugain = m; m += s->hidden * W;
        G->gate = m; m += s->hidden * W;
        G->sscale = m; m += W;
        G->impl = (int *)(void *)m; m += W;
        if (s->imp) {
            G->imp = m; m += s->n_traced * W;
            G->omega = m; m += s->n_traced * W;
            G->anchor = m; m += s->n_traced * W;
        }
        if (s->rec) {
            G->eps = m; m += s->n_elig * W;
            G->rstate = m; m += s->n_rec * W;
            G->rprev = m; m += s->n_rec * W;
            G->rdh = m; m += s->hidden * W;
            G->rD = m; m += (s->integ ? 2 : 1) * s->hidden * W;
            G->rleak = m; m += W;
            G->ralpha = m; m += W;
            G->rdecay = m; m += W;
        }
        G->tb2 = (double *)(void *)m;   /* at a multiple of 4 floats from the aligned start */
        m += 2 * W;
        if (s->rec) {
            G->eb = (double *)(void *)m; m += 2 * W;
            G->rdefer = (int *)(void *)m;
        }
    }
    nm_popsimd_gather(s, member);
    return s;
}

void nm_popsimd_free(nm_popsimd *s)
{
    if (!s) return;
    free(s->scratch);
    free(s->mem);
    free(s->group);
    free(s);
}

size_t nm_popsimd_expf(const char *set, size_t n, const float *x, float *y)
{
    const nm_lane_kernels *k = &generic_lanes;
#if NM_LANE_X86
    if (strcmp(set, "avx512") == 0) k = __builtin_cpu_supports("avx512f") ? &avx512_lanes : NULL;
    else if (strcmp(set, "avx2") == 0) k = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &avx2_lanes : NULL;
#else
    if (strcmp(set, "generic") != 0) k = NULL;
#endif
    if (!k || strcmp(set, k->name) != 0 || n % k->lanes != 0) return 0;
    k->expf_n(n, x, y);
    return k->lanes;
}

size_t nm_popsimd_groups(const nm_popsimd *s) { return s ? s->groups : 0; }
size_t nm_popsimd_lanes(const nm_popsimd *s) { return s ? s->w : 1; }
/* The widest trunk the groups take (docs/results/population.md has the measurements). The integrator keeps a
 * dense layer's synapse state (a weight and a trace each; its eligibility is one value an input column), so it
 * takes the dense cap; the recurrent kind's eligibility, one more value a synapse, takes its group out of L2
 * sooner. */
size_t nm_popsimd_max_hidden(const nm_popsimd *s)
{
    if (!s) return 0;
    return s->rec && !s->integ ? s->k->max_recurrent : s->k->max_hidden;
}
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

/* lane l of the group's modulator state, to and from an nm_modstate */
static void ms_get(const nm_popsimd *s, const nm_group *G, size_t l, nm_modstate *m)
{
    float f[NM_MS];
    size_t i;
    for (i = 0; i < NM_MS; i++) f[i] = G->ms[i * W + l];
    memcpy(m, f, sizeof *m);
}

static void ms_put(const nm_popsimd *s, nm_group *G, size_t l, const nm_modstate *m)
{
    float f[NM_MS];
    size_t i;
    memcpy(f, m, sizeof *m);
    for (i = 0; i < NM_MS; i++) G->ms[i * W + l] = f[i];
}

/* Where member a keeps its recurrent layer's dh and D (the integrator's D and c): offsets in its own block, whose
 * layout depends on its config (continual learning adds sections), so members of one shape may differ there */
static float *rec_dh(const nm_agent *a) { return a->block + a->off_dh + a->layer[0].gain; }
static float *rec_D(const nm_agent *a) { return a->block + a->off_rscratch + 2 * a->layer[0].state; }
static size_t rec_D_len(const nm_popsimd *s) { return (s->integ ? 2 : 1) * s->hidden; }

/* lane l -> its member: weights, the live trace, the cache, the modulator state, each unit's gain (G times its
 * gate, as nm_agent_apply_effects gives it without focus), the attention (no set), and the continual and recurrent
 * state the lanes hold */
static void lane_out(const nm_popsimd *s, const nm_group *G, nm_agent *a, size_t l)
{
    get_lane(s, a->block + a->off_params, G->params, s->n_params, l);
    get_lane(s, a->block + a->off_trace, G->trace, s->n_traced, l);
    get_lane(s, a->block + a->off_cache, G->cache, s->cache, l);
    ms_get(s, G, l, &a->mod);
    get_lane(s, a->block + a->off_gain, G->ugain, s->hidden, l);
    get_lane(s, a->block + a->off_attn, G->attn, s->n_obs, l);
    if (G->impl[l]) {
        get_lane(s, a->block + a->off_imp, G->imp, s->n_traced, l);
        get_lane(s, a->block + a->off_omega, G->omega, s->n_traced, l);
        get_lane(s, a->block + a->off_anchor, G->anchor, s->n_traced, l);
    }
    if (!s->rec) return;
    get_lane(s, a->block + a->off_elig, G->eps, s->n_elig, l);
    get_lane(s, a->block + a->off_rstate, G->rstate, s->n_rec, l);
    get_lane(s, a->block + a->off_rprev, G->rprev, s->n_rec, l);
    get_lane(s, rec_dh(a), G->rdh, s->hidden, l);
    get_lane(s, rec_D(a), G->rD, rec_D_len(s), l);
    a->elig_bound[0] = G->eb[l];
    a->rec_defer = G->rdefer[l] ? 1u : 0u;
    a->rec_decay = G->rdecay[l];
}

/* each lane's constants (KC_*) from its member's config */
static void lane_consts(const nm_popsimd *s, nm_group *G, const nm_agent *a, size_t l)
{
    const nm_agent_config *c = &a->cfg;
    float *kc = G->kc;
    size_t k, j;
    kc[KC_NA_THR * W + l] = c->na_threshold;
    kc[KC_FLOOR * W + l] = c->surprise_floor;
    kc[KC_NA_RESET * W + l] = c->na_reset;
    kc[KC_NA_ON * W + l] = (c->modulators & NM_MOD_BIT(NM_NA)) ? 1.0f : 0.0f;
    kc[KC_KS_DA * W + l] = a->modc.inv_tau_phasic[NM_DA];
    kc[KC_REL * W + l] = c->serotonin_input == NM_5HT_RELATIVE ? 1.0f : 0.0f;
    for (k = 0; k < NM_N_MODULATORS; k++) {
        kc[(KC_PD + k) * W + l] = a->modc.phasic_decay[k];
        kc[(KC_KT + k) * W + l] = a->modc.inv_tau_tonic[k];
        kc[(KC_SCALE + k) * W + l] = c->scale[k];
        kc[(KC_ON + k) * W + l] = (c->modulators & NM_MOD_BIT(k)) ? 1.0f : 0.0f;
        for (j = 0; j < NM_N_MODULATORS; j++) kc[(KC_INT + k * NM_N_MODULATORS + j) * W + l] = c->interaction[k][j];
    }
    for (k = 0; k < NM_N_PARAMS; k++) {
        kc[(KC_BASE + k) * W + l] = c->base[k];
        for (j = 0; j < NM_N_MODULATORS; j++) kc[(KC_MAP + k * NM_N_MODULATORS + j) * W + l] = c->mapping[k][j];
    }
    kc[KC_WH * W + l] = (float)c->withhold_action;
    kc[KC_CRITIC * W + l] = c->critic_scale;
    kc[KC_PRED_RATE * W + l] = c->predictor_rate;
}

/* lane l's gains, gate and step factor from its member (which alone changes its gate: a context switch) */
static void lane_gate(const nm_popsimd *s, nm_group *G, const nm_agent *a, size_t l)
{
    size_t i;
    put_lane(s, G->ugain, a->block + a->off_gain, s->hidden, l);
    for (i = 0; i < s->hidden; i++) G->gate[i * W + l] = a->n_gate ? a->block[a->off_gate + i] : 1.0f;
    G->sscale[l] = nm_cont_step_scale(a);
}

static void lane_in(nm_popsimd *s, nm_group *G, const nm_agent *a, size_t l)
{
    put_lane(s, G->params, a->block + a->off_params, s->n_params, l);
    put_lane(s, G->trace, a->block + a->off_trace, s->n_traced, l);
    put_lane(s, G->cache, a->block + a->off_cache, s->cache, l);
    ms_put(s, G, l, &a->mod);
    put_lane(s, G->attn, a->block + a->off_attn, s->n_obs, l);
    lane_gate(s, G, a, l);
    /* the importance, path integral and anchors, where a step may use them (else the member's stay current) */
    G->impl[l] = s->imp && nm_cont_weights_tracked(a);
    if (G->impl[l]) {
        put_lane(s, G->imp, a->block + a->off_imp, s->n_traced, l);
        put_lane(s, G->omega, a->block + a->off_omega, s->n_traced, l);
        put_lane(s, G->anchor, a->block + a->off_anchor, s->n_traced, l);
    }
    lane_consts(s, G, a, l);
    G->tb2[l] = a->trace_bound;
    if (!s->rec) return;
    put_lane(s, G->eps, a->block + a->off_elig, s->n_elig, l);
    put_lane(s, G->rstate, a->block + a->off_rstate, s->n_rec, l);
    put_lane(s, G->rprev, a->block + a->off_rprev, s->n_rec, l);
    put_lane(s, G->rdh, rec_dh(a), s->hidden, l);
    put_lane(s, G->rD, rec_D(a), rec_D_len(s), l);
    G->rleak[l] = a->layer[0].leak;
    G->ralpha[l] = a->layer[0].alpha;
    G->rdecay[l] = a->rec_decay;
    G->rdefer[l] = (a->rec_defer & 1u) != 0;
    G->eb[l] = a->elig_bound[0];
}

/* After a member came in: whether the lane modulator step covers every member (the change-point input it does
 * not); the padding lanes take member lo's constants, so that their arithmetic stays ordinary */
static void group_flags(nm_popsimd *s, nm_group *G, nm_agent *const *member)
{
    size_t l, i;
    G->mod_lanes = 1;
    G->cont = 0;
    for (l = 0; l < G->n; l++) {
        if (member[G->lo + l]->cfg.na_input != NM_NA_SURPRISE) G->mod_lanes = 0;
        if (nm_cont_observes(member[G->lo + l])) G->cont = 1;
    }
    for (l = G->n; l < W; l++)
        for (i = 0; i < KC_N; i++) G->kc[i * W + l] = G->kc[i * W];
}

/* the group's state out to its members (a no-op where they hold it already) */
static void scatter_group(const nm_popsimd *s, const nm_group *G, nm_agent *const *member)
{
    size_t l;
    for (l = 0; l < G->n && !G->own; l++) lane_out(s, G, member[G->lo + l], l);
}

/* the members' state into the lanes, which hold it from now on */
static void gather_group(nm_popsimd *s, nm_group *G, nm_agent *const *member)
{
    size_t l;
    for (l = 0; l < G->n; l++) lane_in(s, G, member[G->lo + l], l);
    group_flags(s, G, member);
    G->own = 0;
}

/* A step's start: 1 when the lanes hold the group's state, taking it back from the members if they held it and
 * every one is in the lanes' scope again; 0 when the members step on their own (the step's own checks still decide
 * whether the lanes can take it) */
static int take_back(nm_popsimd *s, nm_group *G, nm_agent *const *member)
{
    size_t l;
    if (!G->own) return 1;
    for (l = 0; l < G->n; l++) if (!nm_cont_lanes(member[G->lo + l])) return 0;
    gather_group(s, G, member);
    return 1;
}

/* the members step on their own from here: the state goes out to them (once) */
static void hand_out(const nm_popsimd *s, nm_group *G, nm_agent *const *member)
{
    scatter_group(s, G, member);
    G->own = 1;
}

void nm_popsimd_scatter(const nm_popsimd *s, nm_agent *const *member)
{
    size_t g;
    for (g = 0; g < s->groups; g++) scatter_group(s, &s->group[g], member);
}

void nm_popsimd_scatter_one(const nm_popsimd *s, nm_agent *const *member, size_t k)
{
    const nm_group *G = &s->group[k / W];
    if (!G->own) lane_out(s, G, member[k], k % W);
}

void nm_popsimd_gather_one(nm_popsimd *s, nm_agent *const *member, size_t k)
{
    nm_group *G = &s->group[k / W];
    lane_in(s, G, member[k], k % W);
    group_flags(s, G, member);
}

void nm_popsimd_gather(nm_popsimd *s, nm_agent *const *member)
{
    size_t g;
    for (g = 0; g < s->groups; g++) gather_group(s, &s->group[g], member);
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

/* network.c's forward pass for the group: u = attn x (the observations read per lane), the layer, V, and
 * unless value_only the logits and the softmax */
static void forward(const nm_popsimd *s, const nm_group *G, const float *obs, float *C, int value_only)
{
    size_t d = s->n_obs, i, l;
    if ((G->lo + W) * d <= INT32_MAX) {   /* the gather's indices fit */
        s->k->obs_in(d, G->lo, G->n, obs, G->attn, C + s->cl.input * W);
    } else {
        for (l = 0; l < G->n; l++) {
            const float *x = obs + (G->lo + l) * d;
            for (i = 0; i < d; i++) C[(s->cl.input + i) * W + l] = G->attn[i * W + l] * x[i];
        }
    }
    if (s->integ) {
        s->k->int_trunk(s, G, C);
    } else if (s->rec) {
        s->k->rec_trunk(s, G, C);
    } else if (value_only && d == 3) {   /* V(s') only: the trunk's activations are not kept */
        s->k->trunk_value(s, G, C);
        return;
    } else {
        s->k->trunk(s, G, C);
    }
    if (!value_only && s->n_actions == 2) {   /* V and both logits in one pass over h */
        const float *P = G->params, *rows[3], *bias[3];
        float *out[3];
        rows[0] = P + s->value_w * W; rows[1] = P + s->policy_w * W; rows[2] = P + (s->policy_w + s->hidden) * W;
        bias[0] = P + s->value_b * W; bias[1] = P + s->policy_b * W; bias[2] = P + (s->policy_b + 1) * W;
        out[0] = C + s->cl.value * W; out[1] = C + s->cl.logits * W; out[2] = C + (s->cl.logits + 1) * W;
        s->k->dots(s->hidden, 3, rows, C + s->lpost * W, bias, out);
    } else {
        s->k->rows_dot(1, s->hidden, G->params + s->value_w * W, C + s->lpost * W, G->params + s->value_b * W,
                       C + s->cl.value * W);
        if (value_only) return;
        s->k->rows_dot(s->n_actions, s->hidden, G->params + s->policy_w * W, C + s->lpost * W,
                       G->params + s->policy_b * W, C + s->cl.logits * W);
    }
    s->k->softmax(s->n_actions, G->ms + (MS_PARAMS + NM_P_INVERSE_TEMPERATURE) * W,
                  G->ms + (MS_PARAMS + NM_P_WITHHOLD_BIAS) * W, G->kc + KC_WH * W, C + s->cl.logits * W,
                  C + s->cl.probs * W);
}

/* an act's end for each member: its trace bounds, observation and pending action */
static void act_done(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *obs, const int *act,
                     const double *bound, const double *tb2, int *actions)
{
    size_t l, i, d = s->n_obs;
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        a->trace_bound = bound[l];
        G->tb2[l] = tb2[l];
        for (i = 0; i < d; i++) a->block[a->off_obs + i] = obs[(G->lo + l) * d + i];
        a->pending = 1;
        a->pending_action = act[l];
        a->msg[0] = '\0';
        actions[G->lo + l] = act[l];
    }
}

/* nm_net_trace_inplace for a recurrent trunk: phase one (the heads' share of dh, rec_delta's D and sums, the
 * eligibility bound eb = leak eb + |z| |D| and the layer's share of the norm, the trace bound); once every lane's
 * bound is safe, the heads' rows of the trace in place, the layer's pass left pending for learn (rec_defer), and
 * the state advanced (h_{t-1} <- h, h <- post). 0 when a bound is not safe: the generators restored, nothing
 * else written that the members' own act would not write again (dh and D, which only a pending pass reads). */
static int act_rec(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const int *act, const float *decay,
                   const double *hh, const double *heads, const nm_rng *rng0, const float *obs, int *actions)
{
    double pd[NM_LANES], qd[NM_LANES], md[NM_LANES], zz[NM_LANES], bound[NM_LANES], tb2[NM_LANES], eb[NM_LANES];
    size_t l;
    if (s->integ) s->k->int_delta(s, G, pd);
    else s->k->rec_delta(s, G, pd, qd, md);
    s->k->sumsq(s->n_obs + s->hidden + 1, G->cache + s->lz * W, zz);
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        double n2, grad;
        if (s->integ) {   /* int_delta's: |zbar_new| <= leak |zbar| + |z|, and |c zbar'|^2 <= |c|^2 that^2 */
            eb[l] = (double)G->rleak[l] * G->eb[l] + sqrt(zz[l]);
            n2 = pd[l] * eb[l] * eb[l];
        } else {
            eb[l] = (double)G->rleak[l] * G->eb[l] + sqrt(zz[l] * pd[l]);
            n2 = (qd[l] == qd[l] ? md[l] : qd[l]) * eb[l] * eb[l];
        }
        grad = sqrt((0.0 + n2) + heads[l] * hh[l]);
        bound[l] = fabs((double)decay[l]) * a->trace_bound + grad;
        tb2[l] = fabs((double)decay[l]) * G->tb2[l] + grad;
        if (!(bound[l] < NM_SAFE_BOUND)) {
            size_t m;
            for (m = 0; m < G->n; m++) member[G->lo + m]->rng = rng0[m];
            return 0;
        }
    }
    s->k->head_bias(s, G, decay);
    s->k->rec_heads(s, G, decay);
    for (l = 0; l < G->n; l++) {
        G->rdefer[l] = 1;
        G->rdecay[l] = decay[l];
        G->eb[l] = eb[l];
    }
    /* nm_net_state_advance: h_{t-1} <- h, h <- post (and the integrator's v <- v_t) */
    memcpy(G->rprev, G->rstate, s->n_rec * W * sizeof *G->rprev);
    memcpy(G->rstate, G->cache + s->lpost * W, s->hidden * W * sizeof *G->rstate);
    if (s->integ)
        memcpy(G->rstate + s->hidden * W, G->cache + s->lvnow * W, s->hidden * W * sizeof *G->rstate);
    act_done(s, G, member, obs, act, bound, tb2, actions);
    return 1;
}

/* 1 when stepped; 0 when the group must step member by member (nothing of any member changed) */
static int act_fast(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *obs, int *actions)
{
    const nm_agent *a0 = member[G->lo];
    const nm_layer *L = &a0->layer[0];
    const nm_cache_layout *cl = &a0->cl;
    size_t A = a0->cfg.n_actions, F = a0->n_features, l;
    float *C = G->cache, *dh = G->dh;
    const float *h = C + L->post * W, *u = C + cl->input * W;
    const float *disc = G->ms + (MS_PARAMS + NM_P_DISCOUNT) * W, *lambda = G->ms + (MS_PARAMS + NM_P_TRACE_DECAY) * W;
    float decay[NM_LANES];
    double hh[NM_LANES], heads[NM_LANES], n_dh[NM_LANES], n_in[NM_LANES], bound[NM_LANES], tb2[NM_LANES];
    int act[NM_LANES];
    uint32_t bad[NM_LANES], bad2[NM_LANES];
    nm_rng rng0[NM_LANES];
    int held = 0;

    /* a member the lanes cannot take this step (a window finding the context, consolidation without importance):
     * the members decide */
    for (l = 0; l < G->n && G->cont; l++) if (!nm_cont_lanes(member[G->lo + l])) return 0;
    /* an act after an act: the lone agent settles the first one's deferred pass first (the members do) */
    for (l = 0; l < G->n && s->rec; l++) if (G->rdefer[l]) return 0;
    /* a non-finite observation: the lone agent refuses it before its forward pass (the group's members' are
     * contiguous: one pass without branches) */
    if (!nm_finite_all(obs + G->lo * s->n_obs, G->n * s->n_obs)) return 0;
    /* a member whose act is still pending (no learn since, or a refused one): the lone agent keeps that act's cache
     * aside while this act may be refused, and so does the group, in learn's s' scratch (not live in act), so that
     * a refusal below hands the members their pending caches */
    for (l = 0; l < G->n && !held; l++) held = member[G->lo + l]->pending;
    if (held) memcpy(G->next, C, s->cache * W * sizeof *C);
    /* the lone agent's checks of the forward pass: a finite observation makes a finite attended input (attention
     * is finite) only if the product does not overflow, and a finite pre-activation a finite tanh, so the input,
     * the pre-activations and the heads are checked (a failure steps the group member by member, through each
     * member's own act) */
    forward(s, G, obs, C, 0);
    if (L->post + F == cl->logits && !s->rec) {   /* the layout: input, pre, post, then the heads */
        s->k->nonfinite(L->post, C, bad);
        s->k->nonfinite(cl->size - cl->logits, C + cl->logits * W, bad2);
    } else {
        s->k->nonfinite(cl->size, C, bad);
        memset(bad2, 0, sizeof bad2);
    }
    for (l = 0; l < G->n; l++) if (bad[l] | bad2[l]) goto refused;
    for (l = 0; l < W; l++) {
        act[l] = 0; decay[l] = 0.0f; heads[l] = 0.0;
        if (l >= G->n) continue;
        nm_agent *a = member[G->lo + l];
        rng0[l] = a->rng;
        act[l] = sample(&a->rng, C + cl->probs * W + l, W, A);
        decay[l] = disc[l] * lambda[l];
    }
    /* nm_net_trace_inplace with w_logpi 1 and w_value critic_scale: each head row's g, every unit's dh and the
     * bounds first; the trace is written in place only once every lane's bound is safe */
    s->k->sumsq(F, h, hh);
    for (l = 0; l < W; l++) hh[l] += 1.0;
    s->k->head_g(s, G, act, heads);
    if (s->rec) {
        if (act_rec(s, G, member, act, decay, hh, heads, rng0, obs, actions)) return 1;
        goto refused;
    }
    s->k->act_delta(s, G);
    s->k->sumsq(L->out, dh, n_dh);
    s->k->sumsq(L->in, u, n_in);
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        double norm2 = 0.0 + n_dh[l] * (n_in[l] + 1.0), grad = sqrt(norm2 + heads[l] * hh[l]);
        bound[l] = fabs((double)decay[l]) * a->trace_bound + grad;
        tb2[l] = fabs((double)decay[l]) * G->tb2[l] + grad;
        if (!(bound[l] < NM_SAFE_BOUND)) {   /* learner_rate.c's rare path: the members decide */
            size_t m;
            for (m = 0; m < G->n; m++) member[G->lo + m]->rng = rng0[m];
            goto refused;
        }
    }
    s->k->head_bias(s, G, decay);
    s->k->act_trace(s, G, decay);
    act_done(s, G, member, obs, act, bound, tb2, actions);
    return 1;
refused:   /* the members act on their own (the generators are as they were) */
    if (held) memcpy(C, G->next, s->cache * W * sizeof *C);
    return 0;
}

/* learn's update fused with the pull in the lanes whose member pulls this step (continual.c's nm_cont_update_pull:
 * a second context, a positive strength): 0 when none does (the caller takes the plain update). step NULL: the
 * pull alone, after an update already taken. */
static int update_pull(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *step)
{
    float k[NM_LANES];
    int on[NM_LANES], any = 0;
    size_t l;
    for (l = 0; l < W; l++) { k[l] = 0.0f; on[l] = 0; }
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        if (!G->impl[l] || a->n_ctx < 2) continue;
        ms_get(s, G, l, &a->mod);   /* the state before this step's commit, as the lone update reads it */
        k[l] = nm_cont_pull_strength(a);
        on[l] = k[l] > 0.0f;
        any |= on[l];
    }
    if (!any) return 0;
    s->k->update_pull(s->n_traced, step, k, on, G->trace, G->imp, G->anchor, G->params);
    return 1;
}

/* nm_cont_observe, as the lone learn ends (before an episode's end clears the trace), on each member's own
 * continual state with the modulators just committed: SI's pass over the weights runs in the lanes (every member
 * it runs for, at once), the rest on the member. Where the detector may find a boundary (which keeps, and may
 * restore, the weights) the member takes the group's state first, observes on its own and gives it back after. A
 * member whose observation changed its gate (open_yield's first learn) gives the lanes its new gains. */
static void observe(nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *step, const float *rw)
{
    float alpha[NM_LANES];
    int own[NM_LANES], on[NM_LANES], ewc[NM_LANES], any = 0;
    size_t l;
    for (l = 0; l < W; l++) { alpha[l] = 1.0f; on[l] = own[l] = ewc[l] = 0; }
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        ms_get(s, G, l, &a->mod);
        own[l] = nm_cont_may_touch(a);
        if (!own[l] && G->impl[l]) {
            int pass = nm_cont_importance_pass(a, &alpha[l]);
            ewc[l] = pass == NM_IMP_PASS_EWC;
            on[l] = pass != NM_IMP_PASS_NONE;
            any |= on[l];
        }
    }
    if (any) s->k->importance(s->n_traced, step, alpha, on, ewc, G->trace, G->omega);
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        if (own[l]) {
            lane_out(s, G, a, l);
            nm_cont_observe(a, step[l], rw[l]);
            lane_in(s, G, a, l);
            group_flags(s, G, member);
        } else if (nm_cont_observe_rest(a, step[l], rw[l])) {
            lane_gate(s, G, a, l);
        }
    }
}

/* act's pending passes over a recurrent trunk, without the update (nm_net_settle's), in the lanes that have one */
static void rec_settle(const nm_popsimd *s, nm_group *G)
{
    int any = 0;
    size_t l;
    for (l = 0; l < G->n; l++) any |= G->rdefer[l];
    if (any) (s->integ ? s->k->int_pass : s->k->rec_pass)(s, G, G->rdefer, NULL, NULL);
    for (l = 0; l < W; l++) G->rdefer[l] = 0;
}

/* nm_net_update for a recurrent trunk: the pending pass fused with the layer's update where every member has one
 * (an episode's end writing 0 into its eligibility and trace, as the lone agent's clear would, where the member
 * keeps no importance to read them first), axpy's for the rest; otherwise settled, then axpy over every weight
 * (element by element, the same bits either way) */
static void rec_update(const nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *step, const int *term)
{
    size_t l, from = s->lw + (s->n_obs + s->hidden + 1) * s->hidden;
    int all = 1, zero[NM_LANES];
    for (l = 0; l < W; l++) zero[l] = 0;
    for (l = 0; l < G->n; l++) {
        all &= G->rdefer[l];
        zero[l] = term[l] && !member[G->lo + l]->n_imp;
    }
    if (!all) {
        rec_settle(s, G);
        s->k->axpy(s->n_traced, step, G->trace, G->params);
        return;
    }
    if (s->lw) s->k->axpy(s->lw, step, G->trace, G->params);
    (s->integ ? s->k->int_pass : s->k->rec_pass)(s, G, NULL, step, zero);
    s->k->axpy(s->n_traced - from, step, G->trace + from * W, G->params + from * W);
    for (l = 0; l < W; l++) G->rdefer[l] = 0;
}

static int learn_fast(nm_popsimd *s, nm_group *G, nm_agent *const *member, const float *rewards,
                      const float *next_obs, const int *terminals)
{
    const nm_agent *a0 = member[G->lo];
    const nm_layer *L = &a0->layer[0];
    const nm_cache_layout *cl = &a0->cl;
    size_t d = a0->cfg.n_obs, A = a0->cfg.n_actions, F = a0->n_features, l, any_next = 0, any_norm = 0;
    float *C = G->cache, *P = G->params, *O = G->trace, *dq = G->next, *du = G->next + A * W;
    const float *h = C + L->post * W;
    const float *ms = G->ms;
    float step[NM_LANES], delta[NM_LANES], eta[NM_LANES], eta_var[NM_LANES], hhp[NM_LANES];
    float ones[NM_LANES], keep[NM_LANES], rw[NM_LANES], sp[NM_LANES], ex[NM_LANES], vn[NM_LANES];
    float next[NM_MS * NM_LANES];   /* the modulators' next state, committed when every check passed */
    double tn[NM_LANES], enorm[NM_LANES];
    int term[NM_LANES], act[NM_LANES], on[NM_LANES], frozen[NM_LANES], any_frozen = 0, shrink;
    int32_t reset[NM_LANES];
    uint32_t bad[NM_LANES];

    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        term[l] = terminals ? terminals[G->lo + l] != 0 : 0;
        frozen[l] = a->frozen;
        any_frozen |= frozen[l];
        /* not plastic for another reason than a freeze (a window finding the context): the member's own code */
        if (!a->pending || !isfinite(rewards[G->lo + l]) || (!nm_plastic(a) && !a->frozen) ||
            (G->cont && !nm_cont_lanes(a)) ||
            (a->n_imp && !G->impl[l] && nm_cont_weights_tracked(a)))
            return 0;
        if (!term[l]) any_next = 1;
        act[l] = a->pending_action;
        rw[l] = rewards[G->lo + l];
    }
    for (; l < W; l++) { term[l] = 1; act[l] = -1; rw[l] = 0.0f; }
    for (l = 0; l < W; l++) { ones[l] = 1.0f; on[l] = 0; vn[l] = 0.0f; }
    if (any_next) {
        /* V(s'); a non-finite next observation makes the attended input non-finite (the lone agent refuses it) */
        forward(s, G, next_obs, G->next, 1);
        s->k->nonfinite(d, G->next + cl->input * W, bad);
        for (l = 0; l < G->n; l++) {
            if (bad[l]) return 0;
            if (!term[l]) vn[l] = G->next[cl->value * W + l];   /* before dq reuses next */
        }
    } else if (next_obs) {   /* the group's members' are contiguous */
        if (!nm_finite_all(next_obs + G->lo * d, G->n * d)) return 0;
    }
    /* the predictor (predictor.c): both heads' rows for every action, the one taken selected per lane */
    if (A == 2) {   /* q's rows and |h|^2, then u's rows: two passes over h */
        const float *rows[3], *bias[3];
        float *out[3];
        rows[0] = P + a0->pred_w * W; rows[1] = P + (a0->pred_w + F) * W; rows[2] = h;
        bias[0] = P + a0->pred_b * W; bias[1] = P + (a0->pred_b + 1) * W; bias[2] = ones;
        out[0] = dq; out[1] = dq + W; out[2] = hhp;
        s->k->dots(F, 3, rows, h, bias, out);
        rows[0] = P + a0->var_w * W; rows[1] = P + (a0->var_w + F) * W;
        bias[0] = P + a0->var_b * W; bias[1] = P + (a0->var_b + 1) * W;
        out[0] = du; out[1] = du + W;
        s->k->dots(F, 2, rows, h, bias, out);
    } else {
        s->k->rows_dot(A, F, P + a0->pred_w * W, h, P + a0->pred_b * W, dq);
        s->k->rows_dot(A, F, P + a0->var_w * W, h, P + a0->var_b * W, du);
        s->k->rows_dot(1, F, h, h, ones, hhp);
    }
    s->k->learn_sig(s, G, act, rw, vn, dq, du, hhp, delta, step, eta, eta_var, sp, ex, bad);
    for (l = 0; l < G->n; l++) {   /* a gated member's step times its gate's factor (gate_step) */
        if (!member[G->lo + l]->n_gate || bad[l]) continue;
        step[l] *= G->sscale[l];
        if (!isfinite(step[l])) return 0;
    }
    for (l = 0; l < G->n; l++) {
        const nm_agent *a = member[G->lo + l];
        if (bad[l]) return 0;   /* a non-finite step of the update or of the predictor */
        enorm[l] = G->tb2[l];   /* a bound on the norm, as the lone agent's trace_bound (and never above it) */
        if (a->cfg.max_update > 0.0f && !(fabs((double)step[l]) * G->tb2[l] * (1.0 + 1e-3) <= a->cfg.max_update))
            on[l] = 1, any_norm = 1;
    }
    if (any_norm) {   /* the exact trace norm, where the clip may act */
        if (s->rec) rec_settle(s, G);   /* the lone agent settles first; the update's bits are the same */
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
    /* update_finite without consolidation: beyond this reach the lone agent scans every weight */
    for (l = 0; l < G->n; l++)
        if (!(fabs((double)step[l]) * enorm[l] * (1.0 + 1e-3) <= 1e30)) return 0;
    for (l = 0; l < G->n; l++) if (on[l]) G->tb2[l] = enorm[l];   /* the exact norm, once nothing can refuse */
    /* the modulator step (taken before the update: it reads no weight without the attentional set) */
    if (G->mod_lanes) {
        s->k->mod_step(G->kc, ms, next, rw, delta, sp, ex, reset);
        s->k->nonfinite(NM_MS, next, bad);   /* nm_agent_modulate_prepare's check */
        for (l = 0; l < G->n; l++) if (bad[l]) return 0;
    } else {
        for (l = 0; l < G->n; l++) {
            nm_agent *a = member[G->lo + l];
            nm_mod_signals sig;
            nm_modstate mn;
            nm_mod_effects fx;
            sig.reward = rw[l];
            sig.delta = delta[l];
            sig.surprise = sp[l];
            sig.expected = ex[l];
            sig.activity[0] = a->block + a->off_cache + L->post;   /* not read: no gain focus */
            sig.salience = NULL;
            ms_get(s, G, l, &a->mod);   /* the group holds the state: the agent's copy is brought up to date */
            if (nm_agent_modulate_prepare(a, &sig, &mn, &fx) != NM_OK) return 0;
            {
                float f[NM_MS];
                size_t i;
                memcpy(f, &mn, sizeof mn);
                for (i = 0; i < NM_MS; i++) next[i * W + l] = f[i];
            }
            reset[l] = fx.reset;
        }
        for (l = G->n; l < W; l++) {   /* the padding lanes keep theirs */
            size_t i;
            for (i = 0; i < NM_MS; i++) next[i * W + l] = ms[i * W + l];
        }
    }
    /* the predictor rows' new values, into the scratch (dh: 2 max_width lane vectors, F each) */
    for (l = 0; l < W; l++) bad[l] = 0;
    s->k->pred_rows(s, G, act, eta, eta_var, bad, 0);
    for (l = 0; l < G->n; l++) if (bad[l]) return 0;

    /* every check passed (a frozen member makes them too, as the lone learn does): the update, with the
     * importance-weighted pull where a member has one (its strength from the modulators before this step's commit);
     * a frozen member's weights are kept aside first and put back once the update, the predictor's rows and the
     * policy reset have run (its trace, modulators and bookkeeping step as the lone agent's do) */
    for (l = 0; l < G->n && any_frozen; l++) if (frozen[l]) get_lane(s, G->fsave + l * s->n_params, P, s->n_params, l);
    if (s->rec) {   /* the fused pass, then the pull (the lone agent's order while a pass is pending) */
        rec_update(s, G, member, step, term);
        if (s->imp) (void)update_pull(s, G, member, NULL);
    } else if (!s->imp || !update_pull(s, G, member, step)) {
        s->k->axpy(s->n_traced, step, O, P);
    }
    s->k->pred_rows(s, G, act, eta, eta_var, bad, 1);
    for (l = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        float na;
        P[(a0->pred_b + act[l]) * W + l] += eta[l];
        P[(a0->var_b + act[l]) * W + l] += eta_var[l];
        na = next[(MS_LEVEL + NM_NA) * W + l];
        on[l] = a->cfg.policy_reset > 0.0f && na > 0.0f;
        keep[l] = on[l] ? 1.0f - a->cfg.policy_reset * (na > 1.0f ? 1.0f : na) : 1.0f;
    }
    for (; l < W; l++) { on[l] = 0; keep[l] = 1.0f; }
    /* nm_agent_modulate_commit: the state, and the effects (every unit's gain G times its gate, every input's
     * attention A) */
    memcpy(G->ms, next, NM_MS * W * sizeof *next);
    s->k->gate_gain(s, G);
    for (l = 0; l < s->n_obs; l++) memcpy(G->attn + l * W, next + (MS_PARAMS + NM_P_ATTENTION) * W, W * sizeof *next);
    /* policy_reset: the policy rows, then their biases, which follow them (a pass only where a lane shrinks) */
    for (l = 0, shrink = 0; l < G->n; l++) shrink |= on[l];
    if (shrink) s->k->scal(A * F + A, keep, on, P + a0->policy_w * W);
    for (l = 0; l < G->n && any_frozen; l++) if (frozen[l]) put_lane(s, P, G->fsave + l * s->n_params, s->n_params, l);
    /* nm_cont_observe, as the lone learn ends (before an episode's end clears the trace): on the member's own
     * continual state, with the modulators just committed; where it may find a boundary (which keeps, and may
     * restore, the weights) the member takes the group's state first and gives it back after */
    if (G->cont) observe(s, G, member, step, rw);
    for (l = 0, shrink = 0; l < G->n; l++) {
        nm_agent *a = member[G->lo + l];
        on[l] = term[l] || reset[l];
        if (on[l]) {
            a->trace_bound = 0.0;
            G->tb2[l] = 0.0;
            shrink = 1;
        }
        a->pending = 0;
        a->steps++;
        a->msg[0] = '\0';
    }
    if (shrink) s->k->clear(s->n_traced, on, O);   /* those members' traces, in one pass over the group's */
    for (l = 0, shrink = 0; l < G->n && s->rec; l++) {   /* an episode's end clears the state too */
        on[l] = term[l];
        if (term[l]) G->eb[l] = 0.0, shrink = 1;
    }
    if (shrink) {
        s->k->clear(s->n_elig, on, G->eps);
        s->k->clear(s->n_rec, on, G->rstate);
        s->k->clear(s->n_rec, on, G->rprev);
    }
    return 1;
}

/* G's scratch: slot's (each group is stepped by one thread in a call, and a slot serves one thread) */
static void bind_scratch(const nm_popsimd *s, nm_group *G, size_t slot)
{
    float *m = s->scratch + (16 - ((uintptr_t)s->scratch / sizeof(float)) % 16) % 16 +
               (slot < s->slots ? slot : 0) * s->slot_floats;
    G->fsave = m + s->slot_floats - s->n_params * W;   /* the slot's end */
    G->next = m; m += s->cache * W;
    G->dh = m; m += 2 * s->width * W;
    G->gv = m;
}

void nm_popsimd_act(nm_popsimd *s, nm_agent *const *member, size_t g, size_t slot, const float *obs, int *actions,
                    nm_status *status)
{
    nm_group *G = &s->group[g];
    size_t l, d = member[0]->cfg.n_obs;
    bind_scratch(s, G, slot);
    if (take_back(s, G, member) && act_fast(s, G, member, obs, actions)) {
        for (l = 0; l < G->n; l++) status[G->lo + l] = NM_OK;
        return;
    }
    hand_out(s, G, member);
    for (l = 0; l < G->n; l++) {
        size_t k = G->lo + l;
        status[k] = nm_agent_act(member[k], obs + k * d, d, actions + k);
    }
}

void nm_popsimd_learn(nm_popsimd *s, nm_agent *const *member, size_t g, size_t slot, const float *rewards,
                      const float *next_obs, const int *terminals, nm_status *status)
{
    nm_group *G = &s->group[g];
    size_t l, d = member[0]->cfg.n_obs;
    bind_scratch(s, G, slot);
    if (take_back(s, G, member) && learn_fast(s, G, member, rewards, next_obs, terminals)) {
        for (l = 0; l < G->n; l++) status[G->lo + l] = NM_OK;
    } else {
        hand_out(s, G, member);
        for (l = 0; l < G->n; l++) {
            size_t k = G->lo + l;
            status[k] = nm_agent_learn(member[k], rewards[k], next_obs ? next_obs + k * d : NULL, next_obs ? d : 0,
                                       terminals ? terminals[k] != 0 : 0);
        }
    }
}

nm_status nm_popsimd_member_learn_act(nm_agent *a, float reward, const float *next_obs, size_t d, int terminal,
                                      const float *obs, int *action)
{
    nm_status st = a->pending ? nm_agent_learn(a, reward, next_obs, next_obs ? d : 0, terminal) : NM_OK;
    return st == NM_OK ? nm_agent_act(a, obs, d, action) : st;
}

/* Group g's learn, then the act of each member whose learn succeeded, while the group's state is still in this core's
 * cache (nm_population_step); a member whose learn failed keeps learn's status and does not act; a member with no
 * act to learn from (reset or replaced) only acts. */
void nm_popsimd_learn_act(nm_popsimd *s, nm_agent *const *member, size_t g, size_t slot, const float *rewards,
                          const float *next_obs, const int *terminals, const float *obs, int *actions,
                          nm_status *status)
{
    nm_group *G = &s->group[g];
    size_t l, d = member[0]->cfg.n_obs;
    int all = 1;
    for (l = 0; l < G->n; l++) all &= member[G->lo + l]->pending;
    if (!all) {   /* some member has nothing to learn from: each member on its own */
        hand_out(s, G, member);
        for (l = 0; l < G->n; l++) {
            size_t k = G->lo + l;
            status[k] = nm_popsimd_member_learn_act(member[k], rewards[k], next_obs ? next_obs + k * d : NULL, d,
                                                    terminals ? terminals[k] != 0 : 0, obs + k * d, actions + k);
        }
        return;
    }
    nm_popsimd_learn(s, member, g, slot, rewards, next_obs, terminals, status);
    for (l = 0; l < G->n; l++) all &= status[G->lo + l] == NM_OK;
    if (all) {
        nm_popsimd_act(s, member, g, slot, obs, actions, status);
        return;
    }
    hand_out(s, G, member);
    for (l = 0; l < G->n; l++) {
        size_t k = G->lo + l;
        if (status[k] == NM_OK) status[k] = nm_agent_act(member[k], obs + k * d, d, actions + k);
    }
}
