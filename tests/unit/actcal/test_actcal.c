/*
 * Activity calendar: tariff selection by season, week, special day and switch time (with the
 * DLMS carry-over of the previous day's last switch), passive calendar activation, every
 * validation fault and every parse fault with its position, and the promise of
 * mtr_cal_next_change() (never later than a change) checked by a fine walk through a year.
 *
 * Expected tariffs are written out by hand from the calendars below; weekdays of the dates
 * used are from Python's date.isoweekday() (2026-03-23 Monday .. 2026-03-29 Sunday,
 * 2026-05-01 Friday, 2027-05-01 Saturday, 2026-12-25 Friday, 2027-12-25 Saturday,
 * 2026-04-01 Wednesday, 2026-10-01 Thursday, 2026-01-01 Thursday). UTC instants of the EU DST
 * changes 2026: 1774746000 (03-29 01:00Z) and 1792890000 (10-25 01:00Z).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterd/actcal.h"
#include "meterd/clock.h"

static struct mtr_date_time
dt(uint16_t y, uint8_t mo, uint8_t d, uint8_t h, uint8_t mi, uint8_t s)
{
    struct mtr_date_time t = {y, mo, d, 0xFF, h, mi, s, 0, 0};
    return t;
}

static void
add_day(struct mtr_cal *cal, const char *text)
{
    size_t col = 0;
    const char *msg = NULL;
    if (mtr_cal_parse_day(text, &cal->day[cal->n_days], &col, &msg) != MTR_OK) {
        fail_msg("day '%s': column %zu: %s", text, col, msg);
    }
    cal->n_days++;
}

static void
add_week(struct mtr_cal *cal, const char *text)
{
    size_t col = 0;
    const char *msg = NULL;
    if (mtr_cal_parse_week(text, &cal->week[cal->n_weeks], &col, &msg) != MTR_OK) {
        fail_msg("week '%s': column %zu: %s", text, col, msg);
    }
    cal->n_weeks++;
}

static void
add_season(struct mtr_cal *cal, const char *text)
{
    size_t col = 0;
    const char *msg = NULL;
    if (mtr_cal_parse_season(text, &cal->season[cal->n_seasons], &col, &msg) != MTR_OK) {
        fail_msg("season '%s': column %zu: %s", text, col, msg);
    }
    cal->n_seasons++;
}

static void
add_special(struct mtr_cal *cal, const char *text)
{
    size_t col = 0;
    const char *msg = NULL;
    if (mtr_cal_parse_special(text, &cal->special[cal->n_special], &col, &msg) != MTR_OK) {
        fail_msg("special '%s': column %zu: %s", text, col, msg);
    }
    cal->n_special++;
}

static void
empty_cal(struct mtr_cal *cal)
{
    memset(cal, 0, sizeof(*cal));
    memcpy(cal->name, "test", 5);
}

/* The reference calendar of most tests:
 *   day 1 (summer weekday): 06:00 T1, 22:00 T2        day 2 (weekend): 08:00 T3, 20:00 T4
 *   day 3 (winter weekday): 00:00 T2, 07:00 T1, 21:00:30 T2
 *   summer from 04-01 06:00 (week wS: 1 1 1 1 1 2 2), winter from 10-01 00:00 (wW: 3 3 3 3 3 2 2)
 *   special: 2026-12-25 day 2, every 12-25 day 3, every 05-01 day 2, 2028-02-29 day 2 */
static void
ref_cal(struct mtr_cal *cal)
{
    empty_cal(cal);
    add_day(cal, "1: 06:00 T1, 22:00 T2");
    add_day(cal, "2: 08:00 T3, 20:00 T4");
    add_day(cal, "3: 00:00 T2, 07:00 T1, 21:00:30 T2");
    add_week(cal, "wS: 1 1 1 1 1 2 2");
    add_week(cal, "wW: 3 3 3 3 3 2 2");
    add_season(cal, "summer: 04-01 06:00 wS");
    add_season(cal, "winter: 10-01 00:00 wW");
    add_special(cal, "2026-12-25 2");
    add_special(cal, "12-25 3");
    add_special(cal, "05-01 2");
    add_special(cal, "2028-02-29 2");
    struct mtr_cal_error e;
    if (mtr_cal_check(cal, &e) != MTR_OK) {
        fail_msg("reference calendar: %s %u: %s", e.item, e.index, e.msg);
    }
}

struct tariff_row {
    const char *name;
    struct mtr_date_time t;
    uint8_t tariff;
    uint8_t day_id;
};

static void
check_rows(const struct mtr_cal *cal, const struct tariff_row *rows, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        uint8_t tariff = 0xEE;
        uint8_t day_id = 0xEE;
        enum mtr_err err = mtr_cal_tariff(cal, &rows[r].t, &tariff, &day_id);
        if (err != MTR_OK || tariff != rows[r].tariff || day_id != rows[r].day_id) {
            fail_msg("%s: got err %d T%u day %u, want T%u day %u", rows[r].name, err, tariff,
                     day_id, rows[r].tariff, rows[r].day_id);
        }
    }
}

/* All 16 switches, each probed one second before, at, and one second after. */
static void
test_sixteen_switches(void **state)
{
    (void)state;
    struct mtr_cal cal;
    empty_cal(&cal);
    add_day(&cal, "7: 00:30 T1, 02:00 T2, 03:30 T3, 05:00 T4, 06:30 T1, 08:00 T2, 09:30 T3, "
                  "11:00 T4, 12:30 T1, 14:00 T2, 15:30 T3, 17:00 T4, 18:30 T1, 20:00 T2, "
                  "21:30 T3, 23:59:59 T4");
    add_week(&cal, "w: 7 7 7 7 7 7 7");
    add_season(&cal, "all: 01-01 00:00 w");
    assert_int_equal(mtr_cal_check(&cal, NULL), MTR_OK);
    assert_int_equal(cal.day[0].n_switches, 16);
    static const struct {
        uint8_t h, m, s, tariff_before, tariff_at;
    } sw[16] = {
        {0,  30, 0,  4, 1}, /* before the first switch: the previous day's last (T4) */
        {2,  0,  0,  1, 2},
        {3,  30, 0,  2, 3},
        {5,  0,  0,  3, 4},
        {6,  30, 0,  4, 1},
        {8,  0,  0,  1, 2},
        {9,  30, 0,  2, 3},
        {11, 0,  0,  3, 4},
        {12, 30, 0,  4, 1},
        {14, 0,  0,  1, 2},
        {15, 30, 0,  2, 3},
        {17, 0,  0,  3, 4},
        {18, 30, 0,  4, 1},
        {20, 0,  0,  1, 2},
        {21, 30, 0,  2, 3},
        {23, 59, 59, 3, 4},
    };
    for (unsigned k = 0; k < 16u; k++) {
        unsigned at = sw[k].h * 3600u + sw[k].m * 60u + sw[k].s;
        unsigned probes[3] = {at - 1u, at, at + 1u};
        uint8_t want[3] = {sw[k].tariff_before, sw[k].tariff_at, sw[k].tariff_at};
        for (unsigned p = 0; p < 3u; p++) {
            unsigned t = probes[p];
            struct mtr_date_time local =
                dt(2026, 6, 17, (uint8_t)(t / 3600u), (uint8_t)(t / 60u % 60u), (uint8_t)(t % 60u));
            if (t >= 86400u) { /* one past 23:59:59 is the next day's 00:00:00 */
                local = dt(2026, 6, 18, 0, 0, 0);
                want[p] = 4;
            }
            uint8_t got = 0;
            assert_int_equal(mtr_cal_tariff(&cal, &local, &got, NULL), MTR_OK);
            if (got != want[p]) {
                fail_msg("switch %u probe %u (%02u:%02u:%02u): got T%u, want T%u", k, p, local.hour,
                         local.minute, local.second, got, want[p]);
            }
        }
    }
    /* midnight and the first half hour still run on the previous day's last switch */
    struct mtr_date_time midnight = dt(2026, 6, 17, 0, 0, 0);
    uint8_t got = 0;
    assert_int_equal(mtr_cal_tariff(&cal, &midnight, &got, NULL), MTR_OK);
    assert_int_equal(got, 4);
}

static void
test_week_and_carry(void **state)
{
    (void)state;
    struct mtr_cal cal;
    ref_cal(&cal);
    static const struct tariff_row rows[] = {
  /* summer week wS: Mon..Fri day 1, Sat Sun day 2; 2026-06-15 is a Monday */
        {"Mon 03:00 carries Sun 20:00 T4", {2026, 6, 15, 0, 3, 0, 0, 0, 0},    4, 1},
        {"Mon 06:00",                      {2026, 6, 15, 0, 6, 0, 0, 0, 0},    1, 1},
        {"Mon 21:59:59",                   {2026, 6, 15, 0, 21, 59, 59, 0, 0}, 1, 1},
        {"Mon 22:00",                      {2026, 6, 15, 0, 22, 0, 0, 0, 0},   2, 1},
        {"Tue 05:59:59 carries Mon T2",    {2026, 6, 16, 0, 5, 59, 59, 0, 0},  2, 1},
        {"Sat 07:00 carries Fri T2",       {2026, 6, 20, 0, 7, 0, 0, 0, 0},    2, 2},
        {"Sat 08:00",                      {2026, 6, 20, 0, 8, 0, 0, 0, 0},    3, 2},
        {"Sat 20:00",                      {2026, 6, 20, 0, 20, 0, 0, 0, 0},   4, 2},
        {"Sun 05:00 carries Sat T4",       {2026, 6, 21, 0, 5, 0, 0, 0, 0},    4, 2},
 /* winter week wW: day 3 starts at 00:00, no carry-over */
        {"winter Mon 00:00",               {2026, 11, 2, 0, 0, 0, 0, 0, 0},    2, 3},
        {"winter Mon 07:00",               {2026, 11, 2, 0, 7, 0, 0, 0, 0},    1, 3},
        {"winter Mon 21:00:29",            {2026, 11, 2, 0, 21, 0, 29, 0, 0},  1, 3},
        {"winter Mon 21:00:30",            {2026, 11, 2, 0, 21, 0, 30, 0, 0},  2, 3},
        {"winter Sat 07:59 carries T2",    {2026, 11, 7, 0, 7, 59, 0, 0, 0},   2, 2},
        {"dow field ignored",              {2026, 11, 2, 6, 7, 0, 0, 0, 0},    1, 3},
    };
    check_rows(&cal, rows, MTR_ARRAY_COUNT(rows));
}

/* Monday..Sunday map to day_id[0..6]: 2026-03-23 is a Monday. */
static void
test_weekdays(void **state)
{
    (void)state;
    struct mtr_cal cal;
    empty_cal(&cal);
    add_day(&cal, "11: 00:00 T1");
    add_day(&cal, "12: 00:00 T2");
    add_day(&cal, "13: 00:00 T3");
    add_day(&cal, "14: 00:00 T4");
    add_day(&cal, "15: 00:00 T1");
    add_day(&cal, "16: 00:00 T2");
    add_day(&cal, "17: 00:00 T3");
    add_week(&cal, "w: 11 12 13 14 15 16 17");
    add_season(&cal, "s: 01-01 00:00 w");
    assert_int_equal(mtr_cal_check(&cal, NULL), MTR_OK);
    for (uint8_t i = 0; i < 7u; i++) {
        struct mtr_date_time t = dt(2026, 3, (uint8_t)(23u + i), 12, 0, 0);
        uint8_t tariff = 0;
        uint8_t day_id = 0;
        assert_int_equal(mtr_cal_tariff(&cal, &t, &tariff, &day_id), MTR_OK);
        if (day_id != 11u + i || tariff != (i % 4u) + 1u) {
            fail_msg("2026-03-%u: got day %u T%u, want day %u", 23u + i, day_id, tariff, 11u + i);
        }
    }
}

static void
test_seasons(void **state)
{
    (void)state;
    struct mtr_cal cal;
    ref_cal(&cal);
    static const struct tariff_row rows[] = {
  /* 2026-01-01 Thursday: before every start of the year, last year's winter holds */
        {"Jan 1 = last year's winter", {2026, 1, 1, 0, 12, 0, 0, 0, 0},    1, 3},
 /* 2026-04-01 Wednesday: summer starts at 06:00 */
        {"Apr 1 05:59:59 winter",      {2026, 4, 1, 0, 5, 59, 59, 0, 0},   2, 3},
        {"Apr 1 06:00 summer",         {2026, 4, 1, 0, 6, 0, 0, 0, 0},     1, 1},
        {"Apr 1 06:59 summer",         {2026, 4, 1, 0, 6, 59, 0, 0, 0},    1, 1},
 /* 2026-09-30 Wednesday 23:59:59 summer (day 1: 22:00 T2); 10-01 00:00 winter day 3 */
        {"Sep 30 23:59:59 summer",     {2026, 9, 30, 0, 23, 59, 59, 0, 0}, 2, 1},
        {"Oct 1 00:00 winter",         {2026, 10, 1, 0, 0, 0, 0, 0, 0},    2, 3},
        {"Oct 1 07:00 winter",         {2026, 10, 1, 0, 7, 0, 0, 0, 0},    1, 3},
        {"Dec 31 winter",              {2026, 12, 31, 0, 12, 0, 0, 0, 0},  1, 3},
    };
    check_rows(&cal, rows, MTR_ARRAY_COUNT(rows));
}

static void
test_special_days(void **state)
{
    (void)state;
    struct mtr_cal cal;
    ref_cal(&cal);
    static const struct tariff_row rows[] = {
  /* every-year 05-01 -> day 2, although 2026-05-01 is a Friday (day 1) */
        {"2026-05-01 special", {2026, 5, 1, 0, 12, 0, 0, 0, 0},   3, 2},
        {"2026-05-01 07:00",   {2026, 5, 1, 0, 7, 0, 0, 0, 0},    2, 2},
        {"2027-05-01 special", {2027, 5, 1, 0, 21, 0, 0, 0, 0},   4, 2},
        {"2026-05-02 normal",  {2026, 5, 2, 0, 12, 0, 0, 0, 0},   3, 2},
        {"2026-04-30 normal",  {2026, 4, 30, 0, 12, 0, 0, 0, 0},  1, 1},
 /* the day after a special day carries its last switch: 2026-05-04 Mon after Sun */
        {"2026-05-02 carry",   {2026, 5, 2, 0, 7, 0, 0, 0, 0},    4, 2},
 /* 2026-12-25: the dated entry (day 2) beats the every-year one (day 3) */
        {"2026-12-25 dated",   {2026, 12, 25, 0, 12, 0, 0, 0, 0}, 3, 2},
 /* 2027-12-25 (a Saturday, normally day 2): every-year entry -> day 3 */
        {"2027-12-25 every",   {2027, 12, 25, 0, 12, 0, 0, 0, 0}, 1, 3},
        {"2026-12-26 carry",   {2026, 12, 26, 0, 7, 0, 0, 0, 0},  4, 2},
        {"2028-02-29 dated",   {2028, 2, 29, 0, 12, 0, 0, 0, 0},  3, 2},
        {"2028-02-28 normal",  {2028, 2, 28, 0, 12, 0, 0, 0, 0},  1, 3},
    };
    check_rows(&cal, rows, MTR_ARRAY_COUNT(rows));
}

static void
test_tariff_args(void **state)
{
    (void)state;
    struct mtr_cal cal;
    ref_cal(&cal);
    uint8_t t = 9;
    struct mtr_date_time ok = dt(2026, 6, 1, 0, 0, 0);
    struct mtr_date_time bad[] = {
        dt(2026, 2, 29, 0, 0, 0), dt(2026, 13, 1, 0, 0, 0), dt(2026, 1, 0, 0, 0, 0),
        dt(2026, 1, 1, 24, 0, 0), dt(2026, 1, 1, 0, 60, 0), dt(2026, 1, 1, 0, 0, 60),
        dt(0, 1, 1, 0, 0, 0),
    };
    for (size_t i = 0; i < MTR_ARRAY_COUNT(bad); i++) {
        assert_int_equal(mtr_cal_tariff(&cal, &bad[i], &t, NULL), MTR_EINVAL);
        assert_int_equal(t, 9);
    }
    assert_int_equal(mtr_cal_tariff(NULL, &ok, &t, NULL), MTR_EINVAL);
    assert_int_equal(mtr_cal_tariff(&cal, NULL, &t, NULL), MTR_EINVAL);
    assert_int_equal(mtr_cal_tariff(&cal, &ok, NULL, NULL), MTR_EINVAL);
    /* a calendar that names a missing day: an error, not a crash */
    cal.week[0].day_id[0] = 99;
    struct mtr_date_time mon = dt(2026, 6, 15, 12, 0, 0);
    assert_int_equal(mtr_cal_tariff(&cal, &mon, &t, NULL), MTR_EINVAL);
}

static void
test_default(void **state)
{
    (void)state;
    struct mtr_cal cal;
    memset(&cal, 0x77, sizeof(cal));
    mtr_cal_default(&cal);
    assert_int_equal(mtr_cal_check(&cal, NULL), MTR_OK);
    for (int64_t t = 1767225600; t < 1767225600 + 8 * 86400; t += 3 * 3600 + 7) {
        struct mtr_clock_config c;
        mtr_clock_config_default(&c);
        struct mtr_date_time lt;
        mtr_clock_local(&c, t, &lt);
        uint8_t tariff = 0;
        assert_int_equal(mtr_cal_tariff(&cal, &lt, &tariff, NULL), MTR_OK);
        assert_int_equal(tariff, 1);
    }
}

static void
test_activation(void **state)
{
    (void)state;
    struct mtr_actcal ac;
    mtr_cal_default(&ac.active);
    ref_cal(&ac.passive);
    ac.activate_utc_s = INT64_MAX;
    assert_false(mtr_actcal_step(&ac, INT64_MAX - 1));
    const int64_t at = 1790812800; /* 2026-10-01T00:00:00Z */
    ac.activate_utc_s = at;
    assert_false(mtr_actcal_step(&ac, at - 1));
    assert_string_equal(ac.active.name, "default");
    assert_true(ac.activate_utc_s == at);
    assert_true(mtr_actcal_step(&ac, at));
    assert_string_equal(ac.active.name, "test");
    assert_memory_equal(&ac.active, &ac.passive, sizeof(ac.active));
    assert_true(ac.activate_utc_s == INT64_MAX);
    assert_false(mtr_actcal_step(&ac, at + 1));
    /* late (e.g. after an outage): activates at the first step past the time */
    mtr_cal_default(&ac.active);
    ac.activate_utc_s = at;
    assert_true(mtr_actcal_step(&ac, at + 86400));
    assert_false(mtr_actcal_step(NULL, at));
}

enum mut {
    M_SEASONS_13,
    M_WEEKS_13,
    M_DAYS_9,
    M_SPECIAL_101,
    M_NO_SEASON,
    M_CAL_NAME,
    M_SEASON_SAME_START,
    M_SEASON_UNKNOWN_WEEK,
    M_SEASON_MONTH_13,
    M_SEASON_FEB_30,
    M_SEASON_HOUR_24,
    M_SEASON_NAME,
    M_WEEK_DUP,
    M_WEEK_EMPTY,
    M_WEEK_NAME,
    M_WEEK_UNKNOWN_DAY,
    M_DAY_DUP,
    M_DAY_NO_SWITCH,
    M_DAY_17,
    M_SW_MINUTE_60,
    M_SW_HOUR_24,
    M_SW_TARIFF_5,
    M_SW_TARIFF_0,
    M_SW_EQUAL,
    M_SW_DESC,
    M_SP_FEB_29_2026,
    M_SP_FEB_30_EVERY,
    M_SP_MONTH_13,
    M_SP_YEAR_1969,
    M_SP_DUP,
    M_SP_2100_FEB_29,
    M_SP_UNKNOWN_DAY,
};

struct check_row {
    enum mut m;
    const char *name;
    const char *item;
    unsigned index, sub;
    const char *msg;
};

static void
mutate(struct mtr_cal *c, enum mut m)
{
    switch (m) {
    case M_SEASONS_13:
        c->n_seasons = 13;
        break;
    case M_WEEKS_13:
        c->n_weeks = 13;
        break;
    case M_DAYS_9:
        c->n_days = 9;
        break;
    case M_SPECIAL_101:
        c->n_special = 101;
        break;
    case M_NO_SEASON:
        c->n_seasons = 0;
        break;
    case M_CAL_NAME:
        memset(c->name, 'x', sizeof(c->name));
        break;
    case M_SEASON_SAME_START:
        c->season[1].month = 4;
        c->season[1].day = 1;
        c->season[1].hour = 6;
        break;
    case M_SEASON_UNKNOWN_WEEK:
        memcpy(c->season[1].week_name, "nope", 5);
        break;
    case M_SEASON_MONTH_13:
        c->season[0].month = 13;
        break;
    case M_SEASON_FEB_30:
        c->season[0].month = 2;
        c->season[0].day = 30;
        break;
    case M_SEASON_HOUR_24:
        c->season[0].hour = 24;
        break;
    case M_SEASON_NAME:
        memset(c->season[1].name, 'n', sizeof(c->season[1].name));
        break;
    case M_WEEK_DUP:
        memcpy(c->week[1].name, "wS", 3);
        break;
    case M_WEEK_EMPTY:
        c->week[1].name[0] = '\0';
        c->season[1].week_name[0] = '\0';
        break;
    case M_WEEK_NAME:
        memset(c->week[1].name, 'w', sizeof(c->week[1].name));
        break;
    case M_WEEK_UNKNOWN_DAY:
        c->week[1].day_id[4] = 9;
        break;
    case M_DAY_DUP:
        c->day[1].id = 1;
        break;
    case M_DAY_NO_SWITCH:
        c->day[0].n_switches = 0;
        break;
    case M_DAY_17:
        c->day[0].n_switches = 17;
        break;
    case M_SW_MINUTE_60:
        c->day[2].sw[1].minute = 60;
        break;
    case M_SW_HOUR_24:
        c->day[2].sw[2].hour = 24;
        break;
    case M_SW_TARIFF_5:
        c->day[2].sw[2].tariff = 5;
        break;
    case M_SW_TARIFF_0:
        c->day[1].sw[0].tariff = 0;
        break;
    case M_SW_EQUAL:
        c->day[2].sw[2] = c->day[2].sw[1];
        break;
    case M_SW_DESC:
        c->day[0].sw[1].hour = 5;
        break;
    case M_SP_FEB_29_2026:
        c->special[0].month = 2;
        c->special[0].day = 29;
        break;
    case M_SP_FEB_30_EVERY:
        c->special[1].month = 2;
        c->special[1].day = 30;
        break;
    case M_SP_MONTH_13:
        c->special[0].month = 13;
        break;
    case M_SP_YEAR_1969:
        c->special[0].year = 1969;
        break;
    case M_SP_DUP:
        c->special[2] = c->special[0];
        break;
    case M_SP_2100_FEB_29:
        c->special[3].year = 2100;
        break;
    case M_SP_UNKNOWN_DAY:
        c->special[0].day_id = 9;
        break;
    }
}

static void
test_check_errors(void **state)
{
    (void)state;
    static const struct check_row rows[] = {
        {M_SEASONS_13,          "13 seasons",          "season",   13,  0, "more than 12 seasons"  },
        {M_WEEKS_13,            "13 weeks",            "week",     13,  0, "more than 12 week"     },
        {M_DAYS_9,              "9 days",              "day",      9,   0, "more than 8 day"       },
        {M_SPECIAL_101,         "101 special",         "special",  101, 0, "more than 100"         },
        {M_NO_SEASON,           "no season",           "season",   0,   0, "no season"             },
        {M_CAL_NAME,            "calendar name",       "calendar", 0,   0, "longer than 8"         },
        {M_SEASON_SAME_START,   "same start",          "season",   1,   0, "overlapping seasons"   },
        {M_SEASON_UNKNOWN_WEEK, "unknown week",        "season",   1,   0, "unknown week"          },
        {M_SEASON_MONTH_13,     "season month 13",     "season",   0,   0, "invalid start date"    },
        {M_SEASON_FEB_30,       "season Feb 30",       "season",   0,   0, "invalid start date"    },
        {M_SEASON_HOUR_24,      "season hour 24",      "season",   0,   0, "start time"            },
        {M_SEASON_NAME,         "season name",         "season",   1,   0, "longer than 8"         },
        {M_WEEK_DUP,            "duplicate week",      "week",     1,   0, "duplicate week name"   },
        {M_WEEK_EMPTY,          "empty week name",     "week",     1,   0, "empty week name"       },
        {M_WEEK_NAME,           "week name",           "week",     1,   0, "longer than 8"         },
        {M_WEEK_UNKNOWN_DAY,    "week unknown day",    "week",     1,   4, "unknown day id"        },
        {M_DAY_DUP,             "duplicate day id",    "day",      1,   0, "duplicate day id"      },
        {M_DAY_NO_SWITCH,       "no switches",         "day",      0,   0, "no switches"           },
        {M_DAY_17,              "17 switches",         "day",      0,   0, "more than 16"          },
        {M_SW_MINUTE_60,        "minute 60",           "switch",   2,   1, "out of range"          },
        {M_SW_HOUR_24,          "hour 24",             "switch",   2,   2, "out of range"          },
        {M_SW_TARIFF_5,         "tariff 5",            "switch",   2,   2, "tariff not 1..4"       },
        {M_SW_TARIFF_0,         "tariff 0",            "switch",   1,   0, "tariff not 1..4"       },
        {M_SW_EQUAL,            "equal times",         "switch",   2,   2, "not in ascending order"},
        {M_SW_DESC,             "descending",          "switch",   0,   1, "not in ascending order"},
        {M_SP_FEB_29_2026,      "2026-02-29",          "special",  0,   0, "invalid date"          },
        {M_SP_FEB_30_EVERY,     "every 02-30",         "special",  1,   0, "invalid date"          },
        {M_SP_MONTH_13,         "special month 13",    "special",  0,   0, "invalid date"          },
        {M_SP_YEAR_1969,        "special 1969",        "special",  0,   0, "year"                  },
        {M_SP_DUP,              "duplicate special",   "special",  2,   0, "duplicate special day" },
        {M_SP_2100_FEB_29,      "2100-02-29",          "special",  3,   0, "invalid date"          },
        {M_SP_UNKNOWN_DAY,      "special unknown day", "special",  0,   0, "unknown day id"        },
    };
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        struct mtr_cal cal;
        ref_cal(&cal);
        mutate(&cal, rows[r].m);
        struct mtr_cal_error e = {NULL, 77, 77, NULL};
        enum mtr_err err = mtr_cal_check(&cal, &e);
        if (err != MTR_EINVAL || e.item == NULL || e.msg == NULL ||
            strcmp(e.item, rows[r].item) != 0 || e.index != rows[r].index || e.sub != rows[r].sub ||
            strstr(e.msg, rows[r].msg) == NULL) {
            fail_msg("%s: got %d %s #%u/%u '%s', want %s #%u/%u '%s'", rows[r].name, err,
                     e.item ? e.item : "-", e.index, e.sub, e.msg ? e.msg : "-", rows[r].item,
                     rows[r].index, rows[r].sub, rows[r].msg);
        }
    }
    struct mtr_cal_error e;
    assert_int_equal(mtr_cal_check(NULL, &e), MTR_EINVAL);
    assert_int_equal(mtr_cal_check(NULL, NULL), MTR_EINVAL);
    /* every-year Feb 29 and a leap-year Feb 29 are fine */
    struct mtr_cal cal;
    ref_cal(&cal);
    add_special(&cal, "02-29 1");
    assert_int_equal(mtr_cal_check(&cal, NULL), MTR_OK);
}

enum what {
    W_DAY,
    W_WEEK,
    W_SEASON,
    W_SPECIAL
};

struct parse_row {
    enum what w;
    const char *text;
    size_t col; /* SIZE_MAX: must parse */
    const char *msg;
};

static enum mtr_err
parse_any(enum what w, const char *text, void *out, size_t *col, const char **msg)
{
    switch (w) {
    case W_DAY:
        return mtr_cal_parse_day(text, out, col, msg);
    case W_WEEK:
        return mtr_cal_parse_week(text, out, col, msg);
    case W_SEASON:
        return mtr_cal_parse_season(text, out, col, msg);
    case W_SPECIAL:
        return mtr_cal_parse_special(text, out, col, msg);
    }
    return MTR_EINVAL;
}

static void
test_parse_errors(void **state)
{
    (void)state;
    static const struct parse_row rows[] = {
        {W_DAY,     "1: 00:00 T2, 06:00 T1, 22:00 T2",                                    SIZE_MAX, NULL                         },
        {W_DAY,     " 255 :0:00 t4,23:59:59 T1 ",                                         SIZE_MAX, NULL                         },
        {W_DAY,     "",                                                                   0,        "day id expected"            },
        {W_DAY,     "x: 00:00 T1",                                                        0,        "day id expected"            },
        {W_DAY,     "256: 00:00 T1",                                                      0,        "day id not 0..255"          },
        {W_DAY,     "1 00:00 T1",                                                         2,        "':' expected"               },
        {W_DAY,     "1:",                                                                 2,        "time expected"              },
        {W_DAY,     "1: 24:00 T1",                                                        3,        "hour not 0..23"             },
        {W_DAY,     "1: 123:00 T1",                                                       3,        "time expected"              },
        {W_DAY,     "1: 06-00 T1",                                                        5,        "':' expected after the hour"},
        {W_DAY,     "1: 06:60 T1",                                                        6,        "minute not 0..59"           },
        {W_DAY,     "1: 06:5 T1",                                                         6,        "two-digit minute"           },
        {W_DAY,     "1: 06:00:60 T1",                                                     9,        "second not 0..59"           },
        {W_DAY,     "1: 06:00",                                                           8,        "tariff expected"            },
        {W_DAY,     "1: 06:00 X1",                                                        9,        "tariff expected"            },
        {W_DAY,     "1: 06:00 T5",                                                        10,       "tariff must be T1..T4"      },
        {W_DAY,     "1: 06:00 T0",                                                        10,       "tariff must be T1..T4"      },
        {W_DAY,     "1: 06:00 T12",                                                       10,       "tariff must be T1..T4"      },
        {W_DAY,     "1: 06:00 T1 06:30 T2",                                               12,       "',' or end"                 },
        {W_DAY,     "1: 06:00 T1, 05:00 T2",                                              13,       "not in ascending order"     },
        {W_DAY,     "1: 06:00 T1, 06:00 T2",                                              13,       "not in ascending order"     },
        {W_DAY,     "1: 06:00 T1,",                                                       12,       "time expected"              },
        {W_DAY,
         "1: 0:00 T1, 1:00 T1, 2:00 T1, 3:00 T1, 4:00 T1, 5:00 T1, 6:00 T1, 7:00 T1, 8:00 T1, "
         "9:00 T1, 10:00 T1, 11:00 T1, 12:00 T1, 13:00 T1, 14:00 T1, 15:00 T1, 16:00 T1", 153,      "more than 16 switches"      },
        {W_WEEK,    "wk1: 1 1 1 1 1 2 2",                                                 SIZE_MAX, NULL                         },
        {W_WEEK,    "a_b-c.8x:1,2,3, 4 ,5,6,7",                                           SIZE_MAX, NULL                         },
        {W_WEEK,    ": 1 1 1 1 1 2 2",                                                    0,        "week name expected"         },
        {W_WEEK,    "abcdefghi: 1 1 1 1 1 2 2",                                           8,        "longer than 8"              },
        {W_WEEK,    "wk1 1 1 1 1 1 2 2",                                                  4,        "':' expected"               },
        {W_WEEK,    "wk1: 1 1 1 1 1 2",                                                   16,       "expected 7 day ids"         },
        {W_WEEK,    "wk1: 1 1 1 1 1 2 2 2",                                               19,       "more than 7 day ids"        },
        {W_WEEK,    "wk1: 1 1 1 1 1 2 256",                                               17,       "day id not 0..255"          },
        {W_WEEK,    "wk1: 1 1 1 1 1 2 x",                                                 17,       "expected 7 day ids"         },
        {W_WEEK,    "wk1: 1 1 1 1 1 2 2 x",                                               19,       "unexpected text"            },
        {W_SEASON,  "winter: 10-01 00:00 wk1",                                            SIZE_MAX, NULL                         },
        {W_SEASON,  "leap: 2-29 6:30 w",                                                  SIZE_MAX, NULL                         },
        {W_SEASON,  "winter 10-01 00:00 wk1",                                             7,        "':' expected"               },
        {W_SEASON,  "winter: 13-01 00:00 wk1",                                            8,        "month not 1..12"            },
        {W_SEASON,  "winter: 00-01 00:00 wk1",                                            8,        "month not 1..12"            },
        {W_SEASON,  "winter: 10/01 00:00 wk1",                                            10,       "'-' expected"               },
        {W_SEASON,  "winter: 02-30 00:00 wk1",                                            11,       "no such day"                },
        {W_SEASON,  "winter: 10-00 00:00 wk1",                                            11,       "no such day"                },
        {W_SEASON,  "winter: 10-01 wk1",                                                  14,       "time expected"              },
        {W_SEASON,  "winter: 10-01 00:00",                                                19,       "week name expected"         },
        {W_SEASON,  "winter: 10-01 00:00 wk1 x",                                          24,       "unexpected text"            },
        {W_SEASON,  "winter: 10-01 00:00 toolongname",                                    28,       "longer than 8"              },
        {W_SPECIAL, "12-25 2",                                                            SIZE_MAX, NULL                         },
        {W_SPECIAL, "2026-12-25 2",                                                       SIZE_MAX, NULL                         },
        {W_SPECIAL, "02-29 2",                                                            SIZE_MAX, NULL                         },
        {W_SPECIAL, "2028-02-29 2",                                                       SIZE_MAX, NULL                         },
        {W_SPECIAL, "2026-02-29 2",                                                       8,        "no such day"                },
        {W_SPECIAL, "2100-02-29 2",                                                       8,        "no such day"                },
        {W_SPECIAL, "1969-12-25 2",                                                       0,        "year not 1970..2199"        },
        {W_SPECIAL, "2200-01-01 2",                                                       0,        "year not 1970..2199"        },
        {W_SPECIAL, "202-12-25 2",                                                        0,        "month expected"             },
        {W_SPECIAL, "2026/12/25 2",                                                       4,        "'-' expected after the year"},
        {W_SPECIAL, "13-25 2",                                                            0,        "month not 1..12"            },
        {W_SPECIAL, "12-32 2",                                                            3,        "day not 1..31"              },
        {W_SPECIAL, "12-25",                                                              5,        "day id expected"            },
        {W_SPECIAL, "12-25x 2",                                                           5,        "blank and day id"           },
        {W_SPECIAL, "12-25 300",                                                          6,        "day id not 0..255"          },
        {W_SPECIAL, "12-25 2 3",                                                          8,        "unexpected text"            },
    };
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        union {
            struct mtr_cal_day d;
            struct mtr_cal_week w;
            struct mtr_cal_season s;
            struct mtr_cal_special sp;
        } out, before;
        memset(&out, 0x5A, sizeof(out));
        before = out;
        size_t col = 999;
        const char *msg = NULL;
        enum mtr_err err = parse_any(rows[r].w, rows[r].text, &out, &col, &msg);
        if (rows[r].col == SIZE_MAX) {
            if (err != MTR_OK) {
                fail_msg("'%s': got error at %zu: %s", rows[r].text, col, msg);
            }
            continue;
        }
        if (err != MTR_EPROTO || msg == NULL || col != rows[r].col ||
            strstr(msg, rows[r].msg) == NULL) {
            fail_msg("'%s': got %d at column %zu '%s', want column %zu '%s'", rows[r].text, err,
                     col, msg ? msg : "-", rows[r].col, rows[r].msg);
        }
        if (memcmp(&out, &before, sizeof(out)) != 0) {
            fail_msg("'%s': output changed on error", rows[r].text);
        }
    }
    struct mtr_cal_day d;
    assert_int_equal(mtr_cal_parse_day(NULL, &d, NULL, NULL), MTR_EINVAL);
    assert_int_equal(mtr_cal_parse_week("w: 1 1 1 1 1 1 1", NULL, NULL, NULL), MTR_EINVAL);
    /* errors without err_col/err_msg */
    assert_int_equal(mtr_cal_parse_day("1:", &d, NULL, NULL), MTR_EPROTO);
}

static void
test_parse_values(void **state)
{
    (void)state;
    struct mtr_cal_day d;
    assert_int_equal(mtr_cal_parse_day(" 255 :0:00 t4,23:59:59 T1 ", &d, NULL, NULL), MTR_OK);
    assert_int_equal(d.id, 255);
    assert_int_equal(d.n_switches, 2);
    assert_int_equal(d.sw[0].tariff, 4);
    assert_int_equal(d.sw[1].hour, 23);
    assert_int_equal(d.sw[1].minute, 59);
    assert_int_equal(d.sw[1].second, 59);
    assert_int_equal(d.sw[1].tariff, 1);
    struct mtr_cal_week w;
    assert_int_equal(mtr_cal_parse_week("a_b-c.8x:1,2,3, 4 ,5,6,7", &w, NULL, NULL), MTR_OK);
    assert_string_equal(w.name, "a_b-c.8x");
    for (unsigned i = 0; i < 7u; i++) {
        assert_int_equal(w.day_id[i], i + 1u);
    }
    struct mtr_cal_season s;
    assert_int_equal(mtr_cal_parse_season("winter: 10-01 07:30 wk1", &s, NULL, NULL), MTR_OK);
    assert_string_equal(s.name, "winter");
    assert_string_equal(s.week_name, "wk1");
    assert_int_equal(s.month, 10);
    assert_int_equal(s.day, 1);
    assert_int_equal(s.hour, 7);
    assert_int_equal(s.minute, 30);
    struct mtr_cal_special sp;
    assert_int_equal(mtr_cal_parse_special("12-25 2", &sp, NULL, NULL), MTR_OK);
    assert_int_equal(sp.year, 0xFFFF);
    assert_int_equal(sp.month, 12);
    assert_int_equal(sp.day, 25);
    assert_int_equal(sp.day_id, 2);
    assert_int_equal(mtr_cal_parse_special("2026-01-06 4", &sp, NULL, NULL), MTR_OK);
    assert_int_equal(sp.year, 2026);
    assert_int_equal(sp.month, 1);
    assert_int_equal(sp.day, 6);
    assert_int_equal(sp.day_id, 4);
}

/* The never-skip promise of mtr_cal_next_change(): from every evaluation point e, the tariff
 * and day id stay those at e for every probe before next_change(e). Probes every `step_s`
 * seconds through 2026 in CET/CEST (a gap and a repeated hour), with switches on odd seconds
 * and a season that starts in the middle of a day. */
static void
walk_year(const struct mtr_cal *cal, const struct mtr_clock_config *clk, int64_t step_s)
{
    const int64_t start = 1767225600 - 86400; /* 2025-12-31T00:00:00Z */
    const int64_t end = 1798761600 + 86400;   /* 2027-01-02T00:00:00Z */
    int64_t e = start;
    int64_t next = mtr_cal_next_change(cal, clk, e);
    uint8_t t_e = 0;
    uint8_t d_e = 0;
    struct mtr_date_time lt;
    mtr_clock_local(clk, e, &lt);
    assert_int_equal(mtr_cal_tariff(cal, &lt, &t_e, &d_e), MTR_OK);
    unsigned jumps = 0;
    unsigned changes = 0;
    for (int64_t t = start; t < end; t += step_s) {
        while (t >= next) { /* follow the jumps up to t */
            assert_true(next > e);
            e = next;
            next = mtr_cal_next_change(cal, clk, e);
            mtr_clock_local(clk, e, &lt);
            uint8_t t2 = 0, d2 = 0;
            assert_int_equal(mtr_cal_tariff(cal, &lt, &t2, &d2), MTR_OK);
            changes += (t2 != t_e || d2 != d_e) ? 1u : 0u;
            t_e = t2;
            d_e = d2;
            jumps++;
        }
        mtr_clock_local(clk, t, &lt);
        uint8_t tariff = 0, day_id = 0;
        assert_int_equal(mtr_cal_tariff(cal, &lt, &tariff, &day_id), MTR_OK);
        if (tariff != t_e || day_id != d_e) {
            fail_msg("at %lld (%04u-%02u-%02u %02u:%02u:%02u): T%u day %u, but the jump walk "
                     "from %lld holds T%u day %u until %lld",
                     (long long)t, lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second, tariff,
                     day_id, (long long)e, t_e, d_e, (long long)next);
        }
    }
    /* an upper bound, but not a busy one: about one jump per switch, midnight, season, DST */
    assert_true(jumps < 368u * 8u);
    assert_true(changes > 365u);
}

static void
test_next_change_walk(void **state)
{
    (void)state;
    struct mtr_cal cal;
    ref_cal(&cal);
    /* switches at odd seconds, and inside the repeated autumn hour and the spring gap */
    add_day(&cal, "4: 00:00:30 T3, 02:30:30 T4, 06:00:30 T1, 21:59:30 T2");
    add_week(&cal, "wX: 4 4 4 2 2 4 4");
    add_season(&cal, "dst: 03-15 13:30 wX");
    add_special(&cal, "2026-10-25 4");
    add_special(&cal, "2026-03-29 4");
    struct mtr_cal_error e;
    if (mtr_cal_check(&cal, &e) != MTR_OK) {
        fail_msg("%s %u: %s", e.item, e.index, e.msg);
    }
    struct mtr_clock_config cet;
    mtr_clock_config_default(&cet);
    cet.tz_min = 60;
    cet.dst_enabled = true;
    walk_year(&cal, &cet, 30);

    struct mtr_clock_config utc;
    mtr_clock_config_default(&utc);
    walk_year(&cal, &utc, 30);

    assert_true(mtr_cal_next_change(NULL, &cet, 100) == 101);
    assert_true(mtr_cal_next_change(&cal, NULL, 100) == 101);
    assert_true(mtr_cal_next_change(&cal, &cet, INT64_MAX) == INT64_MAX);
}

/* The change instants themselves: 2026-06-15 (Monday, CEST) day 1 switches 06:00 and 22:00
 * local are 04:00Z (1781496000) and 20:00Z (1781553600); midnight is 22:00Z (1781560800). */
static void
test_next_change_instants(void **state)
{
    (void)state;
    struct mtr_cal cal;
    ref_cal(&cal);
    struct mtr_clock_config cet;
    mtr_clock_config_default(&cet);
    cet.tz_min = 60;
    cet.dst_enabled = true;
    static const struct {
        const char *name;
        int64_t now, want;
    } rows[] = {
        {"00:00 local -> 06:00", 1781474400, 1781496000},
        {"05:59:59 -> 06:00",    1781495999, 1781496000},
        {"06:00 -> 22:00",       1781496000, 1781553600},
        {"22:00 -> midnight",    1781553600, 1781560800},
 /* 2026-03-29 (Sunday, day 2 in winter): 01:00Z DST change comes before 08:00 local */
        {"spring night -> DST",  1774738800, 1774746000},
 /* 2026-04-01 summer starts 06:00 CEST = 04:00Z (1775016000), before day 3's 07:00 */
        {"season start",         1775001600, 1775016000},
    };
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        int64_t got = mtr_cal_next_change(&cal, &cet, rows[r].now);
        if (got != rows[r].want) {
            fail_msg("%s: got %lld, want %lld", rows[r].name, (long long)got,
                     (long long)rows[r].want);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sixteen_switches), cmocka_unit_test(test_week_and_carry),
        cmocka_unit_test(test_weekdays),         cmocka_unit_test(test_seasons),
        cmocka_unit_test(test_special_days),     cmocka_unit_test(test_tariff_args),
        cmocka_unit_test(test_default),          cmocka_unit_test(test_activation),
        cmocka_unit_test(test_check_errors),     cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_values),     cmocka_unit_test(test_next_change_instants),
        cmocka_unit_test(test_next_change_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
