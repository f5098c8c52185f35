/*
 * modulators.c -- the four neuromodulators: their dynamics, their actions on each other, and the
 * many-to-one mapping from modulator levels to the agent's meta-parameters.
 *
 * Every learn step, with reward r, TD error delta and the outcome predictor's error eps = r - q_a(s):
 *
 *   surprise      S   = eps^2
 *   expected      E   = u(s, a), the uncertainty head's prediction of S for this state and action (floored):
 *                 expected uncertainty is a property of the cue (Yu & Dayan 2005: known cue unreliability), so
 *                 a noisy corner of a task does not make the whole world look volatile. The head learns S
 *                 clipped at na_threshold x E, so persistent noise raises E and a burst after a clean switch
 *                 barely does.
 *   ACh (expected uncertainty): phasic = E; tonic = running mean of E over tau_t. raw = tonic.
 *   NA (unexpected uncertainty): u = max(0, S - na_threshold * E) / (S + floor), the fraction of the
 *                 surprise that expected uncertainty does not explain. ACh thus sets NA's threshold (Yu &
 *                 Dayan's antagonism). phasic <- exp(-1/tau_p) phasic + u, the leaky integrator of
 *                 Rodriguez-Garcia et al.'s noradrenergic gain g <- gamma g + (1-gamma) g0 + eta H;
 *                 tonic <- running mean of phasic over tau_t (volatility).
 *                 u > na_reset clears the eligibility traces (Bouret & Sara 2005 "network reset").
 *                 With na_expected = NM_NA_EXPECTED_VARIANCE the bar is at least V as well, the variance of
 *                 the reward around its long-run average (below, tracked for the utility input; its value
 *                 before the step): u = max(0, S - max(na_threshold * E, V)) / (S + floor). The head learns a
 *                 recurring large error only slowly (its clip), so after a known hazard (the cliff walk's -100
 *                 falls) the predictor's misfit on ordinary steps read as unexpected for the whole session and
 *                 held NA at its ceiling; an error within the spread of outcomes the task has been giving is
 *                 expected in it (Yu & Dayan 2005: known unreliability within a context is not NA's). A task whose
 *                 rewards vary less than na_threshold x E (a 0/1 bandit) is unchanged.
 *                 With na_input = NM_NA_CHANGEPOINT the phasic part integrates C / (C + 3) instead of u, where C
 *                 is a CUSUM (Page 1954) of the evidence that the rules changed. A step is an outlier when
 *                 S > na_threshold E; pi is the outlier rate over tau_t.ACh, clamped to [0.01, 0.25]. After a
 *                 change an outcome is taken to be an outlier with probability 1/2, so the step's
 *                 log-likelihood ratio is log(0.5 / pi) for an outlier and log(0.5 / (1 - pi)) otherwise, and
 *                 C <- max(0, C + that). A steady rate of misleading outcomes is learned into pi and its mean
 *                 ratio is negative, so NA stays quiet; outliers more frequent than pi drive C up (the change-
 *                 point models of Yu & Dayan 2005 and Nassar et al. 2010). 3 nats (odds of 20 to 1) is C's
 *                 half-saturation. The trace reset still follows u.
 *                 A second input, utility (Aston-Jones & Cohen 2005): how far the reward rate over the short
 *                 window (tau_phasic.DA) sits below the long one (tonic DA), in standard errors of the short
 *                 average beyond 3, squashed to [0, 1). It keeps NA up after the predictor has learned the
 *                 new outcomes but the policy still earns less than before. raw = phasic + tonic + that.
 *   DA:           phasic = delta (reward prediction error, Schultz 1997); tonic = average reward over tau_t
 *                 (Niv et al. 2007). raw = tonic.
 *   5-HT:         phasic <- exp(-1/tau_p) phasic + max(0, -r) (aversive outcomes); tonic = running mean of the
 *                 punishment rate over tau_t (Daw, Kakade & Dayan 2002). raw = tonic.
 *                 With serotonin_input = NM_5HT_RELATIVE the tonic part averages the punishment beyond the
 *                 expected one instead, max(0, p - (1 - exp(-1/tau_p)) phasic) with phasic as it was before the
 *                 step: (1 - decay) phasic is the mean punishment over the last tau_p steps, so no new state is
 *                 kept. A steady cost per step is soon expected and stops driving 5-HT, while a punishment
 *                 beyond the usual still does (the opponent signal of Daw, Kakade & Dayan 2002 is punishment
 *                 relative to the average).
 *
 *   level_k = tanh(raw_k / scale_k) (signed for DA), 0 when the modulator is switched off; then the
 *   interactions: level_k *= exp(sum_j I[k][j] level_j), and the third factor of plasticity is
 *   delta * exp(sum_j I[DA][j] level_j).
 *
 * The step is pure: signals in (nm_mod_signals: r, delta, S, E, the trunk's activity and the per-input
 * salience signal, all computed by the network) -> state, levels, meta-parameters and the per-unit and
 * per-input effects out (nm_mod_effects), which the agent combines with the gain and attention parameters.
 *
 * Meta-parameters (many-to-one): p = p0 exp(sum_k M[p][k] level_k); discount and trace decay act on the
 * horizon, p = 1 - (1 - p0) exp(-sum_k M[p][k] level_k); the withhold bias is an additive logit offset,
 * p = p0 + sum_k M[p][k] level_k.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"
#include "nm_math.h"

/* The change-point input's outlier rate is used clamped to these bounds: the floor keeps one outlier after a
 * long clean stretch from reading as certain change (log(0.5 / 0.01) = 3.9 nats), the ceiling keeps an
 * outlier evidence for change (log(0.5 / 0.25) > 0) even in a very noisy task. */
#define NM_OUTLIER_RATE_MIN 0.01f
#define NM_OUTLIER_RATE_MAX 0.25f
#define NM_CHANGEPOINT_HALF 3.0f

/* The default mapping and interactions, with the source of each entry, are the config table's defaults
 * (NM_DEFAULT_MAPPING and NM_DEFAULT_INTERACTION in neuromod.h). */

/* The multiplicative parameters, p0 exp(x), and the horizons, 1 - (1 - p0) exp(-x) in [0, 0.999]. p0 = 0
 * (consolidation off) stays 0 whatever x, and x = 0 needs no exp (exp(-0) = 1 exactly): such a parameter takes
 * p0 (or 1) and its exp is of 0, unused. The exps are taken in one call (nm_expf_n: nm_expf's bits), not one each. */
#define NM_MOD_SCALED(p) (p != NM_P_DISCOUNT && p != NM_P_TRACE_DECAY && p != NM_P_WITHHOLD_BIAS)
#define NM_MOD_HORIZON(p) (p == NM_P_DISCOUNT || p == NM_P_TRACE_DECAY)

static float horizon_param(float p0, float x, float e)
{
    float p = 1.0f - (1.0f - p0) * (x == 0.0f ? 1.0f : e);
    if (p > 0.999f) p = 0.999f;
    if (p < 0.0f) p = 0.0f;
    return p;
}

void nm_mod_compute_params(const nm_agent_config *cfg, const float level[NM_N_MODULATORS],
                           float params[NM_N_PARAMS])
{
    const float *b = cfg->base;
    float x[NM_N_PARAMS], arg[NM_N_PARAMS], e[NM_N_PARAMS];
    int p, k;
    for (p = 0; p < NM_N_PARAMS; p++) {
        x[p] = 0.0f;
        for (k = 0; k < NM_N_MODULATORS; k++) x[p] += cfg->mapping[p][k] * level[k];
    }
    for (p = 0; p < NM_N_PARAMS; p++)
        arg[p] = NM_MOD_HORIZON(p) ? -x[p] : (NM_MOD_SCALED(p) && x[p] != 0.0f && b[p] != 0.0f ? x[p] : 0.0f);
    nm_expf_n(NM_N_PARAMS, arg, e);
    /* each parameter by its kind, written out (a switch in the loop over p cost as much as the sums) */
    for (p = 0; p < NM_N_PARAMS; p++)
        if (NM_MOD_SCALED(p)) params[p] = (x[p] == 0.0f || b[p] == 0.0f) ? b[p] : b[p] * e[p];
    params[NM_P_DISCOUNT] = horizon_param(b[NM_P_DISCOUNT], x[NM_P_DISCOUNT], e[NM_P_DISCOUNT]);
    params[NM_P_TRACE_DECAY] = horizon_param(b[NM_P_TRACE_DECAY], x[NM_P_TRACE_DECAY], e[NM_P_TRACE_DECAY]);
    params[NM_P_WITHHOLD_BIAS] = b[NM_P_WITHHOLD_BIAS] + x[NM_P_WITHHOLD_BIAS];   /* an additive logit offset */
}
#undef NM_MOD_SCALED
#undef NM_MOD_HORIZON

/* Levels from raw values, ablation and interactions; also writes the third-factor multiplier. Returns 1 when
 * every level is +0 or -0, tested on the values as they are computed: reading the levels back as wider words
 * right after their one-float stores would wait for the stores to reach the cache (no store forwarding). */
static int compute_levels(const nm_agent_config *c, nm_modstate *m)
{
    float base[NM_N_MODULATORS];
    float raw[NM_N_MODULATORS];
    uint32_t bits = 0;
    int k, j;
    if (!(c->modulators & NM_MOD_ALL)) {   /* all off: every base is 0, so every sum below is +0 */
        for (k = 0; k < NM_N_MODULATORS; k++) { m->factor[k] = 1.0f; m->level[k] = 0.0f; }
        return 1;
    }
    raw[NM_DA] = m->tonic[NM_DA];
    raw[NM_NA] = m->phasic[NM_NA] + m->tonic[NM_NA] + m->utility_drop;
    raw[NM_ACH] = m->tonic[NM_ACH];
    raw[NM_5HT] = m->tonic[NM_5HT];
    /* all four squashed at once (the loop vectorises), then the switched-off ones zeroed */
    for (k = 0; k < NM_N_MODULATORS; k++) base[k] = nm_tanh(raw[k] / c->scale[k]);
    for (k = 0; k < NM_N_MODULATORS; k++)
        if (!(c->modulators & NM_MOD_BIT(k))) base[k] = 0.0f;
    for (k = 0; k < NM_N_MODULATORS; k++) {
        float x = 0.0f;
        for (j = 0; j < NM_N_MODULATORS; j++)
            if (j != k) x += c->interaction[k][j] * base[j];
        float f = x == 0.0f ? 1.0f : nm_expf(x), lv = base[k] * f;
        uint32_t b;
        memcpy(&b, &lv, sizeof b);
        bits |= b;
        m->factor[k] = f;
        m->level[k] = lv;
    }
    return (bits & 0x7fffffffu) == 0;
}

void nm_mod_refresh(const nm_agent_config *cfg, nm_modstate *m)
{
    (void)compute_levels(cfg, m);
    nm_mod_compute_params(cfg, m->level, m->params);
}

void nm_mod_consts_init(const nm_agent_config *cfg, nm_mod_consts *mc)
{
    static const float rest[NM_N_MODULATORS];
    int k;
    for (k = 0; k < NM_N_MODULATORS; k++) {
        mc->phasic_decay[k] = nm_expf(-1.0f / cfg->tau_phasic[k]);
        mc->inv_tau_tonic[k] = 1.0f / cfg->tau_tonic[k];
        mc->inv_tau_phasic[k] = 1.0f / cfg->tau_phasic[k];
    }
    nm_mod_compute_params(cfg, rest, mc->rest_params);
}

void nm_mod_init(const nm_agent_config *cfg, nm_modstate *out)
{
    memset(out, 0, sizeof *out);
    /* expected uncertainty starts at the uncertainty head's prior (predictor.c) */
    out->expected = NM_UNCERTAINTY_PRIOR;
    out->tonic[NM_ACH] = NM_UNCERTAINTY_PRIOR;
    out->outlier_rate = NM_OUTLIER_RATE_MIN;
    (void)compute_levels(cfg, out);
    nm_mod_compute_params(cfg, out->level, out->params);
}

/* Leaky integrators decay geometrically toward zero between events and would end in the subnormal range,
 * where x86 arithmetic is many times slower (measured: the modulator update took 3x as long, a quarter of a
 * small agent's step, once NA's phasic and tonic parts had decayed). Values this small carry no signal, so
 * they are flushed to exactly zero: a fixed rule in the code, the same on every backend and machine, unlike
 * setting the FPU's flush-to-zero mode, which would also change the host program's arithmetic. */
static float flush_tiny(float x) { return fabsf(x) < NM_TINY ? 0.0f : x; }


/* ---- Neuron scale: per-input attention (ACh) and per-unit gain (NA); both off by default ----
 *
 * Attentional set (attention_set = tau_s > 0, ACh on). Each input j carries a salience s_j, a slow running
 * mean (time constant tau_s steps) of how much that input, where it is present, drives the agent's outputs:
 * gradient x input attributions |x_j| |dy/du_j|, the raw input times the gradient w.r.t. the attended input,
 * for two outputs y, the policy's choice (the taken action's logit relative to the mean logit; for two
 * actions, half the logit difference) and the critic V, each normalised to sum 1 over the inputs, averaged,
 * and scaled so that s has mean 1 (the network computes the attributions: nm_net_salience). It is
 * Mackintosh's (1975) learned associability: attention goes to the
 * inputs that the learned response and reward prediction depend on and away from those they ignore, and an
 * input that is silent, or that drives nothing whatever its weights, earns none (the first-layer column norm,
 * tried before, rewarded exactly those). Cholinergic input to cortex carries such cue-specific attention
 * (Hasselmo 2006; Sarter et al. 2005). Either output alone was tried (docs/decisions.md, Neuron scale): the
 * critic alone formed a weak set that moved ahead of the policy; the policy alone stops changing once the
 * policy saturates, leaving an irrelevant input at its initial salience.
 *   attention_j = A ((1 - r) s_j + r),  r = clamp(level_NA, 0, 1)
 * A is ACh's mapped attention, so the mean over inputs stays A. r is NA releasing the set: noradrenergic,
 * not cholinergic, prefrontal input is needed for extra-dimensional shifts (Tait et al. 2007; McGaughy et al.
 * 2008; Lapiz & Morilak 2006), so a change-point that raises NA lets every input back in. NA also dissolves
 * the set: s relaxes toward 1 at a rate r / tau_phasic.NA, as NA's "network reset" clears the traces (Bouret
 * & Sara 2005), so that the release outlasts the phasic burst instead of only masking the set while it lasts
 * (masking alone: see docs/decisions.md, Neuron scale).
 *
 * Gain focus (gain_focus = k > 0, NA on). GANE (Mather et al. 2016): NA's gain increase is concentrated
 * where glutamate is high, on the most active units, and weakly active ones are suppressed ("winner takes
 * more"). a_i is a running mean of |h_i| over tau_phasic.NA steps;
 *   gain_i = G e_i / mean_layer(e),  e_i = exp(k level_NA (a_i / mean_layer(a) - 1))
 * so the mean gain of a layer stays G, the mapped gain, and with NA at rest every unit takes G.
 *
 * Both read the act-time forward pass once per learn step, with the weights after the step's update. Cost:
 * two backward passes through the trunk for one output each (matrix-vector products, no outer products)
 * when the set is on, and a few vector operations over units and inputs. Nothing is allocated. */
static void observe_vectors(const nm_agent_config *c, const nm_mod_consts *mc, const nm_modstate *m,
                            const nm_mod_signals *sig, const nm_mod_vectors *vec)
{
    size_t i, l, n = c->n_obs;
    if (vec->activity_out != vec->activity_in) {
        size_t units = 0;
        for (l = 0; l < c->n_layers; l++) units += c->hidden[l];
        memcpy(vec->activity_out, vec->activity_in, units * sizeof(float));
    }
    if (vec->salience_out != vec->salience_in) memcpy(vec->salience_out, vec->salience_in, n * sizeof(float));
    if (nm_mod_wants_activity(c)) {
        float *act = vec->activity_out, k = mc->inv_tau_phasic[NM_NA];
        size_t off = 0;
        for (l = 0; l < c->n_layers; l++) {
            const float *h = sig->activity[l];
            float *al = act + off;
            for (i = 0; i < c->hidden[l]; i++) al[i] = flush_tiny(al[i] + k * (fabsf(h[i]) - al[i]));
            off += c->hidden[l];
        }
    }
    if (nm_mod_wants_salience(c)) {
        float *s = vec->salience_out;
        const float *att = sig->salience;   /* the summed attributions */
        float sum = 0.0f, k = 1.0f / c->attention_set, r = m->level[NM_NA];
        for (i = 0; i < n; i++) sum += att[i];
        if (sum > NM_TINY && isfinite(sum)) {
            float norm = (float)n / sum;
            for (i = 0; i < n; i++) s[i] += k * (att[i] * norm - s[i]);
        }
        if (r > 0.0f) {
            float kr = (r > 1.0f ? 1.0f : r) / c->tau_phasic[NM_NA];
            for (i = 0; i < n; i++) s[i] += kr * (1.0f - s[i]);
        }
    }
}

void nm_mod_effects_of(const nm_agent_config *c, const nm_modstate *m, const float *salience,
                       const float *activity, nm_mod_effects *fx)
{
    size_t i, l, off = 0, na = c->n_obs;
    float na_level = m->level[NM_NA];
    for (l = 0; l < c->n_layers; l++) {
        size_t n = c->hidden[l];
        const float *al = activity + off;
        float *e = fx->focus + off, mean = 0.0f, esum = 0.0f, kk;
        off += n;
        fx->focused[l] = 0;
        if (!(c->gain_focus > 0.0f && na_level > 0.0f)) continue;
        for (i = 0; i < n; i++) mean += al[i];
        mean /= (float)n;
        if (!(mean > NM_TINY)) continue;
        kk = c->gain_focus * na_level / mean;
        for (i = 0; i < n; i++) { e[i] = nm_expf(kk * (al[i] - mean)); esum += e[i]; }
        fx->focused[l] = 1;
        fx->focus_sum[l] = esum;
    }
    fx->has_set = nm_mod_wants_salience(c);
    if (fx->has_set) {
        float r = na_level < 0.0f ? 0.0f : (na_level > 1.0f ? 1.0f : na_level);
        for (i = 0; i < na; i++) fx->set[i] = (1.0f - r) * salience[i] + r;
    }
}

/* Advances the change-point CUSUM by one step (outlier: S > na_threshold E) and returns NA's input from it. */
static float changepoint_input(const nm_mod_consts *mc, nm_modstate *m, int outlier)
{
    float pi, llr;
    m->outlier_rate += mc->inv_tau_tonic[NM_ACH] * ((outlier ? 1.0f : 0.0f) - m->outlier_rate);
    pi = m->outlier_rate < NM_OUTLIER_RATE_MIN ? NM_OUTLIER_RATE_MIN
       : (m->outlier_rate > NM_OUTLIER_RATE_MAX ? NM_OUTLIER_RATE_MAX : m->outlier_rate);
    llr = outlier ? nm_logf(0.5f / pi) : nm_logf(0.5f / (1.0f - pi));
    m->changepoint = m->changepoint + llr > 0.0f ? m->changepoint + llr : 0.0f;
    return m->changepoint / (m->changepoint + NM_CHANGEPOINT_HALF);
}

/* The step writes every field of out (which may be in): no copy of the state first, and every integrator written
 * once, already flushed (flush_tiny), from locals that keep the unflushed value where the step reads it again, so
 * the arithmetic is that of updating the fields in place and flushing them after. Copying the state and reading
 * the fields back as vectors just after their one-float stores cost time (no store forwarding). A new field of
 * nm_modstate must be written here (the size check below fails until it is). */
typedef char nm_modstate_has_32_floats[sizeof(nm_modstate) == 32 * sizeof(float) ? 1 : -1];

void nm_mod_step(const nm_agent_config *c, const nm_mod_consts *mc, const nm_modstate *in,
                 const nm_mod_signals *sig, nm_modstate *out, const nm_mod_vectors *vec, nm_mod_effects *fx)
{
    nm_modstate *m = out;
    const float *kt = mc->inv_tau_tonic;
    float u, excess, reward = sig->reward, surprise = sig->surprise, expected = sig->expected;
    /* the state before the step, read before anything is written */
    float p_na = in->phasic[NM_NA], t_na = in->tonic[NM_NA], t_ach = in->tonic[NM_ACH], t_da = in->tonic[NM_DA];
    float p_5ht = in->phasic[NM_5HT], t_5ht = in->tonic[NM_5HT], r_short = in->reward_short;
    float r_var = in->reward_var, ach_level = in->level[NM_ACH], p_ach;
    int at_rest;

    m->outlier_rate = in->outlier_rate;
    m->changepoint = in->changepoint;
    m->surprise = surprise;
    m->expected = expected;
    /* NA: the part of the surprise that expected uncertainty does not explain */
    excess = surprise - c->na_threshold * expected;    /* > 0 exactly when the step is an outlier */
    /* na_expected 'variance': an error within the spread of the task's rewards (their variance before this step)
     * is expected in this task, whatever the cue's slowly learned expectation says (a known hazard) */
    if (c->na_expected == NM_NA_EXPECTED_VARIANCE && surprise - r_var < excess)
        excess = surprise - r_var;
    u = excess > 0.0f ? excess / (surprise + c->surprise_floor) : 0.0f;
    /* na_ach_threshold: ACh, the known unreliability, sets how unexpected an outcome must be to count (Yu & Dayan
     * 2005's switch rule NE > ACh / (0.5 + ACh)); ACh's level before this step, clamped to [0, 1] */
    if (c->na_ach_threshold == NM_NA_ACH_ON) {
        float a = ach_level < 0.0f ? 0.0f : (ach_level > 1.0f ? 1.0f : ach_level);
        float theta = a / (0.5f + a);
        u = u > theta ? (u - theta) / (1.0f - theta) : 0.0f;
    }
    m->unexpected = u;
    p_na = mc->phasic_decay[NM_NA] * p_na +
           (c->na_input == NM_NA_CHANGEPOINT ? changepoint_input(mc, m, excess > 0.0f) : u);
    t_na = t_na + kt[NM_NA] * (p_na - t_na);
    m->outlier_rate = flush_tiny(m->outlier_rate);
    m->phasic[NM_NA] = flush_tiny(p_na);
    m->tonic[NM_NA] = flush_tiny(t_na);
    fx->reset = (c->modulators & NM_MOD_BIT(NM_NA)) && u > c->na_reset;

    /* ACh: the expected uncertainty of the states the agent is in */
    p_ach = expected - c->surprise_floor;
    m->phasic[NM_ACH] = flush_tiny(p_ach);
    m->tonic[NM_ACH] = flush_tiny(t_ach + kt[NM_ACH] * (p_ach - t_ach));

    /* DA */
    m->phasic[NM_DA] = flush_tiny(sig->delta);
    t_da = t_da + kt[NM_DA] * (reward - t_da);
    m->tonic[NM_DA] = flush_tiny(t_da);
    {
        /* NA's second input, utility (Aston-Jones & Cohen 2005): when the recent reward rate falls below the
         * long-run one by more than its expected fluctuation, the LC shifts to its tonic, exploratory mode and
         * stays there until the reward rate recovers, even after the outcome predictor has stopped being
         * surprised. z counts standard errors of the short average (window tau_phasic.DA). */
        float ks = mc->inv_tau_phasic[NM_DA], dev = reward - t_da, se, z;
        r_short = r_short + ks * (reward - r_short);
        r_var = r_var + kt[NM_DA] * (dev * dev - r_var);
        m->reward_short = flush_tiny(r_short);
        m->reward_var = flush_tiny(r_var);
        se = sqrtf(r_var * ks * 0.5f) + 1e-3f;
        z = (t_da - r_short) / se - 3.0f;
        m->utility_drop = z > 0.0f ? z / (z + 2.0f) : 0.0f;
    }

    /* 5-HT */
    {
        float pun = reward < 0.0f ? -reward : 0.0f, drive = pun;
        if (c->serotonin_input == NM_5HT_RELATIVE) {
            float beyond = pun - (1.0f - mc->phasic_decay[NM_5HT]) * p_5ht;
            drive = beyond > 0.0f ? beyond : 0.0f;
        }
        m->phasic[NM_5HT] = flush_tiny(mc->phasic_decay[NM_5HT] * p_5ht + pun);
        m->tonic[NM_5HT] = flush_tiny(t_5ht + kt[NM_5HT] * (drive - t_5ht));
    }
    /* with every level +0 or -0 each sum_k M[p][k] level_k is +0, as at rest: the meta-parameters are the rest
     * values */
    at_rest = compute_levels(c, m);
    observe_vectors(c, mc, m, sig, vec);
    if (at_rest) memcpy(m->params, mc->rest_params, sizeof m->params);
    else nm_mod_compute_params(c, m->level, m->params);
    nm_mod_effects_of(c, m, vec->salience_out, vec->activity_out, fx);
}
