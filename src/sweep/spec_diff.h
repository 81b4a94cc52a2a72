/* parsweep — differential sweeps (SPEC §3.2, WaterTAP's
 * DifferentialParameterSweep): the spec's `num_diff_samples` and
 * `differential:` keys, and the samples they add (internal).
 *
 * Sample indices: the N nominal samples of the design keep 0..N-1; then,
 * for each nominal sample n in order, its D differential samples take
 * N + n*D .. N + n*D + D-1. Every one is an ordinary sample, a pure
 * function of (spec, seed, index). D is num_diff_samples for the random
 * differential kinds (UniformSample, NormalSample: one row per draw) and
 * num_diff_samples^k for the grid kinds (LinearSample, GeomSample,
 * ReverseGeomSample: WaterTAP's inner ParameterSweep takes the full
 * factorial of the k differential parameters). */
#ifndef PSW_SWEEP_SPEC_DIFF_H
#define PSW_SWEEP_SPEC_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"
#include "spec_read.h"

typedef enum psw_diff_mode {
  PSW_DM_NONE = 0, /* NormalSample without diff_mode (WaterTAP ignores it) */
  PSW_DM_SUM,
  PSW_DM_PRODUCT,
  PSW_DM_PERCENTILE,
} psw_diff_mode_t;

typedef struct psw_diff_param {
  size_t param; /* index in spec->params */
  psw_diff_mode_t mode;
  psw_sampler_t kind;    /* UNIFORM, NORMAL, LINEAR, GEOM or REVERSE_GEOM */
  double rel_lb, rel_ub; /* relative_lb / relative_ub */
  double nom_lb, nom_ub; /* nominal_lb / nominal_ub (percentile) */
  double std_dev;        /* NormalSample */
  uint64_t key;          /* stream key of its draws (random kinds) */
} psw_diff_param_t;

struct psw_spec_diff {
  psw_diff_param_t *p; /* in the order of `differential:` */
  size_t np;
  uint64_t num_diff; /* num_diff_samples */
  uint64_t per;      /* D: differential samples per nominal sample */
  uint64_t nominal;  /* N: nominal samples (spec->total is N * (1 + D)) */
  int is_grid;       /* the differential kinds are grid kinds */
};

/* Read `num_diff_samples` (kv_n, may be absent) and `differential:`
 * (kv_d, may be absent) after the parameters and outputs: sets
 * rd->spec->diff and multiplies rd->spec->total. Without `differential:`
 * a num_diff_samples is refused (it would do nothing). */
int psw__spec_read_diff(psw__spec_rd_t *rd, const psw__spec_kv_t *kv_n,
                        const psw__spec_kv_t *kv_d);

void psw__spec_diff_free(struct psw_spec_diff *d);

/* The number of nominal samples: spec->total without a differential. */
uint64_t psw__spec_nominal(const psw_spec_t *spec);

/* lb/ub of WaterTAP's _create_differential_sweep_params for the nominal
 * value v (for NormalSample: mean v, standard deviation std_dev). */
void psw__diff_bounds(const psw_diff_param_t *dp, double v, double *lb,
                      double *ub);

#endif /* PSW_SWEEP_SPEC_DIFF_H */
