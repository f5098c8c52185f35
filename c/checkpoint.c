/*
 * checkpoint.c -- save and load the whole agent.
 *
 * Format 4 (all integers and floats little-endian, whatever the host):
 *   magic     8 bytes  "\x89NMCK\r\n\x1a"  (a text-mode transfer or a foreign file breaks it)
 *   version   u32      NM_CKPT_VERSION
 *   length    u64      bytes of the whole file, header and checksum included
 *   sections           each: a tag of four ASCII characters, a u64 length of its body, the body
 *   crc       u32      CRC-32 of everything before it
 *
 * The sections hold only persistent state (no scratch, no forward cache, no buffer for s'). CONF comes first
 * (it sizes all the others); the rest in any order, each at most once:
 *   CONF  the config, written and read by config_io.c
 *   PARM  the trainable weights: n_params f32 in nm_net_layout's order (trunk layers, policy, value, outcome
 *         predictor, its uncertainty head)
 *   TRAC  the eligibility traces: n_traced f32 (trunk, policy and value)
 *   ANCH  the consolidation anchors: n_traced f32; present exactly when the config's base consolidation > 0
 *   NEUR  neuron-scale state: gain (every hidden unit), attention (every input), salience (every input),
 *         activity (every hidden unit), f32 each
 *   MODS  the modulator state by named fields: u32 field count, then per field a u8 name length, the name, a
 *         u32 count and the f32 values. A field the file lacks keeps its initial value (how a field added later
 *         loads from an older file); a name this version does not know is refused.
 *   RNG   the action-sampling generator: 4 x u64
 *   STEP  learn steps taken: u64
 *   PEND  the pending step (an act awaiting its learn): u32 pending (0 or 1), u32 action, n_obs f32 observation
 *         (action and observation 0 when none). The load redoes the act's forward pass from the observation
 *         instead of storing it: the pass reads the weights, gain, attention and the meta-parameters, none of
 *         which changes between act and learn, and it is deterministic, so the cache is bit-identical (the C
 *         tests compare it); the observation is n_obs floats where the pass is inputs + 2 x hidden units +
 *         2 x actions + 1, and it does not tie the file to the cache's layout.
 *   CONT  continual learning (continual.c), written only when there is some (importance si/ewc with consolidation
 *         on, gating, task-free boundaries, a frozen agent or a second context): u32 frozen, announced, armed,
 *         window, n_ctx, current slot, learned slot, probe, tried (a bit per slot), then NM_MAX_CONTEXTS i32 ids, then the persistent floats
 *         (importances, path integral or Fisher sums and their count, the context models and their window
 *         errors, with context_predictor on each slot's outcome predictor, and with context_tonic on each slot's
 *         tonic modulator state: n_cont f32). A file without it
 *         (older ones) loads as a fresh agent's: one context, not frozen.
 *         The gate is not stored: it follows from the seed and the current slot.
 *   RECU  the recurrent layers' state, present exactly when the config has a recurrent layer: the hidden state
 *         (n_rec f32, what the next act reads), the pending act's h_{t-1} (n_rec f32; the load redoes that act's
 *         forward pass from it and the observation) and the eligibility vectors (n_elig f32, nm_net_layout's
 *         order). A file without recurrent layers has none, so older files load as before.
 *   CEVD  the task-free detector's evidence, present exactly when the config has boundary > 0 and
 *         boundary_trigger = evidence: each slot's outcome noise (NM_MAX_CONTEXTS f32, -1 not yet estimated), the
 *         CUSUM (f32), each slot's long-run squared error and the steps it covers (2 x NM_MAX_CONTEXTS f32). Older
 *         files never have that config, so they load as before.
 *   CTAB  the evidence_table trigger's tables, present exactly when the config has boundary > 0 and
 *         boundary_trigger = evidence_table: per slot 256 entries of [key + 1 (0: empty), mean reward, count]
 *         (f32 each; the key, a 24-bit hash of the observation's bits and the action, is exact in f32), for the
 *         slots in use (n_ctx of CONT, 1 without it) and none after them: a slot no context has used is all zero
 *         (a new slot is cleared when it is made), and the reader clears the slots the file does not hold. A file
 *         may hold more slots, up to NM_MAX_CONTEXTS (the writers before this one wrote all of them); the ones
 *         beyond n_ctx must then be zero. The default agent has this section, so the compaction keeps a
 *         single-task agent's file near the plain agent's size (3 KB for 3 x 4, not 108 KB).
 * An unknown tag is refused by name, a missing section is named, and every length is checked against the
 * config before the agent is allocated, so a hostile header cannot make the reader allocate what the file
 * does not hold.
 *
 * One CRC-32 over the whole file rather than one per section: the reader takes a file whole or refuses it, so a
 * per-section checksum would locate damage nobody repairs; one check also covers the section headers and the
 * gaps between sections, and keeps the checksum where formats 2 and 3 had it (the last four bytes).
 *
 * Formats 2 and 3 (a dump of the float block) still load, by ckpt_legacy.c.
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
#include "ckpt_io.h"

#define NM_CKPT_VERSION 4u /* 2: attention_set, gain_focus; salience and activity in the block.
                            * 3: na_input; the change-point state ends the modulator state.
                            * 4: tagged sections of persistent state. Reads 2 to 4. */
#define NM_CKPT_OLDEST 2u
#define NM_CKPT_HEADER 20u /* magic + version + length */
#define NM_SECTION_HEADER 12u /* tag + length */
#define NM_CKPT_MAX ((size_t)1 << 32)
static const unsigned char magic[8] = { 0x89, 'N', 'M', 'C', 'K', '\r', '\n', 0x1a };

enum { S_CONF, S_PARM, S_TRAC, S_ANCH, S_NEUR, S_MODS, S_RNG, S_STEP, S_PEND, S_CONT, S_SPIK, S_RECU, S_CEVD,
       S_CTAB, S_PFWD, N_SECTIONS };
static const char tags[N_SECTIONS][5] = { "CONF", "PARM", "TRAC", "ANCH", "NEUR", "MODS", "RNG ", "STEP", "PEND",
                                          "CONT", "SPIK", "RECU", "CEVD", "CTAB", "PFWD" };
#define CONT_INTS 9

/* SPIK: the spiking learner's network state (learner_spiking.c: membranes, refractory counters, STDP traces,
 * the last step's spikes, the rate code's phases and the pending step's rates and value), state_len f32 from
 * off_cache; written and required exactly for a learner that has such state */
static size_t learner_state(const nm_agent *a) { return a->learner->state_len ? a->learner->state_len(a) : 0; }

/* ---- the modulator state by name: a restructured nm_modstate needs only this table changed ---- */
typedef struct mod_field { const char *name; float *v; size_t n; } mod_field;
#define MOD_FIELDS 13
static void mod_fields(nm_modstate *m, mod_field f[MOD_FIELDS])
{
    const mod_field t[MOD_FIELDS] = {
        { "phasic", m->phasic, NM_N_MODULATORS }, { "tonic", m->tonic, NM_N_MODULATORS },
        { "level", m->level, NM_N_MODULATORS }, { "factor", m->factor, NM_N_MODULATORS },
        { "params", m->params, NM_N_PARAMS }, { "surprise", &m->surprise, 1 }, { "expected", &m->expected, 1 },
        { "unexpected", &m->unexpected, 1 }, { "reward_short", &m->reward_short, 1 },
        { "reward_var", &m->reward_var, 1 }, { "utility_drop", &m->utility_drop, 1 },
        { "outlier_rate", &m->outlier_rate, 1 }, { "changepoint", &m->changepoint, 1 }
    };
    memcpy(f, t, sizeof t);
}

static size_t mods_bytes(void)
{
    nm_modstate m;
    mod_field f[MOD_FIELDS];
    size_t k, n = 4;
    mod_fields(&m, f);
    for (k = 0; k < MOD_FIELDS; k++) n += 1 + strlen(f[k].name) + 4 + 4 * f[k].n;
    return n;
}

static size_t n_hidden(const nm_agent *a) { return a->off_attn - a->off_gain; }

/* The context slots whose outcome tables CTAB holds: those in use (see the format above) */
static size_t ctab_slots(const nm_agent *a) { return a->n_ctx > 1 ? (size_t)a->n_ctx : 1; }

/* Body length of a section for an agent of this layout (MODS: as this version writes it; CTAB: of its state). */
static size_t section_bytes(const nm_agent *a, int s)
{
    switch (s) {
    case S_CONF: return nm_config_section_size(&a->cfg);
    case S_PARM: return 4 * a->n_params;
    case S_TRAC: return 4 * a->n_traced;
    case S_ANCH: return 4 * a->n_anchor;
    case S_NEUR: return 4 * (2 * n_hidden(a) + 2 * a->cfg.n_obs);
    case S_MODS: return mods_bytes();
    case S_RNG: return 4 * 8;
    case S_STEP: return 8;
    case S_CONT: return 4 * (CONT_INTS + NM_MAX_CONTEXTS + a->n_cont);
    case S_SPIK: return 4 * learner_state(a);
    case S_RECU: return 4 * (2 * a->n_rec + a->n_elig);
    case S_CEVD: return 4 * a->n_evid;
    case S_CTAB: return 4 * ctab_slots(a) * (a->n_tab / NM_MAX_CONTEXTS);
    case S_PFWD: return 4 * a->cl.size;
    default: return 8 + 4 * a->cfg.n_obs;  /* S_PEND */
    }
}

/* ANCH is written and required only with consolidation on; CONT only when there is continual state; SPIK only
 * for a learner with state of its own; RECU only with a recurrent layer; PFWD only with a pending act of the rate
 * learner (a learner with state keeps its pending step in SPIK) */
static int pfwd_present(const nm_agent *a) { return a->pending && !learner_state(a); }
static int cont_present(const nm_agent *a) { return a->n_cont > 0 || a->n_gate > 0 || a->frozen || a->n_ctx > 1; }
static int section_present(const nm_agent *a, int s)
{
    if (s == S_CONT) return cont_present(a);
    if (s == S_SPIK) return learner_state(a) > 0;
    if (s == S_RECU) return a->n_rec > 0;
    if (s == S_CEVD) return a->n_evid > 0;
    if (s == S_CTAB) return a->n_tab > 0;
    if (s == S_PFWD) return pfwd_present(a);
    return s != S_ANCH || a->n_anchor > 0;
}

size_t nm_agent_checkpoint_size(const nm_agent *a)
{
    size_t n = NM_CKPT_HEADER + 4;
    int s;
    if (!a) return 0;
    for (s = 0; s < N_SECTIONS; s++)
        if (section_present(a, s)) n += NM_SECTION_HEADER + section_bytes(a, s);
    return n;
}

static void write_section(nm_wcur *c, const nm_agent *a, int s)
{
    size_t len = section_bytes(a, s);
    const float *b = a->block;
    nm_put_bytes(c, tags[s], 4);
    nm_put_u64(c, len);
    switch (s) {
    case S_CONF:
        if (c->ok && (size_t)(c->end - c->p) >= len) { nm_config_section_write(&a->cfg, c->p); c->p += len; }
        else c->ok = 0;
        break;
    case S_PARM: nm_put_floats(c, b + a->off_params, a->n_params); break;
    case S_TRAC: nm_put_floats(c, b + a->off_trace, a->n_traced); break;
    case S_ANCH: nm_put_floats(c, b + a->off_anchor, a->n_anchor); break;
    case S_NEUR:
        nm_put_floats(c, b + a->off_gain, n_hidden(a));
        nm_put_floats(c, b + a->off_attn, a->cfg.n_obs);
        nm_put_floats(c, b + a->off_sal, a->cfg.n_obs);
        nm_put_floats(c, b + a->off_act, n_hidden(a));
        break;
    case S_MODS: {
        nm_modstate m = a->mod;
        mod_field f[MOD_FIELDS];
        size_t k;
        mod_fields(&m, f);
        nm_put_u32(c, MOD_FIELDS);
        for (k = 0; k < MOD_FIELDS; k++) {
            unsigned char nl = (unsigned char)strlen(f[k].name);
            nm_put_bytes(c, &nl, 1);
            nm_put_bytes(c, f[k].name, nl);
            nm_put_u32(c, (uint32_t)f[k].n);
            nm_put_floats(c, f[k].v, f[k].n);
        }
        break;
    }
    case S_RNG: { int i; for (i = 0; i < 4; i++) nm_put_u64(c, a->rng.s[i]); break; }
    case S_STEP: nm_put_u64(c, a->steps); break;
    case S_CONT: {
        int k;
        nm_put_u32(c, (uint32_t)a->frozen); nm_put_u32(c, (uint32_t)a->ctx_announced);
        nm_put_u32(c, (uint32_t)a->ctx_armed); nm_put_u32(c, (uint32_t)a->ctx_window);
        nm_put_u32(c, (uint32_t)a->n_ctx); nm_put_u32(c, (uint32_t)a->ctx_cur); nm_put_u32(c, (uint32_t)a->ctx_learn);
        nm_put_u32(c, (uint32_t)a->ctx_probe); nm_put_u32(c, a->ctx_tried);
        for (k = 0; k < NM_MAX_CONTEXTS; k++) nm_put_u32(c, (uint32_t)(k < a->n_ctx ? a->ctx_id[k] : 0));
        nm_put_floats(c, b + a->off_imp, a->n_cont);
        break;
    }
    case S_SPIK: nm_put_floats(c, b + a->off_cache, learner_state(a)); break;
    case S_RECU:
        nm_put_floats(c, b + a->off_rstate, 2 * a->n_rec);   /* rstate, rprev */
        nm_put_floats(c, b + a->off_elig, a->n_elig);
        break;
    case S_CEVD: nm_put_floats(c, b + a->off_evid, a->n_evid); break;
    case S_CTAB: nm_put_floats(c, b + a->off_tab, ctab_slots(a) * (a->n_tab / NM_MAX_CONTEXTS)); break;
    case S_PFWD: nm_put_floats(c, b + a->off_cache, a->cl.size); break;
    default: {  /* S_PEND */
        size_t i;
        nm_put_u32(c, (uint32_t)(a->pending != 0));
        nm_put_u32(c, a->pending ? (uint32_t)a->pending_action : 0u);
        for (i = 0; i < a->cfg.n_obs; i++) nm_put_f32(c, a->pending ? b[a->off_obs + i] : 0.0f);
        break;
    }
    }
}

nm_status nm_agent_save_buffer(nm_agent *a, void *buf, size_t len)
{
    nm_wcur c;
    size_t need;
    int s;
    if (!a) return NM_ERR_ARG;
    nm_net_settle(a);   /* a step act left pending for learn's update: the file holds its trace */
    need = nm_agent_checkpoint_size(a);
    if (!buf || len < need)
        return nm_fail(a, NM_ERR_ARG, "save: buffer of %lu bytes, need %lu", (unsigned long)len,
                       (unsigned long)need);
    c.p = buf; c.end = c.p + need; c.ok = 1;
    nm_put_bytes(&c, magic, 8);
    nm_put_u32(&c, NM_CKPT_VERSION);
    nm_put_u64(&c, need);
    for (s = 0; s < N_SECTIONS; s++)
        if (section_present(a, s)) write_section(&c, a, s);
    nm_put_u32(&c, nm_crc32(0, buf, need - 4));
    if (!c.ok || c.p != c.end) return nm_fail(a, NM_ERR_ARG, "save: internal size mismatch");
    return NM_OK;
}

/* ---- reading format 4 ---- */

static nm_status refuse(char *msg, size_t msglen, nm_status st, const char *why)
{
    nm_write_msg(msg, msglen, "%s", why);
    return st;
}

/* A name from the file, printable whatever its bytes: others as \xNN. */
static void printable(const unsigned char *s, size_t n, char *out, size_t outlen)
{
    size_t i, k = 0;
    for (i = 0; i < n && k + 5 < outlen; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' && s[i] != '\\') out[k++] = (char)s[i];
        else k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", s[i]);
    }
    out[k] = '\0';
}

typedef struct section { const unsigned char *body; size_t len; } section;

/* Reads the next section's header; *tag gets its four bytes. 0 (with a message) if it does not fit. */
static int next_section(nm_rcur *c, const unsigned char **tag, section *sec, char *msg, size_t msglen)
{
    uint64_t len;
    char name[24];
    *tag = nm_get_bytes(c, 4);
    len = nm_get_u64(c);
    if (!c->ok) {
        nm_write_msg(msg, msglen, "truncated checkpoint: a section header is cut short by the checksum");
        return 0;
    }
    if (len > (uint64_t)(c->end - c->p)) {
        printable(*tag, 4, name, sizeof name);
        nm_write_msg(msg, msglen, "damaged checkpoint: section '%s': length field too large (%llu bytes, %lu left "
                     "before the checksum)", name, (unsigned long long)len, (unsigned long)(c->end - c->p));
        return 0;
    }
    sec->body = nm_get_bytes(c, (size_t)len);
    sec->len = (size_t)len;
    return 1;
}

/* Reads MODS into m: fields by name, each at most once; a field the file lacks keeps its value in m. */
static nm_status read_mods(const section *sec, nm_modstate *m, char *msg, size_t msglen)
{
    mod_field f[MOD_FIELDS];
    int seen[MOD_FIELDS] = { 0 };
    nm_rcur c;
    uint32_t nfields, j;
    char name[128];
    mod_fields(m, f);
    c.p = sec->body; c.end = sec->body + sec->len; c.ok = 1;
    nfields = nm_get_u32(&c);
    for (j = 0; j < nfields && c.ok; j++) {
        const unsigned char *nl = nm_get_bytes(&c, 1), *nm = nl ? nm_get_bytes(&c, *nl) : NULL;
        uint32_t count = nm_get_u32(&c);
        size_t k;
        if (!c.ok) break;
        printable(nm, *nl, name, sizeof name);
        for (k = 0; k < MOD_FIELDS; k++)
            if (strlen(f[k].name) == *nl && memcmp(f[k].name, nm, *nl) == 0) break;
        if (k == MOD_FIELDS) {
            nm_write_msg(msg, msglen, "checkpoint section 'MODS': modulator field '%s' is not known to this version "
                         "of neuromod (written by a newer one?)", name);
            return NM_ERR_FORMAT;
        }
        if (seen[k]++) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section 'MODS': field '%s' appears twice", name);
            return NM_ERR_FORMAT;
        }
        if (count != f[k].n) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section 'MODS': field '%s': count field says %lu, this "
                         "version has %lu", name, (unsigned long)count, (unsigned long)f[k].n);
            return NM_ERR_FORMAT;
        }
        if ((size_t)(c.end - c.p) < 4 * f[k].n) { c.ok = 0; break; }
        nm_get_floats(&c, f[k].v, f[k].n);
        if (!nm_finite_all(f[k].v, f[k].n)) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section 'MODS': field '%s' is not finite", name);
            return NM_ERR_FORMAT;
        }
    }
    if (!c.ok && j < nfields) {
        nm_write_msg(msg, msglen, "damaged checkpoint: section 'MODS': the field count says %lu, the section ends in "
                     "field %lu", (unsigned long)nfields, (unsigned long)j + 1);
        return NM_ERR_FORMAT;
    }
    if (!c.ok) {
        nm_write_msg(msg, msglen, "damaged checkpoint: section 'MODS': its length field does not match its fields");
        return NM_ERR_FORMAT;
    }
    if (c.p != c.end) {
        nm_write_msg(msg, msglen, "damaged checkpoint: section 'MODS': the field count says %lu, %lu bytes follow "
                     "the last", (unsigned long)nfields, (unsigned long)(c.end - c.p));
        return NM_ERR_FORMAT;
    }
    return NM_OK;
}

/* body: the bytes between the header and the checksum */
static nm_status read_v4(const unsigned char *body, size_t len, nm_agent **out, char *msg, size_t msglen)
{
    nm_rcur c;
    section sec[N_SECTIONS], next;
    int have[N_SECTIONS] = { 0 };
    const unsigned char *tag;
    nm_agent_config cfg;
    nm_agent probe, *a;
    nm_rcur r;
    uint32_t pending, action;
    size_t i;
    int s;
    nm_status st;
    char why[NM_MSG_LEN], name[24];

    c.p = body; c.end = body + len; c.ok = 1;
    if (!next_section(&c, &tag, &sec[S_CONF], msg, msglen)) return NM_ERR_FORMAT;
    if (memcmp(tag, tags[S_CONF], 4) != 0) {
        printable(tag, 4, name, sizeof name);
        nm_write_msg(msg, msglen, "damaged checkpoint: the first section is '%s', not 'CONF'", name);
        return NM_ERR_FORMAT;
    }
    have[S_CONF] = 1;
    st = nm_config_section_read(sec[S_CONF].body, sec[S_CONF].len, &cfg, why, sizeof why);
    if (st != NM_OK) { nm_write_msg(msg, msglen, "checkpoint section 'CONF': %s", why); return st; }
    if (nm_agent_config_check(&cfg, why, sizeof why) != NM_OK) {
        nm_write_msg(msg, msglen, "checkpoint holds an invalid config: %s", why);
        return NM_ERR_FORMAT;
    }
    /* the layout the config describes, to check every length against before allocating */
    memset(&probe, 0, sizeof probe);
    probe.cfg = cfg;
    probe.learner = nm_learner_find(cfg.model);
    if (!probe.learner) { nm_write_msg(msg, msglen, "checkpoint section 'CONF': model %d: no such learner", (int)cfg.model);
        return NM_ERR_FORMAT; }
    probe.learner->layout(&probe);
    nm_cont_layout(&probe);
    while (c.p != c.end) {
        if (!next_section(&c, &tag, &next, msg, msglen)) return NM_ERR_FORMAT;
        printable(tag, 4, name, sizeof name);
        for (s = 0; s < N_SECTIONS && memcmp(tag, tags[s], 4) != 0; s++) {}
        if (s == N_SECTIONS) {
            nm_write_msg(msg, msglen, "checkpoint section '%s' is not known to this version of neuromod (written by "
                         "a newer one?)", name);
            return NM_ERR_FORMAT;
        }
        if (have[s]) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section '%s' appears twice", name);
            return NM_ERR_FORMAT;
        }
        if (s == S_PFWD && probe.learner->state_len) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section 'PFWD' is present but its config names a model "
                         "that keeps its pending step in 'SPIK'");
            return NM_ERR_FORMAT;
        }
        if (s != S_CONT && s != S_PFWD && !section_present(&probe, s)) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section '%s' is present but its config %s", name,
                         s == S_SPIK ? "names a model without learner state" :
                         s == S_RECU ? "has no recurrent layer" :
                         s == S_CEVD ? "has no evidence trigger" :
                         s == S_CTAB ? "has no evidence_table trigger" : "has base consolidation 0");
            return NM_ERR_FORMAT;
        }
        if (s == S_CTAB) {
            /* a whole number of slots, 1 to NM_MAX_CONTEXTS (checked against n_ctx once CONT is read) */
            size_t slot = 4 * (probe.n_tab / NM_MAX_CONTEXTS);
            if (next.len % slot != 0 || next.len / slot < 1 || next.len / slot > NM_MAX_CONTEXTS) {
                nm_write_msg(msg, msglen, "damaged checkpoint: section 'CTAB': length field says %lu bytes, its "
                             "config needs a multiple of %lu up to %lu", (unsigned long)next.len,
                             (unsigned long)slot, (unsigned long)(slot * NM_MAX_CONTEXTS));
                return NM_ERR_FORMAT;
            }
        } else if (s != S_MODS && next.len != section_bytes(&probe, s)) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section '%s': length field says %lu bytes, its config "
                         "needs %lu", name, (unsigned long)next.len, (unsigned long)section_bytes(&probe, s));
            return NM_ERR_FORMAT;
        }
        sec[s] = next;
        have[s] = 1;
    }
    for (s = 0; s < N_SECTIONS; s++)
        if (s != S_CONT && s != S_PFWD && section_present(&probe, s) && !have[s]) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section '%s' is missing", tags[s]);
            return NM_ERR_FORMAT;
        }

    st = nm_agent_new(&cfg, &a, why, sizeof why);
    if (st != NM_OK) { nm_write_msg(msg, msglen, "%s", why); return st; }
#define FLOATS(sname, off, n)                                                                            \
    do {                                                                                                 \
        nm_get_floats(&r, a->block + (off), (n));                                                        \
        if (!nm_finite_all(a->block + (off), (n))) { st = NM_ERR_FORMAT;                                    \
            nm_write_msg(msg, msglen, "damaged checkpoint: section '%s' holds a non-finite value", sname); \
            goto fail; }                                                                                 \
    } while (0)
#define OPEN(s) (r.p = sec[s].body, r.end = sec[s].body + sec[s].len, r.ok = 1)
    OPEN(S_PARM); FLOATS("PARM", a->off_params, a->n_params);
    OPEN(S_TRAC); FLOATS("TRAC", a->off_trace, a->n_traced);
    if (a->n_anchor) { OPEN(S_ANCH); FLOATS("ANCH", a->off_anchor, a->n_anchor); }
    OPEN(S_NEUR);
    FLOATS("NEUR", a->off_gain, n_hidden(a));
    FLOATS("NEUR", a->off_attn, cfg.n_obs);
    FLOATS("NEUR", a->off_sal, cfg.n_obs);
    FLOATS("NEUR", a->off_act, n_hidden(a));
    if ((st = read_mods(&sec[S_MODS], &a->mod, msg, msglen)) != NM_OK) goto fail;
    OPEN(S_RNG);
    for (i = 0; i < 4; i++) a->rng.s[i] = nm_get_u64(&r);
    st = NM_ERR_FORMAT;
    if ((a->rng.s[0] | a->rng.s[1] | a->rng.s[2] | a->rng.s[3]) == 0) {
        nm_write_msg(msg, msglen, "damaged checkpoint: section 'RNG ': the generator's state is all zero");
        goto fail;
    }
    OPEN(S_STEP);
    a->steps = nm_get_u64(&r);
    OPEN(S_PEND);
    pending = nm_get_u32(&r);
    action = nm_get_u32(&r);
    if (pending > 1 || action >= cfg.n_actions || (!pending && action != 0)) {
        nm_write_msg(msg, msglen, "damaged checkpoint: section 'PEND': pending field %lu, action field %lu (%lu "
                     "actions)", (unsigned long)pending, (unsigned long)action, (unsigned long)cfg.n_actions);
        goto fail;
    }
    FLOATS("PEND", a->off_obs, cfg.n_obs);
    if (have[S_PFWD] && !pending) {
        nm_write_msg(msg, msglen, "damaged checkpoint: section 'PFWD' is present but 'PEND' holds no pending act");
        goto fail;
    }
    if (a->learner->state_len) { OPEN(S_SPIK); FLOATS("SPIK", a->off_cache, learner_state(a)); }
    if (a->n_rec) {
        OPEN(S_RECU);
        FLOATS("RECU", a->off_rstate, 2 * a->n_rec);
        FLOATS("RECU", a->off_elig, a->n_elig);
    }
    if (pending) {
        /* the rate learner's forward cache as the act left it, or redone (a file from before PFWD); a learner with
         * state keeps the pending step in it */
        if (have[S_PFWD]) { OPEN(S_PFWD); FLOATS("PFWD", a->off_cache, a->cl.size); }
        else if (!a->learner->state_len)
            nm_net_forward(a, a->block + a->off_obs, a->block + a->off_rprev, a->block + a->off_cache, 0);
        a->pending = 1;
        a->pending_action = (int)action;
    }
    if (have[S_CONT]) {
        uint32_t u[CONT_INTS];
        int k;
        OPEN(S_CONT);
        for (k = 0; k < CONT_INTS; k++) u[k] = nm_get_u32(&r);
        if (u[0] > 1 || u[1] > 1 || u[2] > 1 || u[3] > 1000000000u || u[4] < 1 || u[4] > NM_MAX_CONTEXTS ||
            u[5] >= u[4] || u[6] >= u[4] || u[7] > 1000u) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section 'CONT': a context count, slot or flag out of range");
            goto fail;
        }
        a->frozen = (int)u[0]; a->ctx_announced = (int)u[1]; a->ctx_armed = (int)u[2]; a->ctx_window = (int)u[3];
        a->n_ctx = (int)u[4]; a->ctx_cur = (int)u[5]; a->ctx_learn = (int)u[6];
        a->ctx_probe = (int)u[7]; a->ctx_tried = u[8];
        for (k = 0; k < NM_MAX_CONTEXTS; k++) a->ctx_id[k] = (int)(int32_t)nm_get_u32(&r);
        FLOATS("CONT", a->off_imp, a->n_cont);
        nm_cont_set_gate(a);   /* the gate follows from the slot (the gain in NEUR already carries it) */
    }
    if (a->n_evid) { OPEN(S_CEVD); FLOATS("CEVD", a->off_evid, a->n_evid); }
    if (a->n_tab) {
        size_t per = a->n_tab / NM_MAX_CONTEXTS, held = sec[S_CTAB].len / (4 * per), k;
        st = NM_ERR_FORMAT;
        if (held < ctab_slots(a)) {
            nm_write_msg(msg, msglen, "damaged checkpoint: section 'CTAB' holds %lu context tables, 'CONT' counts %d",
                         (unsigned long)held, a->n_ctx);
            goto fail;
        }
        OPEN(S_CTAB);
        FLOATS("CTAB", a->off_tab, held * per);
        memset(a->block + a->off_tab + held * per, 0, (a->n_tab - held * per) * sizeof(float));
        /* an older writer's slots beyond n_ctx are zero in any agent it saved: anything else is damage */
        for (k = ctab_slots(a) * per; k < held * per; k++)
            if (a->block[a->off_tab + k] != 0.0f) {
                nm_write_msg(msg, msglen, "damaged checkpoint: section 'CTAB': a table of an unused context slot is "
                             "not empty");
                goto fail;
            }
    }
    a->trace_bound = INFINITY;   /* unknown for a loaded trace: learn takes the exact norm until a reset */
#undef FLOATS
#undef OPEN
    *out = a;
    return NM_OK;
fail:
    nm_agent_free(a);
    return st;
}

nm_status nm_agent_load_buffer(const void *buf, size_t len, nm_agent **out, char *msg, size_t msglen)
{
    const unsigned char *b = buf;
    nm_rcur c;
    uint64_t length, total;
    uint32_t version;

    if (msg && msglen) msg[0] = '\0';
    if (!out) return refuse(msg, msglen, NM_ERR_ARG, "out is NULL");
    *out = NULL;
    if (!buf && len) return refuse(msg, msglen, NM_ERR_ARG, "buffer is NULL");
    if (len == 0) return refuse(msg, msglen, NM_ERR_FORMAT, "empty file");
    if (len < 8 || memcmp(buf, magic, 8) != 0)
        return refuse(msg, msglen, NM_ERR_FORMAT, "not a neuromod checkpoint (bad magic number)");
    if (len < NM_CKPT_HEADER + 4) return refuse(msg, msglen, NM_ERR_FORMAT, "truncated checkpoint (no header)");
    c.p = b + 8; c.end = b + len; c.ok = 1;
    version = nm_get_u32(&c);
    length = nm_get_u64(&c);
    /* formats 2 and 3 counted the bytes between header and checksum; 4 and later count the whole file */
    if (version == 2 || version == 3)
        total = length > len ? length : NM_CKPT_HEADER + length + 4;
    else
        total = length;
    if (length > NM_CKPT_MAX) {
        nm_write_msg(msg, msglen, "damaged checkpoint: header: length field too large (%llu bytes, the file has %lu)",
                     (unsigned long long)length, (unsigned long)len);
        return NM_ERR_FORMAT;
    }
    if (total > len) {
        nm_write_msg(msg, msglen, "truncated checkpoint: the length field says %llu bytes, the file has %lu",
                     (unsigned long long)total, (unsigned long)len);
        return NM_ERR_FORMAT;
    }
    if (total < len) {
        nm_write_msg(msg, msglen, "damaged checkpoint: trailing bytes after the checksum (the length field says %llu "
                     "bytes, the file has %lu)", (unsigned long long)total, (unsigned long)len);
        return NM_ERR_FORMAT;
    }
    if (nm_crc32(0, buf, len - 4) != (uint32_t)(b[len - 4] | b[len - 3] << 8 | (uint32_t)b[len - 2] << 16 |
                                                 (uint32_t)b[len - 1] << 24))
        return refuse(msg, msglen, NM_ERR_FORMAT, "damaged checkpoint: checksum mismatch");
    if (version < NM_CKPT_OLDEST || version > NM_CKPT_VERSION) {
        nm_write_msg(msg, msglen, "checkpoint format version %lu is not supported (this library reads %u to %u)",
                     (unsigned long)version, NM_CKPT_OLDEST, NM_CKPT_VERSION);
        return NM_ERR_VERSION;
    }
    if (version < 4) return nm_ckpt_read_legacy(b + NM_CKPT_HEADER, len - NM_CKPT_HEADER - 4, version, out, msg, msglen);
    return read_v4(b + NM_CKPT_HEADER, len - NM_CKPT_HEADER - 4, out, msg, msglen);
}

