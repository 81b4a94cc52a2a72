/* parsweep tests — minimal assertions that work inside forked workers.
 *
 * Test frameworks that longjmp or count failures in process memory do not
 * fit tests that run inside psw_parallel regions on the fork backend (each
 * worker is a separate process). CHECK prints the failing expression with
 * file, line and the worker's rank, counts the failure in a thread-local
 * counter, and goes on; a region returns check_failures() so that the
 * failure travels back through psw_parallel's return value. */
#ifndef PSW_TESTS_CHECK_H
#define PSW_TESTS_CHECK_H

#include <stdio.h>

/* A program of several files defines CHECK_SHARED_COUNTERS before the
 * include and the counters once (tests/conformance/main.c): a function
 * then sees the failures of the checks it called in other files. */
#ifdef CHECK_SHARED_COUNTERS
extern _Thread_local int check__failures;
extern _Thread_local int check__rank;
#else
static _Thread_local int check__failures;
static _Thread_local int check__rank = -1;
#endif

static inline void check_set_rank(int rank) {
  check__rank = rank;
}
static inline int check_failures(void) {
  return check__failures;
}

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: [rank %d] CHECK failed: %s\n", __FILE__,         \
              __LINE__, check__rank, #cond);                                   \
      check__failures++;                                                       \
    }                                                                          \
  } while (0)

/* CHECK_EQ for integers, printing both sides. */
#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long check__a = (long long)(a), check__b = (long long)(b);            \
    if (check__a != check__b) {                                                \
      fprintf(stderr,                                                          \
              "%s:%d: [rank %d] CHECK_EQ failed: %s == %s (%lld vs "           \
              "%lld)\n",                                                       \
              __FILE__, __LINE__, check__rank, #a, #b, check__a, check__b);    \
      check__failures++;                                                       \
    }                                                                          \
  } while (0)

/* Stop the current function when a CHECK_EQ of a call's result fails. */
#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    int check__rc = (expr);                                                    \
    if (check__rc != 0) {                                                      \
      fprintf(stderr, "%s:%d: [rank %d] %s returned %d\n", __FILE__, __LINE__, \
              check__rank, #expr, check__rc);                                  \
      check__failures++;                                                       \
      return check__rc;                                                        \
    }                                                                          \
  } while (0)

#endif /* PSW_TESTS_CHECK_H */
