/*
 * bench_determinism.c -- the cost of one agent step (act + learn, every modulator on) for large layers with
 * deterministic = true (the library's fixed-order loops) and false (OpenBLAS for layers of 16,384 weights or
 * more), in microseconds, best of 3. Run it under each OPENBLAS_NUM_THREADS of interest (make bench runs 1).
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

static double us_per_step(size_t n_obs, size_t hidden, int deterministic, int steps)
{
    nm_agent_config c;
    nm_agent *a;
    float *obs = malloc(n_obs * sizeof *obs);
    double best = 1e30;
    int rep, t;
    size_t i;
    nm_agent_config_default(&c);
    c.n_obs = n_obs; c.n_actions = 4; c.hidden[0] = hidden; c.deterministic = deterministic;
    if (!obs || nm_agent_new(&c, &a, NULL, 0) != NM_OK) { free(obs); return -1; }
    for (i = 0; i < n_obs; i++) obs[i] = (float)((i * 7) % 5) / 5.0f - 0.4f;
    for (rep = 0; rep < 3; rep++) {
        double t0 = now(), dt;
        for (t = 0; t < steps; t++) {
            int act;
            obs[t % n_obs] = (float)(t % 3) - 1.0f;
            nm_agent_act(a, obs, n_obs, &act);
            nm_agent_learn(a, act == (t & 3) ? 1.0f : -0.25f, obs, n_obs, (t % 50) == 49);
        }
        dt = now() - t0;
        if (dt < best) best = dt;
    }
    nm_agent_free(a);
    free(obs);
    return 1e6 * best / steps;
}

int main(void)
{
    static const size_t shapes[][3] = { { 252, 64, 4000 }, { 128, 128, 4000 }, { 256, 256, 1000 }, { 1024, 1024, 100 } };
    size_t s;
    printf("agent step (act + learn, all modulators), C, best of 3, OPENBLAS_NUM_THREADS=%s\n",
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset");
    printf("  %-14s %18s %18s %8s\n", "obs x hidden", "deterministic us", "OpenBLAS us", "ratio");
    for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        double det = us_per_step(shapes[s][0], shapes[s][1], 1, (int)shapes[s][2]);
        double fast = us_per_step(shapes[s][0], shapes[s][1], 0, (int)shapes[s][2]);
        char name[32];
        snprintf(name, sizeof name, "%lux%lu", (unsigned long)shapes[s][0], (unsigned long)shapes[s][1]);
        printf("  %-14s %18.1f %18.1f %8.2f\n", name, det, fast, det / fast);
    }
    return 0;
}
