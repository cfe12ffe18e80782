/*
 * Meter-application benchmark (issue 3; not a test: it always exits 0).
 *
 * Runs the daemon's per-frame path, as src/daemon/loop/meter_loop.c on_frame() does it in
 * replay, over days of meter time and on one core:
 *   mtr_app_frame() -> history put (SQLite, WAL) -> meter.nv commit -> registers.nv commit,
 *   with the NV files msync'ed every nv-sync-ms of wall time (the daemon's default 1000 ms),
 * in a temporary data directory deleted at the end. The meter is configured with "all of
 * the above": CET with EU daylight saving, the two-tariff calendar of
 * docs/meter-application.md (with a special day), sliding demand 15 min / 3, the three
 * profiles every 15 min, monthly and daily billing. The replay starts 2026-03-15 00:00 UTC,
 * so a month crosses the DST change (03-29) and a monthly billing (04-01).
 *
 *  a) "month, frames": the synthetic household as measurement frames (synth_frames.h), no
 *     samples: 0.2-s frames (the metrology's frame length) and 1-s frames. Reports x real
 *     time, time per frame split into generator / application / history / NV commit, the
 *     SQLite bytes written per day of meter time (mtrd_hist_stats) and entries per day.
 *  b) "8 kHz three-phase with all of the above": the synthetic household's samples (8 kS/s,
 *     3P4W) through mtr_metro_feed() and the same path, for --days D of meter time. Reports
 *     x real time beside the target (>= 1000x on one core) and, measured in the same run,
 *     the generator alone, so the reader sees what the meter itself costs.
 *
 * The household is driven through mtrd_synth_hh (the generator behind --source synth) with
 * its time of day set to the replay's start, so the run does not depend on the wall clock.
 * Timing uses CLOCK_MONOTONIC around each stage of each frame (about 4 x 20 ns per frame,
 * included in the totals).
 *
 * Usage: bench_app [--days D] [--frames-days D] [--no-frames] [--no-samples] [--seed N]
 *                  [--gen-seconds S]
 */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "hist/hist_sqlite.h"
#include "log/log.h"
#include "loop/meter_app.h"
#include "meterd/app.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"
#include "nv/app_store.h"
#include "nv/reg_store.h"
#include "sources/synth.h"
#include "sources/synth_frames.h"

/** Start of the replay: 2026-03-15 00:00:00 UTC (DST begins 03-29, billing 04-01). */
#define START_UTC    "2026-03-15T00:00:00Z"
/** Local normal time of the configuration, minutes east of UTC (CET). */
#define TZ_MIN       60
/** Target of issue 3: a month of 8 kHz three-phase meter time at >= 1000x real time. */
#define TARGET_X     1000.0
/** Samples per read and per feed call, as the daemon's CHUNK_REPLAY. */
#define CHUNK        4096u
/** Channels of the household: U1..U3, I1..I3. */
#define CHANS        6u
/** Sample rate of part b, S/s. */
#define FS_HZ        8000.0
/** The daemon's default msync interval (nv-sync-ms), ms of wall time. */
#define NV_SYNC_MS   1000.0
/** Longest span accepted, days (a year). */
#define MAX_DAYS     366.0
#define DAY_s        86400.0
#define PATH_CAP_DIR 64

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the meter: configuration, stores, per-frame path ------------------- */

/* Everything on_frame() touches, opened in a temporary data directory. */
struct meter {
    char dir[PATH_CAP_DIR];
    struct mtrd_config *cfg;
    struct mtrd_meter_app *ma;
    struct mtrd_reg_store *rs;
    bool is_rs_open;
    double t_last_sync;
    /* wall time per stage, s */
    double app_s;
    double hist_s;
    double nv_s;
    uint64_t frames;
    uint64_t syncs;
};

static const char *const k_options[][2] = {
    {"timezone-min",   "60"                             },
    {"dst",            "true"                           },
    {"calendar-name",  "hc-hp"                          },
    {"day",            "1: 00:00 T2, 06:00 T1, 22:00 T2"},
    {"day",            "2: 00:00 T2"                    },
    {"week",           "wk: 1 1 1 1 1 2 2"              },
    {"season",         "all: 01-01 00:00 wk"            },
    {"special",        "12-25 2"                        },
    {"special",        "2026-04-06 2"                   },
    {"demand-period",  "900"                            },
    {"demand-subs",    "3"                              },
    {"capture-energy", "900"                            },
    {"capture-pq",     "900"                            },
    {"capture-amm",    "900"                            },
    {"nv-sync-ms",     "1000"                           },
};

static void
rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char p[PATH_CAP_DIR + 256];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            (void)unlink(p); /* best effort: a benchmark's scratch files */
        }
        closedir(d);
    }
    (void)rmdir(dir);
}

static void
meter_close(struct meter *m)
{
    if (m->ma != NULL) {
        mtrd_meter_app_close(m->ma);
    }
    if (m->is_rs_open && mtrd_reg_store_close(m->rs) != MTR_OK) {
        printf("  registers.nv: final msync failed\n");
    }
    free(m->ma);
    free(m->rs);
    free(m->cfg);
    if (m->dir[0] != '\0') {
        rm_dir(m->dir);
    }
    memset(m, 0, sizeof(*m));
}

/* Configure, create the data directory and open the stores as the daemon does. */
static int
meter_open(struct meter *m, int64_t start_us)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->dir, sizeof(m->dir), "/tmp/bench_app.XXXXXX");
    if (mkdtemp(m->dir) == NULL) {
        printf("  cannot create a temporary directory\n");
        m->dir[0] = '\0';
        return -1;
    }
    m->cfg = calloc(1, sizeof(*m->cfg));
    m->ma = calloc(1, sizeof(*m->ma));
    m->rs = calloc(1, sizeof(*m->rs));
    if (m->cfg == NULL || m->ma == NULL || m->rs == NULL) {
        printf("  out of memory\n");
        return -1;
    }
    char err[768] = "";
    mtrd_config_defaults(m->cfg);
    for (size_t i = 0; i < sizeof(k_options) / sizeof(k_options[0]); i++) {
        if (mtrd_config_set(m->cfg, k_options[i][0], k_options[i][1], err, sizeof(err)) != MTR_OK) {
            printf("  configuration %s = %s: %s\n", k_options[i][0], k_options[i][1], err);
            return -1;
        }
    }
    snprintf(m->cfg->data_dir, sizeof(m->cfg->data_dir), "%s", m->dir);
    char path[PATH_CAP_DIR + 32];
    snprintf(path, sizeof(path), "%s/registers.nv", m->dir);
    struct mtr_reg_set regs;
    if (mtrd_reg_store_open(path, m->rs, &regs, err, sizeof(err)) != MTR_OK) {
        printf("  %s: %s\n", path, err);
        return -1;
    }
    m->is_rs_open = true;
    m->rs->file.is_sync_each_commit = false; /* nv-sync-ms > 0: periodic msync */
    if (mtrd_meter_app_open(m->ma, m->cfg, m->dir, &regs, start_us, false, err, sizeof(err)) !=
        MTR_OK) {
        printf("  meter application: %s\n", err);
        return -1;
    }
    m->t_last_sync = now_s();
    return 0;
}

/* on_frame() of meter_loop.c, replay mode, with each stage timed. */
static int
meter_frame(struct meter *m, const struct mtr_metro_frame *fr)
{
    struct mtr_app *app = &m->ma->app;
    int64_t t_end = app->st.t_us + (int64_t)llround(fr->duration_s * 1e6);
    double t0 = now_s();
    enum mtr_err e = mtr_app_frame(app, fr, t_end);
    double t1 = now_s();
    m->app_s += t1 - t0;
    if (e != MTR_OK) {
        printf("  frame %llu: %s\n", (unsigned long long)fr->seq, mtr_strerror(e));
        return -1;
    }
    /* mtrd_meter_app_commit() in two timed halves: the entries, then meter.nv */
    size_t n = 0;
    const struct mtr_hist_entry *en = mtr_app_entries(app, &n);
    if (n > 0) {
        const struct mtr_hist_ops *ops = mtrd_hist_ops(m->ma->hist);
        if (ops->put(m->ma->hist, en, n) != MTR_OK) {
            printf("  history: %s\n", mtrd_hist_errmsg(m->ma->hist));
            return -1;
        }
        m->ma->entries_stored += n;
        mtr_app_entries_done(app);
    }
    double t2 = now_s();
    m->hist_s += t2 - t1;
    if (mtrd_app_store_commit(&m->ma->store, &app->st.reg, &app->st) != MTR_OK ||
        mtrd_reg_store_commit(m->rs, &app->st.reg) != MTR_OK) {
        printf("  NV commit failed\n");
        return -1;
    }
    double t3 = now_s();
    if ((t3 - m->t_last_sync) * 1000.0 >= NV_SYNC_MS) {
        if (mtrd_app_store_flush(&m->ma->store) != MTR_OK ||
            mtrd_reg_store_flush(m->rs) != MTR_OK) {
            printf("  msync failed\n");
        }
        m->syncs++;
        t3 = now_s();
        m->t_last_sync = t3;
    }
    m->nv_s += t3 - t2;
    m->frames++;
    return 0;
}

/* SQLite volume and entries, per day of meter time. */
static void
print_storage(const struct meter *m, double days)
{
    struct mtrd_hist_stats hs;
    if (mtrd_hist_stats(m->ma->hist, &hs) != MTR_OK) {
        return;
    }
    uint64_t n_prof = 0;
    if (mtrd_hist_count(m->ma->hist, MTR_HIST_PROFILE_1, &n_prof) != MTR_OK) {
        n_prof = 0;
    }
    printf("  history.db: %.0f entries/day (%llu in %llu transactions; profile_1 holds %llu), "
           "SQLite wrote %.1f KiB/day (WAL %.1f, db %.1f, other %.1f KiB/day; page %llu B), "
           "%.0f syncs/day\n",
           (double)hs.entries_written / days, (unsigned long long)hs.entries_written,
           (unsigned long long)hs.transactions, (unsigned long long)n_prof,
           (double)hs.bytes_written / days / 1024.0, (double)hs.wal_bytes / days / 1024.0,
           (double)hs.db_bytes / days / 1024.0, (double)hs.other_bytes / days / 1024.0,
           (unsigned long long)hs.page_bytes, (double)hs.syncs / days);
    const struct mtr_app_state *st = &m->ma->app.st;
    uint64_t tar = 0;
    for (unsigned t = 0; t < MTR_APP_TARIFFS; t++) {
        tar += (uint64_t)st->tar_u[t][MTR_REG_A_IMP];
    }
    printf("  meter: +A %.3f kWh (T1 %.3f, T2 %.3f; sum of tariffs %s the total), "
           "%u monthly billing(s), NV msync %llu times\n",
           (double)st->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] * 1e-9,
           (double)st->tar_u[0][MTR_REG_A_IMP] * 1e-9, (double)st->tar_u[1][MTR_REG_A_IMP] * 1e-9,
           tar == (uint64_t)st->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] ? "equals" : "DIFFERS FROM",
           (unsigned)st->bill_count, (unsigned long long)m->syncs);
}

static void
print_split(const char *what, double s, uint64_t frames, double total_s)
{
    printf("    %-12s %8.3f us/frame  %5.1f %%\n", what, s * 1e6 / (double)frames,
           100.0 * s / total_s);
}

/* ---- a) frames ---------------------------------------------------------- */

static void
run_frames(double frame_s, double days, uint64_t seed, int64_t start_us)
{
    printf("\na) %.0f days of the household as %.1f-s frames -> application, history, NV\n", days,
           frame_s);
    struct meter m;
    struct mtrd_synth_frames *g = NULL;
    if (meter_open(&m, start_us) != 0) {
        meter_close(&m);
        return;
    }
    struct mtrd_synth_frames_spec sp;
    memset(&sp, 0, sizeof(sp));
    sp.scenario = "household";
    sp.seed = seed;
    sp.f_nom_Hz = 50;
    sp.frame_s = frame_s;
    sp.t0_us = m.ma->app.st.t_us;
    sp.tz_min = TZ_MIN;
    sp.phase_count = 3;
    char err[256] = "";
    if (mtrd_synth_frames_open(&sp, &g, err, sizeof(err)) != MTR_OK) {
        printf("  frames: %s\n", err);
        meter_close(&m);
        return;
    }
    int64_t span_us = (int64_t)llround(days * DAY_s * 1e6);
    int64_t t_first = m.ma->app.st.t_us;
    double gen_s = 0.0;
    double t_start = now_s();
    int rc = 0;
    while (m.ma->app.st.t_us - t_first < span_us && rc == 0) {
        struct mtr_metro_frame fr;
        double t0 = now_s();
        if (mtrd_synth_frames_next(g, &fr, NULL) != MTR_OK) {
            rc = -1;
            break;
        }
        gen_s += now_s() - t0;
        rc = meter_frame(&m, &fr);
    }
    double wall_s = now_s() - t_start;
    double meter_s = (double)(m.ma->app.st.t_us - t_first) * 1e-6;
    if (rc == 0) {
        printf("  %llu frames, %.1f days of meter time in %.2f s: %.0fx real time "
               "(without the generator %.0fx)\n",
               (unsigned long long)m.frames, meter_s / DAY_s, wall_s, meter_s / wall_s,
               meter_s / (wall_s - gen_s));
        printf("  time per frame %.3f us:\n", wall_s * 1e6 / (double)m.frames);
        print_split("generator", gen_s, m.frames, wall_s);
        print_split("application", m.app_s, m.frames, wall_s);
        print_split("history", m.hist_s, m.frames, wall_s);
        print_split("NV commit", m.nv_s, m.frames, wall_s);
        print_split("loop/timer", wall_s - gen_s - m.app_s - m.hist_s - m.nv_s, m.frames, wall_s);
        print_storage(&m, meter_s / DAY_s);
    }
    mtrd_synth_frames_close(g);
    meter_close(&m);
}

/* ---- b) samples --------------------------------------------------------- */

/* Generation alone: seconds of household samples into a scratch buffer. */
static double
gen_alone_x(uint64_t seed, double start_tod_s, double seconds, float *x)
{
    struct mtrd_synth_hh *hh = calloc(1, sizeof(*hh));
    struct mtrd_synth_household par = {.start_tod_s = start_tod_s, .seed = seed, .fs_Hz = FS_HZ};
    if (hh == NULL || mtrd_synth_hh_init(hh, &par) != MTR_OK) {
        free(hh);
        return 0.0;
    }
    uint64_t want = (uint64_t)llround(seconds * FS_HZ);
    uint64_t done = 0;
    volatile float sink = 0.0f;
    double t0 = now_s();
    while (done < want) {
        size_t got = 0;
        size_t n = want - done < CHUNK ? (size_t)(want - done) : CHUNK;
        if (mtrd_synth_hh_read(hh, x, n, &got) != MTR_OK || got == 0) {
            break;
        }
        sink += x[0];
        done += got;
    }
    double dt = now_s() - t0;
    (void)sink;
    free(hh);
    return dt > 0.0 ? (double)done / FS_HZ / dt : 0.0;
}

static void
run_samples(double days, uint64_t seed, int64_t start_us, double gen_seconds)
{
    printf("\nb) %.2f day(s) of the household at 8 kS/s, 3P4W -> metrology, application, "
           "history, NV\n",
           days);
    float *x = malloc((size_t)CHUNK * CHANS * sizeof(float));
    struct mtrd_synth_hh *hh = calloc(1, sizeof(*hh));
    struct mtr_metro *metro = calloc(1, sizeof(*metro));
    struct meter m;
    memset(&m, 0, sizeof(m));
    if (x == NULL || hh == NULL || metro == NULL) {
        printf("  out of memory\n");
        goto out;
    }
    double start_tod_s = fmod((double)(start_us / 1000000) + TZ_MIN * 60.0, DAY_s);
    double span_s = days * DAY_s;
    if (gen_seconds > span_s) {
        gen_seconds = span_s;
    }
    double gen_x = gen_alone_x(seed, start_tod_s, gen_seconds, x);
    printf("  generator alone (first %.0f s of meter time): %.0fx real time\n", gen_seconds, gen_x);

    struct mtrd_synth_household par = {.start_tod_s = start_tod_s, .seed = seed, .fs_Hz = FS_HZ};
    struct mtr_metro_config mc;
    mtr_metro_config_default(&mc);
    mc.fs_Hz = FS_HZ;
    mc.f_nom_Hz = 50;
    mc.net = MTR_METRO_NET_3P4W;
    mc.u_nom_V = 230.0f;
    if (mtrd_synth_hh_init(hh, &par) != MTR_OK || mtr_metro_init(metro, &mc) != MTR_OK ||
        meter_open(&m, start_us) != 0) {
        printf("  cannot start the generator, the metrology or the meter\n");
        goto out;
    }
    uint64_t want = (uint64_t)llround(span_s * FS_HZ);
    uint64_t done = 0;
    double gen_s = 0.0;
    double metro_s = 0.0;
    double t_start = now_s();
    double t_report = t_start;
    while (done < want) {
        size_t got = 0;
        size_t n = want - done < CHUNK ? (size_t)(want - done) : CHUNK;
        double t0 = now_s();
        if (mtrd_synth_hh_read(hh, x, n, &got) != MTR_OK || got == 0) {
            printf("  generator stopped\n");
            goto out;
        }
        double t1 = now_s();
        gen_s += t1 - t0;
        done += got;
        for (size_t off = 0; off < got;) {
            size_t used = 0;
            struct mtr_metro_frame fr;
            double ta = now_s();
            enum mtr_err e = mtr_metro_feed(metro, x + off * CHANS, got - off, &used, &fr);
            metro_s += now_s() - ta;
            off += used;
            if (e == MTR_OK && meter_frame(&m, &fr) != 0) {
                goto out;
            }
        }
        if (t1 - t_report >= 30.0) {
            fprintf(stderr, "  ... %.2f of %.2f days\n", (double)done / FS_HZ / DAY_s, days);
            t_report = t1;
        }
    }
    double wall_s = now_s() - t_start;
    double meter_time_s = (double)done / FS_HZ;
    double cost_s = wall_s - gen_s;
    printf("  %llu frames, %.2f days of meter time in %.1f s on one core\n",
           (unsigned long long)m.frames, meter_time_s / DAY_s, wall_s);
    printf("  with the generator:    %8.0fx real time\n", meter_time_s / wall_s);
    printf("  the meter alone:       %8.0fx real time  (target >= %.0fx: %s)\n",
           meter_time_s / cost_s, TARGET_X, meter_time_s / cost_s >= TARGET_X ? "PASS" : "BELOW");
    printf("  generator in this run: %8.0fx real time  (alone, above: %.0fx)\n",
           meter_time_s / gen_s, gen_x);
    printf("  time per frame %.1f us:\n", wall_s * 1e6 / (double)m.frames);
    print_split("generator", gen_s, m.frames, wall_s);
    print_split("metrology", metro_s, m.frames, wall_s);
    print_split("application", m.app_s, m.frames, wall_s);
    print_split("history", m.hist_s, m.frames, wall_s);
    print_split("NV commit", m.nv_s, m.frames, wall_s);
    print_split("loop/timer", wall_s - gen_s - metro_s - m.app_s - m.hist_s - m.nv_s, m.frames,
                wall_s);
    print_storage(&m, meter_time_s / DAY_s);
out:
    meter_close(&m);
    free(metro);
    free(hh);
    free(x);
}

/* ---- main --------------------------------------------------------------- */

static void
usage(void)
{
    fprintf(stderr, "usage: bench_app [--days D (samples, default 1)] [--frames-days D (default "
                    "31)] [--no-frames] [--no-samples] [--seed N] [--gen-seconds S]\n");
}

static bool
days_ok(double d)
{
    return d > 0.0 && d <= MAX_DAYS;
}

int
main(int argc, char **argv)
{
    double days = 1.0;
    double frames_days = 31.0;
    double gen_seconds = 3600.0;
    bool is_frames = true;
    bool is_samples = true;
    uint64_t seed = 1;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--days") == 0 && a + 1 < argc) {
            days = atof(argv[++a]);
        } else if (strcmp(argv[a], "--frames-days") == 0 && a + 1 < argc) {
            frames_days = atof(argv[++a]);
        } else if (strcmp(argv[a], "--gen-seconds") == 0 && a + 1 < argc) {
            gen_seconds = atof(argv[++a]);
        } else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
            seed = strtoull(argv[++a], NULL, 10);
        } else if (strcmp(argv[a], "--no-frames") == 0) {
            is_frames = false;
        } else if (strcmp(argv[a], "--no-samples") == 0) {
            is_samples = false;
        } else {
            usage();
            return 0; /* a benchmark: never fail the caller */
        }
    }
    if (!days_ok(days) || !days_ok(frames_days) || !(gen_seconds >= 1.0)) {
        usage();
        return 0;
    }
    mtrd_log_set_level(MTRD_LOG_WARN);
    int64_t start_us = 0;
    if (mtrd_parse_utc(START_UTC, &start_us) != MTR_OK) {
        return 0;
    }
    printf("meterd meter-application benchmark: one core, start %s, CET with EU DST, calendar "
           "hc-hp (T1/T2), demand 15 min / 3, profiles 15 min, monthly + daily billing, "
           "NV msync every %.0f ms\n",
           START_UTC, NV_SYNC_MS);
    if (is_frames) {
        run_frames(0.2, frames_days, seed, start_us);
        run_frames(1.0, frames_days, seed, start_us);
    }
    if (is_samples) {
        run_samples(days, seed, start_us, gen_seconds);
    }
    return 0;
}
