/* parsweep — topology of the local machine: the last source, always there.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "topo.h"
#include "topo_source.h"

/* The affinity mask as a sorted list. The set grows until the kernel
 * accepts its size, so machines beyond CPU_SETSIZE (1024) work too. */
static int affinity_cpus(int **out, int *n) {
  for (int ncpu = 1024; ncpu <= 1 << 20; ncpu *= 2) {
    cpu_set_t *set = CPU_ALLOC(ncpu);
    if (!set)
      return PSW_ERR_NOMEM;
    size_t sz = CPU_ALLOC_SIZE(ncpu);
    CPU_ZERO_S(sz, set);
    if (sched_getaffinity(0, sz, set) != 0) {
      int e = errno;
      CPU_FREE(set);
      if (e == EINVAL)
        continue;
      return PSW_ERR_SYS;
    }
    int count = CPU_COUNT_S(sz, set);
    int *v = count > 0 ? malloc((size_t)count * sizeof *v) : NULL;
    if (count > 0 && !v) {
      CPU_FREE(set);
      return PSW_ERR_NOMEM;
    }
    int k = 0;
    for (int i = 0; i < ncpu && k < count; i++)
      if (CPU_ISSET_S(i, sz, set))
        v[k++] = i;
    CPU_FREE(set);
    *out = v;
    *n = k;
    return k > 0 ? 0 : PSW_ERR_SYS;
  }
  return PSW_ERR_SYS;
}

int psw__topo_from_local(psw_topo_t *c) {
  const psw_topo_src_t S = PSW_TOPO_SRC_LOCAL;
  if (gethostname(c->hostname, sizeof c->hostname - 1) == 0 && c->hostname[0])
    c->src[PSW_TOPO_HOSTNAME] = S;
  else
    c->hostname[0] = 0;

  int rc = affinity_cpus(&c->cpus, &c->num_cpus);
  if (rc == PSW_ERR_NOMEM)
    return rc;
  if (rc) {
    /* Not expected on Linux; one CPU keeps every plan well-defined. */
    PSW_WARN("topology: sched_getaffinity failed: %s; assuming one CPU",
             strerror(errno));
    c->cpus = malloc(sizeof *c->cpus);
    if (!c->cpus)
      return PSW_ERR_NOMEM;
    c->cpus[0] = sched_getcpu() > 0 ? sched_getcpu() : 0;
    c->num_cpus = 1;
  }
  c->src[PSW_TOPO_CPUS] = S;

  /* Without a launcher this process is the whole job. topo.c keeps these
   * only when no launcher said otherwise. */
  c->job_size = 1;
  c->rank = 0;
  c->num_nodes = 1;
  c->node_id = 0;
  c->local_rank = 0;
  c->local_size = 1;
  for (int f = PSW_TOPO_JOB_SIZE; f <= PSW_TOPO_LOCAL_SIZE; f++)
    c->src[f] = S;
  int *self = malloc(sizeof *self);
  if (!self)
    return PSW_ERR_NOMEM;
  self[0] = 0;
  psw__topo_take_peers(c, self, 1, S);
  return 1;
}
