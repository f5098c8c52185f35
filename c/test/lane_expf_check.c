/* lane_expf_check.c -- the interleaved population step's lane expf (c/population_lanes.h) against nm_expf, bit
 * for bit, under each kernel set this CPU runs (generic: nm_expf_plain's operations; AVX2 and AVX-512: fused
 * multiply-adds and a gather), over every STRIDE-th float bit pattern the lanes compute themselves: |x| < 88
 * (the top bits of the pattern below 88.0f's; larger, inf and NaN take nm_expf, and pass through too). STRIDE 1
 * checks all 2.24 billion of them (`make lane-expf-check`, a few minutes); `make test` runs a stride of 101. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nm_math.h"
#include "population_simd.h"

enum { BATCH = 4096 };   /* a multiple of every set's lanes */

static uint32_t bits_f(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

int main(int argc, char **argv)
{
    static const char *const sets[] = { "generic", "avx2", "avx512" };
    static float x[BATCH], want[BATCH], got[BATCH];
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 101, u, n = 0, bad[3] = { 0, 0, 0 };
    size_t lanes[3], s, i, m = 0;
    int failed = 0, ran = 0;
    if (stride < 1) stride = 1;
    for (s = 0; s < 3; s++) lanes[s] = nm_popsimd_expf(sets[s], BATCH, x, got);   /* which sets run here */
    for (u = 0; u <= 0xffffffffull; u += stride) {
        uint32_t b = (uint32_t)u;
        if (((b >> 20) & 0x7ff) >= (bits_f(88.0f) >> 20) && (u / stride) % 1024 != 0) continue;   /* a sample of these */
        x[m++] = float_of(b);
        if (m < BATCH && u + stride <= 0xffffffffull) continue;
        for (i = m; i < BATCH; i++) x[i] = 0.0f;
        for (i = 0; i < BATCH; i++) want[i] = nm_expf(x[i]);
        for (s = 0; s < 3; s++) {
            if (!lanes[s]) continue;
            nm_popsimd_expf(sets[s], BATCH, x, got);
            for (i = 0; i < m; i++)
                if (bits_f(got[i]) != bits_f(want[i]) && bad[s]++ < 5)
                    printf("%s lanes: expf(%a) = %a, nm_expf %a\n", sets[s], (double)x[i], (double)got[i],
                           (double)want[i]);
        }
        n += m;
        m = 0;
    }
    printf("lane_expf_check: %" PRIu64 " inputs (every %" PRIu64 "th bit pattern below 88.0f's top bits, every "
           "%" PRIu64 "th above):", n, stride, stride * 1024);
    for (s = 0; s < 3; s++) {
        if (lanes[s]) printf(" %s differ %" PRIu64 ";", sets[s], bad[s]);
        else printf(" %s not run (CPU);", sets[s]);
        failed += bad[s] != 0;
        ran += lanes[s] != 0;
    }
    printf("\nc: %d passed, %d failed\n", ran - failed, failed);
    return failed != 0;
}
