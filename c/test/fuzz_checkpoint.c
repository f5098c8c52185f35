/*
 * fuzz_checkpoint.c -- libFuzzer target for the checkpoint reader: any byte string must be either refused
 * with a status and a message, or accepted as an agent that can act and learn. Build and run:
 *   make fuzz            (clang -fsanitize=fuzzer,address,undefined; 60 s from a seed corpus of real files)
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include "neuromod.h"

uint32_t nm_crc32(uint32_t crc, const void *data, size_t len); /* internal, from checksum.c */

static void check(const uint8_t *data, size_t size);

/* Each input is tried as it is and with its last four bytes replaced by the right CRC-32, so that mutations
 * get past the checksum and reach the parser and the config and state validation behind it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size >= 8) {
        uint8_t *copy = malloc(size);
        uint32_t crc;
        if (!copy) return 0;
        memcpy(copy, data, size);
        crc = nm_crc32(0, copy, size - 4);
        copy[size - 4] = (uint8_t)crc; copy[size - 3] = (uint8_t)(crc >> 8);
        copy[size - 2] = (uint8_t)(crc >> 16); copy[size - 1] = (uint8_t)(crc >> 24);
        check(copy, size);
        free(copy);
    }
    return 0;
}

static void check(const uint8_t *data, size_t size)
{
    nm_agent *a = NULL;
    char msg[256];
    nm_status st = nm_agent_load_buffer(data, size, &a, msg, sizeof msg);
    if (st == NM_OK) {
        const nm_agent_config *c = nm_agent_get_config(a);
        float obs[64];
        int act;
        size_t i;
        if (c->n_obs <= 64) {
            for (i = 0; i < c->n_obs; i++) obs[i] = (float)i;
            if (nm_agent_act(a, obs, c->n_obs, &act) == NM_OK) nm_agent_learn(a, 1.0f, obs, c->n_obs, 0);
        }
        nm_agent_free(a);
    } else if (a != NULL || msg[0] == '\0') {
        __builtin_trap(); /* a refusal must leave *out NULL and say why */
    }
}
