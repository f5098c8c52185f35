/*
 * predictor.c -- the outcome predictor and its uncertainty head, read and trained for the action taken.
 *
 *   q_a(s) = Wq[a] h + bq[a]    predicted outcome; eps = r - q_a(s), surprise S = eps^2 (NA and ACh)
 *   u_a(s) = Wu[a] h + bu[a]    predicted S: the expected uncertainty of this state and action (ACh);
 *                               surprise beyond it is unexpected (NA)
 *
 * Both learn by normalised LMS from the act-time features h (their weights have not changed since).
 *
 * With predictor_forget > 0 the values of the actions not taken revert toward the average reward (tonic DA) by
 * predictor_forget x level_NA per step: the mean-reverting belief of a Kalman filter for a restless bandit
 * (Daw et al. 2006), whose unsampled options drift back toward the centre faster the more volatile the world
 * (NA: Piray & Daw 2020). A value learned once and never sampled again (a "hot stove") then stops forbidding
 * the action for good.
 *
 * With uncertainty_head = NM_UNCERTAINTY_LOG the head's readout z is log expected surprise, E = P exp(z - P)
 * (P the prior, so the bias's initial value P still means E = P), and it learns toward P + log((target + floor) /
 * P). A linear readout of E that fits a large expectation at one cue and a small one at its neighbour extrapolates
 * below zero at cues it cannot separate (the cliff walk's cell above the goal, between the cliff moves: about
 * -110, floored to nothing), so a misfit that recurs there is never expected; the log readout interpolates
 * between the two as a ratio and stays positive (the log-variance output of Nix & Weigend 1994).
 */
#include <math.h>
#include "nm_internal.h"
#include "nm_math.h"

/* log expected surprise is clamped here: P e^30 is far beyond any surprise (capped at 1e6) */
#define NM_LOG_HEAD_MAX 30.0f

void nm_predictor_init(size_t n_actions, float *bu)
{
    size_t i;
    /* A naive agent expects to be surprised: the expected squared error starts at the prior everywhere and
     * falls as the predictor learns. */
    for (i = 0; i < n_actions; i++) bu[i] = NM_UNCERTAINTY_PRIOR;
}

int nm_predictor_observe(const nm_kernels *k, const nm_agent_config *cfg, size_t F, const float *h,
                         const float *wq, float bq, const float *wu, float bu, float reward, nm_prediction *out)
{
    float eps, surprise, expected, var_target, hh, z;
    int log_head;
    eps = reward - (bq + k->dot(F, wq, h));
    /* a surprise beyond 1e6 says no more than 1e6 does, and cannot overflow the modulators */
    surprise = fabsf(eps) < 1e3f ? eps * eps : 1e6f;
    /* the expected surprise of this state and action, floored so that ratios stay finite */
    z = bu + k->dot(F, wu, h);
    log_head = cfg->uncertainty_head == NM_UNCERTAINTY_LOG;
    if (log_head) {
        float d = z - NM_UNCERTAINTY_PRIOR;
        out->predicted = NM_UNCERTAINTY_PRIOR * nm_expf(d < NM_LOG_HEAD_MAX ? d : NM_LOG_HEAD_MAX);
    } else {
        out->predicted = z;
    }
    expected = out->predicted;
    if (!(expected > cfg->surprise_floor)) expected = cfg->surprise_floor;
    /* The uncertainty head learns the squared error, clipped at na_threshold x its own prediction: persistent
     * noise raises it geometrically, a burst of surprise after a clean switch barely moves it (it is read as
     * change, by NA, not as noise). It learns at a quarter of the predictor's rate. */
    var_target = surprise < cfg->na_threshold * expected ? surprise : cfg->na_threshold * expected;
    /* normalised LMS: the step is scaled by 1 / (1 + |h|^2), stable for any width (rate < 2) */
    hh = 1.0f + k->dot(F, h, h);
    out->eps = eps;
    out->surprise = surprise;
    out->expected = expected;
    out->eta = cfg->predictor_rate * eps / hh;
    if (log_head)
        out->eta_var = 0.25f * cfg->predictor_rate *
                       (NM_UNCERTAINTY_PRIOR + nm_logf((var_target + cfg->surprise_floor) / NM_UNCERTAINTY_PRIOR) - z) / hh;
    else
        out->eta_var = 0.25f * cfg->predictor_rate * (var_target - out->predicted) / hh;
    if (!isfinite(out->eta) || !isfinite(out->eta_var)) return 0;
    /* Both rows stay finite without a pass over them when |eta| sqrt(hh) <= 1e30. A finite eta (eta_var) makes
     * the row's dot product above finite, hence every weight of the row (an inf or NaN weight gives an inf or NaN
     * term, and the sum keeps it); hh, a sum of non-negative floats, is >= each fl(h_j^2), so |h_j| <= sqrt(hh)
     * (1 + 2^-24): a finite weight moved by at most 1e30 stays finite (half an ulp at FLT_MAX is 1.0e31). */
    if (isfinite(hh) && (fabsf(out->eta) > fabsf(out->eta_var) ? fabsf(out->eta) : fabsf(out->eta_var)) *
                        sqrt((double)hh) * (1.0 + 1e-3) <= 1e30)
        return 1;
    return k->axpy_finite(F, out->eta, h, wq) && k->axpy_finite(F, out->eta_var, h, wu);
}

void nm_predictor_update(const nm_kernels *k, size_t F, const nm_prediction *p, const float *h, float *wq,
                         float *bq, float *wu, float *bu)
{
    nm_axpy(k, F, p->eta, h, wq);
    *bq += p->eta;
    nm_axpy(k, F, p->eta_var, h, wu);
    *bu += p->eta_var;
}

void nm_predictor_forget(const nm_kernels *k, size_t A, size_t F, int taken, float f, float target, float *wq,
                         float *bq)
{
    size_t b;
    for (b = 0; b < A; b++) {
        if ((int)b == taken) continue;
        nm_scal(k, F, 1.0f - f, wq + b * F);
        bq[b] = (1.0f - f) * bq[b] + f * target;
    }
}
