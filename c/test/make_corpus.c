/* make_corpus.c -- writes a few real checkpoints (small shapes, after learning; one saved between act and learn, one
 * with every optional part of the state) as a fuzz corpus, in the current format; and the two of
 * c/test/fixtures/big_counts_*.nmck: a seed and a step count a C host can reach and a Lua number cannot hold
 * (2^53 + 1, and 2^64 - 1), which the bindings give back exactly (spec/edges_spec.lua). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"

uint32_t nm_crc32(uint32_t crc, const void *data, size_t len); /* internal, from checksum.c */

/* An agent with this seed, saved with its STEP section set to steps (the CRC made right again). */
static int write_big_counts(const char *path, uint64_t seed, uint64_t steps)
{
    nm_agent_config c;
    nm_agent *a;
    unsigned char *buf;
    size_t n, i;
    uint32_t crc;
    FILE *f;
    int ok = 0;
    nm_agent_config_default(&c);
    c.n_obs = 3; c.n_actions = 2; c.n_layers = 1; c.hidden[0] = 4; c.seed = seed;
    if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return 0;
    n = nm_agent_checkpoint_size(a);
    buf = malloc(n);
    if (buf && nm_agent_save_buffer(a, buf, n) == NM_OK) {
        for (i = 20; i + 20 <= n - 4; i++)
            if (memcmp(buf + i, "STEP\x08\0\0\0\0\0\0\0", 12) == 0) break;
        if (i + 20 <= n - 4) {
            for (int k = 0; k < 8; k++) buf[i + 12 + k] = (unsigned char)(steps >> (8 * k));
            crc = nm_crc32(0, buf, n - 4);
            for (int k = 0; k < 4; k++) buf[n - 4 + k] = (unsigned char)(crc >> (8 * k));
            f = fopen(path, "wb");
            ok = f && fwrite(buf, 1, n, f) == n;
            if (f && fclose(f) != 0) ok = 0;
        }
    }
    free(buf);
    nm_agent_free(a);
    return ok;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    size_t shapes[][3] = { { 2, 2, 0 }, { 3, 2, 4 }, { 5, 3, 6 }, { 3, 2, 4 }, { 3, 2, 4 } };
    char path_big[512];
    size_t s;
    for (s = 0; s < 5; s++) {
        nm_agent_config c;
        nm_agent *a;
        char path[512];
        float obs[8] = { 1, 0, 1, 0, 1, 0, 1, 0 };
        int act, t;
        nm_agent_config_default(&c);
        c.n_obs = shapes[s][0]; c.n_actions = shapes[s][1];
        c.n_layers = shapes[s][2] ? 1 : 0; c.hidden[0] = shapes[s][2];
        if (s == 1) nm_agent_config_continual(&c, 0);   /* the plain agent's sections; the others the default's */
        if (s == 2) {
            c.base[NM_P_CONSOLIDATION] = 0.01f; c.attention_set = 20.0f; c.gain_focus = 1.0f;
            c.na_input = NM_NA_CHANGEPOINT; c.n_layers = 2; c.hidden[1] = 3;
        }
        if (s == 3) {   /* a recurrent layer (its RECU section), with every neuron-scale option on */
            c.base[NM_P_CONSOLIDATION] = 0.01f; c.attention_set = 20.0f; c.gain_focus = 1.0f;
            c.n_layers = 2; c.hidden[1] = 5; c.layer_kind[1] = NM_LAYER_RECURRENT; c.layer_tau[1] = 3.0f;
        }
        if (s == 4) {   /* an integrator layer: its RECU section holds h and v, and one zbar per input column */
            c.n_layers = 2; c.hidden[1] = 5; c.layer_kind[1] = NM_LAYER_INTEGRATOR; c.layer_tau[1] = 3.0f;
        }
        if (nm_agent_new(&c, &a, NULL, 0) != NM_OK) return 1;
        for (t = 0; t < 20; t++) { nm_agent_act(a, obs, c.n_obs, &act); nm_agent_learn(a, (float)act, obs, c.n_obs, t % 5 == 4); }
        if (s == 1 || s >= 3) nm_agent_act(a, obs, c.n_obs, &act); /* pending step */
        snprintf(path, sizeof path, "%s/seed%lu.nmck", dir, (unsigned long)s);
        if (nm_agent_save(a, path) != NM_OK) return 1;
        nm_agent_free(a);
    }
    snprintf(path_big, sizeof path_big, "%s/big_counts_53.nmck", dir);
    if (!write_big_counts(path_big, ((uint64_t)1 << 53) + 1, ((uint64_t)1 << 53) + 1)) return 1;
    snprintf(path_big, sizeof path_big, "%s/big_counts_64.nmck", dir);
    if (!write_big_counts(path_big, UINT64_MAX, UINT64_MAX)) return 1;
    return 0;
}
