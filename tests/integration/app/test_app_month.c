/*
 * Integration test of the meter application in process (issue 3): a synthetic January
 * of the household frame generator (src/daemon/sources/synth_frames.h) through the core
 * application (include/meterd/app.h) into the SQLite history store (src/daemon/hist/),
 * read back with the store's get().
 *
 * Expected values are independent of the application: the generator's analytic truth
 * (mtrd_synth_frames_truth(), the exact integral of the model classified per frame as the
 * registers classify it) and, for "the registers at the boundary", the application's own
 * state captured right after the frame that closed the period (the frames are aligned to
 * every boundary, so the frame ends exactly at it).
 *
 * Frames are 60 s (or 10 s, argument), starting at 2026-01-01T00:00 local (CET, +60 min),
 * so every demand sub-interval (5 min), capture (15 min), tariff switch (06:00, 22:00
 * local) and billing instant is a frame boundary and the truth over each interval is
 * exact to double rounding. Base unit of the truth: the 5-minute sub-interval; the
 * truths of 15-min intervals, days and the month are sums of those (exact because the
 * truth is additive over spans of whole frames).
 *
 * Usage: test_app_month [frame_s] [days]   (defaults 60 and 31)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hist/hist_sqlite.h"
#include "meterd/app.h"
#include "sources/synth_frames.h"

#define US         1000000LL
#define SUB_s      300LL /* demand sub-interval: 900 s / 3 */
#define CAP_s      900LL /* capture period of every profile */
#define DAY_s      86400LL
#define TZ_MIN     60
#define MAX_FAILS  25u
/* 2026-01-01T00:00:00 CET = 2025-12-31T23:00:00Z (days_from_civil(2026, 1, 1) = 20454). */
#define T0_s       (20454LL * DAY_s - 3600LL)
/* Tolerances: energies to the uWh (the registers carry the sub-uWh remainder, the truth is
 * double), demand to the mW (mean_mW rounds to the mW). */
#define TOL_UWH    1.0
/* plus the truth's own double rounding: sums of ~10^4 doubles of up to 10^12 u */
#define TOL_REL    1e-12
#define TOL_MW     1.0
#define MAX_SUBS_N (31u * 288u)

static unsigned g_fails;

static void
failf(const char *fmt, ...)
{
    g_fails++;
    if (g_fails > MAX_FAILS) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

/* The four quantities of the totals and of the billing columns: +A, -A, +R, -R (u-units). */
static void
truth4(const struct mtrd_synth_frames_energy *e, double out_u[4])
{
    out_u[0] = e->total.e_imp_Wh * 1e6;
    out_u[1] = e->total.e_exp_Wh * 1e6;
    out_u[2] = (e->total.r_q1_varh + e->total.r_q2_varh) * 1e6;
    out_u[3] = (e->total.r_q3_varh + e->total.r_q4_varh) * 1e6;
}

static const char *const k_q4[4] = {"+A", "-A", "+R", "-R"};

/* Tariff of the test calendar at local second-of-day: T1 06:00-22:00, T2 otherwise. */
static unsigned
tariff_at_sod(int64_t sod)
{
    return sod >= 6 * 3600 && sod < 22 * 3600 ? 1u : 2u;
}

static unsigned
tariff_at_utc(int64_t utc_s)
{
    int64_t sod = ((utc_s + TZ_MIN * 60) % DAY_s + DAY_s) % DAY_s;
    return tariff_at_sod(sod);
}

/* ---- reading the store back ------------------------------------------------------------ */

struct rows {
    struct mtr_hist_entry *e;
    size_t n, cap;
};

static bool
visit(void *arg, const struct mtr_hist_entry *e)
{
    struct rows *r = arg;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2u * r->cap : 256u;
        r->e = realloc(r->e, r->cap * sizeof(*r->e));
        assert_non_null(r->e);
    }
    r->e[r->n++] = *e;
    return true;
}

static void
read_log(struct mtrd_hist *h, enum mtr_hist_log log, struct rows *r)
{
    memset(r, 0, sizeof(*r));
    struct mtr_hist_query q = {.log = (uint8_t)log, .by_time = false, .seq_from = 1, .seq_to = 0};
    const struct mtr_hist_ops *ops = mtrd_hist_ops(h);
    assert_int_equal(ops->get(h, &q, visit, r), MTR_OK);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Registers right after the frame that closed a billing period. */
struct snap {
    int64_t t_us;
    int64_t tot[4];
    int64_t tar[MTR_APP_TARIFFS][4];
};

/* One completed demand window as the application published it (x.5.0). */
struct dem_obs {
    int64_t t_us;
    int64_t mW[MTR_DEM_COUNT];
};

struct run {
    int64_t t0_s, t1_s;
    size_t n_subs;
    double (*sub_u)[4];     /* truth per 5-min sub-interval, [i][+A -A +R -R], u-units */
    struct snap *bill_snap; /* [log 0 monthly / 1 daily][k] */
    size_t n_snap[2];
    struct dem_obs *dem;
    size_t n_dem;
    struct mtr_app_state end;
};

static struct mtr_app g_app;

static void
make_calendar(struct mtr_cal *cal)
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
    snprintf(cal->name, sizeof(cal->name), "hchp");
    struct mtr_cal_error where;
    assert_int_equal(mtr_cal_check(cal, &where), MTR_OK);
}

static void
snap_state(const struct mtr_app_state *st, struct snap *s)
{
    static const unsigned kinds[4] = {MTR_REG_A_IMP, MTR_REG_A_EXP, MTR_REG_R_IMP, MTR_REG_R_EXP};
    s->t_us = st->t_us;
    for (unsigned k = 0; k < 4u; k++) {
        s->tot[k] = st->reg.e_u[MTR_REG_TOTAL][kinds[k]];
        for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
            s->tar[t][k] = st->tar_u[t][kinds[k]];
        }
    }
}

static void
run_month(struct run *r, struct mtrd_hist *h, double frame_s, unsigned days)
{
    struct mtrd_synth_frames_spec sp;
    memset(&sp, 0, sizeof(sp));
    sp.scenario = "household";
    sp.seed = 1;
    sp.f_nom_Hz = 50;
    sp.frame_s = frame_s;
    sp.t0_us = T0_s * US;
    sp.tz_min = TZ_MIN;
    sp.phase_count = 3;
    struct mtrd_synth_frames *g = NULL;
    char err[256] = "";
    assert_int_equal(mtrd_synth_frames_open(&sp, &g, err, sizeof(err)), MTR_OK);
    int64_t len_us = mtrd_synth_frames_len_us(g);
    assert_true(len_us > 0 && (SUB_s * US) % len_us == 0);

    struct mtr_app_config cfg;
    mtr_app_config_default(&cfg);
    cfg.clock.tz_min = TZ_MIN;
    struct mtr_cal cal;
    make_calendar(&cal);
    struct mtr_app *app = &g_app;
    assert_int_equal(mtr_app_init(app, &cfg, &cal), MTR_OK);
    assert_int_equal(mtr_app_start(app, T0_s * US, false), MTR_OK);

    r->t0_s = T0_s;
    r->t1_s = T0_s + (int64_t)days * DAY_s;
    r->n_subs = (size_t)((r->t1_s - r->t0_s) / SUB_s);
    r->sub_u = calloc(r->n_subs, sizeof(*r->sub_u));
    r->bill_snap = calloc(2u * 64u, sizeof(*r->bill_snap));
    r->dem = calloc(r->n_subs + 1u, sizeof(*r->dem));
    assert_true(r->sub_u != NULL && r->bill_snap != NULL && r->dem != NULL);
    const struct mtr_hist_ops *ops = mtrd_hist_ops(h);
    int64_t last_dem_t = 0;
    while (app->st.t_us < r->t1_s * US) {
        struct mtr_metro_frame fr;
        int64_t ts = 0;
        assert_int_equal(mtrd_synth_frames_next(g, &fr, &ts), MTR_OK);
        if (ts != app->st.t_us) {
            fail_msg("generator frame starts at %lld us, application clock %lld us", (long long)ts,
                     (long long)app->st.t_us);
        }
        assert_int_equal(mtr_app_frame(app, &fr, app->st.t_us + len_us), MTR_OK);
        size_t n = 0;
        const struct mtr_hist_entry *e = mtr_app_entries(app, &n);
        if (n > 0u) {
            assert_int_equal(ops->put(h, e, n), MTR_OK);
        }
        for (size_t i = 0; i < n; i++) {
            if (e[i].log == MTR_HIST_BILLING_MONTHLY || e[i].log == MTR_HIST_BILLING_DAILY) {
                unsigned b = e[i].log == MTR_HIST_BILLING_MONTHLY ? 0u : 1u;
                assert_true(r->n_snap[b] < 64u);
                if (e[i].t_us != app->st.t_us) {
                    failf("billing entry at %lld s does not end its frame (%lld s)",
                          (long long)(e[i].t_us / US), (long long)(app->st.t_us / US));
                }
                snap_state(&app->st, &r->bill_snap[b * 64u + r->n_snap[b]++]);
            }
        }
        mtr_app_entries_done(app);
        assert_int_equal(app->lost, 0);
        if (app->st.dem.last_t_us != last_dem_t) {
            last_dem_t = app->st.dem.last_t_us;
            struct dem_obs *d = &r->dem[r->n_dem++];
            d->t_us = last_dem_t;
            memcpy(d->mW, app->st.dem.last_mW, sizeof(d->mW));
        }
    }
    assert_int_equal(app->st.t_us, r->t1_s * US);
    r->end = app->st;
    /* the truth, per sub-interval */
    for (size_t i = 0; i < r->n_subs; i++) {
        struct mtrd_synth_frames_energy te;
        int64_t a = (r->t0_s + (int64_t)i * SUB_s) * US;
        assert_int_equal(mtrd_synth_frames_truth(g, a, a + SUB_s * US, &te), MTR_OK);
        truth4(&te, r->sub_u[i]);
    }
    /* cross-check the summation against one truth call over the whole span */
    struct mtrd_synth_frames_energy all;
    assert_int_equal(mtrd_synth_frames_truth(g, r->t0_s * US, r->t1_s * US, &all), MTR_OK);
    double all_u[4];
    truth4(&all, all_u);
    for (unsigned q = 0; q < 4u; q++) {
        double s = 0;
        for (size_t i = 0; i < r->n_subs; i++) {
            s += r->sub_u[i][q];
        }
        if (fabs(s - all_u[q]) > TOL_REL * fabs(all_u[q]) + 0.01) {
            failf("truth not additive: %s sum of sub-intervals %.3f u, whole span %.3f u", k_q4[q],
                  s, all_u[q]);
        }
    }
    mtrd_synth_frames_close(g);
}

/* Truth over [a_s, b_s) (multiples of SUB_s), per quantity, total or one tariff (0 = all). */
static void
truth_span(const struct run *r, int64_t a_s, int64_t b_s, unsigned tariff, double out_u[4])
{
    memset(out_u, 0, 4u * sizeof(double));
    for (int64_t t = a_s; t < b_s; t += SUB_s) {
        size_t i = (size_t)((t - r->t0_s) / SUB_s);
        if (tariff != 0u && tariff_at_utc(t) != tariff) {
            continue;
        }
        for (unsigned q = 0; q < 4u; q++) {
            out_u[q] += r->sub_u[i][q];
        }
    }
}

static void
check_uwh_tol(
    const char *what, size_t idx, const char *q, int64_t got_u, double want_u, double extra)
{
    double tol = TOL_UWH + extra + TOL_REL * fabs(want_u);
    if (fabs((double)got_u - want_u) > tol) {
        failf("%s #%zu %s: meter %lld uWh, truth %.3f uWh (diff %.3f, tolerance +-%.3f)", what, idx,
              q, (long long)got_u, want_u, (double)got_u - want_u, tol);
    }
}

static void
check_uwh(const char *what, size_t idx, const char *q, int64_t got_u, double want_u)
{
    check_uwh_tol(what, idx, q, got_u, want_u, 0.0);
}

/*
 * Tariff switches (06:00 and 22:00 local) in (a_s, b_s]. The tariff registers receive the
 * integer increments of the total register, so the total's sub-uWh remainder crosses each
 * switch into the next tariff: each switch may move less than 1 uWh from one tariff to the
 * other (T1 + T2 stays equal to the total exactly). That is the tolerance of a tariff column.
 */
static double
switches_between(int64_t a_s, int64_t b_s)
{
    unsigned n = 0;
    for (int64_t t = a_s + SUB_s; t <= b_s; t += SUB_s) {
        if (tariff_at_utc(t) != tariff_at_utc(t - SUB_s)) {
            n++;
        }
    }
    return (double)n;
}

/* ---- checks ------------------------------------------------------------------------------ */

static void
check_profile(const struct run *r, struct mtrd_hist *h)
{
    struct rows p;
    read_log(h, MTR_HIST_PROFILE_1, &p);
    size_t want_n = (size_t)((r->t1_s - r->t0_s) / CAP_s);
    if (p.n != want_n) {
        failf("profile_1: %zu entries, want %zu (days x 96)", p.n, want_n);
    }
    for (size_t i = 0; i < p.n && i < want_n; i++) {
        const struct mtr_hist_entry *e = &p.e[i];
        int64_t t = r->t0_s + (int64_t)(i + 1u) * CAP_s;
        if (e->seq != i + 1u || e->t_us != t * US) {
            failf("profile_1 #%zu: seq %llu at %lld s, want seq %zu at %lld s (15-min grid)", i,
                  (unsigned long long)e->seq, (long long)(e->t_us / US), i + 1u, (long long)t);
            continue;
        }
        if (e->n_values != 11u) {
            failf("profile_1 #%zu: %u values, want 11", i, e->n_values);
        }
        double d[4];
        double c[4];
        truth_span(r, t - CAP_s, t, 0, d);
        truth_span(r, r->t0_s, t, 0, c);
        for (unsigned q = 0; q < 4u; q++) {
            check_uwh("profile_1 delta", i, k_q4[q], e->v[4u + q], d[q]);
            check_uwh("profile_1 register", i, k_q4[q], e->v[q], c[q]);
            if (i > 0u && e->v[4u + q] != e->v[q] - p.e[i - 1u].v[q]) {
                failf("profile_1 #%zu %s: delta %lld != register difference %lld", i, k_q4[q],
                      (long long)e->v[4u + q], (long long)(e->v[q] - p.e[i - 1u].v[q]));
            }
        }
        double p_imp_mW = d[0] * 3.6 / (double)CAP_s;
        if (fabs((double)e->v[8] - p_imp_mW) > TOL_MW) {
            failf("profile_1 #%zu mean +P %lld mW, truth %.3f mW", i, (long long)e->v[8], p_imp_mW);
        }
        /* the tariff column is the tariff in force during the interval (its last second) */
        unsigned want_tariff = tariff_at_utc(t - 1);
        if ((unsigned)e->v[10] != want_tariff) {
            failf("profile_1 #%zu ending %lld s: tariff %lld, calendar says T%u", i, (long long)t,
                  (long long)e->v[10], want_tariff);
        }
        if (e->status != 0u) {
            failf("profile_1 #%zu: status 0x%x, want 0 (whole interval, valid clock, no DST)", i,
                  e->status);
        }
    }
    free(p.e);
}

/* Demand windows (x.5.0) and the expected maximum demands from the truth. */
static void
check_demand(const struct run *r)
{
    size_t want_n = r->n_subs - 2u; /* the first whole window ends at t0 + 900 s */
    if (r->n_dem != want_n) {
        failf("demand: %zu windows published, want %zu (one per 5-min sub-interval from t0+15 min)",
              r->n_dem, want_n);
    }
    for (size_t i = 0; i < r->n_dem; i++) {
        const struct dem_obs *d = &r->dem[i];
        int64_t t = r->t0_s + CAP_s + (int64_t)i * SUB_s;
        if (d->t_us != t * US) {
            failf("demand window #%zu ends at %lld s, want %lld s", i, (long long)(d->t_us / US),
                  (long long)t);
            continue;
        }
        double e[4];
        truth_span(r, t - 900, t, 0, e);
        for (unsigned q = 0; q < 4u; q++) {
            double want_mW = e[q] * 3.6 / 900.0;
            if (fabs((double)d->mW[q] - want_mW) > TOL_MW) {
                failf("demand window ending %lld s, %s: %lld mW, truth %.3f mW", (long long)t,
                      q < 2u ? (q == 0u ? "+P" : "-P") : (q == 2u ? "+Q" : "-Q"),
                      (long long)d->mW[q], want_mW);
            }
        }
    }
}

/* Maximum over windows ending in (from_s, to_s] of quantity q (0 +P, 1 -P) in tariff t
 * (0 = any; a window counts in the tariff of its last second). Returns the max (mW, truth),
 * and whether the meter's time is one of the windows within TOL_MW of it. */
static double
truth_md(const struct run *r,
         int64_t from_s,
         int64_t to_s,
         unsigned q,
         unsigned tariff,
         int64_t meter_t_s,
         bool *time_ok)
{
    double best = 0.0;
    for (int64_t t = r->t0_s + 900; t <= to_s; t += SUB_s) {
        if (t <= from_s || (tariff != 0u && tariff_at_utc(t - 1) != tariff)) {
            continue;
        }
        double e[4];
        truth_span(r, t - 900, t, 0, e);
        double mW = e[q] * 3.6 / 900.0;
        best = mW > best ? mW : best;
    }
    *time_ok = false;
    if (meter_t_s > from_s && meter_t_s <= to_s && (meter_t_s - r->t0_s) % SUB_s == 0 &&
        meter_t_s >= r->t0_s + 900) {
        double e[4];
        truth_span(r, meter_t_s - 900, meter_t_s, 0, e);
        *time_ok = e[q] * 3.6 / 900.0 >= best - TOL_MW;
    }
    return best;
}

static void
check_billing_entry(const struct run *r,
                    const char *log,
                    size_t i,
                    const struct mtr_hist_entry *e,
                    const struct snap *s,
                    int64_t prev_s,
                    int64_t md_from_s)
{
    int64_t t_s = e->t_us / US;
    if (e->n_values != 32u) {
        failf("%s #%zu: %u values, want 32", log, i, e->n_values);
        return;
    }
    /* exactly the registers at the boundary (state after the frame that ended there) */
    if (s->t_us != e->t_us) {
        failf("%s #%zu: entry at %lld s, state snapshot at %lld s", log, i, (long long)t_s,
              (long long)(s->t_us / US));
    }
    double tot[4];
    truth_span(r, r->t0_s, t_s, 0, tot);
    for (unsigned k = 0; k < 4u; k++) {
        const int64_t *v = &e->v[5u * k];
        if (v[0] != s->tot[k]) {
            failf("%s #%zu %s total: entry %lld, registers at the boundary %lld", log, i, k_q4[k],
                  (long long)v[0], (long long)s->tot[k]);
        }
        check_uwh(log, i, k_q4[k], v[0], tot[k]);
        int64_t sum = 0;
        for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
            sum += v[1u + t];
            if (v[1u + t] != s->tar[t][k]) {
                failf("%s #%zu %s T%u: entry %lld, tariff register at the boundary %lld", log, i,
                      k_q4[k], t + 1u, (long long)v[1u + t], (long long)s->tar[t][k]);
            }
            double tt[4] = {0, 0, 0, 0};
            if (t < 2u) {
                truth_span(r, r->t0_s, t_s, t + 1u, tt);
            }
            char what[64];
            snprintf(what, sizeof(what), "%s T%u", log, t + 1u);
            check_uwh_tol(what, i, k_q4[k], v[1u + t], tt[k], switches_between(r->t0_s, t_s));
        }
        if (sum != v[0]) {
            failf("%s #%zu %s: T1+T2+T3+T4 = %lld != total %lld", log, i, k_q4[k], (long long)sum,
                  (long long)v[0]);
        }
        double per[4];
        truth_span(r, prev_s, t_s, 0, per);
        char what[64];
        snprintf(what, sizeof(what), "%s period", log);
        check_uwh(what, i, k_q4[k], e->v[20u + k], per[k]);
    }
    /* maximum demand since the last reset: +P, -P with times, +P per tariff */
    for (unsigned q = 0; q < 2u; q++) {
        int64_t md = e->v[24u + 2u * q];
        int64_t md_t = e->v[25u + 2u * q];
        bool time_ok = false;
        double want = truth_md(r, md_from_s, t_s, q, 0, md_t, &time_ok);
        if (fabs((double)md - want) > TOL_MW) {
            failf("%s #%zu MD %s: %lld mW, truth max over windows %.3f mW", log, i,
                  q == 0u ? "+P" : "-P", (long long)md, want);
        } else if (want > 0.0 && !time_ok) {
            failf("%s #%zu MD %s time %lld s is not a window reaching the maximum %.3f mW", log, i,
                  q == 0u ? "+P" : "-P", (long long)md_t, want);
        }
    }
    for (unsigned t = 1; t <= MTR_APP_TARIFFS; t++) {
        bool time_ok = false;
        double want = truth_md(r, md_from_s, t_s, 0, t, 0, &time_ok);
        int64_t md = e->v[27u + t];
        if (fabs((double)md - want) > TOL_MW) {
            failf("%s #%zu MD +P T%u: %lld mW, truth %.3f mW", log, i, t, (long long)md, want);
        }
    }
}

static void
check_billing(const struct run *r, struct mtrd_hist *h, unsigned days)
{
    struct rows d;
    read_log(h, MTR_HIST_BILLING_DAILY, &d);
    if (d.n != days || r->n_snap[1] != days) {
        failf("billing_daily: %zu entries stored, %zu produced, want %u", d.n, r->n_snap[1], days);
    }
    for (size_t i = 0; i < d.n && i < days && i < r->n_snap[1]; i++) {
        int64_t t = r->t0_s + (int64_t)(i + 1u) * DAY_s;
        if (d.e[i].t_us != t * US || d.e[i].seq != i + 1u) {
            failf("billing_daily #%zu: seq %llu at %lld s, want local midnight %lld s", i,
                  (unsigned long long)d.e[i].seq, (long long)(d.e[i].t_us / US), (long long)t);
            continue;
        }
        /* the maximum demand is reset only by the monthly billing */
        bool last = i + 1u == (size_t)days && days == 31u;
        if (last) {
            /* the monthly billing at the same instant resets MD before the daily capture */
            if (d.e[i].v[24] != 0) {
                printf("note: the daily entry at the monthly boundary holds MD +P %lld mW\n",
                       (long long)d.e[i].v[24]);
            }
            continue;
        }
        check_billing_entry(r, "billing_daily", i, &d.e[i], &r->bill_snap[64u + i], t - DAY_s,
                            r->t0_s);
    }
    struct rows m;
    read_log(h, MTR_HIST_BILLING_MONTHLY, &m);
    unsigned want_m = days >= 31u ? 1u : 0u;
    if (m.n != want_m || r->n_snap[0] != want_m) {
        failf("billing_monthly: %zu entries stored, %zu produced, want %u", m.n, r->n_snap[0],
              want_m);
    }
    if (m.n == 1u && r->n_snap[0] == 1u) {
        if (m.e[0].t_us != r->t1_s * US) {
            failf("billing_monthly at %lld s, want 2026-02-01T00:00 CET = %lld s",
                  (long long)(m.e[0].t_us / US), (long long)r->t1_s);
        } else {
            check_billing_entry(r, "billing_monthly", 0, &m.e[0], &r->bill_snap[0], r->t0_s,
                                r->t0_s);
        }
        /* after the monthly billing: MD cleared into the cumulative MD */
        if (r->end.dem.max_mW[0][MTR_DEM_P_IMP] != 0 ||
            r->end.dem.cum_mW[MTR_DEM_P_IMP] != m.e[0].v[24]) {
            failf("after billing: MD +P %lld (want 0), cumulative %lld (want %lld)",
                  (long long)r->end.dem.max_mW[0][MTR_DEM_P_IMP],
                  (long long)r->end.dem.cum_mW[MTR_DEM_P_IMP], (long long)m.e[0].v[24]);
        }
    }
    /* the final registers: tariff sum == total for every kind */
    for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
        int64_t sum = 0;
        for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
            sum += r->end.tar_u[t][k];
        }
        if (sum != r->end.reg.e_u[MTR_REG_TOTAL][k]) {
            failf("end: kind %u: T1..T4 sum %lld != total %lld", k, (long long)sum,
                  (long long)r->end.reg.e_u[MTR_REG_TOTAL][k]);
        }
    }
    free(d.e);
    free(m.e);
}

static double g_frame_s = 60.0;
static unsigned g_days = 31;

static void
test_month(void **state)
{
    (void)state;
    char dir[] = "/tmp/mtrd-app-month-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/history.db", dir);
    struct mtrd_hist *h = NULL;
    char err[512] = "";
    if (mtrd_hist_open(path, NULL, &h, err, sizeof(err)) != MTR_OK) {
        fail_msg("open %s: %s", path, err);
    }
    static struct run r;
    memset(&r, 0, sizeof(r));
    run_month(&r, h, g_frame_s, g_days);
    /* read back from a fresh connection: what is on disk, not a cache */
    mtrd_hist_close(h);
    h = NULL;
    assert_int_equal(mtrd_hist_open(path, NULL, &h, err, sizeof(err)), MTR_OK);
    check_profile(&r, h);
    check_demand(&r);
    check_billing(&r, h, g_days);
    printf("month: %zu sub-intervals, %zu demand windows, frames of %.0f s; end +A %.6f kWh, "
           "-A %.6f kWh\n",
           r.n_subs, r.n_dem, g_frame_s, (double)r.end.reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] * 1e-9,
           (double)r.end.reg.e_u[MTR_REG_TOTAL][MTR_REG_A_EXP] * 1e-9);
    mtrd_hist_close(h);
    unlink(path);
    char side[160];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    rmdir(dir);
    free(r.sub_u);
    free(r.bill_snap);
    free(r.dem);
    if (g_fails > 0u) {
        fail_msg("%u check(s) failed (first %u printed above)", g_fails, MAX_FAILS);
    }
}

int
main(int argc, char **argv)
{
    if (argc > 1) {
        g_frame_s = atof(argv[1]);
    }
    if (argc > 2) {
        g_days = (unsigned)atoi(argv[2]);
    }
    if (!(g_frame_s > 0.0) || 300.0 / g_frame_s != floor(300.0 / g_frame_s) || g_days < 1u ||
        g_days > 31u) {
        fprintf(stderr, "usage: %s [frame_s dividing 300] [days 1..31]\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
