/* parsweep — sample designs: sample i of a spec, computed from (spec, seed,
 * i) alone, in O(1) memory per design whatever N is.
 *
 * Grid kinds (full factorial, C order over the parameters as listed, first
 * parameter slowest = numpy.meshgrid(indexing="ij") flattened): i is split
 * into one digit per axis, last axis fastest, and each axis value is
 * computed directly, as WaterTAP's sampling_types.py defines it
 * (watertap/tools/parameter_sweep/sampling_types.py):
 * (lower = lower_limit, upper = upper_limit, in either order: numpy's
 * descending ranges and, for the geometric kinds, both bounds negative)
 *   LinearSample             numpy.linspace(lower, upper, n)
 *   GeomSample               numpy.geomspace(lower, upper, n, endpoint=True)
 *   ReverseGeomSample        ((upper + lower) - geomspace(lower, upper,
 * n))[::-1] PredeterminedFixedSample the array, as given linspace follows
 * numpy 1.24's arithmetic step by step (k * step + start, the exact endpoint,
 * the step == 0 branch), so values agree with numpy bit for bit; geomspace is
 * 10 ** linspace(log10(lower), log10(upper), n) with exact endpoints, as numpy
 * does, but pow/log10 come from libm, which numpy may replace with SIMD
 * versions: expect agreement to ~1 ulp there.
 *
 * Random kinds (one row per sample): see design_random.h. WaterTAP sorts
 * the random rows by the first parameter; we do not (that needs all N rows
 * at once), so row i here is not WaterTAP's row i; the set of rows has the
 * same distribution. */
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "design.h"
#include "design_diff.h"
#include "design_random.h"
#include "parsweep/error.h"

#define SOBOL_MAX_DIM 40

struct psw_design {
  const psw_spec_t *spec;
  gsl_rng *rng;           /* taus2, re-seeded for every (parameter, index) */
  uint64_t *key;          /* [nparams] stream key of each parameter */
  psw__perm_t *strata;    /* [nparams] LatinHypercubeSample permutations */
  int *sobol_dim;         /* [nparams] coordinate in the Sobol point, or -1 */
  gsl_qrng *sobol;        /* NULL without SobolSample parameters */
  double *sobol_pt;       /* the point of index sobol_next - 1 */
  uint64_t sobol_next;    /* index of the point gsl_qrng_get returns next */
  psw_diff_state_t *diff; /* differential samples (design_diff.c), or NULL */
};

static double grid_value(const psw_param_t *p, uint64_t k) {
  if (p->kind == PSW_S_FIXED)
    return p->array[k];
  return psw__axis_value(p->kind, p->lower, p->upper, p->num_samples, k);
}

/* Stratum k of N: a jitter u in [0, 1) placed in [k/N, (k+1)/N), with the
 * same edge computation a check would use, and kept below the upper edge. */
static double lhs_unit(uint64_t k, uint64_t n, double u) {
  double a = (double)k / (double)n, b = (double)(k + 1) / (double)n;
  volatile double t = (b - a) * u;
  double x = a + t;
  if (x >= b)
    x = nextafter(b, a);
  return x;
}

static int sobol_point(psw_design_t *d, uint64_t i) {
  if (d->sobol_next == i + 1)
    return 0;
  /* Workers take increasing chunks, so the cursor normally only moves
   * forward; going back restarts the sequence and skips to i. */
  if (d->sobol_next > i + 1) {
    gsl_qrng_init(d->sobol);
    d->sobol_next = 0;
  }
  while (d->sobol_next <= i) {
    if (gsl_qrng_get(d->sobol, d->sobol_pt))
      return PSW_ERR_INVAL; /* past the generator's 2^30 - 1 points */
    d->sobol_next++;
  }
  return 0;
}

static int random_sample(psw_design_t *d, uint64_t i, double *values) {
  const psw_spec_t *s = d->spec;
  if (d->sobol) {
    int rc = sobol_point(d, i);
    if (rc)
      return rc;
  }
  for (size_t j = 0; j < s->nparams; j++) {
    const psw_param_t *p = &s->params[j];
    switch (p->kind) {
    case PSW_S_UNIFORM:
      psw__stream_seed(d->rng, d->key[j], i);
      values[j] = psw__scale_open(p->lower, p->upper, psw__stream_u53(d->rng));
      break;
    case PSW_S_NORMAL:
      psw__stream_seed(d->rng, d->key[j], i);
      values[j] = p->mean + gsl_ran_gaussian(d->rng, p->std);
      break;
    case PSW_S_LHS: {
      uint64_t k = psw__perm_apply(&d->strata[j], i);
      psw__stream_seed(d->rng, d->key[j], i);
      double x = lhs_unit(k, p->num_samples, psw__stream_u53(d->rng));
      values[j] = psw__scale_open(p->lower, p->upper, x);
      break;
    }
    case PSW_S_RANDOM:
      values[j] = p->array[i];
      break;
    case PSW_S_SOBOL:
      values[j] =
          psw__scale_open(p->lower, p->upper, d->sobol_pt[d->sobol_dim[j]]);
      break;
    default:
      return PSW_ERR_INVAL;
    }
  }
  return 0;
}

int psw__design_sample(psw_design_t *d, uint64_t i, double *values) {
  if (!d || !values || i >= d->spec->total)
    return PSW_ERR_INVAL;
  const psw_spec_t *s = d->spec;
  if (i >= psw__spec_nominal(s)) {
    /* A differential sample: its nominal sample, then perturbed. */
    int rc = psw__design_sample(d, psw__diff_nominal(d->diff, i), values);
    return rc ? rc : psw__diff_apply(d->diff, i, values);
  }
  if (!s->is_grid)
    return random_sample(d, i, values);
  uint64_t rem = i;
  for (size_t j = s->nparams; j-- > 0;) {
    const psw_param_t *p = &s->params[j];
    values[j] = grid_value(p, rem % p->num_samples);
    rem /= p->num_samples;
  }
  return 0;
}

/* Everything the random kinds need, sized by the number of parameters. */
static int setup_random(psw_design_t *d) {
  const psw_spec_t *s = d->spec;
  size_t np = s->nparams;
  unsigned ndim = 0;
  d->key = calloc(np, sizeof *d->key);
  d->strata = calloc(np, sizeof *d->strata);
  d->sobol_dim = calloc(np, sizeof *d->sobol_dim);
  if (!d->key || !d->strata || !d->sobol_dim)
    return PSW_ERR_NOMEM;
  for (size_t j = 0; j < np; j++) {
    const psw_param_t *p = &s->params[j];
    uint64_t n = psw__spec_nominal(s);
    if (psw__sampler_is_grid(p->kind) || p->num_samples != n)
      return PSW_ERR_INVAL;
    if (p->kind == PSW_S_RANDOM && p->array_len != n)
      return PSW_ERR_INVAL;
    d->key[j] = psw__param_key(s->seed, p->name);
    psw__perm_init(&d->strata[j], n, psw__mix64(~d->key[j]));
    d->sobol_dim[j] = p->kind == PSW_S_SOBOL ? (int)ndim++ : -1;
  }
  /* GSL 2.7 does not check the Sobol dimension: larger ones read past its
   * tables. The spec reader rejects them; this guards other callers. */
  if (ndim > SOBOL_MAX_DIM)
    return PSW_ERR_INVAL;
  d->rng = gsl_rng_alloc(gsl_rng_taus2);
  if (!d->rng)
    return PSW_ERR_NOMEM;
  if (gsl_rng_min(d->rng) != 0 || gsl_rng_max(d->rng) != UINT32_MAX)
    return PSW_ERR_INVAL;
  if (ndim) {
    d->sobol = gsl_qrng_alloc(gsl_qrng_sobol, ndim);
    d->sobol_pt = malloc(ndim * sizeof *d->sobol_pt);
    if (!d->sobol || !d->sobol_pt)
      return PSW_ERR_NOMEM;
  }
  return 0;
}

int psw__design_create(const psw_spec_t *spec, psw_design_t **out) {
  if (!out)
    return PSW_ERR_INVAL;
  *out = NULL;
  if (!spec || !spec->nparams || !spec->params || !spec->total)
    return PSW_ERR_INVAL;
  for (size_t j = 0; j < spec->nparams; j++) {
    const psw_param_t *p = &spec->params[j];
    if ((unsigned)p->kind > PSW_S_SOBOL || !p->num_samples ||
        psw__sampler_is_grid(p->kind) != !!spec->is_grid ||
        ((p->kind == PSW_S_FIXED || p->kind == PSW_S_RANDOM) &&
         (!p->array || p->array_len < p->num_samples)))
      return PSW_ERR_INVAL;
  }
  psw_design_t *d = calloc(1, sizeof *d);
  if (!d)
    return PSW_ERR_NOMEM;
  d->spec = spec;
  int rc = spec->is_grid ? 0 : setup_random(d);
  if (!rc && spec->diff)
    rc = psw__diff_state_create(spec, &d->diff);
  if (rc) {
    psw__design_free(d);
    return rc;
  }
  *out = d;
  return 0;
}

void psw__design_free(psw_design_t *d) {
  if (!d)
    return;
  if (d->rng)
    gsl_rng_free(d->rng);
  if (d->sobol)
    gsl_qrng_free(d->sobol);
  free(d->sobol_pt);
  free(d->key);
  free(d->strata);
  free(d->sobol_dim);
  psw__diff_state_free(d->diff);
  free(d);
}
