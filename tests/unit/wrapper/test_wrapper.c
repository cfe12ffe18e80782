/*
 * IEC 62056-47 wrapper (wrapper.h) against captures of real peers read in place from
 * ../shared/data/dlms: the 17 wrapper vectors of vectors.json (header fields as their
 * `expected` text states them, re-encoding byte-identical), and the client/server
 * transcripts session-gurux-wrapper.txt and session-gurux-vs-opendlms.txt replayed as one TCP
 * stream per direction in three chunkings (whole, byte by byte, 7-byte pieces): every PDU
 * comes out with the right ports and length, in order, and none is lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "meterd/wrapper.h"

static const char *g_dir;

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s != '\0'; s++) {
        int v = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                                         : -1;
        if (v < 0) {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else if (n < cap) {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static char *
slurp(const char *name)
{
    char path[1024];
    (void)snprintf(path, sizeof(path), "%s/%s", g_dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("%s: cannot open", path);
    }
    static char buf[4000000];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void
test_vectors(void **state)
{
    (void)state;
    cJSON *root = cJSON_Parse(slurp("vectors.json"));
    assert_non_null(root);
    unsigned checked = 0;
    cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(root, "vectors"))
    {
        const char *cat = cJSON_GetStringValue(cJSON_GetObjectItem(v, "category"));
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(v, "id"));
        if (cat == NULL || strcmp(cat, "wrapper") != 0) {
            continue;
        }
        static uint8_t b[8192];
        size_t n = unhex(cJSON_GetStringValue(cJSON_GetObjectItem(v, "hex")), b, sizeof(b));
        struct mtr_wrap w;
        mtr_wrap_init(&w);
        size_t used = 0;
        struct mtr_wrap_pdu pdu;
        enum mtr_err e = mtr_wrap_feed(&w, b, n, &used, &pdu);
        if (e != MTR_OK || used != n || pdu.apdu_len != n - 8u) {
            fail_msg("%s: feed gave %d, used %zu of %zu", id, e, used, n);
        }
        /* wPorts: a client (0x10/0x11/0x01) talks to server 1 or the reverse */
        bool to_server = pdu.dst == 1u && (pdu.src == 0x10u || pdu.src == 0x01u);
        bool to_client = pdu.src == 1u && (pdu.dst == 0x10u || pdu.dst == 0x01u);
        if (!to_server && !to_client) {
            fail_msg("%s: ports %u -> %u", id, pdu.src, pdu.dst);
        }
        const char *exp = cJSON_GetStringValue(cJSON_GetObjectItem(v, "expected"));
        if (exp != NULL && strstr(exp, "length 31") != NULL) {
            assert_int_equal(pdu.apdu_len, 31);
            assert_int_equal(pdu.src, 0x10);
        }
        static uint8_t re[8192];
        size_t rl = 0;
        assert_int_equal(
            mtr_wrap_encode(pdu.src, pdu.dst, pdu.apdu, pdu.apdu_len, re, sizeof(re), &rl), MTR_OK);
        if (rl != n || memcmp(re, b, n) != 0) {
            fail_msg("%s: re-encoding differs", id);
        }
        assert_int_equal(mtr_wrap_encode(pdu.src, pdu.dst, pdu.apdu, pdu.apdu_len, re, n - 1u, &rl),
                         MTR_ENOSPC);
        checked++;
    }
    cJSON_Delete(root);
    assert_int_equal(checked, 17);
}

/* One direction of a transcript as a byte stream, and the PDUs it holds. */
struct stream {
    uint8_t bytes[200000];
    size_t len;
    size_t pdu_len[512];
    size_t n_pdu;
};

static void
load_stream(const char *name, const char *dir_tag, struct stream *s)
{
    char *text = slurp(name);
    s->len = 0;
    s->n_pdu = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, dir_tag, 2) != 0) {
            continue;
        }
        size_t n = unhex(line + 3, s->bytes + s->len, sizeof(s->bytes) - s->len);
        s->pdu_len[s->n_pdu++] = n;
        s->len += n;
    }
}

static void
replay(const char *name, const char *dir_tag, size_t chunk)
{
    static struct stream s;
    load_stream(name, dir_tag, &s);
    assert_true(s.n_pdu > 3u);
    struct mtr_wrap w;
    mtr_wrap_init(&w);
    size_t pos = 0;
    size_t got = 0;
    size_t expect_off = 0;
    while (pos < s.len) {
        size_t n = chunk == 0u || chunk > s.len - pos ? s.len - pos : chunk;
        size_t off = 0;
        while (off < n) {
            size_t used = 0;
            struct mtr_wrap_pdu pdu;
            enum mtr_err e = mtr_wrap_feed(&w, s.bytes + pos + off, n - off, &used, &pdu);
            off += used;
            if (e == MTR_EAGAIN) {
                break;
            }
            if (e != MTR_OK) {
                fail_msg("%s %s chunk %zu: PDU %zu: %s", name, dir_tag, chunk, got,
                         mtr_strerror(e));
            }
            if (got >= s.n_pdu || pdu.apdu_len + 8u != s.pdu_len[got] ||
                memcmp(pdu.apdu, s.bytes + expect_off + 8u, pdu.apdu_len) != 0) {
                fail_msg("%s %s chunk %zu: PDU %zu differs", name, dir_tag, chunk, got);
            }
            expect_off += s.pdu_len[got];
            got++;
        }
        pos += n;
    }
    if (got != s.n_pdu) {
        fail_msg("%s %s chunk %zu: %zu PDUs of %zu", name, dir_tag, chunk, got, s.n_pdu);
    }
}

static void
test_sessions(void **state)
{
    (void)state;
    static const char *const files[] = {"session-gurux-wrapper.txt",
                                        "session-gurux-vs-opendlms.txt"};
    static const char *const dirs[] = {"TX", "RX"};
    static const size_t chunks[] = {0, 1, 7};
    for (size_t f = 0; f < 2u; f++) {
        for (size_t d = 0; d < 2u; d++) {
            for (size_t c = 0; c < 3u; c++) {
                replay(files[f], dirs[d], chunks[c]);
            }
        }
    }
}

static void
test_errors(void **state)
{
    (void)state;
    struct mtr_wrap w;
    struct mtr_wrap_pdu pdu;
    size_t used = 0;
    static const uint8_t bad_version[] = {0x00, 0x02, 0x00, 0x10, 0x00, 0x01, 0x00, 0x01, 0x60};
    mtr_wrap_init(&w);
    assert_int_equal(mtr_wrap_feed(&w, bad_version, sizeof(bad_version), &used, &pdu), MTR_EPROTO);
    static const uint8_t too_long[] = {0x00, 0x01, 0x00, 0x10, 0x00, 0x01, 0xFF, 0xFF};
    mtr_wrap_init(&w);
    assert_int_equal(mtr_wrap_feed(&w, too_long, sizeof(too_long), &used, &pdu), MTR_ENOSPC);
    static const uint8_t empty[] = {0x00, 0x01, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00};
    mtr_wrap_init(&w);
    assert_int_equal(mtr_wrap_feed(&w, empty, sizeof(empty), &used, &pdu), MTR_OK);
    assert_int_equal(pdu.apdu_len, 0);
    assert_int_equal(mtr_wrap_feed(&w, empty, 5, &used, &pdu), MTR_EAGAIN);
    assert_int_equal(used, 5);
}

int
main(int argc, char **argv)
{
    g_dir = argc > 1 ? argv[1] : "../shared/data/dlms";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
