/*
 * Activity calendar: time-of-use tariff selection with the semantics of DLMS/COSEM IC 20
 * (Activity calendar) and IC 11 (Special days table).
 *
 * A calendar is a list of seasons (each starting every year at a local month-day hour:minute
 * and naming a week profile), week profiles (a day profile id for Monday..Sunday), day
 * profiles (up to 16 switch times, each selecting tariff 1..4, the script selector of the
 * tariffication script table 0.0.10.0.100.255) and special days (a fixed date or a date every
 * year, naming a day profile that replaces the week's). mtr_cal_tariff() gives the tariff in
 * force at a local time; mtr_cal_next_change() says when to ask again. A passive calendar
 * replaces the active one at its activation time (mtr_actcal_step()).
 *
 * All structs are plain data (no pointers) so the calendar can be part of the NV state.
 * Strings are NUL-terminated within their array; names are compared byte for byte.
 */
#ifndef METERD_ACTCAL_H
#define METERD_ACTCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/clock.h"
#include "meterd/compiler.h"
#include "meterd/err.h"

/** @name Limits (IDIS-style meters offer 4..12 seasons/weeks, 8 day profiles, 100 special days). */
/**@{*/
#define MTR_CAL_MAX_SEASONS  12      /**< Seasons per calendar. */
#define MTR_CAL_MAX_WEEKS    12      /**< Week profiles per calendar. */
#define MTR_CAL_MAX_DAYS     8       /**< Day profiles per calendar. */
#define MTR_CAL_MAX_SWITCHES 16      /**< Switch times per day profile. */
#define MTR_CAL_MAX_SPECIAL  100     /**< Special days (IC 11 entries). */
#define MTR_CAL_NAME_CAP     9       /**< Name buffer, bytes: 8 characters + NUL. */
#define MTR_CAL_TARIFFS      4       /**< Tariffs T1..T4. */
#define MTR_CAL_YEAR_EVERY   0xFFFFu /**< mtr_cal_special.year: the date recurs every year. */
/**@}*/

/** One switch of a day profile (IC 20 day_profile_action). */
struct mtr_cal_switch {
    uint8_t hour;   /**< Local start time: 0..23. */
    uint8_t minute; /**< 0..59. */
    uint8_t second; /**< 0..59. */
    uint8_t tariff; /**< 1..4: script selector of the tariff script (T1..T4). */
};

/** A day profile; switches strictly ascending in time, at least one. */
struct mtr_cal_day {
    uint8_t id;                                     /**< day_id, any 0..255, unique. */
    uint8_t n_switches;                             /**< 1..MTR_CAL_MAX_SWITCHES. */
    struct mtr_cal_switch sw[MTR_CAL_MAX_SWITCHES]; /**< The first n_switches are used. */
};

/** A week profile. */
struct mtr_cal_week {
    char name[MTR_CAL_NAME_CAP]; /**< 1..8 characters, unique. */
    uint8_t day_id[7];           /**< Day profile for Monday..Sunday. */
};

/** A season: from its start (every year, local time) until the next season's start. */
struct mtr_cal_season {
    char name[MTR_CAL_NAME_CAP]; /**< 0..8 characters (informative). */
    uint8_t month;               /**< Start month 1..12. */
    uint8_t day;                 /**< Start day 1..31 (Feb 29 acts as Mar 1 in common years). */
    uint8_t hour;                /**< Start hour 0..23. */
    uint8_t minute;              /**< Start minute 0..59. */
    char week_name[MTR_CAL_NAME_CAP]; /**< The week profile in force. */
};

/** A special day (IC 11 entry): the day profile replaces the week's for that date. */
struct mtr_cal_special {
    uint16_t year;  /**< 1970..2199, or MTR_CAL_YEAR_EVERY (0xFFFF) for every year. */
    uint8_t month;  /**< 1..12. */
    uint8_t day;    /**< 1..31; Feb 29 only every year or in a leap year. */
    uint8_t day_id; /**< Day profile. */
};

/** A calendar (one of the active/passive sets of IC 20). Plain data. */
struct mtr_cal {
    char name[MTR_CAL_NAME_CAP]; /**< calendar_name, 0..8 characters. */
    uint8_t n_seasons;           /**< 1..MTR_CAL_MAX_SEASONS. */
    uint8_t n_weeks;             /**< 1..MTR_CAL_MAX_WEEKS. */
    uint8_t n_days;              /**< 1..MTR_CAL_MAX_DAYS. */
    uint8_t n_special;           /**< 0..MTR_CAL_MAX_SPECIAL. */
    struct mtr_cal_season season[MTR_CAL_MAX_SEASONS];
    struct mtr_cal_week week[MTR_CAL_MAX_WEEKS];
    struct mtr_cal_day day[MTR_CAL_MAX_DAYS];
    struct mtr_cal_special special[MTR_CAL_MAX_SPECIAL];
};

/** Active and passive calendar (IC 20 attributes 2..10). Plain data. */
struct mtr_actcal {
    struct mtr_cal active;
    struct mtr_cal passive;
    int64_t activate_utc_s; /**< activate_passive_calendar_time, UTC s; INT64_MAX = none. */
};

/** Where mtr_cal_check() found a fault. */
struct mtr_cal_error {
    const char *item; /**< "calendar", "season", "week", "day", "special", "switch". */
    unsigned index;   /**< 0-based index in its table; for "switch" the index of the day. */
    unsigned sub;     /**< For "switch": the 0-based switch index in that day; else 0. */
    const char *msg;  /**< Static English text, e.g. "switch times not in ascending order". */
};

/**
 * Default calendar "default": one season (from 01-01 00:00) with week "week", whose days are
 * all day profile 1, which selects T1 from 00:00; no special days.
 * @param[out] cal  Calendar to fill.
 * Context: any; no allocation.
 */
void mtr_cal_default(struct mtr_cal *cal);

/**
 * Check a calendar.
 * @param[in]  cal    Calendar.
 * @param[out] where  On failure the item, index and message of the first fault (may be NULL).
 * @retval MTR_OK      Valid.
 * @retval MTR_EINVAL  cal NULL, or a fault: counts above the limits; a name without NUL; no
 *                     season; a season start out of range; two seasons with the same start
 *                     ("overlapping seasons"); a season naming an unknown week; an empty or
 *                     duplicate week name; a week naming an unknown day id; a duplicate day
 *                     id; a day with no switches; a switch time out of range or not strictly
 *                     after the previous one; a tariff not 1..4; a special day with an
 *                     invalid date or year, an unknown day id, or a duplicate date (the same
 *                     year, month and day; a dated entry and an every-year entry for the same
 *                     day are allowed, the dated one wins).
 * Context: any; no allocation; O(n^2) in the table sizes (at most ~10^4 comparisons).
 * Spec: IC 20 (IEC 62056-6-2 4.5.5), IC 11 (4.5.4).
 */
MTR_NODISCARD enum mtr_err mtr_cal_check(const struct mtr_cal *cal, struct mtr_cal_error *where);

/**
 * Tariff in force at a local time.
 * The season is the one whose start this year is the latest at or before the local time
 * (before every start of the year: the latest start, from last year). A special day for the
 * date (dated entries before every-year ones) replaces the season's week. Within the day the
 * last switch at or before the time applies; before the day's first switch the last switch
 * of the previous day's profile (as it was at 23:59:59) still applies.
 * @param[in]  cal     Calendar that passes mtr_cal_check().
 * @param[in]  local   Local time; year, month, day, hour, minute, second are used (the
 *                     weekday is computed from the date; dow, tz_min, status are ignored).
 * @param[out] tariff  1..4; untouched on failure.
 * @param[out] day_id  Id of the day profile in force for the date (may be NULL).
 * @retval MTR_OK      Found.
 * @retval MTR_EINVAL  NULL argument, an invalid local date or time, or a calendar that names
 *                     a missing week or day (one that fails mtr_cal_check()).
 * Context: any; no allocation; O(seasons + weeks + days + special days).
 * Spec: IC 20 activity calendar behaviour (IEC 62056-6-2 4.5.5).
 */
MTR_NODISCARD enum mtr_err mtr_cal_tariff(const struct mtr_cal *cal,
                                          const struct mtr_date_time *local,
                                          uint8_t *tariff,
                                          uint8_t *day_id);

/**
 * When to evaluate the calendar again.
 * @param[in] cal    Calendar that passes mtr_cal_check().
 * @param[in] clk    Valid clock configuration.
 * @param[in] utc_s  Now, seconds since 1970-01-01 UTC.
 * @return A UTC instant > utc_s no later than the next instant at which mtr_cal_tariff() of
 *         the local time may give another tariff or day id: the next switch time of today's
 *         profile, a season start today, the next local midnight, or the next DST change,
 *         whichever comes first. utc_s + 1 when cal or clk is NULL; INT64_MAX from
 *         10000-01-01 on. Callers re-evaluate there (it may be a non-change, e.g. midnight).
 * Context: any; no allocation; O(switches + seasons).
 */
int64_t
mtr_cal_next_change(const struct mtr_cal *cal, const struct mtr_clock_config *clk, int64_t utc_s);

/**
 * Activate the passive calendar when its time has come (copy it to the active one and clear
 * the activation time; the passive calendar stays as it was).
 * @param[in,out] ac     Calendars.
 * @param[in]     utc_s  Now, seconds since 1970-01-01 UTC.
 * @return true when the passive calendar was activated now (utc_s >= activate_utc_s).
 * Context: meter loop; no allocation.   Spec: IC 20 attribute 10, method 1.
 */
bool mtr_actcal_step(struct mtr_actcal *ac, int64_t utc_s);

/**
 * Parse a day profile of the configuration file: "1: 00:00 T2, 06:00 T1, 22:00 T2".
 * Id 0..255, a colon, then 1..16 switches "H:MM[:SS] Tn" (hour one or two digits, minute
 * and second two; tariff T1..T4, "t" allowed) separated by commas, strictly ascending.
 * @param[in]  s        NUL-terminated text.
 * @param[out] out      Day profile; untouched on failure.
 * @param[out] err_col  On failure the 0-based column of the fault (may be NULL).
 * @param[out] err_msg  On failure a static English message (may be NULL).
 * @retval MTR_OK      Parsed.
 * @retval MTR_EPROTO  Malformed text or a value out of range.
 * @retval MTR_EINVAL  s or out is NULL.
 * Context: any; no allocation; locale-independent.
 */
MTR_NODISCARD enum mtr_err
mtr_cal_parse_day(const char *s, struct mtr_cal_day *out, size_t *err_col, const char **err_msg);

/**
 * Parse a week profile: "wk1: 1 1 1 1 1 2 2" (name of 1..8 letters, digits, '_', '-' or '.',
 * a colon, exactly 7 day ids 0..255 for Monday..Sunday, separated by blanks or commas).
 * Parameters and return codes as mtr_cal_parse_day().
 */
MTR_NODISCARD enum mtr_err
mtr_cal_parse_week(const char *s, struct mtr_cal_week *out, size_t *err_col, const char **err_msg);

/**
 * Parse a season: "winter: 10-01 00:00 wk1" (name, a colon, MM-DD start, H:MM, week name).
 * Parameters and return codes as mtr_cal_parse_day().
 */
MTR_NODISCARD enum mtr_err mtr_cal_parse_season(const char *s,
                                                struct mtr_cal_season *out,
                                                size_t *err_col,
                                                const char **err_msg);

/**
 * Parse a special day: "12-25 2" (every year) or "2026-12-25 2" (that date only), then the
 * day id. Parameters and return codes as mtr_cal_parse_day().
 */
MTR_NODISCARD enum mtr_err mtr_cal_parse_special(const char *s,
                                                 struct mtr_cal_special *out,
                                                 size_t *err_col,
                                                 const char **err_msg);

#endif /* METERD_ACTCAL_H */
