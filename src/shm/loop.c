/* parsweep — psw_for over a shared-memory group.
 *
 * Workers take chunks from a shared counter with compare-and-swap; chunk
 * sizes come from psw__chunk_size (guided self-scheduling). Loop k uses
 * counter slot k % 3 and rank 0 resets slot (k + 1) % 3 on entry: that slot
 * was used by loop k - 2, and every worker read its final error before it
 * arrived at the closing barrier of loop k - 1, which rank 0 has passed. So
 * one barrier per loop suffices. */
#include <stdatomic.h>

#include "core/sched.h"
#include "shm/coll.h"

int psw__shm_loop(struct psw_shm_group *g, int rank, uint64_t *loops,
                  uint64_t n, psw_task_fn task, psw_ctx_t *ctx, void *arg) {
  uint64_t k = (*loops)++;
  struct psw_shm_loop *L = &g->loop[k % PSW_SHM_LOOP_SLOTS];
  if (rank == 0) {
    struct psw_shm_loop *next = &g->loop[(k + 1) % PSW_SHM_LOOP_SLOTS];
    atomic_store_explicit(&next->next, 0, memory_order_relaxed);
    atomic_store_explicit(&next->err, 0, memory_order_relaxed);
  }
  for (;;) {
    if (atomic_load_explicit(&L->err, memory_order_relaxed) ||
        atomic_load_explicit(&g->abort, memory_order_relaxed))
      break;
    uint64_t cur = atomic_load_explicit(&L->next, memory_order_relaxed);
    uint64_t c;
    do {
      if (cur >= n)
        goto done;
      c = psw__chunk_size(n - cur, g->n, 1);
    } while (!atomic_compare_exchange_weak_explicit(
        &L->next, &cur, cur + c, memory_order_relaxed, memory_order_relaxed));
    for (uint64_t i = cur; i < cur + c; i++) {
      int rc = task(ctx, i, arg);
      if (rc) {
        int32_t zero = 0;
        atomic_compare_exchange_strong(&L->err, &zero, rc);
        goto done;
      }
    }
  }
done:;
  int rc = psw__shm_barrier(g);
  if (rc)
    return rc;
  return atomic_load_explicit(&L->err, memory_order_relaxed);
}
