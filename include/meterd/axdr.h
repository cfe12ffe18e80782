/*
 * A-XDR encoding of COSEM Data (IEC 61334-6, as used by IEC 62056-5-3 / 6-2).
 *
 * The writer appends tagged Data to a caller's buffer and never fails half-way:
 * a value that does not fit sets a sticky overflow flag, the length stops growing,
 * and mtr_axdr_w_status() reports MTR_ENOSPC once at the end. This keeps object
 * encoders free of error checks on every call.
 *
 * The reader walks tagged Data with an explicit offset. mtr_axdr_next() returns
 * one Data header (and the value of a simple type); arrays and structures give
 * their element count and their elements follow. mtr_axdr_skip() steps over one
 * complete Data, nesting bounded by MTR_AXDR_MAX_DEPTH. Bytes from the wire never
 * reach an assert: every malformed input is MTR_EPROTO, with the offset.
 *
 * Spec: IEC 62056-6-2:2017 4.1.5 (Data CHOICE, tags), IEC 61334-6 (A-XDR: length
 * octets, fixed-size integers big-endian), IEC 62056-5-3:2017 8.3 (xDLMS types).
 */
#ifndef METERD_AXDR_H
#define METERD_AXDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

/** Data CHOICE tags (IEC 62056-6-2 4.1.5). */
enum mtr_axdr_tag {
    MTR_AXDR_NULL = 0,
    MTR_AXDR_ARRAY = 1,
    MTR_AXDR_STRUCT = 2,
    MTR_AXDR_BOOL = 3,
    MTR_AXDR_BITSTRING = 4,
    MTR_AXDR_I32 = 5, /**< double-long */
    MTR_AXDR_U32 = 6, /**< double-long-unsigned */
    MTR_AXDR_OCTETS = 9,
    MTR_AXDR_VISIBLE = 10,
    MTR_AXDR_UTF8 = 12,
    MTR_AXDR_BCD = 13,
    MTR_AXDR_I8 = 15,  /**< integer */
    MTR_AXDR_I16 = 16, /**< long */
    MTR_AXDR_U8 = 17,  /**< unsigned */
    MTR_AXDR_U16 = 18, /**< long-unsigned */
    MTR_AXDR_COMPACT_ARRAY = 19,
    MTR_AXDR_I64 = 20, /**< long64 */
    MTR_AXDR_U64 = 21, /**< long64-unsigned */
    MTR_AXDR_ENUM = 22,
    MTR_AXDR_F32 = 23,      /**< float32 (IEEE 754 binary32, big-endian) */
    MTR_AXDR_F64 = 24,      /**< float64 */
    MTR_AXDR_DATETIME = 25, /**< date-time, 12 octets */
    MTR_AXDR_DATE = 26,     /**< date, 5 octets */
    MTR_AXDR_TIME = 27,     /**< time, 4 octets */
    MTR_AXDR_DONT_CARE = 255,
};

/** Deepest nesting of arrays/structures accepted by the reader (a profile buffer is 2:
 * array of structures; a calendar's season profile 3; 8 leaves room for any IC attribute). */
#define MTR_AXDR_MAX_DEPTH 8u

/** Octets of a COSEM date-time (IEC 62056-6-2 4.1.6.1). */
#define MTR_AXDR_DATETIME_LEN 12u

/** Writer over a caller's buffer. Fields are read-only for callers except through the API. */
struct mtr_axdr_w {
    uint8_t *buf;     /**< Caller's buffer (borrowed until the writer is dropped). */
    size_t cap;       /**< Capacity, bytes. */
    size_t len;       /**< Bytes written; never exceeds cap. */
    bool is_overflow; /**< Sticky: something did not fit. */
};

/**
 * Start writing into buf.
 * @param[out] w    Writer.
 * @param[in]  buf  Buffer, cap bytes (may be NULL when cap is 0: every write overflows).
 * @param[in]  cap  Capacity, bytes.
 */
void mtr_axdr_w_init(struct mtr_axdr_w *w, uint8_t *buf, size_t cap);

/**
 * Outcome of all writes so far.
 * @retval MTR_OK      Everything fit.
 * @retval MTR_ENOSPC  At least one write did not fit (w->len stopped before it).
 */
MTR_NODISCARD enum mtr_err mtr_axdr_w_status(const struct mtr_axdr_w *w);

/* Raw A-XDR pieces (no tag). */
void
mtr_axdr_put_raw(struct mtr_axdr_w *w, const uint8_t *p, size_t n); /**< n bytes as they are. */
void mtr_axdr_put_byte(struct mtr_axdr_w *w, uint8_t b);
/** A-XDR length: 0..127 in one octet, else 0x81/0x82/0x83/0x84 + big-endian length. */
void mtr_axdr_put_len(struct mtr_axdr_w *w, uint32_t n);
void mtr_axdr_put_be16(struct mtr_axdr_w *w, uint16_t v);
void mtr_axdr_put_be32(struct mtr_axdr_w *w, uint32_t v);
void mtr_axdr_put_be64(struct mtr_axdr_w *w, uint64_t v);

/* Tagged Data. */
void mtr_axdr_put_null(struct mtr_axdr_w *w);
/** array header: tag 1 + element count; the caller then writes count elements. */
void mtr_axdr_put_array(struct mtr_axdr_w *w, uint32_t count);
/** structure header: tag 2 + element count. */
void mtr_axdr_put_struct(struct mtr_axdr_w *w, uint32_t count);
void mtr_axdr_put_bool(struct mtr_axdr_w *w, bool v);
/** bit-string: nbits, then ceil(nbits/8) octets, first bit = MSB of bits[0]. */
void mtr_axdr_put_bitstring(struct mtr_axdr_w *w, const uint8_t *bits, uint32_t nbits);
void mtr_axdr_put_i8(struct mtr_axdr_w *w, int8_t v);
void mtr_axdr_put_i16(struct mtr_axdr_w *w, int16_t v);
void mtr_axdr_put_i32(struct mtr_axdr_w *w, int32_t v);
void mtr_axdr_put_i64(struct mtr_axdr_w *w, int64_t v);
void mtr_axdr_put_u8(struct mtr_axdr_w *w, uint8_t v);
void mtr_axdr_put_u16(struct mtr_axdr_w *w, uint16_t v);
void mtr_axdr_put_u32(struct mtr_axdr_w *w, uint32_t v);
void mtr_axdr_put_u64(struct mtr_axdr_w *w, uint64_t v);
void mtr_axdr_put_enum(struct mtr_axdr_w *w, uint8_t v);
void mtr_axdr_put_f32(struct mtr_axdr_w *w, float v);
void mtr_axdr_put_f64(struct mtr_axdr_w *w, double v);
/** octet-string: tag 9, length, bytes. */
void mtr_axdr_put_octets(struct mtr_axdr_w *w, const uint8_t *p, size_t n);
/** visible-string: tag 10, length, bytes (not NUL-terminated on the wire). */
void mtr_axdr_put_visible(struct mtr_axdr_w *w, const char *s, size_t n);
/** utf8-string: tag 12. */
void mtr_axdr_put_utf8(struct mtr_axdr_w *w, const char *s, size_t n);
/** A logical name: octet-string of 6 (the form every COSEM attribute 1 uses). */
void mtr_axdr_put_obis(struct mtr_axdr_w *w, const uint8_t obis[6]);

/** Patch a 1-byte element count written earlier at offset at (count <= 127): used when a
 * count is only known after the elements (e.g. rows selected by a visitor). */
void mtr_axdr_patch_u8(struct mtr_axdr_w *w, size_t at, uint8_t v);

/** Reader over received bytes. */
struct mtr_axdr_r {
    const uint8_t *p; /**< Bytes (borrowed). */
    size_t len;       /**< Bytes available. */
    size_t off;       /**< Next byte to read; on error, the offset of the bad byte. */
};

/** One Data header or simple value, as returned by mtr_axdr_next(). */
struct mtr_axdr_val {
    uint8_t tag; /**< enum mtr_axdr_tag. */
    /** ARRAY/STRUCT: element count; strings: length in bytes (bit-string: bits). */
    uint32_t count;
    int64_t i;        /**< Signed integers (I8..I64) and ENUM/U8..U32 as a convenience. */
    uint64_t u;       /**< Unsigned integers (U8..U64, ENUM, BOOL). */
    double f;         /**< F32/F64. */
    const uint8_t *s; /**< Strings and DATETIME/DATE/TIME: the content bytes (borrowed). */
};

/**
 * Start reading p.
 * @param[out] r  Reader.
 * @param[in]  p  Bytes, len of them (borrowed for the reader's use).
 */
void mtr_axdr_r_init(struct mtr_axdr_r *r, const uint8_t *p, size_t len);

/** Bytes left to read. */
size_t mtr_axdr_r_left(const struct mtr_axdr_r *r);

/* Raw reads; each returns MTR_OK, or MTR_EPROTO when the bytes run out (r->off unchanged). */
MTR_NODISCARD enum mtr_err mtr_axdr_get_byte(struct mtr_axdr_r *r, uint8_t *v);
MTR_NODISCARD enum mtr_err mtr_axdr_get_be16(struct mtr_axdr_r *r, uint16_t *v);
MTR_NODISCARD enum mtr_err mtr_axdr_get_be32(struct mtr_axdr_r *r, uint32_t *v);
MTR_NODISCARD enum mtr_err mtr_axdr_get_raw(struct mtr_axdr_r *r, size_t n, const uint8_t **p);
/**
 * A-XDR length.
 * @retval MTR_OK      *n set.
 * @retval MTR_EPROTO  Truncated, or a length form of more than 4 octets, or a length past the
 *                     bytes left (for lengths that prefix content).
 */
MTR_NODISCARD enum mtr_err mtr_axdr_get_len(struct mtr_axdr_r *r, uint32_t *n);

/**
 * Read one Data: its tag and, for simple types, its value; for ARRAY/STRUCT the count
 * (the elements follow and are read by further calls); for strings a pointer to the content,
 * which is consumed.
 * @param[in,out] r  Reader.
 * @param[out]    v  Value.
 * @retval MTR_OK       Read.
 * @retval MTR_EPROTO   Truncated, or a length past the end (r->off at the bad byte).
 * @retval MTR_ENOTSUP  A tag this codec does not know (COMPACT_ARRAY, reserved tags).
 * Context: any; no allocation.   Spec: IEC 62056-6-2 4.1.5.
 */
MTR_NODISCARD enum mtr_err mtr_axdr_next(struct mtr_axdr_r *r, struct mtr_axdr_val *v);

/**
 * Step over one complete Data (with all nested elements).
 * @retval MTR_OK       Skipped.
 * @retval MTR_EPROTO   Malformed, or nested deeper than MTR_AXDR_MAX_DEPTH.
 * @retval MTR_ENOTSUP  Unknown tag.
 */
MTR_NODISCARD enum mtr_err mtr_axdr_skip(struct mtr_axdr_r *r);

/* Typed reads of one Data with a check of its tag; MTR_EPROTO on a wrong tag or truncation.
 * Integer reads accept any integer tag whose value fits the target (a client may send
 * unsigned(5) where long-unsigned is defined); MTR_ERANGE when it does not fit. */
MTR_NODISCARD enum mtr_err
mtr_axdr_get_int(struct mtr_axdr_r *r, int64_t lo, int64_t hi, int64_t *v);
MTR_NODISCARD enum mtr_err mtr_axdr_get_bool(struct mtr_axdr_r *r, bool *v);
/** ARRAY (want_tag 1) or STRUCT (2) header; *count elements follow. */
MTR_NODISCARD enum mtr_err
mtr_axdr_get_seq(struct mtr_axdr_r *r, uint8_t want_tag, uint32_t *count);
/** octet-string (or visible/utf8 when tag says so): pointer and length, content consumed. */
MTR_NODISCARD enum mtr_err
mtr_axdr_get_str(struct mtr_axdr_r *r, uint8_t want_tag, const uint8_t **p, uint32_t *n);

#endif /* METERD_AXDR_H */
