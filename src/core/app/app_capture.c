/*
 * Demand, load profiles, billing and outages of the meter application.
 *
 * Demand (IEC 62056-6-2 IC 5): the window of demand_period_s is made of
 * demand_subs sub-intervals aligned to local normal time; at the end of each
 * sub-interval the window's demand is the energy of its last demand_subs
 * sub-intervals divided by the window length (block demand when demand_subs is
 * 1). Energies are differences of the integer total registers, so
 * demand x period = energy exactly (to the mW rounding). Maximum demand is kept
 * for the total and for the tariff in force when the window closes.
 */
#include <math.h>
#include <string.h>

#include "app_int.h"
#include "meterd/app.h"

/* Round n / d to the nearest integer, halves away from zero; d > 0. */
static int64_t
div_round(int64_t n, int64_t d)
{
    return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
}

/* Mean power of an energy over seconds: u-units (uWh) over s -> mW = E * 3.6 / s. */
static int64_t
mean_mW(int64_t e_u, int64_t s)
{
    if (s <= 0) {
        return 0;
    }
    return div_round(e_u * 18, 5 * s);
}

void
mtr_app_demand_close(struct mtr_app *app)
{
    struct mtr_app_state *st = &app->st;
    struct mtr_app_demand *d = &st->dem;
    int64_t now[4];
    mtr_app_total4(st, now);
    uint32_t subs = app->cfg.demand_subs;
    uint32_t sub_s = app->cfg.demand_period_s / subs;
    bool whole = st->t_us - d->sub_start_us == (int64_t)sub_s * 1000000LL;
    if (d->sub_pos >= subs) {
        d->sub_pos = 0;
    }
    for (unsigned q = 0; q < MTR_DEM_COUNT; q++) {
        d->sub_e[q][d->sub_pos] = now[q] - d->reg_at_sub_start[q];
        d->reg_at_sub_start[q] = now[q];
    }
    d->sub_pos = (uint8_t)((d->sub_pos + 1u) % subs);
    /* a shortened sub-interval (after start, an outage or a clock change) restarts the window */
    if (whole) {
        if (d->subs_valid < subs) {
            d->subs_valid++;
        }
    } else {
        d->subs_valid = 0;
    }
    if (d->subs_valid == subs) {
        unsigned t = st->tariff >= 1u && st->tariff <= MTR_APP_TARIFFS ? st->tariff : 1u;
        for (unsigned q = 0; q < MTR_DEM_COUNT; q++) {
            int64_t e = 0;
            for (unsigned i = 0; i < subs; i++) {
                e += d->sub_e[q][i];
            }
            int64_t p = mean_mW(e, (int64_t)app->cfg.demand_period_s);
            d->last_mW[q] = p;
            if (p > d->max_mW[0][q]) {
                d->max_mW[0][q] = p;
                d->max_t_us[0][q] = st->t_us;
            }
            if (p > d->max_mW[t][q]) {
                d->max_mW[t][q] = p;
                d->max_t_us[t][q] = st->t_us;
            }
        }
        d->last_t_us = st->t_us;
    }
    d->sub_start_us = st->t_us;
    d->sub_end_us = mtr_app_grid_next(app, st->t_us, sub_s);
}

int64_t
mtr_app_demand_current_mW(const struct mtr_app *app, enum mtr_dem_qty q)
{
    if (app == NULL || (unsigned)q >= MTR_DEM_COUNT) {
        return 0;
    }
    const struct mtr_app_demand *d = &app->st.dem;
    int64_t now[4];
    mtr_app_total4(&app->st, now);
    int64_t e = now[q] - d->reg_at_sub_start[q];
    unsigned n = d->subs_valid < app->cfg.demand_subs ? d->subs_valid : app->cfg.demand_subs;
    /* the newest n - 1 completed sub-intervals plus the running one */
    for (unsigned i = 1; i < n && i < app->cfg.demand_subs; i++) {
        unsigned idx = (d->sub_pos + app->cfg.demand_subs - i) % app->cfg.demand_subs;
        e += d->sub_e[q][idx];
    }
    return mean_mW(e, (int64_t)app->cfg.demand_period_s);
}

static void
demand_reset(struct mtr_app *app, enum mtr_app_who who)
{
    struct mtr_app_demand *d = &app->st.dem;
    for (unsigned q = 0; q < MTR_DEM_COUNT; q++) {
        d->cum_mW[q] += d->max_mW[0][q];
    }
    memset(d->max_mW, 0, sizeof(d->max_mW));
    memset(d->max_t_us, 0, sizeof(d->max_t_us));
    d->resets++;
    mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_DEMAND_RESET, app->st.t_us, (int64_t)who, 0, "");
}

enum mtr_err
mtr_app_demand_reset(struct mtr_app *app, enum mtr_app_who who)
{
    if (app == NULL || !app->started) {
        return MTR_EINVAL;
    }
    demand_reset(app, who);
    return MTR_OK;
}

/* ---- accumulators of the averaging profiles ---------------------------------------- */

/* Quantities: Urms L1..L3 (V), Irms L1..L3 (A), P, Q, S total (W, var, VA), PF, f (Hz). */
static void
frame_values(const struct mtr_metro_frame *fr, float v[MTR_APP_AVG_QTY])
{
    for (unsigned p = 0; p < 3u; p++) {
        bool has = p < fr->phase_count;
        v[p] = has ? fr->ph[p].u_rms_V : 0.0f;
        v[3u + p] = has ? fr->ph[p].i_rms_A : 0.0f;
    }
    v[6] = fr->total.p_W;
    v[7] = fr->total.q1_var;
    v[8] = fr->total.s_VA;
    v[9] = fr->total.pf_ratio;
    v[10] = fr->f_Hz;
}

static void
acc_clear(struct mtr_app_acc *a)
{
    memset(a, 0, sizeof(*a));
}

void
mtr_app_accumulate(struct mtr_app *app, const struct mtr_metro_frame *fr, double dt_s)
{
    float v[MTR_APP_AVG_QTY];
    frame_values(fr, v);
    app->st.prof[MTR_PROF_ENERGY].acc.covered_s += dt_s; /* only coverage: no averages */
    for (unsigned p = MTR_PROF_PQ; p < MTR_PROF_COUNT; p++) {
        struct mtr_app_acc *a = &app->st.prof[p].acc;
        bool first = a->covered_s <= 0.0;
        for (unsigned q = 0; q < MTR_APP_AVG_QTY; q++) {
            a->sum[q] += (double)v[q] * dt_s;
            if (first || v[q] < a->min[q]) {
                a->min[q] = v[q];
            }
            if (first || v[q] > a->max[q]) {
                a->max[q] = v[q];
            }
        }
        a->covered_s += dt_s;
    }
}

/* Scale of each averaged quantity to its stored integer: mV, mA, mW, mvar, mVA, 1e-4, mHz. */
static const double k_avg_scale[MTR_APP_AVG_QTY] = {1e3, 1e3, 1e3, 1e3, 1e3, 1e3,
                                                    1e3, 1e3, 1e3, 1e4, 1e3};

static int64_t
to_int(double x, double scale)
{
    double y = x * scale;
    if (!(y > -9.0e18 && y < 9.0e18)) {
        return 0;
    }
    return (int64_t)llround(y);
}

static uint32_t
dst_status(const struct mtr_app *app, int64_t t_us)
{
    struct mtr_date_time local;
    mtr_clock_local(&app->cfg.clock, mtr_app_floor_s(t_us), &local);
    return (local.status & MTR_CLOCK_ST_DST) != 0u ? MTR_HIST_ST_DST : 0u;
}

void
mtr_app_capture(struct mtr_app *app, enum mtr_app_prof p)
{
    struct mtr_app_state *st = &app->st;
    struct mtr_app_prof_state *ps = &st->prof[p];
    int64_t t = st->t_us;
    int64_t period_us = (int64_t)app->cfg.capture_s[p] * 1000000LL;
    uint32_t status = ps->status | dst_status(app, t);
    if (st->clock_status & MTR_CLOCK_ST_INVALID) {
        status |= MTR_HIST_ST_CLOCK_BAD;
    }
    /* an interval the meter did not measure whole is not valid (first one, outages) */
    int64_t span_us = t - ps->start_t_us;
    if (span_us < period_us || ps->acc.covered_s * 1e6 + 1.0 < (double)span_us) {
        status |= MTR_HIST_ST_INVALID;
    }
    if (p == MTR_PROF_ENERGY) {
        struct mtr_hist_entry *e = mtr_app_new_entry(app, MTR_HIST_PROFILE_1, t);
        if (e != NULL) {
            int64_t now[4];
            mtr_app_total4(st, now);
            int64_t span_s = (t - (ps->last_t_us > 0 ? ps->last_t_us : ps->start_t_us)) / 1000000LL;
            e->status = status;
            for (unsigned q = 0; q < 4u; q++) {
                e->v[q] = now[q];
                e->v[4u + q] = now[q] - ps->reg_at_last[q];
            }
            e->v[8] = mean_mW(e->v[4], span_s);
            e->v[9] = mean_mW(e->v[5], span_s);
            e->v[10] = st->tariff;
            e->n_values = 11;
            for (unsigned q = 0; q < 4u; q++) {
                ps->reg_at_last[q] = now[q];
            }
        }
    } else {
        const struct mtr_app_acc *a = &ps->acc;
        double inv = a->covered_s > 0.0 ? 1.0 / a->covered_s : 0.0;
        if (p == MTR_PROF_PQ) {
            struct mtr_hist_entry *e = mtr_app_new_entry(app, MTR_HIST_PROFILE_PQ, t);
            if (e != NULL) {
                e->status = status;
                for (unsigned q = 0; q < MTR_APP_AVG_QTY; q++) {
                    e->v[q] = to_int(a->sum[q] * inv, k_avg_scale[q]);
                }
                e->n_values = MTR_APP_AVG_QTY;
            }
        } else {
            static const uint8_t logs[3] = {MTR_HIST_PROFILE_AVG, MTR_HIST_PROFILE_MIN,
                                            MTR_HIST_PROFILE_MAX};
            for (unsigned k = 0; k < 3u; k++) {
                struct mtr_hist_entry *e = mtr_app_new_entry(app, (enum mtr_hist_log)logs[k], t);
                if (e == NULL) {
                    continue;
                }
                e->status = status;
                for (unsigned q = 0; q < MTR_APP_AVG_QTY; q++) {
                    double x =
                        k == 0u ? a->sum[q] * inv : (double)(k == 1u ? a->min[q] : a->max[q]);
                    e->v[q] = to_int(x, k_avg_scale[q]);
                }
                e->n_values = MTR_APP_AVG_QTY;
            }
        }
    }
    acc_clear(&ps->acc);
    ps->status = 0;
    ps->last_t_us = t;
    ps->start_t_us = t;
    ps->next_t_us = mtr_app_grid_next(app, t, app->cfg.capture_s[p]);
}

/* ---- billing ------------------------------------------------------------------------ */

int64_t
mtr_app_billing_next(const struct mtr_app *app, unsigned b, int64_t t_us)
{
    const struct mtr_app_config *c = &app->cfg;
    if ((b == 0u && !c->billing_monthly) || (b == 1u && !c->billing_daily)) {
        return INT64_MAX;
    }
    struct mtr_date_time now;
    mtr_clock_local(&c->clock, mtr_app_floor_s(t_us), &now);
    int32_t y = (int32_t)now.year;
    unsigned m = now.month;
    unsigned d = b == 0u ? c->billing_day : now.day;
    unsigned hh = b == 0u ? c->billing_hour : 0u;
    unsigned mm = b == 0u ? c->billing_minute : 0u;
    /* the candidate this month (this day), else the next; at most two steps */
    for (unsigned step = 0; step < 3u; step++) {
        struct mtr_date_time cand;
        memset(&cand, 0, sizeof(cand));
        cand.year = (uint16_t)y;
        cand.month = (uint8_t)m;
        cand.day = (uint8_t)d;
        cand.hour = (uint8_t)hh;
        cand.minute = (uint8_t)mm;
        cand.tz_min = now.tz_min;
        int64_t utc_s = 0;
        if (mtr_clock_to_utc(&c->clock, &cand, &utc_s) != MTR_OK) {
            /* in the spring-forward gap: the first instant after it */
            cand.hour = (uint8_t)(cand.hour + 1u);
            if (mtr_clock_to_utc(&c->clock, &cand, &utc_s) != MTR_OK) {
                return INT64_MAX;
            }
        }
        if (utc_s * 1000000LL > t_us) {
            return utc_s * 1000000LL;
        }
        if (b == 0u) {
            m++;
            if (m > 12u) {
                m = 1;
                y++;
            }
        } else {
            int64_t days = mtr_days_from_civil(y, m, d) + 1;
            int32_t yy = 0;
            unsigned mo = 0;
            unsigned dd = 0;
            mtr_civil_from_days(days, &yy, &mo, &dd);
            y = yy;
            m = mo;
            d = dd;
        }
    }
    return INT64_MAX;
}

void
mtr_app_billing(struct mtr_app *app, unsigned b, int64_t t_us, enum mtr_app_who who)
{
    struct mtr_app_state *st = &app->st;
    enum mtr_hist_log log = b == 0u ? MTR_HIST_BILLING_MONTHLY : MTR_HIST_BILLING_DAILY;
    struct mtr_hist_entry *e = mtr_app_new_entry(app, log, t_us);
    int64_t now[4];
    mtr_app_total4(st, now);
    if (e != NULL) {
        static const uint8_t kinds[4] = {MTR_REG_A_IMP, MTR_REG_A_EXP, MTR_REG_R_IMP,
                                         MTR_REG_R_EXP};
        unsigned n = 0;
        for (unsigned k = 0; k < 4u; k++) {
            e->v[n++] = now[k];
            for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
                e->v[n++] = st->tar_u[t][kinds[k]];
            }
        }
        for (unsigned k = 0; k < 4u; k++) {
            e->v[n++] = now[k] - st->bill_reg_at_last[b][k];
        }
        const struct mtr_app_demand *d = &st->dem;
        e->v[n++] = d->max_mW[0][MTR_DEM_P_IMP];
        e->v[n++] = d->max_t_us[0][MTR_DEM_P_IMP] / 1000000LL;
        e->v[n++] = d->max_mW[0][MTR_DEM_P_EXP];
        e->v[n++] = d->max_t_us[0][MTR_DEM_P_EXP] / 1000000LL;
        for (unsigned t = 1; t <= MTR_APP_TARIFFS; t++) {
            e->v[n++] = d->max_mW[t][MTR_DEM_P_IMP];
        }
        e->n_values = (uint8_t)n;
        e->status = dst_status(app, t_us);
        e->code = (uint16_t)who;
    }
    for (unsigned k = 0; k < 4u; k++) {
        st->bill_reg_at_last[b][k] = now[k];
    }
    st->bill_last_us[b] = t_us;
    if (b == 0u) {
        st->bill_count++;
        if (app->cfg.billing_resets_md) {
            demand_reset(app, MTR_WHO_METER);
        }
    }
}

enum mtr_err
mtr_app_billing_reset(struct mtr_app *app, enum mtr_app_who who)
{
    if (app == NULL || !app->started) {
        return MTR_EINVAL;
    }
    mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_BILLING_RESET, app->st.t_us, (int64_t)who, 0, "");
    mtr_app_billing(app, 0, app->st.t_us, who);
    return MTR_OK;
}

/* ---- outages -------------------------------------------------------------------------- */

void
mtr_app_outage(struct mtr_app *app, int64_t from_us, int64_t to_us)
{
    struct mtr_app_state *st = &app->st;
    int64_t dur_s = (to_us - from_us) / 1000000LL;
    mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_POWER_DOWN, from_us, 0, 0, "");
    if (dur_s >= (int64_t)app->cfg.long_outage_s) {
        st->outages_long++;
        st->outage_long_s += dur_s;
        mtr_app_event(app, MTR_HIST_EVENT_PWR, MTR_EV_PWR_LONG, to_us, from_us, dur_s, "");
    } else {
        st->outages_short++;
        mtr_app_event(app, MTR_HIST_EVENT_PWR, MTR_EV_PWR_SHORT, to_us, from_us, dur_s, "");
    }
    /* billing dates during the outage are closed with the registers as they stood (at most
     * 16 per kind, so one outage cannot overflow the entry queue) */
    for (unsigned k = 0; k < 2u; k++) {
        unsigned b = 1u - k; /* daily first, as at a boundary */
        for (unsigned guard = 0; guard < 16u && st->bill_next_us[b] <= to_us; guard++) {
            int64_t tb = st->bill_next_us[b];
            mtr_app_billing(app, b, tb, MTR_WHO_METER);
            st->bill_next_us[b] = mtr_app_billing_next(app, b, tb);
        }
    }
}
