/* step_cost.c -- a fixed workload for instruction counts: a 3-input, 64-unit agent (all modulators on) takes
 * 20,000 steps. Run under `valgrind --tool=callgrind` to compare builds on a loaded machine. */
#include <stdio.h>
#include "neuromod.h"

int main(void)
{
    nm_agent_config c;
    nm_agent *a;
    float obs[3] = { 0.2f, 0.4f, 0.6f };
    int t, act;
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.hidden[0] = 64;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return 1;
    for (t = 0; t < 20000; t++) {
        obs[t % 3] = (float)(t % 3) - 1.0f;
        nm_agent_act(a, obs, 3, &act);
        nm_agent_learn(a, act == (t & 1) ? 1.0f : -0.5f, obs, 3, (t % 15) == 14);
    }
    printf("%016llx\n", (unsigned long long)nm_agent_state_hash(a));
    nm_agent_free(a);
    return 0;
}
