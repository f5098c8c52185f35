/* nm_math.h -- the library's own exp and log (c/nm_math.c), so that no result depends on which build of libm's
 * functions the C library picks for the CPU. */
#ifndef NM_MATH_H
#define NM_MATH_H

float nm_expf(float x);
float nm_logf(float x);

#endif
