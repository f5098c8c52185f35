/* nm_math.h -- the library's own exp, log and cos (c/nm_math.c), so that no result depends on which build of
 * libm's functions the C library picks for the CPU. */
#ifndef NM_MATH_H
#define NM_MATH_H

#include <stddef.h>
#include <stdint.h>

float nm_expf(float x);
/* nm_expf's two builds, the same bits on every input (c/test/expf_check.c): plain double arithmetic that
 * emulates the fused multiply-add of the reduction, and the fused one, compiled for x86-64 CPUs with FMA
 * (GCC or clang); nm_expf takes the second where the CPU runs it. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NM_MATH_FMA 1
#else
#define NM_MATH_FMA 0
#endif
float nm_expf_plain(float x);
#if NM_MATH_FMA
float nm_expf_fma(float x);   /* only where __builtin_cpu_supports("fma") */
#endif
/* nm_expf's table of 2^(i/32) (as bits, less i 2^52 / 32), for the population step's lane-wise copy of it */
extern const uint64_t nm_exp_table[32];
/* y[i] = nm_expf(x[i]) for n floats, the same bits, several at once where the CPU allows */
void nm_expf_n(size_t n, const float *x, float *y);
float nm_logf(float x);
/* Double log and cos, correctly rounded (cos for |x| <= 8; beyond, less accurate), for nm_rng_normal. */
double nm_log(double x);
double nm_cos(double x);

#endif
