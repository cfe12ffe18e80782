/*
 * Clock arithmetic: civil dates against known day numbers, the EU, US and Australian DST
 * transitions against the IANA time zone database, local <-> UTC including the spring gap and
 * the repeated autumn hour, the configuration check, the DLMS time-zone sign and the DST rule
 * text form.
 *
 * Expected values are independent of this code: day numbers and weekdays from Python's
 * datetime (date(y, m, d) - date(1970, 1, 1), isoweekday()), UTC instants from
 * datetime(..., tzinfo=timezone.utc).timestamp(), and the DST transitions by scanning
 * zoneinfo.ZoneInfo("Europe/Berlin" / "America/New_York" / "Australia/Sydney") hour by hour
 * for a change of utcoffset() (tzdata 2024+; beyond 2037 from the zone's POSIX TZ rule).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterd/clock.h"

#define H   3600
#define MIN 60

struct civil_row {
    const char *name;
    int32_t y;
    unsigned m, d;
    int64_t days;
    unsigned dow;
};

static void
test_civil_known(void **state)
{
    (void)state;
    static const struct civil_row rows[] = {
        {"epoch",            1970, 1,  1,  0,     4},
        {"day before epoch", 1969, 12, 31, -1,    3},
        {"1972 leap day",    1972, 2,  29, 789,   2},
        {"2000-02-29",       2000, 2,  29, 11016, 2},
        {"2000-03-01",       2000, 3,  1,  11017, 3},
        {"2024-02-29",       2024, 2,  29, 19782, 4},
        {"2026-03-29 (Sun)", 2026, 3,  29, 20541, 7},
        {"2026-07-04 (Sat)", 2026, 7,  4,  20638, 6},
        {"2038-01-19",       2038, 1,  19, 24855, 2},
        {"2099-12-31",       2099, 12, 31, 47481, 4},
        {"2100-02-28",       2100, 2,  28, 47540, 7},
        {"2100-03-01",       2100, 3,  1,  47541, 1},
        {"2199-12-31",       2199, 12, 31, 84005, 2},
        {"2200-01-01",       2200, 1,  1,  84006, 3},
    };
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        int64_t days = mtr_days_from_civil(rows[r].y, rows[r].m, rows[r].d);
        if (days != rows[r].days) {
            fail_msg("%s: got day %lld, want %lld", rows[r].name, (long long)days,
                     (long long)rows[r].days);
        }
        int32_t y;
        unsigned m, d;
        mtr_civil_from_days(rows[r].days, &y, &m, &d);
        if (y != rows[r].y || m != rows[r].m || d != rows[r].d) {
            fail_msg("%s: got %d-%02u-%02u", rows[r].name, (int)y, m, d);
        }
        if (mtr_dt_dow(rows[r].days) != rows[r].dow) {
            fail_msg("%s: got weekday %u, want %u", rows[r].name, mtr_dt_dow(rows[r].days),
                     rows[r].dow);
        }
    }
}

/* Every day 1970..2199 (and a margin) against a calendar counted day by day with the
 * Gregorian month lengths written out here: no shared formula with the code under test. */
static void
test_civil_walk(void **state)
{
    (void)state;
    int32_t y = 1969;
    unsigned m = 12, d = 31;
    for (int64_t days = -1; days <= 84100; days++) {
        int32_t gy;
        unsigned gm, gd;
        mtr_civil_from_days(days, &gy, &gm, &gd);
        if (gy != y || gm != m || gd != d) {
            fail_msg("day %lld: got %d-%u-%u, want %d-%u-%u", (long long)days, (int)gy, gm, gd,
                     (int)y, m, d);
        }
        assert_int_equal(mtr_days_from_civil(y, m, d), days);
        /* next day */
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        unsigned len =
            (m == 2) ? (leap ? 29u : 28u) : ((m == 4 || m == 6 || m == 9 || m == 11) ? 30u : 31u);
        assert_int_equal(mtr_dt_days_in_month(y, m), len);
        if (++d > len) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

static void
test_leap(void **state)
{
    (void)state;
    static const struct {
        int32_t y;
        bool leap;
    } rows[] = {
        {1970, false},
        {1972, true },
        {2000, true },
        {2023, false},
        {2024, true },
        {2100, false},
        {2104, true },
        {2200, false},
    };
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        if (mtr_dt_is_leap(rows[r].y) != rows[r].leap) {
            fail_msg("%d: leap %d", (int)rows[r].y, (int)rows[r].leap);
        }
    }
    assert_int_equal(mtr_dt_days_in_month(2100, 2), 28);
    assert_int_equal(mtr_dt_days_in_month(2000, 2), 29);
    assert_int_equal(mtr_dt_days_in_month(2026, 13), 0);
    assert_int_equal(mtr_dt_days_in_month(2026, 0), 0);
}

static struct mtr_clock_config
cfg_zone(int16_t tz_min, struct mtr_dst_rule b, struct mtr_dst_rule e)
{
    struct mtr_clock_config c;
    mtr_clock_config_default(&c);
    c.tz_min = tz_min;
    c.dst_enabled = true;
    c.dst_begin = b;
    c.dst_end = e;
    c.dst_deviation_min = 60;
    return c;
}

static struct mtr_clock_config
cfg_cet(void)
{
    return cfg_zone(60, (struct mtr_dst_rule)MTR_CLOCK_DST_EU_BEGIN,
                    (struct mtr_dst_rule)MTR_CLOCK_DST_EU_END);
}

static struct mtr_clock_config
cfg_cet_wall(void)
{
    return cfg_zone(60, (struct mtr_dst_rule)MTR_CLOCK_DST_EU_BEGIN_CET,
                    (struct mtr_dst_rule)MTR_CLOCK_DST_EU_END_CET);
}

static struct mtr_clock_config
cfg_us_eastern(void)
{
    return cfg_zone(-300, (struct mtr_dst_rule)MTR_CLOCK_DST_US_BEGIN,
                    (struct mtr_dst_rule)MTR_CLOCK_DST_US_END);
}

static struct mtr_clock_config
cfg_sydney(void)
{
    /* since 2008: first Sunday of October 02:00 AEST, first Sunday of April 03:00 AEDT */
    return cfg_zone(600, (struct mtr_dst_rule){10, 1, 7, 2, 0, false},
                    (struct mtr_dst_rule){4, 1, 7, 3, 0, false});
}

struct local_row {
    const char *name;
    int64_t utc_s;
    uint16_t y;
    uint8_t mo, d, dow, h, mi, s;
    int16_t tz_min;
    uint8_t status;
};

static void
check_local(const struct mtr_clock_config *c, const struct local_row *rows, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        struct mtr_date_time lt;
        memset(&lt, 0xAA, sizeof(lt));
        mtr_clock_local(c, rows[r].utc_s, &lt);
        if (lt.year != rows[r].y || lt.month != rows[r].mo || lt.day != rows[r].d ||
            lt.dow != rows[r].dow || lt.hour != rows[r].h || lt.minute != rows[r].mi ||
            lt.second != rows[r].s || lt.tz_min != rows[r].tz_min || lt.status != rows[r].status) {
            fail_msg("%s: got %u-%02u-%02u (%u) %02u:%02u:%02u tz %d st 0x%02x", rows[r].name,
                     lt.year, lt.month, lt.day, lt.dow, lt.hour, lt.minute, lt.second, lt.tz_min,
                     lt.status);
        }
        /* and back: the same wall time with its offset gives the same instant */
        int64_t back = 0;
        assert_int_equal(mtr_clock_to_utc(c, &lt, &back), MTR_OK);
        if (back != rows[r].utc_s) {
            fail_msg("%s: back to %lld", rows[r].name, (long long)back);
        }
    }
}

static void
test_local_utc(void **state)
{
    (void)state;
    struct mtr_clock_config c;
    mtr_clock_config_default(&c);
    static const struct local_row rows[] = {
        {"epoch",          0,          1970, 1,  1,  4, 0,  0,  0,  0, 0},
        {"2^31-1",         2147483647, 2038, 1,  19, 2, 3,  14, 7,  0, 0},
        {"2100-02-28 end", 4107542399, 2100, 2,  28, 7, 23, 59, 59, 0, 0},
        {"2100-03-01",     4107542400, 2100, 3,  1,  1, 0,  0,  0,  0, 0},
        {"2199-12-31 end", 7258118399, 2199, 12, 31, 2, 23, 59, 59, 0, 0},
    };
    check_local(&c, rows, MTR_ARRAY_COUNT(rows));
}

/* EU 2026: begins 2026-03-29 01:00 UTC (1774746000), ends 2026-10-25 01:00 UTC (1792890000). */
static const struct local_row cet_rows[] = {
    {"winter",             1767225600,     2026, 1,  1,  4, 1, 0,  0,  60,  0   },
    {"before spring jump", 1774746000 - 1, 2026, 3,  29, 7, 1, 59, 59, 60,  0   },
    {"at spring jump",     1774746000,     2026, 3,  29, 7, 3, 0,  0,  120, 0x80},
    {"summer",             1783123200,     2026, 7,  4,  6, 2, 0,  0,  120, 0x80},
    {"before autumn",      1792890000 - 1, 2026, 10, 25, 7, 2, 59, 59, 120, 0x80},
    {"at autumn",          1792890000,     2026, 10, 25, 7, 2, 0,  0,  60,  0   },
    {"new year local",     1798758000,     2027, 1,  1,  5, 0, 0,  0,  60,  0   },
};

static void
test_local_cet(void **state)
{
    (void)state;
    struct mtr_clock_config c = cfg_cet();
    check_local(&c, cet_rows, MTR_ARRAY_COUNT(cet_rows));
    c = cfg_cet_wall();
    check_local(&c, cet_rows, MTR_ARRAY_COUNT(cet_rows));
}

/* US 2026: begins 2026-03-08 07:00 UTC (1772953200), ends 2026-11-01 06:00 UTC (1793512800). */
static void
test_local_us(void **state)
{
    (void)state;
    struct mtr_clock_config c = cfg_us_eastern();
    static const struct local_row rows[] = {
        {"before spring", 1772953200 - 1, 2026, 3,  8, 7, 1, 59, 59, -300, 0   },
        {"at spring",     1772953200,     2026, 3,  8, 7, 3, 0,  0,  -240, 0x80},
        {"before autumn", 1793512800 - 1, 2026, 11, 1, 7, 1, 59, 59, -240, 0x80},
        {"at autumn",     1793512800,     2026, 11, 1, 7, 1, 0,  0,  -300, 0   },
    };
    check_local(&c, rows, MTR_ARRAY_COUNT(rows));
}

struct to_utc_row {
    const char *name;
    int which; /* 0 CET, 1 US Eastern */
    uint16_t y;
    uint8_t mo, d, h, mi, s;
    int16_t tz_hint;
    enum mtr_err err;
    int64_t utc_s;
};

static void
test_to_utc(void **state)
{
    (void)state;
    static const struct to_utc_row rows[] = {
        {"CET gap start",       0, 2026, 3,  29, 2,  0,  0,  60,   MTR_ERANGE, 0                },
        {"CET gap middle",      0, 2026, 3,  29, 2,  30, 0,  60,   MTR_ERANGE, 0                },
        {"CET gap end",         0, 2026, 3,  29, 2,  59, 59, 120,  MTR_ERANGE, 0                },
        {"CET after gap",       0, 2026, 3,  29, 3,  0,  0,  0,    MTR_OK,     1774746000       },
        {"CET before gap",      0, 2026, 3,  29, 1,  59, 59, 0,    MTR_OK,     1774746000 - 1   },
        {"CET ambiguous CEST",  0, 2026, 10, 25, 2,  30, 0,  120,  MTR_OK,     1792890000 - 1800},
        {"CET ambiguous CET",   0, 2026, 10, 25, 2,  30, 0,  60,   MTR_OK,     1792890000 + 1800},
        {"CET ambiguous first", 0, 2026, 10, 25, 2,  30, 0,  0,    MTR_OK,     1792890000 - 1800},
        {"CET 02:00 again",     0, 2026, 10, 25, 2,  0,  0,  60,   MTR_OK,     1792890000       },
        {"CET after overlap",   0, 2026, 10, 25, 3,  0,  0,  120,  MTR_OK,     1792890000 + 3600},
        {"US gap",              1, 2026, 3,  8,  2,  30, 0,  -300, MTR_ERANGE, 0                },
        {"US ambiguous EDT",    1, 2026, 11, 1,  1,  30, 0,  -240, MTR_OK,     1793512800 - 1800},
        {"US ambiguous EST",    1, 2026, 11, 1,  1,  30, 0,  -300, MTR_OK,     1793512800 + 1800},
        {"Feb 29 2026",         0, 2026, 2,  29, 0,  0,  0,  60,   MTR_EINVAL, 0                },
        {"Feb 29 2100",         0, 2100, 2,  29, 0,  0,  0,  60,   MTR_EINVAL, 0                },
        {"Feb 29 2000",         0, 2000, 2,  29, 0,  0,  0,  60,   MTR_OK,     951778800        },
        {"month 13",            0, 2026, 13, 1,  0,  0,  0,  60,   MTR_EINVAL, 0                },
        {"hour 24",             0, 2026, 1,  1,  24, 0,  0,  60,   MTR_EINVAL, 0                },
        {"second 60",           0, 2026, 1,  1,  0,  0,  60, 60,   MTR_EINVAL, 0                },
    };
    struct mtr_clock_config cfgs[2] = {cfg_cet(), cfg_us_eastern()};
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        struct mtr_date_time lt = {rows[r].y,  rows[r].mo, rows[r].d,       0xFF, rows[r].h,
                                   rows[r].mi, rows[r].s,  rows[r].tz_hint, 0};
        int64_t u = -77;
        enum mtr_err err = mtr_clock_to_utc(&cfgs[rows[r].which], &lt, &u);
        if (err != rows[r].err) {
            fail_msg("%s: got error %d, want %d", rows[r].name, err, rows[r].err);
        }
        int64_t want = rows[r].err == MTR_OK ? rows[r].utc_s : -77;
        if (u != want) {
            fail_msg("%s: got %lld, want %lld", rows[r].name, (long long)u, (long long)want);
        }
    }
    assert_int_equal(mtr_clock_to_utc(NULL, NULL, NULL), MTR_EINVAL);
}

/* Every quarter hour of 2026 (and into 2027) round-trips in CET and US Eastern. */
static void
test_round_trip(void **state)
{
    (void)state;
    struct mtr_clock_config cfgs[3] = {cfg_cet(), cfg_us_eastern(), cfg_sydney()};
    for (size_t k = 0; k < 3; k++) {
        for (int64_t t = 1767225600 - 86400; t < 1798761600 + 86400; t += 900) {
            struct mtr_date_time lt;
            mtr_clock_local(&cfgs[k], t, &lt);
            int64_t back = 0;
            assert_int_equal(mtr_clock_to_utc(&cfgs[k], &lt, &back), MTR_OK);
            if (back != t) {
                fail_msg("zone %zu: %lld -> %lld", k, (long long)t, (long long)back);
            }
        }
    }
}

struct trans_row {
    int32_t year;
    int64_t first, second;
};

/* zoneinfo Europe/Berlin */
static const struct trans_row eu_rows[] = {
    {2000, 954032400LL,  972781200LL },
    {2001, 985482000LL,  1004230800LL},
    {2002, 1017536400LL, 1035680400LL},
    {2003, 1048986000LL, 1067130000LL},
    {2004, 1080435600LL, 1099184400LL},
    {2005, 1111885200LL, 1130634000LL},
    {2006, 1143334800LL, 1162083600LL},
    {2007, 1174784400LL, 1193533200LL},
    {2008, 1206838800LL, 1224982800LL},
    {2009, 1238288400LL, 1256432400LL},
    {2010, 1269738000LL, 1288486800LL},
    {2011, 1301187600LL, 1319936400LL},
    {2012, 1332637200LL, 1351386000LL},
    {2013, 1364691600LL, 1382835600LL},
    {2014, 1396141200LL, 1414285200LL},
    {2015, 1427590800LL, 1445734800LL},
    {2016, 1459040400LL, 1477789200LL},
    {2017, 1490490000LL, 1509238800LL},
    {2018, 1521939600LL, 1540688400LL},
    {2019, 1553994000LL, 1572138000LL},
    {2020, 1585443600LL, 1603587600LL},
    {2021, 1616893200LL, 1635642000LL},
    {2022, 1648342800LL, 1667091600LL},
    {2023, 1679792400LL, 1698541200LL},
    {2024, 1711846800LL, 1729990800LL},
    {2025, 1743296400LL, 1761440400LL},
    {2026, 1774746000LL, 1792890000LL},
    {2027, 1806195600LL, 1824944400LL},
    {2028, 1837645200LL, 1856394000LL},
    {2029, 1869094800LL, 1887843600LL},
    {2030, 1901149200LL, 1919293200LL},
    {2031, 1932598800LL, 1950742800LL},
    {2032, 1964048400LL, 1982797200LL},
    {2033, 1995498000LL, 2014246800LL},
    {2034, 2026947600LL, 2045696400LL},
    {2035, 2058397200LL, 2077146000LL},
    {2036, 2090451600LL, 2108595600LL},
    {2037, 2121901200LL, 2140045200LL},
    {2038, 2153350800LL, 2172099600LL},
    {2099, 4078429200LL, 4096573200LL},
    {2100, 4109878800LL, 4128627600LL},
    {2101, 4141328400LL, 4160077200LL},
    {2150, 5687802000LL, 5705946000LL},
    {2199, 7234275600LL, 7252419600LL},
};

/* zoneinfo America/New_York (rules of 2007) */
static const struct trans_row us_rows[] = {
    {2007, 1173596400LL, 1194156000LL},
    {2008, 1205046000LL, 1225605600LL},
    {2009, 1236495600LL, 1257055200LL},
    {2010, 1268550000LL, 1289109600LL},
    {2011, 1299999600LL, 1320559200LL},
    {2012, 1331449200LL, 1352008800LL},
    {2013, 1362898800LL, 1383458400LL},
    {2014, 1394348400LL, 1414908000LL},
    {2015, 1425798000LL, 1446357600LL},
    {2016, 1457852400LL, 1478412000LL},
    {2017, 1489302000LL, 1509861600LL},
    {2018, 1520751600LL, 1541311200LL},
    {2019, 1552201200LL, 1572760800LL},
    {2020, 1583650800LL, 1604210400LL},
    {2021, 1615705200LL, 1636264800LL},
    {2022, 1647154800LL, 1667714400LL},
    {2023, 1678604400LL, 1699164000LL},
    {2024, 1710054000LL, 1730613600LL},
    {2025, 1741503600LL, 1762063200LL},
    {2026, 1772953200LL, 1793512800LL},
    {2027, 1805007600LL, 1825567200LL},
    {2028, 1836457200LL, 1857016800LL},
    {2029, 1867906800LL, 1888466400LL},
    {2030, 1899356400LL, 1919916000LL},
    {2031, 1930806000LL, 1951365600LL},
    {2032, 1962860400LL, 1983420000LL},
    {2033, 1994310000LL, 2014869600LL},
    {2034, 2025759600LL, 2046319200LL},
    {2035, 2057209200LL, 2077768800LL},
    {2036, 2088658800LL, 2109218400LL},
    {2037, 2120108400LL, 2140668000LL},
    {2038, 2152162800LL, 2172722400LL},
    {2099, 4076636400LL, 4097196000LL},
    {2100, 4108690800LL, 4129250400LL},
    {2101, 4140140400LL, 4160700000LL},
    {2150, 5686009200LL, 5706568800LL},
    {2199, 7232482800LL, 7253042400LL},
};

/* zoneinfo Australia/Sydney (rules of 2008): first the April end, then the October begin */
static const struct trans_row syd_rows[] = {
    {2008, 1207411200LL, 1223136000LL},
    {2009, 1238860800LL, 1254585600LL},
    {2010, 1270310400LL, 1286035200LL},
    {2011, 1301760000LL, 1317484800LL},
    {2012, 1333209600LL, 1349539200LL},
    {2013, 1365264000LL, 1380988800LL},
    {2014, 1396713600LL, 1412438400LL},
    {2015, 1428163200LL, 1443888000LL},
    {2016, 1459612800LL, 1475337600LL},
    {2017, 1491062400LL, 1506787200LL},
    {2018, 1522512000LL, 1538841600LL},
    {2019, 1554566400LL, 1570291200LL},
    {2020, 1586016000LL, 1601740800LL},
    {2021, 1617465600LL, 1633190400LL},
    {2022, 1648915200LL, 1664640000LL},
    {2023, 1680364800LL, 1696089600LL},
    {2024, 1712419200LL, 1728144000LL},
    {2025, 1743868800LL, 1759593600LL},
    {2026, 1775318400LL, 1791043200LL},
    {2027, 1806768000LL, 1822492800LL},
    {2028, 1838217600LL, 1853942400LL},
    {2029, 1869667200LL, 1885996800LL},
    {2030, 1901721600LL, 1917446400LL},
    {2031, 1933171200LL, 1948896000LL},
    {2032, 1964620800LL, 1980345600LL},
    {2033, 1996070400LL, 2011795200LL},
    {2034, 2027520000LL, 2043244800LL},
    {2035, 2058969600LL, 2075299200LL},
    {2036, 2091024000LL, 2106748800LL},
    {2037, 2122473600LL, 2138198400LL},
    {2038, 2153923200LL, 2169648000LL},
    {2099, 4079001600LL, 4094726400LL},
    {2100, 4110451200LL, 4126176000LL},
    {2101, 4141900800LL, 4157625600LL},
    {2150, 5688374400LL, 5704099200LL},
    {2199, 7234848000LL, 7250572800LL},
};

static void
check_transitions(const char *zone,
                  const struct mtr_clock_config *c,
                  const struct trans_row *rows,
                  size_t n,
                  bool first_turns_on)
{
    for (size_t r = 0; r < n; r++) {
        int64_t jan1 = mtr_days_from_civil(rows[r].year, 1, 1) * 86400;
        int64_t t1 = mtr_clock_next_dst_change(c, jan1);
        int64_t t1b = mtr_clock_next_dst_change(c, rows[r].first - 1);
        int64_t t2 = mtr_clock_next_dst_change(c, rows[r].first);
        int64_t t2b = mtr_clock_next_dst_change(c, rows[r].second - 1);
        if (t1 != rows[r].first || t1b != rows[r].first || t2 != rows[r].second ||
            t2b != rows[r].second) {
            fail_msg("%s %d: got %lld %lld %lld %lld, want %lld %lld", zone, (int)rows[r].year,
                     (long long)t1, (long long)t1b, (long long)t2, (long long)t2b,
                     (long long)rows[r].first, (long long)rows[r].second);
        }
        bool on1 = mtr_clock_is_dst(c, rows[r].first);
        bool off1 = mtr_clock_is_dst(c, rows[r].first - 1);
        bool on2 = mtr_clock_is_dst(c, rows[r].second);
        bool off2 = mtr_clock_is_dst(c, rows[r].second - 1);
        if (on1 != first_turns_on || off1 == first_turns_on || on2 == first_turns_on ||
            off2 != first_turns_on) {
            fail_msg("%s %d: DST state wrong around the changes", zone, (int)rows[r].year);
        }
    }
}

static void
test_dst_transitions(void **state)
{
    (void)state;
    struct mtr_clock_config cet = cfg_cet();
    struct mtr_clock_config cet_wall = cfg_cet_wall();
    struct mtr_clock_config us = cfg_us_eastern();
    struct mtr_clock_config syd = cfg_sydney();
    check_transitions("EU (UTC rule)", &cet, eu_rows, MTR_ARRAY_COUNT(eu_rows), true);
    check_transitions("EU (CET wall rule)", &cet_wall, eu_rows, MTR_ARRAY_COUNT(eu_rows), true);
    check_transitions("US Eastern", &us, us_rows, MTR_ARRAY_COUNT(us_rows), true);
    check_transitions("Sydney", &syd, syd_rows, MTR_ARRAY_COUNT(syd_rows), false);
    /* the UTC form of the EU rule serves every EU zone: London and Helsinki change together */
    struct mtr_clock_config lon = cet;
    lon.tz_min = 0;
    struct mtr_clock_config hel = cet;
    hel.tz_min = 120;
    check_transitions("EU London", &lon, eu_rows, MTR_ARRAY_COUNT(eu_rows), true);
    check_transitions("EU Helsinki", &hel, eu_rows, MTR_ARRAY_COUNT(eu_rows), true);

    struct mtr_clock_config off;
    mtr_clock_config_default(&off);
    assert_true(mtr_clock_next_dst_change(&off, 1774746000) == INT64_MAX);
    assert_false(mtr_clock_is_dst(&off, 1783123200));
    assert_true(mtr_clock_next_dst_change(NULL, 0) == INT64_MAX);
}

/* Second-last-day rule and a fixed date: 0xFD + Sunday in October 2026 (Oct 30 is a Friday,
 * so the Sunday on or before it is Oct 25); a fixed 04-01 end without weekday. */
static void
test_dst_rule_days(void **state)
{
    (void)state;
    struct mtr_clock_config c = cfg_zone(0, (struct mtr_dst_rule){3, 0xFD, 0, 12, 0, true},
                                         (struct mtr_dst_rule){10, 0xFD, 7, 12, 0, true});
    assert_int_equal(mtr_clock_config_check(&c, NULL), MTR_OK);
    int64_t jan1 = mtr_days_from_civil(2026, 1, 1) * 86400;
    /* 2026-03-30 12:00 UTC = 1774872000; 2026-10-25 12:00 UTC = 1792929600 */
    int64_t b = mtr_clock_next_dst_change(&c, jan1);
    int64_t e = mtr_clock_next_dst_change(&c, b);
    assert_true(b == 1774872000);
    assert_true(e == 1792929600);
    /* "last day of February" follows leap years: 2024-02-29 12:00 UTC = 1709208000 */
    c.dst_begin = (struct mtr_dst_rule){2, 0xFE, 0, 12, 0, true};
    b = mtr_clock_next_dst_change(&c, mtr_days_from_civil(2024, 1, 1) * 86400);
    assert_true(b == 1709208000);
}

struct check_row {
    const char *name;
    struct mtr_clock_config c;
    enum mtr_err err;
};

static void
test_config_check(void **state)
{
    (void)state;
    struct mtr_clock_config ok = cfg_cet();
    struct check_row rows[] = {
        {"CET ok",            ok, MTR_OK    },
        {"tz -721",           ok, MTR_EINVAL},
        {"tz 841",            ok, MTR_EINVAL},
        {"dev 0",             ok, MTR_EINVAL},
        {"dev 121",           ok, MTR_EINVAL},
        {"begin month 0",     ok, MTR_EINVAL},
        {"end month 13",      ok, MTR_EINVAL},
        {"begin day 0",       ok, MTR_EINVAL},
        {"begin Feb 29",      ok, MTR_EINVAL},
        {"begin Apr 31",      ok, MTR_EINVAL},
        {"begin day 0xFC",    ok, MTR_EINVAL},
        {"end dow 8",         ok, MTR_EINVAL},
        {"end hour 24",       ok, MTR_EINVAL},
        {"end minute 60",     ok, MTR_EINVAL},
        {"same month",        ok, MTR_EINVAL},
        {"DST off, bad rule", ok, MTR_OK    },
        {"tz -720 ok",        ok, MTR_OK    },
    };
    rows[1].c.tz_min = -721;
    rows[2].c.tz_min = 841;
    rows[3].c.dst_deviation_min = 0;
    rows[4].c.dst_deviation_min = 121;
    rows[5].c.dst_begin.month = 0;
    rows[6].c.dst_end.month = 13;
    rows[7].c.dst_begin.day = 0;
    rows[8].c.dst_begin = (struct mtr_dst_rule){2, 29, 0, 2, 0, false};
    rows[9].c.dst_begin = (struct mtr_dst_rule){4, 31, 0, 2, 0, false};
    rows[10].c.dst_begin.day = 0xFC;
    rows[11].c.dst_end.dow = 8;
    rows[12].c.dst_end.hour = 24;
    rows[13].c.dst_end.minute = 60;
    rows[14].c.dst_end.month = 3;
    rows[15].c.dst_enabled = false;
    rows[15].c.dst_end.month = 13;
    rows[16].c.tz_min = -720;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        const char *what = NULL;
        enum mtr_err err = mtr_clock_config_check(&rows[r].c, &what);
        if (err != rows[r].err || (err != MTR_OK && what == NULL)) {
            fail_msg("%s: got %d (%s)", rows[r].name, err, what ? what : "-");
        }
    }
    const char *what = NULL;
    assert_int_equal(mtr_clock_config_check(NULL, &what), MTR_EINVAL);
    assert_non_null(what);
    struct mtr_clock_config def;
    mtr_clock_config_default(&def);
    assert_int_equal(mtr_clock_config_check(&def, NULL), MTR_OK);
    assert_int_equal(def.tz_min, 0);
    assert_false(def.dst_enabled);
}

static void
test_dlms_sign(void **state)
{
    (void)state;
    /* Vienna/Tirol pushes (shared/data/dlms/vectors.json): winter 0xFFC4, summer 0xFF88 */
    assert_int_equal(mtr_clock_tz_to_dlms(60), -60);
    assert_int_equal(mtr_clock_tz_to_dlms(120), -120);
    assert_int_equal(mtr_clock_tz_to_dlms(-300), 300);
    assert_int_equal(mtr_clock_tz_from_dlms((int16_t)-60), 60);
    assert_int_equal(mtr_clock_tz_from_dlms((int16_t)-120), 120);
    assert_int_equal(mtr_clock_tz_from_dlms(INT16_MIN), 0);
}

struct rule_row {
    const char *name;
    const char *text;
    enum mtr_err err;
    struct mtr_dst_rule want;
    size_t col;
};

static void
test_parse_dst_rule(void **state)
{
    (void)state;
    static const struct rule_row rows[] = {
        {"EU begin wall",    "03-last-Sun 02:00",       MTR_OK,     {3, 0xFE, 7, 2, 0, false},   0 },
        {"EU end UTC",       "10-last-Sun 01:00 UTC",   MTR_OK,     {10, 0xFE, 7, 1, 0, true},   0 },
        {"EU Z",             "3-last-sun 01:00Z",       MTR_OK,     {3, 0xFE, 7, 1, 0, true},    0 },
        {"US begin",         "03-08 Sun 02:00",         MTR_OK,     {3, 8, 7, 2, 0, false},      0 },
        {"US dash form",     "03-08-SUN 2:00",          MTR_OK,     {3, 8, 7, 2, 0, false},      0 },
        {"second last",      " 10-2ndlast-Sat 03:30 ",  MTR_OK,     {10, 0xFD, 6, 3, 30, false}, 0 },
        {"last day",         "02-last 12:00 utc",       MTR_OK,     {2, 0xFE, 0, 12, 0, true},   0 },
        {"fixed",            "04-01 00:00",             MTR_OK,     {4, 1, 0, 0, 0, false},      0 },
        {"empty",            "",                        MTR_EPROTO, {0},                         0 },
        {"month 13",         "13-last-Sun 02:00",       MTR_EPROTO, {0},                         0 },
        {"month 0",          "00-last-Sun 02:00",       MTR_EPROTO, {0},                         0 },
        {"no dash",          "03 last-Sun 02:00",       MTR_EPROTO, {0},                         2 },
        {"bad word",         "03-first-Sun 02:00",      MTR_EPROTO, {0},                         3 },
        {"bad weekday",      "03-last-Sunday 02:00",    MTR_EPROTO, {0},                         8 },
        {"weekday missing",  "03-last- 02:00",          MTR_EPROTO, {0},                         8 },
        {"Feb 29",           "02-29 02:00",             MTR_EPROTO, {0},                         3 },
        {"Apr 31",           "04-31 02:00",             MTR_EPROTO, {0},                         3 },
        {"no time",          "03-last-Sun",             MTR_EPROTO, {0},                         11},
        {"hour 24",          "03-last-Sun 24:00",       MTR_EPROTO, {0},                         12},
        {"minute 60",        "03-last-Sun 02:60",       MTR_EPROTO, {0},                         15},
        {"one-digit minute", "03-last-Sun 02:0",        MTR_EPROTO, {0},                         15},
        {"bad suffix",       "03-last-Sun 02:00 CET",   MTR_EPROTO, {0},                         18},
        {"trailing",         "03-last-Sun 02:00 UTC x", MTR_EPROTO, {0},                         22},
        {"seconds",          "03-last-Sun 02:00:00",    MTR_EPROTO, {0},                         17},
    };
    for (size_t r = 0; r < MTR_ARRAY_COUNT(rows); r++) {
        struct mtr_dst_rule got;
        memset(&got, 0x5A, sizeof(got));
        struct mtr_dst_rule untouched = got;
        size_t col = 999;
        const char *msg = NULL;
        enum mtr_err err = mtr_clock_parse_dst_rule(rows[r].text, &got, &col, &msg);
        if (err != rows[r].err) {
            fail_msg("%s: got %d (col %zu %s)", rows[r].name, err, col, msg ? msg : "");
        }
        if (err == MTR_OK) {
            const struct mtr_dst_rule *w = &rows[r].want;
            if (got.month != w->month || got.day != w->day || got.dow != w->dow ||
                got.hour != w->hour || got.minute != w->minute || got.is_utc != w->is_utc) {
                fail_msg("%s: got %u %u %u %u:%u utc %d", rows[r].name, got.month, got.day, got.dow,
                         got.hour, got.minute, (int)got.is_utc);
            }
        } else {
            if (col != rows[r].col || msg == NULL) {
                fail_msg("%s: got column %zu (%s), want %zu", rows[r].name, col,
                         msg ? msg : "no message", rows[r].col);
            }
            if (memcmp(&got, &untouched, sizeof(got)) != 0) {
                fail_msg("%s: output changed on error", rows[r].name);
            }
        }
    }
    struct mtr_dst_rule r;
    assert_int_equal(mtr_clock_parse_dst_rule(NULL, &r, NULL, NULL), MTR_EINVAL);
    assert_int_equal(mtr_clock_parse_dst_rule("03-last-Sun 02:00", NULL, NULL, NULL), MTR_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_known),
        cmocka_unit_test(test_civil_walk),
        cmocka_unit_test(test_leap),
        cmocka_unit_test(test_local_utc),
        cmocka_unit_test(test_local_cet),
        cmocka_unit_test(test_local_us),
        cmocka_unit_test(test_to_utc),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_dst_transitions),
        cmocka_unit_test(test_dst_rule_days),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_dlms_sign),
        cmocka_unit_test(test_parse_dst_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
