/*
 * Private interface between the metrology engine's files: frame processing
 * (metro_frame.c) and spectral analysis (metro_fft.c), called by the sample loop
 * (metro_feed.c).
 */
#ifndef METERD_METRO_INT_H
#define METERD_METRO_INT_H

#include "meterd/metrology.h"

/** Lowest frequency a 50/60 Hz engine tracks (IEC 61000-4-30 range: 42.5 / 51 Hz). */
#define MTR_METRO_F_MIN_50_Hz 42.5
#define MTR_METRO_F_MIN_60_Hz 51.0

/** pi and sqrt(2), spelled out: M_PI is not C11. */
#define MTR_PI    3.14159265358979323846
#define MTR_SQRT2 1.41421356237309504880

/** Missing-phase threshold: voltage below 10 % of Udin (METROLOGY-TESTS.md 3.3). */
#define MTR_METRO_MISSING_FRAC 0.10f

/**
 * Keeps gcc's basic-block vectoriser off a function. The zero-crossing filter's four
 * state variables are stored side by side, and gcc 12 -O2 otherwise packs them into
 * one vector inside the sample loop, with shuffles every sample (2.4 times slower).
 */
#if defined(__GNUC__) && !defined(__clang__)
#define MTR_METRO_NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define MTR_METRO_NO_SLP
#endif

/** Pointer to sample 0 of the current frame of channel c (history is at negative indices). */
static inline float *
mtr_metro_x(struct mtr_metro *m, unsigned c)
{
    return &m->ch[c].buf[MTR_CFG_MAX_DELAY_SAMPLES];
}

/** Spectral results of one phase. */
struct mtr_metro_spec {
    float u_h[MTR_CFG_MAX_HARMONIC + 1]; /* harmonic group RMS of U */
    float i_h[MTR_CFG_MAX_HARMONIC + 1]; /* harmonic group RMS of I */
    float u1_re, u1_im;                  /* fundamental RMS phasor of U */
    float i1_re, i1_im;                  /* fundamental RMS phasor of I (delay-corrected) */
    double qb;                           /* Budeanu Q, sum over harmonic bins */
};

/** The spectrum's window ends this many samples before the frame's end (the kernel's
 * last tap reads MTR_METRO_RS_TAPS/2 samples after a point). */
#define MTR_METRO_RS_END (MTR_METRO_RS_TAPS / 2u + 1u)
/** Samples the kernel reads before the window's first point. */
#define MTR_METRO_RS_PRE (MTR_METRO_RS_TAPS / 2u - 1u)

/**
 * Choose the FFT size and the resampling kernel for the configuration in m->cfg and
 * m->n_cycles (sets fft_len, h_max and the FFT and kernel tables).
 */
void mtr_metro_fft_init(struct mtr_metro *m);

/**
 * Resample every phase's U and I over the frame's last len_cycles samples (the window
 * ends MTR_METRO_RS_END samples before the frame end, so the kernel stays inside the
 * data) to m->fft_len points each, into m->fft_re[p] (U) and m->fft_im[p] (I), and set
 * the per-bin compensation of the kernel's response. Once per frame, before the
 * spectra and before any channel is delayed.
 */
void mtr_metro_resample(struct mtr_metro *m, double len_cycles);

/**
 * Transform phase p's resampled U and I (see mtr_metro_resample()) and compute harmonic
 * groups, fundamental phasors and Budeanu Q. len_cycles is the duration of the frame's
 * n_cycles whole cycles in samples; harmonic h is bin n_cycles*h. tau_i_s is the delay
 * applied to I. Overwrites phase p's resampled points.
 */
void mtr_metro_spectrum(struct mtr_metro *m,
                        unsigned p,
                        double len_cycles,
                        unsigned n_cycles,
                        double tau_i_s,
                        struct mtr_metro_spec *out);

/**
 * Process the completed frame of m->n samples into *frame.
 * len_cycles: duration of the frame's synchronised cycles in samples (0 if not synchronised).
 */
void mtr_metro_process(struct mtr_metro *m, double len_cycles, struct mtr_metro_frame *frame);

#endif /* METERD_METRO_INT_H */
