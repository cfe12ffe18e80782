/*
 * Error codes shared by the portable core and the Linux edge.
 *
 * Every failure is negative; MTR_OK is zero. Numbers are part of the ABI and of
 * logs: they are never reused or renumbered, and a retired code stays reserved.
 * Protocol answers (Modbus exceptions, DLMS results) are not errors and have
 * their own enums in their modules.
 */
#ifndef METERD_ERR_H
#define METERD_ERR_H

#include "meterd/compiler.h"

/** Result of every core function that can fail. */
enum mtr_err {
    MTR_OK = 0,         /**< Success. */
    MTR_EINVAL = -1,    /**< An argument is out of its documented range or NULL. */
    MTR_ERANGE = -2,    /**< A value would leave its representable range. */
    MTR_ENOSPC = -3,    /**< An output buffer or table is too small. */
    MTR_EAGAIN = -4,    /**< More input is needed. */
    MTR_EPROTO = -5,    /**< Malformed frame, record or file content. */
    MTR_ECRC = -6,      /**< A checksum did not match. */
    MTR_ECORRUPT = -7,  /**< Stored state is unusable (no valid copy). */
    MTR_EIO = -8,       /**< The edge failed to read or write (errno logged at the call site). */
    MTR_ENOENT = -9,    /**< No such file, object or record. */
    MTR_ENOMEM = -10,   /**< The edge could not allocate (never returned by the core). */
    MTR_ENOTSUP = -11,  /**< Valid but unsupported (format revision, data type, feature). */
    MTR_EVERSION = -12, /**< Stored state has a version this build cannot read. */
    MTR_EOF = -13,      /**< A source has no more samples. */
};

/**
 * Describe an error code.
 * @param[in] err  Any value; unknown codes give "unknown error".
 * @return A static, NUL-terminated English string; never NULL.
 * Context: any thread; no allocation.
 */
const char *mtr_strerror(enum mtr_err err);

#endif /* METERD_ERR_H */
