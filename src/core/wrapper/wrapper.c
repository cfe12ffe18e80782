/*
 * IEC 62056-47 wrapper framing (wrapper.h).
 */
#include <string.h>

#include "meterd/wrapper.h"

void
mtr_wrap_init(struct mtr_wrap *w)
{
    w->have = 0;
    w->offset = 0;
}

static uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

enum mtr_err
mtr_wrap_feed(
    struct mtr_wrap *w, const uint8_t *in, size_t n, size_t *consumed, struct mtr_wrap_pdu *pdu)
{
    if (w == NULL || (in == NULL && n > 0u) || consumed == NULL || pdu == NULL) {
        return MTR_EINVAL;
    }
    size_t used = 0;
    if (w->have >= MTR_WRAP_HDR_LEN && w->have == MTR_WRAP_HDR_LEN + (size_t)be16(w->buf + 6)) {
        /* the previous call returned this PDU: start the next one */
        w->offset += w->have;
        w->have = 0;
    }
    while (used < n) {
        size_t want = MTR_WRAP_HDR_LEN;
        if (w->have >= MTR_WRAP_HDR_LEN) {
            want += be16(w->buf + 6);
        }
        size_t take = want - w->have;
        if (take > n - used) {
            take = n - used;
        }
        memcpy(w->buf + w->have, in + used, take);
        w->have += take;
        used += take;
        if (w->have == MTR_WRAP_HDR_LEN) {
            if (be16(w->buf) != MTR_WRAP_VERSION) {
                *consumed = used;
                w->have = 0;
                return MTR_EPROTO;
            }
            if (be16(w->buf + 6) > MTR_WRAP_APDU_CAP) {
                *consumed = used;
                w->have = 0;
                return MTR_ENOSPC;
            }
        }
        if (w->have >= MTR_WRAP_HDR_LEN && w->have == MTR_WRAP_HDR_LEN + be16(w->buf + 6)) {
            pdu->src = be16(w->buf + 2);
            pdu->dst = be16(w->buf + 4);
            pdu->apdu = w->buf + MTR_WRAP_HDR_LEN;
            pdu->apdu_len = be16(w->buf + 6);
            *consumed = used;
            return MTR_OK;
        }
    }
    *consumed = used;
    return MTR_EAGAIN;
}

enum mtr_err
mtr_wrap_encode(uint16_t src,
                uint16_t dst,
                const uint8_t *apdu,
                size_t n,
                uint8_t *out,
                size_t cap,
                size_t *out_len)
{
    if ((apdu == NULL && n > 0u) || out == NULL || out_len == NULL) {
        return MTR_EINVAL;
    }
    if (n > 0xFFFFu) {
        return MTR_ERANGE;
    }
    if (cap < MTR_WRAP_HDR_LEN + n) {
        return MTR_ENOSPC;
    }
    const uint16_t hdr[4] = {MTR_WRAP_VERSION, src, dst, (uint16_t)n};
    for (unsigned i = 0; i < 4u; i++) {
        out[2u * i] = (uint8_t)(hdr[i] >> 8);
        out[2u * i + 1u] = (uint8_t)hdr[i];
    }
    if (n > 0u) {
        memcpy(out + MTR_WRAP_HDR_LEN, apdu, n);
    }
    *out_len = MTR_WRAP_HDR_LEN + n;
    return MTR_OK;
}
