/*
 * Metrology engine: turns sampled voltage and current into measurement frames.
 *
 * The engine is fed interleaved samples in physical units (volts and amperes at
 * the meter's input terminals). It removes DC, applies gain and phase
 * calibration and the CT/VT ratios, tracks the fundamental by interpolated zero
 * crossings of the reference voltage, and closes a gapless, cycle-synchronous
 * frame every 10 cycles at 50 Hz or 12 at 60 Hz (IEC 61000-4-30 5.2, "basic
 * measurement time interval"). Each frame carries per-phase Urms, Irms, P, Q
 * (fundamental Q1 per IEC 62053-24 and Budeanu total), S, PF, phase angle,
 * harmonic groups to the 50th with THD (IEC 61000-4-7), line-to-line voltages,
 * computed neutral current, phase sequence, and the exact energy of the frame.
 *
 * Every sample belongs to exactly one frame, so summing frame energies is the
 * gapless integral of v*i over the input: this is what the registers add.
 *
 * Sign conventions (IEC 62053-23 Annex C, DLMS): P > 0 is import; Q > 0 when the
 * current lags the voltage (inductive, quadrants I and III); phase angle phi is
 * the angle by which the fundamental current lags the fundamental voltage.
 */
#ifndef METERD_METROLOGY_H
#define METERD_METROLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/config.h"
#include "meterd/err.h"

/** Network (wiring) type. The number of phases fed is mtr_metro_net_phases(). */
enum mtr_metro_net {
    MTR_METRO_NET_1P2W = 0,  /**< Single phase, 2 wires: U1, I1. */
    MTR_METRO_NET_3P4W = 1,  /**< Three phases + neutral, 3 elements: U1..U3 to N, I1..I3. */
    MTR_METRO_NET_3P3W = 2,  /**< Three phases, no neutral, two-wattmeter (Aron) on I1 and I3:
                                  U1..U3 to any common point; I2 is ignored. */
    MTR_METRO_NET_SPLIT = 3, /**< Split phase 120/240 V: U1, U2 to N (180 degrees apart), I1, I2. */
    MTR_METRO_NET_1BL = 4,   /**< COUNTIS 1BL: single phase, one CT (same as 1P2W). */
    MTR_METRO_NET_2BL = 5,   /**< COUNTIS 2BL: two phases balanced, one CT on I1; I2 inferred. */
    MTR_METRO_NET_3BL = 6,   /**< COUNTIS 3BL: 3 phases 3 wires balanced, one CT on I1. */
    MTR_METRO_NET_4BL = 7,   /**< COUNTIS 4BL: 3 phases 4 wires balanced, one CT on I1. */
};

/** Phase sequence of the fundamental voltage phasors. */
enum mtr_metro_seq {
    MTR_METRO_SEQ_UNKNOWN = 0, /**< Fewer than three phases present, or not three-phase. */
    MTR_METRO_SEQ_123 = 1,     /**< Direct (positive) sequence L1, L2, L3. */
    MTR_METRO_SEQ_132 = 2,     /**< Reversed sequence. */
};

/** Which reactive power feeds the reactive energy registers. */
enum mtr_metro_qdef {
    MTR_METRO_Q_FUNDAMENTAL = 0, /**< Q1 = U1*I1*sin(phi1), IEC 62053-24 (default). */
    MTR_METRO_Q_BUDEANU = 1,     /**< Sum over harmonics 1..50 of Uh*Ih*sin(phih). */
};

/** Frame flags (bit mask). */
#define MTR_METRO_FLAG_F_INVALID                                    \
    (1u << 0) /**< No zero crossings: frame closed on nominal time. \
               */
#define MTR_METRO_FLAG_TRUNCATED \
    (1u << 1) /**< Reserved: never set (init rejects rates whose frames would not fit). */
#define MTR_METRO_FLAG_GAP     (1u << 2) /**< Caller reported a sample gap in this frame. */
#define MTR_METRO_FLAG_PARTIAL (1u << 3) /**< Closed by mtr_metro_flush() before its end. */
#define MTR_METRO_FLAG_FIRST   (1u << 4) /**< First frame after init: DC and filters settling. */
#define MTR_METRO_FLAG_F10_NEW (1u << 5) /**< f10_Hz holds a new IEC 61000-4-30 10-s value. */

/** Calibration of one phase. Zero everywhere is "uncalibrated, ideal". */
struct mtr_metro_phase_cal {
    /** Voltage gain correction, ppm: U is multiplied by (1 + u_gain_ppm / 1e6). +-500000. */
    int32_t u_gain_ppm;
    /** Current gain correction, ppm, like u_gain_ppm. */
    int32_t i_gain_ppm;
    /**
     * Phase lead of the current channel to remove, millidegrees at the fundamental
     * (a CT that leads by 2 degrees: +2000). Applied as a time delay of the current
     * of phase/(360*f) with f the measured frequency. Range +-20000 (20 degrees).
     */
    int32_t i_phase_mdeg;
    /**
     * Sequential-sampling skew: the current is sampled this many nanoseconds after
     * the voltage; compensated by delaying the current. Range +-1000000 (1 ms).
     */
    int32_t i_skew_ns;
};

/** Engine configuration; see mtr_metro_config_default(). */
struct mtr_metro_config {
    /** Sample rate as told to the engine, Hz; 1000..65536. Per-frame use only (double). */
    double fs_Hz;
    /** Nominal frequency, Hz: 50 (10-cycle frames) or 60 (12-cycle frames). */
    uint16_t f_nom_Hz;
    /** Wiring. */
    enum mtr_metro_net net;
    /** Declared phase-to-neutral voltage Udin, volts (primary); > 0. Missing phase: < 10 %. */
    float u_nom_V;
    /** VT ratio, primary/secondary volts (1 when direct); > 0. */
    double vt_ratio;
    /** CT ratio, primary/secondary amperes (1 when direct); > 0. */
    double ct_ratio;
    /** Per-phase calibration. */
    struct mtr_metro_phase_cal cal[MTR_CFG_MAX_PHASES];
    /**
     * No-load (creep) threshold on the frame-average |P| of each phase, watts
     * (primary). A phase whose |P| is below it registers no active energy in that
     * frame (METROLOGY-TESTS.md 3.5: a power/energy-per-cycle threshold). 0 = off.
     */
    float p_start_W;
    /** The same for |Q| of the reactive registers, var. 0 = off. */
    float q_start_var;
    /** Remove the DC component from the current (sensor offset). Voltage DC is always removed. */
    bool is_i_dc_removed;
    /** Reactive power definition of the reactive energy. */
    enum mtr_metro_qdef q_def;
};

/** Quantities of one phase over one frame. Primary units. */
struct mtr_metro_phase {
    float u_rms_V;     /**< Urms, volts, DC removed. */
    float i_rms_A;     /**< Irms, amperes (DC removed when configured). */
    float p_W;         /**< Active power, W; + import. */
    float q1_var;      /**< Fundamental reactive power Q1 (IEC 62053-24), var; + inductive. */
    float qb_var;      /**< Budeanu reactive power, sum over harmonics 1..50, var. */
    float s_VA;        /**< Apparent power Urms*Irms, VA; >= 0. */
    float pf_ratio;    /**< Power factor P/S, -1..+1; 0 when S is 0. */
    float phi_deg;     /**< Fundamental phase angle, current lagging voltage, -180..+180 deg. */
    float u_angle_deg; /**< Angle of the U fundamental relative to U1, -180..+180 deg. */
    float u_thd_pct;   /**< THD of U, % of the fundamental group (orders 2..50). */
    float i_thd_pct;   /**< THD of I, % of the fundamental group. */
    /** Harmonic group RMS of U, volts; [0] is DC, [1] the fundamental (IEC 61000-4-7 5.5.2). */
    float u_h_V[MTR_CFG_MAX_HARMONIC + 1];
    /** Harmonic group RMS of I, amperes; [0] is DC. */
    float i_h_A[MTR_CFG_MAX_HARMONIC + 1];
    double e_p_Wh;   /**< Active energy of the frame after the no-load threshold, Wh, signed. */
    double e_q_varh; /**< Reactive energy (per q_def) after the threshold, varh, signed. */
    double e_s_VAh;  /**< Apparent energy of the frame, VAh, >= 0. */
    bool is_present; /**< Voltage at or above 10 % of u_nom_V. */
};

/** Totals over the phases of one frame. */
struct mtr_metro_total {
    float p_W;       /**< Sum of phase P (two-wattmeter in 3P3W), W. */
    float q1_var;    /**< Sum of phase Q1, var. */
    float qb_var;    /**< Sum of phase Budeanu Q, var. */
    float s_VA;      /**< Arithmetic sum of phase S, VA. */
    float pf_ratio;  /**< P/S, -1..+1. */
    double e_p_Wh;   /**< Active energy of the frame (sum of phases), Wh, signed. */
    double e_q_varh; /**< Reactive energy of the frame, varh, signed. */
    double e_s_VAh;  /**< Apparent energy of the frame, VAh. */
};

/** One measurement frame (10/12 cycles, about 200 ms). */
struct mtr_metro_frame {
    uint64_t seq;          /**< Frame number since init, from 0. */
    uint64_t sample_start; /**< Index of the frame's first sample since init. */
    uint32_t sample_count; /**< Samples per channel in the frame. */
    double duration_s;     /**< sample_count / fs_Hz, seconds. */
    float f_Hz;            /**< Fundamental frequency over the frame's whole cycles, Hz. */
    float f10_Hz;          /**< Latest IEC 61000-4-30 10-s frequency, Hz; 0 before the first. */
    uint32_t flags;        /**< MTR_METRO_FLAG_* */
    uint8_t phase_count;   /**< Phases in ph[] (1..3). */
    uint8_t missing_mask;  /**< Bit p set: phase p+1 voltage missing (< 10 % Udin). */
    enum mtr_metro_seq seq_order; /**< Phase sequence (three-phase networks). */
    struct mtr_metro_phase ph[MTR_CFG_MAX_PHASES];
    float u_ll_V[3]; /**< U12, U23, U31 RMS, volts (U12 only for SPLIT; 0 if 1 phase). */
    float i_n_A;     /**< Neutral current computed from the phase currents, A RMS. */
    struct mtr_metro_total total;
};

/** Private: taps of the resampling kernel (even; the window needs TAPS/2 + 1 samples after
 * it and TAPS/2 - 1 before it). */
#define MTR_METRO_RS_TAPS     8
/** Private: degree of each tap's weight as a polynomial of the fractional position. */
#define MTR_METRO_RS_DEGREE   5
/** Private: steps of the kernel's response table over 0..0.5 cycles per sample. */
#define MTR_METRO_RS_NU_STEPS 256
/** Private: most runs of contiguous reads in a plan (frequency within about +-15 % of
 * the one the FFT size was chosen for); beyond that the per-point path is taken. */
#define MTR_METRO_RS_RUNS_MAX 320
/** Private: most odd radix (3, 5) passes of the FFT. */
#define MTR_METRO_FFT_ODD_MAX 3

/** Private: one channel's samples; [0, MTR_CFG_MAX_DELAY_SAMPLES) is history. */
struct mtr_metro_ch {
    float buf[MTR_CFG_MAX_DELAY_SAMPLES + MTR_CFG_MAX_FRAME_SAMPLES];
};

/**
 * Engine state: a complete type so the caller can place it (about 305 KiB with the
 * default limits). Fields are private; use the functions.
 */
struct mtr_metro {
    struct mtr_metro_config cfg;
    uint8_t phase_count;
    uint8_t chan_count;       /* 2 * phase_count: U1..Un then I1..In */
    uint8_t n_cycles;         /* cycles per frame: 10 (50 Hz) or 12 (60 Hz) */
    uint8_t h_max;            /* highest harmonic analysed (<= MTR_CFG_MAX_HARMONIC) */
    uint32_t n;               /* samples in the current frame */
    uint32_t n_nom;           /* nominal frame length, samples */
    uint32_t n_timeout;       /* frame closed without sync at this length */
    uint32_t n_first_timeout; /* the same for the first frame (one cycle longer) */
    uint32_t n_settle;        /* samples after start before crossings count */
    uint32_t fft_len;         /* points of the resampled frame, 2^a 3^b 5^c */
    uint64_t sample_index;    /* samples consumed since init */
    uint64_t frame_seq;
    uint32_t pending_flags;
    bool has_history; /* buf history holds the previous frame's tail */
    /* zero-crossing tracking on the reference voltage */
    uint8_t ref_phase;
    float lp_b0, lp_a1, lp_a2; /* 2-pole low-pass: y = (b0*(x + 2x1 + x2) - a2*y2) - a1*y1 */
    float lp_x1, lp_x2, lp_y1, lp_y2;
    float zc_arm_level; /* the signal must fall below -level to arm the next crossing */
    bool zc_armed;
    uint32_t cycles; /* crossings counted since the frame's starting crossing */
    double zc_start; /* absolute position of the frame's starting crossing, samples; <0 none */
    double zc_last;  /* absolute position of the latest crossing, samples; <0 none */
    float f_last_Hz; /* frequency of the latest synchronised frame */
    float dc[2 * MTR_CFG_MAX_PHASES]; /* DC of each channel over the previous frame */
    float ref_rms;                    /* reference voltage RMS of the previous frame, input units */
    float last_ph[MTR_CFG_MAX_PHASES][4]; /* previous U1 and I1 phasors (re, im, re, im) */
    double last_qb[MTR_CFG_MAX_PHASES];   /* previous Budeanu Q */
    /* IEC 61000-4-30 10-s frequency */
    uint64_t f10_interval;
    double f10_first; /* absolute position of the first crossing in the interval; <0 none */
    double f10_last;
    uint32_t f10_cycles;
    float f10_Hz;
    bool f10_is_new;
    struct mtr_metro_ch ch[2 * MTR_CFG_MAX_PHASES];
    float hist[2 * MTR_CFG_MAX_PHASES][MTR_CFG_MAX_DELAY_SAMPLES];
    /* Spectrum (metro_fft.c). The frame's whole cycles are resampled to fft_len points
     * with an MTR_METRO_RS_TAPS-tap windowed-sinc kernel whose cutoff lies between the
     * group of harmonic h_max and the first frequency that would fold onto it, so the
     * kernel is also the anti-aliasing filter; its mean response is divided out per bin. */
    uint32_t fft_pow2;                      /* power-of-two part of fft_len (>= 16) */
    uint8_t fft_odd_count;                  /* odd radix passes done first (0..3) */
    uint8_t fft_odd[MTR_METRO_FFT_ODD_MAX]; /* their radices, 3 or 5 */
    uint16_t rs_run_count;                  /* runs of the current plan; 0: per-point path */
    double rs_s0;                           /* position of point 0, samples from frame start */
    double rs_step;                         /* samples per point */
    /* each phase's resampled U (re) and I (im), transformed in place */
    float fft_re[MTR_CFG_MAX_PHASES][MTR_CFG_FFT_LEN];
    float fft_im[MTR_CFG_MAX_PHASES][MTR_CFG_FFT_LEN];
    /* runs of the current frame's points whose first tap is point + rs_run_d (so a run
     * reads contiguous samples), each with its first point's fractional position; the
     * position advances rs_run_fd a point. rs_run_count 0: one point at a time */
    float rs_run_fd;
    uint16_t rs_run_end[MTR_METRO_RS_RUNS_MAX];
    int32_t rs_run_d[MTR_METRO_RS_RUNS_MAX];
    float rs_run_mu0[MTR_METRO_RS_RUNS_MAX];
    /* kernel: weight of tap i at fractional position mu is the polynomial
     * sum_d rs_poly[i][d] (2 mu - 1)^d ([tap][degree]) */
    float rs_poly[MTR_METRO_RS_TAPS * (MTR_METRO_RS_DEGREE + 1)];
    float rs_poly_dt[(MTR_METRO_RS_DEGREE + 1) * MTR_METRO_RS_TAPS]; /* the same, [degree][tap] */
    /* taps 0..TAPS/2-1's coefficients, each repeated for 4 points ([tap][degree][4]) */
    float rs_pair_c[MTR_METRO_RS_TAPS / 2][MTR_METRO_RS_DEGREE + 1][4];
    /* 1/H(nu)^2 of the kernel's mean response at nu = i/(2 MTR_METRO_RS_NU_STEPS)
     * cycles per sample, and per bin of the current frame */
    float rs_hinv2[MTR_METRO_RS_NU_STEPS + 1];
    float rs_comp[MTR_CFG_FFT_LEN / 2 + 1];
    uint16_t rev[MTR_CFG_FFT_LEN];       /* digit reversal: the FFT leaves bin k at rev[k] */
    float pw_u[MTR_CFG_FFT_LEN / 2 + 1]; /* 4|U_k|^2 of the current phase's bins */
    float pw_i[MTR_CFG_FFT_LEN / 2 + 1]; /* 4|I_k|^2 */
    /* twiddles of every FFT pass, in the order the butterflies read them (blocks of
     * 4 k's: row 1 real, row 1 imaginary, row 2 ...): the power-of-two stages from 0
     * (fewer than 2 fft_pow2 floats), then each odd pass's W^(r n) from 2 fft_pow2 */
    float tw[2 * MTR_CFG_FFT_LEN];
};

/**
 * Fill a configuration with defaults: 8 kS/s, 50 Hz, 3P4W, Udin 230 V, ratios 1,
 * no calibration, no-load threshold off, current DC removed, Q fundamental.
 * @param[out] cfg  Configuration to fill.
 * Context: any; no allocation.
 */
void mtr_metro_config_default(struct mtr_metro_config *cfg);

/**
 * Number of phase channel pairs a network type is fed with.
 * @param[in] net  Network type.
 * @return 1, 2 or 3; 0 for an unknown value.
 */
uint8_t mtr_metro_net_phases(enum mtr_metro_net net);

/**
 * Initialise an engine.
 * @param[out] m    Engine state (caller memory, kept until the last call).
 * @param[in]  cfg  Configuration, copied.
 * @retval MTR_OK      Ready.
 * @retval MTR_EINVAL  NULL argument, fs_Hz outside 1000..65536, f_nom_Hz not 50/60, ratio <= 0,
 *                     unknown network, calibration out of range, or a frame would not fit
 *                     MTR_CFG_MAX_FRAME_SAMPLES at 42.5 Hz (50 Hz) / 51 Hz (60 Hz).
 * Context: meter loop; no allocation; O(size of state).
 */
MTR_NODISCARD enum mtr_err mtr_metro_init(struct mtr_metro *m, const struct mtr_metro_config *cfg);

/**
 * Feed interleaved samples until a frame completes or the input is used up.
 * @param[in,out] m         Engine.
 * @param[in]     x         Samples, shape [sample_count][2*phases]: U1..Un then I1..In, in volts
 *                          and amperes at the input terminals (secondary). Not NaN/Inf: the
 *                          edge rejects non-finite samples.
 * @param[in]     sample_count Samples per channel available in x (0 allowed).
 * @param[out]    consumed  Samples per channel taken from x (<= sample_count).
 * @param[out]    frame     Filled when MTR_OK is returned.
 * @retval MTR_OK      A frame completed; *frame holds it; feed the rest of x again.
 * @retval MTR_EAGAIN  All of x was consumed without completing a frame.
 * @retval MTR_EINVAL  NULL argument (x may be NULL only when sample_count is 0).
 * Context: meter loop; no allocation; O(sample_count * channels) plus one FFT per channel
 * per frame.
 * Spec: IEC 61000-4-30 5.2 (frames), 5.1 (frequency); IEC 61000-4-7 (harmonics); IEC 62053-24.
 */
MTR_NODISCARD enum mtr_err mtr_metro_feed(struct mtr_metro *m,
                                          const float *x,
                                          size_t sample_count,
                                          size_t *consumed,
                                          struct mtr_metro_frame *frame);

/**
 * Report that samples were lost before the next sample fed (a source gap). The
 * next frame carries MTR_METRO_FLAG_GAP; the lost time registers no energy.
 * @param[in,out] m  Engine.
 * Context: meter loop.
 */
void mtr_metro_mark_gap(struct mtr_metro *m);

/**
 * Close the current frame early (end of a recording), so its samples' energy is
 * not lost. The frame carries MTR_METRO_FLAG_PARTIAL.
 * @param[in,out] m      Engine.
 * @param[out]    frame  Filled when MTR_OK is returned.
 * @retval MTR_OK      A partial frame was produced.
 * @retval MTR_EAGAIN  No samples were pending.
 * @retval MTR_EINVAL  NULL argument.
 */
MTR_NODISCARD enum mtr_err mtr_metro_flush(struct mtr_metro *m, struct mtr_metro_frame *frame);

#endif /* METERD_METROLOGY_H */
