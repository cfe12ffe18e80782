/*
 * Dispatch of mtrd_source_open() to the readers, and the common read/close.
 */
#include <stdio.h>

#include "sources/source.h"

enum mtr_err
mtrd_source_open(const struct mtrd_source_spec *spec,
                 struct mtrd_source **out,
                 char *err,
                 size_t err_cap)
{
    if (spec == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    switch (spec->type) {
    case MTRD_SOURCE_SYNTH:
        return mtrd_synth_open(spec, out, err, err_cap);
    case MTRD_SOURCE_COMTRADE:
        return mtrd_comtrade_open(spec, out, err, err_cap);
    case MTRD_SOURCE_MAT:
        return mtrd_mat_open(spec, out, err, err_cap);
    case MTRD_SOURCE_CSV:
        return mtrd_csv_open(spec, out, err, err_cap);
    case MTRD_SOURCE_RAW:
        return mtrd_raw_open(spec, out, err, err_cap);
    }
    if (err != NULL && err_cap > 0) {
        snprintf(err, err_cap, "unknown source type %d", (int)spec->type);
    }
    return MTR_EINVAL;
}

enum mtr_err
mtrd_source_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got)
{
    if (src == NULL || x == NULL || got == NULL) {
        return MTR_EINVAL;
    }
    return src->ops->read(src, x, max_samples, got);
}

void
mtrd_source_close(struct mtrd_source *src)
{
    if (src != NULL) {
        src->ops->close(src);
    }
}
