/*
 * libFuzzer target: bytes -> CSV sample source (through fmemopen, so the
 * seekable path with its first-pass row count runs too).
 *
 * Invariants checked, beyond the absence of crashes:
 * - every delivered sample is finite;
 * - when the source reaches MTR_EOF, the samples delivered equal the data lines
 *   counted here independently (non-blank lines after the first non-blank one),
 *   and equal info.sample_count;
 * - any failure leaves a non-empty message naming the file, and a read error
 *   stays: the next read returns the same code and delivers nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/csv_int.h"

#define FUZZ_NAME  "fuzz.csv"
/* Samples asked per read: small and odd, so batches end anywhere. */
#define FUZZ_BLOCK 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_blank_line(const uint8_t *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (b[k] != ' ' && b[k] != '\t' && b[k] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* Data lines: non-blank lines after the header (the first non-blank line). */
static uint64_t
count_data_lines(const uint8_t *data, size_t size)
{
    uint64_t n = 0;
    size_t start = 0;

    for (size_t k = 0; k <= size; k++) {
        if (k == size || data[k] == '\n') {
            if (k > start && !is_blank_line(data + start, k - start)) {
                n++;
            }
            start = k + 1;
        }
    }
    return n > 0 ? n - 1 : 0;
}

static void
check_msg(const char *msg)
{
    if (msg[0] == '\0' || strstr(msg, FUZZ_NAME) == NULL) {
        abort(); /* every failure must say where */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtrd_source_spec spec;
    struct mtrd_source *src = NULL;
    char err[MTRD_SOURCE_ERR_CAP] = "";
    float x[FUZZ_BLOCK * 2 * MTRD_SOURCE_MAX_PHASES];
    uint8_t *copy;
    FILE *f;
    uint64_t delivered = 0;
    enum mtr_err rc;

    if (size == 0) {
        return 0; /* fmemopen refuses an empty buffer */
    }
    copy = malloc(size);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    f = fmemopen(copy, size, "r");
    if (f == NULL) {
        free(copy);
        return 0;
    }
    memset(&spec, 0, sizeof(spec));
    spec.fs_Hz = (size & 1u) ? 1000.0 : 0.0; /* half the inputs without a given rate */
    rc = mtrd_csv_open_stream(f, FUZZ_NAME, &spec, &src, err, sizeof(err));
    if (rc != MTR_OK) {
        if (src != NULL) {
            abort();
        }
        check_msg(err);
        free(copy);
        return 0;
    }
    size_t ch = 2u * src->info.phase_count;
    if (src->info.phase_count < 1 || src->info.phase_count > MTRD_SOURCE_MAX_PHASES ||
        !(src->info.fs_Hz > 0.0)) {
        abort();
    }
    for (;;) {
        size_t got = 0;
        rc = src->ops->read(src, x, FUZZ_BLOCK, &got);
        if (rc != MTR_OK) {
            break;
        }
        if (got == 0 || got > FUZZ_BLOCK) {
            abort();
        }
        for (size_t k = 0; k < got * ch; k++) {
            float v = x[k];
            if (v != v || v - v != 0.0f) {
                abort(); /* NaN or infinite */
            }
        }
        delivered += got;
    }
    if (rc == MTR_EOF) {
        if (delivered != count_data_lines(data, size) || delivered != src->info.sample_count) {
            abort();
        }
    } else {
        size_t got = 1;
        check_msg(src->err);
        if (src->ops->read(src, x, FUZZ_BLOCK, &got) != rc || got != 0) {
            abort();
        }
    }
    src->ops->close(src);
    free(copy);
    return 0;
}
