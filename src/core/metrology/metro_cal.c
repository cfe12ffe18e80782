/*
 * Calibration from two test points (see meterd/metro_cal.h for the method).
 *
 * Per-calibration work, not per sample: double precision is used because the
 * corrections are ratios of nearly equal numbers (a 0.01 % gain is 100 ppm).
 */
#include "meterd/metro_cal.h"

#include <math.h>

#define CAL_PI        3.14159265358979323846
#define CAL_GAIN_MAX  500000.0 /* ppm, struct mtr_metro_phase_cal */
#define CAL_PHASE_MAX 20000.0  /* mdeg */
#define CAL_ANGLE_MIN 30.0     /* degrees: below, cos(phi) is too flat to see the phase */
#define CAL_ANGLE_MAX 80.0
#define CAL_PF_SLACK  1.001 /* readings averaged over frames may give P a hair above U*I */

static bool
is_pos(double x)
{
    return isfinite(x) && x > 0.0;
}

static bool
obs_ok(const struct mtr_metro_cal_obs *o)
{
    return is_pos(o->u_rms_V) && is_pos(o->i_rms_A) && is_pos(o->u_ref_V) && is_pos(o->i_ref_A) &&
           isfinite(o->p_W) && isfinite(o->p_ref_W) && isfinite(o->q_ref_var) &&
           fabs(o->p_W) <= CAL_PF_SLACK * o->u_rms_V * o->i_rms_A;
}

/* New gain in ppm: (1 + g_new) = (1 + g_cur) * ref / meas. */
static bool
new_gain(int32_t cur_ppm, double ref, double meas, int32_t *out_ppm)
{
    double g = ((1.0 + (double)cur_ppm * 1e-6) * ref / meas - 1.0) * 1e6;
    if (!(fabs(g) <= CAL_GAIN_MAX)) {
        return false;
    }
    *out_ppm = (int32_t)lround(g);
    return true;
}

enum mtr_err
mtr_metro_cal_compute(const struct mtr_metro_phase_cal *cur,
                      const struct mtr_metro_cal_obs *pf1,
                      const struct mtr_metro_cal_obs *pf05l,
                      struct mtr_metro_phase_cal *out)
{
    if (cur == NULL || pf1 == NULL || pf05l == NULL || out == NULL || !obs_ok(pf1) ||
        !obs_ok(pf05l)) {
        return MTR_EINVAL;
    }
    double phi_ref = atan2(pf05l->q_ref_var, pf05l->p_ref_W) * 180.0 / CAL_PI;
    if (phi_ref < CAL_ANGLE_MIN || phi_ref > CAL_ANGLE_MAX) {
        return MTR_EINVAL;
    }
    struct mtr_metro_phase_cal c = *cur;
    if (!new_gain(cur->u_gain_ppm, pf1->u_ref_V, pf1->u_rms_V, &c.u_gain_ppm) ||
        !new_gain(cur->i_gain_ppm, pf1->i_ref_A, pf1->i_rms_A, &c.i_gain_ppm)) {
        return MTR_ERANGE;
    }
    /* measured angle from the power ratio: gains cancel, the sign is the reference's (L) */
    double pf = pf05l->p_W / (pf05l->u_rms_V * pf05l->i_rms_A);
    double phi_meas = acos(pf > 1.0 ? 1.0 : pf) * 180.0 / CAL_PI;
    /* a CT that leads makes the current lag less: phi_meas < phi_ref, correction > 0 */
    double ph = (double)cur->i_phase_mdeg + (phi_ref - phi_meas) * 1000.0;
    if (!(fabs(ph) <= CAL_PHASE_MAX)) {
        return MTR_ERANGE;
    }
    c.i_phase_mdeg = (int32_t)lround(ph);
    *out = c;
    return MTR_OK;
}
