/*
 * Linux history store: SQLite in WAL mode behind struct mtr_hist_ops (include/meterd/hist.h).
 *
 * One file (default <data-dir>/history.db) holds every log in one table keyed (log, seq)
 * WITHOUT ROWID, with an index on (log, t_us); docs/history-store.md gives the schema and how to
 * read it with the sqlite3 command-line tool. Each put is one transaction (BEGIN IMMEDIATE ...
 * COMMIT) that also trims the logs it touched to their depth (FIFO), so a batch is all or nothing.
 * The journal is a WAL with synchronous=NORMAL: a killed process (kill -9) loses nothing that was
 * committed; a power cut can lose the last transactions, which is harmless because the meter's NV
 * state decides what exists and the meter re-creates missing entries after truncate_after().
 *
 * A file that is not a database, a truncated or otherwise corrupt one, or one with a schema
 * version this build does not know is never recreated or repaired: open fails with a message
 * naming the file, and the caller decides (move it away, restore a backup).
 */
#ifndef METERD_DAEMON_HIST_SQLITE_H
#define METERD_DAEMON_HIST_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/hist.h"

/** Schema version written to and expected in the meta table (docs/history-store.md). */
#define MTRD_HIST_SCHEMA_VERSION 1
/** SQLite application_id of a meterd history file ("MTRH"), shown by `file` and PRAGMA. */
#define MTRD_HIST_APP_ID         0x4D545248
/** Default file name inside the data directory. */
#define MTRD_HIST_FILE_NAME      "history.db"

/** An open history store (opaque; allocated by mtrd_hist_open()). */
struct mtrd_hist;

/** Depth of each log: entries kept, oldest dropped first (FIFO). */
struct mtrd_hist_limits {
    /** Entries kept per log, indexed by enum mtr_hist_log; 0 = unlimited. */
    uint64_t depth[MTR_HIST_LOG_COUNT];
};

/**
 * Write volume since open, for the storage benchmark.
 *
 * Byte counts are exact: the store opens its files through a VFS of its own that forwards to
 * SQLite's default VFS and adds up the bytes of every successful xWrite (what reaches write(2))
 * per file, and counts xSync calls (fsync/fdatasync). wal_pages is SQLite's own count of pages
 * its pager wrote (sqlite3_db_status(SQLITE_DBSTATUS_CACHE_WRITE)), a cross-check: these are WAL
 * frames, except page 1 written once to the database file when a new file switches to WAL, so
 * wal_bytes = frames * (page_bytes + 24) + 32 per WAL header. Checkpoints copy pages from the
 * WAL into the database file outside that counter; they show in db_bytes.
 */
struct mtrd_hist_stats {
    uint64_t transactions;    /**< Committed write transactions (put, truncate_after). */
    uint64_t entries_written; /**< Rows inserted or replaced. */
    uint64_t entries_deleted; /**< Rows removed by FIFO trimming and truncate_after. */
    uint64_t page_bytes;      /**< Database page size, bytes. */
    uint64_t wal_pages;       /**< Pages written by SQLite's pager (almost all WAL frames). */
    uint64_t wal_bytes;       /**< Bytes written to the -wal file. */
    uint64_t db_bytes;        /**< Bytes written to the database file (checkpoints, creation). */
    uint64_t other_bytes;     /**< Bytes written to other files (rollback journal at creation). */
    uint64_t bytes_written;   /**< wal_bytes + db_bytes + other_bytes. */
    uint64_t syncs;           /**< Successful xSync calls on any of the files. */
};

/**
 * Open (creating if missing) a history database.
 * @param[in]  path     Database file; the directory must exist. A missing or empty (0-byte)
 *                      file becomes a new database (a crash during creation leaves 0 bytes).
 * @param[in]  depth    Depth per log; NULL = unlimited for every log. Copied.
 * @param[out] out      Store; set only on success. Close with mtrd_hist_close().
 * @param[out] err      Message naming the file on failure (may be NULL).
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval MTR_OK        Open; schema created if the file was new.
 * @retval MTR_EINVAL    NULL path or out.
 * @retval MTR_ECORRUPT  The file is not an SQLite database, is truncated or corrupt, or is a
 *                       database of another program; nothing was changed.
 * @retval MTR_EVERSION  The meta table holds a schema version this build cannot read.
 * @retval MTR_EAGAIN    Another process holds the write lock beyond the busy timeout.
 * @retval MTR_ENOMEM    Allocation failed.
 * @retval MTR_EIO       The file cannot be opened or written (SQLite's message in err).
 * Context: start-up; allocates the store and SQLite's cache.
 */
MTR_NODISCARD enum mtr_err mtrd_hist_open(const char *path,
                                          const struct mtrd_hist_limits *depth,
                                          struct mtrd_hist **out,
                                          char *err,
                                          size_t err_cap);

/**
 * Checkpoint the WAL, finalize the statements and close. Safe with NULL.
 * @param[in] h  Store from mtrd_hist_open(); freed.
 * Context: shutdown.
 */
void mtrd_hist_close(struct mtrd_hist *h);

/**
 * The store as the core's history interface.
 * @param[in] h  Open store.
 * @return Operations; pass h as their ctx. The functions return MTR_OK, MTR_EINVAL for a bad
 *         argument (log out of range, seq 0, n_values > MTR_HIST_MAX_VALUES, text not
 *         NUL-terminated within its capacity, a get called from inside a get's callback),
 *         MTR_ECORRUPT for a stored row that cannot be an entry, MTR_EAGAIN when the database
 *         stays locked by another writer, and MTR_EIO for any other SQLite failure. Every
 *         failure is logged once with the file name (mtrd_log) and kept for mtrd_hist_errmsg().
 * Context: one thread at a time per store; the get callback must not call the store.
 */
const struct mtr_hist_ops *mtrd_hist_ops(const struct mtrd_hist *h);

/**
 * Newest entry of a log.
 * @param[in]  h    Open store.
 * @param[in]  log  enum mtr_hist_log.
 * @param[out] out  Entry (unused values zero); untouched on failure.
 * @retval MTR_OK        Found.
 * @retval MTR_ENOENT    The log is empty.
 * @retval MTR_EINVAL    NULL argument or log out of range.
 * @retval MTR_ECORRUPT  The stored row cannot be an entry.
 * @retval MTR_EIO       SQLite failed.
 * Context: start-up (to resume numbering) and readers; one indexed lookup.
 */
MTR_NODISCARD enum mtr_err
mtrd_hist_last(struct mtrd_hist *h, uint8_t log, struct mtr_hist_entry *out);

/**
 * Number of entries of a log.
 * @param[in]  h    Open store.
 * @param[in]  log  enum mtr_hist_log.
 * @param[out] n    Entries stored.
 * @retval MTR_OK      Counted.
 * @retval MTR_EINVAL  NULL argument or log out of range.
 * @retval MTR_EIO     SQLite failed.
 * Context: any time; cost linear in the log's entries (index scan).
 */
MTR_NODISCARD enum mtr_err mtrd_hist_count(struct mtrd_hist *h, uint8_t log, uint64_t *n);

/**
 * Write-volume statistics since open.
 * @param[in]  h   Open store.
 * @param[out] st  Counters (see struct mtrd_hist_stats for how bytes are counted).
 * @retval MTR_OK      Filled.
 * @retval MTR_EINVAL  NULL argument.
 * Context: any time; constant cost.
 */
MTR_NODISCARD enum mtr_err mtrd_hist_stats(const struct mtrd_hist *h, struct mtrd_hist_stats *st);

/**
 * Run PRAGMA integrity_check over the whole file.
 * @param[in]  h        Open store.
 * @param[out] err      First problem SQLite reports, naming the file (may be NULL).
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval MTR_OK        The database is intact ("ok").
 * @retval MTR_EINVAL    NULL store.
 * @retval MTR_ECORRUPT  SQLite found a problem.
 * @retval MTR_EIO       The check could not run.
 * Context: tools and tests; reads every page (seconds for a large file).
 */
MTR_NODISCARD enum mtr_err mtrd_hist_check(struct mtrd_hist *h, char *err, size_t err_cap);

/**
 * Message of the last failed operation on the store.
 * @param[in] h  Store (NULL gives "").
 * @return NUL-terminated text naming the file; "" if nothing failed yet. Valid until the next
 *         call on the store.
 */
const char *mtrd_hist_errmsg(const struct mtrd_hist *h);

#endif /* METERD_DAEMON_HIST_SQLITE_H */
