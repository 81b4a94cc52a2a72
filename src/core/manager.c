/* parsweep — the factory: backends by name, alias or descriptor. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "plan.h"
#include "shm/named.h"
#include "topo.h"

/* Names of SPEC §1 whose backend this build may lack: known, but
 * unavailable (PSW_ERR_UNAVAILABLE rather than the unknown-name fallback). */
static const char *const not_built[] = {"mpi", "hybrid", "elastic", "RayIo",
                                        "Ray"};

void psw_opts_init(psw_opts_t *opts) {
  if (!opts)
    return;
  memset(opts, 0, sizeof *opts);
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

static int name_matches(const struct psw_backend *be, const char *name) {
  if (!strcasecmp(be->name, name))
    return 1;
  for (const char *const *a = be->aliases; a && *a; a++)
    if (!strcasecmp(*a, name))
      return 1;
  return 0;
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
  } else if (psw__plan(&t, "auto", 0, &plan) == 0) {
    const psw_backend_t *b =
        plan.available ? psw_backend_lookup(plan.backend) : NULL;
    if (b)
      be = b;
    if (plan.warn)
      PSW_WARN("%s", plan.reason);
    else
      PSW_DEBUG("auto: %s", plan.reason);
  }
  psw__topo_fini(&t);
  return be;
}

const psw_backend_t *psw_backend_lookup(const char *name) {
  if (!name || !*name || !strcasecmp(name, "auto"))
    return resolve_auto();
  for (size_t i = 0; i < psw__nbackends; i++)
    if (name_matches(psw__backends[i], name))
      return psw__backends[i];
  return NULL;
}

static char valid_names[512];
static pthread_once_t valid_names_once = PTHREAD_ONCE_INIT;

static void build_valid_names(void) {
  size_t off = 0, cap = sizeof valid_names;
  for (size_t i = 0; i < psw__nbackends && off < cap; i++) {
    off += (size_t)snprintf(valid_names + off, cap - off, "%s%s",
                            off ? " " : "", psw__backends[i]->name);
    for (const char *const *a = psw__backends[i]->aliases; a && *a && off < cap;
         a++)
      off += (size_t)snprintf(valid_names + off, cap - off, " %s", *a);
  }
  if (off < cap)
    snprintf(valid_names + off, cap - off, " auto");
}

const char *psw_backend_valid_names(void) {
  pthread_once(&valid_names_once, build_valid_names);
  return valid_names;
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
  if (opts)
    m->opts = *opts;
  else
    psw_opts_init(&m->opts);
  if (m->opts.num_workers < 0 || m->opts.abort_grace_s < 0) {
    free(m);
    return PSW_ERR_INVAL;
  }
  /* Names in /dev/shm that runs killed at the wrong moment left behind. */
  psw__shm_named_reap();
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
  const psw_backend_t *be = psw_backend_lookup(backend);
  if (!be) {
    for (size_t i = 0; i < sizeof not_built / sizeof not_built[0]; i++)
      if (!strcasecmp(backend, not_built[i])) {
        PSW_ERROR("backend '%s' is not built into this library", backend);
        return PSW_ERR_UNAVAILABLE;
      }
    PSW_WARN("unknown parallel backend '%s', using serial; valid choices: %s",
             backend, psw_backend_valid_names());
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
