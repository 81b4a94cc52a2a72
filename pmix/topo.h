/* parsweep — topology discovery (internal).
 *
 * Where this process sits in its job: job size, rank, nodes, node id,
 * local rank and size, the ranks sharing its node, its host name and the
 * CPUs it may use. Every fact carries the source it came from, so that
 * `parsweep info` can say why the `auto` backend picked what it picked.
 *
 * Sources, first match wins, each fact falling back on its own:
 *
 *   synthetic  PARSWEEP_TOPOLOGY=DESC (see psw__topo_synthetic); when set,
 *              nothing else is consulted, so tests get exactly what they
 *              describe
 *   PMIx       only when built with PSW_WITH_PMIX and the environment shows a
 *              server (PMIX_NAMESPACE and a PMIX_SERVER_URI*): PMIx_Init
 *              without a server makes a later MPI_Init crash (PLATFORM.md);
 *              PARSWEEP_PMIX=0 skips it
 *   Open MPI   OMPI_COMM_WORLD_* (set only by the mpirun that started this
 *              process; asked before Slurm because mpirun ranks inside an
 *              allocation inherit SLURM_* variables that describe another job)
 *   Slurm      SLURM_* of a job step (SLURM_STEP_ID set: inside srun; the
 *              batch script itself is one process, not a parallel job)
 *   local      gethostname, sched_getaffinity; and, when no launcher was
 *              found, a job of one process on one node
 *
 * A source whose job size or rank disagrees with what an earlier source
 * established describes another job and gives only its per-process facts
 * (host name, CPUs). Facts nobody provides are derived where that is exact
 * (one process → one node; local size == job size → one node) and are
 * otherwise left unknown (-1, source PSW_TOPO_SRC_NONE).
 *
 * PMIx lifetime: the first discovery under a PMIx server calls PMIx_Init
 * and keeps that reference until the process exits; an atexit handler
 * (skipped in forked children) calls PMIx_Finalize. Finalising before
 * MPI_Init makes MPI_Init fail, and exiting without finalising makes mpirun
 * report an abnormal termination; the handler runs after MPI_Finalize (the
 * application's, or an earlier atexit), which Open MPI 4.1 / PMIx 4.2 accept.
 */
#ifndef PSW_PMIX_TOPO_H
#define PSW_PMIX_TOPO_H

#include <stddef.h>

#include "parsweep/topology.h"

/* Every fact unknown, no arrays. */
void psw__topo_init(psw_topo_t *t);

/* Free the arrays and reset to psw__topo_init's state. NULL is ignored. */
void psw__topo_fini(psw_topo_t *t);

/* Where this process sits (see the top of this file). `t` is initialised
 * here; call psw__topo_fini afterwards, also on error. Returns 0, or
 * PSW_ERR_PARSE for a malformed PARSWEEP_TOPOLOGY (message in err, naming the
 * bad token) or PSW_ERR_NOMEM. A launcher that cannot be read is not an
 * error: discovery falls back and logs a warning. Thread-safe. */
int psw__topo_discover(psw_topo_t *t, char *err, size_t errlen);

/* A described topology, for tests and `parsweep info --topology` (the
 * grammar is documented in pmix/README.md and topo_synthetic.c):
 *
 *   nodes:N ranks_per_node:R | ranks:R0,R1,...  cpus_per_rank:C
 *   [rank:R] [dist:block|cyclic] [hostnames:FMT]
 *
 * `rank` is the process described when `desc` has no rank: field. `t` is
 * initialised here. Returns 0, or PSW_ERR_PARSE with a message naming the
 * bad token, or PSW_ERR_NOMEM. Every fact has source SYNTHETIC. */
int psw__topo_synthetic(const char *desc, int rank, psw_topo_t *t, char *err,
                        size_t errlen);

/* "PMIx", "Slurm", "Open MPI", "local", "synthetic", "unknown". Static. */
const char *psw__topo_src_name(psw_topo_src_t src);

/* The fact's key in `parsweep info --json` ("job_size", "nodes", ...). */
const char *psw__topo_fact_name(psw_topo_fact_t f);

/* 1 when a parallel launcher (PMIx, Slurm, Open MPI) supplied the job size,
 * or a job of more than one process is described. */
int psw__topo_launched(const psw_topo_t *t);

/* Write a sorted int list as ranges ("0-3,8") into buf (always
 * NUL-terminated, truncated with "..." when it does not fit). Returns buf. */
char *psw__topo_format_list(const int *v, int n, char *buf, size_t len);

/* Parse a CPU list ("0-3,8", an optional "word:" prefix skipped) or an hwloc
 * hex bitmap ("0x00000003,0xffffffff") into a sorted array (*out, caller
 * frees). Returns 0, PSW_ERR_PARSE or PSW_ERR_NOMEM. */
int psw__topo_parse_cpulist(const char *s, int **out, int *n);

/* Expand a Slurm tasks-per-node string ("2(x3),1") and return the count on
 * node `node_id` (0-based); *num_nodes (may be NULL) gets the list's node
 * count. Returns -1 for a malformed string or a node beyond the list. */
int psw__slurm_tasks_on_node(const char *spec, int node_id, int *num_nodes);

#endif /* PSW_PMIX_TOPO_H */
