/*
 * population_lanes.h -- the interleaved population step's kernels, compiled by population_simd.c once per
 * instruction set (as simd.c compiles simd_kernels.h): NM_LANE(name) gives each copy its suffix and
 * NM_LANE_ATTR its target attribute, NM_LANE_CVTPD(x) its conversion of half a register of floats to a register of
 * doubles. Not a normal header. nm_tanh's clamps, x > c ? c : x and x < -c ? -c : x (x kept where the comparison is
 * false, NaN included), are exactly x86's min(c, x) and max(-c, x): NM_LANE_CLAMP_HI(c, x) and NM_LANE_CLAMP_LO.
 * The header undefines all of these at its end, so each instantiation defines its own.
 *
 * Layout: w agents side by side, w = NM_LANE_V, the floats of one register of the set (4 SSE2, 8 AVX2,
 * 16 AVX-512); float i of lane l's vector (its parameters, traces or cache, in the lone agent's order) is at
 * [i * w + l]. Every kernel loops over i and, inside, over the lanes as one GNU C vector: each lane performs
 * exactly the lone agent's operations on each value in the lone agent's order (dot products keep nm_dot4's four
 * partial sums, sums of squares sumsq's eight, in double), so lane l computes the bits agent l would. Fused
 * kernels (the trunk with its tanh, act's backward pass, both predictor heads) visit several of the lone agent's
 * loops in one pass over the units; each value still takes its own operations in their order. A lone kernel's branch on a value (a row whose gradient is 0) becomes a select per lane. The same
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
#ifndef NM_LANE_CLAMP_HI
#define NM_LANE_CLAMP_HI(c, x) SEL((x) > (c), (c), (x))
#define NM_LANE_CLAMP_LO(c, x) SEL((x) < (c), (c), (x))
#endif

/* y[r] = b[r] + nm_dot4(cols, A[r], x) for each row (nm_gemv_bias's and nm_dot's order; the narrow first layer's
 * order is nm_dot4's too, simd_kernels.h) */
NM_LANE_ATTR static void NM_LANE(rows_dot)(size_t rows, size_t cols, const float *restrict A,
                                           const float *restrict x, const float *restrict b, float *restrict y)
{
    size_t r, j, c;
    if (cols <= 3) {   /* the narrow first layer: nm_dot4's tail only, ((0 + a0 x0) + a1 x1) + a2 x2, then + 0 + 0 */
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
            vf v = LD(pre + i * W, c) * LD(g + i * W, c), xc, x2, p, q;
            ST(pre + i * W, c, v);
            xc = NM_LANE_CLAMP_HI(ZERO + k, v);
            xc = NM_LANE_CLAMP_LO(ZERO - k, xc);
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
                vdh d = NM_LANE_CVTPD(LDH(xh + (j + k) * W));
                s[k] += d * d;
            }
        for (; j < n; j++) {
            vdh d = NM_LANE_CVTPD(LDH(xh + j * W));
            s[0] += d * d;
        }
        r = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
        memcpy(out + hf * (V / 2), &r, sizeof r);
    }
}

/* y += alpha x */
NM_LANE_ATTR static void NM_LANE(axpy)(size_t n, const float *restrict alpha, const float *restrict x,
                                       float *restrict y)
{
    vf A = LD(alpha, 0);
    size_t i;
    for (i = 0; i + 4 <= n; i += 4) {   /* four at a time: the loop's own instructions were a third of it */
        ST(y + i * W, 0, LD(y + i * W, 0) + A * LD(x + i * W, 0));
        ST(y + (i + 1) * W, 0, LD(y + (i + 1) * W, 0) + A * LD(x + (i + 1) * W, 0));
        ST(y + (i + 2) * W, 0, LD(y + (i + 2) * W, 0) + A * LD(x + (i + 2) * W, 0));
        ST(y + (i + 3) * W, 0, LD(y + (i + 3) * W, 0) + A * LD(x + (i + 3) * W, 0));
    }
    for (; i < n; i++) ST(y + i * W, 0, LD(y + i * W, 0) + A * LD(x + i * W, 0));
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

/* whether any lane of m is set */
NM_LANE_ATTR static int NM_LANE(any)(vi m)
{
    uint64_t o[V / 2], r = 0;
    size_t l;
    memcpy(o, &m, sizeof o);
    for (l = 0; l < V / 2; l++) r |= o[l];
    return r != 0;
}

/* x = 0 where on[l] (the trace of a member that ended its episode or whose NA called for the reset) */
NM_LANE_ATTR static void NM_LANE(clear)(size_t n, const int *restrict on, float *restrict x)
{
    vi m = LDI(on, 0) != 0;
    size_t i;
    for (i = 0; i < n; i++) ST(x + i * W, 0, SEL(m, ZERO, LD(x + i * W, 0)));
}

/* nm_expf (nm_math.c) per lane, half the lanes at a time in doubles (a register of them): nm_expf_plain's
 * double operations in its order, or where the set's CPUs have FMA (NM_LANE_FMADD) nm_expf_fma's; the two give
 * the same bits on every input (c/test/expf_check.c), and so does this on every input the lanes take, |x| < 88
 * (c/test/lane_expf_check.c, `make expf-check`). k is taken from the bits of kd + shift (their low bits hold it;
 * k mod 32 and k << 47 are the same from either). Lanes at |x| >= 88, inf or NaN take nm_expf itself. */
typedef uint64_t NM_LANE(vq) __attribute__((vector_size(4 * V)));    /* half a register of lanes, as vdh */
typedef int64_t NM_LANE(vqs) __attribute__((vector_size(4 * V)));
typedef float NM_LANE(vh) __attribute__((vector_size(2 * V)));
/* half hf of a lane mask, as a mask of 64-bit lanes */
NM_LANE_ATTR static NM_LANE(vqs) NM_LANE(widen)(vi m, int hf)
{
    NM_LANE(vqs) r;
    size_t l;
    for (l = 0; l < V / 2; l++) r[l] = m[hf * (V / 2) + l];
    return r;
}

NM_LANE_ATTR static NM_LANE(vh) NM_LANE(expf_half)(NM_LANE(vh) x)
{
    const double inv_ln2_n = 0x1.71547652b82fep+0 * 32, shift = 0x1.8p+52;
    const double c0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32, c1 = 0x1.ebfce50fac4f3p-3 / 32 / 32,
                 c2 = 0x1.62e42ff0c52d6p-1 / 32;
    vdh xd = NM_LANE_CVTPD(x), kd, r, y, p;
    NM_LANE(vq) kb, t, idx;
#ifdef NM_LANE_FMADD
    kd = NM_LANE_FMADD(xd, (vdh){ 0.0 } + inv_ln2_n, (vdh){ 0.0 } + shift);
    kb = (NM_LANE(vq))kd;
    kd -= shift;
    r = NM_LANE_FMADD(xd, (vdh){ 0.0 } + inv_ln2_n, -kd);
#else
    const double inv_hi = 0x1.7154765p+5, inv_lo = inv_ln2_n - inv_hi;   /* exact products, as nm_expf_plain */
    vdh ph = inv_hi * xd, pl = inv_lo * xd;
    kd = (ph + pl) + shift;
    kb = (NM_LANE(vq))kd;
    kd -= shift;
    r = (ph - kd) + pl;
#endif
    idx = kb & 31;
#ifdef NM_LANE_GATHER
    t = NM_LANE_GATHER(idx);
#else
    {
        size_t l;
        t = idx;
        for (l = 0; l < V / 2; l++) t[l] = nm_exp_table[idx[l]];
    }
#endif
    t += kb << 47;
#ifdef NM_LANE_FMADD
    p = NM_LANE_FMADD((vdh){ 0.0 } + c0, r, (vdh){ 0.0 } + c1);
    y = NM_LANE_FMADD((vdh){ 0.0 } + c2, r, (vdh){ 0.0 } + 1.0);
    y = NM_LANE_FMADD(p, r * r, y);
#else
    p = c0 * r + c1;
    y = c2 * r + 1.0;
    y = p * (r * r) + y;
#endif
    return __builtin_convertvector(y * (vdh)t, NM_LANE(vh));
}

NM_LANE_ATTR static vf NM_LANE(expf)(vf x)
{
    vi big = (((vi)x >> 20) & 0x7ff) >= 0x42b;   /* 0x42b: the top bits of 88.0f */
    NM_LANE(vh) lo, hi;
    vf out;
    size_t l;
    memcpy(&lo, &x, sizeof lo);
    memcpy(&hi, (const char *)&x + sizeof lo, sizeof hi);
    lo = NM_LANE(expf_half)(lo);
    hi = NM_LANE(expf_half)(hi);
    memcpy(&out, &lo, sizeof lo);
    memcpy((char *)&out + sizeof lo, &hi, sizeof hi);
    if (NM_LANE(any)(big))
        for (l = 0; l < V; l++)
            if (big[l]) out[l] = nm_expf(x[l]);
    return out;
}

/* nm_expf of n floats through the lanes (c/test/lane_expf_check.c), n a multiple of the lanes */
NM_LANE_ATTR static void NM_LANE(expf_n)(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i + V <= n; i += V) ST(y + i, 0, NM_LANE(expf)(LD(x + i, 0)));
}

/* network.c's attended input u = attn x for the group's n members, x read per lane from the population's
 * observations (member lo + l's at obs + (lo + l) d) by one gather per input where the set has one
 * (NM_LANE_GATHER_OBS; the caller keeps the indices within int32); the padding lanes keep theirs */
NM_LANE_ATTR static void NM_LANE(obs_in)(size_t d, size_t lo, size_t n, const float *restrict obs,
                                         const float *restrict attn, float *restrict u)
{
    size_t i, l;
#ifdef NM_LANE_GATHER_OBS
    int32_t ix[V], p[V];
    vi idx, pad;
    for (l = 0; l < V; l++) {
        ix[l] = (int32_t)((lo + (l < n ? l : 0)) * d);
        p[l] = l < n ? 0 : -1;
    }
    memcpy(&idx, ix, sizeof idx);
    memcpy(&pad, p, sizeof pad);
    for (i = 0; i < d; i++) {
        vf x = NM_LANE_GATHER_OBS(obs + i, idx);
        ST(u + i * W, 0, SEL(pad, LD(u + i * W, 0), LD(attn + i * W, 0) * x));
    }
#else
    for (l = 0; l < n; l++) {
        const float *x = obs + (lo + l) * d;
        for (i = 0; i < d; i++) u[i * W + l] = attn[i * W + l] * x[i];
    }
#endif
}

/* learner_rate.c's softmax of beta logits (+ bias on the withheld action), per lane: wh holds each lane's
 * withheld action as a float (-1: none) */
NM_LANE_ATTR static void NM_LANE(softmax)(size_t A, const float *restrict beta, const float *restrict bias,
                                          const float *restrict wh, const float *restrict logits,
                                          float *restrict probs)
{
    vf B = LD(beta, 0), S = LD(bias, 0), H = LD(wh, 0), mx, sum = ZERO;
    size_t i;
    for (i = 0; i < A; i++) ST(probs + i * W, 0, B * LD(logits + i * W, 0) + SEL(H == (float)i, S, ZERO));
    mx = LD(probs, 0);
    for (i = 1; i < A; i++) {
        vf p = LD(probs + i * W, 0);
        mx = SEL(p > mx, p, mx);
    }
    for (i = 0; i < A; i++) {
        vf p = NM_LANE(expf)(LD(probs + i * W, 0) - mx);
        ST(probs + i * W, 0, p);
        sum += p;
    }
    for (i = 0; i < A; i++) ST(probs + i * W, 0, LD(probs + i * W, 0) / sum);
}


NM_LANE_ATTR static vf NM_LANE(tanh)(vf v)
{
    const float k = NM_TANH_CLAMP;
    vf xc, x2, p, q;
    xc = NM_LANE_CLAMP_HI(ZERO + k, v);
    xc = NM_LANE_CLAMP_LO(ZERO - k, xc);
    x2 = xc * xc;
    NM_TANH_P(p, x2, ZERO);
    NM_TANH_Q(q, x2, ZERO);
    return xc * p / q;
}

/* modulators.c's flush_tiny */
NM_LANE_ATTR static vf NM_LANE(flush)(vf x)
{
    vf ax = (vf)((vi)x & 0x7fffffff);
    return SEL(ax < NM_TINY, ZERO, x);
}

/* modulators.c's nm_mod_step per lane, for configs with the surprise input to NA and neither the attentional
 * set nor the gain focus (population_simd.c decides): the same operations in the same order. kc: each lane's
 * constants (KC_*), in: the state (nm_modstate's floats, one lane vector each), out: the next state; r, delta,
 * S, E: the step's signals; reset: NA's call for clearing the traces, per lane. */
NM_LANE_ATTR static void NM_LANE(mod_step)(const float *restrict kc, const float *restrict in, float *restrict out,
                                           const float *restrict rw, const float *restrict dl,
                                           const float *restrict sp, const float *restrict ex,
                                           int32_t *restrict reset)
{
#define K(i) LD(kc + (size_t)(i) * W, 0)
#define MG(i) LD(out + (size_t)(i) * W, 0)
#define MS(i, v) ST(out + (size_t)(i) * W, 0, (v))
    vf r = LD(rw, 0), S = LD(sp, 0), E = LD(ex, 0), fl = K(KC_FLOOR), excess, u, v, t, ks, dev, se, z, pun, drive;
    vf base[NM_N_MODULATORS], level[NM_N_MODULATORS];
    vi m;
    size_t k, j, p, l;
    memcpy(out, in, NM_MS * W * sizeof *out);
    MS(MS_SURPRISE, S);
    MS(MS_EXPECTED, E);
    /* NA */
    excess = S - K(KC_NA_THR) * E;
    u = SEL(excess > 0.0f, excess / (S + fl), ZERO);
    MS(MS_UNEXPECTED, u);
    v = K(KC_PD) * MG(MS_PHASIC + NM_NA) + u;
    MS(MS_PHASIC + NM_NA, v);
    t = MG(MS_TONIC + NM_NA);
    MS(MS_TONIC + NM_NA, t + K(KC_KT + NM_NA) * (v - t));
    m = (K(KC_NA_ON) != 0.0f) & (u > K(KC_NA_RESET));
    memcpy(reset, &m, sizeof m);
    /* ACh */
    v = E - fl;
    MS(MS_PHASIC + NM_ACH, v);
    t = MG(MS_TONIC + NM_ACH);
    MS(MS_TONIC + NM_ACH, t + K(KC_KT + NM_ACH) * (v - t));
    /* DA */
    MS(MS_PHASIC + NM_DA, LD(dl, 0));
    t = MG(MS_TONIC + NM_DA);
    t = t + K(KC_KT + NM_DA) * (r - t);
    MS(MS_TONIC + NM_DA, t);
    ks = K(KC_KS_DA);
    dev = r - t;
    v = MG(MS_REWARD_SHORT);
    v = v + ks * (r - v);
    MS(MS_REWARD_SHORT, v);
    se = MG(MS_REWARD_VAR);
    se = se + K(KC_KT + NM_DA) * (dev * dev - se);
    MS(MS_REWARD_VAR, se);
    se = se * ks * 0.5f;
    for (l = 0; l < V; l++) se[l] = sqrtf(se[l]);
    se = se + 1e-3f;
    z = (t - v) / se - 3.0f;
    MS(MS_UTILITY_DROP, SEL(z > 0.0f, z / (z + 2.0f), ZERO));
    /* 5-HT */
    pun = SEL(r < 0.0f, -r, ZERO);
    v = MG(MS_PHASIC + NM_5HT);
    t = pun - (1.0f - K(KC_PD + NM_5HT)) * v;
    drive = SEL(K(KC_REL) != 0.0f, SEL(t > 0.0f, t, ZERO), pun);
    MS(MS_PHASIC + NM_5HT, K(KC_PD + NM_5HT) * v + pun);
    t = MG(MS_TONIC + NM_5HT);
    MS(MS_TONIC + NM_5HT, t + K(KC_KT + NM_5HT) * (drive - t));
    /* flush_state */
    for (k = 0; k < NM_N_MODULATORS; k++) {
        MS(MS_PHASIC + k, NM_LANE(flush)(MG(MS_PHASIC + k)));
        MS(MS_TONIC + k, NM_LANE(flush)(MG(MS_TONIC + k)));
    }
    MS(MS_REWARD_SHORT, NM_LANE(flush)(MG(MS_REWARD_SHORT)));
    MS(MS_OUTLIER_RATE, NM_LANE(flush)(MG(MS_OUTLIER_RATE)));
    MS(MS_REWARD_VAR, NM_LANE(flush)(MG(MS_REWARD_VAR)));
    /* compute_levels */
    base[NM_DA] = MG(MS_TONIC + NM_DA);
    base[NM_NA] = MG(MS_PHASIC + NM_NA) + MG(MS_TONIC + NM_NA) + MG(MS_UTILITY_DROP);
    base[NM_ACH] = MG(MS_TONIC + NM_ACH);
    base[NM_5HT] = MG(MS_TONIC + NM_5HT);
    for (k = 0; k < NM_N_MODULATORS; k++) base[k] = NM_LANE(tanh)(base[k] / K(KC_SCALE + k));
    for (k = 0; k < NM_N_MODULATORS; k++) base[k] = SEL(K(KC_ON + k) != 0.0f, base[k], ZERO);
    for (k = 0; k < NM_N_MODULATORS; k++) {
        vf x = ZERO, f;
        vi zero;
        for (j = 0; j < NM_N_MODULATORS; j++)
            if (j != k) x += K(KC_INT + k * NM_N_MODULATORS + j) * base[j];
        zero = x == 0.0f;
        f = ZERO + 1.0f;
        if (NM_LANE(any)(~zero)) f = SEL(zero, f, NM_LANE(expf)(x));
        MS(MS_FACTOR + k, f);
        level[k] = base[k] * f;
        MS(MS_LEVEL + k, level[k]);
    }
    /* nm_mod_compute_params */
    for (p = 0; p < NM_N_PARAMS; p++) {
        vf x = ZERO, p0 = K(KC_BASE + p);
        for (k = 0; k < NM_N_MODULATORS; k++) x += K(KC_MAP + p * NM_N_MODULATORS + k) * level[k];
        if (p == NM_P_DISCOUNT || p == NM_P_TRACE_DECAY) {
            v = 1.0f - (1.0f - p0) * NM_LANE(expf)(-x);
            v = SEL(v > 0.999f, ZERO + 0.999f, v);
            v = SEL(v < 0.0f, ZERO, v);
        } else if (p == NM_P_WITHHOLD_BIAS) {
            v = p0 + x;
        } else {
            vi keep = (x == 0.0f) | (p0 == 0.0f);
            v = p0;
            if (NM_LANE(any)(~keep)) v = SEL(keep, p0, p0 * NM_LANE(expf)(x));
        }
        MS(MS_PARAMS + p, v);
    }
#undef K
#undef MG
#undef MS
}

/* nm_net_trace_inplace for the group (w_logpi 1, w_value critic_scale), its two phases each in one pass over the
 * units. act_delta, before any trace is written: each unit's dh, the head rows' share (head_backward's dh += g w,
 * the policy rows then the value row, skipping a row whose g is 0) through tanh_backward, kept in G->dh for the
 * norm and the second phase. act_trace, once every lane's bound is safe: the trace in place, each head row's entry
 * (head_backward's, or scal_to's where its g is 0) and the trunk's row (ger_decay with alpha 1: a row whose dh is
 * 0 only decays; axpy_decay for the bias). G->gv holds the rows' g (A policy rows, then the value row); the heads'
 * biases are head_g's. */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(act_delta_n)(const nm_popsimd *s,
                                                                                     nm_group *G, const size_t A,
                                                                                     const int rec)
{
    const size_t F = s->hidden;
    const float *restrict P = G->params, *restrict g = G->gv, *restrict h = G->cache + s->lpost * W;
    float *restrict dh = rec ? G->rdh : G->dh;
    vf gk[3];
    vi zk[3];
    size_t j, i;
    for (i = 0; i <= A && A < 3; i++) {   /* a few rows: their g and masks stay in registers */
        gk[i] = LD(g + i * W, 0);
        zk[i] = gk[i] == 0.0f;
    }
    for (j = 0; j < F; j++) {
        vf hj = LD(h + j * W, 0), d = ZERO, gv;
        vi z;
        for (i = 0; i <= A; i++) {
            size_t at = (i < A ? s->policy_w + i * F : s->value_w) + j;
            gv = A < 3 ? gk[i] : LD(g + i * W, 0);
            z = A < 3 ? zk[i] : gv == 0.0f;
            d = SEL(z, d, d + gv * LD(P + at * W, 0));
        }
        ST(dh + j * W, 0, rec ? d : d * ((1.0f - hj * hj) * LD(G->ugain + j * W, 0)));
    }
}

__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(act_trace_n)(const nm_popsimd *s,
                                                                                     nm_group *G, const float *decay,
                                                                                     const size_t A, const size_t in,
                                                                                     const int rec)
{
    const size_t F = s->hidden;
    const float *restrict g = G->gv, *restrict dh = G->dh;
    const float *restrict h = G->cache + s->lpost * W, *restrict u = G->cache + s->cl.input * W;
    float *restrict E = G->trace;
    vf D = LD(decay, 0), gk[3];
    vi zk[3];
    size_t j, i, c;
    for (i = 0; i <= A && A < 3; i++) {
        gk[i] = LD(g + i * W, 0);
        zk[i] = gk[i] == 0.0f;
    }
    for (j = 0; j < F; j++) {
        vf hj = LD(h + j * W, 0), d = LD(dh + j * W, 0), gv, dd;
        vi z;
        for (i = 0; i <= A; i++) {
            size_t at = (i < A ? s->policy_w + i * F : s->value_w) + j;
            gv = A < 3 ? gk[i] : LD(g + i * W, 0);
            z = A < 3 ? zk[i] : gv == 0.0f;
            dd = D * LD(E + at * W, 0);
            ST(E + at * W, 0, SEL(z, dd, dd + gv * hj));
        }
        if (rec) continue;   /* a recurrent trunk's pass waits for learn (rec_pass) */
        z = d == 0.0f;
        for (c = 0; c < in; c++) {
            size_t at = s->lw + j * in + c;
            dd = D * LD(E + at * W, 0);
            ST(E + at * W, 0, SEL(z, dd, dd + d * LD(u + c * W, 0)));
        }
        ST(E + (s->lb + j) * W, 0, D * LD(E + (s->lb + j) * W, 0) + d);
    }
}

/* (the common shape, 2 actions and 3 inputs, compiled with its loops unrolled) */
NM_LANE_ATTR static void NM_LANE(act_delta)(const nm_popsimd *s, nm_group *G)
{
    if (s->n_actions == 2) NM_LANE(act_delta_n)(s, G, 2, 0);
    else NM_LANE(act_delta_n)(s, G, s->n_actions, 0);
}

NM_LANE_ATTR static void NM_LANE(act_trace)(const nm_popsimd *s, nm_group *G, const float *decay)
{
    if (s->n_actions == 2 && s->n_obs == 3) NM_LANE(act_trace_n)(s, G, decay, 2, 3, 0);
    else NM_LANE(act_trace_n)(s, G, decay, s->n_actions, s->n_obs, 0);
}

/* The recurrent trunk (one recurrent tanh layer of either kind: layer_recurrent.c, layer_integrator.c) for the
 * group. rec_sums fills z = [u; h_{t-1}; 1] in cache C (h_{t-1} the first n of the group's rstate) and puts each
 * unit's sum A' z, in column order from z_0 A_0 (rec_gemv's), at out. Eight units at a time run through the
 * columns, their sums in registers. */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(rec_sums)(const nm_popsimd *s,
                                                                                  const nm_group *G, float *C,
                                                                                  float *restrict out)
{
    const size_t n = s->hidden, in = s->n_obs, ncols = in + n + 1;
    const float *restrict A = G->params + s->lw * W;
    float *restrict z = C + s->lz * W;
    size_t i, j;
    memcpy(z, C + s->cl.input * W, in * W * sizeof *z);
    memcpy(z + in * W, G->rstate, n * W * sizeof *z);
    ST(z + (in + n) * W, 0, ZERO + 1.0f);
    for (i = 0; i + 8 <= n; i += 8) {
        vf z0 = LD(z, 0), s0 = z0 * LD(A + i * W, 0), s1 = z0 * LD(A + (i + 1) * W, 0),
           s2 = z0 * LD(A + (i + 2) * W, 0), s3 = z0 * LD(A + (i + 3) * W, 0), s4 = z0 * LD(A + (i + 4) * W, 0),
           s5 = z0 * LD(A + (i + 5) * W, 0), s6 = z0 * LD(A + (i + 6) * W, 0), s7 = z0 * LD(A + (i + 7) * W, 0);
        for (j = 1; j < ncols; j++) {
            const float *c = A + (j * n + i) * W;
            vf zj = LD(z + j * W, 0);
            s0 = s0 + zj * LD(c, 0);
            s1 = s1 + zj * LD(c + W, 0);
            s2 = s2 + zj * LD(c + 2 * W, 0);
            s3 = s3 + zj * LD(c + 3 * W, 0);
            s4 = s4 + zj * LD(c + 4 * W, 0);
            s5 = s5 + zj * LD(c + 5 * W, 0);
            s6 = s6 + zj * LD(c + 6 * W, 0);
            s7 = s7 + zj * LD(c + 7 * W, 0);
        }
        ST(out + i * W, 0, s0); ST(out + (i + 1) * W, 0, s1); ST(out + (i + 2) * W, 0, s2);
        ST(out + (i + 3) * W, 0, s3); ST(out + (i + 4) * W, 0, s4); ST(out + (i + 5) * W, 0, s5);
        ST(out + (i + 6) * W, 0, s6); ST(out + (i + 7) * W, 0, s7);
    }
    for (; i < n; i++) {
        vf s0 = LD(z, 0) * LD(A + i * W, 0);
        for (j = 1; j < ncols; j++) s0 = s0 + LD(z + j * W, 0) * LD(A + (j * n + i) * W, 0);
        ST(out + i * W, 0, s0);
    }
}

/* The recurrent kind's forward pass: pre = gain (A' z), a = tanh(pre) (gain_tanh's), post = h_{t-1} leak +
 * alpha a (rec_leak's) */
NM_LANE_ATTR static void NM_LANE(rec_trunk)(const nm_popsimd *s, const nm_group *G, float *C)
{
    const size_t n = s->hidden;
    const float *restrict hp = G->rstate;
    float *restrict pre = C + s->lpre * W, *restrict a = pre + n * W, *restrict post = C + s->lpost * W;
    vf lk = LD(G->rleak, 0), al = LD(G->ralpha, 0);
    size_t i;
    NM_LANE(rec_sums)(s, G, C, pre);
    NM_LANE(gain_tanh)(n, G->ugain, pre, a);
    for (i = 0; i < n; i++) ST(post + i * W, 0, LD(hp + i * W, 0) * lk + al * LD(a + i * W, 0));
}

/* The integrator kind's forward pass (layer_integrator.c's int_integrate): v_{t-1} (rstate's second n) into the
 * cache's slot, the sums into v_t's slot, v_t = v_{t-1} leak + alpha (A' z) (rec_leak's) at pre and at v_t's slot,
 * then pre = gain v_t and post = tanh(pre) (gain_tanh's) */
NM_LANE_ATTR static void NM_LANE(int_trunk)(const nm_popsimd *s, const nm_group *G, float *C)
{
    const size_t n = s->hidden;
    float *restrict pre = C + s->lpre * W, *restrict vnow = C + s->lvnow * W, *restrict vprev = C + s->lvprev * W;
    vf lk = LD(G->rleak, 0), al = LD(G->ralpha, 0);
    size_t i;
    memcpy(vprev, G->rstate + n * W, n * W * sizeof *vprev);
    NM_LANE(rec_sums)(s, G, C, vnow);
    for (i = 0; i < n; i++) {
        vf v = LD(vprev + i * W, 0) * lk + al * LD(vnow + i * W, 0);
        ST(pre + i * W, 0, v);
        ST(vnow + i * W, 0, v);
    }
    NM_LANE(gain_tanh)(n, G->ugain, pre, C + s->lpost * W);
}

/* act's phase one for the recurrent trunk: the heads' share of dh into G->rdh (act_delta's, without the tanh
 * factor: rec_delta's D carries the unit's derivative), then rec_delta's D = alpha ((1 - a^2) gain) into G->rD
 * and per lane its sums: |D|^2 and |dh|^2 (eight partials each, sumsq's pairing) and the largest dh_i^2, in double,
 * half a register of lanes at a time */
NM_LANE_ATTR static void NM_LANE(rec_delta)(const nm_popsimd *s, nm_group *G, double *pd, double *qd, double *md)
{
    const size_t n = s->hidden;
    const float *restrict a = G->cache + (s->lpre + n) * W, *restrict dh = G->rdh;
    float *restrict D = G->rD;
    vf al = LD(G->ralpha, 0);
    size_t i, j, k, hf;
    if (s->n_actions == 2) NM_LANE(act_delta_n)(s, G, 2, 1);
    else NM_LANE(act_delta_n)(s, G, s->n_actions, 1);
    for (i = 0; i < n; i++) {
        vf ai = LD(a + i * W, 0);
        ST(D + i * W, 0, al * ((1.0f - ai * ai) * LD(G->ugain + i * W, 0)));
    }
    for (hf = 0; hf < 2; hf++) {
        vdh p[8], q[8], m[8], r;
        const size_t o = hf * (V / 2);
#define NM_REC_SUMS(k, at) do { \
            vdh d_ = NM_LANE_CVTPD(LDH(D + (at) * W + o)), h_ = NM_LANE_CVTPD(LDH(dh + (at) * W + o)), h2_ = h_ * h_; \
            p[k] += d_ * d_; \
            q[k] += h2_; \
            m[k] = (vdh)((((NM_LANE(vqs))h2_) & (NM_LANE(vqs))(h2_ > m[k])) | \
                          (((NM_LANE(vqs))m[k]) & ~(NM_LANE(vqs))(h2_ > m[k]))); \
        } while (0)
        for (k = 0; k < 8; k++) p[k] = q[k] = m[k] = (vdh){ 0.0 };
        for (j = 0; j + 8 <= n; j += 8)
            for (k = 0; k < 8; k++) NM_REC_SUMS(k, j + k);
        for (; j < n; j++) NM_REC_SUMS(0, j);
#undef NM_REC_SUMS
        r = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
        memcpy(pd + o, &r, sizeof r);
        r = ((q[0] + q[4]) + (q[2] + q[6])) + ((q[1] + q[5]) + (q[3] + q[7]));
        memcpy(qd + o, &r, sizeof r);
        for (k = 1; k < 8; k++)
            m[0] = (vdh)((((NM_LANE(vqs))m[k]) & (NM_LANE(vqs))(m[k] > m[0])) |
                         (((NM_LANE(vqs))m[0]) & ~(NM_LANE(vqs))(m[k] > m[0])));
        memcpy(md + o, &m[0], sizeof m[0]);
    }
}

/* act's phase two for the recurrent trunk's heads: their rows of the trace in place (act_trace's, without the trunk:
 * that pass waits for learn) */
NM_LANE_ATTR static void NM_LANE(rec_heads)(const nm_popsimd *s, nm_group *G, const float *decay)
{
    if (s->n_actions == 2) NM_LANE(act_trace_n)(s, G, decay, 2, s->n_obs, 1);
    else NM_LANE(act_trace_n)(s, G, decay, s->n_actions, s->n_obs, 1);
}

/* act's deferred pass over the recurrent synapses (rec_trace_update's arithmetic, synapse by synapse): eps = leak
 * eps + z_j D, e = decay e + dh . eps, from act's z, D and dh. mode 0 (settle: the trace without the update): only
 * the lanes of `on` change. mode 1: then W += step e in the same pass, in every lane; mode 2: the same, eps and e
 * taking 0 in the lanes of `zero` (an episode's end clears them next). Four units at a time run through the
 * columns, their D and dh in registers. */
#define NM_REC_SYN(k) do { \
        const size_t at_ = (j * n + i + (k)) * W; \
        vf v_ = lk * LD(eps + at_, 0) + zj * Dk[k], t_ = dc * LD(e + at_, 0) + gk[k] * v_; \
        if (mode == 0) { \
            ST(eps + at_, 0, SEL(m, v_, LD(eps + at_, 0))); \
            ST(e + at_, 0, SEL(m, t_, LD(e + at_, 0))); \
        } else { \
            ST(eps + at_, 0, mode == 2 ? SEL(m, ZERO, v_) : v_); \
            ST(e + at_, 0, mode == 2 ? SEL(m, ZERO, t_) : t_); \
            ST(P + at_, 0, LD(P + at_, 0) + st * t_); \
        } \
    } while (0)
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(rec_pass_n)(const nm_popsimd *s,
                                                                                    nm_group *G, const int *on,
                                                                                    const float *step,
                                                                                    const int *zero,
                                                                                    const int mode)
{
    const size_t n = s->hidden, ncols = s->n_obs + n + 1;
    float *restrict eps = G->eps + s->lelig * W, *restrict e = G->trace + s->lw * W, *restrict P = G->params + s->lw * W;
    const float *restrict z = G->cache + s->lz * W, *restrict D = G->rD, *restrict g = G->rdh;
    vf lk = LD(G->rleak, 0), dc = LD(G->rdecay, 0), st = mode ? LD(step, 0) : ZERO, Dk[4], gk[4];
    vi m = mode == 0 ? LDI(on, 0) != 0 : mode == 2 ? LDI(zero, 0) != 0 : (vi){ 0 };   /* mode 1 reads neither */
    size_t i, j, k;
    for (i = 0; i + 4 <= n; i += 4) {
        for (k = 0; k < 4; k++) { Dk[k] = LD(D + (i + k) * W, 0); gk[k] = LD(g + (i + k) * W, 0); }
        for (j = 0; j < ncols; j++) {
            vf zj = LD(z + j * W, 0);
            NM_REC_SYN(0); NM_REC_SYN(1); NM_REC_SYN(2); NM_REC_SYN(3);
        }
    }
    for (; i < n; i++) {
        Dk[0] = LD(D + i * W, 0); gk[0] = LD(g + i * W, 0);
        for (j = 0; j < ncols; j++) {
            vf zj = LD(z + j * W, 0);
            NM_REC_SYN(0);
        }
    }
}
#undef NM_REC_SYN

NM_LANE_ATTR static void NM_LANE(rec_pass)(const nm_popsimd *s, nm_group *G, const int *on, const float *step,
                                           const int *zero)
{
    int any = 0;
    size_t l;
    for (l = 0; zero && l < W; l++) any |= zero[l];
    if (!step) NM_LANE(rec_pass_n)(s, G, on, step, zero, 0);
    else if (any) NM_LANE(rec_pass_n)(s, G, on, step, zero, 2);
    else NM_LANE(rec_pass_n)(s, G, on, step, zero, 1);
}

/* act's phase one for the integrator trunk: the heads' share of dh into G->rdh (as rec_delta's), D = alpha ((1 -
 * h^2) gain) (rec_units_tanh's, from post) into G->rD and c = dh D after it (int_delta's: the factor of the trace's
 * outer product and d/d(A z) for the layer below), and per lane |c|^2 (sumsq's order, in double) */
NM_LANE_ATTR static void NM_LANE(int_delta)(const nm_popsimd *s, nm_group *G, double *pd)
{
    const size_t n = s->hidden;
    const float *restrict h = G->cache + s->lpost * W, *restrict dh = G->rdh;
    float *restrict D = G->rD, *restrict c = G->rD + n * W;
    vf al = LD(G->ralpha, 0);
    size_t i;
    if (s->n_actions == 2) NM_LANE(act_delta_n)(s, G, 2, 1);
    else NM_LANE(act_delta_n)(s, G, s->n_actions, 1);
    for (i = 0; i < n; i++) {
        vf hi = LD(h + i * W, 0), d = al * ((1.0f - hi * hi) * LD(G->ugain + i * W, 0));
        ST(D + i * W, 0, d);
        ST(c + i * W, 0, LD(dh + i * W, 0) * d);
    }
    NM_LANE(sumsq)(n, c, pd);
}

/* act's deferred pass over the integrator's synapses (int_trace_update's arithmetic, element by element): zbar =
 * zbar leak + z, then e = decay e + zbar_j c (e decay alone in a row whose zbar_j is 0, as ger_decay's), from act's
 * z and c. Modes as rec_pass's: 0 settles the lanes of `on` (zbar and e only); 1 adds W += step e in the same pass,
 * in every lane; 2 the same, zbar and e taking 0 after their step in the lanes of `zero`. */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(int_pass_n)(const nm_popsimd *s,
                                                                                    nm_group *G, const int *on,
                                                                                    const float *step,
                                                                                    const int *zero,
                                                                                    const int mode)
{
    const size_t n = s->hidden, ncols = s->n_obs + n + 1;
    float *restrict zbar = G->eps + s->lelig * W, *restrict e = G->trace + s->lw * W;
    float *restrict P = G->params + s->lw * W;
    const float *restrict z = G->cache + s->lz * W, *restrict c = G->rD + n * W;
    vf lk = LD(G->rleak, 0), dc = LD(G->rdecay, 0), st = mode ? LD(step, 0) : ZERO;
    vi m = mode == 0 ? LDI(on, 0) != 0 : mode == 2 ? LDI(zero, 0) != 0 : (vi){ 0 };   /* mode 1 reads neither */
    size_t i, j;
    for (j = 0; j < ncols; j++) {
        vf old = LD(zbar + j * W, 0), x = old * lk + LD(z + j * W, 0);
        vi zx = x == 0.0f;
        float *restrict er = e + j * n * W, *restrict pr = P + j * n * W;
        if (mode == 0) ST(zbar + j * W, 0, SEL(m, x, old));
        else ST(zbar + j * W, 0, mode == 2 ? SEL(m, ZERO, x) : x);
        for (i = 0; i < n; i++) {
            vf ev = LD(er + i * W, 0), dd = dc * ev, t = SEL(zx, dd, dd + x * LD(c + i * W, 0));
            if (mode == 0) {
                ST(er + i * W, 0, SEL(m, t, ev));
            } else {
                ST(er + i * W, 0, mode == 2 ? SEL(m, ZERO, t) : t);
                ST(pr + i * W, 0, LD(pr + i * W, 0) + st * t);
            }
        }
    }
}

NM_LANE_ATTR static void NM_LANE(int_pass)(const nm_popsimd *s, nm_group *G, const int *on, const float *step,
                                           const int *zero)
{
    int any = 0;
    size_t l;
    for (l = 0; zero && l < W; l++) any |= zero[l];
    if (!step) NM_LANE(int_pass_n)(s, G, on, step, zero, 0);
    else if (any) NM_LANE(int_pass_n)(s, G, on, step, zero, 2);
    else NM_LANE(int_pass_n)(s, G, on, step, zero, 1);
}

/* The trunk layer of the group's forward pass: pre = gain (b + W u), post = tanh(pre). A narrow layer (at most 3
 * inputs) in one pass per unit: nm_dot4's order, ((0 + a0 x0) + a1 x1) + a2 x2 then + 0 + 0, is the same value as
 * ((a0 x0 + a1 x1) + a2 x2) + 0: the two differ at most in the sign of a zero before the last + 0, which makes
 * every zero +0, and a second + 0 changes nothing after the first. Wider layers: rows_dot, then gain_tanh. */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(trunk_n)(const nm_popsimd *s,
                                                                                 const nm_group *G, float *C,
                                                                                 const size_t in)
{
    const size_t F = s->hidden;
    const float *restrict P = G->params, *restrict u = C + s->cl.input * W;
    float *restrict pre = C + s->lpre * W, *restrict post = C + s->lpost * W;
    vf x0, x1, x2;
    size_t j;
    if (in > 3) {
        NM_LANE(rows_dot)(F, in, P + s->lw * W, u, P + s->lb * W, pre);
        NM_LANE(gain_tanh)(F, G->ugain, pre, post);
        return;
    }
    x0 = LD(u, 0);
    x1 = in > 1 ? LD(u + W, 0) : ZERO;
    x2 = in > 2 ? LD(u + 2 * W, 0) : ZERO;
    for (j = 0; j < F; j++) {
        const float *a = P + (s->lw + j * in) * W;
        vf t = LD(a, 0) * x0, v;
        if (in > 1) t = t + LD(a + W, 0) * x1;
        if (in > 2) t = t + LD(a + 2 * W, 0) * x2;
        v = (LD(P + (s->lb + j) * W, 0) + (t + 0.0f)) * LD(G->ugain + j * W, 0);
        ST(pre + j * W, 0, v);
        ST(post + j * W, 0, NM_LANE(tanh)(v));
    }
}

/* learn's forward pass of s' needs only V(s'): a narrow trunk (3 inputs) with the value row's nm_dot4 (four partial
 * sums, rows_dot's order) taken as each unit's tanh is made, nothing stored but the value */
NM_LANE_ATTR static void NM_LANE(trunk_value)(const nm_popsimd *s, const nm_group *G, float *C)
{
    const size_t F = s->hidden;
    const float *restrict P = G->params, *restrict u = C + s->cl.input * W, *restrict wv = P + s->value_w * W;
    vf x0 = LD(u, 0), x1 = LD(u + W, 0), x2 = LD(u + 2 * W, 0);
    vf s0 = ZERO, s1 = ZERO, s2 = ZERO, s3 = ZERO;
    size_t j;
#define NM_UNIT_H(j) NM_LANE(tanh)((LD(P + (s->lb + (j)) * W, 0) + \
    (((LD(P + (s->lw + (j) * 3) * W, 0) * x0 + LD(P + (s->lw + (j) * 3 + 1) * W, 0) * x1) + \
      LD(P + (s->lw + (j) * 3 + 2) * W, 0) * x2) + 0.0f)) * LD(G->ugain + (j) * W, 0))
    for (j = 0; j + 4 <= F; j += 4) {
        s0 += LD(wv + j * W, 0) * NM_UNIT_H(j);
        s1 += LD(wv + (j + 1) * W, 0) * NM_UNIT_H(j + 1);
        s2 += LD(wv + (j + 2) * W, 0) * NM_UNIT_H(j + 2);
        s3 += LD(wv + (j + 3) * W, 0) * NM_UNIT_H(j + 3);
    }
    for (; j < F; j++) s0 += LD(wv + j * W, 0) * NM_UNIT_H(j);
#undef NM_UNIT_H
    ST(C + s->cl.value * W, 0, LD(P + s->value_b * W, 0) + ((s0 + s1) + (s2 + s3)));
}

NM_LANE_ATTR static void NM_LANE(trunk)(const nm_popsimd *s, const nm_group *G, float *C)
{
    if (s->n_obs == 3) NM_LANE(trunk_n)(s, G, C, 3);
    else NM_LANE(trunk_n)(s, G, C, s->n_obs);
}

/* y[r] = b[r] + nm_dot4(n, A[r], x) for R rows at once (R = 2 or 3: rows_dot's arithmetic, each row with its own
 * four partial sums, x loaded once per column) */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(dots_n)(size_t n, const size_t R,
                                                                               const float *const *A,
                                                                               const float *x,
                                                                               const float *const *b,
                                                                               float *const *y)
{
    vf s[3][4];
    size_t j, r;
    for (r = 0; r < R; r++) s[r][0] = s[r][1] = s[r][2] = s[r][3] = ZERO;
    for (j = 0; j + 4 <= n; j += 4) {
        vf x0 = LD(x + j * W, 0), x1 = LD(x + (j + 1) * W, 0), x2 = LD(x + (j + 2) * W, 0),
           x3 = LD(x + (j + 3) * W, 0);
        for (r = 0; r < R; r++) {
            s[r][0] += LD(A[r] + j * W, 0) * x0;
            s[r][1] += LD(A[r] + (j + 1) * W, 0) * x1;
            s[r][2] += LD(A[r] + (j + 2) * W, 0) * x2;
            s[r][3] += LD(A[r] + (j + 3) * W, 0) * x3;
        }
    }
    for (; j < n; j++)
        for (r = 0; r < R; r++) s[r][0] += LD(A[r] + j * W, 0) * LD(x + j * W, 0);
    for (r = 0; r < R; r++) ST(y[r], 0, LD(b[r], 0) + ((s[r][0] + s[r][1]) + (s[r][2] + s[r][3])));
}

NM_LANE_ATTR static void NM_LANE(dots)(size_t n, size_t R, const float *const *A, const float *x,
                                       const float *const *b, float *const *y)
{
    if (R == 3) NM_LANE(dots_n)(n, 3, A, x, b, y);
    else if (R == 2) NM_LANE(dots_n)(n, 2, A, x, b, y);
    else NM_LANE(dots_n)(n, 1, A, x, b, y);
}

/* The predictor's rows for the action each lane took (predictor.c): q's row + eta h and u's row + eta_var h into
 * out (2 F lane vectors), bad[l] set where one is not finite (axpy_finite's test), both heads in one pass over h;
 * then pred_put writes them into the taken rows */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(pred_rows_n)(const nm_popsimd *s,
                                                                                    nm_group *G, const int *act,
                                                                                    const float *eta,
                                                                                    const float *eta_var,
                                                                                    uint32_t *bad, const size_t A,
                                                                                    const int put)
{
    const size_t F = s->hidden;
    float *restrict P = G->params, *restrict out = G->dh;
    const float *restrict h = G->cache + s->lpost * W;
    vi S = LDI(act, 0), acc = (vi){ 0 };
    vf Eq = LD(eta, 0), Eu = LD(eta_var, 0);
    size_t j, r;
    int32_t o[W];
    for (j = 0; j < F; j++) {
        if (!put) {
            vf hj = LD(h + j * W, 0), mq = LD(P + (s->pred_w + j) * W, 0), mu = LD(P + (s->var_w + j) * W, 0), vq, vu;
            for (r = 1; r < A; r++) {
                mq = SEL(S == (int)r, LD(P + (s->pred_w + r * F + j) * W, 0), mq);
                mu = SEL(S == (int)r, LD(P + (s->var_w + r * F + j) * W, 0), mu);
            }
            vq = mq + Eq * hj;
            vu = mu + Eu * hj;
            acc |= ((((vi)vq) & 0x7f800000) == 0x7f800000) | ((((vi)vu) & 0x7f800000) == 0x7f800000);
            ST(out + j * W, 0, vq);
            ST(out + (F + j) * W, 0, vu);
        } else {
            vf vq = LD(out + j * W, 0), vu = LD(out + (F + j) * W, 0);
            for (r = 0; r < A; r++) {
                float *q = P + (s->pred_w + r * F + j) * W, *u = P + (s->var_w + r * F + j) * W;
                vi on = S == (int)r;
                ST(q, 0, SEL(on, vq, LD(q, 0)));
                ST(u, 0, SEL(on, vu, LD(u, 0)));
            }
        }
    }
    if (put) return;
    memcpy(o, &acc, sizeof o);
    for (j = 0; j < W; j++) bad[j] |= o[j] != 0;
}

/* the same for 2 actions, with the four rows' pointers kept */
NM_LANE_ATTR static void NM_LANE(pred_rows2)(const nm_popsimd *s, nm_group *G, const int *act, const float *eta,
                                             const float *eta_var, uint32_t *bad, int put)
{
    const size_t F = s->hidden;
    float *restrict q0 = G->params + s->pred_w * W, *restrict q1 = q0 + F * W;
    float *restrict u0 = G->params + s->var_w * W, *restrict u1 = u0 + F * W, *restrict out = G->dh;
    const float *restrict h = G->cache + s->lpost * W;
    vi S = LDI(act, 0), on0 = S == 0, on1 = S == 1, acc = (vi){ 0 };
    vf Eq = LD(eta, 0), Eu = LD(eta_var, 0);
    size_t j;
    int32_t o[W];
    if (put) {
        for (j = 0; j < F; j++) {
            vf vq = LD(out + j * W, 0), vu = LD(out + (F + j) * W, 0);
            ST(q0 + j * W, 0, SEL(on0, vq, LD(q0 + j * W, 0)));
            ST(u0 + j * W, 0, SEL(on0, vu, LD(u0 + j * W, 0)));
            ST(q1 + j * W, 0, SEL(on1, vq, LD(q1 + j * W, 0)));
            ST(u1 + j * W, 0, SEL(on1, vu, LD(u1 + j * W, 0)));
        }
        return;
    }
    for (j = 0; j < F; j++) {
        vf hj = LD(h + j * W, 0);
        vf vq = SEL(on1, LD(q1 + j * W, 0), LD(q0 + j * W, 0)) + Eq * hj;
        vf vu = SEL(on1, LD(u1 + j * W, 0), LD(u0 + j * W, 0)) + Eu * hj;
        acc |= ((((vi)vq) & 0x7f800000) == 0x7f800000) | ((((vi)vu) & 0x7f800000) == 0x7f800000);
        ST(out + j * W, 0, vq);
        ST(out + (F + j) * W, 0, vu);
    }
    memcpy(o, &acc, sizeof o);
    for (j = 0; j < W; j++) bad[j] |= o[j] != 0;
}

NM_LANE_ATTR static void NM_LANE(pred_rows)(const nm_popsimd *s, nm_group *G, const int *act, const float *eta,
                                            const float *eta_var, uint32_t *bad, int put)
{
    if (s->n_actions == 2) {
        NM_LANE(pred_rows2)(s, G, act, eta, eta_var, bad, put);
    } else {
        if (put) NM_LANE(pred_rows_n)(s, G, act, eta, eta_var, bad, s->n_actions, 1);
        else NM_LANE(pred_rows_n)(s, G, act, eta, eta_var, bad, s->n_actions, 0);
    }
}

/* act's g of each head row (nm_net_backward: beta (1[a] - pi) for the policy rows, critic_scale for the value
 * row; 0 in the padding lanes) and their squares summed into heads (in double, where g is not 0); nothing of the
 * trace is written */
NM_LANE_ATTR static void NM_LANE(head_g)(const nm_popsimd *s, nm_group *G, const int *act, double *heads)
{
    const size_t A = s->n_actions;
    const float *restrict probs = G->cache + s->cl.probs * W;
    float *restrict g = G->gv;
    vf B = LD(G->ms + (MS_PARAMS + NM_P_INVERSE_TEMPERATURE) * W, 0), one = ZERO + 1.0f;
    vi S = LDI(act, 0), pad;
    vdh h0 = (vdh){ 0.0 }, h1 = h0;
    size_t i, l;
    int32_t p[W];
    for (l = 0; l < W; l++) p[l] = l < G->n ? 0 : -1;
    memcpy(&pad, p, sizeof pad);
    for (i = 0; i <= A; i++) {
        vf gv = i < A ? 1.0f * B * (SEL(S == (int)i, one, ZERO) - LD(probs + i * W, 0)) : LD(G->kc + KC_CRITIC * W, 0);
        vi z;
        vdh d;
        gv = SEL(pad, ZERO, gv);
        z = gv == 0.0f;
        ST(g + i * W, 0, gv);
        /* heads += (double)g g where g is not 0, half the lanes at a time (g g in double is exact) */
        d = NM_LANE_CVTPD(LDH(g + i * W));
        h0 = (vdh)(((NM_LANE(vqs))(h0 + d * d) & ~NM_LANE(widen)(z, 0)) | ((NM_LANE(vqs))h0 & NM_LANE(widen)(z, 0)));
        d = NM_LANE_CVTPD(LDH(g + i * W + V / 2));
        h1 = (vdh)(((NM_LANE(vqs))(h1 + d * d) & ~NM_LANE(widen)(z, 1)) | ((NM_LANE(vqs))h1 & NM_LANE(widen)(z, 1)));
    }
    memcpy(heads, &h0, sizeof h0);
    memcpy(heads + V / 2, &h1, sizeof h1);
}

/* the heads' bias entries of the trace, in place (axpy_decay's, or scal_to's where g is 0), once it is safe */
NM_LANE_ATTR static void NM_LANE(head_bias)(const nm_popsimd *s, nm_group *G, const float *decay)
{
    const size_t A = s->n_actions;
    const float *restrict g = G->gv;
    float *restrict E = G->trace;
    vf D = LD(decay, 0);
    size_t i;
    for (i = 0; i <= A; i++) {
        size_t b = i < A ? s->policy_b + i : s->value_b;
        vf gv = LD(g + i * W, 0), o = LD(E + b * W, 0);
        ST(E + b * W, 0, SEL(gv == 0.0f, o * D, D * o + gv));
    }
}

/* learn's per-lane arithmetic: the TD error and the step (learner_rate.c), and from the predictor's rows of every
 * action (dq, du: A lane vectors each) and 1 + |h|^2 (hh) the taken action's prediction error, surprise, expected
 * surprise and both LMS steps (predictor.c); bad[l] set where a step is not finite (learn refuses it then) */
NM_LANE_ATTR static void NM_LANE(learn_sig)(const nm_popsimd *s, nm_group *G, const int *act, const float *rw,
                                            const float *v_next, const float *dq, const float *du, const float *hh,
                                            float *delta, float *step, float *eta, float *eta_var, float *sp,
                                            float *ex, uint32_t *bad)
{
    const float *ms = G->ms, *kc = G->kc;
    vf r = LD(rw, 0), d, st, q = LD(dq, 0), u = LD(du, 0), eps, S, E, thr = LD(kc + KC_NA_THR * W, 0), vt, pr, H;
    vi A = LDI(act, 0), nf;
    size_t i;
    d = r + LD(ms + (MS_PARAMS + NM_P_DISCOUNT) * W, 0) * LD(v_next, 0) - LD(G->cache + s->cl.value * W, 0);
    st = LD(ms + (MS_PARAMS + NM_P_LEARNING_RATE) * W, 0) * d * LD(ms + (MS_FACTOR + NM_DA) * W, 0);
    ST(delta, 0, d);
    ST(step, 0, st);
    for (i = 1; i < s->n_actions; i++) {
        q = SEL(A == (int)i, LD(dq + i * W, 0), q);
        u = SEL(A == (int)i, LD(du + i * W, 0), u);
    }
    eps = r - q;
    S = SEL((vf)((vi)eps & 0x7fffffff) < 1e3f, eps * eps, ZERO + 1e6f);
    E = SEL(u > LD(kc + KC_FLOOR * W, 0), u, LD(kc + KC_FLOOR * W, 0));
    vt = SEL(S < thr * E, S, thr * E);
    pr = LD(kc + KC_PRED_RATE * W, 0);
    H = LD(hh, 0);
    ST(sp, 0, S);
    ST(ex, 0, E);
    ST(eta, 0, pr * eps / H);
    ST(eta_var, 0, 0.25f * pr * (vt - u) / H);
    nf = ((((vi)LD(eta, 0)) & 0x7f800000) == 0x7f800000) | ((((vi)LD(eta_var, 0)) & 0x7f800000) == 0x7f800000) |
         ((((vi)st) & 0x7f800000) == 0x7f800000);
    memcpy(bad, &nf, sizeof nf);
}

/* Each unit's gain after the modulators' commit: the uniform gain (the committed state's) times the unit's gate
 * (nm_agent_apply_effects's fill, then nm_cont_gate's product; a gate of 1 where a member has none) */
NM_LANE_ATTR static void NM_LANE(gate_gain)(const nm_popsimd *s, nm_group *G)
{
    vf g = LD(G->ms + (MS_PARAMS + NM_P_GAIN) * W, 0);
    size_t j;
    for (j = 0; j < s->hidden; j++) ST(G->ugain + j * W, 0, g * LD(G->gate + j * W, 0));
}

/* learn's update fused with the importance-weighted pull (continual.c's UPDATE_PULL_LOOP) in the lanes of `on`,
 * the plain update (axpy's) in the others: t = theta + step e, f = k imp / (1 + k imp) (1 or 0 where that is NaN),
 * theta = (1 - f) t + f anchor. step NULL: the pull alone (PULL_LOOP, t = theta), after a recurrent trunk's fused
 * update, as the lone agent pulls after nm_net_update. */
__attribute__((always_inline)) NM_LANE_ATTR static inline void NM_LANE(update_pull_n)(size_t n,
                                                                                       const float *restrict step,
                                                                                       const float *restrict k,
                                                                                       const int *restrict on,
                                                                                       const float *restrict e,
                                                                                       const float *restrict imp,
                                                                                       const float *restrict anchor,
                                                                                       float *restrict theta,
                                                                                       const int update)
{
    vf st = update ? LD(step, 0) : ZERO, kk = LD(k, 0), one = ZERO + 1.0f;
    vi m = LDI(on, 0) != 0;
    size_t i;
    for (i = 0; i < n; i++) {
        vf t = update ? LD(theta + i * W, 0) + st * LD(e + i * W, 0) : LD(theta + i * W, 0), im = LD(imp + i * W, 0),
           ki = kk * im, f = ki / (1.0f + ki);
        f = SEL(f == f, f, SEL(im > 0.0f, one, ZERO));
        ST(theta + i * W, 0, SEL(m, (1.0f - f) * t + f * LD(anchor + i * W, 0), t));
    }
}

NM_LANE_ATTR static void NM_LANE(update_pull)(size_t n, const float *step, const float *k, const int *on,
                                              const float *e, const float *imp, const float *anchor, float *theta)
{
    if (step) NM_LANE(update_pull_n)(n, step, k, on, e, imp, anchor, theta, 1);
    else NM_LANE(update_pull_n)(n, step, k, on, e, imp, anchor, theta, 0);
}

/* The importance's pass in the lanes of `on` (continual.c's SI_LOOP and EWC_LOOP; nm_cont_importance_pass says
 * which): SI's path integral, d = step e, w = omega + d d / alpha, or, in the lanes of `ewc`, EWC's w = omega + e e
 * (each lane's own expression, selected); kept where finite */
NM_LANE_ATTR static void NM_LANE(importance)(size_t n, const float *restrict step, const float *restrict alpha,
                                             const int *restrict on, const int *restrict ewc, const float *restrict e,
                                             float *restrict omega)
{
    vf st = LD(step, 0), al = LD(alpha, 0);
    vi m = LDI(on, 0) != 0, me = LDI(ewc, 0) != 0;
    size_t i;
    for (i = 0; i < n; i++) {
        vf o = LD(omega + i * W, 0), x = LD(e + i * W, 0), d = st * x, w = SEL(me, o + x * x, o + d * d / al);
        ST(omega + i * W, 0, SEL(m & (w - w == 0.0f), w, o));
    }
}

static const nm_lane_kernels NM_LANE(lanes) = {
    NM_LANE_NAME, NM_LANE_V, NM_LANE_MAX_HIDDEN, NM_LANE_MAX_RECURRENT, NM_LANE(rows_dot), NM_LANE(sumsq), NM_LANE(axpy),
    NM_LANE(nonfinite), NM_LANE(scal), NM_LANE(softmax), NM_LANE(mod_step),
    NM_LANE(act_delta), NM_LANE(act_trace), NM_LANE(trunk), NM_LANE(dots), NM_LANE(pred_rows), NM_LANE(head_g),
    NM_LANE(head_bias), NM_LANE(learn_sig), NM_LANE(trunk_value), NM_LANE(expf_n), NM_LANE(obs_in), NM_LANE(clear),
    NM_LANE(rec_trunk), NM_LANE(rec_delta), NM_LANE(rec_heads), NM_LANE(rec_pass), NM_LANE(int_trunk),
    NM_LANE(int_delta), NM_LANE(int_pass), NM_LANE(gate_gain),
    NM_LANE(update_pull), NM_LANE(importance)
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
/* the instantiation's parameters, so that the next one defines its own */
#undef NM_LANE
#undef NM_LANE_ATTR
#undef NM_LANE_NAME
#undef NM_LANE_V
#undef NM_LANE_MAX_HIDDEN
#undef NM_LANE_MAX_RECURRENT
#undef NM_LANE_CVTPD
#undef NM_LANE_CLAMP_HI
#undef NM_LANE_CLAMP_LO
#undef NM_LANE_FMADD
#undef NM_LANE_GATHER
#undef NM_LANE_GATHER_OBS
