/* checksum.c -- CRC-32 (IEEE 802.3, as zlib) for checkpoints, FNV-1a for state hashes. */
#include "nm_internal.h"

uint32_t nm_crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;
    int k;
    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= p[i];
        for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint64_t nm_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;
    for (i = 0; i < len; i++) { h ^= p[i]; h *= 0x100000001B3ull; }
    return h;
}
