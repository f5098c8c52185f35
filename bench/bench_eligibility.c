/*
 * bench_eligibility.c -- what the recurrent layer's eligibility form costs, without the library: the core loop of
 * learn's fused pass over an n x (3 + n + 1) layer (c/simd_kernels.h, rec_update_cols) in two forms.
 *
 *   per synapse (the layer's, RFLO's): eps = leak eps + z_j D_i;  e = decay e + g_i eps;  W += step e
 *       (three arrays the size of the weights, 8 operations a synapse)
 *   factorised (e-prop's for units that integrate their input before the nonlinearity, as its LIF neurons do):
 *       zbar_j = leak zbar_j + alpha z_j (one per column);  e = decay e + c_i zbar_j;  W += step e
 *       (two arrays, 5 operations a synapse)
 *
 * The factorised form needs another neuron model (v = leak v + alpha W z, h = f(gain v): the nonlinearity after
 * the leak), so it is not a faster build of the same rule; docs/decisions.md says why the layer keeps RFLO's.
 * Both loops are written as the library's kernels are (GNU C vector types, no contraction), for 4-float (SSE2, the
 * generic set) and 8-float (AVX2) vectors. Prints the best CPU time of 5 runs, ns per pass.
 *
 *   bench_eligibility [PASSES]
 */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { MAXN = 256, MAXC = 3 + MAXN + 1 };
static float eps[MAXN * MAXC], e[MAXN * MAXC], W[MAXN * MAXC], D[MAXN], g[MAXN], z[MAXC], zbar[MAXC];

/* one copy of both loops per vector width: the units eight registers at a time, then four (as the layer's kernel),
 * every column of those units before the next ones; R is a constant in each inlined copy */
#define ELIG_KERNELS(SUFFIX, ATTR, FLOATS)                                                                     \
typedef float vf_##SUFFIX __attribute__((vector_size(4 * FLOATS), aligned(4), may_alias));                    \
ATTR __attribute__((always_inline)) static inline void per_synapse_block_##SUFFIX(                              \
    int R, size_t n, size_t i0, size_t cols, float leak, float decay, float step)                             \
{                                                                                                              \
    size_t j; int k;                                                                                           \
    for (j = 0; j < cols; j++) {                                                                               \
        float *ep = eps + j * n + i0, *ee = e + j * n + i0, *ww = W + j * n + i0, zj = z[j];                   \
        for (k = 0; k < R; k++) {                                                                              \
            vf_##SUFFIX v = leak * *(vf_##SUFFIX *)(ep + k * FLOATS)                                            \
                            + zj * *(const vf_##SUFFIX *)(D + i0 + k * FLOATS), t;                              \
            *(vf_##SUFFIX *)(ep + k * FLOATS) = v;                                                             \
            t = decay * *(vf_##SUFFIX *)(ee + k * FLOATS) + *(const vf_##SUFFIX *)(g + i0 + k * FLOATS) * v;   \
            *(vf_##SUFFIX *)(ee + k * FLOATS) = t;                                                             \
            *(vf_##SUFFIX *)(ww + k * FLOATS) = *(vf_##SUFFIX *)(ww + k * FLOATS) + step * t;                  \
        }                                                                                                      \
    }                                                                                                          \
}                                                                                                              \
ATTR __attribute__((always_inline)) static inline void factorised_block_##SUFFIX(                               \
    int R, size_t n, size_t i0, size_t cols, float decay, float step)                                         \
{                                                                                                              \
    size_t j; int k;                                                                                           \
    for (j = 0; j < cols; j++) {                                                                               \
        float *ee = e + j * n + i0, *ww = W + j * n + i0, zj = zbar[j];                                        \
        for (k = 0; k < R; k++) {                                                                              \
            vf_##SUFFIX t = decay * *(vf_##SUFFIX *)(ee + k * FLOATS)                                          \
                            + *(const vf_##SUFFIX *)(g + i0 + k * FLOATS) * zj;                                \
            *(vf_##SUFFIX *)(ee + k * FLOATS) = t;                                                             \
            *(vf_##SUFFIX *)(ww + k * FLOATS) = *(vf_##SUFFIX *)(ww + k * FLOATS) + step * t;                  \
        }                                                                                                      \
    }                                                                                                          \
}                                                                                                              \
ATTR __attribute__((noinline)) static void per_synapse_##SUFFIX(size_t n, size_t cols, float leak, float decay, \
                                                                float step)                                    \
{                                                                                                              \
    size_t i0 = 0;                                                                                             \
    for (; i0 + 8 * FLOATS <= n; i0 += 8 * FLOATS) per_synapse_block_##SUFFIX(8, n, i0, cols, leak, decay, step); \
    for (; i0 + 4 * FLOATS <= n; i0 += 4 * FLOATS) per_synapse_block_##SUFFIX(4, n, i0, cols, leak, decay, step); \
}                                                                                                              \
ATTR __attribute__((noinline)) static void factorised_##SUFFIX(size_t n, size_t cols, float leak, float alpha,   \
                                                               float decay, float step)                        \
{                                                                                                              \
    size_t i0 = 0, j;                                                                                          \
    for (j = 0; j < cols; j++) zbar[j] = leak * zbar[j] + alpha * z[j];                                        \
    for (; i0 + 8 * FLOATS <= n; i0 += 8 * FLOATS) factorised_block_##SUFFIX(8, n, i0, cols, decay, step);       \
    for (; i0 + 4 * FLOATS <= n; i0 += 4 * FLOATS) factorised_block_##SUFFIX(4, n, i0, cols, decay, step);       \
}

ELIG_KERNELS(sse2, , 4)
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2_COPY 1
ELIG_KERNELS(avx2, __attribute__((target("avx2"))), 8)
#else
#define HAVE_AVX2_COPY 0
#endif

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void fill(size_t n, size_t cols)
{
    size_t i;
    for (i = 0; i < n * cols; i++) { eps[i] = 0.01f * (float)(i % 7); e[i] = 0.02f * (float)(i % 5); W[i] = 0.1f; }
    for (i = 0; i < n; i++) { D[i] = 0.1f; g[i] = 0.2f; }
    for (i = 0; i < cols; i++) { z[i] = 0.3f; zbar[i] = 0.0f; }
}

/* ns per pass, the best of 5 runs; the step alternates in sign so that the weights stay put */
static double time_form(int wide, int factorised, size_t n, long passes)
{
    size_t cols = 3 + n + 1;
    double best = 1e30;
    int run;
    long p;
    fill(n, cols);
    for (run = 0; run < 5; run++) {
        double t0 = cpu_now();
        for (p = 0; p < passes; p++) {
            float step = (p & 1) ? 1e-7f : -1e-7f;
#if HAVE_AVX2_COPY
            if (wide) {
                if (factorised) factorised_avx2(n, cols, 0.8f, 0.2f, 0.81f, step);
                else per_synapse_avx2(n, cols, 0.8f, 0.81f, step);
                continue;
            }
#endif
            if (factorised) factorised_sse2(n, cols, 0.8f, 0.2f, 0.81f, step);
            else per_synapse_sse2(n, cols, 0.8f, 0.81f, step);
        }
        double t = cpu_now() - t0;
        if (t < best) best = t;
    }
    return 1e9 * best / (double)passes;
}

int main(int argc, char **argv)
{
    static const size_t widths[] = { 32, 64, 256 };
    long passes = argc > 1 ? atol(argv[1]) : 100000;
    int wide;
    size_t w;
    if (passes <= 0) { fprintf(stderr, "bench_eligibility: PASSES must be a positive count\n"); return 2; }
    printf("learn's fused pass over a recurrent layer (3 inputs), two eligibility forms: ns per pass, best of 5\n");
    printf("  vectors  units  per synapse  factorised   ratio\n");
    for (wide = 0; wide <= HAVE_AVX2_COPY; wide++) {
#if HAVE_AVX2_COPY
        __builtin_cpu_init();
        if (wide && !__builtin_cpu_supports("avx2")) break;
#endif
        for (w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            size_t n = widths[w];
            long np = n > 64 ? passes / 16 : passes;
            double a = time_form(wide, 0, n, np), b = time_form(wide, 1, n, np);
            printf("  %-7s  %5zu  %11.0f  %10.0f  %6.2fx\n", wide ? "avx2" : "sse2", n, a, b, a / b);
        }
    }
    printf("(%g: keeps the passes' results live)\n", (double)(W[5] + e[7] + eps[9] + zbar[2]));
    return 0;
}
