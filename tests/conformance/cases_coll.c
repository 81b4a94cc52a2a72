/* The collective cases: ranks and node layout, barriers, every
 * collective by type, root and size, repetitions, writers ahead of readers;
 * a region that fails. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

int is_single_node_backend(const char *name) {
  return !strcmp(name, "serial") || !strcmp(name, "threads") ||
         !strcmp(name, "fork");
}

int case_info(psw_ctx_t *ctx, void *arg) {
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

int case_barrier(psw_ctx_t *ctx, void *arg) {
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
int case_matrix(psw_ctx_t *ctx, void *arg) {
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
int case_reduce(psw_ctx_t *ctx, void *arg) {
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

int case_big(psw_ctx_t *ctx, void *arg) {
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
int case_reps(psw_ctx_t *ctx, void *arg) {
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
int case_ahead(psw_ctx_t *ctx, void *arg) {
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

/* psw_parallel returns a worker's non-zero return. */
int case_region_error(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  return psw_rank(ctx) == psw_size(ctx) - 1 ? PSW_ERR_MODEL : 0;
}
