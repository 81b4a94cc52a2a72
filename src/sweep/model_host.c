/* parsweep — the isolated plugin kind: the plugin runs in a host process.
 *
 * A plugin that segfaults, aborts or loops forever must cost one sample,
 * not the sweep. So each worker (thread, fork worker or rank alike) starts
 * a host, `parsweep __plugin-host ...` (the running executable again,
 * psw__host_set_exe), which loads the plugin and runs its init once, then
 * evaluates the samples it is sent over a SOCK_SEQPACKET socket pair (one
 * message each way per sample). When the host dies the sample is recorded
 * crashed (status 4, exit code -signal); when it outlives the timeout its
 * process group gets SIGTERM, the grace, then SIGKILL, and the sample is
 * recorded timed out (status 3). Either way the next sample (or retry)
 * starts a new host, whose init runs again.
 *
 * Messages: host -> worker READY {int32 rc, message}; worker -> host EVAL
 * {u64 index, double params[P]}; host -> worker RESULT {psw_eval_t,
 * double outputs[O]}. The worker closing its end ends the host (fini). */
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "model.h"
#include "parsweep/error.h"
#include "parsweep/log.h"
#include "proc.h"

extern char **environ;

static char *host_exe;

void psw__host_set_exe(const char *path) {
  free(host_exe);
  host_exe = path ? strdup(path) : NULL;
}

int psw__host_available(void) {
  return host_exe != NULL;
}

struct ready {
  int32_t rc;
  char msg[500];
};

struct psw_host {
  const psw_spec_t *spec;
  int worker, rank;
  psw_proc_t proc; /* pid 0: no host now (start one at the next eval) */
  int fd;
  unsigned char *buf; /* one message, either way */
  size_t len_eval, len_result;
};

/* Message layouts. */
#define EVAL_LEN(P) (sizeof(uint64_t) + (P) * sizeof(double))
#define RESULT_LEN(O) (sizeof(psw_eval_t) + (O) * sizeof(double))

/* End the host: SIGTERM to its group, the grace, SIGKILL; then whatever
 * the plugin started goes too. Returns the host's wait status. */
static int stop_host(psw_host_t *h) {
  int st = psw__proc_stop(&h->proc, PSW_MODEL_GRACE_S);
  close(h->fd);
  h->fd = -1;
  return st;
}

/* Wait for the host's message (its exit too, so that a descendant that
 * kept the socket open cannot hide a death), until `deadline` or the
 * cancel fd. Returns psw__proc_wait's bits. */
static int await_host(psw_host_t *h, int cancel_fd, double deadline) {
  if (h->proc.exited)
    return PSW_PROC_EXIT;
  struct pollfd pf = {.fd = h->fd, .events = POLLIN};
  return psw__proc_wait(&h->proc, &pf, 1, cancel_fd, deadline);
}

static ssize_t recv_now(int fd, void *buf, size_t len) {
  ssize_t n;
  do
    n = recv(fd, buf, len, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  return n;
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
  struct ready rd = {.rc = PSW_ERR_MODEL};
  /* A plugin's init has no time limit (SPEC): until its message or death. */
  ssize_t n = -1;
  if (await_host(h, -1, INFINITY) > 0)
    n = recv_now(h->fd, &rd, sizeof rd);
  if (n == (ssize_t)sizeof rd && rd.rc == 0)
    return 0;
  char st[96];
  psw__proc_describe(stop_host(h), st, sizeof st);
  rd.msg[sizeof rd.msg - 1] = '\0';
  if (n == (ssize_t)sizeof rd)
    return psw__model_errf(rd.rc, err, errlen, "%s", rd.msg);
  return psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s: its host died during init (%s)",
                         h->spec->plugin, st);
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
  h->len_eval = EVAL_LEN(spec->nparams);
  h->len_result = RESULT_LEN(spec->noutputs);
  h->buf = malloc(h->len_eval > h->len_result ? h->len_eval : h->len_result);
  if (!h->buf) {
    free(h);
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen, "out of memory");
  }
  /* The first host now: an init that fails stops the sweep before it
   * starts, as in-process. */
  int rc = start_host(h, err, errlen);
  if (rc) {
    psw__host_close(h);
    return rc;
  }
  *out = h;
  return 0;
}

int psw__host_eval(psw_host_t *h, uint64_t index, const double *params,
                   double *outputs, psw_eval_t *ev, int cancel_fd) {
  char err[512];
  if (!h->proc.pid) {
    int rc = start_host(h, err, sizeof err);
    if (rc) {
      psw_log(PSW_LOG_ERROR, "%s", err);
      return rc;
    }
  }
  const psw_spec_t *spec = h->spec;
  memcpy(h->buf, &index, sizeof index);
  memcpy(h->buf + sizeof index, params, spec->nparams * sizeof(double));
  double t0 = psw__mono_now();
  ssize_t n;
  do
    n = send(h->fd, h->buf, h->len_eval, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  int cancelled = 0, timed_out = 0;
  if (n == (ssize_t)h->len_eval) {
    double deadline = spec->timeout > 0 ? t0 + spec->timeout : INFINITY;
    int got = await_host(h, cancel_fd, deadline);
    if (got < 0) {
      psw_log(PSW_LOG_ERROR, "plugin %s: poll: %s", spec->plugin,
              strerror(errno));
      stop_host(h);
      return PSW_ERR_SYS;
    }
    /* The cancel fd first: the run is being stopped, the sample is run
     * again on --resume whether or not its result is there. */
    timed_out = got == 0;
    cancelled = (got & PSW_PROC_CANCEL) != 0;
    if (got && !cancelled)
      n = recv_now(h->fd, h->buf, h->len_result);
  }
  if (!cancelled && !timed_out && n == (ssize_t)h->len_result) {
    memcpy(ev, h->buf, sizeof *ev);
    memcpy(outputs, h->buf + sizeof *ev, spec->noutputs * sizeof(double));
    return 0;
  }
  /* Dead, hung or no longer wanted: this host is done. */
  int st = stop_host(h);
  ev->elapsed = psw__mono_now() - t0;
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
          spec->plugin, index, timed_out ? "timed out" : "crashed its host",
          desc);
  return 0;
}

void psw__host_close(psw_host_t *h) {
  if (!h)
    return;
  if (h->proc.pid) {
    /* End of input: the host runs fini and exits. */
    shutdown(h->fd, SHUT_WR);
    psw__proc_wait_exit(&h->proc, 30.0, -1);
    stop_host(h);
  }
  free(h->buf);
  free(h);
}

/* --- the host's side ------------------------------------------------------ */

static void send_ready(int fd, int rc, const char *msg) {
  struct ready rd = {.rc = rc};
  snprintf(rd.msg, sizeof rd.msg, "%s", msg);
  ssize_t n = send(fd, &rd, sizeof rd, MSG_NOSIGNAL);
  (void)n;
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
  size_t le = EVAL_LEN(spec->nparams), lr = RESULT_LEN(spec->noutputs);
  unsigned char *in = malloc(le), *out = malloc(lr);
  double *params = malloc((spec->nparams + 1) * sizeof(double));
  double *o = malloc((spec->noutputs + 1) * sizeof(double));
  rc = in && out && params && o ? 0 : 1;
  while (!rc) {
    ssize_t n = recv(fd, in, le, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != (ssize_t)le)
      break; /* end of input (or a broken worker) */
    uint64_t index;
    memcpy(&index, in, sizeof index);
    memcpy(params, in + sizeof index, spec->nparams * sizeof(double));
    for (size_t k = 0; k < spec->noutputs; k++)
      o[k] = NAN;
    psw_eval_t ev = {0};
    psw__plugin_eval(p, index, params, o, &ev);
    memcpy(out, &ev, sizeof ev);
    memcpy(out + sizeof ev, o, spec->noutputs * sizeof(double));
    if (send(fd, out, lr, MSG_NOSIGNAL) != (ssize_t)lr)
      break;
  }
  free(in);
  free(out);
  free(params);
  free(o);
  psw__plugin_close(p);
  /* putenv keeps pointers into spec: free it last. */
  psw__spec_free(spec);
  return 0;
}
