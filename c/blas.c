/*
 * blas.c -- the one BLAS shim. Shapes below NM_BLAS_MIN elements run as plain loops: for the small layers
 * typical of neuromod agents the call and threading overhead of OpenBLAS exceed the work, and plain loops
 * keep tiny agents free of any BLAS dependency in behaviour. Build with -DNM_NO_BLAS to drop OpenBLAS.
 * Larger shapes go to OpenBLAS only when the agent's kernel set allows it (k->blas: config.deterministic
 * off): OpenBLAS's results depend on its thread count and on the kernels it picks for the CPU. Deterministic
 * agents (the default) run every shape in the loops below and the kernel set's, whose order is fixed by the
 * source, so a build gives the same bits on any x86-64 CPU and thread count (measured cost: docs/performance.md).
 * Below that size the element-wise operations and gemv_bias's dot products (nm_dot4's order) run in the agent's
 * kernel set (simd.c, simd_kernels.h); nm_dot and gemv_t stay here, in one plain build.
 */
#include <string.h>
#include "nm_internal.h"
#ifndef NM_NO_BLAS
#include <cblas.h>
#endif

#ifndef NM_BLAS_MIN
#define NM_BLAS_MIN 16384
#endif

float nm_dot(size_t n, const float *a, const float *b) { return nm_dot4(n, a, b); }

void nm_gemv_bias(const nm_kernels *k, size_t rows, size_t cols, const float *restrict A, const float *restrict x,
                  const float *restrict b, float *restrict y)
{
    if (cols >= 1 && cols <= 3) { k->gemv_bias_narrow(rows, cols, A, x, b, y); return; }
#ifndef NM_NO_BLAS
    if (k->blas && rows * cols >= NM_BLAS_MIN) {
        memcpy(y, b, rows * sizeof *y);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, A, (int)cols, x, 1, 1.0f, y, 1);
        return;
    }
#endif
    k->gemv_bias(rows, cols, A, x, b, y);   /* nm_dot4's order, in the kernel set's width */
}

void nm_gemv_t(const nm_kernels *k, size_t rows, size_t cols, const float *restrict A, const float *restrict x, float *restrict y)
{
    size_t i, j;
    (void)k;
#ifndef NM_NO_BLAS
    if (k->blas && rows * cols >= NM_BLAS_MIN) {
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

/* The trace operations write the new trace to dst from the old one in src (separate buffers). Through BLAS the
 * old trace is first copied to dst, then scaled and updated there exactly as the in-place calls did. */
void nm_ger_decay(const nm_kernels *k, size_t rows, size_t cols, float decay, float alpha, const float *x,
                  const float *y, const float *src, float *dst)
{
#ifndef NM_NO_BLAS
    if (k->blas && rows * cols >= NM_BLAS_MIN) {
        cblas_scopy((int)(rows * cols), src, 1, dst, 1);
        cblas_sscal((int)(rows * cols), decay, dst, 1);
        cblas_sger(CblasRowMajor, (int)rows, (int)cols, alpha, x, 1, y, 1, dst, (int)cols);
        return;
    }
#endif
    k->ger_decay(rows, cols, decay, alpha, x, y, src, dst);
}

void nm_axpy_decay(const nm_kernels *k, size_t n, float decay, float alpha, const float *x, const float *src,
                   float *dst)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) {
        cblas_scopy((int)n, src, 1, dst, 1);
        cblas_sscal((int)n, decay, dst, 1);
        cblas_saxpy((int)n, alpha, x, 1, dst, 1);
        return;
    }
#endif
    k->axpy_decay(n, decay, alpha, x, src, dst);
}

void nm_axpy_decay_inplace(const nm_kernels *k, size_t n, float decay, float alpha, const float *x, float *e)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) {
        cblas_sscal((int)n, decay, e, 1);
        cblas_saxpy((int)n, alpha, x, 1, e, 1);
        return;
    }
#endif
    k->axpy_decay_inplace(n, decay, alpha, x, e);
}

void nm_ger_decay_inplace(const nm_kernels *k, size_t rows, size_t cols, float decay, float alpha, const float *x,
                          const float *y, float *A)
{
#ifndef NM_NO_BLAS
    if (k->blas && rows * cols >= NM_BLAS_MIN) {
        cblas_sscal((int)(rows * cols), decay, A, 1);
        cblas_sger(CblasRowMajor, (int)rows, (int)cols, alpha, x, 1, y, 1, A, (int)cols);
        return;
    }
#endif
    k->ger_decay_inplace(rows, cols, decay, alpha, x, y, A);
}

void nm_heads_dh(const nm_kernels *k, size_t n, size_t rows, int first, const float *g, const float *const *w,
                 float *dh)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) {   /* nm_head_backward's dh there */
        size_t r;
        if (first) memset(dh, 0, n * sizeof *dh);
        for (r = 0; r < rows; r++) nm_axpy(k, n, g[r], w[r], dh);
        return;
    }
#endif
    k->heads_dh(n, rows, first, g, w, dh);
}

void nm_heads_trace(const nm_kernels *k, size_t n, size_t rows, float decay, const float *g, float *const *e,
                    const float *h)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) {   /* nm_head_backward's trace rows there */
        size_t r;
        for (r = 0; r < rows; r++) nm_axpy_decay_inplace(k, n, decay, g[r], h, e[r]);
        return;
    }
#endif
    k->heads_trace(n, rows, decay, g, e, h);
}

void nm_head_backward(const nm_kernels *k, size_t n, float decay, float g, const float *h, const float *src,
                      float *dst, const float *w, float *dh)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) { nm_axpy_decay(k, n, decay, g, h, src, dst); nm_axpy(k, n, g, w, dh); return; }
#endif
    k->head_backward(n, decay, g, h, src, dst, w, dh);
}

void nm_axpy(const nm_kernels *k, size_t n, float alpha, const float *x, float *y)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) { cblas_saxpy((int)n, alpha, x, 1, y, 1); return; }
#endif
    k->axpy(n, alpha, x, y);
}

void nm_scal(const nm_kernels *k, size_t n, float alpha, float *x)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) { cblas_sscal((int)n, alpha, x, 1); return; }
#endif
    k->scal(n, alpha, x);
}

void nm_scal_to(const nm_kernels *k, size_t n, float alpha, const float *src, float *dst)
{
#ifndef NM_NO_BLAS
    if (k->blas && n >= NM_BLAS_MIN) { cblas_scopy((int)n, src, 1, dst, 1); cblas_sscal((int)n, alpha, dst, 1); return; }
#endif
    k->scal_to(n, alpha, src, dst);
}
