/* checksum.c -- CRC-32 (IEEE 802.3, as zlib) for checkpoints, FNV-1a for state hashes. */
#include "nm_internal.h"

/* The byte table, a constant the compiler computes: entry n is n shifted through the polynomial eight times, so a
 * byte costs one lookup instead of eight shifts (a default agent's checkpoint is tens of KB), with the same sums.
 * No table built at run time: nothing to initialise, nothing shared between threads. */
#define CRC_1(c) (((c) >> 1) ^ (0xEDB88320u & (0u - ((c) & 1u))))
#define CRC_8(c) CRC_1(CRC_1(CRC_1(CRC_1(CRC_1(CRC_1(CRC_1(CRC_1(c))))))))
#define CRC_R2(n) CRC_8((n) + 0u), CRC_8((n) + 1u)
#define CRC_R4(n) CRC_R2(n), CRC_R2((n) + 2u)
#define CRC_R8(n) CRC_R4(n), CRC_R4((n) + 4u)
#define CRC_R16(n) CRC_R8(n), CRC_R8((n) + 8u)
#define CRC_R32(n) CRC_R16(n), CRC_R16((n) + 16u)
#define CRC_R64(n) CRC_R32(n), CRC_R32((n) + 32u)
#define CRC_R128(n) CRC_R64(n), CRC_R64((n) + 64u)
static const uint32_t crc_table[256] = { CRC_R128(0u), CRC_R128(128u) };

uint32_t nm_crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;
    crc = ~crc;
    for (i = 0; i < len; i++) crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xFFu];
    return ~crc;
}

uint64_t nm_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;
    for (i = 0; i < len; i++) { h ^= p[i]; h *= 0x100000001B3ull; }
    return h;
}
