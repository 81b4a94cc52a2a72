/* The loop cases: psw_for (every index once, uneven costs, task
 * errors) and psw_for_ex (records streamed to a sink on the root). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance.h"

/* --- psw_for ------------------------------------------------------------- */

typedef struct for_state {
  psw_ctx_t *ctx;
  uint64_t n;
  int32_t *hits; /* this worker's count per index */
  int64_t ran;   /* tasks run by this worker */
  int bad;       /* tasks called with a wrong ctx or index */
  uint64_t fail_at;
  int *shared_ran; /* atomic counter in the shared mapping, or NULL */
} for_state_t;

static void spin_us(double us) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do
    clock_gettime(CLOCK_MONOTONIC, &b);
  while ((double)(b.tv_sec - a.tv_sec) * 1e6 +
             (double)(b.tv_nsec - a.tv_nsec) / 1e3 <
         us);
}

int task_record(psw_ctx_t *ctx, uint64_t i, void *arg) {
  for_state_t *st = arg;
  if (ctx != st->ctx || i >= st->n) {
    st->bad++;
    return 0;
  }
  st->hits[i]++;
  st->ran++;
  return 0;
}

/* Every 97th index costs 50 times as much as the others. */
static int task_uneven(psw_ctx_t *ctx, uint64_t i, void *arg) {
  spin_us(i % 97 == 0 ? 100.0 : 2.0);
  return task_record(ctx, i, arg);
}

static int task_fail(psw_ctx_t *ctx, uint64_t i, void *arg) {
  for_state_t *st = arg;
  (void)ctx;
  if (i == st->fail_at)
    return PSW_ERR_MODEL;
  if (st->shared_ran)
    __atomic_fetch_add(st->shared_ran, 1, __ATOMIC_RELAXED);
  st->ran++;
  spin_us(2.0);
  return 0;
}

/* Run psw_for over n indices and check that every index ran exactly once
 * (an allreduce of the per-worker hit counts). Sets *ran_by to the number of
 * workers that ran at least one task. */
static int for_once(psw_ctx_t *ctx, uint64_t n, psw_task_fn task, int *ran_by) {
  for_state_t st = {ctx, n, NULL, 0, 0, 0, NULL};
  st.hits = calloc(n ? n : 1, sizeof *st.hits);
  int rc = psw_for(ctx, n, task, &st);
  COLL_OK(rc, "psw_for");
  CHECK_EQ(st.bad, 0);
  if (rc == 0) {
    rc = psw_allreduce(ctx, st.hits, st.hits, n, PSW_INT32, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
  }
  if (rc == 0) {
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < n; i++)
      if (st.hits[i] != 1 && wrong++ == 0)
        fprintf(stderr, "[rank %d] psw_for n=%llu: index %llu ran %d times\n",
                psw_rank(ctx), (unsigned long long)n, (unsigned long long)i,
                st.hits[i]);
    CHECK(wrong == 0);
    int32_t did = st.ran > 0, workers = 0;
    rc = psw_allreduce(ctx, &did, &workers, 1, PSW_INT32, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
    int64_t total = 0;
    if (rc == 0)
      rc = psw_allreduce(ctx, &st.ran, &total, 1, PSW_INT64, PSW_SUM);
    if (rc == 0)
      CHECK_EQ(total, (int64_t)n);
    if (ran_by)
      *ran_by = workers;
  }
  free(st.hits);
  return rc;
}

int case_for(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int size = psw_size(ctx), ran_by = 0;
  RUN(for_once(ctx, 10000, task_uneven, &ran_by));
  if (size > 1 && ran_by < 2) {
    fprintf(stderr,
            "[rank %d] psw_for with uneven costs: only %d of %d "
            "workers ran tasks\n",
            psw_rank(ctx), ran_by, size);
    CHECK(!"more than one worker ran tasks");
  }
  static const uint64_t small[] = {0, 1, 2, 3};
  for (int k = 0; k < 4; k++)
    RUN(for_once(ctx, small[k], task_record, NULL));
  RUN(for_once(ctx, (uint64_t)size - 1, task_record, NULL));
  RUN(for_once(ctx, (uint64_t)size + 1, task_record, NULL));
  RUN(for_once(ctx, 100003, task_record, NULL));

  /* REPS back-to-back loops of 0..4 indices, checked together at the end. */
  enum { W = 5 };
  int32_t *hits = calloc(REPS * W, sizeof *hits);
  int bad = 0;
  for (int rep = 0; rep < REPS; rep++) {
    uint64_t n = (uint64_t)(rep % W);
    for_state_t st = {ctx, n, hits + rep * W, 0, 0, 0, NULL};
    int rc = psw_for(ctx, n, task_record, &st);
    COLL_OK(rc, "psw_for (repeated)");
    bad += st.bad;
    if (rc) {
      free(hits);
      return rc;
    }
  }
  CHECK_EQ(bad, 0);
  int rc = psw_allreduce(ctx, hits, hits, REPS * W, PSW_INT32, PSW_SUM);
  COLL_OK(rc, "psw_allreduce");
  if (rc == 0) {
    int wrong = 0;
    for (int rep = 0; rep < REPS; rep++)
      for (int i = 0; i < W; i++)
        if (hits[rep * W + i] != (i < rep % W) && wrong++ == 0)
          fprintf(stderr,
                  "[rank %d] repeated psw_for %d: index %d ran %d "
                  "times\n",
                  psw_rank(ctx), rep, i, hits[rep * W + i]);
    CHECK(wrong == 0);
  }
  free(hits);
  if (rc)
    return rc;
  END();
}

/* A task error stops the loop and is returned on every worker. Last in its
 * region: the region is not used after an error. */
int case_for_error(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  const uint64_t n = 100000;
  for_state_t st = {ctx, n, NULL, 0, 0, 1000, s->shared ? &s->shm[0] : NULL};
  int rc = psw_for(ctx, n, task_fail, &st);
  if (rc != PSW_ERR_MODEL) {
    fprintf(stderr,
            "[rank %d] psw_for with a failing task returned %d (%s), "
            "not the task's PSW_ERR_MODEL\n",
            psw_rank(ctx), rc, psw_err_name(rc));
    CHECK(!"task error returned on every worker");
  }
  if (s->shared) {
    int ran = __atomic_load_n(&s->shm[0], __ATOMIC_SEQ_CST);
    if ((uint64_t)ran >= n - 1) {
      fprintf(stderr,
              "[rank %d] psw_for went on after a task error: %d of "
              "%llu tasks ran\n",
              psw_rank(ctx), ran, (unsigned long long)n);
      CHECK(!"a task error stops the loop");
    }
  }
  END();
}

/* --- psw_for_ex: records streamed to a sink on the root ----------------- */

typedef struct rec_state {
  psw_ctx_t *ctx;
  uint64_t n;
  size_t rsize;
  int uneven;
  int bad_task; /* record not zeroed, wrong ctx or index */
  int64_t ran;
  uint64_t task_fail_at; /* UINT64_MAX = never */
  int *shared_ran;       /* counter in the shared mapping, or NULL */
  /* Written by the sink (a collector thread of the root's process). */
  uint8_t *seen;
  int64_t sink_calls;
  int64_t sink_bad;
  int64_t *by_rank; /* records produced per rank */
  int size;
  int64_t sink_fail_at; /* -1 = never */
  int sink_delay_us;
  /* opts.chunk: the chunks announced to this worker (absolute indices,
   * the caller's arg), and those that were not. */
  uint64_t first;
  int64_t chunk_cover;
  int chunk_bad;
} rec_state_t;

static uint8_t rec_byte(uint64_t i, size_t j) {
  return (uint8_t)(i * 131u + j * 7u + (i >> 8));
}

int task_rec(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  rec_state_t *st = arg;
  if (ctx != st->ctx || i >= st->n) {
    st->bad_task++;
    return 0;
  }
  if (st->uneven)
    spin_us(i % 97 == 0 ? 100.0 : 2.0);
  if (i == st->task_fail_at)
    return PSW_ERR_MODEL;
  unsigned char *r = record;
  for (size_t j = 0; j < st->rsize; j++)
    if (r[j] != 0) {
      st->bad_task++;
      break;
    }
  for (size_t j = 0; j < st->rsize; j++)
    r[j] = rec_byte(i, j);
  if (st->rsize >= 8) {
    int32_t rank = psw_rank(ctx);
    memcpy(r + 4, &rank, 4);
  }
  st->ran++;
  if (st->shared_ran)
    __atomic_fetch_add(st->shared_ran, 1, __ATOMIC_RELAXED);
  return 0;
}

static int sink_check(uint64_t i, const void *record, void *arg) {
  rec_state_t *st = arg;
  const unsigned char *r = record;
  if (st->sink_fail_at >= 0 && st->sink_calls == st->sink_fail_at)
    return PSW_ERR_IO;
  st->sink_calls++;
  if (i >= st->n) {
    st->sink_bad++;
    return 0;
  }
  if (st->seen[i] < 255)
    st->seen[i]++;
  for (size_t j = 0; j < st->rsize; j++) {
    if (st->rsize >= 8 && j >= 4 && j < 8)
      continue;
    if (r[j] != rec_byte(i, j)) {
      st->sink_bad++;
      return 0;
    }
  }
  if (st->rsize >= 8) {
    int32_t rank;
    memcpy(&rank, r + 4, 4);
    if (rank < 0 || rank >= st->size)
      st->sink_bad++;
    else
      st->by_rank[rank]++;
  }
  if (st->sink_delay_us)
    spin_us(st->sink_delay_us);
  return 0;
}

static void rec_init(rec_state_t *st, psw_ctx_t *ctx, uint64_t n,
                     size_t rsize) {
  memset(st, 0, sizeof *st);
  st->ctx = ctx;
  st->n = n;
  st->rsize = rsize;
  st->size = psw_size(ctx);
  st->seen = calloc(n ? n : 1, 1);
  st->by_rank = calloc((size_t)st->size, sizeof *st->by_rank);
  st->task_fail_at = UINT64_MAX;
  st->sink_fail_at = -1;
}

static void rec_free(rec_state_t *st) {
  free(st->seen);
  free(st->by_rank);
}

static void chunk_check(psw_ctx_t *ctx, uint64_t b, uint64_t e, void *arg) {
  rec_state_t *st = arg;
  if (st->ctx != ctx || b < st->first || e > st->n || b >= e)
    st->chunk_bad++;
  else
    st->chunk_cover += (int64_t)(e - b);
}

/* psw_for_ex over first..n-1 (opts.first: a recursive sweep's later
 * round): every index once, tasks and sink see the same ones (the records
 * are made from the task's index and checked against the sink's). */
static int for_ex_range(psw_ctx_t *ctx, uint64_t first, uint64_t n,
                        size_t rsize, uint64_t min_chunk, int uneven,
                        int sink_delay_us) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  rec_state_t st;
  rec_init(&st, ctx, n, rsize);
  st.uneven = uneven;
  st.sink_delay_us = sink_delay_us;
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = rsize;
  o.sink = sink_check;
  o.sink_arg = &st;
  o.min_chunk = min_chunk;
  o.first = first;
  o.chunk = chunk_check;
  st.first = first;
  int rc = psw_for_ex(ctx, n, task_rec, &st, &o);
  COLL_OK(rc, "psw_for_ex");
  CHECK_EQ(st.bad_task, 0);
  if (rc == 0) {
    if (rsize == 0) {
      CHECK_EQ(st.sink_calls, 0); /* no records, no sink */
    } else if (rank == 0) {
      CHECK_EQ(st.sink_calls, (int64_t)(n - first));
      CHECK_EQ(st.sink_bad, 0);
      uint64_t wrong = 0;
      for (uint64_t i = 0; i < n; i++)
        if (st.seen[i] != (i >= first) && wrong++ == 0)
          fprintf(stderr,
                  "[rank 0] psw_for_ex n=%llu record %zu B: index %llu "
                  "reached the sink %d times\n",
                  (unsigned long long)n, rsize, (unsigned long long)i,
                  st.seen[i]);
      CHECK(wrong == 0);
      if (uneven && size > 1 && rsize >= 8) {
        int producers = 0;
        for (int r = 0; r < size; r++)
          producers += st.by_rank[r] > 0;
        CHECK(producers > 1);
      }
    } else {
      CHECK_EQ(st.sink_calls, 0); /* the sink runs on the root only */
    }
    int64_t total = 0;
    rc = psw_allreduce(ctx, &st.ran, &total, 1, PSW_INT64, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
    if (rc == 0)
      CHECK_EQ(total, (int64_t)(n - first));
    /* opts.chunk: every chunk announced in absolute indices with the
     * caller's arg, covering the loop; none on elastic, whose chunks can
     * be cut and handed back. */
    int announced =
        strcmp(psw_backend_name(psw_ctx_manager(ctx)), "elastic") != 0;
    CHECK_EQ(st.chunk_bad, 0);
    rc = psw_allreduce(ctx, &st.chunk_cover, &total, 1, PSW_INT64, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
    if (rc == 0)
      CHECK_EQ(total, announced ? (int64_t)(n - first) : 0);
  }
  rec_free(&st);
  return rc;
}

static int for_ex_once(psw_ctx_t *ctx, uint64_t n, size_t rsize,
                       uint64_t min_chunk, int uneven, int sink_delay_us) {
  return for_ex_range(ctx, 0, n, rsize, min_chunk, uneven, sink_delay_us);
}

int case_for_ex(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int size = psw_size(ctx);
  RUN(for_ex_once(ctx, 10000, 24, 0, 1, 0));
  RUN(for_ex_once(ctx, 0, 8, 0, 0, 0));
  RUN(for_ex_once(ctx, 1, 8, 0, 0, 0));
  RUN(for_ex_once(ctx, (uint64_t)size + 1, 100, 3, 0, 0));
  RUN(for_ex_once(ctx, 333, 1, 0, 0, 0));
  RUN(for_ex_once(ctx, 3000, 4000, 0, 0, 0));
  /* A slow sink: producers must wait for it, not drop records. */
  RUN(for_ex_once(ctx, 20000, 8, 7, 0, 5));
  /* No records: psw_for_ex behaves as psw_for. */
  RUN(for_ex_once(ctx, 5000, 0, 0, 0, 0));
  RUN(for_ex_range(ctx, 1234, 3000, 16, 0, 1, 0));
  RUN(for_ex_range(ctx, 39, 40, 8, 0, 0, 0));
  RUN(for_ex_range(ctx, 40, 40, 8, 0, 0, 0)); /* nothing to run */

  /* Loops with and without records interleaved with collectives: the
   * record rings may share memory with the collectives' staging. */
  for (int rep = 0; rep < 300; rep++) {
    uint64_t seed = 5000000u + (uint64_t)rep;
    RUN(t_bcast(ctx, PSW_INT64, 3, rep % size, seed, 0));
    if (rep % 3 == 0)
      RUN(for_once(ctx, (uint64_t)(rep % 7), task_record, NULL));
    else
      RUN(for_ex_once(ctx, (uint64_t)(rep % 7), 16, 0, 0, 0));
    RUN(t_gather(ctx, PSW_INT32, 2, 0, seed, 1));
  }
  END();
}

/* A task error inside psw_for_ex: returned on every worker. */
int case_for_ex_task_error(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  const uint64_t n = 100000;
  rec_state_t st;
  rec_init(&st, ctx, n, 8);
  st.task_fail_at = 777;
  st.shared_ran = s->shared ? &s->shm[0] : NULL;
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = 8;
  o.sink = sink_check;
  o.sink_arg = &st;
  int rc = psw_for_ex(ctx, n, task_rec, &st, &o);
  if (rc != PSW_ERR_MODEL) {
    fprintf(stderr,
            "[rank %d] psw_for_ex with a failing task returned %d "
            "(%s), not PSW_ERR_MODEL\n",
            psw_rank(ctx), rc, psw_err_name(rc));
    CHECK(!"task error returned on every worker");
  }
  if (s->shared)
    CHECK((uint64_t)__atomic_load_n(&s->shm[0], __ATOMIC_SEQ_CST) < n - 1);
  rec_free(&st);
  END();
}

/* A sink error stops the loop like a task error, on every worker. */
int case_for_ex_sink_error(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  const uint64_t n = 100000;
  rec_state_t st;
  rec_init(&st, ctx, n, 8);
  st.sink_fail_at = 100;
  st.shared_ran = s->shared ? &s->shm[0] : NULL;
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = 8;
  o.sink = sink_check;
  o.sink_arg = &st;
  int rc = psw_for_ex(ctx, n, task_rec, &st, &o);
  if (rc != PSW_ERR_IO) {
    fprintf(stderr,
            "[rank %d] psw_for_ex with a failing sink returned %d "
            "(%s), not the sink's PSW_ERR_IO\n",
            psw_rank(ctx), rc, psw_err_name(rc));
    CHECK(!"sink error returned on every worker");
  }
  if (psw_rank(ctx) == 0)
    CHECK_EQ(st.sink_calls, 100);
  if (s->shared)
    CHECK((uint64_t)__atomic_load_n(&s->shm[0], __ATOMIC_SEQ_CST) < n);
  rec_free(&st);
  END();
}
