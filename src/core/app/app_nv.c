/*
 * Serialisation of struct mtr_app_state (without its registers, which the
 * register record carries) for NV storage: explicit little-endian fields in the
 * order of one table, never a memcpy of the struct, so the image does not depend
 * on padding, byte order or enum size. Format (docs/nv-format.md, layout 2):
 *   0  u32 magic "MAPP" | 4 u16 format (1) | 6 u16 field count | 8 u32 body length |
 *   12 body: the fields of k_fields in order, each count x size bytes.
 * A newer format with more fields appends them: an older body decodes with the
 * missing fields left at their fresh values.
 */
#include <stddef.h>
#include <string.h>

#include "app_int.h"
#include "meterd/app.h"

#define APP_NV_MAGIC  0x5050414Du /* "MAPP" */
#define APP_NV_FORMAT 1u
#define APP_NV_HEAD   12u

_Static_assert(sizeof(bool) == 1, "bool fields are stored as one byte");

enum fty {
    T_U8 = 1,
    T_U16 = 2,
    T_U32 = 4,
    T_U64 = 8,
    T_BOOL = 0x11,
    T_F32 = 0x14,
    T_F64 = 0x18
};

struct field {
    uint32_t off;
    uint16_t count;
    uint8_t type; /* enum fty: the low nibble is the size in bytes */
};

#define ST(f) offsetof(struct mtr_app_state, f)
#define F(f, t, n)                                    \
    {                                                 \
        (uint32_t) ST(f), (uint16_t)(n), (uint8_t)(t) \
    }
#define A64(f) F(f, T_U64, sizeof(((struct mtr_app_state *)0)->f) / 8u)
#define PROF(p)                                                                                 \
    F(prof[p].last_t_us, T_U64, 1), F(prof[p].next_t_us, T_U64, 1),                             \
        F(prof[p].start_t_us, T_U64, 1), F(prof[p].status, T_U32, 1),                           \
        F(prof[p].reg_at_last, T_U64, 4), F(prof[p].acc.sum, T_F64, MTR_APP_AVG_QTY),           \
        F(prof[p].acc.min, T_F32, MTR_APP_AVG_QTY), F(prof[p].acc.max, T_F32, MTR_APP_AVG_QTY), \
        F(prof[p].acc.covered_s, T_F64, 1)

static const struct field k_fields[] = {
    F(t_us, T_U64, 1),
    F(clock_status, T_U32, 1),
    F(tariff, T_U8, 1),
    F(tariff_com, T_U8, 1),
    F(input_on, T_U8, 1),
    A64(tar_u),
    F(partial.running, T_BOOL, 1),
    F(partial.start_t_us, T_U64, 1),
    F(partial.stop_t_us, T_U64, 1),
    A64(partial.e_u),
    F(dem.sub_start_us, T_U64, 1),
    F(dem.sub_end_us, T_U64, 1),
    A64(dem.reg_at_sub_start),
    A64(dem.sub_e),
    F(dem.subs_valid, T_U8, 1),
    F(dem.sub_pos, T_U8, 1),
    A64(dem.last_mW),
    F(dem.last_t_us, T_U64, 1),
    A64(dem.max_mW),
    A64(dem.max_t_us),
    A64(dem.cum_mW),
    F(dem.resets, T_U32, 1),
    PROF(0),
    PROF(1),
    PROF(2),
    A64(bill_next_us),
    A64(bill_last_us),
    A64(bill_reg_at_last),
    F(bill_count, T_U32, 1),
    A64(seq),
    F(outages_short, T_U32, 1),
    F(outages_long, T_U32, 1),
    F(outage_long_s, T_U64, 1),
    F(cal_cfg_crc, T_U32, 1),
    F(pas_cfg_crc, T_U32, 1),
    F(cal.activate_utc_s, T_U64, 1),
};

#define N_FIELDS (sizeof(k_fields) / sizeof(k_fields[0]))

static unsigned
fsize(uint8_t type)
{
    return type & 0x0Fu;
}

static void
put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8u * i));
    }
}

static uint64_t
get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8u * i);
    }
    return v;
}

/* Read one element of a field from the struct as a 64-bit pattern. */
static uint64_t
load_elem(const uint8_t *base, uint8_t type)
{
    uint64_t v = 0;
    switch (type) {
    case T_U8:
    case T_BOOL:
        v = *base;
        break;
    case T_U16: {
        uint16_t x;
        memcpy(&x, base, 2);
        v = x;
        break;
    }
    case T_U32:
    case T_F32: {
        uint32_t x;
        memcpy(&x, base, 4);
        v = x;
        break;
    }
    default:
        memcpy(&v, base, 8);
        break;
    }
    return v;
}

static void
store_elem(uint8_t *base, uint8_t type, uint64_t v)
{
    switch (type) {
    case T_U8:
    case T_BOOL:
        *base = (uint8_t)v;
        break;
    case T_U16: {
        uint16_t x = (uint16_t)v;
        memcpy(base, &x, 2);
        break;
    }
    case T_U32:
    case T_F32: {
        uint32_t x = (uint32_t)v;
        memcpy(base, &x, 4);
        break;
    }
    default:
        memcpy(base, &v, 8);
        break;
    }
}

/* Bytes of a calendar: every member is u8 or char except the special days' year. */
static size_t
cal_len(void)
{
    return (size_t)MTR_CAL_NAME_CAP + 4u +
           (size_t)MTR_CAL_MAX_SEASONS * (2u * MTR_CAL_NAME_CAP + 4u) +
           (size_t)MTR_CAL_MAX_WEEKS * (MTR_CAL_NAME_CAP + 7u) +
           (size_t)MTR_CAL_MAX_DAYS * (2u + 4u * MTR_CAL_MAX_SWITCHES) +
           (size_t)MTR_CAL_MAX_SPECIAL * 5u;
}

static void
cal_put(uint8_t *p, const struct mtr_cal *c)
{
    memcpy(p, c->name, MTR_CAL_NAME_CAP);
    p += MTR_CAL_NAME_CAP;
    *p++ = c->n_seasons;
    *p++ = c->n_weeks;
    *p++ = c->n_days;
    *p++ = c->n_special;
    for (unsigned i = 0; i < MTR_CAL_MAX_SEASONS; i++) {
        const struct mtr_cal_season *s = &c->season[i];
        memcpy(p, s->name, MTR_CAL_NAME_CAP);
        p += MTR_CAL_NAME_CAP;
        *p++ = s->month;
        *p++ = s->day;
        *p++ = s->hour;
        *p++ = s->minute;
        memcpy(p, s->week_name, MTR_CAL_NAME_CAP);
        p += MTR_CAL_NAME_CAP;
    }
    for (unsigned i = 0; i < MTR_CAL_MAX_WEEKS; i++) {
        memcpy(p, c->week[i].name, MTR_CAL_NAME_CAP);
        p += MTR_CAL_NAME_CAP;
        memcpy(p, c->week[i].day_id, 7);
        p += 7;
    }
    for (unsigned i = 0; i < MTR_CAL_MAX_DAYS; i++) {
        *p++ = c->day[i].id;
        *p++ = c->day[i].n_switches;
        for (unsigned k = 0; k < MTR_CAL_MAX_SWITCHES; k++) {
            *p++ = c->day[i].sw[k].hour;
            *p++ = c->day[i].sw[k].minute;
            *p++ = c->day[i].sw[k].second;
            *p++ = c->day[i].sw[k].tariff;
        }
    }
    for (unsigned i = 0; i < MTR_CAL_MAX_SPECIAL; i++) {
        put_le(p, c->special[i].year, 2);
        p += 2;
        *p++ = c->special[i].month;
        *p++ = c->special[i].day;
        *p++ = c->special[i].day_id;
    }
}

static void
cal_get(const uint8_t *p, struct mtr_cal *c)
{
    memcpy(c->name, p, MTR_CAL_NAME_CAP);
    c->name[MTR_CAL_NAME_CAP - 1u] = '\0';
    p += MTR_CAL_NAME_CAP;
    c->n_seasons = *p++;
    c->n_weeks = *p++;
    c->n_days = *p++;
    c->n_special = *p++;
    for (unsigned i = 0; i < MTR_CAL_MAX_SEASONS; i++) {
        struct mtr_cal_season *s = &c->season[i];
        memcpy(s->name, p, MTR_CAL_NAME_CAP);
        s->name[MTR_CAL_NAME_CAP - 1u] = '\0';
        p += MTR_CAL_NAME_CAP;
        s->month = *p++;
        s->day = *p++;
        s->hour = *p++;
        s->minute = *p++;
        memcpy(s->week_name, p, MTR_CAL_NAME_CAP);
        s->week_name[MTR_CAL_NAME_CAP - 1u] = '\0';
        p += MTR_CAL_NAME_CAP;
    }
    for (unsigned i = 0; i < MTR_CAL_MAX_WEEKS; i++) {
        memcpy(c->week[i].name, p, MTR_CAL_NAME_CAP);
        c->week[i].name[MTR_CAL_NAME_CAP - 1u] = '\0';
        p += MTR_CAL_NAME_CAP;
        memcpy(c->week[i].day_id, p, 7);
        p += 7;
    }
    for (unsigned i = 0; i < MTR_CAL_MAX_DAYS; i++) {
        c->day[i].id = *p++;
        c->day[i].n_switches = *p++;
        for (unsigned k = 0; k < MTR_CAL_MAX_SWITCHES; k++) {
            c->day[i].sw[k].hour = *p++;
            c->day[i].sw[k].minute = *p++;
            c->day[i].sw[k].second = *p++;
            c->day[i].sw[k].tariff = *p++;
        }
    }
    for (unsigned i = 0; i < MTR_CAL_MAX_SPECIAL; i++) {
        c->special[i].year = (uint16_t)get_le(p, 2);
        p += 2;
        c->special[i].month = *p++;
        c->special[i].day = *p++;
        c->special[i].day_id = *p++;
    }
}

static size_t
body_len(void)
{
    size_t n = 0;
    for (size_t i = 0; i < N_FIELDS; i++) {
        n += (size_t)k_fields[i].count * fsize(k_fields[i].type);
    }
    return n + 2u * cal_len();
}

size_t
mtr_app_state_encoded_len(void)
{
    return APP_NV_HEAD + body_len();
}

enum mtr_err
mtr_app_state_encode(const struct mtr_app_state *st, uint8_t *out, size_t cap, size_t *len)
{
    if (st == NULL || out == NULL || len == NULL) {
        return MTR_EINVAL;
    }
    size_t need = mtr_app_state_encoded_len();
    if (cap < need) {
        return MTR_ENOSPC;
    }
    put_le(out, APP_NV_MAGIC, 4);
    put_le(out + 4, APP_NV_FORMAT, 2);
    put_le(out + 6, N_FIELDS, 2);
    put_le(out + 8, (uint64_t)(need - APP_NV_HEAD), 4);
    uint8_t *p = out + APP_NV_HEAD;
    const uint8_t *base = (const uint8_t *)st;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &k_fields[i];
        unsigned sz = fsize(f->type);
        for (unsigned k = 0; k < f->count; k++) {
            put_le(p, load_elem(base + f->off + (size_t)k * sz, f->type), sz);
            p += sz;
        }
    }
    cal_put(p, &st->cal.active);
    p += cal_len();
    cal_put(p, &st->cal.passive);
    *len = need;
    return MTR_OK;
}

enum mtr_err
mtr_app_state_decode(const uint8_t *in, size_t len, struct mtr_app_state *st, size_t *bad_off)
{
    if (in == NULL || st == NULL) {
        return MTR_EINVAL;
    }
    size_t dummy = 0;
    size_t *off = bad_off != NULL ? bad_off : &dummy;
    *off = 0;
    if (len < APP_NV_HEAD || get_le(in, 4) != APP_NV_MAGIC) {
        return MTR_ECORRUPT;
    }
    if (get_le(in + 4, 2) > APP_NV_FORMAT) {
        *off = 4;
        return MTR_EVERSION;
    }
    if (get_le(in + 6, 2) != N_FIELDS || get_le(in + 8, 4) != len - APP_NV_HEAD ||
        len != mtr_app_state_encoded_len()) {
        *off = 6;
        return MTR_ECORRUPT;
    }
    const uint8_t *p = in + APP_NV_HEAD;
    uint8_t *base = (uint8_t *)st;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &k_fields[i];
        unsigned sz = fsize(f->type);
        for (unsigned k = 0; k < f->count; k++) {
            uint64_t v = get_le(p, sz);
            if (f->type == T_BOOL && v > 1u) {
                *off = (size_t)(p - in); /* a bool must be 0 or 1 */
                return MTR_ECORRUPT;
            }
            store_elem(base + f->off + (size_t)k * sz, f->type, v);
            p += sz;
        }
    }
    cal_get(p, &st->cal.active);
    p += cal_len();
    cal_get(p, &st->cal.passive);
    /* values the code relies on: ranges, booleans 0/1, calendars that pass their check */
    struct mtr_cal_error where;
    if (st->tariff < 1u || st->tariff > MTR_APP_TARIFFS || st->tariff_com < 1u ||
        st->tariff_com > MTR_APP_TARIFFS || st->dem.sub_pos >= MTR_APP_MAX_SUBS ||
        st->dem.subs_valid > MTR_APP_MAX_SUBS || st->input_on > 1u ||
        mtr_cal_check(&st->cal.active, &where) != MTR_OK ||
        mtr_cal_check(&st->cal.passive, &where) != MTR_OK) {
        *off = APP_NV_HEAD;
        return MTR_ECORRUPT;
    }
    return MTR_OK;
}
