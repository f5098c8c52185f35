/*
 * bench_spiking.c -- the spiking peer network in C, on the spiking learner's own neuron and plasticity code
 * (c/lif.c, c/stdp.c), and the cost of one Go/No-Go trial for the spiking and the rate agent.
 *
 * The network (the same as bench/peers/brian2_stdp.py): 400 LIF neurons (320 E, 80 I; tau_m 20 ms, threshold
 * 1, reset 0, refractory 2 ms, constant drive 0.6, exact integration), 40 Poisson inputs at 20 Hz, each onto
 * 160 distinct E cells (6,400 plastic synapses, w ~ U(0, 0.1), w_max 0.2) with pre and post traces (20 ms),
 * an eligibility per synapse (tau_e 200 ms) and every 20 ms the dopamine-gated update w += 0.01 da(t) e clipped
 * to [0, w_max], da(t) = cos(2 pi t / 1 s); 16,000 static recurrent synapses (each cell receives 40, E +0.02,
 * I -0.1); dt = 1 ms. Prints simulated seconds per wall second (best of 3 runs of 20 s) and the spike count.
 *   usage: bench_spiking [simulated_seconds [network]]   (a second argument: the network only)
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "neuromod.h"
#include "../c/spiking.h"

#define N 400
#define NE 320
#define NIN 40
#define FANOUT 160
#define FANIN 40

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct net {
    float w[NIN * N], e[NIN * N], plastic[NIN * N];   /* input -> cell, dense rows (0 where no synapse) */
    float rec[N * N];                                   /* recurrent, row = presynaptic cell */
    float v[N], refr[N], y[N], spk[N], x[NIN];
    unsigned last[N], n_last;   /* the previous step's spikes, as a list */
} net;

static void pick(nm_rng *r, int n, int k, int skip, int *out)
{
    int c = 0;
    while (c < k) {
        int64_t j;
        int d, dup = 0;
        nm_rng_range(r, 0, n - 1, &j);
        if ((int)j == skip) continue;
        for (d = 0; d < c; d++) dup |= out[d] == (int)j;
        if (!dup) out[c++] = (int)j;
    }
}

static void build(net *s, uint64_t seed)
{
    nm_rng r;
    int i, j, t[FANOUT];
    memset(s, 0, sizeof *s);
    nm_rng_seed(&r, seed);
    for (i = 0; i < NIN; i++) {
        pick(&r, NE, FANOUT, -1, t);
        for (j = 0; j < FANOUT; j++) {
            s->w[i * N + t[j]] = (float)(nm_rng_uniform(&r) * 0.1);
            s->plastic[i * N + t[j]] = 1.0f;
        }
    }
    for (j = 0; j < N; j++) {
        pick(&r, N, FANIN, j, t);
        for (i = 0; i < FANIN; i++) s->rec[t[i] * N + j] = t[i] < NE ? 0.02f : -0.1f;
    }
    for (j = 0; j < N; j++) s->v[j] = (float)(nm_rng_uniform(&r) * 0.5);
}

/* steps of 1 ms; returns the number of cell spikes */
static long simulate(net *s, nm_rng *r, long steps)
{
    const float dt = 1.0f, p_in = 20.0f * dt * 1e-3f;
    const float dx = (float)exp(-1.0 / 20.0), de = (float)exp(-1.0 / 200.0);
    nm_lif lif;
    long k, spikes = 0;
    int i, j;
    unsigned n;
    nm_lif_init(&lif, 20.0f, dt, 2.0f);
    for (k = 0; k < steps; k++) {
        nm_stdp_decay(NIN, dx, s->x);
        nm_stdp_decay(N, dx, s->y);
        nm_stdp_decay(NIN * N, de, s->e);
        nm_lif_leak(&lif, N, 0.5f, s->v);
        for (n = 0; n < s->n_last; n++) nm_syn_deliver(N, 1.0f, s->rec + (size_t)s->last[n] * N, s->v);
        for (i = 0; i < NIN; i++)
            if (nm_rng_uniform(r) < (double)p_in) {
                nm_syn_deliver(N, 1.0f, s->w + i * N, s->v);
                nm_stdp_pre(N, (size_t)i, 1.05f, s->y, s->plastic, s->e);
                s->x[i] += 1.0f;
            }
        spikes += (long)nm_lif_fire(&lif, N, s->v, s->refr, s->spk);
        s->n_last = (unsigned)nm_spike_list(N, s->spk, s->last);
        for (n = 0; n < s->n_last; n++) {
            j = (int)s->last[n];
            if (j < NE) nm_stdp_post(NIN, N, (size_t)j, 1.0f, s->x, s->plastic, s->e);
            s->y[j] += 1.0f;
        }
        if ((k + 1) % 20 == 0) {
            float da = (float)cos(2.0 * 3.14159265358979 * (double)(k + 1) * 1e-3);
            nm_stdp_apply(NIN * N, 0.01f * da, s->e, s->plastic, 0.2f, s->w);
        }
    }
    return spikes;
}

/* ns per Go/No-Go trial (15 steps, the cue held) of an agent of the given model, best of 3 */
static double trial_ns(nm_model model, int trials)
{
    nm_agent_config c;
    nm_agent *a;
    double best = 1e30;
    int rep, t, k;
    nm_agent_config_default(&c);
    nm_agent_config_continual(&c, 0);   /* the spiking learner takes no continual rows: both learners without */
    c.n_obs = 3; c.n_actions = 2; c.model = model;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return -1;
    for (rep = 0; rep < 3; rep++) {
        double t0 = now();
        for (t = 0; t < trials; t++) {
            int go = t % 2, act = 0;
            for (k = 0; k < 15; k++) {
                float obs[3] = { k < 10 ? 1.0f : 0.0f, go ? 0.0f : 1.0f, go ? 1.0f : 0.0f };
                nm_agent_act(a, obs, 3, &act);
                nm_agent_learn(a, k == 14 ? (act == go ? 1.0f : -0.5f) : 0.0f, k == 14 ? NULL : obs, k == 14 ? 0 : 3,
                               k == 14);
            }
        }
        if (now() - t0 < best) best = now() - t0;
    }
    nm_agent_free(a);
    return best / trials * 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 20.0, best = 1e30;
    long steps = (long)(seconds * 1000.0 + 0.5), spikes = 0;
    static net s;
    int rep;
    double spk_trial, rate_trial;
    for (rep = 0; rep < 3; rep++) {
        nm_rng r;
        double t0;
        build(&s, 1);
        nm_rng_seed(&r, 2);
        t0 = now();
        spikes = simulate(&s, &r, steps);
        if (now() - t0 < best) best = now() - t0;
    }
    printf("spiking peer network (400 LIF, 6,400 plastic + 16,000 static synapses, dt 1 ms): %.1f simulated s in "
           "%.3f s wall: %.1f simulated s per wall s (%.3f s wall per simulated s); mean rate %.1f Hz\n",
           seconds, best, seconds / best, best / seconds, (double)spikes / N / seconds);
    if (argc > 2) return 0;   /* the network only */
    spk_trial = trial_ns(NM_MODEL_SPIKING, seconds < 1.0 ? 20 : 500);
    rate_trial = trial_ns(NM_MODEL_RATE, seconds < 1.0 ? 20 : 2000);
    printf("one Go/No-Go trial (15 steps, act + learn, defaults): spiking %.1f us, rate %.1f us (%.0fx)\n",
           spk_trial * 1e-3, rate_trial * 1e-3, spk_trial / rate_trial);
    return 0;
}
