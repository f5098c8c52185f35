/*
 * bench_continual.c -- the cost of one agent step (act + learn) with the continual-learning options on, against
 * the same agent without them, on a one-step task of one-hot cues (the shape of the continual curriculum) and
 * on the wider shapes of bench_step. Announced conditions move to the next of four contexts every 5,000
 * steps (a boundary: importances added, anchors set, the gate switched); the task-free one is told nothing.
 * Prints ns per step (best of 5), the ratio to the plain agent, and the heap bytes in use after the timed
 * steps minus before (glibc's mallinfo2; 0 = no allocation per step).
 */
#define _POSIX_C_SOURCE 199309L
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "neuromod.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct variant {
    const char *name;
    int defaults;   /* 1: the default agent as it is (continual learning on); 0: continual off, then the fields */
    nm_importance importance;
    float consolidation, gating, boundary;
    int announce;
} variant;

static const variant VARIANTS[] = {
    { "plain (continual = false)", 0, NM_IMPORTANCE_SLOW, 0.0f, 0.0f, 0.0f, 0 },
    { "si", 0, NM_IMPORTANCE_SI, 0.01f, 0.0f, 0.0f, 1 },
    { "ewc", 0, NM_IMPORTANCE_EWC, 0.01f, 0.0f, 0.0f, 1 },
    { "gating 0.2", 0, NM_IMPORTANCE_SLOW, 0.0f, 0.2f, 0.0f, 1 },
    { "si + gating", 0, NM_IMPORTANCE_SI, 0.01f, 0.2f, 0.0f, 1 },
    { "si + gating, task-free", 0, NM_IMPORTANCE_SI, 0.01f, 0.2f, 0.5f, 0 },
    { "default, announced", 1, NM_IMPORTANCE_SI, 0.0f, 0.0f, 0.0f, 1 },
    { "default, task-free", 1, NM_IMPORTANCE_SI, 0.0f, 0.0f, 0.0f, 0 },
};

static nm_agent *make(size_t n_obs, size_t hidden, const variant *v)
{
    nm_agent_config c;
    nm_agent *a = NULL;
    nm_agent_config_default(&c);
    if (!v->defaults) {
        nm_agent_config_continual(&c, 0);
        c.importance = v->importance; c.base[NM_P_CONSOLIDATION] = v->consolidation;
        c.gating = v->gating; c.boundary = v->boundary;
    }
    c.n_obs = n_obs; c.n_actions = 2; c.hidden[0] = hidden;
    return nm_agent_new(&c, &a, NULL, 0) == NM_OK ? a : NULL;
}

/* steps of agent a from step t0 on: seconds taken */
static double run(nm_agent *a, size_t n_obs, const variant *v, long t0, int steps)
{
    float obs[256] = { 0 };
    double start = now();
    long t;
    for (t = t0; t < t0 + steps; t++) {
        size_t cue = (size_t)((t * 7) % (long)n_obs);
        int act, ctx = (int)(t / 5000);
        if (v->announce && t % 5000 == 0) nm_agent_set_context(a, ctx % 4);
        obs[cue] = 1.0f;
        nm_agent_act(a, obs, n_obs, &act);
        /* the context's rule: go on cues whose parity matches it */
        nm_agent_learn(a, (act == 1) == (((int)cue + ctx) % 2 == 0) ? 1.0f : 0.0f, obs, n_obs, 1);
        obs[cue] = 0.0f;
    }
    return now() - start;
}

enum { WARMUP = 10001 };   /* steps before the timed rounds: contexts 0, 1 and the first step of 2 */

int main(void)
{
    enum { NV = sizeof VARIANTS / sizeof VARIANTS[0] };
    static const size_t shapes[][3] = { { 6, 64, 100000 }, { 20, 32, 100000 }, { 64, 128, 20000 }, { 256, 256, 4000 } };
    size_t s, k;
    int rep;
    printf("agent step (act + learn) with continual learning, C, one-step task; best of 5 rounds, each round timing\n"
           "every variant in turn (so load on the machine falls on all alike); consolidation 0.01; contexts announced\n"
           "every 5000 steps except task-free (boundary 0.5), timed after 10,001 untimed steps; default = the library's default agent (si 0.01, gating 0.1,\n"
           "gate_min 6, open_yield, evidence_table, ...); heap = bytes gained over all the steps (0: no allocation)\n");
    printf("  %-12s %-26s %10s %8s %6s\n", "obs x hidden", "options", "ns/step", "ratio", "heap");
    for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        nm_agent *a[NV];
        double best[NV];
        long heap;
        struct mallinfo2 before, after;
        int steps = (int)shapes[s][2];
        char shape[32];
        for (k = 0; k < NV; k++) {
            best[k] = 1e30;
            if (!(a[k] = make(shapes[s][0], shapes[s][1], &VARIANTS[k]))) {
                fprintf(stderr, "bench_continual: cannot create the agent %s\n", VARIANTS[k].name);
                return 1;
            }
        }
        /* past the first two boundaries, untimed: the default agent's first context is open and adds no
         * importance, so until a second context exists it skips SI's and the pull's passes; the rounds then time
         * the steady state of contexts that keep importance */
        for (k = 0; k < NV; k++) run(a[k], shapes[s][0], &VARIANTS[k], 0, WARMUP);
        before = mallinfo2();
        for (rep = 0; rep < 5; rep++)
            for (k = 0; k < NV; k++) {
                double t = run(a[k], shapes[s][0], &VARIANTS[k], WARMUP + (long)rep * steps, steps);
                if (t < best[k]) best[k] = t;
            }
        after = mallinfo2();
        heap = (long)after.uordblks - (long)before.uordblks;
        snprintf(shape, sizeof shape, "%lu x %lu", (unsigned long)shapes[s][0], (unsigned long)shapes[s][1]);
        for (k = 0; k < NV; k++) {
            printf("  %-12s %-26s %10.0f %8.3f %6ld\n", k == 0 ? shape : "", VARIANTS[k].name, 1e9 * best[k] / steps,
                   best[k] / best[0], heap);
            nm_agent_free(a[k]);
        }
    }
    return 0;
}
