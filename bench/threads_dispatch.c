/* parsweep benchmark B1 — the cost of dispatching one empty task on the
 * threads backend, against two baselines measured in the same run:
 *
 *   build/bench/threads_dispatch [--n 1000000] [--pthread-n 20000]
 *       [--py-n 100000] [--reps 5] [--python /usr/bin/python3] [--smoke]
 *
 * A  psw_for over n empty tasks in a psw_parallel region of the "threads"
 *    backend with 2 workers (the time of the whole psw_parallel call).
 * B  a thread per task: pthread_create + pthread_join, two tasks in flight
 *    at a time (as 2 workers), over --pthread-n tasks.
 * C  Python's concurrent.futures.ThreadPoolExecutor(2): --py-n submits of
 *    an empty function, then waiting for every future (timed inside the
 *    interpreter, so start-up is not counted; one interpreter per rep).
 *
 * The repetitions interleave A B C A B C ...; each prints the time per task
 * and the table gives the medians and the ratios B/A and C/A per task.
 * Targets (issue 7): >= 20x the thread per task, >= 100x the pool.
 * psw_for hands out chunks of indices (guided self-scheduling), so with
 * empty tasks A measures the loop over a chunk plus a share of the chunk
 * requests, not a per-task hand-off.
 * --smoke: tiny sizes, one repetition (ctest bench.threads_dispatch; no
 * timing is checked). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parsweep.h>

#include "benchutil.h"

#define MAXREPS 64

static int empty_task(psw_ctx_t *ctx, uint64_t i, void *arg) {
  (void)ctx;
  (void)i;
  (void)arg;
  return 0;
}

struct region_arg {
  uint64_t n;
};

static int region(psw_ctx_t *ctx, void *arg) {
  struct region_arg *ra = arg;
  return psw_for(ctx, ra->n, empty_task, NULL);
}

static void *empty_thread(void *arg) {
  return arg;
}

/* Seconds per task of a thread per task, two at a time; <0 on failure. */
static double pthread_per_task(uint64_t n) {
  double t0 = bu_now();
  for (uint64_t i = 0; i < n; i += 2) {
    pthread_t t[2];
    int k = (n - i >= 2) ? 2 : 1;
    for (int j = 0; j < k; j++)
      if (pthread_create(&t[j], NULL, empty_thread, NULL))
        return -1;
    for (int j = 0; j < k; j++)
      pthread_join(t[j], NULL);
  }
  return (bu_now() - t0) / (double)n;
}

static const char PY[] =
    "import sys, time\n"
    "from concurrent.futures import ThreadPoolExecutor, wait\n"
    "def f():\n"
    "    pass\n"
    "n = int(sys.argv[1])\n"
    "with ThreadPoolExecutor(2) as ex:\n"
    "    wait([ex.submit(f) for _ in range(1000)])\n" /* warm the pool */
    "    t0 = time.perf_counter()\n"
    "    wait([ex.submit(f) for _ in range(n)])\n"
    "    t = time.perf_counter() - t0\n"
    "print('%.9e' % (t / n))\n";

/* Seconds per task of ThreadPoolExecutor(2); <0 on failure. */
static double python_per_task(const char *python, uint64_t n) {
  char path[] = "/tmp/psw_b1_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return -1;
  FILE *f = fdopen(fd, "w");
  if (!f)
    return -1;
  fputs(PY, f);
  fclose(f);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s %s %llu", python, path, (unsigned long long)n);
  FILE *p = popen(cmd, "r");
  double v = -1;
  if (p) {
    if (fscanf(p, "%lf", &v) != 1)
      v = -1;
    if (pclose(p) != 0)
      v = -1;
  }
  remove(path);
  return v;
}

int main(int argc, char **argv) {
  uint64_t n = 1000000, npt = 20000, npy = 100000;
  int reps = 5;
  const char *python = "/usr/bin/python3";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke")) {
      n = 10000;
      npt = 200;
      npy = 2000;
      reps = 1;
    } else if (!strcmp(argv[i], "--n") && i + 1 < argc) {
      n = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--pthread-n") && i + 1 < argc) {
      npt = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--py-n") && i + 1 < argc) {
      npy = strtoull(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--python") && i + 1 < argc) {
      python = argv[++i];
    } else {
      fprintf(stderr,
              "usage: threads_dispatch [--n N] [--pthread-n N] [--py-n N] "
              "[--reps R] [--python PATH] [--smoke]\n");
      return 2;
    }
  }
  if (reps < 1 || reps > MAXREPS || n == 0 || npt == 0 || npy == 0) {
    fprintf(stderr, "threads_dispatch: bad sizes\n");
    return 2;
  }

  psw_opts_t o;
  psw_opts_init(&o);
  o.num_workers = 2;
  psw_manager_t *m;
  int rc = psw_create_parallel_manager(&m, "threads", &o);
  if (rc) {
    fprintf(stderr, "threads_dispatch: %s\n", psw_strerror(rc));
    return 1;
  }
  struct region_arg ra = {n};
  psw_parallel(m, region, &ra); /* warm-up: threads, pages */

  double a[MAXREPS], b[MAXREPS], c[MAXREPS];
  char s1[32], s2[32], s3[32];
  printf("B1 threads dispatch: psw_for on threads x2 (%llu tasks) vs "
         "pthread per task (%llu) vs ThreadPoolExecutor(2) (%llu)\n",
         (unsigned long long)n, (unsigned long long)npt,
         (unsigned long long)npy);
  printf("%-4s %14s %14s %14s\n", "rep", "psw_for/task", "pthread/task",
         "TPE/task");
  for (int r = 0; r < reps; r++) {
    double t0 = bu_now();
    rc = psw_parallel(m, region, &ra);
    a[r] = (bu_now() - t0) / (double)n;
    if (rc) {
      fprintf(stderr, "threads_dispatch: psw_parallel: %s\n", psw_strerror(rc));
      psw_destroy_parallel_manager(m);
      return 1;
    }
    b[r] = pthread_per_task(npt);
    c[r] = python_per_task(python, npy);
    if (b[r] < 0 || c[r] < 0) {
      fprintf(stderr, "threads_dispatch: a baseline failed (%s)\n",
              b[r] < 0 ? "pthread_create" : python);
      psw_destroy_parallel_manager(m);
      return 1;
    }
    printf("%-4d %14s %14s %14s\n", r, bu_fmt_time(a[r], s1, sizeof s1),
           bu_fmt_time(b[r], s2, sizeof s2), bu_fmt_time(c[r], s3, sizeof s3));
  }
  psw_destroy_parallel_manager(m);

  double ma = bu_median(a, reps), mb = bu_median(b, reps),
         mc = bu_median(c, reps);
  printf("\n%-34s %14s %10s %8s %s\n", "per task (median)", "time", "ratio",
         "target", "met");
  printf("%-34s %14s %10s %8s %s\n", "psw_for, threads x2",
         bu_fmt_time(ma, s1, sizeof s1), "1", "", "");
  printf("%-34s %14s %9.1fx %8s %s\n", "pthread_create+join per task",
         bu_fmt_time(mb, s2, sizeof s2), mb / ma, ">=20x",
         mb / ma >= 20 ? "yes" : "NO");
  printf("%-34s %14s %9.1fx %8s %s\n", "ThreadPoolExecutor(2).submit",
         bu_fmt_time(mc, s3, sizeof s3), mc / ma, ">=100x",
         mc / ma >= 100 ? "yes" : "NO");
  bu_summary("B1", "psw_for vs pthread per task", mb / ma, ">=20x",
             mb / ma >= 20);
  bu_summary("B1", "psw_for vs ThreadPoolExecutor(2)", mc / ma, ">=100x",
             mc / ma >= 100);
  return 0;
}
