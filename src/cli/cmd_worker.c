/* parsweep worker --connect FILE.h5.endpoint [-j N] [--wait S]
 *
 * Join an elastic sweep (SPEC §5): N processes, each a worker of the head
 * that wrote the endpoint file, evaluating the samples it hands out until
 * the sweep ends. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "parsweep.h"
#include "runner.h"
#include "util.h"

static const char worker_help[] =
    "usage: parsweep worker --connect FILE.h5.endpoint [-j N] [--wait S]\n"
    "\n"
    "Join the elastic sweep whose head (parsweep run -b elastic) wrote\n"
    "FILE.h5.endpoint, from this node, at any time. Exits 0 when the sweep\n"
    "ends. Losing a worker loses no sample: the head hands its samples to\n"
    "the others.\n"
    "\n"
    "  -c, --connect FILE   the endpoint file (readable by its owner only:\n"
    "                       it holds the key that lets a worker in)\n"
    "  -j, --jobs N         worker processes on this node (default: every\n"
    "                       CPU this process may use)\n"
    "      --wait S         seconds to wait for FILE to appear, and then for\n"
    "                       the head to answer (default 60)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit codes: 0 the sweep ended (or the head was stopped), also for a\n"
    "worker that came as or after it ended (\"the sweep of FILE has ended;\n"
    "nothing to do\"); 1 error (one-line reason on stderr: e.g. the head\n"
    "refused this worker's key, or declared it lost after a stall);\n"
    "2 usage; 4 stopped by a signal, or its model cancelled because the\n"
    "head was (its samples went back to the head); 5 no head: it never\n"
    "answered within --wait seconds (\"never reached\"), or it was lost\n"
    "after it had (\"lost the head\").\n";

static const char synopsis[] = "--connect FILE.h5.endpoint [-j N] [--wait S]";

static volatile sig_atomic_t forward_sig;
static void on_forward(int sig) {
  forward_sig = sig;
}

/* One worker process: its exit code. A process of a pool (quiet) says
 * only what went wrong; the pool's parent sums up. */
static int serve(const char *endpoint, int quiet) {
  char err[1024];
  psw_sweep_stats_t st;
  int rc = psw__sweep_serve(endpoint, &st, err, sizeof err);
  if (rc == PSW_ERR_UNAVAILABLE) {
    fprintf(stderr,
            "parsweep worker: the sweep of %s has ended; nothing to do\n",
            endpoint);
    return PSW_EXIT_OK;
  }
  if (rc) {
    fprintf(stderr, "parsweep worker: %s\n", err);
    /* The head never answered for --wait seconds, or was lost after it
     * did: a distinct code (docs/elastic.md), so that a job script can
     * tell an unreachable head from a refusal. */
    return rc == PSW_ERR_PEER_LOST ? PSW_EXIT_NO_HEAD : PSW_EXIT_ERROR;
  }
  if (quiet)
    ;
  else if (st.left)
    fprintf(stderr,
            "parsweep worker: stopped; its samples went back to the head\n");
  else
    fprintf(stderr,
            "parsweep worker: the sweep ended%s: %llu samples, %llu ok\n",
            st.interrupted ? " (the head was stopped; resumable)" : "",
            (unsigned long long)st.n, (unsigned long long)st.counts[1]);
  return st.left ? PSW_EXIT_INTERRUPTED : PSW_EXIT_OK;
}

/* The order of a pool's codes: the worst one is its exit code. */
static int rank_code(int code) {
  switch (code) {
  case PSW_EXIT_OK:
    return 0;
  case PSW_EXIT_INTERRUPTED:
    return 1;
  case PSW_EXIT_NO_HEAD:
    return 2;
  default:
    return 3;
  }
}

/* A worker started with the head (or before it) waits for its file. */
static int wait_for(const char *path, double secs) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    if (access(path, R_OK) == 0)
      return 0;
    if (errno != ENOENT)
      return -1;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((double)(t.tv_sec - t0.tv_sec) +
            1e-9 * (double)(t.tv_nsec - t0.tv_nsec) >=
        secs)
      return -1;
    usleep(200000);
  }
}

int psw__cmd_worker(int argc, char **argv) {
  static const struct option longopts[] = {
      {"connect", required_argument, NULL, 'c'},
      {"jobs", required_argument, NULL, 'j'},
      {"wait", required_argument, NULL, 'w'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *endpoint = NULL;
  int jobs = 0, c;
  double wait_s = 60;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":c:j:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'c':
      endpoint = optarg;
      break;
    case 'j':
      if (psw__cli_workers(optarg, &jobs))
        return psw__cli_usage("worker", synopsis,
                              "-j needs a number of workers >= 0, not", optarg);
      break;
    case 'w': {
      char *end;
      wait_s = strtod(optarg, &end);
      if (*end || end == optarg || wait_s < 0)
        return psw__cli_usage("worker", synopsis,
                              "--wait needs seconds >= 0, not", optarg);
      break;
    }
    case 'h':
      fputs(worker_help, stdout);
      return PSW_EXIT_OK;
    case ':':
      return psw__cli_usage("worker", synopsis, "option needs a value",
                            argv[optind - 1]);
    default:
      return psw__cli_usage("worker", synopsis, "unknown option",
                            argv[optind - 1]);
    }
  }
  if (optind != argc)
    return psw__cli_usage("worker", synopsis, "unexpected argument",
                          argv[optind]);
  if (!endpoint)
    return psw__cli_usage("worker", synopsis, "--connect FILE is required",
                          NULL);
  /* --wait also bounds the wait for the head's answer (unless the
   * environment sets that on its own). */
  char ws[32];
  snprintf(ws, sizeof ws, "%g", wait_s > 0 ? wait_s : 0.001);
  setenv("PSW_ELASTIC_CONNECT_TIMEOUT", ws, 0);
  if (wait_for(endpoint, wait_s)) {
    fprintf(stderr, "parsweep worker: %s: %s%s\n", endpoint,
            strerror(errno ? errno : ENOENT),
            errno == ENOENT ? " (is the head running? parsweep run -b elastic "
                              "writes it)"
                            : "");
    return PSW_EXIT_ERROR;
  }
  /* Plugins run isolated in hosts that are this executable again. */
  char self[PATH_MAX];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl > 0) {
    self[sl] = '\0';
    psw__host_set_exe(self);
  }
  if (jobs == 0)
    jobs = psw_available_cpus();
  if (jobs == 1)
    return serve(endpoint, 0);

  /* A pool of worker processes, each connected on its own. Signals to this
   * process reach all of them. */
  fflush(NULL);
  pid_t *pids = calloc((size_t)jobs, sizeof *pids);
  if (!pids) {
    fprintf(stderr, "parsweep worker: out of memory\n");
    return PSW_EXIT_ERROR;
  }
  int started = 0;
  for (; started < jobs; started++) {
    pid_t p = fork();
    if (p < 0)
      break;
    if (p == 0)
      _exit(serve(endpoint, 1));
    pids[started] = p;
  }
  struct sigaction sa = {.sa_handler = on_forward};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  int worst = started < jobs ? PSW_EXIT_ERROR : PSW_EXIT_OK, left = started;
  if (started < jobs)
    fprintf(stderr, "parsweep worker: fork: %s (%d of %d started)\n",
            strerror(errno), started, jobs);
  while (left > 0) {
    int status;
    pid_t p = waitpid(-1, &status, 0);
    if (p < 0 && errno == EINTR) {
      int sig = forward_sig;
      forward_sig = 0;
      for (int i = 0; sig && i < started; i++)
        if (pids[i] > 0)
          kill(pids[i], sig);
      continue;
    }
    if (p < 0)
      break;
    for (int i = 0; i < started; i++)
      if (pids[i] == p)
        pids[i] = 0;
    left--;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : PSW_EXIT_ERROR;
    /* error beats no head beats interrupted beats ok */
    if (rank_code(code) > rank_code(worst))
      worst = code;
  }
  free(pids);
  if (worst == PSW_EXIT_OK)
    fprintf(stderr, "parsweep worker: the sweep ended; %d worker processes\n",
            started);
  else if (worst == PSW_EXIT_INTERRUPTED)
    fprintf(stderr,
            "parsweep worker: stopped; the samples of its %d processes went "
            "back to the head\n",
            started);
  return worst;
}
