/* parsweep — the fork backend: N forked worker processes on one node.
 *
 * The shared-memory group is mapped (MAP_SHARED | MAP_ANONYMOUS) before the
 * fork, so every child shares it with its siblings and the parent. The
 * parent is not a worker: it supervises. It watches each child through a
 * pidfd; a child that dies (a signal, or an exit before its region function
 * returned) aborts the group, which makes every survivor's pending and
 * future collectives return PSW_ERR_PEER_LOST at once. Survivors that do
 * not leave within opts.abort_grace_s are killed, and every child is reaped
 * before psw_parallel returns. Children also die with the parent
 * (PR_SET_PDEATHSIG), so none is orphaned. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/pool.h"
#include "shm/group.h"

#define PSW_DEFAULT_GRACE_S 10.0
#define PSW_POLL_FALLBACK_MS 5

struct fork_state {
  struct psw_shm_group *grp;
};

/* What the parent knows of one child. */
struct child {
  pid_t pid;
  int pidfd; /* -1 when pidfd_open is unavailable */
  int alive;
};

static int fork_create(psw_manager_t *m) {
  struct fork_state *st = calloc(1, sizeof *st);
  if (!st)
    return PSW_ERR_NOMEM;
  m->num_workers = psw__pool_size(m);
  int rc = psw__shm_group_create(m->num_workers, psw__pool_slot_bytes(m),
                                 psw__available_cpus(), &st->grp);
  if (rc) {
    free(st);
    return rc;
  }
  m->be_state = st;
  return 0;
}

static void fork_destroy(psw_manager_t *m) {
  struct fork_state *st = m->be_state;
  psw__shm_group_destroy(st->grp);
  free(st);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The child: run the region function, report through shared memory, and
 * leave without running the parent's atexit handlers. Never returns. */
static void child_main(psw_manager_t *m, struct psw_shm_group *g, int rank,
                       psw_region_fn fn, void *arg, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) /* the parent died before prctl took effect */
    _exit(127);
  psw_ctx_t ctx;
  psw__ctx_init(&ctx, m, rank, g->n);
  ctx.grp = g;
  atomic_store(&psw__shm_worker(g, rank)->state, PSW_W_RUNNING);
  int rc = fn(&ctx, arg);
  psw__shm_depart(g, rank, rc);
  fflush(NULL);
  _exit(0);
}

/* A child has ended: was it a normal departure? */
static int child_ended(struct psw_shm_group *g, int rank, pid_t pid,
                       int status) {
  int departed = atomic_load(&psw__shm_worker(g, rank)->state) == PSW_W_DONE;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && departed)
    return 0;
  if (WIFSIGNALED(status))
    PSW_ERROR("fork worker %d (pid %d) killed by signal %d (%s)", rank,
              (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    PSW_ERROR("fork worker %d (pid %d) exited with status %d inside the "
              "region",
              rank, (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  psw__shm_abort(g, PSW_ERR_PEER_LOST);
  return PSW_ERR_PEER_LOST;
}

/* Reap whatever has ended; returns how many children are still alive. */
static int reap(struct psw_shm_group *g, struct child *c, int n, int *lost) {
  int alive = 0;
  for (int r = 0; r < n; r++) {
    if (!c[r].alive)
      continue;
    int status;
    pid_t p = waitpid(c[r].pid, &status, WNOHANG);
    if (p == c[r].pid || (p < 0 && errno == ECHILD)) {
      c[r].alive = 0;
      if (p == c[r].pid && child_ended(g, r, c[r].pid, status))
        *lost = 1;
      if (c[r].pidfd >= 0)
        close(c[r].pidfd);
      c[r].pidfd = -1;
    } else {
      alive++;
    }
  }
  return alive;
}

/* Sleep until a child ends or timeout_ms passes (-1: no limit). */
static void wait_children(struct child *c, int n, int timeout_ms) {
  struct pollfd pfd[n];
  int k = 0, fallback = 0;
  for (int r = 0; r < n; r++) {
    if (!c[r].alive)
      continue;
    if (c[r].pidfd < 0)
      fallback = 1;
    else
      pfd[k++] = (struct pollfd){.fd = c[r].pidfd, .events = POLLIN};
  }
  if (fallback && (timeout_ms < 0 || timeout_ms > PSW_POLL_FALLBACK_MS))
    timeout_ms = PSW_POLL_FALLBACK_MS;
  if (poll(pfd, (nfds_t)k, timeout_ms) < 0 && errno != EINTR)
    PSW_DEBUG("poll on worker pidfds: %s", strerror(errno));
}

static int supervise(psw_manager_t *m, struct psw_shm_group *g, struct child *c,
                     int n) {
  double grace =
      m->opts.abort_grace_s > 0 ? m->opts.abort_grace_s : PSW_DEFAULT_GRACE_S;
  double deadline = -1;
  int lost = 0, killed = 0;
  while (reap(g, c, n, &lost) > 0) {
    if (lost && deadline < 0)
      deadline = now_s() + grace;
    int timeout_ms = -1;
    if (deadline >= 0 && !killed) {
      double left = deadline - now_s();
      if (left <= 0) {
        for (int r = 0; r < n; r++)
          if (c[r].alive) {
            PSW_ERROR("fork worker %d (pid %d) did not leave the failed "
                      "region within %.1f s; killing it",
                      r, (int)c[r].pid, grace);
            kill(c[r].pid, SIGKILL);
          }
        killed = 1;
      } else {
        timeout_ms = (int)(left * 1000) + 1;
      }
    }
    wait_children(c, n, timeout_ms);
  }
  return lost ? PSW_ERR_PEER_LOST : 0;
}

/* The region's result: a lost worker, else the first worker's own error
 * (not the ABORTED it caused in the others). */
static int region_result(struct psw_shm_group *g, int n, int lost) {
  if (lost)
    return PSW_ERR_PEER_LOST;
  int first = 0;
  for (int r = 0; r < n; r++) {
    int rc = atomic_load(&psw__shm_worker(g, r)->rc);
    if (rc && rc != PSW_ERR_ABORTED)
      return rc;
    if (rc && !first)
      first = rc;
  }
  return first;
}

static int fork_parallel(psw_manager_t *m, psw_region_fn fn, void *arg) {
  struct fork_state *st = m->be_state;
  struct psw_shm_group *g = st->grp;
  int n = m->num_workers, rc = 0;
  struct child *c = calloc((size_t)n, sizeof *c);
  if (!c)
    return PSW_ERR_NOMEM;
  psw__shm_group_reset(g);
  /* Unflushed stdio buffers would otherwise be written once per child. */
  fflush(NULL);
  pid_t parent = getpid();
  int started = 0;
  for (; started < n; started++) {
    pid_t pid = fork();
    if (pid == 0)
      child_main(m, g, started, fn, arg, parent);
    if (pid < 0) {
      PSW_ERROR("fork of worker %d: %s", started, strerror(errno));
      psw__shm_abort(g, PSW_ERR_SYS);
      rc = PSW_ERR_SYS;
      break;
    }
    atomic_store(&psw__shm_worker(g, started)->pid, pid);
    c[started].pid = pid;
    c[started].alive = 1;
    c[started].pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  }
  int lost = supervise(m, g, c, started) != 0;
  free(c);
  return rc ? rc : region_result(g, n, lost);
}

static const char *const fork_aliases[] = {"MultiProcessing", NULL};

const struct psw_backend psw__backend_fork = {
    .name = "fork",
    .aliases = fork_aliases,
    .create = fork_create,
    .destroy = fork_destroy,
    .parallel = fork_parallel,
    PSW_POOL_COLLECTIVES,
};
