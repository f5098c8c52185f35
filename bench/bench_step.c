/*
 * bench_step.c -- the cost of one agent step (act + learn) in C, with every modulator on versus all off,
 * for a few network shapes; then a recurrent trunk layer of 32, 64 and 256 units beside the feed-forward agent
 * of the same width (every modulator on). Prints ns per step and the ratio; timing is best-of-5.
 */
#define _POSIX_C_SOURCE 199309L
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

static double ns_per_step_kind(size_t n_obs, size_t hidden, unsigned mods, int steps, nm_layer_kind kind)
{
    nm_agent_config c;
    nm_agent *a;
    float obs[256];
    double best = 1e30;
    int rep, t;
    size_t i;
    nm_agent_config_default(&c);
    c.n_obs = n_obs; c.n_actions = 2; c.hidden[0] = hidden; c.modulators = mods;
    c.layer_kind[0] = kind;
    if (kind == NM_LAYER_RECURRENT) c.layer_tau[0] = 5.0f;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return -1;
    for (i = 0; i < n_obs; i++) obs[i] = (float)((i * 7) % 5) / 5.0f;
    for (rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (t = 0; t < steps; t++) {
            int act;
            obs[t % n_obs] = (float)(t % 3) - 1.0f;
            nm_agent_act(a, obs, n_obs, &act);
            nm_agent_learn(a, act == (t & 1) ? 1.0f : -0.5f, obs, n_obs, (t % 15) == 14);
        }
        if (now() - t0 < best) best = now() - t0;
    }
    nm_agent_free(a);
    return 1e9 * best / steps;
}

static double ns_per_step(size_t n_obs, size_t hidden, unsigned mods, int steps)
{
    return ns_per_step_kind(n_obs, hidden, mods, steps, NM_LAYER_DENSE);
}

int main(void)
{
    static const size_t shapes[][2] = { { 3, 64 }, { 20, 32 }, { 64, 128 }, { 256, 256 } };
    size_t s;
    {
        nm_agent_config c;
        nm_agent *a = NULL;
        nm_agent_config_default(&c);
        c.n_obs = 3; c.n_actions = 2;
        if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) { fprintf(stderr, "bench_step: cannot create an agent\n"); return 1; }
        printf("agent step (act + learn), C, best of 5 x 200000 steps (OPENBLAS_NUM_THREADS=%s, kernel set %s)\n",
               getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset", nm_agent_kernel_set(a));
        nm_agent_free(a);
    }
    printf("  %-16s %14s %14s %8s\n", "obs x hidden", "none ns/step", "all ns/step", "ratio");
    for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        double none = ns_per_step(shapes[s][0], shapes[s][1], 0u, 200000);
        double all = ns_per_step(shapes[s][0], shapes[s][1], NM_MOD_ALL, 200000);
        char shape[32];
        snprintf(shape, sizeof shape, "%lu x %lu", (unsigned long)shapes[s][0], (unsigned long)shapes[s][1]);
        printf("  %-16s %14.0f %14.0f %8.3f\n", shape, none, all, all / none);
    }
    {
        static const size_t widths[] = { 32, 64, 256 };
        printf("\nrecurrent trunk layer (tau 5) vs a dense one of the same width, 3 inputs, every modulator on\n");
        printf("  %-16s %14s %14s %8s\n", "obs x hidden", "dense ns/step", "recur ns/step", "ratio");
        for (s = 0; s < sizeof widths / sizeof widths[0]; s++) {
            int steps = widths[s] > 100 ? 50000 : 200000;
            double ff = ns_per_step_kind(3, widths[s], NM_MOD_ALL, steps, NM_LAYER_DENSE);
            double rec = ns_per_step_kind(3, widths[s], NM_MOD_ALL, steps, NM_LAYER_RECURRENT);
            char shape[32];
            snprintf(shape, sizeof shape, "3 x %lu", (unsigned long)widths[s]);
            printf("  %-16s %14.0f %14.0f %8.3f\n", shape, ff, rec, rec / ff);
        }
    }
    return 0;
}
