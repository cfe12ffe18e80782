/*
 * Register-set record and register-store helpers of the daemon (reg_store.h).
 *
 * Layout 1 of the payload (docs/nv-format.md), all little-endian:
 *   0 chan_count u8 (4) | 1 kind_count u8 (11) | 2 reserved u16 (0) | 4 frame_count u64 |
 *   12 t_us u64 | 20 e_u[chan][kind] i64 x 44 | 372 rem_u[chan][kind] IEEE-754 binary64 bits x 44
 * Arrays are channel-major (L1, L2, L3, total), kinds in enum mtr_reg_kind order.
 */
#include "nv/reg_store.h"

#include "nv/nv_ram.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/errf.h"
#include "meterd/reg.h"

_Static_assert(sizeof(double) == sizeof(uint64_t), "remainders are stored as 64-bit patterns");

#define REG_OFF_CHAN_COUNT  0u
#define REG_OFF_KIND_COUNT  1u
#define REG_OFF_RESERVED    2u
#define REG_OFF_FRAME_COUNT 4u
#define REG_OFF_T_US        12u
#define REG_OFF_ENERGY      20u
#define REG_CELLS           ((size_t)MTR_REG_CHAN_COUNT * MTR_REG_KIND_COUNT)
#define REG_OFF_REM         (REG_OFF_ENERGY + 8u * REG_CELLS)
_Static_assert(REG_OFF_REM + 8u * REG_CELLS == MTRD_REG_PAYLOAD_V1_LEN, "layout 1 length");
_Static_assert(MTRD_REG_PAYLOAD_V1_LEN <= MTRD_REG_STORE_PAYLOAD_CAP, "payload fits a slot");
_Static_assert(MTR_REG_CHAN_COUNT <= 255 && MTR_REG_KIND_COUNT <= 255, "counts fit a byte");

/* Suffix of the copy kept of a file that had to be salvaged. */
#define REG_BAD_SUFFIX ".bad"
/* Header field offsets of an NV record, for the log only (include/meterd/nv.h). */
#define REG_NV_OFF_SEQ 12u

static void
put_le64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8u; i++) {
        p[i] = (uint8_t)((v >> (8u * i)) & 0xFFu);
    }
}

static uint64_t
get_le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8u; i++) {
        v |= (uint64_t)p[i] << (8u * i);
    }
    return v;
}

/* Append to a message buffer (NUL-terminated, possibly empty). */
static void
add_msg(char *msg, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t used;

    if (msg == NULL || cap == 0) {
        return;
    }
    used = strnlen(msg, cap);
    if (used + 1 >= cap) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(msg + used, cap - used, fmt, ap); /* truncation is acceptable */
    va_end(ap);
}

static bool
rem_is_valid(double rem)
{
    return rem >= 0.0 && rem < 1.0; /* false for NaN */
}

enum mtr_err
mtrd_reg_encode(const struct mtr_reg_set *set, uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (set == NULL || out == NULL || out_len == NULL) {
        return MTR_EINVAL;
    }
    if (out_cap < MTRD_REG_PAYLOAD_V1_LEN) {
        return MTR_ENOSPC;
    }
    for (size_t c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (size_t k = 0; k < MTR_REG_KIND_COUNT; k++) {
            if (set->e_u[c][k] < 0 || !rem_is_valid(set->rem_u[c][k])) {
                return MTR_EINVAL;
            }
        }
    }
    out[REG_OFF_CHAN_COUNT] = (uint8_t)MTR_REG_CHAN_COUNT;
    out[REG_OFF_KIND_COUNT] = (uint8_t)MTR_REG_KIND_COUNT;
    out[REG_OFF_RESERVED] = 0;
    out[REG_OFF_RESERVED + 1u] = 0;
    put_le64(out + REG_OFF_FRAME_COUNT, set->frame_count);
    put_le64(out + REG_OFF_T_US, set->t_us);
    for (size_t c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (size_t k = 0; k < MTR_REG_KIND_COUNT; k++) {
            size_t cell = c * MTR_REG_KIND_COUNT + k;
            uint64_t bits;
            memcpy(&bits, &set->rem_u[c][k], sizeof(bits));
            put_le64(out + REG_OFF_ENERGY + 8u * cell, (uint64_t)set->e_u[c][k]);
            put_le64(out + REG_OFF_REM + 8u * cell, bits);
        }
    }
    *out_len = MTRD_REG_PAYLOAD_V1_LEN;
    return MTR_OK;
}

static enum mtr_err
decode_v1(const uint8_t *in, size_t in_len, struct mtr_reg_set *set, char *err, size_t err_cap)
{
    if (in_len != MTRD_REG_PAYLOAD_V1_LEN) {
        mtrd_errf(err, err_cap, "payload is %zu bytes, layout 1 has %u", in_len,
                  MTRD_REG_PAYLOAD_V1_LEN);
        return MTR_ECORRUPT;
    }
    if (in[REG_OFF_CHAN_COUNT] != MTR_REG_CHAN_COUNT ||
        in[REG_OFF_KIND_COUNT] != MTR_REG_KIND_COUNT) {
        mtrd_errf(err, err_cap, "payload byte 0: %u channels x %u kinds, layout 1 has %u x %u",
                  in[REG_OFF_CHAN_COUNT], in[REG_OFF_KIND_COUNT], MTR_REG_CHAN_COUNT,
                  MTR_REG_KIND_COUNT);
        return MTR_ECORRUPT;
    }
    if (in[REG_OFF_RESERVED] != 0 || in[REG_OFF_RESERVED + 1u] != 0) {
        mtrd_errf(err, err_cap, "payload byte %u: reserved field is not 0", REG_OFF_RESERVED);
        return MTR_ECORRUPT;
    }
    set->frame_count = get_le64(in + REG_OFF_FRAME_COUNT);
    set->t_us = get_le64(in + REG_OFF_T_US);
    for (size_t c = 0; c < MTR_REG_CHAN_COUNT; c++) {
        for (size_t k = 0; k < MTR_REG_KIND_COUNT; k++) {
            size_t cell = c * MTR_REG_KIND_COUNT + k;
            uint64_t e = get_le64(in + REG_OFF_ENERGY + 8u * cell);
            uint64_t bits = get_le64(in + REG_OFF_REM + 8u * cell);
            if (e > (uint64_t)INT64_MAX) {
                mtrd_errf(err, err_cap, "payload byte %zu: register [chan %zu][kind %zu] negative",
                          REG_OFF_ENERGY + 8u * cell, c, k);
                return MTR_ECORRUPT;
            }
            set->e_u[c][k] = (int64_t)e;
            memcpy(&set->rem_u[c][k], &bits, sizeof(bits));
            if (!rem_is_valid(set->rem_u[c][k])) {
                mtrd_errf(err, err_cap,
                          "payload byte %zu: remainder [chan %zu][kind %zu] outside [0, 1)",
                          REG_OFF_REM + 8u * cell, c, k);
                return MTR_ECORRUPT;
            }
        }
    }
    return MTR_OK;
}

enum mtr_err
mtrd_reg_decode(uint16_t version,
                const uint8_t *in,
                size_t in_len,
                struct mtr_reg_set *set,
                char *err,
                size_t err_cap)
{
    struct mtr_reg_set tmp;
    enum mtr_err e;

    if (in == NULL || set == NULL || version == 0) {
        return MTR_EINVAL;
    }
    if (version > MTRD_REG_STORE_VERSION) {
        mtrd_errf(err, err_cap, "register layout %u is newer than this build's (%u)", version,
                  MTRD_REG_STORE_VERSION);
        return MTR_EVERSION;
    }
    /* Layout 1 is the first: no older layout to migrate from yet. A layout 2 adds a case. */
    e = decode_v1(in, in_len, &tmp, err, err_cap);
    if (e == MTR_OK) {
        *set = tmp;
    }
    return e;
}

static size_t
reg_region_len(void)
{
    return mtr_nv_region_len(MTRD_REG_STORE_PAYLOAD_CAP);
}

static const char *
slot_state_name(enum mtr_nv_slot_state s)
{
    switch (s) {
    case MTR_NV_SLOT_VALID:
        return "valid";
    case MTR_NV_SLOT_EMPTY:
        return "empty";
    case MTR_NV_SLOT_BAD_MAGIC:
        return "bad magic/header";
    case MTR_NV_SLOT_BAD_LENGTH:
        return "bad length";
    case MTR_NV_SLOT_BAD_CRC:
        return "bad CRC";
    case MTR_NV_SLOT_OLD_VERSION:
        return "valid, older layout";
    case MTR_NV_SLOT_IO:
        return "read error";
    }
    return "unknown";
}

/* "slot 0 valid seq 12, slot 1 bad CRC" */
static void
add_slot_states(char *msg,
                size_t cap,
                const struct mtr_nv_ops *ops,
                void *ctx,
                const enum mtr_nv_slot_state st[2])
{
    size_t slot_len = reg_region_len() / 2u;

    for (unsigned i = 0; i < 2u; i++) {
        add_msg(msg, cap, "%sslot %u %s", (i == 0) ? "" : ", ", i, slot_state_name(st[i]));
        if (st[i] == MTR_NV_SLOT_VALID || st[i] == MTR_NV_SLOT_OLD_VERSION) {
            uint8_t seq[8];
            if (ops->read(ctx, i * slot_len + REG_NV_OFF_SEQ, seq, sizeof(seq)) == MTR_OK) {
                add_msg(msg, cap, " seq %llu", (unsigned long long)get_le64(seq));
            }
        }
    }
}

/* Build, in image, a region holding one record of zero registers with sequence number 1. */
static enum mtr_err
build_first_image(uint8_t *image, size_t len)
{
    struct mtrd_nv_ram r = {image, len};
    struct mtr_reg_set zero;
    struct mtr_nv nv;
    uint8_t payload[MTRD_REG_PAYLOAD_V1_LEN];
    uint32_t got_len = 0;
    uint16_t got_ver = 0;
    size_t n = 0;
    enum mtr_err e;

    memset(image, 0, len);
    memset(&zero, 0, sizeof(zero));
    e = mtr_nv_init(&nv, &mtrd_nv_ram_ops, &r, MTRD_REG_STORE_MAGIC, MTRD_REG_STORE_VERSION,
                    MTRD_REG_STORE_PAYLOAD_CAP);
    if (e == MTR_OK) {
        e = mtr_nv_load(&nv, payload, &got_len, &got_ver, NULL);
        e = (e == MTR_ENOENT) ? MTR_OK : MTR_EIO; /* a zeroed image must read as empty */
    }
    if (e == MTR_OK) {
        e = mtrd_reg_encode(&zero, payload, sizeof(payload), &n);
    }
    if (e == MTR_OK) {
        e = mtr_nv_commit(&nv, payload, (uint32_t)n);
    }
    return e;
}

static enum mtr_err
create_first(const char *path, char *log_msg, size_t log_cap)
{
    size_t len = reg_region_len();
    uint8_t *image = malloc(len);
    enum mtr_err e;

    if (image == NULL) {
        mtrd_errf(log_msg, log_cap, "%s: no memory for a %zu-byte image", path, len);
        return MTR_ENOMEM;
    }
    e = build_first_image(image, len);
    if (e == MTR_OK) {
        e = mtrd_nv_file_create(path, image, len, log_msg, log_cap);
    }
    free(image);
    if (e == MTR_OK) {
        mtrd_errf(log_msg, log_cap, "%s: created a new register store (seq 1, all registers 0); ",
                  path);
    }
    return e;
}

/* Keep the damaged file as path.bad (a hard link; the original name is replaced afterwards). */
static enum mtr_err
keep_bad_copy(const char *path, char *log_msg, size_t log_cap)
{
    char bad[MTRD_NV_PATH_CAP + sizeof(REG_BAD_SUFFIX)];

    (void)snprintf(bad, sizeof(bad), "%s%s", path, REG_BAD_SUFFIX); /* sized to fit */
    if (unlink(bad) != 0 && errno != ENOENT) {
        add_msg(log_msg, log_cap, "cannot remove old %s: %s", bad, strerror(errno));
        return MTR_EIO;
    }
    if (link(path, bad) != 0) {
        add_msg(log_msg, log_cap, "cannot keep a copy as %s: %s", bad, strerror(errno));
        return MTR_EIO;
    }
    add_msg(log_msg, log_cap, "damaged file kept as %s; ", bad);
    return MTR_OK;
}

/* Load from a salvage image and rewrite path at the right size with the valid slot only. */
static enum mtr_err
salvage_image(const char *path, uint8_t *image, size_t len, char *log_msg, size_t log_cap)
{
    struct mtrd_nv_ram r = {image, len};
    struct mtr_nv nv;
    enum mtr_nv_slot_state st[2] = {MTR_NV_SLOT_IO, MTR_NV_SLOT_IO};
    uint8_t payload[MTRD_REG_STORE_PAYLOAD_CAP];
    struct mtr_reg_set set;
    uint32_t got_len = 0;
    uint16_t ver = 0;
    enum mtr_err e;

    e = mtr_nv_init(&nv, &mtrd_nv_ram_ops, &r, MTRD_REG_STORE_MAGIC, MTRD_REG_STORE_VERSION,
                    MTRD_REG_STORE_PAYLOAD_CAP);
    if (e == MTR_OK) {
        e = mtr_nv_load(&nv, payload, &got_len, &ver, st);
    }
    add_msg(log_msg, log_cap, "within the file: ");
    add_slot_states(log_msg, log_cap, &mtrd_nv_ram_ops, &r, st);
    add_msg(log_msg, log_cap, "; ");
    if (e == MTR_OK) {
        e = mtrd_reg_decode(ver, payload, got_len, &set, NULL, 0);
    }
    if (e != MTR_OK) {
        add_msg(log_msg, log_cap, "no usable record survives (%s); file left unchanged",
                mtr_strerror(e));
        return (e == MTR_EVERSION) ? e : MTR_ECORRUPT;
    }
    /* Erase the other slot so the rewritten file holds the salvaged record only. */
    memset(image + (size_t)(1 - nv.newest) * (len / 2u), 0, len / 2u);
    e = keep_bad_copy(path, log_msg, log_cap);
    if (e == MTR_OK) {
        char msg[256] = "";
        e = mtrd_nv_file_create(path, image, len, msg, sizeof(msg));
        add_msg(log_msg, log_cap, "%s", msg);
    }
    if (e == MTR_OK) {
        add_msg(log_msg, log_cap, "salvaged seq %llu from slot %d; ", (unsigned long long)nv.seq,
                nv.newest);
    }
    return e;
}

static enum mtr_err
salvage(const char *path, char *log_msg, size_t log_cap)
{
    size_t len = reg_region_len();
    uint8_t *image = malloc(len);
    size_t file_len = 0;
    char msg[256] = "";
    enum mtr_err e;

    if (image == NULL) {
        add_msg(log_msg, log_cap, "no memory for a %zu-byte image", len);
        return MTR_ENOMEM;
    }
    e = mtrd_nv_file_read_image(path, image, len, &file_len, msg, sizeof(msg));
    if (e != MTR_OK) {
        add_msg(log_msg, log_cap, "%s", msg);
    } else {
        e = salvage_image(path, image, len, log_msg, log_cap);
    }
    free(image);
    return e;
}

/* Load the newest record of an open store; fills regs and explains in log_msg. */
static enum mtr_err
load_open(struct mtrd_reg_store *store, struct mtr_reg_set *regs, char *log_msg, size_t log_cap)
{
    enum mtr_nv_slot_state st[2] = {MTR_NV_SLOT_IO, MTR_NV_SLOT_IO};
    uint32_t len = 0;
    uint16_t ver = 0;
    char msg[256] = "";
    enum mtr_err e;

    e = mtr_nv_init(&store->nv, &store->file.ops, &store->file, MTRD_REG_STORE_MAGIC,
                    MTRD_REG_STORE_VERSION, MTRD_REG_STORE_PAYLOAD_CAP);
    if (e == MTR_OK) {
        e = mtr_nv_load(&store->nv, store->buf, &len, &ver, st);
    }
    add_msg(log_msg, log_cap, "%s: ", store->file.path);
    add_slot_states(log_msg, log_cap, &store->file.ops, &store->file, st);
    if (e == MTR_ENOENT) {
        memset(regs, 0, sizeof(*regs));
        store->is_new = true;
        add_msg(log_msg, log_cap, "; both slots empty: new store, registers start at 0");
        return MTR_OK;
    }
    if (e == MTR_OK) {
        e = mtrd_reg_decode(ver, store->buf, len, regs, msg, sizeof(msg));
    }
    if (e == MTR_OK) {
        add_msg(log_msg, log_cap, "; loaded seq %llu (layout %u, %llu frames)",
                (unsigned long long)store->nv.seq, ver, (unsigned long long)regs->frame_count);
    } else if (e == MTR_ECORRUPT) {
        add_msg(log_msg, log_cap,
                "; no valid register record%s%s: refusing to start the registers at 0; inspect "
                "or move the file away",
                (msg[0] != '\0') ? ": " : "", msg);
    } else if (e == MTR_EVERSION) {
        add_msg(log_msg, log_cap, "; the newest record was written by a newer build (layout > %u)",
                MTRD_REG_STORE_VERSION);
    } else {
        add_msg(log_msg, log_cap, "; load failed: %s", mtr_strerror(e));
    }
    return e;
}

enum mtr_err
mtrd_reg_store_open(const char *path,
                    struct mtrd_reg_store *store,
                    struct mtr_reg_set *regs,
                    char *log_msg,
                    size_t log_cap)
{
    struct mtr_reg_set loaded;
    struct stat st;
    enum mtr_err e;
    char msg[512] = "";

    if (path == NULL || store == NULL || regs == NULL || strlen(path) >= MTRD_NV_PATH_CAP) {
        mtrd_errf(log_msg, log_cap, "register store: missing or too long path");
        return MTR_EINVAL;
    }
    if (log_msg != NULL && log_cap > 0) {
        log_msg[0] = '\0';
    }
    memset(store, 0, sizeof(*store));
    store->file.fd = -1;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        e = create_first(path, log_msg, log_cap);
        if (e != MTR_OK) {
            return e;
        }
    }
    e = mtrd_nv_file_open(path, reg_region_len(), &store->file, msg, sizeof(msg));
    if (e == MTR_EPROTO) {
        /* Wrong size: report it, salvage the valid slot within, then open the rewritten file. */
        add_msg(log_msg, log_cap, "%s; ", msg);
        e = salvage(path, log_msg, log_cap);
        if (e != MTR_OK) {
            return e;
        }
        store->is_recovered = true;
        e = mtrd_nv_file_open(path, reg_region_len(), &store->file, msg, sizeof(msg));
    }
    if (e != MTR_OK) {
        add_msg(log_msg, log_cap, "%s", msg);
        return e;
    }
    e = load_open(store, &loaded, log_msg, log_cap);
    if (e != MTR_OK) {
        /* Nothing was written; the load error is the one to report. */
        enum mtr_err ignored = mtrd_nv_file_close(&store->file);
        (void)ignored;
        return e;
    }
    *regs = loaded;
    return MTR_OK;
}

enum mtr_err
mtrd_reg_store_commit(struct mtrd_reg_store *store, const struct mtr_reg_set *regs)
{
    size_t n = 0;
    enum mtr_err e;

    if (store == NULL || regs == NULL) {
        return MTR_EINVAL;
    }
    e = mtrd_reg_encode(regs, store->buf, sizeof(store->buf), &n);
    if (e != MTR_OK) {
        return e;
    }
    return mtr_nv_commit(&store->nv, store->buf, (uint32_t)n);
}

enum mtr_err
mtrd_reg_store_flush(struct mtrd_reg_store *store)
{
    if (store == NULL) {
        return MTR_EINVAL;
    }
    return mtrd_nv_file_flush(&store->file);
}

enum mtr_err
mtrd_reg_store_close(struct mtrd_reg_store *store)
{
    if (store == NULL) {
        return MTR_OK;
    }
    return mtrd_nv_file_close(&store->file);
}
