/*
 * Crash-safe record store over two slots (include/meterd/nv.h; layout in docs/nv-format.md).
 *
 * A slot holds one record: magic u32 | version u16 | reserved u16 | length u32 | seq u64 |
 * payload | crc32 u32, little-endian, the CRC over every byte before it. A commit writes the
 * slot that does not hold the newest valid record and syncs it, so a power cut at any byte of
 * a commit leaves the previous record untouched: the next load finds either that record or
 * the complete new one. Fields are (de)serialised with explicit shifts, so the image is the
 * same on a little- or big-endian CPU. Slots are read through a small stack buffer: no
 * allocation, and a slot never needs to fit in RAM except for the payload the caller wants.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/nv.h"

/* Byte offsets of the header fields inside a slot (docs/nv-format.md). */
#define NV_OFF_MAGIC    0u
#define NV_OFF_VERSION  4u
#define NV_OFF_RESERVED 6u
#define NV_OFF_LENGTH   8u
#define NV_OFF_SEQ      12u
#define NV_HDR_LEN      20u /* the payload starts here */
#define NV_CRC_LEN      4u
_Static_assert(NV_HDR_LEN + NV_CRC_LEN == MTR_NV_OVERHEAD, "record overhead is header + CRC");

#define NV_SLOT_COUNT     2u
/* Bytes read at a time when scanning or checksumming a slot (stack buffer). */
#define NV_IO_CHUNK       64u
/* Erased-memory patterns of a slot nobody ever wrote: zero-filled file, erased flash. */
#define NV_ERASED_ZERO    0x00u
#define NV_ERASED_ONE     0xFFu
/* Versions a record may carry: 0 and 0xFFFF are erased-memory patterns, never written. */
#define NV_VERSION_MIN    1u
#define NV_VERSION_MAX    0xFFFEu
/* nv->newest before a successful mtr_nv_load(): commits are refused (see mtr_nv_commit). */
#define NV_NEWEST_UNKNOWN (-2)
#define NV_NEWEST_NONE    (-1)

/* What check_slot() learnt about one slot. */
struct nv_slot_info {
    enum mtr_nv_slot_state state;
    uint8_t hdr[NV_HDR_LEN];
    uint16_t version;
    uint32_t length;
    uint64_t seq;
    uint32_t crc;
};

static uint16_t
get_le16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static uint32_t
get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t
get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

static void
put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

static void
put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)(v & 0xFFFFFFFFu));
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static size_t
slot_len(const struct mtr_nv *nv)
{
    return (size_t)nv->payload_cap + MTR_NV_OVERHEAD;
}

size_t
mtr_nv_region_len(uint32_t payload_cap)
{
    return NV_SLOT_COUNT * ((size_t)payload_cap + MTR_NV_OVERHEAD);
}

/* The CRC of the backend when it has a faster one, else the core's. */
static uint32_t
nv_crc(const struct mtr_nv *nv, uint32_t crc, const void *data, size_t len)
{
    return nv->ops->crc32 != NULL ? nv->ops->crc32(crc, data, len) : mtr_nv_crc32(crc, data, len);
}

enum mtr_err
mtr_nv_init(struct mtr_nv *nv,
            const struct mtr_nv_ops *ops,
            void *ctx,
            uint32_t magic,
            uint16_t version,
            uint32_t payload_cap)
{
    if (nv == NULL || ops == NULL || ops->read == NULL || ops->write == NULL || ops->sync == NULL) {
        return MTR_EINVAL;
    }
    if (magic == 0u || magic == 0xFFFFFFFFu || version < NV_VERSION_MIN ||
        version > NV_VERSION_MAX || payload_cap == 0u || payload_cap > MTR_NV_MAX_PAYLOAD) {
        return MTR_EINVAL;
    }
    nv->ops = ops;
    nv->ctx = ctx;
    nv->magic = magic;
    nv->version = version;
    nv->payload_cap = payload_cap;
    nv->seq = 0;
    nv->newest = NV_NEWEST_UNKNOWN;
    return MTR_OK;
}

/* Set *is_empty when every byte of [off, off+len) is 0x00, or every byte is 0xFF. */
static enum mtr_err
range_is_erased(const struct mtr_nv *nv, size_t off, size_t len, bool *is_empty)
{
    uint8_t buf[NV_IO_CHUNK];
    uint8_t fill = 0;

    for (size_t done = 0; done < len;) {
        size_t n = (len - done < sizeof(buf)) ? len - done : sizeof(buf);
        if (nv->ops->read(nv->ctx, off + done, buf, n) != MTR_OK) {
            return MTR_EIO;
        }
        if (done == 0) {
            fill = buf[0];
            if (fill != NV_ERASED_ZERO && fill != NV_ERASED_ONE) {
                *is_empty = false;
                return MTR_OK;
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (buf[i] != fill) {
                *is_empty = false;
                return MTR_OK;
            }
        }
        done += n;
    }
    *is_empty = true;
    return MTR_OK;
}

/* CRC-32 continued over [off, off+len) of the region. */
static enum mtr_err
range_crc(const struct mtr_nv *nv, size_t off, size_t len, uint32_t *crc)
{
    uint8_t buf[NV_IO_CHUNK];

    for (size_t done = 0; done < len;) {
        size_t n = (len - done < sizeof(buf)) ? len - done : sizeof(buf);
        if (nv->ops->read(nv->ctx, off + done, buf, n) != MTR_OK) {
            return MTR_EIO;
        }
        *crc = nv_crc(nv, *crc, buf, n);
        done += n;
    }
    return MTR_OK;
}

/* Decode and check the header fields; sets si->state to BAD_MAGIC/BAD_LENGTH or VALID. */
static void
parse_header(const struct mtr_nv *nv, struct nv_slot_info *si)
{
    const uint8_t *h = si->hdr;

    si->version = get_le16(h + NV_OFF_VERSION);
    si->length = get_le32(h + NV_OFF_LENGTH);
    si->seq = get_le64(h + NV_OFF_SEQ);
    si->state = MTR_NV_SLOT_VALID;
    /* A bad header field is reported as BAD_MAGIC: "this is not one of our records". */
    if (get_le32(h + NV_OFF_MAGIC) != nv->magic || si->version < NV_VERSION_MIN ||
        si->version > NV_VERSION_MAX || si->seq == 0u) {
        si->state = MTR_NV_SLOT_BAD_MAGIC;
        return;
    }
    /* Reserved is 0 in every layout up to ours; a newer build may give it a meaning. */
    if (si->version <= nv->version && get_le16(h + NV_OFF_RESERVED) != 0u) {
        si->state = MTR_NV_SLOT_BAD_MAGIC;
        return;
    }
    if (si->length == 0u || si->length > nv->payload_cap) {
        si->state = MTR_NV_SLOT_BAD_LENGTH;
    }
}

/*
 * Classify one slot. MTR_EIO when the storage could not be read (state IO); otherwise MTR_OK
 * with si->state telling whether it holds a valid record.
 */
static enum mtr_err
check_slot(const struct mtr_nv *nv, unsigned idx, struct nv_slot_info *si)
{
    size_t off = idx * slot_len(nv);
    bool is_empty = false;
    uint8_t crc_buf[NV_CRC_LEN];
    uint32_t crc;

    si->state = MTR_NV_SLOT_IO;
    if (range_is_erased(nv, off, slot_len(nv), &is_empty) != MTR_OK) {
        return MTR_EIO;
    }
    if (is_empty) {
        si->state = MTR_NV_SLOT_EMPTY;
        return MTR_OK;
    }
    if (nv->ops->read(nv->ctx, off, si->hdr, NV_HDR_LEN) != MTR_OK) {
        return MTR_EIO;
    }
    parse_header(nv, si);
    if (si->state != MTR_NV_SLOT_VALID) {
        return MTR_OK;
    }
    crc = nv_crc(nv, 0, si->hdr, NV_HDR_LEN);
    if (range_crc(nv, off + NV_HDR_LEN, si->length, &crc) != MTR_OK ||
        nv->ops->read(nv->ctx, off + NV_HDR_LEN + si->length, crc_buf, NV_CRC_LEN) != MTR_OK) {
        si->state = MTR_NV_SLOT_IO;
        return MTR_EIO;
    }
    si->crc = get_le32(crc_buf);
    if (crc != si->crc) {
        si->state = MTR_NV_SLOT_BAD_CRC;
    } else if (si->version < nv->version) {
        si->state = MTR_NV_SLOT_OLD_VERSION;
    }
    return MTR_OK;
}

static bool
slot_usable(const struct nv_slot_info *si)
{
    return si->state == MTR_NV_SLOT_VALID || si->state == MTR_NV_SLOT_OLD_VERSION;
}

/* Index of the usable slot with the highest sequence number (slot 0 on a tie), or -1. */
static int
pick_newest(const struct nv_slot_info si[NV_SLOT_COUNT])
{
    bool ok0 = slot_usable(&si[0]);
    bool ok1 = slot_usable(&si[1]);

    if (ok0 && ok1) {
        return (si[1].seq > si[0].seq) ? 1 : 0;
    }
    if (ok0) {
        return 0;
    }
    return ok1 ? 1 : -1;
}

enum mtr_err
mtr_nv_load(struct mtr_nv *nv,
            void *payload,
            uint32_t *payload_len,
            uint16_t *version,
            enum mtr_nv_slot_state slot_state[2])
{
    struct nv_slot_info si[NV_SLOT_COUNT];
    enum mtr_err err = MTR_OK;
    int best;
    uint32_t crc;

    if (nv == NULL || nv->ops == NULL || payload == NULL || payload_len == NULL ||
        version == NULL) {
        return MTR_EINVAL;
    }
    nv->newest = NV_NEWEST_UNKNOWN;
    nv->seq = 0;
    for (unsigned i = 0; i < NV_SLOT_COUNT; i++) {
        si[i].state = MTR_NV_SLOT_IO;
    }
    for (unsigned i = 0; i < NV_SLOT_COUNT && err == MTR_OK; i++) {
        err = check_slot(nv, i, &si[i]);
    }
    if (slot_state != NULL) {
        slot_state[0] = si[0].state;
        slot_state[1] = si[1].state;
    }
    if (err != MTR_OK) {
        return err;
    }
    best = pick_newest(si);
    if (best < 0) {
        nv->newest = NV_NEWEST_NONE;
        if (si[0].state == MTR_NV_SLOT_EMPTY && si[1].state == MTR_NV_SLOT_EMPTY) {
            return MTR_ENOENT;
        }
        return MTR_ECORRUPT;
    }
    if (si[best].version > nv->version) {
        /* Leave newest unknown: this build must not write over a newer layout. */
        return MTR_EVERSION;
    }
    if (nv->ops->read(nv->ctx, (size_t)best * slot_len(nv) + NV_HDR_LEN, payload,
                      si[best].length) != MTR_OK) {
        return MTR_EIO;
    }
    /* The payload was read twice (check, copy): confirm the copy is the record checked. */
    crc = nv_crc(nv, nv_crc(nv, 0, si[best].hdr, NV_HDR_LEN), payload, si[best].length);
    if (crc != si[best].crc) {
        return MTR_EIO;
    }
    nv->newest = (int8_t)best;
    nv->seq = si[best].seq;
    *payload_len = si[best].length;
    *version = si[best].version;
    return MTR_OK;
}

enum mtr_err
mtr_nv_commit(struct mtr_nv *nv, const void *payload, uint32_t payload_len)
{
    uint8_t hdr[NV_HDR_LEN];
    uint8_t crc_buf[NV_CRC_LEN];
    unsigned slot;
    size_t off;
    uint64_t seq;

    if (nv == NULL || nv->ops == NULL || payload == NULL || payload_len == 0u ||
        payload_len > nv->payload_cap) {
        return MTR_EINVAL;
    }
    /* Without a load the newest record is unknown and could be overwritten. */
    if (nv->newest != 0 && nv->newest != 1 && nv->newest != NV_NEWEST_NONE) {
        return MTR_EINVAL;
    }
    if (nv->seq == UINT64_MAX) {
        return MTR_ERANGE; /* 2^64 commits: unreachable at one commit per frame */
    }
    seq = nv->seq + 1u;
    slot = (nv->newest == 0) ? 1u : 0u;
    off = slot * slot_len(nv);

    put_le32(hdr + NV_OFF_MAGIC, nv->magic);
    put_le16(hdr + NV_OFF_VERSION, nv->version);
    put_le16(hdr + NV_OFF_RESERVED, 0);
    put_le32(hdr + NV_OFF_LENGTH, payload_len);
    put_le64(hdr + NV_OFF_SEQ, seq);
    put_le32(crc_buf, nv_crc(nv, nv_crc(nv, 0, hdr, NV_HDR_LEN), payload, payload_len));

    if (nv->ops->write(nv->ctx, off, hdr, NV_HDR_LEN) != MTR_OK ||
        nv->ops->write(nv->ctx, off + NV_HDR_LEN, payload, payload_len) != MTR_OK ||
        nv->ops->write(nv->ctx, off + NV_HDR_LEN + payload_len, crc_buf, NV_CRC_LEN) != MTR_OK ||
        nv->ops->sync(nv->ctx, off, (size_t)payload_len + MTR_NV_OVERHEAD) != MTR_OK) {
        return MTR_EIO;
    }
    nv->seq = seq;
    nv->newest = (int8_t)slot;
    return MTR_OK;
}
