/*
 * neuromod.h -- the public C API of neuromod, the only header a C host needs.
 *
 * neuromod is an online actor-critic agent whose meta-parameters (learning rate, inverse temperature,
 * discount, trace decay, unit gain, input attention, withhold bias, consolidation strength) are set step
 * by step by four neuromodulator signals: dopamine (DA), noradrenaline (NA), acetylcholine (ACh) and
 * serotonin (5-HT). See docs/ for the science.
 *
 * Conventions
 *  - Every function that can fail returns an nm_status. NM_OK is 0. nm_strerror() names a status;
 *    nm_agent_error() returns the agent's last message, which says which argument was wrong and why.
 *  - Constructors take a caller-owned config and write a new object to *out; the caller owns the object and
 *    releases it with the matching *_free, which accepts NULL.
 *  - No function prints, exits, aborts on bad input, or touches global state; each agent owns its RNG.
 *  - nm_agent_act and nm_agent_learn allocate nothing.
 *  - Actions are 0-based: 0 .. n_actions-1. The serotonergic withhold bias is added to the logit of the action
 *    config.withhold_action names (fixate / no-go; action 0 unless set, -1: no action gets it).
 *  - An agent is not thread-safe; distinct agents may be used from distinct threads.
 */
#ifndef NEUROMOD_H
#define NEUROMOD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version, defined here alone: the Makefile, the pkg-config file, the rock and both bindings read it from
 * these lines. NM_SOVERSION is the shared library's ABI number (libneuromod.so.N): it goes up whenever a
 * public struct or signature changes (2, release 0.2.0: the config struct became generated from NM_CONFIG_FIELDS,
 * with layer_kind, model, withhold_action, serotonin_input and policy_reset added; 3, release 0.3.0: the config
 * struct gained the fields of the recurrent layer, the spiking learner, continual learning, determinism and the
 * policy options, and nm_agent_learn's last argument became flags). */
#define NM_VERSION_MAJOR 0
#define NM_VERSION_MINOR 3
#define NM_VERSION_PATCH 0
#define NM_SOVERSION 3
#define NM_STRINGIFY_(x) #x
#define NM_STRINGIFY(x) NM_STRINGIFY_(x)
#define NM_VERSION_STRING \
    NM_STRINGIFY(NM_VERSION_MAJOR) "." NM_STRINGIFY(NM_VERSION_MINOR) "." NM_STRINGIFY(NM_VERSION_PATCH)

/* Most trunk (hidden) layers an agent may have. */
#define NM_MAX_LAYERS 8
/* Most observation inputs, actions and units per layer; a guard against absurd sizes, not a design limit. */
#define NM_MAX_UNITS 65536
/* The same limit for bindings that do not compile against this header. */
size_t nm_max_units(void);

typedef enum nm_status {
    NM_OK = 0,
    NM_ERR_ARG = 1,      /* an argument is invalid (wrong size, NaN, out of range, NULL); nothing changed */
    NM_ERR_NOMEM = 2,    /* an allocation failed; nothing changed */
    NM_ERR_IO = 3,       /* a file could not be opened, read, written or renamed */
    NM_ERR_FORMAT = 4,   /* a file is not a neuromod checkpoint, or is truncated or damaged */
    NM_ERR_VERSION = 5,  /* a checkpoint of an unsupported format version */
    NM_ERR_STATE = 6,    /* a call out of order (learn without a preceding act) */
    NM_ERR_NUMERIC = 7   /* a step would have produced a non-finite value; the agent is left unchanged */
} nm_status;

/* A static English name for a status ("invalid argument", ...). Never NULL. */
const char *nm_strerror(nm_status status);

/* The library version, NM_VERSION_STRING. */
const char *nm_version(void);

/* ------------------------------------------------------------------------------------------------------
 * Random numbers: xoshiro256** seeded through splitmix64. Identical streams from every binding, so that tasks
 * written in Lua produce the same trials under Lua 5.4 and LuaJIT, and on every platform: nm_rng_next,
 * nm_rng_uniform and nm_rng_range are integer arithmetic and one exact conversion; nm_rng_normal's draws are
 * the same on every x86-64 CPU, and are computed with plain double operations only (no libm), so any build whose
 * double arithmetic is IEEE binary64 without contraction (the Makefile's -ffp-contract=off) should give them
 * too (only x86-64 is tested).
 * A plain value type: the caller owns the storage; copying it forks the stream. A NULL rng is refused:
 * nm_rng_seed does nothing, nm_rng_next and nm_rng_uniform return 0, nm_rng_normal returns mu and nm_rng_range
 * returns NM_ERR_ARG (as it does for a NULL out or lo > hi).
 * ------------------------------------------------------------------------------------------------------ */
typedef struct nm_rng { uint64_t s[4]; } nm_rng;

void     nm_rng_seed(nm_rng *rng, uint64_t seed);
uint64_t nm_rng_next(nm_rng *rng);                    /* 64 uniformly random bits */
double   nm_rng_uniform(nm_rng *rng);                 /* uniform in [0, 1), 53-bit resolution */
/* Uniform integer in [lo, hi], unbiased (rejection sampling). Returns NM_ERR_ARG if lo > hi. */
nm_status nm_rng_range(nm_rng *rng, int64_t lo, int64_t hi, int64_t *out);
/* Normal with mean mu and standard deviation sigma: Box-Muller, mu + sigma sqrt(-2 log u1) cos(2 pi u2) with
 * u1 = 1 - uniform and u2 = uniform, one draw per call. The log and cos are the library's own, correctly
 * rounded (c/nm_math.c), not the C library's, so a given build gives the same draws on every x86-64 CPU. */
double   nm_rng_normal(nm_rng *rng, double mu, double sigma);

/* ------------------------------------------------------------------------------------------------------
 * Neuromodulators and the meta-parameters they set.
 * ------------------------------------------------------------------------------------------------------ */
typedef enum nm_modulator { NM_DA = 0, NM_NA = 1, NM_ACH = 2, NM_5HT = 3, NM_N_MODULATORS = 4 } nm_modulator;

#define NM_MOD_BIT(m) (1u << (m))
#define NM_MOD_ALL ((1u << NM_N_MODULATORS) - 1u)

typedef enum nm_param {
    NM_P_LEARNING_RATE = 0,       /* alpha: step size of the three-factor update */
    NM_P_INVERSE_TEMPERATURE = 1, /* beta: softmax inverse temperature (exploitation) */
    NM_P_DISCOUNT = 2,            /* gamma */
    NM_P_TRACE_DECAY = 3,         /* lambda of the eligibility traces */
    NM_P_GAIN = 4,                /* multiplicative gain on hidden pre-activations (adaptive gain) */
    NM_P_ATTENTION = 5,           /* precision of the inputs: input attention sharpness */
    NM_P_WITHHOLD_BIAS = 6,       /* additive bias on the logit of config.withhold_action (behavioural
                                     inhibition) */
    NM_P_CONSOLIDATION = 7,       /* weight of prior knowledge: per-step pull of each weight toward its anchor
                                     (importance si / ewc: its value at the last context boundary, weighed by its
                                     importance; slow: a slow copy that follows it); kept only when its base value
                                     is > 0 (the default agent's 0.01) */
    NM_N_PARAMS = 8
} nm_param;

/* Static names: "DA", "NA", "ACh", "5HT" and "learning_rate", "inverse_temperature", ...; NULL if out of
 * range. */
const char *nm_modulator_name(int modulator);
const char *nm_param_name(int param);

/* ------------------------------------------------------------------------------------------------------
 * Agent configuration. Fill it with nm_agent_config_default() and change what you need.
 * ------------------------------------------------------------------------------------------------------ */
typedef enum nm_activation { NM_TANH = 0, NM_RELU = 1 } nm_activation;
/* What drives NA's phasic part (c/modulators.c). SURPRISE: each step's fraction of the outcome surprise
 * that expected uncertainty does not explain. CHANGEPOINT: a CUSUM of the log-likelihood ratio of "the rules
 * changed" against "an outlier at the learned outlier rate" (Page 1954), which stays quiet under a steady rate
 * of misleading outcomes and climbs when outliers become more frequent than the learned rate. */
typedef enum nm_na_input { NM_NA_SURPRISE = 0, NM_NA_CHANGEPOINT = 1 } nm_na_input;
/* What NA's surprise is measured against (config.na_expected, c/modulators.c). CUE: the expected uncertainty of
 * the state and action (the uncertainty head) times na_threshold. VARIANCE: that, and at least the variance of
 * the task's rewards around their long-run average: a squared error no larger than the spread of the outcomes
 * the task has been giving is expected in it (Yu & Dayan 2005: known unreliability within a context is ACh's,
 * not NA's), so a known hazard and the predictor's misfit after it stop reading as a change of the world. */
enum nm_na_expected { NM_NA_EXPECTED_CUE = 0, NM_NA_EXPECTED_VARIANCE = 1 };
/* Whose outcome predictor a context uses (config.context_predictor, c/continual.c). SHARED: one for all (the
 * behaviour before the option). CONTEXT: each context keeps its own, saved when the agent leaves the context and
 * restored when it returns (announced or re-selected), so a known task is predicted as it was, not read as a change.
 * CONTEXT_RESET: as CONTEXT, and a task-free re-selection of a known context also sets NA's phasic and tonic
 * parts to 0 (the surprise that raised NA is explained by the context found). */
enum nm_context_predictor { NM_PREDICTOR_SHARED = 0, NM_PREDICTOR_CONTEXT = 1, NM_PREDICTOR_CONTEXT_RESET = 2 };
/* Whose tonic modulator state a context uses (config.context_tonic, c/continual.c). SHARED: one for all (the
 * behaviour before the option). CONTEXT: each context keeps its own tonic levels (DA's average reward, 5-HT's
 * average punishment, NA's volatility, ACh's expected uncertainty) and the reward statistics beside them, saved
 * when the agent leaves the context and restored when it returns, so a known task is met with its own reward
 * rate and withhold bias, not the last task's. */
enum nm_context_tonic { NM_TONIC_SHARED = 0, NM_TONIC_CONTEXT = 1 };
/* How the uncertainty head represents expected surprise (config.uncertainty_head, c/predictor.c). LINEAR: E = u,
 * a linear readout of the features (the behaviour before the option). LOG: E = prior x exp(u - prior), the readout
 * is log expected surprise and learns the log of its clipped target, so E stays positive and a cue between two
 * hazards is not read out as a negative expectation (floored to none). */
enum nm_uncertainty_head { NM_UNCERTAINTY_LINEAR = 0, NM_UNCERTAINTY_LOG = 1 };
/* Whether ACh sets NA's threshold (config.na_ach_threshold, c/modulators.c). OFF: NA integrates u (the behaviour
 * before the option). ON: only the part of u beyond theta = ACh / (0.5 + ACh) counts, rescaled to [0, 1]: the
 * more known unreliability, the more unexpected an outcome must be before it signals a change (Yu & Dayan 2005). */
enum nm_na_ach_threshold { NM_NA_ACH_OFF = 0, NM_NA_ACH_ON = 1 };
/* Who carries the Pavlovian bias's aversive half (config.pavlovian_aversive, c/network.c). SCALED: it is there
 * whatever the modulators, its weight times exp(M[withhold_bias][5HT] level_5HT) (the behaviour before the
 * option). SEROTONERGIC: as SCALED while 5-HT is on, and gone when 5-HT is switched off: punishment-induced
 * inhibition is serotonin's (Dayan & Huys 2008; Crockett et al. 2009), so its ablation removes it. */
enum nm_pavlovian_aversive { NM_PAVLOVIAN_SCALED = 0, NM_PAVLOVIAN_SEROTONERGIC = 1 };
/* Which contexts a gate closes (config.gate_first, c/continual.c). GATED: every context, the first too (the
 * behaviour before the option). OPEN: the first context the agent learns in keeps every hidden unit open (there is
 * nothing to protect yet, so a single task keeps the network's full width); every later context takes its random
 * gate over units the first one trained, whose weights consolidation protects. */
/* OPEN_FREE: as OPEN, and the first context's boundary adds no importance (SI would otherwise cover every weight
 * and the later contexts' gated units could not learn); the first task is then protected only by the gates. */
/* OPEN_YIELD: as OPEN_FREE, and the first context keeps only the units no context made after it gates in: a later
 * context's units, which it retrains, stop carrying the first task's output, so the first task is protected by the
 * gates as every later one is (Masse et al. 2018), while a single task keeps the network's full width. */
enum nm_gate_first { NM_GATE_FIRST_GATED = 0, NM_GATE_FIRST_OPEN = 1, NM_GATE_FIRST_OPEN_FREE = 2,
                     NM_GATE_FIRST_OPEN_YIELD = 3 };
/* What the agent does while the task-free boundary detector compares the contexts (config.boundary_learning,
 * c/continual.c). PAUSE: nothing learns in the detector's windows (the behaviour before the option). LEARN: the
 * agent keeps learning in the context it acts from, so a false alarm (a reversal's surprise) costs no trials. */
enum nm_boundary_learning { NM_BOUNDARY_PAUSE = 0, NM_BOUNDARY_LEARN = 1 };
/* What makes the task-free detector open a window (config.boundary_trigger, c/continual.c). NA: NA's phasic level
 * above boundary (the behaviour before the option). EVIDENCE: that, and a CUSUM of the log-likelihood ratio of a
 * twenty-fold rise of the current context's own outcome noise (its model's errors) above ln 20 (Page 1954; Adams &
 * MacKay 2007), from a model that explains at least half of the reward's variance: a surprise the
 * context's model expects (a stochastic or volatile task's), or one it cannot predict at all, opens none.
 * EVIDENCE_DEFER: as EVIDENCE, but a context the detector made (not the one the agent starts in) whose model has
 * learned from fewer than tau_phasic.NA steps defers to NA, so that a context too young to judge cannot hold the
 * agent (its model learns only while NA is quiet, so a block learned under high NA leaves it young).
 * EVIDENCE_STATE: as EVIDENCE_DEFER, but at a state and action whose expected surprise (the uncertainty head's E)
 * exceeds the reward's variance, a local hazard, the context's noise is at least na_threshold x E, NA's own bar
 * there: a hazard the context has met where it happens (the cliff's falls) is then no evidence of a change.
 * EVIDENCE_TABLE: as EVIDENCE_DEFER, but the error the evidence scores is that of each context's table of the mean
 * reward per observation and action (a state that recurs is predicted as itself, not through a model linear in
 * the observation, whose fit of a rare large outcome spreads to the neighbouring states); an observation the
 * table has no room for is judged by the linear model, as EVIDENCE_DEFER does. */
enum nm_boundary_trigger { NM_TRIGGER_NA = 0, NM_TRIGGER_EVIDENCE = 1, NM_TRIGGER_EVIDENCE_DEFER = 2,
                           NM_TRIGGER_EVIDENCE_STATE = 3, NM_TRIGGER_EVIDENCE_TABLE = 4 };
/* The learning step in a gated context (config.gate_step, c/continual.c). FIXED: the modulated learning rate, whatever
 * the gate (the behaviour before the option). WIDTH: the step of the trunk and the heads (with the entropy bonus's,
 * SI's path integral, which divides by it, and consolidation's pull) times sqrt(hidden units / units the current
 * context's gate keeps open): a gate of a tenth leaves a tenth of the gradient's terms, so one update's norm is about
 * sqrt(0.1) of the full network's; scaled, it is the full network's (an update normalised by the norm of the active
 * features). An open context (gate_first) and an agent without gating take the step as configured. */
enum nm_gate_step { NM_GATE_STEP_FIXED = 0, NM_GATE_STEP_WIDTH = 1 };
/* When a task-free context's outcome model learns (config.model_gate, c/continual.c). NA: while NA's phasic level is
 * under boundary / 2 (the behaviour before the option). EVIDENCE (with boundary_trigger evidence*): that, and not from
 * a step after which the context's own evidence of a change (the CUSUM, this step included) is at the detector's bar:
 * NA lags the outcome by a step or more, so the first trials of the next task would otherwise teach the old context's
 * model the new task before the change is detected. A model too young to judge (no evidence) learns as under NA. */
enum nm_model_gate { NM_MODEL_GATE_NA = 0, NM_MODEL_GATE_EVIDENCE = 1 };
/* What drives 5-HT (c/modulators.c). PUNISHMENT: each step's punishment max(0, -r). RELATIVE: the punishment
 * beyond the punishment expected from the recent past (its mean over tau_phasic.5HT steps), so that a steady
 * cost per step does not hold 5-HT up (Daw, Kakade & Dayan 2002: punishment relative to the average). */
typedef enum nm_5ht_input { NM_5HT_PUNISHMENT = 0, NM_5HT_RELATIVE = 1 } nm_5ht_input;
/* What consolidation anchors each weight to (config.importance). SLOW: a slow copy of the weights that follows
 * them (Benna & Fusi 2016). SI, EWC: the weights at the last context boundary, each pulled in proportion to its
 * importance: Synaptic Intelligence's path integral (Zenke et al. 2017) or online EWC's Fisher information
 * (Kirkpatrick et al. 2017; Schwarz et al. 2018), accumulated at every boundary (c/continual.c). */
typedef enum nm_importance { NM_IMPORTANCE_SLOW = 0, NM_IMPORTANCE_SI = 1, NM_IMPORTANCE_EWC = 2 } nm_importance;
/* Most contexts an agent keeps (given with nm_agent_set_context or inferred). */
#define NM_MAX_CONTEXTS 32
/* config.withhold_action when no action gets the withhold bias. */
#define NM_ACTION_NONE (-1)

/* What a config field holds (the table below): its element type, the labels of its elements, its flags. */
typedef enum nm_field_kind {
    NM_FIELD_COUNT = 0,  /* a non-negative integer size (size_t) */
    NM_FIELD_U64 = 1,    /* a 64-bit unsigned integer (the seed) */
    NM_FIELD_REAL = 2,   /* a float */
    NM_FIELD_ENUM = 3,   /* one of named values (nm_config_field.values) */
    NM_FIELD_MASK = 4,   /* a set of named bits (the modulators) */
    NM_FIELD_INDEX = 5   /* a 0-based index (int) or NM_ACTION_NONE (-1), none (false in Lua) */
} nm_field_kind;
typedef enum nm_field_shape {
    NM_SHAPE_SCALAR = 0, NM_SHAPE_LAYERS = 1, NM_SHAPE_PARAMS = 2, NM_SHAPE_MODS = 3, NM_SHAPE_PARAMS_MODS = 4,
    NM_SHAPE_MODS_MODS = 5
} nm_field_shape;
#define NM_F_REQUIRED   1u
#define NM_F_SPLIT      2u
#define NM_F_ZERO_OFF   4u
#define NM_F_HI_OPEN    8u
#define NM_F_PER_PARAM 16u
#define NM_F_STRUCTURAL 32u

/* Trunk layer kinds (config.layer_kind) and learners (config.model): the dense layer and the leaky recurrent
 * layer; the rate actor-critic and the spiking one (LIF E/I groups, dopamine-gated STDP, noradrenergic
 * bursting: c/learner_spiking.c), whose options are the config rows marked "spiking" (the trunk options do not
 * apply to it).
 *
 * A recurrent layer of n units with input x (m floats) keeps a hidden state h across steps:
 *   h_t = (1 - 1/tau) h_{t-1} + (1/tau) f(gain . (W x_t + U h_{t-1} + b))      (tau: config.layer_tau)
 * its weight tensor is [W U] stored by input, (m + n) x n (row j: the weights from input j to every unit). The
 * state is cleared at an episode's end (a terminal learn, nm_agent_reset_traces). It learns online by e-prop
 * (Bellec et al. 2020) with the true readout as the learning signal: each synapse keeps an eligibility
 * eps <- (1 - 1/tau) eps + (1/tau) f' gain [x; h_{t-1}; 1], and the TD(lambda) trace takes dy/dh_t . eps in
 * place of the feed-forward gradient. No history is stored.
 * Per step, a recurrent layer of n units with m inputs costs O(n (m + n)) time: four passes over its
 * n (m + n + 1) synapses (the forward products of act and of learn's bootstrap, the eligibility-and-trace pass,
 * the update), where a dense layer has n (m + 1). Memory: O(n (m + n)), two eligibility buffers (the live one
 * and the one act writes) besides the weights, traces and anchors of any layer, plus 4n floats (h, the pending
 * step's h_{t-1}, and backward scratch).
 *
 * An integrator layer (NM_LAYER_INTEGRATOR, "integrator") is the same recurrent layer with the leak before the
 * nonlinearity, as e-prop's neurons have it: each unit integrates its input and outputs a function of the sum,
 *   v_t = (1 - 1/tau) v_{t-1} + (1/tau) (W x_t + U h_{t-1} + b),   h_t = f(gain . v_t)
 * Its eligibility then factorises (Bellec et al. 2020): d h_t,i / d w_ij = f'_i gain_i (1/tau) zbar_j, where
 * zbar <- (1 - 1/tau) zbar + [x; h_{t-1}; 1] is one filtered input per column, shared by every unit, so the
 * trace takes e_ij <- decay e_ij + (dy/dh_t,i f'_i gain_i / tau) zbar_j: the feed-forward layer's outer product
 * with zbar in place of the input. Time per step: the passes of a dense layer over its n (m + n + 1) synapses
 * (the forward products, the trace, the update); memory: weights, traces and anchors, plus m + n + 1 floats of
 * zbar (two buffers) and 6n (h and v, and their pending step's values; backward scratch). Tests and results
 * compare the two kinds (docs/results/recurrent.md). */
typedef enum nm_layer_kind {
    NM_LAYER_DENSE = 0, NM_LAYER_RECURRENT = 1, NM_LAYER_INTEGRATOR = 2
} nm_layer_kind;
typedef enum nm_model { NM_MODEL_RATE = 0, NM_MODEL_SPIKING = 1 } nm_model;

/* ------------------------------------------------------------------------------------------------------
 * The configuration, described once. Each X(...) row is one field of nm_agent_config:
 *   X(ctype, name, dims, kind, shape, option, flags, lo, hi, expect, values, default, legacy, doc)
 *     ctype, dims  the C declaration: ctype name dims;
 *     kind         NM_FIELD_COUNT (an integer size), _U64, _REAL (float), _ENUM, _MASK (a bit set), _INDEX
 *                  (an int index or -1 for none)
 *     shape        the labels of its elements: NM_SHAPE_SCALAR, _LAYERS (hidden layers 1..8), _PARAMS,
 *                  _MODS, _PARAMS_MODS (rows: meta-parameters, columns: modulators), _MODS_MODS
 *     option       the name bindings and messages use ("" for a field set through another one)
 *     flags        NM_F_REQUIRED (a checkpoint must hold it), NM_F_SPLIT (each element is an option named by
 *                  its label), NM_F_ZERO_OFF (0 is accepted besides the range), NM_F_HI_OPEN (hi excluded),
 *                  NM_F_PER_PARAM (ranges per meta-parameter, see config.c), NM_F_STRUCTURAL (set
 *                  through `hidden`)
 *     lo, hi       the accepted range of each element (inclusive unless NM_F_HI_OPEN)
 *     expect       the accepted values in words, for messages ("a number >= 1 (steps)")
 *     values       ENUM: the names of its values 0, 1, ...; MASK: the names of its bits; else NM_NONE
 *     default      the value of a new agent
 *     legacy       the value a checkpoint that lacks the field means: the behaviour before the field existed
 *     doc          one line
 * From this table come the struct below, nm_agent_config_default, nm_agent_config_check, the by-name
 * accessors (nm_config_*), the checkpoint's config section and both Lua bindings' options. A new field is
 * one row here plus its use.
 * ------------------------------------------------------------------------------------------------------ */
#define NM_LIST(...) { __VA_ARGS__ }
#define NM_NONE { NULL }
#define NM_CONFIG_FIELDS(X) \
    X(size_t, n_obs, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "obs", NM_F_REQUIRED, 1, NM_MAX_UNITS, \
      "1 to 65536 inputs", NM_NONE, 0, 0, "observation length") \
    X(size_t, n_actions, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "actions", NM_F_REQUIRED, 2, NM_MAX_UNITS, \
      "2 to 65536 actions", NM_NONE, 0, 0, "number of discrete actions") \
    X(size_t, n_layers, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "", NM_F_REQUIRED | NM_F_STRUCTURAL, 0, NM_MAX_LAYERS, \
      "at most 8 layers", NM_NONE, 1, 1, "trunk layers (the length of hidden)") \
    X(size_t, hidden, [NM_MAX_LAYERS], NM_FIELD_COUNT, NM_SHAPE_LAYERS, "hidden", NM_F_REQUIRED | NM_F_STRUCTURAL, \
      1, NM_MAX_UNITS, "a positive integer (1 to 65536 units)", NM_NONE, NM_LIST(64), NM_LIST(64), "units per trunk layer") \
    X(nm_activation, activation, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "activation", 0, 0, 1, \
      "'tanh' or 'relu'", NM_LIST("tanh", "relu"), NM_TANH, NM_TANH, "the trunk's activation function") \
    X(uint64_t, seed, , NM_FIELD_U64, NM_SHAPE_SCALAR, "seed", 0, 0, 18446744073709551615.0, \
      "a non-negative integer", NM_NONE, 1, 1, "seeds the weights and the action sampling") \
    X(float, init_scale, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "init_scale", 0, 0, 1e6, \
      "a finite number >= 0", NM_NONE, 1.0f, 1.0f, "weights ~ U(-s, s) * sqrt(3 / fan_in) (s = 1 is LeCun-uniform)") \
    X(float, critic_scale, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "critic_scale", 0, 0, 1e6, \
      "a finite number >= 0", NM_NONE, 1.0f, 1.0f, "critic step = learning_rate * critic_scale") \
    X(float, predictor_rate, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "predictor_rate", 0, 0, 1, \
      "a number in [0, 1]", NM_NONE, 0.1f, 0.1f, "step size of the outcome predictor (normalised LMS)") \
    X(float, max_update, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "max_update", 0, 0, 1e30, \
      "a finite number >= 0 (0 turns clipping off)", NM_NONE, 1.0f, 1.0f, "largest L2 norm of one weight update") \
    X(float, base, [NM_N_PARAMS], NM_FIELD_REAL, NM_SHAPE_PARAMS, "", NM_F_SPLIT | NM_F_PER_PARAM, 0, 0, \
      "", NM_NONE, NM_LIST(0.05f, 1.0f, 0.95f, 0.5f, 1.0f, 1.0f, 0.0f, 0.01f), NM_LIST(0.05f, 1.0f, 0.95f, 0.5f, 1.0f, 1.0f, 0.0f, 0.0f), \
      "p0 of each meta-parameter (its value with every modulator at 0)") \
    X(unsigned, modulators, , NM_FIELD_MASK, NM_SHAPE_MODS, "modulators", 0, 0, NM_MOD_ALL, \
      "a set of DA, NA, ACh, 5HT", NM_LIST("DA", "NA", "ACh", "5HT"), NM_MOD_ALL, NM_MOD_ALL, "enabled modulators; a disabled one stays at 0") \
    X(float, mapping, [NM_N_PARAMS][NM_N_MODULATORS], NM_FIELD_REAL, NM_SHAPE_PARAMS_MODS, "mapping", 0, -100, 100, \
      "a number in [-100, 100]", NM_NONE, NM_DEFAULT_MAPPING, NM_DEFAULT_MAPPING, \
      "the many-to-one mapping M[p][k] (see below)") \
    X(float, interaction, [NM_N_MODULATORS][NM_N_MODULATORS], NM_FIELD_REAL, NM_SHAPE_MODS_MODS, "interactions", 0, \
      -100, 100, "a number in [-100, 100]", NM_NONE, NM_DEFAULT_INTERACTION, NM_DEFAULT_INTERACTION, \
      "modulator-on-modulator actions I[k][j] (see below)") \
    X(float, tau_phasic, [NM_N_MODULATORS], NM_FIELD_REAL, NM_SHAPE_MODS, "tau_phasic", 0, 1, 1e9, \
      "a number >= 1 (steps)", NM_NONE, NM_LIST(20.0f, 20.0f, 20.0f, 20.0f), NM_LIST(20.0f, 20.0f, 20.0f, 20.0f), \
      "time constants of the phasic components, in steps") \
    X(float, tau_tonic, [NM_N_MODULATORS], NM_FIELD_REAL, NM_SHAPE_MODS, "tau_tonic", 0, 1, 1e9, \
      "a number >= 1 (steps)", NM_NONE, NM_LIST(500.0f, 500.0f, 200.0f, 500.0f), NM_LIST(500.0f, 500.0f, 200.0f, 500.0f), \
      "time constants of the tonic components, in steps") \
    X(float, scale, [NM_N_MODULATORS], NM_FIELD_REAL, NM_SHAPE_MODS, "scale", 0, 1e-30, 1e30, \
      "a number > 0", NM_NONE, NM_LIST(0.1f, 2.0f, 0.25f, 0.25f), NM_LIST(0.1f, 2.0f, 0.25f, 0.25f), \
      "saturation scale: a level is tanh(raw / scale); in the units of each raw signal") \
    X(float, na_threshold, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "na_threshold", 0, 1, 1e30, \
      "a number >= 1", NM_NONE, 4.0f, 4.0f, "surprise counts as unexpected beyond na_threshold x expected") \
    X(float, na_reset, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "na_reset", 0, 0, 1e30, \
      "a number >= 0 (above 1 never resets)", NM_NONE, 0.9f, 0.9f, "unexpectedness above which NA clears the traces") \
    X(float, surprise_floor, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "surprise_floor", 0, 1e-30, 1e30, \
      "a number > 0", NM_NONE, 0.02f, 0.02f, "smallest expected surprise (keeps ratios finite)") \
    X(float, attention_set, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "attention_set", NM_F_ZERO_OFF, 1, 1e30, \
      "0 (off) or a time constant >= 1 (steps)", NM_NONE, 0.0f, 0.0f, "ACh's attention spread by learned salience") \
    X(float, gain_focus, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "gain_focus", 0, 0, 1e30, \
      "a number >= 0 (0: the same gain for every unit)", NM_NONE, 0.0f, 0.0f, "contrast of NA's gain focus (GANE)") \
    X(nm_na_input, na_input, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "na_input", 0, 0, 1, \
      "'surprise' or 'changepoint'", NM_LIST("surprise", "changepoint"), NM_NA_SURPRISE, NM_NA_SURPRISE, "what drives NA's phasic part") \
    X(nm_layer_kind, layer_kind, [NM_MAX_LAYERS], NM_FIELD_ENUM, NM_SHAPE_LAYERS, "", NM_F_STRUCTURAL, 0, 2, \
      "'dense', 'recurrent' or 'integrator'", NM_LIST("dense", "recurrent", "integrator"), NM_LIST(NM_LAYER_DENSE), NM_LIST(NM_LAYER_DENSE), \
      "the kind of each trunk layer") \
    X(nm_model, model, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "model", 0, 0, 1, \
      "'rate' or 'spiking'", NM_LIST("rate", "spiking"), NM_MODEL_RATE, NM_MODEL_RATE, \
      "the learner: the rate actor-critic or the spiking one") \
    X(int, withhold_action, , NM_FIELD_INDEX, NM_SHAPE_SCALAR, "withhold_action", 0, -1, NM_MAX_UNITS - 1, \
      "an action 0 .. actions-1, or none (-1; false in Lua)", NM_NONE, 0, 0, \
      "the action whose logit takes the withhold bias") \
    X(nm_5ht_input, serotonin_input, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "serotonin_input", 0, 0, 1, \
      "'punishment' or 'relative'", NM_LIST("punishment", "relative"), NM_5HT_PUNISHMENT, NM_5HT_PUNISHMENT, \
      "what drives 5-HT: punishment, or punishment beyond the expected") \
    X(float, policy_reset, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "policy_reset", 0, 0, 1, \
      "a number in [0, 1] (0: off)", NM_NONE, 0.0f, 0.0f, \
      "NA's network reset: each step the policy head shrinks toward uniform by policy_reset x level_NA") \
    X(float, policy_entropy, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "policy_entropy", 0, 0, 100, \
      "a number in [0, 100] (0: off)", NM_NONE, 0.0f, 0.0f, \
      "weight of the actor's entropy bonus: each learn step ascends policy_entropy x H(pi(s)) at the learning rate") \
    X(float, outcome_bias, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "outcome_bias", 0, 0, 100, \
      "a number in [0, 100] (0: off)", NM_NONE, 0.0f, 0.0f, \
      "NA's outcome bias: outcome_bias x level_NA x q_a(s), the outcome predictor's value of each action, joins the logits") \
    X(nm_importance, importance, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "importance", 0, 0, 2, \
      "'slow', 'si' or 'ewc'", NM_LIST("slow", "si", "ewc"), NM_IMPORTANCE_SI, NM_IMPORTANCE_SLOW, \
      "what consolidation anchors to: a slow copy of the weights, or the weights at the last boundary, per-synapse importance from SI or online EWC") \
    X(float, gating, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "gating", 0, 0, 1, \
      "a number in [0, 1] (0: off; true in Lua is 0.2)", NM_NONE, 0.1f, 0.0f, \
      "context gating: the fraction of hidden units each context's fixed random gate keeps open") \
    X(float, boundary, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "boundary", 0, 0, 1, \
      "a number in [0, 1] (0: off)", NM_NONE, 0.5f, 0.0f, \
      "task-free boundaries: the NA level above which a change of task is detected and the context inferred") \
    /* deterministic: true never calls BLAS; every shape runs in the library's fixed-order loops (and exp and log \
     * are the library's own, c/nm_math.c, in either mode), so a build gives the same bits whatever the CPU, \
     * OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE or kernel set. false lets layers of 16,384 weights or more use \
     * OpenBLAS, faster there but dependent on its thread count and CPU (docs/performance.md). */ \
    X(int, deterministic, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "deterministic", 0, 0, 1, \
      "true or false", NM_LIST("false", "true"), 1, 0, \
      "true: the same bits on any x86-64 and thread count (no BLAS); false: OpenBLAS for large layers") \
    X(float, sim_ms, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "sim_ms", 0, 1, 1000, \
      "a number in [1, 1000] (ms)", NM_NONE, 50.0f, 50.0f, "spiking: simulated milliseconds per task step") \
    X(float, dt, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "dt", 0, 0.05, 10, \
      "a number in [0.05, 10] (ms)", NM_NONE, 1.0f, 1.0f, "spiking: the integration step") \
    X(size_t, group_e, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "group_e", 0, 1, 4096, \
      "1 to 4096 neurons", NM_NONE, 20, 20, "spiking: excitatory neurons per action group and in the critic") \
    X(size_t, group_i, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "group_i", 0, 0, 4096, \
      "0 to 4096 neurons", NM_NONE, 5, 5, "spiking: inhibitory neurons per action group and in the critic") \
    X(size_t, input_neurons, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "input_neurons", 0, 1, 4096, \
      "1 to 4096 neurons", NM_NONE, 8, 8, "spiking: input neurons per observation and sign (on and off cells)") \
    X(float, p_input, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "p_input", 0, 0, 1, \
      "a probability in [0, 1]", NM_NONE, 0.5f, 0.5f, "spiking: connection probability input -> group neuron") \
    X(float, p_connect, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "p_connect", 0, 0, 1, \
      "a probability in [0, 1]", NM_NONE, 0.2f, 0.2f, "spiking: recurrent connection probability within a group") \
    X(int, input_encoding, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "input_encoding", 0, 0, 1, \
      "'poisson' or 'rate'", NM_LIST("poisson", "rate"), 0, 0, \
      "spiking: inputs as Poisson spike trains or as regular population-rate trains") \
    X(int, action_readout, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "action_readout", 0, 0, 1, \
      "'max' or 'softmax'", NM_LIST("max", "softmax"), 1, 0, \
      "spiking: the action of the highest net rate, or sampled from a softmax over net rates") \
    X(float, input_rate, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "input_rate", 0, 0, 1000, \
      "a rate in [0, 1000] (Hz)", NM_NONE, 100.0f, 100.0f, "spiking: an input neuron's rate at |obs| >= 1") \
    X(float, tau_m, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "tau_m", 0, 0.1, 1e4, \
      "a number in [0.1, 1e4] (ms)", NM_NONE, 20.0f, 20.0f, "spiking: membrane time constant") \
    X(float, refractory, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "refractory", 0, 0, 1e3, \
      "a number in [0, 1000] (ms)", NM_NONE, 2.0f, 2.0f, "spiking: refractory period") \
    X(float, spike_bias, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "spike_bias", 0, -10, 10, \
      "a number in [-10, 10] (threshold units)", NM_NONE, 0.5f, 0.5f, "spiking: constant drive of every neuron") \
    X(float, w_input, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "w_input", 0, 0, 10, \
      "a number in [0, 10] (threshold units)", NM_NONE, 0.15f, 0.15f, "spiking: input weights start in U(0, w_input)") \
    X(float, w_max, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "w_max", 0, 0, 10, \
      "a number in [0, 10] (threshold units)", NM_NONE, 0.6f, 0.6f, "spiking: largest plastic weight") \
    X(float, stdp_tau_plus, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "stdp_tau_plus", 0, 0.1, 1e4, \
      "a number in [0.1, 1e4] (ms)", NM_NONE, 20.0f, 20.0f, "spiking: STDP pre trace time constant") \
    X(float, stdp_tau_minus, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "stdp_tau_minus", 0, 0.1, 1e4, \
      "a number in [0.1, 1e4] (ms)", NM_NONE, 20.0f, 20.0f, "spiking: STDP post trace time constant") \
    X(float, stdp_a_plus, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "stdp_a_plus", 0, 0, 1e3, \
      "a number in [0, 1000]", NM_NONE, 0.1f, 0.1f, "spiking: eligibility added by a post spike per unit pre trace") \
    X(float, stdp_a_minus, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "stdp_a_minus", 0, 0, 1e3, \
      "a number in [0, 1000]", NM_NONE, 0.05f, 0.05f, "spiking: eligibility taken by a pre spike per unit post trace") \
    X(float, elig_tau, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "elig_tau", 0, 0.1, 1e6, \
      "a number in [0.1, 1e6] (ms)", NM_NONE, 100.0f, 100.0f, "spiking: eligibility trace time constant") \
    X(float, na_burst_hz, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "na_burst_hz", 0, 0, 1000, \
      "a rate in [0, 1000] (Hz)", NM_NONE, 20.0f, 20.0f, "spiking: correlated bursts per group per second at NA level 1") \
    X(float, na_burst_amp, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "na_burst_amp", 0, 0, 10, \
      "a number in [0, 10] (threshold units)", NM_NONE, 1.0f, 1.0f, "spiking: depolarisation of a group's E cells by a burst") \
    X(float, layer_tau, [NM_MAX_LAYERS], NM_FIELD_REAL, NM_SHAPE_LAYERS, "", NM_F_STRUCTURAL, 1, 1e6, \
      "a number >= 1 (steps)", NM_NONE, NM_LIST(1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f), \
      NM_LIST(1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f), \
      "time constant of each recurrent trunk layer, in steps (1: no leak; a dense layer takes 1)") \
    X(float, predictor_forget, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "predictor_forget", 0, 0, 1, \
      "a number in [0, 1] (0: off)", NM_NONE, 0.0f, 0.0f, \
      "each learn step the outcome values of the actions not taken revert toward the average reward by predictor_forget x level_NA") \
    X(float, pavlovian, , NM_FIELD_REAL, NM_SHAPE_SCALAR, "pavlovian", 0, 0, 100, \
      "a number in [0, 100] (0: off)", NM_NONE, 0.0f, 0.0f, \
      "the Pavlovian bias: the withheld action's logit takes -pavlovian x V(s), its aversive half scaled by 5-HT") \
    X(int, actor_gate, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "actor_gate", 0, 0, 1, \
      "'choice' or 'policy'", NM_LIST("choice", "policy"), 1, 0, \
      "spiking: the actor's eligibility gate, +1 / -1/(A-1) by the choice, or 1[a] - pi (the softmax score)") \
    X(int, na_expected, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "na_expected", 0, 0, 1, \
      "'cue' or 'variance'", NM_LIST("cue", "variance"), 0, 0, \
      "NA's bar for an outlier: na_threshold x the cue's expected surprise, or also at least the variance of the task's rewards") \
    X(int, context_predictor, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "context_predictor", 0, 0, 2, \
      "'shared', 'context' or 'context_reset'", NM_LIST("shared", "context", "context_reset"), NM_PREDICTOR_CONTEXT_RESET, NM_PREDICTOR_SHARED, \
      "the outcome predictor (and its uncertainty head): one for every context, or one per context, kept and restored with it (context_reset: and a re-selected known context sets NA to 0)") \
    X(int, context_tonic, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "context_tonic", 0, 0, 1, \
      "'shared' or 'context'", NM_LIST("shared", "context"), NM_TONIC_CONTEXT, NM_TONIC_SHARED, \
      "the modulators' tonic state (average reward and punishment, volatility, expected uncertainty): one for every context, or one per context, kept and restored with it") \
    X(int, uncertainty_head, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "uncertainty_head", 0, 0, 1, \
      "'linear' or 'log'", NM_LIST("linear", "log"), 0, 0, \
      "the uncertainty head's readout: expected surprise itself, or its log (positive wherever the readout generalises)") \
    X(int, na_ach_threshold, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "na_ach_threshold", 0, 0, 1, \
      "'off' or 'on'", NM_LIST("off", "on"), 0, 0, \
      "ACh sets NA's threshold: only the part of the unexpected surprise u beyond ACh / (0.5 + ACh) drives NA") \
    X(int, pavlovian_aversive, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "pavlovian_aversive", 0, 0, 1, \
      "'scaled' or 'serotonergic'", NM_LIST("scaled", "serotonergic"), 0, 0, \
      "the Pavlovian bias's aversive half: scaled by 5-HT and kept without it, or carried by 5-HT and gone when 5-HT is off") \
    X(int, gate_first, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "gate_first", 0, 0, 3, \
      "'gated', 'open', 'open_free' or 'open_yield'", NM_LIST("gated", "open", "open_free", "open_yield"), NM_GATE_FIRST_OPEN_YIELD, NM_GATE_FIRST_GATED, \
      "gating: the first context the agent learns in takes its random gate too, or keeps every hidden unit open (nothing to protect yet; open_free: nor consolidates it; open_yield: as open_free, and gives up the units of every context made after it)") \
    X(int, boundary_learning, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "boundary_learning", 0, 0, 1, \
      "'pause' or 'learn'", NM_LIST("pause", "learn"), 0, 0, \
      "task-free boundaries: nothing learns while the detector compares the contexts (pause), or the agent keeps learning in the context it acts from (learn)") \
    X(size_t, boundary_sustain, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "boundary_sustain", 0, 1, 1000000, \
      "1 to 1000000 steps", NM_NONE, 1, 1, \
      "task-free boundaries: the steps in a row NA's phasic level must stay above boundary before a change is detected") \
    X(int, boundary_trigger, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "boundary_trigger", 0, 0, 4, \
      "'na', 'evidence', 'evidence_defer', 'evidence_state' or 'evidence_table'", NM_LIST("na", "evidence", "evidence_defer", "evidence_state", "evidence_table"), NM_TRIGGER_EVIDENCE_TABLE, NM_TRIGGER_NA, \
      "task-free boundaries: a change is NA's phasic level above boundary (na), or that and the current context's outcome model's evidence against it (evidence; evidence_defer: a young context the detector made defers to NA; evidence_state: as evidence_defer, and a state whose expected surprise exceeds the reward's variance is judged against na_threshold x that expectation; evidence_table: as evidence_defer, the error scored from each context's table of the mean reward per observation and action)") \
    X(int, gate_step, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "gate_step", 0, 0, 1, \
      "'fixed' or 'width'", NM_LIST("fixed", "width"), NM_GATE_STEP_WIDTH, NM_GATE_STEP_FIXED, \
      "gating: the learning step in a gated context is the modulated learning rate (fixed), or that times sqrt(hidden units / units its gate keeps open), so that one update changes the weights as much as at full width (width)") \
    X(size_t, gate_min, , NM_FIELD_COUNT, NM_SHAPE_SCALAR, "gate_min", 0, 0, NM_MAX_UNITS, \
      "0 to 65536 hidden units", NM_NONE, 6, 0, \
      "gating: a context's gate keeps at least this many hidden units open, its draw's closed units with the lowest draws added (0: the draw alone)") \
    X(int, model_gate, , NM_FIELD_ENUM, NM_SHAPE_SCALAR, "model_gate", 0, 0, 1, \
      "'na' or 'evidence'", NM_LIST("na", "evidence"), NM_MODEL_GATE_EVIDENCE, NM_MODEL_GATE_NA, \
      "task-free boundaries with boundary_trigger evidence*: a context's outcome model learns from a step while NA is quiet (na), or while NA is quiet and its own evidence of a change, this step's included, is under the detector's bar (evidence)")

/* The default many-to-one mapping (rows: meta-parameters, columns DA, NA, ACh, 5HT), with its sources:
 *  learning_rate: NA raises it (volatility, Behrens et al. 2007); ACh lowers it (known noise, as the Kalman
 *    gain does: Yu & Dayan 2005; Piray & Daw 2020).
 *  inverse_temperature: NA lowers it (exploration, Aston-Jones & Cohen 2005); tonic DA, the average reward,
 *    raises it (Humphries, Khamassi & Gurney 2012).
 *  discount: 5-HT lengthens the horizon (patience: Doya 2002; Miyazaki et al. 2014).
 *  trace_decay: a change-point (NA) shortens credit assignment to the new regime.
 *  gain: NA raises the gain of hidden units (adaptive gain: Aston-Jones & Cohen 2005).
 *  attention: ACh raises the precision of sensory input (Hasselmo 2006; Yu & Dayan 2005).
 *  withhold_bias: expected punishment (5-HT) biases toward withholding (Crockett et al. 2009; Guitart-Masip
 *    et al. 2012), average reward (tonic DA) toward acting (Niv 2007; Boureau & Dayan 2011).
 *  consolidation: 5-HT weighs prior knowledge; NA at a change lets go of it. */
#define NM_DEFAULT_MAPPING NM_LIST( \
    NM_LIST( 0.0f,  1.0f, -1.0f, 0.0f),   /* learning_rate */ \
    NM_LIST( 1.0f, -2.0f,  0.0f, 0.0f),   /* inverse_temperature */ \
    NM_LIST( 0.0f,  0.0f,  0.0f, 1.0f),   /* discount */ \
    NM_LIST( 0.0f, -0.5f,  0.0f, 0.0f),   /* trace_decay */ \
    NM_LIST( 0.0f,  0.5f,  0.0f, 0.0f),   /* gain */ \
    NM_LIST( 0.0f,  0.0f,  0.5f, 0.0f),   /* attention */ \
    NM_LIST(-1.0f,  0.0f,  0.0f, 2.0f),   /* withhold_bias */ \
    NM_LIST( 0.0f, -1.0f,  0.0f, 1.0f))   /* consolidation */
/* Default interactions (row k is scaled by exp(sum_j I[k][j] m_j)): NA amplifies DA-gated plasticity (LC-VTA
 * co-release; Sara 2009); 5-HT opposes DA (Daw, Kakade & Dayan 2002). */
#define NM_DEFAULT_INTERACTION NM_LIST( \
    NM_LIST(0.0f, 0.5f, 0.0f, -0.5f), NM_LIST(0.0f, 0.0f, 0.0f, 0.0f), \
    NM_LIST(0.0f, 0.0f, 0.0f, 0.0f), NM_LIST(0.0f, 0.0f, 0.0f, 0.0f))

/* The many-to-one mapping: p = p0 * exp(sum_k mapping[p][k] * m_k) for multiplicative parameters; for
 * discount and trace decay the exponent acts on the horizon, p = 1 - (1 - p0) * exp(-sum_k ...); the withhold
 * bias is additive, p = p0 + sum_k mapping[p][k] * m_k. Interactions: the effective level of k is
 * m_k * exp(sum_j interaction[k][j] m_j) (diagonal ignored); for DA it is the third factor of plasticity,
 * delta * exp(...). */
#define NM_X_DECLARE(ctype, name, dims, ...) ctype name dims;
typedef struct nm_agent_config {
    NM_CONFIG_FIELDS(NM_X_DECLARE)
} nm_agent_config;
#undef NM_X_DECLARE

/* Fills cfg with the table's defaults: tanh, one layer of 64 units, seed 1, alpha 0.05, beta 1, gamma 0.95,
 * lambda 0.5, gain 1, attention 1, no withhold bias, all modulators enabled, the default mapping, and the
 * continual-learning agent (see nm_agent_config_continual). n_obs and n_actions are 0 and must be set. A NULL
 * cfg is ignored. */
void nm_agent_config_default(nm_agent_config *cfg);

/* Sets the continual-learning rows of cfg, and only those, to the default agent's values (on != 0) or to the
 * values that turn continual learning off (on == 0: the agent before it existed). The default agent consolidates
 * by Synaptic Intelligence (importance si, consolidation 0.01) at each context boundary, gates each context's
 * hidden units (gating 0.1, at least gate_min 6 units; the first context keeps every unit, gate_first
 * open_yield; a gated context's step scaled to the full network's, gate_step width), and, until a task announces
 * a context, detects boundaries itself (boundary 0.5 on NA's phasic level, confirmed by the context's own outcome
 * table: boundary_trigger evidence_table, model_gate evidence) with an outcome predictor and tonic modulator
 * state per context (context_predictor context_reset, context_tonic context). On a single task nothing of it
 * changes an action: no second context is ever made, and the first one keeps every unit. The rows: base
 * consolidation, importance, gating, boundary, context_predictor, context_tonic, gate_first, boundary_learning,
 * boundary_sustain, boundary_trigger, gate_step, gate_min, model_gate. With on != 0 and a recurrent layer among
 * cfg's layers, boundary stays 0 (no task-free detection): the detector's context models read the observation,
 * and on a memory task the outcome depends on what the trunk holds, so the agent's own errors read as changes of
 * task; announced contexts work as on any trunk. nm_agent_config_default cannot know the layers: a C host that
 * makes a recurrent trunk calls nm_agent_config_continual(&cfg, 1) after setting them (the Lua API does). The
 * spiking learner (model spiking) takes none of the rows: set on = 0 for it. A NULL cfg is ignored. */
void nm_agent_config_continual(nm_agent_config *cfg, int on);

/* The values a checkpoint that lacks a field means (the behaviour before the field existed). */
void nm_agent_config_legacy(nm_agent_config *cfg);

/* Checks a config without building an agent: every element of every field against the table, and the
 * fields' relations. On error writes a message naming the option to msg (msg may be NULL; msglen counts the
 * terminating NUL). */
nm_status nm_agent_config_check(const nm_agent_config *cfg, char *msg, size_t msglen);

/* ------------------------------------------------------------------------------------------------------
 * The configuration by name: what bindings and tools use instead of the struct's layout, so that a new field
 * needs no change to them. Elements of an array or matrix field are addressed by a 0-based flat index
 * (row-major). Every setter checks the element against the table and on error writes a message that names
 * the option and element ("tau_tonic.NA: expected a number >= 1 (steps), got 0"); nothing is changed then.
 * ------------------------------------------------------------------------------------------------------ */
typedef struct nm_config_field {
    const char *name;                /* the C field name ("tau_tonic") */
    const char *option;              /* the option name of bindings and messages ("" if set through another) */
    const char *expect;              /* the accepted values in words */
    const char *doc;                 /* one line */
    nm_field_kind kind;
    nm_field_shape shape;
    unsigned flags;                  /* NM_F_* */
    size_t rows, cols;               /* elements = rows * cols; a scalar is 1 x 1 */
    const char *const *row_labels;   /* rows names ("learning_rate", ...; "1".."8" for layers); NULL: scalar */
    const char *const *col_labels;   /* column names of a matrix, else NULL */
    const char *const *values;       /* ENUM: the names of the values 0, 1, ...; MASK: the bits' names */
    size_t n_values;
    double lo, hi;                   /* the accepted range of an element (NM_F_PER_PARAM: see nm_config_range) */
} nm_config_field;

/* The number of fields, and field i (NULL if out of range). The order is the table's. */
size_t nm_config_field_count(void);
const nm_config_field *nm_config_field_at(size_t i);
/* The field called name (its C name or its option name); NULL if none. */
const nm_config_field *nm_config_field_find(const char *name);
/* sizeof(nm_agent_config), for bindings that hold a config as opaque bytes. */
size_t nm_config_size(void);
/* The accepted range of element index of a field and its description in words (for NM_F_PER_PARAM fields it
 * differs per meta-parameter). NM_ERR_ARG for an unknown field or index. */
nm_status nm_config_range(const char *name, size_t index, double *lo, double *hi, const char **expect);

/* Reads element index of field name as a number (ENUM and MASK fields give their integer value; a U64 above
 * 2^53 is rounded: use nm_config_get_u64). */
nm_status nm_config_get(const nm_agent_config *cfg, const char *name, size_t index, double *value);
/* Sets element index of field name from a number: integral for COUNT, U64, ENUM and MASK fields; finite and in
 * range for REAL fields. */
nm_status nm_config_set(nm_agent_config *cfg, const char *name, size_t index, double value, char *msg,
                        size_t msglen);
nm_status nm_config_get_u64(const nm_agent_config *cfg, const char *name, size_t index, uint64_t *value);
nm_status nm_config_set_u64(nm_agent_config *cfg, const char *name, size_t index, uint64_t value, char *msg,
                            size_t msglen);
/* An ENUM element by the name of its value ("relu"); the getter returns NULL on a bad name or index. */
nm_status nm_config_set_value(nm_agent_config *cfg, const char *name, size_t index, const char *value,
                              char *msg, size_t msglen);
const char *nm_config_get_value(const nm_agent_config *cfg, const char *name, size_t index);

/* ------------------------------------------------------------------------------------------------------
 * The agent.
 * ------------------------------------------------------------------------------------------------------ */
typedef struct nm_agent nm_agent;

/* Builds an agent. On success *out owns a new agent (free with nm_agent_free). On failure *out is NULL
 * and a message naming the bad field is written to msg (which may be NULL). Allocates all memory the agent
 * will ever use. */
nm_status nm_agent_new(const nm_agent_config *cfg, nm_agent **out, char *msg, size_t msglen);

/* Releases an agent. NULL is a no-op. */
void nm_agent_free(nm_agent *agent);

/* The agent's config (owned by the agent; valid until nm_agent_free). */
const nm_agent_config *nm_agent_get_config(const nm_agent *agent);

/* The message of the agent's last failed call ("" if none). Owned by the agent. */
const char *nm_agent_error(const nm_agent *agent);

/* Chooses an action for obs (n floats, n == n_obs, all finite) by sampling the policy, and remembers the
 * state for the following nm_agent_learn. Writes the 0-based action to *action. */
nm_status nm_agent_act(nm_agent *agent, const float *obs, size_t n, int *action);

/* nm_agent_learn's flags. NM_TERMINAL: the episode ended (V(s') = 0). NM_TRUNCATED: the episode was cut (a time
 * limit), not ended: V(s') is bootstrapped from next_obs as on any step, then the episode's traces are cleared as
 * at a terminal step. With both, the step is truncated (a time-limit wrapper reports its cut as a terminal step
 * that is truncated), so next_obs is needed. */
#define NM_TERMINAL 1
#define NM_TRUNCATED 2

/* Learns from the outcome of the last act: reward r and the next observation (n floats; next_obs may be
 * NULL with n == 0 only when terminal). Computes the TD error delta = r + gamma V(s') - V(s) (phasic DA;
 * V(s') = 0 when terminal), applies the three-factor update dtheta = alpha * DA * e, trains the outcome
 * predictor, and advances the modulators. A terminal or truncated step clears the eligibility traces.
 * flags: 0, NM_TERMINAL (1; a C host's old `terminal` argument of 1 means the same), NM_TRUNCATED (2), or both;
 * other bits are NM_ERR_ARG. Returns NM_ERR_STATE without a pending act, NM_ERR_NUMERIC if the update would make
 * a weight non-finite (nothing is changed then). */
nm_status nm_agent_learn(nm_agent *agent, float reward, const float *next_obs, size_t n, int flags);

/* Clears the eligibility traces and any pending step (an episode boundary without learning, e.g. a truncation),
 * and a recurrent layer's hidden state and eligibility vectors. */
void nm_agent_reset_traces(nm_agent *agent);

/* A snapshot of the modulators and of the meta-parameters they set. */
typedef struct nm_modulator_state {
    float level[NM_N_MODULATORS];    /* the level m_k that drives the mapping (DA: the latest TD error) */
    float phasic[NM_N_MODULATORS];
    float tonic[NM_N_MODULATORS];
    float params[NM_N_PARAMS];       /* current value of each meta-parameter */
    float surprise;                  /* latest outcome surprise (squared prediction error) */
    uint64_t steps;                  /* learn steps taken */
    /* The signals that drive the modulators, as of the latest learn step (tonic[NM_DA] is the long reward
     * average). */
    float expected;                  /* expected surprise of the latest state and action (ACh's input) */
    float unexpected;                /* u in [0, 1): the part of the surprise beyond na_threshold x the bar (na_expected) */
    float changepoint;               /* the change-point CUSUM, >= 0 (NA's input with NM_NA_CHANGEPOINT) */
    float outlier_rate;              /* running rate of outliers (surprise > na_threshold x expected) */
    float reward_short;              /* reward averaged over tau_phasic[NM_DA] steps */
    float reward_variance;           /* running variance of the reward around its long average */
    float utility_drop;              /* in [0, 1): how far reward_short sits below the long average (NA) */
} nm_modulator_state;

void nm_agent_get_modulators(const nm_agent *agent, nm_modulator_state *out);

/* Copies the current per-input attention to out, which holds n floats; n must equal n_obs. Every input takes
 * ACh's attention parameter unless config.attention_set > 0 (then it is spread by learned salience, mean
 * unchanged). */
nm_status nm_agent_attention(nm_agent *agent, float *out, size_t n);

/* Copies the current gain of each unit of trunk layer `layer` (0-based) to out, which holds n floats; n must
 * equal that layer's width. Every unit takes NA's gain parameter unless config.gain_focus > 0. The spiking
 * model has no trunk: NM_ERR_ARG (its gain is the meta-parameter, on every E cell's input). */
nm_status nm_agent_gain(nm_agent *agent, size_t layer, float *out, size_t n);

/* The policy and value for obs, computed without changing the agent (probs: n_actions floats). */
nm_status nm_agent_evaluate(nm_agent *agent, const float *obs, size_t n, float *probs, float *value);

/* ------------------------------------------------------------------------------------------------------
 * Parameters, for inspection, hashing and gradient checks. All trainable weights live in one contiguous
 * float block; tensors are named slices of it.
 * ------------------------------------------------------------------------------------------------------ */
typedef struct nm_tensor_info {
    const char *name;    /* "trunk1.weight", "policy.bias", "value.weight", "predictor.weight", ... */
    size_t offset;       /* first element within the parameter block */
    size_t rows, cols;   /* row-major shape; a bias has cols == 1 */
} nm_tensor_info;

size_t nm_agent_param_count(const nm_agent *agent);
/* The parameter block (param_count floats), owned by the agent. Writable so that a gradient check can
 * perturb a weight; writing it mid-episode changes the agent's behaviour as you would expect. */
float *nm_agent_params(nm_agent *agent);
size_t nm_agent_tensor_count(const nm_agent *agent);
nm_status nm_agent_tensor(const nm_agent *agent, size_t index, nm_tensor_info *out);

/* Writes w_logpi * d log pi(action | obs) / dtheta + w_value * d V(obs) / dtheta to grad (param_count
 * floats; the predictor's entries are zero), the exact quantities the eligibility traces accumulate,
 * at the agent's current gain, attention and inverse temperature. With a recurrent layer: the one-step
 * gradient, its hidden state held fixed (as nm_agent_evaluate reads it); the trace adds the history through
 * the eligibility vectors. Does not change the agent's learning state. The spiking model has no such gradient
 * (NM_ERR_ARG, "not available for the spiking model") and no named tensors (nm_agent_tensor_count is 0); its
 * parameter block is the input weights (inputs x cells), the critic's readout and bias, then the outcome
 * predictor. */
nm_status nm_agent_gradient(nm_agent *agent, const float *obs, size_t n, int action, float w_logpi,
                            float w_value, float *grad);

/* ------------------------------------------------------------------------------------------------------
 * Checkpoints: the whole agent (config, weights, traces, modulator state, pending step, RNG) in a versioned
 * binary file with a magic number, sizes and a CRC-32. Saving writes a temporary file beside path and
 * renames it over path, so a failed save leaves an earlier file intact. A loaded agent continues exactly
 * as the saved one would have. Truncated, damaged, empty or foreign files are refused (NM_ERR_FORMAT,
 * NM_ERR_VERSION) with a message.
 * ------------------------------------------------------------------------------------------------------ */
nm_status nm_agent_save(nm_agent *agent, const char *path);
/* On failure *out is NULL and msg (may be NULL) says why. */
nm_status nm_agent_load(const char *path, nm_agent **out, char *msg, size_t msglen);

/* The same in memory: nm_agent_checkpoint_size() bytes written to buf; the reader checks len. */
size_t nm_agent_checkpoint_size(const nm_agent *agent);
nm_status nm_agent_save_buffer(nm_agent *agent, void *buf, size_t len);
nm_status nm_agent_load_buffer(const void *buf, size_t len, nm_agent **out, char *msg, size_t msglen);

/* A 64-bit FNV-1a hash of the parameter block, traces and modulator state: two agents with the same hash
 * have (barring collisions) the same learning state. For cross-backend determinism checks. */
uint64_t nm_agent_state_hash(const nm_agent *agent);

/* ------------------------------------------------------------------------------------------------------
 * Continual learning (c/continual.c).
 * ------------------------------------------------------------------------------------------------------ */
/* Frozen (frozen != 0): no synaptic change at all (weights, the outcome predictor, importances, anchors, the
 * context models) while act and learn still run, the modulators still step and contexts are still inferred
 * and switched. Every call clears the eligibility traces and re-arms the task-free boundary detector (a new
 * phase begins: NA may still be high from the last one). */
nm_status nm_agent_freeze(nm_agent *agent, int frozen);
int nm_agent_frozen(const nm_agent *agent);
/* Announces the context (any int id): the task says which one it is now. Switching away from the context the
 * agent last learned in is a boundary: the importances are accumulated and the anchors set (not when frozen);
 * with gating the context's gate is selected. After an announcement, task-free boundaries are off. NM_ERR_ARG
 * when NM_MAX_CONTEXTS contexts are already known. */
nm_status nm_agent_set_context(nm_agent *agent, int id);
/* The current context's id: announced, or inferred (a new inferred context takes the smallest id >= 0 not
 * yet used; the first context is 0). */
int nm_agent_context(const nm_agent *agent);

/* The instruction set the agent's element-wise kernels were compiled for: "avx512", "avx2" or "generic"
 * (plain C, vectorised for the build's baseline). nm_agent_new picks the widest one the CPU and OS run, or
 * the one the environment variable NEUROMOD_KERNELS names (NM_ERR_ARG if this CPU cannot run it). Every set
 * computes the same bits, so this tells speed only, never results. NULL for a NULL agent. */
const char *nm_agent_kernel_set(const nm_agent *agent);

/* ------------------------------------------------------------------------------------------------------
 * Populations: N agents of one shape stepped by one call (c/population.c). Member k (0-based) is an agent
 * built by nm_agent_new from its own config, with its own weights, traces, modulators and RNG, so it behaves
 * bit for bit as that lone agent would, whatever the thread count. Observations are member-major: member k's
 * n_obs floats start at obs + k * n_obs. threads > 1 starts a pool of threads - 1 workers at creation (the
 * caller is the last one); a step hands each a fixed slice of the members and allocates nothing.
 * A population is not thread-safe (one caller at a time); distinct populations may be used from distinct threads.
 *
 * A failed step: the arguments are checked first (NULL, lengths); a bad one changes nothing. Then every
 * member steps on its own: a member whose call fails is left unchanged (as a lone agent's failed call leaves
 * it) while the others have stepped. The call returns the status of the lowest-numbered failed member, and
 * nm_population_error names it ("act: member 3 of 0..255: obs[2] is NaN; 1 member failed");
 * nm_population_member_status tells each member's status in the last step.
 * ------------------------------------------------------------------------------------------------------ */
typedef struct nm_population nm_population;

typedef struct nm_population_config {
    size_t n;                          /* members, >= 1 */
    size_t threads;                    /* threads that step it, the caller's included; 0 or 1: the caller alone */
    nm_agent_config base;              /* every member's config unless `members` is given */
    const uint64_t *seeds;             /* NULL: member k gets seed base.seed + k; else n seeds (ignored with members) */
    const nm_agent_config *members;    /* NULL, or n configs (seed included), one per member; every one must
                                          have base's shape (obs, actions, layers, their kinds, activation, model) */
} nm_population_config;

/* Fills cfg: n 1, threads 1, base = nm_agent_config_default, no seeds, no member configs. */
void nm_population_config_default(nm_population_config *cfg);

/* Builds a population (all members, the thread pool, the step buffers). On failure *out is NULL and msg
 * names the member and the field ("member 4: hidden.1: ..."). */
nm_status nm_population_new(const nm_population_config *cfg, nm_population **out, char *msg, size_t msglen);
/* The same from n member configs (an array of nm_agent_config, each with its seed), for bindings that hold configs
 * as opaque bytes (nm_config_size() each): nm_population_new with members = members and base = members[0]. */
nm_status nm_population_new_members(const nm_agent_config *members, size_t n, size_t threads, nm_population **out,
                                    char *msg, size_t msglen);
/* Stops the pool and frees every member. NULL is a no-op. */
void nm_population_free(nm_population *pop);

size_t nm_population_size(const nm_population *pop);
size_t nm_population_threads(const nm_population *pop);
/* Members stepped side by side, one per vector lane, by the interleaved step: the kernel set's register width
 * in floats (4 generic, 8 avx2, 16 avx512) when it covers every member's config (the rate learner with one tanh
 * layer, dense or of either recurrent kind, deterministic, without slow consolidation, attentional set, gain
 * focus, entropy bonus or outcome bias; continual learning in any context), there are at least that many members
 * and the layer has at most 64 units (generic) or 128 (avx2, avx512), a recurrent one 16 (generic) or 24, else 1 (each member steps on its own; it becomes 1 when a member is replaced by one outside that
 * scope). Speed only: both give the lone agents' bits. NEUROMOD_INTERLEAVE=0 at creation asks for 1. */
size_t nm_population_lanes(const nm_population *pop);
/* The message of the last failed call ("" if none). Owned by the population. */
const char *nm_population_error(const nm_population *pop);
/* Member k's status in the last act, learn or step (NM_OK if it stepped; NM_ERR_ARG for k out of range). */
nm_status nm_population_member_status(const nm_population *pop, size_t k);

/* Each member acts on its observation: obs holds n_obs floats per member (len = N * n_obs), actions receives
 * N 0-based actions (n_actions_out = N). */
nm_status nm_population_act(nm_population *pop, const float *obs, size_t len, int *actions, size_t n_actions_out);
/* Each member learns from its last act: rewards (N), next_obs (N * n_obs; may be NULL with len 0 only when
 * every terminal is non-zero; given, each member's slice is checked as a lone agent's next_obs is), terminals (N;
 * NULL: none terminal). */
nm_status nm_population_learn(nm_population *pop, const float *rewards, size_t n_rewards, const float *next_obs,
                              size_t len, const int *terminals, size_t n_terminals);
/* nm_population_learn, then nm_population_act on obs (N * n_obs; NULL with obs_len 0: act on next_obs, which must
 * then be given), in one call: each member (or group of members side by side) learns and at once acts, while its
 * state is still in the core's cache, instead of every member learning before any acts (at 4096 members of 64
 * units that order fetches each member's state from memory twice a step). Bit for bit the two calls when both
 * succeed. A member with no act to learn from (after nm_population_reset or a replace) only acts. A member whose
 * learn fails does not act: it keeps learn's status and its pending act (the next step learns it), and actions[k]
 * is left as it was; the call returns the lowest-numbered failed member's status ("step: member 3 of 0..255:
 * ..."), the others having stepped. obs differs from next_obs where an episode ended and the world started a new
 * one. */
nm_status nm_population_step(nm_population *pop, const float *rewards, size_t n_rewards, const float *next_obs,
                             size_t len, const int *terminals, size_t n_terminals, const float *obs, size_t obs_len,
                             int *actions, size_t n_actions_out);

/* Member k announces context id (nm_agent_set_context: a boundary when it leaves the context it learned in; the
 * task-free detector off from then on), or is frozen (frozen != 0) or thawed (nm_agent_freeze). Read either back
 * through nm_population_agent(pop, k) with nm_agent_context and nm_agent_frozen. A member stepped side by side
 * with others stays so, frozen or not. */
nm_status nm_population_set_context(nm_population *pop, size_t k, int id);
nm_status nm_population_freeze(nm_population *pop, size_t k, int frozen);
/* Clears member k's traces and pending step (nm_agent_reset_traces). */
nm_status nm_population_reset(nm_population *pop, size_t k);
/* Member k as a read-only view (state hash, modulators, config, checkpoint size); NULL if k is out of range.
 * Valid until member k is replaced or the population is freed. */
const nm_agent *nm_population_agent(const nm_population *pop, size_t k);
/* The policy and value of member k for obs, without changing it (nm_agent_evaluate). */
nm_status nm_population_evaluate(nm_population *pop, size_t k, const float *obs, size_t n, float *probs,
                                 float *value);
/* A new agent equal to member k (through its checkpoint bytes); the caller owns it. */
nm_status nm_population_copy_member(nm_population *pop, size_t k, nm_agent **out);
/* Member k becomes agent, which the population then owns (and frees); the old member is freed. agent must
 * have the population's shape; on failure nothing changes and the caller still owns agent. */
nm_status nm_population_replace(nm_population *pop, size_t k, nm_agent *agent);
/* Member k becomes a copy of src (src is not changed and stays the caller's). */
nm_status nm_population_replace_copy(nm_population *pop, size_t k, nm_agent *src);

/* The population as one checkpoint: magic "NMPOPUL\0", container version, member count, then each member's
 * checkpoint (nm_agent_save_buffer) with its length, then a CRC-32 of all that precedes it. The file is
 * written atomically (as nm_agent_save). The thread count is not saved: load takes it. */
size_t nm_population_checkpoint_size(const nm_population *pop);
nm_status nm_population_save_buffer(nm_population *pop, void *buf, size_t len);
nm_status nm_population_load_buffer(const void *buf, size_t len, size_t threads, nm_population **out, char *msg,
                                    size_t msglen);
nm_status nm_population_save(nm_population *pop, const char *path);
nm_status nm_population_load(const char *path, size_t threads, nm_population **out, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif /* NEUROMOD_H */
