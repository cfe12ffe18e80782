/*
 * Time zone and daylight saving time: UTC to local time and back, the DST state at an
 * instant and the next change. A DST rule is turned into a UTC instant per year; the state at
 * an instant is the one set by the latest change at or before it among the changes of the
 * neighbouring years, so rules for either hemisphere (begin after or before end in the year)
 * work alike.
 */
#include "meterd/clock.h"

#include <limits.h>
#include <stdint.h>

#define S_PER_MIN  60
#define S_PER_HOUR 3600
#define S_PER_DAY  86400

/* The representable range of struct mtr_date_time.year that we support: 0001..9999. */
#define YEAR_MIN 1
#define YEAR_MAX 9999

/* Changes are looked for in this many years around the instant's UTC year: a rule's UTC
 * instant can lie up to a day (zone + deviation + hour) from its civil date. */
#define YEARS_BEFORE 1
#define YEARS_AFTER  2

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t
utc_min_s(void)
{
    return mtr_days_from_civil(YEAR_MIN, 1, 1) * S_PER_DAY;
}

static int64_t
utc_max_s(void)
{
    return mtr_days_from_civil(YEAR_MAX, 12, 31) * S_PER_DAY + (S_PER_DAY - 1);
}

void
mtr_clock_config_default(struct mtr_clock_config *c)
{
    static const struct mtr_dst_rule eu_begin = MTR_CLOCK_DST_EU_BEGIN;
    static const struct mtr_dst_rule eu_end = MTR_CLOCK_DST_EU_END;
    if (c == NULL) {
        return;
    }
    c->tz_min = 0;
    c->dst_enabled = false;
    c->dst_begin = eu_begin;
    c->dst_end = eu_end;
    c->dst_deviation_min = 60;
}

static const char *
rule_fault(const struct mtr_dst_rule *r)
{
    if (r->month < 1u || r->month > 12u) {
        return "month not 1..12";
    }
    if (r->day != MTR_CLOCK_DAY_LAST && r->day != MTR_CLOCK_DAY_SECOND_LAST &&
        (r->day < 1u || r->day > mtr_dt_days_in_month(1970, r->month))) {
        return "day not in the month (or last, second last)";
    }
    if (r->dow > 7u) {
        return "weekday not 0..7";
    }
    if (r->hour > 23u || r->minute > 59u) {
        return "time of day out of range";
    }
    return NULL;
}

enum mtr_err
mtr_clock_config_check(const struct mtr_clock_config *c, const char **what)
{
    const char *w = NULL;
    if (c == NULL) {
        w = "no clock configuration";
    } else if (c->tz_min < MTR_CLOCK_TZ_MIN_MIN || c->tz_min > MTR_CLOCK_TZ_MAX_MIN) {
        w = "time zone not -720..840 minutes";
    } else if (!c->dst_enabled) {
        w = NULL;
    } else if (c->dst_deviation_min < 1 || c->dst_deviation_min > MTR_CLOCK_DEV_MAX_MIN) {
        w = "DST deviation not 1..120 minutes";
    } else if (rule_fault(&c->dst_begin) != NULL) {
        w = "DST begin: invalid rule";
    } else if (rule_fault(&c->dst_end) != NULL) {
        w = "DST end: invalid rule";
    } else if (c->dst_begin.month == c->dst_end.month) {
        w = "DST begin and end in the same month";
    }
    if (w != NULL) {
        if (what != NULL) {
            *what = w;
        }
        return MTR_EINVAL;
    }
    return MTR_OK;
}

/* Day number of the rule's day in year y. */
static int64_t
rule_day(int32_t y, const struct mtr_dst_rule *r)
{
    unsigned dim = mtr_dt_days_in_month(y, r->month);
    bool backward = false;
    int64_t base;
    if (r->day == MTR_CLOCK_DAY_LAST) {
        base = mtr_days_from_civil(y, r->month, dim);
        backward = true;
    } else if (r->day == MTR_CLOCK_DAY_SECOND_LAST) {
        base = mtr_days_from_civil(y, r->month, dim - 1u);
        backward = true;
    } else {
        base = mtr_days_from_civil(y, r->month, r->day);
    }
    if (r->dow == 0u) {
        return base;
    }
    int64_t wd = (int64_t)mtr_dt_dow(base);
    if (backward) {
        return base - ((wd - (int64_t)r->dow + 7) % 7);
    }
    return base + (((int64_t)r->dow - wd + 7) % 7);
}

/* UTC instant of a rule in year y; before_min is the zone in force before the change. */
static int64_t
rule_utc(int32_t y, const struct mtr_dst_rule *r, int32_t before_min)
{
    int64_t t =
        rule_day(y, r) * S_PER_DAY + (int64_t)r->hour * S_PER_HOUR + (int64_t)r->minute * S_PER_MIN;
    if (!r->is_utc) {
        t -= (int64_t)before_min * S_PER_MIN;
    }
    return t;
}

static int32_t
utc_year(int64_t utc_s)
{
    int32_t y;
    mtr_civil_from_days(floor_div(utc_s, S_PER_DAY), &y, NULL, NULL);
    return y;
}

bool
mtr_clock_is_dst(const struct mtr_clock_config *c, int64_t utc_s)
{
    if (c == NULL || !c->dst_enabled) {
        return false;
    }
    int32_t y0 = utc_year(utc_s);
    int32_t std_min = c->tz_min;
    int32_t dst_min = (int32_t)c->tz_min + c->dst_deviation_min;
    int64_t latest = INT64_MIN;
    bool on = false;
    for (int32_t y = y0 - YEARS_BEFORE; y <= y0 + YEARS_AFTER; y++) {
        int64_t b = rule_utc(y, &c->dst_begin, std_min);
        int64_t e = rule_utc(y, &c->dst_end, dst_min);
        if (b <= utc_s && b > latest) {
            latest = b;
            on = true;
        }
        if (e <= utc_s && e > latest) {
            latest = e;
            on = false;
        }
    }
    return on;
}

int64_t
mtr_clock_next_dst_change(const struct mtr_clock_config *c, int64_t utc_s)
{
    if (c == NULL || !c->dst_enabled) {
        return INT64_MAX;
    }
    if (utc_s >= utc_max_s()) {
        return INT64_MAX;
    }
    int32_t std_min = c->tz_min;
    int32_t dst_min = (int32_t)c->tz_min + c->dst_deviation_min;
    bool now_on = mtr_clock_is_dst(c, utc_s);
    int64_t t = utc_s;
    /* Changes alternate for a checked configuration; the loop only guards odd rules whose
     * instants coincide in some year (then the "change" leaves the state as it was). */
    for (unsigned guard = 0; guard < 4u; guard++) {
        int32_t y0 = utc_year(t);
        int64_t next = INT64_MAX;
        for (int32_t y = y0 - YEARS_BEFORE; y <= y0 + YEARS_AFTER; y++) {
            int64_t b = rule_utc(y, &c->dst_begin, std_min);
            int64_t e = rule_utc(y, &c->dst_end, dst_min);
            if (b > t && b < next) {
                next = b;
            }
            if (e > t && e < next) {
                next = e;
            }
        }
        if (next == INT64_MAX || mtr_clock_is_dst(c, next) != now_on) {
            return next;
        }
        t = next;
    }
    return t;
}

static int32_t
offset_min(const struct mtr_clock_config *c, int64_t utc_s, bool *is_dst)
{
    bool on = mtr_clock_is_dst(c, utc_s);
    if (is_dst != NULL) {
        *is_dst = on;
    }
    return (int32_t)c->tz_min + (on ? c->dst_deviation_min : 0);
}

void
mtr_clock_local(const struct mtr_clock_config *c, int64_t utc_s, struct mtr_date_time *out)
{
    if (c == NULL || out == NULL) {
        return;
    }
    /* keep the local time inside 0001..9999 whatever the zone */
    int64_t lo = utc_min_s() + S_PER_DAY;
    int64_t hi = utc_max_s() - S_PER_DAY;
    if (utc_s < lo) {
        utc_s = lo;
    } else if (utc_s > hi) {
        utc_s = hi;
    }
    bool on = false;
    int32_t off = offset_min(c, utc_s, &on);
    int64_t local_s = utc_s + (int64_t)off * S_PER_MIN;
    int64_t days = floor_div(local_s, S_PER_DAY);
    int64_t sod = local_s - days * S_PER_DAY;
    int32_t y;
    unsigned m;
    unsigned d;
    mtr_civil_from_days(days, &y, &m, &d);
    out->year = (uint16_t)y;
    out->month = (uint8_t)m;
    out->day = (uint8_t)d;
    out->dow = (uint8_t)mtr_dt_dow(days);
    out->hour = (uint8_t)(sod / S_PER_HOUR);
    out->minute = (uint8_t)((sod / S_PER_MIN) % 60);
    out->second = (uint8_t)(sod % S_PER_MIN);
    out->tz_min = (int16_t)off;
    out->status = on ? (uint8_t)MTR_CLOCK_ST_DST : (uint8_t)0;
}

enum mtr_err
mtr_clock_to_utc(const struct mtr_clock_config *c,
                 const struct mtr_date_time *local,
                 int64_t *utc_s)
{
    if (c == NULL || local == NULL || utc_s == NULL) {
        return MTR_EINVAL;
    }
    if (local->year < YEAR_MIN || local->year > YEAR_MAX || local->day < 1u ||
        local->day > mtr_dt_days_in_month(local->year, local->month) || local->hour > 23u ||
        local->minute > 59u || local->second > 59u) {
        return MTR_EINVAL;
    }
    int64_t local_s = mtr_days_from_civil(local->year, local->month, local->day) * S_PER_DAY +
                      (int64_t)local->hour * S_PER_HOUR + (int64_t)local->minute * S_PER_MIN +
                      (int64_t)local->second;
    int32_t std_min = c->tz_min;
    int64_t u_std = local_s - (int64_t)std_min * S_PER_MIN;
    if (!c->dst_enabled) {
        *utc_s = u_std;
        return MTR_OK;
    }
    int32_t dst_min = (int32_t)c->tz_min + c->dst_deviation_min;
    int64_t u_dst = local_s - (int64_t)dst_min * S_PER_MIN;
    bool std_ok = !mtr_clock_is_dst(c, u_std);
    bool dst_ok = mtr_clock_is_dst(c, u_dst);
    if (std_ok && dst_ok) {
        /* autumn: the wall time happens twice */
        if (local->tz_min == std_min) {
            *utc_s = u_std;
        } else if (local->tz_min == dst_min) {
            *utc_s = u_dst;
        } else {
            *utc_s = u_dst < u_std ? u_dst : u_std;
        }
        return MTR_OK;
    }
    if (std_ok) {
        *utc_s = u_std;
        return MTR_OK;
    }
    if (dst_ok) {
        *utc_s = u_dst;
        return MTR_OK;
    }
    return MTR_ERANGE; /* spring: the wall time was skipped */
}

int16_t
mtr_clock_tz_to_dlms(int16_t tz_min)
{
    return (int16_t)-tz_min;
}

int16_t
mtr_clock_tz_from_dlms(int16_t dlms_min)
{
    if (dlms_min == INT16_MIN) {
        return 0; /* 0x8000: deviation not specified */
    }
    return (int16_t)-dlms_min;
}
