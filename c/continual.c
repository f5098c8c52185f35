/*
 * continual.c -- learning task after task without forgetting: per-synapse importance and the anchor it
 * weighs, context gates over the hidden units, and the context models that infer the context when the task
 * does not name it.
 *
 * Importance (config importance = si | ewc, with base consolidation > 0). Between two boundaries each traced
 * weight accumulates
 *   si:  omega_i += (dtheta_i)^2 / alpha       the path integral of -g . dtheta of Synaptic Intelligence
 *                                              (Zenke et al. 2017), with the three-factor update dtheta = alpha
 *                                              (-g) read as a gradient step
 *   ewc: omega_i += e_i^2, count += 1          the empirical Fisher information of the traced gradient
 *                                              (Kirkpatrick et al. 2017)
 * and at a boundary the task's contribution c_i = omega_i / ((theta_i - anchor_i)^2 + xi) (si) or
 * omega_i / count (ewc) is normalised to mean 1 over the synapses and added: Omega <- gamma Omega + c (gamma 1
 * for si, 0.9 for ewc: online EWC, Schwarz et al. 2018); the anchor becomes the current weights, omega 0.
 * Every learn step then pulls each weight toward its anchor, theta <- theta - f (theta - anchor) with
 * f = k Omega / (1 + k Omega), k the consolidation meta-parameter (5-HT raises it, NA lowers it): a proximal
 * step of the quadratic penalty k/2 Omega (theta - anchor)^2, in [0, 1) whatever k Omega, so it cannot overshoot.
 *
 * Gates (config gating = p > 0): context slot s keeps unit i open when a hash of (seed, s, i) falls below p
 * (Masse et al. 2018's fixed random masks); the gate is one more factor of the per-unit gain. gate_min = m keeps at
 * least m units open (the lowest draws), so that a small network's draw cannot leave a context one or two units.
 *
 * Context models (config boundary > 0, until a context is announced): per context slot, a linear model of the
 * reward from the observation for each action (normalised LMS, step MODEL_RATE), trained only in its own
 * context and only while NA's phasic level is below boundary / 2 (the context is stable), with a count of how often it learned from each input with each action. When NA's phasic level
 * tanh(phasic / scale.NA) rises above `boundary` (re-armed when it falls below half of it) a window of
 * tau_phasic.NA steps opens in which nothing learns (the evidence might go to the wrong context) and each
 * model's error is summed: c e^2 + (1 - c) v, c in [0, 1] what the model knows of that input and action (its
 * counts), v the reward's running variance, the error of knowing only the mean. A model knows little of the
 * actions its context rarely took, and those are what an agent in the wrong context takes, so the window only
 * ranks the candidates, and the best is then tried: the agent switches to it for another window, where it takes
 * the candidate's own actions, and keeps it when the outcomes its model knows favour it over a new context by a
 * Bayes factor of 20 (see evidence). The detection's window judges the old context the same way: kept, the
 * detection was a false alarm.
 *
 * Options for single tasks (docs/results/full_agent.md): gate_first = open keeps every unit open in the first
 * context the agent learns in (open_free: and adds no importance for it at its boundary; open_yield: as open_free, and
 * the first context gives up the units of every context made after it, Masse et al.'s gates reached from an open
 * start); boundary_learning = learn lets the agent learn in the windows, the weights (and
 * SI's path integral) copied at the detection and put back before it leaves the context; boundary_sustain = k
 * needs NA above the bar for k steps in a row, the copy then taken at the first of them (and, pausing, put back
 * at the detection, so that the window judges the old context on its own actions); boundary_trigger = evidence
 * opens a window only when the current context's model does not explain the outcomes either (evidence_step), so
 * that NA's response to a surprise the context expects (a stochastic reversal's) neither pauses nor switches.
 *
 * Per-context outcome predictors (config context_predictor = context): each slot keeps its own copy of the
 * outcome predictor and its uncertainty head (which consolidation does not anchor); a switch of slot stores the
 * one in use as the old slot's and restores the new slot's, and a new slot starts from the one in use. A return
 * to a known context then meets the outcomes it predicted there, expected uncertainty rather than a change (Yu &
 * Dayan 2005), instead of a predictor retrained on the tasks since, whose surprise would drive NA. A task-free
 * agent finds a return only after NA has risen on the last task's predictor; with context_predictor =
 * context_reset a re-selection of a known context also sets NA's phasic and tonic parts to 0.
 *
 * Per-context tonic state (config context_tonic = context): each slot keeps its own copy of the modulators'
 * slow state, the tonic parts of DA (average reward), NA (volatility), ACh (expected uncertainty) and 5-HT
 * (average punishment, Daw, Kakade & Dayan 2002) with the reward statistics beside them (the short reward rate,
 * the reward's variance, the outlier rate), swapped as the predictors are. These are statistics of the task
 * being done, and the withhold bias and inverse temperature follow from them: with one state for all, a
 * punishment task revisited after a reward task is met with the reward task's withhold bias. Keeping the reward
 * context's average as the reference of each context is what lets reward and punishment contexts be learned and
 * expressed alike (Palminteri et al. 2015); which state is expressed follows the inferred context (Heald et al.
 * 2021). The phasic parts are responses to the latest events and stay with the agent.
 */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

#define SI_DAMPING 0.1f       /* xi of Zenke et al. 2017 */
#define EWC_DECAY 0.9f        /* gamma of online EWC (Schwarz et al. 2018) */
#define OUTCOME_NOISE 0.05f   /* rho: a context's outcome noise, as a share of the reward's variance v */
#define EVIDENCE_PER_TRIAL 1.9978662f   /* (1 + ln(1 / OUTCOME_NOISE)) / 2: a known trial predicted exactly */
#define MIN_EVIDENCE 2.9957323f         /* ln 20: a Bayes factor of 20 for the context over a new one */
#define CONF_COUNT 10.0f      /* a model knows an input with an action after this many steps of it */
#define MAX_PROBES 3          /* candidate contexts tried after a detection before a new one is made */
#define MODEL_RATE 0.5f       /* the context models' normalised LMS step: near tabular for one-hot inputs */
#define NOISE_RATE 0.1f       /* boundary_trigger = evidence: the step of each context's outcome noise estimate */
#define NOISE_JUMP 20.0f      /* the change it tests for: outcome noise 20 times the context's */
#define LN_JUMP 2.9957323f    /* ln NOISE_JUMP */
#define EXPLAINED 0.5f        /* a context model judges a change only when its error is under half the reward's variance */

/* s + v, held finite (at FLT_MAX) so that a model that overflows is the worst match, not a non-finite state */
static float bounded_add(float s, float v)
{
    float t = s + v;
    return isfinite(t) ? t : 3.4028235e38f;
}

static size_t hidden_units(const nm_agent *a) { return a->off_attn - a->off_gain; }
/* per action: the weights and bias, then how often each input (and the bias) was learned from */
static size_t model_len(const nm_agent *a) { return a->cfg.n_actions * 2 * (a->cfg.n_obs + 1); }
/* the outcome predictor and its uncertainty head, [Wq bq Wu bu]: the last parameters, from pred_w */
static size_t predictor_len(const nm_agent *a) { return a->n_params - a->pred_w; }

/* A new slot's predictor starts as the one in use: a new task is first met with what the agent expects now, so
 * its surprise at the change (and NA's response) is what a shared predictor would give. */
static void predictor_new_slot(nm_agent *a, int k)
{
    size_t n = predictor_len(a);
    if (a->n_cpred) memcpy(a->block + a->off_cpred + (size_t)k * n, a->block + a->off_params + a->pred_w, n * sizeof(float));
}

/* Leaving slot cur for slot k: the predictor in use is kept as cur's, k's own is restored */
static void predictor_swap(nm_agent *a, int cur, int k)
{
    size_t n = predictor_len(a);
    float *live = a->block + a->off_params + a->pred_w, *store = a->block + a->off_cpred;
    if (!a->n_cpred) return;
    memcpy(store + (size_t)cur * n, live, n * sizeof(float));
    memcpy(live, store + (size_t)k * n, n * sizeof(float));
}

/* Per-context tonic state (context_tonic): TONIC_LEN floats a slot, after the predictors in the continual floats */
#define TONIC_LEN 7
static size_t tonic_floats(const nm_agent *a)
{
    return a->cfg.context_tonic == NM_TONIC_CONTEXT ? NM_MAX_CONTEXTS * TONIC_LEN : 0;
}

/* boundary_learning = learn: the weights, the importance measure and its count at the detection, so that the
 * learning of the windows can be undone when the context changes (the old context's weights must not take the
 * new task's first trials) */
static size_t snap_floats(const nm_agent *a)
{
    return (a->cfg.boundary_learning == NM_BOUNDARY_LEARN || a->cfg.boundary_sustain > 1) && a->n_models
           ? a->n_params + a->n_imp + 1 : 0;
}

static void snap_take(nm_agent *a)
{
    float *snap = a->block + a->off_snap;
    if (!snap_floats(a)) return;
    memcpy(snap, a->block + a->off_params, a->n_params * sizeof *snap);
    memcpy(snap + a->n_params, a->block + a->off_omega, a->n_imp * sizeof *snap);
    snap[a->n_params + a->n_imp] = a->n_imp ? a->block[a->off_count] : 0.0f;
}

/* Before a change of context at a window's end: the weights go back to the detection's. In the detection's
 * window the importance measure does too (it is the old context's, consolidated at the switch); in a probe's
 * window the measure since the switch to the candidate is dropped. */
static void snap_restore(nm_agent *a)
{
    const float *snap = a->block + a->off_snap;
    if (!snap_floats(a) || a->frozen) return;
    memcpy(a->block + a->off_params, snap, a->n_params * sizeof *snap);
    if (!a->n_imp) return;
    if (a->ctx_probe == 0) {
        memcpy(a->block + a->off_omega, snap + a->n_params, a->n_imp * sizeof *snap);
        a->block[a->off_count] = snap[a->n_params + a->n_imp];
    } else {
        memset(a->block + a->off_omega, 0, a->n_imp * sizeof(float));
        a->block[a->off_count] = 0.0f;
    }
}

/* gate_first = open: one float after the tonic state, 1 + the slot the agent first learned in (0: none yet) */
static size_t open_floats(const nm_agent *a)
{
    return a->cfg.gate_first != NM_GATE_FIRST_GATED && a->cfg.gating > 0.0f ? 1 : 0;
}
static float *tonic_store(nm_agent *a, int k) { return a->block + a->off_cpred + a->n_cpred + (size_t)k * TONIC_LEN; }

static void tonic_get(const nm_modstate *m, float *t)
{
    int j;
    for (j = 0; j < NM_N_MODULATORS; j++) t[j] = m->tonic[j];
    t[4] = m->reward_short;
    t[5] = m->reward_var;
    t[6] = m->outlier_rate;
}

/* A new slot's tonic state starts as the one in use (as its predictor does): the first visit is unchanged. */
static void tonic_new_slot(nm_agent *a, int k)
{
    if (tonic_floats(a)) tonic_get(&a->mod, tonic_store(a, k));
}

/* Leaving slot cur for slot k: the tonic state in use is kept as cur's, k's own restored, and the levels and
 * meta-parameters follow it at once (the next act reads them). The phasic levels stay the agent's, and with them
 * k's tonic state may give levels that no step produced: where they would make a meta-parameter (or the gain or
 * attention composed from them) non-finite, which a step would refuse, k takes the state in use instead, as a new
 * slot does. */
static void tonic_swap(nm_agent *a, int cur, int k)
{
    const float *t;
    nm_modstate m;
    int j;
    if (!tonic_floats(a)) return;
    tonic_get(&a->mod, tonic_store(a, cur));
    t = tonic_store(a, k);
    m = a->mod;
    for (j = 0; j < NM_N_MODULATORS; j++) m.tonic[j] = t[j];
    m.reward_short = t[4];
    m.reward_var = t[5];
    m.outlier_rate = t[6];
    nm_mod_refresh(&a->cfg, &m);
    if (nm_agent_modstate_ok(a, &m)) a->mod = m;
    else tonic_get(&a->mod, tonic_store(a, k));
}

/* boundary_trigger = evidence: [noise per slot | CUSUM | long-run squared error per slot | its steps per slot] */
static float *evid_noise(nm_agent *a, int k) { return a->block + a->off_evid + k; }
static float *evid_cusum(nm_agent *a) { return a->block + a->off_evid + NM_MAX_CONTEXTS; }
static float *evid_mse(nm_agent *a, int k) { return a->block + a->off_evid + NM_MAX_CONTEXTS + 1 + k; }
static float *evid_steps(nm_agent *a, int k) { return a->block + a->off_evid + 2 * NM_MAX_CONTEXTS + 1 + k; }

/* boundary_trigger = evidence_table: per slot TABLE_SLOTS entries [key + 1 (0: empty) | mean reward | count],
 * open addressing by a hash of the observation's bits and the action */
#define TABLE_SLOTS 256
#define TABLE_PROBES 32     /* entries a lookup tries before it counts the table as full for the pair */
#define TABLE_FLOATS (3 * TABLE_SLOTS)
static float *table_of(nm_agent *a, int k) { return a->block + a->off_tab + (size_t)k * TABLE_FLOATS; }

/* A new slot's model knows nothing: its noise is set at its first step (-1: not yet), its error has no steps */
static void evidence_new_slot(nm_agent *a, int k)
{
    *evid_noise(a, k) = -1.0f;
    *evid_mse(a, k) = *evid_steps(a, k) = 0.0f;
    if (a->n_tab) memset(table_of(a, k), 0, TABLE_FLOATS * sizeof(float));
}

void nm_cont_layout(nm_agent *a)
{
    const nm_agent_config *c = &a->cfg;
    size_t off = a->block_len;
    a->n_imp = (c->importance != NM_IMPORTANCE_SLOW && a->n_anchor) ? a->n_traced : 0;
    a->n_models = c->boundary > 0.0f ? NM_MAX_CONTEXTS * model_len(a) : 0;
    a->n_gate = c->gating > 0.0f ? hidden_units(a) : 0;
    a->n_cpred = c->context_predictor != NM_PREDICTOR_SHARED ? NM_MAX_CONTEXTS * predictor_len(a) : 0;
    /* persistent: [Omega | omega | count] [models | error sums | step counts | known-error sums | known sums]
     * [each slot's outcome predictor] [each slot's tonic state] [the first-learned slot (gate_first = open)]
     * [the weights and importance measure at the detection (boundary_learning = learn)] */
    a->off_imp = off; off += a->n_imp;
    a->off_omega = off; off += a->n_imp;
    a->off_count = off; off += a->n_imp ? 1 : 0;
    a->off_models = off; off += a->n_models;
    a->off_err = off; off += a->n_models ? 4 * NM_MAX_CONTEXTS : 0;
    a->off_cpred = off; off += a->n_cpred;
    off += tonic_floats(a);
    a->off_open = off; off += open_floats(a);
    a->off_snap = off; off += snap_floats(a);
    a->off_high = off; off += c->boundary_sustain > 1 && a->n_models ? 1 : 0;
    a->n_cont = off - a->off_imp;
    a->off_gate = off; off += a->n_gate;
    /* boundary_trigger = evidence, after the gate (section CEVD): each slot's outcome noise, the CUSUM, each slot's
     * long-run mean squared error and the steps it covers */
    a->n_evid = c->boundary_trigger >= NM_TRIGGER_EVIDENCE && a->n_models ? 3 * NM_MAX_CONTEXTS + 1 : 0;
    a->off_evid = off; off += a->n_evid;
    /* boundary_trigger = evidence_table, after the evidence (section CTAB): each slot's table of outcomes */
    a->n_tab = c->boundary_trigger == NM_TRIGGER_EVIDENCE_TABLE && a->n_models ? NM_MAX_CONTEXTS * TABLE_FLOATS : 0;
    a->off_tab = off; off += a->n_tab;
    a->block_len = off;
}

/* uniform in [0, 1) from (seed, slot, unit): splitmix64's finaliser */
static double gate_draw(uint64_t seed, int slot, size_t unit)
{
    uint64_t z = seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(slot + 1)) ^ (0xD1B54A32D192ED03ull * (uint64_t)(unit + 1));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* gate_first = open: the slot the agent first learned in, or none yet, keeps every unit open */
static int gate_open(const nm_agent *a)
{
    float first;
    if (!open_floats(a)) return 0;
    first = a->block[a->off_open];
    return first == 0.0f || first == (float)(a->ctx_cur + 1);
}

static float gate_step_of(const nm_agent *a);

/* the draw below which slot's units are open: gating, or with gate_min = m the m-th lowest draw when fewer than m
 * draws fall below gating (the m lowest kept open: the draw's gate plus its nearest misses). O(n m), and only when
 * the gate changes. */
static double gate_bar(const nm_agent *a, int slot)
{
    double p = (double)a->cfg.gating, t = -1.0;
    size_t i, r, below = 0, m = a->cfg.gate_min < a->n_gate ? a->cfg.gate_min : a->n_gate;
    if (!m) return p;
    for (i = 0; i < a->n_gate; i++) below += gate_draw(a->cfg.seed, slot, i) < p;
    if (below >= m) return p;
    for (r = 0; r < m; r++) {   /* t: the r-th lowest draw (draws are 53-bit, so ties do not occur in practice) */
        double next = 2.0;
        for (i = 0; i < a->n_gate; i++) {
            double d = gate_draw(a->cfg.seed, slot, i);
            if (d > t && d < next) next = d;
        }
        t = next;
    }
    return nextafter(t, 2.0);   /* open below the bar: the m-th lowest itself included */
}

static void gate_fill(nm_agent *a)
{
    float *g = a->block + a->off_gate;
    size_t i;
    if (gate_open(a)) {
        int first = (int)a->block[a->off_open] - 1, k;
        for (i = 0; i < a->n_gate; i++) g[i] = 1.0f;
        /* open_yield: the first context gives up the units of every context made after it, so the units a later
         * context retrains no longer carry the first task's output */
        if (a->cfg.gate_first == NM_GATE_FIRST_OPEN_YIELD && first >= 0)
            for (k = first + 1; k < a->n_ctx; k++) {
                double bar = gate_bar(a, k);
                for (i = 0; i < a->n_gate; i++)
                    if (gate_draw(a->cfg.seed, k, i) < bar) g[i] = 0.0f;
            }
        return;
    }
    {
        double bar = gate_bar(a, a->ctx_cur);
        for (i = 0; i < a->n_gate; i++) g[i] = gate_draw(a->cfg.seed, a->ctx_cur, i) < bar ? 1.0f : 0.0f;
    }
}

/* the current slot's gate, and gate_step's factor for it (kept, so that a step does not count the open units) */
void nm_cont_set_gate(nm_agent *a)
{
    gate_fill(a);
    a->gate_scale = gate_step_of(a);
}

void nm_cont_init(nm_agent *a)
{
    int k;
    a->n_ctx = 1;
    a->ctx_cur = a->ctx_learn = 0;
    a->ctx_id[0] = 0;
    a->ctx_armed = 1;
    for (k = 0; k < NM_MAX_CONTEXTS && a->n_evid; k++) evidence_new_slot(a, k);
    nm_cont_set_gate(a);
}

void nm_cont_gate(const nm_agent *a, float *gain)
{
    const float *g = a->block + a->off_gate;
    size_t i;
    for (i = 0; i < a->n_gate; i++) gain[i] *= g[i];
}

/* The loops a step adds over every traced weight, written once and compiled for each instruction set the
 * kernel sets use (simd.c): element-wise, no contraction into FMAs, so every copy gives the same bits.
 *   pull:   theta <- (1 - f) theta + f anchor, f = k imp / (1 + k imp): a convex combination of finite values
 *   si:     omega <- omega + (step e)^2 / alpha, kept when finite
 *   ewc:    omega <- omega + e^2, kept when finite */
#define PULL_LOOP                                                                    \
    for (i = 0; i < n; i++) {                                                        \
        float ki = k * imp[i], f = ki / (1.0f + ki);                                 \
        /* an infinite strength (inf / inf) is the limit, the anchor; none (0 x inf), no pull */ \
        f = f == f ? f : (imp[i] > 0.0f ? 1.0f : 0.0f);                             \
        theta[i] = (1.0f - f) * theta[i] + f * anchor[i];                            \
    }
#define SI_LOOP                                                                      \
    for (i = 0; i < n; i++) {                                                        \
        float d = step * e[i], w = omega[i] + d * d / alpha;                         \
        omega[i] = w - w == 0.0f ? w : omega[i];   /* w finite (inf - inf, NaN are NaN) */ \
    }
#define EWC_LOOP                                                                     \
    for (i = 0; i < n; i++) {                                                        \
        float w = omega[i] + e[i] * e[i];                                            \
        omega[i] = w - w == 0.0f ? w : omega[i];                                     \
    }
/* learn's update and the pull in one pass (nm_cont_update_pull): theta + step e (the axpy kernel's arithmetic),
 * then PULL_LOOP's on that value, element by element: the same bits as the two passes, theta read and written once */
#define UPDATE_PULL_LOOP                                                             \
    for (i = 0; i < n; i++) {                                                        \
        float t = theta[i] + step * e[i], ki = k * imp[i], f = ki / (1.0f + ki);     \
        f = f == f ? f : (imp[i] > 0.0f ? 1.0f : 0.0f);                             \
        theta[i] = (1.0f - f) * t + f * anchor[i];                                   \
    }
#define UPDATE_PULL_ARGS size_t n, float step, const float *restrict e, float k, const float *restrict imp, \
                         const float *restrict anchor, float *restrict theta
#define PULL_ARGS size_t n, float k, const float *restrict imp, const float *restrict anchor, float *restrict theta
#define SI_ARGS size_t n, float step, float alpha, const float *restrict e, float *restrict omega
#define EWC_ARGS size_t n, const float *restrict e, float *restrict omega
static void pull_plain(PULL_ARGS) { size_t i; PULL_LOOP }
static void update_pull_plain(UPDATE_PULL_ARGS) { size_t i; UPDATE_PULL_LOOP }
static void si_plain(SI_ARGS) { size_t i; SI_LOOP }
static void ewc_plain(EWC_ARGS) { size_t i; EWC_LOOP }
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) static void pull_avx2(PULL_ARGS) { size_t i; PULL_LOOP }
__attribute__((target("avx2"))) static void update_pull_avx2(UPDATE_PULL_ARGS) { size_t i; UPDATE_PULL_LOOP }
__attribute__((target("avx512f"))) static void update_pull_avx512(UPDATE_PULL_ARGS) { size_t i; UPDATE_PULL_LOOP }
__attribute__((target("avx2"))) static void si_avx2(SI_ARGS) { size_t i; SI_LOOP }
__attribute__((target("avx2"))) static void ewc_avx2(EWC_ARGS) { size_t i; EWC_LOOP }
__attribute__((target("avx512f"))) static void pull_avx512(PULL_ARGS) { size_t i; PULL_LOOP }
__attribute__((target("avx512f"))) static void si_avx512(SI_ARGS) { size_t i; SI_LOOP }
__attribute__((target("avx512f"))) static void ewc_avx512(EWC_ARGS) { size_t i; EWC_LOOP }

/* 2: AVX-512, 1: AVX2, 0: the plain build; as the agent's kernel set (which its CPU runs) */
static int wide(const nm_agent *a)
{
    const char *name = a->kern->name;
    return strcmp(name, "avx512") == 0 ? 2 : strcmp(name, "avx2") == 0 ? 1 : 0;
}
#else
#define pull_avx2 pull_plain
#define update_pull_avx2 update_pull_plain
#define update_pull_avx512 update_pull_plain
#define si_avx2 si_plain
#define ewc_avx2 ewc_plain
#define pull_avx512 pull_plain
#define si_avx512 si_plain
#define ewc_avx512 ewc_plain
static int wide(const nm_agent *a) { (void)a; return 0; }
#endif

/* The pull's strength this step (gate_step: as the gradient's step), or 0 when it has no work. With one context
 * and no boundary yet every importance is 0 (consolidate runs only at a switch to another slot), and the pull,
 * theta + 0 x anchor, leaves every weight as it is (but for a weight of exactly -0, which it would make +0 and no
 * step of this learner makes): the single-task default agent's pass over every weight saved. */
static float pull_strength(const nm_agent *a)
{
    float k = a->mod.params[NM_P_CONSOLIDATION] * nm_cont_step_scale(a);
    return a->n_ctx > 1 && k > 0.0f ? k : 0.0f;
}

void nm_cont_pull(nm_agent *a)
{
    float *theta = a->block + a->off_params;
    const float *anchor = a->block + a->off_anchor, *imp = a->block + a->off_imp;
    float k = pull_strength(a);
    int w = wide(a);
    if (k > 0.0f) (w == 2 ? pull_avx512 : w == 1 ? pull_avx2 : pull_plain)(a->n_imp, k, imp, anchor, theta);
}

/* learn's update theta += step e and the importance-weighted pull in one pass, when nothing runs between them
 * (no entropy bonus, no deferred recurrent pass, no BLAS) and the pull has work (a second context, k > 0); returns
 * whether it did, else the caller takes the two passes. The pass over every weight is the step's largest cost at
 * 64 x 128 and beyond (theta, trace, importance and anchor streamed from L2), and this one reads and writes theta
 * once instead of twice. */
int nm_cont_update_pull(nm_agent *a, float step)
{
    float *theta = a->block + a->off_params;
    const float *e = a->block + a->off_trace;
    const float *anchor = a->block + a->off_anchor, *imp = a->block + a->off_imp;
    float k = pull_strength(a);
    int w = wide(a);
    if (!a->n_imp || a->n_imp != a->n_traced || !(k > 0.0f) || a->cfg.policy_entropy > 0.0f || a->rec_defer ||
        a->kern->blas)
        return 0;
    (w == 2 ? update_pull_avx512 : w == 1 ? update_pull_avx2 : update_pull_plain)(a->n_imp, step, e, k, imp, anchor,
                                                                                    theta);
    return 1;
}

/* Learning in the open first context of gate_first open_free / open_yield: its boundary adds no importance
 * (consolidate), so the path integral accumulated there is work nothing reads (nm_cont_observe skips it) */
static int in_free_context(const nm_agent *a)
{
    return (a->cfg.gate_first == NM_GATE_FIRST_OPEN_FREE || a->cfg.gate_first == NM_GATE_FIRST_OPEN_YIELD) &&
           open_floats(a) && a->block[a->off_open] == (float)(a->ctx_learn + 1);
}

/* A boundary: the task's importance added, the anchors set to the weights */
static void consolidate(nm_agent *a)
{
    float *theta = a->block + a->off_params, *anchor = a->block + a->off_anchor;
    float *imp = a->block + a->off_imp, *omega = a->block + a->off_omega, *count = a->block + a->off_count;
    float gamma = a->cfg.importance == NM_IMPORTANCE_EWC ? EWC_DECAY : 1.0f;
    double sum = 0.0;
    size_t i, n = a->n_imp;
    if (!n || !(*count > 0.0f)) return;   /* nothing learned since the last boundary */
    if (in_free_context(a)) {
        /* the open first context adds no importance: its weights stay free for the later contexts' gates */
        memset(omega, 0, n * sizeof *omega);
        *count = 0.0f;
        memcpy(anchor, theta, n * sizeof *anchor);
        return;
    }
    for (i = 0; i < n; i++) {
        float c;
        if (a->cfg.importance == NM_IMPORTANCE_SI) {
            float d = theta[i] - anchor[i];
            c = omega[i] / (d * d + SI_DAMPING);
        } else {
            c = omega[i] / *count;
        }
        omega[i] = isfinite(c) ? c : 0.0f;   /* omega now holds the contribution */
        sum += omega[i];
    }
    for (i = 0; i < n; i++) {
        float c = sum > 0.0 ? (float)(omega[i] * ((double)n / sum)) : 0.0f;
        imp[i] = gamma * imp[i] + c;
        if (!isfinite(imp[i])) imp[i] = 3.4028235e38f;
        omega[i] = 0.0f;
    }
    *count = 0.0f;
    memcpy(anchor, theta, n * sizeof *anchor);
}

void nm_cont_switch(nm_agent *a, int k)
{
    if (k == a->ctx_cur && (a->frozen || k == a->ctx_learn)) return;
    if (!a->frozen && k != a->ctx_learn) {
        consolidate(a);
        a->ctx_learn = k;
    }
    if (k != a->ctx_cur) {
        if (a->n_evid) *evid_cusum(a) = 0.0f;   /* the evidence is the old context's */
        predictor_swap(a, a->ctx_cur, k);
        tonic_swap(a, a->ctx_cur, k);
        a->ctx_cur = k;
        if (a->n_gate) nm_cont_set_gate(a);
        if (a->n_gate || tonic_floats(a)) nm_agent_refresh_effects(a);
    }
}

static int find_slot(const nm_agent *a, int id)
{
    int k;
    for (k = 0; k < a->n_ctx; k++) if (a->ctx_id[k] == id) return k;
    return -1;
}

/* a new slot with the smallest id >= 0 not in use; -1 when every slot is taken */
static int new_inferred(nm_agent *a)
{
    int id = 0, k;
    if (a->n_ctx >= NM_MAX_CONTEXTS) return -1;
    while (find_slot(a, id) >= 0) id++;
    k = a->n_ctx++;
    a->ctx_id[k] = id;
    if (a->n_models) memset(a->block + a->off_models + (size_t)k * model_len(a), 0, model_len(a) * sizeof(float));
    if (a->n_evid) evidence_new_slot(a, k);
    predictor_new_slot(a, k);
    tonic_new_slot(a, k);
    return k;
}

nm_status nm_agent_set_context(nm_agent *a, int id)
{
    int k;
    if (!a) return NM_ERR_ARG;
    k = find_slot(a, id);
    if (k < 0) {
        if (a->n_ctx >= NM_MAX_CONTEXTS)
            return nm_fail(a, NM_ERR_ARG, "context %d: the agent already knows %d contexts, the most it keeps", id,
                           NM_MAX_CONTEXTS);
        k = a->n_ctx++;
        a->ctx_id[k] = id;
        if (a->n_models) memset(a->block + a->off_models + (size_t)k * model_len(a), 0, model_len(a) * sizeof(float));
        predictor_new_slot(a, k);
        tonic_new_slot(a, k);
    }
    a->ctx_announced = 1;
    a->ctx_window = 0;
    nm_cont_switch(a, k);
    a->msg[0] = '\0';
    return NM_OK;
}

int nm_agent_context(const nm_agent *a) { return a ? a->ctx_id[a->ctx_cur] : 0; }

nm_status nm_agent_freeze(nm_agent *a, int frozen)
{
    if (!a) return NM_ERR_ARG;
    a->frozen = frozen != 0;
    a->ctx_armed = 1;   /* a new phase (an evaluation begins or ends): NA may already be high from the last one */
    /* a trace gathered while frozen must not be applied after, nor one from before while frozen */
    a->learner->reset(a);
    return NM_OK;
}

int nm_agent_frozen(const nm_agent *a) { return a ? a->frozen : 0; }


/* A context model's error on this step's reward: its prediction for the observation and action is w x + bias */
static float model_error(size_t n, const float *w, const float *x, float reward)
{
    return reward - (nm_dot(n, w, x) + w[n]);
}

/* The reward's variance, floored: the scale of a model's error that knows nothing but the mean */
static float reward_scale(const nm_agent *a)
{
    return a->mod.reward_var > 1e-3f ? a->mod.reward_var : 1e-3f;
}

/* How much a context's model knows about this observation and action: the observation's inputs weighed by
 * min(1, count / CONF_COUNT), the count of times the model learned from that input with that action. */
static float confidence(size_t n, const float *x, const float *cnt)
{
    float num = 0.0f, den = 0.0f;
    size_t i;
    for (i = 0; i < n; i++) {
        float ax = fabsf(x[i]), c = cnt[i] / CONF_COUNT;
        num += ax * (c < 1.0f ? c : 1.0f);
        den += ax;
    }
    if (!(den > 0.0f)) { float c = cnt[n] / CONF_COUNT; return c < 1.0f ? c : 1.0f; }
    if (!isfinite(den)) {
        /* inputs so large that their sum overflows (inf / inf would be NaN): weigh each relative to the largest */
        float top = 0.0f;
        for (i = 0; i < n; i++) if (fabsf(x[i]) > top) top = fabsf(x[i]);
        num = den = 0.0f;
        for (i = 0; i < n; i++) {
            float ax = fabsf(x[i]) / top, c = cnt[i] / CONF_COUNT;
            num += ax * (c < 1.0f ? c : 1.0f);
            den += ax;
        }
    }
    return num / den;
}

/* NA's phasic part on the level's scale */
static float na_level(const nm_agent *a)
{
    return (a->cfg.modulators & NM_MOD_BIT(NM_NA)) ? nm_tanh(a->mod.phasic[NM_NA] / a->cfg.scale[NM_NA]) : 0.0f;
}

/* The evidence that the context the agent acts from is the one producing the outcomes, against a new context
 * (Gershman & Niv 2010; Heald et al. 2021): log p(r | its model) - log p(r | a new context's), summed over the
 * window. Its model predicts r with noise OUTCOME_NOISE v where it knows (weight c); a new context knows only
 * the mean, whose error is v; where the model does not know, both predict alike and the trial says nothing. Per
 * known trial (1 + ln(1 / rho)) / 2 - e^2 / (2 rho v), so the evidence grows with every trial it predicts and one
 * confident miss (e^2 near the reward range squared) outweighs many hits. */
static float evidence(const nm_agent *a, int k, float scale)
{
    const float *kerr = a->block + a->off_err + 2 * NM_MAX_CONTEXTS, *conf = kerr + NM_MAX_CONTEXTS;
    return conf[k] * EVIDENCE_PER_TRIAL - kerr[k] / (2.0f * OUTCOME_NOISE * scale);
}

/* The end of a window. The detection's window (probe 0, in the old context) ranks every model by its blended
 * error; in every window the context the agent acts from, whose own actions its model knows, is kept when the
 * evidence for it over a new context is at least MIN_EVIDENCE (a detection that keeps it was a false alarm);
 * else the best-ranked untried candidate is tried for another window (at most MAX_PROBES), and when none is left
 * or none fits, a new context is made (never while frozen). */
static void window_end(nm_agent *a, float scale)
{
    const float *err = a->block + a->off_err, *known = err + NM_MAX_CONTEXTS;
    float best_err = 0.0f;
    int k, best = -1, cur = a->ctx_cur;
    if (evidence(a, cur, scale) >= MIN_EVIDENCE) {
        /* a known context re-selected (a probe, not the detection's own context): the surprise that raised NA is
         * explained, the context is known (Yu & Dayan 2005), so NA's phasic and tonic parts start again from 0 */
        if (a->ctx_probe > 0 && a->cfg.context_predictor == NM_PREDICTOR_CONTEXT_RESET)
            a->mod.phasic[NM_NA] = a->mod.tonic[NM_NA] = 0.0f;
        a->ctx_probe = 0;
        return;
    }
    a->ctx_tried |= 1u << cur;
    for (k = 0; k < a->n_ctx; k++) {
        float m = err[k] / known[k];
        if (a->ctx_tried & (1u << k)) continue;
        if (best < 0 || m < best_err) { best = k; best_err = m; }
    }
    snap_restore(a);
    if (best >= 0 && a->ctx_probe < MAX_PROBES) {
        nm_cont_switch(a, best);
        a->ctx_probe++;
        a->ctx_window = (int)a->cfg.tau_phasic[NM_NA];
        if (a->ctx_window < 1) a->ctx_window = 1;
        memset(a->block + a->off_err, 0, 4 * NM_MAX_CONTEXTS * sizeof(float));
        return;
    }
    a->ctx_probe = 0;
    if (!a->frozen) {
        int fresh = new_inferred(a);
        if (fresh >= 0) nm_cont_switch(a, fresh);
    }
}

/* evidence_table: a hash of the observation's bits and the action, a 32-bit word at a time (FNV-1a's step on
 * words); the bucket is its low bits, the key its high 24 (+ 1, so that 0 marks an empty entry), exact in a float */
static uint64_t table_hash(const nm_agent *a, const float *x, size_t act)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;
    for (i = 0; i < a->cfg.n_obs; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        h = (h ^ u) * 0x100000001b3ull;
    }
    h = (h ^ (uint64_t)act) * 0x100000001b3ull;
    return h ^ (h >> 29);
}
static float table_key(uint64_t h) { return (float)((h >> 40) + 1); }

/* The current slot's entry for the hash, or the empty entry where it would go (linear probing, at most
 * TABLE_PROBES entries), or NULL when those are taken by other pairs: the table has no room for this one */
static float *table_entry(nm_agent *a, uint64_t h)
{
    float *t = table_of(a, a->ctx_cur), key = table_key(h);
    size_t j = (size_t)(h & (TABLE_SLOTS - 1)), probe;
    for (probe = 0; probe < TABLE_PROBES; probe++, j = (j + 1) & (TABLE_SLOTS - 1)) {
        float *entry = t + 3 * j;
        if (entry[0] == key || entry[0] == 0.0f) return entry;
    }
    return NULL;
}

/* evidence_table: the error of the slot's mean outcome for this step's pair (hash h), and what it knows of it (its
 * count over CONF_COUNT, at most 1; 0 for a pair not yet met). 0 when the table has no room for the pair: the
 * linear model judges it. */
static int table_error(nm_agent *a, uint64_t h, float reward, float *e, float *c)
{
    const float *entry = table_entry(a, h);
    if (!entry) return 0;
    *e = entry[0] != 0.0f ? reward - entry[1] : 0.0f;
    *c = entry[0] != 0.0f ? (entry[2] < CONF_COUNT ? entry[2] / CONF_COUNT : 1.0f) : 0.0f;
    return 1;
}

/* evidence_table: the slot's mean outcome for the pair learns as the linear model does (while NA is quiet): the
 * mean of the first outcomes, then a running mean at MODEL_RATE, the linear model's step for a one-hot input */
static void table_learn(nm_agent *a, uint64_t h, float reward)
{
    float *entry = table_entry(a, h), rate, m;
    if (!entry) return;
    if (entry[0] == 0.0f) entry[0] = table_key(h);
    entry[2] = bounded_add(entry[2], 1.0f);
    rate = 1.0f / entry[2] > MODEL_RATE ? 1.0f / entry[2] : MODEL_RATE;
    m = entry[1] + rate * (reward - entry[1]);
    if (isfinite(m)) entry[1] = m;
}

/* boundary_trigger = evidence, outside a window: does the current context's outcome model explain this step's
 * reward? Its error e is weighed against the context's own outcome noise s2 (a running mean of its squared errors,
 * step NOISE_RATE, at least OUTCOME_NOISE v), and the log-likelihood ratio of a change to a noise NOISE_JUMP times
 * larger (a model that no longer applies) against none, c ((1 - 1/J) e^2 / s2 - ln J) / 2 for Gaussian errors, c
 * what the model knows of the input and action, is summed as a CUSUM, S = max(0, S + llr) (Page 1954). A
 * deterministic context (s2 at its floor) meets a change with confident misses, each worth tens; a stochastic or
 * volatile one (a reversal task's) has learned a large s2, so its surprises drift S down. A model whose long-run
 * squared error (over at most tau_tonic.DA steps, v's own window, and at least a window's steps) is not under
 * EXPLAINED v, one that explains less than half of the reward's variance, cannot tell a change from its own misfit
 * (a linear model of the cliff's falls): it reports no evidence. Returns S, or 0 for such a model (evidence_defer
 * and evidence_state: MIN_EVIDENCE for a young context the detector made). */
static float evidence_step(nm_agent *a, float reward, uint64_t h, int *judged)
{
    const float *x = a->block + a->off_obs;
    size_t n = a->cfg.n_obs, L = model_len(a), act = (size_t)a->pending_action;
    const float *w = a->block + a->off_models + (size_t)a->ctx_cur * L + act * 2 * (n + 1);
    float *noise = evid_noise(a, a->ctx_cur), *cusum = evid_cusum(a);
    float *mse = evid_mse(a, a->ctx_cur), *steps = evid_steps(a, a->ctx_cur);
    float v = reward_scale(a);
    float e, c, e2, s2, llr;
    float span = a->cfg.tau_tonic[NM_DA], least = a->cfg.tau_phasic[NM_NA];
    int informative = *steps >= least && *mse < EXPLAINED * v;
    *judged = informative;
    /* evidence_table: the error of the context's own outcome for this observation and action, where it has one */
    if (!a->n_tab || !table_error(a, h, reward, &e, &c)) {
        e = model_error(n, w, x, reward);
        c = confidence(n, x, w + n + 1);
    }
    e2 = e * e;
    if (*noise < 0.0f) *noise = v;   /* a new context expects the reward's variance */
    s2 = *noise > OUTCOME_NOISE * v ? *noise : OUTCOME_NOISE * v;
    /* evidence_state: at a state and action whose expected surprise E (the uncertainty head's, the context's own
     * with context_predictor) exceeds the reward's variance, a local hazard, the noise is at least NA's bar
     * there, na_threshold E, so that a hazard the context has met where it happens is no evidence of a change */
    if (a->cfg.boundary_trigger == NM_TRIGGER_EVIDENCE_STATE && a->mod.expected > v &&
        a->cfg.na_threshold * a->mod.expected > s2)
        s2 = a->cfg.na_threshold * a->mod.expected;
    llr = c * 0.5f * ((1.0f - 1.0f / NOISE_JUMP) * e2 / s2 - LN_JUMP);
    if (isfinite(llr)) *cusum = *cusum + llr > 0.0f ? bounded_add(*cusum, llr) : 0.0f;
    if (nm_plastic(a) && isfinite(e2) && c > 0.0f) {
        *noise += NOISE_RATE * c * (e2 - *noise);
        *steps = bounded_add(*steps, c);
        *mse += c / (*steps < span ? *steps : span) * (e2 - *mse);   /* the mean, then a running mean over span */
        if (!isfinite(*noise)) *noise = 3.4028235e38f;
        if (!isfinite(*mse)) *mse = 3.4028235e38f;
    }
    /* evidence_defer: a context the detector made whose model is still young (it learns only while NA is quiet)
     * cannot judge, and must not hold the agent either: NA's surprise alone counts, as with trigger na */
    if (a->cfg.boundary_trigger >= NM_TRIGGER_EVIDENCE_DEFER && *steps < least && a->ctx_cur > 0) return MIN_EVIDENCE;
    return informative ? *cusum : 0.0f;
}

/* The context models: in a window each one's error is summed, weighed by what it knows; outside one the
 * current context's model learns. */
static void models_step(nm_agent *a, float reward)
{
    const float *x = a->block + a->off_obs;
    size_t n = a->cfg.n_obs, L = model_len(a), act = (size_t)a->pending_action, i;
    float *err = a->block + a->off_err, *known = err + NM_MAX_CONTEXTS;
    float *kerr = known + NM_MAX_CONTEXTS, *conf = kerr + NM_MAX_CONTEXTS;
    int k;
    /* evidence_table: the pair's hash, once for the evidence and the table's update (both outside windows) */
    uint64_t h = a->n_tab && a->ctx_window == 0 ? table_hash(a, x, act) : 0;
    /* before the model learns from this step: the evidence is the prediction made before the outcome */
    int judged = 0;
    float against = a->n_evid && !a->ctx_announced && a->ctx_window == 0 ? evidence_step(a, reward, h, &judged) : 0.0f;
    /* model_gate = evidence: a step the context's own evidence already counts as a change (NA may not have risen
     * yet) does not teach its model; a model too young to judge learns as before */
    int changed = a->cfg.model_gate == NM_MODEL_GATE_EVIDENCE && judged && *evid_cusum(a) >= MIN_EVIDENCE;
    if (a->ctx_window > 0) {
        /* what a model does not know counts as the error of knowing only the mean: the reward's variance */
        float scale = reward_scale(a);
        for (k = 0; k < a->n_ctx; k++) {
            const float *w = a->block + a->off_models + (size_t)k * L + act * 2 * (n + 1);
            float e = model_error(n, w, x, reward), c = confidence(n, x, w + n + 1);
            err[k] = bounded_add(err[k], c * (e * e) + (1.0f - c) * scale);
            known[k] += 1.0f;
            kerr[k] = bounded_add(kerr[k], c * (e * e));
            conf[k] = bounded_add(conf[k], c);
        }
        if (--a->ctx_window == 0) window_end(a, scale);
    } else if (nm_plastic(a) && na_level(a) < 0.5f * a->cfg.boundary && !changed) {
        /* only while NA is quiet: the first trials after a change, before NA has risen, must not teach the old
         * context's model the new task */
        float *w = a->block + a->off_models + (size_t)a->ctx_cur * L + act * 2 * (n + 1), *cnt = w + n + 1;
        float e = model_error(n, w, x, reward);
        float eta = MODEL_RATE / (nm_dot(n, x, x) + 1.0f);
        int ok = isfinite(eta * e) && isfinite(w[n] + eta * e);
        for (i = 0; i < n && ok; i++) ok = isfinite(w[i] + eta * e * x[i]);
        if (ok) {   /* an update that would leave a weight non-finite is skipped, as learn refuses one */
            for (i = 0; i < n; i++) w[i] += eta * e * x[i];
            w[n] += eta * e;
        }
        for (i = 0; i < n; i++) cnt[i] = bounded_add(cnt[i], fabsf(x[i]));
        cnt[n] = bounded_add(cnt[n], 1.0f);
        if (a->n_tab) table_learn(a, h, reward);
    }
    if (!a->ctx_announced && a->ctx_window == 0) {
        /* NA's phasic part on the level's scale: the tonic part, which lingers for tau_tonic steps, would keep
         * the detector from re-arming */
        float na = na_level(a);
        /* boundary_sustain > 1: the steps in a row above the bar, so that a one-trial surprise is no change */
        int sustained = 1;
        if (a->cfg.boundary_sustain > 1) {
            float *high = a->block + a->off_high;
            *high = a->ctx_armed && na > a->cfg.boundary ? *high + 1.0f : 0.0f;
            /* the weights when NA first rose: a change found later takes back what the old context learned since */
            if (*high == 1.0f) snap_take(a);
            sustained = *high >= (float)a->cfg.boundary_sustain;
            if (sustained) *high = 0.0f;
        }
        /* boundary_trigger = evidence: NA's surprise counts only when the context's model does not explain it */
        if (a->ctx_armed && na > a->cfg.boundary && sustained && (!a->n_evid || against >= MIN_EVIDENCE)) {
            a->ctx_armed = 0;
            if (a->n_evid) *evid_cusum(a) = 0.0f;
            a->ctx_window = (int)a->cfg.tau_phasic[NM_NA];
            if (a->ctx_window < 1) a->ctx_window = 1;
            a->ctx_probe = 0;
            a->ctx_tried = 0;
            memset(err, 0, 4 * NM_MAX_CONTEXTS * sizeof *err);
            if (a->cfg.boundary_sustain <= 1) snap_take(a);
            /* the window judges the contexts on the outcomes of the old context's own actions: the weights go back
             * to those of the first step above the bar, before the run of surprise taught the agent anything */
            else if (!a->frozen && a->cfg.boundary_learning != NM_BOUNDARY_LEARN) snap_restore(a);
        } else if (na < 0.5f * a->cfg.boundary) {
            a->ctx_armed = 1;
        }
    }
}

/* nm_cont_observe, with its pass over the weights' importance (SI's path integral or EWC's) taken (loop) or left to
 * the caller (the interleaved population runs it per lane: nm_cont_importance_pass); 1 when it changed the gate (and so
 * the gains) */
static int observe_with(nm_agent *a, float step, float reward, int loop)
{
    int gate_changed = 0;
    if (a->n_imp && nm_plastic(a)) {
        const float *e = a->block + a->off_trace;
        float *omega = a->block + a->off_omega, alpha;
        int w = wide(a), pass = loop ? nm_cont_importance_pass(a, &alpha) : NM_IMP_PASS_NONE;
        if (pass == NM_IMP_PASS_EWC)
            (w == 2 ? ewc_avx512 : w == 1 ? ewc_avx2 : ewc_plain)(a->n_imp, e, omega);
        else if (pass == NM_IMP_PASS_SI)
            (w == 2 ? si_avx512 : w == 1 ? si_avx2 : si_plain)(a->n_imp, step, alpha, e, omega);
        a->block[a->off_count] = bounded_add(a->block[a->off_count], 1.0f);   /* steps learned since the boundary */
    }
    if (open_floats(a) && a->block[a->off_open] == 0.0f && nm_plastic(a)) {
        a->block[a->off_open] = (float)(a->ctx_cur + 1);   /* the open gate is this slot's from now on */
        /* open_yield: contexts announced after this one but before any learning claim their units now */
        if (a->cfg.gate_first == NM_GATE_FIRST_OPEN_YIELD && a->n_ctx > a->ctx_cur + 1) {
            nm_cont_set_gate(a);
            nm_agent_refresh_effects(a);
            gate_changed = 1;
        }
    }
    /* once a task announces its contexts the detector is off for good (nm_agent_set_context), and nothing reads
     * the context models again: they stop learning, which leaves every action as it was */
    if (a->n_models && !a->ctx_announced) models_step(a, reward);
    return gate_changed;
}

void nm_cont_observe(nm_agent *a, float step, float reward) { (void)observe_with(a, step, reward, 1); }

int nm_cont_observe_rest(nm_agent *a, float step, float reward) { return observe_with(a, step, reward, 0); }

/* nm_cont_observe's pass over the weights' importance this step, and SI's alpha: SI's path integral, omega +=
 * (step e)^2 / alpha (alpha > 0); EWC's squared trace, omega += e^2; or none (no importance, not plastic, or the open
 * first context, whose omega stays 0 until the boundary that would have zeroed it). The interleaved population runs
 * the same pass per lane. */
int nm_cont_importance_pass(const nm_agent *a, float *alpha)
{
    *alpha = a->mod.params[NM_P_LEARNING_RATE] * nm_cont_step_scale(a);
    if (!a->n_imp || !nm_plastic(a) || in_free_context(a)) return NM_IMP_PASS_NONE;
    if (a->cfg.importance == NM_IMPORTANCE_EWC) return NM_IMP_PASS_EWC;
    return *alpha > 0.0f ? NM_IMP_PASS_SI : NM_IMP_PASS_NONE;
}

/* Whether a step may read or write the importance, its path integral or the anchors (SI's pass, the pull): not in
 * the open first context once marked with no second context, where neither runs; it changes only with the
 * context (the interleaved population keeps those arrays in its lanes only while it holds) */
int nm_cont_weights_tracked(const nm_agent *a)
{
    return a->n_imp && (a->n_ctx > 1 || !in_free_context(a));
}

/* The pull's strength this step (pull_strength), for the interleaved population's fused update and pull */
float nm_cont_pull_strength(const nm_agent *a) { return a->n_imp ? pull_strength(a) : 0.0f; }

/* Whether the interleaved population's step takes the member (at an act or a learn): what it adds to the plain
 * step is each unit's gate (a gain times 0 or 1) and its step factor, SI's path integral or EWC's squared trace,
 * and the pull with the update; nm_cont_observe_rest's bookkeeping runs on the member (a frozen member's too: its
 * weights are put back after the lanes' update, and what it observes checks nm_plastic itself). Not while a window
 * looks for the context (the window's end may switch it) or with slow consolidation (no importance). */
int nm_cont_lanes(const nm_agent *a)
{
    if (a->ctx_window > 0) return 0;
    if (a->n_anchor && !a->n_imp) return 0;
    return !a->n_imp || (a->n_imp == a->n_traced && a->n_anchor == a->n_traced);
}

/* Whether nm_cont_observe does anything at all (importance, the open gate's mark, context models) */
int nm_cont_observes(const nm_agent *a)
{
    return a->n_imp || open_floats(a) || a->n_models;
}

/* Whether nm_cont_observe, called now (the modulators committed), may read or write the weights, the traces or
 * the modulator state: a boundary the detector finds keeps (and may restore) the weights, with boundary_sustain
 * from the first step above the bar. Both need NA above the bar while the detector is armed. */
int nm_cont_may_touch(const nm_agent *a)
{
    return a->n_models && !a->ctx_announced && a->ctx_window == 0 && a->ctx_armed && na_level(a) > a->cfg.boundary;
}

uint64_t nm_cont_hash(const nm_agent *a, uint64_t h)
{
    if (!a->n_cont && !a->frozen && a->n_ctx == 1) return h;
    h = nm_fnv1a(h, a->block + a->off_imp, a->n_cont * sizeof(float));
    if (a->n_evid) h = nm_fnv1a(h, a->block + a->off_evid, a->n_evid * sizeof(float));
    if (a->n_tab) h = nm_fnv1a(h, a->block + a->off_tab, a->n_tab * sizeof(float));
    h = nm_fnv1a(h, &a->ctx_cur, sizeof a->ctx_cur);
    return nm_fnv1a(h, &a->frozen, sizeof a->frozen);
}

/* gate_step = width: the factor of a gated context's learning step, sqrt(hidden units / units its gate keeps open)
 * (1 with the option off, without gating, or in a context whose gate is open). A gate of a tenth leaves a tenth of
 * the gradient's terms (the open units' weights, and the heads' weights from them), so one update's norm, the
 * synaptic change a step spends, is about sqrt(0.1) of the full network's; the factor makes it the full network's
 * (an update normalised by the norm of the active features). Consolidation's pull, the proximal step of the
 * penalty, takes the same factor, so that the balance of the task's gradient against the anchor is the full
 * network's. The full ratio (the tangent kernel's, n / open) and variants were measured too
 * (docs/results/full_agent.md). */
static float gate_step_of(const nm_agent *a)
{
    const float *g = a->block + a->off_gate;
    size_t i, open = 0;
    if (a->cfg.gate_step != NM_GATE_STEP_WIDTH || !a->n_gate) return 1.0f;
    for (i = 0; i < a->n_gate; i++) open += g[i] > 0.0f;
    return open && open < a->n_gate ? sqrtf((float)a->n_gate / (float)open) : 1.0f;
}

/* the factor of the current gate (set with it by nm_cont_set_gate) */
float nm_cont_step_scale(const nm_agent *a)
{
    return a->cfg.gate_step == NM_GATE_STEP_WIDTH && a->n_gate ? a->gate_scale : 1.0f;
}
