/* sweep.test_proc: the model-process supervisor (src/sweep/proc.c).
 *
 * Each case starts a real /bin/sh child and checks what the supervisor
 * reports and how long it took: an exit and its status, output on a pipe,
 * a deadline, the cancel fd, a group whose members ignore SIGTERM (all of
 * it gone after the grace), a child the system reaped (SIGCHLD ignored:
 * status unknown), the tick used without a pidfd, and that a wait sleeps
 * in one poll (a handful of context switches, not one per few ms). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

extern char **environ;

static int failures;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      failures++;                                                              \
      fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                          \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

/* sh -c script, stdout on out_fd (-1: ours). */
static void start_sh(psw_proc_t *p, const char *script, int out_fd) {
  char *argv[] = {"sh", "-c", (char *)script, NULL};
  int e = psw__proc_start(p, "/bin/sh", argv, environ, out_fd, -1);
  if (e) {
    fprintf(stderr, "cannot start /bin/sh: %s\n", strerror(e));
    exit(1);
  }
}

/* start_sh with stdout on a pipe; returns its read end. */
static int start_piped(psw_proc_t *p, const char *script) {
  int pfd[2];
  if (pipe(pfd) != 0)
    exit(1);
  start_sh(p, script, pfd[1]);
  close(pfd[1]);
  return pfd[0];
}

static void test_exit_status(void) {
  psw_proc_t p;
  start_sh(&p, "exit 3", -1);
  double t0 = psw__mono_now();
  int ev = psw__proc_wait(&p, NULL, 0, -1, t0 + 10);
  CHECK(ev == PSW_PROC_EXIT, "exit: events %d", ev);
  CHECK(p.exited && !p.gone, "exit: exited %d gone %d", p.exited, p.gone);
  /* Reported once: the next wait is only the deadline. */
  ev = psw__proc_wait(&p, NULL, 0, -1, psw__mono_now() + 0.05);
  CHECK(ev == 0, "exit again: events %d", ev);
  int st = psw__proc_stop(&p, 1.0);
  CHECK(psw__mono_now() - t0 < 2.0, "exit: no grace for an exited child");
  CHECK(psw__proc_exit_code(st) == 3, "exit code %d", psw__proc_exit_code(st));
  CHECK(psw__proc_termsig(st) == 0, "termsig %d", psw__proc_termsig(st));
  char d[96];
  psw__proc_describe(st, d, sizeof d);
  CHECK(!strcmp(d, "exit status 3"), "describe: %s", d);
  CHECK(p.pid == 0 && p.pidfd == -1, "stopped: pid %d", (int)p.pid);
}

/* Output before exit is IO alone; the stop's SIGTERM ends it in no time. */
static void test_io_then_term(void) {
  psw_proc_t p;
  int rfd = start_piped(&p, "echo hi; exec sleep 30");
  struct pollfd pf = {.fd = rfd, .events = POLLIN};
  int ev = psw__proc_wait(&p, &pf, 1, -1, psw__mono_now() + 10);
  CHECK(ev == PSW_PROC_IO && (pf.revents & POLLIN), "io: events %d", ev);
  char buf[8] = "";
  CHECK(read(rfd, buf, sizeof buf) == 3 && !memcmp(buf, "hi\n", 3), "io: read");
  double t0 = psw__mono_now();
  int st = psw__proc_stop(&p, 5.0);
  CHECK(psw__mono_now() - t0 < 2.0, "term: took %.2f s", psw__mono_now() - t0);
  CHECK(psw__proc_termsig(st) == SIGTERM, "term: termsig %d",
        psw__proc_termsig(st));
  CHECK(psw__proc_exit_code(st) == -SIGTERM, "term: exit code %d",
        psw__proc_exit_code(st));
  close(rfd);
}

static void test_deadline_and_cancel(void) {
  psw_proc_t p;
  start_sh(&p, "exec sleep 30", -1);
  double t0 = psw__mono_now();
  int ev = psw__proc_wait(&p, NULL, 0, -1, t0 + 0.2);
  double took = psw__mono_now() - t0;
  CHECK(ev == 0 && took >= 0.2 && took < 1.5, "deadline: %d after %.3f s", ev,
        took);
  int cfd[2];
  if (pipe(cfd) != 0 || write(cfd[1], "x", 1) != 1)
    exit(1);
  ev = psw__proc_wait(&p, NULL, 0, cfd[0], INFINITY);
  CHECK(ev == PSW_PROC_CANCEL, "cancel: events %d", ev);
  CHECK(psw__proc_wait_exit(&p, 10, cfd[0]) == 0, "wait_exit: not cancelled");
  psw__proc_stop(&p, 1.0);
  close(cfd[0]);
  close(cfd[1]);
}

/* Does pid exist and not as a zombie? */
static int running(pid_t pid) {
  char path[64], stat[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')'); /* the name may hold spaces */
  return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

/* The child and a background grandchild both ignore SIGTERM: the grace,
 * then SIGKILL to the group reaches the grandchild too. */
static void test_group_killed(void) {
  psw_proc_t p;
  int rfd = start_piped(&p, "trap '' TERM; sleep 30 & echo $!; wait");
  char buf[32] = "";
  ssize_t n = read(rfd, buf, sizeof buf - 1);
  close(rfd);
  pid_t grandchild = n > 0 ? (pid_t)atoi(buf) : 0;
  CHECK(grandchild > 0, "group: no grandchild pid");
  double t0 = psw__mono_now();
  int st = psw__proc_stop(&p, 0.3);
  double took = psw__mono_now() - t0;
  CHECK(took >= 0.3 && took < 2.0, "group: stop took %.3f s", took);
  CHECK(psw__proc_termsig(st) == SIGKILL, "group: termsig %d",
        psw__proc_termsig(st));
  /* Killed: a zombie (or reaped) within a moment. Its reaper is init,
   * which in a container may never reap it. */
  int alive = 1;
  for (int i = 0; i < 200 && alive && grandchild > 0; i++) {
    alive = running(grandchild);
    if (alive) {
      struct timespec ts = {0, 10000000};
      nanosleep(&ts, NULL);
    }
  }
  CHECK(!alive, "group: grandchild %d survived", (int)grandchild);
}

/* The host ignores SIGCHLD: the system reaps the child, its status is
 * unknown, and nothing hangs. */
static void test_gone(void) {
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigaction(SIGCHLD, &ign, &old);
  psw_proc_t p;
  start_sh(&p, "exit 0", -1);
  int ev = psw__proc_wait(&p, NULL, 0, -1, psw__mono_now() + 10);
  CHECK(ev == PSW_PROC_EXIT && p.gone, "gone: events %d gone %d", ev, p.gone);
  int st = psw__proc_stop(&p, 1.0);
  CHECK(st == PSW_PROC_LOST && psw__proc_exit_code(st) == -1, "gone: status %d",
        st);
  char d[96];
  psw__proc_describe(st, d, sizeof d);
  CHECK(!strcmp(d, "an unknown status"), "gone: describe %s", d);
  sigaction(SIGCHLD, &old, NULL);
}

/* Without a pidfd (a kernel before 5.3) the exit is found by the tick. */
static void test_tick(void) {
  psw_proc_t p;
  start_sh(&p, "exec sleep 0.1", -1);
  if (p.pidfd >= 0)
    close(p.pidfd);
  p.pidfd = -1;
  double t0 = psw__mono_now();
  int ev = psw__proc_wait(&p, NULL, 0, -1, t0 + 10);
  double took = psw__mono_now() - t0;
  CHECK(ev == PSW_PROC_EXIT && took < 1.5, "tick: %d after %.3f s", ev, took);
  int st = psw__proc_stop(&p, 1.0);
  CHECK(psw__proc_exit_code(st) == 0, "tick: exit code %d",
        psw__proc_exit_code(st));
}

/* A wait of 0.5 s with a pidfd sleeps once: a sleeping poll (5 ms) would
 * switch about 100 times. */
static void test_no_polling_loop(void) {
  psw_proc_t p;
  start_sh(&p, "exec sleep 30", -1);
  if (p.pidfd < 0) {
    printf("no pidfd_open on this kernel: the switch count is not checked\n");
    psw__proc_stop(&p, 1.0);
    return;
  }
  struct rusage a, b;
  getrusage(RUSAGE_THREAD, &a);
  int ev = psw__proc_wait(&p, NULL, 0, -1, psw__mono_now() + 0.5);
  getrusage(RUSAGE_THREAD, &b);
  long sw = (b.ru_nvcsw - a.ru_nvcsw) + (b.ru_nivcsw - a.ru_nivcsw);
  CHECK(ev == 0 && sw < 10, "no polling: %ld switches in 0.5 s", sw);
  psw__proc_stop(&p, 1.0);
}

int main(void) {
  test_exit_status();
  test_io_then_term();
  test_deadline_and_cancel();
  test_group_killed();
  test_gone();
  test_tick();
  test_no_polling_loop();
  if (failures)
    fprintf(stderr, "%d check(s) failed\n", failures);
  else
    printf("all proc checks passed\n");
  return failures ? 1 : 0;
}
