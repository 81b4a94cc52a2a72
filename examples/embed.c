/* Example: a C program that runs its own sweep on the library directly, no
 * YAML and no external model: the manager hands out sample indices
 * dynamically (psw_for_ex) and streams each result to a sink on the root,
 * which writes a CSV as results arrive.
 *
 * Build: cc embed.c $(pkg-config --cflags --libs parsweep) -lm
 * Run:   ./embed [BACKEND] [WORKERS] > out.csv */
#include <math.h>
#include <parsweep.h>
#include <stdio.h>
#include <stdlib.h>

#define N 1000

struct row {
  double x, y;
};

/* Sample i: x on a linear grid, y = a model of x. */
static int evaluate(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  (void)ctx;
  (void)arg;
  struct row *r = record;
  r->x = 20.0 + 10.0 * (double)i / (N - 1);
  r->y = sin(r->x) * exp(-r->x / 30.0);
  return 0;
}

/* Runs on the root, one result at a time, in completion order. */
static int write_row(uint64_t i, const void *record, void *arg) {
  const struct row *r = record;
  fprintf(arg, "%llu,%.17g,%.17g\n", (unsigned long long)i, r->x, r->y);
  return 0;
}

static int region(psw_ctx_t *ctx, void *arg) {
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = sizeof(struct row);
  o.sink = write_row;
  o.sink_arg = arg;
  if (psw_is_root(ctx))
    fprintf(arg, "index,x,y\n");
  int rc = psw_for_ex(ctx, N, evaluate, NULL, &o);
  if (psw_is_root(ctx))
    fflush(arg);
  return rc;
}

int main(int argc, char **argv) {
  psw_opts_t opts;
  psw_opts_init(&opts);
  opts.num_workers = argc > 2 ? atoi(argv[2]) : 0;
  psw_manager_t *mgr;
  int rc =
      psw_create_parallel_manager(&mgr, argc > 1 ? argv[1] : "fork", &opts);
  if (!rc)
    rc = psw_parallel(mgr, region, stdout);
  if (rc)
    fprintf(stderr, "embed: %s\n", psw_strerror(rc));
  psw_destroy_parallel_manager(mgr);
  return rc ? 1 : 0;
}
