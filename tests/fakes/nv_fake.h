/*
 * Fake NV region for tests: RAM with a write budget that cuts the power, and fault injection.
 *
 * The fake stands in for FRAM or a memory-mapped file behind struct mtr_nv_ops. After a
 * budget of K bytes has been written the power is "cut": the write that crosses the budget
 * stores only its first bytes, and every later write stores nothing (but reports success,
 * as the dying CPU would never learn otherwise). Optionally the byte being written at the
 * instant of the cut is left half-programmed (a random value). Reads, writes and syncs can
 * be made to fail with MTR_EIO, and bytes can be corrupted at random. "Reopen" in a test is
 * nv_fake_power_on() followed by a fresh mtr_nv_init()/mtr_nv_load() over the same memory.
 */
#ifndef METERD_TESTS_NV_FAKE_H
#define METERD_TESTS_NV_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/nv.h"

/** Budget meaning "never cut the power". */
#define NV_FAKE_NO_CUT SIZE_MAX

/** Fake region state (caller memory; the bytes are the caller's too). */
struct nv_fake {
    uint8_t *mem;           /**< Region bytes, borrowed. */
    size_t len;             /**< Region length, bytes. */
    size_t write_budget;    /**< Bytes that may still be written before the cut. */
    bool is_power_cut;      /**< Set once the budget ran out. */
    bool is_tear_random;    /**< At the cut, the byte being written gets a random value. */
    bool is_read_fail;      /**< Every read returns MTR_EIO. */
    bool is_write_fail;     /**< Every write returns MTR_EIO and stores nothing. */
    bool is_sync_fail;      /**< Every sync returns MTR_EIO. */
    uint64_t rng;           /**< xorshift64 state for torn bytes and corruption; never 0. */
    size_t bytes_written;   /**< Bytes stored since nv_fake_init(). */
    unsigned write_calls;   /**< write() calls since nv_fake_init(). */
    unsigned sync_calls;    /**< sync() calls since nv_fake_init(). */
    size_t last_sync_off;   /**< Range of the last sync() call. */
    size_t last_sync_len;   /**< Bytes of the last sync() call. */
    size_t last_write_off;  /**< Lowest offset written since the last sync (SIZE_MAX: none). */
    size_t last_write_end;  /**< One past the highest offset written since the last sync. */
    bool is_unsynced_write; /**< A write is outside every sync issued after it. */
};

/** The operations; ctx is a struct nv_fake *. */
extern const struct mtr_nv_ops nv_fake_ops;

/**
 * Set up a fake over caller memory, filled with one byte value (0x00 or 0xFF: erased).
 * @param[out] f     Fake.
 * @param[in]  mem   Region memory, len bytes, borrowed.
 * @param[in]  len   Region length, bytes.
 * @param[in]  fill  Value every byte is set to.
 * @param[in]  seed  Random seed (0 is replaced by a fixed non-zero value).
 */
void nv_fake_init(struct nv_fake *f, uint8_t *mem, size_t len, uint8_t fill, uint64_t seed);

/**
 * Cut the power once k more bytes have been written (k = 0: the next byte is lost).
 * @param[in,out] f  Fake.
 * @param[in]     k  Bytes that still reach the memory.
 */
void nv_fake_cut_after(struct nv_fake *f, size_t k);

/** Restore the power with an unlimited budget (the memory keeps what was written). */
void nv_fake_power_on(struct nv_fake *f);

/**
 * Corrupt bytes at random: n distinct-attempt byte flips in [off, off+len), each byte xored
 * with a non-zero random value so it always changes.
 * @param[in,out] f    Fake.
 * @param[in]     off  First byte of the range.
 * @param[in]     len  Range length, bytes (> 0, within the region).
 * @param[in]     n    Flips.
 */
void nv_fake_corrupt(struct nv_fake *f, size_t off, size_t len, unsigned n);

/** Next value of the fake's xorshift64 generator (for tests that need random numbers). */
uint64_t nv_fake_rand(struct nv_fake *f);

#endif /* METERD_TESTS_NV_FAKE_H */
