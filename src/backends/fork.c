/* parsweep — the fork backend: N forked worker processes on one node.
 *
 * The shared-memory group is mapped (MAP_SHARED | MAP_ANONYMOUS) before the
 * fork, so every child shares it with its siblings and the parent. The
 * parent is not a worker: it supervises (backends/procpool.c), so a worker
 * that dies is detected, the others' collectives fail at once, and no child
 * outlives psw_parallel. */
#include <stdlib.h>

#include "backends/pool.h"
#include "backends/procpool.h"
#include "shm/group.h"
#include "shm/named.h"

struct fork_state {
  struct psw_shm_group *grp;
};

struct fork_region {
  psw_manager_t *m;
  psw_region_fn fn;
  void *arg;
};

static int fork_create(psw_manager_t *m) {
  /* Names in /dev/shm that runs killed at the wrong moment left behind
   * (shm/named.h): the backends of node shared memory clean up, not the
   * factory, which stays above the algorithms it does not use. */
  psw__shm_named_reap();
  struct fork_state *st = calloc(1, sizeof *st);
  if (!st)
    return PSW_ERR_NOMEM;
  m->num_workers = psw__pool_size(m);
  int rc = psw__shm_group_create(m->num_workers, psw__pool_slot_bytes(m),
                                 psw__available_cpus(), &st->grp);
  if (rc) {
    free(st);
    return rc;
  }
  m->be_state = st;
  return 0;
}

static void fork_destroy(psw_manager_t *m) {
  struct fork_state *st = m->be_state;
  psw__shm_group_destroy(st->grp);
  free(st);
}

static int fork_child(int rank, void *arg) {
  struct fork_region *r = arg;
  struct fork_state *st = r->m->be_state;
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, r->m, rank, st->grp->n);
  ctx.grp = st->grp;
  return r->fn(&ctx, r->arg);
}

static int fork_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  struct fork_state *st = m->be_state;
  struct fork_region r = {m, fn, arg};
  struct psw_procpool pool;
  psw__shm_group_reset(st->grp);
  int rc = psw__procpool_start(&pool, st->grp, 0, m->num_workers,
                               m->opts.abort_grace_s, fork_child, &r);
  int lost = psw__procpool_supervise(&pool);
  if (rc)
    return rc;
  return lost ? lost : psw__shm_region_result(st->grp);
}

const struct psw_backend psw__backend_fork = {
    .name = PSW_BACKEND_FORK,
    .create = fork_create,
    .destroy = fork_destroy,
    .parallel = fork_parallel,
    PSW_POOL_COLLECTIVES,
};
