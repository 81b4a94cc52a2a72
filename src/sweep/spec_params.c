/* parsweep — the `parameters:` and `outputs:` sections of a sweep spec.
 *
 * Parameter entries use the keys of WaterTAP's parameter-sweep YAML reader
 * (type, param, lower_limit, upper_limit, num_samples, mean, std, array) plus
 * `units`. Each sampler type has required and optional keys; a key that the
 * type does not use is an error rather than silently ignored, because a
 * `std:` under a UniformSample is a mistake the user wants to hear about.
 *
 * Cross-parameter rules, as in WaterTAP's parameter_sweep:
 *  - grid kinds and random kinds cannot be mixed ("Cannot mix sampling
 *    types");
 *  - all random parameters take the same number of samples.
 * Random kinds may be mixed with each other (WaterTAP keeps LHS apart only
 * because it draws LHS points jointly; ours are drawn per parameter). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "spec_read.h"

/* gsl_qrng_sobol's direction-number table has 40 dimensions; GSL 2.7 does
 * not check the dimension it is given, so the bound is enforced here. */
#define SOBOL_MAX_DIM 40
/* gsl_qrng_sobol uses 30-bit integers: it fails after 2^30 - 1 points. */
#define SOBOL_MAX_POINTS ((UINT64_C(1) << 30) - 1)

enum {
  K_TYPE,
  K_PARAM,
  K_LO,
  K_UP,
  K_N,
  K_MEAN,
  K_STD,
  K_ARRAY,
  K_UNITS,
  K_SET_MODE,
  K_DEFAULT,
  K_COUNT
};
static const char *const pkeys[K_COUNT] = {
    [K_TYPE] = "type",
    [K_PARAM] = "param",
    [K_LO] = "lower_limit",
    [K_UP] = "upper_limit",
    [K_N] = "num_samples",
    [K_MEAN] = "mean",
    [K_STD] = "std",
    [K_ARRAY] = "array",
    [K_UNITS] = "units",
    [K_SET_MODE] = "set_mode",
    [K_DEFAULT] = "default_value",
};

#define B(k) (1u << (k))
#define BOUNDS (B(K_LO) | B(K_UP))
#define COMMON                                                                 \
  (B(K_TYPE) | B(K_PARAM) | B(K_UNITS) | B(K_SET_MODE) | B(K_DEFAULT))
static const struct {
  unsigned req, opt;
} rules[] = {
    [PSW_S_LINEAR] = {BOUNDS | B(K_N), 0},
    [PSW_S_GEOM] = {BOUNDS | B(K_N), 0},
    [PSW_S_REVERSE_GEOM] = {BOUNDS | B(K_N), 0},
    [PSW_S_FIXED] = {B(K_ARRAY), 0},
    [PSW_S_UNIFORM] = {BOUNDS, B(K_N)},
    [PSW_S_NORMAL] = {B(K_MEAN) | B(K_STD), B(K_N)},
    [PSW_S_LHS] = {BOUNDS, B(K_N)},
    [PSW_S_RANDOM] = {B(K_ARRAY), 0},
    [PSW_S_SOBOL] = {BOUNDS, B(K_N)},
};
#define NSAMPLERS (sizeof rules / sizeof *rules)

/* Where things are, for the cross-parameter messages. */
typedef struct ploc {
  int key_line;   /* the parameter's name */
  int type_line;  /* its `type:` value */
  int count_line; /* num_samples or array, 0 when neither */
  int own_count;  /* num_samples or array given by this parameter */
} ploc_t;

static int read_array(psw__spec_rd_t *rd, const yaml_node_t *n,
                      const char *path, psw_param_t *p) {
  char ip[PSW__KEYPATH_MAX];
  if (n->type != YAML_SEQUENCE_NODE)
    return psw__spec_fail(rd, psw__spec_line(n), path,
                          "expected a sequence of numbers, got %s",
                          psw__spec_what(n));
  size_t len =
      (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
  if (!len)
    return psw__spec_fail(rd, psw__spec_line(n), path, "empty array");
  p->array = malloc(len * sizeof *p->array);
  if (!p->array)
    return PSW_ERR_NOMEM;
  for (size_t i = 0; i < len; i++) {
    yaml_node_t *it = psw__spec_node(rd, n->data.sequence.items.start[i]);
    psw__spec_itempath(ip, path, i);
    int rc = psw__spec_num(rd, it, ip, &p->array[i]);
    if (rc)
      return rc;
    p->array_len = i + 1;
  }
  p->lower = p->upper = p->array[0];
  for (size_t i = 1; i < len; i++) {
    p->lower = fmin(p->lower, p->array[i]);
    p->upper = fmax(p->upper, p->array[i]);
  }
  p->num_samples = len;
  return 0;
}

static int parse_type(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                      const char *path, psw_sampler_t *out) {
  char *t = NULL;
  int rc = psw__spec_str(rd, kv->val, path, &t);
  if (rc)
    return rc;
  for (size_t s = 0; s < NSAMPLERS; s++)
    if (!strcmp(t, psw__sampler_name((psw_sampler_t)s))) {
      *out = (psw_sampler_t)s;
      free(t);
      return 0;
    }
  rc = psw__spec_fail(
      rd, psw__spec_line(kv->val), path,
      "unknown sampler type '%s' (valid: LinearSample, GeomSample, "
      "ReverseGeomSample, PredeterminedFixedSample, UniformSample, "
      "NormalSample, LatinHypercubeSample, PredeterminedRandomSample, "
      "SobolSample)",
      t);
  free(t);
  return rc;
}

/* Key presence against the type's rules: unused keys, then missing ones.
 * In a WaterTAP file an unused key is dropped instead (WaterTAP's reader
 * reads only the keys of the type, so its users' files carry others, e.g.
 * the bounds of a type they switched from). */
static int check_keys(psw__spec_rd_t *rd, psw__spec_kv_t *kv, const char *path,
                      int key_line, psw_sampler_t s) {
  char kp[PSW__KEYPATH_MAX];
  unsigned allowed = rules[s].req | rules[s].opt | COMMON;
  for (int k = 0; k < K_COUNT; k++) {
    psw__spec_keypath(kp, path, pkeys[k]);
    if (kv[k].key && !(allowed & B(k)) && rd->wt_file)
      kv[k].key = kv[k].val = NULL;
    else if (kv[k].key && !(allowed & B(k)))
      return psw__spec_fail(rd, psw__spec_line(kv[k].key), kp, "not used by %s",
                            psw__sampler_name(s));
  }
  for (int k = 0; k < K_COUNT; k++) {
    psw__spec_keypath(kp, path, pkeys[k]);
    if (!kv[k].key && (rules[s].req & B(k)))
      return psw__spec_fail(rd, key_line, kp, "missing (required by %s)",
                            psw__sampler_name(s));
  }
  return 0;
}

static int read_bounds(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                       const char *path, psw_param_t *p) {
  char lo[PSW__KEYPATH_MAX], up[PSW__KEYPATH_MAX];
  psw__spec_keypath(lo, path, pkeys[K_LO]);
  psw__spec_keypath(up, path, pkeys[K_UP]);
  int rc = psw__spec_num(rd, kv[K_LO].val, lo, &p->lower);
  if (!rc)
    rc = psw__spec_num(rd, kv[K_UP].val, up, &p->upper);
  if (rc)
    return rc;
  int lo_line = psw__spec_line(kv[K_LO].val);
  int up_line = psw__spec_line(kv[K_UP].val);
  int geom = p->kind == PSW_S_GEOM || p->kind == PSW_S_REVERSE_GEOM;
  /* Grid kinds take what numpy takes: linspace and geomspace run from
   * lower_limit to upper_limit in either direction. Random kinds draw
   * from an interval. */
  if (p->lower > p->upper && !psw__sampler_is_grid(p->kind))
    return psw__spec_fail(rd, lo_line, lo,
                          "greater than upper_limit (%.15g > %.15g)", p->lower,
                          p->upper);
  if (!isfinite(p->upper - p->lower))
    return psw__spec_fail(rd, lo_line, lo,
                          "upper_limit - lower_limit overflows a double");
  /* numpy.geomspace refuses 0 and gives NaN between bounds of mixed
   * signs; both negative is its negated geomspace of the magnitudes. */
  if (geom && (p->lower == 0 || p->upper == 0))
    return psw__spec_fail(rd, p->lower == 0 ? lo_line : up_line,
                          p->lower == 0 ? lo : up,
                          "must not be 0 for %s (a geometric sequence cannot "
                          "include zero)",
                          psw__sampler_name(p->kind));
  if (geom && (p->lower < 0) != (p->upper < 0))
    return psw__spec_fail(rd, lo_line, lo,
                          "%.15g and upper_limit %.15g differ in sign (%s: a "
                          "geometric sequence cannot change sign)",
                          p->lower, p->upper, psw__sampler_name(p->kind));
  return 0;
}

static int read_normal(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                       const char *path, psw_param_t *p) {
  char mp[PSW__KEYPATH_MAX], sp[PSW__KEYPATH_MAX];
  psw__spec_keypath(mp, path, pkeys[K_MEAN]);
  psw__spec_keypath(sp, path, pkeys[K_STD]);
  int rc = psw__spec_num(rd, kv[K_MEAN].val, mp, &p->mean);
  if (!rc)
    rc = psw__spec_num(rd, kv[K_STD].val, sp, &p->std);
  if (rc)
    return rc;
  int line = psw__spec_line(kv[K_STD].val);
  if (p->std < 0)
    return psw__spec_fail(rd, line, sp, "negative: %.15g (must be >= 0)",
                          p->std);
  /* The recorded bounds of a NormalSample are mean -/+ 3 std. */
  p->lower = p->mean - 3 * p->std;
  p->upper = p->mean + 3 * p->std;
  if (!isfinite(p->lower) || !isfinite(p->upper))
    return psw__spec_fail(rd, line, sp, "too large: mean -/+ 3 std overflows");
  return 0;
}

/* set_mode and default_value, as WaterTAP's reader takes them: set_mode
 * one of its four modes (null: the default, fix_value), default_value a
 * number or null. Only recorded: the model applies the values. */
static int read_set_mode(psw__spec_rd_t *rd, const psw__spec_kv_t *kv,
                         const char *path, psw_param_t *p) {
  static const char *const modes[] = {"fix_value", "set_lb", "set_ub",
                                      "set_fixed_state"};
  char kp[PSW__KEYPATH_MAX];
  int rc;
  if (kv[K_SET_MODE].key && !psw__spec_is_null(kv[K_SET_MODE].val)) {
    psw__spec_keypath(kp, path, pkeys[K_SET_MODE]);
    if ((rc = psw__spec_str(rd, kv[K_SET_MODE].val, kp, &p->set_mode)))
      return rc;
    size_t m = 0;
    while (m < sizeof modes / sizeof *modes && strcmp(modes[m], p->set_mode))
      m++;
    if (m == sizeof modes / sizeof *modes)
      return psw__spec_fail(rd, psw__spec_line(kv[K_SET_MODE].val), kp,
                            "unknown set_mode '%s' (valid: fix_value, set_lb, "
                            "set_ub, set_fixed_state)",
                            p->set_mode);
  }
  if (kv[K_DEFAULT].key && !psw__spec_is_null(kv[K_DEFAULT].val)) {
    psw__spec_keypath(kp, path, pkeys[K_DEFAULT]);
    if ((rc = psw__spec_num(rd, kv[K_DEFAULT].val, kp, &p->default_value)))
      return rc;
    p->has_default = 1;
  }
  return 0;
}

static int read_param(psw__spec_rd_t *rd, yaml_node_t *key, yaml_node_t *val,
                      psw_param_t *p, ploc_t *loc) {
  char path[PSW__KEYPATH_MAX], kp[PSW__KEYPATH_MAX];
  psw__spec_kv_t kv[K_COUNT];
  const char *name = psw__spec_key_text(key);
  int rc;
  psw__spec_keypath(path, rd->pprefix, name);
  loc->key_line = p->line = psw__spec_line(key);
  if ((rc = psw__spec_dup(name, strlen(name), &p->name)))
    return rc;
  if ((rc = psw__spec_check_name(rd, name, p->line, path, "parameter")))
    return rc;
  if ((rc = psw__spec_map(rd, val, path, pkeys, K_COUNT, kv)))
    return rc;

  psw__spec_keypath(kp, path, pkeys[K_TYPE]);
  if (!kv[K_TYPE].key)
    return psw__spec_fail(rd, p->line, kp, "missing (required key)");
  if ((rc = parse_type(rd, &kv[K_TYPE], kp, &p->kind)))
    return rc;
  loc->type_line = psw__spec_line(kv[K_TYPE].val);
  if ((rc = check_keys(rd, kv, path, p->line, p->kind)))
    return rc;

  psw__spec_keypath(kp, path, pkeys[K_PARAM]);
  if (kv[K_PARAM].key)
    rc = psw__spec_str(rd, kv[K_PARAM].val, kp, &p->full_name);
  else
    rc = psw__spec_dup(name, strlen(name), &p->full_name);
  if (rc)
    return rc;
  psw__spec_keypath(kp, path, pkeys[K_UNITS]);
  if (kv[K_UNITS].key)
    rc = psw__spec_str(rd, kv[K_UNITS].val, kp, &p->units);
  else
    rc = psw__spec_dup("None", 4, &p->units);
  if (rc || (rc = read_set_mode(rd, kv, path, p)))
    return rc;

  if (kv[K_LO].key && (rc = read_bounds(rd, kv, path, p)))
    return rc;
  if (kv[K_MEAN].key && (rc = read_normal(rd, kv, path, p)))
    return rc;
  if (kv[K_ARRAY].key) {
    psw__spec_keypath(kp, path, pkeys[K_ARRAY]);
    if ((rc = read_array(rd, kv[K_ARRAY].val, kp, p)))
      return rc;
    loc->count_line = psw__spec_line(kv[K_ARRAY].val);
    loc->own_count = 1;
  }
  if (kv[K_N].key) {
    psw__spec_keypath(kp, path, pkeys[K_N]);
    rc = psw__spec_uint(rd, kv[K_N].val, kp, UINT64_MAX, &p->num_samples);
    if (rc)
      return rc;
    loc->count_line = psw__spec_line(kv[K_N].val);
    loc->own_count = 1;
    if (p->num_samples == 0)
      return psw__spec_fail(rd, loc->count_line, kp, "must be at least 1");
  }
  return 0;
}

static const char *count_key(const psw_param_t *p) {
  return p->array ? "array" : "num_samples";
}

/* WaterTAP raises "Cannot mix sampling types" when grid and random kinds
 * are combined; the message here also says which parameters clash. */
static int check_mixing(psw__spec_rd_t *rd, const ploc_t *loc) {
  psw_spec_t *s = rd->spec;
  int grid0 = psw__sampler_is_grid(s->params[0].kind);
  char kp[PSW__KEYPATH_MAX], pp[PSW__KEYPATH_MAX];
  for (size_t i = 1; i < s->nparams; i++) {
    if (psw__sampler_is_grid(s->params[i].kind) == grid0)
      continue;
    psw__spec_keypath(pp, rd->pprefix, s->params[i].name);
    psw__spec_keypath(kp, pp, "type");
    return psw__spec_fail(
        rd, loc[i].type_line, kp,
        "cannot mix sampling types: %s is a %s kind but '%s' (%s) is a %s "
        "kind",
        psw__sampler_name(s->params[i].kind), grid0 ? "random" : "grid",
        s->params[0].name, psw__sampler_name(s->params[0].kind),
        grid0 ? "grid" : "random");
  }
  s->is_grid = grid0;
  return 0;
}

/* "parameters.<name>.num_samples" (or .array) of p into kp. */
static const char *kp_count(const psw__spec_rd_t *rd, char *kp,
                            const psw_param_t *p) {
  char pp[PSW__KEYPATH_MAX];
  psw__spec_keypath(pp, rd->pprefix, p->name);
  psw__spec_keypath(kp, pp, count_key(p));
  return kp;
}

/* N samples must fit one results.h5: refused here, naming the key that
 * gave N, rather than by HDF5 ("cannot create the layout") or later. */
static int check_total(psw__spec_rd_t *rd, uint64_t n, int line,
                       const char *key) {
  size_t nv = rd->spec->nparams + rd->noutputs;
  uint64_t max = psw__spec_max_samples(nv);
  if (n <= max)
    return 0;
  return psw__spec_fail(rd, line, key,
                        "%llu samples: too many for one results file (%zu "
                        "values and %d bytes of status a sample, at most "
                        "%llu samples in the largest file, 2^63-1 bytes)",
                        (unsigned long long)n, nv, PSW_SPEC_ROW_FIXED,
                        (unsigned long long)max);
}

static int grid_total(psw__spec_rd_t *rd, const ploc_t *loc) {
  psw_spec_t *s = rd->spec;
  char kp[PSW__KEYPATH_MAX];
  uint64_t total = 1;
  int rc;
  for (size_t i = 0; i < s->nparams; i++) {
    const psw_param_t *p = &s->params[i];
    if (p->num_samples > UINT64_MAX / total) {
      return psw__spec_fail(rd, loc[i].count_line, kp_count(rd, kp, p),
                            "total number of samples (product of the grid "
                            "axes) overflows 64 bits");
    }
    total *= p->num_samples;
    if ((rc = check_total(rd, total, loc[i].count_line, kp_count(rd, kp, p))))
      return rc;
  }
  s->total = total;
  return 0;
}

/* All random parameters take the same number of rows N: the top-level
 * num_samples, else the first parameter that gives its own (num_samples, or
 * the length of a PredeterminedRandomSample array). A parameter without its
 * own count needs the top-level one. */
static int random_total(psw__spec_rd_t *rd, const ploc_t *loc, int ns_line) {
  psw_spec_t *s = rd->spec;
  char pp[PSW__KEYPATH_MAX], kp[PSW__KEYPATH_MAX];
  uint64_t n = s->num_samples;
  int n_line = ns_line;
  /* In a WaterTAP file, "num_samples at line N" would point into it. */
  const char *n_from = rd->wt_file ? "the spec's num_samples" : "num_samples";
  unsigned sobol = 0;
  for (size_t i = 0; i < s->nparams; i++) {
    psw_param_t *p = &s->params[i];
    psw__spec_keypath(pp, rd->pprefix, p->name);
    if (!loc[i].own_count) {
      if (!s->num_samples) {
        psw__spec_keypath(kp, pp, "num_samples");
        return psw__spec_fail(rd, loc[i].key_line, kp,
                              "missing (%s needs num_samples here or at the "
                              "top level)",
                              psw__sampler_name(p->kind));
      }
      p->num_samples = s->num_samples;
    } else if (!n) {
      n = p->num_samples;
      n_line = loc[i].count_line;
      n_from = p->name;
    } else if (p->num_samples != n) {
      psw__spec_keypath(kp, pp, count_key(p));
      return psw__spec_fail(rd, loc[i].count_line, kp,
                            "%llu samples, but %s at line %d gives %llu (all "
                            "random parameters take the same number of "
                            "samples)",
                            (unsigned long long)p->num_samples, n_from, n_line,
                            (unsigned long long)n);
    }
    if (p->kind == PSW_S_SOBOL && ++sobol > SOBOL_MAX_DIM) {
      psw__spec_keypath(kp, pp, "type");
      return psw__spec_fail(rd, loc[i].type_line, kp,
                            "more than %d SobolSample parameters (the limit "
                            "of GSL's Sobol generator)",
                            SOBOL_MAX_DIM);
    }
  }
  if (sobol && n > SOBOL_MAX_POINTS) {
    for (size_t i = 0; i < s->nparams; i++)
      if (s->params[i].kind == PSW_S_SOBOL) {
        psw__spec_keypath(pp, rd->pprefix, s->params[i].name);
        psw__spec_keypath(kp, pp, "num_samples");
        return psw__spec_fail(
            rd, loc[i].count_line ? loc[i].count_line : ns_line, kp,
            "%llu samples: SobolSample gives at most %llu",
            (unsigned long long)n, (unsigned long long)SOBOL_MAX_POINTS);
      }
  }
  s->total = n;
  for (size_t i = 0; i < s->nparams; i++)
    if (s->params[i].name == n_from)
      return check_total(rd, n, n_line, kp_count(rd, kp, &s->params[i]));
  psw__spec_rd_t top = *rd; /* N is the spec's num_samples: name the spec */
  top.path = rd->spec_path;
  return check_total(&top, n, n_line, "num_samples");
}

int psw__spec_read_param_map(psw__spec_rd_t *rd, yaml_node_t *n, int key_line,
                             int num_samples_line) {
  psw_spec_t *s = rd->spec;
  int rc = psw__spec_map_free_keys(rd, n, rd->pprefix);
  if (rc)
    return rc;
  size_t count =
      (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
  if (!count)
    return psw__spec_fail(rd, key_line, rd->pprefix,
                          "empty (at least one parameter is required)");
  if (count > PSW_SPEC_MAX_VALUES)
    return psw__spec_fail(rd, key_line, rd->pprefix,
                          "%zu parameters: at most %d parameters and outputs "
                          "together (a sample's values must fit parsweep's "
                          "128 KiB record)",
                          count, PSW_SPEC_MAX_VALUES);
  s->params = calloc(count, sizeof *s->params);
  ploc_t *loc = calloc(count, sizeof *loc);
  if (!s->params || !loc) {
    free(loc);
    return PSW_ERR_NOMEM;
  }
  for (size_t i = 0; i < count && !rc; i++) {
    yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
    s->nparams = i + 1; /* so that psw__spec_free sees a partial entry */
    rc = read_param(rd, psw__spec_node(rd, pr->key),
                    psw__spec_node(rd, pr->value), &s->params[i], &loc[i]);
  }
  if (!rc)
    rc = check_mixing(rd, loc);
  if (!rc)
    rc = s->is_grid ? grid_total(rd, loc)
                    : random_total(rd, loc, num_samples_line);
  free(loc);
  return rc;
}
