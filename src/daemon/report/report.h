/*
 * Replay report: aggregates frames over a run (RMS of the frames' RMS values
 * weighted by duration, as IEC 61000-4-30 aggregates; P, Q, S from the summed
 * frame energies; frequency as the duration-weighted mean of synchronised frames)
 * and prints it as text or JSON.
 */
#ifndef METERD_REPORT_H
#define METERD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "meterd/metrology.h"
#include "meterd/reg.h"

struct mtrd_report_phase {
    double u2_s; /* sum of Urms^2 * duration, V^2 s */
    double i2_s; /* A^2 s */
    double p_s;  /* W s (J) */
    double q1_s; /* var s */
    double qb_s;
    double thd_u_s; /* % s */
    double thd_i_s;
};

/** Aggregate of a run. Zero-initialise with mtrd_report_init(). */
struct mtrd_report {
    uint64_t frames;
    uint64_t samples;
    double dur_s;   /* measured time, s */
    double sync_s;  /* time in synchronised, complete frames (THD averages), s */
    double f_s;     /* sum of f * duration over synchronised frames, Hz s */
    double f_dur_s; /* duration of synchronised frames, s */
    float f_min_Hz, f_max_Hz;
    float f10_Hz;                 /* latest IEC 10-s frequency, 0 if none */
    uint32_t gaps;                /* frames flagged GAP */
    uint32_t unsynced;            /* frames without frequency */
    uint8_t missing_seen;         /* phases seen missing in any frame */
    enum mtr_metro_seq seq_order; /* latest */
    uint8_t phase_count;
    float u_ll_last_V[3];
    struct mtrd_report_phase ph[MTR_CFG_MAX_PHASES];
    struct mtr_reg_set reg_start; /* registers before the run */
    struct mtr_reg_set reg_end;   /* registers after the run */
};

void mtrd_report_init(struct mtrd_report *r, const struct mtr_reg_set *start);
void mtrd_report_add(struct mtrd_report *r,
                     const struct mtr_metro_frame *f,
                     const struct mtr_reg_set *regs);
/** Print; source_desc is one line about the input. */
void mtrd_report_print_text(const struct mtrd_report *r, const char *source_desc, FILE *out);
/** Print as one JSON object (cJSON). */
void mtrd_report_print_json(const struct mtrd_report *r, const char *source_desc, FILE *out);

#endif /* METERD_REPORT_H */
