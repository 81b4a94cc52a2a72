/* parsweep — vtable slots shared by the single-node pool backends (threads,
 * fork): every worker's ctx points at the node's shared-memory group, and
 * the collectives are the group's. */
#ifndef PSW_BACKENDS_POOL_H
#define PSW_BACKENDS_POOL_H

#include "internal.h"

void psw__pool_abort(psw_ctx_t *c, int err);
int psw__pool_barrier(psw_ctx_t *c);
int psw__pool_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root);
int psw__pool_scatterv(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                       const size_t *displs, void *recvbuf, size_t recvbytes,
                       int root);
int psw__pool_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                      void *recvbuf, const size_t *counts, const size_t *displs,
                      int root);
int psw__pool_gather(psw_ctx_t *c, const void *sendbuf, size_t nbytes,
                     void *recvbuf, int root);
int psw__pool_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                     size_t count, psw_type_t type, psw_op_t op, int root);
int psw__pool_loop(psw_ctx_t *c, const struct psw_loop *L);

/* Workers of a pool: opts.num_workers, or every available CPU. */
int psw__pool_size(const psw_manager_t *m);
/* Staging slot bytes: opts.shm_slot_bytes or the default. */
size_t psw__pool_slot_bytes(const psw_manager_t *m);

/* The designated-initializer lines every pool backend shares. */
#define PSW_POOL_COLLECTIVES                                                   \
  .abort = psw__pool_abort, .barrier = psw__pool_barrier,                      \
  .bcast = psw__pool_bcast, .scatterv = psw__pool_scatterv,                    \
  .gatherv = psw__pool_gatherv, .gather = psw__pool_gather,                    \
  .reduce = psw__pool_reduce, .loop = psw__pool_loop

#endif /* PSW_BACKENDS_POOL_H */
