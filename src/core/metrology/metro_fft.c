/*
 * Spectral analysis of a frame (IEC 61000-4-7): the frame's whole cycles are
 * resampled to a power-of-two number of points with cubic (Catmull-Rom)
 * interpolation, so the analysis window spans exactly 10 (50 Hz) or 12 (60 Hz)
 * cycles and bin n_cycles*h is harmonic h (5 Hz bins). U and I of a phase go
 * through one complex FFT as u + j*i and are separated by conjugate symmetry.
 * Harmonic groups follow IEC 61000-4-7 5.5.2 (half weights at the group edges).
 * The current's phase/skew correction is applied here as an exact frequency-
 * domain delay of each bin, so phasors and Budeanu Q see the corrected current.
 */
#include <math.h>

#include "meterd/metrology.h"
#include "metro_int.h"

/** Butterflies done as one block in the wide stages: a fixed count the compiler maps
 * onto SIMD registers (4 floats = one SSE / NEON register). */
#define FFT_BLOCK 4u

/* k with its lowest `bits` bits reversed. */
static uint32_t
bit_reverse(uint32_t k, uint32_t bits)
{
    uint32_t r = 0;
    for (uint32_t b = 0; b < bits; b++) {
        r = (r << 1) | ((k >> b) & 1u);
    }
    return r;
}

void
mtr_metro_fft_init(struct mtr_metro *m)
{
    /* Twiddle of butterfly group g is W^bitrev(g) (see fft()); per-init work, so
     * double for exact twiddles. */
    uint32_t bits = 0;
    while ((1u << bits) < m->fft_len / 2u) {
        bits++;
    }
    for (uint32_t k = 0; k < m->fft_len / 2u; k++) {
        double a = -2.0 * MTR_PI * (double)bit_reverse(k, bits) / (double)m->fft_len;
        m->tw_re[k] = (float)cos(a);
        m->tw_im[k] = (float)sin(a);
    }
    for (uint32_t k = 0; k < m->fft_len; k++) {
        m->rev[k] = (uint16_t)bit_reverse(k, bits + 1u);
    }
}

/* Butterflies x[a] +/- w x[b] of one group: a in [0, half), b = a + half. */
static void
group_bfly(float *restrict ar,
           float *restrict ai,
           float *restrict br,
           float *restrict bi,
           uint32_t half,
           float wr,
           float wi)
{
    uint32_t k = 0;
    for (; k + FFT_BLOCK <= half; k += FFT_BLOCK) {
        float *restrict a_r = &ar[k];
        float *restrict a_i = &ai[k];
        float *restrict b_r = &br[k];
        float *restrict b_i = &bi[k];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float tr = b_r[j] * wr - b_i[j] * wi;
            float ti = b_r[j] * wi + b_i[j] * wr;
            b_r[j] = a_r[j] - tr;
            b_i[j] = a_i[j] - ti;
            a_r[j] += tr;
            a_i[j] += ti;
        }
    }
    for (; k < half; k++) {
        float tr = br[k] * wr - bi[k] * wi;
        float ti = br[k] * wi + bi[k] * wr;
        br[k] = ar[k] - tr;
        bi[k] = ai[k] - ti;
        ar[k] += tr;
        ai[k] += ti;
    }
}

/*
 * In-place iterative radix-2 FFT of len points, natural-order input.
 * Cooley-Tukey with the twiddles in bit-reversed order: at every stage, group g
 * (points [2 g half, 2 (g + 1) half)) uses the one twiddle W^bitrev(g), so each
 * group is a run of contiguous butterflies with a constant twiddle, which
 * vectorises; the output comes out bit-reversed and is permuted at the end.
 */
static void
fft(float *re, float *im, uint32_t len, const float *tw_re, const float *tw_im)
{
    uint32_t groups = 1;
    for (uint32_t half = len >> 1; half >= FFT_BLOCK; half >>= 1) {
        for (uint32_t g = 0; g < groups; g++) {
            uint32_t a = 2u * g * half;
            group_bfly(&re[a], &im[a], &re[a + half], &im[a + half], half, tw_re[g], tw_im[g]);
        }
        groups <<= 1;
    }
    /* the last stages have groups of 2 and 1 butterflies: inline, no call per group */
    for (uint32_t half = FFT_BLOCK >> 1; half >= 1u; half >>= 1) {
        for (uint32_t g = 0; g < groups; g++) {
            const float wr = tw_re[g];
            const float wi = tw_im[g];
            float *ar = &re[2u * g * half];
            float *ai = &im[2u * g * half];
            for (uint32_t k = 0; k < half; k++) {
                float tr = ar[k + half] * wr - ai[k + half] * wi;
                float ti = ar[k + half] * wi + ai[k + half] * wr;
                ar[k + half] = ar[k] - tr;
                ai[k + half] = ai[k] - ti;
                ar[k] += tr;
                ai[k] += ti;
            }
        }
        groups <<= 1;
    }
    /* the output stays in bit-reversed order: the analysis reads bins through m->rev */
}

void
mtr_metro_resample_plan(struct mtr_metro *m, double len_cycles)
{
    /* per-frame work: positions in double, weights in float */
    double s0 = (double)m->n - 2.0 - len_cycles;
    double step = len_cycles / (double)m->fft_len;
    for (uint32_t j = 0; j < m->fft_len; j++) {
        double t = s0 + step * (double)j;
        /* t >= -(history) > -MTR_CFG_MAX_DELAY_SAMPLES: truncation of t + bias is floor(t) */
        double fl = (double)((int32_t)(t + (double)MTR_CFG_MAX_DELAY_SAMPLES) -
                             (int32_t)MTR_CFG_MAX_DELAY_SAMPLES);
        float mu = (float)(t - fl);
        float mu2 = mu * mu;
        float mu3 = mu2 * mu;
        m->rs_k[j] = (int32_t)fl;
        /* Catmull-Rom: p1 + mu/2 (p2 - p0 + mu (2p0 - 5p1 + 4p2 - p3 + mu (3(p1 - p2) + p3 - p0)))
         */
        m->rs_w[0][j] = 0.5f * (-mu3 + 2.0f * mu2 - mu);
        m->rs_w[1][j] = 0.5f * (3.0f * mu3 - 5.0f * mu2 + 2.0f);
        m->rs_w[2][j] = 0.5f * (-3.0f * mu3 + 4.0f * mu2 + mu);
        m->rs_w[3][j] = 0.5f * (mu3 - mu2);
    }
}

/* Resample u and i into re/im with the frame's plan. */
static void
resample(struct mtr_metro *m, unsigned cu, unsigned ci)
{
    const float *restrict u = mtr_metro_x(m, cu);
    const float *restrict i = mtr_metro_x(m, ci);
    const int32_t *restrict kk = m->rs_k;
    const float *restrict w0 = m->rs_w[0];
    const float *restrict w1 = m->rs_w[1];
    const float *restrict w2 = m->rs_w[2];
    const float *restrict w3 = m->rs_w[3];
    float *restrict re = m->fft_re;
    float *restrict im = m->fft_im;
    for (uint32_t j = 0; j < m->fft_len; j++) {
        int32_t k = kk[j];
        re[j] = w0[j] * u[k - 1] + w1[j] * u[k] + w2[j] * u[k + 1] + w3[j] * u[k + 2];
        im[j] = w0[j] * i[k - 1] + w1[j] * i[k] + w2[j] * i[k + 1] + w3[j] * i[k + 2];
    }
}

/* Separate bin k of U and I from the transform of u + j*i. */
static void
split_bin(const struct mtr_metro *m, uint32_t k, double *ur, double *ui, double *ir, double *ii)
{
    uint32_t kc = m->rev[k == 0 ? 0 : m->fft_len - k];
    uint32_t kr = m->rev[k];
    double zr = (double)m->fft_re[kr];
    double zi = (double)m->fft_im[kr];
    double cr = (double)m->fft_re[kc];
    double ci = (double)m->fft_im[kc];
    *ur = 0.5 * (zr + cr);
    *ui = 0.5 * (zi - ci);
    *ir = 0.5 * (zi + ci);
    *ii = -0.5 * (zr - cr);
}

void
mtr_metro_spectrum(struct mtr_metro *m,
                   unsigned cu,
                   unsigned ci,
                   double len_cycles,
                   unsigned n_cycles,
                   double tau_i_s,
                   struct mtr_metro_spec *out)
{
    resample(m, cu, ci);
    fft(m->fft_re, m->fft_im, m->fft_len, m->tw_re, m->tw_im);

    const uint32_t nc = n_cycles;
    const uint32_t hw = nc / 2u; /* group half width in bins: 5 (50 Hz) or 6 (60 Hz) */
    const uint32_t k_max = nc * m->h_max + hw;
    const double len = (double)m->fft_len;
    const double scale2 = 2.0 / (len * len); /* |X_k|^2 -> RMS^2 of a real component */
    const double w_bin = 2.0 * MTR_PI * m->cfg.fs_Hz / len_cycles; /* rad/s per bin */
    /* 4 |U_k|^2 and 4 |I_k|^2 of every bin the groups use, in float (13 terms a group) */
    for (uint32_t k = 1; k <= k_max; k++) {
        float zr = m->fft_re[m->rev[k]];
        float zi = m->fft_im[m->rev[k]];
        float wr = m->fft_re[m->rev[m->fft_len - k]]; /* bin L - k, conjugated below */
        float wi = m->fft_im[m->rev[m->fft_len - k]];
        m->pw_u[k] = (zr + wr) * (zr + wr) + (zi - wi) * (zi - wi);
        m->pw_i[k] = (zi + wi) * (zi + wi) + (zr - wr) * (zr - wr);
    }
    double ur;
    double ui;
    double ir;
    double ii;
    split_bin(m, 0, &ur, &ui, &ir, &ii);
    out->u_h[0] = (float)fabs(ur / len);
    out->i_h[0] = (float)fabs(ir / len);
    out->qb = 0.0;
    /* the current's delay: bin kc*h turns by exp(-j w kc tau) = rot^h */
    const double rot_c = cos(-w_bin * (double)nc * tau_i_s);
    const double rot_s = sin(-w_bin * (double)nc * tau_i_s);
    double c = 1.0;
    double s = 0.0;
    for (uint32_t h = 1; h <= m->h_max; h++) {
        uint32_t kc = nc * h;
        float gu = 0.0f;
        float gi = 0.0f;
        for (uint32_t k = kc - hw + 1u; k < kc + hw; k++) {
            gu += m->pw_u[k];
            gi += m->pw_i[k];
        }
        float edge = hw > 0u ? 0.5f : 1.0f; /* IEC 61000-4-7 half weights at the group edges */
        gu += edge * (m->pw_u[kc - hw] + (hw > 0u ? m->pw_u[kc + hw] : 0.0f));
        gi += edge * (m->pw_i[kc - hw] + (hw > 0u ? m->pw_i[kc + hw] : 0.0f));
        out->u_h[h] = (float)sqrt(0.25 * (double)gu * scale2);
        out->i_h[h] = (float)sqrt(0.25 * (double)gi * scale2);
        double c_next = c * rot_c - s * rot_s;
        s = c * rot_s + s * rot_c;
        c = c_next;
        split_bin(m, kc, &ur, &ui, &ir, &ii);
        double dr = ir * c - ii * s;
        double di = ir * s + ii * c;
        out->qb += (ui * dr - ur * di) * scale2;
        if (h == 1) {
            double k1 = sqrt(scale2);
            out->u1_re = (float)(ur * k1);
            out->u1_im = (float)(ui * k1);
            out->i1_re = (float)(dr * k1);
            out->i1_im = (float)(di * k1);
        }
    }
}
