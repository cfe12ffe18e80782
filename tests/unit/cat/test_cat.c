/*
 * Catalogue tests: table invariants (unique names and OBIS codes, Modbus ranges
 * that do not overlap, sources and offsets that point at real snapshot fields,
 * units that agree with the unit suffix of the field they read) and values read
 * back from a hand-built snapshot, through mtr_cat_value(), mtr_cat_value_int()
 * and the Modbus image.
 *
 * Expected values are written out from the snapshot's inputs by hand (230.12 V at
 * scale 0.01 V is 23012; 5e15 uWh is 5 000 000 000 Wh = 0x1_2A05_F200), never taken
 * from the code under test.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meterd/cat.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"
#include "meterd/snapshot.h"

/* ---- field table: the snapshot's float fields, by name (independent of cat_table.c) ---- */

enum field_base {
    BASE_PHASE,
    BASE_TOTAL,
    BASE_FRAME
};

struct field {
    enum field_base base;
    size_t off;
    const char *field_name; /* the C name, whose suffix gives the unit */
};

#define PHF(f)                                              \
    {                                                       \
        BASE_PHASE, offsetof(struct mtr_metro_phase, f), #f \
    }
#define TOF(f)                                              \
    {                                                       \
        BASE_TOTAL, offsetof(struct mtr_metro_total, f), #f \
    }

static const struct field fields[] = {
    PHF(u_rms_V),
    PHF(i_rms_A),
    PHF(p_W),
    PHF(q1_var),
    PHF(qb_var),
    PHF(s_VA),
    PHF(pf_ratio),
    PHF(phi_deg),
    PHF(u_angle_deg),
    PHF(u_thd_pct),
    PHF(i_thd_pct),
    TOF(p_W),
    TOF(q1_var),
    TOF(qb_var),
    TOF(s_VA),
    TOF(pf_ratio),
    {BASE_FRAME, offsetof(struct mtr_metro_frame, f_Hz),                       "f_Hz"     },
    {BASE_FRAME, offsetof(struct mtr_metro_frame, i_n_A),                      "i_n_A"    },
    {BASE_FRAME, offsetof(struct mtr_metro_frame, u_ll_V),                     "u_ll_V[0]"},
    {BASE_FRAME, offsetof(struct mtr_metro_frame, u_ll_V) + sizeof(float),     "u_ll_V[1]"},
    {BASE_FRAME, offsetof(struct mtr_metro_frame, u_ll_V) + 2 * sizeof(float), "u_ll_V[2]"},
};

/* STYLE.md 2: the unit suffix of a field name, and the DLMS unit it means. */
static const struct {
    const char *suffix;
    uint8_t unit;
} suffix_units[] = {
    {"_V",     MTR_CAT_UNIT_V   },
    {"_A",     MTR_CAT_UNIT_A   },
    {"_W",     MTR_CAT_UNIT_W   },
    {"_var",   MTR_CAT_UNIT_VAR },
    {"_VA",    MTR_CAT_UNIT_VA  },
    {"_Hz",    MTR_CAT_UNIT_HZ  },
    {"_deg",   MTR_CAT_UNIT_DEG },
    {"_pct",   MTR_CAT_UNIT_PCT },
    {"_ratio", MTR_CAT_UNIT_NONE},
};

static const struct field *
field_of(const struct mtr_cat_entry *e)
{
    enum field_base b = e->src == MTR_CAT_SRC_PHASE_F32   ? BASE_PHASE
                        : e->src == MTR_CAT_SRC_TOTAL_F32 ? BASE_TOTAL
                                                          : BASE_FRAME;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (fields[i].base == b && fields[i].off == e->off) {
            return &fields[i];
        }
    }
    return NULL;
}

static int
unit_of_field(const char *field_name)
{
    char base[32];
    size_t n = strcspn(field_name, "[");
    snprintf(base, sizeof(base), "%.*s", (int)n, field_name);
    for (size_t i = 0; i < sizeof(suffix_units) / sizeof(suffix_units[0]); i++) {
        size_t sl = strlen(suffix_units[i].suffix);
        if (n > sl && strcmp(base + n - sl, suffix_units[i].suffix) == 0) {
            return suffix_units[i].unit;
        }
    }
    return -1;
}

static bool
is_f32_src(uint8_t src)
{
    return src == MTR_CAT_SRC_PHASE_F32 || src == MTR_CAT_SRC_TOTAL_F32 ||
           src == MTR_CAT_SRC_FRAME_F32;
}

/* ---- invariants ---- */

static void
test_names_unique_and_well_formed(void **state)
{
    size_t n = 0;
    const struct mtr_cat_entry *t = mtr_cat_entries(&n);
    (void)state;
    assert_true(n > 90);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].name);
        assert_non_null(t[i].label);
        for (const char *c = t[i].name; *c != '\0'; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
                fail_msg("%s: name is not snake_case", t[i].name);
            }
        }
        for (size_t j = i + 1; j < n; j++) {
            if (strcmp(t[i].name, t[j].name) == 0) {
                fail_msg("%s: name used twice (rows %zu, %zu)", t[i].name, i, j);
            }
            if (strcmp(t[i].label, t[j].label) == 0) {
                fail_msg("%s: label '%s' used twice", t[j].name, t[j].label);
            }
        }
        assert_ptr_equal(mtr_cat_find(t[i].name), &t[i]);
    }
    assert_null(mtr_cat_find("no_such_quantity"));
    assert_null(mtr_cat_find(NULL));
}

static void
test_obis_unique(void **state)
{
    size_t n = 0;
    const struct mtr_cat_entry *t = mtr_cat_entries(&n);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].obis[0] <= 1); /* abstract or electricity */
        assert_int_equal(t[i].obis[5], 255);
        for (size_t j = i + 1; j < n; j++) {
            if (memcmp(t[i].obis, t[j].obis, 6) == 0 && t[i].attr == t[j].attr) {
                fail_msg("%s and %s share an OBIS code", t[i].name, t[j].name);
            }
        }
    }
}

struct range {
    uint32_t lo, hi; /* [lo, hi) */
    const char *name;
};

static void
test_modbus_ranges_disjoint(void **state)
{
    size_t n = 0;
    const struct mtr_cat_entry *t = mtr_cat_entries(&n);
    struct range r[2 * 256];
    size_t rc = 0;
    (void)state;
    assert_true(n <= 256);
    for (size_t i = 0; i < n; i++) {
        uint16_t words = mtr_cat_mb_int_regs(&t[i]);
        if (words == 0) {
            fail_msg("%s: unknown Modbus encoding %u", t[i].name, t[i].mb);
        }
        /* 32-bit values on even addresses, so a client reading pairs stays aligned */
        if (t[i].mb_addr % 2 != 0) {
            fail_msg("%s: odd address %u", t[i].name, t[i].mb_addr);
        }
        if (t[i].mb_addr + words > MTR_CAT_MB_FLOAT_OFFSET) {
            fail_msg("%s: integer value %u..%u reaches the float block", t[i].name, t[i].mb_addr,
                     t[i].mb_addr + words);
        }
        r[rc++] = (struct range){t[i].mb_addr, t[i].mb_addr + words, t[i].name};
        if (mtr_cat_mb_has_float(&t[i])) {
            uint32_t f = t[i].mb_addr + MTR_CAT_MB_FLOAT_OFFSET;
            assert_true(f + 2 <= MTR_CAT_MB_REG_COUNT);
            r[rc++] = (struct range){f, f + 2, t[i].name};
        }
        /* the encodings the brief fixes per kind of source */
        if (t[i].src == MTR_CAT_SRC_REG) {
            assert_int_equal(t[i].mb, MTR_CAT_MB_U64);
        } else if (t[i].src == MTR_CAT_SRC_NET) {
            assert_int_equal(t[i].mb, MTR_CAT_MB_S64);
        } else if (is_f32_src(t[i].src)) {
            assert_int_equal(t[i].mb, MTR_CAT_MB_S32);
        }
    }
    for (size_t i = 0; i < rc; i++) {
        for (size_t j = i + 1; j < rc; j++) {
            if (r[i].lo < r[j].hi && r[j].lo < r[i].hi) {
                fail_msg("%s [%u,%u) overlaps %s [%u,%u)", r[i].name, r[i].lo, r[i].hi, r[j].name,
                         r[j].lo, r[j].hi);
            }
        }
    }
}

/* The header block the brief fixes at address 0. */
static void
test_header_addresses(void **state)
{
    static const struct {
        const char *name;
        uint16_t addr;
    } rows[] = {
        {"map_version", 0},
        {"seq",         2},
        {"valid",       4},
        {"meter_time",  6},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct mtr_cat_entry *e = mtr_cat_find(rows[i].name);
        assert_non_null(e);
        if (e->mb_addr != rows[i].addr) {
            fail_msg("%s: at %u, want %u", rows[i].name, e->mb_addr, rows[i].addr);
        }
    }
}

static void
test_sources_and_units(void **state)
{
    /* reg.h: kinds 0..1 and 10 in uWh, 2..7 uvarh, 8..9 uVAh */
    static const uint8_t kind_unit[MTR_REG_KIND_COUNT] = {
        MTR_CAT_UNIT_WH,   MTR_CAT_UNIT_WH,   MTR_CAT_UNIT_VARH, MTR_CAT_UNIT_VARH,
        MTR_CAT_UNIT_VARH, MTR_CAT_UNIT_VARH, MTR_CAT_UNIT_VARH, MTR_CAT_UNIT_VARH,
        MTR_CAT_UNIT_VAH,  MTR_CAT_UNIT_VAH,  MTR_CAT_UNIT_WH};
    size_t n = 0;
    const struct mtr_cat_entry *t = mtr_cat_entries(&n);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct mtr_cat_entry *e = &t[i];
        if (is_f32_src(e->src)) {
            const struct field *f = field_of(e);
            if (f == NULL) {
                fail_msg("%s: offset %u is not a float field of its source", e->name, e->off);
            }
            if (unit_of_field(f->field_name) != e->unit) {
                fail_msg("%s: unit %u but reads %s", e->name, e->unit, f->field_name);
            }
            if (e->src == MTR_CAT_SRC_PHASE_F32 && e->phase >= MTR_CFG_MAX_PHASES) {
                fail_msg("%s: phase %u", e->name, e->phase);
            }
            /* the name's channel suffix agrees with the phase read */
            if (e->src == MTR_CAT_SRC_PHASE_F32) {
                char want[8];
                snprintf(want, sizeof(want), "_l%u", e->phase + 1u);
                const char *tail = e->name + strlen(e->name) - 3;
                if (strcmp(tail, want) != 0) {
                    fail_msg("%s: reads phase %u", e->name, e->phase);
                }
            }
        } else if (e->src == MTR_CAT_SRC_REG) {
            if (e->phase >= MTR_REG_CHAN_COUNT || e->index >= MTR_REG_KIND_COUNT) {
                fail_msg("%s: register [%u][%u]", e->name, e->phase, e->index);
            }
            if (e->unit != kind_unit[e->index]) {
                fail_msg("%s: unit %u, register kind %u is in %u", e->name, e->unit, e->index,
                         kind_unit[e->index]);
            }
            assert_int_equal(e->scaler, 0); /* uint64 Wh */
            assert_int_equal(e->obis[3], 8);
        } else if (e->src == MTR_CAT_SRC_NET) {
            assert_true(e->phase < MTR_REG_CHAN_COUNT);
            assert_int_equal(e->unit, MTR_CAT_UNIT_WH);
        } else {
            assert_true(e->src < MTR_CAT_SRC_COUNT);
        }
    }
}

/* IEC 62056-6-1 codes the brief names, checked against the table. */
static void
test_obis_codes(void **state)
{
    static const struct {
        const char *name;
        const char *obis;
    } rows[] = {
        {"u_rms_l1",      "1-0:32.7.0*255"  },
        {"u_rms_l3",      "1-0:72.7.0*255"  },
        {"i_rms_l2",      "1-0:51.7.0*255"  },
        {"i_n",           "1-0:91.7.0*255"  },
        {"p_total",       "1-0:16.7.0*255"  },
        {"pf_l1",         "1-0:33.7.0*255"  },
        {"pf_total",      "1-0:13.7.0*255"  },
        {"f",             "1-0:14.7.0*255"  },
        {"e_a_imp_total", "1-0:1.8.0*255"   },
        {"e_a_imp_l1",    "1-0:21.8.0*255"  },
        {"e_a_exp_l2",    "1-0:42.8.0*255"  },
        {"e_r_imp_l3",    "1-0:63.8.0*255"  },
        {"e_r_exp_l1",    "1-0:24.8.0*255"  },
        {"e_r_q3_l2",     "1-0:47.8.0*255"  },
        {"e_r_q4_total",  "1-0:8.8.0*255"   },
        {"e_s_imp_l1",    "1-0:29.8.0*255"  },
        {"e_s_exp_l3",    "1-0:70.8.0*255"  },
        {"e_a_abs_total", "1-0:15.8.0*255"  },
        {"e_a_abs_l2",    "1-0:55.8.0*255"  },
        {"e_a_net_total", "1-0:16.8.0*255"  },
        {"thd_u_l1",      "1-0:32.7.124*255"},
        {"phi_l1",        "1-0:81.7.40*255" },
    };
    char buf[24];
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct mtr_cat_entry *e = mtr_cat_find(rows[i].name);
        assert_non_null(e);
        assert_int_equal(mtr_cat_obis_str(e, buf, sizeof(buf)), MTR_OK);
        if (strcmp(buf, rows[i].obis) != 0) {
            fail_msg("%s: got %s, want %s", rows[i].name, buf, rows[i].obis);
        }
    }
}

static void
test_obis_str_capacity(void **state)
{
    const struct mtr_cat_entry *e = mtr_cat_find("thd_u_l1"); /* "1-0:32.7.124*255", 16 chars */
    char buf[32];
    (void)state;
    for (size_t cap = 0; cap <= 17; cap++) {
        memset(buf, 'X', sizeof(buf));
        enum mtr_err r = mtr_cat_obis_str(e, buf, cap);
        if (cap < 17) {
            assert_int_equal(r, MTR_ENOSPC);
        } else {
            assert_int_equal(r, MTR_OK);
            assert_string_equal(buf, "1-0:32.7.124*255");
        }
        assert_int_equal(buf[cap], 'X'); /* guard byte after the buffer */
    }
    assert_int_equal(mtr_cat_obis_str(NULL, buf, sizeof(buf)), MTR_EINVAL);
    assert_int_equal(mtr_cat_obis_str(e, NULL, 8), MTR_EINVAL);
}

/* ---- values from a hand-built snapshot ---- */

static void
build_snapshot(struct mtr_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    s->is_valid = true;
    s->t_us = 1700000000123456u; /* 2023-11-14T22:13:20.123456Z */
    s->frame.seq = 0x100000005u; /* 2^32 + 5: the uint32 counter shows 5 */
    s->frame.seq_order = MTR_METRO_SEQ_132;
    s->frame.missing_mask = 4u; /* L3 missing */
    s->frame.f_Hz = 49.987f;
    s->frame.i_n_A = 7.25f;
    s->frame.u_ll_V[0] = 398.76f;
    s->frame.u_ll_V[1] = 400.0f;
    s->frame.u_ll_V[2] = 401.5f;
    s->frame.ph[0].u_rms_V = 230.12f;
    s->frame.ph[1].u_rms_V = 231.5f;
    s->frame.ph[2].u_rms_V = 3.0e7f; /* out of int32 at 0.01 V */
    s->frame.ph[0].i_rms_A = 5.432f;
    s->frame.ph[0].p_W = 1234.56f;
    s->frame.ph[1].p_W = -0.25f; /* exactly half a unit: rounds away from zero */
    s->frame.ph[2].p_W = 0.25f;
    s->frame.ph[0].q1_var = -321.0f;
    s->frame.ph[0].pf_ratio = -0.866f;
    s->frame.ph[0].phi_deg = NAN;
    s->frame.ph[1].u_thd_pct = 3.14f;
    s->frame.total.p_W = -5000.5f;
    s->reg.e_u[MTR_REG_L1][MTR_REG_A_IMP] = 12345678901234;      /* 12 345 678.901234 Wh */
    s->reg.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] = 5000000000000000; /* 5e9 Wh */
    s->reg.e_u[MTR_REG_L2][MTR_REG_A_IMP] = 1999999;             /* 1.999999 Wh */
    s->reg.e_u[MTR_REG_L2][MTR_REG_A_EXP] = 2500000000;          /* 2500 Wh */
    s->reg.e_u[MTR_REG_L3][MTR_REG_R_Q2] = INT64_MAX;            /* 9 223 372 036 854 varh */
}

static void
test_values(void **state)
{
    static const struct {
        const char *name;
        double want; /* base unit */
        double tol;  /* same unit */
        enum mtr_err int_err;
        int64_t want_int; /* at the entry's scale */
    } rows[] = {
        {"u_rms_l1",      230.12,               1e-4, MTR_OK, 23012              },
        {"u_rms_l2",      231.5,                0,    MTR_OK, 23150              },
        {"u_rms_l3",      3.0e7,                0,    MTR_OK, 3000000000         },
        {"i_rms_l1",      5.432,                1e-6, MTR_OK, 5432               },
        {"p_l1",          1234.56,              1e-4, MTR_OK, 12346              },
        {"p_l2",          -0.25,                0,    MTR_OK, -3                 },
        {"p_l3",          0.25,                 0,    MTR_OK, 3                  },
        {"p_total",       -5000.5,              0,    MTR_OK, -50005             },
        {"q1_l1",         -321.0,               0,    MTR_OK, -3210              },
        {"pf_l1",         -0.866,               1e-6, MTR_OK, -866               },
        {"thd_u_l2",      3.14,                 1e-6, MTR_OK, 314                },
        {"f",             49.987,               1e-5, MTR_OK, 49987              },
        {"i_n",           7.25,                 0,    MTR_OK, 7250               },
        {"u_ll_12",       398.76,               1e-4, MTR_OK, 39876              },
        {"u_ll_31",       401.5,                0,    MTR_OK, 40150              },
        {"seq",           4294967301.0,         0,    MTR_OK, 4294967301         },
        {"valid",         1,                    0,    MTR_OK, 1                  },
        {"phase_seq",     2,                    0,    MTR_OK, 2                  },
        {"missing_mask",  4,                    0,    MTR_OK, 4                  },
        {"map_version",   MTR_CAT_MAP_VERSION,  0,    MTR_OK, MTR_CAT_MAP_VERSION},
        {"meter_time",    1700000000.123456,    1e-6, MTR_OK, 1700000000123      },
        {"e_a_imp_l1",    12345678.901234,      1e-6, MTR_OK, 12345678           },
        {"e_a_imp_total", 5e9,                  0,    MTR_OK, 5000000000         },
        {"e_a_imp_l2",    1.999999,             1e-9, MTR_OK, 1                  },
        {"e_a_net_l2",    1.999999 - 2500,      1e-9, MTR_OK, 1 - 2500           },
        {"e_a_net_l1",    12345678.901234,      1e-6, MTR_OK, 12345678           },
        {"e_r_q2_l3",     9223372036854.775807, 1e-2, MTR_OK, 9223372036854      },
        {"e_s_exp_total", 0,                    0,    MTR_OK, 0                  },
    };
    struct mtr_snapshot s;
    (void)state;
    build_snapshot(&s);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct mtr_cat_entry *e = mtr_cat_find(rows[i].name);
        double v = -1;
        int64_t iv = -1;
        if (e == NULL) {
            fail_msg("%s: not in the catalogue", rows[i].name);
        }
        assert_int_equal(mtr_cat_value(e, &s, &v), MTR_OK);
        if (fabs(v - rows[i].want) > rows[i].tol + fabs(rows[i].want) * 1e-7) {
            fail_msg("%s: got %.9g, want %.9g", rows[i].name, v, rows[i].want);
        }
        enum mtr_err r = mtr_cat_value_int(e, &s, &iv);
        if (r != rows[i].int_err || (r == MTR_OK && iv != rows[i].want_int)) {
            fail_msg("%s: got %lld (%d), want %lld (%d)", rows[i].name, (long long)iv, r,
                     (long long)rows[i].want_int, rows[i].int_err);
        }
    }
}

static void
test_value_errors(void **state)
{
    struct mtr_snapshot s;
    const struct mtr_cat_entry *phi = mtr_cat_find("phi_l1");
    struct mtr_cat_entry bad = *mtr_cat_find("u_rms_l1");
    double v = 42;
    int64_t iv = 42;
    (void)state;
    build_snapshot(&s);
    /* NaN: the double passes through, the integer is out of range and untouched */
    assert_int_equal(mtr_cat_value(phi, &s, &v), MTR_OK);
    assert_true(isnan(v));
    assert_int_equal(mtr_cat_value_int(phi, &s, &iv), MTR_ERANGE);
    assert_int_equal(iv, 42);
    /* malformed entries are refused */
    bad.phase = 3;
    assert_int_equal(mtr_cat_value(&bad, &s, &v), MTR_EINVAL);
    bad = *phi;
    bad.off = (uint16_t)sizeof(struct mtr_metro_phase);
    assert_int_equal(mtr_cat_value_int(&bad, &s, &iv), MTR_EINVAL);
    bad = *mtr_cat_find("e_a_imp_l1");
    bad.index = MTR_REG_KIND_COUNT;
    assert_int_equal(mtr_cat_value(&bad, &s, &v), MTR_EINVAL);
    bad.index = 0;
    bad.src = MTR_CAT_SRC_COUNT;
    assert_int_equal(mtr_cat_value(&bad, &s, &v), MTR_EINVAL);
    assert_int_equal(mtr_cat_value(NULL, &s, &v), MTR_EINVAL);
    assert_int_equal(mtr_cat_value(phi, NULL, &v), MTR_EINVAL);
    assert_int_equal(mtr_cat_value_int(phi, &s, NULL), MTR_EINVAL);
}

/* ---- the Modbus image ---- */

static uint32_t
f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof(b));
    return b;
}

#define GUARD 0xA5A5u

static void
test_modbus_image(void **state)
{
    /* expected words, high word first (ABCD) */
    static const struct {
        const char *what;
        uint16_t addr;
        uint16_t words[4];
        uint16_t count;
    } rows[] = {
        {"map version 1",               0,    {0x0000, 0x0001},                 2},
        {"seq low 32 bits = 5",         2,    {0x0000, 0x0005},                 2},
        {"valid",                       4,    {0x0000, 0x0001},                 2},
        {"meter time 1700000000123 ms", 6,    {0x0000, 0x018B, 0xCFE5, 0x687B}, 4},
        {"phase seq 132",               10,   {0x0000, 0x0002},                 2},
        {"Urms L1 23012",               100,  {0x0000, 0x59E4},                 2},
        {"Urms L3 out of range",        104,  {0x8000, 0x0000},                 2},
        {"P L2 -3",                     126,  {0xFFFF, 0xFFFD},                 2},
        {"P total -50005",              130,  {0xFFFF, 0x3CAB},                 2},
        {"phi L1 NaN",                  164,  {0x8000, 0x0000},                 2},
        {"f 49987",                     196,  {0x0000, 0xC343},                 2},
        {"+A L1 12345678 Wh",           300,  {0x0000, 0x0000, 0x00BC, 0x614E}, 4},
        {"+A total 5e9 Wh",             312,  {0x0000, 0x0001, 0x2A05, 0xF200}, 4},
        {"net L2 -2499 Wh",             480,  {0xFFFF, 0xFFFF, 0xFFFF, 0xF63D}, 4},
        {"unused address",              198,  {0x0000, 0x0000},                 2},
        {"float +A total 5e6 kWh",      1312, {0x4A98, 0x9680},                 2},
    };
    struct mtr_snapshot s;
    uint16_t img[MTR_CAT_MB_REG_COUNT + 2];
    uint16_t *regs = img + 1;
    (void)state;
    build_snapshot(&s);
    img[0] = GUARD;
    img[MTR_CAT_MB_REG_COUNT + 1] = GUARD;
    assert_int_equal(mtr_cat_mb_encode(&s, regs, MTR_CAT_MB_REG_COUNT), MTR_OK);
    assert_int_equal(img[0], GUARD);
    assert_int_equal(img[MTR_CAT_MB_REG_COUNT + 1], GUARD);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (uint16_t w = 0; w < rows[i].count; w++) {
            if (regs[rows[i].addr + w] != rows[i].words[w]) {
                fail_msg("%s: word %u at %u is 0x%04X, want 0x%04X", rows[i].what, w,
                         rows[i].addr + w, regs[rows[i].addr + w], rows[i].words[w]);
            }
        }
    }
    /* float copies: bits of the float32 of the value, in V and kWh */
    struct {
        uint16_t addr;
        float f;
    } fl[] = {
        {1100, 230.12f         },
        {1126, -0.25f          },
        {1300, 12345.678901234f},
    };
    for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
        uint32_t b = ((uint32_t)regs[fl[i].addr] << 16) | regs[fl[i].addr + 1];
        if (b != f32_bits(fl[i].f)) {
            fail_msg("float at %u: 0x%08X, want 0x%08X", fl[i].addr, b, f32_bits(fl[i].f));
        }
    }
    uint32_t nan_bits = ((uint32_t)regs[1164] << 16) | regs[1165];
    float nan_f;
    memcpy(&nan_f, &nan_bits, sizeof(nan_f));
    assert_true(isnan(nan_f));
}

static void
test_modbus_image_no_data(void **state)
{
    uint16_t regs[MTR_CAT_MB_REG_COUNT];
    (void)state;
    memset(regs, 0xFF, sizeof(regs));
    assert_int_equal(mtr_cat_mb_encode(NULL, regs, MTR_CAT_MB_REG_COUNT), MTR_OK);
    assert_int_equal(regs[1], MTR_CAT_MAP_VERSION);
    for (size_t i = 2; i < MTR_CAT_MB_REG_COUNT; i++) {
        if (regs[i] != 0) {
            fail_msg("address %zu is 0x%04X before the first frame", i, regs[i]);
        }
    }
    regs[5] = 0x1234;
    assert_int_equal(mtr_cat_mb_encode(NULL, regs, MTR_CAT_MB_REG_COUNT - 1), MTR_ENOSPC);
    assert_int_equal(regs[5], 0x1234);
    assert_int_equal(mtr_cat_mb_encode(NULL, NULL, MTR_CAT_MB_REG_COUNT), MTR_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_unique_and_well_formed),
        cmocka_unit_test(test_obis_unique),
        cmocka_unit_test(test_modbus_ranges_disjoint),
        cmocka_unit_test(test_header_addresses),
        cmocka_unit_test(test_sources_and_units),
        cmocka_unit_test(test_obis_codes),
        cmocka_unit_test(test_obis_str_capacity),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_modbus_image),
        cmocka_unit_test(test_modbus_image_no_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
