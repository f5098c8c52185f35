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

/* Each input is tried as it is and fixed up: the header's length field set to the input's size (format 4 and
 * later count the whole file, 2 and 3 the bytes between header and checksum) and the last four bytes replaced
 * by the right CRC-32, so that mutations, including ones that insert or drop bytes, get past the header and
 * the checksum and reach the section parser and the config and state validation behind it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size >= 24) {
        uint8_t *copy = malloc(size);
        uint32_t crc, version;
        uint64_t length;
        int i;
        if (!copy) return 0;
        memcpy(copy, data, size);
        version = (uint32_t)copy[8] | (uint32_t)copy[9] << 8 | (uint32_t)copy[10] << 16 | (uint32_t)copy[11] << 24;
        length = (version == 2 || version == 3) ? size - 24 : size;
        for (i = 0; i < 8; i++) copy[12 + i] = (uint8_t)(length >> (8 * i));
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
        size_t i, n = nm_agent_checkpoint_size(a);
        uint8_t *again = malloc(n);
        /* what was accepted saves and loads again, to the same state */
        if (again) {
            nm_agent *b = NULL;
            if (nm_agent_save_buffer(a, again, n) != NM_OK || nm_agent_load_buffer(again, n, &b, msg, sizeof msg) != NM_OK ||
                nm_agent_state_hash(a) != nm_agent_state_hash(b))
                __builtin_trap();
            nm_agent_free(b);
            free(again);
        }
        if (c->n_obs <= 64) {
            /* the pending step (if the file holds one) first, then a whole step */
            for (i = 0; i < c->n_obs; i++) obs[i] = (float)i;
            nm_agent_learn(a, 1.0f, obs, c->n_obs, 0);
            if (nm_agent_act(a, obs, c->n_obs, &act) == NM_OK) nm_agent_learn(a, 1.0f, obs, c->n_obs, 0);
        }
        nm_agent_free(a);
    } else if (a != NULL || msg[0] == '\0') {
        __builtin_trap(); /* a refusal must leave *out NULL and say why */
    }
}
