/* config.c -- defaults, names and validation of nm_agent_config. Every check names the field. */
#include <math.h>
#include <string.h>
#include "nm_internal.h"

static const char *const modulator_names[NM_N_MODULATORS] = { "DA", "NA", "ACh", "5HT" };
static const char *const param_names[NM_N_PARAMS] = {
    "learning_rate", "inverse_temperature", "discount", "trace_decay",
    "gain", "attention", "withhold_bias", "consolidation"
};

const char *nm_modulator_name(int m) { return (m >= 0 && m < NM_N_MODULATORS) ? modulator_names[m] : NULL; }
const char *nm_param_name(int p) { return (p >= 0 && p < NM_N_PARAMS) ? param_names[p] : NULL; }

void nm_agent_config_default(nm_agent_config *cfg)
{
    int k;
    memset(cfg, 0, sizeof *cfg);
    cfg->n_layers = 1;
    cfg->hidden[0] = 64;
    cfg->activation = NM_TANH;
    cfg->seed = 1;
    cfg->init_scale = 1.0f;
    cfg->critic_scale = 1.0f;
    cfg->predictor_rate = 0.1f;
    cfg->max_update = 1.0f;
    cfg->base[NM_P_LEARNING_RATE] = 0.05f;
    cfg->base[NM_P_INVERSE_TEMPERATURE] = 1.0f;
    cfg->base[NM_P_DISCOUNT] = 0.95f;
    cfg->base[NM_P_TRACE_DECAY] = 0.5f;
    cfg->base[NM_P_GAIN] = 1.0f;
    cfg->base[NM_P_ATTENTION] = 1.0f;
    cfg->base[NM_P_WITHHOLD_BIAS] = 0.0f;
    cfg->base[NM_P_CONSOLIDATION] = 0.0f;
    cfg->modulators = NM_MOD_ALL;
    nm_mod_default_mapping(cfg->mapping);
    nm_mod_default_interaction(cfg->interaction);
    for (k = 0; k < NM_N_MODULATORS; k++) {
        cfg->tau_phasic[k] = 20.0f;
        cfg->tau_tonic[k] = 500.0f;
    }
    /* Level scales in the units of each raw signal: reward per step (DA), surprise in reward^2 (ACh),
     * accumulated unexpectedness (NA), punishment per step (5-HT). */
    cfg->scale[NM_DA] = 0.1f;
    cfg->scale[NM_NA] = 2.0f;
    cfg->scale[NM_ACH] = 0.25f;
    cfg->scale[NM_5HT] = 0.25f;
    cfg->tau_tonic[NM_ACH] = 200.0f;
    cfg->na_threshold = 4.0f;
    cfg->na_reset = 0.9f;
    cfg->surprise_floor = 0.02f;
    cfg->attention_set = 0.0f;
    cfg->gain_focus = 0.0f;
    cfg->na_input = NM_NA_SURPRISE;
}

static int finite(float x) { return isfinite(x); }

nm_status nm_agent_config_check(const nm_agent_config *cfg, char *msg, size_t msglen)
{
    size_t l;
    int p, k;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    if (cfg->n_obs < 1 || cfg->n_obs > NM_MAX_UNITS) {
        nm_write_msg(msg, msglen, "obs: expected 1 to %d inputs, got %lu", NM_MAX_UNITS, (unsigned long)cfg->n_obs);
        return NM_ERR_ARG;
    }
    if (cfg->n_actions < 2 || cfg->n_actions > NM_MAX_UNITS) {
        nm_write_msg(msg, msglen, "actions: expected 2 to %d actions, got %lu", NM_MAX_UNITS,
                     (unsigned long)cfg->n_actions);
        return NM_ERR_ARG;
    }
    if (cfg->n_layers > NM_MAX_LAYERS) {
        nm_write_msg(msg, msglen, "hidden: at most %d layers, got %lu", NM_MAX_LAYERS, (unsigned long)cfg->n_layers);
        return NM_ERR_ARG;
    }
    for (l = 0; l < cfg->n_layers; l++) {
        if (cfg->hidden[l] < 1 || cfg->hidden[l] > NM_MAX_UNITS) {
            nm_write_msg(msg, msglen, "hidden[%lu]: expected 1 to %d units, got %lu", (unsigned long)l + 1,
                         NM_MAX_UNITS, (unsigned long)cfg->hidden[l]);
            return NM_ERR_ARG;
        }
    }
    if (cfg->activation != NM_TANH && cfg->activation != NM_RELU) {
        nm_write_msg(msg, msglen, "activation: expected tanh or relu");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->init_scale) || cfg->init_scale < 0.0f) {
        nm_write_msg(msg, msglen, "init_scale: expected a finite number >= 0");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->critic_scale) || cfg->critic_scale < 0.0f) {
        nm_write_msg(msg, msglen, "critic_scale: expected a finite number >= 0");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->max_update) || cfg->max_update < 0.0f) {
        nm_write_msg(msg, msglen, "max_update: expected a finite number >= 0 (0 turns clipping off)");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->predictor_rate) || cfg->predictor_rate < 0.0f || cfg->predictor_rate > 1.0f) {
        nm_write_msg(msg, msglen, "predictor_rate: expected a number in [0, 1]");
        return NM_ERR_ARG;
    }
    for (p = 0; p < NM_N_PARAMS; p++) {
        float v = cfg->base[p];
        if (!finite(v)) { nm_write_msg(msg, msglen, "%s: expected a finite number", param_names[p]); return NM_ERR_ARG; }
        if ((p == NM_P_DISCOUNT || p == NM_P_TRACE_DECAY) && (v < 0.0f || v >= 1.0f)) {
            nm_write_msg(msg, msglen, "%s: expected a number in [0, 1), got %g", param_names[p], (double)v);
            return NM_ERR_ARG;
        }
        if (p != NM_P_WITHHOLD_BIAS && p != NM_P_DISCOUNT && p != NM_P_TRACE_DECAY && v < 0.0f) {
            nm_write_msg(msg, msglen, "%s: expected a number >= 0, got %g", param_names[p], (double)v);
            return NM_ERR_ARG;
        }
        if (p == NM_P_CONSOLIDATION && v > 0.5f) {
            nm_write_msg(msg, msglen, "consolidation: expected a per-step coupling in [0, 0.5], got %g", (double)v);
            return NM_ERR_ARG;
        }
        if ((p == NM_P_GAIN || p == NM_P_ATTENTION) && v <= 0.0f) {
            nm_write_msg(msg, msglen, "%s: expected a number > 0, got %g", param_names[p], (double)v);
            return NM_ERR_ARG;
        }
        for (k = 0; k < NM_N_MODULATORS; k++) {
            if (!finite(cfg->mapping[p][k]) || fabsf(cfg->mapping[p][k]) > 100.0f) {
                nm_write_msg(msg, msglen, "mapping.%s.%s: expected a number in [-100, 100]", param_names[p],
                             modulator_names[k]);
                return NM_ERR_ARG;
            }
        }
    }
    if (cfg->modulators & ~NM_MOD_ALL) {
        nm_write_msg(msg, msglen, "modulators: unknown modulator bit set");
        return NM_ERR_ARG;
    }
    for (k = 0; k < NM_N_MODULATORS; k++) {
        if (!finite(cfg->tau_phasic[k]) || cfg->tau_phasic[k] < 1.0f) {
            nm_write_msg(msg, msglen, "tau_phasic.%s: expected a number >= 1 (steps)", modulator_names[k]);
            return NM_ERR_ARG;
        }
        if (!finite(cfg->tau_tonic[k]) || cfg->tau_tonic[k] < 1.0f) {
            nm_write_msg(msg, msglen, "tau_tonic.%s: expected a number >= 1 (steps)", modulator_names[k]);
            return NM_ERR_ARG;
        }
        if (!finite(cfg->scale[k]) || cfg->scale[k] <= 0.0f) {
            nm_write_msg(msg, msglen, "scale.%s: expected a number > 0", modulator_names[k]);
            return NM_ERR_ARG;
        }
        for (p = 0; p < NM_N_MODULATORS; p++) {
            if (!finite(cfg->interaction[k][p]) || fabsf(cfg->interaction[k][p]) > 100.0f) {
                nm_write_msg(msg, msglen, "interaction.%s.%s: expected a number in [-100, 100]",
                             modulator_names[k], modulator_names[p]);
                return NM_ERR_ARG;
            }
        }
    }
    if (!finite(cfg->na_threshold) || cfg->na_threshold < 1.0f) {
        nm_write_msg(msg, msglen, "na_threshold: expected a number >= 1");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->na_reset) || cfg->na_reset < 0.0f) {
        nm_write_msg(msg, msglen, "na_reset: expected a number >= 0 (above 1 never resets)");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->surprise_floor) || cfg->surprise_floor <= 0.0f) {
        nm_write_msg(msg, msglen, "surprise_floor: expected a number > 0");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->attention_set) || (cfg->attention_set != 0.0f && cfg->attention_set < 1.0f)) {
        nm_write_msg(msg, msglen, "attention_set: expected 0 (off) or a time constant >= 1 (steps)");
        return NM_ERR_ARG;
    }
    if (!finite(cfg->gain_focus) || cfg->gain_focus < 0.0f) {
        nm_write_msg(msg, msglen, "gain_focus: expected a number >= 0 (0: the same gain for every unit)");
        return NM_ERR_ARG;
    }
    if (cfg->na_input != NM_NA_SURPRISE && cfg->na_input != NM_NA_CHANGEPOINT) {
        nm_write_msg(msg, msglen, "na_input: expected NM_NA_SURPRISE (0) or NM_NA_CHANGEPOINT (1), got %d",
                     (int)cfg->na_input);
        return NM_ERR_ARG;
    }
    return NM_OK;
}
