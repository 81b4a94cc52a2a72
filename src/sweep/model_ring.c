/* parsweep — the plugin host's side of the shared ring (see model_ring.h).
 *
 * `parsweep __plugin-host SPEC WORKER RANK`, its socket on fd 3: load the
 * spec and the plugin, run init, say READY, map the ring the worker
 * passes, then evaluate every batch it is sent, slot by slot. Ends when
 * the worker closes its end (fini runs) and dies with the worker. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "model.h"
#include "model_ring.h"
#include "parsweep/error.h"
#include "util.h"

static void send_ready(int fd, int rc, const char *msg) {
  struct psw_ring_ready rd = {.rc = rc};
  snprintf(rd.msg, sizeof rd.msg, "%s", msg);
  ssize_t n = send(fd, &rd, sizeof rd, MSG_NOSIGNAL);
  (void)n;
}

/* The RING message: its memfd, mapped here. NULL when it does not come or
 * does not fit the spec (the host then exits: its worker sees it dead). */
static struct psw_ring_hdr *map_ring(int fd, const psw_spec_t *spec,
                                     size_t *len) {
  uint32_t tag = 0;
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &tag, .iov_len = sizeof tag};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = cbuf,
                      .msg_controllen = sizeof cbuf};
  ssize_t n;
  do
    n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  if (n != (ssize_t)sizeof tag || tag != PSW_RING_MSG_BATCH || !c ||
      c->cmsg_type != SCM_RIGHTS)
    return NULL;
  int mfd;
  memcpy(&mfd, CMSG_DATA(c), sizeof mfd);
  struct psw_ring_hdr probe;
  void *m = MAP_FAILED;
  if (pread(mfd, &probe, sizeof probe, 0) == (ssize_t)sizeof probe &&
      probe.nparams == spec->nparams && probe.noutputs == spec->noutputs &&
      probe.stride == psw__ring_stride(spec->nparams, spec->noutputs) &&
      probe.nslots >= 1 && probe.nslots <= PSW_RING_MAX_SLOTS) {
    *len = psw__ring_bytes(probe.nslots, probe.stride);
    m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  }
  close(mfd);
  return m == MAP_FAILED ? NULL : m;
}

/* The worker asked to be woken once `done` reaches want: one byte, once
 * (whoever clears want sends it). */
static void wake(struct psw_ring_hdr *r, int fd, uint32_t done, int any) {
  uint32_t w = atomic_load(&r->want);
  if (w && (any || done >= w) &&
      atomic_compare_exchange_strong(&r->want, &w, 0)) {
    char b = 'W';
    ssize_t n = send(fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
  }
}

static void run_batch(struct psw_ring_hdr *r, int fd, psw_plugin_t *p) {
  uint32_t count = r->count < r->nslots ? r->count : r->nslots;
  int retries = r->retries > 0 ? r->retries : 0;
  /* One clock read per sample: each starts when the one before ended. */
  double t = psw__mono_now();
  for (uint32_t k = 0; k < count; k++) {
    if (atomic_load(&r->abandon)) {
      atomic_store(&r->halted, 1);
      wake(r, fd, k, 1);
      return;
    }
    struct psw_ring_slot *s = psw__ring_slot(r, k);
    double *params = psw__ring_params(s), *out = psw__ring_outputs(r, s);
    double elapsed = 0;
    s->ev = (psw_eval_t){0};
    for (int a = 0; a <= retries; a++) {
      s->attempts = a + 1;
      /* Rounded up: a deadline taken from it is never early. */
      uint64_t ms = (uint64_t)ceil(t * 1000.0);
      atomic_store(&r->run_mark, ms << PSW_RING_SLOT_BITS | k);
      for (size_t j = 0; j < r->noutputs; j++)
        out[j] = NAN;
      psw_eval_t ev = {0};
      psw__plugin_eval_from(p, s->index, params, out, &ev, &t);
      elapsed += ev.elapsed;
      s->ev = ev;
      s->ev.elapsed = elapsed;
      if (ev.status == PSW_ST_OK)
        break;
    }
    atomic_store(&r->done, k + 1);
    wake(r, fd, k + 1, 0);
  }
}

int psw__host_main(int argc, char **argv) {
  /* __plugin-host SPEC WORKER RANK, the socket on fd 3. */
  const int fd = 3;
  if (argc != 4) {
    fprintf(stderr, "parsweep __plugin-host: internal use only\n");
    return 2;
  }
  /* Gone with the worker, even while the plugin loops. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char err[500];
  psw_spec_t *spec = NULL;
  if (psw__spec_load(argv[1], &spec, err, sizeof err)) {
    send_ready(fd, PSW_ERR_MODEL, err);
    return 1;
  }
  /* The spec's env is the host's environment, as for a command. */
  for (size_t k = 0; k < spec->nenv; k++)
    putenv(spec->env[k]);
  psw_plugin_t *p = NULL;
  int rc =
      psw__plugin_open(spec, atoi(argv[2]), atoi(argv[3]), &p, err, sizeof err);
  send_ready(fd, rc, rc ? err : "");
  if (rc) {
    psw__spec_free(spec);
    return 1;
  }
  size_t len = 0;
  struct psw_ring_hdr *r = map_ring(fd, spec, &len);
  while (r) {
    uint32_t msg;
    ssize_t n = recv(fd, &msg, sizeof msg, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != (ssize_t)sizeof msg || msg != PSW_RING_MSG_BATCH)
      break; /* end of input (or a broken worker) */
    run_batch(r, fd, p);
  }
  if (r)
    munmap(r, len);
  psw__plugin_close(p);
  /* putenv keeps pointers into spec: free it last. */
  psw__spec_free(spec);
  return r ? 0 : 1;
}
