/* parsweep — elastic head: the collectives. The head is rank 0 and the
 * relay: it waits for every rank's contribution (serving the workers
 * meanwhile), then one function per collective computes and answers. A
 * late joiner takes part in barriers and broadcasts only. */
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "elastic/head_impl.h"

/* One collective's arguments, as psw__ehead_coll took them. */
struct coll {
  int kind, root, size;
  psw_type_t type;
  psw_op_t op;
  const void *sendbuf;
  size_t sendbytes;
  void *recvbuf;
  size_t recvbytes;
  const size_t *counts, *displs;
};

/* Does this collective need mb's contribution? Late joiners take part in
 * barriers and broadcasts only. */
static int expected(const struct member *mb, int kind) {
  if (mb->state != MS_REGION || mb->done)
    return 0;
  return !mb->late || kind == EC_BARRIER || kind == EC_BCAST;
}

static struct member *of_rank(struct psw_ehead *h, int rank) {
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_REGION && !h->mem[i]->late &&
        h->mem[i]->rank == rank)
      return h->mem[i];
  return NULL;
}

/* Contribution of `rank` (the head's own for 0). */
static const void *contrib(struct psw_ehead *h, int rank, const void *own,
                           size_t own_len, size_t *len) {
  if (rank == 0) {
    *len = own_len;
    return own;
  }
  struct member *mb = of_rank(h, rank);
  *len = mb ? zmq_msg_size(&mb->cp) : 0;
  return mb ? zmq_msg_data(&mb->cp) : NULL;
}

/* Wait for every contribution to collective seq: 0, or the error that
 * aborts the region. */
static int wait_all(struct psw_ehead *h, uint64_t seq, int kind, int root) {
  for (;;) {
    if (h->abort_err)
      return h->abort_err;
    int data = kind != EC_BARRIER && kind != EC_BCAST;
    if ((data && h->lost_rank) ||
        (kind == EC_BCAST && root > 0 && !of_rank(h, root))) {
      psw__eh_set_abort(h, PSW_ERR_PEER_LOST);
      return PSW_ERR_PEER_LOST;
    }
    int missing = 0;
    for (int i = 0; i < h->nmem; i++) {
      struct member *mb = h->mem[i];
      if (!expected(mb, kind))
        continue;
      if (!mb->coll)
        missing++;
      else if (mb->ch.seq != seq || mb->ch.kind != kind ||
               mb->ch.root != root) {
        PSW_ERROR("elastic: worker %d (rank %d) called another collective "
                  "(kind %d root %d, #%llu) than rank 0 (kind %d root %d, "
                  "#%llu)",
                  mb->id, mb->rank, mb->ch.kind, mb->ch.root,
                  (unsigned long long)mb->ch.seq, kind, root,
                  (unsigned long long)seq);
        psw__eh_set_abort(h, PSW_ERR_MISMATCH);
        return PSW_ERR_MISMATCH;
      }
    }
    if (!missing)
      return 0;
    psw__eh_pump(h, 20);
  }
}

/* The result of a gather or a reduce to ranks 1..: all of them (root < 0)
 * or the root only; the others are answered with no data. */
static void answer_ranks(struct psw_ehead *h, const struct coll *a,
                         const void *buf, size_t len) {
  for (int r = 1; r < a->size; r++) {
    struct member *mb = of_rank(h, r);
    if (mb)
      psw__eh_reply_coll(h, mb, 0, a->root < 0 || a->root == r ? buf : NULL,
                         a->root < 0 || a->root == r ? len : 0);
  }
}

/* Every contribution arrived: nothing more to do (the caller answers). */
static int barrier(struct psw_ehead *h, const struct coll *a) {
  (void)h;
  (void)a;
  return 0;
}

static int bcast(struct psw_ehead *h, const struct coll *a) {
  size_t len;
  const void *src = contrib(h, a->root, a->sendbuf, a->sendbytes, &len);
  if (len != a->sendbytes)
    return PSW_ERR_MISMATCH;
  if (a->root != 0)
    psw__copy(a->recvbuf, src, len);
  /* Every worker but the root gets the bytes (late joiners too). */
  for (int i = 0; i < h->nmem; i++) {
    struct member *mb = h->mem[i];
    if (expected(mb, a->kind) && !(mb->rank == a->root && !mb->late))
      psw__eh_reply_coll(h, mb, 0, a->recvbuf, len);
  }
  return 0;
}

static int scatterv(struct psw_ehead *h, const struct coll *a) {
  int size = a->size, root = a->root, rc = 0;
  size_t len;
  const uint8_t *src = contrib(h, root, a->sendbuf, a->sendbytes, &len);
  if (len < 2 * (size_t)size * sizeof(uint64_t))
    return PSW_ERR_MISMATCH;
  /* Payload frames need not be aligned: read the sizes by copy. */
  uint64_t *cnt = malloc(2 * (size_t)size * sizeof(uint64_t)), *dsp;
  if (!cnt)
    return PSW_ERR_NOMEM;
  memcpy(cnt, src, 2 * (size_t)size * sizeof(uint64_t));
  dsp = cnt + size;
  const uint8_t *data = src + 2 * (size_t)size * sizeof(uint64_t);
  size_t extent = len - 2 * (size_t)size * sizeof(uint64_t);
  for (int r = 0; r < size && !rc; r++)
    if (dsp[r] > extent || cnt[r] > extent - dsp[r])
      rc = PSW_ERR_MISMATCH;
  if (!rc) {
    psw__copy(a->recvbuf, data + dsp[0],
              cnt[0] < a->recvbytes ? cnt[0] : a->recvbytes);
    /* The root's own slice last: its message holds every slice. */
    for (int k = 1; k <= size; k++) {
      int r = k < size ? (k == root ? 0 : k) : root;
      struct member *mb = r > 0 ? of_rank(h, r) : NULL;
      if (mb)
        psw__eh_reply_coll(h, mb, 0, data + dsp[r], cnt[r]);
    }
  }
  free(cnt);
  return rc;
}

static int gatherv(struct psw_ehead *h, const struct coll *a) {
  int size = a->size, root = a->root;
  /* Reply: the length of every rank's piece, then the pieces. */
  size_t total = (size_t)size * sizeof(uint64_t);
  for (int r = 0; r < size; r++) {
    size_t len;
    contrib(h, r, a->sendbuf, a->sendbytes, &len);
    total += len;
  }
  uint8_t *out = malloc(total);
  if (!out)
    return PSW_ERR_NOMEM;
  uint64_t *lens = (uint64_t *)out;
  uint8_t *at = out + (size_t)size * sizeof(uint64_t);
  for (int r = 0; r < size; r++) {
    size_t len;
    const void *src = contrib(h, r, a->sendbuf, a->sendbytes, &len);
    lens[r] = len;
    psw__copy(at, src, len);
    if (root <= 0) { /* the head receives: place by its displs */
      size_t n = len < a->counts[r] ? len : a->counts[r];
      psw__copy((uint8_t *)a->recvbuf + a->displs[r], src, n);
    }
    at += len;
  }
  answer_ranks(h, a, out, total);
  free(out);
  return 0;
}

static int reduce(struct psw_ehead *h, const struct coll *a) {
  int size = a->size, root = a->root, rc = 0;
  size_t esz = psw_type_size(a->type);
  size_t nbytes = a->sendbytes;
  uint8_t *acc = malloc(nbytes ? 2 * nbytes : 1), *in = acc + nbytes;
  if (!acc)
    return PSW_ERR_NOMEM;
  /* In rank order, as every rank would combine them. */
  psw__copy(acc, a->sendbuf, nbytes);
  for (int r = 1; r < size && !rc; r++) {
    size_t len;
    const void *src = contrib(h, r, NULL, 0, &len);
    if (len != nbytes)
      rc = PSW_ERR_MISMATCH;
    else if (nbytes) { /* aligned: a frame need not be */
      memcpy(in, src, nbytes);
      psw__op_apply(acc, in, nbytes / esz, a->type, a->op);
    }
  }
  if (rc) {
    free(acc);
    return rc;
  }
  if (root <= 0)
    psw__copy(a->recvbuf, acc, nbytes);
  answer_ranks(h, a, acc, nbytes);
  free(acc);
  return 0;
}

/* Indexed by enum psw_ecoll. */
static int (*const collectives[])(struct psw_ehead *, const struct coll *) = {
    [EC_BARRIER] = barrier, [EC_BCAST] = bcast,   [EC_SCATTERV] = scatterv,
    [EC_GATHERV] = gatherv, [EC_REDUCE] = reduce,
};

int psw__ehead_coll(struct psw_ehead *h, psw_ctx_t *c, int kind, int root,
                    psw_type_t type, psw_op_t op, const void *sendbuf,
                    size_t sendbytes, void *recvbuf, size_t recvbytes,
                    const size_t *counts, const size_t *displs) {
  uint64_t seq = ++h->coll_seq;
  int rc = wait_all(h, seq, kind, root);
  if (rc)
    return rc;
  const struct coll a = {.kind = kind,
                         .root = root,
                         .size = c->size,
                         .type = type,
                         .op = op,
                         .sendbuf = sendbuf,
                         .sendbytes = sendbytes,
                         .recvbuf = recvbuf,
                         .recvbytes = recvbytes,
                         .counts = counts,
                         .displs = displs};
  size_t n = sizeof collectives / sizeof collectives[0];
  rc = kind > 0 && (size_t)kind < n && collectives[kind]
           ? collectives[kind](h, &a)
           : PSW_ERR_INVAL;
  /* Whoever was not answered yet (an error) gets the error. */
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->coll && h->mem[i]->ch.seq == seq)
      psw__eh_reply_coll(h, h->mem[i], rc ? rc : 0, NULL, 0);
  return rc;
}
