/*
 * nm_internal.h -- the agent's private layout, shared by the core's .c files. Not installed.
 *
 * Memory: one float block holds everything the agent learns or carries between calls, carved by the
 * offsets below, so that the update is one axpy and a checkpoint writes slices of it (checkpoint.c):
 *
 *   params   [ trunk W0 b0 .. W(L-1) b(L-1) | policy Wp bp | value wv bv | predictor Wq bq | Wu bu ]
 *   trace    [ same layout as params up to the predictor ]       eligibility traces e (the slot the hash and
 *                                                                  checkpoints place them in; see trace2)
 *   anchor   [ the same, only when base consolidation > 0 ]     slow weights: prior knowledge
 *   gain     per hidden unit (all layers)                         NA adaptive gain, neuron scale
 *   attn     per input                                            ACh attention, neuron scale
 *   salience per input                                            slow input salience (ACh attentional set)
 *   activity per hidden unit                                      running mean of |h| (NA's gain focus)
 *   cache    forward activations of the pending step, for its learn (a checkpoint redoes them from obs)
 *   scratch  backward buffers and the forward pass of s'
 *   obs      the observation of the pending step (act keeps it so a checkpoint can redo the forward pass)
 *   backup   what learn overwrites before it knows the result is finite (attentional set on): its weights and
 *            anchor, restored if not (n_params + n_anchor floats)
 *   modnext  the modulator step's salience, activity, focus and set, committed only when finite
 *   trace2   the trace's second buffer, for act's fallback only. act's usual step writes the new trace over the
 *            live one, in place, once a bound from O(width) norms (nm_net_trace_inplace) says it will be finite:
 *            it cannot be refused then. Where the bound cannot say so (an unknown bound after a checkpoint load,
 *            or one too large) act writes the new trace into this buffer and swaps them (off_trace, off_trace2)
 *            only when it is kept, so a refused act has nothing to restore. off_trace is the live one, in either
 *            place; the hash and checkpoints read it at off_trace.
 *   rstate   recurrent layers only (empty otherwise): each recurrent unit's hidden state h, what the next act
 *            (and learn's bootstrap of V(s')) reads as h_{t-1}
 *   rprev    the h_{t-1} the pending act read (a checkpoint redoes its forward pass from obs and this)
 *   elig     the recurrent layers' eligibility vectors (e-prop), one per weight and bias of those layers
 *   elig2    their second buffer: act's fallback writes the new vectors there and swaps (off_elig, off_elig2)
 *            with the trace; its usual step updates them in place with the trace
 *   rscratch a recurrent layer's backward scratch (2 floats per recurrent unit); its units' derivatives wait
 *            there, with dh below and the cache's z, for the eligibility and trace writes act leaves to learn
 *   dh       one float per hidden unit: each layer's dh, kept between the two phases of act's usual step (and,
 *            for a recurrent layer, until learn's update makes its deferred writes: nm_net_update)
 */
#ifndef NM_INTERNAL_H
#define NM_INTERNAL_H

#include "neuromod.h"

#define NM_MSG_LEN 256

/* simd.c: the element-wise kernels of a step, one set per instruction set; every set gives the same bits. */
typedef struct nm_kernels {
    const char *name;     /* "avx512", "avx2" or "generic" */
    void (*gemv_bias_narrow)(size_t rows, size_t cols, const float *A, const float *x, const float *b, float *y);
    void (*axpy)(size_t n, float alpha, const float *x, float *y);
    /* the out-of-place trace kernels read the old trace from src (or S) and write the new one to dst (or A),
     * which must not overlap it; the _inplace ones (and scal) update one buffer, with the same arithmetic */
    void (*axpy_decay)(size_t n, float decay, float alpha, const float *x, const float *src, float *dst);
    void (*scal)(size_t n, float alpha, float *x);
    void (*scal_to)(size_t n, float alpha, const float *src, float *dst);
    void (*ger_decay)(size_t rows, size_t cols, float decay, float alpha, const float *x, const float *y,
                      const float *S, float *A);
    void (*axpy_decay_inplace)(size_t n, float decay, float alpha, const float *x, float *e);
    void (*ger_decay_inplace)(size_t rows, size_t cols, float decay, float alpha, const float *x, const float *y,
                              float *A);
    void (*gain_tanh)(size_t n, const float *g, float *pre, float *post);
    void (*tanh_backward)(size_t n, const float *post, const float *g, float *dh);
    void (*head_backward)(size_t n, float decay, float g, const float *h, const float *src, float *dst,
                          const float *w, float *dh);
    /* dh (zeroed first when first) += sum_r g[r] w[r] (n floats each) in row order: head_backward's dh of rows
     * (at most 3) rows at once */
    void (*heads_dh)(size_t n, size_t rows, int first, const float *g, const float *const *w, float *dh);
    /* e[r] = decay e[r] + g[r] h for rows (at most 3) rows: head_backward's trace rows, in place */
    void (*heads_trace)(size_t n, size_t rows, float decay, const float *g, float *const *e, const float *h);
    double (*sumsq)(size_t n, const float *a);
    int (*axpy_finite)(size_t n, float alpha, const float *x, const float *y);
    int (*all_finite)(size_t n, const float *x);
    void (*fill)(size_t n, float v, float *x);
    /* sum a_j b_j in nm_dot4's order, and y = b + A x with it per row: the same bits in every set */
    float (*dot)(size_t n, const float *a, const float *b);
    void (*gemv_bias)(size_t rows, size_t cols, const float *A, const float *x, const float *b, float *y);
    /* the recurrent layer (layer_recurrent.c, simd_kernels.h): its forward product and its eligibility and
     * trace step, over its weights stored by input column (in place when eps_new = eps_old and e = old; acc, each
     * unit's sum of squared eligibilities, NULL: not taken) */
    void (*rec_gemv)(size_t n, size_t ncols, const float *A, const float *z, float *y);
    void (*rec_trace)(size_t n, size_t ncols, float leak, float decay, const float *D, const float *g,
                      const float *z, const float *eps_old, float *eps_new, const float *old, float *e, float *acc);
    /* sum_i dh_i^2 acc_i in double (eight partial sums), then dh <- dh . d (the layer's gradient norm, then d/d pre;
     * d NULL leaves dh: the in-place step has du already) */
    double (*rec_norm)(size_t n, const float *d, const float *acc, float *dh);
    /* post = hprev leak + alpha a (the leak); d = alpha (1 - a^2) gain (d h_t / d pre-gain sum, tanh) */
    void (*rec_leak)(size_t n, float leak, float alpha, const float *hprev, const float *a, float *post);
    void (*rec_units_tanh)(size_t n, float alpha, const float *a, const float *gain, float *d);
    /* act's phase one in one pass: d as rec_units (relu or tanh), du = dh . d, sumsq's sums of d and dh
     * (sums[0], sums[1]), each in sumsq's order, and the largest dh_i^2 (sums[2]) */
    void (*rec_delta)(size_t n, int relu, float alpha, const float *a, const float *gain, const float *dh,
                      float *d, float *du, double *sums);
    /* rec_trace in place (acc NULL) fused with learn's update W = W + step e over the same synapses */
    void (*rec_trace_update)(size_t n, size_t ncols, float leak, float decay, const float *D, const float *g,
                             const float *z, float *eps, float *e, float *W, float step, int rev, int zero);
    /* ger_decay_inplace (alpha 1) fused with learn's update W = W + step e (axpy's) over the same rows x cols
     * weights: the integrator layer's deferred pass. rev: the rows last to first; zero: e takes 0 after its step */
    void (*ger_decay_update)(size_t rows, size_t cols, float decay, const float *x, const float *y, float *e,
                             float *W, float step, int rev, int zero);
    /* consolidation (learner_rate.c) over n weights: whether t = theta + step e, then t - kappa (t - anchor) and
     * anchor + follow ((t - anchor) - kappa (t - anchor)), are all finite; and its pull itself, theta and anchor
     * in place (each float's arithmetic spelled as the learner had it) */
    int (*consolidate_finite)(size_t n, float step, float kappa, float follow, const float *theta, const float *trace,
                              const float *anchor);
    void (*consolidate)(size_t n, float kappa, float follow, float *theta, float *anchor);
    int blas;             /* 1: shapes of NM_BLAS_MIN elements or more go to OpenBLAS (config.deterministic off) */
} nm_kernels;
/* The set called name if this CPU runs it (NULL if not, or no such set); with name NULL, the widest it runs.
 * The set found never calls BLAS; nm_kernels_blas gives its twin that may (the same kernels otherwise). */
const nm_kernels *nm_kernels_find(const char *name);
const nm_kernels *nm_kernels_blas(const nm_kernels *k);

/* The kinds of trunk layer and of learner. Only one of each exists yet; a new kind is a new file with its
 * operations table and an entry in the table that finds it (layer.c, agent.c), not a branch elsewhere. */
#define NM_N_LAYER_KINDS 3  /* nm_layer_kind and nm_model are public (neuromod.h): how many of each exist */
#define NM_N_MODELS 2

/* ReLU with the unit's gain, forward and backward, for any layer kind (tanh is the kernel sets' gain_tanh and
 * tanh_backward). The derivative is read from the output: post > 0 exactly when pre > 0 (NaN and -0 too). */
static inline void nm_gain_relu(size_t n, const float *g, float *pre, float *post)
{
    size_t i;
    for (i = 0; i < n; i++) pre[i] *= g[i];
    for (i = 0; i < n; i++) post[i] = pre[i] > 0.0f ? pre[i] : 0.0f;
}
static inline void nm_relu_backward(size_t n, const float *post, const float *g, float *dh)
{
    size_t i;
    for (i = 0; i < n; i++) dh[i] *= (post[i] > 0.0f ? 1.0f : 0.0f) * g[i];
}

typedef struct nm_layer_ops nm_layer_ops;

/* One trunk layer: its kind, shapes, slices of the parameter and trace blocks, and its per-unit state. */
typedef struct nm_layer {
    nm_layer_kind kind;
    nm_activation activation;
    const nm_layer_ops *ops;          /* the operations of the kind with that activation, set at layout */
    size_t in, out;
    size_t w, b;          /* offsets of weight (wrows x wcols) and bias (out) in params/trace */
    size_t wrows, wcols;  /* the weight tensor's row-major shape: out x in (dense); (in + out) x out (recurrent:
                           * [W U]' by input column, the bias after it as one more column) */
    size_t gain;          /* offset of this layer's units in the per-unit vectors (gain, activity) */
    size_t pre, post;     /* offsets in a forward cache: gain * (W x + b) and f(that) */
    /* recurrent kinds only */
    size_t state;         /* offset of the layer's state in rstate and rprev: h, then any more (n_state floats) */
    size_t n_state;       /* out (h), or more for a kind that carries more than its output (the integrator: h, v) */
    size_t state_now;     /* with n_state > out: where a forward cache holds the step's new state beyond h ... */
    size_t state_prev;    /* ... and where the forward pass puts the previous one for the layer to read */
    size_t elig;          /* offset of its eligibility vectors in elig */
    size_t n_eps;         /* their floats: one per synapse (recurrent), one per input column (integrator) */
    size_t z;             /* offset in a forward cache of its input z = [in; h_{t-1}; 1] */
    float leak, alpha;    /* 1 - 1/tau and 1/tau */
} nm_layer;

/* The operations of one layer kind with one activation (chosen once, at layout, so no step branches on it),
 * called with explicit shapes (the descriptor) and pointers. */
struct nm_layer_ops {
    const char *name;
    nm_layer_kind kind;
    nm_activation activation;
    /* Carves the layer's parameters from *param_off on (sets L->w, L->b; advances *param_off). */
    void (*layout)(nm_layer *L, size_t *param_off);
    /* Draws the layer's initial parameters from rng into its slices of params (scale: config init_scale). */
    void (*init)(const nm_layer *L, nm_rng *rng, float scale, float *params);
    /* post = f(gain . (W in + b)), with the gain-scaled pre-activation kept in pre (the cache) */
    void (*forward)(const nm_layer *L, const nm_kernels *k, const float *in, const float *W, const float *b,
                    const float *gain, float *pre, float *post);
    /* dh, d/d(post), becomes d/d(W in + b): through the activation and the gain */
    void (*to_units)(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                     const float *gain, float *dh);
    /* the layer's slices of the new trace from the old (whole trace blocks, separate buffers):
     * eW <- decay eW_old + dh in', eb <- decay eb_old + dh (dh from to_units); returns |that gradient|^2 */
    double (*trace)(const nm_layer *L, const nm_kernels *k, float decay, const float *dh, const float *in,
                    const float *old, float *e);
    /* dprev = d/d(in) from dh (from to_units) */
    void (*input_grad)(const nm_layer *L, const nm_kernels *k, const float *W, const float *dh, float *dprev);
    /* Recurrent kinds only (NULL for feed-forward ones). Carves the layer's cache slots after pre (its forward
     * input is z = [in; h_{t-1}] at L->z, which the network fills) and its units in rstate and its eligibility
     * vectors in elig; advances the three offsets. */
    void (*layout_state)(nm_layer *L, size_t *cache_off, size_t *state_off, size_t *elig_off);
    /* The layer's step of act's backward pass: eps = leak eps_old + d h_t/d(its synapses) (the eligibility
     * vectors, from the cache at pre), then e = decay old + dh . eps (whole trace blocks; eps blocks at the
     * layer's elig offset), then dh (d/d h_t) becomes d/d(W z + b) as to_units makes it. Returns |dh . eps|^2. */
    double (*trace_rec)(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *gain,
                        const float *eps_old, float *eps_new, const float *old, float *e, float *dh,
                        float *scratch);   /* scratch: 2 out floats */
    /* act's in-place step, in two phases (nm_net_trace_inplace). delta, before any trace is written: dh (d/d
     * post) becomes the layer's factor of its gradient, kept for trace_inplace, and du = d/d(W in + b), which
     * input_grad reads (a dense layer's du is dh itself: it is not written); returns a bound on |the layer's
     * gradient|^2, exact for a dense layer. A recurrent layer bounds its new eligibility vectors' norm from the
     * old bound elig (in *elig_next; its scratch, 2 out floats, keeps its units' derivatives for the second
     * phase). trace_inplace, once the bound is safe: e <- decay e + that gradient in place (the eligibility
     * vectors eps too), the arithmetic of trace / trace_rec; returns |the gradient|^2, exactly (norm: delta's). */
    double (*delta)(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post, const float *gain,
                    const float *in, double elig, float *dh, float *du, float *scratch, double *elig_next);
    double (*trace_inplace)(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *in,
                            float *dh, float *eps, float *e, float *scratch, double norm);
    /* Recurrent kinds only (NULL otherwise): trace_inplace's writes, deferred from act to learn (nm_net_update),
     * fused with the update params <- params + step e over the layer's synapses, in the arithmetic of each */
    void (*trace_update)(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *dh,
                         float *eps, float *e, float *params, float step, int rev, int zero,
                         const float *scratch);
};
extern const nm_layer_ops nm_layer_dense_tanh, nm_layer_dense_relu;
extern const nm_layer_ops nm_layer_recurrent_tanh, nm_layer_recurrent_relu;
extern const nm_layer_ops nm_layer_integrator_tanh, nm_layer_integrator_relu;
/* What the two recurrent kinds share (layer_recurrent.c): the layout of [W U b]' by input column, its
 * initialisation, and d/dx through the input rows of W */
void nm_rec_layout(nm_layer *L, size_t *param_off);
void nm_rec_init(const nm_layer *L, nm_rng *rng, float scale, float *params);
void nm_rec_input_grad(const nm_layer *L, const nm_kernels *k, const float *W, const float *dh, float *dprev);
/* the feed-forward trace op, which neither recurrent kind calls (NAN) */
double nm_rec_trace_unused(const nm_layer *L, const nm_kernels *k, float decay, const float *dh, const float *in,
                           const float *old, float *e);
/* d = alpha f' gain from act = f(gain-scaled sum); dh <- dh . that in place */
void nm_rec_units(const nm_layer *L, const nm_kernels *k, const float *act, const float *gain, float *d);
void nm_rec_scale_units(const nm_layer *L, const float *act, const float *gain, float *dh);
/* The operations of a kind with an activation; NULL if there are none. */
const nm_layer_ops *nm_layer_ops_find(nm_layer_kind kind, nm_activation activation);

/* One forward pass's activations (offsets relative to the cache start). */
typedef struct nm_cache_layout {
    size_t input;   /* attended input, n_obs */
    size_t logits;  /* n_actions (before beta and bias) */
    size_t probs;   /* n_actions */
    size_t value;   /* 1 */
    size_t size;
} nm_cache_layout;

typedef struct nm_modstate {
    float phasic[NM_N_MODULATORS];
    float tonic[NM_N_MODULATORS];
    float level[NM_N_MODULATORS];    /* effective levels after ablation and interactions */
    float factor[NM_N_MODULATORS];   /* exp(sum_j I[k][j] level_j): for DA, the multiplier of delta */
    float params[NM_N_PARAMS];
    float surprise;                  /* latest squared outcome prediction error */
    float expected;                  /* expected surprise of the latest state and action */
    float unexpected;                /* latest unexpectedness u in [0, 1) (NA input) */
    float reward_short;              /* reward averaged over the short (phasic DA) time scale */
    float reward_var;                /* running variance of the reward around its long average */
    float utility_drop;              /* how far the short reward rate sits below the long one, in [0, 1) */
    /* NA's change-point input (na_input = NM_NA_CHANGEPOINT); last, so a format-2 checkpoint is a prefix */
    float outlier_rate;              /* running rate of outliers (S > na_threshold E) over tau_tonic.ACh */
    float changepoint;               /* the CUSUM of the change-vs-outlier log-likelihood ratio, >= 0 */
} nm_modstate;

/* Constants of the modulators' dynamics, derived once from the config. */
typedef struct nm_mod_consts {
    float phasic_decay[NM_N_MODULATORS];   /* exp(-1 / tau_phasic) */
    float inv_tau_tonic[NM_N_MODULATORS];  /* 1 / tau_tonic */
    float inv_tau_phasic[NM_N_MODULATORS]; /* 1 / tau_phasic */
    float rest_params[NM_N_PARAMS];        /* the meta-parameters at zero levels (every modulator at rest or off) */
} nm_mod_consts;

typedef struct nm_learner_ops nm_learner_ops;

struct nm_agent {
    nm_agent_config cfg;
    nm_model model;                /* the learner's kind (NM_MODEL_RATE) */
    const nm_learner_ops *learner; /* its operations, chosen by model at creation */
    nm_layer layer[NM_MAX_LAYERS];
    size_t n_features;             /* width of the trunk's output (n_obs with no layers) */
    size_t n_params;               /* all trainable floats */
    size_t n_traced;               /* trunk + policy + value: the floats with eligibility traces */
    size_t policy_w, policy_b, value_w, value_b, pred_w, pred_b, var_w, var_b;
    size_t max_width;              /* widest layer, for backward scratch */
    nm_cache_layout cl;            /* layout of one forward cache */

    /* the block */
    float *block;
    float *block_mem;              /* what was allocated: block itself, or a little before it (align_at) */
    size_t block_len;
    size_t align_at;               /* with recurrent layers, the offset agent.c puts on a cache line (network.c) */
    size_t n_anchor;               /* n_traced when consolidation is on (base > 0), else 0 */
    size_t off_params, off_trace, off_anchor, off_gain, off_attn, off_sal, off_act, off_cache, off_next, off_scratch, off_obs;
    size_t off_backup, off_modnext;
    size_t off_trace2;             /* the trace buffer that is not live (swapped with off_trace by act) */
    size_t n_rec, n_elig;          /* recurrent units, and their layers' eligibility vectors (0 without any) */
    size_t off_rstate, off_rprev, off_elig, off_elig2;
    size_t off_rscratch;           /* 2 n_rec floats: a recurrent layer's backward scratch */
    size_t off_dh;                 /* one float per hidden unit: each layer's dh between act's two phases */

    nm_mod_consts modc;            /* derived from the config */

    /* scalars carried between calls */
    nm_rng rng;
    nm_modstate mod;
    uint64_t steps;
    int pending;                   /* an act awaits its learn */
    double trace_bound;            /* an upper bound on |trace| (see learn); INFINITY when unknown */
    double elig_bound[NM_MAX_LAYERS]; /* a recurrent layer's bound on |its eligibility vectors| (INFINITY: unknown,
                                    * as after a checkpoint load; act's fallback measures it) */
    int pending_action;
    /* the layers (bit l) whose trace_inplace act deferred to learn (nm_net_settle, nm_net_update), and its decay */
    unsigned rec_defer;
    float rec_decay;
    const nm_kernels *kern;        /* element-wise kernels for this CPU (simd.c) */

    /* continual learning (continual.c): its floats sit after trace2, at the end of the block, so an agent
     * without them has the layout it always had */
    int frozen;                    /* no synaptic change (nm_agent_freeze) */
    size_t n_imp;                  /* n_traced with importance si or ewc and consolidation on, else 0 */
    size_t n_models;               /* floats of the context models (task-free boundaries on), else 0 */
    size_t n_cont;                 /* the persistent continual floats: importance, path/Fisher, models, predictors */
    size_t n_gate;                 /* hidden units with gating on, else 0 */
    float gate_scale;              /* gate_step = width: the current gate's step factor (continual.c) */
    size_t n_cpred;                /* floats of the per-context outcome predictors (context_predictor), else 0 */
    size_t off_imp, off_omega, off_count, off_models, off_err, off_gate, off_cpred, off_open, off_snap, off_high;
    size_t n_evid, off_evid;       /* boundary_trigger = evidence: each slot's outcome noise, the CUSUM (section CEVD) */
    size_t n_tab, off_tab;         /* boundary_trigger = evidence_table: each slot's outcome table (section CTAB) */
    int n_ctx, ctx_cur, ctx_learn; /* contexts known, the current one and the one last learned in (slots) */
    int ctx_id[NM_MAX_CONTEXTS];   /* each slot's id */
    int ctx_announced;             /* the task has named a context: task-free boundaries off */
    int ctx_armed;                 /* NA fell back below boundary / 2 since the last detection */
    int ctx_window;                /* steps left in the window that compares the context models (0: none) */
    int ctx_probe;                 /* candidates tried since the detection (0: the detection's own window) */
    uint32_t ctx_tried;            /* the slots rejected since the detection, one bit each */

    char msg[NM_MSG_LEN];
};

/* A learner: what builds, steps and hashes an agent's network. Selected by model at creation (agent.c);
 * the agent checks arguments and call order, the learner does the work. */
struct nm_learner_ops {
    nm_model model;
    const char *name;
    void (*layout)(nm_agent *a);   /* shapes, parameter slices and the block's offsets from the config */
    void (*init)(nm_agent *a);     /* initial weights and per-unit state (block zeroed, rng seeded) */
    /* chooses an action for a checked obs and takes the step's gradient into the traces; NM_ERR_NUMERIC (and
     * nothing changed) if the forward pass or the traces would not be finite */
    nm_status (*act)(nm_agent *a, const float *obs, int *action);
    /* learns from the pending act's outcome (next_obs NULL when terminal without one); nothing changes on
     * failure */
    nm_status (*learn)(nm_agent *a, float reward, const float *next_obs, int terminal);
    void (*evaluate)(nm_agent *a, const float *obs, float *probs, float *value);
    /* w_logpi dlogpi(action)/dtheta + w_value dV/dtheta into grad (n_params floats) */
    void (*gradient)(nm_agent *a, const float *obs, int action, float w_logpi, float w_value, float *grad);
    void (*reset)(nm_agent *a);    /* clears the eligibility traces */
    uint64_t (*hash)(const nm_agent *a, uint64_t h);   /* folds the learned state into an FNV-1a hash */
    /* optional (NULL: none): the config's relations this learner needs, checked before building (msg names the
     * option); the floats of learner state a checkpoint's learner section holds, at off_cache (0: no section) */
    nm_status (*check)(const nm_agent_config *cfg, char *msg, size_t msglen);
    size_t (*state_len)(const nm_agent *a);
};
extern const nm_learner_ops nm_learner_rate;      /* learner_rate.c: the rate actor-critic */
extern const nm_learner_ops nm_learner_spiking;   /* learner_spiking.c: the spiking actor-critic */
/* The learner of a model; NULL if none (agent.c). */
const nm_learner_ops *nm_learner_find(nm_model model);

/* Values this small carry no signal (see flush_tiny in modulators.c). */
/* floats in a 64-byte cache line: a recurrent layer's weights, trace and eligibility vectors each start one */
#define NM_LINE_FLOATS 16
#define NM_TINY 1e-30f

/* error.c */
nm_status nm_fail(nm_agent *a, nm_status st, const char *fmt, ...);
void nm_write_msg(char *msg, size_t msglen, const char *fmt, ...);

/* The expected squared outcome error of a naive agent (an error of about 0.5): the uncertainty head's
 * starting bias and ACh's starting level, so that learning a first task is not read as a change. */
#define NM_UNCERTAINTY_PRIOR 0.25f

/* network.c: layout, init, forward, backward */
void nm_net_layout(nm_agent *a);
void nm_net_init(nm_agent *a);
/* w[0..n) ~ U(-bound, bound), drawn in order from rng */
void nm_init_uniform(nm_rng *rng, float *w, size_t n, float bound);
/* Forward pass of obs into the cache at `cache`; uses the current gain, attention, beta and bias, and hprev
 * (n_rec floats: the recurrent layers' h_{t-1}; rstate or rprev). With value_only, only the trunk and V(obs)
 * are computed (the bootstrap of learn). */
void nm_net_forward(const nm_agent *a, const float *obs, const float *hprev, float *cache, int value_only);
/* After an accepted act: rprev <- rstate, rstate <- the recurrent layers' h_t from the cache. */
void nm_net_state_advance(nm_agent *a, const float *cache);
/* An episode boundary: the hidden state (rstate, rprev) and the eligibility vectors are zeroed. */
void nm_net_state_clear(nm_agent *a);
/* A trace bound below this keeps every trace entry finite with room for the rounding the bound ignores (a factor
 * 34 below FLT_MAX): act writes the trace in place when its bound is below it, and never refuses then. */
#define NM_SAFE_BOUND 1e37
/* act's usual step: e <- decay e + w_logpi dlogpi(action)/dtheta + w_value dV/dtheta in place (the live trace, and
 * the recurrent layers' eligibility vectors), when the bound on the new trace's norm, |decay| trace_bound + a
 * bound on the gradient's norm from its factors, is below NM_SAFE_BOUND. Returns 1 with *bound the bound (the
 * gradient's exact norm in it, as nm_net_backward's) when written; 0, nothing written, when it is not safe
 * (the caller takes nm_net_backward's out-of-place path). */
int nm_net_trace_inplace(nm_agent *a, const float *cache, int action, float w_logpi, float w_value, float decay,
                         double *bound);
/* act's in-place step leaves the recurrent layers' eligibility and trace writes pending (rec_defer): learn makes
 * them in its update's pass over the weights (nm_net_update: params += step trace over every traced float);
 * whatever reads those vectors or the trace first, or would overwrite what they are computed from, makes them
 * now (nm_net_settle). Either way the bits are those act would have written. */
void nm_net_settle(nm_agent *a);
/* clear: the caller clears the trace and the eligibility vectors next (nm_net_clear) and reads neither before: a
 * deferred layer's pass writes their zeros itself. Returns the layers (bit l) whose zeros it wrote. */
unsigned nm_net_update(nm_agent *a, float step, int clear);
/* zeroes the trace (trace 1) and the hidden state and eligibility vectors (state 1: nm_net_state_clear), but not
 * the slices of the layers in done, already zero (nm_net_update's result) */
void nm_net_clear(nm_agent *a, int trace, int state, unsigned done);
/* After the out-of-place path kept its trace: each recurrent layer's eligibility bound from its vectors' norm */
void nm_net_elig_measure(nm_agent *a);
/* acc <- decay * old + w_logpi * dlogpi(action)/dtheta + w_value * dV/dtheta, from a forward cache (decay 1 on a
 * zeroed old: the gradient). old and acc are separate n_traced-float buffers; every one of acc's floats is
 * written. A recurrent layer's part is its e-prop estimate from the eligibility vectors eps_old (n_elig floats;
 * zeros: the one-step gradient, h_{t-1} held fixed), whose new values go to eps_new. Returns the squared norm
 * of the gradient part (for the trace-norm bound). */
double nm_net_backward(nm_agent *a, const float *cache, int action, float w_logpi, float w_value,
                       float decay, const float *old, float *acc, const float *eps_old, float *eps_new);
/* Back-propagates dh, d/d(trunk output), through every trunk layer's gain and activation to the attended input.
 * dh and dprev are scratch buffers of max_width floats (both are overwritten); returns the one holding the
 * n_obs-long result. */
float *nm_net_input_grad(const nm_agent *a, const float *cache, float *dh, float *dprev);
/* The trunk's output in a cache: the last layer's activations, or the attended input with no layers. */
const float *nm_net_features(const nm_agent *a, const float *cache);
/* The per-input salience signal of a forward cache (ACh's attentional set, modulators.c): gradient x input
 * attributions |x_j| |dy/du_j| for y = the taken action's logit against the mean logit and y = V, each
 * normalised to sum 1 over the inputs, summed into m (n_obs floats). dh, dprev: max_width floats of scratch. */
void nm_net_salience(const nm_agent *a, const float *cache, int action, float *dh, float *dprev, float *m);

/* predictor.c: the outcome predictor q and its uncertainty head u, for the action taken (normalised LMS) */
typedef struct nm_prediction {
    float eps;         /* r - q_a(s) */
    float surprise;    /* S = eps^2, capped at 1e6 */
    float predicted;   /* u_a(s), the head's prediction of S */
    float expected;    /* E = that, floored at surprise_floor */
    float eta;         /* the LMS step of q's row (and bias) */
    float eta_var;     /* the LMS step of u's row (and bias) */
} nm_prediction;
/* The uncertainty head's starting bias, for each of n_actions */
void nm_predictor_init(size_t n_actions, float *bu);
/* Reads both heads for features h (F floats) and the outcome reward, and computes their steps. Returns 1 if
 * the steps are finite and would leave both rows finite, 0 if not (then nothing may be updated). */
int nm_predictor_observe(const nm_kernels *k, const nm_agent_config *cfg, size_t F, const float *h,
                         const float *wq, float bq, const float *wu, float bu, float reward, nm_prediction *out);
void nm_predictor_update(const nm_kernels *k, size_t F, const nm_prediction *p, const float *h, float *wq,
                         float *bq, float *wu, float *bu);
/* Moves the outcome values of every action but `taken` (rows of wq, A x F, and bq) a fraction f in [0, 1] of
 * the way toward target, in every state: q_b(s) <- (1 - f) q_b(s) + f target. */
void nm_predictor_forget(const nm_kernels *k, size_t A, size_t F, int taken, float f, float target, float *wq,
                         float *bq);

/* tanh as a rational function of x (a 13/6 minimax fit, the form Eigen uses), clamped where tanh is 1 in
 * float: no libm call and no branch, so the layer loop vectorises; libm's tanhf (via expm1f) was a third
 * of a small agent's step. Largest error against tanh in double over [-12, 12]: 3.9e-7. */
/* its clamp and coefficients, written once: the interleaved population step (population_lanes.h) evaluates the
 * same polynomial per lane and must give the same bits */
#define NM_TANH_CLAMP 7.90531110763549805f
/* z: 0.0f, or a zero vector for the lanes (0 + c is c exactly) */
#define NM_TANH_P(p, x2, z) \
    (p) = (z) + -2.76076847742355e-16f; \
    (p) = (p) * (x2) + 2.00018790482477e-13f; \
    (p) = (p) * (x2) + -8.60467152213735e-11f; \
    (p) = (p) * (x2) + 5.12229709037114e-08f; \
    (p) = (p) * (x2) + 1.48572235717979e-05f; \
    (p) = (p) * (x2) + 6.37261928875436e-04f; \
    (p) = (p) * (x2) + 4.89352455891786e-03f
#define NM_TANH_Q(q, x2, z) \
    (q) = (z) + 1.19825839466702e-06f; \
    (q) = (q) * (x2) + 1.18534705686654e-04f; \
    (q) = (q) * (x2) + 2.26843463243900e-03f; \
    (q) = (q) * (x2) + 4.89352518554385e-03f
static inline float nm_tanh(float x)
{
    const float c = NM_TANH_CLAMP;
    /* Two plain selects (not nested), which gcc turns into min/max, so loops of nm_tanh vectorise. Each keeps x
     * when the comparison is false, so a NaN passes through to the finiteness checks instead of becoming 1. */
    float xc = x > c ? c : x;
    float x2, p, q;
    xc = xc < -c ? -c : xc;
    x2 = xc * xc;
    NM_TANH_P(p, x2, 0.0f);
    NM_TANH_Q(q, x2, 0.0f);
    return xc * p / q;
}

/* modulators.c: the modulators as a pure step, signals in -> state, levels, meta-parameters and effects out.
 * The network computes the signals, the agent applies the effects (agent.c, nm_agent_modulate). */

/* What one learn step tells the modulators. */
typedef struct nm_mod_signals {
    float reward;         /* r */
    float delta;          /* the TD error */
    float surprise;       /* S, the outcome predictor's squared error */
    float expected;       /* E, the surprise the uncertainty head expected for this state and action (floored) */
    const float *activity[NM_MAX_LAYERS]; /* each trunk layer's activations h (hidden[l] floats); read only
                                             when nm_mod_wants_activity */
    const float *salience; /* per-input attribution (nm_net_salience, n_obs floats); read only when
                              nm_mod_wants_salience */
} nm_mod_signals;

/* The modulators' per-input and per-unit state: read from the _in pointers, written to the _out ones (which
 * may be the same). */
typedef struct nm_mod_vectors {
    const float *salience_in;  /* n_obs: slow salience of each input (the attentional set) */
    const float *activity_in;  /* one per hidden unit, layer after layer: running mean of |h| (gain focus) */
    float *salience_out;
    float *activity_out;
} nm_mod_vectors;

/* The per-unit and per-input effects, as factors that the agent combines with the meta-parameters:
 *   gain_i      = G x focus_i, focus_i = e_i (n_l / sum_l e) on a layer with focus, else 1 (G: NA's gain)
 *   attention_j = A x set_j                                      (A: ACh's attention)
 * computed as e_i (G n_l / sum_l e) and A set_j (nm_mod_compose_*), so a later factor multiplies in. */
typedef struct nm_mod_effects {
    float *focus;                    /* caller's buffer, one per hidden unit: e_i where the layer is focused */
    int focused[NM_MAX_LAYERS];      /* layer l's units are focused (else every unit takes G) */
    float focus_sum[NM_MAX_LAYERS];  /* sum of e over layer l */
    float *set;                      /* caller's buffer, n_obs: (1 - r) s_j + r when has_set */
    int has_set;                     /* else every input takes A */
    int reset;                       /* NA calls for clearing the eligibility traces */
} nm_mod_effects;

void nm_mod_consts_init(const nm_agent_config *cfg, nm_mod_consts *mc);
/* The initial state, levels and meta-parameters. */
void nm_mod_init(const nm_agent_config *cfg, nm_modstate *out);
/* The levels and meta-parameters again from the state (after continual.c restores a context's tonic parts). */
void nm_mod_refresh(const nm_agent_config *cfg, nm_modstate *m);
/* whether the step reads the activity signal (gain focus on) and the salience signal (attentional set on) */
static inline int nm_mod_wants_activity(const nm_agent_config *cfg)
{
    return cfg->gain_focus > 0.0f && (cfg->modulators & NM_MOD_BIT(NM_NA));
}
static inline int nm_mod_wants_salience(const nm_agent_config *cfg)
{
    return cfg->attention_set > 0.0f && (cfg->modulators & NM_MOD_BIT(NM_ACH));
}
/* One step: in + signals -> out (may be in), the vectors advanced, the effects written to fx. */
void nm_mod_step(const nm_agent_config *cfg, const nm_mod_consts *mc, const nm_modstate *in,
                 const nm_mod_signals *sig, nm_modstate *out, const nm_mod_vectors *vec, nm_mod_effects *fx);
/* The effects of a state (levels and params set) and its vectors. */
void nm_mod_effects_of(const nm_agent_config *cfg, const nm_modstate *m, const float *salience,
                       const float *activity, nm_mod_effects *fx);
/* gain of n units = G x focus: the layer's gain budget G n shared in proportion to the focus weights (one
 * rounding of G n / sum e, then one per unit); in place over the focus buffer when out == focus */
static inline void nm_mod_compose_gain(size_t n, float G, int focused, const float *focus, float focus_sum,
                                       float *out)
{
    size_t i;
    float kk;
    if (!focused) { for (i = 0; i < n; i++) out[i] = G; return; }
    kk = G * (float)n / focus_sum;
    for (i = 0; i < n; i++) out[i] = focus[i] * kk;
}
/* attention of n inputs = A x set (in place when out == set) */
static inline void nm_mod_compose_attention(size_t n, float A, int has_set, const float *set, float *out)
{
    size_t i;
    if (!has_set) { for (i = 0; i < n; i++) out[i] = A; return; }
    for (i = 0; i < n; i++) out[i] = A * set[i];
}
void nm_mod_compute_params(const nm_agent_config *cfg, const float level[NM_N_MODULATORS],
                           float params[NM_N_PARAMS]);

/* agent.c: applies the modulators' effects to the gain and attention vectors */
void nm_agent_apply_effects(nm_agent *a, const nm_mod_effects *fx);
/* One modulator step from the signals of a learn step, in two halves: prepare computes it into *next and the
 * modnext scratch and checks that the state, gain and attention it leads to are finite (NM_ERR_NUMERIC with a
 * message naming the value otherwise; nothing is changed either way); commit applies it. *reset when NA calls
 * for clearing the traces. */
nm_status nm_agent_modulate_prepare(nm_agent *a, const nm_mod_signals *sig, nm_modstate *next, nm_mod_effects *fx);
void nm_agent_modulate_commit(nm_agent *a, const nm_modstate *next, const nm_mod_effects *fx, int *reset);

/* continual.c: importance, anchors, gates and context models */
/* Whether a learn step may change synapses: not frozen, and not in a window that is finding the context (its
 * evidence would go to a context that may be the wrong one) unless config.boundary_learning = learn */
static inline int nm_plastic(const nm_agent *a)
{
    return !a->frozen && (a->ctx_window == 0 || a->cfg.boundary_learning == NM_BOUNDARY_LEARN);
}
void nm_cont_layout(nm_agent *a);              /* after the learner's layout: extends block_len */
void nm_cont_init(nm_agent *a);                /* after its init: the first context and its gate */
/* The importance-weighted pull of each traced weight toward its anchor (importance si or ewc), in place */
void nm_cont_pull(nm_agent *a);
int nm_cont_update_pull(nm_agent *a, float step);
/* After a committed learn step with update step x trace: accumulates the importance measure (unless frozen),
 * steps the context models and detects task-free boundaries. */
void nm_cont_observe(nm_agent *a, float step, float reward);
/* gain[i] *= gate[i] over every hidden unit (gating on) */
void nm_cont_gate(const nm_agent *a, float *gain);
void nm_cont_set_gate(nm_agent *a);           /* the current slot's gate into the gate vector */
float nm_cont_step_scale(const nm_agent *a);  /* gate_step: the factor of the learning step (1: none) */
uint64_t nm_cont_hash(const nm_agent *a, uint64_t h);
/* For the population's interleaved step (population_simd.c): whether nm_cont_observe does anything; whether,
 * called now, it may read or write the weights, traces or modulator state (a boundary found); nm_cont_observe
 * without its pass over the weights' importance (1 when it changed the gate); which pass that is now (and SI's
 * alpha); the pull's strength; whether a member's step this time is one the lanes carry (gates, SI or
 * EWC, the pull; continual.c says which); whether a step may touch the importance arrays at all */
int nm_cont_observes(const nm_agent *a);
int nm_cont_may_touch(const nm_agent *a);
int nm_cont_observe_rest(nm_agent *a, float step, float reward);
enum { NM_IMP_PASS_NONE, NM_IMP_PASS_SI, NM_IMP_PASS_EWC };
int nm_cont_importance_pass(const nm_agent *a, float *alpha);
float nm_cont_pull_strength(const nm_agent *a);
int nm_cont_lanes(const nm_agent *a);
int nm_cont_weights_tracked(const nm_agent *a);
/* Switches to slot k (a boundary when it leaves the context last learned in, unless frozen) */
void nm_cont_switch(nm_agent *a, int k);
/* Recomputes the gain and attention from the modulator state (after a gate change) */
void nm_agent_refresh_effects(nm_agent *a);
/* Whether nm_agent_modulate_prepare's tests take modulator state m (finite, and so the gain and attention composed
 * from it); changes only the modnext scratch */
int nm_agent_modstate_ok(nm_agent *a, const nm_modstate *m);
/* 1 if none of x[0..n) is inf or NaN (one pass without branches) */
int nm_finite_all(const float *x, size_t n);

/* blas.c: the one BLAS shim; tiny shapes use plain loops (faster there, and BLAS threads cost more than
 * they save). A is rows x cols, row-major. */
/* y = b + A x, each row's dot product in fixed-order partial sums (nm_dot4) */
void nm_gemv_bias(const nm_kernels *k, size_t rows, size_t cols, const float *A, const float *x, const float *b, float *y);
void nm_gemv_t(const nm_kernels *k, size_t rows, size_t cols, const float *A, const float *x, float *y); /* y += A^T x */
/* The element-wise operations take the agent's kernel set; shapes of NM_BLAS_MIN elements or more go to BLAS
 * when the set allows it (k->blas, config.deterministic off), else they run in the set's fixed-order loops. */
void nm_axpy(const nm_kernels *k, size_t n, float alpha, const float *x, float *y);
/* The trace operations: dst (or A) = src (or S) scaled by decay, plus alpha x (or alpha x y'); src is the old
 * trace and dst the new one, separate buffers (rate_act's fallback). The two roundings of scaling then adding
 * (scal then axpy or ger), in one pass (the build's -std=c99 keeps the compiler from fusing them into one FMA). */
void nm_axpy_decay(const nm_kernels *k, size_t n, float decay, float alpha, const float *x, const float *src,
                   float *dst);
void nm_ger_decay(const nm_kernels *k, size_t rows, size_t cols, float decay, float alpha, const float *x,
                  const float *y, const float *src, float *dst);
void nm_scal(const nm_kernels *k, size_t n, float alpha, float *x);
void nm_scal_to(const nm_kernels *k, size_t n, float alpha, const float *src, float *dst);   /* dst = src alpha */
/* the same in place: e = decay e + alpha x, A = decay A + alpha x y' (the trace's usual step) */
void nm_axpy_decay_inplace(const nm_kernels *k, size_t n, float decay, float alpha, const float *x, float *e);
void nm_ger_decay_inplace(const nm_kernels *k, size_t rows, size_t cols, float decay, float alpha, const float *x,
                          const float *y, float *A);
/* sum_j a_j b_j in four partial sums (lane j mod 4), the tail into the first, then (s0 + s1) + (s2 + s3): the
 * loop is not one chain of dependent adds (it pipelines and vectorises without -ffast-math), and the result is the
 * same on every run and from every binding. Every dot product of the library keeps this order: nm_dot, the kernel
 * sets' dot and gemv_bias (simd_kernels.h, whose wide sets reach the same bits eight products at a time), and the
 * population lanes. */
static inline float nm_dot4(size_t n, const float *restrict a, const float *restrict b)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += a[j] * b[j];
        s1 += a[j + 1] * b[j + 1];
        s2 += a[j + 2] * b[j + 2];
        s3 += a[j + 3] * b[j + 3];
    }
    for (; j < n; j++) s0 += a[j] * b[j];
    return (s0 + s1) + (s2 + s3);
}
float nm_dot(size_t n, const float *a, const float *b);   /* nm_dot4, one plain build (blas.c) */
/* sum of a_i^2 in double, eight partial sums in a fixed order (the kernel set's sumsq) */
#define nm_sumsq(k, n, a) ((k)->sumsq((n), (a)))
/* dst <- decay src + g h (the trace row, old to new), then dh += g w: one head row's backward (axpy_decay and
 * axpy in one pass) */
void nm_head_backward(const nm_kernels *k, size_t n, float decay, float g, const float *h, const float *src,
                      float *dst, const float *w, float *dh);

/* dh (zeroed first when first) += sum_r g[r] w[r] (rows <= 3), row after row: the head rows' share of dh as
 * nm_head_backward takes it */
void nm_heads_dh(const nm_kernels *k, size_t n, size_t rows, int first, const float *g, const float *const *w,
                 float *dh);

/* e[r] = decay e[r] + g[r] h (rows <= 3, each g not 0): the head rows' trace as nm_head_backward writes it */
void nm_heads_trace(const nm_kernels *k, size_t n, size_t rows, float decay, const float *g, float *const *e,
                    const float *h);

/* config_io.c: the config section of a checkpoint. size bytes; write writes exactly that many; read takes the
 * section's bytes and refuses (NM_ERR_FORMAT, message naming the field) what it cannot read. */
/* The config accessors (neuromod.h's nm_config_get, _set, _get_u64, _set_u64) on field number `field` of the table
 * (nm_config_field_at's order) instead of a name: for the checkpoint's config section, which walks the table. */
nm_status nm_config_get_at(const nm_agent_config *cfg, size_t field, size_t index, double *value);
nm_status nm_config_set_at(nm_agent_config *cfg, size_t field, size_t index, double value, char *msg, size_t msglen);
nm_status nm_config_get_u64_at(const nm_agent_config *cfg, size_t field, size_t index, uint64_t *value);
nm_status nm_config_set_u64_at(nm_agent_config *cfg, size_t field, size_t index, uint64_t value, char *msg,
                               size_t msglen);
size_t nm_config_section_size(const nm_agent_config *cfg);
void nm_config_section_write(const nm_agent_config *cfg, unsigned char *buf);
nm_status nm_config_section_read(const unsigned char *buf, size_t len, nm_agent_config *cfg, char *msg, size_t msglen);

/* checksum.c */
uint32_t nm_crc32(uint32_t crc, const void *data, size_t len);
uint64_t nm_fnv1a(uint64_t h, const void *data, size_t len);

#endif
