/*
 * simd_kernels.h -- the element-wise kernels of a step, written once and compiled by simd.c for each
 * instruction set it dispatches to (plain x86-64 SSE2, AVX2, AVX-512; elsewhere the plain build only).
 *
 * Not a normal header: simd.c defines NM_KERNEL(name), which gives each copy its suffix, NM_KERNEL_ATTR, its
 * target attribute, NM_KERNEL_WIDE (1 for AVX2 and up, where a loop may be laid out differently) and
 * NM_KERNEL_FLOATS (floats in one of its vector registers: 4, 8, 16), then includes this file once per
 * instruction set.
 *
 * Why every copy gives the same bits: each kernel only multiplies and adds element by element, in the order
 * the source spells out, and the build neither contracts a*b+c into an FMA (-std=c99 and -ffp-contract=off)
 * nor reassociates (no -ffast-math). Wider vectors then do the same IEEE operations on more elements at
 * once. Reductions (dot products, sums of squares) are not here: their partial sums are laid out for 4-wide
 * vectors, and a wider build of them was slower, not faster (blas.c keeps them). A C test runs one agent
 * under every kernel set the machine supports and requires identical state hashes.
 */

/* four registers an iteration, then the rest: the loop's control was half of a one-register loop's instructions
 * (learn's weight update, n_traced long, is the step's longest axpy); each element's arithmetic is unchanged */
NM_KERNEL_ATTR static void NM_KERNEL(axpy)(size_t n, float alpha, const float *restrict x, float *restrict y)
{
    enum { B = 4 * NM_KERNEL_FLOATS };
    size_t i = 0, k;
    for (; i + B <= n; i += B)
        for (k = 0; k < B; k++) y[i + k] += alpha * x[i + k];
    for (; i < n; i++) y[i] += alpha * x[i];
}

/* The trace kernels come in two forms. act's usual step writes the trace in place (axpy_decay_inplace,
 * ger_decay_inplace, scal): one pointer, each element read then written by the same iteration. Its fallback
 * (learner_rate.c) reads the old trace from src and writes the new one to a separate dst (axpy_decay, scal_to,
 * head_backward, ger_decay), which must not overlap src. Both forms do the same operations in the same order. */
NM_KERNEL_ATTR static void NM_KERNEL(axpy_decay)(size_t n, float decay, float alpha, const float *restrict x,
                                                 const float *restrict src, float *restrict dst)
{
    size_t i;
    for (i = 0; i < n; i++) dst[i] = decay * src[i] + alpha * x[i];
}

/* e = decay e + alpha x: axpy_decay with dst = src */
NM_KERNEL_ATTR static void NM_KERNEL(axpy_decay_inplace)(size_t n, float decay, float alpha, const float *restrict x,
                                                         float *restrict e)
{
    size_t i;
    for (i = 0; i < n; i++) e[i] = decay * e[i] + alpha * x[i];
}

NM_KERNEL_ATTR static void NM_KERNEL(scal)(size_t n, float alpha, float *restrict x)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] *= alpha;
}

/* dst = src * alpha: scal's arithmetic, out of place */
NM_KERNEL_ATTR static void NM_KERNEL(scal_to)(size_t n, float alpha, const float *restrict src, float *restrict dst)
{
    size_t i;
    for (i = 0; i < n; i++) dst[i] = src[i] * alpha;
}

/* sum_j a_j b_j in nm_dot4's order (nm_internal.h): four partial sums (lane j mod 4), the tail into the first, then
 * (s0 + s1) + (s2 + s3). The wide sets multiply eight floats at once and add the two halves to the four sums in
 * turn: each sum gets the same products in the same order, so every set gives nm_dot4's bits, in about half its
 * instructions (the heads, the predictor and layers of 4 or more inputs take a dot product per row). */
NM_KERNEL_ATTR static inline float NM_KERNEL(dot)(size_t n, const float *restrict a, const float *restrict b)
{
#if NM_KERNEL_WIDE && (defined(__GNUC__) || defined(__clang__))
    size_t j = 0;
    typedef float v4 __attribute__((vector_size(16), aligned(4), may_alias));
    typedef float v8 __attribute__((vector_size(32), aligned(4), may_alias));
    v4 s = { 0.0f, 0.0f, 0.0f, 0.0f }, lo, hi;
    v8 p;
    float s0;
#define NM_DOT_ADD8(o) (p = *(const v8 *)(const void *)(a + j + (o)) * *(const v8 *)(const void *)(b + j + (o)), \
                        memcpy(&lo, &p, sizeof lo), memcpy(&hi, (const char *)&p + sizeof lo, sizeof hi), \
                        s = s + lo, s = s + hi)
    for (; j + 16 <= n; j += 16) {   /* two at a time: the loop's count once per 16 floats */
        NM_DOT_ADD8(0);
        NM_DOT_ADD8(8);
    }
    if (j + 8 <= n) {
        NM_DOT_ADD8(0);
        j += 8;
    }
#undef NM_DOT_ADD8
    if (j + 4 <= n) {
        s = s + *(const v4 *)(const void *)(a + j) * *(const v4 *)(const void *)(b + j);
        j += 4;
    }
    s0 = s[0];
    for (; j < n; j++) s0 += a[j] * b[j];
    return (s0 + s[1]) + (s[2] + s[3]);
#else
    return nm_dot4(n, a, b);
#endif
}

/* y = b + A x, a dot product per row (4 columns or more; blas.c takes fewer to gemv_bias_narrow) */
NM_KERNEL_ATTR static void NM_KERNEL(gemv_bias)(size_t rows, size_t cols, const float *restrict A,
                                                const float *restrict x, const float *restrict b, float *restrict y)
{
    size_t i;
    for (i = 0; i < rows; i++) y[i] = b[i] + NM_KERNEL(dot)(cols, A + i * cols, x);
}

/* y = b + A x for fewer than 4 columns (a task with 1 to 3 inputs, such as Go/No-Go), where the nm_dot4 of
 * blas.c would be one short scalar chain per row and the per-row loop would cost more than its arithmetic.
 * These loops run across rows with the column count fixed, and do each row's operations in nm_dot4's order,
 * ((0 + a0 x0) + a1 x1 + a2 x2 + 0) + 0, so every result is bit-for-bit nm_dot4's. */
#define NM_DOT4_TAIL(s) (((s) + 0.0f) + 0.0f)
NM_KERNEL_ATTR static void NM_KERNEL(gemv_bias_narrow)(size_t rows, size_t cols, const float *restrict A,
                                                       const float *restrict x, const float *restrict b,
                                                       float *restrict y)
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
#if NM_KERNEL_WIDE && NM_KERNEL_FLOATS == 8 && NM_X86_DISPATCH
        /* AVX2: 8 rows are 24 contiguous floats, three registers. Each column of the 8 rows is two blends and one
         * permute of them (gcc's own gather of the columns took about twice the instructions); then the products
         * and sums in nm_dot4's order, as in the plain loop below */
        {
            const __m256 vx0 = _mm256_set1_ps(x0), vx1 = _mm256_set1_ps(x1), vx2 = _mm256_set1_ps(x2);
            const __m256 zero = _mm256_setzero_ps();
            const __m256i p0 = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5), p1 = _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6),
                          p2 = _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7);
            for (i = 0; i + 8 <= rows; i += 8) {
                const float *r = A + 3 * i;
                __m256 a = _mm256_loadu_ps(r), b8 = _mm256_loadu_ps(r + 8), c = _mm256_loadu_ps(r + 16), c0, c1, c2, acc;
                /* row k's column j is float 3k + j: column 0 at a's 0, 3, 6, b's 1, 4, 7, c's 2, 5 (and so on) */
                c0 = _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(a, b8, 0x92), c, 0x24), p0);
                c1 = _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(a, b8, 0x24), c, 0x49), p1);
                c2 = _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(a, b8, 0x49), c, 0x92), p2);
                acc = _mm256_add_ps(zero, _mm256_mul_ps(c0, vx0));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(c1, vx1));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(c2, vx2));
                acc = _mm256_add_ps(_mm256_add_ps(acc, zero), zero);
                _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(b + i), acc));
            }
        }
#elif NM_KERNEL_WIDE
        /* AVX-512 gathers the three columns of 16 rows with permutes: the plain loop is fastest */
        i = 0;
#else
        /* SSE2: 4 rows at a time, 12 contiguous floats, which vectorises 4 wide (the plain loop only 2 wide) */
        for (i = 0; i + 4 <= rows; i += 4) {
            const float *r = A + 3 * i;
            y[i] = b[i] + NM_DOT4_TAIL(((0.0f + r[0] * x0) + r[1] * x1) + r[2] * x2);
            y[i + 1] = b[i + 1] + NM_DOT4_TAIL(((0.0f + r[3] * x0) + r[4] * x1) + r[5] * x2);
            y[i + 2] = b[i + 2] + NM_DOT4_TAIL(((0.0f + r[6] * x0) + r[7] * x1) + r[8] * x2);
            y[i + 3] = b[i + 3] + NM_DOT4_TAIL(((0.0f + r[9] * x0) + r[10] * x1) + r[11] * x2);
        }
#endif
        for (; i < rows; i++)
            y[i] = b[i] + NM_DOT4_TAIL(((0.0f + A[3 * i] * x0) + A[3 * i + 1] * x1) + A[3 * i + 2] * x2);
    }
}
#undef NM_DOT4_TAIL

/* One head row's share of the backward pass: its trace row decays and takes g h (src -> dst), and dh takes g w. */
NM_KERNEL_ATTR static void NM_KERNEL(head_backward)(size_t n, float decay, float g, const float *restrict h,
                                                    const float *restrict src, float *restrict dst,
                                                    const float *restrict w, float *restrict dh)
{
    size_t i;
    for (i = 0; i < n; i++) {
        dst[i] = decay * src[i] + g * h[i];
        dh[i] += g * w[i];
    }
}

/* dh (from 0 when first) += the sum of g_r w_r over up to three head rows, in row order (the dh of head_backward
 * row after row, in one pass); act's usual step takes it before writing the rows' traces */
NM_KERNEL_ATTR static void NM_KERNEL(heads_dh)(size_t n, size_t rows, int first, const float *restrict g,
                                               const float *const *w, float *restrict dh)
{
    size_t i, r = 0;
    /* the first rows start from 0, added last (x + 0 is 0 + x, -0 included), so dh is not zeroed first */
    if (first && rows >= 3) {
        const float *restrict w0 = w[0], *restrict w1 = w[1], *restrict w2 = w[2];
        float g0 = g[0], g1 = g[1], g2 = g[2];
        for (i = 0; i < n; i++) dh[i] = ((g0 * w0[i] + 0.0f) + g1 * w1[i]) + g2 * w2[i];
        r = 3;
    } else if (first) {
        for (i = 0; i < n; i++) dh[i] = 0.0f;
    }
    for (; r + 3 <= rows; r += 3) {
        const float *restrict w0 = w[r], *restrict w1 = w[r + 1], *restrict w2 = w[r + 2];
        float g0 = g[r], g1 = g[r + 1], g2 = g[r + 2];
        for (i = 0; i < n; i++) dh[i] = ((dh[i] + g0 * w0[i]) + g1 * w1[i]) + g2 * w2[i];
    }
    if (rows - r == 2) {
        const float *restrict w0 = w[r], *restrict w1 = w[r + 1];
        float g0 = g[r], g1 = g[r + 1];
        for (i = 0; i < n; i++) dh[i] = (dh[i] + g0 * w0[i]) + g1 * w1[i];
    } else if (rows - r == 1) {
        const float *restrict w0 = w[r];
        float g0 = g[r];
        for (i = 0; i < n; i++) dh[i] += g0 * w0[i];
    }
}

/* e_r = decay e_r + g_r h for up to three head rows whose g is not 0, in one pass over h (the trace rows of
 * head_backward, in place) */
NM_KERNEL_ATTR static void NM_KERNEL(heads_trace)(size_t n, size_t rows, float decay, const float *restrict g,
                                                  float *const *e, const float *restrict h)
{
    size_t i;
    if (rows == 3) {
        float *restrict e0 = e[0], *restrict e1 = e[1], *restrict e2 = e[2];
        float g0 = g[0], g1 = g[1], g2 = g[2];
        for (i = 0; i < n; i++) {
            e0[i] = decay * e0[i] + g0 * h[i];
            e1[i] = decay * e1[i] + g1 * h[i];
            e2[i] = decay * e2[i] + g2 * h[i];
        }
    } else if (rows == 2) {
        float *restrict e0 = e[0], *restrict e1 = e[1];
        float g0 = g[0], g1 = g[1];
        for (i = 0; i < n; i++) {
            e0[i] = decay * e0[i] + g0 * h[i];
            e1[i] = decay * e1[i] + g1 * h[i];
        }
    } else if (rows == 1) {
        NM_KERNEL(axpy_decay_inplace)(n, decay, g[0], h, e[0]);
    }
}

/* Eight partial sums in double (four 2-double vector chains under SSE2, one 8-double vector under AVX-512):
 * with four, the sum over a trace of a few hundred floats was a long chain of dependent adds. The order is
 * fixed by the source, so every set gives the same bits. */
NM_KERNEL_ATTR static double NM_KERNEL(sumsq)(size_t n, const float *restrict a)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    size_t j = 0;
#if NM_KERNEL_FLOATS == 16 && NM_X86_DISPATCH
    /* AVX-512: the eight sums are the eight doubles of one register, sum k in lane k (gcc kept them in two AVX2
     * registers, with a split of each eight floats) */
    if (n >= 8) {
        __m512d acc = _mm512_setzero_pd();
        double l[8];
        for (; j + 8 <= n; j += 8) {
            __m512d d = _mm512_cvtps_pd(_mm256_loadu_ps(a + j));
            acc = _mm512_add_pd(acc, _mm512_mul_pd(d, d));
        }
        _mm512_storeu_pd(l, acc);
        s0 = l[0]; s1 = l[1]; s2 = l[2]; s3 = l[3]; s4 = l[4]; s5 = l[5]; s6 = l[6]; s7 = l[7];
    }
#endif
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

/* True if y + alpha x stays finite everywhere (checked before anything is written). A value is not finite
 * when its exponent bits are all ones; OR-ing that test over the vector, with no early exit, vectorises. */
NM_KERNEL_ATTR static int NM_KERNEL(axpy_finite)(size_t n, float alpha, const float *restrict x,
                                                 const float *restrict y)
{
    size_t i;
    uint32_t bad = 0;
    for (i = 0; i < n; i++) {
        float v = y[i] + alpha * x[i];
        uint32_t u;
        memcpy(&u, &v, sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

/* update_finite's test with consolidation on (learner_rate.c): each float's two results in its arithmetic, their
 * exponent bits tested as axpy_finite's are, so the loop vectorises (as a loop of isfinite it took 24 instructions
 * a weight: 109,000 a step at 3 x 64 recurrent, seven times the rest of the step) */
NM_KERNEL_ATTR static int NM_KERNEL(consolidate_finite)(size_t n, float step, float kappa, float follow,
                                                        const float *restrict theta, const float *restrict trace,
                                                        const float *restrict anchor)
{
    size_t i;
    uint32_t bad = 0;
    for (i = 0; i < n; i++) {
        float t = theta[i] + step * trace[i], d = t - anchor[i], v = t - kappa * d;
        float w = anchor[i] + follow * (d - kappa * d);
        uint32_t u, q;
        memcpy(&u, &v, sizeof u);
        memcpy(&q, &w, sizeof q);
        bad |= ((u & 0x7f800000u) == 0x7f800000u) | ((q & 0x7f800000u) == 0x7f800000u);
    }
    return !bad;
}

/* the consolidation pull (learner_rate.c's consolidate): theta moves toward the anchor, the anchor follows */
NM_KERNEL_ATTR static void NM_KERNEL(consolidate)(size_t n, float kappa, float follow, float *restrict theta,
                                                  float *restrict anchor)
{
    size_t i;
    for (i = 0; i < n; i++) {
        float d = theta[i] - anchor[i];
        theta[i] -= kappa * d;
        anchor[i] += follow * (d - kappa * d);
    }
}

/* True if every x[i] is finite: the largest magnitude's bits (an unsigned max, which vectorises as a reduction
 * where a float one would not) stay below the infinity's. */
NM_KERNEL_ATTR static int NM_KERNEL(all_finite)(size_t n, const float *restrict x)
{
    size_t i;
    uint32_t mx = 0;
    for (i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        u &= 0x7fffffffu;
        mx = u > mx ? u : mx;
    }
    return mx < 0x7f800000u;
}

/* x[i] = v for n floats: a layer's gain when every unit takes the same (no focus), in the set's vector width */
NM_KERNEL_ATTR static void NM_KERNEL(fill)(size_t n, float v, float *restrict x)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = v;
}

/* decayed trace entry d plus a x v, or d alone when a is 0 (the row has no gradient) */
#define NM_DECAY_ADD(a, d, v) ((a) == 0.0f ? (d) : (d) + (a) * (v))

/* The body of ger_decay and ger_decay_inplace (S = A): each element of S is read before the element of A at the
 * same place is written (the narrow path reads its 12 floats first), so S may be A. Inlined into both, where the
 * compiler sees either two restrict pointers or one. */
NM_KERNEL_ATTR __attribute__((always_inline)) static inline void NM_KERNEL(ger_decay_body)(
    size_t rows, size_t cols, float decay, float alpha, const float *restrict x, const float *restrict y,
    const float *S, float *A)
{
    size_t i, j;
    if (cols == 3) {
        /* the narrow first layer of a task with 3 inputs: 4 rows are 12 contiguous floats, written out so that
         * they vectorise (a per-row loop of 3 does not); a row whose ax is 0 only decays, as below */
        float y0 = y[0], y1 = y[1], y2 = y[2];
        for (i = 0; i + 4 <= rows; i += 4) {
            float a0 = alpha * x[i], a1 = alpha * x[i + 1], a2 = alpha * x[i + 2], a3 = alpha * x[i + 3];
            const float *s = S + 3 * i;
            float *r = A + 3 * i, d[12];
            int k;
            for (k = 0; k < 12; k++) d[k] = decay * s[k];
            r[0] = NM_DECAY_ADD(a0, d[0], y0); r[1] = NM_DECAY_ADD(a0, d[1], y1); r[2] = NM_DECAY_ADD(a0, d[2], y2);
            r[3] = NM_DECAY_ADD(a1, d[3], y0); r[4] = NM_DECAY_ADD(a1, d[4], y1); r[5] = NM_DECAY_ADD(a1, d[5], y2);
            r[6] = NM_DECAY_ADD(a2, d[6], y0); r[7] = NM_DECAY_ADD(a2, d[7], y1); r[8] = NM_DECAY_ADD(a2, d[8], y2);
            r[9] = NM_DECAY_ADD(a3, d[9], y0); r[10] = NM_DECAY_ADD(a3, d[10], y1); r[11] = NM_DECAY_ADD(a3, d[11], y2);
        }
        for (; i < rows; i++) {
            float ax = alpha * x[i], *r = A + 3 * i;
            const float *s = S + 3 * i;
            r[0] = NM_DECAY_ADD(ax, decay * s[0], y0);
            r[1] = NM_DECAY_ADD(ax, decay * s[1], y1);
            r[2] = NM_DECAY_ADD(ax, decay * s[2], y2);
        }
        return;
    }
    for (i = 0; i < rows; i++) {
        float ax = alpha * x[i];
        const float *s = S + i * cols;
        float *r = A + i * cols;
        if (ax == 0.0f)
            for (j = 0; j < cols; j++) r[j] = s[j] * decay;
        else
            for (j = 0; j < cols; j++) r[j] = decay * s[j] + ax * y[j];
    }
}

NM_KERNEL_ATTR static void NM_KERNEL(ger_decay)(size_t rows, size_t cols, float decay, float alpha,
                                                const float *restrict x, const float *restrict y,
                                                const float *restrict S, float *restrict A)
{
    NM_KERNEL(ger_decay_body)(rows, cols, decay, alpha, x, y, S, A);
}

/* A = decay A + alpha x y': ger_decay with S = A */
NM_KERNEL_ATTR static void NM_KERNEL(ger_decay_inplace)(size_t rows, size_t cols, float decay, float alpha,
                                                        const float *restrict x, const float *restrict y,
                                                        float *restrict A)
{
    NM_KERNEL(ger_decay_body)(rows, cols, decay, alpha, x, y, A, A);
}
#undef NM_DECAY_ADD

/* pre <- gain . pre, post <- tanh(pre): a trunk layer's gain and activation in one pass */
NM_KERNEL_ATTR static void NM_KERNEL(gain_tanh)(size_t n, const float *restrict g, float *restrict pre,
                                                float *restrict post)
{
    size_t i;
    for (i = 0; i < n; i++) {
        float v = pre[i] * g[i];
        pre[i] = v;
        post[i] = nm_tanh(v);
    }
}

/* dh <- dh . (tanh'(pre) gain), with tanh' = 1 - post^2 */
NM_KERNEL_ATTR static void NM_KERNEL(tanh_backward)(size_t n, const float *restrict post, const float *restrict g,
                                                    float *restrict dh)
{
    size_t i;
    for (i = 0; i < n; i++) dh[i] *= (1.0f - post[i] * post[i]) * g[i];
}

/* The recurrent layer (layer_recurrent.c) keeps its weights by input column, [W U b]' ((in + out + 1) x n), so
 * that both passes run along the n units, element by element, with no reduction to lay out per set.
 *
 * Under GCC and clang both kernels take the units a few registers at a time, with every column of those units
 * before the next units: their running sums (and the trace's per-unit factors) then stay in registers through
 * the columns, where a pass per column loaded and stored them at every column (docs/performance.md has the
 * counts). They are written with vector types (GNU C), not as loops left to the vectoriser: a block of two SSE
 * registers' units made it vectorise across the columns instead, an in-order sum by shuffles. Vector
 * types do the same IEEE operations lane by lane, in the order written, so each unit's arithmetic is the plain
 * loop's. The units after the last whole register, and other compilers, take the plain column loops. */
#if defined(__GNUC__) || defined(__clang__)
#define NM_REC_VECTORS 1
typedef float NM_KERNEL(vf) __attribute__((vector_size(4 * NM_KERNEL_FLOATS), aligned(4), may_alias));
#define NM_VF NM_KERNEL(vf)
#define NM_VLOAD(p) (*(const NM_VF *)(const void *)(p))
#define NM_VSTORE(p, v) (*(NM_VF *)(void *)(p) = (v))
#else
#define NM_REC_VECTORS 0
#endif

/* y = A' z: y_i = z_0 A_0i + z_1 A_1i + ..., summed in column order */
NM_KERNEL_ATTR static void NM_KERNEL(rec_gemv)(size_t n, size_t ncols, const float *restrict A,
                                               const float *restrict z, float *restrict y)
{
    size_t i, j, i0 = 0;
#if NM_REC_VECTORS
    enum { V = NM_KERNEL_FLOATS };
    for (; i0 + 8 * V <= n; i0 += 8 * V) {   /* eight registers of sums */
        const float *c = A + i0;
        NM_VF s0 = z[0] * NM_VLOAD(c), s1 = z[0] * NM_VLOAD(c + V), s2 = z[0] * NM_VLOAD(c + 2 * V),
              s3 = z[0] * NM_VLOAD(c + 3 * V), s4 = z[0] * NM_VLOAD(c + 4 * V), s5 = z[0] * NM_VLOAD(c + 5 * V),
              s6 = z[0] * NM_VLOAD(c + 6 * V), s7 = z[0] * NM_VLOAD(c + 7 * V);
        /* four columns an iteration, each added in turn (two left a sixth of the loop's instructions to its
         * control and its pointers) */
        for (j = 1; j + 4 <= ncols; j += 4) {
            const float *c1 = c + n, *c2 = c1 + n, *c3 = c2 + n, *c4 = c3 + n;
            float z1 = z[j], z2 = z[j + 1], z3 = z[j + 2], z4 = z[j + 3];
#define NM_REC_COL4(s, o) s = (((s + z1 * NM_VLOAD(c1 + (o))) + z2 * NM_VLOAD(c2 + (o))) + z3 * NM_VLOAD(c3 + (o))) \
                              + z4 * NM_VLOAD(c4 + (o))
            NM_REC_COL4(s0, 0);
            NM_REC_COL4(s1, V);
            NM_REC_COL4(s2, 2 * V);
            NM_REC_COL4(s3, 3 * V);
            NM_REC_COL4(s4, 4 * V);
            NM_REC_COL4(s5, 5 * V);
            NM_REC_COL4(s6, 6 * V);
            NM_REC_COL4(s7, 7 * V);
            c = c4;
        }
        for (; j < ncols; j++) {
            float zj = z[j];
            c += n;
            s0 = s0 + zj * NM_VLOAD(c);
            s1 = s1 + zj * NM_VLOAD(c + V);
            s2 = s2 + zj * NM_VLOAD(c + 2 * V);
            s3 = s3 + zj * NM_VLOAD(c + 3 * V);
            s4 = s4 + zj * NM_VLOAD(c + 4 * V);
            s5 = s5 + zj * NM_VLOAD(c + 5 * V);
            s6 = s6 + zj * NM_VLOAD(c + 6 * V);
            s7 = s7 + zj * NM_VLOAD(c + 7 * V);
        }
        NM_VSTORE(y + i0, s0);
        NM_VSTORE(y + i0 + V, s1);
        NM_VSTORE(y + i0 + 2 * V, s2);
        NM_VSTORE(y + i0 + 3 * V, s3);
        NM_VSTORE(y + i0 + 4 * V, s4);
        NM_VSTORE(y + i0 + 5 * V, s5);
        NM_VSTORE(y + i0 + 6 * V, s6);
        NM_VSTORE(y + i0 + 7 * V, s7);
    }
    for (; i0 + 4 * V <= n; i0 += 4 * V) {   /* then four */
        const float *c = A + i0;
        NM_VF s0 = z[0] * NM_VLOAD(c), s1 = z[0] * NM_VLOAD(c + V), s2 = z[0] * NM_VLOAD(c + 2 * V),
              s3 = z[0] * NM_VLOAD(c + 3 * V);
        for (j = 1; j + 4 <= ncols; j += 4) {
            const float *c1 = c + n, *c2 = c1 + n, *c3 = c2 + n, *c4 = c3 + n;
            float z1 = z[j], z2 = z[j + 1], z3 = z[j + 2], z4 = z[j + 3];
            NM_REC_COL4(s0, 0);
            NM_REC_COL4(s1, V);
            NM_REC_COL4(s2, 2 * V);
            NM_REC_COL4(s3, 3 * V);
            c = c4;
        }
#undef NM_REC_COL4
        for (; j < ncols; j++) {
            float zj = z[j];
            c += n;
            s0 = s0 + zj * NM_VLOAD(c);
            s1 = s1 + zj * NM_VLOAD(c + V);
            s2 = s2 + zj * NM_VLOAD(c + 2 * V);
            s3 = s3 + zj * NM_VLOAD(c + 3 * V);
        }
        NM_VSTORE(y + i0, s0);
        NM_VSTORE(y + i0 + V, s1);
        NM_VSTORE(y + i0 + 2 * V, s2);
        NM_VSTORE(y + i0 + 3 * V, s3);
    }
    for (; i0 + V <= n; i0 += V) {           /* then one */
        const float *c = A + i0;
        NM_VF s0 = z[0] * NM_VLOAD(c);
        for (j = 1; j < ncols; j++) {
            c += n;
            s0 = s0 + z[j] * NM_VLOAD(c);
        }
        NM_VSTORE(y + i0, s0);
    }
    if (i0 == n) return;
#endif
    for (i = i0; i < n; i++) y[i] = z[0] * A[i];
    /* four columns a pass: y is loaded and stored once per four columns, each sum still taken in column order */
    for (j = 1; j + 4 <= ncols; j += 4) {
        const float *c0 = A + j * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
        float z0 = z[j], z1 = z[j + 1], z2 = z[j + 2], z3 = z[j + 3];
        for (i = i0; i < n; i++) y[i] = (((y[i] + z0 * c0[i]) + z1 * c1[i]) + z2 * c2[i]) + z3 * c3[i];
    }
    for (; j < ncols; j++) {
        const float *col = A + j * n;
        float zj = z[j];
        for (i = i0; i < n; i++) y[i] += zj * col[i];
    }
}

/* The eligibility eps = leak eps_old + z_j D, the trace e = decay old + g . eps, and (acc not NULL: the fallback)
 * acc_i = sum_j eps_ji^2, each unit's squared eligibility norm (the caller weighs it by g_i^2 in double: squaring
 * g eps in float would make denormals, which cost a microcode assist each). In place (eps_new = eps_old, e = old: act's usual step) or
 * not (its fallback): each element of eps_old and old is read before the element at the same place in eps_new
 * and e is written, and by the same iteration, so those pairs are not restrict (the vector loops are written
 * out, so the compiler's alias analysis does not decide their layout). */
/* rec_trace over ncols columns: acc holds the sums of the columns before (unless first) and takes these
 * (rec_trace_cols: sums = acc != NULL, a constant in each inlined copy). The units go eight registers at a time (then four, two, one), one column an iteration: only the running sums
 * stay in registers, D and g are read at each column (loads folded into the multiplies: no instruction of their
 * own), so a block is wide enough that its setup and the loop's control are a small share (blocks of two
 * registers with D and g held in registers spent a fifth of the pass on them). D and g are not restrict, so the
 * compiler reloads them rather than holding sixteen vectors of them in registers. */
#if NM_REC_VECTORS
/* one register of units (offset k registers) at column j: eps, then the trace, then the unit's sum */
#define NM_REC_TRACE_REG(s, k) do { \
        NM_VF v_ = leak * NM_VLOAD(eo + c + (k) * V) + zj * NM_VLOAD(Db + (k) * V); \
        NM_VSTORE(en + c + (k) * V, v_); \
        NM_VSTORE(ee + c + (k) * V, decay * NM_VLOAD(o + c + (k) * V) + NM_VLOAD(gb + (k) * V) * v_); \
        if (sums) s = s + v_ * v_; \
    } while (0)
#endif
NM_KERNEL_ATTR __attribute__((always_inline)) static inline void NM_KERNEL(rec_trace_body)(
    size_t n, size_t ncols, int first, int sums, float leak, float decay, const float *D, const float *g,
    const float *restrict z, const float *eps_old, float *eps_new, const float *old, float *e, float *restrict acc)
{
    size_t i, j, jj, c, i0 = 0;
    const int rev = !sums;   /* the in-place step takes the columns last to first (see rec_trace) */
#if NM_REC_VECTORS
    enum { V = NM_KERNEL_FLOATS };
    for (; i0 + 8 * V <= n; i0 += 8 * V) {   /* eight registers of units */
        const float *eo = eps_old + i0, *o = old + i0, *Db = D + i0, *gb = g + i0;
        float *en = eps_new + i0, *ee = e + i0;
        NM_VF s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 }, s4 = { 0 }, s5 = { 0 }, s6 = { 0 }, s7 = { 0 };
        if (sums && !first) {
            s0 = NM_VLOAD(acc + i0); s1 = NM_VLOAD(acc + i0 + V); s2 = NM_VLOAD(acc + i0 + 2 * V);
            s3 = NM_VLOAD(acc + i0 + 3 * V); s4 = NM_VLOAD(acc + i0 + 4 * V); s5 = NM_VLOAD(acc + i0 + 5 * V);
            s6 = NM_VLOAD(acc + i0 + 6 * V); s7 = NM_VLOAD(acc + i0 + 7 * V);
        }
        for (jj = 0; jj < ncols; jj++) {   /* c: column j's offset, shared by the four arrays */
            float zj;
            j = rev ? ncols - 1 - jj : jj; c = j * n; zj = z[j];
            NM_REC_TRACE_REG(s0, 0); NM_REC_TRACE_REG(s1, 1); NM_REC_TRACE_REG(s2, 2); NM_REC_TRACE_REG(s3, 3);
            NM_REC_TRACE_REG(s4, 4); NM_REC_TRACE_REG(s5, 5); NM_REC_TRACE_REG(s6, 6); NM_REC_TRACE_REG(s7, 7);
        }
        if (!sums) continue;
        NM_VSTORE(acc + i0, s0); NM_VSTORE(acc + i0 + V, s1); NM_VSTORE(acc + i0 + 2 * V, s2);
        NM_VSTORE(acc + i0 + 3 * V, s3); NM_VSTORE(acc + i0 + 4 * V, s4); NM_VSTORE(acc + i0 + 5 * V, s5);
        NM_VSTORE(acc + i0 + 6 * V, s6); NM_VSTORE(acc + i0 + 7 * V, s7);
    }
    for (; i0 + 4 * V <= n; i0 += 4 * V) {   /* then four */
        const float *eo = eps_old + i0, *o = old + i0, *Db = D + i0, *gb = g + i0;
        float *en = eps_new + i0, *ee = e + i0;
        NM_VF s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
        if (sums && !first) {
            s0 = NM_VLOAD(acc + i0); s1 = NM_VLOAD(acc + i0 + V); s2 = NM_VLOAD(acc + i0 + 2 * V);
            s3 = NM_VLOAD(acc + i0 + 3 * V);
        }
        for (jj = 0; jj < ncols; jj++) {
            float zj;
            j = rev ? ncols - 1 - jj : jj; c = j * n; zj = z[j];
            NM_REC_TRACE_REG(s0, 0); NM_REC_TRACE_REG(s1, 1); NM_REC_TRACE_REG(s2, 2); NM_REC_TRACE_REG(s3, 3);
        }
        if (!sums) continue;
        NM_VSTORE(acc + i0, s0); NM_VSTORE(acc + i0 + V, s1); NM_VSTORE(acc + i0 + 2 * V, s2);
        NM_VSTORE(acc + i0 + 3 * V, s3);
    }
    for (; i0 + V <= n; i0 += V) {           /* then one */
        const float *eo = eps_old + i0, *o = old + i0, *Db = D + i0, *gb = g + i0;
        float *en = eps_new + i0, *ee = e + i0;
        NM_VF s0 = { 0 };
        if (sums && !first) s0 = NM_VLOAD(acc + i0);
        for (jj = 0; jj < ncols; jj++) {
            float zj;
            j = rev ? ncols - 1 - jj : jj; c = j * n; zj = z[j];
            NM_REC_TRACE_REG(s0, 0);
        }
        if (sums) NM_VSTORE(acc + i0, s0);
    }
#undef NM_REC_TRACE_REG
    if (i0 == n) return;
#endif
    if (sums && first)
        for (i = i0; i < n; i++) acc[i] = 0.0f;
    for (j = 0; j < ncols; j++) {
        const float *eo = eps_old + j * n, *o = old + j * n;
        float *en = eps_new + j * n, *ee = e + j * n, zj = z[j];
        for (i = i0; i < n; i++) {
            float v = leak * eo[i] + zj * D[i];
            en[i] = v;
            ee[i] = decay * o[i] + g[i] * v;
            if (sums) acc[i] += v * v;
        }
    }
}

/* acc NULL: the eligibility and the trace only (act's in-place step, whose norm is phase one's bound) */
NM_KERNEL_ATTR static void NM_KERNEL(rec_trace_cols)(size_t n, size_t ncols, int first, float leak, float decay,
                                                     const float *D, const float *g,
                                                     const float *restrict z, const float *eps_old,
                                                     float *eps_new, const float *old,
                                                     float *e, float *restrict acc)
{
    if (acc)
        NM_KERNEL(rec_trace_body)(n, ncols, first, 1, leak, decay, D, g, z, eps_old, eps_new, old, e, acc);
    else
        NM_KERNEL(rec_trace_body)(n, ncols, first, 0, leak, decay, D, g, z, eps_old, eps_new, old, e, NULL);
}
/* The columns a chunk at a time, about NM_REC_CHUNK floats of each of the four arrays: a block of units that ends
 * inside a cache line leaves the line's rest to the next block, which comes back to it after the chunk's columns,
 * not after all of them (taking all the columns at once gave 36-82% more L1 misses at 64 units and 85% more at
 * 256 under SSE2; chunks of 4,096 floats still had 45% more at 256, the columns of a chunk 1 KB apart filling the
 * cache's sets). The running sums pass between chunks through acc, as floats: the same bits. */
#define NM_REC_CHUNK 2048
NM_KERNEL_ATTR static void NM_KERNEL(rec_trace)(size_t n, size_t ncols, float leak, float decay,
                                                const float *D, const float *g,
                                                const float *restrict z, const float *eps_old,
                                                float *eps_new, const float *old,
                                                float *e, float *restrict acc)
{
    size_t chunks = (n * ncols + NM_REC_CHUNK - 1) / NM_REC_CHUNK, cols, j0, c;
    enum { V = NM_KERNEL_FLOATS };
    if (!chunks) return;   /* no synapse */
    /* one block takes every unit (8, 4 or 1 registers' worth, or the plain loop's fewer than one): no line is
     * shared between blocks, and a chunk's setup (the sums stored and reloaded) is all the chunks would add */
    if (n == 8 * V || n == 4 * V || n <= V) chunks = 1;
    cols = (ncols + chunks - 1) / chunks;
    chunks = (ncols + cols - 1) / cols;
    for (c = 0; c < chunks; c++) {
        /* without sums (act's in-place step) the chunks, and the columns in each, go last to first: the passes
         * before (learn's update, act's forward product) went first to last, so the last columns' lines of the
         * trace are the likeliest still in L1 (D1 misses of the 64-unit step 995 -> 867, cachegrind, AVX2) */
        j0 = (acc ? c : chunks - 1 - c) * cols;
        {
            size_t m = ncols - j0 < cols ? ncols - j0 : cols, off = j0 * n;
            NM_KERNEL(rec_trace_cols)(n, m, j0 == 0, leak, decay, D, g, z + j0, eps_old + off, eps_new + off,
                                      old + off, e + off, acc);
        }
    }
}

/* act's in-place eligibility and trace step for the recurrent layer, deferred to learn and fused with its update:
 * eps = leak eps + z_j D, e = decay e + g . eps (rec_trace's in-place arithmetic), then W = W + step e (axpy's),
 * element by element: one pass over the three arrays where rec_trace and axpy made two (the trace was read
 * twice). Same chunks as rec_trace. rev: the columns (and chunks) last to first. The caller alternates it step by
 * step: the three arrays (52 KB at 64 units) do not fit in L1 with the weights the two forward products read
 * between, and a pass that starts where the last one ended finds that end's lines still there (D1 misses of the
 * 64-unit step 753 -> 533 against always last to first, 864 always first to last; cachegrind, AVX2). zero: eps and
 * e take 0 instead (an episode's end clears them next, and nothing reads them before): the weights' step is the
 * same, and the clearing pass over 35 KB is saved. */
#if NM_REC_VECTORS
#define NM_REC_UPDATE_REG(k) do { \
        NM_VF v_ = leak * NM_VLOAD(ep + c + (k) * V) + zj * NM_VLOAD(Db + (k) * V), t_; \
        NM_VSTORE(ep + c + (k) * V, zero ? vz_ : v_); \
        t_ = decay * NM_VLOAD(ee + c + (k) * V) + NM_VLOAD(gb + (k) * V) * v_; \
        NM_VSTORE(ee + c + (k) * V, zero ? vz_ : t_); \
        NM_VSTORE(ww + c + (k) * V, NM_VLOAD(ww + c + (k) * V) + step * t_); \
    } while (0)
#endif
NM_KERNEL_ATTR __attribute__((always_inline)) static inline void NM_KERNEL(rec_update_cols)(size_t n, size_t ncols, int rev, int zero, float leak, float decay,
                                                      float step, const float *D, const float *g,
                                                      const float *restrict z, float *restrict eps,
                                                      float *restrict e, float *restrict W)
{
    size_t i, j, jj, c, i0 = 0;
#if NM_REC_VECTORS
    enum { V = NM_KERNEL_FLOATS };
    const NM_VF vz_ = { 0 };
    for (; i0 + 8 * V <= n; i0 += 8 * V) {   /* eight registers of units */
        const float *Db = D + i0, *gb = g + i0;
        float *ep = eps + i0, *ee = e + i0, *ww = W + i0;
        for (jj = 0; jj < ncols; jj++) {
            float zj;
            j = rev ? ncols - 1 - jj : jj; c = j * n; zj = z[j];
            NM_REC_UPDATE_REG(0); NM_REC_UPDATE_REG(1); NM_REC_UPDATE_REG(2); NM_REC_UPDATE_REG(3);
            NM_REC_UPDATE_REG(4); NM_REC_UPDATE_REG(5); NM_REC_UPDATE_REG(6); NM_REC_UPDATE_REG(7);
        }
    }
    for (; i0 + 4 * V <= n; i0 += 4 * V) {   /* then four */
        const float *Db = D + i0, *gb = g + i0;
        float *ep = eps + i0, *ee = e + i0, *ww = W + i0;
        for (jj = 0; jj < ncols; jj++) {
            float zj;
            j = rev ? ncols - 1 - jj : jj; c = j * n; zj = z[j];
            NM_REC_UPDATE_REG(0); NM_REC_UPDATE_REG(1); NM_REC_UPDATE_REG(2); NM_REC_UPDATE_REG(3);
        }
    }
    for (; i0 + V <= n; i0 += V) {           /* then one */
        const float *Db = D + i0, *gb = g + i0;
        float *ep = eps + i0, *ee = e + i0, *ww = W + i0;
        for (jj = 0; jj < ncols; jj++) {
            float zj;
            j = rev ? ncols - 1 - jj : jj; c = j * n; zj = z[j];
            NM_REC_UPDATE_REG(0);
        }
    }
#undef NM_REC_UPDATE_REG
    if (i0 == n) return;
#endif
    for (jj = 0; jj < ncols; jj++) {
        float *ep, *ee, *ww, zj;
        j = rev ? ncols - 1 - jj : jj;
        ep = eps + j * n; ee = e + j * n; ww = W + j * n; zj = z[j];
        for (i = i0; i < n; i++) {
            float v = leak * ep[i] + zj * D[i], t;
            ep[i] = zero ? 0.0f : v;
            t = decay * ee[i] + g[i] * v;
            ee[i] = zero ? 0.0f : t;
            ww[i] = ww[i] + step * t;
        }
    }
}

NM_KERNEL_ATTR static void NM_KERNEL(rec_trace_update)(size_t n, size_t ncols, float leak, float decay,
                                                       const float *D, const float *g, const float *restrict z,
                                                       float *eps, float *e, float *W, float step, int rev,
                                                       int zero)
{
    size_t chunks = (n * ncols + NM_REC_CHUNK - 1) / NM_REC_CHUNK, cols, j0, c;
    enum { V = NM_KERNEL_FLOATS };
    if (!chunks) return;
    if (n == 8 * V || n == 4 * V || n <= V) chunks = 1;   /* as rec_trace */
    cols = (ncols + chunks - 1) / chunks;
    chunks = (ncols + cols - 1) / cols;
    for (c = 0; c < chunks; c++) {
        size_t m, off;
        j0 = (rev ? chunks - 1 - c : c) * cols;
        m = ncols - j0 < cols ? ncols - j0 : cols;
        off = j0 * n;
        /* each combination its own copy, the flags constants in it */
#define NM_REC_UPDATE_CALL(r, zz) NM_KERNEL(rec_update_cols)(n, m, r, zz, leak, decay, step, D, g, z + j0, eps + off, \
                                                             e + off, W + off)
        if (zero) { if (rev) NM_REC_UPDATE_CALL(1, 1); else NM_REC_UPDATE_CALL(0, 1); }
        else if (rev) NM_REC_UPDATE_CALL(1, 0);
        else NM_REC_UPDATE_CALL(0, 0);
#undef NM_REC_UPDATE_CALL
    }
}
#undef NM_REC_CHUNK

/* h_t = leak h_{t-1} + alpha a (post = hprev leak, then += alpha a: one pass, the same two roundings) */
NM_KERNEL_ATTR static void NM_KERNEL(rec_leak)(size_t n, float leak, float alpha, const float *restrict hprev,
                                               const float *restrict a, float *restrict post)
{
    size_t i;
    for (i = 0; i < n; i++) post[i] = hprev[i] * leak + alpha * a[i];
}

/* d h_t,i / d pre-gain sum = alpha tanh'(pre_i) gain_i, tanh' = 1 - a^2 */
NM_KERNEL_ATTR static void NM_KERNEL(rec_units_tanh)(size_t n, float alpha, const float *restrict a,
                                                     const float *restrict gain, float *restrict d)
{
    size_t i;
    for (i = 0; i < n; i++) d[i] = alpha * ((1.0f - a[i] * a[i]) * gain[i]);
}

/* rec_units, du = dh . d, sumsq(n, d), sumsq(n, dh) and the largest dh_i^2 (sums[0..2]) in one pass (rec_delta
 * read d three times and dh twice): each sum keeps sumsq's eight partials and its final pairing, so the bits are
 * sumsq's. The largest dh_i^2 misses a NaN (a comparison with it is false); the sum does not. */
NM_KERNEL_ATTR static void NM_KERNEL(rec_delta)(size_t n, int relu, float alpha, const float *restrict a,
                                                const float *restrict gain, const float *restrict dh,
                                                float *restrict d, float *restrict du, double *restrict sums)
{
    double p[8] = { 0 }, q[8] = { 0 }, m[8] = { 0 };
    size_t i = 0, k;
    for (; i + 8 <= n; i += 8)
        for (k = 0; k < 8; k++) {
            float di = relu ? alpha * ((a[i + k] > 0.0f ? 1.0f : 0.0f) * gain[i + k])
                            : alpha * ((1.0f - a[i + k] * a[i + k]) * gain[i + k]);
            double h2 = (double)dh[i + k] * dh[i + k];
            d[i + k] = di;
            du[i + k] = dh[i + k] * di;
            p[k] += (double)di * di;
            q[k] += h2;
            m[k] = h2 > m[k] ? h2 : m[k];
        }
    for (; i < n; i++) {
        float di = relu ? alpha * ((a[i] > 0.0f ? 1.0f : 0.0f) * gain[i]) : alpha * ((1.0f - a[i] * a[i]) * gain[i]);
        double h2 = (double)dh[i] * dh[i];
        d[i] = di;
        du[i] = dh[i] * di;
        p[0] += (double)di * di;
        q[0] += h2;
        m[0] = h2 > m[0] ? h2 : m[0];
    }
    sums[0] = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
    sums[1] = ((q[0] + q[4]) + (q[2] + q[6])) + ((q[1] + q[5]) + (q[3] + q[7]));
    for (k = 1; k < 8; k++) m[0] = m[k] > m[0] ? m[k] : m[0];
    sums[2] = m[0];
}

/* The recurrent layer's share of the gradient norm, n2 = sum_i (dh_i^2 acc_i) in double, in eight partial sums
 * (sumsq's layout: one chain of 64 dependent adds was 256 cycles of latency a step), then dh <- dh . d. The
 * norm only bounds the trace (trace_bound: which way act and learn's clip take, never a result), so its order
 * is free; every kernel set still sums in this one order. */
NM_KERNEL_ATTR static double NM_KERNEL(rec_norm)(size_t n, const float *restrict d, const float *restrict acc,
                                                 float *restrict dh)
{
    double p[8] = { 0 };
    size_t i = 0, k;
    for (; i + 8 <= n; i += 8)
        for (k = 0; k < 8; k++) p[k] += (double)dh[i + k] * dh[i + k] * acc[i + k];
    for (; i < n; i++) p[0] += (double)dh[i] * dh[i] * acc[i];
    if (d)
        for (i = 0; i < n; i++) dh[i] *= d[i];
    return ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
}

/* ger_decay_inplace (alpha 1: e = decay e + x_j y, e decay alone in a row whose x_j is 0, as ger_decay_body) fused
 * with axpy's W = W + step e, element by element: the integrator layer's deferred pass, one pass over the two
 * arrays. rows x cols, row-major (row j: e[j cols ..], factor x_j). Blocked as rec_update_cols: a block of units'
 * y stays in registers down all the rows. rev: the rows last to first (the caller alternates it, so that a pass
 * starts on the lines the last one ended on); zero: e takes 0 after its step (an episode's end). */
#if NM_REC_VECTORS
#define NM_GERU_REG(k) do { \
        NM_VF t_ = decay * NM_VLOAD(ee + (k) * V); \
        if (full) t_ = t_ + xj * y##k; \
        NM_VSTORE(ee + (k) * V, zero ? vz_ : t_); \
        NM_VSTORE(ww + (k) * V, NM_VLOAD(ww + (k) * V) + step * t_); \
    } while (0)
#endif
NM_KERNEL_ATTR __attribute__((always_inline)) static inline void NM_KERNEL(ger_update_rows)(
    size_t rows, size_t n, int rev, int zero, float decay, const float *restrict x, const float *restrict y,
    float *restrict e, float *restrict W, float step)
{
    size_t i, jj, i0 = 0;
#if NM_REC_VECTORS
    enum { V = NM_KERNEL_FLOATS };
    const NM_VF vz_ = { 0 };
    /* four registers of units: with eight, y, decay, step, x_j and the temporaries need more than the sixteen
     * vector registers, and the loop spilled */
    for (; i0 + 4 * V <= n; i0 += 4 * V) {
        const NM_VF y0 = NM_VLOAD(y + i0), y1 = NM_VLOAD(y + i0 + V), y2 = NM_VLOAD(y + i0 + 2 * V),
                    y3 = NM_VLOAD(y + i0 + 3 * V);
        for (jj = 0; jj < rows; jj++) {
            size_t j = rev ? rows - 1 - jj : jj;
            float xj = x[j], *ee = e + j * n + i0, *ww = W + j * n + i0;
            int full = xj != 0.0f;
            NM_GERU_REG(0); NM_GERU_REG(1); NM_GERU_REG(2); NM_GERU_REG(3);
        }
    }
    for (; i0 + V <= n; i0 += V) {           /* then one */
        const NM_VF y0 = NM_VLOAD(y + i0);
        for (jj = 0; jj < rows; jj++) {
            size_t j = rev ? rows - 1 - jj : jj;
            float xj = x[j], *ee = e + j * n + i0, *ww = W + j * n + i0;
            int full = xj != 0.0f;
            NM_GERU_REG(0);
        }
    }
#undef NM_GERU_REG
    if (i0 == n) return;
#endif
    for (jj = 0; jj < rows; jj++) {
        size_t j = rev ? rows - 1 - jj : jj;
        float xj = x[j], *ee = e + j * n, *ww = W + j * n;
        for (i = i0; i < n; i++) {
            float t = xj == 0.0f ? ee[i] * decay : decay * ee[i] + xj * y[i];
            ee[i] = zero ? 0.0f : t;
            ww[i] = ww[i] + step * t;
        }
    }
}

NM_KERNEL_ATTR static void NM_KERNEL(ger_decay_update)(size_t rows, size_t cols, float decay, const float *restrict x,
                                                       const float *restrict y, float *restrict e,
                                                       float *restrict W, float step, int rev, int zero)
{
    /* each combination of the flags its own copy, the flags constants in it */
    if (zero) { if (rev) NM_KERNEL(ger_update_rows)(rows, cols, 1, 1, decay, x, y, e, W, step);
                else NM_KERNEL(ger_update_rows)(rows, cols, 0, 1, decay, x, y, e, W, step); }
    else if (rev) NM_KERNEL(ger_update_rows)(rows, cols, 1, 0, decay, x, y, e, W, step);
    else NM_KERNEL(ger_update_rows)(rows, cols, 0, 0, decay, x, y, e, W, step);
}

#if NM_REC_VECTORS
#undef NM_VF
#undef NM_VLOAD
#undef NM_VSTORE
#endif
#undef NM_REC_VECTORS

static const nm_kernels NM_KERNEL(table) = {
    NM_KERNEL_NAME, NM_KERNEL(gemv_bias_narrow), NM_KERNEL(axpy), NM_KERNEL(axpy_decay), NM_KERNEL(scal),
    NM_KERNEL(scal_to), NM_KERNEL(ger_decay), NM_KERNEL(axpy_decay_inplace), NM_KERNEL(ger_decay_inplace),
    NM_KERNEL(gain_tanh), NM_KERNEL(tanh_backward),
    NM_KERNEL(head_backward), NM_KERNEL(heads_dh), NM_KERNEL(heads_trace), NM_KERNEL(sumsq),
    NM_KERNEL(axpy_finite), NM_KERNEL(all_finite), NM_KERNEL(fill), NM_KERNEL(dot),
    NM_KERNEL(gemv_bias),
    NM_KERNEL(rec_gemv), NM_KERNEL(rec_trace), NM_KERNEL(rec_norm), NM_KERNEL(rec_leak), NM_KERNEL(rec_units_tanh),
    NM_KERNEL(rec_delta), NM_KERNEL(rec_trace_update), NM_KERNEL(ger_decay_update), NM_KERNEL(consolidate_finite),
    NM_KERNEL(consolidate), 0
};

/* the same kernels, with large shapes allowed to go to OpenBLAS (config.deterministic = false) */
static const nm_kernels NM_KERNEL(table_blas) = {
    NM_KERNEL_NAME, NM_KERNEL(gemv_bias_narrow), NM_KERNEL(axpy), NM_KERNEL(axpy_decay), NM_KERNEL(scal),
    NM_KERNEL(scal_to), NM_KERNEL(ger_decay), NM_KERNEL(axpy_decay_inplace), NM_KERNEL(ger_decay_inplace),
    NM_KERNEL(gain_tanh), NM_KERNEL(tanh_backward),
    NM_KERNEL(head_backward), NM_KERNEL(heads_dh), NM_KERNEL(heads_trace), NM_KERNEL(sumsq),
    NM_KERNEL(axpy_finite), NM_KERNEL(all_finite), NM_KERNEL(fill), NM_KERNEL(dot),
    NM_KERNEL(gemv_bias),
    NM_KERNEL(rec_gemv), NM_KERNEL(rec_trace), NM_KERNEL(rec_norm), NM_KERNEL(rec_leak), NM_KERNEL(rec_units_tanh),
    NM_KERNEL(rec_delta), NM_KERNEL(rec_trace_update), NM_KERNEL(ger_decay_update), NM_KERNEL(consolidate_finite),
    NM_KERNEL(consolidate), 1
};
