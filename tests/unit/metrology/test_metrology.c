/*
 * Functional tests of the metrology engine on signals with closed-form truth:
 * pure and harmonic sines per phase, each network type, 50 and 60 Hz frames,
 * frequencies across 45-65 Hz, phase sequence, missing phase, DC offsets, gaps
 * and flush. Expected values are the analytic RMS, power and THD of the signal
 * (METROLOGY-TESTS.md 3.1), never the engine's own output.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterd/metrology.h"
#include "meterd/reg.h"

#define PI 3.14159265358979323846

/* One phase of the test signal: fundamental plus one harmonic on U and I, RMS values. */
struct sig_phase {
    double u1_V, i1_A, phi_deg; /* current lags voltage by phi */
    unsigned h;                 /* harmonic order, 0 = none */
    double uh_V, ih_A, phih_deg;
    double u_dc_V, i_dc_A;
    double angle_deg; /* phase position of this phase: 0, -120, +120 */
};

struct sig {
    double f_Hz, fs_Hz, dur_s;
    unsigned phases;
    struct sig_phase ph[3];
};

static struct mtr_metro g_m; /* 220 KiB: not on the stack */

static float *
gen(const struct sig *s, size_t *count)
{
    size_t n = (size_t)(s->dur_s * s->fs_Hz);
    unsigned c = 2 * s->phases;
    float *x = malloc(n * c * sizeof(float));
    assert_non_null(x);
    for (size_t k = 0; k < n; k++) {
        double w = 2 * PI * s->f_Hz * (double)k / s->fs_Hz;
        for (unsigned p = 0; p < s->phases; p++) {
            const struct sig_phase *g = &s->ph[p];
            double a = g->angle_deg * PI / 180;
            double u = g->u_dc_V + sqrt(2) * g->u1_V * cos(w + a);
            double i = g->i_dc_A + sqrt(2) * g->i1_A * cos(w + a - g->phi_deg * PI / 180);
            if (g->h != 0) {
                u += sqrt(2) * g->uh_V * cos(g->h * (w + a));
                i += sqrt(2) * g->ih_A * cos(g->h * (w + a) - g->phih_deg * PI / 180);
            }
            x[k * c + p] = (float)u;
            x[k * c + s->phases + p] = (float)i;
        }
    }
    *count = n;
    return x;
}

/* Feed everything; keep the last complete (non-partial) frame; flush; registers. */
static unsigned
run(const struct mtr_metro_config *cfg,
    const float *x,
    size_t n,
    struct mtr_metro_frame *last,
    struct mtr_reg_set *reg)
{
    assert_int_equal(mtr_metro_init(&g_m, cfg), MTR_OK);
    mtr_reg_init(reg);
    unsigned c = 2 * mtr_metro_net_phases(cfg->net);
    size_t off = 0;
    unsigned frames = 0;
    struct mtr_metro_frame fr;
    while (off < n) {
        size_t used = 0;
        enum mtr_err e = mtr_metro_feed(&g_m, x + off * c, n - off, &used, &fr);
        off += used;
        if (e == MTR_OK) {
            frames++;
            *last = fr;
            assert_int_equal(mtr_reg_apply_frame(reg, &fr), MTR_OK);
        } else {
            assert_int_equal(e, MTR_EAGAIN);
        }
    }
    if (mtr_metro_flush(&g_m, &fr) == MTR_OK) {
        assert_true(fr.flags & MTR_METRO_FLAG_PARTIAL);
        assert_int_equal(mtr_reg_apply_frame(reg, &fr), MTR_OK);
    }
    return frames;
}

static void
expect_rel(const char *row, const char *what, double got, double want, double tol_pct)
{
    double err = want != 0 ? (got - want) / fabs(want) * 100 : got;
    if (fabs(err) > tol_pct) {
        fail_msg("%s: %s got %.6f, want %.6f (%.4f %%, limit %.4f %%)", row, what, got, want, err,
                 tol_pct);
    }
}

static void
expect_abs(const char *row, const char *what, double got, double want, double tol)
{
    if (fabs(got - want) > tol) {
        fail_msg("%s: %s got %.6f, want %.6f (limit +-%g)", row, what, got, want, tol);
    }
}

/* the measured values are float: promote them explicitly (-Wdouble-promotion) */
#define EXPECT_REL(row, what, got, want, tol) expect_rel(row, what, (double)(got), want, tol)
#define EXPECT_ABS(row, what, got, want, tol) expect_abs(row, what, (double)(got), want, tol)

/* Exact energy of one phase over [0, T) for the fundamental (and a harmonic of the same
 * order on U and I); cross terms of different orders integrate to the oscillating parts. */
static double
energy_Wh(const struct sig_phase *g, double f, double T)
{
    double w = 2 * PI * f;
    double a = g->angle_deg * PI / 180;
    double phi = g->phi_deg * PI / 180;
    /* 2 U I cos(wt+a) cos(wt+a-phi) = U I [cos phi + cos(2wt + 2a - phi)] */
    double e = g->u1_V * g->i1_A *
               (T * cos(phi) + (sin(2 * w * T + 2 * a - phi) - sin(2 * a - phi)) / (2 * w));
    if (g->h != 0) {
        double ph = g->phih_deg * PI / 180;
        double wh = g->h * w;
        double ah = g->h * a;
        e += g->uh_V * g->ih_A *
             (T * cos(ph) + (sin(2 * wh * T + 2 * ah - ph) - sin(2 * ah - ph)) / (2 * wh));
    }
    return e / 3600;
}

struct row {
    const char *name;
    enum mtr_metro_net net;
    uint16_t f_nom_Hz;
    struct sig s;
    double p_tol_pct; /* per-frame P tolerance */
    double e_tol_pct; /* energy tolerance */
};

#define PH(u, i, phi, ang)                                             \
    {                                                                  \
        .u1_V = (u), .i1_A = (i), .phi_deg = (phi), .angle_deg = (ang) \
    }

static const struct row g_rows[] = {
    {"1P2W 50 Hz PF1",            MTR_METRO_NET_1P2W, 50, {50, 8000, 2.0, 1, {PH(230, 5, 0, 0)}},   0.01, 0.001},
    {"1P2W 50 Hz 60 deg lag",
     MTR_METRO_NET_1P2W,                              50,
     {50, 8000, 2.0, 1, {PH(230, 5, 60, 0)}},
     0.05,                                                                                                0.001},
    {"1P2W 60 Hz 36.87 deg lead",
     MTR_METRO_NET_1P2W,                              60,
     {60, 7680, 2.0, 1, {PH(120, 20, -36.87, 0)}},
     0.05,                                                                                                0.001},
 /* the sampled sum differs from the continuous integral by the end samples'
  * oscillating power, (p(0) - p(T)) dt / 2: up to 60 ppm here, so 100 ppm */
    {"1P2W non-integer fs/f",
     MTR_METRO_NET_1P2W,                              50,
     {49.73, 7999.3, 2.0, 1, {PH(230, 5, 30, 0)}},
     0.1,                                                                                                 0.01 },
    {"1P2W export",               MTR_METRO_NET_1P2W, 50, {50, 8000, 2.0, 1, {PH(230, 5, 180, 0)}}, 0.01, 0.001},
    {"3P4W 123",
     MTR_METRO_NET_3P4W,                              50,
     {50, 8000, 2.0, 3, {PH(230, 5, 10, 0), PH(231, 6, 20, -120), PH(229, 7, -30, 120)}},
     0.05,                                                                                                0.001},
    {"3P4W 132",
     MTR_METRO_NET_3P4W,                              50,
     {50, 8000, 2.0, 3, {PH(230, 5, 0, 0), PH(230, 5, 0, 120), PH(230, 5, 0, -120)}},
     0.01,                                                                                                0.001},
    {"SPLIT 120/240",
     MTR_METRO_NET_SPLIT,                             60,
     {60, 8000, 2.0, 2, {PH(120, 10, 0, 0), PH(120, 4, 0, 180)}},
     0.01,                                                                                                0.001},
};

static void
test_rows(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof(g_rows) / sizeof(g_rows[0]); r++) {
        const struct row *row = &g_rows[r];
        struct mtr_metro_config cfg;
        mtr_metro_config_default(&cfg);
        cfg.fs_Hz = row->s.fs_Hz;
        cfg.f_nom_Hz = row->f_nom_Hz;
        cfg.net = row->net;
        cfg.u_nom_V = (float)row->s.ph[0].u1_V;
        size_t n = 0;
        float *x = gen(&row->s, &n);
        struct mtr_metro_frame fr;
        struct mtr_reg_set reg;
        unsigned frames = run(&cfg, x, n, &fr, &reg);
        unsigned cyc = row->f_nom_Hz == 50 ? 10 : 12;
        unsigned want_frames = (unsigned)floor(row->s.dur_s * row->s.f_Hz / cyc);
        if (frames + 1 < want_frames || frames > want_frames + 1) {
            fail_msg("%s: %u frames, want %u", row->name, frames, want_frames);
        }
        double e_true = 0;
        for (unsigned p = 0; p < row->s.phases; p++) {
            const struct sig_phase *g = &row->s.ph[p];
            const struct mtr_metro_phase *ph = &fr.ph[p];
            double phi = g->phi_deg * PI / 180;
            EXPECT_REL(row->name, "Urms", ph->u_rms_V, g->u1_V, 0.01);
            EXPECT_REL(row->name, "Irms", ph->i_rms_A, g->i1_A, 0.01);
            EXPECT_REL(row->name, "P", ph->p_W, g->u1_V * g->i1_A * cos(phi),
                       row->p_tol_pct + 0.01 * fabs(tan(phi)));
            EXPECT_ABS(row->name, "Q1", ph->q1_var, g->u1_V * g->i1_A * sin(phi),
                       1e-3 * g->u1_V * g->i1_A);
            /* angles compare modulo 360 degrees: -179.9999 is 180 */
            double dphi = fmod((double)ph->phi_deg - g->phi_deg + 540.0, 360.0) - 180.0;
            EXPECT_ABS(row->name, "phi - truth (mod 360)", dphi, 0.0, 0.02);
            EXPECT_ABS(row->name, "PF", ph->pf_ratio, cos(phi), 1e-3);
            e_true += energy_Wh(g, row->s.f_Hz, (double)n / row->s.fs_Hz);
        }
        EXPECT_ABS(row->name, "f", fr.f_Hz, row->s.f_Hz, 0.002);
        double e_meas = (double)mtr_reg_net_uWh(&reg, MTR_REG_TOTAL) / 1e6;
        EXPECT_REL(row->name, "net energy", e_meas, e_true, row->e_tol_pct);
        if (row->net == MTR_METRO_NET_3P4W) {
            enum mtr_metro_seq want =
                row->s.ph[1].angle_deg < 0 ? MTR_METRO_SEQ_123 : MTR_METRO_SEQ_132;
            if (fr.seq_order != want) {
                fail_msg("%s: phase sequence %d, want %d", row->name, fr.seq_order, want);
            }
            /* U12 of two phases 120 degrees apart: |U1 - U2| by the law of cosines */
            double u1 = row->s.ph[0].u1_V;
            double u2 = row->s.ph[1].u1_V;
            EXPECT_REL(row->name, "U12", fr.u_ll_V[0], sqrt(u1 * u1 + u2 * u2 + u1 * u2), 0.01);
        }
        if (row->s.phases == 1) {
            /* a single phase's neutral carries the phase current */
            EXPECT_REL(row->name, "In", fr.i_n_A, row->s.ph[0].i1_A, 0.01);
        }
        if (row->net == MTR_METRO_NET_SPLIT) {
            EXPECT_REL(row->name, "U12", fr.u_ll_V[0], 240, 0.01);
            EXPECT_REL(row->name, "In", fr.i_n_A, 6, 0.02); /* 10 A and -4 A in phase */
        }
        free(x);
    }
}

/* Frequency across the 45-65 Hz range (METROLOGY-TESTS.md F2): per-frame reading within
 * +-10 mHz, energy exact. */
static void
test_frequency_range(void **state)
{
    (void)state;
    static const double fs[] = {45, 47.5, 49, 50, 51, 52.5, 55, 57.5, 60, 62.5, 65};
    for (size_t r = 0; r < sizeof(fs) / sizeof(fs[0]); r++) {
        struct sig s = {fs[r], 8000, 3.0, 1, {PH(230, 5, 60, 0)}};
        struct mtr_metro_config cfg;
        mtr_metro_config_default(&cfg);
        cfg.net = MTR_METRO_NET_1P2W;
        cfg.f_nom_Hz = fs[r] < 55 ? 50 : 60;
        size_t n = 0;
        float *x = gen(&s, &n);
        struct mtr_metro_frame fr;
        struct mtr_reg_set reg;
        (void)run(&cfg, x, n, &fr, &reg);
        char name[32];
        snprintf(name, sizeof(name), "%.1f Hz", fs[r]);
        EXPECT_ABS(name, "f", fr.f_Hz, fs[r], 0.010);
        EXPECT_ABS(name, "Q1", fr.ph[0].q1_var, 230 * 5 * sin(PI / 3), 0.002 * 1150);
        EXPECT_REL(name, "energy", (double)reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] / 1e6,
                   energy_Wh(&s.ph[0], fs[r], (double)n / 8000), 0.002);
        free(x);
    }
}

/* THD and harmonic groups: U with 5 % 5th, I with 40 % 3rd (closed-form THD). */
static void
test_harmonics(void **state)
{
    (void)state;
    struct sig s = {
        50,
        8000,
        1.0,
        1,
        {{.u1_V = 230, .i1_A = 10, .phi_deg = 0, .h = 5, .uh_V = 11.5, .ih_A = 4, .phih_deg = 90}}};
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    cfg.net = MTR_METRO_NET_1P2W;
    size_t n = 0;
    float *x = gen(&s, &n);
    struct mtr_metro_frame fr;
    struct mtr_reg_set reg;
    (void)run(&cfg, x, n, &fr, &reg);
    const struct mtr_metro_phase *ph = &fr.ph[0];
    EXPECT_REL("H", "U5 group", ph->u_h_V[5], 11.5, 0.5);
    EXPECT_REL("H", "I5 group", ph->i_h_A[5], 4, 0.5);
    EXPECT_REL("H", "U1 group", ph->u_h_V[1], 230, 0.02);
    EXPECT_ABS("H", "THDu %", ph->u_thd_pct, 5.0, 0.02);
    EXPECT_ABS("H", "THDi %", ph->i_thd_pct, 40.0, 0.1);
    /* P = U1 I1 + U5 I5 cos 90 = 2300; Q1 = 0; Budeanu Q = U5 I5 sin 90 = 46 var */
    EXPECT_REL("H", "P", ph->p_W, 2300, 0.02);
    EXPECT_ABS("H", "Q1", ph->q1_var, 0, 0.5);
    EXPECT_ABS("H", "Q Budeanu", ph->qb_var, 46, 0.5);
    EXPECT_REL("H", "Urms", ph->u_rms_V, sqrt(230 * 230 + 11.5 * 11.5), 0.01);
    free(x);
}

/* DC offsets on U and I are removed; energy unaffected. */
static void
test_dc_offset(void **state)
{
    (void)state;
    struct sig s = {50, 8000, 2.0, 1, {{.u1_V = 230, .i1_A = 5, .u_dc_V = 3, .i_dc_A = 0.5}}};
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    cfg.net = MTR_METRO_NET_1P2W;
    size_t n = 0;
    float *x = gen(&s, &n);
    struct mtr_metro_frame fr;
    struct mtr_reg_set reg;
    (void)run(&cfg, x, n, &fr, &reg);
    EXPECT_REL("DC", "Urms", fr.ph[0].u_rms_V, 230, 0.01);
    EXPECT_REL("DC", "Irms", fr.ph[0].i_rms_A, 5, 0.01);
    EXPECT_REL("DC", "P", fr.ph[0].p_W, 1150, 0.01);
    EXPECT_REL("DC", "energy", (double)reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] / 1e6,
               energy_Wh(&s.ph[0], 50, 2.0), 0.01);
    free(x);
}

/* Missing phase L2 (< 10 % Udin) is flagged; a dead reference phase hands over to L2. */
static void
test_missing_phase(void **state)
{
    (void)state;
    struct sig s = {
        50, 8000, 2.0, 3, {PH(0, 0, 0, 0), PH(230, 5, 0, -120), PH(230, 5, 0, 120)}
    };
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    size_t n = 0;
    float *x = gen(&s, &n);
    struct mtr_metro_frame fr;
    struct mtr_reg_set reg;
    unsigned frames = run(&cfg, x, n, &fr, &reg);
    assert_int_equal(fr.missing_mask, 0x1);
    assert_int_equal(fr.seq_order, MTR_METRO_SEQ_UNKNOWN);
    assert_false(fr.flags & MTR_METRO_FLAG_F_INVALID);
    EXPECT_ABS("missing L1", "f", fr.f_Hz, 50, 0.002);
    assert_true(frames >= 8);
    free(x);
}

/* 3P3W (two-wattmeter, I2 unused) equals the 3P4W total for a three-wire load. */
static void
test_two_wattmeter(void **state)
{
    (void)state;
    struct sig s = {
        50, 8000, 1.0, 3, {PH(230, 10, 25, 0), PH(230, 10, 25, -120), PH(230, 10, 25, 120)}
    };
    size_t n = 0;
    float *x = gen(&s, &n);
    for (size_t k = 0; k < n; k++) {
        x[k * 6 + 4] = 12345.0f; /* I2 is not wired in 3P3W: its samples must be ignored */
    }
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    cfg.net = MTR_METRO_NET_3P3W;
    struct mtr_metro_frame fr;
    struct mtr_reg_set reg;
    (void)run(&cfg, x, n, &fr, &reg);
    EXPECT_REL("3P3W", "P total", fr.total.p_W, 3 * 2300 * cos(25 * PI / 180), 0.02);
    EXPECT_REL("3P3W", "energy", (double)reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] / 1e6,
               3 * energy_Wh(&s.ph[0], 50, 1.0), 0.01);
    /* 3BL (three wires, balanced, one CT on I1) and 4BL: the totals are three times phase 1,
     * whatever the unwired I2/I3 inputs carry */
    cfg.net = MTR_METRO_NET_3BL;
    for (size_t k = 0; k < n; k++) {
        x[k * 6 + 5] = 777.0f;
    }
    (void)run(&cfg, x, n, &fr, &reg);
    EXPECT_REL("3BL", "P total", fr.total.p_W, 3 * 2300 * cos(25 * PI / 180), 0.02);
    EXPECT_REL("3BL", "I2", fr.ph[1].i_rms_A, 10, 0.02);
    EXPECT_REL("3BL", "energy", (double)reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] / 1e6,
               3 * energy_Wh(&s.ph[0], 50, 1.0), 0.01);
    /* 4BL: one CT; the totals are three times phase 1 */
    cfg.net = MTR_METRO_NET_4BL;
    for (size_t k = 0; k < n; k++) {
        x[k * 6 + 4] = 0.0f;
        x[k * 6 + 5] = 0.0f;
    }
    (void)run(&cfg, x, n, &fr, &reg);
    EXPECT_REL("4BL", "P total", fr.total.p_W, 3 * 2300 * cos(25 * PI / 180), 0.02);
    EXPECT_REL("4BL", "I3", fr.ph[2].i_rms_A, 10, 0.02);
    free(x);
}

/* 2BL: two phases 180 degrees apart, one CT on I1; L2 takes L1's current quantities. */
static void
test_two_phase_balanced(void **state)
{
    (void)state;
    struct sig s = {
        50, 8000, 1.0, 2, {PH(230, 8, 30, 0), PH(230, 0, 0, 180)}
    };
    size_t n = 0;
    float *x = gen(&s, &n);
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    cfg.net = MTR_METRO_NET_2BL;
    struct mtr_metro_frame fr;
    struct mtr_reg_set reg;
    (void)run(&cfg, x, n, &fr, &reg);
    EXPECT_REL("2BL", "P total", fr.total.p_W, 2 * 230 * 8 * cos(30 * PI / 180), 0.02);
    EXPECT_REL("2BL", "I2", fr.ph[1].i_rms_A, 8, 0.02);
    EXPECT_REL("2BL", "U12", fr.u_ll_V[0], 460, 0.02);
    EXPECT_REL("2BL", "energy", (double)reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] / 1e6,
               2 * energy_Wh(&s.ph[0], 50, 1.0), 0.01);
    free(x);
}

/* Gap: the frame after a reported gap is flagged; nothing is counted twice. */
static void
test_gap_and_args(void **state)
{
    (void)state;
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    assert_int_equal(mtr_metro_init(NULL, &cfg), MTR_EINVAL);
    cfg.fs_Hz = 100;
    assert_int_equal(mtr_metro_init(&g_m, &cfg), MTR_EINVAL);
    mtr_metro_config_default(&cfg);
    cfg.f_nom_Hz = 55;
    assert_int_equal(mtr_metro_init(&g_m, &cfg), MTR_EINVAL);
    mtr_metro_config_default(&cfg);
    cfg.cal[0].i_phase_mdeg = 20001;
    assert_int_equal(mtr_metro_init(&g_m, &cfg), MTR_EINVAL);
    mtr_metro_config_default(&cfg);
    cfg.net = MTR_METRO_NET_1P2W;
    assert_int_equal(mtr_metro_init(&g_m, &cfg), MTR_OK);
    struct mtr_metro_frame fr;
    size_t used = 0;
    assert_int_equal(mtr_metro_feed(&g_m, NULL, 0, &used, &fr), MTR_EAGAIN);
    assert_int_equal(mtr_metro_flush(&g_m, &fr), MTR_EAGAIN);

    struct sig s = {50, 8000, 1.0, 1, {PH(230, 5, 0, 0)}};
    size_t n = 0;
    float *x = gen(&s, &n);
    size_t off = 0;
    unsigned gaps = 0;
    double e = 0;
    while (off < n) {
        if (off == 4000) {
            mtr_metro_mark_gap(&g_m);
            off += 160; /* 20 ms lost */
        }
        size_t lim = off < 4000 ? 4000 - off : n - off;
        enum mtr_err err = mtr_metro_feed(&g_m, x + off * 2, lim, &used, &fr);
        off += used;
        if (err == MTR_OK) {
            gaps += (fr.flags & MTR_METRO_FLAG_GAP) != 0;
            e += fr.total.e_p_Wh;
        }
    }
    if (mtr_metro_flush(&g_m, &fr) == MTR_OK) {
        e += fr.total.e_p_Wh;
    }
    assert_int_equal(gaps, 1);
    /* energy of the samples fed: 1 s less 20 ms at 1150 W */
    EXPECT_REL("gap", "energy", e, 1150 * 0.98 / 3600, 0.05);
    free(x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_frequency_range),
        cmocka_unit_test(test_harmonics),
        cmocka_unit_test(test_dc_offset),
        cmocka_unit_test(test_missing_phase),
        cmocka_unit_test(test_two_wattmeter),
        cmocka_unit_test(test_two_phase_balanced),
        cmocka_unit_test(test_gap_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
