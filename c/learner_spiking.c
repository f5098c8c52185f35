/*
 * learner_spiking.c -- the spiking actor-critic (NM_MODEL_SPIKING), after the reference paper's conceptual model:
 * leaky integrate-and-fire neurons in E/I groups, dopamine-gated STDP with eligibility traces, noradrenergic
 * excitability and correlated bursting. The neuron and plasticity arithmetic is in lif.c and stdp.c (spiking.h).
 *
 * Network (neurons in threshold units; the config rows marked "spiking" set every size and constant):
 *   inputs   2 x input_neurons per observation: on cells fire at input_rate x clip(attn_j x obs_j, 0, 1), off
 *            cells at input_rate x clip(-attn_j x obs_j, 0, 1), as Poisson trains (the agent's RNG) or regular
 *            population-rate trains (a phase per cell); every input is excitatory
 *   groups   one per action (the actor) and one more (the critic), each group_e E and group_i I cells; input ->
 *            any group cell with probability p_input (weights U(0, w_input)); recurrent connections inside a
 *            group with probability p_connect, static, signed by the presynaptic type (Dale's law)
 *   act(s)   simulates sim_ms of the network on s (dt steps); the net rate of a group is the mean E rate minus
 *            the mean I rate; the action is the group of the highest net rate (ties broken by the RNG) or a
 *            sample of softmax(beta x net / 10 Hz), the withhold bias added to the withhold action's net / 10 Hz;
 *            V(s) = bv + wv . (critic rates / 100 Hz). STDP pairings of the window (input -> E synapses) are
 *            folded into the eligibility traces, gated by the action's feedback: +1 in the group that acted,
 *            -1/(A-1) in the others (credit or blame for the choice made), and by its readout weight in each
 *            critic cell (how that cell's rate moves V).
 *   learn    simulates sim_ms on s' for V(s'), delta = r + gamma V(s') - V(s) (DA); plastic weights
 *            w += learning_rate x delta x factor_DA x e, clipped to [0, w_max]; the readout by normalised LMS on
 *            the pending step's critic rates; the outcome predictor on the pending step's input rates; the
 *            modulators step as for the rate learner.
 *   NA       the gain meta-parameter (NA raises it through the mapping) scales the input to E cells
 *            (excitability); each group's E cells receive correlated bursts (a common depolarisation of
 *            na_burst_amp) at na_burst_hz x level_NA: the level follows NA's phasic and tonic parts (the LC's
 *            phasic response on top of its tonic mode), so bursts come in a transient after a surprise.
 *   ACh, 5-HT, DA's tonic part: through the mapping's targets that exist here (attention on the input rates,
 *            the withhold bias, the learning rate, beta, the discount); consolidation, gain focus and the
 *            attentional set have no target and are refused.
 * State: everything lives in the agent's float block (spk_layout); the persistent network state is one slice at
 * off_cache, the checkpoint's SPIK section. Connectivity is drawn at creation from the seed and is not saved.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include "nm_internal.h"
#include "nm_math.h"
#include "spiking.h"

/* static recurrent weight magnitudes (threshold units): E->E, E->I, I->E, I->I */
#define W_EE 0.05f
#define W_EI 0.10f
#define W_IE 0.20f
#define W_II 0.10f

typedef struct spk_layout {
    size_t A, G, nE, nI, Ng, N, m, n_in, F, K;
    size_t w_in, wv, bv;                  /* offsets in params */
    /* the state slice (relative to the block): */
    size_t v, refr, y, last, x, phase, counts, in_counts, net, value, state_end;
    /* scratch */
    size_t s_v;                           /* a copy of the live network state (v .. in_counts) for s' and evaluate */
    size_t z, spk, in_p, plastic, rec, end;
} spk_layout;

/* the network state a simulation runs on (live or the scratch copy) */
typedef struct spk_state { float *v, *refr, *y, *last, *x, *phase, *counts, *in_counts; } spk_state;

static size_t steps_of(const nm_agent_config *c)
{
    return (size_t)floor((double)c->sim_ms / (double)c->dt + 0.5);
}

static void spk_dims(const nm_agent_config *c, spk_layout *d, size_t base)
{
    size_t o, sl;
    d->A = c->n_actions; d->G = d->A + 1; d->nE = c->group_e; d->nI = c->group_i; d->Ng = d->nE + d->nI;
    d->N = d->G * d->Ng; d->m = c->input_neurons; d->n_in = 2 * d->m * c->n_obs; d->F = d->n_in;
    d->K = steps_of(c);
    d->w_in = 0; d->wv = d->n_in * d->N; d->bv = d->wv + d->Ng;
    o = base;
    d->v = o; o += d->N; d->refr = o; o += d->N; d->y = o; o += d->N; d->last = o; o += d->N;
    d->x = o; o += d->n_in; d->phase = o; o += d->n_in; d->counts = o; o += d->N; d->in_counts = o; o += d->n_in;
    sl = o - d->v;   /* v .. in_counts: what a simulation reads and writes */
    d->net = o; o += d->A; d->value = o; o += 1;
    d->state_end = o;
    d->s_v = o; o += sl;
    d->z = o; o += d->n_in * d->N; d->spk = o; o += d->N; d->in_p = o; o += d->n_in;
    d->plastic = o; o += d->n_in * d->N; d->rec = o; o += d->G * d->Ng * d->Ng;
    d->end = o;
}

static void state_at(const spk_layout *d, float *block, size_t v0, spk_state *s)
{
    size_t shift = v0 - d->v;
    s->v = block + d->v + shift; s->refr = block + d->refr + shift; s->y = block + d->y + shift;
    s->last = block + d->last + shift; s->x = block + d->x + shift; s->phase = block + d->phase + shift;
    s->counts = block + d->counts + shift; s->in_counts = block + d->in_counts + shift;
}

static size_t sim_len(const spk_layout *d) { return d->net - d->v; }

static void spk_layout_agent(nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    spk_layout d;
    size_t A = c->n_actions, off;
    spk_dims(c, &d, 0);
    a->n_features = d.F;
    a->policy_w = a->policy_b = a->value_w = 0;
    a->value_w = d.wv; a->value_b = d.bv;
    off = d.bv + 1;
    a->n_traced = d.n_in * d.N;            /* the eligibility of every input synapse (0 where none is plastic) */
    a->pred_w = off; off += A * d.F;
    a->pred_b = off; off += A;
    a->var_w = off; off += A * d.F;
    a->var_b = off; off += A;
    a->n_params = off;
    a->max_width = 0;
    memset(&a->cl, 0, sizeof a->cl);
    a->off_params = 0;
    a->off_trace = a->n_params;
    a->off_anchor = a->off_trace + a->n_traced;
    a->n_anchor = 0;
    a->off_gain = a->off_anchor;           /* no trunk units: the gain acts on the E cells as one number */
    a->off_attn = a->off_gain;
    a->off_sal = a->off_attn + c->n_obs;
    a->off_act = a->off_sal + c->n_obs;
    a->off_cache = a->off_act;             /* the network state (spk_layout, from v to value) */
    spk_dims(c, &d, a->off_cache);
    a->off_next = a->off_scratch = d.state_end;
    a->off_obs = d.end;
    a->off_backup = a->off_obs + c->n_obs;
    a->off_modnext = a->off_backup;
    a->off_trace2 = a->off_modnext + 2 * c->n_obs;
    a->block_len = a->off_trace2;
}

static size_t spk_state_len(const nm_agent *a)
{
    spk_layout d;
    spk_dims(&a->cfg, &d, a->off_cache);
    return d.state_end - d.v;
}

static nm_status spk_check(const nm_agent_config *c, char *msg, size_t msglen)
{
    double n_in = 2.0 * (double)c->input_neurons * (double)c->n_obs;
    double N = ((double)c->n_actions + 1.0) * ((double)c->group_e + (double)c->group_i);
    if (c->dt > c->sim_ms) {
        nm_write_msg(msg, msglen, "dt: expected at most sim_ms (%g ms), got %g", (double)c->sim_ms, (double)c->dt);
        return NM_ERR_ARG;
    }
    if ((double)c->sim_ms / (double)c->dt > 1e4) {
        nm_write_msg(msg, msglen, "sim_ms: at most 10,000 steps of dt per task step, got %g",
                     (double)c->sim_ms / c->dt);
        return NM_ERR_ARG;
    }
    if (3.0 * n_in * N + (N / ((double)c->n_actions + 1.0)) * N > 2.5e8) {
        nm_write_msg(msg, msglen, "input_neurons: %g inputs x %g neurons is too large a network for the spiking model",
                     n_in, N);
        return NM_ERR_ARG;
    }
    if (c->base[NM_P_CONSOLIDATION] > 0.0f) {
        nm_write_msg(msg, msglen, "consolidation: not available for the spiking model (its base must be 0; nm_agent_config_continual(cfg, 0) turns every continual-learning row off)");
        return NM_ERR_ARG;
    }
    if (c->gain_focus > 0.0f) {
        nm_write_msg(msg, msglen, "gain_focus: not available for the spiking model (must be 0)");
        return NM_ERR_ARG;
    }
    if (c->attention_set > 0.0f) {
        nm_write_msg(msg, msglen, "attention_set: not available for the spiking model (must be 0)");
        return NM_ERR_ARG;
    }
    /* continual learning's gates act on trunk units and its importances on the rate learner's traced weights:
     * neither exists here (its state would land on the network's) */
    if (c->gating > 0.0f || c->boundary > 0.0f || c->importance != NM_IMPORTANCE_SLOW) {
        nm_write_msg(msg, msglen, "%s: not available for the spiking model (must be %s; nm_agent_config_continual(cfg, 0) turns every continual-learning row off)",
                     c->gating > 0.0f ? "gating" : c->boundary > 0.0f ? "boundary" : "importance",
                     c->importance != NM_IMPORTANCE_SLOW && !(c->gating > 0.0f) && !(c->boundary > 0.0f) ? "'slow'" : "0");
        return NM_ERR_ARG;
    }
    return NM_OK;
}

static void spk_init(nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    spk_layout d;
    float *b = a->block, *w, *pl, *rec;
    size_t i, k, g, l, j;
    spk_dims(c, &d, a->off_cache);
    w = b + a->off_params + d.w_in;
    pl = b + d.plastic;
    rec = b + d.rec;
    /* input connectivity and weights, row by row (one input's targets) */
    for (i = 0; i < d.n_in; i++)
        for (k = 0; k < d.N; k++)
            if (nm_rng_uniform(&a->rng) < (double)c->p_input) {
                w[i * d.N + k] = (float)(nm_rng_uniform(&a->rng) * (double)c->w_input);
                pl[i * d.N + k] = (k % d.Ng) < d.nE ? 1.0f : 0.0f;   /* input -> E is plastic, input -> I static */
            }
    /* recurrent connections inside each group, signed by the presynaptic type */
    for (g = 0; g < d.G; g++)
        for (k = 0; k < d.Ng; k++)
            for (l = 0; l < d.Ng; l++) {
                float mag;
                if (k == l || !(nm_rng_uniform(&a->rng) < (double)c->p_connect)) continue;
                if (k < d.nE) mag = l < d.nE ? W_EE : W_EI;
                else mag = -(l < d.nE ? W_IE : W_II);
                rec[(g * d.Ng + k) * d.Ng + l] = mag;
            }
    nm_predictor_init(c->n_actions, b + a->off_params + a->var_b);
    for (j = 0; j < c->n_obs; j++) { b[a->off_attn + j] = 1.0f; b[a->off_sal + j] = 1.0f; }
    /* membranes start spread below threshold and rate-code phases spread over a cycle, so the first window
     * is not one synchronous volley */
    for (k = 0; k < d.N; k++) b[d.v + k] = (float)(nm_rng_uniform(&a->rng) * 0.5);
    for (i = 0; i < d.n_in; i++) b[d.phase + i] = (float)nm_rng_uniform(&a->rng);
}

/* Simulates one window of K steps on obs into the state s (spike counts from zero). With z, the window's STDP
 * pairings are added to z, each weighted by its decay to the window's end (exp(-(K-1-k) dt / elig_tau)). */
static void simulate(nm_agent *a, const spk_layout *d, const float *obs, const spk_state *s, nm_rng *rng, float *z)
{
    const nm_agent_config *c = &a->cfg;
    float *b = a->block;
    const float *w = b + a->off_params + d->w_in, *pl = b + d->plastic, *rec = b + d->rec;
    const float *attn = b + a->off_attn;
    float *spk = b + d->spk, *in_p = b + d->in_p;
    /* input weights are relative to an expected fan-in of 24 input cells: a cell's input is scaled by 24 / its
     * expected fan-in, so that a wider observation does not drive every group to saturation */
    double fan_in = (double)c->p_input * (double)d->n_in;
    float in_scale = fan_in > 1.0 ? (float)(24.0 / fan_in) : 1.0f;
    float gain = a->mod.params[NM_P_GAIN] * in_scale, na = a->mod.level[NM_NA];
    float dx = (float)exp(-(double)c->dt / (double)c->stdp_tau_plus);
    float dy = (float)exp(-(double)c->dt / (double)c->stdp_tau_minus);
    double pb = (double)c->na_burst_hz * (na > 0.0f ? (double)na : 0.0) * (double)c->dt * 1e-3;
    int poisson = c->input_encoding == 0;
    size_t i, j, k, g, l, m = d->m;
    nm_lif lif;
    nm_lif_init(&lif, c->tau_m, c->dt, c->refractory);
    for (j = 0; j < c->n_obs; j++) {
        float u = attn[j] * obs[j], on = u > 0.0f ? u : 0.0f, off = u < 0.0f ? -u : 0.0f;
        float pon = (on > 1.0f ? 1.0f : on) * c->input_rate * c->dt * 1e-3f;
        float poff = (off > 1.0f ? 1.0f : off) * c->input_rate * c->dt * 1e-3f;
        for (i = 0; i < m; i++) { in_p[2 * m * j + i] = pon; in_p[2 * m * j + m + i] = poff; }
    }
    memset(s->counts, 0, d->N * sizeof(float));
    memset(s->in_counts, 0, d->n_in * sizeof(float));
    for (k = 0; k < d->K; k++) {
        float f = z ? (float)exp(-(double)(d->K - 1 - k) * (double)c->dt / (double)c->elig_tau) : 0.0f;
        nm_stdp_decay(d->n_in, dx, s->x);
        nm_stdp_decay(d->N, dy, s->y);
        nm_lif_leak(&lif, d->N, c->spike_bias, s->v);
        /* the previous step's spikes arrive through the static recurrent synapses (one step of delay) */
        for (l = 0; l < d->N; l++)
            if (s->last[l] != 0.0f) {
                g = l / d->Ng;
                nm_syn_deliver(d->Ng, 1.0f, rec + l * d->Ng, s->v + g * d->Ng);
            }
        /* input spikes: to E cells scaled by the gain (NA's excitability), to I cells as they are */
        for (i = 0; i < d->n_in; i++) {
            int fire;
            if (!(in_p[i] > 0.0f)) continue;
            if (poisson) fire = nm_rng_uniform(rng) < (double)in_p[i];
            else {
                s->phase[i] += in_p[i];
                fire = s->phase[i] >= 1.0f;
                if (fire) s->phase[i] -= 1.0f;
            }
            if (!fire) continue;
            for (g = 0; g < d->G; g++) {
                const float *row = w + i * d->N + g * d->Ng;
                nm_syn_deliver(d->nE, gain, row, s->v + g * d->Ng);
                nm_syn_deliver(d->nI, in_scale, row + d->nE, s->v + g * d->Ng + d->nE);
            }
            if (z) nm_stdp_pre(d->N, i, c->stdp_a_minus * f, s->y, pl, z);
            s->x[i] += 1.0f;
            s->in_counts[i] += 1.0f;
        }
        /* NA: correlated bursts, each group's E cells depolarised together */
        if (pb > 0.0)
            for (g = 0; g < d->G; g++)
                if (nm_rng_uniform(rng) < pb)
                    for (l = 0; l < d->nE; l++) s->v[g * d->Ng + l] += c->na_burst_amp;
        nm_lif_fire(&lif, d->N, s->v, s->refr, spk);
        for (l = 0; l < d->N; l++)
            if (spk[l] != 0.0f) {
                s->counts[l] += 1.0f;
                if (z && (l % d->Ng) < d->nE) nm_stdp_post(d->n_in, d->N, l, c->stdp_a_plus * f, s->x, pl, z);
                s->y[l] += 1.0f;
            }
        memcpy(s->last, spk, d->N * sizeof(float));
    }
}

/* Hz of a count over the window */
static float rate_hz(const spk_layout *d, const nm_agent_config *c, float count)
{
    return count * 1000.0f / ((float)d->K * c->dt);
}

/* net rates (Hz) of the actor groups and V from the counts of a window */
static float readout(nm_agent *a, const spk_layout *d, const float *counts, float *net)
{
    const nm_agent_config *c = &a->cfg;
    const float *p = a->block + a->off_params;
    const float *crit = counts + d->A * d->Ng;
    float v = p[d->bv];
    size_t g, l;
    if (net)
        for (g = 0; g < d->A; g++) {
            float se = 0.0f, si = 0.0f;
            for (l = 0; l < d->nE; l++) se += counts[g * d->Ng + l];
            for (l = d->nE; l < d->Ng; l++) si += counts[g * d->Ng + l];
            net[g] = rate_hz(d, c, se) / (float)d->nE - (d->nI ? rate_hz(d, c, si) / (float)d->nI : 0.0f);
        }
    for (l = 0; l < d->Ng; l++) v += p[d->wv + l] * rate_hz(d, c, crit[l]) * 0.01f;
    return v;
}

/* the policy over actions from the net rates: max (one-hot, ties shared) or softmax(beta net / 10 Hz);
 * softmax = 1 gives the softmax whatever the readout (the actor's policy gate) */
static void policy_of(const nm_agent *a, const float *net, float *probs, int softmax)
{
    const nm_agent_config *c = &a->cfg;
    size_t i, A = c->n_actions, ties = 0;
    float best = -INFINITY;
    for (i = 0; i < A; i++) {
        float x = net[i] * 0.1f + ((int)i == c->withhold_action ? a->mod.params[NM_P_WITHHOLD_BIAS] : 0.0f);
        probs[i] = x;
        if (x > best) best = x;
    }
    if (c->action_readout == 0 && !softmax) {
        for (i = 0; i < A; i++) ties += probs[i] == best;
        for (i = 0; i < A; i++) probs[i] = probs[i] == best ? 1.0f / (float)ties : 0.0f;
    } else {
        float beta = a->mod.params[NM_P_INVERSE_TEMPERATURE], sum = 0.0f;
        /* the library's expf (the same bits on every CPU); the winner's term is exp(0) = 1 even at an infinite
         * product, so the sum is >= 1 */
        for (i = 0; i < A; i++) {
            float dz = probs[i] - best;
            probs[i] = dz == 0.0f ? 1.0f : nm_expf(beta * dz);
            sum += probs[i];
        }
        for (i = 0; i < A; i++) probs[i] /= sum;
    }
}

static void policy(const nm_agent *a, const float *net, float *probs) { policy_of(a, net, probs, 0); }

static int choose(nm_rng *rng, const float *probs, size_t n)
{
    double u, acc = 0.0;
    size_t i, nz = 0;
    for (i = 0; i < n; i++) nz += probs[i] > 0.0f;
    if (nz == 1) for (i = 0; i < n; i++) if (probs[i] > 0.0f) return (int)i;   /* no draw for a clear winner */
    u = nm_rng_uniform(rng);
    for (i = 0; i + 1 < n; i++) {
        acc += probs[i];
        if (u < acc) return (int)i;
    }
    return (int)(n - 1);
}

/* Whether the window's pairings z can enter the eligibility e without making it non-finite, whatever the action:
 * |e decay + gate z| <= |e| decay + |gate| |z|, with |gate| <= 1 in an action group (either actor_gate) and the
 * critic cell's readout weight in the critic's group. A bound in double with a margin for the three float
 * roundings, checked before act keeps anything (large readout weights and STDP amplitudes can overflow it). */
static int elig_stays_finite(const nm_agent *a, const spk_layout *d, const float *e, const float *z, float decay)
{
    const float *wv = a->block + a->off_params + d->wv;
    size_t i, g, l;
    for (i = 0; i < d->n_in; i++)
        for (g = 0; g < d->G; g++) {
            const float *ei = e + i * d->N + g * d->Ng, *zi = z + i * d->N + g * d->Ng;
            for (l = 0; l < d->Ng; l++) {
                double gate = g == d->A ? fabs((double)wv[l]) : 1.0;
                double bound = fabs((double)ei[l]) * decay + gate * fabs((double)zi[l]);
                if (!(bound * (1.0 + 1e-6) < FLT_MAX)) return 0;
            }
        }
    return 1;
}

static nm_status spk_act(nm_agent *a, const float *obs, int *action)
{
    const nm_agent_config *c = &a->cfg;
    spk_layout d;
    spk_state s;
    float *b = a->block, *e = b + a->off_trace, *z, *net;
    float decay;
    size_t i, g, l;
    nm_rng rng0 = a->rng;
    float v_new;
    int finite;
    spk_dims(c, &d, a->off_cache);
    state_at(&d, b, d.v, &s);
    z = b + d.z;
    net = b + d.net;
    /* the window runs on the live state, kept only if the critic's value and the net rates it gives are finite
     * (large weights can overflow their sums): the copy is what a refused act restores */
    memcpy(b + d.s_v, b + d.v, sim_len(&d) * sizeof(float));
    simulate(a, &d, obs, &s, &a->rng, z);
    v_new = readout(a, &d, s.counts, b + d.spk);   /* the net rates into scratch first (A <= N floats) */
    finite = isfinite(v_new) && a->kern->all_finite(sim_len(&d), b + d.v);
    for (g = 0; g < d.A; g++) finite &= isfinite(b[d.spk + g]) != 0;
    decay = (float)exp(-(double)d.K * (double)c->dt / (double)c->elig_tau);
    if (finite && !elig_stays_finite(a, &d, e, z, decay)) {
        memcpy(b + d.v, b + d.s_v, sim_len(&d) * sizeof(float));
        memset(z, 0, d.n_in * d.N * sizeof *z);
        a->rng = rng0;
        return nm_fail(a, NM_ERR_NUMERIC, "the step would make an eligibility trace non-finite (readout weights or "
                       "STDP pairings too large); the agent is unchanged");
    }
    if (!finite) {
        memcpy(b + d.v, b + d.s_v, sim_len(&d) * sizeof(float));
        memset(z, 0, d.n_in * d.N * sizeof *z);
        a->rng = rng0;
        return nm_fail(a, NM_ERR_NUMERIC, "the network's state, the critic's value or an action group's net rate "
                       "would not be finite; the agent is unchanged");
    }
    memcpy(net, b + d.spk, d.A * sizeof *net);
    b[d.value] = v_new;
    /* the policy into the spike scratch (A <= N floats), then the choice */
    policy(a, net, b + d.spk);
    *action = choose(&a->rng, b + d.spk, d.A);
    /* actor_gate 'policy': the softmax policy over the window's net rates (whatever the readout), whose score
     * 1[g = a] - pi(g) has mean 0 under the policy, so a bias of the critic's V cancels from the actor's step
     * (the policy gradient's baseline invariance; the fixed gate below lets it drive the weights) */
    if (c->actor_gate == 1) policy_of(a, net, b + d.spk, 1);
    /* the window's pairings into the eligibility, gated per group: +1 for the group that acted, -1/(A-1) for
     * the others (what the action's feedback tells each group: as d log pi / d net of a softmax, the
     * alternatives lose what the chosen one gains), and for each critic cell its readout weight (how its rate
     * moves V) */
    for (i = 0; i < d.n_in; i++)
        for (g = 0; g < d.G; g++) {
            float gate = c->actor_gate == 1 ? (g < d.A ? (g == (size_t)*action ? 1.0f : 0.0f) - b[d.spk + g] : 0.0f)
                       : g == (size_t)*action ? 1.0f : -1.0f / (float)(d.A - 1);
            const float *wv = b + a->off_params + d.wv;
            float *ei = e + i * d.N + g * d.Ng, *zi = z + i * d.N + g * d.Ng;
            if (g == d.A)
                for (l = 0; l < d.Ng; l++) { ei[l] = ei[l] * decay + wv[l] * zi[l]; zi[l] = 0.0f; }
            else
                for (l = 0; l < d.Ng; l++) { ei[l] = ei[l] * decay + gate * zi[l]; zi[l] = 0.0f; }
        }
    return NM_OK;
}

static nm_status spk_learn(nm_agent *a, float reward, const float *next_obs, int terminal)
{
    const nm_agent_config *c = &a->cfg;
    spk_layout d;
    spk_state s2;
    float *b = a->block, *p = b + a->off_params, *e = b + a->off_trace;
    float *h, feat_scale;
    float v, v_next = 0.0f, delta, step, vstep, norm = 1.0f;
    float *wq, *wu;
    int act = a->pending_action, reset = 0;
    size_t l, i;
    nm_rng rng2 = a->rng;
    nm_prediction pr;
    nm_mod_signals sig;
    nm_modstate mod_next;
    nm_mod_effects fx;
    nm_status st;

    spk_dims(c, &d, a->off_cache);
    h = b + d.in_counts;
    v = b[d.value];
    if (!terminal) {
        /* V(s') from a window on s', run on a copy of the network state, kept only if the step is */
        memcpy(b + d.s_v, b + d.v, sim_len(&d) * sizeof(float));
        state_at(&d, b, d.s_v, &s2);
        simulate(a, &d, next_obs, &s2, &rng2, NULL);
        v_next = readout(a, &d, s2.counts, NULL);
        if (!isfinite(v_next) || !a->kern->all_finite(sim_len(&d), b + d.s_v))
            return nm_fail(a, NM_ERR_NUMERIC, "the window on next_obs would leave the network's state or the "
                           "critic's value non-finite; the agent is unchanged");
    }
    delta = reward + a->mod.params[NM_P_DISCOUNT] * v_next - v;
    step = a->mod.params[NM_P_LEARNING_RATE] * delta * a->mod.factor[NM_DA];
    /* the predictor reads the pending window's input rates, as fractions of input_rate (h is rescaled in place
     * once: in_counts is not read again before the next window) */
    feat_scale = c->input_rate > 0.0f ? 1000.0f / ((float)d.K * c->dt * c->input_rate) : 0.0f;
    wq = p + a->pred_w + (size_t)act * d.F;
    wu = p + a->var_w + (size_t)act * d.F;
    {
        /* the features scaled into z (zero between windows, n_in x N >= F floats), cleared after */
        float *feat = b + d.z;
        for (i = 0; i < d.F; i++) feat[i] = h[i] * feat_scale;
        int ok = nm_predictor_observe(a->kern, c, d.F, feat, wq, p[a->pred_b + act], wu, p[a->var_b + act], reward,
                                      &pr) && isfinite(step);
        /* the readout's step (normalised LMS on the critic's rates), checked before anything changes */
        const float *crit = b + d.counts + d.A * d.Ng;
        float sq = 0.0f;
        for (l = 0; l < d.Ng; l++) { float r = rate_hz(&d, c, crit[l]) * 0.01f; sq += r * r; }
        norm = 1.0f + sq;
        vstep = step * c->critic_scale / norm;
        ok = ok && isfinite(vstep) && isfinite(p[d.bv] + vstep);
        for (l = 0; l < d.Ng && ok; l++) ok = isfinite(p[d.wv + l] + vstep * (rate_hz(&d, c, crit[l]) * 0.01f));
        if (!ok) {
            memset(feat, 0, d.F * sizeof(float));
            return nm_fail(a, NM_ERR_NUMERIC, "the update would make a weight non-finite (delta = %g); the agent "
                           "is unchanged", (double)delta);
        }
        sig.reward = reward;
        sig.delta = delta;
        sig.surprise = pr.surprise;
        sig.expected = pr.expected;
        for (l = 0; l < NM_MAX_LAYERS; l++) sig.activity[l] = NULL;
        sig.salience = NULL;
        if ((st = nm_agent_modulate_prepare(a, &sig, &mod_next, &fx)) != NM_OK) {
            memset(feat, 0, d.F * sizeof(float));
            return st;
        }
        /* commit: the plastic weights, the readout, the predictor, the network state of the s' window */
        nm_stdp_apply(d.n_in * d.N, step, e, b + d.plastic, c->w_max, p + d.w_in);
        for (l = 0; l < d.Ng; l++) p[d.wv + l] += vstep * (rate_hz(&d, c, crit[l]) * 0.01f);
        p[d.bv] += vstep;
        nm_predictor_update(a->kern, d.F, &pr, feat, wq, p + a->pred_b + act, wu, p + a->var_b + act);
        memset(feat, 0, d.F * sizeof(float));
    }
    if (!terminal) {
        memcpy(b + d.v, b + d.s_v, sim_len(&d) * sizeof(float));
        a->rng = rng2;
    }
    nm_agent_modulate_commit(a, &mod_next, &fx, &reset);
    if (terminal || reset) memset(e, 0, a->n_traced * sizeof *e);
    return NM_OK;
}

static void spk_evaluate(nm_agent *a, const float *obs, float *probs, float *value)
{
    spk_layout d;
    spk_state s;
    nm_rng rng = a->rng;
    float *b = a->block, *net;
    spk_dims(&a->cfg, &d, a->off_cache);
    memcpy(b + d.s_v, b + d.v, sim_len(&d) * sizeof(float));
    state_at(&d, b, d.s_v, &s);
    simulate(a, &d, obs, &s, &rng, NULL);
    net = b + d.spk;   /* A <= N floats; the policy is written over the net rates in place */
    {
        float v = readout(a, &d, s.counts, net);
        if (value) *value = v;
    }
    if (probs) policy(a, net, probs);
}

static void spk_reset(nm_agent *a)
{
    memset(a->block + a->off_trace, 0, a->n_traced * sizeof(float));
}

/* weights, eligibilities, attention, salience and the network state */
static uint64_t spk_hash(const nm_agent *a, uint64_t h)
{
    h = nm_fnv1a(h, a->block, a->off_act * sizeof(float));
    return nm_fnv1a(h, a->block + a->off_cache, spk_state_len(a) * sizeof(float));
}

const nm_learner_ops nm_learner_spiking = {
    NM_MODEL_SPIKING, "spiking", spk_layout_agent, spk_init, spk_act, spk_learn, spk_evaluate, NULL,
    spk_reset, spk_hash, spk_check, spk_state_len
};
