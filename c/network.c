/*
 * network.c -- the rate learner's network: layout of the parameter block, initialisation, forward pass, the
 * backward pass that feeds the eligibility traces, and the input attributions that ACh's attentional set
 * reads. Each trunk layer runs through its kind's operations (layer.c, layer_dense.c).
 *
 *   x   (n_obs)      observation
 *   u = attn . x                                      ACh input attention (per input)
 *   for each trunk layer l:  pre_l = gain_l . (W_l h_{l-1} + b_l),  h_l = f(pre_l)   NA gain (per unit)
 *                            (a recurrent layer reads [h_{l-1}; its own h at t-1] and leaks: layer_recurrent.c)
 *   logits = Wp h + bp               (n_actions)
 *   pi     = softmax(beta * logits + withhold_bias * onehot(withhold_action)   (no bias if none)
 *                    + outcome_bias * level_NA * q                             (when outcome_bias > 0, NA > 0)
 *                    - pavlovian * V * onehot(withhold_action))  (V < 0: x exp(M[withhold_bias][5HT] level_5HT))
 *   V      = wv . h + bv             the critic
 *   q      = Wq h + bq               predicted outcome of each action (its surprise drives NA and ACh)
 *   u      = Wu h + bu               predicted squared error of q for each action: the expected uncertainty of
 *                                    this state and action (ACh); surprise beyond it is unexpected (NA)
 *   (q and u are read for the action taken only, by predictor.c; the forward pass computes q only for the
 *    outcome bias)
 *
 * Gain, attention, beta, the bias and the outcome bias are modulatory state, not trained through the policy:
 * gradients are taken with them held fixed (q learns by its own rule), which is what the finite-difference spec
 * checks.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"
#include "nm_math.h"

/* The least offset >= off that is want modulo a cache line's floats */
static size_t line_pad(size_t off, size_t want)
{
    return off + (want + NM_LINE_FLOATS - off % NM_LINE_FLOATS) % NM_LINE_FLOATS;
}

void nm_net_layout(nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    size_t l, off = 0, gain = 0, in = c->n_obs, cache, width = c->n_obs, rec = 0, elig = 0, eline = 0;
    nm_cache_layout *cl = &a->cl;
    const nm_layer *first = NULL;   /* the first recurrent layer */

    cl->input = 0;
    cache = c->n_obs;
    for (l = 0; l < c->n_layers; l++) {
        nm_layer *L = &a->layer[l];
        /* the kind (config layer_kind, checked against the kinds that exist) and activation are fixed here, once */
        L->kind = a->cfg.layer_kind[l];
        L->activation = c->activation;
        L->ops = nm_layer_ops_find(L->kind, L->activation);
        L->in = in;
        L->out = c->hidden[l];
        L->wrows = L->out;
        L->wcols = in;
        L->ops->layout(L, &off);
        L->gain = gain; gain += L->out;
        L->pre = cache; cache += L->out;
        if (L->ops->layout_state) {
            L->alpha = 1.0f / c->layer_tau[l];
            L->leak = 1.0f - L->alpha;
            L->ops->layout_state(L, &cache, &rec, &elig);
            if (!first) first = L;
        }
        L->post = cache; cache += L->out;
        in = L->out;
        if (L->out > width) width = L->out;
    }
    a->n_features = in;
    a->policy_w = off; off += c->n_actions * in;
    a->policy_b = off; off += c->n_actions;
    a->value_w = off; off += in;
    a->value_b = off; off += 1;
    a->n_traced = off;
    a->pred_w = off; off += c->n_actions * in;
    a->pred_b = off; off += c->n_actions;
    a->var_w = off; off += c->n_actions * in;
    a->var_b = off; off += c->n_actions;
    a->n_params = off;
    a->max_width = width;

    cl->logits = cache; cache += c->n_actions;
    cl->probs = cache; cache += c->n_actions;
    cl->value = cache; cache += 1;
    cl->size = cache;

    /* A recurrent layer's passes (the forward product, the eligibility, trace and weight update) run along its
     * weights, its trace and its eligibility vectors side by side. agent.c puts the first recurrent layer's
     * weights at the start of a cache line, and the pads below put its trace (in both buffers) and its
     * eligibility vectors (both) on lines too: a vector load or store of those passes then never straddles two
     * lines (at 3 x 64 the trace began 28 bytes into a line and the eligibility 44 bytes). Without recurrent
     * layers there is no pad, and a feed-forward agent's block is as it was. */
    a->align_at = first ? first->w : 0;
    /* the trace's slice of the layer is at off_trace + w, its eligibility vectors at off_elig + elig */
    if (first) eline = (first->w + NM_LINE_FLOATS - first->elig % NM_LINE_FLOATS) % NM_LINE_FLOATS;
    a->off_params = 0;
    a->off_trace = a->off_params + a->n_params;
    if (first) a->off_trace = line_pad(a->off_trace, 0);
    a->off_anchor = a->off_trace + a->n_traced;
    a->n_anchor = c->base[NM_P_CONSOLIDATION] > 0.0f ? a->n_traced : 0;
    a->off_gain = a->off_anchor + a->n_anchor;
    a->off_attn = a->off_gain + gain;
    a->off_sal = a->off_attn + c->n_obs;
    a->off_act = a->off_sal + c->n_obs;
    a->off_cache = a->off_act + gain;
    a->off_next = a->off_cache + cl->size;
    a->off_scratch = a->off_next + cl->size;
    a->off_obs = a->off_scratch + 2 * width;
    a->off_backup = a->off_obs + c->n_obs;
    a->off_modnext = a->off_backup + a->n_params + a->n_anchor;
    a->off_trace2 = a->off_modnext + 2 * (gain + c->n_obs);
    if (first) a->off_trace2 = line_pad(a->off_trace2, 0);
    /* recurrent state last, so that a feed-forward agent's block is as it was before recurrent layers existed */
    a->n_rec = rec;
    a->n_elig = elig;
    a->off_rstate = a->off_trace2 + a->n_traced;
    a->off_rprev = a->off_rstate + rec;
    a->off_elig = a->off_rprev + rec;
    if (first) a->off_elig = line_pad(a->off_elig, eline);
    a->off_elig2 = a->off_elig + elig;
    if (first) a->off_elig2 = line_pad(a->off_elig2, eline);
    a->off_rscratch = a->off_elig2 + elig;
    a->off_dh = a->off_rscratch + 2 * rec;
    a->block_len = a->off_dh + gain;
}

void nm_init_uniform(nm_rng *rng, float *w, size_t n, float bound)
{
    size_t i;
    for (i = 0; i < n; i++) w[i] = (float)((2.0 * nm_rng_uniform(rng) - 1.0) * bound);
}

void nm_net_init(nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    float *p = a->block + a->off_params;
    float s = c->init_scale;
    size_t l, i, F = a->n_features;

    for (l = 0; l < c->n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        L->ops->init(L, &a->rng, s, p);
        /* unknown until act's fallback measures it: a checkpoint loads the eligibility vectors after init */
        a->elig_bound[l] = INFINITY;
    }
    /* Small head weights: the first policy is near uniform and the first values near zero. */
    nm_init_uniform(&a->rng, p + a->policy_w, c->n_actions * F, 0.1f * s * sqrtf(3.0f / (float)F));
    nm_init_uniform(&a->rng, p + a->value_w, F, 0.1f * s * sqrtf(3.0f / (float)F));
    nm_predictor_init(c->n_actions, p + a->var_b);
    memcpy(a->block + a->off_anchor, p, a->n_anchor * sizeof(float));
    for (i = a->off_gain; i < a->off_attn; i++) a->block[i] = 1.0f;
    for (i = a->off_attn; i < a->off_sal; i++) a->block[i] = 1.0f;
    /* a naive agent finds every input equally salient; activity starts at zero (off_act..off_cache) */
    for (i = a->off_sal; i < a->off_act; i++) a->block[i] = 1.0f;
}


void nm_net_forward(const nm_agent *a, const float *obs, const float *hprev, float *cache, int value_only)
{
    const nm_agent_config *c = &a->cfg;
    const float *p = a->block + a->off_params;
    const float *attn = a->block + a->off_attn;
    const float *gain = a->block + a->off_gain;
    const nm_cache_layout *cl = &a->cl;
    const float *h;
    float *u = cache + cl->input, *logits = cache + cl->logits, *probs = cache + cl->probs;
    float beta = a->mod.params[NM_P_INVERSE_TEMPERATURE];
    float bias = a->mod.params[NM_P_WITHHOLD_BIAS];
    float mx, sum;
    size_t l, i, A = c->n_actions, F = a->n_features;

    for (i = 0; i < c->n_obs; i++) u[i] = attn[i] * obs[i];
    h = u;
    for (l = 0; l < c->n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (L->ops->layout_state) {   /* a recurrent layer reads z = [h; its h_{t-1}] */
            memcpy(cache + L->z, h, L->in * sizeof *h);
            memcpy(cache + L->z + L->in, hprev + L->state, L->out * sizeof *h);
            cache[L->z + L->in + L->out] = 1.0f;   /* the bias column's input */
            if (L->n_state > L->out)   /* the rest of its previous state (the integrator's v_{t-1}) */
                memcpy(cache + L->state_prev, hprev + L->state + L->out, (L->n_state - L->out) * sizeof *h);
            h = cache + L->z;
        }
        L->ops->forward(L, a->kern, h, p + L->w, p + L->b, gain + L->gain, cache + L->pre, cache + L->post);
        h = cache + L->post;
    }
    nm_gemv_bias(a->kern, 1, F, p + a->value_w, h, p + a->value_b, cache + cl->value);
    if (value_only) return;
    nm_gemv_bias(a->kern, A, F, p + a->policy_w, h, p + a->policy_b, logits);

    /* softmax of beta * logits (+ bias on the withheld action), max-subtracted so it cannot overflow */
    for (i = 0; i < A; i++) probs[i] = beta * logits[i] + ((int)i == c->withhold_action ? bias : 0.0f);
    /* NA hands part of the choice to the outcome predictor's value of each action, q_i = Wq_i h + bq_i (computed
     * as predictor.c does): a fast, model-like system that a saturated actor cannot follow after a change */
    if (c->outcome_bias > 0.0f && a->mod.level[NM_NA] > 0.0f) {
        float w = c->outcome_bias * a->mod.level[NM_NA];
        for (i = 0; i < A; i++) probs[i] += w * (p[a->pred_b + i] + nm_dot(F, p + a->pred_w + i * F, h));
    }
    /* the Pavlovian bias (Dayan et al. 2006; Guitart-Masip et al. 2012): the state's value pulls toward acting
     * when it is good and toward withholding when it is bad. Serotonin carries the aversive half (Crockett et
     * al. 2009; Dayan & Huys 2008), through the same mapping entry that sets its tonic behavioural inhibition
     * (withhold_bias x 5HT), so the ablation of 5-HT removes its share. V is held fixed in the actor's gradient,
     * as the other biases are. */
    if (c->pavlovian > 0.0f && c->withhold_action >= 0) {
        float v = cache[cl->value], w = c->pavlovian;
        if (v < 0.0f && c->pavlovian_aversive == NM_PAVLOVIAN_SEROTONERGIC && !(c->modulators & NM_MOD_BIT(NM_5HT)))
            w = 0.0f;   /* pavlovian_aversive 'serotonergic': the aversive half is 5-HT's, gone with it */
        else if (v < 0.0f) w *= nm_expf(c->mapping[NM_P_WITHHOLD_BIAS][NM_5HT] * a->mod.level[NM_5HT]);
        probs[c->withhold_action] -= w * v;
    }
    mx = probs[0];
    for (i = 1; i < A; i++) if (probs[i] > mx) mx = probs[i];
    sum = 0.0f;
    for (i = 0; i < A; i++) { probs[i] = nm_expf(probs[i] - mx); sum += probs[i]; }
    for (i = 0; i < A; i++) probs[i] /= sum;
}

void nm_net_state_advance(nm_agent *a, const float *cache)
{
    float *state = a->block + a->off_rstate;
    size_t l;
    if (!a->n_rec) return;
    memcpy(a->block + a->off_rprev, state, a->n_rec * sizeof *state);
    for (l = 0; l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (!L->ops->layout_state) continue;
        memcpy(state + L->state, cache + L->post, L->out * sizeof *state);
        if (L->n_state > L->out)
            memcpy(state + L->state + L->out, cache + L->state_now, (L->n_state - L->out) * sizeof *state);
    }
}

void nm_net_state_clear(nm_agent *a)
{
    nm_net_clear(a, 0, 1, 0u);
}

void nm_net_elig_measure(nm_agent *a)
{
    size_t l;
    for (l = 0; l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (L->ops->trace_rec)
            a->elig_bound[l] = sqrt(nm_sumsq(a->kern, L->n_eps, a->block + a->off_elig + L->elig));
    }
}

const float *nm_net_features(const nm_agent *a, const float *cache)
{
    size_t L = a->cfg.n_layers;
    return L ? cache + a->layer[L - 1].post : cache + a->cl.input;
}

/* The input of layer l in a cache: the previous layer's activations, or the attended input. */
static const float *layer_input(const nm_agent *a, const float *cache, size_t l)
{
    return l ? cache + a->layer[l - 1].post : cache + a->cl.input;
}

float *nm_net_input_grad(const nm_agent *a, const float *cache, float *dh, float *dprev)
{
    const float *p = a->block + a->off_params, *gain = a->block + a->off_gain;
    size_t l;
    for (l = a->cfg.n_layers; l-- > 0;) {
        const nm_layer *L = &a->layer[l];
        float *t;
        L->ops->to_units(L, a->kern, cache + L->pre, cache + L->post, gain + L->gain, dh);
        L->ops->input_grad(L, a->kern, p + L->w, dh, dprev);
        t = dh; dh = dprev; dprev = t;
    }
    return dh;
}

void nm_net_salience(const nm_agent *a, const float *cache, int action, float *dh, float *dprev, float *m)
{
    const float *p = a->block + a->off_params, *attn = a->block + a->off_attn, *u = cache + a->cl.input;
    size_t i, b, pass, n = a->cfg.n_obs, A = a->cfg.n_actions, F = a->n_features;
    memset(m, 0, n * sizeof *m);
    for (pass = 0; pass < 2; pass++) {
        float ps = 0.0f, *d;
        /* d/dh of the trunk's output, then back through each layer's gain and activation to the input */
        if (pass == 0) {
            memset(dh, 0, F * sizeof *dh);
            for (b = 0; b < A; b++) {
                float cb = ((int)b == action ? 1.0f : 0.0f) - 1.0f / (float)A;
                nm_axpy(a->kern, F, cb, p + a->policy_w + b * F, dh);
            }
        } else {
            memcpy(dh, p + a->value_w, F * sizeof *dh);
        }
        d = nm_net_input_grad(a, cache, dh, dprev);
        for (i = 0; i < n; i++) {
            float x = attn[i] > 0.0f ? u[i] / attn[i] : 0.0f;   /* the raw input */
            d[i] = fabsf(x * d[i]);
            ps += d[i];
        }
        if (ps > NM_TINY && isfinite(ps)) for (i = 0; i < n; i++) m[i] += d[i] / ps;
    }
}

/* acc <- decay * old + the gradient of w_logpi log pi(action) + w_value V: every traced weight is written once,
 * so the eligibility trace decays and takes the new gradient in one pass (decay 1 on a zeroed old gives the
 * plain gradient). Returns the squared norm of the gradient, from the norms of the vectors whose outer
 * products it is made of (|u v'| = |u| |v|): O(width), not O(weights). */
double nm_net_backward(nm_agent *a, const float *cache, int action, float w_logpi, float w_value, float decay,
                       const float *old, float *acc, const float *eps_old, float *eps_new)
{
    const nm_agent_config *c = &a->cfg;
    const float *p = a->block + a->off_params, *gain = a->block + a->off_gain;
    const float *probs = cache + a->cl.probs;
    const float *h = nm_net_features(a, cache);
    float *dh = a->block + a->off_scratch;            /* d/d h_l, width max_width */
    float *dprev = dh + a->max_width;
    float beta = a->mod.params[NM_P_INVERSE_TEMPERATURE];
    size_t i, A = c->n_actions, F = a->n_features;
    size_t l;
    double hh = nm_sumsq(a->kern, F, h) + 1.0, heads = 0.0, norm2 = 0.0;   /* + 1: the bias */

    /* d log pi(a) / d logits_j = beta * (1[j == a] - pi_j). The policy head needs A floats of scratch, which
     * may exceed max_width, so it is applied row by row without a buffer. */
    memset(dh, 0, F * sizeof *dh);
    for (i = 0; i < A; i++) {
        float g = w_logpi * beta * (((int)i == action ? 1.0f : 0.0f) - probs[i]);
        if (g == 0.0f) {
            nm_scal_to(a->kern, F, decay, old + a->policy_w + i * F, acc + a->policy_w + i * F);
            acc[a->policy_b + i] = old[a->policy_b + i] * decay;
            continue;
        }
        heads += (double)g * g;
        nm_head_backward(a->kern, F, decay, g, h, old + a->policy_w + i * F, acc + a->policy_w + i * F,
                         p + a->policy_w + i * F, dh);
        acc[a->policy_b + i] = decay * old[a->policy_b + i] + g;
    }
    if (w_value != 0.0f) {
        heads += (double)w_value * w_value;
        nm_head_backward(a->kern, F, decay, w_value, h, old + a->value_w, acc + a->value_w, p + a->value_w, dh);
        acc[a->value_b] = decay * old[a->value_b] + w_value;
    } else {
        nm_scal_to(a->kern, F + 1, decay, old + a->value_w, acc + a->value_w);      /* value_b follows value_w */
    }
    for (l = c->n_layers; l-- > 0;) {
        const nm_layer *L = &a->layer[l];
        const float *in = layer_input(a, cache, l);
        float *t;
        if (L->ops->trace_rec) {
            norm2 += L->ops->trace_rec(L, a->kern, decay, cache + L->pre, gain + L->gain, eps_old + L->elig,
                                       eps_new + L->elig, old, acc, dh,
                                       a->block + a->off_rscratch + 2 * L->state);
        } else {
            L->ops->to_units(L, a->kern, cache + L->pre, cache + L->post, gain + L->gain, dh);
            norm2 += L->ops->trace(L, a->kern, decay, dh, in, old, acc);
        }
        if (l == 0) break;
        L->ops->input_grad(L, a->kern, p + L->w, dh, dprev);
        t = dh; dh = dprev; dprev = t;
    }
    return norm2 + heads * hh;
}

/* nm_net_backward's step in two phases, so that the trace can be written over itself. Phase one takes every
 * layer's dh (the heads' g, to_units, input_grad) and bounds the gradient's norm from its factors without
 * touching the trace; phase two, once |decay| trace_bound + that bound is below NM_SAFE_BOUND, writes
 * e <- decay e + g in place with nm_net_backward's arithmetic, element by element, so the bits are the same. The
 * heads' g are recomputed (a few floats); each layer's dh waits in off_dh. */
int nm_net_trace_inplace(nm_agent *a, const float *cache, int action, float w_logpi, float w_value, float decay,
                         double *bound)
{
    const nm_agent_config *c = &a->cfg;
    const float *p = a->block + a->off_params, *gain = a->block + a->off_gain;
    const float *probs = cache + a->cl.probs;
    const float *h = nm_net_features(a, cache);
    float *e = a->block + a->off_trace, *eps = a->block + a->off_elig, *dhs = a->block + a->off_dh;
    float *du = a->block + a->off_scratch;            /* d/d(W in + b) of a recurrent layer, for input_grad */
    float beta = a->mod.params[NM_P_INVERSE_TEMPERATURE];
    size_t i, A = c->n_actions, F = a->n_features, nl = c->n_layers, l;
    double hh = nm_sumsq(a->kern, F, h) + 1.0, heads = 0.0, norm2 = 0.0, n2[NM_MAX_LAYERS], eb[NM_MAX_LAYERS];
    float gr[3];
    const float *wr[3];
    float *er[3];
    size_t rows = 0;
    int first = 1;

    /* phase one: the heads' g and their share of dh (the rows whose g is not 0, in order, three at a time), then
     * each layer's dh and its part of the norm */
    for (i = 0; i <= A; i++) {
        float g = i < A ? w_logpi * beta * (((int)i == action ? 1.0f : 0.0f) - probs[i]) : w_value;
        if (g != 0.0f) heads += (double)g * g;
        if (!nl) continue;   /* no layer reads dh */
        if (g != 0.0f) {
            gr[rows] = g;
            wr[rows++] = p + (i < A ? a->policy_w + i * F : a->value_w);
        }
        if (rows == 3 || (i == A && (rows || first))) {
            nm_heads_dh(a->kern, F, rows, first, gr, wr, dhs + a->layer[nl - 1].gain);
            rows = 0;
            first = 0;
        }
    }
    for (l = nl; l-- > 0;) {
        const nm_layer *L = &a->layer[l];
        float *dl = dhs + L->gain, *dn = L->ops->trace_rec ? du : dl;
        eb[l] = 0.0;
        n2[l] = L->ops->delta(L, a->kern, cache + L->pre, cache + L->post, gain + L->gain, layer_input(a, cache, l),
                              a->elig_bound[l], dl, du, a->block + a->off_rscratch + 2 * L->state, &eb[l]);
        norm2 += n2[l];
        if (l == 0) break;
        L->ops->input_grad(L, a->kern, p + L->w, dn, dhs + a->layer[l - 1].gain);
    }
    if (!(fabs((double)decay) * a->trace_bound + sqrt(norm2 + heads * hh) < NM_SAFE_BOUND)) return 0;

    /* phase two: the heads' rows (head_backward's, three at a time, or scal_to's where g is 0) and biases, then
     * the layers */
    rows = 0;
    for (i = 0; i <= A; i++) {
        float g = i < A ? w_logpi * beta * (((int)i == action ? 1.0f : 0.0f) - probs[i]) : w_value;
        float *row = e + (i < A ? a->policy_w + i * F : a->value_w);
        size_t b = i < A ? a->policy_b + i : a->value_b;
        if (g == 0.0f) {
            nm_scal(a->kern, F, decay, row);
            e[b] = e[b] * decay;
        } else {
            e[b] = decay * e[b] + g;
            gr[rows] = g;
            er[rows++] = row;
        }
        if (rows == 3 || (i == A && rows)) {
            nm_heads_trace(a->kern, F, rows, decay, gr, er, h);
            rows = 0;
        }
    }
    norm2 = 0.0;   /* nm_net_backward's sum, in its order, of the exact norms */
    for (l = nl; l-- > 0;) {
        const nm_layer *L = &a->layer[l];
        /* a recurrent layer's pass waits for learn's update (nm_net_update) when it is the live cache's; its norm
         * is phase one's either way */
        if (L->ops->trace_update && cache == a->block + a->off_cache) {
            a->rec_defer |= 1u << l;
            a->rec_decay = decay;
            norm2 += n2[l];
        } else {
            norm2 += L->ops->trace_inplace(L, a->kern, decay, cache + L->pre, layer_input(a, cache, l),
                                           dhs + L->gain, eps, e, a->block + a->off_rscratch + 2 * L->state, n2[l]);
        }
        if (L->ops->trace_rec) a->elig_bound[l] = eb[l];
    }
    *bound = fabs((double)decay) * a->trace_bound + sqrt(norm2 + heads * hh);
    return 1;
}

/* The deferred passes of act's in-place step (see nm_net_trace_inplace), from what phase one kept: the live cache's
 * z, each layer's dh (off_dh) and derivatives (rscratch), and act's decay. */
void nm_net_settle(nm_agent *a)
{
    const float *cache = a->block + a->off_cache;
    size_t l;
    if (!a->rec_defer) return;
    for (l = 0; l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (!(a->rec_defer & (1u << l))) continue;
        (void)L->ops->trace_inplace(L, a->kern, a->rec_decay, cache + L->pre, layer_input(a, cache, l),
                                    a->block + a->off_dh + L->gain, a->block + a->off_elig, a->block + a->off_trace,
                                    a->block + a->off_rscratch + 2 * L->state, 0.0);
    }
    a->rec_defer = 0;
}

/* params <- params + step trace over the n_traced floats (nm_axpy's), a deferred layer's synapses in one pass with
 * its eligibility and trace writes; the rest by nm_axpy, range by range (element-wise: the same bits as one call).
 * OpenBLAS's saxpy may round otherwise than the kernels, so a set that may call it settles and takes one call. */
unsigned nm_net_update(nm_agent *a, float step, int clear)
{
    float *p = a->block + a->off_params, *e = a->block + a->off_trace;
    const float *cache = a->block + a->off_cache;
    size_t l, from = 0;
    unsigned done = 0;
    if (a->kern->blas) nm_net_settle(a);
    for (l = 0; a->rec_defer && l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (!(a->rec_defer & (1u << l))) continue;
        if (L->w > from) nm_axpy(a->kern, L->w - from, step, e + from, p + from);
        L->ops->trace_update(L, a->kern, a->rec_decay, cache + L->pre, a->block + a->off_dh + L->gain,
                             a->block + a->off_elig, e, p, step, (int)(a->steps & 1),   /* see the kernel */
                             clear, a->block + a->off_rscratch + 2 * L->state);
        from = L->w + (L->in + L->out + 1) * L->out;
        if (clear) done |= 1u << l;
    }
    a->rec_defer = 0;
    nm_axpy(a->kern, a->n_traced - from, step, e + from, p + from);
    return done;
}

void nm_net_clear(nm_agent *a, int trace, int state, unsigned done)
{
    float *e = a->block + a->off_trace, *eps = a->block + a->off_elig;
    size_t l, from = 0, efrom = 0;
    for (l = 0; l < a->cfg.n_layers; l++) {
        const nm_layer *L = &a->layer[l];
        if (!(done & (1u << l))) continue;
        if (trace) memset(e + from, 0, (L->w - from) * sizeof *e);
        if (state) memset(eps + efrom, 0, (L->elig - efrom) * sizeof *eps);
        from = L->w + (L->in + L->out + 1) * L->out;
        efrom = L->elig + L->n_eps;
    }
    if (trace) memset(e + from, 0, (a->n_traced - from) * sizeof *e);
    if (!state || !a->n_rec) return;
    memset(a->block + a->off_rstate, 0, 2 * a->n_rec * sizeof(float));   /* rstate, rprev */
    memset(eps + efrom, 0, (a->n_elig - efrom) * sizeof *eps);
    for (l = 0; l < a->cfg.n_layers; l++) a->elig_bound[l] = 0.0;
}
