/* expf_check.c -- nm_expf's builds (c/nm_math.c) against the nm_expf they replaced, bit for bit, over every
 * STRIDE-th float bit pattern from 0 to 2^32 - 1 (STRIDE 1: all of them, `make expf-check`; `make test` runs a
 * stride of 101). The reference below is that function verbatim: the reduction's fused multiply-add emulated
 * with a two-part product and a tie check before rounding. The plain build, the FMA build (where the CPU has
 * FMA), nm_expf itself and nm_expf_n (eight inputs a call, the AVX-512 way where the CPU has it, and four, the AVX2 way) must each return its bits on every input checked and on
 * two pinned inputs. The full
 * run also counts the inputs where the reference's tie check changes k (none: so the plain build omits it),
 * and fails if there are any. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nm_math.h"

static uint32_t bits_f(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static double double_of(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

static float reference_expf(float x)
{
    const double inv_ln2_n = 0x1.71547652b82fep+0 * 32, shift = 0x1.8p+52;
    const double inv_hi = 0x1.7154765p+5, inv_lo = inv_ln2_n - inv_hi;
    const double c0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32, c1 = 0x1.ebfce50fac4f3p-3 / 32 / 32,
                 c2 = 0x1.62e42ff0c52d6p-1 / 32;
    uint32_t top = (bits_f(x) >> 20) & 0x7ff;
    double xd = x, ph, pl, z, e, kd, r, r2, y, s;
    uint64_t ki, t;
    if (top >= (bits_f(88.0f) >> 20)) {
        if (bits_f(x) == 0xff800000u) return 0.0f;
        if (top >= 0x7f8) return x + x;
        if (x > 0x1.62e42ep6f) return float_of(0x7f800000u);
        if (x < -0x1.9fe368p6f) return 0.0f;
    }
    ph = inv_hi * xd;
    pl = inv_lo * xd;
    z = ph + pl;
    e = pl - (z - ph);
    kd = z + shift;
    kd -= shift;
    if (z - kd == 0.5 && e > 0) kd += 1.0;
    else if (z - kd == -0.5 && e < 0) kd -= 1.0;
    ki = (uint64_t)(int64_t)kd;
    r = (ph - kd) + pl;
    t = nm_exp_table[ki % 32] + (ki << (52 - 5));
    s = double_of(t);
    z = c0 * r + c1;
    r2 = r * r;
    y = c2 * r + 1.0;
    y = z * r2 + y;
    return (float)(y * s);
}

/* 1 if x rounds x 32 / ln2 onto a tie that the exact product lies past (the reference's correction fires) */
static int tie_corrected(float x)
{
    const double inv_hi = 0x1.7154765p+5, inv_lo = 0x1.71547652b82fep+0 * 32 - inv_hi, shift = 0x1.8p+52;
    double ph = inv_hi * (double)x, pl = inv_lo * (double)x, z = ph + pl, e = pl - (z - ph), kd = (z + shift) - shift;
    return (z - kd == 0.5 && e > 0) || (z - kd == -0.5 && e < 0);
}

int main(int argc, char **argv)
{
    /* x, exp(x): the two inputs where glibc's expf without FMA gives the float below (c/test/math_check.c) */
    static const float pins[][2] = { { 0x1.04845ep+5f, 0x1.f93e38p+46f }, { -0x1.f8cbb2p+5f, 0x1.f45326p-92f } };
    uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 101, u, n = 0, ties = 0;
    uint64_t bad_plain = 0, bad_fma = 0, bad_disp = 0, bad_n = 0;
    float bx[8], by[8], by4[8];
    uint32_t bw[8];
    size_t nb = 0;
    int fma = 0, failed;
    size_t i;
#if NM_MATH_FMA
    __builtin_cpu_init();
    fma = __builtin_cpu_supports("fma");
#endif
    if (stride < 1) stride = 1;
    for (i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        float x = pins[i][0];
        uint32_t want = bits_f(pins[i][1]);
        int ok = bits_f(reference_expf(x)) == want && bits_f(nm_expf_plain(x)) == want &&
                 bits_f(nm_expf(x)) == want;
#if NM_MATH_FMA
        if (fma) ok = ok && bits_f(nm_expf_fma(x)) == want;
#endif
        if (!ok) { printf("expf_check: pinned input %a: wrong\n", (double)x); bad_plain++; }
    }
    for (u = 0; u <= 0xffffffffull; u += stride) {
        float x = float_of((uint32_t)u);
        uint32_t want = bits_f(reference_expf(x));
        n++;
        if (stride == 1 && x >= -0x1.9fe368p6f && x <= 0x1.62e42ep6f) ties += (uint64_t)tie_corrected(x);
        if (bits_f(nm_expf_plain(x)) != want && bad_plain++ < 5)
            printf("nm_expf_plain(%a) = %a, the reference %a\n", (double)x, (double)nm_expf_plain(x),
                   (double)float_of(want));
#if NM_MATH_FMA
        if (fma && bits_f(nm_expf_fma(x)) != want && bad_fma++ < 5)
            printf("nm_expf_fma(%a) = %a, the reference %a\n", (double)x, (double)nm_expf_fma(x),
                   (double)float_of(want));
#endif
        if (bits_f(nm_expf(x)) != want && bad_disp++ < 5)
            printf("nm_expf(%a) = %a, the reference %a\n", (double)x, (double)nm_expf(x), (double)float_of(want));
        bx[nb] = x;
        bw[nb++] = want;
        if (nb == 8 || u + stride > 0xffffffffull) {
            nm_expf_n(nb, bx, by);
            nm_expf_n(nb < 4 ? nb : 4, bx, by4);   /* four wide, and the rest */
            if (nb > 4) nm_expf_n(nb - 4, bx + 4, by4 + 4);
            for (i = 0; i < nb; i++)
                if ((bits_f(by[i]) != bw[i] || bits_f(by4[i]) != bw[i]) && bad_n++ < 5)
                    printf("nm_expf_n: x %a gives %a, the reference %a\n", (double)bx[i], (double)by[i],
                           (double)float_of(bw[i]));
            nb = 0;
        }
    }
    failed = bad_plain || bad_fma || bad_disp || bad_n || ties;
    printf("expf_check: %" PRIu64 " inputs (every %" PRIu64 "th bit pattern; FMA build %s): differ from the "
           "reference: plain %" PRIu64 ", fma %" PRIu64 ", nm_expf %" PRIu64 ", nm_expf_n %" PRIu64, n, stride,
           fma ? "checked" : "not run (no FMA)", bad_plain, bad_fma, bad_disp, bad_n);
    if (stride == 1) printf("; tie corrections %" PRIu64, ties);
    printf("\nc: %d passed, %d failed\n", !failed, failed);
    return failed;
}
