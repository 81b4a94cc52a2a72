/* parsweep — WaterTAP's differential index datasets in results.h5
 * (internal; SPEC §3.2, docs/results-format.md). */
#ifndef PSW_SWEEP_RESULTS_DIFF_H
#define PSW_SWEEP_RESULTS_DIFF_H

#include <hdf5.h>

#include "spec.h"

/* For a differential spec, under `wt` (the root or h5_parent_group_name's
 * group), as WaterTAP's writer lays out its output dict's keys
 * "nominal_idx" and "differential_idx" (a group named after the key
 * holding a dataset of the same name, like solve_successful):
 *   /nominal_idx/nominal_idx            float64[N(1+D)]: i for the nominal
 *                                       rows i < N, NaN after them
 *   /differential_idx/differential_idx  float64[N(1+D)]: NaN for the nominal
 *                                       rows, then for row N + n*D + r the
 *                                       nominal sample n it perturbs
 * They depend only on the spec, so they are written whole with the layout.
 * Also the root attributes num_nominal_samples (N) and num_diff_samples
 * (D, per nominal sample). Nothing without a differential. Returns 0 or
 * -1 with the HDF5 error stack set. */
int psw__results_diff_layout(hid_t file, hid_t wt, const psw_spec_t *spec);

#endif /* PSW_SWEEP_RESULTS_DIFF_H */
