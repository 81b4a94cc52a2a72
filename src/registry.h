/* parsweep — the one registry of backend names (internal).
 *
 * SPEC §1's backends, built into this library or not, each with its native
 * name and the aliases WaterTAP users know it by. The factory
 * (core/manager.c), the plan (pmix/plan.c), `parsweep info` and the
 * unknown-name warning all read this table, so that a name is written once
 * (src/core/registry.c; the native names below, which the descriptors in
 * backends/ also carry). It sits below the manager and the plan: it calls
 * neither. */
#ifndef PSW_REGISTRY_H
#define PSW_REGISTRY_H

#include <stddef.h>

#include "parsweep/manager.h"

/* SPEC §1's native names. */
#define PSW_BACKEND_SERIAL "serial"
#define PSW_BACKEND_THREADS "threads"
#define PSW_BACKEND_FORK "fork"
#define PSW_BACKEND_MPI "mpi"
#define PSW_BACKEND_HYBRID "hybrid"
#define PSW_BACKEND_ELASTIC "elastic"
/* PSW_BACKEND_AUTO, the plan's pick: parsweep/manager.h. */

/* Backends beyond serial/threads/fork, which are always built: the bits
 * the plan takes as what this library has. */
#define PSW_PLAN_HAVE_MPI 1u
#define PSW_PLAN_HAVE_HYBRID 2u
#define PSW_PLAN_HAVE_ELASTIC 4u

struct psw_backend;

struct psw_backend_entry {
  const char *name;             /* native name */
  const char *const aliases[3]; /* NULL-terminated */
  const struct psw_backend *be; /* NULL: not built into this library */
  unsigned have;                /* PSW_PLAN_HAVE_* bit, 0 if always built */
  unsigned caps; /* PSW_CAP_* of parsweep/manager.h, declared here only */
};

/* Every backend of SPEC §1, in the order names are listed. */
extern const struct psw_backend_entry psw__registry[];
extern const size_t psw__nregistry;

/* The entry for a native name or alias, case-insensitive; NULL for an
 * unknown name, NULL and "auto". */
const struct psw_backend_entry *psw__registry_find(const char *name);

/* The entry of a built backend's descriptor; NULL if none. */
const struct psw_backend_entry *psw__registry_of(const struct psw_backend *be);

/* PSW_PLAN_HAVE_* bits of the backends this library has. */
unsigned psw__registry_have(void);

/* The names the factory accepts, space-separated: every built backend's
 * native name and aliases, then "auto" (psw_backend_valid_names). */
const char *psw__registry_valid_names(void);

#endif /* PSW_REGISTRY_H */
