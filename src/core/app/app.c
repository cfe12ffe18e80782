/*
 * Meter application (app.h): clock, frame cutting at boundaries, registers,
 * tariff and partial registers, commands. Captures (demand, profiles, billing)
 * are in app_capture.c; entries and events in app_entry.c.
 */
#include <math.h>
#include <string.h>

#include "app_int.h"
#include "meterd/app.h"

/* 2000-01-01T00:00:00Z and 2200-01-01T00:00:00Z, us: the clock's range. */
#define T_MIN_us 946684800000000LL
#define T_MAX_us 7258118400000000LL

void
mtr_app_config_default(struct mtr_app_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    mtr_clock_config_default(&cfg->clock);
    cfg->tariff_src = MTR_TARIFF_CALENDAR;
    cfg->demand_period_s = 900;
    cfg->demand_subs = 3;
    for (unsigned p = 0; p < MTR_PROF_COUNT; p++) {
        cfg->capture_s[p] = 900;
    }
    cfg->billing_monthly = true;
    cfg->billing_day = 1;
    cfg->billing_daily = true;
    cfg->billing_resets_md = true;
    cfg->long_outage_s = 180;
    cfg->gap_s = 2;
}

static bool
divides_hour(uint32_t s)
{
    return s >= 60u && s <= 3600u && 3600u % s == 0u;
}

enum mtr_err
mtr_app_config_check(const struct mtr_app_config *cfg, const char **what)
{
    const char *w = NULL;
    if (cfg == NULL) {
        w = "no configuration";
    } else if (mtr_clock_config_check(&cfg->clock, &w) != MTR_OK) {
        /* w set by the clock check */
    } else if ((unsigned)cfg->tariff_src > (unsigned)MTR_TARIFF_INPUT) {
        w = "tariff source: not calendar, com or input";
    } else if (!divides_hour(cfg->demand_period_s)) {
        w = "demand period: 60..3600 s and a divisor of one hour";
    } else if (cfg->demand_subs < 1u || cfg->demand_subs > MTR_APP_MAX_SUBS ||
               cfg->demand_period_s % cfg->demand_subs != 0u ||
               (cfg->demand_period_s / cfg->demand_subs) % 60u != 0u) {
        w = "demand sub-intervals: 1..15, each a whole number of minutes";
    } else if (!divides_hour(cfg->capture_s[MTR_PROF_ENERGY])) {
        w = "load profile 1 capture period: 1..60 min and a divisor of one hour";
    } else if (!divides_hour(cfg->capture_s[MTR_PROF_PQ])) {
        w = "power-quality profile capture period: 1..60 min and a divisor of one hour";
    } else if (!divides_hour(cfg->capture_s[MTR_PROF_AMM])) {
        w = "average/min/max profile capture period: 1..60 min and a divisor of one hour";
    } else if (cfg->billing_day < 1u || cfg->billing_day > 28u) {
        w = "billing day: 1..28";
    } else if (cfg->billing_hour > 23u || cfg->billing_minute > 59u) {
        w = "billing time: 00:00..23:59";
    } else if (cfg->long_outage_s < 1u || cfg->long_outage_s > 86400u) {
        w = "long outage threshold: 1..86400 s";
    } else if (cfg->gap_s < 1u || cfg->gap_s > 3600u) {
        w = "outage gap: 1..3600 s";
    }
    if (what != NULL) {
        *what = w;
    }
    return w == NULL ? MTR_OK : MTR_EINVAL;
}

enum mtr_err
mtr_app_init(struct mtr_app *app, const struct mtr_app_config *cfg, const struct mtr_cal *cal)
{
    if (app == NULL || cal == NULL || mtr_app_config_check(cfg, NULL) != MTR_OK) {
        return MTR_EINVAL;
    }
    struct mtr_cal_error where;
    if (mtr_cal_check(cal, &where) != MTR_OK) {
        return MTR_EINVAL;
    }
    memset(app, 0, sizeof(*app));
    app->cfg = *cfg;
    mtr_reg_init(&app->st.reg);
    app->st.tariff = 1;
    app->st.tariff_com = 1;
    app->st.cal.active = *cal;
    mtr_cal_default(&app->st.cal.passive);
    app->st.cal.activate_utc_s = INT64_MAX;
    return MTR_OK;
}

/* Next instant > t_us on the grid of period_s seconds of local normal time. */
int64_t
mtr_app_grid_next(const struct mtr_app *app, int64_t t_us, uint32_t period_s)
{
    int64_t tz_us = (int64_t)app->cfg.clock.tz_min * 60000000LL;
    int64_t p_us = (int64_t)period_s * 1000000LL;
    int64_t local = t_us + tz_us;
    int64_t q = local / p_us;
    if (local < 0 && local % p_us != 0) {
        q--;
    }
    return (q + 1) * p_us - tz_us;
}

/* Tariff the configured source selects at t_us. */
static uint8_t
select_tariff(const struct mtr_app *app, int64_t t_us)
{
    switch (app->cfg.tariff_src) {
    case MTR_TARIFF_COM:
        return app->st.tariff_com;
    case MTR_TARIFF_INPUT:
        return app->st.input_on ? 2u : 1u;
    case MTR_TARIFF_CALENDAR:
    default:
        break;
    }
    struct mtr_date_time local;
    mtr_clock_local(&app->cfg.clock, mtr_app_floor_s(t_us), &local);
    uint8_t tariff = 1;
    uint8_t day_id = 0;
    if (mtr_cal_tariff(&app->st.cal.active, &local, &tariff, &day_id) != MTR_OK || tariff < 1u ||
        tariff > MTR_APP_TARIFFS) {
        tariff = 1;
    }
    return tariff;
}

int64_t
mtr_app_floor_s(int64_t t_us)
{
    int64_t s = t_us / 1000000LL;
    if (t_us < 0 && t_us % 1000000LL != 0) {
        s--;
    }
    return s;
}

static int64_t
min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The earliest boundary of any kind after the current time. */
void
mtr_app_schedule(struct mtr_app *app)
{
    const struct mtr_app_state *st = &app->st;
    int64_t next = st->dem.sub_end_us;
    for (unsigned p = 0; p < MTR_PROF_COUNT; p++) {
        next = min64(next, st->prof[p].next_t_us);
    }
    next = min64(next, st->bill_next_us[0]);
    next = min64(next, st->bill_next_us[1]);
    if (st->cal.activate_utc_s != INT64_MAX && st->cal.activate_utc_s < INT64_MAX / 1000000LL) {
        next = min64(next, st->cal.activate_utc_s * 1000000LL);
    }
    if (app->cfg.tariff_src == MTR_TARIFF_CALENDAR) {
        int64_t c =
            mtr_cal_next_change(&st->cal.active, &app->cfg.clock, mtr_app_floor_s(st->t_us));
        if (c < INT64_MAX / 1000000LL) {
            next = min64(next, c * 1000000LL);
        }
    }
    if (next <= st->t_us) {
        next = st->t_us + 1; /* never stall */
    }
    app->next_us = next;
}

/* (Re)build every schedule from the current time; after start, a clock change or reconfigure. */
void
mtr_app_reschedule_all(struct mtr_app *app, uint32_t extra_status)
{
    struct mtr_app_state *st = &app->st;
    int64_t t = st->t_us;
    for (unsigned p = 0; p < MTR_PROF_COUNT; p++) {
        struct mtr_app_prof_state *ps = &st->prof[p];
        int64_t from = t > ps->last_t_us ? t : ps->last_t_us;
        ps->next_t_us = mtr_app_grid_next(app, from, app->cfg.capture_s[p]);
        ps->status |= extra_status;
        if (ps->start_t_us == 0) {
            ps->start_t_us = t;
        }
    }
    uint32_t sub_s = app->cfg.demand_period_s / app->cfg.demand_subs;
    st->dem.sub_start_us = t;
    st->dem.sub_end_us = mtr_app_grid_next(app, t, sub_s);
    st->dem.subs_valid = 0; /* the window restarts: no maximum from a broken window */
    st->dem.sub_pos = 0;
    mtr_app_total4(st, st->dem.reg_at_sub_start);
    for (unsigned b = 0; b < 2u; b++) {
        int64_t from = t > st->bill_last_us[b] ? t : st->bill_last_us[b];
        st->bill_next_us[b] = mtr_app_billing_next(app, b, from);
    }
    st->tariff = select_tariff(app, t);
    mtr_app_schedule(app);
}

void
mtr_app_total4(const struct mtr_app_state *st, int64_t out[4])
{
    out[0] = st->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP];
    out[1] = st->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_EXP];
    out[2] = st->reg.e_u[MTR_REG_TOTAL][MTR_REG_R_IMP];
    out[3] = st->reg.e_u[MTR_REG_TOTAL][MTR_REG_R_EXP];
}

enum mtr_err
mtr_app_start(struct mtr_app *app, int64_t now_us, bool is_live)
{
    if (app == NULL) {
        return MTR_EINVAL;
    }
    struct mtr_app_state *st = &app->st;
    bool fresh = st->t_us == 0;
    if (fresh) {
        if (now_us == INT64_MIN || now_us < T_MIN_us || now_us >= T_MAX_us) {
            st->t_us = T_MIN_us;
            st->clock_status |= MTR_CLOCK_ST_INVALID;
            mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_CLOCK_INVALID, st->t_us, 0, 0, "");
        } else {
            st->t_us = now_us;
        }
        for (unsigned p = 0; p < MTR_PROF_COUNT; p++) {
            st->prof[p].start_t_us = st->t_us;
            mtr_app_total4(st, st->prof[p].reg_at_last);
        }
        for (unsigned b = 0; b < 2u; b++) {
            mtr_app_total4(st, st->bill_reg_at_last[b]);
        }
    }
    uint32_t status = fresh ? 0u : MTR_HIST_ST_POWER_DOWN;
    if (!fresh && is_live && now_us != INT64_MIN && now_us > st->t_us) {
        /* the meter was stopped: the outage runs from the last frame to now */
        mtr_app_outage(app, st->t_us, now_us);
        st->t_us = now_us;
    } else if (!fresh && is_live && now_us != INT64_MIN &&
               now_us + (int64_t)app->cfg.gap_s * 1000000LL < st->t_us) {
        /* the system clock is behind the stored meter clock: take the system clock */
        int64_t old = st->t_us;
        st->t_us = now_us;
        mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_CLOCK_OLD, old, old, now_us, "");
        mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_CLOCK_NEW, now_us, old, now_us, "");
        status |= MTR_HIST_ST_CLOCK_ADJ;
    }
    mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_POWER_UP, st->t_us, 0, 0, "");
    app->started = true;
    mtr_app_reschedule_all(app, status);
    return MTR_OK;
}

enum mtr_err
mtr_app_attach(struct mtr_app *app)
{
    if (app == NULL || app->st.t_us == 0) {
        return MTR_EINVAL;
    }
    app->started = true;
    mtr_app_schedule(app);
    return MTR_OK;
}

/* Add one piece [pos, pos + dt) of a frame: registers, tariff, partials, accumulators. */
static enum mtr_err
apply_piece(struct mtr_app *app,
            const struct mtr_metro_frame *fr,
            double share,
            int64_t dt_us,
            bool is_last)
{
    struct mtr_app_state *st = &app->st;
    int64_t inc[MTR_REG_CHAN_COUNT][MTR_REG_KIND_COUNT];
    enum mtr_err e = mtr_reg_apply_part(&st->reg, fr, share, (uint64_t)dt_us, is_last, inc);
    if (e != MTR_OK) {
        return e;
    }
    unsigned t = st->tariff >= 1u && st->tariff <= MTR_APP_TARIFFS ? st->tariff - 1u : 0u;
    for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
        st->tar_u[t][k] += inc[MTR_REG_TOTAL][k];
        if (st->partial.running) {
            st->partial.e_u[0][k] += inc[MTR_REG_TOTAL][k];
            st->partial.e_u[1u + t][k] += inc[MTR_REG_TOTAL][k];
        }
    }
    mtr_app_accumulate(app, fr, (double)dt_us * 1e-6);
    st->t_us += dt_us;
    return MTR_OK;
}

enum mtr_err
mtr_app_frame(struct mtr_app *app, const struct mtr_metro_frame *fr, int64_t t_end_us)
{
    if (app == NULL || fr == NULL || !app->started || !(fr->duration_s > 0.0) ||
        !(fr->duration_s * 1e6 <= (double)MTR_APP_MAX_FRAME_us)) {
        return MTR_EINVAL;
    }
    struct mtr_app_state *st = &app->st;
    int64_t dur_us = (int64_t)llround(fr->duration_s * 1e6);
    if (dur_us <= 0 || t_end_us < T_MIN_us || t_end_us >= T_MAX_us) {
        return MTR_EINVAL;
    }
    int64_t t_start = t_end_us - dur_us;
    int64_t gap_us = (int64_t)app->cfg.gap_s * 1000000LL;
    if (t_start > st->t_us + gap_us) {
        mtr_app_outage(app, st->t_us, t_start); /* meter time jumped: the source stopped */
        st->t_us = t_start;
        mtr_app_reschedule_all(app, MTR_HIST_ST_POWER_DOWN);
    } else if (t_start + gap_us < st->t_us) {
        enum mtr_err e = mtr_app_set_time(app, t_start, MTR_WHO_METER);
        if (e != MTR_OK) {
            return e;
        }
    }
    /* small differences are the live clock's jitter: the frame starts where the last ended */
    int64_t pos = st->t_us;
    int64_t end = pos + dur_us;
    int64_t done_us = 0;
    while (pos < end) {
        int64_t b = app->next_us < end ? app->next_us : end;
        int64_t dt = b - pos;
        bool is_last = b == end;
        double share =
            is_last ? 1.0 - (double)done_us / (double)dur_us : (double)dt / (double)dur_us;
        enum mtr_err e = apply_piece(app, fr, share, dt, is_last);
        if (e != MTR_OK) {
            return e; /* only the first piece can fail (a huge frame): nothing changed then */
        }
        done_us += dt;
        pos = b;
        if (pos >= app->next_us) {
            mtr_app_boundary(app);
        }
    }
    return MTR_OK;
}

/* Everything due at the current time, in a fixed order, then the next boundary. */
void
mtr_app_boundary(struct mtr_app *app)
{
    struct mtr_app_state *st = &app->st;
    int64_t t = st->t_us;
    if (t >= st->dem.sub_end_us) {
        mtr_app_demand_close(app);
    }
    for (unsigned p = 0; p < MTR_PROF_COUNT; p++) {
        if (t >= st->prof[p].next_t_us) {
            mtr_app_capture(app, (enum mtr_app_prof)p);
        }
    }
    /* daily before monthly: a daily entry at the monthly instant holds the month's maximum
     * demand, which the monthly billing then resets */
    for (unsigned k = 0; k < 2u; k++) {
        unsigned b = 1u - k;
        if (t >= st->bill_next_us[b]) {
            mtr_app_billing(app, b, t, MTR_WHO_METER);
            st->bill_next_us[b] = mtr_app_billing_next(app, b, t);
        }
    }
    if (st->cal.activate_utc_s != INT64_MAX && mtr_actcal_step(&st->cal, mtr_app_floor_s(t))) {
        mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_TOU_ACTIVATED, t, 0, 0, st->cal.active.name);
    }
    st->tariff = select_tariff(app, t);
    mtr_app_schedule(app);
}

enum mtr_err
mtr_app_set_time(struct mtr_app *app, int64_t new_us, enum mtr_app_who who)
{
    if (app == NULL || !app->started || new_us < T_MIN_us || new_us >= T_MAX_us) {
        return MTR_EINVAL;
    }
    struct mtr_app_state *st = &app->st;
    int64_t old = st->t_us;
    if (new_us > old) {
        /* forward: billing dates passed over are closed at the new time */
        st->t_us = new_us;
        for (unsigned k = 0; k < 2u; k++) {
            unsigned b = 1u - k; /* daily first, as at a boundary */
            if (new_us >= st->bill_next_us[b]) {
                mtr_app_billing(app, b, new_us, MTR_WHO_METER);
            }
        }
    }
    st->t_us = new_us;
    st->clock_status &= ~(uint32_t)MTR_CLOCK_ST_INVALID;
    mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_CLOCK_OLD, old, old, new_us, "");
    mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_CLOCK_NEW, new_us, old, new_us, "");
    (void)who;
    mtr_app_reschedule_all(app, MTR_HIST_ST_CLOCK_ADJ);
    return MTR_OK;
}

enum mtr_err
mtr_app_shift_time(struct mtr_app *app, int32_t delta_s, enum mtr_app_who who)
{
    if (app == NULL || delta_s < -900 || delta_s > 900) {
        return MTR_EINVAL;
    }
    return mtr_app_set_time(app, app->st.t_us + (int64_t)delta_s * 1000000LL, who);
}

enum mtr_err
mtr_app_partial(struct mtr_app *app, enum mtr_partial_op op, enum mtr_app_who who)
{
    if (app == NULL || !app->started) {
        return MTR_EINVAL;
    }
    struct mtr_app_partial *pa = &app->st.partial;
    int64_t t = app->st.t_us;
    uint16_t code;
    switch (op) {
    case MTR_PARTIAL_START:
        if (!pa->running) {
            if (pa->start_t_us == 0) {
                pa->start_t_us = t;
            }
            pa->running = true;
            pa->stop_t_us = 0;
        }
        code = MTR_EV_PARTIAL_START;
        break;
    case MTR_PARTIAL_STOP:
        if (pa->running) {
            pa->running = false;
            pa->stop_t_us = t;
        }
        code = MTR_EV_PARTIAL_STOP;
        break;
    case MTR_PARTIAL_RESET:
        memset(pa->e_u, 0, sizeof(pa->e_u));
        pa->start_t_us = t;
        pa->stop_t_us = pa->running ? 0 : t;
        code = MTR_EV_PARTIAL_RESET;
        break;
    default:
        return MTR_EINVAL;
    }
    mtr_app_event(app, MTR_HIST_EVENT_STD, code, t, (int64_t)who, 0, "");
    return MTR_OK;
}

enum mtr_err
mtr_app_set_tariff(struct mtr_app *app, uint8_t tariff, enum mtr_app_who who)
{
    if (app == NULL || tariff < 1u || tariff > MTR_APP_TARIFFS) {
        return MTR_EINVAL;
    }
    app->st.tariff_com = tariff;
    if (app->started) {
        mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_TARIFF_SET, app->st.t_us, tariff,
                      (int64_t)who, "");
        app->st.tariff = select_tariff(app, app->st.t_us);
    }
    return MTR_OK;
}

void
mtr_app_set_input(struct mtr_app *app, bool on)
{
    if (app == NULL) {
        return;
    }
    app->st.input_on = on ? 1u : 0u;
    if (app->started) {
        app->st.tariff = select_tariff(app, app->st.t_us);
    }
}

enum mtr_err
mtr_app_reconfigure(struct mtr_app *app, const struct mtr_app_config *cfg)
{
    if (app == NULL || mtr_app_config_check(cfg, NULL) != MTR_OK) {
        return MTR_EINVAL;
    }
    struct mtr_app_config old = app->cfg;
    app->cfg = *cfg;
    if (app->started && memcmp(&old, cfg, sizeof(old)) != 0) {
        if (old.tariff_src != cfg->tariff_src) {
            mtr_app_event(app, MTR_HIST_EVENT_STD, MTR_EV_TARIFF_SRC, app->st.t_us,
                          (int64_t)cfg->tariff_src, 0, "");
        }
        mtr_app_reschedule_all(app, 0);
    }
    return MTR_OK;
}

enum mtr_err
mtr_app_set_passive(struct mtr_app *app, const struct mtr_cal *cal, int64_t activate_us)
{
    struct mtr_cal_error where;
    if (app == NULL || cal == NULL || mtr_cal_check(cal, &where) != MTR_OK) {
        return MTR_EINVAL;
    }
    app->st.cal.passive = *cal;
    app->st.cal.activate_utc_s =
        activate_us == INT64_MAX ? INT64_MAX : mtr_app_floor_s(activate_us);
    if (app->started) {
        mtr_app_schedule(app);
    }
    return MTR_OK;
}
