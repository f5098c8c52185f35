/*
 * learner_rate.c -- the rate actor-critic, the one learner (NM_MODEL_RATE).
 *
 * act(s):   forward pass, sample a ~ pi(.|s), then the eligibility trace
 *              e <- gamma lambda e + grad log pi(a|s) + critic_scale * grad V(s)
 *           (one trace for actor and critic: both are scaled by the same modulated alpha at update time).
 * learn(r, s'): delta = r + gamma V(s') - V(s)            phasic dopamine (V(s') = 0 when terminal)
 *              theta <- theta + alpha * delta_eff * e      the three-factor rule (Fremaux & Gerstner 2016),
 *                                                           delta_eff = delta x the interactions on DA
 *           the outcome predictor learns r for (s, a) by normalised LMS; its squared error is the surprise,
 *           and a second head learns the surprise to expect in (s, a) (predictor.c): ACh tracks that
 *           expectation, NA the surprise beyond it; the modulators advance; a terminal step clears the traces.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

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

static void rate_init(nm_agent *a)
{
    nm_net_init(a);
}

static void rate_act(nm_agent *a, const float *obs, int *action)
{
    float *cache = a->block + a->off_cache, *trace = a->block + a->off_trace;
    float decay;
    nm_net_forward(a, obs, cache, 0);
    *action = sample(&a->rng, cache + a->cl.probs, a->cfg.n_actions);
    decay = a->mod.params[NM_P_DISCOUNT] * a->mod.params[NM_P_TRACE_DECAY];
    /* |decay e + g| <= decay |e| + |g|: a bound on the trace norm that costs O(width) per step */
    a->trace_bound = decay * a->trace_bound +
                     sqrt(nm_net_backward(a, cache, *action, 1.0f, a->cfg.critic_scale, decay, trace));
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

static nm_status rate_learn(nm_agent *a, float reward, const float *next_obs, int terminal)
{
    float *cache = a->block + a->off_cache, *next = a->block + a->off_next;
    float *params = a->block + a->off_params, *trace = a->block + a->off_trace;
    const float *h = nm_net_features(a, cache);
    float v, v_next = 0.0f, gamma, delta, step;
    float *wq, *wu;
    int act = a->pending_action, reset = 0, pred_ok;
    size_t l, F = a->n_features;
    nm_prediction pr;
    nm_mod_signals sig;

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
    /* the outcome predictor and its uncertainty head, for the action taken only (from the act-time h) */
    wq = params + a->pred_w + (size_t)act * F;
    wu = params + a->var_w + (size_t)act * F;
    pred_ok = nm_predictor_observe(a->kern, &a->cfg, F, h, wq, params[a->pred_b + act], wu, params[a->var_b + act],
                                   reward, &pr);
    /* With clipping on, one update moves a weight by at most max_update, so it cannot overflow a finite
     * weight in any realistic run and the full pre-check pass is only needed without clipping. */
    if (!pred_ok || !isfinite(step) ||
        (a->cfg.max_update <= 0.0f && !a->kern->axpy_finite(a->n_traced, step, trace, params)))
        return nm_fail(a, NM_ERR_NUMERIC, "learn: the update would make a weight non-finite "
                       "(delta = %g); the agent is unchanged", (double)delta);

    nm_axpy(a->kern, a->n_traced, step, trace, params);
    if (a->n_anchor) consolidate(a);
    nm_predictor_update(a->kern, F, &pr, h, wq, params + a->pred_b + act, wu, params + a->var_b + act);

    /* the modulators' signals: the step's outcome, the act-time activity and, when the attentional set is on,
     * the input attributions (after this step's update; into the s' cache, which learn no longer needs) */
    sig.reward = reward;
    sig.delta = delta;
    sig.surprise = pr.surprise;
    sig.expected = pr.expected;
    for (l = 0; l < a->cfg.n_layers; l++) sig.activity[l] = cache + a->layer[l].post;
    sig.salience = NULL;
    if (nm_mod_wants_salience(&a->cfg)) {
        float *dh = a->block + a->off_scratch;
        nm_net_salience(a, cache, act, dh, dh + a->max_width, next);
        sig.salience = next;
    }
    nm_agent_modulate(a, &sig, &reset);
    if (terminal || reset) {
        memset(trace, 0, a->n_traced * sizeof *trace);
        a->trace_bound = 0.0;
    }
    return NM_OK;
}

static void rate_evaluate(nm_agent *a, const float *obs, float *probs, float *value)
{
    float *scratch = a->block + a->off_next;
    nm_net_forward(a, obs, scratch, 0);
    if (probs) memcpy(probs, scratch + a->cl.probs, a->cfg.n_actions * sizeof *probs);
    if (value) *value = scratch[a->cl.value];
}

static void rate_gradient(nm_agent *a, const float *obs, int action, float w_logpi, float w_value, float *grad)
{
    float *scratch = a->block + a->off_next;
    memset(grad, 0, a->n_params * sizeof *grad);
    nm_net_forward(a, obs, scratch, 0);
    (void)nm_net_backward(a, scratch, action, w_logpi, w_value, 1.0f, grad);
}

static void rate_reset(nm_agent *a)
{
    memset(a->block + a->off_trace, 0, a->n_traced * sizeof(float));
    a->trace_bound = 0.0;
}

/* params, traces, anchor, gain, attention, salience, activity: the block up to the forward cache */
static uint64_t rate_hash(const nm_agent *a, uint64_t h)
{
    return nm_fnv1a(h, a->block, a->off_cache * sizeof(float));
}

const nm_learner_ops nm_learner_rate = {
    NM_MODEL_RATE, "rate", nm_net_layout, rate_init, rate_act, rate_learn, rate_evaluate, rate_gradient,
    rate_reset, rate_hash
};
