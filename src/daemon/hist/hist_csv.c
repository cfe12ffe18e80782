/*
 * CSV (RFC 4180) and text-table export of history entries; see hist_csv.h for the columns.
 *
 * Values are converted with integer arithmetic on their decimal digits, so a 64-bit register
 * in uWh shows in kWh with every digit, and times are converted with the days-from-civil
 * algorithm (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms") so any int64 time
 * works without gmtime() and its time_t range.
 */
#include "hist/hist_csv.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "meterd/hist.h"

/** Capacity of one formatted value, time or header title, bytes. */
#define CSV_FIELD_CAP  160u
/** Microseconds per second and per day. */
#define CSV_US_PER_S   1000000
#define CSV_US_PER_DAY 86400000000LL
/** Widths of the fixed columns of the text table, characters. */
#define TXT_SEQ_W      10
#define TXT_TIME_W     27
#define TXT_STAT_W     6
#define TXT_VALUE_W    12

bool
mtrd_hist_is_event_log(uint8_t log)
{
    return log >= MTR_HIST_EVENT_STD && log < MTR_HIST_LOG_COUNT;
}

enum mtr_err
mtrd_hist_format_scaled(int64_t v, int scale10, char *out, size_t out_cap)
{
    char digits[24];
    char buf[CSV_FIELD_CAP];
    uint64_t mag;
    size_t n_dig;
    size_t pos = 0;
    size_t k;
    size_t i;

    if (out == NULL || scale10 < -MTRD_HIST_SCALE_MAX || scale10 > MTRD_HIST_SCALE_MAX) {
        return MTR_EINVAL;
    }
    /* |INT64_MIN| does not fit int64: negate in uint64. */
    mag = (v < 0) ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    (void)snprintf(digits, sizeof(digits), "%" PRIu64, mag); /* at most 20 digits: fits */
    n_dig = strlen(digits);
    if (v < 0) {
        buf[pos++] = '-';
    }
    if (scale10 >= 0) {
        memcpy(buf + pos, digits, n_dig);
        pos += n_dig;
        for (i = 0; mag != 0u && i < (size_t)scale10; i++) {
            buf[pos++] = '0';
        }
    } else {
        k = (size_t)-scale10;
        if (n_dig <= k) {
            buf[pos++] = '0';
            buf[pos++] = '.';
            for (i = n_dig; i < k; i++) {
                buf[pos++] = '0';
            }
            memcpy(buf + pos, digits, n_dig);
            pos += n_dig;
        } else {
            memcpy(buf + pos, digits, n_dig - k);
            pos += n_dig - k;
            buf[pos++] = '.';
            memcpy(buf + pos, digits + (n_dig - k), k);
            pos += k;
        }
    }
    buf[pos] = '\0';
    if (pos >= out_cap) {
        if (out_cap > 0u) {
            out[0] = '\0';
        }
        return MTR_ENOSPC;
    }
    memcpy(out, buf, pos + 1u);
    return MTR_OK;
}

enum mtr_err
mtrd_hist_format_time(int64_t t_us, char *out, size_t out_cap)
{
    int64_t days = t_us / CSV_US_PER_DAY;
    int64_t us_of_day = t_us % CSV_US_PER_DAY;
    int64_t era, doe, yoe, doy, mp, y, m, d, sod, frac;
    int n;

    if (out == NULL) {
        return MTR_EINVAL;
    }
    if (us_of_day < 0) { /* floor division */
        us_of_day += CSV_US_PER_DAY;
        days--;
    }
    /* civil_from_days: shift the epoch to 0000-03-01, split into 400-year eras. */
    days += 719468;
    era = ((days >= 0) ? days : days - 146096) / 146097;
    doe = days - era * 146097;                                   /* [0, 146096] */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* [0, 365] */
    mp = (5 * doy + 2) / 153;                      /* [0, 11], March first */
    d = doy - (153 * mp + 2) / 5 + 1;
    m = (mp < 10) ? mp + 3 : mp - 9;
    y += (m <= 2) ? 1 : 0;
    sod = us_of_day / CSV_US_PER_S;
    frac = us_of_day % CSV_US_PER_S;
    n = snprintf(out, out_cap,
                 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64,
                 y, m, d, sod / 3600, (sod / 60) % 60, sod % 60);
    if (n >= 0 && (size_t)n < out_cap) {
        int n2 = (frac != 0) ? snprintf(out + n, out_cap - (size_t)n, ".%06" PRId64 "Z", frac)
                             : snprintf(out + n, out_cap - (size_t)n, "Z");
        if (n2 >= 0 && (size_t)n2 < out_cap - (size_t)n) {
            return MTR_OK;
        }
    }
    if (out_cap > 0u) {
        out[0] = '\0';
    }
    return MTR_ENOSPC;
}

/** Write a CSV field, quoted when it holds a comma, a quote, CR or LF (RFC 4180 2.6, 2.7). */
static void
csv_field(FILE *out, const char *s)
{
    const char *p;

    if (strpbrk(s, ",\"\r\n") == NULL) {
        (void)fputs(s, out); /* stream errors are checked once with ferror() */
        return;
    }
    (void)fputc('"', out);
    for (p = s; *p != '\0'; p++) {
        if (*p == '"') {
            (void)fputc('"', out);
        }
        (void)fputc(*p, out);
    }
    (void)fputc('"', out);
}

/** Header title of value column i: "name [unit]", or "name", or "v<i>". */
static void
col_title(char *buf, size_t cap, const char *const *names, const char *const *units, unsigned i)
{
    const char *name = (names != NULL) ? names[i] : NULL;
    const char *unit = (units != NULL) ? units[i] : NULL;
    char def[16];

    if (name == NULL) {
        (void)snprintf(def, sizeof(def), "v%u", i);
        name = def;
    }
    if (unit != NULL && unit[0] != '\0') {
        (void)snprintf(buf, cap, "%s [%s]", name, unit); /* a long title is cut: display only */
    } else {
        (void)snprintf(buf, cap, "%s", name);
    }
}

/** Check the arguments shared by both writers. */
static enum mtr_err
check_args(FILE *out, const struct mtr_hist_entry *e, const int8_t *scale, unsigned n_cols)
{
    unsigned i;

    if (out == NULL || e == NULL || n_cols > MTR_HIST_MAX_VALUES ||
        e->n_values > MTR_HIST_MAX_VALUES) {
        return MTR_EINVAL;
    }
    for (i = 0; scale != NULL && i < n_cols; i++) {
        if (scale[i] < -MTRD_HIST_SCALE_MAX || scale[i] > MTRD_HIST_SCALE_MAX) {
            return MTR_EINVAL;
        }
    }
    return MTR_OK;
}

/** Value column i of e in its display unit, or "" when the entry has no such value. */
static void
value_text(char *buf, size_t cap, const struct mtr_hist_entry *e, const int8_t *scale, unsigned i)
{
    buf[0] = '\0';
    if (i < e->n_values) {
        /* scale was checked and buf holds 64+ bytes: cannot fail; "?" if it ever did */
        if (mtrd_hist_format_scaled(e->v[i], (scale != NULL) ? scale[i] : 0, buf, cap) != MTR_OK) {
            (void)snprintf(buf, cap, "?");
        }
    }
}

/** Time column; 160 bytes always suffice, "?" if it ever did not. */
static void
time_text(char *buf, size_t cap, int64_t t_us)
{
    if (mtrd_hist_format_time(t_us, buf, cap) != MTR_OK) {
        (void)snprintf(buf, cap, "?");
    }
}

/** The third column: hex status, or decimal event code for event logs. */
static void
state_text(char *buf, size_t cap, const struct mtr_hist_entry *e)
{
    if (mtrd_hist_is_event_log(e->log)) {
        (void)snprintf(buf, cap, "%u", (unsigned)e->code);
    } else {
        (void)snprintf(buf, cap, "0x%02" PRIX32, e->status);
    }
}

/** The text of e, bounded by its capacity even if the NUL is missing. */
static void
entry_text(char *buf, size_t cap, const struct mtr_hist_entry *e)
{
    const char *nul = memchr(e->text, '\0', sizeof(e->text));
    size_t len = (nul != NULL) ? (size_t)(nul - e->text) : sizeof(e->text);

    if (len >= cap) {
        len = cap - 1u;
    }
    memcpy(buf, e->text, len);
    buf[len] = '\0';
}

enum mtr_err
mtrd_hist_write_csv(FILE *out,
                    const struct mtr_hist_entry *e,
                    const char *const *col_names,
                    const char *const *col_units,
                    const int8_t *col_scale10,
                    unsigned n_cols,
                    bool header)
{
    char buf[CSV_FIELD_CAP];
    unsigned i;
    enum mtr_err err = check_args(out, e, col_scale10, n_cols);

    if (err != MTR_OK) {
        return err;
    }
    if (header) {
        (void)fputs(mtrd_hist_is_event_log(e->log) ? "seq,time,code" : "seq,time,status", out);
        for (i = 0; i < n_cols; i++) {
            col_title(buf, sizeof(buf), col_names, col_units, i);
            (void)fputc(',', out);
            csv_field(out, buf);
        }
        (void)fputs(",text\r\n", out);
    }
    (void)fprintf(out, "%" PRIu64 ",", e->seq);
    time_text(buf, sizeof(buf), e->t_us);
    (void)fputs(buf, out);
    state_text(buf, sizeof(buf), e);
    (void)fprintf(out, ",%s", buf);
    for (i = 0; i < n_cols; i++) {
        value_text(buf, sizeof(buf), e, col_scale10, i);
        (void)fprintf(out, ",%s", buf);
    }
    (void)fputc(',', out);
    entry_text(buf, sizeof(buf), e);
    csv_field(out, buf);
    (void)fputs("\r\n", out);
    return ferror(out) ? MTR_EIO : MTR_OK;
}

/** Width of value column i of the text table. */
static int
text_width(const char *const *names, const char *const *units, unsigned i)
{
    char title[CSV_FIELD_CAP];
    size_t len;

    col_title(title, sizeof(title), names, units, i);
    len = strlen(title);
    return (len > (size_t)TXT_VALUE_W) ? (int)len : TXT_VALUE_W;
}

static void
text_header(FILE *out,
            const struct mtr_hist_entry *e,
            const char *const *names,
            const char *const *units,
            unsigned n_cols)
{
    char title[CSV_FIELD_CAP];
    unsigned i;
    int w;
    int total = TXT_SEQ_W + 2 + TXT_TIME_W + 2 + TXT_STAT_W + 2 + 4;

    (void)fprintf(out, "%*s  %-*s  %*s", TXT_SEQ_W, "seq", TXT_TIME_W, "time", TXT_STAT_W,
                  mtrd_hist_is_event_log(e->log) ? "code" : "status");
    for (i = 0; i < n_cols; i++) {
        col_title(title, sizeof(title), names, units, i);
        w = text_width(names, units, i);
        total += w + 2;
        (void)fprintf(out, "  %*s", w, title);
    }
    (void)fputs("  text\n", out);
    for (w = 0; w < total; w++) {
        (void)fputc('-', out);
    }
    (void)fputc('\n', out);
}

enum mtr_err
mtrd_hist_write_text(FILE *out,
                     const struct mtr_hist_entry *e,
                     const char *const *col_names,
                     const char *const *col_units,
                     const int8_t *col_scale10,
                     unsigned n_cols,
                     bool header)
{
    char buf[CSV_FIELD_CAP];
    char *p;
    unsigned i;
    enum mtr_err err = check_args(out, e, col_scale10, n_cols);

    if (err != MTR_OK) {
        return err;
    }
    if (header) {
        text_header(out, e, col_names, col_units, n_cols);
    }
    (void)fprintf(out, "%*" PRIu64 "  ", TXT_SEQ_W, e->seq);
    time_text(buf, sizeof(buf), e->t_us);
    (void)fprintf(out, "%-*s  ", TXT_TIME_W, buf);
    state_text(buf, sizeof(buf), e);
    (void)fprintf(out, "%*s", TXT_STAT_W, buf);
    for (i = 0; i < n_cols; i++) {
        value_text(buf, sizeof(buf), e, col_scale10, i);
        (void)fprintf(out, "  %*s", text_width(col_names, col_units, i), buf);
    }
    entry_text(buf, sizeof(buf), e);
    for (p = buf; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20u || (unsigned char)*p == 0x7fu) {
            *p = '.';
        }
    }
    (void)fprintf(out, "  %s\n", buf);
    return ferror(out) ? MTR_EIO : MTR_OK;
}
