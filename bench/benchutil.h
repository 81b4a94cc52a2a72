/* parsweep benchmarks — small shared helpers: a monotonic clock, medians,
 * shared memory that survives fork (results written by fork workers), and
 * the SUMMARY lines that bench/run_all.sh collects into its table.
 *
 * Every benchmark measures a baseline in the same run, interleaved
 * (A B A B ...), and prints medians and ratios; none asserts on a time. */
#ifndef PSW_BENCHUTIL_H
#define PSW_BENCHUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double bu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline int bu_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n-1] (v is left unchanged); 0 for n == 0. */
static inline double bu_median(const double *v, int n) {
  if (n <= 0)
    return 0;
  double *c = malloc((size_t)n * sizeof *c);
  if (!c)
    return 0;
  memcpy(c, v, (size_t)n * sizeof *c);
  qsort(c, (size_t)n, sizeof *c, bu_cmp_double);
  double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
  free(c);
  return m;
}

/* Zeroed memory shared with forked children (fork backend workers write
 * their timings here). NULL on failure. */
static inline void *bu_shared(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* Human-readable time per operation. */
static inline const char *bu_fmt_time(double s, char *buf, size_t len) {
  if (s < 1e-6)
    snprintf(buf, len, "%.1f ns", s * 1e9);
  else if (s < 1e-3)
    snprintf(buf, len, "%.2f us", s * 1e6);
  else if (s < 1)
    snprintf(buf, len, "%.2f ms", s * 1e3);
  else
    snprintf(buf, len, "%.3f s", s);
  return buf;
}

/* One line for bench/run_all.sh's summary:
 *   SUMMARY|row|what|ratio|target|met
 * `ratio` is how many times better parsweep is than the baseline (or, for
 * B7, time / ideal); `met` is yes/no against `target` (a text). */
static inline void bu_summary(const char *row, const char *what, double ratio,
                              const char *target, int met) {
  printf("SUMMARY|%s|%s|%.2f|%s|%s\n", row, what, ratio, target,
         met ? "yes" : "NO");
}

#endif /* PSW_BENCHUTIL_H */
