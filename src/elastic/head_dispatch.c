/* parsweep — elastic head: psw_for's dispatch. Chunks sized from each
 * worker's pace go out one per worker; records come back and reach the
 * sink once each; a stop of the head's run is forwarded to the workers;
 * a worker that waits while a loop runs joins it late. Uses only the
 * member table (head_member.c). */
#include <stdint.h>
#include <string.h>

#include "core/sched.h"
#include "elastic/head_impl.h"

/* After a cancel, seconds a worker has to return its chunk. */
#define CANCEL_WAIT_S 5.0

/* Records of one chunk travel in one message: at most this many bytes. */
#define CHUNK_BYTES (4u << 20)

int psw__eh_work_left(const struct hloop *lp) {
  return lp->next < lp->n || lp->nq > 0;
}

int psw__eh_stop_requested(const struct hloop *lp) {
  return lp->L->opts.stop &&
         __atomic_load_n(lp->L->opts.stop, __ATOMIC_RELAXED);
}

/* The head runs no task: a stop of its run goes to the workers of the
 * loop, on their heartbeat connections (their main threads may be busy in
 * a task). Drain: each ends its chunk after the task running; cancel: the
 * tasks running are cancelled too (opts.cancel on the worker). Each level
 * is sent once. */
void psw__eh_forward_stop(struct psw_ehead *h, struct hloop *lp) {
  int v = lp->L->opts.stop ? __atomic_load_n(lp->L->opts.stop, __ATOMIC_RELAXED)
                           : 0;
  int level = !v ? 0 : (v & PSW_STOP_CANCEL) ? 2 : 1;
  if (level <= lp->stop_sent) {
    /* A task that ignores its cancellation (a plugin run without
     * isolation) must not hold the head: the model's grace is 1 s. */
    if (lp->stop_sent == 2 && psw__mono_now() - lp->cancel_t > CANCEL_WAIT_S)
      for (int i = 0; i < h->nmem; i++)
        if (h->mem[i]->busy && h->mem[i]->state == MS_REGION)
          psw__eh_lose(h, h->mem[i], "its task did not end when cancelled", 0);
    return;
  }
  lp->stop_sent = level;
  lp->cancel_t = psw__mono_now();
  struct psw_emsg hd = {.type = EM_STOP,
                        .loop = lp->no,
                        .kind = level == 2 ? STOP_CANCEL : STOP_DRAIN};
  for (int i = 0; i < h->nmem; i++) {
    struct member *mb = h->mem[i];
    if (mb->state == MS_REGION && !mb->done && mb->hb_rid_len)
      psw__emsg_send(h->router, mb->hb_rid, mb->hb_rid_len, &hd, NULL, 0);
  }
}

void psw__eh_feed(struct psw_ehead *h, struct member *mb) {
  struct hloop *lp = h->loop;
  if (!lp || mb->state != MS_REGION || mb->joined != lp->no || mb->busy ||
      lp->rc || !psw__eh_work_left(lp))
    return;
  const psw_for_opts_t *o = &lp->L->opts;
  uint64_t b, e;
  uint64_t remaining = lp->n - lp->next;
  uint64_t c =
      psw__chunk_size(remaining ? remaining : 1, lp->workers ? lp->workers : 1,
                      o->min_chunk ? o->min_chunk : 1);
  /* One index first, to learn the pace; then ~5 ms of it per chunk. */
  uint64_t cap = mb->pace < 0 ? 1 : psw__chunk_cap(mb->pace);
  if (o->max_chunk && cap > o->max_chunk)
    cap = o->max_chunk;
  if (o->record_size && cap > CHUNK_BYTES / o->record_size)
    cap = CHUNK_BYTES / o->record_size ? CHUNK_BYTES / o->record_size : 1;
  if (lp->nq) {
    struct range *r = &lp->q[lp->nq - 1];
    uint64_t k = psw__chunk_fit(c, cap, 1, r->e - r->b);
    b = r->b;
    e = b + k;
    r->b = e;
    if (r->b == r->e)
      lp->nq--;
  } else {
    uint64_t k = psw__chunk_fit(c, cap, o->min_chunk, remaining);
    b = lp->next;
    e = b + k;
    lp->next = e;
  }
  mb->busy = 1;
  mb->b = b;
  mb->e = e;
  struct psw_emsg hd = {.type = EM_CHUNK, .loop = lp->no, .begin = b, .end = e};
  psw__eh_send(h, mb, &hd, NULL, 0);
}

void psw__eh_chunk_done(struct psw_ehead *h, struct member *mb,
                        const struct psw_emsg *hd, zmq_msg_t *p) {
  struct hloop *lp = h->loop;
  if (!lp || hd->loop != lp->no || !mb->busy || hd->begin != mb->b ||
      hd->end > mb->e)
    return;
  const psw_for_opts_t *o = &lp->L->opts;
  size_t rs = o->record_size;
  uint64_t k = hd->end - hd->begin;
  if (rs && zmq_msg_size(p) != k * rs) {
    psw__eh_lose(h, mb, "sent malformed records", 0);
    return;
  }
  const uint8_t *rec = zmq_msg_data(p);
  for (uint64_t i = hd->begin; i < hd->end; i++, rec += rs) {
    /* The sink reads the record as the task's struct: give it an aligned
     * copy (a frame's records are packed). */
    if (rs)
      memcpy(lp->scratch, rec, rs);
    /* Exactly once: a chunk handed out again after a false loss may
     * come back twice. */
    if (lp->done[i >> 3] & (1u << (i & 7)))
      continue;
    lp->done[i >> 3] |= (uint8_t)(1u << (i & 7));
    lp->ndone++;
    if (rs) {
      int src = o->sink(i, lp->scratch, o->sink_arg);
      if (src < 0 && !lp->rc)
        lp->rc = src;
    }
  }
  mb->busy = 0;
  if (k)
    mb->pace = hd->secs;
  if (hd->rc && !lp->rc)
    lp->rc = hd->rc;
  /* The rest of a chunk a worker ended early: it was stopped (and
   * leaves), or it hands back what it finished every PSW_ELASTIC_FLUSH_S
   * (it stays, and goes on with that rest unless the loop stops). */
  if (hd->kind != CD_DONE)
    psw__eh_requeue(lp, hd->end, mb->e);
  if (hd->kind == CD_LEFT)
    psw__eh_lose(h, mb, "left (stopped)", 1);
  else
    psw__eh_feed(h, mb);
}

/* A worker waiting for a region while a loop with work left runs: it joins
 * that loop (and only that: collectives are among the workers of the
 * region's start). */
void psw__eh_admit(struct psw_ehead *h, struct member *mb) {
  struct hloop *lp = h->loop;
  if (!h->in_region || !lp || lp->rc || !psw__eh_work_left(lp) ||
      h->abort_err || mb->state != MS_IDLE)
    return;
  mb->state = MS_REGION;
  mb->late = 1;
  mb->rank = h->next_late++;
  mb->done = mb->rc = 0;
  mb->joined = 0;
  mb->busy = 0;
  mb->pace = -1;
  mb->node = psw__eh_host_node(h, mb->host);
  struct psw_emsg hd = {.type = EM_START,
                        .rank = mb->rank,
                        .size = h->size,
                        .late = 1,
                        .node = mb->node,
                        .nodes = h->nhosts,
                        .lrank = 0,
                        .lsize = 1,
                        .seq = h->coll_seq,
                        .loop = lp->no - 1};
  PSW_INFO("elastic: worker %d (%s) joins the loop running as rank %d", mb->id,
           mb->host, mb->rank);
  psw__eh_send(h, mb, &hd, NULL, 0);
}
