/* nm_math.h -- the library's own exp, log and cos (c/nm_math.c), so that no result depends on which build of
 * libm's functions the C library picks for the CPU. */
#ifndef NM_MATH_H
#define NM_MATH_H

#include <stdint.h>

float nm_expf(float x);
/* nm_expf's table of 2^(i/32) (as bits, less i 2^52 / 32), for the population step's lane-wise copy of it */
extern const uint64_t nm_exp_table[32];
float nm_logf(float x);
/* Double log and cos, correctly rounded (cos for |x| <= 8; beyond, less accurate), for nm_rng_normal. */
double nm_log(double x);
double nm_cos(double x);

#endif
