/*
 * The register-set record: struct mtr_reg_set serialised into the NV store (docs/nv-format.md).
 *
 * The payload is an explicit little-endian serialisation, field by field, never a memcpy of
 * the struct: the image does not depend on the compiler's padding, the CPU's byte order or
 * the size of an enum, so a file written on an x86 gateway loads on a big-endian MCU. Its
 * layout version is the NV record's version; older versions are migrated on load. The open
 * helper creates the file with a first record (all registers zero, seq 1) atomically, so a
 * crash during the very first commit cannot leave a store that has never held a record.
 */
#ifndef METERD_DAEMON_REG_STORE_H
#define METERD_DAEMON_REG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/err.h"
#include "meterd/nv.h"
#include "meterd/reg.h"
#include "nv/nv_file.h"

/** Record type of the register set: the bytes "MTRG" in file order. */
#define MTRD_REG_STORE_MAGIC       0x4752544Du
/** Payload layout this build writes. */
#define MTRD_REG_STORE_VERSION     1u
/**
 * Payload capacity of a slot, bytes: room to grow the 724-byte layout 1 without changing the
 * file size (a size change makes old files "wrong size"; they are then salvaged).
 */
#define MTRD_REG_STORE_PAYLOAD_CAP 2048u
/** Bytes of a layout-1 payload: 4 + 8 + 8 + 44 * 8 + 44 * 8. */
#define MTRD_REG_PAYLOAD_V1_LEN    724u

/** An open register store. Must not move after mtrd_reg_store_open() (nv points into file). */
struct mtrd_reg_store {
    struct mtrd_nv_file file; /**< The mapped, locked file. */
    struct mtr_nv nv;         /**< Record store over file; nv.seq is the newest sequence. */
    bool is_new;              /**< Opened a store without a record (registers zero). */
    bool is_recovered;        /**< The file had the wrong size and its valid slot was salvaged. */
    uint8_t buf[MTRD_REG_STORE_PAYLOAD_CAP]; /**< Scratch payload for load and commit. */
};

/**
 * Serialise a register set (layout MTRD_REG_STORE_VERSION).
 * @param[in]  set      Registers: energies >= 0, remainders in [0, 1).
 * @param[out] out      Buffer of out_cap bytes.
 * @param[in]  out_cap  Capacity, bytes; >= MTRD_REG_PAYLOAD_V1_LEN.
 * @param[out] out_len  Bytes written (MTRD_REG_PAYLOAD_V1_LEN).
 * @retval MTR_OK      Written.
 * @retval MTR_EINVAL  NULL argument, a negative register or a remainder outside [0, 1) (it
 *                     would be rejected on load).
 * @retval MTR_ENOSPC  out_cap too small.
 * Context: any; no allocation.
 */
MTR_NODISCARD enum mtr_err
mtrd_reg_encode(const struct mtr_reg_set *set, uint8_t *out, size_t out_cap, size_t *out_len);

/**
 * Deserialise a register set of a given layout version, migrating older layouts.
 * @param[in]  version  Layout version from the NV record.
 * @param[in]  in       Payload bytes.
 * @param[in]  in_len   Payload length, bytes.
 * @param[out] set      Registers; written only on MTR_OK.
 * @param[out] err      Message on failure naming the payload byte offset (may be NULL).
 * @param[in]  err_cap  Capacity of err.
 * @retval MTR_OK        Decoded; encoding set again gives the same bytes (layout 1).
 * @retval MTR_ECORRUPT  Wrong length, wrong dimensions, reserved bits set, a negative register
 *                       or a remainder outside [0, 1) (or NaN).
 * @retval MTR_EVERSION  A layout newer than this build's.
 * @retval MTR_EINVAL    NULL argument or version 0.
 * Context: start-up; no allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_reg_decode(uint16_t version,
                                           const uint8_t *in,
                                           size_t in_len,
                                           struct mtr_reg_set *set,
                                           char *err,
                                           size_t err_cap);

/**
 * Open (create if missing) the register store, load the newest register set, explain it.
 * @param[in]  path         NV file path.
 * @param[out] store        Store (caller memory, must not move while open).
 * @param[out] regs         Loaded registers (zero for a new store); written only on MTR_OK.
 * @param[out] log_msg      One-line explanation for the log: what was found in each slot,
 *                          what was loaded, created or salvaged; on failure, why (may be NULL).
 * @param[in]  log_cap      Capacity of log_msg, bytes.
 * @retval MTR_OK        Open; regs loaded (see store->is_new, store->is_recovered).
 * @retval MTR_ECORRUPT  No valid record (the file is left as it is: a meter must not restart
 *                       its registers at zero without an operator).
 * @retval MTR_EVERSION  The file was written by a newer build.
 * @retval MTR_EAGAIN    Another process holds the file.
 * @retval MTR_EIO       A system call failed.
 * @retval MTR_ENOMEM    No memory for the salvage image.
 * @retval MTR_EINVAL    NULL argument or path too long.
 * Context: daemon start-up.
 */
MTR_NODISCARD enum mtr_err mtrd_reg_store_open(const char *path,
                                               struct mtrd_reg_store *store,
                                               struct mtr_reg_set *regs,
                                               char *log_msg,
                                               size_t log_cap);

/**
 * Commit a register set (synced now, or at the next flush if store->file.is_sync_each_commit
 * is false).
 * @param[in,out] store  Open store.
 * @param[in]     regs   Registers.
 * @retval MTR_OK      Committed as sequence store->nv.seq.
 * @retval MTR_EINVAL  NULL argument or an invalid register set (negative, bad remainder).
 * @retval MTR_EIO     msync failed; the previous record is still the newest.
 * Context: meter loop, once per frame.
 */
MTR_NODISCARD enum mtr_err mtrd_reg_store_commit(struct mtrd_reg_store *store,
                                                 const struct mtr_reg_set *regs);

/**
 * Make every commit durable (msync of the dirty pages).
 * @retval MTR_OK      Done. @retval MTR_EINVAL Not open. @retval MTR_EIO msync failed.
 */
MTR_NODISCARD enum mtr_err mtrd_reg_store_flush(struct mtrd_reg_store *store);

/**
 * Flush and close.
 * @retval MTR_OK  Closed. @retval MTR_EIO The final msync failed (closed anyway).
 */
MTR_NODISCARD enum mtr_err mtrd_reg_store_close(struct mtrd_reg_store *store);

#endif /* METERD_DAEMON_REG_STORE_H */
