/*
 * Reading catalogue entries out of a snapshot, and the native Modbus image.
 *
 * Values come out in two forms: a double in the entry's base unit (reports,
 * JSON), and an integer at the entry's scale (Modbus, DLMS), computed without a
 * detour through floating point for the 64-bit energy registers so nothing is
 * lost above 2^53 micro-units. The Modbus image encoder lays every entry out at
 * its fixed address, big-endian, high word first (ABCD).
 */
#include <stdint.h>
#include <string.h>

#include "meterd/cat.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"

/* Powers of ten for scalers; |scaler| and 6 + scaler stay within 0..18 (int64). */
#define CAT_POW10_MAX 18
static const int64_t cat_pow10_i[CAT_POW10_MAX + 1] = {1,
                                                       10,
                                                       100,
                                                       1000,
                                                       10000,
                                                       100000,
                                                       1000000,
                                                       10000000,
                                                       100000000,
                                                       1000000000,
                                                       10000000000,
                                                       100000000000,
                                                       1000000000000,
                                                       10000000000000,
                                                       100000000000000,
                                                       1000000000000000,
                                                       10000000000000000,
                                                       100000000000000000,
                                                       1000000000000000000};

/* Largest double magnitude that converts to int64 without overflow (2^63 - 1024). */
#define CAT_I64_DOUBLE_MAX 9223372036854774784.0

/* Micro-units per unit of the energy registers (reg.h). */
#define CAT_MICRO 1000000.0

/* Bytes of an IEEE 754 single. */
#define CAT_F32_SIZE 4u

static bool
cat_entry_ok(const struct mtr_cat_entry *e)
{
    if (e->src >= MTR_CAT_SRC_COUNT || e->mb >= MTR_CAT_MB_COUNT) {
        return false;
    }
    if (e->scaler < -CAT_POW10_MAX || e->scaler > CAT_POW10_MAX - 6) {
        return false;
    }
    switch (e->src) {
    case MTR_CAT_SRC_PHASE_F32:
        return e->phase < MTR_CFG_MAX_PHASES &&
               (size_t)e->off + CAT_F32_SIZE <= sizeof(struct mtr_metro_phase);
    case MTR_CAT_SRC_TOTAL_F32:
        return (size_t)e->off + CAT_F32_SIZE <= sizeof(struct mtr_metro_total);
    case MTR_CAT_SRC_FRAME_F32:
        return (size_t)e->off + CAT_F32_SIZE <= sizeof(struct mtr_metro_frame);
    case MTR_CAT_SRC_REG:
        return e->phase < MTR_REG_CHAN_COUNT && e->index < MTR_REG_KIND_COUNT;
    case MTR_CAT_SRC_NET:
        return e->phase < MTR_REG_CHAN_COUNT;
    case MTR_CAT_SRC_TARIFF_REG:
        return e->phase < MTR_APP_TARIFFS && e->index < MTR_REG_KIND_COUNT;
    case MTR_CAT_SRC_APP_U8:
        return (size_t)e->off + 1u <= sizeof(struct mtr_app_state);
    case MTR_CAT_SRC_APP_U32:
        return (size_t)e->off + 4u <= sizeof(struct mtr_app_state);
    case MTR_CAT_SRC_APP_MILLI:
    case MTR_CAT_SRC_APP_MICRO:
    case MTR_CAT_SRC_APP_TIME:
        return (size_t)e->off + 8u <= sizeof(struct mtr_app_state);
    case MTR_CAT_SRC_DEM_CUR:
        return e->index < MTR_DEM_COUNT;
    case MTR_CAT_SRC_BALANCE:
        return e->phase <= 1u && (e->index == MTR_REG_A_IMP || e->index == MTR_REG_R_IMP);
    default:
        return true;
    }
}

/* Read the float at byte offset off of an object (offsets come from offsetof()). */
static float
cat_f32_at(const void *base, uint16_t off)
{
    float v;
    memcpy(&v, (const unsigned char *)base + off, sizeof(v));
    return v;
}

static float
cat_f32(const struct mtr_cat_entry *e, const struct mtr_snapshot *s)
{
    switch (e->src) {
    case MTR_CAT_SRC_PHASE_F32:
        return cat_f32_at(&s->frame.ph[e->phase], e->off);
    case MTR_CAT_SRC_TOTAL_F32:
        return cat_f32_at(&s->frame.total, e->off);
    default:
        return cat_f32_at(&s->frame, e->off);
    }
}

static bool
cat_src_is_f32(uint8_t src)
{
    return src == MTR_CAT_SRC_PHASE_F32 || src == MTR_CAT_SRC_TOTAL_F32 ||
           src == MTR_CAT_SRC_FRAME_F32;
}

/* Integer (non-float) sources as an unscaled count: micro-units, us, or a plain number. */
static int64_t
cat_raw_int(const struct mtr_cat_entry *e, const struct mtr_snapshot *s)
{
    switch (e->src) {
    case MTR_CAT_SRC_REG:
        return s->reg.e_u[e->phase][e->index];
    case MTR_CAT_SRC_NET:
        return s->reg.e_u[e->phase][MTR_REG_A_IMP] - s->reg.e_u[e->phase][MTR_REG_A_EXP];
    case MTR_CAT_SRC_SEQ:
        return (int64_t)(s->frame.seq & (uint64_t)INT64_MAX);
    case MTR_CAT_SRC_VALID:
        return s->is_valid ? 1 : 0;
    case MTR_CAT_SRC_PHASE_SEQ:
        return (int64_t)s->frame.seq_order;
    case MTR_CAT_SRC_MISSING:
        return (int64_t)s->frame.missing_mask;
    case MTR_CAT_SRC_TIME:
        return (int64_t)(s->t_us & (uint64_t)INT64_MAX);
    case MTR_CAT_SRC_TARIFF_REG:
        return s->app.tar_u[e->phase][e->index];
    case MTR_CAT_SRC_APP_U8: {
        uint8_t v;
        memcpy(&v, (const unsigned char *)&s->app + e->off, sizeof(v));
        return v;
    }
    case MTR_CAT_SRC_APP_U32: {
        uint32_t v;
        memcpy(&v, (const unsigned char *)&s->app + e->off, sizeof(v));
        return v;
    }
    case MTR_CAT_SRC_APP_MILLI:
    case MTR_CAT_SRC_APP_MICRO:
    case MTR_CAT_SRC_APP_TIME: {
        int64_t v;
        memcpy(&v, (const unsigned char *)&s->app + e->off, sizeof(v));
        return v;
    }
    case MTR_CAT_SRC_DEM_CUR:
        return s->dem_cur_mW[e->index];
    case MTR_CAT_SRC_BALANCE: {
        const int64_t *r = e->phase == 0u ? s->reg.e_u[MTR_REG_TOTAL] : s->app.partial.e_u[0];
        return r[e->index] - r[e->index + 1u];
    }
    default:
        return (int64_t)MTR_CAT_MAP_VERSION;
    }
}

/* Decimal exponent of a source's raw integer: raw x 10^exp is the value in the base unit. */
static int
cat_raw_exp(uint8_t src)
{
    switch (src) {
    case MTR_CAT_SRC_REG:
    case MTR_CAT_SRC_NET:
    case MTR_CAT_SRC_BALANCE:
    case MTR_CAT_SRC_TIME:
    case MTR_CAT_SRC_TARIFF_REG:
    case MTR_CAT_SRC_APP_MICRO:
    case MTR_CAT_SRC_APP_TIME:
        return -6;
    case MTR_CAT_SRC_APP_MILLI:
    case MTR_CAT_SRC_DEM_CUR:
        return -3;
    default:
        return 0;
    }
}

enum mtr_err
mtr_cat_value(const struct mtr_cat_entry *e, const struct mtr_snapshot *s, double *value)
{
    if (e == NULL || s == NULL || value == NULL || !cat_entry_ok(e)) {
        return MTR_EINVAL;
    }
    if (cat_src_is_f32(e->src)) {
        *value = (double)cat_f32(e, s);
        return MTR_OK;
    }
    int x = cat_raw_exp(e->src);
    *value = (double)cat_raw_int(e, s);
    if (x == -6) {
        *value /= CAT_MICRO;
    } else if (x == -3) {
        *value /= 1e3;
    }
    return MTR_OK;
}

/* round(v / 10^scaler), half away from zero; false when not finite or out of int64. */
static bool
cat_scale_round(double v, int8_t scaler, int64_t *out)
{
    double x = v;
    if (scaler < -18 || scaler > 18) {
        return false; /* beyond the table of powers of ten (and of int64) */
    }
    if (scaler < 0) {
        x = v * (double)cat_pow10_i[-scaler];
    } else if (scaler > 0) {
        x = v / (double)cat_pow10_i[scaler];
    }
    /* NaN fails both comparisons; infinities fail one. */
    if (!(x > -CAT_I64_DOUBLE_MAX && x < CAT_I64_DOUBLE_MAX)) {
        return false;
    }
    x += (x >= 0.0) ? 0.5 : -0.5;
    if (!(x > -CAT_I64_DOUBLE_MAX && x < CAT_I64_DOUBLE_MAX)) {
        return false;
    }
    *out = (int64_t)x;
    return true;
}

enum mtr_err
mtr_cat_value_int(const struct mtr_cat_entry *e, const struct mtr_snapshot *s, int64_t *value)
{
    if (e == NULL || s == NULL || value == NULL || !cat_entry_ok(e)) {
        return MTR_EINVAL;
    }
    if (cat_src_is_f32(e->src)) {
        int64_t v;
        if (!cat_scale_round((double)cat_f32(e, s), e->scaler, &v)) {
            return MTR_ERANGE;
        }
        *value = v;
        return MTR_OK;
    }
    switch (e->src) {
    case MTR_CAT_SRC_REG:
    case MTR_CAT_SRC_TIME:
    case MTR_CAT_SRC_TARIFF_REG:
    case MTR_CAT_SRC_APP_MILLI:
    case MTR_CAT_SRC_APP_MICRO:
    case MTR_CAT_SRC_APP_TIME:
    case MTR_CAT_SRC_DEM_CUR: {
        /* raw x 10^exp -> 10^scaler units: divide by 10^(scaler - exp) */
        int p = e->scaler - cat_raw_exp(e->src);
        if (p < 0) {
            return MTR_EINVAL;
        }
        *value = cat_raw_int(e, s) / cat_pow10_i[p];
        return MTR_OK;
    }
    case MTR_CAT_SRC_NET: {
        int p = 6 + e->scaler;
        if (p < 0) {
            return MTR_EINVAL;
        }
        /* difference of the truncated registers: net == +A - -A exactly */
        *value = s->reg.e_u[e->phase][MTR_REG_A_IMP] / cat_pow10_i[p] -
                 s->reg.e_u[e->phase][MTR_REG_A_EXP] / cat_pow10_i[p];
        return MTR_OK;
    }
    case MTR_CAT_SRC_BALANCE: {
        int p = 6 + e->scaler;
        if (p < 0) {
            return MTR_EINVAL;
        }
        /* as NET: the difference of the two published (truncated) registers */
        const int64_t *r = e->phase == 0u ? s->reg.e_u[MTR_REG_TOTAL] : s->app.partial.e_u[0];
        *value = r[e->index] / cat_pow10_i[p] - r[e->index + 1u] / cat_pow10_i[p];
        return MTR_OK;
    }
    default:
        *value = cat_raw_int(e, s);
        return MTR_OK;
    }
}

const struct mtr_cat_entry *
mtr_cat_find(const char *name)
{
    size_t count = 0;
    const struct mtr_cat_entry *t = mtr_cat_entries(&count);
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(t[i].name, name) == 0) {
            return &t[i];
        }
    }
    return NULL;
}

/* Append the decimal digits of v (0..255) to out at *pos; false when it does not fit. */
static bool
cat_put_u8(char *out, size_t out_cap, size_t *pos, uint8_t v)
{
    char digits[3];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v = (uint8_t)(v / 10u);
    } while (v != 0u);
    if (*pos + n >= out_cap) {
        return false;
    }
    while (n > 0u) {
        out[(*pos)++] = digits[--n];
    }
    return true;
}

static bool
cat_put_ch(char *out, size_t out_cap, size_t *pos, char c)
{
    if (*pos + 1u >= out_cap) {
        return false;
    }
    out[(*pos)++] = c;
    return true;
}

enum mtr_err
mtr_cat_obis_str(const struct mtr_cat_entry *e, char *out, size_t out_cap)
{
    /* "A-B:C.D.E*F": separators after value groups A..E */
    static const char sep[5] = {'-', ':', '.', '.', '*'};
    size_t pos = 0;
    if (e == NULL || out == NULL) {
        return MTR_EINVAL;
    }
    if (out_cap == 0u) {
        return MTR_ENOSPC;
    }
    for (size_t i = 0; i < 6u; i++) {
        if (!cat_put_u8(out, out_cap, &pos, e->obis[i]) ||
            (i < 5u && !cat_put_ch(out, out_cap, &pos, sep[i]))) {
            out[0] = '\0';
            return MTR_ENOSPC;
        }
    }
    out[pos] = '\0';
    return MTR_OK;
}

uint16_t
mtr_cat_mb_int_regs(const struct mtr_cat_entry *e)
{
    if (e == NULL) {
        return 0;
    }
    switch (e->mb) {
    case MTR_CAT_MB_S32:
    case MTR_CAT_MB_U32:
        return 2;
    case MTR_CAT_MB_U64:
    case MTR_CAT_MB_S64:
    case MTR_CAT_MB_T64:
        return 4;
    default:
        return 0;
    }
}

bool
mtr_cat_mb_has_float(const struct mtr_cat_entry *e)
{
    return e != NULL &&
           (e->mb == MTR_CAT_MB_S32 || e->mb == MTR_CAT_MB_U64 || e->mb == MTR_CAT_MB_S64);
}

/* Store the low `words` 16-bit words of v at regs[addr..], most significant first. */
static void
cat_put_words(uint16_t *regs, uint16_t addr, uint64_t v, uint16_t words)
{
    for (uint16_t i = 0; i < words; i++) {
        unsigned shift = 16u * (unsigned)(words - 1u - i);
        regs[addr + i] = (uint16_t)((v >> shift) & 0xFFFFu);
    }
}

static void
cat_put_f32(uint16_t *regs, uint16_t addr, float f)
{
    uint32_t bits;
    _Static_assert(sizeof(float) == sizeof(uint32_t), "IEEE 754 single expected");
    memcpy(&bits, &f, sizeof(bits));
    cat_put_words(regs, addr, bits, 2);
}

static void
cat_encode_entry(const struct mtr_cat_entry *e, const struct mtr_snapshot *s, uint16_t *regs)
{
    int64_t iv = 0;
    bool is_ok = (mtr_cat_value_int(e, s, &iv) == MTR_OK);
    uint16_t words = mtr_cat_mb_int_regs(e);
    if (e->mb == MTR_CAT_MB_S32 && (!is_ok || iv < INT32_MIN || iv > INT32_MAX)) {
        iv = MTR_CAT_MB_S32_NA;
    }
    /* Two's complement of signed values: the conversion to uint64_t is modulo 2^64. */
    cat_put_words(regs, e->mb_addr, (uint64_t)iv, words);
    if (mtr_cat_mb_has_float(e)) {
        double v = 0.0;
        uint16_t faddr = (uint16_t)(e->mb_addr + MTR_CAT_MB_FLOAT_OFFSET);
        if (mtr_cat_value(e, s, &v) != MTR_OK) {
            v = 0.0;
        }
        if (e->mb != MTR_CAT_MB_S32) {
            v /= 1000.0; /* Wh -> kWh (varh -> kvarh, VAh -> kVAh) */
        }
        cat_put_f32(regs, faddr, (float)v);
    }
}

enum mtr_err
mtr_cat_mb_encode(const struct mtr_snapshot *s, uint16_t *regs, size_t reg_count)
{
    static const struct mtr_snapshot empty; /* zero: no frame yet, is_valid false */
    size_t count = 0;
    const struct mtr_cat_entry *t = mtr_cat_entries(&count);
    if (regs == NULL) {
        return MTR_EINVAL;
    }
    if (reg_count < MTR_CAT_MB_REG_COUNT) {
        return MTR_ENOSPC;
    }
    if (s == NULL) {
        s = &empty;
    }
    memset(regs, 0, MTR_CAT_MB_REG_COUNT * sizeof(regs[0]));
    for (size_t i = 0; i < count; i++) {
        uint16_t words = mtr_cat_mb_int_regs(&t[i]);
        uint32_t end = (uint32_t)t[i].mb_addr + words;
        if (mtr_cat_mb_has_float(&t[i])) {
            end = (uint32_t)t[i].mb_addr + MTR_CAT_MB_FLOAT_OFFSET + 2u;
        }
        /* The table is checked by the unit tests; a bad row is skipped, never written. */
        MTR_ASSERT(words != 0u && end <= MTR_CAT_MB_REG_COUNT);
        if (words == 0u || end > MTR_CAT_MB_REG_COUNT) {
            continue;
        }
        cat_encode_entry(&t[i], s, regs);
    }
    return MTR_OK;
}

const char *
mtr_cat_unit_str(uint8_t unit)
{
    switch (unit) {
    case MTR_CAT_UNIT_S:
        return "s";
    case MTR_CAT_UNIT_DEG:
        return "deg";
    case MTR_CAT_UNIT_W:
        return "W";
    case MTR_CAT_UNIT_VA:
        return "VA";
    case MTR_CAT_UNIT_VAR:
        return "var";
    case MTR_CAT_UNIT_WH:
        return "Wh";
    case MTR_CAT_UNIT_VAH:
        return "VAh";
    case MTR_CAT_UNIT_VARH:
        return "varh";
    case MTR_CAT_UNIT_A:
        return "A";
    case MTR_CAT_UNIT_V:
        return "V";
    case MTR_CAT_UNIT_HZ:
        return "Hz";
    case MTR_CAT_UNIT_PCT:
        return "%";
    default:
        return "";
    }
}

bool
mtr_cat_applies(const struct mtr_cat_entry *e, uint8_t phase_count)
{
    if (e == NULL) {
        return false;
    }
    bool is_per_phase =
        e->src == MTR_CAT_SRC_PHASE_F32 || e->src == MTR_CAT_SRC_REG || e->src == MTR_CAT_SRC_NET;
    return !is_per_phase || e->phase >= MTR_REG_TOTAL || e->phase < phase_count;
}
