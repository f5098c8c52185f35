/* rng.c -- xoshiro256** (Blackman & Vigna 2018) seeded by splitmix64; the only randomness in neuromod. */
#include <math.h>
#include "nm_internal.h"
#include "nm_math.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void nm_rng_seed(nm_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    int i;
    if (!rng) return;
    for (i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

uint64_t nm_rng_next(nm_rng *rng)
{
    uint64_t *s, result, t;
    if (!rng) return 0;
    s = rng->s;
    result = rotl(s[1] * 5, 7) * 9;
    t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nm_rng_uniform(nm_rng *rng) { return rng ? (double)(nm_rng_next(rng) >> 11) * 0x1.0p-53 : 0.0; }

nm_status nm_rng_range(nm_rng *rng, int64_t lo, int64_t hi, int64_t *out)
{
    uint64_t span, limit, r;
    if (!rng || !out || lo > hi) return NM_ERR_ARG;
    span = (uint64_t)hi - (uint64_t)lo; /* hi - lo, as unsigned: no overflow */
    if (span == UINT64_MAX) { *out = (int64_t)nm_rng_next(rng); return NM_OK; }
    span += 1;
    /* reject the top partial bucket so every value is equally likely */
    limit = UINT64_MAX - ((UINT64_MAX % span) + 1) % span;
    do r = nm_rng_next(rng); while (r > limit);
    *out = (int64_t)((uint64_t)lo + r % span);
    return NM_OK;
}

double nm_rng_normal(nm_rng *rng, double mu, double sigma)
{
    /* Box-Muller with u1 in (0, 1] so the log is finite; one draw per call keeps the state a plain seed. The log
     * and cos are the library's own, correctly rounded, so the draw is the same on every CPU (libm's builds
     * differ per CPU); sqrt is exact in IEEE arithmetic. */
    double u1, u2;
    if (!rng) return mu;
    u1 = 1.0 - nm_rng_uniform(rng);
    u2 = nm_rng_uniform(rng);
    return mu + sigma * sqrt(-2.0 * nm_log(u1)) * nm_cos(6.283185307179586 * u2);
}
