/* parsweep — sample designs (internal).
 *
 * Sample i of a spec is a pure function of (spec, seed, i): any worker
 * computes any sample without communication, so every backend and worker
 * count gives the same values. A design holds per-worker caches (axis
 * values, a Sobol cursor); create one per worker, do not share. */
#ifndef PSW_SWEEP_DESIGN_H
#define PSW_SWEEP_DESIGN_H

#include <stdint.h>

#include "spec.h"

typedef struct psw_design psw_design_t;

/* The spec must outlive the design. Returns 0, PSW_ERR_NOMEM or
 * PSW_ERR_INVAL. */
int psw__design_create(const psw_spec_t *spec, psw_design_t **out);

/* values[spec->nparams] = sample i (i < spec->total). Returns 0 or
 * PSW_ERR_INVAL for i out of range. Not thread-safe on one design. */
int psw__design_sample(psw_design_t *d, uint64_t i, double *values);

void psw__design_free(psw_design_t *d);

/* Value k of n on a grid axis from lower to upper, as WaterTAP's
 * LinearSample / GeomSample / ReverseGeomSample give it (kind one of
 * those; NaN for others). Shared with the differential samples. */
double psw__axis_value(psw_sampler_t kind, double lower, double upper,
                       uint64_t n, uint64_t k);

/* lower + (upper - lower) * x for x in [0, 1), kept below upper when
 * upper > lower: numpy.random.uniform's formula. */
double psw__scale_open(double lo, double up, double x);

#endif /* PSW_SWEEP_DESIGN_H */
