/*
 * The meter-application record: registers and application state (tariff
 * registers, demand, profile and billing schedules, entry numbers) committed
 * together, so they can never disagree after a crash. File <data-dir>/meter.nv,
 * an NV record store (docs/nv-format.md) with magic "MTRA", layout 1:
 * the 724 bytes of the register set (layout 1 of registers.nv), then
 * mtr_app_state_encode(). registers.nv is still written after it every frame, for
 * --show-registers and older tools; on start the newer of the two wins.
 */
#ifndef METERD_DAEMON_APP_STORE_H
#define METERD_DAEMON_APP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/app.h"
#include "meterd/err.h"
#include "meterd/nv.h"
#include "meterd/reg.h"
#include "nv/nv_file.h"

#define MTRD_APP_STORE_MAGIC       0x4152544Du /* "MTRA" in file order */
#define MTRD_APP_STORE_VERSION     1u
#define MTRD_APP_STORE_PAYLOAD_CAP 16384u

/** An open application store. Must not move after open (nv points into file). */
struct mtrd_app_store {
    struct mtrd_nv_file file;
    struct mtr_nv nv;
    bool is_new; /**< No record yet: the caller starts from fresh state. */
    uint8_t buf[MTRD_APP_STORE_PAYLOAD_CAP];
};

/**
 * Open (creating an empty store if missing) and load the newest record.
 * @param[in]  path     File path.
 * @param[out] store    Store.
 * @param[out] regs     Registers of the record (untouched when is_new).
 * @param[out] st       Application state of the record, st->reg excluded (untouched when new).
 * @param[out] log_msg  What was found and done, or why it failed (file, slot, byte offset).
 * @param[in]  log_cap  Capacity of log_msg.
 * @retval MTR_OK        Loaded, or a new store (store->is_new).
 * @retval MTR_ECORRUPT  No valid record although the file is not empty: nothing is changed,
 *                       the meter must not start from zero.
 * @retval MTR_EVERSION  Written by a newer build.
 * @retval MTR_EAGAIN    Locked by another meterd.
 * @retval MTR_EPROTO    Wrong file size.
 * @retval MTR_EIO / MTR_ENOMEM / MTR_EINVAL.
 */
MTR_NODISCARD enum mtr_err mtrd_app_store_open(const char *path,
                                               struct mtrd_app_store *store,
                                               struct mtr_reg_set *regs,
                                               struct mtr_app_state *st,
                                               char *log_msg,
                                               size_t log_cap);

/**
 * Commit registers and state as one record.
 * @retval MTR_OK / MTR_EINVAL (invalid registers) / MTR_ENOSPC / MTR_EIO.
 */
MTR_NODISCARD enum mtr_err mtrd_app_store_commit(struct mtrd_app_store *store,
                                                 const struct mtr_reg_set *regs,
                                                 const struct mtr_app_state *st);

/** msync the dirty range (see mtrd_nv_file_flush()). */
MTR_NODISCARD enum mtr_err mtrd_app_store_flush(struct mtrd_app_store *store);

/** Close (msync and unlock); NULL or a closed store is fine. */
MTR_NODISCARD enum mtr_err mtrd_app_store_close(struct mtrd_app_store *store);

#endif /* METERD_DAEMON_APP_STORE_H */
