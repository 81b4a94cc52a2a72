/* parsweep — elastic head: serving the workers. The head has no service
 * thread: every call that waits (a collective, a loop, a region's start
 * and end) pumps the router here, and each message goes to the piece
 * that handles it: heartbeats and HELLO to head_auth.c, chunks to
 * head_dispatch.c, the rest is recorded on its member for the waiting
 * call to find. */
#include <stddef.h>

#include "elastic/head_impl.h"

static void handle(struct psw_ehead *h, const uint8_t *rid, size_t rl,
                   const struct psw_emsg *hd, zmq_msg_t *p) {
  double now = psw__mono_now();
  if (hd->type == EM_HB) {
    psw__eh_heartbeat(h, rid, rl, hd, now);
    return;
  }
  if (hd->type == EM_HELLO) {
    psw__eh_hello(h, rid, rl, hd, p, now);
    return;
  }
  struct member *mb = psw__eh_sender(h, rid, rl, hd);
  if (!mb)
    return;
  mb->last_seen = now;
  switch (hd->type) {
  case EM_READY:
    mb->state = MS_IDLE;
    psw__eh_admit(h, mb);
    break;
  case EM_COLL:
    if (mb->state != MS_REGION)
      break;
    psw__eh_drop_coll(mb);
    mb->ch = *hd;
    zmq_msg_init(&mb->cp);
    zmq_msg_move(&mb->cp, p);
    mb->coll = 1;
    if (h->abort_err)
      psw__eh_reply_coll(h, mb, h->abort_err, NULL, 0);
    else if (mb->late && hd->kind != EC_BARRIER && hd->kind != EC_BCAST)
      psw__eh_reply_coll(h, mb, PSW_ERR_INVAL, NULL, 0);
    break;
  case EM_LOOP_JOIN:
    if (mb->state != MS_REGION)
      break;
    mb->joined = hd->loop;
    if (h->loop && hd->loop == h->loop->no)
      psw__eh_feed(h, mb);
    break;
  case EM_CHUNK_DONE:
    psw__eh_chunk_done(h, mb, hd, p);
    break;
  case EM_REGION_DONE:
    if (mb->state == MS_REGION) {
      mb->done = 1;
      mb->rc = hd->rc;
    }
    break;
  case EM_ABORT:
    psw__eh_set_abort(h, hd->rc ? hd->rc : PSW_ERR_ABORTED);
    break;
  case EM_BYE:
    psw__eh_lose(h, mb, "left", 1);
    break;
  default:
    break;
  }
}

/* A head that was busy for a while first reads the heartbeats that queued
 * meanwhile, then looks for lost workers. */
void psw__eh_pump(struct psw_ehead *h, int timeout_ms) {
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
  psw__eh_check_liveness(h);
}
