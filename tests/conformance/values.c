/* The expected values: every worker computes them itself from
 * (seed, rank, index) formulas, the same on every backend. */
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

const psw_type_t TYPES[] = {PSW_INT32, PSW_INT64, PSW_UINT64, PSW_DOUBLE};
const psw_type_t COPY_TYPES[] = {PSW_INT32, PSW_INT64, PSW_UINT64, PSW_DOUBLE,
                                 PSW_BYTE};
const psw_op_t OPS[] = {PSW_SUM, PSW_MIN, PSW_MAX, PSW_PROD};

uint64_t mix(uint64_t seed, int64_t rank, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL;
  z ^= (uint64_t)(rank + 1) * 0xBF58476D1CE4E5B9ULL;
  z ^= (i + 1) * 0x94D049BB133111EBULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

size_t tsize(psw_type_t t) {
  switch (t) {
  case PSW_INT32:
    return 4;
  case PSW_INT64:
  case PSW_UINT64:
  case PSW_DOUBLE:
    return 8;
  case PSW_BYTE:
    return 1;
  }
  return 0;
}

const char *tname(psw_type_t t) {
  static const char *n[] = {"int32", "int64", "uint64", "double", "byte"};
  return (unsigned)t < 5 ? n[t] : "?";
}

const char *oname(psw_op_t op) {
  static const char *n[] = {"sum", "min", "max", "prod"};
  return (unsigned)op < 4 ? n[op] : "?";
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "conformance: out of memory (%zu bytes)\n", n);
    abort();
  }
  return p;
}

/* One element of a copy test (bcast/scatter/gather): any bits, doubles
 * finite. */
static void gen_elem(psw_type_t t, uint64_t h, void *out) {
  switch (t) {
  case PSW_INT32: {
    int32_t v = (int32_t)(uint32_t)h;
    memcpy(out, &v, 4);
    break;
  }
  case PSW_INT64:
  case PSW_UINT64:
    memcpy(out, &h, 8);
    break;
  case PSW_DOUBLE: {
    double v = ((double)(int64_t)(h >> 11) - 4503599627370496.0) / 1048576.0;
    memcpy(out, &v, 8);
    break;
  }
  case PSW_BYTE: {
    uint8_t v = (uint8_t)(h >> 17);
    memcpy(out, &v, 1);
    break;
  }
  }
}

void fill(psw_type_t t, void *buf, size_t count, uint64_t seed, int rank,
          size_t off) {
  size_t sz = tsize(t);
  for (size_t i = 0; i < count; i++)
    gen_elem(t, mix(seed, rank, off + i), (char *)buf + i * sz);
}

/* Compare buf[0..count) with fill(seed, rank, off); report the first
 * difference. Returns the number of differing elements. */
size_t expect_fill(psw_type_t t, const void *buf, size_t count, uint64_t seed,
                   int rank, size_t off, const char *what) {
  size_t sz = tsize(t), bad = 0;
  unsigned char e[8];
  for (size_t i = 0; i < count; i++) {
    gen_elem(t, mix(seed, rank, off + i), e);
    if (memcmp(e, (const char *)buf + i * sz, sz) != 0) {
      if (bad == 0)
        fprintf(stderr,
                "[rank %d] %s (%s): element %zu of %zu differs from the "
                "value of (rank %d, index %zu)\n",
                check__rank, what, tname(t), i, count, rank, off + i);
      bad++;
    }
  }
  CHECK(bad == 0);
  return bad;
}

/* Contribution of `rank` to a reduction with `op`: chosen so that the exact
 * result is representable (no overflow, PROD small, double sums exact), so
 * every association order gives the same bits. uint64 SUM wraps (defined). */
void red_elem(psw_type_t t, psw_op_t op, uint64_t h, void *out) {
  if (op == PSW_MIN || op == PSW_MAX) {
    gen_elem(t, h, out);
    return;
  }
  int neg = (int)((h >> 32) & 1);
  int64_t small = 1 + (int64_t)(h % 3);
  switch (t) {
  case PSW_INT32: {
    int32_t v = op == PSW_SUM ? (int32_t)(h % 2001) - 1000
                              : (int32_t)(neg ? -small : small);
    memcpy(out, &v, 4);
    break;
  }
  case PSW_INT64: {
    int64_t v = op == PSW_SUM ? (int64_t)(h % (1ULL << 40)) - (1LL << 39)
                              : (neg ? -small : small);
    memcpy(out, &v, 8);
    break;
  }
  case PSW_UINT64: {
    uint64_t v = op == PSW_SUM ? h : (uint64_t)small;
    memcpy(out, &v, 8);
    break;
  }
  case PSW_DOUBLE: {
    double v;
    if (op == PSW_SUM)
      v = ((double)(int64_t)(h % (1ULL << 24)) - 8388608.0) * 0.25;
    else
      v = (double)(neg ? -small : small) * (((h >> 40) & 1) ? 0.5 : 1.0);
    memcpy(out, &v, 8);
    break;
  }
  case PSW_BYTE:
    break;
  }
}

/* Contributions whose double sum/product depends on the order of the
 * operations: the bit-identity checks. */
void na_elem(psw_op_t op, uint64_t h, void *out) {
  double sign = (h >> 63) ? -1.0 : 1.0, v;
  if (op == PSW_PROD)
    v = sign * (1.0 + (double)(h >> 12) / 4503599627370496.0);
  else
    v = sign * (1.0 + (double)((h >> 8) & 0xfffff) / 1048576.0) *
        (double)(1ULL << ((h >> 40) % 40));
  memcpy(out, &v, 8);
}

/* acc = acc op in, one element. */
void combine(psw_type_t t, psw_op_t op, void *acc, const void *in) {
#define COMB(T)                                                                \
  do {                                                                         \
    T a, b;                                                                    \
    memcpy(&a, acc, sizeof a);                                                 \
    memcpy(&b, in, sizeof b);                                                  \
    switch (op) {                                                              \
    case PSW_SUM:                                                              \
      a = a + b;                                                               \
      break;                                                                   \
    case PSW_MIN:                                                              \
      a = b < a ? b : a;                                                       \
      break;                                                                   \
    case PSW_MAX:                                                              \
      a = b > a ? b : a;                                                       \
      break;                                                                   \
    case PSW_PROD:                                                             \
      a = a * b;                                                               \
      break;                                                                   \
    }                                                                          \
    memcpy(acc, &a, sizeof a);                                                 \
  } while (0)
  switch (t) {
  case PSW_INT32:
    COMB(int32_t);
    break;
  case PSW_INT64:
    COMB(int64_t);
    break;
  case PSW_UINT64:
    COMB(uint64_t);
    break;
  case PSW_DOUBLE:
    COMB(double);
    break;
  case PSW_BYTE:
    break;
  }
#undef COMB
}

/* Sizes of scatterv/gatherv: uneven, 0 for every rank ≡ 1 (mod 3), all 0
 * when count is 0. Laid out in reverse rank order with gaps, so that a
 * backend that ignores displs is caught. */
size_t vcount(int r, size_t count) {
  if (count == 0 || r % 3 == 1)
    return 0;
  return count * (size_t)(1 + r % 2) + (size_t)(r % 4);
}

size_t vlayout(int size, size_t count, size_t *counts, size_t *displs) {
  size_t pos = 0;
  for (int r = size - 1; r >= 0; r--) {
    counts[r] = vcount(r, count);
    displs[r] = pos;
    pos += counts[r] + (size_t)(r % 2);
  }
  return pos;
}
