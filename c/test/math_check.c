/* math_check.c -- the library's own expf and logf (c/nm_math.c) against the C library's, bit for bit, over
 * every STRIDE-th float bit pattern from 0 to 2^32 - 1 (STRIDE 1: all of them, `make math-check`; `make test`
 * runs a stride of 251). nm_expf and nm_logf compute as glibc's (2.28 or later) FMA builds do, on any CPU.
 * glibc's own results depend on the CPU: on one without FMA (or with GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA)
 * its expf differs from its FMA build on exactly the two inputs of fma_only below, which are therefore allowed
 * to differ from libm and are checked against the FMA build's values instead. Any other difference means the
 * C library computes differently (another libc, or another version), not that neuromod changed.
 *
 * Then nm_log and nm_cos, nm_rng_normal's: DRAWS inputs drawn as it draws them (u1 in (0, 1], x = 2 pi u2 in
 * [0, 2 pi); 10^6 in `make test`, 10^8 in `make math-check`) against the long double logl and cosl, wherever
 * those decide the correctly rounded double (every value within 2^-60 of theirs rounds to the same double);
 * inputs pinned to their correctly rounded values (300-bit arithmetic), among them inputs where glibc's FMA and
 * plain builds disagree; and a hash of nm_rng_normal's first 10^6 draws from seed 1, the same on every CPU.
 * How often libm differs from nm_log and nm_cos is printed, not checked: that is a property of the C library. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "neuromod.h"
#include "nm_math.h"

static uint64_t bits_d(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }

/* The correctly rounded double of a long double reference whose error is below 2^-60 relative, in *out;
 * 0 when values within that error round to different doubles (the reference cannot decide). */
static int decided(long double ref, double *out)
{
    long double eps = fabsl(ref) * 0x1p-60L;
    *out = (double)ref;
    return (double)(ref - eps) == (double)(ref + eps);
}

/* x, the correctly rounded f(x); glibc's FMA and plain builds differ on the first six of each, and both
 * misround the next two; the rest are edges (x = 1, the smallest u1, the doubles nearest pi/2 and 3 pi/2). */
static const double log_pins[][2] = {
    { 0x1.000003cf6f874p-1, -0x1.62e42850c49f0p-1 }, { 0x1.0008c321f3948p-1, -0x1.62d2a9f881918p-1 },
    { 0x1.003b593af1107p-1, -0x1.626d8b39e1c18p-1 }, { 0x1.000113fcfbe16p-2, -0x1.62e31bf33c81ep+0 },
    { 0x1.0006d19aecbb8p-1, -0x1.62d68ce848360p-1 }, { 0x1.00111145249f6p-2, -0x1.62d31f3c1eb33p+0 },
    { 0x1.1f6443542668p-3, -0x1.f6b9d4c64834dp+0 }, { 0x1.c646a4e862079p-1, -0x1.e9f66f3dd4b01p-4 },
    { 1.0, 0.0 }, { 0x1p-53, -0x1.25e4f7b2737fap+5 }, { 0x1.fffffffffffffp-1, -0x1p-53 },
    { 0x1.0000000000001p-1, -0x1.62e42fefa39edp-1 }
};
static const double cos_pins[][2] = {
    { 0x1.000217c9b4bfbp+2, -0x1.4e9db45d511c6p-1 }, { 0x1.00025d90a3c57p+2, -0x1.4e9c0ddae8107p-1 },
    { 0x1.002155fdce0fep+2, -0x1.4de05eb27bcebp-1 }, { 0x1.002c7f2c518cp+2, -0x1.4d9ca8ae37ac5p-1 },
    { 0x1.002e7908367eap+2, -0x1.4d90aaaa8b995p-1 }, { 0x1.002f6e0eb659fp+1, -0x1.ab7b4e1ad8a53p-2 },
    { 0x1.d0ced8787cf4cp+0, -0x1.f07a1a5df991bp-3 }, { 0x1.9f4536ee9a5abp-1, 0x1.609fd69921fa1p-1 },
    { 0.0, 1.0 }, { 0x1.921fb54442d18p+0, 0x1.1a62633145c07p-54 }, { 0x1.921fb54442d19p+0, -0x1.72cece675d1fdp-53 },
    { 0x1.2d97c7f3321d2p+2, -0x1.a79394c9e8a0ap-53 }
};

/* nm_log and nm_cos on DRAWS Box-Muller inputs, the pins and the stream's hash; returns the number of failures */
static int check_normal(uint64_t draws)
{
    const uint64_t stream_hash = 0x5f39c60be089216cull;   /* FNV-1a-style hash of the first 10^6 draws' bits */
    uint64_t i, undecided = 0, wrong = 0, libm_log = 0, libm_cos = 0, h = 1469598103934665603ull;
    size_t k;
    int failed = 0;
    nm_rng rng;
    if (LDBL_MANT_DIG < 64) draws = 0;                    /* no reference precise enough: pins and hash only */
    nm_rng_seed(&rng, 1);
    for (i = 0; i < draws; i++) {
        double u1 = 1.0 - nm_rng_uniform(&rng), x = 6.283185307179586 * nm_rng_uniform(&rng), y, ref;
        y = nm_log(u1);
        if (!decided(logl((long double)u1), &ref)) undecided++;
        else if (bits_d(y) != bits_d(ref) && wrong++ < 5) printf("nm_log(%a) = %a, correctly rounded %a\n", u1, y, ref);
        libm_log += bits_d(log(u1)) != bits_d(y);
        y = nm_cos(x);
        if (!decided(cosl((long double)x), &ref)) undecided++;
        else if (bits_d(y) != bits_d(ref) && wrong++ < 5) printf("nm_cos(%a) = %a, correctly rounded %a\n", x, y, ref);
        libm_cos += bits_d(cos(x)) != bits_d(y);
    }
    for (k = 0; k < sizeof log_pins / sizeof log_pins[0]; k++)
        if (bits_d(nm_log(log_pins[k][0])) != bits_d(log_pins[k][1]) && wrong++ < 5)
            printf("nm_log(%a) = %a, correctly rounded %a\n", log_pins[k][0], nm_log(log_pins[k][0]), log_pins[k][1]);
    for (k = 0; k < sizeof cos_pins / sizeof cos_pins[0]; k++)
        if (bits_d(nm_cos(cos_pins[k][0])) != bits_d(cos_pins[k][1]) && wrong++ < 5)
            printf("nm_cos(%a) = %a, correctly rounded %a\n", cos_pins[k][0], nm_cos(cos_pins[k][0]), cos_pins[k][1]);
    nm_rng_seed(&rng, 1);
    for (i = 0; i < 1000000; i++) h = (h ^ bits_d(nm_rng_normal(&rng, 0.0, 1.0))) * 1099511628211ull;
    failed = (wrong != 0) + (h != stream_hash);
    printf("math_check: nm_log and nm_cos on %" PRIu64 " Box-Muller draws (%" PRIu64 " of the 2 x %" PRIu64
           " values not decided by logl/cosl) and %u pinned inputs: %" PRIu64 " not correctly rounded; libm differs"
           " on %" PRIu64 " logs and %" PRIu64 " cosines; nm_rng_normal's stream hash %016" PRIx64 " (%s)\n",
           draws, undecided, draws, (unsigned)(sizeof log_pins / sizeof log_pins[0] + sizeof cos_pins / sizeof cos_pins[0]),
           wrong, libm_log, libm_cos, h, h == stream_hash ? "ok" : "WRONG");
    return failed;
}

static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }

int main(int argc, char **argv)
{
    /* x, and expf(x) from glibc's FMA build (its build without FMA gives the float just below) */
    static const float fma_only[][2] = { { 0x1.04845ep+5f, 0x1.f93e38p+46f }, { -0x1.f8cbb2p+5f, 0x1.f45326p-92f } };
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 251, u, n = 0, dexp = 0, dlog = 0, known = 0;
    uint64_t draws = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    size_t i;
    int failed, nfail;
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
    nfail = check_normal(draws) != 0;
    printf("c: %d passed, %d failed\n", !failed + !nfail, failed + nfail);
    return failed || nfail;
}
