/* parsweep — nominal_idx and differential_idx (see results_diff.h).
 *
 * WaterTAP's DifferentialParameterSweep (single process) appends, after
 * the nominal rows, each nominal sample's inner-sweep rows in order, and
 * sets nominal_idx = [0..N-1, NaN * N*D] and differential_idx =
 * [NaN * N, repeat(0..N-1, D)] (_append_differential_results); its writer
 * stores every key of the output dict as a group holding a dataset of the
 * key's name. parsweep's sample indices are that row order. */
#include <math.h>
#include <stdlib.h>

#include "results_diff.h"
#include "results_h5.h"
#include "spec_diff.h"

/* Row `i`'s entry of one of the two columns. */
static double idx_value(const struct psw_spec_diff *d, int differential,
                        uint64_t i) {
  if (i < d->nominal)
    return differential ? NAN : (double)i;
  return differential ? (double)((i - d->nominal) / d->per) : NAN;
}

static int index_column(hid_t wt, const char *name,
                        const struct psw_spec_diff *d, uint64_t n,
                        int differential) {
  const double nan = NAN;
  double *buf = malloc(PSW_H5_CHUNK * sizeof *buf);
  hid_t g = psw__h5_group(wt, name, 0);
  hid_t ds = g < 0 ? g : psw__h5_column(g, name, H5T_IEEE_F64LE, n, &nan);
  int rc = buf && ds >= 0 ? 0 : -1;
  for (uint64_t first = 0; !rc && first < n; first += PSW_H5_CHUNK) {
    size_t cnt = n - first < PSW_H5_CHUNK ? (size_t)(n - first) : PSW_H5_CHUNK;
    for (size_t k = 0; k < cnt; k++)
      buf[k] = idx_value(d, differential, first + k);
    rc = psw__h5_write_block(ds, H5T_NATIVE_DOUBLE, H5P_DEFAULT, first, cnt,
                             buf) < 0
             ? -1
             : 0;
  }
  if (ds >= 0)
    H5Dclose(ds);
  if (g >= 0)
    H5Gclose(g);
  free(buf);
  return rc;
}

int psw__results_diff_layout(hid_t file, hid_t wt, const psw_spec_t *spec) {
  const struct psw_spec_diff *d = spec->diff;
  if (!d)
    return 0;
  if (index_column(wt, "nominal_idx", d, spec->total, 0) < 0 ||
      index_column(wt, "differential_idx", d, spec->total, 1) < 0 ||
      psw__h5_attr_u64(file, "num_nominal_samples", d->nominal) < 0 ||
      psw__h5_attr_u64(file, "num_diff_samples", d->per) < 0)
    return -1;
  return 0;
}
