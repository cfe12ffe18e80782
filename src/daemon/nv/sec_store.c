/*
 * DLMS invocation counters in an NV record store (sec_store.h).
 */
#include "nv/sec_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log/errf.h"

static void
put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4u; i++) {
        p[i] = (uint8_t)(v >> (8u * i));
    }
}

static uint32_t
get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static size_t
region_len(void)
{
    return mtr_nv_region_len(MTRD_SEC_STORE_LEN);
}

enum mtr_err
mtrd_sec_store_open(const char *path,
                    struct mtrd_sec_store *store,
                    uint32_t *tx_ic,
                    uint32_t *rx_ic,
                    char *err,
                    size_t err_cap)
{
    if (path == NULL || store == NULL || tx_ic == NULL || rx_ic == NULL) {
        return MTR_EINVAL;
    }
    char msg[512] = "";
    memset(store, 0, sizeof(*store));
    store->file.fd = -1;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) {
        uint8_t *image = calloc(1, region_len());
        if (image == NULL) {
            return MTR_ENOMEM;
        }
        enum mtr_err e = mtrd_nv_file_create(path, image, region_len(), msg, sizeof(msg));
        free(image);
        if (e != MTR_OK) {
            mtrd_errf(err, err_cap, "%s: cannot create: %s", path, msg);
            return e;
        }
    }
    enum mtr_err e = mtrd_nv_file_open(path, region_len(), &store->file, msg, sizeof(msg));
    if (e != MTR_OK) {
        mtrd_errf(err, err_cap, "%s", msg);
        return e;
    }
    e = mtr_nv_init(&store->nv, &store->file.ops, &store->file, MTRD_SEC_STORE_MAGIC,
                    MTRD_SEC_STORE_VERSION, MTRD_SEC_STORE_LEN);
    uint8_t buf[MTRD_SEC_STORE_LEN] = {0};
    uint32_t len = 0;
    uint16_t ver = 0;
    if (e == MTR_OK) {
        e = mtr_nv_load(&store->nv, buf, &len, &ver, NULL);
    }
    uint32_t tx = 0;
    uint32_t rx = 0;
    if (e == MTR_ENOENT) {
        e = MTR_OK; /* a new store: both counters start at 0 */
    } else if (e == MTR_OK && len != MTRD_SEC_STORE_LEN) {
        e = MTR_ECORRUPT;
    } else if (e == MTR_OK) {
        tx = get_le32(buf);
        rx = get_le32(buf + 4);
        if (tx > UINT32_MAX - MTRD_SEC_STORE_TX_MARGIN) {
            e = MTR_ERANGE;
        } else if (tx != 0u) {
            tx += MTRD_SEC_STORE_TX_MARGIN;
        }
    }
    if (e == MTR_OK) {
        store->is_open = true;
        e = mtrd_sec_store_commit(store, tx, rx);
    }
    if (e != MTR_OK) {
        mtrd_errf(err, err_cap, "%s: %s", path,
                  e == MTR_ERANGE ? "invocation counter exhausted: install new keys"
                                  : mtr_strerror(e));
        store->is_open = false;
        enum mtr_err ignored = mtrd_nv_file_close(&store->file);
        (void)ignored; /* the error above is the one reported */
        return e;
    }
    *tx_ic = tx;
    *rx_ic = rx;
    return MTR_OK;
}

enum mtr_err
mtrd_sec_store_commit(struct mtrd_sec_store *store, uint32_t tx_ic, uint32_t rx_ic)
{
    if (store == NULL || !store->is_open) {
        return MTR_EINVAL;
    }
    uint8_t buf[MTRD_SEC_STORE_LEN];
    put_le32(buf, tx_ic);
    put_le32(buf + 4, rx_ic);
    return mtr_nv_commit(&store->nv, buf, MTRD_SEC_STORE_LEN);
}

void
mtrd_sec_store_close(struct mtrd_sec_store *store)
{
    if (store == NULL || !store->is_open) {
        return;
    }
    store->is_open = false;
    enum mtr_err ignored = mtrd_nv_file_close(&store->file);
    (void)ignored; /* an msync error at exit: nothing left to do */
}
