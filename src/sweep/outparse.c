/* parsweep — parsing a command model's stdout ("name=value" lines).
 *
 * Pure functions over a byte range: no NUL terminator is assumed, nothing is
 * read past len, nothing is allocated. They are fuzzed, so every rule below
 * is deliberately simple and total:
 *   - a line ends at '\n' or at the end of the buffer;
 *   - spaces, tabs and '\r' at both ends of the line are ignored (CRLF);
 *   - the name is the text before the first '=', spaces/tabs around it
 *     ignored; the value is the text after it, likewise trimmed;
 *   - the whole value must be accepted by strtod in the "C" locale, else the
 *     line is ignored, as is any line without '=' or with an empty name;
 *   - for a name listed several times, the last valid line wins. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Values longer than this cannot be a sensible number; the copy for strtod
 * lives on the stack. */
#define VALUE_MAX 511

/* The "C" locale, so that a host program that called setlocale() with a
 * decimal comma neither breaks parsing here nor the "%.17g" in argv. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void) {
  c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

locale_t psw__c_locale(void) {
  pthread_once(&c_locale_once, c_locale_init);
  return c_locale;
}

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/* Parse [s, e) as a whole number; 0 on success. */
static int parse_value(const char *s, const char *e, double *out) {
  size_t n = (size_t)(e - s);
  if (n == 0 || n > VALUE_MAX)
    return -1;
  char tmp[VALUE_MAX + 1];
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  /* strtod skips leading white space of every kind; the rule is "the whole
   * token", so refuse it here rather than accept "\f1". */
  if (tmp[0] == ' ' || (tmp[0] >= '\t' && tmp[0] <= '\r'))
    return -1;
  char *end;
  locale_t loc = psw__c_locale();
  double v = loc ? strtod_l(tmp, &end, loc) : strtod(tmp, &end);
  if (end != tmp + n)
    return -1;
  /* One canonical NaN: "nan(0x...)" cannot forge the not-found marker of
   * psw__parse_outputs. */
  *out = isnan(v) ? NAN : v;
  return 0;
}

/* Apply one line [s, e); returns the number of outputs it set. */
static size_t parse_line(const char *s, const char *e, const char *const *names,
                         size_t n, double *outputs) {
  while (s < e && is_blank(*s))
    s++;
  while (e > s && is_blank(e[-1]))
    e--;
  const char *eq = memchr(s, '=', (size_t)(e - s));
  if (!eq)
    return 0;
  const char *ne = eq;
  while (ne > s && is_blank(ne[-1]))
    ne--;
  size_t nlen = (size_t)(ne - s);
  if (nlen == 0)
    return 0;
  const char *v = eq + 1;
  while (v < e && is_blank(*v))
    v++;
  double val;
  if (parse_value(v, e, &val) != 0)
    return 0;
  size_t set = 0;
  /* A name listed twice in outputs gets the value in both places. */
  for (size_t k = 0; k < n; k++) {
    if (names[k] && strlen(names[k]) == nlen && !memcmp(names[k], s, nlen)) {
      outputs[k] = val;
      set++;
    }
  }
  return set;
}

size_t psw__parse_outputs_update(const char *buf, size_t len,
                                 const char *const *names, size_t n,
                                 double *outputs) {
  if (!buf || !names || !outputs)
    return 0;
  size_t set = 0;
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    set += parse_line(p, le, names, n, outputs);
    p = nl ? nl + 1 : end;
  }
  return set;
}

/* A NaN with a payload that parsing never produces (parsed NaNs are made
 * canonical), marking "not found" without an extra array. */
static const uint64_t NOT_FOUND_BITS = 0x7ff8000050535721ull;

static int is_not_found(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b == NOT_FOUND_BITS;
}

size_t psw__parse_outputs(const char *buf, size_t len, const char *const *names,
                          size_t n, double *outputs) {
  if (!names || !outputs)
    return 0;
  for (size_t k = 0; k < n; k++)
    memcpy(&outputs[k], &NOT_FOUND_BITS, sizeof outputs[k]);
  psw__parse_outputs_update(buf, len, names, n, outputs);
  size_t found = 0;
  for (size_t k = 0; k < n; k++) {
    if (is_not_found(outputs[k]))
      outputs[k] = NAN;
    else
      found++;
  }
  return found;
}
