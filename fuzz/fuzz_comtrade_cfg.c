/*
 * Fuzz target: bytes as COMTRADE .cfg text.
 *
 * Invariants: a failed parse leaves the struct zeroed with nothing allocated
 * (LeakSanitizer catches leaks); a successful parse writes back to text that
 * parses to an equal structure, and writing that again gives identical bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/comtrade_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_zero(const struct mtrd_comtrade_cfg *c)
{
    static const struct mtrd_comtrade_cfg zero;

    return memcmp(c, &zero, sizeof(zero)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtrd_comtrade_cfg *a = malloc(sizeof(*a));
    struct mtrd_comtrade_cfg *b = malloc(sizeof(*b));
    char err[256];
    char *out = NULL;
    char *out2 = NULL;
    size_t len = 0;
    size_t len2 = 0;

    if (a == NULL || b == NULL) {
        goto out;
    }
    if (mtrd_comtrade_parse_cfg((const char *)data, size, "fuzz.cfg", a, err, sizeof(err)) !=
        MTR_OK) {
        if (!is_zero(a) || strstr(err, "fuzz.cfg") == NULL) {
            abort(); /* partial state after an error, or a message without the file */
        }
        goto out;
    }
    if (mtrd_comtrade_write_cfg(a, NULL, 0, &len) != MTR_ENOSPC) {
        abort();
    }
    out = malloc(len + 1u);
    out2 = malloc(len + 1u);
    if (out == NULL || out2 == NULL) {
        goto out_a;
    }
    if (mtrd_comtrade_write_cfg(a, out, len + 1u, &len2) != MTR_OK || len2 != len) {
        abort();
    }
    if (mtrd_comtrade_parse_cfg(out, len, "again.cfg", b, err, sizeof(err)) != MTR_OK ||
        !mtrd_comtrade_cfg_equal(a, b)) {
        abort(); /* parse -> write -> parse must give the same structure */
    }
    if (mtrd_comtrade_write_cfg(b, out2, len + 1u, &len2) != MTR_OK || len2 != len ||
        memcmp(out, out2, len) != 0) {
        abort();
    }
    mtrd_comtrade_cfg_free(b);
out_a:
    mtrd_comtrade_cfg_free(a);
out:
    free(out);
    free(out2);
    free(a);
    free(b);
    return 0;
}
