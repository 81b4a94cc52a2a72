/* parsweep — elastic: the head. It runs rank 0 of every region on the
 * calling thread, and serves the workers from inside the calls that wait
 * (collectives, psw_for, the region's start and end): there is no service
 * thread to race with, only the ZAP handler, which checks keys. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "core/dtype.h"
#include "core/sched.h"
#include "elastic/elastic.h"

enum { MS_CONNECTED, MS_IDLE, MS_REGION, MS_GONE };

/* After a cancel, seconds a worker has to return its chunk. */
#define CANCEL_WAIT_S 5.0

/* Records of one chunk travel in one message: at most this many bytes. */
#define CHUNK_BYTES (4u << 20)

struct member {
  int id;
  uint64_t token;
  uint8_t rid[256];
  size_t rid_len;
  uint8_t hb_rid[256]; /* its heartbeat connection: STOP and BYE go there
                          while its main thread runs a task */
  size_t hb_rid_len;
  char host[64];
  int pid;
  int state;
  double last_seen;
  /* in a region */
  int rank, late, node, lrank, lsize;
  int done, rc; /* REGION_DONE received, and its rc */
  int coll;     /* a collective is pending: ch, cp */
  struct psw_emsg ch;
  zmq_msg_t cp;
  uint64_t joined; /* the loop it waits in */
  int busy;        /* chunk [b, e) in flight */
  uint64_t b, e;
  double pace; /* seconds per task of its last chunk; < 0 unknown */
};

struct range {
  uint64_t b, e;
};

struct hloop {
  const struct psw_loop *L;
  uint64_t no, n, next;
  uint8_t *done;
  uint64_t ndone;
  struct range *q; /* chunks of lost workers, to hand out again */
  void *scratch;   /* one aligned record for the sink */
  int workers;     /* in the loop, as of the last pass over the members */
  size_t nq, qcap;
  int rc;
  int stop_sent;   /* the stop forwarded to the workers: 0, 1 drain, 2 cancel */
  double cancel_t; /* when the cancel was sent */
};

struct psw_ehead {
  psw_manager_t *m;
  void *zctx, *router;
  struct psw_egate *gate; /* who may connect (gate.c) */
  psw_eendpoint_t ep;
  char *endpoint_path;
  /* A descriptor held back from the start, closed to write the end mark:
   * a storm that took every other one must not leave workers without it. */
  int spare_fd;
  int min_workers;
  double timeout, last_wait_log;
  struct member **mem;
  int nmem, next_id;
  char host[64];
  /* the region running */
  int in_region, size, abort_err, lost_rank;
  uint64_t coll_seq, loop_no;
  int next_late;
  char (*hosts)[64]; /* node names of the region: index = node id */
  int nhosts;
  struct hloop *loop;
};

static void send_to(struct psw_ehead *h, struct member *mb,
                    const struct psw_emsg *hd, const void *p, size_t len);

/* --- members ---------------------------------------------------------------
 */

/* Members are never removed (a lost one stays, GONE), and ids are their
 * places plus one: O(1) for every message, as a head may serve thousands
 * of workers. */
static struct member *by_id(struct psw_ehead *h, int id) {
  return id >= 1 && id <= h->nmem && h->mem[id - 1]->id == id ? h->mem[id - 1]
                                                              : NULL;
}

static void drop_coll(struct member *mb) {
  if (mb->coll) {
    zmq_msg_close(&mb->cp);
    mb->coll = 0;
  }
}

static void requeue(struct hloop *lp, uint64_t b, uint64_t e) {
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
static void lose(struct psw_ehead *h, struct member *mb, const char *why,
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
    requeue(h->loop, mb->b, mb->e);
  mb->busy = 0;
  drop_coll(mb);
  if (mb->state == MS_REGION && !mb->done && !mb->late && mb->rank < h->size)
    h->lost_rank = 1;
  mb->state = MS_GONE;
}

static void send_to(struct psw_ehead *h, struct member *mb,
                    const struct psw_emsg *hd, const void *p, size_t len) {
  if (mb->state == MS_GONE)
    return;
  if (psw__emsg_send(h->router, mb->rid, mb->rid_len, hd, p, len))
    lose(h, mb, errno == EHOSTUNREACH ? "disconnected" : "cannot send", 0);
}

static void reply_coll(struct psw_ehead *h, struct member *mb, int rc,
                       const void *p, size_t len) {
  struct psw_emsg r = {.type = EM_COLL_REPLY, .seq = mb->ch.seq, .rc = rc};
  /* p may point into mb's own contribution: free it after sending. */
  send_to(h, mb, &r, p, len);
  drop_coll(mb);
}

static void set_abort(struct psw_ehead *h, int err) {
  if (!h->in_region || h->abort_err)
    return;
  h->abort_err = err;
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->coll)
      reply_coll(h, h->mem[i], err, NULL, 0);
  if (h->loop && !h->loop->rc)
    h->loop->rc = err;
}

/* --- psw_for: handing out chunks ------------------------------------------ */

static int work_left(const struct hloop *lp) {
  return lp->next < lp->n || lp->nq > 0;
}

static int stop_requested(const struct hloop *lp) {
  return lp->L->opts.stop &&
         __atomic_load_n(lp->L->opts.stop, __ATOMIC_RELAXED);
}

/* The head runs no task: a stop of its run goes to the workers of the
 * loop, on their heartbeat connections (their main threads may be busy in
 * a task). Drain: each ends its chunk after the task running; cancel: the
 * tasks running are cancelled too (opts.cancel on the worker). Each level
 * is sent once. */
static void forward_stop(struct psw_ehead *h, struct hloop *lp) {
  int v = lp->L->opts.stop ? __atomic_load_n(lp->L->opts.stop, __ATOMIC_RELAXED)
                           : 0;
  int level = !v ? 0 : (v & PSW_STOP_CANCEL) ? 2 : 1;
  if (level <= lp->stop_sent) {
    /* A task that ignores its cancellation (a plugin run without
     * isolation) must not hold the head: the model's grace is 1 s. */
    if (lp->stop_sent == 2 && psw__mono_now() - lp->cancel_t > CANCEL_WAIT_S)
      for (int i = 0; i < h->nmem; i++)
        if (h->mem[i]->busy && h->mem[i]->state == MS_REGION)
          lose(h, h->mem[i], "its task did not end when cancelled", 0);
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

static void feed(struct psw_ehead *h, struct member *mb) {
  struct hloop *lp = h->loop;
  if (!lp || mb->state != MS_REGION || mb->joined != lp->no || mb->busy ||
      lp->rc || !work_left(lp))
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
  send_to(h, mb, &hd, NULL, 0);
}

static void chunk_done(struct psw_ehead *h, struct member *mb,
                       const struct psw_emsg *hd, zmq_msg_t *p) {
  struct hloop *lp = h->loop;
  if (!lp || hd->loop != lp->no || !mb->busy || hd->begin != mb->b ||
      hd->end > mb->e)
    return;
  const psw_for_opts_t *o = &lp->L->opts;
  size_t rs = o->record_size;
  uint64_t k = hd->end - hd->begin;
  if (rs && zmq_msg_size(p) != k * rs) {
    lose(h, mb, "sent malformed records", 0);
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
    requeue(lp, hd->end, mb->e);
  if (hd->kind == CD_LEFT)
    lose(h, mb, "left (stopped)", 1);
  else
    feed(h, mb);
}

/* --- regions ---------------------------------------------------------------
 */

/* Node id of a host name in the region running: the head's host is 0,
 * others numbered as they first appear (ranks in order, then late
 * joiners). */
static int host_node(struct psw_ehead *h, const char *host) {
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

/* A worker waiting for a region while a loop with work left runs: it joins
 * that loop (and only that: collectives are among the workers of the
 * region's start). */
static void maybe_admit(struct psw_ehead *h, struct member *mb) {
  struct hloop *lp = h->loop;
  if (!h->in_region || !lp || lp->rc || !work_left(lp) || h->abort_err ||
      mb->state != MS_IDLE)
    return;
  mb->state = MS_REGION;
  mb->late = 1;
  mb->rank = h->next_late++;
  mb->done = mb->rc = 0;
  mb->joined = 0;
  mb->busy = 0;
  mb->pace = -1;
  mb->node = host_node(h, mb->host);
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
  send_to(h, mb, &hd, NULL, 0);
}

static void handle(struct psw_ehead *h, const uint8_t *rid, size_t rl,
                   const struct psw_emsg *hd, zmq_msg_t *p) {
  double now = psw__mono_now();
  if (hd->type == EM_HB) {
    struct member *mb = by_id(h, hd->id);
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
    return;
  }
  /* Every message after HELLO names its sender; the connection must be
   * the one that said HELLO. */
  struct member *mb = by_id(h, hd->id);
  if (mb && (mb->rid_len != rl || memcmp(mb->rid, rid, rl)))
    mb = NULL;
  if (hd->type == EM_HELLO) {
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
    size_t hl = zmq_msg_size(p) < sizeof mb->host ? zmq_msg_size(p)
                                                  : sizeof mb->host - 1;
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
    send_to(h, mb, &w, h->m->opts.elastic_info, h->m->opts.elastic_info_len);
    return;
  }
  if (!mb)
    return;
  if (mb->state == MS_GONE) {
    /* Declared lost, yet alive (a stall longer than the timeout): its work
     * went to others; tell it to leave. */
    struct psw_emsg bye = {
        .type = EM_BYE, .rc = PSW_ERR_PEER_LOST, .kind = BYE_LOST};
    psw__emsg_send(h->router, mb->rid, mb->rid_len, &bye, NULL, 0);
    return;
  }
  mb->last_seen = now;
  switch (hd->type) {
  case EM_READY:
    mb->state = MS_IDLE;
    maybe_admit(h, mb);
    break;
  case EM_COLL:
    if (mb->state != MS_REGION)
      break;
    drop_coll(mb);
    mb->ch = *hd;
    zmq_msg_init(&mb->cp);
    zmq_msg_move(&mb->cp, p);
    mb->coll = 1;
    if (h->abort_err)
      reply_coll(h, mb, h->abort_err, NULL, 0);
    else if (mb->late && hd->kind != EC_BARRIER && hd->kind != EC_BCAST)
      reply_coll(h, mb, PSW_ERR_INVAL, NULL, 0);
    break;
  case EM_LOOP_JOIN:
    if (mb->state != MS_REGION)
      break;
    mb->joined = hd->loop;
    if (h->loop && hd->loop == h->loop->no)
      feed(h, mb);
    break;
  case EM_CHUNK_DONE:
    chunk_done(h, mb, hd, p);
    break;
  case EM_REGION_DONE:
    if (mb->state == MS_REGION) {
      mb->done = 1;
      mb->rc = hd->rc;
    }
    break;
  case EM_ABORT:
    set_abort(h, hd->rc ? hd->rc : PSW_ERR_ABORTED);
    break;
  case EM_BYE:
    lose(h, mb, "left", 1);
    break;
  default:
    break;
  }
}

static void check_liveness(struct psw_ehead *h) {
  double now = psw__mono_now();
  for (int i = 0; i < h->nmem; i++) {
    struct member *mb = h->mem[i];
    if (mb->state != MS_GONE && now - mb->last_seen > h->timeout) {
      char why[64];
      snprintf(why, sizeof why, "no heartbeat for %.1f s", now - mb->last_seen);
      lose(h, mb, why, 0);
    }
  }
}

/* Serve every message waiting (at least one wait of timeout_ms), then look
 * for lost workers: a head that was busy for a while first reads the
 * heartbeats that queued meanwhile. */
static void pump(struct psw_ehead *h, int timeout_ms) {
  for (int first = 1;; first = 0) {
    uint8_t rid[256];
    size_t rl = sizeof rid;
    struct psw_emsg hd;
    zmq_msg_t p;
    zmq_msg_init(&p);
    int rc =
        psw__emsg_recv(h->router, rid, &rl, &hd, &p, first ? timeout_ms : 0);
    if (rc == 0)
      handle(h, rid, rl, &hd, &p);
    zmq_msg_close(&p);
    if (rc == PSW_ERR_TIMEOUT || rc == PSW_ERR_SYS)
      break;
  }
  check_liveness(h);
}

static int count_state(struct psw_ehead *h, int state) {
  int n = 0;
  for (int i = 0; i < h->nmem; i++)
    n += h->mem[i]->state == state;
  return n;
}

int psw__ehead_parallel(struct psw_ehead *h, psw_manager_t *m, psw_region_fn fn,
                        void *arg) {
  /* Wait for the workers asked for; those that said READY form the region
   * with ranks 1.. in order of joining. */
  double t0 = psw__mono_now(), logged = t0;
  while (count_state(h, MS_IDLE) < h->min_workers) {
    pump(h, 100);
    if (psw__mono_now() - logged > 10) {
      logged = psw__mono_now();
      PSW_INFO("elastic: %d of %d workers ready after %.0f s; waiting",
               count_state(h, MS_IDLE), h->min_workers, logged - t0);
    }
  }
  pump(h, 0);
  int size = 1;
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_IDLE) {
      struct member *mb = h->mem[i];
      mb->state = MS_REGION;
      mb->rank = size++;
      mb->late = mb->done = mb->rc = 0;
      mb->joined = 0;
      mb->busy = 0;
      drop_coll(mb);
    }
  h->size = size;
  h->in_region = 1;
  h->abort_err = h->lost_rank = 0;
  h->next_late = size;
  m->num_workers = size;
  /* Node layout: one node per host name, the head's first. */
  h->nhosts = 0;
  host_node(h, h->host);
  int *lcount = calloc((size_t)size + 1, sizeof *lcount);
  if (!lcount)
    return PSW_ERR_NOMEM;
  lcount[0] = 1;
  for (int r = 1; r < size; r++)
    for (int i = 0; i < h->nmem; i++)
      if (h->mem[i]->state == MS_REGION && h->mem[i]->rank == r) {
        struct member *mb = h->mem[i];
        mb->node = host_node(h, mb->host);
        mb->lrank = lcount[mb->node]++;
      }
  int nodes = h->nhosts;
  for (int i = 0; i < h->nmem; i++) {
    struct member *mb = h->mem[i];
    if (mb->state != MS_REGION)
      continue;
    mb->lsize = lcount[mb->node];
    struct psw_emsg hd = {.type = EM_START,
                          .rank = mb->rank,
                          .size = size,
                          .node = mb->node,
                          .nodes = nodes,
                          .lrank = mb->lrank,
                          .lsize = mb->lsize,
                          .seq = h->coll_seq,
                          .loop = h->loop_no};
    send_to(h, mb, &hd, NULL, 0);
  }
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, m, 0, size);
  ctx.num_nodes = nodes;
  ctx.local_size = lcount[0];
  ctx.local_rank = 0;
  free(lcount);
  int rc = fn(&ctx, arg);
  if (rc)
    set_abort(h, PSW_ERR_ABORTED);
  /* Every worker of the region (start and late) reports, or is lost. */
  for (;;) {
    int waiting = 0;
    for (int i = 0; i < h->nmem; i++)
      waiting += h->mem[i]->state == MS_REGION && !h->mem[i]->done;
    if (!waiting)
      break;
    pump(h, 100);
  }
  for (int r = 1; r < size && !rc; r++)
    for (int i = 0; i < h->nmem; i++)
      if (h->mem[i]->state == MS_REGION && h->mem[i]->rank == r &&
          h->mem[i]->rc)
        rc = h->mem[i]->rc;
  /* A late joiner is not one of the region's workers: its failure (a
   * model that would not start on its node) is its own, and the others
   * did its share. */
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_REGION && h->mem[i]->late && h->mem[i]->rc &&
        h->mem[i]->rc != PSW_ERR_INTERRUPTED)
      PSW_WARN("elastic: worker %d (%s, pid %d) left the region: %s",
               h->mem[i]->id, h->mem[i]->host, h->mem[i]->pid,
               psw_strerror(h->mem[i]->rc));
  struct psw_emsg end = {.type = EM_END, .rc = rc};
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_REGION) {
      send_to(h, h->mem[i], &end, NULL, 0);
      if (h->mem[i]->state == MS_REGION)
        h->mem[i]->state = MS_CONNECTED;
    }
  h->in_region = 0;
  return rc;
}

/* --- collectives -----------------------------------------------------------
 */

/* Does this collective need mb's contribution? Late joiners take part in
 * barriers and broadcasts only. */
static int expected(const struct psw_ehead *h, const struct member *mb,
                    int kind) {
  (void)h;
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

int psw__ehead_coll(struct psw_ehead *h, psw_ctx_t *c, int kind, int root,
                    psw_type_t type, psw_op_t op, const void *sendbuf,
                    size_t sendbytes, void *recvbuf, size_t recvbytes,
                    const size_t *counts, const size_t *displs) {
  uint64_t seq = ++h->coll_seq;
  int size = c->size;
  /* Wait for every contribution. */
  for (;;) {
    if (h->abort_err)
      return h->abort_err;
    int data = kind != EC_BARRIER && kind != EC_BCAST;
    if ((data && h->lost_rank) ||
        (kind == EC_BCAST && root > 0 && !of_rank(h, root))) {
      set_abort(h, PSW_ERR_PEER_LOST);
      return PSW_ERR_PEER_LOST;
    }
    int missing = 0;
    for (int i = 0; i < h->nmem; i++) {
      struct member *mb = h->mem[i];
      if (!expected(h, mb, kind))
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
        set_abort(h, PSW_ERR_MISMATCH);
        return PSW_ERR_MISMATCH;
      }
    }
    if (!missing)
      break;
    pump(h, 20);
  }
  int rc = 0;
  size_t esz = psw_type_size(type);
  switch (kind) {
  case EC_BARRIER:
    break;
  case EC_BCAST: {
    size_t len;
    const void *src = contrib(h, root, sendbuf, sendbytes, &len);
    if (len != sendbytes) {
      rc = PSW_ERR_MISMATCH;
      break;
    }
    if (root != 0)
      psw__copy(recvbuf, src, len);
    /* Every worker but the root gets the bytes (late joiners too). */
    for (int i = 0; i < h->nmem; i++) {
      struct member *mb = h->mem[i];
      if (expected(h, mb, kind) && !(mb->rank == root && !mb->late))
        reply_coll(h, mb, 0, recvbuf, len);
    }
    break;
  }
  case EC_SCATTERV: {
    size_t len;
    const uint8_t *src = contrib(h, root, sendbuf, sendbytes, &len);
    if (len < 2 * (size_t)size * sizeof(uint64_t)) {
      rc = PSW_ERR_MISMATCH;
      break;
    }
    /* Payload frames need not be aligned: read the sizes by copy. */
    uint64_t *cnt = malloc(2 * (size_t)size * sizeof(uint64_t)), *dsp;
    if (!cnt) {
      rc = PSW_ERR_NOMEM;
      break;
    }
    memcpy(cnt, src, 2 * (size_t)size * sizeof(uint64_t));
    dsp = cnt + size;
    const uint8_t *data = src + 2 * (size_t)size * sizeof(uint64_t);
    size_t extent = len - 2 * (size_t)size * sizeof(uint64_t);
    for (int r = 0; r < size && !rc; r++)
      if (dsp[r] > extent || cnt[r] > extent - dsp[r])
        rc = PSW_ERR_MISMATCH;
    if (!rc) {
      psw__copy(recvbuf, data + dsp[0],
                cnt[0] < recvbytes ? cnt[0] : recvbytes);
      /* The root's own slice last: its message holds every slice. */
      for (int k = 1; k <= size; k++) {
        int r = k < size ? (k == root ? 0 : k) : root;
        struct member *mb = r > 0 ? of_rank(h, r) : NULL;
        if (mb)
          reply_coll(h, mb, 0, data + dsp[r], cnt[r]);
      }
    }
    free(cnt);
    break;
  }
  case EC_GATHERV: {
    /* Reply: the length of every rank's piece, then the pieces. */
    size_t total = (size_t)size * sizeof(uint64_t);
    for (int r = 0; r < size; r++) {
      size_t len;
      contrib(h, r, sendbuf, sendbytes, &len);
      total += len;
    }
    uint8_t *out = malloc(total);
    if (!out) {
      rc = PSW_ERR_NOMEM;
      break;
    }
    uint64_t *lens = (uint64_t *)out;
    uint8_t *at = out + (size_t)size * sizeof(uint64_t);
    for (int r = 0; r < size; r++) {
      size_t len;
      const void *src = contrib(h, r, sendbuf, sendbytes, &len);
      lens[r] = len;
      psw__copy(at, src, len);
      if (root <= 0) { /* the head receives: place by its displs */
        size_t n = len < counts[r] ? len : counts[r];
        psw__copy((uint8_t *)recvbuf + displs[r], src, n);
      }
      at += len;
    }
    for (int r = 1; r < size; r++) {
      struct member *mb = of_rank(h, r);
      if (mb)
        reply_coll(h, mb, 0, root < 0 || root == r ? out : NULL,
                   root < 0 || root == r ? total : 0);
    }
    free(out);
    break;
  }
  case EC_REDUCE: {
    size_t nbytes = sendbytes;
    uint8_t *acc = malloc(nbytes ? 2 * nbytes : 1), *in = acc + nbytes;
    if (!acc) {
      rc = PSW_ERR_NOMEM;
      break;
    }
    /* In rank order, as every rank would combine them. */
    psw__copy(acc, sendbuf, nbytes);
    for (int r = 1; r < size && !rc; r++) {
      size_t len;
      const void *src = contrib(h, r, NULL, 0, &len);
      if (len != nbytes)
        rc = PSW_ERR_MISMATCH;
      else if (nbytes) { /* aligned: a frame need not be */
        memcpy(in, src, nbytes);
        psw__op_apply(acc, in, nbytes / esz, type, op);
      }
    }
    if (rc) {
      free(acc);
      break;
    }
    if (root <= 0)
      psw__copy(recvbuf, acc, nbytes);
    for (int r = 1; r < size; r++) {
      struct member *mb = of_rank(h, r);
      if (mb)
        reply_coll(h, mb, 0, root < 0 || root == r ? acc : NULL,
                   root < 0 || root == r ? nbytes : 0);
    }
    free(acc);
    break;
  }
  default:
    rc = PSW_ERR_INVAL;
  }
  /* Whoever was not answered yet (an error) gets the error. */
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->coll && h->mem[i]->ch.seq == seq)
      reply_coll(h, h->mem[i], rc ? rc : 0, NULL, 0);
  return rc;
}

int psw__ehead_loop(struct psw_ehead *h, psw_ctx_t *c,
                    const struct psw_loop *L) {
  (void)c;
  if (h->abort_err)
    return h->abort_err;
  /* opts.first: indices below it are not this loop's (a later round of a
   * recursive sweep); psw_for_ex checked first <= n. */
  struct hloop lp = {
      .L = L, .no = ++h->loop_no, .n = L->n, .next = L->opts.first};
  lp.done = calloc(L->n / 8 + 1, 1);
  lp.scratch = malloc(L->opts.record_size ? L->opts.record_size : 1);
  if (!lp.done || !lp.scratch) {
    free(lp.done);
    free(lp.scratch);
    return PSW_ERR_NOMEM;
  }
  h->loop = &lp;
  for (int i = 0; i < h->nmem; i++)
    feed(h, h->mem[i]);
  for (int i = 0; i < h->nmem; i++)
    maybe_admit(h, h->mem[i]);
  double waiting_since = psw__mono_now();
  for (;;) {
    if (!lp.rc && stop_requested(&lp))
      lp.rc = PSW_ERR_INTERRUPTED;
    forward_stop(h, &lp);
    if (!lp.rc && h->abort_err)
      lp.rc = h->abort_err;
    int busy = 0, unjoined = 0, workers = 0;
    for (int i = 0; i < h->nmem; i++) {
      struct member *mb = h->mem[i];
      if (mb->state != MS_REGION || mb->done)
        continue;
      workers++;
      busy += mb->busy;
      unjoined += mb->joined != lp.no;
    }
    lp.workers = workers - unjoined;
    if (!busy && !unjoined && (lp.rc || !work_left(&lp)))
      break;
    if (!workers && psw__mono_now() - waiting_since > 30) {
      waiting_since = psw__mono_now();
      PSW_WARN("elastic: no worker connected; %llu of %llu tasks done; "
               "waiting for workers to join",
               (unsigned long long)lp.ndone, (unsigned long long)lp.n);
    }
    pump(h, 20);
    /* Chunks of lost workers go to the idle ones. */
    if (lp.nq)
      for (int i = 0; i < h->nmem; i++)
        feed(h, h->mem[i]);
  }
  struct psw_emsg end = {.type = EM_LOOP_END, .loop = lp.no, .rc = lp.rc};
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_REGION && h->mem[i]->joined == lp.no)
      send_to(h, h->mem[i], &end, NULL, 0);
  h->loop = NULL;
  free(lp.done);
  free(lp.q);
  free(lp.scratch);
  return lp.rc;
}

void psw__ehead_abort(struct psw_ehead *h, int err) {
  set_abort(h, err);
}

/* --- create / destroy ------------------------------------------------------
 */

static const char *opt_or_env(const char *opt, const char *env) {
  if (opt && *opt)
    return opt;
  const char *v = getenv(env);
  return v && *v ? v : NULL;
}

/* Two connections per worker process: a head of a hundred nodes needs
 * more descriptors than the usual soft limit of 1024. A hard limit that
 * leaves room for fewer than PSW_ELASTIC_FEW_FDS workers is said at the
 * start, with the number it allows (gate.c says it again when an accept
 * fails for it). */
#define PSW_ELASTIC_FEW_FDS 1000
static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < 2 * PSW_ELASTIC_FEW_FDS + 64)
    PSW_WARN("elastic: the head may open %llu files (RLIMIT_NOFILE, hard "
             "limit %llu): about %llu workers (2 connections each); raise "
             "the hard limit (ulimit -Hn) for more",
             (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
             rl.rlim_cur > 32 ? (unsigned long long)(rl.rlim_cur - 32) / 2
                              : 0ULL);
}

int psw__ehead_create(psw_manager_t *m, struct psw_ehead **out) {
  struct psw_ehead *h = calloc(1, sizeof *h);
  if (!h)
    return PSW_ERR_NOMEM;
  h->m = m;
  h->spare_fd = -1;
  raise_nofile();
  h->timeout = psw__etimeout_s();
  psw__ehost(h->host, sizeof h->host);
  h->min_workers = m->opts.elastic_min_workers;
  const char *mw = getenv("PSW_ELASTIC_MIN_WORKERS");
  if (!h->min_workers && mw && *mw)
    h->min_workers = atoi(mw);
  int rc = psw__eendpoint_keys(&h->ep);
  if (rc) {
    PSW_ERROR("elastic: this libzmq has no CURVE security");
    free(h);
    return rc;
  }
  const char *listen = opt_or_env(m->opts.elastic_listen, "PSW_ELASTIC_LISTEN");
  char addr[256];
  if ((rc = psw__eaddress(listen, addr, sizeof addr))) {
    PSW_ERROR("elastic: cannot listen on '%s': expected HOST:PORT, HOST a "
              "name that resolves, an address or an interface",
              listen);
    free(h);
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
    rc = PSW_ERR_SYS;
    goto fail;
  }
  /* Before the router binds: no connection comes before its check. */
  if ((rc = psw__egate_open(h->zctx, h->router, h->ep.client_public, &h->gate)))
    goto fail;
  if (zmq_bind(h->router, addr)) {
    PSW_ERROR("elastic: cannot listen on %s: %s", addr, zmq_strerror(errno));
    rc = PSW_ERR_SYS;
    goto fail;
  }
  size_t al = sizeof h->ep.address;
  zmq_getsockopt(h->router, ZMQ_LAST_ENDPOINT, h->ep.address, &al);
  const char *epath =
      opt_or_env(m->opts.elastic_endpoint, "PSW_ELASTIC_ENDPOINT");
  if (epath) {
    if (!(h->endpoint_path = strdup(epath))) {
      rc = PSW_ERR_NOMEM;
      goto fail;
    }
    char err[512];
    if ((rc = psw__eendpoint_write(epath, &h->ep, err, sizeof err))) {
      PSW_ERROR("elastic: %s", err);
      free(h->endpoint_path);
      h->endpoint_path = NULL;
      goto fail;
    }
  }
  PSW_INFO("elastic: head listening on %s%s%s", h->ep.address,
           epath ? ", endpoint " : "", epath ? epath : "");
  *out = h;
  return 0;
fail:
  psw__ehead_destroy(h);
  return rc;
}

void psw__ehead_destroy(struct psw_ehead *h) {
  if (!h)
    return;
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
  struct psw_emsg bye = {.type = EM_BYE};
  for (int i = 0; i < h->nmem; i++) {
    if (h->mem[i]->state != MS_GONE)
      psw__emsg_send(h->router, h->mem[i]->rid, h->mem[i]->rid_len, &bye, NULL,
                     0);
    drop_coll(h->mem[i]);
    free(h->mem[i]);
  }
  free(h->mem);
  free(h->hosts);
  free(h->endpoint_path);
  if (h->router)
    zmq_close(h->router);
  psw__egate_close(h->gate);
  if (h->zctx)
    zmq_ctx_term(h->zctx);
  free(h);
}
