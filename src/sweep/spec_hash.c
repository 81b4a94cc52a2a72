/* parsweep — the spec hash (see spec.h): what a run computes, so that
 * --resume refuses to mix results of two different sweeps. */
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "spec.h"
#include "spec_diff.h"

static void put(XXH3_state_t *st, const void *p, size_t n) {
  XXH3_128bits_update(st, p, n);
}

static void put_u64(XXH3_state_t *st, uint64_t v) {
  put(st, &v, sizeof v);
}

static void put_f64(XXH3_state_t *st, double v) {
  put(st, &v, sizeof v);
}

/* Length first: ("ab","c") and ("a","bc") differ. NULL differs from "". */
static void put_str(XXH3_state_t *st, const char *s) {
  put_u64(st, s ? strlen(s) : UINT64_MAX);
  if (s)
    put(st, s, strlen(s));
}

/* A plugin's bytes: a rebuilt plugin is a changed model. A file that
 * cannot be read adds only a marker (dlopen will say what is wrong). */
static void put_file(XXH3_state_t *st, const char *path) {
  FILE *f = fopen(path, "rbe");
  if (!f) {
    put_u64(st, 0);
    return;
  }
  unsigned char buf[65536];
  size_t n;
  uint64_t total = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    put(st, buf, n);
    total += n;
  }
  fclose(f);
  put_u64(st, total + 1);
}

/* Only for a differential sweep: other specs keep the hashes earlier
 * versions wrote (their outputs can still be resumed). */
static void hash_diff(XXH3_state_t *st, const psw_spec_t *spec) {
  const struct psw_spec_diff *d = spec->diff;
  if (!d)
    return;
  put_str(st, "differential");
  put_u64(st, d->num_diff);
  put_u64(st, d->np);
  for (size_t k = 0; k < d->np; k++) {
    const psw_diff_param_t *p = &d->p[k];
    put_u64(st, p->param);
    put_u64(st, (uint64_t)p->mode);
    put_u64(st, (uint64_t)p->kind);
    put_f64(st, p->rel_lb);
    put_f64(st, p->rel_ub);
    put_f64(st, p->nom_lb);
    put_f64(st, p->nom_ub);
    put_f64(st, p->std_dev);
  }
}

int psw__spec_hash(const psw_spec_t *spec, uint8_t out[16]) {
  XXH3_state_t *st = XXH3_createState();
  if (!st)
    return -1;
  XXH3_128bits_reset(st);
  put_str(st, "parsweep spec hash 1");
  put_u64(st, spec->seed);
  put_u64(st, spec->num_samples);
  put_u64(st, spec->total);
  /* A recursive sweep's rounds follow M: another M, another file (only
   * then, so that plain sweeps keep their hashes). */
  if (spec->num_successes) {
    put_str(st, "num_successes");
    put_u64(st, spec->num_successes);
    put_u64(st, spec->first_round);
  }
  put_u64(st, spec->nparams);
  for (size_t k = 0; k < spec->nparams; k++) {
    const psw_param_t *p = &spec->params[k];
    put_str(st, p->name);
    put_u64(st, (uint64_t)p->kind);
    put_f64(st, p->lower);
    put_f64(st, p->upper);
    put_f64(st, p->mean);
    put_f64(st, p->std);
    put_u64(st, p->num_samples);
    put_u64(st, p->array_len);
    if (p->array_len)
      put(st, p->array, p->array_len * sizeof(double));
  }
  put_u64(st, spec->noutputs);
  for (size_t k = 0; k < spec->noutputs; k++)
    put_str(st, spec->outputs[k]);
  put_u64(st, spec->command_argc);
  for (size_t k = 0; k < spec->command_argc; k++)
    put_str(st, spec->command[k]);
  put_str(st, spec->plugin);
  if (spec->plugin)
    put_file(st, spec->plugin);
  /* Only when there is one: the hashes of command and plugin specs stay
   * what earlier versions wrote (their outputs can still be resumed). */
  if (spec->server) {
    put_str(st, "server");
    put_u64(st, spec->server_argc);
    for (size_t k = 0; k < spec->server_argc; k++)
      put_str(st, spec->server[k]);
  }
  put_u64(st, spec->nenv);
  for (size_t k = 0; k < spec->nenv; k++)
    put_str(st, spec->env[k]);
  hash_diff(st, spec);
  XXH128_hash_t h = XXH3_128bits_digest(st);
  XXH3_freeState(st);
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  memcpy(out, c.digest, 16);
  return 0;
}

void psw__spec_hash_hex(const uint8_t hash[16], char hex[33]) {
  for (int k = 0; k < 16; k++)
    snprintf(hex + 2 * k, 3, "%02x", hash[k]);
}
