/* parsweep — collectives among the workers of a region.
 *
 * Every worker of the region must call the same collectives in the same
 * order with matching arguments (as in MPI). They are real on every backend:
 * on threads and fork they run in shared memory; on mpi through MPI; on
 * hybrid hierarchically. Counts are in elements of `type`; buffers are the
 * caller's. Reductions combine contributions in rank order, so every worker
 * and every run gets bit-identical floating-point results for one backend
 * and worker count.
 *
 * Errors common to all: PSW_ERR_INVAL (NULL ctx, root out of range, unknown
 * type or op, an arithmetic op on PSW_BYTE), PSW_ERR_PEER_LOST (a worker
 * died), PSW_ERR_ABORTED (another worker's region failed), PSW_ERR_MISMATCH
 * (a worker left the region while this one waited). After an error the
 * region is unusable: return from it. */
#ifndef PARSWEEP_COLLECTIVES_H
#define PARSWEEP_COLLECTIVES_H

#include <stddef.h>

#include "export.h"
#include "manager.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum psw_type {
  PSW_INT32 = 0,
  PSW_INT64 = 1,
  PSW_UINT64 = 2,
  PSW_DOUBLE = 3,
  PSW_BYTE = 4, /* raw bytes: bcast/scatter/gather only */
} psw_type_t;

typedef enum psw_op {
  PSW_SUM = 0, /* WaterTAP's sum_values_and_sync default */
  PSW_MIN = 1,
  PSW_MAX = 2,
  PSW_PROD = 3,
} psw_op_t;

/* Size in bytes of one element of `type`, 0 for an unknown type. */
PSW_EXTERN size_t psw_type_size(psw_type_t type);

/* Wait until every worker has called it (sync_with_peers). */
PSW_EXTERN int psw_barrier(psw_ctx_t *ctx);

/* Copy `count` elements of `buf` on `root` into `buf` on every worker
 * (sync_array_with_peers). */
PSW_EXTERN int psw_bcast(psw_ctx_t *ctx, void *buf, size_t count,
                         psw_type_t type, int root);

/* The same for raw bytes (sync_pyobject_with_peers: send a serialised
 * object). */
PSW_EXTERN int psw_bcast_bytes(psw_ctx_t *ctx, void *buf, size_t nbytes,
                               int root);

/* Root's `sendbuf` holds size*count elements; worker r receives elements
 * [r*count, (r+1)*count) in `recvbuf`. sendbuf is read on root only. */
PSW_EXTERN int psw_scatter(psw_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                           size_t count, psw_type_t type, int root);

/* Worker r receives counts[r] elements starting at element displs[r] of
 * root's sendbuf, into recvbuf (room for recvcount = counts[r] elements).
 * counts/displs/sendbuf are read on root only. */
PSW_EXTERN int psw_scatterv(psw_ctx_t *ctx, const void *sendbuf,
                            const size_t *counts, const size_t *displs,
                            void *recvbuf, size_t recvcount, psw_type_t type,
                            int root);

/* Root receives `count` elements from each worker, rank r's at element
 * r*count of recvbuf (size*count elements; read on root only). */
PSW_EXTERN int psw_gather(psw_ctx_t *ctx, const void *sendbuf, size_t count,
                          void *recvbuf, psw_type_t type, int root);

/* Root receives sendcount elements of worker r at element displs[r] of
 * recvbuf; counts[r] must equal worker r's sendcount. counts/displs/recvbuf
 * are used on root only. */
PSW_EXTERN int psw_gatherv(psw_ctx_t *ctx, const void *sendbuf,
                           size_t sendcount, void *recvbuf,
                           const size_t *counts, const size_t *displs,
                           psw_type_t type, int root);

/* Every worker receives `count` elements from each worker, rank r's at
 * element r*count of recvbuf (combine_data_with_peers). */
PSW_EXTERN int psw_allgather(psw_ctx_t *ctx, const void *sendbuf, size_t count,
                             void *recvbuf, psw_type_t type);

/* Combine `count` elements of every worker's sendbuf element-wise with `op`
 * into recvbuf on root (recvbuf is used on root only). sendbuf may equal
 * recvbuf (in place). */
PSW_EXTERN int psw_reduce(psw_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                          size_t count, psw_type_t type, psw_op_t op, int root);

/* As psw_reduce, with the result on every worker (sum_values_and_sync). */
PSW_EXTERN int psw_allreduce(psw_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                             size_t count, psw_type_t type, psw_op_t op);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_COLLECTIVES_H */
