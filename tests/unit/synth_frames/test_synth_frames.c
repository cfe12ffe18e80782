/*
 * Frame mode of the synthetic source (src/daemon/sources/synth_frames.h).
 *
 * Expected values come from outside the frame code: the closed form of a sine
 * (230 V, 5 A, 30 deg: P = 1150 cos 30, Q = 1150 sin 30), the sample mode's own
 * construction of the household signal (schedule -> mtrd_synth_hh_add() for every
 * load including PV -> waves by hypot/atan2, as source_synth.c's hh_signal()) fed to
 * mtrd_synth_truth_stats() (synth_truth.c, checked against Simpson integration in
 * tests/unit/synth), and the register code of reg.c for the frame-level classification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meterd/reg.h"
#include "sources/synth.h"
#include "sources/synth_frames.h"

#define T0_us     1717200000000000LL /* 2024-06-01T00:00:00Z */
#define DAY_us    86400000000LL
#define HOUR_us   3600000000LL
#define PI        3.14159265358979323846
#define WS_PER_WH 3600.0

static struct mtrd_synth_frames *
open_ok(const struct mtrd_synth_frames_spec *sp)
{
    struct mtrd_synth_frames *g = NULL;
    char err[256] = "";
    enum mtr_err e = mtrd_synth_frames_open(sp, &g, err, sizeof(err));
    if (e != MTR_OK) {
        fail_msg("open: %s (%d)", err, (int)e);
    }
    return g;
}

/* A phase's float quantities as doubles (the checks are in double). */
struct dph {
    double u, i, p, q1, qb, s, pf, phi, uthd, ithd, u1;
};

static struct dph
to_d(const struct mtr_metro_phase *ph)
{
    struct dph d = {(double)ph->u_rms_V,   (double)ph->i_rms_A, (double)ph->p_W,
                    (double)ph->q1_var,    (double)ph->qb_var,  (double)ph->s_VA,
                    (double)ph->pf_ratio,  (double)ph->phi_deg, (double)ph->u_thd_pct,
                    (double)ph->i_thd_pct, (double)ph->u_h_V[1]};
    return d;
}

static double
rel_diff(double a, double b)
{
    double m = fmax(fabs(a), fabs(b));
    return m > 0.0 ? fabs(a - b) / m : 0.0;
}

/* ---- independent household signal at one step, built as the sample mode builds it ---- */

static void
hh_step_stats(uint64_t seed, double t_s, struct mtrd_synth_stats st[3])
{
    struct mtrd_synth_hh_loads l;
    struct mtrd_synth_hh_phasors acc[3];
    static struct mtrd_synth_signal sig;
    mtrd_synth_hh_schedule(seed, t_s, &l);
    memset(acc, 0, sizeof(acc));
    for (uint8_t k = 0; k < l.count; k++) {
        mtrd_synth_hh_add(acc, &l.ld[k]);
    }
    memset(&sig, 0, sizeof(sig));
    sig.phase_count = 3;
    for (uint8_t p = 0; p < 3; p++) {
        assert_int_equal(mtrd_synth_hh_voltage(&sig.u[p], p, mtrd_synth_hh_u1(&acc[p], p)), MTR_OK);
        for (int o = 0; o < MTRD_SYNTH_HH_ORDERS; o++) {
            double rms = hypot(acc[p].re[o], acc[p].im[o]);
            if (rms > 0.0) {
                assert_int_equal(mtrd_synth_wave_add(&sig.i[p], (uint8_t)(2 * o + 1), rms,
                                                     atan2(acc[p].im[o], acc[p].re[o])),
                                 MTR_OK);
            }
        }
    }
    struct mtrd_synth_seg seg = {
        .sample_count = 1, .f_Hz = 50.0, .sig = &sig, .u_scale = 1.0, .i_scale = 1.0};
    for (uint8_t p = 0; p < 3; p++) {
        assert_int_equal(mtrd_synth_truth_stats(&seg, p, &st[p]), MTR_OK);
    }
}

/* ---- open: errors ---- */

struct open_row {
    const char *name;
    struct mtrd_synth_frames_spec spec;
    const char *msg_part;
};

static void
test_open_errors(void **state)
{
    (void)state;
    static const struct open_row rows[] = {
        {"unknown scenario", {.scenario = "office"},   "unknown scenario"},
        {"55 Hz",            {.f_nom_Hz = 55},         "55 Hz"           },
        {"frame 10 ms",      {.frame_s = 0.01},        "frame length"    },
        {"frame 61 s",       {.frame_s = 61.0},        "frame length"    },
        {"frame NaN",        {.frame_s = (double)NAN}, "frame length"    },
        {"2 phases",         {.phase_count = 2},       "2 phases"        },
        {"tz +25 h",         {.tz_min = 1500},         "time zone"       },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        static int sentinel;
        struct mtrd_synth_frames *g = (struct mtrd_synth_frames *)(void *)&sentinel;
        char err[256] = "";
        enum mtr_err e = mtrd_synth_frames_open(&rows[r].spec, &g, err, sizeof(err));
        if (e != MTR_EINVAL || strstr(err, rows[r].msg_part) == NULL || g != (void *)&sentinel) {
            fail_msg("%s: got %d \"%s\", want EINVAL naming \"%s\", out untouched", rows[r].name,
                     (int)e, err, rows[r].msg_part);
        }
    }
    struct mtrd_synth_frames *g = NULL;
    assert_int_equal(mtrd_synth_frames_open(NULL, &g, NULL, 0), MTR_EINVAL);
    struct mtrd_synth_frames_spec sp = {.frame_s = 0.2};
    g = open_ok(&sp);
    struct mtr_metro_frame fr;
    struct mtrd_synth_frames_energy en;
    assert_int_equal(mtrd_synth_frames_next(g, NULL, NULL), MTR_EINVAL);
    assert_int_equal(mtrd_synth_frames_next(NULL, &fr, NULL), MTR_EINVAL);
    assert_int_equal(mtrd_synth_frames_truth(g, -1, 10, &en), MTR_EINVAL); /* before t0 */
    assert_int_equal(mtrd_synth_frames_truth(g, 10, 10, &en), MTR_EINVAL); /* empty */
    assert_int_equal(mtrd_synth_frames_truth_inst(g, 0, 10, NULL), MTR_EINVAL);
    assert_int_equal(mtrd_synth_frames_len_us(g), 200000);
    mtrd_synth_frames_close(g);
    mtrd_synth_frames_close(NULL);
}

/* ---- a day of frames against the truth, the independent model and the registers ---- */

struct day_row {
    const char *name;
    double frame_s;
    int64_t want_frame_us;
};

static const struct day_row day_rows[] = {
    {"0.2-s frames", 0.2,  200000  },
    {"1-s frames",   1.0,  1000000 },
    {"10-s frames",  10.0, 10000000},
};

/* Net energy of each phase over the day from the sample mode's signal, 1 s per step. */
static void
day_independent(uint64_t seed, double tod0_s, double net_Wh[3])
{
    net_Wh[0] = net_Wh[1] = net_Wh[2] = 0.0;
    for (int k = 0; k < 86400; k++) {
        struct mtrd_synth_stats st[3];
        hh_step_stats(seed, tod0_s + (double)k, st);
        for (int p = 0; p < 3; p++) {
            net_Wh[p] += st[p].p_W / WS_PER_WH;
        }
    }
}

static void
check_reg(const char *row,
          const char *what,
          const struct mtr_reg_set *set,
          enum mtr_reg_chan c,
          enum mtr_reg_kind k,
          double want_Wh)
{
    double got_uWh = (double)set->e_u[c][k];
    /* the register floors the carried sum: within 1 uWh plus the double rounding */
    if (fabs(got_uWh - want_Wh * 1e6) > 2.0) {
        fail_msg("%s: register %s chan %d: got %.0f uWh, want %.3f uWh", row, what, (int)c, got_uWh,
                 want_Wh * 1e6);
    }
}

static void
check_reg_chan(const char *row,
               const struct mtr_reg_set *set,
               enum mtr_reg_chan c,
               const struct mtrd_synth_frames_reg *t)
{
    check_reg(row, "+A", set, c, MTR_REG_A_IMP, t->e_imp_Wh);
    check_reg(row, "-A", set, c, MTR_REG_A_EXP, t->e_exp_Wh);
    check_reg(row, "QI", set, c, MTR_REG_R_Q1, t->r_q1_varh);
    check_reg(row, "QII", set, c, MTR_REG_R_Q2, t->r_q2_varh);
    check_reg(row, "QIII", set, c, MTR_REG_R_Q3, t->r_q3_varh);
    check_reg(row, "QIV", set, c, MTR_REG_R_Q4, t->r_q4_varh);
    check_reg(row, "S+", set, c, MTR_REG_S_IMP, t->s_imp_VAh);
    check_reg(row, "S-", set, c, MTR_REG_S_EXP, t->s_exp_VAh);
}

static void
test_day_sum(void **state)
{
    (void)state;
    const int16_t tz_min = 120;
    /* the household's local time of day at T0 (UTC midnight + 2 h) */
    const double tod0_s = 7200.0;
    double indep_Wh[3];
    day_independent(7, tod0_s, indep_Wh);
    for (size_t r = 0; r < sizeof(day_rows) / sizeof(day_rows[0]); r++) {
        const struct day_row *row = &day_rows[r];
        struct mtrd_synth_frames_spec sp = {
            .seed = 7, .frame_s = row->frame_s, .t0_us = T0_us, .tz_min = tz_min};
        struct mtrd_synth_frames *g = open_ok(&sp);
        int64_t flen = mtrd_synth_frames_len_us(g);
        assert_int_equal(flen, row->want_frame_us);
        static struct mtr_reg_set set;
        mtr_reg_init(&set);
        double sum_Wh[3] = {0.0, 0.0, 0.0};
        double sum_tot_Wh = 0.0;
        int64_t n = DAY_us / flen;
        for (int64_t j = 0; j < n; j++) {
            struct mtr_metro_frame fr;
            int64_t t_us = 0;
            assert_int_equal(mtrd_synth_frames_next(g, &fr, &t_us), MTR_OK);
            if (t_us != T0_us + j * flen || fr.seq != (uint64_t)j ||
                fr.sample_count != (uint32_t)(flen / 125) ||
                fr.sample_start != (uint64_t)j * fr.sample_count ||
                fr.duration_s != (double)flen / 1e6) {
                fail_msg("%s: frame %lld timing: t %lld seq %llu count %u start %llu dur %.9f",
                         row->name, (long long)j, (long long)t_us, (unsigned long long)fr.seq,
                         fr.sample_count, (unsigned long long)fr.sample_start, fr.duration_s);
            }
            for (int p = 0; p < 3; p++) {
                sum_Wh[p] += fr.ph[p].e_p_Wh;
            }
            sum_tot_Wh += fr.total.e_p_Wh;
            assert_int_equal(mtr_reg_apply_frame(&set, &fr), MTR_OK);
        }
        struct mtrd_synth_frames_energy tr;
        struct mtrd_synth_frames_energy ti;
        assert_int_equal(mtrd_synth_frames_truth(g, T0_us, T0_us + DAY_us, &tr), MTR_OK);
        assert_int_equal(mtrd_synth_frames_truth_inst(g, T0_us, T0_us + DAY_us, &ti), MTR_OK);
        for (int p = 0; p < 3; p++) {
            double t_net = tr.ph[p].e_imp_Wh - tr.ph[p].e_exp_Wh;
            double i_net = ti.ph[p].e_imp_Wh - ti.ph[p].e_exp_Wh;
            if (rel_diff(sum_Wh[p], t_net) > 1e-9 || rel_diff(sum_Wh[p], i_net) > 1e-9 ||
                rel_diff(sum_Wh[p], indep_Wh[p]) > 1e-9) {
                fail_msg("%s: L%d day: frames %.9f Wh, truth %.9f, inst %.9f, sample-mode "
                         "model %.9f",
                         row->name, p + 1, sum_Wh[p], t_net, i_net, indep_Wh[p]);
            }
            /* netting inside a frame only removes equal amounts of import and export */
            double d_imp = ti.ph[p].e_imp_Wh - tr.ph[p].e_imp_Wh;
            double d_exp = ti.ph[p].e_exp_Wh - tr.ph[p].e_exp_Wh;
            double tol = 1e-11 * (ti.ph[p].e_imp_Wh + ti.ph[p].e_exp_Wh) + 1e-9;
            if (d_imp < -tol || fabs(d_imp - d_exp) > tol) {
                fail_msg("%s: L%d inst - frame: +A %.9f Wh, -A %.9f Wh", row->name, p + 1, d_imp,
                         d_exp);
            }
        }
        if (rel_diff(sum_tot_Wh, tr.net_Wh) > 1e-9) {
            fail_msg("%s: total %.9f Wh, truth %.9f Wh", row->name, sum_tot_Wh, tr.net_Wh);
        }
        for (int p = 0; p < 3; p++) {
            check_reg_chan(row->name, &set, (enum mtr_reg_chan)p, &tr.ph[p]);
        }
        check_reg_chan(row->name, &set, MTR_REG_TOTAL, &tr.total);
        check_reg(row->name, "|A|", &set, MTR_REG_TOTAL, MTR_REG_A_ABS, tr.e_abs_Wh);
        printf("# %s: day +A %.3f kWh, -A %.3f kWh (frame-level); inst +A %.3f, -A %.3f kWh\n",
               row->name, tr.total.e_imp_Wh / 1e3, tr.total.e_exp_Wh / 1e3, ti.total.e_imp_Wh / 1e3,
               ti.total.e_exp_Wh / 1e3);
        mtrd_synth_frames_close(g);
    }
}

/* A span that is not whole frames: frame-level and instantaneous truth have the same net. */
static void
test_partial_span(void **state)
{
    (void)state;
    struct mtrd_synth_frames_spec sp = {.seed = 3, .frame_s = 10.0, .t0_us = T0_us};
    struct mtrd_synth_frames *g = open_ok(&sp);
    struct mtrd_synth_frames_energy a;
    struct mtrd_synth_frames_energy b;
    int64_t t_a = T0_us + 11 * HOUR_us + 1234567;
    int64_t t_b = T0_us + 13 * HOUR_us + 7654321;
    assert_int_equal(mtrd_synth_frames_truth(g, t_a, t_b, &a), MTR_OK);
    assert_int_equal(mtrd_synth_frames_truth_inst(g, t_a, t_b, &b), MTR_OK);
    assert_true(rel_diff(a.net_Wh, b.net_Wh) < 1e-12);
    assert_true(fabs(a.t_s - (double)(t_b - t_a) / 1e6) < 1e-9);
    /* additivity: [a, m) + [m, b) = [a, b) */
    struct mtrd_synth_frames_energy c;
    struct mtrd_synth_frames_energy d;
    int64_t t_m = T0_us + 12 * HOUR_us + 5555555;
    assert_int_equal(mtrd_synth_frames_truth(g, t_a, t_m, &c), MTR_OK);
    assert_int_equal(mtrd_synth_frames_truth(g, t_m, t_b, &d), MTR_OK);
    if (rel_diff(c.total.e_imp_Wh + d.total.e_imp_Wh, a.total.e_imp_Wh) > 1e-12 ||
        rel_diff(c.total.e_exp_Wh + d.total.e_exp_Wh, a.total.e_exp_Wh) > 1e-12) {
        fail_msg("split span: %.9f + %.9f vs %.9f Wh", c.total.e_exp_Wh, d.total.e_exp_Wh,
                 a.total.e_exp_Wh);
    }
    mtrd_synth_frames_close(g);
}

/* ---- PV export only in local daylight ---- */

struct pv_row {
    const char *name;
    int16_t tz_min;
};

static void
test_pv_daylight(void **state)
{
    (void)state;
    static const struct pv_row rows[] = {
        {"UTC",       0   },
        {"CEST +2 h", 120 },
        {"EST -5 h",  -300},
        {"IST +5:30", 330 },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct mtrd_synth_frames_spec sp = {
            .seed = 11, .frame_s = 1.0, .t0_us = T0_us, .tz_min = rows[r].tz_min};
        struct mtrd_synth_frames *g = open_ok(&sp);
        double day_exp = 0.0;
        for (int h = 0; h < 24; h++) {
            /* the local hour [h, h+1) in UTC, within the first two days from T0 */
            int64_t off_us = ((int64_t)h * 60 - rows[r].tz_min) * 60000000LL;
            off_us = ((off_us % DAY_us) + DAY_us) % DAY_us;
            struct mtrd_synth_frames_energy e;
            assert_int_equal(
                mtrd_synth_frames_truth(g, T0_us + off_us, T0_us + off_us + HOUR_us, &e), MTR_OK);
            bool is_day = h >= 7 && h < 19;
            if (!is_day && (e.total.e_exp_Wh != 0.0 || !(e.total.e_imp_Wh > 0.0))) {
                fail_msg("%s: night hour %d: -A %.6f Wh, +A %.6f Wh", rows[r].name, h,
                         e.total.e_exp_Wh, e.total.e_imp_Wh);
            }
            for (int p = 0; p < 3 && !is_day; p++) {
                if (e.ph[p].e_exp_Wh != 0.0) {
                    fail_msg("%s: night hour %d: L%d exports", rows[r].name, h, p + 1);
                }
            }
            /* around noon the 5-kW bell beats the base load (<= ~1 kW without the kettle) */
            if (h >= 11 && h < 15 && !(e.total.e_exp_Wh > 500.0)) {
                fail_msg("%s: midday hour %d: -A %.3f Wh", rows[r].name, h, e.total.e_exp_Wh);
            }
            day_exp += e.total.e_exp_Wh;
        }
        assert_true(day_exp > 10000.0);
        mtrd_synth_frames_close(g);
    }
}

/* ---- frame quantities consistent ---- */

struct sine_row {
    const char *name;
    uint8_t phase_count;
    uint16_t f_nom_Hz;
    double frame_s;
};

static void
test_sine_frames(void **state)
{
    (void)state;
    static const struct sine_row rows[] = {
        {"1 phase 50 Hz 0.2 s",  1, 50, 0.2 },
        {"3 phases 50 Hz 1 s",   3, 50, 1.0 },
        {"3 phases 60 Hz 0.2 s", 3, 60, 0.2 },
        {"3 phases 50 Hz 60 s",  3, 50, 60.0},
    };
    const double p_W = 230.0 * 5.0 * cos(PI / 6.0);   /* 995.929 W */
    const double q_var = 230.0 * 5.0 * sin(PI / 6.0); /* 575 var */
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const struct sine_row *row = &rows[r];
        struct mtrd_synth_frames_spec sp = {.scenario = "sine",
                                            .phase_count = row->phase_count,
                                            .f_nom_Hz = row->f_nom_Hz,
                                            .frame_s = row->frame_s,
                                            .t0_us = T0_us};
        struct mtrd_synth_frames *g = open_ok(&sp);
        for (int j = 0; j < 3; j++) {
            struct mtr_metro_frame fr;
            assert_int_equal(mtrd_synth_frames_next(g, &fr, NULL), MTR_OK);
            assert_int_equal(fr.phase_count, row->phase_count);
            assert_int_equal(fr.flags & ~MTR_METRO_FLAG_F10_NEW, 0);
            assert_true(fabsf(fr.f_Hz - (float)row->f_nom_Hz) < 1e-4f);
            for (int p = 0; p < row->phase_count; p++) {
                const struct mtr_metro_phase *ph = &fr.ph[p];
                struct dph d = to_d(ph);
                double S = d.s;
                double s2 = (double)d.p * d.p + (double)d.q1 * d.q1;
                if (fabs(d.u - 230.0) > 1e-3 || fabs(d.i - 5.0) > 1e-5 || fabs(d.p - p_W) > 1e-3 ||
                    fabs(d.q1 - q_var) > 1e-3 || fabs(d.qb - q_var) > 1e-3 ||
                    fabs(S - 1150.0) > 1e-3 || fabs(S * S - s2) > 1e-6 * S * S ||
                    fabs(d.pf - d.p / d.s) > 1e-6 || fabs(d.phi - 30.0) > 1e-4 || d.uthd != 0.0 ||
                    d.ithd != 0.0 || fabs(d.u1 - 230.0) > 1e-3) {
                    fail_msg("%s: frame %d L%d: U %.4f I %.6f P %.4f Q %.4f S %.4f PF %.6f "
                             "phi %.4f",
                             row->name, j, p + 1, d.u, d.i, d.p, d.q1, d.s, d.pf, d.phi);
                }
                double want_Wh = p_W * fr.duration_s / WS_PER_WH;
                if (rel_diff(ph->e_p_Wh, want_Wh) > 1e-12 ||
                    rel_diff(ph->e_q_varh, q_var * fr.duration_s / WS_PER_WH) > 1e-12 ||
                    rel_diff(ph->e_s_VAh, 1150.0 * fr.duration_s / WS_PER_WH) > 1e-12) {
                    fail_msg("%s: frame %d L%d: E %.12f Wh, want %.12f Wh", row->name, j, p + 1,
                             ph->e_p_Wh, want_Wh);
                }
            }
            if (row->phase_count == 3) {
                /* balanced: U_LL = sqrt3 * 230, no neutral current, direct sequence */
                assert_int_equal(fr.seq_order, MTR_METRO_SEQ_123);
                assert_true(fabs((double)fr.u_ll_V[0] - 230.0 * sqrt(3.0)) < 1e-3);
                assert_true(fabs((double)fr.u_ll_V[2] - 230.0 * sqrt(3.0)) < 1e-3);
                assert_true(fr.i_n_A < 1e-4f);
                assert_true(fabs((double)fr.ph[1].u_angle_deg + 120.0) < 1e-4);
                assert_true(fabs((double)fr.total.p_W - 3.0 * p_W) < 1e-2);
            } else {
                assert_int_equal(fr.seq_order, MTR_METRO_SEQ_UNKNOWN);
            }
        }
        mtrd_synth_frames_close(g);
    }
}

/* Household frames: S >= |P + jQ1| (distortion), PF = P/S, and, for a 1-s frame (one step),
 * equal to the sample mode's signal statistics. */
static void
test_household_consistent(void **state)
{
    (void)state;
    struct mtrd_synth_frames_spec sp = {.seed = 5, .frame_s = 1.0, .t0_us = T0_us};
    struct mtrd_synth_frames *g = open_ok(&sp);
    unsigned checked = 0;
    for (int j = 0; j < 86400; j++) {
        struct mtr_metro_frame fr;
        assert_int_equal(mtrd_synth_frames_next(g, &fr, NULL), MTR_OK);
        if (j % 97 != 0) { /* every 97th second: about 900 of the day */
            continue;
        }
        struct mtrd_synth_stats st[3];
        hh_step_stats(5, (double)j, st);
        for (int p = 0; p < 3; p++) {
            const struct mtr_metro_phase *ph = &fr.ph[p];
            struct dph d = to_d(ph);
            double pq = hypot(d.p, d.q1);
            double i2 = 0.0;
            for (int h = 0; h <= MTR_CFG_MAX_HARMONIC; h++) {
                i2 += (double)ph->i_h_A[h] * (double)ph->i_h_A[h];
            }
            if (d.s < pq * (1.0 - 1e-6) || fabs(d.pf - d.p / d.s) > 1e-6 ||
                fabs(d.s - d.u * d.i) > 1e-5 * d.s || rel_diff(i2, d.i * d.i) > 1e-5 ||
                rel_diff(d.u, st[p].u_rms_V) > 1e-6 || rel_diff(d.i, st[p].i_rms_A) > 1e-6 ||
                fabs(d.p - st[p].p_W) > 1e-6 * st[p].s_VA + 1e-4 ||
                fabs(d.q1 - st[p].q1_var) > 1e-6 * st[p].s_VA + 1e-4 ||
                fabs(d.qb - st[p].qb_var) > 1e-6 * st[p].s_VA + 1e-4 ||
                fabs(d.uthd - st[p].u_thd_pct) > 1e-4 || fabs(d.ithd - st[p].i_thd_pct) > 1e-3 ||
                fabs(d.phi - st[p].phi1_deg) > 1e-3 ||
                rel_diff(ph->e_p_Wh, st[p].p_W / WS_PER_WH) > 1e-9) {
                fail_msg("second %d L%d: frame U %.4f I %.4f P %.4f Q1 %.4f QB %.4f S %.4f "
                         "THDi %.3f phi %.3f; model U %.4f I %.4f P %.4f Q1 %.4f QB %.4f S %.4f "
                         "THDi %.3f phi %.3f",
                         j, p + 1, d.u, d.i, d.p, d.q1, d.qb, d.s, d.ithd, d.phi, st[p].u_rms_V,
                         st[p].i_rms_A, st[p].p_W, st[p].q1_var, st[p].qb_var, st[p].s_VA,
                         st[p].i_thd_pct, st[p].phi1_deg);
            }
            checked++;
        }
        assert_true(fr.f_Hz > 49.949f && fr.f_Hz < 50.051f);
        assert_true(fr.u_ll_V[0] > 380.0f && fr.u_ll_V[0] < 420.0f);
    }
    assert_true(checked > 2000);
    mtrd_synth_frames_close(g);
}

/* A load switching inside a 10-s frame: the frame's mean P is E / T, between the steps' P. */
static void
test_mid_frame_switch(void **state)
{
    (void)state;
    struct mtrd_synth_frames_spec sp1 = {.seed = 9, .frame_s = 1.0, .t0_us = T0_us};
    struct mtrd_synth_frames_spec sp10 = {.seed = 9, .frame_s = 10.0, .t0_us = T0_us};
    struct mtrd_synth_frames *g1 = open_ok(&sp1);
    struct mtrd_synth_frames *g10 = open_ok(&sp10);
    unsigned switched = 0;
    for (int j = 0; j < 8640; j++) {
        struct mtr_metro_frame f10;
        assert_int_equal(mtrd_synth_frames_next(g10, &f10, NULL), MTR_OK);
        double e1 = 0.0;
        double pmin = (double)INFINITY;
        double pmax = -(double)INFINITY;
        for (int k = 0; k < 10; k++) {
            struct mtr_metro_frame f1;
            assert_int_equal(mtrd_synth_frames_next(g1, &f1, NULL), MTR_OK);
            e1 += f1.total.e_p_Wh;
            pmin = fmin(pmin, (double)f1.total.p_W);
            pmax = fmax(pmax, (double)f1.total.p_W);
        }
        if (fabs(e1 - f10.total.e_p_Wh) > 1e-9 ||
            fabs((double)f10.total.p_W - f10.total.e_p_Wh * WS_PER_WH / 10.0) >
                1e-6 * fabs(pmax) + 1e-2 ||
            (double)f10.total.p_W < pmin - 1e-6 * fabs(pmin) - 1e-3 ||
            (double)f10.total.p_W > pmax + 1e-6 * fabs(pmax) + 1e-3) {
            fail_msg("10-s frame %d: E %.9f Wh vs 1-s sum %.9f Wh; P %.3f W not in %.3f..%.3f", j,
                     f10.total.e_p_Wh, e1, (double)f10.total.p_W, pmin, pmax);
        }
        if (pmax - pmin > 500.0) {
            switched++;
        }
    }
    assert_true(switched > 10); /* kettle, oven thermostat, heat pump, EV... */
    mtrd_synth_frames_close(g1);
    mtrd_synth_frames_close(g10);
}

/* ---- determinism ---- */

static void
test_determinism(void **state)
{
    (void)state;
    struct mtrd_synth_frames_spec sp = {.seed = 42, .frame_s = 10.0, .t0_us = T0_us};
    struct mtrd_synth_frames *a = open_ok(&sp);
    struct mtrd_synth_frames *b = open_ok(&sp);
    sp.seed = 43;
    struct mtrd_synth_frames *c = open_ok(&sp);
    unsigned differ = 0;
    for (int j = 0; j < 8640; j++) {
        static struct mtr_metro_frame fa;
        static struct mtr_metro_frame fb;
        static struct mtr_metro_frame fc;
        assert_int_equal(mtrd_synth_frames_next(a, &fa, NULL), MTR_OK);
        assert_int_equal(mtrd_synth_frames_next(b, &fb, NULL), MTR_OK);
        assert_int_equal(mtrd_synth_frames_next(c, &fc, NULL), MTR_OK);
        if (memcmp(&fa, &fb, sizeof(fa)) != 0) {
            fail_msg("seed 42 twice: frame %d differs", j);
        }
        if (fabsf(fa.total.p_W - fc.total.p_W) > 100.0f) {
            differ++;
        }
    }
    /* another seed moves the kettle, oven, EV, heat-pump phase and clouds */
    printf("# seeds 42 and 43: %u of 8640 10-s frames differ by more than 100 W\n", differ);
    assert_true(differ > 100);
    mtrd_synth_frames_close(a);
    mtrd_synth_frames_close(b);
    mtrd_synth_frames_close(c);
}

/* ---- speed ---- */

static void
test_speed_month(void **state)
{
    (void)state;
    struct mtrd_synth_frames_spec sp = {.seed = 1, .frame_s = 1.0, .t0_us = T0_us};
    struct mtrd_synth_frames *g = open_ok(&sp);
    struct timespec t0;
    struct timespec t1;
    double e_Wh = 0.0;
    struct mtr_metro_frame fr;
    const int n = 30 * 86400;
    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
    for (int j = 0; j < n; j++) {
        if (mtrd_synth_frames_next(g, &fr, NULL) != MTR_OK) {
            fail_msg("frame %d", j);
        }
        e_Wh += fr.total.e_p_Wh;
    }
    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("# 30 days of 1-s frames (%d frames): %.3f s, %.0f ns/frame, %.0fx real time; "
           "net %.1f kWh\n",
           n, dt, dt / n * 1e9, (double)n / dt, e_Wh / 1e3);
    mtrd_synth_frames_close(g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_errors),      cmocka_unit_test(test_day_sum),
        cmocka_unit_test(test_partial_span),     cmocka_unit_test(test_pv_daylight),
        cmocka_unit_test(test_sine_frames),      cmocka_unit_test(test_household_consistent),
        cmocka_unit_test(test_mid_frame_switch), cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_speed_month),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
