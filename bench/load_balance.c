/* parsweep benchmark B7 — load balance of psw_for when some tasks are much
 * longer than others, against static contiguous blocks (how WaterTAP's
 * Python manager splits a sweep: worker k gets [k*N/W, (k+1)*N/W)), both
 * compared with the ideal total_work / workers:
 *
 *   build/bench/load_balance [--n 400] [--short-ms 1] [--long-ms 50]
 *       [--max-chunk 0] [--backend fork] [--reps 3] [--smoke]
 *
 * N tasks on 2 workers; 10% of them sleep --long-ms (50x) instead of
 * --short-ms. Two placements of the long tasks:
 *   even       every 10th task (i % 10 == 9): spread evenly, as issue 7
 *              specifies; static blocks happen to get equal shares here;
 *   clustered  the first 10% of the indices: static blocks give all of
 *              them to worker 0 (what a sorted or structured sweep does).
 * Each repetition runs psw_for and the static split for each placement
 * (interleaved); the work is the measured duration of every task (sleeps
 * overshoot a little), the ideal is its sum / 2, and the table gives the
 * median wall time of the psw_parallel call and its ratio to the ideal.
 * Target (issue 7): psw_for within 10% of the ideal (ratio <= 1.10).
 * --max-chunk K: psw_for_ex with psw_for_opts.max_chunk = K (the sweep
 * runner uses 1024) instead of psw_for.
 * --smoke: 40 tasks of 0.1 / 5 ms, one repetition (ctest
 * bench.load_balance; no timing is checked). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <parsweep.h>

#include "benchutil.h"

#define MAXREPS 64
#define NW 2

struct shared {
  double work[NW * 8]; /* seconds of task time per worker, 64 B apart */
};

struct region_arg {
  uint64_t n;
  double short_s, long_s;
  int clustered, dynamic;
  uint64_t max_chunk; /* psw_for_opts.max_chunk; 0 = plain psw_for */
  struct shared *sh;
};

static void nap(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) && errno == EINTR)
    ;
}

static int is_long(const struct region_arg *ra, uint64_t i) {
  if (ra->clustered)
    return i < ra->n / 10;
  return i % 10 == 9;
}

static int task(psw_ctx_t *ctx, uint64_t i, void *arg) {
  struct region_arg *ra = arg;
  double t0 = bu_now();
  nap(is_long(ra, i) ? ra->long_s : ra->short_s);
  ra->sh->work[psw_rank(ctx) * 8] += bu_now() - t0;
  return 0;
}

static int task_ex(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  (void)record;
  return task(ctx, i, arg);
}

static int region(psw_ctx_t *ctx, void *arg) {
  struct region_arg *ra = arg;
  if (ra->dynamic && ra->max_chunk) {
    psw_for_opts_t fo;
    psw_for_opts_init(&fo);
    fo.max_chunk = ra->max_chunk;
    return psw_for_ex(ctx, ra->n, task_ex, ra, &fo);
  }
  if (ra->dynamic)
    return psw_for(ctx, ra->n, task, ra);
  uint64_t k = (uint64_t)psw_rank(ctx), w = (uint64_t)psw_size(ctx);
  for (uint64_t i = k * ra->n / w; i < (k + 1) * ra->n / w; i++)
    task(ctx, i, ra);
  return psw_barrier(ctx);
}

int main(int argc, char **argv) {
  uint64_t n = 400, max_chunk = 0;
  double short_ms = 1, long_ms = 50;
  int reps = 3;
  const char *backend = "fork";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke")) {
      n = 40;
      short_ms = 0.1;
      long_ms = 5;
      reps = 1;
    } else if (!strcmp(argv[i], "--n") && i + 1 < argc) {
      n = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--short-ms") && i + 1 < argc) {
      short_ms = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--long-ms") && i + 1 < argc) {
      long_ms = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--max-chunk") && i + 1 < argc) {
      max_chunk = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
      backend = argv[++i];
    } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: load_balance [--n N] [--short-ms MS] "
                      "[--long-ms MS] [--max-chunk K] [--backend B] [--reps R] "
                      "[--smoke]\n");
      return 2;
    }
  }
  if (reps < 1 || reps > MAXREPS || n < 10 || short_ms < 0 || long_ms < 0) {
    fprintf(stderr, "load_balance: bad arguments\n");
    return 2;
  }
  struct shared *sh = bu_shared(sizeof *sh);
  if (!sh)
    return 1;
  psw_opts_t o;
  psw_opts_init(&o);
  o.num_workers = NW;
  psw_manager_t *m;
  int rc = psw_create_parallel_manager(&m, backend, &o);
  if (rc) {
    fprintf(stderr, "load_balance: %s: %s\n", backend, psw_strerror(rc));
    return 1;
  }
  printf("B7 load balance: %llu tasks on %s x%d, 10%% sleep %.3g ms, the "
         "rest %.3g ms; max_chunk %llu; %d repetition(s)\n",
         (unsigned long long)n, psw_backend_name(m), NW, long_ms, short_ms,
         (unsigned long long)max_chunk, reps);
  static const char *const placement[2] = {"even", "clustered"};
  char dyn[32] = "psw_for";
  if (max_chunk)
    snprintf(dyn, sizeof dyn, "psw_for mc=%llu", (unsigned long long)max_chunk);
  const char *const split[2] = {"static blocks", dyn};
  double wall[2][2][MAXREPS], ideal[2][2][MAXREPS], busy[2][2][NW][MAXREPS];
  for (int r = 0; r < reps; r++) {
    for (int c = 0; c < 2; c++) {
      for (int d = 1; d >= 0; d--) { /* psw_for first, then static */
        struct region_arg ra = {
            n, short_ms * 1e-3, long_ms * 1e-3, c, d, max_chunk, sh};
        memset(sh, 0, sizeof *sh);
        double t0 = bu_now();
        rc = psw_parallel(m, region, &ra);
        wall[c][d][r] = bu_now() - t0;
        if (rc) {
          fprintf(stderr, "load_balance: %s\n", psw_strerror(rc));
          psw_destroy_parallel_manager(m);
          return 1;
        }
        double sum = 0;
        for (int w = 0; w < NW; w++) {
          busy[c][d][w][r] = sh->work[w * 8];
          sum += sh->work[w * 8];
        }
        ideal[c][d][r] = sum / NW;
      }
    }
  }
  psw_destroy_parallel_manager(m);

  printf("\n%-10s %-14s %10s %10s %10s %10s %8s %7s %s\n", "placement", "split",
         "wall", "ideal", "busy w0", "busy w1", "/ideal", "target", "met");
  for (int c = 0; c < 2; c++) {
    for (int d = 1; d >= 0; d--) {
      double v[MAXREPS];
      for (int r = 0; r < reps; r++)
        v[r] = wall[c][d][r] / ideal[c][d][r];
      double ratio = bu_median(v, reps);
      double mw = bu_median(wall[c][d], reps);
      double mi = bu_median(ideal[c][d], reps);
      double b0 = bu_median(busy[c][d][0], reps);
      double b1 = bu_median(busy[c][d][1], reps);
      int met = ratio <= 1.10;
      printf("%-10s %-14s %9.3fs %9.3fs %9.3fs %9.3fs %8.3f %7s %s\n",
             placement[c], split[d], mw, mi, b0, b1, ratio, d ? "<=1.10" : "-",
             d ? (met ? "yes" : "NO") : "-");
      char row[64];
      snprintf(row, sizeof row, "%s, %s: wall / ideal", placement[c], split[d]);
      if (d)
        bu_summary("B7", row, ratio, "<=1.10", met);
      else
        printf("SUMMARY|B7|%s (baseline)|%.2f|-|-\n", row, ratio);
    }
  }
  return 0;
}
