/*
 * ckpt_legacy.c -- reads checkpoint formats 2 and 3, which are frozen: a dump of the agent's float block.
 *
 * Payload (little-endian): the config fields in the order of config_io.c (format 2 lacks na_input, the last);
 * u64 block length and the block [params | trace | anchor | gain | attention | salience | activity |
 * forward cache of the pending step | cache of s' | scratch 2 x widest layer]; RNG 4 x u64; u32 count and the
 * modulator state's floats in struct order (format 2 lacks the last two, outlier_rate and changepoint); u64
 * steps; u32 pending; u32 pending action.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"
#include "ckpt_io.h"

/* floats of modulator state in a file of a version: format 2 lacks outlier_rate and changepoint */
#define MOD_FLOATS_V(version) ((version) >= 3 ? 32u : 30u)

static void get_config(nm_rcur *c, nm_agent_config *g, uint32_t version)
{
    size_t l;
    nm_agent_config_legacy(g); /* fields formats 2 and 3 lack keep their legacy values */
    g->n_obs = (size_t)nm_get_u64(c);
    g->n_actions = (size_t)nm_get_u64(c);
    g->n_layers = (size_t)nm_get_u64(c);
    for (l = 0; l < NM_MAX_LAYERS; l++) g->hidden[l] = (size_t)nm_get_u64(c);
    g->activation = (nm_activation)nm_get_u32(c);
    g->seed = nm_get_u64(c);
    g->init_scale = nm_get_f32(c);
    g->critic_scale = nm_get_f32(c);
    g->predictor_rate = nm_get_f32(c);
    g->max_update = nm_get_f32(c);
    nm_get_floats(c, g->base, NM_N_PARAMS);
    g->modulators = nm_get_u32(c);
    nm_get_floats(c, &g->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    nm_get_floats(c, &g->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    nm_get_floats(c, g->tau_phasic, NM_N_MODULATORS);
    nm_get_floats(c, g->tau_tonic, NM_N_MODULATORS);
    nm_get_floats(c, g->scale, NM_N_MODULATORS);
    g->na_threshold = nm_get_f32(c);
    g->na_reset = nm_get_f32(c);
    g->surprise_floor = nm_get_f32(c);
    g->attention_set = nm_get_f32(c);
    g->gain_focus = nm_get_f32(c);
    g->na_input = version >= 3 ? (nm_na_input)nm_get_u32(c) : NM_NA_SURPRISE;
}

static size_t config_bytes(uint32_t version)
{
    return 8 * (3 + NM_MAX_LAYERS) + 4 + 8 + 4 * 4 + 4 * NM_N_PARAMS + 4 +
           4 * (NM_N_PARAMS * NM_N_MODULATORS + NM_N_MODULATORS * NM_N_MODULATORS + 3 * NM_N_MODULATORS + 5) +
           (version >= 3 ? 4 : 0);
}

/* the block these formats dumped: everything up to the scratch, which ended it */
static size_t old_block_len(const nm_agent *a) { return a->off_scratch + 2 * a->max_width; }

static size_t payload_bytes(const nm_agent *a, uint32_t version)
{
    return config_bytes(version) + 8 + 4 * old_block_len(a) + 8 * 4 + 4 + 4 * MOD_FLOATS_V(version) + 8 + 4 + 4;
}

static nm_status refuse(nm_agent *a, char *msg, size_t msglen, const char *why)
{
    nm_agent_free(a);
    nm_write_msg(msg, msglen, "%s", why);
    return NM_ERR_FORMAT;
}

/* An observation whose attended input is u: the forward pass starts with u = attention . obs, so any obs with
 * fl(attn_i obs_i) == u_i gives the same forward pass. These formats kept the pass, not the observation; the
 * agent keeps one so that a later save can redo the pass. */
static void observation_from_input(const float *attn, const float *u, float *obs, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        float x = attn[i] != 0.0f ? u[i] / attn[i] : 0.0f;
        if (isfinite(x) && attn[i] * x != u[i]) {
            float up = nextafterf(x, INFINITY), down = nextafterf(x, -INFINITY);
            if (attn[i] * up == u[i]) x = up;
            else if (attn[i] * down == u[i]) x = down;
        }
        obs[i] = isfinite(x) ? x : 0.0f;
    }
}

nm_status nm_ckpt_read_legacy(const unsigned char *payload, size_t len, uint32_t version, nm_agent **out, char *msg,
                              size_t msglen)
{
    nm_rcur c;
    nm_agent_config cfg;
    nm_agent *a = NULL;
    uint64_t block_len, steps;
    uint32_t nmod, pending, pending_action;
    nm_rng rng;
    float modf[32];
    size_t i, old_len;
    nm_status st;
    char why[NM_MSG_LEN];

    c.p = payload; c.end = payload + len; c.ok = 1;
    get_config(&c, &cfg, version);
    if (!c.ok) return refuse(NULL, msg, msglen, "truncated checkpoint (config)");
    st = nm_agent_config_check(&cfg, why, sizeof why);
    if (st != NM_OK) {
        nm_write_msg(msg, msglen, "checkpoint holds an invalid config: %s", why);
        return NM_ERR_FORMAT;
    }
    {
        /* Check the length field against the config's before allocating anything, so that a damaged or
         * hostile header cannot make the reader allocate what the file does not hold. */
        nm_agent probe;
        memset(&probe, 0, sizeof probe);
        probe.cfg = cfg;
        nm_net_layout(&probe);
        if (len != payload_bytes(&probe, version))
            return refuse(NULL, msg, msglen, "damaged checkpoint: length field does not match the size of the "
                          "state its config describes");
    }
    st = nm_agent_new(&cfg, &a, why, sizeof why);
    if (st != NM_OK) { nm_write_msg(msg, msglen, "%s", why); return st; }
    old_len = old_block_len(a);
    block_len = nm_get_u64(&c);
    if (block_len != old_len) return refuse(a, msg, msglen, "damaged checkpoint: block length field does not match its config");
    /* persistent state, the pending step's forward cache; the s' cache and scratch are skipped */
    nm_get_floats(&c, a->block, a->off_cache + a->cl.size);
    for (i = 0; i < a->off_cache + a->cl.size; i++)
        if (!isfinite(a->block[i])) return refuse(a, msg, msglen, "damaged checkpoint: non-finite weight");
    nm_get_bytes(&c, 4 * (old_len - a->off_cache - a->cl.size));
    a->trace_bound = INFINITY;   /* unknown for a loaded trace: learn takes the exact norm until a reset */
    for (i = 0; i < 4; i++) rng.s[i] = nm_get_u64(&c);
    nmod = nm_get_u32(&c);
    if (nmod != MOD_FLOATS_V(version)) return refuse(a, msg, msglen, "damaged checkpoint: modulator count field is wrong");
    nm_get_floats(&c, modf, nmod);
    steps = nm_get_u64(&c);
    pending = nm_get_u32(&c);
    pending_action = nm_get_u32(&c);
    if (!c.ok || c.p != c.end) return refuse(a, msg, msglen, "damaged checkpoint: length field does not match the payload");
    for (i = 0; i < nmod; i++)
        if (!isfinite(modf[i])) return refuse(a, msg, msglen, "damaged checkpoint: non-finite modulator state");
    if (pending > 1 || pending_action >= cfg.n_actions || (rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]) == 0)
        return refuse(a, msg, msglen, "damaged checkpoint: invalid step state");
    {
        /* the floats in the order these formats wrote them; a format-2 file ends before the change-point
         * state, which keeps its initial value (unused there: format 2 had only the surprise input) */
        nm_modstate *m = &a->mod;
        const float *f = modf;
        memcpy(m->phasic, f, sizeof m->phasic); f += NM_N_MODULATORS;
        memcpy(m->tonic, f, sizeof m->tonic); f += NM_N_MODULATORS;
        memcpy(m->level, f, sizeof m->level); f += NM_N_MODULATORS;
        memcpy(m->factor, f, sizeof m->factor); f += NM_N_MODULATORS;
        memcpy(m->params, f, sizeof m->params); f += NM_N_PARAMS;
        m->surprise = *f++;
        m->expected = *f++;
        m->unexpected = *f++;
        m->reward_short = *f++;
        m->reward_var = *f++;
        m->utility_drop = *f++;
        if (nmod > 30) { m->outlier_rate = *f++; m->changepoint = *f++; }
    }
    if (pending)
        observation_from_input(a->block + a->off_attn, a->block + a->off_cache + a->cl.input,
                               a->block + a->off_obs, cfg.n_obs);
    a->rng = rng;
    a->steps = steps;
    a->pending = (int)pending;
    a->pending_action = (int)pending_action;
    *out = a;
    return NM_OK;
}
