/* parsweep — the pool backends' collectives: the shared-memory group's. */
#include "backends/pool.h"

#include "shm/coll.h"
#include "shm/group.h"

void psw__pool_abort(psw_ctx_t *c, int err) {
  psw__shm_abort(c->grp, err);
}

int psw__pool_barrier(psw_ctx_t *c) {
  return psw__shm_barrier(c->grp, c->local_rank);
}

int psw__pool_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root) {
  return psw__shm_bcast(c->grp, c->local_rank, &c->step, buf, nbytes, root);
}

int psw__pool_scatterv(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                       const size_t *displs, void *recvbuf, size_t recvbytes,
                       int root) {
  return psw__shm_scatterv(c->grp, c->local_rank, &c->step, sendbuf, counts,
                           displs, recvbuf, recvbytes, root);
}

int psw__pool_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                      void *recvbuf, const size_t *counts, const size_t *displs,
                      int root) {
  return psw__shm_gatherv(c->grp, c->local_rank, &c->step, sendbuf, sendbytes,
                          recvbuf, counts, displs, root);
}

int psw__pool_gather(psw_ctx_t *c, const void *sendbuf, size_t nbytes,
                     void *recvbuf, int root) {
  if (nbytes == 0 || nbytes > PSW_SHM_SMALL)
    return PSW__NOT_HANDLED;
  return psw__shm_gather_small(c->grp, c->local_rank, &c->step, sendbuf, nbytes,
                               recvbuf, root);
}

int psw__pool_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                     size_t count, psw_type_t type, psw_op_t op, int root) {
  return psw__shm_reduce(c->grp, c->local_rank, &c->step, sendbuf, recvbuf,
                         count, type, op, root);
}

int psw__pool_loop(psw_ctx_t *c, const struct psw_loop *L) {
  return psw__shm_loop(c->grp, c->local_rank, &c->loops, L, c);
}

int psw__pool_size(const psw_manager_t *m) {
  return m->opts.num_workers > 0 ? m->opts.num_workers : psw__available_cpus();
}

size_t psw__pool_slot_bytes(const psw_manager_t *m) {
  return m->opts.shm_slot_bytes ? m->opts.shm_slot_bytes : PSW_SHM_DEFAULT_SLOT;
}
