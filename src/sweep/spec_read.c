/* parsweep — spec reader helpers: messages, mappings and typed scalars.
 *
 * libyaml's document API tags every unquoted scalar as a string, so the
 * YAML core-schema resolution of numbers is done here, strictly: a number
 * must be a plain (unquoted) scalar in decimal notation. strtod alone would
 * also take "0x10", "inf" and "nan", which a YAML reader would not read as
 * numbers, so the text is checked against the YAML float grammar first. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parsweep/error.h"
#include "spec_read.h"

int psw__spec_fail(psw__spec_rd_t *rd, int line, const char *key,
                   const char *fmt, ...) {
  if (rd->err && rd->errlen > 0) {
    int n = snprintf(rd->err, rd->errlen, "%s:%d: %s: ", rd->path, line,
                     key && *key ? key : "(root)");
    if (n >= 0 && (size_t)n < rd->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(rd->err + n, rd->errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
    /* The message echoes user text (keys, arguments): keep it one line. */
    for (unsigned char *c = (unsigned char *)rd->err; *c; c++)
      if (*c < 0x20 || *c == 0x7f)
        *c = '?';
      else if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
        c[0] = c[1] = '?'; /* C1 controls (U+0085 is a line break) */
  }
  return PSW_ERR_PARSE;
}

uint64_t psw__spec_max_samples(size_t nvalues) {
  return (uint64_t)INT64_MAX / (8 * (uint64_t)nvalues + PSW_SPEC_ROW_FIXED);
}

int psw__spec_line(const yaml_node_t *n) {
  return n ? (int)n->start_mark.line + 1 : 1;
}

yaml_node_t *psw__spec_node(psw__spec_rd_t *rd, int index) {
  return yaml_document_get_node(rd->doc, index);
}

void psw__spec_keypath(char *out, const char *parent, const char *key) {
  if (parent && *parent)
    snprintf(out, PSW__KEYPATH_MAX, "%s.%s", parent, key);
  else
    snprintf(out, PSW__KEYPATH_MAX, "%s", key);
}

void psw__spec_itempath(char *out, const char *parent, size_t i) {
  snprintf(out, PSW__KEYPATH_MAX, "%s[%zu]", parent, i);
}

int psw__spec_is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE ||
      n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return 0;
  const char *v = (const char *)n->data.scalar.value;
  return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
         !strcmp(v, "NULL");
}

const char *psw__spec_what(const yaml_node_t *n) {
  switch (n->type) {
  case YAML_MAPPING_NODE:
    return "a mapping";
  case YAML_SEQUENCE_NODE:
    return "a sequence";
  case YAML_SCALAR_NODE:
    if (psw__spec_is_null(n))
      return "null";
    return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "a scalar"
                                                           : "a quoted string";
  default:
    return "nothing";
  }
}

int psw__spec_dup(const char *s, size_t len, char **out) {
  char *p = malloc(len + 1);
  if (!p)
    return PSW_ERR_NOMEM;
  memcpy(p, s, len);
  p[len] = '\0';
  *out = p;
  return 0;
}

const char *psw__spec_key_text(const yaml_node_t *key) {
  return (const char *)key->data.scalar.value;
}

/* A mapping key must be a non-null scalar without NUL bytes, so that it can
 * be compared and printed as a C string. */
static int check_key(psw__spec_rd_t *rd, const yaml_node_t *k,
                     const char *path) {
  if (k->type != YAML_SCALAR_NODE || psw__spec_is_null(k))
    return psw__spec_fail(rd, psw__spec_line(k), path,
                          "mapping key must be a string, got %s",
                          psw__spec_what(k));
  if (strlen((const char *)k->data.scalar.value) != k->data.scalar.length)
    return psw__spec_fail(rd, psw__spec_line(k), path,
                          "mapping key contains a NUL byte");
  return 0;
}

/* Duplicate keys are legal for libyaml's loader but not in YAML, and a
 * silently ignored duplicate is a sweep the user did not ask for. */
static int check_dup(psw__spec_rd_t *rd, const yaml_node_t *n,
                     yaml_node_pair_t *upto, const yaml_node_t *k,
                     const char *path) {
  for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < upto; q++) {
    const yaml_node_t *o = yaml_document_get_node(rd->doc, q->key);
    if (o->data.scalar.length == k->data.scalar.length &&
        !memcmp(o->data.scalar.value, k->data.scalar.value,
                k->data.scalar.length)) {
      char kp[PSW__KEYPATH_MAX];
      psw__spec_keypath(kp, path, psw__spec_key_text(k));
      return psw__spec_fail(rd, psw__spec_line(k), kp,
                            "duplicate key (first at line %d)",
                            psw__spec_line(o));
    }
  }
  return 0;
}

int psw__spec_map_free_keys(psw__spec_rd_t *rd, yaml_node_t *n,
                            const char *path) {
  if (n->type != YAML_MAPPING_NODE)
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "expected a mapping, got %s", psw__spec_what(n));
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
       p < n->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(rd->doc, p->key);
    int rc = check_key(rd, k, path);
    if (!rc)
      rc = check_dup(rd, n, p, k, path);
    if (rc)
      return rc;
  }
  return 0;
}

int psw__spec_map(psw__spec_rd_t *rd, yaml_node_t *n, const char *path,
                  const char *const *names, size_t count, psw__spec_kv_t *kv) {
  memset(kv, 0, count * sizeof *kv);
  int rc = psw__spec_map_free_keys(rd, n, path);
  if (rc)
    return rc;
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
       p < n->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(rd->doc, p->key);
    const char *name = psw__spec_key_text(k);
    size_t j = 0;
    while (j < count && strcmp(names[j], name))
      j++;
    if (j == count) {
      char kp[PSW__KEYPATH_MAX], valid[512];
      size_t used = 0;
      valid[0] = '\0';
      for (size_t m = 0; m < count && used < sizeof valid; m++) {
        int w = snprintf(valid + used, sizeof valid - used, "%s%s",
                         m ? ", " : "", names[m]);
        if (w < 0)
          break;
        used += (size_t)w;
      }
      psw__spec_keypath(kp, path, name);
      return psw__spec_fail(rd, psw__spec_line(k), kp,
                            "unknown key (valid: %s)", valid);
    }
    kv[j].key = k;
    kv[j].val = yaml_document_get_node(rd->doc, p->value);
  }
  return 0;
}

int psw__spec_str(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                  char **out) {
  if (n->type != YAML_SCALAR_NODE || psw__spec_is_null(n))
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "expected a string, got %s", psw__spec_what(n));
  const char *v = (const char *)n->data.scalar.value;
  if (strlen(v) != n->data.scalar.length)
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "string contains a NUL byte");
  return psw__spec_dup(v, n->data.scalar.length, out);
}

/* The YAML 1.2 core-schema float grammar without the special values:
 * [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static int is_decimal(const char *s, int *is_integer) {
  const char *p = s;
  int digits = 0, frac = 0, expo = 0;
  if (*p == '+' || *p == '-')
    p++;
  while (*p >= '0' && *p <= '9')
    p++, digits++;
  if (*p == '.') {
    p++;
    frac = 1;
    while (*p >= '0' && *p <= '9')
      p++, digits++;
  }
  if (!digits)
    return 0;
  if (*p == 'e' || *p == 'E') {
    int ed = 0;
    p++;
    expo = 1;
    if (*p == '+' || *p == '-')
      p++;
    while (*p >= '0' && *p <= '9')
      p++, ed++;
    if (!ed)
      return 0;
  }
  *is_integer = !frac && !expo;
  return *p == '\0';
}

/* .inf, -.Inf, .NaN, ... : numbers, but never valid bounds. */
static int is_special_float(const char *s) {
  if (*s == '+' || *s == '-')
    s++;
  return !strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
         !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}

/* A number-valued key: plain scalar, nothing else. */
static int number_text(psw__spec_rd_t *rd, const yaml_node_t *n,
                       const char *path, const char *expect, const char **out) {
  if (n->type != YAML_SCALAR_NODE || psw__spec_is_null(n) ||
      n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return psw__spec_fail(rd, psw__spec_line(n), path, "%s, got %s", expect,
                          psw__spec_what(n));
  *out = (const char *)n->data.scalar.value;
  return 0;
}

int psw__spec_num(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                  double *out) {
  const char *s = NULL;
  int rc = number_text(rd, n, path, "not a number: expected a number", &s);
  if (rc)
    return rc;
  int integer;
  if (is_special_float(s))
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "not finite: '%s' (NaN and infinity are not allowed)",
                          s);
  if (!is_decimal(s, &integer))
    return psw__spec_fail(rd, psw__spec_line(n), path, "not a number: '%s'", s);
  double v = strtod(s, NULL);
  if (!isfinite(v))
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "not finite: '%s' overflows a double", s);
  *out = v;
  return 0;
}

int psw__spec_bool(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                   int *out) {
  /* YAML 1.1's booleans (PyYAML's), quoted ones excluded: "true" is a
   * string there. */
  static const char *const yes[] = {"true", "yes", "on"};
  static const char *const no[] = {"false", "no", "off"};
  if (n->type == YAML_SCALAR_NODE &&
      n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
    const char *s = (const char *)n->data.scalar.value;
    for (size_t k = 0; k < 3; k++) {
      if (!strcasecmp(s, yes[k]) || !strcasecmp(s, no[k])) {
        *out = !strcasecmp(s, yes[k]);
        return 0;
      }
    }
  }
  return psw__spec_fail(rd, psw__spec_line(n), path,
                        "expected true or false, got %s", psw__spec_what(n));
}

int psw__spec_uint(psw__spec_rd_t *rd, const yaml_node_t *n, const char *path,
                   uint64_t max, uint64_t *out) {
  const char *s = NULL;
  int rc = number_text(rd, n, path, "not an integer: expected an integer", &s);
  if (rc)
    return rc;
  int integer = 0;
  if (!is_decimal(s, &integer) || !integer)
    return psw__spec_fail(rd, psw__spec_line(n), path, "not an integer: '%s'",
                          s);
  const char *d = s + (*s == '+' || *s == '-');
  /* YAML 1.1 (PyYAML, hence WaterTAP) reads 010 as octal 8, YAML 1.2 as
   * 10: refuse to guess. */
  if (d[0] == '0' && d[1])
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "ambiguous leading zero in '%s' (octal in YAML 1.1)",
                          s);
  if (*s == '-' && strcmp(d, "0"))
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "negative: %s (must be >= 0)", s);
  /* Accumulate with an explicit bound instead of strtoull, which accepts
   * "-1" as 2^64-1 and leading blanks. */
  uint64_t v = 0;
  for (; *d; d++) {
    unsigned digit = (unsigned)(*d - '0');
    if (digit > max || v > (max - digit) / 10)
      return psw__spec_fail(rd, psw__spec_line(n), path,
                            "out of range: %s (at most %llu)", s,
                            (unsigned long long)max);
    v = v * 10 + digit;
  }
  *out = v;
  return 0;
}
