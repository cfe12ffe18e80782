/*
 * Text forms of the activity calendar and of the DST rules, as written in the configuration
 * file (see meterd/actcal.h and meterd/clock.h for the grammar). A small hand-written scanner:
 * ASCII only, no locale, no strtol; every fault reports the 0-based column where it was found
 * and a static message. Results are built in a local copy and stored only on success.
 */
#include "meterd/actcal.h"

#include <stdint.h>
#include <string.h>

#include "meterd/clock.h"

/* Largest number of digits of any number in these forms (a year). */
#define MAX_DIGITS 4
#define S_PER_MIN  60
#define S_PER_HOUR 3600
#define MAX_ID     255
#define YEAR_MIN   1970
#define YEAR_MAX   2199
/* Longest word we look at ("2ndlast", weekday names, "UTC"); longer words are errors. */
#define WORD_CAP   8

struct scan {
    const char *s;
    size_t pos;
    size_t err_col;
    const char *err_msg;
};

static enum mtr_err
bad(struct scan *p, size_t col, const char *msg)
{
    p->err_col = col;
    p->err_msg = msg;
    return MTR_EPROTO;
}

static char
cur(const struct scan *p)
{
    return p->s[p->pos];
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_name_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.';
}

static char
lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void
skip_ws(struct scan *p)
{
    while (cur(p) == ' ' || cur(p) == '\t') {
        p->pos++;
    }
}

static enum mtr_err
expect(struct scan *p, char c, const char *msg)
{
    if (cur(p) != c) {
        return bad(p, p->pos, msg);
    }
    p->pos++;
    return MTR_OK;
}

static enum mtr_err
expect_end(struct scan *p)
{
    skip_ws(p);
    if (cur(p) != '\0') {
        return bad(p, p->pos, "unexpected text at the end");
    }
    return MTR_OK;
}

/* An unsigned decimal of min_d..max_d digits and at most max_v. */
static enum mtr_err
number(struct scan *p,
       unsigned min_d,
       unsigned max_d,
       unsigned max_v,
       const char *what,
       const char *range_msg,
       unsigned *out,
       unsigned *digits)
{
    size_t start = p->pos;
    unsigned v = 0;
    unsigned n = 0;
    while (is_digit(cur(p))) {
        if (n == MAX_DIGITS) {
            return bad(p, start, range_msg);
        }
        v = v * 10u + (unsigned)(cur(p) - '0');
        n++;
        p->pos++;
    }
    if (n == 0u || n < min_d || n > max_d) {
        return bad(p, start, what);
    }
    if (v > max_v) {
        return bad(p, start, range_msg);
    }
    *out = v;
    if (digits != NULL) {
        *digits = n;
    }
    return MTR_OK;
}

static enum mtr_err
name(struct scan *p, char out[MTR_CAL_NAME_CAP], const char *what)
{
    size_t start = p->pos;
    size_t n = 0;
    while (is_name_char(cur(p))) {
        if (n == MTR_CAL_NAME_CAP - 1u) {
            return bad(p, p->pos, "name longer than 8 characters");
        }
        out[n++] = cur(p);
        p->pos++;
    }
    if (n == 0u) {
        return bad(p, start, what);
    }
    memset(out + n, 0, MTR_CAL_NAME_CAP - n);
    return MTR_OK;
}

/* A word of letters and digits, lower-cased, into w (WORD_CAP bytes); "" if none. */
static enum mtr_err
word(struct scan *p, char w[WORD_CAP])
{
    size_t n = 0;
    size_t start = p->pos;
    while (is_alpha(cur(p)) || is_digit(cur(p))) {
        if (n == WORD_CAP - 1u) {
            return bad(p, start, "word too long");
        }
        w[n++] = lower(cur(p));
        p->pos++;
    }
    w[n] = '\0';
    return MTR_OK;
}

/* H:MM or H:MM:SS (seconds when allow_s). */
static enum mtr_err
time_of_day(struct scan *p, bool allow_s, uint8_t *h, uint8_t *m, uint8_t *s)
{
    unsigned hh;
    unsigned mm;
    unsigned ss = 0;
    enum mtr_err err = number(p, 1, 2, 23, "time expected (H:MM)", "hour not 0..23", &hh, NULL);
    if (err == MTR_OK) {
        err = expect(p, ':', "':' expected after the hour");
    }
    if (err == MTR_OK) {
        err = number(p, 2, 2, 59, "two-digit minute expected", "minute not 0..59", &mm, NULL);
    }
    if (err == MTR_OK && allow_s && cur(p) == ':') {
        p->pos++;
        err = number(p, 2, 2, 59, "two-digit second expected", "second not 0..59", &ss, NULL);
    }
    if (err != MTR_OK) {
        return err;
    }
    *h = (uint8_t)hh;
    *m = (uint8_t)mm;
    *s = (uint8_t)ss;
    return MTR_OK;
}

/* MM-DD; year_for_feb decides whether Feb 29 exists (pass a leap year when it may). */
static enum mtr_err
month_day(struct scan *p, int32_t year_for_feb, uint8_t *month, uint8_t *day)
{
    unsigned mm;
    unsigned dd;
    size_t start = p->pos;
    enum mtr_err err = number(p, 1, 2, 12, "month expected (MM-DD)", "month not 1..12", &mm, NULL);
    if (err == MTR_OK && mm == 0u) {
        err = bad(p, start, "month not 1..12");
    }
    if (err == MTR_OK) {
        err = expect(p, '-', "'-' expected after the month");
    }
    size_t dcol = p->pos;
    if (err == MTR_OK) {
        err = number(p, 1, 2, 31, "day expected", "day not 1..31", &dd, NULL);
    }
    if (err == MTR_OK && (dd == 0u || dd > mtr_dt_days_in_month(year_for_feb, mm))) {
        err = bad(p, dcol, "no such day in that month");
    }
    if (err != MTR_OK) {
        return err;
    }
    *month = (uint8_t)mm;
    *day = (uint8_t)dd;
    return MTR_OK;
}

static void
report(const struct scan *p, size_t *err_col, const char **err_msg)
{
    if (err_col != NULL) {
        *err_col = p->err_col;
    }
    if (err_msg != NULL) {
        *err_msg = p->err_msg;
    }
}

static enum mtr_err
day_switches(struct scan *p, struct mtr_cal_day *d)
{
    int64_t prev = -1;
    for (;;) {
        skip_ws(p);
        size_t col = p->pos;
        if (d->n_switches == MTR_CAL_MAX_SWITCHES) {
            return bad(p, col, "more than 16 switches");
        }
        struct mtr_cal_switch *sw = &d->sw[d->n_switches];
        enum mtr_err err = time_of_day(p, true, &sw->hour, &sw->minute, &sw->second);
        if (err != MTR_OK) {
            return err;
        }
        int64_t t =
            (int64_t)sw->hour * S_PER_HOUR + (int64_t)sw->minute * S_PER_MIN + (int64_t)sw->second;
        if (t <= prev) {
            return bad(p, col, "switch times not in ascending order");
        }
        prev = t;
        skip_ws(p);
        if (cur(p) != 'T' && cur(p) != 't') {
            return bad(p, p->pos, "tariff expected (T1..T4)");
        }
        p->pos++;
        unsigned tariff;
        err = number(p, 1, 1, MTR_CAL_TARIFFS, "tariff must be T1..T4", "tariff must be T1..T4",
                     &tariff, NULL);
        if (err == MTR_OK && tariff == 0u) {
            err = bad(p, p->pos - 1u, "tariff must be T1..T4");
        }
        if (err != MTR_OK) {
            return err;
        }
        sw->tariff = (uint8_t)tariff;
        d->n_switches++;
        skip_ws(p);
        if (cur(p) == '\0') {
            return MTR_OK;
        }
        if (cur(p) != ',') {
            return bad(p, p->pos, "',' or end expected after a switch");
        }
        p->pos++;
    }
}

enum mtr_err
mtr_cal_parse_day(const char *s, struct mtr_cal_day *out, size_t *err_col, const char **err_msg)
{
    if (s == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    struct scan p = {s, 0, 0, NULL};
    struct mtr_cal_day d;
    memset(&d, 0, sizeof(d));
    unsigned id;
    skip_ws(&p);
    enum mtr_err err = number(&p, 1, 3, MAX_ID, "day id expected", "day id not 0..255", &id, NULL);
    if (err == MTR_OK) {
        skip_ws(&p);
        err = expect(&p, ':', "':' expected after the day id");
    }
    if (err == MTR_OK) {
        d.id = (uint8_t)id;
        err = day_switches(&p, &d);
    }
    if (err != MTR_OK) {
        report(&p, err_col, err_msg);
        return err;
    }
    *out = d;
    return MTR_OK;
}

enum mtr_err
mtr_cal_parse_week(const char *s, struct mtr_cal_week *out, size_t *err_col, const char **err_msg)
{
    if (s == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    struct scan p = {s, 0, 0, NULL};
    struct mtr_cal_week w;
    memset(&w, 0, sizeof(w));
    skip_ws(&p);
    enum mtr_err err = name(&p, w.name, "week name expected");
    if (err == MTR_OK) {
        skip_ws(&p);
        err = expect(&p, ':', "':' expected after the week name");
    }
    for (unsigned i = 0; err == MTR_OK && i < 7u; i++) {
        skip_ws(&p);
        if (i > 0u && cur(&p) == ',') {
            p.pos++;
            skip_ws(&p);
        }
        unsigned id;
        if (!is_digit(cur(&p))) {
            err = bad(&p, p.pos, "expected 7 day ids (Monday..Sunday)");
        } else {
            err = number(&p, 1, 3, MAX_ID, "day id expected", "day id not 0..255", &id, NULL);
            w.day_id[i] = (uint8_t)id;
        }
    }
    if (err == MTR_OK) {
        skip_ws(&p);
        if (cur(&p) == ',') {
            p.pos++;
            skip_ws(&p);
        }
        if (is_digit(cur(&p))) {
            err = bad(&p, p.pos, "more than 7 day ids");
        } else {
            err = expect_end(&p);
        }
    }
    if (err != MTR_OK) {
        report(&p, err_col, err_msg);
        return err;
    }
    *out = w;
    return MTR_OK;
}

enum mtr_err
mtr_cal_parse_season(const char *s,
                     struct mtr_cal_season *out,
                     size_t *err_col,
                     const char **err_msg)
{
    if (s == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    struct scan p = {s, 0, 0, NULL};
    struct mtr_cal_season se;
    memset(&se, 0, sizeof(se));
    uint8_t sec;
    skip_ws(&p);
    enum mtr_err err = name(&p, se.name, "season name expected");
    if (err == MTR_OK) {
        skip_ws(&p);
        err = expect(&p, ':', "':' expected after the season name");
    }
    if (err == MTR_OK) {
        skip_ws(&p);
        /* Feb 29 is accepted: in common years that season starts on Mar 1 */
        err = month_day(&p, 2000, &se.month, &se.day);
    }
    if (err == MTR_OK) {
        skip_ws(&p);
        err = time_of_day(&p, false, &se.hour, &se.minute, &sec);
    }
    if (err == MTR_OK) {
        skip_ws(&p);
        err = name(&p, se.week_name, "week name expected");
    }
    if (err == MTR_OK) {
        err = expect_end(&p);
    }
    if (err != MTR_OK) {
        report(&p, err_col, err_msg);
        return err;
    }
    *out = se;
    return MTR_OK;
}

enum mtr_err
mtr_cal_parse_special(const char *s,
                      struct mtr_cal_special *out,
                      size_t *err_col,
                      const char **err_msg)
{
    if (s == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    struct scan p = {s, 0, 0, NULL};
    struct mtr_cal_special sp;
    memset(&sp, 0, sizeof(sp));
    sp.year = MTR_CAL_YEAR_EVERY;
    skip_ws(&p);
    /* a year has four digits; look ahead without consuming */
    size_t n = 0;
    while (is_digit(p.s[p.pos + n])) {
        n++;
    }
    enum mtr_err err = MTR_OK;
    int32_t feb_year = 2000; /* every year: Feb 29 allowed */
    if (n == 4u) {
        size_t ycol = p.pos;
        unsigned y;
        err = number(&p, 4, 4, 9999, "year expected", "year not 1970..2199", &y, NULL);
        if (err == MTR_OK && (y < YEAR_MIN || y > YEAR_MAX)) {
            err = bad(&p, ycol, "year not 1970..2199");
        }
        if (err == MTR_OK) {
            err = expect(&p, '-', "'-' expected after the year");
        }
        sp.year = (uint16_t)y;
        feb_year = (int32_t)y;
    }
    if (err == MTR_OK) {
        err = month_day(&p, feb_year, &sp.month, &sp.day);
    }
    unsigned id;
    if (err == MTR_OK) {
        if (cur(&p) != ' ' && cur(&p) != '\t') {
            err = bad(&p, p.pos, "blank and day id expected after the date");
        } else {
            skip_ws(&p);
            err = number(&p, 1, 3, MAX_ID, "day id expected", "day id not 0..255", &id, NULL);
        }
    }
    if (err == MTR_OK) {
        sp.day_id = (uint8_t)id;
        err = expect_end(&p);
    }
    if (err != MTR_OK) {
        report(&p, err_col, err_msg);
        return err;
    }
    *out = sp;
    return MTR_OK;
}

static enum mtr_err
weekday(struct scan *p, uint8_t *dow)
{
    static const char names[7][4] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    size_t col = p->pos;
    char w[WORD_CAP];
    if (word(p, w) != MTR_OK) {
        return bad(p, col, "weekday must be Mon..Sun");
    }
    for (unsigned i = 0; i < 7u; i++) {
        if (strcmp(w, names[i]) == 0) {
            *dow = (uint8_t)(i + 1u);
            return MTR_OK;
        }
    }
    return bad(p, col, "weekday must be Mon..Sun");
}

/* The day part of a DST rule after "MM-": DD, "last" or "2ndlast", then an optional weekday. */
static enum mtr_err
rule_day(struct scan *p, struct mtr_dst_rule *r)
{
    size_t col = p->pos;
    size_t n = 0;
    while (is_digit(p->s[p->pos + n])) {
        n++;
    }
    if (n > 0u && !is_alpha(p->s[p->pos + n])) { /* a number, not "2ndlast" */
        unsigned dd;
        enum mtr_err err = number(p, 1, 2, 31, "day expected", "day not 1..31", &dd, NULL);
        if (err != MTR_OK) {
            return err;
        }
        /* a fixed day must exist every year: no Feb 29 */
        if (dd == 0u || dd > mtr_dt_days_in_month(1970, r->month)) {
            return bad(p, col, "no such day in that month (in every year)");
        }
        r->day = (uint8_t)dd;
    } else {
        char w[WORD_CAP];
        if (word(p, w) != MTR_OK) {
            return bad(p, col, "day, 'last' or '2ndlast' expected");
        }
        if (strcmp(w, "last") == 0) {
            r->day = MTR_CLOCK_DAY_LAST;
        } else if (strcmp(w, "2ndlast") == 0) {
            r->day = MTR_CLOCK_DAY_SECOND_LAST;
        } else {
            return bad(p, col, "day, 'last' or '2ndlast' expected");
        }
    }
    if (cur(p) == '-') {
        p->pos++;
        return weekday(p, &r->dow);
    }
    skip_ws(p);
    if (is_alpha(cur(p))) {
        return weekday(p, &r->dow);
    }
    return MTR_OK;
}

enum mtr_err
mtr_clock_parse_dst_rule(const char *s,
                         struct mtr_dst_rule *out,
                         size_t *err_col,
                         const char **err_msg)
{
    if (s == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    struct scan p = {s, 0, 0, NULL};
    struct mtr_dst_rule r;
    memset(&r, 0, sizeof(r));
    unsigned mm;
    uint8_t sec;
    skip_ws(&p);
    size_t mcol = p.pos;
    enum mtr_err err = number(&p, 1, 2, 12, "month expected (MM-)", "month not 1..12", &mm, NULL);
    if (err == MTR_OK && mm == 0u) {
        err = bad(&p, mcol, "month not 1..12");
    }
    if (err == MTR_OK) {
        r.month = (uint8_t)mm;
        err = expect(&p, '-', "'-' expected after the month");
    }
    if (err == MTR_OK) {
        err = rule_day(&p, &r);
    }
    if (err == MTR_OK) {
        skip_ws(&p);
        err = time_of_day(&p, false, &r.hour, &r.minute, &sec);
    }
    if (err == MTR_OK) {
        if (cur(&p) == 'Z' || cur(&p) == 'z') {
            r.is_utc = true;
            p.pos++;
        } else {
            skip_ws(&p);
            size_t col = p.pos;
            char w[WORD_CAP];
            err = word(&p, w);
            if (err == MTR_OK && w[0] != '\0') {
                if (strcmp(w, "utc") == 0) {
                    r.is_utc = true;
                } else {
                    err = bad(&p, col, "only 'UTC' or 'Z' may follow the time");
                }
            }
        }
    }
    if (err == MTR_OK) {
        err = expect_end(&p);
    }
    if (err != MTR_OK) {
        report(&p, err_col, err_msg);
        return err;
    }
    *out = r;
    return MTR_OK;
}
