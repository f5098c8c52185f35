/* math_check.c -- the library's own expf and logf (c/nm_math.c) against the C library's, bit for bit, over
 * every STRIDE-th float bit pattern from 0 to 2^32 - 1 (STRIDE 1: all of them, `make math-check`; `make test`
 * runs a stride of 251). nm_expf and nm_logf compute as glibc's (2.28 or later) FMA builds do, on any CPU.
 * glibc's own results depend on the CPU: on one without FMA (or with GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA)
 * its expf differs from its FMA build on exactly the two inputs of fma_only below, which are therefore allowed
 * to differ from libm and are checked against the FMA build's values instead. Any other difference means the
 * C library computes differently (another libc, or another version), not that neuromod changed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nm_math.h"

static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }

int main(int argc, char **argv)
{
    /* x, and expf(x) from glibc's FMA build (its build without FMA gives the float just below) */
    static const float fma_only[][2] = { { 0x1.04845ep+5f, 0x1.f93e38p+46f }, { -0x1.f8cbb2p+5f, 0x1.f45326p-92f } };
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 251, u, n = 0, dexp = 0, dlog = 0, known = 0;
    size_t i;
    int failed;
    if (stride < 1) stride = 1;
    for (i = 0; i < sizeof fma_only / sizeof fma_only[0]; i++) {
        float got = nm_expf(fma_only[i][0]);
        if (bits(got) != bits(fma_only[i][1])) {
            printf("nm_expf(%a) = %a, expected %a\n", (double)fma_only[i][0], (double)got, (double)fma_only[i][1]);
            known++;
        }
    }
    for (u = 0; u <= 0xffffffffull; u += stride) {
        uint32_t b = (uint32_t)u;
        float x, y;
        memcpy(&x, &b, sizeof x);
        n++;
        y = nm_expf(x);
        if (bits(expf(x)) != bits(y) && b != bits(fma_only[0][0]) && b != bits(fma_only[1][0]) && dexp++ < 5)
            printf("expf(%a): libm %a, neuromod %a\n", (double)x, (double)expf(x), (double)y);
        y = nm_logf(x);
        if (bits(logf(x)) != bits(y) && dlog++ < 5) printf("logf(%a): libm %a, neuromod %a\n", (double)x, (double)logf(x), (double)y);
    }
    failed = dexp != 0 || dlog != 0 || known != 0;
    printf("math_check: %" PRIu64 " inputs (every %" PRIu64 "th bit pattern): expf differs from libm on %" PRIu64
           ", logf on %" PRIu64 "; the FMA-build values: %s\n", n, stride, dexp, dlog, known ? "WRONG" : "ok");
    printf("c: %d passed, %d failed\n", !failed, failed);
    return failed;
}
