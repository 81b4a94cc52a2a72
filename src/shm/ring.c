/* parsweep — record rings and the collector thread (see ring.h). */
#include "shm/ring.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "shm/futex.h"

#define PSW_COLLECTOR_SLEEP_NS (20 * 1000 * 1000)
#define PSW_RING_FULL_SLEEP_NS (50 * 1000)

struct psw_ring_geom psw__ring_geom(const struct psw_shm_group *g, size_t rs) {
  struct psw_ring_geom geo;
  geo.esz = (sizeof(uint64_t) + rs + 7) & ~(size_t)7;
  geo.cap = g->slot_bytes / geo.esz;
  geo.wake_every = geo.cap / 2 ? geo.cap / 2 : 1;
  return geo;
}

static unsigned char *entry(struct psw_shm_group *g, int w,
                            const struct psw_ring_geom *geo, uint64_t k) {
  return psw__shm_slot(g, 0, w)->data + (k % geo->cap) * geo->esz;
}

void psw__ring_reset(struct psw_shm_group *g, int rank) {
  struct psw_shm_worker *W = psw__shm_worker(g, rank);
  atomic_store_explicit(&W->ring_head, 0, memory_order_relaxed);
  atomic_store_explicit(&W->ring_tail, 0, memory_order_relaxed);
}

void *psw__ring_reserve(struct psw_shm_group *g, int rank,
                        const struct psw_ring_geom *geo, uint64_t i) {
  struct psw_shm_worker *W = psw__shm_worker(g, rank);
  uint64_t h = atomic_load_explicit(&W->ring_head, memory_order_relaxed);
  /* Full: the sink is slower than the workers. Back off gently; this is
   * the bound on memory, not the common path. */
  for (int tries = 0;
       h - atomic_load_explicit(&W->ring_tail, memory_order_acquire) >=
       geo->cap;
       tries++) {
    if (atomic_load_explicit(&g->abort, memory_order_relaxed))
      return NULL;
    psw__ring_kick(g);
    if (tries < 16) {
      sched_yield();
    } else {
      struct timespec ts = {0, PSW_RING_FULL_SLEEP_NS};
      nanosleep(&ts, NULL);
    }
  }
  unsigned char *e = entry(g, rank, geo, h);
  memcpy(e, &i, sizeof i);
  memset(e + sizeof i, 0, geo->esz - sizeof i);
  return e + sizeof i;
}

void psw__ring_commit(struct psw_shm_group *g, int rank,
                      const struct psw_ring_geom *geo) {
  struct psw_shm_worker *W = psw__shm_worker(g, rank);
  uint64_t h =
      atomic_fetch_add_explicit(&W->ring_head, 1, memory_order_release) + 1;
  /* Wake the collector every half ring, not every record: a wake-up per
   * record costs a system call each and ping-pongs the two. Records that
   * wait are picked up by the collector's timed sleep. */
  if (h % geo->wake_every == 0)
    psw__ring_kick(g);
}

void psw__ring_kick(struct psw_shm_group *g) {
  /* seq_cst: pairs with the collector's store of coll_sleeping followed by
   * its check of the rings. */
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load(&g->coll_sleeping)) {
    atomic_fetch_add(&g->coll_word, 1);
    psw__futex_wake_all(&g->coll_word);
  }
}

/* Hand every published entry of every ring to the sink; returns how many. */
static uint64_t drain(struct psw_collector *c) {
  struct psw_shm_group *g = c->g;
  const psw_for_opts_t *o = &c->L->opts;
  uint64_t moved = 0;
  for (int w = 0; w < g->n; w++) {
    struct psw_shm_worker *W = psw__shm_worker(g, w);
    uint64_t t = atomic_load_explicit(&W->ring_tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&W->ring_head, memory_order_acquire);
    for (; t < h; t++) {
      unsigned char *e = entry(g, w, &c->geo, t);
      uint64_t idx;
      memcpy(&idx, e, sizeof idx);
      /* A record is a finished task's result: deliver it even when the
       * loop is stopping for a task's error or an interrupt. Only a sink
       * that failed gets nothing more. */
      if (!c->sink_failed) {
        int rc = o->sink(idx, e + sizeof idx, o->sink_arg);
        if (rc < 0) {
          c->sink_failed = 1;
          int32_t zero = 0;
          atomic_compare_exchange_strong(c->err, &zero, rc);
        }
      }
      moved++;
      /* Free entries as we go so that a producer can refill at once. */
      atomic_store_explicit(&W->ring_tail, t + 1, memory_order_release);
    }
  }
  return moved;
}

static int rings_empty(struct psw_shm_group *g) {
  for (int w = 0; w < g->n; w++) {
    struct psw_shm_worker *W = psw__shm_worker(g, w);
    if (atomic_load(&W->ring_head) != atomic_load(&W->ring_tail))
      return 0;
  }
  return 1;
}

static void *collector_main(void *p) {
  struct psw_collector *c = p;
  struct psw_shm_group *g = c->g;
  for (;;) {
    if (drain(c))
      continue;
    /* `finished` counts workers past their last commit: once all are, one
     * more drain empties the rings for good. */
    if (atomic_load(c->finished) == (uint32_t)g->n) {
      drain(c);
      return NULL;
    }
    if (atomic_load_explicit(&g->abort, memory_order_relaxed))
      return NULL;
    uint32_t v = atomic_load(&g->coll_word);
    atomic_store(&g->coll_sleeping, 1);
    if (rings_empty(g) && atomic_load(c->finished) != (uint32_t)g->n)
      psw__futex_wait(&g->coll_word, v, PSW_COLLECTOR_SLEEP_NS);
    atomic_store(&g->coll_sleeping, 0);
  }
}

int psw__collector_start(struct psw_collector *c) {
  int e = pthread_create(&c->tid, NULL, collector_main, c);
  if (e) {
    PSW_ERROR("cannot start the record collector thread: %s", strerror(e));
    return PSW_ERR_SYS;
  }
  return 0;
}

void psw__collector_join(struct psw_collector *c) {
  pthread_join(c->tid, NULL);
}
