/* parsweep — the one supervisor of model processes (internal).
 *
 * A command's process per sample (model_cmd.c), a plugin host
 * (model_host.c) and a server (model_server.c) are watched the same way,
 * here: started by psw__spawn (a process group of its own, dying with its
 * worker, the group recorded for a fork worker's supervisor), waited for
 * without sleeping in a loop (one poll() on the child's pidfd, the
 * caller's descriptors and the run's cancel fd, with the deadline as its
 * timeout; a tick only on kernels without pidfd_open), and ended as a
 * group: SIGTERM, a grace, SIGKILL, reap.
 *
 * Only our own pid is waited for, never -1: the library must not reap
 * children of its host program. The child is seen exited with WNOWAIT and
 * reaped only after its group has been killed: the unreaped zombie keeps
 * the group id reserved, so kill(-pid) cannot hit an unrelated group that
 * reused the number. The forked workers of backends/procpool.c are another
 * matter (see docs/architecture.md). */
#ifndef PSW_SWEEP_PROC_H
#define PSW_SWEEP_PROC_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct psw_proc {
  pid_t pid;  /* 0: none (never started, or reaped) */
  int pidfd;  /* -1: none (the tick instead) */
  int exited; /* seen exited, not reaped yet */
  int gone;   /* cannot be waited for (the host set SIGCHLD to SIG_IGN) */
} psw_proc_t;

/* The wait status of a child that could not be waited for. No real status
 * is -1. */
#define PSW_PROC_LOST (-1)

/* Start argv as psw__spawn does (see spawn.h for path, envp, out_fd and
 * pass_fd). Returns 0, or psw__spawn's errno value with *p unchanged. */
int psw__proc_start(psw_proc_t *p, const char *path, char *const *argv,
                    char *const *envp, int out_fd, int pass_fd);

/* Has the child exited? Never blocks, never reaps. */
int psw__proc_exited(psw_proc_t *p);

/* What psw__proc_wait saw: a set of these bits, or 0 when the deadline
 * passed first. */
#define PSW_PROC_IO 1     /* one of the caller's fds has revents */
#define PSW_PROC_EXIT 2   /* the child has exited (once: see p->exited) */
#define PSW_PROC_CANCEL 4 /* cancel_fd is readable */
#define PSW_PROC_MAX_FDS 4

/* Wait until one of fds[nfds] (nfds <= PSW_PROC_MAX_FDS; their revents
 * are set) is ready, the child exits (watched until p->exited), cancel_fd
 * (-1: none) is readable, or the monotonic time `deadline` (INFINITY: no
 * bound) passes. Several bits can come at once: the caller decides which
 * counts first. -1 with errno when poll fails (not for EINTR). */
int psw__proc_wait(psw_proc_t *p, struct pollfd *fds, int nfds, int cancel_fd,
                   double deadline);

/* Wait up to secs for the child to exit; gives up early when cancel_fd
 * (-1: none) is readable. Returns 1 once exited. */
int psw__proc_wait_exit(psw_proc_t *p, double secs, int cancel_fd);

/* sig to the child's group, unless it is reaped or cannot be waited for
 * (its group id may belong to someone else by now). */
void psw__proc_signal(const psw_proc_t *p, int sig);

/* End the child and its group and reap it: SIGTERM to the group and up to
 * `grace` seconds for the child to exit (none when grace < 0 or it has
 * exited), then SIGKILL to the group (whatever it left running goes too),
 * then reap. Returns the wait status (PSW_PROC_LOST: unknown); *p is then
 * "none" (pid 0). Bounded by the grace and a SIGKILL. */
int psw__proc_stop(psw_proc_t *p, double grace);

/* The exit_code of SPEC §3: the exit status, -signal, or -1 when lost. */
int psw__proc_exit_code(int st);

/* The signal that ended it, or 0 (it exited, or the status is lost). */
int psw__proc_termsig(int st);

/* "exit status 3", "signal 9 (Killed)", "an unknown status". */
void psw__proc_describe(int st, char *buf, size_t len);

#endif /* PSW_SWEEP_PROC_H */
