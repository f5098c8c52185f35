/*
 * population_lanes.h -- the interleaved population step's kernels, compiled by population_simd.c once per
 * instruction set (as simd.c compiles simd_kernels.h): NM_LANE(name) gives each copy its suffix and
 * NM_LANE_ATTR its target attribute. Not a normal header.
 *
 * Layout: w agents side by side, w = NM_LANE_V, the floats of one register of the set (4 SSE2, 8 AVX2,
 * 16 AVX-512); float i of lane l's vector (its parameters, traces or cache, in the lone agent's order) is at
 * [i * w + l]. Every kernel loops over i as the lone agent's kernel does and, inside, over the lanes as one GNU C
 * vector: each lane performs exactly the lone agent's operations in the lone agent's order (dot products keep
 * dot4's four partial sums, sums of squares sumsq's eight, in double), so lane l computes the bits agent l
 * would. A lone kernel's branch on a value (a row whose gradient is 0) becomes a select per lane. The same
 * IEEE operations, never contracted (-ffp-contract=off holds for vector operations too). The loops over c, the
 * registers of a lane vector, are one iteration while w is the register width (kept so that w could grow).
 */
#define W NM_LANE_V          /* lanes: floats in one register of this instruction set */
#define V NM_LANE_V
#define NV (W / V)           /* registers per lane vector (1) */
typedef float NM_LANE(vf) __attribute__((vector_size(4 * V)));
typedef float NM_LANE(vfu) __attribute__((vector_size(4 * V), aligned(4)));
typedef int32_t NM_LANE(vi) __attribute__((vector_size(4 * V)));
typedef int32_t NM_LANE(viu) __attribute__((vector_size(4 * V), aligned(4)));
typedef float NM_LANE(vhu) __attribute__((vector_size(2 * V), aligned(4)));   /* half a register */
typedef double NM_LANE(vdh) __attribute__((vector_size(4 * V)));
#define vf NM_LANE(vf)
#define vi NM_LANE(vi)
#define vdh NM_LANE(vdh)
#define LDH(p) (*(const NM_LANE(vhu) *)(const void *)(p))
/* register c of the lane vector at p (any alignment: a vector type may alias its element type), and back */
#define LD(p, c) (*(const NM_LANE(vfu) *)(const void *)((p) + (c) * V))
#define ST(p, c, v) (*(NM_LANE(vfu) *)(void *)((p) + (c) * V) = (v))
#define LDI(p, c) ((vi)(*(const NM_LANE(viu) *)(const void *)((p) + (c) * V)))
#define ZERO ((vf){ 0.0f })
/* m ? a : b per lane, as bits (m is all ones or all zeros) */
#define SEL(m, a, b) ((vf)((((vi)(a)) & (m)) | (((vi)(b)) & ~(m))))

/* y[r] = b[r] + dot4(cols, A[r], x) for each row (nm_gemv_bias's and nm_dot's order; the narrow first layer's
 * order is dot4's too, simd_kernels.h) */
NM_LANE_ATTR static void NM_LANE(rows_dot)(size_t rows, size_t cols, const float *restrict A,
                                           const float *restrict x, const float *restrict b, float *restrict y)
{
    size_t r, j, c;
    if (cols <= 3) {   /* the narrow first layer: dot4's tail only, ((0 + a0 x0) + a1 x1) + a2 x2, then + 0 + 0 */
        vf x0 = LD(x, 0), x1 = cols > 1 ? LD(x + W, 0) : ZERO, x2 = cols > 2 ? LD(x + 2 * W, 0) : ZERO;
        for (r = 0; r < rows && NV == 1; r++) {
            const float *a = A + r * cols * W;
            vf s0 = ZERO + LD(a, 0) * x0;
            if (cols > 1) s0 += LD(a + W, 0) * x1;
            if (cols > 2) s0 += LD(a + 2 * W, 0) * x2;
            ST(y + r * W, 0, LD(b + r * W, 0) + ((s0 + ZERO) + (ZERO + ZERO)));
        }
        if (NV == 1) return;
    }
    for (r = 0; r < rows; r++) {
        const float *a = A + r * cols * W;
        for (c = 0; c < NV; c++) {
            vf s0 = ZERO, s1 = ZERO, s2 = ZERO, s3 = ZERO;
            for (j = 0; j + 4 <= cols; j += 4) {
                s0 += LD(a + j * W, c) * LD(x + j * W, c);
                s1 += LD(a + (j + 1) * W, c) * LD(x + (j + 1) * W, c);
                s2 += LD(a + (j + 2) * W, c) * LD(x + (j + 2) * W, c);
                s3 += LD(a + (j + 3) * W, c) * LD(x + (j + 3) * W, c);
            }
            for (; j < cols; j++) s0 += LD(a + j * W, c) * LD(x + j * W, c);
            ST(y + r * W, c, LD(b + r * W, c) + ((s0 + s1) + (s2 + s3)));
        }
    }
}

/* pre <- pre g, post <- tanh(pre); g one per lane (the uniform gain). The tanh is nm_tanh's: the same clamps
 * (selects that keep x when the comparison is false, so NaN passes) and polynomials. */
NM_LANE_ATTR static void NM_LANE(gain_tanh)(size_t n, const float *restrict g, float *restrict pre,
                                            float *restrict post)
{
    const float k = NM_TANH_CLAMP;
    size_t i, c;
    for (i = 0; i < n; i++)
        for (c = 0; c < NV; c++) {
            vf v = LD(pre + i * W, c) * LD(g, c), xc, x2, p, q;
            ST(pre + i * W, c, v);
            xc = SEL(v > k, ZERO + k, v);
            xc = SEL(xc < -k, ZERO - k, xc);
            x2 = xc * xc;
            NM_TANH_P(p, x2, ZERO);   /* nm_tanh's polynomial, per lane */
            NM_TANH_Q(q, x2, ZERO);
            ST(post + i * W, c, xc * p / q);
        }
}

/* sumsq's eight partial sums in double, per lane; half a register of lanes at a time, so that the eight
 * accumulators of doubles fit in the set's registers */
NM_LANE_ATTR static void NM_LANE(sumsq)(size_t n, const float *restrict x, double *restrict out)
{
    size_t j, hf, k;
    for (hf = 0; hf < 2; hf++) {
        const float *xh = x + hf * (V / 2);
        vdh s[8], r;
        for (k = 0; k < 8; k++) s[k] = (vdh){ 0.0 };
        for (j = 0; j + 8 <= n; j += 8)
            for (k = 0; k < 8; k++) {
                vdh d = __builtin_convertvector(LDH(xh + (j + k) * W), vdh);
                s[k] += d * d;
            }
        for (; j < n; j++) {
            vdh d = __builtin_convertvector(LDH(xh + j * W), vdh);
            s[0] += d * d;
        }
        r = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
        memcpy(out + hf * (V / 2), &r, sizeof r);
    }
}

/* a head row's backward (head_backward; scal_to where g is 0): dst = decay src + g h, dh += g w */
NM_LANE_ATTR static void NM_LANE(head_backward)(size_t n, const float *restrict decay, const float *restrict g,
                                                const float *restrict h, const float *restrict src,
                                                float *restrict dst, const float *restrict w, float *restrict dh)
{
    size_t i, c;
    for (i = 0; i < n; i++)
        for (c = 0; c < NV; c++) {
            vf G = LD(g, c), d = LD(decay, c) * LD(src + i * W, c), e = LD(dh + i * W, c);
            vi z = G == 0.0f;
            ST(dst + i * W, c, SEL(z, d, d + G * LD(h + i * W, c)));
            ST(dh + i * W, c, SEL(z, e, e + G * LD(w + i * W, c)));
        }
}

/* dh <- dh ((1 - post^2) g) */
NM_LANE_ATTR static void NM_LANE(tanh_backward)(size_t n, const float *restrict post, const float *restrict g,
                                                float *restrict dh)
{
    size_t i, c;
    for (i = 0; i < n; i++)
        for (c = 0; c < NV; c++) {
            vf p = LD(post + i * W, c);
            ST(dh + i * W, c, LD(dh + i * W, c) * ((1.0f - p * p) * LD(g, c)));
        }
}

/* ger_decay with alpha 1 (a row whose dh is 0 only decays), then axpy_decay of the bias */
NM_LANE_ATTR static void NM_LANE(dense_trace)(size_t rows, size_t cols, const float *restrict decay,
                                              const float *restrict dh, const float *restrict in,
                                              const float *restrict src, float *restrict dst,
                                              const float *restrict bsrc, float *restrict bdst)
{
    size_t r, j, c;
    for (r = 0; r < rows; r++)
        for (c = 0; c < NV; c++) {
            vf D = LD(decay, c), ax = LD(dh + r * W, c);
            vi z = ax == 0.0f;
            for (j = 0; j < cols; j++) {
                vf d = D * LD(src + (r * cols + j) * W, c);
                ST(dst + (r * cols + j) * W, c, SEL(z, d, d + ax * LD(in + j * W, c)));
            }
            ST(bdst + r * W, c, D * LD(bsrc + r * W, c) + ax);
        }
}

/* y += alpha x */
NM_LANE_ATTR static void NM_LANE(axpy)(size_t n, const float *restrict alpha, const float *restrict x,
                                       float *restrict y)
{
    size_t i, c;
    for (i = 0; i < n; i++)
        for (c = 0; c < NV; c++) ST(y + i * W, c, LD(y + i * W, c) + LD(alpha, c) * LD(x + i * W, c));
}

/* row sel[l] of each lane's rows x cols matrix M, plus alpha x (x cols floats), into out (cols lane vectors), and
 * bad[l] set when it is not finite (axpy_finite's test); then row_put writes out into row sel[l] of M */
NM_LANE_ATTR static void NM_LANE(row_axpy)(size_t rows, size_t cols, const int *restrict sel,
                                           const float *restrict alpha, const float *restrict x,
                                           const float *restrict M, float *restrict out, uint32_t *restrict bad)
{
    size_t r, j;
    vi acc = (vi){ 0 }, S = LDI(sel, 0);
    vf A = LD(alpha, 0);
    int32_t o[W];
    for (j = 0; j < cols; j++) {
        vf m = LD(M + j * W, 0), v;
        for (r = 1; r < rows; r++) m = SEL(S == (int)r, LD(M + (r * cols + j) * W, 0), m);
        v = m + A * LD(x + j * W, 0);
        acc |= (((vi)v) & 0x7f800000) == 0x7f800000;
        ST(out + j * W, 0, v);
    }
    memcpy(o, &acc, sizeof o);
    for (j = 0; j < W; j++) bad[j] |= o[j] != 0;
}

NM_LANE_ATTR static void NM_LANE(row_put)(size_t rows, size_t cols, const int *restrict sel,
                                          const float *restrict in, float *restrict M)
{
    size_t r, j;
    vi S = LDI(sel, 0);
    for (r = 0; r < rows; r++) {
        vi on = S == (int)r;
        for (j = 0; j < cols; j++) {
            vf m = LD(M + (r * cols + j) * W, 0);
            ST(M + (r * cols + j) * W, 0, SEL(on, LD(in + j * W, 0), m));
        }
    }
}

/* bad[l] set if some x of lane l is not finite (all_finite's test: an exponent of all ones) */
NM_LANE_ATTR static void NM_LANE(nonfinite)(size_t n, const float *restrict x, uint32_t *restrict bad)
{
    size_t i, c, l;
    for (c = 0; c < NV; c++) {
        vi acc = (vi){ 0 };
        int32_t out[V];
        for (i = 0; i < n; i++) acc |= (((vi)LD(x + i * W, c)) & 0x7f800000) == 0x7f800000;
        memcpy(out, &acc, sizeof out);
        for (l = 0; l < V; l++) bad[c * V + l] = out[l] != 0;
    }
}

/* x *= keep[l] where on[l] (scal) */
NM_LANE_ATTR static void NM_LANE(scal)(size_t n, const float *restrict keep, const int *restrict on,
                                       float *restrict x)
{
    size_t i, c;
    for (i = 0; i < n; i++)
        for (c = 0; c < NV; c++) {
            vf v = LD(x + i * W, c);
            ST(x + i * W, c, SEL(LDI(on, c) != 0, v * LD(keep, c), v));
        }
}

static const nm_lane_kernels NM_LANE(lanes) = {
    NM_LANE_NAME, NM_LANE_V, NM_LANE_MAX_HIDDEN, NM_LANE(rows_dot), NM_LANE(gain_tanh), NM_LANE(sumsq),
    NM_LANE(head_backward), NM_LANE(tanh_backward), NM_LANE(dense_trace), NM_LANE(axpy), NM_LANE(row_axpy),
    NM_LANE(row_put), NM_LANE(nonfinite), NM_LANE(scal)
};

#undef W
#undef V
#undef NV
#undef vf
#undef vi
#undef vdh
#undef LDH
#undef LD
#undef ST
#undef LDI
#undef ZERO
#undef SEL
