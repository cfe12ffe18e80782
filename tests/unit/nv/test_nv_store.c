/*
 * Unit tests of the portable NV record store (src/core/nv) over the fake region that cuts power.
 *
 * Expected values come from outside this code: the CRC-32 check values of the CRC catalogue
 * (Greg Cook, "CRC-32/ISO-HDLC": check 0xCBF43926) and zlib; the golden record image was built
 * with Python's struct.pack('<IHHIQ') and zlib.crc32 following docs/nv-format.md. The power-cut
 * tests assert the store's one promise: after a cut at any byte of a commit, a reload returns
 * the previous record or the new one, intact, and sequence numbers never go backwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterd/nv.h"
#include "nv_fake.h"

#define T_MAGIC         0x4E565431u /* bytes "1TVN" */
#define T_VERSION       2u
#define T_CAP           40u
#define T_REGION        (2u * (T_CAP + MTR_NV_OVERHEAD))
#define T_SLOT          (T_CAP + MTR_NV_OVERHEAD)
#define T_OFF_SEQ       12u
/* Random power-cut trials (fixed seed; each is a few commits on a 128-byte region). */
#define T_RANDOM_TRIALS 3000u

/* ---- helpers ---- */

static void
fake_setup(struct nv_fake *f, uint8_t *mem, uint8_t fill, uint64_t seed)
{
    nv_fake_init(f, mem, T_REGION, fill, seed);
}

static enum mtr_err
open_nv(struct mtr_nv *nv, struct nv_fake *f, uint16_t version)
{
    return mtr_nv_init(nv, &nv_fake_ops, f, T_MAGIC, version, T_CAP);
}

/* Result of a reload: code, payload, seq. */
struct loaded {
    enum mtr_err err;
    uint8_t payload[T_CAP];
    uint32_t len;
    uint16_t version;
    uint64_t seq;
    enum mtr_nv_slot_state st[2];
};

static void
reload(struct nv_fake *f, uint16_t version, struct mtr_nv *nv, struct loaded *out)
{
    memset(out, 0xA5, sizeof(*out));
    assert_int_equal(open_nv(nv, f, version), MTR_OK);
    out->err = mtr_nv_load(nv, out->payload, &out->len, &out->version, out->st);
    out->seq = nv->seq;
}

/* Fill a payload with a pattern that depends on its sequence number and length. */
static void
make_payload(uint8_t *p, uint32_t len, uint64_t tag)
{
    for (uint32_t i = 0; i < len; i++) {
        p[i] = (uint8_t)((tag * 131u + i * 7u + 1u) & 0xFFu);
    }
}

static uint64_t
slot_seq(const uint8_t *mem, unsigned slot)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8u; i++) {
        v |= (uint64_t)mem[slot * T_SLOT + T_OFF_SEQ + i] << (8u * i);
    }
    return v;
}

static void
commit_ok(struct mtr_nv *nv, const uint8_t *p, uint32_t len)
{
    assert_int_equal(mtr_nv_commit(nv, p, len), MTR_OK);
}

/* ---- CRC-32 ---- */

static void
test_crc32_vectors(void **state)
{
    static const struct {
        const char *name;
        const char *data;
        uint32_t want;
    } rows[] = {
        {"catalogue check value", "123456789",                                   0xCBF43926u},
        {"empty",                 "",                                            0x00000000u},
        {"one byte",              "a",                                           0xE8B7BE43u},
        {"quick brown fox",       "The quick brown fox jumps over the lazy dog", 0x414FA339u},
    };
    (void)state;
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        uint32_t got = mtr_nv_crc32(0, rows[i].data, strlen(rows[i].data));
        if (got != rows[i].want) {
            fail_msg("%s: got 0x%08X, want 0x%08X", rows[i].name, got, rows[i].want);
        }
    }
    /* Running value: two pieces give the CRC of the whole. */
    assert_int_equal(mtr_nv_crc32(mtr_nv_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

/* ---- geometry and arguments ---- */

static void
test_region_len_and_init_args(void **state)
{
    static const struct {
        const char *name;
        uint32_t magic;
        uint16_t version;
        uint32_t cap;
        enum mtr_err want;
    } rows[] = {
        {"ok",              T_MAGIC,     1,      1,                      MTR_OK    },
        {"max cap",         T_MAGIC,     0xFFFE, MTR_NV_MAX_PAYLOAD,     MTR_OK    },
        {"magic 0",         0,           1,      T_CAP,                  MTR_EINVAL},
        {"magic erased",    0xFFFFFFFFu, 1,      T_CAP,                  MTR_EINVAL},
        {"version 0",       T_MAGIC,     0,      T_CAP,                  MTR_EINVAL},
        {"version FFFF",    T_MAGIC,     0xFFFF, T_CAP,                  MTR_EINVAL},
        {"cap 0",           T_MAGIC,     1,      0,                      MTR_EINVAL},
        {"cap above limit", T_MAGIC,     1,      MTR_NV_MAX_PAYLOAD + 1, MTR_EINVAL},
    };
    struct mtr_nv nv;
    struct nv_fake f;
    uint8_t mem[T_REGION];
    (void)state;
    assert_int_equal(mtr_nv_region_len(1), 50u);
    assert_int_equal(mtr_nv_region_len(100), 248u);
    fake_setup(&f, mem, 0, 1);
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        enum mtr_err got =
            mtr_nv_init(&nv, &nv_fake_ops, &f, rows[i].magic, rows[i].version, rows[i].cap);
        if (got != rows[i].want) {
            fail_msg("%s: got %d, want %d", rows[i].name, got, rows[i].want);
        }
    }
    assert_int_equal(mtr_nv_init(NULL, &nv_fake_ops, &f, T_MAGIC, 1, T_CAP), MTR_EINVAL);
    assert_int_equal(mtr_nv_init(&nv, NULL, &f, T_MAGIC, 1, T_CAP), MTR_EINVAL);
}

static void
test_commit_args(void **state)
{
    struct mtr_nv nv;
    struct nv_fake f;
    uint8_t mem[T_REGION];
    uint8_t p[T_CAP + 1] = {0};
    uint32_t len;
    uint16_t ver;
    (void)state;
    fake_setup(&f, mem, 0, 1);
    assert_int_equal(open_nv(&nv, &f, T_VERSION), MTR_OK);
    /* Before a load the newest record is unknown: committing could overwrite it. */
    assert_int_equal(mtr_nv_commit(&nv, p, 4), MTR_EINVAL);
    assert_int_equal(mtr_nv_load(&nv, p, &len, &ver, NULL), MTR_ENOENT);
    assert_int_equal(mtr_nv_commit(&nv, p, 0), MTR_EINVAL);
    assert_int_equal(mtr_nv_commit(&nv, p, T_CAP + 1), MTR_EINVAL);
    assert_int_equal(mtr_nv_commit(&nv, NULL, 4), MTR_EINVAL);
    assert_int_equal(mtr_nv_commit(NULL, p, 4), MTR_EINVAL);
    assert_int_equal(mtr_nv_load(&nv, NULL, &len, &ver, NULL), MTR_EINVAL);
    assert_int_equal(f.write_calls, 0);
    /* Capacity exactly: accepted. */
    commit_ok(&nv, p, T_CAP);
}

/* ---- golden image ---- */

/* Record magic "1TVN", version 1, length 5, seq 1, payload "hello"; CRC by Python zlib.crc32. */
static const uint8_t golden_record[] = {
    0x31, 0x54, 0x56, 0x4E, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0xA9, 0xB9, 0x92, 0x3A,
};

static void
test_golden_image(void **state)
{
    struct mtr_nv nv;
    struct nv_fake f;
    uint8_t mem[T_REGION];
    struct loaded l;
    (void)state;
    /* Writing "hello" to an empty store gives exactly the golden bytes in slot 0. */
    fake_setup(&f, mem, 0, 1);
    reload(&f, 1, &nv, &l);
    assert_int_equal(l.err, MTR_ENOENT);
    commit_ok(&nv, (const uint8_t *)"hello", 5);
    assert_memory_equal(mem, golden_record, sizeof(golden_record));
    for (size_t i = sizeof(golden_record); i < T_REGION; i++) {
        if (mem[i] != 0) {
            fail_msg("byte %zu written outside the record", i);
        }
    }
    /* And the golden bytes, placed in slot 1 of an erased (0xFF) region, load. */
    fake_setup(&f, mem, 0xFF, 1);
    memcpy(mem + T_SLOT, golden_record, sizeof(golden_record));
    reload(&f, 1, &nv, &l);
    assert_int_equal(l.err, MTR_OK);
    assert_int_equal(l.len, 5);
    assert_int_equal(l.version, 1);
    assert_int_equal(l.seq, 1);
    assert_int_equal(nv.newest, 1);
    assert_memory_equal(l.payload, "hello", 5);
    assert_int_equal(l.st[0], MTR_NV_SLOT_EMPTY);
    assert_int_equal(l.st[1], MTR_NV_SLOT_VALID);
}

/* ---- round trip, alternation, sync ---- */

static void
test_round_trip_and_alternate(void **state)
{
    struct mtr_nv nv;
    struct nv_fake f;
    uint8_t mem[T_REGION];
    uint8_t p[T_CAP];
    struct loaded l;
    (void)state;
    fake_setup(&f, mem, 0xFF, 7);
    reload(&f, T_VERSION, &nv, &l);
    assert_int_equal(l.err, MTR_ENOENT);
    for (uint64_t seq = 1; seq <= 6; seq++) {
        uint32_t len = (uint32_t)(1u + (seq * 13u) % T_CAP); /* lengths vary, shrink and grow */
        unsigned want_slot = (unsigned)((seq - 1u) % 2u);
        unsigned syncs = f.sync_calls;
        make_payload(p, len, seq);
        commit_ok(&nv, p, len);
        assert_int_equal(nv.seq, seq);
        assert_int_equal(nv.newest, want_slot);
        assert_int_equal(slot_seq(mem, want_slot), seq);
        if (seq > 1) {
            assert_int_equal(slot_seq(mem, 1u - want_slot), seq - 1u); /* the older kept */
        }
        /* One sync covering exactly the record written. */
        assert_int_equal(f.sync_calls, syncs + 1u);
        assert_int_equal(f.last_sync_off, want_slot * T_SLOT);
        assert_int_equal(f.last_sync_len, len + MTR_NV_OVERHEAD);
        assert_false(f.is_unsynced_write);
        reload(&f, T_VERSION, &nv, &l);
        assert_int_equal(l.err, MTR_OK);
        assert_int_equal(l.seq, seq);
        assert_int_equal(l.len, len);
        assert_int_equal(l.version, T_VERSION);
        assert_memory_equal(l.payload, p, len);
        assert_int_equal(l.st[0], MTR_NV_SLOT_VALID);
        assert_int_equal(l.st[1], (seq == 1) ? MTR_NV_SLOT_EMPTY : MTR_NV_SLOT_VALID);
    }
}

/* ---- power cuts ---- */

/*
 * Check a reload after a cut: the previous record (prev, seq prev_seq) or the new one (next,
 * seq prev_seq + 1), intact. prev_len 0 means there was no previous record.
 */
static void
check_after_cut(const char *what,
                size_t k,
                struct nv_fake *f,
                const uint8_t *prev,
                uint32_t prev_len,
                uint64_t prev_seq,
                const uint8_t *next,
                uint32_t next_len)
{
    struct mtr_nv nv;
    struct loaded l;
    bool is_prev;
    bool is_next;

    nv_fake_power_on(f);
    reload(f, T_VERSION, &nv, &l);
    if (prev_len == 0 && (l.err == MTR_ENOENT || l.err == MTR_ECORRUPT)) {
        return; /* first commit of a blank region cut: no record before, none after */
    }
    if (l.err != MTR_OK) {
        fail_msg("%s, cut after %zu bytes: load returned %d", what, k, l.err);
    }
    is_prev = prev_len != 0 && l.seq == prev_seq && l.len == prev_len &&
              memcmp(l.payload, prev, prev_len) == 0;
    is_next = l.seq == prev_seq + 1u && l.len == next_len && memcmp(l.payload, next, next_len) == 0;
    if (!is_prev && !is_next) {
        fail_msg("%s, cut after %zu bytes: loaded seq %llu len %u is neither record", what, k,
                 (unsigned long long)l.seq, l.len);
    }
}

/* Cut the power after every k of one commit, with the record stores in one of three states. */
static void
cut_every_byte(const char *what, unsigned prior_commits, bool is_tear_random, uint8_t fill)
{
    uint8_t base[T_REGION];
    uint8_t mem[T_REGION];
    uint8_t prev[T_CAP];
    uint8_t next[T_CAP];
    uint32_t prev_len = 0;
    uint32_t next_len = 17;
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;

    fake_setup(&f, base, fill, 99);
    reload(&f, T_VERSION, &nv, &l);
    for (unsigned i = 1; i <= prior_commits; i++) {
        prev_len = (i % 2u) ? T_CAP : 9u; /* the record overwritten is longer or shorter */
        make_payload(prev, prev_len, i);
        commit_ok(&nv, prev, prev_len);
    }
    make_payload(next, next_len, 1000);
    for (size_t k = 0; k <= next_len + MTR_NV_OVERHEAD + 2u; k++) {
        memcpy(mem, base, sizeof(mem));
        nv_fake_init(&f, mem, T_REGION, fill, 1234 + k);
        memcpy(mem, base, sizeof(mem));
        f.is_tear_random = is_tear_random;
        reload(&f, T_VERSION, &nv, &l);
        assert_int_equal(l.seq, prior_commits);
        nv_fake_cut_after(&f, k);
        if (mtr_nv_commit(&nv, next, next_len) != MTR_OK) {
            fail_msg("%s: commit failed at k=%zu", what, k);
        }
        check_after_cut(what, k, &f, prev, prev_len, prior_commits, next, next_len);
        if (k >= next_len + MTR_NV_OVERHEAD) {
            /* Every byte reached the memory: the new record must be there. */
            reload(&f, T_VERSION, &nv, &l);
            assert_int_equal(l.seq, prior_commits + 1u);
        }
    }
}

static void
test_power_cut_every_byte(void **state)
{
    static const struct {
        const char *name;
        unsigned prior;
        bool is_tear;
        uint8_t fill;
    } rows[] = {
        {"first commit, zero-filled",    0, false, 0x00},
        {"first commit, erased 0xFF",    0, true,  0xFF},
        {"one record, clean cut",        1, false, 0x00},
        {"one record, torn byte",        1, true,  0x00},
        {"two records, clean cut",       2, false, 0xFF},
        {"two records, torn byte",       2, true,  0xFF},
        {"five records, torn byte",      5, true,  0x00},
        {"six records, clean cut, 0xFF", 6, false, 0xFF},
    };
    (void)state;
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        cut_every_byte(rows[i].name, rows[i].prior, rows[i].is_tear, rows[i].fill);
    }
}

/*
 * Random commit streams with a cut at a random byte: after every cut the store reloads the
 * last completed record or the interrupted one, and the next commits continue the sequence.
 */
static void
test_power_cut_random(void **state)
{
    uint8_t mem[T_REGION];
    uint8_t last[T_CAP];
    uint8_t next[T_CAP];
    uint32_t last_len = 0;
    uint64_t last_seq = 0;
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;
    (void)state;
    fake_setup(&f, mem, 0x00, 2024);
    reload(&f, T_VERSION, &nv, &l);
    for (unsigned trial = 0; trial < T_RANDOM_TRIALS; trial++) {
        uint32_t next_len = (uint32_t)(1u + nv_fake_rand(&f) % T_CAP);
        size_t k = (size_t)(nv_fake_rand(&f) % (2u * (next_len + MTR_NV_OVERHEAD)));
        make_payload(next, next_len, trial + 5000u);
        f.is_tear_random = (trial % 3u) != 0;
        nv_fake_cut_after(&f, k);
        if (mtr_nv_commit(&nv, next, next_len) != MTR_OK) {
            fail_msg("trial %u: commit failed", trial);
        }
        check_after_cut("random", k, &f, last, last_len, last_seq, next, next_len);
        reload(&f, T_VERSION, &nv, &l);
        if (l.err == MTR_OK) {
            if (l.seq < last_seq) {
                fail_msg("trial %u: seq went back from %llu to %llu", trial,
                         (unsigned long long)last_seq, (unsigned long long)l.seq);
            }
            last_seq = l.seq;
            last_len = l.len;
            memcpy(last, l.payload, l.len);
        } else {
            /* Only possible before the first record ever completed. */
            assert_int_equal(last_len, 0);
            assert_true(l.err == MTR_ENOENT || l.err == MTR_ECORRUPT);
            assert_int_equal(nv.newest, -1); /* no record: the next commit starts afresh */
        }
    }
    assert_true(last_seq > T_RANDOM_TRIALS / 4u);
}

/* ---- corruption ---- */

static void
test_corrupt_one_slot(void **state)
{
    uint8_t base[T_REGION];
    uint8_t mem[T_REGION];
    uint8_t p3[T_CAP];
    uint8_t p4[T_CAP];
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;
    (void)state;
    /* seq 3 (len 30) in slot 0, seq 4 (len 12) in slot 1. */
    fake_setup(&f, base, 0xFF, 5);
    reload(&f, T_VERSION, &nv, &l);
    for (uint64_t s = 1; s <= 4; s++) {
        uint8_t p[T_CAP];
        uint32_t len = (s == 4) ? 12u : 30u;
        make_payload(p, len, s);
        commit_ok(&nv, p, len);
    }
    make_payload(p3, 30, 3);
    make_payload(p4, 12, 4);
    for (unsigned trial = 0; trial < 400; trial++) {
        unsigned bad = trial % 2u; /* slot to corrupt */
        size_t rec_len = (bad == 0) ? 30u + MTR_NV_OVERHEAD : 12u + MTR_NV_OVERHEAD;
        memcpy(mem, base, sizeof(mem));
        f.mem = mem;
        nv_fake_corrupt(&f, bad * T_SLOT, rec_len, 1u + trial % 4u);
        if (memcmp(mem + bad * T_SLOT, base + bad * T_SLOT, rec_len) == 0) {
            continue; /* two flips of one byte cancelled out */
        }
        reload(&f, T_VERSION, &nv, &l);
        if (l.err != MTR_OK) {
            fail_msg("trial %u, slot %u corrupt: load returned %d", trial, bad, l.err);
        }
        assert_int_equal(l.st[bad] == MTR_NV_SLOT_VALID, false);
        assert_int_equal(l.st[1u - bad], MTR_NV_SLOT_VALID);
        assert_int_equal(l.seq, (bad == 0) ? 4u : 3u);
        assert_memory_equal(l.payload, (bad == 0) ? p4 : p3, (bad == 0) ? 12u : 30u);
    }
}

static void
test_corrupt_both_and_empty(void **state)
{
    static const struct {
        const char *name;
        uint8_t fill0;
        uint8_t fill1;
        bool is_corrupt;
        enum mtr_err want;
    } rows[] = {
        {"all 0x00",          0x00, 0x00, false, MTR_ENOENT  },
        {"all 0xFF",          0xFF, 0xFF, false, MTR_ENOENT  },
        {"0x00 and 0xFF",     0x00, 0xFF, false, MTR_ENOENT  },
        {"both corrupt",      0x00, 0x00, true,  MTR_ECORRUPT},
        {"garbage both 0x5A", 0x5A, 0x5A, false, MTR_ECORRUPT},
    };
    uint8_t mem[T_REGION];
    uint8_t p[T_CAP];
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;
    (void)state;
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        fake_setup(&f, mem, 0, 77);
        memset(mem, rows[i].fill0, T_SLOT);
        memset(mem + T_SLOT, rows[i].fill1, T_SLOT);
        if (rows[i].is_corrupt) {
            reload(&f, T_VERSION, &nv, &l);
            make_payload(p, 20, 1);
            commit_ok(&nv, p, 20);
            commit_ok(&nv, p, 20);
            mem[20 + 3] ^= 0x01;           /* slot 0: payload bit */
            mem[T_SLOT + 20 + 19] ^= 0x80; /* slot 1: last payload bit */
        }
        reload(&f, T_VERSION, &nv, &l);
        if (l.err != rows[i].want) {
            fail_msg("%s: got %d, want %d", rows[i].name, l.err, rows[i].want);
        }
        if (rows[i].is_corrupt) {
            assert_int_equal(l.st[0], MTR_NV_SLOT_BAD_CRC);
            assert_int_equal(l.st[1], MTR_NV_SLOT_BAD_CRC);
        }
    }
}

/* A CRC-valid header with a bad field: the slot is rejected with the matching state. */
static void
test_bad_header_fields(void **state)
{
    static const struct {
        const char *name;
        size_t off;
        uint8_t value;
        enum mtr_nv_slot_state want;
    } rows[] = {
        {"magic",            0,  0x32, MTR_NV_SLOT_BAD_MAGIC },
        {"version 0",        4,  0x00, MTR_NV_SLOT_BAD_MAGIC },
        {"reserved set",     6,  0x01, MTR_NV_SLOT_BAD_MAGIC },
        {"length above cap", 8,  41,   MTR_NV_SLOT_BAD_LENGTH},
        {"length 0",         8,  0,    MTR_NV_SLOT_BAD_LENGTH},
        {"seq 0",            12, 0x00, MTR_NV_SLOT_BAD_MAGIC },
    };
    uint8_t mem[T_REGION];
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;
    (void)state;
    for (size_t i = 0; i < MTR_ARRAY_COUNT(rows); i++) {
        uint32_t crc;
        fake_setup(&f, mem, 0, 3);
        memcpy(mem, golden_record, sizeof(golden_record));
        mem[rows[i].off] = rows[i].value;
        /* Re-seal the CRC so only the field check can reject it. */
        crc = mtr_nv_crc32(0, mem, 25);
        mem[25] = (uint8_t)crc;
        mem[26] = (uint8_t)(crc >> 8);
        mem[27] = (uint8_t)(crc >> 16);
        mem[28] = (uint8_t)(crc >> 24);
        reload(&f, 1, &nv, &l);
        if (l.err != MTR_ECORRUPT || l.st[0] != rows[i].want) {
            fail_msg("%s: got err %d state %d, want ECORRUPT state %d", rows[i].name, l.err,
                     l.st[0], rows[i].want);
        }
        assert_int_equal(l.st[1], MTR_NV_SLOT_EMPTY);
    }
}

/* ---- versions ---- */

static void
test_versions(void **state)
{
    uint8_t mem[T_REGION];
    uint8_t p[T_CAP];
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;
    (void)state;
    /* Written by a build at version 3; this build is at 2: refuse, and refuse to commit. */
    fake_setup(&f, mem, 0, 8);
    reload(&f, 3, &nv, &l);
    make_payload(p, 10, 1);
    commit_ok(&nv, p, 10);
    reload(&f, 2, &nv, &l);
    assert_int_equal(l.err, MTR_EVERSION);
    assert_int_equal(mtr_nv_commit(&nv, p, 10), MTR_EINVAL);
    assert_int_equal(slot_seq(mem, 1), 0); /* nothing written */

    /* Written at version 1, read at version 2: returned with its version, for migration. */
    fake_setup(&f, mem, 0, 8);
    reload(&f, 1, &nv, &l);
    commit_ok(&nv, p, 10);
    reload(&f, 2, &nv, &l);
    assert_int_equal(l.err, MTR_OK);
    assert_int_equal(l.version, 1);
    assert_int_equal(l.st[0], MTR_NV_SLOT_OLD_VERSION);
    assert_memory_equal(l.payload, p, 10);
    /* The migrated record is then written at version 2, in the other slot. */
    commit_ok(&nv, p, 10);
    reload(&f, 2, &nv, &l);
    assert_int_equal(l.version, 2);
    assert_int_equal(l.seq, 2);
}

/* ---- I/O failures ---- */

static void
test_io_failures(void **state)
{
    uint8_t mem[T_REGION];
    uint8_t p[T_CAP];
    uint8_t q[T_CAP];
    struct mtr_nv nv;
    struct nv_fake f;
    struct loaded l;
    (void)state;
    fake_setup(&f, mem, 0, 9);
    reload(&f, T_VERSION, &nv, &l);
    make_payload(p, 16, 1);
    make_payload(q, 16, 2);
    commit_ok(&nv, p, 16);

    f.is_write_fail = true;
    assert_int_equal(mtr_nv_commit(&nv, q, 16), MTR_EIO);
    assert_int_equal(nv.seq, 1); /* unchanged */
    assert_int_equal(nv.newest, 0);
    f.is_write_fail = false;

    f.is_sync_fail = true;
    assert_int_equal(mtr_nv_commit(&nv, q, 16), MTR_EIO);
    assert_int_equal(nv.seq, 1);
    f.is_sync_fail = false;
    /* The next commit still goes to slot 1: slot 0 (seq 1) is never touched. */
    commit_ok(&nv, q, 16);
    assert_int_equal(nv.newest, 1);
    assert_int_equal(slot_seq(mem, 0), 1);

    f.is_read_fail = true;
    reload(&f, T_VERSION, &nv, &l);
    assert_int_equal(l.err, MTR_EIO);
    assert_int_equal(mtr_nv_commit(&nv, q, 16), MTR_EINVAL); /* not loaded */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_vectors),
        cmocka_unit_test(test_region_len_and_init_args),
        cmocka_unit_test(test_commit_args),
        cmocka_unit_test(test_golden_image),
        cmocka_unit_test(test_round_trip_and_alternate),
        cmocka_unit_test(test_power_cut_every_byte),
        cmocka_unit_test(test_power_cut_random),
        cmocka_unit_test(test_corrupt_one_slot),
        cmocka_unit_test(test_corrupt_both_and_empty),
        cmocka_unit_test(test_bad_header_fields),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_io_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
