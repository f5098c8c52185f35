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

/* ---- double log and cos, correctly rounded, for nm_rng_normal's Box-Muller ----
 * glibc's double log and cos also come in an FMA and a plain build that disagree on about 1 in 10^4 and 7 in
 * 10^4 of Box-Muller's inputs. These compute the exact value to about 2^-100 relative in double-double
 * arithmetic (plain double operations whose errors are captured exactly: Knuth's two-sum, Dekker's product
 * with a split, no FMA) and round it once, so they return the correctly rounded double unless the exact value
 * lies within about 2^-100 of a midpoint between two doubles; they agree with glibc's builds wherever those
 * round correctly. */
typedef struct { double hi, lo; } dd;   /* hi + lo, |lo| <= ulp(hi) / 2 */

static dd two_sum(double a, double b)   /* exact: s + e = a + b */
{
    dd r;
    double bb;
    r.hi = a + b;
    bb = r.hi - a;
    r.lo = (a - (r.hi - bb)) + (b - bb);
    return r;
}

static dd fast_two_sum(double a, double b)   /* exact when |a| >= |b| (or a = 0) */
{
    dd r;
    r.hi = a + b;
    r.lo = b - (r.hi - a);
    return r;
}

static dd two_prod(double a, double b)   /* exact: Dekker's product, splitting each factor into 26 + 27 bits */
{
    const double split = 134217729.0;    /* 2^27 + 1 */
    double ca = split * a, cb = split * b, ah, al, bh, bl;
    dd r;
    ah = ca - (ca - a); al = a - ah;
    bh = cb - (cb - b); bl = b - bh;
    r.hi = a * b;
    r.lo = ((ah * bh - r.hi) + ah * bl + al * bh) + al * bl;
    return r;
}

static dd dd_add(dd a, dd b)
{
    dd s = two_sum(a.hi, b.hi), t = two_sum(a.lo, b.lo);
    s = fast_two_sum(s.hi, s.lo + t.hi);
    return fast_two_sum(s.hi, s.lo + t.lo);
}

static dd dd_add_d(dd a, double b)
{
    dd s = two_sum(a.hi, b);
    return fast_two_sum(s.hi, s.lo + a.lo);
}

static dd dd_mul(dd a, dd b)
{
    dd p = two_prod(a.hi, b.hi);
    return fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

static dd dd_mul_d(dd a, double b)
{
    dd p = two_prod(a.hi, b);
    return fast_two_sum(p.hi, p.lo + a.lo * b);
}

static dd dd_div(double a, dd b)   /* a / b: a quotient, its remainder (exact up to b.lo's term), a correction */
{
    double q1 = a / b.hi, q2;
    dd p = two_prod(q1, b.hi);
    q2 = (((a - p.hi) - p.lo) - q1 * b.lo) / b.hi;
    return fast_two_sum(q1, q2);
}

static dd dd_const(double hi, double lo) { dd r; r.hi = hi; r.lo = lo; return r; }

/* log(j / 128) for j = 90 .. 180, as hi + lo (computed with 300-bit arithmetic) */
static const double log_dd_table[91][2] = {
    { -0x1.68ac83e9c6a14p-2, -0x1.a64eadd740178p-58 }, { -0x1.5d5bddf595f30p-2, 0x1.6541148cbb8a2p-56 },
    { -0x1.522ae0738a3d8p-2, 0x1.8f7e9b38a6979p-57 }, { -0x1.4718dc271c41bp-2, -0x1.8fb4c14c56eefp-60 },
    { -0x1.3c25277333184p-2, 0x1.2ad27e50a8ec6p-56 }, { -0x1.314f1e1d35ce4p-2, 0x1.3d69909e5c3dcp-56 },
    { -0x1.269621134db92p-2, -0x1.e0efadd9db02bp-56 }, { -0x1.1bf99635a6b95p-2, 0x1.12aeb84249223p-57 },
    { -0x1.1178e8227e47cp-2, 0x1.0e63a5f01c691p-57 }, { -0x1.07138604d5862p-2, -0x1.cdb16ed4e9138p-56 },
    { -0x1.f991c6cb3b379p-3, -0x1.f665066f980a2p-57 }, { -0x1.e530effe71012p-3, -0x1.2276041f43042p-59 },
    { -0x1.d1037f2655e7bp-3, -0x1.60629242471a2p-57 }, { -0x1.bd087383bd8adp-3, -0x1.dd355f6a516d7p-60 },
    { -0x1.a93ed3c8ad9e3p-3, -0x1.bcafa9de97203p-57 }, { -0x1.95a5adcf7017fp-3, -0x1.142c507fb7a3dp-58 },
    { -0x1.823c16551a3c2p-3, 0x1.1232ce70be781p-57 }, { -0x1.6f0128b756abcp-3, 0x1.8de59c21e166cp-57 },
    { -0x1.5bf406b543db2p-3, 0x1.1f5b44c0df7e7p-61 }, { -0x1.4913d8333b561p-3, 0x1.0d5604930f135p-58 },
    { -0x1.365fcb0159016p-3, -0x1.7d411a5b944adp-58 }, { -0x1.23d712a49c202p-3, 0x1.6e38161051d69p-57 },
    { -0x1.1178e8227e47cp-3, 0x1.0e63a5f01c691p-58 }, { -0x1.fe89139dbd566p-4, 0x1.ac9f4215f9393p-58 },
    { -0x1.da727638446a2p-4, -0x1.401fa71733019p-58 }, { -0x1.b6ac88dad5b1cp-4, 0x1.0057eed1ca59fp-59 },
    { -0x1.9335e5d594989p-4, 0x1.478a85704ccb7p-58 }, { -0x1.700d30aeac0e1p-4, 0x1.72566212cdd05p-61 },
    { -0x1.4d3115d207eacp-4, -0x1.769f42c7842ccp-58 }, { -0x1.2aa04a44717a5p-4, 0x1.d15d38d2fa3f7p-58 },
    { -0x1.08598b59e3a07p-4, 0x1.dd7009902bf32p-58 }, { -0x1.ccb73cdddb2ccp-5, 0x1.e48fb0500efd4p-59 },
    { -0x1.894aa149fb343p-5, -0x1.a8be97660a23dp-60 }, { -0x1.466aed42de3eap-5, 0x1.cdd6f7f4a137ep-59 },
    { -0x1.0415d89e74444p-5, -0x1.c05cf1d753622p-59 }, { -0x1.8492528c8cabfp-6, 0x1.d192d0619fa67p-60 },
    { -0x1.0205658935847p-6, -0x1.27c8e8416e71fp-60 }, { -0x1.010157588de71p-7, -0x1.46662d417ced0p-62 },
    { 0x0.0p+0, 0x0.0p+0 }, { 0x1.fe02a6b106789p-8, -0x1.e44b7e3711ebfp-67 },
    { 0x1.fc0a8b0fc03e4p-7, -0x1.83092c59642a1p-62 }, { 0x1.7b91b07d5b11bp-6, -0x1.5b602ace3a510p-60 },
    { 0x1.f829b0e783300p-6, 0x1.33e3f04f1ef23p-60 }, { 0x1.39e87b9febd60p-5, -0x1.5bfa937f551bbp-59 },
    { 0x1.77458f632dcfcp-5, 0x1.18d3ca87b9296p-59 }, { 0x1.b42dd711971bfp-5, -0x1.eb9759c130499p-60 },
    { 0x1.f0a30c01162a6p-5, 0x1.85f325c5bbacdp-59 }, { 0x1.16536eea37ae1p-4, -0x1.79da3e8c22cdap-60 },
    { 0x1.341d7961bd1d1p-4, -0x1.b599f227becbbp-58 }, { 0x1.51b073f06183fp-4, 0x1.a49e39a1a8be4p-58 },
    { 0x1.6f0d28ae56b4cp-4, -0x1.906d99184b992p-58 }, { 0x1.8c345d6319b21p-4, -0x1.4a697ab3424a9p-61 },
    { 0x1.a926d3a4ad563p-4, 0x1.942f48aa70ea9p-58 }, { 0x1.c5e548f5bc743p-4, 0x1.5d617ef8161b1p-60 },
    { 0x1.e27076e2af2e6p-4, -0x1.61578001e0162p-60 }, { 0x1.fec9131dbeabbp-4, -0x1.5746b9981b36cp-58 },
    { 0x1.0d77e7cd08e59p-3, 0x1.9a5dc5e9030acp-57 }, { 0x1.1b72ad52f67a0p-3, 0x1.483023472cd74p-58 },
    { 0x1.29552f81ff523p-3, 0x1.301771c407dbfp-57 }, { 0x1.371fc201e8f74p-3, 0x1.de6cb62af18a0p-58 },
    { 0x1.44d2b6ccb7d1ep-3, 0x1.9f4f6543e1f88p-57 }, { 0x1.526e5e3a1b438p-3, -0x1.746ff8a470d3ap-57 },
    { 0x1.5ff3070a793d4p-3, -0x1.bc60efafc6f6ep-58 }, { 0x1.6d60fe719d21dp-3, -0x1.caae268ecd179p-57 },
    { 0x1.7ab890210d909p-3, 0x1.be36b2d6a0608p-59 }, { 0x1.87fa06520c911p-3, -0x1.bf7fdbfa08d9ap-57 },
    { 0x1.9525a9cf456b4p-3, 0x1.d904c1d4e2e26p-57 }, { 0x1.a23bc1fe2b563p-3, 0x1.93711b07a998cp-59 },
    { 0x1.af3c94e80bff3p-3, -0x1.398cff3641985p-58 }, { 0x1.bc286742d8cd6p-3, 0x1.4fce744870f55p-58 },
    { 0x1.c8ff7c79a9a22p-3, -0x1.4f689f8434012p-57 }, { 0x1.d5c216b4fbb91p-3, 0x1.6e443597e4d40p-57 },
    { 0x1.e27076e2af2e6p-3, -0x1.61578001e0162p-59 }, { 0x1.ef0adcbdc5936p-3, 0x1.48637950dc20dp-57 },
    { 0x1.fb9186d5e3e2bp-3, -0x1.caaae64f21acbp-57 }, { 0x1.0402594b4d041p-2, -0x1.28ec217a5022dp-57 },
    { 0x1.0a324e27390e3p-2, 0x1.7dcfde8061c03p-56 }, { 0x1.1058bf9ae4ad5p-2, 0x1.89fa0ab4cb31dp-58 },
    { 0x1.1675cababa60ep-2, 0x1.ce63eab883717p-61 }, { 0x1.1c898c16999fbp-2, -0x1.0e5c62aff1c44p-60 },
    { 0x1.22941fbcf7966p-2, -0x1.76f5eb09628afp-56 }, { 0x1.2895a13de86a3p-2, 0x1.7ad24c13f040ep-56 },
    { 0x1.2e8e2bae11d31p-2, -0x1.8f4cdb95ebdf9p-56 }, { 0x1.347dd9a987d55p-2, -0x1.4dd4c580919f8p-57 },
    { 0x1.3a64c556945eap-2, -0x1.c68651945f97cp-57 }, { 0x1.404308686a7e4p-2, -0x1.0bcfb6082ce6dp-56 },
    { 0x1.4618bc21c5ec2p-2, 0x1.f42decdeccf1dp-56 }, { 0x1.4be5f957778a1p-2, -0x1.259b35b04813dp-57 },
    { 0x1.51aad872df82dp-2, 0x1.3927ac19f55e3p-59 }, { 0x1.5767717455a6cp-2, 0x1.526adb283660cp-56 },
    { 0x1.5d1bdbf5809cap-2, 0x1.4236383dc7fe1p-56 },
};

/* log(x) = e ln2 + log(c) + 2 atanh(s): x = 2^e m with m in [0.703125, 1.40625), c = j / 128 the nearest
 * 128th to m, s = (m - c) / (m + c) with |s| < 2^-8.5. m - c is exact; c = 1 near x = 1, so the log of an x
 * close to 1 is computed without cancellation. */
double nm_log(double x)
{
    const double ln2_hi = 0x1.62e42fefa39efp-1, ln2_lo = 0x1.abc9e3b39803fp-56;
    uint64_t ix;
    int e, j;
    double m, c, q;
    dd s, z, t, y;
    if (!(x > 0.0) || x == 1.0 / 0.0) {
        if (x == 0.0) return -1.0 / 0.0;
        return x > 0.0 ? x : (x - x) / (x - x);    /* +inf; NaN for negative numbers, -inf and NaN */
    }
    e = 0;
    if (x < 0x1p-1022) { x *= 0x1p54; e = -54; }     /* subnormal: scale to normal */
    memcpy(&ix, &x, sizeof ix);
    e += (int)(ix >> 52) - 1023;
    m = double_of((ix & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    if (m >= 1.40625) { m *= 0.5; e += 1; }
    j = (int)(m * 128.0 + 0.5);
    c = j / 128.0;
    s = dd_div(m - c, two_sum(m, c));
    z = dd_mul(s, s);
    /* atanh(s) / s = 1 + z/3 + z^2/5 + ...; terms from z^3/7 on (below 2^-53 of the sum) in plain double */
    q = 0x1.2492492492492p-3 + z.hi * (0x1.c71c71c71c71cp-4 + z.hi * (0x1.745d1745d1746p-4 + z.hi * 0x1.3b13b13b13b14p-4));
    t = dd_add(dd_const(0x1.999999999999ap-3, -0x1.999999999999ap-57), dd_mul_d(z, q));
    t = dd_add(dd_const(0x1.5555555555555p-2, 0x1.5555555555555p-56), dd_mul(z, t));
    t = dd_add(s, dd_mul(s, dd_mul(z, t)));                  /* atanh(s) */
    t.hi *= 2.0; t.lo *= 2.0;
    y = two_prod((double)e, ln2_hi);
    y = dd_add_d(y, (double)e * ln2_lo);
    y = dd_add(y, dd_const(log_dd_table[j - 90][0], log_dd_table[j - 90][1]));
    y = dd_add(y, t);
    return y.hi;
}

/* sin(r) and cos(r) for |r| <= pi/4 (a little more is fine), r = r.hi + r.lo: Taylor series in z = r^2 in
 * double-double, the terms below 2^-53 of the sum (from r^16 on) in plain double. */
static const double cos_coef[7][2] = {   /* (-1)^n / (2n)!, n = 1 .. 7 */
    { -0x1.0000000000000p-1, 0.0 }, { 0x1.5555555555555p-5, 0x1.5555555555555p-59 },
    { -0x1.6c16c16c16c17p-10, 0x1.f49f49f49f49fp-65 }, { 0x1.a01a01a01a01ap-16, 0x1.a01a01a01a01ap-76 },
    { -0x1.27e4fb7789f5cp-22, -0x1.cbbc05b4fa99ap-76 }, { 0x1.1eed8eff8d898p-29, -0x1.2aec959e14c06p-83 },
    { -0x1.93974a8c07c9dp-37, -0x1.05d6f8a2efd1fp-92 }
};
static const double sin_coef[7][2] = {   /* (-1)^n / (2n + 1)!, n = 1 .. 7 */
    { -0x1.5555555555555p-3, -0x1.5555555555555p-57 }, { 0x1.1111111111111p-7, 0x1.1111111111111p-63 },
    { -0x1.a01a01a01a01ap-13, -0x1.a01a01a01a01ap-73 }, { 0x1.71de3a556c734p-19, -0x1.c154f8ddc6c00p-73 },
    { -0x1.ae64567f544e4p-26, 0x1.c062e06d1f209p-80 }, { 0x1.6124613a86d09p-33, 0x1.f28e0cc748ebep-87 },
    { -0x1.ae7f3e733b81fp-41, -0x1.1d8656b0ee8cbp-97 }
};

static dd cos_dd(dd r)
{
    dd z = dd_mul(r, r), t;
    double w = z.hi, q;
    int n;
    q = 0x1.ae7f3e733b81fp-45 + w * (-0x1.6827863b97d97p-53 + w * (0x1.e542ba4020225p-62 + w * (-0x1.0ce396db7f853p-70
        + w * (0x1.f2cf01972f578p-80 + w * (-0x1.88e85fc6a4e5ap-89 + w * 0x1.0a18a2635085dp-98)))));
    t = dd_mul_d(z, q);
    for (n = 6; n >= 0; n--) t = dd_mul(z, dd_add(dd_const(cos_coef[n][0], cos_coef[n][1]), t));
    return dd_add_d(t, 1.0);
}

static dd sin_dd(dd r)
{
    dd z = dd_mul(r, r), t;
    double w = z.hi, q;
    int n;
    q = 0x1.952c77030ad4ap-49 + w * (-0x1.2f49b46814157p-57 + w * (0x1.71b8ef6dcf572p-66 + w * (-0x1.761b41316381ap-75
        + w * (0x1.3f3ccdd165fa9p-84 + w * (-0x1.d1ab1c2dccea3p-94 + w * 0x1.259f98b4358adp-103)))));
    t = dd_mul_d(z, q);
    for (n = 6; n >= 0; n--) t = dd_mul(z, dd_add(dd_const(sin_coef[n][0], sin_coef[n][1]), t));
    return dd_add(r, dd_mul(r, t));
}

/* cos(x) = +-cos(r) or +-sin(r), r = x - k pi/2 with k the integer nearest x 2/pi: Cody-Waite reduction with
 * pi/2 in three parts (p1 + p2 + p3, 161 bits), each product k p1 and k p2 exact (Dekker), x - k p1 exact
 * (Sterbenz), the rest summed in double-double. Correctly rounded as above for |x| <= 8, which covers
 * Box-Muller's [0, 2 pi); larger arguments lose accuracy as k grows (nothing in neuromod passes them). */
double nm_cos(double x)
{
    const double p1 = 0x1.921fb54442d18p+0, p2 = 0x1.1a62633145c07p-54, p3 = -0x1.f1976b7ed8fbcp-110;
    double kd;
    dd r, a, b;
    int q;
    if (x - x != 0.0) return x - x;             /* inf, NaN */
    if (x < 0.0) x = -x;
    kd = (double)(int64_t)(x * 0x1.45f306dc9c883p-1 + 0.5);
    a = two_prod(kd, p1);
    b = two_prod(kd, p2);
    r = two_sum(x - a.hi, -a.lo);
    r = dd_add_d(r, -b.hi);
    r = dd_add_d(r, -b.lo);
    r = dd_add_d(r, -kd * p3);
    q = (int)((int64_t)kd & 3);
    if (q == 0) return cos_dd(r).hi;
    if (q == 1) return -sin_dd(r).hi;
    if (q == 2) return -cos_dd(r).hi;
    return sin_dd(r).hi;
}
