/*
 * blas.c -- the one BLAS shim. Shapes below NM_BLAS_MIN elements run as plain loops: for the small layers
 * typical of neuromod agents the call and threading overhead of OpenBLAS exceed the work, and plain loops
 * keep tiny agents free of any BLAS dependency in behaviour. Build with -DNM_NO_BLAS to drop OpenBLAS.
 * The choice depends only on the shape, so a given agent always takes the same path (determinism).
 */
#include <string.h>
#include "nm_internal.h"
#ifndef NM_NO_BLAS
#include <cblas.h>
#endif

#ifndef NM_BLAS_MIN
#define NM_BLAS_MIN 16384
#endif

#if defined(__GNUC__)
#define NM_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define NM_ALWAYS_INLINE inline
#endif

/* Four partial sums in a fixed order: the loop is no longer one chain of dependent adds (it pipelines and
 * vectorises without -ffast-math), and the result is still the same on every run and from every binding.
 * Inlined into the gemv loops: for the 16 x 3 first layer of a small agent the call cost more than the row. */
static NM_ALWAYS_INLINE float dot4(size_t n, const float *restrict a, const float *restrict b)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += a[j] * b[j];
        s1 += a[j + 1] * b[j + 1];
        s2 += a[j + 2] * b[j + 2];
        s3 += a[j + 3] * b[j + 3];
    }
    for (; j < n; j++) s0 += a[j] * b[j];
    return (s0 + s1) + (s2 + s3);
}

float nm_dot(size_t n, const float *a, const float *b) { return dot4(n, a, b); }

/* Fewer than 4 columns (a task with 1 to 3 inputs, such as Go/No-Go): dot4 is then one short scalar chain
 * per row, and the per-row loop costs more than its arithmetic (64 rows x 3 columns took most of a forward
 * pass). These loops run across rows with the column count fixed, which vectorises, and do each row's
 * operations in dot4's order, ((0 + a0 x0) + a1 x1 + a2 x2 + 0) + 0, so every result is bit-for-bit the same. */
#define NM_DOT4_TAIL(s) (((s) + 0.0f) + 0.0f)
static void gemv_bias_narrow(size_t rows, size_t cols, const float *restrict A, const float *restrict x,
                             const float *restrict b, float *restrict y)
{
    size_t i;
    float x0 = x[0], x1 = cols > 1 ? x[1] : 0.0f, x2 = cols > 2 ? x[2] : 0.0f;
    switch (cols) {
    case 1:
        for (i = 0; i < rows; i++) y[i] = b[i] + NM_DOT4_TAIL(0.0f + A[i] * x0);
        break;
    case 2:
        for (i = 0; i < rows; i++) y[i] = b[i] + NM_DOT4_TAIL((0.0f + A[2 * i] * x0) + A[2 * i + 1] * x1);
        break;
    default:
        /* 4 rows at a time: 12 contiguous floats, which vectorises 4 wide (a stride-3 loop only 2 wide) */
        for (i = 0; i + 4 <= rows; i += 4) {
            const float *r = A + 3 * i;
            y[i] = b[i] + NM_DOT4_TAIL(((0.0f + r[0] * x0) + r[1] * x1) + r[2] * x2);
            y[i + 1] = b[i + 1] + NM_DOT4_TAIL(((0.0f + r[3] * x0) + r[4] * x1) + r[5] * x2);
            y[i + 2] = b[i + 2] + NM_DOT4_TAIL(((0.0f + r[6] * x0) + r[7] * x1) + r[8] * x2);
            y[i + 3] = b[i + 3] + NM_DOT4_TAIL(((0.0f + r[9] * x0) + r[10] * x1) + r[11] * x2);
        }
        for (; i < rows; i++)
            y[i] = b[i] + NM_DOT4_TAIL(((0.0f + A[3 * i] * x0) + A[3 * i + 1] * x1) + A[3 * i + 2] * x2);
    }
}

void nm_gemv_bias(size_t rows, size_t cols, const float *restrict A, const float *restrict x,
                  const float *restrict b, float *restrict y)
{
    size_t i;
    if (cols >= 1 && cols <= 3) { gemv_bias_narrow(rows, cols, A, x, b, y); return; }
#ifndef NM_NO_BLAS
    if (rows * cols >= NM_BLAS_MIN) {
        memcpy(y, b, rows * sizeof *y);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, A, (int)cols, x, 1, 1.0f, y, 1);
        return;
    }
#endif
    for (i = 0; i < rows; i++) y[i] = b[i] + dot4(cols, A + i * cols, x);
}

/* Eight partial sums (four 2-double vector chains): with four, the sum over a trace of a few hundred floats
 * was a long chain of dependent adds, the slowest part of learn. The order is still fixed. */
double nm_sumsq(size_t n, const float *a)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        s0 += (double)a[j] * a[j];
        s1 += (double)a[j + 1] * a[j + 1];
        s2 += (double)a[j + 2] * a[j + 2];
        s3 += (double)a[j + 3] * a[j + 3];
        s4 += (double)a[j + 4] * a[j + 4];
        s5 += (double)a[j + 5] * a[j + 5];
        s6 += (double)a[j + 6] * a[j + 6];
        s7 += (double)a[j + 7] * a[j + 7];
    }
    for (; j < n; j++) s0 += (double)a[j] * a[j];
    return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
}

void nm_gemv_t(size_t rows, size_t cols, const float *restrict A, const float *restrict x, float *restrict y)
{
    size_t i, j;
#ifndef NM_NO_BLAS
    if (rows * cols >= NM_BLAS_MIN) {
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)cols, 1.0f, A, (int)cols, x, 1, 1.0f, y, 1);
        return;
    }
#endif
    for (i = 0; i < rows; i++) {
        const float *r = A + i * cols;
        float xi = x[i];
        if (xi == 0.0f) continue;
        for (j = 0; j < cols; j++) y[j] += r[j] * xi;
    }
}

/* decayed trace entry d plus a x v, or d alone when a is 0 (the row has no gradient) */
#define NM_DECAY_ADD(a, d, v) ((a) == 0.0f ? (d) : (d) + (a) * (v))

void nm_ger_decay(size_t rows, size_t cols, float decay, float alpha, const float *restrict x,
                  const float *restrict y, float *restrict A)
{
    size_t i, j;
#ifndef NM_NO_BLAS
    if (rows * cols >= NM_BLAS_MIN) {
        cblas_sscal((int)(rows * cols), decay, A, 1);
        cblas_sger(CblasRowMajor, (int)rows, (int)cols, alpha, x, 1, y, 1, A, (int)cols);
        return;
    }
#endif
    if (cols == 3) {
        /* the narrow first layer again: 4 rows are 12 contiguous floats, written out so that they
         * vectorise (a per-row loop of 3 does not); a row whose ax is 0 only decays, as below */
        float y0 = y[0], y1 = y[1], y2 = y[2];
        for (i = 0; i + 4 <= rows; i += 4) {
            float a0 = alpha * x[i], a1 = alpha * x[i + 1], a2 = alpha * x[i + 2], a3 = alpha * x[i + 3];
            float *r = A + 3 * i, d[12];
            int k;
            for (k = 0; k < 12; k++) d[k] = decay * r[k];
            r[0] = NM_DECAY_ADD(a0, d[0], y0); r[1] = NM_DECAY_ADD(a0, d[1], y1); r[2] = NM_DECAY_ADD(a0, d[2], y2);
            r[3] = NM_DECAY_ADD(a1, d[3], y0); r[4] = NM_DECAY_ADD(a1, d[4], y1); r[5] = NM_DECAY_ADD(a1, d[5], y2);
            r[6] = NM_DECAY_ADD(a2, d[6], y0); r[7] = NM_DECAY_ADD(a2, d[7], y1); r[8] = NM_DECAY_ADD(a2, d[8], y2);
            r[9] = NM_DECAY_ADD(a3, d[9], y0); r[10] = NM_DECAY_ADD(a3, d[10], y1); r[11] = NM_DECAY_ADD(a3, d[11], y2);
        }
        for (; i < rows; i++) {
            float ax = alpha * x[i], *r = A + 3 * i;
            r[0] = NM_DECAY_ADD(ax, decay * r[0], y0);
            r[1] = NM_DECAY_ADD(ax, decay * r[1], y1);
            r[2] = NM_DECAY_ADD(ax, decay * r[2], y2);
        }
        return;
    }
    for (i = 0; i < rows; i++) {
        float ax = alpha * x[i];
        float *r = A + i * cols;
        if (ax == 0.0f)
            for (j = 0; j < cols; j++) r[j] *= decay;
        else
            for (j = 0; j < cols; j++) r[j] = decay * r[j] + ax * y[j];
    }
}

void nm_axpy_decay(size_t n, float decay, float alpha, const float *restrict x, float *restrict y)
{
    size_t i;
#ifndef NM_NO_BLAS
    if (n >= NM_BLAS_MIN) { cblas_sscal((int)n, decay, y, 1); cblas_saxpy((int)n, alpha, x, 1, y, 1); return; }
#endif
    for (i = 0; i < n; i++) y[i] = decay * y[i] + alpha * x[i];
}

void nm_axpy(size_t n, float alpha, const float *restrict x, float *restrict y)
{
    size_t i;
#ifndef NM_NO_BLAS
    if (n >= NM_BLAS_MIN) { cblas_saxpy((int)n, alpha, x, 1, y, 1); return; }
#endif
    for (i = 0; i < n; i++) y[i] += alpha * x[i];
}

void nm_scal(size_t n, float alpha, float *x)
{
    size_t i;
#ifndef NM_NO_BLAS
    if (n >= NM_BLAS_MIN) { cblas_sscal((int)n, alpha, x, 1); return; }
#endif
    for (i = 0; i < n; i++) x[i] *= alpha;
}
