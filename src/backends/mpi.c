/* parsweep — the mpi backend: one worker per MPI rank.
 *
 * Every rank runs the program and calls psw_parallel; the region runs once
 * on each rank. Collectives are MPI's (mpi/coll.c); psw_for is served by
 * the dispatcher thread on rank 0 (mpi/dispatch.c). The node of a rank is
 * found with MPI_Comm_split_type(MPI_COMM_TYPE_SHARED). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mpi/coll.h"
#include "mpi/dispatch.h"
#include "mpi/mpiutil.h"

struct mpi_state {
  MPI_Comm comm; /* all ranks */
  int rank, size;
  int node_id, num_nodes, local_rank, local_size;
  struct psw_disp disp;
  struct psw_disp_out out;
};

/* Node of this rank: ranks sharing memory form a node; node ids follow
 * the order of the nodes' lowest ranks. */
static int find_node(struct mpi_state *st) {
  MPI_Comm node, leaders;
  int rc = psw__mpi_err(MPI_Comm_split_type(st->comm, MPI_COMM_TYPE_SHARED,
                                            st->rank, MPI_INFO_NULL, &node),
                        "MPI_Comm_split_type");
  if (rc)
    return rc;
  MPI_Comm_rank(node, &st->local_rank);
  MPI_Comm_size(node, &st->local_size);
  rc = psw__mpi_err(
      MPI_Comm_split(st->comm, st->local_rank == 0 ? 0 : 1, st->rank, &leaders),
      "MPI_Comm_split");
  if (!rc) {
    int ids[2] = {0, 0};
    if (st->local_rank == 0) {
      MPI_Comm_rank(leaders, &ids[0]);
      MPI_Comm_size(leaders, &ids[1]);
    }
    rc = psw__mpic_bcast(node, ids, sizeof ids, 0);
    st->node_id = ids[0];
    st->num_nodes = ids[1];
    MPI_Comm_free(&leaders);
  }
  MPI_Comm_free(&node);
  return rc;
}

static int mpi_create(psw_manager_t *m) {
  int rc = psw__mpi_acquire();
  if (rc)
    return rc;
  struct mpi_state *st = calloc(1, sizeof *st);
  if (!st) {
    psw__mpi_release();
    return PSW_ERR_NOMEM;
  }
  rc = psw__mpi_err(MPI_Comm_dup(MPI_COMM_WORLD, &st->comm), "MPI_Comm_dup");
  if (!rc) {
    MPI_Comm_rank(st->comm, &st->rank);
    MPI_Comm_size(st->comm, &st->size);
    rc = find_node(st);
  }
  if (!rc)
    rc = psw__disp_init(&st->disp, st->comm);
  if (rc) {
    free(st);
    psw__mpi_release();
    return rc;
  }
  if (m->opts.num_workers > 1 && st->rank == 0)
    PSW_WARN("the mpi backend runs one worker per rank; ignoring %d workers "
             "(use hybrid for a pool per rank)",
             m->opts.num_workers);
  m->num_workers = st->size;
  m->be_state = st;
  return 0;
}

static void mpi_destroy(psw_manager_t *m) {
  struct mpi_state *st = m->be_state;
  psw__disp_out_free(&st->out);
  psw__disp_fini(&st->disp);
  MPI_Comm_free(&st->comm);
  free(st);
  psw__mpi_release();
}

static int mpi_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  struct mpi_state *st = m->be_state;
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, m, st->rank, st->size);
  ctx.node_id = st->node_id;
  ctx.num_nodes = st->num_nodes;
  ctx.local_rank = st->local_rank;
  ctx.local_size = st->local_size;
  ctx.be_ctx = st;
  int rc = fn(&ctx, arg);
  /* Every rank returns the region's first error, as on the pool backends:
   * the smallest (most negative) code is as good a pick as any, and the
   * same everywhere. */
  int all = rc;
  MPI_Request r;
  if (MPI_Iallreduce(&rc, &all, 1, MPI_INT, MPI_MIN, st->comm, &r) ==
      MPI_SUCCESS)
    psw__mpi_wait(&r);
  return rc ? rc : all;
}

static struct mpi_state *S(psw_ctx_t *c) {
  return c->be_ctx;
}

static void mpi_abort(psw_ctx_t *c, int err) {
  /* An error only this rank can see (root's arrays): the others cannot be
   * released from an MPI collective they already entered, so the job ends
   * as MPI ends jobs. */
  PSW_ERROR("rank %d: invalid arguments seen only here (%s); aborting the "
            "MPI job",
            c->rank, psw_strerror(err));
  MPI_Abort(S(c)->comm, 1);
}

static int mpi_barrier(psw_ctx_t *c) {
  return psw__mpic_barrier(S(c)->comm);
}

static int mpi_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root) {
  return psw__mpic_bcast(S(c)->comm, buf, nbytes, root);
}

static int mpi_scatterv(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                        const size_t *displs, void *recvbuf, size_t recvbytes,
                        int root) {
  return psw__mpic_scatterv(S(c)->comm, sendbuf, counts, displs, recvbuf,
                            recvbytes, root);
}

static int mpi_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                       void *recvbuf, const size_t *counts,
                       const size_t *displs, int root) {
  return psw__mpic_gatherv(S(c)->comm, sendbuf, sendbytes, recvbuf, counts,
                           displs, root);
}

static int mpi_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                      size_t count, psw_type_t type, psw_op_t op, int root) {
  return psw__mpic_reduce(S(c)->comm, sendbuf, recvbuf, count, type, op, root);
}

static int mpi_loop(psw_ctx_t *c, const struct psw_loop *L) {
  struct mpi_state *st = S(c);
  struct psw_disp *d = &st->disp;
  size_t rs = L->opts.record_size;
  int rc = psw__disp_out_begin(&st->out, d, rs);
  if (!rc && st->rank == 0)
    rc = psw__disp_serve_start(d, L->n, st->size, &L->opts);
  if (rc) /* local resources: the others would wait for us forever */
    mpi_abort(c, rc);
  int32_t err = 0;
  uint64_t b, e, done = 0, told = 0, flagged = 0, ftold = 0;
  /* Per-node sinks: every rank is its own node writer and keeps its
   * records; only counts go to the root, for progress. */
  int local = rs && L->opts.sink_per_node;
  void *own = local ? calloc(1, rs) : NULL;
  double last = psw__mpi_now();
  if (local && !own)
    mpi_abort(c, PSW_ERR_NOMEM);
  /* After a task error, one more request tells the dispatcher; its reply
   * is empty and ends the loop. */
  while (!(rc = psw__disp_next(d, err, 1, &b, &e)) && b < e && !err) {
    psw__loop_chunk(c, L, b, e);
    for (uint64_t i = b; i < e && !rc; i++) {
      void *rec = local ? own : rs ? psw__disp_out_record(&st->out, i) : NULL;
      if (local)
        memset(own, 0, rs);
      int trc = psw__loop_run(c, L, i, rec);
      if (trc) {
        if (rs && !local)
          psw__disp_out_drop(&st->out); /* a failed task has no record */
        err = trc;
        break;
      }
      done++;
      if (local) {
        int src = L->opts.sink(i, own, L->opts.sink_arg);
        if (src < 0) {
          err = src;
          break;
        }
        flagged += src > 0;
        if (psw__mpi_now() - last >= 1.0) {
          rc = psw__disp_progress(d, done - told, flagged - ftold);
          told = done;
          ftold = flagged;
          last = psw__mpi_now();
        }
      } else if (rs) {
        rc = psw__disp_out_maybe_flush(&st->out);
      }
    }
    if (rc)
      break;
  }
  free(own);
  if (!rc && local && done > told)
    rc = psw__disp_progress(d, done - told, flagged - ftold);
  if (!rc)
    rc = psw__disp_out_flush(&st->out);
  int frc = psw__disp_fin(d);
  if (!rc)
    rc = frc;
  int32_t loop_err = 0;
  if (st->rank == 0) {
    int src = psw__disp_serve_join(d, &loop_err);
    if (src && !loop_err)
      loop_err = src;
  }
  int brc = psw__mpic_bcast(st->comm, &loop_err, sizeof loop_err, 0);
  if (rc)
    return rc;
  return brc ? brc : loop_err;
}

static int mpi_node_writer(const psw_ctx_t *c) {
  (void)c;
  return 1;
}

static int mpi_writers_comm(const psw_ctx_t *c, void *comm) {
  *(MPI_Comm *)comm = ((struct mpi_state *)c->be_ctx)->comm;
  return 0;
}

const struct psw_backend psw__backend_mpi = {
    .name = PSW_BACKEND_MPI,
    .create = mpi_create,
    .destroy = mpi_destroy,
    .parallel = mpi_parallel,
    .abort = mpi_abort,
    .barrier = mpi_barrier,
    .bcast = mpi_bcast,
    .scatterv = mpi_scatterv,
    .gatherv = mpi_gatherv,
    .reduce = mpi_reduce,
    .loop = mpi_loop,
    .node_writer = mpi_node_writer,
    .writers_comm = mpi_writers_comm,
};
