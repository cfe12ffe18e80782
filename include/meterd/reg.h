/*
 * Four-quadrant energy registers.
 *
 * Registers are 64-bit integers in micro-units (uWh, uvarh, uVAh) per phase and
 * total. Each measurement frame adds its energy; the sub-micro-unit remainder is
 * carried per register so nothing drifts or is lost to rounding over years
 * (METROLOGY-TESTS.md 3.6 LR1). Quadrants follow IEC 62053-23 Annex C / DLMS:
 * QI (+P,+Q), QII (-P,+Q), QIII (-P,-Q), QIV (+P,-Q).
 *
 * Total registers are fed by the frame's summed phase energies (phase-balanced
 * "saldierend" totals, as an electromechanical polyphase meter registers);
 * |A| (15.8.0) is the sum of the phases' absolute active energies.
 */
#ifndef METERD_REG_H
#define METERD_REG_H

#include <stdbool.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/metrology.h"

/** Register kinds, with their OBIS C.D for the total (IEC 62056-6-1). */
enum mtr_reg_kind {
    MTR_REG_A_IMP = 0, /**< +A, active import, uWh (1.8.0). */
    MTR_REG_A_EXP,     /**< -A, active export, uWh (2.8.0). */
    MTR_REG_R_IMP,     /**< +R, reactive QI+QII, uvarh (3.8.0). */
    MTR_REG_R_EXP,     /**< -R, reactive QIII+QIV, uvarh (4.8.0). */
    MTR_REG_R_Q1,      /**< Reactive in QI, uvarh (5.8.0). */
    MTR_REG_R_Q2,      /**< Reactive in QII, uvarh (6.8.0). */
    MTR_REG_R_Q3,      /**< Reactive in QIII, uvarh (7.8.0). */
    MTR_REG_R_Q4,      /**< Reactive in QIV, uvarh (8.8.0). */
    MTR_REG_S_IMP,     /**< Apparent energy while importing, uVAh (9.8.0). */
    MTR_REG_S_EXP,     /**< Apparent energy while exporting, uVAh (10.8.0). */
    MTR_REG_A_ABS,     /**< |A| absolute active, uWh (15.8.0). */
    MTR_REG_KIND_COUNT
};

/** Register channel: phases L1..L3, then the total. */
enum mtr_reg_chan {
    MTR_REG_L1 = 0,
    MTR_REG_L2 = 1,
    MTR_REG_L3 = 2,
    MTR_REG_TOTAL = 3,
    MTR_REG_CHAN_COUNT = 4
};

/** The register set. Plain data: it is the payload of the NV record (with a version). */
struct mtr_reg_set {
    /** Energy, micro-units (uWh/uvarh/uVAh), never negative, never decreasing. */
    int64_t e_u[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT];
    /** Carried remainder of each register, micro-units, in [0, 1). */
    double rem_u[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT];
    /** Frames applied since the registers were created. */
    uint64_t frame_count;
    /** Meter time covered by the applied frames, microseconds (sum of frame durations). */
    uint64_t t_us;
};

/**
 * Zero a register set.
 * @param[out] set  Set to initialise.
 * Context: any; no allocation.
 */
void mtr_reg_init(struct mtr_reg_set *set);

/**
 * Add one measurement frame's energies to the registers, by quadrant.
 * @param[in,out] set    Register set.
 * @param[in]     frame  Frame from mtr_metro_feed()/mtr_metro_flush().
 * @retval MTR_OK      Added.
 * @retval MTR_EINVAL  NULL argument, or a frame energy that is not finite.
 * @retval MTR_ERANGE  A register would pass INT64_MAX micro-units (9.2 TWh); nothing changed.
 * Context: meter loop; no allocation; constant time.
 * Spec: IEC 62053-23 Annex C quadrants; OBIS 1.8.0-10.8.0, 15.8.0 (IEC 62056-6-1).
 */
MTR_NODISCARD enum mtr_err mtr_reg_apply_frame(struct mtr_reg_set *set,
                                               const struct mtr_metro_frame *frame);

/**
 * Add a share of a frame's energies (the part of the frame before or after an
 * instant where the meter application cuts it: a tariff switch, a capture or
 * billing boundary). The shares of one frame must sum to 1.
 * @param[in,out] set      Register set.
 * @param[in]     frame    Frame.
 * @param[in]     share    Fraction of the frame, 0..1.
 * @param[in]     dt_us    Meter time of this share, us (added to set->t_us).
 * @param[in]     is_last  true for the frame's last share (counts the frame).
 * @param[out]    inc_out  Integer increment of every register, u-units (may be NULL):
 *                         the tariff registers and partial counters add these, so
 *                         they never disagree with the totals.
 * @retval MTR_OK      Added.
 * @retval MTR_EINVAL  NULL argument, share outside 0..1, or a non-finite energy.
 * @retval MTR_ERANGE  A register would pass INT64_MAX micro-units; nothing changed.
 * Context: meter loop; no allocation; constant time.
 */
MTR_NODISCARD enum mtr_err
mtr_reg_apply_part(struct mtr_reg_set *set,
                   const struct mtr_metro_frame *frame,
                   double share,
                   uint64_t dt_us,
                   bool is_last,
                   int64_t inc_out[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT]);

/**
 * Net active energy +A - -A of a channel.
 * @param[in] set   Register set.
 * @param[in] chan  Channel.
 * @return uWh, signed.
 */
int64_t mtr_reg_net_uWh(const struct mtr_reg_set *set, enum mtr_reg_chan chan);

/**
 * Pulses a test output (LED / S0) would have emitted for a register.
 * @param[in] set             Register set.
 * @param[in] chan            Channel.
 * @param[in] kind            Register kind.
 * @param[in] k_imp_per_kWh   Meter constant, impulses per kWh (or kvarh); 1..1000000.
 * @return floor(e * k / 1e9) impulses; 0 for a k of 0.
 */
uint64_t mtr_reg_pulses(const struct mtr_reg_set *set,
                        enum mtr_reg_chan chan,
                        enum mtr_reg_kind kind,
                        uint32_t k_imp_per_kWh);

/**
 * Check that b is a legal successor of a: no register went backwards.
 * @param[in] a  Earlier set.
 * @param[in] b  Later set.
 * @return true when every register of b is >= the one of a.
 */
bool mtr_reg_is_monotonic(const struct mtr_reg_set *a, const struct mtr_reg_set *b);

#endif /* METERD_REG_H */
