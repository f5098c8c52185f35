/*
 * neuromod.h -- the public C API of neuromod, the only header a C host needs.
 *
 * neuromod is an online actor-critic agent whose meta-parameters (learning rate, inverse temperature,
 * discount, trace decay, unit gain, input attention, withhold bias, consolidation strength) are set step
 * by step by four neuromodulator signals: dopamine (DA), noradrenaline (NA), acetylcholine (ACh) and
 * serotonin (5-HT). See docs/ and DESIGN.md for the science.
 *
 * Conventions
 *  - Every function that can fail returns an nm_status. NM_OK is 0. nm_strerror() names a status;
 *    nm_agent_error() returns the agent's last message, which says which argument was wrong and why.
 *  - Constructors take a caller-owned config and write a new object to *out; the caller owns the object and
 *    releases it with the matching *_free, which accepts NULL.
 *  - No function prints, exits, aborts on bad input, or touches global state; each agent owns its RNG.
 *  - nm_agent_act and nm_agent_learn allocate nothing.
 *  - Actions are 0-based: 0 .. n_actions-1. By convention action 0 is "withhold" (fixate / no-go): the
 *    serotonergic withhold bias is added to its logit.
 *  - An agent is not thread-safe; distinct agents may be used from distinct threads.
 */
#ifndef NEUROMOD_H
#define NEUROMOD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NM_VERSION_MAJOR 0
#define NM_VERSION_MINOR 1
#define NM_VERSION_PATCH 0
#define NM_VERSION_STRING "0.1.0"

/* Most trunk (hidden) layers an agent may have. */
#define NM_MAX_LAYERS 8
/* Most observation inputs, actions and units per layer; a guard against absurd sizes, not a design limit. */
#define NM_MAX_UNITS 65536

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
 * Random numbers: xoshiro256** seeded through splitmix64. Identical streams on every platform and from
 * every binding, so that tasks written in Lua produce the same trials under Lua 5.4 and LuaJIT.
 * A plain value type: the caller owns the storage; copying it forks the stream.
 * ------------------------------------------------------------------------------------------------------ */
typedef struct nm_rng { uint64_t s[4]; } nm_rng;

void     nm_rng_seed(nm_rng *rng, uint64_t seed);
uint64_t nm_rng_next(nm_rng *rng);                    /* 64 uniformly random bits */
double   nm_rng_uniform(nm_rng *rng);                 /* uniform in [0, 1), 53-bit resolution */
/* Uniform integer in [lo, hi], unbiased (rejection sampling). Returns NM_ERR_ARG if lo > hi. */
nm_status nm_rng_range(nm_rng *rng, int64_t lo, int64_t hi, int64_t *out);
double   nm_rng_normal(nm_rng *rng, double mu, double sigma); /* Box-Muller, one draw per call */

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
    NM_P_WITHHOLD_BIAS = 6,       /* additive bias on the logit of action 0 (behavioural inhibition) */
    NM_P_CONSOLIDATION = 7,       /* weight of prior knowledge: per-step pull of each weight toward a slow
                                     anchor that follows it (kept only when its base value is > 0) */
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

typedef struct nm_agent_config {
    size_t n_obs;                        /* observation length, >= 1 */
    size_t n_actions;                    /* number of discrete actions, >= 2 */
    size_t n_layers;                     /* trunk layers, 0 .. NM_MAX_LAYERS */
    size_t hidden[NM_MAX_LAYERS];        /* units per trunk layer, each >= 1 */
    nm_activation activation;
    uint64_t seed;                       /* seeds the weights and the action sampling */
    float init_scale;                    /* weights ~ U(-s, s) * sqrt(3 / fan_in) (s = 1 is LeCun-uniform) */
    float critic_scale;                  /* critic step = learning_rate * critic_scale */
    float predictor_rate;                /* step size of the outcome predictor (normalised LMS), 0 .. 1 */
    float max_update;                    /* largest L2 norm of one weight update (0: no clipping) */
    float base[NM_N_PARAMS];             /* p0 of each meta-parameter (the value with all modulators at 0) */
    unsigned modulators;                 /* bitmask NM_MOD_BIT(NM_DA) | ...: enabled modulators; a disabled
                                            one is held at its baseline 0 */
    /* The many-to-one mapping: p = p0 * exp(sum_k mapping[p][k] * m_k) for multiplicative parameters;
     * for discount and trace decay the exponent acts on the horizon, p = 1 - (1 - p0) * exp(-sum_k ...);
     * the withhold bias is additive, p = p0 + sum_k mapping[p][k] * m_k. */
    float mapping[NM_N_PARAMS][NM_N_MODULATORS];
    /* Modulator-on-modulator actions: the effective level of k is m_k * exp(sum_j interaction[k][j] m_j)
     * (diagonal ignored). For DA the effective level is the third factor of plasticity, delta * exp(...). */
    float interaction[NM_N_MODULATORS][NM_N_MODULATORS];
    float tau_phasic[NM_N_MODULATORS];   /* time constants (steps) of the phasic components, >= 1 */
    float tau_tonic[NM_N_MODULATORS];    /* time constants (steps) of the tonic components, >= 1 */
    float scale[NM_N_MODULATORS];        /* saturation scale: a level is tanh(raw / scale), > 0 */
    float na_threshold;                  /* surprise counts as unexpected beyond na_threshold x expected */
    float na_reset;                      /* unexpectedness (0..1) above which NA clears the traces; > 1 never */
    float surprise_floor;                /* smallest expected surprise, > 0 (keeps ratios finite) */
    /* Neuron scale (c/modulators.c). attention_set: ACh's attention is spread over the inputs by a learned
     * salience (a Mackintosh-style attentional set) that NA releases; 0 = every input takes the same
     * attention. gain_focus: NA's gain is concentrated on the recently most active hidden units (GANE,
     * Mather et al. 2016) with this contrast; 0 = every unit takes the same gain. Both >= 0. */
    float attention_set;
    float gain_focus;
    nm_na_input na_input;                /* NA's phasic input; default NM_NA_SURPRISE */
} nm_agent_config;

/* Defaults: tanh, one layer of 64 units, seed 1, alpha 0.05, beta 1, gamma 0.95, lambda 0.5, gain 1,
 * attention 1, no withhold bias, consolidation 0, all modulators enabled, the default mapping. n_obs and
 * n_actions are 0 and must be set. */
void nm_agent_config_default(nm_agent_config *cfg);

/* Checks a config without building an agent. On error writes a message naming the field to msg
 * (msg may be NULL; msglen counts the terminating NUL). */
nm_status nm_agent_config_check(const nm_agent_config *cfg, char *msg, size_t msglen);

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

/* Learns from the outcome of the last act: reward r and the next observation (n floats; next_obs may be
 * NULL with n == 0 only when terminal). Computes the TD error delta = r + gamma V(s') - V(s) (phasic DA;
 * V(s') = 0 when terminal), applies the three-factor update dtheta = alpha * DA * e, trains the outcome
 * predictor, and advances the modulators. A terminal step clears the eligibility traces.
 * Returns NM_ERR_STATE without a pending act, NM_ERR_NUMERIC if the update would make a weight
 * non-finite (nothing is changed then). */
nm_status nm_agent_learn(nm_agent *agent, float reward, const float *next_obs, size_t n, int terminal);

/* Clears the eligibility traces and any pending step (an episode boundary without learning). */
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
    float unexpected;                /* u in [0, 1): the part of the surprise beyond na_threshold x expected */
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
 * equal that layer's width. Every unit takes NA's gain parameter unless config.gain_focus > 0. */
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
 * at the agent's current gain, attention and inverse temperature. Does not change the agent's learning
 * state. */
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

/* The instruction set the agent's element-wise kernels were compiled for: "avx512", "avx2" or "generic"
 * (plain C, vectorised for the build's baseline). nm_agent_new picks the widest one the CPU and OS run, or
 * the one the environment variable NEUROMOD_KERNELS names (NM_ERR_ARG if this CPU cannot run it). Every set
 * computes the same bits, so this tells speed only, never results. NULL for a NULL agent. */
const char *nm_agent_kernel_set(const nm_agent *agent);

#ifdef __cplusplus
}
#endif
#endif /* NEUROMOD_H */
