/*
 * Unit tests of the history store (src/daemon/hist/hist_sqlite.c), its CSV/text export
 * (hist_csv.c) and the log names (src/core/hist/hist.c).
 *
 * Each store test works in its own temporary directory. Expected values are independent of
 * our code: log names and OBIS codes from the comments of include/meterd/hist.h, sequence
 * numbers left by a FIFO of depth N after M puts (M-N+1..M), CSV records written out by hand
 * per RFC 4180, and calendar times that are well known (0 = 1970-01-01T00:00:00Z,
 * 951782400 s = 2000-02-29T00:00:00Z, INT64_MAX us = 294247-01-10T04:00:54.775807Z).
 * Damaged files are checked with raw SQLite (schema version changed, table dropped) and with
 * bytes written by the test (garbage, a truncated copy).
 */
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "hist/hist_csv.h"
#include "hist/hist_sqlite.h"
#include "meterd/hist.h"

#define T_ERR_CAP 8192u

struct t_dir {
    char dir[256];
    char path[300];
    struct mtrd_hist *h;
    const struct mtr_hist_ops *ops;
};

/* ---- helpers ---- */

static void
t_rm(const char *dir, const char *name)
{
    char p[400];
    (void)snprintf(p, sizeof(p), "%s/%s", dir, name);
    (void)unlink(p); /* may not exist */
}

static int
dir_setup(void **state)
{
    struct t_dir *d = calloc(1, sizeof(*d));
    const char *base = getenv("TMPDIR");

    if (d == NULL) {
        return -1;
    }
    (void)snprintf(d->dir, sizeof(d->dir), "%s/mtr_hist_XXXXXX", (base != NULL) ? base : "/tmp");
    if (mkdtemp(d->dir) == NULL) {
        free(d);
        return -1;
    }
    (void)snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, MTRD_HIST_FILE_NAME);
    *state = d;
    return 0;
}

static int
dir_teardown(void **state)
{
    struct t_dir *d = *state;
    static const char *const names[] = {"history.db", "history.db-wal", "history.db-shm",
                                        "history.db-journal"};
    size_t i;

    mtrd_hist_close(d->h);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        t_rm(d->dir, names[i]);
    }
    (void)rmdir(d->dir);
    free(d);
    return 0;
}

/** Open d->path with the given depths (NULL = unlimited); fails the test on error. */
static void
t_open(struct t_dir *d, const struct mtrd_hist_limits *lim)
{
    char err[T_ERR_CAP] = "";
    enum mtr_err e = mtrd_hist_open(d->path, lim, &d->h, err, sizeof(err));
    if (e != MTR_OK) {
        fail_msg("open %s: %d %s", d->path, e, err);
    }
    d->ops = mtrd_hist_ops(d->h);
    assert_non_null(d->ops);
}

static void
t_close(struct t_dir *d)
{
    mtrd_hist_close(d->h);
    d->h = NULL;
    d->ops = NULL;
}

/** A profile entry numbered seq, time seq * 15 min after 2024-06-01T00:00:00Z. */
static struct mtr_hist_entry
t_entry(uint8_t log, uint64_t seq)
{
    struct mtr_hist_entry e;
    memset(&e, 0, sizeof(e));
    e.log = log;
    e.seq = seq;
    e.t_us = (1717200000LL + (int64_t)seq * 900) * 1000000LL;
    e.n_values = 2;
    e.v[0] = (int64_t)seq * 1000;
    e.v[1] = -(int64_t)seq;
    return e;
}

static void
t_put(struct t_dir *d, const struct mtr_hist_entry *e, size_t n)
{
    enum mtr_err err = d->ops->put(d->h, e, n);
    if (err != MTR_OK) {
        fail_msg("put %zu: %d %s", n, err, mtrd_hist_errmsg(d->h));
    }
}

/** Collects the sequence numbers a get visits, stopping after stop_after (0 = never). */
struct t_collect {
    uint64_t seq[64];
    size_t count;
    size_t stop_after;
    struct mtr_hist_entry last;
};

static bool
t_visit(void *arg, const struct mtr_hist_entry *e)
{
    struct t_collect *c = arg;
    if (c->count < 64u) {
        c->seq[c->count] = e->seq;
    }
    c->count++;
    c->last = *e;
    return c->stop_after == 0u || c->count < c->stop_after;
}

/** Run raw SQL on a closed store's file (the test's own connection). */
static void
t_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("sql %s: %s", sql, msg);
    }
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/** Read one integer with raw SQL. */
static int64_t
t_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return v;
}

static void
t_expect_seqs(const char *name, const struct t_collect *c, uint64_t first, uint64_t last)
{
    size_t n = (last >= first) ? (size_t)(last - first + 1u) : 0u;
    size_t i;
    if (c->count != n) {
        fail_msg("%s: %zu entries, want %zu (%" PRIu64 "..%" PRIu64 ")", name, c->count, n, first,
                 last);
    }
    for (i = 0; i < n; i++) {
        if (c->seq[i] != first + i) {
            fail_msg("%s: entry %zu has seq %" PRIu64 ", want %" PRIu64, name, i, c->seq[i],
                     first + i);
        }
    }
}

/* ---- names ---- */

static void
test_log_names(void **state)
{
    static const struct {
        enum mtr_hist_log log;
        const char *name;
        uint8_t obis[6];
    } rows[] = {
        {MTR_HIST_PROFILE_1,       "profile_1",       {1, 0, 99, 1, 0, 255} },
        {MTR_HIST_PROFILE_PQ,      "profile_pq",      {1, 0, 99, 14, 0, 255}},
        {MTR_HIST_PROFILE_AVG,     "profile_avg",     {1, 0, 99, 13, 0, 255}},
        {MTR_HIST_PROFILE_MIN,     "profile_min",     {1, 0, 99, 13, 1, 255}},
        {MTR_HIST_PROFILE_MAX,     "profile_max",     {1, 0, 99, 13, 2, 255}},
        {MTR_HIST_BILLING_MONTHLY, "billing_monthly", {1, 0, 98, 1, 0, 255} },
        {MTR_HIST_BILLING_DAILY,   "billing_daily",   {1, 0, 98, 2, 0, 255} },
        {MTR_HIST_EVENT_STD,       "event_std",       {0, 0, 99, 98, 0, 255}},
        {MTR_HIST_EVENT_FRAUD,     "event_fraud",     {0, 0, 99, 98, 1, 255}},
        {MTR_HIST_EVENT_DISC,      "event_disc",      {0, 0, 99, 98, 2, 255}},
        {MTR_HIST_EVENT_PQ,        "event_pq",        {0, 0, 99, 98, 4, 255}},
        {MTR_HIST_EVENT_PWR,       "event_pwr",       {1, 0, 99, 97, 0, 255}},
        {MTR_HIST_EVENT_CFG,       "event_cfg",       {0, 0, 99, 98, 3, 255}},
    };
    static const uint8_t zero[6] = {0};
    uint8_t obis[6];
    size_t i;

    (void)state;
    assert_int_equal(sizeof(rows) / sizeof(rows[0]), MTR_HIST_LOG_COUNT);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *name = mtr_hist_log_name(rows[i].log);
        if (name == NULL || strcmp(name, rows[i].name) != 0) {
            fail_msg("%s: name %s", rows[i].name, (name != NULL) ? name : "NULL");
        }
        mtr_hist_log_obis(rows[i].log, obis);
        if (memcmp(obis, rows[i].obis, 6) != 0) {
            fail_msg("%s: OBIS %u-%u:%u.%u.%u.%u", rows[i].name, obis[0], obis[1], obis[2], obis[3],
                     obis[4], obis[5]);
        }
    }
    assert_null(mtr_hist_log_name(MTR_HIST_LOG_COUNT));
    mtr_hist_log_obis(MTR_HIST_LOG_COUNT, obis);
    assert_memory_equal(obis, zero, 6);
}

/* ---- store ---- */

static void
test_round_trip(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry in[4];
    struct t_collect c;
    unsigned i;

    memset(in, 0, sizeof(in));
    /* 0: every value used, the int64 extremes, all status bits, extreme time. */
    in[0].log = MTR_HIST_BILLING_MONTHLY;
    in[0].seq = 1;
    in[0].t_us = INT64_MIN;
    in[0].status = UINT32_MAX;
    in[0].n_values = MTR_HIST_MAX_VALUES;
    for (i = 0; i < MTR_HIST_MAX_VALUES; i++) {
        in[0].v[i] = (i % 3u == 0u) ? INT64_MIN : (i % 3u == 1u) ? INT64_MAX : -(int64_t)i;
    }
    /* 1: no values (all NULL), text with quotes, commas, newlines and UTF-8 ("µ€😀"). */
    in[1].log = MTR_HIST_BILLING_MONTHLY;
    in[1].seq = 2;
    in[1].t_us = INT64_MAX;
    in[1].code = UINT16_MAX;
    (void)snprintf(in[1].text, sizeof(in[1].text), "%s",
                   "opt=\"a,b\"\r\nold='x'\tnew=\xc2\xb5\xe2\x82\xac\xf0\x9f\x98\x80;");
    /* 2: 3 values used, stale numbers beyond n_values must read back as 0. */
    in[2].log = MTR_HIST_BILLING_MONTHLY;
    in[2].seq = 3;
    in[2].t_us = 0;
    in[2].n_values = 3;
    in[2].v[0] = 0;
    in[2].v[1] = 1;
    in[2].v[2] = -1;
    in[2].v[3] = 77;
    in[2].v[31] = 99;
    /* 3: longest text (MTR_HIST_TEXT_CAP - 1 bytes). */
    in[3].log = MTR_HIST_BILLING_MONTHLY;
    in[3].seq = 4;
    in[3].t_us = -1;
    memset(in[3].text, 'x', sizeof(in[3].text) - 1u);

    t_open(d, NULL);
    t_put(d, in, 4);
    /* Read back after a reopen, so it comes from the file, not a cache. */
    t_close(d);
    t_open(d, NULL);
    in[2].v[3] = 0;
    in[2].v[31] = 0;
    for (i = 0; i < 4; i++) {
        struct mtr_hist_query q = {
            .log = MTR_HIST_BILLING_MONTHLY, .seq_from = in[i].seq, .seq_to = in[i].seq};
        memset(&c, 0, sizeof(c));
        assert_int_equal(d->ops->get(d->h, &q, t_visit, &c), MTR_OK);
        assert_int_equal(c.count, 1);
        if (memcmp(&c.last, &in[i], sizeof(in[i])) != 0) {
            fail_msg("entry %u differs after the round trip", i);
        }
    }
    t_close(d);
    /* Unused values are NULL, not 0, and "" text is NULL (a person reads NULL as "none"). */
    assert_int_equal(t_sql_int(d->path, "SELECT count(*) FROM hist WHERE seq = 3 AND v2 = -1 AND "
                                        "v3 IS NULL AND v31 IS NULL AND text IS NULL"),
                     1);
    assert_int_equal(t_sql_int(d->path, "SELECT count(*) FROM hist WHERE seq = 2 AND v0 IS NULL"),
                     1);
    /* The view shows the log name and the ISO time. */
    assert_int_equal(t_sql_int(d->path, "SELECT count(*) FROM hist_view WHERE seq = 3 AND "
                                        "log_name = 'billing_monthly' AND "
                                        "time_utc = '1970-01-01T00:00:00.000000Z'"),
                     1);
    assert_int_equal(t_sql_int(d->path, "SELECT count(*) FROM hist_view WHERE seq = 4 AND "
                                        "time_utc = '1969-12-31T23:59:59.999999Z'"),
                     1);
}

static void
test_bad_entries(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry e[2] = {t_entry(MTR_HIST_PROFILE_1, 1), t_entry(MTR_HIST_PROFILE_1, 2)};
    uint64_t n = 99;
    static const struct {
        const char *name;
        uint8_t log;
        uint64_t seq;
        uint8_t n_values;
        bool is_text_full;
    } rows[] = {
        {"log out of range", MTR_HIST_LOG_COUNT, 2,                        2,                        false},
        {"seq 0",            MTR_HIST_PROFILE_1, 0,                        2,                        false},
        {"seq above int64",  MTR_HIST_PROFILE_1, (uint64_t)INT64_MAX + 1u, 2,                        false},
        {"33 values",        MTR_HIST_PROFILE_1, 2,                        MTR_HIST_MAX_VALUES + 1u, false},
        {"text without NUL", MTR_HIST_PROFILE_1, 2,                        2,                        true },
    };
    size_t i;

    t_open(d, NULL);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        e[1] = t_entry(MTR_HIST_PROFILE_1, 2);
        e[1].log = rows[i].log;
        e[1].seq = rows[i].seq;
        e[1].n_values = rows[i].n_values;
        if (rows[i].is_text_full) {
            memset(e[1].text, 'y', sizeof(e[1].text));
        }
        if (d->ops->put(d->h, e, 2) != MTR_EINVAL) {
            fail_msg("%s: not rejected", rows[i].name);
        }
        /* All or nothing: the valid first entry was not written either. */
        assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
        if (n != 0u) {
            fail_msg("%s: %" PRIu64 " entries written", rows[i].name, n);
        }
    }
    assert_int_equal(d->ops->put(d->h, NULL, 1), MTR_EINVAL);
    assert_int_equal(d->ops->put(d->h, NULL, 0), MTR_OK);
    assert_int_equal(d->ops->truncate_after(d->h, MTR_HIST_LOG_COUNT, 0), MTR_EINVAL);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_LOG_COUNT, &n), MTR_EINVAL);
}

static void
test_batch_rollback(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry e[3] = {t_entry(MTR_HIST_PROFILE_1, 5), t_entry(MTR_HIST_PROFILE_1, 6),
                                  t_entry(MTR_HIST_PROFILE_1, 999)};
    uint64_t n = 0;

    /* A trigger makes SQLite fail on the third row: the first two must be rolled back. */
    t_open(d, NULL);
    t_put(d, e, 1);
    t_close(d);
    t_sql(d->path, "CREATE TRIGGER t_fail BEFORE INSERT ON hist WHEN NEW.seq = 999 "
                   "BEGIN SELECT RAISE(ABORT, 'test failure'); END");
    t_open(d, NULL);
    e[0].v[0] = 12345;
    assert_int_equal(d->ops->put(d->h, e, 3), MTR_EIO);
    assert_non_null(strstr(mtrd_hist_errmsg(d->h), d->path));
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
    assert_int_equal(n, 1);
    {
        struct mtr_hist_entry last;
        assert_int_equal(mtrd_hist_last(d->h, MTR_HIST_PROFILE_1, &last), MTR_OK);
        assert_int_equal(last.seq, 5);
        assert_int_equal(last.v[0], 5000); /* the old content, not 12345 */
    }
    /* The store still works after the failed transaction. */
    t_put(d, e, 2);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
    assert_int_equal(n, 2);
}

static void
test_replace(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry a = t_entry(MTR_HIST_EVENT_STD, 7);
    struct mtr_hist_entry b = t_entry(MTR_HIST_EVENT_STD, 7);
    struct mtr_hist_entry batch[2];
    struct mtr_hist_entry last;
    uint64_t n = 0;

    b.n_values = 1;
    b.v[0] = -42;
    b.code = 12;
    (void)snprintf(b.text, sizeof(b.text), "second");
    t_open(d, NULL);
    t_put(d, &a, 1);
    t_put(d, &b, 1);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_EVENT_STD, &n), MTR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(mtrd_hist_last(d->h, MTR_HIST_EVENT_STD, &last), MTR_OK);
    b.v[1] = 0; /* beyond n_values: reads back as 0 */
    assert_memory_equal(&last, &b, sizeof(b));
    /* Twice in one batch: the later one wins. */
    batch[0] = b;
    batch[1] = a;
    t_put(d, batch, 2);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_EVENT_STD, &n), MTR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(mtrd_hist_last(d->h, MTR_HIST_EVENT_STD, &last), MTR_OK);
    assert_memory_equal(&last, &a, sizeof(a));
}

static void
test_truncate_after(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry e[10];
    struct mtr_hist_entry last;
    uint64_t n = 0;
    size_t i;

    t_open(d, NULL);
    for (i = 0; i < 10; i++) {
        e[i] = t_entry(MTR_HIST_PROFILE_1, i + 1u);
    }
    t_put(d, e, 10);
    for (i = 0; i < 10; i++) {
        e[i].log = MTR_HIST_PROFILE_PQ;
    }
    t_put(d, e, 10);
    assert_int_equal(d->ops->truncate_after(d->h, MTR_HIST_PROFILE_1, 6), MTR_OK);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
    assert_int_equal(n, 6);
    assert_int_equal(mtrd_hist_last(d->h, MTR_HIST_PROFILE_1, &last), MTR_OK);
    assert_int_equal(last.seq, 6);
    /* Other logs are untouched; a limit past the newest deletes nothing; 0 empties the log. */
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_PQ, &n), MTR_OK);
    assert_int_equal(n, 10);
    assert_int_equal(d->ops->truncate_after(d->h, MTR_HIST_PROFILE_1, UINT64_MAX), MTR_OK);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
    assert_int_equal(n, 6);
    assert_int_equal(d->ops->truncate_after(d->h, MTR_HIST_PROFILE_1, 0), MTR_OK);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mtrd_hist_last(d->h, MTR_HIST_PROFILE_1, &last), MTR_ENOENT);
}

static void
test_fifo_depth(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_hist_limits lim;
    struct mtr_hist_entry e[20];
    struct mtr_hist_query q = {.log = MTR_HIST_PROFILE_1, .seq_from = 1, .seq_to = 0};
    struct t_collect c;
    uint64_t n = 0;
    size_t i;

    memset(&lim, 0, sizeof(lim));
    lim.depth[MTR_HIST_PROFILE_1] = 12;
    lim.depth[MTR_HIST_EVENT_STD] = 12;
    t_open(d, &lim);
    /* One put per entry on profile_1, one batch of 20 on event_std: 9..20 remain in both. */
    for (i = 0; i < 20; i++) {
        e[i] = t_entry(MTR_HIST_PROFILE_1, i + 1u);
        t_put(d, &e[i], 1);
        e[i].log = MTR_HIST_EVENT_STD;
    }
    t_put(d, e, 20);
    memset(&c, 0, sizeof(c));
    assert_int_equal(d->ops->get(d->h, &q, t_visit, &c), MTR_OK);
    t_expect_seqs("depth 12, 20 puts", &c, 9, 20);
    q.log = MTR_HIST_EVENT_STD;
    memset(&c, 0, sizeof(c));
    assert_int_equal(d->ops->get(d->h, &q, t_visit, &c), MTR_OK);
    t_expect_seqs("depth 12, one batch of 20", &c, 9, 20);
    /* Unlimited logs keep everything. */
    for (i = 0; i < 20; i++) {
        e[i].log = MTR_HIST_PROFILE_PQ;
    }
    t_put(d, e, 20);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_PQ, &n), MTR_OK);
    assert_int_equal(n, 20);
}

static void
test_queries(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry e[10];
    struct t_collect c;
    const int64_t t0 = 1717200000LL * 1000000LL; /* seq k is at t0 + k * 900 s */
    const int64_t s = 900LL * 1000000LL;
    static const struct {
        const char *name;
        bool by_time;
        uint64_t seq_from, seq_to;
        int64_t t_from_k, t_to_k; /* times as multiples of 900 s after t0 */
        size_t stop_after;
        uint64_t first, last; /* expected; last < first: none */
    } rows[] = {
        {"seq 3..5",                 false, 3,  5,    0,    0,   0, 3, 5 },
        {"seq 1..newest",            false, 1,  0,    0,    0,   0, 1, 10},
        {"seq 0..newest",            false, 0,  0,    0,    0,   0, 1, 10},
        {"seq 8..newest",            false, 8,  0,    0,    0,   0, 8, 10},
        {"seq 11..newest (empty)",   false, 11, 0,    0,    0,   0, 1, 0 },
        {"seq 6..5 (empty)",         false, 6,  5,    0,    0,   0, 1, 0 },
        {"seq 9..1000",              false, 9,  1000, 0,    0,   0, 9, 10},
        {"time 4..7",                true,  0,  0,    4,    7,   0, 4, 7 },
        {"time 3.5..7.5 slots",      true,  0,  0,    3,    7,   0, 4, 7 },
        {"time before all (empty)",  true,  0,  0,    -5,   0,   0, 1, 0 },
        {"time reversed (empty)",    true,  0,  0,    7,    4,   0, 1, 0 },
        {"seq 1..newest, stop at 3", false, 1,  0,    0,    0,   3, 1, 3 },
        {"time all, stop at 1",      true,  0,  0,    -100, 100, 1, 1, 1 },
    };
    size_t i;

    /* Written newest first, in two batches: results must still come in ascending seq. */
    for (i = 0; i < 10; i++) {
        e[i] = t_entry(MTR_HIST_PROFILE_1, 10u - i);
    }
    t_open(d, NULL);
    t_put(d, e, 5);
    t_put(d, e + 5, 5);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct mtr_hist_query q = {.log = MTR_HIST_PROFILE_1,
                                   .by_time = rows[i].by_time,
                                   .seq_from = rows[i].seq_from,
                                   .seq_to = rows[i].seq_to,
                                   .t_from_us = t0 + rows[i].t_from_k * s,
                                   .t_to_us = t0 + rows[i].t_to_k * s};
        if (i == 8) { /* half a slot inside each end */
            q.t_from_us += s / 2;
            q.t_to_us += s / 2;
        }
        memset(&c, 0, sizeof(c));
        c.stop_after = rows[i].stop_after;
        if (d->ops->get(d->h, &q, t_visit, &c) != MTR_OK) {
            fail_msg("%s: get failed: %s", rows[i].name, mtrd_hist_errmsg(d->h));
        }
        t_expect_seqs(rows[i].name, &c, rows[i].first, rows[i].last);
    }
    /* Open-ended time range over the whole int64 range, and an empty log. */
    {
        struct mtr_hist_query q = {.log = MTR_HIST_PROFILE_1,
                                   .by_time = true,
                                   .t_from_us = INT64_MIN,
                                   .t_to_us = INT64_MAX};
        memset(&c, 0, sizeof(c));
        assert_int_equal(d->ops->get(d->h, &q, t_visit, &c), MTR_OK);
        t_expect_seqs("time INT64_MIN..INT64_MAX", &c, 1, 10);
        q.log = MTR_HIST_EVENT_PWR;
        memset(&c, 0, sizeof(c));
        assert_int_equal(d->ops->get(d->h, &q, t_visit, &c), MTR_OK);
        assert_int_equal(c.count, 0);
        q.log = MTR_HIST_LOG_COUNT;
        assert_int_equal(d->ops->get(d->h, &q, t_visit, &c), MTR_EINVAL);
    }
}

/** A callback that tries to write into the store it is reading. */
static bool
t_visit_put(void *arg, const struct mtr_hist_entry *e)
{
    struct t_dir *d = arg;
    struct mtr_hist_entry x = *e;
    x.seq += 100u;
    assert_int_equal(d->ops->put(d->h, &x, 1), MTR_EINVAL);
    return true;
}

static void
test_reentry(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry e = t_entry(MTR_HIST_PROFILE_1, 1);
    struct mtr_hist_query q = {.log = MTR_HIST_PROFILE_1, .seq_from = 1};
    uint64_t n = 0;

    t_open(d, NULL);
    t_put(d, &e, 1);
    assert_int_equal(d->ops->get(d->h, &q, t_visit_put, d), MTR_OK);
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_PROFILE_1, &n), MTR_OK);
    assert_int_equal(n, 1);
}

static void
test_last_count_empty(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry last;
    uint64_t n = 5;

    memset(&last, 0xA5, sizeof(last));
    t_open(d, NULL);
    assert_int_equal(mtrd_hist_last(d->h, MTR_HIST_EVENT_CFG, &last), MTR_ENOENT);
    assert_int_equal(last.seq, 0xA5A5A5A5A5A5A5A5u); /* untouched */
    assert_int_equal(mtrd_hist_count(d->h, MTR_HIST_EVENT_CFG, &n), MTR_OK);
    assert_int_equal(n, 0);
}

static void
test_stats(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_hist_stats st;
    struct mtrd_hist_limits lim;
    struct mtr_hist_entry e;
    uint64_t i;

    memset(&lim, 0, sizeof(lim));
    lim.depth[MTR_HIST_PROFILE_1] = 50;
    t_open(d, &lim);
    for (i = 1; i <= 100; i++) {
        e = t_entry(MTR_HIST_PROFILE_1, i);
        t_put(d, &e, 1);
    }
    assert_int_equal(d->ops->truncate_after(d->h, MTR_HIST_PROFILE_1, 90), MTR_OK);
    assert_int_equal(mtrd_hist_stats(d->h, &st), MTR_OK);
    assert_int_equal(st.transactions, 101);
    assert_int_equal(st.entries_written, 100);
    assert_int_equal(st.entries_deleted, 50 + 10); /* FIFO kept 51..100, truncate drops 91..100 */
    assert_int_equal(st.page_bytes, 4096);
    print_message("stats: %" PRIu64 " WAL pages, %" PRIu64 " WAL bytes, %" PRIu64
                  " db bytes, %" PRIu64 " other, %" PRIu64 " syncs\n",
                  st.wal_pages, st.wal_bytes, st.db_bytes, st.other_bytes, st.syncs);
    /* Two independent counts agree with the WAL format (sqlite.org/fileformat2.html 4.1: a
     * 32-byte WAL header, then frames of a 24-byte header and one page): SQLite's page-write
     * counter and the bytes our VFS saw. Of the pages SQLite wrote, one went to the database
     * file (page 1, when the new file switched to WAL through a rollback journal); the rest
     * are WAL frames. 100 puts and one truncate commit 101 times, each at least one frame;
     * WAL mode with synchronous=NORMAL does not sync at commits. */
    assert_true(st.wal_pages >= 101u + 1u);
    assert_int_equal(st.db_bytes, st.page_bytes);
    assert_int_equal(st.wal_bytes, 32u + (st.wal_pages - 1u) * (st.page_bytes + 24u));
    assert_true(st.syncs < 10u);
    assert_int_equal(st.bytes_written, st.wal_bytes + st.db_bytes + st.other_bytes);
    assert_int_equal(mtrd_hist_stats(NULL, &st), MTR_EINVAL);
}

/* ---- damaged files ---- */

static void
t_expect_open_fail(struct t_dir *d, enum mtr_err want, const char *needle)
{
    char err[T_ERR_CAP] = "";
    struct mtrd_hist *h = NULL;
    enum mtr_err e = mtrd_hist_open(d->path, NULL, &h, err, sizeof(err));
    if (e != want) {
        mtrd_hist_close(h);
        fail_msg("open: got %d, want %d (%s)", e, want, err);
    }
    assert_null(h);
    if (strstr(err, d->path) == NULL || strstr(err, needle) == NULL) {
        fail_msg("message without the file name or '%s': %s", needle, err);
    }
}

static void
t_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static off_t
t_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_size;
}

static void
test_version_mismatch(void **state)
{
    struct t_dir *d = *state;

    t_open(d, NULL);
    t_close(d);
    assert_int_equal(t_sql_int(d->path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                     MTRD_HIST_SCHEMA_VERSION);
    t_sql(d->path, "UPDATE meta SET value = 2 WHERE key = 'schema_version'");
    t_expect_open_fail(d, MTR_EVERSION, "schema version 2");
    t_sql(d->path, "DELETE FROM meta");
    t_expect_open_fail(d, MTR_EVERSION, "schema_version");
    /* The file was not touched by the failed opens. */
    assert_int_equal(t_sql_int(d->path, "SELECT count(*) FROM meta"), 0);
}

static void
test_foreign_db(void **state)
{
    struct t_dir *d = *state;

    t_sql(d->path, "CREATE TABLE foo(x INTEGER); INSERT INTO foo VALUES (1)");
    t_expect_open_fail(d, MTR_ECORRUPT, "not a meterd history file");
    assert_int_equal(t_sql_int(d->path, "SELECT x FROM foo"), 1);
    t_sql(d->path, "PRAGMA application_id = 1234");
    t_expect_open_fail(d, MTR_ECORRUPT, "application_id");
}

static void
test_garbage_file(void **state)
{
    struct t_dir *d = *state;
    char junk[8192];
    size_t i;

    for (i = 0; i < sizeof(junk); i++) {
        junk[i] = (char)('a' + (i * 7u) % 26u);
    }
    t_write_file(d->path, junk, sizeof(junk));
    t_expect_open_fail(d, MTR_ECORRUPT, "not an SQLite database, truncated or corrupt");
    assert_int_equal(t_size(d->path), (off_t)sizeof(junk)); /* never recreated */
}

static void
test_truncated_file(void **state)
{
    struct t_dir *d = *state;
    struct mtr_hist_entry e[100];
    off_t size;
    size_t i;
    uint64_t k;

    t_open(d, NULL);
    for (k = 0; k < 20; k++) {
        for (i = 0; i < 100; i++) {
            e[i] = t_entry(MTR_HIST_PROFILE_1, k * 100u + i + 1u);
            (void)snprintf(e[i].text, sizeof(e[i].text), "padding padding padding %zu", i);
        }
        t_put(d, e, 100);
    }
    t_close(d); /* checkpoints the WAL into the file and removes it */
    size = t_size(d->path);
    assert_true(size > 16 * 4096);
    assert_int_equal(truncate(d->path, size / 2), 0);
    t_expect_open_fail(d, MTR_ECORRUPT, "corrupt");
    assert_int_equal(t_size(d->path), size / 2);
    /* A file cut inside its 100-byte header. */
    assert_int_equal(truncate(d->path, 60), 0);
    t_expect_open_fail(d, MTR_ECORRUPT, "corrupt");
    assert_int_equal(t_size(d->path), 60);
}

static void
test_integrity_check(void **state)
{
    struct t_dir *d = *state;
    char err[T_ERR_CAP] = "";
    struct mtr_hist_entry e = t_entry(MTR_HIST_PROFILE_1, 1);
    struct mtrd_hist *h = NULL;
    char missing[400];

    /* A directory that does not exist: an I/O error naming the file. */
    (void)snprintf(missing, sizeof(missing), "%s/no/such/dir/history.db", d->dir);
    assert_int_equal(mtrd_hist_open(missing, NULL, &h, err, sizeof(err)), MTR_EIO);
    assert_null(h);
    assert_non_null(strstr(err, missing));
    /* An empty file (what a crash during creation leaves) becomes a new database. */
    t_write_file(d->path, "", 0);
    t_open(d, NULL);
    t_put(d, &e, 1);
    assert_int_equal(mtrd_hist_check(d->h, err, sizeof(err)), MTR_OK);
}

/* ---- CSV and text ---- */

/** Write with fn into a memory buffer and compare with the hand-written text. */
static void
t_expect_output(const char *name, const char *want, enum mtr_err got_err, char **buf, FILE *f)
{
    assert_int_equal(got_err, MTR_OK);
    assert_int_equal(fflush(f), 0); /* sets *buf */
    if (*buf == NULL || strcmp(*buf, want) != 0) {
        fail_msg("%s:\n got: [%s]\nwant: [%s]", name, (*buf != NULL) ? *buf : "NULL", want);
    }
}

static void
test_csv(void **state)
{
    static const char *const names[] = {"+A", "P, total", "raw", "E", NULL};
    static const char *const units[] = {"kWh", "kW", "", "Wh", NULL};
    static const int8_t scale[] = {-9, -3, 0, 3, 0};
    struct mtr_hist_entry e;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    memset(&e, 0, sizeof(e));
    e.log = MTR_HIST_PROFILE_1;
    e.seq = 42;
    e.t_us = 1717243200LL * 1000000LL; /* 2024-06-01T12:00:00Z */
    e.status = MTR_HIST_ST_POWER_DOWN | MTR_HIST_ST_DST;
    e.n_values = 4;
    e.v[0] = 1234567890;
    e.v[1] = -5;
    e.v[2] = INT64_MIN;
    e.v[3] = 7;
    (void)snprintf(e.text, sizeof(e.text), "He said \"hi\", ok\nbye");

    f = open_memstream(&buf, &len);
    assert_non_null(f);
    t_expect_output("profile with header",
                    "seq,time,status,+A [kWh],\"P, total [kW]\",raw,E [Wh],v4,text\r\n"
                    "42,2024-06-01T12:00:00Z,0x88,1.234567890,-0.005,-9223372036854775808,7000,,"
                    "\"He said \"\"hi\"\", ok\nbye\"\r\n",
                    mtrd_hist_write_csv(f, &e, names, units, scale, 5, true), &buf, f);
    assert_int_equal(fclose(f), 0);
    free(buf);

    memset(&e, 0, sizeof(e));
    e.log = MTR_HIST_EVENT_CFG;
    e.seq = 3;
    e.t_us = 1717243200123456LL;
    e.code = 255;
    (void)snprintf(e.text, sizeof(e.text), "tariff=T2");
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    t_expect_output("event, no values, two records",
                    "seq,time,code,text\r\n"
                    "3,2024-06-01T12:00:00.123456Z,255,tariff=T2\r\n"
                    "3,2024-06-01T12:00:00.123456Z,255,tariff=T2\r\n",
                    (mtrd_hist_write_csv(f, &e, NULL, NULL, NULL, 0, true) == MTR_OK)
                        ? mtrd_hist_write_csv(f, &e, NULL, NULL, NULL, 0, false)
                        : MTR_EIO,
                    &buf, f);
    assert_int_equal(fclose(f), 0);
    free(buf);

    {
        static const int8_t bad[] = {31};
        assert_int_equal(mtrd_hist_write_csv(NULL, &e, NULL, NULL, NULL, 0, false), MTR_EINVAL);
        assert_int_equal(mtrd_hist_write_csv(stdout, &e, NULL, NULL, bad, 1, false), MTR_EINVAL);
        assert_int_equal(mtrd_hist_write_csv(stdout, &e, NULL, NULL, NULL, 33, false), MTR_EINVAL);
    }
}

static void
test_text_table(void **state)
{
    static const char *const names[] = {"+A"};
    static const char *const units[] = {"kWh"};
    static const int8_t scale[] = {-9};
    struct mtr_hist_entry e;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    memset(&e, 0, sizeof(e));
    e.log = MTR_HIST_PROFILE_1;
    e.seq = 42;
    e.t_us = 1717243200LL * 1000000LL;
    e.status = 0x88;
    e.n_values = 1;
    e.v[0] = 1234567890;
    (void)snprintf(e.text, sizeof(e.text), "a\nb");
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    /* seq right-aligned in 10, time left in 27, status right in 6, value right in 12. */
    t_expect_output("text table",
                    "       seq  time                         status      +A [kWh]  text\n"
                    "-------------------------------------------------------------------\n"
                    "        42  2024-06-01T12:00:00Z           0x88   1.234567890  a.b\n",
                    mtrd_hist_write_text(f, &e, names, units, scale, 1, true), &buf, f);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

static void
test_format_scaled(void **state)
{
    static const struct {
        int64_t v;
        int scale;
        const char *want;
    } rows[] = {
        {0,         -3,  "0.000"                            },
        {0,         3,   "0"                                },
        {1,         -1,  "0.1"                              },
        {-1,        -1,  "-0.1"                             },
        {123,       -2,  "1.23"                             },
        {-123,      -3,  "-0.123"                           },
        {-1000,     -6,  "-0.001000"                        },
        {5,         2,   "500"                              },
        {INT64_MAX, -9,  "9223372036.854775807"             },
        {INT64_MIN, -20, "-0.09223372036854775808"          },
        {INT64_MIN, 0,   "-9223372036854775808"             },
        {-12,       30,  "-12000000000000000000000000000000"},
        {INT64_MAX, -30, "0.000000000009223372036854775807" },
    };
    char out[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(mtrd_hist_format_scaled(rows[i].v, rows[i].scale, out, sizeof(out)),
                         MTR_OK);
        if (strcmp(out, rows[i].want) != 0) {
            fail_msg("%" PRId64 " e%d: got %s, want %s", rows[i].v, rows[i].scale, out,
                     rows[i].want);
        }
    }
    assert_int_equal(mtrd_hist_format_scaled(1, 31, out, sizeof(out)), MTR_EINVAL);
    assert_int_equal(mtrd_hist_format_scaled(123, -2, out, 4), MTR_ENOSPC);
    assert_int_equal(mtrd_hist_format_scaled(123, -2, out, 5), MTR_OK);
}

static void
test_format_time(void **state)
{
    static const struct {
        int64_t t_us;
        const char *want;
    } rows[] = {
        {0,                        "1970-01-01T00:00:00Z"          },
        {-1,                       "1969-12-31T23:59:59.999999Z"   },
        {951782400LL * 1000000LL,  "2000-02-29T00:00:00Z"          },
        {951868800LL * 1000000LL,  "2000-03-01T00:00:00Z"          },
        {1717243200123456LL,       "2024-06-01T12:00:00.123456Z"   },
        {4102444799LL * 1000000LL, "2099-12-31T23:59:59Z"          },
        {INT64_MAX,                "294247-01-10T04:00:54.775807Z" },
        {INT64_MIN,                "-290308-12-21T19:59:05.224192Z"},
    };
    char out[40];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(mtrd_hist_format_time(rows[i].t_us, out, sizeof(out)), MTR_OK);
        if (strcmp(out, rows[i].want) != 0) {
            fail_msg("%" PRId64 " us: got %s, want %s", rows[i].t_us, out, rows[i].want);
        }
    }
    assert_int_equal(mtrd_hist_format_time(0, out, 20), MTR_ENOSPC);
    assert_int_equal(mtrd_hist_format_time(0, out, 21), MTR_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_names),
        cmocka_unit_test_setup_teardown(test_round_trip, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_bad_entries, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_batch_rollback, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_replace, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_truncate_after, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_fifo_depth, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_queries, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_reentry, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_last_count_empty, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_stats, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_version_mismatch, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_db, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_file, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_truncated_file, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_integrity_check, dir_setup, dir_teardown),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_text_table),
        cmocka_unit_test(test_format_scaled),
        cmocka_unit_test(test_format_time),
    };
    return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
