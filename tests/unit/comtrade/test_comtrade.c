/*
 * Unit tests of the COMTRADE source (src/daemon/sources/source_comtrade.c).
 *
 * Real recordings are read in place from <shared>/waveforms (argv[1]); the
 * expected RMS and P = mean(v*i) come from each recording's SOURCE.md tables
 * (kV there, V here). Synthetic vectors (argv[2], written by
 * tools/gen_comtrade_vectors.py) are pure sines over whole cycles, so their
 * expected values are closed forms: Urms = Upk/sqrt(2), P = Urms*Irms*cos(phi).
 * Bad input is built in a temporary directory from the vectors.
 *
 * Usage: test_comtrade <shared-data>/waveforms <repo>/tests/vectors/comtrade
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sources/comtrade_int.h"

static const char *g_wave_dir;
static const char *g_vec_dir;
static char g_tmp_dir[256];

/** Samples per read() call: prime, so chunk edges fall everywhere. */
#define READ_CHUNK 97u

/* ------------------------------------------------------------------------- */
/* Helpers                                                                   */

static void
path_join(char *out, size_t cap, const char *dir, const char *file)
{
    int n = snprintf(out, cap, "%s/%s", dir, file);

    assert_true(n > 0 && (size_t)n < cap);
}

struct stats {
    uint64_t n;
    double sum_sq[2 * MTRD_SOURCE_MAX_PHASES];
    double sum_p[MTRD_SOURCE_MAX_PHASES];
};

/** Read everything; accumulate samples from..to (inclusive, 0-based). */
static enum mtr_err
read_window(struct mtrd_source *src, uint64_t from, uint64_t to, struct stats *st)
{
    uint8_t np = src->info.phase_count;
    size_t stride = 2u * np;
    float *x = malloc(READ_CHUNK * stride * sizeof(float));
    uint64_t index = 0;
    enum mtr_err rc;
    size_t got;

    assert_non_null(x);
    memset(st, 0, sizeof(*st));
    while ((rc = src->ops->read(src, x, READ_CHUNK, &got)) == MTR_OK) {
        for (size_t k = 0; k < got; k++, index++) {
            const float *s = x + k * stride;
            if (index < from || index > to) {
                continue;
            }
            for (size_t c = 0; c < stride; c++) {
                st->sum_sq[c] += (double)s[c] * (double)s[c];
            }
            for (uint8_t p = 0; p < np; p++) {
                st->sum_p[p] += (double)s[p] * (double)s[np + p];
            }
            st->n++;
        }
    }
    free(x);
    return rc;
}

static void
check_rel(const char *row, const char *what, double got, double want, double tol_pct)
{
    double err_pct = fabs(got - want) / fabs(want) * 100.0;

    if (!(err_pct <= tol_pct)) {
        fail_msg("%s: %s = %.6g, want %.6g (+-%.3g %%, off by %.4f %%)", row, what, got, want,
                 tol_pct, err_pct);
    }
}

/* ------------------------------------------------------------------------- */
/* Real recordings against SOURCE.md                                         */

struct real_row {
    const char *name;
    const char *cfg;      /**< relative to the waveforms directory */
    const char *u_map[3]; /**< explicit mapping, or NULL: automatic */
    const char *i_map[3];
    bool is_secondary;
    uint8_t phase_count_spec; /**< spec.phase_count */
    const char *want_u[3];    /**< channels chosen */
    const char *want_i[3];
    uint64_t from, to; /**< window, samples */
    double u_V[3], i_A[3], p_W[3];
    double fs_Hz;
    uint16_t lf_Hz;
    uint64_t n;
    int64_t t0_us;
};

#define T2    "pycomtrade-generator-plant-records/test2.cfg"
#define T3    "pycomtrade-generator-plant-records/test3.cfg"
#define C1    "comtradehandler-ret670-transformer-60hz/Comtrade1.cfg"
/* t0: `date -u -d "2007-01-01 12:22:50" +%s` = 1167654170, + .407500 s */
#define T2_T0 1167654170407500LL
/* 2007-06-25 19:13:57 = 1182798837, + .789757 s */
#define T3_T0 1182798837789757LL
/* 27/07/2023 09:19:53.156666511 at time code +9 = 2023-07-27 00:19:53 UTC = 1690417193, .156667 */
#define C1_T0 1690417193156667LL
/* test3 VT 6/0.1 and CT 2500/5: secondary = primary * ratio */
#define T3_VT (0.1 / 6.0)
#define T3_CT (5.0 / 2500.0)

static const struct real_row real_rows[] = {
    {.name = "test2 auto, pre-fault 0-1151",
     .cfg = T2,
     .want_u = {"VA_GC1", "VB_GC1", "VC_GC1"},
     .want_i = {"IA_GC1", "IB_GC1", "IC_GC1"},
     .from = 0,
     .to = 1151,
     .u_V = {7565.72, 7579.76, 7476.51},
     .i_A = {530.643, 531.359, 554.879},
     .p_W = {3699.2e3, 3631.11e3, 3812.65e3},
     .fs_Hz = 5760,
     .lf_Hz = 60,
     .n = 13248,
     .t0_us = T2_T0                          },
    {.name = "test2 auto, whole record",
     .cfg = T2,
     .want_u = {"VA_GC1", "VB_GC1", "VC_GC1"},
     .want_i = {"IA_GC1", "IB_GC1", "IC_GC1"},
     .from = 0,
     .to = 13247,
     .u_V = {7517.98, 7562.1, 7457.91},
     .i_A = {579.177, 545.277, 552.61},
     .p_W = {3594.9e3, 3326.35e3, 3728.42e3},
     .fs_Hz = 5760,
     .lf_Hz = 60,
     .n = 13248,
     .t0_us = T2_T0                          },
    {.name = "test3 auto (G1), pre-trigger 0-1727",
     .cfg = T3,
     .want_u = {"VA_G1", "VB_G1", "VC_G1"},
     .want_i = {"IA_G1", "IB_G1", "IC_G1"},
     .from = 0,
     .to = 1727,
     .u_V = {3483.33, 3483.41, 3483.21},
     .i_A = {1348.55, 1361.9, 1364.51},
     .p_W = {4467e3, 4466.2e3, 4452.46e3},
     .fs_Hz = 5760,
     .lf_Hz = 50,
     .n = 24768,
     .t0_us = T3_T0                          },
    {.name = "test3 auto (G1), whole record",
     .cfg = T3,
     .want_u = {"VA_G1", "VB_G1", "VC_G1"},
     .want_i = {"IA_G1", "IB_G1", "IC_G1"},
     .from = 0,
     .to = 24767,
     .u_V = {3476.18, 3476.29, 3476.21},
     .i_A = {1375.23, 1388.72, 1391.06},
     .p_W = {4466.88e3, 4458.77e3, 4441.53e3},
     .fs_Hz = 5760,
     .lf_Hz = 50,
     .n = 24768,
     .t0_us = T3_T0                          },
    {.name = "test3 by name (69 kV bus x TF7), pre-trigger",
     .cfg = T3,
     .u_map = {"VA_B69", "vb_b69", "VC_B69"},
     .i_map = {"IA_TF7", "IB_TF7", "ic_tf7"},
     .want_u = {"VA_B69", "VB_B69", "VC_B69"},
     .want_i = {"IA_TF7", "IB_TF7", "IC_TF7"},
     .from = 0,
     .to = 1727,
     .u_V = {40457.4, 40465.4, 40442.5},
     .i_A = {257.204, 259.905, 255.963},
     .p_W = {3634.8e3, 3783.92e3, 3331.39e3},
     .fs_Hz = 5760,
     .lf_Hz = 50,
     .n = 24768,
     .t0_us = T3_T0},
    {.name = "test3 G1 secondary values, pre-trigger",
     .cfg = T3,
     .is_secondary = true,
     .want_u = {"VA_G1", "VB_G1", "VC_G1"},
     .want_i = {"IA_G1", "IB_G1", "IC_G1"},
     .from = 0,
     .to = 1727,
     .u_V = {3483.33 * T3_VT, 3483.41 * T3_VT, 3483.21 * T3_VT},
     .i_A = {1348.55 * T3_CT, 1361.9 * T3_CT, 1364.51 * T3_CT},
     .p_W = {4467e3 * T3_VT * T3_CT, 4466.2e3 * T3_VT *T3_CT, 4452.46e3 * T3_VT *T3_CT},
     .fs_Hz = 5760,
     .lf_Hz = 50,
     .n = 24768,
     .t0_us = T3_T0},
    {.name = "test3 one phase",
     .cfg = T3,
     .phase_count_spec = 1,
     .want_u = {"VA_G1"},
     .want_i = {"IA_G1"},
     .from = 0,
     .to = 1727,
     .u_V = {3483.33},
     .i_A = {1348.55},
     .p_W = {4467e3},
     .fs_Hz = 5760,
     .lf_Hz = 50,
     .n = 24768,
     .t0_us = T3_T0},
    {.name = "Comtrade1 auto (HV bus x HV), pre-event 0-599",
     .cfg = C1,
     .want_u = {"HV Bus VR", "HV Bus VS", "HV Bus VT"},
     .want_i = {"HV IR", "HV IS", "HV IT"},
     .from = 0,
     .to = 599,
     .u_V = {130364, 130711, 130397},
     .i_A = {172.53, 170.102, 163.836},
     .p_W = {2.09604e7, 2.04171e7, 1.96609e7},
     .fs_Hz = 1200,
     .lf_Hz = 60,
     .n = 7200,
     .t0_us = C1_T0},
    {.name = "Comtrade1 auto, whole record",
     .cfg = C1,
     .want_u = {"HV Bus VR", "HV Bus VS", "HV Bus VT"},
     .want_i = {"HV IR", "HV IS", "HV IT"},
     .from = 0,
     .to = 7199,
     .u_V = {130621, 130950, 130593},
     .i_A = {74.588, 73.22, 71.0152},
     .p_W = {3.63971e6, 3.52495e6, 3.43364e6},
     .fs_Hz = 1200,
     .lf_Hz = 60,
     .n = 7200,
     .t0_us = C1_T0},
};

/** Tolerances of the brief: RMS 0.01 %, P 0.05 % (the references have 5-6 digits). */
#define RMS_TOL_PCT 0.01
#define P_TOL_PCT   0.05

static void
check_row_result(const char *row,
                 struct mtrd_source *src,
                 uint8_t np,
                 const char *const *want_u,
                 const char *const *want_i,
                 uint64_t from,
                 uint64_t to,
                 const double *u_V,
                 const double *i_A,
                 const double *p_W)
{
    struct stats st;
    enum mtr_err rc;

    if (src->info.phase_count != np) {
        fail_msg("%s: phase_count %u, want %u", row, src->info.phase_count, np);
    }
    for (uint8_t p = 0; p < np; p++) {
        if (strcmp(src->info.u_name[p], want_u[p]) != 0 ||
            strcmp(src->info.i_name[p], want_i[p]) != 0) {
            fail_msg("%s: phase %u mapped to %s/%s, want %s/%s", row, p + 1u, src->info.u_name[p],
                     src->info.i_name[p], want_u[p], want_i[p]);
        }
    }
    rc = read_window(src, from, to, &st);
    if (rc != MTR_EOF) {
        fail_msg("%s: read ended with %d (%s)", row, rc, src->err);
    }
    assert_int_equal(st.n, to - from + 1u);
    for (uint8_t p = 0; p < np; p++) {
        char what[64];
        (void)snprintf(what, sizeof(what), "Urms L%u (V)", p + 1u);
        check_rel(row, what, sqrt(st.sum_sq[p] / (double)st.n), u_V[p], RMS_TOL_PCT);
        (void)snprintf(what, sizeof(what), "Irms L%u (A)", p + 1u);
        check_rel(row, what, sqrt(st.sum_sq[np + p] / (double)st.n), i_A[p], RMS_TOL_PCT);
        (void)snprintf(what, sizeof(what), "P L%u (W)", p + 1u);
        check_rel(row, what, st.sum_p[p] / (double)st.n, p_W[p], P_TOL_PCT);
    }
}

static void
test_real_recordings(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(real_rows); r++) {
        const struct real_row *row = &real_rows[r];
        struct mtrd_source_spec spec;
        struct mtrd_source *src = NULL;
        char path[1024];
        char err[MTRD_SOURCE_ERR_CAP] = "";
        uint8_t np = row->phase_count_spec != 0 ? row->phase_count_spec : 3;
        enum mtr_err rc;

        memset(&spec, 0, sizeof(spec));
        path_join(path, sizeof(path), g_wave_dir, row->cfg);
        spec.type = MTRD_SOURCE_COMTRADE;
        spec.path = path;
        spec.phase_count = row->phase_count_spec;
        spec.is_secondary = row->is_secondary;
        for (int p = 0; p < 3; p++) {
            if (row->u_map[p] != NULL) {
                (void)snprintf(spec.u_name[p], sizeof(spec.u_name[p]), "%s", row->u_map[p]);
                (void)snprintf(spec.i_name[p], sizeof(spec.i_name[p]), "%s", row->i_map[p]);
            }
        }
        rc = mtrd_comtrade_open(&spec, &src, err, sizeof(err));
        if (rc != MTR_OK) {
            fail_msg("%s: open: %d %s", row->name, rc, err);
        }
        if (src->info.fs_Hz != row->fs_Hz || src->info.f_nom_Hz != row->lf_Hz ||
            src->info.sample_count != row->n || src->info.t0_us != row->t0_us) {
            fail_msg("%s: fs %.9g lf %u n %llu t0 %lld, want %.9g %u %llu %lld", row->name,
                     src->info.fs_Hz, src->info.f_nom_Hz,
                     (unsigned long long)src->info.sample_count, (long long)src->info.t0_us,
                     row->fs_Hz, row->lf_Hz, (unsigned long long)row->n, (long long)row->t0_us);
        }
        assert_non_null(strstr(src->info.desc, "COMTRADE"));
        check_row_result(row->name, src, np, row->want_u, row->want_i, row->from, row->to, row->u_V,
                         row->i_A, row->p_W);
        src->ops->close(src);
    }
}

/* ------------------------------------------------------------------------- */
/* Synthetic vectors: closed forms                                           */

struct synth_row {
    const char *name;
    const char *cfg;
    bool is_secondary;
    uint8_t np;
    const char *want_u[3];
    const char *want_i[3];
    double u_V, i_A, p_W; /**< per phase, closed form */
    double fs_Hz;
    uint16_t lf_Hz;
    uint64_t n;
    int64_t t0_us;
};

#define SQRT3 1.7320508075688772
#define DEG   (3.14159265358979323846 / 180.0)

static const struct synth_row synth_rows[] = {
  /* 230 V in kV counts, 10 A lagging 30 deg; 05/03/2024 12:00:00 = 1709640000 s */
    {"ASCII 1999 (kV, ph A/B/C)",
     "ascii_1999.cfg",    false,
     3, {"VA_FDR", "VB_FDR", "VC_FDR"},
     {"IA_FDR", "IB_FDR", "IC_FDR"},
     230.0,                 10.0,
     2300.0 * 0.86602540378443865,
     1000, 50,
     200, 1709640000000000LL},
 /* secondary 100/sqrt3 V and 4 A (in mA), VT 20000/100, CT 600/5, delivered primary.
  Start 01/02/2024 00:00:00.5 at time code -5h30 = 05:30:00.5 UTC = 1706765400.5 s */
    {"BINARY32 2013 stored secondary, delivered primary",
     "binary32_2013.cfg", false,
     3, {"Bus UR", "Bus US", "Bus UT"},
     {"Line IR", "Line IS", "Line IT"},
     100.0 / SQRT3 * 200.0,
     4.0 * 120.0,
     100.0 / SQRT3 * 200.0 * 480.0,
     4000, 60,
     400, 1706765400500000LL},
    {"BINARY32 2013 stored secondary, delivered secondary",
     "binary32_2013.cfg", true,
     3, {"Bus UR", "Bus US", "Bus UT"},
     {"Line IR", "Line IS", "Line IT"},
     100.0 / SQRT3,
     4.0,                         400.0 / SQRT3,
     4000, 60,
     400, 1706765400500000LL},
 /* nrates = 0: 800 samples, timestamps step 25 x timemult 10 us -> 4000 Hz.
  29/02/2024 23:59:59.999999 = 1709251199 s + 999999 us */
    {"BINARY 1999 nrates=0 timemult 10",
     "nrates0.cfg",       false,
     1, {"U1"},
     {"I1"},
     230.0,                 5.0,
     230.0 * 5.0 * 0.5,
     4000, 50,
     800, 1709251199999999LL},
 /* 11 kV/sqrt3 in kV, 200 A in kA leading 20 deg; 1991 mm/dd/yy 03/05/94 08:30 = 762856200 s;
  data file named v1991.Dat */
    {"1991 ASCII (R/S/T by name, kV/kA)",
     "v1991.cfg",         false,
     3, {"VR_BUS", "VS_BUS", "VT_BUS"},
     {"IR_BUS", "IS_BUS", "IT_BUS"},
     11000.0 / SQRT3,
     200.0,                       11000.0 / SQRT3 * 200.0 * 0.93969262078590838,
     2000, 50,
     400, 762856200000000LL },
};

static void
test_synthetic_vectors(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(synth_rows); r++) {
        const struct synth_row *row = &synth_rows[r];
        struct mtrd_source_spec spec;
        struct mtrd_source *src = NULL;
        char path[1024];
        char err[MTRD_SOURCE_ERR_CAP] = "";
        double u[3] = {row->u_V, row->u_V, row->u_V};
        double i[3] = {row->i_A, row->i_A, row->i_A};
        double p[3] = {row->p_W, row->p_W, row->p_W};
        enum mtr_err rc;

        memset(&spec, 0, sizeof(spec));
        path_join(path, sizeof(path), g_vec_dir, row->cfg);
        spec.path = path;
        spec.is_secondary = row->is_secondary;
        rc = mtrd_comtrade_open(&spec, &src, err, sizeof(err));
        if (rc != MTR_OK) {
            fail_msg("%s: open: %d %s", row->name, rc, err);
        }
        if (fabs(src->info.fs_Hz - row->fs_Hz) > 1e-9 * row->fs_Hz ||
            src->info.f_nom_Hz != row->lf_Hz || src->info.sample_count != row->n ||
            src->info.t0_us != row->t0_us) {
            fail_msg("%s: fs %.12g lf %u n %llu t0 %lld, want %.12g %u %llu %lld", row->name,
                     src->info.fs_Hz, src->info.f_nom_Hz,
                     (unsigned long long)src->info.sample_count, (long long)src->info.t0_us,
                     row->fs_Hz, row->lf_Hz, (unsigned long long)row->n, (long long)row->t0_us);
        }
        check_row_result(row->name, src, row->np, row->want_u, row->want_i, 0, row->n - 1u, u, i,
                         p);
        src->ops->close(src);
    }
}

static void
test_fs_override(void **state)
{
    struct mtrd_source_spec spec;
    struct mtrd_source *src = NULL;
    char path[1024];
    char err[MTRD_SOURCE_ERR_CAP] = "";

    (void)state;
    memset(&spec, 0, sizeof(spec));
    path_join(path, sizeof(path), g_vec_dir, "nrates0.cfg");
    spec.path = path;
    spec.fs_Hz = 4096.0;
    assert_int_equal(mtrd_comtrade_open(&spec, &src, err, sizeof(err)), MTR_OK);
    assert_true(src->info.fs_Hz == 4096.0);
    src->ops->close(src);
}

/* ------------------------------------------------------------------------- */
/* Parser                                                                    */

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1u);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    (void)fclose(f);
    *len = (size_t)n;
    return buf;
}

static void
parse_file(const char *dir, const char *file, struct mtrd_comtrade_cfg *cfg)
{
    char path[1024];
    char err[256] = "";
    size_t len;
    char *text;
    enum mtr_err rc;

    path_join(path, sizeof(path), dir, file);
    text = slurp(path, &len);
    rc = mtrd_comtrade_parse_cfg(text, len, file, cfg, err, sizeof(err));
    free(text);
    if (rc != MTR_OK) {
        fail_msg("%s: parse %d %s", file, rc, err);
    }
}

static void
test_parse_fields(void **state)
{
    struct mtrd_comtrade_cfg cfg;

    (void)state;
    parse_file(g_vec_dir, "binary32_2013.cfg", &cfg);
    assert_int_equal(cfg.rev_year, 2013);
    assert_int_equal(cfg.ft, MTRD_COMTRADE_BINARY32);
    assert_int_equal(cfg.rate_count, 2);
    assert_true(cfg.rates[1].samp_Hz == 4000.0 && cfg.rates[0].endsamp == 200 &&
                cfg.rates[1].endsamp == 400);
    assert_true(cfg.has_time_code && cfg.is_time_code_known);
    assert_int_equal(cfg.time_code_min, -330);
    assert_int_equal(cfg.local_code_min, 60);
    assert_true(cfg.has_tmq);
    assert_int_equal(cfg.tmq_code, 10);
    assert_string_equal(cfg.analog[3].unit, "mA");
    assert_int_equal(cfg.analog[3].ps, 'S');
    assert_true(cfg.analog[3].primary == 600.0 && cfg.analog[3].secondary == 5.0);
    assert_int_equal(mtrd_comtrade_record_len(&cfg), 8u + 6u * 4u);
    mtrd_comtrade_cfg_free(&cfg);

    parse_file(g_vec_dir, "v1991.cfg", &cfg);
    assert_int_equal(cfg.rev_year, 1991);
    assert_string_equal(cfg.station, "OLD STATION");
    assert_int_equal(cfg.digital_count, 2);
    assert_string_equal(cfg.digital[1].id, "CB");
    assert_int_equal(cfg.digital[1].normal, 1);
    assert_false(cfg.analog[0].has_ratio);
    assert_int_equal(cfg.start.year, 1994);
    assert_int_equal(cfg.start.month, 3);
    assert_int_equal(cfg.start.day, 5);
    assert_int_equal(cfg.trigger.frac_ns, 100000000u);
    assert_true(cfg.timemult == 1.0);
    mtrd_comtrade_cfg_free(&cfg);

    parse_file(g_vec_dir, "multirate.cfg", &cfg);
    assert_int_equal(cfg.rate_count, 2);
    assert_true(cfg.rates[0].samp_Hz == 4000.0 && cfg.rates[1].samp_Hz == 1000.0);
    mtrd_comtrade_cfg_free(&cfg);

    parse_file(g_wave_dir, C1, &cfg);
    assert_int_equal(cfg.analog_count, 23);
    assert_int_equal(cfg.digital_count, 140);
    assert_int_equal(cfg.ft, MTRD_COMTRADE_FLOAT32);
    assert_int_equal(cfg.time_code_min, 540);
    assert_int_equal(cfg.start.frac_ns, 156666511u);
    assert_string_equal(cfg.analog[5].id, "HV Bus VR");
    assert_int_equal(mtrd_comtrade_record_len(&cfg), 118u); /* SOURCE.md */
    mtrd_comtrade_cfg_free(&cfg);

    parse_file(g_wave_dir, T3, &cfg);
    assert_int_equal(mtrd_comtrade_record_len(&cfg), 74u); /* SOURCE.md */
    assert_true(cfg.analog[3].a == 0.0006787328);
    mtrd_comtrade_cfg_free(&cfg);
}

static void
test_round_trip(void **state)
{
    static const struct {
        bool is_wave;
        const char *file;
    } files[] = {
        {true,  T2                 },
        {true,  T3                 },
        {true,  C1                 },
        {false, "ascii_1999.cfg"   },
        {false, "v1991.cfg"        },
        {false, "nrates0.cfg"      },
        {false, "binary32_2013.cfg"},
        {false, "multirate.cfg"    },
    };

    (void)state;
    for (size_t k = 0; k < MTR_ARRAY_COUNT(files); k++) {
        struct mtrd_comtrade_cfg a;
        struct mtrd_comtrade_cfg b;
        size_t len = 0;
        size_t len2 = 0;
        char *out;
        char err[256] = "";

        parse_file(files[k].is_wave ? g_wave_dir : g_vec_dir, files[k].file, &a);
        assert_int_equal(mtrd_comtrade_write_cfg(&a, NULL, 0, &len), MTR_ENOSPC);
        out = malloc(len + 1u);
        assert_non_null(out);
        assert_int_equal(mtrd_comtrade_write_cfg(&a, out, len, &len2), MTR_ENOSPC);
        assert_int_equal(mtrd_comtrade_write_cfg(&a, out, len + 1u, &len2), MTR_OK);
        assert_int_equal(len, len2);
        if (mtrd_comtrade_parse_cfg(out, len, "rewritten", &b, err, sizeof(err)) != MTR_OK) {
            fail_msg("%s: reparse: %s\n%s", files[k].file, err, out);
        }
        if (!mtrd_comtrade_cfg_equal(&a, &b)) {
            fail_msg("%s: parse -> write -> parse differs", files[k].file);
        }
        mtrd_comtrade_cfg_free(&a);
        mtrd_comtrade_cfg_free(&b);
        free(out);
    }
}

struct list_ctx {
    unsigned lines;
    bool saw_bus_vr;
    bool saw_digital;
};

static void
list_cb(void *ctx, const char *line)
{
    struct list_ctx *c = ctx;

    c->lines++;
    if (strstr(line, "HV Bus VR") != NULL && strstr(line, "(voltage)") != NULL) {
        c->saw_bus_vr = true;
    }
    if (strstr(line, "QA1 Open") != NULL) {
        c->saw_digital = true;
    }
}

static void
test_list_channels(void **state)
{
    struct list_ctx c = {0};
    char path[1024];
    char err[256] = "";

    (void)state;
    path_join(path, sizeof(path), g_wave_dir, C1);
    assert_int_equal(mtrd_comtrade_list_channels(path, list_cb, &c, err, sizeof(err)), MTR_OK);
    assert_int_equal(c.lines, 1u + 23u + 140u);
    assert_true(c.saw_bus_vr);
    assert_true(c.saw_digital);
}

/* ------------------------------------------------------------------------- */
/* Bad input                                                                 */

/** Write `len` bytes of `data` to tmp/name. */
static void
put_file(const char *name, const char *data, size_t len)
{
    char path[1024];
    FILE *f;

    path_join(path, sizeof(path), g_tmp_dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/** Copy a vector into tmp/<to>, dropping `cut` bytes from the end. */
static void
copy_vector(const char *from, const char *to, size_t cut)
{
    char path[1024];
    size_t len;
    char *text;

    path_join(path, sizeof(path), g_vec_dir, from);
    text = slurp(path, &len);
    assert_true(cut <= len);
    put_file(to, text, len - cut);
    free(text);
}

/** Copy a cfg vector, replacing the first occurrence of `old` by `new_text`. */
static void
copy_cfg_edit(const char *from, const char *to, const char *old, const char *new_text)
{
    char path[1024];
    size_t len;
    char *text;
    char *hit;
    char *out;
    size_t head;

    path_join(path, sizeof(path), g_vec_dir, from);
    text = slurp(path, &len);
    hit = strstr(text, old);
    assert_non_null(hit);
    head = (size_t)(hit - text);
    out = malloc(len + strlen(new_text) + 1u);
    assert_non_null(out);
    memcpy(out, text, head);
    memcpy(out + head, new_text, strlen(new_text));
    memcpy(out + head + strlen(new_text), hit + strlen(old), len - head - strlen(old));
    put_file(to, out, len - strlen(old) + strlen(new_text));
    free(out);
    free(text);
}

static void
setup_truncated(void)
{
    copy_vector("nrates0.cfg", "trunc.cfg", 0);
    copy_vector("nrates0.dat", "trunc.dat", 3); /* 800 x 12 bytes - 3 */
}

static void
setup_short(void)
{
    copy_vector("nrates0.cfg", "short.cfg", 0);
    copy_vector("nrates0.dat", "short.dat", 12); /* one whole record less */
}

static void
setup_missing_dat(void)
{
    copy_vector("nrates0.cfg", "nodat.cfg", 0);
}

static void
setup_bad_counts(void)
{
    copy_cfg_edit("ascii_1999.cfg", "counts.cfg", "7,6A,1D", "7,6A,2D");
    copy_vector("ascii_1999.dat", "counts.dat", 0);
}

static void
setup_bad_number(void)
{
    /* line 5 is analog channel 3 (VC_FDR): a = 0.0001 becomes garbage */
    copy_cfg_edit("ascii_1999.cfg", "number.cfg", "3,VC_FDR,C,FEEDER 1,kV,0.0001",
                  "3,VC_FDR,C,FEEDER 1,kV,0.0x01");
    copy_vector("ascii_1999.dat", "number.dat", 0);
}

static void
setup_bad_ft(void)
{
    copy_cfg_edit("ascii_1999.cfg", "ft.cfg", "\nASCII\n", "\nEBCDIC\n");
    copy_vector("ascii_1999.dat", "ft.dat", 0);
}

static void
setup_cut_cfg(void)
{
    /* the file ends after the line frequency (line 10) */
    copy_cfg_edit("ascii_1999.cfg", "cut.cfg",
                  "1\n1000,200\n05/03/2024,12:00:00.000000\n05/03/2024,12:00:00.100000\nASCII\n1\n",
                  "");
    copy_vector("ascii_1999.dat", "cut.dat", 0);
}

static void
setup_ascii_field(void)
{
    char path[1024];
    size_t len;
    char *text;
    char *line5;

    copy_vector("ascii_1999.cfg", "field.cfg", 0);
    path_join(path, sizeof(path), g_vec_dir, "ascii_1999.dat");
    text = slurp(path, &len);
    /* drop the last field (",0" digital) of line 5 */
    line5 = text;
    for (int k = 0; k < 4; k++) {
        line5 = strchr(line5, '\n') + 1;
    }
    {
        char *nl = strchr(line5, '\n');
        memmove(nl - 2, nl, (size_t)(text + len - nl));
        len -= 2;
    }
    put_file("field.dat", text, len);
    free(text);
}

static void
setup_none(void)
{
}

struct bad_row {
    const char *name;
    void (*setup)(void);
    bool in_tmp; /**< cfg in the temporary directory, else a vector */
    const char *cfg;
    const char *u_name; /**< explicit phase-1 mapping */
    const char *i_name;
    bool at_read; /**< the error comes from read(), not open() */
    enum mtr_err rc;
    const char *msg[2]; /**< substrings of the message */
};

static const struct bad_row bad_rows[] = {
    {"truncated .dat",
     setup_truncated,   true,
     "trunc.cfg",         NULL,
     NULL,     false,
     MTR_EPROTO,  {"trunc.dat", "truncated last record at byte offset 9588"}},
    {"endsamp vs .dat length",
     setup_short,       true,
     "short.cfg",         NULL,
     NULL,     false,
     MTR_EPROTO,  {"short.cfg", "800 samples (endsamp) but"}                },
    {"missing .dat",
     setup_missing_dat, true,
     "nodat.cfg",         NULL,
     NULL,     false,
     MTR_ENOENT,  {"nodat.cfg", "nodat.dat"}                                },
    {"bad channel counts",
     setup_bad_counts,  true,
     "counts.cfg",        NULL,
     NULL,     false,
     MTR_EPROTO,  {"counts.cfg:2:", "total 7 is not 6A + 2D"}               },
    {"bad number at line 5",
     setup_bad_number,  true,
     "number.cfg",        NULL,
     NULL,     false,
     MTR_EPROTO,  {"number.cfg:5:", "VC_FDR"}                               },
    {"unknown file type",
     setup_bad_ft,      true,
     "ft.cfg",            NULL,
     NULL,     false,
     MTR_ENOTSUP, {"ft.cfg:", "EBCDIC"}                                     },
    {"cfg cut short",
     setup_cut_cfg,     true,
     "cut.cfg",           NULL,
     NULL,     false,
     MTR_EPROTO,  {"cut.cfg:11:", "unexpected end of file, expected nrates"}},
    {"ASCII record with a field missing",
     setup_ascii_field, true,
     "field.cfg",         NULL,
     NULL,     true,
     MTR_EPROTO,  {"field.dat:5:", "expected 9 fields"}                     },
    {"unknown channel name",
     setup_none,        false,
     "ascii_1999.cfg",    "VX_G9",
     "IA_FDR", false,
     MTR_EINVAL,  {"ascii_1999.cfg", "VX_G9"}                               },
    {"current channel given as voltage",
     setup_none,        false,
     "ascii_1999.cfg",    "IA_FDR",
     "IB_FDR", false,
     MTR_EINVAL,  {"ascii_1999.cfg", "IA_FDR"}                              },
    {"ASCII 99999 missing value",
     setup_none,        false,
     "missing_ascii.cfg", NULL,
     NULL,     true,
     MTR_EPROTO,  {"missing_ascii.dat:17:", "'VB'"}                         },
    {"BINARY 0x8000 missing value",
     setup_none,        false,
     "missing_bin.cfg",   NULL,
     NULL,     true,
     MTR_EPROTO,  {"missing_bin.dat", "byte offset 118"}                    },
    {"FLOAT32 NaN",
     setup_none,        false,
     "nan_float.cfg",     NULL,
     NULL,     true,
     MTR_EPROTO,  {"nan_float.dat", "byte offset 72"}                       },
    {"rates that differ",
     setup_none,        false,
     "multirate.cfg",     NULL,
     NULL,     false,
     MTR_ENOTSUP, {"multirate.cfg", "4000 Hz, then 1000 Hz"}                },
};

static void
test_bad_input(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(bad_rows); r++) {
        const struct bad_row *row = &bad_rows[r];
        struct mtrd_source_spec spec;
        struct mtrd_source *src = NULL;
        char path[1024];
        char err[MTRD_SOURCE_ERR_CAP] = "";
        const char *msg = err;
        enum mtr_err rc;

        row->setup();
        memset(&spec, 0, sizeof(spec));
        path_join(path, sizeof(path), row->in_tmp ? g_tmp_dir : g_vec_dir, row->cfg);
        spec.path = path;
        if (row->u_name != NULL) {
            (void)snprintf(spec.u_name[0], sizeof(spec.u_name[0]), "%s", row->u_name);
            (void)snprintf(spec.i_name[0], sizeof(spec.i_name[0]), "%s", row->i_name);
        }
        rc = mtrd_comtrade_open(&spec, &src, err, sizeof(err));
        if (row->at_read) {
            float x[6 * 64];
            size_t got;
            if (rc != MTR_OK) {
                fail_msg("%s: open failed: %d %s", row->name, rc, err);
            }
            while ((rc = src->ops->read(src, x, 64, &got)) == MTR_OK) {
            }
            msg = src->err;
        } else if (rc == MTR_OK) {
            src->ops->close(src);
            fail_msg("%s: open succeeded", row->name);
        }
        if (rc != row->rc) {
            fail_msg("%s: got %d, want %d (%s)", row->name, rc, row->rc, msg);
        }
        for (int k = 0; k < 2; k++) {
            if (strstr(msg, row->msg[k]) == NULL) {
                fail_msg("%s: message '%s' lacks '%s'", row->name, msg, row->msg[k]);
            }
        }
        if (src != NULL) {
            src->ops->close(src);
        }
    }
}

/* cfg text errors, straight through the parser: rc and "name:line:" */
struct cfg_err_row {
    const char *name;
    const char *text;
    enum mtr_err rc;
    const char *msg;
};

static const struct cfg_err_row cfg_err_rows[] = {
    {"empty",                    "",                                                                              MTR_EPROTO,  "t.cfg:1: unexpected end"     },
    {"rev year",                 "S,D,2001\n",                                                                    MTR_ENOTSUP, "t.cfg:1: revision year 2001" },
    {"counts letters",           "S,D,1999\n1,1X,0D\n",                                                           MTR_EPROTO,  "t.cfg:2: channel counts"     },
    {"more channels than lines", "S,D,1999\n500,500A,0D\n1,a\n",                                                  MTR_EPROTO,  "t.cfg:2:"                    },
    {"analog fields",            "S,D,1999\n1,1A,0D\n1,U,A,,V,1,0,0\n",                                           MTR_EPROTO,
     "t.cfg:3: analog channel line: expected 10 or 13"                                                                                                       },
    {"PS flag",                  "S,D,1999\n1,1A,0D\n1,U,A,,V,1,0,0,-1,1,1,1,Q\n",                                MTR_EPROTO,  "t.cfg:3:"                    },
    {"nan multiplier",           "S,D,1999\n1,1A,0D\n1,U,A,,V,nan,0,0,-1,1\n",                                    MTR_EPROTO,  "t.cfg:3:"                    },
    {"bad date",                 "S,D,1999\n1,1A,0D\n1,U,A,,V,1,0,0,-1,1\n50\n1\n1000,10\n32/01/2024,00:00:00\n",
     MTR_EPROTO,                                                                                                               "t.cfg:7: bad start date-time"},
    {"rate zero",                "S,D,1999\n1,1A,0D\n1,U,A,,V,1,0,0,-1,1\n50\n1\n0,10\n",                         MTR_EPROTO,  "t.cfg:6:"                    },
 /* fuzz find: a digit above the bound wrapped the overflow check and 378 passed as 0..3 */
    {"leapsec out of range",
     "S,D,2013\n1,1A,0D\n1,U,A,,V,1,0,0,-1,1\n50\n1\n1000,10\n01/01/2024,00:00:00\n"
     "01/01/2024,00:00:00\nFLOAT32\n1\n0,0\nF,378\n",                                                             MTR_EPROTO,  "t.cfg:12: tmq_code,leapsec"  },
    {"trailing junk",
     "S,D,2013\n1,1A,0D\n1,U,A,,V,1,0,0,-1,1\n50\n1\n1000,10\n01/01/2024,00:00:00\n"
     "01/01/2024,00:00:00\nFLOAT32\n1\n0,0\n0,0\nmore\n",                                                         MTR_EPROTO,  "t.cfg:13: unexpected text"   },
};

static void
test_cfg_errors(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(cfg_err_rows); r++) {
        const struct cfg_err_row *row = &cfg_err_rows[r];
        struct mtrd_comtrade_cfg cfg;
        char err[256] = "";
        enum mtr_err rc =
            mtrd_comtrade_parse_cfg(row->text, strlen(row->text), "t.cfg", &cfg, err, sizeof(err));

        if (rc != row->rc || strstr(err, row->msg) == NULL) {
            fail_msg("%s: got %d '%s', want %d '%s'", row->name, rc, err, row->rc, row->msg);
        }
        assert_null(cfg.analog); /* no partial state after an error */
        assert_int_equal(cfg.analog_count, 0);
    }
}

static int
make_tmp(void **state)
{
    (void)state;
    (void)snprintf(g_tmp_dir, sizeof(g_tmp_dir), "/tmp/test_comtrade.XXXXXX");
    return mkdtemp(g_tmp_dir) != NULL ? 0 : -1;
}

static int
remove_tmp(void **state)
{
    static const char *const names[] = {"trunc.cfg",  "trunc.dat",  "short.cfg",  "short.dat",
                                        "nodat.cfg",  "counts.cfg", "counts.dat", "number.cfg",
                                        "number.dat", "ft.cfg",     "ft.dat",     "cut.cfg",
                                        "cut.dat",    "field.cfg",  "field.dat"};
    char path[1024];

    (void)state;
    for (size_t k = 0; k < MTR_ARRAY_COUNT(names); k++) {
        path_join(path, sizeof(path), g_tmp_dir, names[k]);
        (void)unlink(path); /* some rows may not have run */
    }
    return rmdir(g_tmp_dir);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),      cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_cfg_errors),        cmocka_unit_test(test_list_channels),
        cmocka_unit_test(test_synthetic_vectors), cmocka_unit_test(test_fs_override),
        cmocka_unit_test(test_bad_input),         cmocka_unit_test(test_real_recordings),
    };

    if (argc < 3) {
        fprintf(stderr, "usage: %s <shared-data>/waveforms <vectors>/comtrade\n", argv[0]);
        return 2;
    }
    g_wave_dir = argv[1];
    g_vec_dir = argv[2];
    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
