/*
 * layer_recurrent.c -- the leaky recurrent trunk layer and its online learning rule (e-prop).
 *
 *   z   = [x; h_{t-1}]                  (in + out: the layer's input and its own previous state; the cache)
 *   pre = gain . ([W U] z + b)          a = f(pre)          h_t = leak h_{t-1} + alpha a
 *   leak = 1 - 1/tau, alpha = 1/tau; post (the layer's output) is h_t
 *
 *   params [ [W U] (out x (in + out), row i = unit i's input then recurrent weights) | b (out) ]
 *   cache  [ pre (out) | a (out) | z (in + out) ] ... post (out)
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

static void rec_layout(nm_layer *L, size_t *param_off)
{
    L->wcols = L->in + L->out;
    L->w = *param_off; *param_off += L->out * L->wcols;
    L->b = *param_off; *param_off += L->out;
}

static void rec_layout_state(nm_layer *L, size_t *cache_off, size_t *state_off, size_t *elig_off)
{
    *cache_off += L->out;                 /* a, after pre */
    L->z = *cache_off; *cache_off += L->in + L->out;
    L->state = *state_off; *state_off += L->out;
    L->elig = *elig_off; *elig_off += L->out * L->wcols + L->out;
}

/* W ~ U(-s, s) sqrt(3 / in) as a dense layer's (drawn first, row by row), U ~ U(-s, s) sqrt(3 / out): variance
 * 1/out, a spectral radius near s (the circular law), so a naive layer neither forgets at once nor explodes;
 * b = 0 */
static void rec_init(const nm_layer *L, nm_rng *rng, float scale, float *params)
{
    size_t i;
    float bw = scale * sqrtf(3.0f / (float)L->in), bu = scale * sqrtf(3.0f / (float)L->out);
    for (i = 0; i < L->out; i++) nm_init_uniform(rng, params + L->w + i * L->wcols, L->in, bw);
    for (i = 0; i < L->out; i++) nm_init_uniform(rng, params + L->w + i * L->wcols + L->in, L->out, bu);
}

/* y = b + A z, A rows x n row-major: each row's dot product in eight fixed-order partial sums (one build, so
 * every kernel set gives the same bits; eight independent sums vectorise and pipeline where the shim's dot4
 * and OpenBLAS's generic sgemv were a third of the step) */
static void rec_gemv(size_t rows, size_t n, const float *restrict A, const float *restrict z,
                     const float *restrict b, float *restrict y)
{
    size_t i, j, k;
    for (i = 0; i < rows; i++) {
        const float *row = A + i * n;
        float s[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
        for (j = 0; j + 8 <= n; j += 8)
            for (k = 0; k < 8; k++) s[k] += row[j + k] * z[j + k];
        for (; j < n; j++) s[0] += row[j] * z[j];
        y[i] = b[i] + (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
    }
}

/* in is z (the network has filled it); h_t = leak h_{t-1} + alpha a, h_{t-1} the tail of z */
static void rec_leak(const nm_layer *L, const nm_kernels *k, const float *z, const float *act, float *post)
{
    nm_scal_to(k, L->out, L->leak, z + L->in, post);
    nm_axpy(k, L->out, L->alpha, act, post);
}

static void rec_tanh_forward(const nm_layer *L, const nm_kernels *k, const float *z, const float *W,
                             const float *b, const float *gain, float *pre, float *post)
{
    rec_gemv(L->out, L->wcols, W, z, b, pre);
    k->gain_tanh(L->out, gain, pre, pre + L->out);
    rec_leak(L, k, z, pre + L->out, post);
}

static void rec_relu_forward(const nm_layer *L, const nm_kernels *k, const float *z, const float *W,
                             const float *b, const float *gain, float *pre, float *post)
{
    rec_gemv(L->out, L->wcols, W, z, b, pre);
    nm_gain_relu(L->out, gain, pre, pre + L->out);
    rec_leak(L, k, z, pre + L->out, post);
}

/* d h_t,i / d (W z + b)_i = alpha f'(pre_i) gain_i, f' read from a (as the dense kinds read it from post) */
static inline float rec_unit(const nm_layer *L, const float *act, const float *gain, size_t i)
{
    float fp = L->activation == NM_RELU ? (act[i] > 0.0f ? 1.0f : 0.0f) : 1.0f - act[i] * act[i];
    return L->alpha * (fp * gain[i]);
}

static void rec_to_units(const nm_layer *L, const nm_kernels *k, const float *pre, const float *post,
                         const float *gain, float *dh)
{
    size_t i;
    (void)k; (void)post;
    for (i = 0; i < L->out; i++) dh[i] *= rec_unit(L, pre + L->out, gain, i);
}

/* The feed-forward trace op is never called for this kind (trace_rec replaces it); kept total for the table. */
static double rec_trace_unused(const nm_layer *L, const nm_kernels *k, float decay, const float *dh,
                               const float *in, const float *old, float *e)
{
    (void)L; (void)k; (void)decay; (void)dh; (void)in; (void)old; (void)e;
    return NAN;
}

/* er = leak old + d z (n floats), returning |er|^2 from eight float partial sums, in the same pass (a relative
 * error of n 2^-24 at most, far inside the 1e-3 margin learn gives the trace bound) */
static float rec_elig_row(size_t n, float leak, float d, const float *restrict z, const float *restrict old,
                          float *restrict er)
{
    size_t j, k;
    float s[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
    for (j = 0; j + 8 <= n; j += 8)
        for (k = 0; k < 8; k++) {
            float v = leak * old[j + k] + d * z[j + k];
            er[j + k] = v;
            s[k] += v * v;
        }
    for (; j < n; j++) {
        float v = leak * old[j] + d * z[j];
        er[j] = v;
        s[0] += v * v;
    }
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* Row by row, so that each unit's eligibility row is still in cache when the trace reads it. Every row's norm
 * is summed, also where dh_i = 0, so that a non-finite eligibility makes the returned norm non-finite (and act
 * then scans the trace, which it has made non-finite too, and refuses the step). */
static double rec_trace(const nm_layer *L, const nm_kernels *k, float decay, const float *pre, const float *gain,
                        const float *eps_old, float *eps_new, const float *old, float *e, float *dh)
{
    const float *act = pre + L->out, *z = pre + 2 * L->out;
    size_t i, C = L->wcols, nb = L->out * C;
    double n2 = 0.0;
    for (i = 0; i < L->out; i++) {
        float d = rec_unit(L, act, gain, i), g = dh[i], eb;
        float *er = eps_new + i * C;
        double s2 = rec_elig_row(C, L->leak, d, z, eps_old + i * C, er);
        eb = L->leak * eps_old[nb + i] + d;
        eps_new[nb + i] = eb;
        nm_axpy_decay(k, C, decay, g, er, old + L->w + i * C, e + L->w + i * C);
        e[L->b + i] = decay * old[L->b + i] + g * eb;
        n2 += (double)g * g * (s2 + (double)eb * eb);
        dh[i] = g * d;
    }
    return n2;
}

/* d/dx from the input columns of [W U] (row stride in + out) */
static void rec_input_grad(const nm_layer *L, const float *W, const float *dh, float *dprev)
{
    size_t i, j;
    memset(dprev, 0, L->in * sizeof *dprev);
    for (i = 0; i < L->out; i++) {
        const float *row = W + i * L->wcols;
        float g = dh[i];
        for (j = 0; j < L->in; j++) dprev[j] += row[j] * g;
    }
}

const nm_layer_ops nm_layer_recurrent_tanh = {
    "recurrent", NM_LAYER_RECURRENT, NM_TANH, rec_layout, rec_init, rec_tanh_forward, rec_to_units,
    rec_trace_unused, rec_input_grad, rec_layout_state, rec_trace
};

const nm_layer_ops nm_layer_recurrent_relu = {
    "recurrent", NM_LAYER_RECURRENT, NM_RELU, rec_layout, rec_init, rec_relu_forward, rec_to_units,
    rec_trace_unused, rec_input_grad, rec_layout_state, rec_trace
};
