/*
 * layer_dense.c -- the dense trunk layer: post = f(gain . (W in + b)), W out x in row-major.
 *
 *   params [ W (out x in) | b (out) ]       traces: the same slices of the trace block
 *   per-unit state: the gain (NA, one per unit) that the forward pass reads; no state of its own
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

static void dense_layout(nm_layer *L, size_t *param_off)
{
    L->w = *param_off; *param_off += L->out * L->in;
    L->b = *param_off; *param_off += L->out;
}

/* W ~ U(-s, s) sqrt(3 / fan_in) (s = 1 is LeCun-uniform); b = 0 */
static void dense_init(const nm_layer *L, nm_rng *rng, float scale, float *params)
{
    nm_init_uniform(rng, params + L->w, L->out * L->in, scale * sqrtf(3.0f / (float)L->in));
}

static void dense_tanh_forward(const nm_layer *L, const nm_kernels *k, const float *in, const float *W,
                               const float *b, const float *gain, float *pre, float *post)
{
    nm_gemv_bias(k, L->out, L->in, W, in, b, pre);
    k->gain_tanh(L->out, gain, pre, post);
}

static void dense_relu_forward(const nm_layer *L, const nm_kernels *k, const float *in, const float *W,
                               const float *b, const float *gain, float *pre, float *post)
{
    nm_gemv_bias(k, L->out, L->in, W, in, b, pre);
    nm_gain_relu(L->out, gain, pre, post);
}

static void dense_tanh_to_units(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                                const float *gain, float *dh)
{
    (void)pre;
    k->tanh_backward(L->out, post, gain, dh);
}

static void dense_relu_to_units(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                                const float *gain, float *dh)
{
    (void)pre; (void)k;
    nm_relu_backward(L->out, post, gain, dh);
}

/* the gradient's norm from its factors, |dh in'|^2 + |dh|^2 = |dh|^2 (|in|^2 + 1): O(width), not O(weights) */
static double dense_trace(const nm_layer *L, const nm_kernels *k, float decay, const float *dh, const float *in,
                          const float *old, float *e)
{
    nm_ger_decay(k, L->out, L->in, decay, 1.0f, dh, in, old + L->w, e + L->w);
    nm_axpy_decay(k, L->out, decay, 1.0f, dh, old + L->b, e + L->b);
    return nm_sumsq(k, L->out, dh) * (nm_sumsq(k, L->in, in) + 1.0);
}

/* act's in-place step: dh through the activation and gain (to_units), and the gradient's norm from its factors,
 * as dense_trace takes it; dh is also d/d(W in + b), so du is not written */
static double dense_tanh_delta(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                               const float *gain, const float *in, double elig, float *dh, float *du,
                               float *scratch, double *elig_next)
{
    (void)elig; (void)du; (void)scratch; (void)elig_next;
    dense_tanh_to_units(L, k, pre, post, gain, dh);
    return nm_sumsq(k, L->out, dh) * (nm_sumsq(k, L->in, in) + 1.0);
}

static double dense_relu_delta(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                               const float *gain, const float *in, double elig, float *dh, float *du,
                               float *scratch, double *elig_next)
{
    (void)elig; (void)du; (void)scratch; (void)elig_next;
    dense_relu_to_units(L, k, pre, post, gain, dh);
    return nm_sumsq(k, L->out, dh) * (nm_sumsq(k, L->in, in) + 1.0);
}

/* dense_trace's arithmetic with old = e */
static double dense_trace_inplace(const nm_layer *L, const nm_kernels *k, float decay, const float *pre,
                                  const float *in, float *dh, float *eps, float *e, float *scratch, double norm)
{
    (void)pre; (void)eps; (void)scratch;
    nm_ger_decay_inplace(k, L->out, L->in, decay, 1.0f, dh, in, e + L->w);
    nm_axpy_decay_inplace(k, L->out, decay, 1.0f, dh, e + L->b);
    return norm;
}

static void dense_input_grad(const nm_layer *L, const nm_kernels *k, const float *W, const float *dh, float *dprev)
{
    memset(dprev, 0, L->in * sizeof *dprev);
    nm_gemv_t(k, L->out, L->in, W, dh, dprev);
}

const nm_layer_ops nm_layer_dense_tanh = {
    "dense", NM_LAYER_DENSE, NM_TANH, dense_layout, dense_init, dense_tanh_forward, dense_tanh_to_units,
    dense_trace, dense_input_grad, NULL, NULL, dense_tanh_delta, dense_trace_inplace, NULL
};

const nm_layer_ops nm_layer_dense_relu = {
    "dense", NM_LAYER_DENSE, NM_RELU, dense_layout, dense_init, dense_relu_forward, dense_relu_to_units,
    dense_trace, dense_input_grad, NULL, NULL, dense_relu_delta, dense_trace_inplace, NULL
};
