/* parsweep — elastic worker: psw_for. The worker joins the loop, runs the
 * chunks the head hands out and sends their records back (at least every
 * PSW_ELASTIC_FLUSH_S), and stops early when the head forwards a drain or
 * a cancel of its run (heard by the heartbeat thread, worker.c). */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elastic/worker_impl.h"

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
    if ((rc = psw__ew_next_msg(w, &m, &p, -1)))
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
    if ((rc = psw__ew_send(w, &d, recs, rs * ran)))
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
  psw__ew_maybe_cancel(w); /* a cancel heard before this loop began */
  int rc = psw__ew_send(w, &hd, NULL, 0);
  if (!rc)
    rc = run_chunks(w, c, L, hd.loop);
  pthread_mutex_lock(&w->mu);
  w->cancel = NULL;
  pthread_mutex_unlock(&w->mu);
  return rc;
}
