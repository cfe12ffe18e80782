/*
 * CSV sample source: a header row naming the columns, then one sample per line.
 *
 * The file is streamed line by line through a fixed buffer, so a file of any
 * size is read in constant memory. The rate comes from spec->fs_Hz or from the
 * time column as (N - 1) / (t_last - t_first): on a seekable file a first pass
 * counts the data lines and reads the last one; on a pipe the first two rows
 * give 1 / (t1 - t0). The channel-name helpers here are shared with the MAT
 * reader (csv_int.h). Every error names the file and the line (1-based).
 */
#include "csv_int.h"

#include "log/errf.h"
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Bytes read from the stream at a time. */
#define CSV_BUF_CAP     65536
/* Columns delivered per row: time, then U1..U3, I1..I3. */
#define CSV_ROW_CAP     (1 + 2 * MTRD_SOURCE_MAX_PHASES)
/* Rows buffered at open on a pipe to learn the rate from t1 - t0. */
#define CSV_PENDING_CAP 2
/* Longest numeric field accepted (a repr() double is at most 24 characters). */
#define CSV_NUM_CAP     64

/* Buffered line reader over a FILE*. */
struct csv_lr {
    FILE *f;
    size_t pos;
    size_t len;
    bool is_eof;
    uint64_t line_no;  /* Number of the line last returned, 1-based. */
    uint64_t consumed; /* Bytes of the lines returned so far. */
    unsigned char buf[CSV_BUF_CAP];
    char line[MTRD_CSV_LINE_CAP];
};

struct csv_src {
    struct mtrd_source base; /* First member: the daemon sees a struct mtrd_source. */
    FILE *f;
    bool is_owner;
    char name[256];
    char sep;
    size_t col_count;
    char cols[MTRD_CSV_MAX_COLS][MTRD_SOURCE_NAME_CAP];
    struct mtrd_csv_map map;
    double pending[CSV_PENDING_CAP][CSV_ROW_CAP];
    size_t pending_count;
    size_t pending_pos;
    enum mtr_err sticky; /* Error to return from the next read (MTR_OK: none). */
    struct csv_lr lr;
};

static bool
prefix_ci(const char *s, const char *prefix)
{
    while (*prefix != '\0') {
        if (tolower((unsigned char)*s) != *prefix) {
            return false;
        }
        s++;
        prefix++;
    }
    return true;
}

static bool
eq_ci(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
            return false;
        }
        a++;
        b++;
    }
    return *a == *b;
}

/* A one-letter prefix counts only when followed by end, a digit or a delimiter. */
static bool
letter_tag(const char *s, char c1, char c2)
{
    int c = tolower((unsigned char)s[0]);
    const char *rest = s[0] != '\0' ? s + 1 : s;
    char n = *rest;

    if (c != c1 && c != c2) {
        return false;
    }
    return n == '\0' || isdigit((unsigned char)n) || n == '_' || n == '[' || n == '(' || n == '-' ||
           n == ' ';
}

enum mtrd_csv_kind
mtrd_csv_classify(const char *name)
{
    if (name == NULL) {
        return MTRD_CSV_KIND_OTHER;
    }
    if (prefix_ci(name, "time") ||
        (letter_tag(name, 't', 't') && !isdigit((unsigned char)name[1]))) {
        return MTRD_CSV_KIND_TIME;
    }
    if (prefix_ci(name, "voltage") || letter_tag(name, 'u', 'v')) {
        return MTRD_CSV_KIND_U;
    }
    if (prefix_ci(name, "current") || letter_tag(name, 'i', 'i')) {
        return MTRD_CSV_KIND_I;
    }
    return MTRD_CSV_KIND_OTHER;
}

/* "a, b, c" into buf, for messages. */
static void
list_names(const char *const *names, size_t count, char *buf, size_t cap)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t k = 0; k < count && used + 1 < cap; k++) {
        int n = snprintf(buf + used, cap - used, "%s'%s'", k > 0 ? ", " : "", names[k]);
        if (n < 0) {
            return;
        }
        used += (size_t)n;
    }
    if (count == 0) {
        (void)snprintf(buf, cap, "(none)");
    }
}

static int
find_name(const char *const *names, size_t count, const char *want)
{
    for (size_t k = 0; k < count; k++) {
        if (strcmp(names[k], want) == 0) {
            return (int)k;
        }
    }
    for (size_t k = 0; k < count; k++) {
        if (eq_ci(names[k], want)) {
            return (int)k;
        }
    }
    return -1;
}

/*
 * Candidates of one kind in preference order: the exact generic names first
 * ("voltage"/"current", "time"/"t"), then file order. Returns how many.
 */
static size_t
candidates(enum mtrd_csv_kind kind, const char *const *names, size_t count, int *out)
{
    static const char *const exact[][2] = {
        [MTRD_CSV_KIND_OTHER] = {"",        "" },
        [MTRD_CSV_KIND_TIME] = {"time",    "t"},
        [MTRD_CSV_KIND_U] = {"voltage", "u"},
        [MTRD_CSV_KIND_I] = {"current", "i"},
    };
    size_t n = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < count; k++) {
            bool is_exact = eq_ci(names[k], exact[kind][0]) || eq_ci(names[k], exact[kind][1]);
            if (mtrd_csv_classify(names[k]) == kind && is_exact == (pass == 0)) {
                out[n++] = (int)k;
            }
        }
    }
    return n;
}

static uint8_t
wanted_phases(const struct mtrd_source_spec *spec, size_t n_u, size_t n_i)
{
    uint8_t named = 0;

    if (spec->phase_count > 0) {
        return spec->phase_count;
    }
    for (uint8_t p = 0; p < MTRD_SOURCE_MAX_PHASES; p++) {
        if (spec->u_name[p][0] != '\0' || spec->i_name[p][0] != '\0') {
            named = (uint8_t)(p + 1);
        }
    }
    if (named > 0) {
        return named;
    }
    size_t n = n_u < n_i ? n_u : n_i;
    if (n > MTRD_SOURCE_MAX_PHASES) {
        n = MTRD_SOURCE_MAX_PHASES;
    }
    return n == 0 ? 1 : (uint8_t)n;
}

/* Pick one channel of a phase: by explicit name, else the p-th candidate. */
static enum mtr_err
pick(const char *const *names,
     size_t count,
     const char *want,
     const int *cand,
     size_t cand_count,
     size_t p,
     const char *quantity,
     const char *what,
     const char *file,
     int *idx,
     char *err,
     size_t err_cap)
{
    char avail[MTRD_SOURCE_ERR_CAP / 2];

    list_names(names, count, avail, sizeof(avail));
    if (want[0] != '\0') {
        *idx = find_name(names, count, want);
        if (*idx < 0) {
            mtrd_errf(err, err_cap, "%s: %s '%s' not found; available: %s", file, what, want,
                      avail);
            return MTR_EINVAL;
        }
        return MTR_OK;
    }
    if (p >= cand_count) {
        mtrd_errf(err, err_cap, "%s: no %s %s for phase %zu (found %zu); available: %s", file,
                  quantity, what, p + 1, cand_count, avail);
        return MTR_EINVAL;
    }
    *idx = cand[p];
    return MTR_OK;
}

enum mtr_err
mtrd_csv_map_channels(const char *const *names,
                      size_t count,
                      const struct mtrd_source_spec *spec,
                      const char *what,
                      const char *file,
                      struct mtrd_csv_map *map,
                      char *err,
                      size_t err_cap)
{
    int cu[MTRD_CSV_MAX_NAMES];
    int ci[MTRD_CSV_MAX_NAMES];
    int ct[MTRD_CSV_MAX_NAMES];
    struct mtrd_csv_map m;
    enum mtr_err rc;

    if (names == NULL || spec == NULL || map == NULL || count > MTRD_CSV_MAX_NAMES) {
        mtrd_errf(err, err_cap, "%s: too many %ss (%zu, at most %d)", file ? file : "?",
                  what ? what : "channel", count, MTRD_CSV_MAX_NAMES);
        return MTR_EINVAL;
    }
    size_t n_u = candidates(MTRD_CSV_KIND_U, names, count, cu);
    size_t n_i = candidates(MTRD_CSV_KIND_I, names, count, ci);
    size_t n_t = candidates(MTRD_CSV_KIND_TIME, names, count, ct);

    memset(&m, 0, sizeof(m));
    m.time_idx = n_t > 0 ? ct[0] : -1;
    m.phase_count = wanted_phases(spec, n_u, n_i);
    if (m.phase_count > MTRD_SOURCE_MAX_PHASES) {
        mtrd_errf(err, err_cap, "%s: phase count %u out of range 1..%d", file,
                  (unsigned)m.phase_count, MTRD_SOURCE_MAX_PHASES);
        return MTR_EINVAL;
    }
    for (size_t p = 0; p < m.phase_count; p++) {
        rc = pick(names, count, spec->u_name[p], cu, n_u, p, "voltage", what, file, &m.u_idx[p],
                  err, err_cap);
        if (rc != MTR_OK) {
            return rc;
        }
        rc = pick(names, count, spec->i_name[p], ci, n_i, p, "current", what, file, &m.i_idx[p],
                  err, err_cap);
        if (rc != MTR_OK) {
            return rc;
        }
    }
    *map = m;
    return MTR_OK;
}

char
mtrd_csv_detect_sep(const char *line)
{
    size_t commas = 0;
    size_t semis = 0;

    for (const char *s = line; s != NULL && *s != '\0'; s++) {
        commas += *s == ',';
        semis += *s == ';';
    }
    return semis > commas ? ';' : ',';
}

static char *
trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

enum mtr_err
mtrd_csv_split(char *line, char sep, char **fields, size_t cap, size_t *count)
{
    size_t n = 0;
    bool is_quoted = false;
    char *start = line;

    if (line == NULL || fields == NULL || count == NULL || cap == 0) {
        return MTR_EINVAL;
    }
    for (char *s = line;; s++) {
        if (*s == '"') {
            is_quoted = !is_quoted;
        } else if ((*s == sep && !is_quoted) || *s == '\0') {
            bool is_end = *s == '\0';
            if (n == cap) {
                *count = cap + 1;
                return MTR_ENOSPC;
            }
            *s = '\0';
            fields[n++] = trim(start);
            start = s + 1;
            if (is_end) {
                break;
            }
        }
    }
    *count = n;
    return is_quoted ? MTR_EPROTO : MTR_OK;
}

enum mtr_err
mtrd_csv_parse_num(const char *field, char sep, double *out)
{
    char tmp[CSV_NUM_CAP];
    size_t n;
    char *end = NULL;
    double v;

    if (field == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    n = strlen(field);
    if (n == 0 || n >= sizeof(tmp)) {
        return MTR_EPROTO;
    }
    memcpy(tmp, field, n + 1);
    for (size_t k = 0; k < n; k++) {
        if (sep == ';' && tmp[k] == ',') {
            tmp[k] = '.'; /* decimal comma, usual with ';' separators */
        }
        /* strtod would skip leading blanks and accept hex; neither belongs in a field. */
        if (isspace((unsigned char)tmp[k]) || tmp[k] == 'x' || tmp[k] == 'X') {
            return MTR_EPROTO;
        }
    }
    errno = 0;
    v = strtod(tmp, &end);
    if (end == tmp || *end != '\0') {
        return MTR_EPROTO;
    }
    if (!isfinite(v)) {
        return MTR_ERANGE;
    }
    *out = v;
    return MTR_OK;
}

/* ---- line reader ---------------------------------------------------------------------------- */

static void
lr_reset(struct csv_lr *lr, FILE *f)
{
    lr->f = f;
    lr->pos = 0;
    lr->len = 0;
    lr->is_eof = false;
    lr->line_no = 0;
    lr->consumed = 0;
}

/* Next line without its LF/CRLF into lr->line. MTR_EOF at the end. */
static enum mtr_err
lr_next(struct csv_lr *lr, const char *name, char *err, size_t err_cap)
{
    size_t n = 0;
    bool has_any = false;

    for (;;) {
        if (lr->pos == lr->len) {
            if (lr->is_eof) {
                break;
            }
            lr->len = fread(lr->buf, 1, sizeof(lr->buf), lr->f);
            lr->pos = 0;
            if (lr->len < sizeof(lr->buf)) {
                if (ferror(lr->f)) {
                    mtrd_errf(err, err_cap, "%s:%" PRIu64 ": read error: %s", name, lr->line_no + 1,
                              strerror(errno));
                    return MTR_EIO;
                }
                lr->is_eof = true;
            }
            continue;
        }
        unsigned char c = lr->buf[lr->pos++];
        lr->consumed++;
        has_any = true;
        if (c == '\n') {
            break;
        }
        if (c == '\0') {
            mtrd_errf(err, err_cap, "%s:%" PRIu64 ": NUL byte in a text line", name,
                      lr->line_no + 1);
            return MTR_EPROTO;
        }
        if (n + 1 >= sizeof(lr->line)) {
            mtrd_errf(err, err_cap, "%s:%" PRIu64 ": line longer than %d bytes", name,
                      lr->line_no + 1, MTRD_CSV_LINE_CAP - 1);
            return MTR_EPROTO;
        }
        lr->line[n++] = (char)c;
    }
    if (!has_any) {
        return MTR_EOF;
    }
    if (n > 0 && lr->line[n - 1] == '\r') {
        n--;
    }
    lr->line[n] = '\0';
    lr->line_no++;
    return MTR_OK;
}

static bool
is_blank(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r') {
            return false;
        }
    }
    return true;
}

/* Next non-blank line, or MTR_EOF. */
static enum mtr_err
lr_next_data(struct csv_lr *lr, const char *name, char *err, size_t err_cap)
{
    enum mtr_err rc;

    do {
        rc = lr_next(lr, name, err, err_cap);
    } while (rc == MTR_OK && is_blank(lr->line));
    return rc;
}

/* ---- rows ----------------------------------------------------------------------------------- */

/* Parse the current line of lr into row[time, U1..Un, I1..In]. */
static enum mtr_err
parse_row(struct csv_src *s, char *line, uint64_t line_no, double *row)
{
    char *fields[MTRD_CSV_MAX_COLS];
    size_t n = 0;
    int idx[CSV_ROW_CAP];
    size_t k;
    enum mtr_err rc = mtrd_csv_split(line, s->sep, fields, MTRD_CSV_MAX_COLS, &n);

    if (rc == MTR_EPROTO) {
        mtrd_errf(s->base.err, sizeof(s->base.err), "%s:%" PRIu64 ": unterminated quote", s->name,
                  line_no);
        return MTR_EPROTO;
    }
    if (rc != MTR_OK || n != s->col_count) {
        mtrd_errf(s->base.err, sizeof(s->base.err),
                  "%s:%" PRIu64 ": expected %zu fields, got %s%zu", s->name, line_no, s->col_count,
                  rc == MTR_ENOSPC ? "more than " : "",
                  rc == MTR_ENOSPC ? (size_t)MTRD_CSV_MAX_COLS : n);
        return MTR_EPROTO;
    }
    idx[0] = s->map.time_idx;
    for (k = 0; k < s->map.phase_count; k++) {
        idx[1 + k] = s->map.u_idx[k];
        idx[1 + s->map.phase_count + k] = s->map.i_idx[k];
    }
    for (k = 0; k < 1u + (size_t)2 * s->map.phase_count; k++) {
        if (idx[k] < 0) {
            row[k] = 0.0;
            continue;
        }
        const char *fv = fields[idx[k]];
        rc = mtrd_csv_parse_num(fv, s->sep, &row[k]);
        if (rc == MTR_OK && k > 0 && fabs(row[k]) > (double)FLT_MAX) {
            rc = MTR_ERANGE;
        }
        if (rc != MTR_OK) {
            mtrd_errf(s->base.err, sizeof(s->base.err), "%s:%" PRIu64 ": column '%s': %s '%.40s'",
                      s->name, line_no, s->cols[idx[k]],
                      rc == MTR_ERANGE ? "value not finite or out of range" : "not a number", fv);
            return MTR_EPROTO;
        }
    }
    return MTR_OK;
}

static void
row_to_floats(const struct csv_src *s, const double *row, float *x)
{
    for (size_t k = 0; k < (size_t)2 * s->map.phase_count; k++) {
        x[k] = (float)row[1 + k];
    }
}

static enum mtr_err
csv_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    struct csv_src *s = (struct csv_src *)src;
    size_t ch = (size_t)2 * s->map.phase_count;
    size_t n = 0;
    double row[CSV_ROW_CAP];
    enum mtr_err rc = MTR_OK;

    if (x == NULL || got == NULL || max_samples == 0) {
        return MTR_EINVAL;
    }
    *got = 0;
    if (s->sticky != MTR_OK) {
        return s->sticky;
    }
    while (n < max_samples && s->pending_pos < s->pending_count) {
        row_to_floats(s, s->pending[s->pending_pos++], &x[n * ch]);
        n++;
    }
    while (n < max_samples) {
        rc = lr_next_data(&s->lr, s->name, s->base.err, sizeof(s->base.err));
        if (rc == MTR_OK) {
            rc = parse_row(s, s->lr.line, s->lr.line_no, row);
        }
        if (rc != MTR_OK) {
            break;
        }
        row_to_floats(s, row, &x[n * ch]);
        n++;
    }
    if (rc != MTR_OK) {
        s->sticky = rc; /* an error or the end stays for every later call */
    }
    *got = n;
    return n > 0 ? MTR_OK : rc;
}

static void
csv_close(struct mtrd_source *src)
{
    struct csv_src *s = (struct csv_src *)src;

    if (s == NULL) {
        return;
    }
    if (s->f != NULL && s->is_owner) {
        (void)fclose(s->f); /* read-only stream: nothing to lose on close */
    }
    free(s);
}

static const struct mtrd_source_ops csv_ops = {
    .read = csv_read,
    .close = csv_close,
};

/* ---- open ----------------------------------------------------------------------------------- */

static enum mtr_err
parse_header(struct csv_src *s)
{
    char *fields[MTRD_CSV_MAX_COLS];
    size_t n = 0;
    enum mtr_err rc = lr_next_data(&s->lr, s->name, s->base.err, sizeof(s->base.err));

    if (rc == MTR_EOF) {
        mtrd_errf(s->base.err, sizeof(s->base.err), "%s:1: empty file, expected a header row",
                  s->name);
        return MTR_EPROTO;
    }
    if (rc != MTR_OK) {
        return rc;
    }
    s->sep = mtrd_csv_detect_sep(s->lr.line);
    rc = mtrd_csv_split(s->lr.line, s->sep, fields, MTRD_CSV_MAX_COLS, &n);
    if (rc != MTR_OK) {
        mtrd_errf(s->base.err, sizeof(s->base.err), "%s:%" PRIu64 ": header: %s", s->name,
                  s->lr.line_no, rc == MTR_ENOSPC ? "more than 64 columns" : "unterminated quote");
        return MTR_EPROTO;
    }
    for (size_t k = 0; k < n; k++) {
        if (strlen(fields[k]) >= MTRD_SOURCE_NAME_CAP) {
            mtrd_errf(s->base.err, sizeof(s->base.err),
                      "%s:%" PRIu64 ": header: column %zu name longer than %d bytes", s->name,
                      s->lr.line_no, k + 1, MTRD_SOURCE_NAME_CAP - 1);
            return MTR_EPROTO;
        }
        memcpy(s->cols[k], fields[k], strlen(fields[k]) + 1);
    }
    s->col_count = n;
    return MTR_OK;
}

static enum mtr_err
map_columns(struct csv_src *s, const struct mtrd_source_spec *spec)
{
    const char *names[MTRD_CSV_MAX_COLS];
    char msg[MTRD_SOURCE_ERR_CAP];
    enum mtr_err rc;

    for (size_t k = 0; k < s->col_count; k++) {
        names[k] = s->cols[k];
    }
    rc = mtrd_csv_map_channels(names, s->col_count, spec, "column", s->name, &s->map, msg,
                               sizeof(msg));
    if (rc != MTR_OK) {
        memcpy(s->base.err, msg, sizeof(msg));
    }
    return rc;
}

/*
 * Seekable stream: count the data rows and parse the last one, then come back
 * to the first data row. Uses a second reader so the main one keeps its line numbers.
 */
static enum mtr_err
prescan(struct csv_src *s, uint64_t *rows, double *t_last)
{
    struct csv_lr *lr = malloc(sizeof(*lr));
    off_t start = (off_t)s->lr.consumed;
    enum mtr_err rc;
    double row[CSV_ROW_CAP];
    uint64_t n = 0;
    char *last = s->lr.line; /* the main reader's line buffer is free until the rewind */
    uint64_t last_no = 0;

    if (lr == NULL) {
        mtrd_errf(s->base.err, sizeof(s->base.err), "%s: out of memory", s->name);
        return MTR_ENOMEM;
    }
    lr_reset(lr, s->f);
    lr->line_no = s->lr.line_no;
    lr->consumed = s->lr.consumed;
    if (fseeko(s->f, start, SEEK_SET) != 0) {
        rc = MTR_EIO;
        mtrd_errf(s->base.err, sizeof(s->base.err), "%s: seek: %s", s->name, strerror(errno));
        goto out;
    }
    while ((rc = lr_next_data(lr, s->name, s->base.err, sizeof(s->base.err))) == MTR_OK) {
        n++;
        last_no = lr->line_no;
        memcpy(last, lr->line, strlen(lr->line) + 1);
    }
    if (rc != MTR_EOF) {
        goto out;
    }
    rc = MTR_OK;
    if (n > 0 && s->map.time_idx >= 0) {
        rc = parse_row(s, last, last_no, row);
        *t_last = row[0];
    }
    *rows = n;
    if (rc == MTR_OK && fseeko(s->f, start, SEEK_SET) != 0) {
        rc = MTR_EIO;
        mtrd_errf(s->base.err, sizeof(s->base.err), "%s: seek: %s", s->name, strerror(errno));
    }
    clearerr(s->f);
    s->lr.pos = 0;
    s->lr.len = 0;
    s->lr.is_eof = false;
out:
    free(lr);
    return rc;
}

/* Rate from the time column (or spec), and the row count when the stream is seekable. */
static enum mtr_err
find_rate(struct csv_src *s, const struct mtrd_source_spec *spec)
{
    bool is_seekable = ftello(s->f) >= 0;
    uint64_t rows = 0;
    double t_last = 0.0;
    enum mtr_err rc;

    if (spec->fs_Hz <= 0.0 && s->map.time_idx < 0) {
        mtrd_errf(s->base.err, sizeof(s->base.err),
                  "%s:%" PRIu64 ": no time column (t or time*) and no sample rate given", s->name,
                  s->lr.line_no);
        return MTR_EINVAL;
    }
    if (is_seekable) {
        rc = prescan(s, &rows, &t_last);
        if (rc != MTR_OK) {
            return rc;
        }
        s->base.info.sample_count = rows;
    }
    if (spec->fs_Hz > 0.0) {
        s->base.info.fs_Hz = spec->fs_Hz;
        return MTR_OK;
    }
    /* The first rows are needed either way: the first time, and on a pipe the second. */
    size_t want = is_seekable ? 1 : 2;
    for (; s->pending_count < want; s->pending_count++) {
        rc = lr_next_data(&s->lr, s->name, s->base.err, sizeof(s->base.err));
        if (rc == MTR_EOF) {
            break;
        }
        if (rc == MTR_OK) {
            rc = parse_row(s, s->lr.line, s->lr.line_no, s->pending[s->pending_count]);
        }
        if (rc != MTR_OK) {
            return rc;
        }
    }
    double t0 = s->pending[0][0];
    double t1 = is_seekable ? t_last : s->pending[1][0];
    double n1 = is_seekable ? (double)rows - 1.0 : 1.0;
    double fs = n1 / (t1 - t0);
    if (s->pending_count < want || (is_seekable && rows < 2) || !(t1 > t0) || !isfinite(fs)) {
        mtrd_errf(s->base.err, sizeof(s->base.err),
                  "%s: cannot derive the sample rate from column '%s' (%s rows, first %.9g, last "
                  "%.9g); set the rate",
                  s->name, s->cols[s->map.time_idx], is_seekable ? "counted" : "first two",
                  s->pending_count > 0 ? t0 : 0.0, t1);
        return MTR_EPROTO;
    }
    s->base.info.fs_Hz = fs;
    return MTR_OK;
}

static void
fill_info(struct csv_src *s)
{
    struct mtrd_source_info *in = &s->base.info;

    in->phase_count = s->map.phase_count;
    for (size_t p = 0; p < s->map.phase_count; p++) {
        memcpy(in->u_name[p], s->cols[s->map.u_idx[p]], MTRD_SOURCE_NAME_CAP);
        memcpy(in->i_name[p], s->cols[s->map.i_idx[p]], MTRD_SOURCE_NAME_CAP);
    }
    (void)snprintf(in->desc, sizeof(in->desc), "CSV %.120s, %.3f Hz, %u phase(s), %" PRIu64 "%s",
                   s->name, in->fs_Hz, (unsigned)in->phase_count, in->sample_count,
                   in->sample_count > 0 ? " samples" : " (length unknown)");
}

enum mtr_err
mtrd_csv_open_stream(FILE *f,
                     const char *name,
                     const struct mtrd_source_spec *spec,
                     struct mtrd_source **out,
                     char *err,
                     size_t err_cap)
{
    struct csv_src *s;
    enum mtr_err rc;

    if (f == NULL || spec == NULL || out == NULL) {
        if (f != NULL) {
            (void)fclose(f); /* owned from the call on */
        }
        mtrd_errf(err, err_cap, "csv: invalid argument");
        return MTR_EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        (void)fclose(f); /* owned from the call on */
        mtrd_errf(err, err_cap, "%s: out of memory", name ? name : "csv");
        return MTR_ENOMEM;
    }
    s->base.ops = &csv_ops;
    s->f = f;
    s->is_owner = f != stdin;
    (void)snprintf(s->name, sizeof(s->name), "%s", name != NULL ? name : "(stream)");
    lr_reset(&s->lr, f);
    rc = parse_header(s);
    if (rc == MTR_OK) {
        rc = map_columns(s, spec);
    }
    if (rc == MTR_OK) {
        rc = find_rate(s, spec);
    }
    if (rc != MTR_OK) {
        mtrd_errf(err, err_cap, "%s", s->base.err);
        csv_close(&s->base);
        return rc;
    }
    fill_info(s);
    *out = &s->base;
    return MTR_OK;
}

enum mtr_err
mtrd_csv_open(const struct mtrd_source_spec *spec,
              struct mtrd_source **out,
              char *err,
              size_t err_cap)
{
    FILE *f;
    const char *path;

    if (spec == NULL || out == NULL) {
        mtrd_errf(err, err_cap, "csv: invalid argument");
        return MTR_EINVAL;
    }
    path = spec->path;
    if (path == NULL || path[0] == '\0' || strcmp(path, "-") == 0) {
        return mtrd_csv_open_stream(stdin, "(stdin)", spec, out, err, err_cap);
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        mtrd_errf(err, err_cap, "%s: cannot open: %s", path, strerror(e));
        return e == ENOENT ? MTR_ENOENT : MTR_EIO;
    }
    return mtrd_csv_open_stream(f, path, spec, out, err, err_cap);
}
