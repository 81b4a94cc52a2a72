/* parsweep — the results.h5 writer: layout (SPEC §4), row buffer, finish.
 *
 * Layout decisions, chosen so that WaterTAP's own reader
 * (parameter_sweep tests' _read_output_h5) and plain h5py read the file:
 * - "value", "lower bound", "upper bound", "units", "full_name" are
 *   datasets (h5py create_dataset), the bounds scalar float64, the strings
 *   scalar variable-length UTF-8 (what h5py makes from a str; read back as
 *   bytes, so WaterTAP's .decode("utf-8") works).
 * - outputs have no bounds: -DBL_MAX / DBL_MAX, what WaterTAP writes for
 *   a bound of None.
 * - solve_successful is h5py's bool (enum FALSE/TRUE) on a uint8 base.
 * - root attributes: strings variable-length UTF-8, numbers int64 (seed
 *   and num_samples uint64).
 * Sorting, run detection and the writes are in results_flush.c; the
 * temporary name and the rename in results_file.c; the layout itself
 * (groups, datasets, root attributes) in results_layout.c; the finish
 * (counts, final attributes, close, commit or abort) in results_finish.c.
 * This file holds create, open (a resumed file), the row buffer and its
 * writes. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "results_h5.h"
#include "results_impl.h"

const char *const psw__results_count_names[PSW_RESULTS_NSTATUS] = {
    "count_not_run", "count_ok", "count_failed", "count_timeout",
    "count_crashed"};

static int alloc_buffer(psw_results_t *r, size_t want) {
  size_t row = sizeof(uint64_t) + r->nv * sizeof(double) + 1 + 1 +
               3 * sizeof(int32_t) + sizeof(double) +
               sizeof(struct psw_results_slot);
  size_t cap = want ? want : PSW_RESULTS_BUFFER_BYTES / row;
  if (!want && cap > PSW_RESULTS_BUFFER_ROWS)
    cap = PSW_RESULTS_BUFFER_ROWS;
  if (cap < 1)
    cap = 1;
  if (!want && cap < 256)
    cap = 256; /* very wide rows: a few MiB more, still bounded */
  r->cap = cap;
  r->idx = malloc(cap * sizeof *r->idx);
  r->vals = r->nv ? malloc(cap * r->nv * sizeof *r->vals) : NULL;
  r->st = malloc(cap);
  r->ok = malloc(cap);
  r->ec = malloc(cap * sizeof *r->ec);
  r->el = malloc(cap * sizeof *r->el);
  r->wk = malloc(cap * sizeof *r->wk);
  r->nd = malloc(cap * sizeof *r->nd);
  r->order = malloc(cap * sizeof *r->order);
  r->col = malloc(cap * sizeof(double));
  if (!r->idx || (r->nv && !r->vals) || !r->st || !r->ok || !r->ec || !r->el ||
      !r->wk || !r->nd || !r->order || !r->col)
    return PSW_ERR_NOMEM;
  return 0;
}

int psw__results_create_with(const char *path, const char *given_tmp,
                             const psw_spec_t *spec,
                             const psw_results_meta_t *meta, hid_t fapl,
                             hid_t dxpl, psw_results_t **out, char *err,
                             size_t errlen) {
  psw_h5_quiet_t q;
  psw_results_t *r = NULL;
  int rc;
  *out = NULL;
  if (!path || !path[0] || !spec || !meta) {
    psw__results_errf(err, errlen, "results: invalid argument");
    return PSW_ERR_INVAL;
  }
  rc = psw__results_check_spec(spec, err, errlen);
  if (rc)
    return rc;
  psw__h5_quiet_begin(&q);
  rc = PSW_ERR_NOMEM;
  r = calloc(1, sizeof *r);
  if (!r)
    goto out;
  r->file = r->bool_type = H5I_INVALID_HID;
  r->ss = r->status = r->exit_code = r->elapsed = r->worker = r->node =
      H5I_INVALID_HID;
  r->dxpl = dxpl;
  r->n = spec->total;
  r->nparams = spec->nparams;
  r->noutputs = spec->noutputs;
  r->nv = r->nparams + r->noutputs;
  r->path = strdup(path);
  r->csv = spec->csv_file ? strdup(spec->csv_file) : NULL;
  r->values = malloc((r->nv ? r->nv : 1) * sizeof *r->values);
  if (!r->path || !r->values || (spec->csv_file && !r->csv))
    goto out;
  for (size_t i = 0; i < r->nv; i++)
    r->values[i] = H5I_INVALID_HID;
  rc = alloc_buffer(r, meta->buffer_rows);
  if (rc)
    goto out;
  /* HDF5 keeps freed blocks on free lists per block size, without limit by
   * default; the sizes of our selections vary from flush to flush, so the
   * lists would grow with the number of flushes (with N). Cap them. */
  H5set_free_list_limits(1 << 20, 1 << 18, 1 << 20, 1 << 18, 1 << 20, 1 << 18);
  if (given_tmp) { /* another process of an MPI-IO group made it */
    r->member = 1;
    if (!(r->tmp = strdup(given_tmp)))
      goto out;
    r->file = H5Fcreate(r->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  } else if ((rc = psw__results_make_tmp(r, fapl))) {
    goto out; /* created exclusively, or r->err says why */
  }
  rc = PSW_ERR_IO;
  if (r->file < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot create", r->tmp);
    goto out;
  }
  r->bool_type = psw__h5_bool_type();
  if (r->bool_type < 0 || psw__results_layout(r, spec, meta) < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot create the layout", r->tmp);
    goto out;
  }
  rc = 0;
out:
  if (rc) {
    if (r && r->err[0])
      psw__results_errf(err, errlen, "%s", r->err);
    else if (rc == PSW_ERR_NOMEM)
      psw__results_errf(err, errlen, "%s: out of memory", path);
    psw__results_abort(r);
    r = NULL;
  }
  psw__h5_quiet_end(&q);
  *out = r;
  return rc;
}

/* Open the datasets of a file made by psw__results_create for writing
 * (every MPI-IO writer, on the file rank 0 laid out with serial HDF5:
 * parallel HDF5 1.10 cannot write the variable-length strings of the
 * layout, and allocates the chunks when writers open the datasets). */
int psw__results_open_with(const char *path, const char *tmp,
                           const psw_spec_t *spec, hid_t fapl,
                           psw_results_t **out, char *err, size_t errlen) {
  psw_h5_quiet_t q;
  psw_results_t *r = NULL;
  int rc = PSW_ERR_NOMEM;
  char name[1024];
  *out = NULL;
  psw__h5_quiet_begin(&q);
  if (!(r = calloc(1, sizeof *r)))
    goto out;
  r->file = r->bool_type = H5I_INVALID_HID;
  r->ss = r->status = r->exit_code = r->elapsed = r->worker = r->node =
      H5I_INVALID_HID;
  r->dxpl = H5P_DEFAULT;
  r->member = 1;
  r->n = spec->total;
  r->nparams = spec->nparams;
  r->noutputs = spec->noutputs;
  r->nv = r->nparams + r->noutputs;
  r->path = strdup(path);
  r->tmp = strdup(tmp);
  r->csv = spec->csv_file ? strdup(spec->csv_file) : NULL;
  r->values = malloc((r->nv ? r->nv : 1) * sizeof *r->values);
  if (!r->path || !r->tmp || !r->values || (spec->csv_file && !r->csv))
    goto out;
  for (size_t i = 0; i < r->nv; i++)
    r->values[i] = H5I_INVALID_HID;
  if ((rc = alloc_buffer(r, 0)))
    goto out;
  rc = PSW_ERR_IO;
  r->file = H5Fopen(tmp, H5F_ACC_RDWR, fapl);
  if (r->file < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot open", tmp);
    goto out;
  }
  const char *wt = spec->h5_parent ? spec->h5_parent : "";
  for (size_t i = 0; i < r->nv; i++) {
    int is_param = i < r->nparams;
    snprintf(name, sizeof name, "%s/%s/%s/value", wt,
             is_param ? "sweep_params" : "outputs",
             is_param ? spec->params[i].name : spec->outputs[i - r->nparams]);
    if ((r->values[i] = H5Dopen2(r->file, name, H5P_DEFAULT)) < 0)
      goto bad;
  }
  snprintf(name, sizeof name, "%s/solve_successful/solve_successful", wt);
  if ((r->ss = H5Dopen2(r->file, name, H5P_DEFAULT)) < 0 ||
      (r->status = H5Dopen2(r->file, "/parsweep/status", H5P_DEFAULT)) < 0 ||
      (r->exit_code = H5Dopen2(r->file, "/parsweep/exit_code", H5P_DEFAULT)) <
          0 ||
      (r->elapsed = H5Dopen2(r->file, "/parsweep/elapsed", H5P_DEFAULT)) < 0 ||
      (r->worker = H5Dopen2(r->file, "/parsweep/worker", H5P_DEFAULT)) < 0 ||
      (r->node = H5Dopen2(r->file, "/parsweep/node", H5P_DEFAULT)) < 0 ||
      (r->bool_type = psw__h5_bool_type()) < 0)
    goto bad;
  rc = 0;
  goto out;
bad:
  psw__h5_errf(r->err, sizeof r->err, "%s: cannot open its datasets", tmp);
out:
  if (rc) {
    if (r && r->err[0])
      psw__results_errf(err, errlen, "%s", r->err);
    else
      psw__results_errf(err, errlen, "%s: out of memory", path);
    psw__results_abort(r);
    r = NULL;
  }
  psw__h5_quiet_end(&q);
  *out = r;
  return rc;
}

int psw__results_create(const char *path, const psw_spec_t *spec,
                        const psw_results_meta_t *meta, psw_results_t **out,
                        char *err, size_t errlen) {
  psw_h5_quiet_t q;
  hid_t fapl;
  int rc;
  psw__h5_quiet_begin(&q);
  fapl = psw__h5_fapl();
  psw__h5_quiet_end(&q);
  if (fapl < 0) {
    psw__results_errf(err, errlen, "%s: cannot make HDF5 properties",
                      path ? path : "results");
    *out = NULL;
    return PSW_ERR_IO;
  }
  /* HDF5 copies the fapl into the file: ours can go at once. */
  rc = psw__results_create_with(path, NULL, spec, meta, fapl, H5P_DEFAULT, out,
                                err, errlen);
  H5Pclose(fapl);
  return rc;
}

int psw__results_write(psw_results_t *r, const psw_row_t *rows, size_t nrows) {
  if (!r)
    return PSW_ERR_INVAL;
  if (r->broken)
    return PSW_ERR_IO;
  for (size_t i = 0; i < nrows; i++) {
    const psw_row_t *row = &rows[i];
    size_t k;
    if (row->index >= r->n) {
      psw__results_errf(r->err, sizeof r->err,
                        "results: row index %llu out of range (N = %llu)",
                        (unsigned long long)row->index,
                        (unsigned long long)r->n);
      return PSW_ERR_INVAL;
    }
    if (r->len == r->cap) {
      int rc = psw__results_flush(r);
      if (rc)
        return rc;
    }
    k = r->len++;
    r->idx[k] = row->index;
    if (r->nparams)
      memcpy(&r->vals[k * r->nv], row->params, r->nparams * sizeof(double));
    if (r->noutputs)
      memcpy(&r->vals[k * r->nv + r->nparams], row->outputs,
             r->noutputs * sizeof(double));
    r->st[k] = row->ev.status;
    r->ok[k] = row->ev.status == PSW_ST_OK;
    r->ec[k] = row->ev.exit_code;
    r->el[k] = row->ev.elapsed;
    r->wk[k] = row->worker;
    r->nd[k] = row->node;
  }
  return 0;
}

const char *psw__results_error(const psw_results_t *r) {
  return r ? r->err : "";
}

const char *psw__results_tmp_path(const psw_results_t *r) {
  return r ? r->tmp : NULL;
}
