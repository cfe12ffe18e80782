/*
 * Frame mode of the synthetic source: measurement frames straight from the
 * household model, without samples (docs/synthetic-source.md, "Frame mode").
 *
 * The sample mode (source_synth.c) spends minutes per day of meter time in the
 * waveform generator and the metrology at 8 kS/s. The frame mode evaluates the
 * same household model (mtrd_synth_hh_schedule(), mtrd_synth_hh_add(),
 * mtrd_synth_hh_u1(), mtrd_synth_hh_voltage(), mtrd_synth_hh_f_step()) in the
 * phasor domain once per schedule step (1 s of meter time, aligned to t0 as in
 * the sample mode) and integrates it exactly over each frame, so a month of
 * 1-s frames takes a fraction of a second and the energies are analytic:
 *
 * - Within a step the model is a constant set of phasors (the sample mode's
 *   signal for that second), so the step's mean P, Q1, QB, S, U^2, I^2 are
 *   exact closed forms (Re/Im of U conj(I), sums of |phasor|^2). The double-
 *   frequency ripple of v*i is not modelled: it integrates to zero over whole
 *   cycles, which is what the metrology's cycle-synchronous frames see.
 * - A frame's energy is the sum over the steps it overlaps of the step's power
 *   times the overlap (integer microseconds), i.e. the exact integral of the
 *   piecewise-constant power; an appliance switching inside a frame is a step
 *   boundary inside the frame. The frame's mean P is E / duration.
 * - The truth function integrates the same function of time, so the sum of the
 *   frames equals the truth over any span of whole frames to double rounding.
 *
 * Frame time: a frame is N = round(frame_s * MTRD_SYNTH_FRAMES_FS_HZ) samples
 * of a nominal 8 kS/s clock (125 us each), so every boundary is a whole number
 * of microseconds: frame j covers [t0 + j*N*125 us, t0 + (j+1)*N*125 us).
 *
 * Edge code (src/daemon/sources): libm and one allocation at open; no IO.
 */
#ifndef METERD_SYNTH_FRAMES_H
#define METERD_SYNTH_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/metrology.h"
#include "synth.h"

/** Nominal sample rate the frames are counted in (sample_start, sample_count), S/s. */
#define MTRD_SYNTH_FRAMES_FS_HZ     8000
/** One nominal sample, us (1e6 / MTRD_SYNTH_FRAMES_FS_HZ, exact). */
#define MTRD_SYNTH_FRAMES_SAMPLE_us 125
/** Schedule step of the household model, us (source_synth.c re-evaluates once a second). */
#define MTRD_SYNTH_FRAMES_STEP_us   1000000
/** Default frame length, s: 10 cycles at 50 Hz (12 at 60 Hz). */
#define MTRD_SYNTH_FRAMES_DEF_S     0.2
/** Shortest frame, s (one cycle at 50 Hz). */
#define MTRD_SYNTH_FRAMES_MIN_S     0.02
/** Longest frame, s (MTR_APP_MAX_FRAME_us of the meter application). */
#define MTRD_SYNTH_FRAMES_MAX_S     60.0

struct mtrd_synth_frames; /* opaque */

/** What to generate. Zero-initialise, then set what applies. */
struct mtrd_synth_frames_spec {
    /** "household" (default for NULL or "") or "sine" (230 V, 5 A lagging 30 deg). */
    const char *scenario;
    /** Scenario seed (appliance schedule, clouds, frequency walk). */
    uint64_t seed;
    /** Nominal frequency, Hz: 50 or 60 (0 = 50). The household walks +-50 mHz around it. */
    uint16_t f_nom_Hz;
    /**
     * Frame length, s; 0 = MTRD_SYNTH_FRAMES_DEF_S; else MTRD_SYNTH_FRAMES_MIN_S..
     * MTRD_SYNTH_FRAMES_MAX_S. Rounded to whole 125-us samples (frame duration_s says the
     * value used).
     */
    double frame_s;
    /** UTC start of the first frame, us since the epoch (the first schedule step starts here). */
    int64_t t0_us;
    /** Local time = UTC + tz_min minutes, for the household's day/night and PV schedule; +-1440. */
    int16_t tz_min;
    /** Phases: 1 or 3 (0 = 3). Household with 1: phase L1 of the house only. */
    uint8_t phase_count;
    /** Which reactive power feeds e_q_varh (the metrology's q_def); default fundamental Q1. */
    enum mtr_metro_qdef q_def;
};

/** Energies of one register channel over a span, as the registers of reg.c split them. */
struct mtrd_synth_frames_reg {
    double e_imp_Wh;  /**< +A, Wh, >= 0. */
    double e_exp_Wh;  /**< -A, Wh, >= 0. */
    double r_q1_varh; /**< Reactive in QI (+P, +Q), varh, >= 0. */
    double r_q2_varh; /**< QII (-P, +Q). */
    double r_q3_varh; /**< QIII (-P, -Q). */
    double r_q4_varh; /**< QIV (+P, -Q). */
    double s_imp_VAh; /**< Apparent energy while importing, VAh. */
    double s_exp_VAh; /**< Apparent energy while exporting, VAh. */
};

/** Exact energies over a span, per phase and total. */
struct mtrd_synth_frames_energy {
    uint8_t phase_count;                                    /**< Phases filled in ph[]. */
    struct mtrd_synth_frames_reg ph[MTRD_SYNTH_MAX_PHASES]; /**< L1..Ln. */
    /** Total, classified by the sign of the sum of the phases (reg.c's "saldierend" total). */
    struct mtrd_synth_frames_reg total;
    double e_abs_Wh; /**< |A| (15.8.0): sum over phases of |E| of each classified piece. */
    double net_Wh;   /**< Net active energy, sum of the phases, signed (same in both modes). */
    double t_s;      /**< Span, s. */
};

/**
 * Start a frame generator.
 * @param[in]  spec     What to generate; copied.
 * @param[out] out      Generator, released with mtrd_synth_frames_close(); untouched on failure.
 * @param[out] err      Message on failure (may be NULL).
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval MTR_OK      Ready; the first frame starts at spec->t0_us.
 * @retval MTR_EINVAL  NULL, unknown scenario, f_nom_Hz not 50/60, frame_s outside
 *                     0.02..60 s, phase_count not 1 or 3, tz_min beyond +-1440.
 * @retval MTR_ENOMEM  Out of memory.
 * Context: edge; one allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_frames_open(const struct mtrd_synth_frames_spec *spec,
                                                  struct mtrd_synth_frames **out,
                                                  char *err,
                                                  size_t err_cap);

/**
 * Produce the next frame, covering [*t_start_us, *t_start_us + duration).
 *
 * Filled as the metrology fills them: seq, sample_start, sample_count (at
 * MTRD_SYNTH_FRAMES_FS_HZ), duration_s, f_Hz (time-weighted mean), f10_Hz (mean of the
 * latest whole 10-s interval counted from t0; 0 before the first), flags (only
 * MTR_METRO_FLAG_F10_NEW, in the frame that completes a 10-s interval), phase_count,
 * missing_mask (0), seq_order (123 with 3 phases), per phase Urms, Irms (RMS over the frame),
 * P, Q1, QB, S, PF, phi, u_angle, THD, the harmonic groups (odd orders to 15), the
 * energies e_p_Wh, e_q_varh (per q_def), e_s_VAh (exact integrals; no no-load threshold),
 * u_ll_V, i_n_A and the totals. S of a phase is the frame's mean apparent power
 * e_s / duration (equal to Urms*Irms unless a load switched inside the frame), PF = P / S.
 * @param[in,out] g           Generator.
 * @param[out]    fr          Frame (every field written).
 * @param[out]    t_start_us  UTC start of the frame, us (may be NULL).
 * @retval MTR_OK      *fr holds the next frame (the source is endless).
 * @retval MTR_EINVAL  NULL g or fr.
 * Context: edge; no allocation; about 0.1-0.3 us per frame plus 0.2 us per schedule step.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_frames_next(struct mtrd_synth_frames *g,
                                                  struct mtr_metro_frame *fr,
                                                  int64_t *t_start_us);

/**
 * Exact energies over [t_a_us, t_b_us), classified the way the registers classify
 * frames (reg.c): each frame's part inside the span goes to import or export by the
 * sign of the whole frame's net active energy per phase (and, for the total, of the
 * sum of the phases), reactive to the quadrant of the whole frame's (P, Q) signs, and
 * apparent by its P sign. Over a span of whole frames this is exactly what
 * mtr_reg_apply_frame() registers from mtrd_synth_frames_next()'s frames. The span
 * need not be whole frames; it is independent of the generator's position.
 * @param[in]  g       Generator (only its spec is used).
 * @param[in]  t_a_us  Start, UTC us; >= t0_us.
 * @param[in]  t_b_us  End, UTC us; > t_a_us.
 * @param[out] out     Energies.
 * @retval MTR_OK      Done.
 * @retval MTR_EINVAL  NULL argument, t_a_us < t0_us, t_b_us <= t_a_us.
 * Context: edge; no allocation; about the cost of generating the frames of the span.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_frames_truth(const struct mtrd_synth_frames *g,
                                                   int64_t t_a_us,
                                                   int64_t t_b_us,
                                                   struct mtrd_synth_frames_energy *out);

/**
 * Exact energies over [t_a_us, t_b_us) by the instantaneous sign: every schedule step
 * (1 s, power constant within it) is classified by its own P and Q signs, whatever the
 * frames. Differs from mtrd_synth_frames_truth() only where a phase (or the total)
 * changes sign inside a frame; net_Wh is the same.
 * @param[in]  g       Generator.
 * @param[in]  t_a_us  Start, UTC us; >= t0_us.
 * @param[in]  t_b_us  End, UTC us; > t_a_us.
 * @param[out] out     Energies.
 * @retval MTR_OK / MTR_EINVAL as mtrd_synth_frames_truth().
 * Context: edge; no allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_synth_frames_truth_inst(const struct mtrd_synth_frames *g,
                                                        int64_t t_a_us,
                                                        int64_t t_b_us,
                                                        struct mtrd_synth_frames_energy *out);

/**
 * Frame length in use.
 * @param[in] g  Generator.
 * @return Frame length, us (a multiple of 125); 0 for NULL.
 */
int64_t mtrd_synth_frames_len_us(const struct mtrd_synth_frames *g);

/**
 * Release a generator.
 * @param[in] g  Generator (NULL is a no-op).
 */
void mtrd_synth_frames_close(struct mtrd_synth_frames *g);

#endif /* METERD_SYNTH_FRAMES_H */
