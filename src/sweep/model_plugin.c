/* parsweep — the C plugin model kind (include/parsweep/model.h).
 *
 * dlopen once per worker, init once per worker, eval per sample, fini and
 * dlclose at the end. A plugin that crashes is not contained here: on the
 * fork backend it takes its worker process down and the backend replaces
 * the worker; on serial/threads it takes the run down. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "parsweep/error.h"
#include "parsweep/model.h"
#include "util.h"

struct psw_plugin {
  void *dl;
  const psw_model_t *m;
  void *state;
  int inited; /* init succeeded (or there is none): fini is due */
  size_t noutputs;
  /* init's info must stay valid until fini (ABI), so it lives here. */
  psw_model_info_t info;
  const char **param_names;
};

/* Map dlsym's object pointer to the entry function: POSIX guarantees the
 * conversion works, ISO C does not let us write it as a cast. */
static psw_model_entry_fn entry_of(void *sym) {
  psw_model_entry_fn fn;
  _Static_assert(sizeof fn == sizeof sym, "function pointer size");
  memcpy(&fn, &sym, sizeof fn);
  return fn;
}

static const char *model_name(const psw_plugin_t *p) {
  return p->m && p->m->name ? p->m->name : "?";
}

int psw__plugin_open(const psw_spec_t *spec, int worker, int rank,
                     psw_plugin_t **out, char *err, size_t errlen) {
  const char *path = spec->plugin;
  *out = NULL;
  /* dlerror() would say "cannot open shared object file" for both a missing
   * file and a broken one; say which when the path names a file. */
  struct stat st;
  if (strchr(path, '/') && stat(path, &st) != 0)
    return psw__model_errf(PSW_ERR_MODEL, err, errlen, "plugin %s: %s", path,
                           strerror(errno));

  psw_plugin_t *p = calloc(1, sizeof *p);
  if (!p)
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen,
                           "plugin %s: out of memory", path);
  int rc = 0;
  /* RTLD_NOW: an unresolved symbol fails here, not in the middle of a
   * sweep. RTLD_LOCAL: two plugins may define the same names. */
  p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!p->dl) {
    const char *why = dlerror();
    rc = psw__model_errf(PSW_ERR_MODEL, err, errlen, "plugin %s: %s", path,
                         why ? why : "cannot load");
    goto fail;
  }
  dlerror();
  void *sym = dlsym(p->dl, PSW_MODEL_ENTRY_SYMBOL);
  if (!sym) {
    rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s: no symbol %s (see parsweep/model.h)", path,
                         PSW_MODEL_ENTRY_SYMBOL);
    goto fail;
  }
  p->m = entry_of(sym)();
  if (!p->m) {
    rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s: %s() returned NULL", path,
                         PSW_MODEL_ENTRY_SYMBOL);
    goto fail;
  }
  /* Fields are only appended, so any version up to ours could be read, but
   * there is only version 1 so far: refuse anything else. */
  if (p->m->abi_version == 0 || p->m->abi_version > PSW_MODEL_ABI_VERSION) {
    rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s: ABI version %u, this parsweep supports %u",
                         path, (unsigned)p->m->abi_version,
                         (unsigned)PSW_MODEL_ABI_VERSION);
    goto fail;
  }
  if (!p->m->eval) {
    rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s (%s): no eval function", path,
                         model_name(p));
    goto fail;
  }

  p->noutputs = spec->noutputs;
  if (spec->nparams > 0) {
    p->param_names = calloc(spec->nparams, sizeof *p->param_names);
    if (!p->param_names) {
      rc = psw__model_errf(PSW_ERR_NOMEM, err, errlen,
                           "plugin %s: out of memory", path);
      goto fail;
    }
    for (size_t i = 0; i < spec->nparams; i++)
      p->param_names[i] = spec->params[i].name;
  }
  p->info = (psw_model_info_t){
      .abi_version = PSW_MODEL_ABI_VERSION,
      .nparams = spec->nparams,
      .param_names = p->param_names,
      .noutputs = spec->noutputs,
      .output_names = (const char *const *)spec->outputs,
      .worker = worker,
      .rank = rank,
      .spec_path = spec->path,
  };
  if (p->m->init) {
    int irc = p->m->init(&p->info, &p->state);
    if (irc != 0) {
      rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                           "plugin %s (%s): init returned %d", path,
                           model_name(p), irc);
      /* A failed init owns its clean-up: fini is for a worker that ran. */
      goto fail;
    }
  }
  p->inited = 1;
  *out = p;
  return 0;

fail:
  psw__plugin_close(p);
  return rc;
}

int psw__plugin_eval(psw_plugin_t *p, uint64_t index, const double *params,
                     double *outputs, psw_eval_t *ev) {
  double t = psw__mono_now();
  return psw__plugin_eval_from(p, index, params, outputs, ev, &t);
}

int psw__plugin_eval_from(psw_plugin_t *p, uint64_t index, const double *params,
                          double *outputs, psw_eval_t *ev, double *t) {
  double t0 = *t;
  int rc = p->m->eval(p->state, index, params, outputs);
  *t = psw__mono_now();
  ev->elapsed = *t - t0;
  ev->exit_code = rc;
  if (rc != 0) {
    ev->status = PSW_ST_FAILED;
    return 0;
  }
  /* A plugin reports failure by its return value, but one that returns 0
   * and leaves an output NaN has not produced the sample: like a command
   * that exits 0 without printing an output, it is FAILED (exit_code 0),
   * so that status OK always means "every output is a number". */
  ev->status = PSW_ST_OK;
  for (size_t k = 0; k < p->noutputs; k++) {
    if (isnan(outputs[k])) {
      ev->status = PSW_ST_FAILED;
      break;
    }
  }
  return 0;
}

void psw__plugin_close(psw_plugin_t *p) {
  if (!p)
    return;
  int saved = errno;
  if (p->inited && p->m->fini)
    p->m->fini(p->state);
  if (p->dl)
    dlclose(p->dl);
  free(p->param_names);
  free(p);
  errno = saved;
}
