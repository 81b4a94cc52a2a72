/* parsweep — the plan: which backend and how many workers, from a topology
 * and a request (internal). A pure function, so that every rule is tested
 * on described machines (tests/topo/test_plan.c).
 *
 * `auto` (SPEC §1):
 *   no launcher (job of one process, no PMIx/Slurm/Open MPI source)
 *       → fork, a pool of -j N workers, or of every CPU this process may use
 *         (-j 0 or no -j)
 *   under a launcher, each rank has exactly one CPU
 *       → mpi, one worker per rank (-j does not apply)
 *   under a launcher, this rank has N > 1 CPUs and is alone on its node
 *       → hybrid: MPI across nodes, a fork pool of N workers (or -j N) here
 *   under a launcher, several ranks share this node
 *       → hybrid: those ranks form the node-local group, one worker each, and
 *         fork nothing. The launcher chose how many processes a node runs;
 *         forking CPUs-per-rank workers in each would oversubscribe whenever
 *         ranks are bound to overlapping sets (Open MPI binds to a socket
 *         beyond two ranks), so a rank's extra CPUs stay with its model.
 *         With -j N (N > 0) each of those ranks forks its own pool of N
 *         instead, as the hybrid backend does when a pool size is asked for.
 *   under a launcher but this library has no MPI backend
 *       → fork on this node only, with a warning.
 *
 * A named backend is taken as asked: serial (1 worker), threads/fork (-j N
 * or every CPU), mpi (1 per rank), hybrid (the two hybrid rules above),
 * elastic (-j N local workers, 0 by default: the head evaluates nothing).
 * A pool backend under a launcher of several ranks warns that each rank
 * would run alone; in a library without MPI (where the ranks cannot be
 * meant) the plan also says `refuse`: `parsweep run` then exits at once
 * (SPEC §5) rather than run the whole sweep once per rank. A name this library
 * does not build is reported with available = 0. An unknown name plans serial
 * with a warning naming the valid choices, as the manager does. */
#ifndef PSW_PMIX_PLAN_H
#define PSW_PMIX_PLAN_H

#include "registry.h"
#include "topo.h"

/* The plan for topology `t`, backend name or alias `requested` (NULL, ""
 * or "auto": the auto rules), and `jobs` (-j: < 0 not given, 0 every CPU,
 * N workers), with the backends `have` (PSW_PLAN_HAVE_* of registry.h:
 * psw__registry_have() for this library, others in tests of other builds).
 * The plan takes what is built as an argument so that it does not call the
 * factory that calls it. Returns 0, or PSW_ERR_INVAL for NULL t/out. */
int psw__plan(const psw_topo_t *t, const char *requested, int jobs,
              unsigned have, psw_plan_t *out);

/* SPEC §1: the native name for a backend name or alias, case-insensitive
 * ("MultiProcessing" → "fork", "AUTO" → "auto"); NULL when unknown. */
const char *psw__plan_native_name(const char *name);

#endif /* PSW_PMIX_PLAN_H */
