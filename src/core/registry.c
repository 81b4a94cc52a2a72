/* parsweep — the registry of backend names (see registry.h). CMake defines
 * PSW_HAVE_MPI and PSW_HAVE_ELASTIC for the backends this build has. */
#include <pthread.h>
#include <stdio.h>
#include <strings.h>

#include "backend.h"
#include "registry.h"

#ifdef PSW_HAVE_MPI
#define BE_MPI &psw__backend_mpi
#define BE_HYBRID &psw__backend_hybrid
#else
#define BE_MPI NULL
#define BE_HYBRID NULL
#endif
#ifdef PSW_HAVE_ELASTIC
#define BE_ELASTIC &psw__backend_elastic
#else
#define BE_ELASTIC NULL
#endif

/* What each backend can do (PSW_CAP_*): the pools run every task on a
 * worker of this node; mpi and hybrid span nodes with a sink per node;
 * elastic's root is a head that evaluates nothing, its workers coming and
 * going over the network. */
#define CAPS_POOL PSW_CAP_ROOT_EVALUATES
#define CAPS_MPI                                                               \
  (PSW_CAP_ROOT_EVALUATES | PSW_CAP_MULTI_NODE | PSW_CAP_NODE_WRITERS)
#define CAPS_ELASTIC (PSW_CAP_DYNAMIC_MEMBERS | PSW_CAP_MULTI_NODE)

const struct psw_backend_entry psw__registry[] = {
    {PSW_BACKEND_SERIAL,
     {"single", "SingleProcess"},
     &psw__backend_serial,
     0,
     CAPS_POOL},
    {PSW_BACKEND_THREADS,
     {"ConcurrentFutures", "concurrent.futures"},
     &psw__backend_threads,
     0,
     CAPS_POOL},
    {PSW_BACKEND_FORK, {"MultiProcessing"}, &psw__backend_fork, 0, CAPS_POOL},
    {PSW_BACKEND_MPI, {0}, BE_MPI, PSW_PLAN_HAVE_MPI, CAPS_MPI},
    {PSW_BACKEND_HYBRID, {0}, BE_HYBRID, PSW_PLAN_HAVE_HYBRID, CAPS_MPI},
    {PSW_BACKEND_ELASTIC,
     {"RayIo", "Ray"},
     BE_ELASTIC,
     PSW_PLAN_HAVE_ELASTIC,
     CAPS_ELASTIC},
};
const size_t psw__nregistry = sizeof psw__registry / sizeof psw__registry[0];

const psw_backend_t *psw_backend_mpi(void) {
  return psw__registry_find(PSW_BACKEND_MPI)->be;
}
const psw_backend_t *psw_backend_hybrid(void) {
  return psw__registry_find(PSW_BACKEND_HYBRID)->be;
}

const struct psw_backend_entry *psw__registry_find(const char *name) {
  if (!name)
    return NULL;
  for (size_t i = 0; i < psw__nregistry; i++) {
    const struct psw_backend_entry *e = &psw__registry[i];
    if (!strcasecmp(name, e->name))
      return e;
    for (const char *const *a = e->aliases; *a; a++)
      if (!strcasecmp(name, *a))
        return e;
  }
  return NULL;
}

const struct psw_backend_entry *psw__registry_of(const struct psw_backend *be) {
  for (size_t i = 0; be && i < psw__nregistry; i++)
    if (psw__registry[i].be == be)
      return &psw__registry[i];
  return NULL;
}

unsigned psw__registry_have(void) {
  unsigned have = 0;
  for (size_t i = 0; i < psw__nregistry; i++)
    if (psw__registry[i].be)
      have |= psw__registry[i].have;
  return have;
}

static char valid_names[512];
static pthread_once_t valid_names_once = PTHREAD_ONCE_INIT;

static void build_valid_names(void) {
  size_t off = 0, cap = sizeof valid_names;
  for (size_t i = 0; i < psw__nregistry && off < cap; i++) {
    const struct psw_backend_entry *e = &psw__registry[i];
    if (!e->be)
      continue;
    off += (size_t)snprintf(valid_names + off, cap - off, "%s%s",
                            off ? " " : "", e->name);
    for (const char *const *a = e->aliases; *a && off < cap; a++)
      off += (size_t)snprintf(valid_names + off, cap - off, " %s", *a);
  }
  if (off < cap)
    snprintf(valid_names + off, cap - off, " " PSW_BACKEND_AUTO);
}

const char *psw__registry_valid_names(void) {
  pthread_once(&valid_names_once, build_valid_names);
  return valid_names;
}

const char *psw_backend_valid_names(void) {
  return psw__registry_valid_names();
}

unsigned psw_backend_caps(const psw_backend_t *backend) {
  const struct psw_backend_entry *e = psw__registry_of(backend);
  return e ? e->caps : 0;
}

/* The public view of the table (psw_backend_info), made once. */
static psw_backend_info_t infos[sizeof psw__registry / sizeof psw__registry[0]];
static pthread_once_t infos_once = PTHREAD_ONCE_INIT;

static void build_infos(void) {
  for (size_t i = 0; i < psw__nregistry; i++)
    infos[i] =
        (psw_backend_info_t){psw__registry[i].name, psw__registry[i].aliases,
                             psw__registry[i].be, psw__registry[i].caps};
}

size_t psw_backend_count(void) {
  return psw__nregistry;
}

const psw_backend_info_t *psw_backend_info(size_t i) {
  if (i >= psw__nregistry)
    return NULL;
  pthread_once(&infos_once, build_infos);
  return &infos[i];
}
