/*
 * A-XDR codec (axdr.h): encodings worked out by hand from IEC 62056-6-2 4.1.5 / IEC 61334-6,
 * and the Data-Notification bodies of real meters' HAN pushes in
 * ../shared/data/dlms/vectors.json (Aidon, Kaifa, Kamstrup, Iskra), whose decoded OBIS codes
 * and strings the vectors' `expected` field lists: every body is walked, its OBIS codes and
 * strings compared in order, and re-encoded to identical bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "meterd/axdr.h"

static const char *g_vectors_path;

/* ---- hand-checked encodings ----------------------------------------------------------- */

enum put_kind {
    P_U16,
    P_I32,
    P_U32,
    P_I8,
    P_ENUM,
    P_F32,
    P_LEN,
    P_OBIS,
    P_BOOL,
    P_U64,
    P_I64
};

struct enc_row {
    const char *name;
    enum put_kind kind;
    int64_t v;
    double f;
    const char *hex;
};

static const struct enc_row k_enc[] = {
    {"long-unsigned 0x1234",        P_U16,  0x1234,          0,     "121234"            },
    {"double-long -1",              P_I32,  -1,              0,     "05FFFFFFFF"        },
    {"double-long-unsigned 230500", P_U32,  230500,          0,     "0600038464"        },
    {"integer -3 (a scaler)",       P_I8,   -3,              0,     "0FFD"              },
    {"enum 27 (unit W)",            P_ENUM, 27,              0,     "161B"              },
    {"float32 230.5",               P_F32,  0,               230.5, "1743668000"        },
    {"boolean true",                P_BOOL, 1,               0,     "0301"              },
    {"long64-unsigned 2^40",        P_U64,  1099511627776LL, 0,     "150000010000000000"},
    {"long64 -2",                   P_I64,  -2,              0,     "14FFFFFFFFFFFFFFFE"},
    {"length 127",                  P_LEN,  127,             0,     "7F"                },
    {"length 128",                  P_LEN,  128,             0,     "8180"              },
    {"length 255",                  P_LEN,  255,             0,     "81FF"              },
    {"length 256",                  P_LEN,  256,             0,     "820100"            },
    {"length 65536",                P_LEN,  65536,           0,     "83010000"          },
    {"logical name 1.0.1.8.0.255",  P_OBIS, 0,               0,     "0906010001080 0FF" },
};

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned hi = 0;
    bool has_hi = false;
    for (; *s != '\0'; s++) {
        unsigned v;
        if (*s >= '0' && *s <= '9') {
            v = (unsigned)(*s - '0');
        } else if (*s >= 'A' && *s <= 'F') {
            v = (unsigned)(*s - 'A' + 10);
        } else if (*s >= 'a' && *s <= 'f') {
            v = (unsigned)(*s - 'a' + 10);
        } else {
            continue;
        }
        if (!has_hi) {
            hi = v;
            has_hi = true;
        } else if (n < cap) {
            out[n++] = (uint8_t)(hi << 4 | v);
            has_hi = false;
        }
    }
    return n;
}

static void
put_row(struct mtr_axdr_w *w, const struct enc_row *r)
{
    static const uint8_t obis[6] = {1, 0, 1, 8, 0, 255};
    switch (r->kind) {
    case P_U16:
        mtr_axdr_put_u16(w, (uint16_t)r->v);
        break;
    case P_I32:
        mtr_axdr_put_i32(w, (int32_t)r->v);
        break;
    case P_U32:
        mtr_axdr_put_u32(w, (uint32_t)r->v);
        break;
    case P_I8:
        mtr_axdr_put_i8(w, (int8_t)r->v);
        break;
    case P_ENUM:
        mtr_axdr_put_enum(w, (uint8_t)r->v);
        break;
    case P_F32:
        mtr_axdr_put_f32(w, (float)r->f);
        break;
    case P_LEN:
        mtr_axdr_put_len(w, (uint32_t)r->v);
        break;
    case P_OBIS:
        mtr_axdr_put_obis(w, obis);
        break;
    case P_BOOL:
        mtr_axdr_put_bool(w, r->v != 0);
        break;
    case P_U64:
        mtr_axdr_put_u64(w, (uint64_t)r->v);
        break;
    case P_I64:
        mtr_axdr_put_i64(w, r->v);
        break;
    }
}

/* Each row encodes to its bytes; at every smaller capacity it overflows and writes nothing
 * past the capacity (guard bytes), and the encoding reads back with the same value. */
static void
test_encodings(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(k_enc) / sizeof(k_enc[0]); i++) {
        const struct enc_row *r = &k_enc[i];
        uint8_t want[32];
        size_t n = unhex(r->hex, want, sizeof(want));
        for (size_t cap = 0; cap <= n; cap++) {
            uint8_t buf[40];
            memset(buf, 0xA5, sizeof(buf));
            struct mtr_axdr_w w;
            mtr_axdr_w_init(&w, buf + 4, cap);
            put_row(&w, r);
            if (cap < n) {
                if (mtr_axdr_w_status(&w) != MTR_ENOSPC || w.len != 0u) {
                    fail_msg("%s: cap %zu: status %d len %zu, want ENOSPC and 0", r->name, cap,
                             mtr_axdr_w_status(&w), w.len);
                }
            } else if (mtr_axdr_w_status(&w) != MTR_OK || w.len != n ||
                       memcmp(buf + 4, want, n) != 0) {
                fail_msg("%s: wrong bytes (len %zu, want %zu)", r->name, w.len, n);
            }
            for (size_t g = 4 + cap; g < sizeof(buf); g++) {
                if (buf[g] != 0xA5 || buf[0] != 0xA5) {
                    fail_msg("%s: cap %zu: write past the buffer at %zu", r->name, cap, g);
                }
            }
        }
        if (r->kind == P_LEN) {
            struct mtr_axdr_r rd;
            uint8_t big[70000] = {0};
            memcpy(big, want, n);
            mtr_axdr_r_init(&rd, big, n + (size_t)r->v);
            uint32_t got = 0;
            assert_int_equal(mtr_axdr_get_len(&rd, &got), MTR_OK);
            assert_int_equal(got, (uint32_t)r->v);
            continue;
        }
        struct mtr_axdr_r rd;
        struct mtr_axdr_val v;
        mtr_axdr_r_init(&rd, want, n);
        assert_int_equal(mtr_axdr_next(&rd, &v), MTR_OK);
        assert_int_equal(rd.off, n);
        if (r->kind == P_F32) {
            assert_true(v.f == r->f);
        } else if (r->kind == P_U64) {
            assert_true(v.u == (uint64_t)r->v);
        } else if (r->kind != P_OBIS) {
            if (v.i != r->v) {
                fail_msg("%s: read %lld, want %lld", r->name, (long long)v.i, (long long)r->v);
            }
        }
    }
}

/* Truncating a valid Data at every length gives MTR_EPROTO, never a read past the end. */
static void
test_truncation(void **state)
{
    (void)state;
    /* structure {octet-string 1.0.1.7.0.255, double-long-unsigned 1122, {integer 0, enum W}} */
    static const char *hex = "0203 0906 0100010700FF 0600000462 0202 0F00 161B";
    uint8_t full[32];
    size_t n = unhex(hex, full, sizeof(full));
    for (size_t k = 0; k < n; k++) {
        uint8_t *cut = malloc(k > 0 ? k : 1);
        memcpy(cut, full, k);
        struct mtr_axdr_r r;
        mtr_axdr_r_init(&r, cut, k);
        enum mtr_err e = mtr_axdr_skip(&r);
        free(cut);
        if (e != MTR_EPROTO) {
            fail_msg("cut at %zu of %zu: skip gave %d, want MTR_EPROTO", k, n, e);
        }
    }
    struct mtr_axdr_r r;
    mtr_axdr_r_init(&r, full, n);
    assert_int_equal(mtr_axdr_skip(&r), MTR_OK);
    assert_int_equal(r.off, n);
}

/* Nesting deeper than MTR_AXDR_MAX_DEPTH is refused; exactly the maximum is accepted. */
static void
test_depth(void **state)
{
    (void)state;
    uint8_t b[64];
    for (unsigned depth = MTR_AXDR_MAX_DEPTH; depth <= MTR_AXDR_MAX_DEPTH + 1u; depth++) {
        size_t n = 0;
        for (unsigned i = 0; i < depth; i++) {
            b[n++] = MTR_AXDR_STRUCT;
            b[n++] = 1;
        }
        b[n++] = MTR_AXDR_NULL;
        struct mtr_axdr_r r;
        mtr_axdr_r_init(&r, b, n);
        assert_int_equal(mtr_axdr_skip(&r), depth <= MTR_AXDR_MAX_DEPTH ? MTR_OK : MTR_EPROTO);
    }
    /* a count larger than the bytes left cannot be real */
    static const uint8_t huge[] = {MTR_AXDR_ARRAY, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    struct mtr_axdr_r r;
    mtr_axdr_r_init(&r, huge, sizeof(huge));
    assert_int_equal(mtr_axdr_skip(&r), MTR_EPROTO);
}

/* ---- real meters' push bodies --------------------------------------------------------- */

/* Walk one Data, collecting OBIS codes (6-byte octet-strings) and other strings in order, and
 * re-encode each element with the writer. */
struct walk {
    char obis[64][24];
    size_t n_obis;
    char str[64][40];
    size_t n_str;
};

static enum mtr_err
walk_data(struct mtr_axdr_r *r, struct mtr_axdr_w *w, struct walk *out, unsigned depth)
{
    struct mtr_axdr_val v;
    enum mtr_err e = mtr_axdr_next(r, &v);
    if (e != MTR_OK || depth > MTR_AXDR_MAX_DEPTH) {
        return e != MTR_OK ? e : MTR_EPROTO;
    }
    switch (v.tag) {
    case MTR_AXDR_ARRAY:
    case MTR_AXDR_STRUCT:
        if (v.tag == MTR_AXDR_ARRAY) {
            mtr_axdr_put_array(w, v.count);
        } else {
            mtr_axdr_put_struct(w, v.count);
        }
        for (uint32_t i = 0; i < v.count && e == MTR_OK; i++) {
            e = walk_data(r, w, out, depth + 1u);
        }
        return e;
    case MTR_AXDR_OCTETS:
    case MTR_AXDR_VISIBLE:
    case MTR_AXDR_UTF8:
        if (v.tag == MTR_AXDR_OCTETS && v.count == 6u && out->n_obis < 64u) {
            (void)snprintf(out->obis[out->n_obis++], 24, "%u.%u.%u.%u.%u.%u", v.s[0], v.s[1],
                           v.s[2], v.s[3], v.s[4], v.s[5]);
        } else if (v.count != 12u && out->n_str < 64u) {
            (void)snprintf(out->str[out->n_str++], 40, "%.*s", (int)v.count, (const char *)v.s);
        }
        if (v.tag == MTR_AXDR_OCTETS) {
            mtr_axdr_put_octets(w, v.s, v.count);
        } else if (v.tag == MTR_AXDR_VISIBLE) {
            mtr_axdr_put_visible(w, (const char *)v.s, v.count);
        } else {
            mtr_axdr_put_utf8(w, (const char *)v.s, v.count);
        }
        return MTR_OK;
    case MTR_AXDR_NULL:
        mtr_axdr_put_null(w);
        return MTR_OK;
    case MTR_AXDR_BOOL:
        mtr_axdr_put_bool(w, v.u != 0u);
        return MTR_OK;
    case MTR_AXDR_I8:
        mtr_axdr_put_i8(w, (int8_t)v.i);
        return MTR_OK;
    case MTR_AXDR_I16:
        mtr_axdr_put_i16(w, (int16_t)v.i);
        return MTR_OK;
    case MTR_AXDR_I32:
        mtr_axdr_put_i32(w, (int32_t)v.i);
        return MTR_OK;
    case MTR_AXDR_I64:
        mtr_axdr_put_i64(w, v.i);
        return MTR_OK;
    case MTR_AXDR_U8:
        mtr_axdr_put_u8(w, (uint8_t)v.u);
        return MTR_OK;
    case MTR_AXDR_U16:
        mtr_axdr_put_u16(w, (uint16_t)v.u);
        return MTR_OK;
    case MTR_AXDR_U32:
        mtr_axdr_put_u32(w, (uint32_t)v.u);
        return MTR_OK;
    case MTR_AXDR_U64:
        mtr_axdr_put_u64(w, v.u);
        return MTR_OK;
    case MTR_AXDR_ENUM:
        mtr_axdr_put_enum(w, (uint8_t)v.u);
        return MTR_OK;
    default: /* date-time and other fixed types: tag + raw bytes */
        mtr_axdr_put_byte(w, v.tag);
        mtr_axdr_put_raw(w, v.s, v.count);
        return MTR_OK;
    }
}

/* The quoted strings and OBIS(...) codes of an `expected` text, in order. */
static void
expected_tokens(const char *s, struct walk *out)
{
    memset(out, 0, sizeof(*out));
    while (*s != '\0') {
        if (strncmp(s, "OBIS(", 5) == 0 && out->n_obis < 64u) {
            const char *e = strchr(s, ')');
            (void)snprintf(out->obis[out->n_obis++], 24, "%.*s", (int)(e - s - 5), s + 5);
            s = e;
        } else if (*s == '"' && out->n_str < 64u) {
            const char *e = strchr(s + 1, '"');
            if (e == NULL) {
                return;
            }
            (void)snprintf(out->str[out->n_str++], 40, "%.*s", (int)(e - s - 1), s + 1);
            s = e;
        }
        s++;
    }
}

static void
test_push_vectors(void **state)
{
    (void)state;
    FILE *f = fopen(g_vectors_path, "rb");
    assert_non_null(f);
    static char text[2000000];
    size_t got = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[got] = '\0';
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    cJSON *vecs = cJSON_GetObjectItem(root, "vectors");
    unsigned checked = 0;
    cJSON *v;
    cJSON_ArrayForEach(v, vecs)
    {
        const char *layer = cJSON_GetStringValue(cJSON_GetObjectItem(v, "layer"));
        const char *exp = cJSON_GetStringValue(cJSON_GetObjectItem(v, "expected"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(v, "id"));
        if (layer == NULL || exp == NULL || strncmp(layer, "LLC PDU", 7) != 0 ||
            strstr(exp, "body=") == NULL) {
            continue;
        }
        static uint8_t b[4096];
        size_t n = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(v, "hex")), b, sizeof(b));
        /* E6 E7 00, Data-Notification 0F, long-invoke-id-and-priority (4), date-time */
        if (n < 9u || b[3] != 0x0Fu) {
            fail_msg("%s: not a Data-Notification", id);
        }
        size_t off = 8;
        off += 1u + (size_t)b[off]; /* octet-string length 0 or 12, no tag */
        struct mtr_axdr_r r;
        mtr_axdr_r_init(&r, b + off, n - off);
        static uint8_t re[4096];
        struct mtr_axdr_w w;
        mtr_axdr_w_init(&w, re, sizeof(re));
        struct walk got_tok;
        memset(&got_tok, 0, sizeof(got_tok));
        enum mtr_err e = walk_data(&r, &w, &got_tok, 0);
        if (e != MTR_OK || r.off != n - off) {
            fail_msg("%s: body: %s at byte %zu, consumed %zu of %zu", id, mtr_strerror(e),
                     off + r.off, r.off, n - off);
        }
        if (mtr_axdr_w_status(&w) != MTR_OK || w.len != r.off || memcmp(re, b + off, w.len)) {
            fail_msg("%s: re-encoding differs from the meter's bytes", id);
        }
        struct mtr_axdr_r r2;
        mtr_axdr_r_init(&r2, b + off, n - off);
        assert_int_equal(mtr_axdr_skip(&r2), MTR_OK);
        assert_int_equal(r2.off, n - off);
        struct walk want;
        expected_tokens(strstr(exp, "body="), &want);
        if (want.n_obis == 0u || want.n_obis != got_tok.n_obis) {
            fail_msg("%s: %zu OBIS codes decoded, %zu expected", id, got_tok.n_obis, want.n_obis);
        }
        for (size_t i = 0; i < want.n_obis; i++) {
            if (strcmp(want.obis[i], got_tok.obis[i]) != 0) {
                fail_msg("%s: OBIS #%zu is %s, expected %s", id, i, got_tok.obis[i], want.obis[i]);
            }
        }
        for (size_t i = 0; i < want.n_str; i++) {
            bool found = false;
            for (size_t k = 0; k < got_tok.n_str && !found; k++) {
                found = strcmp(want.str[i], got_tok.str[k]) == 0;
            }
            if (!found) {
                fail_msg("%s: string \"%s\" not decoded", id, want.str[i]);
            }
        }
        checked++;
    }
    cJSON_Delete(root);
    print_message("%u push bodies decoded, compared and re-encoded\n", checked);
    assert_true(checked >= 10u);
}

int
main(int argc, char **argv)
{
    g_vectors_path = argc > 1 ? argv[1] : "../shared/data/dlms/vectors.json";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_push_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
