/*
 * The meter application on Linux: the core application (include/meterd/app.h),
 * its NV record (meter.nv) and its history (history.db), opened, reconciled and
 * committed in the order that keeps them consistent through kill -9:
 * per frame, entries are stored first (insert-or-replace by sequence number), then
 * the state that counts them is committed; on start, entries numbered past the
 * committed state are dropped.
 */
#ifndef METERD_DAEMON_METER_APP_H
#define METERD_DAEMON_METER_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "hist/hist_sqlite.h"
#include "meterd/app.h"
#include "meterd/reg.h"
#include "nv/app_store.h"

/** The application with its stores. Large (about 50 KiB): allocate it. */
struct mtrd_meter_app {
    struct mtr_app app;
    struct mtrd_app_store store;
    bool is_store_open;
    struct mtrd_hist *hist;
    uint64_t entries_stored; /**< Entries written to history.db in this run. */
};

/**
 * Open meter.nv and history.db in dir, reconcile them with the registers of
 * registers.nv, configure and start the application.
 * @param[out]    ma       Application (zeroed by the caller).
 * @param[in]     cfg      Configuration (clock, tariff, demand, profiles, billing, storage).
 * @param[in]     dir      Data directory.
 * @param[in,out] regs     Registers loaded from registers.nv; replaced by meter.nv's when
 *                         those are newer; the application's registers on return.
 * @param[in]     now_us   Time of the source (see mtr_app_start()).
 * @param[in]     is_live  The source follows the system clock.
 * @param[out]    err      Message naming the file/option on failure.
 * @retval MTR_OK, MTR_EINVAL (configuration), or the store's error.
 */
MTR_NODISCARD enum mtr_err mtrd_meter_app_open(struct mtrd_meter_app *ma,
                                               const struct mtrd_config *cfg,
                                               const char *dir,
                                               struct mtr_reg_set *regs,
                                               int64_t now_us,
                                               bool is_live,
                                               char *err,
                                               size_t err_cap);

/**
 * Open the stored meter for a command while the meter is stopped: meter.nv and
 * history.db, no start (no power-up event), clock as stored.
 * @retval MTR_OK; MTR_EAGAIN (a running meterd holds the data directory: err says so);
 *         MTR_ENOENT (no meter state yet); or the store's error.
 */
MTR_NODISCARD enum mtr_err mtrd_meter_app_attach(struct mtrd_meter_app *ma,
                                                 const struct mtrd_config *cfg,
                                                 const char *dir,
                                                 char *err,
                                                 size_t err_cap);

/**
 * Store the queued entries, then commit the state (entries first: see the file comment).
 * @retval MTR_OK, or MTR_EIO (history or NV write failed: the meter must stop, the
 *         state on disk is the one before this frame).
 */
MTR_NODISCARD enum mtr_err
mtrd_meter_app_commit(struct mtrd_meter_app *ma, char *err, size_t err_cap);

/** Close the stores (final msync). */
void mtrd_meter_app_close(struct mtrd_meter_app *ma);

/**
 * Parse an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[Z]" (also with a space).
 * @retval MTR_OK / MTR_EINVAL.
 */
MTR_NODISCARD enum mtr_err mtrd_parse_utc(const char *s, int64_t *utc_us);

/** Format us since the epoch as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes). */
void mtrd_format_utc(int64_t utc_us, char *out, size_t cap);

#endif /* METERD_DAEMON_METER_APP_H */
