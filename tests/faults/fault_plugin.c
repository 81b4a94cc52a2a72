/* parsweep fault-matrix tests — a plugin that misbehaves on demand.
 *
 * y = a (output 0 echoes parameter 0). PSW_FAULT_LOG names a file to which
 * every finished evaluation appends its index. PSW_FAULT="KIND:K[,...]"
 * makes sample K misbehave, KIND one of
 *   segv   die of SIGSEGV        abort  die of SIGABRT (abort())
 *   hang   loop forever          once   die of SIGSEGV unless
 *                                       $PSW_FAULT_DIR/once.K exists
 *                                       (created first: a retry succeeds)
 *   orphan start a child that sleeps 30 s (it inherits the host's socket),
 *          then die of SIGSEGV
 * PSW_FAULT_SLEEP (seconds) makes every sample take that long. */
#include <parsweep/model.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Does PSW_FAULT hold KIND:index? */
static int fault(const char *kind, uint64_t index) {
  const char *f = getenv("PSW_FAULT");
  char want[64];
  snprintf(want, sizeof want, "%s:%llu", kind, (unsigned long long)index);
  size_t n = strlen(want);
  for (const char *p = f; p && *p;) {
    if (!strncmp(p, want, n) && (p[n] == ',' || p[n] == '\0'))
      return 1;
    p = strchr(p, ',');
    p = p ? p + 1 : NULL;
  }
  return 0;
}

static int eval(void *state, uint64_t index, const double *params,
                double *outputs) {
  (void)state;
  const char *s = getenv("PSW_FAULT_SLEEP");
  if (s) {
    double t = atof(s);
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    nanosleep(&ts, NULL);
  }
  if (fault("segv", index))
    raise(SIGSEGV);
  if (fault("abort", index))
    abort();
  if (fault("orphan", index)) {
    /* The socket stays open in the child: only the host's exit tells the
     * worker that the sample is lost. */
    if (fork() == 0) {
      struct timespec ts = {30, 0};
      nanosleep(&ts, NULL);
      _exit(0);
    }
    raise(SIGSEGV);
  }
  if (fault("hang", index))
    for (volatile int spin = 1; spin;)
      ;
  if (fault("once", index)) {
    char path[4096];
    snprintf(path, sizeof path, "%s/once.%llu", getenv("PSW_FAULT_DIR"),
             (unsigned long long)index);
    if (access(path, F_OK) != 0) {
      FILE *m = fopen(path, "w");
      if (m)
        fclose(m);
      raise(SIGSEGV);
    }
  }
  outputs[0] = params[0];
  const char *log = getenv("PSW_FAULT_LOG");
  FILE *f = log ? fopen(log, "a") : NULL;
  if (f) {
    fprintf(f, "%llu\n", (unsigned long long)index);
    fclose(f);
  }
  return 0;
}

static const psw_model_t model = {
    .abi_version = PSW_MODEL_ABI_VERSION,
    .name = "faulty",
    .eval = eval,
};

const psw_model_t *psw_model_entry(void) {
  return &model;
}
