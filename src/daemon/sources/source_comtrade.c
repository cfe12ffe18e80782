/*
 * COMTRADE sample source (Linux edge): reads an IEEE C37.111 recording, the
 * .cfg text and its .dat beside it, and delivers the chosen voltage and current
 * channels in volts and amperes, interleaved [sample][U1..Un I1..In].
 *
 * Supported: revisions 1991, 1999 and 2013; .dat types ASCII, BINARY (int16),
 * BINARY32 (int32) and FLOAT32, little-endian; one or several sample-rate
 * segments of the same rate, or nrates = 0 with the time base taken from the
 * per-sample timestamps times timemult. Engineering value = a*x + b, then the
 * unit prefix of uu (kV, mA ...) and, on request, the primary/secondary ratio.
 * Missing values (0x8000, 0x80000000, 99999 / blank in ASCII) and non-finite
 * floats are errors that name the file, the channel and the byte offset or line:
 * a meter must not integrate invented samples.
 *
 * The cfg parser keeps no state besides the struct it fills, so it is also the
 * target of fuzz/fuzz_comtrade_cfg.c (parse, write back, parse, compare).
 */
#include "comtrade_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "log/errf.h"
#include "meterd/compiler.h"
#include "meterd/err.h"

/** Most comma-separated fields on a cfg line (analog line: 13). */
#define CFG_MAX_FIELDS     16
/** Longest numeric field accepted, bytes (a double needs < 30; leave room for padding zeros). */
#define NUM_CAP            64
/** 1999 ASCII missing-data code (C37.111-1999 clause 7.3). */
#define ASCII_MISSING_1999 99999.0
/** Binary missing-data codes (C37.111-1999 7.4, -2013 8.4). */
#define BIN16_MISSING      0x8000u
#define BIN32_MISSING      0x80000000u
/** Records read per fread() for binary files. */
#define READ_CHUNK_RECORDS 256u
/** Bytes of sample number + timestamp that open every record (C37.111-2013 8.4.2). */
#define REC_HEADER_LEN     8u

_Static_assert(sizeof(float) == 4, "FLOAT32 records need a 4-byte float");

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */

/** Last path component, for messages. */
static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

/* ------------------------------------------------------------------------- */
/* cfg lines and fields                                                      */

struct field {
    const char *p;
    size_t n;
};

struct cfg_reader {
    const char *text;
    size_t len;
    size_t pos;
    unsigned line_no;
    const char *name;
    char *err;
    size_t err_cap;
};

/** Next line without its line end; false at the end of the text or at a Ctrl-Z. */
static bool
next_line(struct cfg_reader *r, const char **line, size_t *line_len)
{
    size_t start = r->pos;
    size_t end;

    if (r->pos >= r->len || r->text[r->pos] == 0x1A) {
        return false;
    }
    end = start;
    while (end < r->len && r->text[end] != '\n') {
        end++;
    }
    r->pos = end < r->len ? end + 1 : end;
    r->line_no++;
    if (end > start && r->text[end - 1] == '\r') {
        end--;
    }
    *line = r->text + start;
    *line_len = end - start;
    return true;
}

/** True if the rest of the text holds only white space (and Ctrl-Z). */
static bool
rest_is_blank(const struct cfg_reader *r)
{
    for (size_t i = r->pos; i < r->len; i++) {
        char c = r->text[i];
        if (c == 0x1A) {
            return true;
        }
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return false;
        }
    }
    return true;
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct field
trim(const char *p, size_t n)
{
    struct field f;

    while (n > 0 && is_blank(*p)) {
        p++;
        n--;
    }
    while (n > 0 && is_blank(p[n - 1])) {
        n--;
    }
    f.p = p;
    f.n = n;
    return f;
}

/** Split at commas; returns the number of fields (only the first cap are stored). */
static size_t
split_fields(const char *line, size_t len, struct field *f, size_t cap)
{
    size_t count = 0;
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == ',') {
            if (count < cap) {
                f[count] = trim(line + start, i - start);
            }
            count++;
            start = i + 1;
        }
    }
    return count;
}

static bool
field_text(struct field f, char *out, size_t cap)
{
    if (f.n >= cap) {
        return false;
    }
    for (size_t i = 0; i < f.n; i++) {
        if ((unsigned char)f.p[i] < 0x20u || f.p[i] == 0x7F) {
            return false;
        }
    }
    memcpy(out, f.p, f.n);
    out[f.n] = '\0';
    return true;
}

static bool
field_u64(struct field f, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;

    if (f.n > 0 && f.p[0] == '+') {
        i = 1;
    }
    if (i >= f.n) {
        return false;
    }
    for (; i < f.n; i++) {
        unsigned d;
        if (f.p[i] < '0' || f.p[i] > '9') {
            return false;
        }
        d = (unsigned)(f.p[i] - '0');
        if (d > max || v > (max - d) / 10u) {
            return false;
        }
        v = v * 10u + d;
    }
    *out = v;
    return true;
}

static bool
field_double(struct field f, double *out)
{
    char buf[NUM_CAP];
    char *end = NULL;
    double v;

    if (f.n == 0 || f.n >= sizeof(buf)) {
        return false;
    }
    for (size_t i = 0; i < f.n; i++) {
        char c = f.p[i];
        /* digits, sign, point, exponent only: no "nan", "inf" or hex floats */
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E')) {
            return false;
        }
    }
    memcpy(buf, f.p, f.n);
    buf[f.n] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (end != buf + f.n || !isfinite(v) || errno == ERANGE) {
        return false;
    }
    *out = v;
    return true;
}

static enum mtr_err
cfg_fail(struct cfg_reader *r, enum mtr_err code, const char *fmt, ...)
{
    va_list ap;
    char what[256];

    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof(what), fmt, ap); /* truncation acceptable */
    va_end(ap);
    mtrd_errf(r->err, r->err_cap, "%s:%u: %s", r->name, r->line_no, what);
    return code;
}

/** Next line, split; fails with a message naming `what` at the end of the text. */
static enum mtr_err
cfg_fields(struct cfg_reader *r, const char *what, struct field *f, size_t *count)
{
    const char *line;
    size_t len;

    if (!next_line(r, &line, &len)) {
        r->line_no++;
        return cfg_fail(r, MTR_EPROTO, "unexpected end of file, expected %s", what);
    }
    *count = split_fields(line, len, f, CFG_MAX_FIELDS);
    return MTR_OK;
}

/* ------------------------------------------------------------------------- */
/* cfg sections                                                              */

static enum mtr_err
parse_station(struct cfg_reader *r, struct mtrd_comtrade_cfg *cfg)
{
    struct field f[CFG_MAX_FIELDS];
    size_t n;
    uint64_t rev;
    enum mtr_err rc = cfg_fields(r, "station line", f, &n);

    if (rc != MTR_OK) {
        return rc;
    }
    if (n < 2 || n > 3) {
        return cfg_fail(r, MTR_EPROTO, "station line: expected 2 or 3 fields, got %zu", n);
    }
    if (!field_text(f[0], cfg->station, sizeof(cfg->station)) ||
        !field_text(f[1], cfg->device, sizeof(cfg->device))) {
        return cfg_fail(r, MTR_EPROTO, "station line: name too long or control character");
    }
    if (n == 2 || f[2].n == 0) {
        cfg->rev_year = 1991;
        return MTR_OK;
    }
    if (!field_u64(f[2], 9999, &rev)) {
        return cfg_fail(r, MTR_EPROTO, "station line: bad revision year '%.*s'", (int)f[2].n,
                        f[2].p);
    }
    if (rev != 1991 && rev != 1999 && rev != 2013) {
        return cfg_fail(r, MTR_ENOTSUP,
                        "revision year %" PRIu64 " not supported (1991, 1999, 2013)", rev);
    }
    cfg->rev_year = (uint16_t)rev;
    return MTR_OK;
}

/** "31A" / "32D": a count with a one-letter suffix. */
static bool
field_count(struct field f, char suffix, uint64_t *out)
{
    if (f.n < 2 || toupper((unsigned char)f.p[f.n - 1]) != suffix) {
        return false;
    }
    f.n--;
    return field_u64(f, MTRD_COMTRADE_MAX_CHANNELS, out);
}

static enum mtr_err
parse_counts(struct cfg_reader *r, struct mtrd_comtrade_cfg *cfg)
{
    struct field f[CFG_MAX_FIELDS];
    size_t n;
    uint64_t tt;
    uint64_t na;
    uint64_t nd;
    enum mtr_err rc = cfg_fields(r, "channel counts TT,##A,##D", f, &n);

    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 3) {
        return cfg_fail(r, MTR_EPROTO, "channel counts: expected TT,##A,##D, got %zu fields", n);
    }
    if (!field_u64(f[0], 2u * MTRD_COMTRADE_MAX_CHANNELS, &tt) || !field_count(f[1], 'A', &na) ||
        !field_count(f[2], 'D', &nd)) {
        return cfg_fail(r, MTR_EPROTO,
                        "channel counts: bad number (expected e.g. 6,4A,2D, at most "
                        "%u of each)",
                        MTRD_COMTRADE_MAX_CHANNELS);
    }
    if (tt != na + nd) {
        return cfg_fail(r, MTR_EPROTO,
                        "channel counts: total %" PRIu64 " is not %" PRIu64 "A + %" PRIu64 "D", tt,
                        na, nd);
    }
    cfg->analog_count = (uint32_t)na;
    cfg->digital_count = (uint32_t)nd;
    return MTR_OK;
}

static enum mtr_err
parse_analog(struct cfg_reader *r, struct mtrd_comtrade_analog *a)
{
    struct field f[CFG_MAX_FIELDS];
    size_t n;
    uint64_t idx;
    enum mtr_err rc = cfg_fields(r, "analog channel line", f, &n);

    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 10 && n != 13) {
        return cfg_fail(r, MTR_EPROTO, "analog channel line: expected 10 or 13 fields, got %zu", n);
    }
    if (!field_u64(f[0], UINT32_MAX, &idx)) {
        return cfg_fail(r, MTR_EPROTO, "analog channel line: bad index '%.*s'", (int)f[0].n,
                        f[0].p);
    }
    a->index = (uint32_t)idx;
    if (!field_text(f[1], a->id, sizeof(a->id)) || !field_text(f[2], a->ph, sizeof(a->ph)) ||
        !field_text(f[3], a->ccbm, sizeof(a->ccbm)) ||
        !field_text(f[4], a->unit, sizeof(a->unit))) {
        return cfg_fail(r, MTR_EPROTO,
                        "analog channel %" PRIu64 ": text field too long or control "
                        "character",
                        idx);
    }
    if (!field_double(f[5], &a->a) || !field_double(f[6], &a->b) ||
        !field_double(f[7], &a->skew_us) || !field_double(f[8], &a->min) ||
        !field_double(f[9], &a->max)) {
        return cfg_fail(r, MTR_EPROTO,
                        "analog channel %" PRIu64 " '%s': bad number in a,b,skew,min,max", idx,
                        a->id);
    }
    if (n == 10) {
        a->ps = 'P';
        return MTR_OK;
    }
    a->has_ratio = true;
    if (!field_double(f[10], &a->primary) || !field_double(f[11], &a->secondary) ||
        a->primary <= 0.0 || a->secondary <= 0.0) {
        return cfg_fail(r, MTR_EPROTO,
                        "analog channel %" PRIu64 " '%s': primary/secondary must be numbers > 0",
                        idx, a->id);
    }
    if (f[12].n != 1 ||
        (toupper((unsigned char)f[12].p[0]) != 'P' && toupper((unsigned char)f[12].p[0]) != 'S')) {
        return cfg_fail(r, MTR_EPROTO, "analog channel %" PRIu64 " '%s': PS must be P or S", idx,
                        a->id);
    }
    a->ps = (char)toupper((unsigned char)f[12].p[0]);
    return MTR_OK;
}

static enum mtr_err
parse_digital(struct cfg_reader *r, struct mtrd_comtrade_digital *d)
{
    struct field f[CFG_MAX_FIELDS];
    size_t n;
    uint64_t idx;
    uint64_t y;
    enum mtr_err rc = cfg_fields(r, "digital channel line", f, &n);

    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 3 && n != 5) {
        return cfg_fail(r, MTR_EPROTO, "digital channel line: expected 3 or 5 fields, got %zu", n);
    }
    if (!field_u64(f[0], UINT32_MAX, &idx)) {
        return cfg_fail(r, MTR_EPROTO, "digital channel line: bad index '%.*s'", (int)f[0].n,
                        f[0].p);
    }
    d->index = (uint32_t)idx;
    if (!field_text(f[1], d->id, sizeof(d->id)) ||
        (n == 5 && (!field_text(f[2], d->ph, sizeof(d->ph)) ||
                    !field_text(f[3], d->ccbm, sizeof(d->ccbm))))) {
        return cfg_fail(r, MTR_EPROTO, "digital channel %" PRIu64 ": text field too long", idx);
    }
    if (!field_u64(f[n - 1], 1, &y)) {
        return cfg_fail(r, MTR_EPROTO, "digital channel %" PRIu64 ": normal state must be 0 or 1",
                        idx);
    }
    d->normal = (uint8_t)y;
    return MTR_OK;
}

static enum mtr_err
parse_rates(struct cfg_reader *r, struct mtrd_comtrade_cfg *cfg)
{
    struct field f[CFG_MAX_FIELDS];
    size_t n;
    uint64_t v;
    double lf;
    enum mtr_err rc = cfg_fields(r, "line frequency", f, &n);

    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 1 || !field_double(f[0], &lf) || lf < 0.0 || lf > 1000.0) {
        return cfg_fail(r, MTR_EPROTO, "line frequency: expected one number 0..1000 Hz");
    }
    cfg->lf_Hz = lf;
    rc = cfg_fields(r, "nrates", f, &n);
    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 1 || !field_u64(f[0], MTRD_COMTRADE_MAX_RATES, &v)) {
        return cfg_fail(r, MTR_EPROTO, "nrates: expected an integer 0..%u",
                        MTRD_COMTRADE_MAX_RATES);
    }
    cfg->rate_count = (uint32_t)v;
    for (uint32_t i = 0; i < (cfg->rate_count == 0 ? 1u : cfg->rate_count); i++) {
        struct mtrd_comtrade_rate *rt = &cfg->rates[i];
        rc = cfg_fields(r, "samp,endsamp", f, &n);
        if (rc != MTR_OK) {
            return rc;
        }
        if (n != 2 || !field_double(f[0], &rt->samp_Hz) || !field_u64(f[1], UINT64_MAX / 2u, &v)) {
            return cfg_fail(r, MTR_EPROTO, "rate %u: expected samp,endsamp", i + 1u);
        }
        rt->endsamp = v;
        if (cfg->rate_count == 0 ? rt->samp_Hz != 0.0 : !(rt->samp_Hz > 0.0)) {
            return cfg_fail(r, MTR_EPROTO, "rate %u: samp must be > 0 (0 only when nrates = 0)",
                            i + 1u);
        }
        if (i > 0 && rt->endsamp <= cfg->rates[i - 1].endsamp) {
            return cfg_fail(r, MTR_EPROTO, "rate %u: endsamp does not increase", i + 1u);
        }
    }
    return MTR_OK;
}

/** Split "a/b/c" or "a:b:c" into three fields. */
static bool
split3(struct field f, char sep, struct field out[3])
{
    size_t k = 0;
    size_t start = 0;

    for (size_t i = 0; i <= f.n; i++) {
        if (i == f.n || f.p[i] == sep) {
            if (k == 3) {
                return false;
            }
            out[k].p = f.p + start;
            out[k].n = i - start;
            k++;
            start = i + 1;
        }
    }
    return k == 3;
}

static bool
parse_seconds(struct field f, struct mtrd_comtrade_datetime *dt)
{
    uint64_t s;
    size_t dot = 0;
    uint32_t frac = 0;
    uint32_t scale = 100000000u;

    while (dot < f.n && f.p[dot] != '.') {
        dot++;
    }
    if (!field_u64((struct field){f.p, dot}, 60, &s)) {
        return false;
    }
    if (dot < f.n) {
        if (dot + 1 == f.n) {
            return false;
        }
        for (size_t i = dot + 1; i < f.n; i++) {
            if (f.p[i] < '0' || f.p[i] > '9') {
                return false;
            }
            frac += (uint32_t)(f.p[i] - '0') * scale; /* digits past the 9th add 0 */
            scale /= 10u;
        }
    }
    dt->second = (uint8_t)s;
    dt->frac_ns = frac;
    return true;
}

static bool
parse_datetime(struct field date,
               struct field time,
               bool is_1991,
               struct mtrd_comtrade_datetime *dt)
{
    struct field d[3];
    struct field t[3];
    uint64_t dd;
    uint64_t mm;
    uint64_t yy;
    uint64_t hh;
    uint64_t mi;

    if (!split3(date, '/', d) || !split3(time, ':', t)) {
        return false;
    }
    if (!field_u64(is_1991 ? d[1] : d[0], 31, &dd) || !field_u64(is_1991 ? d[0] : d[1], 12, &mm) ||
        !field_u64(d[2], 9999, &yy) || !field_u64(t[0], 23, &hh) || !field_u64(t[1], 59, &mi) ||
        !parse_seconds(t[2], dt)) {
        return false;
    }
    if (d[2].n <= 2) { /* 1991 two-digit year */
        yy += yy >= 70u ? 1900u : 2000u;
    }
    if ((dd == 0) != (mm == 0)) {
        return false;
    }
    dt->year = (uint16_t)yy;
    dt->month = (uint8_t)mm;
    dt->day = (uint8_t)dd;
    dt->hour = (uint8_t)hh;
    dt->minute = (uint8_t)mi;
    return true;
}

/** Case-insensitive equality of a field and a word. */
static bool
field_is(struct field f, const char *word)
{
    size_t n = strlen(word);

    if (f.n != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (toupper((unsigned char)f.p[i]) != toupper((unsigned char)word[i])) {
            return false;
        }
    }
    return true;
}

/** 2013 time code: "+9", "-5h30", "0", "x" (unknown). */
static bool
parse_time_code(struct field f, bool *is_known, int16_t *minutes)
{
    struct field h = f;
    uint64_t hours;
    uint64_t mins = 0;
    int sign = 1;

    if (field_is(f, "x")) {
        *is_known = false;
        *minutes = 0;
        return true;
    }
    if (h.n > 0 && (h.p[0] == '+' || h.p[0] == '-')) {
        sign = h.p[0] == '-' ? -1 : 1;
        h.p++;
        h.n--;
    }
    for (size_t i = 0; i < h.n; i++) {
        if (h.p[i] == 'h' || h.p[i] == 'H') {
            struct field m = {h.p + i + 1, h.n - i - 1};
            if (!field_u64(m, 59, &mins)) {
                return false;
            }
            h.n = i;
            break;
        }
    }
    if (h.n == 0 || h.p[0] == '+' || !field_u64(h, 24, &hours)) {
        return false;
    }
    *is_known = true;
    *minutes = (int16_t)(sign * (int)(hours * 60u + mins));
    return true;
}

static enum mtr_err
parse_tail(struct cfg_reader *r, struct mtrd_comtrade_cfg *cfg)
{
    static const char *const ft_names[] = {"ASCII", "BINARY", "BINARY32", "FLOAT32"};
    struct field f[CFG_MAX_FIELDS];
    size_t n;
    bool is_1991 = cfg->rev_year == 1991;
    bool found = false;
    enum mtr_err rc;

    for (int k = 0; k < 2; k++) {
        struct mtrd_comtrade_datetime *dt = k == 0 ? &cfg->start : &cfg->trigger;
        rc = cfg_fields(r, k == 0 ? "start date-time" : "trigger date-time", f, &n);
        if (rc != MTR_OK) {
            return rc;
        }
        if (n != 2 || !parse_datetime(f[0], f[1], is_1991, dt)) {
            return cfg_fail(r, MTR_EPROTO, "bad %s date-time (expected %s,hh:mm:ss.ssssss)",
                            k == 0 ? "start" : "trigger", is_1991 ? "mm/dd/yy" : "dd/mm/yyyy");
        }
    }
    rc = cfg_fields(r, "file type", f, &n);
    if (rc != MTR_OK) {
        return rc;
    }
    for (size_t i = 0; i < MTR_ARRAY_COUNT(ft_names); i++) {
        if (n == 1 && field_is(f[0], ft_names[i])) {
            cfg->ft = (enum mtrd_comtrade_ft)i;
            found = true;
        }
    }
    if (!found) {
        return cfg_fail(r, MTR_ENOTSUP,
                        "file type '%.*s' not supported (ASCII, BINARY, BINARY32, "
                        "FLOAT32)",
                        n > 0 ? (int)f[0].n : 0, n > 0 ? f[0].p : "");
    }
    cfg->timemult = 1.0;
    if (is_1991 || rest_is_blank(r)) {
        return MTR_OK;
    }
    rc = cfg_fields(r, "timemult", f, &n);
    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 1 || !field_double(f[0], &cfg->timemult) || !(cfg->timemult > 0.0)) {
        return cfg_fail(r, MTR_EPROTO, "timemult: expected a number > 0");
    }
    if (rest_is_blank(r)) {
        return MTR_OK;
    }
    rc = cfg_fields(r, "time_code,local_code", f, &n);
    if (rc != MTR_OK) {
        return rc;
    }
    if (n != 2 || !parse_time_code(f[0], &cfg->is_time_code_known, &cfg->time_code_min) ||
        !parse_time_code(f[1], &cfg->is_local_code_known, &cfg->local_code_min)) {
        return cfg_fail(r, MTR_EPROTO, "time_code,local_code: expected e.g. +9,+9 or -5h30,x");
    }
    cfg->has_time_code = true;
    if (rest_is_blank(r)) {
        return MTR_OK;
    }
    rc = cfg_fields(r, "tmq_code,leapsec", f, &n);
    if (rc != MTR_OK) {
        return rc;
    }
    {
        uint64_t lsec;
        unsigned q;
        if (n != 2 || f[0].n != 1 || !isxdigit((unsigned char)f[0].p[0]) ||
            !field_u64(f[1], 3, &lsec)) {
            return cfg_fail(r, MTR_EPROTO, "tmq_code,leapsec: expected a hex digit and 0..3");
        }
        q = (unsigned)(isdigit((unsigned char)f[0].p[0])
                           ? f[0].p[0] - '0'
                           : toupper((unsigned char)f[0].p[0]) - 'A' + 10);
        cfg->tmq_code = (uint8_t)q;
        cfg->leapsec = (uint8_t)lsec;
        cfg->has_tmq = true;
    }
    if (!rest_is_blank(r)) {
        r->line_no++;
        return cfg_fail(r, MTR_EPROTO, "unexpected text after the last cfg line");
    }
    return MTR_OK;
}

static size_t
lines_left(const struct cfg_reader *r)
{
    size_t count = 0;

    for (size_t i = r->pos; i < r->len && r->text[i] != 0x1A; i++) {
        if (r->text[i] == '\n') {
            count++;
        }
    }
    return count + 1u;
}

static enum mtr_err
parse_cfg_body(struct cfg_reader *r, struct mtrd_comtrade_cfg *cfg)
{
    enum mtr_err rc = parse_station(r, cfg);

    if (rc == MTR_OK) {
        rc = parse_counts(r, cfg);
    }
    if (rc != MTR_OK) {
        return rc;
    }
    /* The channel lines must exist: this bounds the allocation by the input size. */
    if ((size_t)cfg->analog_count + cfg->digital_count > lines_left(r)) {
        return cfg_fail(r, MTR_EPROTO,
                        "channel counts: %u analog + %u digital lines announced, "
                        "the file is shorter",
                        cfg->analog_count, cfg->digital_count);
    }
    cfg->analog = calloc(cfg->analog_count + 1u, sizeof(*cfg->analog));
    cfg->digital = calloc(cfg->digital_count + 1u, sizeof(*cfg->digital));
    if (cfg->analog == NULL || cfg->digital == NULL) {
        mtrd_errf(r->err, r->err_cap, "%s: out of memory for %u channels", r->name,
                  cfg->analog_count + cfg->digital_count);
        return MTR_ENOMEM;
    }
    for (uint32_t i = 0; i < cfg->analog_count && rc == MTR_OK; i++) {
        rc = parse_analog(r, &cfg->analog[i]);
    }
    for (uint32_t i = 0; i < cfg->digital_count && rc == MTR_OK; i++) {
        rc = parse_digital(r, &cfg->digital[i]);
    }
    if (rc == MTR_OK) {
        rc = parse_rates(r, cfg);
    }
    if (rc == MTR_OK) {
        rc = parse_tail(r, cfg);
    }
    if (rc == MTR_OK && cfg->rev_year == 1991 && cfg->ft > MTRD_COMTRADE_BINARY) {
        return cfg_fail(r, MTR_EPROTO, "file type BINARY32/FLOAT32 needs revision 2013");
    }
    return rc;
}

enum mtr_err
mtrd_comtrade_parse_cfg(const char *text,
                        size_t len,
                        const char *name,
                        struct mtrd_comtrade_cfg *cfg,
                        char *err,
                        size_t err_cap)
{
    struct cfg_reader r;
    enum mtr_err rc;

    if (text == NULL || cfg == NULL) {
        mtrd_errf(err, err_cap, "comtrade: NULL argument");
        return MTR_EINVAL;
    }
    memset(cfg, 0, sizeof(*cfg));
    if (len > MTRD_COMTRADE_MAX_CFG_LEN) {
        mtrd_errf(err, err_cap, "%s: %zu bytes, more than a cfg can be (%u)", name ? name : "cfg",
                  len, MTRD_COMTRADE_MAX_CFG_LEN);
        return MTR_EPROTO;
    }
    r.text = text;
    r.len = len;
    r.pos = 0;
    r.line_no = 0;
    r.name = name != NULL ? name : "cfg";
    r.err = err;
    r.err_cap = err_cap;
    /* Byte order marks and blanks before the station name are not part of it: skip any
     * run of them (found by fuzzing: a BOM kept in the name became a real BOM once the
     * cfg was written back, so parse -> write -> parse differed). */
    for (;;) {
        if (r.pos < len && (text[r.pos] == ' ' || text[r.pos] == '\t')) {
            r.pos++;
        } else if (len - r.pos >= 3 && memcmp(text + r.pos, "\xEF\xBB\xBF", 3) == 0) {
            r.pos += 3;
        } else {
            break;
        }
    }
    rc = parse_cfg_body(&r, cfg);
    if (rc != MTR_OK) {
        mtrd_comtrade_cfg_free(cfg);
    }
    return rc;
}

void
mtrd_comtrade_cfg_free(struct mtrd_comtrade_cfg *cfg)
{
    if (cfg == NULL) {
        return;
    }
    free(cfg->analog);
    free(cfg->digital);
    memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------------------- */
/* cfg writer                                                                */

struct out_buf {
    char *p;
    size_t cap;
    size_t len;
};

static void
out_printf(struct out_buf *o, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;

    va_start(ap, fmt);
    n = vsnprintf(room > 0 ? o->p + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) {
        o->len += (size_t)n;
    }
}

static void
out_datetime(struct out_buf *o, const struct mtrd_comtrade_datetime *dt, bool is_1991)
{
    out_printf(o, "%02u/%02u/%04u,%02u:%02u:%02u.%09" PRIu32 "\r\n",
               (unsigned)(is_1991 ? dt->month : dt->day), (unsigned)(is_1991 ? dt->day : dt->month),
               (unsigned)dt->year, (unsigned)dt->hour, (unsigned)dt->minute, (unsigned)dt->second,
               dt->frac_ns);
}

static void
out_time_code(struct out_buf *o, bool is_known, int16_t minutes)
{
    int m = minutes < 0 ? -minutes : minutes;

    if (!is_known) {
        out_printf(o, "x");
    } else if (m % 60 == 0) {
        out_printf(o, "%c%d", minutes < 0 ? '-' : '+', m / 60);
    } else {
        out_printf(o, "%c%dh%02d", minutes < 0 ? '-' : '+', m / 60, m % 60);
    }
}

enum mtr_err
mtrd_comtrade_write_cfg(const struct mtrd_comtrade_cfg *cfg,
                        char *out,
                        size_t out_cap,
                        size_t *out_len)
{
    static const char *const ft_names[] = {"ASCII", "BINARY", "BINARY32", "FLOAT32"};
    struct out_buf o = {out, out_cap, 0};
    bool is_1991;

    if (cfg == NULL || out_len == NULL || (out == NULL && out_cap > 0)) {
        return MTR_EINVAL;
    }
    is_1991 = cfg->rev_year == 1991;
    if (is_1991) {
        out_printf(&o, "%s,%s\r\n", cfg->station, cfg->device);
    } else {
        out_printf(&o, "%s,%s,%u\r\n", cfg->station, cfg->device, (unsigned)cfg->rev_year);
    }
    out_printf(&o, "%" PRIu32 ",%" PRIu32 "A,%" PRIu32 "D\r\n",
               cfg->analog_count + cfg->digital_count, cfg->analog_count, cfg->digital_count);
    for (uint32_t i = 0; i < cfg->analog_count; i++) {
        const struct mtrd_comtrade_analog *a = &cfg->analog[i];
        out_printf(&o, "%" PRIu32 ",%s,%s,%s,%s,%.17g,%.17g,%.17g,%.17g,%.17g", a->index, a->id,
                   a->ph, a->ccbm, a->unit, a->a, a->b, a->skew_us, a->min, a->max);
        if (a->has_ratio) {
            out_printf(&o, ",%.17g,%.17g,%c", a->primary, a->secondary, a->ps);
        }
        out_printf(&o, "\r\n");
    }
    for (uint32_t i = 0; i < cfg->digital_count; i++) {
        const struct mtrd_comtrade_digital *d = &cfg->digital[i];
        out_printf(&o, "%" PRIu32 ",%s,%s,%s,%u\r\n", d->index, d->id, d->ph, d->ccbm,
                   (unsigned)d->normal);
    }
    out_printf(&o, "%.17g\r\n%" PRIu32 "\r\n", cfg->lf_Hz, cfg->rate_count);
    for (uint32_t i = 0; i < (cfg->rate_count == 0 ? 1u : cfg->rate_count); i++) {
        out_printf(&o, "%.17g,%" PRIu64 "\r\n", cfg->rates[i].samp_Hz, cfg->rates[i].endsamp);
    }
    out_datetime(&o, &cfg->start, is_1991);
    out_datetime(&o, &cfg->trigger, is_1991);
    out_printf(&o, "%s\r\n", ft_names[cfg->ft]);
    if (!is_1991) {
        out_printf(&o, "%.17g\r\n", cfg->timemult);
        if (cfg->has_time_code) {
            out_time_code(&o, cfg->is_time_code_known, cfg->time_code_min);
            out_printf(&o, ",");
            out_time_code(&o, cfg->is_local_code_known, cfg->local_code_min);
            out_printf(&o, "\r\n");
            if (cfg->has_tmq) {
                out_printf(&o, "%X,%u\r\n", (unsigned)cfg->tmq_code, (unsigned)cfg->leapsec);
            }
        }
    }
    *out_len = o.len;
    return o.len < out_cap ? MTR_OK : MTR_ENOSPC;
}

/* ------------------------------------------------------------------------- */
/* Records                                                                   */

static size_t
value_width(enum mtrd_comtrade_ft ft)
{
    return ft == MTRD_COMTRADE_BINARY ? 2u : 4u;
}

size_t
mtrd_comtrade_record_len(const struct mtrd_comtrade_cfg *cfg)
{
    if (cfg == NULL || cfg->ft == MTRD_COMTRADE_ASCII) {
        return 0;
    }
    return REC_HEADER_LEN + (size_t)cfg->analog_count * value_width(cfg->ft) +
           2u * (((size_t)cfg->digital_count + 15u) / 16u);
}

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum mtr_err
mtrd_comtrade_decode_binary(const struct mtrd_comtrade_cfg *cfg,
                            const uint8_t *rec,
                            double *values,
                            uint32_t *sample_no,
                            uint32_t *ts)
{
    const uint8_t *p;

    if (cfg == NULL || rec == NULL || values == NULL || sample_no == NULL || ts == NULL ||
        cfg->ft == MTRD_COMTRADE_ASCII) {
        return MTR_EINVAL;
    }
    *sample_no = le32(rec);
    *ts = le32(rec + 4);
    p = rec + REC_HEADER_LEN;
    for (uint32_t i = 0; i < cfg->analog_count; i++) {
        const struct mtrd_comtrade_analog *a = &cfg->analog[i];
        double x;
        if (cfg->ft == MTRD_COMTRADE_BINARY) {
            uint16_t u = (uint16_t)(p[0] | p[1] << 8);
            x = u == BIN16_MISSING ? (double)NAN
                                   : (double)(u >= 0x8000u ? (int32_t)u - 65536 : (int32_t)u);
            p += 2;
        } else if (cfg->ft == MTRD_COMTRADE_BINARY32) {
            uint32_t u = le32(p);
            x = u == BIN32_MISSING
                    ? (double)NAN
                    : (double)(u >= 0x80000000u ? (int64_t)u - 4294967296LL : (int64_t)u);
            p += 4;
        } else {
            uint32_t u = le32(p);
            float f;
            memcpy(&f, &u, sizeof(f));
            x = isfinite(f) ? (double)f : (double)NAN;
            p += 4;
        }
        values[i] = a->a * x + a->b;
        if (!isfinite(values[i])) {
            values[i] = (double)NAN;
        }
    }
    return MTR_OK;
}

/** Next comma-separated field of an ASCII record starting at *pos. */
static struct field
next_field(const char *line, size_t len, size_t *pos)
{
    size_t start = *pos;
    size_t i = start;

    while (i < len && line[i] != ',') {
        i++;
    }
    *pos = i + 1;
    return trim(line + start, i - start);
}

enum mtr_err
mtrd_comtrade_decode_ascii(const struct mtrd_comtrade_cfg *cfg,
                           const char *line,
                           size_t len,
                           double *values,
                           uint64_t *ts,
                           char *what,
                           size_t what_cap)
{
    size_t want;
    size_t count;
    size_t pos = 0;
    struct field f;
    double x;

    if (cfg == NULL || line == NULL || values == NULL || ts == NULL) {
        return MTR_EINVAL;
    }
    want = 2u + (size_t)cfg->analog_count + cfg->digital_count;
    count = split_fields(line, len, NULL, 0);
    if (count == want + 1u && trim(line, len).n > 0 &&
        trim(line, len).p[trim(line, len).n - 1] == ',') {
        count = want; /* one trailing comma is tolerated */
    }
    if (count != want) {
        mtrd_errf(what, what_cap,
                  "expected %zu fields (n, timestamp, %" PRIu32 " analog, %" PRIu32
                  " digital), got %zu",
                  want, cfg->analog_count, cfg->digital_count, count);
        return MTR_EPROTO;
    }
    f = next_field(line, len, &pos);
    if (!field_double(f, &x)) {
        mtrd_errf(what, what_cap, "bad sample number '%.*s'", (int)(f.n > 20 ? 20 : f.n), f.p);
        return MTR_EPROTO;
    }
    f = next_field(line, len, &pos);
    if (f.n == 0) {
        *ts = UINT64_MAX;
    } else if (!field_u64(f, UINT64_MAX / 2u, ts)) {
        mtrd_errf(what, what_cap, "bad timestamp '%.*s'", (int)(f.n > 20 ? 20 : f.n), f.p);
        return MTR_EPROTO;
    }
    for (uint32_t i = 0; i < cfg->analog_count; i++) {
        const struct mtrd_comtrade_analog *a = &cfg->analog[i];
        f = next_field(line, len, &pos);
        if (f.n == 0) {
            values[i] = (double)NAN;
            continue;
        }
        if (!field_double(f, &x)) {
            mtrd_errf(what, what_cap, "analog channel %" PRIu32 " '%s': bad number '%.*s'", i + 1u,
                      a->id, (int)(f.n > 20 ? 20 : f.n), f.p);
            return MTR_EPROTO;
        }
        if (cfg->rev_year < 2013 && x == ASCII_MISSING_1999) {
            values[i] = (double)NAN;
            continue;
        }
        values[i] = a->a * x + a->b;
        if (!isfinite(values[i])) {
            values[i] = (double)NAN;
        }
    }
    return MTR_OK;
}

/* ------------------------------------------------------------------------- */
/* Time                                                                      */

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2u ? 1 : 0;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153u * (m > 2u ? m - 3u : m + 9u) + 2u) / 5u + d - 1u;
    doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t
mtrd_comtrade_datetime_us(const struct mtrd_comtrade_datetime *dt, int offset_min)
{
    int64_t s;

    if (dt == NULL || dt->day == 0 || dt->month == 0) {
        return 0;
    }
    s = days_from_civil(dt->year, dt->month, dt->day) * 86400 + dt->hour * 3600 + dt->minute * 60 +
        dt->second - (int64_t)offset_min * 60;
    return s * 1000000 + (int64_t)((dt->frac_ns + 500u) / 1000u);
}

/* ------------------------------------------------------------------------- */
/* Channel mapping                                                           */

enum kind {
    KIND_OTHER = 0,
    KIND_U,
    KIND_I,
};

/** Kind and scale to V or A of a unit field ("kV" -> U, 1000). */
static enum kind
unit_kind(const char *unit, double *scale)
{
    size_t n = strlen(unit);
    char base;
    double s = 1.0;

    if (n == 0 || n > 2) {
        return KIND_OTHER;
    }
    base = (char)toupper((unsigned char)unit[n - 1]);
    if (base != 'V' && base != 'A') {
        return KIND_OTHER;
    }
    if (n == 2) {
        switch (unit[0]) {
        case 'k':
        case 'K':
            s = 1e3;
            break;
        case 'm':
            s = 1e-3;
            break;
        case 'M':
            s = 1e6;
            break;
        case 'u':
            s = 1e-6;
            break;
        default:
            return KIND_OTHER;
        }
    }
    *scale = s;
    return base == 'V' ? KIND_U : KIND_I;
}

static enum kind
chan_kind(const struct mtrd_comtrade_analog *a)
{
    double s;

    return unit_kind(a->unit, &s);
}

static bool
str_ieq(const char *a, const char *b)
{
    while (*a != '\0' && toupper((unsigned char)*a) == toupper((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/** Phase sets: A/B/C, R/S/T, 1/2/3 (also L1/L2/L3 in the ph field). */
static const char phase_sets[3][3] = {
    {'A', 'B', 'C'},
    {'R', 'S', 'T'},
    {'1', '2', '3'}
};

/** Phase of a ph field: set*3 + phase, or -1. */
static int
ph_code(const char *ph)
{
    char c;

    if ((ph[0] == 'L' || ph[0] == 'l') && ph[1] != '\0') {
        ph++;
    }
    if (ph[0] == '\0' || (ph[1] != '\0' && !((ph[1] == 'N' || ph[1] == 'n') && ph[2] == '\0'))) {
        return -1;
    }
    c = (char)toupper((unsigned char)ph[0]);
    for (int s = 0; s < 3; s++) {
        for (int p = 0; p < 3; p++) {
            if (phase_sets[s][p] == c) {
                return s * 3 + p;
            }
        }
    }
    return -1;
}

struct group {
    uint32_t ch[MTRD_SOURCE_MAX_PHASES];
    uint8_t n;
    size_t pos; /**< Position of the phase character in the names; SIZE_MAX if none. */
};

/** Index of the channel of `kind` named like `name` with name[pos] = c (same case), unused. */
static int64_t
find_sibling(const struct mtrd_comtrade_cfg *cfg,
             enum kind kind,
             const bool *used,
             const char *name,
             size_t pos,
             char c)
{
    size_t n = strlen(name);

    for (uint32_t j = 0; j < cfg->analog_count; j++) {
        const char *o = cfg->analog[j].id;
        if (used[j] || chan_kind(&cfg->analog[j]) != kind || strlen(o) != n ||
            toupper((unsigned char)o[pos]) != c || strncmp(o, name, pos) != 0 ||
            strcmp(o + pos + 1, name + pos + 1) != 0) {
            continue;
        }
        return j;
    }
    return -1;
}

/** Number of differing characters of equal-length names; SIZE_MAX otherwise. */
static size_t
name_distance(const char *a, const char *b)
{
    size_t d = 0;

    if (strlen(a) != strlen(b)) {
        return SIZE_MAX;
    }
    for (; *a != '\0'; a++, b++) {
        d += toupper((unsigned char)*a) != toupper((unsigned char)*b) ? 1u : 0u;
    }
    return d;
}

/** Group by the ph field: the other two phases of the same set and ccbm, closest names first. */
static bool
group_by_ph(const struct mtrd_comtrade_cfg *cfg,
            enum kind kind,
            const bool *used,
            uint32_t i,
            struct group *g)
{
    int code = ph_code(cfg->analog[i].ph);

    if (code < 0 || code % 3 != 0) {
        return false;
    }
    g->ch[0] = i;
    for (int p = 1; p < 3; p++) {
        size_t best = SIZE_MAX;
        int64_t best_j = -1;
        for (uint32_t j = 0; j < cfg->analog_count; j++) {
            const struct mtrd_comtrade_analog *o = &cfg->analog[j];
            size_t d;
            if (used[j] || j == i || chan_kind(o) != kind || ph_code(o->ph) != code + p ||
                !str_ieq(o->ccbm, cfg->analog[i].ccbm)) {
                continue;
            }
            d = name_distance(o->id, cfg->analog[i].id);
            if (best_j < 0 || d < best) {
                best = d;
                best_j = j;
            }
        }
        if (best_j < 0) {
            return false;
        }
        g->ch[p] = (uint32_t)best_j;
    }
    g->n = 3;
    g->pos = SIZE_MAX;
    for (size_t k = 0; cfg->analog[g->ch[0]].id[k] != '\0'; k++) {
        if (name_distance(cfg->analog[g->ch[0]].id, cfg->analog[g->ch[1]].id) == 1 &&
            toupper((unsigned char)cfg->analog[g->ch[0]].id[k]) !=
                toupper((unsigned char)cfg->analog[g->ch[1]].id[k])) {
            g->pos = k;
        }
    }
    return true;
}

/** Group by the name: a phase character whose siblings exist ("VA_G1", "HV Bus VR"). */
static bool
group_by_name(const struct mtrd_comtrade_cfg *cfg,
              enum kind kind,
              const bool *used,
              uint32_t i,
              struct group *g)
{
    const char *name = cfg->analog[i].id;
    size_t n = strlen(name);

    /* letters before digits; digits only as L1/L2/L3 */
    for (int s = 0; s < 3; s++) {
        for (size_t k = n; k-- > 0;) {
            int64_t j1;
            int64_t j2;
            if (toupper((unsigned char)name[k]) != phase_sets[s][0] ||
                (s == 2 && (k == 0 || toupper((unsigned char)name[k - 1]) != 'L'))) {
                continue;
            }
            j1 = find_sibling(cfg, kind, used, name, k, phase_sets[s][1]);
            j2 = find_sibling(cfg, kind, used, name, k, phase_sets[s][2]);
            if (j1 >= 0 && j2 >= 0 && j1 != i && j2 != i) {
                g->ch[0] = i;
                g->ch[1] = (uint32_t)j1;
                g->ch[2] = (uint32_t)j2;
                g->n = 3;
                g->pos = k;
                return true;
            }
        }
    }
    return false;
}

/** Groups of three phases of `kind`, in cfg order; singles when `want` is 1. */
static size_t
find_groups(const struct mtrd_comtrade_cfg *cfg,
            enum kind kind,
            bool *used,
            struct group *gs,
            size_t cap,
            uint8_t want)
{
    size_t count = 0;

    memset(used, 0, cfg->analog_count * sizeof(*used));
    for (uint32_t i = 0; i < cfg->analog_count && count < cap; i++) {
        struct group g;
        if (used[i] || chan_kind(&cfg->analog[i]) != kind) {
            continue;
        }
        if (want == 1) {
            g.ch[0] = i;
            g.n = 1;
            g.pos = SIZE_MAX;
        } else if (!group_by_ph(cfg, kind, used, i, &g) && !group_by_name(cfg, kind, used, i, &g)) {
            continue;
        }
        for (uint8_t p = 0; p < g.n; p++) {
            used[g.ch[p]] = true;
        }
        gs[count++] = g;
    }
    return count;
}

/** Name of a group without the phase character and the V/U/I before it ("VA_G1" -> "_G1"). */
static void
group_key(const struct mtrd_comtrade_cfg *cfg, const struct group *g, char *key, size_t cap)
{
    const char *name = cfg->analog[g->ch[0]].id;
    size_t pos = g->pos;
    size_t k = 0;
    size_t skip_from;

    if (pos == SIZE_MAX) {
        pos = 0;
        skip_from = 0;
        if (strchr("VvUuIi", name[0]) == NULL || name[0] == '\0') {
            pos = SIZE_MAX;
        }
    } else {
        skip_from = pos > 0 && strchr("VvUuIi", name[pos - 1]) != NULL ? pos - 1 : pos;
    }
    for (size_t i = 0; name[i] != '\0' && k + 1 < cap; i++) {
        if (pos != SIZE_MAX && i >= skip_from && i <= pos) {
            continue;
        }
        key[k++] = (char)toupper((unsigned char)name[i]);
    }
    key[k] = '\0';
}

static size_t
match_score(const struct mtrd_comtrade_cfg *cfg, const struct group *u, const struct group *i)
{
    char ku[MTRD_COMTRADE_ID_CAP];
    char ki[MTRD_COMTRADE_ID_CAP];
    const char *cu = cfg->analog[u->ch[0]].ccbm;
    size_t score = 0;
    size_t lu;
    size_t li;

    group_key(cfg, u, ku, sizeof(ku));
    group_key(cfg, i, ki, sizeof(ki));
    if (cu[0] != '\0' && str_ieq(cu, cfg->analog[i->ch[0]].ccbm)) {
        score += 1000u;
    }
    if (strcmp(ku, ki) == 0) {
        score += 500u;
    }
    lu = strlen(ku);
    li = strlen(ki);
    for (size_t k = 0; k < lu && k < li && ku[k] == ki[k]; k++) {
        score++;
    }
    for (size_t k = 1; k <= lu && k <= li && ku[lu - k] == ki[li - k]; k++) {
        score++;
    }
    return score;
}

struct mapping {
    uint8_t phase_count;
    uint32_t u[MTRD_SOURCE_MAX_PHASES];
    uint32_t i[MTRD_SOURCE_MAX_PHASES];
};

static enum mtr_err
map_auto(const struct mtrd_comtrade_cfg *cfg,
         uint8_t want,
         const char *cfg_name,
         struct mapping *m,
         char *err,
         size_t err_cap)
{
    bool *used = calloc(cfg->analog_count + 1u, sizeof(bool));
    struct group *ug = calloc(cfg->analog_count + 1u, sizeof(struct group));
    struct group *ig = calloc(cfg->analog_count + 1u, sizeof(struct group));
    size_t nu;
    size_t ni;
    size_t best = 0;
    size_t best_score = 0;
    uint8_t group_n = want == 0 ? 3 : want;
    enum mtr_err rc = MTR_OK;

    if (used == NULL || ug == NULL || ig == NULL) {
        mtrd_errf(err, err_cap, "%s: out of memory", cfg_name);
        rc = MTR_ENOMEM;
        goto out;
    }
    nu = find_groups(cfg, KIND_U, used, ug, cfg->analog_count + 1u, group_n == 1 ? 1 : 3);
    ni = find_groups(cfg, KIND_I, used, ig, cfg->analog_count + 1u, group_n == 1 ? 1 : 3);
    if ((nu == 0 || ni == 0) && want == 0) {
        group_n = 1;
        nu = find_groups(cfg, KIND_U, used, ug, cfg->analog_count + 1u, 1);
        ni = find_groups(cfg, KIND_I, used, ig, cfg->analog_count + 1u, 1);
    }
    if (nu == 0 || ni == 0) {
        mtrd_errf(err, err_cap,
                  "%s: no %s of %u phase%s found (units V/kV and A/kA); name the channels "
                  "(see --list-channels)",
                  cfg_name, nu == 0 ? "voltage channels" : "current channels", (unsigned)group_n,
                  group_n == 1 ? "" : "s");
        rc = MTR_EINVAL;
        goto out;
    }
    for (size_t k = 0; k < ni; k++) {
        size_t s = match_score(cfg, &ug[0], &ig[k]);
        if (k == 0 || s > best_score) {
            best = k;
            best_score = s;
        }
    }
    m->phase_count = group_n;
    for (uint8_t p = 0; p < group_n; p++) {
        m->u[p] = ug[0].ch[p];
        m->i[p] = ig[best].ch[p];
    }
out:
    free(used);
    free(ug);
    free(ig);
    return rc;
}

static enum mtr_err
find_named(const struct mtrd_comtrade_cfg *cfg,
           const char *name,
           enum kind kind,
           const char *cfg_name,
           uint32_t *idx,
           char *err,
           size_t err_cap)
{
    for (uint32_t j = 0; j < cfg->analog_count; j++) {
        if (str_ieq(cfg->analog[j].id, name)) {
            if (chan_kind(&cfg->analog[j]) != kind) {
                mtrd_errf(err, err_cap, "%s: channel '%s' has unit '%s', not %s", cfg_name, name,
                          cfg->analog[j].unit,
                          kind == KIND_U ? "a voltage (V, kV, mV)" : "a current (A, kA, mA)");
                return MTR_EINVAL;
            }
            *idx = j;
            return MTR_OK;
        }
    }
    mtrd_errf(err, err_cap, "%s: no analog channel named '%s' (see --list-channels)", cfg_name,
              name);
    return MTR_EINVAL;
}

static enum mtr_err
map_channels(const struct mtrd_source_spec *spec,
             const struct mtrd_comtrade_cfg *cfg,
             const char *cfg_name,
             struct mapping *m,
             char *err,
             size_t err_cap)
{
    uint8_t named = 0;
    uint8_t want = spec->phase_count;

    if (want > MTRD_SOURCE_MAX_PHASES) {
        mtrd_errf(err, err_cap, "%s: phase count %u out of range 1..3", cfg_name, (unsigned)want);
        return MTR_EINVAL;
    }
    for (uint8_t p = 0; p < MTRD_SOURCE_MAX_PHASES; p++) {
        if (spec->u_name[p][0] != '\0' || spec->i_name[p][0] != '\0') {
            named = (uint8_t)(p + 1u);
        }
    }
    if (named == 0) {
        return map_auto(cfg, want, cfg_name, m, err, err_cap);
    }
    if (want == 0) {
        want = named;
    }
    m->phase_count = want;
    for (uint8_t p = 0; p < want; p++) {
        enum mtr_err rc;
        if (spec->u_name[p][0] == '\0' || spec->i_name[p][0] == '\0') {
            mtrd_errf(err, err_cap, "%s: phase %u: give both the voltage and the current channel",
                      cfg_name, p + 1u);
            return MTR_EINVAL;
        }
        rc = find_named(cfg, spec->u_name[p], KIND_U, cfg_name, &m->u[p], err, err_cap);
        if (rc == MTR_OK) {
            rc = find_named(cfg, spec->i_name[p], KIND_I, cfg_name, &m->i[p], err, err_cap);
        }
        if (rc != MTR_OK) {
            return rc;
        }
    }
    return MTR_OK;
}

/* ------------------------------------------------------------------------- */
/* The source                                                                */

struct comtrade_source {
    struct mtrd_source base;
    struct mtrd_comtrade_cfg cfg;
    FILE *dat;
    char *dat_name;
    size_t rec_len;   /**< Binary bytes per record; 0 for ASCII. */
    uint8_t *rec_buf; /**< READ_CHUNK_RECORDS records. */
    char *line;       /**< ASCII line buffer (getline). */
    size_t line_cap;
    uint64_t line_no;   /**< ASCII: lines read so far. */
    uint64_t index;     /**< Samples delivered so far. */
    uint64_t total;     /**< Samples in the file. */
    double *values;     /**< [analog_count] */
    uint8_t chan_count; /**< 2 * phase_count */
    uint32_t ch[2 * MTRD_SOURCE_MAX_PHASES];
    double scale[2 * MTRD_SOURCE_MAX_PHASES];
};

/** Check the delivered channels of one record and write them out. */
static enum mtr_err
emit(struct comtrade_source *s, float *x, bool is_binary)
{
    for (uint8_t c = 0; c < s->chan_count; c++) {
        uint32_t j = s->ch[c];
        double v = s->values[j] * s->scale[c];
        if (!isfinite(v) || fabs(v) > 3.0e38) {
            if (is_binary) {
                mtrd_errf(s->base.err, sizeof(s->base.err),
                          "%s: missing or non-finite value in channel '%s' (A%" PRIu32
                          ") at byte offset %" PRIu64 " (sample %" PRIu64 ")",
                          s->dat_name, s->cfg.analog[j].id, j + 1u,
                          s->index * s->rec_len + REC_HEADER_LEN + j * value_width(s->cfg.ft),
                          s->index + 1u);
            } else {
                mtrd_errf(s->base.err, sizeof(s->base.err),
                          "%s:%" PRIu64 ": missing or non-finite value in channel '%s' (A%" PRIu32
                          ", sample %" PRIu64 ")",
                          s->dat_name, s->line_no, s->cfg.analog[j].id, j + 1u, s->index + 1u);
            }
            return MTR_EPROTO;
        }
        x[c] = (float)v;
    }
    return MTR_OK;
}

static enum mtr_err
read_binary(struct comtrade_source *s, float *x, size_t max_samples, size_t *got)
{
    uint64_t left = s->total - s->index;
    size_t want = max_samples < READ_CHUNK_RECORDS ? max_samples : READ_CHUNK_RECORDS;
    size_t n;

    if (want > left) {
        want = (size_t)left;
    }
    n = fread(s->rec_buf, s->rec_len, want, s->dat);
    if (n < want) {
        mtrd_errf(s->base.err, sizeof(s->base.err),
                  "%s: read failed at byte offset %" PRIu64 ": %s", s->dat_name,
                  (s->index + n) * s->rec_len,
                  ferror(s->dat) ? strerror(errno) : "file shrank while reading");
        return MTR_EIO;
    }
    for (size_t k = 0; k < n; k++) {
        uint32_t sample_no;
        uint32_t ts;
        enum mtr_err rc = mtrd_comtrade_decode_binary(&s->cfg, s->rec_buf + k * s->rec_len,
                                                      s->values, &sample_no, &ts);
        if (rc == MTR_OK) {
            rc = emit(s, x + k * s->chan_count, true);
        }
        if (rc != MTR_OK) {
            *got = 0;
            return rc;
        }
        s->index++;
    }
    *got = n;
    return MTR_OK;
}

/** Next non-blank ASCII line; false at the end (or at a Ctrl-Z). */
static bool
ascii_next(struct comtrade_source *s, FILE *f, const char **line, size_t *len, uint64_t *line_no)
{
    ssize_t n;

    while ((n = getline(&s->line, &s->line_cap, f)) >= 0) {
        struct field t;
        (*line_no)++;
        t = trim(s->line, (size_t)n);
        while (t.n > 0 && (t.p[t.n - 1] == '\n' || t.p[t.n - 1] == '\r')) {
            t.n--;
            t = trim(t.p, t.n);
        }
        if (t.n > 0 && t.p[0] == 0x1A) {
            return false;
        }
        if (t.n > 0) {
            *line = t.p;
            *len = t.n;
            return true;
        }
    }
    return false;
}

static enum mtr_err
read_ascii(struct comtrade_source *s, float *x, size_t max_samples, size_t *got)
{
    size_t n = 0;

    while (n < max_samples && s->index < s->total) {
        const char *line;
        size_t len;
        uint64_t ts;
        char what[160];
        enum mtr_err rc;

        if (!ascii_next(s, s->dat, &line, &len, &s->line_no)) {
            mtrd_errf(s->base.err, sizeof(s->base.err),
                      "%s:%" PRIu64 ": file ended at sample %" PRIu64, s->dat_name, s->line_no,
                      s->index + 1u);
            return ferror(s->dat) ? MTR_EIO : MTR_EPROTO;
        }
        rc = mtrd_comtrade_decode_ascii(&s->cfg, line, len, s->values, &ts, what, sizeof(what));
        if (rc != MTR_OK) {
            mtrd_errf(s->base.err, sizeof(s->base.err), "%s:%" PRIu64 ": %s", s->dat_name,
                      s->line_no, what);
            return rc;
        }
        rc = emit(s, x + n * s->chan_count, false);
        if (rc != MTR_OK) {
            return rc;
        }
        s->index++;
        n++;
    }
    *got = n;
    return MTR_OK;
}

static enum mtr_err
comtrade_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    struct comtrade_source *s = (struct comtrade_source *)src;

    if (x == NULL || got == NULL || max_samples == 0) {
        return MTR_EINVAL;
    }
    *got = 0;
    if (s->index >= s->total) {
        return MTR_EOF;
    }
    return s->rec_len > 0 ? read_binary(s, x, max_samples, got)
                          : read_ascii(s, x, max_samples, got);
}

static void
comtrade_free(struct comtrade_source *s)
{
    if (s == NULL) {
        return;
    }
    if (s->dat != NULL) {
        (void)fclose(s->dat); /* read-only stream: nothing to lose */
    }
    mtrd_comtrade_cfg_free(&s->cfg);
    free(s->dat_name);
    free(s->rec_buf);
    free(s->line);
    free(s->values);
    free(s);
}

static void
comtrade_close(struct mtrd_source *src)
{
    comtrade_free((struct comtrade_source *)src);
}

static const struct mtrd_source_ops comtrade_ops = {
    .read = comtrade_read,
    .close = comtrade_close,
};

/** Timestamp field of an ASCII record (the second field). */
static bool
ascii_ts(const char *line, size_t len, uint64_t *ts)
{
    size_t pos = 0;
    struct field f;

    (void)next_field(line, len, &pos);
    if (pos > len) {
        return false;
    }
    f = next_field(line, len, &pos);
    return field_u64(f, UINT64_MAX / 2u, ts);
}

/** Count records; for nrates = 0 also get the first and last timestamps. */
static enum mtr_err
scan_dat(
    struct comtrade_source *s, uint64_t *ts_first, uint64_t *ts_last, char *err, size_t err_cap)
{
    if (s->rec_len > 0) {
        off_t size;
        uint8_t hdr[REC_HEADER_LEN];
        if (fseeko(s->dat, 0, SEEK_END) != 0 || (size = ftello(s->dat)) < 0) {
            mtrd_errf(err, err_cap, "%s: cannot seek: %s", s->dat_name, strerror(errno));
            return MTR_EIO;
        }
        s->total = (uint64_t)size / s->rec_len;
        if ((uint64_t)size % s->rec_len != 0) {
            mtrd_errf(err, err_cap,
                      "%s: truncated last record at byte offset %" PRIu64 " (%" PRIu64
                      " of %zu bytes; record %" PRIu64 ")",
                      s->dat_name, s->total * s->rec_len, (uint64_t)size % s->rec_len, s->rec_len,
                      s->total + 1u);
            return MTR_EPROTO;
        }
        if (s->cfg.rate_count == 0 && s->total > 0) {
            for (int k = 0; k < 2; k++) {
                uint64_t off = k == 0 ? 0 : (s->total - 1u) * s->rec_len;
                if (fseeko(s->dat, (off_t)off, SEEK_SET) != 0 ||
                    fread(hdr, 1, sizeof(hdr), s->dat) != sizeof(hdr)) {
                    mtrd_errf(err, err_cap, "%s: read failed at byte offset %" PRIu64, s->dat_name,
                              off);
                    return MTR_EIO;
                }
                *(k == 0 ? ts_first : ts_last) = le32(hdr + 4);
                if (le32(hdr + 4) == UINT32_MAX) {
                    mtrd_errf(err, err_cap,
                              "%s: missing timestamp at byte offset %" PRIu64
                              " (nrates = 0 needs timestamps)",
                              s->dat_name, off + 4u);
                    return MTR_EPROTO;
                }
            }
        }
    } else {
        const char *line;
        size_t len;
        uint64_t line_no = 0;
        s->total = 0;
        while (ascii_next(s, s->dat, &line, &len, &line_no)) {
            if (s->cfg.rate_count == 0) {
                uint64_t ts;
                if (!ascii_ts(line, len, &ts)) {
                    mtrd_errf(err, err_cap,
                              "%s:%" PRIu64 ": bad or missing timestamp (nrates = 0 "
                              "needs timestamps)",
                              s->dat_name, line_no);
                    return MTR_EPROTO;
                }
                *(s->total == 0 ? ts_first : ts_last) = ts;
                if (s->total == 0) {
                    *ts_last = ts;
                }
            }
            s->total++;
        }
        if (ferror(s->dat)) {
            mtrd_errf(err, err_cap, "%s: read failed: %s", s->dat_name, strerror(errno));
            return MTR_EIO;
        }
    }
    if (fseeko(s->dat, 0, SEEK_SET) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot seek: %s", s->dat_name, strerror(errno));
        return MTR_EIO;
    }
    return MTR_OK;
}

/** Sample rate and count checks. */
static enum mtr_err
set_timing(struct comtrade_source *s,
           const struct mtrd_source_spec *spec,
           const char *cfg_name,
           char *err,
           size_t err_cap)
{
    const struct mtrd_comtrade_cfg *cfg = &s->cfg;
    uint64_t ts_first = 0;
    uint64_t ts_last = 0;
    uint64_t want = cfg->rates[cfg->rate_count == 0 ? 0 : cfg->rate_count - 1u].endsamp;
    enum mtr_err rc;

    for (uint32_t k = 1; k < cfg->rate_count; k++) {
        if (cfg->rates[k].samp_Hz != cfg->rates[0].samp_Hz) {
            mtrd_errf(err, err_cap,
                      "%s: %u sample-rate segments of different rates (%.9g Hz, then %.9g Hz): the "
                      "meter needs one rate",
                      cfg_name, cfg->rate_count, cfg->rates[0].samp_Hz, cfg->rates[k].samp_Hz);
            return MTR_ENOTSUP;
        }
    }
    rc = scan_dat(s, &ts_first, &ts_last, err, err_cap);
    if (rc != MTR_OK) {
        return rc;
    }
    if (want != 0 && want != s->total) {
        mtrd_errf(err, err_cap, "%s: cfg says %" PRIu64 " samples (endsamp) but %s holds %" PRIu64,
                  cfg_name, want, s->dat_name, s->total);
        return MTR_EPROTO;
    }
    if (s->total == 0) {
        mtrd_errf(err, err_cap, "%s: no samples", s->dat_name);
        return MTR_EPROTO;
    }
    s->base.info.sample_count = s->total;
    if (spec->fs_Hz > 0.0) {
        s->base.info.fs_Hz = spec->fs_Hz;
    } else if (cfg->rate_count > 0) {
        s->base.info.fs_Hz = cfg->rates[0].samp_Hz;
    } else {
        /* nrates = 0: mean rate over the record, timestamps in units of timemult us */
        if (s->total < 2 || ts_last <= ts_first) {
            mtrd_errf(err, err_cap,
                      "%s: nrates = 0 but the timestamps do not increase (first %" PRIu64
                      ", last %" PRIu64 "); give the rate",
                      s->dat_name, ts_first, ts_last);
            return MTR_EINVAL;
        }
        s->base.info.fs_Hz =
            (double)(s->total - 1u) * 1e6 / ((double)(ts_last - ts_first) * cfg->timemult);
        if (!isfinite(s->base.info.fs_Hz) || !(s->base.info.fs_Hz > 0.0)) {
            mtrd_errf(err, err_cap, "%s: timemult %.9g gives no usable sample rate", cfg_name,
                      cfg->timemult);
            return MTR_EPROTO;
        }
    }
    return MTR_OK;
}

/** Copy a channel id into an info name, cut to MTRD_SOURCE_NAME_CAP - 1 bytes. */
static void
copy_name(char dst[MTRD_SOURCE_NAME_CAP], const char *src)
{
    size_t n = strlen(src);

    if (n >= MTRD_SOURCE_NAME_CAP) {
        n = MTRD_SOURCE_NAME_CAP - 1u;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void
set_info(struct comtrade_source *s,
         const struct mapping *m,
         const char *cfg_name,
         bool is_secondary)
{
    static const char *const ft_names[] = {"ASCII", "BINARY", "BINARY32", "FLOAT32"};
    struct mtrd_source_info *info = &s->base.info;
    const struct mtrd_comtrade_cfg *cfg = &s->cfg;

    info->phase_count = m->phase_count;
    info->f_nom_Hz = (uint16_t)lround(cfg->lf_Hz);
    info->t0_us = mtrd_comtrade_datetime_us(
        &cfg->start, cfg->has_time_code && cfg->is_time_code_known ? cfg->time_code_min : 0);
    for (uint8_t p = 0; p < m->phase_count; p++) {
        copy_name(info->u_name[p], cfg->analog[m->u[p]].id);
        copy_name(info->i_name[p], cfg->analog[m->i[p]].id);
    }
    (void)snprintf(info->desc, sizeof(info->desc),
                   "COMTRADE %u %s %s: %.6g Hz, %" PRIu64 " samples (%.3f s), %u phase%s, U %s.. "
                   "I %s..%s",
                   (unsigned)cfg->rev_year, ft_names[cfg->ft], cfg_name, info->fs_Hz,
                   info->sample_count, (double)info->sample_count / info->fs_Hz,
                   (unsigned)m->phase_count, m->phase_count == 1 ? "" : "s", info->u_name[0],
                   info->i_name[0], is_secondary ? ", secondary" : "");
}

/** Scale of a delivered channel: unit prefix and primary/secondary choice. */
static double
channel_scale(const struct mtrd_comtrade_analog *a, bool is_secondary)
{
    double s = 1.0;

    (void)unit_kind(a->unit, &s);
    if (a->has_ratio) {
        if (a->ps == 'P' && is_secondary) {
            s *= a->secondary / a->primary;
        } else if (a->ps == 'S' && !is_secondary) {
            s *= a->primary / a->secondary;
        }
    }
    return s;
}

enum mtr_err
mtrd_comtrade_open_stream(const struct mtrd_source_spec *spec,
                          struct mtrd_comtrade_cfg *cfg,
                          FILE *dat,
                          const char *cfg_name,
                          const char *dat_name,
                          struct mtrd_source **out,
                          char *err,
                          size_t err_cap)
{
    struct comtrade_source *s;
    struct mapping m;
    enum mtr_err rc;

    if (spec == NULL || cfg == NULL || dat == NULL || cfg_name == NULL || dat_name == NULL ||
        out == NULL) {
        if (dat != NULL) {
            (void)fclose(dat); /* read-only */
        }
        mtrd_comtrade_cfg_free(cfg);
        mtrd_errf(err, err_cap, "comtrade: NULL argument");
        return MTR_EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        (void)fclose(dat); /* read-only */
        mtrd_comtrade_cfg_free(cfg);
        mtrd_errf(err, err_cap, "%s: out of memory", cfg_name);
        return MTR_ENOMEM;
    }
    s->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    s->dat = dat;
    s->base.ops = &comtrade_ops;
    s->dat_name = strdup(dat_name);
    s->rec_len = mtrd_comtrade_record_len(&s->cfg);
    s->values = calloc(s->cfg.analog_count + 1u, sizeof(double));
    if (s->rec_len > 0) {
        s->rec_buf = malloc(s->rec_len * READ_CHUNK_RECORDS);
    }
    if (s->dat_name == NULL || s->values == NULL || (s->rec_len > 0 && s->rec_buf == NULL)) {
        mtrd_errf(err, err_cap, "%s: out of memory", cfg_name);
        rc = MTR_ENOMEM;
        goto fail;
    }
    rc = map_channels(spec, &s->cfg, cfg_name, &m, err, err_cap);
    if (rc == MTR_OK) {
        rc = set_timing(s, spec, cfg_name, err, err_cap);
    }
    if (rc != MTR_OK) {
        goto fail;
    }
    s->chan_count = (uint8_t)(2u * m.phase_count);
    for (uint8_t p = 0; p < m.phase_count; p++) {
        s->ch[p] = m.u[p];
        s->ch[m.phase_count + p] = m.i[p];
    }
    for (uint8_t c = 0; c < s->chan_count; c++) {
        s->scale[c] = channel_scale(&s->cfg.analog[s->ch[c]], spec->is_secondary);
    }
    set_info(s, &m, cfg_name, spec->is_secondary);
    *out = &s->base;
    return MTR_OK;
fail:
    comtrade_free(s);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Files                                                                     */

static enum mtr_err
read_cfg_file(const char *path, char **text, size_t *len, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    size_t cap = 0;
    enum mtr_err rc = MTR_OK;

    if (f == NULL) {
        mtrd_errf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? MTR_ENOENT : MTR_EIO;
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            char *nb;
            if (cap >= MTRD_COMTRADE_MAX_CFG_LEN) {
                mtrd_errf(err, err_cap, "%s: larger than %u bytes: not a cfg", path,
                          MTRD_COMTRADE_MAX_CFG_LEN);
                rc = MTR_EPROTO;
                break;
            }
            cap = cap == 0 ? 16384u : cap * 2u;
            nb = realloc(buf, cap + 1u);
            if (nb == NULL) {
                mtrd_errf(err, err_cap, "%s: out of memory", path);
                rc = MTR_ENOMEM;
                break;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                mtrd_errf(err, err_cap, "%s: read failed: %s", path, strerror(errno));
                rc = MTR_EIO;
            }
            break;
        }
    }
    (void)fclose(f); /* read-only */
    if (rc != MTR_OK) {
        free(buf);
        return rc;
    }
    *text = buf;
    *len = n;
    return MTR_OK;
}

/** Parse the cfg at path; name in messages is the path. */
static enum mtr_err
load_cfg(const char *path, struct mtrd_comtrade_cfg *cfg, char *err, size_t err_cap)
{
    char *text = NULL;
    size_t len = 0;
    enum mtr_err rc = read_cfg_file(path, &text, &len, err, err_cap);

    if (rc != MTR_OK) {
        return rc;
    }
    rc = mtrd_comtrade_parse_cfg(text != NULL ? text : "", len, path, cfg, err, err_cap);
    free(text);
    return rc;
}

/** The .dat beside the .cfg: same stem, extension "dat" in any case. Returns a malloc'd path. */
static char *
find_dat(const char *cfg_path)
{
    const char *base = base_name(cfg_path);
    const char *dot = strrchr(base, '.');
    size_t stem_len = dot != NULL ? (size_t)(dot - cfg_path) : strlen(cfg_path);
    size_t dir_len = (size_t)(base - cfg_path);
    char *path = malloc(stem_len + 5u);
    char *dir;
    DIR *d;
    struct dirent *e;

    if (path == NULL) {
        return NULL;
    }
    memcpy(path, cfg_path, stem_len);
    for (int k = 0; k < 2; k++) {
        FILE *f;
        memcpy(path + stem_len, k == 0 ? ".dat" : ".DAT", 5);
        f = fopen(path, "rb");
        if (f != NULL) {
            (void)fclose(f); /* probe only */
            return path;
        }
    }
    dir = dir_len > 0 ? strndup(cfg_path, dir_len) : strdup(".");
    d = dir != NULL ? opendir(dir) : NULL;
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t base_stem = stem_len - dir_len;
        if (strlen(e->d_name) == base_stem + 4u && strncmp(e->d_name, base, base_stem) == 0 &&
            str_ieq(e->d_name + base_stem, ".dat")) {
            memcpy(path + dir_len, e->d_name, base_stem + 4u);
            path[stem_len + 4u] = '\0';
            (void)closedir(d); /* directory stream: nothing to flush */
            free(dir);
            return path;
        }
    }
    if (d != NULL) {
        (void)closedir(d); /* nothing to flush */
    }
    free(dir);
    memcpy(path + stem_len, ".dat", 5);
    return path;
}

enum mtr_err
mtrd_comtrade_open(const struct mtrd_source_spec *spec,
                   struct mtrd_source **out,
                   char *err,
                   size_t err_cap)
{
    struct mtrd_comtrade_cfg cfg;
    char *dat_path;
    FILE *dat;
    enum mtr_err rc;

    if (spec == NULL || out == NULL || spec->path == NULL || spec->path[0] == '\0') {
        mtrd_errf(err, err_cap, "comtrade: no .cfg path given");
        return MTR_EINVAL;
    }
    rc = load_cfg(spec->path, &cfg, err, err_cap);
    if (rc != MTR_OK) {
        return rc;
    }
    dat_path = find_dat(spec->path);
    if (dat_path == NULL) {
        mtrd_comtrade_cfg_free(&cfg);
        mtrd_errf(err, err_cap, "%s: out of memory", spec->path);
        return MTR_ENOMEM;
    }
    dat = fopen(dat_path, "rb");
    if (dat == NULL) {
        int e = errno;
        mtrd_errf(err, err_cap, "%s: data file %s: %s", spec->path, dat_path, strerror(e));
        free(dat_path);
        mtrd_comtrade_cfg_free(&cfg);
        return e == ENOENT ? MTR_ENOENT : MTR_EIO;
    }
    rc = mtrd_comtrade_open_stream(spec, &cfg, dat, base_name(spec->path), dat_path, out, err,
                                   err_cap);
    free(dat_path);
    return rc;
}

enum mtr_err
mtrd_comtrade_list_channels(
    const char *cfg_path, mtrd_comtrade_list_fn fn, void *ctx, char *err, size_t err_cap)
{
    static const char *const ft_names[] = {"ASCII", "BINARY", "BINARY32", "FLOAT32"};
    static const char *const kind_names[] = {"", "  (voltage)", "  (current)"};
    struct mtrd_comtrade_cfg cfg;
    char line[512];
    enum mtr_err rc;

    if (cfg_path == NULL || fn == NULL) {
        mtrd_errf(err, err_cap, "comtrade: NULL argument");
        return MTR_EINVAL;
    }
    rc = load_cfg(cfg_path, &cfg, err, err_cap);
    if (rc != MTR_OK) {
        return rc;
    }
    (void)snprintf(line, sizeof(line),
                   "%s: %s / %s, C37.111-%u, %s, lf %.6g Hz, %u rate%s (first %.9g Hz), "
                   "%u analog, %u digital",
                   base_name(cfg_path), cfg.station, cfg.device, (unsigned)cfg.rev_year,
                   ft_names[cfg.ft], cfg.lf_Hz, cfg.rate_count, cfg.rate_count == 1 ? "" : "s",
                   cfg.rates[0].samp_Hz, cfg.analog_count, cfg.digital_count);
    fn(ctx, line);
    for (uint32_t i = 0; i < cfg.analog_count; i++) {
        const struct mtrd_comtrade_analog *a = &cfg.analog[i];
        (void)snprintf(line, sizeof(line), "A%-4" PRIu32 " %-20s ph=%-3s ccbm=%-12s unit=%-5s%s",
                       i + 1u, a->id, a->ph, a->ccbm, a->unit, kind_names[chan_kind(a)]);
        fn(ctx, line);
    }
    for (uint32_t i = 0; i < cfg.digital_count; i++) {
        const struct mtrd_comtrade_digital *d = &cfg.digital[i];
        (void)snprintf(line, sizeof(line), "D%-4" PRIu32 " %-20s ph=%-3s ccbm=%s", i + 1u, d->id,
                       d->ph, d->ccbm);
        fn(ctx, line);
    }
    mtrd_comtrade_cfg_free(&cfg);
    return MTR_OK;
}

bool
mtrd_comtrade_cfg_equal(const struct mtrd_comtrade_cfg *a, const struct mtrd_comtrade_cfg *b)
{
    struct mtrd_comtrade_cfg x = *a;
    struct mtrd_comtrade_cfg y = *b;

    x.analog = y.analog = NULL;
    x.digital = y.digital = NULL;
    return memcmp(&x, &y, sizeof(x)) == 0 &&
           memcmp(a->analog, b->analog, a->analog_count * sizeof(*a->analog)) == 0 &&
           memcmp(a->digital, b->digital, a->digital_count * sizeof(*a->digital)) == 0;
}
