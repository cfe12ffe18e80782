/*
 * libFuzzer target: a TCP byte stream -> IEC 62056-47 wrapper PDUs (wrapper.h).
 *
 * The first input byte picks a chunk size (1..16, or the whole input). Invariants:
 * - every PDU returned has an APDU of at most MTR_WRAP_APDU_CAP bytes whose length equals
 *   the header's length field, and mtr_wrap_encode() of it gives back the stream's bytes;
 * - the bytes consumed never exceed those given, and an error stops the stream.
 */
#include <stdint.h>
#include <string.h>

#include "meterd/wrapper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mtr_wrap w;
    static uint8_t re[MTR_WRAP_HDR_LEN + MTR_WRAP_APDU_CAP];
    if (size < 1u) {
        return 0;
    }
    size_t chunk = data[0] % 17u;
    data++;
    size--;
    mtr_wrap_init(&w);
    size_t pos = 0;
    size_t pdu_start = 0; /* stream offset of the current PDU */
    while (pos < size) {
        size_t n = chunk == 0u || chunk > size - pos ? size - pos : chunk;
        size_t off = 0;
        while (off < n) {
            size_t used = 0;
            struct mtr_wrap_pdu pdu;
            enum mtr_err e = mtr_wrap_feed(&w, data + pos + off, n - off, &used, &pdu);
            if (used > n - off) {
                __builtin_trap();
            }
            off += used;
            if (e == MTR_EAGAIN) {
                break;
            }
            if (e != MTR_OK) {
                return 0;
            }
            size_t rl = 0;
            if (pdu.apdu_len > MTR_WRAP_APDU_CAP ||
                mtr_wrap_encode(pdu.src, pdu.dst, pdu.apdu, pdu.apdu_len, re, sizeof(re), &rl) !=
                    MTR_OK ||
                rl != MTR_WRAP_HDR_LEN + pdu.apdu_len || pdu_start + rl > size ||
                memcmp(re, data + pdu_start, rl) != 0) {
                __builtin_trap();
            }
            pdu_start += rl;
        }
        pos += n;
    }
    return 0;
}
