/* c_host.c -- a C program that hosts a neuromod agent: a Go/No-Go task in a few lines (cue 1: go pays 1,
 * cue 0: go costs 1; withholding pays 0), 3000 trials, then the accuracy of the last 500.
 *   make examples                      (builds it against build/lib/libneuromod.a and runs it)
 *   cc -o c_host c_host.c $(pkg-config --cflags --libs neuromod)      (against an installed neuromod)
 */
#include <neuromod.h>
#include <stdio.h>

int main(void)
{
    nm_agent_config cfg;
    nm_agent *agent;
    nm_rng rng;
    char msg[256];
    int t, correct = 0;
    nm_agent_config_default(&cfg);
    cfg.n_obs = 2;
    cfg.n_actions = 2;
    if (nm_agent_new(&cfg, &agent, msg, sizeof msg) != NM_OK) {
        fprintf(stderr, "c_host: %s\n", msg);
        return 1;
    }
    nm_rng_seed(&rng, 11);
    for (t = 1; t <= 3000; t++) {
        int go_cue = nm_rng_uniform(&rng) < 0.5, action;
        float obs[2], reward;
        obs[0] = go_cue ? 1.0f : 0.0f;
        obs[1] = go_cue ? 0.0f : 1.0f;
        if (nm_agent_act(agent, obs, 2, &action) != NM_OK) {
            fprintf(stderr, "c_host: %s\n", nm_agent_error(agent));
            nm_agent_free(agent);
            return 1;
        }
        reward = action == 1 ? (go_cue ? 1.0f : -1.0f) : 0.0f;
        if (nm_agent_learn(agent, reward, NULL, 0, 1) != NM_OK) { /* one step a trial: terminal */
            fprintf(stderr, "c_host: %s\n", nm_agent_error(agent));
            nm_agent_free(agent);
            return 1;
        }
        if (t > 2500 && (action == 1) == go_cue) correct++;
    }
    printf("c_host (neuromod %s): %d of the last 500 trials correct\n", nm_version(), correct);
    nm_agent_free(agent);
    return correct >= 400 ? 0 : 1;
}
