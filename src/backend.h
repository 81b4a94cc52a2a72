/* parsweep — the backend vtable (internal).
 *
 * Each backend lives in one file under backends/ and exports exactly one
 * `const struct psw_backend`. The manager calls through this table only;
 * backends never call each other. Collectives take byte counts except the
 * reductions, which need the element type. Every slot may assume validated
 * arguments (the public wrappers in core/collectives.c check them). */
#ifndef PSW_BACKEND_H
#define PSW_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "parsweep.h"
#include "registry.h"

/* One psw_for/psw_for_ex call, as every backend receives it. */
struct psw_loop {
  uint64_t n;
  psw_task_fn task;         /* psw_for */
  psw_task_rec_fn task_rec; /* psw_for_ex */
  void *arg;
  psw_for_opts_t opts;
};

/* Run task i of L (either kind) with `record` (may be NULL when
 * opts.record_size is 0). */
static inline int psw__loop_run(psw_ctx_t *c, const struct psw_loop *L,
                                uint64_t i, void *record) {
  return L->task_rec ? L->task_rec(c, i, record, L->arg)
                     : L->task(c, i, L->arg);
}

/* Before the tasks of the chunk [b, e): opts.chunk, when set. */
static inline void psw__loop_chunk(psw_ctx_t *c, const struct psw_loop *L,
                                   uint64_t b, uint64_t e) {
  if (L->opts.chunk && b < e)
    L->opts.chunk(c, b, e, L->arg);
}

/* A backend's optional slot declines: the caller takes the general path. */
#define PSW__NOT_HANDLED 1

struct psw_backend {
  const char *name; /* native name, SPEC §1 (registry.h); aliases and
                     * whether a backend is built: the registry */

  /* Set up backend state in m->be_state from m->opts; fix m->num_workers.
   * Called once by the factory. */
  int (*create)(psw_manager_t *m);
  /* Free what create made. Never called inside a region. */
  void (*destroy)(psw_manager_t *m);
  /* Run fn on every worker and wait (psw_parallel). Blocking; returns the
   * region's result as documented at psw_parallel(). */
  int (*parallel)(psw_manager_t *m, psw_region_fn fn, void *arg);

  /* Make the pending and future collectives of every other worker of the
   * region fail with err (an error only this worker can see). */
  void (*abort)(psw_ctx_t *c, int err);

  /* Collectives, called by every worker of the region. Blocking. */
  int (*barrier)(psw_ctx_t *c);
  int (*bcast)(psw_ctx_t *c, void *buf, size_t nbytes, int root);
  /* sendbuf on root; counts/displs in bytes, read on root only. */
  int (*scatterv)(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                  const size_t *displs, void *recvbuf, size_t recvbytes,
                  int root);
  /* counts/displs in bytes; recvbuf, counts and displs used on root only,
   * or on every worker when root < 0 (allgatherv). */
  int (*gatherv)(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                 void *recvbuf, const size_t *counts, const size_t *displs,
                 int root);
  /* Optional (NULL: gatherv is used): a gather of nbytes from every worker
   * (the same on all), packed in rank order; root < 0: allgather. Returns
   * PSW__NOT_HANDLED, on every worker alike, to leave it to gatherv. */
  int (*gather)(psw_ctx_t *c, const void *sendbuf, size_t nbytes, void *recvbuf,
                int root);
  /* root < 0: allreduce. sendbuf may equal recvbuf. */
  int (*reduce)(psw_ctx_t *c, const void *sendbuf, void *recvbuf, size_t count,
                psw_type_t type, psw_op_t op, int root);
  /* The whole of psw_for/psw_for_ex (dynamic scheduling, records to the
   * sink, the final barrier). */
  int (*loop)(psw_ctx_t *c, const struct psw_loop *L);
  /* Does this worker host a node's sink (psw_is_node_writer)? NULL: the
   * root only. */
  int (*node_writer)(const psw_ctx_t *c);
  /* MPI backends: the communicator of the node writers, into *(MPI_Comm
   * *)comm (psw_mpi_writers_comm). NULL elsewhere. */
  int (*writers_comm)(const psw_ctx_t *c, void *comm);
  /* 1: loop takes psw_for_opts_t.first itself (its dispatcher hands out
   * absolute indices); 0: core/collectives.c shifts a loop from 0. */
  int loop_first;
};

extern const struct psw_backend psw__backend_serial;
extern const struct psw_backend psw__backend_threads;
extern const struct psw_backend psw__backend_fork;
extern const struct psw_backend psw__backend_mpi;
extern const struct psw_backend psw__backend_hybrid;
extern const struct psw_backend psw__backend_elastic;

#endif /* PSW_BACKEND_H */
