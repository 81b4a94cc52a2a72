/* parsweep — the serial backend: one worker, in the calling thread.
 * Collectives with one worker are copies (or nothing), but they keep their
 * contracts so that code written for many workers runs unchanged. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int serial_create(psw_manager_t *m) {
  m->num_workers = 1;
  return 0;
}

static void serial_destroy(psw_manager_t *m) {
  (void)m;
}

static int serial_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, m, 0, 1);
  return fn(&ctx, arg);
}

static void serial_abort(psw_ctx_t *c, int err) {
  (void)c;
  (void)err;
}

static int serial_barrier(psw_ctx_t *c) {
  (void)c;
  return 0;
}

static int serial_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root) {
  (void)c;
  (void)buf;
  (void)nbytes;
  (void)root;
  return 0;
}

static int serial_scatterv(psw_ctx_t *c, const void *sendbuf,
                           const size_t *counts, const size_t *displs,
                           void *recvbuf, size_t recvbytes, int root) {
  (void)c;
  (void)root;
  size_t n = counts[0] < recvbytes ? counts[0] : recvbytes;
  if (n)
    memmove(recvbuf, (const char *)sendbuf + displs[0], n);
  return 0;
}

static int serial_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                          void *recvbuf, const size_t *counts,
                          const size_t *displs, int root) {
  (void)c;
  (void)root;
  size_t n = sendbytes < counts[0] ? sendbytes : counts[0];
  if (n)
    memmove((char *)recvbuf + displs[0], sendbuf, n);
  return 0;
}

static int serial_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                         size_t count, psw_type_t type, psw_op_t op, int root) {
  (void)c;
  (void)op;
  (void)root;
  if (count && sendbuf != recvbuf)
    memmove(recvbuf, sendbuf, count * psw_type_size(type));
  return 0;
}

/* Records go straight to the sink: there is nobody else to collect. */
static int serial_loop(psw_ctx_t *c, const struct psw_loop *L) {
  size_t rs = L->opts.record_size;
  void *rec = NULL;
  if (rs && !(rec = malloc(rs)))
    return PSW_ERR_NOMEM;
  int rc = 0;
  psw__loop_chunk(c, L, 0, L->n); /* one chunk: every index */
  for (uint64_t i = 0; i < L->n && !rc; i++) {
    if (rs)
      memset(rec, 0, rs);
    rc = psw__loop_run(c, L, i, rec);
    if (!rc && rs && (rc = L->opts.sink(i, rec, L->opts.sink_arg)) > 0)
      rc = 0; /* flagged: only counted for progress elsewhere */
  }
  free(rec);
  return rc;
}

const struct psw_backend psw__backend_serial = {
    .name = PSW_BACKEND_SERIAL,
    .create = serial_create,
    .destroy = serial_destroy,
    .parallel = serial_parallel,
    .abort = serial_abort,
    .barrier = serial_barrier,
    .bcast = serial_bcast,
    .scatterv = serial_scatterv,
    .gatherv = serial_gatherv,
    .reduce = serial_reduce,
    .loop = serial_loop,
};
