/*
 * Four-quadrant energy registers: each frame's energy goes, by the signs of its
 * P and Q, into the registers of IEC 62053-23 Annex C, as integer micro-units
 * with the remainder carried (see include/meterd/reg.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "meterd/reg.h"

/** Micro-units per unit (uWh per Wh). */
#define MICRO 1e6

void
mtr_reg_init(struct mtr_reg_set *set)
{
    if (set != NULL) {
        memset(set, 0, sizeof(*set));
    }
}

/* The amounts (micro-units, >= 0) a frame adds to each kind of one channel. */
static void
split_quadrants(double e_p_Wh, double e_q_varh, double e_s_VAh, double e_abs_Wh, double add[])
{
    double p = fabs(e_p_Wh) * MICRO;
    double q = fabs(e_q_varh) * MICRO;
    bool is_import = e_p_Wh >= 0.0;
    bool is_inductive = e_q_varh >= 0.0;
    for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
        add[k] = 0.0;
    }
    add[is_import ? MTR_REG_A_IMP : MTR_REG_A_EXP] = p;
    add[is_inductive ? MTR_REG_R_IMP : MTR_REG_R_EXP] = q;
    /* QI (+P,+Q), QII (-P,+Q), QIII (-P,-Q), QIV (+P,-Q) */
    if (is_import) {
        add[is_inductive ? MTR_REG_R_Q1 : MTR_REG_R_Q4] = q;
    } else {
        add[is_inductive ? MTR_REG_R_Q2 : MTR_REG_R_Q3] = q;
    }
    add[is_import ? MTR_REG_S_IMP : MTR_REG_S_EXP] = fabs(e_s_VAh) * MICRO;
    add[MTR_REG_A_ABS] = fabs(e_abs_Wh) * MICRO;
}

static bool
is_finite_energy(const struct mtr_metro_frame *f)
{
    if (!isfinite(f->total.e_p_Wh) || !isfinite(f->total.e_q_varh) || !isfinite(f->total.e_s_VAh)) {
        return false;
    }
    for (unsigned p = 0; p < f->phase_count && p < MTR_CFG_MAX_PHASES; p++) {
        const struct mtr_metro_phase *ph = &f->ph[p];
        if (!isfinite(ph->e_p_Wh) || !isfinite(ph->e_q_varh) || !isfinite(ph->e_s_VAh)) {
            return false;
        }
    }
    return true;
}

enum mtr_err
mtr_reg_apply_part(struct mtr_reg_set *set,
                   const struct mtr_metro_frame *frame,
                   double share,
                   uint64_t dt_us,
                   bool is_last,
                   int64_t inc_out[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT])
{
    if (set == NULL || frame == NULL || !is_finite_energy(frame) ||
        frame->phase_count > MTR_CFG_MAX_PHASES || !(frame->duration_s >= 0.0) ||
        !(share >= 0.0 && share <= 1.0)) {
        return MTR_EINVAL;
    }
    double add[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT];
    double abs_total = 0.0;
    for (unsigned c = 0; c < MTR_REG_TOTAL; c++) {
        if (c < frame->phase_count) {
            const struct mtr_metro_phase *ph = &frame->ph[c];
            split_quadrants(ph->e_p_Wh * share, ph->e_q_varh * share, ph->e_s_VAh * share,
                            ph->e_p_Wh * share, add[c]);
            abs_total += fabs(ph->e_p_Wh * share);
        } else {
            split_quadrants(0.0, 0.0, 0.0, 0.0, add[c]);
        }
    }
    const struct mtr_metro_total *t = &frame->total;
    split_quadrants(t->e_p_Wh * share, t->e_q_varh * share, t->e_s_VAh * share, abs_total,
                    add[MTR_REG_TOTAL]);

    /* check every register first, so an overflow changes nothing */
    int64_t inc[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT];
    double rem[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT];
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            double v = add[c][k] + set->rem_u[c][k];
            double whole = floor(v);
            if (whole >= (double)(INT64_MAX - set->e_u[c][k])) {
                return MTR_ERANGE;
            }
            inc[c][k] = (int64_t)whole;
            rem[c][k] = v - whole;
        }
    }
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            set->e_u[c][k] += inc[c][k];
            set->rem_u[c][k] = rem[c][k];
            if (inc_out != NULL) {
                inc_out[c][k] = inc[c][k];
            }
        }
    }
    if (is_last) {
        set->frame_count++;
    }
    set->t_us += dt_us;
    return MTR_OK;
}

enum mtr_err
mtr_reg_apply_frame(struct mtr_reg_set *set, const struct mtr_metro_frame *frame)
{
    if (frame == NULL || !(frame->duration_s >= 0.0) || !(frame->duration_s < 1e9)) {
        return MTR_EINVAL;
    }
    return mtr_reg_apply_part(set, frame, 1.0, (uint64_t)llround(frame->duration_s * 1e6), true,
                              NULL);
}

int64_t
mtr_reg_net_uWh(const struct mtr_reg_set *set, enum mtr_reg_chan chan)
{
    if (set == NULL || (unsigned)chan >= MTR_REG_CHAN_COUNT) {
        return 0;
    }
    return set->e_u[chan][MTR_REG_A_IMP] - set->e_u[chan][MTR_REG_A_EXP];
}

uint64_t
mtr_reg_pulses(const struct mtr_reg_set *set,
               enum mtr_reg_chan chan,
               enum mtr_reg_kind kind,
               uint32_t k_imp_per_kWh)
{
    if (set == NULL || (unsigned)chan >= MTR_REG_CHAN_COUNT ||
        (unsigned)kind >= MTR_REG_KIND_COUNT) {
        return 0;
    }
    /* e [uWh] * k [imp/kWh] / 1e9 [uWh/kWh], split to avoid overflow */
    uint64_t e = (uint64_t)set->e_u[chan][kind];
    uint64_t q = e / 1000000000u;
    uint64_t r = e % 1000000000u;
    return q * k_imp_per_kWh + r * k_imp_per_kWh / 1000000000u;
}

bool
mtr_reg_is_monotonic(const struct mtr_reg_set *a, const struct mtr_reg_set *b)
{
    if (a == NULL || b == NULL) {
        return false;
    }
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            if (b->e_u[c][k] < a->e_u[c][k]) {
                return false;
            }
        }
    }
    return b->frame_count >= a->frame_count;
}
