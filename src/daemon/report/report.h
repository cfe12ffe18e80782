/*
 * Replay report. Aggregates the snapshots of a run into one snapshot (RMS values as
 * the RMS of the frames' values weighted by duration, as IEC 61000-4-30 aggregates;
 * P, Q and S as the mean over the measured time; THD over synchronised frames;
 * frequency as the duration-weighted mean of synchronised frames; the registers as
 * they stand after the run) and prints it through the catalogue, so the report's
 * names, labels, units and OBIS codes are those of the Modbus map (docs/modbus-native.md).
 */
#ifndef METERD_REPORT_H
#define METERD_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "meterd/snapshot.h"

/** Duration-weighted sums of one phase, over the run. */
struct mtrd_report_phase {
    double u2_s;    /**< sum of Urms^2 * duration, V^2 s */
    double i2_s;    /**< A^2 s */
    double p_s;     /**< W s (J) */
    double q1_s;    /**< var s */
    double qb_s;    /**< var s */
    double thd_u_s; /**< % s, synchronised frames only */
    double thd_i_s; /**< % s, synchronised frames only */
};

/** Aggregate of a run. Start with mtrd_report_init(). */
struct mtrd_report {
    uint64_t frames;
    uint64_t samples;
    double dur_s;         /**< measured time, s */
    double sync_s;        /**< time in synchronised, complete frames, s */
    double f_s;           /**< sum of f * duration over synchronised frames, Hz s */
    double f_dur_s;       /**< duration of those frames, s */
    float f_min_Hz;       /**< lowest frame frequency; 0 before the first */
    float f_max_Hz;       /**< highest frame frequency */
    uint32_t gaps;        /**< frames flagged GAP */
    uint32_t unsynced;    /**< frames without frequency */
    uint8_t missing_seen; /**< phases seen missing in any frame */
    double u_ll2_s[3];    /**< line-to-line U^2 * duration, V^2 s */
    double i_n2_s;        /**< neutral current^2 * duration, A^2 s */
    struct mtrd_report_phase ph[MTR_CFG_MAX_PHASES];
    struct mtr_snapshot last;     /**< the latest snapshot (angles, sequence, time, f10) */
    struct mtr_reg_set reg_start; /**< registers before the run */
};

/** Start a report; start holds the registers before the run. */
void mtrd_report_init(struct mtrd_report *r, const struct mtr_reg_set *start);

/** Add the snapshot published after a frame. */
void mtrd_report_add(struct mtrd_report *r, const struct mtr_snapshot *s);

/**
 * The run as one snapshot: aggregated quantities (see the file comment), the latest
 * registers. With no frame, only the registers (from init) are meaningful.
 */
void mtrd_report_snapshot(const struct mtrd_report *r, struct mtr_snapshot *out);

/** Print as text: one line per catalogue entry (label, value, unit, OBIS, name). */
void mtrd_report_print_text(const struct mtrd_report *r, const char *source_desc, FILE *out);

/**
 * Print as one JSON object: run facts, "values" and "units" keyed by catalogue name,
 * and "run", the energy each register gained during the run. With no frame (a
 * --show-registers), "values" holds the registers only.
 */
void mtrd_report_print_json(const struct mtrd_report *r, const char *source_desc, FILE *out);

#endif /* METERD_REPORT_H */
