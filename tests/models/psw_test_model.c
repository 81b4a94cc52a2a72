/* parsweep tests — a command model with chosen misbehaviours.
 *
 *   psw_test_model [--x=V] [--y=V] [--index=N] [--dir=DIR] [ACTION=I ...]
 *
 * Prints a banner line (not an output), then "sum = x+y" with CRLF,
 * "index=N", the PARSWEEP_* variables and PSW_TEST_NUM as env_index,
 * env_worker, env_rank, env_num, and nfds, the number of descriptors it
 * inherited. With --dir it also writes its argv (NUL-separated) to
 * DIR/argv.N and its environment to DIR/env.N. An ACTION applies only when
 * its I equals the sample index N (so one template serves every case):
 *   --exit=I:CODE     print the outputs, then exit CODE
 *   --segv=I          print the outputs, then die of SIGSEGV
 *   --omit=I          do not print sum
 *   --nan=I           print sum = nan
 *   --hang=I          fork a grandchild (pid in DIR/gc.N) and both sleep 30 s
 *   --ignore-term=I   like --hang, with SIGTERM ignored by both
 *   --bg=I            fork a grandchild (pid in DIR/gc.N) that keeps stdout
 *                     open and sleeps 30 s; print the outputs and exit 0
 *   --spam=I          print 4 MiB of junk lines and a 200 KiB line first */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *dir;
static long long idx = -1;

/* "--name=I" or "--name=I:V" for this index. */
static int action(int argc, char **argv, const char *name, long *val) {
  size_t n = strlen(name);
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], name, n) || argv[i][n] != '=')
      continue;
    char *end;
    long long at = strtoll(argv[i] + n + 1, &end, 10);
    if (at != idx)
      continue;
    if (val)
      *val = *end == ':' ? strtol(end + 1, NULL, 10) : 0;
    return 1;
  }
  return 0;
}

static void write_file(const char *what, char **strs, int n) {
  if (!dir)
    return;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.%lld", dir, what, idx);
  FILE *f = fopen(path, "w");
  if (!f)
    return;
  for (int i = 0; n < 0 ? strs[i] != NULL : i < n; i++)
    fwrite(strs[i], 1, strlen(strs[i]) + 1, f);
  fclose(f);
}

static void write_pid(pid_t pid) {
  char path[4096];
  snprintf(path, sizeof path, "%s/gc.%lld", dir ? dir : ".", idx);
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
  }
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    n += e->d_name[0] != '.';
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static void print_env(const char *out, const char *var) {
  const char *v = getenv(var);
  if (v)
    printf("%s=%s\n", out, v);
}

int main(int argc, char **argv) {
  double x = 0, y = 0;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--x=", 4))
      x = strtod(argv[i] + 4, NULL);
    else if (!strncmp(argv[i], "--y=", 4))
      y = strtod(argv[i] + 4, NULL);
    else if (!strncmp(argv[i], "--index=", 8))
      idx = strtoll(argv[i] + 8, NULL, 10);
    else if (!strncmp(argv[i], "--dir=", 6))
      dir = argv[i] + 6;
  }
  write_file("argv", argv, argc);
  write_file("env", environ, -1);

  long code = 0;
  int hang = action(argc, argv, "--hang", NULL);
  int noterm = action(argc, argv, "--ignore-term", NULL);
  if (hang || noterm) {
    if (noterm)
      signal(SIGTERM, SIG_IGN);
    fflush(stdout);
    pid_t gc = fork();
    if (gc == 0) {
      sleep(30);
      _exit(0);
    }
    write_pid(gc);
    sleep(30);
    return 0;
  }
  if (action(argc, argv, "--bg", NULL)) {
    fflush(stdout);
    pid_t gc = fork();
    if (gc == 0) {
      sleep(30); /* holds the inherited stdout */
      _exit(0);
    }
    write_pid(gc);
  }
  if (action(argc, argv, "--spam", NULL)) {
    for (int i = 0; i < 4 * 1024 * 1024 / 64; i++)
      printf("junk line %-53d\n", i);
    for (int i = 0; i < 200 * 1024; i++)
      putchar(i % 2 ? 'x' : '=');
    putchar('\n');
    printf("sum=12345\n"); /* overwritten below: last one wins */
  }

  printf("test model at index %lld\n", idx);
  if (action(argc, argv, "--nan", NULL))
    printf("sum = nan\r\n");
  else if (!action(argc, argv, "--omit", NULL))
    printf("sum = %.17g\r\n", x + y);
  printf("index=%lld\n", idx);
  print_env("env_index", "PARSWEEP_INDEX");
  print_env("env_worker", "PARSWEEP_WORKER");
  print_env("env_rank", "PARSWEEP_RANK");
  print_env("env_num", "PSW_TEST_NUM");
  printf("nfds=%d", count_fds()); /* no newline: the last line counts too */
  fflush(stdout);

  if (action(argc, argv, "--segv", NULL)) {
    /* A sanitizer's handler would turn the signal into exit(1). */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
  }
  if (action(argc, argv, "--exit", &code))
    return (int)code;
  return 0;
}
