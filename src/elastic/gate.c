/* parsweep — elastic: who may connect to the head. A thread of its own
 * answers ZeroMQ's ZAP requests (only the sweep's client public key gets
 * in) and watches the router's handshakes: a worker whose key pair does
 * not match (a tampered client secret, another server key) fails CURVE's
 * handshake before any ZAP request is made, and is logged here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <zmq.h>

#include "elastic/elastic.h"

#define MONITOR "inproc://psw-elastic-head-monitor"
/* Peers remembered between a connection's accept and its end: the last
 * ones accepted (a failed handshake ends soon after its accept; thousands
 * of healthy workers stay connected and are overwritten). */
#define PEERS 64

struct peer {
  int fd;
  char addr[64];
};

struct psw_egate {
  void *zap, *mon;
  pthread_t th;
  int started;
  atomic_int stop;
  uint8_t key[32];
  struct peer peers[PEERS];
  unsigned next;  /* the slot of the next accept */
  int failed;     /* a handshake failed: the next disconnection says who */
  char last[256]; /* the last refused address, since last_t: count */
  double last_t;
  int count;
  double accept_t; /* the last "cannot accept" line */
};

/* One line per refused worker (its own retries stop at once: it closes
 * without lingering), but a client that retries for ever is not allowed
 * to flood the log: 5 lines per address per 10 s. */
static void refused(struct psw_egate *g, const char *from) {
  double now = psw__mono_now();
  if (strcmp(from, g->last) || now - g->last_t >= 10) {
    snprintf(g->last, sizeof g->last, "%s", from);
    g->last_t = now;
    g->count = 0;
  }
  if (++g->count <= 5)
    PSW_WARN("elastic: refused a worker from %s: its key is not this "
             "sweep's%s",
             from,
             g->count == 5 ? " (more from there within 10 s go unlogged)" : "");
}

static int zap_frame(void *s, char *buf, size_t cap, size_t *len) {
  int n = zmq_recv(s, buf, cap, 0);
  if (n < 0)
    return -1;
  *len = (size_t)n < cap ? (size_t)n : cap;
  return 0;
}

/* One ZAP request (RFC 27): version, request id, domain, address, routing
 * id, mechanism, credentials... */
static void zap_answer(struct psw_egate *g) {
  char f[7][256];
  size_t len[7] = {0};
  int k = 0, more = 1;
  size_t sz = sizeof more;
  while (more && k < 7) {
    if (zap_frame(g->zap, f[k], sizeof f[k] - 1, &len[k]))
      break;
    f[k][len[k]] = '\0';
    k++;
    zmq_getsockopt(g->zap, ZMQ_RCVMORE, &more, &sz);
  }
  while (more) { /* any further credential frames */
    char junk[256];
    if (zmq_recv(g->zap, junk, sizeof junk, 0) < 0)
      break;
    zmq_getsockopt(g->zap, ZMQ_RCVMORE, &more, &sz);
  }
  if (k < 2)
    return;
  int ok = k == 7 && len[5] == 5 && !memcmp(f[5], "CURVE", 5) && len[6] == 32 &&
           !memcmp(f[6], g->key, 32);
  if (!ok)
    refused(g, k > 3 ? f[3] : "?");
  zmq_send(g->zap, "1.0", 3, ZMQ_SNDMORE);
  zmq_send(g->zap, f[1], len[1], ZMQ_SNDMORE);
  zmq_send(g->zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
  zmq_send(g->zap, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
  zmq_send(g->zap, "", 0, ZMQ_SNDMORE);
  zmq_send(g->zap, "", 0, 0);
}

/* The latest accepted connection with descriptor fd (descriptors are
 * reused). */
static struct peer *peer_of(struct psw_egate *g, int fd) {
  for (unsigned k = 1; k <= PEERS; k++) {
    struct peer *p = &g->peers[(g->next - k) % PEERS];
    if (p->fd == fd)
      return p;
  }
  return NULL;
}

/* The IP address of the peer of a connection just accepted. */
static void peer_address(int fd, char *out, size_t len) {
  struct sockaddr_storage sa;
  socklen_t sl = sizeof sa;
  const void *ip = NULL;
  memset(&sa, 0, sizeof sa);
  snprintf(out, len, "an unknown address");
  if (getpeername(fd, (struct sockaddr *)&sa, &sl) != 0)
    return;
  if (sa.ss_family == AF_INET)
    ip = &((const struct sockaddr_in *)(const void *)&sa)->sin_addr;
  else if (sa.ss_family == AF_INET6)
    ip = &((const struct sockaddr_in6 *)(const void *)&sa)->sin6_addr;
  char buf[INET6_ADDRSTRLEN];
  if (ip && inet_ntop(sa.ss_family, ip, buf, sizeof buf))
    snprintf(out, len, "%s", buf);
}

/* One monitor event. libzmq (one I/O thread) reports a failed handshake
 * and then that connection's disconnection, which names its descriptor:
 * its peer's address was noted when it was accepted. Only cryptographic
 * failures are a worker with the wrong key; a port scanner's junk is a
 * protocol error of another kind, not logged. */
static void mon_event(struct psw_egate *g) {
  uint8_t ev[6];
  char addr[256];
  int r = zmq_recv(g->mon, ev, sizeof ev, 0);
  if (zmq_recv(g->mon, addr, sizeof addr, 0) < 0 || r != 6)
    return;
  uint16_t event;
  uint32_t value;
  memcpy(&event, ev, 2);
  memcpy(&value, ev + 2, 4);
  if (event == ZMQ_EVENT_ACCEPT_FAILED) {
    /* Out of descriptors: the worker waits in the backlog (ZeroMQ retries
     * the accept); say why, at most once per 10 s. */
    double now = psw__mono_now();
    if (now - g->accept_t >= 10) {
      struct rlimit rl;
      getrlimit(RLIMIT_NOFILE, &rl);
      g->accept_t = now;
      PSW_WARN("elastic: cannot accept a worker: %s (RLIMIT_NOFILE %llu, 2 "
               "per worker): raise the hard limit (ulimit -Hn)",
               strerror((int)value), (unsigned long long)rl.rlim_cur);
    }
  } else if (event == ZMQ_EVENT_ACCEPTED) {
    struct peer *p = &g->peers[g->next++ % PEERS];
    p->fd = (int)value;
    peer_address((int)value, p->addr, sizeof p->addr);
  } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    g->failed = value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC;
  } else if (event == ZMQ_EVENT_DISCONNECTED) {
    struct peer *p = peer_of(g, (int)value);
    if (g->failed)
      refused(g, p ? p->addr : "an unknown address");
    g->failed = 0;
    if (p)
      p->fd = -1;
  }
}

static void *gate_main(void *arg) {
  struct psw_egate *g = arg;
  while (!atomic_load(&g->stop)) {
    zmq_pollitem_t it[2] = {{g->zap, 0, ZMQ_POLLIN, 0},
                            {g->mon, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(it, g->mon ? 2 : 1, 100) <= 0)
      continue;
    if (it[0].revents & ZMQ_POLLIN)
      zap_answer(g);
    if (g->mon && (it[1].revents & ZMQ_POLLIN))
      mon_event(g);
  }
  return NULL;
}

int psw__egate_open(void *zctx, void *router, const char *client_public,
                    struct psw_egate **out) {
  struct psw_egate *g = calloc(1, sizeof *g);
  if (!g)
    return PSW_ERR_NOMEM;
  for (int i = 0; i < PEERS; i++)
    g->peers[i].fd = -1;
  zmq_z85_decode(g->key, client_public);
  g->zap = zmq_socket(zctx, ZMQ_REP);
  if (!g->zap || zmq_bind(g->zap, "inproc://zeromq.zap.01")) {
    psw__egate_close(g);
    return PSW_ERR_SYS;
  }
  /* The watch is a courtesy (a log line): a head runs without it. */
  if (zmq_socket_monitor(router, MONITOR,
                         ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED |
                             ZMQ_EVENT_DISCONNECTED |
                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
    g->mon = zmq_socket(zctx, ZMQ_PAIR);
    if (g->mon && zmq_connect(g->mon, MONITOR)) {
      zmq_close(g->mon);
      g->mon = NULL;
    }
  }
  if (pthread_create(&g->th, NULL, gate_main, g)) {
    psw__egate_close(g);
    return PSW_ERR_SYS;
  }
  g->started = 1;
  *out = g;
  return 0;
}

void psw__egate_close(struct psw_egate *g) {
  if (!g)
    return;
  if (g->started) {
    atomic_store(&g->stop, 1);
    pthread_join(g->th, NULL);
  }
  if (g->mon)
    zmq_close(g->mon);
  if (g->zap)
    zmq_close(g->zap);
  free(g);
}
