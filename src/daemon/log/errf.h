/*
 * Formatting of the error messages that edge functions return in (err, err_cap)
 * buffers: one definition for every reader and backend.
 */
#ifndef METERD_ERRF_H
#define METERD_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/**
 * printf into an error buffer; NULL or zero capacity is allowed (nothing is written).
 * A message longer than err_cap - 1 bytes is truncated, which is acceptable for a message.
 */
static inline void
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    mtrd_errf(char *err, size_t err_cap, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || err_cap == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(err, err_cap, fmt, ap);
    va_end(ap);
}

#endif /* METERD_ERRF_H */
