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

/* Names the first non-finite value of a forward cache (act's message). */
static nm_status forward_fail(nm_agent *a, const float *obs, const float *cache)
{
    const nm_cache_layout *cl = &a->cl;
    size_t i, l;
    for (i = 0; i < a->cfg.n_obs; i++)
        if (!isfinite(cache[cl->input + i]))
            return nm_fail(a, NM_ERR_NUMERIC, "obs[%lu] = %g times its attention %g is not finite; the agent "
                           "is unchanged", (unsigned long)i + 1, (double)obs[i],
                           (double)a->block[a->off_attn + i]);
    for (l = 0; l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        for (i = 0; i < L->out; i++)
            if (!isfinite(cache[L->pre + i]))
                return nm_fail(a, NM_ERR_NUMERIC, "the pre-activation of trunk%lu unit %lu is %g (its gain "
                               "%g; largest |obs| too large for the weights); the agent is unchanged",
                               (unsigned long)l + 1, (unsigned long)i + 1, (double)cache[L->pre + i],
                               (double)a->block[a->off_gain + L->gain + i]);
    }
    return nm_fail(a, NM_ERR_NUMERIC, "the policy or value is not finite (inverse_temperature %g, "
                   "withhold_bias %g); the agent is unchanged", (double)a->mod.params[NM_P_INVERSE_TEMPERATURE],
                   (double)a->mod.params[NM_P_WITHHOLD_BIAS]);
}

/* Act computes into the cache and the trace, and keeps them only when finite: the forward pass is checked (one
 * pass over the cache), the trace by its norm bound, |decay e + g| <= |decay| |e| + |g|, which costs O(width) per
 * step (|g| from the norms of the vectors whose outer products make it). Usually the bound is known before the
 * trace is written and is below NM_SAFE_BOUND: the trace (and the recurrent layers' eligibility vectors) is then
 * written in place, and the act cannot be refused (nm_net_trace_inplace). Otherwise (a bound unknown after a
 * checkpoint load, or too large) the new trace is written into the second buffer, scanned only when the bound
 * cannot vouch for it, and the two swap roles only when it is kept, so undoing a refused act restores only the
 * generator and the pending step's cache (kept aside when an act was pending); the live
 * trace was never written. Both ways take the same arithmetic, so the trace's bits do not depend on the way. */
static nm_status rate_act(nm_agent *a, const float *obs, int *action)
{
    float *cache = a->block + a->off_cache, *trace = a->block + a->off_trace, *fresh = a->block + a->off_trace2;
    float *held = a->block + a->off_next;   /* s' cache: not live in act */
    nm_rng rng0 = a->rng;
    size_t live;
    nm_status st;
    double bound;
    float decay;
    nm_net_settle(a);   /* the pending step's deferred passes read its cache, which this one overwrites */
    /* an act while one is pending (its learn was refused, or none came): that act's cache is kept aside until
     * this one is taken, and put back if it is refused. It cannot be redone from the act's observation: a context
     * announced since has changed the gain and the meta-parameters the pass reads. */
    if (a->pending) memcpy(held, cache, a->cl.size * sizeof *cache);
    nm_net_forward(a, obs, a->block + a->off_rstate, cache, 0);
    if (!a->kern->all_finite(a->cl.size, cache)) {
        st = forward_fail(a, obs, cache);
        goto undo_cache;
    }
    *action = sample(&a->rng, cache + a->cl.probs, a->cfg.n_actions);
    decay = a->mod.params[NM_P_DISCOUNT] * a->mod.params[NM_P_TRACE_DECAY];
    if (nm_net_trace_inplace(a, cache, *action, 1.0f, a->cfg.critic_scale, decay, &bound)) {
        a->trace_bound = bound;
        nm_net_state_advance(a, cache);
        return NM_OK;
    }
    /* |decay|: a loaded checkpoint may hold any finite discount and trace decay, and a negative decay must not
     * turn the bound negative (it would vouch for anything) */
    bound = fabs((double)decay) * a->trace_bound + sqrt(nm_net_backward(a, cache, *action, 1.0f, a->cfg.critic_scale, decay,
                                                          trace, fresh, a->block + a->off_elig,
                                                          a->block + a->off_elig2));
    if (!(bound < NM_SAFE_BOUND)) {
        if (!a->kern->all_finite(a->n_traced, fresh)) {
            a->rng = rng0;
            st = nm_fail(a, NM_ERR_NUMERIC, "the step would make an eligibility trace non-finite (an "
                         "observation too large for the weights and gain); the agent is unchanged");
            goto undo_cache;
        }
        /* unknown (a loaded trace) or overflowed in double: the exact norm is a bound too; only whether learn
         * takes the exact norm for clipping depends on it, never a result */
        if (!isfinite(bound)) bound = sqrt(nm_sumsq(a->kern, a->n_traced, fresh));
    }
    live = a->off_trace2;
    a->off_trace2 = a->off_trace;
    a->off_trace = live;
    a->trace_bound = bound;
    /* the recurrent layers' eligibility vectors were written beside the live ones, as the trace was */
    live = a->off_elig2;
    a->off_elig2 = a->off_elig;
    a->off_elig = live;
    nm_net_elig_measure(a);   /* their bound for the next in-place step */
    nm_net_state_advance(a, cache);
    return NM_OK;
undo_cache:
    if (a->pending) memcpy(cache, held, a->cl.size * sizeof *cache);
    return st;
}

/* Consolidation as two coupled synaptic variables (Benna & Fusi 2016): each weight is pulled toward a slow
 * anchor by kappa (the consolidation meta-parameter: 5-HT raises it, the weight of prior knowledge; NA
 * lowers it, letting go at a change), and the anchor follows the weight over tau_tonic.5HT steps. */
static void consolidate(nm_agent *a)
{
    float kappa = a->mod.params[NM_P_CONSOLIDATION], follow = 1.0f / a->cfg.tau_tonic[NM_5HT];
    if (kappa > 0.5f) kappa = 0.5f;
    a->kern->consolidate(a->n_anchor, kappa, follow, a->block + a->off_params, a->block + a->off_anchor);
}

/* Whether theta + step e, then consolidation, stays finite, in the update's arithmetic. reach = |step| |e| (a
 * bound): a finite weight moved by at most 1e30 stays finite (half an ulp at FLT_MAX is 1.0e31), so without
 * consolidation the pass over every weight is needed only beyond that (never with clipping on: max_update is at
 * most 1e30). Consolidation can overflow on its own (theta - anchor), so it is always checked. */
static int update_finite(nm_agent *a, float step, double reach)
{
    const float *theta = a->block + a->off_params, *trace = a->block + a->off_trace;
    const float *anchor = a->block + a->off_anchor;
    float kappa = a->mod.params[NM_P_CONSOLIDATION], follow = 1.0f / a->cfg.tau_tonic[NM_5HT];
    size_t n = a->n_anchor;
    /* the passes below read the trace (the importance-weighted pull's check only past the reach; otherwise the
     * deferred writes wait for the update's pass) */
    if ((n && !a->n_imp) || !(reach * (1.0 + 1e-3) <= 1e30)) nm_net_settle(a);
    /* the importance-weighted pull (continual.c) is a convex combination: finite when the update is */
    if (!n || a->n_imp) return reach * (1.0 + 1e-3) <= 1e30 || a->kern->axpy_finite(a->n_traced, step, trace, theta);
    if (kappa > 0.5f) kappa = 0.5f;
    return a->kern->consolidate_finite(n, step, kappa, follow, theta, trace, anchor);
}

/* NA's "network reset" (Bouret & Sara 2005) on the actor: the policy head's weights and biases shrink toward
 * zero, a uniform policy, by policy_reset x level_NA each step. A saturated softmax gives the abandoned action
 * almost no gradient and almost no samples after a reversal; the shrink keeps the logits where unexpected
 * uncertainty says the world may have changed, so the policy can follow the critic again. A factor in [0, 1]
 * keeps every weight finite. */
static void policy_reset(nm_agent *a)
{
    float na = a->mod.level[NM_NA], keep;
    size_t F = a->n_features, A = a->cfg.n_actions;
    float *params = a->block + a->off_params;
    if (!(a->cfg.policy_reset > 0.0f) || !(na > 0.0f)) return;
    keep = 1.0f - a->cfg.policy_reset * (na > 1.0f ? 1.0f : na);
    nm_scal(a->kern, A * F, keep, params + a->policy_w);
    nm_scal(a->kern, A, keep, params + a->policy_b);
}

/* The actor's entropy bonus (Williams & Peng 1991): the policy head also ascends c H(pi(s)) at the learning rate,
 * dH/dz_i = -pi_i (log pi_i + H) for the softmax's arguments z = beta logits + bias. The policy-gradient term
 * alone drives the logits without bound on a task whose best action never changes, and a saturated softmax
 * gives the abandoned action neither gradient nor samples after a reversal; with the bonus the logits settle
 * where the advantage balances c, as a Rescorla-Wagner learner's beta Q does. The head only: saturation lives
 * there. g gets each action's step of the bonus (A floats, NULL: not kept). */
static float entropy_step(const nm_agent *a, const float *cache, float alpha, size_t i, float H)
{
    const float *probs = cache + a->cl.probs;
    float scale = alpha * a->cfg.policy_entropy * a->mod.params[NM_P_INVERSE_TEMPERATURE];
    return probs[i] > 0.0f ? -scale * probs[i] * (logf(probs[i]) + H) : 0.0f;
}

static float policy_entropy_of(const nm_agent *a, const float *cache)
{
    const float *probs = cache + a->cl.probs;
    float H = 0.0f;
    size_t i;
    for (i = 0; i < a->cfg.n_actions; i++) if (probs[i] > 0.0f) H -= probs[i] * logf(probs[i]);
    return H;
}

/* Whether the head stays finite after the update (theta + step e, as the axpy rounds it) and then the bonus: a
 * pass over the head's A (F + 1) weights in the same arithmetic, so learn refuses before changing anything. */
static int entropy_finite(const nm_agent *a, const float *cache, float alpha, float step, const float *trace)
{
    const float *h = nm_net_features(a, cache), *params = a->block + a->off_params;
    size_t i, j, A = a->cfg.n_actions, F = a->n_features;
    float H = policy_entropy_of(a, cache);
    for (i = 0; i < A; i++) {
        float g = entropy_step(a, cache, alpha, i, H);
        size_t w = a->policy_w + i * F, b = a->policy_b + i;
        if (!isfinite(g)) return 0;
        for (j = 0; j < F; j++) {
            float t = params[w + j] + step * trace[w + j];
            if (!isfinite(t + g * h[j])) return 0;
        }
        if (!isfinite((params[b] + step * trace[b]) + g)) return 0;
    }
    return 1;
}

static void entropy_bonus(nm_agent *a, const float *cache, float alpha)
{
    const float *h = nm_net_features(a, cache);
    float *params = a->block + a->off_params;
    size_t i, A = a->cfg.n_actions, F = a->n_features;
    float H = policy_entropy_of(a, cache);
    for (i = 0; i < A; i++) {
        float g = entropy_step(a, cache, alpha, i, H);
        nm_axpy(a->kern, F, g, h, params + a->policy_w + i * F);
        params[a->policy_b + i] += g;
    }
}

static nm_status rate_learn(nm_agent *a, float reward, const float *next_obs, int terminal)
{
    float *cache = a->block + a->off_cache, *next = a->block + a->off_next;
    float *params = a->block + a->off_params, *trace = a->block + a->off_trace;
    float *backup = a->block + a->off_backup;
    const float *h = nm_net_features(a, cache);
    float v, v_next = 0.0f, gamma, delta, step, scale = 1.0f;
    float *wq, *wu;
    int act = a->pending_action, reset = 0, pred_ok, salience;
    unsigned done = 0;   /* the layers whose trace and eligibility the update cleared */
    size_t l, F = a->n_features;
    double enorm = a->trace_bound;
    nm_prediction pr;
    nm_mod_signals sig;
    nm_modstate mod_next;
    nm_mod_effects fx;
    nm_status st;

    v = cache[a->cl.value];
    if (!terminal) {
        nm_net_forward(a, next_obs, a->block + a->off_rstate, next, 1);   /* s' from h_t */
        v_next = next[a->cl.value];
    }
    gamma = a->mod.params[NM_P_DISCOUNT];
    delta = reward + gamma * v_next - v;
    step = a->mod.params[NM_P_LEARNING_RATE] * delta * a->mod.factor[NM_DA];
    /* gate_step = width: a gated context's update as large as the full network's (continual.c) */
    if (a->n_gate) { scale = nm_cont_step_scale(a); step *= scale; }
    /* Update-norm clipping (Pascanu et al. 2013): |step| * |e| <= max_update. Online actor-critic with
     * accumulating traces diverges when a large TD error meets a long trace; the clip bounds one update
     * without changing its direction. */
    /* The exact norm, a pass over every weight, is only needed when the bound says the clip might act; the
     * margin covers the float rounding of the trace (relative error < 1e-4 even at decay 0.999), so the
     * result is the same as always computing it. */
    if (a->cfg.max_update > 0.0f && isfinite(step) &&
        !(fabs((double)step) * a->trace_bound * (1.0 + 1e-3) <= a->cfg.max_update)) {
        double norm;
        nm_net_settle(a);
        enorm = sqrt(nm_sumsq(a->kern, a->n_traced, trace));
        norm = enorm * fabs((double)step);
        if (norm > a->cfg.max_update) step = (float)(step * (a->cfg.max_update / norm));
    }
    /* the outcome predictor and its uncertainty head, for the action taken only (from the act-time h) */
    wq = params + a->pred_w + (size_t)act * F;
    wu = params + a->var_w + (size_t)act * F;
    pred_ok = nm_predictor_observe(a->kern, &a->cfg, F, h, wq, params[a->pred_b + act], wu, params[a->var_b + act],
                                   reward, &pr);
    if (!pred_ok || !isfinite(step) || !update_finite(a, step, fabs((double)step) * enorm))
        return nm_fail(a, NM_ERR_NUMERIC, "the update would make a weight non-finite "
                       "(delta = %g); the agent is unchanged", (double)delta);
    if (a->cfg.policy_entropy > 0.0f &&
        !entropy_finite(a, cache, a->mod.params[NM_P_LEARNING_RATE] * scale, step, trace))
        return nm_fail(a, NM_ERR_NUMERIC, "the actor's entropy bonus would make a weight non-finite "
                       "(policy_entropy %g); the agent is unchanged", (double)a->cfg.policy_entropy);

    /* the modulators' signals: the step's outcome, the act-time activity and, when the attentional set is on,
     * the input attributions (after this step's update; into the s' cache, which learn no longer needs) */
    sig.reward = reward;
    sig.delta = delta;
    sig.surprise = pr.surprise;
    sig.expected = pr.expected;
    for (l = 0; l < a->cfg.n_layers; l++) sig.activity[l] = cache + a->layer[l].post;
    sig.salience = NULL;
    /* The modulator step reads no weight unless the attentional set is on, so it is taken (and checked) before
     * the update; with the set on it follows the update, which is undone from a backup if the step is refused. */
    salience = nm_mod_wants_salience(&a->cfg);
    if (!salience) {
        if ((st = nm_agent_modulate_prepare(a, &sig, &mod_next, &fx)) != NM_OK) return st;
    } else {
        memcpy(backup, params, a->n_params * sizeof *params);
        memcpy(backup + a->n_params, a->block + a->off_anchor, a->n_anchor * sizeof *params);
    }

    /* frozen (nm_agent_freeze) or finding the context (continual.c): no synaptic change, the outcome predictor's
     * included; the modulators still step */
    if (nm_plastic(a)) {
        /* with act's deferred trace writes, if any; at an episode's end they are the zeros written below, where
         * nothing reads them before (the attentional set's refusal keeps them, importance reads the trace) */
        if (a->n_imp && nm_cont_update_pull(a, step)) {
            done = 0;   /* the update and the pull in one pass (continual.c): nothing deferred, no entropy bonus */
        } else {
            done = nm_net_update(a, step, terminal && !salience && !a->n_imp);
            if (a->cfg.policy_entropy > 0.0f)
                entropy_bonus(a, cache, a->mod.params[NM_P_LEARNING_RATE] * scale);
            if (a->n_imp) nm_cont_pull(a);
            else if (a->n_anchor) consolidate(a);
        }
        nm_predictor_update(a->kern, F, &pr, h, wq, params + a->pred_b + act, wu, params + a->var_b + act);
        /* the values of the actions not taken revert toward the average reward as fast as NA says the world
         * moves (predictor.c); a convex combination of finite values stays finite */
        if (a->cfg.predictor_forget > 0.0f && a->mod.level[NM_NA] > 0.0f) {
            float na = a->mod.level[NM_NA] > 1.0f ? 1.0f : a->mod.level[NM_NA];
            nm_predictor_forget(a->kern, a->cfg.n_actions, F, act, a->cfg.predictor_forget * na, a->mod.tonic[NM_DA],
                                params + a->pred_w, params + a->pred_b);
        }
    }

    nm_net_settle(a);   /* frozen: the trace still advances */
    if (salience) {
        float *dh = a->block + a->off_scratch;
        nm_net_salience(a, cache, act, dh, dh + a->max_width, next);
        sig.salience = next;
        if ((st = nm_agent_modulate_prepare(a, &sig, &mod_next, &fx)) != NM_OK) {
            memcpy(params, backup, a->n_params * sizeof *params);
            memcpy(a->block + a->off_anchor, backup + a->n_params, a->n_anchor * sizeof *params);
            return st;
        }
    }
    nm_agent_modulate_commit(a, &mod_next, &fx, &reset);
    if (nm_plastic(a)) policy_reset(a);
    nm_cont_observe(a, step, reward);
    /* an episode's end clears the hidden state; NA's reset clears credit (the traces), not memory */
    if (terminal || reset) {
        nm_net_clear(a, 1, terminal, done);
        a->trace_bound = 0.0;
    }
    return NM_OK;
}

static void rate_evaluate(nm_agent *a, const float *obs, float *probs, float *value)
{
    float *scratch = a->block + a->off_next;
    nm_net_forward(a, obs, a->block + a->off_rstate, scratch, 0);
    if (probs) memcpy(probs, scratch + a->cl.probs, a->cfg.n_actions * sizeof *probs);
    if (value) *value = scratch[a->cl.value];
}

static void rate_gradient(nm_agent *a, const float *obs, int action, float w_logpi, float w_value, float *grad)
{
    float *scratch = a->block + a->off_next, *zero = a->block + a->off_trace2;   /* not live outside act */
    nm_net_settle(a);   /* the backward pass below takes the deferred passes' scratch */
    memset(grad, 0, a->n_params * sizeof *grad);
    memset(zero, 0, a->n_traced * sizeof *zero);
    nm_net_forward(a, obs, a->block + a->off_rstate, scratch, 0);
    /* zero eligibility (n_elig <= n_traced floats): the one-step gradient, the hidden state held fixed */
    (void)nm_net_backward(a, scratch, action, w_logpi, w_value, 1.0f, zero, grad, zero, a->block + a->off_elig2);
}

static void rate_reset(nm_agent *a)
{
    a->rec_defer = 0;   /* the deferred passes would write what is cleared here */
    memset(a->block + a->off_trace, 0, a->n_traced * sizeof(float));
    a->trace_bound = 0.0;
    nm_net_state_clear(a);
}

/* params, traces, anchor, gain, attention, salience, activity: the block up to the forward cache, with the live
 * trace in the trace's slot (wherever it is: FNV-1a over the pieces is FNV-1a over their concatenation) */
static uint64_t rate_hash(const nm_agent *a, uint64_t h)
{
    size_t slot = a->off_params + a->n_params;   /* where the trace follows, bar a recurrent agent's line pad */
    /* the values act's deferred passes will write are the state: make them (not a change the caller can see) */
    nm_net_settle((nm_agent *)a);
    h = nm_fnv1a(h, a->block, slot * sizeof(float));
    h = nm_fnv1a(h, a->block + a->off_trace, a->n_traced * sizeof(float));
    h = nm_fnv1a(h, a->block + a->off_anchor, (a->off_cache - a->off_anchor) * sizeof(float));
    /* the recurrent state (nothing without recurrent layers: a feed-forward hash is as before) */
    h = nm_fnv1a(h, a->block + a->off_rstate, 2 * a->n_rec * sizeof(float));
    return nm_fnv1a(h, a->block + a->off_elig, a->n_elig * sizeof(float));
}

const nm_learner_ops nm_learner_rate = {
    NM_MODEL_RATE, "rate", nm_net_layout, rate_init, rate_act, rate_learn, rate_evaluate, rate_gradient,
    rate_reset, rate_hash, NULL, NULL
};
