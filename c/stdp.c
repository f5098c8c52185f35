/* stdp.c -- pair-based STDP into eligibility traces, and the dopamine-gated weight update (spiking.h). */
#include "spiking.h"

void nm_stdp_decay(size_t n, float decay, float *trace)
{
    size_t i;
    for (i = 0; i < n; i++) trace[i] *= decay;
}

void nm_stdp_post(size_t n_pre, size_t n_post, size_t j, float a_plus, const float *x, const float *plastic,
                  float *e)
{
    size_t i;
    /* the mask is 0 or 1, so multiplying by it adds exactly a_plus x[i] or 0, without a branch */
    for (i = 0; i < n_pre; i++) e[i * n_post + j] += a_plus * x[i] * plastic[i * n_post + j];
}

void nm_stdp_pre(size_t n_post, size_t i, float a_minus, const float *y, const float *plastic, float *e)
{
    size_t j;
    const float *p = plastic + i * n_post;
    float *ei = e + i * n_post;
    for (j = 0; j < n_post; j++) ei[j] -= a_minus * y[j] * p[j];
}

void nm_stdp_apply(size_t n, float step, const float *e, const float *plastic, float w_max, float *w)
{
    size_t i;
    for (i = 0; i < n; i++) {
        float v = w[i] + step * (e[i] * plastic[i]);   /* a static synapse moves by exactly 0, even when step e
                                                          * would overflow */
        v = v < 0.0f ? 0.0f : v;
        w[i] = v > w_max ? w_max : v;
    }
}
