/*
 * COMTRADE (IEEE C37.111-1991/-1999/-2013) reader internals, shared by
 * source_comtrade.c, its unit tests and its fuzz targets.
 *
 * The .cfg parser works on a text buffer and fills a struct mtrd_comtrade_cfg
 * (channel tables allocated with malloc, released by mtrd_comtrade_cfg_free());
 * the record decoders turn one .dat record (binary bytes or one ASCII line)
 * into engineering values a*x + b in the cfg's units. A missing value (the
 * standard's missing-data codes) or a non-finite float comes back as NaN, so
 * the caller can name the channel and the byte offset or line.
 */
#ifndef METERD_COMTRADE_INT_H
#define METERD_COMTRADE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "meterd/err.h"
#include "source.h"

/** Longest text field kept (station, device, ch_id, ccbm), bytes including NUL. */
#define MTRD_COMTRADE_ID_CAP       129
/** Longest ph / uu field kept, bytes including NUL. */
#define MTRD_COMTRADE_SHORT_CAP    33
/** Most sample-rate segments (nrates) accepted; real recorders use a handful. */
#define MTRD_COMTRADE_MAX_RATES    64
/** Most analog or digital channels accepted (C37.111-2013 allows 999999; no recorder has more). */
#define MTRD_COMTRADE_MAX_CHANNELS 65535u
/** Largest .cfg read, bytes (a 65535-channel cfg is about 8 MiB). */
#define MTRD_COMTRADE_MAX_CFG_LEN  (16u * 1024u * 1024u)

/** .dat file type (the cfg's ft line). */
enum mtrd_comtrade_ft {
    MTRD_COMTRADE_ASCII = 0, /**< Comma-separated text, one record a line. */
    MTRD_COMTRADE_BINARY,    /**< int16 analog values, 0x8000 = missing. */
    MTRD_COMTRADE_BINARY32,  /**< int32 analog values, 0x80000000 = missing (2013). */
    MTRD_COMTRADE_FLOAT32,   /**< IEEE 754 float32 analog values (2013). */
};

/** One analog channel line: An,ch_id,ph,ccbm,uu,a,b,skew,min,max[,primary,secondary,PS]. */
struct mtrd_comtrade_analog {
    uint32_t index;                     /**< An, as written (1-based). */
    char id[MTRD_COMTRADE_ID_CAP];      /**< ch_id, trimmed. */
    char ph[MTRD_COMTRADE_SHORT_CAP];   /**< Phase label, trimmed (may be empty). */
    char ccbm[MTRD_COMTRADE_ID_CAP];    /**< Circuit component being monitored. */
    char unit[MTRD_COMTRADE_SHORT_CAP]; /**< uu, e.g. "kV", "A". */
    double a;                           /**< Multiplier, unit per count. */
    double b;                           /**< Offset, unit. */
    double skew_us;                     /**< Time skew from the sample instant, us. */
    double min;                         /**< Smallest data value (counts). */
    double max;                         /**< Largest data value (counts). */
    bool has_ratio;                     /**< primary, secondary and PS present (1999+). */
    double primary;                     /**< Transformer ratio, primary factor. */
    double secondary;                   /**< Transformer ratio, secondary factor. */
    char ps;                            /**< 'P' values are primary, 'S' secondary. */
};

/** One digital (status) channel line: Dn,ch_id,ph,ccbm,y (1991: Dn,ch_id,y). */
struct mtrd_comtrade_digital {
    uint32_t index;
    char id[MTRD_COMTRADE_ID_CAP];
    char ph[MTRD_COMTRADE_SHORT_CAP];
    char ccbm[MTRD_COMTRADE_ID_CAP];
    uint8_t normal; /**< y: 0 or 1. */
};

/** A date-time of the cfg: dd/mm/yyyy,hh:mm:ss.ssssss (1991: mm/dd/yy). All zero = unknown. */
struct mtrd_comtrade_datetime {
    uint16_t year; /**< Full year (1991 two-digit years: 70..99 -> 19xx, else 20xx). */
    uint8_t month; /**< 1..12, 0 unknown. */
    uint8_t day;   /**< 1..31, 0 unknown. */
    uint8_t hour;
    uint8_t minute;
    uint8_t second;   /**< 0..60 (leap second). */
    uint32_t frac_ns; /**< Fraction of the second, ns (digits past the 9th are dropped). */
};

/** One sample-rate segment: samp,endsamp. */
struct mtrd_comtrade_rate {
    double samp_Hz;   /**< Sample rate, Hz (0 when nrates = 0). */
    uint64_t endsamp; /**< Number of the last sample at this rate (1-based). */
};

/** A parsed .cfg. Zero-initialise; mtrd_comtrade_cfg_free() releases the channel tables. */
struct mtrd_comtrade_cfg {
    char station[MTRD_COMTRADE_ID_CAP];
    char device[MTRD_COMTRADE_ID_CAP];
    uint16_t rev_year; /**< 1991, 1999 or 2013. */
    uint32_t analog_count;
    uint32_t digital_count;
    struct mtrd_comtrade_analog *analog;   /**< [analog_count], malloc'd. */
    struct mtrd_comtrade_digital *digital; /**< [digital_count], malloc'd. */
    double lf_Hz;                          /**< Nominal line frequency, Hz. */
    uint32_t rate_count;                   /**< nrates as written (0 = timestamps give time). */
    /** rates[0..max(rate_count,1)-1]; for nrates = 0, rates[0] = {0, endsamp}. */
    struct mtrd_comtrade_rate rates[MTRD_COMTRADE_MAX_RATES];
    struct mtrd_comtrade_datetime start;   /**< First data point. */
    struct mtrd_comtrade_datetime trigger; /**< Trigger point. */
    enum mtrd_comtrade_ft ft;
    double timemult; /**< Timestamp unit in us (1 when absent). */
    bool has_time_code;
    bool is_time_code_known;  /**< false for "x". */
    int16_t time_code_min;    /**< Offset of the cfg times from UTC, minutes. */
    bool is_local_code_known; /**< false for "x". */
    int16_t local_code_min;   /**< Offset of local time from UTC, minutes. */
    bool has_tmq;
    uint8_t tmq_code; /**< Time quality 0..15. */
    uint8_t leapsec;  /**< 0..3. */
};

/**
 * Parse .cfg text.
 * @param[in]  text     The file's bytes (need not be NUL-terminated); CRLF or LF.
 * @param[in]  len      Bytes in text, <= MTRD_COMTRADE_MAX_CFG_LEN.
 * @param[in]  name     File name used in messages.
 * @param[out] cfg      Filled on MTR_OK; on failure left zeroed with nothing allocated.
 * @param[out] err      Message "name:line: what" on failure.
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval MTR_OK       Parsed.
 * @retval MTR_EPROTO   Malformed (message names the line).
 * @retval MTR_ENOTSUP  Unknown revision year or file type.
 * @retval MTR_ENOMEM   Out of memory.
 * @retval MTR_EINVAL   NULL argument.
 * Context: any thread; allocates the channel tables.   Spec: IEEE C37.111-1999 clause 6, -2013
 * clause 7.
 */
MTR_NODISCARD enum mtr_err mtrd_comtrade_parse_cfg(const char *text,
                                                   size_t len,
                                                   const char *name,
                                                   struct mtrd_comtrade_cfg *cfg,
                                                   char *err,
                                                   size_t err_cap);

/** Release the channel tables and zero cfg; NULL and a zeroed cfg are allowed. */
void mtrd_comtrade_cfg_free(struct mtrd_comtrade_cfg *cfg);

/**
 * Write a cfg back as text in its own revision's layout (CRLF line ends).
 * Parsing the output gives an equal structure.
 * @param[in]  cfg      A parsed cfg.
 * @param[out] out      Text (NUL-terminated when it fits).
 * @param[in]  out_cap  Capacity of out, bytes.
 * @param[out] out_len  Bytes written, without the NUL.
 * @retval MTR_OK       Written.
 * @retval MTR_ENOSPC   out too small; *out_len is the length needed.
 * @retval MTR_EINVAL   NULL argument.
 * Context: any thread; no allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_comtrade_write_cfg(const struct mtrd_comtrade_cfg *cfg,
                                                   char *out,
                                                   size_t out_cap,
                                                   size_t *out_len);

/** Bytes per .dat record for the binary file types; 0 for ASCII. */
size_t mtrd_comtrade_record_len(const struct mtrd_comtrade_cfg *cfg);

/**
 * Decode one binary record into engineering values.
 * @param[in]  cfg        Parsed cfg (BINARY, BINARY32 or FLOAT32).
 * @param[in]  rec        mtrd_comtrade_record_len(cfg) bytes.
 * @param[out] values     [analog_count] a*x + b in the cfg's units; NaN = missing or non-finite.
 * @param[out] sample_no  The record's sample number.
 * @param[out] ts         The record's timestamp (0xFFFFFFFF = missing).
 * @retval MTR_OK         Decoded.
 * @retval MTR_EINVAL     NULL argument or ASCII cfg.
 * Context: any thread; no allocation.   Spec: C37.111-2013 clause 8.
 */
MTR_NODISCARD enum mtr_err mtrd_comtrade_decode_binary(const struct mtrd_comtrade_cfg *cfg,
                                                       const uint8_t *rec,
                                                       double *values,
                                                       uint32_t *sample_no,
                                                       uint32_t *ts);

/**
 * Decode one ASCII record (one line, without its line end).
 * @param[in]  cfg       Parsed cfg (ASCII).
 * @param[in]  line      The line; need not be NUL-terminated.
 * @param[in]  len       Bytes in line.
 * @param[out] values    [analog_count]; NaN = missing (blank field, or 99999 before 2013).
 * @param[out] ts        Timestamp; UINT64_MAX when the field is blank.
 * @param[out] what      On MTR_EPROTO, a short reason ("expected 9 fields, got 7").
 * @param[in]  what_cap  Capacity of what, bytes.
 * @retval MTR_OK        Decoded.
 * @retval MTR_EPROTO    Wrong field count or a field that is not a number.
 * @retval MTR_EINVAL    NULL argument.
 * Context: any thread; no allocation.   Spec: C37.111-2013 clause 8.3.
 */
MTR_NODISCARD enum mtr_err mtrd_comtrade_decode_ascii(const struct mtrd_comtrade_cfg *cfg,
                                                      const char *line,
                                                      size_t len,
                                                      double *values,
                                                      uint64_t *ts,
                                                      char *what,
                                                      size_t what_cap);

/**
 * Microseconds since 1970-01-01 UTC of a cfg date-time.
 * @param[in] dt          Date-time (all-zero date: unknown, gives 0).
 * @param[in] offset_min  Offset of dt from UTC, minutes (the 2013 time_code; 0 otherwise).
 * @return us since the epoch; 0 when the date is unknown.
 */
int64_t mtrd_comtrade_datetime_us(const struct mtrd_comtrade_datetime *dt, int offset_min);

/**
 * Open a COMTRADE source from an already parsed cfg and an open .dat stream.
 * Takes ownership of cfg (moved; the caller's copy is zeroed) and of dat (closed on failure too).
 * Used by mtrd_comtrade_open() and by the fuzz targets (with fmemopen()).
 * @param[in]  spec      Channel mapping, phases, is_secondary, fs override.
 * @param[in,out] cfg    Parsed cfg.
 * @param[in]  dat       The .dat, opened for reading in binary mode; must be seekable.
 * @param[in]  cfg_name  Name of the .cfg for messages.
 * @param[in]  dat_name  Name of the .dat for messages.
 * @retval see mtrd_comtrade_open().
 */
MTR_NODISCARD enum mtr_err mtrd_comtrade_open_stream(const struct mtrd_source_spec *spec,
                                                     struct mtrd_comtrade_cfg *cfg,
                                                     FILE *dat,
                                                     const char *cfg_name,
                                                     const char *dat_name,
                                                     struct mtrd_source **out,
                                                     char *err,
                                                     size_t err_cap);

/** Called once per channel by mtrd_comtrade_list_channels(). */
typedef void (*mtrd_comtrade_list_fn)(void *ctx, const char *line);

/**
 * List the channels of a .cfg, one line each, for the CLI's --list-channels:
 * "A4  VA_G1  ph=A  ccbm=GER 1  unit=kV  (voltage)" and "D1  86_G1  ccbm=GER 1".
 * The first line describes the recording (revision, file type, rates, start).
 * @param[in] cfg_path  Path of the .cfg.
 * @param[in] fn        Called with each line (no line end); the line is borrowed for the call.
 * @param[in] ctx       Passed to fn.
 * @retval MTR_OK, MTR_ENOENT, MTR_EIO, MTR_EPROTO, MTR_ENOTSUP, MTR_ENOMEM, MTR_EINVAL
 *         as for mtrd_comtrade_open(); err names the file and line.
 * Context: CLI; allocates for the call.
 */
MTR_NODISCARD enum mtr_err mtrd_comtrade_list_channels(
    const char *cfg_path, mtrd_comtrade_list_fn fn, void *ctx, char *err, size_t err_cap);

/**
 * Whether two parsed configurations are equal: every field, channel and digital line.
 * Compares bytes, which is exact because mtrd_comtrade_parse_cfg() zero-fills what it fills.
 * @param[in] a  Parsed configuration.
 * @param[in] b  Parsed configuration.
 * @return true when equal. Context: tests and fuzzing (parse -> write -> parse).
 */
bool mtrd_comtrade_cfg_equal(const struct mtrd_comtrade_cfg *a, const struct mtrd_comtrade_cfg *b);

#endif /* METERD_COMTRADE_INT_H */
