/* parsweep — small-message collectives of a shared-memory group.
 *
 * Messages of at most PSW_SHM_SMALL bytes per worker travel through the
 * workers' mailboxes (struct psw_shm_box, each on its own cache line), not
 * the staging slots, and synchronise only the workers that exchange data:
 * a bcast's readers wait for the root's mailbox, a reduce's or gather's
 * root for the others'; nobody waits for everyone as the slot path's
 * barrier does, so a loop of them pipelines (the writers run ahead).
 *
 * Epochs: an operation's epoch is *step + 1 and it advances *step by 2, so
 * the slot path's buffer parity (step & 1) is that of a sequence without
 * the small operations, and its rule (a buffer is rewritten only after a
 * barrier) still holds. The writer of a mailbox reuses it (PSW_SHM_BOXES
 * operations later) only once every worker's `done` has passed the epoch
 * it last carried, i.e. every reader has copied it out. */
#include "shm/coll.h"

#include <stdint.h>
#include <string.h>

#include "core/dtype.h"
#include "internal.h"

static uint64_t next_epoch(uint64_t *step) {
  uint64_t e = *step + 1;
  *step += 2;
  return e;
}

static struct psw_shm_box *box_of(struct psw_shm_group *g, int w, uint64_t e) {
  return &psw__shm_worker(g, w)->box[(e >> 1) & (PSW_SHM_BOXES - 1)];
}

/* Put len bytes of src in this worker's mailbox for epoch e. */
static int post(struct psw_shm_group *g, int rank, uint64_t e, const void *src,
                size_t len) {
  struct psw_shm_box *b = box_of(g, rank, e);
  struct psw_shm_worker *me = psw__shm_worker(g, rank);
  uint64_t last = atomic_load_explicit(&b->seq, memory_order_relaxed);
  if (last > me->done_floor) {
    uint64_t floor = UINT64_MAX;
    for (int w = 0; w < g->n; w++) {
      if (w == rank)
        continue;
      _Atomic uint64_t *d = &psw__shm_worker(g, w)->done;
      int rc = psw__shm_wait(g, d, last, w);
      if (rc)
        return rc;
      uint64_t v = atomic_load_explicit(d, memory_order_acquire);
      floor = v < floor ? v : floor;
    }
    me->done_floor = floor;
  }
  psw__copy(b->data, src, len);
  psw__shm_signal(g, &b->seq, e);
  return 0;
}

/* Worker w's data of epoch e, once it is there (NULL: the region's error in
 * *rc). */
static const void *fetch(struct psw_shm_group *g, int w, uint64_t e, int *rc) {
  struct psw_shm_box *b = box_of(g, w, e);
  *rc = psw__shm_wait(g, &b->seq, e, w);
  return *rc ? NULL : b->data;
}

static int finish(struct psw_shm_group *g, int rank, uint64_t e, int rc) {
  if (!rc)
    psw__shm_signal(g, &psw__shm_worker(g, rank)->done, e);
  return rc;
}

int psw__shm_bcast_small(struct psw_shm_group *g, int rank, uint64_t *step,
                         void *buf, size_t nbytes, int root) {
  uint64_t e = next_epoch(step);
  int rc;
  if (rank == root) {
    rc = post(g, rank, e, buf, nbytes);
  } else {
    const void *src = fetch(g, root, e, &rc);
    if (src)
      memcpy(buf, src, nbytes);
  }
  return finish(g, rank, e, rc);
}

int psw__shm_reduce_small(struct psw_shm_group *g, int rank, uint64_t *step,
                          const void *sendbuf, void *recvbuf, size_t count,
                          psw_type_t type, psw_op_t op, int root) {
  size_t nbytes = count * psw_type_size(type);
  uint64_t e = next_epoch(step);
  int rc = 0;
  if (root < 0 || rank != root)
    rc = post(g, rank, e, sendbuf, nbytes);
  if (rc || (root >= 0 && rank != root))
    return finish(g, rank, e, rc);
  /* In rank order on every receiver (bit-identical results), into a copy:
   * sendbuf may be recvbuf. */
  _Alignas(16) unsigned char acc[PSW_SHM_SMALL];
  for (int w = 0; w < g->n && !rc; w++) {
    const void *src = w == rank ? sendbuf : fetch(g, w, e, &rc);
    if (!src)
      break;
    if (w == 0)
      memcpy(acc, src, nbytes);
    else
      psw__op_apply(acc, src, count, type, op);
  }
  if (!rc)
    memcpy(recvbuf, acc, nbytes);
  return finish(g, rank, e, rc);
}

int psw__shm_gather_small(struct psw_shm_group *g, int rank, uint64_t *step,
                          const void *sendbuf, size_t nbytes, void *recvbuf,
                          int root) {
  uint64_t e = next_epoch(step);
  int rc = 0;
  if (root < 0 || rank != root)
    rc = post(g, rank, e, sendbuf, nbytes);
  if (rc || (root >= 0 && rank != root))
    return finish(g, rank, e, rc);
  for (int w = 0; w < g->n && !rc; w++) {
    const void *src = w == rank ? sendbuf : fetch(g, w, e, &rc);
    if (src)
      memcpy((char *)recvbuf + (size_t)w * nbytes, src, nbytes);
  }
  return finish(g, rank, e, rc);
}
