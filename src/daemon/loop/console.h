/*
 * Console output of the running meter: the live per-phase table on stdout and
 * the replay progress bar on stderr.
 */
#ifndef METERD_CONSOLE_H
#define METERD_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "meterd/snapshot.h"

/** Print the live table; is_tty redraws in place with ANSI cursor control. */
void mtrd_console_table(FILE *out, const struct mtr_snapshot *s, bool is_tty, uint16_t modbus_port);

/** Print a progress bar of done/total samples with the replay speed (x real time). */
void mtrd_console_progress(FILE *out, uint64_t done, uint64_t total, double speed_x);

#endif /* METERD_CONSOLE_H */
