/* parsweep — topology from the environment launchers leave behind: Open MPI
 * (OMPI_COMM_WORLD_*) and Slurm job steps (SLURM_*). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "topo.h"
#include "topo_source.h"

static int contains(const int *sorted, int n, int x) {
  for (int lo = 0, hi = n; lo < hi;) {
    int mid = lo + (hi - lo) / 2;
    if (sorted[mid] == x)
      return 1;
    if (sorted[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

static void set(psw_topo_t *c, int f, int *dst, int v, psw_topo_src_t src) {
  *dst = v;
  c->src[f] = src;
}

/* --- Open MPI ----------------------------------------------------------- */

/* mpirun (ORTE, PRRTE) sets these in every rank's environment before exec.
 * There is no node id or node count among them: Open MPI 4's
 * OMPI_MCA_orte_num_nodes counts the nodes running a daemon, which may be
 * the whole allocation, so it is not used; topo.c derives the count when
 * every rank is on this node and leaves it unknown otherwise. */
int psw__topo_from_ompi(psw_topo_t *c) {
  const psw_topo_src_t S = PSW_TOPO_SRC_OMPI;
  int size, rank, lrank, lsize;
  if (psw__topo_env_int("OMPI_COMM_WORLD_SIZE", 1, &size) != 1 ||
      psw__topo_env_int("OMPI_COMM_WORLD_RANK", 0, &rank) != 1)
    return 0;
  if (rank >= size) {
    PSW_WARN("topology: ignoring Open MPI's environment: rank %d of %d", rank,
             size);
    return 0;
  }
  set(c, PSW_TOPO_JOB_SIZE, &c->job_size, size, S);
  set(c, PSW_TOPO_RANK, &c->rank, rank, S);
  int have_lsize =
      psw__topo_env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1, &lsize) == 1 &&
      lsize <= size;
  if (have_lsize)
    set(c, PSW_TOPO_LOCAL_SIZE, &c->local_size, lsize, S);
  if (psw__topo_env_int("OMPI_COMM_WORLD_LOCAL_RANK", 0, &lrank) == 1 &&
      (!have_lsize || lrank < lsize))
    set(c, PSW_TOPO_LOCAL_RANK, &c->local_rank, lrank, S);
  return 1;
}

/* --- Slurm -------------------------------------------------------------- */

int psw__slurm_tasks_on_node(const char *spec, int node_id, int *num_nodes) {
  /* "2(x3),1": 2 tasks on each of 3 nodes, then 1 task on one node. */
  if (!spec || !*spec || node_id < 0)
    return -1;
  long nodes = 0;
  int found = -1;
  for (const char *s = spec;;) {
    size_t len = strcspn(s, ",");
    const char *paren = memchr(s, '(', len);
    int count, reps = 1;
    if (psw__topo_parse_int(s, paren ? paren - s : (long)len, 0, 1 << 24,
                            &count))
      return -1;
    if (paren) {
      /* "(xN)" must end the item exactly. */
      long inner = (long)len - (paren - s) - 3;
      if (inner < 1 || paren[1] != 'x' || s[len - 1] != ')' ||
          psw__topo_parse_int(paren + 2, inner, 1, 1 << 24, &reps))
        return -1;
    }
    if (found < 0 && node_id < nodes + reps)
      found = count;
    nodes += reps;
    if (nodes > 1 << 24)
      return -1;
    if (!s[len])
      break;
    s += len + 1;
  }
  if (num_nodes)
    *num_nodes = (int)nodes;
  return found;
}

/* The first of `names` that is set and valid. */
static int env_first(const char *const *names, int min, int *out) {
  for (; *names; names++)
    if (psw__topo_env_int(*names, min, out) == 1)
      return 1;
  return 0;
}

/* Only inside a job step (srun): the batch script of an allocation also sees
 * SLURM_NTASKS, SLURM_NNODES and SLURM_PROCID=0, but it is one process. */
int psw__topo_from_slurm(psw_topo_t *c) {
  const psw_topo_src_t S = PSW_TOPO_SRC_SLURM;
  static const char *const size_vars[] = {"SLURM_STEP_NUM_TASKS",
                                          "SLURM_NTASKS", "SLURM_NPROCS", NULL};
  static const char *const nodes_vars[] = {"SLURM_STEP_NUM_NODES",
                                           "SLURM_NNODES", NULL};
  static const char *const tpn_vars[] = {"SLURM_STEP_TASKS_PER_NODE",
                                         "SLURM_TASKS_PER_NODE", NULL};
  int size, rank, nodes, node, lrank;
  if (!getenv("SLURM_STEP_ID") && !getenv("SLURM_STEPID"))
    return 0;
  if (!env_first(size_vars, 1, &size) ||
      psw__topo_env_int("SLURM_PROCID", 0, &rank) != 1)
    return 0;
  if (rank >= size) {
    PSW_WARN("topology: ignoring Slurm's environment: rank %d of %d", rank,
             size);
    return 0;
  }
  set(c, PSW_TOPO_JOB_SIZE, &c->job_size, size, S);
  set(c, PSW_TOPO_RANK, &c->rank, rank, S);
  int have_nodes = env_first(nodes_vars, 1, &nodes) && nodes <= size;
  if (have_nodes)
    set(c, PSW_TOPO_NUM_NODES, &c->num_nodes, nodes, S);
  int have_node = psw__topo_env_int("SLURM_NODEID", 0, &node) == 1 &&
                  (!have_nodes || node < nodes);
  if (have_node)
    set(c, PSW_TOPO_NODE_ID, &c->node_id, node, S);

  /* The global ranks on this node: exact under any distribution (block,
   * cyclic, arbitrary), unlike the tasks-per-node counts. */
  const char *gtids = getenv("SLURM_GTIDS");
  int *peers = NULL, npeers = 0;
  if (gtids && *gtids) {
    int rc = psw__topo_parse_intlist(gtids, &peers, &npeers);
    if (rc == PSW_ERR_NOMEM)
      return rc;
    if (!rc && (peers[npeers - 1] >= size || !contains(peers, npeers, rank))) {
      rc = PSW_ERR_PARSE;
      free(peers);
    }
    if (rc)
      PSW_WARN("topology: ignoring SLURM_GTIDS=%s", gtids);
    else
      psw__topo_take_peers(c, peers, npeers, S);
  }
  if (c->local_peers) {
    set(c, PSW_TOPO_LOCAL_SIZE, &c->local_size, c->num_local_peers, S);
  } else if (have_node) {
    for (const char *const *v = tpn_vars; *v; v++) {
      const char *tpn = getenv(*v);
      int n = tpn ? psw__slurm_tasks_on_node(tpn, node, NULL) : -1;
      if (n >= 1 && n <= size) {
        set(c, PSW_TOPO_LOCAL_SIZE, &c->local_size, n, S);
        break;
      }
      if (tpn)
        PSW_WARN("topology: ignoring %s=%s for node %d", *v, tpn, node);
    }
  }
  if (psw__topo_env_int("SLURM_LOCALID", 0, &lrank) == 1 &&
      (c->local_size < 0 || lrank < c->local_size))
    set(c, PSW_TOPO_LOCAL_RANK, &c->local_rank, lrank, S);
  return 1;
}
