/*
 * The catalogue table: every quantity the meter publishes, once.
 *
 * The Modbus native map, the report and docs/modbus-native.md are derived from
 * this table. Names and Modbus addresses are part of the user interface: never
 * renumber a row; add new rows in unused addresses and, when an address or an
 * encoding must change, raise MTR_CAT_MAP_VERSION.
 *
 * OBIS choices (IEC 62056-6-1, value groups A.B.C.D.E.F):
 * - Per-phase active power is the signed C = 36/56/76 ("Li active power
 *   (QI+QIV)-(QII+QIII)"), the total C = 16; the same C with D = 8 are the net
 *   energies +A - -A. Unsigned +P codes (21/41/61) would not carry export.
 * - IEC 62056-6-1 has no signed reactive power: Q is published on the +R codes
 *   (C = 3/23/43/63) with its sign (negative in QIII/QIV). E = 1 (first harmonic)
 *   is the fundamental Q1 of IEC 62053-24, E = 0 (total) the Budeanu sum.
 * - S uses the +S codes (C = 9/29/49/69); S is a magnitude in every quadrant.
 * - THD uses E = 124 ("total harmonic distortion") on the voltage and current codes.
 * - Phase angles: C = 81, D = 7, E = 10 a + b with a, b in 0..2 = U(L1..L3),
 *   4..6 = I(L1..L3): 81.7.40/51/62 current to voltage, 81.7.10/20 U(L2)/U(L3) to U(L1).
 * - Line-to-line voltages have no code in IEC 62056-6-1: they use manufacturer
 *   codes (C = 128..199 are manufacturer specific), 100 + the C of the first
 *   phase's voltage: U12 = 1.0.132.7.0, U23 = 1.0.152.7.0, U31 = 1.0.172.7.0.
 * - Meter state without a standard code uses the manufacturer-specific D = 50 of
 *   the service entries C = 96: 0.0.96.50.0/1/2 map version, frame sequence, data
 *   valid; 1.0.96.50.0/1 phase sequence and missing-phase mask.
 */
#include <stddef.h>

#include "meterd/app.h"
#include "meterd/cat.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"

/* COSEM interface classes (IEC 62056-6-2). */
#define IC_DATA     1u
#define IC_REGISTER 3u
#define IC_CLOCK    8u

#define PHASE_F32(name, label, c, e, unit, scaler, field, phase, addr)                \
    {                                                                                 \
        name, label, {1, 0, c, 7, e, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, scaler,  \
            MTR_CAT_SRC_PHASE_F32, phase, 0, offsetof(struct mtr_metro_phase, field), \
            MTR_CAT_MB_S32, addr, 0                                                   \
    }
#define TOTAL_F32(name, label, c, e, unit, scaler, field, addr)                                   \
    {                                                                                             \
        name, label, {1, 0, c, 7, e, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, scaler,              \
            MTR_CAT_SRC_TOTAL_F32, 0, 0, offsetof(struct mtr_metro_total, field), MTR_CAT_MB_S32, \
            addr, 0                                                                               \
    }
#define FRAME_F32(name, label, c, e, unit, scaler, field, addr)                                   \
    {                                                                                             \
        name, label, {1, 0, c, 7, e, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, scaler,              \
            MTR_CAT_SRC_FRAME_F32, 0, 0, offsetof(struct mtr_metro_frame, field), MTR_CAT_MB_S32, \
            addr, 0                                                                               \
    }
/* Phase angles: 0.01 degree. */
#define ANGLE(name, label, e, field, phase, addr)                                     \
    {                                                                                 \
        name, label, {1, 0, 81, 7, e, 255}, IC_REGISTER, MTR_CAT_UNIT_DEG, -2,        \
            MTR_CAT_SRC_PHASE_F32, phase, 0, offsetof(struct mtr_metro_phase, field), \
            MTR_CAT_MB_S32, addr, 0                                                   \
    }
#define DATA_U32(name, label, a, b, c, d, e, src, addr)                                 \
    {                                                                                   \
        name, label, {a, b, c, d, e, 255}, IC_DATA, MTR_CAT_UNIT_NONE, 0, src, 0, 0, 0, \
            MTR_CAT_MB_U32, addr, 0                                                     \
    }
/* Meter time: uint64 milliseconds since the source's epoch (clock object 0.0.1.0.0.255). */
#define METER_TIME(name, label, addr)                                                            \
    {                                                                                            \
        name, label, {0, 0, 1, 0, 0, 255}, IC_CLOCK, MTR_CAT_UNIT_S, -3, MTR_CAT_SRC_TIME, 0, 0, \
            0, MTR_CAT_MB_T64, addr, 0                                                           \
    }
/* Energy registers: whole Wh (varh, VAh), D = 8 "time integral 1". */
#define ENERGY(name, label, c, unit, chan, kind, addr)                                           \
    {                                                                                            \
        name, label, {1, 0, c, 8, 0, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, 0, MTR_CAT_SRC_REG, \
            chan, kind, 0, MTR_CAT_MB_U64, addr, 0                                               \
    }
#define ENERGY_NET(name, label, c, chan, addr)                                                     \
    {                                                                                              \
        name, label, {1, 0, c, 8, 0, 255}, IC_REGISTER, MTR_CAT_UNIT_WH, 0, MTR_CAT_SRC_NET, chan, \
            0, 0, MTR_CAT_MB_S64, addr, 0                                                          \
    }

/* Tariff registers: whole Wh, D = 8, E = tariff 1..4. */
#define TARIFF(name, label, c, unit, t, kind, addr)                                 \
    {                                                                               \
        name, label, {1, 0, c, 8, t + 1, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, 0, \
            MTR_CAT_SRC_TARIFF_REG, t, kind, 0, MTR_CAT_MB_U64, addr, 0             \
    }
#define APP_OFF(f) offsetof(struct mtr_app_state, f)
/* Counters and states of the meter application (IC 1 Data). */
#define APP_U(name, label, a, c, d, e, src, f, addr)                                             \
    {                                                                                            \
        name, label, {a, 0, c, d, e, 255}, IC_DATA, MTR_CAT_UNIT_NONE, 0, src, 0, 0, APP_OFF(f), \
            MTR_CAT_MB_U32, addr, 0                                                              \
    }
/* Demand values, W/var at 0.1: IC 5 (current/last average) and IC 4 (maximum, cumulative). */
#define DEMAND(name, label, c, d, e, unit, ic, src, f, q, addr)                                \
    {                                                                                          \
        name, label, {1, 0, c, d, e, 255}, ic, MTR_CAT_UNIT_##unit, -1, src, 0, q, APP_OFF(f), \
            MTR_CAT_MB_S32, addr, 0                                                            \
    }
/* Capture time of a maximum demand (IC 4 attribute 5), uint64 ms since the epoch. */
#define DEMAND_TIME(name, label, c, f, addr)                                                   \
    {                                                                                          \
        name, label, {1, 0, c, 6, 0, 255}, 4u, MTR_CAT_UNIT_S, -3, MTR_CAT_SRC_APP_TIME, 0, 0, \
            APP_OFF(f), MTR_CAT_MB_T64, addr, 5                                                \
    }
/* Partial energy counters (COUNTIS), whole Wh: manufacturer-specific D = 128. */
#define PARTIAL(name, label, c, unit, f, addr)                                    \
    {                                                                             \
        name, label, {1, 0, c, 128, 0, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, 0, \
            MTR_CAT_SRC_APP_MICRO, 0, 0, APP_OFF(f), MTR_CAT_MB_U64, addr, 0      \
    }
/* Energy balance import - export (COUNTIS "bAL"), int64 Wh: manufacturer-specific D = 129. */
#define BALANCE(name, label, c, unit, which, kind, addr)                              \
    {                                                                                 \
        name, label, {1, 0, c, 129, which, 255}, IC_REGISTER, MTR_CAT_UNIT_##unit, 0, \
            MTR_CAT_SRC_BALANCE, which, kind, 0, MTR_CAT_MB_S64, addr, 0              \
    }
#define IC_DEMAND  5u
#define IC_EXT_REG 4u

/* clang-format off */
static const struct mtr_cat_entry cat_table[] = {
    /* Header block, addresses 0..99 */
    DATA_U32("map_version", "Map version", 0, 0, 96, 50, 0, MTR_CAT_SRC_MAP_VERSION, 0),
    DATA_U32("seq", "Frame sequence", 0, 0, 96, 50, 1, MTR_CAT_SRC_SEQ, 2),
    DATA_U32("valid", "Data valid", 0, 0, 96, 50, 2, MTR_CAT_SRC_VALID, 4),
    METER_TIME("meter_time", "Meter time", 6),
    DATA_U32("phase_seq", "Phase sequence", 1, 0, 96, 50, 0, MTR_CAT_SRC_PHASE_SEQ, 10),
    DATA_U32("missing_mask", "Missing phases", 1, 0, 96, 50, 1, MTR_CAT_SRC_MISSING, 12),
    /* Instantaneous values, group g at 100 + 8 g, slot L1, L2, L3, total/N */
    PHASE_F32("u_rms_l1", "Urms L1", 32, 0, V, -2, u_rms_V, 0, 100),
    PHASE_F32("u_rms_l2", "Urms L2", 52, 0, V, -2, u_rms_V, 1, 102),
    PHASE_F32("u_rms_l3", "Urms L3", 72, 0, V, -2, u_rms_V, 2, 104),
    PHASE_F32("i_rms_l1", "Irms L1", 31, 0, A, -3, i_rms_A, 0, 108),
    PHASE_F32("i_rms_l2", "Irms L2", 51, 0, A, -3, i_rms_A, 1, 110),
    PHASE_F32("i_rms_l3", "Irms L3", 71, 0, A, -3, i_rms_A, 2, 112),
    FRAME_F32("i_n", "In", 91, 0, A, -3, i_n_A, 114),
    FRAME_F32("u_ll_12", "U12", 132, 0, V, -2, u_ll_V[0], 116),
    FRAME_F32("u_ll_23", "U23", 152, 0, V, -2, u_ll_V[1], 118),
    FRAME_F32("u_ll_31", "U31", 172, 0, V, -2, u_ll_V[2], 120),
    PHASE_F32("p_l1", "P L1", 36, 0, W, -1, p_W, 0, 124),
    PHASE_F32("p_l2", "P L2", 56, 0, W, -1, p_W, 1, 126),
    PHASE_F32("p_l3", "P L3", 76, 0, W, -1, p_W, 2, 128),
    TOTAL_F32("p_total", "P total", 16, 0, W, -1, p_W, 130),
    PHASE_F32("q1_l1", "Q1 L1", 23, 1, VAR, -1, q1_var, 0, 132),
    PHASE_F32("q1_l2", "Q1 L2", 43, 1, VAR, -1, q1_var, 1, 134),
    PHASE_F32("q1_l3", "Q1 L3", 63, 1, VAR, -1, q1_var, 2, 136),
    TOTAL_F32("q1_total", "Q1 total", 3, 1, VAR, -1, q1_var, 138),
    PHASE_F32("qb_l1", "QB L1", 23, 0, VAR, -1, qb_var, 0, 140),
    PHASE_F32("qb_l2", "QB L2", 43, 0, VAR, -1, qb_var, 1, 142),
    PHASE_F32("qb_l3", "QB L3", 63, 0, VAR, -1, qb_var, 2, 144),
    TOTAL_F32("qb_total", "QB total", 3, 0, VAR, -1, qb_var, 146),
    PHASE_F32("s_l1", "S L1", 29, 0, VA, -1, s_VA, 0, 148),
    PHASE_F32("s_l2", "S L2", 49, 0, VA, -1, s_VA, 1, 150),
    PHASE_F32("s_l3", "S L3", 69, 0, VA, -1, s_VA, 2, 152),
    TOTAL_F32("s_total", "S total", 9, 0, VA, -1, s_VA, 154),
    PHASE_F32("pf_l1", "PF L1", 33, 0, NONE, -3, pf_ratio, 0, 156),
    PHASE_F32("pf_l2", "PF L2", 53, 0, NONE, -3, pf_ratio, 1, 158),
    PHASE_F32("pf_l3", "PF L3", 73, 0, NONE, -3, pf_ratio, 2, 160),
    TOTAL_F32("pf_total", "PF total", 13, 0, NONE, -3, pf_ratio, 162),
    ANGLE("phi_l1", "phi L1", 40, phi_deg, 0, 164),
    ANGLE("phi_l2", "phi L2", 51, phi_deg, 1, 166),
    ANGLE("phi_l3", "phi L3", 62, phi_deg, 2, 168),
    ANGLE("u_angle_l2", "U angle L2", 10, u_angle_deg, 1, 174),
    ANGLE("u_angle_l3", "U angle L3", 20, u_angle_deg, 2, 176),
    PHASE_F32("thd_u_l1", "THD U L1", 32, 124, PCT, -2, u_thd_pct, 0, 180),
    PHASE_F32("thd_u_l2", "THD U L2", 52, 124, PCT, -2, u_thd_pct, 1, 182),
    PHASE_F32("thd_u_l3", "THD U L3", 72, 124, PCT, -2, u_thd_pct, 2, 184),
    PHASE_F32("thd_i_l1", "THD I L1", 31, 124, PCT, -2, i_thd_pct, 0, 188),
    PHASE_F32("thd_i_l2", "THD I L2", 51, 124, PCT, -2, i_thd_pct, 1, 190),
    PHASE_F32("thd_i_l3", "THD I L3", 71, 124, PCT, -2, i_thd_pct, 2, 192),
    FRAME_F32("f", "f", 14, 0, HZ, -3, f_Hz, 196),
    /* Energy registers, kind k at 300 + 16 k, channel L1, L2, L3, total every 4 */
    ENERGY("e_a_imp_l1", "+A L1", 21, WH, MTR_REG_L1, MTR_REG_A_IMP, 300),
    ENERGY("e_a_imp_l2", "+A L2", 41, WH, MTR_REG_L2, MTR_REG_A_IMP, 304),
    ENERGY("e_a_imp_l3", "+A L3", 61, WH, MTR_REG_L3, MTR_REG_A_IMP, 308),
    ENERGY("e_a_imp_total", "+A total", 1, WH, MTR_REG_TOTAL, MTR_REG_A_IMP, 312),
    ENERGY("e_a_exp_l1", "-A L1", 22, WH, MTR_REG_L1, MTR_REG_A_EXP, 316),
    ENERGY("e_a_exp_l2", "-A L2", 42, WH, MTR_REG_L2, MTR_REG_A_EXP, 320),
    ENERGY("e_a_exp_l3", "-A L3", 62, WH, MTR_REG_L3, MTR_REG_A_EXP, 324),
    ENERGY("e_a_exp_total", "-A total", 2, WH, MTR_REG_TOTAL, MTR_REG_A_EXP, 328),
    ENERGY("e_r_imp_l1", "+R L1", 23, VARH, MTR_REG_L1, MTR_REG_R_IMP, 332),
    ENERGY("e_r_imp_l2", "+R L2", 43, VARH, MTR_REG_L2, MTR_REG_R_IMP, 336),
    ENERGY("e_r_imp_l3", "+R L3", 63, VARH, MTR_REG_L3, MTR_REG_R_IMP, 340),
    ENERGY("e_r_imp_total", "+R total", 3, VARH, MTR_REG_TOTAL, MTR_REG_R_IMP, 344),
    ENERGY("e_r_exp_l1", "-R L1", 24, VARH, MTR_REG_L1, MTR_REG_R_EXP, 348),
    ENERGY("e_r_exp_l2", "-R L2", 44, VARH, MTR_REG_L2, MTR_REG_R_EXP, 352),
    ENERGY("e_r_exp_l3", "-R L3", 64, VARH, MTR_REG_L3, MTR_REG_R_EXP, 356),
    ENERGY("e_r_exp_total", "-R total", 4, VARH, MTR_REG_TOTAL, MTR_REG_R_EXP, 360),
    ENERGY("e_r_q1_l1", "R QI L1", 25, VARH, MTR_REG_L1, MTR_REG_R_Q1, 364),
    ENERGY("e_r_q1_l2", "R QI L2", 45, VARH, MTR_REG_L2, MTR_REG_R_Q1, 368),
    ENERGY("e_r_q1_l3", "R QI L3", 65, VARH, MTR_REG_L3, MTR_REG_R_Q1, 372),
    ENERGY("e_r_q1_total", "R QI total", 5, VARH, MTR_REG_TOTAL, MTR_REG_R_Q1, 376),
    ENERGY("e_r_q2_l1", "R QII L1", 26, VARH, MTR_REG_L1, MTR_REG_R_Q2, 380),
    ENERGY("e_r_q2_l2", "R QII L2", 46, VARH, MTR_REG_L2, MTR_REG_R_Q2, 384),
    ENERGY("e_r_q2_l3", "R QII L3", 66, VARH, MTR_REG_L3, MTR_REG_R_Q2, 388),
    ENERGY("e_r_q2_total", "R QII total", 6, VARH, MTR_REG_TOTAL, MTR_REG_R_Q2, 392),
    ENERGY("e_r_q3_l1", "R QIII L1", 27, VARH, MTR_REG_L1, MTR_REG_R_Q3, 396),
    ENERGY("e_r_q3_l2", "R QIII L2", 47, VARH, MTR_REG_L2, MTR_REG_R_Q3, 400),
    ENERGY("e_r_q3_l3", "R QIII L3", 67, VARH, MTR_REG_L3, MTR_REG_R_Q3, 404),
    ENERGY("e_r_q3_total", "R QIII total", 7, VARH, MTR_REG_TOTAL, MTR_REG_R_Q3, 408),
    ENERGY("e_r_q4_l1", "R QIV L1", 28, VARH, MTR_REG_L1, MTR_REG_R_Q4, 412),
    ENERGY("e_r_q4_l2", "R QIV L2", 48, VARH, MTR_REG_L2, MTR_REG_R_Q4, 416),
    ENERGY("e_r_q4_l3", "R QIV L3", 68, VARH, MTR_REG_L3, MTR_REG_R_Q4, 420),
    ENERGY("e_r_q4_total", "R QIV total", 8, VARH, MTR_REG_TOTAL, MTR_REG_R_Q4, 424),
    ENERGY("e_s_imp_l1", "+S L1", 29, VAH, MTR_REG_L1, MTR_REG_S_IMP, 428),
    ENERGY("e_s_imp_l2", "+S L2", 49, VAH, MTR_REG_L2, MTR_REG_S_IMP, 432),
    ENERGY("e_s_imp_l3", "+S L3", 69, VAH, MTR_REG_L3, MTR_REG_S_IMP, 436),
    ENERGY("e_s_imp_total", "+S total", 9, VAH, MTR_REG_TOTAL, MTR_REG_S_IMP, 440),
    ENERGY("e_s_exp_l1", "-S L1", 30, VAH, MTR_REG_L1, MTR_REG_S_EXP, 444),
    ENERGY("e_s_exp_l2", "-S L2", 50, VAH, MTR_REG_L2, MTR_REG_S_EXP, 448),
    ENERGY("e_s_exp_l3", "-S L3", 70, VAH, MTR_REG_L3, MTR_REG_S_EXP, 452),
    ENERGY("e_s_exp_total", "-S total", 10, VAH, MTR_REG_TOTAL, MTR_REG_S_EXP, 456),
    ENERGY("e_a_abs_l1", "|A| L1", 35, WH, MTR_REG_L1, MTR_REG_A_ABS, 460),
    ENERGY("e_a_abs_l2", "|A| L2", 55, WH, MTR_REG_L2, MTR_REG_A_ABS, 464),
    ENERGY("e_a_abs_l3", "|A| L3", 75, WH, MTR_REG_L3, MTR_REG_A_ABS, 468),
    ENERGY("e_a_abs_total", "|A| total", 15, WH, MTR_REG_TOTAL, MTR_REG_A_ABS, 472),
    ENERGY_NET("e_a_net_l1", "A net L1", 36, MTR_REG_L1, 476),
    ENERGY_NET("e_a_net_l2", "A net L2", 56, MTR_REG_L2, 480),
    ENERGY_NET("e_a_net_l3", "A net L3", 76, MTR_REG_L3, 484),
    ENERGY_NET("e_a_net_total", "A net total", 16, MTR_REG_TOTAL, 488),
    /* Tariff registers, kind k at 500 + 16 k, tariff T1..T4 every 4 */
    TARIFF("e_a_imp_t1", "+A T1", 1, WH, 0, MTR_REG_A_IMP, 500),
    TARIFF("e_a_imp_t2", "+A T2", 1, WH, 1, MTR_REG_A_IMP, 504),
    TARIFF("e_a_imp_t3", "+A T3", 1, WH, 2, MTR_REG_A_IMP, 508),
    TARIFF("e_a_imp_t4", "+A T4", 1, WH, 3, MTR_REG_A_IMP, 512),
    TARIFF("e_a_exp_t1", "-A T1", 2, WH, 0, MTR_REG_A_EXP, 516),
    TARIFF("e_a_exp_t2", "-A T2", 2, WH, 1, MTR_REG_A_EXP, 520),
    TARIFF("e_a_exp_t3", "-A T3", 2, WH, 2, MTR_REG_A_EXP, 524),
    TARIFF("e_a_exp_t4", "-A T4", 2, WH, 3, MTR_REG_A_EXP, 528),
    TARIFF("e_r_imp_t1", "+R T1", 3, VARH, 0, MTR_REG_R_IMP, 532),
    TARIFF("e_r_imp_t2", "+R T2", 3, VARH, 1, MTR_REG_R_IMP, 536),
    TARIFF("e_r_imp_t3", "+R T3", 3, VARH, 2, MTR_REG_R_IMP, 540),
    TARIFF("e_r_imp_t4", "+R T4", 3, VARH, 3, MTR_REG_R_IMP, 544),
    TARIFF("e_r_exp_t1", "-R T1", 4, VARH, 0, MTR_REG_R_EXP, 548),
    TARIFF("e_r_exp_t2", "-R T2", 4, VARH, 1, MTR_REG_R_EXP, 552),
    TARIFF("e_r_exp_t3", "-R T3", 4, VARH, 2, MTR_REG_R_EXP, 556),
    TARIFF("e_r_exp_t4", "-R T4", 4, VARH, 3, MTR_REG_R_EXP, 560),
    TARIFF("e_s_imp_t1", "+S T1", 9, VAH, 0, MTR_REG_S_IMP, 564),
    TARIFF("e_s_imp_t2", "+S T2", 9, VAH, 1, MTR_REG_S_IMP, 568),
    TARIFF("e_s_imp_t3", "+S T3", 9, VAH, 2, MTR_REG_S_IMP, 572),
    TARIFF("e_s_imp_t4", "+S T4", 9, VAH, 3, MTR_REG_S_IMP, 576),
    /* Meter application state, 580.. */
    APP_U("tariff", "Tariff in force", 0, 96, 14, 0, MTR_CAT_SRC_APP_U8, tariff, 580),
    APP_U("billing_count", "Billing periods", 1, 0, 1, 0, MTR_CAT_SRC_APP_U32, bill_count, 582),
    APP_U("outages", "Power failures", 0, 96, 7, 21, MTR_CAT_SRC_APP_U32, outages_short, 584),
    APP_U("outages_long", "Long power failures", 0, 96, 7, 9, MTR_CAT_SRC_APP_U32, outages_long, 586),
    APP_U("demand_resets", "Demand resets", 1, 0, 1, 2, MTR_CAT_SRC_APP_U32, dem.resets, 588),
    APP_U("partial_running", "Partial counters running", 1, 96, 128, 0, MTR_CAT_SRC_APP_U8,
          partial.running, 590),
    /* Demand, W/var at 0.1, 600.. */
    DEMAND("dem_last_p_imp", "+P last demand", 1, 5, 0, W, IC_DEMAND, MTR_CAT_SRC_APP_MILLI, dem.last_mW[0], 0, 600),
    DEMAND("dem_last_p_exp", "-P last demand", 2, 5, 0, W, IC_DEMAND, MTR_CAT_SRC_APP_MILLI, dem.last_mW[1], 0, 602),
    DEMAND("dem_last_q_imp", "+Q last demand", 3, 5, 0, VAR, IC_DEMAND, MTR_CAT_SRC_APP_MILLI, dem.last_mW[2], 0, 604),
    DEMAND("dem_last_q_exp", "-Q last demand", 4, 5, 0, VAR, IC_DEMAND, MTR_CAT_SRC_APP_MILLI, dem.last_mW[3], 0, 606),
    DEMAND("dem_cur_p_imp", "+P current demand", 1, 4, 0, W, IC_DEMAND, MTR_CAT_SRC_DEM_CUR, tariff, MTR_DEM_P_IMP, 608),
    DEMAND("dem_cur_p_exp", "-P current demand", 2, 4, 0, W, IC_DEMAND, MTR_CAT_SRC_DEM_CUR, tariff, MTR_DEM_P_EXP, 610),
    DEMAND("dem_cur_q_imp", "+Q current demand", 3, 4, 0, VAR, IC_DEMAND, MTR_CAT_SRC_DEM_CUR, tariff, MTR_DEM_Q_IMP, 612),
    DEMAND("dem_cur_q_exp", "-Q current demand", 4, 4, 0, VAR, IC_DEMAND, MTR_CAT_SRC_DEM_CUR, tariff, MTR_DEM_Q_EXP, 614),
    DEMAND("md_p_imp", "+P maximum demand", 1, 6, 0, W, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[0][0], 0, 616),
    DEMAND("md_p_exp", "-P maximum demand", 2, 6, 0, W, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[0][1], 0, 618),
    DEMAND("md_q_imp", "+Q maximum demand", 3, 6, 0, VAR, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[0][2], 0, 620),
    DEMAND("md_q_exp", "-Q maximum demand", 4, 6, 0, VAR, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[0][3], 0, 622),
    DEMAND("md_p_imp_t1", "+P maximum demand T1", 1, 6, 1, W, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[1][0], 0, 624),
    DEMAND("md_p_imp_t2", "+P maximum demand T2", 1, 6, 2, W, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[2][0], 0, 626),
    DEMAND("md_p_imp_t3", "+P maximum demand T3", 1, 6, 3, W, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[3][0], 0, 628),
    DEMAND("md_p_imp_t4", "+P maximum demand T4", 1, 6, 4, W, IC_EXT_REG, MTR_CAT_SRC_APP_MILLI, dem.max_mW[4][0], 0, 630),
    DEMAND("cmd_p_imp", "+P cumulative maximum demand", 1, 2, 0, W, IC_REGISTER, MTR_CAT_SRC_APP_MILLI, dem.cum_mW[0], 0, 632),
    DEMAND("cmd_p_exp", "-P cumulative maximum demand", 2, 2, 0, W, IC_REGISTER, MTR_CAT_SRC_APP_MILLI, dem.cum_mW[1], 0, 634),
    DEMAND_TIME("md_p_imp_time", "+P maximum demand time", 1, dem.max_t_us[0][0], 640),
    DEMAND_TIME("md_p_exp_time", "-P maximum demand time", 2, dem.max_t_us[0][1], 644),
    /* Partial counters (COUNTIS), 660.. */
    PARTIAL("e_a_imp_partial", "+A partial", 1, WH, partial.e_u[0][MTR_REG_A_IMP], 660),
    PARTIAL("e_a_exp_partial", "-A partial", 2, WH, partial.e_u[0][MTR_REG_A_EXP], 664),
    PARTIAL("e_r_imp_partial", "+R partial", 3, VARH, partial.e_u[0][MTR_REG_R_IMP], 668),
    PARTIAL("e_r_exp_partial", "-R partial", 4, VARH, partial.e_u[0][MTR_REG_R_EXP], 672),
    /* Energy balance, import - export, 680.. */
    BALANCE("e_a_bal_total", "A balance total", 1, WH, 0, MTR_REG_A_IMP, 680),
    BALANCE("e_r_bal_total", "R balance total", 3, VARH, 0, MTR_REG_R_IMP, 684),
    BALANCE("e_a_bal_partial", "A balance partial", 1, WH, 1, MTR_REG_A_IMP, 688),
    BALANCE("e_r_bal_partial", "R balance partial", 3, VARH, 1, MTR_REG_R_IMP, 692),
};
/* clang-format on */

_Static_assert(sizeof(struct mtr_metro_frame) <= UINT16_MAX, "off must hold any frame offset");
_Static_assert(sizeof(struct mtr_app_state) <= UINT16_MAX, "off must hold any app offset");

const struct mtr_cat_entry *
mtr_cat_entries(size_t *count)
{
    if (count != NULL) {
        *count = MTR_ARRAY_COUNT(cat_table);
    }
    return cat_table;
}
