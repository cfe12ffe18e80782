/*
 * Export of history entries as RFC 4180 CSV and as an aligned text table.
 *
 * Columns, in order: seq; time (ISO 8601 UTC with Z, "2024-06-01T12:15:00Z", with
 * ".uuuuuu" only when the time has a fraction of a second); status as hex ("0x08") for
 * profiles and billing, or the decimal event code for event logs (mtrd_hist_is_event_log());
 * one column per value, converted to its display unit as value * 10^scale10 with exact integer
 * arithmetic (no floating point: 1234567890 uWh with scale -9 is "1.234567890" kWh); and text.
 * A value the entry does not have (index >= n_values) is an empty field. Lines end in CRLF and
 * fields holding a comma, a double quote, CR or LF are quoted with quotes doubled (RFC 4180 2.6,
 * 2.7); text is written as its bytes (UTF-8 passes through).
 */
#ifndef METERD_DAEMON_HIST_CSV_H
#define METERD_DAEMON_HIST_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/hist.h"

/** Largest |col_scale10| accepted: beyond it no real unit conversion exists. */
#define MTRD_HIST_SCALE_MAX 30

/**
 * Whether a log is an event log (shows an event code rather than a status).
 * @param[in] log  enum mtr_hist_log.
 * @return true for MTR_HIST_EVENT_*.
 */
bool mtrd_hist_is_event_log(uint8_t log);

/**
 * Format an integer scaled by a power of ten, exactly.
 * @param[in]  v        Value in the stored unit.
 * @param[in]  scale10  Power of ten, -MTRD_HIST_SCALE_MAX..MTRD_HIST_SCALE_MAX; a negative
 *                      scale gives -scale10 decimals ("-0.001000" for -1000, -6).
 * @param[out] out      Text, NUL-terminated.
 * @param[in]  out_cap  Capacity of out, bytes (64 is always enough).
 * @retval MTR_OK      Written.
 * @retval MTR_EINVAL  NULL out or scale out of range.
 * @retval MTR_ENOSPC  out_cap too small (out holds "" if out_cap > 0).
 * Context: any thread; no allocation.
 */
MTR_NODISCARD enum mtr_err
mtrd_hist_format_scaled(int64_t v, int scale10, char *out, size_t out_cap);

/**
 * Format a time as ISO 8601 UTC: "YYYY-MM-DDTHH:MM:SSZ", or "...SS.uuuuuuZ" with a fraction.
 * @param[in]  t_us     Microseconds since 1970-01-01T00:00:00Z; any int64 (proleptic Gregorian).
 * @param[out] out      Text, NUL-terminated.
 * @param[in]  out_cap  Capacity, bytes (40 is always enough).
 * @retval MTR_OK      Written.
 * @retval MTR_EINVAL  NULL out.
 * @retval MTR_ENOSPC  out_cap too small.
 * Context: any thread; no allocation; no libc time functions.
 */
MTR_NODISCARD enum mtr_err mtrd_hist_format_time(int64_t t_us, char *out, size_t out_cap);

/**
 * Write one entry as a CSV record, optionally preceded by the header record.
 * @param[out] out          Stream.
 * @param[in]  e            Entry.
 * @param[in]  col_names    n_cols column names (NULL: "v0", "v1", ...; a NULL name likewise).
 * @param[in]  col_units    n_cols display units, shown as "name [unit]" in the header (NULL or
 *                          "" for none).
 * @param[in]  col_scale10  n_cols powers of ten from stored to display unit (NULL: all 0).
 * @param[in]  n_cols       Value columns, 0..MTR_HIST_MAX_VALUES.
 * @param[in]  header       true: write the header record first (seq,time,status|code,...,text).
 * @retval MTR_OK      Written.
 * @retval MTR_EINVAL  NULL out or e, n_cols too large, a scale out of range, or e->n_values
 *                     above MTR_HIST_MAX_VALUES; nothing was written.
 * @retval MTR_EIO     The stream reported a write error.
 * Context: export tools and the HTTP server; no allocation.   Spec: RFC 4180.
 */
MTR_NODISCARD enum mtr_err mtrd_hist_write_csv(FILE *out,
                                               const struct mtr_hist_entry *e,
                                               const char *const *col_names,
                                               const char *const *col_units,
                                               const int8_t *col_scale10,
                                               unsigned n_cols,
                                               bool header);

/**
 * Write one entry as a line of a human-readable table with aligned columns (header and a rule
 * line first when header is true). Value columns are right-aligned, at least 12 characters or
 * the header's width; control characters of the text show as '.'.
 * Parameters and return values as mtrd_hist_write_csv().
 */
MTR_NODISCARD enum mtr_err mtrd_hist_write_text(FILE *out,
                                                const struct mtr_hist_entry *e,
                                                const char *const *col_names,
                                                const char *const *col_units,
                                                const int8_t *col_scale10,
                                                unsigned n_cols,
                                                bool header);

#endif /* METERD_DAEMON_HIST_CSV_H */
