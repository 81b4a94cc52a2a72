/* parsweep — where this process sits in its job, and the plan "auto"
 * follows there (SPEC §1; `parsweep info` prints both).
 *
 * Facts come from the first source that has them: a described machine
 * (PARSWEEP_TOPOLOGY), PMIx, Open MPI's mpirun, Slurm's srun, then this
 * machine itself; each fact keeps its source, so that a program can say
 * why the plan picked what it picked. The plan is a pure function of a
 * topology, a requested backend and -j, with this library's backends.
 *
 * The caller allocates the structs below and the library fills them: a
 * change of their layout is an ABI change (a new major version). */
#ifndef PARSWEEP_TOPOLOGY_H
#define PARSWEEP_TOPOLOGY_H

#include <stddef.h>

#include "export.h"
#include "manager.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a fact came from. */
typedef enum psw_topo_src {
  PSW_TOPO_SRC_NONE = 0, /* unknown */
  PSW_TOPO_SRC_SYNTHETIC,
  PSW_TOPO_SRC_PMIX,
  PSW_TOPO_SRC_OMPI,
  PSW_TOPO_SRC_SLURM,
  PSW_TOPO_SRC_LOCAL,
} psw_topo_src_t;

/* The facts, indexing psw_topo_t.src. */
typedef enum psw_topo_fact {
  PSW_TOPO_JOB_SIZE = 0,
  PSW_TOPO_RANK,
  PSW_TOPO_NUM_NODES,
  PSW_TOPO_NODE_ID,
  PSW_TOPO_LOCAL_RANK,
  PSW_TOPO_LOCAL_SIZE,
  PSW_TOPO_LOCAL_PEERS,
  PSW_TOPO_HOSTNAME,
  PSW_TOPO_CPUS,
  PSW_TOPO_NFACTS
} psw_topo_fact_t;

#define PSW_TOPO_HOSTNAME_MAX 256

/* Integers are -1 when unknown. The arrays are owned by the struct (free
 * with psw_topo_fini) and NULL with a count of 0 when unknown. */
typedef struct psw_topo {
  int job_size;     /* processes (ranks) in the job */
  int rank;         /* this process's rank, 0..job_size-1 */
  int num_nodes;    /* nodes hosting the job's processes */
  int node_id;      /* this node, 0..num_nodes-1 */
  int local_rank;   /* rank among the job's processes on this node */
  int local_size;   /* the job's processes on this node */
  int *local_peers; /* their global ranks, ascending */
  int num_local_peers;
  char hostname[PSW_TOPO_HOSTNAME_MAX]; /* "" when unknown */
  int *cpus; /* CPUs (OS numbers) this process may run on, ascending */
  int num_cpus;
  psw_topo_src_t src[PSW_TOPO_NFACTS];
} psw_topo_t;

/* The plan for a topology and a request. */
typedef struct psw_plan {
  char backend[16];     /* native name of SPEC §1 ("hybrid") */
  int available;        /* 1 when this library has that backend */
  int workers_per_rank; /* workers this process runs (mpi: 1) */
  int workers_per_node; /* workers on this node, -1 when unknown */
  int node_group;       /* hybrid: the node's ranks are its workers */
  int jobs_ignored;     /* -j was given but does not apply */
  int warn;             /* departs from the request or from SPEC §1 */
  int refuse;           /* several ranks but no MPI: a sweep must not run */
  char reason[512];     /* one line, for people */
  /* psw_plan: the descriptor of the pick, NULL when not built (available
   * 0). Pass it down (psw_create_parallel_manager_with): "auto" is then
   * resolved once. */
  const psw_backend_t *desc;
} psw_plan_t;

/* Where this process sits. `t` is initialised here; call psw_topo_fini
 * afterwards, also on error. Returns 0, or PSW_ERR_PARSE for a malformed
 * PARSWEEP_TOPOLOGY (message in err, naming the bad token) or
 * PSW_ERR_NOMEM. A launcher that cannot be read is not an error: discovery
 * falls back and logs a warning. Thread-safe. */
PSW_EXTERN int psw_topo_discover(psw_topo_t *t, char *err, size_t errlen);

/* A described machine instead (`parsweep info --topology`; the grammar is
 * pmix/README.md's): "nodes:N ranks_per_node:R | ranks:R0,R1,...
 * cpus_per_rank:C [rank:R] [dist:block|cyclic] [hostnames:FMT]"; `rank` is
 * the process described when `desc` has no rank: field. Every fact has
 * source PSW_TOPO_SRC_SYNTHETIC. Returns 0, or PSW_ERR_PARSE with a message
 * naming the bad token, or PSW_ERR_NOMEM. */
PSW_EXTERN int psw_topo_describe(const char *desc, int rank, psw_topo_t *t,
                                 char *err, size_t errlen);

/* Free the arrays of `t`; every fact unknown afterwards. NULL is ignored. */
PSW_EXTERN void psw_topo_fini(psw_topo_t *t);

/* "PMIx", "Slurm", "Open MPI", "local", "synthetic", "unknown". Static. */
PSW_EXTERN const char *psw_topo_source_name(psw_topo_src_t src);

/* A fact's key in `parsweep info --json` ("job_size", "nodes", ...). */
PSW_EXTERN const char *psw_topo_fact_name(psw_topo_fact_t f);

/* A sorted int list as ranges ("0-3,8") into buf (always NUL-terminated,
 * truncated with "..." when it does not fit). Returns buf. */
PSW_EXTERN char *psw_topo_format_list(const int *v, int n, char *buf,
                                      size_t len);

/* The plan for topology `t`, backend name or alias `requested` (NULL, ""
 * or "auto": the auto rules) and `jobs` (-j: < 0 not given, 0 every CPU,
 * N workers), with the backends of this library; out->desc is the pick's
 * descriptor. Returns 0, or PSW_ERR_INVAL for NULL t/out. */
PSW_EXTERN int psw_plan(const psw_topo_t *t, const char *requested, int jobs,
                        psw_plan_t *out);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_TOPOLOGY_H */
