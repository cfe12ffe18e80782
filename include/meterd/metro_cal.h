/*
 * Meter calibration: per-phase gain and phase corrections from two test points.
 *
 * What a meter lab does: apply a reference source, read the meter (averaged over
 * some frames) and the reference standard, and adjust. At Iref PF 1 the voltage
 * and current gains are set from the Urms and Irms ratios; at Iref PF 0.5 L the
 * residual phase error of the current channel is found from the measured active
 * power, cos(phi_meas) = P / (U I) (gain errors cancel in that ratio), and added
 * to the current channel's phase correction. The measurements must have been
 * taken with the calibration passed in as "current" (iterating is allowed: each
 * step starts from the previous result).
 *
 * Worked example (CT gain +1 %, phase lead +2 deg, uncalibrated): at PF 1 the
 * meter reads I = 5.05 A for 5 A, so i_gain_ppm = (5 / 5.05 - 1) * 1e6 = -9901;
 * at 0.5 L it reads P = 230 * 5.05 * cos(58 deg) = 615.5 W, so phi_meas = 58 deg
 * against 60 deg: i_phase_mdeg = +2000.
 */
#ifndef METERD_METRO_CAL_H
#define METERD_METRO_CAL_H

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/metrology.h"

/** One calibration observation of one phase: the meter's reading and the reference. */
struct mtr_metro_cal_obs {
    double u_rms_V;   /**< Meter reading, Urms, V; > 0. */
    double i_rms_A;   /**< Meter reading, Irms, A; > 0. */
    double p_W;       /**< Meter reading, active power, W. */
    double u_ref_V;   /**< Reference Urms, V; > 0. */
    double i_ref_A;   /**< Reference Irms, A; > 0. */
    double p_ref_W;   /**< Reference active power, W. */
    double q_ref_var; /**< Reference reactive power, var (sign gives L/C; + inductive). */
};

/**
 * Compute a phase's calibration from the PF 1 and PF 0.5 L points.
 * @param[in]  cur    Calibration in force while the observations were taken.
 * @param[in]  pf1    Observation at Iref, PF 1 (sets the gains).
 * @param[in]  pf05l  Observation at Iref, PF 0.5 inductive (sets the phase); its
 *                    reference angle must be 30..80 degrees for a usable sensitivity.
 * @param[out] out    New calibration (i_skew_ns copied from cur); untouched on failure.
 * @retval MTR_OK      Computed.
 * @retval MTR_EINVAL  NULL argument, a non-positive or non-finite reading/reference, a
 *                     reference angle outside 30..80 degrees, or |P| > 1.001*U*I in a reading.
 * @retval MTR_ERANGE  A result outside the ranges of struct mtr_metro_phase_cal
 *                     (gain +-500000 ppm, phase +-20000 mdeg).
 * Context: any; no allocation; constant time.
 * Spec: IEC 62053-22 calibration points (Iref PF 1, PF 0.5 L); METROLOGY-TESTS.md 3.3.
 */
MTR_NODISCARD enum mtr_err mtr_metro_cal_compute(const struct mtr_metro_phase_cal *cur,
                                                 const struct mtr_metro_cal_obs *pf1,
                                                 const struct mtr_metro_cal_obs *pf05l,
                                                 struct mtr_metro_phase_cal *out);

#endif /* METERD_METRO_CAL_H */
