/* parsweep — psw_for across nodes (hybrid).
 *
 * Node leaders ask the dispatcher (mpi/dispatch.c, a thread on MPI rank 0)
 * for chunks sized for all their node's workers; a fetcher thread in each
 * leader keeps the node's queue (in the group's shared memory) one chunk
 * ahead, so the workers of a node, forked children included, never wait
 * for MPI and the dispatcher hears from nodes, not from workers. Workers
 * take guided sub-chunks from the queue under a short spinlock. Records go
 * through the node's rings to a collector on the leader, which forwards
 * them in batches to the dispatcher, which hands them to the sink on the
 * root. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/sched.h"
#include "hybrid/hybrid.h"
#include "mpi/coll.h"
#include "mpi/mpiutil.h"
#include "shm/coll.h"
#include "shm/futex.h"

#define PSW_NODEQ_CAP 8
#define PSW_NODEQ_AHEAD 2 /* chunks the fetcher keeps queued */
#define PSW_FETCH_SLEEP_NS (20 * 1000 * 1000)

struct node_src {
  struct psw_shm_group *g;
  struct psw_shm_loop *S;
  const psw_for_opts_t *o;
};

static int q_lock(struct psw_shm_group *g) {
  struct psw_shm_nodeq *q = &g->nodeq;
  for (int spin = 0;
       atomic_exchange_explicit(&q->lock, 1, memory_order_acquire); spin++) {
    if (atomic_load_explicit(&g->abort, memory_order_relaxed))
      return 0;
    if (spin > 64)
      sched_yield();
  }
  return 1;
}

static void q_unlock(struct psw_shm_group *g) {
  atomic_store_explicit(&g->nodeq.lock, 0, memory_order_release);
}

static void bump(_Atomic uint32_t *w) {
  atomic_fetch_add(w, 1);
  psw__futex_wake_all(w);
}

/* A worker's chunk source: the node queue. */
static int node_take(void *arg, uint64_t cap, uint64_t *b, uint64_t *e) {
  struct node_src *s = arg;
  struct psw_shm_group *g = s->g;
  struct psw_shm_nodeq *q = &g->nodeq;
  for (;;) {
    if (atomic_load(&s->S->err) || atomic_load(&g->abort))
      return 0;
    uint32_t seq = atomic_load(&q->seq);
    if (!q_lock(g))
      return 0;
    while (q->count) {
      uint64_t *next = &q->r[q->head % PSW_NODEQ_CAP].next;
      uint64_t end = q->r[q->head % PSW_NODEQ_CAP].end;
      if (*next < end) {
        uint64_t c = psw__chunk_size(end - *next, g->n, s->o->min_chunk);
        if (s->o->max_chunk && c > s->o->max_chunk)
          c = s->o->max_chunk;
        c = psw__chunk_fit(c, cap, s->o->min_chunk, end - *next);
        *b = *next;
        *e = *next + c;
        *next += c;
        int low = *next == end && q->count <= 1;
        q_unlock(g);
        if (low) /* the last queued chunk is gone: fetch ahead */
          bump(&q->kick);
        return 1;
      }
      q->head++;
      q->count--;
    }
    int done = q->done;
    q_unlock(g);
    if (done)
      return 0;
    bump(&q->kick);
    psw__futex_wait(&q->seq, seq, PSW_FETCH_SLEEP_NS);
  }
}

struct fetcher {
  struct psw_hybrid *h;
  struct psw_shm_group *g;
  struct psw_shm_loop *S;
  pthread_t tid;
  int rc;
  /* Per-node sinks: tasks the node's sink has seen (collector thread), and
   * how many of them the dispatcher has been told of (fetcher thread). */
  _Atomic uint64_t done, flagged;
  uint64_t told, ftold;
  double last_told;
};

/* Per-node sinks: report the node's progress about once a second. */
static int tell_progress(struct fetcher *f, int force) {
  uint64_t flagged = atomic_load(&f->flagged);
  uint64_t done = atomic_load(&f->done); /* after flagged: done >= flagged */
  double now = psw__mpi_now();
  if (done == f->told || (!force && now - f->last_told < 1.0))
    return 0;
  int rc = psw__disp_progress(&f->h->disp, done - f->told, flagged - f->ftold);
  f->told = done;
  f->ftold = flagged;
  f->last_told = now;
  return rc;
}

/* The node writer's sink: the user's, counted for progress. */
struct counted {
  struct fetcher *f;
  const psw_for_opts_t *o;
};

static int counted_sink(uint64_t i, const void *record, void *arg) {
  struct counted *k = arg;
  int rc = k->o->sink(i, record, k->o->sink_arg);
  if (rc > 0)
    atomic_fetch_add(&k->f->flagged, 1);
  atomic_fetch_add(&k->f->done, 1);
  return rc < 0 ? rc : 0;
}

/* The leader's fetcher thread: keeps the node queue fed, reports a task
 * error to the dispatcher, and marks the queue done at the end. */
static void *fetch_main(void *p) {
  struct fetcher *f = p;
  struct psw_shm_group *g = f->g;
  struct psw_shm_nodeq *q = &g->nodeq;
  int reported = 0;
  for (;;) {
    if (atomic_load(&g->abort))
      break;
    uint32_t kick = atomic_load(&q->kick);
    int32_t err = atomic_load(&f->S->err);
    if (!q_lock(g))
      break;
    int need = !q->done && q->count < PSW_NODEQ_AHEAD;
    q_unlock(g);
    if ((f->rc = tell_progress(f, 0))) {
      psw__shm_abort(g, f->rc);
      break;
    }
    if (!need && !(err && !reported)) {
      psw__futex_wait(&q->kick, kick, PSW_FETCH_SLEEP_NS);
      continue;
    }
    uint64_t b, e;
    if ((f->rc = psw__disp_next(&f->h->disp, err, g->n, &b, &e))) {
      psw__shm_abort(g, f->rc);
      break;
    }
    reported |= err != 0;
    if (!q_lock(g))
      break;
    if (b == e) {
      q->done = 1;
    } else {
      q->r[(q->head + q->count) % PSW_NODEQ_CAP].next = b;
      q->r[(q->head + q->count) % PSW_NODEQ_CAP].end = e;
      q->count++;
    }
    int done = q->done;
    q_unlock(g);
    bump(&q->seq);
    if (done)
      break;
  }
  /* Wake workers that wait for a chunk that will not come. */
  bump(&q->seq);
  return NULL;
}

/* The leader's collector forwards each record to the dispatcher. */
static int forward(uint64_t i, const void *record, void *arg) {
  struct psw_disp_out *o = arg;
  void *slot = psw__disp_out_record(o, i);
  memcpy(slot, record, o->esz - sizeof(uint64_t));
  return psw__disp_out_maybe_flush(o);
}

int psw__hyb_loop(psw_ctx_t *c, const struct psw_loop *L) {
  struct psw_hybrid *h = c->be_ctx;
  struct psw_shm_group *g = c->grp;
  int lr = c->local_rank, rc = 0;
  struct psw_shm_loop *S = psw__shm_loop_begin(g, lr, &c->loops);
  struct fetcher f = {.h = h, .g = g, .S = S};
  if (lr == 0) {
    struct psw_shm_nodeq *q = &g->nodeq;
    q->head = q->count = q->done = 0;
    atomic_store(&q->lock, 0);
  }
  /* Everyone sees the empty queue before anyone takes from it. */
  if ((rc = psw__shm_barrier(g, lr)))
    return rc;
  if (lr == 0) {
    rc = psw__disp_out_begin(&h->out, &h->disp, L->opts.record_size);
    if (!rc && h->rank == 0)
      rc = psw__disp_serve_start(&h->disp, L->n, h->total, &L->opts);
    if (!rc && pthread_create(&f.tid, NULL, fetch_main, &f))
      rc = PSW_ERR_SYS;
    if (rc) { /* other nodes would wait for this one forever */
      PSW_ERROR("node %d cannot take part in the loop: %s", c->node_id,
                psw_strerror(rc));
      MPI_Abort(h->comm, 1);
    }
  }
  struct node_src ns = {g, S, &L->opts};
  struct psw_chunk_src src = {node_take, &ns};
  struct counted k = {&f, &L->opts};
  f.last_told = psw__mpi_now();
  if (L->opts.sink_per_node) /* the node writes its own records */
    rc = psw__shm_loop_run(g, lr, S, L, c, &src, counted_sink, &k);
  else
    rc = psw__shm_loop_run(g, lr, S, L, c, &src, forward, &h->out);
  int32_t err = 0;
  if (lr == 0) {
    pthread_join(f.tid, NULL);
    /* The collector has delivered every record of the node (loop_run
     * joined it): send the rest, then tell the dispatcher we are done. */
    int r2 = tell_progress(&f, 1);
    if (!r2)
      r2 = psw__disp_out_flush(&h->out);
    if (!r2)
      r2 = psw__disp_fin(&h->disp);
    if (h->rank == 0) {
      int src_rc = psw__disp_serve_join(&h->disp, &err);
      if (src_rc && !err)
        err = src_rc;
    }
    if (!r2)
      r2 = psw__mpic_bcast(h->leaders, &err, sizeof err, 0);
    if (r2 || f.rc) {
      rc = r2 ? r2 : f.rc;
      psw__shm_abort(g, rc);
    }
  }
  int brc = psw__shm_barrier(g, lr);
  if (rc || brc)
    return rc ? rc : brc;
  if ((rc = psw__shm_bcast(g, lr, &c->step, &err, sizeof err, 0)))
    return rc;
  return err;
}
