/* parsweep — psw_for/psw_for_ex over a shared-memory group.
 *
 * Workers take chunks from a chunk source: for the pool backends a shared
 * counter advanced with compare-and-swap, chunk sizes from psw__chunk_size
 * (guided self-scheduling). Loop k uses counter slot k % 3 and rank 0
 * resets slot (k + 1) % 3 on entry: that slot was used by loop k - 2, and
 * every worker read its final error before it arrived at the closing
 * barrier of loop k - 1, which rank 0 has passed. So a loop without
 * records needs one barrier only. */
#include <stdatomic.h>

#include "core/sched.h"
#include "internal.h"
#include "shm/coll.h"
#include "shm/ring.h"

struct flat_src {
  struct psw_shm_group *g;
  struct psw_shm_loop *S;
  uint64_t n;
  const psw_for_opts_t *o;
};

/* The pool backends' source: the group's shared counter. */
static int flat_take(void *arg, uint64_t cap, uint64_t *begin, uint64_t *end) {
  struct flat_src *f = arg;
  if (atomic_load_explicit(&f->S->err, memory_order_relaxed) ||
      atomic_load_explicit(&f->g->abort, memory_order_relaxed))
    return 0;
  uint64_t cur = atomic_load_explicit(&f->S->next, memory_order_relaxed), c;
  do {
    if (cur >= f->n)
      return 0;
    c = psw__chunk_size(f->n - cur, f->g->n, f->o->min_chunk);
    if (f->o->max_chunk && c > f->o->max_chunk)
      c = f->o->max_chunk;
    c = psw__chunk_fit(c, cap, f->o->min_chunk, f->n - cur);
  } while (!atomic_compare_exchange_weak_explicit(
      &f->S->next, &cur, cur + c, memory_order_relaxed, memory_order_relaxed));
  *begin = cur;
  *end = cur + c;
  return 1;
}

static int run_chunks(struct psw_shm_group *g, int rank, struct psw_shm_loop *S,
                      const struct psw_loop *L, const struct psw_ring_geom *geo,
                      psw_ctx_t *ctx, const struct psw_chunk_src *src) {
  uint64_t b, e;
  /* One index first: how long this worker's tasks take sets its chunks'
   * cap from then on (psw__chunk_cap). */
  uint64_t cap = 1;
  double t0 = psw__mono_now();
  while (src->take(src->arg, cap, &b, &e)) {
    psw__loop_chunk(ctx, L, b, e);
    for (uint64_t i = b; i < e; i++) {
      void *rec = NULL;
      if (geo && !(rec = psw__ring_reserve(g, rank, geo, i)))
        return 0; /* aborted: the barrier reports it */
      int rc = psw__loop_run(ctx, L, i, rec);
      if (rc) {
        int32_t zero = 0;
        atomic_compare_exchange_strong(&S->err, &zero, rc);
        return rc;
      }
      if (geo)
        psw__ring_commit(g, rank, geo);
    }
    double t1 = psw__mono_now();
    cap = psw__chunk_cap((t1 - t0) / (double)(e - b));
    t0 = t1;
  }
  return 0;
}

struct psw_shm_loop *psw__shm_loop_begin(struct psw_shm_group *g, int rank,
                                         uint64_t *loops) {
  uint64_t k = (*loops)++;
  if (rank == 0) {
    struct psw_shm_loop *next = &g->loop[(k + 1) % PSW_SHM_LOOP_SLOTS];
    atomic_store_explicit(&next->next, 0, memory_order_relaxed);
    atomic_store_explicit(&next->err, 0, memory_order_relaxed);
    atomic_store_explicit(&next->finished, 0, memory_order_relaxed);
  }
  return &g->loop[k % PSW_SHM_LOOP_SLOTS];
}

int psw__shm_loop_run(struct psw_shm_group *g, int rank, struct psw_shm_loop *S,
                      const struct psw_loop *L, psw_ctx_t *ctx,
                      const struct psw_chunk_src *src, psw_sink_fn sink,
                      void *sink_arg) {
  struct psw_ring_geom geo = {0, 0, 0};
  struct psw_loop Lsink = *L;
  struct psw_collector col = {.g = g, .L = &Lsink};
  int rc, records = L->opts.record_size > 0, collecting = 0;
  Lsink.opts.sink = sink;
  Lsink.opts.sink_arg = sink_arg;
  if (records) {
    geo = psw__ring_geom(g, L->opts.record_size);
    if (geo.cap == 0)
      return PSW_ERR_INVAL; /* same opts everywhere: all fail alike */
    /* The rings overlay the staging slots: wait until every worker has
     * finished reading the collective before this loop. */
    psw__ring_reset(g, rank);
    if ((rc = psw__shm_barrier(g, rank)))
      return rc;
    if (rank == 0) {
      col.geo = geo;
      col.err = &S->err;
      col.finished = &S->finished;
      if ((rc = psw__collector_start(&col))) {
        psw__shm_abort(g, rc);
        return rc;
      }
      collecting = 1;
    }
  }
  run_chunks(g, rank, S, L, records ? &geo : NULL, ctx, src);
  atomic_fetch_add(&S->finished, 1);
  if (records)
    psw__ring_kick(g);
  if (collecting)
    psw__collector_join(&col);
  return 0;
}

int psw__shm_loop(struct psw_shm_group *g, int rank, uint64_t *loops,
                  const struct psw_loop *L, psw_ctx_t *ctx) {
  struct psw_shm_loop *S = psw__shm_loop_begin(g, rank, loops);
  struct flat_src f = {g, S, L->n, &L->opts};
  struct psw_chunk_src src = {flat_take, &f};
  int rc = psw__shm_loop_run(g, rank, S, L, ctx, &src, L->opts.sink,
                             L->opts.sink_arg);
  if (rc)
    return rc;
  if ((rc = psw__shm_barrier(g, rank)))
    return rc;
  return atomic_load_explicit(&S->err, memory_order_relaxed);
}
