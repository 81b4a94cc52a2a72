/* parsweep — elastic: the head. It runs rank 0 of every region on the
 * calling thread, and serves the workers from inside the calls that wait
 * (collectives, psw_for, the region's start and end): there is no service
 * thread to race with, only the ZAP handler, which checks keys. This file
 * holds the head's lifecycle (create, destroy) and the two calls that
 * drive the others: a region (its workers, ranks and node layout, its end)
 * and a loop (psw_for until every index is done). The pieces they use are
 * listed in head_impl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "elastic/head_impl.h"

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
    psw__eh_pump(h, 100);
    if (psw__mono_now() - logged > 10) {
      logged = psw__mono_now();
      PSW_INFO("elastic: %d of %d workers ready after %.0f s; waiting",
               count_state(h, MS_IDLE), h->min_workers, logged - t0);
    }
  }
  psw__eh_pump(h, 0);
  int size = 1;
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_IDLE) {
      struct member *mb = h->mem[i];
      mb->state = MS_REGION;
      mb->rank = size++;
      mb->late = mb->done = mb->rc = 0;
      mb->joined = 0;
      mb->busy = 0;
      psw__eh_drop_coll(mb);
    }
  h->size = size;
  h->in_region = 1;
  h->abort_err = h->lost_rank = 0;
  h->next_late = size;
  m->num_workers = size;
  /* Node layout: one node per host name, the head's first. */
  h->nhosts = 0;
  psw__eh_host_node(h, h->host);
  int *lcount = calloc((size_t)size + 1, sizeof *lcount);
  if (!lcount)
    return PSW_ERR_NOMEM;
  lcount[0] = 1;
  for (int r = 1; r < size; r++)
    for (int i = 0; i < h->nmem; i++)
      if (h->mem[i]->state == MS_REGION && h->mem[i]->rank == r) {
        struct member *mb = h->mem[i];
        mb->node = psw__eh_host_node(h, mb->host);
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
    psw__eh_send(h, mb, &hd, NULL, 0);
  }
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, m, 0, size);
  ctx.num_nodes = nodes;
  ctx.local_size = lcount[0];
  ctx.local_rank = 0;
  free(lcount);
  int rc = fn(&ctx, arg);
  if (rc)
    psw__eh_set_abort(h, PSW_ERR_ABORTED);
  /* Every worker of the region (start and late) reports, or is lost. */
  for (;;) {
    int waiting = 0;
    for (int i = 0; i < h->nmem; i++)
      waiting += h->mem[i]->state == MS_REGION && !h->mem[i]->done;
    if (!waiting)
      break;
    psw__eh_pump(h, 100);
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
      psw__eh_send(h, h->mem[i], &end, NULL, 0);
      if (h->mem[i]->state == MS_REGION)
        h->mem[i]->state = MS_CONNECTED;
    }
  h->in_region = 0;
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
    psw__eh_feed(h, h->mem[i]);
  for (int i = 0; i < h->nmem; i++)
    psw__eh_admit(h, h->mem[i]);
  double waiting_since = psw__mono_now();
  for (;;) {
    if (!lp.rc && psw__eh_stop_requested(&lp))
      lp.rc = PSW_ERR_INTERRUPTED;
    psw__eh_forward_stop(h, &lp);
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
    if (!busy && !unjoined && (lp.rc || !psw__eh_work_left(&lp)))
      break;
    if (!workers && psw__mono_now() - waiting_since > 30) {
      waiting_since = psw__mono_now();
      PSW_WARN("elastic: no worker connected; %llu of %llu tasks done; "
               "waiting for workers to join",
               (unsigned long long)lp.ndone, (unsigned long long)lp.n);
    }
    psw__eh_pump(h, 20);
    /* Chunks of lost workers go to the idle ones. */
    if (lp.nq)
      for (int i = 0; i < h->nmem; i++)
        psw__eh_feed(h, h->mem[i]);
  }
  struct psw_emsg end = {.type = EM_LOOP_END, .loop = lp.no, .rc = lp.rc};
  for (int i = 0; i < h->nmem; i++)
    if (h->mem[i]->state == MS_REGION && h->mem[i]->joined == lp.no)
      psw__eh_send(h, h->mem[i], &end, NULL, 0);
  h->loop = NULL;
  free(lp.done);
  free(lp.q);
  free(lp.scratch);
  return lp.rc;
}

void psw__ehead_abort(struct psw_ehead *h, int err) {
  psw__eh_set_abort(h, err);
}

/* --- create / destroy ------------------------------------------------------
 */

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
  int rc = psw__eh_listen(h);
  if (rc) {
    psw__ehead_destroy(h);
    return rc;
  }
  *out = h;
  return 0;
}

void psw__ehead_destroy(struct psw_ehead *h) {
  if (!h)
    return;
  psw__eh_unlisten(h);
  struct psw_emsg bye = {.type = EM_BYE};
  for (int i = 0; i < h->nmem; i++) {
    if (h->mem[i]->state != MS_GONE)
      psw__emsg_send(h->router, h->mem[i]->rid, h->mem[i]->rid_len, &bye, NULL,
                     0);
    psw__eh_drop_coll(h->mem[i]);
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
