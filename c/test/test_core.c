/*
 * test_core.c -- C tests of the core: config checks, RNG, gradients against finite differences,
 * learning, checkpoints (round trip, exact continuation, damaged files, atomic save), allocation-free steps,
 * the layer and learner tables and the purity of the modulator step.
 * Prints one line per failure and ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"
#include "nm_internal.h"   /* the kernel sets, layer and learner tables, the modulators' pure step */

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static nm_agent *make(size_t n_obs, size_t n_act, size_t l1, size_t l2, uint64_t seed, nm_activation f)
{
    nm_agent_config c;
    nm_agent *a = NULL;
    char msg[256];
    nm_agent_config_default(&c);
    c.n_obs = n_obs; c.n_actions = n_act; c.seed = seed; c.activation = f;
    c.n_layers = l2 ? 2 : (l1 ? 1 : 0); c.hidden[0] = l1; c.hidden[1] = l2;
    if (nm_agent_new(&c, &a, msg, sizeof msg) != NM_OK) { printf("make: %s\n", msg); exit(1); }
    return a;
}

static void test_config(void)
{
    nm_agent_config c;
    nm_agent *a = (nm_agent *)1;
    char msg[256];
    nm_agent_config_default(&c);
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && a == NULL, "n_obs 0 refused");
    CHECK(strstr(msg, "obs") != NULL, "message names obs: %s", msg);
    c.n_obs = 3; c.n_actions = 1;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "actions"), "1 action refused: %s", msg);
    c.n_actions = 2; c.hidden[0] = 0;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "hidden[1]"), "zero layer: %s", msg);
    c.hidden[0] = 8; c.base[NM_P_DISCOUNT] = 1.0f;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "discount"), "discount 1: %s", msg);
    c.base[NM_P_DISCOUNT] = 0.9f; c.base[NM_P_LEARNING_RATE] = NAN;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "learning_rate"), "NaN lr: %s", msg);
    c.base[NM_P_LEARNING_RATE] = 0.1f; c.modulators = 1u << 7;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "modulators"), "bad bit: %s", msg);
    c.modulators = NM_MOD_ALL; c.na_input = (nm_na_input)7;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "na_input"), "bad na_input: %s", msg);
    CHECK(nm_agent_new(NULL, &a, msg, sizeof msg) == NM_ERR_ARG, "NULL config");
    CHECK(strcmp(nm_strerror(NM_ERR_FORMAT), "not a valid neuromod checkpoint") == 0, "strerror");
    nm_agent_free(NULL);
    {   /* every field's name and option is distinct from every other's, so that a name or an option given to the
         * by-name accessors (config.c's find, the first match in the table) means one field */
        size_t i, j, n = nm_config_field_count(), same = 0;
        for (i = 0; i < n; i++)
            for (j = 0; j < n; j++) {
                const nm_config_field *f = nm_config_field_at(i), *g = nm_config_field_at(j);
                if (i == j) continue;
                same += strcmp(f->name, g->name) == 0 || (f->option[0] && strcmp(f->option, g->name) == 0) ||
                        (f->option[0] && g->option[0] && strcmp(f->option, g->option) == 0);
            }
        CHECK(n > 0 && same == 0, "config fields' names and options are distinct (%lu clash)", (unsigned long)same);
    }
}

static void test_rng(void)
{
    nm_rng a, b;
    int64_t v, lo = 100, hi = -100;
    int i, counts[3] = { 0, 0, 0 };
    double s = 0, s2 = 0;
    nm_rng_seed(&a, 42); nm_rng_seed(&b, 42);
    for (i = 0; i < 1000; i++) if (nm_rng_next(&a) != nm_rng_next(&b)) break;
    CHECK(i == 1000, "same seed, same stream");
    for (i = 0; i < 30000; i++) {
        nm_rng_range(&a, -1, 1, &v);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        counts[v + 1]++;
    }
    CHECK(lo == -1 && hi == 1, "range bounds %lld..%lld", (long long)lo, (long long)hi);
    CHECK(abs(counts[0] - 10000) < 500 && abs(counts[2] - 10000) < 500, "range uniform");
    CHECK(nm_rng_range(&a, 2, 1, &v) == NM_ERR_ARG, "empty range refused");
    /* NULL is refused, never dereferenced */
    nm_rng_seed(NULL, 1);
    nm_agent_config_default(NULL);
    CHECK(nm_rng_next(NULL) == 0 && nm_rng_uniform(NULL) == 0.0 && nm_rng_normal(NULL, 3.0, 1.0) == 3.0,
          "NULL rng: zero draws");
    CHECK(nm_rng_range(NULL, 0, 1, &v) == NM_ERR_ARG && nm_rng_range(&a, 0, 1, NULL) == NM_ERR_ARG,
          "NULL rng or out refused");
    for (i = 0; i < 100000; i++) { double x = nm_rng_normal(&a, 1.0, 2.0); s += x; s2 += x * x; }
    s /= 100000; s2 = s2 / 100000 - s * s;
    CHECK(fabs(s - 1.0) < 0.03 && fabs(sqrt(s2) - 2.0) < 0.03, "normal mean %g sd %g", s, sqrt(s2));
}

/* f(theta) = w1 log pi(a|x) + w2 V(x), evaluated in double from the float network. */
static double objective(nm_agent *a, const float *x, size_t n, int act, float w1, float w2)
{
    float probs[8], v;
    nm_agent_evaluate(a, x, n, probs, &v);
    return w1 * log((double)probs[act]) + w2 * (double)v;
}

static void gradcheck(nm_activation f, size_t l1, size_t l2)
{
    nm_agent *a = make(4, 3, l1, l2, 7, f);
    const float x[4] = { 0.5f, -1.0f, 0.25f, 1.5f };
    size_t P = nm_agent_param_count(a), T = nm_agent_tensor_count(a), t, i;
    float *g = malloc(P * sizeof *g), *theta = nm_agent_params(a);
    int act = 2;
    /* larger head weights than the init, so the policy is not flat and every term is exercised */
    for (i = 0; i < P; i++) theta[i] *= 3.0f;
    nm_agent_gradient(a, x, 4, act, 1.0f, 0.7f, g);
    for (t = 0; t < T; t++) {
        nm_tensor_info info = { NULL, 0, 0, 0 };
        size_t bad = 0, n;
        double worst = 0;
        nm_agent_tensor(a, t, &info);
        n = info.rows * info.cols;
        if (strncmp(info.name, "predictor", 9) == 0) continue; /* predictor and predictor_var */ /* not part of pi or V */
        for (i = 0; i < n; i++) {
            size_t k = info.offset + i;
            float old = theta[k], h = 1e-2f;
            double fp, fm, fd, err;
            theta[k] = old + h; fp = objective(a, x, 4, act, 1.0f, 0.7f);
            theta[k] = old - h; fm = objective(a, x, 4, act, 1.0f, 0.7f);
            theta[k] = old;
            fd = (fp - fm) / (2.0 * h);
            err = fabs(fd - g[k]) / (1e-3 + fabs(fd) + fabs(g[k]));
            if (err > worst) worst = err;
            if (err > 1e-2) bad++;
        }
        CHECK(bad == 0, "%s gradient (%s, %lu-%lu): %lu of %lu entries off, worst relative error %g",
              info.name, f == NM_TANH ? "tanh" : "relu", (unsigned long)l1, (unsigned long)l2,
              (unsigned long)bad, (unsigned long)n, worst);
    }
    free(g);
    nm_agent_free(a);
}

/* A contextual bandit: obs one-hot of 3 contexts, the rewarded action is the context's index. */
static double run_bandit(nm_agent *a, nm_rng *env, int steps)
{
    int t, correct = 0, act;
    for (t = 0; t < steps; t++) {
        int64_t ctx;
        float x[3] = { 0, 0, 0 };
        nm_rng_range(env, 0, 2, &ctx);
        x[ctx] = 1.0f;
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, act == ctx ? 1.0f : 0.0f, NULL, 0, 1);
        if (t >= steps - 200 && act == ctx) correct++;
    }
    return correct / 200.0;
}

static void test_learning(void)
{
    nm_agent *a = make(3, 3, 16, 0, 3, NM_TANH);
    nm_rng env;
    double acc;
    nm_rng_seed(&env, 11);
    acc = run_bandit(a, &env, 3000);
    CHECK(acc > 0.9, "contextual bandit learned: %.2f correct over the last 200", acc);
    nm_agent_free(a);
}

static void test_errors(void)
{
    nm_agent *a = make(3, 2, 8, 0, 1, NM_TANH);
    float x[3] = { 0, 1, 0 }, bad[3] = { 0, NAN, 0 };
    int act;
    CHECK(nm_agent_learn(a, 1.0f, x, 3, 0) == NM_ERR_STATE, "learn before act");
    CHECK(strstr(nm_agent_error(a), "without a preceding act") != NULL, "msg: %s", nm_agent_error(a));
    CHECK(nm_agent_act(a, x, 2, &act) == NM_ERR_ARG && strstr(nm_agent_error(a), "obs has 2 values, expected 3"),
          "short obs: %s", nm_agent_error(a));
    CHECK(nm_agent_act(a, bad, 3, &act) == NM_ERR_ARG && strstr(nm_agent_error(a), "obs[2] is NaN"),
          "NaN obs: %s", nm_agent_error(a));
    CHECK(nm_agent_act(a, NULL, 3, &act) == NM_ERR_ARG, "NULL obs");
    CHECK(nm_agent_act(a, x, 3, &act) == NM_OK && (act == 0 || act == 1), "act");
    CHECK(nm_agent_learn(a, INFINITY, x, 3, 0) == NM_ERR_ARG && strstr(nm_agent_error(a), "reward"), "inf reward");
    CHECK(nm_agent_learn(a, 0.0f, NULL, 0, 0) == NM_ERR_ARG && strstr(nm_agent_error(a), "next_obs"),
          "missing next_obs: %s", nm_agent_error(a));
    {
        nm_status st = nm_agent_learn(a, 3e38f, x, 3, 0);
        size_t i, P = nm_agent_param_count(a);
        const float *p = nm_agent_params(a);
        int finite = 1;
        for (i = 0; i < P; i++) finite &= isfinite(p[i]) != 0;
        CHECK((st == NM_OK || st == NM_ERR_NUMERIC) && finite, "a huge reward leaves every weight finite");
    }
    nm_agent_free(a);
}

/* Runs `steps` steps of the bandit, recording actions. */
static void trajectory(nm_agent *a, nm_rng *env, int steps, int *acts)
{
    int t;
    for (t = 0; t < steps; t++) {
        int64_t ctx;
        float x[3] = { 0, 0, 0 };
        nm_rng_range(env, 0, 2, &ctx);
        x[ctx] = 1.0f;
        nm_agent_act(a, x, 3, &acts[t]);
        x[(ctx + 1) % 3] = 0.5f;
        nm_agent_learn(a, acts[t] == ctx ? 1.0f : -0.5f, x, 3, t % 5 == 4);
    }
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    long n;
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fclose(f);
    return n;
}

/* The checkpoints' CRC-32 (slicing by 8) against its bit-by-bit definition: zlib's check value, every length up
 * to 80 at every alignment up to 8, a buffer split into chunks, and 100 KB of pseudo-random bytes */
static uint32_t crc_bitwise(uint32_t crc, const unsigned char *p, size_t len)
{
    int k;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void test_crc32(void)
{
    extern uint32_t nm_crc32(uint32_t, const void *, size_t);
    enum { BIG = 100000 };
    unsigned char *buf = malloc(BIG + 8);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t len, off, i, cut, bad = 0;
    if (!buf) { CHECK(0, "crc32: no memory"); return; }
    for (i = 0; i < BIG + 8; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = (unsigned char)(x >> 32);
    }
    CHECK(nm_crc32(0, "123456789", 9) == 0xCBF43926u, "crc32 of 123456789 is zlib's check value");
    for (len = 0; len <= 80; len++)
        for (off = 0; off < 8; off++)
            bad += nm_crc32(0, buf + off, len) != crc_bitwise(0, buf + off, len);
    CHECK(bad == 0, "crc32 equals the bitwise definition at every length 0-80 and alignment 0-7 (%lu differ)",
          (unsigned long)bad);
    for (cut = 0, bad = 0; cut <= 40; cut++)
        bad += nm_crc32(nm_crc32(0, buf, cut), buf + cut, 100 - cut) != crc_bitwise(0, buf, 100);
    CHECK(bad == 0, "crc32 continues across chunks (%lu differ)", (unsigned long)bad);
    CHECK(nm_crc32(0, buf + 3, BIG) == crc_bitwise(0, buf + 3, BIG), "crc32 of 100 KB equals the bitwise one");
    free(buf);
}

static void test_checkpoint(void)
{
    const char *path = "build/test/ckpt.nmck";
    nm_agent *a = make(3, 3, 12, 6, 5, NM_TANH), *b = make(3, 3, 12, 6, 5, NM_TANH), *c = NULL;
    nm_rng ea, eb;
    int acts_a[400], acts_b[400], i, same = 1;
    char msg[256];
    unsigned char *buf;
    long n;
    FILE *f;
    nm_rng_seed(&ea, 9); nm_rng_seed(&eb, 9);
    trajectory(a, &ea, 300, acts_a);
    trajectory(b, &eb, 300, acts_b);
    CHECK(nm_agent_save(b, path) == NM_OK, "save: %s", nm_agent_error(b));
    nm_agent_free(b);
    CHECK(nm_agent_load(path, &c, msg, sizeof msg) == NM_OK && c, "load: %s", msg);
    if (!c) return;
    CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(c), "state hash survives save/load");
    trajectory(a, &ea, 400, acts_a);
    trajectory(c, &eb, 400, acts_b);
    for (i = 0; i < 400; i++) same &= acts_a[i] == acts_b[i];
    CHECK(same, "loaded agent continues with the same actions");
    CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(c), "and the same state");
    nm_agent_free(c); c = NULL;

    /* damaged files */
    n = file_size(path);
    buf = malloc((size_t)n);
    f = fopen(path, "rb"); CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n, "read back"); fclose(f);
    CHECK(nm_agent_load_buffer(buf, 0, &c, msg, sizeof msg) == NM_ERR_FORMAT && strstr(msg, "empty"), "empty: %s", msg);
    CHECK(nm_agent_load_buffer(buf, (size_t)n / 2, &c, msg, sizeof msg) == NM_ERR_FORMAT && strstr(msg, "truncated"),
          "truncated: %s", msg);
    CHECK(nm_agent_load_buffer("hello world, not a checkpoint", 29, &c, msg, sizeof msg) == NM_ERR_FORMAT &&
          strstr(msg, "magic"), "foreign: %s", msg);
    {
        long k;
        int refused = 1;
        for (k = 0; k < n; k += 7) {  /* a bit flip anywhere is refused */
            buf[k] ^= 0x10;
            if (nm_agent_load_buffer(buf, (size_t)n, &c, msg, sizeof msg) == NM_OK) { refused = 0; nm_agent_free(c); c = NULL; }
            buf[k] ^= 0x10;
        }
        CHECK(refused, "every bit flip refused");
    }
    buf[8] = 99; /* version, with a fixed checksum: still refused as a version mismatch */
    {
        uint32_t crc;
        extern uint32_t nm_crc32(uint32_t, const void *, size_t);
        crc = nm_crc32(0, buf, (size_t)n - 4);
        buf[n - 4] = crc & 255; buf[n - 3] = (crc >> 8) & 255; buf[n - 2] = (crc >> 16) & 255; buf[n - 1] = crc >> 24;
        CHECK(nm_agent_load_buffer(buf, (size_t)n, &c, msg, sizeof msg) == NM_ERR_VERSION, "version: %s", msg);
    }
    free(buf);
    /* a failed save leaves the earlier file intact */
    c = make(3, 3, 12, 6, 5, NM_TANH);
    CHECK(nm_agent_save(c, "build/test/no-such-dir/x.nmck") == NM_ERR_IO, "save into a missing directory fails");
    CHECK(strstr(nm_agent_error(c), "no-such-dir") != NULL, "message names the path: %s", nm_agent_error(c));
    CHECK(file_size(path) == n, "earlier checkpoint untouched");
    nm_agent_free(c); c = NULL;
    CHECK(nm_agent_load("build/test/missing.nmck", &c, msg, sizeof msg) == NM_ERR_IO && strstr(msg, "missing.nmck"),
          "missing file: %s", msg);
    nm_agent_free(a);
}

static void test_determinism(void)
{
    nm_agent *a = make(3, 3, 10, 0, 77, NM_RELU), *b = make(3, 3, 10, 0, 77, NM_RELU);
    nm_rng ea, eb;
    int acts_a[500], acts_b[500];
    nm_rng_seed(&ea, 1); nm_rng_seed(&eb, 1);
    trajectory(a, &ea, 500, acts_a);
    trajectory(b, &eb, 500, acts_b);
    CHECK(memcmp(acts_a, acts_b, sizeof acts_a) == 0 && nm_agent_state_hash(a) == nm_agent_state_hash(b),
          "same seed, same trajectory");
    nm_agent_free(a);
    nm_agent_free(b);
}

/* Saves *b to buf, frees it and loads it back into *b: the agent continues from its checkpoint alone.
 * Returns 0 if the checkpoint did not load (*b is then NULL). */
static int reload(nm_agent **b, unsigned char *buf, size_t size)
{
    nm_agent *fresh = NULL;
    nm_agent_save_buffer(*b, buf, size);
    nm_agent_free(*b);
    *b = NULL;
    if (nm_agent_load_buffer(buf, size, &fresh, NULL, 0) != NM_OK) return 0;
    *b = fresh;
    return 1;
}

/* learn skips the exact trace norm when a running bound shows the update clip cannot act. An agent that is
 * saved and reloaded after every step never has a bound (a loaded trace's is unknown) and always takes the
 * exact norm; the two must stay bit-identical, with the clip acting often (small max_update), rarely
 * (the default) and with a long trace (decay near 1), on a continuing task where the trace never resets. */
static void test_trace_bound(void)
{
    static const struct { size_t n_obs, l1, l2; nm_activation f; float max_update, trace_decay; } cases[] = {
        { 3, 16, 0, NM_TANH, 1.0f, 0.5f }, { 5, 32, 16, NM_RELU, 0.05f, 0.5f }, { 4, 8, 0, NM_TANH, 0.01f, 0.99f }
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        nm_agent_config c;
        nm_agent *a, *b;
        nm_rng env;
        size_t size;
        unsigned char *buf;
        int t, same = 1;
        nm_agent_config_default(&c);
        c.n_obs = cases[k].n_obs; c.n_actions = 3; c.seed = 5 + k; c.activation = cases[k].f;
        c.n_layers = cases[k].l2 ? 2 : 1; c.hidden[0] = cases[k].l1; c.hidden[1] = cases[k].l2;
        c.max_update = cases[k].max_update; c.base[NM_P_TRACE_DECAY] = cases[k].trace_decay;
        nm_agent_new(&c, &a, NULL, 0);
        nm_agent_new(&c, &b, NULL, 0);
        size = nm_agent_checkpoint_size(b);
        buf = malloc(size);
        nm_rng_seed(&env, 9);
        for (t = 0; t < 2000 && same; t++) {
            float x[5];
            int aa, ab;
            size_t i;
            for (i = 0; i < cases[k].n_obs; i++) x[i] = (float)(2.0 * nm_rng_uniform(&env) - 1.0);
            nm_agent_act(a, x, cases[k].n_obs, &aa);
            nm_agent_act(b, x, cases[k].n_obs, &ab);
            {
                float r = (float)(4.0 * nm_rng_uniform(&env) - 2.0) + (aa == 1 ? 1.0f : 0.0f);
                nm_agent_learn(a, r, x, cases[k].n_obs, 0);
                nm_agent_learn(b, r, x, cases[k].n_obs, 0);
            }
            if (!reload(&b, buf, size)) { same = 0; break; }
            same = aa == ab && nm_agent_state_hash(a) == nm_agent_state_hash(b);
        }
        CHECK(same, "case %lu: the trace-norm bound changes nothing (diverged at step %d)", (unsigned long)k, t);
        free(buf);
        nm_agent_free(a);
        nm_agent_free(b);
    }
}

/* The fixed task of c/test/fixtures/format2.nmck: 3 uniform inputs, reward for acting on the sign of x0. */
static int format2_step(nm_agent *a, nm_rng *env, int t)
{
    float x[3];
    int act = 0, i;   /* set by act; 0 keeps a refused act defined */
    for (i = 0; i < 3; i++) x[i] = (float)(2.0 * nm_rng_uniform(env) - 1.0);
    nm_agent_act(a, x, 3, &act);
    nm_agent_learn(a, (act == (x[0] > 0)) ? 1.0f : -0.5f, x, 3, t % 25 == 24);
    return act;
}

/* A format-2 checkpoint (written by the library before na_input existed: 3 inputs, 8 tanh units, seed 11,
 * 500 steps of format2_step from task seed 12) loads into the state this library reaches on the same 500 steps,
 * and both continue identically. */
static void test_format2(void)
{
    nm_agent *old = NULL, *fresh = NULL;
    nm_agent_config c;
    nm_rng e1, e2;
    nm_modulator_state m1, m2;
    char msg[256];
    int t, same = 1;
    nm_status st = nm_agent_load("c/test/fixtures/format2.nmck", &old, msg, sizeof msg);
    CHECK(st == NM_OK, "format-2 checkpoint loads (%s)", msg);
    if (st != NM_OK) return;
    CHECK(nm_agent_get_config(old)->na_input == NM_NA_SURPRISE, "a format-2 agent has the surprise input");
    nm_agent_config_default(&c);
    nm_agent_config_continual(&c, 0);   /* format 2 predates continual learning: its agent is the plain one */
    c.n_obs = 3; c.n_actions = 2; c.hidden[0] = 8; c.seed = 11;
    nm_agent_new(&c, &fresh, NULL, 0);
    nm_rng_seed(&e1, 12);
    for (t = 0; t < 500; t++) format2_step(fresh, &e1, t);
    CHECK(nm_agent_param_count(old) == nm_agent_param_count(fresh) &&
          memcmp(nm_agent_params(old), nm_agent_params(fresh), nm_agent_param_count(old) * sizeof(float)) == 0,
          "format-2 weights are the ones this library learns");
    memset(&m1, 0, sizeof m1);   /* the struct has padding before steps */
    memset(&m2, 0, sizeof m2);
    nm_agent_get_modulators(old, &m1);
    nm_agent_get_modulators(fresh, &m2);
    CHECK(memcmp(&m1, &m2, sizeof m1) == 0, "format-2 modulator state is the one this library reaches");
    e2 = e1;
    for (t = 500; t < 800 && same; t++) same = format2_step(old, &e1, t) == format2_step(fresh, &e2, t);
    CHECK(same && nm_agent_state_hash(old) == nm_agent_state_hash(fresh), "a format-2 agent continues identically");
    nm_agent_free(old);
    nm_agent_free(fresh);
}

/* The Go/No-Go task of c/test/fixtures/format3.nmck: four one-hot cues and a noisy fifth input; cues 1 and 2
 * are Go (acting, action 1, earns +1), cues 3 and 4 No-Go (acting costs -1); withholding earns 0. The rule
 * reverses at step 600; learn sees the same input as next state, terminal every fourth step. The config has
 * two layers, consolidation (anchor), the attentional set, gain focus and the change-point input, so that
 * every part of the state is in the file. */
static void gng_config(nm_agent_config *c)
{
    nm_agent_config_default(c);
    nm_agent_config_continual(c, 0);   /* the fixture's writer: the agent before continual learning was the default */
    c->n_obs = 5; c->n_actions = 2; c->n_layers = 2; c->hidden[0] = 8; c->hidden[1] = 6; c->seed = 31;
    c->base[NM_P_CONSOLIDATION] = 0.01f; c->attention_set = 50.0f; c->gain_focus = 2.0f;
    c->na_input = NM_NA_CHANGEPOINT;
}
static void gng_cue(nm_rng *env, float x[5])
{
    int cue = (int)(4.0 * nm_rng_uniform(env)), i;
    for (i = 0; i < 4; i++) x[i] = i == cue ? 1.0f : 0.0f;
    x[4] = (float)(nm_rng_uniform(env) - 0.5);
}
static float gng_reward(const float x[5], int act, int t)
{
    int go = x[0] > 0.5f || x[1] > 0.5f;
    if (t >= 600) go = !go;
    return act == 1 ? (go ? 1.0f : -1.0f) : 0.0f;
}
/* Steps t0 .. t1-1 of the task; acts_hash folds the actions in (FNV-1a over the action values). */
static void gng_run(nm_agent *a, nm_rng *env, int t0, int t1, uint64_t *acts_hash)
{
    float x[5];
    int t, act;
    for (t = t0; t < t1; t++) {
        gng_cue(env, x);
        nm_agent_act(a, x, 5, &act);
        *acts_hash = (*acts_hash ^ (uint64_t)act) * 0x100000001B3ull;
        nm_agent_learn(a, gng_reward(x, act, t), x, 5, t % 4 == 3);
    }
}

/* A format-3 checkpoint, written by the library of format 3 between the act and the learn of step 700 (gng_config,
 * steps 0..699 from task seed 32, then the act of step 700 with cue from the same stream). The numbers below
 * were printed by that library's writer itself, continuing after its save: state hash at the save, and the
 * actions of steps 701..999 and the state hash after them. The loaded agent must reproduce them, and so must
 * an agent of this library that never was saved. */
static void test_format3(void)
{
    const uint64_t hash_at_save = 0xa720dca28ddb785cull, acts_after = 0x4a73759d8f9b655bull,
                   hash_after = 0x81421b983a1d7e22ull;
    nm_agent *old = NULL, *fresh = NULL, *re = NULL;
    nm_agent_config c;
    nm_rng env, env2, env3;
    unsigned char *buf;
    size_t n;
    float x[5];
    int act;
    uint64_t h_old = 0xCBF29CE484222325ull, h_fresh = h_old, h_re = h_old, ignore = 0;
    char msg[256];
    nm_status st = nm_agent_load("c/test/fixtures/format3.nmck", &old, msg, sizeof msg);
    CHECK(st == NM_OK, "format-3 checkpoint loads (%s)", msg);
    if (st != NM_OK) return;
    CHECK(nm_agent_state_hash(old) == hash_at_save, "format-3 state hash is the writer's (%016llx)",
          (unsigned long long)nm_agent_state_hash(old));
    /* saved again (format 4) before its pending learn: the observation kept for it is one whose forward pass
     * is the file's, so the re-saved agent continues exactly too */
    n = nm_agent_checkpoint_size(old);
    buf = malloc(n);
    CHECK(nm_agent_save_buffer(old, buf, n) == NM_OK && nm_agent_load_buffer(buf, n, &re, msg, sizeof msg) == NM_OK,
          "a loaded format-3 agent saves and loads as format 4: %s", msg);
    free(buf);
    if (!re) { nm_agent_free(old); return; }
    CHECK(memcmp(old->block + old->off_cache, re->block + re->off_cache, old->cl.size * sizeof(float)) == 0,
          "and its pending forward pass is the format-3 file's, bit for bit");
    gng_config(&c);
    nm_agent_new(&c, &fresh, NULL, 0);
    nm_rng_seed(&env, 32);
    gng_run(fresh, &env, 0, 700, &ignore);
    gng_cue(&env, x);
    nm_agent_act(fresh, x, 5, &act);
    CHECK(act == 0 && nm_agent_state_hash(fresh) == hash_at_save, "this library reaches the writer's state");
    env2 = env;
    env3 = env;
    /* the pending step's learn, from the saved forward pass */
    CHECK(nm_agent_learn(old, gng_reward(x, act, 700), x, 5, 0) == NM_OK, "the pending learn runs: %s",
          nm_agent_error(old));
    nm_agent_learn(fresh, gng_reward(x, act, 700), x, 5, 0);
    nm_agent_learn(re, gng_reward(x, act, 700), x, 5, 0);
    gng_run(re, &env3, 701, 1000, &h_re);
    CHECK(h_re == acts_after && nm_agent_state_hash(re) == hash_after, "and so does it after a format-4 round trip");
    gng_run(old, &env, 701, 1000, &h_old);
    gng_run(fresh, &env2, 701, 1000, &h_fresh);
    CHECK(h_old == acts_after && nm_agent_state_hash(old) == hash_after,
          "a format-3 agent continues as its writer did (actions %016llx, state %016llx)", (unsigned long long)h_old,
          (unsigned long long)nm_agent_state_hash(old));
    CHECK(h_fresh == acts_after && nm_agent_state_hash(fresh) == hash_after, "and as this library's agent does");
    nm_agent_free(old);
    nm_agent_free(fresh);
    nm_agent_free(re);
}

/* Rewrites the last four bytes of a checkpoint with the CRC-32 of the rest, so that an edit reaches the parser. */
static void fix_crc(unsigned char *buf, size_t n)
{
    extern uint32_t nm_crc32(uint32_t, const void *, size_t);
    uint32_t crc = nm_crc32(0, buf, n - 4);
    buf[n - 4] = crc & 255; buf[n - 3] = (crc >> 8) & 255; buf[n - 2] = (crc >> 16) & 255; buf[n - 1] = crc >> 24;
}

/* Offset of the section tagged tag in a format-4 checkpoint (its header), or 0 if absent. */
static size_t find_section(const unsigned char *buf, size_t n, const char *tag)
{
    size_t p = 20;
    while (p + 12 <= n - 4) {
        uint64_t len = 0;
        int i;
        if (memcmp(buf + p, tag, 4) == 0) return p;
        for (i = 0; i < 8; i++) len |= (uint64_t)buf[p + 4 + i] << (8 * i);
        p += 12 + (size_t)len;
    }
    return 0;
}

static void put_u64_at(unsigned char *p, uint64_t v) { int i; for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }

/* The same inputs to two agents, step by step (act, then learn; episodes of 7): 1 if their actions and hashes stay
 * equal for `steps` steps */
static int continue_together(nm_agent *a, nm_agent *b, int steps)
{
    int t, x, y;
    for (t = 0; t < steps; t++) {
        float o[3] = { (float)(t % 3 == 0), (float)(t % 3 == 1), 0.5f }, n[3] = { 0.0f, (float)(t % 2), 1.0f };
        nm_status s1 = nm_agent_learn(a, (t % 4) == 1 ? 1.0f : 0.0f, n, 3, t % 7 == 6),
                  s2 = nm_agent_learn(b, (t % 4) == 1 ? 1.0f : 0.0f, n, 3, t % 7 == 6);
        if (s1 != s2) return 0;
        if (nm_agent_act(a, o, 3, &x) != NM_OK || nm_agent_act(b, o, 3, &y) != NM_OK || x != y) return 0;
        if (nm_agent_state_hash(a) != nm_agent_state_hash(b)) return 0;
    }
    return 1;
}

/* A checkpoint taken between an act and its learn continues exactly even when a context was announced in between
 * (the new context's gate changes the gain the act's forward pass read, so the load cannot redo that pass: PFWD
 * holds it); a file without PFWD (the writers before) redoes the pass, exact where no context was announced; PFWD
 * without a pending act, or with a non-finite value, is refused by name. Dense and recurrent trunks. */
static void test_pending_forward(void)
{
    int rec;
    for (rec = 0; rec < 2; rec++) {
        nm_agent_config c;
        nm_agent *a = NULL, *b = NULL;
        unsigned char *buf, *old;
        size_t n, sec, len, i;
        char msg[256];
        int t, act;
        nm_agent_config_default(&c);   /* the default agent: gating, so a context has a gate of its own */
        c.n_obs = 3; c.n_actions = 2; c.hidden[0] = 8; c.seed = 11;
        if (rec) { c.layer_kind[0] = NM_LAYER_RECURRENT; c.layer_tau[0] = 2.0f; }
        if (nm_agent_new(&c, &a, msg, sizeof msg) != NM_OK) { CHECK(0, "pending forward: %s", msg); return; }
        for (t = 0; t < 120; t++) {
            float x[3] = { (float)(t % 3 == 0), (float)(t % 3 == 1), 0.25f };
            nm_agent_act(a, x, 3, &act);
            if (t < 119) nm_agent_learn(a, act == (t % 2) ? 1.0f : 0.0f, x, 3, t % 9 == 8);
        }
        /* without a context switch: the file with PFWD and the file without it both continue exactly */
        n = nm_agent_checkpoint_size(a);
        buf = malloc(n);
        CHECK(nm_agent_save_buffer(a, buf, n) == NM_OK, "pending forward: save: %s", nm_agent_error(a));
        sec = find_section(buf, n, "PFWD");
        CHECK(sec != 0, "pending forward (%s): a pending act's file holds PFWD", rec ? "recurrent" : "dense");
        if (!sec) sec = n - 4 - 12;   /* (none: the rest is still checked, on a file cut short here) */
        len = 0;
        for (i = 0; i < 8; i++) len |= (size_t)buf[sec + 4 + i] << (8 * i);
        old = malloc(n);
        memcpy(old, buf, sec);
        memcpy(old + sec, buf + sec + 12 + len, n - sec - 12 - len);
        put_u64_at(old + 12, n - 12 - len);
        fix_crc(old, n - 12 - len);
        {
            nm_agent *x = NULL, *y = NULL;
            CHECK(nm_agent_load_buffer(buf, n, &x, msg, sizeof msg) == NM_OK &&
                  nm_agent_load_buffer(old, n - 12 - len, &y, msg, sizeof msg) == NM_OK,
                  "pending forward: loads with and without PFWD: %s", msg);
            CHECK(x && y && continue_together(x, y, 100), "pending forward (%s): without a context switch the file "
                  "without PFWD redoes the same forward pass", rec ? "recurrent" : "dense");
            nm_agent_free(x); nm_agent_free(y);
        }
        free(old);
        /* a context announced between act and learn, then the checkpoint: the copy continues as the agent does */
        CHECK(nm_agent_set_context(a, 5) == NM_OK, "pending forward: context");
        free(buf);
        n = nm_agent_checkpoint_size(a);
        buf = malloc(n);
        nm_agent_save_buffer(a, buf, n);
        CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_OK && b, "pending forward: load: %s", msg);
        /* and an act refused in between (an observation the weights overflow on) leaves the pending act's cache as
         * it was, not redone under the new context's gain */
        {
            float huge[3] = { 3e38f, -3e38f, 3e38f };
            CHECK(nm_agent_act(a, huge, 3, &act) == NM_ERR_NUMERIC, "pending forward: the huge act is refused: %s",
                  nm_agent_error(a));
        }
        CHECK(b && continue_together(a, b, 200), "pending forward (%s): a checkpoint after a context announced "
              "between act and learn continues exactly, and so does the agent after a refused act",
              rec ? "recurrent" : "dense");
        nm_agent_free(b); b = NULL;
        /* damage: a non-finite value in PFWD; PFWD with PEND saying no act is pending */
        if (!(sec = find_section(buf, n, "PFWD"))) { free(buf); nm_agent_free(a); continue; }
        buf[sec + 12 + 3] = 0x7f; buf[sec + 12 + 2] = 0xc0;   /* the first float: NaN */
        fix_crc(buf, n);
        CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b && strstr(msg, "PFWD"),
              "pending forward: a NaN in PFWD is refused: %s", msg);
        nm_agent_free(b); b = NULL;
        free(buf);
        n = nm_agent_checkpoint_size(a);   /* a stepped beside its copy, and its last act is pending */
        buf = malloc(n);
        nm_agent_save_buffer(a, buf, n);
        sec = find_section(buf, n, "PEND");
        memset(buf + sec + 12, 0, 8);      /* pending 0, action 0 */
        fix_crc(buf, n);
        CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b &&
              strstr(msg, "PFWD") && strstr(msg, "no pending act"), "pending forward: PFWD without a pending act "
              "is refused: %s", msg);
        nm_agent_free(b);
        free(buf);
        nm_agent_free(a);
    }
}

/* CTAB holds the outcome tables of the context slots in use only; a file with all NM_MAX_CONTEXTS slots (the
 * writers before) still loads, and one whose unused slots are not empty, or that holds fewer slots than CONT's
 * context count, is refused by name. */
static void test_ctab_slots(void)
{
    nm_agent_config c;
    nm_agent *a = NULL, *b = NULL;
    unsigned char *buf, *big;
    size_t n, m, sec, len, per, pad;
    char msg[256];
    int t, act;
    float x[3];
    nm_agent_config_default(&c);   /* the default agent: boundary_trigger evidence_table */
    c.n_obs = 3; c.n_actions = 2; c.hidden[0] = 4; c.seed = 5;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_OK, "default agent: %s", msg);
    if (!a) return;
    for (t = 0; t < 600; t++) {
        if (t == 200) nm_agent_set_context(a, 7);   /* three contexts: 0, 7, 9 */
        if (t == 400) nm_agent_set_context(a, 9);
        x[0] = (float)(t % 3 == 0); x[1] = (float)(t % 3 == 1); x[2] = (float)(t % 3 == 2);
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, act == (t % 2) ? 1.0f : 0.0f, x, 3, 1);
    }
    n = nm_agent_checkpoint_size(a);
    buf = malloc(n);
    CHECK(nm_agent_save_buffer(a, buf, n) == NM_OK, "save: %s", nm_agent_error(a));
    sec = find_section(buf, n, "CTAB");
    per = a->n_tab / NM_MAX_CONTEXTS;
    len = 0;
    for (t = 0; t < 8; t++) len |= (size_t)buf[sec + 4 + t] << (8 * t);
    CHECK(sec != 0 && len == 3 * per * 4, "CTAB holds the three slots in use (%lu bytes, a slot %lu)",
          (unsigned long)len, (unsigned long)(per * 4));
    /* the older layout: every slot, the unused ones zero */
    pad = (NM_MAX_CONTEXTS - 3) * per * 4;
    m = n + pad;
    big = calloc(1, m);
    memcpy(big, buf, sec + 12 + len);
    memcpy(big + sec + 12 + len + pad, buf + sec + 12 + len, n - sec - 12 - len);
    put_u64_at(big + sec + 4, len + pad);
    put_u64_at(big + 12, m);
    fix_crc(big, m);
    CHECK(nm_agent_load_buffer(big, m, &b, msg, sizeof msg) == NM_OK && b &&
          nm_agent_state_hash(b) == nm_agent_state_hash(a), "a CTAB of every slot loads, the same agent: %s", msg);
    nm_agent_free(b); b = NULL;
    big[sec + 12 + len + 4 * per + 8] = 0x3f;   /* a float in slot 4's table: not zero */
    fix_crc(big, m);
    CHECK(nm_agent_load_buffer(big, m, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b &&
          strstr(msg, "unused context slot"), "a filled unused slot is refused: %s", msg);
    /* two slots where CONT counts three */
    memcpy(big, buf, sec + 12);
    memcpy(big + sec + 12, buf + sec + 12, 2 * per * 4);
    memcpy(big + sec + 12 + 2 * per * 4, buf + sec + 12 + len, n - sec - 12 - len);
    put_u64_at(big + sec + 4, 2 * per * 4);
    put_u64_at(big + 12, n - per * 4);
    fix_crc(big, n - per * 4);
    CHECK(nm_agent_load_buffer(big, n - per * 4, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b &&
          strstr(msg, "holds 2 context tables, 'CONT' counts 3"), "too few tables are refused: %s", msg);
    /* a length that is not a whole number of slots */
    memcpy(big, buf, n);
    put_u64_at(big + sec + 4, len - 4);
    fix_crc(big, n);
    CHECK(nm_agent_load_buffer(big, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b && strstr(msg, "'CTAB'"),
          "a partial slot is refused: %s", msg);
    free(big);
    free(buf);
    nm_agent_free(a);
}

/* Format 4: tagged sections of persistent state only; the pending step's forward pass is redone on load,
 * bit for bit; unknown, missing, repeated and mis-sized sections are refused with a message naming them. */
static void test_format4(void)
{
    nm_agent_config c;
    nm_agent *a, *b = NULL;
    nm_rng env;
    unsigned char *buf, *bad;
    size_t n, p, k;
    uint64_t ignore = 0;
    float x[5];
    int act;
    char msg[256];
    static const char *const order[] = { "CONF", "PARM", "TRAC", "ANCH", "NEUR", "MODS", "RNG ", "STEP", "PEND" };

    gng_config(&c);
    nm_agent_new(&c, &a, NULL, 0);
    nm_rng_seed(&env, 32);
    gng_run(a, &env, 0, 300, &ignore);
    gng_cue(&env, x);
    nm_agent_act(a, x, 5, &act);
    n = nm_agent_checkpoint_size(a);
    buf = malloc(n);
    bad = malloc(n + 64);
    CHECK(nm_agent_save_buffer(a, buf, n) == NM_OK, "save: %s", nm_agent_error(a));
    CHECK(buf[8] == 4 && buf[12] == (n & 255) && buf[13] == ((n >> 8) & 255), "version 4, length field = file size");
    for (k = 0; k < sizeof order / sizeof order[0]; k++)
        CHECK(find_section(buf, n, order[k]) != 0, "section '%s' written", order[k]);
    /* only persistent state: params, traces, anchors, neuron state (2 x 14 units + 2 x 5 inputs), the config, and
     * the named modulator state, RNG, steps and pending step within 700 bytes */
    CHECK(n < 4 * (nm_agent_param_count(a) + 2 * a->n_traced + 38) + nm_config_section_size(&a->cfg) + 700,
          "no scratch or cache in the file (%lu bytes; params %lu, traced %lu, config %lu)", (unsigned long)n,
          (unsigned long)nm_agent_param_count(a), (unsigned long)a->n_traced,
          (unsigned long)nm_config_section_size(&a->cfg));
    CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_OK, "format 4 loads: %s", msg);
    if (b) {
        CHECK(memcmp(a->block + a->off_cache, b->block + b->off_cache, a->cl.size * sizeof(float)) == 0,
              "the pending step's forward pass is redone bit for bit");
        CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(b), "same state after load");
        nm_agent_learn(a, 1.0f, x, 5, 0);
        nm_agent_learn(b, 1.0f, x, 5, 0);
        CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(b), "the pending learn continues exactly");
        nm_agent_free(b); b = NULL;
    }

    /* an unknown tag, named */
    memcpy(bad, buf, n);
    memcpy(bad + find_section(bad, n, "STEP"), "ZZZ9", 4);
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b &&
          strstr(msg, "checkpoint section 'ZZZ9' is not known to this version of neuromod (written by a newer one?)"),
          "unknown section: %s", msg);
    /* a config field this version does not know, named: "model" renamed "modex" */
    memcpy(bad, buf, n);
    {
        unsigned char *q = bad + find_section(bad, n, "CONF");
        while (memcmp(q, "\x05model", 6) != 0) q++;
        memcpy(q + 1, "modex", 5);
    }
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && !b &&
          strstr(msg, "config field 'modex' is not known to this version of neuromod"), "unknown config field: %s", msg);
    /* a file that lacks a field loads it with its legacy value: drop gain_focus (the agent's is 2, legacy 0) */
    {
        size_t conf = find_section(buf, n, "CONF"), f = conf, flen, m;
        uint64_t clen = 0;
        uint32_t count;
        int i;
        while (memcmp(buf + f, "\x0again_focus", 11) != 0) f++;
        flen = 11 + 1 + 4 + 4;    /* name, kind, element count, one float */
        memcpy(bad, buf, f);
        memcpy(bad + f, buf + f + flen, n - f - flen);
        m = n - flen;
        for (i = 0; i < 8; i++) clen |= (uint64_t)bad[conf + 4 + i] << (8 * i);
        put_u64_at(bad + conf + 4, clen - flen);
        count = (uint32_t)bad[conf + 12] | (uint32_t)bad[conf + 13] << 8;
        bad[conf + 12] = (unsigned char)((count - 1) & 255); bad[conf + 13] = (unsigned char)((count - 1) >> 8);
        put_u64_at(bad + 12, m);
        fix_crc(bad, m);
        CHECK(nm_agent_load_buffer(bad, m, &b, msg, sizeof msg) == NM_OK && b &&
              nm_agent_get_config(b)->gain_focus == 0.0f, "a missing config field takes its legacy value: %s", msg);
        nm_agent_free(b); b = NULL;
    }
    /* a repeated one */
    memcpy(bad, buf, n);
    memcpy(bad + find_section(bad, n, "STEP"), "RNG ", 4);
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && strstr(msg, "'RNG ' appears twice"),
          "repeated section: %s", msg);
    /* a missing one: drop PEND (the last) and fix the length field */
    p = find_section(buf, n, "PEND");
    memcpy(bad, buf, p);
    put_u64_at(bad + 12, p + 4);
    fix_crc(bad, p + 4);
    CHECK(nm_agent_load_buffer(bad, p + 4, &b, msg, sizeof msg) == NM_ERR_FORMAT && strstr(msg, "'PEND' is missing"),
          "missing section: %s", msg);
    /* a section length beyond the file */
    memcpy(bad, buf, n);
    put_u64_at(bad + find_section(bad, n, "PARM") + 4, (uint64_t)1 << 40);
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT &&
          strstr(msg, "section 'PARM': length field too large"), "huge section: %s", msg);
    /* a config announcing more units than the file holds: refused before allocating */
    memcpy(bad, buf, n);
    {   /* hidden[0]: after the field's name length, name "hidden", kind and element count */
        unsigned char *conf = bad + find_section(bad, n, "CONF");
        unsigned char *h = conf;
        while (memcmp(h, "\x06hidden", 7) != 0) h++;
        put_u64_at(h + 7 + 1 + 4, 4000);
    }
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT &&
          strstr(msg, "section 'PARM': length field says"), "config larger than the file: %s", msg);
    /* the header's length field */
    memcpy(bad, buf, n);
    put_u64_at(bad + 12, (uint64_t)n + 100);
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && strstr(msg, "truncated") &&
          strstr(msg, "length field"), "length field: %s", msg);
    /* an unknown modulator field */
    memcpy(bad, buf, n);
    p = find_section(bad, n, "MODS") + 12 + 4;
    CHECK(bad[p] == 6 && memcmp(bad + p + 1, "phasic", 6) == 0, "MODS starts with the field 'phasic'");
    memcpy(bad + p + 1, "phaser", 6);
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT &&
          strstr(msg, "modulator field 'phaser' is not known"), "unknown modulator field: %s", msg);
    /* a non-finite observation of the pending step */
    memcpy(bad, buf, n);
    p = find_section(bad, n, "PEND") + 12 + 8;
    memset(bad + p, 0xff, 4);
    fix_crc(bad, n);
    CHECK(nm_agent_load_buffer(bad, n, &b, msg, sizeof msg) == NM_ERR_FORMAT && strstr(msg, "'PEND'"),
          "NaN observation: %s", msg);
    free(bad);
    free(buf);
    nm_agent_free(a);
}

/* NA's change-point input: its state (outlier rate, CUSUM) survives a checkpoint, so an agent saved and reloaded
 * after every step stays bit-identical to one that never was; and it is a different NA from the surprise input. */
static void test_changepoint(void)
{
    nm_agent_config c;
    nm_agent *a, *b, *s;
    nm_rng env;
    size_t size;
    unsigned char *buf;
    int t, same = 1, differs = 0;
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.hidden[0] = 8; c.seed = 21;
    nm_agent_new(&c, &s, NULL, 0);
    c.na_input = NM_NA_CHANGEPOINT;
    nm_agent_new(&c, &a, NULL, 0);
    nm_agent_new(&c, &b, NULL, 0);
    size = nm_agent_checkpoint_size(b);
    buf = malloc(size);
    nm_rng_seed(&env, 22);
    for (t = 0; t < 1500 && same; t++) {
        float x[3], r;
        int aa, ab, as, i;
        nm_modulator_state ma, ms;
        memset(&ma, 0, sizeof ma); memset(&ms, 0, sizeof ms);
        for (i = 0; i < 3; i++) x[i] = (float)(2.0 * nm_rng_uniform(&env) - 1.0);
        nm_agent_act(a, x, 3, &aa);
        nm_agent_act(b, x, 3, &ab);
        nm_agent_act(s, x, 3, &as);
        /* the rule flips at step 750, with 10% misleading outcomes throughout */
        r = (aa == ((x[0] > 0) != (t >= 750))) ? 1.0f : -1.0f;
        if (nm_rng_uniform(&env) < 0.1) r = -r;
        nm_agent_learn(a, r, x, 3, 1);
        nm_agent_learn(b, r, x, 3, 1);
        nm_agent_learn(s, r, x, 3, 1);
        nm_agent_get_modulators(a, &ma);
        nm_agent_get_modulators(s, &ms);
        differs |= ma.level[NM_NA] != ms.level[NM_NA];
        if (!reload(&b, buf, size)) { same = 0; break; }
        same = aa == ab && nm_agent_state_hash(a) == nm_agent_state_hash(b);
    }
    CHECK(same, "change-point state survives save and load (diverged at step %d)", t);
    CHECK(b && nm_agent_get_config(b)->na_input == NM_NA_CHANGEPOINT, "na_input survives save and load");
    CHECK(differs, "the change-point input gives a different NA from the surprise input");
    free(buf);
    nm_agent_free(a);
    nm_agent_free(b);
    nm_agent_free(s);
}

/* Every kernel set this CPU runs (simd.c) gives the same actions and the same state, bit for bit, as the
 * plain one: wide vectors only do the same IEEE operations on more elements. Shapes cover the narrow first
 * layer (1, 2 and 3 inputs, rows not a multiple of 4 or 16), wider layers, ReLU and two layers; the task is
 * continuing with rare terminals so traces grow long. */
static void test_kernel_sets(void)
{
    static const struct { size_t n_obs, l1, l2; nm_activation f; } cases[] = {
        { 3, 64, 0, NM_TANH }, { 3, 21, 0, NM_TANH }, { 2, 19, 0, NM_TANH }, { 1, 7, 0, NM_TANH },
        { 5, 32, 16, NM_RELU }, { 20, 33, 0, NM_TANH }
    };
    static const char *const sets[] = { "avx2", "avx512" };
    size_t k, s;
    int tested = 0;
    for (s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        const nm_kernels *wide = nm_kernels_find(sets[s]);
        if (!wide) { printf("kernel set %s: not supported by this CPU, not tested\n", sets[s]); continue; }
        tested++;
        for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            nm_agent *a = make(cases[k].n_obs, 3, cases[k].l1, cases[k].l2, 40 + k, cases[k].f);
            nm_agent *b = make(cases[k].n_obs, 3, cases[k].l1, cases[k].l2, 40 + k, cases[k].f);
            nm_rng env;
            int t, same = 1;
            a->kern = nm_kernels_find("generic");
            b->kern = wide;
            nm_rng_seed(&env, 3);
            for (t = 0; t < 3000 && same; t++) {
                float x[20], r;
                int aa, ab;
                size_t i;
                for (i = 0; i < cases[k].n_obs; i++) x[i] = (float)(2.0 * nm_rng_uniform(&env) - 1.0);
                nm_agent_act(a, x, cases[k].n_obs, &aa);
                nm_agent_act(b, x, cases[k].n_obs, &ab);
                r = (float)(2.0 * nm_rng_uniform(&env) - 1.0) + (aa == (int)(t % 3) ? 1.0f : 0.0f);
                nm_agent_learn(a, r, x, cases[k].n_obs, t % 200 == 199);
                nm_agent_learn(b, r, x, cases[k].n_obs, t % 200 == 199);
                same = aa == ab && nm_agent_state_hash(a) == nm_agent_state_hash(b);
            }
            CHECK(same, "kernel set %s, case %lu: same bits as the plain set (diverged at step %d)", sets[s],
                  (unsigned long)k, t);
            nm_agent_free(a);
            nm_agent_free(b);
        }
    }
    CHECK(nm_kernels_find("generic") != NULL && nm_kernels_find("no such set") == NULL &&
          nm_kernels_find(NULL) != NULL, "kernel sets are found by name, and the default exists");
    printf("kernel sets compared with the plain one: %d (default here: %s)\n", tested, nm_kernels_find(NULL)->name);
}

/* act and learn allocate nothing: glibc's heap statistics do not move over 20,000 steps. */
static void test_no_allocation(void)
{
    nm_agent *a = make(5, 3, 32, 16, 2, NM_TANH), *b;
    nm_agent_config cb;
    nm_agent_config_default(&cb);    /* and with the neuron-scale options on, which add per-unit and per-input work */
    cb.n_obs = 5; cb.n_actions = 3; cb.n_layers = 2; cb.hidden[0] = 32; cb.hidden[1] = 16; cb.seed = 3;
    cb.attention_set = 100.0f; cb.gain_focus = 1.0f; cb.na_input = NM_NA_CHANGEPOINT;
    /* and continual learning: importance, anchor, gates, context models, task-free boundaries */
    cb.importance = NM_IMPORTANCE_SI; cb.base[NM_P_CONSOLIDATION] = 0.05f; cb.gating = 0.3f; cb.boundary = 0.3f;
    if (nm_agent_new(&cb, &b, NULL, 0) != NM_OK) { printf("make: neuron-scale agent\n"); exit(1); }
    float x[5] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f };
    struct mallinfo2 before, after;
    int t, act;
    for (t = 0; t < 100; t++) {
        nm_agent_act(a, x, 5, &act); nm_agent_learn(a, 0.5f, x, 5, t % 7 == 0);
        nm_agent_act(b, x, 5, &act); nm_agent_learn(b, 0.5f, x, 5, t % 7 == 0);
    }
    before = mallinfo2();
    for (t = 0; t < 20000; t++) {
        x[t % 5] = (float)(t % 3);
        nm_agent_act(a, x, 5, &act);
        nm_agent_learn(a, act == 1 ? 1.0f : -1.0f, x, 5, t % 7 == 0);
        nm_agent_act(b, x, 5, &act);
        nm_agent_learn(b, act == 1 ? 1.0f : -1.0f, x, 5, t % 7 == 0);
        if (t % 5000 == 4999) nm_agent_freeze(b, (t / 5000) % 2 == 0);   /* frozen phases, inference still on */
        if (t == 15000) nm_agent_set_context(a, 7);                         /* an announced boundary */
    }
    after = mallinfo2();
    CHECK(before.uordblks == after.uordblks && before.arena == after.arena && before.hblkhd == after.hblkhd,
          "act/learn allocate nothing (in-use bytes %lu -> %lu)", (unsigned long)before.uordblks,
          (unsigned long)after.uordblks);
    nm_agent_free(a);
    nm_agent_free(b);
}

/* Layer kinds and learners are found through their tables; every trunk layer of today's agents is dense. */
static void test_tables(void)
{
    nm_agent *a = make(4, 3, 8, 5, 1, NM_RELU);
    size_t l;
    CHECK(nm_layer_ops_find(NM_LAYER_DENSE, NM_TANH) == &nm_layer_dense_tanh &&
          nm_layer_ops_find(NM_LAYER_DENSE, NM_RELU) == &nm_layer_dense_relu, "the dense kind is found");
    CHECK(nm_layer_ops_find((nm_layer_kind)NM_N_LAYER_KINDS, NM_TANH) == NULL &&
          nm_layer_ops_find(NM_LAYER_DENSE, (nm_activation)7) == NULL, "no kind or activation past the table");
    CHECK(a->model == NM_MODEL_RATE && a->learner == &nm_learner_rate, "the rate learner");
    for (l = 0; l < 2; l++)
        CHECK(a->layer[l].kind == NM_LAYER_DENSE && a->layer[l].ops == &nm_layer_dense_relu,
              "layer %lu: dense, relu", (unsigned long)l + 1);
    CHECK(a->layer[1].in == 8 && a->layer[1].out == 5 && a->layer[1].w == a->layer[0].b + 8 &&
          a->layer[1].b == a->layer[1].w + 40, "layer 2's shapes and slices");
    nm_agent_free(a);
}

/* nm_mod_step is pure: from copies of an agent's state and signals it leaves its inputs alone, gives the same
 * state, vectors and effects into separate outputs as in place, and the agent's next state is that one. */
static void test_mod_pure(void)
{
    nm_agent_config c;
    nm_agent *a;
    float x[3] = { 1.0f, -0.5f, 0.25f };
    int t, act;
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.n_layers = 2; c.hidden[0] = 6; c.hidden[1] = 4; c.seed = 9;
    c.attention_set = 20.0f; c.gain_focus = 1.0f; c.na_input = NM_NA_CHANGEPOINT;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) { printf("make: pure-step agent\n"); exit(1); }
    for (t = 0; t < 300; t++) {
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, t < 200 ? (act ? 1.0f : 0.0f) : (act ? -1.0f : 1.0f), x, 3, t % 5 == 4);
    }
    {
        enum { U = 10, N = 3 };
        nm_modstate in = a->mod, in_copy = a->mod, out, inplace = a->mod;
        float sal[N], act_in[U], sal_out[N], act_out[U], sal2[N], act2[U], h0[6], h1[4], attr[N] = { 0.5f, 1.0f, 0.5f };
        float focus1[U], set1[N], focus2[U], set2[N];
        nm_mod_signals sig;
        nm_mod_vectors v1, v2;
        nm_mod_effects f1, f2;
        int i;
        memcpy(sal, a->block + a->off_sal, sizeof sal);
        memcpy(act_in, a->block + a->off_act, sizeof act_in);
        memcpy(sal2, sal, sizeof sal); memcpy(act2, act_in, sizeof act2);
        for (i = 0; i < 6; i++) h0[i] = 0.1f * (float)i - 0.2f;
        for (i = 0; i < 4; i++) h1[i] = 0.3f - 0.1f * (float)i;
        sig.reward = -1.0f; sig.delta = -0.7f; sig.surprise = 2.0f; sig.expected = 0.1f;
        sig.activity[0] = h0; sig.activity[1] = h1; sig.salience = attr;
        v1.salience_in = sal; v1.activity_in = act_in; v1.salience_out = sal_out; v1.activity_out = act_out;
        v2.salience_in = sal2; v2.activity_in = act2; v2.salience_out = sal2; v2.activity_out = act2;
        f1.focus = focus1; f1.set = set1; f2.focus = focus2; f2.set = set2;
        nm_mod_step(&a->cfg, &a->modc, &in, &sig, &out, &v1, &f1);
        nm_mod_step(&a->cfg, &a->modc, &inplace, &sig, &inplace, &v2, &f2);
        CHECK(memcmp(&in, &in_copy, sizeof in) == 0 && memcmp(sal, a->block + a->off_sal, sizeof sal) == 0 &&
              memcmp(act_in, a->block + a->off_act, sizeof act_in) == 0, "the step leaves its inputs alone");
        CHECK(memcmp(&out, &inplace, sizeof out) == 0 && memcmp(sal_out, sal2, sizeof sal2) == 0 &&
              memcmp(act_out, act2, sizeof act2) == 0, "separate outputs = in place");
        CHECK(memcmp(&out, &in, sizeof out) != 0 && memcmp(sal_out, sal, sizeof sal) != 0 &&
              memcmp(act_out, act_in, sizeof act_in) != 0, "the step moved the state and both vectors");
        CHECK(f1.reset == f2.reset && f1.has_set && f2.has_set && memcmp(set1, set2, sizeof set1) == 0 &&
              f1.focused[0] == f2.focused[0] && f1.focused[1] == f2.focused[1], "the same effects");
        {
            /* the gain composes as G x focus: a layer's mean gain is G */
            float g[6], mean = 0.0f, G = out.params[NM_P_GAIN];
            CHECK(f1.focused[0], "NA is up after the switch, so layer 1 is focused");
            nm_mod_compose_gain(6, G, f1.focused[0], focus1, f1.focus_sum[0], g);
            for (i = 0; i < 6; i++) mean += g[i] / 6.0f;
            CHECK(fabsf(mean - G) < 1e-5f * G, "focused gain has mean G (%g vs %g)", (double)mean, (double)G);
            nm_mod_compose_gain(6, G, 0, focus1, f1.focus_sum[0], g);
            for (i = 0; i < 6; i++) CHECK(g[i] == G, "an unfocused unit takes G");
        }
    }
    /* one real step of the agent goes through the same function */
    {
        nm_modstate before = a->mod;
        nm_agent_act(a, x, 3, &act);
        nm_agent_learn(a, 1.0f, x, 3, 0);
        CHECK(memcmp(&before, &a->mod, sizeof before) != 0, "learn advances the modulators");
    }
    nm_agent_free(a);
}

static int params_finite(nm_agent *a)
{
    size_t i, n = nm_agent_param_count(a);
    const float *p = nm_agent_params(a);
    for (i = 0; i < n; i++) if (!isfinite(p[i])) return 0;
    return 1;
}

static int reloads(nm_agent *a)
{
    size_t n = nm_agent_checkpoint_size(a);
    unsigned char *buf = malloc(n);
    nm_agent *b = NULL;
    int ok = buf && nm_agent_save_buffer(a, buf, n) == NM_OK && nm_agent_load_buffer(buf, n, &b, NULL, 0) == NM_OK;
    nm_agent_free(b);
    free(buf);
    return ok;
}

/* The three ways an agent was corrupted silently: a huge finite observation, a mapping entry the config accepts
 * driving the gain to overflow, and a NaN that the activation's clamp turned into 1. */
static void test_finite_invariant(void)
{
    nm_agent_config c;
    nm_agent *a;
    float obs[3] = { 0.5f, -0.5f, 1.0f }, huge[3] = { 3e38f, 3e38f, 3e38f };
    int act, t, bad = 0, refused = 0, named = 1;
    uint64_t h;
    nm_status st;

    CHECK(isnan(nm_tanh(NAN)) && nm_tanh(INFINITY) == nm_tanh(100.0f) && nm_tanh(-INFINITY) == -nm_tanh(100.0f),
          "nm_tanh lets NaN through and still clamps the infinities");

    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2;
    nm_agent_new(&c, &a, NULL, 0);
    for (t = 0; t < 50; t++) { nm_agent_act(a, obs, 3, &act); nm_agent_learn(a, act ? 1.0f : 0.0f, obs, 3, t % 10 == 9); }
    h = nm_agent_state_hash(a);
    st = nm_agent_act(a, huge, 3, &act);
    CHECK(st == NM_ERR_NUMERIC && nm_agent_state_hash(a) == h && strstr(nm_agent_error(a), "obs") != NULL,
          "obs {3e38 x 3} is refused and changes nothing: %s", nm_agent_error(a));
    for (t = 0; t < 50; t++) {
        if (nm_agent_act(a, obs, 3, &act) != NM_OK) bad++;
        if (nm_agent_learn(a, act ? 1.0f : 0.0f, obs, 3, t % 10 == 9) != NM_OK) bad++;
    }
    CHECK(bad == 0 && params_finite(a) && reloads(a), "after the huge obs the agent still learns and reloads (%d)", bad);
    nm_agent_free(a);

    /* mapping.gain.NA = 100, within the accepted range: NA's rise multiplies the gain by up to e^100. Each call
     * either succeeds or is refused with NM_ERR_NUMERIC and a message; the agent stays finite throughout. */
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2;
    c.mapping[NM_P_GAIN][NM_NA] = 100.0f;
    nm_agent_new(&c, &a, NULL, 0);
    bad = 0;
    for (t = 0; t < 6000; t++) {
        int cue = (t / 7) % 3, good = ((t / 500) % 2) ? cue != 1 : cue == 1;
        float o[3] = { cue == 0, cue == 1, cue == 2 }, r;
        if (nm_agent_act(a, o, 3, &act) != NM_OK) { refused++; named &= nm_agent_error(a)[0] != 0; continue; }
        r = (act == 1) == good ? 1.0f : -1.0f;
        st = nm_agent_learn(a, r, o, 3, 1);
        if (st != NM_OK) { refused++; named &= st == NM_ERR_NUMERIC && nm_agent_error(a)[0] != 0; nm_agent_reset_traces(a); }
        if (!params_finite(a)) bad++;
    }
    CHECK(bad == 0 && named && reloads(a), "mapping.gain.NA = 100: finite throughout (%d refused)", refused);
    nm_agent_free(a);
}

/* Drops the config field `name` (elements of `elem_bytes` each) from a format-4 file of n bytes into out, fixing
 * the section length, the field count, the file length and the CRC; returns the new length. */
static size_t drop_config_field(const unsigned char *buf, size_t n, const char *name, size_t elem_bytes,
                                unsigned char *out)
{
    size_t conf = find_section(buf, n, "CONF"), f = conf, len = strlen(name), flen = 1 + len + 1 + 4 + elem_bytes, m;
    uint64_t clen = 0;
    uint32_t count;
    int i;
    while (!(buf[f] == len && memcmp(buf + f + 1, name, len) == 0)) f++;
    memcpy(out, buf, f);
    memcpy(out + f, buf + f + flen, n - f - flen);
    m = n - flen;
    for (i = 0; i < 8; i++) clen |= (uint64_t)out[conf + 4 + i] << (8 * i);
    put_u64_at(out + conf + 4, clen - flen);
    count = (uint32_t)out[conf + 12] | (uint32_t)out[conf + 13] << 8;
    out[conf + 12] = (unsigned char)((count - 1) & 255); out[conf + 13] = (unsigned char)((count - 1) >> 8);
    put_u64_at(out + 12, m);
    fix_crc(out, m);
    return m;
}

/* withhold_action (an index, -1 for none) and serotonin_input: checked against n_actions, by name, through a
 * checkpoint, and a file written before they existed loads them as the old behaviour (action 0, punishment). */
static void test_withhold_serotonin(void)
{
    nm_agent_config c;
    nm_agent *a = NULL, *b = NULL;
    unsigned char *buf, *bad, *bad2;
    size_t n, m;
    double v;
    uint64_t u;
    float x[5] = { 1, 0, 1, 0, 0 }, pa[2], pb[2], val;
    char msg[256];

    gng_config(&c);
    CHECK(c.withhold_action == 0 && c.serotonin_input == NM_5HT_PUNISHMENT, "defaults: action 0, punishment");
    c.withhold_action = 2;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "withhold_action"),
          "withhold_action beyond the actions refused: %s", msg);
    CHECK(nm_config_set(&c, "withhold_action", 0, -2, msg, sizeof msg) == NM_ERR_ARG && strstr(msg, "withhold_action"),
          "-2 refused: %s", msg);
    CHECK(nm_config_set(&c, "withhold_action", 0, -1, msg, sizeof msg) == NM_OK && c.withhold_action == NM_ACTION_NONE,
          "-1 is none");
    CHECK(nm_config_get(&c, "withhold_action", 0, &v) == NM_OK && v == -1.0, "by name: -1");
    CHECK(nm_config_get_u64(&c, "withhold_action", 0, &u) == NM_ERR_ARG, "none has no unsigned value");
    CHECK(nm_config_set_value(&c, "serotonin_input", 0, "relative", msg, sizeof msg) == NM_OK &&
          c.serotonin_input == NM_5HT_RELATIVE, "serotonin_input by name");
    c.base[NM_P_WITHHOLD_BIAS] = 3.0f;
    CHECK(nm_agent_new(&c, &a, msg, sizeof msg) == NM_OK, "agent: %s", msg);
    if (!a) return;
    n = nm_agent_checkpoint_size(a);
    buf = malloc(n);
    bad = malloc(n);
    bad2 = malloc(n);
    CHECK(nm_agent_save_buffer(a, buf, n) == NM_OK, "save: %s", nm_agent_error(a));
    CHECK(nm_agent_load_buffer(buf, n, &b, msg, sizeof msg) == NM_OK && b &&
          nm_agent_get_config(b)->withhold_action == NM_ACTION_NONE &&
          nm_agent_get_config(b)->serotonin_input == NM_5HT_RELATIVE, "none and relative survive a checkpoint: %s", msg);
    nm_agent_free(b); b = NULL;
    m = drop_config_field(buf, n, "withhold_action", 4, bad);
    m = drop_config_field(bad, m, "serotonin_input", 4, bad2);
    CHECK(nm_agent_load_buffer(bad2, m, &b, msg, sizeof msg) == NM_OK && b &&
          nm_agent_get_config(b)->withhold_action == 0 &&
          nm_agent_get_config(b)->serotonin_input == NM_5HT_PUNISHMENT,
          "a file without the fields loads them as action 0 and punishment: %s", msg);
    if (b) {   /* the bias of 3 now goes to action 0, which had none */
        nm_agent_evaluate(a, x, 5, pa, &val);
        nm_agent_evaluate(b, x, 5, pb, &val);
        CHECK(pb[0] > pa[0] + 0.3f, "the legacy agent withholds more: %g vs %g", pb[0], pa[0]);
    }
    nm_agent_free(b);
    free(bad2);
    free(bad);
    free(buf);
    nm_agent_free(a);
}

/* A damaged copy of buf: the u64 (width 8) or u32 (width 4) at byte at set to v, the CRC made right again. */
static const char *load_patched(const unsigned char *buf, size_t n, size_t at, int width, uint64_t v, char *msg,
                                size_t msglen)
{
    unsigned char *d = malloc(n);
    nm_agent *b = NULL;
    uint32_t crc;
    int i;
    memcpy(d, buf, n);
    for (i = 0; i < width; i++) d[at + i] = (unsigned char)(v >> (8 * i));
    crc = nm_crc32(0, d, n - 4);
    for (i = 0; i < 4; i++) d[n - 4 + i] = (unsigned char)(crc >> (8 * i));
    if (nm_agent_load_buffer(d, n, &b, msg, msglen) == NM_OK) { nm_agent_free(b); snprintf(msg, msglen, "(loaded)"); }
    free(d);
    return msg;
}

/* Checkpoint messages name the field that is wrong; numeric refusals carry no "act:"/"learn:" prefix of their
 * own (the bindings add "agent:act: "); a seed and a step count beyond 2^53 read back exactly. */
static void test_edges(void)
{
    nm_agent *a = make(3, 2, 4, 0, 1, NM_TANH), *b = NULL;
    float huge[3] = { 3e38f, 3e38f, 3e38f };
    size_t n = nm_agent_checkpoint_size(a), parm, mods;
    unsigned char *buf = malloc(n);
    char msg[256];
    nm_modulator_state m;
    uint64_t seed = 0;
    int act;
    nm_agent_save_buffer(a, buf, n);
    parm = find_section(buf, n, "PARM");
    mods = find_section(buf, n, "MODS");
    load_patched(buf, n, 12, 8, UINT64_MAX, msg, sizeof msg);
    CHECK(strstr(msg, "header: length field too large (18446744073709551615 bytes") != NULL, "header length 2^64-1: %s", msg);
    load_patched(buf, n, 12, 8, (uint64_t)1 << 32 | 1, msg, sizeof msg);
    CHECK(strstr(msg, "header: length field too large") != NULL, "header length 2^32+1: %s", msg);
    load_patched(buf, n, parm + 4, 8, UINT64_MAX, msg, sizeof msg);
    CHECK(strstr(msg, "section 'PARM': length field too large (18446744073709551615 bytes") != NULL,
          "PARM length 2^64-1: %s", msg);
    load_patched(buf, n, parm + 4, 8, (uint64_t)1 << 32, msg, sizeof msg);
    CHECK(strstr(msg, "section 'PARM': length field too large (4294967296 bytes") != NULL, "PARM length 2^32: %s", msg);
    load_patched(buf, n, parm + 4, 8, 0, msg, sizeof msg);
    CHECK(strstr(msg, "section 'PARM': length field says 0 bytes") != NULL, "PARM length 0: %s", msg);
    load_patched(buf, n, mods + 12, 4, UINT32_MAX, msg, sizeof msg);
    CHECK(strstr(msg, "section 'MODS': the field count says 4294967295") != NULL, "MODS count 2^32-1: %s", msg);
    load_patched(buf, n, mods + 12, 4, 0, msg, sizeof msg);
    CHECK(strstr(msg, "section 'MODS': the field count says 0") != NULL, "MODS count 0: %s", msg);
    load_patched(buf, n, mods + 12 + 4 + 1 + 6, 4, UINT32_MAX, msg, sizeof msg);
    CHECK(strstr(msg, "field 'phasic': count field says 4294967295") != NULL, "MODS phasic count: %s", msg);
    CHECK(nm_agent_act(a, huge, 3, &act) == NM_ERR_NUMERIC && strncmp(nm_agent_error(a), "obs[1] = ", 9) == 0,
          "act's numeric refusal starts with what is wrong: %s", nm_agent_error(a));
    /* the fixtures written by make_corpus: seed and STEP at 2^53 + 1 and at 2^64 - 1 */
    CHECK(nm_agent_load("c/test/fixtures/big_counts_53.nmck", &b, msg, sizeof msg) == NM_OK, "big_counts_53: %s", msg);
    if (b) {
        nm_agent_get_modulators(b, &m);
        nm_config_get_u64(nm_agent_get_config(b), "seed", 0, &seed);
        CHECK(m.steps == ((uint64_t)1 << 53) + 1 && seed == ((uint64_t)1 << 53) + 1, "steps and seed 2^53 + 1");
        nm_agent_free(b); b = NULL;
    }
    CHECK(nm_agent_load("c/test/fixtures/big_counts_64.nmck", &b, msg, sizeof msg) == NM_OK, "big_counts_64: %s", msg);
    if (b) {
        nm_agent_get_modulators(b, &m);
        nm_config_get_u64(nm_agent_get_config(b), "seed", 0, &seed);
        CHECK(m.steps == UINT64_MAX && seed == UINT64_MAX, "steps and seed 2^64 - 1");
        nm_agent_free(b);
    }
    free(buf);
    nm_agent_free(a);
}

/* NM_TRUNCATED: the step bootstraps V(s') as a plain step does, then the episode's traces end, so it equals a
 * plain step followed by nm_agent_reset_traces; NM_TERMINAL does not bootstrap; other bits are refused. */
static void test_truncation(void)
{
    nm_agent *a = make(3, 2, 8, 0, 9, NM_TANH), *b = make(3, 2, 8, 0, 9, NM_TANH), *c = make(3, 2, 8, 0, 9, NM_TANH);
    float x[3] = { 0.5f, -1, 0.25f }, y[3] = { -0.5f, 1, 0 };
    int t, act;
    for (t = 0; t < 40; t++) {
        int flag = t % 7 == 6;
        CHECK(nm_agent_act(a, x, 3, &act) == NM_OK && nm_agent_act(b, x, 3, &act) == NM_OK &&
              nm_agent_act(c, x, 3, &act) == NM_OK, "act");
        CHECK(nm_agent_learn(a, 0.3f, y, 3, flag ? NM_TRUNCATED : 0) == NM_OK, "truncated learn");
        CHECK(nm_agent_learn(b, 0.3f, y, 3, flag ? NM_TERMINAL | NM_TRUNCATED : 0) == NM_OK, "both flags");
        CHECK(nm_agent_learn(c, 0.3f, y, 3, 0) == NM_OK, "plain learn");
        if (flag) nm_agent_reset_traces(c);
    }
    CHECK(nm_agent_state_hash(a) == nm_agent_state_hash(c), "truncated = a plain step, then the traces cleared");
    CHECK(nm_agent_state_hash(b) == nm_agent_state_hash(c), "terminal and truncated = truncated");
    CHECK(nm_agent_act(a, x, 3, &act) == NM_OK, "act");
    CHECK(nm_agent_learn(a, 0.0f, NULL, 0, NM_TRUNCATED) == NM_ERR_ARG && strstr(nm_agent_error(a), "next_obs"),
          "a truncated step needs next_obs: %s", nm_agent_error(a));
    CHECK(nm_agent_learn(a, 0.0f, y, 3, 4) == NM_ERR_ARG && strstr(nm_agent_error(a), "flags"),
          "unknown flag bits: %s", nm_agent_error(a));
    CHECK(nm_agent_learn(a, 0.0f, NULL, 0, NM_TERMINAL) == NM_OK, "a terminal step may omit next_obs");
    nm_agent_free(a);
    nm_agent_free(b);
    nm_agent_free(c);
}

int main(void)
{
    test_config();
    test_rng();
    gradcheck(NM_TANH, 5, 4);
    gradcheck(NM_TANH, 6, 0);
    gradcheck(NM_TANH, 0, 0);
    gradcheck(NM_RELU, 7, 5);
    test_learning();
    test_errors();
    test_crc32();
    test_checkpoint();
    test_determinism();
    test_trace_bound();
    test_kernel_sets();
    test_format2();
    test_format3();
    test_format4();
    test_ctab_slots();
    test_pending_forward();
    test_changepoint();
    test_no_allocation();
    test_tables();
    test_mod_pure();
    test_finite_invariant();
    test_withhold_serotonin();
    test_edges();
    test_truncation();
    printf("c: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
