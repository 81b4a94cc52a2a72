/* parsweep tests — evaluating samples with a command or a plugin model.
 *
 *   test_model MODEL_EXE PLUGIN PLUGIN_BAD_ABI PLUGIN_NO_ENTRY
 *
 * MODEL_EXE is tests/models/psw_test_model.c, the plugins are
 * tests/models/psw_test_plugin.c built three ways. Specs are built by hand
 * (no YAML here). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "model.h"
#include "parsweep/error.h"
#include "parsweep/log.h"

#ifdef PSW_TEST_STUB_LOG
/* Standalone build without the core library. */
void psw_log(psw_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "parsweep: %d: ", (int)level);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
#endif

static const char *model_exe, *plugin_so, *plugin_bad_abi, *plugin_no_entry;
static char tmpdir[] = "/tmp/psw_test_model.XXXXXX";

static psw_param_t xy[2] = {{.name = "x"}, {.name = "y"}};

enum {
  O_SUM,
  O_INDEX,
  O_ENV_INDEX,
  O_ENV_WORKER,
  O_ENV_RANK,
  O_ENV_NUM,
  O_NFDS,
  NOUT
};
static char *cmd_outputs[NOUT] = {
    "sum", "index", "env_index", "env_worker", "env_rank", "env_num", "nfds"};

/* Indices that select an action of the test model. */
enum { I_EXIT = 3, I_SEGV, I_OMIT, I_NAN, I_HANG, I_NOTERM, I_BG, I_SPAM };

static char dir_arg[64];
static char *cmd_argv[] = {
    NULL /* model_exe */, "--x={x}", "--y={y}", "--index={index}", dir_arg,
    "--exit=3:3", "--segv=4", "--omit=5", "--nan=6", "--hang=7",
    "--ignore-term=8", "--bg=9", "--spam=10",
    /* literal text around placeholders, and braces that are not ones */
    "lit{x}mid{y}end{index}", "{notph", "notph}", "{}", "{{x}}", "sp ace", "",
    "\xc3\xbc"
    "n"
    "\xc3\xaf"
    "c"
    "\xc3\xb6"
    "de"};
#define CMD_ARGC (sizeof cmd_argv / sizeof cmd_argv[0])

static char *cmd_env[] = {"PSW_TEST_NUM=42.5", "HOME=/custom/home",
                          "PSW_TEST_NUM=43.5", NULL};

static psw_spec_t cmd_spec(double timeout) {
  cmd_argv[0] = (char *)model_exe;
  return (psw_spec_t){.path = "test.yaml",
                      .params = xy,
                      .nparams = 2,
                      .outputs = cmd_outputs,
                      .noutputs = NOUT,
                      .command = cmd_argv,
                      .command_argc = CMD_ARGC,
                      .timeout = timeout,
                      .env = cmd_env,
                      .nenv = 3};
}

/* --- helpers ------------------------------------------------------------ */

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;
}

/* Contents of DIR/what.index, or NULL; *len set. */
static char *slurp(const char *what, uint64_t index, size_t *len) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s.%" PRIu64, tmpdir, what, index);
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  char *buf = malloc(1 << 20);
  *len = fread(buf, 1, (1 << 20) - 1, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static pid_t grandchild(uint64_t index) {
  size_t len;
  char *s = slurp("gc", index, &len);
  pid_t pid = s ? (pid_t)atoi(s) : -1;
  free(s);
  return pid;
}

/* Gone, or a zombie waiting for whoever reaps orphans here. */
static int pid_gone(pid_t pid) {
  for (int i = 0; i < 200; i++) {
    if (kill(pid, 0) != 0 && errno == ESRCH)
      return 1;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
      size_t n = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      buf[n] = '\0';
      char *p = strrchr(buf, ')');
      if (p && p[1] == ' ' && p[2] == 'Z')
        return 1;
    }
    usleep(10000);
  }
  kill(pid, SIGKILL); /* do not leave it behind for 30 s */
  return 0;
}

/* Occurrences of the NUL-terminated entry `want` in a NUL-separated list. */
static int count_entries(const char *buf, size_t len, const char *want) {
  int n = 0;
  for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
    n += !strcmp(buf + off, want);
  return n;
}

static int count_prefix(const char *buf, size_t len, const char *prefix) {
  int n = 0;
  for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
    n += !strncmp(buf + off, prefix, strlen(prefix));
  return n;
}

static int all_nan(const double *o, size_t n) {
  for (size_t k = 0; k < n; k++) {
    if (!isnan(o[k]))
      return 0;
  }
  return 1;
}

static int contains(const char *s, const char *sub) {
  return s && strstr(s, sub) != NULL;
}

/* "true"/"false" found on PATH, no outputs expected. */
static void test_cmd_path(void) {
  char err[256] = "";
  psw_model_inst_t *m = NULL;
  psw_eval_t ev;
  char *argv_true[] = {"true", NULL}, *argv_false[] = {"false", NULL};
  psw_spec_t st = {.command = argv_true, .command_argc = 1};
  int rc = psw__model_open(&st, 0, 0, &m, err, sizeof err);
  CHECK_EQ(rc, 0);
  if (rc == 0) {
    CHECK_EQ(psw__model_eval(m, 0, NULL, NULL, &ev), 0);
    CHECK_EQ(ev.status, PSW_ST_OK);
    CHECK_EQ(ev.exit_code, 0);
    psw__model_close(m);
  }
  psw_spec_t sf = {.command = argv_false, .command_argc = 1};
  rc = psw__model_open(&sf, 0, 0, &m, err, sizeof err);
  CHECK_EQ(rc, 0);
  if (rc == 0) {
    CHECK_EQ(psw__model_eval(m, 0, NULL, NULL, &ev), 0);
    CHECK_EQ(ev.status, PSW_ST_FAILED);
    CHECK_EQ(ev.exit_code, 1);
    psw__model_close(m);
  }
}

/* --- command: evaluation ------------------------------------------------ */

/* Values reach the model byte-exact, outputs come back exact, env is right. */
static void test_cmd_ok(psw_model_inst_t *m) {
  const double p[2] = {0.1, 1.0 / 3.0};
  const uint64_t index = 123456789012ull;
  double o[NOUT];
  psw_eval_t ev;
  CHECK_EQ(psw__model_eval(m, index, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_OK);
  CHECK_EQ(ev.exit_code, 0);
  CHECK(ev.elapsed > 0 && ev.elapsed < 30);
  CHECK(o[O_SUM] == p[0] + p[1]);
  CHECK(o[O_INDEX] == (double)index);
  CHECK(o[O_ENV_INDEX] == (double)index);
  CHECK(o[O_ENV_WORKER] == 5);
  CHECK(o[O_ENV_RANK] == 7);
  CHECK(o[O_ENV_NUM] == 43.5); /* the last of a repeated spec key */
  /* 0, 1, 2 only: the descriptor leaked on purpose in main is closed. */
  CHECK_EQ(o[O_NFDS], 3);

  size_t len = 0;
  char *got = slurp("argv", index, &len);
  CHECK(got != NULL);
  if (!got)
    return;
  char x[32], y[32], want[4096];
  snprintf(x, sizeof x, "%.17g", p[0]);
  snprintf(y, sizeof y, "%.17g", p[1]);
  size_t w = 0;
  for (size_t i = 0; i < CMD_ARGC; i++) {
    char arg[512];
    const char *t = cmd_argv[i];
    if (!strcmp(t, "--x={x}"))
      snprintf(arg, sizeof arg, "--x=%s", x);
    else if (!strcmp(t, "--y={y}"))
      snprintf(arg, sizeof arg, "--y=%s", y);
    else if (!strcmp(t, "--index={index}"))
      snprintf(arg, sizeof arg, "--index=%" PRIu64, index);
    else if (!strcmp(t, "lit{x}mid{y}end{index}"))
      snprintf(arg, sizeof arg, "lit%smid%send%" PRIu64, x, y, index);
    else if (!strcmp(t, "{{x}}"))
      snprintf(arg, sizeof arg, "{%s}", x);
    else
      snprintf(arg, sizeof arg, "%s", t);
    memcpy(want + w, arg, strlen(arg) + 1);
    w += strlen(arg) + 1;
  }
  CHECK_EQ(len, w);
  CHECK(len == w && memcmp(got, want, w) == 0);
  free(got);

  got = slurp("env", index, &len);
  CHECK(got != NULL);
  if (!got)
    return;
  char idx_env[64];
  snprintf(idx_env, sizeof idx_env, "PARSWEEP_INDEX=%" PRIu64, index);
  CHECK_EQ(count_entries(got, len, idx_env), 1);
  CHECK_EQ(count_prefix(got, len, "PARSWEEP_INDEX="), 1);
  CHECK_EQ(count_entries(got, len, "PARSWEEP_WORKER=5"), 1);
  CHECK_EQ(count_entries(got, len, "PARSWEEP_RANK=7"), 1);
  CHECK_EQ(count_entries(got, len, "PSW_TEST_PARENT=yes"), 1);
  CHECK_EQ(count_entries(got, len, "HOME=/custom/home"), 1);
  CHECK_EQ(count_prefix(got, len, "HOME="), 1);
  CHECK_EQ(count_prefix(got, len, "PSW_TEST_NUM="), 1);
  free(got);
}

static void test_cmd_failures(psw_model_inst_t *m) {
  const double p[2] = {1, 2};
  double o[NOUT];
  psw_eval_t ev;

  CHECK_EQ(psw__model_eval(m, I_EXIT, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_FAILED);
  CHECK_EQ(ev.exit_code, 3);
  CHECK(all_nan(o, NOUT)); /* printed, but the sample failed */

  CHECK_EQ(psw__model_eval(m, I_SEGV, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_CRASHED);
  CHECK_EQ(ev.exit_code, -SIGSEGV);
  CHECK(all_nan(o, NOUT));

  CHECK_EQ(psw__model_eval(m, I_OMIT, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_FAILED);
  CHECK_EQ(ev.exit_code, 0);
  CHECK(all_nan(o, NOUT));

  CHECK_EQ(psw__model_eval(m, I_NAN, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_FAILED);
  CHECK_EQ(ev.exit_code, 0);

  /* 4 MiB of junk and a 200 KiB line before the outputs. */
  CHECK_EQ(psw__model_eval(m, I_SPAM, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_OK);
  CHECK(o[O_SUM] == 3 && o[O_INDEX] == I_SPAM);
}

/* Timeout: the model and its grandchild die, in about the timeout. */
static void test_cmd_timeout(psw_model_inst_t *m) {
  const double p[2] = {1, 2};
  double o[NOUT];
  psw_eval_t ev;

  CHECK_EQ(psw__model_eval(m, I_HANG, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_TIMEOUT);
  CHECK_EQ(ev.exit_code, -SIGTERM);
  CHECK(ev.elapsed >= 0.95 && ev.elapsed < 3.0);
  CHECK(all_nan(o, NOUT));
  pid_t gc = grandchild(I_HANG);
  CHECK(gc > 0);
  if (gc > 0)
    CHECK(pid_gone(gc));

  /* SIGTERM ignored by both: SIGKILL after the grace. */
  CHECK_EQ(psw__model_eval(m, I_NOTERM, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_TIMEOUT);
  CHECK_EQ(ev.exit_code, -SIGKILL);
  CHECK(ev.elapsed >= 0.95 + PSW_MODEL_GRACE_S && ev.elapsed < 4.0);
  gc = grandchild(I_NOTERM);
  CHECK(gc > 0);
  if (gc > 0)
    CHECK(pid_gone(gc));
}

/* A background grandchild keeping stdout open does not hold the sample for
 * its 30 s, and does not survive it. */
static void test_cmd_background(psw_model_inst_t *m) {
  const double p[2] = {1, 2};
  double o[NOUT];
  psw_eval_t ev;
  CHECK_EQ(psw__model_eval(m, I_BG, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_OK);
  CHECK(o[O_SUM] == 3);
  /* Bounded by PSW_MODEL_DRAIN_S after the model's exit, not by the 30 s
   * of the grandchild (nor by the timeout: the status is OK). */
  CHECK(ev.elapsed < 5.0);
  pid_t gc = grandchild(I_BG);
  CHECK(gc > 0);
  if (gc > 0)
    CHECK(pid_gone(gc));
}

/* The cancel fd interrupts a running model, and refuses to start one. */
static void test_cmd_cancel(psw_model_inst_t *m) {
  const double p[2] = {1, 2};
  double o[NOUT];
  psw_eval_t ev;
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  CHECK(tfd >= 0);
  if (tfd < 0)
    return;
  struct itimerspec its = {.it_value = {.tv_nsec = 300000000}};
  timerfd_settime(tfd, 0, &its, NULL);
  psw__model_set_cancel_fd(m, tfd);
  CHECK_EQ(psw__model_eval(m, I_HANG, p, o, &ev), PSW_ERR_INTERRUPTED);
  CHECK_EQ(ev.status, PSW_ST_NOT_RUN);
  CHECK(ev.elapsed >= 0.25 && ev.elapsed < 5.0);
  CHECK(all_nan(o, NOUT));
  pid_t gc = grandchild(I_HANG);
  if (gc > 0)
    CHECK(pid_gone(gc));
  /* Still readable: the next sample is not even started. */
  CHECK_EQ(psw__model_eval(m, 0, p, o, &ev), PSW_ERR_INTERRUPTED);
  CHECK_EQ(ev.status, PSW_ST_NOT_RUN);
  psw__model_set_cancel_fd(m, -1);
  close(tfd);
  CHECK_EQ(psw__model_eval(m, 0, p, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_OK);
}

/* Several workers spawning at once (threads backend): no sample waits for
 * another's pipe, none gets another's output. */
typedef struct thr {
  psw_spec_t *spec;
  int worker, failures;
} thr_t;

static void *thread_main(void *arg) {
  thr_t *t = arg;
  psw_model_inst_t *m = NULL;
  char err[256];
  if (psw__model_open(t->spec, t->worker, 0, &m, err, sizeof err) != 0) {
    t->failures++;
    return NULL;
  }
  for (int j = 0; j < 8; j++) {
    uint64_t index = 1000 + (uint64_t)t->worker * 100 + (uint64_t)j;
    double p[2] = {t->worker, j}, o[NOUT];
    psw_eval_t ev;
    if (psw__model_eval(m, index, p, o, &ev) != 0 || ev.status != PSW_ST_OK ||
        o[O_SUM] != t->worker + j || o[O_INDEX] != (double)index ||
        o[O_ENV_WORKER] != t->worker) {
      fprintf(stderr, "thread %d: sample %d: status %d, %.3f s\n", t->worker, j,
              ev.status, ev.elapsed);
      t->failures++;
    }
  }
  psw__model_close(m);
  return NULL;
}

static void test_cmd_threads(psw_spec_t *spec) {
  enum { NT = 4 };
  pthread_t th[NT];
  thr_t t[NT];
  for (int i = 0; i < NT; i++) {
    t[i] = (thr_t){.spec = spec, .worker = i};
    pthread_create(&th[i], NULL, thread_main, &t[i]);
  }
  for (int i = 0; i < NT; i++) {
    pthread_join(th[i], NULL);
    CHECK_EQ(t[i].failures, 0);
  }
}

static void test_cmd(void) {
  /* Overridden by ours and by spec->env respectively; PSW_TEST_PARENT
   * passes through. */
  setenv("PARSWEEP_INDEX", "999", 1);
  setenv("PSW_TEST_PARENT", "yes", 1);
  /* A generous timeout where none should happen (a loaded machine), 1 s
   * for the tests of the timeout itself. */
  psw_spec_t spec = cmd_spec(30.0), spec1 = cmd_spec(1.0);
  char err[256] = "";
  psw_model_inst_t *m = NULL, *m1 = NULL;
  int rc = psw__model_open(&spec, 5, 7, &m, err, sizeof err);
  if (rc == 0)
    rc = psw__model_open(&spec1, 5, 7, &m1, err, sizeof err);
  CHECK_EQ(rc, 0);
  if (rc != 0) {
    fprintf(stderr, "open: %s\n", err);
    psw__model_close(m);
    return;
  }
  test_cmd_ok(m);
  test_cmd_failures(m);
  test_cmd_timeout(m1);
  test_cmd_background(m);
  test_cmd_cancel(m);
  psw__model_close(m);
  psw__model_close(m1);
  test_cmd_threads(&spec);
}

/* --- plugin ------------------------------------------------------------- */

typedef void (*counts_fn)(int *, int *, int *, int *);

static void test_plugin(void) {
  /* Keep the plugin loaded ourselves: its counters then survive the
   * library's dlclose. */
  void *h = dlopen(plugin_so, RTLD_NOW | RTLD_LOCAL);
  CHECK(h != NULL);
  if (!h)
    return;
  counts_fn counts;
  *(void **)&counts = dlsym(h, "psw_test_plugin_counts");
  CHECK(counts != NULL);
  if (!counts) {
    dlclose(h);
    return;
  }
  char *outs[] = {"sum", "index", "evals"};
  psw_spec_t spec = {.path = "test.yaml",
                     .params = xy,
                     .nparams = 2,
                     .outputs = outs,
                     .noutputs = 3,
                     .plugin = (char *)plugin_so};
  char err[256] = "";
  psw_model_inst_t *a = NULL, *b = NULL;
  int rc = psw__model_open(&spec, 0, 0, &a, err, sizeof err);
  CHECK_EQ(rc, 0);
  if (rc != 0) {
    fprintf(stderr, "open: %s\n", err);
    dlclose(h);
    return;
  }
  int ni, ne, nf, nb;
  counts(&ni, &ne, &nf, &nb);
  CHECK(ni == 1 && ne == 0 && nf == 0);

  double o[3];
  psw_eval_t ev;
  CHECK_EQ(psw__model_eval(a, 3, (double[]){1.5, 2}, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_OK);
  CHECK_EQ(ev.exit_code, 0);
  CHECK(ev.elapsed >= 0 && ev.elapsed < 1);
  CHECK(o[0] == 3.5 && o[1] == 3 && o[2] == 1);

  CHECK_EQ(psw__model_eval(a, 4, (double[]){-1, 0}, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_FAILED);
  CHECK_EQ(ev.exit_code, 7);
  CHECK(all_nan(o, 3));

  /* Success with NaN outputs is a failure (exit_code 0). */
  CHECK_EQ(psw__model_eval(a, 5, (double[]){1000, 0}, o, &ev), 0);
  CHECK_EQ(ev.status, PSW_ST_FAILED);
  CHECK_EQ(ev.exit_code, 0);
  CHECK(all_nan(o, 3));

  /* A second worker has its own state. */
  CHECK_EQ(psw__model_open(&spec, 1, 0, &b, err, sizeof err), 0);
  CHECK_EQ(psw__model_eval(b, 6, (double[]){1, 1}, o, &ev), 0);
  CHECK(ev.status == PSW_ST_OK && o[2] == 1);
  CHECK_EQ(psw__model_eval(a, 7, (double[]){1, 1}, o, &ev), 0);
  CHECK(ev.status == PSW_ST_OK && o[2] == 4);
  psw__model_close(a);
  psw__model_close(b);
  counts(&ni, &ne, &nf, &nb);
  CHECK_EQ(ni, 2);
  CHECK_EQ(ne, 5);
  CHECK_EQ(nf, 2);
  CHECK_EQ(nb, 0);

  /* init failure: an error naming the plugin, and no fini. */
  CHECK_EQ(psw__model_open(&spec, 99, 0, &a, err, sizeof err), PSW_ERR_MODEL);
  CHECK(a == NULL);
  CHECK(contains(err, plugin_so) && contains(err, "init returned 42"));
  counts(&ni, &ne, &nf, &nb);
  CHECK(ni == 3 && nf == 2);
  dlclose(h);

  spec.plugin = (char *)plugin_bad_abi;
  CHECK_EQ(psw__model_open(&spec, 0, 0, &a, err, sizeof err), PSW_ERR_MODEL);
  CHECK(contains(err, plugin_bad_abi) && contains(err, "ABI version 999"));
  spec.plugin = (char *)plugin_no_entry;
  CHECK_EQ(psw__model_open(&spec, 0, 0, &a, err, sizeof err), PSW_ERR_MODEL);
  CHECK(contains(err, plugin_no_entry) && contains(err, "psw_model_entry"));
  spec.plugin = "/nonexistent/libpsw_model.so";
  CHECK_EQ(psw__model_open(&spec, 0, 0, &a, err, sizeof err), PSW_ERR_MODEL);
  CHECK(contains(err, "/nonexistent/libpsw_model.so"));
  spec.plugin = "/etc/passwd"; /* not a shared object */
  CHECK_EQ(psw__model_open(&spec, 0, 0, &a, err, sizeof err), PSW_ERR_MODEL);
  CHECK(contains(err, "/etc/passwd"));
  CHECK(a == NULL);
}

static void cleanup_tmpdir(void) {
  DIR *d = opendir(tmpdir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(tmpdir);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr,
            "usage: %s MODEL_EXE PLUGIN PLUGIN_BAD_ABI PLUGIN_NO_ENTRY\n",
            argv[0]);
    return 2;
  }
  model_exe = argv[1];
  plugin_so = argv[2];
  plugin_bad_abi = argv[3];
  plugin_no_entry = argv[4];
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(dir_arg, sizeof dir_arg, "--dir=%s", tmpdir);

  /* A descriptor without O_CLOEXEC that models must not inherit. */
  int fds_before = count_fds();
  int leak = dup(STDERR_FILENO);

  test_cmd_path();
  test_cmd();
  test_plugin();

  close(leak);
  /* No descriptor left open, no child left unreaped. */
  CHECK_EQ(count_fds(), fds_before);
  CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
  cleanup_tmpdir();
  if (check_failures())
    fprintf(stderr, "test_model: %d failure(s)\n", check_failures());
  return check_failures() != 0;
}
