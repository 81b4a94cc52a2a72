/* parsweep — elastic: a worker process. One DEALER socket to the head for
 * the work, and a thread with a socket of its own that sends heartbeats,
 * so that a long task does not look like a lost worker. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "elastic/elastic.h"

struct psw_eworker {
  void *zctx, *sock, *mon;
  psw_eendpoint_t ep;
  char *path; /* the endpoint file: its end mark tells an ended sweep */
  pthread_t hb;
  int hb_started;
  atomic_int hb_stop;
  int id;
  uint64_t token;
  double hb_s;
  void *info;
  size_t info_len;
  int lost; /* the head refused us or is gone: every call fails with it */
  /* the region running */
  int late, looped, left;
  uint64_t coll_seq, loop_no;
  /* Set by the heartbeat thread, which hears the head while the main
   * thread runs a task: a stop of the head's run (level 1 drain, 2
   * cancel) for loop stop_loop, and "this worker was declared lost". */
  atomic_int stop_level, evicted;
  _Atomic uint64_t stop_loop;
  /* The loop's opts.cancel while it runs (under mu). */
  pthread_mutex_t mu;
  void (*cancel)(void *);
  void *cancel_arg;
  uint64_t cancel_loop;
  int cancelled;
};

/* Call the loop's cancel hook once, if the head asked for it. */
static void maybe_cancel(struct psw_eworker *w) {
  pthread_mutex_lock(&w->mu);
  if (w->cancel && !w->cancelled && atomic_load(&w->stop_level) == 2 &&
      atomic_load(&w->stop_loop) == w->cancel_loop) {
    w->cancelled = 1;
    w->cancel(w->cancel_arg);
  }
  pthread_mutex_unlock(&w->mu);
}

/* What the head says on the heartbeat connection. */
static void hb_recv(struct psw_eworker *w, void *s) {
  struct psw_emsg hd;
  zmq_msg_t p;
  zmq_msg_init(&p);
  int rc = psw__emsg_recv(s, NULL, NULL, &hd, &p, 0);
  zmq_msg_close(&p);
  if (rc)
    return;
  if (hd.type == EM_BYE && hd.kind == BYE_LOST) {
    atomic_store(&w->evicted, 1);
  } else if (hd.type == EM_STOP) {
    atomic_store(&w->stop_loop, hd.loop);
    atomic_store(&w->stop_level, hd.kind == STOP_CANCEL ? 2 : 1);
    maybe_cancel(w);
  }
}

static void *hb_main(void *arg) {
  struct psw_eworker *w = arg;
  void *s = zmq_socket(w->zctx, ZMQ_DEALER);
  int linger = 0;
  if (!s)
    return NULL;
  zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
  if (psw__ecurve_client(s, &w->ep) || zmq_connect(s, w->ep.address)) {
    zmq_close(s);
    return NULL;
  }
  struct psw_emsg hd = {.type = EM_HB, .id = w->id, .token = w->token};
  double every = w->hb_s, next = 0;
  while (!atomic_load(&w->hb_stop)) {
    double now = psw__mono_now();
    if (now >= next) {
      zmq_send(s, &hd, sizeof hd, ZMQ_DONTWAIT);
      next = now + every;
    }
    /* Listen in between: stops and "declared lost" come this way. */
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 50) > 0 && (it.revents & ZMQ_POLLIN))
      hb_recv(w, s);
  }
  zmq_close(s);
  return NULL;
}

/* The head marked its endpoint file on ending (before it dropped any
 * connection): this worker is not needed. */
static int ended(struct psw_eworker *w) {
  if (!psw__endpoint_ended(w->path))
    return 0;
  w->lost = PSW_ERR_UNAVAILABLE;
  return 1;
}

/* The next message from the head. A monitor event first: a refused key or
 * a lost connection ends the wait with an error (and one line in the
 * log), unless the sweep has ended. timeout_ms < 0 waits for ever. */
static int next_msg(struct psw_eworker *w, struct psw_emsg *hd, zmq_msg_t *p,
                    int timeout_ms) {
  double t0 = psw__mono_now(), looked = t0;
  if (w->lost)
    return w->lost;
  for (;;) {
    /* Not yet welcomed: the head may have ended without reading our
     * HELLO (it drained, wrote its results and left). */
    if (!w->id && psw__mono_now() - looked >= 0.5) {
      looked = psw__mono_now();
      if (ended(w))
        return w->lost;
    }
    /* Declared lost by the head (heard by the heartbeat thread). */
    if (atomic_load(&w->evicted))
      return w->lost = PSW_ERR_TIMEOUT;
    zmq_pollitem_t it[2] = {{w->sock, 0, ZMQ_POLLIN, 0},
                            {w->mon, 0, ZMQ_POLLIN, 0}};
    int n = zmq_poll(it, 2, 100);
    if (n < 0 && errno != EINTR)
      return PSW_ERR_SYS;
    if (n > 0 && (it[1].revents & ZMQ_POLLIN)) {
      uint8_t ev[6];
      char addr[256];
      int r = zmq_recv(w->mon, ev, sizeof ev, 0);
      int a = zmq_recv(w->mon, addr, sizeof addr - 1, 0);
      addr[a > 0 ? (a < (int)sizeof addr ? a : (int)sizeof addr - 1) : 0] =
          '\0';
      uint16_t event;
      memcpy(&event, ev, 2);
      int failed = event & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
      /* A drop by a head that is ending is no verdict on our key. */
      if (r == 6 && (failed || (event & ZMQ_EVENT_DISCONNECTED)) && ended(w))
        return w->lost;
      if (r == 6 && failed) {
        PSW_ERROR("elastic: the head at %s refused this worker's key (is "
                  "the endpoint file the sweep's own?)",
                  w->ep.address);
        return w->lost = PSW_ERR_IO;
      }
      if (r == 6 && (event & ZMQ_EVENT_DISCONNECTED) && w->id) {
        PSW_ERROR("elastic: lost the connection to the head at %s",
                  w->ep.address);
        return w->lost = PSW_ERR_PEER_LOST;
      }
      continue;
    }
    if (n > 0 && (it[0].revents & ZMQ_POLLIN)) {
      int rc = psw__emsg_recv(w->sock, NULL, NULL, hd, p, 0);
      if (rc == PSW_ERR_TIMEOUT || rc == PSW_ERR_PARSE)
        continue;
      if (rc)
        return rc;
      /* (a BYE before WELCOME: the head is ending as we join) */
      if (hd->type == EM_BYE && (w->id || hd->kind != BYE_LOST)) {
        /* The head closed, or declared this worker lost (it was stopped
         * or stalled longer than the head's timeout). */
        if (hd->kind == BYE_LOST)
          return w->lost = PSW_ERR_TIMEOUT;
        return w->lost = hd->rc ? hd->rc : PSW_ERR_UNAVAILABLE;
      }
      return 0;
    }
    if (timeout_ms >= 0 && (psw__mono_now() - t0) * 1000 > timeout_ms)
      return ended(w) ? w->lost : PSW_ERR_TIMEOUT;
  }
}

/* Wait for a message of `type` (others are protocol noise: dropped). */
static int expect(struct psw_eworker *w, int type, struct psw_emsg *hd,
                  zmq_msg_t *p, int timeout_ms) {
  for (;;) {
    zmq_msg_close(p);
    zmq_msg_init(p);
    int rc = next_msg(w, hd, p, timeout_ms);
    if (rc || hd->type == type)
      return rc;
  }
}

/* Every message names this worker (its id, once WELCOME gave one). */
static int send_hd(struct psw_eworker *w, const struct psw_emsg *hd,
                   const void *p, size_t len) {
  struct psw_emsg m = *hd;
  m.id = w->id;
  if (w->lost)
    return w->lost;
  return psw__emsg_send(w->sock, NULL, 0, &m, p, len);
}

int psw__eworker_create(psw_manager_t *m, const char *endpoint,
                        struct psw_eworker **out) {
  (void)m;
  struct psw_eworker *w = calloc(1, sizeof *w);
  if (!w)
    return PSW_ERR_NOMEM;
  pthread_mutex_init(&w->mu, NULL);
  char err[512];
  int rc = psw__eendpoint_read(endpoint, &w->ep, err, sizeof err);
  if (!rc && !(w->path = strdup(endpoint)))
    rc = PSW_ERR_NOMEM;
  if (rc) {
    if (rc != PSW_ERR_UNAVAILABLE) /* an ended sweep: the caller says so */
      PSW_ERROR("elastic: %s", err);
    pthread_mutex_destroy(&w->mu);
    free(w);
    return rc;
  }
  w->zctx = zmq_ctx_new();
  w->sock = w->zctx ? zmq_socket(w->zctx, ZMQ_DEALER) : NULL;
  int linger = 1000;
  if (!w->sock || psw__ecurve_client(w->sock, &w->ep) ||
      zmq_setsockopt(w->sock, ZMQ_LINGER, &linger, sizeof linger) ||
      zmq_socket_monitor(w->sock, "inproc://psw-elastic-monitor",
                         ZMQ_EVENT_DISCONNECTED |
                             ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
    rc = PSW_ERR_SYS;
    goto fail;
  }
  w->mon = zmq_socket(w->zctx, ZMQ_PAIR);
  if (!w->mon || zmq_connect(w->mon, "inproc://psw-elastic-monitor") ||
      zmq_connect(w->sock, w->ep.address)) {
    PSW_ERROR("elastic: cannot connect to %s: %s", w->ep.address,
              zmq_strerror(errno));
    rc = PSW_ERR_SYS;
    goto fail;
  }
  char host[64];
  psw__ehost(host, sizeof host);
  struct psw_emsg hello = {.type = EM_HELLO, .pid = (int32_t)getpid()};
  if ((rc = send_hd(w, &hello, host, strlen(host))))
    goto fail;
  double wait_s = psw__etimeout_s() * 6;
  const char *cw = getenv("PSW_ELASTIC_CONNECT_TIMEOUT");
  if (cw && *cw && atof(cw) > 0)
    wait_s = atof(cw);
  struct psw_emsg hd;
  zmq_msg_t p;
  zmq_msg_init(&p);
  rc = expect(w, EM_WELCOME, &hd, &p, (int)(wait_s * 1000));
  if (rc == PSW_ERR_TIMEOUT) {
    /* Distinct from a head lost after it answered (exit code 5 both). */
    PSW_ERROR("elastic: never reached the head at %s: no answer within "
              "%.0f s (--wait), and the sweep's file does not say it ended",
              w->ep.address, wait_s);
    rc = PSW_ERR_PEER_LOST;
  }
  if (rc) {
    zmq_msg_close(&p);
    goto fail;
  }
  w->id = hd.id;
  w->token = hd.token;
  w->hb_s = hd.secs > 0 ? hd.secs : 0.5;
  w->info_len = zmq_msg_size(&p);
  w->info = malloc(w->info_len + 1);
  if (w->info) {
    psw__copy(w->info, zmq_msg_data(&p), w->info_len);
    ((char *)w->info)[w->info_len] = '\0';
  }
  zmq_msg_close(&p);
  if (!w->info) {
    rc = PSW_ERR_NOMEM;
    goto fail;
  }
  if (pthread_create(&w->hb, NULL, hb_main, w)) {
    rc = PSW_ERR_SYS;
    goto fail;
  }
  w->hb_started = 1;
  PSW_INFO("elastic: worker %d connected to %s", w->id, w->ep.address);
  *out = w;
  return 0;
fail:
  psw__eworker_destroy(w);
  return rc;
}

void psw__eworker_destroy(struct psw_eworker *w) {
  if (!w)
    return;
  if (w->hb_started) {
    atomic_store(&w->hb_stop, 1);
    pthread_join(w->hb, NULL);
  }
  if (w->sock && w->id) {
    struct psw_emsg bye = {.type = EM_BYE};
    send_hd(w, &bye, NULL, 0);
  }
  if (w->sock) {
    /* Refused or lost: nothing pending is worth a reconnection. */
    int zero = 0;
    if (w->lost)
      zmq_setsockopt(w->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_socket_monitor(w->sock, NULL, 0);
    zmq_close(w->sock);
  }
  if (w->mon)
    zmq_close(w->mon);
  if (w->zctx)
    zmq_ctx_term(w->zctx);
  free(w->info);
  free(w->path);
  pthread_mutex_destroy(&w->mu);
  free(w);
}

int psw__eworker_id(const struct psw_eworker *w) {
  return w->id;
}

int psw__eworker_info(const struct psw_eworker *w, const void **data,
                      size_t *len) {
  *data = w->info;
  *len = w->info_len;
  return 0;
}

int psw__eworker_parallel(struct psw_eworker *w, psw_manager_t *m,
                          psw_region_fn fn, void *arg) {
  struct psw_emsg hd = {.type = EM_READY};
  int rc = send_hd(w, &hd, NULL, 0);
  if (rc)
    return rc;
  zmq_msg_t p;
  zmq_msg_init(&p);
  rc = expect(w, EM_START, &hd, &p, -1);
  zmq_msg_close(&p);
  if (rc)
    return rc;
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, m, hd.rank, hd.size);
  ctx.node_id = hd.node;
  ctx.num_nodes = hd.nodes;
  ctx.local_rank = hd.lrank;
  ctx.local_size = hd.lsize;
  m->num_workers = hd.size;
  w->late = hd.late;
  w->looped = w->left = 0;
  w->coll_seq = hd.seq;
  w->loop_no = hd.loop;
  int mine = fn(&ctx, arg);
  if (w->left) /* stopped: the head has its work back already */
    return PSW_ERR_INTERRUPTED;
  hd = (struct psw_emsg){.type = EM_REGION_DONE, .rc = mine};
  if ((rc = send_hd(w, &hd, NULL, 0)))
    return rc;
  zmq_msg_init(&p);
  rc = expect(w, EM_END, &hd, &p, -1);
  zmq_msg_close(&p);
  /* The head ended normally (its BYE, or its end mark, came before our
   * END): our part was done and handed in, so the region ends as ours
   * did, not as "the sweep ended" (a worker's region raced the head's end
   * in python.parallel's RayIo test). */
  if (rc == PSW_ERR_UNAVAILABLE)
    return mine;
  return rc ? rc : hd.rc;
}

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
  int rc = send_hd(w, &hd, payload, len);
  free(tmp);
  if (rc)
    return rc;
  zmq_msg_t p;
  zmq_msg_init(&p);
  struct psw_emsg r;
  for (;;) {
    if ((rc = expect(w, EM_COLL_REPLY, &r, &p, -1)))
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
static int stopping(struct psw_eworker *w, uint64_t loop) {
  return atomic_load(&w->stop_level) && atomic_load(&w->stop_loop) == loop;
}

static int run_chunks(struct psw_eworker *w, psw_ctx_t *c,
                      const struct psw_loop *L, uint64_t loop) {
  int rc = 0;
  size_t rs = L->opts.record_size;
  uint8_t *recs = NULL, *scratch = rs ? malloc(rs) : NULL;
  size_t cap = 0;
  if (rs && !scratch)
    return PSW_ERR_NOMEM;
  zmq_msg_t p;
  zmq_msg_init(&p);
  for (;;) {
    struct psw_emsg m;
    zmq_msg_close(&p);
    zmq_msg_init(&p);
    if ((rc = next_msg(w, &m, &p, -1)))
      break;
    if (m.loop != loop)
      continue;
    if (m.type == EM_LOOP_END) {
      rc = m.rc;
      break;
    }
    if (m.type != EM_CHUNK || m.end < m.begin || m.end > L->n)
      continue;
    uint64_t k = m.end - m.begin;
    if (rs && k * rs > cap) {
      uint8_t *nr = realloc(recs, k * rs);
      if (!nr) {
        rc = PSW_ERR_NOMEM;
        break;
      }
      recs = nr;
      cap = k * rs;
    }
    double t0 = psw__mono_now();
    uint64_t i = m.begin;
    int trc = 0, cut = 0;
    for (; i < m.end; i++) {
      /* What is finished goes to the head at least every
       * PSW_ELASTIC_FLUSH_S (it journals it), and a stop of the head
       * ends the chunk after the task running; the rest goes back. */
      if (stopping(w, loop) ||
          (i > m.begin && psw__mono_now() - t0 >= PSW_ELASTIC_FLUSH_S)) {
        cut = 1;
        break;
      }
      /* The task fills an aligned record (malloc's), packed afterwards
       * behind the others for the message. */
      if (rs)
        memset(scratch, 0, rs);
      if ((trc = psw__loop_run(c, L, i, scratch)))
        break;
      if (rs)
        memcpy(recs + (i - m.begin) * rs, scratch, rs);
    }
    uint64_t ran = i - m.begin;
    /* Stopped by a signal: hand back what is left, and leave. */
    int leaving = trc == PSW_ERR_INTERRUPTED;
    struct psw_emsg d = {.type = EM_CHUNK_DONE,
                         .loop = m.loop,
                         .begin = m.begin,
                         .end = i,
                         .rc = leaving ? 0 : trc,
                         .kind = leaving ? CD_LEFT
                                 : cut   ? CD_CUT
                                         : CD_DONE,
                         .secs =
                             ran ? (psw__mono_now() - t0) / (double)ran : 0};
    if ((rc = send_hd(w, &d, recs, rs * ran)))
      break;
    if (leaving) {
      w->left = 1;
      rc = PSW_ERR_INTERRUPTED;
      break;
    }
  }
  zmq_msg_close(&p);
  free(recs);
  free(scratch);
  return rc;
}

int psw__eworker_loop(struct psw_eworker *w, psw_ctx_t *c,
                      const struct psw_loop *L) {
  if (w->left)
    return PSW_ERR_INTERRUPTED;
  w->looped = 1;
  struct psw_emsg hd = {.type = EM_LOOP_JOIN, .loop = ++w->loop_no};
  pthread_mutex_lock(&w->mu);
  w->cancel = L->opts.cancel;
  w->cancel_arg = L->opts.cancel_arg;
  w->cancel_loop = hd.loop;
  w->cancelled = 0;
  pthread_mutex_unlock(&w->mu);
  maybe_cancel(w); /* a cancel heard before this loop began */
  int rc = send_hd(w, &hd, NULL, 0);
  if (!rc)
    rc = run_chunks(w, c, L, hd.loop);
  pthread_mutex_lock(&w->mu);
  w->cancel = NULL;
  pthread_mutex_unlock(&w->mu);
  return rc;
}

void psw__eworker_abort(struct psw_eworker *w, int err) {
  struct psw_emsg hd = {.type = EM_ABORT, .rc = err};
  send_hd(w, &hd, NULL, 0);
}
