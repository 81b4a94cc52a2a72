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
 * temporary name and the rename in results_file.c. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "results_csv.h"
#include "results_h5.h"
#include "results_impl.h"

#if defined(__has_include)
#if __has_include(<parsweep/version.h>)
#include <parsweep/version.h>
#endif
#endif
#ifndef PSW_VERSION_STRING
#define PSW_VERSION_STRING "unknown"
#endif

const char *const psw__results_count_names[PSW_RESULTS_NSTATUS] = {
    "count_not_run", "count_ok", "count_failed", "count_timeout",
    "count_crashed"};

/* HDF5 link names cannot hold '/', and "." names the group itself. */
static int valid_name(const char *s) {
  return s && s[0] && strchr(s, '/') == NULL && strcmp(s, ".") != 0;
}

static int check_spec(const psw_spec_t *spec, char *err, size_t errlen) {
  for (size_t i = 0; i < spec->nparams; i++) {
    if (!valid_name(spec->params[i].name)) {
      psw__results_errf(err, errlen, "parameter %zu: invalid name '%s'", i,
                        spec->params[i].name ? spec->params[i].name : "");
      return PSW_ERR_INVAL;
    }
  }
  for (size_t i = 0; i < spec->noutputs; i++) {
    if (!valid_name(spec->outputs[i])) {
      psw__results_errf(err, errlen, "output %zu: invalid name '%s'", i,
                        spec->outputs[i] ? spec->outputs[i] : "");
      return PSW_ERR_INVAL;
    }
  }
  return 0;
}

/* /<group>/<name>/{value,lower bound,upper bound,units,full_name}. */
static hid_t variable(hid_t parent, const char *name, const char *full_name,
                      const char *units, double lower, double upper,
                      uint64_t n) {
  const double nan = NAN;
  hid_t g = psw__h5_group(parent, name, 0);
  hid_t d = H5I_INVALID_HID;
  if (g < 0)
    return H5I_INVALID_HID;
  if (psw__h5_scalar_double(g, "lower bound", lower) < 0 ||
      psw__h5_scalar_double(g, "upper bound", upper) < 0 ||
      psw__h5_scalar_string(g, "units", units && units[0] ? units : "None") <
          0 ||
      psw__h5_scalar_string(g, "full_name",
                            full_name && full_name[0] ? full_name : name) < 0)
    goto out;
  d = psw__h5_column(g, "value", H5T_IEEE_F64LE, n, &nan);
out:
  H5Gclose(g);
  return d;
}

/* A parameter's group: its variable, with WaterTAP's set_mode and
 * default_value as attributes of the group when the spec gave them
 * (attributes, so that code iterating the group's datasets as WaterTAP's
 * analysis does sees only WaterTAP's five). The bounds are the range the
 * values span: lower_limit > upper_limit is a descending grid. */
static hid_t param_variable(hid_t sp, const psw_param_t *p, uint64_t n) {
  hid_t d = variable(sp, p->name, p->full_name, p->units,
                     fmin(p->lower, p->upper), fmax(p->lower, p->upper), n);
  if (d < 0 || (!p->set_mode && !p->has_default))
    return d;
  hid_t g = H5Gopen2(sp, p->name, H5P_DEFAULT);
  int bad = g < 0;
  if (!bad && p->set_mode)
    bad = psw__h5_attr_string(g, "set_mode", p->set_mode) < 0;
  if (!bad && p->has_default)
    bad = psw__h5_attr_f64(g, "default_value", p->default_value) < 0;
  if (g >= 0)
    H5Gclose(g);
  if (bad) {
    H5Dclose(d);
    return H5I_INVALID_HID;
  }
  return d;
}

static int root_attrs(psw_results_t *r, const psw_spec_t *spec,
                      const psw_results_meta_t *meta) {
  char now[32];
  if (meta->created) /* MPI-IO writers agree on one time */
    snprintf(now, sizeof now, "%s", meta->created);
  else
    psw__results_utc_now(now, sizeof now);
  if (psw__h5_attr_string(r->file, "parsweep_version",
                          meta->version ? meta->version : PSW_VERSION_STRING) <
          0 ||
      psw__h5_attr_string(r->file, "backend",
                          meta->backend ? meta->backend : "unknown") < 0 ||
      psw__h5_attr_i64(r->file, "nodes", meta->nodes) < 0 ||
      psw__h5_attr_i64(r->file, "workers", meta->workers) < 0 ||
      psw__h5_attr_string(r->file, "spec", spec->text ? spec->text : "") < 0 ||
      psw__h5_attr_u64(r->file, "seed", spec->seed) < 0 ||
      psw__h5_attr_u64(r->file, "num_samples", r->n) < 0 ||
      psw__h5_attr_string(r->file, "created", now) < 0 ||
      (meta->spec_hash &&
       psw__h5_attr_string(r->file, "spec_hash", meta->spec_hash) < 0))
    return -1;
  /* SPEC 3.0: where WaterTAP's groups are (readers look here first), and
   * the WaterTAP parameter file the spec named, with its bytes. */
  if ((spec->h5_parent && psw__h5_attr_string(r->file, "h5_parent_group_name",
                                              spec->h5_parent) < 0) ||
      (spec->params_file &&
       (psw__h5_attr_string(r->file, "parameters_file", spec->params_file) <
            0 ||
        psw__h5_attr_string(r->file, "parameters_text",
                            spec->params_text ? spec->params_text : "") < 0)))
    return -1;
  return 0;
}

/* Every group and dataset at its final size, empty (fill values). */
static int layout(psw_results_t *r, const psw_spec_t *spec,
                  const psw_results_meta_t *meta) {
  const int8_t st0 = PSW_ST_NOT_RUN;
  const uint8_t false0 = 0;
  const int32_t zero = 0, none = -1;
  const double zerod = 0.0;
  int rc = -1;
  /* h5_parent_group_name: WaterTAP's groups under /NAME (its writer's
   * require_group), /parsweep stays at the root. */
  hid_t wt = spec->h5_parent ? psw__h5_group(r->file, spec->h5_parent, 1)
                             : H5Gopen2(r->file, "/", H5P_DEFAULT);
  hid_t sp = wt < 0 ? wt : psw__h5_group(wt, "sweep_params", 1);
  hid_t out = wt < 0 ? wt : psw__h5_group(wt, "outputs", 1);
  hid_t ssg = wt < 0 ? wt : psw__h5_group(wt, "solve_successful", 0);
  hid_t pg = psw__h5_group(r->file, "parsweep", 0);
  if (sp < 0 || out < 0 || ssg < 0 || pg < 0)
    goto done;
  for (size_t i = 0; i < spec->nparams; i++) {
    r->values[i] = param_variable(sp, &spec->params[i], r->n);
    if (r->values[i] < 0)
      goto done;
  }
  for (size_t i = 0; i < spec->noutputs; i++) {
    hid_t *d = &r->values[spec->nparams + i];
    *d = variable(out, spec->outputs[i],
                  spec->output_full_names ? spec->output_full_names[i] : NULL,
                  spec->output_units ? spec->output_units[i] : NULL, -DBL_MAX,
                  DBL_MAX, r->n);
    if (*d < 0)
      goto done;
  }
  r->ss = psw__h5_column(ssg, "solve_successful", r->bool_type, r->n, &false0);
  r->status = psw__h5_column(pg, "status", H5T_STD_I8LE, r->n, &st0);
  r->exit_code = psw__h5_column(pg, "exit_code", H5T_STD_I32LE, r->n, &zero);
  r->elapsed = psw__h5_column(pg, "elapsed", H5T_IEEE_F64LE, r->n, &zerod);
  /* -1: no worker produced the row. */
  r->worker = psw__h5_column(pg, "worker", H5T_STD_I32LE, r->n, &none);
  r->node = psw__h5_column(pg, "node", H5T_STD_I32LE, r->n, &none);
  if (r->ss < 0 || r->status < 0 || r->exit_code < 0 || r->elapsed < 0 ||
      r->worker < 0 || r->node < 0)
    goto done;
  rc = root_attrs(r, spec, meta);
done:
  if (pg >= 0)
    H5Gclose(pg);
  if (ssg >= 0)
    H5Gclose(ssg);
  if (out >= 0)
    H5Gclose(out);
  if (sp >= 0)
    H5Gclose(sp);
  if (wt >= 0)
    H5Gclose(wt);
  return rc;
}

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
  rc = check_spec(spec, err, errlen);
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
  if (r->bool_type < 0 || layout(r, spec, meta) < 0) {
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

/* Counts per status from the file itself, so that they agree with the
 * status column whatever was written (and rewritten). Only the chunks
 * stored are read: the others are all "not run" (the fill value), and
 * reading N rows of fill would make the finish of a large sweep stopped
 * early take minutes (10^12 rows: 8). */
struct count {
  psw_results_t *r;
  uint64_t *counts;
  uint64_t rows; /* read */
};

static int count_run(void *arg, uint64_t first, size_t cnt) {
  struct count *c = arg;
  int8_t *blk = (int8_t *)c->r->col; /* flushed: the scratch is free */
  if (psw__h5_read_block(c->r->status, H5T_NATIVE_INT8, c->r->dxpl, first, cnt,
                         blk) < 0)
    return PSW_ERR_IO;
  c->rows += cnt;
  for (size_t i = 0; i < cnt; i++)
    if (blk[i] >= 0 && blk[i] < PSW_RESULTS_NSTATUS)
      c->counts[blk[i]]++;
  return 0;
}

static int count_statuses(psw_results_t *r, uint64_t counts[]) {
  struct count c = {r, counts, 0};
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
    counts[s] = 0;
  if (psw__h5_stored_runs(r->status, r->cap * sizeof(double), NULL, count_run,
                          &c, NULL, 0))
    return -1;
  counts[PSW_ST_NOT_RUN] += r->n - c.rows;
  return 0;
}

static int final_attrs(psw_results_t *r, int completed, const uint64_t *given,
                       const char *when) {
  uint64_t counts[PSW_RESULTS_NSTATUS];
  char now[32];
  if (given)
    memcpy(counts, given, sizeof counts);
  else if (count_statuses(r, counts) < 0)
    return -1;
  if (when)
    snprintf(now, sizeof now, "%s", when);
  else
    psw__results_utc_now(now, sizeof now);
  if (psw__h5_attr_i64(r->file, "completed", completed ? 1 : 0) < 0 ||
      psw__h5_attr_string(r->file, "finished", now) < 0)
    return -1;
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
    if (psw__h5_attr_i64(r->file, psw__results_count_names[s],
                         (int64_t)counts[s]) < 0)
      return -1;
  return 0;
}

/* Close every HDF5 object of r; returns -1 if any close failed (the last
 * data reach the file in H5Fclose). */
static int close_all(psw_results_t *r) {
  int rc = 0;
  hid_t *cols[] = {&r->ss,      &r->status, &r->exit_code,
                   &r->elapsed, &r->worker, &r->node};
  for (size_t i = 0; r->values && i < r->nv; i++) {
    if (r->values[i] >= 0 && H5Dclose(r->values[i]) < 0)
      rc = -1;
    r->values[i] = H5I_INVALID_HID;
  }
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
    if (*cols[i] >= 0 && H5Dclose(*cols[i]) < 0)
      rc = -1;
    *cols[i] = H5I_INVALID_HID;
  }
  if (r->bool_type >= 0)
    H5Tclose(r->bool_type);
  r->bool_type = H5I_INVALID_HID;
  if (r->file >= 0 && H5Fclose(r->file) < 0)
    rc = -1;
  r->file = H5I_INVALID_HID;
  return rc;
}

static void free_all(psw_results_t *r) {
  free(r->path);
  free(r->csv);
  free(r->tmp);
  free(r->dir);
  free(r->values);
  free(r->idx);
  free(r->vals);
  free(r->st);
  free(r->ok);
  free(r->ec);
  free(r->el);
  free(r->wk);
  free(r->nd);
  free(r->order);
  free(r->col);
  free(r);
}

int psw__results_finish(psw_results_t *r, int completed, char *err,
                        size_t errlen) {
  return psw__results_finish_ex(r, completed, NULL, NULL, 1, err, errlen);
}

int psw__results_finish_ex(psw_results_t *r, int completed,
                           const uint64_t *counts, const char *when, int commit,
                           char *err, size_t errlen) {
  psw_h5_quiet_t q;
  int rc = PSW_ERR_IO;
  if (!r) {
    psw__results_errf(err, errlen, "results: invalid argument");
    return PSW_ERR_INVAL;
  }
  psw__h5_quiet_begin(&q);
  if (r->broken)
    goto out;
  if (psw__results_flush(r))
    goto out;
  if (final_attrs(r, completed, counts, when) < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot write the attributes",
                 r->tmp);
    goto out;
  }
  if (close_all(r) < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot close", r->tmp);
    goto out;
  }
  if (commit && psw__results_commit(r))
    goto out;
  /* WaterTAP's CSV from the file just renamed into place: results.h5 is
   * safe first, so a CSV that cannot be written (a wrong directory) costs
   * no results; the run then fails with the CSV's message, and --resume
   * writes it again. Only for a complete file, as WaterTAP writes it at
   * the end: a stopped sweep of 10^12 samples must not spend hours on
   * rows of NaN before it exits; --resume writes it when complete. */
  if (commit && r->csv && completed &&
      (rc = psw__results_write_csv(r->path, r->csv, r->err, sizeof r->err)))
    goto out;
  rc = 0;
out:
  if (rc) {
    psw__results_errf(err, errlen, "%s", r->err);
    psw__results_abort(r);
  } else {
    free_all(r);
  }
  psw__h5_quiet_end(&q);
  return rc;
}

void psw__results_abort(psw_results_t *r) {
  psw_h5_quiet_t q;
  int saved = errno;
  if (!r)
    return;
  psw__h5_quiet_begin(&q);
  close_all(r);
  H5Eclear2(H5E_DEFAULT);
  psw__h5_quiet_end(&q);
  if (r->tmp && !r->member) /* the group's leader removes a shared one */
    unlink(r->tmp);
  free_all(r);
  errno = saved;
}

/* Close a file laid out for MPI-IO writers without committing it (rank 0,
 * before the writers open it). */
int psw__results_close_layout(psw_results_t *r) {
  int rc = close_all(r) < 0 ? PSW_ERR_IO : 0;
  free_all(r);
  return rc;
}
