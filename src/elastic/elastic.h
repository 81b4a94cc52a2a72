/* parsweep — the elastic backend's head and workers (internal).
 *
 * One head process owns the region: rank 0 runs on it, and it relays every
 * collective and hands out every psw_for chunk. Workers are processes that
 * connect to it over ZeroMQ (a ROUTER on the head, a DEALER per worker),
 * with CURVE encryption and a per-sweep client key checked by a ZAP
 * handler. A worker may connect at any time: it joins the next region, or
 * the loop running (late joiner). A worker that stops sending heartbeats is
 * lost: its chunk in flight goes back to the queue (at-least-once
 * evaluation; the head passes each index to the sink once). See
 * docs/elastic.md. */
#ifndef PSW_ELASTIC_H
#define PSW_ELASTIC_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* One message header; a second frame carries the payload, if any. Fields
 * are used as the type's comment says. */
enum psw_emsg_type {
  EM_HELLO = 1,   /* w->h: pid; payload: host name */
  EM_WELCOME,     /* h->w: id, token, secs (heartbeat); payload: info */
  EM_HB,          /* w->h on the heartbeat socket: id, token */
  EM_READY,       /* w->h: waiting for a region */
  EM_START,       /* h->w: rank, size, late, node layout, seq, loop */
  EM_REGION_DONE, /* w->h: rc */
  EM_END,         /* h->w: rc of the region */
  EM_COLL,        /* w->h: seq, kind, root, dtype, op, count; payload */
  EM_COLL_REPLY,  /* h->w: seq, rc; payload */
  EM_LOOP_JOIN,   /* w->h: loop */
  EM_CHUNK,       /* h->w: loop, begin, end */
  EM_CHUNK_DONE,  /* w->h: loop, begin, end (run), rc, secs; payload: records */
  EM_LOOP_END,    /* h->w: loop, rc */
  EM_ABORT,       /* w->h: rc */
  EM_BYE,         /* h->w: the head closes (kind BYE_LOST: this worker was
                     declared lost); w->h: the worker leaves */
  EM_STOP,        /* h->w on the heartbeat connection: kind STOP_DRAIN or
                     STOP_CANCEL (the head's run was stopped) */
};

/* EM_CHUNK_DONE.kind: how a chunk ended. */
enum {
  CD_DONE = 0,
  CD_LEFT = 1 /* stopped: the rest back, leaving */,
  CD_CUT = 2 /* the rest back, staying: records reach the head early */
};
/* EM_BYE.kind and EM_STOP.kind */
enum { BYE_CLOSED = 0, BYE_LOST = 1 };
enum { STOP_DRAIN = 0, STOP_CANCEL = 1 };

/* A worker hands back what it finished at least this often (seconds; the
 * sample running aside): the head journals it at once, so a killed head
 * loses about this much work, even when a chunk was sized from a pace
 * that skipped samples (--resume) made look fast. */
#define PSW_ELASTIC_FLUSH_S 0.05

struct psw_emsg {
  int32_t type, rc;
  int32_t id, pid;
  int32_t rank, size, late;
  int32_t node, nodes, lrank, lsize;
  int32_t kind, root, dtype, op, pad;
  uint64_t seq, loop, begin, end, token, count;
  double secs;
};

enum psw_ecoll { EC_BARRIER = 1, EC_BCAST, EC_SCATTERV, EC_GATHERV, EC_REDUCE };

/* Keys and address of a sweep, as the endpoint file holds them. */
typedef struct psw_eendpoint {
  char address[256]; /* tcp://HOST:PORT */
  char server_public[41], server_secret[41];
  char client_public[41], client_secret[41];
} psw_eendpoint_t;

/* --- wire.c: framing, keys, the endpoint file, addresses ------------------ */

/* Send hdr (+ payload when len > 0). rid: ROUTER peer id, or NULL. */
int psw__emsg_send(void *sock, const void *rid, size_t rid_len,
                   const struct psw_emsg *hdr, const void *payload, size_t len);
/* Receive one message. rid (ROUTER only) gets the peer id (rid_len in/out).
 * payload (initialised by the caller) gets the payload frame or stays
 * empty. Returns 0, PSW_ERR_TIMEOUT (nothing within timeout_ms, -1 waits),
 * PSW_ERR_PARSE (malformed: dropped) or PSW_ERR_SYS. */
int psw__emsg_recv(void *sock, void *rid, size_t *rid_len, struct psw_emsg *hdr,
                   void *payload_msg, int timeout_ms);

/* Fresh server and client key pairs. */
int psw__eendpoint_keys(psw_eendpoint_t *ep);
/* Write ep to path, mode 0600, via a temporary file PATH.tmp.PID created
 * O_EXCL|O_NOFOLLOW (never an existing file or link) and a rename. err
 * gets a one-line reason naming the file. */
int psw__eendpoint_write(const char *path, const psw_eendpoint_t *ep, char *err,
                         size_t errlen);
/* Replace path by the mark of a sweep that has ended (PSW_ENDPOINT_ENDED,
 * no keys), the same way. */
int psw__eendpoint_end(const char *path, char *err, size_t errlen);
/* Read path; PSW_ERR_UNAVAILABLE when it marks a sweep that ended. err gets "<path>:<line>: <reason>" on PSW_ERR_PARSE/IO. */
int psw__eendpoint_read(const char *path, psw_eendpoint_t *ep, char *err,
                        size_t errlen);
/* The tcp:// address to bind for `listen` (HOST:PORT, HOST, or NULL for the
 * default: this node's address inside a Slurm job, else 127.0.0.1).
 * Port 0 or none: "*" (ZeroMQ picks a free one). */
int psw__eaddress(const char *listen, char *out, size_t outlen);
/* Host name a worker reports (SLURMD_NODENAME, else gethostname). */
void psw__ehost(char *out, size_t outlen);
/* Seconds (PSW_ELASTIC_HEARTBEAT, PSW_ELASTIC_TIMEOUT) with defaults. */
double psw__eheartbeat_s(void);
double psw__etimeout_s(void);
/* Apply CURVE as server (secret given) or client to a socket. */
int psw__ecurve_server(void *sock, const psw_eendpoint_t *ep);
int psw__ecurve_client(void *sock, const psw_eendpoint_t *ep);

/* --- gate.c: who may connect to the head ----------------------------------
 * The ZAP handler (the sweep's client public key only) and a watch of the
 * router's handshakes, in a thread: each refusal is logged as "elastic:
 * refused a worker from ADDRESS: its key is not this sweep's". Open it
 * before the router binds. */
struct psw_egate;
int psw__egate_open(void *zctx, void *router, const char *client_public,
                    struct psw_egate **out);
void psw__egate_close(struct psw_egate *g);

/* --- head.c, head_coll.c (the pieces: head_impl.h) -----------------------
 */
struct psw_ehead;
int psw__ehead_create(psw_manager_t *m, struct psw_ehead **out);
void psw__ehead_destroy(struct psw_ehead *h);
int psw__ehead_parallel(struct psw_ehead *h, psw_manager_t *m, psw_region_fn fn,
                        void *arg);
int psw__ehead_coll(struct psw_ehead *h, psw_ctx_t *c, int kind, int root,
                    psw_type_t type, psw_op_t op, const void *sendbuf,
                    size_t sendbytes, void *recvbuf, size_t recvbytes,
                    const size_t *counts, const size_t *displs);
int psw__ehead_loop(struct psw_ehead *h, psw_ctx_t *c,
                    const struct psw_loop *L);
void psw__ehead_abort(struct psw_ehead *h, int err);

/* --- worker.c, worker_coll.c, worker_loop.c (worker_impl.h) ---------------
 */
struct psw_eworker;
int psw__eworker_create(psw_manager_t *m, const char *endpoint,
                        struct psw_eworker **out);
void psw__eworker_destroy(struct psw_eworker *w);
int psw__eworker_parallel(struct psw_eworker *w, psw_manager_t *m,
                          psw_region_fn fn, void *arg);
int psw__eworker_coll(struct psw_eworker *w, psw_ctx_t *c, int kind, int root,
                      psw_type_t type, psw_op_t op, const void *sendbuf,
                      size_t sendbytes, void *recvbuf, size_t recvbytes,
                      const size_t *counts, const size_t *displs);
int psw__eworker_loop(struct psw_eworker *w, psw_ctx_t *c,
                      const struct psw_loop *L);
void psw__eworker_abort(struct psw_eworker *w, int err);
int psw__eworker_info(const struct psw_eworker *w, const void **data,
                      size_t *len);
/* The id the head gave this worker (its log's "worker N"). */
int psw__eworker_id(const struct psw_eworker *w);

#endif /* PSW_ELASTIC_H */
