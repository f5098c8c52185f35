/*
 * agent.c -- construction and the online actor-critic step.
 *
 * act(s):   forward pass, sample a ~ pi(.|s), then the eligibility trace
 *              e <- gamma lambda e + grad log pi(a|s) + critic_scale * grad V(s)
 *           (one trace for actor and critic: both are scaled by the same modulated alpha at update time).
 * learn(r, s'): delta = r + gamma V(s') - V(s)            phasic dopamine (V(s') = 0 when terminal)
 *              theta <- theta + alpha * delta_eff * e      the three-factor rule (Fremaux & Gerstner 2016),
 *                                                           delta_eff = delta x the interactions on DA
 *           the outcome predictor learns r for (s, a) by normalised LMS; its squared error is the surprise,
 *           and a second head learns the surprise to expect in (s, a): ACh tracks that expectation, NA the
 *           surprise beyond it; the modulators advance; a terminal step clears the traces.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nm_internal.h"

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
    }
    nm_net_layout(a);
    a->block = calloc(a->block_len, sizeof *a->block);
    if (!a->block) {
        nm_write_msg(msg, msglen, "cannot allocate %lu floats for the agent", (unsigned long)a->block_len);
        free(a);
        return NM_ERR_NOMEM;
    }
    nm_rng_seed(&a->rng, cfg->seed);
    nm_net_init(a);
    nm_mod_init(a);
    *out = a;
    return NM_OK;
}

void nm_agent_free(nm_agent *agent)
{
    if (!agent) return;
    free(agent->block);
    free(agent);
}

const nm_agent_config *nm_agent_get_config(const nm_agent *agent) { return agent ? &agent->cfg : NULL; }

/* Checks an observation argument; `what` names it in the message ("obs", "next_obs"). */
static nm_status check_obs(nm_agent *a, const char *what, const float *obs, size_t n)
{
    size_t i;
    if (!obs) return nm_fail(a, NM_ERR_ARG, "%s is missing", what);
    if (n != a->cfg.n_obs)
        return nm_fail(a, NM_ERR_ARG, "%s has %lu values, expected %lu", what, (unsigned long)n,
                       (unsigned long)a->cfg.n_obs);
    for (i = 0; i < n; i++) {
        if (isnan(obs[i])) return nm_fail(a, NM_ERR_ARG, "%s[%lu] is NaN", what, (unsigned long)i + 1);
        if (isinf(obs[i])) return nm_fail(a, NM_ERR_ARG, "%s[%lu] is infinite", what, (unsigned long)i + 1);
    }
    return NM_OK;
}

static int sample(nm_rng *rng, const float *probs, size_t n)
{
    double u = nm_rng_uniform(rng), c = 0.0;
    size_t i;
    for (i = 0; i + 1 < n; i++) {
        c += probs[i];
        if (u < c) return (int)i;
    }
    return (int)(n - 1);
}

nm_status nm_agent_act(nm_agent *a, const float *obs, size_t n, int *action)
{
    float *cache, *trace;
    float decay;
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if (!action) return nm_fail(a, NM_ERR_ARG, "action is NULL");
    if ((st = check_obs(a, "obs", obs, n)) != NM_OK) return st;
    cache = a->block + a->off_cache;
    trace = a->block + a->off_trace;
    nm_net_forward(a, obs, cache, 0);
    memcpy(a->block + a->off_obs, obs, n * sizeof *obs);   /* a checkpoint redoes the forward pass from it */
    *action = sample(&a->rng, cache + a->cl.probs, a->cfg.n_actions);
    decay = a->mod.params[NM_P_DISCOUNT] * a->mod.params[NM_P_TRACE_DECAY];
    /* |decay e + g| <= decay |e| + |g|: a bound on the trace norm that costs O(width) per step */
    a->trace_bound = decay * a->trace_bound +
                     sqrt(nm_net_backward(a, cache, *action, 1.0f, a->cfg.critic_scale, decay, trace));
    a->pending = 1;
    a->pending_action = *action;
    a->msg[0] = '\0';
    return NM_OK;
}

/* Consolidation as two coupled synaptic variables (Benna & Fusi 2016): each weight is pulled toward a slow
 * anchor by kappa (the consolidation meta-parameter: 5-HT raises it, the weight of prior knowledge; NA
 * lowers it, letting go at a change), and the anchor follows the weight over tau_tonic.5HT steps. */
static void consolidate(nm_agent *a)
{
    float *theta = a->block + a->off_params, *anchor = a->block + a->off_anchor;
    float kappa = a->mod.params[NM_P_CONSOLIDATION], follow = 1.0f / a->cfg.tau_tonic[NM_5HT];
    size_t i, n = a->n_anchor;
    if (kappa > 0.5f) kappa = 0.5f;
    for (i = 0; i < n; i++) {
        float d = theta[i] - anchor[i];
        theta[i] -= kappa * d;
        anchor[i] += follow * (d - kappa * d);
    }
}

nm_status nm_agent_learn(nm_agent *a, float reward, const float *next_obs, size_t n, int terminal)
{
    float *cache, *next, *params, *trace;
    const float *h;
    float v, v_next = 0.0f, gamma, delta, step, eps, eta, eta_var, surprise, expected, var_target, predicted_var;
    int act, reset = 0;
    size_t F;
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if (!a->pending) return nm_fail(a, NM_ERR_STATE, "learn called without a preceding act");
    if (!isfinite(reward)) return nm_fail(a, NM_ERR_ARG, "reward is %s", isnan(reward) ? "NaN" : "infinite");
    if (!terminal || next_obs || n) {
        if ((st = check_obs(a, "next_obs", next_obs, n)) != NM_OK) return st;
    }
    cache = a->block + a->off_cache;
    next = a->block + a->off_next;
    params = a->block + a->off_params;
    trace = a->block + a->off_trace;
    act = a->pending_action;
    F = a->n_features;
    h = a->cfg.n_layers ? cache + a->layer[a->cfg.n_layers - 1].post : cache + a->cl.input;

    v = cache[a->cl.value];
    if (!terminal) {
        nm_net_forward(a, next_obs, next, 1);
        v_next = next[a->cl.value];
    }
    gamma = a->mod.params[NM_P_DISCOUNT];
    delta = reward + gamma * v_next - v;
    step = a->mod.params[NM_P_LEARNING_RATE] * delta * a->mod.factor[NM_DA];
    /* Update-norm clipping (Pascanu et al. 2013): |step| * |e| <= max_update. Online actor-critic with
     * accumulating traces diverges when a large TD error meets a long trace; the clip bounds one update
     * without changing its direction. */
    /* The exact norm, a pass over every weight, is only needed when the bound says the clip might act; the
     * margin covers the float rounding of the trace (relative error < 1e-4 even at decay 0.999), so the
     * result is the same as always computing it. */
    if (a->cfg.max_update > 0.0f && isfinite(step) &&
        !(fabs((double)step) * a->trace_bound * (1.0 + 1e-3) <= a->cfg.max_update)) {
        double norm = sqrt(nm_sumsq(a->kern, a->n_traced, trace)) * fabs((double)step);
        if (norm > a->cfg.max_update) step = (float)(step * (a->cfg.max_update / norm));
    }
    /* the outcome predictor and its uncertainty head, for the action taken only (from the act-time h; their
     * weights have not changed since) */
    eps = reward - (params[a->pred_b + act] + nm_dot(F, params + a->pred_w + (size_t)act * F, h));
    /* a surprise beyond 1e6 says no more than 1e6 does, and cannot overflow the modulators */
    surprise = fabsf(eps) < 1e3f ? eps * eps : 1e6f;
    /* the expected surprise of this state and action, floored so that ratios stay finite */
    predicted_var = params[a->var_b + act] + nm_dot(F, params + a->var_w + (size_t)act * F, h);
    expected = predicted_var;
    if (!(expected > a->cfg.surprise_floor)) expected = a->cfg.surprise_floor;
    /* The uncertainty head learns the squared error, clipped at na_threshold x its own prediction: persistent
     * noise raises it geometrically, a burst of surprise after a clean switch barely moves it (it is read as
     * change, by NA, not as noise). It learns at a quarter of the predictor's rate. */
    var_target = surprise < a->cfg.na_threshold * expected ? surprise : a->cfg.na_threshold * expected;
    /* normalised LMS: the step is scaled by 1 / (1 + |h|^2), stable for any width (rate < 2) */
    {
        float hh = 1.0f + nm_dot(F, h, h);
        eta = a->cfg.predictor_rate * eps / hh;
        eta_var = 0.25f * a->cfg.predictor_rate * (var_target - predicted_var) / hh;
    }
    /* With clipping on, one update moves a weight by at most max_update, so it cannot overflow a finite
     * weight in any realistic run and the full pre-check pass is only needed without clipping. */
    if (!isfinite(step) || !isfinite(eta) || !isfinite(eta_var) ||
        (a->cfg.max_update <= 0.0f && !a->kern->axpy_finite(a->n_traced, step, trace, params)) ||
        !a->kern->axpy_finite(F, eta, h, params + a->pred_w + (size_t)act * F) ||
        !a->kern->axpy_finite(F, eta_var, h, params + a->var_w + (size_t)act * F))
        return nm_fail(a, NM_ERR_NUMERIC, "learn: the update would make a weight non-finite "
                       "(delta = %g); the agent is unchanged", (double)delta);

    nm_axpy(a->kern, a->n_traced, step, trace, params);
    if (a->n_anchor) consolidate(a);
    nm_axpy(a->kern, F, eta, h, params + a->pred_w + (size_t)act * F);
    params[a->pred_b + act] += eta;
    nm_axpy(a->kern, F, eta_var, h, params + a->var_w + (size_t)act * F);
    params[a->var_b + act] += eta_var;

    nm_mod_step(a, reward, delta, surprise, expected, &reset);
    if (terminal || reset) {
        memset(trace, 0, a->n_traced * sizeof *trace);
        a->trace_bound = 0.0;
    }
    a->pending = 0;
    a->steps++;
    a->msg[0] = '\0';
    return NM_OK;
}

void nm_agent_reset_traces(nm_agent *a)
{
    if (!a) return;
    memset(a->block + a->off_trace, 0, a->n_traced * sizeof(float));
    a->trace_bound = 0.0;
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
    float *scratch;
    nm_status st;
    if (!a) return NM_ERR_ARG;
    if ((st = check_obs(a, "obs", obs, n)) != NM_OK) return st;
    scratch = a->block + a->off_next;
    nm_net_forward(a, obs, scratch, 0);
    if (probs) memcpy(probs, scratch + a->cl.probs, a->cfg.n_actions * sizeof *probs);
    if (value) *value = scratch[a->cl.value];
    return NM_OK;
}

size_t nm_agent_param_count(const nm_agent *a) { return a ? a->n_params : 0; }
float *nm_agent_params(nm_agent *a) { return a ? a->block + a->off_params : NULL; }

size_t nm_agent_tensor_count(const nm_agent *a) { return a ? 2 * a->cfg.n_layers + 8 : 0; }

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
        out->rows = ly->out;
        out->cols = (i % 2) ? 1 : ly->in;
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
    float *scratch;
    if (!a) return NM_ERR_ARG;
    if ((st = check_obs(a, "obs", obs, n)) != NM_OK) return st;
    if (action < 0 || (size_t)action >= a->cfg.n_actions)
        return nm_fail(a, NM_ERR_ARG, "action %d is out of range 0..%lu", action,
                       (unsigned long)a->cfg.n_actions - 1);
    if (!grad) return nm_fail(a, NM_ERR_ARG, "grad is NULL");
    scratch = a->block + a->off_next;
    memset(grad, 0, a->n_params * sizeof *grad);
    nm_net_forward(a, obs, scratch, 0);
    (void)nm_net_backward(a, scratch, action, w_logpi, w_value, 1.0f, grad);
    return NM_OK;
}

const char *nm_agent_kernel_set(const nm_agent *a) { return a ? a->kern->name : NULL; }

uint64_t nm_agent_state_hash(const nm_agent *a)
{
    uint64_t h = 0xCBF29CE484222325ull;
    if (!a) return 0;
    h = nm_fnv1a(h, a->block, a->off_cache * sizeof(float)); /* params, traces, gain, attention, salience, activity */
    h = nm_fnv1a(h, &a->mod, sizeof a->mod);
    h = nm_fnv1a(h, a->rng.s, sizeof a->rng.s);
    h = nm_fnv1a(h, &a->steps, sizeof a->steps);
    return h;
}
