/* parsweep — the differential samples of a design (internal; the
 * sampling half of spec_diff.h). */
#ifndef PSW_SWEEP_DESIGN_DIFF_H
#define PSW_SWEEP_DESIGN_DIFF_H

#include <stdint.h>

#include "design.h"
#include "spec_diff.h"

/* Per-design state: a generator and the row order of the last nominal
 * sample's block (random kinds). One per design, not shared. */
typedef struct psw_diff_state psw_diff_state_t;

int psw__diff_state_create(const psw_spec_t *spec, psw_diff_state_t **out);
void psw__diff_state_free(psw_diff_state_t *st);

/* The nominal sample whose block holds differential sample i (nominal <=
 * i < total); UINT64_MAX for a NULL state or a nominal i. */
uint64_t psw__diff_nominal(const psw_diff_state_t *st, uint64_t i);

/* values[nparams] hold sample psw__diff_nominal(st, i) (design.c computes
 * it): perturb its differential parameters into differential sample i.
 * The design passes the nominal values in rather than being called back,
 * so that this file does not depend on the design that uses it. Returns 0
 * or PSW_ERR_INVAL. */
int psw__diff_apply(psw_diff_state_t *st, uint64_t i, double *values);

#endif /* PSW_SWEEP_DESIGN_DIFF_H */
