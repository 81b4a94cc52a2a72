/* parsweep — the public collectives: check arguments, convert element
 * counts to bytes, and call the backend. Checks here are those every worker
 * evaluates identically, so that an invalid call fails everywhere instead
 * of leaving some workers waiting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/sized.h"
#include "internal.h"

#define PSW_STACK_RANKS 64

/* An error only one worker can see (root's arrays) would leave the others
 * waiting for it: abort the region so that they fail too. */
static int root_only_error(psw_ctx_t *c, int err) {
  c->mgr->be->abort(c, PSW_ERR_ABORTED);
  return err;
}

static int bad_root(const psw_ctx_t *c, int root) {
  return root < 0 || root >= c->size;
}

/* Multiply count by esz, refusing overflow. */
static int to_bytes(size_t count, psw_type_t type, size_t *out) {
  size_t esz = psw_type_size(type);
  if (esz == 0 || (count && esz > SIZE_MAX / count))
    return PSW_ERR_INVAL;
  *out = count * esz;
  return 0;
}

int psw_barrier(psw_ctx_t *ctx) {
  if (!ctx)
    return PSW_ERR_INVAL;
  return ctx->mgr->be->barrier(ctx);
}

int psw_bcast_bytes(psw_ctx_t *ctx, void *buf, size_t nbytes, int root) {
  if (!ctx || bad_root(ctx, root) || (nbytes && !buf))
    return PSW_ERR_INVAL;
  return ctx->mgr->be->bcast(ctx, buf, nbytes, root);
}

int psw_bcast(psw_ctx_t *ctx, void *buf, size_t count, psw_type_t type,
              int root) {
  size_t nbytes;
  if (!ctx || to_bytes(count, type, &nbytes))
    return PSW_ERR_INVAL;
  return psw_bcast_bytes(ctx, buf, nbytes, root);
}

/* Scale element counts/displacements to bytes into tmp (root only). */
static int scale(const psw_ctx_t *c, const size_t *counts, const size_t *displs,
                 size_t esz, size_t *bc, size_t *bd) {
  for (int r = 0; r < c->size; r++) {
    if (counts[r] > SIZE_MAX / esz || displs[r] > SIZE_MAX / esz)
      return PSW_ERR_INVAL;
    bc[r] = counts[r] * esz;
    bd[r] = displs[r] * esz;
  }
  return 0;
}

/* Byte count/displacement arrays on the stack for small groups. */
struct vecs {
  size_t stack[2 * PSW_STACK_RANKS];
  size_t *bc, *bd;
};

static int vecs_get(struct vecs *v, int n) {
  if (n <= PSW_STACK_RANKS) {
    v->bc = v->stack;
  } else if (!(v->bc = malloc(2 * (size_t)n * sizeof(size_t)))) {
    return PSW_ERR_NOMEM;
  }
  v->bd = v->bc + n;
  return 0;
}

static void vecs_put(struct vecs *v) {
  if (v->bc != v->stack)
    free(v->bc);
}

int psw_scatterv(psw_ctx_t *ctx, const void *sendbuf, const size_t *counts,
                 const size_t *displs, void *recvbuf, size_t recvcount,
                 psw_type_t type, int root) {
  size_t esz = psw_type_size(type), rbytes;
  if (!ctx || esz == 0 || bad_root(ctx, root) ||
      to_bytes(recvcount, type, &rbytes))
    return PSW_ERR_INVAL;
  struct vecs v = {.bc = NULL, .bd = NULL};
  size_t *bc = NULL, *bd = NULL;
  if (ctx->rank == root) {
    int rc = vecs_get(&v, ctx->size);
    if (rc)
      return rc;
    bc = v.bc;
    bd = v.bd;
    if (!counts || !displs || scale(ctx, counts, displs, esz, bc, bd)) {
      vecs_put(&v);
      return root_only_error(ctx, PSW_ERR_INVAL);
    }
  }
  int rc = ctx->mgr->be->scatterv(ctx, sendbuf, bc, bd, recvbuf, rbytes, root);
  if (ctx->rank == root)
    vecs_put(&v);
  return rc;
}

int psw_scatter(psw_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                size_t count, psw_type_t type, int root) {
  size_t nbytes;
  if (!ctx || bad_root(ctx, root) || to_bytes(count, type, &nbytes))
    return PSW_ERR_INVAL;
  struct vecs v;
  int rc = vecs_get(&v, ctx->size);
  if (rc)
    return rc;
  for (int r = 0; r < ctx->size; r++) {
    v.bc[r] = nbytes;
    v.bd[r] = (size_t)r * nbytes;
  }
  rc = ctx->mgr->be->scatterv(ctx, sendbuf, v.bc, v.bd, recvbuf, nbytes, root);
  vecs_put(&v);
  return rc;
}

/* root < 0: allgatherv. */
static int gatherv_common(psw_ctx_t *ctx, const void *sendbuf, size_t sendcount,
                          void *recvbuf, const size_t *counts,
                          const size_t *displs, psw_type_t type, int root) {
  size_t esz = psw_type_size(type), sbytes;
  if (!ctx || esz == 0 || (root >= 0 && bad_root(ctx, root)) ||
      to_bytes(sendcount, type, &sbytes))
    return PSW_ERR_INVAL;
  int receiver = root < 0 || ctx->rank == root;
  struct vecs v = {.bc = NULL, .bd = NULL};
  if (receiver) {
    int rc = vecs_get(&v, ctx->size);
    if (rc)
      return rc;
    if (!counts || !displs || scale(ctx, counts, displs, esz, v.bc, v.bd)) {
      vecs_put(&v);
      return root_only_error(ctx, PSW_ERR_INVAL);
    }
  }
  int rc =
      ctx->mgr->be->gatherv(ctx, sendbuf, sbytes, recvbuf, v.bc, v.bd, root);
  if (receiver)
    vecs_put(&v);
  return rc;
}

int psw_gatherv(psw_ctx_t *ctx, const void *sendbuf, size_t sendcount,
                void *recvbuf, const size_t *counts, const size_t *displs,
                psw_type_t type, int root) {
  if (!ctx || bad_root(ctx, root))
    return PSW_ERR_INVAL;
  return gatherv_common(ctx, sendbuf, sendcount, recvbuf, counts, displs, type,
                        root);
}

/* Equal counts: build the count/displacement vectors once. */
static int gather_equal(psw_ctx_t *ctx, const void *sendbuf, size_t count,
                        void *recvbuf, psw_type_t type, int root) {
  struct vecs v;
  size_t nbytes;
  int rc;
  /* The sizes are the same everywhere, so every worker makes the same
   * choice: the backend's own small-message gather if it has one. */
  if (ctx->mgr->be->gather && psw_type_size(type) &&
      !to_bytes(count, type, &nbytes) &&
      (rc = ctx->mgr->be->gather(ctx, sendbuf, nbytes, recvbuf, root)) !=
          PSW__NOT_HANDLED)
    return rc;
  rc = vecs_get(&v, ctx->size);
  if (rc)
    return rc;
  for (int r = 0; r < ctx->size; r++) {
    v.bc[r] = count;
    v.bd[r] = (size_t)r * count;
  }
  rc = gatherv_common(ctx, sendbuf, count, recvbuf, v.bc, v.bd, type, root);
  vecs_put(&v);
  return rc;
}

int psw_gather(psw_ctx_t *ctx, const void *sendbuf, size_t count, void *recvbuf,
               psw_type_t type, int root) {
  if (!ctx || bad_root(ctx, root))
    return PSW_ERR_INVAL;
  return gather_equal(ctx, sendbuf, count, recvbuf, type, root);
}

int psw_allgather(psw_ctx_t *ctx, const void *sendbuf, size_t count,
                  void *recvbuf, psw_type_t type) {
  if (!ctx)
    return PSW_ERR_INVAL;
  return gather_equal(ctx, sendbuf, count, recvbuf, type, -1);
}

int psw_reduce(psw_ctx_t *ctx, const void *sendbuf, void *recvbuf, size_t count,
               psw_type_t type, psw_op_t op, int root) {
  size_t nbytes;
  if (!ctx || bad_root(ctx, root) || !psw__op_valid(type, op) ||
      to_bytes(count, type, &nbytes))
    return PSW_ERR_INVAL;
  return ctx->mgr->be->reduce(ctx, sendbuf, recvbuf, count, type, op, root);
}

int psw_allreduce(psw_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                  size_t count, psw_type_t type, psw_op_t op) {
  size_t nbytes;
  if (!ctx || !psw__op_valid(type, op) || to_bytes(count, type, &nbytes))
    return PSW_ERR_INVAL;
  return ctx->mgr->be->reduce(ctx, sendbuf, recvbuf, count, type, op, -1);
}

int psw_is_node_writer(const psw_ctx_t *ctx) {
  if (!ctx)
    return 0;
  if (ctx->mgr->be->node_writer)
    return ctx->mgr->be->node_writer(ctx);
  return ctx->rank == 0;
}

int psw_for_opts_init_sized(psw_for_opts_t *opts, size_t size) {
  return psw__sized_init(opts, size, sizeof *opts);
}

/* The function behind the macro of sched.h, for callers that cannot pass
 * a size (dlsym, ctypes): this library's layout. */
void(psw_for_opts_init)(psw_for_opts_t *opts) {
  (void)psw_for_opts_init_sized(opts, sizeof *opts);
}

int psw_for(psw_ctx_t *ctx, uint64_t n, psw_task_fn task, void *arg) {
  if (!ctx || !task)
    return PSW_ERR_INVAL;
  struct psw_loop L = {.n = n, .task = task, .arg = arg};
  return ctx->mgr->be->loop(ctx, &L);
}

/* opts.first on the backends whose dispatchers count from 0: the loop
 * runs 0..n-first-1 and these shift each index by first. (The elastic
 * head hands out first..n-1 itself, its chunks name absolute indices.) */
struct shifted {
  psw_task_rec_fn task;
  void *arg;
  psw_sink_fn sink;
  void *sink_arg;
  uint64_t first;
  void (*chunk)(psw_ctx_t *ctx, uint64_t begin, uint64_t end, void *arg);
};

static int shifted_task(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  const struct shifted *s = arg;
  return s->task(ctx, i + s->first, record, s->arg);
}

static int shifted_sink(uint64_t i, const void *record, void *arg) {
  const struct shifted *s = arg;
  return s->sink(i + s->first, record, s->sink_arg);
}

/* opts.chunk receives the loop's arg: ours here, the caller's for it. */
static void shifted_chunk(psw_ctx_t *ctx, uint64_t b, uint64_t e, void *arg) {
  const struct shifted *s = arg;
  s->chunk(ctx, b + s->first, e + s->first, s->arg);
}

int psw_for_ex(psw_ctx_t *ctx, uint64_t n, psw_task_rec_fn task, void *arg,
               const psw_for_opts_t *opts) {
  if (!ctx || !task)
    return PSW_ERR_INVAL;
  struct psw_loop L = {.n = n, .task_rec = task, .arg = arg};
  /* The caller's struct may be older and smaller than this library's: the
   * backends get a full copy, with the fields it lacks at their defaults. */
  psw_for_opts_init(&L.opts);
  if (opts && psw__sized_read(&L.opts, opts, sizeof L.opts))
    return PSW_ERR_INVAL;
  struct shifted sh = {task,         arg,         L.opts.sink, L.opts.sink_arg,
                       L.opts.first, L.opts.chunk};
  if (L.opts.first > n)
    return PSW_ERR_INVAL;
  if (L.opts.first && !ctx->mgr->be->loop_first) {
    L.n = n - L.opts.first;
    L.task_rec = shifted_task;
    L.arg = &sh;
    if (L.opts.sink) {
      L.opts.sink = shifted_sink;
      L.opts.sink_arg = &sh;
    }
    if (L.opts.chunk)
      L.opts.chunk = shifted_chunk;
    L.opts.first = 0;
  }
  int host = L.opts.sink_per_node ? psw_is_node_writer(ctx) : ctx->rank == 0;
  if (L.opts.record_size && host && !L.opts.sink)
    return root_only_error(ctx, PSW_ERR_INVAL);
  return ctx->mgr->be->loop(ctx, &L);
}
