/* checksum.c -- CRC-32 (IEEE 802.3, as zlib) for checkpoints, FNV-1a for state hashes. */
#include "nm_internal.h"

/* Slicing by 8 (Kounavis and Berry's method, as zlib's braided CRC): eight tables, table k giving a byte's
 * contribution once k further bytes have been shifted in, so that eight bytes cost eight independent lookups instead
 * of a chain of eight, with the same sums. A checkpoint is tens to hundreds of KB, and the byte-by-byte chain was
 * most of a save's and a load's time.
 *
 * The tables are constants the compiler computes, so nothing is built at run time or shared between threads. A CRC
 * is linear over GF(2): entry n of table k is the XOR of the entries of n's set bits, and CRC_Kk lists those eight
 * (byte 1 << i shifted through the polynomial 8 (k + 1) times, i = 0 .. 7; table 0 is the classic byte table).
 * test_core checks the result against the bit-by-bit definition. */
#define CRC_K0 0x77073096u, 0xEE0E612Cu, 0x076DC419u, 0x0EDB8832u, 0x1DB71064u, 0x3B6E20C8u, 0x76DC4190u, 0xEDB88320u
#define CRC_K1 0x191B3141u, 0x32366282u, 0x646CC504u, 0xC8D98A08u, 0x4AC21251u, 0x958424A2u, 0xF0794F05u, 0x3B83984Bu
#define CRC_K2 0x01C26A37u, 0x0384D46Eu, 0x0709A8DCu, 0x0E1351B8u, 0x1C26A370u, 0x384D46E0u, 0x709A8DC0u, 0xE1351B80u
#define CRC_K3 0xB8BC6765u, 0xAA09C88Bu, 0x8F629757u, 0xC5B428EFu, 0x5019579Fu, 0xA032AF3Eu, 0x9B14583Du, 0xED59B63Bu
#define CRC_K4 0x3D6029B0u, 0x7AC05360u, 0xF580A6C0u, 0x30704BC1u, 0x60E09782u, 0xC1C12F04u, 0x58F35849u, 0xB1E6B092u
#define CRC_K5 0xCB5CD3A5u, 0x4DC8A10Bu, 0x9B914216u, 0xEC53826Du, 0x03D6029Bu, 0x07AC0536u, 0x0F580A6Cu, 0x1EB014D8u
#define CRC_K6 0xA6770BB4u, 0x979F1129u, 0xF44F2413u, 0x33EF4E67u, 0x67DE9CCEu, 0xCFBD399Cu, 0x440B7579u, 0x8816EAF2u
#define CRC_K7 0xCCAA009Eu, 0x4225077Du, 0x844A0EFAu, 0xD3E51BB5u, 0x7CBB312Bu, 0xF9766256u, 0x299DC2EDu, 0x533B85DAu
#define CRC_CALL(m, args) m args   /* expands args (a CRC_Kk) into its eight values before m sees them */
#define CRC_BITS(n, b0, b1, b2, b3, b4, b5, b6, b7)                                                          \
    (((n) & 1u ? b0 : 0u) ^ ((n) & 2u ? b1 : 0u) ^ ((n) & 4u ? b2 : 0u) ^ ((n) & 8u ? b3 : 0u) ^             \
     ((n) & 16u ? b4 : 0u) ^ ((n) & 32u ? b5 : 0u) ^ ((n) & 64u ? b6 : 0u) ^ ((n) & 128u ? b7 : 0u))
#define CRC_ENTRY(k, n) CRC_CALL(CRC_BITS, ((n), CRC_K##k))   /* entry n of table k (k a digit) */
#define CRC_R2(k, n) CRC_ENTRY(k, (n) + 0u), CRC_ENTRY(k, (n) + 1u)
#define CRC_R4(k, n) CRC_R2(k, n), CRC_R2(k, (n) + 2u)
#define CRC_R8(k, n) CRC_R4(k, n), CRC_R4(k, (n) + 4u)
#define CRC_R16(k, n) CRC_R8(k, n), CRC_R8(k, (n) + 8u)
#define CRC_R32(k, n) CRC_R16(k, n), CRC_R16(k, (n) + 16u)
#define CRC_R64(k, n) CRC_R32(k, n), CRC_R32(k, (n) + 32u)
#define CRC_R128(k, n) CRC_R64(k, n), CRC_R64(k, (n) + 64u)
#define CRC_TABLE(k) { CRC_R128(k, 0u), CRC_R128(k, 128u) }
static const uint32_t crc_table[8][256] = {
    CRC_TABLE(0), CRC_TABLE(1), CRC_TABLE(2), CRC_TABLE(3), CRC_TABLE(4), CRC_TABLE(5), CRC_TABLE(6), CRC_TABLE(7)
};

/* four bytes as a little-endian word, whatever the host's order (one load where the host is little-endian) */
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t nm_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint32_t (*t)[256] = crc_table;
    const unsigned char *p = data;
    crc = ~crc;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t a = crc ^ le32(p), b = le32(p + 4);
        crc = t[7][a & 0xFFu] ^ t[6][(a >> 8) & 0xFFu] ^ t[5][(a >> 16) & 0xFFu] ^ t[4][a >> 24] ^
              t[3][b & 0xFFu] ^ t[2][(b >> 8) & 0xFFu] ^ t[1][(b >> 16) & 0xFFu] ^ t[0][b >> 24];
    }
    for (; len > 0; len--, p++) crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xFFu];
    return ~crc;
}

uint64_t nm_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;
    for (i = 0; i < len; i++) { h ^= p[i]; h *= 0x100000001B3ull; }
    return h;
}
