/*
 * Civil (proleptic Gregorian) date arithmetic: day numbers since 1970-01-01, leap years,
 * month lengths and weekdays. Integer only; the day-number algorithms are the era-based ones
 * of H. Hinnant ("chrono-Compatible Low-Level Date Algorithms"), which are exact for every
 * year representable here and need no tables.
 */
#include "meterd/clock.h"

#include <stdint.h>

/* Days from 0000-03-01 to 1970-01-01 in the era-based count. */
#define DAYS_0000_03_01_TO_EPOCH 719468
/* A Gregorian era of 400 years has exactly 146097 days. */
#define DAYS_PER_ERA             146097
#define YEARS_PER_ERA            400
#define DAYS_PER_WEEK            7

int64_t
mtr_days_from_civil(int32_t y, unsigned m, unsigned d)
{
    int64_t yy = (int64_t)y - (m <= 2u ? 1 : 0);
    int64_t era = (yy >= 0 ? yy : yy - (YEARS_PER_ERA - 1)) / YEARS_PER_ERA;
    int64_t yoe = yy - era * YEARS_PER_ERA;      /* [0, 399] */
    int64_t mp = (int64_t)m + (m > 2u ? -3 : 9); /* March = 0 .. February = 11 */
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * DAYS_PER_ERA + doe - DAYS_0000_03_01_TO_EPOCH;
}

void
mtr_civil_from_days(int64_t days, int32_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + DAYS_0000_03_01_TO_EPOCH;
    int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
    int64_t doe = z - era * DAYS_PER_ERA;                                /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;                           /* [1, 31] */
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;                              /* [1, 12] */
    int64_t yy = yoe + era * YEARS_PER_ERA + (mm <= 2 ? 1 : 0);
    if (y != NULL) {
        *y = (int32_t)yy;
    }
    if (m != NULL) {
        *m = (unsigned)mm;
    }
    if (d != NULL) {
        *d = (unsigned)dd;
    }
}

bool
mtr_dt_is_leap(int32_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned
mtr_dt_days_in_month(int32_t y, unsigned m)
{
    static const uint8_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1u || m > 12u) {
        return 0;
    }
    if (m == 2u && mtr_dt_is_leap(y)) {
        return 29;
    }
    return mdays[m - 1u];
}

unsigned
mtr_dt_dow(int64_t days)
{
    /* 1970-01-01 was a Thursday (4); the remainder is made non-negative for early dates. */
    int64_t r = (days + 3) % DAYS_PER_WEEK;
    if (r < 0) {
        r += DAYS_PER_WEEK;
    }
    return (unsigned)r + 1u;
}
