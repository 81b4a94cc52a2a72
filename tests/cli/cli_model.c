/* parsweep CLI tests — a tiny command model.
 *
 *   psw_cli_model A B C [--index=N] [--dir=DIR] [--exit=LIST] [--segv=LIST]
 *                 [--omit=LIST] [--hang=LIST] [--fail-once=LIST]
 *                 [--sleep=SECONDS]
 *
 * A, B, C are numbers (the spec passes "{a}" "{b}" "{c}"). It prints a banner
 * line (not an output), echo_a/echo_b/echo_c (the values it parsed, %.17g),
 * index=N, out1 = A*B + C and out2 = A - C. LIST is a comma-separated list of
 * sample indices; an action applies when N is in its list:
 *   --exit       print the outputs, then exit 3
 *   --segv       print the outputs, then die of SIGSEGV
 *   --omit       do not print out2
 *   --hang       print nothing and sleep 60 s (with --dir, after creating
 *                DIR/hang.N, so a test knows the sample has started)
 *   --fail-once  exit 3 unless DIR/once.N exists; create it first, so the
 *                next attempt of the same sample succeeds
 * --sleep makes every sample take that long (before printing anything).
 * Built with -ffp-contract=off: out1 is two roundings, as in Python. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long idx = -1;

/* Is idx in the comma-separated list of option "--name=LIST"? */
static int in_list(int argc, char **argv, const char *name) {
  size_t n = strlen(name);
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], name, n) || argv[i][n] != '=')
      continue;
    const char *p = argv[i] + n + 1;
    while (*p) {
      char *end;
      long long v = strtoll(p, &end, 10);
      if (end == p)
        break;
      if (v == idx)
        return 1;
      p = *end == ',' ? end + 1 : end;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  double v[3];
  int nv = 0;
  const char *dir = NULL;
  double nap = 0;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--index=", 8)) {
      idx = strtoll(argv[i] + 8, NULL, 10);
    } else if (!strncmp(argv[i], "--sleep=", 8)) {
      nap = strtod(argv[i] + 8, NULL);
    } else if (!strncmp(argv[i], "--dir=", 6)) {
      dir = argv[i] + 6;
    } else if (strncmp(argv[i], "--", 2)) {
      char *end;
      if (nv == 3) {
        fprintf(stderr, "psw_cli_model: more than 3 values\n");
        return 64;
      }
      v[nv] = strtod(argv[i], &end);
      if (end == argv[i] || *end) {
        fprintf(stderr, "psw_cli_model: not a number: %s\n", argv[i]);
        return 64;
      }
      nv++;
    }
  }
  if (nv != 3) {
    fprintf(stderr, "psw_cli_model: need 3 values, got %d\n", nv);
    return 64;
  }
  if (nap > 0) {
    struct timespec ts = {(time_t)nap,
                          (long)((nap - (double)(time_t)nap) * 1e9)};
    while (nanosleep(&ts, &ts))
      ;
  }
  if (in_list(argc, argv, "--hang")) {
    if (dir) {
      char path[4096];
      snprintf(path, sizeof path, "%s/hang.%lld", dir, idx);
      int fd = open(path, O_WRONLY | O_CREAT, 0644);
      if (fd >= 0)
        close(fd);
    }
    sleep(60);
    return 0;
  }
  if (in_list(argc, argv, "--fail-once")) {
    char path[4096];
    snprintf(path, sizeof path, "%s/once.%lld", dir ? dir : ".", idx);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
      close(fd);
      printf("first attempt of %lld fails\n", idx);
      return 3;
    }
  }
  printf("psw_cli_model: solving\n");
  printf("echo_a=%.17g\necho_b=%.17g\necho_c=%.17g\n", v[0], v[1], v[2]);
  printf("index = %lld\n", idx);
  printf("out1 = %.17g\n", v[0] * v[1] + v[2]);
  if (!in_list(argc, argv, "--omit"))
    printf("out2 = %.17g\n", v[0] - v[2]);
  fflush(stdout);
  if (in_list(argc, argv, "--segv")) {
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
  }
  if (in_list(argc, argv, "--exit"))
    return 3;
  return 0;
}
