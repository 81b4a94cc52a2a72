/* parsweep benchmarks — helpers of the benchmarks that time whole
 * `parsweep run` commands and Python baselines (B2 fork_pool, B3
 * command_spawn, B6 end_to_end): write a file, run a command and time it,
 * run a Python script and read the numbers it prints.
 *
 * Where the programs are: compiled in by bench/CMakeLists.txt (the build's
 * parsweep and libtrivial_plugin.so), overridable on the command line. */
#ifndef PSW_SWEEPUTIL_H
#define PSW_SWEEPUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"

extern char **environ;

/* Write text to path; 0 on success. */
static inline int su_write(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int ok = fputs(text, f) >= 0;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* Run argv (stdout to /dev/null unless keep_stdout; stderr inherited),
 * wait for it; the wall time in seconds, < 0 when it could not start or
 * did not exit 0. */
static inline double su_run(char *const argv[], int keep_stdout) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!keep_stdout)
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  double t0 = bu_now();
  pid_t pid;
  int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e) {
    fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(e));
    return -1;
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  double t = bu_now() - t0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "bench: %s exited with status %d\n", argv[0],
            WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return -1;
  }
  return t;
}

/* Run `python SCRIPT args` (script = the text, written to a temporary
 * file) and read up to max numbers from its stdout into v; the count read,
 * < 0 on failure (no number or a non-zero exit). */
static inline int su_python(const char *python, const char *script,
                            const char *args, double *v, int max) {
  char path[] = "/tmp/psw_bench_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return -1;
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    remove(path);
    return -1;
  }
  fputs(script, f);
  fclose(f);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s %s", python, path, args);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p) {
    n = 0;
    while (n < max && fscanf(p, "%lf", &v[n]) == 1)
      n++;
    char sink[256];
    while (fgets(sink, sizeof sink, p))
      ;
    if (pclose(p) != 0 || n == 0)
      n = -1;
  }
  remove(path);
  return n;
}

#endif /* PSW_SWEEPUTIL_H */
