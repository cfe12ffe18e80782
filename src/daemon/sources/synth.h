/*
 * Synthetic signal generator and its analytic truth (METROLOGY-TESTS.md 3.1-3.2).
 *
 * The generator is the meter's embedded default input (the "household" scenario
 * of source_synth.c) and the basis of the metrology accuracy tests. It computes,
 * in double precision and per phase,
 *
 *     v(t) = Vdc + sum_h sqrt2*Vh*cos(h*theta(t) + alpha_h)
 *     i(t) = Idc + sum_k sqrt2*Ik*cos(k*theta(t) + beta_k)
 *
 * with theta the integrated fundamental phase (theta' = 2*pi*f), so frequency
 * ramps and steps are phase-continuous. The *model* is a list of segments of
 * constant frequency and amplitude, each a whole number of samples long, so a
 * parameter change always falls on a sample boundary and the truth of
 * synth_truth.c integrates exactly the same piecewise signal.
 *
 * A *front end* then adds what a real ADC board adds and the truth ignores: CT
 * gain and phase error (current-dependent), V->I crosstalk, sequential-sampling
 * skew, ADC DC offsets, white Gaussian noise (seeded xoshiro256**, so every run
 * is identical), quantisation to N bits of +-FS, and dropped / duplicated sample
 * blocks. The sample-clock error is modelled by the model's fs_Hz (the true
 * rate) differing from the rate the engine is told (mtrd_synth_fs_true()).
 *
 * Output: float samples interleaved [sample][2*phases], U1..Un then I1..In, in
 * volts and amperes, as mtr_metro_feed() takes them.
 *
 * Edge code (src/daemon/sources): uses libm, no allocation, no IO; tests link it
 * directly.
 */
#ifndef METERD_SYNTH_H
#define METERD_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

/** Phases the generator produces. */
#define MTRD_SYNTH_MAX_PHASES 3
/** Spectral terms per waveform (orders need not be distinct; equal orders add). */
#define MTRD_SYNTH_MAX_TERMS  16
/** Highest harmonic order (the generator keeps the powers of e^(j theta) up to it). */
#define MTRD_SYNTH_MAX_ORDER  63
/** Longest duplicated block, samples per channel. */
#define MTRD_SYNTH_MAX_DUP    1024

/** One spectral line: sqrt2 * rms * cos(order*theta + phase_rad). */
struct mtrd_synth_term {
    uint8_t order;    /**< Harmonic order, 1..MTRD_SYNTH_MAX_ORDER (0 terms are skipped). */
    double rms;       /**< RMS amplitude, V or A; >= 0. */
    double phase_rad; /**< Phase at theta = 0, radians. */
};

/** One waveform (a U or an I channel). */
struct mtrd_synth_wave {
    double dc;          /**< DC component of the signal itself (part of the truth), V or A. */
    uint8_t term_count; /**< Terms used, 0..MTRD_SYNTH_MAX_TERMS. */
    struct mtrd_synth_term term[MTRD_SYNTH_MAX_TERMS];
};

/** Signal of all phases. */
struct mtrd_synth_signal {
    uint8_t phase_count; /**< 1..MTRD_SYNTH_MAX_PHASES. */
    struct mtrd_synth_wave u[MTRD_SYNTH_MAX_PHASES];
    struct mtrd_synth_wave i[MTRD_SYNTH_MAX_PHASES];
};

/** A segment of constant frequency and amplitude. */
struct mtrd_synth_seg {
    uint64_t sample_count;               /**< Length in (true-clock) samples; >= 1. */
    double f_Hz;                         /**< Fundamental frequency, Hz; > 0. */
    const struct mtrd_synth_signal *sig; /**< Borrowed; must outlive the generator. */
    double u_scale;                      /**< All U terms and U dc multiplied by this (sags). */
    double i_scale;                      /**< All I terms and I dc multiplied by this. */
};

/** The signal model: segments played one after the other from sample 0. */
struct mtrd_synth_model {
    double fs_Hz;                     /**< True sample rate, Hz (see mtrd_synth_fs_true()). */
    double theta0_rad;                /**< Fundamental phase at sample 0, radians. */
    const struct mtrd_synth_seg *seg; /**< Borrowed array. */
    size_t seg_count;                 /**< Segments; >= 1. */
};

/** Front-end impairments; zero-initialised = ideal (no quantisation, no noise). */
struct mtrd_synth_frontend {
    uint8_t adc_bits; /**< 0 = no quantisation; else 2..32: round to N bits of +-FS, clip. */
    double u_fs_V;    /**< Peak full scale of the U channels, V (used when adc_bits > 0). */
    double i_fs_A;    /**< Peak full scale of the I channels, A. */
    double u_noise_V; /**< White Gaussian noise RMS added to U, V. */
    double i_noise_A; /**< White Gaussian noise RMS added to I, A. */
    double u_offset_V[MTRD_SYNTH_MAX_PHASES]; /**< ADC DC offset of U, V (not in the truth). */
    double i_offset_A[MTRD_SYNTH_MAX_PHASES]; /**< ADC DC offset of I, A. */
    /** CT ratio error: I multiplied by (1 + ct_gain). */
    double ct_gain;
    /**
     * CT phase lead at the fundamental, radians, modelled as a time advance
     * (lead/omega; order h leads by h*lead), which is also what the engine's
     * i_phase_mdeg compensation assumes. With ct_lead_i_lo_A > 0 the lead is
     * current-dependent instead: log-interpolated on the segment's fundamental
     * current between ct_lead_lo_rad at ct_lead_i_lo_A and ct_lead_hi_rad at
     * ct_lead_i_hi_A, held constant outside.
     */
    double ct_lead_rad;
    double ct_lead_i_lo_A;
    double ct_lead_i_hi_A;
    double ct_lead_lo_rad;
    double ct_lead_hi_rad;
    /** V->I crosstalk: i += xt_A_per_V * v (in phase with v, signal part of v only). */
    double xt_A_per_V;
    /** Sequential sampling: I is sampled this long after U, seconds; >= 0. */
    double skew_s;
    /** Drop drop_block samples every drop_every samples (0 = never). */
    uint64_t drop_every;
    uint32_t drop_block;
    /** Deliver the last dup_block samples a second time every dup_every samples (0 = never). */
    uint64_t dup_every;
    uint32_t dup_block;
    /** PRNG seed for the noise. */
    uint64_t seed;
};

/** mtrd_synth_read() flags. */
#define MTRD_SYNTH_READ_GAP (1u << 0) /**< Samples were dropped just before x[0]. */
#define MTRD_SYNTH_READ_DUP (1u << 1) /**< x[0..got) repeats samples already delivered. */

/** Precomputed coefficients of one waveform: a_h cos(h theta) - b_h sin(h theta). */
struct mtrd_synth_coef {
    double dc;
    uint8_t count;
    uint8_t order[MTRD_SYNTH_MAX_TERMS];
    double a[MTRD_SYNTH_MAX_TERMS];
    double b[MTRD_SYNTH_MAX_TERMS];
};

/** Generator state. Plain data; fields are private, use the functions. */
struct mtrd_synth_gen {
    struct mtrd_synth_frontend fe; /**< May be changed between reads (takes effect at once). */
    double fs_Hz;
    uint8_t phase_count;
    uint8_t max_order;
    const struct mtrd_synth_model *model; /* NULL in online mode */
    size_t seg_index;
    uint64_t seg_left; /* samples left in the segment (UINT64_MAX online) */
    uint64_t k;        /* sample index within the segment */
    double theta_seg;  /* theta at the segment's first sample */
    double omega;      /* rad/s */
    double lead_rad;   /* CT lead for this segment */
    struct mtrd_synth_coef u[MTRD_SYNTH_MAX_PHASES];
    struct mtrd_synth_coef i[MTRD_SYNTH_MAX_PHASES];
    double i1_rms[MTRD_SYNTH_MAX_PHASES];
    uint64_t n_true;     /* true-clock samples elapsed (delivered + dropped) */
    uint64_t n_out;      /* samples delivered */
    uint64_t dropped;    /* samples dropped so far */
    uint64_t duplicated; /* samples delivered twice so far */
    uint64_t s[4];       /* xoshiro256** state */
    bool has_spare;
    double spare;
    bool is_gap_pending;
    uint64_t next_drop; /* true-clock index of the next drop (0 = not yet set) */
    uint64_t next_dup;  /* output index after which the next duplicate comes */
    uint32_t dup_left;  /* samples of a duplicate still to deliver */
    uint32_t dup_pos;
    uint32_t hist_count; /* valid samples in hist */
    uint32_t hist_head;
    float hist[MTRD_SYNTH_MAX_DUP][2 * MTRD_SYNTH_MAX_PHASES];
    bool is_eof;
};

/** True statistics of one phase over a segment (whole cycles, METROLOGY-TESTS.md 3.1). */
struct mtrd_synth_stats {
    double u_rms_V, i_rms_A;
    double u1_rms_V, i1_rms_A; /**< Fundamental components. */
    double p_W;                /**< Active power, Vdc*Idc + sum Vh Ih cos(phi_h). */
    double q1_var;             /**< Fundamental reactive V1 I1 sin(phi_1), + inductive. */
    double qb_var;             /**< Budeanu sum Vh Ih sin(phi_h). */
    double s_VA;               /**< Urms * Irms. */
    double pf_ratio;           /**< P / S (0 when S = 0). */
    double phi1_deg;           /**< Fundamental angle, current lagging, -180..180. */
    double u_thd_pct, i_thd_pct;
};

/** Exact energy of one phase over an interval. */
struct mtrd_synth_energy {
    double p_Wh;  /**< Integral of v*i. */
    double q1_Wh; /**< Fundamental reactive energy (h = k = 1, i shifted +90 deg), varh. */
    double qb_Wh; /**< Budeanu/total reactive (every i term shifted +90 deg), varh. */
    double s_VAh; /**< Sum over segments of Urms*Irms*duration, VAh. */
    double t_s;   /**< Duration, s. */
};

/**
 * True sample rate of a clock that is off by ppm.
 * @param[in] fs_nom_Hz  Nominal rate, Hz.
 * @param[in] ppm        Clock error, parts per million (+: faster).
 * @return fs_nom_Hz * (1 + ppm / 1e6).
 */
double mtrd_synth_fs_true(double fs_nom_Hz, double ppm);

/**
 * One LSB of an N-bit converter of +-fs.
 * @param[in] fs    Peak full scale.
 * @param[in] bits  2..32.
 * @return fs / 2^(bits-1).
 */
double mtrd_synth_lsb(double fs, uint8_t bits);

/**
 * Fill a waveform with one sinusoid.
 * @param[out] w          Waveform.
 * @param[in]  rms        RMS, V or A.
 * @param[in]  phase_rad  Phase of the fundamental, radians.
 */
void mtrd_synth_wave_sine(struct mtrd_synth_wave *w, double rms, double phase_rad);

/**
 * Append a term to a waveform.
 * @retval MTR_OK      Added.
 * @retval MTR_ENOSPC  Already MTRD_SYNTH_MAX_TERMS terms.
 * @retval MTR_EINVAL  NULL, order 0 or above MTRD_SYNTH_MAX_ORDER, negative rms.
 */
MTR_NODISCARD enum mtr_err
mtrd_synth_wave_add(struct mtrd_synth_wave *w, uint8_t order, double rms, double phase_rad);

/**
 * Start a generator that plays a model.
 * @param[out] g      Generator.
 * @param[in]  model  Borrowed until the last read.
 * @param[in]  fe     Front end, copied; NULL for ideal.
 * @retval MTR_OK      Ready.
 * @retval MTR_EINVAL  NULL, fs <= 0, no segment, a segment of 0 samples or f <= 0, a NULL
 *                     signal, phase counts that differ, a dup_block above MTRD_SYNTH_MAX_DUP,
 *                     adc_bits 1 or above 32.
 * Context: any; no allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_init(struct mtrd_synth_gen *g,
                                           const struct mtrd_synth_model *model,
                                           const struct mtrd_synth_frontend *fe);

/**
 * Start a generator without a model ("online" mode, for scenarios): the caller
 * sets the signal with mtrd_synth_set() before the first read and whenever it
 * changes.
 * @param[out] g            Generator.
 * @param[in]  fs_Hz        True sample rate, Hz; > 0.
 * @param[in]  phase_count  1..MTRD_SYNTH_MAX_PHASES.
 * @param[in]  fe           Front end, copied; NULL for ideal.
 * @retval MTR_OK / MTR_EINVAL as mtrd_synth_init().
 */
MTR_NODISCARD enum mtr_err mtrd_synth_init_online(struct mtrd_synth_gen *g,
                                                  double fs_Hz,
                                                  uint8_t phase_count,
                                                  const struct mtrd_synth_frontend *fe);

/**
 * Change the signal at the next sample (online mode), phase-continuously.
 * @param[in,out] g    Generator from mtrd_synth_init_online().
 * @param[in]     seg  Signal, frequency and scales (sample_count ignored); copied.
 * @retval MTR_OK      Set.
 * @retval MTR_EINVAL  NULL, f <= 0, a phase count that differs, or a model generator.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_set(struct mtrd_synth_gen *g,
                                          const struct mtrd_synth_seg *seg);

/**
 * Generate samples. Stops early at a drop or duplicate boundary so that flags
 * describe the whole chunk.
 * @param[in,out] g            Generator.
 * @param[out]    x            [max][2*phases] floats, U1..Un then I1..In (V, A).
 * @param[in]     max          Capacity of x in samples per channel.
 * @param[out]    got          Samples written.
 * @param[out]    flags        MTRD_SYNTH_READ_* for this chunk (may be NULL).
 * @retval MTR_OK      *got >= 1.
 * @retval MTR_EOF     The model is finished (*got = 0).
 * @retval MTR_EINVAL  NULL argument or max 0, or an online generator never set.
 * Context: any; no allocation; about 0.1 us per sample and phase.
 */
MTR_NODISCARD enum mtr_err
mtrd_synth_read(struct mtrd_synth_gen *g, float *x, size_t max, size_t *got, uint32_t *flags);

/**
 * Total true-clock samples of a model.
 * @param[in] model  Model.
 * @return Sum of the segments' sample counts.
 */
uint64_t mtrd_synth_model_samples(const struct mtrd_synth_model *model);

/**
 * The unquantised, unimpaired model value at one instant (for brute-force checks).
 * @param[in]  model  Model.
 * @param[in]  phase  0-based phase.
 * @param[in]  t_s    Time from sample 0, seconds, within the model.
 * @param[out] u_V    Voltage.
 * @param[out] i_A    Current.
 * @retval MTR_OK / MTR_EINVAL (NULL, phase or t out of range).
 */
MTR_NODISCARD enum mtr_err mtrd_synth_model_eval(
    const struct mtrd_synth_model *model, uint8_t phase, double t_s, double *u_V, double *i_A);

/**
 * True statistics of one phase of a segment.
 * @param[in]  seg    Segment.
 * @param[in]  phase  0-based phase.
 * @param[out] out    Statistics.
 * @retval MTR_OK / MTR_EINVAL.
 * Spec: METROLOGY-TESTS.md 3.1.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_truth_stats(const struct mtrd_synth_seg *seg,
                                                  uint8_t phase,
                                                  struct mtrd_synth_stats *out);

/**
 * Exact energy of one phase over true-clock samples [n0, n1), i.e. over the time
 * [n0/fs, n1/fs], by the closed form of METROLOGY-TESTS.md 3.1 summed over the
 * segments (whole or partial).
 * @param[in]  model  Model.
 * @param[in]  phase  0-based phase.
 * @param[in]  n0     First sample.
 * @param[in]  n1     End sample (> n0, <= model length).
 * @param[out] out    Energies.
 * @retval MTR_OK / MTR_EINVAL.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_truth_energy(const struct mtrd_synth_model *model,
                                                   uint8_t phase,
                                                   uint64_t n0,
                                                   uint64_t n1,
                                                   struct mtrd_synth_energy *out);

/**
 * Fundamental phase at the start of each segment, as generator and truth both
 * compute it (wrapped to [0, 2 pi)).
 * @param[in] model  Model.
 * @param[in] index  Segment index (seg_count gives the phase at the end).
 * @return radians.
 */
double mtrd_synth_seg_theta(const struct mtrd_synth_model *model, size_t index);

/** Household scenario parameters (source_synth.c). */
struct mtrd_synth_household {
    double start_tod_s; /**< Time of day of sample 0, seconds after local midnight, 0..86400. */
    uint64_t seed;      /**< Scenario and noise seed. */
    double fs_Hz;       /**< Sample rate, Hz. */
};

/** State of the household scenario. */
struct mtrd_synth_hh {
    struct mtrd_synth_household par;
    struct mtrd_synth_gen gen;
    struct mtrd_synth_signal sig;
    uint64_t n;           /* samples delivered */
    uint64_t next_update; /* sample index of the next schedule evaluation */
    double f_Hz;          /* current frequency (slow random walk) */
    uint64_t rng;         /* splitmix64 state for the frequency walk */
};

/**
 * Start the household scenario: 3 phases 230 V 50 Hz, appliances on a schedule.
 * @param[out] hh   State.
 * @param[in]  par  Parameters, copied.
 * @retval MTR_OK / MTR_EINVAL.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_hh_init(struct mtrd_synth_hh *hh,
                                              const struct mtrd_synth_household *par);

/**
 * Generate household samples ([max][6] floats).
 * @retval MTR_OK      *got >= 1 (never ends).
 * @retval MTR_EINVAL  NULL argument or max 0.
 */
MTR_NODISCARD enum mtr_err
mtrd_synth_hh_read(struct mtrd_synth_hh *hh, float *x, size_t max, size_t *got);

/**
 * The household load schedule: total active power of the appliances (PV negative)
 * per phase at a time of day, as the scenario sets it (before voltage effects).
 * @param[in]  seed   Seed.
 * @param[in]  t_s    Seconds since the scenario's local midnight of day 0.
 * @param[out] p_W    Per-phase nominal active power, W.
 */
void mtrd_synth_hh_load(uint64_t seed, double t_s, double p_W[MTRD_SYNTH_MAX_PHASES]);

/* ---- The household model in parts (source_synth.c), for the frame mode (synth_frames.c) ---- */

/** Appliance characters of the household. */
enum mtrd_synth_hh_kind {
    MTRD_SYNTH_HH_RES = 0, /**< Resistive, PF 1. */
    MTRD_SYNTH_HH_MOTOR,   /**< Lagging PF, mild 3rd/5th. */
    MTRD_SYNTH_HH_SMPS,    /**< Rectifier: odd harmonics, slightly leading displacement. */
    MTRD_SYNTH_HH_EV,      /**< PFC charger, PF 0.99, small 5th/7th. */
    MTRD_SYNTH_HH_PV,      /**< Inverter export, phase opposition, small 5th/7th. */
};

/**
 * Most loads switched on at one instant: standby 3, fridge 1, heat pump 3, kettle 5
 * (the five kettle windows never overlap in practice, but the bound does not rely on it),
 * oven 1, EV 3, TV 1, LED 1, PV 3 = 21.
 */
#define MTRD_SYNTH_HH_MAX_LOADS 24
/** Current orders the household uses: odd orders 1, 3, ..., 15 (index o is order 2o+1). */
#define MTRD_SYNTH_HH_ORDERS    8

/** One load switched on. */
struct mtrd_synth_hh_load {
    enum mtrd_synth_hh_kind kind;
    uint8_t phase;   /**< 0-based phase, 0..2. */
    double p_W;      /**< Nominal active power, W; negative for PV (export). */
    double pf_ratio; /**< Displacement power factor, 0 < pf <= 1. */
};

/** The loads switched on at one instant, in the order the scenario adds them. */
struct mtrd_synth_hh_loads {
    uint8_t count; /**< 0..MTRD_SYNTH_HH_MAX_LOADS. */
    struct mtrd_synth_hh_load ld[MTRD_SYNTH_HH_MAX_LOADS];
};

/** Current of one phase as RMS phasors per odd order, A (re + j im, angle of the cosine). */
struct mtrd_synth_hh_phasors {
    double re[MTRD_SYNTH_HH_ORDERS]; /**< [o]: order 2o+1. */
    double im[MTRD_SYNTH_HH_ORDERS];
    double p_W; /**< Sum of the loads' nominal power, W. */
};

/**
 * The household schedule: which loads are on at an instant, and their power.
 * @param[in]  seed  Scenario seed.
 * @param[in]  t_s   Seconds since the scenario's local midnight of day 0 (< 0 is taken as 0).
 * @param[out] out   Loads, in the order the scenario adds them.
 * Context: any; no allocation; about 0.1 us.
 */
void mtrd_synth_hh_schedule(uint64_t seed, double t_s, struct mtrd_synth_hh_loads *out);

/**
 * Add the current phasors of one load to the phase accumulators (linear in |p_W|).
 * @param[in,out] acc  Accumulators of phases 1..3 (zeroed by the caller first).
 * @param[in]     ld   Load from mtrd_synth_hh_schedule().
 */
void mtrd_synth_hh_add(struct mtrd_synth_hh_phasors acc[MTRD_SYNTH_MAX_PHASES],
                       const struct mtrd_synth_hh_load *ld);

/**
 * Fundamental voltage of a phase, sagging with its in-phase fundamental current
 * through the 0.25 ohm source impedance (232 V at no load).
 * @param[in] acc    The phase's current.
 * @param[in] phase  0-based phase, 0..2.
 * @return U1, V RMS.
 */
double mtrd_synth_hh_u1(const struct mtrd_synth_hh_phasors *acc, uint8_t phase);

/**
 * The household voltage waveform of a phase: U1 at the phase angle, 1 % 3rd and 2 % 5th.
 * @param[out] u      Waveform.
 * @param[in]  phase  0-based phase, 0..2.
 * @param[in]  u1_V   Fundamental, V RMS (mtrd_synth_hh_u1()).
 * @retval MTR_OK / MTR_EINVAL (NULL, phase > 2).
 */
MTR_NODISCARD enum mtr_err
mtrd_synth_hh_voltage(struct mtrd_synth_wave *u, uint8_t phase, double u1_V);

/**
 * Start state of the frequency random walk of a seed.
 * @param[in] seed  Scenario seed.
 * @return Walk state for mtrd_synth_hh_f_step().
 */
uint64_t mtrd_synth_hh_f_rng(uint64_t seed);

/**
 * One second of the frequency random walk (2 mHz steps, bounded to +-50 mHz).
 * @param[in]     f_Hz      Frequency of the previous second, Hz (f_nom_Hz at the start).
 * @param[in]     f_nom_Hz  Nominal frequency, Hz.
 * @param[in,out] rng       Walk state.
 * @return The frequency of the next second, Hz.
 */
double mtrd_synth_hh_f_step(double f_Hz, double f_nom_Hz, uint64_t *rng);

#endif /* METERD_SYNTH_H */
