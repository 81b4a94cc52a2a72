/* parsweep — errors as values.
 *
 * Every function that can fail returns 0 or a negative psw_err_t. The codes
 * and their messages come from one table, PSW_ERRNO_MAP, so the enum and
 * psw_strerror() cannot drift apart. */
#ifndef PARSWEEP_ERROR_H
#define PARSWEEP_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define PSW_ERRNO_MAP(X)                                                       \
  X(INVAL, -1, "invalid argument")                                             \
  X(NOMEM, -2, "out of memory")                                                \
  X(SYS, -3, "system call failed (see errno in the log)")                      \
  X(PEER_LOST, -4, "a worker of the region died")                              \
  X(ABORTED, -5, "the region was aborted because another worker failed")       \
  X(MISMATCH, -6,                                                              \
    "collective mismatch: a worker left the region while others "              \
    "waited")                                                                  \
  X(UNAVAILABLE, -7, "backend not built into this library")                    \
  X(NESTED, -8, "psw_parallel called from inside a parallel region")           \
  X(TIMEOUT, -9, "timed out")                                                  \
  X(IO, -10, "input/output error")                                             \
  X(PARSE, -11, "malformed input")                                             \
  X(EXISTS, -12, "output exists")                                              \
  X(BUSY, -13, "resource in use by another process")                           \
  X(INTERRUPTED, -14, "interrupted by a signal")                               \
  X(MODEL, -15, "model failed")

typedef enum psw_err {
  PSW_OK = 0,
#define PSW__ERR_ENUM(name, value, msg) PSW_ERR_##name = (value),
  PSW_ERRNO_MAP(PSW__ERR_ENUM)
#undef PSW__ERR_ENUM
} psw_err_t;

/* A static, human-readable message for `err` (0 or a psw_err_t). Unknown
 * values give "unknown error". Never NULL; the string belongs to the library.
 */
PSW_EXTERN const char *psw_strerror(int err);

/* The symbolic name of `err` without prefix ("PEER_LOST"), "OK" for 0,
 * "UNKNOWN" otherwise. The string belongs to the library. */
PSW_EXTERN const char *psw_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_ERROR_H */
