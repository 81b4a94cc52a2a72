/* parsweep — the logger: one handler, one level, PARSWEEP_LOG. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static psw_log_fn log_fn;
static void *log_ud;
static psw_log_level_t log_level = PSW_LOG_WARN;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static const char *const level_names[] = {"error", "warn", "info", "debug",
                                          "trace"};

int psw_log_parse_level(const char *name, psw_log_level_t *out) {
  if (!name || !out)
    return PSW_ERR_INVAL;
  for (int i = 0; i <= PSW_LOG_TRACE; i++) {
    char digit[2] = {(char)('0' + i), 0};
    if (!strcasecmp(name, level_names[i]) || !strcmp(name, digit)) {
      *out = (psw_log_level_t)i;
      return 0;
    }
  }
  if (!strcasecmp(name, "warning")) {
    *out = PSW_LOG_WARN;
    return 0;
  }
  return PSW_ERR_INVAL;
}

/* Read PARSWEEP_LOG once, lazily, so that a program may setenv() it before
 * its first call into the library. */
static void log_init(void) {
  const char *env = getenv("PARSWEEP_LOG");
  psw_log_level_t lvl;
  if (env && *env && psw_log_parse_level(env, &lvl) == 0)
    log_level = lvl;
}

void psw_log_set_handler(psw_log_fn fn, void *ud) {
  log_fn = fn;
  log_ud = ud;
}

psw_log_level_t psw_log_set_level(psw_log_level_t level) {
  pthread_once(&log_once, log_init);
  psw_log_level_t old = log_level;
  if (level >= PSW_LOG_ERROR && level <= PSW_LOG_TRACE)
    log_level = level;
  return old;
}

psw_log_level_t psw_log_get_level(void) {
  pthread_once(&log_once, log_init);
  return log_level;
}

static void log_v(psw_log_level_t level, const char *fmt, va_list ap) {
  if (level > psw_log_get_level())
    return;
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (log_fn) {
    log_fn(level, msg, log_ud);
    return;
  }
  /* One fprintf per message: stdio locks the stream, so lines of
   * concurrent threads do not interleave. */
  fprintf(stderr, "parsweep: %s: %s\n", level_names[level], msg);
}

void psw_log(psw_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_v(level, fmt, ap);
  va_end(ap);
}

void psw__log(psw_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_v(level, fmt, ap);
  va_end(ap);
}
