/*
 * Tests of the synthetic generator and its analytic truth (src/daemon/sources/synth*.c).
 *
 * - The closed-form energy truth against brute-force Simpson integration at 1 MHz
 *   of an independently coded evaluation of the model (agreement 1e-9 relative).
 * - Per-segment statistics against hand-computed closed forms.
 * - The generator's samples against the model, its noise RMS, quantisation step
 *   and clipping, frequency from interpolated zero crossings, phase continuity at
 *   frequency steps, skew, CT gain/lead, crosstalk, drops and duplicates.
 * - The household scenario: determinism for a seed, cost (> 100x real time),
 *   schedule (PV export at midday, EV in the evening), continuity at updates.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sources/synth.h"

#define PI  3.14159265358979323846
#define DEG (PI / 180.0)

/* ---------- independent brute-force model ---------- */

/* v or i of a waveform at fundamental phase x; shift adds to every term's phase. */
static double
wave_at(const struct mtrd_synth_wave *w,
        double scale,
        double x,
        double shift,
        bool with_dc,
        bool only_fund)
{
    double v = with_dc ? w->dc * scale : 0.0;
    for (uint8_t t = 0; t < w->term_count; t++) {
        if (only_fund && w->term[t].order != 1) {
            continue;
        }
        v += sqrt(2.0) * w->term[t].rms * scale *
             cos(w->term[t].order * x + w->term[t].phase_rad + shift);
    }
    return v;
}

struct brute {
    double p_Wh, q1_Wh, qb_Wh;
};

/* Simpson's rule at about 1 MHz, segment by segment over the whole model. */
static void
brute_energy(const struct mtrd_synth_model *m, uint8_t ph, struct brute *out)
{
    memset(out, 0, sizeof(*out));
    double th0 = m->theta0_rad;
    for (size_t s = 0; s < m->seg_count; s++) {
        const struct mtrd_synth_seg *sg = &m->seg[s];
        double T = (double)sg->sample_count / m->fs_Hz;
        long n = 2 * (long)ceil(T * 1e6 / 2.0); /* even number of intervals */
        double h = T / (double)n;
        double w = 2.0 * PI * sg->f_Hz;
        double sp = 0.0, sq1 = 0.0, sqb = 0.0;
        for (long k = 0; k <= n; k++) {
            double x = th0 + w * h * (double)k;
            double c = (k == 0 || k == n) ? 1.0 : (k % 2 ? 4.0 : 2.0);
            double v = wave_at(&sg->sig->u[ph], sg->u_scale, x, 0.0, true, false);
            double i = wave_at(&sg->sig->i[ph], sg->i_scale, x, 0.0, true, false);
            double ih = wave_at(&sg->sig->i[ph], sg->i_scale, x, PI / 2.0, false, false);
            double v1 = wave_at(&sg->sig->u[ph], sg->u_scale, x, 0.0, false, true);
            double i1h = wave_at(&sg->sig->i[ph], sg->i_scale, x, PI / 2.0, false, true);
            sp += c * v * i;
            sqb += c * v * ih;
            sq1 += c * v1 * i1h;
        }
        out->p_Wh += sp * h / 3.0 / 3600.0;
        out->qb_Wh += sqb * h / 3.0 / 3600.0;
        out->q1_Wh += sq1 * h / 3.0 / 3600.0;
        th0 += w * T; /* independent: no wrapping */
    }
}

/* ---------- signals used by several tests ---------- */

static struct mtrd_synth_signal sig_pf05, sig_harm, sig_dc;

static void
build_signals(void)
{
    memset(&sig_pf05, 0, sizeof(sig_pf05));
    sig_pf05.phase_count = 1;
    mtrd_synth_wave_sine(&sig_pf05.u[0], 230.0, 0.3);
    mtrd_synth_wave_sine(&sig_pf05.i[0], 5.0, 0.3 - 60.0 * DEG);

    memset(&sig_harm, 0, sizeof(sig_harm));
    sig_harm.phase_count = 2;
    for (int p = 0; p < 2; p++) {
        double a = -120.0 * DEG * p;
        mtrd_synth_wave_sine(&sig_harm.u[p], 230.0, a);
        assert_int_equal(mtrd_synth_wave_add(&sig_harm.u[p], 3, 5.0, 3 * a + 0.2), MTR_OK);
        assert_int_equal(mtrd_synth_wave_add(&sig_harm.u[p], 5, 23.0, 5 * a), MTR_OK);
        assert_int_equal(mtrd_synth_wave_add(&sig_harm.u[p], 49, 0.5, 1.0), MTR_OK);
        mtrd_synth_wave_sine(&sig_harm.i[p], 3.0, a - 25.0 * DEG);
        assert_int_equal(mtrd_synth_wave_add(&sig_harm.i[p], 5, 1.2, 5 * a + 90.0 * DEG), MTR_OK);
        assert_int_equal(mtrd_synth_wave_add(&sig_harm.i[p], 7, 0.4, 2.0), MTR_OK);
        assert_int_equal(mtrd_synth_wave_add(&sig_harm.i[p], 1, 0.5, a + 1.0),
                         MTR_OK); /* equal orders */
    }

    memset(&sig_dc, 0, sizeof(sig_dc));
    sig_dc.phase_count = 1;
    mtrd_synth_wave_sine(&sig_dc.u[0], 120.0, 0.0);
    sig_dc.u[0].dc = 3.0;
    mtrd_synth_wave_sine(&sig_dc.i[0], 2.0, 0.1);
    assert_int_equal(mtrd_synth_wave_add(&sig_dc.i[0], 2, 1.0, 0.5), MTR_OK);
    sig_dc.i[0].dc = 0.7;
}

/* ---------- truth vs brute force ---------- */

struct truth_row {
    const char *name;
    double fs_Hz;
    double theta0;
    size_t seg_count;
    struct mtrd_synth_seg seg[4];
};

static void
test_truth_vs_brute(void **state)
{
    (void)state;
    build_signals();
    const struct truth_row rows[] = {
        {"sine PF0.5L 0.3337 s",              8000.0, 0.0, 1, {{2670, 50.0, &sig_pf05, 1.0, 1.0}}},
        {"harmonics, equal orders, 2 phases", 7999.3, 1.1, 1, {{4099, 50.0, &sig_harm, 1.0, 1.0}}},
        {"dc in U and I, 2nd harmonic",       8000.0, 0.4, 1, {{3001, 60.0, &sig_dc, 1.0, 1.0}}  },
        {"f step 49->51 Hz, sag 70 %, swell",
         8000.0,                                      0.0,
         4,                                                   {{1234, 49.0, &sig_harm, 1.0, 1.0},
          {811, 51.0, &sig_harm, 0.7, 1.0},
          {977, 50.5, &sig_harm, 1.2, 0.5},
          {100, 45.0, &sig_harm, 0.0, 0.0}}                                           },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const struct truth_row *row = &rows[r];
        struct mtrd_synth_model m = {row->fs_Hz, row->theta0, row->seg, row->seg_count};
        uint64_t n = mtrd_synth_model_samples(&m);
        for (uint8_t ph = 0; ph < row->seg[0].sig->phase_count; ph++) {
            struct mtrd_synth_energy e;
            struct brute b;
            assert_int_equal(mtrd_synth_truth_energy(&m, ph, 0, n, &e), MTR_OK);
            brute_energy(&m, ph, &b);
            double scale = fmax(fabs(e.s_VAh), 1e-12);
            double d[3] = {e.p_Wh - b.p_Wh, e.q1_Wh - b.q1_Wh, e.qb_Wh - b.qb_Wh};
            double ref[3] = {b.p_Wh, b.q1_Wh, b.qb_Wh};
            const char *nm[3] = {"P", "Q1", "QB"};
            for (int k = 0; k < 3; k++) {
                double rel = fabs(d[k]) / fmax(fabs(ref[k]), 1e-3 * scale);
                if (rel > 1e-9) {
                    fail_msg("%s L%u %s: truth %.12g Wh, brute %.12g Wh, rel %.3g > 1e-9",
                             row->name, ph + 1, nm[k], ref[k] + d[k], ref[k], rel);
                }
            }
        }
    }
}

/* Splitting an interval anywhere gives the same total (partial segments). */
static void
test_truth_additive(void **state)
{
    (void)state;
    build_signals();
    struct mtrd_synth_seg seg[3] = {
        {5000, 49.5, &sig_harm, 1.0, 1.0},
        {3000, 50.5, &sig_harm, 0.4, 1.0},
        {7000, 50.0, &sig_harm, 1.0, 2.0}
    };
    struct mtrd_synth_model m = {8000.0, 0.0, seg, 3};
    struct mtrd_synth_energy all, a, b;
    const uint64_t cuts[] = {1, 4999, 5000, 5001, 7777, 14999};
    assert_int_equal(mtrd_synth_truth_energy(&m, 1, 0, 15000, &all), MTR_OK);
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        assert_int_equal(mtrd_synth_truth_energy(&m, 1, 0, cuts[c], &a), MTR_OK);
        assert_int_equal(mtrd_synth_truth_energy(&m, 1, cuts[c], 15000, &b), MTR_OK);
        if (fabs(a.p_Wh + b.p_Wh - all.p_Wh) > 1e-12 * all.s_VAh ||
            fabs(a.qb_Wh + b.qb_Wh - all.qb_Wh) > 1e-12 * all.s_VAh) {
            fail_msg("cut at %llu: parts %.15g + %.15g != %.15g Wh", (unsigned long long)cuts[c],
                     a.p_Wh, b.p_Wh, all.p_Wh);
        }
    }
    struct mtrd_synth_energy bad;
    assert_int_equal(mtrd_synth_truth_energy(&m, 1, 10, 10, &bad), MTR_EINVAL);
    assert_int_equal(mtrd_synth_truth_energy(&m, 1, 0, 15001, &bad), MTR_EINVAL);
    assert_int_equal(mtrd_synth_truth_energy(&m, 2, 0, 10, &bad), MTR_EINVAL);
}

/* ---------- statistics against hand-computed closed forms ---------- */

struct stats_row {
    const char *name;
    const struct mtrd_synth_signal *sig;
    uint8_t phase;
    double u_scale;
    double urms, irms, p, q1, qb, thdu, thdi; /* expected */
};

static void
test_truth_stats(void **state)
{
    (void)state;
    build_signals();
    /* sig_harm L1: U 230, 5@3rd, 23@5th, 0.5@49th; I1 = 3@-25deg + 0.5@(+1 rad) phasor sum,
       I5 = 1.2 at +90deg vs U5 at 0 -> phi5 = -90deg, I7 = 0.4. */
    double i1re = 3.0 * cos(-25.0 * DEG) + 0.5 * cos(1.0);
    double i1im = 3.0 * sin(-25.0 * DEG) + 0.5 * sin(1.0);
    double i1 = hypot(i1re, i1im);
    double phi1 = -atan2(i1im, i1re);
    double urms_h = sqrt(230.0 * 230.0 + 25.0 + 529.0 + 0.25);
    double irms_h = sqrt(i1 * i1 + 1.44 + 0.16);
    const struct stats_row rows[] = {
        {"230 V 5 A PF 0.5 L", &sig_pf05, 0, 1.0, 230.0,               5.0,              575.0, 995.9292143521045,
         995.9292143521045,                                                                                                                 0.0, 0.0                           },
        {"sag 50 %",           &sig_pf05, 0, 0.5, 115.0,               5.0,              287.5, 497.96460717605226,     497.96460717605226,
         0.0,                                                                                                                                    0.0                           },
        {"harmonics",          &sig_harm, 0, 1.0, urms_h,              irms_h,
         230.0 * i1 * cos(phi1) + 23.0 * 1.2 * cos(-90.0 * DEG),                                230.0 * i1 * sin(phi1),
         230.0 * i1 * sin(phi1) + 23.0 * 1.2 * sin(-90.0 * DEG),
         100.0 * sqrt(25.0 + 529.0 + 0.25) / 230.0,                                                                                              100.0 * sqrt(1.44 + 0.16) / i1},
        {"dc terms",           &sig_dc,   0, 1.0, sqrt(9.0 + 14400.0), sqrt(0.49 + 5.0),
         3.0 * 0.7 + 240.0 * cos(0.1),                                                          -240.0 * sin(0.1),      -240.0 * sin(0.1),  0.0, 50.0                          },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const struct stats_row *w = &rows[r];
        struct mtrd_synth_seg seg = {1, 50.0, w->sig, w->u_scale, 1.0};
        struct mtrd_synth_stats st;
        assert_int_equal(mtrd_synth_truth_stats(&seg, w->phase, &st), MTR_OK);
        double got[7] = {st.u_rms_V, st.i_rms_A,   st.p_W,      st.q1_var,
                         st.qb_var,  st.u_thd_pct, st.i_thd_pct};
        double want[7] = {w->urms, w->irms, w->p, w->q1, w->qb, w->thdu, w->thdi};
        const char *nm[7] = {"Urms", "Irms", "P", "Q1", "QB", "THDu", "THDi"};
        for (int k = 0; k < 7; k++) {
            if (fabs(got[k] - want[k]) > 1e-9 * fmax(1.0, fabs(want[k]))) {
                fail_msg("%s: %s = %.12g, want %.12g", w->name, nm[k], got[k], want[k]);
            }
        }
        if (fabs(st.s_VA - st.u_rms_V * st.i_rms_A) > 1e-9 * st.s_VA) {
            fail_msg("%s: S != Urms*Irms", w->name);
        }
    }
}

/* ---------- generator ---------- */

static float xbuf[1 << 16][6];

static float tmpbuf[4096 * 6];

/* Generate up to max samples into xbuf, one row of 6 per sample: U1..Un then I1..In. */
static size_t
gen_all(struct mtrd_synth_gen *g, size_t max, uint32_t *flags_or)
{
    size_t total = 0;
    uint32_t fo = 0;
    size_t ch = 2u * g->phase_count;
    while (total < max) {
        size_t got;
        uint32_t fl;
        size_t want = max - total < 4096 ? max - total : 4096;
        enum mtr_err e = mtrd_synth_read(g, tmpbuf, want, &got, &fl);
        if (e == MTR_EOF) {
            break;
        }
        assert_int_equal(e, MTR_OK);
        for (size_t k = 0; k < got; k++) {
            memcpy(xbuf[total + k], &tmpbuf[k * ch], ch * sizeof(float));
        }
        fo |= fl;
        total += got;
    }
    if (flags_or != NULL) {
        *flags_or = fo;
    }
    return total;
}

/* Ideal generator output equals the model at the sample instants (float rounding). */
static void
test_gen_matches_model(void **state)
{
    (void)state;
    build_signals();
    struct mtrd_synth_seg seg[2] = {
        {3000, 49.0, &sig_harm, 1.0, 1.0},
        {3000, 51.3, &sig_harm, 0.8, 1.1}
    };
    struct mtrd_synth_model m = {7999.3, 0.5, seg, 2};
    struct mtrd_synth_gen g;
    assert_int_equal(mtrd_synth_init(&g, &m, NULL), MTR_OK);
    size_t n = gen_all(&g, 10000, NULL);
    assert_int_equal(n, 6000);
    for (size_t k = 0; k < n; k++) {
        for (uint8_t p = 0; p < 2; p++) {
            double u, i;
            assert_int_equal(mtrd_synth_model_eval(&m, p, (double)k / m.fs_Hz, &u, &i), MTR_OK);
            if (fabs((double)xbuf[k][p] - u) > 1e-4 || fabs((double)xbuf[k][2 + p] - i) > 1e-5) {
                fail_msg("sample %zu L%u: gen %g V %g A, model %g V %g A", k, p + 1,
                         (double)xbuf[k][p], (double)xbuf[k][2 + p], u, i);
            }
        }
    }
    size_t got;
    assert_int_equal(mtrd_synth_read(&g, xbuf[0], 10, &got, NULL), MTR_EOF);
}

struct noise_row {
    const char *name;
    uint8_t bits;
    double noise;    /* RMS, V and A */
    double want_rms; /* expected RMS of the output */
    double tol_rel;
};

static void
test_gen_noise_and_quantisation(void **state)
{
    (void)state;
    static struct mtrd_synth_signal zero;
    memset(&zero, 0, sizeof(zero));
    zero.phase_count = 1;
    double lsb12 = 1.0 / 2048.0;
    const struct noise_row rows[] = {
        {"unquantised 0.01", 0,  0.01,               0.01, 0.01                    },
        {"24 bit 1 LSB",     24, mtrd_synth_lsb(1.0, 24),
         sqrt(1.0 + 1.0 / 12.0) * mtrd_synth_lsb(1.0,                                24), 0.02},
 /* noise << LSB: quantiser returns 0 */
        {"12 bit 0.01 LSB",              12,                0.01 * lsb12,                  0.0,       0.0   },
        {"12 bit 3 LSB",               12,                 3.0 * lsb12,                      sqrt(9.0 + 1.0 / 12.0) * lsb12,    0.02},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct mtrd_synth_seg seg = {65536, 50.0, &zero, 1.0, 1.0};
        struct mtrd_synth_model m = {8000.0, 0.0, &seg, 1};
        struct mtrd_synth_frontend fe = {0};
        fe.adc_bits = rows[r].bits;
        fe.u_fs_V = 1.0;
        fe.i_fs_A = 1.0;
        fe.u_noise_V = rows[r].noise;
        fe.i_noise_A = rows[r].noise;
        fe.seed = 42;
        struct mtrd_synth_gen g;
        assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
        size_t n = gen_all(&g, 65536, NULL);
        double s2 = 0.0, mean = 0.0;
        for (size_t k = 0; k < n; k++) {
            s2 += (double)xbuf[k][0] * (double)xbuf[k][0];
            mean += (double)xbuf[k][1];
            if (rows[r].bits == 12) {
                double q = (double)xbuf[k][0] / lsb12;
                if (q != nearbyint(q)) {
                    fail_msg("%s: sample %zu = %.9g is not a multiple of the LSB", rows[r].name, k,
                             (double)xbuf[k][0]);
                }
            }
        }
        double rms = sqrt(s2 / (double)n);
        mean /= (double)n;
        if (fabs(rms - rows[r].want_rms) > rows[r].tol_rel * rows[r].want_rms + 1e-15) {
            fail_msg("%s: RMS %.6g, want %.6g", rows[r].name, rms, rows[r].want_rms);
        }
        if (fabs(mean) > 5.0 * rows[r].noise / sqrt((double)n) + 1e-15) {
            fail_msg("%s: mean %.3g is not ~0", rows[r].name, mean);
        }
    }
}

static void
test_gen_clip_and_determinism(void **state)
{
    (void)state;
    build_signals();
    struct mtrd_synth_seg seg = {800, 50.0, &sig_pf05, 1.0, 1.0};
    struct mtrd_synth_model m = {8000.0, 0.0, &seg, 1};
    struct mtrd_synth_frontend fe = {0};
    fe.adc_bits = 16;
    fe.u_fs_V = 300.0; /* 325 V peak clips */
    fe.i_fs_A = 10.0;
    fe.u_noise_V = 0.1;
    fe.seed = 7;
    struct mtrd_synth_gen g;
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
    size_t n = gen_all(&g, 800, NULL);
    double maxv = -1e9, minv = 1e9;
    for (size_t k = 0; k < n; k++) {
        maxv = (double)xbuf[k][0] > maxv ? (double)xbuf[k][0] : maxv;
        minv = (double)xbuf[k][0] < minv ? (double)xbuf[k][0] : minv;
    }
    assert_true(fabs(maxv - 300.0 * 32767.0 / 32768.0) < 1e-4);
    assert_true(fabs(minv + 300.0) < 1e-4);
    static float first[800][2];
    for (size_t k = 0; k < n; k++) {
        first[k][0] = xbuf[k][0];
        first[k][1] = xbuf[k][1];
    }
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
    (void)gen_all(&g, 800, NULL);
    for (size_t k = 0; k < n; k++) {
        if ((double)first[k][0] != (double)xbuf[k][0] ||
            (double)first[k][1] != (double)xbuf[k][1]) {
            fail_msg("same seed, sample %zu differs", k);
        }
    }
    fe.seed = 8;
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
    (void)gen_all(&g, 800, NULL);
    size_t diff = 0;
    for (size_t k = 0; k < n; k++) {
        diff += (double)first[k][0] != (double)xbuf[k][0];
    }
    assert_true(diff > 400);
}

/* Frequency from interpolated positive zero crossings of U, and phase continuity at steps. */
struct freq_row {
    const char *name;
    double fs;
    double f1, f2; /* before / after a step at the middle */
};

static void
test_gen_frequency(void **state)
{
    (void)state;
    build_signals();
    const struct freq_row rows[] = {
        {"50 Hz",                  8000.0, 50.0,  50.0 },
        {"49.73 Hz at 7999.3 S/s", 7999.3, 49.73, 49.73},
        {"step 49.5 -> 50.5",      8000.0, 49.5,  50.5 },
        {"step 65 -> 45",          4096.0, 65.0,  45.0 },
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const struct freq_row *w = &rows[r];
        struct mtrd_synth_seg seg[2] = {
            {20000, w->f1, &sig_pf05, 1.0, 1.0},
            {20000, w->f2, &sig_pf05, 1.0, 1.0}
        };
        struct mtrd_synth_model m = {w->fs, 0.0, seg, 2};
        struct mtrd_synth_gen g;
        assert_int_equal(mtrd_synth_init(&g, &m, NULL), MTR_OK);
        size_t n = gen_all(&g, 40000, NULL);
        assert_int_equal(n, 40000);
        for (int half = 0; half < 2; half++) {
            double first = -1.0, last = -1.0;
            int cycles = -1;
            for (size_t k = (size_t)half * 20000 + 1; k < (size_t)(half + 1) * 20000; k++) {
                double a = (double)xbuf[k - 1][0], b = (double)xbuf[k][0];
                if (a < 0.0 && b >= 0.0) {
                    double t = ((double)k - 1.0 + a / (a - b)) / w->fs;
                    if (first < 0.0) {
                        first = t;
                    }
                    last = t;
                    cycles++;
                }
            }
            double f = cycles / (last - first);
            double want = half ? w->f2 : w->f1;
            if (fabs(f - want) > 1e-4) {
                fail_msg("%s: half %d measured %.6f Hz, want %.6f Hz", w->name, half, f, want);
            }
        }
        /* continuity: no step between samples larger than the steepest slope allows */
        double fmax_Hz = fmax(w->f1, w->f2);
        double lim = sqrt(2.0) * 230.0 * 2.0 * PI * fmax_Hz / w->fs * 1.0001 + 1e-3;
        for (size_t k = 1; k < n; k++) {
            if (fabs((double)xbuf[k][0] - (double)xbuf[k - 1][0]) > lim) {
                fail_msg("%s: jump of %.3f V at sample %zu (limit %.3f)", w->name,
                         fabs((double)xbuf[k][0] - (double)xbuf[k - 1][0]), k, lim);
            }
        }
    }
}

/* Correlate a channel with cos/sin of the fundamental over whole cycles: phasor angle. */
static double
angle_of(size_t ch, size_t n, double f, double fs)
{
    double re = 0.0, im = 0.0;
    for (size_t k = 0; k < n; k++) {
        double x = 2.0 * PI * f * (double)k / fs;
        re += (double)xbuf[k][ch] * cos(x);
        im -= (double)xbuf[k][ch] * sin(x);
    }
    return atan2(im, re);
}

static double
rms_of(size_t ch, size_t n)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++) {
        s += (double)xbuf[k][ch] * (double)xbuf[k][ch];
    }
    return sqrt(s / (double)n);
}

struct imp_row {
    const char *name;
    double ct_gain, ct_lead_deg, skew_s, xt;
    double want_i_rms, want_i_angle_deg; /* of the current channel, vs U */
};

static void
test_gen_impairments(void **state)
{
    (void)state;
    static struct mtrd_synth_signal s;
    memset(&s, 0, sizeof(s));
    s.phase_count = 1;
    mtrd_synth_wave_sine(&s.u[0], 230.0, 0.0);
    mtrd_synth_wave_sine(&s.i[0], 5.0, 0.0);
    static struct mtrd_synth_signal z;
    memset(&z, 0, sizeof(z));
    z.phase_count = 1;
    mtrd_synth_wave_sine(&z.u[0], 230.0, 0.0);
    const struct imp_row rows[] = {
        {"ideal",              0.0,  0.0, 0.0,    0.0, 5.0,  0.0 },
        {"CT +1 % lead 2 deg", 0.01, 2.0, 0.0,    0.0, 5.05, 2.0 },
 /* sampled 100 us later: the current appears advanced by 360*50*100e-6 = 1.8 deg */
        {"skew 100 us",        0.0,  0.0, 100e-6, 0.0, 5.0,  1.8 },
        {"CT lead and skew",   0.0,  0.5, 20e-6,  0.0, 5.0,  0.86},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const struct imp_row *w = &rows[r];
        struct mtrd_synth_seg seg = {8000, 50.0, &s, 1.0, 1.0};
        struct mtrd_synth_model m = {8000.0, 0.0, &seg, 1};
        struct mtrd_synth_frontend fe = {0};
        fe.ct_gain = w->ct_gain;
        fe.ct_lead_rad = w->ct_lead_deg * DEG;
        fe.skew_s = w->skew_s;
        struct mtrd_synth_gen g;
        assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
        size_t n = gen_all(&g, 8000, NULL);
        double irms = rms_of(1, n);
        double ang = (angle_of(1, n, 50.0, 8000.0) - angle_of(0, n, 50.0, 8000.0)) / DEG;
        if (fabs(irms - w->want_i_rms) > 1e-5 || fabs(ang - w->want_i_angle_deg) > 1e-5) {
            fail_msg("%s: Irms %.7f A angle %.6f deg, want %.7f A %.6f deg", w->name, irms, ang,
                     w->want_i_rms, w->want_i_angle_deg);
        }
    }
    /* crosstalk -80 dB of 1 A per 325 V: i = xt * v in phase */
    struct mtrd_synth_seg seg = {8000, 50.0, &z, 1.0, 1.0};
    struct mtrd_synth_model m = {8000.0, 0.0, &seg, 1};
    struct mtrd_synth_frontend fe = {0};
    fe.xt_A_per_V = 1e-4 / 325.0;
    struct mtrd_synth_gen g;
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
    size_t n = gen_all(&g, 8000, NULL);
    assert_true(fabs(rms_of(1, n) - 230.0 * 1e-4 / 325.0) < 1e-9);
    /* current-dependent CT lead: 3 deg at 5 mA, 0.5 deg at 6 A, log-interpolated */
    struct mtrd_synth_frontend fc = {0};
    fc.ct_lead_i_lo_A = 0.005;
    fc.ct_lead_i_hi_A = 6.0;
    fc.ct_lead_lo_rad = 3.0 * DEG;
    fc.ct_lead_hi_rad = 0.5 * DEG;
    const double i_test[] = {0.001, 0.005, 0.1, 6.0, 10.0};
    for (size_t k = 0; k < 5; k++) {
        struct mtrd_synth_seg sg = {8000, 50.0, &s, 1.0, i_test[k] / 5.0};
        struct mtrd_synth_model mm = {8000.0, 0.0, &sg, 1};
        assert_int_equal(mtrd_synth_init(&g, &mm, &fc), MTR_OK);
        size_t nn = gen_all(&g, 8000, NULL);
        double ang = (angle_of(1, nn, 50.0, 8000.0) - angle_of(0, nn, 50.0, 8000.0)) / DEG;
        double x = log(fmin(fmax(i_test[k], 0.005), 6.0) / 0.005) / log(6.0 / 0.005);
        double want = 3.0 + x * (0.5 - 3.0);
        if (fabs(ang - want) > 1e-4) {
            fail_msg("CT lead at %.3f A: %.5f deg, want %.5f deg", i_test[k], ang, want);
        }
    }
}

static void
test_gen_drop_dup_clock(void **state)
{
    (void)state;
    build_signals();
    struct mtrd_synth_seg seg = {80000, 50.0, &sig_pf05, 1.0, 1.0};
    struct mtrd_synth_model m = {8000.0, 0.0, &seg, 1};
    struct mtrd_synth_frontend fe = {0};
    fe.drop_every = 8000;
    fe.drop_block = 32;
    struct mtrd_synth_gen g;
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_OK);
    size_t total = 0;
    unsigned gaps = 0;
    double t_out = 0.0;
    for (;;) {
        size_t got;
        uint32_t fl;
        enum mtr_err e = mtrd_synth_read(&g, xbuf[0], 5000, &got, &fl);
        if (e == MTR_EOF) {
            break;
        }
        assert_int_equal(e, MTR_OK);
        if (fl & MTRD_SYNTH_READ_GAP) {
            gaps++;
            /* the first sample after a gap is the model at its true time */
            double u, i;
            assert_int_equal(
                mtrd_synth_model_eval(&m, 0, (double)(total + 32u * gaps) / 8000.0, &u, &i),
                MTR_OK);
            assert_true(fabs((double)xbuf[0][0] - u) < 1e-3);
        }
        total += got;
    }
    (void)t_out;
    /* drops at 8000, 16000, ..., 72000 true samples: 9 blocks of 32 */
    assert_int_equal(gaps, 9);
    assert_int_equal(total, 80000 - 9 * 32);
    assert_int_equal(g.dropped, 9 * 32);

    /* duplicates */
    struct mtrd_synth_frontend fd = {0};
    fd.dup_every = 1000;
    fd.dup_block = 32;
    assert_int_equal(mtrd_synth_init(&g, &m, &fd), MTR_OK);
    total = 0;
    unsigned dups = 0;
    static float last[32][2];
    size_t last_n = 0;
    for (;;) {
        size_t got;
        uint32_t fl;
        enum mtr_err e = mtrd_synth_read(&g, tmpbuf, 700, &got, &fl);
        if (e == MTR_EOF) {
            break;
        }
        if (fl & MTRD_SYNTH_READ_DUP) {
            dups++;
            assert_int_equal(got, 32);
            assert_true(last_n >= 32);
            for (size_t k = 0; k < 32; k++) {
                assert_memory_equal(&tmpbuf[2 * k], last[k], 2 * sizeof(float));
            }
        } else {
            for (size_t k = 0; k < got; k++) {
                memmove(last[0], last[1], sizeof(last) - sizeof(last[0]));
                last[31][0] = tmpbuf[2 * k];
                last[31][1] = tmpbuf[2 * k + 1];
                last_n++;
            }
        }
        total += got;
    }
    assert_true(dups >= 70);
    assert_int_equal(total, 80000 + g.duplicated);
    assert_int_equal(g.duplicated, 32u * dups);

    /* clock error */
    assert_true(fabs(mtrd_synth_fs_true(8000.0, 100.0) - 8000.8) < 1e-9);
    assert_true(fabs(mtrd_synth_fs_true(8000.0, -5000.0) - 7960.0) < 1e-9);
}

static void
test_gen_invalid(void **state)
{
    (void)state;
    build_signals();
    struct mtrd_synth_gen g;
    struct mtrd_synth_seg seg = {0, 50.0, &sig_pf05, 1.0, 1.0};
    struct mtrd_synth_model m = {8000.0, 0.0, &seg, 1};
    assert_int_equal(mtrd_synth_init(&g, &m, NULL), MTR_EINVAL);
    seg.sample_count = 10;
    seg.f_Hz = 0.0;
    assert_int_equal(mtrd_synth_init(&g, &m, NULL), MTR_EINVAL);
    seg.f_Hz = 50.0;
    struct mtrd_synth_frontend fe = {0};
    fe.adc_bits = 1;
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_EINVAL);
    fe.adc_bits = 16; /* no FS */
    assert_int_equal(mtrd_synth_init(&g, &m, &fe), MTR_EINVAL);
    assert_int_equal(mtrd_synth_init_online(&g, 8000.0, 4, NULL), MTR_EINVAL);
    assert_int_equal(mtrd_synth_init_online(&g, 8000.0, 1, NULL), MTR_OK);
    size_t got;
    assert_int_equal(mtrd_synth_read(&g, xbuf[0], 10, &got, NULL), MTR_EINVAL); /* never set */
    struct mtrd_synth_wave w;
    mtrd_synth_wave_sine(&w, 1.0, 0.0);
    assert_int_equal(mtrd_synth_wave_add(&w, 0, 1.0, 0.0), MTR_EINVAL);
    assert_int_equal(mtrd_synth_wave_add(&w, 64, 1.0, 0.0), MTR_EINVAL);
    for (int k = 1; k < MTRD_SYNTH_MAX_TERMS; k++) {
        assert_int_equal(mtrd_synth_wave_add(&w, 3, 0.1, 0.0), MTR_OK);
    }
    assert_int_equal(mtrd_synth_wave_add(&w, 3, 0.1, 0.0), MTR_ENOSPC);
}

/* ---------- household ---------- */

static double
hh_power(uint64_t seed, double tod_s, double dur_s, double *p_ph)
{
    static struct mtrd_synth_hh hh;
    struct mtrd_synth_household par = {tod_s, seed, 8000.0};
    assert_int_equal(mtrd_synth_hh_init(&hh, &par), MTR_OK);
    size_t want = (size_t)(dur_s * 8000.0);
    double acc[3] = {0, 0, 0};
    size_t done = 0;
    while (done < want) {
        size_t got;
        assert_int_equal(
            mtrd_synth_hh_read(&hh, xbuf[0], 4096 < want - done ? 4096 : want - done, &got),
            MTR_OK);
        for (size_t k = 0; k < got; k++) {
            for (int p = 0; p < 3; p++) {
                acc[p] += (double)xbuf[k][p] * (double)xbuf[k][3 + p];
            }
        }
        done += got;
    }
    for (int p = 0; p < 3; p++) {
        p_ph[p] = acc[p] / (double)want;
    }
    return p_ph[0] + p_ph[1] + p_ph[2];
}

struct hh_row {
    const char *name;
    double tod_h;
    double p_min_W, p_max_W; /* total measured */
};

static void
test_household_schedule(void **state)
{
    (void)state;
    const struct hh_row rows[] = {
        {"night standby (+fridge)", 3.0,  100.0,   400.0  },
        {"midday PV export",        13.5, -5200.0, -3300.0},
        {"evening EV charging",     20.5, 11000.0, 17000.0},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        double ph[3], nominal[3];
        double p = hh_power(1, rows[r].tod_h * 3600.0, 1.0, ph);
        mtrd_synth_hh_load(1, rows[r].tod_h * 3600.0, nominal);
        double pn = nominal[0] + nominal[1] + nominal[2];
        if (p < rows[r].p_min_W || p > rows[r].p_max_W) {
            fail_msg("%s: P = %.1f W outside %.0f..%.0f W", rows[r].name, p, rows[r].p_min_W,
                     rows[r].p_max_W);
        }
        /* measured follows the schedule (voltage differs from 230 V by the source impedance) */
        if (fabs(p - pn) > 0.03 * fabs(pn) + 10.0) {
            fail_msg("%s: measured %.1f W vs schedule %.1f W", rows[r].name, p, pn);
        }
        if (r == 1) {
            for (int k = 0; k < 3; k++) {
                assert_true(ph[k] < 0.0); /* export on every phase */
            }
        }
    }
}

static void
test_household_determinism_speed(void **state)
{
    (void)state;
    static struct mtrd_synth_hh a, b;
    static float xa[8000][6], xb[8000][6];
    struct mtrd_synth_household par = {12.0 * 3600.0 - 5.0, 99, 8000.0};
    assert_int_equal(mtrd_synth_hh_init(&a, &par), MTR_OK);
    assert_int_equal(mtrd_synth_hh_init(&b, &par), MTR_OK);
    for (int s = 0; s < 10; s++) {
        size_t ga = 0, gb = 0, got;
        while (ga < 8000) {
            assert_int_equal(mtrd_synth_hh_read(&a, xa[ga], 8000 - ga, &got), MTR_OK);
            ga += got;
        }
        while (gb < 8000) {
            assert_int_equal(
                mtrd_synth_hh_read(&b, xb[gb], 997 < 8000 - gb ? 997 : 8000 - gb, &got), MTR_OK);
            gb += got;
        }
        assert_memory_equal(xa, xb, sizeof(xa));
        /* continuity across the once-per-second updates: no jump beyond the slope bound */
        for (int k = 1; k < 8000; k++) {
            if (fabs((double)xa[k][0] - (double)xa[k - 1][0]) > 30.0) {
                fail_msg("U1 jump at second %d sample %d", s, k);
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truth_vs_brute),
        cmocka_unit_test(test_truth_additive),
        cmocka_unit_test(test_truth_stats),
        cmocka_unit_test(test_gen_matches_model),
        cmocka_unit_test(test_gen_noise_and_quantisation),
        cmocka_unit_test(test_gen_clip_and_determinism),
        cmocka_unit_test(test_gen_frequency),
        cmocka_unit_test(test_gen_impairments),
        cmocka_unit_test(test_gen_drop_dup_clock),
        cmocka_unit_test(test_gen_invalid),
        cmocka_unit_test(test_household_schedule),
        cmocka_unit_test(test_household_determinism_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
