/* parsweep — differential samples (SPEC §3.2), as WaterTAP's
 * DifferentialParameterSweep makes them.
 *
 * For each nominal sample WaterTAP runs an inner ParameterSweep whose
 * parameters are the differential ones, each with the bounds of
 * _create_differential_sweep_params around its nominal value
 * (psw__diff_bounds) and num_diff_samples values; the other parameters keep
 * their nominal values. Hence:
 *  - grid kinds (LinearSample, GeomSample, ReverseGeomSample): the full
 *    factorial of the differential parameters, first one slowest, each axis
 *    numpy's linspace/geomspace between its bounds (the same code as the
 *    nominal grids, so the same bits);
 *  - random kinds: one row per draw, UniformSample lb + (ub - lb) * u,
 *    NormalSample nominal + std_dev * z. WaterTAP re-seeds numpy with the
 *    sweep's seed before every inner sweep, so every nominal sample gets the
 *    same draws u_j / z_j (common random numbers) and only the bounds move.
 *    We do the same: draw j of a differential parameter is its own stream
 *    (key from the seed and the name, counter j), whatever the nominal
 *    sample. The inner sweep then sorts its rows by the first differential
 *    parameter's values (numpy.argsort); so do we, per nominal sample, ties
 *    in draw order (numpy's quicksort leaves their order unspecified).
 * Our streams are parsweep's (design_random.h), not numpy's Mersenne
 * Twister: the draws differ from WaterTAP's, their use does not. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "design_diff.h"
#include "design_random.h"
#include "parsweep/error.h"

struct diff_pair {
  double v;
  uint64_t j;
};

struct psw_diff_state {
  const struct psw_spec_diff *d;
  gsl_rng *rng;
  struct diff_pair *order; /* [per], random kinds with per > 1 */
  uint64_t cached;         /* nominal sample whose block `order` sorts */
  int have;                /* `cached` is valid */
  double *lb, *ub;         /* [np] bounds of the current nominal sample */
};

int psw__diff_state_create(const psw_spec_t *spec, psw_diff_state_t **out) {
  const struct psw_spec_diff *d = spec->diff;
  *out = NULL;
  if (!d || !d->np || !d->per)
    return PSW_ERR_INVAL;
  psw_diff_state_t *st = calloc(1, sizeof *st);
  if (!st)
    return PSW_ERR_NOMEM;
  st->d = d;
  st->lb = malloc(d->np * sizeof *st->lb);
  st->ub = malloc(d->np * sizeof *st->ub);
  int bad = !st->lb || !st->ub;
  if (!bad && !d->is_grid) {
    st->rng = gsl_rng_alloc(gsl_rng_taus2);
    if (d->per > 1)
      st->order = malloc(d->per * sizeof *st->order);
    bad = !st->rng || (d->per > 1 && !st->order);
  }
  if (bad) {
    psw__diff_state_free(st);
    return PSW_ERR_NOMEM;
  }
  *out = st;
  return 0;
}

void psw__diff_state_free(psw_diff_state_t *st) {
  if (!st)
    return;
  if (st->rng)
    gsl_rng_free(st->rng);
  free(st->order);
  free(st->lb);
  free(st->ub);
  free(st);
}

/* Draw j of a random differential parameter with bounds (lb, ub) (for
 * NormalSample: mean lb, standard deviation ub). */
static double draw(psw_diff_state_t *st, const psw_diff_param_t *p, double lb,
                   double ub, uint64_t j) {
  psw__stream_seed(st->rng, p->key, j);
  if (p->kind == PSW_S_NORMAL)
    return lb + gsl_ran_gaussian(st->rng, ub);
  return psw__scale_open(lb, ub, psw__stream_u53(st->rng));
}

static int by_value(const void *a, const void *b) {
  const struct diff_pair *x = a, *y = b;
  if (x->v != y->v)
    return x->v < y->v ? -1 : 1;
  return (x->j > y->j) - (x->j < y->j);
}

/* The draw that is row r of nominal sample n's block. */
static uint64_t sorted_draw(psw_diff_state_t *st, uint64_t n, uint64_t r) {
  const struct psw_spec_diff *d = st->d;
  if (d->per == 1)
    return 0;
  if (!st->have || st->cached != n) {
    for (uint64_t j = 0; j < d->per; j++) {
      st->order[j].v = draw(st, &d->p[0], st->lb[0], st->ub[0], j);
      st->order[j].j = j;
    }
    qsort(st->order, d->per, sizeof *st->order, by_value);
    st->cached = n;
    st->have = 1;
  }
  return st->order[r].j;
}

uint64_t psw__diff_nominal(const psw_diff_state_t *st, uint64_t i) {
  if (!st || i < st->d->nominal)
    return UINT64_MAX;
  return (i - st->d->nominal) / st->d->per;
}

int psw__diff_apply(psw_diff_state_t *st, uint64_t i, double *values) {
  if (!st || !values || i < st->d->nominal)
    return PSW_ERR_INVAL;
  const struct psw_spec_diff *d = st->d;
  uint64_t k = i - d->nominal, n = k / d->per, r = k % d->per;
  for (size_t q = 0; q < d->np; q++)
    psw__diff_bounds(&d->p[q], values[d->p[q].param], &st->lb[q], &st->ub[q]);
  if (d->is_grid) {
    /* Digits of r, one per differential parameter, the last fastest. */
    for (size_t q = d->np; q-- > 0;) {
      const psw_diff_param_t *p = &d->p[q];
      values[p->param] = psw__axis_value(p->kind, st->lb[q], st->ub[q],
                                         d->num_diff, r % d->num_diff);
      r /= d->num_diff;
    }
    return 0;
  }
  uint64_t j = sorted_draw(st, n, r);
  for (size_t q = 0; q < d->np; q++)
    values[d->p[q].param] = draw(st, &d->p[q], st->lb[q], st->ub[q], j);
  return 0;
}
