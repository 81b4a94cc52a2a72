/* parsweep — the `num_diff_samples` and `differential:` keys of a sweep
 * spec (SPEC §3.2; WaterTAP's DifferentialParameterSweep and the keys of
 * its reader's _dict_to_diff_spec).
 *
 *   num_diff_samples: 3
 *   differential:
 *     <parameter>: {diff_mode: sum|product|percentile,
 *                   diff_sample_type: UniformSample|NormalSample|
 *                                     LinearSample|GeomSample|ReverseGeomSample,
 *                   relative_lb, relative_ub,      (all but NormalSample)
 *                   nominal_lb, nominal_ub,        (percentile)
 *                   std_dev,                       (NormalSample)
 *                   param, num_samples}            (WaterTAP's loop tool)
 *
 * As in the parameters section, a key the entry does not use is an error.
 * Cross-entry rules, as WaterTAP's inner ParameterSweep has them: grid and
 * random differential kinds cannot be mixed. A geometric kind needs bounds
 * of one sign for every nominal value: checked here over the parameter's
 * range, because numpy.geomspace would fail in the middle of the run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "design_random.h"
#include "parsweep/error.h"
#include "spec_diff.h"

enum {
  D_MODE,
  D_TYPE,
  D_RLB,
  D_RUB,
  D_NLB,
  D_NUB,
  D_STD,
  D_PARAM,
  D_N,
  D_COUNT
};
static const char *const dkeys[D_COUNT] = {
    [D_MODE] = "diff_mode",  [D_TYPE] = "diff_sample_type",
    [D_RLB] = "relative_lb", [D_RUB] = "relative_ub",
    [D_NLB] = "nominal_lb",  [D_NUB] = "nominal_ub",
    [D_STD] = "std_dev",     [D_PARAM] = "param",
    [D_N] = "num_samples",
};
static const char *const mode_names[] = {[PSW_DM_SUM] = "sum",
                                         [PSW_DM_PRODUCT] = "product",
                                         [PSW_DM_PERCENTILE] = "percentile"};

#define B(k) (1u << (k))

uint64_t psw__spec_nominal(const psw_spec_t *spec) {
  return spec->diff ? spec->diff->nominal : spec->total;
}

void psw__spec_diff_free(struct psw_spec_diff *d) {
  if (!d)
    return;
  free(d->p);
  free(d);
}

/* WaterTAP's arithmetic, operation for operation (volatile: no fma, which
 * would round once where numpy rounds twice). */
void psw__diff_bounds(const psw_diff_param_t *dp, double v, double *lb,
                      double *ub) {
  volatile double a, b;
  if (dp->kind == PSW_S_NORMAL) {
    *lb = v;
    *ub = dp->std_dev;
    return;
  }
  switch (dp->mode) {
  case PSW_DM_SUM:
    a = 1 - dp->rel_lb;
    b = 1 + dp->rel_ub;
    a = v * a;
    b = v * b;
    break;
  case PSW_DM_PRODUCT:
    a = v * dp->rel_lb;
    b = v * dp->rel_ub;
    break;
  default: { /* percentile */
    double delta = fabs(dp->nom_ub - dp->nom_lb);
    a = delta * dp->rel_lb;
    b = delta * dp->rel_ub;
    a = v + a;
    b = v + b;
  }
  }
  *lb = a;
  *ub = b;
}

static int read_kind(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                     const char *kp, psw_sampler_t *out) {
  static const psw_sampler_t ok[] = {PSW_S_UNIFORM, PSW_S_NORMAL, PSW_S_LINEAR,
                                     PSW_S_GEOM, PSW_S_REVERSE_GEOM};
  char *t = NULL;
  int rc = psw__spec_str(rd, kv->val, kp, &t);
  if (rc)
    return rc;
  for (size_t k = 0; k < sizeof ok / sizeof *ok; k++)
    if (!strcmp(t, psw__sampler_name(ok[k]))) {
      *out = ok[k];
      free(t);
      return 0;
    }
  rc = psw__spec_fail(rd, psw__spec_line(kv->val), kp,
                      "unknown differential sample type '%s' (valid: "
                      "UniformSample, NormalSample, LinearSample, GeomSample, "
                      "ReverseGeomSample)",
                      t);
  free(t);
  return rc;
}

static int read_mode(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                     const char *kp, psw_diff_mode_t *out) {
  char *t = NULL;
  int rc = psw__spec_str(rd, kv->val, kp, &t);
  if (rc)
    return rc;
  for (int m = PSW_DM_SUM; m <= PSW_DM_PERCENTILE; m++)
    if (!strcmp(t, mode_names[m])) {
      *out = (psw_diff_mode_t)m;
      free(t);
      return 0;
    }
  rc = psw__spec_fail(rd, psw__spec_line(kv->val), kp,
                      "unknown diff_mode '%s' (valid: sum, product, "
                      "percentile)",
                      t);
  free(t);
  return rc;
}

/* The keys an entry needs and may have, by type and mode. */
static void key_rules(const psw_diff_param_t *dp, unsigned *req,
                      unsigned *opt) {
  *opt = B(D_PARAM) | B(D_N);
  if (dp->kind == PSW_S_NORMAL) {
    *req = B(D_TYPE) | B(D_STD);
    *opt |= B(D_MODE);
    return;
  }
  *req = B(D_TYPE) | B(D_MODE) | B(D_RLB) | B(D_RUB);
  if (dp->mode == PSW_DM_PERCENTILE)
    *req |= B(D_NLB) | B(D_NUB);
}

static int check_keys(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                      const char *path, int line, const psw_diff_param_t *dp) {
  char kp[PSW__KEYPATH_MAX];
  unsigned req, opt;
  key_rules(dp, &req, &opt);
  for (int k = 0; k < D_COUNT; k++) {
    psw__spec_keypath(kp, path, dkeys[k]);
    if (kv[k].key && !((req | opt) & B(k)))
      return psw__spec_fail(rd, psw__spec_line(kv[k].key), kp,
                            "not used by %s%s%s", psw__sampler_name(dp->kind),
                            dp->mode ? " with diff_mode " : "",
                            dp->mode ? mode_names[dp->mode] : "");
    if (!kv[k].key && (req & B(k)))
      return psw__spec_fail(rd, line, kp, "missing (required by %s%s%s)",
                            psw__sampler_name(dp->kind),
                            dp->mode ? " with diff_mode " : "",
                            dp->mode ? mode_names[dp->mode] : "");
  }
  return 0;
}

static int num_key(psw__spec_rd_t *rd, const psw__spec_kv_t *kv, int k,
                   const char *path, double *out) {
  char kp[PSW__KEYPATH_MAX];
  if (!kv[k].key)
    return 0;
  psw__spec_keypath(kp, path, dkeys[k]);
  return psw__spec_num(rd, kv[k].val, kp, out);
}

/* The nominal values a parameter takes lie in [*lo, *hi]; 0 when they
 * are unbounded (NormalSample). */
static int nominal_range(const psw_param_t *p, double *lo, double *hi) {
  if (p->kind == PSW_S_NORMAL)
    return 0;
  *lo = fmin(p->lower, p->upper);
  *hi = fmax(p->lower, p->upper);
  return 1;
}

/* lb and ub are affine in the nominal value, so their extremes over the
 * range are at its ends: finite there means finite everywhere, and one
 * sign at both ends (for both bounds) means one sign everywhere. */
static int check_range(psw__spec_rd_t *rd, const psw_diff_param_t *dp,
                       const psw_param_t *p, const char *kp, int line) {
  double lo, hi, b[4];
  if (dp->kind == PSW_S_NORMAL)
    return 0;
  int geom = dp->kind == PSW_S_GEOM || dp->kind == PSW_S_REVERSE_GEOM;
  if (!nominal_range(p, &lo, &hi)) {
    if (!geom)
      return 0;
    return psw__spec_fail(rd, line, kp,
                          "%s needs bounded nominal values, but '%s' is a "
                          "NormalSample (its bounds could reach 0)",
                          psw__sampler_name(dp->kind), p->name);
  }
  psw__diff_bounds(dp, lo, &b[0], &b[1]);
  psw__diff_bounds(dp, hi, &b[2], &b[3]);
  for (int k = 0; k < 4; k++)
    if (!isfinite(b[k]))
      return psw__spec_fail(rd, line, kp,
                            "the differential bounds overflow a double for "
                            "nominal values in [%.15g, %.15g]",
                            lo, hi);
  if (!geom)
    return 0;
  int neg = b[0] < 0;
  for (int k = 0; k < 4; k++)
    if (b[k] == 0 || (b[k] < 0) != neg)
      return psw__spec_fail(
          rd, line, kp,
          "%s bounds must be non-zero and of one sign for every nominal "
          "value, but for '%s' in [%.15g, %.15g] they run from %.15g to "
          "%.15g (a geometric sequence cannot include or cross zero)",
          psw__sampler_name(dp->kind), p->name, lo, hi,
          fmin(fmin(b[0], b[1]), fmin(b[2], b[3])),
          fmax(fmax(b[0], b[1]), fmax(b[2], b[3])));
  return 0;
}

static int find_param(const psw_spec_t *s, const char *name, size_t *out) {
  for (size_t i = 0; i < s->nparams; i++)
    if (!strcmp(s->params[i].name, name)) {
      *out = i;
      return 1;
    }
  return 0;
}

static int read_entry(psw__spec_rd_t *rd, yaml_node_t *key, yaml_node_t *val,
                      psw_diff_param_t *dp, uint64_t *n, int *n_line) {
  psw_spec_t *s = rd->spec;
  char path[PSW__KEYPATH_MAX], kp[PSW__KEYPATH_MAX];
  psw__spec_kv_t kv[D_COUNT];
  const char *name = psw__spec_key_text(key);
  int line = psw__spec_line(key), rc;
  psw__spec_keypath(path, "differential", name);
  if (!find_param(s, name, &dp->param))
    return psw__spec_fail(rd, line, path,
                          "not a parameter of the sweep (each name under "
                          "differential must be one of parameters)");
  if ((rc = psw__spec_map(rd, val, path, dkeys, D_COUNT, kv)))
    return rc;
  psw__spec_keypath(kp, path, dkeys[D_TYPE]);
  if (!kv[D_TYPE].key)
    return psw__spec_fail(rd, line, kp, "missing (required key)");
  if ((rc = read_kind(rd, &kv[D_TYPE], kp, &dp->kind)))
    return rc;
  psw__spec_keypath(kp, path, dkeys[D_MODE]);
  if (kv[D_MODE].key && (rc = read_mode(rd, &kv[D_MODE], kp, &dp->mode)))
    return rc;
  if ((rc = check_keys(rd, kv, path, line, dp)) ||
      (rc = num_key(rd, kv, D_RLB, path, &dp->rel_lb)) ||
      (rc = num_key(rd, kv, D_RUB, path, &dp->rel_ub)) ||
      (rc = num_key(rd, kv, D_NLB, path, &dp->nom_lb)) ||
      (rc = num_key(rd, kv, D_NUB, path, &dp->nom_ub)) ||
      (rc = num_key(rd, kv, D_STD, path, &dp->std_dev)))
    return rc;
  if (kv[D_PARAM].key) {
    char *ignored = NULL; /* WaterTAP's model path: nothing to look up here */
    psw__spec_keypath(kp, path, dkeys[D_PARAM]);
    rc = psw__spec_str(rd, kv[D_PARAM].val, kp, &ignored);
    free(ignored);
    if (rc)
      return rc;
  }
  if (kv[D_STD].key && dp->std_dev < 0) {
    psw__spec_keypath(kp, path, dkeys[D_STD]);
    return psw__spec_fail(rd, psw__spec_line(kv[D_STD].val), kp,
                          "negative: %.15g (must be >= 0)", dp->std_dev);
  }
  if (kv[D_N].key) { /* the loop tool's per-entry count of num_diff_samples */
    uint64_t own;
    psw__spec_keypath(kp, path, dkeys[D_N]);
    if ((rc = psw__spec_uint(rd, kv[D_N].val, kp, UINT64_MAX, &own)))
      return rc;
    if (own == 0)
      return psw__spec_fail(rd, psw__spec_line(kv[D_N].val), kp,
                            "must be at least 1");
    if (*n && own != *n)
      return psw__spec_fail(rd, psw__spec_line(kv[D_N].val), kp,
                            "%llu, but num_diff_samples at line %d is %llu",
                            (unsigned long long)own, *n_line,
                            (unsigned long long)*n);
    if (!*n) {
      *n = own;
      *n_line = psw__spec_line(kv[D_N].val);
    }
  }
  dp->key = psw__mix64(psw__param_key(rd->spec->seed, name) ^
                       UINT64_C(0x44494646534d504c)); /* "DIFFSMPL" */
  psw__spec_keypath(kp, path, dkeys[D_TYPE]);
  return check_range(rd, dp, &s->params[dp->param], kp,
                     psw__spec_line(kv[D_TYPE].val));
}

/* D and N * (1 + D), bounded like every N by what one file can hold. */
static int set_totals(psw__spec_rd_t *rd, struct psw_spec_diff *d, int line) {
  psw_spec_t *s = rd->spec;
  uint64_t per = 1, max = psw__spec_max_samples(s->nparams + rd->noutputs);
  for (size_t k = 0; k < (d->is_grid ? d->np : 1); k++) {
    if (d->num_diff > max / per)
      goto big;
    per *= d->num_diff;
  }
  if (per + 1 > max / s->total)
    goto big;
  d->per = per;
  d->nominal = s->total;
  s->total *= per + 1;
  return 0;
big:
  return psw__spec_fail(rd, line, "num_diff_samples",
                        "%llu nominal samples with %llu differential samples "
                        "%s: too many for one results file (at most %llu "
                        "samples)",
                        (unsigned long long)s->total,
                        (unsigned long long)d->num_diff,
                        d->is_grid && d->np > 1
                            ? "per axis (the full factorial of the grid kinds)"
                            : "each",
                        (unsigned long long)max);
}

static int read_entries(psw__spec_rd_t *rd, yaml_node_t *n, int key_line,
                        struct psw_spec_diff *d, int *n_line) {
  size_t count =
      (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
  if (!count)
    return psw__spec_fail(rd, key_line, "differential",
                          "empty (at least one parameter is required)");
  if (!(d->p = calloc(count, sizeof *d->p)))
    return PSW_ERR_NOMEM;
  for (size_t i = 0; i < count; i++) {
    yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
    yaml_node_t *k = psw__spec_node(rd, pr->key);
    int rc = read_entry(rd, k, psw__spec_node(rd, pr->value), &d->p[i],
                        &d->num_diff, n_line);
    if (rc)
      return rc;
    d->np = i + 1;
    int grid = psw__sampler_is_grid(d->p[i].kind);
    if (i == 0) {
      d->is_grid = grid;
    } else if (grid != d->is_grid) {
      char kp[PSW__KEYPATH_MAX], pp[PSW__KEYPATH_MAX];
      psw__spec_keypath(pp, "differential", psw__spec_key_text(k));
      psw__spec_keypath(kp, pp, dkeys[D_TYPE]);
      return psw__spec_fail(
          rd, psw__spec_line(k), kp,
          "cannot mix sampling types: %s is a %s kind but the first entry's "
          "%s is a %s kind",
          psw__sampler_name(d->p[i].kind), grid ? "grid" : "random",
          psw__sampler_name(d->p[0].kind), grid ? "random" : "grid");
    }
  }
  return 0;
}

int psw__spec_read_diff(psw__spec_rd_t *rd, const psw__spec_kv_t *kv_n,
                        const psw__spec_kv_t *kv_d) {
  psw_spec_t *s = rd->spec;
  int rc, n_line = 0;
  if (!kv_d->key || psw__spec_is_null(kv_d->val)) {
    if (kv_n->key)
      return psw__spec_fail(rd, psw__spec_line(kv_n->key), "num_diff_samples",
                            "given without differential: (which parameters "
                            "to perturb, and how)");
    return 0;
  }
  /* A recursive sweep draws further samples of its design in rounds; the
   * differential samples are fixed blocks after N nominal ones. */
  if (s->num_successes)
    return psw__spec_fail(rd, psw__spec_line(kv_d->key), "differential",
                          "not with num_successes (a recursive sweep's "
                          "samples grow in rounds; a differential sweep's "
                          "follow a fixed set of nominal ones)");
  struct psw_spec_diff *d = calloc(1, sizeof *d);
  if (!d)
    return PSW_ERR_NOMEM;
  s->diff = d; /* freed with the spec, even when half read */
  if (kv_n->key) {
    n_line = psw__spec_line(kv_n->val);
    if ((rc = psw__spec_uint(rd, kv_n->val, "num_diff_samples", UINT64_MAX,
                             &d->num_diff)))
      return rc;
    if (!d->num_diff)
      return psw__spec_fail(rd, n_line, "num_diff_samples",
                            "must be at least 1");
  }
  if ((rc = psw__spec_map_free_keys(rd, kv_d->val, "differential")) ||
      (rc = read_entries(rd, kv_d->val, psw__spec_line(kv_d->key), d, &n_line)))
    return rc;
  if (!d->num_diff)
    d->num_diff = 1; /* WaterTAP's default */
  return set_totals(rd, d, n_line ? n_line : psw__spec_line(kv_d->key));
}
