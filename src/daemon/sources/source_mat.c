/*
 * MATLAB .mat sample source (level 5, and 7.3 when libmatio has HDF5), read with libmatio.
 *
 * Channels are variables chosen by name (csv_int.h: "time"/"t", "voltage",
 * "current" or the first "current*", or spec->u_name/i_name). Each is a real
 * double or single vector (1xN or Nx1), all of the same length. A .mat file is
 * read whole by libmatio (compressed variables cannot be read in parts), so the
 * selected vectors are loaded at open and converted to float32 once, which
 * halves the memory. The rate is (N - 1) / (t_last - t_first) from the time
 * variable, or spec->fs_Hz. libmatio's messages are captured, not printed, and
 * every return of libmatio is checked: a truncated or garbage file is an error,
 * never a crash.
 */
#include "csv_int.h"

#include "log/errf.h"
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <matio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Most samples per variable: 2^26 (56 min at 20 kHz, 256 MiB as float32 per channel). */
#define MAT_MAX_SAMPLES ((size_t)1 << 26)
/* Variables scanned in a file before giving up (garbage could look like a long list). */
#define MAT_MAX_VARS    4096

struct mat_src {
    struct mtrd_source base; /* First member: the daemon sees a struct mtrd_source. */
    char name[256];
    size_t n;   /* Samples per channel. */
    size_t pos; /* Next sample to deliver. */
    size_t channel_count;
    float *ch[2 * MTRD_SOURCE_MAX_PHASES]; /* U1..Un, I1..In, each n long. */
};

/* A table of what the file holds, filled by one pass over the variable headers. */
struct mat_dir {
    size_t count;
    char names[MTRD_CSV_MAX_NAMES][MTRD_SOURCE_NAME_CAP];
};

/*
 * libmatio reports through a process-wide log function; the last message of this
 * thread is kept to be quoted in our error (libmatio would print it on stderr).
 */
static _Thread_local char mat_last_msg[256];
/* Set when libmatio logs an error or a critical message (a warning does not count). */
static _Thread_local bool mat_had_error;

static void
mat_log(int log_level, char *message)
{
    if ((log_level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL)) != 0) {
        mat_had_error = true;
    }
    (void)snprintf(mat_last_msg, sizeof(mat_last_msg), "%s", message != NULL ? message : "");
}

static const char *
matio_says(void)
{
    return mat_last_msg[0] != '\0' ? mat_last_msg : "no detail";
}

static enum mtr_err
mat_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    struct mat_src *s = (struct mat_src *)src;
    size_t n;

    if (x == NULL || got == NULL || max_samples == 0) {
        return MTR_EINVAL;
    }
    *got = 0;
    if (s->pos >= s->n) {
        return MTR_EOF;
    }
    n = s->n - s->pos < max_samples ? s->n - s->pos : max_samples;
    for (size_t k = 0; k < n; k++) {
        for (size_t c = 0; c < s->channel_count; c++) {
            x[k * s->channel_count + c] = s->ch[c][s->pos + k];
        }
    }
    s->pos += n;
    *got = n;
    return MTR_OK;
}

static void
mat_close(struct mtrd_source *src)
{
    struct mat_src *s = (struct mat_src *)src;

    if (s == NULL) {
        return;
    }
    for (size_t c = 0; c < MTR_ARRAY_COUNT(s->ch); c++) {
        free(s->ch[c]);
    }
    free(s);
}

static const struct mtrd_source_ops mat_ops = {
    .read = mat_read,
    .close = mat_close,
};

/* List the variable names; only the headers are read. */
static enum mtr_err
scan_dir(mat_t *mat, const char *file, struct mat_dir *dir, char *err, size_t err_cap)
{
    matvar_t *v;
    size_t seen = 0;

    dir->count = 0;
    if (Mat_Rewind(mat) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot rewind: %s", file, matio_says());
        return MTR_EIO;
    }
    mat_last_msg[0] = '\0';
    mat_had_error = false;
    while (seen < MAT_MAX_VARS && (v = Mat_VarReadNextInfo(mat)) != NULL) {
        seen++;
        if (v->name != NULL && v->name[0] != '\0' && strlen(v->name) < MTRD_SOURCE_NAME_CAP &&
            dir->count < MTRD_CSV_MAX_NAMES) {
            memcpy(dir->names[dir->count++], v->name, strlen(v->name) + 1);
        }
        Mat_VarFree(v);
    }
    if (mat_had_error) {
        /* libmatio stops the listing at a damaged variable and says why only in its log */
        mtrd_errf(err, err_cap, "%s: truncated or corrupt after %zu variable(s): %s", file, seen,
                  matio_says());
        return MTR_EPROTO;
    }
    if (dir->count == 0) {
        mtrd_errf(err, err_cap, "%s: no readable variable (not a MAT file, or corrupt: %s)", file,
                  matio_says());
        return MTR_EPROTO;
    }
    return MTR_OK;
}

/* Check that a variable is a real vector of double or single and say its length. */
static enum mtr_err
check_shape(const matvar_t *v, const char *file, size_t *len, char *err, size_t err_cap)
{
    size_t n = 1;
    size_t non_one = 0;

    if (v->class_type != MAT_C_DOUBLE && v->class_type != MAT_C_SINGLE) {
        mtrd_errf(err, err_cap, "%s: variable '%s': class %d is not double or single", file,
                  v->name, (int)v->class_type);
        return MTR_ENOTSUP;
    }
    if (v->isComplex) {
        mtrd_errf(err, err_cap, "%s: variable '%s' is complex", file, v->name);
        return MTR_ENOTSUP;
    }
    if (v->rank < 1 || v->rank > 8 || v->dims == NULL) {
        mtrd_errf(err, err_cap, "%s: variable '%s': bad rank %d", file, v->name, v->rank);
        return MTR_EPROTO;
    }
    for (int d = 0; d < v->rank; d++) {
        if (v->dims[d] != 1) {
            non_one++;
        }
        if (v->dims[d] > MAT_MAX_SAMPLES) {
            n = MAT_MAX_SAMPLES + 1;
        } else {
            n *= v->dims[d];
        }
    }
    if (non_one > 1) {
        mtrd_errf(err, err_cap, "%s: variable '%s' is not a vector (rank %d, %zux%zu...)", file,
                  v->name, v->rank, v->dims[0], v->rank > 1 ? v->dims[1] : (size_t)1);
        return MTR_ENOTSUP;
    }
    if (n == 0 || n > MAT_MAX_SAMPLES) {
        mtrd_errf(err, err_cap, "%s: variable '%s': %zu samples (allowed 1..%zu)", file, v->name, n,
                  MAT_MAX_SAMPLES);
        return n == 0 ? MTR_EPROTO : MTR_ENOTSUP;
    }
    *len = n;
    return MTR_OK;
}

/* Read one variable whole; its data are checked to be there in full. */
static enum mtr_err
load_var(mat_t *mat,
         const char *file,
         const char *var,
         matvar_t **out,
         size_t *len,
         char *err,
         size_t err_cap)
{
    matvar_t *v;
    enum mtr_err rc;
    size_t elem;

    mat_last_msg[0] = '\0';
    v = Mat_VarReadInfo(mat, var);
    if (v == NULL) {
        mtrd_errf(err, err_cap, "%s: variable '%s': cannot read header: %s", file, var,
                  matio_says());
        return MTR_EPROTO;
    }
    rc = check_shape(v, file, len, err, err_cap);
    Mat_VarFree(v);
    if (rc != MTR_OK) {
        return rc;
    }
    v = Mat_VarRead(mat, var);
    if (v == NULL) {
        mtrd_errf(err, err_cap, "%s: variable '%s': cannot read data (truncated or corrupt?): %s",
                  file, var, matio_says());
        return MTR_EPROTO;
    }
    elem = v->class_type == MAT_C_DOUBLE ? sizeof(double) : sizeof(float);
    rc = check_shape(v, file, len, err, err_cap);
    if (rc == MTR_OK &&
        (v->data == NULL || v->nbytes < *len * elem || (size_t)v->data_size != elem)) {
        mtrd_errf(err, err_cap, "%s: variable '%s': data missing or short (truncated?): %s", file,
                  var, matio_says());
        rc = MTR_EPROTO;
    }
    if (rc != MTR_OK) {
        Mat_VarFree(v);
        return rc;
    }
    *out = v;
    return MTR_OK;
}

static double
elem_at(const matvar_t *v, size_t k)
{
    if (v->class_type == MAT_C_DOUBLE) {
        return ((const double *)v->data)[k];
    }
    return (double)((const float *)v->data)[k];
}

/* Copy a variable to float32, rejecting values that are not finite as float32. */
static enum mtr_err
to_floats(const matvar_t *v, size_t n, float *dst, const char *file, char *err, size_t err_cap)
{
    for (size_t k = 0; k < n; k++) {
        double d = elem_at(v, k);
        if (!isfinite(d) || fabs(d) > (double)FLT_MAX) {
            mtrd_errf(err, err_cap, "%s: variable '%s': sample %zu (0-based) is not finite (%g)",
                      file, v->name, k, d);
            return MTR_EPROTO;
        }
        dst[k] = (float)d;
    }
    return MTR_OK;
}

/* fs = (N - 1) / (t_last - t_first): exact for a clock rounded to 1 us (SOURCE.md). */
static enum mtr_err
rate_from_time(mat_t *mat,
               const char *file,
               const char *var,
               size_t n_want,
               double *fs,
               char *err,
               size_t err_cap)
{
    matvar_t *t = NULL;
    size_t n = 0;
    enum mtr_err rc = load_var(mat, file, var, &t, &n, err, err_cap);

    if (rc != MTR_OK) {
        return rc;
    }
    for (size_t k = 0; k < n && rc == MTR_OK; k++) {
        if (!isfinite(elem_at(t, k))) {
            mtrd_errf(err, err_cap, "%s: variable '%s': sample %zu (0-based) is not finite", file,
                      var, k);
            rc = MTR_EPROTO;
        } else if (k > 0 && !(elem_at(t, k) > elem_at(t, k - 1))) {
            /* a time base that does not increase is corrupt data (e.g. a damaged zlib block) */
            mtrd_errf(
                err, err_cap,
                "%s: variable '%s': time does not increase at sample %zu (0-based): %.9g after "
                "%.9g",
                file, var, k, elem_at(t, k), elem_at(t, k - 1));
            rc = MTR_EPROTO;
        }
    }
    if (rc == MTR_OK && n != n_want) {
        mtrd_errf(err, err_cap,
                  "%s: variables differ in length: '%s' has %zu samples, the signals %zu", file,
                  var, n, n_want);
        rc = MTR_EPROTO;
    }
    if (rc == MTR_OK) {
        double span = elem_at(t, n - 1) - elem_at(t, 0);
        if (n < 2 || !(span > 0.0)) {
            mtrd_errf(err, err_cap,
                      "%s: variable '%s': cannot derive the sample rate (%zu samples, span %g s); "
                      "set the rate",
                      file, var, n, span);
            rc = MTR_EPROTO;
        } else {
            *fs = (double)(n - 1) / span;
        }
    }
    Mat_VarFree(t);
    return rc;
}

/* Load U1..Un, I1..In as float32 into s->ch, all of one length. */
static enum mtr_err
load_signals(struct mat_src *s,
             mat_t *mat,
             const struct mat_dir *dir,
             const struct mtrd_csv_map *map,
             char *err,
             size_t err_cap)
{
    const char *first_name = NULL;
    enum mtr_err rc = MTR_OK;

    for (size_t c = 0; c < s->channel_count && rc == MTR_OK; c++) {
        size_t p = c % map->phase_count;
        const char *var = dir->names[c < map->phase_count ? map->u_idx[p] : map->i_idx[p]];
        matvar_t *v = NULL;
        size_t n = 0;

        rc = load_var(mat, s->name, var, &v, &n, err, err_cap);
        if (rc != MTR_OK) {
            break;
        }
        if (c == 0) {
            s->n = n;
            first_name = var;
        } else if (n != s->n) {
            mtrd_errf(err, err_cap,
                      "%s: variables differ in length: '%s' has %zu samples, '%s' %zu", s->name,
                      first_name, s->n, var, n);
            rc = MTR_EPROTO;
        }
        if (rc == MTR_OK) {
            s->ch[c] = malloc(n * sizeof(float));
            if (s->ch[c] == NULL) {
                mtrd_errf(err, err_cap, "%s: out of memory for '%s' (%zu samples)", s->name, var,
                          n);
                rc = MTR_ENOMEM;
            }
        }
        if (rc == MTR_OK) {
            rc = to_floats(v, n, s->ch[c], s->name, err, err_cap);
        }
        Mat_VarFree(v);
    }
    return rc;
}

static void
fill_info(struct mat_src *s, const struct mat_dir *dir, const struct mtrd_csv_map *map, double fs)
{
    struct mtrd_source_info *in = &s->base.info;

    in->fs_Hz = fs;
    in->phase_count = map->phase_count;
    in->sample_count = s->n;
    for (size_t p = 0; p < map->phase_count; p++) {
        memcpy(in->u_name[p], dir->names[map->u_idx[p]], MTRD_SOURCE_NAME_CAP);
        memcpy(in->i_name[p], dir->names[map->i_idx[p]], MTRD_SOURCE_NAME_CAP);
    }
    (void)snprintf(in->desc, sizeof(in->desc), "MAT %.120s, %.3f Hz, %u phase(s), %zu samples",
                   s->name, fs, (unsigned)map->phase_count, s->n);
}

/* Everything between Mat_Open and Mat_Close. */
static enum mtr_err
read_file(
    struct mat_src *s, mat_t *mat, const struct mtrd_source_spec *spec, char *err, size_t err_cap)
{
    struct mat_dir *dir = malloc(sizeof(*dir));
    const char *names[MTRD_CSV_MAX_NAMES];
    struct mtrd_csv_map map;
    double fs = spec->fs_Hz;
    enum mtr_err rc;

    if (dir == NULL) {
        mtrd_errf(err, err_cap, "%s: out of memory", s->name);
        return MTR_ENOMEM;
    }
    rc = scan_dir(mat, s->name, dir, err, err_cap);
    if (rc != MTR_OK) {
        goto out;
    }
    for (size_t k = 0; k < dir->count; k++) {
        names[k] = dir->names[k];
    }
    rc = mtrd_csv_map_channels(names, dir->count, spec, "variable", s->name, &map, err, err_cap);
    if (rc != MTR_OK) {
        goto out;
    }
    if (!(fs > 0.0) && map.time_idx < 0) {
        mtrd_errf(err, err_cap, "%s: no time variable ('time' or 't') and no sample rate given",
                  s->name);
        rc = MTR_EINVAL;
        goto out;
    }
    s->channel_count = (size_t)2 * map.phase_count;
    rc = load_signals(s, mat, dir, &map, err, err_cap);
    if (rc == MTR_OK && !(fs > 0.0)) {
        rc = rate_from_time(mat, s->name, dir->names[map.time_idx], s->n, &fs, err, err_cap);
    }
    if (rc == MTR_OK) {
        fill_info(s, dir, &map, fs);
    }
out:
    free(dir);
    return rc;
}

static uint32_t
get_u32(const unsigned char *b, bool is_swapped)
{
    if (is_swapped) {
        return (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
    }
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/*
 * Walk the top-level data elements of a level 5 file and check that each fits
 * in the file. libmatio seeks past a compressed variable without reading it, so
 * a truncated file would otherwise look like a shorter, valid one. This gives
 * the byte offset of the damage. Other files (v7.3, v4, garbage) are left to
 * libmatio. Spec: MATLAB 5.0 MAT-file format, "Data Element Format".
 */
static enum mtr_err
walk_v5(FILE *f, const char *file, char *err, size_t err_cap)
{
    enum {
        HDR_LEN = 128,
        TAG_LEN = 8,
        MI_COMPRESSED = 15
    };
    unsigned char hdr[HDR_LEN];
    unsigned char tag[TAG_LEN];
    uint64_t size;
    uint64_t off = HDR_LEN;
    bool is_swapped;

    if (fseeko(f, 0, SEEK_END) != 0 || ftello(f) < 0) {
        return MTR_OK; /* not seekable: libmatio will say */
    }
    size = (uint64_t)ftello(f);
    rewind(f);
    if (fread(hdr, 1, HDR_LEN, f) != HDR_LEN) {
        return MTR_OK; /* shorter than a v5 header: libmatio rejects it */
    }
    if (hdr[126] == 'I' && hdr[127] == 'M') {
        is_swapped = false;
    } else if (hdr[126] == 'M' && hdr[127] == 'I') {
        is_swapped = true;
    } else {
        return MTR_OK; /* no v5 endian indicator */
    }
    if ((is_swapped ? hdr[124] : hdr[125]) != 0x01) {
        return MTR_OK; /* version 0x0200 is v7.3 (HDF5) */
    }
    for (size_t k = 0; k < MAT_MAX_VARS && off < size; k++) {
        if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(tag, 1, TAG_LEN, f) != TAG_LEN) {
            mtrd_errf(err, err_cap, "%s: byte offset %" PRIu64 ": truncated element tag", file,
                      off);
            return MTR_EPROTO;
        }
        uint32_t type = get_u32(tag, is_swapped);
        uint64_t len = get_u32(tag + 4, is_swapped);
        if ((type >> 16) != 0) {
            len = 0; /* small data element: data inside the tag */
        } else if (type != MI_COMPRESSED) {
            len = (len + 7u) & ~(uint64_t)7u; /* uncompressed elements are 8-byte aligned */
        }
        if (off + TAG_LEN + len > size) {
            mtrd_errf(err, err_cap,
                      "%s: byte offset %" PRIu64 ": element of %" PRIu64
                      " bytes runs past the end of the file (%" PRIu64 " bytes): truncated",
                      file, off, len, size);
            return MTR_EPROTO;
        }
        off += TAG_LEN + len;
    }
    return MTR_OK;
}

enum mtr_err
mtrd_mat_open(const struct mtrd_source_spec *spec,
              struct mtrd_source **out,
              char *err,
              size_t err_cap)
{
    struct mat_src *s;
    mat_t *mat;
    FILE *f;
    enum mtr_err rc;

    if (spec == NULL || out == NULL || spec->path == NULL || spec->path[0] == '\0') {
        mtrd_errf(err, err_cap, "mat: a file path is required");
        return MTR_EINVAL;
    }
    /* libmatio says only "could not open"; ask the OS first to tell "missing" apart. */
    f = fopen(spec->path, "rb");
    if (f == NULL) {
        int e = errno;
        mtrd_errf(err, err_cap, "%s: cannot open: %s", spec->path, strerror(e));
        return e == ENOENT ? MTR_ENOENT : MTR_EIO;
    }
    rc = walk_v5(f, spec->path, err, err_cap);
    (void)fclose(f); /* read-only probe */
    if (rc != MTR_OK) {
        return rc;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        mtrd_errf(err, err_cap, "%s: out of memory", spec->path);
        return MTR_ENOMEM;
    }
    s->base.ops = &mat_ops;
    (void)snprintf(s->name, sizeof(s->name), "%s", spec->path);
    (void)Mat_LogInitFunc("meterd", mat_log); /* idempotent; keeps libmatio off stderr */
    mat_last_msg[0] = '\0';
    mat = Mat_Open(spec->path, MAT_ACC_RDONLY);
    if (mat == NULL) {
        mtrd_errf(err, err_cap, "%s: not a MATLAB v5/v7.3 file or unreadable (%s)", spec->path,
                  matio_says());
        mat_close(&s->base);
        return MTR_EPROTO;
    }
    if (Mat_GetVersion(mat) == MAT_FT_MAT4) {
        /* v4 has no header, so libmatio takes any garbage for it: treat it as malformed. */
        mtrd_errf(err, err_cap,
                  "%s: no MATLAB v5 header at byte offset 0 (garbage, or a v4 file, which is not "
                  "supported)",
                  spec->path);
        rc = MTR_EPROTO;
    } else {
        rc = read_file(s, mat, spec, err, err_cap);
    }
    (void)Mat_Close(mat); /* read-only: a failing close loses nothing */
    if (rc != MTR_OK) {
        mat_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return MTR_OK;
}
