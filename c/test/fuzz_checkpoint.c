/*
 * fuzz_checkpoint.c -- libFuzzer target for the checkpoint reader: any byte string must be either refused
 * with a status and a message, or accepted as an agent that stays finite (weights, traces, gain, attention
 * and modulator state) for 100 steps of act and learn, and saves and loads again to the same state.
 * Two modes, chosen by the environment (make fuzz runs both):
 *   NM_FUZZ_MODE unset      libFuzzer's byte mutations, each input also tried with its header length and CRC
 *                           fixed up
 *   NM_FUZZ_MODE=structure  a mutator that walks a format-4 file's sections (the layout at the top of
 *                           checkpoint.c and config_io.c) and sets length and count fields to their limits
 *                           (0, 2^32, 2^64-1, ...) and floats to extreme values (+-FLT_MAX, subnormals, NaN,
 *                           inf), then fixes up the header length and the CRC, so that every mutant reaches
 *                           the section parser and the validation behind it
 * Build and run: make fuzz (clang -fsanitize=fuzzer,address,undefined; FUZZ_SECONDS split between the modes).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "nm_internal.h" /* the traces, which the public API does not expose */

uint32_t nm_crc32(uint32_t crc, const void *data, size_t len); /* internal, from checksum.c */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define STEPS 100

static int structure_mode;
static unsigned long accepted, refused;

static void report(void)
{
    fprintf(stderr, "fuzz_checkpoint (%s mode): %lu inputs accepted (each stepped %d times, finite throughout), "
            "%lu refused\n", structure_mode ? "structure" : "byte", accepted, STEPS, refused);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *m = getenv("NM_FUZZ_MODE");
    (void)argc; (void)argv;
    structure_mode = m && strcmp(m, "structure") == 0;
    atexit(report);
    return 0;
}

/* ---- little-endian fields ---- */
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) { int i; for (i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void wr64(uint8_t *p, uint64_t v) { int i; for (i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* The header's length field set to the size (formats 4 and later count the whole file, 2 and 3 the bytes
 * between header and checksum) and the last four bytes to the right CRC-32. */
static void fix_up(uint8_t *d, size_t size)
{
    uint32_t version;
    if (size < 24) return;
    version = rd32(d + 8);
    wr64(d + 12, (version == 2 || version == 3) ? size - 24 : size);
    wr32(d + size - 4, nm_crc32(0, d, size - 4));
}

/* ---- the checks ---- */
static int finite_all(const float *f, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!isfinite(f[i])) return 0;
    return 1;
}

static void violated(const char *what, int step)
{
    fprintf(stderr, "fuzz_checkpoint: an accepted checkpoint broke the invariant: %s (step %d)\n", what, step);
    __builtin_trap();
}

static void check_finite(nm_agent *a, float *buf, int step)
{
    const nm_agent_config *c = nm_agent_get_config(a);
    nm_modulator_state m;
    size_t l;
    if (!finite_all(nm_agent_params(a), nm_agent_param_count(a))) violated("a weight is not finite", step);
    nm_net_settle(a);   /* a recurrent layer's trace writes may wait for learn */
    if (!finite_all(a->block + a->off_trace, a->n_traced)) violated("a trace is not finite", step);
    if (a->n_anchor && !finite_all(a->block + a->off_anchor, a->n_anchor)) violated("an anchor is not finite", step);
    memset(&m, 0, sizeof m);
    nm_agent_get_modulators(a, &m);
    if (!finite_all(m.level, NM_N_MODULATORS) || !finite_all(m.phasic, NM_N_MODULATORS) ||
        !finite_all(m.tonic, NM_N_MODULATORS) || !finite_all(m.params, NM_N_PARAMS) || !isfinite(m.surprise) ||
        !isfinite(m.expected) || !isfinite(m.unexpected) || !isfinite(m.changepoint) || !isfinite(m.outlier_rate) ||
        !isfinite(m.reward_short) || !isfinite(m.reward_variance) || !isfinite(m.utility_drop))
        violated("the modulator state is not finite", step);
    if (nm_agent_attention(a, buf, c->n_obs) != NM_OK || !finite_all(buf, c->n_obs))
        violated("attention is not finite", step);
    for (l = 0; l < c->n_layers; l++)
        if (nm_agent_gain(a, l, buf, c->hidden[l]) != NM_OK || !finite_all(buf, c->hidden[l]))
            violated("gain is not finite", step);
}

/* What is accepted saves and loads again, to the same state. */
static void check_round_trip(nm_agent *a, int step)
{
    char msg[256];
    size_t n = nm_agent_checkpoint_size(a);
    uint8_t *again = malloc(n);
    nm_agent *b = NULL;
    if (!again) return;
    if (nm_agent_save_buffer(a, again, n) != NM_OK) violated("the agent does not save", step);
    if (nm_agent_load_buffer(again, n, &b, msg, sizeof msg) != NM_OK) {
        fprintf(stderr, "fuzz_checkpoint: reload refused: %s\n", msg);
        violated("its checkpoint does not load", step);
    }
    if (nm_agent_state_hash(a) != nm_agent_state_hash(b)) violated("the reloaded state differs", step);
    nm_agent_free(b);
    free(again);
}

static void check(const uint8_t *data, size_t size)
{
    nm_agent *a = NULL;
    char msg[256];
    nm_status st = nm_agent_load_buffer(data, size, &a, msg, sizeof msg);
    if (st == NM_OK) {
        static const float rewards[4] = { -1.0f, 0.0f, 1.0f, 1.0f };
        const nm_agent_config *c = nm_agent_get_config(a);
        size_t i, width = c->n_obs;
        float *obs, *buf;
        uint64_t r = 0x9E3779B97F4A7C15ull ^ size;
        int t, act;
        for (i = 0; i < c->n_layers; i++) if (c->hidden[i] > width) width = c->hidden[i];
        obs = malloc((c->n_obs + 1) * sizeof *obs);
        buf = malloc((width + 1) * sizeof *buf);
        accepted++;
        if (!obs || !buf) { free(obs); free(buf); nm_agent_free(a); return; }
        check_finite(a, buf, 0);
        check_round_trip(a, 0);
        /* the pending step (if the file holds one), then whole steps on inputs in [-1, 1] with rewards in
         * {-1, 0, 1}; every 10th observation is huge (3e38), which the agent refuses or survives */
        for (t = 1; t <= STEPS; t++) {
            for (i = 0; i < c->n_obs; i++) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                obs[i] = t % 10 == 0 ? 3e38f : (float)((double)(r >> 40) / 8388608.0 - 1.0);
            }
            if (t == 1 || nm_agent_act(a, obs, c->n_obs, &act) == NM_OK)
                nm_agent_learn(a, rewards[r >> 62], obs, c->n_obs, t % 17 == 0);
            check_finite(a, buf, t);
        }
        check_round_trip(a, STEPS);
        free(obs);
        free(buf);
        nm_agent_free(a);
    } else {
        refused++;
        if (a != NULL || msg[0] == '\0') {
            fprintf(stderr, "fuzz_checkpoint: a refusal must leave *out NULL and say why (status %d)\n", (int)st);
            __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (!structure_mode && size >= 24) {
        /* mutations, including ones that insert or drop bytes, get past the header and the checksum */
        uint8_t *copy = malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        fix_up(copy, size);
        check(copy, size);
        free(copy);
    }
    return 0;
}

/* ---- the structure-aware mutator ---- */
static uint64_t rs;
static uint64_t rnd(void)
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return rs >> 16 ^ rs << 21 ^ rs >> 43;
}

/* The fields of one file in three classes; one of each class is chosen uniformly by reservoir sampling. */
enum { F_LENGTH, F_COUNT, F_FLOAT, N_CLASSES };
enum { W32 = 4, W64 = 8 };
typedef struct picker { size_t seen[N_CLASSES], at[N_CLASSES]; int width[N_CLASSES]; } picker;

static void visit(picker *k, int cls, size_t at, int width)
{
    if (rnd() % ++k->seen[cls] == 0) { k->at[cls] = at; k->width[cls] = width; }
}

/* CONF: u32 field count, per field u8 name length, name, u8 kind, u32 element count, the elements. */
static void walk_conf(picker *k, const uint8_t *d, size_t p, size_t end)
{
    uint32_t n, j, e, count;
    if (p + 4 > end) return;
    n = rd32(d + p); visit(k, F_COUNT, p, W32); p += 4;
    for (j = 0; j < n && p < end; j++) {
        int kind, wide;
        p += 1 + (size_t)d[p];
        if (p + 5 > end) return;
        kind = d[p]; p += 1;
        count = rd32(d + p); visit(k, F_COUNT, p, W32); p += 4;
        wide = kind == NM_FIELD_COUNT || kind == NM_FIELD_U64;
        for (e = 0; e < count; e++) {
            if (p + (wide ? 8 : 4) > end) return;
            if (kind == NM_FIELD_REAL) visit(k, F_FLOAT, p, W32);
            else visit(k, F_COUNT, p, wide ? W64 : W32);
            p += wide ? 8 : 4;
        }
    }
}

/* MODS: u32 field count, per field u8 name length, name, u32 count, the f32 values. */
static void walk_mods(picker *k, const uint8_t *d, size_t p, size_t end)
{
    uint32_t n, j, e, count;
    if (p + 4 > end) return;
    n = rd32(d + p); visit(k, F_COUNT, p, W32); p += 4;
    for (j = 0; j < n && p < end; j++) {
        p += 1 + (size_t)d[p];
        if (p + 4 > end) return;
        count = rd32(d + p); visit(k, F_COUNT, p, W32); p += 4;
        for (e = 0; e < count && p + 4 <= end; e++, p += 4) visit(k, F_FLOAT, p, W32);
    }
}

/* Walks the sections of a format-4 file; 0 if it is not one. */
static int walk(picker *k, const uint8_t *d, size_t size)
{
    size_t p = 20, end, body, len, q;
    if (size < 24 || memcmp(d + 1, "NMCK", 4) != 0 || rd32(d + 8) != 4) return 0;
    visit(k, F_LENGTH, 12, W64);
    end = size - 4;
    while (p + 12 <= end) {
        const uint8_t *tag = d + p;
        uint64_t l = rd64(d + p + 4);
        visit(k, F_LENGTH, p + 4, W64);
        body = p + 12;
        len = l > end - body ? end - body : (size_t)l;
        if (memcmp(tag, "CONF", 4) == 0) walk_conf(k, d, body, body + len);
        else if (memcmp(tag, "MODS", 4) == 0) walk_mods(k, d, body, body + len);
        else if (memcmp(tag, "RNG ", 4) == 0 || memcmp(tag, "STEP", 4) == 0)
            for (q = body; q + 8 <= body + len; q += 8) visit(k, F_COUNT, q, W64);
        else if (memcmp(tag, "PEND", 4) == 0) {
            for (q = body; q + 4 <= body + len && q < body + 8; q += 4) visit(k, F_COUNT, q, W32);
            for (q = body + 8; q + 4 <= body + len; q += 4) visit(k, F_FLOAT, q, W32);
        } else
            for (q = body; q + 4 <= body + len; q += 4) visit(k, F_FLOAT, q, W32);
        p = body + len;
    }
    return 1;
}

static float extreme_float(float old)
{
    union { uint32_t u; float f; } nan_bits;
    const float v[] = { FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, 1.4e-45f, -1.4e-45f, 1.1754942e-38f, -1.1754942e-38f,
                        INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f, -1e30f, 3e38f, 1e-30f, 65504.0f };
    size_t n = sizeof v / sizeof v[0], i = (size_t)(rnd() % (n + 3));
    if (i < n) return v[i];
    if (i == n) return NAN;
    if (i == n + 1) { nan_bits.u = 0xffc00001u ^ (uint32_t)(rnd() & 0x3fffff); return nan_bits.f; } /* -NaN, payload */
    return old * (float)(1 << (rnd() % 31));
}

static uint64_t limit_value(uint64_t old, int width, int is_length, size_t size)
{
    const uint64_t v[] = { 0, 1, UINT32_MAX, (uint64_t)1 << 32, ((uint64_t)1 << 32) + 1, (uint64_t)1 << 31,
                           (uint64_t)1 << 53, ((uint64_t)1 << 53) + 1, INT64_MAX, UINT64_MAX, UINT64_MAX - 23 };
    size_t n = sizeof v / sizeof v[0], i = (size_t)(rnd() % (n + 5));
    uint64_t x;
    if (i < n) x = v[i];
    else if (i == n) x = old + 1;
    else if (i == n + 1) x = old - 1;
    else if (i == n + 2) x = old + 4;
    else if (i == n + 3) x = old - 4;
    else x = is_length ? rnd() % (size + 1) : old ^ ((uint64_t)1 << (rnd() % 64));
    return width == W32 ? (uint32_t)x : x;
}

/* One structured mutation in place; 0 if the input is not a format-4 file. */
static int mutate_structure(uint8_t *d, size_t size)
{
    picker k;
    int cls;
    memset(&k, 0, sizeof k);
    if (!walk(&k, d, size)) return 0;
    do cls = (int)(rnd() % N_CLASSES); while (k.seen[cls] == 0);
    if (cls == F_FLOAT) {
        union { uint32_t u; float f; } x;
        x.u = rd32(d + k.at[cls]);
        x.f = extreme_float(x.f);
        wr32(d + k.at[cls], x.u);
    } else if (k.width[cls] == W64) {
        wr64(d + k.at[cls], limit_value(rd64(d + k.at[cls]), W64, cls == F_LENGTH, size));
    } else {
        wr32(d + k.at[cls], (uint32_t)limit_value(rd32(d + k.at[cls]), W32, 0, size));
    }
    return 1;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    int i, n;
    if (!structure_mode) return LLVMFuzzerMutate(data, size, max_size);
    rs = seed * 0x9E3779B97F4A7C15ull + 1;
    /* now and then a byte-level change too (an inserted or dropped byte moves every later field) */
    if (rnd() % 8 == 0) size = LLVMFuzzerMutate(data, size, max_size);
    n = 1 + (int)(rnd() % 3);
    for (i = 0; i < n; i++)
        if (!mutate_structure(data, size)) {
            if (i == 0) size = LLVMFuzzerMutate(data, size, max_size);
            break;
        }
    fix_up(data, size);
    return size;
}
