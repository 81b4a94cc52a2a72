/* parsweep tests — the set of recorded samples (src/sweep/doneset.c): runs
 * added in any order agree with a plain bitmap, merge when they touch, stop
 * at the cap without changing, and survive pack/unpack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "doneset.h"
#include "parsweep/error.h"

enum { N = 4096 };

/* The set equals the bitmap, and its runs are sorted, disjoint and apart. */
static void agree(const psw_doneset_t *d, const uint8_t *ref) {
  uint64_t count = 0;
  for (uint64_t i = 0; i < N; i++) {
    count += ref[i];
    if (psw__doneset_has(d, i) != ref[i]) {
      CHECK_EQ(psw__doneset_has(d, i), ref[i]);
      return;
    }
  }
  CHECK_EQ(d->count, count);
  for (size_t k = 0; k < d->len; k++) {
    CHECK(d->s[k].lo < d->s[k].hi);
    if (k)
      CHECK(d->s[k - 1].hi < d->s[k].lo);
  }
}

static void random_adds(unsigned seed) {
  uint8_t ref[N] = {0};
  psw_doneset_t d;
  psw__doneset_init(&d, 0);
  srand(seed);
  for (int t = 0; t < 3000; t++) {
    uint64_t lo = (uint64_t)rand() % N, len = 1 + (uint64_t)rand() % 7;
    uint64_t hi = lo + len > N ? N : lo + len;
    CHECK_EQ(psw__doneset_add(&d, lo, hi), 0);
    memset(ref + lo, 1, hi - lo);
    if (t % 500 == 0)
      agree(&d, ref);
  }
  agree(&d, ref);
  psw__doneset_free(&d);
}

/* In order (what the scans produce): one run, appended in place. */
static void in_order(void) {
  psw_doneset_t d;
  psw__doneset_init(&d, 0);
  for (uint64_t i = 0; i < 1000000; i++)
    CHECK_EQ(psw__doneset_add(&d, i, i + 1), 0);
  CHECK_EQ(d.len, 1);
  CHECK_EQ(d.count, 1000000);
  CHECK(psw__doneset_has(&d, 999999) && !psw__doneset_has(&d, 1000000));
  /* 10^12 rows, one recorded at each end: two runs, no bitmap. */
  CHECK_EQ(psw__doneset_add(&d, 999999999999ull, 1000000000000ull), 0);
  CHECK_EQ(d.len, 2);
  CHECK(psw__doneset_has(&d, 999999999999ull));
  CHECK(!psw__doneset_has(&d, 500000000000ull));
  psw__doneset_free(&d);
}

/* The cap: the add that would need one run too many fails, and changes
 * nothing; merging adds still work. */
static void cap(void) {
  psw_doneset_t d;
  psw__doneset_init(&d, 3);
  CHECK_EQ(psw__doneset_add(&d, 0, 1), 0);
  CHECK_EQ(psw__doneset_add(&d, 10, 11), 0);
  CHECK_EQ(psw__doneset_add(&d, 20, 21), 0);
  CHECK_EQ(psw__doneset_add(&d, 30, 31), PSW_ERR_BUSY);
  CHECK_EQ(psw__doneset_add(&d, 5, 6), PSW_ERR_BUSY);
  CHECK_EQ(d.len, 3);
  CHECK_EQ(d.count, 3);
  CHECK_EQ(psw__doneset_add(&d, 1, 10), 0); /* joins the first two */
  CHECK_EQ(d.len, 2);
  CHECK_EQ(d.count, 12);
  psw__doneset_free(&d);
}

static void pack(void) {
  psw_doneset_t d, e;
  psw__doneset_init(&d, 0);
  psw__doneset_init(&e, 0);
  CHECK_EQ(psw__doneset_add(&d, 3, 9), 0);
  CHECK_EQ(psw__doneset_add(&d, 100, 101), 0);
  size_t len = psw__doneset_packed_size(&d);
  CHECK_EQ(len, 32);
  unsigned char buf[32];
  psw__doneset_pack(&d, buf);
  CHECK_EQ(psw__doneset_unpack(&e, buf, len, 200), 0);
  CHECK_EQ(e.len, 2);
  CHECK_EQ(e.count, 7);
  psw__doneset_free(&e);
  psw__doneset_init(&e, 0);
  /* Beyond N, a torn length, runs out of order: refused. */
  CHECK_EQ(psw__doneset_unpack(&e, buf, len, 100), PSW_ERR_PARSE);
  psw__doneset_free(&e);
  psw__doneset_init(&e, 0);
  CHECK_EQ(psw__doneset_unpack(&e, buf, len - 1, 200), PSW_ERR_PARSE);
  unsigned char swapped[32];
  memcpy(swapped, buf + 16, 16);
  memcpy(swapped + 16, buf, 16);
  psw__doneset_free(&e);
  psw__doneset_init(&e, 0);
  CHECK_EQ(psw__doneset_unpack(&e, swapped, len, 200), PSW_ERR_PARSE);
  psw__doneset_free(&e);
  psw__doneset_free(&d);
}

int main(void) {
  for (unsigned seed = 1; seed <= 20; seed++)
    random_adds(seed);
  in_order();
  cap();
  pack();
  return check_failures() ? 1 : 0;
}
