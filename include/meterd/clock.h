/*
 * Calendar arithmetic of the meter clock: civil dates, the time zone, daylight saving time
 * and the clock status byte of DLMS/COSEM IC 8 (Clock).
 *
 * The meter clock itself (meter time in microseconds since the epoch, set and shift) lives
 * in the application; this module is pure, integer-only arithmetic that turns a UTC instant
 * into the local date-time and back. Dates are proleptic Gregorian; everything is tested for
 * the years 1970..2199 (including the non-leap year 2100).
 *
 * Time zone sign. Internally a zone is kept as minutes EAST of UTC: local = UTC + tz_min
 * (CET = +60, CEST = +120, EST = -300). DLMS has a known ambiguity here: the Blue Book calls
 * both the IC 8 time_zone attribute and the date-time "deviation" the "deviation of local
 * time to UTC", and meters in the field send UTC - local: the Vienna and Tirol pushes of
 * ../shared/data/dlms/vectors.json carry deviation 0xFFC4 (-60) in winter and 0xFF88 (-120)
 * with status 0x80 in summer. We implement that field convention (minutes WEST):
 *     dlms_time_zone = -tz_min (normal time), dlms_deviation = -(zone incl. DST).
 * mtr_clock_tz_to_dlms()/mtr_clock_tz_from_dlms() are the only places that flip the sign
 * (issue 4 may add a per-association option for the other reading).
 *
 * DST rules. A rule names a day (fixed, "first <weekday> on or after day", "last <weekday>")
 * and a time of day. Unless is_utc is set, the time is the local wall-clock time in force just
 * before the change, as in the DLMS daylight_savings_begin/_end attributes: the EU begins at
 * 02:00 CET (normal time) and ends at 03:00 CEST (summer time); both are 01:00 UTC.
 */
#ifndef METERD_CLOCK_H
#define METERD_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

/** @name Clock status bits (IC 8 attribute 4, and the status byte of a date-time). */
/**@{*/
#define MTR_CLOCK_ST_INVALID        0x01u /**< Invalid value (time not set or lost). */
#define MTR_CLOCK_ST_DOUBTFUL       0x02u /**< Doubtful value (e.g. after a long outage). */
#define MTR_CLOCK_ST_DIFF_BASE      0x04u /**< Different clock base. */
#define MTR_CLOCK_ST_INVALID_STATUS 0x08u /**< Invalid clock status. */
#define MTR_CLOCK_ST_DST            0x80u /**< Daylight saving active. */
/**@}*/

/** @name Special values of mtr_dst_rule.day (DLMS date: day_of_month 0xFE/0xFD). */
/**@{*/
#define MTR_CLOCK_DAY_LAST        0xFEu /**< Last day of the month. */
#define MTR_CLOCK_DAY_SECOND_LAST 0xFDu /**< Second last day of the month. */
/**@}*/

/** @name Limits checked by mtr_clock_config_check(). */
/**@{*/
#define MTR_CLOCK_TZ_MIN_MIN  (-720) /**< UTC-12:00 (Blue Book deviation range -720..720). */
#define MTR_CLOCK_TZ_MAX_MIN  840    /**< UTC+14:00 (Line Islands; beyond the Blue Book range). */
#define MTR_CLOCK_DEV_MAX_MIN 120    /**< Largest DST deviation (Blue Book -120..120). */
/**@}*/

/**
 * A local date and time, as shown by the meter. Plain data.
 * Invariant (as produced by mtr_clock_local()): a valid Gregorian date, hour 0..23,
 * minute 0..59, second 0..59; dow matches the date.
 */
struct mtr_date_time {
    uint16_t year;  /**< 1970..2199 (tested range). */
    uint8_t month;  /**< 1..12. */
    uint8_t day;    /**< 1..31. */
    uint8_t dow;    /**< Day of week, 1 = Monday .. 7 = Sunday (DLMS). */
    uint8_t hour;   /**< 0..23. */
    uint8_t minute; /**< 0..59. */
    uint8_t second; /**< 0..59. */
    int16_t tz_min; /**< Zone of this local time including DST, minutes east of UTC. */
    uint8_t status; /**< MTR_CLOCK_ST_* bits. */
};

/**
 * When DST begins or ends, every year.
 * The day is: day (dow 0); the first dow on or after day (dow 1..7); for day 0xFE/0xFD the
 * last/second-last day of the month (dow 0) or the last dow on or before it (dow 1..7).
 * Examples: last Sunday of March = {3, 0xFE, 7}; second Sunday of March = {3, 8, 7}.
 */
struct mtr_dst_rule {
    uint8_t month;  /**< 1..12. */
    uint8_t day;    /**< 1..31 (at most the month's length in a common year), 0xFE, 0xFD. */
    uint8_t dow;    /**< 0 = the day itself, 1 = Monday .. 7 = Sunday. */
    uint8_t hour;   /**< 0..23. */
    uint8_t minute; /**< 0..59. */
    bool is_utc;    /**< false: local wall time before the change; true: hour:minute are UTC. */
};

/** EU rules, valid in every EU zone (WET, CET, EET): last Sunday of March/October, 01:00 UTC. */
#define MTR_CLOCK_DST_EU_BEGIN                   \
    {                                            \
        3u, MTR_CLOCK_DAY_LAST, 7u, 1u, 0u, true \
    }
/** See MTR_CLOCK_DST_EU_BEGIN. */
#define MTR_CLOCK_DST_EU_END                      \
    {                                             \
        10u, MTR_CLOCK_DAY_LAST, 7u, 1u, 0u, true \
    }
/** The same EU rules as DLMS writes them for CET: begin 02:00 CET, end 03:00 CEST (wall time). */
#define MTR_CLOCK_DST_EU_BEGIN_CET                \
    {                                             \
        3u, MTR_CLOCK_DAY_LAST, 7u, 2u, 0u, false \
    }
/** See MTR_CLOCK_DST_EU_BEGIN_CET. */
#define MTR_CLOCK_DST_EU_END_CET                   \
    {                                              \
        10u, MTR_CLOCK_DAY_LAST, 7u, 3u, 0u, false \
    }
/** US rules (since 2007): second Sunday of March, first Sunday of November, 02:00 wall time. */
#define MTR_CLOCK_DST_US_BEGIN    \
    {                             \
        3u, 8u, 7u, 2u, 0u, false \
    }
/** See MTR_CLOCK_DST_US_BEGIN. */
#define MTR_CLOCK_DST_US_END       \
    {                              \
        11u, 1u, 7u, 2u, 0u, false \
    }

/** Time zone and DST configuration (IC 8 attributes 3, 5..8). Checked by mtr_clock_config_check().
 */
struct mtr_clock_config {
    int16_t tz_min;   /**< Normal (winter) time zone, minutes east of UTC, -720..840. */
    bool dst_enabled; /**< DST applies (IC 8 daylight_savings_enabled). */
    struct mtr_dst_rule dst_begin; /**< Start of DST (local normal time unless is_utc). */
    struct mtr_dst_rule dst_end;   /**< End of DST (local summer time unless is_utc). */
    int16_t dst_deviation_min;     /**< DST offset added to tz_min, 1..120 minutes (typ. 60). */
};

/**
 * Default configuration: UTC+0, DST off (rules preset to the EU ones, deviation 60).
 * @param[out] c  Configuration to fill.
 * Context: any; no allocation.
 */
void mtr_clock_config_default(struct mtr_clock_config *c);

/**
 * Check a clock configuration.
 * @param[in]  c     Configuration.
 * @param[out] what  On failure a static English text naming the fault (may be NULL).
 * @retval MTR_OK      Valid.
 * @retval MTR_EINVAL  c is NULL; tz_min outside -720..840; with DST enabled: deviation not
 *                     1..120, a rule with month/day/dow/hour/minute out of range (a fixed
 *                     day must exist in a common year: no Feb 29), or begin and end in the
 *                     same month (the two changes must not be able to cross).
 * Context: any; no allocation.   Spec: IC 8 attributes 3, 5..8 (IEC 62056-6-2 4.5.1).
 */
MTR_NODISCARD enum mtr_err mtr_clock_config_check(const struct mtr_clock_config *c,
                                                  const char **what);

/**
 * Days from 1970-01-01 to a civil date (proleptic Gregorian).
 * @param[in] y  Year, any (tested 1970..2199).
 * @param[in] m  Month 1..12.
 * @param[in] d  Day 1..31; a day past the month's end counts on into the next month.
 * @return Days since 1970-01-01 (negative before).
 * Context: any; constant time, integer only.
 */
int64_t mtr_days_from_civil(int32_t y, unsigned m, unsigned d);

/**
 * Civil date of a day number; the inverse of mtr_days_from_civil().
 * @param[in]  days  Days since 1970-01-01.
 * @param[out] y     Year.
 * @param[out] m     Month 1..12.
 * @param[out] d     Day 1..31.
 * Context: any; constant time, integer only.
 */
void mtr_civil_from_days(int64_t days, int32_t *y, unsigned *m, unsigned *d);

/** @return true when y is a Gregorian leap year (2000 yes, 2100 no). Context: any. */
bool mtr_dt_is_leap(int32_t y);

/** @return Days in month m (1..12) of year y; 0 when m is out of range. Context: any. */
unsigned mtr_dt_days_in_month(int32_t y, unsigned m);

/** @return Day of week of a day number, 1 = Monday .. 7 = Sunday (day 0 is a Thursday). */
unsigned mtr_dt_dow(int64_t days);

/**
 * UTC instant to local date-time.
 * @param[in]  c      Valid configuration (mtr_clock_config_check()).
 * @param[in]  utc_s  Seconds since 1970-01-01 UTC; clamped to 0001-01-01..9999-12-31.
 * @param[out] out    Local time with dow, tz_min (zone incl. DST) and status
 *                    (MTR_CLOCK_ST_DST when DST is in force, no other bit).
 * Context: any; no allocation; constant time.   Spec: IC 8 attribute 2 (local time).
 */
void mtr_clock_local(const struct mtr_clock_config *c, int64_t utc_s, struct mtr_date_time *out);

/**
 * Local wall time to UTC.
 * @param[in]  c      Valid configuration.
 * @param[in]  local  Local time; year/month/day/hour/minute/second are used; dow and status are
 *                    ignored; tz_min only picks the occurrence of an ambiguous time.
 * @param[out] utc_s  Seconds since 1970-01-01 UTC; untouched on failure.
 * @retval MTR_OK      Converted. An ambiguous (autumn) time gives the occurrence whose offset
 *                     equals local->tz_min, else the first (DST) occurrence.
 * @retval MTR_ERANGE  The time does not exist (in the spring-forward gap).
 * @retval MTR_EINVAL  NULL argument, an invalid date or a time field out of range, or a year
 *                     outside 1..9999.
 * Context: any; no allocation; constant time.
 */
MTR_NODISCARD enum mtr_err mtr_clock_to_utc(const struct mtr_clock_config *c,
                                            const struct mtr_date_time *local,
                                            int64_t *utc_s);

/**
 * Next DST change.
 * @param[in] c      Valid configuration.
 * @param[in] utc_s  Seconds since 1970-01-01 UTC.
 * @return The first UTC instant > utc_s at which the offset changes; INT64_MAX when DST is off
 *         (or c is NULL).
 * Context: any; no allocation; constant time.
 */
int64_t mtr_clock_next_dst_change(const struct mtr_clock_config *c, int64_t utc_s);

/**
 * Whether DST is in force at an instant.
 * @param[in] c      Valid configuration.
 * @param[in] utc_s  Seconds since 1970-01-01 UTC.
 * @return true when DST is enabled and in force.
 * Context: any; no allocation; constant time.
 */
bool mtr_clock_is_dst(const struct mtr_clock_config *c, int64_t utc_s);

/**
 * Internal zone (minutes east of UTC) to the DLMS time_zone / date-time deviation.
 * @param[in] tz_min  Minutes east of UTC (CET = +60).
 * @return UTC - local in minutes, the field convention (CET = -60, CEST = -120).
 * Context: any.   Spec: IC 8 attribute 3, date-time deviation (see the file comment).
 */
int16_t mtr_clock_tz_to_dlms(int16_t tz_min);

/**
 * DLMS time_zone / date-time deviation to the internal zone; the inverse of
 * mtr_clock_tz_to_dlms().
 * @param[in] dlms_min  UTC - local in minutes; 0x8000 (INT16_MIN, "not specified") gives 0.
 * @return Minutes east of UTC.
 * Context: any.
 */
int16_t mtr_clock_tz_from_dlms(int16_t dlms_min);

/**
 * Parse a DST rule of the configuration file.
 * Forms (whitespace between parts; month and day two digits or one):
 *   "03-last-Sun 02:00"  last Sunday of March          (day 0xFE, dow 7)
 *   "03-2ndlast-Sun ..." last Sunday on or before the second-last day (0xFD)
 *   "03-last 02:00"      last day of March             (day 0xFE, dow 0)
 *   "03-08 Sun 02:00"    first Sunday on or after the 8th ("03-08-Sun" too)
 *   "03-29 02:00"        the 29th of March
 * The time is local wall time before the change, or UTC with a suffix "Z" or " UTC"
 * ("03-last-Sun 01:00 UTC"). Weekdays: Mon Tue Wed Thu Fri Sat Sun, any case.
 * @param[in]  s        NUL-terminated text.
 * @param[out] out      Rule; untouched on failure.
 * @param[out] err_col  On failure the 0-based column of the fault (may be NULL).
 * @param[out] err_msg  On failure a static English message (may be NULL).
 * @retval MTR_OK      Parsed; the rule passes the checks of mtr_clock_config_check().
 * @retval MTR_EPROTO  Malformed text or a value out of range (see err_col, err_msg).
 * @retval MTR_EINVAL  s or out is NULL.
 * Context: any; no allocation; locale-independent.
 */
MTR_NODISCARD enum mtr_err mtr_clock_parse_dst_rule(const char *s,
                                                    struct mtr_dst_rule *out,
                                                    size_t *err_col,
                                                    const char **err_msg);

#endif /* METERD_CLOCK_H */
