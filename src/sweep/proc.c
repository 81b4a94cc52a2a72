/* parsweep — the one supervisor of model processes (see proc.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "proc.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"
#include "spawn.h"
#include "util.h"

/* Exit polling period when the kernel has no pidfd_open (before 5.3). */
#define NOPIDFD_TICK_S 0.02

int psw__proc_start(psw_proc_t *p, const char *path, char *const *argv,
                    char *const *envp, int out_fd, int pass_fd) {
  pid_t pid;
  int e = psw__spawn(path, argv, envp, out_fd, pass_fd, &pid);
  if (e)
    return e;
  *p = (psw_proc_t){.pid = pid, .pidfd = -1};
  /* Opened at once: even if it has exited already, the unreaped child
   * still has its pid (ESRCH only when the host auto-reaps: the tick
   * then finds it gone). */
#ifdef SYS_pidfd_open
  p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
  return 0;
}

int psw__proc_exited(psw_proc_t *p) {
  if (p->exited || !p->pid)
    return 1;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r;
  do
    r = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    p->gone = 1; /* not ours to wait for: reaped by the system */
  p->exited = r < 0 || si.si_pid == p->pid;
  return p->exited;
}

int psw__proc_wait(psw_proc_t *p, struct pollfd *fds, int nfds, int cancel_fd,
                   double deadline) {
  if (nfds < 0 || nfds > PSW_PROC_MAX_FDS) {
    errno = EINVAL;
    return -1;
  }
  struct pollfd pf[PSW_PROC_MAX_FDS + 2];
  for (;;) {
    int np = nfds, ix = -1, ic = -1;
    if (nfds > 0)
      memcpy(pf, fds, (size_t)nfds * sizeof *pf);
    /* An exited child's pidfd stays readable: watching it would spin. */
    int watch = p->pid && !p->exited;
    if (watch && p->pidfd >= 0) {
      ix = np;
      pf[np++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
    }
    if (cancel_fd >= 0) {
      ic = np;
      pf[np++] = (struct pollfd){.fd = cancel_fd, .events = POLLIN};
    }
    double now = psw__mono_now(), wake = deadline;
    if (watch && p->pidfd < 0 && wake > now + NOPIDFD_TICK_S)
      wake = now + NOPIDFD_TICK_S;
    int n = poll(pf, (nfds_t)np, psw__model_ms_until(wake, now));
    if (n < 0 && errno != EINTR)
      return -1;
    int ev = 0;
    for (int i = 0; i < nfds; i++) {
      fds[i].revents = n > 0 ? pf[i].revents : 0;
      if (fds[i].revents)
        ev |= PSW_PROC_IO;
    }
    if (n > 0 && ic >= 0 && pf[ic].revents)
      ev |= PSW_PROC_CANCEL;
    if (watch && (p->pidfd < 0 || (n > 0 && pf[ix].revents)) &&
        psw__proc_exited(p))
      ev |= PSW_PROC_EXIT;
    if (ev)
      return ev;
    /* poll's timeout is rounded up, but a tick or a signal ends it early:
     * only the deadline itself ends the wait. */
    if (n == 0 && psw__mono_now() >= deadline)
      return 0;
  }
}

int psw__proc_wait_exit(psw_proc_t *p, double secs, int cancel_fd) {
  double end = psw__mono_now() + secs;
  while (!psw__proc_exited(p)) {
    int ev = psw__proc_wait(p, NULL, 0, cancel_fd, end);
    if (ev <= 0 || (ev & PSW_PROC_CANCEL))
      return psw__proc_exited(p);
  }
  return 1;
}

void psw__proc_signal(const psw_proc_t *p, int sig) {
  if (p->pid > 0 && !p->gone)
    kill(-p->pid, sig);
}

int psw__proc_stop(psw_proc_t *p, double grace) {
  int st = PSW_PROC_LOST;
  if (!p->pid)
    return st;
  if (grace >= 0 && !psw__proc_exited(p)) {
    /* SIGTERM first: a solver may want to clean up. */
    psw__proc_signal(p, SIGTERM);
    psw__proc_wait_exit(p, grace, -1);
  }
  if (!p->gone) {
    /* Whatever it left running (a background child that kept a pipe, a
     * grandchild that ignored SIGTERM) goes now, while the unreaped leader
     * (a zombie at worst) still pins the group id. */
    psw__proc_signal(p, SIGKILL);
    if (psw__spawn_reap(p->pid, &st) < 0)
      st = PSW_PROC_LOST;
  } else {
    psw__spawn_reap(p->pid, NULL); /* forgets its group; nothing to wait */
  }
  if (p->pidfd >= 0)
    close(p->pidfd);
  *p = (psw_proc_t){.pid = 0, .pidfd = -1};
  return st;
}

int psw__proc_exit_code(int st) {
  return st == PSW_PROC_LOST ? -1
         : WIFSIGNALED(st)   ? -WTERMSIG(st)
                             : WEXITSTATUS(st);
}

int psw__proc_termsig(int st) {
  return st != PSW_PROC_LOST && WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

void psw__proc_describe(int st, char *buf, size_t len) {
  if (st == PSW_PROC_LOST)
    snprintf(buf, len, "an unknown status");
  else if (WIFSIGNALED(st))
    snprintf(buf, len, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
}
