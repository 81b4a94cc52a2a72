/* parsweep — elastic head: who may talk to it. A connection is accepted
 * only with the sweep's client key (CURVE on the router, the ZAP handler
 * of gate.c, open before the router binds); the keys and the address
 * reach the workers through the endpoint file, 0600, replaced by an end
 * mark when the head closes. Within the router, a worker is its id, its
 * token (given in WELCOME, checked on each heartbeat) and the connection
 * that said HELLO. Uses only the member table (head_member.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "elastic/head_impl.h"

static const char *opt_or_env(const char *opt, const char *env) {
  if (opt && *opt)
    return opt;
  const char *v = getenv(env);
  return v && *v ? v : NULL;
}

int psw__eh_listen(struct psw_ehead *h) {
  psw_manager_t *m = h->m;
  int rc = psw__eendpoint_keys(&h->ep);
  if (rc) {
    PSW_ERROR("elastic: this libzmq has no CURVE security");
    return rc;
  }
  const char *listen = opt_or_env(m->opts.elastic_listen, "PSW_ELASTIC_LISTEN");
  char addr[256];
  if ((rc = psw__eaddress(listen, addr, sizeof addr))) {
    PSW_ERROR("elastic: cannot listen on '%s': expected HOST:PORT, HOST a "
              "name that resolves, an address or an interface",
              listen);
    return rc;
  }
  h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  h->zctx = zmq_ctx_new();
  h->router = h->zctx ? zmq_socket(h->zctx, ZMQ_ROUTER) : NULL;
  int one = 1, zero = 0, linger = 1000, backlog = 4096;
  if (!h->router || psw__ecurve_server(h->router, &h->ep) ||
      zmq_setsockopt(h->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
      /* No limit on what queues while the head is busy (writing, or
       * copying a resumed file): dropped heartbeats would look like lost
       * workers. Each worker has one request in flight, plus heartbeats. */
      zmq_setsockopt(h->router, ZMQ_RCVHWM, &zero, sizeof zero) ||
      /* A joining storm (every node's srun at once): connections wait in
       * the kernel's queue, not refused (the kernel caps it at
       * net.core.somaxconn). ZeroMQ's default is 100. */
      zmq_setsockopt(h->router, ZMQ_BACKLOG, &backlog, sizeof backlog) ||
      zmq_setsockopt(h->router, ZMQ_LINGER, &linger, sizeof linger)) {
    return PSW_ERR_SYS;
  }
  /* Before the router binds: no connection comes before its check. */
  if ((rc = psw__egate_open(h->zctx, h->router, h->ep.client_public, &h->gate)))
    return rc;
  if (zmq_bind(h->router, addr)) {
    PSW_ERROR("elastic: cannot listen on %s: %s", addr, zmq_strerror(errno));
    return PSW_ERR_SYS;
  }
  size_t al = sizeof h->ep.address;
  zmq_getsockopt(h->router, ZMQ_LAST_ENDPOINT, h->ep.address, &al);
  const char *epath =
      opt_or_env(m->opts.elastic_endpoint, "PSW_ELASTIC_ENDPOINT");
  if (epath) {
    if (!(h->endpoint_path = strdup(epath)))
      return PSW_ERR_NOMEM;
    char err[512];
    if ((rc = psw__eendpoint_write(epath, &h->ep, err, sizeof err))) {
      PSW_ERROR("elastic: %s", err);
      free(h->endpoint_path);
      h->endpoint_path = NULL;
      return rc;
    }
  }
  PSW_INFO("elastic: head listening on %s%s%s", h->ep.address,
           epath ? ", endpoint " : "", epath ? epath : "");
  return 0;
}

void psw__eh_unlisten(struct psw_ehead *h) {
  /* The mark first: a worker whose connection drops from here on (one in
   * its handshake, one whose HELLO is not answered, one that starts
   * later) finds it and exits 0 saying the sweep ended, rather than
   * taking the drop for a refused key or a lost head. */
  if (h->spare_fd >= 0)
    close(h->spare_fd);
  if (h->endpoint_path) {
    char err[512];
    if (psw__eendpoint_end(h->endpoint_path, err, sizeof err)) {
      PSW_WARN("elastic: %s", err);
      unlink(h->endpoint_path);
    }
  }
}

void psw__eh_hello(struct psw_ehead *h, const uint8_t *rid, size_t rl,
                   const struct psw_emsg *hd, zmq_msg_t *p, double now) {
  struct member *mb;
  struct member **mem = realloc(h->mem, (size_t)(h->nmem + 1) * sizeof *mem);
  if (!mem || !(mb = calloc(1, sizeof *mb))) {
    if (mem)
      h->mem = mem;
    return;
  }
  h->mem = mem;
  h->mem[h->nmem++] = mb;
  mb->id = ++h->next_id;
  if (getrandom(&mb->token, sizeof mb->token, 0) != sizeof mb->token)
    mb->token = (uint64_t)now ^ ((uint64_t)mb->id << 32);
  memcpy(mb->rid, rid, rl);
  mb->rid_len = rl;
  size_t hl =
      zmq_msg_size(p) < sizeof mb->host ? zmq_msg_size(p) : sizeof mb->host - 1;
  memcpy(mb->host, zmq_msg_data(p), hl);
  mb->host[hl] = '\0';
  mb->pid = hd->pid;
  mb->state = MS_CONNECTED;
  mb->last_seen = now;
  mb->pace = -1;
  PSW_INFO("elastic: worker %d joined from %s (pid %d)", mb->id, mb->host,
           mb->pid);
  struct psw_emsg w = {.type = EM_WELCOME,
                       .id = mb->id,
                       .token = mb->token,
                       .secs = psw__eheartbeat_s()};
  psw__eh_send(h, mb, &w, h->m->opts.elastic_info, h->m->opts.elastic_info_len);
}

void psw__eh_heartbeat(struct psw_ehead *h, const uint8_t *rid, size_t rl,
                       const struct psw_emsg *hd, double now) {
  struct member *mb = psw__eh_by_id(h, hd->id);
  if (!mb || mb->token != hd->token || rl > sizeof mb->hb_rid)
    return;
  if (mb->state == MS_GONE) {
    /* Declared lost, yet alive (stopped, then continued): say so on
     * the connection it listens to even while it waits or computes. */
    struct psw_emsg bye = {
        .type = EM_BYE, .rc = PSW_ERR_PEER_LOST, .kind = BYE_LOST};
    psw__emsg_send(h->router, rid, rl, &bye, NULL, 0);
    return;
  }
  mb->last_seen = now;
  memcpy(mb->hb_rid, rid, rl);
  mb->hb_rid_len = rl;
}

struct member *psw__eh_sender(struct psw_ehead *h, const uint8_t *rid,
                              size_t rl, const struct psw_emsg *hd) {
  /* Every message after HELLO names its sender; the connection must be
   * the one that said HELLO. */
  struct member *mb = psw__eh_by_id(h, hd->id);
  if (mb && (mb->rid_len != rl || memcmp(mb->rid, rid, rl)))
    mb = NULL;
  if (mb && mb->state == MS_GONE) {
    /* Declared lost, yet alive (a stall longer than the timeout): its work
     * went to others; tell it to leave. */
    struct psw_emsg bye = {
        .type = EM_BYE, .rc = PSW_ERR_PEER_LOST, .kind = BYE_LOST};
    psw__emsg_send(h->router, mb->rid, mb->rid_len, &bye, NULL, 0);
    return NULL;
  }
  return mb;
}
