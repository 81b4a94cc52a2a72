/* parsweep — the server model kind (SPEC §3.1, protocol: docs/models.md).
 *
 * One server process per worker, started at open (a start-up failure stops
 * the run before any output is touched) and kept across samples: what it
 * built (a flowsheet, a mesh, a JIT-compiled solver) is paid for once. It
 * runs in a process group of its own (psw__spawn), stdin /dev/null, stdout
 * /dev/null (solver chatter), stderr ours; the protocol runs on a socket
 * pair whose other end is the server's fd 3 (PARSWEEP_SERVER_FD=3), so
 * nothing it prints can be mistaken for a reply.
 *
 * Lines of text both ways: a header (parameter and output names), the
 * server's "ready", then per sample "sample I v1 .. vP" and one reply
 * "ok I o1 .. oO" or "error I text"; "exit" at the end. Doubles travel as
 * "%.17g" in the C locale and come back through strtod_l: every bit.
 *
 * Failures (SPEC §3.1): "error" fails the sample and the server goes on; a
 * server that dies during a sample crashes it (status 4, exit code -signal
 * or the exit status); past the timeout the sample is timed out (status 3)
 * and the group gets SIGTERM, the grace, SIGKILL; a reply that breaks the
 * protocol fails the sample and the server is replaced. A replaced server
 * is started again at the next eval. Start-up (until "ready", within
 * init_timeout) that fails is retried once, then the model fails with
 * PSW_ERR_MODEL and a one-line reason naming the command.
 *
 * The server is started, waited for and ended by the supervisor of every
 * model kind (proc.h): one wait on the socket, the server's exit and the
 * run's cancel fd, with the next deadline as its timeout.
 *
 * This file holds that supervision: start-up, open/close and a sample's
 * eval; the protocol's text and the socket are in model_server_io.c, the
 * environment in model_env.c. */
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
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "model.h"
#include "model_cmd.h"
#include "model_server.h"
#include "parsweep/error.h"
#include "parsweep/log.h"
#include "proc.h"

/* How long a server has to leave after "exit" (protocol: ~5 s). */
#define EXIT_WAIT_S 5.0
/* Sample errors logged at WARN per worker; the rest at INFO. */
#define WARN_ERRORS 5

/* --- the process -------------------------------------------------------- */

/* End the server and everything in its group; reap it. Returns its wait
 * status (PSW_PROC_LOST when lost). SIGTERM and the grace first unless
 * !term_first. */
static int stop(psw_srv_t *s, int term_first) {
  if (!s->proc.pid)
    return PSW_PROC_LOST;
  int st = psw__proc_stop(&s->proc, term_first ? PSW_MODEL_GRACE_S : -1);
  if (s->fd >= 0)
    close(s->fd);
  s->fd = -1;
  s->in_len = s->out_len = s->out_off = 0;
  return st;
}

/* --- start-up ----------------------------------------------------------- */

/* One start: spawn, send the header, wait for "ready". 0, or
 * PSW_ERR_MODEL with the reason in why, PSW_ERR_INTERRUPTED, PSW_ERR_SYS
 * (the machine: no fork, no descriptors). The server is gone unless 0. */
static int start_once(psw_srv_t *s, int cancel_fd, char *why, size_t whylen) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return psw__model_errf(PSW_ERR_SYS, why, whylen, "socketpair: %s",
                           strerror(errno));
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return psw__model_errf(PSW_ERR_SYS, why, whylen, "/dev/null: %s",
                           strerror(e));
  }
  int e = psw__proc_start(&s->proc, s->path, s->spec->server, s->envp, null_fd,
                          sv[1]);
  close(null_fd);
  close(sv[1]);
  if (e) {
    close(sv[0]);
    return psw__model_errf(e == EAGAIN || e == ENOMEM ? PSW_ERR_SYS
                                                      : PSW_ERR_MODEL,
                           why, whylen, "cannot run: %s", strerror(e));
  }
  s->fd = sv[0];
  s->in_len = s->out_len = s->out_off = 0;
  if (psw__srv_out_add(s, s->hello, s->hello_len)) {
    stop(s, 0);
    return psw__model_errf(PSW_ERR_NOMEM, why, whylen, "out of memory");
  }
  double t0 = psw__mono_now();
  double deadline =
      s->spec->init_timeout > 0 ? t0 + s->spec->init_timeout : INFINITY;
  size_t len = 0;
  int r = psw__srv_exchange(s, deadline, cancel_fd, &len);
  if (r == IO_LINE && !strcmp(psw__srv_line_text(s, len), "ready")) {
    psw__srv_consume_line(s, len);
    psw_log(PSW_LOG_DEBUG, "server %s: pid %d ready after %.3f s", s->name,
            (int)s->proc.pid, psw__mono_now() - t0);
    return 0;
  }
  char st[96];
  switch (r) {
  case IO_LINE:
    snprintf(why, whylen, "said \"%.60s\" instead of \"ready\"",
             psw__srv_line_text(s, len));
    stop(s, 1);
    return PSW_ERR_MODEL;
  case IO_DEAD:
    psw__proc_describe(stop(s, 1), st, sizeof st);
    snprintf(why, whylen, "ended (%s) before it was ready", st);
    return PSW_ERR_MODEL;
  case IO_TIMEOUT:
    stop(s, 1);
    snprintf(why, whylen, "not ready within init_timeout (%g s)",
             s->spec->init_timeout);
    return PSW_ERR_MODEL;
  case IO_TOOLONG:
    stop(s, 1);
    snprintf(why, whylen, "sent a line longer than %d bytes", LINE_MAX_BYTES);
    return PSW_ERR_MODEL;
  case IO_CANCEL:
    stop(s, 1);
    return PSW_ERR_INTERRUPTED;
  default:
    stop(s, 1);
    return psw__model_errf(PSW_ERR_SYS, why, whylen, "poll: %s",
                           strerror(errno));
  }
}

/* A start, retried once (SPEC §3.1). On failure s->err holds the one-line
 * reason naming the command. */
static int start(psw_srv_t *s, int cancel_fd) {
  char why[400] = "";
  int rc = start_once(s, cancel_fd, why, sizeof why);
  if (rc == PSW_ERR_MODEL) {
    /* INFO: the run's one line is the final verdict, if it comes. */
    psw_log(PSW_LOG_INFO, "server %s: %s; starting it once more", s->name, why);
    rc = start_once(s, cancel_fd, why, sizeof why);
    if (rc == PSW_ERR_MODEL) {
      snprintf(s->err, sizeof s->err, "server %s: %s (started twice)", s->name,
               why);
      return rc;
    }
  }
  if (rc && rc != PSW_ERR_INTERRUPTED)
    snprintf(s->err, sizeof s->err, "server %s: %s", s->name,
             why[0] ? why : psw_strerror(rc));
  return rc;
}

/* --- open / close ------------------------------------------------------- */

int psw__srv_open(const psw_spec_t *spec, int worker, int rank, psw_srv_t **out,
                  int cancel_fd, char *err, size_t errlen) {
  *out = NULL;
  psw_srv_t *s = calloc(1, sizeof *s);
  if (!s)
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen, "out of memory");
  s->spec = spec;
  s->fd = s->proc.pidfd = -1;
  /* The argv as one string: "python3 flowsheet.py" names the model
   * better than "python3" does. */
  size_t used = 0;
  for (size_t i = 0; i < spec->server_argc && used < sizeof s->name - 1; i++) {
    int n = snprintf(s->name + used, sizeof s->name - used, "%s%s",
                     i ? " " : "", spec->server[i]);
    used += n > 0 ? (size_t)n : 0;
  }
  for (size_t i = 0; i < spec->nenv; i++) {
    if (!spec->env[i] || !strchr(spec->env[i], '=') || spec->env[i][0] == '=') {
      psw__srv_close(s, -1);
      return psw__model_errf(PSW_ERR_INVAL, err, errlen,
                             "server %s: env entry \"%s\" is not KEY=VALUE",
                             spec->server[0], spec->env[i] ? spec->env[i] : "");
    }
  }
  if (psw__srv_env(spec, worker, rank, &s->envp) || psw__srv_hello(s)) {
    psw__srv_close(s, -1);
    return psw__model_errf(PSW_ERR_NOMEM, err, errlen,
                           "server %s: out of memory", s->name);
  }
  const char *path_env = NULL;
  for (char **e = s->envp; *e && !path_env; e++)
    if (!strncmp(*e, "PATH=", 5))
      path_env = *e + 5;
  s->path = psw__model_resolve(spec->server[0], path_env);
  if (!s->path) {
    int rc = psw__model_errf(PSW_ERR_MODEL, err, errlen,
                             strchr(spec->server[0], '/')
                                 ? "server %s: not an executable file"
                                 : "server %s: not found on PATH",
                             s->name);
    psw__srv_close(s, -1);
    return rc;
  }
  /* Started now: a server that cannot start stops the run before it
   * touches any output (every worker starts its own, in parallel). */
  int rc = start(s, cancel_fd);
  if (rc) {
    psw__model_errf(rc, err, errlen, "%s",
                    s->err[0] ? s->err : psw_strerror(rc));
    psw__srv_close(s, -1);
    return rc;
  }
  *out = s;
  return 0;
}

void psw__srv_close(psw_srv_t *s, int cancel_fd) {
  if (!s)
    return;
  int saved = errno;
  if (s->proc.pid) {
    /* "exit", then our end closed for writing: the server leaves (EOF is
     * its cue too); one that does not is stopped. A run being cancelled
     * does not wait for it. */
    s->out_len = s->out_off = 0;
    if (!psw__srv_out_add(s, "exit\n", 5)) {
      ssize_t w = send(s->fd, s->out, s->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
      (void)w;
    }
    shutdown(s->fd, SHUT_WR);
    int left = psw__proc_wait_exit(&s->proc, EXIT_WAIT_S, cancel_fd);
    if (!left)
      psw_log(PSW_LOG_INFO, "server %s: still running after \"exit\"; stopped",
              s->name);
    stop(s, !left);
  }
  for (char **e = s->envp; e && *e; e++)
    free(*e);
  free(s->envp);
  free(s->path);
  free(s->hello);
  free(s->out);
  free(s->in);
  free(s);
  errno = saved;
}

const char *psw__srv_error(const psw_srv_t *s) {
  return s ? s->err : "";
}

/* --- eval --------------------------------------------------------------- */

/* Parse the reply to sample `index` (NUL-terminated). Returns 0 for a
 * well-formed reply (ev->status OK or FAILED, outputs set), or -1 with the
 * protocol error in why. */
static int parse_reply(psw_srv_t *s, char *line, uint64_t index,
                       double *outputs, psw_eval_t *ev, char *why,
                       size_t whylen) {
  const psw_spec_t *spec = s->spec;
  locale_t loc = psw__c_locale();
  int is_ok = !strncmp(line, "ok ", 3), is_err = !strncmp(line, "error ", 6);
  if (!is_ok && !is_err) {
    snprintf(why, whylen, "not a reply: \"%.80s\"", line);
    return -1;
  }
  char *p = line + (is_ok ? 3 : 6), *end;
  errno = 0;
  unsigned long long got = strtoull(p, &end, 10);
  if (end == p || errno || (*end != ' ' && *end != '\0') || *p == '-' ||
      got != index) {
    snprintf(why, whylen, "reply \"%.80s\" to sample %" PRIu64, line, index);
    return -1;
  }
  p = end;
  if (is_err) {
    ev->status = PSW_ST_FAILED;
    ev->exit_code = 0;
    const char *text = *p ? p + 1 : "(no text)";
    int lvl = s->errors_logged < WARN_ERRORS ? PSW_LOG_WARN : PSW_LOG_INFO;
    psw_log(lvl, "server %s: sample %" PRIu64 " failed: %.300s%s", s->name,
            index, text,
            ++s->errors_logged == WARN_ERRORS
                ? " (this worker's later sample errors: PARSWEEP_LOG=info)"
                : "");
    return 0;
  }
  size_t k = 0;
  for (; *p == ' '; k++) {
    p++;
    if (k == spec->noutputs)
      break;
    double v = loc ? strtod_l(p, &end, loc) : strtod(p, &end);
    if (end == p || (*end != ' ' && *end != '\0')) {
      snprintf(why, whylen,
               "output %zu of sample %" PRIu64 " is not a number: \"%.40s\"",
               k + 1, index, p);
      return -1;
    }
    outputs[k] = v;
    p = end;
  }
  if (k != spec->noutputs || *p != '\0') {
    snprintf(why, whylen, "sample %" PRIu64 ": %s values, %zu expected", index,
             k < spec->noutputs ? "fewer" : "more", spec->noutputs);
    return -1;
  }
  ev->status = PSW_ST_OK;
  ev->exit_code = 0;
  for (k = 0; k < spec->noutputs; k++) {
    if (isnan(outputs[k])) {
      ev->status = PSW_ST_FAILED;
      psw_log(PSW_LOG_DEBUG, "server %s: sample %" PRIu64 ": output %s is nan",
              s->name, index, spec->outputs[k]);
      break;
    }
  }
  return 0;
}

int psw__srv_eval(psw_srv_t *s, uint64_t index, const double *params,
                  double *outputs, psw_eval_t *ev, int cancel_fd) {
  s->err[0] = '\0';
  if (psw__model_cancelled_within(cancel_fd, 0))
    return PSW_ERR_INTERRUPTED;
  double t0 = psw__mono_now();
  if (!s->proc.pid) {
    /* The last one died, hung or broke the protocol: a new one. */
    int rc = start(s, cancel_fd);
    if (rc)
      return rc;          /* the caller reports s->err (psw__model_error) */
    t0 = psw__mono_now(); /* the sample's time, not the start-up's */
  }
  if (psw__srv_queue_sample(s, index, params))
    return PSW_ERR_NOMEM;
  const psw_spec_t *spec = s->spec;
  double deadline = spec->timeout > 0 ? t0 + spec->timeout : INFINITY;
  size_t len = 0;
  int r = psw__srv_exchange(s, deadline, cancel_fd, &len);
  char why[256];
  if (r == IO_LINE) {
    int prc = parse_reply(s, psw__srv_line_text(s, len), index, outputs, ev,
                          why, sizeof why);
    psw__srv_consume_line(s, len);
    ev->elapsed = psw__mono_now() - t0;
    if (prc == 0)
      return 0;
    r = IO_TOOLONG; /* a protocol error, as below */
  } else if (r == IO_TOOLONG) {
    snprintf(why, sizeof why,
             "sample %" PRIu64 ": a reply longer than %d "
             "bytes",
             index, LINE_MAX_BYTES);
  }
  if (r == IO_TOOLONG) {
    /* The channel cannot be trusted any more: a new server next time. */
    psw_log(PSW_LOG_WARN,
            "server %s: protocol error: %s; a new server "
            "takes over",
            s->name, why);
    stop(s, 1);
    ev->status = PSW_ST_FAILED;
    ev->exit_code = 0;
    ev->elapsed = psw__mono_now() - t0;
    return 0;
  }
  if (r == IO_SYS) {
    snprintf(s->err, sizeof s->err, "server %s: %s", s->name,
             strerror(errno ? errno : ENOMEM));
    stop(s, 1);
    return PSW_ERR_SYS;
  }
  /* Dead, hung, or no longer wanted: this server is done. */
  int st = stop(s, 1);
  ev->elapsed = psw__mono_now() - t0;
  if (r == IO_CANCEL ||
      (r == IO_DEAD &&
       psw__model_killed_by_cancel(psw__proc_termsig(st), cancel_fd))) {
    /* The run is being stopped: the sample is to be run again. */
    ev->status = PSW_ST_NOT_RUN;
    return PSW_ERR_INTERRUPTED;
  }
  ev->exit_code = psw__proc_exit_code(st);
  ev->status = r == IO_TIMEOUT ? PSW_ST_TIMEOUT : PSW_ST_CRASHED;
  char desc[96];
  psw__proc_describe(st, desc, sizeof desc);
  psw_log(PSW_LOG_WARN,
          "server %s: sample %" PRIu64 " %s (%s); a new server "
          "takes over",
          s->name, index, r == IO_TIMEOUT ? "timed out" : "ended the server",
          desc);
  return 0;
}
