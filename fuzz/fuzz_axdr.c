/*
 * libFuzzer target: bytes -> A-XDR Data (axdr.h).
 *
 * Invariants checked, beyond the absence of crashes and out-of-bounds reads:
 * - mtr_axdr_skip() and a full walk with mtr_axdr_next() agree on success and on the
 *   bytes one Data occupies;
 * - re-encoding the walked Data with the writer and decoding that again gives the same
 *   re-encoding (decode(encode(decode(x))) == decode(x): non-minimal length forms are legal
 *   input and come out minimal, so the input bytes themselves are not compared);
 * - the writer never reports more bytes than its capacity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterd/axdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_OUT_CAP 65536u

static enum mtr_err
walk(struct mtr_axdr_r *r, struct mtr_axdr_w *w, unsigned depth)
{
    struct mtr_axdr_val v;
    enum mtr_err e = mtr_axdr_next(r, &v);
    if (e != MTR_OK) {
        return e;
    }
    switch (v.tag) {
    case MTR_AXDR_ARRAY:
    case MTR_AXDR_STRUCT:
        if (depth >= MTR_AXDR_MAX_DEPTH && v.count > 0u) {
            return MTR_EPROTO; /* skip() refuses the same depth */
        }
        if (v.tag == MTR_AXDR_ARRAY) {
            mtr_axdr_put_array(w, v.count);
        } else {
            mtr_axdr_put_struct(w, v.count);
        }
        for (uint32_t i = 0; i < v.count && e == MTR_OK; i++) {
            e = walk(r, w, depth + 1u);
        }
        return e;
    case MTR_AXDR_OCTETS:
        mtr_axdr_put_octets(w, v.s, v.count);
        return MTR_OK;
    case MTR_AXDR_VISIBLE:
        mtr_axdr_put_visible(w, (const char *)v.s, v.count);
        return MTR_OK;
    case MTR_AXDR_UTF8:
        mtr_axdr_put_utf8(w, (const char *)v.s, v.count);
        return MTR_OK;
    case MTR_AXDR_BITSTRING:
        mtr_axdr_put_bitstring(w, v.s, v.count);
        return MTR_OK;
    case MTR_AXDR_NULL:
    case MTR_AXDR_DONT_CARE:
        mtr_axdr_put_byte(w, v.tag);
        return MTR_OK;
    default:
        mtr_axdr_put_byte(w, v.tag);
        mtr_axdr_put_raw(w, v.s, v.count);
        return MTR_OK;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out1[FUZZ_OUT_CAP];
    static uint8_t out2[FUZZ_OUT_CAP];
    struct mtr_axdr_r r;
    mtr_axdr_r_init(&r, data, size);
    enum mtr_err es = mtr_axdr_skip(&r);
    size_t skipped = r.off;

    struct mtr_axdr_r r1;
    struct mtr_axdr_w w1;
    mtr_axdr_r_init(&r1, data, size);
    mtr_axdr_w_init(&w1, out1, sizeof(out1));
    enum mtr_err ew = walk(&r1, &w1, 0);
    if ((es == MTR_OK) != (ew == MTR_OK) || (es == MTR_OK && r1.off != skipped)) {
        __builtin_trap();
    }
    if (w1.len > sizeof(out1)) {
        __builtin_trap();
    }
    if (ew != MTR_OK || mtr_axdr_w_status(&w1) != MTR_OK) {
        return 0;
    }
    struct mtr_axdr_r r2;
    struct mtr_axdr_w w2;
    mtr_axdr_r_init(&r2, out1, w1.len);
    mtr_axdr_w_init(&w2, out2, sizeof(out2));
    if (walk(&r2, &w2, 0) != MTR_OK || r2.off != w1.len || w2.len != w1.len ||
        memcmp(out1, out2, w1.len) != 0) {
        __builtin_trap();
    }
    return 0;
}
