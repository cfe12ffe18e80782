/*
 * The only place where compiler extensions are named. Everything else is C11.
 */
#ifndef METERD_COMPILER_H
#define METERD_COMPILER_H

#if defined(__GNUC__) || defined(__clang__)
#define MTR_NODISCARD __attribute__((warn_unused_result))
#else
#define MTR_NODISCARD
#endif

/*
 * Internal invariants. Active in debug, test and fuzz builds (MTR_DEBUG defined);
 * bytes from the wire, a file or the configuration must never reach one.
 * The core may not call abort() from libc on the target, so the failure is a
 * trap on GCC/Clang.
 */
#if defined(MTR_DEBUG)
#if defined(__GNUC__) || defined(__clang__)
#define MTR_ASSERT(cond)      \
    do {                      \
        if (!(cond)) {        \
            __builtin_trap(); \
        }                     \
    } while (0)
#else
#define MTR_ASSERT(cond) ((void)0)
#endif
#else
#define MTR_ASSERT(cond) ((void)0)
#endif

#define MTR_ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif /* METERD_COMPILER_H */
