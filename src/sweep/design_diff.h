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

/* values[nparams] = differential sample i (nominal <= i < total): its
 * nominal sample's values, with the differential parameters perturbed.
 * Returns 0, PSW_ERR_INVAL or PSW_ERR_NOMEM. */
int psw__diff_sample(psw_design_t *d, psw_diff_state_t *st, uint64_t i,
                     double *values);

#endif /* PSW_SWEEP_DESIGN_DIFF_H */
