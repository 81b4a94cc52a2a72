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

/* psw_for/psw_for_ex over the group's shared counter. `loops` is the
 * caller's count of loops done (identical on every worker); tasks get
 * `ctx`. Records travel to the sink on local rank 0 through per-worker
 * rings in the staging slots (shm/ring.c). */
int psw__shm_loop(struct psw_shm_group *g, int rank, uint64_t *loops,
                  const struct psw_loop *L, psw_ctx_t *ctx);

#endif /* PSW_SHM_COLL_H */
