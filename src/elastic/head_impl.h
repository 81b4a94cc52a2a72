/* parsweep — elastic: the head's state and the calls between its pieces
 * (internal to src/elastic/head*.c). The head is split by concern, each
 * file using only those listed before it (no cycle):
 *   head_member.c    the member table: sending, losing a worker, liveness
 *   head_auth.c      who may talk: the CURVE router and its gate, the
 *                    endpoint file, each worker's id, token and connection
 *   head_dispatch.c  psw_for: handing out chunks, taking records back
 *   head_serve.c     reading the router and handling each message
 *   head_coll.c      the collectives, one function each
 *   head.c           create/destroy, a region's start and end, a loop
 * Everything runs on the caller's thread (see head.c). */
#ifndef PSW_ELASTIC_HEAD_IMPL_H
#define PSW_ELASTIC_HEAD_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "elastic/elastic.h"

enum { MS_CONNECTED, MS_IDLE, MS_REGION, MS_GONE };

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
  double timeout;
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

/* --- head_member.c --------------------------------------------------------
 */
/* The member of id, or NULL. */
struct member *psw__eh_by_id(struct psw_ehead *h, int id);
/* Free mb's pending collective contribution, if any. */
void psw__eh_drop_coll(struct member *mb);
/* Put [b, e) back on lp's queue (lp->rc gets NOMEM if it cannot). */
void psw__eh_requeue(struct hloop *lp, uint64_t b, uint64_t e);
/* mb is gone (logged as INFO when quiet, else WARN): its chunk in flight
 * goes back to the queue. */
void psw__eh_lose(struct psw_ehead *h, struct member *mb, const char *why,
                  int quiet);
/* Send to mb on its main connection; a failure loses it. */
void psw__eh_send(struct psw_ehead *h, struct member *mb,
                  const struct psw_emsg *hd, const void *p, size_t len);
/* Answer mb's pending collective, then drop its contribution. */
void psw__eh_reply_coll(struct psw_ehead *h, struct member *mb, int rc,
                        const void *p, size_t len);
/* Abort the region running with err (the first error stays). */
void psw__eh_set_abort(struct psw_ehead *h, int err);
/* Node id of a host name in the region running. */
int psw__eh_host_node(struct psw_ehead *h, const char *host);
/* Lose the members silent for longer than the timeout. */
void psw__eh_check_liveness(struct psw_ehead *h);

/* --- head_auth.c ----------------------------------------------------------
 */
/* Keys, the CURVE router with its gate, bound to the address asked for
 * (opts.elastic_listen, PSW_ELASTIC_LISTEN); the endpoint file written when
 * one is named (opts.elastic_endpoint, PSW_ELASTIC_ENDPOINT). On an error,
 * the caller destroys h. */
int psw__eh_listen(struct psw_ehead *h);
/* Replace the endpoint file, if any, by the mark of a sweep that ended. */
void psw__eh_unlisten(struct psw_ehead *h);
/* EM_HELLO: a new member, with its id and token, welcomed. */
void psw__eh_hello(struct psw_ehead *h, const uint8_t *rid, size_t rl,
                   const struct psw_emsg *hd, zmq_msg_t *p, double now);
/* EM_HB: a heartbeat with the member's token. */
void psw__eh_heartbeat(struct psw_ehead *h, const uint8_t *rid, size_t rl,
                       const struct psw_emsg *hd, double now);
/* The member that sent hd on connection rid, or NULL (none, or another
 * connection, or one declared lost: told to leave). */
struct member *psw__eh_sender(struct psw_ehead *h, const uint8_t *rid,
                              size_t rl, const struct psw_emsg *hd);

/* --- head_dispatch.c ------------------------------------------------------
 */
int psw__eh_work_left(const struct hloop *lp);
int psw__eh_stop_requested(const struct hloop *lp);
/* Send the loop's stop (drain, then cancel) to its workers, once each. */
void psw__eh_forward_stop(struct psw_ehead *h, struct hloop *lp);
/* Give mb a chunk if it waits in the loop running and work is left. */
void psw__eh_feed(struct psw_ehead *h, struct member *mb);
/* EM_CHUNK_DONE: records to the sink, the rest back, the next chunk. */
void psw__eh_chunk_done(struct psw_ehead *h, struct member *mb,
                        const struct psw_emsg *hd, zmq_msg_t *p);
/* An idle worker joins the loop running (late joiner). */
void psw__eh_admit(struct psw_ehead *h, struct member *mb);

/* --- head_serve.c ---------------------------------------------------------
 */
/* Serve every message waiting (at least one wait of timeout_ms), then look
 * for lost workers. */
void psw__eh_pump(struct psw_ehead *h, int timeout_ms);

#endif /* PSW_ELASTIC_HEAD_IMPL_H */
