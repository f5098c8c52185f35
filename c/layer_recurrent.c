/*
 * layer_recurrent.c -- the leaky recurrent trunk layer and its online learning rule (e-prop).
 *
 *   z   = [x; h_{t-1}; 1]               (the layer's input, its own previous state, 1 for the bias; the cache)
 *   pre = gain . ([W U b] z)            a = f(pre)          h_t = leak h_{t-1} + alpha a
 *   leak = 1 - 1/tau, alpha = 1/tau; post (the layer's output) is h_t
 *
 *   params [ [W U]' ((in + out) x out: row j = the weights from input j, the inputs then the layer's own units)
 *            | b (out) ]: stored by input column, so that the bias is one more column and the forward product,
 *            the eligibility and the trace all run along the units (simd_kernels.h: rec_gemv, rec_trace)
 *   cache  [ pre (out) | a (out) | z (in + out + 1) ] ... post (out)
 *   state  h (rstate) and the pending step's h_{t-1} (rprev); eligibility vectors eps, the shape of params
 *
 * Learning (e-prop, Bellec et al. 2020, with the true readout as learning signal; the same eligibility as
 * Murray's RFLO 2019): the eligibility vector of synapse (i, j) follows unit i's own leak,
 *   eps_ij <- leak eps_ij + alpha f'(pre_i) gain_i z_j        (z_j = 1 for the bias)
 * which is d h_t,i / d w_ij with the paths through other units' past states dropped (exact when U = 0), and the
 * TD(lambda) trace takes e_ij <- decay e_ij + (d y / d h_t,i) eps_ij, y = log pi(a) + critic_scale V, so DA's
 * third factor multiplies it as it does a dense layer's. Layers below receive d y / d x_t through W alone.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

void nm_rec_layout(nm_layer *L, size_t *param_off)
{
    L->wrows = L->in + L->out;
    L->wcols = L->out;
    L->w = *param_off; *param_off += L->wrows * L->out;
    L->b = *param_off; *param_off += L->out;      /* = the column after the last input's */
}

static void rec_layout_state(nm_layer *L, size_t *cache_off, size_t *state_off, size_t *elig_off)
{
    *cache_off += L->out;                 /* a, after pre */
    L->z = *cache_off; *cache_off += L->in + L->out + 1;
    L->state = *state_off; *state_off += L->out;
    L->n_state = L->out;
    L->elig = *elig_off; *elig_off += (L->in + L->out + 1) * L->out;
    L->n_eps = (L->in + L->out + 1) * L->out;
}

/* W ~ U(-s, s) sqrt(3 / in) as a dense layer's (drawn first), U ~ U(-s, s) sqrt(3 / out): variance 1/out, a
 * spectral radius near s (the circular law), so a naive layer neither forgets at once nor explodes; b = 0 */
void nm_rec_init(const nm_layer *L, nm_rng *rng, float scale, float *params)
{
    float bw = scale * sqrtf(3.0f / (float)L->in), bu = scale * sqrtf(3.0f / (float)L->out);
    nm_init_uniform(rng, params + L->w, L->in * L->out, bw);
    nm_init_uniform(rng, params + L->w + L->in * L->out, L->out * L->out, bu);
}

/* in is z (the network has filled it); h_t = leak h_{t-1} + alpha a, h_{t-1} inside z */
static void rec_leak(const nm_layer *L, const nm_kernels *k, const float *z, const float *act, float *post)
{
    k->rec_leak(L->out, L->leak, L->alpha, z + L->in, act, post);
}

static void rec_tanh_forward(const nm_layer *L, const nm_kernels *k, const float *z, const float *W,
                             const float *b, const float *gain, float *pre, float *post)
{
    (void)b;   /* the last column of W */
    k->rec_gemv(L->out, L->in + L->out + 1, W, z, pre);
    k->gain_tanh(L->out, gain, pre, pre + L->out);
    rec_leak(L, k, z, pre + L->out, post);
}

static void rec_relu_forward(const nm_layer *L, const nm_kernels *k, const float *z, const float *W,
                             const float *b, const float *gain, float *pre, float *post)
{
    (void)b;
    k->rec_gemv(L->out, L->in + L->out + 1, W, z, pre);
    nm_gain_relu(L->out, gain, pre, pre + L->out);
    rec_leak(L, k, z, pre + L->out, post);
}

/* d h_t,i / d ([W U b] z)_i = alpha f'(pre_i) gain_i, f' read from a = f(pre) (as the dense kinds read it from
 * post); the integrator kind's too, which reads it from its output */
void nm_rec_units(const nm_layer *L, const nm_kernels *k, const float *act, const float *gain, float *d)
{
    size_t i;
    if (L->activation == NM_RELU)
        for (i = 0; i < L->out; i++) d[i] = L->alpha * ((act[i] > 0.0f ? 1.0f : 0.0f) * gain[i]);
    else
        k->rec_units_tanh(L->out, L->alpha, act, gain, d);
}

/* dh <- dh . that, in place (the input gradient's path, nm_net_input_grad) */
void nm_rec_scale_units(const nm_layer *L, const float *act, const float *gain, float *dh)
{
    size_t i;
    if (L->activation == NM_RELU)
        for (i = 0; i < L->out; i++) dh[i] *= L->alpha * ((act[i] > 0.0f ? 1.0f : 0.0f) * gain[i]);
    else
        for (i = 0; i < L->out; i++) dh[i] *= L->alpha * ((1.0f - act[i] * act[i]) * gain[i]);
}

static void rec_to_units(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                         const float *gain, float *dh)
{
    (void)k; (void)post;
    nm_rec_scale_units(L, pre + L->out, gain, dh);
}

/* The feed-forward trace op is never called for the recurrent kinds (trace_rec replaces it); kept total for their
 * tables. */
double nm_rec_trace_unused(const nm_layer *L, const nm_kernels *k, float decay, const float *dh,
                           const float *in, const float *old, float *e)
{
    (void)L; (void)k; (void)decay; (void)dh; (void)in; (void)old; (void)e;
    return NAN;
}

/* The eligibility vectors, the trace and its norm in one pass over the synapses (rec_trace). Every synapse's
 * term enters the norm, also where dh_i = 0, so that a non-finite eligibility makes the norm non-finite (act then
 * scans the trace, which it has made non-finite too, and refuses the step). */
static double rec_trace(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *gain,
                        const float *eps_old, float *eps_new, const float *old, float *e, float *dh, float *scratch)
{
    float *d = scratch, *acc = scratch + L->out;
    nm_rec_units(L, k, pre + L->out, gain, d);
    k->rec_trace(L->out, L->in + L->out + 1, L->leak, decay, d, dh, pre + 2 * L->out, eps_old, eps_new,
                 old + L->w, e + L->w, acc);
    return k->rec_norm(L->out, d, acc, dh);
}

/* act's in-place step, phase one: the units' derivatives d (kept in scratch), du = dh . d for the layer below,
 * and a bound on |dh . eps_new|^2 = sum_i dh_i^2 |eps_new,i|^2 <= max_i dh_i^2 |eps_new|^2 (each unit's row of
 * eps is weighed by its dh_i), with |eps_new| <= leak |eps_old| + |z| |D| (the new term is the outer product of z
 * and D): O(width), and the bound on |eps_new| becomes the next step's elig. dh itself is kept: it weighs the
 * eligibility in the trace. A NaN in dh, which the largest dh_i^2 would miss, makes the bound NaN (|dh|^2). */
static double rec_delta(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                        const float *gain, const float *in, double elig, float *dh, float *du, float *scratch,
                        double *elig_next)
{
    double eb, sums[3];   /* |D|^2, |dh|^2, max dh_i^2 */
    (void)post; (void)in;
    /* D, du = dh . D (rec_norm's) and the sums in one pass over the units */
    k->rec_delta(L->out, L->activation == NM_RELU, L->alpha, pre + L->out, gain, dh, scratch, du, sums);
    eb = (double)L->leak * elig + sqrt(nm_sumsq(k, L->in + L->out + 1, pre + 2 * L->out) * sums[0]);
    *elig_next = eb;
    return (sums[1] == sums[1] ? sums[2] : sums[1]) * eb * eb;
}

/* phase two: rec_trace in place (eps and e both read and written), without the per-unit sums of squares: the
 * norm is phase one's bound. The norm only bounds the trace (trace_bound decides which way act and learn's clip
 * take, never a result), and the exact one cost two of the pass's ten operations a synapse; the bound made
 * learn take the exact clip norm on 0.1% of delay_match's steps (0.01% before), 9.1% of the reference layout's
 * Go/No-Go steps (9.0%). */
static double rec_trace_inplace(const nm_layer *L, const nm_kernels *k, float decay, const float *pre,
                                const float *in, float *dh, float *eps, float *e, float *scratch, double norm)
{
    float *d = scratch;
    (void)in;
    k->rec_trace(L->out, L->in + L->out + 1, L->leak, decay, d, dh, pre + 2 * L->out, eps + L->elig,
                 eps + L->elig, e + L->w, e + L->w, NULL);
    return norm;   /* du, phase one's dh . d, already went down */
}

/* trace_inplace's writes (act's, deferred) fused with learn's update of the layer's weights: one pass over eps, e
 * and the weights */
static void rec_trace_update(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *dh,
                             float *eps, float *e, float *params, float step, int rev, int zero,
                             const float *scratch)
{
    k->rec_trace_update(L->out, L->in + L->out + 1, L->leak, decay, scratch, dh, pre + 2 * L->out, eps + L->elig,
                        e + L->w, params + L->w, step, rev, zero);
}

/* d/dx from the input rows of [W U]' (plain fixed-order dots at any size: no BLAS to choose) */
void nm_rec_input_grad(const nm_layer *L, const nm_kernels *k, const float *W, const float *dh, float *dprev)
{
    size_t j;
    (void)k;
    for (j = 0; j < L->in; j++) dprev[j] = nm_dot(L->out, W + j * L->out, dh);
}

const nm_layer_ops nm_layer_recurrent_tanh = {
    "recurrent", NM_LAYER_RECURRENT, NM_TANH, nm_rec_layout, nm_rec_init, rec_tanh_forward, rec_to_units,
    nm_rec_trace_unused, nm_rec_input_grad, rec_layout_state, rec_trace, rec_delta, rec_trace_inplace,
    rec_trace_update
};

const nm_layer_ops nm_layer_recurrent_relu = {
    "recurrent", NM_LAYER_RECURRENT, NM_RELU, nm_rec_layout, nm_rec_init, rec_relu_forward, rec_to_units,
    nm_rec_trace_unused, nm_rec_input_grad, rec_layout_state, rec_trace, rec_delta, rec_trace_inplace,
    rec_trace_update
};
