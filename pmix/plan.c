/* parsweep — the plan behind `auto` and `parsweep info` (rules in plan.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parsweep/error.h"
#include "plan.h"

const char *psw__plan_native_name(const char *name) {
  if (name && !strcasecmp(name, PSW_BACKEND_AUTO))
    return PSW_BACKEND_AUTO;
  const struct psw_backend_entry *e = psw__registry_find(name);
  return e ? e->name : NULL;
}

__attribute__((format(printf, 2, 3))) static void reason(psw_plan_t *p,
                                                         const char *fmt, ...) {
  size_t off = strlen(p->reason);
  va_list ap;
  va_start(ap, fmt);
  if (off < sizeof p->reason)
    vsnprintf(p->reason + off, sizeof p->reason - off, fmt, ap);
  va_end(ap);
}

static void set_backend(psw_plan_t *p, const char *native, int available) {
  snprintf(p->backend, sizeof p->backend, "%s", native);
  p->available = available;
}

/* Who launched us and how big the job is: "under Slurm, 6 ranks on 2
 * nodes". */
static void describe_job(psw_plan_t *p, const psw_topo_t *t) {
  psw_topo_src_t s = t->src[PSW_TOPO_JOB_SIZE];
  if (s == PSW_TOPO_SRC_SYNTHETIC)
    reason(p, "synthetic topology, ");
  else
    reason(p, "under %s, ", psw__topo_src_name(s));
  reason(p, "%d rank%s", t->job_size, t->job_size == 1 ? "" : "s");
  if (t->num_nodes > 0)
    reason(p, " on %d node%s", t->num_nodes, t->num_nodes == 1 ? "" : "s");
  else
    reason(p, " (number of nodes unknown)");
}

static int cpus_of(const psw_topo_t *t) {
  return t->num_cpus > 0 ? t->num_cpus : 1;
}

/* Workers of a pool on this process: -j N, or one per CPU. */
static void pool(psw_plan_t *p, const psw_topo_t *t, int jobs,
                 const char *kind) {
  int cpus = cpus_of(t);
  p->workers_per_rank = jobs > 0 ? jobs : cpus;
  if (jobs > 0)
    reason(p, "a %s pool of %d worker%s (-j %d)", kind, jobs,
           jobs == 1 ? "" : "s", jobs);
  else
    reason(p, "a %s pool of %d worker%s, one per CPU this process may use",
           kind, cpus, cpus == 1 ? "" : "s");
}

static void ignore_jobs(psw_plan_t *p, int jobs, const char *why) {
  if (jobs > 0) {
    p->jobs_ignored = 1;
    reason(p, "; -j %d does not apply: %s", jobs, why);
  }
}

/* hybrid's shapes (plan.h), as src/backends/hybrid.c builds them. */
static void plan_hybrid(psw_plan_t *p, const psw_topo_t *t, int jobs) {
  if (t->local_size > 1 && jobs <= 0) {
    p->node_group = 1;
    p->workers_per_rank = 1;
    reason(p,
           "; hybrid: the %d ranks on this node form its node-local group, "
           "one worker each, and MPI joins the nodes' leaders",
           t->local_size);
    return;
  }
  if (t->local_size > 1)
    reason(p, "; hybrid: -j %d asks each of the %d ranks on this node for ",
           jobs, t->local_size);
  else
    reason(p, "; hybrid: MPI across nodes and, on this node, ");
  pool(p, t, jobs, PSW_BACKEND_FORK);
  if (t->local_size < 0)
    reason(p, " (ranks on this node unknown: assumed alone)");
}

static void plan_mpi(psw_plan_t *p, int jobs) {
  p->workers_per_rank = 1;
  reason(p, "; mpi: one worker per rank");
  ignore_jobs(p, jobs, "mpi runs one worker per rank");
}

static void plan_auto(psw_plan_t *p, const psw_topo_t *t, int jobs,
                      unsigned have) {
  if (!psw__topo_launched(t)) {
    set_backend(p, PSW_BACKEND_FORK, 1);
    reason(p,
           "no parallel launcher (a job of one process, topology from "
           "%s): ",
           psw__topo_src_name(t->src[PSW_TOPO_JOB_SIZE]));
    pool(p, t, jobs, PSW_BACKEND_FORK);
    return;
  }
  describe_job(p, t);
  int one_cpu = cpus_of(t) == 1;
  if (one_cpu)
    reason(p, ", each rank has exactly 1 CPU");
  else if (t->local_size > 1)
    reason(p, ", %d ranks share this node", t->local_size);
  else
    reason(p, ", this rank has %d CPUs%s", cpus_of(t),
           t->local_size == 1 ? " and is alone on its node" : "");
  /* SPEC §1's pick, then the nearest this build offers. */
  int want_mpi = one_cpu;
  if (want_mpi && !(have & PSW_PLAN_HAVE_MPI) &&
      (have & PSW_PLAN_HAVE_HYBRID)) {
    want_mpi = 0;
    p->warn = 1;
    reason(p, "; mpi is not built into this library");
  }
  if (!want_mpi && !(have & PSW_PLAN_HAVE_HYBRID) &&
      (have & PSW_PLAN_HAVE_MPI)) {
    want_mpi = 1;
    p->warn = 1;
    reason(p, "; hybrid is not built into this library");
  }
  if (!(have & (PSW_PLAN_HAVE_MPI | PSW_PLAN_HAVE_HYBRID))) {
    set_backend(p, PSW_BACKEND_FORK, 1);
    p->warn = 1;
    reason(p, "; this library is built without MPI (PSW_WITH_MPI=OFF): fork "
              "on this node only, ");
    pool(p, t, jobs, PSW_BACKEND_FORK);
    if (t->job_size > 1)
      reason(p, "; every rank would run the whole sweep on its own");
    return;
  }
  if (want_mpi) {
    set_backend(p, PSW_BACKEND_MPI, 1);
    plan_mpi(p, jobs);
  } else {
    set_backend(p, PSW_BACKEND_HYBRID, 1);
    plan_hybrid(p, t, jobs);
  }
}

/* A backend asked for by name. */
static void plan_named(psw_plan_t *p, const psw_topo_t *t, const char *native,
                       int jobs, unsigned have) {
  const struct psw_backend_entry *e = psw__registry_find(native);
  unsigned need = e->have;
  set_backend(p, native, !need || (have & need));
  if (!p->available) {
    p->warn = 1;
    reason(p, "backend %s was asked for but is not built into this library",
           native);
    p->workers_per_rank = 0;
    return;
  }
  reason(p, "backend %s asked for", native);
  if (!strcmp(native, PSW_BACKEND_SERIAL)) {
    p->workers_per_rank = 1;
    reason(p, ": one worker, the calling process");
    ignore_jobs(p, jobs, "serial has one worker");
  } else if (!strcmp(native, PSW_BACKEND_THREADS) ||
             !strcmp(native, PSW_BACKEND_FORK)) {
    reason(p, ": ");
    pool(p, t, jobs, native[0] == 't' ? "thread" : PSW_BACKEND_FORK);
  } else if (!strcmp(native, PSW_BACKEND_MPI)) {
    plan_mpi(p, jobs);
  } else if (!strcmp(native, PSW_BACKEND_HYBRID)) {
    plan_hybrid(p, t, jobs);
  } else { /* elastic */
    p->workers_per_rank = jobs > 0 ? jobs : 0;
    reason(p,
           ": the head runs %d local worker%s; others join with parsweep "
           "worker --connect",
           p->workers_per_rank, p->workers_per_rank == 1 ? "" : "s");
  }
  if (!(e->caps & PSW_CAP_MULTI_NODE) && t->job_size > 1) {
    p->warn = 1;
    reason(p, "; but this is ");
    describe_job(p, t);
    reason(p, ": every rank would run the whole sweep on its own");
  }
}

int psw__plan(const psw_topo_t *t, const char *requested, int jobs,
              unsigned have, psw_plan_t *out) {
  if (!t || !out)
    return PSW_ERR_INVAL;
  memset(out, 0, sizeof *out);
  out->workers_per_node = -1;
  const char *native = requested && *requested
                           ? psw__plan_native_name(requested)
                           : PSW_BACKEND_AUTO;
  if (!native) {
    set_backend(out, PSW_BACKEND_SERIAL, 1);
    out->warn = 1;
    out->workers_per_rank = 1;
    reason(out,
           "unknown parallel backend '%s', using serial; valid choices: "
           "%s",
           requested, psw__registry_valid_names());
  } else if (!strcmp(native, PSW_BACKEND_AUTO)) {
    plan_auto(out, t, jobs, have);
  } else {
    plan_named(out, t, native, jobs, have);
  }
  /* SPEC §5: several ranks each running a single-node backend. With MPI
   * built that is the user's choice (-b fork asked for explicitly, a
   * warning); without it the ranks cannot have been meant, and a sweep
   * must not run once per rank. */
  int single_node =
      !(psw__registry_find(out->backend)->caps & PSW_CAP_MULTI_NODE);
  out->refuse = single_node && t->job_size > 1 && !(have & PSW_PLAN_HAVE_MPI);
  long long per_node = (long long)out->workers_per_rank * t->local_size;
  if (out->workers_per_rank == 0)
    out->workers_per_node = 0;
  else if (t->local_size > 0 && per_node <= 0x7fffffff)
    out->workers_per_node = (int)per_node;
  return 0;
}
