/*
 * nm_math.c -- exp and log in single precision, the library's own. glibc picks a build of expf and logf per
 * CPU (with or without FMA), so results computed with them could differ between machines; these give the
 * same bits everywhere: plain double arithmetic in an order fixed by the source, never contracted into FMAs
 * (the build's -ffp-contract=off), with no reliance on the C library beyond integer and float conversions.
 *
 * The method and its constants are those of the expf and logf of Szabolcs Nagy's ARM optimized-routines
 * (MIT licence), which glibc 2.28+ and musl also use: so the results are bit-for-bit those of glibc's expf and
 * logf on every float input (checked exhaustively over all 2^32 inputs on an FMA machine by `make math-check`,
 * c/test/math_check.c; a sample of it runs in `make test`). That keeps every result recorded before these
 * functions existed. Both are within 0.502 ULP (exp) and 0.82 ULP (log) of the exact value.
 */
#include <stdint.h>
#include <string.h>
#include "nm_math.h"

static uint32_t bits_f(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static double double_of(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

/* exp: x = (k + r) ln2 / 32 with k an integer, |r| <= 1/2; exp(x) = 2^(k/32) 2^(r/32), the first from a table
 * of 2^(i/32) (i = k mod 32, the rest of k added to the exponent bits), the second a cubic in r. The table
 * holds the bits of 2^(i/32), correctly rounded, minus i 2^52 / 32 (so that adding k 2^52 / 32 gives the
 * exponent). */
#define EXP_N 32
static const uint64_t exp_table[EXP_N] = {
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull,
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull,
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull,
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull,
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull,
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull,
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull,
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull
};

float nm_expf(float x)
{
    const double inv_ln2_n = 0x1.71547652b82fep+0 * EXP_N, shift = 0x1.8p+52;
    const double inv_hi = 0x1.7154765p+5, inv_lo = inv_ln2_n - inv_hi;   /* 1/ln2 x 32 in two parts */
    const double c0 = 0x1.c6af84b912394p-5 / EXP_N / EXP_N / EXP_N, c1 = 0x1.ebfce50fac4f3p-3 / EXP_N / EXP_N,
                 c2 = 0x1.62e42ff0c52d6p-1 / EXP_N;
    uint32_t top = (bits_f(x) >> 20) & 0x7ff;
    double xd = x, ph, pl, z, e, kd, r, r2, y, s;
    uint64_t ki, t;
    if (top >= (bits_f(88.0f) >> 20)) {                 /* |x| >= 88, inf or NaN */
        if (bits_f(x) == 0xff800000u) return 0.0f;      /* exp(-inf) */
        if (top >= 0x7f8) return x + x;                 /* inf, NaN */
        if (x > 0x1.62e42ep6f) return float_of(0x7f800000u);   /* above log(FLT_MAX): overflow to inf */
        if (x < -0x1.9fe368p6f) return 0.0f;                   /* below log(2^-150): underflow to 0 */
    }
    /* x 32 / ln2 exactly, as ph + pl: inv_hi has 29 significant bits, inv_lo 22 and x 24, so both products
     * are exact */
    ph = inv_hi * xd;
    pl = inv_lo * xd;
    z = ph + pl;
    e = pl - (z - ph);               /* z + e = ph + pl exactly (|ph| >= |pl|) */
    kd = z + shift;                  /* rounds z to the nearest integer k, held in the low bits of kd */
    kd -= shift;
    /* the exact value z + e may lie past a tie that z sits on: round it, not z (as one fused multiply-add
     * of x and 1/ln2 x 32 would); z - kd is exact */
    if (z - kd == 0.5 && e > 0) kd += 1.0;
    else if (z - kd == -0.5 && e < 0) kd -= 1.0;
    ki = (uint64_t)(int64_t)kd;
    r = (ph - kd) + pl;              /* ph - kd is exact: one rounding, as a fused multiply-add would give */
    t = exp_table[ki % EXP_N] + (ki << (52 - 5));
    s = double_of(t);
    z = c0 * r + c1;
    r2 = r * r;
    y = c2 * r + 1.0;
    y = z * r2 + y;
    return (float)(y * s);
}

/* log: x = 2^k z with z in [0x1.66p-1, 0x1.66p0); log(x) = k ln2 + log(c) + log1p(z / c - 1), where c is near
 * the middle of z's sixteenth of that range, 1/c and log(c) come from the table, and log1p(r) is a polynomial. */
#define LOG_N 16
static const double log_table[LOG_N][2] = {   /* 1/c, log(c) */
    { 0x1.661ec79f8f3bep+0, -0x1.57bf7808caadep-2 }, { 0x1.571ed4aaf883dp+0, -0x1.2bef0a7c06ddbp-2 },
    { 0x1.49539f0f010b0p+0, -0x1.01eae7f513a67p-2 }, { 0x1.3c995b0b80385p+0, -0x1.b31d8a68224e9p-3 },
    { 0x1.30d190c8864a5p+0, -0x1.6574f0ac07758p-3 }, { 0x1.25e227b0b8ea0p+0, -0x1.1aa2bc79c8100p-3 },
    { 0x1.1bb4a4a1a343fp+0, -0x1.a4e76ce8c0e5ep-4 }, { 0x1.12358f08ae5bap+0, -0x1.1973c5a611cccp-4 },
    { 0x1.0953f419900a7p+0, -0x1.252f438e10c1ep-5 }, { 0x1.0000000000000p+0, 0x0.0p+0 },
    { 0x1.e608cfd9a47acp-1, 0x1.aa5aa5df25984p-5 }, { 0x1.ca4b31f026aa0p-1, 0x1.c5e53aa362eb4p-4 },
    { 0x1.b2036576afce6p-1, 0x1.526e57720db08p-3 }, { 0x1.9c2d163a1aa2dp-1, 0x1.bc2860d224770p-3 },
    { 0x1.886e6037841edp-1, 0x1.1058bc8a07ee1p-2 }, { 0x1.767dcf5534862p-1, 0x1.4043057b6ee09p-2 }
};

float nm_logf(float x)
{
    const double ln2 = 0x1.62e42fefa39efp-1;
    const double a0 = -0x1.00ea348b88334p-2, a1 = 0x1.5575b0be00b6ap-2, a2 = -0x1.ffffef20a4123p-2;
    uint32_t ix = bits_f(x), tmp, iz;
    double z, r, r2, y, y0;
    int i, k;
    if (ix == 0x3f800000u) return 0.0f;                               /* log(1) = +0 */
    if (ix - 0x00800000u >= 0x7f800000u - 0x00800000u) {              /* below 2^-126, inf, NaN or negative */
        if (ix * 2 == 0) return -float_of(0x7f800000u);               /* log(+-0) = -inf */
        if (ix == 0x7f800000u) return x;                              /* log(inf) = inf */
        if ((ix & 0x80000000u) || ix * 2 >= 0xff000000u) return (x - x) / (x - x);  /* NaN, as glibc's */
        ix = bits_f(x * 0x1p23f) - (23u << 23);                       /* subnormal: scale to normal */
    }
    tmp = ix - 0x3f330000u;
    i = (int)((tmp >> (23 - 4)) % LOG_N);
    k = (int)((int32_t)tmp >> 23);                                    /* arithmetic shift */
    iz = ix - (tmp & 0xff800000u);
    z = (double)float_of(iz);
    r = z * log_table[i][0] - 1.0;
    y0 = log_table[i][1] + (double)k * ln2;
    r2 = r * r;
    y = a1 * r + a2;
    y = a0 * r2 + y;
    y = y * r2 + (y0 + r);
    return (float)y;
}
