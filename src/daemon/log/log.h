/*
 * Daemon log: one line per event on stderr, "meterd: LEVEL: message".
 * The edge logs once, at the call site that knows the context (file, peer, register).
 */
#ifndef METERD_LOG_H
#define METERD_LOG_H

enum mtrd_log_level {
    MTRD_LOG_ERROR = 0,
    MTRD_LOG_WARN = 1,
    MTRD_LOG_INFO = 2,
    MTRD_LOG_DEBUG = 3,
};

/** Lowest level printed (default MTRD_LOG_INFO). */
void mtrd_log_set_level(enum mtrd_log_level level);

/** Print one line at level; printf format. */
void mtrd_log(enum mtrd_log_level level, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif /* METERD_LOG_H */
