/* parsweep — forked pool workers and their supervision (see procpool.h). */
#include "backends/procpool.h"

#include "internal.h"
#include "parsweep/process.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PSW_POLL_FALLBACK_MS 5

struct psw_child {
  pid_t pid;
  int pidfd; /* -1 when pidfd_open is unavailable */
  int alive;
};

/* In a pool child: its PSW_POOL_PGIDS slots of the shared table. */
static _Atomic pid_t *my_pgids;
/* Written to when a child dies (psw__procpool_set_cancel_fd). */
static int cancel_fd = -1;

void psw__procpool_track(pid_t pgid) {
  for (int k = 0; my_pgids && k < PSW_POOL_PGIDS; k++) {
    pid_t none = 0;
    if (atomic_compare_exchange_strong(&my_pgids[k], &none, pgid))
      return;
  }
}

void psw__procpool_untrack(pid_t pgid) {
  for (int k = 0; my_pgids && k < PSW_POOL_PGIDS; k++) {
    pid_t mine = pgid;
    if (atomic_compare_exchange_strong(&my_pgids[k], &mine, 0))
      return;
  }
}

void psw__procpool_set_cancel_fd(int fd) {
  cancel_fd = fd;
}

/* The public names (parsweep/process.h). */
void psw_worker_track_pgid(pid_t pgid) {
  psw__procpool_track(pgid);
}
void psw_worker_untrack_pgid(pid_t pgid) {
  psw__procpool_untrack(pgid);
}
void psw_set_peer_lost_fd(int fd) {
  psw__procpool_set_cancel_fd(fd);
}

/* The child: run, report through shared memory, and leave without running
 * the parent's atexit handlers (MPI's among them). Never returns. */
static void child_main(struct psw_procpool *p, int rank, psw_child_fn fn,
                       void *arg, pid_t parent) {
  struct psw_shm_group *g = p->g;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) /* the parent died before prctl took effect */
    _exit(127);
  psw__shm_mb_register(); /* this process signals the group's flags */
  if (p->pgids)
    my_pgids = p->pgids + (size_t)p->started * PSW_POOL_PGIDS;
  atomic_store(&psw__shm_worker(g, rank)->state, PSW_W_RUNNING);
  int rc = fn(rank, arg);
  psw__shm_depart(g, rank, rc);
  fflush(NULL);
  _exit(0);
}

static size_t pgids_bytes(int count) {
  return (size_t)count * PSW_POOL_PGIDS * sizeof(pid_t);
}

int psw__procpool_start(struct psw_procpool *p, struct psw_shm_group *g,
                        int first, int count, double grace, psw_child_fn fn,
                        void *arg) {
  memset(p, 0, sizeof *p);
  p->g = g;
  p->first = first;
  p->count = count;
  p->grace = grace > 0 ? grace : PSW_DEFAULT_GRACE_S;
  if (count == 0)
    return 0;
  if (!(p->c = calloc((size_t)count, sizeof *p->c))) {
    psw__shm_abort(g, PSW_ERR_NOMEM);
    return PSW_ERR_NOMEM;
  }
  /* Without the table (no memory) the models of a killed child are only
   * what PR_SET_PDEATHSIG of their leaders reaches. */
  void *t = mmap(NULL, pgids_bytes(count), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  p->pgids = t == MAP_FAILED ? NULL : t;
  /* Unflushed stdio buffers would otherwise be written once per child. */
  fflush(NULL);
  pid_t parent = getpid();
  for (; p->started < count; p->started++) {
    int rank = first + p->started;
    pid_t pid = fork();
    if (pid == 0)
      child_main(p, rank, fn, arg, parent);
    if (pid < 0) {
      PSW_ERROR("fork of worker %d: %s", rank, strerror(errno));
      psw__shm_abort(g, PSW_ERR_SYS);
      return PSW_ERR_SYS;
    }
    atomic_store(&psw__shm_worker(g, rank)->pid, pid);
    struct psw_child *c = &p->c[p->started];
    c->pid = pid;
    c->alive = 1;
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  }
  return 0;
}

/* A child has ended: was it a normal departure? */
static int child_ended(struct psw_shm_group *g, int rank, pid_t pid,
                       int status) {
  int departed = atomic_load(&psw__shm_worker(g, rank)->state) == PSW_W_DONE;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && departed)
    return 0;
  if (WIFSIGNALED(status))
    PSW_ERROR("worker %d (pid %d) killed by signal %d (%s)", rank, (int)pid,
              WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    PSW_ERROR("worker %d (pid %d) exited with status %d inside the region",
              rank, (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  psw__shm_abort(g, PSW_ERR_PEER_LOST);
  return PSW_ERR_PEER_LOST;
}

/* Child k is gone without having left its region: what its models started
 * goes too (their groups are pinned by the unreaped leaders or by their
 * remaining members), and the survivors are told to cancel theirs. */
static void child_lost(struct psw_procpool *p, int k) {
  for (int j = 0; p->pgids && j < PSW_POOL_PGIDS; j++) {
    pid_t pg = atomic_exchange(&p->pgids[(size_t)k * PSW_POOL_PGIDS + j], 0);
    if (pg > 0)
      kill(-pg, SIGKILL);
  }
  if (cancel_fd >= 0) {
    char b = 1;
    ssize_t w = write(cancel_fd, &b, 1);
    (void)w; /* a full pipe is already readable */
  }
}

/* Reap whatever has ended; returns how many children are still alive. */
static int reap(struct psw_procpool *p, int *lost) {
  int alive = 0;
  for (int k = 0; k < p->started; k++) {
    struct psw_child *c = &p->c[k];
    if (!c->alive)
      continue;
    int status;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
      c->alive = 0;
      if (r == c->pid && child_ended(p->g, p->first + k, c->pid, status)) {
        *lost = 1;
        child_lost(p, k);
      }
      if (c->pidfd >= 0)
        close(c->pidfd);
      c->pidfd = -1;
    } else {
      alive++;
    }
  }
  return alive;
}

/* Sleep until a child ends or timeout_ms passes (-1: no limit). */
static void wait_children(struct psw_procpool *p, int timeout_ms) {
  struct pollfd pfd[p->started > 0 ? p->started : 1];
  int k = 0, fallback = 0;
  for (int i = 0; i < p->started; i++) {
    if (!p->c[i].alive)
      continue;
    if (p->c[i].pidfd < 0)
      fallback = 1;
    else
      pfd[k++] = (struct pollfd){.fd = p->c[i].pidfd, .events = POLLIN};
  }
  if (fallback && (timeout_ms < 0 || timeout_ms > PSW_POLL_FALLBACK_MS))
    timeout_ms = PSW_POLL_FALLBACK_MS;
  if (poll(pfd, (nfds_t)k, timeout_ms) < 0 && errno != EINTR)
    PSW_DEBUG("poll on worker pidfds: %s", strerror(errno));
}

int psw__procpool_supervise(struct psw_procpool *p) {
  double deadline = -1;
  int lost = 0, killed = 0;
  while (reap(p, &lost) > 0) {
    /* After a death, survivors get `grace` seconds to notice and leave. */
    if (lost && deadline < 0)
      deadline = psw__mono_now() + p->grace;
    int timeout_ms = -1;
    if (deadline >= 0 && !killed) {
      double left = deadline - psw__mono_now();
      if (left <= 0) {
        for (int k = 0; k < p->started; k++)
          if (p->c[k].alive) {
            PSW_ERROR("worker %d (pid %d) did not leave the failed region "
                      "within %.1f s; killing it",
                      p->first + k, (int)p->c[k].pid, p->grace);
            kill(p->c[k].pid, SIGKILL);
          }
        killed = 1;
      } else {
        timeout_ms = (int)(left * 1000) + 1;
      }
    }
    wait_children(p, timeout_ms);
  }
  free(p->c);
  p->c = NULL;
  if (p->pgids)
    munmap((void *)p->pgids, pgids_bytes(p->count));
  p->pgids = NULL;
  return lost ? PSW_ERR_PEER_LOST : 0;
}
