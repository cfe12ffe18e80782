/*
 * Activity calendar evaluation (DLMS IC 20): the default calendar, its validation, the
 * tariff in force at a local time, the next instant at which to look again, and the
 * activation of the passive calendar. The tables are small (at most 12 seasons, 12 weeks,
 * 8 days, 100 special days), so every look-up is a linear scan: no index to keep in step.
 */
#include "meterd/actcal.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define S_PER_MIN        60
#define S_PER_HOUR       3600
#define S_PER_DAY        86400
#define DAYS_PER_WEEK    7
/* Seasons are ordered by (month, day, time): month * MONTH_KEY + day fits in a key. */
#define MONTH_KEY        32
#define SPECIAL_YEAR_MIN 1970
#define SPECIAL_YEAR_MAX 2199

static void
set_name(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= MTR_CAL_NAME_CAP) {
        n = MTR_CAL_NAME_CAP - 1u;
    }
    memset(dst, 0, MTR_CAL_NAME_CAP);
    memcpy(dst, src, n);
}

void
mtr_cal_default(struct mtr_cal *cal)
{
    if (cal == NULL) {
        return;
    }
    memset(cal, 0, sizeof(*cal));
    set_name(cal->name, "default");
    cal->n_seasons = 1;
    set_name(cal->season[0].name, "all");
    cal->season[0].month = 1;
    cal->season[0].day = 1;
    set_name(cal->season[0].week_name, "week");
    cal->n_weeks = 1;
    set_name(cal->week[0].name, "week");
    memset(cal->week[0].day_id, 1, sizeof(cal->week[0].day_id));
    cal->n_days = 1;
    cal->day[0].id = 1;
    cal->day[0].n_switches = 1;
    cal->day[0].sw[0].tariff = 1;
}

static bool
name_ok(const char *name)
{
    return memchr(name, '\0', MTR_CAL_NAME_CAP) != NULL;
}

static bool
name_eq(const char *a, const char *b)
{
    return strncmp(a, b, MTR_CAL_NAME_CAP) == 0;
}

static const struct mtr_cal_week *
find_week(const struct mtr_cal *cal, const char *name)
{
    for (unsigned i = 0; i < cal->n_weeks && i < MTR_CAL_MAX_WEEKS; i++) {
        if (name_eq(cal->week[i].name, name)) {
            return &cal->week[i];
        }
    }
    return NULL;
}

static const struct mtr_cal_day *
find_day(const struct mtr_cal *cal, uint8_t id)
{
    for (unsigned i = 0; i < cal->n_days && i < MTR_CAL_MAX_DAYS; i++) {
        if (cal->day[i].id == id) {
            return &cal->day[i];
        }
    }
    return NULL;
}

static int64_t
season_key(unsigned month, unsigned day, int64_t sod)
{
    return ((int64_t)month * MONTH_KEY + (int64_t)day) * S_PER_DAY + sod;
}

static int64_t
sw_sod(const struct mtr_cal_switch *sw)
{
    return (int64_t)sw->hour * S_PER_HOUR + (int64_t)sw->minute * S_PER_MIN + (int64_t)sw->second;
}

static enum mtr_err
fail(struct mtr_cal_error *where, const char *item, unsigned index, unsigned sub, const char *msg)
{
    if (where != NULL) {
        where->item = item;
        where->index = index;
        where->sub = sub;
        where->msg = msg;
    }
    return MTR_EINVAL;
}

static enum mtr_err
check_counts(const struct mtr_cal *cal, struct mtr_cal_error *where)
{
    if (!name_ok(cal->name)) {
        return fail(where, "calendar", 0, 0, "calendar name longer than 8 characters");
    }
    if (cal->n_seasons > MTR_CAL_MAX_SEASONS) {
        return fail(where, "season", cal->n_seasons, 0, "more than 12 seasons");
    }
    if (cal->n_weeks > MTR_CAL_MAX_WEEKS) {
        return fail(where, "week", cal->n_weeks, 0, "more than 12 week profiles");
    }
    if (cal->n_days > MTR_CAL_MAX_DAYS) {
        return fail(where, "day", cal->n_days, 0, "more than 8 day profiles");
    }
    if (cal->n_special > MTR_CAL_MAX_SPECIAL) {
        return fail(where, "special", cal->n_special, 0, "more than 100 special days");
    }
    if (cal->n_seasons == 0u) {
        return fail(where, "season", 0, 0, "no season");
    }
    return MTR_OK;
}

static enum mtr_err
check_seasons(const struct mtr_cal *cal, struct mtr_cal_error *where)
{
    for (unsigned i = 0; i < cal->n_seasons; i++) {
        const struct mtr_cal_season *s = &cal->season[i];
        if (!name_ok(s->name) || !name_ok(s->week_name)) {
            return fail(where, "season", i, 0, "name longer than 8 characters");
        }
        /* Feb 29 is allowed: in a common year that season starts on Mar 1 */
        if (s->day < 1u || s->day > mtr_dt_days_in_month(2000, s->month)) {
            return fail(where, "season", i, 0, "invalid start date");
        }
        if (s->hour > 23u || s->minute > 59u) {
            return fail(where, "season", i, 0, "start time out of range");
        }
        for (unsigned j = 0; j < i; j++) {
            const struct mtr_cal_season *o = &cal->season[j];
            if (o->month == s->month && o->day == s->day && o->hour == s->hour &&
                o->minute == s->minute) {
                return fail(where, "season", i, 0, "overlapping seasons (same start)");
            }
        }
        if (find_week(cal, s->week_name) == NULL) {
            return fail(where, "season", i, 0, "season names an unknown week");
        }
    }
    return MTR_OK;
}

static enum mtr_err
check_weeks(const struct mtr_cal *cal, struct mtr_cal_error *where)
{
    for (unsigned i = 0; i < cal->n_weeks; i++) {
        const struct mtr_cal_week *w = &cal->week[i];
        if (!name_ok(w->name)) {
            return fail(where, "week", i, 0, "name longer than 8 characters");
        }
        if (w->name[0] == '\0') {
            return fail(where, "week", i, 0, "empty week name");
        }
        for (unsigned j = 0; j < i; j++) {
            if (name_eq(cal->week[j].name, w->name)) {
                return fail(where, "week", i, 0, "duplicate week name");
            }
        }
        for (unsigned d = 0; d < DAYS_PER_WEEK; d++) {
            if (find_day(cal, w->day_id[d]) == NULL) {
                return fail(where, "week", i, d, "week names an unknown day id");
            }
        }
    }
    return MTR_OK;
}

static enum mtr_err
check_days(const struct mtr_cal *cal, struct mtr_cal_error *where)
{
    for (unsigned i = 0; i < cal->n_days; i++) {
        const struct mtr_cal_day *d = &cal->day[i];
        for (unsigned j = 0; j < i; j++) {
            if (cal->day[j].id == d->id) {
                return fail(where, "day", i, 0, "duplicate day id");
            }
        }
        if (d->n_switches == 0u) {
            return fail(where, "day", i, 0, "day profile has no switches");
        }
        if (d->n_switches > MTR_CAL_MAX_SWITCHES) {
            return fail(where, "day", i, 0, "more than 16 switches");
        }
        for (unsigned k = 0; k < d->n_switches; k++) {
            const struct mtr_cal_switch *sw = &d->sw[k];
            if (sw->hour > 23u || sw->minute > 59u || sw->second > 59u) {
                return fail(where, "switch", i, k, "switch time out of range");
            }
            if (sw->tariff < 1u || sw->tariff > MTR_CAL_TARIFFS) {
                return fail(where, "switch", i, k, "tariff not 1..4");
            }
            if (k > 0u && sw_sod(sw) <= sw_sod(&d->sw[k - 1u])) {
                return fail(where, "switch", i, k, "switch times not in ascending order");
            }
        }
    }
    return MTR_OK;
}

static enum mtr_err
check_special(const struct mtr_cal *cal, struct mtr_cal_error *where)
{
    for (unsigned i = 0; i < cal->n_special; i++) {
        const struct mtr_cal_special *s = &cal->special[i];
        bool every = s->year == MTR_CAL_YEAR_EVERY;
        if (!every && (s->year < SPECIAL_YEAR_MIN || s->year > SPECIAL_YEAR_MAX)) {
            return fail(where, "special", i, 0, "year not 1970..2199 or every year");
        }
        /* every year: Feb 29 is allowed (it then applies in leap years only) */
        if (s->day < 1u || s->day > mtr_dt_days_in_month(every ? 2000 : s->year, s->month)) {
            return fail(where, "special", i, 0, "invalid date");
        }
        for (unsigned j = 0; j < i; j++) {
            const struct mtr_cal_special *o = &cal->special[j];
            if (o->year == s->year && o->month == s->month && o->day == s->day) {
                return fail(where, "special", i, 0, "duplicate special day date");
            }
        }
        if (find_day(cal, s->day_id) == NULL) {
            return fail(where, "special", i, 0, "special day names an unknown day id");
        }
    }
    return MTR_OK;
}

enum mtr_err
mtr_cal_check(const struct mtr_cal *cal, struct mtr_cal_error *where)
{
    if (cal == NULL) {
        return fail(where, "calendar", 0, 0, "no calendar");
    }
    /* bottom up: days, then the weeks naming them, then the seasons naming weeks */
    enum mtr_err err = check_counts(cal, where);
    if (err == MTR_OK) {
        err = check_days(cal, where);
    }
    if (err == MTR_OK) {
        err = check_weeks(cal, where);
    }
    if (err == MTR_OK) {
        err = check_seasons(cal, where);
    }
    if (err == MTR_OK) {
        err = check_special(cal, where);
    }
    return err;
}

/* The season in force at month/day/second-of-day; NULL when there is none. */
static const struct mtr_cal_season *
season_at(const struct mtr_cal *cal, unsigned month, unsigned day, int64_t sod)
{
    int64_t now = season_key(month, day, sod);
    const struct mtr_cal_season *best = NULL;
    const struct mtr_cal_season *latest = NULL;
    int64_t best_key = -1;
    int64_t latest_key = -1;
    unsigned n = cal->n_seasons < MTR_CAL_MAX_SEASONS ? cal->n_seasons : MTR_CAL_MAX_SEASONS;
    for (unsigned i = 0; i < n; i++) {
        const struct mtr_cal_season *s = &cal->season[i];
        int64_t k = season_key(s->month, s->day,
                               (int64_t)s->hour * S_PER_HOUR + (int64_t)s->minute * S_PER_MIN);
        if (k <= now && k > best_key) {
            best = s;
            best_key = k;
        }
        if (k > latest_key) {
            latest = s;
            latest_key = k;
        }
    }
    return best != NULL ? best : latest; /* before every start: last year's latest season */
}

/* The day profile in force on day number `days` at second-of-day sod. */
static const struct mtr_cal_day *
day_at(const struct mtr_cal *cal, int64_t days, int64_t sod)
{
    int32_t y;
    unsigned m;
    unsigned d;
    mtr_civil_from_days(days, &y, &m, &d);
    unsigned n_sp = cal->n_special < MTR_CAL_MAX_SPECIAL ? cal->n_special : MTR_CAL_MAX_SPECIAL;
    const struct mtr_cal_special *every = NULL;
    for (unsigned i = 0; i < n_sp; i++) {
        const struct mtr_cal_special *s = &cal->special[i];
        if (s->month != m || s->day != d) {
            continue;
        }
        if ((int32_t)s->year == y) {
            return find_day(cal, s->day_id); /* a dated entry wins */
        }
        if (s->year == MTR_CAL_YEAR_EVERY && every == NULL) {
            every = s;
        }
    }
    if (every != NULL) {
        return find_day(cal, every->day_id);
    }
    const struct mtr_cal_season *season = season_at(cal, m, d, sod);
    if (season == NULL) {
        return NULL;
    }
    const struct mtr_cal_week *week = find_week(cal, season->week_name);
    if (week == NULL) {
        return NULL;
    }
    return find_day(cal, week->day_id[mtr_dt_dow(days) - 1u]);
}

static bool
day_usable(const struct mtr_cal_day *d)
{
    return d != NULL && d->n_switches >= 1u && d->n_switches <= MTR_CAL_MAX_SWITCHES;
}

enum mtr_err
mtr_cal_tariff(const struct mtr_cal *cal,
               const struct mtr_date_time *local,
               uint8_t *tariff,
               uint8_t *day_id)
{
    if (cal == NULL || local == NULL || tariff == NULL) {
        return MTR_EINVAL;
    }
    if (local->year < 1u || local->year > 9999u || local->day < 1u ||
        local->day > mtr_dt_days_in_month(local->year, local->month) || local->hour > 23u ||
        local->minute > 59u || local->second > 59u) {
        return MTR_EINVAL;
    }
    int64_t days = mtr_days_from_civil(local->year, local->month, local->day);
    int64_t sod = (int64_t)local->hour * S_PER_HOUR + (int64_t)local->minute * S_PER_MIN +
                  (int64_t)local->second;
    const struct mtr_cal_day *today = day_at(cal, days, sod);
    if (!day_usable(today)) {
        return MTR_EINVAL;
    }
    const struct mtr_cal_switch *in_force = NULL;
    for (unsigned k = 0; k < today->n_switches; k++) {
        if (sw_sod(&today->sw[k]) <= sod) {
            in_force = &today->sw[k];
        }
    }
    if (in_force == NULL) {
        /* before the first switch: the previous day's last switch still applies */
        const struct mtr_cal_day *prev = day_at(cal, days - 1, S_PER_DAY - 1);
        if (!day_usable(prev)) {
            return MTR_EINVAL;
        }
        in_force = &prev->sw[prev->n_switches - 1u];
    }
    *tariff = in_force->tariff;
    if (day_id != NULL) {
        *day_id = today->id;
    }
    return MTR_OK;
}

int64_t
mtr_cal_next_change(const struct mtr_cal *cal, const struct mtr_clock_config *clk, int64_t utc_s)
{
    /* beyond year 9999 there is nothing to schedule (and utc_s + a day must not overflow) */
    static const int64_t far_s = 253402300800; /* 10000-01-01T00:00:00Z */
    if (utc_s >= far_s) {
        return INT64_MAX;
    }
    if (cal == NULL || clk == NULL) {
        return utc_s + 1;
    }
    struct mtr_date_time lt;
    mtr_clock_local(clk, utc_s, &lt);
    int64_t sod =
        (int64_t)lt.hour * S_PER_HOUR + (int64_t)lt.minute * S_PER_MIN + (int64_t)lt.second;
    int64_t next = utc_s + (S_PER_DAY - sod); /* local midnight */
    int64_t dst = mtr_clock_next_dst_change(clk, utc_s);
    if (dst < next) {
        next = dst;
    }
    unsigned n = cal->n_seasons < MTR_CAL_MAX_SEASONS ? cal->n_seasons : MTR_CAL_MAX_SEASONS;
    for (unsigned i = 0; i < n; i++) {
        const struct mtr_cal_season *s = &cal->season[i];
        int64_t start = (int64_t)s->hour * S_PER_HOUR + (int64_t)s->minute * S_PER_MIN;
        if (s->month == lt.month && s->day == lt.day && start > sod && utc_s + start - sod < next) {
            next = utc_s + start - sod;
        }
    }
    int64_t days = mtr_days_from_civil(lt.year, lt.month, lt.day);
    const struct mtr_cal_day *today = day_at(cal, days, sod);
    if (day_usable(today)) {
        for (unsigned k = 0; k < today->n_switches; k++) {
            int64_t t = sw_sod(&today->sw[k]);
            if (t > sod) {
                if (utc_s + t - sod < next) {
                    next = utc_s + t - sod;
                }
                break;
            }
        }
    }
    return next;
}

bool
mtr_actcal_step(struct mtr_actcal *ac, int64_t utc_s)
{
    if (ac == NULL || ac->activate_utc_s == INT64_MAX || utc_s < ac->activate_utc_s) {
        return false;
    }
    ac->active = ac->passive;
    ac->activate_utc_s = INT64_MAX;
    return true;
}
