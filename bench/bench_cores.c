/*
 * bench_cores.c -- what a second thread buys on this machine, without the library: the yardstick for the
 * populations' "2t/1t". Two kinds of work, each timed on 1 and then 2 threads (best of 5, wall clock):
 *   compute: independent chains of float multiply-adds in registers (no memory traffic);
 *   stream:  read-modify-write passes over 24 MB of floats, split between the threads, about the state of a
 *            population of 4096 members at 64 units (more than the cores' L2 holds; a large L3 may hold it, and
 *            hold the population too).
 * A ratio under 2 on the compute line is the cores themselves (shared physical cores, a clock that drops when
 * both run); under 2 on the stream line, the memory bandwidth the cores share.
 *   bench_cores
 */
#define _POSIX_C_SOURCE 199309L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STREAM_FLOATS (24u * 1024u * 1024u / 4u)
#define COMPUTE_ITERS 40000000L
#define STREAM_PASSES 40

typedef struct job { float *x; size_t n; int kind; float out; } job;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *run(void *arg)
{
    job *j = arg;
    size_t i;
    int p;
    if (j->kind == 0) {   /* eight independent chains: throughput, not latency */
        float a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        long it;
        int k;
        for (it = 0; it < COMPUTE_ITERS; it++)
            for (k = 0; k < 8; k++) a[k] = a[k] * 0.9999999f + 1e-7f;
        j->out = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
    } else {
        for (p = 0; p < STREAM_PASSES; p++) {
            for (i = 0; i < j->n; i++) j->x[i] = j->x[i] * 0.999f + 1e-3f;
            __asm__ volatile("" ::: "memory");   /* each pass reads and writes memory: no two fused into one */
        }
        j->out = j->x[0];
    }
    return NULL;
}

/* work per second of `threads` threads sharing the work (each thread its own half of the stream, or a full
 * compute job each: per-thread work fixed, so the rate counts what the threads do together) */
static double rate(int kind, int threads, float *x)
{
    double best = 1e30;
    int rep, t;
    for (rep = 0; rep < 5; rep++) {
        job j[2];
        pthread_t th;
        double t0, dt;
        for (t = 0; t < threads; t++) {
            j[t].kind = kind;
            j[t].n = STREAM_FLOATS / (size_t)threads;
            j[t].x = x + (size_t)t * j[t].n;
        }
        t0 = now();
        if (threads == 2 && pthread_create(&th, NULL, run, &j[1]) != 0) { fprintf(stderr, "bench_cores: thread\n"); exit(1); }
        run(&j[0]);
        if (threads == 2) pthread_join(th, NULL);
        dt = now() - t0;
        if (dt < best) best = dt;
    }
    return (kind == 0 ? (double)threads : 1.0) / best;
}

int main(void)
{
    float *x = malloc(STREAM_FLOATS * sizeof *x);
    size_t i;
    double c1, c2, s1, s2;
    if (!x) { fprintf(stderr, "bench_cores: out of memory\n"); return 1; }
    for (i = 0; i < STREAM_FLOATS; i++) x[i] = 1.0f;
    c1 = rate(0, 1, x); c2 = rate(0, 2, x);
    s1 = rate(1, 1, x); s2 = rate(1, 2, x);
    printf("\nwhat a second thread buys on this machine, without the library (wall clock, best of 5; the yardstick for "
           "the populations' 2t/1t)\n");
    printf("  compute (multiply-adds in registers)          2 threads / 1: %.2fx\n", c2 / c1);
    printf("  stream (read-modify-write over 24 MB)         2 threads / 1: %.2fx (1 thread %.1f GB/s)\n", s2 / s1,
           s1 * STREAM_PASSES * 2.0 * STREAM_FLOATS * 4.0 / 1e9);
    free(x);
    return 0;
}
