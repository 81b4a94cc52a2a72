/* parsweep CLI — what the verbs share. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int psw__cli_usage(const char *verb, const char *synopsis, const char *msg,
                   const char *arg) {
  fprintf(stderr, "parsweep %s: %s%s%s\n", verb, msg, arg ? ": " : "",
          arg ? arg : "");
  fprintf(stderr, "usage: parsweep %s %s\n", verb, synopsis);
  return PSW_EXIT_USAGE;
}

int psw__cli_workers(const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < 0 || v > INT_MAX)
    return -1;
  *out = (int)v;
  return 0;
}
