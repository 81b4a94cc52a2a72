/* A program outside the parsweep tree: a barrier and an allreduce on the
 * fork backend with 2 workers. Exit 0 when they give the right answers. */
#include <stdint.h>
#include <stdio.h>

#include <parsweep.h>

static int region(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rc = psw_barrier(ctx);
  if (rc != 0)
    return rc;
  int64_t rank = psw_rank(ctx), sum = -1;
  rc = psw_allreduce(ctx, &rank, &sum, 1, PSW_INT64, PSW_SUM);
  if (rc != 0)
    return rc;
  int64_t n = psw_size(ctx);
  if (sum != n * (n - 1) / 2) {
    fprintf(stderr, "rank %d: sum of ranks %lld, expected %lld\n",
            psw_rank(ctx), (long long)sum, (long long)(n * (n - 1) / 2));
    return 1;
  }
  return 0;
}

int main(void) {
  psw_opts_t opts;
  psw_opts_init(&opts);
  opts.num_workers = 2;
  psw_manager_t *mgr = NULL;
  int rc = psw_create_parallel_manager(&mgr, "fork", &opts);
  if (rc != 0) {
    fprintf(stderr, "consumer: %s\n", psw_strerror(rc));
    return 1;
  }
  rc = psw_parallel(mgr, region, NULL);
  printf("consumer: parsweep %s, backend %s, %d workers: %s\n", psw_version(),
         psw_backend_name(mgr), psw_num_workers(mgr),
         rc == 0 ? "ok" : psw_strerror(rc));
  psw_destroy_parallel_manager(mgr);
  return rc == 0 ? 0 : 1;
}
