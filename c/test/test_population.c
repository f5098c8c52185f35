/*
 * test_population.c -- populations (c/population.c): member k equals the lone agent with its config, bit for
 * bit, at 1, 2 and 3 threads and under every kernel set this CPU runs; per-member configs; failed members are
 * named and left unchanged; reset, copy, replace; the container checkpoint continues exactly and refuses damage;
 * steps allocate nothing.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "neuromod.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

enum { N_OBS = 3, N_ACT = 2 };

/* members without continual learning, the agent the interleaved step covers (test_interleaved_scope checks that
 * default members, with it, are stepped one by one) */
/* the trunk of the configs below: one dense layer, or (trunk_tau > 0) one recurrent layer of that time constant,
 * of the kind trunk_kind */
static float trunk_tau;
static nm_layer_kind trunk_kind = NM_LAYER_RECURRENT;

static void set_trunk(nm_agent_config *c)
{
    if (trunk_tau > 0.0f) { c->layer_kind[0] = trunk_kind; c->layer_tau[0] = trunk_tau; }
}

static void base_config(nm_agent_config *c, size_t hidden)
{
    nm_agent_config_default(c);
    nm_agent_config_continual(c, 0);
    c->n_obs = N_OBS; c->n_actions = N_ACT; c->hidden[0] = hidden; c->seed = 7;
    set_trunk(c);
}

/* A deterministic observation and reward for member k at step t (each member sees its own stream). */
static float obs_of(size_t k, int t, int i) { return (float)((int)((k * 7 + (size_t)t * 3 + (size_t)i * 5) % 11) - 5) / 5.0f; }
static float reward_of(size_t k, int t, int action) { return ((k + (size_t)t + (size_t)action) % 3 == 0) ? 1.0f : -0.25f; }
static int terminal_of(size_t k, int t) { return (int)((k + (size_t)t) % 9 == 8); }

static void fill(size_t n, int t, float *obs, float *rew, int *term, const int *actions)
{
    size_t k;
    int i;
    for (k = 0; k < n; k++) {
        for (i = 0; i < N_OBS; i++) obs[k * N_OBS + i] = obs_of(k, t, i);
        if (rew) rew[k] = reward_of(k, t, actions[k]);
        if (term) term[k] = terminal_of(k, t);
    }
}

/* Whether every member's state hash is its lone agent's; the first member that differs is reported (`what`,
 * step t) */
static int hashes_equal(const nm_population *pop, nm_agent *const *lone, size_t n, const char *what, int t)
{
    size_t k;
    for (k = 0; k < n; k++)
        if (nm_agent_state_hash(nm_population_agent(pop, k)) != nm_agent_state_hash(lone[k])) {
            CHECK(0, "%s: member %lu's hash differs at step %d", what, (unsigned long)k, t);
            return 0;
        }
    return 1;
}

/* T steps of a population of n and of n lone agents with the same configs: same actions, same hashes. */
static void test_equals_lone(size_t n, size_t threads, int per_member)
{
    nm_population_config pc;
    nm_population *pop;
    nm_agent_config *cfgs = calloc(n, sizeof *cfgs);
    nm_agent **lone = calloc(n, sizeof *lone);
    float *obs = malloc(n * N_OBS * sizeof *obs), *next = malloc(n * N_OBS * sizeof *next), *rew = malloc(n * sizeof *rew);
    int *act = malloc(n * sizeof *act), *term = malloc(n * sizeof *term), t, same = 1;
    size_t k;
    char msg[256];
    nm_population_config_default(&pc);
    base_config(&pc.base, 16);
    pc.n = n; pc.threads = threads;
    for (k = 0; k < n; k++) {
        cfgs[k] = pc.base;
        cfgs[k].seed = pc.base.seed + k;
        if (per_member) {   /* what a study varies: modulators, a base meta-parameter, the mapping */
            cfgs[k].modulators = (unsigned)(k % 16);
            cfgs[k].base[NM_P_LEARNING_RATE] = 0.02f + 0.01f * (float)(k % 4);
            cfgs[k].mapping[NM_P_GAIN][NM_NA] = (float)(k % 3) * 0.5f;
        }
        nm_agent_new(&cfgs[k], &lone[k], NULL, 0);
    }
    if (per_member) pc.members = cfgs;
    CHECK(nm_population_new(&pc, &pop, msg, sizeof msg) == NM_OK, "new (n %lu, threads %lu): %s", (unsigned long)n,
          (unsigned long)threads, msg);
    CHECK(nm_population_threads(pop) == (threads < 1 ? 1 : threads > n ? n : threads), "threads used");
    for (t = 0; t < 300 && same; t++) {
        fill(n, t, obs, NULL, NULL, NULL);
        if (nm_population_act(pop, obs, n * N_OBS, act, n) != NM_OK) { same = 0; break; }
        fill(n, t + 1, next, rew, term, act);
        if (nm_population_learn(pop, rew, n, next, n * N_OBS, term, n) != NM_OK) { same = 0; break; }
        for (k = 0; k < n; k++) {
            int a;
            nm_agent_act(lone[k], obs + k * N_OBS, N_OBS, &a);
            nm_agent_learn(lone[k], rew[k], next + k * N_OBS, N_OBS, term[k]);
            if (a != act[k] || nm_agent_state_hash(lone[k]) != nm_agent_state_hash(nm_population_agent(pop, k))) same = 0;
        }
    }
    CHECK(same, "n %lu, threads %lu%s: every member equals its lone agent (diverged at step %d)", (unsigned long)n,
          (unsigned long)threads, per_member ? ", per-member configs" : "", t);
    nm_population_free(pop);
    for (k = 0; k < n; k++) nm_agent_free(lone[k]);
    free(cfgs); free(lone); free(obs); free(next); free(rew); free(act); free(term);
}

/* nm_population_step (learn, then act) against lone agents that learn and then act: a member whose episode ended
 * acts on a new episode's observation, the others on next_obs; at step 150 member 3's reward is NaN, so its learn
 * fails and it does not act (the call names it, the others step), and it learns at the next step; at step 200 the
 * population is saved and reloaded, and the loaded one steps on. */
static void test_step(size_t n, size_t hidden, size_t threads)
{
    nm_population_config pc;
    nm_population *pop;
    nm_agent **lone = calloc(n, sizeof *lone);
    float *obs = malloc(n * N_OBS * sizeof *obs), *next = malloc(n * N_OBS * sizeof *next), *rew = malloc(n * sizeof *rew);
    int *act = malloc(n * sizeof *act), *term = malloc(n * sizeof *term), t, same = 1, named = 1;
    size_t k;
    int i;
    char msg[256];
    nm_population_config_default(&pc);
    base_config(&pc.base, hidden);
    pc.n = n; pc.threads = threads;
    for (k = 0; k < n; k++) {
        nm_agent_config c = pc.base;
        c.seed = pc.base.seed + k;
        nm_agent_new(&c, &lone[k], NULL, 0);
    }
    CHECK(nm_population_new(&pc, &pop, msg, sizeof msg) == NM_OK, "step: new: %s", msg);
    fill(n, 0, obs, NULL, NULL, NULL);
    nm_population_act(pop, obs, n * N_OBS, act, n);
    for (k = 0; k < n; k++) nm_agent_act(lone[k], obs + k * N_OBS, N_OBS, &i);
    for (t = 0; t < 300 && same; t++) {
        nm_status st;
        fill(n, t + 1, next, rew, term, act);
        for (k = 0; k < n; k++)   /* a new episode's first observation where one ended */
            for (i = 0; i < N_OBS; i++) obs[k * N_OBS + i] = term[k] ? obs_of(k, t + 1000, i) : next[k * N_OBS + i];
        if (t == 150) rew[3] = NAN;
        if (t == 200) {   /* mid-run, between a step's act and the next learn: the checkpoint continues exactly */
            size_t len = nm_population_checkpoint_size(pop);
            unsigned char *buf = malloc(len);
            nm_population *back = NULL;
            CHECK(buf && nm_population_save_buffer(pop, buf, len) == NM_OK &&
                  nm_population_load_buffer(buf, len, threads, &back, msg, sizeof msg) == NM_OK, "step: reload %s", msg);
            if (back) { nm_population_free(pop); pop = back; }
            free(buf);
        }
        st = nm_population_step(pop, rew, n, next, n * N_OBS, term, n, t % 2 ? obs : NULL, t % 2 ? n * N_OBS : 0,
                                act, n);
        if (t == 150)
            named = st == NM_ERR_ARG && strstr(nm_population_error(pop), "step: member 3 of") &&
                    nm_population_member_status(pop, 3) == NM_ERR_ARG && nm_population_member_status(pop, 4) == NM_OK;
        else if (st != NM_OK) { same = 0; break; }
        for (k = 0; k < n; k++) {
            int a;
            if (nm_agent_learn(lone[k], rew[k], next + k * N_OBS, N_OBS, term[k]) != NM_OK) continue;
            nm_agent_act(lone[k], (t % 2 ? obs : next) + k * N_OBS, N_OBS, &a);
            if (a != act[k]) same = 0;
        }
        if (same) same = hashes_equal(pop, lone, n, "step", t);
    }
    CHECK(same, "step n %lu hidden %lu threads %lu (%lu lanes): every member equals its lone agent (diverged at step %d)",
          (unsigned long)n, (unsigned long)hidden, (unsigned long)threads, (unsigned long)nm_population_lanes(pop), t);
    CHECK(named, "step: a member whose learn fails does not act and is named: %s", nm_population_error(pop));
    CHECK(nm_population_step(pop, rew, n, next, n * N_OBS, term, n, obs, 3, act, n) == NM_ERR_ARG &&
          strstr(nm_population_error(pop), "step: obs has 3 values"), "step: a short obs is named");
    CHECK(nm_population_step(pop, rew, n, next, n * N_OBS, term, n, NULL, 5, act, n) == NM_ERR_ARG &&
          strstr(nm_population_error(pop), "step: obs is NULL but its length is 5"), "step: a NULL obs's length is named");
    for (k = 0; k < n; k++) term[k] = 1;
    CHECK(nm_population_step(pop, rew, n, NULL, 0, term, n, NULL, 0, act, n) == NM_ERR_ARG &&
          strstr(nm_population_error(pop), "step: obs is missing"), "step: no obs and no next_obs is named");
    nm_population_free(pop);
    for (k = 0; k < n; k++) nm_agent_free(lone[k]);
    free(lone); free(obs); free(next); free(rew); free(act); free(term);
}

static nm_population *make(size_t n, size_t threads)
{
    nm_population_config pc;
    nm_population *pop = NULL;
    char msg[256];
    nm_population_config_default(&pc);
    base_config(&pc.base, 8);
    pc.n = n; pc.threads = threads;
    if (nm_population_new(&pc, &pop, msg, sizeof msg) != NM_OK) { printf("make: %s\n", msg); exit(1); }
    return pop;
}

static void test_errors(void)
{
    nm_population_config pc;
    nm_agent_config m[3];
    nm_population *pop;
    float obs[4 * N_OBS] = { 0 }, rew[4] = { 0 };
    int act[4], term[4] = { 0 };
    uint64_t h2;
    char msg[256];
    nm_population_config_default(&pc);
    base_config(&pc.base, 8);
    pc.n = 0;
    CHECK(nm_population_new(&pc, &pop, msg, sizeof msg) == NM_ERR_ARG && pop == NULL && strstr(msg, "n:"), "n 0: %s", msg);
    pc.n = 3; pc.base.base[NM_P_DISCOUNT] = 1.0f;
    CHECK(nm_population_new(&pc, &pop, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "member 0: ") && strstr(msg, "discount"),
          "a bad config names the member and the field: %s", msg);
    base_config(&m[0], 8); m[1] = m[0]; m[2] = m[0];
    m[2].hidden[0] = 9;
    pc.members = m;
    CHECK(nm_population_new(&pc, &pop, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "member 2: hidden"),
          "a member of another shape is refused: %s", msg);

    pop = make(4, 2);
    CHECK(nm_population_act(pop, obs, 3, act, 4) == NM_ERR_ARG && strstr(nm_population_error(pop), "obs has 3 values"),
          "short obs: %s", nm_population_error(pop));
    CHECK(nm_population_learn(pop, rew, 4, obs, 4 * N_OBS, term, 4) == NM_ERR_STATE &&
          strstr(nm_population_error(pop), "member 0 of 0..3") && strstr(nm_population_error(pop), "4 members failed"),
          "learn before act: %s", nm_population_error(pop));
    CHECK(nm_population_learn(pop, rew, 4, NULL, 0, term, 4) == NM_ERR_ARG &&
          strstr(nm_population_error(pop), "member 0 is not terminal"), "next_obs missing: %s", nm_population_error(pop));
    obs[2 * N_OBS + 1] = 0.0f / 0.0f;
    h2 = nm_agent_state_hash(nm_population_agent(pop, 2));
    CHECK(nm_population_act(pop, obs, 4 * N_OBS, act, 4) == NM_ERR_ARG &&
          strstr(nm_population_error(pop), "act: member 2 of 0..3: obs[2] is NaN; 1 member failed"),
          "a NaN in member 2's observation names it: %s", nm_population_error(pop));
    CHECK(nm_population_member_status(pop, 2) == NM_ERR_ARG && nm_population_member_status(pop, 1) == NM_OK &&
          nm_population_member_status(pop, 3) == NM_OK, "per-member status");
    CHECK(nm_agent_state_hash(nm_population_agent(pop, 2)) == h2, "the failed member is unchanged");
    CHECK(nm_population_learn(pop, rew, 4, obs, 4 * N_OBS, term, 4) != NM_OK &&
          nm_population_member_status(pop, 0) == NM_OK && nm_population_member_status(pop, 2) == NM_ERR_STATE,
          "the others stepped: they learn, member 2 has no pending act");
    CHECK(nm_population_reset(pop, 4) == NM_ERR_ARG && strstr(nm_population_error(pop), "member 4 out of range 0..3"),
          "reset out of range: %s", nm_population_error(pop));
    CHECK(nm_population_agent(pop, 4) == NULL, "no view past the last member");
    CHECK(nm_population_set_context(pop, 4, 1) == NM_ERR_ARG &&
          strstr(nm_population_error(pop), "context: member 4 out of range 0..3"), "context: a member past the last");
    CHECK(nm_population_freeze(pop, 1, 1) == NM_OK && nm_agent_frozen(nm_population_agent(pop, 1)) &&
          nm_population_set_context(pop, 1, 9) == NM_OK && nm_agent_context(nm_population_agent(pop, 1)) == 9 &&
          nm_population_freeze(pop, 1, 0) == NM_OK && !nm_agent_frozen(nm_population_agent(pop, 1)),
          "freeze and context reach member 1");
    nm_population_free(pop);
    nm_population_free(NULL);
}

/* copy, replace, reset */
static void test_members(void)
{
    nm_population *pop = make(3, 1);
    nm_agent *copy = NULL, *other;
    nm_agent_config c;
    float obs[3 * N_OBS] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, -0.1f, -0.2f, -0.3f }, rew[3] = { 1, 0, -1 };
    int act[3], t;
    for (t = 0; t < 20; t++) {
        nm_population_act(pop, obs, 9, act, 3);
        nm_population_learn(pop, rew, 3, obs, 9, NULL, 0);
    }
    CHECK(nm_population_copy_member(pop, 1, &copy) == NM_OK &&
          nm_agent_state_hash(copy) == nm_agent_state_hash(nm_population_agent(pop, 1)), "a copy has the member's state");
    CHECK(nm_population_replace_copy(pop, 0, copy) == NM_OK &&
          nm_agent_state_hash(nm_population_agent(pop, 0)) == nm_agent_state_hash(copy), "replace_copy");
    base_config(&c, 9);
    nm_agent_new(&c, &other, NULL, 0);
    CHECK(nm_population_replace(pop, 2, other) == NM_ERR_ARG && strstr(nm_population_error(pop), "hidden"),
          "another shape is refused: %s", nm_population_error(pop));
    nm_agent_free(other);
    base_config(&c, 8); c.seed = 99;
    nm_agent_new(&c, &other, NULL, 0);
    CHECK(nm_population_replace(pop, 2, other) == NM_OK && nm_population_agent(pop, 2) == other, "replace takes the agent");
    nm_population_act(pop, obs, 9, act, 3);
    CHECK(nm_population_reset(pop, 1) == NM_OK &&
          nm_population_learn(pop, rew, 3, obs, 9, NULL, 0) == NM_ERR_STATE &&
          nm_population_member_status(pop, 1) == NM_ERR_STATE, "reset clears the pending step");
    nm_agent_free(copy);
    nm_population_free(pop);
}

static void test_checkpoint(void)
{
    nm_population *a = make(5, 2), *b = NULL;
    float obs[5 * N_OBS], next[5 * N_OBS], rew[5];
    int aa[5], ab[5], term[5], t, same = 1;
    size_t k, n;
    unsigned char *buf;
    char msg[512], path[] = "/tmp/nm_pop_test_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    for (t = 0; t < 50; t++) {
        fill(5, t, obs, NULL, NULL, NULL);
        nm_population_act(a, obs, 15, aa, 5);
        fill(5, t + 1, next, rew, term, aa);
        nm_population_learn(a, rew, 5, next, 15, term, 5);
    }
    fill(5, 50, obs, NULL, NULL, NULL);
    nm_population_act(a, obs, 15, aa, 5);   /* saved with a pending step */
    CHECK(nm_population_save(a, path) == NM_OK, "save: %s", nm_population_error(a));
    CHECK(nm_population_load(path, 3, &b, msg, sizeof msg) == NM_OK && nm_population_size(b) == 5, "load: %s", msg);
    for (k = 0; b && k < 5; k++)
        if (nm_agent_state_hash(nm_population_agent(a, k)) != nm_agent_state_hash(nm_population_agent(b, k))) same = 0;
    for (t = 50; b && t < 120 && same; t++) {
        if (t > 50) {
            fill(5, t, obs, NULL, NULL, NULL);
            nm_population_act(a, obs, 15, aa, 5);
            nm_population_act(b, obs, 15, ab, 5);
            for (k = 0; k < 5; k++) if (aa[k] != ab[k]) same = 0;
        }
        fill(5, t + 1, next, rew, term, aa);
        nm_population_learn(a, rew, 5, next, 15, term, 5);
        nm_population_learn(b, rew, 5, next, 15, term, 5);
        for (k = 0; k < 5; k++)
            if (nm_agent_state_hash(nm_population_agent(a, k)) != nm_agent_state_hash(nm_population_agent(b, k))) same = 0;
    }
    CHECK(same, "a loaded population continues exactly (to step %d)", t);
    n = nm_population_checkpoint_size(a);
    buf = malloc(n);
    nm_population_save_buffer(a, buf, n);
    nm_population_free(b);
    b = NULL;
    buf[100] ^= 1;
    CHECK(nm_population_load_buffer(buf, n, 1, &b, msg, sizeof msg) == NM_ERR_FORMAT && b == NULL && strstr(msg, "checksum"),
          "a damaged container is refused: %s", msg);
    buf[100] ^= 1;
    CHECK(nm_population_load_buffer(buf, n - 10, 1, &b, msg, sizeof msg) == NM_ERR_FORMAT && b == NULL,
          "a truncated container is refused: %s", msg);
    CHECK(nm_population_load_buffer(buf + 1, n - 1, 1, &b, msg, sizeof msg) == NM_ERR_FORMAT &&
          strstr(msg, "not a neuromod population"), "a foreign buffer is refused: %s", msg);
    CHECK(nm_population_load("/nonexistent/x", 1, &b, msg, sizeof msg) == NM_ERR_IO && strstr(msg, "/nonexistent/x"),
          "a missing file: %s", msg);
    free(buf);
    remove(path);
    nm_population_free(a);
}

/* act and learn allocate nothing, with and without a thread pool. */
static void test_no_allocation(void)
{
    nm_population *p1 = make(16, 1), *p2 = make(16, 2);
    float obs[16 * N_OBS], next[16 * N_OBS], rew[16];
    int act[16], term[16], t;
    struct mallinfo2 before, after;
    CHECK(nm_population_lanes(p1) > 1 || getenv("NEUROMOD_INTERLEAVE"), "the allocation check runs interleaved");
    for (t = 0; t < 50; t++) {
        fill(16, t, obs, NULL, NULL, NULL);
        nm_population_act(p1, obs, 48, act, 16); nm_population_act(p2, obs, 48, act, 16);
        fill(16, t + 1, next, rew, term, act);
        nm_population_learn(p1, rew, 16, next, 48, term, 16); nm_population_learn(p2, rew, 16, next, 48, term, 16);
    }
    before = mallinfo2();
    for (t = 0; t < 3000; t++) {
        fill(16, t, obs, NULL, NULL, NULL);
        nm_population_act(p1, obs, 48, act, 16); nm_population_act(p2, obs, 48, act, 16);
        fill(16, t + 1, next, rew, term, act);
        nm_population_learn(p1, rew, 16, next, 48, term, 16); nm_population_learn(p2, rew, 16, next, 48, term, 16);
    }
    after = mallinfo2();
    CHECK(before.uordblks == after.uordblks && before.hblkhd == after.hblkhd,
          "population act/learn allocate nothing (in-use bytes %lu -> %lu)", (unsigned long)before.uordblks,
          (unsigned long)after.uordblks);
    before = mallinfo2();
    for (t = 0; t < 3000; t++) {
        fill(16, t + 1, next, rew, term, act);
        nm_population_step(p1, rew, 16, next, 48, term, 16, NULL, 0, act, 16);
        nm_population_step(p2, rew, 16, next, 48, term, 16, NULL, 0, act, 16);
    }
    after = mallinfo2();
    CHECK(before.uordblks == after.uordblks && before.hblkhd == after.hblkhd,
          "population step allocates nothing (in-use bytes %lu -> %lu)", (unsigned long)before.uordblks,
          (unsigned long)after.uordblks);
    nm_population_free(p1);
    nm_population_free(p2);
}

/* Under each kernel set this CPU runs (NEUROMOD_KERNELS picks it at nm_agent_new for members and lone agents
 * alike): member k equals its lone agent. */
static void test_kernel_sets(void)
{
    static const char *sets[] = { "generic", "avx2", "avx512" };
    size_t s;
    for (s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        nm_agent_config c;
        nm_agent *probe = NULL;
        setenv("NEUROMOD_KERNELS", sets[s], 1);
        base_config(&c, 16);
        if (nm_agent_new(&c, &probe, NULL, 0) != NM_OK) continue;
        CHECK(strcmp(nm_agent_kernel_set(probe), sets[s]) == 0, "kernel set %s chosen", sets[s]);
        nm_agent_free(probe);
        test_equals_lone(9, 2, 1);
    }
    unsetenv("NEUROMOD_KERNELS");
}

/* n lone agents of the configs and the population of the same configs on `threads` (NULL, with a failed check, if
 * it is refused); it interleaves unless NEUROMOD_INTERLEAVE=0 (checked; `what` names the run) */
static nm_population *with_lone_agents(const nm_agent_config *cfgs, size_t n, size_t threads, nm_agent **lone,
                                       const char *what)
{
    nm_population *pop;
    char msg[256];
    size_t k;
    for (k = 0; k < n; k++) nm_agent_new(&cfgs[k], &lone[k], NULL, 0);
    if (nm_population_new_members(cfgs, n, threads, &pop, msg, sizeof msg) != NM_OK) {
        CHECK(0, "%s population: %s", what, msg);
        return NULL;
    }
    CHECK((nm_population_lanes(pop) > 1) == !getenv("NEUROMOD_INTERLEAVE"), "%s: %lu lanes", what,
          (unsigned long)nm_population_lanes(pop));
    return pop;
}

/* The interleaved step's hard cases: three groups (one partial) over 2 threads, clipping that acts, NA's trace
 * resets and policy reset, terminal steps, members without a critic step or with a withheld action, a member whose
 * observation is NaN for one step (its group steps member by member), members read out mid-run, and a checkpoint
 * round trip; every step's actions and statuses, and the hashes at the end, equal the lone agents'. */
static void test_interleaved(size_t n, size_t hidden, size_t threads, int T)
{
    nm_population *pop;
    nm_agent_config *cfgs = calloc(n, sizeof *cfgs);
    nm_agent **lone = calloc(n, sizeof *lone);
    float *obs = malloc(n * N_OBS * sizeof *obs), *next = malloc(n * N_OBS * sizeof *next), *rew = malloc(n * sizeof *rew);
    int *act = malloc(n * sizeof *act), *term = malloc(n * sizeof *term), t, same = 1;
    size_t k;
    char msg[256];
    for (k = 0; k < n; k++) {
        base_config(&cfgs[k], hidden);
        /* some members with continual learning, whose blocks hold more sections than the others' */
        if (k % 6 == 4) nm_agent_config_continual(&cfgs[k], 1);
        cfgs[k].seed = 100 + k;
        cfgs[k].max_update = 0.05f;        /* the clip acts, and needs the exact trace norm */
        cfgs[k].policy_reset = 0.2f;
        cfgs[k].na_reset = 0.3f;           /* NA clears the traces now and then */
        if (k % 5 == 1) cfgs[k].critic_scale = 0.0f;
        if (k % 3 == 2) { cfgs[k].withhold_action = 1; cfgs[k].base[NM_P_WITHHOLD_BIAS] = 0.5f; }
    }
    if (!(pop = with_lone_agents(cfgs, n, threads, lone, "interleaved"))) return;
    for (t = 0; t < T && same; t++) {
        nm_status st;
        fill(n, t, obs, NULL, NULL, NULL);
        if (t == 700) obs[3 * N_OBS + 1] = 0.0f / 0.0f;   /* member 3's act fails, and so its next learn */
        if (t == 901) obs[5 * N_OBS] = 0.0f / 0.0f;   /* member 5's act fails after its learn failed: the next learn
                                                       * learns the act before, from the cache that act left */
        if (t == 400) {   /* an act that no learn follows: the next act replaces it (a recurrent trunk's pending
                           * pass is settled first) */
            nm_population_act(pop, next, n * N_OBS, act, n);
            for (k = 0; k < n; k++) { int a; nm_agent_act(lone[k], next + k * N_OBS, N_OBS, &a); }
        }
        st = nm_population_act(pop, obs, n * N_OBS, act, n);
        for (k = 0; k < n && same; k++) {
            int a = -1;
            nm_status sl = nm_agent_act(lone[k], obs + k * N_OBS, N_OBS, &a);
            if (sl != nm_population_member_status(pop, k) || (sl == NM_OK && a != act[k])) {
                same = 0;
                CHECK(0, "interleaved n=%lu h=%lu: act step %d member %lu: %d/%d vs %d/%d", (unsigned long)n,
                      (unsigned long)hidden, t, (unsigned long)k, act[k], (int)nm_population_member_status(pop, k), a, (int)sl);
            }
        }
        CHECK((t == 700 || t == 901) == (st != NM_OK), "act status at step %d", t);
        fill(n, t + 1, next, rew, term, act);
        if (t == 900) next[5 * N_OBS + 2] = 0.0f / 0.0f;   /* member 5's learn fails: its act stays pending */
        nm_population_learn(pop, rew, n, next, n * N_OBS, term, n);
        for (k = 0; k < n && same; k++) {
            nm_status sl = nm_agent_learn(lone[k], rew[k], next + k * N_OBS, N_OBS, term[k]);
            if (sl != nm_population_member_status(pop, k)) {
                same = 0;
                CHECK(0, "interleaved: learn step %d member %lu: status %d vs %d", t, (unsigned long)k,
                      (int)nm_population_member_status(pop, k), (int)sl);
            }
        }
        if (t == 500 || t == 620) {   /* member 6 frozen a while (its group stays in the lanes), then thawed */
            int on = t == 500;
            CHECK(nm_population_freeze(pop, 6, on) == NM_OK, "interleaved: freeze %d", on);
            nm_agent_freeze(lone[6], on);
        }
        if (t == 610 && same) same = hashes_equal(pop, lone, n, "interleaved, member 6 frozen", t);
        if (t == 300) {   /* one member reset, one read, one replaced by a copy of another: each alone */
            size_t len = nm_agent_checkpoint_size(lone[5]);
            unsigned char *buf = malloc(len);
            nm_population_reset(pop, 2);
            nm_agent_reset_traces(lone[2]);
            if (nm_agent_state_hash(nm_population_agent(pop, 7)) != nm_agent_state_hash(lone[7])) {
                same = 0;
                CHECK(0, "interleaved: member 7's hash differs at step %d", t);
            }
            CHECK(nm_population_replace_copy(pop, 4, lone[5]) == NM_OK, "interleaved: replace");
            nm_agent_save_buffer(lone[5], buf, len);
            nm_agent_free(lone[4]);
            CHECK(nm_agent_load_buffer(buf, len, &lone[4], msg, sizeof msg) == NM_OK, "interleaved: copy");
            free(buf);
        }
        if (t % 500 == 250 && same)   /* read out mid-run (the members are brought up to date, then the groups) */
            same = hashes_equal(pop, lone, n, "interleaved", t);
        if (t == T / 2) {   /* a checkpoint round trip continues exactly */
            size_t len = nm_population_checkpoint_size(pop);
            unsigned char *buf = malloc(len);
            nm_population *back = NULL;
            CHECK(nm_population_save_buffer(pop, buf, len) == NM_OK, "interleaved: save");
            CHECK(nm_population_load_buffer(buf, len, threads, &back, msg, sizeof msg) == NM_OK, "interleaved: load %s", msg);
            free(buf);
            if (back) { nm_population_free(pop); pop = back; }
        }
    }
    if (same) same = hashes_equal(pop, lone, n, "interleaved, at the end", t);
    CHECK(same, "interleaved n=%lu hidden=%lu threads=%lu: %d steps equal the lone agents", (unsigned long)n,
          (unsigned long)hidden, (unsigned long)threads, T);
    nm_population_free(pop);
    for (k = 0; k < n; k++) nm_agent_free(lone[k]);
    free(cfgs); free(lone); free(obs); free(next); free(rew); free(act); free(term);
}

/* Default members (continual learning on) against lone default agents: interleaved while every member is in its
 * open first context (the first learn one by one: it marks that context), each learn ending with the member's own
 * nm_cont_observe; at step `change` the task changes (every member's rewarded action flips), NA rises, the
 * detector looks for a boundary (the member takes the group's state for it) and finds one, and the population goes
 * on one member at a time. Actions every step, statuses, and every member's hash every 25 steps. */
/* the importance of test_interleaved_default's members: SI (the default) or, when set, EWC for every other one */
static int default_ewc;

static void test_interleaved_default(size_t n, size_t hidden, size_t threads, int T, int change, int announce)
{
    nm_population *pop;
    nm_agent_config *cfgs = calloc(n, sizeof *cfgs);
    nm_agent **lone = calloc(n, sizeof *lone);
    float *obs = malloc(n * N_OBS * sizeof *obs), *next = malloc(n * N_OBS * sizeof *next), *rew = malloc(n * sizeof *rew);
    int *act = malloc(n * sizeof *act), *term = malloc(n * sizeof *term), t, same = 1, interleaved = -1, moved = 0;
    size_t k;
    for (k = 0; k < n; k++) {
        nm_agent_config_default(&cfgs[k]);
        cfgs[k].n_obs = N_OBS; cfgs[k].n_actions = N_ACT; cfgs[k].hidden[0] = hidden;
        cfgs[k].seed = 300 + k;
        set_trunk(&cfgs[k]);
        if (k % 4 == 3) cfgs[k].boundary_sustain = 2;   /* the weights kept when NA first rises */
        if (default_ewc && k % 2 == 1) cfgs[k].importance = NM_IMPORTANCE_EWC;   /* beside SI in the same groups */
    }
    if (!(pop = with_lone_agents(cfgs, n, threads, lone, "default members"))) return;
    for (t = 0; t < T && same; t++) {
        fill(n, t % 7, obs, NULL, NULL, NULL);   /* a few states a member meets again and again */
        nm_population_act(pop, obs, n * N_OBS, act, n);
        for (k = 0; k < n && same; k++) {
            int a = -1;
            nm_status sl = nm_agent_act(lone[k], obs + k * N_OBS, N_OBS, &a);
            if (sl != nm_population_member_status(pop, k) || a != act[k]) {
                same = 0;
                CHECK(0, "default members: act step %d member %lu: %d vs %d", t, (unsigned long)k, act[k], a);
            }
        }
        fill(n, (t + 1) % 7, next, NULL, term, act);
        for (k = 0; k < n; k++) {   /* the rewarded action: the state's parity, flipped from step `change` on */
            int good = (int)((k + (size_t)(t % 7)) % 2) ^ (t >= change);
            rew[k] = act[k] == good ? 1.0f : 0.0f;
        }
        nm_population_learn(pop, rew, n, next, n * N_OBS, term, n);
        for (k = 0; k < n && same; k++) {
            nm_status sl = nm_agent_learn(lone[k], rew[k], next + k * N_OBS, N_OBS, term[k]);
            if (sl != nm_population_member_status(pop, k)) {
                same = 0;
                CHECK(0, "default members: learn step %d member %lu: status %d vs %d", t, (unsigned long)k,
                      (int)nm_population_member_status(pop, k), (int)sl);
            }
        }
        if (announce && (t + 1 == change + 100 || t + 1 == change + 200)) {   /* member 3 frozen, then thawed */
            int on = t + 1 == change + 100;
            CHECK(nm_population_freeze(pop, 3, on) == NM_OK, "default members: freeze %d", on);
            nm_agent_freeze(lone[3], on);
        }
        if (announce && (t + 1 == change || t + 1 == change + change / 2)) {   /* contexts 1, then 2, announced */
            int id = t + 1 == change ? 1 : 2;
            for (k = 0; k < n; k++) {
                CHECK(nm_population_set_context(pop, k, id) == NM_OK, "default members: context %d", id);
                nm_agent_set_context(lone[k], id);
            }
        }
        if (interleaved < 0 && nm_population_lanes(pop) == 1) interleaved = t;
        if (t % 25 == 24 && same) same = hashes_equal(pop, lone, n, "default members", t);
    }
    for (k = 0; k < n; k++) moved += nm_agent_context(lone[k]) != 0;
    CHECK(same, "default members n=%lu hidden=%lu threads=%lu: %d steps equal the lone agents", (unsigned long)n,
          (unsigned long)hidden, (unsigned long)threads, T);
    /* the members stay interleaved through their new contexts */
    CHECK(getenv("NEUROMOD_INTERLEAVE") || (interleaved < 0 && moved > 0),
          "default members: interleaved until step %d (-1: throughout; the task changed at %d), %d members found a "
          "new context", interleaved, change, moved);
    nm_population_free(pop);
    for (k = 0; k < n; k++) nm_agent_free(lone[k]);
    free(cfgs); free(lone); free(obs); free(next); free(rew); free(act); free(term);
}

/* Which populations the interleaved step takes: the default config (16 members: at least one group of any set),
 * default members with EWC's importance, one recurrent layer of 16 or 32 units, one integrator layer of 16 or 64;
 * not relu, two layers, the entropy bonus, 256 units, a recurrent layer of 64, an integrator layer of 256 or a
 * recurrent layer after a dense one */
static void test_interleaved_scope(void)
{
    nm_population_config pc;
    nm_population *pop;
    const int want_default = !getenv("NEUROMOD_INTERLEAVE");
    int variant;
    for (variant = 0; variant < 14; variant++) {
        nm_population_config_default(&pc);
        base_config(&pc.base, 16);
        pc.n = 16;
        if (variant == 1) pc.base.activation = NM_RELU;
        if (variant == 2) { pc.base.n_layers = 2; pc.base.hidden[1] = 8; }
        if (variant == 3) pc.base.policy_entropy = 0.1f;
        if (variant == 4) pc.base.hidden[0] = 256;
        if (variant == 5) nm_agent_config_continual(&pc.base, 1);   /* the default agent: interleaved too */
        if (variant == 9) { nm_agent_config_continual(&pc.base, 1); pc.base.importance = NM_IMPORTANCE_EWC; }
        if (variant == 6 || variant == 7) { pc.base.layer_kind[0] = NM_LAYER_RECURRENT; pc.base.layer_tau[0] = 5.0f; }
        if (variant == 7) pc.base.hidden[0] = 64;
        if (variant == 10 || variant == 11 || variant == 13) {
            pc.base.layer_kind[0] = NM_LAYER_INTEGRATOR;
            pc.base.layer_tau[0] = 5.0f;
        }
        if (variant == 11) pc.base.hidden[0] = 64;    /* the dense cap of every set: interleaved */
        if (variant == 13) pc.base.hidden[0] = 256;   /* past it: one by one */
        if (variant == 12) {   /* the recurrent kind's cap of every set */
            pc.base.layer_kind[0] = NM_LAYER_RECURRENT;
            pc.base.layer_tau[0] = 5.0f;
            pc.base.hidden[0] = 32;
        }
        if (variant == 8) {
            pc.base.n_layers = 2; pc.base.hidden[1] = 8;
            pc.base.layer_kind[1] = NM_LAYER_RECURRENT;
            pc.base.layer_tau[1] = 5.0f;
        }
        if (nm_population_new(&pc, &pop, NULL, 0) != NM_OK) { CHECK(0, "scope variant %d", variant); continue; }
        CHECK((nm_population_lanes(pop) > 1) == ((variant == 0 || variant == 5 || variant == 6 || variant == 9 ||
                                                  variant == 10 || variant == 11 || variant == 12) && want_default),
              "scope variant %d: %lu lanes", variant, (unsigned long)nm_population_lanes(pop));
        nm_population_free(pop);
    }
}

/* The hard cases under each kernel set this CPU runs */
static void test_interleaved_sets(void)
{
    static const char *sets[] = { "generic", "avx2", "avx512" };
    /* each set's cap on a trunk of either recurrent kind (population_simd.c's), in the order of sets */
    static const size_t widest_recurrent[] = { 32, 48, 32 }, widest_integrator[] = { 64, 128, 128 };
    size_t s;
    for (s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        nm_agent_config c;
        nm_agent *probe = NULL;
        setenv("NEUROMOD_KERNELS", sets[s], 1);
        base_config(&c, 16);
        if (nm_agent_new(&c, &probe, NULL, 0) != NM_OK) continue;
        nm_agent_free(probe);
        test_interleaved(37, 16, 1, 1500);
        test_interleaved(37, 64, 2, 1500);
        test_step(37, 64, 2);
        test_step(70, 16, 3);   /* a third thread's scratch slot, interleaved under every set */
        test_interleaved_default(37, 16, 2, 1200, 600, 0);
        test_interleaved_default(37, 16, 1, 1200, 600, 1);   /* the contexts announced, a member frozen a while */
        default_ewc = 1;   /* EWC accumulating in the second and third contexts, in the lanes */
        test_interleaved_default(37, 16, 1, 1200, 600, 1);
        default_ewc = 0;
        for (trunk_kind = NM_LAYER_RECURRENT; ; trunk_kind = NM_LAYER_INTEGRATOR) {
            const size_t *widest = trunk_kind == NM_LAYER_INTEGRATOR ? widest_integrator : widest_recurrent;
            trunk_tau = 5.0f;   /* recurrent members, of each recurrent kind */
            test_interleaved(37, 16, 2, 1500);
            test_interleaved(37, 14, 1, 1500);   /* units past the kernels' blocks of 8 and 4 */
            /* the widest each kind interleaves under every set (the generic cap), and under this set */
            test_interleaved(37, widest[0], 2, 600);
            if (widest[s] != widest[0]) test_interleaved(37, widest[s], 1, 300);
            test_step(37, 16, 2);
            test_interleaved_default(37, 16, 2, 1200, 600, 0);
            test_interleaved_default(37, 16, 1, 1200, 600, 1);
            trunk_tau = 0.0f;
            if (trunk_kind == NM_LAYER_INTEGRATOR) break;
        }
        trunk_kind = NM_LAYER_RECURRENT;
    }
    unsetenv("NEUROMOD_KERNELS");
}

int main(void)
{
    test_interleaved_scope();
    test_interleaved_sets();
    test_kernel_sets();
    test_equals_lone(1, 1, 0);
    test_equals_lone(7, 1, 0);
    test_equals_lone(7, 2, 0);
    test_equals_lone(7, 3, 1);
    test_equals_lone(33, 2, 1);
    test_step(37, 16, 1);
    test_step(9, 8, 3);
    test_errors();
    test_members();
    test_checkpoint();
    test_no_allocation();
    printf("c: %d passed, %d failed (populations)\n", passed, failed);
    return failed ? 1 : 0;
}
