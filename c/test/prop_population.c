/*
 * prop_population.c -- a differential property test of populations: whatever the members' configs and whatever
 * the order of calls, member k of a population behaves bit for bit as a lone agent given the same calls.
 *
 * Each case draws a shape (inputs, actions, units, a dense or a recurrent trunk of either recurrent kind, the
 * activation), a kernel set this CPU runs, a thread count and a member count (fewer or more than a register's
 * lanes), then per member what a study or a game varies: continual learning on or off (synaptic intelligence or
 * EWC), the modulators, the learning rate, the mapping, the clip, NA's resets, policy reset, a withheld action, a
 * member without a critic. Then a few hundred steps of a world whose rewarded action flips now and then (so NA rises
 * and continual members find boundaries), with random calls in between: act and learn, or step (learn and act in one
 * call); terminal steps; a NaN observation or reward for one member (its call fails, the others step); reset, freeze
 * and thaw, announced contexts, replacing a member by a copy of another (or by an agent outside the interleaved
 * step's scope), an act that no learn follows, evaluate, reading a member out, and a checkpoint round trip at
 * another thread count. Every call's actions and per-member statuses, and the members' state hashes whenever one is
 * read and at the end, must equal the lone agents'.
 *   prop_population [cases] [seed]      (default 40 cases; `make prop-population` runs more)
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint64_t rs;
static uint64_t rnd(void)
{
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return rs;
}
/* splitmix64's finaliser: nearby seeds and case numbers give unrelated generator states */
static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static size_t below(size_t n) { return (size_t)(rnd() % n); }
static int chance(double p) { return unif() < p; }

typedef struct {
    size_t n, n_obs, n_act, threads;
    int recurrent, relu, spiking;
    int integrator;          /* the recurrent layer is of the integrator kind */
    size_t second;           /* a second trunk layer's units (0: none), recurrent if `recurrent` */
    nm_agent_config *cfg;    /* the members' configs */
    nm_agent **lone;         /* and their lone twins */
    nm_population *pop;
    float *obs, *next, *fresh, *rew;
    int *act, *term, *good;
    unsigned long steps, calls;
    int same;                /* no difference found yet */
    char what[160];          /* the case, for a failure's message */
} world;

/* member k's config: the shared shape, then what varies between members */
static void member_config(const world *w, size_t k, uint64_t seed, nm_agent_config *c, size_t hidden, float tau)
{
    nm_layer_kind kind = w->integrator ? NM_LAYER_INTEGRATOR : NM_LAYER_RECURRENT;
    nm_agent_config_default(c);
    c->n_obs = w->n_obs; c->n_actions = w->n_act; c->hidden[0] = hidden; c->seed = seed + k;
    if (w->second) {   /* two layers (stepped one by one): a dense one, then a dense or a recurrent one */
        c->n_layers = 2;
        c->hidden[1] = w->second;
        if (w->recurrent) { c->layer_kind[1] = kind; c->layer_tau[1] = tau; }
    } else if (w->recurrent) {
        c->layer_kind[0] = kind; c->layer_tau[0] = tau;
    }
    if (w->relu) c->activation = NM_RELU;
    if (w->spiking) c->model = NM_MODEL_SPIKING;   /* stepped one by one, and still the lone agent */
    if (w->spiking || chance(0.35)) nm_agent_config_continual(c, 0);   /* the spiking model has none */
    else if (chance(0.3)) c->importance = NM_IMPORTANCE_EWC;
    if (chance(0.3)) c->boundary_sustain = 2;
    if (chance(0.4)) c->modulators = (unsigned)below(16);
    if (chance(0.4)) c->base[NM_P_LEARNING_RATE] = (float)(0.01 + 0.09 * unif());
    if (chance(0.3)) c->mapping[NM_P_GAIN][NM_NA] = (float)below(3) * 0.5f;
    if (chance(0.3)) c->max_update = 0.05f;      /* the clip acts, and needs the exact trace norm */
    if (chance(0.3)) c->na_reset = 0.3f;
    if (chance(0.3)) c->policy_reset = 0.2f;
    if (chance(0.15)) c->critic_scale = 0.0f;
    if (chance(0.2)) { c->withhold_action = 1; c->base[NM_P_WITHHOLD_BIAS] = 0.5f; }
}

/* an observation: a few values a member meets again and again */
static float any_obs(void) { return (float)((int)below(9) - 4) / 4.0f; }

static void fail_at(world *w, const char *call, size_t k, const char *detail)
{
    if (!w->same) return;
    w->same = 0;
    CHECK(0, "%s: step %lu, %s, member %lu: %s", w->what, w->steps, call, (unsigned long)k, detail);
}

static void compare_hashes(world *w, const char *when)
{
    size_t k;
    for (k = 0; k < w->n && w->same; k++)
        if (nm_agent_state_hash(nm_population_agent(w->pop, k)) != nm_agent_state_hash(w->lone[k]))
            fail_at(w, when, k, "state hashes differ");
}

/* member k's reward: 1 for the world's good action in the member's current state (obs[0]'s sign), else 0 */
static float reward_for(const world *w, size_t k, const float *obs, int action)
{
    int good = (w->good[k] + (obs[k * w->n_obs] > 0.0f)) % (int)w->n_act;
    return action == good ? 1.0f : 0.0f;
}

static void act_all(world *w, const float *obs)
{
    size_t k;
    nm_population_act(w->pop, obs, w->n * w->n_obs, w->act, w->n);
    for (k = 0; k < w->n; k++) {
        int a = -1;
        nm_status sl = nm_agent_act(w->lone[k], obs + k * w->n_obs, w->n_obs, &a);
        if (sl != nm_population_member_status(w->pop, k)) fail_at(w, "act", k, "statuses differ");
        else if (sl == NM_OK && a != w->act[k]) fail_at(w, "act", k, "actions differ");
    }
}

static void learn_all(world *w)
{
    size_t k;
    nm_population_learn(w->pop, w->rew, w->n, w->next, w->n * w->n_obs, w->term, w->n);
    for (k = 0; k < w->n; k++) {
        nm_status sl = nm_agent_learn(w->lone[k], w->rew[k], w->next + k * w->n_obs, w->n_obs, w->term[k]);
        if (sl != nm_population_member_status(w->pop, k)) {
            char d[400];
            snprintf(d, sizeof d, "statuses differ (%d: %s; alone %d: %s)", (int)nm_population_member_status(w->pop, k),
                     nm_population_error(w->pop), (int)sl, nm_agent_error(w->lone[k]));
            fail_at(w, "learn", k, d);
        }
    }
}

/* nm_population_step against its definition: each lone agent learns if it has an act to learn from (a learn
 * without one is refused with NM_ERR_STATE and changes nothing), and acts if that succeeded, on a new episode's
 * observation where one ended */
static void step_all(world *w, int new_episodes)
{
    const float *obs = new_episodes ? w->fresh : w->next;
    size_t k;
    for (k = 0; k < w->n; k++) w->act[k] = -7;
    nm_population_step(w->pop, w->rew, w->n, w->next, w->n * w->n_obs, w->term, w->n,
                       new_episodes ? w->fresh : NULL, new_episodes ? w->n * w->n_obs : 0, w->act, w->n);
    for (k = 0; k < w->n; k++) {
        int a = -7;
        nm_status sl = nm_agent_learn(w->lone[k], w->rew[k], w->next + k * w->n_obs, w->n_obs, w->term[k]);
        if (sl == NM_ERR_STATE) sl = NM_OK;   /* no act to learn from: it only acts */
        if (sl == NM_OK) sl = nm_agent_act(w->lone[k], obs + k * w->n_obs, w->n_obs, &a);
        if (sl != nm_population_member_status(w->pop, k)) fail_at(w, "step", k, "statuses differ");
        else if (a != w->act[k]) {
            char d[96];
            snprintf(d, sizeof d, "actions differ (%d, alone %d; status %d; terminal %d)", w->act[k], a, (int)sl,
                     w->term[k]);
            fail_at(w, "step", k, d);
        }
    }
}

/* member k becomes a copy of agent src (the lone twin of another member, or an agent outside the interleaved
 * step's scope), and its twin the same copy */
static void replace(world *w, size_t k, nm_agent *src)
{
    size_t len = nm_agent_checkpoint_size(src);
    unsigned char *buf = malloc(len);
    nm_agent *copy = NULL;
    nm_status st;
    if (!buf) return;
    st = nm_population_replace_copy(w->pop, k, src);
    if (st != NM_OK) fail_at(w, "replace", k, nm_population_error(w->pop));
    if (nm_agent_save_buffer(src, buf, len) == NM_OK && nm_agent_load_buffer(buf, len, &copy, NULL, 0) == NM_OK) {
        nm_agent_free(w->lone[k]);
        w->lone[k] = copy;
    } else {
        fail_at(w, "replace", k, "the lone copy failed");
    }
    free(buf);
}

/* an agent of the population's shape that the interleaved step does not take (the entropy bonus) */
static nm_agent *outside_scope(const world *w, size_t k)
{
    nm_agent_config c = w->cfg[k];
    nm_agent *a = NULL;
    c.policy_entropy = 0.05f;
    c.seed += 1000;
    return nm_agent_new(&c, &a, NULL, 0) == NM_OK ? a : NULL;
}

static void round_trip(world *w)
{
    size_t len = nm_population_checkpoint_size(w->pop), threads = 1 + below(3);
    unsigned char *buf = malloc(len);
    nm_population *back = NULL;
    char msg[256];
    if (!buf) return;
    if (nm_population_save_buffer(w->pop, buf, len) != NM_OK) fail_at(w, "save", 0, nm_population_error(w->pop));
    else if (nm_population_load_buffer(buf, len, threads, &back, msg, sizeof msg) != NM_OK) fail_at(w, "load", 0, msg);
    free(buf);
    if (!back) return;
    nm_population_free(w->pop);
    w->pop = back;
}

/* PROP_VERBOSE=2: each side call on stderr (with PROP_CASE and PROP_HASH_EVERY, where a case first differs) */
static void trace_call(const world *w, const char *call, size_t k)
{
    const char *v = getenv("PROP_VERBOSE");
    if (v && atoi(v) > 1) fprintf(stderr, "step %lu: %s, member %lu\n", w->steps, call, (unsigned long)k);
}

/* The calls between two steps, each now and then (PROP_RATE=x makes them x times as frequent) */
static int side(double p)
{
    static double scale = 0.0;
    if (scale == 0.0) scale = getenv("PROP_RATE") && atof(getenv("PROP_RATE")) > 0.0 ? atof(getenv("PROP_RATE")) : 1.0;
    return chance(p * scale);
}

static void side_calls(world *w)
{
    size_t k = below(w->n), j = below(w->n);
    if (side(0.01)) {
        trace_call(w, "reset", k);
        nm_population_reset(w->pop, k);
        nm_agent_reset_traces(w->lone[k]);
    }
    if (side(0.01)) {
        int on = chance(0.5);
        nm_status sp, sl;
        trace_call(w, on ? "freeze" : "thaw", k);
        sp = nm_population_freeze(w->pop, k, on);
        sl = nm_agent_freeze(w->lone[k], on);
        if (sp != sl) fail_at(w, "freeze", k, "statuses differ");
    }
    if (side(0.008)) {
        int id = (int)below(4);
        nm_status sp, sl;
        trace_call(w, "context", k);
        sp = nm_population_set_context(w->pop, k, id);
        sl = nm_agent_set_context(w->lone[k], id);
        if (sp != sl) fail_at(w, "context", k, "statuses differ");
    }
    if (side(0.004)) {
        trace_call(w, "replace by another member's copy", k);
        replace(w, k, w->lone[j]);
    }
    if (side(0.001)) {
        nm_agent *a = outside_scope(w, k);
        trace_call(w, "replace by an agent outside the interleaved step's scope", k);
        if (a) { replace(w, k, a); nm_agent_free(a); }
    }
    if (side(0.01)) {   /* evaluate changes nothing and gives the lone agent's policy and value */
        float o[8], pp[8], pl[8], vp = 0.0f, vl = 0.0f;
        size_t i;
        for (i = 0; i < w->n_obs; i++) o[i] = any_obs();
        if (nm_population_evaluate(w->pop, k, o, w->n_obs, pp, &vp) != nm_agent_evaluate(w->lone[k], o, w->n_obs, pl, &vl) ||
            memcmp(pp, pl, w->n_act * sizeof *pp) != 0 || memcmp(&vp, &vl, sizeof vp) != 0)
            fail_at(w, "evaluate", k, "policies or values differ");
    }
    if (side(0.03) || getenv("PROP_HASH_EVERY")) compare_hashes(w, "a member read out");
    if (side(0.003)) {
        trace_call(w, "checkpoint round trip", 0);
        round_trip(w);
    }
}

/* one case; whether its population was interleaved at creation */
static int run_case(int c, const char **sets, size_t n_sets)
{
    static const size_t dense_units[] = { 3, 8, 13, 16, 24, 32, 64 }, rec_units[] = { 3, 8, 14, 16, 24, 32, 48, 64 };
    static const float taus[] = { 1.0f, 2.5f, 5.0f };
    world w;
    const char *set = sets[below(n_sets)];
    size_t hidden, k, i, T = 150 + below(350);
    uint64_t seed = rnd() % 100000;
    float tau;
    int t, interleaved = 0;
    char msg[256], shape[48];
    memset(&w, 0, sizeof w);
    w.n = 1 + below(40);
    w.n_obs = 1 + below(4);
    w.n_act = 2 + below(3);
    w.threads = 1 + below(3);
    w.recurrent = chance(0.35);
    w.relu = chance(0.08);
    w.spiking = !w.recurrent && chance(0.06);
    w.second = !w.spiking && chance(0.1) ? 2 + below(8) : 0;
    if (w.spiking) { w.n = 1 + w.n % 8; T = 60 + T % 90; }   /* a spiking step costs a hundred rate steps */
    hidden = w.recurrent ? rec_units[below(8)] : dense_units[below(7)];
    tau = taus[below(3)];
    w.integrator = w.recurrent && chance(0.3);
    w.same = 1;
    setenv("NEUROMOD_KERNELS", set, 1);
    w.cfg = calloc(w.n, sizeof *w.cfg);
    w.lone = calloc(w.n, sizeof *w.lone);
    w.obs = malloc(w.n * w.n_obs * sizeof *w.obs);
    w.next = malloc(w.n * w.n_obs * sizeof *w.next);
    w.fresh = malloc(w.n * w.n_obs * sizeof *w.fresh);
    w.rew = malloc(w.n * sizeof *w.rew);
    w.act = malloc(w.n * sizeof *w.act);
    w.term = malloc(w.n * sizeof *w.term);
    w.good = malloc(w.n * sizeof *w.good);
    for (k = 0; k < w.n; k++) {
        member_config(&w, k, seed, &w.cfg[k], hidden, tau);
        nm_agent_new(&w.cfg[k], &w.lone[k], NULL, 0);
        w.good[k] = (int)below(w.n_act);
    }
    snprintf(shape, sizeof shape, w.second ? "%lu dense + %lu" : "%lu", (unsigned long)hidden, (unsigned long)w.second);
    snprintf(w.what, sizeof w.what, "case %d (%s, %lu members x %s %s units%s, %lu obs, %lu actions, %lu threads)",
             c, set, (unsigned long)w.n, shape,
             w.spiking ? "spiking" : w.integrator ? "integrator" : w.recurrent ? "recurrent" : "dense",
             w.relu ? " relu" : "", (unsigned long)w.n_obs, (unsigned long)w.n_act, (unsigned long)w.threads);
    if (getenv("PROP_VERBOSE")) fprintf(stderr, "%s\n", w.what);
    if (nm_population_new_members(w.cfg, w.n, w.threads, &w.pop, msg, sizeof msg) != NM_OK) {
        CHECK(0, "%s: new: %s", w.what, msg);
        goto done;
    }
    interleaved = nm_population_lanes(w.pop) > 1;
    for (i = 0; i < w.n * w.n_obs; i++) w.obs[i] = any_obs();
    act_all(&w, w.obs);
    for (t = 0; t < (int)T && w.same; t++) {
        int new_episodes = 0;
        w.steps++;
        for (k = 0; k < w.n; k++) {
            if (chance(0.004)) w.good[k] = (w.good[k] + 1) % (int)w.n_act;   /* the world changes for member k */
            for (i = 0; i < w.n_obs; i++) w.next[k * w.n_obs + i] = any_obs();
            w.rew[k] = reward_for(&w, k, w.obs, w.act[k]);
            w.term[k] = chance(0.06);
            if (side(0.002)) w.rew[k] = NAN;                     /* its learn is refused */
            if (side(0.002)) w.next[k * w.n_obs] = NAN;          /* its learn is refused */
        }
        for (i = 0; i < w.n * w.n_obs; i++) w.fresh[i] = w.next[i];
        for (k = 0; k < w.n; k++)
            if (w.term[k]) {
                new_episodes = 1;
                for (i = 0; i < w.n_obs; i++) w.fresh[k * w.n_obs + i] = any_obs();
            }
        if (chance(0.5)) {
            step_all(&w, new_episodes);
        } else {
            learn_all(&w);
            if (side(0.01)) act_all(&w, w.next);   /* an act that no learn follows: the next act replaces it */
            if (side(0.002)) w.fresh[below(w.n) * w.n_obs] = NAN;   /* its act is refused */
            if (side(0.004)) {   /* finite, but its forward pass overflows: refused after the group's pass */
                k = below(w.n);
                for (i = 0; i < w.n_obs; i++) w.fresh[k * w.n_obs + i] = (i % 2 ? -3e38f : 3e38f);
            }
            act_all(&w, w.fresh);
        }
        for (i = 0; i < w.n * w.n_obs; i++) w.obs[i] = isfinite(w.fresh[i]) && fabsf(w.fresh[i]) < 1e30f ? w.fresh[i] : 0.0f;
        side_calls(&w);
    }
    compare_hashes(&w, "at the end");
    CHECK(w.same, "%s: %d steps, every member equals its lone agent", w.what, t);
    nm_population_free(w.pop);
    w.pop = NULL;
done:
    for (k = 0; k < w.n; k++) nm_agent_free(w.lone[k]);
    free(w.cfg); free(w.lone); free(w.obs); free(w.next); free(w.fresh); free(w.rew); free(w.act);
    free(w.term); free(w.good);
    unsetenv("NEUROMOD_KERNELS");
    return interleaved;
}

int main(int argc, char **argv)
{
    static const char *all[] = { "generic", "avx2", "avx512" };
    const char *sets[3];
    size_t n_sets = 0, s;
    int cases = argc > 1 ? atoi(argv[1]) : 40, c, interleaved = 0;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 20261201u;
    for (s = 0; s < 3; s++) {   /* the kernel sets this CPU runs */
        nm_agent_config cfg;
        nm_agent *probe = NULL;
        setenv("NEUROMOD_KERNELS", all[s], 1);
        nm_agent_config_default(&cfg);
        cfg.n_obs = 3; cfg.n_actions = 2; cfg.hidden[0] = 16;
        if (nm_agent_new(&cfg, &probe, NULL, 0) == NM_OK) sets[n_sets++] = all[s];
        nm_agent_free(probe);
    }
    unsetenv("NEUROMOD_KERNELS");
    if (!n_sets) { printf("c: 0 passed, 1 failed (population property test: no kernel set runs)\n"); return 1; }
    for (c = 0; c < cases; c++) {   /* each case its own draws, so that one can be run alone (PROP_CASE=c) */
        if (getenv("PROP_CASE") && atoi(getenv("PROP_CASE")) != c) continue;
        rs = mix(mix(seed) ^ (uint64_t)c);
        if (!rs) rs = 1;
        interleaved += run_case(c, sets, n_sets);
    }
    /* the draws reach the interleaved step (a shape it takes, enough members) in a good share of the cases */
    CHECK(getenv("NEUROMOD_INTERLEAVE") || cases < 20 || interleaved * 4 >= cases,
          "%d of %d cases interleaved", interleaved, cases);
    printf("c: %d passed, %d failed (population property test: %d cases, %d interleaved)\n", passed, failed, cases,
           interleaved);
    return failed ? 1 : 0;
}
