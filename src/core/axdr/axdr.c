/*
 * A-XDR encoding of COSEM Data (axdr.h): a writer with a sticky overflow flag and a
 * bounds-checked reader. Spec: IEC 62056-6-2:2017 4.1.5, IEC 61334-6.
 */
#include <string.h>

#include "meterd/axdr.h"

/* ---- writer ----------------------------------------------------------------------------- */

void
mtr_axdr_w_init(struct mtr_axdr_w *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0u;
    w->len = 0;
    w->is_overflow = false;
}

enum mtr_err
mtr_axdr_w_status(const struct mtr_axdr_w *w)
{
    return w->is_overflow ? MTR_ENOSPC : MTR_OK;
}

/* Room for n more bytes; sets the overflow flag when there is none. */
static bool
room(struct mtr_axdr_w *w, size_t n)
{
    if (w->is_overflow || n > w->cap - w->len) {
        w->is_overflow = true;
        return false;
    }
    return true;
}

void
mtr_axdr_put_raw(struct mtr_axdr_w *w, const uint8_t *p, size_t n)
{
    if (n > 0u && room(w, n)) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    }
}

void
mtr_axdr_put_byte(struct mtr_axdr_w *w, uint8_t b)
{
    if (room(w, 1u)) {
        w->buf[w->len++] = b;
    }
}

/* Big-endian bytes of v, n of them, as one item. */
static void
put_be(struct mtr_axdr_w *w, uint64_t v, unsigned n)
{
    if (!room(w, n)) {
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        w->buf[w->len++] = (uint8_t)(v >> (8u * (n - 1u - i)));
    }
}

void
mtr_axdr_put_be16(struct mtr_axdr_w *w, uint16_t v)
{
    put_be(w, v, 2u);
}

void
mtr_axdr_put_be32(struct mtr_axdr_w *w, uint32_t v)
{
    put_be(w, v, 4u);
}

void
mtr_axdr_put_be64(struct mtr_axdr_w *w, uint64_t v)
{
    put_be(w, v, 8u);
}

/* Octets of an A-XDR length: 1, or 1 + the bytes of the value. */
static unsigned
len_size(uint32_t n)
{
    return n < 0x80u ? 1u : n <= 0xFFu ? 2u : n <= 0xFFFFu ? 3u : n <= 0xFFFFFFu ? 4u : 5u;
}

void
mtr_axdr_put_len(struct mtr_axdr_w *w, uint32_t n)
{
    unsigned k = len_size(n);
    if (!room(w, k)) {
        return;
    }
    if (k == 1u) {
        w->buf[w->len++] = (uint8_t)n;
        return;
    }
    w->buf[w->len++] = (uint8_t)(0x80u | (k - 1u));
    put_be(w, n, k - 1u);
}

/* Tag + fixed-size big-endian value, all or nothing. */
static void
put_tagged(struct mtr_axdr_w *w, uint8_t tag, uint64_t v, unsigned n)
{
    if (room(w, 1u + n)) {
        w->buf[w->len++] = tag;
        put_be(w, v, n);
    }
}

/* Tag + length + content, all or nothing. */
static void
put_string(struct mtr_axdr_w *w, uint8_t tag, const uint8_t *p, size_t n)
{
    if (n > UINT32_MAX || !room(w, 1u + len_size((uint32_t)n) + n)) {
        w->is_overflow = true;
        return;
    }
    w->buf[w->len++] = tag;
    mtr_axdr_put_len(w, (uint32_t)n);
    mtr_axdr_put_raw(w, p, n);
}

void
mtr_axdr_put_null(struct mtr_axdr_w *w)
{
    mtr_axdr_put_byte(w, MTR_AXDR_NULL);
}

void
mtr_axdr_put_array(struct mtr_axdr_w *w, uint32_t count)
{
    if (room(w, 1u + len_size(count))) {
        w->buf[w->len++] = MTR_AXDR_ARRAY;
        mtr_axdr_put_len(w, count);
    }
}

void
mtr_axdr_put_struct(struct mtr_axdr_w *w, uint32_t count)
{
    if (room(w, 1u + len_size(count))) {
        w->buf[w->len++] = MTR_AXDR_STRUCT;
        mtr_axdr_put_len(w, count);
    }
}

void
mtr_axdr_put_bool(struct mtr_axdr_w *w, bool v)
{
    put_tagged(w, MTR_AXDR_BOOL, v ? 1u : 0u, 1u);
}

void
mtr_axdr_put_bitstring(struct mtr_axdr_w *w, const uint8_t *bits, uint32_t nbits)
{
    size_t n = ((size_t)nbits + 7u) / 8u;
    if (room(w, 1u + len_size(nbits) + n)) {
        w->buf[w->len++] = MTR_AXDR_BITSTRING;
        mtr_axdr_put_len(w, nbits);
        mtr_axdr_put_raw(w, bits, n);
    }
}

void
mtr_axdr_put_i8(struct mtr_axdr_w *w, int8_t v)
{
    put_tagged(w, MTR_AXDR_I8, (uint8_t)v, 1u);
}

void
mtr_axdr_put_i16(struct mtr_axdr_w *w, int16_t v)
{
    put_tagged(w, MTR_AXDR_I16, (uint16_t)v, 2u);
}

void
mtr_axdr_put_i32(struct mtr_axdr_w *w, int32_t v)
{
    put_tagged(w, MTR_AXDR_I32, (uint32_t)v, 4u);
}

void
mtr_axdr_put_i64(struct mtr_axdr_w *w, int64_t v)
{
    put_tagged(w, MTR_AXDR_I64, (uint64_t)v, 8u);
}

void
mtr_axdr_put_u8(struct mtr_axdr_w *w, uint8_t v)
{
    put_tagged(w, MTR_AXDR_U8, v, 1u);
}

void
mtr_axdr_put_u16(struct mtr_axdr_w *w, uint16_t v)
{
    put_tagged(w, MTR_AXDR_U16, v, 2u);
}

void
mtr_axdr_put_u32(struct mtr_axdr_w *w, uint32_t v)
{
    put_tagged(w, MTR_AXDR_U32, v, 4u);
}

void
mtr_axdr_put_u64(struct mtr_axdr_w *w, uint64_t v)
{
    put_tagged(w, MTR_AXDR_U64, v, 8u);
}

void
mtr_axdr_put_enum(struct mtr_axdr_w *w, uint8_t v)
{
    put_tagged(w, MTR_AXDR_ENUM, v, 1u);
}

void
mtr_axdr_put_f32(struct mtr_axdr_w *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof(u));
    put_tagged(w, MTR_AXDR_F32, u, 4u);
}

void
mtr_axdr_put_f64(struct mtr_axdr_w *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    put_tagged(w, MTR_AXDR_F64, u, 8u);
}

void
mtr_axdr_put_octets(struct mtr_axdr_w *w, const uint8_t *p, size_t n)
{
    put_string(w, MTR_AXDR_OCTETS, p, n);
}

void
mtr_axdr_put_visible(struct mtr_axdr_w *w, const char *s, size_t n)
{
    put_string(w, MTR_AXDR_VISIBLE, (const uint8_t *)s, n);
}

void
mtr_axdr_put_utf8(struct mtr_axdr_w *w, const char *s, size_t n)
{
    put_string(w, MTR_AXDR_UTF8, (const uint8_t *)s, n);
}

void
mtr_axdr_put_obis(struct mtr_axdr_w *w, const uint8_t obis[6])
{
    put_string(w, MTR_AXDR_OCTETS, obis, 6u);
}

void
mtr_axdr_patch_u8(struct mtr_axdr_w *w, size_t at, uint8_t v)
{
    if (at < w->len) {
        w->buf[at] = v;
    }
}

/* ---- reader ----------------------------------------------------------------------------- */

void
mtr_axdr_r_init(struct mtr_axdr_r *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p != NULL ? len : 0u;
    r->off = 0;
}

size_t
mtr_axdr_r_left(const struct mtr_axdr_r *r)
{
    return r->len - r->off;
}

enum mtr_err
mtr_axdr_get_byte(struct mtr_axdr_r *r, uint8_t *v)
{
    if (mtr_axdr_r_left(r) < 1u) {
        return MTR_EPROTO;
    }
    *v = r->p[r->off++];
    return MTR_OK;
}

static uint64_t
be_at(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

enum mtr_err
mtr_axdr_get_be16(struct mtr_axdr_r *r, uint16_t *v)
{
    if (mtr_axdr_r_left(r) < 2u) {
        return MTR_EPROTO;
    }
    *v = (uint16_t)be_at(r->p + r->off, 2u);
    r->off += 2u;
    return MTR_OK;
}

enum mtr_err
mtr_axdr_get_be32(struct mtr_axdr_r *r, uint32_t *v)
{
    if (mtr_axdr_r_left(r) < 4u) {
        return MTR_EPROTO;
    }
    *v = (uint32_t)be_at(r->p + r->off, 4u);
    r->off += 4u;
    return MTR_OK;
}

enum mtr_err
mtr_axdr_get_raw(struct mtr_axdr_r *r, size_t n, const uint8_t **p)
{
    if (mtr_axdr_r_left(r) < n) {
        return MTR_EPROTO;
    }
    *p = r->p + r->off;
    r->off += n;
    return MTR_OK;
}

/* A length without the check against the bytes left (element counts). */
static enum mtr_err
get_len_raw(struct mtr_axdr_r *r, uint32_t *n)
{
    size_t at = r->off;
    uint8_t b = 0;
    if (mtr_axdr_get_byte(r, &b) != MTR_OK) {
        return MTR_EPROTO;
    }
    if (b < 0x80u) {
        *n = b;
        return MTR_OK;
    }
    unsigned k = b & 0x7Fu;
    if (k == 0u || k > 4u || mtr_axdr_r_left(r) < k) {
        r->off = at;
        return MTR_EPROTO; /* indefinite or > 32-bit lengths are not A-XDR */
    }
    *n = (uint32_t)be_at(r->p + r->off, k);
    r->off += k;
    return MTR_OK;
}

enum mtr_err
mtr_axdr_get_len(struct mtr_axdr_r *r, uint32_t *n)
{
    size_t at = r->off;
    uint32_t v = 0;
    if (get_len_raw(r, &v) != MTR_OK) {
        return MTR_EPROTO;
    }
    if (v > mtr_axdr_r_left(r)) {
        r->off = at;
        return MTR_EPROTO;
    }
    *n = v;
    return MTR_OK;
}

/* Size of the fixed-size value of a simple tag; 0 for others. */
static unsigned
fixed_size(uint8_t tag)
{
    switch (tag) {
    case MTR_AXDR_BOOL:
    case MTR_AXDR_I8:
    case MTR_AXDR_U8:
    case MTR_AXDR_ENUM:
    case MTR_AXDR_BCD:
        return 1u;
    case MTR_AXDR_I16:
    case MTR_AXDR_U16:
        return 2u;
    case MTR_AXDR_I32:
    case MTR_AXDR_U32:
    case MTR_AXDR_F32:
    case MTR_AXDR_TIME:
        return 4u;
    case MTR_AXDR_DATE:
        return 5u;
    case MTR_AXDR_I64:
    case MTR_AXDR_U64:
    case MTR_AXDR_F64:
        return 8u;
    case MTR_AXDR_DATETIME:
        return MTR_AXDR_DATETIME_LEN;
    default:
        return 0u;
    }
}

/* Value of a fixed-size simple type at p into v. */
static void
fixed_value(uint8_t tag, const uint8_t *p, unsigned n, struct mtr_axdr_val *v)
{
    uint64_t u = be_at(p, n);
    v->u = u;
    v->s = p;
    v->count = n;
    switch (tag) {
    case MTR_AXDR_I8:
        v->i = (int8_t)(uint8_t)u;
        break;
    case MTR_AXDR_I16:
        v->i = (int16_t)(uint16_t)u;
        break;
    case MTR_AXDR_I32:
        v->i = (int32_t)(uint32_t)u;
        break;
    case MTR_AXDR_I64:
        v->i = (int64_t)u;
        break;
    case MTR_AXDR_F32: {
        uint32_t b = (uint32_t)u;
        float f;
        memcpy(&f, &b, sizeof(f));
        v->f = (double)f;
        v->i = 0;
        break;
    }
    case MTR_AXDR_F64:
        memcpy(&v->f, &u, sizeof(v->f));
        v->i = 0;
        break;
    default:
        v->i = u <= (uint64_t)INT64_MAX ? (int64_t)u : INT64_MAX;
        break;
    }
    if (tag == MTR_AXDR_BOOL) {
        v->u = u != 0u ? 1u : 0u;
        v->i = (int64_t)v->u;
    }
}

enum mtr_err
mtr_axdr_next(struct mtr_axdr_r *r, struct mtr_axdr_val *v)
{
    size_t at = r->off;
    uint8_t tag = 0;
    memset(v, 0, sizeof(*v));
    if (mtr_axdr_get_byte(r, &tag) != MTR_OK) {
        return MTR_EPROTO;
    }
    v->tag = tag;
    enum mtr_err e = MTR_OK;
    unsigned n = fixed_size(tag);
    uint32_t count = 0;
    switch (tag) {
    case MTR_AXDR_NULL:
    case MTR_AXDR_DONT_CARE:
        return MTR_OK;
    case MTR_AXDR_ARRAY:
    case MTR_AXDR_STRUCT:
        e = get_len_raw(r, &count);
        /* every element takes at least one byte: a larger count cannot be real */
        if (e == MTR_OK && count > mtr_axdr_r_left(r)) {
            e = MTR_EPROTO;
        }
        v->count = count;
        break;
    case MTR_AXDR_OCTETS:
    case MTR_AXDR_VISIBLE:
    case MTR_AXDR_UTF8:
        e = mtr_axdr_get_len(r, &count);
        if (e == MTR_OK) {
            v->count = count;
            v->s = r->p + r->off;
            r->off += count;
        }
        break;
    case MTR_AXDR_BITSTRING:
        e = get_len_raw(r, &count);
        if (e == MTR_OK && ((size_t)count + 7u) / 8u > mtr_axdr_r_left(r)) {
            e = MTR_EPROTO;
        }
        if (e == MTR_OK) {
            v->count = count;
            v->s = r->p + r->off;
            r->off += ((size_t)count + 7u) / 8u;
        }
        break;
    default:
        if (n == 0u) {
            r->off = at;
            return MTR_ENOTSUP;
        }
        if (mtr_axdr_r_left(r) < n) {
            e = MTR_EPROTO;
            break;
        }
        fixed_value(tag, r->p + r->off, n, v);
        r->off += n;
        break;
    }
    if (e != MTR_OK) {
        r->off = at;
    }
    return e;
}

enum mtr_err
mtr_axdr_skip(struct mtr_axdr_r *r)
{
    /* pending[d]: elements still to read at nesting level d */
    uint32_t pending[MTR_AXDR_MAX_DEPTH + 1u];
    unsigned depth = 0;
    pending[0] = 1u;
    while (true) {
        while (depth > 0u && pending[depth] == 0u) {
            depth--;
        }
        if (pending[depth] == 0u) {
            return MTR_OK;
        }
        pending[depth]--;
        struct mtr_axdr_val v;
        enum mtr_err e = mtr_axdr_next(r, &v);
        if (e != MTR_OK) {
            return e; /* r->off is at the bad Data */
        }
        if ((v.tag == MTR_AXDR_ARRAY || v.tag == MTR_AXDR_STRUCT) && v.count > 0u) {
            if (depth + 1u > MTR_AXDR_MAX_DEPTH) {
                return MTR_EPROTO;
            }
            pending[++depth] = v.count;
        }
        if (depth == 0u && pending[0] == 0u) {
            return MTR_OK;
        }
    }
}

enum mtr_err
mtr_axdr_get_int(struct mtr_axdr_r *r, int64_t lo, int64_t hi, int64_t *out)
{
    size_t at = r->off;
    struct mtr_axdr_val v;
    enum mtr_err e = mtr_axdr_next(r, &v);
    if (e != MTR_OK) {
        return MTR_EPROTO;
    }
    bool is_signed = v.tag == MTR_AXDR_I8 || v.tag == MTR_AXDR_I16 || v.tag == MTR_AXDR_I32 ||
                     v.tag == MTR_AXDR_I64;
    bool is_unsigned = v.tag == MTR_AXDR_U8 || v.tag == MTR_AXDR_U16 || v.tag == MTR_AXDR_U32 ||
                       v.tag == MTR_AXDR_U64 || v.tag == MTR_AXDR_ENUM;
    if (!is_signed && !is_unsigned) {
        r->off = at;
        return MTR_EPROTO;
    }
    if (is_unsigned && v.u > (uint64_t)INT64_MAX) {
        r->off = at;
        return MTR_ERANGE;
    }
    int64_t x = is_signed ? v.i : (int64_t)v.u;
    if (x < lo || x > hi) {
        r->off = at;
        return MTR_ERANGE;
    }
    *out = x;
    return MTR_OK;
}

enum mtr_err
mtr_axdr_get_bool(struct mtr_axdr_r *r, bool *out)
{
    size_t at = r->off;
    struct mtr_axdr_val v;
    if (mtr_axdr_next(r, &v) != MTR_OK || v.tag != MTR_AXDR_BOOL) {
        r->off = at;
        return MTR_EPROTO;
    }
    *out = v.u != 0u;
    return MTR_OK;
}

enum mtr_err
mtr_axdr_get_seq(struct mtr_axdr_r *r, uint8_t want_tag, uint32_t *count)
{
    size_t at = r->off;
    struct mtr_axdr_val v;
    if (mtr_axdr_next(r, &v) != MTR_OK || v.tag != want_tag ||
        (want_tag != MTR_AXDR_ARRAY && want_tag != MTR_AXDR_STRUCT)) {
        r->off = at;
        return MTR_EPROTO;
    }
    *count = v.count;
    return MTR_OK;
}

enum mtr_err
mtr_axdr_get_str(struct mtr_axdr_r *r, uint8_t want_tag, const uint8_t **p, uint32_t *n)
{
    size_t at = r->off;
    struct mtr_axdr_val v;
    if (mtr_axdr_next(r, &v) != MTR_OK || v.tag != want_tag ||
        (want_tag != MTR_AXDR_OCTETS && want_tag != MTR_AXDR_VISIBLE &&
         want_tag != MTR_AXDR_UTF8)) {
        r->off = at;
        return MTR_EPROTO;
    }
    *p = v.s;
    *n = v.count;
    return MTR_OK;
}
