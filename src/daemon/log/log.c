/*
 * Daemon log to stderr with a UTC timestamp.
 */
#include "log/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum mtrd_log_level g_level = MTRD_LOG_INFO; /* set once at start-up */

void
mtrd_log_set_level(enum mtrd_log_level level)
{
    g_level = level;
}

void
mtrd_log(enum mtrd_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > g_level) {
        return;
    }
    char stamp[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) != NULL) {
        (void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s meterd: %s: ", stamp, names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
