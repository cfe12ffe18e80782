/*
 * Unit tests of the meter application (include/meterd/app.h).
 *
 * Truth is closed form: a household whose power is constant within fixed hours of
 * the local day (night 500 W, day 2000 W, midday export 1500 W, Q = 0.3 P), so the
 * energy over any span is a sum of segment lengths times powers, computed here
 * independently of the meter. Frames are 10 s long and aligned to the hour, so every
 * frame lies inside one segment and its energy is exact; a separate test uses 7-s
 * frames that straddle every boundary at constant power to check the cutting.
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

#include "meterd/app.h"

#define H_s                       3600LL
#define US                        1000000LL
/* 2026-01-01T00:00:00 CET = 2025-12-31T23:00:00Z: days_from_civil(2026,1,1) = 20454. */
#define JAN1_LOCAL_MIDNIGHT_UTC_s (20454LL * 86400LL - 3600LL)

/* ---- the household model ---------------------------------------------------------- */

struct seg {
    int64_t from_s, to_s; /* seconds of the local day */
    double p_W;
    unsigned tariff; /* of the test calendar: T1 06:00-22:00, T2 otherwise */
};

static const struct seg k_day[] = {
    {0,        6 * H_s,  500.0,   2},
    {6 * H_s,  11 * H_s, 2000.0,  1},
    {11 * H_s, 14 * H_s, -1500.0, 1},
    {14 * H_s, 22 * H_s, 2000.0,  1},
    {22 * H_s, 24 * H_s, 500.0,   2},
};

static const int64_t k_tz_s = 3600; /* CET, no DST in the month test */

static double
power_at(int64_t utc_s)
{
    int64_t sod = ((utc_s + k_tz_s) % 86400 + 86400) % 86400;
    for (size_t i = 0; i < sizeof(k_day) / sizeof(k_day[0]); i++) {
        if (sod >= k_day[i].from_s && sod < k_day[i].to_s) {
            return k_day[i].p_W;
        }
    }
    return 0.0;
}

/* Import and export Wh over [a, b) (whole seconds), and import per tariff. */
struct truth {
    double imp_Wh, exp_Wh, imp_t_Wh[5], exp_t_Wh[5];
};

static void
truth(int64_t a_s, int64_t b_s, struct truth *t)
{
    memset(t, 0, sizeof(*t));
    int64_t day0 = (a_s + k_tz_s) / 86400 - 1;
    for (int64_t d = day0; (d * 86400 - k_tz_s) < b_s; d++) {
        for (size_t i = 0; i < sizeof(k_day) / sizeof(k_day[0]); i++) {
            int64_t lo = d * 86400 - k_tz_s + k_day[i].from_s;
            int64_t hi = d * 86400 - k_tz_s + k_day[i].to_s;
            lo = lo > a_s ? lo : a_s;
            hi = hi < b_s ? hi : b_s;
            if (hi <= lo) {
                continue;
            }
            double e = k_day[i].p_W * (double)(hi - lo) / 3600.0;
            if (e >= 0) {
                t->imp_Wh += e;
                t->imp_t_Wh[k_day[i].tariff] += e;
            } else {
                t->exp_Wh -= e;
                t->exp_t_Wh[k_day[i].tariff] -= e;
            }
        }
    }
}

/* A 3-phase frame of dur_s at total power p_W (balanced), Q = 0.3 P, 230 V. */
static void
make_frame(struct mtr_metro_frame *fr, double p_W, double dur_s, uint64_t seq)
{
    memset(fr, 0, sizeof(*fr));
    fr->seq = seq;
    fr->duration_s = dur_s;
    fr->sample_count = (uint32_t)(dur_s * 8000.0);
    fr->phase_count = 3;
    fr->f_Hz = 50.0f;
    double q = 0.3 * p_W;
    double s = sqrt(p_W * p_W + q * q);
    for (unsigned p = 0; p < 3; p++) {
        struct mtr_metro_phase *ph = &fr->ph[p];
        ph->u_rms_V = 230.0f;
        ph->i_rms_A = (float)(s / 3.0 / 230.0);
        ph->p_W = (float)(p_W / 3.0);
        ph->q1_var = (float)(q / 3.0);
        ph->s_VA = (float)(s / 3.0);
        ph->pf_ratio = s > 0 ? (float)(p_W / s) : 0.0f;
        ph->e_p_Wh = p_W / 3.0 * dur_s / 3600.0;
        ph->e_q_varh = q / 3.0 * dur_s / 3600.0;
        ph->e_s_VAh = s / 3.0 * dur_s / 3600.0;
        ph->is_present = true;
    }
    fr->total.p_W = (float)p_W;
    fr->total.q1_var = (float)q;
    fr->total.s_VA = (float)s;
    fr->total.pf_ratio = s > 0 ? (float)(p_W / s) : 0.0f;
    fr->total.e_p_Wh = p_W * dur_s / 3600.0;
    fr->total.e_q_varh = q * dur_s / 3600.0;
    fr->total.e_s_VAh = s * dur_s / 3600.0;
}

/* ---- collected entries --------------------------------------------------------------- */

#define MAX_ENTRIES 8000u

struct collected {
    struct mtr_hist_entry *e[MTR_HIST_LOG_COUNT];
    size_t n[MTR_HIST_LOG_COUNT];
};

static struct collected g_col;

static void
collect_reset(void)
{
    for (unsigned l = 0; l < MTR_HIST_LOG_COUNT; l++) {
        if (g_col.e[l] == NULL) {
            g_col.e[l] = calloc(MAX_ENTRIES, sizeof(struct mtr_hist_entry));
            assert_non_null(g_col.e[l]);
        }
        g_col.n[l] = 0;
    }
}

static void
drain(struct mtr_app *app)
{
    size_t n = 0;
    const struct mtr_hist_entry *e = mtr_app_entries(app, &n);
    for (size_t i = 0; i < n; i++) {
        unsigned l = e[i].log;
        assert_true(l < MTR_HIST_LOG_COUNT);
        assert_true(g_col.n[l] < MAX_ENTRIES);
        /* numbering: from 1, no gaps */
        assert_int_equal(e[i].seq, g_col.n[l] + 1u);
        g_col.e[l][g_col.n[l]++] = e[i];
    }
    mtr_app_entries_done(app);
    assert_int_equal(app->lost, 0);
}

/* The test calendar: T1 06:00-22:00, T2 otherwise, every day. */
static void
test_calendar(struct mtr_cal *cal)
{
    size_t col = 0;
    const char *msg = NULL;
    memset(cal, 0, sizeof(*cal));
    assert_int_equal(mtr_cal_parse_day("1: 00:00 T2, 06:00 T1, 22:00 T2", &cal->day[0], &col, &msg),
                     MTR_OK);
    assert_int_equal(mtr_cal_parse_week("wk: 1 1 1 1 1 1 1", &cal->week[0], &col, &msg), MTR_OK);
    assert_int_equal(mtr_cal_parse_season("all: 01-01 00:00 wk", &cal->season[0], &col, &msg),
                     MTR_OK);
    cal->n_days = 1;
    cal->n_weeks = 1;
    cal->n_seasons = 1;
    snprintf(cal->name, sizeof(cal->name), "test");
    struct mtr_cal_error where;
    assert_int_equal(mtr_cal_check(cal, &where), MTR_OK);
}

static struct mtr_app g_app;

static void
start_app(struct mtr_app *app, int64_t start_s, int16_t tz_min)
{
    struct mtr_app_config cfg;
    struct mtr_cal cal;
    mtr_app_config_default(&cfg);
    cfg.clock.tz_min = tz_min;
    test_calendar(&cal);
    assert_int_equal(mtr_app_init(app, &cfg, &cal), MTR_OK);
    assert_int_equal(mtr_app_start(app, start_s * US, false), MTR_OK);
    drain(app);
}

/* Feed model frames of dur_s from the app's clock until end_s. */
static void
run_model(struct mtr_app *app, int64_t end_s, int64_t dur_s)
{
    struct mtr_metro_frame fr;
    uint64_t seq = 0;
    while (app->st.t_us < end_s * US) {
        int64_t t0 = app->st.t_us / US;
        make_frame(&fr, power_at(t0), (double)dur_s, seq++);
        assert_int_equal(mtr_app_frame(app, &fr, app->st.t_us + dur_s * US), MTR_OK);
        drain(app);
    }
}

/* |a - b| <= 1 uWh-ish: the meter's integers against the closed-form energy. */
#define ASSERT_UWH(got_u, want_Wh)                                    \
    do {                                                              \
        double w_ = (want_Wh)*1e6;                                    \
        double g_ = (double)(got_u);                                  \
        if (g_ < w_ - 2.0 || g_ > w_ + 2.0) {                         \
            fail_msg("%s = %.0f uWh, want %.1f uWh", #got_u, g_, w_); \
        }                                                             \
    } while (0)

/* A synthetic month (January 2026, CET): billing, tariffs, demand, profiles. */
static void
test_month(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    const int64_t t0 = JAN1_LOCAL_MIDNIGHT_UTC_s;
    const int64_t t1 = t0 + 31 * 86400;
    start_app(app, t0, 60);
    run_model(app, t1, 10);

    struct truth tr;
    truth(t0, t1, &tr);
    /* closed form: 30 kWh import and 4.5 kWh export a day; T1 26 kWh, T2 4 kWh */
    assert_true(tr.imp_Wh == 31 * 30000.0 && tr.exp_Wh == 31 * 4500.0);
    const struct mtr_app_state *st = &app->st;
    ASSERT_UWH(st->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP], tr.imp_Wh);
    ASSERT_UWH(st->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_EXP], tr.exp_Wh);
    ASSERT_UWH(st->tar_u[0][MTR_REG_A_IMP], tr.imp_t_Wh[1]);
    ASSERT_UWH(st->tar_u[1][MTR_REG_A_IMP], tr.imp_t_Wh[2]);
    /* the tariff registers sum to the total exactly, for every kind */
    for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
        int64_t sum = 0;
        for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
            sum += st->tar_u[t][k];
        }
        assert_int_equal(sum, st->reg.e_u[MTR_REG_TOTAL][k]);
    }

    /* load profile 1: 31 x 96 entries at every quarter hour, deltas = closed form */
    assert_int_equal(g_col.n[MTR_HIST_PROFILE_1], 31u * 96u);
    for (size_t i = 0; i < g_col.n[MTR_HIST_PROFILE_1]; i++) {
        const struct mtr_hist_entry *e = &g_col.e[MTR_HIST_PROFILE_1][i];
        int64_t t = t0 + (int64_t)(i + 1u) * 900;
        assert_int_equal(e->t_us, t * US);
        struct truth d;
        truth(t - 900, t, &d);
        ASSERT_UWH(e->v[4], d.imp_Wh);
        ASSERT_UWH(e->v[5], d.exp_Wh);
        struct truth c;
        truth(t0, t, &c);
        ASSERT_UWH(e->v[0], c.imp_Wh);
        /* mean power of the interval, mW */
        int64_t p_mW = (int64_t)(power_at(t - 900) * 1000.0);
        assert_int_equal(e->v[8] - e->v[9], p_mW);
        assert_int_equal(e->status & ~(uint32_t)MTR_HIST_ST_INVALID, 0u);
        assert_int_equal(e->status, 0u);
    }

    /* daily billing: 31 entries at local midnight; registers at the boundary */
    assert_int_equal(g_col.n[MTR_HIST_BILLING_DAILY], 31u);
    for (size_t i = 0; i < 31u; i++) {
        const struct mtr_hist_entry *e = &g_col.e[MTR_HIST_BILLING_DAILY][i];
        int64_t t = t0 + (int64_t)(i + 1u) * 86400;
        assert_int_equal(e->t_us, t * US);
        struct truth c;
        truth(t0, t, &c);
        ASSERT_UWH(e->v[0], c.imp_Wh);      /* +A total */
        ASSERT_UWH(e->v[1], c.imp_t_Wh[1]); /* +A T1 */
        ASSERT_UWH(e->v[2], c.imp_t_Wh[2]); /* +A T2 */
        ASSERT_UWH(e->v[5], c.exp_Wh);      /* -A total */
        assert_int_equal(e->v[0], e->v[1] + e->v[2] + e->v[3] + e->v[4]);
        ASSERT_UWH(e->v[20], 30000.0); /* energy of the day */
        ASSERT_UWH(e->v[21], 4500.0);
    }

    /* monthly billing at 2026-02-01 00:00 CET: registers, period, maximum demand */
    assert_int_equal(g_col.n[MTR_HIST_BILLING_MONTHLY], 1u);
    const struct mtr_hist_entry *b = &g_col.e[MTR_HIST_BILLING_MONTHLY][0];
    assert_int_equal(b->t_us, t1 * US);
    ASSERT_UWH(b->v[0], tr.imp_Wh);
    ASSERT_UWH(b->v[20], tr.imp_Wh);
    ASSERT_UWH(b->v[21], tr.exp_Wh);
    /* +P maximum demand: 2000 W, first reached by the window ending 06:15 CET on Jan 1 */
    assert_int_equal(b->v[24], 2000000);
    assert_int_equal(b->v[25], t0 + 6 * H_s + 900);
    /* -P maximum demand: 1500 W, first at 11:15 CET */
    assert_int_equal(b->v[26], 1500000);
    assert_int_equal(b->v[27], t0 + 11 * H_s + 900);
    assert_int_equal(b->v[28], 2000000); /* T1 */
    /* T2: windows ending in T2; the sliding window ending 22:05 still holds 10 min of
     * the day's 2000 W: (10 x 2000 + 5 x 500) / 15 = 1500 W */
    assert_int_equal(b->v[29], 1500000);
    /* billing reset the maximum demand into the cumulative one */
    assert_int_equal(st->dem.max_mW[0][MTR_DEM_P_IMP], 0);
    assert_int_equal(st->dem.cum_mW[MTR_DEM_P_IMP], 2000000);
    assert_int_equal(st->bill_count, 1u);
    /* the last window before the end is night: 500 W */
    assert_int_equal(st->dem.last_mW[MTR_DEM_P_IMP], 500000);
}

/* 7-s frames straddle every capture and demand boundary: cut exactly at constant power. */
static void
test_frames_cut_at_boundaries(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    const int64_t t0 = JAN1_LOCAL_MIDNIGHT_UTC_s + 3; /* not on the grid */
    start_app(app, t0, 60);
    struct mtr_metro_frame fr;
    for (uint64_t i = 0; app->st.t_us < (t0 + 4 * H_s) * US; i++) {
        make_frame(&fr, 1234.0, 7.0, i);
        assert_int_equal(mtr_app_frame(app, &fr, app->st.t_us + 7 * US), MTR_OK);
        drain(app);
    }
    /* 16 captures; the first interval is short (started at +3 s) and flagged not valid */
    assert_int_equal(g_col.n[MTR_HIST_PROFILE_1], 16u);
    const struct mtr_hist_entry *e = g_col.e[MTR_HIST_PROFILE_1];
    assert_true((e[0].status & MTR_HIST_ST_INVALID) != 0u);
    ASSERT_UWH(e[0].v[4], 1234.0 * 897.0 / 3600.0);
    for (size_t i = 1; i < 16u; i++) {
        assert_int_equal(e[i].status, 0u);
        ASSERT_UWH(e[i].v[4], 1234.0 * 900.0 / 3600.0);
        assert_int_equal(e[i].v[8], 1234000);
    }
    /* block/sliding demand of a constant load is the load */
    assert_int_equal(app->st.dem.last_mW[MTR_DEM_P_IMP], 1234000);
    assert_int_equal(app->st.dem.last_mW[MTR_DEM_Q_IMP], 370200);
}

/* Tariff at every one of 16 switch times of a day profile, before and at the switch. */
static void
test_sixteen_switches(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app_config cfg;
    struct mtr_cal cal;
    size_t col = 0;
    const char *msg = NULL;
    mtr_app_config_default(&cfg);
    memset(&cal, 0, sizeof(cal));
    char day[256];
    size_t n = (size_t)snprintf(day, sizeof(day), "1:");
    for (unsigned k = 0; k < 16u; k++) {
        n += (size_t)snprintf(day + n, sizeof(day) - n, "%s %02u:%02u T%u", k ? "," : "", k + 2u,
                              7u * k % 60u, k % 4u + 1u);
    }
    assert_int_equal(mtr_cal_parse_day(day, &cal.day[0], &col, &msg), MTR_OK);
    assert_int_equal(cal.day[0].n_switches, 16);
    assert_int_equal(mtr_cal_parse_week("w: 1 1 1 1 1 1 1", &cal.week[0], &col, &msg), MTR_OK);
    assert_int_equal(mtr_cal_parse_season("s: 01-01 00:00 w", &cal.season[0], &col, &msg), MTR_OK);
    cal.n_days = cal.n_weeks = cal.n_seasons = 1;
    struct mtr_app *app = &g_app;
    assert_int_equal(mtr_app_init(app, &cfg, &cal), MTR_OK);
    int64_t t0 = 20454LL * 86400LL; /* 2026-01-01T00:00Z, UTC zone */
    assert_int_equal(mtr_app_start(app, t0 * US, false), MTR_OK);
    struct mtr_metro_frame fr;
    for (unsigned k = 0; k < 16u; k++) {
        int64_t sw = t0 + (int64_t)(k + 2u) * H_s + (int64_t)(7u * k % 60u) * 60;
        /* run to one second before the switch, then across it */
        while (app->st.t_us < (sw - 1) * US) {
            int64_t left = (sw - 1) - app->st.t_us / US;
            int64_t d = left > 60 ? 60 : left;
            make_frame(&fr, 100.0, (double)d, 0);
            assert_int_equal(mtr_app_frame(app, &fr, app->st.t_us + d * US), MTR_OK);
            drain(app);
        }
        unsigned before = k == 0 ? 4u : (k - 1u) % 4u + 1u; /* before the first: last of the day */
        assert_int_equal(app->st.tariff, before);
        make_frame(&fr, 100.0, 1.0, 0);
        assert_int_equal(mtr_app_frame(app, &fr, app->st.t_us + US), MTR_OK);
        drain(app);
        assert_int_equal(app->st.tariff, k % 4u + 1u);
    }
}

/* DST both ways (EU rules, CET): no missing or duplicated capture, DST flagged. */
static void
test_dst(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app_config cfg;
    struct mtr_cal cal;
    mtr_app_config_default(&cfg);
    cfg.clock.tz_min = 60;
    cfg.clock.dst_enabled = true;
    struct mtr_dst_rule b = MTR_CLOCK_DST_EU_BEGIN;
    struct mtr_dst_rule e = MTR_CLOCK_DST_EU_END;
    cfg.clock.dst_begin = b;
    cfg.clock.dst_end = e;
    cfg.clock.dst_deviation_min = 60;
    test_calendar(&cal);
    struct mtr_app *app = &g_app;
    assert_int_equal(mtr_app_init(app, &cfg, &cal), MTR_OK);
    /* 2026-03-28T00:00Z .. 2026-03-30T00:00Z: DST begins 2026-03-29T01:00Z */
    int64_t a = mtr_days_from_civil(2026, 3, 28) * 86400;
    assert_int_equal(mtr_app_start(app, a * US, false), MTR_OK);
    drain(app);
    run_model(app, a + 2 * 86400, 60);
    size_t n = g_col.n[MTR_HIST_PROFILE_1];
    assert_int_equal(n, 2u * 96u);
    int64_t dst_on = mtr_days_from_civil(2026, 3, 29) * 86400 + H_s;
    for (size_t i = 0; i < n; i++) {
        const struct mtr_hist_entry *en = &g_col.e[MTR_HIST_PROFILE_1][i];
        assert_int_equal(en->t_us, (a + (int64_t)(i + 1u) * 900) * US);
        bool dst = en->t_us >= dst_on * US;
        assert_int_equal((en->status & MTR_HIST_ST_DST) != 0u, dst);
    }
    /* daily billing at local midnight: 2026-03-29 00:00 CET = 03-28T23:00Z; 03-30 00:00 CEST =
     * 03-29T22:00Z (a 23-hour day) */
    assert_int_equal(g_col.n[MTR_HIST_BILLING_DAILY], 2u);
    assert_int_equal(g_col.e[MTR_HIST_BILLING_DAILY][0].t_us, (a + 23 * H_s) * US);
    assert_int_equal(g_col.e[MTR_HIST_BILLING_DAILY][1].t_us, (a + 23 * H_s + 23 * H_s) * US);

    /* autumn: 2026-10-25T01:00Z, a 25-hour local day */
    collect_reset();
    assert_int_equal(mtr_app_init(app, &cfg, &cal), MTR_OK);
    int64_t o = mtr_days_from_civil(2026, 10, 24) * 86400;
    assert_int_equal(mtr_app_start(app, o * US, false), MTR_OK);
    drain(app);
    run_model(app, o + 2 * 86400, 60);
    assert_int_equal(g_col.n[MTR_HIST_PROFILE_1], 2u * 96u);
    for (size_t i = 0; i < g_col.n[MTR_HIST_PROFILE_1]; i++) {
        assert_int_equal(g_col.e[MTR_HIST_PROFILE_1][i].t_us, (o + (int64_t)(i + 1u) * 900) * US);
    }
    /* 10-25 00:00 CEST = 10-24T22:00Z, 10-26 00:00 CET = 10-25T23:00Z */
    assert_int_equal(g_col.n[MTR_HIST_BILLING_DAILY], 2u);
    assert_int_equal(g_col.e[MTR_HIST_BILLING_DAILY][0].t_us, (o + 22 * H_s) * US);
    assert_int_equal(g_col.e[MTR_HIST_BILLING_DAILY][1].t_us, (o + 22 * H_s + 25 * H_s) * US);
}

/* Clock set backwards and forwards: events with old/new time, flag, no repeated capture. */
static void
test_clock_set(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    const int64_t t0 = JAN1_LOCAL_MIDNIGHT_UTC_s;
    start_app(app, t0, 60);
    run_model(app, t0 + 3 * H_s + 120, 10); /* 03:02 local */
    size_t before = g_col.n[MTR_HIST_PROFILE_1];
    assert_int_equal(before, 12u);
    /* back by 50 minutes to 02:12 */
    int64_t back = (t0 + 3 * H_s + 120 - 3000) * US;
    assert_int_equal(mtr_app_set_time(app, back, MTR_WHO_CLI), MTR_OK);
    drain(app);
    size_t ne = g_col.n[MTR_HIST_EVENT_STD];
    assert_true(ne >= 3u);
    const struct mtr_hist_entry *ev = &g_col.e[MTR_HIST_EVENT_STD][ne - 2u];
    assert_int_equal(ev[0].code, MTR_EV_CLOCK_OLD);
    assert_int_equal(ev[0].v[0], (t0 + 3 * H_s + 120) * US);
    assert_int_equal(ev[0].v[1], back);
    assert_int_equal(ev[1].code, MTR_EV_CLOCK_NEW);
    run_model(app, t0 + 5 * H_s, 10);
    /* forward by 2 hours */
    int64_t fwd = (t0 + 7 * H_s + 30) * US;
    assert_int_equal(mtr_app_set_time(app, fwd, MTR_WHO_DLMS), MTR_OK);
    drain(app);
    run_model(app, t0 + 8 * H_s, 10);
    /* capture times strictly increase; the entries after each change are flagged */
    const struct mtr_hist_entry *p = g_col.e[MTR_HIST_PROFILE_1];
    size_t n = g_col.n[MTR_HIST_PROFILE_1];
    for (size_t i = 1; i < n; i++) {
        assert_true(p[i].t_us > p[i - 1].t_us);
    }
    assert_true((p[before].status & MTR_HIST_ST_CLOCK_ADJ) != 0u);
    /* after going back 50 min, the next capture is 03:15, the first after the last one */
    assert_int_equal(p[before].t_us, (t0 + 3 * H_s + 900) * US);
    bool seen_fwd = false;
    for (size_t i = before + 1u; i < n; i++) {
        if (p[i].t_us == (t0 + 7 * H_s + 900) * US) {
            seen_fwd = true;
            assert_true((p[i].status & MTR_HIST_ST_CLOCK_ADJ) != 0u);
        }
    }
    assert_true(seen_fwd);
    assert_int_equal(mtr_app_set_time(app, 0, MTR_WHO_CLI), MTR_EINVAL);
    assert_int_equal(mtr_app_shift_time(app, 901, MTR_WHO_CLI), MTR_EINVAL);
}

/* The source stops for 10 minutes (live): power-failure entries, counts, flagged capture. */
static void
test_outage(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    const int64_t t0 = JAN1_LOCAL_MIDNIGHT_UTC_s;
    start_app(app, t0, 60);
    run_model(app, t0 + 600, 10);
    struct mtr_metro_frame fr;
    make_frame(&fr, 500.0, 10.0, 1);
    int64_t resume = t0 + 1200 + 10; /* frame ends 10 s after a 10-min gap */
    assert_int_equal(mtr_app_frame(app, &fr, resume * US), MTR_OK);
    drain(app);
    assert_int_equal(app->st.outages_long, 1u);
    assert_int_equal(g_col.n[MTR_HIST_EVENT_PWR], 1u);
    const struct mtr_hist_entry *pf = &g_col.e[MTR_HIST_EVENT_PWR][0];
    assert_int_equal(pf->code, MTR_EV_PWR_LONG);
    assert_int_equal(pf->v[0], (t0 + 600) * US);
    assert_int_equal(pf->v[1], 600);
    run_model(app, t0 + 1800, 10);
    /* the 00:15 capture fell in the outage: the next one (00:30) covers both intervals, is
     * flagged, and holds only the energy measured (600 s + 10 s + 590 s at 500 W) */
    const struct mtr_hist_entry *p = g_col.e[MTR_HIST_PROFILE_1];
    assert_int_equal(g_col.n[MTR_HIST_PROFILE_1], 1u);
    assert_int_equal(p[0].t_us, (t0 + 1800) * US);
    assert_true((p[0].status & MTR_HIST_ST_POWER_DOWN) != 0u);
    assert_true((p[0].status & MTR_HIST_ST_INVALID) != 0u);
    ASSERT_UWH(p[0].v[4], 500.0 * 1200.0 / 3600.0);
}

/* Partial counters: start, stop, reset; per tariff; they follow the total exactly. */
static void
test_partial(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    const int64_t t0 = JAN1_LOCAL_MIDNIGHT_UTC_s;
    start_app(app, t0, 60);
    run_model(app, t0 + H_s, 10);
    assert_int_equal(mtr_app_partial(app, MTR_PARTIAL_START, MTR_WHO_BUTTON), MTR_OK);
    run_model(app, t0 + 8 * H_s, 10); /* 01:00-08:00: 5 h at 500 W (T2), 2 h at 2000 W (T1) */
    assert_int_equal(mtr_app_partial(app, MTR_PARTIAL_STOP, MTR_WHO_BUTTON), MTR_OK);
    run_model(app, t0 + 9 * H_s, 10);
    const struct mtr_app_partial *pa = &app->st.partial;
    ASSERT_UWH(pa->e_u[0][MTR_REG_A_IMP], 6500.0);
    ASSERT_UWH(pa->e_u[1][MTR_REG_A_IMP], 4000.0);
    ASSERT_UWH(pa->e_u[2][MTR_REG_A_IMP], 2500.0);
    assert_int_equal(pa->e_u[0][MTR_REG_A_IMP],
                     pa->e_u[1][MTR_REG_A_IMP] + pa->e_u[2][MTR_REG_A_IMP]);
    assert_int_equal(mtr_app_partial(app, MTR_PARTIAL_RESET, MTR_WHO_MODBUS), MTR_OK);
    assert_int_equal(pa->e_u[0][MTR_REG_A_IMP], 0);
    drain(app);
    size_t ne = g_col.n[MTR_HIST_EVENT_STD];
    assert_int_equal(g_col.e[MTR_HIST_EVENT_STD][ne - 1u].code, MTR_EV_PARTIAL_RESET);
}

/* NV image: round trip, and damaged images rejected with an offset. */
static void
test_state_codec(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    start_app(app, JAN1_LOCAL_MIDNIGHT_UTC_s, 60);
    run_model(app, JAN1_LOCAL_MIDNIGHT_UTC_s + 7 * H_s, 10);
    size_t cap = mtr_app_state_encoded_len();
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = 0;
    assert_int_equal(mtr_app_state_encode(&app->st, buf, cap, &len), MTR_OK);
    assert_int_equal(len, cap);
    static struct mtr_app_state back;
    memset(&back, 0, sizeof(back));
    back.reg = app->st.reg; /* the registers travel in the register record */
    size_t bad = 0;
    assert_int_equal(mtr_app_state_decode(buf, len, &back, &bad), MTR_OK);
    uint8_t *buf2 = malloc(cap);
    assert_non_null(buf2);
    size_t len2 = 0;
    assert_int_equal(mtr_app_state_encode(&back, buf2, cap, &len2), MTR_OK);
    assert_memory_equal(buf, buf2, len);
    assert_int_equal(back.seq[MTR_HIST_PROFILE_1], app->st.seq[MTR_HIST_PROFILE_1]);
    assert_int_equal(back.dem.max_mW[0][0], app->st.dem.max_mW[0][0]);
    assert_string_equal(back.cal.active.name, "test");
    /* damaged: wrong magic, short, a newer format */
    buf[0] ^= 0xFFu;
    assert_int_equal(mtr_app_state_decode(buf, len, &back, &bad), MTR_ECORRUPT);
    buf[0] ^= 0xFFu;
    assert_int_equal(mtr_app_state_decode(buf, len - 1u, &back, &bad), MTR_ECORRUPT);
    buf[4] = 9;
    assert_int_equal(mtr_app_state_decode(buf, len, &back, &bad), MTR_EVERSION);
    assert_int_equal(bad, 4u);
    assert_int_equal(mtr_app_state_encode(&app->st, buf, cap - 1u, &len), MTR_ENOSPC);
    /* the tariff byte (after t_us and clock_status: body offset 12) out of range, and the
     * input state byte (offset 14) not 0/1: corrupt */
    assert_int_equal(mtr_app_state_encode(&app->st, buf, cap, &len), MTR_OK);
    buf[12 + 12] = 7;
    assert_int_equal(mtr_app_state_decode(buf, len, &back, &bad), MTR_ECORRUPT);
    buf[12 + 12] = 1;
    buf[12 + 14] = 2;
    assert_int_equal(mtr_app_state_decode(buf, len, &back, &bad), MTR_ECORRUPT);
    buf[12 + 14] = 0;
    assert_int_equal(mtr_app_state_decode(buf, len, &back, &bad), MTR_OK);
    free(buf);
    free(buf2);
}

/* Bad configuration is rejected with the item named; the state is not touched. */
static void
test_config_errors(void **state)
{
    (void)state;
    struct mtr_app_config cfg;
    const char *what = NULL;
    static const struct {
        const char *word;
        void (*set)(struct mtr_app_config *);
    } rows[] = {
        {"demand period", NULL},
    };
    (void)rows;
    mtr_app_config_default(&cfg);
    assert_int_equal(mtr_app_config_check(&cfg, &what), MTR_OK);
    cfg.demand_period_s = 700;
    assert_int_equal(mtr_app_config_check(&cfg, &what), MTR_EINVAL);
    assert_non_null(strstr(what, "demand period"));
    mtr_app_config_default(&cfg);
    cfg.demand_subs = 7; /* 900 / 7 is not whole minutes */
    assert_int_equal(mtr_app_config_check(&cfg, &what), MTR_EINVAL);
    assert_non_null(strstr(what, "sub-intervals"));
    mtr_app_config_default(&cfg);
    cfg.capture_s[MTR_PROF_ENERGY] = 420;
    assert_int_equal(mtr_app_config_check(&cfg, &what), MTR_EINVAL);
    assert_non_null(strstr(what, "load profile 1"));
    mtr_app_config_default(&cfg);
    cfg.billing_day = 29;
    assert_int_equal(mtr_app_config_check(&cfg, &what), MTR_EINVAL);
    assert_non_null(strstr(what, "billing day"));
    /* reconfigure with a bad value changes nothing */
    struct mtr_app *app = &g_app;
    collect_reset();
    start_app(app, JAN1_LOCAL_MIDNIGHT_UTC_s, 60);
    uint32_t before = app->cfg.demand_period_s;
    assert_int_equal(mtr_app_reconfigure(app, &cfg), MTR_EINVAL);
    assert_int_equal(app->cfg.demand_period_s, before);
    assert_int_equal(mtr_app_set_tariff(app, 5, MTR_WHO_MODBUS), MTR_EINVAL);
}

/* Tariff by communication and by the digital input (COUNTIS "COM" / "diG"). */
static void
test_tariff_sources(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app_config cfg;
    struct mtr_cal cal;
    mtr_app_config_default(&cfg);
    cfg.clock.tz_min = 60;
    cfg.tariff_src = MTR_TARIFF_COM;
    test_calendar(&cal);
    struct mtr_app *app = &g_app;
    assert_int_equal(mtr_app_init(app, &cfg, &cal), MTR_OK);
    assert_int_equal(mtr_app_start(app, JAN1_LOCAL_MIDNIGHT_UTC_s * US, false), MTR_OK);
    drain(app);
    assert_int_equal(app->st.tariff, 1); /* the calendar would say T2 at midnight */
    assert_int_equal(mtr_app_set_tariff(app, 4, MTR_WHO_MODBUS), MTR_OK);
    assert_int_equal(app->st.tariff, 4);
    run_model(app, JAN1_LOCAL_MIDNIGHT_UTC_s + H_s, 10); /* 500 W for an hour */
    ASSERT_UWH(app->st.tar_u[3][MTR_REG_A_IMP], 500.0);
    assert_int_equal(app->st.tar_u[0][MTR_REG_A_IMP], 0);
    /* the digital input: off -> T1, on -> T2 */
    cfg.tariff_src = MTR_TARIFF_INPUT;
    assert_int_equal(mtr_app_reconfigure(app, &cfg), MTR_OK);
    assert_int_equal(app->st.tariff, 1);
    mtr_app_set_input(app, true);
    assert_int_equal(app->st.tariff, 2);
    run_model(app, JAN1_LOCAL_MIDNIGHT_UTC_s + 2 * H_s, 10);
    ASSERT_UWH(app->st.tar_u[1][MTR_REG_A_IMP], 500.0);
    mtr_app_set_input(app, false);
    assert_int_equal(app->st.tariff, 1);
    drain(app);
    size_t n = g_col.n[MTR_HIST_EVENT_STD];
    bool src_logged = false;
    for (size_t i = 0; i < n; i++) {
        src_logged = src_logged || g_col.e[MTR_HIST_EVENT_STD][i].code == MTR_EV_TARIFF_SRC;
    }
    assert_true(src_logged);
}

/* A passive calendar becomes active at its activation time, not a second earlier. */
static void
test_passive_activation(void **state)
{
    (void)state;
    collect_reset();
    struct mtr_app *app = &g_app;
    const int64_t t0 = JAN1_LOCAL_MIDNIGHT_UTC_s;
    start_app(app, t0, 60); /* active: T1 06:00-22:00, T2 otherwise */
    struct mtr_cal pas;
    size_t col = 0;
    const char *msg = NULL;
    memset(&pas, 0, sizeof(pas));
    assert_int_equal(mtr_cal_parse_day("7: 00:00 T3", &pas.day[0], &col, &msg), MTR_OK);
    assert_int_equal(mtr_cal_parse_week("p: 7 7 7 7 7 7 7", &pas.week[0], &col, &msg), MTR_OK);
    assert_int_equal(mtr_cal_parse_season("p: 01-01 00:00 p", &pas.season[0], &col, &msg), MTR_OK);
    pas.n_days = pas.n_weeks = pas.n_seasons = 1;
    snprintf(pas.name, sizeof(pas.name), "flat3");
    int64_t act = t0 + 8 * H_s + 1234; /* 08:20:34 local, between frames of 10 s */
    assert_int_equal(mtr_app_set_passive(app, &pas, act * US), MTR_OK);
    run_model(app, act - 4, 10);
    assert_int_equal(app->st.tariff, 1);
    run_model(app, t0 + 9 * H_s, 10);
    assert_int_equal(app->st.tariff, 3);
    assert_string_equal(app->st.cal.active.name, "flat3");
    /* the switch happened at the activation instant, inside a frame: T3 holds 2000 W from then */
    ASSERT_UWH(app->st.tar_u[2][MTR_REG_A_IMP], 2000.0 * (double)(t0 + 9 * H_s - act) / 3600.0);
    size_t n = g_col.n[MTR_HIST_EVENT_STD];
    const struct mtr_hist_entry *ev = NULL;
    for (size_t i = 0; i < n; i++) {
        if (g_col.e[MTR_HIST_EVENT_STD][i].code == MTR_EV_TOU_ACTIVATED) {
            ev = &g_col.e[MTR_HIST_EVENT_STD][i];
        }
    }
    assert_non_null(ev);
    assert_int_equal(ev->t_us, act * US);
    assert_string_equal(ev->text, "flat3");
    /* an invalid passive calendar is refused and nothing changes */
    pas.day[0].sw[0].tariff = 9;
    assert_int_equal(mtr_app_set_passive(app, &pas, INT64_MAX), MTR_EINVAL);
}

static int
teardown_all(void **state)
{
    (void)state;
    for (unsigned l = 0; l < MTR_HIST_LOG_COUNT; l++) {
        free(g_col.e[l]);
        g_col.e[l] = NULL;
    }
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month),
        cmocka_unit_test(test_frames_cut_at_boundaries),
        cmocka_unit_test(test_sixteen_switches),
        cmocka_unit_test(test_dst),
        cmocka_unit_test(test_clock_set),
        cmocka_unit_test(test_outage),
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_state_codec),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_tariff_sources),
        cmocka_unit_test(test_passive_activation),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
