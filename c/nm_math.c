/*
 * nm_math.c -- the library's own exp and log in single precision, and log and cos in double precision (for
 * nm_rng_normal). glibc picks a build of each per CPU (with or without FMA), so results computed with them could
 * differ between machines; these give the same bits everywhere: plain double arithmetic in an order fixed by
 * the source, never contracted into FMAs (the build's -ffp-contract=off), with no reliance on the C library
 * beyond integer and float conversions. expf also has a build with explicit fused multiply-adds, taken where
 * the CPU has FMA, that returns the plain build's bits on every input (c/test/expf_check.c, `make expf-check`).
 *
 * expf and logf: the method and constants are those of the expf and logf of Szabolcs Nagy's ARM
 * optimized-routines (MIT licence), which glibc 2.28+ and musl also use: so the results are bit-for-bit those of
 * glibc's expf and logf on every float input (checked exhaustively over all 2^32 inputs on an FMA machine by
 * `make math-check`, c/test/math_check.c; a sample of it runs in `make test`). That keeps every result recorded
 * before these functions existed. Both are within 0.502 ULP (exp) and 0.82 ULP (log) of the exact value.
 *
 * log and cos (double): correctly rounded, not glibc's (whose FMA build misrounds about 8 in 10^4 logs and 14
 * in 10^4 cosines of Box-Muller's inputs); see the section below.
 */
#include <stdint.h>
#include <string.h>
#include "nm_math.h"

static uint32_t bits_f(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static double double_of(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }
static uint64_t bits_d(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }

/* exp: x = (k + r) ln2 / 32 with k an integer, |r| <= 1/2; exp(x) = 2^(k/32) 2^(r/32), the first from a table
 * of 2^(i/32) (i = k mod 32, the rest of k added to the exponent bits), the second a cubic in r. The table
 * holds the bits of 2^(i/32), correctly rounded, minus i 2^52 / 32 (so that adding k 2^52 / 32 gives the
 * exponent). */
#define EXP_N 32
const uint64_t nm_exp_table[EXP_N] = {
    0x3ff0000000000000ull, 0x3fefd9b0d3158574ull, 0x3fefb5586cf9890full, 0x3fef9301d0125b51ull,
    0x3fef72b83c7d517bull, 0x3fef54873168b9aaull, 0x3fef387a6e756238ull, 0x3fef1e9df51fdee1ull,
    0x3fef06fe0a31b715ull, 0x3feef1a7373aa9cbull, 0x3feedea64c123422ull, 0x3feece086061892dull,
    0x3feebfdad5362a27ull, 0x3feeb42b569d4f82ull, 0x3feeab07dd485429ull, 0x3feea47eb03a5585ull,
    0x3feea09e667f3bcdull, 0x3fee9f75e8ec5f74ull, 0x3feea11473eb0187ull, 0x3feea589994cce13ull,
    0x3feeace5422aa0dbull, 0x3feeb737b0cdc5e5ull, 0x3feec49182a3f090ull, 0x3feed503b23e255dull,
    0x3feee89f995ad3adull, 0x3feeff76f2fb5e47ull, 0x3fef199bdd85529cull, 0x3fef3720dcef9069ull,
    0x3fef5818dcfba487ull, 0x3fef7c97337b9b5full, 0x3fefa4afa2a490daull, 0x3fefd0765b6e4540ull
};

/* The cubic of 2^(r/32) and the table's 2^(k/32) */
#define EXP_C0 (0x1.c6af84b912394p-5 / EXP_N / EXP_N / EXP_N)
#define EXP_C1 (0x1.ebfce50fac4f3p-3 / EXP_N / EXP_N)
#define EXP_C2 (0x1.62e42ff0c52d6p-1 / EXP_N)
#define EXP_INV_LN2_N (0x1.71547652b82fep+0 * EXP_N)   /* 32 / ln2 */
#define EXP_SHIFT 0x1.8p+52                           /* z + EXP_SHIFT holds z rounded to an integer in its low bits */

/* |x| >= 88, inf or NaN (the caller has seen top >= the top bits of 88.0f): *y and 1, or 0 if x is finite and
 * in range after all */
static int exp_special(float x, float *y)
{
    if (bits_f(x) == 0xff800000u) { *y = 0.0f; return 1; }                 /* exp(-inf) */
    if (((bits_f(x) >> 20) & 0x7ff) >= 0x7f8) { *y = x + x; return 1; }    /* inf, NaN */
    if (x > 0x1.62e42ep6f) { *y = float_of(0x7f800000u); return 1; }       /* above log(FLT_MAX): overflow to inf */
    if (x < -0x1.9fe368p6f) { *y = 0.0f; return 1; }                       /* below log(2^-150): underflow to 0 */
    return 0;
}

/* 2^(k/32) 2^(r/32) from ki (whose low 17 bits are k's) and r */
static float exp_finish(uint64_t ki, double r)
{
    double s = double_of(nm_exp_table[ki % EXP_N] + (ki << (52 - 5))), p, r2, y;
    p = EXP_C0 * r + EXP_C1;
    r2 = r * r;
    y = EXP_C2 * r + 1.0;
    y = p * r2 + y;
    return (float)(y * s);
}

/* not inlined into nm_expf, so that nm_expf (the CPU test and a call) inlines into its callers */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
float nm_expf_plain(float x)
{
    const double inv_hi = 0x1.7154765p+5, inv_lo = EXP_INV_LN2_N - inv_hi;   /* 32 / ln2 in two parts */
    double xd = x, ph, pl, z, kd, r;
    uint64_t ki;
    float y;
    if (((bits_f(x) >> 20) & 0x7ff) >= (bits_f(88.0f) >> 20) && exp_special(x, &y)) return y;
    /* x 32 / ln2 exactly, as ph + pl: inv_hi has 29 significant bits, inv_lo 22 and x 24, so both products
     * are exact */
    ph = inv_hi * xd;
    pl = inv_lo * xd;
    z = ph + pl;
    kd = z + EXP_SHIFT;              /* rounds z to the nearest integer k, held in the low bits of kd */
    ki = bits_d(kd);
    kd -= EXP_SHIFT;
    /* One fused multiply-add would round the exact product ph + pl, not z; they could differ only where z sits
     * on a tie (k + 1/2, a double) that the exact product lies past. No float x does that (expf_check counts
     * such inputs over all 2^32: none), so z's rounding is the fused one. */
    r = (ph - kd) + pl;              /* ph - kd is exact: one rounding, as a fused multiply-add would give */
    return exp_finish(ki, r);
}

#if NM_MATH_FMA
/* The same with the fused multiply-adds that the plain build emulates: k = x 32 / ln2 rounded once to an
 * integer, r = x 32 / ln2 - k rounded once. The cubic is fused too: over all 2^32 inputs that changes no float
 * result (expf_check), though it changes the double before the final rounding. */
__attribute__((target("fma"))) float nm_expf_fma(float x)
{
    double xd = x, kd, r, s, p, y;
    uint64_t ki;
    float out;
    if (((bits_f(x) >> 20) & 0x7ff) >= (bits_f(88.0f) >> 20) && exp_special(x, &out)) return out;
    kd = __builtin_fma(xd, EXP_INV_LN2_N, EXP_SHIFT);
    ki = bits_d(kd);
    kd -= EXP_SHIFT;
    r = __builtin_fma(xd, EXP_INV_LN2_N, -kd);
    s = double_of(nm_exp_table[ki % EXP_N] + (ki << (52 - 5)));
    p = __builtin_fma(EXP_C0, r, EXP_C1);
    y = __builtin_fma(EXP_C2, r, 1.0);
    y = __builtin_fma(p, r * r, y);
    return (float)(y * s);
}
#endif

/* The FMA build where the CPU has FMA (and the OS saves the registers it uses); both give the same bits
 * (c/test/expf_check.c), so the choice changes speed only, and a call before the CPU has been probed simply
 * takes the plain build. */
float nm_expf(float x)
{
#if NM_MATH_FMA
    if (__builtin_cpu_supports("fma")) return nm_expf_fma(x);
#endif
    return nm_expf_plain(x);
}

/* nm_expf of n floats. Where the CPU has AVX2 and FMA, four at a time (eight with AVX-512): nm_expf_fma's operations on four doubles
 * per instruction (the table read by a gather), so every lane gets nm_expf_fma's bits, which are nm_expf's
 * (c/test/expf_check.c checks this too); a lane at |x| >= 88, inf or NaN takes nm_expf itself. The modulator
 * step's meta-parameters take their exps in one call instead of one call each. */
#if NM_MATH_FMA
#include <immintrin.h>
/* Four floats that were just stored one by one (the caller's arguments): read one by one, each from its store,
 * then combined; one vector load of them would wait for all four stores to reach the cache (no store forwarding
 * across stores). The empty asm keeps the compiler from merging the four loads into that load. */
__attribute__((target("avx2,fma"))) static inline __m128 load4_forwarded(const float *x)
{
    float a = x[0], b = x[1], c = x[2], d = x[3];
    __asm__("" : "+x"(a), "+x"(b), "+x"(c), "+x"(d));
    return _mm_setr_ps(a, b, c, d);
}

__attribute__((target("avx2,fma"))) static void expf4_fma(const float *x, float *y)
{
    const __m256d inv = _mm256_set1_pd(EXP_INV_LN2_N), shift = _mm256_set1_pd(EXP_SHIFT);
    __m128 xf = load4_forwarded(x);
    __m256d xd = _mm256_cvtps_pd(xf), kd, r, s, p, q;
    __m256i ki, t;
    int big = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(
        _mm_and_si128(_mm_srli_epi32(_mm_castps_si128(xf), 20), _mm_set1_epi32(0x7ff)),
        _mm_set1_epi32((int)(bits_f(88.0f) >> 20) - 1))));
    kd = _mm256_fmadd_pd(xd, inv, shift);
    ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    r = _mm256_fmsub_pd(xd, inv, kd);   /* fma(x, inv, -kd): the negation is exact */
    t = _mm256_i64gather_epi64((const long long *)(const void *)nm_exp_table,
                               _mm256_and_si256(ki, _mm256_set1_epi64x(EXP_N - 1)), 8);
    s = _mm256_castsi256_pd(_mm256_add_epi64(t, _mm256_slli_epi64(ki, 52 - 5)));
    p = _mm256_fmadd_pd(_mm256_set1_pd(EXP_C0), r, _mm256_set1_pd(EXP_C1));
    q = _mm256_fmadd_pd(_mm256_set1_pd(EXP_C2), r, _mm256_set1_pd(1.0));
    q = _mm256_fmadd_pd(p, _mm256_mul_pd(r, r), q);
    _mm_storeu_ps(y, _mm256_cvtpd_ps(_mm256_mul_pd(q, s)));
    if (big) {
        int l;
        for (l = 0; l < 4; l++)
            if (big & (1 << l)) y[l] = nm_expf_fma(x[l]);
    }
}

/* the same eight at a time, in one AVX-512 register of doubles */
__attribute__((target("avx512f,avx2,fma"))) static void expf8_avx512(const float *x, float *y)
{
    const __m512d inv = _mm512_set1_pd(EXP_INV_LN2_N), shift = _mm512_set1_pd(EXP_SHIFT);
    __m256 xf = _mm256_set_m128(load4_forwarded(x + 4), load4_forwarded(x));
    __m512d xd = _mm512_cvtps_pd(xf), kd, r, s, p, q;
    __m512i ki, t;
    int big = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(
        _mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(xf), 20), _mm256_set1_epi32(0x7ff)),
        _mm256_set1_epi32((int)(bits_f(88.0f) >> 20) - 1))));
    kd = _mm512_fmadd_pd(xd, inv, shift);
    ki = _mm512_castpd_si512(kd);
    kd = _mm512_sub_pd(kd, shift);
    r = _mm512_fmsub_pd(xd, inv, kd);
    /* the table is four registers: two two-register permutes by the index's low four bits, its fifth bit picks
     * (a gather's latency was a quarter of the function's time) */
    {
        const long long *tb = (const long long *)(const void *)nm_exp_table;
        __m512i lo = _mm512_permutex2var_epi64(_mm512_loadu_si512(tb), ki, _mm512_loadu_si512(tb + 8));
        __m512i hi = _mm512_permutex2var_epi64(_mm512_loadu_si512(tb + 16), ki, _mm512_loadu_si512(tb + 24));
        t = _mm512_mask_blend_epi64(_mm512_test_epi64_mask(ki, _mm512_set1_epi64(16)), lo, hi);
    }
    s = _mm512_castsi512_pd(_mm512_add_epi64(t, _mm512_slli_epi64(ki, 52 - 5)));
    p = _mm512_fmadd_pd(_mm512_set1_pd(EXP_C0), r, _mm512_set1_pd(EXP_C1));
    q = _mm512_fmadd_pd(_mm512_set1_pd(EXP_C2), r, _mm512_set1_pd(1.0));
    q = _mm512_fmadd_pd(p, _mm512_mul_pd(r, r), q);
    _mm256_storeu_ps(y, _mm512_cvtpd_ps(_mm512_mul_pd(q, s)));
    if (big) {
        int l;
        for (l = 0; l < 8; l++)
            if (big & (1 << l)) y[l] = nm_expf_fma(x[l]);
    }
}
#endif

void nm_expf_n(size_t n, const float *x, float *y)
{
    size_t i = 0;
#if NM_MATH_FMA
    if (n >= 8 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
        for (; i + 8 <= n; i += 8) expf8_avx512(x + i, y + i);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        for (; i + 4 <= n; i += 4) expf4_fma(x + i, y + i);
        if (i < n) {
            float xt[4] = { 0.0f, 0.0f, 0.0f, 0.0f }, yt[4];
            memcpy(xt, x + i, (n - i) * sizeof *x);
            expf4_fma(xt, yt);
            memcpy(y + i, yt, (n - i) * sizeof *y);
        }
        return;
    }
#endif
    for (; i < n; i++) y[i] = nm_expf(x[i]);
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
 * glibc's double log and cos come in an FMA and a plain build that disagree on about 1 in 10^4 and 7 in 10^4
 * of Box-Muller's inputs. The accurate paths here compute the exact value to about 2^-100 relative in
 * double-double arithmetic (plain double operations whose errors are captured exactly: Knuth's two-sum,
 * Dekker's product with a split, no FMA) and round it once, so they return the correctly rounded double unless
 * the exact value lies within about 2^-100 of a midpoint between two doubles. nm_log and nm_cos (the fast
 * paths, at the end of the file) return the same bits sooner when a cheaper estimate already decides them.
 * Both agree with glibc's builds wherever those round correctly. */
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
static double log_accurate(double x)
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
static double cos_accurate(double x)
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

/* ---- the fast paths: most calls end here ----
 * Each computes its result as hi + lo to within about 2^-68 (log) and 2^-62 (cos) of the exact value (relative;
 * the error analysis is in the comments; the largest errors seen against 200-bit arithmetic are 2^-69.1 and
 * 2^-63.8), and returns hi when every value within a margin of 2^-62 (log), 2^-61 (cos) of hi + lo rounds to
 * it: then hi is the correctly rounded result, the one the accurate path above gives (the same bits on
 * 2 x 10^8 Box-Muller draws). Otherwise (0.3% of the logs, 0.6% of the cosines) the accurate path decides.
 * Both are plain double arithmetic, so the choice between them is the same on every CPU. */
static int rounds_to_hi(dd y, double margin)
{
    double d = (y.hi < 0 ? -y.hi : y.hi) * margin;
    return y.hi + (y.lo + d) == y.hi && y.hi + (y.lo - d) == y.hi;
}

/* 1/c rounded to 10 bits and log(c') = -log(1/c) for c = j / 128, j = 90 .. 180 (300-bit arithmetic) */
static const double log_fast_table[91][3] = {
    { 0x1.6c00000000000p+0, -0x1.686c81e9b14afp-2, 0x1.ddea0f7f58e3dp-57 }, { 0x1.6800000000000p+0, -0x1.5d1bdbf5809cap-2, -0x1.4236383dc7fe1p-56 },
    { 0x1.6400000000000p+0, -0x1.51aad872df82dp-2, -0x1.3927ac19f55e3p-59 }, { 0x1.6080000000000p+0, -0x1.478cd5959b3d9p-2, -0x1.37e191a12fb48p-58 },
    { 0x1.5c80000000000p+0, -0x1.3bdd24eb14b6ap-2, -0x1.2da3c6449a7d0p-58 }, { 0x1.5900000000000p+0, -0x1.31871c9544185p-2, 0x1.51acc4c09b379p-60 },
    { 0x1.5580000000000p+0, -0x1.27161913f853dp-2, -0x1.e3ec2ac9676b8p-57 }, { 0x1.5200000000000p+0, -0x1.1c898c16999fbp-2, 0x1.0e5c62aff1c44p-60 },
    { 0x1.4e80000000000p+0, -0x1.11e0e2dad9cb7p-2, -0x1.dc0cc6917022bp-63 }, { 0x1.4b00000000000p+0, -0x1.071b85fcd590dp-2, -0x1.d1707f97bde80p-58 },
    { 0x1.4780000000000p+0, -0x1.f871b28955045p-3, -0x1.4ad6c8812d31ap-63 }, { 0x1.4480000000000p+0, -0x1.e598ed5a87e2fp-3, 0x1.a5e78f4c50659p-58 },
    { 0x1.4180000000000p+0, -0x1.d293581b6b3e7p-3, 0x1.c04a2aa97ac8ep-58 }, { 0x1.3e00000000000p+0, -0x1.bc286742d8cd6p-3, -0x1.4fce744870f55p-58 },
    { 0x1.3b00000000000p+0, -0x1.a8becfc882f19p-3, 0x1.e8c37918c39ebp-58 }, { 0x1.3800000000000p+0, -0x1.9525a9cf456b4p-3, -0x1.d904c1d4e2e26p-57 },
    { 0x1.3500000000000p+0, -0x1.815c0a14357ebp-3, 0x1.4be48073a0564p-58 }, { 0x1.3200000000000p+0, -0x1.6d60fe719d21dp-3, 0x1.caae268ecd179p-57 },
    { 0x1.2f80000000000p+0, -0x1.5c940075972b9p-3, -0x1.adccb73379cc5p-58 }, { 0x1.2c80000000000p+0, -0x1.483bccce6e3ddp-3, -0x1.29391fb1b4b22p-57 },
    { 0x1.2a00000000000p+0, -0x1.371fc201e8f74p-3, -0x1.de6cb62af18a0p-58 }, { 0x1.2700000000000p+0, -0x1.2266f190a5acbp-3, -0x1.f547bf1809e88p-57 },
    { 0x1.2480000000000p+0, -0x1.10f8e422539b1p-3, -0x1.8f798d39f1b7dp-58 }, { 0x1.2200000000000p+0, -0x1.fec9131dbeabbp-4, 0x1.5746b9981b36cp-58 },
    { 0x1.1f80000000000p+0, -0x1.db5270187d927p-4, -0x1.e15ab8607d2acp-58 }, { 0x1.1d00000000000p+0, -0x1.b78c82bb0eda1p-4, -0x1.0878cf0327e21p-61 },
    { 0x1.1a80000000000p+0, -0x1.9375e55595edep-4, 0x1.e463f9e4dd920p-59 }, { 0x1.1800000000000p+0, -0x1.6f0d28ae56b4cp-4, 0x1.906d99184b992p-58 },
    { 0x1.1580000000000p+0, -0x1.4a50d3aa1b040p-4, -0x1.ecf768c1dd57bp-61 }, { 0x1.1380000000000p+0, -0x1.2cb0283f5de1fp-4, 0x1.d359a8fde8adep-60 },
    { 0x1.1100000000000p+0, -0x1.075983598e471p-4, -0x1.80da5333c45b8p-59 }, { 0x1.0f00000000000p+0, -0x1.d276b8adb0b52p-5, -0x1.1e3c53257fd47p-61 },
    { 0x1.0c80000000000p+0, -0x1.868a83083f6cfp-5, 0x1.d09a5634943dbp-61 }, { 0x1.0a80000000000p+0, -0x1.494acc34d911cp-5, -0x1.e295bf491ccc5p-59 },
    { 0x1.0880000000000p+0, -0x1.0b94f7c196176p-5, -0x1.da43f761f4dc4p-59 }, { 0x1.0600000000000p+0, -0x1.7b91b07d5b11bp-6, 0x1.5b602ace3a510p-60 },
    { 0x1.0400000000000p+0, -0x1.fc0a8b0fc03e4p-7, 0x1.83092c59642a1p-62 }, { 0x1.0200000000000p+0, -0x1.fe02a6b106789p-8, 0x1.e44b7e3711ebfp-67 },
    { 0x1.0000000000000p+0, 0.0, 0.0 }, { 0x1.fc00000000000p-1, 0x1.010157588de71p-7, 0x1.46662d417ced0p-62 },
    { 0x1.f800000000000p-1, 0x1.0205658935847p-6, 0x1.27c8e8416e71fp-60 }, { 0x1.f480000000000p-1, 0x1.74321d3d006d3p-6, -0x1.96f016b887bf4p-60 },
    { 0x1.f080000000000p-1, 0x1.f7a9b16782856p-6, -0x1.36c720c147756p-60 }, { 0x1.ed00000000000p-1, 0x1.35c8bfaa1306bp-5, -0x1.50830a65543a4p-63 },
    { 0x1.e900000000000p-1, 0x1.788595a3577bap-5, 0x1.e5ef898b67923p-59 }, { 0x1.e580000000000p-1, 0x1.b35dd9b58baadp-5, -0x1.6526154e379dfp-61 },
    { 0x1.e200000000000p-1, 0x1.eea31c006b87cp-5, -0x1.3e4fc93b7b66cp-59 }, { 0x1.de80000000000p-1, 0x1.152b799bb3cc9p-4, -0x1.948381841487fp-58 },
    { 0x1.db00000000000p-1, 0x1.333d7f8183f4bp-4, 0x1.a92afc8ef70b1p-58 }, { 0x1.d780000000000p-1, 0x1.518874226130ap-4, 0x1.d96258b3d8a8fp-60 },
    { 0x1.d400000000000p-1, 0x1.700d30aeac0e1p-4, -0x1.72566212cdd05p-61 }, { 0x1.d100000000000p-1, 0x1.8a6477a91dc29p-4, -0x1.fa83214904842p-59 },
    { 0x1.cd80000000000p-1, 0x1.a956d3ecade63p-4, 0x1.e5300b12bd55ep-58 }, { 0x1.ca80000000000p-1, 0x1.c40d6425a5cb1p-4, 0x1.21d1930dc8acdp-60 },
    { 0x1.c700000000000p-1, 0x1.e3707ee30487bp-4, 0x1.09ccecd579d99p-58 }, { 0x1.c400000000000p-1, 0x1.fe89139dbd566p-4, -0x1.ac9f4215f9393p-58 },
    { 0x1.c100000000000p-1, 0x1.0ce7ecdccc28dp-3, -0x1.692a0055dc959p-57 }, { 0x1.be00000000000p-1, 0x1.1aa2b7e23f72ap-3, -0x1.c6ef1d9b2ef7ep-59 },
    { 0x1.bb00000000000p-1, 0x1.28753bc11aba5p-3, -0x1.6394d9fa33311p-57 }, { 0x1.b800000000000p-1, 0x1.365fcb0159016p-3, 0x1.7d411a5b944adp-58 },
    { 0x1.b500000000000p-1, 0x1.4462b9dc9b3dcp-3, -0x1.629c46c186385p-58 }, { 0x1.b200000000000p-1, 0x1.527e5e4a1b58dp-3, -0x1.71a9682395bfdp-61 },
    { 0x1.af00000000000p-1, 0x1.60b3100b09476p-3, -0x1.5b2623e05016bp-58 }, { 0x1.ac80000000000p-1, 0x1.6c9d07d203fc7p-3, 0x1.80a04c9a46c61p-59 },
    { 0x1.a980000000000p-1, 0x1.7b0091651528cp-3, 0x1.4069f303518c8p-57 }, { 0x1.a700000000000p-1, 0x1.871213750e994p-3, 0x1.d685f35eea2a0p-57 },
    { 0x1.a400000000000p-1, 0x1.95a5adcf7017fp-3, 0x1.142c507fb7a3dp-58 }, { 0x1.a180000000000p-1, 0x1.a1dfc40f1b7f1p-3, -0x1.e009e6f018fe8p-61 },
    { 0x1.9f00000000000p-1, 0x1.ae2ca6f672bd4p-3, 0x1.ab5ca9eaa088ap-57 }, { 0x1.9c00000000000p-1, 0x1.bd087383bd8adp-3, 0x1.dd355f6a516d7p-60 },
    { 0x1.9980000000000p-1, 0x1.c97f8079d44ecp-3, 0x1.61a8c6e6c4ee7p-57 }, { 0x1.9700000000000p-1, 0x1.d60a17f903515p-3, -0x1.c0df841a71b7ap-57 },
    { 0x1.9480000000000p-1, 0x1.e2a877a6b2c12p-3, -0x1.fa21e3df99430p-58 }, { 0x1.9200000000000p-1, 0x1.ef5ade4dcffe6p-3, -0x1.08ab2ddc708a0p-58 },
    { 0x1.8f80000000000p-1, 0x1.fc218be620a5ep-3, -0x1.6e438c258187fp-58 }, { 0x1.8d00000000000p-1, 0x1.047e60cde83b8p-2, -0x1.0779634061cbcp-56 },
    { 0x1.8b00000000000p-1, 0x1.09aa572e6c6d4p-2, 0x1.43c2e68684d53p-57 }, { 0x1.8880000000000p-1, 0x1.102ac0a35cc1cp-2, 0x1.088080a5e68b4p-59 },
    { 0x1.8600000000000p-1, 0x1.16b5ccbacfb73p-2, 0x1.66fbd28b40935p-56 }, { 0x1.8400000000000p-1, 0x1.1bf99635a6b95p-2, -0x1.12aeb84249223p-57 },
    { 0x1.8180000000000p-1, 0x1.22981fbef797bp-2, -0x1.0b04ac06cebe0p-59 }, { 0x1.7f80000000000p-1, 0x1.27ebaf58d8c9dp-2, -0x1.8800b4bda6c97p-57 },
    { 0x1.7d00000000000p-1, 0x1.2e9e2bce12286p-2, 0x1.8251a3b83d97ap-62 }, { 0x1.7b00000000000p-1, 0x1.3401e12aecba1p-2, -0x1.cd55b8a4746c0p-58 },
    { 0x1.7880000000000p-1, 0x1.3ac8ca38e5c5fp-2, -0x1.f7de015f253eep-56 }, { 0x1.7680000000000p-1, 0x1.403d086cea79cp-2, -0x1.0a8bb78cf7cdap-56 },
    { 0x1.7480000000000p-1, 0x1.45b8c0a17df13p-2, 0x1.dbe305eaf5a20p-56 }, { 0x1.7280000000000p-1, 0x1.4b3c077267e9ap-2, 0x1.2e5fbeb518508p-56 },
    { 0x1.7000000000000p-1, 0x1.522ae0738a3d8p-2, -0x1.8f7e9b38a6979p-57 }, { 0x1.6e00000000000p-1, 0x1.57bf753c8d1fbp-2, -0x1.0908d15f88b63p-57 },
    { 0x1.6c00000000000p-1, 0x1.5d5bddf595f30p-2, -0x1.6541148cbb8a2p-56 },
};

/* log(x) = e ln2 + log(c') + log1p(r), r = m/c' - 1 = m (1/c) - 1 computed exactly: m split into 26 + 27 bits,
 * each part's product with the 10-bit 1/c exact, |r| < 2^-7.3. ln2's high part has 11 trailing zero bits, so
 * e ln2_hi is exact. log1p(r) = r - r^2/2 + t: r^2/2 exact (Dekker), t = r^3/3 - ... - r^10/10 a plain double
 * polynomial (its rounding errors below 2^-69 of the result); the four large terms are summed exactly. */
double nm_log(double x)
{
    const double ln2_hi = 0x1.62e42fefa38p-1, ln2_lo = 0x1.ef35793c7673p-45;
    uint64_t ix;
    int e, j;
    double m, mh, ml, invc, a, b, t, r2, r4;
    dd r, q, y;
    if (!(x >= 0x1p-1022) || x > 0x1.fffffffffffffp1023) return log_accurate(x);  /* 0, subnormal, inf, NaN, < 0 */
    memcpy(&ix, &x, sizeof ix);
    e = (int)(ix >> 52) - 1023;
    m = double_of((ix & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    if (m >= 1.40625) { m *= 0.5; e += 1; }
    j = (int)(m * 128.0 + 0.5);
    invc = log_fast_table[j - 90][0];
    mh = double_of(bits_d(m) & 0xfffffffff8000000ull);     /* the top 26 bits of m */
    ml = m - mh;
    a = mh * invc - 1.0;                                    /* exact: a 36-bit product near 1 */
    r = two_sum(a, ml * invc);                              /* r.hi + r.lo = m / c' - 1 exactly */
    q = two_prod(r.hi, r.hi);                               /* r.hi^2 exactly */
    r2 = q.hi;
    r4 = r2 * r2;
    /* r^3/3 - r^4/4 + ... - r^10/10 in Estrin's order (short dependency chains) */
    t = r2 * (r.hi * 0x1.5555555555555p-2) + r4 * ((-0.25 + r.hi * 0x1.999999999999ap-3)
        + r2 * (-0x1.5555555555555p-3 + r.hi * 0x1.2492492492492p-3) + r4 * ((-0.125 + r.hi * 0x1.c71c71c71c71cp-4)
        + r2 * -0.1));
    t += r.lo * (1.0 - r.hi) - 0.5 * q.lo;
    y = two_sum((double)e * ln2_hi, log_fast_table[j - 90][1]);
    a = y.lo;
    y = two_sum(y.hi, r.hi);
    b = y.lo;
    y = two_sum(y.hi, -0.5 * q.hi);
    y = fast_two_sum(y.hi, y.lo + (a + b + ((double)e * ln2_lo + log_fast_table[j - 90][2] + t)));
    return rounds_to_hi(y, 0x1p-62) ? y.hi : log_accurate(x);
}

/* sin(t), cos(t) for t = j / 32, j = 0 .. 26, as hi, lo (300-bit arithmetic) */
static const double sincos_table[27][4] = {
    { 0.0, 0.0, 0x1.0000000000000p+0, 0.0 },
    { 0x1.ffeaaaeeee86fp-6, -0x1.cd406fb224ae2p-60, 0x1.ffc00155527d3p-1, -0x1.3b54492d89b5bp-55 },
    { 0x1.ffaaaeeed4edbp-5, -0x1.2d16d32684b69p-59, 0x1.ff0015549f4d3p-1, 0x1.328387b99426fp-55 },
    { 0x1.7f701032550e4p-4, 0x1.afc2d1800501ap-60, 0x1.fdc06bf7e6b9bp-1, 0x1.31902b535f8dbp-55 },
    { 0x1.feaaeee86ee36p-4, -0x1.afcb2bcc6f03bp-59, 0x1.fc015527d5bd3p-1, 0x1.b68f35094efb8p-55 },
    { 0x1.3eb312c5d66cbp-3, 0x1.47d666b66cb91p-57, 0x1.f9c340a7cc428p-1, 0x1.c5b6b063b7462p-55 },
    { 0x1.7dc102fbaf2b5p-3, 0x1.5ab50e23c97c3p-59, 0x1.f706bdf9ece1cp-1, -0x1.698c80c36dcb4p-55 },
    { 0x1.bc6f84edc6199p-3, 0x1.9c1a56a7b0cabp-57, 0x1.f3cc7c3b3d16ep-1, -0x1.21a3ad28a3494p-57 },
    { 0x1.faaeed4f31577p-3, -0x1.15d88508e32b8p-57, 0x1.f01549f7deea1p-1, 0x1.d3c1e99e5cafdp-55 },
    { 0x1.1c37d64c6b876p-2, 0x1.46076fe0dcff4p-56, 0x1.ebe214f76efa8p-1, -0x1.02f9f12ba543ep-55 },
    { 0x1.3ad129769d3d8p-2, 0x1.03d550487839ap-63, 0x1.e733ea0193d40p-1, -0x1.6428b3546ce13p-55 },
    { 0x1.591bc9fa2f597p-2, 0x1.7c74bac3fe0cbp-57, 0x1.e20bf49acd6c1p-1, -0x1.660aec7ef636bp-58 },
    { 0x1.7710255764214p-2, -0x1.6ead7314bb6cep-57, 0x1.dc6b7eb995912p-1, 0x1.4b364776dcd35p-58 },
    { 0x1.94a6be9f546c5p-2, -0x1.69ce13e683f58p-56, 0x1.d653f073e4040p-1, -0x1.76236434bec37p-55 },
    { 0x1.b1d8305321617p-2, -0x1.ae242cb99f519p-56, 0x1.cfc6cfa52ad9fp-1, 0x1.8b5b5508f2a0dp-55 },
    { 0x1.ce9d2e3d4a51fp-2, -0x1.2fc8a12dae298p-57, 0x1.c8c5bf8ce1a84p-1, 0x1.ab3d1a1590123p-56 },
    { 0x1.eaee8744b05f0p-2, -0x1.789b43c9b027dp-58, 0x1.c1528065b7d50p-1, -0x1.892111312e828p-55 },
    { 0x1.0362939c69955p-1, -0x1.2d8cd78397b01p-55, 0x1.b96eeef58840ep-1, 0x1.45a3cc78fade0p-58 },
    { 0x1.110d0c4b69c3bp-1, 0x1.d918998809981p-55, 0x1.b11d04162a4c6p-1, 0x1.1dd561efbc0c2p-56 },
    { 0x1.1e7343236574cp-1, 0x1.22a3fa4f41d5ap-56, 0x1.a85ed4373e02dp-1, 0x1.9be06385ec792p-57 },
    { 0x1.2b91dea88421ep-1, -0x1.fa371db216ab0p-55, 0x1.9f368ed912f85p-1, -0x1.1d200c5791606p-55 },
    { 0x1.386597456282bp-1, -0x1.10fada93b07a8p-56, 0x1.95a67e00cb1fdp-1, -0x1.0befda21f862dp-55 },
    { 0x1.44eb381cf386bp-1, -0x1.3ed6c1e6a5505p-55, 0x1.8bb105a5dc900p-1, 0x1.863e03e9474c1p-55 },
    { 0x1.511f9fd7b351cp-1, -0x1.5c0e861c48831p-55, 0x1.8158a31916d5dp-1, -0x1.de8b90b8228dep-57 },
    { 0x1.5cffc16bf8f0dp-1, 0x1.96cb370eb578ap-55, 0x1.769fec655211fp-1, -0x1.827d5cf8c68c5p-57 },
    { 0x1.6888a4e134b2fp-1, -0x1.6b7d37644d5e6p-55, 0x1.6b898fa9efb5dp-1, 0x1.15ac786ccf4b2p-56 },
    { 0x1.73b7680dea578p-1, -0x1.2248306dc12a2p-56, 0x1.6018526f563dfp-1, 0x1.46ca5e0e432d0p-55 },
};

/* cos(x) for |x| <= 8 = +-cos(r) or +-sin(r), r = x - k pi/2 = r.hi + r.lo with pi/2 in 33 + 33 + 53 bits (k p1
 * and k p2 exact, x - k p1 exact: both multiples of ulp(x), the difference below 1), then r = t + d with t = j/32
 * from the table, |d| <= 1/64: cos(t + d) = C cos d - S sin d, sin(t + d) = S cos d + C sin d, the products
 * S_hi d and C_hi d exact, cos d - 1 and sin d - d plain polynomials. The double nearest a multiple of pi/2
 * keeps |r| >= 2^-54, so the reduction's error (2^-121) stays below 2^-67 of r. */
double nm_cos(double x)
{
    const double p1 = 0x1.921fb544p+0, p2 = 0x1.0b4611a6p-34, p3 = 0x1.3198a2e037073p-69;
    double ax = x < 0 ? -x : x, kd, a, dh, dl, dz, cd, sd, neg = 1.0;
    const double *t;
    dd r, y, pr;
    int q, j;
    if (!(ax <= 8.0)) return cos_accurate(x);                /* large, inf, NaN */
    kd = (double)(int)(ax * 0x1.45f306dc9c883p-1 + 0.5);
    a = ax - kd * p1;
    r = two_sum(a, -(kd * p2));
    r = fast_two_sum(r.hi, r.lo - kd * p3);
    q = (int)kd & 3;
    if (r.hi < 0) { r.hi = -r.hi; r.lo = -r.lo; if (q & 1) neg = -1.0; }   /* sin is odd, cos even */
    j = (int)(r.hi * 32.0 + 0.5);
    t = sincos_table[j];
    dh = r.hi - j * 0.03125;                                 /* exact */
    dl = r.lo;
    dz = dh * dh;
    cd = dz * (-0.5 + dz * (0x1.5555555555555p-5 + dz * (-0x1.6c16c16c16c17p-10 + dz * 0x1.a01a01a01a01ap-16)))
         - dh * dl;                                          /* cos d - 1 */
    sd = dl + dh * dz * (-0x1.5555555555555p-3 + dz * (0x1.1111111111111p-7 + dz * (-0x1.a01a01a01a01ap-13
         + dz * 0x1.71de3a556c734p-19)));                    /* sin d - dh */
    if (q == 0 || q == 2) {                                  /* cos r = C - S dh + (C cd - S sd - S_lo dh + C_lo) */
        pr = two_prod(t[0], dh);
        y = two_sum(t[2], -pr.hi);
        y = fast_two_sum(y.hi, y.lo + ((t[3] - pr.lo) + (t[2] * cd - t[0] * sd - t[1] * dh)));
        if (q == 2) neg = -neg;
    } else {                                                 /* sin r = S + C dh + (S cd + C sd + C_lo dh + S_lo) */
        pr = two_prod(t[2], dh);
        y = two_sum(t[0], pr.hi);
        y = fast_two_sum(y.hi, y.lo + ((t[1] + pr.lo) + (t[0] * cd + t[2] * sd + t[3] * dh)));
        if (q == 1) neg = -neg;
    }
    return rounds_to_hi(y, 0x1p-61) ? neg * y.hi : cos_accurate(x);
}
