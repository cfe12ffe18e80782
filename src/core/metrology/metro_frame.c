/*
 * Processing of one completed frame: DC removal, gain and ratio scaling, phase
 * and skew correction, RMS and power sums, spectra, and the per-phase and total
 * quantities with the frame's energy.
 *
 * Per-sample arithmetic is float so a Cortex-M4 keeps up; sums run in 8 float
 * lanes flushed into double every SUM_BLOCK samples, which keeps the relative
 * rounding error of a 200 ms sum below 1e-6 (double is per-frame work).
 * Energy is the sample sum of u*i divided by fs: every sample of the input is
 * in exactly one frame, so frame energies add up to the gapless integral.
 */
#include <math.h>
#include <string.h>

#include "meterd/metrology.h"
#include "metro_int.h"

/** Samples summed in float lanes before flushing to double. */
#define SUM_BLOCK  256u
/** Float lanes of the sums (lets the compiler use SIMD registers); each sum keeps them
 * as two arrays of HALF_LANES, which gcc 12 -O2 holds in two registers (one array of 8
 * stayed in memory). */
#define LANES      8u
#define HALF_LANES (LANES / 2u)
#define WH_PER_J   (1.0 / 3600.0)

/* Sum of a[k]*b[k] over n samples. */
static double
dot(const float *a, const float *b, uint32_t n)
{
    double total = 0.0;
    uint32_t k = 0;
    while (k < n) {
        uint32_t end = n - k > SUM_BLOCK ? k + SUM_BLOCK : n;
        /* lanes 0..3 and 4..7 as two arrays: gcc then keeps each in one register */
        float acc[HALF_LANES] = {0};
        float acc_hi[HALF_LANES] = {0};
        for (; k + LANES <= end; k += LANES) {
            /* pointers, not a[k + j]: a uint32_t index may wrap, which stops the
             * compiler from proving the lanes contiguous (it then gathers) */
            const float *pa = &a[k];
            const float *pb = &b[k];
            for (unsigned j = 0; j < HALF_LANES; j++) {
                acc[j] += pa[j] * pb[j];
            }
            for (unsigned j = 0; j < HALF_LANES; j++) {
                acc_hi[j] += pa[HALF_LANES + j] * pb[HALF_LANES + j];
            }
        }
        for (; k < end; k++) {
            acc[0] += a[k] * b[k];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc[j];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc_hi[j];
        }
    }
    return total;
}

static double
sum(const float *a, uint32_t n)
{
    double total = 0.0;
    uint32_t k = 0;
    while (k < n) {
        uint32_t end = n - k > SUM_BLOCK ? k + SUM_BLOCK : n;
        float acc[HALF_LANES] = {0};
        float acc_hi[HALF_LANES] = {0};
        for (; k + LANES <= end; k += LANES) {
            const float *pa = &a[k];
            for (unsigned j = 0; j < HALF_LANES; j++) {
                acc[j] += pa[j];
            }
            for (unsigned j = 0; j < HALF_LANES; j++) {
                acc_hi[j] += pa[HALF_LANES + j];
            }
        }
        for (; k < end; k++) {
            acc[0] += a[k];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc[j];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc_hi[j];
        }
    }
    return total;
}

/*
 * Sum of (a[k] + sign*b[k])^2: line-to-line voltages (sign -1), two-phase neutral (+1).
 * Float lanes flushed to double every SUM_BLOCK samples, like dot().
 */
static double
sum_sq_pair(const float *a, const float *b, float sign, uint32_t n)
{
    double total = 0.0;
    uint32_t k = 0;
    while (k < n) {
        uint32_t end = n - k > SUM_BLOCK ? k + SUM_BLOCK : n;
        float acc[HALF_LANES] = {0};
        float acc_hi[HALF_LANES] = {0};
        for (; k + LANES <= end; k += LANES) {
            const float *pa = &a[k];
            const float *pb = &b[k];
            for (unsigned j = 0; j < HALF_LANES; j++) {
                float d = pa[j] + sign * pb[j];
                acc[j] += d * d;
            }
            for (unsigned j = 0; j < HALF_LANES; j++) {
                float d = pa[HALF_LANES + j] + sign * pb[HALF_LANES + j];
                acc_hi[j] += d * d;
            }
        }
        for (; k < end; k++) {
            float d = a[k] + sign * b[k];
            acc[0] += d * d;
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc[j];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc_hi[j];
        }
    }
    return total;
}

/* Sum of (a[k] + b[k] + c[k])^2: the computed neutral current of 3P4W. */
static double
sum_sq_triple(const float *a, const float *b, const float *c, uint32_t n)
{
    double total = 0.0;
    uint32_t k = 0;
    while (k < n) {
        uint32_t end = n - k > SUM_BLOCK ? k + SUM_BLOCK : n;
        float acc[HALF_LANES] = {0};
        float acc_hi[HALF_LANES] = {0};
        for (; k + LANES <= end; k += LANES) {
            const float *pa = &a[k];
            const float *pb = &b[k];
            const float *pc = &c[k];
            for (unsigned j = 0; j < HALF_LANES; j++) {
                float d = pa[j] + pb[j] + pc[j];
                acc[j] += d * d;
            }
            for (unsigned j = 0; j < HALF_LANES; j++) {
                float d = pa[HALF_LANES + j] + pb[HALF_LANES + j] + pc[HALF_LANES + j];
                acc_hi[j] += d * d;
            }
        }
        for (; k < end; k++) {
            float d = a[k] + b[k] + c[k];
            acc[0] += d * d;
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc[j];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc_hi[j];
        }
    }
    return total;
}

/*
 * x = (x - dc) * g over the frame (history untouched: it is already corrected), and
 * the sum of the corrected x^2, in the same blocks and lanes as dot(x, x, n), so the
 * sum is bit-identical to a dot() after the correction.
 */
static double
correct_sq(float *x, uint32_t n, float dc, float g)
{
    double total = 0.0;
    uint32_t k = 0;
    while (k < n) {
        uint32_t end = n - k > SUM_BLOCK ? k + SUM_BLOCK : n;
        /* lanes 0..3 and 4..7 as two arrays: gcc then keeps each in one register */
        float acc[HALF_LANES] = {0};
        float acc_hi[HALF_LANES] = {0};
        for (; k + LANES <= end; k += LANES) {
            float *restrict p = &x[k];
            for (unsigned j = 0; j < HALF_LANES; j++) {
                float v = (p[j] - dc) * g;
                p[j] = v;
                acc[j] += v * v;
            }
            for (unsigned j = 0; j < HALF_LANES; j++) {
                float v = (p[HALF_LANES + j] - dc) * g;
                p[HALF_LANES + j] = v;
                acc_hi[j] += v * v;
            }
        }
        for (; k < end; k++) {
            float v = (x[k] - dc) * g;
            x[k] = v;
            acc[0] += v * v;
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc[j];
        }
        for (unsigned j = 0; j < HALF_LANES; j++) {
            total += (double)acc_hi[j];
        }
    }
    return total;
}

/*
 * Delay x by d >= 0 samples in place: x[k] = (1-a) x[k-D] + a x[k-D-1], reading the
 * history before index 0. Runs backwards so every read is of an unmodified sample.
 * Returns |H| of this interpolator at the normalised angular frequency w (rad/sample).
 */
static double
delay(float *x, uint32_t n, double d, double w)
{
    int32_t d_int = (int32_t)floor(d);
    double a = d - (double)d_int;
    float fa = (float)a;
    float fb = 1.0f - fa;
    for (int32_t k = (int32_t)n - 1; k >= 0; k--) {
        x[k] = fb * x[k - d_int] + fa * x[k - d_int - 1];
    }
    return sqrt((1.0 - a) * (1.0 - a) + a * a + 2.0 * a * (1.0 - a) * cos(w));
}

static float
gain(int32_t ppm, double ratio)
{
    return (float)((1.0 + (double)ppm * 1e-6) * ratio);
}

static bool
is_balanced(enum mtr_metro_net net)
{
    return net == MTR_METRO_NET_2BL || net == MTR_METRO_NET_3BL || net == MTR_METRO_NET_4BL;
}

/*
 * Step 1: DC and gain of every channel; inferred currents of 3P3W.
 * The DC is the mean over the frame's whole cycles (the last len_cycles samples),
 * where the AC part averages to zero. A frame without whole cycles (closed on
 * time, or flushed) keeps the previous frame's DC: the mean of a partial cycle is
 * not DC, and removing it would bias P by -mean(u)*mean(i). sq[c] receives the sum of
 * the corrected channel c's squares over the frame.
 */
static void
correct_channels(struct mtr_metro *m, double len_cycles, double sq[2 * MTR_CFG_MAX_PHASES])
{
    const uint32_t n = m->n;
    const uint8_t np = m->phase_count;
    uint32_t whole = len_cycles > 0.0 ? (uint32_t)lround(len_cycles) : 0u;
    bool is_dc_kept = whole == 0u && m->frame_seq > 1u;
    if (whole == 0u || whole > n) {
        whole = n;
    }
    for (unsigned c = 0; c < m->chan_count; c++) {
        float *x = mtr_metro_x(m, c);
        bool is_u = c < np;
        unsigned p = is_u ? c : c - np;
        float dc = is_dc_kept ? m->dc[c] : (float)(sum(&x[n - whole], whole) / (double)whole);
        if (len_cycles <= 0.0 && m->frame_seq <= 1u) {
            dc = 0.0f; /* the first frame, shorter than a cycle: no estimate yet */
        }
        m->dc[c] = dc;
        float g = is_u ? gain(m->cfg.cal[p].u_gain_ppm, m->cfg.vt_ratio)
                       : gain(m->cfg.cal[p].i_gain_ppm, m->cfg.ct_ratio);
        sq[c] = correct_sq(x, n, (is_u || m->cfg.is_i_dc_removed) ? dc : 0.0f, g);
    }
    if (m->cfg.net == MTR_METRO_NET_3P3W) {
        /* Aron: I2 = -(I1 + I3), so sum(u_p i_p) is the two-wattmeter power. */
        float *i1 = mtr_metro_x(m, np + 0u);
        float *i2 = mtr_metro_x(m, np + 1u);
        float *i3 = mtr_metro_x(m, np + 2u);
        for (uint32_t k = 0; k < n; k++) {
            i2[k] = -(i1[k] + i3[k]);
        }
        sq[np + 1u] = dot(i2, i2, n);
    }
}

/* Delay of the current of phase p relative to its voltage, seconds (>0: delay I). */
static double
phase_tau_s(const struct mtr_metro *m, unsigned p, double f_Hz)
{
    const struct mtr_metro_phase_cal *c = &m->cfg.cal[p];
    if (m->cfg.net == MTR_METRO_NET_3P3W && p == 1) {
        /* the inferred I2 mixes I1 and I3: use the mean of their corrections */
        return 0.5 * (phase_tau_s(m, 0, f_Hz) + phase_tau_s(m, 2, f_Hz));
    }
    return (double)c->i_skew_ns * 1e-9 + (double)c->i_phase_mdeg * 1e-3 / (360.0 * f_Hz);
}

static float
wrap_deg(double a)
{
    while (a > 180.0) {
        a -= 360.0;
    }
    while (a <= -180.0) {
        a += 360.0;
    }
    return (float)a;
}

static void
fill_spectral(struct mtr_metro_phase *ph, const struct mtr_metro_spec *sp, uint8_t h_max)
{
    double harm_u = 0.0;
    double harm_i = 0.0;
    for (unsigned h = 0; h <= MTR_CFG_MAX_HARMONIC; h++) {
        ph->u_h_V[h] = h <= h_max ? sp->u_h[h] : 0.0f;
        ph->i_h_A[h] = h <= h_max ? sp->i_h[h] : 0.0f;
        if (h >= 2 && h <= h_max) {
            harm_u += (double)sp->u_h[h] * (double)sp->u_h[h];
            harm_i += (double)sp->i_h[h] * (double)sp->i_h[h];
        }
    }
    ph->u_thd_pct = sp->u_h[1] > 0.0f ? (float)(100.0 * sqrt(harm_u) / (double)sp->u_h[1]) : 0.0f;
    ph->i_thd_pct = sp->i_h[1] > 0.0f ? (float)(100.0 * sqrt(harm_i) / (double)sp->i_h[1]) : 0.0f;
    /* U1 * conj(I1) = U I e^{j phi}; phi > 0 when the current lags */
    double re = (double)sp->u1_re * (double)sp->i1_re + (double)sp->u1_im * (double)sp->i1_im;
    double im = (double)sp->u1_im * (double)sp->i1_re - (double)sp->u1_re * (double)sp->i1_im;
    ph->q1_var = (float)im;
    ph->qb_var = (float)sp->qb;
    ph->phi_deg = (re == 0.0 && im == 0.0) ? 0.0f : wrap_deg(atan2(im, re) * 180.0 / MTR_PI);
}

/* Energies of a phase after the no-load (creep) thresholds. */
static void
phase_energy(const struct mtr_metro *m, struct mtr_metro_phase *ph, double dur_s)
{
    float q = m->cfg.q_def == MTR_METRO_Q_BUDEANU ? ph->qb_var : ph->q1_var;
    bool is_p_on = fabsf(ph->p_W) >= m->cfg.p_start_W;
    bool is_q_on = fabsf(q) >= m->cfg.q_start_var;
    ph->e_p_Wh = is_p_on ? (double)ph->p_W * dur_s * WH_PER_J : 0.0;
    ph->e_q_varh = is_q_on ? (double)q * dur_s * WH_PER_J : 0.0;
    ph->e_s_VAh = (is_p_on || is_q_on) ? (double)ph->s_VA * dur_s * WH_PER_J : 0.0;
}

/* Steps 2-4 for one phase: spectrum, RMS, delay correction and power. */
/*
 * Spectrum of phase p over n_cycles whole cycles; with none (a frame shorter than
 * a cycle) the previous frame's phasors stand, so Q1 carries over for those few
 * milliseconds instead of dropping to zero.
 */
static void
phase_spectrum(struct mtr_metro *m,
               unsigned p,
               double len_cycles,
               unsigned n_cycles,
               double tau_s,
               struct mtr_metro_spec *sp)
{
    if (n_cycles == 0u) {
        memset(sp, 0, sizeof(*sp));
        sp->u1_re = m->last_ph[p][0];
        sp->u1_im = m->last_ph[p][1];
        sp->i1_re = m->last_ph[p][2];
        sp->i1_im = m->last_ph[p][3];
        sp->qb = m->last_qb[p];
        return;
    }
    mtr_metro_spectrum(m, p, len_cycles, n_cycles, tau_s, sp);
    m->last_ph[p][0] = sp->u1_re;
    m->last_ph[p][1] = sp->u1_im;
    m->last_ph[p][2] = sp->i1_re;
    m->last_ph[p][3] = sp->i1_im;
    m->last_qb[p] = sp->qb;
}

static void
measure_phase(struct mtr_metro *m,
              unsigned p,
              double len_cycles,
              unsigned n_cycles,
              double f_Hz,
              double sq_i,
              struct mtr_metro_spec *sp,
              struct mtr_metro_frame *frame)
{
    const uint32_t n = m->n;
    const uint8_t np = m->phase_count;
    struct mtr_metro_phase *ph = &frame->ph[p];
    float *u = mtr_metro_x(m, p);
    float *i = mtr_metro_x(m, np + p);
    double tau_s = phase_tau_s(m, p, f_Hz);
    phase_spectrum(m, p, len_cycles, n_cycles, tau_s, sp);
    fill_spectral(ph, sp, m->h_max);

    ph->i_rms_A = (float)sqrt(sq_i / (double)n); /* (sum of i^2 from correct_channels()) */
    ph->is_present = ph->u_rms_V >= MTR_METRO_MISSING_FRAC * m->cfg.u_nom_V;

    double d = tau_s * m->cfg.fs_Hz;
    double w = 2.0 * MTR_PI * f_Hz / m->cfg.fs_Hz;
    double droop = 1.0;
    if (d > 0.0) {
        droop = delay(i, n, d, w);
    } else if (d < 0.0) {
        droop = delay(u, n, -d, w);
    }
    /* the interpolator's gain at the fundamental is divided out */
    ph->p_W = (float)(dot(u, i, n) / (double)n / droop);
    ph->s_VA = ph->u_rms_V * ph->i_rms_A;
    ph->pf_ratio = ph->s_VA > 0.0f ? ph->p_W / ph->s_VA : 0.0f;
    if (ph->pf_ratio > 1.0f) {
        ph->pf_ratio = 1.0f;
    } else if (ph->pf_ratio < -1.0f) {
        ph->pf_ratio = -1.0f;
    }
}

/* Balanced networks: phases 2..n take phase 1's current quantities. */
static void
infer_balanced(struct mtr_metro_frame *frame)
{
    const struct mtr_metro_phase *ref = &frame->ph[0];
    for (unsigned p = 1; p < frame->phase_count; p++) {
        struct mtr_metro_phase *ph = &frame->ph[p];
        ph->i_rms_A = ref->i_rms_A;
        ph->p_W = ref->p_W;
        ph->q1_var = ref->q1_var;
        ph->qb_var = ref->qb_var;
        ph->phi_deg = ref->phi_deg;
        ph->i_thd_pct = ref->i_thd_pct;
        memcpy(ph->i_h_A, ref->i_h_A, sizeof(ph->i_h_A));
        ph->s_VA = ph->u_rms_V * ph->i_rms_A;
        ph->pf_ratio = ph->s_VA > 0.0f ? ph->p_W / ph->s_VA : 0.0f;
    }
}

/* Line-to-line voltages and the computed neutral current (undelayed samples). */
static void
measure_lines(struct mtr_metro *m, struct mtr_metro_frame *frame)
{
    const uint32_t n = m->n;
    const uint8_t np = m->phase_count;
    if (np == 3) {
        for (unsigned p = 0; p < 3; p++) {
            frame->u_ll_V[p] = (float)sqrt(
                sum_sq_pair(mtr_metro_x(m, p), mtr_metro_x(m, (p + 1u) % 3u), -1.0f, n) /
                (double)n);
        }
        if (m->cfg.net == MTR_METRO_NET_3P4W) {
            frame->i_n_A = (float)sqrt(
                sum_sq_triple(mtr_metro_x(m, 3), mtr_metro_x(m, 4), mtr_metro_x(m, 5), n) /
                (double)n);
        }
    } else if (np == 2) {
        frame->u_ll_V[0] =
            (float)sqrt(sum_sq_pair(mtr_metro_x(m, 0), mtr_metro_x(m, 1), -1.0f, n) / (double)n);
        if (m->cfg.net == MTR_METRO_NET_SPLIT) {
            frame->i_n_A =
                (float)sqrt(sum_sq_pair(mtr_metro_x(m, 2), mtr_metro_x(m, 3), 1.0f, n) / (double)n);
        }
    }
}

static void
fill_totals(const struct mtr_metro *m, struct mtr_metro_frame *frame, double dur_s)
{
    struct mtr_metro_total *t = &frame->total;
    for (unsigned p = 0; p < frame->phase_count; p++) {
        struct mtr_metro_phase *ph = &frame->ph[p];
        phase_energy(m, ph, dur_s);
        t->p_W += ph->p_W;
        t->q1_var += ph->q1_var;
        t->qb_var += ph->qb_var;
        t->s_VA += ph->s_VA;
        t->e_p_Wh += ph->e_p_Wh;
        t->e_q_varh += ph->e_q_varh;
        t->e_s_VAh += ph->e_s_VAh;
        if (!ph->is_present) {
            frame->missing_mask = (uint8_t)(frame->missing_mask | (1u << p));
        }
    }
    t->pf_ratio = t->s_VA > 0.0f ? t->p_W / t->s_VA : 0.0f;
    if (frame->phase_count == 3 && frame->missing_mask == 0) {
        /* U2 lags U1 by 120 degrees in the direct sequence */
        frame->seq_order = frame->ph[1].u_angle_deg < 0.0f ? MTR_METRO_SEQ_123 : MTR_METRO_SEQ_132;
    }
}

/* Keep each channel's last corrected, undelayed samples as the next frame's history. */
static void
save_history(struct mtr_metro *m)
{
    const uint32_t h = MTR_CFG_MAX_DELAY_SAMPLES;
    for (unsigned c = 0; c < m->chan_count; c++) {
        float *x = mtr_metro_x(m, c);
        if (m->n >= h) {
            memcpy(m->hist[c], &x[m->n - h], h * sizeof(float));
        } else {
            /* short frame: shift the old history and append */
            float tmp[MTR_CFG_MAX_DELAY_SAMPLES];
            memcpy(tmp, &x[(int32_t)m->n - (int32_t)h], h * sizeof(float));
            memcpy(m->hist[c], tmp, h * sizeof(float));
        }
    }
}

static void
restore_history(struct mtr_metro *m)
{
    for (unsigned c = 0; c < m->chan_count; c++) {
        memcpy(m->ch[c].buf, m->hist[c], sizeof(m->hist[c]));
    }
}

void
mtr_metro_process(struct mtr_metro *m, double len_cycles, struct mtr_metro_frame *frame)
{
    const uint32_t n = m->n;
    memset(frame, 0, sizeof(*frame));
    frame->seq = m->frame_seq++;
    frame->sample_start = m->sample_index - n;
    frame->sample_count = n;
    frame->duration_s = (double)n / m->cfg.fs_Hz;
    frame->phase_count = m->phase_count;
    double f_Hz = (double)m->f_last_Hz;
    if (len_cycles > 0.0) {
        f_Hz = (double)m->n_cycles * m->cfg.fs_Hz / len_cycles;
    }
    double sq[2 * MTR_CFG_MAX_PHASES];
    correct_channels(m, len_cycles, sq);
    unsigned n_cycles = m->n_cycles;
    /* the spectrum's window ends MTR_METRO_RS_END samples before the frame's end and its
     * kernel reads MTR_METRO_RS_PRE samples before the window */
    const double rs_margin = (double)(MTR_METRO_RS_END + MTR_METRO_RS_PRE);
    if (len_cycles <= 0.0 || len_cycles > (double)n + MTR_CFG_MAX_DELAY_SAMPLES - rs_margin) {
        /* not synchronised: analyse the whole cycles it holds at the last frequency */
        double period = m->cfg.fs_Hz / f_Hz;
        double whole = floor(((double)n - (double)MTR_METRO_RS_END) / period);
        /* a frame shorter than the window margin (a flush right after a frame) has none */
        n_cycles = !(whole > 0.0)                ? 0u
                   : whole < (double)m->n_cycles ? (unsigned)whole
                                                 : m->n_cycles;
        len_cycles = (double)n_cycles * period;
    }
    /* the spectra read the history; take the undelayed tail before delaying */
    save_history(m);
    unsigned measured = is_balanced(m->cfg.net) ? 1u : m->phase_count;
    struct mtr_metro_spec sp[MTR_CFG_MAX_PHASES];
    memset(sp, 0, sizeof(sp)); /* (init guarantees phase_count >= 1; keeps analysers sure) */
    for (unsigned p = 0; p < m->phase_count; p++) {
        frame->ph[p].u_rms_V = (float)sqrt(sq[p] / (double)n);
        frame->ph[p].is_present = frame->ph[p].u_rms_V >= MTR_METRO_MISSING_FRAC * m->cfg.u_nom_V;
    }
    measure_lines(m, frame);
    if (n_cycles > 0u) {
        mtr_metro_resample(m, len_cycles);
    }
    for (unsigned p = 0; p < m->phase_count; p++) {
        if (p < measured) {
            measure_phase(m, p, len_cycles, n_cycles, f_Hz, sq[m->phase_count + p], &sp[p], frame);
        } else {
            /* no CT on this phase: its voltage spectrum only */
            phase_spectrum(m, p, len_cycles, n_cycles, 0.0, &sp[p]);
            fill_spectral(&frame->ph[p], &sp[p], m->h_max);
        }
    }
    if (measured < m->phase_count) {
        infer_balanced(frame);
        frame->i_n_A = 0.0f;
    } else if (m->phase_count == 1) {
        frame->i_n_A = frame->ph[0].i_rms_A; /* single phase: the neutral carries I1 */
    }
    double a1 = atan2((double)sp[0].u1_im, (double)sp[0].u1_re);
    for (unsigned p = 0; p < m->phase_count; p++) {
        double ap = atan2((double)sp[p].u1_im, (double)sp[p].u1_re);
        frame->ph[p].u_angle_deg = wrap_deg((ap - a1) * 180.0 / MTR_PI);
    }
    fill_totals(m, frame, frame->duration_s);
    m->ref_rms = (float)((double)frame->ph[m->ref_phase].u_rms_V / m->cfg.vt_ratio);
    restore_history(m);
    m->n = 0;
}
