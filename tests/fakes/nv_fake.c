/*
 * Fake NV region that cuts the power (see nv_fake.h). Test code: plain C, no allocation.
 */
#include "nv_fake.h"

#include <stdint.h>
#include <string.h>

/* Fixed non-zero seed used when the caller passes 0 (xorshift64 must not start at 0). */
#define NV_FAKE_DEFAULT_SEED 0x9E3779B97F4A7C15u

uint64_t
nv_fake_rand(struct nv_fake *f)
{
    /* xorshift64 (Marsaglia 2003), shifts 13, 7, 17. */
    uint64_t x = f->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    f->rng = x;
    return x;
}

static enum mtr_err
fake_read(void *ctx, size_t off, void *buf, size_t len)
{
    struct nv_fake *f = ctx;

    if (f->is_read_fail || off > f->len || len > f->len - off) {
        return MTR_EIO;
    }
    memcpy(buf, f->mem + off, len);
    return MTR_OK;
}

static enum mtr_err
fake_write(void *ctx, size_t off, const void *buf, size_t len)
{
    struct nv_fake *f = ctx;
    size_t n = len;

    if (f->is_write_fail || off > f->len || len > f->len - off) {
        return MTR_EIO;
    }
    if (f->is_power_cut) {
        return MTR_OK;
    }
    if (n > f->write_budget) {
        n = f->write_budget;
    }
    memcpy(f->mem + off, buf, n);
    f->write_budget -= n;
    f->bytes_written += n;
    f->write_calls++;
    if (n > 0) {
        if (off < f->last_write_off) {
            f->last_write_off = off;
        }
        if (off + n > f->last_write_end) {
            f->last_write_end = off + n;
        }
    }
    if (n < len) {
        f->is_power_cut = true;
        if (f->is_tear_random) {
            f->mem[off + n] = (uint8_t)(nv_fake_rand(f) & 0xFFu);
        }
    }
    return MTR_OK;
}

static enum mtr_err
fake_sync(void *ctx, size_t off, size_t len)
{
    struct nv_fake *f = ctx;

    if (f->is_sync_fail || off > f->len || len > f->len - off) {
        return MTR_EIO;
    }
    if (f->is_power_cut) {
        return MTR_OK;
    }
    f->sync_calls++;
    f->last_sync_off = off;
    f->last_sync_len = len;
    if (f->last_write_off != SIZE_MAX &&
        (f->last_write_off < off || f->last_write_end > off + len)) {
        f->is_unsynced_write = true;
    }
    f->last_write_off = SIZE_MAX;
    f->last_write_end = 0;
    return MTR_OK;
}

const struct mtr_nv_ops nv_fake_ops = {
    .read = fake_read,
    .write = fake_write,
    .sync = fake_sync,
};

void
nv_fake_init(struct nv_fake *f, uint8_t *mem, size_t len, uint8_t fill, uint64_t seed)
{
    memset(f, 0, sizeof(*f));
    f->mem = mem;
    f->len = len;
    f->write_budget = NV_FAKE_NO_CUT;
    f->rng = (seed != 0) ? seed : NV_FAKE_DEFAULT_SEED;
    f->last_write_off = SIZE_MAX;
    memset(mem, fill, len);
}

void
nv_fake_cut_after(struct nv_fake *f, size_t k)
{
    f->write_budget = k;
    f->is_power_cut = false;
}

void
nv_fake_power_on(struct nv_fake *f)
{
    f->write_budget = NV_FAKE_NO_CUT;
    f->is_power_cut = false;
    f->last_write_off = SIZE_MAX;
    f->last_write_end = 0;
}

void
nv_fake_corrupt(struct nv_fake *f, size_t off, size_t len, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        size_t at = off + (size_t)(nv_fake_rand(f) % len);
        uint8_t x = (uint8_t)(nv_fake_rand(f) % 255u + 1u);
        f->mem[at] ^= x;
    }
}
