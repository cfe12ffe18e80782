/*
 * libFuzzer target: the text parsers of the activity calendar and of the DST rules
 * (mtr_cal_parse_day/_week/_season/_special, mtr_clock_parse_dst_rule), then the calendar
 * built from what they accept (mtr_cal_check, mtr_cal_tariff, mtr_cal_next_change).
 *
 * The input is split into lines (at most FZ_MAX_LINES, each NUL-terminated in a copy), and
 * every line is given to every parser, as a configuration file's values would be.
 *
 * Invariants checked, beyond the absence of crashes:
 *  - a parser returns MTR_OK or MTR_EPROTO; on MTR_EPROTO the output is untouched (guard
 *    pattern), the message is a non-empty text and the column lies within the line;
 *  - what a parser accepts is within the documented ranges (a day profile: 1..16 switches
 *    strictly ascending, H:M:S in range, T1..T4; a week: a 1..8-character name; a season:
 *    a real month-day start and H:MM; a special day: 1970..2199 or every year, a valid date;
 *    a DST rule: it passes mtr_clock_config_check() beside a rule of another month);
 *  - a calendar of the accepted items that passes mtr_cal_check() gives, at several instants
 *    (fixed ones and one from the input), MTR_OK with a tariff 1..4 and the id of one of its
 *    day profiles; mtr_cal_next_change() is later than the instant, and the tariff and day id
 *    one second before it are the same as at the instant (nothing changes before it).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterd/actcal.h"
#include "meterd/clock.h"
#include "meterd/err.h"

/* Lines looked at, and bytes per line (a config item is at most 192 bytes; room for more). */
#define FZ_MAX_LINES 48u
#define FZ_LINE_CAP  512u
#define FZ_GUARD     0xA5u
/* 1970-01-01 .. 2199-12-31 in seconds: instants mtr_cal_tariff is specified for. */
#define FZ_T_MAX_s   7258118399LL
#define FZ_TIMES     6u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One parser: parse line s into out (size bytes); err_col/err_msg as the API. */
typedef enum mtr_err (*fz_parse_fn)(const char *s, void *out, size_t *col, const char **msg);

static enum mtr_err
p_day(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_day(s, out, col, msg);
}

static enum mtr_err
p_week(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_week(s, out, col, msg);
}

static enum mtr_err
p_season(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_season(s, out, col, msg);
}

static enum mtr_err
p_special(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_special(s, out, col, msg);
}

static enum mtr_err
p_dst(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_clock_parse_dst_rule(s, out, col, msg);
}

/* Run one parser with a guarded output; returns true when it accepted the line. */
static bool
parse_checked(fz_parse_fn fn, const char *s, void *out, size_t size)
{
    uint8_t guard[sizeof(struct mtr_cal_day)];
    if (size > sizeof(guard)) {
        abort(); /* the largest output is a day profile */
    }
    memset(out, FZ_GUARD, size);
    memset(guard, FZ_GUARD, size);
    size_t col = SIZE_MAX;
    const char *msg = NULL;
    enum mtr_err e = fn(s, out, &col, &msg);
    if (e == MTR_OK) {
        return true;
    }
    if (e != MTR_EPROTO || msg == NULL || msg[0] == '\0' || col > strlen(s) ||
        memcmp(out, guard, size) != 0) {
        abort(); /* only EPROTO, with a message and a column, and no partial output */
    }
    return false;
}

static bool
name_ok(const char *name, bool may_be_empty)
{
    size_t n = strnlen(name, MTR_CAL_NAME_CAP);
    return n < MTR_CAL_NAME_CAP && (may_be_empty || n > 0);
}

static bool
date_ok(unsigned month, unsigned day)
{
    /* Feb 29 is a valid every-year date; mtr_dt_days_in_month of a leap year covers it */
    return month >= 1u && month <= 12u && day >= 1u && day <= mtr_dt_days_in_month(2000, month);
}

static void
check_day(const struct mtr_cal_day *d)
{
    if (d->n_switches < 1u || d->n_switches > MTR_CAL_MAX_SWITCHES) {
        abort();
    }
    long prev = -1;
    for (unsigned k = 0; k < d->n_switches; k++) {
        const struct mtr_cal_switch *w = &d->sw[k];
        long t = (long)w->hour * 3600L + (long)w->minute * 60L + (long)w->second;
        if (w->hour > 23u || w->minute > 59u || w->second > 59u || w->tariff < 1u ||
            w->tariff > MTR_CAL_TARIFFS || t <= prev) {
            abort();
        }
        prev = t;
    }
}

static void
check_special(const struct mtr_cal_special *sp)
{
    bool is_every = sp->year == MTR_CAL_YEAR_EVERY;
    if (!is_every && (sp->year < 1970u || sp->year > 2199u)) {
        abort();
    }
    if (!date_ok(sp->month, sp->day) ||
        (!is_every && sp->day > mtr_dt_days_in_month(sp->year, sp->month))) {
        abort();
    }
}

/* A parsed rule must pass the clock configuration check beside a rule of another month. */
static void
check_dst(const struct mtr_dst_rule *r, struct mtr_clock_config *clk)
{
    static const struct mtr_dst_rule eu_end = MTR_CLOCK_DST_EU_END_CET;
    static const struct mtr_dst_rule eu_begin = MTR_CLOCK_DST_EU_BEGIN_CET;
    mtr_clock_config_default(clk);
    clk->tz_min = 60;
    clk->dst_enabled = true;
    clk->dst_begin = *r;
    clk->dst_end = r->month == eu_end.month ? eu_begin : eu_end;
    const char *what = NULL;
    if (mtr_clock_config_check(clk, &what) != MTR_OK) {
        abort();
    }
}

static bool
has_day_id(const struct mtr_cal *cal, uint8_t id)
{
    for (unsigned i = 0; i < cal->n_days; i++) {
        if (cal->day[i].id == id) {
            return true;
        }
    }
    return false;
}

static void
tariff_at(const struct mtr_cal *cal,
          const struct mtr_clock_config *clk,
          int64_t utc_s,
          uint8_t *tariff,
          uint8_t *day_id)
{
    struct mtr_date_time lt;
    mtr_clock_local(clk, utc_s, &lt);
    *tariff = 0;
    *day_id = 0;
    if (mtr_cal_tariff(cal, &lt, tariff, day_id) != MTR_OK || *tariff < 1u ||
        *tariff > MTR_CAL_TARIFFS || !has_day_id(cal, *day_id)) {
        abort(); /* a checked calendar always has a tariff, from one of its day profiles */
    }
}

static void
run_calendar(const struct mtr_cal *cal, const struct mtr_clock_config *clk, int64_t t_input_s)
{
    static const int64_t k_times_s[FZ_TIMES - 1u] = {
        1767225600LL, /* 2026-01-01 00:00:00Z */
        1774745999LL, /* 2026-03-29 00:59:59Z, one second before EU DST begins */
        1781524800LL, /* 2026-06-15 12:00:00Z */
        1798239600LL, /* 2026-12-25 23:00:00Z */
        4107542399LL, /* 2100-02-28 23:59:59Z (no Feb 29 in 2100) */
    };
    for (unsigned i = 0; i < FZ_TIMES; i++) {
        int64_t t = i + 1u < FZ_TIMES ? k_times_s[i] : t_input_s;
        uint8_t tar = 0;
        uint8_t id = 0;
        tariff_at(cal, clk, t, &tar, &id);
        int64_t next = mtr_cal_next_change(cal, clk, t);
        if (next <= t) {
            abort();
        }
        if (next - 1 > t && next - 1 <= FZ_T_MAX_s) {
            uint8_t tar2 = 0;
            uint8_t id2 = 0;
            tariff_at(cal, clk, next - 1, &tar2, &id2);
            if (tar2 != tar || id2 != id) {
                abort(); /* the calendar changed before the announced instant */
            }
        }
    }
}

/* What the lines gave, accumulated as a configuration file would. */
struct fz_items {
    struct mtr_cal cal;
    struct mtr_clock_config clk;
    bool has_dst;
};

static void
parse_line(const char *s, struct fz_items *it)
{
    struct mtr_cal *cal = &it->cal;
    struct mtr_cal_day d;
    struct mtr_cal_week w;
    struct mtr_cal_season se;
    struct mtr_cal_special sp;
    struct mtr_dst_rule r;
    if (parse_checked(p_day, s, &d, sizeof(d))) {
        check_day(&d);
        if (cal->n_days < MTR_CAL_MAX_DAYS) {
            cal->day[cal->n_days++] = d;
        }
    }
    if (parse_checked(p_week, s, &w, sizeof(w))) {
        if (!name_ok(w.name, false)) {
            abort();
        }
        if (cal->n_weeks < MTR_CAL_MAX_WEEKS) {
            cal->week[cal->n_weeks++] = w;
        }
    }
    if (parse_checked(p_season, s, &se, sizeof(se))) {
        if (!name_ok(se.name, true) || !name_ok(se.week_name, false) ||
            !date_ok(se.month, se.day) || se.hour > 23u || se.minute > 59u) {
            abort();
        }
        if (cal->n_seasons < MTR_CAL_MAX_SEASONS) {
            cal->season[cal->n_seasons++] = se;
        }
    }
    if (parse_checked(p_special, s, &sp, sizeof(sp))) {
        check_special(&sp);
        if (cal->n_special < MTR_CAL_MAX_SPECIAL) {
            cal->special[cal->n_special++] = sp;
        }
    }
    if (parse_checked(p_dst, s, &r, sizeof(r))) {
        struct mtr_clock_config c;
        check_dst(&r, &c);
        if (!it->has_dst) {
            it->clk = c;
            it->has_dst = true;
        } else if (r.month != it->clk.dst_begin.month) {
            it->clk.dst_end = r; /* a second rule of another month ends DST */
            const char *what = NULL;
            if (mtr_clock_config_check(&it->clk, &what) != MTR_OK) {
                it->clk.dst_end = c.dst_end;
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fz_items it; /* 2 KiB calendar: static, reset per input */
    memset(&it, 0, sizeof(it));
    mtr_clock_config_default(&it.clk);
    char line[FZ_LINE_CAP];
    size_t start = 0;
    unsigned lines = 0;
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the input: one instant from it */
    for (size_t k = 0; k < size; k++) {
        h = (h ^ data[k]) * 1099511628211ull;
    }
    for (size_t k = 0; k <= size && lines < FZ_MAX_LINES; k++) {
        if (k < size && data[k] != '\n') {
            continue;
        }
        size_t n = k - start;
        if (n >= FZ_LINE_CAP) {
            n = FZ_LINE_CAP - 1u;
        }
        memcpy(line, data + start, n); /* embedded NULs just end the text early */
        line[n] = '\0';
        parse_line(line, &it);
        lines++;
        start = k + 1u;
    }
    struct mtr_cal_error where;
    if (mtr_cal_check(&it.cal, &where) == MTR_OK) {
        run_calendar(&it.cal, &it.clk, (int64_t)(h % (uint64_t)FZ_T_MAX_s));
    } else if (where.item == NULL || where.msg == NULL || where.msg[0] == '\0') {
        abort(); /* a rejected calendar says where */
    }
    return 0;
}
