/* parsweep — the threads backend: N POSIX threads in one process; the
 * caller is worker 0. Collectives run in a shared-memory group (ordinary
 * process memory would do, but the group's algorithms are the fork
 * backend's and hybrid's node stage too). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backends/pool.h"
#include "shm/group.h"
#include "shm/named.h"

struct threads_state {
  struct psw_shm_group *grp;
};

/* Cache lines of its own for each: a worker writes its ctx's step
 * counters at every collective, and a line shared with other data (calloc
 * aligns to 16 bytes) cost 15-50 ns per 8-byte collective. */
struct worker_arg {
  _Alignas(PSW_CACHELINE) psw_ctx_t ctx;
  psw_region_fn fn;
  void *arg;
  pthread_t tid;
};

static int threads_create(psw_manager_t *m) {
  /* Names in /dev/shm that runs killed at the wrong moment left behind
   * (shm/named.h): the backends of node shared memory clean up, not the
   * factory, which stays above the algorithms it does not use. */
  psw__shm_named_reap();
  struct threads_state *st = calloc(1, sizeof *st);
  if (!st)
    return PSW_ERR_NOMEM;
  m->num_workers = psw__pool_size(m);
  int rc = psw__shm_group_create(m->num_workers, psw__pool_slot_bytes(m),
                                 psw__available_cpus(), &st->grp);
  if (rc) {
    free(st);
    return rc;
  }
  m->be_state = st;
  return 0;
}

static void threads_destroy(psw_manager_t *m) {
  struct threads_state *st = m->be_state;
  psw__shm_group_destroy(st->grp);
  free(st);
}

static void run_worker(struct worker_arg *w) {
  int rc = w->fn(&w->ctx, w->arg);
  psw__shm_depart(w->ctx.grp, w->ctx.rank, rc);
}

static void *thread_main(void *p) {
  run_worker(p);
  return NULL;
}

static int threads_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  struct threads_state *st = m->be_state;
  int n = m->num_workers;
  struct worker_arg *w = aligned_alloc(PSW_CACHELINE, (size_t)n * sizeof *w);
  if (!w)
    return PSW_ERR_NOMEM;
  memset(w, 0, (size_t)n * sizeof *w);
  psw__shm_group_reset(st->grp);
  for (int r = 0; r < n; r++) {
    psw__ctx_init(&w[r].ctx, m, r, n);
    w[r].ctx.grp = st->grp;
    w[r].fn = fn;
    w[r].arg = arg;
  }
  int started = 1, rc = 0;
  for (; started < n; started++) {
    int e = pthread_create(&w[started].tid, NULL, thread_main, &w[started]);
    if (e) {
      PSW_ERROR("pthread_create: %s", strerror(e));
      /* Workers already running would wait forever for the missing ones. */
      psw__shm_abort(st->grp, PSW_ERR_SYS);
      rc = PSW_ERR_SYS;
      break;
    }
  }
  if (!rc)
    run_worker(&w[0]);
  for (int r = 1; r < started; r++)
    pthread_join(w[r].tid, NULL);
  if (!rc)
    rc = psw__shm_region_result(st->grp);
  free(w);
  return rc;
}

const struct psw_backend psw__backend_threads = {
    .name = PSW_BACKEND_THREADS,
    .create = threads_create,
    .destroy = threads_destroy,
    .parallel = threads_parallel,
    PSW_POOL_COLLECTIVES,
};
