/* nm_math.h -- the library's own exp and log (c/nm_math.c), so that no result depends on which build of libm's
 * functions the C library picks for the CPU. */
#ifndef NM_MATH_H
#define NM_MATH_H

float nm_expf(float x);
float nm_logf(float x);
/* Double log and cos, correctly rounded (cos for |x| <= 8), for nm_rng_normal: the same bits on any CPU. */
double nm_log(double x);
double nm_cos(double x);

#endif
