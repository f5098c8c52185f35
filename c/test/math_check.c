/* math_check.c -- the library's own expf and logf (c/nm_math.c) against the C library's, bit for bit, over
 * every STRIDE-th float bit pattern from 0 to 2^32 - 1 (STRIDE 1: all of them, `make math-check`; `make test`
 * runs a stride of 251). With glibc 2.28 or later both agree everywhere (NaNs included), on any CPU: glibc
 * computes them the same way, and its FMA build rounds the same in every case checked. A difference here
 * means the C library computes differently (another libc, or another version), not that neuromod changed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nm_math.h"

int main(int argc, char **argv)
{
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 251, u, n = 0, dexp = 0, dlog = 0;
    if (stride < 1) stride = 1;
    for (u = 0; u <= 0xffffffffull; u += stride) {
        uint32_t b = (uint32_t)u, g, m;
        float x, y;
        memcpy(&x, &b, sizeof x);
        n++;
        y = expf(x); memcpy(&g, &y, sizeof g);
        y = nm_expf(x); memcpy(&m, &y, sizeof m);
        if (g != m && dexp++ < 5) printf("expf(%a): libm %a, neuromod %a\n", (double)x, (double)expf(x), (double)y);
        y = logf(x); memcpy(&g, &y, sizeof g);
        y = nm_logf(x); memcpy(&m, &y, sizeof m);
        if (g != m && dlog++ < 5) printf("logf(%a): libm %a, neuromod %a\n", (double)x, (double)logf(x), (double)y);
    }
    printf("math_check: %" PRIu64 " inputs (every %" PRIu64 "th bit pattern): expf differs on %" PRIu64
           ", logf on %" PRIu64 "\n", n, stride, dexp, dlog);
    printf("c: %d passed, %d failed\n", dexp == 0 && dlog == 0 ? 1 : 0, dexp == 0 && dlog == 0 ? 0 : 1);
    return dexp == 0 && dlog == 0 ? 0 : 1;
}
