/* parsweep benchmark — the program bench/callgrind.sh runs under
 * `valgrind --tool=callgrind` to count instructions per dispatch and per
 * small collective:
 *
 *   build/bench/callgrind_ops BACKEND WHAT N
 *
 * One psw_parallel region of BACKEND (threads, fork, ...) with 2 workers
 * that does N of WHAT:
 *   for      one psw_for over N empty tasks (per task: chunked hand-out)
 *   for1     one psw_for_ex over N empty tasks with max_chunk 1 (per task:
 *            one claim of the shared counter each)
 *   forcall  N psw_for calls of 2 empty tasks (per call: the loop's set-up
 *            and its closing barrier)
 *   barrier  N psw_barrier
 *   bcast    N psw_bcast_bytes of 8 B from worker 0
 *   reduce   N psw_reduce of one double (sum, root 0)
 *   gather   N psw_gather of 8 B (root 0)
 * callgrind.sh runs it for two values of N and divides the difference of
 * the instruction counts by the difference of N, so that start-up costs
 * cancel. No timing, no output but errors; exit 0 on success. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parsweep.h>

enum { W_FOR, W_FOR1, W_FORCALL, W_BARRIER, W_BCAST, W_REDUCE, W_GATHER, NW };
static const char *const w_names[NW] = {"for",   "for1",   "forcall", "barrier",
                                        "bcast", "reduce", "gather"};

struct arg {
  int what;
  long n;
};

static int empty(psw_ctx_t *ctx, uint64_t i, void *arg) {
  (void)ctx;
  (void)i;
  (void)arg;
  return 0;
}

static int empty_rec(psw_ctx_t *ctx, uint64_t i, void *rec, void *arg) {
  (void)ctx;
  (void)i;
  (void)rec;
  (void)arg;
  return 0;
}

static int region(psw_ctx_t *ctx, void *p) {
  const struct arg *a = p;
  char send[8] = {1, 2, 3, 4, 5, 6, 7, 8}, recv[8 * 2];
  double x = psw_rank(ctx), y = 0;
  int rc = 0;
  switch (a->what) {
  case W_FOR:
    return psw_for(ctx, (uint64_t)a->n, empty, NULL);
  case W_FOR1: {
    psw_for_opts_t o;
    psw_for_opts_init(&o);
    o.max_chunk = 1;
    return psw_for_ex(ctx, (uint64_t)a->n, empty_rec, NULL, &o);
  }
  default:
    break;
  }
  for (long k = 0; k < a->n && !rc; k++) {
    switch (a->what) {
    case W_FORCALL:
      rc = psw_for(ctx, 2, empty, NULL);
      break;
    case W_BARRIER:
      rc = psw_barrier(ctx);
      break;
    case W_BCAST:
      rc = psw_bcast_bytes(ctx, send, sizeof send, 0);
      break;
    case W_REDUCE:
      rc = psw_reduce(ctx, &x, &y, 1, PSW_DOUBLE, PSW_SUM, 0);
      break;
    default:
      rc = psw_gather(ctx, send, sizeof send, recv, PSW_BYTE, 0);
    }
  }
  return rc;
}

int main(int argc, char **argv) {
  struct arg a = {-1, 0};
  if (argc == 4) {
    for (int k = 0; k < NW; k++)
      if (!strcmp(argv[2], w_names[k]))
        a.what = k;
    a.n = atol(argv[3]);
  }
  if (a.what < 0 || a.n < 0) {
    fprintf(stderr, "usage: callgrind_ops BACKEND "
                    "for|for1|forcall|barrier|bcast|reduce|gather N\n");
    return 2;
  }
  psw_manager_t *m;
  psw_opts_t o;
  psw_opts_init(&o);
  o.num_workers = 2;
  int rc = psw_create_parallel_manager(&m, argv[1], &o);
  if (rc) {
    fprintf(stderr, "callgrind_ops: %s: %s\n", argv[1], psw_strerror(rc));
    return 1;
  }
  rc = psw_parallel(m, region, &a);
  psw_destroy_parallel_manager(m);
  if (rc) {
    fprintf(stderr, "callgrind_ops: %s %s: %s\n", argv[1], argv[2],
            psw_strerror(rc));
    return 1;
  }
  return 0;
}
