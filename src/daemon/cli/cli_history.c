/*
 * Command-line access to the meter application's history and commands
 * (cli_history.h): meterd --show LOG [--entries A:B | --from T --to T] [--csv],
 * and the commands of a stopped meter (--billing-reset, --demand-reset,
 * --partial start|stop|reset, --set-time T, --set-tariff N).
 */
#include "cli/cli_history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "config/config_app.h"
#include "hist/hist_csv.h"
#include "hist/hist_sqlite.h"
#include "loop/meter_app.h"
#include "meterd/app.h"
#include "nv/app_store.h"

/* Short names accepted besides the log names of mtr_hist_log_name(). */
static const struct {
    const char *alias;
    enum mtr_hist_log log;
} k_alias[] = {
    {"profile",        MTR_HIST_PROFILE_1      },
    {"load-profile",   MTR_HIST_PROFILE_1      },
    {"pq",             MTR_HIST_PROFILE_PQ     },
    {"billing",        MTR_HIST_BILLING_MONTHLY},
    {"monthly",        MTR_HIST_BILLING_MONTHLY},
    {"daily",          MTR_HIST_BILLING_DAILY  },
    {"events",         MTR_HIST_EVENT_STD      },
    {"power-failures", MTR_HIST_EVENT_PWR      },
    {"config-changes", MTR_HIST_EVENT_CFG      },
};

enum mtr_err
mtrd_cli_log_from_name(const char *name, enum mtr_hist_log *log)
{
    for (unsigned l = 0; l < MTR_HIST_LOG_COUNT; l++) {
        const char *n = mtr_hist_log_name((enum mtr_hist_log)l);
        if (n != NULL && strcasecmp(n, name) == 0) {
            *log = (enum mtr_hist_log)l;
            return MTR_OK;
        }
    }
    for (size_t i = 0; i < sizeof(k_alias) / sizeof(k_alias[0]); i++) {
        if (strcasecmp(k_alias[i].alias, name) == 0) {
            *log = k_alias[i].log;
            return MTR_OK;
        }
    }
    return MTR_ENOENT;
}

static void
list_logs(FILE *out)
{
    fprintf(out, "logs:");
    for (unsigned l = 0; l < MTR_HIST_LOG_COUNT; l++) {
        fprintf(out, " %s", mtr_hist_log_name((enum mtr_hist_log)l));
    }
    fprintf(out, "\naliases:");
    for (size_t i = 0; i < sizeof(k_alias) / sizeof(k_alias[0]); i++) {
        fprintf(out, " %s", k_alias[i].alias);
    }
    fputc('\n', out);
}

struct show_ctx {
    FILE *out;
    bool csv;
    bool json;
    cJSON *json_rows; /* --json: the array of entries */
    bool header;
    const char *names[MTR_HIST_MAX_VALUES];
    const char *units[MTR_HIST_MAX_VALUES];
    int8_t scale[MTR_HIST_MAX_VALUES];
    unsigned n_cols;
    uint64_t rows;
    uint64_t rows_n;
    uint64_t seq_limit; /* entries past the stored meter state are not shown */
    enum mtr_err err;
};

/* One entry as a JSON object: values in their display units (exact decimal text parsed). */
static bool
visit_json(struct show_ctx *c, const struct mtr_hist_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    char t[48];
    if (o == NULL || mtrd_hist_format_time(e->t_us, t, sizeof(t)) != MTR_OK) {
        cJSON_Delete(o);
        return false;
    }
    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    cJSON_AddStringToObject(o, "time", t);
    if (mtrd_hist_is_event_log(e->log)) {
        cJSON_AddNumberToObject(o, "code", e->code);
    } else {
        cJSON_AddNumberToObject(o, "status", e->status);
    }
    cJSON *v = cJSON_AddObjectToObject(o, "values");
    for (unsigned i = 0; v != NULL && i < c->n_cols && i < e->n_values; i++) {
        char num[64];
        if (mtrd_hist_format_scaled(e->v[i], c->scale[i], num, sizeof(num)) != MTR_OK) {
            cJSON_Delete(o);
            return false;
        }
        cJSON_AddNumberToObject(v, c->names[i], strtod(num, NULL));
    }
    if (e->text[0] != '\0') {
        cJSON_AddStringToObject(o, "text", e->text);
    }
    cJSON_AddItemToArray(c->json_rows, o);
    c->rows_n++;
    return true;
}

static bool
visit(void *arg, const struct mtr_hist_entry *e)
{
    struct show_ctx *c = arg;
    if (e->seq > c->seq_limit) {
        return true; /* written just before a crash; the meter re-creates it */
    }
    if (c->json) {
        if (!visit_json(c, e)) {
            c->err = MTR_ENOMEM;
            return false;
        }
        return true;
    }
    enum mtr_err r =
        c->csv
            ? mtrd_hist_write_csv(c->out, e, c->names, c->units, c->scale, c->n_cols, c->header)
            : mtrd_hist_write_text(c->out, e, c->names, c->units, c->scale, c->n_cols, c->header);
    c->header = false;
    c->rows++;
    if (r != MTR_OK) {
        c->err = r;
        return false;
    }
    return true;
}

/*
 * The last entry of a log that meter.nv counts. Entries past it were stored just before a
 * kill and are dropped and re-created at the next start (docs/meter-application.md, crash
 * safety), so they are not shown. A running meter holds meter.nv: then everything is shown.
 */
static uint64_t
stored_seq(const struct mtrd_config *cfg, enum mtr_hist_log log)
{
    static struct mtrd_app_store store;
    static struct mtr_app_state st;
    char path[MTRD_PATH_CAP + 32];
    char msg[512];
    struct mtr_reg_set regs;
    snprintf(path, sizeof(path), "%s/meter.nv", cfg->data_dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return UINT64_MAX;
    }
    fclose(f);
    uint64_t limit = UINT64_MAX;
    if (mtrd_app_store_open(path, &store, &regs, &st, msg, sizeof(msg)) == MTR_OK) {
        if (!store.is_new) {
            limit = st.seq[log];
        }
        enum mtr_err e = mtrd_app_store_close(&store);
        (void)e; /* read only */
    }
    return limit;
}

int
mtrd_cli_show(const struct mtrd_config *cfg, const struct mtrd_cli_show *q)
{
    enum mtr_hist_log log;
    if (q->log_name == NULL || mtrd_cli_log_from_name(q->log_name, &log) != MTR_OK) {
        fprintf(stderr, "meterd: --show '%s': no such log\n", q->log_name ? q->log_name : "");
        list_logs(stderr);
        return MTRD_EXIT_USAGE;
    }
    struct mtr_hist_query hq;
    memset(&hq, 0, sizeof(hq));
    hq.log = (uint8_t)log;
    if (q->from[0] != '\0' || q->to[0] != '\0') {
        hq.by_time = true;
        hq.t_from_us = INT64_MIN;
        hq.t_to_us = INT64_MAX;
        if ((q->from[0] != '\0' && mtrd_parse_utc(q->from, &hq.t_from_us) != MTR_OK) ||
            (q->to[0] != '\0' && mtrd_parse_utc(q->to, &hq.t_to_us) != MTR_OK)) {
            fprintf(stderr, "meterd: --from/--to: use YYYY-MM-DDTHH:MM:SSZ (UTC)\n");
            return MTRD_EXIT_USAGE;
        }
    } else {
        hq.seq_from = 1;
        hq.seq_to = 0;
        if (q->entries[0] != '\0') {
            char *end = NULL;
            errno = 0;
            unsigned long long a = strtoull(q->entries, &end, 10);
            unsigned long long b = 0;
            if (end != NULL && *end == ':') {
                char *bs = end + 1;
                if (*bs != '\0') {
                    b = strtoull(bs, &end, 10);
                } else {
                    end = bs; /* "A:" = from A to the newest */
                }
            }
            if (errno != 0 || end == NULL || *end != '\0' || a == 0 || (b != 0 && b < a)) {
                fprintf(stderr,
                        "meterd: --entries '%s': use FIRST:LAST (from 1; LAST empty or "
                        "0 = newest)\n",
                        q->entries);
                return MTRD_EXIT_USAGE;
            }
            hq.seq_from = a;
            hq.seq_to = b;
        }
    }
    char path[MTRD_PATH_CAP + 32];
    char err[512] = "";
    snprintf(path, sizeof(path), "%s/%s", cfg->data_dir, MTRD_HIST_FILE_NAME);
    struct mtrd_hist *h = NULL;
    struct mtrd_hist_limits lim;
    memset(&lim, 0, sizeof(lim)); /* reading: no trimming */
    if (mtrd_hist_open(path, &lim, &h, err, sizeof(err)) != MTR_OK) {
        fprintf(stderr, "meterd: %s\n", err);
        return MTRD_EXIT_STORAGE;
    }
    struct show_ctx c;
    memset(&c, 0, sizeof(c));
    c.seq_limit = stored_seq(cfg, log);
    c.out = stdout;
    c.csv = q->csv;
    c.json = q->json;
    c.header = true;
    if (c.json) {
        c.json_rows = cJSON_CreateArray();
        if (c.json_rows == NULL) {
            mtrd_hist_close(h);
            return MTRD_EXIT_RUNTIME;
        }
    }
    const struct mtr_hist_col *cols = mtr_app_columns(log, &c.n_cols);
    for (unsigned i = 0; i < c.n_cols; i++) {
        c.names[i] = cols[i].name;
        c.units[i] = cols[i].unit;
        c.scale[i] = cols[i].scale10;
    }
    enum mtr_err e = mtrd_hist_ops(h)->get(h, &hq, visit, &c);
    if (e == MTR_OK && c.err != MTR_OK) {
        e = c.err;
    }
    if (e == MTR_OK && c.json) {
        /* {"log": name, "obis": "A-B:C.D.E*F", "units": {...}, "entries": [...]} */
        cJSON *doc = cJSON_CreateObject();
        uint8_t ob[6];
        char obis[32];
        mtr_hist_log_obis(log, ob);
        snprintf(obis, sizeof(obis), "%u-%u:%u.%u.%u*%u", ob[0], ob[1], ob[2], ob[3], ob[4], ob[5]);
        cJSON_AddStringToObject(doc, "log", mtr_hist_log_name(log));
        cJSON_AddStringToObject(doc, "obis", obis);
        cJSON *units = cJSON_AddObjectToObject(doc, "units");
        for (unsigned i = 0; units != NULL && i < c.n_cols; i++) {
            cJSON_AddStringToObject(units, c.names[i], c.units[i]);
        }
        cJSON_AddItemToObject(doc, "entries", c.json_rows);
        c.json_rows = NULL;
        char *txt = cJSON_Print(doc);
        if (txt != NULL) {
            fprintf(stdout, "%s\n", txt);
            cJSON_free(txt);
        } else {
            e = MTR_ENOMEM;
        }
        cJSON_Delete(doc);
    }
    cJSON_Delete(c.json_rows);
    if (e != MTR_OK) {
        fprintf(stderr, "meterd: %s: %s\n", path,
                e == MTR_ENOMEM ? "out of memory" : mtrd_hist_errmsg(h));
    } else if (!q->csv && !q->json) {
        fflush(stdout);
        fprintf(stderr, "meterd: %s: %s: %llu entries\n", path, mtr_hist_log_name(log),
                (unsigned long long)c.rows);
    }
    mtrd_hist_close(h);
    return e == MTR_OK ? MTRD_EXIT_OK : MTRD_EXIT_STORAGE;
}

int
mtrd_cli_command(const struct mtrd_config *cfg, const struct mtrd_cli_cmd *cmd)
{
    static struct mtrd_meter_app ma; /* ~50 KiB; one per process */
    memset(&ma, 0, sizeof(ma));
    char err[768] = "";
    struct mtr_reg_set regs;
    mtr_reg_init(&regs);
    /* the registers come from meter.nv; registers.nv is not needed for a command */
    enum mtr_err e = mtrd_meter_app_attach(&ma, cfg, cfg->data_dir, err, sizeof(err));
    if (e != MTR_OK) {
        fprintf(stderr, "meterd: %s\n", err);
        mtrd_meter_app_close(&ma);
        return e == MTR_EAGAIN ? MTRD_EXIT_STORAGE : MTRD_EXIT_STORAGE;
    }
    struct mtr_app *app = &ma.app;
    switch (cmd->op) {
    case MTRD_CMD_BILLING_RESET:
        e = mtr_app_billing_reset(app, MTR_WHO_CLI);
        break;
    case MTRD_CMD_DEMAND_RESET:
        e = mtr_app_demand_reset(app, MTR_WHO_CLI);
        break;
    case MTRD_CMD_PARTIAL:
        e = mtr_app_partial(app, cmd->partial, MTR_WHO_CLI);
        break;
    case MTRD_CMD_SET_TIME:
        e = mtr_app_set_time(app, cmd->time_us, MTR_WHO_CLI);
        break;
    case MTRD_CMD_SET_TARIFF:
        e = mtr_app_set_tariff(app, cmd->tariff, MTR_WHO_CLI);
        break;
    }
    if (e != MTR_OK) {
        fprintf(stderr, "meterd: command rejected: %s\n", mtr_strerror(e));
        mtrd_meter_app_close(&ma);
        return MTRD_EXIT_USAGE;
    }
    e = mtrd_meter_app_commit(&ma, err, sizeof(err));
    if (e != MTR_OK) {
        fprintf(stderr, "meterd: %s\n", err);
    } else {
        char t[32];
        mtrd_format_utc(app->st.t_us, t, sizeof(t));
        printf("meterd: done at meter time %s; %llu entr%s written\n", t,
               (unsigned long long)ma.entries_stored, ma.entries_stored == 1 ? "y" : "ies");
    }
    mtrd_meter_app_close(&ma);
    return e == MTR_OK ? MTRD_EXIT_OK : MTRD_EXIT_STORAGE;
}
