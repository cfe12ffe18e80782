/*
 * The option table and its parsers (command line and INI file via inih).
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum opt_type {
    OPT_STR,
    OPT_INT,
    OPT_DBL,
    OPT_BOOL,
    OPT_LIST,
};

struct opt {
    const char *section;
    const char *name;
    enum opt_type type;
    size_t off;
    size_t cap;      /* OPT_STR capacity */
    double min, max; /* OPT_INT / OPT_DBL */
    const char *def;
    const char *unit;
    const char *help;
    bool is_reloadable;
};

#define OFF(f) offsetof(struct mtrd_config, f)
#define CAP(f) sizeof(((struct mtrd_config *)0)->f)
#define STR(s, n, f, d, h)                                   \
    {                                                        \
        s, n, OPT_STR, OFF(f), CAP(f), 0, 0, d, "", h, false \
    }
#define NUM(s, n, t, f, lo, hi, d, u, h, r)    \
    {                                          \
        s, n, t, OFF(f), 0, lo, hi, d, u, h, r \
    }
#define FLAG(s, n, f, d, h, r)                       \
    {                                                \
        s, n, OPT_BOOL, OFF(f), 0, 0, 1, d, "", h, r \
    }
#define LIST(s, n, f, lo, hi, h)                            \
    {                                                       \
        s, n, OPT_LIST, OFF(f), 0, lo, hi, "", "", h, false \
    }
#define INT(s, n, f, lo, hi, d, u, h) NUM(s, n, OPT_INT, f, lo, hi, d, u, h, false)
#define CAL(n, f, lo, hi, u, h)                                                     \
    NUM("metrology", n "_l1", OPT_INT, f[0], lo, hi, "0", u, h " (L1)", false),     \
        NUM("metrology", n "_l2", OPT_INT, f[1], lo, hi, "0", u, h " (L2)", false), \
        NUM("metrology", n "_l3", OPT_INT, f[2], lo, hi, "0", u, h " (L3)", false)

static const struct opt g_opts[] = {
    STR("source",
        "source",
        source,
        "",
        "sample source: synth, comtrade, mat, csv, raw, or frames (the synthetic household as "
        "measurement frames, no samples: months in seconds) (default: from the input's "
        "extension, synth without input)"),
    STR("source", "input", input, "", "recording: .cfg (COMTRADE), .mat, .csv, or - for raw stdin"),
    STR("source",
        "map",
        map,
        "",
        "channel mapping, e.g. U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1"),
    NUM("source",
        "phases",
        OPT_INT,
        phases,
        0,
        3,
        "0",
        "",
        "phases to measure (0: from --net)",
        false),
    STR("source", "scenario", scenario, "household", "synthetic scenario: household, sine"),
    NUM("source",
        "frame-s",
        OPT_DBL,
        frame_s,
        0.02,
        60,
        "0.2",
        "s",
        "frame length of --source frames",
        false),
    NUM("source", "seed", OPT_INT, seed, 0, 9007199254740992.0, "1", "", "synthetic seed", false),
    FLAG("source",
         "secondary",
         is_secondary,
         "false",
         "COMTRADE: deliver secondary values (CT/VT ratios of the cfg)",
         false),
    NUM("source",
        "fs",
        OPT_DBL,
        fs_Hz,
        0,
        1e6,
        "0",
        "Hz",
        "sample rate (required for raw; overrides a file's rate)",
        false),
    STR("source",
        "raw-format",
        raw_format,
        "s16",
        "raw stream encoding: s16, s32, f32 (little-endian)"),
    NUM("source",
        "raw-u-scale",
        OPT_DBL,
        raw_u_scale,
        0,
        1e9,
        "1",
        "V/count",
        "raw stream: volts per count of U channels",
        false),
    NUM("source",
        "raw-i-scale",
        OPT_DBL,
        raw_i_scale,
        0,
        1e9,
        "1",
        "A/count",
        "raw stream: amperes per count of I channels",
        false),
    STR("source",
        "window",
        window,
        "",
        "measure only samples FIRST:LAST (inclusive, 0-based) of the recording"),
    STR("metrology", "net", net, "3P4W", "network: 1P2W 3P4W 3P3W SPLIT 1BL 2BL 3BL 4BL"),
    NUM("metrology",
        "f-nom",
        OPT_INT,
        f_nom_Hz,
        0,
        60,
        "0",
        "Hz",
        "nominal frequency 50 or 60 (0: from the source, else 50)",
        false),
    NUM("metrology",
        "u-nom",
        OPT_DBL,
        u_nom_V,
        1,
        1e7,
        "230",
        "V",
        "declared phase-to-neutral voltage Udin, primary",
        false),
    NUM("metrology",
        "vt-ratio",
        OPT_DBL,
        vt_ratio,
        1e-6,
        1e7,
        "1",
        "",
        "VT ratio primary/secondary",
        false),
    NUM("metrology",
        "ct-ratio",
        OPT_DBL,
        ct_ratio,
        1e-6,
        1e7,
        "1",
        "",
        "CT ratio primary/secondary",
        false),
    NUM("metrology",
        "p-start",
        OPT_DBL,
        p_start_W,
        0,
        1e9,
        "0",
        "W",
        "no-load threshold on |P| per phase (0: off)",
        false),
    NUM("metrology",
        "q-start",
        OPT_DBL,
        q_start_var,
        0,
        1e9,
        "0",
        "var",
        "no-load threshold on |Q| per phase (0: off)",
        false),
    STR("metrology",
        "q-def",
        q_def,
        "fundamental",
        "reactive energy definition: fundamental (IEC 62053-24) or budeanu"),
    FLAG(
        "metrology", "i-dc-removal", is_i_dc_removed, "true", "remove DC from the currents", false),
    NUM("metrology",
        "k",
        OPT_INT,
        k_imp_per_kWh,
        1,
        1000000,
        "10000",
        "imp/kWh",
        "meter constant of the test output",
        false),
    CAL("u-gain-ppm", u_gain_ppm, -500000, 500000, "ppm", "voltage gain correction"),
    CAL("i-gain-ppm", i_gain_ppm, -500000, 500000, "ppm", "current gain correction"),
    CAL("i-phase-mdeg", i_phase_mdeg, -20000, 20000, "mdeg", "current phase lead to remove"),
    CAL("i-skew-ns", i_skew_ns, -1000000, 1000000, "ns", "current sampled after voltage by"),
    NUM("replay",
        "speed",
        OPT_DBL,
        speed_x,
        0,
        1e6,
        "1",
        "x real time",
        "replay speed: 1 real time, 0 as fast as possible",
        false),
    NUM("replay",
        "duration",
        OPT_DBL,
        duration_s,
        0,
        1e10,
        "0",
        "s",
        "stop after this much meter time (0: end of input)",
        false),
    STR("replay", "report", report, "", "print a report at the end: text or json"),
    STR("replay",
        "frames-csv",
        frames_csv,
        "",
        "write every measurement frame as a CSV line to this file (- for stdout)"),
    STR("storage", "data-dir", data_dir, "data", "directory of the register file (registers.nv)"),
    NUM("storage",
        "nv-sync-ms",
        OPT_INT,
        nv_sync_ms,
        0,
        3600000,
        "1000",
        "ms",
        "msync interval of the registers (power-cut window; kill -9 loses nothing)",
        true),
    INT("storage",
        "profile-days",
        profile_days,
        1,
        3660,
        "100",
        "days",
        "load profile entries kept (FIFO), in days of entries"),
    INT("storage",
        "billing-months",
        billing_months,
        12,
        17,
        "12",
        "",
        "monthly billing entries kept"),
    INT("storage", "billing-days", billing_days, 1, 366, "62", "", "daily billing entries kept"),
    INT("storage",
        "event-depth",
        event_depth,
        10,
        100000,
        "500",
        "",
        "entries kept per event log (FIFO)"),
    INT("clock",
        "timezone-min",
        tz_min,
        -720,
        840,
        "0",
        "min",
        "local normal time minus UTC (CET: 60)"),
    FLAG("clock", "dst", is_dst, "false", "daylight saving time (rules below)", false),
    STR("clock",
        "dst-begin",
        dst_begin,
        "03-last-Sun 02:00",
        "DST begins: MM-DD|MM-last-Ddd|MM-DD Ddd, HH:MM local normal time"),
    STR("clock", "dst-end", dst_end, "10-last-Sun 03:00", "DST ends: same form, HH:MM local DST"),
    INT("clock", "dst-deviation-min", dst_deviation_min, 0, 120, "60", "min", "DST offset"),
    STR("clock",
        "clock-start",
        clock_start,
        "",
        "clock of a fresh meter replaying a recording: YYYY-MM-DDTHH:MM:SSZ (default: the "
        "recording's time; live sources use the system clock)"),
    STR("tariff",
        "tariff-source",
        tariff_source,
        "calendar",
        "tariff in force from: calendar, com (communication), input (digital input: T1/T2)"),
    INT("tariff", "tariff-com", tariff_com, 1, 4, "1", "", "tariff set by communication"),
    STR("tariff", "calendar-name", calendar_name, "default", "activity calendar name (8 chars)"),
    LIST("tariff",
         "season",
         cal_season,
         0,
         12,
         "season (repeatable): NAME: MM-DD HH:MM WEEK, e.g. winter: 10-01 00:00 wk1"),
    LIST("tariff",
         "week",
         cal_week,
         0,
         12,
         "week profile (repeatable): NAME: 7 day ids Monday..Sunday, e.g. wk1: 1 1 1 1 1 2 2"),
    LIST("tariff",
         "day",
         cal_day,
         0,
         8,
         "day profile (repeatable): ID: HH:MM Tn, ..., e.g. 1: 00:00 T2, 06:00 T1, 22:00 T2"),
    LIST("tariff",
         "special",
         cal_special,
         0,
         100,
         "special day (repeatable): [YYYY-]MM-DD DAYID, e.g. 12-25 2"),
    STR("tariff", "passive-name", passive_name, "", "passive calendar name (8 chars)"),
    LIST("tariff", "passive-season", pas_season, 0, 12, "passive calendar season (as season)"),
    LIST("tariff", "passive-week", pas_week, 0, 12, "passive calendar week profile (as week)"),
    LIST("tariff", "passive-day", pas_day, 0, 8, "passive calendar day profile (as day)"),
    LIST("tariff", "passive-special", pas_special, 0, 100, "passive calendar special day"),
    STR("tariff",
        "passive-activate",
        passive_activate,
        "",
        "the passive calendar becomes active at this time, YYYY-MM-DDTHH:MM:SSZ (UTC)"),
    INT("demand",
        "demand-period",
        demand_period_s,
        60,
        3600,
        "900",
        "s",
        "demand window (divides one hour)"),
    INT("demand",
        "demand-subs",
        demand_subs,
        1,
        15,
        "3",
        "",
        "sub-intervals of the window: 1 block demand, more: sliding"),
    INT("profiles",
        "capture-energy",
        capture_energy_s,
        60,
        3600,
        "900",
        "s",
        "capture period of load profile 1 (energy)"),
    INT("profiles",
        "capture-pq",
        capture_pq_s,
        60,
        3600,
        "900",
        "s",
        "capture period of the power-quality profile"),
    INT("profiles",
        "capture-amm",
        capture_amm_s,
        60,
        3600,
        "900",
        "s",
        "capture period of the average/minimum/maximum profiles"),
    FLAG("billing", "billing-monthly", is_billing_monthly, "true", "monthly billing", false),
    INT("billing", "billing-day", billing_day, 1, 28, "1", "", "day of month of billing"),
    STR("billing", "billing-time", billing_time, "00:00", "local time of billing, HH:MM"),
    FLAG("billing",
         "billing-daily",
         is_billing_daily,
         "true",
         "daily billing at local midnight",
         false),
    FLAG("billing",
         "billing-resets-md",
         is_billing_resets_md,
         "true",
         "monthly billing resets maximum demand",
         false),
    INT("billing",
        "long-outage",
        long_outage_s,
        1,
        86400,
        "180",
        "s",
        "outages longer than this are long (power-failure log)"),
    FLAG("modbus", "modbus", is_modbus, "true", "serve Modbus TCP", false),
    STR("modbus", "modbus-bind", modbus_bind, "0.0.0.0", "Modbus TCP listen address"),
    NUM("modbus",
        "modbus-port",
        OPT_INT,
        modbus_port,
        1,
        65535,
        "502",
        "",
        "Modbus TCP port",
        false),
    NUM("modbus",
        "modbus-unit",
        OPT_INT,
        modbus_unit,
        0,
        247,
        "1",
        "",
        "unit id answered (0: any)",
        false),
    NUM("modbus",
        "modbus-max-clients",
        OPT_INT,
        modbus_max_clients,
        1,
        64,
        "8",
        "",
        "concurrent Modbus TCP clients",
        false),
    NUM("modbus",
        "modbus-idle",
        OPT_INT,
        modbus_idle_s,
        1,
        86400,
        "60",
        "s",
        "close idle Modbus clients after",
        false),
    FLAG("modbus",
         "modbus-write",
         is_modbus_write,
         "false",
         "accept meter commands (billing/demand reset, partial counters, tariff, clock) "
         "written to the command registers 2000..2003",
         false),
    STR("meter",
        "serial-number",
        serial_number,
        "MTR00000001",
        "meter serial number (0.0.96.1.0.255)"),
    STR("meter",
        "ldn",
        ldn,
        "MTR0000000000001",
        "COSEM logical device name (0.0.42.0.0.255), up to 16 characters"),
    FLAG("dlms", "dlms", is_dlms, "true", "serve DLMS/COSEM (docs/dlms.md)", false),
    STR("dlms", "dlms-bind", dlms_bind, "0.0.0.0", "DLMS/COSEM TCP listen address"),
    INT("dlms", "dlms-port", dlms_port, 0, 65535, "4059", "", "IEC 62056-47 wrapper port (0: off)"),
    INT("dlms", "dlms-hdlc-port", dlms_hdlc_port, 0, 65535, "0", "", "HDLC over TCP port (0: off)"),
    STR("dlms", "dlms-serial", dlms_serial, "", "serial device for HDLC (IEC 62056-46)"),
    INT("dlms",
        "dlms-serial-baud",
        dlms_serial_baud,
        300,
        115200,
        "9600",
        "baud",
        "baud of the HDLC serial device (8N1)"),
    INT("dlms",
        "dlms-max-assoc",
        dlms_max_assoc,
        1,
        64,
        "8",
        "",
        "concurrent DLMS/COSEM connections"),
    INT("dlms", "dlms-idle", dlms_idle_s, 0, 65535, "120", "s", "inactivity time-out (0: none)"),
    INT("dlms",
        "dlms-max-pdu",
        dlms_max_pdu,
        64,
        4096,
        "1024",
        "bytes",
        "server-max-receive-pdu-size"),
    INT("dlms",
        "dlms-hdlc-address",
        dlms_hdlc_address,
        16,
        16381,
        "16",
        "",
        "HDLC lower (physical) server address; the upper (logical device) address is 1"),
    STR("dlms",
        "dlms-password",
        dlms_password,
        "",
        "LLS password of the reading client, SAP 17 (empty: LLS refused)"),
    STR("dlms",
        "dlms-ek",
        dlms_ek,
        "",
        "HLS-GMAC global unicast encryption key of the management client, SAP 1, 32 hex digits "
        "(empty: management refused)"),
    STR("dlms", "dlms-ak", dlms_ak, "", "HLS-GMAC authentication key, 32 hex digits"),
    STR("dlms", "dlms-kek", dlms_kek, "", "master key for key transfer, 32 hex digits"),
    STR("dlms", "dlms-title", dlms_title, "4D54520000000001", "server system title, 16 hex digits"),
    STR("dlms",
        "dlms-security",
        dlms_security,
        "auth-enc",
        "security the management client must use: auth-enc, auth or enc"),
    STR("dlms", "dlms-push-dest", dlms_push_dest, "", "push destination host:port (empty: off)"),
    INT("dlms",
        "dlms-push-interval",
        dlms_push_s,
        0,
        86400,
        "0",
        "s",
        "push the push object list every interval (0: on request and events only)"),
    STR("iec21", "iec21-device", iec21_device, "", "IEC 62056-21 serial device (empty: off)"),
    STR("iec21", "iec21-address", iec21_address, "", "device address answered in /?address!"),
    STR("iec21",
        "iec21-password",
        iec21_password,
        "",
        "P1 password of programming mode (empty: programming refused)"),
    INT("iec21",
        "iec21-max-baud",
        iec21_max_baud,
        300,
        19200,
        "9600",
        "baud",
        "highest baud offered in mode C"),
    INT("iec21",
        "iec21-tcp-port",
        iec21_tcp_port,
        0,
        65535,
        "0",
        "",
        "TCP port answering /?! and pushing the readout (0: off)"),
    INT("iec21",
        "iec21-push-interval",
        iec21_push_s,
        0,
        86400,
        "0",
        "s",
        "push the readout to TCP clients every interval (0: off)"),
    FLAG("console", "table", is_table, "true", "print a live per-phase table on stdout", true),
    FLAG("console", "progress", is_progress, "true", "progress bar on stderr for replays", true),
    STR("console", "log-level", log_level, "info", "error, warning, info, debug"),
};

static const struct opt *
find_opt(const char *name)
{
    for (size_t i = 0; i < sizeof(g_opts) / sizeof(g_opts[0]); i++) {
        if (strcmp(g_opts[i].name, name) == 0) {
            return &g_opts[i];
        }
    }
    return NULL;
}

bool
mtrd_config_is_flag(const char *name)
{
    const struct opt *o = find_opt(name);
    return o != NULL && o->type == OPT_BOOL;
}

static enum mtr_err
parse_bool(const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 ||
        strcmp(v, "1") == 0) {
        *out = true;
        return MTR_OK;
    }
    if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
        strcmp(v, "0") == 0) {
        *out = false;
        return MTR_OK;
    }
    return MTR_EINVAL;
}

static enum mtr_err
apply(struct mtrd_config *cfg, const struct opt *o, const char *v, char *err, size_t err_cap)
{
    char *base = (char *)cfg;
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case OPT_STR:
        if (strlen(v) >= o->cap) {
            snprintf(err, err_cap, "option '%s': value longer than %zu characters", o->name,
                     o->cap - 1);
            return MTR_EINVAL;
        }
        memcpy(base + o->off, v, strlen(v) + 1);
        return MTR_OK;
    case OPT_LIST: {
        struct mtrd_list *l = (struct mtrd_list *)(void *)(base + o->off);
        if (v[0] == '\0') {
            l->n = 0; /* an empty value clears the list (the default) */
            return MTR_OK;
        }
        if ((double)l->n >= o->max) {
            snprintf(err, err_cap, "option '%s': more than %.0f entries", o->name, o->max);
            return MTR_EINVAL;
        }
        if (strlen(v) >= MTRD_LIST_ITEM_CAP) {
            snprintf(err, err_cap, "option '%s': value longer than %d characters", o->name,
                     MTRD_LIST_ITEM_CAP - 1);
            return MTR_EINVAL;
        }
        memcpy(l->item[l->n++], v, strlen(v) + 1);
        return MTR_OK;
    }
    case OPT_BOOL: {
        bool b = false;
        if (parse_bool(v, &b) != MTR_OK) {
            snprintf(err, err_cap, "option '%s': '%s' is not true/false", o->name, v);
            return MTR_EINVAL;
        }
        memcpy(base + o->off, &b, sizeof(b));
        return MTR_OK;
    }
    case OPT_INT: {
        long long x = strtoll(v, &end, 0);
        if (errno != 0 || end == v || *end != '\0' || (double)x < o->min || (double)x > o->max) {
            snprintf(err, err_cap, "option '%s': '%s' is not an integer in %.0f..%.0f %s", o->name,
                     v, o->min, o->max, o->unit);
            return MTR_EINVAL;
        }
        int64_t i = (int64_t)x;
        memcpy(base + o->off, &i, sizeof(i));
        return MTR_OK;
    }
    case OPT_DBL: {
        double d = strtod(v, &end);
        if (errno != 0 || end == v || *end != '\0' || !isfinite(d) || d < o->min || d > o->max) {
            snprintf(err, err_cap, "option '%s': '%s' is not a number in %g..%g %s", o->name, v,
                     o->min, o->max, o->unit);
            return MTR_EINVAL;
        }
        memcpy(base + o->off, &d, sizeof(d));
        return MTR_OK;
    }
    }
    return MTR_EINVAL;
}

enum mtr_err
mtrd_config_set(
    struct mtrd_config *cfg, const char *name, const char *value, char *err, size_t err_cap)
{
    const struct opt *o = find_opt(name);
    if (o == NULL) {
        snprintf(err, err_cap, "unknown option '%s' (see --help)", name);
        return MTR_ENOENT;
    }
    return apply(cfg, o, value, err, err_cap);
}

void
mtrd_config_defaults(struct mtrd_config *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < sizeof(g_opts) / sizeof(g_opts[0]); i++) {
        enum mtr_err e = apply(cfg, &g_opts[i], g_opts[i].def, err, sizeof(err));
        (void)e; /* the defaults are checked by the config unit test */
    }
}

struct file_ctx {
    struct mtrd_config *cfg;
    FILE *f;
    int line; /* line last read: Debian's inih has no line argument in the handler */
    const char *path;
    char *err;
    size_t err_cap;
    bool has_err;
};

/* fgets that counts lines, so errors can name the line. */
static char *
read_line(char *str, int num, void *stream)
{
    struct file_ctx *ctx = stream;
    char *r = fgets(str, num, ctx->f);
    if (r != NULL) {
        ctx->line++;
    }
    return r;
}

static int
on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct file_ctx *ctx = user;
    int line = ctx->line;
    if (ctx->has_err) {
        return 0;
    }
    const struct opt *o = find_opt(name);
    char msg[256] = "";
    if (o == NULL || strcmp(o->section, section) != 0) {
        snprintf(ctx->err, ctx->err_cap, "%s:%d: unknown key '%s' in section [%s]", ctx->path, line,
                 name, section);
        ctx->has_err = true;
        return 0;
    }
    if (apply(ctx->cfg, o, value, msg, sizeof(msg)) != MTR_OK) {
        snprintf(ctx->err, ctx->err_cap, "%s:%d: %s", ctx->path, line, msg);
        ctx->has_err = true;
        return 0;
    }
    return 1;
}

enum mtr_err
mtrd_config_load_file(struct mtrd_config *cfg, const char *path, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_cap, "%s: cannot open configuration: %s", path, strerror(errno));
        return MTR_ENOENT;
    }
    struct file_ctx ctx = {cfg, f, 0, path, err, err_cap, false};
    int rc = ini_parse_stream(read_line, &ctx, on_ini, &ctx);
    fclose(f);
    if (ctx.has_err) {
        return MTR_EPROTO;
    }
    if (rc != 0) {
        snprintf(err, err_cap, "%s:%d: syntax error", path, rc);
        return MTR_EPROTO;
    }
    return MTR_OK;
}

static bool
is_one_of(const char *v, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcasecmp(v, *list) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether s is empty or exactly n hexadecimal digits. */
static bool
is_hex_or_empty(const char *s, size_t n)
{
    size_t i = 0;
    if (s[0] == '\0') {
        return true;
    }
    for (; s[i] != '\0'; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return i == n;
}

/* [dlms]: keys are 32 hex digits (AES-128), the title 16; EK and AK come together. */
static enum mtr_err
check_dlms(const struct mtrd_config *cfg, char *err, size_t err_cap)
{
    static const char *const secs[] = {"auth-enc", "auth", "enc", NULL};
    const struct {
        const char *name;
        const char *v;
        size_t n;
    } hex[] = {
        {"dlms-ek",    cfg->dlms_ek,    32u},
        {"dlms-ak",    cfg->dlms_ak,    32u},
        {"dlms-kek",   cfg->dlms_kek,   32u},
        {"dlms-title", cfg->dlms_title, 16u}
    };
    for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
        if (!is_hex_or_empty(hex[i].v, hex[i].n)) {
            snprintf(err, err_cap, "%s '%s': use %zu hexadecimal digits", hex[i].name, hex[i].v,
                     hex[i].n);
            return MTR_EINVAL;
        }
    }
    if ((cfg->dlms_ek[0] == '\0') != (cfg->dlms_ak[0] == '\0')) {
        snprintf(err, err_cap, "dlms-ek and dlms-ak: give both keys or neither");
        return MTR_EINVAL;
    }
    if (strlen(cfg->dlms_title) != 16u) {
        snprintf(err, err_cap, "dlms-title '%s': use 16 hexadecimal digits", cfg->dlms_title);
        return MTR_EINVAL;
    }
    if (!is_one_of(cfg->dlms_security, secs)) {
        snprintf(err, err_cap, "dlms-security '%s': use auth-enc, auth or enc", cfg->dlms_security);
        return MTR_EINVAL;
    }
    if (cfg->dlms_push_dest[0] != '\0' && strchr(cfg->dlms_push_dest, ':') == NULL) {
        snprintf(err, err_cap, "dlms-push-dest '%s': use host:port", cfg->dlms_push_dest);
        return MTR_EINVAL;
    }
    return MTR_OK;
}

enum mtr_err
mtrd_config_check(const struct mtrd_config *cfg, char *err, size_t err_cap)
{
    static const char *const sources[] = {"",    "synth", "comtrade", "mat",
                                          "csv", "raw",   "frames",   NULL};
    static const char *const nets[] = {"1P2W", "3P4W", "3P3W", "SPLIT", "1BL",
                                       "2BL",  "3BL",  "4BL",  NULL};
    static const char *const fmts[] = {"s16", "s32", "f32", NULL};
    static const char *const qdefs[] = {"fundamental", "budeanu", NULL};
    static const char *const reports[] = {"", "text", "json", NULL};
    if (!is_one_of(cfg->source, sources)) {
        snprintf(err, err_cap, "source '%s': use synth, comtrade, mat, csv, raw or frames",
                 cfg->source);
        return MTR_EINVAL;
    }
    if (!is_one_of(cfg->net, nets)) {
        snprintf(err, err_cap, "net '%s': use 1P2W 3P4W 3P3W SPLIT 1BL 2BL 3BL 4BL", cfg->net);
        return MTR_EINVAL;
    }
    if (!is_one_of(cfg->raw_format, fmts) || !is_one_of(cfg->q_def, qdefs) ||
        !is_one_of(cfg->report, reports)) {
        snprintf(err, err_cap, "raw-format, q-def or report has an unknown value");
        return MTR_EINVAL;
    }
    if (cfg->f_nom_Hz != 0 && cfg->f_nom_Hz != 50 && cfg->f_nom_Hz != 60) {
        snprintf(err, err_cap, "f-nom %lld: use 50 or 60", (long long)cfg->f_nom_Hz);
        return MTR_EINVAL;
    }
    if (strcasecmp(cfg->source, "raw") == 0 && !(cfg->fs_Hz > 0.0)) {
        snprintf(err, err_cap, "source raw needs --fs (sample rate, Hz)");
        return MTR_EINVAL;
    }
    if (cfg->window[0] != '\0') {
        unsigned long long a = 0;
        unsigned long long b = 0;
        char tail = 0;
        if (sscanf(cfg->window, "%llu:%llu%c", &a, &b, &tail) != 2 || b < a) {
            snprintf(err, err_cap, "window '%s': use FIRST:LAST sample indices, FIRST <= LAST",
                     cfg->window);
            return MTR_EINVAL;
        }
    }
    return check_dlms(cfg, err, err_cap);
}

static void
print_value(const struct mtrd_config *cfg, const struct opt *o, FILE *out)
{
    const char *base = (const char *)cfg;
    switch (o->type) {
    case OPT_STR:
        fprintf(out, "%s", base + o->off);
        break;
    case OPT_LIST:
        break; /* printed item by item by mtrd_config_print() */
    case OPT_BOOL: {
        bool b;
        memcpy(&b, base + o->off, sizeof(b));
        fprintf(out, "%s", b ? "true" : "false");
        break;
    }
    case OPT_INT: {
        int64_t i;
        memcpy(&i, base + o->off, sizeof(i));
        fprintf(out, "%lld", (long long)i);
        break;
    }
    case OPT_DBL: {
        double d;
        memcpy(&d, base + o->off, sizeof(d));
        fprintf(out, "%.10g", d);
        break;
    }
    }
}

static size_t
opt_size(const struct opt *o)
{
    switch (o->type) {
    case OPT_STR:
        return o->cap;
    case OPT_LIST:
        return sizeof(struct mtrd_list);
    case OPT_BOOL:
        return sizeof(bool);
    case OPT_INT:
        return sizeof(int64_t);
    case OPT_DBL:
        return sizeof(double);
    }
    return 0;
}

/* An option's value as text (for the configuration-change log). */
static void
value_text(const struct mtrd_config *cfg, const struct opt *o, char *out, size_t cap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    out[0] = '\0';
    if (m == NULL) {
        return;
    }
    print_value(cfg, o, m);
    fclose(m);
    snprintf(out, cap, "%s", buf != NULL ? buf : "");
    free(buf);
}

unsigned
mtrd_config_copy_reloadable(struct mtrd_config *dst,
                            const struct mtrd_config *src,
                            mtrd_config_change_fn on_change,
                            void *ctx)
{
    unsigned changed = 0;
    for (size_t i = 0; i < sizeof(g_opts) / sizeof(g_opts[0]); i++) {
        const struct opt *o = &g_opts[i];
        if (!o->is_reloadable) {
            continue;
        }
        char *d = (char *)dst + o->off;
        const char *s = (const char *)src + o->off;
        if (memcmp(d, s, opt_size(o)) != 0) {
            char old_v[128];
            char new_v[128];
            value_text(dst, o, old_v, sizeof(old_v));
            value_text(src, o, new_v, sizeof(new_v));
            memcpy(d, s, opt_size(o));
            changed++;
            if (on_change != NULL) {
                on_change(ctx, o->name, old_v, new_v);
            }
        }
    }
    return changed;
}

void
mtrd_config_print_help(FILE *out)
{
    const char *section = "";
    for (size_t i = 0; i < sizeof(g_opts) / sizeof(g_opts[0]); i++) {
        const struct opt *o = &g_opts[i];
        if (strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "\n[%s]\n", section);
        }
        char left[64];
        snprintf(left, sizeof(left), "--%s%s", o->type == OPT_BOOL ? "[no-]" : "", o->name);
        fprintf(out, "  %-26s %s", left, o->help);
        if (o->type == OPT_INT || o->type == OPT_DBL) {
            fprintf(out, " [%g..%g%s%s]", o->min, o->max, o->unit[0] ? " " : "", o->unit);
        }
        if (o->type == OPT_LIST) {
            fprintf(out, " [up to %.0f]", o->max);
        }
        fprintf(out, " (default: %s)%s\n", o->def[0] ? o->def : "none",
                o->is_reloadable ? " [SIGHUP]" : "");
    }
}

void
mtrd_config_print(const struct mtrd_config *cfg, FILE *out, bool is_commented)
{
    const char *section = "";
    if (is_commented) {
        fprintf(out,
                "# generated by meterd --print-config; do not edit (docs/meterd.conf.example)\n"
                "# [SIGHUP]: re-read on SIGHUP; every other option needs a restart\n\n");
    }
    for (size_t i = 0; i < sizeof(g_opts) / sizeof(g_opts[0]); i++) {
        const struct opt *o = &g_opts[i];
        if (strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "%s[%s]\n", i == 0 ? "" : "\n", section);
        }
        if (is_commented) {
            fprintf(out, "# %s%s%s%s%s\n", o->help, o->unit[0] ? " (" : "", o->unit,
                    o->unit[0] ? ")" : "", o->is_reloadable ? " [SIGHUP]" : "");
        }
        if (o->type == OPT_LIST) {
            const struct mtrd_list *l =
                (const struct mtrd_list *)(const void *)((const char *)cfg + o->off);
            if (l->n == 0) {
                fprintf(out, "# %s = (none)\n", o->name);
            }
            for (uint32_t k = 0; k < l->n; k++) {
                fprintf(out, "%s = %s\n", o->name, l->item[k]);
            }
            continue;
        }
        fprintf(out, "%s = ", o->name);
        print_value(cfg, o, out);
        fputc('\n', out);
    }
}
