/* nm_math.h -- the library's own exp, log and cos (c/nm_math.c), so that no result depends on which build of
 * libm's functions the C library picks for the CPU. */
#ifndef NM_MATH_H
#define NM_MATH_H

float nm_expf(float x);
float nm_logf(float x);
/* Double log and cos, correctly rounded (cos for |x| <= 8; beyond, less accurate), for nm_rng_normal. */
double nm_log(double x);
double nm_cos(double x);

#endif
