/* parsweep — elastic: the worker's state and the calls between its pieces
 * (internal to src/elastic/worker*.c): worker.c (heartbeats, the
 * connection, lifecycle, regions) below worker_coll.c (collectives) and
 * worker_loop.c (psw_for). */
#ifndef PSW_ELASTIC_WORKER_IMPL_H
#define PSW_ELASTIC_WORKER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
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

/* --- worker.c ------------------------------------------------------------- */

/* The next message from the head. A monitor event first: a refused key or
 * a lost connection ends the wait with an error (and one line in the
 * log), unless the sweep has ended. timeout_ms < 0 waits for ever. */
int psw__ew_next_msg(struct psw_eworker *w, struct psw_emsg *hd, zmq_msg_t *p,
                     int timeout_ms);
/* Wait for a message of `type` (others are protocol noise: dropped). */
int psw__ew_expect(struct psw_eworker *w, int type, struct psw_emsg *hd,
                   zmq_msg_t *p, int timeout_ms);
/* Send hd (+ payload) to the head, naming this worker. */
int psw__ew_send(struct psw_eworker *w, const struct psw_emsg *hd,
                 const void *p, size_t len);
/* Call the loop's cancel hook once, if the head asked for it. */
void psw__ew_maybe_cancel(struct psw_eworker *w);

#endif /* PSW_ELASTIC_WORKER_IMPL_H */
