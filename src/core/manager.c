/* parsweep — the factory: backends by name, alias or descriptor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sized.h"
#include "internal.h"
#include "plan.h"
#include "topo.h"

int psw_opts_init_sized(psw_opts_t *opts, size_t size) {
  /* Every default is 0 (manager.h); a default that is not would be set
   * here for the fields `size` covers. */
  return psw__sized_init(opts, size, sizeof *opts);
}

/* The function behind the macro of manager.h, for callers that cannot
 * pass a size (dlsym, ctypes): this library's layout. */
void(psw_opts_init)(psw_opts_t *opts) {
  (void)psw_opts_init_sized(opts, sizeof *opts);
}

/* The caller's options as this library's layout: the fields its
 * struct_size covers, defaults for the rest (fields appended later than
 * the caller was built). 0 B to read is an error: not even the size. */
static int read_opts(psw_opts_t *dst, const psw_opts_t *src) {
  psw_opts_init(dst);
  return src ? psw__sized_read(dst, src, sizeof *dst) : 0;
}

const psw_backend_t *psw_backend_serial(void) {
  return &psw__backend_serial;
}
const psw_backend_t *psw_backend_threads(void) {
  return &psw__backend_threads;
}
const psw_backend_t *psw_backend_fork(void) {
  return &psw__backend_fork;
}

const char *psw_backend_desc_name(const psw_backend_t *backend) {
  return backend ? backend->name : NULL;
}

/* "auto": the plan of pmix/plan.c over the topology discovered from PMIx,
 * the launcher's environment or this machine (SPEC §1: under a launcher
 * hybrid, or mpi when each rank has one CPU; otherwise fork). */
static const struct psw_backend *resolve_auto(void) {
  const struct psw_backend *be = &psw__backend_fork;
  psw_topo_t t;
  psw_plan_t plan;
  char err[256] = "";
  psw__topo_init(&t);
  if (psw__topo_discover(&t, err, sizeof err) != 0) {
    PSW_WARN("topology discovery failed (%s); using fork", err);
  } else if (psw_plan(&t, PSW_BACKEND_AUTO, 0, &plan) == 0) {
    if (plan.desc)
      be = plan.desc;
    if (plan.warn)
      PSW_WARN("%s", plan.reason);
    else
      PSW_DEBUG("auto: %s", plan.reason);
  }
  psw__topo_fini(&t);
  return be;
}

const psw_backend_t *psw_backend_lookup(const char *name) {
  if (!name || !*name || !strcasecmp(name, PSW_BACKEND_AUTO))
    return resolve_auto();
  const struct psw_backend_entry *e = psw__registry_find(name);
  return e ? e->be : NULL;
}

int psw_create_parallel_manager_with(psw_manager_t **mgr,
                                     const psw_backend_t *backend,
                                     const psw_opts_t *opts) {
  if (!mgr || !backend)
    return PSW_ERR_INVAL;
  *mgr = NULL;
  psw_manager_t *m = calloc(1, sizeof *m);
  if (!m)
    return PSW_ERR_NOMEM;
  m->be = backend;
  if (read_opts(&m->opts, opts) || m->opts.num_workers < 0 ||
      m->opts.abort_grace_s < 0) {
    free(m);
    return PSW_ERR_INVAL;
  }
  int rc = backend->create(m);
  if (rc) {
    free(m);
    return rc;
  }
  PSW_INFO("parallel manager: backend %s, %d workers", backend->name,
           m->num_workers);
  *mgr = m;
  return 0;
}

int psw_create_parallel_manager(psw_manager_t **mgr, const char *backend,
                                const psw_opts_t *opts) {
  if (!mgr)
    return PSW_ERR_INVAL;
  *mgr = NULL; /* no manager on any error */
  const psw_backend_t *be = psw_backend_lookup(backend);
  if (!be) {
    /* A name of SPEC §1 this build lacks: known, but unavailable, rather
     * than the unknown-name fallback. */
    if (psw__registry_find(backend)) {
      PSW_ERROR("backend '%s' is not built into this library", backend);
      return PSW_ERR_UNAVAILABLE;
    }
    PSW_WARN("unknown parallel backend '%s', using serial; valid choices: %s",
             backend, psw__registry_valid_names());
    be = &psw__backend_serial;
  }
  return psw_create_parallel_manager_with(mgr, be, opts);
}

void psw_destroy_parallel_manager(psw_manager_t *mgr) {
  if (!mgr)
    return;
  mgr->be->destroy(mgr);
  free(mgr);
}

const char *psw_backend_name(const psw_manager_t *mgr) {
  return mgr ? mgr->be->name : NULL;
}

unsigned psw_manager_caps(const psw_manager_t *mgr) {
  return mgr ? psw_backend_caps(mgr->be) : 0;
}

int psw_num_workers(const psw_manager_t *mgr) {
  return mgr ? mgr->num_workers : 0;
}

int psw_parallel(psw_manager_t *mgr, psw_region_fn fn, void *arg) {
  if (!mgr || !fn)
    return PSW_ERR_INVAL;
  if (mgr->in_region)
    return PSW_ERR_NESTED;
  mgr->in_region = 1;
  int rc = mgr->be->parallel(mgr, fn, arg);
  mgr->in_region = 0;
  return rc;
}

const char *psw_version(void) {
  return PSW_VERSION;
}
