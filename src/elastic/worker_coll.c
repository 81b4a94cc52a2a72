/* parsweep — elastic worker: the collectives. Each is one request to the
 * head (its part of the data, a scatter's counts and displacements in
 * front) and one reply, whose data lands in recvbuf; the head computes
 * (head_coll.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elastic/worker_impl.h"

int psw__eworker_coll(struct psw_eworker *w, psw_ctx_t *c, int kind, int root,
                      psw_type_t type, psw_op_t op, const void *sendbuf,
                      size_t sendbytes, void *recvbuf, size_t recvbytes,
                      const size_t *counts, const size_t *displs) {
  if (w->left)
    return PSW_ERR_INTERRUPTED;
  int data = kind != EC_BARRIER && kind != EC_BCAST;
  /* A late joiner joined the loop running: it has no part in the
   * collectives before it, nor in those that need a place by rank. */
  if (w->late && (data || !w->looped))
    return PSW_ERR_INVAL;
  int size = c->size, me = c->rank;
  struct psw_emsg hd = {.type = EM_COLL,
                        .seq = ++w->coll_seq,
                        .kind = kind,
                        .root = root,
                        .dtype = (int32_t)type,
                        .op = (int32_t)op,
                        .count = sendbytes};
  const void *payload = sendbuf;
  size_t len = sendbytes;
  uint8_t *tmp = NULL;
  if (kind == EC_BCAST && me != root)
    len = 0;
  if (kind == EC_SCATTERV) {
    len = 0;
    if (me == root) {
      /* counts and displacements, then the data they point into, rebased
       * to start at the lowest displacement */
      size_t lo = SIZE_MAX, hi = 0;
      for (int r = 0; r < size; r++) {
        if (displs[r] < lo)
          lo = displs[r];
        if (displs[r] + counts[r] > hi)
          hi = displs[r] + counts[r];
      }
      if (lo > hi)
        lo = hi;
      size_t head = 2 * (size_t)size * sizeof(uint64_t);
      len = head + (hi - lo);
      if (!(tmp = malloc(len)))
        return PSW_ERR_NOMEM;
      uint64_t *cnt = (uint64_t *)tmp, *dsp = cnt + size;
      for (int r = 0; r < size; r++) {
        cnt[r] = counts[r];
        dsp[r] = displs[r] - lo;
      }
      psw__copy(tmp + head, (const uint8_t *)sendbuf + lo, hi - lo);
      payload = tmp;
    }
  }
  int rc = psw__ew_send(w, &hd, payload, len);
  free(tmp);
  if (rc)
    return rc;
  zmq_msg_t p;
  zmq_msg_init(&p);
  struct psw_emsg r;
  for (;;) {
    if ((rc = psw__ew_expect(w, EM_COLL_REPLY, &r, &p, -1)))
      break;
    if (r.seq == hd.seq)
      break;
  }
  if (!rc && r.rc)
    rc = r.rc;
  if (rc) {
    zmq_msg_close(&p);
    return rc;
  }
  const uint8_t *in = zmq_msg_data(&p);
  size_t inlen = zmq_msg_size(&p);
  switch (kind) {
  case EC_BCAST:
    if (me != root)
      psw__copy(recvbuf, in, inlen < sendbytes ? inlen : sendbytes);
    break;
  case EC_SCATTERV:
    psw__copy(recvbuf, in, inlen < recvbytes ? inlen : recvbytes);
    break;
  case EC_GATHERV:
    if (root < 0 || root == me) {
      size_t head = (size_t)size * sizeof(uint64_t);
      if (inlen < head) {
        rc = PSW_ERR_MISMATCH;
        break;
      }
      const uint8_t *at = in + head;
      for (int r2 = 0; r2 < size; r2++) {
        uint64_t len; /* the frame need not be aligned */
        memcpy(&len, in + (size_t)r2 * sizeof len, sizeof len);
        size_t n = len < counts[r2] ? len : counts[r2];
        if ((size_t)(at - in) + len > inlen) {
          rc = PSW_ERR_MISMATCH;
          break;
        }
        psw__copy((uint8_t *)recvbuf + displs[r2], at, n);
        at += len;
      }
    }
    break;
  case EC_REDUCE:
    if (root < 0 || root == me)
      psw__copy(recvbuf, in, inlen < sendbytes ? inlen : sendbytes);
    break;
  default:
    break;
  }
  zmq_msg_close(&p);
  return rc;
}

/* The head asked the loop to stop (drain or cancel). */
