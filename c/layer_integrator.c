/*
 * layer_integrator.c -- the integrator trunk layer: recurrent units that integrate their input and then apply
 * the nonlinearity (e-prop's neurons, Bellec et al. 2020, as rate units), with a factorised eligibility.
 *
 *   z   = [x; h_{t-1}; 1]               (the layer's input, its own previous output, 1 for the bias)
 *   v_t = leak v_{t-1} + alpha ([W U b] z)       pre = gain . v_t       h_t = f(pre)
 *   leak = 1 - 1/tau, alpha = 1/tau; post (the layer's output) is h_t; the state is h and v
 *
 *   params [W U b]' as the recurrent kind's (layer_recurrent.c: nm_rec_layout, by input column)
 *   cache  [ pre (out) | v_t (out) | v_{t-1} (out) | z (in + out + 1) ] ... post (out)
 *   state  [ h (out) | v (out) ] in rstate and rprev; eligibility zbar (in + out + 1), one float per input column
 *
 * Learning: with the paths through other units' past states dropped (e-prop; exact when U = 0), d v_t,i / d w_ij
 * = alpha zbar_j with zbar <- leak zbar + z: the leak is the layer's, not the unit's, so one filtered input per
 * column serves every unit. Then d h_t,i / d w_ij = D_i zbar_j, D_i = alpha f'(pre_i) gain_i, and the TD(lambda)
 * trace takes e_ij <- decay e_ij + c_i zbar_j with c_i = (d y / d h_t,i) D_i: a dense layer's outer product, its
 * input replaced by zbar (ger_decay, and ger_decay_update when act's pass is deferred to learn and fused with the
 * update). c is also d y / d(W z + b), which the layer below receives through W. The pass costs 5 float operations
 * a synapse (the trace's 3, the update's 2) where the recurrent kind's costs 8, over two arrays instead of three.
 * The new term's norm is |c| |zbar|: the out-of-place step takes it exactly, act's in-place step bounds |zbar| by
 * leak times the last bound plus |z|, in O(width), as the recurrent kind bounds its eligibility.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

static void int_layout_state(nm_layer *L, size_t *cache_off, size_t *state_off, size_t *elig_off)
{
    L->state_now = *cache_off; *cache_off += L->out;
    L->state_prev = *cache_off; *cache_off += L->out;
    L->z = *cache_off; *cache_off += L->in + L->out + 1;
    L->state = *state_off; *state_off += 2 * L->out;
    L->n_state = 2 * L->out;
    L->elig = *elig_off; *elig_off += L->in + L->out + 1;
    L->n_eps = L->in + L->out + 1;
}

/* v_t = leak v_{t-1} + alpha (A z), written to pre first (rec_leak's operands may not overlap), kept at v_t; then
 * pre = gain . v_t */
static void int_integrate(const nm_layer *L, const nm_kernels *k, const float *z, const float *W, float *pre)
{
    float *v = pre + (L->state_now - L->pre);
    const float *vprev = pre + (L->state_prev - L->pre);
    k->rec_gemv(L->out, L->in + L->out + 1, W, z, v);
    k->rec_leak(L->out, L->leak, L->alpha, vprev, v, pre);
    memcpy(v, pre, L->out * sizeof *v);
}

static void int_tanh_forward(const nm_layer *L, const nm_kernels *k, const float *z, const float *W,
                             const float *b, const float *gain, float *pre, float *post)
{
    (void)b;   /* the last column of W */
    int_integrate(L, k, z, W, pre);
    k->gain_tanh(L->out, gain, pre, post);
}

static void int_relu_forward(const nm_layer *L, const nm_kernels *k, const float *z, const float *W,
                             const float *b, const float *gain, float *pre, float *post)
{
    (void)b;
    int_integrate(L, k, z, W, pre);
    nm_gain_relu(L->out, gain, pre, post);
}

/* D_i = d h_t,i / d (A z)_i = alpha f'(pre_i) gain_i, f' read from post = f(pre): nm_rec_units on the output */
static void int_to_units(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                         const float *gain, float *dh)
{
    (void)k; (void)pre;
    nm_rec_scale_units(L, post, gain, dh);
}

/* zbar <- leak zbar_old + z (zbar may be zbar_old: each element is read before it is written) */
static void int_filter(const nm_layer *L, const float *zbar_old, const float *z, float *zbar)
{
    size_t j, n = L->in + L->out + 1;
    for (j = 0; j < n; j++) zbar[j] = zbar_old[j] * L->leak + z[j];
}

/* act's out-of-place step: zbar_new, then e = decay old + c zbar_new' with dh becoming c (d/d(A z)) */
static double int_trace(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *gain,
                        const float *eps_old, float *eps_new, const float *old, float *e, float *dh, float *scratch)
{
    const float *post = pre + (L->post - L->pre), *z = pre + (L->z - L->pre);
    size_t i, nz = L->in + L->out + 1;
    nm_rec_units(L, k, post, gain, scratch);
    for (i = 0; i < L->out; i++) dh[i] *= scratch[i];
    int_filter(L, eps_old, z, eps_new);
    k->ger_decay(nz, L->out, decay, 1.0f, eps_new, dh, old + L->w, e + L->w);
    return nm_sumsq(k, L->out, dh) * nm_sumsq(k, nz, eps_new);
}

/* act's in-place step, phase one: D and c = dh . D in scratch (c also in du, for the layer below), dh kept; the
 * bound |c zbar_new'|^2 <= |c|^2 (leak |zbar_old| + |z|)^2 from the old bound elig (the new one in *elig_next) */
static double int_delta(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                        const float *gain, const float *in, double elig, float *dh, float *du, float *scratch,
                        double *elig_next)
{
    float *d = scratch, *c = scratch + L->out;
    const float *z = pre + (L->z - L->pre);
    size_t i;
    double eb;
    (void)in;
    nm_rec_units(L, k, post, gain, d);
    for (i = 0; i < L->out; i++) du[i] = c[i] = dh[i] * d[i];
    eb = (double)L->leak * elig + sqrt(nm_sumsq(k, L->in + L->out + 1, z));
    *elig_next = eb;
    return nm_sumsq(k, L->out, c) * eb * eb;
}

/* phase two, once the bound is safe: zbar and e in place, in int_trace's arithmetic */
static double int_trace_inplace(const nm_layer *L, const nm_kernels *k, float decay, const float *pre,
                                const float *in, float *dh, float *eps, float *e, float *scratch, double norm)
{
    float *zbar = eps + L->elig;
    (void)in; (void)dh;
    int_filter(L, zbar, pre + (L->z - L->pre), zbar);
    k->ger_decay_inplace(L->in + L->out + 1, L->out, decay, 1.0f, zbar, scratch + L->out, e + L->w);
    return norm;
}

/* trace_inplace's writes (act's, deferred) fused with learn's update of the layer's weights: zbar, then one pass
 * over e and the weights (zero: an episode's end, e and zbar take 0) */
static void int_trace_update(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *dh,
                             float *eps, float *e, float *params, float step, int rev, int zero,
                             const float *scratch)
{
    float *zbar = eps + L->elig;
    (void)dh;
    int_filter(L, zbar, pre + (L->z - L->pre), zbar);
    k->ger_decay_update(L->in + L->out + 1, L->out, decay, zbar, scratch + L->out, e + L->w, params + L->w, step,
                        rev, zero);
    if (zero) memset(zbar, 0, L->n_eps * sizeof *zbar);
}

const nm_layer_ops nm_layer_integrator_tanh = {
    "integrator", NM_LAYER_INTEGRATOR, NM_TANH, nm_rec_layout, nm_rec_init, int_tanh_forward, int_to_units,
    nm_rec_trace_unused, nm_rec_input_grad, int_layout_state, int_trace, int_delta, int_trace_inplace, int_trace_update
};

const nm_layer_ops nm_layer_integrator_relu = {
    "integrator", NM_LAYER_INTEGRATOR, NM_RELU, nm_rec_layout, nm_rec_init, int_relu_forward, int_to_units,
    nm_rec_trace_unused, nm_rec_input_grad, int_layout_state, int_trace, int_delta, int_trace_inplace, int_trace_update
};
