/*
 * population.c -- N agents of one shape stepped by one call, optionally spread over a pool of threads.
 *
 * Each member is an ordinary nm_agent made by nm_agent_new (or read from its checkpoint bytes), so member k is
 * bit for bit the lone agent with its config: the population only loops, checks shapes and lengths, and hands
 * slices of members to threads. The slices are fixed at creation (thread t steps members t*N/T .. (t+1)*N/T-1)
 * and no member is touched by two threads in one step, so the thread count cannot change a result.
 *
 * The pool: threads - 1 workers wait for the step's generation number to move; the caller publishes the step
 * (op and pointers), wakes them, steps its own slice, and waits until the count of busy workers falls to 0. Each
 * wait first spins a while (a step that follows at once, as in a simulation's loop, is taken without the kernel:
 * waking a thread through a condition variable cost tens of microseconds here, a tenth of a step of 4096 members
 * on each of two threads), then sleeps on a condition variable. Nothing is allocated per step; nothing is global.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nm_internal.h"
#include "ckpt_io.h"
#include "population_simd.h"

enum { OP_ACT = 0, OP_LEARN = 1, OP_STEP = 2 };   /* OP_STEP: learn, then act (nm_population_step) */

static const unsigned char pop_magic[8] = { 'N', 'M', 'P', 'O', 'P', 'U', 'L', '\0' };
#define POP_VERSION 1u
#define POP_HEADER 24u   /* magic, version, flags (0), count */

typedef struct nm_worker {
    nm_population *pop;
    size_t lo, hi;       /* the members this thread steps */
    size_t glo, ghi;     /* or, interleaved, the groups of members side by side */
    pthread_t thread;
} nm_worker;

struct nm_population {
    size_t n, n_obs, n_actions, threads;
    nm_agent **member;
    nm_status *status;   /* each member's status in the last step */
    char msg[NM_MSG_LEN];
    /* the step being run, published to the workers under mu */
    int op;
    const float *obs, *rewards;
    const float *act_obs;   /* OP_STEP: what the members act on (obs is learn's next_obs) */
    const int *terminals;
    int *actions;
    size_t obs_len;      /* n_obs, or 0 for a learn without next_obs */
    /* the pool */
    /* the interleaved step (population_simd.c), when it covers every member's config: the groups hold the
     * weights, traces and caches; member k's agent holds them too when fresh[k] == gen (gen counts steps),
     * after sync_member copies them out; a member handed out or changed is copied back in before the next
     * step (dirty[k]) */
    nm_popsimd *simd;
    unsigned long gen, *fresh;
    unsigned char *dirty;
    int any_dirty;
    nm_worker *workers;  /* threads - 1 of them; the caller steps the last slice */
    size_t started;      /* workers whose thread is running */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long generation;   /* read and written atomically (workers spin on it), changed under mu */
    unsigned long busy;         /* workers still stepping: the same */
    int quit;
};

static nm_status pop_fail(nm_population *p, nm_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    return st;
}

void nm_population_config_default(nm_population_config *cfg)
{
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->n = 1;
    cfg->threads = 1;
    nm_agent_config_default(&cfg->base);
}

/* Whether b can stand beside a in one population: the same observation, actions, layers and learner. */
static int same_shape(const nm_agent_config *a, const nm_agent_config *b, const char **what)
{
    size_t l;
    *what = NULL;
    if (a->n_obs != b->n_obs) *what = "obs";
    else if (a->n_actions != b->n_actions) *what = "actions";
    else if (a->n_layers != b->n_layers) *what = "hidden";
    else if (a->activation != b->activation) *what = "activation";
    else if (a->model != b->model) *what = "model";
    for (l = 0; !*what && l < a->n_layers; l++)
        if (a->hidden[l] != b->hidden[l] || a->layer_kind[l] != b->layer_kind[l]) *what = "hidden";
    return *what == NULL;
}

/* ---- stepping ---- */

/* members lo .. hi - 1, or groups glo .. ghi - 1, by the thread with scratch slot `slot` (workers 0 .. T - 2, the
 * caller T - 1) */
static void step_slice(nm_population *p, size_t lo, size_t hi, size_t glo, size_t ghi, size_t slot)
{
    size_t k, g, d = p->n_obs;
    if (p->simd) {
        for (g = glo; g < ghi; g++) {
            if (p->op == OP_ACT) nm_popsimd_act(p->simd, p->member, g, slot, p->obs, p->actions, p->status);
            else if (p->op == OP_LEARN)
                nm_popsimd_learn(p->simd, p->member, g, slot, p->rewards, p->obs, p->terminals, p->status);
            else
                nm_popsimd_learn_act(p->simd, p->member, g, slot, p->rewards, p->obs, p->terminals, p->act_obs,
                                     p->actions, p->status);
        }
        return;
    }
    for (k = lo; k < hi; k++) {
        nm_agent *a = p->member[k];
        const float *next = p->obs ? p->obs + k * d : NULL;
        int terminal = p->terminals ? p->terminals[k] != 0 : 0;
        if (p->op == OP_ACT) p->status[k] = nm_agent_act(a, p->obs + k * d, d, p->actions + k);
        else if (p->op == OP_LEARN) p->status[k] = nm_agent_learn(a, p->rewards[k], next, p->obs_len, terminal);
        else p->status[k] = nm_popsimd_member_learn_act(a, p->rewards[k], next, d, terminal, p->act_obs + k * d,
                                                        p->actions + k);
    }
}

/* How long a wait spins before it sleeps: SPIN_ROUNDS rounds of SPIN_PAUSES pauses, each round ending with a
 * sched_yield (so that a thread spinning on a core another thread of the pool needs gives it up): about 160
 * microseconds here (a round measured 0.64 us). Long enough to cover the two threads' slices ending apart at 4096
 * members (a quarter of the spin gave 7% fewer agent-steps per second there); a simulation's frame of 16 ms
 * spends at most 1% of a core on it. */
#define SPIN_ROUNDS 256
#define SPIN_PAUSES 32

static void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spins until *x differs from v (a worker: generation moves on) or, with `equal`, equals it (the caller: busy
 * falls to 0), or *quit is set; returns whether that happened before the spin ran out. Acquire loads: what the
 * other side wrote before its release store is visible after. */
static int spin_for(const unsigned long *x, unsigned long v, int equal, const int *quit)
{
    int r, i;
    for (r = 0; r < SPIN_ROUNDS; r++) {
        for (i = 0; i < SPIN_PAUSES; i++) {
            if ((__atomic_load_n(x, __ATOMIC_ACQUIRE) == v) == equal || (quit && __atomic_load_n(quit, __ATOMIC_ACQUIRE)))
                return 1;
            cpu_pause();
        }
        sched_yield();
    }
    return 0;
}

static void *worker_main(void *arg)
{
    nm_worker *w = arg;
    nm_population *p = w->pop;
    unsigned long seen = 0;
    for (;;) {
        if (!spin_for(&p->generation, seen, 0, &p->quit)) {
            pthread_mutex_lock(&p->mu);
            while (__atomic_load_n(&p->generation, __ATOMIC_ACQUIRE) == seen && !p->quit)
                pthread_cond_wait(&p->go, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) return NULL;
        seen = __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE);
        step_slice(p, w->lo, w->hi, w->glo, w->ghi, (size_t)(w - p->workers));
        /* the last worker to finish wakes the caller if it sleeps (under the mutex, so the wake cannot fall between
         * its check and its wait) */
        pthread_mutex_lock(&p->mu);
        if (__atomic_sub_fetch(&p->busy, 1, __ATOMIC_ACQ_REL) == 0) pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Runs the published step over every member, then words the first failure. */
static nm_status run_step(nm_population *p, const char *what)
{
    size_t k, failed = 0, first = 0, W = p->threads - 1, G = nm_popsimd_groups(p->simd);
    if (p->simd) {
        if (p->any_dirty)
            for (k = 0; k < p->n; k++)
                if (p->dirty[k]) { nm_popsimd_gather_one(p->simd, p->member, k); p->dirty[k] = 0; }
        p->any_dirty = 0;
        p->gen++;
    }
    if (W == 0) step_slice(p, 0, p->n, 0, G, 0);
    else {
        pthread_mutex_lock(&p->mu);
        __atomic_store_n(&p->busy, (unsigned long)W, __ATOMIC_RELAXED);
        __atomic_add_fetch(&p->generation, 1, __ATOMIC_RELEASE);   /* publishes the step to spinning workers */
        pthread_cond_broadcast(&p->go);                             /* and wakes the sleeping ones */
        pthread_mutex_unlock(&p->mu);
        step_slice(p, W * p->n / p->threads, p->n, W * G / p->threads, G, W);
        if (!spin_for(&p->busy, 0, 1, NULL)) {
            pthread_mutex_lock(&p->mu);
            while (__atomic_load_n(&p->busy, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&p->done, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
    }
    for (k = p->n; k-- > 0;)
        if (p->status[k] != NM_OK) { failed++; first = k; }
    if (!failed) { p->msg[0] = '\0'; return NM_OK; }
    return pop_fail(p, p->status[first], "%s: member %lu of 0..%lu: %s; %lu member%s failed, the others stepped",
                    what, (unsigned long)first, (unsigned long)p->n - 1, nm_agent_error(p->member[first]),
                    (unsigned long)failed, failed == 1 ? "" : "s");
}

/* act's arguments (obs, its length, actions, their room), worded for the call `what` */
static nm_status check_act(nm_population *p, const char *what, const float *obs, size_t len, const int *actions,
                           size_t n_actions_out)
{
    if (!obs) return pop_fail(p, NM_ERR_ARG, "%s: obs is missing", what);
    if (len != p->n * p->n_obs)
        return pop_fail(p, NM_ERR_ARG, "%s: obs has %lu values, expected %lu (%lu members x %lu)", what,
                        (unsigned long)len, (unsigned long)(p->n * p->n_obs), (unsigned long)p->n,
                        (unsigned long)p->n_obs);
    if (!actions) return pop_fail(p, NM_ERR_ARG, "%s: actions is NULL", what);
    if (n_actions_out != p->n)
        return pop_fail(p, NM_ERR_ARG, "%s: actions has room for %lu, expected %lu", what,
                        (unsigned long)n_actions_out, (unsigned long)p->n);
    return NM_OK;
}

/* learn's arguments, worded for the call `what` */
static nm_status check_learn(nm_population *p, const char *what, const float *rewards, size_t n_rewards,
                             const float *next_obs, size_t len, const int *terminals, size_t n_terminals)
{
    size_t k;
    if (!rewards) return pop_fail(p, NM_ERR_ARG, "%s: rewards is missing", what);
    if (n_rewards != p->n)
        return pop_fail(p, NM_ERR_ARG, "%s: rewards has %lu values, expected %lu", what, (unsigned long)n_rewards,
                        (unsigned long)p->n);
    if (terminals && n_terminals != p->n)
        return pop_fail(p, NM_ERR_ARG, "%s: terminals has %lu values, expected %lu", what,
                        (unsigned long)n_terminals, (unsigned long)p->n);
    if (next_obs && len != p->n * p->n_obs)
        return pop_fail(p, NM_ERR_ARG, "%s: next_obs has %lu values, expected %lu (%lu members x %lu)", what,
                        (unsigned long)len, (unsigned long)(p->n * p->n_obs), (unsigned long)p->n,
                        (unsigned long)p->n_obs);
    if (!next_obs) {
        if (len != 0)
            return pop_fail(p, NM_ERR_ARG, "%s: next_obs is NULL but its length is %lu", what, (unsigned long)len);
        for (k = 0; k < p->n; k++)
            if (!terminals || !terminals[k])
                return pop_fail(p, NM_ERR_ARG, "%s: next_obs is missing (member %lu is not terminal)", what,
                                (unsigned long)k);
    }
    return NM_OK;
}

static void publish_learn(nm_population *p, const float *rewards, const float *next_obs, const int *terminals)
{
    p->rewards = rewards;
    p->obs = next_obs;
    p->obs_len = next_obs ? p->n_obs : 0;
    p->terminals = terminals;
}

nm_status nm_population_act(nm_population *p, const float *obs, size_t len, int *actions, size_t n_actions_out)
{
    nm_status st;
    if (!p) return NM_ERR_ARG;
    if ((st = check_act(p, "act", obs, len, actions, n_actions_out)) != NM_OK) return st;
    p->op = OP_ACT;
    p->obs = obs;
    p->actions = actions;
    return run_step(p, "act");
}

nm_status nm_population_learn(nm_population *p, const float *rewards, size_t n_rewards, const float *next_obs,
                              size_t len, const int *terminals, size_t n_terminals)
{
    nm_status st;
    if (!p) return NM_ERR_ARG;
    if ((st = check_learn(p, "learn", rewards, n_rewards, next_obs, len, terminals, n_terminals)) != NM_OK)
        return st;
    p->op = OP_LEARN;
    publish_learn(p, rewards, next_obs, terminals);
    return run_step(p, "learn");
}

nm_status nm_population_step(nm_population *p, const float *rewards, size_t n_rewards, const float *next_obs,
                             size_t len, const int *terminals, size_t n_terminals, const float *obs, size_t obs_len,
                             int *actions, size_t n_actions_out)
{
    nm_status st;
    if (!p) return NM_ERR_ARG;
    if ((st = check_learn(p, "step", rewards, n_rewards, next_obs, len, terminals, n_terminals)) != NM_OK) return st;
    if (!obs) {
        if (obs_len != 0)
            return pop_fail(p, NM_ERR_ARG, "step: obs is NULL but its length is %lu", (unsigned long)obs_len);
        obs = next_obs;
        obs_len = len;
    }
    if ((st = check_act(p, "step", obs, obs_len, actions, n_actions_out)) != NM_OK) return st;
    p->op = OP_STEP;
    publish_learn(p, rewards, next_obs, terminals);
    p->act_obs = obs;
    p->actions = actions;
    return run_step(p, "step");
}

/* ---- construction ---- */

static void stop_pool(nm_population *p)
{
    size_t i;
    if (!p->started && !p->workers) return;
    pthread_mutex_lock(&p->mu);
    __atomic_store_n(&p->quit, 1, __ATOMIC_RELEASE);   /* spinning workers read it atomically */
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < p->started; i++) pthread_join(p->workers[i].thread, NULL);
    p->started = 0;
}

void nm_population_free(nm_population *p)
{
    size_t k;
    if (!p) return;
    stop_pool(p);
    if (p->workers) {
        pthread_cond_destroy(&p->go);
        pthread_cond_destroy(&p->done);
        pthread_mutex_destroy(&p->mu);
    }
    free(p->workers);
    nm_popsimd_free(p->simd);
    free(p->fresh);
    free(p->dirty);
    if (p->member)
        for (k = 0; k < p->n; k++) nm_agent_free(p->member[k]);
    free(p->member);
    free(p->status);
    free(p);
}

/* NEUROMOD_INTERLEAVE=0 steps the members one by one even where the interleaved step covers them (to measure
 * it, or to rule it out): both give the same bits, so only speed changes. */
static int interleave_wanted(void)
{
    const char *v = getenv("NEUROMOD_INTERLEAVE");
    return !(v && strcmp(v, "0") == 0);
}

/* Member k's agent holds its current weights again (after interleaved steps); when the caller may change it
 * (changed = 1), its group is refreshed from it before the next step. */
static void sync_member(nm_population *p, size_t k, int changed)
{
    if (!p->simd) return;
    if (p->fresh[k] != p->gen) { nm_popsimd_scatter_one(p->simd, p->member, k); p->fresh[k] = p->gen; }
    if (changed) { p->dirty[k] = 1; p->any_dirty = 1; }
}

static void sync_members(nm_population *p)
{
    size_t k;
    for (k = 0; p->simd && k < p->n; k++) sync_member(p, k, 0);
}

static void drop_simd(nm_population *p)
{
    if (p->fresh) sync_members(p);   /* (at creation, before fresh exists, the members are current) */
    nm_popsimd_free(p->simd);
    free(p->fresh);
    free(p->dirty);
    p->simd = NULL;
    p->fresh = NULL;
    p->dirty = NULL;
    p->any_dirty = 0;
}

/* A population around n agents (owned by it on success; on failure the caller still owns them). */
static nm_status assemble(nm_agent **agents, size_t n, size_t threads, nm_population **out, char *msg,
                          size_t msglen)
{
    nm_population *p = calloc(1, sizeof *p);
    size_t k, t, G, T = threads < 1 ? 1 : threads > n ? n : threads;
    const nm_agent_config *c0 = nm_agent_get_config(agents[0]);
    if (!p || !(p->member = malloc(n * sizeof *p->member)) || !(p->status = calloc(n, sizeof *p->status))) {
        if (p) { free(p->member); free(p); }
        nm_write_msg(msg, msglen, "out of memory");
        return NM_ERR_NOMEM;
    }
    p->n = n;
    p->n_obs = c0->n_obs;
    p->n_actions = c0->n_actions;
    p->threads = T;
    for (k = 0; k < n; k++) p->member[k] = agents[k];
    if (interleave_wanted()) {
        int all = 1;
        for (k = 0; k < n && all; k++) all = nm_popsimd_covers(agents[k]);
        /* out of memory for the groups: the members step one by one, as they would without them */
        if (all) p->simd = nm_popsimd_new(p->member, n, T);
        /* fewer members than lanes (most of every vector would be padding) or a layer wider than the set's
         * interleaved step pays for: one by one is as fast or faster */
        if (p->simd && (n < nm_popsimd_lanes(p->simd) || c0->hidden[0] > nm_popsimd_max_hidden(p->simd) ||
                        !(p->fresh = calloc(n, sizeof *p->fresh)) || !(p->dirty = calloc(n, 1))))
            drop_simd(p);
    }
    G = nm_popsimd_groups(p->simd);
    if (T > 1) {
        if (!(p->workers = calloc(T - 1, sizeof *p->workers))) {
            free(p->member); free(p->status); free(p);
            nm_write_msg(msg, msglen, "out of memory");
            return NM_ERR_NOMEM;
        }
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->go, NULL);
        pthread_cond_init(&p->done, NULL);
        for (t = 0; t + 1 < T; t++) {
            nm_worker *w = &p->workers[t];
            w->pop = p;
            w->lo = t * n / T;
            w->hi = (t + 1) * n / T;
            w->glo = t * G / T;
            w->ghi = (t + 1) * G / T;
            if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
                p->n = 0;   /* the agents are not ours yet: free none */
                nm_population_free(p);
                nm_write_msg(msg, msglen, "threads: cannot start thread %lu of %lu", (unsigned long)t + 2,
                             (unsigned long)T);
                return NM_ERR_NOMEM;
            }
            p->started++;
        }
    }
    *out = p;
    return NM_OK;
}

nm_status nm_population_new(const nm_population_config *cfg, nm_population **out, char *msg, size_t msglen)
{
    nm_agent **agents;
    size_t k, n;
    nm_status st = NM_OK;
    char why[NM_MSG_LEN];
    const char *what;
    if (msg && msglen) msg[0] = '\0';
    if (!out) { nm_write_msg(msg, msglen, "out is NULL"); return NM_ERR_ARG; }
    *out = NULL;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    n = cfg->n;
    if (n < 1 || n > ((size_t)1 << 24)) {
        nm_write_msg(msg, msglen, "n: expected 1 to 16777216 members, got %lu", (unsigned long)n);
        return NM_ERR_ARG;
    }
    if (cfg->threads > 1024) {
        nm_write_msg(msg, msglen, "threads: expected 0 to 1024, got %lu", (unsigned long)cfg->threads);
        return NM_ERR_ARG;
    }
    if (!(agents = calloc(n, sizeof *agents))) { nm_write_msg(msg, msglen, "out of memory"); return NM_ERR_NOMEM; }
    for (k = 0; k < n && st == NM_OK; k++) {
        nm_agent_config c = cfg->members ? cfg->members[k] : cfg->base;
        if (!cfg->members) c.seed = cfg->seeds ? cfg->seeds[k] : cfg->base.seed + k;
        if (k > 0 && !same_shape(nm_agent_get_config(agents[0]), &c, &what)) {
            nm_write_msg(msg, msglen, "member %lu: %s differs from member 0's (a population has one shape)",
                         (unsigned long)k, what);
            st = NM_ERR_ARG;
        } else if ((st = nm_agent_new(&c, &agents[k], why, sizeof why)) != NM_OK)
            nm_write_msg(msg, msglen, "member %lu: %s", (unsigned long)k, why);
    }
    if (st == NM_OK) st = assemble(agents, n, cfg->threads, out, msg, msglen);
    if (st != NM_OK)
        for (k = 0; k < n; k++) nm_agent_free(agents[k]);
    free(agents);
    return st;
}

nm_status nm_population_new_members(const nm_agent_config *members, size_t n, size_t threads, nm_population **out,
                                    char *msg, size_t msglen)
{
    nm_population_config pc;
    if (!members) {
        if (out) *out = NULL;
        nm_write_msg(msg, msglen, "members is NULL");
        return NM_ERR_ARG;
    }
    nm_population_config_default(&pc);
    pc.n = n;
    pc.threads = threads;
    pc.members = members;
    if (n > 0) pc.base = members[0];
    return nm_population_new(&pc, out, msg, msglen);
}

/* ---- members ---- */

size_t nm_population_size(const nm_population *p) { return p ? p->n : 0; }
size_t nm_population_threads(const nm_population *p) { return p ? p->threads : 0; }
size_t nm_population_lanes(const nm_population *p) { return !p ? 0 : nm_popsimd_lanes(p->simd); }
const char *nm_population_error(const nm_population *p) { return p ? p->msg : "no population"; }

nm_status nm_population_member_status(const nm_population *p, size_t k)
{
    return p && k < p->n ? p->status[k] : NM_ERR_ARG;
}

static nm_status check_member(nm_population *p, const char *what, size_t k)
{
    if (k >= p->n)
        return pop_fail(p, NM_ERR_ARG, "%s: member %lu out of range 0..%lu", what, (unsigned long)k,
                        (unsigned long)p->n - 1);
    return NM_OK;
}

nm_status nm_population_reset(nm_population *p, size_t k)
{
    nm_status st;
    if (!p) return NM_ERR_ARG;
    if ((st = check_member(p, "reset", k)) != NM_OK) return st;
    sync_member(p, k, 1);
    nm_agent_reset_traces(p->member[k]);
    return NM_OK;
}

/* Member k announces a context or is frozen or thawed (continual.c): the member brought up to date, changed by
 * change(member, v), and the groups refreshed from it before the next step */
static nm_status member_change(nm_population *p, const char *what, size_t k, nm_status (*change)(nm_agent *, int),
                               int v)
{
    nm_status st;
    if (!p) return NM_ERR_ARG;
    if ((st = check_member(p, what, k)) != NM_OK) return st;
    sync_member(p, k, 1);
    if ((st = change(p->member[k], v)) != NM_OK)
        return pop_fail(p, st, "%s: member %lu: %s", what, (unsigned long)k, nm_agent_error(p->member[k]));
    /* no drop: the members stay covered (nm_popsimd_covers reads the config); a step the lanes cannot take now
     * goes to the group's members */
    p->msg[0] = '\0';
    return NM_OK;
}

nm_status nm_population_set_context(nm_population *p, size_t k, int id)
{
    return member_change(p, "context", k, nm_agent_set_context, id);
}

nm_status nm_population_freeze(nm_population *p, size_t k, int frozen)
{
    return member_change(p, "freeze", k, nm_agent_freeze, frozen);
}

/* The population is const to the caller but its members may be stale: they are brought up to date, and since
 * the agent may then be changed through the pointer, the groups are refreshed from it before the next step. */
const nm_agent *nm_population_agent(const nm_population *p, size_t k)
{
    if (!p || k >= p->n) return NULL;
    sync_member((nm_population *)p, k, 1);
    return p->member[k];
}

nm_status nm_population_evaluate(nm_population *p, size_t k, const float *obs, size_t n, float *probs, float *value)
{
    nm_status st;
    if (!p) return NM_ERR_ARG;
    if ((st = check_member(p, "evaluate", k)) != NM_OK) return st;
    sync_member(p, k, 0);
    if ((st = nm_agent_evaluate(p->member[k], obs, n, probs, value)) != NM_OK)
        return pop_fail(p, st, "evaluate: member %lu: %s", (unsigned long)k, nm_agent_error(p->member[k]));
    return NM_OK;
}

/* A new agent from a's checkpoint bytes: an exact copy (a load continues exactly as the saved agent would). */
static nm_status clone_agent(nm_agent *a, nm_agent **out, char *msg, size_t msglen)
{
    size_t n = nm_agent_checkpoint_size(a);
    unsigned char *buf = malloc(n);
    nm_status st;
    if (!buf) { nm_write_msg(msg, msglen, "out of memory"); return NM_ERR_NOMEM; }
    st = nm_agent_save_buffer(a, buf, n);
    if (st != NM_OK) nm_write_msg(msg, msglen, "%s", nm_agent_error(a));
    else st = nm_agent_load_buffer(buf, n, out, msg, msglen);
    free(buf);
    return st;
}

nm_status nm_population_copy_member(nm_population *p, size_t k, nm_agent **out)
{
    nm_status st;
    char why[NM_MSG_LEN];
    if (!p) return NM_ERR_ARG;
    if (!out) return pop_fail(p, NM_ERR_ARG, "copy: out is NULL");
    *out = NULL;
    if ((st = check_member(p, "copy", k)) != NM_OK) return st;
    sync_member(p, k, 0);
    if ((st = clone_agent(p->member[k], out, why, sizeof why)) != NM_OK)
        return pop_fail(p, st, "copy: member %lu: %s", (unsigned long)k, why);
    return NM_OK;
}

nm_status nm_population_replace(nm_population *p, size_t k, nm_agent *agent)
{
    nm_status st;
    const char *what;
    if (!p) return NM_ERR_ARG;
    if ((st = check_member(p, "replace", k)) != NM_OK) return st;
    if (!agent) return pop_fail(p, NM_ERR_ARG, "replace: agent is NULL");
    if (agent == p->member[k]) return NM_OK;
    if (!same_shape(nm_agent_get_config(p->member[k]), nm_agent_get_config(agent), &what))
        return pop_fail(p, NM_ERR_ARG, "replace: member %lu: the agent's %s differs from the population's",
                        (unsigned long)k, what);
    sync_member(p, k, 1);
    nm_agent_free(p->member[k]);
    p->member[k] = agent;
    p->status[k] = NM_OK;
    /* a member the interleaved step does not cover: every member steps on its own from now on */
    if (p->simd && !nm_popsimd_covers(agent)) drop_simd(p);
    return NM_OK;
}

nm_status nm_population_replace_copy(nm_population *p, size_t k, nm_agent *src)
{
    nm_agent *copy;
    nm_status st;
    char why[NM_MSG_LEN];
    if (!p) return NM_ERR_ARG;
    if ((st = check_member(p, "replace", k)) != NM_OK) return st;
    if (!src) return pop_fail(p, NM_ERR_ARG, "replace: agent is NULL");
    if ((st = clone_agent(src, &copy, why, sizeof why)) != NM_OK)
        return pop_fail(p, st, "replace: member %lu: %s", (unsigned long)k, why);
    if ((st = nm_population_replace(p, k, copy)) != NM_OK) nm_agent_free(copy);
    return st;
}

/* ---- checkpoints: a container of member checkpoints ---- */

size_t nm_population_checkpoint_size(const nm_population *p)
{
    size_t k, n = POP_HEADER + 4;
    if (!p) return 0;
    for (k = 0; k < p->n; k++) n += 8 + nm_agent_checkpoint_size(p->member[k]);
    return n;
}

nm_status nm_population_save_buffer(nm_population *p, void *buf, size_t len)
{
    nm_wcur c;
    size_t k, need;
    nm_status st;
    if (!p) return NM_ERR_ARG;
    need = nm_population_checkpoint_size(p);
    if (!buf || len < need)
        return pop_fail(p, NM_ERR_ARG, "save: buffer of %lu bytes, need %lu", (unsigned long)len, (unsigned long)need);
    sync_members(p);
    c.p = buf; c.end = c.p + need; c.ok = 1;
    nm_put_bytes(&c, pop_magic, 8);
    nm_put_u32(&c, POP_VERSION);
    nm_put_u32(&c, 0u);
    nm_put_u64(&c, p->n);
    for (k = 0; k < p->n && c.ok; k++) {
        size_t m = nm_agent_checkpoint_size(p->member[k]);
        nm_put_u64(&c, m);
        if (!c.ok || (size_t)(c.end - c.p) < m) { c.ok = 0; break; }
        if ((st = nm_agent_save_buffer(p->member[k], c.p, m)) != NM_OK)
            return pop_fail(p, st, "save: member %lu: %s", (unsigned long)k, nm_agent_error(p->member[k]));
        c.p += m;
    }
    nm_put_u32(&c, nm_crc32(0, buf, need - 4));
    if (!c.ok || c.p != c.end) return pop_fail(p, NM_ERR_ARG, "save: internal size mismatch");
    return NM_OK;
}

nm_status nm_population_load_buffer(const void *buf, size_t len, size_t threads, nm_population **out, char *msg,
                                    size_t msglen)
{
    nm_rcur c;
    uint64_t count, k;
    nm_agent **agents;
    nm_status st = NM_OK;
    char why[NM_MSG_LEN];
    const char *what;
    if (msg && msglen) msg[0] = '\0';
    if (!out) { nm_write_msg(msg, msglen, "out is NULL"); return NM_ERR_ARG; }
    *out = NULL;
    if (!buf) { nm_write_msg(msg, msglen, "buffer is NULL"); return NM_ERR_ARG; }
    if (len < POP_HEADER + 4 || memcmp(buf, pop_magic, 8) != 0) {
        nm_write_msg(msg, msglen, "not a neuromod population checkpoint");
        return NM_ERR_FORMAT;
    }
    c.p = buf; c.end = c.p + len; c.ok = 1;
    nm_get_bytes(&c, 8);
    if (nm_get_u32(&c) != POP_VERSION) {
        nm_write_msg(msg, msglen, "population checkpoint of an unsupported version (this library reads %u)",
                     POP_VERSION);
        return NM_ERR_VERSION;
    }
    if (nm_crc32(0, buf, len - 4) != (uint32_t)(((const unsigned char *)buf)[len - 4] |
                                                ((uint32_t)((const unsigned char *)buf)[len - 3] << 8) |
                                                ((uint32_t)((const unsigned char *)buf)[len - 2] << 16) |
                                                ((uint32_t)((const unsigned char *)buf)[len - 1] << 24))) {
        nm_write_msg(msg, msglen, "population checkpoint is damaged (checksum mismatch)");
        return NM_ERR_FORMAT;
    }
    nm_get_u32(&c);
    count = nm_get_u64(&c);
    c.end -= 4;   /* the checksum */
    /* each member takes at least its 8-byte length: a count the file cannot hold is refused before allocating */
    if (count < 1 || count > (uint64_t)(c.end - c.p) / 8) {
        nm_write_msg(msg, msglen, "population checkpoint is damaged (member count %llu)", (unsigned long long)count);
        return NM_ERR_FORMAT;
    }
    if (!(agents = calloc((size_t)count, sizeof *agents))) { nm_write_msg(msg, msglen, "out of memory"); return NM_ERR_NOMEM; }
    for (k = 0; k < count && st == NM_OK; k++) {
        uint64_t m = nm_get_u64(&c);
        const unsigned char *bytes = c.ok && m <= (uint64_t)(c.end - c.p) ? nm_get_bytes(&c, (size_t)m) : NULL;
        if (!bytes) {
            nm_write_msg(msg, msglen, "population checkpoint is damaged (member %llu is truncated)", (unsigned long long)k);
            st = NM_ERR_FORMAT;
        } else if ((st = nm_agent_load_buffer(bytes, (size_t)m, &agents[k], why, sizeof why)) != NM_OK)
            nm_write_msg(msg, msglen, "member %llu: %s", (unsigned long long)k, why);
        else if (k > 0 && !same_shape(nm_agent_get_config(agents[0]), nm_agent_get_config(agents[k]), &what)) {
            nm_write_msg(msg, msglen, "member %llu: %s differs from member 0's", (unsigned long long)k, what);
            st = NM_ERR_FORMAT;
        }
    }
    if (st == NM_OK && c.p != c.end) {
        nm_write_msg(msg, msglen, "population checkpoint is damaged (%lu bytes after the last member)",
                     (unsigned long)(c.end - c.p));
        st = NM_ERR_FORMAT;
    }
    if (st == NM_OK) st = assemble(agents, (size_t)count, threads, out, msg, msglen);
    if (st != NM_OK)
        for (k = 0; k < count; k++) nm_agent_free(agents[k]);
    free(agents);
    return st;
}

nm_status nm_population_save(nm_population *p, const char *path)
{
    size_t n;
    unsigned char *buf;
    nm_status st;
    char why[NM_MSG_LEN];
    if (!p) return NM_ERR_ARG;
    if (!path || !*path) return pop_fail(p, NM_ERR_ARG, "save: path is empty");
    n = nm_population_checkpoint_size(p);
    if (!(buf = malloc(n))) return pop_fail(p, NM_ERR_NOMEM, "save: out of memory");
    st = nm_population_save_buffer(p, buf, n);
    if (st == NM_OK && (st = nm_file_write_atomic(path, buf, n, why, sizeof why)) != NM_OK) pop_fail(p, st, "%s", why);
    free(buf);
    return st;
}

nm_status nm_population_load(const char *path, size_t threads, nm_population **out, char *msg, size_t msglen)
{
    unsigned char *buf;
    size_t size;
    nm_status st;
    if (msg && msglen) msg[0] = '\0';
    if (!out) { nm_write_msg(msg, msglen, "out is NULL"); return NM_ERR_ARG; }
    *out = NULL;
    if (!path || !*path) { nm_write_msg(msg, msglen, "path is empty"); return NM_ERR_ARG; }
    if ((st = nm_file_read(path, &buf, &size, msg, msglen)) != NM_OK) return st;
    st = nm_population_load_buffer(buf, size, threads, out, msg, msglen);
    free(buf);
    if (st != NM_OK && msg && msglen) {
        char why[NM_MSG_LEN];
        nm_write_msg(why, sizeof why, "%s", msg);
        nm_write_msg(msg, msglen, "%s: %s", path, why);
    }
    return st;
}
