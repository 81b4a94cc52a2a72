/* parsweep — the library's only way to say something.
 *
 * The library never writes to stdout/stderr directly. Messages go through
 * one process-wide handler; the default handler writes
 * "parsweep: <level>: <message>\n" to stderr. The initial level comes from
 * the environment variable PARSWEEP_LOG (error, warn, info, debug, trace or
 * 0..4); the default is warn. */
#ifndef PARSWEEP_LOG_H
#define PARSWEEP_LOG_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum psw_log_level {
  PSW_LOG_ERROR = 0,
  PSW_LOG_WARN = 1,
  PSW_LOG_INFO = 2,
  PSW_LOG_DEBUG = 3,
  PSW_LOG_TRACE = 4,
} psw_log_level_t;

/* Receives each message at or below the current level. `msg` has no trailing
 * newline and is valid only during the call. Must be thread-safe: workers of
 * the threads backend log concurrently. */
typedef void (*psw_log_fn)(psw_log_level_t level, const char *msg, void *ud);

/* Replace the handler; NULL restores the default (stderr). Not thread-safe
 * with respect to concurrent logging: set it before creating managers. */
PSW_EXTERN void psw_log_set_handler(psw_log_fn fn, void *ud);

/* Set the level; messages above it are dropped. Returns the previous level. */
PSW_EXTERN psw_log_level_t psw_log_set_level(psw_log_level_t level);

/* The current level (after PARSWEEP_LOG has been read). */
PSW_EXTERN psw_log_level_t psw_log_get_level(void);

/* Parse a level name ("warn", "DEBUG", "2"). Returns 0 and sets *out, or
 * PSW_ERR_INVAL for an unknown name. */
PSW_EXTERN int psw_log_parse_level(const char *name, psw_log_level_t *out);

/* Log through the handler, printf-style. For programs built on the library
 * (the parsweep CLI uses it) so that everything shares one format. */
PSW_EXTERN void psw_log(psw_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_LOG_H */
