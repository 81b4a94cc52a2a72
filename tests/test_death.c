/* Workers that die or leave a region early: the others must get an error
 * within seconds, never hang, and no process may be left behind.
 *
 * Each scenario runs one region on 3 workers. The workers write their pid,
 * their return codes and CLOCK_MONOTONIC times (system-wide, so comparable
 * between processes) into a MAP_SHARED mapping made before the manager;
 * main checks them after psw_parallel returns. A watchdog (SIGALRM) kills
 * the recorded workers and fails the test if a scenario hangs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <parsweep.h>

#include "check.h"

#define NW 3
#define VICTIM 1
#define LIMIT_S 5.0 /* survivors must see the error within this */

typedef struct shared {
  pid_t pid[NW];
  int rc[NW];
  int returned[NW]; /* 1 once the survivor's call returned */
  double t_enter[NW], t_return[NW];
  double t_event; /* when the victim died or left */
  int victim;     /* rank of the victim, -1 = none yet */
} shared_t;

static shared_t *sh;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void msleep(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
    ;
}

static void die_now(int rank) {
  sh->victim = rank;
  sh->t_event = now();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  raise(SIGKILL);
}

static void watchdog(int sig) {
  (void)sig;
  static const char msg[] = "test_death: scenario hung; killing workers\n";
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  for (int i = 0; i < NW; i++)
    if (sh->pid[i] > 0 && sh->pid[i] != getpid())
      kill(sh->pid[i], SIGKILL);
  _exit(1);
}

/* A survivor: time one call. */
#define SURVIVE(rank, call)                                                    \
  do {                                                                         \
    sh->t_enter[rank] = now();                                                 \
    int rc__ = (call);                                                         \
    sh->t_return[rank] = now();                                                \
    sh->rc[rank] = rc__;                                                       \
    sh->returned[rank] = 1;                                                    \
    return rc__;                                                               \
  } while (0)

static int r_kill_in_barrier(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx);
  sh->pid[rank] = getpid();
  if (rank == VICTIM) {
    msleep(200);
    die_now(rank);
  }
  SURVIVE(rank, psw_barrier(ctx));
}

static int r_kill_in_bcast(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx);
  sh->pid[rank] = getpid();
  size_t n = (4u << 20) + 3;
  char *buf = calloc(n, 1);
  if (rank == VICTIM) {
    msleep(200);
    die_now(rank);
  }
  sh->t_enter[rank] = now();
  int rc = psw_bcast_bytes(ctx, buf, n, VICTIM);
  sh->t_return[rank] = now();
  sh->rc[rank] = rc;
  sh->returned[rank] = 1;
  free(buf);
  return rc;
}

static int task_slow(psw_ctx_t *ctx, uint64_t i, void *arg) {
  (void)arg;
  if (i == 300)
    die_now(psw_rank(ctx));
  msleep(1);
  return 0;
}

static int r_kill_in_for(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx);
  sh->pid[rank] = getpid();
  SURVIVE(rank, psw_for(ctx, 600, task_slow, NULL));
}

static int r_exit_early(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx);
  sh->pid[rank] = getpid();
  if (rank == VICTIM) {
    msleep(100);
    sh->victim = rank;
    sh->t_event = now();
    return 0;
  }
  SURVIVE(rank, psw_barrier(ctx));
}

static int r_error_early(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx);
  sh->pid[rank] = getpid();
  if (rank == VICTIM) {
    msleep(100);
    sh->victim = rank;
    sh->t_event = now();
    return PSW_ERR_MODEL;
  }
  SURVIVE(rank, psw_barrier(ctx));
}

static int r_healthy(psw_ctx_t *ctx, void *arg) {
  (void)arg;
  int rank = psw_rank(ctx);
  sh->pid[rank] = getpid();
  int32_t one = 1, sum = 0;
  int rc = psw_barrier(ctx);
  if (rc == 0)
    rc = psw_allreduce(ctx, &one, &sum, 1, PSW_INT32, PSW_SUM);
  if (rc == 0 && sum != psw_size(ctx))
    rc = PSW_ERR_INVAL;
  return rc;
}

typedef struct scenario {
  const char *name;
  const char *backend;
  psw_region_fn fn;
  int expect_region;   /* psw_parallel's return */
  int expect_survivor; /* each survivor's call; 1 = not checked */
} scenario_t;

static const scenario_t SCENARIOS[] = {
    {"kill_in_barrier", "fork", r_kill_in_barrier, PSW_ERR_PEER_LOST,
     PSW_ERR_PEER_LOST},
    {"kill_in_bcast", "fork", r_kill_in_bcast, PSW_ERR_PEER_LOST,
     PSW_ERR_PEER_LOST},
    {"kill_in_for", "fork", r_kill_in_for, PSW_ERR_PEER_LOST,
     PSW_ERR_PEER_LOST},
    {"exit_early", "fork", r_exit_early, PSW_ERR_MISMATCH, PSW_ERR_MISMATCH},
    {"error_early", "fork", r_error_early, PSW_ERR_MODEL, PSW_ERR_ABORTED},
    {"exit_early", "threads", r_exit_early, PSW_ERR_MISMATCH, PSW_ERR_MISMATCH},
    {"error_early", "threads", r_error_early, PSW_ERR_MODEL, PSW_ERR_ABORTED},
};

/* After a fork region: every worker process is gone and reaped. */
static void check_no_children(const char *name) {
  for (int i = 0; i < NW; i++) {
    if (sh->pid[i] <= 0)
      continue;
    errno = 0;
    int alive = kill(sh->pid[i], 0) == 0;
    if (alive || errno != ESRCH) {
      fprintf(stderr, "%s: worker %d (pid %d) still exists (%s)\n", name, i,
              (int)sh->pid[i], alive ? "alive or unreaped" : strerror(errno));
      CHECK(!"no worker process left");
    }
  }
  errno = 0;
  pid_t p = waitpid(-1, NULL, WNOHANG);
  if (p != -1 || errno != ECHILD) {
    fprintf(stderr, "%s: waitpid(-1) = %d (%s): a child is left\n", name,
            (int)p, strerror(errno));
    CHECK(!"no child process left");
  }
}

static void run(psw_manager_t *mgr, const scenario_t *s) {
  int base = check_failures();
  memset(sh, 0, sizeof *sh);
  sh->victim = -1;
  fflush(stdout);
  fflush(stderr);
  alarm(40);
  double t0 = now();
  int rc = psw_parallel(mgr, s->fn, NULL);
  double dt = now() - t0;
  alarm(0);

  if (rc != s->expect_region) {
    fprintf(stderr, "%s/%s: psw_parallel returned %d (%s), expected %s\n",
            s->backend, s->name, rc, psw_err_name(rc),
            psw_err_name(s->expect_region));
    CHECK(!"psw_parallel's return");
  }
  if (s->fn == r_kill_in_for)
    CHECK(sh->victim >= 0 && sh->victim < NW);
  else
    CHECK_EQ(sh->victim, VICTIM);
  double worst = 0;
  for (int r = 0; r < NW; r++) {
    if (r == sh->victim)
      continue;
    if (!sh->returned[r]) {
      fprintf(stderr, "%s/%s: survivor %d never returned\n", s->backend,
              s->name, r);
      CHECK(!"survivor returned");
      continue;
    }
    if (s->expect_survivor != 1 && sh->rc[r] != s->expect_survivor) {
      fprintf(stderr, "%s/%s: survivor %d got %d (%s), expected %s\n",
              s->backend, s->name, r, sh->rc[r], psw_err_name(sh->rc[r]),
              psw_err_name(s->expect_survivor));
      CHECK(!"survivor's error");
    }
    double waited = sh->t_return[r] - sh->t_enter[r];
    double after = sh->t_return[r] - sh->t_event;
    if (after > worst)
      worst = after;
    if (waited > LIMIT_S || after > LIMIT_S) {
      fprintf(stderr,
              "%s/%s: survivor %d waited %.3f s, returned %.3f s after the "
              "event (limit %.1f s)\n",
              s->backend, s->name, r, waited, after, LIMIT_S);
      CHECK(!"survivor returned within the limit");
    }
  }
  if (!strcmp(s->backend, "fork"))
    check_no_children(s->name);
  int ok = check_failures() == base;
  printf("%-4s %-7s %-16s region %.3f s, survivors out %.3f s after the "
         "event\n",
         ok ? "ok" : "FAIL", s->backend, s->name, dt, worst);
}

static void healthy(psw_manager_t *mgr, const char *backend) {
  memset(sh, 0, sizeof *sh);
  fflush(stdout);
  fflush(stderr);
  alarm(40);
  int rc = psw_parallel(mgr, r_healthy, NULL);
  alarm(0);
  if (rc != 0)
    fprintf(stderr, "%s: a region after the failures returned %d (%s)\n",
            backend, rc, psw_err_name(rc));
  CHECK_EQ(rc, 0);
  if (!strcmp(backend, "fork"))
    check_no_children("healthy");
}

int main(void) {
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  signal(SIGALRM, watchdog);
  check_set_rank(-1);

  const char *backends[] = {"fork", "threads"};
  for (int b = 0; b < 2; b++) {
    psw_opts_t opts;
    psw_opts_init(&opts);
    opts.num_workers = NW;
    psw_manager_t *mgr = NULL;
    int rc = psw_create_parallel_manager(&mgr, backends[b], &opts);
    if (rc != 0) {
      fprintf(stderr, "creating %s: %s\n", backends[b], psw_strerror(rc));
      return 1;
    }
    CHECK_EQ(psw_num_workers(mgr), NW);
    healthy(mgr, backends[b]);
    for (size_t i = 0; i < sizeof SCENARIOS / sizeof SCENARIOS[0]; i++)
      if (!strcmp(SCENARIOS[i].backend, backends[b]))
        run(mgr, &SCENARIOS[i]);
    /* The manager is still usable after failed regions. */
    healthy(mgr, backends[b]);
    psw_destroy_parallel_manager(mgr);
  }
  printf("test_death: %s\n", check_failures() ? "FAILED" : "passed");
  return check_failures() ? 1 : 0;
}
