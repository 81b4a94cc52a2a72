/* parsweep — the results.h5 writer's layout (SPEC §4): the spec's names
 * checked, then every group and dataset created at its final size, empty
 * (fill values), and the root attributes. The layout decisions (what
 * WaterTAP's reader and plain h5py expect) are listed in results.c. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "results_diff.h"
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

/* HDF5 link names cannot hold '/', and "." names the group itself. */
static int valid_name(const char *s) {
  return s && s[0] && strchr(s, '/') == NULL && strcmp(s, ".") != 0;
}

int psw__results_check_spec(const psw_spec_t *spec, char *err, size_t errlen) {
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
int psw__results_layout(psw_results_t *r, const psw_spec_t *spec,
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
  if (!rc)
    rc = psw__results_diff_layout(r->file, wt, spec);
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
