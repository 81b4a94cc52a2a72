/* parsweep conformance suite: one battery for every backend.
 *
 *   conformance BACKEND [WORKERS [CASE]]
 *
 * BACKEND is any name the factory accepts; WORKERS is opts.num_workers (0 or
 * absent: the default); CASE runs one case only. Every case is an SPMD
 * region: every worker computes the values it expects itself, from
 * (seed, rank, index) formulas, and compares them with what the collectives
 * delivered. A worker returns its number of failed checks (or the error of a
 * collective), which psw_parallel() returns to main.
 *
 * Nothing here assumes a single process: under a launcher (mpi, hybrid)
 * every rank runs main and psw_parallel; the checks that need memory shared
 * by all workers (a MAP_SHARED mapping made before the manager) run only on
 * the backends whose workers all descend from this process (serial, threads,
 * fork). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <parsweep.h>

#include "check.h"

#define REPS 1000
#define JUNK 0x5a5a5a5a5a5a5a5aULL
#define SHM_INTS 65536

static const psw_type_t TYPES[] = {PSW_INT32, PSW_INT64, PSW_UINT64,
                                   PSW_DOUBLE};
static const psw_type_t COPY_TYPES[] = {PSW_INT32, PSW_INT64, PSW_UINT64,
                                        PSW_DOUBLE, PSW_BYTE};
static const psw_op_t OPS[] = {PSW_SUM, PSW_MIN, PSW_MAX, PSW_PROD};
#define NTYPES 4
#define NCOPY 5
#define NOPS 4

/* What every region gets. Lives in main's memory: fork workers see a copy
 * made at fork time, which is all they need. */
typedef struct suite {
  psw_manager_t *mgr;
  const char *backend; /* native name */
  int workers;         /* expected psw_num_workers, 0 = do not check */
  int shared;          /* workers share `shm` (single-node, one process tree) */
  int *shm;            /* MAP_SHARED, zeroed before each case */
} suite_t;

/* --- values ------------------------------------------------------------- */

static uint64_t mix(uint64_t seed, int64_t rank, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL;
  z ^= (uint64_t)(rank + 1) * 0xBF58476D1CE4E5B9ULL;
  z ^= (i + 1) * 0x94D049BB133111EBULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static size_t tsize(psw_type_t t) {
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

static const char *tname(psw_type_t t) {
  static const char *n[] = {"int32", "int64", "uint64", "double", "byte"};
  return (unsigned)t < 5 ? n[t] : "?";
}

static const char *oname(psw_op_t op) {
  static const char *n[] = {"sum", "min", "max", "prod"};
  return (unsigned)op < 4 ? n[op] : "?";
}

static void *xmalloc(size_t n) {
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

static void fill(psw_type_t t, void *buf, size_t count, uint64_t seed, int rank,
                 size_t off) {
  size_t sz = tsize(t);
  for (size_t i = 0; i < count; i++)
    gen_elem(t, mix(seed, rank, off + i), (char *)buf + i * sz);
}

/* Compare buf[0..count) with fill(seed, rank, off); report the first
 * difference. Returns the number of differing elements. */
static size_t expect_fill(psw_type_t t, const void *buf, size_t count,
                          uint64_t seed, int rank, size_t off,
                          const char *what) {
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
static void red_elem(psw_type_t t, psw_op_t op, uint64_t h, void *out) {
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
static void na_elem(psw_op_t op, uint64_t h, void *out) {
  double sign = (h >> 63) ? -1.0 : 1.0, v;
  if (op == PSW_PROD)
    v = sign * (1.0 + (double)(h >> 12) / 4503599627370496.0);
  else
    v = sign * (1.0 + (double)((h >> 8) & 0xfffff) / 1048576.0) *
        (double)(1ULL << ((h >> 40) % 40));
  memcpy(out, &v, 8);
}

/* acc = acc op in, one element. */
static void combine(psw_type_t t, psw_op_t op, void *acc, const void *in) {
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
static size_t vcount(int r, size_t count) {
  if (count == 0 || r % 3 == 1)
    return 0;
  return count * (size_t)(1 + r % 2) + (size_t)(r % 4);
}

static size_t vlayout(int size, size_t count, size_t *counts, size_t *displs) {
  size_t pos = 0;
  for (int r = size - 1; r >= 0; r--) {
    counts[r] = vcount(r, count);
    displs[r] = pos;
    pos += counts[r] + (size_t)(r % 2);
  }
  return pos;
}

/* Report a collective's error with context; the caller returns it. */
#define COLL_OK(rc, what)                                                      \
  do {                                                                         \
    if ((rc) != 0) {                                                           \
      fprintf(stderr, "%s:%d: [rank %d] %s returned %d (%s)\n", __FILE__,      \
              __LINE__, check__rank, what, rc, psw_err_name(rc));              \
      check__failures++;                                                       \
    }                                                                          \
  } while (0)

#define RUN(expr)                                                              \
  do {                                                                         \
    int run__rc = (expr);                                                      \
    if (run__rc != 0)                                                          \
      return run__rc;                                                          \
  } while (0)

/* --- one collective, checked ------------------------------------------- */

static int t_bcast(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
                   uint64_t seed, int bytes_api) {
  int rank = psw_rank(ctx);
  size_t sz = tsize(t);
  char *buf = xmalloc(count * sz);
  if (rank == root)
    fill(t, buf, count, seed, root, 0);
  else
    fill(t, buf, count, seed ^ JUNK, rank, 0);
  int rc = bytes_api ? psw_bcast_bytes(ctx, buf, count * sz, root)
                     : psw_bcast(ctx, buf, count, t, root);
  COLL_OK(rc, bytes_api ? "psw_bcast_bytes" : "psw_bcast");
  if (rc == 0)
    expect_fill(t, buf, count, seed, root, 0, "bcast");
  free(buf);
  return rc;
}

static int t_scatter(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
                     uint64_t seed) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  size_t sz = tsize(t);
  char *send = NULL, *recv = xmalloc((count + 1) * sz);
  if (rank == root) {
    send = xmalloc((size_t)size * count * sz);
    fill(t, send, (size_t)size * count, seed, root, 0);
  }
  fill(t, recv, count + 1, seed ^ JUNK, rank, 0);
  int rc = psw_scatter(ctx, send, recv, count, t, root);
  COLL_OK(rc, "psw_scatter");
  if (rc == 0) {
    expect_fill(t, recv, count, seed, root, (size_t)rank * count, "scatter");
    expect_fill(t, recv + count * sz, 1, seed ^ JUNK, rank, count,
                "scatter: element past recvbuf");
  }
  free(send);
  free(recv);
  return rc;
}

static int t_scatterv(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
                      uint64_t seed) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  size_t sz = tsize(t);
  size_t *counts = xmalloc(sizeof(size_t) * (size_t)size);
  size_t *displs = xmalloc(sizeof(size_t) * (size_t)size);
  size_t total = vlayout(size, count, counts, displs);
  size_t mine = counts[rank];
  char *send = NULL, *recv = xmalloc((mine + 1) * sz);
  if (rank == root) {
    send = xmalloc(total * sz);
    fill(t, send, total, seed, root, 0);
  }
  fill(t, recv, mine + 1, seed ^ JUNK, rank, 0);
  int rc = psw_scatterv(ctx, send, rank == root ? counts : NULL,
                        rank == root ? displs : NULL, recv, mine, t, root);
  COLL_OK(rc, "psw_scatterv");
  if (rc == 0) {
    expect_fill(t, recv, mine, seed, root, displs[rank], "scatterv");
    expect_fill(t, recv + mine * sz, 1, seed ^ JUNK, rank, mine,
                "scatterv: element past recvbuf");
  }
  free(send);
  free(recv);
  free(counts);
  free(displs);
  return rc;
}

static int t_gather(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
                    uint64_t seed, int all) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  size_t sz = tsize(t), n = (size_t)size * count;
  char *send = xmalloc(count * sz), *recv = NULL;
  fill(t, send, count, seed, rank, 0);
  if (all || rank == root) {
    recv = xmalloc((n + 1) * sz);
    fill(t, recv, n + 1, seed ^ JUNK, rank, 0);
  }
  int rc = all ? psw_allgather(ctx, send, count, recv, t)
               : psw_gather(ctx, send, count, recv, t, root);
  COLL_OK(rc, all ? "psw_allgather" : "psw_gather");
  if (rc == 0) {
    expect_fill(t, send, count, seed, rank, 0, "gather: sendbuf changed");
    if (recv) {
      for (int r = 0; r < size; r++)
        expect_fill(t, recv + (size_t)r * count * sz, count, seed, r, 0,
                    all ? "allgather" : "gather");
      expect_fill(t, recv + n * sz, 1, seed ^ JUNK, rank, n,
                  "gather: element past recvbuf");
    }
  }
  free(send);
  free(recv);
  return rc;
}

static int t_gatherv(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
                     uint64_t seed) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  size_t sz = tsize(t);
  size_t *counts = xmalloc(sizeof(size_t) * (size_t)size);
  size_t *displs = xmalloc(sizeof(size_t) * (size_t)size);
  size_t total = vlayout(size, count, counts, displs);
  char *send = xmalloc(counts[rank] * sz), *recv = NULL;
  fill(t, send, counts[rank], seed, rank, 0);
  if (rank == root) {
    recv = xmalloc(total * sz);
    fill(t, recv, total, seed ^ JUNK, root, 0);
  }
  int rc =
      psw_gatherv(ctx, send, counts[rank], recv, rank == root ? counts : NULL,
                  rank == root ? displs : NULL, t, root);
  COLL_OK(rc, "psw_gatherv");
  if (rc == 0 && recv) {
    for (int r = 0; r < size; r++) {
      expect_fill(t, recv + displs[r] * sz, counts[r], seed, r, 0, "gatherv");
      size_t gap = displs[r] + counts[r];
      size_t gap_end = r == 0 ? total : displs[r - 1];
      expect_fill(t, recv + gap * sz, gap_end - gap, seed ^ JUNK, root, gap,
                  "gatherv: gap between displs overwritten");
    }
  }
  free(send);
  free(recv);
  free(counts);
  free(displs);
  return rc;
}

/* root < 0: allreduce. */
static int t_reduce(psw_ctx_t *ctx, psw_type_t t, psw_op_t op, size_t count,
                    int root, uint64_t seed, int inplace) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  size_t sz = tsize(t);
  int gets = root < 0 || rank == root;
  char *send = xmalloc(count * sz), *recv = NULL;
  char *expect = xmalloc(count * sz);
  unsigned char v[8];
  for (size_t i = 0; i < count; i++) {
    red_elem(t, op, mix(seed, rank, i), send + i * sz);
    red_elem(t, op, mix(seed, 0, i), expect + i * sz);
    for (int r = 1; r < size; r++) {
      red_elem(t, op, mix(seed, r, i), v);
      combine(t, op, expect + i * sz, v);
    }
  }
  char *orig = xmalloc(count * sz);
  memcpy(orig, send, count * sz);
  if (inplace) {
    recv = send;
  } else if (gets) {
    recv = xmalloc(count * sz);
    fill(t, recv, count, seed ^ JUNK, rank, 0);
  }
  int rc = root < 0 ? psw_allreduce(ctx, send, recv, count, t, op)
                    : psw_reduce(ctx, send, recv, count, t, op, root);
  COLL_OK(rc, root < 0 ? "psw_allreduce" : "psw_reduce");
  if (rc == 0) {
    if (gets && memcmp(recv, expect, count * sz) != 0) {
      fprintf(stderr, "[rank %d] %s %s %s count %zu root %d%s: wrong result\n",
              rank, root < 0 ? "allreduce" : "reduce", tname(t), oname(op),
              count, root, inplace ? " in place" : "");
      CHECK(!"reduction result");
    }
    if ((!inplace || !gets) && memcmp(send, orig, count * sz) != 0) {
      fprintf(stderr, "[rank %d] reduce %s %s: sendbuf changed\n", rank,
              tname(t), oname(op));
      CHECK(!"reduction sendbuf unchanged");
    }
  }
  if (recv != send)
    free(recv);
  free(send);
  free(orig);
  free(expect);
  return rc;
}

/* Reductions whose double result depends on the order: every worker must
 * get the same bits (checked by an allgather of the results), on one node
 * the bits of the rank-order fold ((v0 op v1) op v2)..., and a second call
 * must give the same bits again. */
static int t_reduce_bits(psw_ctx_t *ctx, psw_op_t op, size_t count, int root,
                         uint64_t seed) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  int gets = root < 0 || rank == root, rc;
  double *send = xmalloc(count * 8), *r1 = xmalloc(count * 8);
  double *r2 = xmalloc(count * 8), *fold = xmalloc(count * 8);
  double *all = xmalloc((size_t)size * count * 8);
  for (size_t i = 0; i < count; i++) {
    double v;
    na_elem(op, mix(seed, rank, i), &send[i]);
    na_elem(op, mix(seed, 0, i), &fold[i]);
    for (int r = 1; r < size; r++) {
      na_elem(op, mix(seed, r, i), &v);
      combine(PSW_DOUBLE, op, &fold[i], &v);
    }
  }
  memset(r1, 0, count * 8);
  memset(r2, 0xff, count * 8);
  for (int k = 0; k < 2; k++) {
    double *out = k ? r2 : r1;
    rc = root < 0 ? psw_allreduce(ctx, send, out, count, PSW_DOUBLE, op)
                  : psw_reduce(ctx, send, out, count, PSW_DOUBLE, op, root);
    COLL_OK(rc, "reduction (order-dependent doubles)");
    if (rc)
      goto out;
  }
  if (gets) {
    CHECK(memcmp(r1, r2, count * 8) == 0);
    if (psw_num_nodes(ctx) == 1 && memcmp(r1, fold, count * 8) != 0) {
      fprintf(stderr,
              "[rank %d] %s %s of order-dependent doubles differs from the "
              "rank-order fold\n",
              rank, root < 0 ? "allreduce" : "reduce", oname(op));
      CHECK(!"rank-order reduction");
    }
  }
  if (root < 0) {
    rc = psw_allgather(ctx, r1, count, all, PSW_DOUBLE);
    COLL_OK(rc, "psw_allgather");
    if (rc)
      goto out;
    for (int r = 1; r < size; r++)
      if (memcmp(all, all + (size_t)r * count, count * 8) != 0) {
        fprintf(stderr,
                "[rank %d] allreduce %s: rank %d got other bits than "
                "rank 0\n",
                rank, oname(op), r);
        CHECK(!"allreduce bit-identical on all workers");
      }
  }
out:
  free(send);
  free(r1);
  free(r2);
  free(fold);
  free(all);
  return rc;
}

/* --- the cases ----------------------------------------------------------- */

#define BEGIN(ctx)                                                             \
  int base__ = check_failures();                                               \
  check_set_rank(psw_rank(ctx))
#define END() return check_failures() - base__

static int is_single_node_backend(const char *name) {
  return !strcmp(name, "serial") || !strcmp(name, "threads") ||
         !strcmp(name, "fork");
}

static int case_info(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  int rank = psw_rank(ctx), size = psw_size(ctx);
  int node = psw_node_id(ctx), nodes = psw_num_nodes(ctx);
  int lrank = psw_local_rank(ctx), lsize = psw_local_size(ctx);
  CHECK(size >= 1);
  CHECK(rank >= 0 && rank < size);
  CHECK_EQ(!!psw_is_root(ctx), rank == 0);
  CHECK(nodes >= 1 && nodes <= size);
  CHECK(node >= 0 && node < nodes);
  CHECK(lsize >= 1 && lsize <= size);
  CHECK(lrank >= 0 && lrank < lsize);
  CHECK(psw_ctx_manager(ctx) == s->mgr);
  CHECK_EQ(psw_num_workers(psw_ctx_manager(ctx)), size);
  CHECK(strcmp(psw_backend_name(psw_ctx_manager(ctx)), s->backend) == 0);
  if (s->workers > 0)
    CHECK_EQ(size, s->workers);
  if (!strcmp(s->backend, "serial"))
    CHECK_EQ(size, 1);
  if (is_single_node_backend(s->backend)) {
    CHECK_EQ(nodes, 1);
    CHECK_EQ(node, 0);
    CHECK_EQ(lrank, rank);
    CHECK_EQ(lsize, size);
  }

  /* Ranks are a permutation; the node layout is consistent everywhere. */
  int32_t me[5] = {rank, node, nodes, lrank, lsize};
  int32_t *all = xmalloc(sizeof me * (size_t)size);
  int rc = psw_allgather(ctx, me, 5, all, PSW_INT32);
  COLL_OK(rc, "psw_allgather");
  if (rc == 0) {
    int *seen = calloc((size_t)size * (size_t)size, sizeof(int));
    int total_local = 0;
    for (int r = 0; r < size; r++) {
      int32_t *o = all + 5 * r;
      CHECK_EQ(o[0], r);
      CHECK_EQ(o[2], nodes);
      if (o[1] < 0 || o[1] >= nodes || o[3] < 0 || o[3] >= o[4] ||
          o[4] > size) {
        CHECK(!"node layout of a peer out of range");
        continue;
      }
      if (seen[o[1] * size + o[3]]++ == 0 && o[3] == 0)
        total_local += o[4];
      if (o[1] == node)
        CHECK_EQ(o[4], lsize);
    }
    for (int i = 0; i < size * size; i++)
      CHECK(seen[i] <= 1);
    CHECK_EQ(total_local, size);
    free(seen);
  }
  free(all);
  if (rc)
    return rc;
  END();
}

static int case_barrier(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  int rank = psw_rank(ctx), size = psw_size(ctx);
  for (int rep = 0; rep < REPS; rep++) {
    if (s->shared) {
      /* Nobody can have passed barrier `rep` before this worker arrives. */
      CHECK_EQ(__atomic_load_n(&s->shm[rep + 1], __ATOMIC_SEQ_CST), 0);
      /* A late arriver now and then. */
      if (rep % 50 == 7 && rank == (rep / 50) % size)
        usleep(2000);
      __atomic_fetch_add(&s->shm[rep], 1, __ATOMIC_SEQ_CST);
    }
    int rc = psw_barrier(ctx);
    COLL_OK(rc, "psw_barrier");
    if (rc)
      return rc;
    if (s->shared)
      CHECK_EQ(__atomic_load_n(&s->shm[rep], __ATOMIC_SEQ_CST), size);
  }
  END();
}

/* Every collective, copy type, root and small count. */
static int case_matrix(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  static const size_t counts[] = {0, 1, 5};
  int size = psw_size(ctx);
  uint64_t seed = 100;
  for (int ti = 0; ti < NCOPY; ti++) {
    psw_type_t t = COPY_TYPES[ti];
    for (int ci = 0; ci < 3; ci++) {
      size_t n = counts[ci];
      for (int root = 0; root < size; root++) {
        RUN(t_bcast(ctx, t, n, root, seed++, 0));
        RUN(t_bcast(ctx, t, n, root, seed++, 1));
        RUN(t_scatter(ctx, t, n, root, seed++));
        RUN(t_scatterv(ctx, t, n, root, seed++));
        RUN(t_gather(ctx, t, n, root, seed++, 0));
        RUN(t_gatherv(ctx, t, n, root, seed++));
      }
      RUN(t_gather(ctx, t, n, 0, seed++, 1));
    }
  }
  END();
}

/* Every type, op, root, count 0/1/7, in place or not. */
static int case_reduce(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  static const size_t counts[] = {0, 1, 7};
  int size = psw_size(ctx);
  uint64_t seed = 200;
  for (int ti = 0; ti < NTYPES; ti++)
    for (int oi = 0; oi < NOPS; oi++)
      for (int ci = 0; ci < 3; ci++)
        for (int inplace = 0; inplace < 2; inplace++) {
          for (int root = -1; root < size; root++)
            RUN(t_reduce(ctx, TYPES[ti], OPS[oi], counts[ci], root, seed++,
                         inplace));
        }
  for (int root = -1; root < size; root++) {
    RUN(t_reduce_bits(ctx, PSW_SUM, 33, root, seed++));
    RUN(t_reduce_bits(ctx, PSW_PROD, 33, root, seed++));
  }
  END();
}

/* Counts of at least 1 MiB, not a multiple of any power-of-two slot. */
static size_t big_count(psw_type_t t) {
  return (1u << 20) / tsize(t) + 3;
}

static int case_big(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int size = psw_size(ctx), last = size - 1;
  uint64_t seed = 300;
  RUN(t_bcast(ctx, PSW_BYTE, big_count(PSW_BYTE), last, seed++, 1));
  RUN(t_bcast(ctx, PSW_BYTE, big_count(PSW_BYTE), 0, seed++, 1));
  for (int ti = 0; ti < NTYPES; ti++) {
    psw_type_t t = TYPES[ti];
    size_t n = big_count(t);
    int root = ti % 2 ? 0 : last;
    RUN(t_bcast(ctx, t, n, root, seed++, 0));
    RUN(t_scatter(ctx, t, n, root, seed++));
    RUN(t_scatterv(ctx, t, n, root, seed++));
    RUN(t_gather(ctx, t, n, root, seed++, 0));
    RUN(t_gatherv(ctx, t, n, root, seed++));
    RUN(t_gather(ctx, t, n, root, seed++, 1));
    /* Pipelining of big reductions, every type; the operators themselves
     * are covered element by element by the small counts. */
    RUN(t_reduce(ctx, t, PSW_SUM, n, root, seed++, 0));
    RUN(t_reduce(ctx, t, PSW_SUM, n, -1, seed++, 0));
    RUN(t_reduce(ctx, t, PSW_SUM, n, last, seed++, 1));
    RUN(t_reduce(ctx, t, PSW_SUM, n, -1, seed++, 1));
  }
  for (int oi = 1; oi < NOPS; oi++)
    RUN(t_reduce(ctx, PSW_INT64, OPS[oi], big_count(PSW_INT64), -1, seed++,
                 oi == 2));
  RUN(t_reduce_bits(ctx, PSW_SUM, big_count(PSW_DOUBLE), -1, seed++));
  RUN(t_reduce_bits(ctx, PSW_PROD, big_count(PSW_DOUBLE), last, seed++));
  END();
}

/* REPS back-to-back calls of each collective, small counts, new values and
 * root every time so that a stale buffer or a skipped step shows. */
static int case_reps(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int size = psw_size(ctx);
  for (int k = 0; k < 9; k++) {
    for (int rep = 0; rep < REPS; rep++) {
      uint64_t seed = 1000000u * (uint64_t)(k + 1) + (uint64_t)rep;
      psw_type_t t = TYPES[rep % NTYPES];
      size_t n = 1 + (size_t)(rep % 4);
      int root = rep % size;
      switch (k) {
      case 0:
        RUN(t_bcast(ctx, t, n, root, seed, 0));
        break;
      case 1:
        RUN(t_bcast(ctx, PSW_BYTE, n + 5, root, seed, 1));
        break;
      case 2:
        RUN(t_scatter(ctx, t, n, root, seed));
        break;
      case 3:
        RUN(t_scatterv(ctx, t, n, root, seed));
        break;
      case 4:
        RUN(t_gather(ctx, t, n, root, seed, 0));
        break;
      case 5:
        RUN(t_gatherv(ctx, t, n, root, seed));
        break;
      case 6:
        RUN(t_gather(ctx, t, n, root, seed, 1));
        break;
      case 7:
        RUN(t_reduce(ctx, t, OPS[(rep / 4) % NOPS], n, root, seed, rep & 1));
        break;
      case 8:
        RUN(t_reduce(ctx, t, OPS[(rep / 4) % NOPS], n, -1, seed, rep & 1));
        break;
      }
    }
  }
  END();
}

/* Small messages with the writers running ahead of a late reader for more
 * operations in a row than a worker has mailboxes (shm: 16), so that a
 * writer must wait for the reader before it reuses one; then one writer
 * ahead of late readers, with slot-path operations in between. */
static int case_ahead(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int rank = psw_rank(ctx), last = psw_size(ctx) - 1;
  uint64_t seed = 5000000;
  for (int rep = 0; rep < 40; rep++) {
    if (rank == 0)
      usleep(200); /* the only reader of these */
    RUN(t_reduce(ctx, PSW_INT64, PSW_SUM, 1, 0, seed++, 0));
    RUN(t_gather(ctx, PSW_DOUBLE, 2, 0, seed++, 0));
  }
  for (int rep = 0; rep < 40; rep++) {
    if (rank != last)
      usleep(200); /* readers late for the root's bcasts */
    RUN(t_bcast(ctx, PSW_INT64, 2, last, seed++, 0));
    RUN(t_reduce(ctx, PSW_DOUBLE, PSW_MAX, 3, -1, seed++, rep & 1));
    if (rep % 10 == 9)
      RUN(t_scatter(ctx, PSW_INT32, 3, last, seed++));
  }
  END();
}

/* --- psw_for ------------------------------------------------------------- */

typedef struct for_state {
  psw_ctx_t *ctx;
  uint64_t n;
  int32_t *hits; /* this worker's count per index */
  int64_t ran;   /* tasks run by this worker */
  int bad;       /* tasks called with a wrong ctx or index */
  uint64_t fail_at;
  int *shared_ran; /* atomic counter in the shared mapping, or NULL */
} for_state_t;

static void spin_us(double us) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do
    clock_gettime(CLOCK_MONOTONIC, &b);
  while ((double)(b.tv_sec - a.tv_sec) * 1e6 +
             (double)(b.tv_nsec - a.tv_nsec) / 1e3 <
         us);
}

static int task_record(psw_ctx_t *ctx, uint64_t i, void *arg) {
  for_state_t *st = arg;
  if (ctx != st->ctx || i >= st->n) {
    st->bad++;
    return 0;
  }
  st->hits[i]++;
  st->ran++;
  return 0;
}

/* Every 97th index costs 50 times as much as the others. */
static int task_uneven(psw_ctx_t *ctx, uint64_t i, void *arg) {
  spin_us(i % 97 == 0 ? 100.0 : 2.0);
  return task_record(ctx, i, arg);
}

static int task_fail(psw_ctx_t *ctx, uint64_t i, void *arg) {
  for_state_t *st = arg;
  (void)ctx;
  if (i == st->fail_at)
    return PSW_ERR_MODEL;
  if (st->shared_ran)
    __atomic_fetch_add(st->shared_ran, 1, __ATOMIC_RELAXED);
  st->ran++;
  spin_us(2.0);
  return 0;
}

/* Run psw_for over n indices and check that every index ran exactly once
 * (an allreduce of the per-worker hit counts). Sets *ran_by to the number of
 * workers that ran at least one task. */
static int for_once(psw_ctx_t *ctx, uint64_t n, psw_task_fn task, int *ran_by) {
  for_state_t st = {ctx, n, NULL, 0, 0, 0, NULL};
  st.hits = calloc(n ? n : 1, sizeof *st.hits);
  int rc = psw_for(ctx, n, task, &st);
  COLL_OK(rc, "psw_for");
  CHECK_EQ(st.bad, 0);
  if (rc == 0) {
    rc = psw_allreduce(ctx, st.hits, st.hits, n, PSW_INT32, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
  }
  if (rc == 0) {
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < n; i++)
      if (st.hits[i] != 1 && wrong++ == 0)
        fprintf(stderr, "[rank %d] psw_for n=%llu: index %llu ran %d times\n",
                psw_rank(ctx), (unsigned long long)n, (unsigned long long)i,
                st.hits[i]);
    CHECK(wrong == 0);
    int32_t did = st.ran > 0, workers = 0;
    rc = psw_allreduce(ctx, &did, &workers, 1, PSW_INT32, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
    int64_t total = 0;
    if (rc == 0)
      rc = psw_allreduce(ctx, &st.ran, &total, 1, PSW_INT64, PSW_SUM);
    if (rc == 0)
      CHECK_EQ(total, (int64_t)n);
    if (ran_by)
      *ran_by = workers;
  }
  free(st.hits);
  return rc;
}

static int case_for(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int size = psw_size(ctx), ran_by = 0;
  RUN(for_once(ctx, 10000, task_uneven, &ran_by));
  if (size > 1 && ran_by < 2) {
    fprintf(stderr,
            "[rank %d] psw_for with uneven costs: only %d of %d "
            "workers ran tasks\n",
            psw_rank(ctx), ran_by, size);
    CHECK(!"more than one worker ran tasks");
  }
  static const uint64_t small[] = {0, 1, 2, 3};
  for (int k = 0; k < 4; k++)
    RUN(for_once(ctx, small[k], task_record, NULL));
  RUN(for_once(ctx, (uint64_t)size - 1, task_record, NULL));
  RUN(for_once(ctx, (uint64_t)size + 1, task_record, NULL));
  RUN(for_once(ctx, 100003, task_record, NULL));

  /* REPS back-to-back loops of 0..4 indices, checked together at the end. */
  enum { W = 5 };
  int32_t *hits = calloc(REPS * W, sizeof *hits);
  int bad = 0;
  for (int rep = 0; rep < REPS; rep++) {
    uint64_t n = (uint64_t)(rep % W);
    for_state_t st = {ctx, n, hits + rep * W, 0, 0, 0, NULL};
    int rc = psw_for(ctx, n, task_record, &st);
    COLL_OK(rc, "psw_for (repeated)");
    bad += st.bad;
    if (rc) {
      free(hits);
      return rc;
    }
  }
  CHECK_EQ(bad, 0);
  int rc = psw_allreduce(ctx, hits, hits, REPS * W, PSW_INT32, PSW_SUM);
  COLL_OK(rc, "psw_allreduce");
  if (rc == 0) {
    int wrong = 0;
    for (int rep = 0; rep < REPS; rep++)
      for (int i = 0; i < W; i++)
        if (hits[rep * W + i] != (i < rep % W) && wrong++ == 0)
          fprintf(stderr,
                  "[rank %d] repeated psw_for %d: index %d ran %d "
                  "times\n",
                  psw_rank(ctx), rep, i, hits[rep * W + i]);
    CHECK(wrong == 0);
  }
  free(hits);
  if (rc)
    return rc;
  END();
}

/* A task error stops the loop and is returned on every worker. Last in its
 * region: the region is not used after an error. */
static int case_for_error(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  const uint64_t n = 100000;
  for_state_t st = {ctx, n, NULL, 0, 0, 1000, s->shared ? &s->shm[0] : NULL};
  int rc = psw_for(ctx, n, task_fail, &st);
  if (rc != PSW_ERR_MODEL) {
    fprintf(stderr,
            "[rank %d] psw_for with a failing task returned %d (%s), "
            "not the task's PSW_ERR_MODEL\n",
            psw_rank(ctx), rc, psw_err_name(rc));
    CHECK(!"task error returned on every worker");
  }
  if (s->shared) {
    int ran = __atomic_load_n(&s->shm[0], __ATOMIC_SEQ_CST);
    if ((uint64_t)ran >= n - 1) {
      fprintf(stderr,
              "[rank %d] psw_for went on after a task error: %d of "
              "%llu tasks ran\n",
              psw_rank(ctx), ran, (unsigned long long)n);
      CHECK(!"a task error stops the loop");
    }
  }
  END();
}

/* --- psw_for_ex: records streamed to a sink on the root ----------------- */

typedef struct rec_state {
  psw_ctx_t *ctx;
  uint64_t n;
  size_t rsize;
  int uneven;
  int bad_task; /* record not zeroed, wrong ctx or index */
  int64_t ran;
  uint64_t task_fail_at; /* UINT64_MAX = never */
  int *shared_ran;       /* counter in the shared mapping, or NULL */
  /* Written by the sink (a collector thread of the root's process). */
  uint8_t *seen;
  int64_t sink_calls;
  int64_t sink_bad;
  int64_t *by_rank; /* records produced per rank */
  int size;
  int64_t sink_fail_at; /* -1 = never */
  int sink_delay_us;
  /* opts.chunk: the chunks announced to this worker (absolute indices,
   * the caller's arg), and those that were not. */
  uint64_t first;
  int64_t chunk_cover;
  int chunk_bad;
} rec_state_t;

static uint8_t rec_byte(uint64_t i, size_t j) {
  return (uint8_t)(i * 131u + j * 7u + (i >> 8));
}

static int task_rec(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  rec_state_t *st = arg;
  if (ctx != st->ctx || i >= st->n) {
    st->bad_task++;
    return 0;
  }
  if (st->uneven)
    spin_us(i % 97 == 0 ? 100.0 : 2.0);
  if (i == st->task_fail_at)
    return PSW_ERR_MODEL;
  unsigned char *r = record;
  for (size_t j = 0; j < st->rsize; j++)
    if (r[j] != 0) {
      st->bad_task++;
      break;
    }
  for (size_t j = 0; j < st->rsize; j++)
    r[j] = rec_byte(i, j);
  if (st->rsize >= 8) {
    int32_t rank = psw_rank(ctx);
    memcpy(r + 4, &rank, 4);
  }
  st->ran++;
  if (st->shared_ran)
    __atomic_fetch_add(st->shared_ran, 1, __ATOMIC_RELAXED);
  return 0;
}

static int sink_check(uint64_t i, const void *record, void *arg) {
  rec_state_t *st = arg;
  const unsigned char *r = record;
  if (st->sink_fail_at >= 0 && st->sink_calls == st->sink_fail_at)
    return PSW_ERR_IO;
  st->sink_calls++;
  if (i >= st->n) {
    st->sink_bad++;
    return 0;
  }
  if (st->seen[i] < 255)
    st->seen[i]++;
  for (size_t j = 0; j < st->rsize; j++) {
    if (st->rsize >= 8 && j >= 4 && j < 8)
      continue;
    if (r[j] != rec_byte(i, j)) {
      st->sink_bad++;
      return 0;
    }
  }
  if (st->rsize >= 8) {
    int32_t rank;
    memcpy(&rank, r + 4, 4);
    if (rank < 0 || rank >= st->size)
      st->sink_bad++;
    else
      st->by_rank[rank]++;
  }
  if (st->sink_delay_us)
    spin_us(st->sink_delay_us);
  return 0;
}

static void rec_init(rec_state_t *st, psw_ctx_t *ctx, uint64_t n,
                     size_t rsize) {
  memset(st, 0, sizeof *st);
  st->ctx = ctx;
  st->n = n;
  st->rsize = rsize;
  st->size = psw_size(ctx);
  st->seen = calloc(n ? n : 1, 1);
  st->by_rank = calloc((size_t)st->size, sizeof *st->by_rank);
  st->task_fail_at = UINT64_MAX;
  st->sink_fail_at = -1;
}

static void rec_free(rec_state_t *st) {
  free(st->seen);
  free(st->by_rank);
}

static void chunk_check(psw_ctx_t *ctx, uint64_t b, uint64_t e, void *arg) {
  rec_state_t *st = arg;
  if (st->ctx != ctx || b < st->first || e > st->n || b >= e)
    st->chunk_bad++;
  else
    st->chunk_cover += (int64_t)(e - b);
}

/* psw_for_ex over first..n-1 (opts.first: a recursive sweep's later
 * round): every index once, tasks and sink see the same ones (the records
 * are made from the task's index and checked against the sink's). */
static int for_ex_range(psw_ctx_t *ctx, uint64_t first, uint64_t n,
                        size_t rsize, uint64_t min_chunk, int uneven,
                        int sink_delay_us) {
  int rank = psw_rank(ctx), size = psw_size(ctx);
  rec_state_t st;
  rec_init(&st, ctx, n, rsize);
  st.uneven = uneven;
  st.sink_delay_us = sink_delay_us;
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = rsize;
  o.sink = sink_check;
  o.sink_arg = &st;
  o.min_chunk = min_chunk;
  o.first = first;
  o.chunk = chunk_check;
  st.first = first;
  int rc = psw_for_ex(ctx, n, task_rec, &st, &o);
  COLL_OK(rc, "psw_for_ex");
  CHECK_EQ(st.bad_task, 0);
  if (rc == 0) {
    if (rsize == 0) {
      CHECK_EQ(st.sink_calls, 0); /* no records, no sink */
    } else if (rank == 0) {
      CHECK_EQ(st.sink_calls, (int64_t)(n - first));
      CHECK_EQ(st.sink_bad, 0);
      uint64_t wrong = 0;
      for (uint64_t i = 0; i < n; i++)
        if (st.seen[i] != (i >= first) && wrong++ == 0)
          fprintf(stderr,
                  "[rank 0] psw_for_ex n=%llu record %zu B: index %llu "
                  "reached the sink %d times\n",
                  (unsigned long long)n, rsize, (unsigned long long)i,
                  st.seen[i]);
      CHECK(wrong == 0);
      if (uneven && size > 1 && rsize >= 8) {
        int producers = 0;
        for (int r = 0; r < size; r++)
          producers += st.by_rank[r] > 0;
        CHECK(producers > 1);
      }
    } else {
      CHECK_EQ(st.sink_calls, 0); /* the sink runs on the root only */
    }
    int64_t total = 0;
    rc = psw_allreduce(ctx, &st.ran, &total, 1, PSW_INT64, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
    if (rc == 0)
      CHECK_EQ(total, (int64_t)(n - first));
    /* opts.chunk: every chunk announced in absolute indices with the
     * caller's arg, covering the loop; none on elastic, whose chunks can
     * be cut and handed back. */
    int announced =
        strcmp(psw_backend_name(psw_ctx_manager(ctx)), "elastic") != 0;
    CHECK_EQ(st.chunk_bad, 0);
    rc = psw_allreduce(ctx, &st.chunk_cover, &total, 1, PSW_INT64, PSW_SUM);
    COLL_OK(rc, "psw_allreduce");
    if (rc == 0)
      CHECK_EQ(total, announced ? (int64_t)(n - first) : 0);
  }
  rec_free(&st);
  return rc;
}

static int for_ex_once(psw_ctx_t *ctx, uint64_t n, size_t rsize,
                       uint64_t min_chunk, int uneven, int sink_delay_us) {
  return for_ex_range(ctx, 0, n, rsize, min_chunk, uneven, sink_delay_us);
}

static int case_for_ex(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int size = psw_size(ctx);
  RUN(for_ex_once(ctx, 10000, 24, 0, 1, 0));
  RUN(for_ex_once(ctx, 0, 8, 0, 0, 0));
  RUN(for_ex_once(ctx, 1, 8, 0, 0, 0));
  RUN(for_ex_once(ctx, (uint64_t)size + 1, 100, 3, 0, 0));
  RUN(for_ex_once(ctx, 333, 1, 0, 0, 0));
  RUN(for_ex_once(ctx, 3000, 4000, 0, 0, 0));
  /* A slow sink: producers must wait for it, not drop records. */
  RUN(for_ex_once(ctx, 20000, 8, 7, 0, 5));
  /* No records: psw_for_ex behaves as psw_for. */
  RUN(for_ex_once(ctx, 5000, 0, 0, 0, 0));
  RUN(for_ex_range(ctx, 1234, 3000, 16, 0, 1, 0));
  RUN(for_ex_range(ctx, 39, 40, 8, 0, 0, 0));
  RUN(for_ex_range(ctx, 40, 40, 8, 0, 0, 0)); /* nothing to run */

  /* Loops with and without records interleaved with collectives: the
   * record rings may share memory with the collectives' staging. */
  for (int rep = 0; rep < 300; rep++) {
    uint64_t seed = 5000000u + (uint64_t)rep;
    RUN(t_bcast(ctx, PSW_INT64, 3, rep % size, seed, 0));
    if (rep % 3 == 0)
      RUN(for_once(ctx, (uint64_t)(rep % 7), task_record, NULL));
    else
      RUN(for_ex_once(ctx, (uint64_t)(rep % 7), 16, 0, 0, 0));
    RUN(t_gather(ctx, PSW_INT32, 2, 0, seed, 1));
  }
  END();
}

/* A task error inside psw_for_ex: returned on every worker. */
static int case_for_ex_task_error(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  const uint64_t n = 100000;
  rec_state_t st;
  rec_init(&st, ctx, n, 8);
  st.task_fail_at = 777;
  st.shared_ran = s->shared ? &s->shm[0] : NULL;
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = 8;
  o.sink = sink_check;
  o.sink_arg = &st;
  int rc = psw_for_ex(ctx, n, task_rec, &st, &o);
  if (rc != PSW_ERR_MODEL) {
    fprintf(stderr,
            "[rank %d] psw_for_ex with a failing task returned %d "
            "(%s), not PSW_ERR_MODEL\n",
            psw_rank(ctx), rc, psw_err_name(rc));
    CHECK(!"task error returned on every worker");
  }
  if (s->shared)
    CHECK((uint64_t)__atomic_load_n(&s->shm[0], __ATOMIC_SEQ_CST) < n - 1);
  rec_free(&st);
  END();
}

/* A sink error stops the loop like a task error, on every worker. */
static int case_for_ex_sink_error(psw_ctx_t *ctx, void *arg) {
  suite_t *s = arg;
  BEGIN(ctx);
  const uint64_t n = 100000;
  rec_state_t st;
  rec_init(&st, ctx, n, 8);
  st.sink_fail_at = 100;
  st.shared_ran = s->shared ? &s->shm[0] : NULL;
  psw_for_opts_t o;
  psw_for_opts_init(&o);
  o.record_size = 8;
  o.sink = sink_check;
  o.sink_arg = &st;
  int rc = psw_for_ex(ctx, n, task_rec, &st, &o);
  if (rc != PSW_ERR_IO) {
    fprintf(stderr,
            "[rank %d] psw_for_ex with a failing sink returned %d "
            "(%s), not the sink's PSW_ERR_IO\n",
            psw_rank(ctx), rc, psw_err_name(rc));
    CHECK(!"sink error returned on every worker");
  }
  if (psw_rank(ctx) == 0)
    CHECK_EQ(st.sink_calls, 100);
  if (s->shared)
    CHECK((uint64_t)__atomic_load_n(&s->shm[0], __ATOMIC_SEQ_CST) < n);
  rec_free(&st);
  END();
}

/* Argument errors are found before any communication, identically on every
 * worker, and leave the region usable. */
static int case_invalid(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  BEGIN(ctx);
  int rank = psw_rank(ctx), size = psw_size(ctx);
  /* 8-byte buffers: a call that is wrongly accepted must not overflow. */
  int64_t i1 = 1, i2 = 0;
  int64_t *many = xmalloc(sizeof(int64_t) * (size_t)size);
  size_t cnt[1] = {1}, dsp[1] = {0};
  const psw_type_t badt = (psw_type_t)99, badt2 = (psw_type_t)-1;
  const psw_op_t bado = (psw_op_t)99;
  for (int i = 0; i < size; i++)
    many[i] = i;
  int got[40];
  int k = 0;
  /* NULL ctx */
  got[k++] = psw_barrier(NULL);
  got[k++] = psw_bcast(NULL, &i1, 1, PSW_INT32, 0);
  got[k++] = psw_bcast_bytes(NULL, &i1, 4, 0);
  got[k++] = psw_scatter(NULL, many, &i2, 1, PSW_INT32, 0);
  got[k++] = psw_scatterv(NULL, many, cnt, dsp, &i2, 1, PSW_INT32, 0);
  got[k++] = psw_gather(NULL, &i1, 1, many, PSW_INT32, 0);
  got[k++] = psw_gatherv(NULL, &i1, 1, many, cnt, dsp, PSW_INT32, 0);
  got[k++] = psw_allgather(NULL, &i1, 1, many, PSW_INT32);
  got[k++] = psw_reduce(NULL, &i1, &i2, 1, PSW_INT32, PSW_SUM, 0);
  got[k++] = psw_allreduce(NULL, &i1, &i2, 1, PSW_INT32, PSW_SUM);
  got[k++] = psw_for(NULL, 10, task_record, NULL);
  /* bad root */
  got[k++] = psw_bcast(ctx, &i1, 1, PSW_INT32, -1);
  got[k++] = psw_bcast(ctx, &i1, 1, PSW_INT32, size);
  got[k++] = psw_bcast_bytes(ctx, &i1, 4, size);
  got[k++] = psw_scatter(ctx, many, &i2, 1, PSW_INT32, size);
  got[k++] = psw_scatterv(ctx, many, cnt, dsp, &i2, 1, PSW_INT32, -1);
  got[k++] = psw_gather(ctx, &i1, 1, many, PSW_INT32, -1);
  got[k++] = psw_gatherv(ctx, &i1, 1, many, cnt, dsp, PSW_INT32, size);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_INT32, PSW_SUM, size);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_INT32, PSW_SUM, -1);
  /* bad type */
  got[k++] = psw_bcast(ctx, &i1, 1, badt, 0);
  got[k++] = psw_scatter(ctx, many, &i2, 1, badt2, 0);
  got[k++] = psw_gather(ctx, &i1, 1, many, badt, 0);
  got[k++] = psw_allgather(ctx, &i1, 1, many, badt);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, badt, PSW_SUM, 0);
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, badt2, PSW_MAX);
  /* bad op, arithmetic on bytes */
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, PSW_INT32, bado);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_DOUBLE, (psw_op_t)-1, 0);
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_SUM);
  got[k++] = psw_allreduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_MIN);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_MAX, 0);
  got[k++] = psw_reduce(ctx, &i1, &i2, 1, PSW_BYTE, PSW_PROD, 0);
  /* no task */
  got[k++] = psw_for(ctx, 10, NULL, NULL);
  got[k++] = psw_for_ex(NULL, 10, task_rec, NULL, NULL);
  got[k++] = psw_for_ex(ctx, 10, NULL, NULL, NULL);
  int nk = k;
  for (int i = 0; i < nk; i++)
    if (got[i] != PSW_ERR_INVAL) {
      fprintf(stderr,
              "[rank %d] invalid call #%d returned %d (%s), not "
              "PSW_ERR_INVAL\n",
              rank, i, got[i], psw_err_name(got[i]));
      CHECK(!"invalid argument gives PSW_ERR_INVAL");
    }
  /* A nested region is refused. */
  int nested = psw_parallel(psw_ctx_manager(ctx), case_info, arg);
  CHECK_EQ(nested, PSW_ERR_NESTED);
  got[nk++] = nested;

  CHECK_EQ(psw_type_size(PSW_INT32), 4);
  CHECK_EQ(psw_type_size(PSW_INT64), 8);
  CHECK_EQ(psw_type_size(PSW_UINT64), 8);
  CHECK_EQ(psw_type_size(PSW_DOUBLE), 8);
  CHECK_EQ(psw_type_size(PSW_BYTE), 1);
  CHECK_EQ(psw_type_size(badt), 0);

  /* Same answers on every worker, and the region still works. */
  int32_t *codes = xmalloc(sizeof(int32_t) * (size_t)nk);
  int32_t *all = xmalloc(sizeof(int32_t) * (size_t)nk * (size_t)size);
  for (int i = 0; i < nk; i++)
    codes[i] = got[i];
  int rc = psw_barrier(ctx);
  COLL_OK(rc, "psw_barrier after invalid calls");
  if (rc == 0) {
    rc = psw_allgather(ctx, codes, (size_t)nk, all, PSW_INT32);
    COLL_OK(rc, "psw_allgather after invalid calls");
  }
  if (rc == 0)
    for (int r = 0; r < size; r++)
      CHECK(memcmp(all + (size_t)r * (size_t)nk, codes,
                   sizeof(int32_t) * (size_t)nk) == 0);
  if (rc == 0)
    rc = t_reduce(ctx, PSW_INT64, PSW_SUM, 3, -1, 77, 0);
  free(codes);
  free(all);
  free(many);
  if (rc)
    return rc;
  END();
}

/* psw_parallel returns a worker's non-zero return. */
static int case_region_error(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  return psw_rank(ctx) == psw_size(ctx) - 1 ? PSW_ERR_MODEL : 0;
}

/* --- main ---------------------------------------------------------------- */

typedef struct test_case {
  const char *name;
  psw_region_fn fn;
  int expect; /* psw_parallel's expected return */
} test_case_t;

static const test_case_t CASES[] = {
    {"info", case_info, 0},
    {"barrier", case_barrier, 0},
    {"matrix", case_matrix, 0},
    {"reduce", case_reduce, 0},
    {"big", case_big, 0},
    {"reps", case_reps, 0},
    {"ahead", case_ahead, 0},
    {"for", case_for, 0},
    {"for_ex", case_for_ex, 0},
    {"invalid", case_invalid, 0},
    {"region_error", case_region_error, PSW_ERR_MODEL},
    {"for_error", case_for_error, 0},
    {"for_ex_task_error", case_for_ex_task_error, 0},
    {"for_ex_sink_error", case_for_ex_sink_error, 0},
    {"info_again", case_info, 0},
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s BACKEND [WORKERS [CASE]]\ncases:", argv[0]);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
      fprintf(stderr, " %s", CASES[i].name);
    fprintf(stderr, "\n");
    return 2;
  }
  const char *name = argv[1];
  int workers = argc > 2 ? atoi(argv[2]) : 0;
  const char *only = argc > 3 ? argv[3] : NULL;

  /* Before the manager: a pool that forks at creation still shares it. */
  int *shm = mmap(NULL, SHM_INTS * sizeof(int), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) {
    perror("mmap");
    return 1;
  }

  psw_opts_t opts;
  psw_opts_init(&opts);
  opts.num_workers = workers;
  psw_manager_t *mgr = NULL;
  int rc = psw_create_parallel_manager(&mgr, name, &opts);
  if (rc != 0) {
    fprintf(stderr, "conformance: creating backend '%s': %s\n", name,
            psw_strerror(rc));
    return 1;
  }
  const psw_backend_t *desc = psw_backend_lookup(name);
  suite_t s = {mgr, psw_backend_name(mgr), 0, 0, shm};
  int failed = 0;
  if (!desc || strcmp(psw_backend_desc_name(desc), s.backend) != 0) {
    fprintf(stderr, "conformance: '%s' gave backend '%s', lookup says '%s'\n",
            name, s.backend, desc ? psw_backend_desc_name(desc) : "(none)");
    failed++;
  }
  s.shared = is_single_node_backend(s.backend);
  if (!strcmp(s.backend, "threads") || !strcmp(s.backend, "fork"))
    s.workers = workers;
  else if (!strcmp(s.backend, "serial"))
    s.workers = 1;
  if (s.workers > 0 && psw_num_workers(mgr) != s.workers) {
    fprintf(stderr, "conformance: psw_num_workers = %d, expected %d\n",
            psw_num_workers(mgr), s.workers);
    failed++;
  }
  printf("conformance: backend %s, %d workers\n", s.backend,
         psw_num_workers(mgr));

  int ran = 0;
  double t_all = now();
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    const test_case_t *c = &CASES[i];
    if (only && strcmp(only, c->name) != 0)
      continue;
    ran++;
    memset(shm, 0, SHM_INTS * sizeof(int));
    fflush(stdout); /* fork workers must not inherit unwritten output */
    fflush(stderr);
    double t0 = now();
    rc = psw_parallel(mgr, c->fn, &s);
    double dt = now() - t0;
    int ok = rc == c->expect;
    printf("%-4s %-18s %7.3f s", ok ? "ok" : "FAIL", c->name, dt);
    if (!ok) {
      if (rc > 0)
        printf("  (%d failed checks)", rc);
      else
        printf("  (psw_parallel returned %d %s, expected %d %s)", rc,
               psw_err_name(rc), c->expect, psw_err_name(c->expect));
      failed++;
    }
    printf("\n");
  }
  if (only && ran == 0) {
    fprintf(stderr, "conformance: no case named '%s'\n", only);
    failed++;
  }
  printf("conformance %s: %s, %d case(s), %.3f s\n", s.backend,
         failed ? "FAILED" : "passed", ran, now() - t_all);
  psw_destroy_parallel_manager(mgr);
  munmap(shm, SHM_INTS * sizeof(int));
  return failed ? 1 : 0;
}
