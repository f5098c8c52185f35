/* lif.c -- leaky integrate-and-fire neurons, integrated exactly (spiking.h). */
#include <math.h>
#include "spiking.h"

void nm_lif_init(nm_lif *p, float tau_m, float dt, float refractory)
{
    p->decay = (float)exp(-(double)dt / (double)tau_m);
    p->ref_steps = (float)floor((double)refractory / (double)dt + 0.5);
}

void nm_lif_leak(const nm_lif *p, size_t n, float b, float *v)
{
    size_t j;
    float d = p->decay;
    for (j = 0; j < n; j++) v[j] = b + (v[j] - b) * d;
}

size_t nm_lif_fire(const nm_lif *p, size_t n, float *v, float *refr, float *spike)
{
    size_t j, count = 0;
    float ref = p->ref_steps;
    /* float selects, no branches, so the loop vectorises: a held (refractory) cell counts down at 0, a cell at
     * threshold spikes, resets and starts its refractory count */
    for (j = 0; j < n; j++) {
        float r = refr[j], vj = v[j];
        float s = (r <= 0.0f && vj >= 1.0f) ? 1.0f : 0.0f;
        v[j] = (r > 0.0f || s > 0.0f) ? 0.0f : vj;
        refr[j] = s > 0.0f ? ref : (r > 0.0f ? r - 1.0f : r);
        spike[j] = s;
    }
    for (j = 0; j < n; j++) count += spike[j] != 0.0f;
    return count;
}

size_t nm_spike_list(size_t n, const float *spike, unsigned *idx)
{
    size_t j, k = 0;
    for (j = 0; j < n; j++) {
        idx[k] = (unsigned)j;
        k += spike[j] != 0.0f;
    }
    return k;
}

void nm_syn_deliver(size_t n, float g, const float *w, float *v)
{
    size_t j;
    for (j = 0; j < n; j++) v[j] += g * w[j];
}
