/* parsweep tests — batches through the plugin host's shared ring
 * (src/sweep/model_ring.h, model_host.c).
 *
 *   test_ring PARSWEEP FAULT_PLUGIN
 *
 * PARSWEEP is the CLI (the host is `parsweep __plugin-host`), FAULT_PLUGIN
 * tests/faults/fault_plugin.c (y = a; PSW_FAULT makes a chosen sample
 * crash or hang; PSW_FAULT_LOG lists the samples it finished). Checked:
 * a crash in the middle of a batch keeps exactly the samples before it,
 * records the one in flight crashed and leaves the rest to a new host,
 * which evaluates each once; a hang in the middle of a batch times out
 * that sample only, at its own deadline; samples that take most of the
 * timeout each do not time out a batch that takes longer in all, nor
 * samples handed over one by one with pauses between them; the run's
 * stop flag, set while the worker sleeps, lets the sample running finish
 * and starts no other. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "model.h"
#include "parsweep/error.h"
#include "spec.h"
#include "util.h"

#define N 8

static char tmpdir[] = "/tmp/psw_test_ring.XXXXXX";
static char spec_path[256], log_path[256];
static const char *plugin;

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* a in linspace(0, 1, N): sample i has a = i / (N - 1), and y = a. */
static double a_of(uint64_t i) {
  return (double)i / (N - 1);
}

static psw_model_inst_t *open_model(double timeout, psw_spec_t **spec) {
  FILE *f = fopen(spec_path, "w");
  CHECK(f != NULL);
  if (!f)
    return NULL;
  fprintf(f,
          "name: ring\n"
          "parameters:\n"
          "  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, "
          "num_samples: %d}\n"
          "outputs: [y]\n"
          "model:\n"
          "  plugin: \"%s\"\n"
          "  timeout: %g\n",
          N, plugin, timeout);
  fclose(f);
  char err[512];
  int rc = psw__spec_load(spec_path, spec, err, sizeof err);
  CHECK_EQ(rc, 0);
  if (rc) {
    fprintf(stderr, "%s\n", err);
    return NULL;
  }
  psw_model_inst_t *m = NULL;
  rc = psw__model_open(*spec, 0, 0, &m, err, sizeof err);
  CHECK_EQ(rc, 0);
  if (rc)
    fprintf(stderr, "%s\n", err);
  CHECK(psw__model_batch_cap(m) >= N);
  return m;
}

/* Hand samples first..last-1 over as one batch. */
static void hand(psw_model_inst_t *m, uint64_t first, uint64_t last) {
  for (uint64_t i = first; i < last; i++)
    *psw__model_batch_slot(m, i - first, i) = a_of(i);
  CHECK_EQ(psw__model_batch_start(m, last - first, 0), 0);
}

/* Take sample i: its status (and y checked when ok). */
static int take(psw_model_inst_t *m, uint64_t i, psw_eval_t *ev) {
  CHECK(psw__model_batch_next(m, i));
  double a = -1, y = -1;
  int attempts = 0;
  int rc = psw__model_batch_take(m, i, &a, &y, ev, &attempts);
  if (rc)
    return -rc;
  CHECK_EQ(attempts, 1);
  CHECK(a == a_of(i));
  if (ev->status == 1)
    CHECK(y == a_of(i));
  else
    CHECK(isnan(y));
  return ev->status;
}

/* How many times the plugin finished sample i (PSW_FAULT_LOG). */
static int finished(uint64_t i) {
  FILE *f = fopen(log_path, "r");
  int n = 0;
  unsigned long long k;
  while (f && fscanf(f, "%llu", &k) == 1)
    n += k == i;
  if (f)
    fclose(f);
  return n;
}

/* Sample `bad` of a batch 0..n-1 crashes or hangs (PSW_FAULT=fault,
 * timeout): the ones before it are ok, it ends with `status` and exit
 * code `code` after at least min_s, the batch ends with its host, and the
 * rest, handed over again, are ok; each ok one evaluated once. */
static void fault_mid_batch(psw_model_inst_t *m, uint64_t bad, uint64_t n,
                            int status, int code, double min_s) {
  psw_eval_t ev;
  unlink(log_path);
  /* Before the hand-over: the host may start the samples at once. */
  double t0 = mono();
  hand(m, 0, n);
  for (uint64_t i = 0; i < bad; i++)
    CHECK_EQ(take(m, i, &ev), 1);
  CHECK_EQ(take(m, bad, &ev), status);
  double took = mono() - t0;
  CHECK_EQ(ev.exit_code, code);
  CHECK(took >= min_s && took < min_s + 2.5);
  CHECK(ev.elapsed >= min_s && ev.elapsed < min_s + 2.5);
  CHECK(!psw__model_batch_next(m, bad + 1));
  hand(m, bad + 1, n);
  for (uint64_t i = bad + 1; i < n; i++)
    CHECK_EQ(take(m, i, &ev), 1);
  for (uint64_t i = 0; i < n; i++)
    CHECK_EQ(finished(i), i == bad ? 0 : 1);
}

/* 3 samples of 0.3 s under a 0.8 s timeout: 0.9 s in all, none timed
 * out. Then samples handed over alone, the second 0.6 s after the first:
 * its deadline runs from its own start, not from the first's. */
static void slow_batch(psw_model_inst_t *m) {
  psw_eval_t ev;
  hand(m, 0, 3);
  for (uint64_t i = 0; i < 3; i++) {
    CHECK_EQ(take(m, i, &ev), 1);
    CHECK(ev.elapsed >= 0.29 && ev.elapsed < 0.8);
  }
  for (uint64_t i = 4; i < 6; i++) {
    if (i == 5) {
      struct timespec ts = {0, 600000000};
      nanosleep(&ts, NULL);
    }
    double a = a_of(i), y = -1;
    CHECK_EQ(psw__model_eval(m, i, &a, &y, &ev), 0);
    CHECK_EQ(ev.status, 1);
    CHECK(y == a);
  }
}

static _Atomic int stop_flag;

static void *stop_later(void *arg) {
  (void)arg;
  struct timespec ts = {0, 300000000};
  nanosleep(&ts, NULL);
  atomic_store(&stop_flag, 1);
  return NULL;
}

/* The run's stop flag set 0.3 s into a batch of 0.6 s samples, while the
 * worker sleeps until the batch's end: the first sample finishes and is
 * taken (at its own end, not the batch's), the second is never started;
 * the host stays, between batches. */
static void halt(psw_model_inst_t *m) {
  psw_eval_t ev;
  unlink(log_path);
  atomic_store(&stop_flag, 0);
  psw__model_set_stop(m, &stop_flag);
  pthread_t t;
  double t0 = mono();
  hand(m, 0, 4);
  CHECK_EQ(pthread_create(&t, NULL, stop_later, NULL), 0);
  CHECK_EQ(take(m, 0, &ev), 1);
  CHECK(mono() - t0 < 1.5);
  CHECK_EQ(take(m, 1, &ev), -PSW_ERR_INTERRUPTED);
  CHECK_EQ(ev.status, 0);
  pthread_join(t, NULL);
  CHECK_EQ(finished(0), 1);
  CHECK_EQ(finished(1), 0);
  psw__model_set_stop(m, NULL);
  double a = a_of(1), y = -1;
  CHECK_EQ(psw__model_eval(m, 1, &a, &y, &ev), 0);
  CHECK(ev.status == 1 && y == a);
}

enum which { CRASH, HANG, SLOW, HALT };

/* One case with a model of its own, under `var`=`value`. */
static void run_case(enum which c, const char *var, const char *value,
                     double timeout) {
  setenv(var, value, 1);
  psw_spec_t *spec = NULL;
  psw_model_inst_t *m = open_model(timeout, &spec);
  if (m && c == CRASH)
    fault_mid_batch(m, 3, N, 4, -11, 0); /* SIGSEGV */
  else if (m && c == HANG)
    fault_mid_batch(m, 2, 6, 3, -15, timeout); /* SIGTERM */
  else if (m && c == SLOW)
    slow_batch(m);
  else if (m)
    halt(m);
  psw__model_close(m);
  psw__spec_free(spec);
  unsetenv(var);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_ring PARSWEEP FAULT_PLUGIN\n");
    return 2;
  }
  plugin = argv[2];
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(spec_path, sizeof spec_path, "%s/ring.yaml", tmpdir);
  snprintf(log_path, sizeof log_path, "%s/evals", tmpdir);
  setenv("PSW_FAULT_LOG", log_path, 1);
  /* The plugin's crashes are the test: a sanitized host would report
   * them and exit 66 instead of dying of the signal. */
  static const char *const san[] = {"ASAN_OPTIONS", "TSAN_OPTIONS"};
  for (int k = 0; k < 2; k++) {
    char opts[1024];
    const char *was = getenv(san[k]);
    snprintf(opts, sizeof opts, "%s%shandle_segv=0:handle_abort=0",
             was ? was : "", was && *was ? ":" : "");
    setenv(san[k], opts, 1);
  }
  psw__host_set_exe(argv[1]);
  run_case(CRASH, "PSW_FAULT", "segv:3", 0);
  run_case(HANG, "PSW_FAULT", "hang:2", 0.5);
  run_case(SLOW, "PSW_FAULT_SLEEP", "0.3", 0.8);
  run_case(HALT, "PSW_FAULT_SLEEP", "0.6", 0);
  psw__host_set_exe(NULL);
  unlink(spec_path);
  unlink(log_path);
  rmdir(tmpdir);
  if (check_failures())
    fprintf(stderr, "test_ring: %d check(s) failed\n", check_failures());
  else
    printf("test_ring: ok\n");
  return check_failures() ? 1 : 0;
}
