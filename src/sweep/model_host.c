/* parsweep — the isolated plugin kind: the plugin runs in a host process.
 *
 * A plugin that segfaults, aborts or loops forever must cost one sample,
 * not the sweep. So each worker (thread, fork worker or rank alike) starts
 * a host, `parsweep __plugin-host ...` (the running executable again,
 * psw__host_set_exe), which loads the plugin and runs its init once, then
 * evaluates the samples it is handed through a shared ring (model_ring.h:
 * batches of slots, one message each way per batch). When the host dies
 * the sample in flight is recorded crashed (status 4, exit code -signal)
 * and those finished before it are kept; when one sample outlives the
 * timeout the host's process group gets SIGTERM, the grace, then SIGKILL,
 * and that sample is recorded timed out (status 3). Either way the next
 * sample (or retry) starts a new host, whose init runs again, and the rest
 * of the batch goes to it.
 *
 * Messages on the SOCK_SEQPACKET pair: host -> worker READY, worker ->
 * host RING (the memfd, SCM_RIGHTS), then BATCH per batch; host -> worker
 * one byte when the worker asked to be woken. The worker closing its end
 * ends the host (fini). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "model.h"
#include "model_ring.h"
#include "parsweep/error.h"
#include "parsweep/log.h"
#include "proc.h"
#include "util.h"

extern char **environ;

static char *host_exe;

void psw__host_set_exe(const char *path) {
  free(host_exe);
  host_exe = path ? strdup(path) : NULL;
}

int psw__host_available(void) {
  return host_exe != NULL;
}

/* While waiting for a sample the host has not started yet (it is between
 * two), look again this often: its deadline is not known until then. */
#define UNSTARTED_LOOK_S 0.01
/* Asleep until the end of a batch, look at the run's stop flag this often
 * (a signal's EINTR does not end the wait): after a stop the host starts
 * no further sample, so a drain waits for the sample running only. */
#define STOP_LOOK_S 0.1

struct psw_host {
  const psw_spec_t *spec;
  int worker, rank;
  psw_proc_t proc; /* pid 0: no host now (start one at the next batch) */
  int fd;
  int ring_fd; /* the memfd, kept across hosts */
  struct psw_ring_hdr *ring;
  size_t ring_len;
  uint32_t count, next;    /* the batch handed over, the next slot to take */
  int lost;                /* the BATCH message did not go: host stopped */
  int lost_st;             /* and its wait status */
  const _Atomic int *stop; /* the run's stop flag (NULL: none) */
};

/* End the host: SIGTERM to its group, the grace, SIGKILL; then whatever
 * the plugin started goes too. Returns the host's wait status. The batch
 * is over. */
static int stop_host(psw_host_t *h) {
  int st = psw__proc_stop(&h->proc, PSW_MODEL_GRACE_S);
  close(h->fd);
  h->fd = -1;
  h->count = h->next = 0;
  return st;
}

static ssize_t recv_now(int fd, void *buf, size_t len) {
  ssize_t n;
  do
    n = recv(fd, buf, len, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n;
}

/* The memfd goes to the new host: it maps the same slots. */
static int send_ring(psw_host_t *h) {
  uint32_t tag = PSW_RING_MSG_BATCH;
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = &tag, .iov_len = sizeof tag};
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = cbuf,
                      .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &h->ring_fd, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(h->fd, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof tag ? 0 : -1;
}

static int start_host(psw_host_t *h, char *err, size_t errlen) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return psw__model_errf(PSW_ERR_SYS, err, errlen,
                           "plugin %s: socketpair: %s", h->spec->plugin,
                           strerror(errno));
  char w[16], r[16];
  snprintf(w, sizeof w, "%d", h->worker);
  snprintf(r, sizeof r, "%d", h->rank);
  char *argv[] = {host_exe, "__plugin-host", h->spec->path, w, r, NULL};
  int e = psw__proc_start(&h->proc, host_exe, argv, environ, -1, sv[1]);
  close(sv[1]);
  if (e) {
    close(sv[0]);
    return psw__model_errf(PSW_ERR_SYS, err, errlen,
                           "plugin %s: cannot start its host %s: %s",
                           h->spec->plugin, host_exe, strerror(e));
  }
  h->fd = sv[0];
  h->count = h->next = 0;
  h->lost = 0;
  /* No host touches the ring now: a fresh start for the new one. */
  atomic_store(&h->ring->done, 0);
  atomic_store(&h->ring->halted, 0);
  atomic_store(&h->ring->abandon, 0);
  atomic_store(&h->ring->want, 0);
  atomic_store(&h->ring->run_mark, 0);
  struct psw_ring_ready rd = {.rc = PSW_ERR_MODEL};
  /* A plugin's init has no time limit (SPEC): until its message or death. */
  ssize_t n = -1;
  struct pollfd pf = {.fd = h->fd, .events = POLLIN};
  if (psw__proc_wait(&h->proc, &pf, 1, -1, INFINITY) > 0)
    n = recv_now(h->fd, &rd, sizeof rd);
  if (n == (ssize_t)sizeof rd && rd.rc == 0 && send_ring(h) == 0)
    return 0;
  char st[96];
  psw__proc_describe(stop_host(h), st, sizeof st);
  rd.msg[sizeof rd.msg - 1] = '\0';
  if (n == (ssize_t)sizeof rd && rd.rc != 0)
    return psw__model_errf(rd.rc, err, errlen, "%s", rd.msg);
  return psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s: its host died during init (%s)",
                         h->spec->plugin, st);
}

/* The ring: a memfd (shared with each host in turn), slots for as many
 * samples as fit PSW_RING_MAX_BYTES, at most PSW_RING_MAX_SLOTS. */
static int make_ring(psw_host_t *h, char *err, size_t errlen) {
  const psw_spec_t *spec = h->spec;
  size_t stride = psw__ring_stride(spec->nparams, spec->noutputs);
  size_t nslots = (PSW_RING_MAX_BYTES - sizeof(struct psw_ring_hdr)) / stride;
  if (nslots > PSW_RING_MAX_SLOTS)
    nslots = PSW_RING_MAX_SLOTS;
  if (nslots < 1)
    nslots = 1;
  h->ring_len = psw__ring_bytes(nslots, stride);
  h->ring_fd = memfd_create("parsweep-ring", MFD_CLOEXEC);
  if (h->ring_fd < 0 || ftruncate(h->ring_fd, (off_t)h->ring_len) < 0)
    return psw__model_errf(PSW_ERR_SYS, err, errlen,
                           "plugin %s: shared ring: %s", spec->plugin,
                           strerror(errno));
  void *m = mmap(NULL, h->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                 h->ring_fd, 0);
  if (m == MAP_FAILED)
    return psw__model_errf(PSW_ERR_SYS, err, errlen,
                           "plugin %s: shared ring: %s", spec->plugin,
                           strerror(errno));
  h->ring = m;
  h->ring->nslots = (uint32_t)nslots;
  h->ring->nparams = (uint32_t)spec->nparams;
  h->ring->noutputs = (uint32_t)spec->noutputs;
  h->ring->stride = (uint32_t)stride;
  return 0;
}

int psw__host_open(const psw_spec_t *spec, int worker, int rank,
                   psw_host_t **out, char *err, size_t errlen) {
  *out = NULL;
  psw_host_t *h = calloc(1, sizeof *h);
  if (!h)
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen, "out of memory");
  h->spec = spec;
  h->worker = worker;
  h->rank = rank;
  h->fd = -1;
  h->ring_fd = -1;
  /* The first host now: an init that fails stops the sweep before it
   * starts, as in-process. */
  int rc = make_ring(h, err, errlen);
  if (!rc)
    rc = start_host(h, err, errlen);
  if (rc) {
    psw__host_close(h);
    return rc;
  }
  *out = h;
  return 0;
}

size_t psw__host_batch_cap(const psw_host_t *h) {
  return h->ring->nslots;
}

/* Is the host between batches? A batch it still runs (not all taken: the
 * caller moved on) cannot be rewritten under it: that host goes. */
static void settle(psw_host_t *h) {
  if (!h->proc.pid || h->next >= h->count)
    return;
  if (atomic_load(&h->ring->done) >= h->count || atomic_load(&h->ring->halted))
    return;
  psw_log(PSW_LOG_DEBUG, "plugin %s: a batch left unfinished; its host goes",
          h->spec->plugin);
  stop_host(h);
}

double *psw__host_batch_slot(psw_host_t *h, size_t k, uint64_t index) {
  if (k == 0)
    settle(h);
  struct psw_ring_slot *s = psw__ring_slot(h->ring, k);
  s->index = index;
  s->attempts = 0; /* not started (lost() reads it) */
  return psw__ring_params(s);
}

int psw__host_batch_start(psw_host_t *h, size_t count, int retries) {
  if (count < 1 || count > h->ring->nslots)
    return PSW_ERR_INVAL;
  if (!h->proc.pid) {
    char err[512];
    int rc = start_host(h, err, sizeof err);
    if (rc) {
      psw_log(PSW_LOG_ERROR, "%s", err);
      return rc;
    }
  }
  struct psw_ring_hdr *r = h->ring;
  r->count = (uint32_t)count;
  r->retries = retries;
  atomic_store(&r->done, 0);
  atomic_store(&r->halted, 0);
  atomic_store(&r->abandon, 0);
  atomic_store(&r->want, 0);
  /* The last batch's mark would give slot k an old start (a timeout at
   * once): none until the host starts one. */
  atomic_store(&r->run_mark, 0);
  h->count = (uint32_t)count;
  h->next = 0;
  uint32_t msg = PSW_RING_MSG_BATCH;
  ssize_t n;
  do
    n = send(h->fd, &msg, sizeof msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof msg) {
    /* Dead (or broken): the first sample is the lost one. */
    h->lost_st = stop_host(h);
    h->count = (uint32_t)count;
    h->lost = 1;
  }
  return 0;
}

int psw__host_batch_next(const psw_host_t *h, uint64_t index) {
  return h->next < h->count && psw__ring_slot(h->ring, h->next)->index == index;
}

void psw__host_set_stop(psw_host_t *h, const _Atomic int *stop) {
  h->stop = stop;
}

void psw__host_batch_halt(psw_host_t *h) {
  if (h->next < h->count)
    atomic_store(&h->ring->abandon, 1);
}

/* The sample in slot k is finished: copy it out. */
static void take_slot(psw_host_t *h, uint32_t k, double *outputs,
                      psw_eval_t *ev, int *attempts) {
  struct psw_ring_slot *s = psw__ring_slot(h->ring, k);
  *ev = s->ev;
  *attempts = s->attempts;
  memcpy(outputs, psw__ring_outputs(h->ring, s),
         h->spec->noutputs * sizeof(double));
}

/* Sample k (not finished) is lost with its host: dead (st), hung
 * (timed_out) or no longer wanted (cancelled). */
static int lost(psw_host_t *h, uint32_t k, int st, int timed_out, int cancelled,
                int cancel_fd, psw_eval_t *ev, int *attempts, double t0) {
  struct psw_ring_slot *s = psw__ring_slot(h->ring, k);
  uint64_t mark = atomic_load(&h->ring->run_mark);
  int started =
      mark && (mark & ((1u << PSW_RING_SLOT_BITS) - 1)) == k && s->attempts > 0;
  /* The attempts that failed before this one, and this one's time. */
  double since = started ? (double)(mark >> PSW_RING_SLOT_BITS) / 1000.0 : t0;
  double now = psw__mono_now();
  ev->elapsed = (started ? s->ev.elapsed : 0) + (now > since ? now - since : 0);
  *attempts = started ? s->attempts : 1;
  if (cancelled) {
    ev->status = PSW_ST_NOT_RUN;
    return PSW_ERR_INTERRUPTED;
  }
  if (!timed_out &&
      psw__model_killed_by_cancel(psw__proc_termsig(st), cancel_fd)) {
    ev->status = PSW_ST_NOT_RUN;
    return PSW_ERR_INTERRUPTED;
  }
  ev->exit_code = psw__proc_exit_code(st);
  ev->status = timed_out ? PSW_ST_TIMEOUT : PSW_ST_CRASHED;
  char desc[96];
  psw__proc_describe(st, desc, sizeof desc);
  psw_log(PSW_LOG_WARN,
          "plugin %s: sample %" PRIu64 " %s (%s); a new host takes over",
          h->spec->plugin, s->index,
          timed_out ? "timed out" : "crashed its host", desc);
  return 0;
}

/* When does the attempt running in slot k time out? INFINITY: no
 * timeout; *look: when to look again (the host has not started it). */
static double deadline_of(const psw_host_t *h, uint32_t k, double now,
                          double *look) {
  *look = INFINITY;
  if (h->spec->timeout <= 0)
    return INFINITY;
  uint64_t mark = atomic_load(&h->ring->run_mark);
  if (mark && (mark & ((1u << PSW_RING_SLOT_BITS) - 1)) == k)
    return (double)(mark >> PSW_RING_SLOT_BITS) / 1000.0 + h->spec->timeout;
  *look = now + UNSTARTED_LOOK_S;
  return INFINITY;
}

int psw__host_batch_take(psw_host_t *h, uint64_t index, double *params,
                         double *outputs, psw_eval_t *ev, int *attempts,
                         int cancel_fd) {
  if (!psw__host_batch_next(h, index))
    return PSW_ERR_INVAL;
  uint32_t k = h->next++;
  struct psw_ring_hdr *r = h->ring;
  if (params)
    memcpy(params, psw__ring_params(psw__ring_slot(r, k)),
           h->spec->nparams * sizeof(double));
  /* Mostly finished already: the clock only when it is not. */
  if (atomic_load(&r->done) > k) {
    take_slot(h, k, outputs, ev, attempts);
    return 0;
  }
  double t0 = psw__mono_now();
  if (h->lost) {
    h->lost = 0;
    h->count = h->next = 0;
    return lost(h, k, h->lost_st, 0, 0, cancel_fd, ev, attempts, t0);
  }
  for (;;) {
    if (atomic_load(&r->done) > k) {
      take_slot(h, k, outputs, ev, attempts);
      return 0;
    }
    if (atomic_load(&r->halted)) { /* a stop: k was not started */
      h->count = h->next = 0;
      ev->status = PSW_ST_NOT_RUN;
      return PSW_ERR_INTERRUPTED;
    }
    double now = psw__mono_now(), look;
    double deadline = deadline_of(h, k, now, &look);
    if (h->stop) {
      if (atomic_load_explicit(h->stop, memory_order_relaxed))
        psw__host_batch_halt(h);
      else if (look > now + STOP_LOOK_S)
        look = now + STOP_LOOK_S;
    }
    int got = PSW_PROC_EXIT;
    if (now < deadline && !h->proc.exited) {
      /* Asleep until the batch is done: the one wake-up of the batch. The
       * order (want, then done again) pairs with the host's (done, then
       * want): one of the two sees the other. */
      atomic_store(&r->want, h->count);
      if (atomic_load(&r->done) > k || atomic_load(&r->halted)) {
        atomic_store(&r->want, 0);
        continue;
      }
      struct pollfd pf = {.fd = h->fd, .events = POLLIN};
      got = psw__proc_wait(&h->proc, &pf, 1, cancel_fd,
                           look < deadline ? look : deadline);
      atomic_store(&r->want, 0);
      char b[sizeof(struct psw_ring_ready)];
      while (recv_now(h->fd, b, sizeof b) > 0)
        ;
      if (got < 0) {
        psw_log(PSW_LOG_ERROR, "plugin %s: poll: %s", h->spec->plugin,
                strerror(errno));
        stop_host(h);
        return PSW_ERR_SYS;
      }
      /* The cancel fd first: the run is being stopped, the sample is run
       * again on --resume. */
      if (got & PSW_PROC_CANCEL)
        return lost(h, k, stop_host(h), 0, 1, cancel_fd, ev, attempts, t0);
      if (!(got & PSW_PROC_EXIT))
        continue; /* woken, or time to look: the loop decides */
    }
    /* Dead, or past the deadline: unless k finished just now, it is
     * lost with its host. */
    if (atomic_load(&r->done) > k) {
      take_slot(h, k, outputs, ev, attempts);
      return 0;
    }
    int timed_out = !psw__proc_exited(&h->proc);
    return lost(h, k, stop_host(h), timed_out, 0, cancel_fd, ev, attempts, t0);
  }
}

int psw__host_eval(psw_host_t *h, uint64_t index, const double *params,
                   double *outputs, psw_eval_t *ev, int cancel_fd) {
  memcpy(psw__host_batch_slot(h, 0, index), params,
         h->spec->nparams * sizeof(double));
  int rc = psw__host_batch_start(h, 1, 0);
  if (rc)
    return rc;
  int attempts;
  return psw__host_batch_take(h, index, NULL, outputs, ev, &attempts,
                              cancel_fd);
}

void psw__host_close(psw_host_t *h) {
  if (!h)
    return;
  if (h->proc.pid) {
    /* A batch not taken ends after the sample running; end of input: the
     * host runs fini and exits. */
    atomic_store(&h->ring->abandon, 1);
    shutdown(h->fd, SHUT_WR);
    psw__proc_wait_exit(&h->proc, 30.0, -1);
    stop_host(h);
  }
  if (h->ring)
    munmap(h->ring, h->ring_len);
  if (h->ring_fd >= 0)
    close(h->ring_fd);
  free(h);
}
