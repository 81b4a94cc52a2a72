/* parsweep — the stop signals of a sweep (runner_impl.h).
 *
 * The handler only sets the run's shared stop flag (and the cancel bit)
 * and writes to its cancel pipe; the region's loop and the models act on
 * them. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "runner_impl.h"

/* The signal handler's view of the running sweep (set only while one
 * runs). */
static _Atomic int *stop_flag;
static int cancel_wfd = -1;
static volatile sig_atomic_t signals_seen;

/* SIGUSR1 (the walltime warning) and a first SIGINT stop dispatching: the
 * samples running finish and are recorded. SIGTERM, or a second SIGINT,
 * also cancels the running commands (their samples stay "not run", to be
 * done on --resume), so that the run ends before a batch system's SIGKILL.
 * SIGHUP (the terminal closed, or a hang-up sent by hand) and SIGALRM (an
 * alarm or `timeout -s ALRM`) are stops of the same kind as SIGTERM: their
 * default action would kill the run without its file. Only
 * async-signal-safe calls here. */
static void on_signal(int sig) {
  int saved = errno;
  if (stop_flag)
    atomic_fetch_or(stop_flag, 1);
  int cancel = sig == SIGTERM || sig == SIGHUP || sig == SIGALRM ||
               (sig == SIGINT && signals_seen++);
  /* The elastic head passes a cancel on to its workers. */
  if (cancel && stop_flag)
    atomic_fetch_or(stop_flag, PSW_STOP_CANCEL);
  if (cancel && cancel_wfd >= 0) {
    char b = 1;
    ssize_t w = write(cancel_wfd, &b, 1);
    (void)w;
  }
  errno = saved;
}

/* elastic worker: the head's run was cancelled (psw_for_opts_t.cancel). */
void psw__run_cancel_hook(void *arg) {
  (void)arg;
  on_signal(SIGTERM);
}

/* psw_parallel(region) with the run's signal handlers installed.
 * Dispositions are inherited by fork workers: one handler everywhere,
 * setting the shared stop flag. Model commands run in process groups of
 * their own, so a terminal's ^C (or its hang-up) reaches parsweep, not
 * them; parsweep cancels them. SIGPIPE is ignored: a reader of our stderr
 * that went away (`parsweep run ... 2>&1 | head -1`) must not end the run;
 * the lost log lines are simply not written (the models get SIGPIPE's
 * default back, psw__spawn). */
static const int stop_sigs[PSW_RUN_NSIGS] = {SIGINT, SIGTERM, SIGUSR1,
                                             SIGHUP, SIGALRM, SIGPIPE};

/* The run's handlers, from the resume scan (which can take minutes for
 * 10^9 recorded samples) to the end of the region; old[] keeps the
 * caller's for release_stops. */
void psw__run_catch_stops(struct run *run,
                          struct sigaction old[PSW_RUN_NSIGS]) {
  struct sigaction sa, ign;
  const int *sigs = stop_sigs;
  stop_flag = &run->sh->stop;
  cancel_wfd = run->cancel_wfd;
  signals_seen = 0;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  for (int k = 0; k < PSW_RUN_NSIGS; k++)
    sigaction(sigs[k], sigs[k] == SIGPIPE ? &ign : &sa, &old[k]);
}

void psw__run_release_stops(const struct sigaction old[PSW_RUN_NSIGS]) {
  for (int k = 0; k < PSW_RUN_NSIGS; k++)
    sigaction(stop_sigs[k], &old[k], NULL);
  stop_flag = NULL;
  cancel_wfd = -1;
}

int psw__run_stops_held(const struct run *run) {
  return stop_flag == &run->sh->stop;
}
