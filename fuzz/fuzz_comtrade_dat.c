/*
 * Fuzz target: bytes as a COMTRADE .dat under a fixed small cfg.
 *
 * The first byte picks the file type (ASCII, BINARY, BINARY32, FLOAT32), whether
 * nrates is 1 or 0 (time base from the timestamps) and secondary delivery; the rest
 * is the .dat, given to the source through fmemopen(). The cfg's endsamp is set
 * from the data length so the decoders, not the count check, see most inputs.
 * Invariants: every delivered sample is finite; a source never delivers more than
 * sample_count samples and delivers exactly that many when it reaches MTR_EOF; an
 * error leaves a message naming the .dat (or the .cfg); no leak on any path.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/comtrade_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ft_names[] = {"ASCII", "BINARY", "BINARY32", "FLOAT32"};

/* Records of the fixed cfg: 3 analog (kV, A, mV) + 17 digital channels (2 words). */
static size_t
count_records(enum mtrd_comtrade_ft ft, const uint8_t *d, size_t n)
{
    static const size_t rec_len[] = {0, 8 + 3 * 2 + 4, 8 + 3 * 4 + 4, 8 + 3 * 4 + 4};
    size_t lines = 0;
    int is_blank = 1;

    if (ft != MTRD_COMTRADE_ASCII) {
        return n / rec_len[ft];
    }
    for (size_t i = 0; i <= n; i++) {
        if (i == n || d[i] == '\n') {
            lines += is_blank ? 0u : 1u;
            is_blank = 1;
        } else if (d[i] != ' ' && d[i] != '\r' && d[i] != '\t') {
            is_blank = 0;
        }
    }
    return lines;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char cfg_text[1024];
    struct mtrd_comtrade_cfg cfg;
    struct mtrd_source_spec spec;
    struct mtrd_source *src = NULL;
    char err[MTRD_SOURCE_ERR_CAP] = "";
    enum mtrd_comtrade_ft ft;
    int is_nrates0;
    size_t records;
    uint8_t *copy;
    FILE *dat;
    int n;

    if (size < 2) {
        return 0;
    }
    ft = (enum mtrd_comtrade_ft)(data[0] & 3u);
    is_nrates0 = (data[0] >> 2) & 1u;
    records = count_records(ft, data + 1, size - 1u);
    n = snprintf(cfg_text, sizeof(cfg_text),
                 "Fuzz,dev,2013\n20,3A,17D\n"
                 "1,Ua,A,X,kV,0.001,0,0,-32767,32767,20,0.1,P\n"
                 "2,Ia,A,X,A,0.01,0.5,0,-32767,32767,100,5,S\n"
                 "3,Ub,,X,mV,1,0,0,-32767,32767,1,1,P\n"
                 "1,D1,,,0\n2,D2,,,0\n3,D3,,,0\n4,D4,,,0\n5,D5,,,0\n6,D6,,,0\n7,D7,,,0\n"
                 "8,D8,,,0\n9,D9,,,0\n10,D10,,,0\n11,D11,,,0\n12,D12,,,0\n13,D13,,,0\n"
                 "14,D14,,,0\n15,D15,,,0\n16,D16,,,0\n17,D17,,,1\n"
                 "50\n%d\n%s,%zu\n01/01/2024,00:00:00.000000\n01/01/2024,00:00:00.000000\n"
                 "%s\n2.5\n+1,+1\n0,0\n",
                 is_nrates0 ? 0 : 1, is_nrates0 ? "0" : "4000", records, ft_names[ft]);
    if (n <= 0 || (size_t)n >= sizeof(cfg_text)) {
        abort();
    }
    if (mtrd_comtrade_parse_cfg(cfg_text, (size_t)n, "fuzz.cfg", &cfg, err, sizeof(err)) !=
        MTR_OK) {
        abort(); /* the fixed cfg is valid */
    }
    copy = malloc(size); /* fmemopen needs a writable buffer and size > 0 */
    if (copy == NULL) {
        mtrd_comtrade_cfg_free(&cfg);
        return 0;
    }
    memcpy(copy, data + 1, size - 1u);
    dat = fmemopen(copy, size - 1u, "rb");
    if (dat == NULL) {
        mtrd_comtrade_cfg_free(&cfg);
        free(copy);
        return 0;
    }
    memset(&spec, 0, sizeof(spec));
    spec.is_secondary = (data[0] >> 3) & 1u;
    spec.u_name[0][0] = (data[0] & 0x10u) ? 'U' : '\0';
    if (spec.u_name[0][0] != '\0') {
        memcpy(spec.u_name[0], "Ub", 3);
        memcpy(spec.i_name[0], "Ia", 3);
    }
    if (mtrd_comtrade_open_stream(&spec, &cfg, dat, "fuzz.cfg", "fuzz.dat", &src, err,
                                  sizeof(err)) == MTR_OK) {
        float x[64 * 2];
        size_t got;
        uint64_t total = 0;
        enum mtr_err rc;
        while ((rc = src->ops->read(src, x, 64, &got)) == MTR_OK) {
            for (size_t k = 0; k < got * 2u * src->info.phase_count; k++) {
                if (!isfinite(x[k])) {
                    abort();
                }
            }
            total += got;
            if (got == 0 || total > src->info.sample_count) {
                abort();
            }
        }
        if ((rc == MTR_EOF && total != src->info.sample_count) ||
            (rc != MTR_EOF && strstr(src->err, "fuzz.dat") == NULL)) {
            abort();
        }
        if (!(src->info.fs_Hz > 0.0) || !isfinite(src->info.fs_Hz)) {
            abort();
        }
        src->ops->close(src);
    } else if (strstr(err, "fuzz.") == NULL) {
        abort();
    }
    if (cfg.analog != NULL) {
        abort(); /* ownership moved on every path */
    }
    free(copy);
    return 0;
}
