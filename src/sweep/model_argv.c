/* parsweep — the command model's argv templates: the placeholders of
 * spec->command ("{name}", "{index}") checked once and expanded for each
 * sample. Pure (no process, no I/O): apart from supervision
 * (model_cmd.c) so that it is unit-tested alone (tests/sweep/test_argv.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_cmd.h"
#include "parsweep/error.h"

/* The spec loader's rule (spec_model.c): anything but braces, so that a
 * parameter named "feed flow" has its placeholder "{feed flow}". */
static int is_name_char(char c) {
  return c != '\0' && c != '{' && c != '}';
}

const char *psw__placeholder_next(const char *s, size_t *name_len) {
  if (!s)
    return NULL;
  for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
    size_t n = 0;
    while (is_name_char(p[1 + n]))
      n++;
    if (n > 0 && p[1 + n] == '}') {
      if (name_len)
        *name_len = n;
      return p;
    }
  }
  return NULL;
}

#define PH_UNKNOWN (-1L)
#define PH_INDEX (-2L)

/* `{index}` is always the sample index (SPEC §3), even if a parameter were
 * named "index". Returns the parameter number, PH_INDEX or PH_UNKNOWN. */
static long lookup(const psw_spec_t *spec, const char *name, size_t n) {
  if (n == 5 && !memcmp(name, "index", 5))
    return PH_INDEX;
  for (size_t i = 0; i < spec->nparams; i++) {
    const char *pn = spec->params[i].name;
    if (pn && strlen(pn) == n && !memcmp(pn, name, n))
      return (long)i;
  }
  return PH_UNKNOWN;
}

/* --- argv --------------------------------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf_t;

static int sb_add(sbuf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return -1;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

/* Expand one template argument; NULL with *unknown set for an unknown
 * placeholder, NULL alone when out of memory. */
static char *expand(const psw_spec_t *spec, const char *t, uint64_t index,
                    const double *params, int *unknown) {
  sbuf_t b = {0};
  size_t n;
  const char *ph;
  int rc = 0;
  while (rc == 0 && (ph = psw__placeholder_next(t, &n))) {
    long k = lookup(spec, ph + 1, n);
    if (k == PH_UNKNOWN) {
      *unknown = 1;
      free(b.p);
      return NULL;
    }
    char num[40];
    if (k == PH_INDEX)
      snprintf(num, sizeof num, "%" PRIu64, index);
    else
      snprintf(num, sizeof num, "%.17g", params[k]);
    rc = sb_add(&b, t, (size_t)(ph - t));
    if (rc == 0)
      rc = sb_add(&b, num, strlen(num));
    t = ph + n + 2;
  }
  if (rc == 0)
    rc = sb_add(&b, t, strlen(t));
  if (rc != 0) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

void psw__cmd_argv_free(const psw_spec_t *spec, char **argv) {
  if (!argv)
    return;
  for (size_t i = 0; i < spec->command_argc; i++) {
    if (argv[i] != spec->command[i])
      free(argv[i]);
  }
  free(argv);
}

/* argv for one sample; arguments without placeholders are the template's
 * own strings. "%.17g" in the C locale: a host that set a decimal-comma
 * locale must not change what the model receives. */
char **psw__cmd_argv(const psw_spec_t *spec, uint64_t index,
                     const double *params, int *unknown) {
  char **argv = calloc(spec->command_argc + 1, sizeof *argv);
  if (!argv)
    return NULL;
  locale_t c_loc = psw__c_locale(), old = (locale_t)0;
  if (c_loc)
    old = uselocale(c_loc);
  int ok = 1;
  for (size_t i = 0; ok && i < spec->command_argc; i++) {
    const char *t = spec->command[i];
    if (!psw__placeholder_next(t, NULL)) {
      argv[i] = spec->command[i];
      continue;
    }
    argv[i] = expand(spec, t, index, params, unknown);
    ok = argv[i] != NULL;
  }
  if (c_loc)
    uselocale(old);
  if (!ok) {
    psw__cmd_argv_free(spec, argv);
    return NULL;
  }
  return argv;
}

int psw__cmd_argv_check(const psw_spec_t *spec, char *err, size_t errlen) {
  /* Placeholders are checked here, once: the loader rejects unknown ones
   * already, but a spec built by other code must not fail N samples. */
  for (size_t i = 0; i < spec->command_argc; i++) {
    if (!spec->command[i])
      return psw__model_errf(PSW_ERR_INVAL, err, errlen,
                             "command %s: argument %zu is NULL",
                             spec->command[0], i);
    size_t n;
    for (const char *p = spec->command[i]; (p = psw__placeholder_next(p, &n));
         p += n + 2) {
      if (lookup(spec, p + 1, n) == PH_UNKNOWN)
        return psw__model_errf(PSW_ERR_INVAL, err, errlen,
                               "command %s: unknown placeholder {%.*s} in "
                               "argument %zu",
                               spec->command[0], (int)n, p + 1, i);
    }
  }
  return 0;
}
