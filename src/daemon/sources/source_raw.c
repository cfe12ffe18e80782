/*
 * Raw interleaved sample stream: stdin, a file or a FIFO fed by an ADC process.
 *
 * Each sample is 2 * phase_count little-endian values in the order U1..Un,
 * I1..In, encoded as S16, S32 or F32 (docs/sources-files.md). Integers are
 * scaled by raw_u_scale / raw_i_scale (volts / amperes per count); F32 values
 * are volts and amperes (multiplied by the scale when one is set). The stream
 * has no header, so the rate must come from spec->fs_Hz. Reads block; a read
 * returns as soon as at least one whole sample is there (short reads from a
 * pipe are joined), and a partial sample at the end is an error naming its
 * byte offset.
 */
#include "source.h"

#include "log/errf.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes read at a time: 8192 three-phase S16 samples, or 1365 three-phase S32/F32 ones. */
#define RAW_BUF_CAP   49152
/* Largest sample: 6 channels of 4 bytes. */
#define RAW_FRAME_MAX (2 * MTRD_SOURCE_MAX_PHASES * 4)

_Static_assert(RAW_BUF_CAP % RAW_FRAME_MAX == 0, "buffer holds whole samples of every size");

struct raw_src {
    struct mtrd_source base; /* First member: the daemon sees a struct mtrd_source. */
    int fd;
    bool is_owner;
    bool is_eof;
    char name[256];
    enum mtrd_raw_fmt fmt;
    size_t value_len;     /* Bytes per value: 2 or 4. */
    size_t frame_len;     /* Bytes per sample (all channels). */
    size_t channel_count; /* 2 * phase_count. */
    double u_scale;       /* V per count (F32: V per V). */
    double i_scale;       /* A per count. */
    uint64_t offset;      /* Stream offset of buf[0], bytes. */
    size_t len;           /* Valid bytes in buf. */
    enum mtr_err sticky;  /* Error or end to return from the next read (MTR_OK: none). */
    unsigned char buf[RAW_BUF_CAP];
};

static uint32_t
le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* One value in volts or amperes; the product is taken in double so S32 keeps 31 bits. */
static double
decode(const struct raw_src *s, const unsigned char *b, double scale)
{
    switch (s->fmt) {
    case MTRD_RAW_S16: {
        uint16_t u = (uint16_t)((unsigned)b[0] | (unsigned)b[1] << 8);
        int32_t v = u >= 0x8000u ? (int32_t)u - 0x10000 : (int32_t)u;
        return (double)v * scale;
    }
    case MTRD_RAW_S32: {
        uint32_t u = le32(b);
        int64_t v = u >= 0x80000000u ? (int64_t)u - 0x100000000 : (int64_t)u;
        return (double)v * scale;
    }
    case MTRD_RAW_F32:
    default: {
        uint32_t u = le32(b);
        float f;
        _Static_assert(sizeof(f) == sizeof(u), "float is IEEE-754 binary32");
        memcpy(&f, &u, sizeof(f));
        return (double)f * scale;
    }
    }
}

/* Fill buf until it holds at least one whole sample, or the stream ends. */
static enum mtr_err
fill(struct raw_src *s)
{
    while (!s->is_eof && s->len < s->frame_len) {
        ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            mtrd_errf(s->base.err, sizeof(s->base.err), "%s: byte offset %" PRIu64 ": read: %s",
                      s->name, s->offset + s->len, strerror(errno));
            return MTR_EIO;
        }
        if (n == 0) {
            s->is_eof = true;
        }
        s->len += (size_t)n;
    }
    return MTR_OK;
}

/* Decode up to max whole samples from buf; stops before a non-finite one. */
static enum mtr_err
decode_samples(struct raw_src *s, float *x, size_t max, size_t *got)
{
    size_t whole = s->len / s->frame_len;
    size_t n = whole < max ? whole : max;
    size_t k;
    enum mtr_err rc = MTR_OK;
    size_t half = s->channel_count / 2;

    for (k = 0; k < n && rc == MTR_OK; k++) {
        const unsigned char *b = s->buf + k * s->frame_len;
        for (size_t c = 0; c < s->channel_count; c++) {
            double v = decode(s, b + c * s->value_len, c < half ? s->u_scale : s->i_scale);
            float f = (float)v;
            if (!isfinite(f)) {
                mtrd_errf(s->base.err, sizeof(s->base.err),
                          "%s: byte offset %" PRIu64 ": channel %c%zu of sample %" PRIu64
                          " is not finite",
                          s->name, s->offset + k * s->frame_len + c * s->value_len,
                          c < half ? 'U' : 'I', c % half + 1, (s->offset / s->frame_len) + k);
                rc = MTR_EPROTO;
                break;
            }
            x[k * s->channel_count + c] = f;
        }
    }
    if (rc != MTR_OK) {
        k--; /* the bad sample is not delivered */
    }
    memmove(s->buf, s->buf + k * s->frame_len, s->len - k * s->frame_len);
    s->len -= k * s->frame_len;
    s->offset += (uint64_t)k * s->frame_len;
    *got = k;
    return rc;
}

static enum mtr_err
raw_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    struct raw_src *s = (struct raw_src *)src;
    enum mtr_err rc;
    size_t n = 0;

    if (x == NULL || got == NULL || max_samples == 0) {
        return MTR_EINVAL;
    }
    *got = 0;
    if (s->sticky != MTR_OK) {
        return s->sticky;
    }
    rc = fill(s);
    if (rc == MTR_OK && s->len < s->frame_len) {
        if (s->len > 0) {
            mtrd_errf(s->base.err, sizeof(s->base.err),
                      "%s: byte offset %" PRIu64 ": partial sample at end of stream (%zu of %zu "
                      "bytes)",
                      s->name, s->offset, s->len, s->frame_len);
            rc = MTR_EPROTO;
        } else {
            rc = MTR_EOF;
        }
    }
    if (rc == MTR_OK) {
        rc = decode_samples(s, x, max_samples, &n);
    }
    if (rc != MTR_OK) {
        s->sticky = rc;
    }
    *got = n;
    return n > 0 ? MTR_OK : rc;
}

static void
raw_close(struct mtrd_source *src)
{
    struct raw_src *s = (struct raw_src *)src;

    if (s == NULL) {
        return;
    }
    if (s->is_owner && s->fd >= 0) {
        (void)close(s->fd); /* read-only: nothing to lose */
    }
    free(s);
}

static const struct mtrd_source_ops raw_ops = {
    .read = raw_read,
    .close = raw_close,
};

static enum mtr_err
check_spec(const struct mtrd_source_spec *spec, const char *name, char *err, size_t err_cap)
{
    if (!(spec->fs_Hz > 0.0) || !isfinite(spec->fs_Hz)) {
        mtrd_errf(err, err_cap,
                  "%s: a raw stream has no header: the sample rate (fs_Hz) is required", name);
        return MTR_EINVAL;
    }
    if (spec->phase_count > MTRD_SOURCE_MAX_PHASES) {
        mtrd_errf(err, err_cap, "%s: phase count %u out of range 1..%d", name,
                  (unsigned)spec->phase_count, MTRD_SOURCE_MAX_PHASES);
        return MTR_EINVAL;
    }
    if (spec->raw_fmt != MTRD_RAW_S16 && spec->raw_fmt != MTRD_RAW_S32 &&
        spec->raw_fmt != MTRD_RAW_F32) {
        mtrd_errf(err, err_cap, "%s: unknown raw encoding %d", name, (int)spec->raw_fmt);
        return MTR_EINVAL;
    }
    if (spec->raw_fmt != MTRD_RAW_F32 &&
        (!(spec->raw_u_scale > 0.0 || spec->raw_u_scale < 0.0) || !isfinite(spec->raw_u_scale) ||
         !(spec->raw_i_scale > 0.0 || spec->raw_i_scale < 0.0) || !isfinite(spec->raw_i_scale))) {
        mtrd_errf(err, err_cap,
                  "%s: integer raw samples need raw_u_scale and raw_i_scale (V and A per count), "
                  "got %g and %g",
                  name, spec->raw_u_scale, spec->raw_i_scale);
        return MTR_EINVAL;
    }
    return MTR_OK;
}

static void
fill_info(struct raw_src *s, const struct mtrd_source_spec *spec, uint8_t phases)
{
    static const char *const fmt_name[] = {"S16LE", "S32LE", "F32LE"};
    struct mtrd_source_info *in = &s->base.info;

    in->fs_Hz = spec->fs_Hz;
    in->phase_count = phases;
    for (uint8_t p = 0; p < phases; p++) {
        (void)snprintf(in->u_name[p], sizeof(in->u_name[p]), "U%u", (unsigned)p + 1);
        (void)snprintf(in->i_name[p], sizeof(in->i_name[p]), "I%u", (unsigned)p + 1);
    }
    (void)snprintf(in->desc, sizeof(in->desc), "raw %s %.120s, %.3f Hz, %u phase(s)",
                   fmt_name[s->fmt], s->name, in->fs_Hz, (unsigned)phases);
}

enum mtr_err
mtrd_raw_open(const struct mtrd_source_spec *spec,
              struct mtrd_source **out,
              char *err,
              size_t err_cap)
{
    struct raw_src *s;
    const char *path;
    bool is_stdin;
    enum mtr_err rc;
    uint8_t phases;

    if (spec == NULL || out == NULL) {
        mtrd_errf(err, err_cap, "raw: invalid argument");
        return MTR_EINVAL;
    }
    path = spec->path;
    is_stdin = path == NULL || path[0] == '\0' || strcmp(path, "-") == 0;
    rc = check_spec(spec, is_stdin ? "(stdin)" : path, err, err_cap);
    if (rc != MTR_OK) {
        return rc;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        mtrd_errf(err, err_cap, "%s: out of memory", is_stdin ? "(stdin)" : path);
        return MTR_ENOMEM;
    }
    s->base.ops = &raw_ops;
    (void)snprintf(s->name, sizeof(s->name), "%s", is_stdin ? "(stdin)" : path);
    s->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        mtrd_errf(err, err_cap, "%s: cannot open: %s", path, strerror(e));
        free(s);
        return e == ENOENT ? MTR_ENOENT : MTR_EIO;
    }
    s->is_owner = !is_stdin;
    phases = spec->phase_count == 0 ? 1 : spec->phase_count;
    s->fmt = spec->raw_fmt;
    s->value_len = spec->raw_fmt == MTRD_RAW_S16 ? 2 : 4;
    s->channel_count = (size_t)2 * phases;
    s->frame_len = s->value_len * s->channel_count;
    s->u_scale = spec->raw_u_scale;
    s->i_scale = spec->raw_i_scale;
    if (s->fmt == MTRD_RAW_F32) {
        s->u_scale = s->u_scale > 0.0 || s->u_scale < 0.0 ? s->u_scale : 1.0;
        s->i_scale = s->i_scale > 0.0 || s->i_scale < 0.0 ? s->i_scale : 1.0;
    }
    fill_info(s, spec, phases);
    *out = &s->base;
    return MTR_OK;
}
