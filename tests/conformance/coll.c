/* One collective, called and checked against the values of values.c:
 * 0, or the collective's error (its failed checks are counted). */
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

int t_bcast(psw_ctx_t *ctx, psw_type_t t, size_t count, int root, uint64_t seed,
            int bytes_api) {
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

int t_scatter(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
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

int t_scatterv(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
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

int t_gather(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
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

int t_gatherv(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
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
int t_reduce(psw_ctx_t *ctx, psw_type_t t, psw_op_t op, size_t count, int root,
             uint64_t seed, int inplace) {
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
int t_reduce_bits(psw_ctx_t *ctx, psw_op_t op, size_t count, int root,
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
