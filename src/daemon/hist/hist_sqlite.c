/*
 * History store on SQLite (WAL mode): the Linux implementation of struct mtr_hist_ops.
 *
 * Layout, durability and error policy are described in hist_sqlite.h and
 * docs/history-store.md. Every statement is prepared once at open and reset after use. The
 * store opens its file through a thin VFS of its own that forwards every call to SQLite's
 * default VFS and counts the bytes written to the database, WAL and journal files, so the
 * write-volume figures of mtrd_hist_stats() are the bytes handed to write(2), not estimates.
 */
#include "hist/hist_sqlite.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log/errf.h"
#include "log/log.h"
#include "meterd/hist.h"

/** Capacity of the path kept for messages and of one error message, bytes. */
#define HIST_PATH_CAP 4096u
#define HIST_ERR_CAP  (HIST_PATH_CAP + 256u)
/** Capacity of one generated SQL statement, bytes (the longest lists 32 value columns). */
#define HIST_SQL_CAP  2048u
/** How long a write waits for another connection's lock before MTR_EAGAIN, ms. */
#define HIST_BUSY_MS  2000
/** Microseconds per second, for the ISO-8601 view. */
#define HIST_US_PER_S 1000000

/** The prepared statements of a store. */
enum hist_stmt {
    HS_BEGIN = 0,
    HS_COMMIT,
    HS_ROLLBACK,
    HS_PUT,
    HS_TRIM,
    HS_BY_SEQ,
    HS_BY_TIME,
    HS_TRUNC,
    HS_LAST,
    HS_COUNT,
    HS_N
};

/** Which file a counted write went to. */
enum hist_file_kind {
    HF_DB = 0,
    HF_WAL,
    HF_OTHER
};

struct mtrd_hist {
    struct mtr_hist_ops ops;            /**< Handed to the core; ctx is this struct. */
    sqlite3 *db;                        /**< Connection; NULL when closed. */
    sqlite3_stmt *st[HS_N];             /**< Prepared statements. */
    uint64_t depth[MTR_HIST_LOG_COUNT]; /**< Entries kept per log; 0 = unlimited. */
    struct mtrd_hist_stats stats;       /**< Counters (byte totals filled on read). */
    bool is_in_get;                     /**< A get is streaming rows (no re-entry). */
    sqlite3_vfs vfs;                    /**< Counting VFS of this store. */
    sqlite3_vfs *real_vfs;              /**< SQLite's default VFS. */
    char vfs_name[48];                  /**< Unique name of vfs. */
    bool is_vfs_registered;             /**< vfs is registered with SQLite. */
    char path[HIST_PATH_CAP];           /**< File, for messages. */
    char err[HIST_ERR_CAP];             /**< Last error message. */
};

/* ---- counting VFS ---- */

/** A file opened through the counting VFS; the real file's memory follows it. */
struct hist_file {
    sqlite3_file base;   /**< Must be first. */
    struct mtrd_hist *h; /**< Store whose counters this file adds to. */
    enum hist_file_kind kind;
    sqlite3_file *real; /**< Points just past this struct. */
};

static int
hf_close(sqlite3_file *f)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xClose(p->real);
}

static int
hf_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 ofs)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xRead(p->real, buf, amt, ofs);
}

static int
hf_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 ofs)
{
    struct hist_file *p = (struct hist_file *)f;
    int rc = p->real->pMethods->xWrite(p->real, buf, amt, ofs);

    if (rc == SQLITE_OK && amt > 0) {
        if (p->kind == HF_DB) {
            p->h->stats.db_bytes += (uint64_t)amt;
        } else if (p->kind == HF_WAL) {
            p->h->stats.wal_bytes += (uint64_t)amt;
        } else {
            p->h->stats.other_bytes += (uint64_t)amt;
        }
    }
    return rc;
}

static int
hf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xTruncate(p->real, size);
}

static int
hf_sync(sqlite3_file *f, int flags)
{
    struct hist_file *p = (struct hist_file *)f;
    int rc = p->real->pMethods->xSync(p->real, flags);

    if (rc == SQLITE_OK) {
        p->h->stats.syncs++;
    }
    return rc;
}

static int
hf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xFileSize(p->real, size);
}

static int
hf_lock(sqlite3_file *f, int lock)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xLock(p->real, lock);
}

static int
hf_unlock(sqlite3_file *f, int lock)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xUnlock(p->real, lock);
}

static int
hf_check_reserved(sqlite3_file *f, int *out)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static int
hf_file_control(sqlite3_file *f, int op, void *arg)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xFileControl(p->real, op, arg);
}

static int
hf_sector_size(sqlite3_file *f)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xSectorSize(p->real);
}

static int
hf_device_chars(sqlite3_file *f)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xDeviceCharacteristics(p->real);
}

static int
hf_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xShmMap(p->real, pg, pgsz, extend, pp);
}

static int
hf_shm_lock(sqlite3_file *f, int ofs, int n, int flags)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xShmLock(p->real, ofs, n, flags);
}

static void
hf_shm_barrier(sqlite3_file *f)
{
    struct hist_file *p = (struct hist_file *)f;
    p->real->pMethods->xShmBarrier(p->real);
}

static int
hf_shm_unmap(sqlite3_file *f, int delete_flag)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xShmUnmap(p->real, delete_flag);
}

static int
hf_fetch(sqlite3_file *f, sqlite3_int64 ofs, int amt, void **pp)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xFetch(p->real, ofs, amt, pp);
}

static int
hf_unfetch(sqlite3_file *f, sqlite3_int64 ofs, void *ptr)
{
    struct hist_file *p = (struct hist_file *)f;
    return p->real->pMethods->xUnfetch(p->real, ofs, ptr);
}

/* Version 3 methods: the shared-memory ones are required for WAL mode; xFetch is unused while
 * mmap_size is 0 but forwarded for completeness. */
static const sqlite3_io_methods hist_io_methods = {
    3,
    hf_close,
    hf_read,
    hf_write,
    hf_truncate,
    hf_sync,
    hf_file_size,
    hf_lock,
    hf_unlock,
    hf_check_reserved,
    hf_file_control,
    hf_sector_size,
    hf_device_chars,
    hf_shm_map,
    hf_shm_lock,
    hf_shm_barrier,
    hf_shm_unmap,
    hf_fetch,
    hf_unfetch,
};

static int
hvfs_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
    struct mtrd_hist *h = vfs->pAppData;
    struct hist_file *p = (struct hist_file *)f;
    int rc;

    memset(p, 0, sizeof(*p));
    p->h = h;
    p->real = (sqlite3_file *)(p + 1);
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
        p->kind = HF_DB;
    } else if ((flags & SQLITE_OPEN_WAL) != 0) {
        p->kind = HF_WAL;
    } else {
        p->kind = HF_OTHER;
    }
    rc = h->real_vfs->xOpen(h->real_vfs, name, p->real, flags, out_flags);
    /* SQLite calls xClose only when pMethods is set; set it only if the real file is open. The
     * default (unix) VFS implements version 3 of the methods, which ours forwards. */
    p->base.pMethods = (p->real->pMethods != NULL) ? &hist_io_methods : NULL;
    return rc;
}

static int
hvfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    struct mtrd_hist *h = vfs->pAppData;
    return h->real_vfs->xDelete(h->real_vfs, name, sync_dir);
}

static int
hvfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    struct mtrd_hist *h = vfs->pAppData;
    return h->real_vfs->xAccess(h->real_vfs, name, flags, out);
}

static int
hvfs_full_pathname(sqlite3_vfs *vfs, const char *name, int out_cap, char *out)
{
    struct mtrd_hist *h = vfs->pAppData;
    return h->real_vfs->xFullPathname(h->real_vfs, name, out_cap, out);
}

/** Register a counting VFS for h, forwarding to the default VFS. */
static enum mtr_err
hist_vfs_register(struct mtrd_hist *h)
{
    h->real_vfs = sqlite3_vfs_find(NULL);
    if (h->real_vfs == NULL || h->real_vfs->iVersion < 1) {
        return MTR_EIO;
    }
    h->vfs = *h->real_vfs; /* time, randomness, sleep, dlopen: used unchanged */
    (void)snprintf(h->vfs_name, sizeof(h->vfs_name), "meterd-hist-%p", (void *)h);
    h->vfs.zName = h->vfs_name;
    h->vfs.pAppData = h;
    h->vfs.pNext = NULL;
    h->vfs.szOsFile = (int)sizeof(struct hist_file) + h->real_vfs->szOsFile;
    h->vfs.xOpen = hvfs_open;
    h->vfs.xDelete = hvfs_delete;
    h->vfs.xAccess = hvfs_access;
    h->vfs.xFullPathname = hvfs_full_pathname;
    if (sqlite3_vfs_register(&h->vfs, 0) != SQLITE_OK) {
        return MTR_EIO;
    }
    h->is_vfs_registered = true;
    return MTR_OK;
}

/* ---- errors ---- */

/** enum mtr_err for an SQLite result code. */
static enum mtr_err
hist_map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return MTR_OK;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return MTR_ECORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return MTR_EAGAIN;
    case SQLITE_NOMEM:
        return MTR_ENOMEM;
    default:
        return MTR_EIO;
    }
}

/** Record (and, for operations, log) a failure of an SQLite call. */
static enum mtr_err
hist_fail(struct mtrd_hist *h, int rc, const char *what)
{
    const char *why = (h->db != NULL) ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc);
    enum mtr_err e = hist_map_rc(rc);

    if (e == MTR_OK) {
        e = MTR_EIO;
    }
    mtrd_errf(h->err, sizeof(h->err), "history %s: %s: %s", h->path, what, why);
    return e;
}

/** Log the store's last message for a failed operation and pass its code through. */
static enum mtr_err
hist_logged(const struct mtrd_hist *h, enum mtr_err e)
{
    if (e != MTR_OK) {
        mtrd_log(MTRD_LOG_ERROR, "%s", h->err);
    }
    return e;
}

/* ---- SQL ---- */

/** Append text to a SQL buffer; false if it does not fit. */
static bool
sql_add(char *sql, size_t cap, const char *text)
{
    size_t len = strlen(sql);
    size_t add = strlen(text);

    if (add >= cap - len) {
        return false;
    }
    memcpy(sql + len, text, add + 1u);
    return true;
}

/** Append fmt once per value column, fmt holding one %u (the column number 0..31). */
static bool
sql_values(char *sql, size_t cap, const char *fmt)
{
    char piece[32];
    unsigned i;

    for (i = 0; i < MTR_HIST_MAX_VALUES; i++) {
        (void)snprintf(piece, sizeof(piece), fmt, i); /* short: fits */
        if (!sql_add(sql, cap, piece)) {
            return false;
        }
    }
    return true;
}

/** A SELECT of the columns hist_row() reads, followed by tail. */
static bool
sql_select(char *sql, size_t cap, const char *tail)
{
    sql[0] = '\0';
    return sql_add(sql, cap, "SELECT log, seq, t_us, code, status, text") &&
           sql_values(sql, cap, ", v%u") && sql_add(sql, cap, " FROM hist ") &&
           sql_add(sql, cap, tail);
}

static enum mtr_err
hist_exec(struct mtrd_hist *h, const char *sql, const char *what)
{
    int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    return (rc == SQLITE_OK) ? MTR_OK : hist_fail(h, rc, what);
}

static enum mtr_err
hist_prepare(struct mtrd_hist *h, enum hist_stmt id, const char *sql)
{
    int rc = sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &h->st[id], NULL);
    return (rc == SQLITE_OK) ? MTR_OK : hist_fail(h, rc, "prepare");
}

/** Prepare a SELECT of whole entries with the given WHERE/ORDER tail. */
static enum mtr_err
hist_prepare_select(struct mtrd_hist *h, enum hist_stmt id, const char *tail)
{
    char sql[HIST_SQL_CAP];

    if (!sql_select(sql, sizeof(sql), tail)) {
        return MTR_ENOSPC;
    }
    return hist_prepare(h, id, sql);
}

static enum mtr_err
hist_prepare_all(struct mtrd_hist *h)
{
    char sql[HIST_SQL_CAP] = "INSERT OR REPLACE INTO hist(log, seq, t_us, code, status, text";
    enum mtr_err e;

    if (!sql_values(sql, sizeof(sql), ", v%u") ||
        !sql_add(sql, sizeof(sql), ") VALUES (?, ?, ?, ?, ?, ?") ||
        !sql_values(sql, sizeof(sql), ", ?") || !sql_add(sql, sizeof(sql), ")")) {
        return MTR_ENOSPC;
    }
    e = hist_prepare(h, HS_PUT, sql);
    if (e == MTR_OK) {
        e = hist_prepare(h, HS_BEGIN, "BEGIN IMMEDIATE");
    }
    if (e == MTR_OK) {
        e = hist_prepare(h, HS_COMMIT, "COMMIT");
    }
    if (e == MTR_OK) {
        e = hist_prepare(h, HS_ROLLBACK, "ROLLBACK");
    }
    if (e == MTR_OK) {
        /* FIFO: keep seq > newest - depth (numbers have no gaps, so that is depth entries). */
        e = hist_prepare(h, HS_TRIM,
                         "DELETE FROM hist WHERE log = ?1 AND seq <= "
                         "(SELECT max(seq) FROM hist WHERE log = ?1) - ?2");
    }
    if (e == MTR_OK) {
        e = hist_prepare(h, HS_TRUNC, "DELETE FROM hist WHERE log = ? AND seq > ?");
    }
    if (e == MTR_OK) {
        e = hist_prepare(h, HS_COUNT, "SELECT count(*) FROM hist WHERE log = ?");
    }
    if (e == MTR_OK) {
        e = hist_prepare_select(h, HS_BY_SEQ, "WHERE log = ? AND seq BETWEEN ? AND ? ORDER BY seq");
    }
    if (e == MTR_OK) {
        /* Without statistics the planner would walk the whole log in key order to avoid a
         * sort; a time range is usually a small part of a log, so use the time index. */
        e = hist_prepare_select(
            h, HS_BY_TIME,
            "INDEXED BY hist_time WHERE log = ? AND t_us BETWEEN ? AND ? ORDER BY seq");
    }
    if (e == MTR_OK) {
        e = hist_prepare_select(h, HS_LAST, "WHERE log = ? ORDER BY seq DESC LIMIT 1");
    }
    return e;
}

/* ---- schema ---- */

/** Create the tables, index, view and meta rows of a new file (inside the open transaction). */
static enum mtr_err
hist_create_schema(struct mtrd_hist *h)
{
    char sql[4u * HIST_SQL_CAP] =
        "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE logs(log INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, obis TEXT NOT NULL);"
        "CREATE TABLE hist(log INTEGER NOT NULL, seq INTEGER NOT NULL, t_us INTEGER NOT NULL,"
        " code INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL DEFAULT 0";
    char piece[160];

    if (!sql_values(sql, sizeof(sql), ", v%u INTEGER") ||
        !sql_add(sql, sizeof(sql),
                 ", text TEXT, PRIMARY KEY(log, seq)) WITHOUT ROWID;"
                 "CREATE INDEX hist_time ON hist(log, t_us);"
                 /* Readable view: log name, ISO-8601 UTC time with microseconds, hex status.
                  * us = t_us mod 10^6 taken non-negative, so times before 1970 show right. */
                 "CREATE VIEW hist_view AS SELECT logs.name AS log_name, hist.seq AS seq,"
                 " strftime('%Y-%m-%dT%H:%M:%S', (hist.t_us - (hist.t_us % 1000000 + 1000000)"
                 " % 1000000) / 1000000, 'unixepoch') || printf('.%06dZ', (hist.t_us % 1000000"
                 " + 1000000) % 1000000) AS time_utc, hist.t_us AS t_us, hist.code AS code,"
                 " printf('0x%02X', hist.status) AS status") ||
        !sql_values(sql, sizeof(sql), ", hist.v%u") ||
        !sql_add(sql, sizeof(sql), ", hist.text AS text FROM hist JOIN logs USING(log);")) {
        return MTR_ENOSPC;
    }
    (void)snprintf(piece, sizeof(piece),
                   "INSERT INTO meta(key, value) VALUES ('schema_version', %d),"
                   " ('application', 'meterd history'), ('value_columns', %u);"
                   "PRAGMA application_id = %d;",
                   MTRD_HIST_SCHEMA_VERSION, MTR_HIST_MAX_VALUES, MTRD_HIST_APP_ID);
    if (!sql_add(sql, sizeof(sql), piece)) {
        return MTR_ENOSPC;
    }
    return hist_exec(h, sql, "create schema");
}

/** Run a statement returning one integer. */
static enum mtr_err
hist_query_int(struct mtrd_hist *h, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK) {
        enum mtr_err e = hist_fail(h, rc, sql);
        (void)sqlite3_finalize(st); /* the error is already taken from the step */
        return e;
    }
    return (sqlite3_finalize(st) == SQLITE_OK) ? MTR_OK : hist_fail(h, rc, sql);
}

/** Check the schema version of an existing file. */
static enum mtr_err
hist_check_version(struct mtrd_hist *h)
{
    sqlite3_stmt *st = NULL;
    enum mtr_err e = MTR_OK;
    int rc = sqlite3_prepare_v2(h->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
                                &st, NULL);

    if (rc != SQLITE_OK) {
        return hist_fail(h, rc, "read meta");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        int64_t v = sqlite3_column_int64(st, 0);
        if (v != MTRD_HIST_SCHEMA_VERSION) {
            mtrd_errf(h->err, sizeof(h->err),
                      "history %s: schema version %" PRId64
                      " in table meta, this build reads version %d only; the file is left as "
                      "it is (use the meterd that wrote it, or move the file away)",
                      h->path, v, MTRD_HIST_SCHEMA_VERSION);
            e = MTR_EVERSION;
        }
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        mtrd_errf(h->err, sizeof(h->err),
                  "history %s: table meta has no integer schema_version; not a meterd history "
                  "file, left as it is",
                  h->path);
        e = MTR_EVERSION;
    } else {
        e = hist_fail(h, rc, "read meta");
    }
    (void)sqlite3_finalize(st); /* step errors are handled above */
    return e;
}

/** Add missing rows of table logs and check that existing ones name the same logs. */
static enum mtr_err
hist_sync_logs(struct mtrd_hist *h)
{
    sqlite3_stmt *ins = NULL;
    sqlite3_stmt *sel = NULL;
    enum mtr_err e = MTR_OK;
    unsigned i;
    int rc = sqlite3_prepare_v2(
        h->db, "INSERT OR IGNORE INTO logs(log, name, obis) VALUES (?, ?, ?)", -1, &ins, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_prepare_v2(h->db, "SELECT name FROM logs WHERE log = ?", -1, &sel, NULL);
    }
    for (i = 0; rc == SQLITE_OK && e == MTR_OK && i < MTR_HIST_LOG_COUNT; i++) {
        const char *name = mtr_hist_log_name((enum mtr_hist_log)i);
        uint8_t o[6];
        char obis[32];
        mtr_hist_log_obis((enum mtr_hist_log)i, o);
        (void)snprintf(obis, sizeof(obis), "%u-%u:%u.%u.%u*%u", o[0], o[1], o[2], o[3], o[4], o[5]);
        (void)sqlite3_bind_int(ins, 1, (int)i);
        (void)sqlite3_bind_text(ins, 2, name, -1, SQLITE_STATIC);
        (void)sqlite3_bind_text(ins, 3, obis, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(ins);
        rc = (rc == SQLITE_DONE) ? sqlite3_reset(ins) : rc;
        if (rc != SQLITE_OK) {
            break;
        }
        (void)sqlite3_bind_int(sel, 1, (int)i);
        rc = sqlite3_step(sel);
        if (rc == SQLITE_ROW) {
            const unsigned char *have = sqlite3_column_text(sel, 0);
            if (have == NULL || strcmp((const char *)have, name) != 0) {
                mtrd_errf(h->err, sizeof(h->err),
                          "history %s: log %u is '%s' in table logs, '%s' in this build; the "
                          "file is left as it is",
                          h->path, i, (have != NULL) ? (const char *)have : "NULL", name);
                e = MTR_EVERSION;
            }
            rc = sqlite3_reset(sel);
        }
    }
    if (rc != SQLITE_OK && e == MTR_OK) {
        e = hist_fail(h, rc, "table logs");
    }
    (void)sqlite3_finalize(ins); /* errors were taken from the steps */
    (void)sqlite3_finalize(sel);
    return e;
}

/** Create the schema of a new file or check that of an existing one (one transaction). */
static enum mtr_err
hist_setup_schema(struct mtrd_hist *h)
{
    int64_t n_objects = 0;
    int64_t has_meta = 0;
    enum mtr_err e = hist_exec(h, "BEGIN IMMEDIATE", "begin");

    if (e != MTR_OK) {
        return e;
    }
    e = hist_query_int(h, "SELECT count(*) FROM sqlite_schema", &n_objects);
    if (e == MTR_OK) {
        e = hist_query_int(
            h, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'",
            &has_meta);
    }
    if (e == MTR_OK && n_objects == 0) {
        e = hist_create_schema(h);
    } else if (e == MTR_OK && has_meta == 0) {
        mtrd_errf(h->err, sizeof(h->err),
                  "history %s: an SQLite database without table meta: not a meterd history "
                  "file; left as it is",
                  h->path);
        e = MTR_ECORRUPT;
    } else if (e == MTR_OK) {
        e = hist_check_version(h);
    }
    if (e == MTR_OK) {
        e = hist_sync_logs(h);
    }
    if (e == MTR_OK) {
        return hist_exec(h, "COMMIT", "commit");
    }
    (void)sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL); /* the first error is reported */
    return e;
}

/** Open the connection, set WAL and synchronous=NORMAL, set up the schema, prepare. */
static enum mtr_err
hist_open_db(struct mtrd_hist *h)
{
    int64_t app_id = 0;
    int64_t page = 0;
    sqlite3_stmt *st = NULL;
    enum mtr_err e;
    int rc =
        sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, h->vfs_name);

    if (rc != SQLITE_OK) {
        return hist_fail(h, rc, "open");
    }
    (void)sqlite3_busy_timeout(h->db, HIST_BUSY_MS); /* cannot fail on an open connection */
    /* The first statement reads the header: a file that is not a database fails here. */
    e = hist_query_int(h, "PRAGMA application_id", &app_id);
    if (e == MTR_OK && app_id != 0 && app_id != MTRD_HIST_APP_ID) {
        mtrd_errf(h->err, sizeof(h->err),
                  "history %s: SQLite application_id 0x%08" PRIX64
                  " is not meterd's (0x%08X): another program's database; left as it is",
                  h->path, (uint64_t)app_id, (unsigned)MTRD_HIST_APP_ID);
        e = MTR_ECORRUPT;
    }
    if (e == MTR_OK) {
        rc = sqlite3_prepare_v2(h->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        rc = (rc == SQLITE_OK) ? sqlite3_step(st) : rc;
        if (rc == SQLITE_ROW) {
            const unsigned char *mode = sqlite3_column_text(st, 0);
            if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
                mtrd_errf(h->err, sizeof(h->err), "history %s: cannot set WAL mode (got %s)",
                          h->path, (mode != NULL) ? (const char *)mode : "NULL");
                e = MTR_EIO;
            }
        } else {
            e = hist_fail(h, rc, "set WAL mode");
        }
        (void)sqlite3_finalize(st); /* errors were taken from the step */
    }
    if (e == MTR_OK) {
        /* WAL + NORMAL: a commit is durable against a killed process; a power cut may lose the
         * last transactions, which the NV state re-creates (docs/history-store.md). */
        e = hist_exec(h, "PRAGMA synchronous = NORMAL", "set synchronous");
    }
    if (e == MTR_OK) {
        e = hist_setup_schema(h);
    }
    if (e == MTR_OK) {
        e = hist_query_int(h, "PRAGMA page_size", &page);
        h->stats.page_bytes = (page > 0) ? (uint64_t)page : 0u;
    }
    if (e == MTR_OK) {
        e = hist_prepare_all(h);
    }
    return e;
}

/* ---- entries ---- */

/** Check one entry of a put; message in h->err. */
static enum mtr_err
hist_check_entry(struct mtrd_hist *h, const struct mtr_hist_entry *e, size_t i)
{
    const char *why = NULL;

    if (e->log >= MTR_HIST_LOG_COUNT) {
        why = "log out of range";
    } else if (e->seq == 0u || e->seq > (uint64_t)INT64_MAX) {
        why = "seq must be 1..2^63-1";
    } else if (e->n_values > MTR_HIST_MAX_VALUES) {
        why = "n_values above MTR_HIST_MAX_VALUES";
    } else if (memchr(e->text, '\0', sizeof(e->text)) == NULL) {
        why = "text not NUL-terminated";
    }
    if (why == NULL) {
        return MTR_OK;
    }
    mtrd_errf(h->err, sizeof(h->err), "history %s: put: entry %zu (log %u, seq %" PRIu64 "): %s",
              h->path, i, e->log, e->seq, why);
    return MTR_EINVAL;
}

/** Insert or replace one entry (inside the put transaction). */
static enum mtr_err
hist_insert(struct mtrd_hist *h, const struct mtr_hist_entry *e)
{
    sqlite3_stmt *st = h->st[HS_PUT];
    unsigned i;
    int rc;

    (void)sqlite3_bind_int(st, 1, e->log); /* bind errors show in the step */
    (void)sqlite3_bind_int64(st, 2, (sqlite3_int64)e->seq);
    (void)sqlite3_bind_int64(st, 3, e->t_us);
    (void)sqlite3_bind_int(st, 4, e->code);
    (void)sqlite3_bind_int64(st, 5, (sqlite3_int64)e->status);
    if (e->text[0] == '\0') {
        (void)sqlite3_bind_null(st, 6);
    } else {
        (void)sqlite3_bind_text(st, 6, e->text, -1, SQLITE_STATIC);
    }
    for (i = 0; i < MTR_HIST_MAX_VALUES; i++) {
        if (i < e->n_values) {
            (void)sqlite3_bind_int64(st, 7 + (int)i, e->v[i]);
        } else {
            (void)sqlite3_bind_null(st, 7 + (int)i);
        }
    }
    rc = sqlite3_step(st);
    (void)sqlite3_reset(st); /* the step's result is the one that counts */
    return (rc == SQLITE_DONE) ? MTR_OK : hist_fail(h, rc, "put");
}

/** Run a cached statement with two integer parameters to completion. */
static enum mtr_err
hist_run2(struct mtrd_hist *h, enum hist_stmt id, int64_t a, int64_t b, const char *what)
{
    sqlite3_stmt *st = h->st[id];
    int rc;

    (void)sqlite3_bind_int64(st, 1, a);
    (void)sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
    (void)sqlite3_reset(st); /* the step's result is the one that counts */
    return (rc == SQLITE_DONE) ? MTR_OK : hist_fail(h, rc, what);
}

static enum mtr_err
hist_put_rows(struct mtrd_hist *h, const struct mtr_hist_entry *e, size_t n, uint64_t *deleted)
{
    uint32_t touched = 0;
    enum mtr_err err = MTR_OK;
    size_t i;
    unsigned log;

    _Static_assert(MTR_HIST_LOG_COUNT <= 32, "touched is a 32-bit mask");
    for (i = 0; i < n && err == MTR_OK; i++) {
        err = hist_insert(h, &e[i]);
        touched |= 1u << e[i].log;
    }
    for (log = 0; log < MTR_HIST_LOG_COUNT && err == MTR_OK; log++) {
        if ((touched & (1u << log)) != 0u && h->depth[log] != 0u) {
            int64_t depth =
                (h->depth[log] > (uint64_t)INT64_MAX) ? INT64_MAX : (int64_t)h->depth[log];
            err = hist_run2(h, HS_TRIM, log, depth, "trim");
            *deleted += (uint64_t)sqlite3_changes64(h->db);
        }
    }
    return err;
}

static enum mtr_err
hist_step_simple(struct mtrd_hist *h, enum hist_stmt id, const char *what)
{
    int rc = sqlite3_step(h->st[id]);
    (void)sqlite3_reset(h->st[id]); /* the step's result is the one that counts */
    return (rc == SQLITE_DONE) ? MTR_OK : hist_fail(h, rc, what);
}

static enum mtr_err
hist_op_put(void *ctx, const struct mtr_hist_entry *e, size_t n)
{
    struct mtrd_hist *h = ctx;
    uint64_t deleted = 0;
    enum mtr_err err = MTR_OK;
    size_t i;

    if (h == NULL || (e == NULL && n > 0u)) {
        return MTR_EINVAL;
    }
    if (h->is_in_get) {
        mtrd_errf(h->err, sizeof(h->err), "history %s: put called from a get callback", h->path);
        return hist_logged(h, MTR_EINVAL);
    }
    for (i = 0; i < n && err == MTR_OK; i++) {
        err = hist_check_entry(h, &e[i], i);
    }
    if (err != MTR_OK || n == 0u) {
        return hist_logged(h, err);
    }
    err = hist_step_simple(h, HS_BEGIN, "begin");
    if (err != MTR_OK) {
        return hist_logged(h, err);
    }
    err = hist_put_rows(h, e, n, &deleted);
    if (err == MTR_OK) {
        err = hist_step_simple(h, HS_COMMIT, "commit");
    }
    if (err != MTR_OK) {
        /* Undo the partial batch; the first error is the one reported. */
        (void)hist_step_simple(h, HS_ROLLBACK, "rollback");
        return hist_logged(h, err);
    }
    h->stats.transactions++;
    h->stats.entries_written += n;
    h->stats.entries_deleted += deleted;
    return MTR_OK;
}

/** Convert the current row of a SELECT made by sql_select() into an entry. */
static enum mtr_err
hist_row(struct mtrd_hist *h, sqlite3_stmt *st, struct mtr_hist_entry *out)
{
    const char *why = NULL;
    int64_t log = sqlite3_column_int64(st, 0);
    int64_t code = sqlite3_column_int64(st, 3);
    int64_t status = sqlite3_column_int64(st, 4);
    int text_len = sqlite3_column_bytes(st, 5);
    const unsigned char *text = sqlite3_column_text(st, 5);
    unsigned i;

    memset(out, 0, sizeof(*out));
    out->seq = (uint64_t)sqlite3_column_int64(st, 1);
    out->t_us = sqlite3_column_int64(st, 2);
    if (sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
        sqlite3_column_type(st, 2) != SQLITE_INTEGER || sqlite3_column_int64(st, 1) < 1) {
        why = "seq or t_us is not a positive integer";
    } else if (log < 0 || log >= MTR_HIST_LOG_COUNT) {
        why = "log out of range";
    } else if (code < 0 || code > UINT16_MAX || status < 0 || status > (int64_t)UINT32_MAX) {
        why = "code or status out of range";
    } else if (text_len < 0 || (size_t)text_len >= MTR_HIST_TEXT_CAP) {
        why = "text longer than MTR_HIST_TEXT_CAP - 1 bytes";
    }
    for (i = 0; why == NULL && i < MTR_HIST_MAX_VALUES; i++) {
        int type = sqlite3_column_type(st, 6 + (int)i);
        if (type == SQLITE_INTEGER) {
            out->v[i] = sqlite3_column_int64(st, 6 + (int)i);
            out->n_values = (uint8_t)(i + 1u);
        } else if (type != SQLITE_NULL) {
            why = "a value column holds a non-integer";
        }
    }
    if (why != NULL) {
        mtrd_errf(h->err, sizeof(h->err), "history %s: row (log %" PRId64 ", seq %" PRIu64 "): %s",
                  h->path, log, out->seq, why);
        return MTR_ECORRUPT;
    }
    out->log = (uint8_t)log;
    out->code = (uint16_t)code;
    out->status = (uint32_t)status;
    if (text != NULL && text_len > 0) {
        memcpy(out->text, text, (size_t)text_len);
    }
    return MTR_OK;
}

static int64_t
hist_clamp_seq(uint64_t seq)
{
    return (seq > (uint64_t)INT64_MAX) ? INT64_MAX : (int64_t)seq;
}

static enum mtr_err
hist_op_get(void *ctx, const struct mtr_hist_query *q, mtr_hist_visit_fn fn, void *arg)
{
    struct mtrd_hist *h = ctx;
    struct mtr_hist_entry e;
    sqlite3_stmt *st;
    enum mtr_err err = MTR_OK;
    int rc;

    if (h == NULL || q == NULL || fn == NULL) {
        return MTR_EINVAL;
    }
    if (q->log >= MTR_HIST_LOG_COUNT || h->is_in_get) {
        mtrd_errf(h->err, sizeof(h->err), "history %s: get: %s", h->path,
                  h->is_in_get ? "called from a get callback" : "log out of range");
        return hist_logged(h, MTR_EINVAL);
    }
    st = h->st[q->by_time ? HS_BY_TIME : HS_BY_SEQ];
    (void)sqlite3_bind_int(st, 1, q->log); /* bind errors show in the step */
    if (q->by_time) {
        (void)sqlite3_bind_int64(st, 2, q->t_from_us);
        (void)sqlite3_bind_int64(st, 3, q->t_to_us);
    } else {
        (void)sqlite3_bind_int64(st, 2, hist_clamp_seq(q->seq_from));
        (void)sqlite3_bind_int64(st, 3, (q->seq_to == 0u) ? INT64_MAX : hist_clamp_seq(q->seq_to));
    }
    h->is_in_get = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = hist_row(h, st, &e);
        if (err != MTR_OK || !fn(arg, &e)) {
            break;
        }
    }
    h->is_in_get = false;
    if (err == MTR_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = hist_fail(h, rc, "get");
    }
    (void)sqlite3_reset(st); /* the step's result is the one that counts */
    return hist_logged(h, err);
}

static enum mtr_err
hist_op_truncate_after(void *ctx, uint8_t log, uint64_t last_seq)
{
    struct mtrd_hist *h = ctx;
    enum mtr_err err;

    if (h == NULL) {
        return MTR_EINVAL;
    }
    if (log >= MTR_HIST_LOG_COUNT || h->is_in_get) {
        mtrd_errf(h->err, sizeof(h->err), "history %s: truncate_after: %s", h->path,
                  h->is_in_get ? "called from a get callback" : "log out of range");
        return hist_logged(h, MTR_EINVAL);
    }
    /* One statement in autocommit mode is one transaction. */
    err = hist_run2(h, HS_TRUNC, log, hist_clamp_seq(last_seq), "truncate_after");
    if (err != MTR_OK) {
        return hist_logged(h, err);
    }
    h->stats.transactions++;
    h->stats.entries_deleted += (uint64_t)sqlite3_changes64(h->db);
    return MTR_OK;
}

/* ---- public ---- */

enum mtr_err
mtrd_hist_open(const char *path,
               const struct mtrd_hist_limits *depth,
               struct mtrd_hist **out,
               char *err,
               size_t err_cap)
{
    struct mtrd_hist *h;
    enum mtr_err e;

    if (path == NULL || out == NULL) {
        mtrd_errf(err, err_cap, "history: NULL path or output");
        return MTR_EINVAL;
    }
    if (strlen(path) >= HIST_PATH_CAP) {
        mtrd_errf(err, err_cap, "history %.64s...: path longer than %u bytes", path,
                  HIST_PATH_CAP - 1u);
        return MTR_EINVAL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        mtrd_errf(err, err_cap, "history %s: out of memory", path);
        return MTR_ENOMEM;
    }
    memcpy(h->path, path, strlen(path) + 1u);
    if (depth != NULL) {
        memcpy(h->depth, depth->depth, sizeof(h->depth));
    }
    h->ops.put = hist_op_put;
    h->ops.get = hist_op_get;
    h->ops.truncate_after = hist_op_truncate_after;
    e = hist_vfs_register(h);
    if (e != MTR_OK) {
        mtrd_errf(h->err, sizeof(h->err), "history %s: cannot register the SQLite VFS", path);
    } else {
        e = hist_open_db(h);
    }
    if (e != MTR_OK) {
        if (e == MTR_ECORRUPT && strstr(h->err, "left as it is") == NULL) {
            /* SQLite said "file is not a database" or "database disk image is malformed". */
            size_t len = strlen(h->err);
            mtrd_errf(h->err + len, sizeof(h->err) - len,
                      " (not an SQLite database, truncated or corrupt; the file is left as it "
                      "is: move it away to start a new history)");
        }
        mtrd_errf(err, err_cap, "%s", h->err);
        mtrd_hist_close(h);
        return e;
    }
    h->err[0] = '\0';
    *out = h;
    return MTR_OK;
}

void
mtrd_hist_close(struct mtrd_hist *h)
{
    unsigned i;

    if (h == NULL) {
        return;
    }
    for (i = 0; i < HS_N; i++) {
        (void)sqlite3_finalize(h->st[i]); /* NULL is a no-op; errors were reported before */
    }
    if (h->db != NULL && sqlite3_close(h->db) != SQLITE_OK) {
        /* Only unfinalized statements make close fail, and all were finalized above. */
        mtrd_log(MTRD_LOG_ERROR, "history %s: close: %s", h->path, sqlite3_errmsg(h->db));
        (void)sqlite3_close_v2(h->db); /* deferred close as a last resort */
    }
    if (h->is_vfs_registered) {
        (void)sqlite3_vfs_unregister(&h->vfs); /* cannot fail for a registered VFS */
    }
    free(h);
}

const struct mtr_hist_ops *
mtrd_hist_ops(const struct mtrd_hist *h)
{
    return (h != NULL) ? &h->ops : NULL;
}

enum mtr_err
mtrd_hist_last(struct mtrd_hist *h, uint8_t log, struct mtr_hist_entry *out)
{
    struct mtr_hist_entry e;
    sqlite3_stmt *st;
    enum mtr_err err = MTR_OK;
    int rc;

    if (h == NULL || out == NULL || log >= MTR_HIST_LOG_COUNT) {
        return MTR_EINVAL;
    }
    st = h->st[HS_LAST];
    (void)sqlite3_bind_int(st, 1, log); /* bind errors show in the step */
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = hist_row(h, st, &e);
    } else if (rc == SQLITE_DONE) {
        err = MTR_ENOENT;
    } else {
        err = hist_fail(h, rc, "last");
    }
    (void)sqlite3_reset(st); /* the step's result is the one that counts */
    if (err == MTR_OK) {
        *out = e;
    }
    return (err == MTR_ENOENT) ? err : hist_logged(h, err);
}

enum mtr_err
mtrd_hist_count(struct mtrd_hist *h, uint8_t log, uint64_t *n)
{
    sqlite3_stmt *st;
    int rc;

    if (h == NULL || n == NULL || log >= MTR_HIST_LOG_COUNT) {
        return MTR_EINVAL;
    }
    st = h->st[HS_COUNT];
    (void)sqlite3_bind_int(st, 1, log); /* bind errors show in the step */
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = (uint64_t)sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_reset(st); /* the step's result is the one that counts */
    return (rc == SQLITE_ROW) ? MTR_OK : hist_logged(h, hist_fail(h, rc, "count"));
}

enum mtr_err
mtrd_hist_stats(const struct mtrd_hist *h, struct mtrd_hist_stats *st)
{
    int cur = 0;
    int hi = 0;

    if (h == NULL || st == NULL) {
        return MTR_EINVAL;
    }
    *st = h->stats;
    if (sqlite3_db_status(h->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0) == SQLITE_OK &&
        cur > 0) {
        st->wal_pages = (uint64_t)cur;
    }
    st->bytes_written = st->wal_bytes + st->db_bytes + st->other_bytes;
    return MTR_OK;
}

enum mtr_err
mtrd_hist_check(struct mtrd_hist *h, char *err, size_t err_cap)
{
    sqlite3_stmt *st = NULL;
    enum mtr_err e = MTR_OK;
    int rc;

    if (h == NULL) {
        return MTR_EINVAL;
    }
    rc = sqlite3_prepare_v2(h->db, "PRAGMA integrity_check(1)", -1, &st, NULL);
    rc = (rc == SQLITE_OK) ? sqlite3_step(st) : rc;
    if (rc == SQLITE_ROW) {
        const unsigned char *res = sqlite3_column_text(st, 0);
        if (res == NULL || strcmp((const char *)res, "ok") != 0) {
            mtrd_errf(err, err_cap, "history %s: integrity_check: %s", h->path,
                      (res != NULL) ? (const char *)res : "NULL");
            e = MTR_ECORRUPT;
        }
    } else {
        e = hist_fail(h, rc, "integrity_check");
        mtrd_errf(err, err_cap, "%s", h->err);
        e = (e == MTR_ECORRUPT) ? e : MTR_EIO;
    }
    (void)sqlite3_finalize(st); /* errors were taken from the step */
    return e;
}

const char *
mtrd_hist_errmsg(const struct mtrd_hist *h)
{
    return (h != NULL) ? h->err : "";
}
