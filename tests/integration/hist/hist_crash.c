/*
 * Crash test of the SQLite history store: a child puts batches of 5 entries as fast as it can
 * and is killed with SIGKILL at random instants; after each kill the parent reopens the file
 * and checks that
 *   - SQLite finds the database intact (PRAGMA integrity_check = "ok"),
 *   - every batch is all or nothing and sequence numbers are contiguous: the log holds
 *     first..last with first = 1 (mod 5), last = 0 (mod 5), and each entry carries its batch
 *     number and position, so a torn batch or a gap shows,
 *   - the FIFO depth holds (at most T_DEPTH entries; exactly T_DEPTH once that many exist),
 *   - nothing committed was lost: the newest entry is at least as new as the last commit the
 *     child reported through a pipe before it was killed (WAL + synchronous=NORMAL keeps every
 *     commit across the death of the process), and never older than after the previous round.
 *
 * Usage: hist_crash [--rounds N] [--seed S] [--dir D]   (defaults 50, 1, $TMPDIR or /tmp)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hist/hist_sqlite.h"
#include "meterd/hist.h"

/** Entries per put (one transaction), as the meter writes a batch. */
#define T_BATCH       5u
/** FIFO depth of the log under test: a multiple of T_BATCH, so trimming keeps whole batches. */
#define T_DEPTH       1000u
/** Longest random time the child runs before the kill, us. */
#define T_KILL_MAX_US 120000u
#define T_ERR_CAP     8192u
#define T_LOG         MTR_HIST_PROFILE_1

static unsigned g_rounds = 50;
static unsigned g_seed = 1;
static char g_dir[256];
static char g_path[320];

/* ---- child ---- */

/** Put batches forever, reporting each committed last seq on fd (non-blocking). */
static void
child_run(int fd)
{
    struct mtrd_hist_limits lim;
    struct mtrd_hist *h = NULL;
    struct mtr_hist_entry last;
    struct mtr_hist_entry e[T_BATCH];
    const struct mtr_hist_ops *ops;
    char err[T_ERR_CAP];
    uint64_t next = 1;
    unsigned i;

    memset(&lim, 0, sizeof(lim));
    lim.depth[T_LOG] = T_DEPTH;
    if (mtrd_hist_open(g_path, &lim, &h, err, sizeof(err)) != MTR_OK) {
        (void)fprintf(stderr, "child: %s\n", err);
        _exit(2);
    }
    ops = mtrd_hist_ops(h);
    if (mtrd_hist_last(h, T_LOG, &last) == MTR_OK) {
        next = last.seq + 1u;
    }
    for (;;) {
        memset(e, 0, sizeof(e));
        for (i = 0; i < T_BATCH; i++) {
            e[i].log = T_LOG;
            e[i].seq = next + i;
            e[i].t_us = (int64_t)e[i].seq * 1000000;
            e[i].n_values = 3;
            e[i].v[0] = (int64_t)((next - 1u) / T_BATCH); /* batch number */
            e[i].v[1] = (int64_t)i;                       /* position in the batch */
            e[i].v[2] = -(int64_t)e[i].seq;
            (void)snprintf(e[i].text, sizeof(e[i].text), "batch %" PRIu64, (next - 1u) / T_BATCH);
        }
        if (ops->put(h, e, T_BATCH) != MTR_OK) {
            _exit(3);
        }
        next += T_BATCH;
        {
            uint64_t done = next - 1u;
            /* A full pipe only weakens the check (an older report); never block. */
            if (write(fd, &done, sizeof(done)) < 0 && errno != EAGAIN) {
                _exit(4);
            }
        }
    }
}

/* ---- parent ---- */

struct t_verify {
    uint64_t first;
    uint64_t next; /* expected seq of the next entry */
    uint64_t count;
    char why[256];
};

static bool
t_visit(void *arg, const struct mtr_hist_entry *e)
{
    struct t_verify *v = arg;
    uint64_t k = e->seq - 1u;

    if (v->count == 0u) {
        v->first = e->seq;
        v->next = e->seq;
    }
    if (e->seq != v->next) {
        (void)snprintf(v->why, sizeof(v->why), "gap: seq %" PRIu64 " after %" PRIu64, e->seq,
                       v->next - 1u);
    } else if (e->n_values != 3u || e->v[0] != (int64_t)(k / T_BATCH) ||
               e->v[1] != (int64_t)(k % T_BATCH) || e->v[2] != -(int64_t)e->seq ||
               e->t_us != (int64_t)e->seq * 1000000) {
        (void)snprintf(v->why, sizeof(v->why), "seq %" PRIu64 ": wrong content", e->seq);
    }
    v->next = e->seq + 1u;
    v->count++;
    return v->why[0] == '\0';
}

/** Read every complete report in the pipe; return the newest (0 if none). */
static uint64_t
t_drain(int fd)
{
    uint64_t buf[512];
    uint64_t newest = 0;
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        size_t whole = (size_t)n / sizeof(buf[0]);
        if (whole > 0u) {
            newest = buf[whole - 1u];
        }
        /* reports are 8-byte writes, atomic on a pipe: no partial value at the end */
    }
    return newest;
}

/** Reopen, check integrity and content; return the newest seq. */
static uint64_t
t_check(unsigned round, uint64_t reported, uint64_t prev_last)
{
    struct mtr_hist_query q = {.log = T_LOG, .seq_from = 1, .seq_to = 0};
    struct mtrd_hist *h = NULL;
    struct t_verify v;
    char err[T_ERR_CAP] = "";
    uint64_t last;

    if (mtrd_hist_open(g_path, NULL, &h, err, sizeof(err)) != MTR_OK) {
        fail_msg("round %u: reopen: %s", round, err);
    }
    if (mtrd_hist_check(h, err, sizeof(err)) != MTR_OK) {
        mtrd_hist_close(h);
        fail_msg("round %u: %s", round, err);
    }
    memset(&v, 0, sizeof(v));
    if (mtrd_hist_ops(h)->get(h, &q, t_visit, &v) != MTR_OK) {
        mtrd_hist_close(h);
        fail_msg("round %u: get failed", round);
    }
    mtrd_hist_close(h);
    if (v.why[0] != '\0') {
        fail_msg("round %u: %s", round, v.why);
    }
    last = (v.count > 0u) ? v.next - 1u : 0u;
    if (v.count > 0u && ((v.first - 1u) % T_BATCH != 0u || last % T_BATCH != 0u)) {
        fail_msg("round %u: torn batch: entries %" PRIu64 "..%" PRIu64, round, v.first, last);
    }
    if (v.count > T_DEPTH || (last >= T_DEPTH && v.count != T_DEPTH)) {
        fail_msg("round %u: %" PRIu64 " entries up to %" PRIu64 ", depth %u", round, v.count, last,
                 T_DEPTH);
    }
    if (last < reported || last < prev_last) {
        fail_msg("round %u: newest entry %" PRIu64 ", but %" PRIu64 " was committed", round, last,
                 (reported > prev_last) ? reported : prev_last);
    }
    return last;
}

static void
test_kill_rounds(void **state)
{
    uint64_t last = 0;
    unsigned kills_mid_run = 0;
    unsigned r;

    (void)state;
    srand(g_seed);
    for (r = 0; r < g_rounds; r++) {
        int fds[2];
        int status = 0;
        uint64_t reported;
        pid_t pid;
        struct timespec ts;
        long us = (long)((unsigned)rand() % T_KILL_MAX_US);

        assert_int_equal(pipe(fds), 0);
        assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
        assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            (void)close(fds[0]);
            child_run(fds[1]);
        }
        (void)close(fds[1]);
        ts.tv_sec = us / 1000000;
        ts.tv_nsec = (us % 1000000) * 1000;
        (void)nanosleep(&ts, NULL); /* an early wake-up only moves the kill */
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
            fail_msg("round %u: the child exited by itself (status 0x%x)", r, (unsigned)status);
        }
        reported = t_drain(fds[0]);
        (void)close(fds[0]);
        if (reported > last) {
            kills_mid_run++;
        }
        last = t_check(r, reported, last);
    }
    print_message("%u kills, %u while writing; newest entry %" PRIu64 "\n", g_rounds, kills_mid_run,
                  last);
    /* The kills must really have landed in the middle of writing. */
    assert_true(kills_mid_run >= g_rounds / 2u);
}

static int
t_setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    if (g_dir[0] == '\0') {
        (void)snprintf(g_dir, sizeof(g_dir), "%s/mtr_hist_crash_XXXXXX",
                       (base != NULL) ? base : "/tmp");
        if (mkdtemp(g_dir) == NULL) {
            return -1;
        }
    }
    (void)snprintf(g_path, sizeof(g_path), "%s/%s", g_dir, MTRD_HIST_FILE_NAME);
    return 0;
}

static int
t_teardown(void **state)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[400];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s%s", g_path, sfx[i]);
        (void)unlink(p); /* may not exist */
    }
    (void)rmdir(g_dir); /* fails harmlessly for a --dir that holds other files */
    return 0;
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_rounds, t_setup, t_teardown),
    };
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rounds") == 0) {
            g_rounds = (unsigned)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--seed") == 0) {
            g_seed = (unsigned)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--dir") == 0) {
            (void)snprintf(g_dir, sizeof(g_dir), "%s", argv[i + 1]);
        } else {
            (void)fprintf(stderr, "usage: %s [--rounds N] [--seed S] [--dir D]\n", argv[0]);
            return 2;
        }
    }
    if (i < argc) {
        (void)fprintf(stderr, "usage: %s [--rounds N] [--seed S] [--dir D]\n", argv[0]);
        return 2;
    }
    return cmocka_run_group_tests_name("hist_crash", tests, NULL, NULL);
}
