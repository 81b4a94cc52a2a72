/* parsweep — the elastic backend: a head and workers that connect to it
 * over TCP (ZeroMQ, CURVE), join at any time and may be lost without
 * losing tasks. No MPI. The manager is the head unless it is given an
 * endpoint file to connect to (opts.elastic_connect or
 * PSW_ELASTIC_CONNECT): then it is a worker. See elastic/elastic.h. */
#include <stdlib.h>

#include "elastic/elastic.h"

struct el {
  struct psw_ehead *head; /* exactly one of the two */
  struct psw_eworker *worker;
};

#define EL(m) ((struct el *)(m)->be_state)

static int el_create(psw_manager_t *m) {
  struct el *e = calloc(1, sizeof *e);
  if (!e)
    return PSW_ERR_NOMEM;
  const char *conn = m->opts.elastic_connect;
  if (!conn || !*conn)
    conn = getenv("PSW_ELASTIC_CONNECT");
  int rc = conn && *conn ? psw__eworker_create(m, conn, &e->worker)
                         : psw__ehead_create(m, &e->head);
  if (rc) {
    free(e);
    return rc;
  }
  m->be_state = e;
  /* Until a region starts: the head and the workers it waits for. */
  m->num_workers = e->head ? 1 + m->opts.elastic_min_workers : 1;
  return 0;
}

static void el_destroy(psw_manager_t *m) {
  struct el *e = EL(m);
  psw__ehead_destroy(e->head);
  psw__eworker_destroy(e->worker);
  free(e);
}

static int el_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  struct el *e = EL(m);
  return e->head ? psw__ehead_parallel(e->head, m, fn, arg)
                 : psw__eworker_parallel(e->worker, m, fn, arg);
}

static void el_abort(psw_ctx_t *c, int err) {
  struct el *e = EL(c->mgr);
  if (e->head)
    psw__ehead_abort(e->head, err);
  else
    psw__eworker_abort(e->worker, err);
}

static int coll(psw_ctx_t *c, int kind, int root, psw_type_t type, psw_op_t op,
                const void *sendbuf, size_t sendbytes, void *recvbuf,
                size_t recvbytes, const size_t *counts, const size_t *displs) {
  struct el *e = EL(c->mgr);
  return e->head
             ? psw__ehead_coll(e->head, c, kind, root, type, op, sendbuf,
                               sendbytes, recvbuf, recvbytes, counts, displs)
             : psw__eworker_coll(e->worker, c, kind, root, type, op, sendbuf,
                                 sendbytes, recvbuf, recvbytes, counts, displs);
}

static int el_barrier(psw_ctx_t *c) {
  return coll(c, EC_BARRIER, 0, PSW_BYTE, PSW_SUM, NULL, 0, NULL, 0, NULL,
              NULL);
}

static int el_bcast(psw_ctx_t *c, void *buf, size_t nbytes, int root) {
  return coll(c, EC_BCAST, root, PSW_BYTE, PSW_SUM, buf, nbytes, buf, nbytes,
              NULL, NULL);
}

static int el_scatterv(psw_ctx_t *c, const void *sendbuf, const size_t *counts,
                       const size_t *displs, void *recvbuf, size_t recvbytes,
                       int root) {
  /* The head as root sends what the workers' root message would hold. */
  struct el *e = EL(c->mgr);
  if (e->head && root == 0) {
    size_t size = (size_t)c->size, hi = 0;
    for (size_t r = 0; r < size; r++)
      if (displs[r] + counts[r] > hi)
        hi = displs[r] + counts[r];
    size_t head = 2 * size * sizeof(uint64_t);
    uint8_t *tmp = malloc(head + hi);
    if (!tmp)
      return PSW_ERR_NOMEM;
    uint64_t *cnt = (uint64_t *)tmp, *dsp = cnt + size;
    for (size_t r = 0; r < size; r++) {
      cnt[r] = counts[r];
      dsp[r] = displs[r];
    }
    psw__copy(tmp + head, sendbuf, hi);
    int rc = coll(c, EC_SCATTERV, 0, PSW_BYTE, PSW_SUM, tmp, head + hi, recvbuf,
                  recvbytes, NULL, NULL);
    free(tmp);
    return rc;
  }
  return coll(c, EC_SCATTERV, root, PSW_BYTE, PSW_SUM, sendbuf, 0, recvbuf,
              recvbytes, counts, displs);
}

static int el_gatherv(psw_ctx_t *c, const void *sendbuf, size_t sendbytes,
                      void *recvbuf, const size_t *counts, const size_t *displs,
                      int root) {
  return coll(c, EC_GATHERV, root, PSW_BYTE, PSW_SUM, sendbuf, sendbytes,
              recvbuf, 0, counts, displs);
}

static int el_reduce(psw_ctx_t *c, const void *sendbuf, void *recvbuf,
                     size_t count, psw_type_t type, psw_op_t op, int root) {
  return coll(c, EC_REDUCE, root, type, op, sendbuf,
              count * psw_type_size(type), recvbuf, 0, NULL, NULL);
}

static int el_loop(psw_ctx_t *c, const struct psw_loop *L) {
  struct el *e = EL(c->mgr);
  if (L->opts.record_size && c->rank == 0 && !L->opts.sink)
    return PSW_ERR_INVAL;
  return e->head ? psw__ehead_loop(e->head, c, L)
                 : psw__eworker_loop(e->worker, c, L);
}

int psw_elastic_info(const psw_manager_t *mgr, const void **data, size_t *len) {
  if (!mgr || !data || !len || mgr->be != &psw__backend_elastic ||
      !EL(mgr)->worker)
    return PSW_ERR_INVAL;
  return psw__eworker_info(EL(mgr)->worker, data, len);
}

int psw_elastic_worker_id(const psw_manager_t *mgr) {
  if (!mgr || mgr->be != &psw__backend_elastic || !EL(mgr)->worker)
    return PSW_ERR_INVAL;
  return psw__eworker_id(EL(mgr)->worker);
}

const psw_backend_t *psw_backend_elastic(void) {
  return &psw__backend_elastic;
}

const struct psw_backend psw__backend_elastic = {
    .name = PSW_BACKEND_ELASTIC,
    .create = el_create,
    .destroy = el_destroy,
    .parallel = el_parallel,
    .abort = el_abort,
    .barrier = el_barrier,
    .bcast = el_bcast,
    .scatterv = el_scatterv,
    .gatherv = el_gatherv,
    .reduce = el_reduce,
    .loop = el_loop,
    .loop_first = 1,
};
