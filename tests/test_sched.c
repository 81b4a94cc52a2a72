/* The chunk sizes of guided self-scheduling (src/core/sched.h), a pure
 * function, tested exhaustively over small inputs and at the extremes. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "core/sched.h"

/* The documented formula: remaining / (2 * workers), clamped to
 * [min_chunk, remaining], and at least 1 when anything remains. */
static uint64_t model(uint64_t remaining, int workers, uint64_t min_chunk) {
  if (remaining == 0)
    return 0;
  uint64_t c = remaining / (2 * (uint64_t)workers);
  if (c < min_chunk)
    c = min_chunk;
  if (c > remaining)
    c = remaining;
  return c ? c : 1;
}

static int fails_reported;

#define EXPECT(cond, r, w, m)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      if (fails_reported++ < 20)                                               \
        fprintf(stderr, "psw__chunk_size(%llu, %d, %llu) = %llu: not %s\n",    \
                (unsigned long long)(r), (int)(w), (unsigned long long)(m),    \
                (unsigned long long)psw__chunk_size(r, w, m), #cond);          \
      check__failures++;                                                       \
    }                                                                          \
  } while (0)

static void properties(uint64_t r, int w, uint64_t m) {
  uint64_t c = psw__chunk_size(r, w, m);
  if (r == 0) {
    EXPECT(c == 0, r, w, m);
    return;
  }
  uint64_t floor = m < r ? m : r;
  EXPECT(c >= 1, r, w, m);
  EXPECT(c <= r, r, w, m);
  EXPECT(c >= floor, r, w, m);
  EXPECT(c == model(r, w, m), r, w, m);
}

/* Hand out n indices; the chunks must cover exactly n, shrink (never grow),
 * and not be more numerous than needed. */
static void simulate(uint64_t n, int w, uint64_t m) {
  uint64_t rem = n, sum = 0, prev = UINT64_MAX, steps = 0;
  while (rem > 0) {
    uint64_t c = psw__chunk_size(rem, w, m);
    EXPECT(c >= 1 && c <= rem, rem, w, m);
    if (c == 0 || c > rem)
      return;
    EXPECT(c <= prev, rem, w, m);
    prev = c;
    sum += c;
    rem -= c;
    steps++;
  }
  if (sum != n || steps > n) {
    fprintf(stderr,
            "simulate(n=%llu, w=%d, min=%llu): sum %llu, %llu "
            "chunks\n",
            (unsigned long long)n, w, (unsigned long long)m,
            (unsigned long long)sum, (unsigned long long)steps);
    check__failures++;
  }
}

int main(void) {
  /* Exhaustive over small inputs. */
  for (int w = 1; w <= 17; w++)
    for (uint64_t m = 0; m <= 9; m++) {
      uint64_t prev = 0;
      for (uint64_t r = 0; r <= 2000; r++) {
        properties(r, w, m);
        uint64_t c = psw__chunk_size(r, w, m);
        /* non-increasing as remaining decreases */
        EXPECT(c >= prev, r, w, m);
        prev = c;
      }
      for (uint64_t n = 0; n <= 300; n++)
        simulate(n, w, m);
      simulate(1000003, w, m);
    }

  /* Extremes: no overflow in 2 * workers, or with huge counts. */
  static const int ws[] = {1, 2, 7, 1000, 65536, INT_MAX / 2, INT_MAX};
  static const uint64_t rs[] = {
      1, 2, 3, 1ULL << 32, 1ULL << 62, UINT64_MAX - 1, UINT64_MAX};
  static const uint64_t ms[] = {0, 1, 64, 1ULL << 40, UINT64_MAX};
  for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
    for (size_t j = 0; j < sizeof rs / sizeof rs[0]; j++)
      for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++)
        properties(rs[j], ws[i], ms[k]);
  simulate(UINT64_MAX, 7, 1);
  simulate(1ULL << 40, INT_MAX, 1ULL << 20);

  /* The cap by pace: PSW_CHUNK_TARGET_S worth of tasks, at least 1, none
   * while the pace is unknown (0, negative, NaN). */
  int capfail = 0;
  capfail |= psw__chunk_cap(0) != UINT64_MAX;
  capfail |= psw__chunk_cap(-1) != UINT64_MAX;
  capfail |= psw__chunk_cap(NAN) != UINT64_MAX;
  capfail |= psw__chunk_cap(1e-30) != UINT64_MAX;
  capfail |= psw__chunk_cap(1.0) != 1;     /* slow tasks: one at a time */
  capfail |= psw__chunk_cap(0.05) != 1;    /* 50 ms tasks */
  capfail |= psw__chunk_cap(0.001) != 5;   /* 1 ms: 5 ms worth */
  capfail |= psw__chunk_cap(1e-6) != 5000; /* 1 us */
  /* The fit: the cap wins over the guided size, min_chunk over the cap,
   * remaining over both. */
  capfail |= psw__chunk_fit(100, 5, 1, 1000) != 5;
  capfail |= psw__chunk_fit(3, 5, 1, 1000) != 3;
  capfail |= psw__chunk_fit(100, 5, 8, 1000) != 8;
  capfail |= psw__chunk_fit(100, 5, 8, 6) != 6;
  capfail |= psw__chunk_fit(100, UINT64_MAX, 1, 1000) != 100;
  if (capfail) {
    fprintf(stderr, "psw__chunk_cap / psw__chunk_fit: wrong value\n");
    check__failures++;
  }

  printf("test_sched: %s\n", check_failures() ? "FAILED" : "passed");
  return check_failures() ? 1 : 0;
}
