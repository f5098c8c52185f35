/*
 * bench_step.c -- the cost of one agent step (act + learn) in C, with every modulator on versus all off,
 * for a few network shapes (best of 5); then recurrent trunk layers (the recurrent and the integrator kind) of 32,
 * 64 and 256 units beside the feed-forward agent of the same width (every modulator on), under each kernel set
 * the CPU runs, the median CPU time of 7 runs. Prints ns per step and the ratios.
 *
 *   bench_step                          both tables
 *   bench_step --recurrent              the recurrent table only
 *   bench_step --work KIND UNITS STEPS  a fixed workload for `valgrind --tool=callgrind` (KIND dense, recurrent
 *                                       or integrator, the bench's config; prints the state hash)
 *   bench_step --time OBS HIDDEN STEPS [recurrent|integrator]  one shape with every modulator on (a dense
 *                                       layer, or a recurrent one of tau 5): the best CPU time of 5 runs of STEPS
 *                                       steps, ns per step (for back-to-back pairs of two builds, or of two kinds)
 *   bench_step --hashes                 recurrent agents of several shapes under each kernel set: their state
 *                                       hashes, to diff before and after a change to the recurrent step
 */
#define _POSIX_C_SOURCE 200112L
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

/* the process's CPU time: on a shared machine the wall clock also counts the time other jobs had the core */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The bench's agent: n_obs inputs, 2 actions, one trunk layer of the kind (tau 5 when recurrent), without
 * continual learning (bench_continual measures what that adds), so that these tables keep measuring the same
 * step as before it became the default */
static nm_agent *bench_agent(size_t n_obs, size_t hidden, unsigned mods, nm_layer_kind kind)
{
    nm_agent_config c;
    nm_agent *a;
    nm_agent_config_default(&c);
    nm_agent_config_continual(&c, 0);
    c.n_obs = n_obs; c.n_actions = 2; c.hidden[0] = hidden; c.modulators = mods;
    c.layer_kind[0] = kind;
    if (kind != NM_LAYER_DENSE) c.layer_tau[0] = 5.0f;
    return nm_agent_new(&c, &a, NULL, 0) == NM_OK ? a : NULL;
}

/* steps of act + learn on a fixed stream of observations, with an episode end every 15 steps */
static void run_steps(nm_agent *a, float *obs, size_t n_obs, int steps)
{
    int t;
    for (t = 0; t < steps; t++) {
        int act;
        obs[t % n_obs] = (float)(t % 3) - 1.0f;
        nm_agent_act(a, obs, n_obs, &act);
        nm_agent_learn(a, act == (t & 1) ? 1.0f : -0.5f, obs, n_obs, (t % 15) == 14);
    }
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* ns per step of a dense agent: the best wall-clock time of 5 runs of steps */
static double ns_per_step(size_t n_obs, size_t hidden, unsigned mods, int steps)
{
    nm_agent *a = bench_agent(n_obs, hidden, mods, NM_LAYER_DENSE);
    float obs[256];
    double best = -1.0;
    int rep;
    size_t i;
    if (!a) return -1;
    for (i = 0; i < n_obs; i++) obs[i] = (float)((i * 7) % 5) / 5.0f;
    for (rep = 0; rep < 5; rep++) {
        double t0 = now(), t;
        run_steps(a, obs, n_obs, steps);
        t = now() - t0;
        if (best < 0.0 || t < best) best = t;
    }
    nm_agent_free(a);
    return 1e9 * best / steps;
}

/* The recurrent table's measure: a dense agent and one whose layer is of the kind, of one width, PAIRS runs of each
 * taken in turn (dense, then the kind), CPU time. The medians of each kind, and the median of the PAIRS per-pair ratios: on a
 * machine whose speed drifts between runs (here it moves by 20-40% from one second to the next) a pair's two runs
 * see the same machine, so the ratio of a pair is steadier than the ratio of two medians taken apart. */
#define PAIRS 7
static void paired(size_t n_obs, size_t hidden, int steps, nm_layer_kind kind, double *dense, double *rec,
                   double *ratio)
{
    nm_agent *d = bench_agent(n_obs, hidden, NM_MOD_ALL, NM_LAYER_DENSE);
    nm_agent *r = bench_agent(n_obs, hidden, NM_MOD_ALL, kind);
    float obs[256];
    double td[PAIRS], tr[PAIRS], q[PAIRS];
    int rep;
    size_t i;
    *dense = *rec = *ratio = -1.0;
    if (d && r) {
        for (i = 0; i < n_obs; i++) obs[i] = (float)((i * 7) % 5) / 5.0f;
        for (rep = 0; rep < PAIRS; rep++) {
            double t0 = cpu_now();
            run_steps(d, obs, n_obs, steps);
            td[rep] = cpu_now() - t0;
            t0 = cpu_now();
            run_steps(r, obs, n_obs, steps);
            tr[rep] = cpu_now() - t0;
            q[rep] = tr[rep] / td[rep];
        }
        qsort(td, PAIRS, sizeof td[0], cmp_double);
        qsort(tr, PAIRS, sizeof tr[0], cmp_double);
        qsort(q, PAIRS, sizeof q[0], cmp_double);
        *dense = 1e9 * td[PAIRS / 2] / steps;
        *rec = 1e9 * tr[PAIRS / 2] / steps;
        *ratio = q[PAIRS / 2];
    }
    nm_agent_free(d);
    nm_agent_free(r);
}

static void modulator_table(void)
{
    static const size_t shapes[][2] = { { 3, 64 }, { 20, 32 }, { 64, 128 }, { 256, 256 } };
    size_t s;
    {
        nm_agent *a = bench_agent(3, 64, NM_MOD_ALL, NM_LAYER_DENSE);
        printf("agent step (act + learn), C, best of 5 x 200000 steps (OPENBLAS_NUM_THREADS=%s, kernel set %s)\n",
               getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset",
               a ? nm_agent_kernel_set(a) : "?");
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
}

/* The kernel sets this CPU runs, chosen through NEUROMOD_KERNELS (read when an agent is made) */
static const char *const kernel_sets[] = { "generic", "avx2", "avx512" };

static int use_kernel_set(const char *name)
{
    nm_agent *a;
    int ok;
    if (setenv("NEUROMOD_KERNELS", name, 1) != 0) return 0;
    a = bench_agent(3, 8, NM_MOD_ALL, NM_LAYER_DENSE);
    ok = a && strcmp(nm_agent_kernel_set(a), name) == 0;
    nm_agent_free(a);
    return ok;
}

static void recurrent_table(void)
{
    static const size_t widths[] = { 32, 64, 256 };
    const char *was = getenv("NEUROMOD_KERNELS");
    char saved[32] = "";
    size_t s, k;
    if (was) snprintf(saved, sizeof saved, "%s", was);
    printf("\nrecurrent and integrator trunk layers (tau 5) vs a dense one of the same width, 3 inputs, every modulator on\n"
           "(CPU time; %d runs of each, taken in turn, dense then the other kind, 200000 steps a run, 20000 at 256\n"
           " units: the medians of each, and the median of the %d pairs' ratios; dense: the recurrent pairs' median)\n",
           PAIRS, PAIRS);
    printf("  %-8s %-12s %14s %14s %8s %14s %8s\n", "kernels", "obs x hidden", "dense ns/step", "recur ns/step", "ratio",
           "integ ns/step", "ratio");
    for (k = 0; k < sizeof kernel_sets / sizeof kernel_sets[0]; k++) {
        if (!use_kernel_set(kernel_sets[k])) continue;
        for (s = 0; s < sizeof widths / sizeof widths[0]; s++) {
            int steps = widths[s] > 100 ? 20000 : 200000;
            double ff, rec, ratio, ff2, integ, iratio;
            char shape[32];
            paired(3, widths[s], steps, NM_LAYER_RECURRENT, &ff, &rec, &ratio);
            paired(3, widths[s], steps, NM_LAYER_INTEGRATOR, &ff2, &integ, &iratio);
            snprintf(shape, sizeof shape, "3 x %lu", (unsigned long)widths[s]);
            printf("  %-8s %-12s %14.0f %14.0f %8.3f %14.0f %8.3f\n", kernel_sets[k], shape, ff, rec, ratio, integ,
                   iratio);
        }
    }
    if (was) setenv("NEUROMOD_KERNELS", saved, 1);
    else unsetenv("NEUROMOD_KERNELS");
}

/* --time: one shape's step, every modulator on, the best CPU time of 5 runs (the pairs of docs/performance.md) */
static int time_shape(const char *n_obs, const char *hidden, const char *steps, nm_layer_kind kind)
{
    nm_agent *a = bench_agent((size_t)atol(n_obs), (size_t)atol(hidden), NM_MOD_ALL, kind);
    float obs[256];
    double best = -1.0;
    int rep, n = atoi(steps);
    size_t i, k = (size_t)atol(n_obs);
    if (!a || k > 256 || n < 1) {
        fprintf(stderr, "bench_step --time: OBS (at most 256) and HIDDEN positive counts, STEPS >= 1\n");
        nm_agent_free(a);
        return 1;
    }
    for (i = 0; i < k; i++) obs[i] = (float)((i * 7) % 5) / 5.0f;
    for (rep = 0; rep < 5; rep++) {
        double t0 = cpu_now(), t;
        run_steps(a, obs, k, n);
        t = cpu_now() - t0;
        if (best < 0.0 || t < best) best = t;
    }
    printf("%.1f\n", 1e9 * best / n);
    nm_agent_free(a);
    return 0;
}

/* --work: the bench's step, steps times, for instruction counts (count at 2N steps - count at N, over N) */
static int work(const char *kind, const char *units, const char *steps)
{
    nm_layer_kind k = strcmp(kind, "recurrent") == 0 ? NM_LAYER_RECURRENT
                    : strcmp(kind, "integrator") == 0 ? NM_LAYER_INTEGRATOR : NM_LAYER_DENSE;
    nm_agent *a = bench_agent(3, (size_t)atol(units), NM_MOD_ALL, k);
    float obs[3] = { 0.2f, 0.4f, 0.6f };
    if (!a || (k == NM_LAYER_DENSE && strcmp(kind, "dense") != 0)) {
        fprintf(stderr, "bench_step --work: KIND is dense, recurrent or integrator, UNITS a positive count\n");
        return 1;
    }
    run_steps(a, obs, 3, atoi(steps));
    printf("%s %s x %s, kernel set %s: state hash %016llx\n", kind, units, steps, nm_agent_kernel_set(a),
           (unsigned long long)nm_agent_state_hash(a));
    nm_agent_free(a);
    return 0;
}

/* --hashes: recurrent agents of several shapes (units not a multiple of the vector width, relu, tau 1, a dense
 * layer below, a large reward that makes the update clip, consolidation, a one-step gradient), each kernel set */
static int hashes(void)
{
    static const struct { size_t n_obs, dense, rec; float tau; int relu; float reward, consolidation; int steps; }
    cases[] = {
        { 3, 0, 64, 5.0f, 0, 1.0f, 0.0f, 3000 },
        { 3, 0, 37, 1.0f, 1, 1.0f, 0.0f, 3000 },
        { 5, 16, 20, 3.0f, 0, 1.0f, 0.0f, 3000 },
        { 3, 0, 64, 5.0f, 0, 50.0f, 0.0f, 2000 },
        { 4, 0, 29, 2.0f, 0, 1.0f, 0.1f, 2000 },
        { 3, 0, 256, 5.0f, 0, 1.0f, 0.0f, 300 },
        { 2, 8, 64, 1.5f, 1, 1.0f, 0.0f, 2000 },
    };
    size_t k, c, i;
    for (k = 0; k < sizeof kernel_sets / sizeof kernel_sets[0]; k++) {
        if (!use_kernel_set(kernel_sets[k])) continue;
        for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            nm_agent_config cfg;
            nm_agent *a;
            float obs[8] = { 0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.0f, 0.0f, 0.0f }, grad_sum = 0.0f, *grad;
            float probs[2], value;
            int t, act, refused = 0;
            nm_agent_config_default(&cfg);
            nm_agent_config_continual(&cfg, 0);
            cfg.n_obs = cases[c].n_obs; cfg.n_actions = 2; cfg.seed = 7 + c;
            cfg.activation = cases[c].relu ? NM_RELU : NM_TANH;
            cfg.base[NM_P_CONSOLIDATION] = cases[c].consolidation;
            if (cases[c].dense) {
                cfg.n_layers = 2; cfg.hidden[0] = cases[c].dense; cfg.hidden[1] = cases[c].rec;
                cfg.layer_kind[1] = NM_LAYER_RECURRENT; cfg.layer_tau[1] = cases[c].tau;
            } else {
                cfg.hidden[0] = cases[c].rec;
                cfg.layer_kind[0] = NM_LAYER_RECURRENT; cfg.layer_tau[0] = cases[c].tau;
            }
            if (nm_agent_new(&cfg, &a, NULL, 0) != NM_OK) { fprintf(stderr, "case %lu: no agent\n", (unsigned long)c); return 1; }
            for (t = 0; t < cases[c].steps; t++) {
                obs[t % cfg.n_obs] = (float)((t * 5) % 7) / 3.0f - 1.0f;
                if (nm_agent_act(a, obs, cfg.n_obs, &act) != NM_OK) { refused++; continue; }
                if (nm_agent_learn(a, act == ((t / 3) & 1) ? cases[c].reward : -0.5f, obs, cfg.n_obs,
                                   (t % 23) == 22) != NM_OK) {
                    refused++;
                    nm_agent_reset_traces(a);   /* drops the pending act */
                }
            }
            nm_agent_evaluate(a, obs, cfg.n_obs, probs, &value);
            grad = malloc(nm_agent_param_count(a) * sizeof *grad);
            if (grad && nm_agent_gradient(a, obs, cfg.n_obs, 1, 1.0f, 0.5f, grad) == NM_OK)
                for (i = 0; i < nm_agent_param_count(a); i++) grad_sum += grad[i] * grad[i];
            free(grad);
            printf("%-8s case %lu: hash %016llx  pi %.9g  V %.9g  |grad|^2 %.9g  refused %d\n", kernel_sets[k],
                   (unsigned long)c, (unsigned long long)nm_agent_state_hash(a), (double)probs[0], (double)value,
                   (double)grad_sum, refused);
            nm_agent_free(a);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--work") == 0) return work(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "--time") == 0) return time_shape(argv[2], argv[3], argv[4], NM_LAYER_DENSE);
    if (argc == 6 && strcmp(argv[1], "--time") == 0 && strcmp(argv[5], "recurrent") == 0)
        return time_shape(argv[2], argv[3], argv[4], NM_LAYER_RECURRENT);
    if (argc == 6 && strcmp(argv[1], "--time") == 0 && strcmp(argv[5], "integrator") == 0)
        return time_shape(argv[2], argv[3], argv[4], NM_LAYER_INTEGRATOR);
    if (argc == 2 && strcmp(argv[1], "--hashes") == 0) return hashes();
    if (argc == 1) modulator_table();
    else if (argc != 2 || strcmp(argv[1], "--recurrent") != 0) {
        fprintf(stderr, "usage: bench_step [--recurrent | --hashes | --work dense|recurrent|integrator UNITS STEPS | "
                        "--time OBS HIDDEN STEPS [recurrent|integrator]]\n");
        return 2;
    }
    recurrent_table();
    return 0;
}
