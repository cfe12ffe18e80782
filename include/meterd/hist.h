/*
 * History entries: load profiles, billing periods and event logs.
 *
 * The meter application (portable core) produces entries; the edge stores them
 * through struct mtr_hist_ops (on Linux: SQLite in WAL mode, src/daemon/hist/).
 * Each log numbers its entries 1, 2, 3, ... with no gap: the sequence number is
 * the entry's identity. An entry is written with the same number again after a
 * crash (the non-volatile state decides which entries exist), so a store writes
 * "insert or replace" and drops entries numbered past the committed state
 * (mtr_hist_ops.truncate_after) when the meter starts.
 *
 * Spec: DLMS/COSEM IC 7 Profile generic (IEC 62056-6-2 4.3.6): a log is a
 * profile buffer, an entry one captured row, selective access by range (time)
 * and by entry (sequence).
 */
#ifndef METERD_HIST_H
#define METERD_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

/** Values per entry: a load profile captures at most 16 objects besides clock and status;
 * a billing entry holds up to 32 (totals and per-tariff registers, period energies,
 * maximum demands). Stores must keep all 32 (SQLite columns v0..v31). */
#define MTR_HIST_MAX_VALUES 32u
/** Capacity of an entry's text (configuration-change log: option, old and new value). */
#define MTR_HIST_TEXT_CAP   96u

/** The logs (profile buffers) of the meter, with their OBIS code (OBIS.md). */
enum mtr_hist_log {
    MTR_HIST_PROFILE_1 = 0,   /**< Load profile 1, energy (1.0.99.1.0.255). */
    MTR_HIST_PROFILE_PQ,      /**< Power-quality profile (1.0.99.14.0.255). */
    MTR_HIST_PROFILE_AVG,     /**< Average values profile (1.0.99.13.0.255). */
    MTR_HIST_PROFILE_MIN,     /**< Minimum values profile (1.0.99.13.1.255). */
    MTR_HIST_PROFILE_MAX,     /**< Maximum values profile (1.0.99.13.2.255). */
    MTR_HIST_BILLING_MONTHLY, /**< Billing period profile (1.0.98.1.0.255). */
    MTR_HIST_BILLING_DAILY,   /**< Daily billing profile (1.0.98.2.0.255). */
    MTR_HIST_EVENT_STD,       /**< Standard event log (0.0.99.98.0.255). */
    MTR_HIST_EVENT_FRAUD,     /**< Fraud / tamper event log (0.0.99.98.1.255). */
    MTR_HIST_EVENT_DISC,      /**< Disconnector event log (0.0.99.98.2.255). */
    MTR_HIST_EVENT_PQ,        /**< Power-quality event log (0.0.99.98.4.255). */
    MTR_HIST_EVENT_PWR,       /**< Long power failure log (1.0.99.97.0.255). */
    MTR_HIST_EVENT_CFG,       /**< Configuration-change log (0.0.99.98.3.255). */
    MTR_HIST_LOG_COUNT
};

/** Status bits of a profile entry (DLMS/IDIS profile status, 0.0.96.10.1.255). */
#define MTR_HIST_ST_CRITICAL   0x01u /**< Critical error. */
#define MTR_HIST_ST_CLOCK_BAD  0x02u /**< Clock invalid. */
#define MTR_HIST_ST_INVALID    0x04u /**< Data not valid (interval incomplete or no source). */
#define MTR_HIST_ST_DST        0x08u /**< Daylight saving time active at capture. */
#define MTR_HIST_ST_CLOCK_ADJ  0x20u /**< Clock adjusted during the interval. */
#define MTR_HIST_ST_POWER_DOWN 0x80u /**< Power down (meter stopped) during the interval. */

/** One captured row. */
struct mtr_hist_entry {
    uint8_t log;      /**< enum mtr_hist_log. */
    uint8_t n_values; /**< Values used in v[], 0..MTR_HIST_MAX_VALUES. */
    uint16_t code;    /**< Event code for event logs (mtr_event_code); 0 in profiles. */
    uint32_t status;  /**< MTR_HIST_ST_* bits for profiles and billing. */
    uint64_t seq;     /**< Entry number in its log, from 1, no gaps. */
    int64_t t_us;     /**< Capture time, us since 1970-01-01 UTC (meter time). */
    /** Values in the integer unit of the log's column (mtr_hist_columns): uWh, mW, mV, ... */
    int64_t v[MTR_HIST_MAX_VALUES];
    char text[MTR_HIST_TEXT_CAP]; /**< NUL-terminated, "" if unused. */
};

/** Selection of entries: by sequence (entry descriptor) or by time (range descriptor). */
struct mtr_hist_query {
    uint8_t log;       /**< enum mtr_hist_log. */
    bool by_time;      /**< true: t_from_us..t_to_us; false: seq_from..seq_to. */
    uint64_t seq_from; /**< First entry, inclusive (1 = oldest possible). */
    uint64_t seq_to;   /**< Last entry, inclusive; 0 = newest. */
    int64_t t_from_us; /**< Inclusive. */
    int64_t t_to_us;   /**< Inclusive. */
};

/**
 * Callback receiving entries of a query in ascending sequence order.
 * @return true to continue, false to stop early.
 */
typedef bool (*mtr_hist_visit_fn)(void *arg, const struct mtr_hist_entry *e);

/** A history store (implemented by the edge). Every op returns MTR_OK or MTR_EIO. */
struct mtr_hist_ops {
    /**
     * Store n entries atomically (all or none), replacing entries with the same
     * (log, seq); drops the oldest entries of a log beyond its depth.
     */
    enum mtr_err (*put)(void *ctx, const struct mtr_hist_entry *e, size_t n);
    /** Visit the entries a query selects. MTR_OK also when none match. */
    enum mtr_err (*get)(void *ctx, const struct mtr_hist_query *q, mtr_hist_visit_fn fn, void *arg);
    /** Delete entries of log with seq > last_seq (entries the NV state never committed). */
    enum mtr_err (*truncate_after)(void *ctx, uint8_t log, uint64_t last_seq);
};

/** Name of a log ("profile_1", "billing_monthly", "event_std", ...), NULL if out of range. */
const char *mtr_hist_log_name(enum mtr_hist_log log);

/** OBIS code of a log as 6 bytes (A..F). */
void mtr_hist_log_obis(enum mtr_hist_log log, uint8_t obis[6]);

#endif /* METERD_HIST_H */
