/*
 * Private helpers of the file sample sources (CSV, MAT): header and line
 * splitting, number parsing, and the mapping of channel names (CSV columns or
 * MAT variables) to U1..Un, I1..In. Exposed here so the unit tests and the
 * fuzz target can drive the parser without going through a file path.
 * Not part of any public API.
 */
#ifndef METERD_SOURCES_CSV_INT_H
#define METERD_SOURCES_CSV_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "source.h"

#include "meterd/compiler.h"
#include "meterd/err.h"

/** Longest CSV line, bytes including the line end: a header of 64 long names fits. */
#define MTRD_CSV_LINE_CAP  8192
/** Most columns a CSV file may have (a 3-phase record with time has 7). */
#define MTRD_CSV_MAX_COLS  64
/** Most named channels (MAT variables) considered by the mapping. */
#define MTRD_CSV_MAX_NAMES 64

/** Which physical quantity a channel name suggests. */
enum mtrd_csv_kind {
    MTRD_CSV_KIND_OTHER = 0,
    MTRD_CSV_KIND_TIME,
    MTRD_CSV_KIND_U,
    MTRD_CSV_KIND_I,
};

/** Where U1..Un, I1..In and the time come from: indexes into a name list. */
struct mtrd_csv_map {
    int time_idx;                      /**< Time channel, or -1 when there is none. */
    uint8_t phase_count;               /**< 1..MTRD_SOURCE_MAX_PHASES. */
    int u_idx[MTRD_SOURCE_MAX_PHASES]; /**< Voltage channel of each phase. */
    int i_idx[MTRD_SOURCE_MAX_PHASES]; /**< Current channel of each phase. */
};

/**
 * Classify a channel name (case-insensitive): "t", "time*", "t_*" are time;
 * "voltage*", and "u"/"v" alone or followed by a digit, '_', '[', '(' or '-' are
 * voltage; "current*" and "i" followed likewise are current.
 * @param[in] name  NUL-terminated name.
 * @return The kind; MTRD_CSV_KIND_OTHER for anything else.
 * Context: any thread; no allocation.
 */
enum mtrd_csv_kind mtrd_csv_classify(const char *name);

/**
 * Map channel names to phases, honouring spec->u_name/i_name and spec->phase_count.
 * Automatic choice: the time channel is the one named exactly "time" or "t", else the
 * first time-like one; U1..Un are the voltage-like channels and I1..In the
 * current-like ones, exact names "voltage"/"current" first, then in file order.
 * Without spec->phase_count and names, n = min(#voltage, #current, 3).
 * @param[in]  names     count channel names.
 * @param[in]  count     Number of names, 0..MTRD_CSV_MAX_NAMES.
 * @param[in]  spec      Mapping wishes (phase_count, u_name, i_name).
 * @param[in]  what      "column" or "variable", for messages.
 * @param[in]  file      File name, for messages.
 * @param[out] map       The mapping, on MTR_OK.
 * @param[out] err       Message naming the file, the name and those available.
 * @param[in]  err_cap   Capacity of err, bytes.
 * @retval MTR_OK      Mapped.
 * @retval MTR_EINVAL  Unknown name in spec, too few voltage/current channels, bad phase count.
 * Context: any thread; no allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_csv_map_channels(const char *const *names,
                                                 size_t count,
                                                 const struct mtrd_source_spec *spec,
                                                 const char *what,
                                                 const char *file,
                                                 struct mtrd_csv_map *map,
                                                 char *err,
                                                 size_t err_cap);

/**
 * Detect the separator of a header line: ';' if it has more ';' than ',', else ','.
 * @param[in] line  Header line, NUL-terminated.
 * @return ',' or ';'.
 */
char mtrd_csv_detect_sep(const char *line);

/**
 * Split a line in place into fields. The line end (LF or CRLF) must already be
 * removed. Leading/trailing blanks and one pair of surrounding double quotes are
 * removed from each field; separators inside quotes are not special.
 * @param[in,out] line     Line, modified (separators become NUL).
 * @param[in]     sep      ',' or ';'.
 * @param[out]    fields   Pointers into line.
 * @param[in]     cap      Capacity of fields, elements.
 * @param[out]    count    Fields found (on MTR_ENOSPC: cap + 1).
 * @retval MTR_OK      Split.
 * @retval MTR_ENOSPC  More than cap fields.
 * @retval MTR_EPROTO  Unterminated quote.
 * Context: any thread; no allocation.
 */
MTR_NODISCARD enum mtr_err
mtrd_csv_split(char *line, char sep, char **fields, size_t cap, size_t *count);

/**
 * Parse one numeric field: the whole field must be a decimal or exponent
 * number (strtod syntax in the C locale). With sep ';', a decimal comma is accepted.
 * @param[in]  field  Field text, NUL-terminated, already trimmed.
 * @param[in]  sep    Separator of the file.
 * @param[out] out    Value, on MTR_OK.
 * @retval MTR_OK      Parsed, finite.
 * @retval MTR_EPROTO  Empty, not a number, trailing characters, or too long.
 * @retval MTR_ERANGE  Not finite (nan, inf, or overflow).
 * Context: any thread; no allocation.
 */
MTR_NODISCARD enum mtr_err mtrd_csv_parse_num(const char *field, char sep, double *out);

/**
 * Open a CSV source on a stream already open for reading (the fuzz target uses
 * fmemopen). Same behaviour as mtrd_csv_open(); the stream is closed with the source.
 * @param[in]  f        Stream; owned by the source from this call on, even on failure.
 * @param[in]  name     File name used in messages.
 * @param[in]  spec     Mapping and rate (spec->path is ignored).
 * @param[out] out      Source, on MTR_OK.
 * @param[out] err      Message on failure.
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval (as mtrd_csv_open)
 * Context: allocates the source (about 90 KiB).
 */
MTR_NODISCARD enum mtr_err mtrd_csv_open_stream(FILE *f,
                                                const char *name,
                                                const struct mtrd_source_spec *spec,
                                                struct mtrd_source **out,
                                                char *err,
                                                size_t err_cap);

#endif /* METERD_SOURCES_CSV_INT_H */
