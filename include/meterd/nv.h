/*
 * Non-volatile record store: two CRC-checked, sequence-numbered slots.
 *
 * The equivalent of a meter's FRAM. A record is
 *   magic u32 | version u16 | reserved u16 | length u32 | seq u64 | payload | crc32 u32
 * little-endian, CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) over everything before
 * the CRC. The region holds two slots of equal size. A commit writes the slot that does
 * not hold the newest valid record, then syncs it; the newest valid record is never
 * touched, so a power cut during a commit leaves the previous record intact. Loading
 * takes the valid slot with the highest sequence number.
 *
 * Storage is reached through mtr_nv_ops (a memory-mapped file on Linux, a fake that
 * cuts power in tests, FRAM on a microcontroller).
 */
#ifndef METERD_NV_H
#define METERD_NV_H

#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

/** Bytes of a record around its payload: 20-byte header + 4-byte CRC. */
#define MTR_NV_OVERHEAD 24u

/** Largest payload a record may carry, bytes. */
#ifndef MTR_NV_MAX_PAYLOAD
#define MTR_NV_MAX_PAYLOAD 65536u
#endif

/** Storage operations. Each returns MTR_OK or MTR_EIO. */
struct mtr_nv_ops {
    /** Read len bytes at byte offset off of the region into buf. */
    enum mtr_err (*read)(void *ctx, size_t off, void *buf, size_t len);
    /** Write len bytes at byte offset off. */
    enum mtr_err (*write)(void *ctx, size_t off, const void *buf, size_t len);
    /** Make the bytes [off, off+len) durable (msync/fsync); may be a no-op. */
    enum mtr_err (*sync)(void *ctx, size_t off, size_t len);
    /**
     * Optional: a faster implementation of mtr_nv_crc32() (the same CRC-32 with the same
     * chaining, e.g. zlib's crc32() or a hardware CRC unit); NULL uses mtr_nv_crc32().
     */
    uint32_t (*crc32)(uint32_t crc, const void *data, size_t len);
};

/** Store state (caller memory). */
struct mtr_nv {
    const struct mtr_nv_ops *ops;
    void *ctx;
    uint32_t magic;       /**< Identifies the record type. */
    uint16_t version;     /**< Payload layout version this build writes. */
    uint32_t payload_cap; /**< Payload capacity of a slot, bytes. */
    uint64_t seq;         /**< Sequence number of the newest valid record; 0 if none. */
    int8_t newest;        /**< Slot (0/1) of the newest valid record; -1 if none. */
};

/** Why a slot was rejected by mtr_nv_load(). */
enum mtr_nv_slot_state {
    MTR_NV_SLOT_VALID = 0,
    MTR_NV_SLOT_EMPTY = 1, /**< All bytes erased (0x00 or 0xFF). */
    MTR_NV_SLOT_BAD_MAGIC = 2,
    MTR_NV_SLOT_BAD_LENGTH = 3, /**< Length above capacity: truncated or corrupt. */
    MTR_NV_SLOT_BAD_CRC = 4,
    MTR_NV_SLOT_OLD_VERSION = 5,
    MTR_NV_SLOT_IO = 6,
};

/**
 * Bytes of region needed for a payload capacity: 2 * (payload_cap + MTR_NV_OVERHEAD).
 * @param[in] payload_cap  Payload capacity, bytes.
 */
size_t mtr_nv_region_len(uint32_t payload_cap);

/**
 * Initialise a store over a region of mtr_nv_region_len(payload_cap) bytes.
 * @param[out] nv           Store.
 * @param[in]  ops          Storage operations (borrowed until the store is no longer used).
 * @param[in]  ctx          Passed to ops.
 * @param[in]  magic        Record type identifier (not 0, not 0xFFFFFFFF).
 * @param[in]  version      Payload layout version (1..65534).
 * @param[in]  payload_cap  Payload capacity, 1..MTR_NV_MAX_PAYLOAD bytes.
 * @retval MTR_OK      Initialised; call mtr_nv_load() next.
 * @retval MTR_EINVAL  NULL or out-of-range argument.
 */
MTR_NODISCARD enum mtr_err mtr_nv_init(struct mtr_nv *nv,
                                       const struct mtr_nv_ops *ops,
                                       void *ctx,
                                       uint32_t magic,
                                       uint16_t version,
                                       uint32_t payload_cap);

/**
 * Load the newest valid record.
 * @param[in,out] nv          Store.
 * @param[out]    payload     Buffer of payload_cap bytes; written only on MTR_OK.
 * @param[out]    payload_len Bytes of payload (may be less than payload_cap).
 * @param[out]    version     Version of the record loaded (a caller may migrate older ones).
 * @param[out]    slot_state  [2] state of each slot, for the log; may be NULL.
 * @retval MTR_OK        Loaded the valid slot with the highest sequence number.
 * @retval MTR_ENOENT    Both slots empty: a new store.
 * @retval MTR_ECORRUPT  No valid slot, and at least one is not empty.
 * @retval MTR_EVERSION  The newest valid record has a version newer than this build's.
 * @retval MTR_EIO       Reading failed.
 * @retval MTR_EINVAL    NULL argument.
 * Context: start-up; no allocation; reads 2 slots.
 */
MTR_NODISCARD enum mtr_err mtr_nv_load(struct mtr_nv *nv,
                                       void *payload,
                                       uint32_t *payload_len,
                                       uint16_t *version,
                                       enum mtr_nv_slot_state slot_state[2]);

/**
 * Commit a new record to the older slot and sync it.
 * @param[in,out] nv           Store.
 * @param[in]     payload      Payload bytes.
 * @param[in]     payload_len  1..payload_cap bytes.
 * @retval MTR_OK      Durable (as far as ops->sync makes it); it is now the newest.
 * @retval MTR_EIO     A write or sync failed; the previous record is still the newest.
 * @retval MTR_EINVAL  NULL argument or bad length.
 * Context: meter loop; no allocation; writes one slot.
 */
MTR_NODISCARD enum mtr_err
mtr_nv_commit(struct mtr_nv *nv, const void *payload, uint32_t payload_len);

/**
 * CRC-32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF).
 * @param[in] crc   Running value; 0 to start.
 * @param[in] data  Bytes.
 * @param[in] len   Byte count.
 * @return Updated CRC. crc32("123456789") = 0xCBF43926.
 */
uint32_t mtr_nv_crc32(uint32_t crc, const void *data, size_t len);

#endif /* METERD_NV_H */
