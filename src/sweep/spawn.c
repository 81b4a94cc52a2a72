/* parsweep — starting a model's process (see spawn.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parsweep/process.h"

/* fd onto target; a no-op dup2 when equal would keep FD_CLOEXEC. */
static int place(int fd, int target) {
  return fd == target ? fcntl(fd, F_SETFD, 0) : dup2(fd, target) < 0 ? -1 : 0;
}

/* Between vfork and exec, on the parent's memory (it is suspended until
 * the exec): only system calls and async-signal-safe functions, no write
 * but to this stack (and errno); execvpe searches PATH without
 * allocating. Failures go to err_w as an errno value. */
static _Noreturn void child(const char *path, char *const *argv,
                            char *const *envp, int out_fd, int pass_fd,
                            int err_w, pid_t parent) {
  struct sigaction dfl = {.sa_handler = SIG_DFL}, ign = {.sa_handler = SIG_IGN};
  for (int s = 1; s < NSIG; s++)
    sigaction(s, s == SIGUSR1 ? &ign : &dfl, NULL); /* EINVAL: fine */
  int fd;
  /* The model dies with its worker (a fork worker killed, or parsweep
   * killed as a whole): its own group is out of reach of the signals that
   * end the worker. Set while every signal is still blocked, and checked
   * against the parent killed before it took effect. The rest of the
   * group is the supervisor's (psw__procpool_track). */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
    goto fail;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setpgid(0, 0) != 0)
    goto fail;
  /* The error pipe must not land on 0, 1 or 3 (it stays close-on-exec). */
  while (err_w <= 3) {
    if ((fd = fcntl(err_w, F_DUPFD_CLOEXEC, 4)) < 0)
      goto fail;
    err_w = fd;
  }
  if (pass_fd >= 0 && pass_fd != 3) {
    /* Out of the way first when out_fd would be overwritten by it. */
    if ((fd = fcntl(pass_fd, F_DUPFD_CLOEXEC, 4)) < 0)
      goto fail;
    pass_fd = fd;
  }
  if (out_fd >= 0 && place(out_fd, STDOUT_FILENO) < 0)
    goto fail;
  if (pass_fd >= 0 && place(pass_fd, 3) < 0)
    goto fail;
  if ((fd = open("/dev/null", O_RDONLY)) < 0)
    goto fail;
  if (fd != STDIN_FILENO && (dup2(fd, STDIN_FILENO) < 0 || close(fd) != 0))
    goto fail;
  /* Descriptors the host leaked without O_CLOEXEC (sockets, the results
   * file, another sample's pipe) are none of the model's business, and a
   * model's background child holding them would keep them alive. Marked
   * close-on-exec rather than closed: err_w must last until the exec. */
  syscall(SYS_close_range, pass_fd >= 0 ? 4u : 3u, ~0u,
          4u /* CLOSE_RANGE_CLOEXEC */);
  if (path)
    execve(path, argv, envp);
  else
    execvpe(argv[0], argv, envp);
fail:
  fd = errno;
  ssize_t w = write(err_w, &fd, sizeof fd);
  (void)w;
  _exit(127);
}

int psw__spawn(const char *path, char *const *argv, char *const *envp,
               int out_fd, int pass_fd, pid_t *pid) {
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) != 0)
    return errno;
  /* vfork, not fork: its cost does not grow with this process's size (a
   * worker with a large model in memory spawns as fast as a small one),
   * as glibc's posix_spawn does it. Every signal is blocked around it, so
   * that none runs one of our handlers in the child before child() has
   * reset them (the child then unblocks). */
  sigset_t all, old;
  sigfillset(&all);
  pid_t self = getpid();
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t p = vfork();
  if (p == 0)
    child(path, argv, envp, out_fd, pass_fd, ep[1], self);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (p < 0) {
    close(ep[0]);
    close(ep[1]);
    return fork_errno;
  }
  close(ep[1]);
  int e = 0;
  ssize_t r;
  do
    r = read(ep[0], &e, sizeof e);
  while (r < 0 && errno == EINTR);
  close(ep[0]);
  if (r == (ssize_t)sizeof e) {
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
      ;
    return e ? e : EIO;
  }
  /* Its group id is the pid: recorded for the supervisor of a fork
   * worker, until psw__spawn_reap. */
  psw_worker_track_pgid(p);
  *pid = p;
  return 0;
}

pid_t psw__spawn_reap(pid_t pid, int *status) {
  psw_worker_untrack_pgid(pid);
  pid_t w;
  do
    w = waitpid(pid, status, 0);
  while (w < 0 && errno == EINTR);
  return w;
}
