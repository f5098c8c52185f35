/*
 * experiments/full_agent_step.c -- a fixed workload of act + learn steps for `valgrind --tool=callgrind`: the
 * plain agent (P: continual off, the defaults before the continual agent became the default), the library's
 * defaults (D: the continual agent), the full task-free continual agent of the study (F, on P: importance si, consolidation 0.01, gating 0.1, boundary
 * 0.5, context_predictor context_reset, context_tonic context), F with policy_entropy 0.5 (F2) and F with
 * boundary_trigger evidence (FE) or evidence_table (FT), F with gate_step width (FW), every
 * modulator on, bench_step's observation stream and rewards. Instructions per step = (Ir at 2N steps - Ir at N) / N.
 *
 *   cc -O3 ... -Ic -o build/full_agent_step experiments/full_agent_step.c build/lib/libneuromod.a -lm
 *   valgrind --tool=callgrind build/full_agent_step P|D|F|F2|FE|FT|FW N_OBS HIDDEN STEPS [CONTEXTS]
 * With CONTEXTS (> 0), contexts 0 .. CONTEXTS - 1 are announced in turn every 500 steps, from step 0: the
 * default agent then consolidates and pulls as it does across tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"

int main(int argc, char **argv)
{
    nm_agent_config c;
    nm_agent *a = NULL;
    float obs[256] = { 0 };
    size_t n_obs;
    int t, steps;
    int contexts = argc == 6 ? atoi(argv[5]) : 0;
    if ((argc != 5 && argc != 6) || (strcmp(argv[1], "P") && strcmp(argv[1], "D") && strcmp(argv[1], "F") && strcmp(argv[1], "F2") && strcmp(argv[1], "FE") &&
                      strcmp(argv[1], "FT") && strcmp(argv[1], "FW"))) {
        fprintf(stderr, "usage: full_agent_step P|D|F|F2|FE|FT|FW N_OBS HIDDEN STEPS [CONTEXTS]\n");
        return 1;
    }
    n_obs = (size_t)atol(argv[2]);
    steps = atoi(argv[4]);
    if (n_obs < 1 || n_obs > 256) { fprintf(stderr, "full_agent_step: N_OBS in 1..256\n"); return 1; }
    nm_agent_config_default(&c);
    if (argv[1][0] != 'D') nm_agent_config_continual(&c, 0);
    c.n_obs = n_obs; c.n_actions = 2; c.hidden[0] = (size_t)atol(argv[3]); c.modulators = NM_MOD_ALL;
    if (argv[1][0] == 'F') {
        c.importance = NM_IMPORTANCE_SI; c.base[NM_P_CONSOLIDATION] = 0.01f;
        c.gating = 0.1f; c.boundary = 0.5f;
        c.context_predictor = NM_PREDICTOR_CONTEXT_RESET; c.context_tonic = NM_TONIC_CONTEXT;
        if (argv[1][1] == '2') c.policy_entropy = 0.5f;
        if (argv[1][1] == 'E') c.boundary_trigger = NM_TRIGGER_EVIDENCE;
        if (argv[1][1] == 'W') c.gate_step = NM_GATE_STEP_WIDTH;   /* every context gated: the factor on every step */
        if (argv[1][1] == 'T') c.boundary_trigger = NM_TRIGGER_EVIDENCE_TABLE;
    }
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) { fprintf(stderr, "full_agent_step: no agent\n"); return 1; }
    for (t = 0; t < steps; t++) {   /* bench_step's run_steps */
        int act;
        if (contexts > 0 && t % 500 == 0) nm_agent_set_context(a, (t / 500) % contexts);
        obs[t % n_obs] = (float)(t % 3) - 1.0f;
        nm_agent_act(a, obs, n_obs, &act);
        nm_agent_learn(a, act == (t & 1) ? 1.0f : -0.5f, obs, n_obs, (t % 15) == 14);
    }
    printf("%s %lux%s x %d: context %d, state hash %016llx\n", argv[1], (unsigned long)n_obs, argv[3], steps,
           nm_agent_context(a),
           (unsigned long long)nm_agent_state_hash(a));
    nm_agent_free(a);
    return 0;
}
