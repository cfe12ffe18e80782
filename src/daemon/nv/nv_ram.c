/*
 * An NV region in RAM (nv_ram.h).
 */
#include "nv/nv_ram.h"

#include <string.h>

static enum mtr_err
ram_read(void *ctx, size_t off, void *buf, size_t len)
{
    const struct mtrd_nv_ram *r = ctx;
    if (off > r->len || len > r->len - off) {
        return MTR_EIO;
    }
    memcpy(buf, r->mem + off, len);
    return MTR_OK;
}

static enum mtr_err
ram_write(void *ctx, size_t off, const void *buf, size_t len)
{
    struct mtrd_nv_ram *r = ctx;
    if (off > r->len || len > r->len - off) {
        return MTR_EIO;
    }
    memcpy(r->mem + off, buf, len);
    return MTR_OK;
}

static enum mtr_err
ram_sync(void *ctx, size_t off, size_t len)
{
    (void)ctx; /* RAM: nothing to make durable; the image is written to its file whole */
    (void)off;
    (void)len;
    return MTR_OK;
}

const struct mtr_nv_ops mtrd_nv_ram_ops = {
    .read = ram_read,
    .write = ram_write,
    .sync = ram_sync,
};
