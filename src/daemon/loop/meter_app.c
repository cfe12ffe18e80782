/*
 * The meter application on Linux (meter_app.h).
 */
#include "loop/meter_app.h"

#include <stdio.h>
#include <string.h>

#include "config/config_app.h"
#include "log/log.h"
#include "meterd/clock.h"
#include "meterd/nv.h"

enum mtr_err
mtrd_parse_utc(const char *s, int64_t *utc_us)
{
    int y = 0;
    unsigned mo = 0;
    unsigned d = 0;
    unsigned h = 0;
    unsigned mi = 0;
    unsigned se = 0;
    char sep = 0;
    char z[4] = "";
    if (s == NULL || utc_us == NULL) {
        return MTR_EINVAL;
    }
    int n = sscanf(s, "%4d-%2u-%2u%c%2u:%2u:%2u%3s", &y, &mo, &d, &sep, &h, &mi, &se, z);
    if (n < 7 || (sep != 'T' && sep != ' ') || (n == 8 && strcmp(z, "Z") != 0) || y < 1970 ||
        y > 2199 || mo < 1 || mo > 12 || d < 1 || d > mtr_dt_days_in_month(y, mo) || h > 23 ||
        mi > 59 || se > 59) {
        return MTR_EINVAL;
    }
    int64_t days = mtr_days_from_civil(y, mo, d);
    *utc_us = ((days * 86400) + (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)se) * 1000000LL;
    return MTR_OK;
}

void
mtrd_format_utc(int64_t utc_us, char *out, size_t cap)
{
    int64_t s = utc_us / 1000000LL;
    if (utc_us < 0 && utc_us % 1000000LL != 0) {
        s--;
    }
    int64_t days = s / 86400;
    int64_t sod = s % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int32_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    mtr_civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m, d, (unsigned)(sod / 3600),
             (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}

/* Depth of each log from the configuration (FIFO; entries kept). */
static void
depths(const struct mtrd_config *cfg, const struct mtr_app_config *ac, struct mtrd_hist_limits *l)
{
    memset(l, 0, sizeof(*l));
    uint64_t day = 86400u;
    l->depth[MTR_HIST_PROFILE_1] =
        (uint64_t)cfg->profile_days * day / ac->capture_s[MTR_PROF_ENERGY];
    l->depth[MTR_HIST_PROFILE_PQ] = (uint64_t)cfg->profile_days * day / ac->capture_s[MTR_PROF_PQ];
    for (unsigned k = MTR_HIST_PROFILE_AVG; k <= MTR_HIST_PROFILE_MAX; k++) {
        l->depth[k] = (uint64_t)cfg->profile_days * day / ac->capture_s[MTR_PROF_AMM];
    }
    l->depth[MTR_HIST_BILLING_MONTHLY] = (uint64_t)cfg->billing_months;
    l->depth[MTR_HIST_BILLING_DAILY] = (uint64_t)cfg->billing_days;
    for (unsigned k = MTR_HIST_EVENT_STD; k < MTR_HIST_LOG_COUNT; k++) {
        l->depth[k] = (uint64_t)cfg->event_depth;
    }
}

/* Open history.db in dir with the configured depths. */
static enum mtr_err
open_hist(struct mtrd_meter_app *ma,
          const struct mtrd_config *cfg,
          const struct mtr_app_config *ac,
          const char *dir,
          char *err,
          size_t err_cap)
{
    char path[MTRD_PATH_CAP + 32];
    char msg[768] = "";
    struct mtrd_hist_limits lim;
    snprintf(path, sizeof(path), "%s/%s", dir, MTRD_HIST_FILE_NAME);
    depths(cfg, ac, &lim);
    enum mtr_err e = mtrd_hist_open(path, &lim, &ma->hist, msg, sizeof(msg));
    if (e != MTR_OK) {
        snprintf(err, err_cap, "%s", msg);
    }
    return e;
}

/* Energy registered in registers.nv after meter.nv's last commit goes to T1. */
static void
catch_up_tariffs(struct mtr_app_state *st, const struct mtr_reg_set *newer)
{
    for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
        int64_t sum = 0;
        for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
            sum += st->tar_u[t][k];
        }
        int64_t diff = newer->e_u[MTR_REG_TOTAL][k] - sum;
        if (diff > 0) {
            st->tar_u[0][k] += diff;
        }
    }
    st->reg = *newer;
}

enum mtr_err
mtrd_meter_app_open(struct mtrd_meter_app *ma,
                    const struct mtrd_config *cfg,
                    const char *dir,
                    struct mtr_reg_set *regs,
                    int64_t now_us,
                    bool is_live,
                    char *err,
                    size_t err_cap)
{
    struct mtr_app_config ac;
    static struct mtr_cal cal; /* 2 KiB; start-up only, single thread */
    memset(&cal, 0, sizeof(cal));
    if (mtrd_config_app(cfg, &ac, &cal, err, err_cap) != MTR_OK) {
        return MTR_EINVAL;
    }
    if (mtr_app_init(&ma->app, &ac, &cal) != MTR_OK) {
        snprintf(err, err_cap, "meter application: configuration rejected");
        return MTR_EINVAL;
    }
    uint32_t cal_crc = mtr_nv_crc32(0, &cal, sizeof(cal));
    char path[MTRD_PATH_CAP + 32];
    char msg[768] = "";
    snprintf(path, sizeof(path), "%s/meter.nv", dir);
    struct mtr_reg_set nv_regs;
    struct mtr_app_state *st = &ma->app.st;
    enum mtr_err e = mtrd_app_store_open(path, &ma->store, &nv_regs, st, msg, sizeof(msg));
    if (e != MTR_OK) {
        snprintf(err, err_cap, "%s", msg);
        return e;
    }
    ma->is_store_open = true;
    ma->store.file.is_sync_each_commit = cfg->nv_sync_ms == 0;
    mtrd_log(MTRD_LOG_INFO, "meter state: %s", msg);
    if (ma->store.is_new) {
        st->reg = *regs;
        if (regs->frame_count > 0) {
            catch_up_tariffs(st, regs);
            mtrd_log(MTRD_LOG_INFO,
                     "meter state: new; the %llu frames already in registers.nv go to tariff T1",
                     (unsigned long long)regs->frame_count);
        }
    } else if (regs->frame_count > nv_regs.frame_count) {
        mtrd_log(MTRD_LOG_WARN,
                 "registers.nv (%llu frames) is newer than meter.nv (%llu frames): the "
                 "difference goes to tariff T1",
                 (unsigned long long)regs->frame_count, (unsigned long long)nv_regs.frame_count);
        catch_up_tariffs(st, regs);
    } else {
        st->reg = nv_regs; /* registers.nv may lag meter.nv by one commit */
    }
    if (st->cal_cfg_crc != cal_crc) {
        if (!ma->store.is_new) {
            mtrd_log(MTRD_LOG_INFO, "activity calendar: configuration changed; '%s' is active",
                     cal.name);
            mtr_app_log_param(&ma->app, "calendar", "", cal.name, MTR_WHO_CONFIG);
        }
        st->cal.active = cal;
        st->cal_cfg_crc = cal_crc;
    }
    *regs = st->reg;
    e = open_hist(ma, cfg, &ac, dir, err, err_cap);
    if (e != MTR_OK) {
        return e;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, MTRD_HIST_FILE_NAME);
    const struct mtr_hist_ops *ops = mtrd_hist_ops(ma->hist);
    for (unsigned log = 0; log < MTR_HIST_LOG_COUNT; log++) {
        e = ops->truncate_after(ma->hist, (uint8_t)log, st->seq[log]);
        if (e != MTR_OK) {
            snprintf(err, err_cap, "%s: cannot drop uncommitted entries: %s", path,
                     mtrd_hist_errmsg(ma->hist));
            return e;
        }
    }
    e = mtr_app_start(&ma->app, now_us, is_live);
    if (e != MTR_OK) {
        snprintf(err, err_cap, "meter application: start failed: %s", mtr_strerror(e));
        return e;
    }
    /* a configured passive calendar is loaded when it (or its activation time) changed */
    static struct mtr_cal pas;
    memset(&pas, 0, sizeof(pas));
    int64_t act_us = INT64_MAX;
    e = mtrd_config_passive(cfg, &pas, &act_us, err, err_cap);
    if (e == MTR_OK) {
        uint32_t crc = mtr_nv_crc32(mtr_nv_crc32(0, &pas, sizeof(pas)), &act_us, sizeof(act_us));
        if (st->pas_cfg_crc != crc) {
            if (mtr_app_set_passive(&ma->app, &pas, act_us) != MTR_OK) {
                snprintf(err, err_cap, "passive calendar rejected");
                return MTR_EINVAL;
            }
            char t[40] = "by command only";
            if (act_us != INT64_MAX) {
                mtrd_format_utc(act_us, t, sizeof(t));
            }
            mtr_app_log_param(&ma->app, "passive calendar", pas.name, t, MTR_WHO_CONFIG);
            mtrd_log(MTRD_LOG_INFO, "activity calendar: passive '%s' loaded, activation %s",
                     pas.name, t);
            st->pas_cfg_crc = crc;
        }
    } else if (e != MTR_ENOENT) {
        return MTR_EINVAL;
    }

    char t[32];
    mtrd_format_utc(st->t_us, t, sizeof(t));
    mtrd_log(MTRD_LOG_INFO, "meter clock %s (UTC%+d min), tariff T%u, history %s", t,
             (int)ac.clock.tz_min, (unsigned)st->tariff, path);
    return mtrd_meter_app_commit(ma, err, err_cap);
}

enum mtr_err
mtrd_meter_app_attach(struct mtrd_meter_app *ma,
                      const struct mtrd_config *cfg,
                      const char *dir,
                      char *err,
                      size_t err_cap)
{
    struct mtr_app_config ac;
    static struct mtr_cal cal;
    memset(&cal, 0, sizeof(cal));
    if (mtrd_config_app(cfg, &ac, &cal, err, err_cap) != MTR_OK ||
        mtr_app_init(&ma->app, &ac, &cal) != MTR_OK) {
        return MTR_EINVAL;
    }
    char path[MTRD_PATH_CAP + 32];
    char msg[768] = "";
    snprintf(path, sizeof(path), "%s/meter.nv", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_cap, "%s: no meter state (run the meter first)", path);
        return MTR_ENOENT;
    }
    fclose(f);
    struct mtr_reg_set regs;
    enum mtr_err e = mtrd_app_store_open(path, &ma->store, &regs, &ma->app.st, msg, sizeof(msg));
    if (e == MTR_EAGAIN) {
        snprintf(err, err_cap,
                 "%s is in use by a running meterd: stop it, or send the command through "
                 "Modbus (docs/meter-application.md)",
                 path);
        return e;
    }
    if (e != MTR_OK) {
        snprintf(err, err_cap, "%s", msg);
        return e;
    }
    ma->is_store_open = true;
    if (ma->store.is_new) {
        snprintf(err, err_cap, "%s: no meter state yet (run the meter first)", path);
        return MTR_ENOENT;
    }
    e = open_hist(ma, cfg, &ac, dir, err, err_cap);
    if (e != MTR_OK) {
        return e;
    }
    e = mtr_app_attach(&ma->app);
    if (e != MTR_OK) {
        snprintf(err, err_cap, "meter application: %s", mtr_strerror(e));
    }
    return e;
}

enum mtr_err
mtrd_meter_app_commit(struct mtrd_meter_app *ma, char *err, size_t err_cap)
{
    size_t n = 0;
    const struct mtr_hist_entry *en = mtr_app_entries(&ma->app, &n);
    if (n > 0) {
        const struct mtr_hist_ops *ops = mtrd_hist_ops(ma->hist);
        enum mtr_err e = ops->put(ma->hist, en, n);
        if (e != MTR_OK) {
            snprintf(err, err_cap, "history: %s", mtrd_hist_errmsg(ma->hist));
            return MTR_EIO;
        }
        ma->entries_stored += n;
        mtr_app_entries_done(&ma->app);
    }
    if (ma->app.lost > 0) {
        mtrd_log(MTRD_LOG_ERROR, "meter application: %u entries did not fit the queue",
                 ma->app.lost);
        ma->app.lost = 0;
    }
    enum mtr_err e = mtrd_app_store_commit(&ma->store, &ma->app.st.reg, &ma->app.st);
    if (e != MTR_OK) {
        snprintf(err, err_cap, "meter.nv: commit failed: %s", mtr_strerror(e));
        return MTR_EIO;
    }
    return MTR_OK;
}

void
mtrd_meter_app_close(struct mtrd_meter_app *ma)
{
    if (ma->is_store_open) {
        if (mtrd_app_store_close(&ma->store) != MTR_OK) {
            mtrd_log(MTRD_LOG_ERROR, "meter.nv: final msync failed");
        }
        ma->is_store_open = false;
    }
    if (ma->hist != NULL) {
        mtrd_hist_close(ma->hist);
        ma->hist = NULL;
    }
}
