/*
 * spiking.h -- the spiking learner's parts, shared by learner_spiking.c, the C tests and the benchmark.
 * Not installed.
 *
 * Neurons (lif.c): leaky integrate-and-fire in threshold units (rest and reset 0, threshold 1),
 *     dv/dt = (b - v) / tau_m   between input spikes, integrated exactly over a step of dt:
 *     v <- b + (v - b) exp(-dt / tau_m);  then each arriving spike adds its weight (a delta synapse);
 *     v >= 1: a spike, v <- 0, and the neuron is held at 0 for the refractory steps.
 * Plasticity (stdp.c): pair-based STDP with nearest-free (all-to-all) traces,
 *     pre trace x_i and post trace y_j (x <- x exp(-dt/tau_plus) + 1 per pre spike, y likewise with tau_minus),
 *     a post spike adds a_plus x_i to the eligibility e_ij of every synapse into j, a pre spike subtracts
 *     a_minus y_j from every synapse out of i; e decays with tau_e; the weight moves by rate DA e_ij
 *     (Fremaux & Gerstner 2016, reward-modulated STDP with eligibility traces), clipped to [0, w_max]: an
 *     excitatory synapse stays excitatory (Dale's law).
 */
#ifndef NM_SPIKING_H
#define NM_SPIKING_H

#include <stddef.h>

/* Constants of one population's step, derived once from tau_m, dt and the refractory period. */
typedef struct nm_lif {
    float decay;       /* exp(-dt / tau_m) */
    float ref_steps;   /* refractory period in steps (held at reset after a spike) */
} nm_lif;

void nm_lif_init(nm_lif *p, float tau_m, float dt, float refractory);
/* The leak of n neurons over one step toward the drive b (one value for all): v <- b + (v - b) decay. */
void nm_lif_leak(const nm_lif *p, size_t n, float b, float *v);
/* Threshold, reset and refractoriness after the step's inputs were added to v: spike[j] = 1 or 0; returns the
 * number of spikes. A refractory neuron is held at 0 whatever its input. */
size_t nm_lif_fire(const nm_lif *p, size_t n, float *v, float *refr, float *spike);

/* The indices of the n cells whose spike flag is set, in order, into idx (n entries of room); returns how many. */
size_t nm_spike_list(size_t n, const float *spike, unsigned *idx);
/* A row of delta synapses: v[j] += g w[j] for j < n (the targets of one spiking neuron). */
void nm_syn_deliver(size_t n, float g, const float *w, float *v);

/* trace <- trace decay (n traces) */
void nm_stdp_decay(size_t n, float decay, float *trace);
/* A post spike of neuron j: e[i][j] += a_plus x[i] for every presynaptic i with plastic[i][j] != 0.
 * e, plastic: n_pre x n_post row-major. */
void nm_stdp_post(size_t n_pre, size_t n_post, size_t j, float a_plus, const float *x, const float *plastic,
                  float *e);
/* A pre spike of neuron i: e[i][j] -= a_minus y[j] for every j of row i with plastic[i][j] != 0. */
void nm_stdp_pre(size_t n_post, size_t i, float a_minus, const float *y, const float *plastic, float *e);
/* The third factor: w += step e where plastic, then w clipped to [0, w_max] (Dale: excitatory stays so). */
void nm_stdp_apply(size_t n, float step, const float *e, const float *plastic, float w_max, float *w);

#endif
