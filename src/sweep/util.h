/* parsweep sweep — small helpers of the sweep and the CLI. They are
 * clients of libparsweep like any other program: logging goes through the
 * public psw_log (parsweep/log.h), so the library's handler and level
 * apply. */
#ifndef PSW_SWEEP_UTIL_H
#define PSW_SWEEP_UTIL_H

#include <time.h>

#include "parsweep/log.h"

/* Log at a level, printf-style. (The guards: a test that also includes the
 * library's internal header gets its identical definitions.) */
#ifndef PSW_ERROR
#define PSW_ERROR(...) psw_log(PSW_LOG_ERROR, __VA_ARGS__)
#define PSW_WARN(...) psw_log(PSW_LOG_WARN, __VA_ARGS__)
#define PSW_INFO(...) psw_log(PSW_LOG_INFO, __VA_ARGS__)
#define PSW_DEBUG(...) psw_log(PSW_LOG_DEBUG, __VA_ARGS__)
#endif

#ifndef PSW_MONO_NOW_DEFINED
#define PSW_MONO_NOW_DEFINED
/* CLOCK_MONOTONIC in seconds. */
static inline double psw__mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#endif

#endif /* PSW_SWEEP_UTIL_H */
