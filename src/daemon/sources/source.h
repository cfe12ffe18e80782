/*
 * Sample sources: where the meter's samples come from (Linux edge).
 *
 * Every source delivers float32 samples interleaved as [sample][2*phase_count]:
 * U1..Un then I1..In, in volts and amperes at the meter's input terminals (for
 * recordings stored as primary values, the VT/CT ratios are 1). Meter time comes
 * from the sample count (DESIGN.md): a source says its rate and, when it knows
 * it, the wall-clock time of its first sample.
 *
 * Errors name the file and the line or byte offset in src->err, and are
 * returned as enum mtr_err; a source never exits the process.
 */
#ifndef METERD_SOURCE_H
#define METERD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/err.h"

/** Longest error message a source keeps, bytes including NUL. */
#define MTRD_SOURCE_ERR_CAP    512
/** Longest channel name in a mapping, bytes including NUL. */
#define MTRD_SOURCE_NAME_CAP   64
/** Phases a source can feed. */
#define MTRD_SOURCE_MAX_PHASES 3

enum mtrd_source_type {
    MTRD_SOURCE_SYNTH = 0, /**< Synthetic generator (default: household scenario). */
    MTRD_SOURCE_COMTRADE,  /**< IEEE C37.111 .cfg + .dat */
    MTRD_SOURCE_MAT,       /**< MATLAB v5 .mat (libmatio) */
    MTRD_SOURCE_CSV,       /**< CSV with a header row */
    MTRD_SOURCE_RAW,       /**< Raw interleaved stream (stdin or a file) */
};

/** Raw stream sample encodings (little-endian). */
enum mtrd_raw_fmt {
    MTRD_RAW_S16 = 0,
    MTRD_RAW_S32 = 1,
    MTRD_RAW_F32 = 2,
};

/** What to open. Zero-initialise, then set what applies. */
struct mtrd_source_spec {
    enum mtrd_source_type type;
    /** File path (COMTRADE: the .cfg; RAW: "-" or empty for stdin). */
    const char *path;
    /** Phases wanted: 1..3. 0 = as the source/mapping implies. */
    uint8_t phase_count;
    /**
     * Channel mapping by name, per phase: u_name[p] and i_name[p] select the
     * recording's channel (COMTRADE channel id, MAT variable, CSV column).
     * Empty strings: automatic (see each reader).
     */
    char u_name[MTRD_SOURCE_MAX_PHASES][MTRD_SOURCE_NAME_CAP];
    char i_name[MTRD_SOURCE_MAX_PHASES][MTRD_SOURCE_NAME_CAP];
    /** COMTRADE: deliver secondary values (divide by the cfg's primary/secondary ratio). */
    bool is_secondary;
    /** RAW: sample rate, Hz (required). Also overrides a file's rate when > 0. */
    double fs_Hz;
    /** RAW: encoding. */
    enum mtrd_raw_fmt raw_fmt;
    /** RAW: volts per count for U channels and amperes per count for I channels (F32: 1). */
    double raw_u_scale;
    double raw_i_scale;
    /** SYNTH: scenario name ("household", "sine"); seed. */
    const char *synth_scenario;
    uint64_t synth_seed;
};

/** What a source says about itself once open. */
struct mtrd_source_info {
    double fs_Hz;          /**< Sample rate, Hz. */
    uint8_t phase_count;   /**< Channels delivered = 2 * phase_count. */
    uint64_t sample_count; /**< Samples per channel in total; 0 when unknown (stream). */
    int64_t t0_us;         /**< Time of the first sample, us since 1970-01-01 UTC; 0 unknown. */
    uint16_t f_nom_Hz;     /**< Nominal line frequency if the file says it (COMTRADE lf); else 0. */
    char u_name[MTRD_SOURCE_MAX_PHASES][MTRD_SOURCE_NAME_CAP]; /**< Channels actually used. */
    char i_name[MTRD_SOURCE_MAX_PHASES][MTRD_SOURCE_NAME_CAP];
    char desc[256]; /**< One line for the console: format, file, rate, length. */
};

struct mtrd_source;

/** Operations of an open source. */
struct mtrd_source_ops {
    /**
     * Read up to max_samples samples per channel into x ([max_samples][2*phase_count]).
     * @retval MTR_OK      *got >= 1 samples written.
     * @retval MTR_EOF     No more samples (*got = 0).
     * @retval MTR_EPROTO  Malformed or non-finite data; src->err names file and offset/line.
     * @retval MTR_EIO     Read error; src->err says which.
     */
    enum mtr_err (*read)(struct mtrd_source *src, float *x, size_t max_samples, size_t *got);
    /** Release everything; src is freed. */
    void (*close)(struct mtrd_source *src);
};

/** An open source. Readers embed it as the first member of their own struct. */
struct mtrd_source {
    const struct mtrd_source_ops *ops;
    struct mtrd_source_info info;
    char err[MTRD_SOURCE_ERR_CAP];
};

/**
 * Open a source.
 * @param[in]  spec     What to open.
 * @param[out] out      The source, on MTR_OK; close with mtrd_source_close().
 * @param[out] err      On failure, a message naming the file and line or byte offset.
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval MTR_OK       Open.
 * @retval MTR_ENOENT   File missing (message names it).
 * @retval MTR_EPROTO   Malformed header/configuration (message names file and line/offset).
 * @retval MTR_ENOTSUP  Valid but unsupported variant.
 * @retval MTR_EINVAL   Bad spec (unknown channel name, phase count, missing rate).
 * @retval MTR_ENOMEM   Out of memory.
 * @retval MTR_EIO      Read error.
 */
enum mtr_err mtrd_source_open(const struct mtrd_source_spec *spec,
                              struct mtrd_source **out,
                              char *err,
                              size_t err_cap);

/** Read; see mtrd_source_ops.read. */
enum mtr_err mtrd_source_read(struct mtrd_source *src, float *x, size_t max_samples, size_t *got);

/** Close and free; NULL is allowed. */
void mtrd_source_close(struct mtrd_source *src);

/**
 * Per-format openers, called by mtrd_source_open(): arguments, results and every error
 * code as documented there; each reader's file comment says how it maps channels.
 */
enum mtr_err mtrd_comtrade_open(const struct mtrd_source_spec *spec,
                                struct mtrd_source **out,
                                char *err,
                                size_t err_cap);
enum mtr_err mtrd_mat_open(const struct mtrd_source_spec *spec,
                           struct mtrd_source **out,
                           char *err,
                           size_t err_cap);
enum mtr_err mtrd_csv_open(const struct mtrd_source_spec *spec,
                           struct mtrd_source **out,
                           char *err,
                           size_t err_cap);
enum mtr_err mtrd_raw_open(const struct mtrd_source_spec *spec,
                           struct mtrd_source **out,
                           char *err,
                           size_t err_cap);
enum mtr_err mtrd_synth_open(const struct mtrd_source_spec *spec,
                             struct mtrd_source **out,
                             char *err,
                             size_t err_cap);

#endif /* METERD_SOURCE_H */
