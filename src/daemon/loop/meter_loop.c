/*
 * The meter loop (see meter_loop.h). Per frame, in this order: registers, NV
 * commit, snapshot, Modbus publish, report, console. A value a client has read
 * is therefore already in the register file: kill -9 cannot take back energy a
 * client has seen.
 */
#define _DEFAULT_SOURCE /* usleep-free pacing uses clock_gettime/nanosleep */
#include "loop/meter_loop.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "loop/console.h"
#include "loop/meter_app.h"
#include "meterd/cat.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"
#include "meterd/snapshot.h"
#include "modbus/modbus_srv.h"
#include "nv/reg_store.h"
#include "report/report.h"
#include "sources/synth_frames.h"

/** Samples per channel read at a time: ~10 ms at 8 kS/s live, larger for replay. */
#define CHUNK_LIVE     80u
#define CHUNK_REPLAY   4096u
/** Console refresh, seconds of wall time. */
#define TABLE_PERIOD_s 1.0

struct meter {
    const struct mtrd_config *cfg; /* points at cfg_live */
    struct mtrd_config cfg_live;   /* SIGHUP updates its reloadable options */
    const char *config_path;
    volatile sig_atomic_t *reload;
    struct mtrd_source *src;
    struct mtr_metro metro; /* large: the struct meter is heap-allocated */
    struct mtr_reg_set regs;
    struct mtrd_reg_store store;
    bool is_store_open;
    struct mtrd_meter_app ma;       /* clock, tariffs, demand, profiles, billing, events */
    struct mtrd_synth_frames *fgen; /* --source frames: frames instead of samples */
    bool is_app_open;
    bool is_live; /* meter time follows the system clock */
    struct mtrd_modbus *mb;
    struct mtr_snapshot snap;
    struct mtrd_report report;
    uint64_t window_first, window_last; /* sample indices, inclusive */
    bool has_window;
    uint64_t samples_in; /* samples read from the source */
    double t_last_sync, t_last_table, t_last_progress, t_start;
    bool is_tty;
    FILE *frames; /* --frames-csv */
};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static enum mtrd_source_type
type_from(const struct mtrd_config *cfg)
{
    const char *s = cfg->source;
    if (strcasecmp(s, "comtrade") == 0) {
        return MTRD_SOURCE_COMTRADE;
    }
    if (strcasecmp(s, "mat") == 0) {
        return MTRD_SOURCE_MAT;
    }
    if (strcasecmp(s, "csv") == 0) {
        return MTRD_SOURCE_CSV;
    }
    if (strcasecmp(s, "raw") == 0) {
        return MTRD_SOURCE_RAW;
    }
    if (strcasecmp(s, "synth") == 0 || cfg->input[0] == '\0') {
        return MTRD_SOURCE_SYNTH;
    }
    const char *dot = strrchr(cfg->input, '.');
    if (strcmp(cfg->input, "-") == 0) {
        return MTRD_SOURCE_RAW;
    }
    if (dot != NULL && (strcasecmp(dot, ".cfg") == 0 || strcasecmp(dot, ".dat") == 0)) {
        return MTRD_SOURCE_COMTRADE;
    }
    if (dot != NULL && strcasecmp(dot, ".mat") == 0) {
        return MTRD_SOURCE_MAT;
    }
    if (dot != NULL && strcasecmp(dot, ".csv") == 0) {
        return MTRD_SOURCE_CSV;
    }
    return MTRD_SOURCE_RAW;
}

static enum mtr_err
parse_map(const char *map, struct mtrd_source_spec *spec, char *err, size_t err_cap)
{
    char buf[sizeof(((struct mtrd_config *)0)->map)];
    snprintf(buf, sizeof(buf), "%s", map);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        char kind = (char)(item[0] & ~0x20); /* upper case */
        int phase = item[1] - '1';
        if (eq == NULL || eq != item + 2 || (kind != 'U' && kind != 'V' && kind != 'I') ||
            phase < 0 || phase > 2 || eq[1] == '\0' || strlen(eq + 1) >= MTRD_SOURCE_NAME_CAP) {
            snprintf(err, err_cap,
                     "map item '%s': use U1..U3=channel or I1..I3=channel, e.g. U1=VA,I1=IA", item);
            return MTR_EINVAL;
        }
        char *dst = kind == 'I' ? spec->i_name[phase] : spec->u_name[phase];
        snprintf(dst, MTRD_SOURCE_NAME_CAP, "%s", eq + 1);
    }
    return MTR_OK;
}

static enum mtr_metro_net
net_from(const char *s)
{
    static const struct {
        const char *name;
        enum mtr_metro_net net;
    } nets[] = {
        {"1P2W",  MTR_METRO_NET_1P2W },
        {"3P4W",  MTR_METRO_NET_3P4W },
        {"3P3W",  MTR_METRO_NET_3P3W },
        {"SPLIT", MTR_METRO_NET_SPLIT},
        {"1BL",   MTR_METRO_NET_1BL  },
        {"2BL",   MTR_METRO_NET_2BL  },
        {"3BL",   MTR_METRO_NET_3BL  },
        {"4BL",   MTR_METRO_NET_4BL  }
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
        if (strcasecmp(s, nets[i].name) == 0) {
            return nets[i].net;
        }
    }
    return MTR_METRO_NET_3P4W;
}

enum mtr_err
mtrd_meter_source_spec(const struct mtrd_config *cfg,
                       struct mtrd_source_spec *spec,
                       char *err,
                       size_t err_cap)
{
    memset(spec, 0, sizeof(*spec));
    spec->type = type_from(cfg);
    spec->path = cfg->input;
    spec->phase_count =
        (uint8_t)(cfg->phases > 0 ? cfg->phases : mtr_metro_net_phases(net_from(cfg->net)));
    spec->is_secondary = cfg->is_secondary;
    spec->fs_Hz = cfg->fs_Hz;
    spec->raw_fmt = strcasecmp(cfg->raw_format, "s32") == 0   ? MTRD_RAW_S32
                    : strcasecmp(cfg->raw_format, "f32") == 0 ? MTRD_RAW_F32
                                                              : MTRD_RAW_S16;
    spec->raw_u_scale = cfg->raw_u_scale;
    spec->raw_i_scale = cfg->raw_i_scale;
    spec->synth_scenario = cfg->scenario;
    spec->synth_seed = (uint64_t)cfg->seed;
    return parse_map(cfg->map, spec, err, err_cap);
}

static void
metro_config(const struct meter *mt, struct mtr_metro_config *mc)
{
    const struct mtrd_config *cfg = mt->cfg;
    const struct mtrd_source_info *info = &mt->src->info;
    mtr_metro_config_default(mc);
    mc->fs_Hz = info->fs_Hz;
    mc->f_nom_Hz = (uint16_t)(cfg->f_nom_Hz != 0 ? cfg->f_nom_Hz : info->f_nom_Hz == 60 ? 60 : 50);
    mc->net = net_from(cfg->net);
    if (info->phase_count < mtr_metro_net_phases(mc->net)) {
        mc->net = info->phase_count == 1 ? MTR_METRO_NET_1P2W : MTR_METRO_NET_SPLIT;
    }
    mc->u_nom_V = (float)cfg->u_nom_V;
    mc->vt_ratio = cfg->vt_ratio;
    mc->ct_ratio = cfg->ct_ratio;
    mc->p_start_W = (float)cfg->p_start_W;
    mc->q_start_var = (float)cfg->q_start_var;
    mc->is_i_dc_removed = cfg->is_i_dc_removed;
    mc->q_def =
        strcasecmp(cfg->q_def, "budeanu") == 0 ? MTR_METRO_Q_BUDEANU : MTR_METRO_Q_FUNDAMENTAL;
    for (unsigned p = 0; p < 3; p++) {
        mc->cal[p].u_gain_ppm = (int32_t)cfg->u_gain_ppm[p];
        mc->cal[p].i_gain_ppm = (int32_t)cfg->i_gain_ppm[p];
        mc->cal[p].i_phase_mdeg = (int32_t)cfg->i_phase_mdeg[p];
        mc->cal[p].i_skew_ns = (int32_t)cfg->i_skew_ns[p];
    }
}

static int
open_storage(struct meter *mt)
{
    const char *dir = mt->cfg->data_dir;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        mtrd_log(MTRD_LOG_ERROR, "%s: cannot create data directory: %s", dir, strerror(errno));
        return MTRD_EXIT_STORAGE;
    }
    char path[MTRD_PATH_CAP + 32];
    snprintf(path, sizeof(path), "%s/registers.nv", dir);
    char msg[512] = "";
    enum mtr_err e = mtrd_reg_store_open(path, &mt->store, &mt->regs, msg, sizeof(msg));
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "%s: %s (%s)", path, msg, mtr_strerror(e));
        return MTRD_EXIT_STORAGE;
    }
    mt->is_store_open = true;
    mt->store.file.is_sync_each_commit = mt->cfg->nv_sync_ms == 0;
    mtrd_log(MTRD_LOG_INFO, "registers: %s: %s", path, msg);
    return MTRD_EXIT_OK;
}

/* The meter application: its clock starts from the source (or --clock-start) when new. */
static int
open_app(struct meter *mt)
{
    const struct mtrd_source_info *in = &mt->src->info;
    mt->is_live = in->sample_count == 0 && mt->cfg->speed_x > 0.0 && mt->cfg->speed_x <= 1.0 &&
                  strcasecmp(mt->cfg->source, "frames") != 0;
    int64_t now = INT64_MIN;
    if (mt->is_live) {
        now = (int64_t)wall_us();
    } else if (mt->cfg->clock_start[0] != '\0') {
        if (mtrd_parse_utc(mt->cfg->clock_start, &now) != MTR_OK) {
            mtrd_log(MTRD_LOG_ERROR, "clock-start '%s': use YYYY-MM-DDTHH:MM:SSZ (UTC)",
                     mt->cfg->clock_start);
            return MTRD_EXIT_USAGE;
        }
    } else if (in->t0_us != 0) {
        now = in->t0_us;
    }
    char err[768] = "";
    enum mtr_err e = mtrd_meter_app_open(&mt->ma, mt->cfg, mt->cfg->data_dir, &mt->regs, now,
                                         mt->is_live, err, sizeof(err));
    mt->is_app_open = true; /* close what was opened, even on failure */
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "%s", err);
        return e == MTR_EINVAL ? MTRD_EXIT_USAGE : MTRD_EXIT_STORAGE;
    }
    return MTRD_EXIT_OK;
}

static void
modbus_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    mtrd_log(level <= 3   ? MTRD_LOG_ERROR
             : level == 4 ? MTRD_LOG_WARN
                          : MTRD_LOG_DEBUG,
             "modbus: %s", msg);
}

/* Publish the meter application's state at once (after a command), between frames. */
static void
publish_app(struct meter *mt)
{
    mt->snap.app = mt->ma.app.st;
    mt->snap.reg = mt->ma.app.st.reg;
    mt->snap.t_us = (uint64_t)mt->ma.app.st.t_us;
    if (mt->mb != NULL && mt->snap.is_valid) {
        enum mtr_err pe = mtrd_modbus_publish(mt->mb, &mt->snap);
        (void)pe; /* only fails on NULL arguments */
    }
}

/*
 * A command written to the Modbus command block (docs/modbus-native.md): code in words[0],
 * argument in words[1], a UTC time in seconds in words[2..3]. Applied here, between frames,
 * and committed with its event before the reply goes out.
 */
static enum mtr_err
modbus_command(void *ctx, const uint16_t *w, unsigned count, const char *peer)
{
    struct meter *mt = ctx;
    struct mtr_app *app = &mt->ma.app;
    enum mtr_err e = MTR_EINVAL;
    const char *what = "unknown command";
    switch (w[0]) {
    case 1:
        what = "billing reset";
        e = mtr_app_billing_reset(app, MTR_WHO_MODBUS);
        break;
    case 2:
        what = "demand reset";
        e = mtr_app_demand_reset(app, MTR_WHO_MODBUS);
        break;
    case 3:
    case 4:
    case 5:
        what = w[0] == 3 ? "partial start" : w[0] == 4 ? "partial stop" : "partial reset";
        e = mtr_app_partial(app,
                            w[0] == 3   ? MTR_PARTIAL_START
                            : w[0] == 4 ? MTR_PARTIAL_STOP
                                        : MTR_PARTIAL_RESET,
                            MTR_WHO_MODBUS);
        break;
    case 6:
        what = "set tariff";
        e = count >= 2u
                ? mtr_app_set_tariff(app, (uint8_t)(w[1] > 255u ? 0u : w[1]), MTR_WHO_MODBUS)
                : MTR_EINVAL;
        break;
    case 7:
        what = "set clock";
        e = count >= 4u
                ? mtr_app_set_time(app, (int64_t)(((uint32_t)w[2] << 16) | w[3]) * 1000000LL,
                                   MTR_WHO_MODBUS)
                : MTR_EINVAL;
        break;
    case 9:
        what = "tariff input";
        if (count >= 2u && w[1] <= 1u) {
            mtr_app_set_input(app, w[1] != 0u);
            e = MTR_OK;
        }
        break;
    case 8:
        what = "shift clock";
        e = count >= 2u ? mtr_app_shift_time(app, (int16_t)w[1], MTR_WHO_MODBUS) : MTR_EINVAL;
        break;
    default:
        break;
    }
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_WARN, "modbus: %s: command %u (%s) rejected: %s", peer, w[0], what,
                 mtr_strerror(e));
        return e;
    }
    char err[512] = "";
    if (mtrd_meter_app_commit(&mt->ma, err, sizeof(err)) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "modbus: %s: %s: %s", peer, what, err);
        return MTR_EIO;
    }
    mtrd_log(MTRD_LOG_INFO, "modbus: %s: %s done", peer, what);
    publish_app(mt);
    return MTR_OK;
}

static int
open_modbus(struct meter *mt)
{
    if (!mt->cfg->is_modbus) {
        return MTRD_EXIT_OK;
    }
    struct mtrd_modbus_cfg mc = {0};
    mc.bind_addr = mt->cfg->modbus_bind;
    mc.port = (uint16_t)mt->cfg->modbus_port;
    mc.unit_id = (uint8_t)mt->cfg->modbus_unit;
    mc.max_clients = (unsigned)mt->cfg->modbus_max_clients;
    mc.idle_timeout_s = (unsigned)mt->cfg->modbus_idle_s;
    mc.log_fn = modbus_log;
    if (mt->cfg->is_modbus_write) {
        mc.command_fn = modbus_command;
        mc.command_ctx = mt;
    }
    char err[256] = "";
    if (mtrd_modbus_open(&mc, &mt->mb, err, sizeof(err)) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "modbus: %s:%lld: %s", mt->cfg->modbus_bind,
                 (long long)mt->cfg->modbus_port, err);
        return MTRD_EXIT_NETWORK;
    }
    mtrd_log(MTRD_LOG_INFO, "modbus: serving Modbus TCP on %s:%u, unit %lld", mt->cfg->modbus_bind,
             mtrd_modbus_port(mt->mb), (long long)mt->cfg->modbus_unit);
    return MTRD_EXIT_OK;
}

/* --frames-csv: one column per catalogue entry that applies to the phases measured. */
static void
frames_header(FILE *out, uint8_t phases)
{
    size_t count = 0;
    const struct mtr_cat_entry *cat = mtr_cat_entries(&count);
    fputs("t_s,flags", out);
    for (size_t i = 0; i < count; i++) {
        if (mtr_cat_applies(&cat[i], phases)) {
            fprintf(out, ",%s", cat[i].name);
        }
    }
    fputc('\n', out);
}

static void
frames_line(FILE *out, const struct mtr_snapshot *s, double fs_Hz)
{
    size_t count = 0;
    const struct mtr_cat_entry *cat = mtr_cat_entries(&count);
    fprintf(out, "%.6f,0x%x", (double)s->frame.sample_start / fs_Hz, s->frame.flags);
    for (size_t i = 0; i < count; i++) {
        double v = 0.0;
        if (!mtr_cat_applies(&cat[i], s->frame.phase_count)) {
            continue;
        }
        if (mtr_cat_value(&cat[i], s, &v) == MTR_OK) {
            fprintf(out, ",%.15g", v);
        } else {
            fputc(',', out);
        }
    }
    fputc('\n', out);
}

/* Everything that happens once per frame. Returns false to stop. */
static bool
on_frame(struct meter *mt, const struct mtr_metro_frame *fr)
{
    struct mtr_app *app = &mt->ma.app;
    int64_t t_end =
        mt->is_live ? (int64_t)wall_us() : app->st.t_us + (int64_t)llround(fr->duration_s * 1e6);
    enum mtr_err e = mtr_app_frame(app, fr, t_end);
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "frame %llu: registers not updated: %s",
                 (unsigned long long)fr->seq, mtr_strerror(e));
        return false;
    }
    char err[512] = "";
    if (mtrd_meter_app_commit(&mt->ma, err, sizeof(err)) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "%s; stopping (the stored state is the one before this frame)",
                 err);
        return false;
    }
    mt->regs = app->st.reg;
    e = mtrd_reg_store_commit(&mt->store, &mt->regs);
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "register file: commit failed: %s", mtr_strerror(e));
        return false;
    }
    mt->snap.frame = *fr;
    mt->snap.reg = mt->regs;
    mt->snap.app = app->st;
    for (unsigned q = 0; q < MTR_DEM_COUNT; q++) {
        mt->snap.dem_cur_mW[q] = mtr_app_demand_current_mW(app, (enum mtr_dem_qty)q);
    }
    mt->snap.is_valid = true;
    mt->snap.t_us = (uint64_t)app->st.t_us;
    if (mt->mb != NULL) {
        enum mtr_err pe = mtrd_modbus_publish(mt->mb, &mt->snap);
        (void)pe; /* only fails on NULL arguments */
    }
    mtrd_report_add(&mt->report, &mt->snap);
    if (mt->frames != NULL) {
        frames_line(mt->frames, &mt->snap, mt->src->info.fs_Hz);
    }
    double now = now_s();
    if (mt->cfg->nv_sync_ms > 0 &&
        (now - mt->t_last_sync) * 1000.0 >= (double)mt->cfg->nv_sync_ms) {
        if (mtrd_app_store_flush(&mt->ma.store) != MTR_OK ||
            mtrd_reg_store_flush(&mt->store) != MTR_OK) {
            mtrd_log(MTRD_LOG_WARN, "register file: msync failed; retrying at the next interval");
        }
        mt->t_last_sync = now;
    }
    if (mt->cfg->is_table && mt->cfg->report[0] == '\0' &&
        now - mt->t_last_table >= TABLE_PERIOD_s) {
        mtrd_console_table(stdout, &mt->snap, mt->is_tty, mt->mb ? mtrd_modbus_port(mt->mb) : 0);
        mt->t_last_table = now;
    }
    return true;
}

/* Feed n samples of x; returns false when the meter must stop. */
static bool
feed(struct meter *mt, const float *x, size_t n)
{
    const unsigned chans = 2u * mt->src->info.phase_count;
    size_t off = 0;
    while (off < n) {
        size_t used = 0;
        struct mtr_metro_frame fr;
        enum mtr_err e = mtr_metro_feed(&mt->metro, x + off * chans, n - off, &used, &fr);
        off += used;
        if (e == MTR_OK && !on_frame(mt, &fr)) {
            return false;
        }
    }
    return true;
}

/* Wait until wall time catches up with meter time / speed, serving Modbus meanwhile. */
static void
pace(struct meter *mt, volatile sig_atomic_t *stop)
{
    double speed = mt->cfg->speed_x;
    double target =
        speed > 0.0 ? mt->t_start + (double)mt->samples_in / mt->src->info.fs_Hz / speed : 0.0;
    for (;;) {
        double wait = target - now_s();
        int ms = wait > 0.0 ? (int)ceil(wait * 1000.0) : 0;
        if (mt->mb != NULL) {
            enum mtr_err pe = mtrd_modbus_poll(mt->mb, ms > 50 ? 50 : ms);
            (void)pe; /* a failing client is dropped and logged inside; the meter goes on */
        } else if (ms > 0) {
            struct timespec ts = {0, (long)(ms > 50 ? 50 : ms) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (ms <= 0 || speed <= 0.0 || *stop != 0) {
            return; /* SIGTERM/SIGINT stop the meter at once, also in a slow replay */
        }
    }
}

/* Clip a chunk to the configured window; returns the offset of the first sample to use. */
static size_t
clip_window(const struct meter *mt, size_t got, size_t *n_use)
{
    uint64_t first = mt->samples_in - got; /* index of the chunk's first sample */
    size_t skip = 0;
    *n_use = got;
    if (!mt->has_window) {
        return 0;
    }
    if (first < mt->window_first) {
        uint64_t s = mt->window_first - first;
        skip = s > got ? got : (size_t)s;
    }
    uint64_t last = first + got - 1u;
    size_t cut = last > mt->window_last ? (size_t)(last - mt->window_last) : 0u;
    *n_use = got - skip > cut ? got - skip - cut : 0u;
    return skip;
}

/* A reloaded option changed: the configuration-change log records it. */
static void
on_config_change(void *ctx, const char *name, const char *old_v, const char *new_v)
{
    struct meter *mt = ctx;
    mtr_app_log_param(&mt->ma.app, name, old_v, new_v, MTR_WHO_CONFIG);
    mtrd_log(MTRD_LOG_INFO, "reload: %s: %s -> %s", name, old_v, new_v);
}

/* SIGHUP: re-read the configuration file and apply the options that may change live. */
static void
reload_config(struct meter *mt)
{
    *mt->reload = 0;
    if (mt->config_path == NULL) {
        mtrd_log(MTRD_LOG_INFO, "reload: no configuration file (-c); nothing to reload");
        return;
    }
    struct mtrd_config *fresh = malloc(sizeof(*fresh));
    if (fresh == NULL) {
        mtrd_log(MTRD_LOG_ERROR, "reload: out of memory; configuration unchanged");
        return;
    }
    char err[512] = "";
    mtrd_config_defaults(fresh);
    if (mtrd_config_load_file(fresh, mt->config_path, err, sizeof(err)) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "reload: %s; configuration unchanged", err);
    } else {
        unsigned n = mtrd_config_copy_reloadable(&mt->cfg_live, fresh, on_config_change, mt);
        mt->store.file.is_sync_each_commit = mt->cfg_live.nv_sync_ms == 0;
        mt->ma.store.file.is_sync_each_commit = mt->cfg_live.nv_sync_ms == 0;
        mtrd_log(MTRD_LOG_INFO, "reload: %s: %u option(s) changed (others need a restart)",
                 mt->config_path, n);
    }
    free(fresh);
}

/* --source frames: the generator's frames go straight to the meter application. */
static int
run_frames(struct meter *mt, volatile sig_atomic_t *stop)
{
    int rc = MTRD_EXIT_OK;
    const double fs = mt->src->info.fs_Hz;
    uint64_t max_samples =
        mt->cfg->duration_s > 0.0 ? (uint64_t)llround(mt->cfg->duration_s * fs) : UINT64_MAX;
    while (*stop == 0) {
        if (*mt->reload != 0) {
            reload_config(mt);
        }
        struct mtr_metro_frame fr;
        int64_t t_start = 0;
        enum mtr_err e = mtrd_synth_frames_next(mt->fgen, &fr, &t_start);
        if (e != MTR_OK) {
            mtrd_log(MTRD_LOG_ERROR, "frames: %s", mtr_strerror(e));
            rc = MTRD_EXIT_RUNTIME;
            break;
        }
        mt->samples_in += fr.sample_count;
        if (!on_frame(mt, &fr)) {
            rc = MTRD_EXIT_RUNTIME;
            break;
        }
        if (mt->samples_in >= max_samples) {
            break;
        }
        pace(mt, stop);
        double now = now_s();
        if (mt->cfg->is_progress && mt->cfg->report[0] != '\0' && max_samples != UINT64_MAX &&
            now - mt->t_last_progress >= 0.2) {
            double speed_x = (double)mt->samples_in / fs / (now - mt->t_start);
            mtrd_console_progress(stderr, mt->samples_in, max_samples, speed_x);
            mt->t_last_progress = now;
        }
    }
    if (mt->cfg->is_progress && mt->cfg->report[0] != '\0' && max_samples != UINT64_MAX) {
        double speed_x = (double)mt->samples_in / fs / (now_s() - mt->t_start);
        mtrd_console_progress(stderr, mt->samples_in, max_samples, speed_x);
        fputc('\n', stderr);
    }
    return rc;
}

static int
run_samples(struct meter *mt, volatile sig_atomic_t *stop)
{
    const unsigned chans = 2u * mt->src->info.phase_count;
    const size_t chunk =
        mt->cfg->speed_x > 0.0 && mt->cfg->speed_x <= 10.0 ? CHUNK_LIVE : CHUNK_REPLAY;
    float *x = malloc(chunk * chans * sizeof(float));
    if (x == NULL) {
        mtrd_log(MTRD_LOG_ERROR, "out of memory for the sample buffer");
        return MTRD_EXIT_RUNTIME;
    }
    int rc = MTRD_EXIT_OK;
    uint64_t max_samples = mt->cfg->duration_s > 0.0
                               ? (uint64_t)llround(mt->cfg->duration_s * mt->src->info.fs_Hz)
                               : UINT64_MAX;
    uint64_t total = mt->src->info.sample_count;
    if (mt->has_window && total > mt->window_last + 1u) {
        total = mt->window_last + 1u;
    }
    while (*stop == 0) {
        if (*mt->reload != 0) {
            reload_config(mt);
        }
        size_t got = 0;
        enum mtr_err e = mtrd_source_read(mt->src, x, chunk, &got);
        if (e == MTR_EOF) {
            break;
        }
        if (e != MTR_OK) {
            mtrd_log(MTRD_LOG_ERROR, "%s", mt->src->err[0] ? mt->src->err : mtr_strerror(e));
            rc = MTRD_EXIT_RUNTIME;
            break;
        }
        mt->samples_in += got;
        size_t n_use = 0;
        size_t skip = clip_window(mt, got, &n_use);
        if (n_use > 0 && !feed(mt, x + skip * chans, n_use)) {
            rc = MTRD_EXIT_RUNTIME;
            break;
        }
        if ((mt->has_window && mt->samples_in > mt->window_last) || mt->samples_in >= max_samples) {
            break;
        }
        pace(mt, stop);
        double now = now_s();
        if (mt->cfg->is_progress && mt->cfg->report[0] != '\0' && total > 0 &&
            now - mt->t_last_progress >= 0.2) {
            double speed_x = (double)mt->samples_in / mt->src->info.fs_Hz / (now - mt->t_start);
            mtrd_console_progress(stderr, mt->samples_in, total, speed_x);
            mt->t_last_progress = now;
        }
    }
    free(x);
    if (rc == MTRD_EXIT_OK) {
        /* the last, partial frame's energy is not lost */
        struct mtr_metro_frame fr;
        if (mtr_metro_flush(&mt->metro, &fr) == MTR_OK && !on_frame(mt, &fr)) {
            rc = MTRD_EXIT_RUNTIME;
        }
    }
    if (mt->cfg->is_progress && mt->cfg->report[0] != '\0' && total > 0) {
        double speed_x = (double)mt->samples_in / mt->src->info.fs_Hz / (now_s() - mt->t_start);
        mtrd_console_progress(stderr, mt->samples_in, total, speed_x);
        fputc('\n', stderr);
    }
    return rc;
}

/* --source frames: a source that only describes the frames (it has no samples). */
struct frames_src {
    struct mtrd_source base;
};

static enum mtr_err
frames_src_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    (void)src;
    (void)x;
    (void)max_samples;
    *got = 0;
    return MTR_EOF;
}

static void
frames_src_close(struct mtrd_source *src)
{
    free(src);
}

static const struct mtrd_source_ops k_frames_src_ops = {frames_src_read, frames_src_close};

static bool
is_frames_mode(const struct mtrd_config *cfg)
{
    return strcasecmp(cfg->source, "frames") == 0;
}

static int
open_frames_source(struct meter *mt)
{
    struct frames_src *fs = calloc(1, sizeof(*fs));
    if (fs == NULL) {
        mtrd_log(MTRD_LOG_ERROR, "out of memory");
        return MTRD_EXIT_RUNTIME;
    }
    fs->base.ops = &k_frames_src_ops;
    fs->base.info.fs_Hz = MTRD_SYNTH_FRAMES_FS_HZ;
    fs->base.info.phase_count = mt->cfg->phases == 1 ? 1u : 3u;
    fs->base.info.f_nom_Hz = mt->cfg->f_nom_Hz == 60 ? 60u : 50u;
    fs->base.info.t0_us = ((int64_t)wall_us() / 1000000) * 1000000;
    snprintf(fs->base.info.desc, sizeof(fs->base.info.desc),
             "synthetic %s as measurement frames of %.3f s (no samples)", mt->cfg->scenario,
             mt->cfg->frame_s);
    mt->src = &fs->base;
    return MTRD_EXIT_OK;
}

/* The frame generator starts at the meter clock, so a restarted meter continues the day. */
static int
open_frames_gen(struct meter *mt)
{
    struct mtrd_synth_frames_spec sp;
    memset(&sp, 0, sizeof(sp));
    sp.scenario = mt->cfg->scenario;
    sp.seed = (uint64_t)mt->cfg->seed;
    sp.f_nom_Hz = mt->src->info.f_nom_Hz;
    sp.frame_s = mt->cfg->frame_s;
    sp.t0_us = mt->ma.app.st.t_us;
    sp.tz_min = (int16_t)mt->cfg->tz_min;
    sp.phase_count = mt->src->info.phase_count;
    sp.q_def =
        strcasecmp(mt->cfg->q_def, "budeanu") == 0 ? MTR_METRO_Q_BUDEANU : MTR_METRO_Q_FUNDAMENTAL;
    char err[256] = "";
    if (mtrd_synth_frames_open(&sp, &mt->fgen, err, sizeof(err)) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "frames: %s", err);
        return MTRD_EXIT_USAGE;
    }
    return MTRD_EXIT_OK;
}

static int
open_all(struct meter *mt)
{
    if (is_frames_mode(mt->cfg)) {
        int rc = open_frames_source(mt);
        if (rc == MTRD_EXIT_OK) {
            rc = open_storage(mt);
        }
        if (rc == MTRD_EXIT_OK) {
            rc = open_app(mt);
        }
        if (rc == MTRD_EXIT_OK) {
            rc = open_frames_gen(mt);
        }
        if (rc == MTRD_EXIT_OK) {
            mtrd_log(MTRD_LOG_INFO, "input: %s", mt->src->info.desc);
            rc = open_modbus(mt);
        }
        return rc;
    }
    struct mtrd_source_spec spec;
    char err[MTRD_SOURCE_ERR_CAP] = "";
    if (mtrd_meter_source_spec(mt->cfg, &spec, err, sizeof(err)) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "%s", err);
        return MTRD_EXIT_USAGE;
    }
    enum mtr_err e = mtrd_source_open(&spec, &mt->src, err, sizeof(err));
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "%s", err[0] ? err : mtr_strerror(e));
        return MTRD_EXIT_INPUT;
    }
    mtrd_log(MTRD_LOG_INFO, "input: %s", mt->src->info.desc);
    double fs = mt->src->info.fs_Hz;
    if (!(fs >= 1000.0 && fs <= 65536.0)) {
        mtrd_log(MTRD_LOG_ERROR,
                 "%s: sample rate %.6g Hz is outside the meter's 1000..65536 Hz (corrupt time "
                 "base, or give the rate with --fs)",
                 mt->cfg->input[0] ? mt->cfg->input : "input", fs);
        return MTRD_EXIT_INPUT;
    }
    struct mtr_metro_config mc;
    metro_config(mt, &mc);
    if (mtr_metro_init(&mt->metro, &mc) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR,
                 "metrology: configuration rejected (fs %.3f Hz, f-nom %u Hz, ratios, "
                 "calibration or phase/skew correction too large for the rate)",
                 mc.fs_Hz, (unsigned)mc.f_nom_Hz);
        return MTRD_EXIT_USAGE;
    }
    int rc = open_storage(mt);
    if (rc != MTRD_EXIT_OK) {
        return rc;
    }
    rc = open_app(mt);
    if (rc != MTRD_EXIT_OK) {
        return rc;
    }
    if (mt->cfg->frames_csv[0] != '\0') {
        mt->frames =
            strcmp(mt->cfg->frames_csv, "-") == 0 ? stdout : fopen(mt->cfg->frames_csv, "w");
        if (mt->frames == NULL) {
            mtrd_log(MTRD_LOG_ERROR, "%s: cannot write frames: %s", mt->cfg->frames_csv,
                     strerror(errno));
            return MTRD_EXIT_USAGE;
        }
        frames_header(mt->frames, mt->src->info.phase_count);
    }
    return open_modbus(mt);
}

static void
close_all(struct meter *mt)
{
    if (mt->mb != NULL) {
        mtrd_modbus_close(mt->mb);
    }
    if (mt->frames != NULL && mt->frames != stdout) {
        fclose(mt->frames);
    } else if (mt->frames == stdout) {
        fflush(stdout);
    }
    if (mt->fgen != NULL) {
        mtrd_synth_frames_close(mt->fgen);
    }
    if (mt->is_app_open) {
        mtrd_meter_app_close(&mt->ma);
    }
    if (mt->is_store_open && mtrd_reg_store_close(&mt->store) != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "register file: final msync failed");
    }
    mtrd_source_close(mt->src);
}

int
mtrd_meter_run(const struct mtrd_config *cfg,
               volatile sig_atomic_t *stop,
               volatile sig_atomic_t *reload,
               const char *config_path)
{
    struct meter *mt = calloc(1, sizeof(*mt));
    if (mt == NULL) {
        mtrd_log(MTRD_LOG_ERROR, "out of memory");
        return MTRD_EXIT_RUNTIME;
    }
    mt->cfg_live = *cfg;
    mt->cfg = &mt->cfg_live;
    cfg = mt->cfg;
    mt->config_path = config_path;
    mt->reload = reload;
    mt->is_tty = isatty(STDOUT_FILENO) != 0;
    if (cfg->window[0] != '\0') {
        unsigned long long a = 0;
        unsigned long long b = 0;
        mt->has_window = sscanf(cfg->window, "%llu:%llu", &a, &b) == 2;
        mt->window_first = a;
        mt->window_last = b;
    }
    int rc = open_all(mt);
    if (rc == MTRD_EXIT_OK) {
        if (mt->src->info.t0_us == 0 && mt->src->info.sample_count == 0) {
            mt->src->info.t0_us =
                (int64_t)wall_us(); /* live source: meter time follows the clock */
        }
        mt->snap.k_imp_per_kWh = (uint32_t)cfg->k_imp_per_kWh;
        mtrd_report_init(&mt->report, &mt->regs);
        mt->t_start = now_s();
        mt->t_last_sync = mt->t_start;
        rc = mt->fgen != NULL ? run_frames(mt, stop) : run_samples(mt, stop);
        if (cfg->report[0] != '\0') {
            if (strcasecmp(cfg->report, "json") == 0) {
                mtrd_report_print_json(&mt->report, mt->src->info.desc, stdout);
            } else {
                mtrd_report_print_text(&mt->report, mt->src->info.desc, stdout);
            }
        }
    }
    close_all(mt);
    free(mt);
    return rc;
}
