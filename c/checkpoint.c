/*
 * checkpoint.c -- save and load the whole agent.
 *
 * File layout (all integers and floats little-endian, whatever the host):
 *   magic     8 bytes  "\x89NMCK\r\n\x1a"  (a text-mode transfer or a foreign file breaks it)
 *   version   u32      NM_CKPT_VERSION
 *   length    u64      bytes of payload
 *   payload            config fields, block length + the float block, RNG, modulator state, step counters
 *   crc       u32      CRC-32 of everything before it
 * Save writes to a temporary file beside the target, syncs it and renames it over the target, so the target
 * is either the old file or the complete new one.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nm_internal.h"

#define NM_CKPT_VERSION 3u /* 2: attention_set, gain_focus; salience and activity in the block.
                              * 3: na_input; the change-point state ends the modulator state. Reads 2 and 3. */
#define NM_CKPT_OLDEST 2u
/* floats of modulator state in a checkpoint of a version: format 2 lacks the last two (outlier_rate,
 * changepoint) */
#define MOD_FLOATS_V(version) ((version) >= 3 ? MOD_FLOATS : MOD_FLOATS - 2)
#define NM_CKPT_HEADER 20u /* magic + version + length */
#define NM_CKPT_MAX ((size_t)1 << 32)
static const unsigned char magic[8] = { 0x89, 'N', 'M', 'C', 'K', '\r', '\n', 0x1a };

/* ---- a cursor over a byte buffer ---- */
typedef struct cursor { unsigned char *p; const unsigned char *end; int ok; } cursor;

static void put_u32(cursor *c, uint32_t v)
{
    int i;
    if (c->end - c->p < 4) { c->ok = 0; return; }
    for (i = 0; i < 4; i++) *c->p++ = (unsigned char)(v >> (8 * i));
}
static void put_u64(cursor *c, uint64_t v)
{
    int i;
    if (c->end - c->p < 8) { c->ok = 0; return; }
    for (i = 0; i < 8; i++) *c->p++ = (unsigned char)(v >> (8 * i));
}
static void put_f32(cursor *c, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(c, v);
}
static uint32_t get_u32(cursor *c)
{
    uint32_t v = 0;
    int i;
    if (c->end - c->p < 4) { c->ok = 0; return 0; }
    for (i = 0; i < 4; i++) v |= (uint32_t)*c->p++ << (8 * i);
    return v;
}
static uint64_t get_u64(cursor *c)
{
    uint64_t v = 0;
    int i;
    if (c->end - c->p < 8) { c->ok = 0; return 0; }
    for (i = 0; i < 8; i++) v |= (uint64_t)*c->p++ << (8 * i);
    return v;
}
static float get_f32(cursor *c)
{
    uint32_t v = get_u32(c);
    float f;
    memcpy(&f, &v, 4);
    return f;
}
static void put_floats(cursor *c, const float *f, size_t n) { size_t i; for (i = 0; i < n; i++) put_f32(c, f[i]); }
static void get_floats(cursor *c, float *f, size_t n) { size_t i; for (i = 0; i < n; i++) f[i] = get_f32(c); }

#define MOD_FLOATS (sizeof(nm_modstate) / sizeof(float))

/* The config, field by field (never the struct's bytes: padding and layout are the compiler's). */
static void put_config(cursor *c, const nm_agent_config *g)
{
    size_t l;
    put_u64(c, g->n_obs);
    put_u64(c, g->n_actions);
    put_u64(c, g->n_layers);
    for (l = 0; l < NM_MAX_LAYERS; l++) put_u64(c, g->hidden[l]);
    put_u32(c, (uint32_t)g->activation);
    put_u64(c, g->seed);
    put_f32(c, g->init_scale);
    put_f32(c, g->critic_scale);
    put_f32(c, g->predictor_rate);
    put_f32(c, g->max_update);
    put_floats(c, g->base, NM_N_PARAMS);
    put_u32(c, g->modulators);
    put_floats(c, &g->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    put_floats(c, &g->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    put_floats(c, g->tau_phasic, NM_N_MODULATORS);
    put_floats(c, g->tau_tonic, NM_N_MODULATORS);
    put_floats(c, g->scale, NM_N_MODULATORS);
    put_f32(c, g->na_threshold);
    put_f32(c, g->na_reset);
    put_f32(c, g->surprise_floor);
    put_f32(c, g->attention_set);
    put_f32(c, g->gain_focus);
    put_u32(c, (uint32_t)g->na_input);
}

static void get_config(cursor *c, nm_agent_config *g, uint32_t version)
{
    size_t l;
    memset(g, 0, sizeof *g);
    g->n_obs = (size_t)get_u64(c);
    g->n_actions = (size_t)get_u64(c);
    g->n_layers = (size_t)get_u64(c);
    for (l = 0; l < NM_MAX_LAYERS; l++) g->hidden[l] = (size_t)get_u64(c);
    g->activation = (nm_activation)get_u32(c);
    g->seed = get_u64(c);
    g->init_scale = get_f32(c);
    g->critic_scale = get_f32(c);
    g->predictor_rate = get_f32(c);
    g->max_update = get_f32(c);
    get_floats(c, g->base, NM_N_PARAMS);
    g->modulators = get_u32(c);
    get_floats(c, &g->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    get_floats(c, &g->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    get_floats(c, g->tau_phasic, NM_N_MODULATORS);
    get_floats(c, g->tau_tonic, NM_N_MODULATORS);
    get_floats(c, g->scale, NM_N_MODULATORS);
    g->na_threshold = get_f32(c);
    g->na_reset = get_f32(c);
    g->surprise_floor = get_f32(c);
    g->attention_set = get_f32(c);
    g->gain_focus = get_f32(c);
    g->na_input = version >= 3 ? (nm_na_input)get_u32(c) : NM_NA_SURPRISE;
}

static size_t config_bytes(uint32_t version)
{
    return 8 * (3 + NM_MAX_LAYERS) + 4 + 8 + 4 * 4 + 4 * NM_N_PARAMS + 4 +
           4 * (NM_N_PARAMS * NM_N_MODULATORS + NM_N_MODULATORS * NM_N_MODULATORS + 3 * NM_N_MODULATORS + 5) +
           (version >= 3 ? 4 : 0);
}

static size_t payload_bytes(const nm_agent *a, uint32_t version)
{
    return config_bytes(version) + 8 + 4 * a->block_len + 8 * 4 + 4 + 4 * MOD_FLOATS_V(version) + 8 + 4 + 4;
}

size_t nm_agent_checkpoint_size(const nm_agent *a)
{
    return a ? NM_CKPT_HEADER + payload_bytes(a, NM_CKPT_VERSION) + 4 : 0;
}

nm_status nm_agent_save_buffer(nm_agent *a, void *buf, size_t len)
{
    cursor c;
    size_t need, i;
    float modf[MOD_FLOATS];
    if (!a) return NM_ERR_ARG;
    need = nm_agent_checkpoint_size(a);
    if (!buf || len < need)
        return nm_fail(a, NM_ERR_ARG, "save: buffer of %lu bytes, need %lu", (unsigned long)len,
                       (unsigned long)need);
    c.p = buf; c.end = c.p + need; c.ok = 1;
    memcpy(c.p, magic, 8); c.p += 8;
    put_u32(&c, NM_CKPT_VERSION);
    put_u64(&c, payload_bytes(a, NM_CKPT_VERSION));
    put_config(&c, &a->cfg);
    put_u64(&c, a->block_len);
    put_floats(&c, a->block, a->block_len);
    for (i = 0; i < 4; i++) put_u64(&c, a->rng.s[i]);
    memcpy(modf, &a->mod, sizeof modf);
    put_u32(&c, (uint32_t)MOD_FLOATS);
    put_floats(&c, modf, MOD_FLOATS);
    put_u64(&c, a->steps);
    put_u32(&c, (uint32_t)a->pending);
    put_u32(&c, (uint32_t)a->pending_action);
    put_u32(&c, nm_crc32(0, buf, need - 4));
    if (!c.ok || c.p != c.end) return nm_fail(a, NM_ERR_ARG, "save: internal size mismatch");
    return NM_OK;
}

static nm_status refuse(char *msg, size_t msglen, nm_status st, const char *why)
{
    nm_write_msg(msg, msglen, "%s", why);
    return st;
}

nm_status nm_agent_load_buffer(const void *buf, size_t len, nm_agent **out, char *msg, size_t msglen)
{
    cursor c;
    nm_agent_config cfg;
    nm_agent *a;
    uint64_t payload, block_len, steps;
    uint32_t version, nmod, pending, pending_action;
    nm_rng rng;
    float modf[MOD_FLOATS];
    nm_modstate mod;
    size_t i;
    nm_status st;
    char why[NM_MSG_LEN];

    if (msg && msglen) msg[0] = '\0';
    if (!out) return refuse(msg, msglen, NM_ERR_ARG, "out is NULL");
    *out = NULL;
    if (!buf && len) return refuse(msg, msglen, NM_ERR_ARG, "buffer is NULL");
    if (len == 0) return refuse(msg, msglen, NM_ERR_FORMAT, "empty file");
    if (len < 8 || memcmp(buf, magic, 8) != 0)
        return refuse(msg, msglen, NM_ERR_FORMAT, "not a neuromod checkpoint (bad magic number)");
    if (len < NM_CKPT_HEADER + 4) return refuse(msg, msglen, NM_ERR_FORMAT, "truncated checkpoint (no header)");
    c.p = (unsigned char *)buf + 8; c.end = (const unsigned char *)buf + len; c.ok = 1;
    version = get_u32(&c);
    payload = get_u64(&c);
    if (payload > len || NM_CKPT_HEADER + payload + 4 > len) {
        nm_write_msg(msg, msglen, "truncated checkpoint: %lu bytes, header announces %lu",
                     (unsigned long)len, (unsigned long)(NM_CKPT_HEADER + payload + 4));
        return NM_ERR_FORMAT;
    }
    if (NM_CKPT_HEADER + payload + 4 < len)
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: trailing bytes after the checksum");
    if (nm_crc32(0, buf, len - 4) != (uint32_t)(((const unsigned char *)buf)[len - 4] |
                                                 ((const unsigned char *)buf)[len - 3] << 8 |
                                                 (uint32_t)((const unsigned char *)buf)[len - 2] << 16 |
                                                 (uint32_t)((const unsigned char *)buf)[len - 1] << 24))
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: checksum mismatch");
    if (version < NM_CKPT_OLDEST || version > NM_CKPT_VERSION) {
        nm_write_msg(msg, msglen, "checkpoint format version %lu is not supported (this library reads %u to %u)",
                     (unsigned long)version, NM_CKPT_OLDEST, NM_CKPT_VERSION);
        return NM_ERR_VERSION;
    }
    c.end = (const unsigned char *)buf + len - 4;
    get_config(&c, &cfg, version);
    if (!c.ok) return refuse(msg, msglen, NM_ERR_FORMAT, "truncated checkpoint (config)");
    st = nm_agent_config_check(&cfg, why, sizeof why);
    if (st != NM_OK) {
        nm_write_msg(msg, msglen, "checkpoint holds an invalid config: %s", why);
        return NM_ERR_FORMAT;
    }
    {
        /* Check the announced length against the config's before allocating anything, so that a damaged or
         * hostile header cannot make the reader allocate what the file does not hold. */
        nm_agent probe;
        memset(&probe, 0, sizeof probe);
        probe.cfg = cfg;
        nm_net_layout(&probe);
        if (payload != payload_bytes(&probe, version))
            return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: state size does not match its config");
    }
    st = nm_agent_new(&cfg, &a, why, sizeof why);
    if (st != NM_OK) { nm_write_msg(msg, msglen, "%s", why); return st; }
    block_len = get_u64(&c);
    if (block_len != a->block_len || (uint64_t)(c.end - c.p) < 4 * block_len) {
        nm_agent_free(a);
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: state size does not match its config");
    }
    get_floats(&c, a->block, a->block_len);
    a->trace_bound = INFINITY;   /* unknown for a loaded trace: learn takes the exact norm until a reset */
    for (i = 0; i < 4; i++) rng.s[i] = get_u64(&c);
    nmod = get_u32(&c);
    if (nmod != MOD_FLOATS_V(version)) {
        nm_agent_free(a);
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: modulator state size mismatch");
    }
    get_floats(&c, modf, nmod);
    steps = get_u64(&c);
    pending = get_u32(&c);
    pending_action = get_u32(&c);
    if (!c.ok || c.p != c.end) {
        nm_agent_free(a);
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: payload length mismatch");
    }
    for (i = 0; i < a->block_len; i++)
        if (!isfinite(a->block[i])) {
            nm_agent_free(a);
            return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: non-finite weight");
        }
    for (i = 0; i < nmod; i++)
        if (!isfinite(modf[i])) {
            nm_agent_free(a);
            return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: non-finite modulator state");
        }
    if (pending > 1 || pending_action >= cfg.n_actions || (rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]) == 0) {
        nm_agent_free(a);
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: invalid step state");
    }
    /* a format-2 file ends before the change-point state, which then keeps its initial value (unused there:
     * format 2 had only the surprise input) */
    mod = a->mod;
    memcpy(&mod, modf, nmod * sizeof(float));
    a->mod = mod;
    a->rng = rng;
    a->steps = steps;
    a->pending = (int)pending;
    a->pending_action = (int)pending_action;
    *out = a;
    return NM_OK;
}

nm_status nm_agent_save(nm_agent *a, const char *path)
{
    size_t n, plen;
    unsigned char *buf;
    char *tmp;
    FILE *f;
    int fd, ok;
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if (!path || !*path) return nm_fail(a, NM_ERR_ARG, "save: path is empty");
    n = nm_agent_checkpoint_size(a);
    plen = strlen(path);
    buf = malloc(n);
    tmp = malloc(plen + 16);
    if (!buf || !tmp) { free(buf); free(tmp); return nm_fail(a, NM_ERR_NOMEM, "save: out of memory"); }
    st = nm_agent_save_buffer(a, buf, n);
    if (st != NM_OK) { free(buf); free(tmp); return st; }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    fd = mkstemp(tmp);
    if (fd < 0) {
        st = nm_fail(a, NM_ERR_IO, "save: cannot create a temporary file beside %s: %s", path, strerror(errno));
        free(buf); free(tmp);
        return st;
    }
    f = fdopen(fd, "wb");
    if (!f) { close(fd); ok = 0; errno = EIO; }
    else {
        ok = fwrite(buf, 1, n, f) == n;
        ok = fflush(f) == 0 && ok;
        ok = fsync(fileno(f)) == 0 && ok;
        ok = fclose(f) == 0 && ok;
    }
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        st = nm_fail(a, NM_ERR_IO, "save: cannot write %s: %s", path, strerror(errno));
        remove(tmp);
    } else st = NM_OK;
    free(buf);
    free(tmp);
    return st;
}

nm_status nm_agent_load(const char *path, nm_agent **out, char *msg, size_t msglen)
{
    FILE *f;
    long size;
    unsigned char *buf;
    nm_status st;
    if (msg && msglen) msg[0] = '\0';
    if (!out) return refuse(msg, msglen, NM_ERR_ARG, "out is NULL");
    *out = NULL;
    if (!path || !*path) return refuse(msg, msglen, NM_ERR_ARG, "path is empty");
    f = fopen(path, "rb");
    if (!f) { nm_write_msg(msg, msglen, "cannot open %s: %s", path, strerror(errno)); return NM_ERR_IO; }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        nm_write_msg(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        fclose(f);
        return NM_ERR_IO;
    }
    if ((unsigned long)size > NM_CKPT_MAX) {
        fclose(f);
        nm_write_msg(msg, msglen, "%s: not a neuromod checkpoint (too large)", path);
        return NM_ERR_FORMAT;
    }
    buf = malloc(size ? (size_t)size : 1);
    if (!buf) { fclose(f); return refuse(msg, msglen, NM_ERR_NOMEM, "out of memory"); }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        nm_write_msg(msg, msglen, "cannot read %s", path);
        free(buf);
        fclose(f);
        return NM_ERR_IO;
    }
    fclose(f);
    st = nm_agent_load_buffer(buf, (size_t)size, out, msg, msglen);
    free(buf);
    if (st != NM_OK && msg && msglen) {
        char why[NM_MSG_LEN];
        nm_write_msg(why, sizeof why, "%s", msg);
        nm_write_msg(msg, msglen, "%s: %s", path, why);
    }
    return st;
}
