/* Example: the parallel manager's collectives on the fork backend.
 *
 * Build: cc collectives.c $(pkg-config --cflags --libs parsweep)
 * Every worker contributes its rank; rank 0 broadcasts a table; all of them
 * sum, gather and share results, then split a loop of tasks dynamically. */
#include <parsweep.h>
#include <stdio.h>
#include <stdlib.h>

static int square(psw_ctx_t *ctx, uint64_t i, void *arg) {
  (void)ctx;
  (void)arg;
  volatile double x = (double)i * (double)i; /* stand-in for real work */
  (void)x;
  return 0;
}

static int region(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx), size = psw_size(ctx), rc;
  double table[4] = {0};
  if (psw_is_root(ctx))
    for (int i = 0; i < 4; i++)
      table[i] = 1.5 * i;
  /* sync_array_with_peers */
  if ((rc = psw_bcast(ctx, table, 4, PSW_DOUBLE, 0)))
    return rc;
  /* sum_values_and_sync */
  int64_t mine = rank + 1, total = 0;
  if ((rc = psw_allreduce(ctx, &mine, &total, 1, PSW_INT64, PSW_SUM)))
    return rc;
  /* gather_arrays_to_root */
  int32_t *ranks =
      psw_is_root(ctx) ? malloc((size_t)size * sizeof *ranks) : NULL;
  int32_t r32 = rank;
  if ((rc = psw_gather(ctx, &r32, 1, ranks, PSW_INT32, 0)))
    return rc;
  /* scatter + gather of tasks, balanced dynamically */
  if ((rc = psw_for(ctx, 100000, square, NULL)))
    return rc;
  if (psw_is_root(ctx)) {
    printf("backend %s, %d workers: sum of (rank+1) = %lld (expected %d), "
           "table[3] = %g, gathered ranks:",
           psw_backend_name(psw_ctx_manager(ctx)), size, (long long)total,
           size * (size + 1) / 2, table[3]);
    for (int i = 0; i < size; i++)
      printf(" %d", ranks[i]);
    printf("\n");
    free(ranks);
  }
  return psw_barrier(ctx);
}

int main(int argc, char **argv) {
  psw_opts_t opts;
  psw_opts_init(&opts);
  opts.num_workers = argc > 1 ? atoi(argv[1]) : 0; /* 0: every CPU */
  psw_manager_t *mgr;
  int rc = psw_create_parallel_manager(&mgr, "MultiProcessing", &opts);
  if (!rc)
    rc = psw_parallel(mgr, region, NULL);
  if (rc)
    fprintf(stderr, "collectives: %s\n", psw_strerror(rc));
  psw_destroy_parallel_manager(mgr);
  return rc ? 1 : 0;
}
