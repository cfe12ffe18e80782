/*
 * Metrology benchmark (not a test: it always exits 0).
 *
 * Measures, on one core and in one run:
 *  1. full processing throughput of the metrology engine (mtr_metro_feed, with
 *     mtr_reg_apply_frame per frame) in channel-samples per second, on a
 *     3P4W signal with harmonics and noise generated up-front in memory
 *     (generation is not timed): 8 kHz / 50 Hz, 8 kHz / 60 Hz, 20 kHz / 50 Hz;
 *  2. the irreducible kernel over the same interleaved buffers: per-phase sums
 *     of u^2, i^2 and u*i in float lanes flushed to double, like the engine's;
 *  3. full / kernel, beside the targets (full >= 2.5e8 channel-samples/s, about
 *     5000 three-phase meters at 8 kHz, and >= 10 % of the kernel);
 *  4. replay speed of real recordings through the daemon's path (source reader,
 *     engine, registers; no NV, no Modbus), as a multiple of real time.
 *
 * Each measurement is warmed up once, repeated --repeat times (>= 5), and
 * reported as best and median. Timing uses CLOCK_MONOTONIC.
 *
 * Usage: bench_metrology [--seconds S] [--repeat N] [--mat PATH] [--comtrade PATH.cfg]
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meterd/metrology.h"
#include "meterd/reg.h"
#include "sources/source.h"

#ifndef MTR_SHARED_DATA_DIR
#define MTR_SHARED_DATA_DIR "../shared/data"
#endif

/** Default paths of the recordings replayed (read in place, never copied). */
#define DROUAZ_MAT                                                   \
    MTR_SHARED_DATA_DIR "/waveforms/drouaz-appliances-fr-230v-50hz/" \
                        "data_refrigerateur_1_20KHz_mesure1.mat"
#define PYCOMTRADE_CFG MTR_SHARED_DATA_DIR "/waveforms/pycomtrade-generator-plant-records/test3.cfg"

/** Targets of the brief: 5000 three-phase meters at 8 kHz, and 10 % of the kernel. */
#define TARGET_FULL_CHS_PER_s 2.5e8
#define TARGET_FULL_OF_KERNEL 0.10

/** Samples per read and per feed call in replay, as the daemon's CHUNK_REPLAY. */
#define CHUNK_SAMPLES 4096u
/** Channels of the synthetic cases (3P4W: U1..U3, I1..I3). */
#define CHANS         6u
/** Samples per lane block of the kernel, and samples summed in float before double. */
#define K_LANES       8u
#define K_BLOCK       256u
#define MAX_REPEAT    64u

/* The engine state is about 220 KiB: static, as the daemon places it once. */
static struct mtr_metro g_metro;
static struct mtr_reg_set g_regs;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Best (smallest) and median of n times, seconds. */
struct stat2 {
    double best_s;
    double median_s;
};

static struct stat2
stats(double *t, unsigned n)
{
    qsort(t, n, sizeof(t[0]), cmp_double);
    struct stat2 s = {t[0], n % 2u ? t[n / 2u] : 0.5 * (t[n / 2u - 1u] + t[n / 2u])};
    return s;
}

/* ---- signal ------------------------------------------------------------- */

/* xorshift64*: reproducible noise without libc state. */
static double
rnd_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately normal (Irwin-Hall of 4), unit variance. */
static double
rnd_normal(uint64_t *s)
{
    double a = rnd_uniform(s) + rnd_uniform(s) + rnd_uniform(s) + rnd_uniform(s);
    return (a - 2.0) * sqrt(3.0);
}

/*
 * A realistic 3P4W signal, interleaved [sample][U1 U2 U3 I1 I2 I3]:
 * U 230 V RMS with 3 %, 4 %, 2 % of h3, h5, h7 and 0.1 % noise; I 10 A RMS lagging
 * by 30 degrees (PF 0.87) with 20 %, 12 %, 8 %, 5 % of h3, h5, h7, h11, 0.5 % noise
 * and a 20 mA sensor offset. The frequency wanders +-0.05 % around nominal (7 s period).
 */
static float *
make_signal(double fs_Hz, double f_nom_Hz, double dur_s, size_t *n_out)
{
    static const double u_h[][2] = {
        {1, 1.0 },
        {3, 0.03},
        {5, 0.04},
        {7, 0.02}
    };
    static const double i_h[][2] = {
        {1,  1.0 },
        {3,  0.20},
        {5,  0.12},
        {7,  0.08},
        {11, 0.05}
    };
    const double two_pi = 2.0 * 3.14159265358979323846;
    size_t n = (size_t)(fs_Hz * dur_s);
    float *x = malloc(n * CHANS * sizeof(float));
    if (x == NULL) {
        return NULL;
    }
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    double theta = 0.0;
    for (size_t s = 0; s < n; s++) {
        double t = (double)s / fs_Hz;
        double f = f_nom_Hz * (1.0 + 5e-4 * sin(two_pi * t / 7.0));
        theta += two_pi * f / fs_Hz;
        for (unsigned p = 0; p < 3; p++) {
            double th = theta - (double)p * two_pi / 3.0;
            double u = 0.0;
            double i = 0.0;
            for (size_t k = 0; k < sizeof(u_h) / sizeof(u_h[0]); k++) {
                u += u_h[k][1] * sin(u_h[k][0] * th);
            }
            for (size_t k = 0; k < sizeof(i_h) / sizeof(i_h[0]); k++) {
                i += i_h[k][1] * sin(i_h[k][0] * (th - two_pi / 12.0));
            }
            u = 230.0 * sqrt(2.0) * u + 0.23 * rnd_normal(&seed);
            i = 10.0 * sqrt(2.0) * i + 0.05 * rnd_normal(&seed) + 0.02;
            x[s * CHANS + p] = (float)u;
            x[s * CHANS + 3u + p] = (float)i;
        }
    }
    *n_out = n;
    return x;
}

/* ---- full processing ---------------------------------------------------- */

struct full_result {
    uint64_t frames;
    double e_p_Wh; /* total active energy of the registers' source frames */
};

/* Feed x like the daemon's feed(): chunks of CHUNK_SAMPLES, each frame to the registers. */
static int
feed_all(const float *x, size_t n, unsigned chans, struct full_result *r)
{
    for (size_t off = 0; off < n;) {
        size_t len = n - off < CHUNK_SAMPLES ? n - off : CHUNK_SAMPLES;
        size_t done = 0;
        while (done < len) {
            size_t used = 0;
            struct mtr_metro_frame fr;
            enum mtr_err e =
                mtr_metro_feed(&g_metro, x + (off + done) * chans, len - done, &used, &fr);
            done += used;
            if (e == MTR_OK) {
                if (mtr_reg_apply_frame(&g_regs, &fr) != MTR_OK) {
                    return -1;
                }
                r->frames++;
                r->e_p_Wh += fr.total.e_p_Wh;
            }
        }
        off += len;
    }
    struct mtr_metro_frame fr;
    if (mtr_metro_flush(&g_metro, &fr) == MTR_OK) {
        if (mtr_reg_apply_frame(&g_regs, &fr) != MTR_OK) {
            return -1;
        }
        r->frames++;
        r->e_p_Wh += fr.total.e_p_Wh;
    }
    return 0;
}

static int
run_full(const struct mtr_metro_config *cfg,
         const float *x,
         size_t n,
         double *t_s,
         struct full_result *r)
{
    if (mtr_metro_init(&g_metro, cfg) != MTR_OK) {
        return -1;
    }
    mtr_reg_init(&g_regs);
    memset(r, 0, sizeof(*r));
    double t0 = now_s();
    int rc = feed_all(x, n, CHANS, r);
    *t_s = now_s() - t0;
    return rc;
}

/* ---- irreducible kernel ------------------------------------------------- */

struct kernel_sums {
    double uu[3], ii[3], ui[3];
};

/*
 * Per-phase sums of u^2, i^2, u*i over an interleaved 6-channel buffer.
 * The buffer is read as flat blocks of K_LANES samples (48 floats): lane j of sq
 * accumulates x[j]^2 and lane j of pr accumulates x[j] * x[j + 3], so channel c
 * owns the 8 lanes j = 6t + c of sq, and phase p the 8 lanes j = 6t + p of pr
 * (the other pr lanes are I*U of the next phase, computed because contiguous
 * multiply-adds vectorise and a de-interleave does not; they are dropped).
 * Lanes are float and are flushed into double every K_BLOCK samples, like the
 * engine's sums (metro_frame.c).
 */
static void
kernel(const float *restrict x, size_t n, struct kernel_sums *out)
{
    enum {
        W = K_LANES * CHANS
    };
    memset(out, 0, sizeof(*out));
    size_t s = 0;
    /* pr reads 3 floats past the block: stop full blocks one sample early */
    size_t n_blk = n > 0 ? ((n - 1u) / K_LANES) * K_LANES : 0;
    while (s < n_blk) {
        size_t end = n_blk - s > K_BLOCK ? s + K_BLOCK : n_blk;
        float sq[W] = {0};
        float pr[W] = {0};
        for (; s < end; s += K_LANES) {
            const float *restrict b = x + s * CHANS;
            for (unsigned j = 0; j < W; j++) {
                sq[j] += b[j] * b[j];
            }
            for (unsigned j = 0; j < W; j++) {
                pr[j] += b[j] * b[j + 3u];
            }
        }
        for (unsigned j = 0; j < W; j++) {
            unsigned c = j % CHANS;
            if (c < 3u) {
                out->uu[c] += (double)sq[j];
                out->ui[c] += (double)pr[j];
            } else {
                out->ii[c - 3u] += (double)sq[j];
            }
        }
    }
    for (; s < n; s++) {
        const float *b = x + s * CHANS;
        for (unsigned p = 0; p < 3u; p++) {
            out->uu[p] += (double)(b[p] * b[p]);
            out->ii[p] += (double)(b[p + 3u] * b[p + 3u]);
            out->ui[p] += (double)(b[p] * b[p + 3u]);
        }
    }
}

/* ---- synthetic cases ---------------------------------------------------- */

struct case_def {
    const char *name;
    double fs_Hz;
    uint16_t f_nom_Hz;
};

struct case_result {
    struct stat2 full;
    struct stat2 kern;
    double ch_samples;
};

static void
print_rate_line(const char *what, double ch_samples, struct stat2 t)
{
    printf("  %-8s best %8.3f ms  median %8.3f ms   best %9.3e ch-samples/s  median %9.3e\n", what,
           t.best_s * 1e3, t.median_s * 1e3, ch_samples / t.best_s, ch_samples / t.median_s);
}

static int
run_case(const struct case_def *c, double dur_s, unsigned repeat, struct case_result *res)
{
    size_t n = 0;
    float *x = make_signal(c->fs_Hz, c->f_nom_Hz, dur_s, &n);
    if (x == NULL) {
        fprintf(stderr, "bench: out of memory for %s\n", c->name);
        return -1;
    }
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    cfg.fs_Hz = c->fs_Hz;
    cfg.f_nom_Hz = c->f_nom_Hz;
    cfg.net = MTR_METRO_NET_3P4W;

    double t_full[MAX_REPEAT];
    double t_kern[MAX_REPEAT];
    struct full_result fr = {0};
    struct kernel_sums ks;
    double t = 0.0;
    /* warm-up: page in the buffer, the engine state and the code */
    if (run_full(&cfg, x, n, &t, &fr) != 0) {
        fprintf(stderr, "bench: engine failed on %s\n", c->name);
        free(x);
        return -1;
    }
    kernel(x, n, &ks);
    /* interleave the repeats so both see the same machine state */
    for (unsigned r = 0; r < repeat; r++) {
        if (run_full(&cfg, x, n, &t_full[r], &fr) != 0) {
            free(x);
            return -1;
        }
        double t0 = now_s();
        kernel(x, n, &ks);
        t_kern[r] = now_s() - t0;
    }
    res->full = stats(t_full, repeat);
    res->kern = stats(t_kern, repeat);
    res->ch_samples = (double)n * CHANS;

    /* cross-check: the engine's energy against the kernel's mean u*i (they differ by
     * the frame-by-frame DC removal and the I offset only) */
    double p_kernel_W = (ks.ui[0] + ks.ui[1] + ks.ui[2]) / (double)n;
    double p_engine_W = fr.e_p_Wh * 3600.0 / ((double)n / c->fs_Hz);
    printf("%s: %.0f s of signal, %zu samples x %u channels, %llu frames\n", c->name, dur_s, n,
           CHANS, (unsigned long long)fr.frames);
    printf("  check: mean P engine %.1f W, kernel %.1f W; U1 rms kernel %.2f V\n", p_engine_W,
           p_kernel_W, sqrt(ks.uu[0] / (double)n));
    print_rate_line("full", res->ch_samples, res->full);
    print_rate_line("kernel", res->ch_samples, res->kern);
    free(x);
    return 0;
}

/* ---- replay ------------------------------------------------------------- */

/* RMS of U1 over the first chunk, to set the engine's Udin as an operator would. */
static double
probe_u_rms(const struct mtrd_source_spec *spec)
{
    struct mtrd_source *src = NULL;
    char err[MTRD_SOURCE_ERR_CAP];
    if (mtrd_source_open(spec, &src, err, sizeof(err)) != MTR_OK) {
        return 0.0;
    }
    unsigned chans = 2u * src->info.phase_count;
    float *x = malloc((size_t)CHUNK_SAMPLES * chans * sizeof(float));
    size_t got = 0;
    double acc = 0.0;
    if (x != NULL && mtrd_source_read(src, x, CHUNK_SAMPLES, &got) == MTR_OK) {
        for (size_t s = 0; s < got; s++) {
            acc += (double)x[s * chans] * (double)x[s * chans];
        }
    }
    free(x);
    mtrd_source_close(src);
    return got > 0 ? sqrt(acc / (double)got) : 0.0;
}

struct replay_run {
    double wall_s;
    double read_s;
    double signal_s;
    uint64_t frames;
};

/* Open, read in chunks, feed, apply, flush, close: the daemon's path without NV or Modbus. */
static int
replay_once(const struct mtrd_source_spec *spec, float u_nom_V, struct replay_run *out)
{
    char err[MTRD_SOURCE_ERR_CAP] = "";
    struct mtrd_source *src = NULL;
    double t0 = now_s();
    enum mtr_err e = mtrd_source_open(spec, &src, err, sizeof(err));
    if (e != MTR_OK) {
        printf("  cannot open %s: %s (%s)\n", spec->path, err, mtr_strerror(e));
        return -1;
    }
    double read_s = now_s() - t0;
    struct mtr_metro_config cfg;
    mtr_metro_config_default(&cfg);
    cfg.fs_Hz = src->info.fs_Hz;
    cfg.f_nom_Hz = src->info.f_nom_Hz == 60 ? 60 : 50;
    cfg.net = src->info.phase_count == 3 ? MTR_METRO_NET_3P4W : MTR_METRO_NET_1P2W;
    cfg.u_nom_V = u_nom_V;
    unsigned chans = 2u * src->info.phase_count;
    float *x = malloc((size_t)CHUNK_SAMPLES * chans * sizeof(float));
    int rc = -1;
    uint64_t samples = 0;
    struct full_result fr = {0};
    if (x == NULL || mtr_metro_init(&g_metro, &cfg) != MTR_OK) {
        printf("  cannot set up the engine for %s\n", spec->path);
        goto out;
    }
    mtr_reg_init(&g_regs);
    for (;;) {
        size_t got = 0;
        double tr = now_s();
        e = mtrd_source_read(src, x, CHUNK_SAMPLES, &got);
        read_s += now_s() - tr;
        if (e == MTR_EOF) {
            break;
        }
        if (e != MTR_OK) {
            printf("  read error: %s (%s)\n", src->err, mtr_strerror(e));
            goto out;
        }
        samples += got;
        struct full_result part = {0};
        /* feed_all also flushes: feed the chunk by hand instead */
        for (size_t done = 0; done < got;) {
            size_t used = 0;
            struct mtr_metro_frame f;
            e = mtr_metro_feed(&g_metro, x + done * chans, got - done, &used, &f);
            done += used;
            if (e == MTR_OK) {
                if (mtr_reg_apply_frame(&g_regs, &f) != MTR_OK) {
                    goto out;
                }
                part.frames++;
            }
        }
        fr.frames += part.frames;
    }
    struct mtr_metro_frame f;
    if (mtr_metro_flush(&g_metro, &f) == MTR_OK && mtr_reg_apply_frame(&g_regs, &f) == MTR_OK) {
        fr.frames++;
    }
    rc = 0;
out:
    free(x);
    double tc = now_s();
    double fs = src->info.fs_Hz;
    mtrd_source_close(src);
    read_s += now_s() - tc;
    out->wall_s = now_s() - t0;
    out->read_s = read_s;
    out->signal_s = (double)samples / fs;
    out->frames = fr.frames;
    return rc;
}

static void
replay(const char *label, const struct mtrd_source_spec *spec, unsigned repeat)
{
    if (access(spec->path, R_OK) != 0) {
        printf("%s: skipped, %s is missing\n", label, spec->path);
        return;
    }
    double u_nom_V = probe_u_rms(spec);
    if (u_nom_V < 1.0) {
        u_nom_V = 230.0;
    }
    struct replay_run run;
    if (replay_once(spec, (float)u_nom_V, &run) != 0) { /* warm-up (page cache) */
        printf("%s: skipped, the reader failed (is it finished?)\n", label);
        return;
    }
    double t_wall[MAX_REPEAT];
    double t_read[MAX_REPEAT];
    for (unsigned r = 0; r < repeat; r++) {
        if (replay_once(spec, (float)u_nom_V, &run) != 0) {
            return;
        }
        t_wall[r] = run.wall_s;
        t_read[r] = run.read_s;
    }
    struct stat2 w = stats(t_wall, repeat);
    struct stat2 rd = stats(t_read, repeat);
    printf("%s: %.2f s of signal, %llu frames, Udin set to %.0f V\n", label, run.signal_s,
           (unsigned long long)run.frames, u_nom_V);
    printf("  wall best %8.3f ms  median %8.3f ms   x real time: best %8.0f  median %8.0f"
           "   (reader %.0f %% of median)\n",
           w.best_s * 1e3, w.median_s * 1e3, run.signal_s / w.best_s, run.signal_s / w.median_s,
           100.0 * rd.median_s / w.median_s);
}

/* ---- main --------------------------------------------------------------- */

static void
usage(void)
{
    fprintf(stderr,
            "usage: bench_metrology [--seconds S] [--repeat N (5..%u)] [--mat PATH]"
            " [--comtrade PATH.cfg] [--case 1|2|3]\n",
            MAX_REPEAT);
}

int
main(int argc, char **argv)
{
    double dur_s = 60.0;
    unsigned repeat = 7;
    const char *mat_path = DROUAZ_MAT;
    const char *cfg_path = PYCOMTRADE_CFG;
    unsigned only_case = 0; /* 1-based; 0: all cases and the replays */
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
            dur_s = atof(argv[++a]);
        } else if (strcmp(argv[a], "--repeat") == 0 && a + 1 < argc) {
            repeat = (unsigned)atoi(argv[++a]);
        } else if (strcmp(argv[a], "--mat") == 0 && a + 1 < argc) {
            mat_path = argv[++a];
        } else if (strcmp(argv[a], "--comtrade") == 0 && a + 1 < argc) {
            cfg_path = argv[++a];
        } else if (strcmp(argv[a], "--case") == 0 && a + 1 < argc) {
            only_case = (unsigned)atoi(argv[++a]);
        } else {
            usage();
            return 0; /* a benchmark: never fail the caller */
        }
    }
    if (repeat < 5u) {
        repeat = 5u;
    }
    if (repeat > MAX_REPEAT) {
        repeat = MAX_REPEAT;
    }
    if (!(dur_s >= 1.0 && dur_s <= 3600.0)) {
        dur_s = 60.0;
    }

    printf("meterd metrology benchmark: one core, warm-up then %u runs, best and median\n", repeat);
    static const struct case_def cases[] = {
        {"3P4W 8 kHz 50 Hz",  8000.0,  50},
        {"3P4W 8 kHz 60 Hz",  8000.0,  60},
        {"3P4W 20 kHz 50 Hz", 20000.0, 50},
    };
    enum {
        NCASES = sizeof(cases) / sizeof(cases[0])
    };
    struct case_result res[NCASES];
    bool is_ok[NCASES];
    for (unsigned c = 0; c < NCASES; c++) {
        is_ok[c] = (only_case == 0 || only_case == c + 1u) &&
                   run_case(&cases[c], dur_s, repeat, &res[c]) == 0;
    }

    printf("\nsummary (best of %u; targets: full >= %.1e ch-samples/s and >= %.0f %% of kernel)\n",
           repeat, TARGET_FULL_CHS_PER_s, 100.0 * TARGET_FULL_OF_KERNEL);
    for (unsigned c = 0; c < NCASES; c++) {
        if (!is_ok[c]) {
            printf("  %-18s %s\n", cases[c].name,
                   only_case == 0 || only_case == c + 1u ? "failed" : "not run");
            continue;
        }
        double full = res[c].ch_samples / res[c].full.best_s;
        double kern = res[c].ch_samples / res[c].kern.best_s;
        double ratio = full / kern;
        /* meters of 6 channels at this case's own rate */
        double meters = full / (CHANS * cases[c].fs_Hz);
        printf("  %-18s full %9.3e ch-samples/s (%6.0f meters)  %-12s  kernel %9.3e  "
               "full/kernel %5.1f %%  %s\n",
               cases[c].name, full, meters, full >= TARGET_FULL_CHS_PER_s ? "PASS" : "BELOW TARGET",
               kern, 100.0 * ratio, ratio >= TARGET_FULL_OF_KERNEL ? "PASS" : "BELOW TARGET");
    }

    if (only_case != 0) {
        return 0;
    }
    printf("\nreplay through source + engine + registers (no NV, no Modbus)\n");
    struct mtrd_source_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.type = MTRD_SOURCE_MAT;
    spec.path = mat_path;
    replay("Drouaz refrigerator .mat (1P2W 20 kHz)", &spec, repeat);

    memset(&spec, 0, sizeof(spec));
    spec.type = MTRD_SOURCE_COMTRADE;
    spec.path = cfg_path;
    spec.phase_count = 3;
    static const char *const u_names[3] = {"VA_G1", "VB_G1", "VC_G1"};
    static const char *const i_names[3] = {"IA_G1", "IB_G1", "IC_G1"};
    for (unsigned p = 0; p < 3; p++) {
        snprintf(spec.u_name[p], sizeof(spec.u_name[p]), "%s", u_names[p]);
        snprintf(spec.i_name[p], sizeof(spec.i_name[p]), "%s", i_names[p]);
    }
    replay("pycomtrade test3 COMTRADE (3P4W, G1)", &spec, repeat);
    return 0;
}
