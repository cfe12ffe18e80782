/*
 * mtr_strerror(): the English text of each enum mtr_err value.
 */
#include "meterd/err.h"

const char *
mtr_strerror(enum mtr_err err)
{
    switch (err) {
    case MTR_OK:
        return "success";
    case MTR_EINVAL:
        return "invalid argument";
    case MTR_ERANGE:
        return "value out of range";
    case MTR_ENOSPC:
        return "buffer or table too small";
    case MTR_EAGAIN:
        return "more input needed";
    case MTR_EPROTO:
        return "malformed data";
    case MTR_ECRC:
        return "checksum mismatch";
    case MTR_ECORRUPT:
        return "stored state corrupt";
    case MTR_EIO:
        return "input/output error";
    case MTR_ENOENT:
        return "not found";
    case MTR_ENOMEM:
        return "out of memory";
    case MTR_ENOTSUP:
        return "not supported";
    case MTR_EVERSION:
        return "unsupported version";
    case MTR_EOF:
        return "end of input";
    }
    return "unknown error";
}
