/* make_corpus.c -- writes a few real checkpoints (small shapes, after learning; one saved between act and learn, one
 * with every optional part of the state) as a fuzz corpus, in the current format. */
#include <stdio.h>
#include "neuromod.h"

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    size_t shapes[][3] = { { 2, 2, 0 }, { 3, 2, 4 }, { 5, 3, 6 } };
    size_t s;
    for (s = 0; s < 3; s++) {
        nm_agent_config c;
        nm_agent *a;
        char path[512];
        float obs[8] = { 1, 0, 1, 0, 1, 0, 1, 0 };
        int act, t;
        nm_agent_config_default(&c);
        c.n_obs = shapes[s][0]; c.n_actions = shapes[s][1];
        c.n_layers = shapes[s][2] ? 1 : 0; c.hidden[0] = shapes[s][2];
        if (s == 2) {
            c.base[NM_P_CONSOLIDATION] = 0.01f; c.attention_set = 20.0f; c.gain_focus = 1.0f;
            c.na_input = NM_NA_CHANGEPOINT; c.n_layers = 2; c.hidden[1] = 3;
        }
        if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return 1;
        for (t = 0; t < 20; t++) { nm_agent_act(a, obs, c.n_obs, &act); nm_agent_learn(a, (float)act, obs, c.n_obs, t % 5 == 4); }
        if (s == 1) nm_agent_act(a, obs, c.n_obs, &act); /* pending step */
        snprintf(path, sizeof path, "%s/seed%lu.nmck", dir, (unsigned long)s);
        if (nm_agent_save(a, path) != NM_OK) return 1;
        nm_agent_free(a);
    }
    return 0;
}
