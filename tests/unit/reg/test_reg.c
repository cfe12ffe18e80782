/*
 * Four-quadrant registers: every quadrant routes to the registers of IEC 62053-23
 * Annex C, remainders carry so ten years of frames lose nothing (METROLOGY-TESTS.md
 * 3.6 LR1), overflow changes nothing, and the pulse count follows the meter constant.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterd/reg.h"

static struct mtr_metro_frame
frame1(double e_p_Wh, double e_q_varh, double e_s_VAh)
{
    struct mtr_metro_frame f;
    memset(&f, 0, sizeof(f));
    f.phase_count = 1;
    f.duration_s = 0.2;
    f.ph[0].e_p_Wh = e_p_Wh;
    f.ph[0].e_q_varh = e_q_varh;
    f.ph[0].e_s_VAh = e_s_VAh;
    f.total.e_p_Wh = e_p_Wh;
    f.total.e_q_varh = e_q_varh;
    f.total.e_s_VAh = e_s_VAh;
    return f;
}

struct quad_row {
    const char *name;
    double p, q;
    enum mtr_reg_kind a_reg, r_reg, quad_reg, s_reg;
};

static void
test_quadrants(void **state)
{
    (void)state;
    static const struct quad_row rows[] = {
        {"QI",   1,  0.5,  MTR_REG_A_IMP, MTR_REG_R_IMP, MTR_REG_R_Q1, MTR_REG_S_IMP},
        {"QII",  -1, 0.5,  MTR_REG_A_EXP, MTR_REG_R_IMP, MTR_REG_R_Q2, MTR_REG_S_EXP},
        {"QIII", -1, -0.5, MTR_REG_A_EXP, MTR_REG_R_EXP, MTR_REG_R_Q3, MTR_REG_S_EXP},
        {"QIV",  1,  -0.5, MTR_REG_A_IMP, MTR_REG_R_EXP, MTR_REG_R_Q4, MTR_REG_S_IMP},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct mtr_reg_set set;
        mtr_reg_init(&set);
        struct mtr_metro_frame f = frame1(rows[r].p, rows[r].q, 2.0);
        assert_int_equal(mtr_reg_apply_frame(&set, &f), MTR_OK);
        for (unsigned c = 0; c < MTR_REG_CHAN_COUNT; c += MTR_REG_TOTAL) {
            for (unsigned k = 0; k < MTR_REG_KIND_COUNT; k++) {
                int64_t want = 0;
                if (k == rows[r].a_reg || k == MTR_REG_A_ABS) {
                    want = 1000000;
                } else if (k == rows[r].r_reg || k == rows[r].quad_reg) {
                    want = 500000;
                } else if (k == rows[r].s_reg) {
                    want = 2000000;
                }
                if (set.e_u[c][k] != want) {
                    fail_msg("%s: channel %u kind %u: got %lld u, want %lld u", rows[r].name, c, k,
                             (long long)set.e_u[c][k], (long long)want);
                }
            }
        }
    }
}

/* 1.58 million 0.2 s frames (3.65 days; a thousandth of ten years) at 0.7 W, 38.9 uWh each,
 * starting from a register already holding ten years at 60 A (1.2e15 uWh): the sum must be
 * exact to one micro-unit although no frame is a whole micro-watt-hour multiple. */
static void
test_carry(void **state)
{
    (void)state;
    struct mtr_reg_set set;
    mtr_reg_init(&set);
    const double e = 0.7 * 0.2 / 3600.0; /* Wh per frame */
    const uint64_t frames = 10ull * 365 * 24 * 3600 * 5;
    /* apply in a fast loop: the same frame each time */
    struct mtr_metro_frame f = frame1(e, 0, 0);
    const int64_t start = 1200000000000000;
    set.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] = start;
    for (uint64_t i = 0; i < frames / 1000; i++) {
        assert_int_equal(mtr_reg_apply_frame(&set, &f), MTR_OK);
    }
    double want_u = e * 1e6 * (double)(frames / 1000);
    double got_u = (double)(set.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] - start) +
                   set.rem_u[MTR_REG_TOTAL][MTR_REG_A_IMP];
    if (fabs(got_u - want_u) > 1.0) {
        fail_msg("carry: got %.3f uWh, want %.3f uWh", got_u, want_u);
    }
    assert_true(set.rem_u[MTR_REG_TOTAL][MTR_REG_A_IMP] >= 0.0);
    assert_true(set.rem_u[MTR_REG_TOTAL][MTR_REG_A_IMP] < 1.0);
}

static void
test_overflow_and_pulses(void **state)
{
    (void)state;
    struct mtr_reg_set set;
    mtr_reg_init(&set);
    set.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] = INT64_MAX - 10;
    struct mtr_reg_set before = set;
    struct mtr_metro_frame f = frame1(1.0, 0, 0);
    assert_int_equal(mtr_reg_apply_frame(&set, &f), MTR_ERANGE);
    assert_memory_equal(&set, &before, sizeof(set)); /* nothing changed */

    f = frame1((double)NAN, 0, 0);
    assert_int_equal(mtr_reg_apply_frame(&set, &f), MTR_EINVAL);
    assert_int_equal(mtr_reg_apply_frame(NULL, &f), MTR_EINVAL);

    mtr_reg_init(&set);
    set.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] = 2345678901; /* 2.345678901 kWh */
    assert_int_equal(mtr_reg_pulses(&set, MTR_REG_TOTAL, MTR_REG_A_IMP, 1000), 2345);
    assert_int_equal(mtr_reg_pulses(&set, MTR_REG_TOTAL, MTR_REG_A_IMP, 10000), 23456);
    set.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP] = INT64_MAX; /* no overflow in the product */
    assert_int_equal(mtr_reg_pulses(&set, MTR_REG_TOTAL, MTR_REG_A_IMP, 1000000),
                     9223372036854775807ull / 1000ull);

    struct mtr_reg_set a;
    struct mtr_reg_set b;
    mtr_reg_init(&a);
    mtr_reg_init(&b);
    b.e_u[0][0] = 1;
    assert_true(mtr_reg_is_monotonic(&a, &b));
    assert_false(mtr_reg_is_monotonic(&b, &a));
    b.e_u[MTR_REG_TOTAL][MTR_REG_A_EXP] = 5;
    assert_int_equal(mtr_reg_net_uWh(&b, MTR_REG_TOTAL), -5);
}

/* Totals are phase-balanced: +1 Wh on L1 and -1 Wh on L2 registers nothing in total +A/-A,
 * while |A| counts 2 Wh. */
static void
test_balanced_total(void **state)
{
    (void)state;
    struct mtr_metro_frame f;
    memset(&f, 0, sizeof(f));
    f.phase_count = 2;
    f.ph[0].e_p_Wh = 1.0;
    f.ph[1].e_p_Wh = -1.0;
    struct mtr_reg_set set;
    mtr_reg_init(&set);
    assert_int_equal(mtr_reg_apply_frame(&set, &f), MTR_OK);
    assert_int_equal(set.e_u[MTR_REG_L1][MTR_REG_A_IMP], 1000000);
    assert_int_equal(set.e_u[MTR_REG_L2][MTR_REG_A_EXP], 1000000);
    assert_int_equal(set.e_u[MTR_REG_TOTAL][MTR_REG_A_IMP], 0);
    assert_int_equal(set.e_u[MTR_REG_TOTAL][MTR_REG_A_EXP], 0);
    assert_int_equal(set.e_u[MTR_REG_TOTAL][MTR_REG_A_ABS], 2000000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quadrants),
        cmocka_unit_test(test_carry),
        cmocka_unit_test(test_overflow_and_pulses),
        cmocka_unit_test(test_balanced_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
