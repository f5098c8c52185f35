/*
 * bench_population.c -- agent-steps per second (one act + one learn per member) of N agents of 3 inputs and
 * 2 actions, for N = 1, 8, 64, 256, 4096 and hidden 16, 64, 256: N lone agents stepped one after another (the
 * sequential baselines: each acting and learning in turn, and all acting then all learning, a game loop's order
 * and the population's), a population on 1 thread stepping its members one by one (NEUROMOD_INTERLEAVE=0), the
 * same interleaved (16 members per vector group, the default), and interleaved on 2 threads; per kernel set this
 * CPU runs. Every member takes the same calls as its lone agent, so all five do identical work. Each is timed by the process's CPU
 * time (all its threads; steady on a loaded machine; with two threads it includes their waits' spinning, up to
 * about 160 us a call) and by the wall clock (what threads buy, when cores are free):
 * "seq/1t" is the interleaved population's CPU speed over "seq phases", "2t/1t" its wall-clock speed-up from a second thread.
 * After each set's table, rows for each recurrent kind: members whose trunk is one such layer (tau 5; 256 members
 * of 16 and 32 units, and 64 for the integrator: the interleaved step covers the recurrent kind up to 32 units
 * generic and AVX-512, 48 AVX2, the integrator up to the dense widths).
 *   bench_population [--quick] [--sets generic,avx2,avx512] [--hidden H] [--n N]
 *   bench_population --only seq|pop|step --steps T --hidden H --n N [--threads K] [--continual] [--recurrent TAU]
 *                    [--context ID]
 *                                       (one case, T steps a run: for instruction counts, or two builds timed in turn;
 *                                       step: the population through nm_population_step; --continual: members
 *                                       with the library's default, continual-learning config; --recurrent: a
 *                                       recurrent trunk layer of time constant TAU, in the table too; --context:
 *                                       every member told context ID first, a second task's gate, importance and
 *                                       pull at work, with --continual)
 * Timing: best of 3 runs of about BUDGET agent-steps each (fewer with --quick), after one warm-up step.
 * Instructions per agent-step (the machine's load does not move them): the kernel set from NEUROMOD_KERNELS,
 *   valgrind --tool=callgrind ./build/bench_population --only pop --steps 120 --hidden 64 --n 256
 * minus the same with --steps 20, over 300 x 256 (three runs of 100 more steps each, 256 members).
 */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "neuromod.h"

enum { N_OBS = 3, N_ACT = 2, POOL = 4093 };

static double clock_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static double now(void) { return clock_of(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_of(CLOCK_PROCESS_CPUTIME_ID); }   /* all threads of the process */

typedef struct timing { double wall_rate, cpu_ns; } timing;   /* agent-steps per wall second; CPU ns per agent-step */

static float pool[POOL + 4096 * N_OBS];   /* observations: a window that slides by one float per step */

/* members without continual learning (the table's), or the library's default agent (--continual: interleaved in
 * every context; docs/results/population.md) */
static int continual_members = 0;
static float recurrent_tau = 0.0f;   /* > 0: the trunk is one recurrent layer of this time constant */
static nm_layer_kind recurrent_kind = NM_LAYER_RECURRENT;   /* ... of this kind (--kind integrator) */
static int announce_context = 0;     /* > 0: every member is told this context first (a second task: its gate,
                                      * importance and pull at work) */
static void config(nm_agent_config *c, size_t hidden)
{
    nm_agent_config_default(c);
    nm_agent_config_continual(c, continual_members);
    c->n_obs = N_OBS; c->n_actions = N_ACT; c->hidden[0] = hidden;
    if (recurrent_tau > 0.0f) { c->layer_kind[0] = recurrent_kind; c->layer_tau[0] = recurrent_tau; }
}

/* agent-steps per second of a population on `threads`, or of N lone agents (threads 0): each acting then learning
 * in turn (interleaved = 1), or all acting then all learning (interleaved = 0, a game loop's order, where the
 * rewards come from the world after every creature has moved: the population's order). A population with
 * interleaved = 1 takes nm_population_step, each member learning and then acting on its next observation. */
static timing rate(size_t N, size_t hidden, size_t threads, int steps, int interleaved)
{
    float *rew = malloc(N * sizeof *rew);
    int *act = malloc(N * sizeof *act), *term = malloc(N * sizeof *term);
    nm_agent **lone = NULL;
    nm_population *pop = NULL;
    double best = 1e30, best_cpu = 1e30;
    timing out;
    size_t k;
    int rep, t;
    for (k = 0; k < N; k++) { rew[k] = 0.0f; term[k] = 0; }
    if (threads == 0) {
        nm_agent_config c;
        config(&c, hidden);
        lone = calloc(N, sizeof *lone);
        for (k = 0; k < N; k++) {
            c.seed = 1 + k;
            if (nm_agent_new(&c, &lone[k], NULL, 0) != NM_OK) { fprintf(stderr, "bench_population: agent\n"); exit(1); }
            if (announce_context && nm_agent_set_context(lone[k], announce_context) != NM_OK) {
                fprintf(stderr, "bench_population: context\n");
                exit(1);
            }
        }
    } else {
        nm_population_config pc;
        char msg[256];
        nm_population_config_default(&pc);
        config(&pc.base, hidden);
        pc.n = N; pc.threads = threads;
        if (nm_population_new(&pc, &pop, msg, sizeof msg) != NM_OK) { fprintf(stderr, "bench_population: %s\n", msg); exit(1); }
        for (k = 0; k < N && announce_context; k++)
            if (nm_population_set_context(pop, k, announce_context) != NM_OK) {
                fprintf(stderr, "bench_population: %s\n", nm_population_error(pop));
                exit(1);
            }
    }
    for (rep = -1; rep < 3; rep++) {   /* rep -1: warm-up */
        int T = rep < 0 ? 1 : steps;
        double t0 = now(), c0 = cpu(), dt, dc;
        for (t = 0; t < T; t++) {
            const float *obs = pool + (t % POOL), *next = pool + ((t + 1) % POOL);
            for (k = 0; k < N; k++) term[k] = ((size_t)t + k) % 100 == 99;
            if (pop && interleaved) {   /* the first act, then learn-and-act: the same calls to the agents */
                if (t == 0 && rep < 0) nm_population_act(pop, obs, N * N_OBS, act, N);
                for (k = 0; k < N; k++) rew[k] = act[k] == (int)(k & 1) ? 1.0f : -0.5f;
                nm_population_step(pop, rew, N, next, N * N_OBS, term, N, NULL, 0, act, N);
            } else if (pop) {
                nm_population_act(pop, obs, N * N_OBS, act, N);
                for (k = 0; k < N; k++) rew[k] = act[k] == (int)(k & 1) ? 1.0f : -0.5f;
                nm_population_learn(pop, rew, N, next, N * N_OBS, term, N);
            } else if (interleaved) {
                for (k = 0; k < N; k++) {
                    nm_agent_act(lone[k], obs + k * N_OBS, N_OBS, &act[k]);
                    nm_agent_learn(lone[k], act[k] == (int)(k & 1) ? 1.0f : -0.5f, next + k * N_OBS, N_OBS, term[k]);
                }
            } else {
                for (k = 0; k < N; k++) nm_agent_act(lone[k], obs + k * N_OBS, N_OBS, &act[k]);
                for (k = 0; k < N; k++) rew[k] = act[k] == (int)(k & 1) ? 1.0f : -0.5f;
                for (k = 0; k < N; k++) nm_agent_learn(lone[k], rew[k], next + k * N_OBS, N_OBS, term[k]);
            }
        }
        dt = now() - t0;
        dc = cpu() - c0;
        if (rep >= 0 && dt < best) best = dt;
        if (rep >= 0 && dc < best_cpu) best_cpu = dc;
    }
    if (pop) nm_population_free(pop);
    if (lone) { for (k = 0; k < N; k++) nm_agent_free(lone[k]); free(lone); }
    free(rew); free(act); free(term);
    out.wall_rate = (double)N * steps / best;
    out.cpu_ns = 1e9 * best_cpu / ((double)N * steps);
    return out;
}

int main(int argc, char **argv)
{
    static const size_t Ns[] = { 1, 8, 64, 256, 4096 }, hiddens[] = { 16, 64, 256 };
    const char *sets[] = { "generic", "avx2", "avx512" };
    const char *only = NULL, *mode = NULL;
    size_t only_h = 0, only_n = 0, only_t = 1;
    int fixed_steps = 0;
    double budget = 400000;   /* agent-steps per run at hidden 16; scaled down for wider layers */
    size_t s, h, i;
    int a;
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--quick") == 0) budget = 60000;
        else if (strcmp(argv[a], "--sets") == 0 && a + 1 < argc) only = argv[++a];
        else if (strcmp(argv[a], "--hidden") == 0 && a + 1 < argc) only_h = (size_t)atol(argv[++a]);
        else if (strcmp(argv[a], "--n") == 0 && a + 1 < argc) only_n = (size_t)atol(argv[++a]);
        else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc) mode = argv[++a];
        else if (strcmp(argv[a], "--steps") == 0 && a + 1 < argc) fixed_steps = atoi(argv[++a]);
        else if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) only_t = (size_t)atol(argv[++a]);
        else if (strcmp(argv[a], "--continual") == 0) continual_members = 1;
        else if (strcmp(argv[a], "--recurrent") == 0 && a + 1 < argc) recurrent_tau = (float)atof(argv[++a]);
        else if (strcmp(argv[a], "--context") == 0 && a + 1 < argc) announce_context = atoi(argv[++a]);
        else if (strcmp(argv[a], "--kind") == 0 && a + 1 < argc && strcmp(argv[a + 1], "integrator") == 0) {
            recurrent_kind = NM_LAYER_INTEGRATOR;
            a++;
        }
        else {
            fprintf(stderr, "usage: bench_population [--quick] [--sets generic,avx2,avx512] [--hidden H] [--n N]\n"
                            "       bench_population --only seq|pop|step --steps T --hidden H --n N [--threads K] [--continual]\n"
                            "                        [--recurrent TAU [--kind integrator]] [--context ID]\n");
            return 2;
        }
    }
    if (mode) {   /* one case under NEUROMOD_KERNELS: the lone agents (all act, then all learn) or the population */
        timing t;
        int pop = strcmp(mode, "pop") == 0 || strcmp(mode, "step") == 0, fused = strcmp(mode, "step") == 0;
        size_t k;
        if ((!pop && strcmp(mode, "seq") != 0) || fixed_steps < 1 || !only_h || !only_n || !only_t) {
            fprintf(stderr, "bench_population: --only seq|pop|step needs --steps, --hidden and --n (--threads: pop and step, >= 1)\n");
            return 2;
        }
        for (k = 0; k < sizeof pool / sizeof pool[0]; k++) pool[k] = (float)((k * 7919) % 201) / 100.0f - 1.0f;
        t = rate(only_n, only_h, pop ? only_t : 0, fixed_steps, fused);
        printf("%s hidden %lu N %lu threads %lu: %.0f CPU ns per agent-step, %.0f agent-steps per second\n", mode,
               (unsigned long)only_h, (unsigned long)only_n, (unsigned long)(pop ? only_t : 1), t.cpu_ns,
               t.wall_rate);
        return 0;
    }
    for (i = 0; i < sizeof pool / sizeof pool[0]; i++) pool[i] = (float)((i * 7919) % 201) / 100.0f - 1.0f;
    {
        FILE *f = fopen("/proc/loadavg", "r");
        char load[64] = "unknown";
        if (f) { if (!fgets(load, sizeof load, f)) strcpy(load, "unknown"); fclose(f); load[strcspn(load, "\n")] = '\0'; }
        printf("population step (act + learn per member), 3 inputs, 2 actions: best of 3 runs; load "
               "average at start: %s\n", load);
    }
    printf("(seq a+l: N lone agents, each acting then learning; seq phases: all act, then all learn; pop 1t seq: one\n"
           " nm_population on 1 thread stepping its members one by one; pop 1t / 2t: interleaved, on 1 / 2 threads;\n"
           " seq/1t: seq phases over pop 1t, CPU time; step 1t / 2t: interleaved through nm_population_step, each\n"
           " group learning and then acting, on 1 / 2 threads; OPENBLAS_NUM_THREADS=%s)\n",
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset");
    for (s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        nm_agent_config c;
        nm_agent *probe = NULL;
        if (only && !strstr(only, sets[s])) continue;
        setenv("NEUROMOD_KERNELS", sets[s], 1);
        config(&c, 16);
        if (nm_agent_new(&c, &probe, NULL, 0) != NM_OK) { printf("\nkernel set %s: not run by this CPU\n", sets[s]); continue; }
        nm_agent_free(probe);
        printf("\nkernel set %s\n", sets[s]);
        printf("  %6s %6s | %-54s | %-25s | %7s %7s | %-21s %7s\n", "", "", "CPU ns per agent-step",
               "agent-steps/s (wall)", "seq/1t", "2t/1t", "CPU ns, step", "2t/1t");
        printf("  %6s %6s | %10s %10s %10s %10s %10s | %12s %12s | %7s %7s | %10s %10s %7s\n", "hidden", "N", "seq a+l",
               "seq phases", "pop 1t seq", "pop 1t", "pop 2t", "pop 1t", "pop 2t", "CPU", "wall", "step 1t", "step 2t",
               "wall");
        for (h = 0; h < sizeof hiddens / sizeof hiddens[0]; h++) {
            if (only_h && hiddens[h] != only_h) continue;
            for (i = 0; i < sizeof Ns / sizeof Ns[0]; i++) {
                size_t N = Ns[i];
                if (only_n && N != only_n) continue;
                int steps = (int)(budget * 16.0 / (double)hiddens[h] / (double)N);
                timing seqi, seq, p1s, p1, p2, f1, f2;
                if (steps < 3) steps = 3;
                seqi = rate(N, hiddens[h], 0, steps, 1);
                seq = rate(N, hiddens[h], 0, steps, 0);
                setenv("NEUROMOD_INTERLEAVE", "0", 1);
                p1s = rate(N, hiddens[h], 1, steps, 0);
                unsetenv("NEUROMOD_INTERLEAVE");
                p1 = rate(N, hiddens[h], 1, steps, 0);
                p2 = rate(N, hiddens[h], 2, steps, 0);
                f1 = rate(N, hiddens[h], 1, steps, 1);
                f2 = rate(N, hiddens[h], 2, steps, 1);
                printf("  %6lu %6lu | %10.0f %10.0f %10.0f %10.0f %10.0f | %12.0f %12.0f | %6.2fx %6.2fx | %10.0f %10.0f "
                       "%6.2fx\n",
                       (unsigned long)hiddens[h], (unsigned long)N, seqi.cpu_ns, seq.cpu_ns, p1s.cpu_ns, p1.cpu_ns, p2.cpu_ns,
                       p1.wall_rate, p2.wall_rate, seq.cpu_ns / p1.cpu_ns, p2.wall_rate / p1.wall_rate, f1.cpu_ns,
                       f2.cpu_ns, f2.wall_rate / f1.wall_rate);
                fflush(stdout);
            }
        }
        /* recurrent members (one recurrent layer of tau 5, each recurrent kind), each kind at widths it is
         * interleaved at under every set */
        for (recurrent_kind = NM_LAYER_RECURRENT; recurrent_tau == 0.0f && (!only_n || only_n == 256);
             recurrent_kind = NM_LAYER_INTEGRATOR) {
            static const size_t rh[] = { 16, 32, 64 };
            const char *kind = recurrent_kind == NM_LAYER_RECURRENT ? "recurrent" : "integrator";
            const size_t n_rh = recurrent_kind == NM_LAYER_RECURRENT ? 2 : 3;
            recurrent_tau = 5.0f;
            for (h = 0; h < n_rh; h++) {
                int steps = (int)(budget * 16.0 / (double)rh[h] / 256.0);
                timing seq, p1s, p1;
                if (only_h && rh[h] != only_h) continue;
                seq = rate(256, rh[h], 0, steps, 0);
                setenv("NEUROMOD_INTERLEAVE", "0", 1);
                p1s = rate(256, rh[h], 1, steps, 0);
                unsetenv("NEUROMOD_INTERLEAVE");
                p1 = rate(256, rh[h], 1, steps, 0);
                printf("  %-10s %2lu x 256: CPU ns per agent-step: seq phases %.0f, pop 1t seq %.0f, pop 1t %.0f; "
                       "seq/1t %.2fx\n", kind, (unsigned long)rh[h], seq.cpu_ns, p1s.cpu_ns, p1.cpu_ns,
                       seq.cpu_ns / p1.cpu_ns);
                fflush(stdout);
            }
            recurrent_tau = 0.0f;
            if (recurrent_kind == NM_LAYER_INTEGRATOR) break;
        }
        recurrent_kind = NM_LAYER_RECURRENT;
    }
    unsetenv("NEUROMOD_KERNELS");
    return 0;
}
