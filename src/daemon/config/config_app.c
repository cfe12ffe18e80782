/*
 * The meter application's settings from the configuration (config_app.h): clock,
 * tariff source and activity calendar, demand, capture periods, billing.
 */
#include "config/config_app.h"

#include "loop/meter_app.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Parse "HH:MM" into hour and minute. */
static bool
parse_hhmm(const char *s, uint8_t *hh, uint8_t *mm)
{
    unsigned h = 0;
    unsigned m = 0;
    char tail = 0;
    if (sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 23u || m > 59u) {
        return false;
    }
    *hh = (uint8_t)h;
    *mm = (uint8_t)m;
    return true;
}

typedef enum mtr_err (*item_parser)(const char *s, void *out, size_t *col, const char **msg);

static enum mtr_err
parse_day(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_day(s, out, col, msg);
}

static enum mtr_err
parse_week(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_week(s, out, col, msg);
}

static enum mtr_err
parse_season(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_season(s, out, col, msg);
}

static enum mtr_err
parse_special(const char *s, void *out, size_t *col, const char **msg)
{
    return mtr_cal_parse_special(s, out, col, msg);
}

/* Parse every item of a list option into consecutive elements of out. */
static enum mtr_err
parse_list(const char *key,
           const struct mtrd_list *l,
           item_parser fn,
           void *out,
           size_t elem_size,
           char *err,
           size_t err_cap)
{
    for (uint32_t i = 0; i < l->n; i++) {
        size_t col = 0;
        const char *msg = "invalid";
        if (fn(l->item[i], (char *)out + (size_t)i * elem_size, &col, &msg) != MTR_OK) {
            snprintf(err, err_cap, "[tariff] %s #%u '%s': column %zu: %s", key, i + 1u, l->item[i],
                     col + 1u, msg);
            return MTR_EINVAL;
        }
    }
    return MTR_OK;
}

/* The four lists and the name of one calendar of the configuration. */
struct cal_src {
    const char *prefix; /* "" (active) or "passive-" */
    const char *name;
    const struct mtrd_list *season, *week, *day, *special;
};

static struct cal_src
prefix_active(const struct mtrd_config *cfg)
{
    struct cal_src c = {
        "", cfg->calendar_name, &cfg->cal_season, &cfg->cal_week, &cfg->cal_day, &cfg->cal_special};
    return c;
}

static struct cal_src
prefix_passive(const struct mtrd_config *cfg)
{
    struct cal_src c = {"passive-",     cfg->passive_name, &cfg->pas_season,
                        &cfg->pas_week, &cfg->pas_day,     &cfg->pas_special};
    return c;
}

/* A calendar from its lists: the default (T1 all day) when none is given; checked. */
static enum mtr_err
build_cal(struct cal_src src, struct mtr_cal *cal, char *err, size_t err_cap)
{
    char key[4][32];
    snprintf(key[0], sizeof(key[0]), "%sday", src.prefix);
    snprintf(key[1], sizeof(key[1]), "%sweek", src.prefix);
    snprintf(key[2], sizeof(key[2]), "%sseason", src.prefix);
    snprintf(key[3], sizeof(key[3]), "%sspecial", src.prefix);
    mtr_cal_default(cal);
    if (src.day->n > 0 || src.week->n > 0 || src.season->n > 0 || src.special->n > 0) {
        if (src.day->n == 0 || src.week->n == 0 || src.season->n == 0) {
            snprintf(err, err_cap,
                     "[tariff] a %scalendar needs at least one %s, one %s and one %s (have %u, "
                     "%u, %u)",
                     src.prefix, key[2], key[1], key[0], src.season->n, src.week->n, src.day->n);
            return MTR_EINVAL;
        }
        memset(cal, 0, sizeof(*cal));
        if (parse_list(key[0], src.day, parse_day, cal->day, sizeof(cal->day[0]), err, err_cap) !=
                MTR_OK ||
            parse_list(key[1], src.week, parse_week, cal->week, sizeof(cal->week[0]), err,
                       err_cap) != MTR_OK ||
            parse_list(key[2], src.season, parse_season, cal->season, sizeof(cal->season[0]), err,
                       err_cap) != MTR_OK ||
            parse_list(key[3], src.special, parse_special, cal->special, sizeof(cal->special[0]),
                       err, err_cap) != MTR_OK) {
            return MTR_EINVAL;
        }
        cal->n_days = (uint8_t)src.day->n;
        cal->n_weeks = (uint8_t)src.week->n;
        cal->n_seasons = (uint8_t)src.season->n;
        cal->n_special = (uint8_t)src.special->n;
    }
    snprintf(cal->name, sizeof(cal->name), "%.8s", src.name);
    struct mtr_cal_error where;
    memset(&where, 0, sizeof(where));
    if (mtr_cal_check(cal, &where) != MTR_OK) {
        snprintf(err, err_cap, "[tariff] %s%s #%u: %s", src.prefix,
                 where.item ? where.item : "calendar", where.index + 1u,
                 where.msg ? where.msg : "invalid");
        return MTR_EINVAL;
    }
    return MTR_OK;
}

enum mtr_err
mtrd_config_passive(const struct mtrd_config *cfg,
                    struct mtr_cal *cal,
                    int64_t *activate_us,
                    char *err,
                    size_t err_cap)
{
    *activate_us = INT64_MAX;
    if (cfg->pas_day.n == 0 && cfg->pas_week.n == 0 && cfg->pas_season.n == 0 &&
        cfg->pas_special.n == 0) {
        if (cfg->passive_activate[0] != '\0') {
            snprintf(err, err_cap, "[tariff] passive-activate without a passive calendar");
            return MTR_EINVAL;
        }
        return MTR_ENOENT;
    }
    enum mtr_err e = build_cal(prefix_passive(cfg), cal, err, err_cap);
    if (e != MTR_OK) {
        return e;
    }
    if (cfg->passive_activate[0] != '\0' &&
        mtrd_parse_utc(cfg->passive_activate, activate_us) != MTR_OK) {
        snprintf(err, err_cap, "[tariff] passive-activate '%s': use YYYY-MM-DDTHH:MM:SSZ (UTC)",
                 cfg->passive_activate);
        return MTR_EINVAL;
    }
    return MTR_OK;
}

enum mtr_err
mtrd_config_app(const struct mtrd_config *cfg,
                struct mtr_app_config *app,
                struct mtr_cal *cal,
                char *err,
                size_t err_cap)
{
    mtr_app_config_default(app);
    struct mtr_clock_config *ck = &app->clock;
    ck->tz_min = (int16_t)cfg->tz_min;
    ck->dst_enabled = cfg->is_dst;
    ck->dst_deviation_min = (int16_t)cfg->dst_deviation_min;
    size_t col = 0;
    const char *msg = "invalid";
    if (mtr_clock_parse_dst_rule(cfg->dst_begin, &ck->dst_begin, &col, &msg) != MTR_OK) {
        snprintf(err, err_cap, "[clock] dst-begin '%s': column %zu: %s", cfg->dst_begin, col + 1u,
                 msg);
        return MTR_EINVAL;
    }
    if (mtr_clock_parse_dst_rule(cfg->dst_end, &ck->dst_end, &col, &msg) != MTR_OK) {
        snprintf(err, err_cap, "[clock] dst-end '%s': column %zu: %s", cfg->dst_end, col + 1u, msg);
        return MTR_EINVAL;
    }
    if (strcasecmp(cfg->tariff_source, "calendar") == 0) {
        app->tariff_src = MTR_TARIFF_CALENDAR;
    } else if (strcasecmp(cfg->tariff_source, "com") == 0) {
        app->tariff_src = MTR_TARIFF_COM;
    } else if (strcasecmp(cfg->tariff_source, "input") == 0) {
        app->tariff_src = MTR_TARIFF_INPUT;
    } else {
        snprintf(err, err_cap, "[tariff] tariff-source '%s': use calendar, com or input",
                 cfg->tariff_source);
        return MTR_EINVAL;
    }
    app->demand_period_s = (uint32_t)cfg->demand_period_s;
    app->demand_subs = (uint8_t)cfg->demand_subs;
    app->capture_s[MTR_PROF_ENERGY] = (uint32_t)cfg->capture_energy_s;
    app->capture_s[MTR_PROF_PQ] = (uint32_t)cfg->capture_pq_s;
    app->capture_s[MTR_PROF_AMM] = (uint32_t)cfg->capture_amm_s;
    app->billing_monthly = cfg->is_billing_monthly;
    app->billing_day = (uint8_t)cfg->billing_day;
    if (!parse_hhmm(cfg->billing_time, &app->billing_hour, &app->billing_minute)) {
        snprintf(err, err_cap, "[billing] billing-time '%s': use HH:MM (00:00..23:59)",
                 cfg->billing_time);
        return MTR_EINVAL;
    }
    app->billing_daily = cfg->is_billing_daily;
    app->billing_resets_md = cfg->is_billing_resets_md;
    app->long_outage_s = (uint32_t)cfg->long_outage_s;
    const char *what = NULL;
    if (mtr_app_config_check(app, &what) != MTR_OK) {
        snprintf(err, err_cap, "%s", what != NULL ? what : "invalid meter settings");
        return MTR_EINVAL;
    }

    return build_cal(prefix_active(cfg), cal, err, err_cap);
}
