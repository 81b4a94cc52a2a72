/* parsweep — the external command model kind.
 *
 * Each sample runs the argv template with its placeholders replaced, through
 * fork and exec (never a shell), in a process group of its own so that a
 * timeout can kill the model and everything it started. Its stdout comes
 * through a pipe and is parsed line by line as it arrives (memory stays
 * bounded whatever the model prints); stdin is /dev/null, stderr is ours.
 *
 * The child is started, waited for and ended by the supervisor of every
 * model kind (proc.h): its wait watches the stdout pipe, the child's exit
 * and the cancel fd at once, with the next deadline as its timeout.
 *
 * This file holds the kind's open, its supervision of one sample and the
 * sample's status; the argv templates (model_argv.c, pure) and the
 * environment (model_env.c) are apart (model_cmd.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "model.h"
#include "model_cmd.h"
#include "parsweep/error.h"
#include "parsweep/log.h"
#include "proc.h"

/* Longest stdout line kept; a longer one cannot be "name=number" and is
 * skipped up to its newline. */
#define LINE_CAP (64 * 1024)
/* Bytes read per wake-up before the deadlines are looked at again, so that
 * a model flooding stdout cannot starve its own timeout. */
#define READ_BUDGET (1024 * 1024)

struct psw_cmd {
  const psw_spec_t *spec;
  /* argv[0] resolved on PATH at open, or NULL when argv[0] holds a
   * placeholder and is searched at each eval by execvpe. */
  char *path;
  char **envp;        /* NULL-terminated; all owned but the index slot */
  size_t nenv_owned;  /* envp[0..nenv_owned) are owned */
  char index_env[48]; /* "PARSWEEP_INDEX=<n>", the last entry of envp */
  char *line;         /* partial stdout line, LINE_CAP bytes */
  size_t line_len;
  int discarding; /* inside an over-long line: skip to its newline */
};

/* --- placeholders ------------------------------------------------------- */
int psw__cmd_open(const psw_spec_t *spec, int worker, int rank, psw_cmd_t **out,
                  char *err, size_t errlen) {
  *out = NULL;
  int rc = psw__cmd_argv_check(spec, err, errlen);
  if (rc != 0)
    return rc;

  psw_cmd_t *c = calloc(1, sizeof *c);
  if (!c)
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen,
                           "command %s: out of memory", spec->command[0]);
  c->spec = spec;
  snprintf(c->index_env, sizeof c->index_env, "PARSWEEP_INDEX=0");
  rc = psw__cmd_env(spec, worker, rank, c->index_env, &c->envp, &c->nenv_owned,
                    err, errlen);
  if (rc != 0)
    goto fail;
  c->line = malloc(LINE_CAP);
  if (!c->line) {
    rc = psw__model_errf(PSW_ERR_NOMEM, err, errlen,
                         "command %s: out of memory", spec->command[0]);
    goto fail;
  }
  const char *arg0 = spec->command[0];
  if (!psw__placeholder_next(arg0, NULL)) {
    c->path = psw__model_resolve(arg0, psw__cmd_env_get(c->envp, "PATH"));
    if (!c->path) {
      rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                           strchr(arg0, '/')
                               ? "command %s: not an executable file"
                               : "command %s: not found on PATH",
                           arg0);
      goto fail;
    }
  }
  *out = c;
  return 0;
fail:
  psw__cmd_close(c);
  return rc;
}

void psw__cmd_close(psw_cmd_t *c) {
  if (!c)
    return;
  int saved = errno;
  for (size_t i = 0; c->envp && i < c->nenv_owned; i++)
    free(c->envp[i]);
  free(c->envp);
  free(c->path);
  free(c->line);
  free(c);
  errno = saved;
}

/* --- stdout ------------------------------------------------------------- */

/* Take `added` new bytes at line + line_len: parse the complete lines, keep
 * the partial last one. */
static void consume(psw_cmd_t *c, size_t added, double *outputs) {
  const psw_spec_t *spec = c->spec;
  size_t old = c->line_len, total = old + added, from = 0;
  if (c->discarding) {
    char *nl = memchr(c->line + old, '\n', added);
    if (!nl) {
      c->line_len = 0;
      return;
    }
    c->discarding = 0;
    from = (size_t)(nl + 1 - c->line);
  }
  /* The kept partial line has no newline: look only at the new bytes. */
  size_t scan = from > old ? from : old;
  char *last = memrchr(c->line + scan, '\n', total - scan);
  if (last) {
    size_t end = (size_t)(last + 1 - c->line);
    psw__parse_outputs_update(c->line + from, end - from,
                              (const char *const *)spec->outputs,
                              spec->noutputs, outputs);
    from = end;
  }
  memmove(c->line, c->line + from, total - from);
  c->line_len = total - from;
  if (c->line_len == LINE_CAP) {
    c->line_len = 0;
    c->discarding = 1;
  }
}

/* Read what is there (up to READ_BUDGET); clears *open at EOF or error. */
static void read_stdout(psw_cmd_t *c, int fd, int *open, double *outputs) {
  size_t budget = READ_BUDGET;
  while (budget > 0) {
    ssize_t r = read(fd, c->line + c->line_len, LINE_CAP - c->line_len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (r <= 0) {
      *open = 0;
      return;
    }
    budget -= (size_t)r < budget ? (size_t)r : budget;
    consume(c, (size_t)r, outputs);
  }
}

/* --- the child ---------------------------------------------------------- */

/* What happened to the child, from the event loop to the status. */
typedef struct run {
  int term_sent, kill_sent, timed_out, cancelled;
  int wstatus; /* PSW_PROC_LOST: cannot be known */
} run_t;

/* Follow the child until it has exited and stdout is drained; reap it.
 * Not psw__proc_stop's sequence: stdout is read through the grace too, so
 * that a model still printing is not blocked on a full pipe. */
static int supervise(psw_cmd_t *c, psw_proc_t *p, int rfd, int cancel_fd,
                     double *outputs, run_t *r) {
  const psw_spec_t *spec = c->spec;
  double t = psw__mono_now();
  double deadline = spec->timeout > 0 ? t + spec->timeout : INFINITY;
  double kill_at = INFINITY, drain_until = INFINITY;
  int pipe_open = 1, sys_err = 0;

  for (;;) {
    t = psw__mono_now();
    if (!p->exited && !r->term_sent && t >= deadline) {
      r->timed_out = 1;
      r->term_sent = 1;
      psw__proc_signal(p, SIGTERM);
      kill_at = t + PSW_MODEL_GRACE_S;
    }
    if (!p->exited && r->term_sent && !r->kill_sent && t >= kill_at) {
      r->kill_sent = 1;
      psw__proc_signal(p, SIGKILL);
    }
    if (p->exited && (!pipe_open || t >= drain_until))
      break;
    struct pollfd pf = {.fd = rfd, .events = POLLIN};
    double wake = p->exited       ? drain_until
                  : !r->term_sent ? deadline
                  : !r->kill_sent ? kill_at
                                  : INFINITY;
    /* Once termination has begun the cancel fd stays readable: stop
     * watching it or the wait would spin. A model that has exited is
     * done: its output counts. */
    int watch_cancel = !p->exited && !r->term_sent;
    int ev =
        psw__proc_wait(p, &pf, pipe_open, watch_cancel ? cancel_fd : -1, wake);
    if (ev < 0) {
      sys_err = errno; /* cannot happen with valid fds; stop() ends it */
      break;
    }
    if (ev & PSW_PROC_IO)
      read_stdout(c, rfd, &pipe_open, outputs);
    if (ev & PSW_PROC_CANCEL) {
      r->cancelled = 1;
      r->term_sent = 1;
      psw__proc_signal(p, SIGTERM);
      kill_at = psw__mono_now() + PSW_MODEL_GRACE_S;
    }
    if (ev & PSW_PROC_EXIT)
      drain_until = psw__mono_now() + PSW_MODEL_DRAIN_S;
  }
  /* The last line may lack its newline. */
  if (!c->discarding && c->line_len > 0)
    psw__parse_outputs_update(c->line, c->line_len,
                              (const char *const *)spec->outputs,
                              spec->noutputs, outputs);
  /* Exited (or killed now): the rest of its group goes, then the reap. */
  r->wstatus = psw__proc_stop(p, -1);
  return sys_err;
}

/* --- eval --------------------------------------------------------------- */

static void set_status(const psw_cmd_t *c, uint64_t index, const run_t *r,
                       const double *outputs, psw_eval_t *ev) {
  const char *cmd = c->spec->command[0];
  int gone = r->wstatus == PSW_PROC_LOST;
  if (gone)
    psw_log(PSW_LOG_WARN,
            "command %s: sample %" PRIu64 ": exit status lost (is SIGCHLD "
            "ignored?)",
            cmd, index);
  ev->exit_code = psw__proc_exit_code(r->wstatus);
  if (r->timed_out) {
    ev->status = PSW_ST_TIMEOUT;
    psw_log(PSW_LOG_DEBUG, "command %s: sample %" PRIu64 ": timed out", cmd,
            index);
  } else if (gone) {
    ev->status = PSW_ST_FAILED;
  } else if (WIFSIGNALED(r->wstatus)) {
    ev->status = PSW_ST_CRASHED;
    psw_log(PSW_LOG_DEBUG, "command %s: sample %" PRIu64 ": signal %d", cmd,
            index, WTERMSIG(r->wstatus));
  } else if (ev->exit_code != 0) {
    ev->status = PSW_ST_FAILED;
    psw_log(PSW_LOG_DEBUG, "command %s: sample %" PRIu64 ": exit %d", cmd,
            index, (int)ev->exit_code);
  } else {
    ev->status = PSW_ST_OK;
    for (size_t k = 0; k < c->spec->noutputs; k++) {
      if (isnan(outputs[k])) {
        ev->status = PSW_ST_FAILED;
        psw_log(PSW_LOG_DEBUG,
                "command %s: sample %" PRIu64 ": no value for output %s", cmd,
                index, c->spec->outputs[k]);
        break;
      }
    }
  }
}

int psw__cmd_eval(psw_cmd_t *c, uint64_t index, const double *params,
                  double *outputs, psw_eval_t *ev, int cancel_fd) {
  const psw_spec_t *spec = c->spec;
  if (psw__model_cancelled_within(cancel_fd, 0))
    return PSW_ERR_INTERRUPTED;
  double t0 = psw__mono_now();
  int unknown = 0;
  char **argv = psw__cmd_argv(spec, index, params, &unknown);
  if (!argv) {
    if (!unknown)
      return PSW_ERR_NOMEM;
    /* psw__cmd_open checked the template; only a spec changed since. */
    psw_log(PSW_LOG_ERROR,
            "command %s: sample %" PRIu64 ": unknown placeholder in argv",
            spec->command[0], index);
    ev->status = PSW_ST_FAILED;
    ev->exit_code = 127;
    return 0;
  }
  snprintf(c->index_env, sizeof c->index_env, "PARSWEEP_INDEX=%" PRIu64, index);
  c->line_len = 0;
  c->discarding = 0;

  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) {
    psw_log(PSW_LOG_ERROR, "command %s: pipe: %s", spec->command[0],
            strerror(errno));
    psw__cmd_argv_free(spec, argv);
    return PSW_ERR_SYS;
  }
  /* Non-blocking on our end only; the model's stdout stays blocking. */
  fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
  psw_proc_t p;
  int src = psw__proc_start(&p, c->path, argv, c->envp, pfd[1], -1);
  close(pfd[1]);
  psw__cmd_argv_free(spec, argv);
  if (src != 0) {
    close(pfd[0]);
    psw_log(PSW_LOG_ERROR, "command %s: sample %" PRIu64 ": cannot run: %s",
            spec->command[0], index, strerror(src));
    /* The command vanished or is not executable any more: that sample
     * fails (127, as a shell says "not found"). Lack of resources is the
     * system's failure, not the sample's. */
    if (src == EAGAIN || src == ENOMEM)
      return PSW_ERR_SYS;
    ev->status = PSW_ST_FAILED;
    ev->exit_code = 127;
    ev->elapsed = psw__mono_now() - t0;
    return 0;
  }

  run_t r = {0};
  int sys_err = supervise(c, &p, pfd[0], cancel_fd, outputs, &r);
  close(pfd[0]);
  ev->elapsed = psw__mono_now() - t0;
  if (sys_err != 0) {
    psw_log(PSW_LOG_ERROR, "command %s: poll: %s", spec->command[0],
            strerror(sys_err));
    return PSW_ERR_SYS;
  }
  /* A timeout is ours: no need to ask whether the run is being stopped. */
  if (!r.timed_out &&
      (r.cancelled ||
       psw__model_killed_by_cancel(psw__proc_termsig(r.wstatus), cancel_fd))) {
    ev->status = PSW_ST_NOT_RUN;
    return PSW_ERR_INTERRUPTED;
  }
  set_status(c, index, &r, outputs, ev);
  return 0;
}
