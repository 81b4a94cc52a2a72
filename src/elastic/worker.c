/* parsweep — elastic: a worker process. One DEALER socket to the head for
 * the work, and a thread with a socket of its own that sends heartbeats,
 * so that a long task does not look like a lost worker.
 *
 * This file holds the heartbeat thread, the connection to the head (the
 * next message, with the monitor's verdicts), create/destroy and a
 * region's start and end; a region's collectives are in worker_coll.c,
 * its psw_for loops in worker_loop.c (worker_impl.h between them). */
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

#include "elastic/worker_impl.h"

/* Call the loop's cancel hook once, if the head asked for it. */
void psw__ew_maybe_cancel(struct psw_eworker *w) {
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
    psw__ew_maybe_cancel(w);
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
int psw__ew_next_msg(struct psw_eworker *w, struct psw_emsg *hd, zmq_msg_t *p,
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
int psw__ew_expect(struct psw_eworker *w, int type, struct psw_emsg *hd,
                   zmq_msg_t *p, int timeout_ms) {
  for (;;) {
    zmq_msg_close(p);
    zmq_msg_init(p);
    int rc = psw__ew_next_msg(w, hd, p, timeout_ms);
    if (rc || hd->type == type)
      return rc;
  }
}

/* Every message names this worker (its id, once WELCOME gave one). */
int psw__ew_send(struct psw_eworker *w, const struct psw_emsg *hd,
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
  if ((rc = psw__ew_send(w, &hello, host, strlen(host))))
    goto fail;
  double wait_s = psw__etimeout_s() * 6;
  const char *cw = getenv("PSW_ELASTIC_CONNECT_TIMEOUT");
  if (cw && *cw && atof(cw) > 0)
    wait_s = atof(cw);
  struct psw_emsg hd;
  zmq_msg_t p;
  zmq_msg_init(&p);
  rc = psw__ew_expect(w, EM_WELCOME, &hd, &p, (int)(wait_s * 1000));
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
  /* A head that marked its file has ended, or is ending: no BYE. */
  if (w->sock && w->id && !w->lost && !ended(w)) {
    struct psw_emsg bye = {.type = EM_BYE};
    psw__ew_send(w, &bye, NULL, 0);
  }
  if (w->sock) {
    /* Refused or lost: nothing pending is worth a reconnection. Else the
     * BYE leaves within microseconds on a live connection; a head gone
     * since (it ended as we left) would keep it pending, ZeroMQ trying to
     * reconnect for the whole linger: 200 ms bounds that exit. */
    int ms = w->lost ? 0 : 200;
    zmq_setsockopt(w->sock, ZMQ_LINGER, &ms, sizeof ms);
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
  int rc = psw__ew_send(w, &hd, NULL, 0);
  if (rc)
    return rc;
  zmq_msg_t p;
  zmq_msg_init(&p);
  rc = psw__ew_expect(w, EM_START, &hd, &p, -1);
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
  if ((rc = psw__ew_send(w, &hd, NULL, 0)))
    return rc;
  zmq_msg_init(&p);
  rc = psw__ew_expect(w, EM_END, &hd, &p, -1);
  zmq_msg_close(&p);
  /* The head ended normally (its BYE, or its end mark, came before our
   * END): our part was done and handed in, so the region ends as ours
   * did, not as "the sweep ended" (a worker's region raced the head's end
   * in python.parallel's RayIo test). */
  if (rc == PSW_ERR_UNAVAILABLE)
    return mine;
  return rc ? rc : hd.rc;
}

void psw__eworker_abort(struct psw_eworker *w, int err) {
  struct psw_emsg hd = {.type = EM_ABORT, .rc = err};
  psw__ew_send(w, &hd, NULL, 0);
}
