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
 * All phases are resampled in one pass over the plan (mtr_metro_resample()): each
 * block of points' weights is computed once, in registers, for every channel.
 *
 * U and I of a phase go through one complex FFT as u + j*i and are separated by
 * conjugate symmetry. The FFT is decimation in frequency: radix-3/5 passes over the
 * whole frame, then radix-2^2 passes over the power-of-two blocks with their twiddles
 * along each group (so every butterfly run is contiguous and vectorises, and the last
 * two stages need no twiddles but -j); the output stays digit-reversed and bins are
 * read through m->rev. Harmonic groups follow
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
        }
    }
    /* The kernel is even and the nodes are symmetric, so tap TAPS-1-i at -y is tap i
     * at y; make the float coefficients obey it exactly (plan_run() evaluates the two
     * taps of a pair together, and the odd powers of a sum of taps cancel exactly). */
    for (uint32_t i = 0; i < TAPS / 2u; i++) {
        float *a = &m->rs_poly[i * (RS_DEG + 1u)];
        float *b = &m->rs_poly[(TAPS - 1u - i) * (RS_DEG + 1u)];
        for (uint32_t d = 0; d <= RS_DEG; d++) {
            float sgn = d % 2u == 0u ? 1.0f : -1.0f;
            a[d] = 0.5f * (a[d] + sgn * b[d]);
            b[d] = sgn * a[d];
        }
    }
    for (uint32_t i = 0; i < TAPS; i++) {
        for (uint32_t d = 0; d <= RS_DEG; d++) {
            m->rs_poly_dt[d * TAPS + i] = m->rs_poly[i * (RS_DEG + 1u) + d];
        }
    }
    for (uint32_t i = 0; i < TAPS / 2u; i++) {
        for (uint32_t d = 0; d <= RS_DEG; d++) {
            for (uint32_t l = 0; l < FFT_BLOCK; l++) {
                m->rs_pair_c[i][d][l] = m->rs_poly[i * (RS_DEG + 1u) + d];
            }
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

/*
 * Twiddles W^(r k) (W = exp(-2 pi j / g_len)) of rows r = 1..rows, k < count (a
 * multiple of FFT_BLOCK), in the order the butterfly runs read them: for each block
 * of FFT_BLOCK k's, row 1's real parts, its imaginary parts, row 2's ..., so a run
 * walks one pointer forward. Uses 2 rows count floats. Per-init work, so double.
 */
static void
put_twiddles(float *tw, uint32_t rows, uint32_t count, uint32_t g_len)
{
    for (uint32_t k = 0; k < count; k++) {
        float *blk = &tw[(k / FFT_BLOCK) * 2u * rows * FFT_BLOCK + k % FFT_BLOCK];
        for (uint32_t r = 1; r <= rows; r++) {
            double a = -2.0 * MTR_PI * (double)(r * k) / (double)g_len;
            blk[(r - 1u) * 2u * FFT_BLOCK] = (float)cos(a);
            blk[(r - 1u) * 2u * FFT_BLOCK + FFT_BLOCK] = (float)sin(a);
        }
    }
}

void
mtr_metro_fft_init(struct mtr_metro *m)
{
    /* per-init work, so double for exact twiddles */
    const uint32_t p2 = m->fft_pow2;
    /* power-of-two part: an odd radix-2 stage (p2/2 twiddles), then each radix-2^2
     * stage's W^k, W^2k, W^3k (k < q) for groups of G = 4q points, G from the largest
     * down to 16 (see fft_pow2()) */
    uint32_t o = 0;
    uint32_t g_len = p2;
    if (log2_u32(p2) % 2u == 1u) {
        put_twiddles(&m->tw[o], 1u, p2 / 2u, p2);
        o += 2u * (p2 / 2u);
        g_len = p2 / 2u;
    }
    for (; g_len >= 16u; g_len /= 4u) {
        put_twiddles(&m->tw[o], 3u, g_len / 4u, g_len);
        o += 2u * 3u * (g_len / 4u);
    }
    /* odd passes, from 2 p2 on (the power-of-two part uses fewer than 2 p2 floats) */
    o = 2u * p2;
    uint32_t ls = m->fft_len;
    for (uint32_t s = 0; s < m->fft_odd_count; s++) {
        uint32_t rad = m->fft_odd[s];
        uint32_t mq = ls / rad;
        put_twiddles(&m->tw[o], rad - 1u, mq, ls);
        o += 2u * (rad - 1u) * mq;
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

/* Complex product (xr + j xi)(wr + j wi) into *yr, *yi. */
#define CMUL(yr, yi, xr, xi, wr, wi)      \
    do {                                  \
        (yr) = (xr) * (wr) - (xi) * (wi); \
        (yi) = (xr) * (wi) + (xi) * (wr); \
    } while (0)

/*
 * Radix-2 DIF stage over a block of 2 half points: x[k] + x[k + half] stays, and
 * (x[k] - x[k + half]) W^k goes to k + half (W = exp(-2 pi j / (2 half)); tw as
 * put_twiddles() lays out one row). half is a multiple of FFT_BLOCK.
 */
static void
r2_run(float *restrict ar,
       float *restrict ai,
       float *restrict br,
       float *restrict bi,
       const float *restrict tw,
       uint32_t half)
{
    for (uint32_t k = 0; k + FFT_BLOCK <= half; k += FFT_BLOCK, tw += 2u * FFT_BLOCK) {
        float *restrict a_r = &ar[k];
        float *restrict a_i = &ai[k];
        float *restrict b_r = &br[k];
        float *restrict b_i = &bi[k];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float dr = a_r[j] - b_r[j];
            float di = a_i[j] - b_i[j];
            a_r[j] += b_r[j];
            a_i[j] += b_i[j];
            CMUL(b_r[j], b_i[j], dr, di, tw[j], tw[FFT_BLOCK + j]);
        }
    }
}

/*
 * Radix-2^2 DIF butterflies of one group of 4q points (quarters a, b, c, d, k < q):
 * the same flow graph as two radix-2 DIF stages, so the output stays in bit-reversed
 * order. With W = exp(-2 pi j / 4q), t0 = a + c, t1 = a - c, t2 = b + d,
 * t3 = -j (b - d): a <- t0 + t2, b <- (t0 - t2) W^2k, c <- (t1 + t3) W^k,
 * d <- (t1 - t3) W^3k. tw: rows W^k, W^2k, W^3k as put_twiddles() lays them out.
 * q is a multiple of FFT_BLOCK.
 */
static void
r4_run(float *restrict ar,
       float *restrict ai,
       float *restrict br,
       float *restrict bi,
       float *restrict cr,
       float *restrict ci,
       float *restrict dr,
       float *restrict di,
       const float *restrict tw,
       uint32_t q)
{
    for (uint32_t k = 0; k + FFT_BLOCK <= q; k += FFT_BLOCK, tw += 6u * FFT_BLOCK) {
        float *restrict a_r = &ar[k];
        float *restrict a_i = &ai[k];
        float *restrict b_r = &br[k];
        float *restrict b_i = &bi[k];
        float *restrict c_r = &cr[k];
        float *restrict c_i = &ci[k];
        float *restrict d_r = &dr[k];
        float *restrict d_i = &di[k];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float t0r = a_r[j] + c_r[j];
            float t0i = a_i[j] + c_i[j];
            float t1r = a_r[j] - c_r[j];
            float t1i = a_i[j] - c_i[j];
            float t2r = b_r[j] + d_r[j];
            float t2i = b_i[j] + d_i[j];
            float t3r = b_i[j] - d_i[j]; /* -j (b - d) */
            float t3i = d_r[j] - b_r[j];
            a_r[j] = t0r + t2r;
            a_i[j] = t0i + t2i;
            CMUL(b_r[j], b_i[j], t0r - t2r, t0i - t2i, tw[2u * FFT_BLOCK + j],
                 tw[3u * FFT_BLOCK + j]);
            CMUL(c_r[j], c_i[j], t1r + t3r, t1i + t3i, tw[j], tw[FFT_BLOCK + j]);
            CMUL(d_r[j], d_i[j], t1r - t3r, t1i - t3i, tw[4u * FFT_BLOCK + j],
                 tw[5u * FFT_BLOCK + j]);
        }
    }
}

/*
 * The last two radix-2^2 stages over every 16-point group of the len points: q = 4
 * (twiddles tw, one block) down the group's columns, then q = 1 (no twiddles) along
 * its 4-point rows, four rows at a time (gcc vectorises the row loop with a 4 x 4
 * transpose).
 */
static void
r16_last(float *restrict re, float *restrict im, uint32_t len, const float *restrict tw)
{
    for (uint32_t b = 0; b < len; b += 4u * FFT_BLOCK) {
        float *restrict xr = &re[b];
        float *restrict xi = &im[b];
        for (uint32_t j = 0; j < FFT_BLOCK; j++) {
            float t0r = xr[j] + xr[8u + j];
            float t0i = xi[j] + xi[8u + j];
            float t1r = xr[j] - xr[8u + j];
            float t1i = xi[j] - xi[8u + j];
            float t2r = xr[4u + j] + xr[12u + j];
            float t2i = xi[4u + j] + xi[12u + j];
            float t3r = xi[4u + j] - xi[12u + j]; /* -j (b - d) */
            float t3i = xr[12u + j] - xr[4u + j];
            xr[j] = t0r + t2r;
            xi[j] = t0i + t2i;
            CMUL(xr[4u + j], xi[4u + j], t0r - t2r, t0i - t2i, tw[2u * FFT_BLOCK + j],
                 tw[3u * FFT_BLOCK + j]);
            CMUL(xr[8u + j], xi[8u + j], t1r + t3r, t1i + t3i, tw[j], tw[FFT_BLOCK + j]);
            CMUL(xr[12u + j], xi[12u + j], t1r - t3r, t1i - t3i, tw[4u * FFT_BLOCK + j],
                 tw[5u * FFT_BLOCK + j]);
        }
        for (uint32_t g = 0; g < FFT_BLOCK; g++) {
            float *restrict x_r = &xr[4u * g];
            float *restrict x_i = &xi[4u * g];
            float t0r = x_r[0] + x_r[2];
            float t0i = x_i[0] + x_i[2];
            float t1r = x_r[0] - x_r[2];
            float t1i = x_i[0] - x_i[2];
            float t2r = x_r[1] + x_r[3];
            float t2i = x_i[1] + x_i[3];
            float t3r = x_i[1] - x_i[3]; /* -j (x1 - x3) */
            float t3i = x_r[3] - x_r[1];
            x_r[0] = t0r + t2r;
            x_i[0] = t0i + t2i;
            x_r[1] = t0r - t2r;
            x_i[1] = t0i - t2i;
            x_r[2] = t1r + t3r;
            x_i[2] = t1i + t3i;
            x_r[3] = t1r - t3r;
            x_i[3] = t1i - t3i;
        }
    }
}

/*
 * In-place FFTs of the len/p2 blocks of p2 >= 16 points (a power of two) at re/im,
 * natural-order input, bit-reversed output. Decimation in frequency (Gentleman-Sande)
 * with twiddles along each group, so every butterfly run is contiguous and
 * vectorises: an odd radix-2 stage first when log2 p2 is odd, then radix-2^2 passes
 * (two radix-2 stages each) down to groups of 64, then the last two (16 and 4 points)
 * over the whole frame at once.
 */
static void
fft_pow2(float *re, float *im, uint32_t len, uint32_t p2, const float *tw)
{
    uint32_t o = 0;
    uint32_t g_len = p2;
    if (log2_u32(p2) % 2u == 1u) {
        const uint32_t half = p2 / 2u;
        for (uint32_t b = 0; b < len; b += p2) {
            r2_run(&re[b], &im[b], &re[b + half], &im[b + half], tw, half);
        }
        o += 2u * half;
        g_len = half;
    }
    for (; g_len > 16u; g_len /= 4u) {
        const size_t q = g_len / 4u;
        for (uint32_t b = 0; b < len; b += g_len) {
            float *xr = &re[b];
            float *xi = &im[b];
            r4_run(xr, xi, xr + q, xi + q, xr + 2u * q, xi + 2u * q, xr + 3u * q, xi + 3u * q,
                   &tw[o], (uint32_t)q);
        }
        o += 6u * (uint32_t)q;
    }
    r16_last(re, im, len, &tw[o]); /* g_len is 16 here */
}

/* Radix-3 butterflies of a pass (see pass3()); mq is a multiple of FFT_BLOCK. */
static void
pass3_run(float *restrict r0,
          float *restrict i0,
          float *restrict r1,
          float *restrict i1,
          float *restrict r2,
          float *restrict i2,
          const float *restrict tw,
          uint32_t mq)
{
    const float s3 = 0.866025403784438647f; /* sin(2 pi / 3) */
    for (uint32_t n = 0; n + FFT_BLOCK <= mq; n += FFT_BLOCK, tw += 4u * FFT_BLOCK) {
        float *restrict x0r = &r0[n];
        float *restrict x0i = &i0[n];
        float *restrict x1r = &r1[n];
        float *restrict x1i = &i1[n];
        float *restrict x2r = &r2[n];
        float *restrict x2i = &i2[n];
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
            CMUL(x1r[j], x1i[j], b1r, b1i, tw[j], tw[FFT_BLOCK + j]);
            CMUL(x2r[j], x2i[j], b2r, b2i, tw[2u * FFT_BLOCK + j], tw[3u * FFT_BLOCK + j]);
        }
    }
}

/* Radix-3 DIF pass over points n, n + mq, n + 2 mq; twiddles W^n, W^2n at tw. */
static void
pass3(float *re, float *im, uint32_t mq, const float *tw)
{
    const size_t m1 = mq;
    const size_t m2 = 2u * (size_t)mq;
    pass3_run(re, im, re + m1, im + m1, re + m2, im + m2, tw, mq);
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
          const float *restrict tw,
          uint32_t mq)
{
    const float c1 = 0.309016994374947424f;  /* cos(2 pi / 5) */
    const float c2 = -0.809016994374947424f; /* cos(4 pi / 5) */
    const float s1 = 0.951056516295153572f;  /* sin(2 pi / 5) */
    const float s2 = 0.587785252292473129f;  /* sin(4 pi / 5) */
    for (uint32_t n = 0; n + FFT_BLOCK <= mq; n += FFT_BLOCK, tw += 8u * FFT_BLOCK) {
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
            CMUL(x1r[j], x1i[j], y1r, y1i, tw[j], tw[FFT_BLOCK + j]);
            CMUL(x2r[j], x2i[j], y2r, y2i, tw[2u * FFT_BLOCK + j], tw[3u * FFT_BLOCK + j]);
            CMUL(x3r[j], x3i[j], y3r, y3i, tw[4u * FFT_BLOCK + j], tw[5u * FFT_BLOCK + j]);
            CMUL(x4r[j], x4i[j], y4r, y4i, tw[6u * FFT_BLOCK + j], tw[7u * FFT_BLOCK + j]);
        }
    }
}

/* Radix-5 DIF pass over points n + q mq, q = 0..4; twiddles W^(r n), r = 1..4, at tw. */
static void
pass5(float *re, float *im, uint32_t mq, const float *tw)
{
    const size_t m1 = mq;
    pass5_run(re, im, re + m1, im + m1, re + 2u * m1, im + 2u * m1, re + 3u * m1, im + 3u * m1,
              re + 4u * m1, im + 4u * m1, tw, mq);
}

/* The whole transform of re/im (fft_len points), in place; bin k ends at m->rev[k]. */
static void
fft(const struct mtr_metro *m, float *re, float *im)
{
    const uint32_t len = m->fft_len;
    const uint32_t p2 = m->fft_pow2;
    uint32_t off = 2u * p2;
    uint32_t ls = len;
    for (uint32_t s = 0; s < m->fft_odd_count; s++) {
        uint32_t rad = m->fft_odd[s];
        uint32_t mq = ls / rad;
        for (uint32_t b = 0; b < len; b += ls) {
            if (rad == 3u) {
                pass3(&re[b], &im[b], mq, &m->tw[off]);
            } else {
                pass5(&re[b], &im[b], mq, &m->tw[off]);
            }
        }
        off += 2u * (rad - 1u) * mq;
        ls = mq;
    }
    fft_pow2(re, im, len, p2, m->tw);
}

/* ------------------------------------------------------------------ resampling */

/* Weights of taps i (wa) and TAPS-1-i (wb) at FFT_BLOCK points: E(z) + y O(z) and
 * E - y O, z = y^2, from tap i's coefficients c[degree][point] (the kernel is even, so
 * the mirror tap's polynomial is tap i's at -y). Not const: ISO C before C2X cannot
 * pass a pointer to arrays to a const one. */
static inline void
pair_weights(float *restrict wa,
             float *restrict wb,
             const float *restrict y,
             const float *restrict z,
             float (*restrict c)[FFT_BLOCK])
{
    float e[FFT_BLOCK];
    float o[FFT_BLOCK];
    /* (separate loops: gcc 12 -O2 vectorises these, not the fused one) */
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        e[l] = (c[4][l] * z[l] + c[2][l]) * z[l] + c[0][l];
        o[l] = ((c[5][l] * z[l] + c[3][l]) * z[l] + c[1][l]) * y[l];
    }
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        wa[l] = e[l] + o[l];
    }
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        wb[l] = e[l] - o[l];
    }
}

/* Weights w[t][l] of the TAPS taps at FFT_BLOCK points y = y0 + dy (fk + l). */
static inline void
run_weights(float (*restrict w)[FFT_BLOCK],
            float y0,
            float dy,
            float fk,
            float (*restrict c)[RS_DEG + 1u][FFT_BLOCK])
{
    _Static_assert(RS_DEG == 5 && TAPS == 8, "run_weights is written out for 8 taps, degree 5");
    float y[FFT_BLOCK];
    float z[FFT_BLOCK];
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        y[l] = y0 + dy * (fk + (float)l);
        z[l] = y[l] * y[l];
    }
    /* (written out: gcc 12 -O2 keeps a loop over the pairs) */
    pair_weights(w[0], w[7], y, z, c[0]);
    pair_weights(w[1], w[6], y, z, c[1]);
    pair_weights(w[2], w[5], y, z, c[2]);
    pair_weights(w[3], w[4], y, z, c[3]);
}

/*
 * w[t] = tap t's weight at y, all taps at once (coefficients [degree][tap]): taps
 * t < TAPS/2 as E(y^2) + y O(y^2) and their mirrors TAPS-1-t as E - y O, as in
 * run_weights().
 */
static void
poly_taps(float *restrict w, float y, const float *restrict c)
{
    _Static_assert(RS_DEG == 5, "poly_taps is written out for degree 5");
    const float z = y * y;
    float e[TAPS / 2u];
    float o[TAPS / 2u];
    for (uint32_t t = 0; t < TAPS / 2u; t++) {
        e[t] = (c[4u * TAPS + t] * z + c[2u * TAPS + t]) * z + c[t];
        o[t] = ((c[5u * TAPS + t] * z + c[3u * TAPS + t]) * z + c[TAPS + t]) * y;
    }
    for (uint32_t t = 0; t < TAPS / 2u; t++) {
        w[t] = e[t] + o[t];
    }
    for (uint32_t t = 0; t < TAPS / 2u; t++) {
        w[TAPS - 1u - t] = e[t] - o[t];
    }
}

static void plan_runs(struct mtr_metro *m, double s0, double dlt);
static void plan_comp(struct mtr_metro *m, double len_cycles);
static void resample_runs(struct mtr_metro *m);
static void resample_points(struct mtr_metro *m);

/*
 * Point j sits at t_j = s0 + step j samples from the frame's start, that is at
 * j + f(j) with f(j) = s0 + (step - 1) j. Over a run of points where floor(f) = d is
 * constant, point j's first tap reads sample j + d - TAPS/2 + 1: contiguous reads.
 * A step far from 1 (fs well above fft_len per frame) takes each point on its own.
 */
void
mtr_metro_resample(struct mtr_metro *m, double len_cycles)
{
    /* per-frame work: positions in double, weights in float */
    const uint32_t len = m->fft_len;
    const double step = len_cycles / (double)len;
    const double s0 = (double)m->n - (double)MTR_METRO_RS_END - len_cycles;
    const double dlt = step - 1.0;
    m->rs_s0 = s0;
    m->rs_step = step;
    m->rs_run_count = 0;
    if (fabs(dlt) * (double)len + 2.0 <= (double)MTR_METRO_RS_RUNS_MAX) {
        plan_runs(m, s0, dlt);
    }
    if (m->rs_run_count > 0u) {
        resample_runs(m);
    } else {
        resample_points(m);
    }
    plan_comp(m, len_cycles);
}

/* Plan of a step close to 1: runs of points that read contiguous samples. */
static void
plan_runs(struct mtr_metro *m, double s0, double dlt)
{
    const uint32_t len = m->fft_len;
    uint32_t runs = 0;
    uint32_t j0 = 0;
    m->rs_run_fd = (float)dlt;
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
        if (runs == MTR_METRO_RS_RUNS_MAX) {
            m->rs_run_count = 0; /* (not reached: the caller checked the count) */
            return;
        }
        m->rs_run_end[runs] = (uint16_t)(j1 - 1u); /* last point: len may be 65536 */
        m->rs_run_d[runs] = (int32_t)fl;
        m->rs_run_mu0[runs] = (float)(f0 - fl);
        runs++;
        j0 = j1;
    }
    m->rs_run_count = (uint16_t)runs;
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

/* Channel c's samples as the kernel reads them (from MTR_METRO_RS_PRE before the frame). */
static const float *
rs_src(struct mtr_metro *m, unsigned c)
{
    return mtr_metro_x(m, c) - MTR_METRO_RS_PRE;
}

/*
 * Every phase's U and I along the runs of the plan, FFT_BLOCK points at a time: the
 * block's weights are computed once, in registers, for all channels.
 */
static void
resample_runs(struct mtr_metro *m)
{
    const uint32_t np = m->phase_count;
    const float dy = 2.0f * m->rs_run_fd;
    const float *xs[2 * MTR_CFG_MAX_PHASES];
    for (uint32_t c = 0; c < 2u * np; c++) {
        xs[c] = rs_src(m, c);
    }
    uint32_t j0 = 0;
    for (uint32_t r = 0; r < m->rs_run_count; r++) {
        const uint32_t j1 = (uint32_t)m->rs_run_end[r] + 1u;
        const int32_t d = m->rs_run_d[r];
        const float y0 = 2.0f * m->rs_run_mu0[r] - 1.0f;
        for (uint32_t j = j0; j < j1; j += FFT_BLOCK) {
            float w[TAPS][FFT_BLOCK];
            run_weights(w, y0, dy, (float)(j - j0), m->rs_pair_c);
            const uint32_t cnt = j1 - j < FFT_BLOCK ? j1 - j : FFT_BLOCK;
            for (uint32_t p = 0; p < np; p++) {
                const float *xu = xs[p] + d + j;
                const float *xi = xs[np + p] + d + j;
                if (cnt == FFT_BLOCK) {
                    taps_block(&m->fft_re[p][j], &m->fft_im[p][j], xu, xi, &w[0][0], FFT_BLOCK);
                    continue;
                }
                for (uint32_t l = 0; l < cnt; l++) {
                    float au = 0.0f;
                    float ai = 0.0f;
                    for (uint32_t t = 0; t < TAPS; t++) {
                        au += w[t][l] * xu[l + t];
                        ai += w[t][l] * xi[l + t];
                    }
                    m->fft_re[p][j + l] = au;
                    m->fft_im[p][j + l] = ai;
                }
            }
        }
        j0 = j1;
    }
}

/* a[q] = w[q] x[q] + w[q + FFT_BLOCK] x[q + FFT_BLOCK]: a point's lane sums. */
static inline void
lane_dot(float *restrict a, const float *restrict x, const float *restrict w)
{
    for (uint32_t q = 0; q < FFT_BLOCK; q++) {
        a[q] = w[q] * x[q] + w[q + FFT_BLOCK] * x[q + FFT_BLOCK];
    }
}

/*
 * FFT_BLOCK points of one channel: out[l] = the dot product of point l's TAPS weights
 * (w[l TAPS ...]) with x from k[l]. Each point's taps are a contiguous pair of vectors; the four
 * points' lane sums are added with one transpose (gcc vectorises the last loop).
 */
static inline void
dot_taps4(float *restrict out,
          const float *restrict x,
          const int32_t k[FFT_BLOCK],
          const float *restrict w)
{
    _Static_assert(TAPS == 2u * FFT_BLOCK, "dot_taps4: two blocks of taps");
    _Static_assert(FFT_BLOCK == 4u, "dot_taps4 is written out for 4 points");
    float a[FFT_BLOCK][FFT_BLOCK];
    /* (written out: gcc 12 -O2 does not unroll the loop over the points) */
    lane_dot(a[0], &x[k[0]], &w[0]);
    lane_dot(a[1], &x[k[1]], &w[TAPS]);
    lane_dot(a[2], &x[k[2]], &w[2u * TAPS]);
    lane_dot(a[3], &x[k[3]], &w[3u * TAPS]);
    for (uint32_t l = 0; l < FFT_BLOCK; l++) {
        out[l] = (a[l][0] + a[l][2]) + (a[l][1] + a[l][3]);
    }
}

/*
 * Every phase's U and I, FFT_BLOCK points at a time (fft_len is a multiple): each
 * point's weights once for all channels.
 */
static void
resample_points(struct mtr_metro *m)
{
    const uint32_t np = m->phase_count;
    /* t >= -MTR_CFG_MAX_DELAY_SAMPLES: truncation of t + bias is floor(t) */
    const double bias = (double)MTR_CFG_MAX_DELAY_SAMPLES;
    const float *xs[2 * MTR_CFG_MAX_PHASES];
    for (uint32_t c = 0; c < 2u * np; c++) {
        xs[c] = rs_src(m, c);
    }
    for (uint32_t j = 0; j < m->fft_len; j += FFT_BLOCK) {
        int32_t k[FFT_BLOCK];
        float w[FFT_BLOCK][TAPS];
        for (uint32_t l = 0; l < FFT_BLOCK; l++) {
            double t = m->rs_s0 + m->rs_step * (double)(j + l);
            k[l] = (int32_t)(t + bias) - (int32_t)bias;
            poly_taps(w[l], (float)(2.0 * (t - (double)k[l]) - 1.0), m->rs_poly_dt);
        }
        for (uint32_t p = 0; p < np; p++) {
            dot_taps4(&m->fft_re[p][j], xs[p], k, &w[0][0]);
            dot_taps4(&m->fft_im[p][j], xs[np + p], k, &w[0][0]);
        }
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

/* ------------------------------------------------------------------ analysis */

/* Separate bin k of U and I from the transform of u + j*i. */
static void
split_bin(const struct mtr_metro *m,
          const float *re,
          const float *im,
          uint32_t k,
          double *ur,
          double *ui,
          double *ir,
          double *ii)
{
    uint32_t kc = m->rev[k == 0 ? 0 : m->fft_len - k];
    uint32_t kr = m->rev[k];
    double zr = (double)re[kr];
    double zi = (double)im[kr];
    double cr = (double)re[kc];
    double ci = (double)im[kc];
    *ur = 0.5 * (zr + cr);
    *ui = 0.5 * (zi - ci);
    *ir = 0.5 * (zi + ci);
    *ii = -0.5 * (zr - cr);
}

/* 4 |U_k|^2 and 4 |I_k|^2 of bins 1..k_max, compensated for the kernel's response. */
static void
bin_powers(struct mtr_metro *m, const float *re, const float *im, uint32_t k_max)
{
    const uint16_t *rev = m->rev;
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
                   unsigned p,
                   double len_cycles,
                   unsigned n_cycles,
                   double tau_i_s,
                   struct mtr_metro_spec *out)
{
    const float *re = m->fft_re[p];
    const float *im = m->fft_im[p];
    fft(m, m->fft_re[p], m->fft_im[p]);

    const uint32_t nc = n_cycles;
    const uint32_t hw = nc / 2u; /* group half width in bins: 5 (50 Hz) or 6 (60 Hz) */
    const uint32_t k_max = nc * m->h_max + hw;
    const double len = (double)m->fft_len;
    const double scale2 = 2.0 / (len * len); /* |X_k|^2 -> RMS^2 of a real component */
    const double w_bin = 2.0 * MTR_PI * m->cfg.fs_Hz / len_cycles; /* rad/s per bin */
    bin_powers(m, re, im, k_max);
    double ur;
    double ui;
    double ir;
    double ii;
    split_bin(m, re, im, 0, &ur, &ui, &ir, &ii);
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
        split_bin(m, re, im, kc, &ur, &ui, &ir, &ii);
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
