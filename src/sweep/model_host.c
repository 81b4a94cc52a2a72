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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "model.h"
#include "parsweep/error.h"
#include "parsweep/log.h"
#include "spawn.h"

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
  pid_t pid; /* 0: no host now (start one at the next eval) */
  int fd;
  unsigned char *buf; /* one message, either way */
  size_t len_eval, len_result;
};

/* Message layouts. */
#define EVAL_LEN(P) (sizeof(uint64_t) + (P) * sizeof(double))
#define RESULT_LEN(O) (sizeof(psw_eval_t) + (O) * sizeof(double))

/* Has pid exited within `secs`? Left unreaped (WNOWAIT): a zombie keeps
 * its process group id reserved, so kill(-pid) cannot hit another group. */
static int exited_within(pid_t pid, double secs) {
  double end = psw__mono_now() + secs;
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && si.si_pid == pid)
      return 1;
    if (r < 0 && errno != EINTR)
      return 1; /* not ours to wait for (SIGCHLD ignored): gone */
    if (psw__mono_now() >= end)
      return 0;
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
}

/* End the host: SIGTERM to its group, the grace, SIGKILL; then whatever
 * the plugin started goes too. Returns the host's wait status. */
static int stop_host(psw_host_t *h) {
  if (!exited_within(h->pid, 0)) {
    kill(-h->pid, SIGTERM);
    if (!exited_within(h->pid, PSW_MODEL_GRACE_S))
      kill(-h->pid, SIGKILL);
  }
  kill(-h->pid, SIGKILL);
  int st = 0;
  psw__spawn_reap(h->pid, &st);
  close(h->fd);
  h->fd = -1;
  h->pid = 0;
  return st;
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
  pid_t pid;
  int e = psw__spawn(host_exe, argv, environ, -1, sv[1], &pid);
  close(sv[1]);
  if (e) {
    close(sv[0]);
    return psw__model_errf(PSW_ERR_SYS, err, errlen,
                           "plugin %s: cannot start its host %s: %s",
                           h->spec->plugin, host_exe, strerror(e));
  }
  h->pid = pid;
  h->fd = sv[0];
  struct ready rd = {.rc = PSW_ERR_MODEL};
  ssize_t n;
  do
    n = recv(h->fd, &rd, sizeof rd, 0);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)sizeof rd && rd.rc == 0)
    return 0;
  int st = stop_host(h);
  rd.msg[sizeof rd.msg - 1] = '\0';
  if (n == (ssize_t)sizeof rd)
    return psw__model_errf(rd.rc, err, errlen, "%s", rd.msg);
  return psw__model_errf(PSW_ERR_MODEL, err, errlen,
                         "plugin %s: its host died during init (%s %d)",
                         h->spec->plugin,
                         WIFSIGNALED(st) ? "signal" : "exit status",
                         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
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
  if (!h->pid) {
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
    struct pollfd pf[2] = {{h->fd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
    for (;;) {
      int ms = -1;
      if (spec->timeout > 0) {
        double left = t0 + spec->timeout - psw__mono_now();
        ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
      }
      int pr = poll(pf, cancel_fd >= 0 ? 2 : 1, ms);
      if (pr < 0 && errno == EINTR)
        continue;
      if (pr == 0) {
        timed_out = 1;
        break;
      }
      if (cancel_fd >= 0 && (pf[1].revents & POLLIN)) {
        cancelled = 1;
        break;
      }
      if (pf[0].revents) {
        do
          n = recv(h->fd, h->buf, h->len_result, 0);
        while (n < 0 && errno == EINTR);
        break;
      }
    }
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
  if (!timed_out && WIFSIGNALED(st) &&
      psw__model_killed_by_cancel(WTERMSIG(st), cancel_fd)) {
    ev->status = PSW_ST_NOT_RUN;
    return PSW_ERR_INTERRUPTED;
  }
  ev->exit_code = WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
  ev->status = timed_out ? PSW_ST_TIMEOUT : PSW_ST_CRASHED;
  psw_log(PSW_LOG_WARN,
          "plugin %s: sample %" PRIu64 " %s (%s %d); a new host takes over",
          spec->plugin, index, timed_out ? "timed out" : "crashed its host",
          WIFSIGNALED(st) ? "signal" : "exit status",
          WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  return 0;
}

void psw__host_close(psw_host_t *h) {
  if (!h)
    return;
  if (h->pid) {
    /* End of input: the host runs fini and exits. */
    shutdown(h->fd, SHUT_WR);
    exited_within(h->pid, 30.0);
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
