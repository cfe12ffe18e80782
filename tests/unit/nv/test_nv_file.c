/*
 * Unit tests of the Linux NV backend (memory-mapped file) and the register-set record.
 *
 * Each test works in its own temporary directory. Expected payload bytes follow the layout in
 * docs/nv-format.md, with IEEE-754 binary64 patterns of exactly representable values
 * (0.5 = 0x3FE0000000000000, 0.25 = 0x3FD0000000000000). The kill test forks a child that
 * commits as fast as it can and reports each committed sequence number through a pipe; the
 * parent kills it with SIGKILL at a random instant, then reopens: the record must be intact and
 * at least as new as the last one the child reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "meterd/nv.h"
#include "meterd/reg.h"
#include "nv/nv_file.h"
#include "nv/reg_store.h"

/* SIGKILL instants (>= 50 as required) and the longest random delay before each, microseconds. */
#define T_KILL_ROUNDS 60u
#define T_KILL_MAX_US 4000u
#define T_MSG_CAP     1024u
#define T_REGION      (2u * (MTRD_REG_STORE_PAYLOAD_CAP + MTR_NV_OVERHEAD))
#define T_SLOT        (MTRD_REG_STORE_PAYLOAD_CAP + MTR_NV_OVERHEAD)

struct t_dir {
    char dir[256];
    char path[300];
    char tmp[310];
    char bad[310];
};

static int
dir_setup(void **state)
{
    struct t_dir *d = calloc(1, sizeof(*d));
    const char *base = getenv("TMPDIR");

    if (d == NULL) {
        return -1;
    }
    (void)snprintf(d->dir, sizeof(d->dir), "%s/mtr_nv_XXXXXX", (base != NULL) ? base : "/tmp");
    if (mkdtemp(d->dir) == NULL) {
        free(d);
        return -1;
    }
    (void)snprintf(d->path, sizeof(d->path), "%s/reg.nv", d->dir);
    (void)snprintf(d->tmp, sizeof(d->tmp), "%s.tmp", d->path);
    (void)snprintf(d->bad, sizeof(d->bad), "%s.bad", d->path);
    *state = d;
    return 0;
}

static int
dir_teardown(void **state)
{
    struct t_dir *d = *state;

    (void)unlink(d->path);
    (void)unlink(d->tmp);
    (void)unlink(d->bad);
    (void)rmdir(d->dir);
    free(d);
    return 0;
}

static off_t
file_size(const char *path)
{
    struct stat st;
    return (stat(path, &st) == 0) ? st.st_size : -1;
}

static bool
file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* The register set of frame f: every register different, all fields derived from f. */
static void
pattern(struct mtr_reg_set *s, uint64_t f)
{
    memset(s, 0, sizeof(*s));
    for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
            s->e_u[c][k] = (int64_t)(f * (c * MTR_REG_KIND_COUNT + k + 1u));
            s->rem_u[c][k] = (double)((f * (c + k + 1u)) % 1000u) / 1000.0; /* 0 at f = 0 */
        }
    }
    s->frame_count = f;
    s->t_us = f * 200000u;
}

static bool
is_pattern(const struct mtr_reg_set *s)
{
    struct mtr_reg_set want;

    pattern(&want, s->frame_count);
    return memcmp(want.e_u, s->e_u, sizeof(want.e_u)) == 0 &&
           memcmp(want.rem_u, s->rem_u, sizeof(want.rem_u)) == 0 && want.t_us == s->t_us;
}

static void
open_ok(struct t_dir *d, struct mtrd_reg_store *st, struct mtr_reg_set *regs, char *msg)
{
    enum mtr_err e = mtrd_reg_store_open(d->path, st, regs, msg, T_MSG_CAP);
    if (e != MTR_OK) {
        fail_msg("open %s: %d: %s", d->path, e, msg);
    }
}

static void
close_ok(struct mtrd_reg_store *st)
{
    assert_int_equal(mtrd_reg_store_close(st), MTR_OK);
}

static void
expect_msg(const char *msg, const char *part)
{
    if (strstr(msg, part) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\"", msg, part);
    }
}

/* ---- register-set record ---- */

static void
test_encode_golden(void **state)
{
    struct mtr_reg_set s;
    struct mtr_reg_set back;
    uint8_t out[MTRD_REG_PAYLOAD_V1_LEN + 2];
    uint8_t want[MTRD_REG_PAYLOAD_V1_LEN];
    uint8_t again[MTRD_REG_PAYLOAD_V1_LEN];
    size_t n = 0;
    (void)state;
    memset(&s, 0, sizeof(s));
    s.e_u[MTR_REG_L1][MTR_REG_A_IMP] = 0x0102030405060708;
    s.e_u[MTR_REG_TOTAL][MTR_REG_A_ABS] = 1;
    s.rem_u[MTR_REG_L1][MTR_REG_A_IMP] = 0.5;
    s.rem_u[MTR_REG_TOTAL][MTR_REG_A_ABS] = 0.25;
    s.frame_count = 0x1122334455667788u;
    s.t_us = 200000u; /* 0x00030D40 */

    /* Expected image written out from docs/nv-format.md, byte by byte. */
    memset(want, 0, sizeof(want));
    want[0] = 4;  /* channels */
    want[1] = 11; /* kinds */
    for (unsigned i = 0; i < 8; i++) {
        want[4 + i] = (uint8_t)(0x88 - 0x11 * i); /* frame_count LE: 88 77 66 .. 11 */
        want[20 + i] = (uint8_t)(8 - i);          /* e_u[L1][+A] LE: 08 07 .. 01 */
    }
    want[12] = 0x40;
    want[13] = 0x0D;
    want[14] = 0x03;
    want[20 + 8 * 43] = 0x01; /* e_u[total][|A|]: cell 43 at byte 364 */
    want[372 + 6] = 0xE0;     /* rem 0.5 = 0x3FE0000000000000 */
    want[372 + 7] = 0x3F;
    want[372 + 8 * 43 + 6] = 0xD0; /* rem 0.25 = 0x3FD0000000000000 at byte 716 */
    want[372 + 8 * 43 + 7] = 0x3F;

    memset(out, 0xEE, sizeof(out));
    assert_int_equal(mtrd_reg_encode(&s, out, sizeof(out), &n), MTR_OK);
    assert_int_equal(n, MTRD_REG_PAYLOAD_V1_LEN);
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(out[MTRD_REG_PAYLOAD_V1_LEN], 0xEE); /* guard byte */

    /* Round trip: decode, compare, encode, identical bytes. */
    assert_int_equal(mtrd_reg_decode(1, out, n, &back, NULL, 0), MTR_OK);
    assert_memory_equal(back.e_u, s.e_u, sizeof(s.e_u));
    assert_memory_equal(back.rem_u, s.rem_u, sizeof(s.rem_u));
    assert_true(back.frame_count == s.frame_count && back.t_us == s.t_us);
    assert_int_equal(mtrd_reg_encode(&back, again, sizeof(again), &n), MTR_OK);
    assert_memory_equal(again, out, sizeof(again));

    /* Capacity - 1 and invalid sets. */
    assert_int_equal(mtrd_reg_encode(&s, out, MTRD_REG_PAYLOAD_V1_LEN - 1, &n), MTR_ENOSPC);
    s.e_u[1][2] = -1;
    assert_int_equal(mtrd_reg_encode(&s, out, sizeof(out), &n), MTR_EINVAL);
    s.e_u[1][2] = 0;
    s.rem_u[2][3] = 1.0;
    assert_int_equal(mtrd_reg_encode(&s, out, sizeof(out), &n), MTR_EINVAL);
}

static void
test_decode_rejects(void **state)
{
    static const struct {
        const char *name;
        size_t off;     /* byte to change, or SIZE_MAX for none */
        uint64_t value; /* for a 64-bit field when is_u64 */
        bool is_u64;
        size_t len; /* payload length given to the decoder */
        uint16_t version;
        enum mtr_err want;
        const char *msg; /* part of the message naming the byte */
    } rows[] = {
        {"intact",            SIZE_MAX,    0,                   false, 724, 1, MTR_OK,       ""         },
        {"negative register", 20 + 8 * 5,  0x8000000000000000u, true,  724, 1, MTR_ECORRUPT,
         "byte 60"                                                                                      },
        {"register -1",       20 + 8 * 43, UINT64_MAX,          true,  724, 1, MTR_ECORRUPT, "byte 364" },
        {"remainder 1.0",     372,         0x3FF0000000000000u, true,  724, 1, MTR_ECORRUPT, "byte 372" },
        {"remainder -0.5",    372 + 80,    0xBFE0000000000000u, true,  724, 1, MTR_ECORRUPT, "byte 452" },
        {"remainder NaN",     716,         0x7FF8000000000000u, true,  724, 1, MTR_ECORRUPT, "byte 716" },
        {"remainder +inf",    716,         0x7FF0000000000000u, true,  724, 1, MTR_ECORRUPT, "byte 716" },
        {"channel count 5",   0,           5,                   false, 724, 1, MTR_ECORRUPT, "byte 0"   },
        {"kind count 12",     1,           12,                  false, 724, 1, MTR_ECORRUPT, "byte 0"   },
        {"reserved set",      3,           1,                   false, 724, 1, MTR_ECORRUPT, "byte 2"   },
        {"one byte short",    SIZE_MAX,    0,                   false, 723, 1, MTR_ECORRUPT, "723 bytes"},
        {"one byte long",     SIZE_MAX,    0,                   false, 725, 1, MTR_ECORRUPT, "725 bytes"},
        {"newer layout",      SIZE_MAX,    0,                   false, 724, 2, MTR_EVERSION, "newer"    },
    };
    struct mtr_reg_set base;
    struct mtr_reg_set out;
    uint8_t img[MTRD_REG_PAYLOAD_V1_LEN + 1];
    char msg[256];
    size_t n;
    (void)state;
    pattern(&base, 7);
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        enum mtr_err got;
        memset(img, 0, sizeof(img));
        assert_int_equal(mtrd_reg_encode(&base, img, sizeof(img), &n), MTR_OK);
        if (rows[i].off != SIZE_MAX && rows[i].is_u64) {
            for (unsigned b = 0; b < 8; b++) {
                img[rows[i].off + b] = (uint8_t)(rows[i].value >> (8 * b));
            }
        } else if (rows[i].off != SIZE_MAX) {
            img[rows[i].off] = (uint8_t)rows[i].value;
        }
        memset(&out, 0x5A, sizeof(out));
        msg[0] = '\0';
        got = mtrd_reg_decode(rows[i].version, img, rows[i].len, &out, msg, sizeof(msg));
        if (got != rows[i].want || strstr(msg, rows[i].msg) == NULL) {
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", rows[i].name, got, msg, rows[i].want,
                     rows[i].msg);
        }
        if (got != MTR_OK) {
            /* Untouched on failure. */
            assert_int_equal(((const uint8_t *)&out)[0], 0x5A);
        } else {
            assert_true(is_pattern(&out));
        }
    }
}

/* ---- the file ---- */

static void
test_create_commit_reopen(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    open_ok(d, &st, &regs, msg);
    expect_msg(msg, "created a new register store");
    expect_msg(msg, "slot 0 valid seq 1, slot 1 empty");
    assert_int_equal(st.nv.seq, 1);
    assert_true(is_pattern(&regs) && regs.frame_count == 0);
    assert_int_equal(file_size(d->path), T_REGION);
    assert_false(file_exists(d->tmp));
    for (uint64_t f = 1; f <= 5; f++) {
        pattern(&regs, f);
        assert_int_equal(mtrd_reg_store_commit(&st, &regs), MTR_OK);
        assert_int_equal(st.nv.seq, f + 1);
    }
    close_ok(&st);

    memset(&regs, 0, sizeof(regs));
    open_ok(d, &st, &regs, msg);
    expect_msg(msg, "slot 0 valid seq 5, slot 1 valid seq 6");
    expect_msg(msg, "loaded seq 6");
    assert_int_equal(regs.frame_count, 5);
    assert_true(is_pattern(&regs));
    assert_false(st.is_new);
    assert_false(st.is_recovered);
    close_ok(&st);
}

static void
test_second_open_refused(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_reg_store a;
    struct mtrd_reg_store b;
    struct mtrd_nv_file f;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    open_ok(d, &a, &regs, msg);
    assert_int_equal(mtrd_reg_store_open(d->path, &b, &regs, msg, sizeof(msg)), MTR_EAGAIN);
    expect_msg(msg, d->path);
    expect_msg(msg, "in use by another meterd");
    assert_int_equal(mtrd_nv_file_open(d->path, T_REGION, &f, msg, sizeof(msg)), MTR_EAGAIN);
    expect_msg(msg, d->path);
    close_ok(&a);
    open_ok(d, &b, &regs, msg); /* lock released by close */
    close_ok(&b);
}

static void
test_flush_mode(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    open_ok(d, &st, &regs, msg);
    st.file.is_sync_each_commit = false;
    for (uint64_t f = 1; f <= 3; f++) {
        pattern(&regs, f);
        assert_int_equal(mtrd_reg_store_commit(&st, &regs), MTR_OK);
    }
    assert_true(st.file.dirty_lo != SIZE_MAX);
    assert_int_equal(mtrd_reg_store_flush(&st), MTR_OK);
    assert_true(st.file.dirty_lo == SIZE_MAX);
    pattern(&regs, 4);
    assert_int_equal(mtrd_reg_store_commit(&st, &regs), MTR_OK);
    close_ok(&st); /* flushes */
    open_ok(d, &st, &regs, msg);
    assert_int_equal(regs.frame_count, 4);
    close_ok(&st);
}

/* Store with frames 1..n committed (seq n + 1), closed. */
static void
make_store(struct t_dir *d, uint64_t n)
{
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    open_ok(d, &st, &regs, msg);
    for (uint64_t f = 1; f <= n; f++) {
        pattern(&regs, f);
        assert_int_equal(mtrd_reg_store_commit(&st, &regs), MTR_OK);
    }
    close_ok(&st);
}

static void
test_wrong_size(void **state)
{
    static const struct {
        const char *name;
        uint64_t frames; /* committed before the damage: newest seq = frames + 1 */
        off_t size;      /* file size after the damage */
        enum mtr_err want;
        uint64_t want_frames;
        const char *msg;
    } rows[] = {
  /* seq 3 (newest) in slot 0, seq 2 in slot 1; slot 1 loses its CRC. */
        {"cut in slot 1, newest in 0", 2, T_SLOT + 100,    MTR_OK,       2, "salvaged seq 3 from slot 0"},
 /* seq 4 (newest) in slot 1 is cut: the older slot 0 is what survives. */
        {"cut in slot 1, newest in 1", 3, T_SLOT + 100,    MTR_OK,       2, "salvaged seq 3 from slot 0"},
        {"only slot 0 left",           3, T_SLOT,          MTR_OK,       2, "slot 1 empty"              },
        {"cut inside slot 0's record", 3, 100,             MTR_ECORRUPT, 0, "no usable record"          },
        {"empty file",                 0, 0,               MTR_ECORRUPT, 0, "no usable record"          },
        {"longer file",                3, T_REGION + 4096, MTR_OK,       3, "another build"             },
    };
    struct t_dir *d = *state;
    struct mtrd_reg_store st;
    struct mtrd_nv_file f;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        enum mtr_err got;
        (void)unlink(d->path);
        (void)unlink(d->bad);
        make_store(d, rows[i].frames);
        assert_int_equal(truncate(d->path, rows[i].size), 0);
        /* The backend alone refuses it, names it and changes nothing. */
        assert_int_equal(mtrd_nv_file_open(d->path, T_REGION, &f, msg, sizeof(msg)), MTR_EPROTO);
        expect_msg(msg, d->path);
        expect_msg(msg, (rows[i].size < (off_t)T_REGION) ? "truncated" : "another build");
        assert_int_equal(file_size(d->path), rows[i].size);

        memset(&regs, 0, sizeof(regs));
        got = mtrd_reg_store_open(d->path, &st, &regs, msg, sizeof(msg));
        if (got != rows[i].want || strstr(msg, rows[i].msg) == NULL) {
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", rows[i].name, got, msg, rows[i].want,
                     rows[i].msg);
        }
        if (got == MTR_OK) {
            assert_true(st.is_recovered);
            assert_int_equal(regs.frame_count, rows[i].want_frames);
            assert_true(is_pattern(&regs));
            assert_int_equal(file_size(d->path), T_REGION);
            assert_int_equal(file_size(d->bad), rows[i].size);
            close_ok(&st);
            open_ok(d, &st, &regs, msg); /* and it is a normal file now */
            assert_int_equal(regs.frame_count, rows[i].want_frames);
            close_ok(&st);
        } else {
            assert_int_equal(file_size(d->path), rows[i].size); /* left unchanged */
            assert_false(file_exists(d->bad));
        }
    }
}

static void
patch_file(const char *path, off_t off, uint8_t xor_mask)
{
    int fd = open(path, O_RDWR);
    uint8_t b;

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &b, 1, off), 1);
    b ^= xor_mask;
    assert_int_equal(pwrite(fd, &b, 1, off), 1);
    assert_int_equal(close(fd), 0);
}

static void
test_corrupt_file(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    make_store(d, 3); /* seq 3 in slot 0, seq 4 in slot 1 */
    patch_file(d->path, T_SLOT + 100, 0x10);
    open_ok(d, &st, &regs, msg);
    expect_msg(msg, "slot 0 valid seq 3, slot 1 bad CRC");
    assert_int_equal(regs.frame_count, 2);
    close_ok(&st);

    patch_file(d->path, 30, 0x01);
    assert_int_equal(mtrd_reg_store_open(d->path, &st, &regs, msg, sizeof(msg)), MTR_ECORRUPT);
    expect_msg(msg, "slot 0 bad CRC, slot 1 bad CRC");
    expect_msg(msg, "refusing to start the registers at 0");
    assert_int_equal(file_size(d->path), T_REGION);
}

/* A record that passes the CRC but decodes to a negative register. */
static void
test_semantic_corruption(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_nv_file f;
    struct mtr_nv nv;
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    uint8_t p[MTRD_REG_PAYLOAD_V1_LEN];
    uint32_t len;
    uint16_t ver;
    size_t n;
    char msg[T_MSG_CAP];

    make_store(d, 0);
    assert_int_equal(mtrd_nv_file_open(d->path, T_REGION, &f, msg, sizeof(msg)), MTR_OK);
    assert_int_equal(
        mtr_nv_init(&nv, &f.ops, &f, MTRD_REG_STORE_MAGIC, 1, MTRD_REG_STORE_PAYLOAD_CAP), MTR_OK);
    assert_int_equal(mtr_nv_load(&nv, p, &len, &ver, NULL), MTR_OK);
    pattern(&regs, 9);
    assert_int_equal(mtrd_reg_encode(&regs, p, sizeof(p), &n), MTR_OK);
    p[20 + 8 * 2 + 7] = 0xFF; /* e_u[L1][+R] negative */
    assert_int_equal(mtr_nv_commit(&nv, p, (uint32_t)n), MTR_OK);
    assert_int_equal(mtrd_nv_file_close(&f), MTR_OK);
    assert_int_equal(mtrd_reg_store_open(d->path, &st, &regs, msg, sizeof(msg)), MTR_ECORRUPT);
    expect_msg(msg, "byte 36");
}

static void
test_zero_file_and_newer(void **state)
{
    struct t_dir *d = *state;
    struct mtrd_nv_file f;
    struct mtr_nv nv;
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    uint8_t p[16] = {1};
    uint32_t len;
    uint16_t ver;
    char msg[T_MSG_CAP];

    /* A zero-filled file of the right size (e.g. made by the backend alone): a new store. */
    assert_int_equal(mtrd_nv_file_open(d->path, T_REGION, &f, msg, sizeof(msg)), MTR_OK);
    assert_int_equal(mtrd_nv_file_close(&f), MTR_OK);
    open_ok(d, &st, &regs, msg);
    assert_true(st.is_new);
    expect_msg(msg, "both slots empty");
    close_ok(&st);

    /* A record of layout 2, from a newer build. */
    assert_int_equal(mtrd_nv_file_open(d->path, T_REGION, &f, msg, sizeof(msg)), MTR_OK);
    assert_int_equal(
        mtr_nv_init(&nv, &f.ops, &f, MTRD_REG_STORE_MAGIC, 2, MTRD_REG_STORE_PAYLOAD_CAP), MTR_OK);
    assert_int_equal(mtr_nv_load(&nv, p, &len, &ver, NULL), MTR_ENOENT);
    assert_int_equal(mtr_nv_commit(&nv, p, sizeof(p)), MTR_OK);
    assert_int_equal(mtrd_nv_file_close(&f), MTR_OK);
    assert_int_equal(mtrd_reg_store_open(d->path, &st, &regs, msg, sizeof(msg)), MTR_EVERSION);
    expect_msg(msg, "newer build");
}

/* ---- images written by an independent implementation (tests/unit/nv/gen_nv_seeds.py) ---- */

static uint8_t t_image[T_REGION];

static enum mtr_err
t_ram_read(void *ctx, size_t off, void *buf, size_t len)
{
    (void)ctx;
    if (off > T_REGION || len > T_REGION - off) {
        return MTR_EIO;
    }
    memcpy(buf, t_image + off, len);
    return MTR_OK;
}

static enum mtr_err
t_ram_write(void *ctx, size_t off, const void *buf, size_t len)
{
    (void)ctx;
    if (off > T_REGION || len > T_REGION - off) {
        return MTR_EIO;
    }
    memcpy(t_image + off, buf, len);
    return MTR_OK;
}

static enum mtr_err
t_ram_sync(void *ctx, size_t off, size_t len)
{
    (void)ctx;
    (void)off;
    (void)len;
    return MTR_OK;
}

static const struct mtr_nv_ops t_ram_ops = {
    .read = t_ram_read, .write = t_ram_write, .sync = t_ram_sync};

static void
test_python_images(void **state)
{
    static const struct {
        const char *name;
        enum mtr_err want_nv; /* mtr_nv_load() */
        uint64_t want_seq;
        enum mtr_err want_reg; /* mtrd_reg_decode() when loaded */
        uint64_t want_frames;
    } rows[] = {
        {"both_valid",        MTR_OK,       6,          MTR_OK,       5},
        {"newest_in_slot0",   MTR_OK,       9,          MTR_OK,       8},
        {"slot0_only",        MTR_OK,       1,          MTR_OK,       0},
        {"slot1_only_ff",     MTR_OK,       3,          MTR_OK,       2},
        {"newest_bad_crc",    MTR_OK,       5,          MTR_OK,       4},
        {"truncated",         MTR_OK,       5,          MTR_OK,       4},
        {"seq_max",           MTR_OK,       UINT64_MAX, MTR_OK,       1},
        {"old_layout_small",  MTR_OK,       2,          MTR_ECORRUPT, 0},
        {"negative_register", MTR_OK,       7,          MTR_ECORRUPT, 0},
        {"both_bad_crc",      MTR_ECORRUPT, 0,          MTR_OK,       0},
        {"bad_reserved",      MTR_ECORRUPT, 0,          MTR_OK,       0},
        {"empty_00",          MTR_ENOENT,   0,          MTR_OK,       0},
        {"empty_ff",          MTR_ENOENT,   0,          MTR_OK,       0},
        {"newer_version",     MTR_EVERSION, 0,          MTR_OK,       0},
    };
    uint8_t payload[MTRD_REG_STORE_PAYLOAD_CAP];
    struct mtr_reg_set regs;
    struct mtr_nv nv;
    char path[512];
    char msg[T_MSG_CAP];
    (void)state;
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        size_t file_len = 0;
        uint32_t len = 0;
        uint16_t ver = 0;
        enum mtr_err got;
        (void)snprintf(path, sizeof(path), "%s/%s", MTR_NV_CORPUS_DIR, rows[i].name);
        if (mtrd_nv_file_read_image(path, t_image, sizeof(t_image), &file_len, msg, sizeof(msg)) !=
            MTR_OK) {
            fail_msg("%s: %s", rows[i].name, msg);
        }
        assert_int_equal(
            mtr_nv_init(&nv, &t_ram_ops, NULL, MTRD_REG_STORE_MAGIC, 1, MTRD_REG_STORE_PAYLOAD_CAP),
            MTR_OK);
        got = mtr_nv_load(&nv, payload, &len, &ver, NULL);
        if (got != rows[i].want_nv || (got == MTR_OK && nv.seq != rows[i].want_seq)) {
            fail_msg("%s: load %d seq %llu, want %d seq %llu", rows[i].name, got,
                     (unsigned long long)nv.seq, rows[i].want_nv,
                     (unsigned long long)rows[i].want_seq);
        }
        if (got != MTR_OK) {
            continue;
        }
        got = mtrd_reg_decode(ver, payload, len, &regs, msg, sizeof(msg));
        if (got != rows[i].want_reg) {
            fail_msg("%s: decode %d (%s), want %d", rows[i].name, got, msg, rows[i].want_reg);
        }
        if (got == MTR_OK) {
            assert_int_equal(regs.frame_count, rows[i].want_frames);
            assert_true(is_pattern(&regs));
        }
        if (nv.seq == UINT64_MAX) {
            /* The sequence number would wrap: refused, nothing written. */
            assert_int_equal(mtr_nv_commit(&nv, payload, len), MTR_ERANGE);
        }
    }
}

/* ---- kill -9 at random instants ---- */

static void
child_commit_loop(const char *path, int out_fd, bool is_sync_each)
{
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    if (mtrd_reg_store_open(path, &st, &regs, msg, sizeof(msg)) != MTR_OK) {
        _exit(2);
    }
    st.file.is_sync_each_commit = is_sync_each;
    for (;;) {
        uint64_t seq;
        pattern(&regs, regs.frame_count + 1u);
        if (mtrd_reg_store_commit(&st, &regs) != MTR_OK) {
            _exit(3);
        }
        seq = st.nv.seq;
        if (write(out_fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq)) {
            _exit(4);
        }
    }
}

/* Sequence numbers arriving on the pipe: 8-byte host-order values, split anywhere by read(). */
struct seq_reader {
    uint8_t part[8];
    size_t part_len;
    uint64_t last; /* last complete value; 0 before the first */
};

/* Read every complete sequence number available on fd within timeout_ms. */
static void
drain(int fd, struct seq_reader *r, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    uint8_t buf[4096];

    while (poll(&pfd, 1, timeout_ms) > 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            r->part[r->part_len++] = buf[i];
            if (r->part_len == sizeof(r->part)) {
                memcpy(&r->last, r->part, sizeof(r->last));
                r->part_len = 0;
            }
        }
        timeout_ms = 0;
    }
}

static uint64_t
now_us(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
test_kill9_at_random_instants(void **state)
{
    struct t_dir *d = *state;
    uint64_t rng = 0x243F6A8885A308D3u; /* fixed seed: reproducible delays */
    uint64_t prev_loaded = 0;
    struct mtrd_reg_store st;
    struct mtr_reg_set regs;
    char msg[T_MSG_CAP];

    make_store(d, 0);
    for (unsigned round = 0; round < T_KILL_ROUNDS; round++) {
        int p[2];
        pid_t pid;
        struct seq_reader rd = {.part_len = 0, .last = 0};
        uint64_t until;
        int status = 0;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            (void)close(p[0]);
            child_commit_loop(d->path, p[1], (round % 2u) == 0);
        }
        (void)close(p[1]);
        /* Wait for the first report (the child holds the file), then a random delay. */
        drain(p[0], &rd, 5000);
        assert_true(rd.last > 0);
        until = now_us() + rng % T_KILL_MAX_US;
        while (now_us() < until) {
            drain(p[0], &rd, 0);
        }
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        drain(p[0], &rd, 100); /* reports written before the kill */
        (void)close(p[0]);

        open_ok(d, &st, &regs, msg);
        if (st.nv.seq < rd.last || st.nv.seq < prev_loaded) {
            fail_msg("round %u: loaded seq %llu, child reported %llu, previous load %llu", round,
                     (unsigned long long)st.nv.seq, (unsigned long long)rd.last,
                     (unsigned long long)prev_loaded);
        }
        /* Intact: every field matches the frame it claims, and frame f was seq f + 1. */
        assert_true(is_pattern(&regs));
        assert_int_equal(regs.frame_count + 1u, st.nv.seq);
        prev_loaded = st.nv.seq;
        close_ok(&st);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_golden),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_python_images),
        cmocka_unit_test_setup_teardown(test_create_commit_reopen, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_second_open_refused, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_flush_mode, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_size, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_semantic_corruption, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_zero_file_and_newer, dir_setup, dir_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_at_random_instants, dir_setup, dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
