/*
 * The meter-application record (app_store.h).
 */
#include "nv/app_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log/errf.h"
#include "nv/nv_ram.h"
#include "nv/reg_store.h"

_Static_assert(MTRD_REG_PAYLOAD_V1_LEN < MTRD_APP_STORE_PAYLOAD_CAP, "registers fit");

static size_t
region_len(void)
{
    return mtr_nv_region_len(MTRD_APP_STORE_PAYLOAD_CAP);
}

/* Encode registers + state into buf. */
static enum mtr_err
encode(uint8_t *buf,
       size_t cap,
       const struct mtr_reg_set *regs,
       const struct mtr_app_state *st,
       size_t *len)
{
    size_t n = 0;
    size_t m = 0;
    enum mtr_err e = mtrd_reg_encode(regs, buf, cap, &n);
    if (e == MTR_OK) {
        e = mtr_app_state_encode(st, buf + n, cap - n, &m);
    }
    *len = n + m;
    return e;
}

/*
 * A new file holds one record "no state yet" (payload: zero registers, zero length
 * state), written atomically, so a crash in the first real commit leaves that record.
 */
static enum mtr_err
create_first(const char *path, char *log_msg, size_t log_cap)
{
    size_t len = region_len();
    uint8_t *image = calloc(1, len);
    if (image == NULL) {
        mtrd_errf(log_msg, log_cap, "%s: no memory for a %zu-byte image", path, len);
        return MTR_ENOMEM;
    }
    struct mtrd_nv_ram r = {image, len};
    struct mtr_nv nv;
    struct mtr_reg_set zero;
    uint8_t payload[MTRD_REG_PAYLOAD_V1_LEN];
    size_t n = 0;
    uint32_t got = 0;
    uint16_t ver = 0;
    mtr_reg_init(&zero);
    enum mtr_err e = mtr_nv_init(&nv, &mtrd_nv_ram_ops, &r, MTRD_APP_STORE_MAGIC,
                                 MTRD_APP_STORE_VERSION, MTRD_APP_STORE_PAYLOAD_CAP);
    if (e == MTR_OK) {
        e = mtr_nv_load(&nv, payload, &got, &ver, NULL);
        e = e == MTR_ENOENT ? MTR_OK : e;
    }
    if (e == MTR_OK) {
        e = mtrd_reg_encode(&zero, payload, sizeof(payload), &n);
    }
    if (e == MTR_OK) {
        e = mtr_nv_commit(&nv, payload, (uint32_t)n);
    }
    if (e == MTR_OK) {
        e = mtrd_nv_file_create(path, image, len, log_msg, log_cap);
    }
    free(image);
    return e;
}

enum mtr_err
mtrd_app_store_open(const char *path,
                    struct mtrd_app_store *store,
                    struct mtr_reg_set *regs,
                    struct mtr_app_state *st,
                    char *log_msg,
                    size_t log_cap)
{
    if (path == NULL || store == NULL || regs == NULL || st == NULL) {
        return MTR_EINVAL;
    }
    char msg[512] = "";
    memset(store, 0, sizeof(*store));
    store->file.fd = -1;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) {
        enum mtr_err e = create_first(path, msg, sizeof(msg));
        if (e != MTR_OK) {
            mtrd_errf(log_msg, log_cap, "%s: cannot create: %s", path, msg);
            return e;
        }
    }
    enum mtr_err e = mtrd_nv_file_open(path, region_len(), &store->file, msg, sizeof(msg));
    if (e != MTR_OK) {
        mtrd_errf(log_msg, log_cap, "%s", msg);
        return e;
    }
    uint32_t len = 0;
    uint16_t ver = 0;
    e = mtr_nv_init(&store->nv, &store->file.ops, &store->file, MTRD_APP_STORE_MAGIC,
                    MTRD_APP_STORE_VERSION, MTRD_APP_STORE_PAYLOAD_CAP);
    if (e == MTR_OK) {
        e = mtr_nv_load(&store->nv, store->buf, &len, &ver, NULL);
    }
    if (e == MTR_OK && len == MTRD_REG_PAYLOAD_V1_LEN) {
        store->is_new = true; /* the creation record: no state yet */
        mtrd_errf(log_msg, log_cap, "%s: new meter state (seq %llu)", path,
                  (unsigned long long)store->nv.seq);
        return MTR_OK;
    }
    if (e == MTR_OK && len < MTRD_REG_PAYLOAD_V1_LEN) {
        e = MTR_ECORRUPT;
        snprintf(msg, sizeof(msg), "record of %u bytes is shorter than the registers", len);
    }
    struct mtr_reg_set r;
    if (e == MTR_OK) {
        e = mtrd_reg_decode(1u, store->buf, MTRD_REG_PAYLOAD_V1_LEN, &r, msg, sizeof(msg));
    }
    if (e == MTR_OK) {
        size_t bad = 0;
        struct mtr_app_state tmp = *st;
        e = mtr_app_state_decode(store->buf + MTRD_REG_PAYLOAD_V1_LEN,
                                 len - MTRD_REG_PAYLOAD_V1_LEN, &tmp, &bad);
        if (e != MTR_OK) {
            snprintf(msg, sizeof(msg), "application state: payload byte %zu: %s",
                     bad + MTRD_REG_PAYLOAD_V1_LEN, mtr_strerror(e));
        } else {
            tmp.reg = r;
            *st = tmp;
            *regs = r;
        }
    }
    if (e != MTR_OK) {
        mtrd_errf(log_msg, log_cap,
                  "%s: no usable meter state (%s%s%s): refusing to start from zero; inspect or "
                  "move the file away",
                  path, mtr_strerror(e), msg[0] ? ": " : "", msg);
        enum mtr_err ignored = mtrd_nv_file_close(&store->file);
        (void)ignored;
        return e;
    }
    mtrd_errf(log_msg, log_cap, "%s: loaded seq %llu (%llu frames)", path,
              (unsigned long long)store->nv.seq, (unsigned long long)regs->frame_count);
    return MTR_OK;
}

enum mtr_err
mtrd_app_store_commit(struct mtrd_app_store *store,
                      const struct mtr_reg_set *regs,
                      const struct mtr_app_state *st)
{
    if (store == NULL || regs == NULL || st == NULL) {
        return MTR_EINVAL;
    }
    size_t n = 0;
    enum mtr_err e = encode(store->buf, sizeof(store->buf), regs, st, &n);
    if (e != MTR_OK) {
        return e;
    }
    return mtr_nv_commit(&store->nv, store->buf, (uint32_t)n);
}

enum mtr_err
mtrd_app_store_flush(struct mtrd_app_store *store)
{
    return store == NULL ? MTR_EINVAL : mtrd_nv_file_flush(&store->file);
}

enum mtr_err
mtrd_app_store_close(struct mtrd_app_store *store)
{
    if (store == NULL || store->file.fd < 0) {
        return MTR_OK;
    }
    return mtrd_nv_file_close(&store->file);
}
