/*
 * libFuzzer target: arbitrary bytes as an encoded meter-application state
 * (mtr_app_state_decode(), the payload of meter.nv after the registers).
 *
 * Invariants checked, beyond the absence of crashes:
 *  - decode returns only MTR_OK, MTR_ECORRUPT or MTR_EVERSION, and on failure a byte offset
 *    inside the input (or 0);
 *  - on MTR_OK the values the code relies on are in range (tariffs 1..4, demand slots), and
 *    the state round-trips: encoding it gives mtr_app_state_encoded_len() bytes that decode
 *    to the same state (compared field by field through a second encoding: encode(decode(
 *    encode(st))) equals encode(st) byte for byte), and st->reg is never touched;
 *  - the decoded active and passive calendars are evaluated (mtr_cal_check, and when they
 *    pass, mtr_cal_tariff at the decoded clock): the meter uses a stored calendar as it is.
 * A second decode is made from a copy with the input's length fixed up to the encoded length
 * (padded with zeros or cut), so the fuzzer also reaches the field values behind the length
 * check quickly.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterd/actcal.h"
#include "meterd/app.h"
#include "meterd/clock.h"
#include "meterd/err.h"

#define FZ_GUARD     0x5Au
#define FZ_GUARD_LEN 16u
/* Offset of the body length field in the header (app_nv.c): magic, format, field count. */
#define FZ_BODY_OFF  8u
#define FZ_HEAD_LEN  12u
/* Buffer for the encoded state: its length is about 9 KiB; checked at run time. */
#define FZ_ENC_CAP   16384u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t g_enc1[FZ_ENC_CAP + FZ_GUARD_LEN];
static uint8_t g_enc2[FZ_ENC_CAP + FZ_GUARD_LEN];
static uint8_t g_fixed[FZ_ENC_CAP];

static void
eval_calendar(const struct mtr_cal *cal, int64_t t_us)
{
    struct mtr_cal_error where;
    if (mtr_cal_check(cal, &where) != MTR_OK) {
        return;
    }
    struct mtr_clock_config clk;
    mtr_clock_config_default(&clk);
    int64_t t_s = t_us / 1000000;
    if (t_s < 0 || t_s > 7258118399LL) {
        t_s = 946684800LL; /* 2000-01-01, the clock of a meter never set */
    }
    struct mtr_date_time lt;
    mtr_clock_local(&clk, t_s, &lt);
    uint8_t tariff = 0;
    if (mtr_cal_tariff(cal, &lt, &tariff, NULL) != MTR_OK || tariff < 1u || tariff > 4u) {
        abort();
    }
    if (mtr_cal_next_change(cal, &clk, t_s) <= t_s) {
        abort();
    }
}

/* Decode; on success check ranges and the round trip. */
static void
decode_checked(const uint8_t *in, size_t len)
{
    static struct mtr_app_state st1;
    static struct mtr_app_state st2;
    static struct mtr_reg_set reg_before;
    const size_t enc_len = mtr_app_state_encoded_len();
    if (enc_len > FZ_ENC_CAP) {
        abort(); /* raise FZ_ENC_CAP */
    }
    memset(&st1, 0, sizeof(st1));
    memset(&st1.reg, 0x77, sizeof(st1.reg));
    reg_before = st1.reg;
    size_t bad = SIZE_MAX;
    enum mtr_err e = mtr_app_state_decode(in, len, &st1, &bad);
    if (e != MTR_OK) {
        if ((e != MTR_ECORRUPT && e != MTR_EVERSION) || bad > len) {
            abort();
        }
        return;
    }
    if (len != enc_len || memcmp(&st1.reg, &reg_before, sizeof(reg_before)) != 0) {
        abort(); /* only the exact length decodes, and the registers are not the payload's */
    }
    if (st1.tariff < 1u || st1.tariff > MTR_APP_TARIFFS || st1.tariff_com < 1u ||
        st1.tariff_com > MTR_APP_TARIFFS || st1.dem.sub_pos >= MTR_APP_MAX_SUBS ||
        st1.dem.subs_valid > MTR_APP_MAX_SUBS) {
        abort();
    }
    /* encode: exactly enc_len bytes, nothing written past them */
    size_t len1 = 0;
    memset(g_enc1, FZ_GUARD, sizeof(g_enc1));
    if (mtr_app_state_encode(&st1, g_enc1, enc_len, &len1) != MTR_OK || len1 != enc_len) {
        abort();
    }
    for (size_t k = enc_len; k < enc_len + FZ_GUARD_LEN; k++) {
        if (g_enc1[k] != FZ_GUARD) {
            abort();
        }
    }
    /* the encoding decodes, to a state that encodes to the same bytes */
    memset(&st2, 0, sizeof(st2));
    memset(&st2.reg, 0x77, sizeof(st2.reg));
    if (mtr_app_state_decode(g_enc1, len1, &st2, &bad) != MTR_OK) {
        abort();
    }
    size_t len2 = 0;
    if (mtr_app_state_encode(&st2, g_enc2, enc_len, &len2) != MTR_OK || len2 != len1 ||
        memcmp(g_enc1, g_enc2, len1) != 0) {
        abort();
    }
    /* every byte of the state the decoder writes is the same in both copies (padding was
     * zeroed alike); a value the encoder cannot carry would differ here */
    if (memcmp(&st1, &st2, sizeof(st1)) != 0) {
        abort();
    }
    eval_calendar(&st1.cal.active, st1.t_us);
    eval_calendar(&st1.cal.passive, st1.t_us);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_checked(data, size);
    /* the same bytes with the length fixed up, so the field checks are reached */
    size_t enc_len = mtr_app_state_encoded_len();
    if (size >= FZ_HEAD_LEN && enc_len <= sizeof(g_fixed)) {
        size_t n = size < enc_len ? size : enc_len;
        memset(g_fixed, 0, enc_len);
        memcpy(g_fixed, data, n);
        uint32_t body = (uint32_t)(enc_len - FZ_HEAD_LEN);
        for (unsigned i = 0; i < 4u; i++) {
            g_fixed[FZ_BODY_OFF + i] = (uint8_t)(body >> (8u * i));
        }
        decode_checked(g_fixed, enc_len);
    }
    return 0;
}
