/*
 * agent.c -- construction, argument checks and call order; the learner chosen at creation does the work
 * (learner_rate.c: the rate actor-critic).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nm_internal.h"

/* The learners by model (an implementation table, as libsodium picks one per primitive). */
static const nm_learner_ops *const learners[NM_N_MODELS] = {
    &nm_learner_rate,      /* NM_MODEL_RATE */
    &nm_learner_spiking,   /* NM_MODEL_SPIKING */
};

const nm_learner_ops *nm_learner_find(nm_model model)
{
    return (unsigned)model < NM_N_MODELS ? learners[model] : NULL;
}

/* Names the first non-finite value of a modulator state for a message; "" if all are finite. */
static void describe_nonfinite(const nm_agent *a, const nm_modstate *m, char *out, size_t len)
{
    int p, k;
    out[0] = '\0';
    for (p = 0; p < NM_N_PARAMS; p++)
        if (!isfinite(m->params[p])) {
            nm_write_msg(out, len, "the meta-parameter %s would be %g (from base.%s and the mapping row %s; "
                         "its entries or the interactions are too large)", nm_param_name(p), (double)m->params[p],
                         nm_param_name(p), nm_param_name(p));
            return;
        }
    for (k = 0; k < NM_N_MODULATORS; k++)
        if (!isfinite(m->level[k]) || !isfinite(m->factor[k])) {
            nm_write_msg(out, len, "the level of %s would be %g (interactions.%s too large)",
                         nm_modulator_name(k), (double)m->level[k], nm_modulator_name(k));
            return;
        }
    (void)a;
    nm_write_msg(out, len, "the modulator state would overflow (reward or surprise too large)");
}

nm_status nm_agent_new(const nm_agent_config *cfg, nm_agent **out, char *msg, size_t msglen)
{
    nm_agent *a;
    nm_status st;
    if (msg && msglen) msg[0] = '\0';
    if (!out) { nm_write_msg(msg, msglen, "out is NULL"); return NM_ERR_ARG; }
    *out = NULL;
    st = nm_agent_config_check(cfg, msg, msglen);
    if (st != NM_OK) return st;
    a = calloc(1, sizeof *a);
    if (!a) { nm_write_msg(msg, msglen, "cannot allocate the agent"); return NM_ERR_NOMEM; }
    a->cfg = *cfg;
    /* NEUROMOD_KERNELS names a kernel set to use instead of the widest (to measure one, or to rule the
     * choice out when chasing a problem): every set gives the same bits, so only speed changes. */
    {
        const char *want = getenv("NEUROMOD_KERNELS");
        a->kern = nm_kernels_find(want && *want ? want : NULL);
        if (!a->kern) {
            nm_write_msg(msg, msglen, "NEUROMOD_KERNELS=%s: not a kernel set this CPU runs (the sets: avx512, "
                         "avx2, generic)", want);
            free(a);
            return NM_ERR_ARG;
        }
        if (!cfg->deterministic) a->kern = nm_kernels_blas(a->kern);   /* large layers may use OpenBLAS */
    }
    /* the learner the config names */
    a->model = cfg->model;
    a->learner = nm_learner_find(a->model);
    if (!a->learner) {
        nm_write_msg(msg, msglen, "model %d: no such learner", (int)a->model);
        free(a);
        return NM_ERR_ARG;
    }
    if (a->learner->check && (st = a->learner->check(cfg, msg, msglen)) != NM_OK) {
        free(a);
        return st;
    }
    a->learner->layout(a);
    nm_cont_layout(a);
    /* a recurrent agent's block starts where its first recurrent layer's weights fall on a cache line (the
     * layout puts that layer's trace and eligibility vectors on lines too: nm_net_layout) */
    a->block_mem = calloc(a->block_len + (a->n_rec ? NM_LINE_FLOATS - 1 : 0), sizeof *a->block);
    a->block = a->block_mem;
    if (a->block && a->n_rec) {
        size_t off = (size_t)((uintptr_t)(a->block_mem + a->align_at) % (NM_LINE_FLOATS * sizeof(float)));
        a->block += (NM_LINE_FLOATS * sizeof(float) - off) % (NM_LINE_FLOATS * sizeof(float)) / sizeof(float);
    }
    if (!a->block) {
        nm_write_msg(msg, msglen, "cannot allocate %lu floats for the agent", (unsigned long)a->block_len);
        free(a);
        return NM_ERR_NOMEM;
    }
    nm_rng_seed(&a->rng, cfg->seed);
    a->learner->init(a);
    nm_cont_init(a);
    nm_mod_consts_init(&a->cfg, &a->modc);
    nm_mod_init(&a->cfg, &a->mod);
    {
        nm_mod_effects fx;
        fx.focus = a->block + a->off_gain;
        fx.set = a->block + a->off_attn;
        nm_mod_effects_of(&a->cfg, &a->mod, a->block + a->off_sal, a->block + a->off_act, &fx);
        nm_agent_apply_effects(a, &fx);
    }
    /* the invariant from the start: a config whose initial meta-parameters overflow is refused by name */
    if (!a->kern->all_finite(sizeof a->mod / sizeof(float), (const float *)&a->mod) ||
        !a->kern->all_finite(a->off_sal - a->off_gain, a->block + a->off_gain)) {
        char why[200];
        describe_nonfinite(a, &a->mod, why, sizeof why);
        nm_write_msg(msg, msglen, "config: %s", why);
        nm_agent_free(a);
        return NM_ERR_ARG;
    }
    *out = a;
    return NM_OK;
}

void nm_agent_free(nm_agent *agent)
{
    if (!agent) return;
    free(agent->block_mem);
    free(agent);
}

const nm_agent_config *nm_agent_get_config(const nm_agent *agent) { return agent ? &agent->cfg : NULL; }

/* 1 if no x is inf or NaN: one pass without branches (exponent all ones: |x|'s bits + 2^23 carry into bit 31);
 * observations are short, so this beats the kernel table's call */
int nm_finite_all(const float *x, size_t n)
{
    uint32_t bad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        bad |= (u & 0x7fffffffu) + 0x00800000u;
    }
    return !(bad & 0x80000000u);
}

/* Checks an observation argument; `what` names it in the message ("obs", "next_obs"). */
static nm_status check_obs(nm_agent *a, const char *what, const float *obs, size_t n)
{
    size_t i;
    if (!obs) return nm_fail(a, NM_ERR_ARG, "%s is missing", what);
    if (n != a->cfg.n_obs)
        return nm_fail(a, NM_ERR_ARG, "%s has %lu values, expected %lu", what, (unsigned long)n,
                       (unsigned long)a->cfg.n_obs);
    if (nm_finite_all(obs, n)) return NM_OK;   /* else find the first, for the message */
    for (i = 0; i < n; i++) {
        if (isnan(obs[i])) return nm_fail(a, NM_ERR_ARG, "%s[%lu] is NaN", what, (unsigned long)i + 1);
        if (isinf(obs[i])) return nm_fail(a, NM_ERR_ARG, "%s[%lu] is infinite", what, (unsigned long)i + 1);
    }
    return NM_OK;
}

nm_status nm_agent_act(nm_agent *a, const float *obs, size_t n, int *action)
{
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if (!action) return nm_fail(a, NM_ERR_ARG, "action is NULL");
    if ((st = check_obs(a, "obs", obs, n)) != NM_OK) return st;
    if ((st = a->learner->act(a, obs, action)) != NM_OK) return st;
    memcpy(a->block + a->off_obs, obs, n * sizeof *obs);   /* a checkpoint redoes the forward pass from it */
    a->pending = 1;
    a->pending_action = *action;
    a->msg[0] = '\0';
    return NM_OK;
}

nm_status nm_agent_learn(nm_agent *a, float reward, const float *next_obs, size_t n, int flags)
{
    nm_status st;
    int terminal, truncated;
    if (!a) return NM_ERR_ARG;
    if (flags & ~(NM_TERMINAL | NM_TRUNCATED))
        return nm_fail(a, NM_ERR_ARG, "flags: %d has bits other than NM_TERMINAL (1) and NM_TRUNCATED (2)", flags);
    truncated = (flags & NM_TRUNCATED) != 0;
    terminal = !truncated && (flags & NM_TERMINAL);
    if (!a->pending) return nm_fail(a, NM_ERR_STATE, "learn called without a preceding act");
    if (!isfinite(reward)) return nm_fail(a, NM_ERR_ARG, "reward is %s", isnan(reward) ? "NaN" : "infinite");
    if (!terminal || next_obs || n) {
        if ((st = check_obs(a, "next_obs", next_obs, n)) != NM_OK) return st;
    }
    if ((st = a->learner->learn(a, reward, next_obs, terminal)) != NM_OK) return st;
    /* a truncated episode was cut, not ended: V(s') was bootstrapped above; now the episode's traces end */
    if (truncated) a->learner->reset(a);
    a->pending = 0;
    a->steps++;
    a->msg[0] = '\0';
    return NM_OK;
}

/* The gain of each trunk unit is NA's gain times the focus, the attention of each input ACh's attention times
 * the set: the effects' factors are written into the gain and attention vectors and combined there. */
void nm_agent_apply_effects(nm_agent *a, const nm_mod_effects *fx)
{
    float *gain = a->block + a->off_gain;
    size_t l;
    for (l = 0; l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (!fx->focused[l]) a->kern->fill(L->out, a->mod.params[NM_P_GAIN], gain + L->gain);   /* every unit G */
        else nm_mod_compose_gain(L->out, a->mod.params[NM_P_GAIN], 1, fx->focus + L->gain, fx->focus_sum[l],
                                 gain + L->gain);
    }
    if (a->n_gate) nm_cont_gate(a, gain);   /* the context's gate: one more factor of each unit's gain */
    nm_mod_compose_attention(a->cfg.n_obs, a->mod.params[NM_P_ATTENTION], fx->has_set, fx->set,
                             a->block + a->off_attn);
}

void nm_agent_refresh_effects(nm_agent *a)
{
    nm_mod_effects fx;
    fx.focus = a->block + a->off_gain;
    fx.set = a->block + a->off_attn;
    nm_mod_effects_of(&a->cfg, &a->mod, a->block + a->off_sal, a->block + a->off_act, &fx);
    nm_agent_apply_effects(a, &fx);
}

/* The modnext scratch: the step's salience (n_obs), activity (hidden units), focus (hidden units), set (n_obs). */
static size_t hidden_units(const nm_agent *a) { return a->off_attn - a->off_gain; }

/* The gain and attention that commit composes from the state m and its effects fx, in its arithmetic
 * (nm_mod_compose_*): 0 when every one is finite; else 1 with *l, *i the trunk layer and unit of a gain that would
 * not be, or 2 with *i the input of such an attention. A unit's gain is at most its layer's budget G n, an input's
 * attention A x set. */
static int effects_overflow(const nm_agent *a, const nm_modstate *m, const nm_mod_effects *fx, size_t *l,
                            size_t *i)
{
    const nm_agent_config *c = &a->cfg;
    for (*l = 0; *l < c->n_layers; (*l)++) {
        const nm_layer *L = &a->layer[*l];
        float kk;
        if (!fx->focused[*l]) continue;
        kk = m->params[NM_P_GAIN] * (float)L->out / fx->focus_sum[*l];
        /* every e_i is >= 0 (an exp) and their sum is >= each, so a finite fl(sum kk) (hence a finite sum: no e_i
         * inf or NaN) bounds every |fl(e_i kk)| by rounding's monotonicity: one product vouches for the layer; the
         * loop finds the unit (or none, when only the bound overflowed) */
        if (isfinite(fx->focus_sum[*l] * kk)) continue;
        for (*i = 0; *i < L->out; (*i)++)
            if (!isfinite(fx->focus[L->gain + *i] * kk)) return 1;
    }
    if (fx->has_set)
        for (*i = 0; *i < c->n_obs; (*i)++)
            if (!isfinite(m->params[NM_P_ATTENTION] * fx->set[*i])) return 2;
    return 0;
}

/* Whether nm_agent_modulate_prepare's tests take m as the agent's modulator state: every float finite, and the
 * gain and attention composed from it and the agent's salience and activity (the effects computed into the modnext
 * scratch, free outside a learn's modulator step) */
int nm_agent_modstate_ok(nm_agent *a, const nm_modstate *m)
{
    float *scratch = a->block + a->off_modnext;
    size_t units = hidden_units(a), n = a->cfg.n_obs, l, i;
    nm_mod_effects fx;
    if (!nm_finite_all((const float *)m, sizeof *m / sizeof(float))) return 0;
    fx.focus = scratch + n + units;
    fx.set = scratch + n + 2 * units;
    nm_mod_effects_of(&a->cfg, m, a->block + a->off_sal, a->block + a->off_act, &fx);
    return effects_overflow(a, m, &fx, &l, &i) == 0;
}

nm_status nm_agent_modulate_prepare(nm_agent *a, const nm_mod_signals *sig, nm_modstate *next, nm_mod_effects *fx)
{
    const nm_agent_config *c = &a->cfg;
    float *scratch = a->block + a->off_modnext;
    size_t units = hidden_units(a), n = c->n_obs, l, i;
    nm_mod_vectors vec;
    char why[200];
    vec.salience_in = a->block + a->off_sal;
    vec.activity_in = a->block + a->off_act;
    /* vectors the step does not advance stay where they are (no copy) */
    vec.salience_out = nm_mod_wants_salience(c) ? scratch : a->block + a->off_sal;
    vec.activity_out = nm_mod_wants_activity(c) ? scratch + n : a->block + a->off_act;
    fx->focus = scratch + n + units;
    fx->set = scratch + n + 2 * units;
    nm_mod_step(c, &a->modc, &a->mod, sig, next, &vec, fx);
    /* the state is all floats: one pass of the finite test */
    if (!nm_finite_all((const float *)next, sizeof *next / sizeof(float))) {
        describe_nonfinite(a, next, why, sizeof why);
        return nm_fail(a, NM_ERR_NUMERIC, "%s; the agent is unchanged", why);
    }
    switch (effects_overflow(a, next, fx, &l, &i)) {
    case 1:
        return nm_fail(a, NM_ERR_NUMERIC, "the gain of trunk%lu unit %lu would not be finite (gain %g, gain_focus %g); "
                       "the agent is unchanged", (unsigned long)l + 1, (unsigned long)i + 1,
                       (double)next->params[NM_P_GAIN], (double)c->gain_focus);
    case 2:
        return nm_fail(a, NM_ERR_NUMERIC, "the attention of input %lu would not be finite (attention %g); the agent "
                       "is unchanged", (unsigned long)i + 1, (double)next->params[NM_P_ATTENTION]);
    default:
        return NM_OK;
    }
}

void nm_agent_modulate_commit(nm_agent *a, const nm_modstate *next, const nm_mod_effects *fx, int *reset)
{
    const float *scratch = a->block + a->off_modnext;
    size_t n = a->cfg.n_obs;
    a->mod = *next;
    if (nm_mod_wants_salience(&a->cfg)) memcpy(a->block + a->off_sal, scratch, n * sizeof(float));
    if (nm_mod_wants_activity(&a->cfg))
        memcpy(a->block + a->off_act, scratch + n, hidden_units(a) * sizeof(float));
    nm_agent_apply_effects(a, fx);
    *reset = fx->reset;
}

void nm_agent_reset_traces(nm_agent *a)
{
    if (!a) return;
    a->learner->reset(a);
    a->pending = 0;
}

void nm_agent_get_modulators(const nm_agent *a, nm_modulator_state *out)
{
    int k;
    if (!a || !out) return;
    for (k = 0; k < NM_N_MODULATORS; k++) {
        out->level[k] = a->mod.level[k];
        out->phasic[k] = a->mod.phasic[k];
        out->tonic[k] = a->mod.tonic[k];
    }
    /* DA's reported level is the phasic signal itself, the latest TD error */
    out->level[NM_DA] = a->mod.phasic[NM_DA];
    memcpy(out->params, a->mod.params, sizeof out->params);
    out->surprise = a->mod.surprise;
    out->steps = a->steps;
    out->expected = a->mod.expected;
    out->unexpected = a->mod.unexpected;
    out->changepoint = a->mod.changepoint;
    out->outlier_rate = a->mod.outlier_rate;
    out->reward_short = a->mod.reward_short;
    out->reward_variance = a->mod.reward_var;
    out->utility_drop = a->mod.utility_drop;
}

nm_status nm_agent_attention(nm_agent *a, float *out, size_t n)
{
    if (!a) return NM_ERR_ARG;
    if (!out || n != a->cfg.n_obs)
        return nm_fail(a, NM_ERR_ARG, "attention: need a buffer of %lu floats", (unsigned long)a->cfg.n_obs);
    memcpy(out, a->block + a->off_attn, n * sizeof *out);
    return NM_OK;
}

nm_status nm_agent_gain(nm_agent *a, size_t layer, float *out, size_t n)
{
    if (!a) return NM_ERR_ARG;
    if (!a->learner->gradient)   /* no trunk: the spiking learner's gain is one number, the meta-parameter */
        return nm_fail(a, NM_ERR_ARG, "gain: not available for the %s model (its meta-parameter gain scales every "
                       "E cell's input)", a->learner->name);
    if (layer >= a->cfg.n_layers)
        return nm_fail(a, NM_ERR_ARG, "gain: layer %lu out of range 1..%lu", (unsigned long)layer + 1,
                       (unsigned long)a->cfg.n_layers);
    if (!out || n != a->layer[layer].out)
        return nm_fail(a, NM_ERR_ARG, "gain: need a buffer of %lu floats", (unsigned long)a->layer[layer].out);
    memcpy(out, a->block + a->off_gain + a->layer[layer].gain, n * sizeof *out);
    return NM_OK;
}

nm_status nm_agent_evaluate(nm_agent *a, const float *obs, size_t n, float *probs, float *value)
{
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if ((st = check_obs(a, "obs", obs, n)) != NM_OK) return st;
    a->learner->evaluate(a, obs, probs, value);
    return NM_OK;
}

size_t nm_agent_param_count(const nm_agent *a) { return a ? a->n_params : 0; }
float *nm_agent_params(nm_agent *a) { return a ? a->block + a->off_params : NULL; }

/* The named tensors are the rate network's; the spiking learner has none (its gradient op is NULL). */
size_t nm_agent_tensor_count(const nm_agent *a) { return a && a->learner->gradient ? 2 * a->cfg.n_layers + 8 : 0; }

nm_status nm_agent_tensor(const nm_agent *a, size_t i, nm_tensor_info *out)
{
    static const char *const trunk_names[2 * NM_MAX_LAYERS] = {
        "trunk1.weight", "trunk1.bias", "trunk2.weight", "trunk2.bias", "trunk3.weight", "trunk3.bias",
        "trunk4.weight", "trunk4.bias", "trunk5.weight", "trunk5.bias", "trunk6.weight", "trunk6.bias",
        "trunk7.weight", "trunk7.bias", "trunk8.weight", "trunk8.bias"
    };
    size_t L, A, F;
    if (!a || !out) return NM_ERR_ARG;
    L = a->cfg.n_layers; A = a->cfg.n_actions; F = a->n_features;
    if (i >= nm_agent_tensor_count(a)) return NM_ERR_ARG;
    if (i < 2 * L) {
        const nm_layer *ly = &a->layer[i / 2];
        out->name = trunk_names[i];
        out->offset = (i % 2) ? ly->b : ly->w;
        out->rows = (i % 2) ? ly->out : ly->wrows;   /* a recurrent layer's weight is [W U]', by input */
        out->cols = (i % 2) ? 1 : ly->wcols;
        return NM_OK;
    }
    switch (i - 2 * L) {
    case 0: out->name = "policy.weight"; out->offset = a->policy_w; out->rows = A; out->cols = F; break;
    case 1: out->name = "policy.bias"; out->offset = a->policy_b; out->rows = A; out->cols = 1; break;
    case 2: out->name = "value.weight"; out->offset = a->value_w; out->rows = 1; out->cols = F; break;
    case 3: out->name = "value.bias"; out->offset = a->value_b; out->rows = 1; out->cols = 1; break;
    case 4: out->name = "predictor.weight"; out->offset = a->pred_w; out->rows = A; out->cols = F; break;
    case 5: out->name = "predictor.bias"; out->offset = a->pred_b; out->rows = A; out->cols = 1; break;
    case 6: out->name = "predictor_var.weight"; out->offset = a->var_w; out->rows = A; out->cols = F; break;
    default: out->name = "predictor_var.bias"; out->offset = a->var_b; out->rows = A; out->cols = 1; break;
    }
    return NM_OK;
}

nm_status nm_agent_gradient(nm_agent *a, const float *obs, size_t n, int action, float w_logpi, float w_value,
                            float *grad)
{
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if ((st = check_obs(a, "obs", obs, n)) != NM_OK) return st;
    if (action < 0 || (size_t)action >= a->cfg.n_actions)
        return nm_fail(a, NM_ERR_ARG, "action %d is out of range 0..%lu", action,
                       (unsigned long)a->cfg.n_actions - 1);
    if (!grad) return nm_fail(a, NM_ERR_ARG, "grad is NULL");
    if (!a->learner->gradient)
        return nm_fail(a, NM_ERR_ARG, "gradient: not available for the %s model", a->learner->name);
    a->learner->gradient(a, obs, action, w_logpi, w_value, grad);
    return NM_OK;
}

const char *nm_agent_kernel_set(const nm_agent *a) { return a ? a->kern->name : NULL; }

uint64_t nm_agent_state_hash(const nm_agent *a)
{
    uint64_t h = 0xCBF29CE484222325ull;
    if (!a) return 0;
    h = a->learner->hash(a, h);
    h = nm_cont_hash(a, h);
    h = nm_fnv1a(h, &a->mod, sizeof a->mod);
    h = nm_fnv1a(h, a->rng.s, sizeof a->rng.s);
    h = nm_fnv1a(h, &a->steps, sizeof a->steps);
    return h;
}
