/* parsweep — the hybrid backend: MPI across nodes, shared memory inside.
 *
 * See hybrid/hybrid.h for the two kinds of node group. The choice: ranks
 * that share a node form its group (RANKS), unless a pool size was asked
 * for (opts.num_workers, `-j N`) or the rank is alone on its node; then
 * the rank forks a pool (POOL) of num_workers, or of every CPU it may use.
 * Collectives are hierarchical (hybrid/coll.c), psw_for goes through node
 * leaders (hybrid/loop.c). */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "backends/pool.h"
#include "backends/procpool.h"
#include "hybrid/hybrid.h"
#include "mpi/coll.h"
#include "mpi/mpiutil.h"
#include "shm/named.h"

struct hyb_state {
  struct psw_hybrid h;
  MPI_Comm node; /* RANKS: the ranks of this node group */
};

/* RANKS: the CPUs the node group's ranks may use together. A launcher
 * binds each rank to a core of its own (mpirun -n 2: cores 0 and 1), so
 * one rank's affinity (one CPU) would say "fewer CPUs than waiters" and
 * turn the group's spinning off: every wait would yield or sleep, and a
 * barrier take microseconds instead of a few hundred nanoseconds. */
static int node_cpus(struct hyb_state *st) {
  cpu_set_t mine, all;
  CPU_ZERO(&mine);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0)
    return psw__available_cpus();
  if (MPI_Allreduce(&mine, &all, (int)sizeof mine, MPI_UNSIGNED_CHAR, MPI_BOR,
                    st->node) != MPI_SUCCESS)
    return psw__available_cpus();
  int n = CPU_COUNT(&all);
  return n > 0 ? n : 1;
}

/* RANKS: the leader creates the named group, the others attach, and the
 * name is removed as soon as everyone has it mapped. */
static int ranks_group(struct hyb_state *st, size_t slot) {
  struct psw_hybrid *h = &st->h;
  char name[PSW_SHM_NAME_MAX] = "";
  int rc = 0;
  int ncpus = node_cpus(st); /* collective over the node's ranks */
  if (h->local_rank == 0)
    rc = psw__shm_named_create(h->local_size, slot, ncpus, name, &h->g);
  int ok = rc == 0, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, st->node);
  if (!all)
    return rc ? rc : PSW_ERR_SYS;
  if ((rc = psw__mpic_bcast(st->node, name, sizeof name, 0)))
    return rc;
  if (h->local_rank != 0)
    rc = psw__shm_named_attach(name, &h->g);
  ok = rc == 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, st->node);
  if (h->local_rank == 0)
    psw__shm_named_unlink(name);
  h->g_named = 1;
  return all ? 0 : (rc ? rc : PSW_ERR_SYS);
}

/* Every rank learns how many workers each node group has. */
static int layout(struct psw_hybrid *h, int workers) {
  int mine[2] = {h->local_rank == 0 ? workers : 0, h->node_id};
  int *all = malloc(2 * (size_t)h->size * sizeof *all);
  h->node_first = calloc((size_t)h->num_nodes + 1, sizeof *h->node_first);
  if (!all || !h->node_first) {
    free(all);
    return PSW_ERR_NOMEM;
  }
  int rc =
      psw__mpi_err(MPI_Allgather(mine, 2, MPI_INT, all, 2, MPI_INT, h->comm),
                   "MPI_Allgather");
  if (!rc) {
    for (int r = 0; r < h->size; r++)
      h->node_first[all[2 * r + 1] + 1] += all[2 * r];
    for (int k = 0; k < h->num_nodes; k++)
      h->node_first[k + 1] += h->node_first[k];
    h->total = h->node_first[h->num_nodes];
  }
  free(all);
  return rc;
}

static int setup(psw_manager_t *m, struct hyb_state *st) {
  struct psw_hybrid *h = &st->h;
  MPI_Comm shm;
  int rc, shm_size;
  if ((rc = psw__mpi_err(MPI_Comm_dup(MPI_COMM_WORLD, &h->comm), "dup")))
    return rc;
  MPI_Comm_rank(h->comm, &h->rank);
  MPI_Comm_size(h->comm, &h->size);
  if ((rc = psw__mpi_err(MPI_Comm_split_type(h->comm, MPI_COMM_TYPE_SHARED,
                                             h->rank, MPI_INFO_NULL, &shm),
                         "MPI_Comm_split_type")))
    return rc;
  MPI_Comm_size(shm, &shm_size);
  h->mode = m->opts.num_workers > 0 || shm_size == 1 ? PSW_HYBRID_POOL
                                                     : PSW_HYBRID_RANKS;
  size_t slot = psw__pool_slot_bytes(m);
  int workers;
  if (h->mode == PSW_HYBRID_POOL) {
    MPI_Comm_free(&shm);
    st->node = MPI_COMM_NULL;
    workers = psw__pool_size(m);
    h->local_rank = 0;
    h->local_size = 1;
    h->node_id = h->rank;
    h->num_nodes = h->size;
    rc = psw__mpi_err(MPI_Comm_dup(h->comm, &h->leaders), "dup");
    if (!rc)
      rc = psw__shm_group_create(workers, slot, psw__available_cpus(), &h->g);
  } else {
    st->node = shm;
    MPI_Comm_rank(shm, &h->local_rank);
    MPI_Comm_size(shm, &h->local_size);
    workers = h->local_size;
    rc = psw__mpi_err(MPI_Comm_split(h->comm,
                                     h->local_rank == 0 ? 0 : MPI_UNDEFINED,
                                     h->rank, &h->leaders),
                      "MPI_Comm_split");
    int ids[2] = {0, 0};
    if (!rc && h->local_rank == 0) {
      MPI_Comm_rank(h->leaders, &ids[0]);
      MPI_Comm_size(h->leaders, &ids[1]);
    }
    if (!rc)
      rc = psw__mpic_bcast(shm, ids, sizeof ids, 0);
    h->node_id = ids[0];
    h->num_nodes = ids[1];
    if (!rc)
      rc = ranks_group(st, slot);
  }
  if (!rc)
    rc = layout(h, workers);
  if (!rc && h->local_rank == 0)
    rc = psw__disp_init(&h->disp, h->leaders);
  return rc;
}

static void hyb_destroy(psw_manager_t *m) {
  struct hyb_state *st = m->be_state;
  struct psw_hybrid *h = &st->h;
  if (h->local_rank == 0 && h->leaders != MPI_COMM_NULL && h->leaders) {
    psw__disp_out_free(&h->out);
    psw__disp_fini(&h->disp);
    MPI_Comm_free(&h->leaders);
  }
  if (st->node != MPI_COMM_NULL && st->node)
    MPI_Comm_free(&st->node);
  if (h->comm)
    MPI_Comm_free(&h->comm);
  psw__shm_group_destroy(h->g); /* munmap, named or not */
  free(h->node_first);
  free(st);
  psw__mpi_release();
}

static int hyb_create(psw_manager_t *m) {
  /* Names in /dev/shm that runs killed at the wrong moment left behind
   * (shm/named.h): the backends of node shared memory clean up, not the
   * factory, which stays above the algorithms it does not use. */
  psw__shm_named_reap();
  int rc = psw__mpi_acquire();
  if (rc)
    return rc;
  struct hyb_state *st = calloc(1, sizeof *st);
  if (!st) {
    psw__mpi_release();
    return PSW_ERR_NOMEM;
  }
  st->h.leaders = MPI_COMM_NULL;
  st->node = MPI_COMM_NULL;
  m->be_state = st;
  if ((rc = setup(m, st))) {
    hyb_destroy(m);
    m->be_state = NULL;
    return rc;
  }
  m->num_workers = st->h.total;
  if (st->h.rank == 0)
    PSW_INFO("hybrid: %d node groups (%s), %d workers", st->h.num_nodes,
             st->h.mode == PSW_HYBRID_POOL ? "a forked pool per rank"
                                           : "the ranks of each node",
             st->h.total);
  return 0;
}

struct hyb_region {
  psw_manager_t *m;
  psw_region_fn fn;
  void *arg;
};

static void ctx_for(psw_ctx_t *c, psw_manager_t *m, struct psw_hybrid *h,
                    int local) {
  psw__ctx_init(c, m, h->node_first[h->node_id] + local, h->total);
  c->node_id = h->node_id;
  c->num_nodes = h->num_nodes;
  c->local_rank = local;
  c->local_size = h->g->n;
  c->grp = h->g;
  c->be_ctx = h;
}

/* A forked pool worker (never calls MPI: only local rank 0 does). */
static int pool_child(int local, void *arg) {
  struct hyb_region *r = arg;
  struct hyb_state *st = r->m->be_state;
  psw_ctx_t ctx;
  ctx_for(&ctx, r->m, &st->h, local);
  return r->fn(&ctx, r->arg);
}

static void *supervise_main(void *p) {
  struct psw_procpool *pool = p;
  intptr_t lost = psw__procpool_supervise(pool);
  return (void *)lost;
}

/* Did a worker of this node leave the region from inside a collective? */
static int interrupted(struct psw_shm_group *g) {
  for (int r = 0; r < g->n; r++) {
    int rc = atomic_load(&psw__shm_worker(g, r)->rc);
    if (rc == PSW_ERR_ABORTED || rc == PSW_ERR_PEER_LOST ||
        rc == PSW_ERR_MISMATCH)
      return 1;
  }
  return 0;
}

static int hyb_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  struct hyb_state *st = m->be_state;
  struct psw_hybrid *h = &st->h;
  struct hyb_region r = {m, fn, arg};
  int rc = 0, lost = 0;
  psw_ctx_t ctx;
  if (h->mode == PSW_HYBRID_POOL) {
    struct psw_procpool pool;
    pthread_t sup;
    psw__shm_group_reset(h->g);
    int prc = psw__procpool_start(&pool, h->g, 1, h->g->n - 1,
                                  m->opts.abort_grace_s, pool_child, &r);
    /* Children are watched from a thread: this process is worker 0. */
    int trc = pthread_create(&sup, NULL, supervise_main, &pool);
    if (trc) {
      psw__shm_abort(h->g, PSW_ERR_SYS);
      lost = psw__procpool_supervise(&pool);
    }
    ctx_for(&ctx, m, h, 0);
    atomic_store(&psw__shm_worker(h->g, 0)->state, PSW_W_RUNNING);
    rc = prc ? prc : fn(&ctx, arg);
    psw__shm_depart(h->g, 0, rc);
    if (!trc) {
      void *ret;
      pthread_join(sup, &ret);
      lost = (int)(intptr_t)ret;
    }
  } else {
    if (h->local_rank == 0)
      psw__shm_group_reset(h->g);
    MPI_Barrier(st->node);
    ctx_for(&ctx, m, h, h->local_rank);
    rc = fn(&ctx, arg);
    psw__shm_depart(h->g, h->local_rank, rc);
    MPI_Barrier(st->node);
  }
  int res = lost ? lost : psw__shm_region_result(h->g);
  if ((lost || interrupted(h->g)) && h->num_nodes > 1) {
    /* A collective of this node was cut short: the other nodes may be
     * inside its MPI stage, and MPI cannot release them. End the job, as
     * MPI does when a rank dies (--resume picks the sweep up). A plain
     * error returned outside collectives needs none of this. */
    PSW_ERROR("node %d: the region failed (%s); ending the MPI job", h->node_id,
              psw_strerror(res));
    MPI_Abort(h->comm, 1);
  }
  int all = res;
  MPI_Request q;
  if (MPI_Iallreduce(&res, &all, 1, MPI_INT, MPI_MIN, h->comm, &q) ==
      MPI_SUCCESS)
    psw__mpi_wait(&q);
  return res ? res : all;
}

static void hyb_abort(psw_ctx_t *c, int err) {
  psw__shm_abort(c->grp, err);
}

static int hyb_node_writer(const psw_ctx_t *c) {
  return c->local_rank == 0;
}

static int hyb_writers_comm(const psw_ctx_t *c, void *comm) {
  *(MPI_Comm *)comm = ((struct psw_hybrid *)c->be_ctx)->leaders;
  return 0;
}

const struct psw_backend psw__backend_hybrid = {
    .name = PSW_BACKEND_HYBRID,
    .create = hyb_create,
    .destroy = hyb_destroy,
    .parallel = hyb_parallel,
    .abort = hyb_abort,
    .barrier = psw__hyb_barrier,
    .bcast = psw__hyb_bcast,
    .scatterv = psw__hyb_scatterv,
    .gatherv = psw__hyb_gatherv,
    .gather = psw__hyb_gather,
    .reduce = psw__hyb_reduce,
    .loop = psw__hyb_loop,
    .node_writer = hyb_node_writer,
    .writers_comm = hyb_writers_comm,
};
