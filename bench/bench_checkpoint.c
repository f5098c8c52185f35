/*
 * bench_checkpoint.c -- what saving and loading one agent costs, in memory (nm_agent_save_buffer,
 * nm_agent_load_buffer) and through a file (nm_agent_save, nm_agent_load: written to a temporary name, synced and
 * renamed), for a trained agent of 3 inputs, 2 actions and one hidden layer of 16, 64 and 256 units; microseconds,
 * best of 3 runs. A population-based training loop or a soak run saves and loads often: this is its yardstick.
 *
 *   bench_checkpoint [loads]   (default 1000 in-memory round trips a run; a tenth as many through a file)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "neuromod.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* an agent with some learning behind it, so that its traces and modulators are not all zero */
static nm_agent *trained(size_t hidden)
{
    nm_agent_config c;
    nm_agent *a;
    float obs[3];
    int t, action;
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.n_layers = 1; c.hidden[0] = hidden; c.seed = 1;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return NULL;
    for (t = 0; t < 200; t++) {
        obs[0] = (float)(t % 2); obs[1] = (float)(t % 3 == 0); obs[2] = 1.0f;
        if (nm_agent_act(a, obs, 3, &action) != NM_OK ||
            nm_agent_learn(a, action == t % 2 ? 1.0f : 0.0f, obs, 3, t % 10 == 9 ? NM_TERMINAL : 0) != NM_OK) {
            nm_agent_free(a);
            return NULL;
        }
    }
    return a;
}

int main(int argc, char **argv)
{
    static const size_t widths[] = { 16, 64, 256 };
    int n = argc > 1 ? atoi(argv[1]) : 1000, n_file, rep, i;
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    size_t w;
    if (n < 10) { fprintf(stderr, "bench_checkpoint: loads: expected a count of at least 10, got %s\n", argv[1]); return 2; }
    n_file = n / 10;
    snprintf(path, sizeof path, "%s/bench_checkpoint.nmck", tmp && tmp[0] ? tmp : "/tmp");
    printf("checkpoint of one agent (3 inputs, 2 actions), best of 3 runs, us per call\n");
    printf("%8s %10s %10s %10s %10s %10s\n", "hidden", "bytes", "save buf", "load buf", "save file", "load file");
    for (w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        nm_agent *a = trained(widths[w]), *b;
        size_t len = a ? nm_agent_checkpoint_size(a) : 0;
        void *buf = len ? malloc(len) : NULL;
        double best[4] = { 1e30, 1e30, 1e30, 1e30 }, t0, t;
        char msg[256];
        if (!a || !buf) { fprintf(stderr, "bench_checkpoint: could not build the agent\n"); return 1; }
        for (rep = 0; rep < 3; rep++) {
            t0 = now();
            for (i = 0; i < n; i++)
                if (nm_agent_save_buffer(a, buf, len) != NM_OK) { fprintf(stderr, "save_buffer failed\n"); return 1; }
            if ((t = (now() - t0) / n) < best[0]) best[0] = t;
            t0 = now();
            for (i = 0; i < n; i++) {
                if (nm_agent_load_buffer(buf, len, &b, msg, sizeof msg) != NM_OK) { fprintf(stderr, "%s\n", msg); return 1; }
                nm_agent_free(b);
            }
            if ((t = (now() - t0) / n) < best[1]) best[1] = t;
            t0 = now();
            for (i = 0; i < n_file; i++)
                if (nm_agent_save(a, path) != NM_OK) { fprintf(stderr, "save to %s failed\n", path); return 1; }
            if ((t = (now() - t0) / n_file) < best[2]) best[2] = t;
            t0 = now();
            for (i = 0; i < n_file; i++) {
                if (nm_agent_load(path, &b, msg, sizeof msg) != NM_OK) { fprintf(stderr, "%s\n", msg); return 1; }
                nm_agent_free(b);
            }
            if ((t = (now() - t0) / n_file) < best[3]) best[3] = t;
        }
        printf("%8lu %10lu %10.1f %10.1f %10.1f %10.1f\n", (unsigned long)widths[w], (unsigned long)len,
               best[0] * 1e6, best[1] * 1e6, best[2] * 1e6, best[3] * 1e6);
        free(buf);
        nm_agent_free(a);
    }
    remove(path);
    return 0;
}
