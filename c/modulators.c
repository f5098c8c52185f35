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
 *                 A second input, utility (Aston-Jones & Cohen 2005): how far the reward rate over the short
 *                 window (tau_phasic.DA) sits below the long one (tonic DA), in standard errors of the short
 *                 average beyond 3, squashed to [0, 1). It keeps NA up after the predictor has learned the
 *                 new outcomes but the policy still earns less than before. raw = phasic + tonic + that.
 *   DA:           phasic = delta (reward prediction error, Schultz 1997); tonic = average reward over tau_t
 *                 (Niv et al. 2007). raw = tonic.
 *   5-HT:         phasic <- exp(-1/tau_p) phasic + max(0, -r) (aversive outcomes); tonic = running mean of the
 *                 punishment rate over tau_t (Daw, Kakade & Dayan 2002). raw = tonic.
 *
 *   level_k = tanh(raw_k / scale_k) (signed for DA), 0 when the modulator is switched off; then the
 *   interactions: level_k *= exp(sum_j I[k][j] level_j), and the third factor of plasticity is
 *   delta * exp(sum_j I[DA][j] level_j).
 *
 * Meta-parameters (many-to-one): p = p0 exp(sum_k M[p][k] level_k); discount and trace decay act on the
 * horizon, p = 1 - (1 - p0) exp(-sum_k M[p][k] level_k); the withhold bias is an additive logit offset,
 * p = p0 + sum_k M[p][k] level_k.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

void nm_mod_default_mapping(float M[NM_N_PARAMS][NM_N_MODULATORS])
{
    memset(M, 0, sizeof(float) * NM_N_PARAMS * NM_N_MODULATORS);
    /* Volatility (NA) raises the learning rate (Behrens et al. 2007); known noise (ACh) lowers it, as the
     * Kalman gain does (Yu & Dayan 2005; Piray & Daw 2020). */
    M[NM_P_LEARNING_RATE][NM_NA] = 1.0f;
    M[NM_P_LEARNING_RATE][NM_ACH] = -1.0f;
    /* NA drives exploration (Aston-Jones & Cohen 2005, tonic mode); tonic DA, the average reward, favours
     * exploitation (Humphries, Khamassi & Gurney 2012). */
    M[NM_P_INVERSE_TEMPERATURE][NM_NA] = -2.0f;
    M[NM_P_INVERSE_TEMPERATURE][NM_DA] = 1.0f;
    /* 5-HT lengthens the horizon: patience (Doya 2002; Miyazaki et al. 2014). */
    M[NM_P_DISCOUNT][NM_5HT] = 1.0f;
    /* A change-point shortens credit assignment to the new regime. */
    M[NM_P_TRACE_DECAY][NM_NA] = -0.5f;
    /* Adaptive gain: NA raises the gain of hidden units (Aston-Jones & Cohen 2005; Rodriguez-Garcia et al.). */
    M[NM_P_GAIN][NM_NA] = 0.5f;
    /* ACh raises the precision of sensory input (Hasselmo 2006; Yu & Dayan 2005). */
    M[NM_P_ATTENTION][NM_ACH] = 0.5f;
    /* Opponent pair on behavioural inhibition: expected punishment (5-HT) biases toward withholding
     * (Crockett et al. 2009; Guitart-Masip et al. 2012), average reward (tonic DA) toward acting (Niv 2007;
     * Boureau & Dayan 2011). */
    M[NM_P_WITHHOLD_BIAS][NM_5HT] = 2.0f;
    M[NM_P_WITHHOLD_BIAS][NM_DA] = -1.0f;
    /* 5-HT weighs prior knowledge; NA at a change lets go of it. */
    M[NM_P_CONSOLIDATION][NM_5HT] = 1.0f;
    M[NM_P_CONSOLIDATION][NM_NA] = -1.0f;
}

void nm_mod_default_interaction(float I[NM_N_MODULATORS][NM_N_MODULATORS])
{
    memset(I, 0, sizeof(float) * NM_N_MODULATORS * NM_N_MODULATORS);
    /* NA amplifies DA-gated plasticity (LC-VTA co-release; Sara 2009). */
    I[NM_DA][NM_NA] = 0.5f;
    /* 5-HT opposes DA (Daw, Kakade & Dayan 2002): under expected punishment reward learning is damped. */
    I[NM_DA][NM_5HT] = -0.5f;
}

void nm_mod_compute_params(const nm_agent_config *cfg, const float level[NM_N_MODULATORS],
                           float params[NM_N_PARAMS])
{
    int p, k;
    for (p = 0; p < NM_N_PARAMS; p++) {
        float x = 0.0f, p0 = cfg->base[p];
        for (k = 0; k < NM_N_MODULATORS; k++) x += cfg->mapping[p][k] * level[k];
        switch (p) {
        case NM_P_DISCOUNT:
        case NM_P_TRACE_DECAY:
            params[p] = 1.0f - (1.0f - p0) * expf(-x);
            if (params[p] > 0.999f) params[p] = 0.999f;
            if (params[p] < 0.0f) params[p] = 0.0f;
            break;
        case NM_P_WITHHOLD_BIAS:
            params[p] = p0 + x;
            break;
        default:           /* p0 = 0 (consolidation off) stays 0 whatever x: no exp needed */
            params[p] = (x == 0.0f || p0 == 0.0f) ? p0 : p0 * expf(x);
        }
    }
}

/* Levels from raw values, ablation and interactions; also writes the third-factor multiplier. */
static void compute_levels(nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    nm_modstate *m = &a->mod;
    float base[NM_N_MODULATORS];
    float raw[NM_N_MODULATORS];
    int k, j;
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
        m->factor[k] = x == 0.0f ? 1.0f : expf(x);
        m->level[k] = base[k] * m->factor[k];
    }
}

static void apply_params(nm_agent *a)
{
    float *g = a->block + a->off_gain, *at = a->block + a->off_attn;
    size_t i, ng = a->off_attn - a->off_gain, na = a->cfg.n_obs;
    nm_mod_compute_params(&a->cfg, a->mod.level, a->mod.params);
    /* Neuron scale: every hidden unit takes the network gain, every input the attention. Per-unit storage
     * is where context gating and per-input precision act. */
    for (i = 0; i < ng; i++) g[i] = a->mod.params[NM_P_GAIN];
    for (i = 0; i < na; i++) at[i] = a->mod.params[NM_P_ATTENTION];
}

void nm_mod_init(nm_agent *a)
{
    int k;
    for (k = 0; k < NM_N_MODULATORS; k++) {
        a->phasic_decay[k] = expf(-1.0f / a->cfg.tau_phasic[k]);
        a->inv_tau_tonic[k] = 1.0f / a->cfg.tau_tonic[k];
        a->inv_tau_phasic[k] = 1.0f / a->cfg.tau_phasic[k];
    }
    memset(&a->mod, 0, sizeof a->mod);
    /* expected uncertainty starts at the uncertainty head's prior (network.c) */
    a->mod.expected = NM_UNCERTAINTY_PRIOR;
    a->mod.tonic[NM_ACH] = NM_UNCERTAINTY_PRIOR;
    compute_levels(a);
    apply_params(a);
}

/* Leaky integrators decay geometrically toward zero between events and would end in the subnormal range,
 * where x86 arithmetic is many times slower (measured: the modulator update took 3x as long, a quarter of a
 * small agent's step, once NA's phasic and tonic parts had decayed). Values this small carry no signal, so
 * they are flushed to exactly zero: a fixed rule in the code, the same on every backend and machine, unlike
 * setting the FPU's flush-to-zero mode, which would also change the host program's arithmetic. */
#define NM_TINY 1e-30f
static float flush_tiny(float x) { return fabsf(x) < NM_TINY ? 0.0f : x; }

static void flush_state(nm_modstate *m)
{
    int k;
    for (k = 0; k < NM_N_MODULATORS; k++) {
        m->phasic[k] = flush_tiny(m->phasic[k]);
        m->tonic[k] = flush_tiny(m->tonic[k]);
    }
    m->reward_short = flush_tiny(m->reward_short);
    m->reward_var = flush_tiny(m->reward_var);
}

void nm_mod_step(nm_agent *a, float reward, float delta, float surprise, float expected, int *reset)
{
    const nm_agent_config *c = &a->cfg;
    nm_modstate *m = &a->mod;
    const float *kt = a->inv_tau_tonic;
    float u;

    m->surprise = surprise;
    m->expected = expected;
    /* NA: the part of the surprise that expected uncertainty does not explain */
    u = surprise - c->na_threshold * expected;
    u = u > 0.0f ? u / (surprise + c->surprise_floor) : 0.0f;
    m->unexpected = u;
    m->phasic[NM_NA] = a->phasic_decay[NM_NA] * m->phasic[NM_NA] + u;
    m->tonic[NM_NA] += kt[NM_NA] * (m->phasic[NM_NA] - m->tonic[NM_NA]);
    *reset = (c->modulators & NM_MOD_BIT(NM_NA)) && u > c->na_reset;

    /* ACh: the expected uncertainty of the states the agent is in */
    m->phasic[NM_ACH] = expected - c->surprise_floor;
    m->tonic[NM_ACH] += kt[NM_ACH] * (m->phasic[NM_ACH] - m->tonic[NM_ACH]);

    /* DA */
    m->phasic[NM_DA] = delta;
    m->tonic[NM_DA] += kt[NM_DA] * (reward - m->tonic[NM_DA]);
    {
        /* NA's second input, utility (Aston-Jones & Cohen 2005): when the recent reward rate falls below the
         * long-run one by more than its expected fluctuation, the LC shifts to its tonic, exploratory mode and
         * stays there until the reward rate recovers, even after the outcome predictor has stopped being
         * surprised. z counts standard errors of the short average (window tau_phasic.DA). */
        float ks = a->inv_tau_phasic[NM_DA], dev = reward - m->tonic[NM_DA], se, z;
        m->reward_short += ks * (reward - m->reward_short);
        m->reward_var += kt[NM_DA] * (dev * dev - m->reward_var);
        se = sqrtf(m->reward_var * ks * 0.5f) + 1e-3f;
        z = (m->tonic[NM_DA] - m->reward_short) / se - 3.0f;
        m->utility_drop = z > 0.0f ? z / (z + 2.0f) : 0.0f;
    }

    /* 5-HT */
    {
        float pun = reward < 0.0f ? -reward : 0.0f;
        m->phasic[NM_5HT] = a->phasic_decay[NM_5HT] * m->phasic[NM_5HT] + pun;
        m->tonic[NM_5HT] += kt[NM_5HT] * (pun - m->tonic[NM_5HT]);
    }
    flush_state(m);
    compute_levels(a);
    apply_params(a);
}
