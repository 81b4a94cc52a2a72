/* parsweep — collectives of a shared-memory group (internal).
 *
 * Pure node-local algorithms: they see a group and a local rank, never a
 * backend, so the threads and fork backends use them directly and hybrid
 * uses them as the node stage of its hierarchical collectives.
 *
 * Messages are pipelined through the group's staging slots: each step
 * writes at most slot_bytes per worker into buffer (step & 1), passes one
 * barrier, and reads. Two buffers make one barrier per step enough: a
 * buffer is written again only two steps later, after a barrier that every
 * reader of its previous contents has passed. `*step` is the caller's step
 * counter, identical on every worker of the group. */
#ifndef PSW_SHM_COLL_H
#define PSW_SHM_COLL_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "parsweep.h"
#include "shm/group.h"

int psw__shm_bcast(struct psw_shm_group *g, int rank, uint64_t *step, void *buf,
                   size_t nbytes, int root);

/* counts/displs in bytes, read on root only. */
int psw__shm_scatterv(struct psw_shm_group *g, int rank, uint64_t *step,
                      const void *sendbuf, const size_t *counts,
                      const size_t *displs, void *recvbuf, size_t recvbytes,
                      int root);

/* counts/displs in bytes; the result lands on root, or on every worker
 * when root < 0 (allgatherv). */
int psw__shm_gatherv(struct psw_shm_group *g, int rank, uint64_t *step,
                     const void *sendbuf, size_t sendbytes, void *recvbuf,
                     const size_t *counts, const size_t *displs, int root);

/* Element-wise reduction in rank order; the result on root, or on every
 * worker when root < 0. sendbuf may equal recvbuf. */
int psw__shm_reduce(struct psw_shm_group *g, int rank, uint64_t *step,
                    const void *sendbuf, void *recvbuf, size_t count,
                    psw_type_t type, psw_op_t op, int root);

/* Small messages (at most PSW_SHM_SMALL bytes per worker) through the
 * workers' mailboxes, synchronising only the workers that exchange data
 * (shm/small.c). psw__shm_bcast and psw__shm_reduce take this path by
 * themselves; a gather of equal sizes (the sizes of a gatherv may differ
 * between workers, which could not agree on the path) calls
 * psw__shm_gather_small itself. root < 0: to every worker. */
int psw__shm_bcast_small(struct psw_shm_group *g, int rank, uint64_t *step,
                         void *buf, size_t nbytes, int root);
int psw__shm_reduce_small(struct psw_shm_group *g, int rank, uint64_t *step,
                          const void *sendbuf, void *recvbuf, size_t count,
                          psw_type_t type, psw_op_t op, int root);
int psw__shm_gather_small(struct psw_shm_group *g, int rank, uint64_t *step,
                          const void *sendbuf, size_t nbytes, void *recvbuf,
                          int root);

/* Where a loop's chunks come from: the group's shared counter (pool
 * backends), or hybrid's node queue fed by the dispatcher. take gives at
 * most `cap` indices (the worker's pace: psw__chunk_cap) and returns 0
 * when there is no more work for this worker. */
struct psw_chunk_src {
  int (*take)(void *arg, uint64_t cap, uint64_t *b, uint64_t *e);
  void *arg;
};

/* psw_for/psw_for_ex over the group's shared counter. `loops` is the
 * caller's count of loops done (identical on every worker); tasks get
 * `ctx`. Records travel to the sink on local rank 0 through per-worker
 * rings in the staging slots (shm/ring.c). */
int psw__shm_loop(struct psw_shm_group *g, int rank, uint64_t *loops,
                  const struct psw_loop *L, psw_ctx_t *ctx);

/* The pieces, for hybrid: begin picks this loop's counter slot (and resets
 * the next one on rank 0); run executes chunks from src until it is dry,
 * records going to sink(sink_arg) on local rank 0, and ends without a
 * closing barrier. */
struct psw_shm_loop *psw__shm_loop_begin(struct psw_shm_group *g, int rank,
                                         uint64_t *loops);
int psw__shm_loop_run(struct psw_shm_group *g, int rank, struct psw_shm_loop *S,
                      const struct psw_loop *L, psw_ctx_t *ctx,
                      const struct psw_chunk_src *src, psw_sink_fn sink,
                      void *sink_arg);

#endif /* PSW_SHM_COLL_H */
