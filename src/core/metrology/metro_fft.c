/*
 * Spectral analysis of a frame (IEC 61000-4-7): the frame's whole cycles are
 * resampled to fft_len = 2^a 3^b 5^c points, so the analysis window spans exactly
 * 10 (50 Hz) or 12 (60 Hz) cycles and bin n_cycles*h is harmonic h (5 Hz bins).
 *
 * Resampling uses an MTR_METRO_RS_TAPS-tap Kaiser-windowed sinc. Its cutoff lies
 * midway between the top of harmonic h_max's group and the lowest frequency that
 * would fold onto the groups, at the resampling rate or as an image of the kernel,
 * so the kernel is also the anti-aliasing filter the standard asks for (a cubic
 * interpolator's images, at -17 dB near 0.3 fs, folded onto the groups). The kernel's
 * mean response H is known, and each bin's power is divided by H^2, so its passband
 * droop is compensated exactly. With fft_len at least the frame's sample count (8
 * kHz: 1600 points) the resampling step is close to 1 and a run of points reads
 * contiguous samples, which vectorises.
 *
 * U and I of a phase go through one complex FFT as u + j*i and are separated by
 * conjugate symmetry. The FFT is decimation in frequency: radix-3/5 passes over the
 * whole frame, then power-of-two blocks with two radix-2 stages fused per pass; the
 * output stays digit-reversed and bins are read through m->rev. Harmonic groups follow
 * IEC 61000-4-7 5.5.2 (half weights at the group edges). The current's phase/skew
 * correction is applied here as an exact frequency-domain delay of each bin, so
 * phasors and Budeanu Q see the corrected current.
 */
#include <math.h>

#include "meterd/metrology.h"
#include "metro_int.h"

/** Points done as one block in the vector loops: a fixed count the compiler maps
 * onto SIMD registers (4 floats = one SSE / NEON register). */
#define FFT_BLOCK         4u
#define TAPS              MTR_METRO_RS_TAPS
#define RS_DEG            MTR_METRO_RS_DEGREE
/** Fractional positions averaged for the kernel's mean response. */
#define RS_MEAN_STEPS     64u
/** Stop-band attenuation at which the Kaiser window's beta formula changes, dB. */
#define KAISER_A_HIGH_dB  50.0
/** Smallest transition band of the kernel, cycles per sample (a very high fs). */
#define RS_MIN_TRANSITION 0.02
/** Largest compensation of the kernel's response (|H| >= 0.1 in every group). */
#define RS_HINV2_MAX      100.0

_Static_assert(TAPS % 2u == 0u && TAPS <= 16u, "kernel taps: even, at most 16");
_Static_assert(MTR_CFG_MAX_DELAY_SAMPLES >= 2 * MTR_METRO_RS_TAPS, "history for the kernel");
_Static_assert(MTR_CFG_FFT_LEN <= 65536, "rev[] and run ends are 16-bit");

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

static uint32_t
log2_u32(uint32_t x)
{
    uint32_t b = 0;
    while ((1u << b) < x) {
        b++;
    }
    return b;
}

/* ------------------------------------------------------------------ kernel design */

/* Modified Bessel function I0 by its series; per-init work, so double. */
static double
bessel_i0(double x)
{
    double term = 1.0;
    double sum = 1.0;
    for (int k = 1; k < 40; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-17 * sum) {
            break;
        }
    }
    return sum;
}

/* Kernel at x samples from the point: 2 fc sinc(2 fc x) times a Kaiser window. */
static double
kernel(double x, double fc, double beta)
{
    const double half = (double)TAPS / 2.0;
    if (fabs(x) >= half) {
        return 0.0;
    }
    double a = 2.0 * MTR_PI * fc * x;
    double sinc = fabs(a) < 1e-12 ? 1.0 : sin(a) / a;
    double r = x / half;
    return 2.0 * fc * sinc * bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
}

/* Solve the (RS_DEG+1)-square system a[.][0..RS_DEG] x = a[.][RS_DEG+1] (Gauss, pivoting);
 * per-init work, so double. The Chebyshev nodes keep it well conditioned. */
static void
solve_vandermonde(double a[RS_DEG + 1][RS_DEG + 2], double x[RS_DEG + 1])
{
    double t[RS_DEG + 1][RS_DEG + 2];
    const uint32_t n = RS_DEG + 1u;
    for (uint32_t r = 0; r < n; r++) {
        for (uint32_t c = 0; c <= n; c++) {
            t[r][c] = a[r][c];
        }
    }
    for (uint32_t c = 0; c < n; c++) {
        uint32_t piv = c;
        for (uint32_t r = c + 1u; r < n; r++) {
            if (fabs(t[r][c]) > fabs(t[piv][c])) {
                piv = r;
            }
        }
        for (uint32_t k = 0; k <= n; k++) {
            double tmp = t[c][k];
            t[c][k] = t[piv][k];
            t[piv][k] = tmp;
        }
        for (uint32_t r = c + 1u; r < n; r++) {
            double f = t[r][c] / t[c][c];
            for (uint32_t k = c; k <= n; k++) {
                t[r][k] -= f * t[c][k];
            }
        }
    }
    for (uint32_t r = n; r-- > 0u;) {
        double v = t[r][n];
        for (uint32_t k = r + 1u; k < n; k++) {
            v -= t[r][k] * x[k];
        }
        x[r] = v / t[r][r];
    }
}

/* Weight of tap i at fractional position mu, as the plan computes it (in double). */
static double
poly_weight(const struct mtr_metro *m, uint32_t i, double mu)
{
    double y = 2.0 * mu - 1.0;
    double v = 0.0;
    for (uint32_t d = RS_DEG + 1u; d-- > 0u;) {
        v = v * y + (double)m->rs_poly[i * (RS_DEG + 1u) + d];
    }
    return v;
}

/*
 * Tabulate the kernel and its mean response. The pass band ends at the top of group
 * h_max (p, cycles per sample); the stop band starts where content would fold onto it:
 * at the resampling rate r minus p, or at the first image, fs minus p (s).
 */
static void
init_kernel(struct mtr_metro *m)
{
    const double fs = m->cfg.fs_Hz;
    const double bin_Hz = (double)m->cfg.f_nom_Hz / (double)m->n_cycles;
    const double k_top = (double)m->n_cycles * m->h_max + (double)(m->n_cycles / 2u) + 0.5;
    const double p = k_top * bin_Hz / fs;
    const double r = (double)m->fft_len * bin_Hz;
    double s = fmin(r / fs - p, 1.0 - p);
    if (s < p + RS_MIN_TRANSITION) {
        s = p + RS_MIN_TRANSITION; /* not reached with the default limits */
    }
    const double fc = fmin(0.5 * (p + s), 0.5);
    /* Kaiser's design rules for the attenuation this many taps reach */
    double att_dB = 8.0 + 2.285 * 2.0 * MTR_PI * (s - p) * (double)(TAPS - 1u);
    double beta = 0.0;
    if (att_dB > KAISER_A_HIGH_dB) {
        beta = 0.1102 * (att_dB - 8.7);
    } else if (att_dB > 21.0) {
        beta = 0.5842 * pow(att_dB - 21.0, 0.4) + 0.07886 * (att_dB - 21.0);
    }
    /* Each tap's weight as a polynomial of degree RS_DEG in y = 2 mu - 1, interpolating
     * the weights at RS_DEG + 1 Chebyshev positions, where each set is scaled to sum 1.
     * The sum of the taps' polynomials interpolates 1 at every node, so it is 1: a
     * partition of unity, so the gain at low frequencies does not depend on mu. */
    double vand[RS_DEG + 1][RS_DEG + 2];
    double wn[RS_DEG + 1][TAPS];
    for (uint32_t k = 0; k <= RS_DEG; k++) {
        double y = cos(MTR_PI * ((double)k + 0.5) / (RS_DEG + 1));
        double mu = 0.5 * (y + 1.0);
        double sum = 0.0;
        for (uint32_t i = 0; i < TAPS; i++) {
            /* tap i reads sample k - TAPS/2 + 1 + i of a point at k + mu */
            wn[k][i] = kernel(mu + (double)TAPS / 2.0 - 1.0 - (double)i, fc, beta);
            sum += wn[k][i];
        }
        double yp = 1.0;
        for (uint32_t d = 0; d <= RS_DEG; d++) {
            vand[k][d] = yp;
            yp *= y;
        }
        for (uint32_t i = 0; i < TAPS; i++) {
            wn[k][i] /= sum;
        }
    }
    for (uint32_t i = 0; i < TAPS; i++) {
        double coef[RS_DEG + 1];
        for (uint32_t k = 0; k <= RS_DEG; k++) {
            vand[k][RS_DEG + 1] = wn[k][i];
        }
        solve_vandermonde(vand, coef);
        for (uint32_t d = 0; d <= RS_DEG; d++) {
            m->rs_poly[i * (RS_DEG + 1u) + d] = (float)coef[d];
            m->rs_poly_dt[d * TAPS + i] = (float)coef[d];
        }
    }
    /* mean response over the fractional position: the Fourier transform of the kernel
     * the plan evaluates (midpoint rule over RS_MEAN_STEPS positions) */
    for (uint32_t v = 0; v <= MTR_METRO_RS_NU_STEPS; v++) {
        double nu = 0.5 * (double)v / MTR_METRO_RS_NU_STEPS;
        double h = 0.0;
        for (uint32_t ph = 0; ph < RS_MEAN_STEPS; ph++) {
            double mu = ((double)ph + 0.5) / RS_MEAN_STEPS;
            for (uint32_t i = 0; i < TAPS; i++) {
                double x = mu + (double)TAPS / 2.0 - 1.0 - (double)i;
                h += poly_weight(m, i, mu) * cos(2.0 * MTR_PI * nu * x);
            }
        }
        h /= RS_MEAN_STEPS;
        double inv2 = h * h > 1.0 / RS_HINV2_MAX ? 1.0 / (h * h) : RS_HINV2_MAX;
        m->rs_hinv2[v] = (float)inv2;
    }
}

/* ------------------------------------------------------------------ FFT tables */

void
mtr_metro_fft_init(struct mtr_metro *m)
{
    /* per-init work, so double for exact twiddles */
    const uint32_t p2 = m->fft_pow2;
    const uint32_t bits = log2_u32(p2 / 2u);
    for (uint32_t g = 0; g < p2 / 2u; g++) {
        double a = -2.0 * MTR_PI * (double)bit_reverse(g, bits) / (double)p2;
        m->tw_re[g] = (float)cos(a);
        m->tw_im[g] = (float)sin(a);
    }
    uint32_t off = p2 / 2u;
    uint32_t ls = m->fft_len;
    for (uint32_t s = 0; s < m->fft_odd_count; s++) {
        uint32_t rad = m->fft_odd[s];
        uint32_t mq = ls / rad;
        for (uint32_t r = 1; r < rad; r++) {
            for (uint32_t n = 0; n < mq; n++) {
                double a = -2.0 * MTR_PI * (double)(r * n) / (double)ls;
                m->tw_re[off + (r - 1u) * mq + n] = (float)cos(a);
                m->tw_im[off + (r - 1u) * mq + n] = (float)sin(a);
            }
        }
        off += (rad - 1u) * mq;
        ls = mq;
    }
    /* bin K: each odd pass puts K mod R in block (K mod R), the power-of-two blocks
     * leave the rest bit-reversed */
    for (uint32_t k = 0; k < m->fft_len; k++) {
        uint32_t pos = 0;
        uint32_t q = k;
        ls = m->fft_len;
        for (uint32_t s = 0; s < m->fft_odd_count; s++) {
            uint32_t rad = m->fft_odd[s];
            ls /= rad;
            pos += (q % rad) * ls;
            q /= rad;
        }
        m->rev[k] = (uint16_t)(pos + bit_reverse(q, log2_u32(p2)));
    }
    init_kernel(m);
}

/* ------------------------------------------------------------------ FFT */

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
    for (uint32_t k = 0; k + FFT_BLOCK <= half; k += FFT_BLOCK) {
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
}

/*
 * Two radix-2 stages in one pass over a group of 4q points (quarters a, b, c, d): stage
 * half 2q with twiddle w on (a, c) and (b, d), then stage half q with w2 on (a, b) and
 * with -j w2 on (c, d). (Twiddles are in bit-reversed order, so W^bitrev(2g+1) is
 * W^bitrev(2g) W^(L/4) = -j W^bitrev(2g).) q is a multiple of FFT_BLOCK.
 */
static void
bfly4_run(float *restrict ar,
          float *restrict ai,
          float *restrict br,
          float *restrict bi,
          float *restrict cr,
          float *restrict ci,
          float *restrict dr,
          float *restrict di,
          uint32_t q,
          const float w[4])
{
    const float wr = w[0];
    const float wi = w[1];
    const float w2r = w[2];
    const float w2i = w[3];
    for (uint32_t k = 0; k + FFT_BLOCK <= q; k += FFT_BLOCK) {
        float *restrict a_r = &ar[k];
        float *restrict a_i = &ai[k];
        float *restrict b_r = &br[k];
        float *restrict b_i = &bi[k];
        float *restrict c_r = &cr[k];
        float *restrict c_i = &ci[k];
        float *restrict d_r = &dr[k];
        float *restrict d_i = &di[k];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float tr = c_r[j] * wr - c_i[j] * wi;
            float ti = c_r[j] * wi + c_i[j] * wr;
            float a1r = a_r[j] + tr;
            float a1i = a_i[j] + ti;
            float c1r = a_r[j] - tr;
            float c1i = a_i[j] - ti;
            tr = d_r[j] * wr - d_i[j] * wi;
            ti = d_r[j] * wi + d_i[j] * wr;
            float b1r = b_r[j] + tr;
            float b1i = b_i[j] + ti;
            float d1r = b_r[j] - tr;
            float d1i = b_i[j] - ti;
            tr = b1r * w2r - b1i * w2i;
            ti = b1r * w2i + b1i * w2r;
            a_r[j] = a1r + tr;
            a_i[j] = a1i + ti;
            b_r[j] = a1r - tr;
            b_i[j] = a1i - ti;
            /* (-j)(d1 w2) = (im, -re) */
            tr = d1r * w2r - d1i * w2i;
            ti = d1r * w2i + d1i * w2r;
            c_r[j] = c1r + ti;
            c_i[j] = c1i - tr;
            d_r[j] = c1r - ti;
            d_i[j] = c1i + tr;
        }
    }
}

/* group_bfly4 over the group at re/im: quarters of q points. */
static void
group_bfly4(float *re, float *im, uint32_t q, float wr, float wi, float w2r, float w2i)
{
    const float w[4] = {wr, wi, w2r, w2i};
    bfly4_run(re, im, re + q, im + q, re + 2u * (size_t)q, im + 2u * (size_t)q, re + 3u * (size_t)q,
              im + 3u * (size_t)q, q, w);
}

/* The last two stages (halves 2 and 1): groups of 4 points, one at a time. */
static void
last_bfly4(float *re, float *im, uint32_t len, const float *tw_re, const float *tw_im)
{
    for (uint32_t g = 0; g < len / 4u; g++) {
        float *x_r = &re[4u * g];
        float *x_i = &im[4u * g];
        const float wr = tw_re[g];
        const float wi = tw_im[g];
        const float w2r = tw_re[2u * g];
        const float w2i = tw_im[2u * g];
        float tr = x_r[2] * wr - x_i[2] * wi;
        float ti = x_r[2] * wi + x_i[2] * wr;
        float a1r = x_r[0] + tr;
        float a1i = x_i[0] + ti;
        float c1r = x_r[0] - tr;
        float c1i = x_i[0] - ti;
        tr = x_r[3] * wr - x_i[3] * wi;
        ti = x_r[3] * wi + x_i[3] * wr;
        float b1r = x_r[1] + tr;
        float b1i = x_i[1] + ti;
        float d1r = x_r[1] - tr;
        float d1i = x_i[1] - ti;
        tr = b1r * w2r - b1i * w2i;
        ti = b1r * w2i + b1i * w2r;
        x_r[0] = a1r + tr;
        x_i[0] = a1i + ti;
        x_r[1] = a1r - tr;
        x_i[1] = a1i - ti;
        tr = d1r * w2r - d1i * w2i;
        ti = d1r * w2i + d1i * w2r;
        x_r[2] = c1r + ti;
        x_i[2] = c1i - tr;
        x_r[3] = c1r - ti;
        x_i[3] = c1i + tr;
    }
}

/*
 * In-place radix-2^2 FFT of len >= 16 points (a power of two), natural-order input,
 * bit-reversed output. Decimation in frequency with the twiddles in bit-reversed order:
 * at every stage, group g (points [2 g half, 2 (g + 1) half)) uses the one twiddle
 * W^bitrev(g), so each group is a run of contiguous butterflies with a constant
 * twiddle, which vectorises; stages are fused in pairs to halve the passes over memory.
 */
static void
fft_pow2(float *re, float *im, uint32_t len, const float *tw_re, const float *tw_im)
{
    uint32_t groups = 1;
    uint32_t half = len >> 1;
    /* stages with half >= 8 go in fused pairs; an odd one out goes first */
    if ((log2_u32(half) - 2u) % 2u == 1u) {
        for (uint32_t g = 0; g < groups; g++) {
            uint32_t a = 2u * g * half;
            group_bfly(&re[a], &im[a], &re[a + half], &im[a + half], half, tw_re[g], tw_im[g]);
        }
        groups <<= 1;
        half >>= 1;
    }
    for (; half >= 8u; half >>= 2) {
        for (uint32_t g = 0; g < groups; g++) {
            uint32_t a = 2u * g * half;
            group_bfly4(&re[a], &im[a], half / 2u, tw_re[g], tw_im[g], tw_re[2u * g],
                        tw_im[2u * g]);
        }
        groups <<= 2;
    }
    /* half = 4: one block of butterflies a group */
    for (uint32_t g = 0; g < groups; g++) {
        uint32_t a = 8u * g;
        group_bfly(&re[a], &im[a], &re[a + 4u], &im[a + 4u], 4u, tw_re[g], tw_im[g]);
    }
    last_bfly4(re, im, len, tw_re, tw_im);
}

/* Radix-3 butterflies of a pass (see pass3()); mq is a multiple of FFT_BLOCK. */
static void
pass3_run(float *restrict r0,
          float *restrict i0,
          float *restrict r1,
          float *restrict i1,
          float *restrict r2,
          float *restrict i2,
          const float *restrict t1r,
          const float *restrict t1i,
          const float *restrict t2r,
          const float *restrict t2i,
          uint32_t mq)
{
    const float s3 = 0.866025403784438647f; /* sin(2 pi / 3) */
    for (uint32_t n = 0; n + FFT_BLOCK <= mq; n += FFT_BLOCK) {
        float *restrict x0r = &r0[n];
        float *restrict x0i = &i0[n];
        float *restrict x1r = &r1[n];
        float *restrict x1i = &i1[n];
        float *restrict x2r = &r2[n];
        float *restrict x2i = &i2[n];
        const float *restrict w1r = &t1r[n];
        const float *restrict w1i = &t1i[n];
        const float *restrict w2r = &t2r[n];
        const float *restrict w2i = &t2i[n];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float tr = x1r[j] + x2r[j];
            float ti = x1i[j] + x2i[j];
            float dr = x1r[j] - x2r[j];
            float di = x1i[j] - x2i[j];
            float mr = x0r[j] - 0.5f * tr;
            float mi = x0i[j] - 0.5f * ti;
            /* -j sin(2 pi/3) (a1 - a2) */
            float sr = s3 * di;
            float si = -s3 * dr;
            x0r[j] += tr;
            x0i[j] += ti;
            float b1r = mr + sr;
            float b1i = mi + si;
            float b2r = mr - sr;
            float b2i = mi - si;
            x1r[j] = b1r * w1r[j] - b1i * w1i[j];
            x1i[j] = b1r * w1i[j] + b1i * w1r[j];
            x2r[j] = b2r * w2r[j] - b2i * w2i[j];
            x2i[j] = b2r * w2i[j] + b2i * w2r[j];
        }
    }
}

/* Radix-3 DIF pass over points n, n + mq, n + 2 mq; twiddles W^n, W^2n follow at tw. */
static void
pass3(float *re, float *im, uint32_t mq, const float *tw_re, const float *tw_im)
{
    const size_t m1 = mq;
    const size_t m2 = 2u * (size_t)mq;
    pass3_run(re, im, re + m1, im + m1, re + m2, im + m2, tw_re, tw_im, tw_re + m1, tw_im + m1, mq);
}

/* Radix-5 butterflies of a pass (see pass5()); mq is a multiple of FFT_BLOCK. */
static void
pass5_run(float *restrict r0,
          float *restrict i0,
          float *restrict r1,
          float *restrict i1,
          float *restrict r2,
          float *restrict i2,
          float *restrict r3,
          float *restrict i3,
          float *restrict r4,
          float *restrict i4,
          const float *restrict tw_re,
          const float *restrict tw_im,
          uint32_t mq)
{
    const float c1 = 0.309016994374947424f;  /* cos(2 pi / 5) */
    const float c2 = -0.809016994374947424f; /* cos(4 pi / 5) */
    const float s1 = 0.951056516295153572f;  /* sin(2 pi / 5) */
    const float s2 = 0.587785252292473129f;  /* sin(4 pi / 5) */
    const float *restrict q1r = tw_re;
    const float *restrict q1i = tw_im;
    const float *restrict q2r = tw_re + mq;
    const float *restrict q2i = tw_im + mq;
    const float *restrict q3r = tw_re + 2u * (size_t)mq;
    const float *restrict q3i = tw_im + 2u * (size_t)mq;
    const float *restrict q4r = tw_re + 3u * (size_t)mq;
    const float *restrict q4i = tw_im + 3u * (size_t)mq;
    for (uint32_t n = 0; n + FFT_BLOCK <= mq; n += FFT_BLOCK) {
        float *restrict x0r = &r0[n];
        float *restrict x0i = &i0[n];
        float *restrict x1r = &r1[n];
        float *restrict x1i = &i1[n];
        float *restrict x2r = &r2[n];
        float *restrict x2i = &i2[n];
        float *restrict x3r = &r3[n];
        float *restrict x3i = &i3[n];
        float *restrict x4r = &r4[n];
        float *restrict x4i = &i4[n];
        const float *restrict w1r = &q1r[n];
        const float *restrict w1i = &q1i[n];
        const float *restrict w2r = &q2r[n];
        const float *restrict w2i = &q2i[n];
        const float *restrict w3r = &q3r[n];
        const float *restrict w3i = &q3i[n];
        const float *restrict w4r = &q4r[n];
        const float *restrict w4i = &q4i[n];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float t1r = x1r[j] + x4r[j];
            float t1i = x1i[j] + x4i[j];
            float t2r = x2r[j] + x3r[j];
            float t2i = x2i[j] + x3i[j];
            float d1r = x1r[j] - x4r[j];
            float d1i = x1i[j] - x4i[j];
            float d2r = x2r[j] - x3r[j];
            float d2i = x2i[j] - x3i[j];
            float ar = x0r[j] + c1 * t1r + c2 * t2r; /* b1, b4 real-coefficient part */
            float ai = x0i[j] + c1 * t1i + c2 * t2i;
            float br = x0r[j] + c2 * t1r + c1 * t2r; /* b2, b3 */
            float bi = x0i[j] + c2 * t1i + c1 * t2i;
            float pr = s1 * d1r + s2 * d2r; /* b1 = a - j p, b4 = a + j p */
            float pi = s1 * d1i + s2 * d2i;
            float qr = s2 * d1r - s1 * d2r; /* b2 = b - j q, b3 = b + j q */
            float qi = s2 * d1i - s1 * d2i;
            x0r[j] += t1r + t2r;
            x0i[j] += t1i + t2i;
            float y1r = ar + pi;
            float y1i = ai - pr;
            float y4r = ar - pi;
            float y4i = ai + pr;
            float y2r = br + qi;
            float y2i = bi - qr;
            float y3r = br - qi;
            float y3i = bi + qr;
            x1r[j] = y1r * w1r[j] - y1i * w1i[j];
            x1i[j] = y1r * w1i[j] + y1i * w1r[j];
            x2r[j] = y2r * w2r[j] - y2i * w2i[j];
            x2i[j] = y2r * w2i[j] + y2i * w2r[j];
            x3r[j] = y3r * w3r[j] - y3i * w3i[j];
            x3i[j] = y3r * w3i[j] + y3i * w3r[j];
            x4r[j] = y4r * w4r[j] - y4i * w4i[j];
            x4i[j] = y4r * w4i[j] + y4i * w4r[j];
        }
    }
}

/* Radix-5 DIF pass over points n + q mq, q = 0..4; twiddles W^(r n), r = 1..4, at tw. */
static void
pass5(float *re, float *im, uint32_t mq, const float *tw_re, const float *tw_im)
{
    const size_t m1 = mq;
    pass5_run(re, im, re + m1, im + m1, re + 2u * m1, im + 2u * m1, re + 3u * m1, im + 3u * m1,
              re + 4u * m1, im + 4u * m1, tw_re, tw_im, mq);
}

/* The whole transform of m->fft_re/fft_im, in place; bin k ends at m->rev[k]. */
static void
fft(struct mtr_metro *m)
{
    const uint32_t len = m->fft_len;
    const uint32_t p2 = m->fft_pow2;
    uint32_t off = p2 / 2u;
    uint32_t ls = len;
    for (uint32_t s = 0; s < m->fft_odd_count; s++) {
        uint32_t rad = m->fft_odd[s];
        uint32_t mq = ls / rad;
        for (uint32_t b = 0; b < len; b += ls) {
            if (rad == 3u) {
                pass3(&m->fft_re[b], &m->fft_im[b], mq, &m->tw_re[off], &m->tw_im[off]);
            } else {
                pass5(&m->fft_re[b], &m->fft_im[b], mq, &m->tw_re[off], &m->tw_im[off]);
            }
        }
        off += (rad - 1u) * mq;
        ls = mq;
    }
    for (uint32_t b = 0; b < len; b += p2) {
        fft_pow2(&m->fft_re[b], &m->fft_im[b], p2, m->tw_re, m->tw_im);
    }
}

/* ------------------------------------------------------------------ resampling */

/*
 * w[k] = the polynomial c (degree RS_DEG) at y = y0 + dy k, for k in [0, count) rounded
 * up to FFT_BLOCK; one tap of a run, by Horner (vectorises).
 */
static void
horner_run(float *restrict w, int32_t count, float y0, float dy, const float *restrict c)
{
    _Static_assert(RS_DEG == 5, "horner_run is written out for degree 5");
    const float c0 = c[0];
    const float c1 = c[1];
    const float c2 = c[2];
    const float c3 = c[3];
    const float c4 = c[4];
    const float c5 = c[5];
    for (int32_t k = 0; k < count; k += (int32_t)FFT_BLOCK) {
        float *restrict p = &w[k];
        for (int32_t l = 0; l < (int32_t)FFT_BLOCK; l++) {
            float y = y0 + dy * (float)(k + l);
            p[l] = ((((c5 * y + c4) * y + c3) * y + c2) * y + c1) * y + c0;
        }
    }
}

/* w[t] = tap t's polynomial at y, all taps at once (coefficients [degree][tap]). */
static void
poly_taps(float *restrict w, float y, const float *restrict c)
{
    _Static_assert(RS_DEG == 5, "poly_taps is written out for degree 5");
    for (uint32_t t = 0; t < TAPS; t++) {
        w[t] = ((((c[5u * TAPS + t] * y + c[4u * TAPS + t]) * y + c[3u * TAPS + t]) * y +
                 c[2u * TAPS + t]) *
                    y +
                c[TAPS + t]) *
                   y +
               c[t];
    }
}

/*
 * Plan of a step far from 1 (fs well above fft_len per frame): every point is its own
 * run, so the weights are stored point by point ([point][tap], in rs_w's storage) and
 * the resampling takes each point's taps as one contiguous dot product.
 */
static void
plan_points(struct mtr_metro *m, double s0, double step)
{
    const uint32_t len = m->fft_len;
    /* t >= -MTR_CFG_MAX_DELAY_SAMPLES: truncation of t + bias is floor(t) */
    const double bias = (double)MTR_CFG_MAX_DELAY_SAMPLES;
    float *w = &m->rs_w[0][0];
    for (uint32_t j = 0; j < len; j++) {
        double t = s0 + step * (double)j;
        double fl = (double)((int32_t)(t + bias)) - bias;
        poly_taps(&w[(size_t)j * TAPS], (float)(2.0 * (t - fl) - 1.0), m->rs_poly_dt);
    }
    m->rs_run_count = 0;
}

/*
 * Weights of the points [j0, j1) of a run, at fractional positions mu0 + fd (j - j0),
 * as y = 2 mu - 1. The last block may write up to FFT_BLOCK - 1 points past j1: the
 * next run overwrites them, and rs_w has that slack at its end.
 */
static void
plan_run(struct mtr_metro *m, uint32_t j0, uint32_t j1, float mu0, float fd)
{
    for (uint32_t i = 0; i < TAPS; i++) {
        horner_run(&m->rs_w[i][j0], (int32_t)(j1 - j0), 2.0f * mu0 - 1.0f, 2.0f * fd,
                   &m->rs_poly[i * (RS_DEG + 1u)]);
    }
}

static void plan_runs(struct mtr_metro *m, double s0, double dlt);
static void plan_comp(struct mtr_metro *m, double len_cycles);

/*
 * Point j sits at t_j = s0 + step j samples from the frame's start, that is at
 * j + f(j) with f(j) = s0 + (step - 1) j. Over a run of points where floor(f) = d is
 * constant, point j's first tap reads sample j + d - TAPS/2 + 1: contiguous reads.
 */
void
mtr_metro_resample_plan(struct mtr_metro *m, double len_cycles)
{
    /* per-frame work: positions in double, weights in float */
    const uint32_t len = m->fft_len;
    const double step = len_cycles / (double)len;
    const double s0 = (double)m->n - (double)MTR_METRO_RS_END - len_cycles;
    const double dlt = step - 1.0;
    m->rs_s0 = s0;
    m->rs_step = step;
    if (fabs(dlt) * (double)len + 2.0 > (double)MTR_METRO_RS_RUNS_MAX) {
        plan_points(m, s0, step);
    } else {
        plan_runs(m, s0, dlt);
    }
    plan_comp(m, len_cycles);
}

/* Plan of a step close to 1: runs of points that read contiguous samples. */
static void
plan_runs(struct mtr_metro *m, double s0, double dlt)
{
    const uint32_t len = m->fft_len;
    uint32_t runs = 0;
    bool is_runs = true;
    uint32_t j0 = 0;
    while (j0 < len) {
        double f0 = s0 + dlt * (double)j0;
        double fl = floor(f0);
        double end = (double)len;
        if (dlt > 0.0) {
            end = ceil((fl + 1.0 - s0) / dlt); /* first j with f(j) >= fl + 1 */
        } else if (dlt < 0.0) {
            end = floor((fl - s0) / dlt) + 1.0; /* first j with f(j) < fl */
        }
        uint32_t j1 = end >= (double)len ? len : (end <= (double)j0 ? j0 + 1u : (uint32_t)end);
        float mu0 = (float)(f0 - fl);
        float fd = (float)dlt;
        plan_run(m, j0, j1, mu0, fd);
        if (runs < MTR_METRO_RS_RUNS_MAX) {
            m->rs_run_end[runs] = (uint16_t)(j1 - 1u); /* last point: len may be 65536 */
            m->rs_run_d[runs] = (int32_t)fl;
            runs++;
        } else {
            is_runs = false;
        }
        j0 = j1;
    }
    m->rs_run_count = (uint16_t)(is_runs ? runs : 0u);
    if (!is_runs) {
        plan_points(m, s0, dlt + 1.0); /* (not reached: the caller checked the count) */
    }
}

/* 1/H^2 of the kernel at each bin of a frame of len_cycles samples. */
static void
plan_comp(struct mtr_metro *m, double len_cycles)
{
    const uint32_t len = m->fft_len;
    /* bin k is k / len_cycles cycles per sample: 1/H^2 there, linear in the table */
    const uint32_t k_max = (uint32_t)m->n_cycles * m->h_max + m->n_cycles / 2u;
    const double idx_per_bin = 2.0 * MTR_METRO_RS_NU_STEPS / len_cycles;
    for (uint32_t k = 0; k <= k_max && k <= len / 2u; k++) {
        double x = (double)k * idx_per_bin;
        uint32_t i = (uint32_t)x;
        if (i >= MTR_METRO_RS_NU_STEPS) {
            m->rs_comp[k] = m->rs_hinv2[MTR_METRO_RS_NU_STEPS];
            continue;
        }
        float fr = (float)(x - (double)i);
        m->rs_comp[k] = m->rs_hinv2[i] + fr * (m->rs_hinv2[i + 1u] - m->rs_hinv2[i]);
    }
}

/*
 * FFT_BLOCK points of U and I: out[l] = sum over taps t of w[t ws + l] x[l + t], the
 * weights of tap t being ws floats after those of tap t - 1.
 */
static inline void
taps_block(float *restrict ou,
           float *restrict oi,
           const float *restrict xu,
           const float *restrict xi,
           const float *restrict w,
           size_t ws)
{
    _Static_assert(TAPS == 8, "taps_block is written out for 8 taps");
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        float w0 = w[l];
        float w1 = w[ws + l];
        float w2 = w[2u * ws + l];
        float w3 = w[3u * ws + l];
        float w4 = w[4u * ws + l];
        float w5 = w[5u * ws + l];
        float w6 = w[6u * ws + l];
        float w7 = w[7u * ws + l];
        ou[l] = ((w0 * xu[l] + w1 * xu[l + 1u]) + (w2 * xu[l + 2u] + w3 * xu[l + 3u])) +
                ((w4 * xu[l + 4u] + w5 * xu[l + 5u]) + (w6 * xu[l + 6u] + w7 * xu[l + 7u]));
        oi[l] = ((w0 * xi[l] + w1 * xi[l + 1u]) + (w2 * xi[l + 2u] + w3 * xi[l + 3u])) +
                ((w4 * xi[l + 4u] + w5 * xi[l + 5u]) + (w6 * xi[l + 6u] + w7 * xi[l + 7u]));
    }
}

/* One run of points [j0, j1) whose taps start at u[j] and i[j]: contiguous reads. */
static void
resample_run(const float *u, const float *i, struct mtr_metro *m, uint32_t j0, uint32_t j1)
{
    const size_t ws = MTR_CFG_FFT_LEN + FFT_BLOCK; /* row length of rs_w */
    _Static_assert(sizeof(m->rs_w[0]) == (MTR_CFG_FFT_LEN + FFT_BLOCK) * sizeof(float),
                   "rs_w rows");
    uint32_t j = j0;
    for (; j + FFT_BLOCK <= j1; j += FFT_BLOCK) {
        taps_block(&m->fft_re[j], &m->fft_im[j], &u[j], &i[j], &m->rs_w[0][j], ws);
    }
    for (; j < j1; j++) {
        float au = 0.0f;
        float ai = 0.0f;
        for (uint32_t t = 0; t < TAPS; t++) {
            au += m->rs_w[t][j] * u[j + t];
            ai += m->rs_w[t][j] * i[j + t];
        }
        m->fft_re[j] = au;
        m->fft_im[j] = ai;
    }
}

/* One point of U and I: the dot products of its TAPS weights with xu and xi. */
static inline void
dot_taps(float *ou,
         float *oi,
         const float *restrict xu,
         const float *restrict xi,
         const float *restrict w)
{
    _Static_assert(TAPS == 2u * FFT_BLOCK, "dot_taps: two blocks of taps");
    float au[FFT_BLOCK];
    float ai[FFT_BLOCK];
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        au[l] = w[l] * xu[l] + w[l + FFT_BLOCK] * xu[l + FFT_BLOCK];
        ai[l] = w[l] * xi[l] + w[l + FFT_BLOCK] * xi[l + FFT_BLOCK];
    }
    *ou = (au[0] + au[2]) + (au[1] + au[3]);
    *oi = (ai[0] + ai[2]) + (ai[1] + ai[3]);
}

/* Resample u and i into re/im with the frame's plan. */
static void
resample(struct mtr_metro *m, unsigned cu, unsigned ci)
{
    const float *u = mtr_metro_x(m, cu) - MTR_METRO_RS_PRE;
    const float *i = mtr_metro_x(m, ci) - MTR_METRO_RS_PRE;
    if (m->rs_run_count > 0u) {
        uint32_t j0 = 0;
        for (uint32_t r = 0; r < m->rs_run_count; r++) {
            uint32_t j1 = (uint32_t)m->rs_run_end[r] + 1u;
            int32_t d = m->rs_run_d[r];
            resample_run(u + d, i + d, m, j0, j1);
            j0 = j1;
        }
        return;
    }
    /* a step far from 1: one point at a time, its taps contiguous ([point][tap]) */
    const double bias = (double)MTR_CFG_MAX_DELAY_SAMPLES;
    const float *w = &m->rs_w[0][0];
    for (uint32_t j = 0; j < m->fft_len; j++) {
        /* the same floor as plan_points() */
        int32_t k = (int32_t)(m->rs_s0 + m->rs_step * (double)j + bias) - (int32_t)bias;
        dot_taps(&m->fft_re[j], &m->fft_im[j], &u[k], &i[k], &w[(size_t)j * TAPS]);
    }
}

/* ------------------------------------------------------------------ analysis */

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

/* 4 |U_k|^2 and 4 |I_k|^2 of bins 1..k_max, compensated for the kernel's response. */
static void
bin_powers(struct mtr_metro *m, uint32_t k_max)
{
    const uint16_t *rev = m->rev;
    const float *re = m->fft_re;
    const float *im = m->fft_im;
    for (uint32_t k = 1; k <= k_max; k++) {
        float zr = re[rev[k]];
        float zi = im[rev[k]];
        float wr = re[rev[m->fft_len - k]]; /* bin L - k, conjugated below */
        float wi = im[rev[m->fft_len - k]];
        float c = m->rs_comp[k];
        m->pw_u[k] = c * ((zr + wr) * (zr + wr) + (zi - wi) * (zi - wi));
        m->pw_i[k] = c * ((zi + wi) * (zi + wi) + (zr - wr) * (zr - wr));
    }
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
    fft(m);

    const uint32_t nc = n_cycles;
    const uint32_t hw = nc / 2u; /* group half width in bins: 5 (50 Hz) or 6 (60 Hz) */
    const uint32_t k_max = nc * m->h_max + hw;
    const double len = (double)m->fft_len;
    const double scale2 = 2.0 / (len * len); /* |X_k|^2 -> RMS^2 of a real component */
    const double w_bin = 2.0 * MTR_PI * m->cfg.fs_Hz / len_cycles; /* rad/s per bin */
    bin_powers(m, k_max);
    double ur;
    double ui;
    double ir;
    double ii;
    split_bin(m, 0, &ur, &ui, &ir, &ii);
    const double g0 = sqrt((double)m->rs_comp[0]);
    out->u_h[0] = (float)(fabs(ur / len) * g0);
    out->i_h[0] = (float)(fabs(ir / len) * g0);
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
        const double comp = (double)m->rs_comp[kc];
        out->qb += (ui * dr - ur * di) * scale2 * comp;
        if (h == 1) {
            double k1 = sqrt(scale2 * comp);
            out->u1_re = (float)(ur * k1);
            out->u1_im = (float)(ui * k1);
            out->i1_re = (float)(dr * k1);
            out->i1_im = (float)(di * k1);
        }
    }
}
