/* parsweep — elastic head: the member table. Every worker that said HELLO
 * is a member for the head's lifetime; this file sends to members, loses
 * them (their chunk in flight back to the queue, their pending collective
 * dropped) and finds the silent ones. It is the bottom of the head's
 * pieces (head_impl.h): it calls none of the others. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elastic/head_impl.h"

/* Members are never removed (a lost one stays, GONE), and ids are their
 * places plus one: O(1) for every message, as a head may serve thousands
 * of workers. */
struct member *psw__eh_by_id(struct psw_ehead *h, int id) {
  return id >= 1 && id <= h->nmem && h->mem[id - 1]->id == id ? h->mem[id - 1]
                                                              : NULL;
}

void psw__eh_drop_coll(struct member *mb) {
  if (mb->coll) {
    zmq_msg_close(&mb->cp);
    mb->coll = 0;
  }
}

void psw__eh_requeue(struct hloop *lp, uint64_t b, uint64_t e) {
  if (b >= e)
    return;
  if (lp->nq == lp->qcap) {
    size_t cap = lp->qcap ? 2 * lp->qcap : 16;
    struct range *q = realloc(lp->q, cap * sizeof *q);
    if (!q) {
      lp->rc = lp->rc ? lp->rc : PSW_ERR_NOMEM;
      return;
    }
    lp->q = q;
    lp->qcap = cap;
  }
  lp->q[lp->nq++] = (struct range){b, e};
}

/* A worker is gone: its chunk in flight goes back to the queue. */
void psw__eh_lose(struct psw_ehead *h, struct member *mb, const char *why,
                  int quiet) {
  if (mb->state == MS_GONE)
    return;
  uint64_t inflight = mb->busy ? mb->e - mb->b : 0;
  if (quiet)
    PSW_INFO("elastic: worker %d (%s, pid %d) %s", mb->id, mb->host, mb->pid,
             why);
  else
    PSW_WARN("elastic: worker %d (%s, pid %d) lost: %s; %llu task(s) in "
             "flight go to others",
             mb->id, mb->host, mb->pid, why, (unsigned long long)inflight);
  if (mb->busy && h->loop && mb->joined == h->loop->no)
    psw__eh_requeue(h->loop, mb->b, mb->e);
  mb->busy = 0;
  psw__eh_drop_coll(mb);
  if (mb->state == MS_REGION && !mb->done && !mb->late && mb->rank < h->size)
    h->lost_rank = 1;
  mb->state = MS_GONE;
}

void psw__eh_send(struct psw_ehead *h, struct member *mb,
                  const struct psw_emsg *hd, const void *p, size_t len) {
  if (mb->state == MS_GONE)
    return;
  if (psw__emsg_send(h->router, mb->rid, mb->rid_len, hd, p, len))
    psw__eh_lose(h, mb, errno == EHOSTUNREACH ? "disconnected" : "cannot send",
                 0);
}

void psw__eh_reply_coll(struct psw_ehead *h, struct member *mb, int rc,
                        const void *p, size_t len) {
  struct psw_emsg r = {.type = EM_COLL_REPLY, .seq = mb->ch.seq, .rc = rc};
  /* p may point into mb's own contribution: free it after sending. */
  psw__eh_send(h, mb, &r, p, len);
  psw__eh_drop_coll(mb);
}

void psw__eh_set_abort(struct psw_ehead *h, int err) {
  if (!h->in_region || h->abort_err)
    return;
  h->abort_err = err;
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->coll)
      psw__eh_reply_coll(h, h->mem[i], err, NULL, 0);
  if (h->loop && !h->loop->rc)
    h->loop->rc = err;
}

/* Node id of a host name in the region running: the head's host is 0,
 * others numbered as they first appear (ranks in order, then late
 * joiners). */
int psw__eh_host_node(struct psw_ehead *h, const char *host) {
  for (int i = 0; i < h->nhosts; i++)
    if (!strcmp(h->hosts[i], host))
      return i;
  char(*hosts)[64] = realloc(h->hosts, (size_t)(h->nhosts + 1) * sizeof *hosts);
  if (!hosts)
    return 0;
  h->hosts = hosts;
  snprintf(h->hosts[h->nhosts], sizeof h->hosts[0], "%s", host);
  return h->nhosts++;
}

void psw__eh_check_liveness(struct psw_ehead *h) {
  double now = psw__mono_now();
  for (int i = 0; i < h->nmem; i++) {
    struct member *mb = h->mem[i];
    if (mb->state != MS_GONE && now - mb->last_seen > h->timeout) {
      char why[64];
      snprintf(why, sizeof why, "no heartbeat for %.1f s", now - mb->last_seen);
      psw__eh_lose(h, mb, why, 0);
    }
  }
}
