/*
 * meterd: the open smart electricity meter (Linux daemon and replay tool).
 *
 *   meterd [-c FILE] [--option value | --option=value | --flag | --no-flag]...
 *   meterd --help | --version | --check-config | --print-config | --show-registers
 *
 * Options are those of the configuration table (config/config_opts.c); the
 * command line overrides the configuration file.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_history.h"
#include "config/config.h"
#include "config/config_app.h"
#include "log/log.h"
#include "loop/meter_app.h"
#include "loop/meter_loop.h"
#include "nv/app_store.h"
#include "nv/reg_store.h"
#include "report/report.h"
#include "sources/comtrade_int.h"

#include "config/version.h"

static volatile sig_atomic_t g_stop;   /* set by SIGTERM/SIGINT */
static volatile sig_atomic_t g_reload; /* set by SIGHUP */

static void
on_signal(int sig)
{
    if (sig == SIGHUP) {
        g_reload = 1;
    } else {
        g_stop = 1;
    }
}

static void
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void
usage(FILE *out)
{
    fprintf(
        out,
        "usage: meterd [-c FILE] [options]\n"
        "       meterd --input FILE.cfg|.mat|.csv [--map U1=..,I1=..] --report text|json "
        "--speed 0\n"
        "       meterd --show-registers [--data-dir DIR] [--report json]\n"
        "       meterd --list-channels --input FILE.cfg\n"
        "       meterd --show LOG [--entries FIRST:LAST | --from UTC --to UTC] [--csv | --json]\n"
        "              LOG: profile_1 profile_pq profile_avg profile_min profile_max\n"
        "              billing_monthly billing_daily event_std event_fraud event_disc\n"
        "              event_pq event_pwr event_cfg (aliases: profile billing daily events)\n"
        "       meterd --billing-reset | --demand-reset | --partial start|stop|reset |\n"
        "              --set-time UTC | --set-tariff 1..4   (a stopped meter's data dir)\n"
        "       meterd --check-config [-c FILE] | --print-config | --help | --version\n"
        "\nWithout --input, meterd runs on its synthetic three-phase household and serves\n"
        "Modbus TCP; --report prints a replay report when the input ends.\n");
    fprintf(out, "\noptions (also keys of the configuration file, in the [sections] shown):\n");
    mtrd_config_print_help(out);
}

enum action {
    ACT_RUN,
    ACT_HELP,
    ACT_VERSION,
    ACT_CHECK,
    ACT_PRINT,
    ACT_SHOW_REGS,
    ACT_LIST_CHANNELS,
    ACT_SHOW,
    ACT_COMMAND,
};

/* Arguments of --show and of the stopped-meter commands (not configuration options). */
static struct mtrd_cli_show g_show;
static struct mtrd_cli_cmd g_cmd;

/* Copy a CLI value into a fixed buffer; false when it does not fit. */
static bool
copy_arg(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap) {
        return false;
    }
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

/* --show, --entries, --from, --to, --csv and the commands. 1 = taken (i advanced), 0 = not
 * ours, -1 = error (printed). */
static int
parse_cli_only(int argc, char **argv, int *i, enum action *act)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    static const char *const with_value[] = {"--show",    "--entries",  "--from",       "--to",
                                             "--partial", "--set-time", "--set-tariff", NULL};
    bool needs = false;
    for (size_t k = 0; with_value[k] != NULL; k++) {
        needs = needs || strcmp(a, with_value[k]) == 0;
    }
    if (needs && v == NULL) {
        fprintf(stderr, "meterd: %s needs a value\n", a);
        return -1;
    }
    if (strcmp(a, "--show") == 0) {
        g_show.log_name = v;
        *act = ACT_SHOW;
    } else if (strcmp(a, "--entries") == 0) {
        if (!copy_arg(g_show.entries, sizeof(g_show.entries), v)) {
            fprintf(stderr, "meterd: --entries: value too long\n");
            return -1;
        }
    } else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) {
        char *dst = a[2] == 'f' ? g_show.from : g_show.to;
        if (!copy_arg(dst, sizeof(g_show.from), v)) {
            fprintf(stderr, "meterd: %s: value too long\n", a);
            return -1;
        }
    } else if (strcmp(a, "--csv") == 0) {
        g_show.csv = true;
        return 1;
    } else if (strcmp(a, "--json") == 0) {
        g_show.json = true;
        return 1;
    } else if (strcmp(a, "--billing-reset") == 0) {
        g_cmd.op = MTRD_CMD_BILLING_RESET;
        *act = ACT_COMMAND;
        return 1;
    } else if (strcmp(a, "--demand-reset") == 0) {
        g_cmd.op = MTRD_CMD_DEMAND_RESET;
        *act = ACT_COMMAND;
        return 1;
    } else if (strcmp(a, "--partial") == 0) {
        g_cmd.op = MTRD_CMD_PARTIAL;
        if (strcmp(v, "start") == 0) {
            g_cmd.partial = MTR_PARTIAL_START;
        } else if (strcmp(v, "stop") == 0) {
            g_cmd.partial = MTR_PARTIAL_STOP;
        } else if (strcmp(v, "reset") == 0) {
            g_cmd.partial = MTR_PARTIAL_RESET;
        } else {
            fprintf(stderr, "meterd: --partial '%s': use start, stop or reset\n", v);
            return -1;
        }
        *act = ACT_COMMAND;
    } else if (strcmp(a, "--set-time") == 0) {
        g_cmd.op = MTRD_CMD_SET_TIME;
        if (mtrd_parse_utc(v, &g_cmd.time_us) != MTR_OK) {
            fprintf(stderr, "meterd: --set-time '%s': use YYYY-MM-DDTHH:MM:SSZ (UTC)\n", v);
            return -1;
        }
        *act = ACT_COMMAND;
    } else if (strcmp(a, "--set-tariff") == 0) {
        g_cmd.op = MTRD_CMD_SET_TARIFF;
        if (strlen(v) != 1 || v[0] < '1' || v[0] > '4') {
            fprintf(stderr, "meterd: --set-tariff '%s': use 1..4\n", v);
            return -1;
        }
        g_cmd.tariff = (uint8_t)(v[0] - '0');
        *act = ACT_COMMAND;
    } else {
        return 0;
    }
    (*i)++;
    return 1;
}

/* Apply the command line; -c was handled before. */
static int
parse_args(int argc, char **argv, struct mtrd_config *cfg, enum action *act)
{
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *act = ACT_HELP;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            *act = ACT_VERSION;
            continue;
        }
        if (strcmp(a, "--check-config") == 0) {
            *act = ACT_CHECK;
            continue;
        }
        if (strcmp(a, "--print-config") == 0) {
            *act = ACT_PRINT;
            continue;
        }
        if (strcmp(a, "--show-registers") == 0) {
            *act = ACT_SHOW_REGS;
            continue;
        }
        if (strcmp(a, "--list-channels") == 0) {
            *act = ACT_LIST_CHANNELS;
            continue;
        }
        int taken = parse_cli_only(argc, argv, &i, act);
        if (taken < 0) {
            return MTRD_EXIT_USAGE;
        }
        if (taken > 0) {
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "meterd: unexpected argument '%s' (options start with --)\n", a);
            return MTRD_EXIT_USAGE;
        }
        char name[128];
        const char *value = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (len >= sizeof(name)) {
            fprintf(stderr, "meterd: option too long: %s\n", a);
            return MTRD_EXIT_USAGE;
        }
        memcpy(name, a + 2, len);
        name[len] = '\0';
        if (eq != NULL) {
            value = eq + 1;
        } else if (mtrd_config_is_flag(name)) {
            value = "true";
        } else if (strncmp(name, "no-", 3) == 0 && mtrd_config_is_flag(name + 3)) {
            memmove(name, name + 3, strlen(name + 3) + 1);
            value = "false";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "meterd: option --%s needs a value\n", name);
            return MTRD_EXIT_USAGE;
        }
        if (mtrd_config_set(cfg, name, value, err, sizeof(err)) != MTR_OK) {
            fprintf(stderr, "meterd: %s\n", err);
            return MTRD_EXIT_USAGE;
        }
    }
    return MTRD_EXIT_OK;
}

static const char *
find_config_path(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
            return argv[i + 1];
        }
    }
    return NULL;
}

static int
show_registers(const struct mtrd_config *cfg)
{
    char path[MTRD_PATH_CAP + 32];
    snprintf(path, sizeof(path), "%s/registers.nv", cfg->data_dir);
    struct mtrd_reg_store *store = calloc(1, sizeof(*store));
    if (store == NULL) {
        return MTRD_EXIT_RUNTIME;
    }
    struct mtr_reg_set regs;
    char msg[512] = "";
    enum mtr_err e = mtrd_reg_store_open(path, store, &regs, msg, sizeof(msg));
    if (e != MTR_OK) {
        fprintf(stderr, "meterd: %s: %s (%s)\n", path, msg,
                e == MTR_EAGAIN ? "in use by a running meterd: read it over Modbus"
                                : mtr_strerror(e));
        free(store);
        return MTRD_EXIT_STORAGE;
    }
    fprintf(stderr, "meterd: %s: %s\n", path, msg);
    /* the application state (tariff registers, demand, counters) of meter.nv, when there */
    static struct mtrd_app_store astore;
    static struct mtr_app_state app_st;
    struct mtr_reg_set app_regs;
    bool has_app = false;
    snprintf(path, sizeof(path), "%s/meter.nv", cfg->data_dir);
    FILE *probe = fopen(path, "rb");
    if (probe != NULL) {
        fclose(probe);
        e = mtrd_app_store_open(path, &astore, &app_regs, &app_st, msg, sizeof(msg));
        fprintf(stderr, "meterd: %s\n", msg);
        has_app = e == MTR_OK && !astore.is_new;
        if (e == MTR_OK) {
            enum mtr_err ce = mtrd_app_store_close(&astore);
            (void)ce; /* read-only use */
        }
        if (has_app && app_regs.frame_count >= regs.frame_count) {
            regs = app_regs; /* registers.nv may lag meter.nv by one commit */
        }
    }
    struct mtrd_report r;
    mtrd_report_init(&r, &regs);
    if (has_app) {
        r.last.app = app_st;
    }
    char desc[MTRD_PATH_CAP + 64];
    snprintf(desc, sizeof(desc), "%s, record %llu, %llu frames", path,
             (unsigned long long)store->nv.seq, (unsigned long long)regs.frame_count);
    if (strcmp(cfg->report, "json") == 0) {
        mtrd_report_print_json(&r, desc, stdout);
    } else {
        mtrd_report_print_text(&r, desc, stdout);
    }
    e = mtrd_reg_store_close(store);
    (void)e; /* read-only use: nothing to lose */
    free(store);
    return MTRD_EXIT_OK;
}

static void
print_line(void *ctx, const char *line)
{
    fprintf(ctx, "%s\n", line);
}

/* --list-channels: what a COMTRADE record holds, to write a --map. */
static int
list_channels(const struct mtrd_config *cfg)
{
    char err[512] = "";
    if (cfg->input[0] == '\0') {
        fprintf(stderr, "meterd: --list-channels needs --input FILE.cfg\n");
        return MTRD_EXIT_USAGE;
    }
    enum mtr_err e = mtrd_comtrade_list_channels(cfg->input, print_line, stdout, err, sizeof(err));
    if (e != MTR_OK) {
        fprintf(stderr, "meterd: %s\n", err[0] ? err : mtr_strerror(e));
        return MTRD_EXIT_INPUT;
    }
    return MTRD_EXIT_OK;
}

static enum mtrd_log_level
log_level(const char *s)
{
    if (strcmp(s, "error") == 0) {
        return MTRD_LOG_ERROR;
    }
    if (strcmp(s, "warning") == 0) {
        return MTRD_LOG_WARN;
    }
    if (strcmp(s, "debug") == 0) {
        return MTRD_LOG_DEBUG;
    }
    return MTRD_LOG_INFO;
}

int
main(int argc, char **argv)
{
    static struct mtrd_config cfg; /* large; one per process */
    char err[1024] = "";
    enum action act = ACT_RUN;
    mtrd_config_defaults(&cfg);
    const char *config_path = find_config_path(argc, argv);
    if (config_path != NULL &&
        mtrd_config_load_file(&cfg, config_path, err, sizeof(err)) != MTR_OK) {
        fprintf(stderr, "meterd: %s\n", err);
        return MTRD_EXIT_USAGE;
    }
    int rc = parse_args(argc, argv, &cfg, &act);
    if (rc != MTRD_EXIT_OK) {
        return rc;
    }
    switch (act) {
    case ACT_HELP:
        usage(stdout);
        return MTRD_EXIT_OK;
    case ACT_VERSION:
        printf("meterd %s\n", MTRD_VERSION);
        return MTRD_EXIT_OK;
    case ACT_PRINT:
        mtrd_config_print(&cfg, stdout, true);
        return MTRD_EXIT_OK;
    default:
        break;
    }
    if (mtrd_config_check(&cfg, err, sizeof(err)) != MTR_OK) {
        fprintf(stderr, "meterd: %s%s%s\n", config_path ? config_path : "", config_path ? ": " : "",
                err);
        return MTRD_EXIT_USAGE;
    }
    static struct mtr_app_config app_cfg;
    static struct mtr_cal cal;
    if (mtrd_config_app(&cfg, &app_cfg, &cal, err, sizeof(err)) != MTR_OK) {
        fprintf(stderr, "meterd: %s%s%s\n", config_path ? config_path : "", config_path ? ": " : "",
                err);
        return MTRD_EXIT_USAGE;
    }
    int64_t act_us = 0;
    enum mtr_err pe = mtrd_config_passive(&cfg, &cal, &act_us, err, sizeof(err));
    if (pe != MTR_OK && pe != MTR_ENOENT) {
        fprintf(stderr, "meterd: %s%s%s\n", config_path ? config_path : "", config_path ? ": " : "",
                err);
        return MTRD_EXIT_USAGE;
    }
    if (act == ACT_CHECK) {
        printf("meterd: configuration OK\n");
        return MTRD_EXIT_OK;
    }
    mtrd_log_set_level(log_level(cfg.log_level));
    if (act == ACT_SHOW_REGS) {
        return show_registers(&cfg);
    }
    if (act == ACT_LIST_CHANNELS) {
        return list_channels(&cfg);
    }
    if (act == ACT_SHOW) {
        return mtrd_cli_show(&cfg, &g_show);
    }
    if (act == ACT_COMMAND) {
        return mtrd_cli_command(&cfg, &g_cmd);
    }
    install_signals();
    return mtrd_meter_run(&cfg, &g_stop, &g_reload, config_path);
}
