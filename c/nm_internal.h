/*
 * nm_internal.h -- the agent's private layout, shared by the core's .c files. Not installed.
 *
 * Memory: one float block holds everything the agent learns or carries between calls, carved by the
 * offsets below, so that the update is one axpy and a checkpoint writes slices of it (checkpoint.c):
 *
 *   params   [ trunk W0 b0 .. W(L-1) b(L-1) | policy Wp bp | value wv bv | predictor Wq bq | Wu bu ]
 *   trace    [ same layout as params up to the predictor ]       eligibility traces e
 *   anchor   [ the same, only when base consolidation > 0 ]     slow weights: prior knowledge
 *   gain     per hidden unit (all layers)                         NA adaptive gain, neuron scale
 *   attn     per input                                            ACh attention, neuron scale
 *   salience per input                                            slow input salience (ACh attentional set)
 *   activity per hidden unit                                      running mean of |h| (NA's gain focus)
 *   cache    forward activations of the pending step, for its learn (a checkpoint redoes them from obs)
 *   scratch  backward buffers and the forward pass of s'
 *   obs      the observation of the pending step (act keeps it so a checkpoint can redo the forward pass)
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
    void (*axpy_decay)(size_t n, float decay, float alpha, const float *x, float *y);
    void (*scal)(size_t n, float alpha, float *x);
    void (*ger_decay)(size_t rows, size_t cols, float decay, float alpha, const float *x, const float *y, float *A);
    void (*gain_tanh)(size_t n, const float *g, float *pre, float *post);
    void (*tanh_backward)(size_t n, const float *post, const float *g, float *dh);
    void (*head_backward)(size_t n, float decay, float g, const float *h, float *trace, const float *w, float *dh);
    double (*sumsq)(size_t n, const float *a);
    int (*axpy_finite)(size_t n, float alpha, const float *x, const float *y);
} nm_kernels;
/* The set called name if this CPU runs it (NULL if not, or no such set); with name NULL, the widest it runs. */
const nm_kernels *nm_kernels_find(const char *name);

/* Shapes and offsets of one trunk layer. */
typedef struct nm_layer {
    size_t in, out;
    size_t w, b;          /* offsets of weight (out x in) and bias (out) in params/trace */
    size_t gain;          /* offset of this layer's gain vector (out) in the block */
    size_t pre, post;     /* offsets in a forward cache: gain * (W x + b) and f(that) */
} nm_layer;

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

struct nm_agent {
    nm_agent_config cfg;
    nm_layer layer[NM_MAX_LAYERS];
    size_t n_features;             /* width of the trunk's output (n_obs with no layers) */
    size_t n_params;               /* all trainable floats */
    size_t n_traced;               /* trunk + policy + value: the floats with eligibility traces */
    size_t policy_w, policy_b, value_w, value_b, pred_w, pred_b, var_w, var_b;
    size_t max_width;              /* widest layer, for backward scratch */
    nm_cache_layout cl;            /* layout of one forward cache */

    /* the block */
    float *block;
    size_t block_len;
    size_t n_anchor;               /* n_traced when consolidation is on (base > 0), else 0 */
    size_t off_params, off_trace, off_anchor, off_gain, off_attn, off_sal, off_act, off_cache, off_next, off_scratch, off_obs;

    float phasic_decay[NM_N_MODULATORS]; /* exp(-1 / tau_phasic), derived from the config */
    float inv_tau_tonic[NM_N_MODULATORS];  /* 1 / tau_tonic, derived from the config */
    float inv_tau_phasic[NM_N_MODULATORS]; /* 1 / tau_phasic, derived from the config */

    /* scalars carried between calls */
    nm_rng rng;
    nm_modstate mod;
    uint64_t steps;
    int pending;                   /* an act awaits its learn */
    double trace_bound;            /* an upper bound on |trace| (see learn); INFINITY when unknown */
    int pending_action;
    const nm_kernels *kern;        /* element-wise kernels for this CPU (simd.c) */

    char msg[NM_MSG_LEN];
};

/* error.c */
nm_status nm_fail(nm_agent *a, nm_status st, const char *fmt, ...);
void nm_write_msg(char *msg, size_t msglen, const char *fmt, ...);

/* The expected squared outcome error of a naive agent (an error of about 0.5): the uncertainty head's
 * starting bias and ACh's starting level, so that learning a first task is not read as a change. */
#define NM_UNCERTAINTY_PRIOR 0.25f

/* network.c: layout, init, forward, backward */
void nm_net_layout(nm_agent *a);
void nm_net_init(nm_agent *a);
/* Forward pass of obs into the cache at `cache`; uses the current gain, attention, beta and bias. With
 * value_only, only the trunk and V(obs) are computed (the bootstrap of learn). */
void nm_net_forward(const nm_agent *a, const float *obs, float *cache, int value_only);
/* acc <- decay * acc + w_logpi * dlogpi(action)/dtheta + w_value * dV/dtheta, from a forward cache (decay 1 on a
 * zeroed acc: the gradient). Returns the squared norm of the gradient part (for the trace-norm bound). */
double nm_net_backward(nm_agent *a, const float *cache, int action, float w_logpi, float w_value,
                       float decay, float *acc);
/* Back-propagates dh, d/d(trunk output), through every trunk layer's gain and activation to the attended input.
 * dh and dprev are scratch buffers of max_width floats (both are overwritten); returns the one holding the
 * n_obs-long result. */
float *nm_net_input_grad(const nm_agent *a, const float *cache, float *dh, float *dprev);

/* tanh as a rational function of x (a 13/6 minimax fit, the form Eigen uses), clamped where tanh is 1 in
 * float: no libm call and no branch, so the layer loop vectorises; libm's tanhf (via expm1f) was a third
 * of a small agent's step. Largest error against tanh in double over [-12, 12]: 3.9e-7. */
static inline float nm_tanh(float x)
{
    const float c = 7.90531110763549805f;
    float xc = x < c ? x : c;                  /* two plain selects (not nested), which gcc turns into */
    xc = xc > -c ? xc : -c;                    /* min/max, so loops of nm_tanh vectorise */
    float x2 = xc * xc;
    float p = -2.76076847742355e-16f;
    float q = 1.19825839466702e-06f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return xc * p / q;
}

/* modulators.c */
void nm_mod_init(nm_agent *a);
void nm_mod_compute_params(const nm_agent_config *cfg, const float level[NM_N_MODULATORS],
                           float params[NM_N_PARAMS]);
/* Advances all modulators after one learn step and refreshes the meta-parameters, gain and attention. */
/* Advances the modulators given the surprise S and the expected surprise E of the step's state and action;
 * *reset is set when NA calls for clearing the eligibility traces. */
void nm_mod_step(nm_agent *a, float reward, float delta, float surprise, float expected, int *reset);



/* blas.c: the one BLAS shim; tiny shapes use plain loops (faster there, and BLAS threads cost more than
 * they save). A is rows x cols, row-major. */
/* y = b + A x, each row's dot product in fixed-order partial sums (dot4) */
void nm_gemv_bias(const nm_kernels *k, size_t rows, size_t cols, const float *A, const float *x, const float *b, float *y);
void nm_gemv_t(size_t rows, size_t cols, const float *A, const float *x, float *y);   /* y += A^T x */
/* The element-wise operations take the agent's kernel set; shapes of NM_BLAS_MIN elements or more go to BLAS. */
void nm_axpy(const nm_kernels *k, size_t n, float alpha, const float *x, float *y);
/* The same with y (or A) first scaled by decay: the two roundings of scaling then adding (scal then axpy or ger), in one
 * pass (the build's -std=c99 keeps the compiler from fusing them into one FMA, so results are unchanged). */
void nm_axpy_decay(const nm_kernels *k, size_t n, float decay, float alpha, const float *x, float *y);
void nm_ger_decay(const nm_kernels *k, size_t rows, size_t cols, float decay, float alpha, const float *x,
                  const float *y, float *A);
void nm_scal(const nm_kernels *k, size_t n, float alpha, float *x);
float nm_dot(size_t n, const float *a, const float *b);   /* plain loops, fixed summation order */
/* sum of a_i^2 in double, eight partial sums in a fixed order (the kernel set's sumsq) */
#define nm_sumsq(k, n, a) ((k)->sumsq((n), (a)))
/* trace <- decay trace + g h, then dh += g w: one head row's backward (axpy_decay and axpy in one pass) */
void nm_head_backward(const nm_kernels *k, size_t n, float decay, float g, const float *h, float *trace,
                      const float *w, float *dh);

/* config_io.c: the config section of a checkpoint. size bytes; write writes exactly that many; read takes the
 * section's bytes and refuses (NM_ERR_FORMAT, message naming the field) what it cannot read. */
size_t nm_config_section_size(const nm_agent_config *cfg);
void nm_config_section_write(const nm_agent_config *cfg, unsigned char *buf);
nm_status nm_config_section_read(const unsigned char *buf, size_t len, nm_agent_config *cfg, char *msg, size_t msglen);

/* checksum.c */
uint32_t nm_crc32(uint32_t crc, const void *data, size_t len);
uint64_t nm_fnv1a(uint64_t h, const void *data, size_t len);

#endif
