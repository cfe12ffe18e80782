/*
 * Command-line access to profiles, billing periods and event logs, and the
 * commands of a stopped meter. A running meter holds the lock on meter.nv: its
 * commands go through an interface (Modbus command registers) instead.
 */
#ifndef METERD_DAEMON_CLI_HISTORY_H
#define METERD_DAEMON_CLI_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "loop/meter_loop.h"
#include "meterd/app.h"
#include "meterd/hist.h"

/** What --show prints. */
struct mtrd_cli_show {
    const char *log_name; /**< Log name or alias (mtrd_cli_log_from_name()). */
    char entries[64];     /**< "A:B" entry descriptor (1-based; B empty/0 = newest), or "". */
    char from[64];        /**< Range descriptor: ISO 8601 UTC, or "". */
    char to[64];
    bool csv;  /**< RFC 4180 CSV instead of the aligned table. */
    bool json; /**< One JSON document: log, obis, units and entries (values in display units). */
};

/** Commands of a stopped meter. */
enum mtrd_cmd_op {
    MTRD_CMD_BILLING_RESET,
    MTRD_CMD_DEMAND_RESET,
    MTRD_CMD_PARTIAL,
    MTRD_CMD_SET_TIME,
    MTRD_CMD_SET_TARIFF,
};

struct mtrd_cli_cmd {
    enum mtrd_cmd_op op;
    enum mtr_partial_op partial; /**< MTRD_CMD_PARTIAL */
    int64_t time_us;             /**< MTRD_CMD_SET_TIME, UTC */
    uint8_t tariff;              /**< MTRD_CMD_SET_TARIFF, 1..4 */
};

/**
 * Resolve a log name ("billing_monthly") or alias ("billing").
 * @retval MTR_OK / MTR_ENOENT.
 */
enum mtr_err mtrd_cli_log_from_name(const char *name, enum mtr_hist_log *log);

/**
 * Print the selected entries of a log from <data-dir>/history.db: an aligned table
 * with units, or CSV (header: seq, time, status/code, then the columns with units).
 * @return Exit code: 0, 2 (unknown log, bad selection), 4 (database error).
 */
int mtrd_cli_show(const struct mtrd_config *cfg, const struct mtrd_cli_show *q);

/**
 * Apply a command to the stored meter (meter.nv + history.db) and commit it, with
 * its event. Fails with a clear message when a meterd is running on the data directory.
 * @return Exit code: 0, 2 (rejected), 4 (storage: locked, missing or damaged).
 */
int mtrd_cli_command(const struct mtrd_config *cfg, const struct mtrd_cli_cmd *cmd);

#endif /* METERD_DAEMON_CLI_HISTORY_H */
