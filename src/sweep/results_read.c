/* parsweep — reading a results.h5: open, describe, read blocks. */
#include "results_read.h"

#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "results_h5.h"
#include "results_impl.h"

#define STATUS_BLOCK ((size_t)65536)

/* The per-row columns besides the values; status first, so that a file
 * without it is reported as "not a parsweep results file (no
 * /parsweep/status)". */
enum { C_STATUS, C_SS, C_EXIT, C_ELAPSED, C_WORKER, C_NODE, C_COUNT };
static const char *const col_path[C_COUNT] = {
    "parsweep/status",    "solve_successful/solve_successful",
    "parsweep/exit_code", "parsweep/elapsed",
    "parsweep/worker",    "parsweep/node"};

struct psw_results_file {
  char *path;
  hid_t file;
  hid_t wt;     /* the group holding WaterTAP's groups: the root, or
                   /<h5_parent_group_name> */
  char *wt_msg; /* "" or "/NAME", for messages */
  hid_t bool_type;
  hid_t *values; /* nparams + noutputs "value" datasets */
  hid_t cols[C_COUNT];
  psw_results_info_t info;
};

/* Length of a 1-D dataset, or -1 when it is not one. */
static int64_t length(hid_t d) {
  hid_t s = H5Dget_space(d);
  hsize_t dims[1];
  int64_t n = -1;
  if (s < 0)
    return -1;
  if (H5Sget_simple_extent_ndims(s) == 1 &&
      H5Sget_simple_extent_dims(s, dims, NULL) == 1)
    n = (int64_t)dims[0];
  H5Sclose(s);
  return n;
}

/* Whether the relative path (one of col_path, a group name) exists. */
static int exists(hid_t loc, const char *path) {
  /* H5Lexists needs every intermediate group to exist: walk the path. */
  char *buf = strdup(path);
  int found = 0;
  if (!buf)
    return 0;
  for (char *p = buf;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0)
        break;
      if (c == '\0') {
        found = 1;
        break;
      }
      *p = c;
    }
  }
  free(buf);
  return found;
}

/* Open the "value" datasets of the variables under `group`. */
static int open_values(psw_results_file_t *f, const char *group, char **names,
                       size_t count, hid_t *out, char *err, size_t errlen) {
  int rc = 0;
  hid_t g = count ? H5Gopen2(f->wt, group, H5P_DEFAULT) : H5I_INVALID_HID;
  if (count && g < 0) {
    psw__h5_errf(err, errlen, "%s: cannot open %s/%s", f->path, f->wt_msg,
                 group);
    return PSW_ERR_PARSE;
  }
  for (size_t i = 0; !rc && i < count; i++) {
    hid_t v = H5Gopen2(g, names[i], H5P_DEFAULT);
    if (v >= 0 && H5Lexists(v, "value", H5P_DEFAULT) > 0)
      out[i] = H5Dopen2(v, "value", H5P_DEFAULT);
    if (out[i] < 0 || length(out[i]) != (int64_t)f->info.n) {
      psw__h5_errf(err, errlen,
                   "%s: %s/%s/%s/value is not a column of %llu rows", f->path,
                   f->wt_msg, group, names[i], (unsigned long long)f->info.n);
      rc = PSW_ERR_PARSE;
    }
    if (v >= 0)
      H5Gclose(v);
  }
  if (g >= 0)
    H5Gclose(g);
  return rc;
}

static int list_group(psw_results_file_t *f, const char *group, char ***names,
                      size_t *count, char *err, size_t errlen) {
  hid_t g;
  int rc;
  *names = NULL;
  *count = 0;
  if (!exists(f->wt, group))
    return 0; /* a sweep without outputs is still a sweep */
  g = H5Gopen2(f->wt, group, H5P_DEFAULT);
  if (g < 0) {
    psw__h5_errf(err, errlen, "%s: %s/%s is not a group", f->path, f->wt_msg,
                 group);
    return PSW_ERR_PARSE;
  }
  rc = psw__h5_list(g, names, count) < 0 ? PSW_ERR_IO : 0;
  if (rc)
    psw__h5_errf(err, errlen, "%s: cannot list %s/%s", f->path, f->wt_msg,
                 group);
  H5Gclose(g);
  return rc;
}

/* Root attributes: each optional, a file from an older writer may lack
 * some of them. */
static void read_attrs(psw_results_file_t *f) {
  psw_results_info_t *in = &f->info;
  int64_t v;
  psw__h5_read_attr_string(f->file, "parsweep_version", &in->version);
  psw__h5_read_attr_string(f->file, "backend", &in->backend);
  psw__h5_read_attr_string(f->file, "created", &in->created);
  psw__h5_read_attr_string(f->file, "spec_hash", &in->spec_hash);
  psw__h5_read_attr_string(f->file, "finished", &in->finished);
  psw__h5_read_attr_string(f->file, "spec", &in->spec);
  in->nodes = psw__h5_read_attr_i64(f->file, "nodes", &v) < 0 ? -1 : v;
  in->workers = psw__h5_read_attr_i64(f->file, "workers", &v) < 0 ? -1 : v;
  if (psw__h5_read_attr_u64(f->file, "seed", &in->seed) < 0)
    in->seed = 0;
  in->completed =
      psw__h5_read_attr_i64(f->file, "completed", &v) < 0 ? 0 : v != 0;
  in->has_counts = 1;
  uint64_t left = in->n;
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++) {
    /* Counts are input too: ones that do not add up to N (negative, or
     * edited) are ignored, and the status column is counted instead. */
    if (psw__h5_read_attr_i64(f->file, psw__results_count_names[s], &v) < 0 ||
        v < 0 || (uint64_t)v > left)
      in->has_counts = 0;
    else
      left -= (uint64_t)(in->counts[s] = (uint64_t)v);
  }
  if (left)
    in->has_counts = 0;
  H5Eclear2(H5E_DEFAULT);
}

/* The file access of psw__results_open_image: HDF5's core driver on a
 * copy of the image, nothing written back. */
static hid_t image_fapl(const void *image, size_t len) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
                    H5Pset_file_image(fapl, (void *)image, len) < 0)) {
    H5Pclose(fapl);
    return H5I_INVALID_HID;
  }
  return fapl;
}

/* Where WaterTAP's groups are (SPEC 3.0, h5_parent_group_name): the group
 * the root attribute h5_parent_group_name names; else the root when it
 * holds them; else the one group beside /parsweep that holds
 * solve_successful (a file whose attribute was lost). Sets f->wt and
 * f->wt_msg; 0, or PSW_ERR_NOMEM. */
static int find_wt(psw_results_file_t *f) {
  char *name = NULL, **names = NULL;
  size_t count = 0;
  if (psw__h5_read_attr_string(f->file, "h5_parent_group_name", &name) < 0 ||
      !name || !name[0] || strchr(name, '/') || !exists(f->file, name)) {
    free(name);
    name = NULL;
    if (!exists(f->file, "solve_successful") &&
        !exists(f->file, "sweep_params") &&
        psw__h5_list(f->file, &names, &count) == 0) {
      for (size_t i = 0; i < count; i++) {
        if (!strcmp(names[i], "parsweep") || !exists(f->file, names[i]))
          continue;
        hid_t g = H5Gopen2(f->file, names[i], H5P_DEFAULT);
        int has = g >= 0 && exists(g, "solve_successful");
        if (g >= 0)
          H5Gclose(g);
        if (has && name) { /* two candidates: no guess */
          free(name);
          name = NULL;
          break;
        }
        if (has && !(name = strdup(names[i])))
          break;
      }
      psw__h5_free_names(names, count);
    }
  }
  H5Eclear2(H5E_DEFAULT);
  f->wt = H5Gopen2(f->file, name ? name : "/", H5P_DEFAULT);
  size_t ml = name ? strlen(name) + 2 : 1;
  f->wt_msg = malloc(ml);
  if (f->wt_msg)
    snprintf(f->wt_msg, ml, "%s%s", name ? "/" : "", name ? name : "");
  free(name);
  H5Eclear2(H5E_DEFAULT);
  return f->wt_msg ? 0 : PSW_ERR_NOMEM;
}

static int open_body(psw_results_file_t *f, const void *image, size_t len,
                     char *err, size_t errlen) {
  int64_t n;
  int rc;
  hid_t fapl = image ? image_fapl(image, len) : psw__h5_fapl();
  f->file = fapl < 0 ? H5I_INVALID_HID : H5Fopen(f->path, H5F_ACC_RDONLY, fapl);
  if (fapl >= 0)
    H5Pclose(fapl);
  if (f->file < 0) {
    psw__h5_errf(err, errlen, "%s: cannot open as HDF5", f->path);
    return PSW_ERR_IO;
  }
  if ((rc = find_wt(f))) {
    psw__results_errf(err, errlen, "%s: out of memory", f->path);
    return rc;
  }
  if (f->wt < 0) {
    psw__h5_errf(err, errlen, "%s: cannot open %s/", f->path, f->wt_msg);
    return PSW_ERR_PARSE;
  }
  for (int c = 0; c < C_COUNT; c++) {
    /* solve_successful is one of WaterTAP's groups, the rest parsweep's */
    hid_t loc = c == C_SS ? f->wt : f->file;
    const char *at = c == C_SS ? f->wt_msg : "";
    if (!exists(loc, col_path[c])) {
      psw__results_errf(err, errlen,
                        "%s: not a parsweep results file (no %s/%s)", f->path,
                        at, col_path[c]);
      return PSW_ERR_PARSE;
    }
    f->cols[c] = H5Dopen2(loc, col_path[c], H5P_DEFAULT);
    n = f->cols[c] < 0 ? -1 : length(f->cols[c]);
    if (c == 0 && n >= 0)
      f->info.n = (uint64_t)n;
    if (n < 0 || (uint64_t)n != f->info.n) {
      psw__h5_errf(err, errlen, "%s: %s/%s is not a column of %llu rows",
                   f->path, at, col_path[c], (unsigned long long)f->info.n);
      return PSW_ERR_PARSE;
    }
  }
  rc = list_group(f, "sweep_params", &f->info.params, &f->info.nparams, err,
                  errlen);
  if (!rc)
    rc = list_group(f, "outputs", &f->info.outputs, &f->info.noutputs, err,
                    errlen);
  if (rc)
    return rc;
  f->values =
      malloc((f->info.nparams + f->info.noutputs + 1) * sizeof *f->values);
  if (!f->values) {
    psw__results_errf(err, errlen, "%s: out of memory", f->path);
    return PSW_ERR_NOMEM;
  }
  for (size_t i = 0; i < f->info.nparams + f->info.noutputs; i++)
    f->values[i] = H5I_INVALID_HID;
  rc = open_values(f, "sweep_params", f->info.params, f->info.nparams,
                   f->values, err, errlen);
  if (!rc)
    rc = open_values(f, "outputs", f->info.outputs, f->info.noutputs,
                     f->values + f->info.nparams, err, errlen);
  if (rc)
    return rc;
  read_attrs(f);
  return 0;
}

static int open_file(const char *path, const void *image, size_t len,
                     psw_results_file_t **out, char *err, size_t errlen) {
  psw_h5_quiet_t q;
  psw_results_file_t *f;
  int rc = PSW_ERR_NOMEM;
  *out = NULL;
  if (!path) {
    psw__results_errf(err, errlen, "results: invalid argument");
    return PSW_ERR_INVAL;
  }
  psw__h5_quiet_begin(&q);
  f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path))) {
    psw__results_errf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  f->file = f->wt = H5I_INVALID_HID;
  for (int c = 0; c < C_COUNT; c++)
    f->cols[c] = H5I_INVALID_HID;
  f->info.nodes = f->info.workers = -1;
  f->bool_type = psw__h5_bool_type();
  if (f->bool_type < 0) {
    psw__h5_errf(err, errlen, "%s: cannot make the bool type", path);
    rc = PSW_ERR_IO;
    goto out;
  }
  rc = open_body(f, image, len, err, errlen);
out:
  if (rc) {
    psw__results_close(f);
    f = NULL;
  }
  H5Eclear2(H5E_DEFAULT);
  psw__h5_quiet_end(&q);
  *out = f;
  return rc;
}

int psw__results_open(const char *path, psw_results_file_t **out, char *err,
                      size_t errlen) {
  return open_file(path, NULL, 0, out, err, errlen);
}

int psw__results_open_image(const void *image, size_t len, const char *name,
                            psw_results_file_t **out, char *err,
                            size_t errlen) {
  if (!image || !len) {
    *out = NULL;
    psw__results_errf(err, errlen, "%s: empty file image", name);
    return PSW_ERR_IO;
  }
  return open_file(name, image, len, out, err, errlen);
}

void psw__results_close(psw_results_file_t *f) {
  psw_h5_quiet_t q;
  psw_results_info_t *in;
  if (!f)
    return;
  in = &f->info;
  psw__h5_quiet_begin(&q);
  for (size_t i = 0; f->values && i < in->nparams + in->noutputs; i++)
    if (f->values[i] >= 0)
      H5Dclose(f->values[i]);
  for (int c = 0; c < C_COUNT; c++)
    if (f->cols[c] >= 0)
      H5Dclose(f->cols[c]);
  if (f->bool_type >= 0)
    H5Tclose(f->bool_type);
  if (f->wt >= 0)
    H5Gclose(f->wt);
  if (f->file >= 0)
    H5Fclose(f->file);
  H5Eclear2(H5E_DEFAULT);
  psw__h5_quiet_end(&q);
  psw__h5_free_names(in->params, in->nparams);
  psw__h5_free_names(in->outputs, in->noutputs);
  free(in->version);
  free(in->backend);
  free(in->created);
  free(in->spec_hash);
  free(in->finished);
  free(in->spec);
  free(f->values);
  free(f->wt_msg);
  free(f->path);
  free(f);
}

const psw_results_info_t *psw__results_info(const psw_results_file_t *f) {
  return &f->info;
}

static int check_range(psw_results_file_t *f, uint64_t first, size_t count,
                       char *err, size_t errlen) {
  if (first > f->info.n || count > f->info.n - first) {
    psw__results_errf(
        err, errlen, "%s: rows [%llu, %llu) out of range (N = %llu)", f->path,
        (unsigned long long)first, (unsigned long long)(first + count),
        (unsigned long long)f->info.n);
    return PSW_ERR_INVAL;
  }
  return 0;
}

/* Read one dataset's block, with the one-line message on failure. */
static int read_col(psw_results_file_t *f, hid_t d, hid_t mtype, uint64_t first,
                    size_t count, void *out, char *err, size_t errlen) {
  psw_h5_quiet_t q;
  int rc = 0;
  psw__h5_quiet_begin(&q);
  if (psw__h5_read_block(d, mtype, H5P_DEFAULT, first, count, out) < 0) {
    /* Named: a column of another type (strings) is a file's fault. */
    char name[256] = "a column";
    H5Iget_name(d, name, sizeof name);
    psw__h5_errf(err, errlen, "%s: cannot read rows [%llu, %llu) of %s",
                 f->path, (unsigned long long)first,
                 (unsigned long long)(first + count), name);
    rc = PSW_ERR_IO;
  }
  psw__h5_quiet_end(&q);
  return rc;
}

static int read_value(psw_results_file_t *f, size_t col, uint64_t first,
                      size_t count, double *out, char *err, size_t errlen) {
  int rc = check_range(f, first, count, err, errlen);
  if (rc)
    return rc;
  return read_col(f, f->values[col], H5T_NATIVE_DOUBLE, first, count, out, err,
                  errlen);
}

int psw__results_read_param(psw_results_file_t *f, size_t i, uint64_t first,
                            size_t count, double *out, char *err,
                            size_t errlen) {
  if (i >= f->info.nparams) {
    psw__results_errf(err, errlen, "%s: no parameter %zu", f->path, i);
    return PSW_ERR_INVAL;
  }
  return read_value(f, i, first, count, out, err, errlen);
}

int psw__results_read_output(psw_results_file_t *f, size_t i, uint64_t first,
                             size_t count, double *out, char *err,
                             size_t errlen) {
  if (i >= f->info.noutputs) {
    psw__results_errf(err, errlen, "%s: no output %zu", f->path, i);
    return PSW_ERR_INVAL;
  }
  return read_value(f, f->info.nparams + i, first, count, out, err, errlen);
}

/* Read a column and scatter it into a row-major block of width w. */
static int read_strided(psw_results_file_t *f, size_t col, uint64_t first,
                        size_t count, double *dst, size_t w, size_t at,
                        double *tmp, char *err, size_t errlen) {
  int rc = read_value(f, col, first, count, tmp, err, errlen);
  for (size_t k = 0; !rc && k < count; k++)
    dst[k * w + at] = tmp[k];
  return rc;
}

int psw__results_read_rows(psw_results_file_t *f, uint64_t first, size_t count,
                           const psw_results_block_t *b, char *err,
                           size_t errlen) {
  const psw_results_info_t *in = &f->info;
  void *dst[C_COUNT] = {b->status,  b->solve_successful, b->exit_code,
                        b->elapsed, b->worker,           b->node};
  hid_t mt[C_COUNT] = {H5T_NATIVE_INT8,   f->bool_type,     H5T_NATIVE_INT32,
                       H5T_NATIVE_DOUBLE, H5T_NATIVE_INT32, H5T_NATIVE_INT32};
  double *tmp = NULL;
  int rc = check_range(f, first, count, err, errlen);
  if (rc || count == 0)
    return rc;
  if ((b->params && in->nparams) || (b->outputs && in->noutputs)) {
    tmp = malloc(count * sizeof *tmp);
    if (!tmp) {
      psw__results_errf(err, errlen, "%s: out of memory", f->path);
      return PSW_ERR_NOMEM;
    }
  }
  for (size_t i = 0; !rc && b->params && i < in->nparams; i++)
    rc = read_strided(f, i, first, count, b->params, in->nparams, i, tmp, err,
                      errlen);
  for (size_t i = 0; !rc && b->outputs && i < in->noutputs; i++)
    rc = read_strided(f, in->nparams + i, first, count, b->outputs,
                      in->noutputs, i, tmp, err, errlen);
  for (int c = 0; !rc && c < C_COUNT; c++)
    if (dst[c])
      rc = read_col(f, f->cols[c], mt[c], first, count, dst[c], err, errlen);
  free(tmp);
  return rc;
}

int psw__results_check_status(const psw_results_file_t *f, uint64_t first,
                              const int8_t *status, size_t count, char *err,
                              size_t errlen) {
  for (size_t k = 0; k < count; k++)
    if (status[k] < PSW_ST_NOT_RUN || status[k] >= PSW_RESULTS_NSTATUS) {
      psw__results_errf(err, errlen,
                        "%s: /parsweep/status[%llu] = %d is not a status of "
                        "this parsweep (0..%d): the file was written by a "
                        "newer version, or damaged",
                        f->path, (unsigned long long)(first + k), status[k],
                        PSW_RESULTS_NSTATUS - 1);
      return PSW_ERR_PARSE;
    }
  return 0;
}

/* Rows never stored read as the status column's fill value: "not run"
 * (0) in every file parsweep writes, and what the scans assume. */
static int check_status_fill(psw_results_file_t *f, char *err, size_t errlen) {
  int8_t fill = 0;
  hid_t dcpl = H5Dget_create_plist(f->cols[C_STATUS]);
  int rc = dcpl < 0 || H5Pget_fill_value(dcpl, H5T_NATIVE_INT8, &fill) < 0;
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (rc)
    psw__h5_errf(err, errlen, "%s: cannot read /parsweep/status's fill value",
                 f->path);
  else if (fill != PSW_ST_NOT_RUN)
    psw__results_errf(err, errlen,
                      "%s: /parsweep/status has the fill value %d, not %d "
                      "(not run): not a file parsweep wrote, or damaged",
                      f->path, fill, PSW_ST_NOT_RUN);
  return rc ? PSW_ERR_IO : fill != PSW_ST_NOT_RUN ? PSW_ERR_PARSE : 0;
}

int psw__results_stored(psw_results_file_t *f, size_t block, const int *stop,
                        psw_results_run_fn fn, void *arg, char *err,
                        size_t errlen) {
  psw_h5_quiet_t q;
  char why[256] = "";
  if (err && errlen)
    err[0] = '\0';
  psw__h5_quiet_begin(&q);
  int rc = check_status_fill(f, err, errlen);
  if (!rc)
    rc = psw__h5_stored_runs(f->cols[C_STATUS], block ? block : STATUS_BLOCK,
                             stop, fn, arg, why, sizeof why);
  /* A message of the scan itself (fn writes its own). */
  if (rc && why[0])
    psw__results_errf(err, errlen, "%s: /parsweep/status: %s", f->path, why);
  H5Eclear2(H5E_DEFAULT);
  psw__h5_quiet_end(&q);
  return rc;
}

/* psw__results_scan_status: each stored block read, checked and handed
 * to the caller's fn. */
struct scan {
  psw_results_file_t *f;
  int8_t *buf;
  psw_results_status_fn fn;
  void *arg;
  char *err;
  size_t errlen;
};

static int scan_run(void *arg, uint64_t first, size_t cnt) {
  struct scan *s = arg;
  psw_results_block_t b = {.status = s->buf};
  int rc = psw__results_read_rows(s->f, first, cnt, &b, s->err, s->errlen);
  if (!rc)
    rc = psw__results_check_status(s->f, first, s->buf, cnt, s->err, s->errlen);
  if (!rc && s->fn)
    rc = s->fn(s->arg, first, s->buf, cnt);
  return rc;
}

int psw__results_scan_status(psw_results_file_t *f, size_t block,
                             const int *stop, psw_results_status_fn fn,
                             void *arg, char *err, size_t errlen) {
  struct scan s = {f, NULL, fn, arg, err, errlen};
  if (block == 0)
    block = STATUS_BLOCK;
  if (!(s.buf = malloc(block))) {
    psw__results_errf(err, errlen, "%s: out of memory", f->path);
    return PSW_ERR_NOMEM;
  }
  int rc = psw__results_stored(f, block, stop, scan_run, &s, err, errlen);
  free(s.buf);
  return rc;
}

int psw__results_read_status(const char *path, size_t block,
                             psw_results_status_fn fn, void *arg,
                             uint64_t *n_out, char *err, size_t errlen) {
  psw_results_file_t *f = NULL;
  int rc = psw__results_open(path, &f, err, errlen);
  if (rc)
    return rc;
  if (n_out)
    *n_out = f->info.n;
  rc = psw__results_scan_status(f, block, NULL, fn, arg, err, errlen);
  psw__results_close(f);
  return rc;
}
