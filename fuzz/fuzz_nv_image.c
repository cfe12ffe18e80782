/*
 * Fuzz target: arbitrary bytes as an NV region image (both slots) of the register store, and
 * as a register-set payload.
 *
 * Invariants checked, beyond the absence of crashes:
 *  - mtr_nv_load() returns only OK, ENOENT, ECORRUPT or EVERSION over a RAM region;
 *  - on OK the payload fits the capacity, nothing past it is written, and the CRC stored in
 *    the image after the returned payload matches a fresh CRC of header + returned payload;
 *  - after OK, ENOENT or ECORRUPT a commit succeeds and a reload returns exactly that record
 *    with the next sequence number (no partial state survives an error);
 *  - the register decoder rejects a payload or round-trips it: decode, encode, same bytes.
 * Input shorter than the region is padded with 0x00 (as a truncated file is salvaged).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meterd/nv.h"
#include "meterd/reg.h"
#include "nv/reg_store.h"

#define FZ_CAP        MTRD_REG_STORE_PAYLOAD_CAP
#define FZ_SLOT       (FZ_CAP + MTR_NV_OVERHEAD)
#define FZ_REGION     (2u * FZ_SLOT)
#define FZ_GUARD      16u
/* Fixed payload committed after the load. */
#define FZ_COMMIT_LEN 33u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_ram {
    uint8_t mem[FZ_REGION];
};

static enum mtr_err
fz_read(void *ctx, size_t off, void *buf, size_t len)
{
    struct fz_ram *r = ctx;
    if (off > FZ_REGION || len > FZ_REGION - off) {
        abort(); /* the store must stay inside its region */
    }
    memcpy(buf, r->mem + off, len);
    return MTR_OK;
}

static enum mtr_err
fz_write(void *ctx, size_t off, const void *buf, size_t len)
{
    struct fz_ram *r = ctx;
    if (off > FZ_REGION || len > FZ_REGION - off) {
        abort();
    }
    memcpy(r->mem + off, buf, len);
    return MTR_OK;
}

static enum mtr_err
fz_sync(void *ctx, size_t off, size_t len)
{
    (void)ctx;
    if (off > FZ_REGION || len > FZ_REGION - off) {
        abort();
    }
    return MTR_OK;
}

static const struct mtr_nv_ops fz_ops = {.read = fz_read, .write = fz_write, .sync = fz_sync};

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void
check_decoder(uint16_t version, const uint8_t *p, size_t len)
{
    struct mtr_reg_set set;
    uint8_t again[MTRD_REG_PAYLOAD_V1_LEN];
    size_t n = 0;
    char msg[160];

    if (mtrd_reg_decode(version, p, len, &set, msg, sizeof(msg)) != MTR_OK) {
        return;
    }
    if (mtrd_reg_encode(&set, again, sizeof(again), &n) != MTR_OK || n != len ||
        memcmp(again, p, len) != 0) {
        abort();
    }
}

static void
check_loaded(const struct fz_ram *ram,
             const struct mtr_nv *nv,
             const uint8_t *payload,
             uint32_t len,
             uint16_t version)
{
    const uint8_t *slot;
    uint32_t crc;

    if (len == 0 || len > FZ_CAP || nv->newest < 0 || nv->newest > 1 || version > 1u) {
        abort();
    }
    for (size_t i = FZ_CAP; i < FZ_CAP + FZ_GUARD; i++) {
        if (payload[i] != 0xA5u) {
            abort();
        }
    }
    slot = ram->mem + (size_t)nv->newest * FZ_SLOT;
    crc = mtr_nv_crc32(mtr_nv_crc32(0, slot, 20u), payload, len);
    if (crc != le32(slot + 20u + len)) {
        abort();
    }
    check_decoder(version, payload, len);
}

/* Commit a fixed record, reload: exactly it, with the next sequence number. */
static void
check_commit_after(struct fz_ram *ram, struct mtr_nv *nv)
{
    static const uint8_t rec[FZ_COMMIT_LEN] = "meterd fuzz commit after a load.";
    uint8_t back[FZ_CAP];
    uint64_t want_seq = nv->seq + 1u;
    uint32_t len = 0;
    uint16_t ver = 0;
    struct mtr_nv again;

    if (nv->seq == UINT64_MAX) {
        return;
    }
    if (mtr_nv_commit(nv, rec, sizeof(rec)) != MTR_OK ||
        mtr_nv_init(&again, &fz_ops, ram, MTRD_REG_STORE_MAGIC, 1, FZ_CAP) != MTR_OK ||
        mtr_nv_load(&again, back, &len, &ver, NULL) != MTR_OK || again.seq != want_seq ||
        len != sizeof(rec) || memcmp(back, rec, sizeof(rec)) != 0) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fz_ram ram;
    static uint8_t payload[FZ_CAP + FZ_GUARD];
    enum mtr_nv_slot_state st[2];
    struct mtr_nv nv;
    uint32_t len = 0;
    uint16_t version = 0;
    size_t n = (size < FZ_REGION) ? size : FZ_REGION;
    enum mtr_err e;

    /* The bytes as a payload on their own (reaches the decoder without a valid CRC). */
    check_decoder(1, data, size);

    memset(ram.mem, 0, sizeof(ram.mem));
    memcpy(ram.mem, data, n);
    memset(payload, 0xA5, sizeof(payload));
    if (mtr_nv_init(&nv, &fz_ops, &ram, MTRD_REG_STORE_MAGIC, 1, FZ_CAP) != MTR_OK) {
        abort();
    }
    e = mtr_nv_load(&nv, payload, &len, &version, st);
    switch (e) {
    case MTR_OK:
        check_loaded(&ram, &nv, payload, len, version);
        check_commit_after(&ram, &nv);
        break;
    case MTR_ENOENT:
    case MTR_ECORRUPT:
        for (size_t i = 0; i < sizeof(payload); i++) {
            if (payload[i] != 0xA5u) {
                abort(); /* written on failure */
            }
        }
        check_commit_after(&ram, &nv);
        break;
    case MTR_EVERSION:
        break;
    default:
        abort();
    }
    return 0;
}
