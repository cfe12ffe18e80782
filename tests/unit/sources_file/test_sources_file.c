/*
 * Tests of the file sample sources: MAT (libmatio), CSV and the raw stream.
 *
 * Real recordings are read in place from the shared data directory (argv[1]):
 * Vrms, Irms, P = mean(v*i), the sample count and the rate computed from the
 * delivered samples must match the reference figures of the data set's SOURCE.md
 * at their printed precision, and the .mat file and its CSV excerpt must give
 * bit-identical float samples. Synthetic files with values known in closed form
 * are written to a temporary directory, and every kind of bad input must give
 * the right code and a message naming the file and the line or byte offset.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <matio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "csv_int.h"
#include "source.h"

#define DRZ        "waveforms/drouaz-appliances-fr-230v-50hz/"
/* Samples asked per read call: odd, so batches straddle everything. */
#define READ_BLOCK 997
#define MAX_CH     (2 * MTRD_SOURCE_MAX_PHASES)
#define PI         3.14159265358979323846

static const char *g_data = "../shared/data";
static char g_tmp[256];

/* ---- helpers -------------------------------------------------------------------------------- */

static void
path_in(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void
write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

/* What a drained source delivered. */
struct drain {
    enum mtr_err end; /* MTR_EOF, or the error that stopped it */
    size_t n;         /* samples per channel delivered */
    double sum_uu;    /* sums over the delivered samples, in double */
    double sum_ii;
    double sum_ui;
    float *all; /* every sample, when keep was asked ([n][ch]) */
    char err[MTRD_SOURCE_ERR_CAP];
};

static void
drain_source(struct mtrd_source *src, bool keep, struct drain *d)
{
    size_t ch = (size_t)2 * src->info.phase_count;
    float buf[READ_BLOCK * MAX_CH];
    size_t cap = 0;

    memset(d, 0, sizeof(*d));
    for (;;) {
        size_t got = 12345;
        enum mtr_err rc = src->ops->read(src, buf, READ_BLOCK, &got);
        if (rc != MTR_OK) {
            assert_int_equal(got, 0);
            d->end = rc;
            memcpy(d->err, src->err, sizeof(d->err));
            break;
        }
        assert_true(got >= 1 && got <= READ_BLOCK);
        for (size_t k = 0; k < got; k++) {
            double u = (double)buf[k * ch];
            double i = (double)buf[k * ch + src->info.phase_count];
            d->sum_uu += u * u;
            d->sum_ii += i * i;
            d->sum_ui += u * i;
        }
        if (keep) {
            if (d->n + got > cap) {
                cap = 2 * (d->n + got);
                d->all = realloc(d->all, cap * ch * sizeof(float));
                assert_non_null(d->all);
            }
            memcpy(d->all + d->n * ch, buf, got * ch * sizeof(float));
        }
        d->n += got;
    }
}

/*
 * |got - printed| within half a unit of the printed figure's last digit, plus
 * 1e-6 relative: SOURCE.md computed in double, we deliver float32 samples (2^-24
 * relative each), and a figure may sit right on a rounding boundary (the kettle
 * excerpt's P is 971.99501 in double, 971.99499 from float samples). Both bounds
 * are far inside 0.01 %.
 */
static void
expect_printed(const char *row, const char *what, double got, const char *printed)
{
    const char *dot = strchr(printed, '.');
    int decimals = dot != NULL ? (int)strlen(dot + 1) : 0;
    double want = strtod(printed, NULL);
    double tol = 0.5 * pow(10.0, -decimals) + 1e-6 * fabs(want);

    if (fabs(got - want) > tol) {
        fail_msg("%s: %s got %.7g, want %s (±%g)", row, what, got, printed, tol);
    }
}

static void
expect_fs(const char *row, double got, double want)
{
    if (fabs(got - want) > want * 1e-4) {
        fail_msg("%s: fs got %.6f Hz, want %.1f Hz ±0.01 %%", row, got, want);
    }
}

static void
expect_msg(const char *row, const char *msg, const char *n1, const char *n2)
{
    if (strstr(msg, n1) == NULL || (n2 != NULL && strstr(msg, n2) == NULL)) {
        fail_msg("%s: message '%s' lacks '%s'%s%s", row, msg, n1, n2 ? " or " : "", n2 ? n2 : "");
    }
}

static struct mtrd_source_spec
spec_for(enum mtrd_source_type type, const char *path)
{
    struct mtrd_source_spec sp;

    memset(&sp, 0, sizeof(sp));
    sp.type = type;
    sp.path = path;
    return sp;
}

static enum mtr_err
open_spec(const struct mtrd_source_spec *sp, struct mtrd_source **src, char *err, size_t cap)
{
    switch (sp->type) {
    case MTRD_SOURCE_MAT:
        return mtrd_mat_open(sp, src, err, cap);
    case MTRD_SOURCE_CSV:
        return mtrd_csv_open(sp, src, err, cap);
    default:
        return mtrd_raw_open(sp, src, err, cap);
    }
}

/* Open, drain, close; the first error (of open or of a read) and its message. */
static enum mtr_err
open_drain(const struct mtrd_source_spec *sp, struct drain *d, bool keep)
{
    struct mtrd_source *src = NULL;
    enum mtr_err rc;

    memset(d, 0, sizeof(*d));
    rc = open_spec(sp, &src, d->err, sizeof(d->err));
    if (rc != MTR_OK) {
        assert_null(src);
        assert_true(d->err[0] != '\0');
        d->end = rc;
        return rc;
    }
    assert_non_null(src);
    drain_source(src, keep, d);
    src->ops->close(src);
    return d->end == MTR_EOF ? MTR_OK : d->end;
}

/* ---- real recordings: reference figures of SOURCE.md ---------------------------------------- */

struct ref_row {
    const char *name;
    enum mtrd_source_type type;
    const char *file;
    const char *i_name; /* "" = default */
    size_t n;
    double fs_Hz;
    const char *vrms, *irms, *p; /* as printed in SOURCE.md */
};

/* The recordings and their CSV excerpts (SOURCE.md, "CSV conversions"). */
#define KETTLE     "data_bouilloire_1_15KHz_mesure1"
#define HALOGEN    "data_lampeHalogene_1_20KHz_mesure1"
#define LAPTOP     "data_pcPortable_1_20KHz_mesure1"
#define FRIDGE     "data_refrigerateur_1_20KHz_mesure1"
#define KETTLE_X   KETTLE "_excerpt_4s-4.5s.csv"
#define HALOGEN_X  HALOGEN "_excerpt_2.5s-3s.csv"
#define LAPTOP_X   LAPTOP "_excerpt_3s-3.5s.csv"
#define FRIDGE_X15 FRIDGE "_excerpt_15s-15.5s.csv"
#define FRIDGE_X68 FRIDGE "_excerpt_6.8s-7.3s.csv"
#define MAT        MTRD_SOURCE_MAT
#define CSV        MTRD_SOURCE_CSV
#define MAT_S2     "currentSensor2"
#define CSV_S2     "current_sensor2_A"

/* SOURCE.md, "Reference figures": samples, Vrms, Irms, P = mean(v*i). */
static const struct ref_row ref_rows[] = {
    {"kettle mat s1",    MAT, KETTLE ".mat",  "",     150000, 15000.0, "227.91", "3.6376", "696.81"},
    {"kettle mat s2",    MAT, KETTLE ".mat",  MAT_S2, 150000, 15000.0, "227.91", "3.5145", "669.45"},
    {"halogen mat",      MAT, HALOGEN ".mat", "",     100000, 20000.0, "227.14", "1.1245", "128.28"},
    {"laptop mat",       MAT, LAPTOP ".mat",  "",     120000, 20000.0, "227.93", "0.1715", "12.71" },
    {"fridge mat",       MAT, FRIDGE ".mat",  "",     380000, 20000.0, "235.98", "0.8671", "88.59" },
    {"kettle csv s1",    CSV, KETTLE_X,       "",     7500,   15000.0, "226.88", "4.2946", "972.00"},
    {"kettle csv s2",    CSV, KETTLE_X,       CSV_S2, 7500,   15000.0, "226.88", "4.1451", "934.20"},
    {"halogen csv",      CSV, HALOGEN_X,      "",     10000,  20000.0, "226.43", "1.7124", "312.55"},
    {"laptop csv",       CSV, LAPTOP_X,       "",     10000,  20000.0, "228.31", "0.1793", "21.56" },
    {"fridge csv 15 s",  CSV, FRIDGE_X15,     "",     10000,  20000.0, "236.68", "0.4833", "72.02" },
    {"fridge csv 6.8 s", CSV, FRIDGE_X68,     "",     10000,  20000.0, "234.42", "4.4715", "711.10"},
};

static void
test_real_reference(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(ref_rows); r++) {
        const struct ref_row *row = &ref_rows[r];
        char path[512];
        char err[MTRD_SOURCE_ERR_CAP] = "";
        struct mtrd_source *src = NULL;
        struct mtrd_source_spec sp;
        struct drain d;

        (void)snprintf(path, sizeof(path), "%s/" DRZ "%s", g_data, row->file);
        sp = spec_for(row->type, path);
        (void)snprintf(sp.i_name[0], sizeof(sp.i_name[0]), "%s", row->i_name);
        if (open_spec(&sp, &src, err, sizeof(err)) != MTR_OK) {
            fail_msg("%s: open: %s", row->name, err);
        }
        expect_fs(row->name, src->info.fs_Hz, row->fs_Hz);
        if (src->info.phase_count != 1 || src->info.sample_count != row->n) {
            fail_msg("%s: info says %u phases, %llu samples; want 1, %zu", row->name,
                     (unsigned)src->info.phase_count, (unsigned long long)src->info.sample_count,
                     row->n);
        }
        if (row->i_name[0] != '\0' && strcmp(src->info.i_name[0], row->i_name) != 0) {
            fail_msg("%s: current channel '%s'", row->name, src->info.i_name[0]);
        }
        drain_source(src, false, &d);
        src->ops->close(src);
        if (d.end != MTR_EOF || d.n != row->n) {
            fail_msg("%s: ended with %d after %zu samples (want EOF after %zu): %s", row->name,
                     (int)d.end, d.n, row->n, d.err);
        }
        expect_printed(row->name, "Vrms", sqrt(d.sum_uu / (double)d.n), row->vrms);
        expect_printed(row->name, "Irms", sqrt(d.sum_ii / (double)d.n), row->irms);
        expect_printed(row->name, "P", d.sum_ui / (double)d.n, row->p);
    }
}

/* The CSV excerpts are the .mat rows first..first+n-1: identical float samples. */
struct excerpt_row {
    const char *name;
    const char *mat;
    const char *csv;
    const char *mat_i; /* current variable */
    const char *csv_i; /* current column */
    size_t first;
    size_t n;
};

static const struct excerpt_row excerpt_rows[] = {
    {"kettle sensor1", KETTLE ".mat",  KETTLE_X,   "currentSensor1", "current_sensor1_A", 60000,  7500 },
    {"kettle sensor2", KETTLE ".mat",  KETTLE_X,   "currentSensor2", "current_sensor2_A", 60000,  7500 },
    {"halogen",        HALOGEN ".mat", HALOGEN_X,  "",               "",                  50000,  10000},
    {"laptop",         LAPTOP ".mat",  LAPTOP_X,   "",               "",                  60000,  10000},
    {"fridge 15 s",    FRIDGE ".mat",  FRIDGE_X15, "",               "",                  180000, 10000},
    {"fridge 6.8 s",   FRIDGE ".mat",  FRIDGE_X68, "",               "",                  16000,  10000},
};

static void
test_mat_equals_csv(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(excerpt_rows); r++) {
        const struct excerpt_row *row = &excerpt_rows[r];
        char pm[512];
        char pc[512];
        struct mtrd_source_spec sm;
        struct mtrd_source_spec sc;
        struct drain dm;
        struct drain dc;

        (void)snprintf(pm, sizeof(pm), "%s/" DRZ "%s", g_data, row->mat);
        (void)snprintf(pc, sizeof(pc), "%s/" DRZ "%s", g_data, row->csv);
        sm = spec_for(MTRD_SOURCE_MAT, pm);
        sc = spec_for(MTRD_SOURCE_CSV, pc);
        (void)snprintf(sm.i_name[0], sizeof(sm.i_name[0]), "%s", row->mat_i);
        (void)snprintf(sc.i_name[0], sizeof(sc.i_name[0]), "%s", row->csv_i);
        if (open_drain(&sm, &dm, true) != MTR_OK || open_drain(&sc, &dc, true) != MTR_OK) {
            fail_msg("%s: %s %s", row->name, dm.err, dc.err);
        }
        assert_int_equal(dc.n, row->n);
        assert_true(dm.n >= row->first + row->n);
        if (memcmp(dm.all + 2 * row->first, dc.all, row->n * 2 * sizeof(float)) != 0) {
            fail_msg("%s: samples differ between .mat rows %zu.. and the CSV", row->name,
                     row->first);
        }
        free(dm.all);
        free(dc.all);
    }
}

/* A pipe is not seekable: the rate comes from the first two rows, nothing is lost. */
static void
test_csv_pipe(void **state)
{
    char path[512];
    int fds[2];
    pid_t pid;
    FILE *f;
    struct mtrd_source *src = NULL;
    struct mtrd_source_spec sp = spec_for(MTRD_SOURCE_CSV, NULL);
    char err[MTRD_SOURCE_ERR_CAP] = "";
    struct drain d;
    int status = 0;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/" DRZ "%s", g_data, HALOGEN_X);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *in = fopen(path, "rb");
        char b[1000];
        size_t n;
        (void)close(fds[0]);
        while (in != NULL && (n = fread(b, 1, sizeof(b), in)) > 0) {
            if (write(fds[1], b, n) != (ssize_t)n) {
                _exit(1);
            }
        }
        _exit(in == NULL ? 2 : 0);
    }
    (void)close(fds[1]);
    f = fdopen(fds[0], "rb");
    assert_non_null(f);
    if (mtrd_csv_open_stream(f, "pipe:halogen", &sp, &src, err, sizeof(err)) != MTR_OK) {
        fail_msg("pipe: %s", err);
    }
    expect_fs("pipe", src->info.fs_Hz, 20000.0);
    assert_int_equal(src->info.sample_count, 0); /* unknown on a pipe */
    drain_source(src, false, &d);
    src->ops->close(src);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(d.end, MTR_EOF);
    assert_int_equal(d.n, 10000);
    expect_printed("pipe", "Vrms", sqrt(d.sum_uu / (double)d.n), "226.43");
    expect_printed("pipe", "P", d.sum_ui / (double)d.n, "312.55");
}

/* ---- synthetic CSV -------------------------------------------------------------------------- */

/* ';', CRLF, quoted header, decimal comma: u = k / 2 V, i = -k / 4 A, t = k ms. */
static void
test_csv_semicolon_crlf(void **state)
{
    enum {
        N = 50
    };
    char path[300];
    char text[8192];
    size_t len = 0;
    struct drain d;
    struct mtrd_source_spec sp;

    (void)state;
    path_in(path, sizeof(path), g_tmp, "semi.csv");
    len += (size_t)snprintf(text + len, sizeof(text) - len, "\"t\" ; \"U_L1\";\"I_L1\"\r\n");
    for (int k = 0; k < N; k++) {
        /* half the rows with a decimal comma, half with a point */
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                k % 2 ? "%d,%03d;%d,5;-%d.25\r\n" : "%d.%03d;%d.0;-%d.5\r\n",
                                k / 1000, k % 1000, k / 2, k / 4);
    }
    write_text(path, text);
    sp = spec_for(MTRD_SOURCE_CSV, path);
    assert_int_equal(open_drain(&sp, &d, true), MTR_OK);
    assert_int_equal(d.n, N);
    for (size_t k = 0; k < N; k++) {
        int quarter = (int)k / 4;
        float u = 0.5f * (float)k; /* "%d,5" (odd k) or "%d.0" (even k) of k / 2 */
        float i = -((float)quarter + (k % 2 ? 0.25f : 0.5f));
        if (d.all[2 * k] != u || d.all[2 * k + 1] != i) {
            fail_msg("row %zu: got %g %g, want %g %g", k, (double)d.all[2 * k],
                     (double)d.all[2 * k + 1], (double)u, (double)i);
        }
    }
    free(d.all);
    /* rate (N - 1) / (t_last - t_first) = 49 / 0.049 s */
    struct mtrd_source *src = NULL;
    char err[MTRD_SOURCE_ERR_CAP];
    assert_int_equal(mtrd_csv_open(&sp, &src, err, sizeof(err)), MTR_OK);
    expect_fs("semicolon", src->info.fs_Hz, 1000.0);
    assert_int_equal(src->info.sample_count, N);
    assert_string_equal(src->info.u_name[0], "U_L1");
    src->ops->close(src);
}

/* 3 phases: U_p = 100 p + k, I_p = p + k / 8; order U1 U2 U3 I1 I2 I3. */
struct phase_row {
    const char *name;
    const char *header;
    const char *u[3];
    const char *i[3];
    uint8_t phase_count;
    uint8_t want_phases;
    int want_u[3]; /* which generated phase each delivered U is (1-based) */
    int want_i[3];
};

/* One row per case reads better than aligned columns here. */
/* clang-format off */
static const struct phase_row phase_rows[] = {
    {"auto u1..i3", "time,u1,u2,u3,i1,i2,i3", {""}, {""}, 0, 3, {1, 2, 3}, {1, 2, 3}},
    {"auto voltage_L*",
     "time_s,voltage_L1,current_L1,voltage_L2,current_L2,voltage_L3,current_L3",
     {""}, {""}, 0, 3, {1, 2, 3}, {1, 2, 3}},
    {"mapped reversed", "time,u1,u2,u3,i1,i2,i3",
     {"u3", "u2", "u1"}, {"i3", "i2", "i1"}, 0, 3, {3, 2, 1}, {3, 2, 1}},
    {"one phase by name", "time,u1,u2,u3,i1,i2,i3", {"U2"}, {"i2"}, 0, 1, {2}, {2}},
    {"phase_count 2", "t,u1,u2,u3,i1,i2,i3", {""}, {""}, 2, 2, {1, 2}, {1, 2}},
};
/* clang-format on */

static int
column_phase(const char *header, int col, char *kind)
{
    /* The last character of the header name is the phase digit; its first letter the kind. */
    char tmp[256];
    char *save = NULL;
    char *tok;
    int k = 0;

    (void)snprintf(tmp, sizeof(tmp), "%s", header);
    for (tok = strtok_r(tmp, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save), k++) {
        if (k == col) {
            if (tok[0] == 'u' || tok[0] == 'v') {
                *kind = 'u';
            } else if (tok[0] == 't') {
                *kind = 't';
            } else {
                *kind = 'i';
            }
            return tok[strlen(tok) - 1] - '0';
        }
    }
    return -1;
}

static void
test_csv_three_phase(void **state)
{
    enum {
        N = 20
    };
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(phase_rows); r++) {
        const struct phase_row *row = &phase_rows[r];
        char path[300];
        char text[8192];
        size_t len = 0;
        struct drain d;
        struct mtrd_source_spec sp;

        path_in(path, sizeof(path), g_tmp, "three.csv");
        len += (size_t)snprintf(text, sizeof(text), "%s\n", row->header);
        for (int k = 0; k < N; k++) {
            for (int c = 0; c < 7; c++) {
                char kind = 0;
                int p = column_phase(row->header, c, &kind);
                double v = kind == 't' ? k / 4000.0 : kind == 'u' ? 100.0 * p + k : p + k / 8.0;
                len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%.17g", c > 0 ? "," : "",
                                        v);
            }
            len += (size_t)snprintf(text + len, sizeof(text) - len, "\n");
        }
        write_text(path, text);
        sp = spec_for(MTRD_SOURCE_CSV, path);
        sp.phase_count = row->phase_count;
        for (int p = 0; p < 3; p++) {
            (void)snprintf(sp.u_name[p], sizeof(sp.u_name[p]), "%s", row->u[p] ? row->u[p] : "");
            (void)snprintf(sp.i_name[p], sizeof(sp.i_name[p]), "%s", row->i[p] ? row->i[p] : "");
        }
        struct mtrd_source *src = NULL;
        if (mtrd_csv_open(&sp, &src, d.err, sizeof(d.err)) != MTR_OK) {
            fail_msg("%s: %s", row->name, d.err);
        }
        assert_int_equal(src->info.phase_count, row->want_phases);
        expect_fs(row->name, src->info.fs_Hz, 4000.0);
        drain_source(src, true, &d);
        src->ops->close(src);
        assert_int_equal(d.n, N);
        size_t ch = (size_t)2 * row->want_phases;
        for (int k = 0; k < N; k++) {
            for (size_t p = 0; p < row->want_phases; p++) {
                float u = (float)(100.0 * row->want_u[p] + k);
                float i = (float)(row->want_i[p] + k / 8.0);
                if (d.all[k * ch + p] != u || d.all[k * ch + row->want_phases + p] != i) {
                    fail_msg("%s: sample %d phase %zu: got U %g I %g, want %g %g", row->name, k,
                             p + 1, (double)d.all[k * ch + p],
                             (double)d.all[k * ch + row->want_phases + p], (double)u, (double)i);
                }
            }
        }
        free(d.all);
    }
}

/* No time column: the rate must be given. */
static void
test_csv_no_time(void **state)
{
    char path[300];
    struct drain d;
    struct mtrd_source_spec sp;

    (void)state;
    path_in(path, sizeof(path), g_tmp, "notime.csv");
    write_text(path, "voltage,current\n1,2\n3,4\n\n5,6");
    sp = spec_for(MTRD_SOURCE_CSV, path);
    assert_int_equal(open_drain(&sp, &d, true), MTR_EINVAL);
    expect_msg("no time", d.err, path, "rate");
    sp.fs_Hz = 4000.0;
    assert_int_equal(open_drain(&sp, &d, true), MTR_OK);
    assert_int_equal(d.n, 3); /* the blank line is skipped, the last line has no LF */
    assert_true(d.all[4] == 5.0f && d.all[5] == 6.0f);
    free(d.all);
}

/* ---- CSV errors ----------------------------------------------------------------------------- */

struct csv_bad_row {
    const char *name;
    const char *text;
    const char *i_name;
    enum mtr_err want;
    const char *want_where; /* ":line:" or similar */
    const char *want_what;
};

/* One row per case reads better than aligned columns here. */
/* clang-format off */
static const struct csv_bad_row csv_bad_rows[] = {
    {"bad number line 4",
     "time,voltage,current\n0,1,2\n0.001,1,2\n0.002,1x,2\n0.003,1,2\n", "",
     MTR_EPROTO, ":4:", "column 'voltage'"},
    {"wrong field count line 3",
     "time,voltage,current\n0,1,2\n0.001,1\n0.002,1,2\n", "",
     MTR_EPROTO, ":3:", "expected 3 fields, got 2"},
    {"NaN line 5",
     "t;u;i\n0;1;2\n1;1;2\n2;1;2\n3;1;nan\n4;1;1\n", "",
     MTR_EPROTO, ":5:", "column 'i'"},
    {"inf in last line",
     "t;u;i\n0;1;2\n1;1;2\n2;1;2\n3;1;inf\n", "",
     MTR_EPROTO, ":5:", "not finite"},
    {"empty field line 2",
     "time,voltage,current\n0,,2\n1,1,1\n", "",
     MTR_EPROTO, ":2:", "column 'voltage'"},
    {"unknown column",
     "time,voltage,current\n0,1,2\n1,1,2\n", "current_sensor9",
     MTR_EINVAL, "current_sensor9", "'time', 'voltage', 'current'"},
    {"no current column",
     "time,voltage,power\n0,1,2\n1,1,2\n", "",
     MTR_EINVAL, "current", "'power'"},
    {"empty file", "", "", MTR_EPROTO, ":1:", "header"},
    {"unterminated quote",
     "\"time,voltage,current\n0,1,2\n", "",
     MTR_EPROTO, ":1:", "quote"},
    {"NUL byte line 3",
     "time,voltage,current\n0,1,2\n1,\0,2\n", "",
     MTR_EPROTO, ":3:", "NUL"},
    {"one row only",
     "time,voltage,current\n0,1,2\n", "",
     MTR_EPROTO, "rate", "'time'"},
};
/* clang-format on */

static void
test_csv_bad(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(csv_bad_rows); r++) {
        const struct csv_bad_row *row = &csv_bad_rows[r];
        char path[300];
        struct drain d;
        struct mtrd_source_spec sp;
        size_t len = strlen(row->text);

        if (strcmp(row->name, "NUL byte line 3") == 0) {
            len = 33; /* the text holds a NUL */
        }
        path_in(path, sizeof(path), g_tmp, "bad.csv");
        write_file(path, row->text, len);
        sp = spec_for(MTRD_SOURCE_CSV, path);
        (void)snprintf(sp.i_name[0], sizeof(sp.i_name[0]), "%s", row->i_name);
        enum mtr_err rc = open_drain(&sp, &d, false);
        if (rc != row->want) {
            fail_msg("%s: got %d, want %d (%s)", row->name, (int)rc, (int)row->want, d.err);
        }
        expect_msg(row->name, d.err, path, row->want_where);
        expect_msg(row->name, d.err, row->want_what, NULL);
    }
}

/* Lines longer than the cap, missing file. */
static void
test_csv_long_line_and_missing(void **state)
{
    char path[300];
    char *text = malloc(MTRD_CSV_LINE_CAP + 100);
    struct drain d;
    struct mtrd_source_spec sp;

    (void)state;
    assert_non_null(text);
    (void)snprintf(text, 40, "time,voltage,current\n0,1,2\n0,");
    size_t len = strlen(text);
    memset(text + len, '1', MTRD_CSV_LINE_CAP);
    text[len + MTRD_CSV_LINE_CAP] = '\n';
    path_in(path, sizeof(path), g_tmp, "long.csv");
    write_file(path, text, len + MTRD_CSV_LINE_CAP + 1);
    free(text);
    sp = spec_for(MTRD_SOURCE_CSV, path);
    assert_int_equal(open_drain(&sp, &d, false), MTR_EPROTO);
    expect_msg("long line", d.err, path, ":3:");

    path_in(path, sizeof(path), g_tmp, "does-not-exist.csv");
    sp = spec_for(MTRD_SOURCE_CSV, path);
    assert_int_equal(open_drain(&sp, &d, false), MTR_ENOENT);
    expect_msg("missing csv", d.err, path, NULL);
    sp = spec_for(MTRD_SOURCE_MAT, path);
    assert_int_equal(open_drain(&sp, &d, false), MTR_ENOENT);
    expect_msg("missing mat", d.err, path, NULL);
    sp = spec_for(MTRD_SOURCE_RAW, path);
    sp.fs_Hz = 1000.0;
    sp.raw_fmt = MTRD_RAW_F32;
    assert_int_equal(open_drain(&sp, &d, false), MTR_ENOENT);
    expect_msg("missing raw", d.err, path, NULL);
}

/* Good rows before a bad one are delivered, then the error, and it stays. */
static void
test_csv_error_after_good_rows(void **state)
{
    char path[300];
    char err[MTRD_SOURCE_ERR_CAP];
    struct mtrd_source *src = NULL;
    struct mtrd_source_spec sp;
    float x[2 * 10];
    size_t got = 0;

    (void)state;
    path_in(path, sizeof(path), g_tmp, "late.csv");
    write_text(path, "u,i\n1,1\n2,2\nx,3\n4,4\n");
    sp = spec_for(MTRD_SOURCE_CSV, path);
    sp.fs_Hz = 50.0;
    assert_int_equal(mtrd_csv_open(&sp, &src, err, sizeof(err)), MTR_OK);
    assert_int_equal(src->ops->read(src, x, 10, &got), MTR_OK);
    assert_int_equal(got, 2);
    assert_int_equal(src->ops->read(src, x, 10, &got), MTR_EPROTO);
    assert_int_equal(got, 0);
    expect_msg("late", src->err, ":4:", "column 'u'");
    assert_int_equal(src->ops->read(src, x, 10, &got), MTR_EPROTO);
    src->ops->close(src);
}

/* The line helpers on their own. */
static void
test_csv_helpers(void **state)
{
    char line[] = " \"a;b\" , c ,,\"d\"";
    char *f[8];
    size_t n = 0;
    double v = 0.0;

    (void)state;
    assert_int_equal(mtrd_csv_split(line, ',', f, 8, &n), MTR_OK);
    assert_int_equal(n, 4);
    assert_string_equal(f[0], "a;b");
    assert_string_equal(f[1], "c");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "d");
    assert_int_equal(mtrd_csv_detect_sep("a;b;c"), ';');
    assert_int_equal(mtrd_csv_detect_sep("a,b;c,d"), ',');
    assert_int_equal(mtrd_csv_parse_num("-312.87919999999997", ',', &v), MTR_OK);
    assert_true(v == -312.87919999999997);
    assert_int_equal(mtrd_csv_parse_num("1,5", ';', &v), MTR_OK);
    assert_true(v == 1.5);
    assert_int_equal(mtrd_csv_parse_num("1,5", ',', &v), MTR_EPROTO);
    assert_int_equal(mtrd_csv_parse_num("0x10", ',', &v), MTR_EPROTO);
    assert_int_equal(mtrd_csv_parse_num("NaN", ',', &v), MTR_ERANGE);
    assert_int_equal(mtrd_csv_parse_num("1e999", ',', &v), MTR_ERANGE);
    assert_int_equal(mtrd_csv_parse_num("", ',', &v), MTR_EPROTO);
    assert_int_equal(mtrd_csv_classify("time_s"), MTRD_CSV_KIND_TIME);
    assert_int_equal(mtrd_csv_classify("t"), MTRD_CSV_KIND_TIME);
    assert_int_equal(mtrd_csv_classify("U3"), MTRD_CSV_KIND_U);
    assert_int_equal(mtrd_csv_classify("v_L2"), MTRD_CSV_KIND_U);
    assert_int_equal(mtrd_csv_classify("voltage_V"), MTRD_CSV_KIND_U);
    assert_int_equal(mtrd_csv_classify("currentSensor2"), MTRD_CSV_KIND_I);
    assert_int_equal(mtrd_csv_classify("i1"), MTRD_CSV_KIND_I);
    assert_int_equal(mtrd_csv_classify("value"), MTRD_CSV_KIND_OTHER);
    assert_int_equal(mtrd_csv_classify("index"), MTRD_CSV_KIND_OTHER);
}

/* ---- raw stream ----------------------------------------------------------------------------- */

static void
put_le32(unsigned char *b, uint32_t v)
{
    for (size_t k = 0; k < 4; k++) {
        b[k] = (unsigned char)(v >> (8 * k));
    }
}

static void
put_le16(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
}

struct raw_row {
    const char *name;
    enum mtrd_raw_fmt fmt;
    uint8_t phases;
    double u_scale;
    double i_scale;
    size_t n;          /* samples */
    int64_t codes[12]; /* n * 2 * phases codes (F32: value * 1000) */
};

static const struct raw_row raw_rows[] = {
    {"S16 1 phase",
     MTRD_RAW_S16, 1,
     0.01, 0.001,
     6, {0, 0, 1, -1, 32767, -32768, -32768, 32767, 23000, -1500, 12345, 54}                    },
    {"S32 3 phases",
     MTRD_RAW_S32, 3,
     1e-6, 1e-7,
     2, {INT32_MAX, INT32_MIN, 325269119, -325269119, 0, 1, 100000000, -100000000, 7, -7, 42, 1}},
    {"F32 2 phases",
     MTRD_RAW_F32, 2,
     0.0,  0.0,
     3, {325269, -325269, 0, 1500, 230000, 1, -2, 3, -1, 0, 999999, -999999}                    },
};

static size_t
make_raw(const struct raw_row *row, unsigned char *b, float *want)
{
    size_t len = row->fmt == MTRD_RAW_S16 ? 2 : 4;
    size_t ch = (size_t)2 * row->phases;

    for (size_t k = 0; k < row->n * ch; k++) {
        int64_t c = row->codes[k];
        bool is_u = (k % ch) < row->phases;
        if (row->fmt == MTRD_RAW_F32) {
            float f = (float)c / 1000.0f;
            uint32_t u;
            memcpy(&u, &f, 4);
            put_le32(b + k * len, u);
            want[k] = f;
        } else {
            if (len == 2) {
                put_le16(b + k * len, (uint32_t)c);
            } else {
                put_le32(b + k * len, (uint32_t)c);
            }
            want[k] = (float)((double)c * (is_u ? row->u_scale : row->i_scale));
        }
    }
    return row->n * ch * len;
}

static void
test_raw_formats(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(raw_rows); r++) {
        const struct raw_row *row = &raw_rows[r];
        unsigned char bytes[64];
        float want[12];
        char path[300];
        struct drain d;
        struct mtrd_source_spec sp;
        size_t len = make_raw(row, bytes, want);

        path_in(path, sizeof(path), g_tmp, "s.raw");
        write_file(path, bytes, len);
        sp = spec_for(MTRD_SOURCE_RAW, path);
        sp.fs_Hz = 8000.0;
        sp.raw_fmt = row->fmt;
        sp.phase_count = row->phases;
        sp.raw_u_scale = row->u_scale;
        sp.raw_i_scale = row->i_scale;
        if (open_drain(&sp, &d, true) != MTR_OK) {
            fail_msg("%s: %s", row->name, d.err);
        }
        assert_int_equal(d.n, row->n);
        for (size_t k = 0; k < row->n * 2u * row->phases; k++) {
            if (d.all[k] != want[k]) {
                fail_msg("%s: value %zu got %.9g want %.9g", row->name, k, (double)d.all[k],
                         (double)want[k]);
            }
        }
        free(d.all);
    }
}

/* stdin through a pipe, written 3 bytes at a time: short reads are joined. */
static void
test_raw_stdin_short_reads(void **state)
{
    const struct raw_row *row = &raw_rows[0];
    unsigned char bytes[64];
    float want[12];
    size_t len = make_raw(row, bytes, want);
    int fds[2];
    int saved = dup(STDIN_FILENO);
    pid_t pid;
    struct mtrd_source_spec sp = spec_for(MTRD_SOURCE_RAW, "-");
    struct drain d;
    int status = 0;

    (void)state;
    assert_true(saved >= 0);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void)close(fds[0]);
        for (size_t k = 0; k < len; k += 3) {
            size_t n = len - k < 3 ? len - k : 3;
            if (write(fds[1], bytes + k, n) != (ssize_t)n) {
                _exit(1);
            }
            struct timespec ts = {0, 1000000L}; /* 1 ms: let the reader see short reads */
            (void)nanosleep(&ts, NULL);
        }
        _exit(0);
    }
    (void)close(fds[1]);
    assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    (void)close(fds[0]);
    sp.fs_Hz = 8000.0;
    sp.raw_fmt = row->fmt;
    sp.raw_u_scale = row->u_scale;
    sp.raw_i_scale = row->i_scale;
    assert_int_equal(open_drain(&sp, &d, true), MTR_OK);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    (void)close(saved);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(d.n, row->n);
    assert_memory_equal(d.all, want, row->n * 2 * sizeof(float));
    free(d.all);
}

struct raw_bad_row {
    const char *name;
    enum mtrd_raw_fmt fmt;
    double fs_Hz;
    double scale;
    size_t len;       /* bytes of the stream */
    uint32_t bad_f32; /* F32 pattern written at bad_at, or 0 */
    size_t bad_at;    /* byte offset */
    enum mtr_err want;
    size_t want_good;    /* samples delivered before the error */
    const char *want_in; /* message fragment */
};

/* Frames: S16 one phase 4 bytes, F32 one phase 8 bytes. */
static const struct raw_bad_row raw_bad_rows[] = {
    {"S16 partial",  MTRD_RAW_S16, 1000.0, 1.0, 23, 0,           0,  MTR_EPROTO, 5, "offset 20"  },
    {"F32 partial",  MTRD_RAW_F32, 1000.0, 0.0, 23, 0,           0,  MTR_EPROTO, 2, "offset 16"  },
    {"F32 NaN",      MTRD_RAW_F32, 1000.0, 0.0, 32, 0x7fc00000u, 20, MTR_EPROTO, 2, "offset 20"  },
    {"F32 inf",      MTRD_RAW_F32, 1000.0, 0.0, 32, 0x7f800000u, 0,  MTR_EPROTO, 0, "offset 0"   },
    {"no rate",      MTRD_RAW_F32, 0.0,    0.0, 8,  0,           0,  MTR_EINVAL, 0, "rate"       },
    {"S16 no scale", MTRD_RAW_S16, 1000.0, 0.0, 8,  0,           0,  MTR_EINVAL, 0, "raw_u_scale"},
};

static void
test_raw_bad(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(raw_bad_rows); r++) {
        const struct raw_bad_row *row = &raw_bad_rows[r];
        unsigned char bytes[64];
        char path[300];
        char err[MTRD_SOURCE_ERR_CAP] = "";
        struct mtrd_source *src = NULL;
        struct mtrd_source_spec sp;
        struct drain d;

        memset(bytes, 0x11, sizeof(bytes)); /* small finite values in every encoding */
        if (row->bad_f32 != 0) {
            put_le32(bytes + row->bad_at, row->bad_f32);
        }
        path_in(path, sizeof(path), g_tmp, "bad.raw");
        write_file(path, bytes, row->len);
        sp = spec_for(MTRD_SOURCE_RAW, path);
        sp.fs_Hz = row->fs_Hz;
        sp.raw_fmt = row->fmt;
        sp.raw_u_scale = row->scale;
        sp.raw_i_scale = row->scale;
        enum mtr_err rc = open_spec(&sp, &src, err, sizeof(err));
        if (rc == MTR_OK) {
            drain_source(src, false, &d);
            src->ops->close(src);
            rc = d.end;
            memcpy(err, d.err, sizeof(err));
            assert_int_equal(d.n, row->want_good);
        }
        if (rc != row->want) {
            fail_msg("%s: got %d, want %d (%s)", row->name, (int)rc, (int)row->want, err);
        }
        expect_msg(row->name, err, path, row->want_in);
    }
}

/* ---- MAT written with libmatio -------------------------------------------------------------- */

struct mat_var {
    const char *name;
    enum matio_classes cls;
    size_t n;
    bool is_column; /* Nx1, else 1xN */
    double (*fn)(size_t k);
};

static double
f_time(size_t k)
{
    return 2.0 + (double)k / 8000.0;
}

static double
f_u(size_t k)
{
    return 230.0 * sin(2.0 * PI * 50.0 * (double)k / 8000.0);
}

static double
f_i(size_t k)
{
    return -0.5 + (double)k / 64.0;
}

static double
f_u2(size_t k)
{
    return 1000.0 + (double)k;
}

static double
f_nan_at_7(size_t k)
{
    return k == 7 ? (double)NAN : 1.0;
}

static void
write_mat(const char *path, const struct mat_var *vars, size_t count)
{
    mat_t *mat = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    assert_non_null(mat);
    for (size_t v = 0; v < count; v++) {
        size_t n = vars[v].n;
        size_t dims[2] = {vars[v].is_column ? n : 1, vars[v].is_column ? 1 : n};
        void *data = malloc(n * sizeof(double));
        assert_non_null(data);
        for (size_t k = 0; k < n; k++) {
            if (vars[v].cls == MAT_C_SINGLE) {
                ((float *)data)[k] = (float)vars[v].fn(k);
            } else {
                ((double *)data)[k] = vars[v].fn(k);
            }
        }
        matvar_t *mv = Mat_VarCreate(vars[v].name, vars[v].cls,
                                     vars[v].cls == MAT_C_SINGLE ? MAT_T_SINGLE : MAT_T_DOUBLE, 2,
                                     dims, data, 0);
        assert_non_null(mv);
        assert_int_equal(Mat_VarWrite(mat, mv, v % 2 ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE),
                         0);
        Mat_VarFree(mv);
        free(data);
    }
    assert_int_equal(Mat_Close(mat), 0);
}

enum {
    MN = 1000
};

static const struct mat_var mat_good[] = {
    {"time",      MAT_C_DOUBLE, MN, false, f_time},
    {"voltage",   MAT_C_SINGLE, MN, true,  f_u   },
    {"current_a", MAT_C_DOUBLE, MN, false, f_i   },
    {"voltageB",  MAT_C_DOUBLE, MN, true,  f_u2  },
    {"current",   MAT_C_DOUBLE, MN, true,  f_u2  },
};

static void
test_mat_synthetic(void **state)
{
    char path[300];
    struct drain d;
    struct mtrd_source_spec sp;
    struct mtrd_source *src = NULL;

    (void)state;
    path_in(path, sizeof(path), g_tmp, "good.mat");
    write_mat(path, mat_good, MTR_ARRAY_COUNT(mat_good));
    sp = spec_for(MTRD_SOURCE_MAT, path);
    sp.phase_count = 1;
    /* exact "current" is preferred over "current_a", which comes first */
    assert_int_equal(mtrd_mat_open(&sp, &src, d.err, sizeof(d.err)), MTR_OK);
    expect_fs("mat", src->info.fs_Hz, 8000.0);
    assert_string_equal(src->info.u_name[0], "voltage");
    assert_string_equal(src->info.i_name[0], "current");
    assert_int_equal(src->info.sample_count, MN);
    drain_source(src, true, &d);
    src->ops->close(src);
    assert_int_equal(d.n, MN);
    for (size_t k = 0; k < MN; k++) {
        if (d.all[2 * k] != (float)f_u(k) || d.all[2 * k + 1] != (float)f_u2(k)) {
            fail_msg("mat sample %zu: %g %g", k, (double)d.all[2 * k], (double)d.all[2 * k + 1]);
        }
    }
    free(d.all);
    /* two phases by name, rate given */
    sp.phase_count = 0;
    strcpy(sp.u_name[0], "voltageB");
    strcpy(sp.u_name[1], "voltage");
    strcpy(sp.i_name[0], "current_a");
    strcpy(sp.i_name[1], "current");
    sp.fs_Hz = 1234.0;
    assert_int_equal(mtrd_mat_open(&sp, &src, d.err, sizeof(d.err)), MTR_OK);
    assert_int_equal(src->info.phase_count, 2);
    assert_true(src->info.fs_Hz == 1234.0);
    drain_source(src, true, &d);
    src->ops->close(src);
    assert_int_equal(d.n, MN);
    for (size_t k = 0; k < MN; k++) {
        const float *x = &d.all[4 * k];
        if (x[0] != (float)f_u2(k) || x[1] != (float)f_u(k) || x[2] != (float)f_i(k) ||
            x[3] != (float)f_u2(k)) {
            fail_msg("mat 2-phase sample %zu", k);
        }
    }
    free(d.all);
}

struct mat_bad_row {
    const char *name;
    struct mat_var vars[3];
    const char *i_name;
    double fs_Hz;
    enum mtr_err want;
    const char *want1;
    const char *want2;
};

static const struct mat_bad_row mat_bad_rows[] = {
    {"lengths differ",
     {{"time", MAT_C_DOUBLE, 10, false, f_time},
      {"voltage", MAT_C_DOUBLE, 10, false, f_u},
      {"current", MAT_C_DOUBLE, 9, false, f_i}},
     "",               0.0,
     MTR_EPROTO, "'voltage' has 10",
     "'current' 9"      },
    {"time length differs",
     {{"time", MAT_C_DOUBLE, 11, false, f_time},
      {"voltage", MAT_C_DOUBLE, 10, false, f_u},
      {"current", MAT_C_DOUBLE, 10, false, f_i}},
     "",               0.0,
     MTR_EPROTO, "'time' has 11",
     "10"               },
    {"NaN at 7",
     {{"time", MAT_C_DOUBLE, 10, false, f_time},
      {"voltage", MAT_C_DOUBLE, 10, false, f_u},
      {"current", MAT_C_DOUBLE, 10, true, f_nan_at_7}},
     "",               0.0,
     MTR_EPROTO, "variable 'current'",
     "sample 7"         },
    {"no time, no rate",
     {{"voltage", MAT_C_DOUBLE, 10, false, f_u}, {"current", MAT_C_DOUBLE, 10, false, f_i}},
     "",               0.0,
     MTR_EINVAL, "rate",
     NULL               },
    {"unknown variable",
     {{"time", MAT_C_DOUBLE, 10, false, f_time},
      {"voltage", MAT_C_DOUBLE, 10, false, f_u},
      {"current", MAT_C_DOUBLE, 10, false, f_i}},
     "currentSensor3", 0.0,
     MTR_EINVAL, "'currentSensor3' not found",
     "'time', 'voltage'"},
};

static void
test_mat_bad_synthetic(void **state)
{
    (void)state;
    for (size_t r = 0; r < MTR_ARRAY_COUNT(mat_bad_rows); r++) {
        const struct mat_bad_row *row = &mat_bad_rows[r];
        char path[300];
        struct drain d;
        struct mtrd_source_spec sp;
        size_t count = row->vars[2].name != NULL ? 3 : 2;

        path_in(path, sizeof(path), g_tmp, "bad.mat");
        (void)unlink(path);
        write_mat(path, row->vars, count);
        sp = spec_for(MTRD_SOURCE_MAT, path);
        sp.fs_Hz = row->fs_Hz;
        (void)snprintf(sp.i_name[0], sizeof(sp.i_name[0]), "%s", row->i_name);
        enum mtr_err rc = open_drain(&sp, &d, false);
        if (rc != row->want) {
            fail_msg("%s: got %d want %d (%s)", row->name, (int)rc, (int)row->want, d.err);
        }
        expect_msg(row->name, d.err, path, row->want1);
        if (row->want2 != NULL) {
            expect_msg(row->name, d.err, row->want2, NULL);
        }
    }
}

/* Truncations of the real kettle file and garbage: an error, never a crash. */
static void
test_mat_corrupt(void **state)
{
    static const size_t cuts[] = {0,    64,    127,     128,           200,
                                  1000, 50000, 1000000, 2207409 - 100, 2207409 - 1};
    char src_path[512];
    char path[300];
    unsigned char *all;
    FILE *f;
    size_t len;
    struct drain d;
    struct mtrd_source_spec sp;

    (void)state;
    (void)snprintf(src_path, sizeof(src_path), "%s/" DRZ KETTLE ".mat", g_data);
    f = fopen(src_path, "rb");
    assert_non_null(f);
    all = malloc(2207409);
    assert_non_null(all);
    len = fread(all, 1, 2207409, f);
    assert_int_equal(len, 2207409);
    (void)fclose(f);
    path_in(path, sizeof(path), g_tmp, "cut.mat");
    for (size_t c = 0; c < MTR_ARRAY_COUNT(cuts); c++) {
        char name[64];
        (void)snprintf(name, sizeof(name), "truncated at %zu", cuts[c]);
        write_file(path, all, cuts[c]);
        sp = spec_for(MTRD_SOURCE_MAT, path);
        enum mtr_err rc = open_drain(&sp, &d, false);
        if (rc == MTR_OK) {
            fail_msg("%s: accepted (%zu samples)", name, d.n);
        }
        if (rc != MTR_EPROTO) {
            fail_msg("%s: got %d, want MTR_EPROTO (%s)", name, (int)rc, d.err);
        }
        expect_msg(name, d.err, path, NULL);
    }
    /* garbage: random bytes, then random bytes behind a real 128-byte header */
    uint32_t seed = 12345u;
    for (int g = 0; g < 2; g++) {
        for (size_t k = g == 0 ? 0 : 128; k < 4096; k++) {
            seed = seed * 1103515245u + 12345u; /* fixed LCG: reproducible garbage */
            all[k] = (unsigned char)(seed >> 16);
        }
        write_file(path, all, 4096);
        sp = spec_for(MTRD_SOURCE_MAT, path);
        enum mtr_err rc = open_drain(&sp, &d, false);
        if (rc != MTR_EPROTO) {
            fail_msg("garbage %d: got %d, want MTR_EPROTO (%s)", g, (int)rc, d.err);
        }
        expect_msg("garbage", d.err, path, NULL);
    }
    free(all);
}

/* ---- main ----------------------------------------------------------------------------------- */

static int
make_tmp(void **state)
{
    (void)state;
    (void)snprintf(g_tmp, sizeof(g_tmp), "%s/mtr-sources-XXXXXX",
                   getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(g_tmp) != NULL ? 0 : -1;
}

static int
remove_tmp(void **state)
{
    DIR *dir = opendir(g_tmp);
    struct dirent *e;
    char path[600];

    (void)state;
    if (dir == NULL) {
        return -1;
    }
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            (void)snprintf(path, sizeof(path), "%s/%s", g_tmp, e->d_name);
            (void)unlink(path);
        }
    }
    (void)closedir(dir);
    return rmdir(g_tmp);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_reference),
        cmocka_unit_test(test_mat_equals_csv),
        cmocka_unit_test(test_csv_pipe),
        cmocka_unit_test(test_csv_semicolon_crlf),
        cmocka_unit_test(test_csv_three_phase),
        cmocka_unit_test(test_csv_no_time),
        cmocka_unit_test(test_csv_bad),
        cmocka_unit_test(test_csv_long_line_and_missing),
        cmocka_unit_test(test_csv_error_after_good_rows),
        cmocka_unit_test(test_csv_helpers),
        cmocka_unit_test(test_raw_formats),
        cmocka_unit_test(test_raw_stdin_short_reads),
        cmocka_unit_test(test_raw_bad),
        cmocka_unit_test(test_mat_synthetic),
        cmocka_unit_test(test_mat_bad_synthetic),
        cmocka_unit_test(test_mat_corrupt),
    };

    if (argc > 1) {
        g_data = argv[1];
    }
    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
