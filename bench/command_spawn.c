/* parsweep benchmark B3 — samples of an external command model (a trivial
 * compiled program, bench/trivial_model.c: `trivial_model A B` prints
 * y=A+B and z=A*B), against a bare spawn loop and GNU parallel on the same
 * commands, measured in the same run:
 *
 *   build/bench/command_spawn [--n 1000] [--par-n 300] [--ballast-mib 1024]
 *       [--reps 5] [--parsweep PATH] [--model PATH] [--ballast-lib PATH]
 *       [--parallel PATH] [--smoke]
 *
 * A  `parsweep run` of a grid of N samples with `model: {command: [MODEL,
 *    "{a}", "{b}"]}`, fork -j 2; time per sample = (t(N) - t(100)) /
 *    (N - 100), so the start-up is not counted; results.h5 is written.
 * B  a bare loop: two threads (as 2 workers), each posix_spawn + waitpid
 *    of the same commands, one after the other; "bare": stdout to
 *    /dev/null; "pipe": stdout to a pipe read to the end (what it takes to
 *    get the outputs back, as parsweep does).
 * C  GNU parallel -j 2 on the same commands (`parallel --colsep ' ' -a
 *    FILE MODEL {1} {2}`), at --par-n samples minus a 20-sample run.
 * D  A again with every fork worker's resident set inflated by
 *    --ballast-mib MiB (LD_PRELOAD of bench/rss_ballast.c into parsweep,
 *    written page by page before the workers fork), and for contrast the
 *    bare loop with posix_spawn and with fork + exec from this process
 *    with and without the same ballast.
 *
 * Repetitions interleave A B C D; the table gives medians and ratios.
 * Targets (issue 7): A >= 0.8x the bare posix_spawn + wait loop (speed:
 * the loop's time per sample / A's), >= 5x GNU parallel, and A's time per
 * sample with a 1 GiB worker within 10% of A's ("stays flat").
 * --smoke: tiny sizes, one repetition (ctest bench.command_spawn; no timing
 * is checked). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "sweeputil.h"

#ifndef PSW_BENCH_PARSWEEP
#define PSW_BENCH_PARSWEEP "parsweep"
#endif
#ifndef PSW_BENCH_MODEL
#define PSW_BENCH_MODEL "trivial_model"
#endif
#ifndef PSW_BENCH_BALLAST
#define PSW_BENCH_BALLAST "librss_ballast.so"
#endif

#define MAXREPS 64
#define NW 2

/* --- the bare loops -------------------------------------------------------
 */

struct loop_arg {
  const char *model;
  int n, first, mode; /* mode: 0 /dev/null, 1 pipe, 2 fork+exec */
  int failed;
};

static int spawn_one(const struct loop_arg *la, int i) {
  char a[32], b[32];
  snprintf(a, sizeof a, "%.17g", (double)(i / 100) * 1e-3);
  snprintf(b, sizeof b, "%.17g", 1.0 + (double)(i % 100) * 1e-2);
  char *argv[] = {(char *)la->model, a, b, NULL};
  pid_t pid;
  int fd[2] = {-1, -1};
  if (la->mode == 2) {
    pid = fork();
    if (pid < 0)
      return -1;
    if (pid == 0) {
      int dn = open("/dev/null", O_WRONLY);
      dup2(dn, 1);
      execv(la->model, argv);
      _exit(127);
    }
  } else {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (la->mode == 1) {
      if (pipe2(fd, O_CLOEXEC))
        return -1;
      posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    } else {
      posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    }
    int e = posix_spawn(&pid, la->model, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (fd[1] >= 0)
      close(fd[1]);
    if (e) {
      if (fd[0] >= 0)
        close(fd[0]);
      return -1;
    }
    if (fd[0] >= 0) {
      char buf[256];
      while (read(fd[0], buf, sizeof buf) > 0)
        ;
      close(fd[0]);
    }
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void *loop_thread(void *arg) {
  struct loop_arg *la = arg;
  for (int i = la->first; i < la->first + la->n && !la->failed; i++)
    if (spawn_one(la, i))
      la->failed = 1;
  return NULL;
}

/* Seconds per sample of n spawns on NW threads; < 0 on failure. */
static double bare_loop(const char *model, int n, int mode) {
  pthread_t t[NW];
  struct loop_arg la[NW];
  double t0 = bu_now();
  for (int k = 0; k < NW; k++) {
    la[k] = (struct loop_arg){model, n / NW, k * (n / NW), mode, 0};
    if (pthread_create(&t[k], NULL, loop_thread, &la[k]))
      return -1;
  }
  int failed = 0;
  for (int k = 0; k < NW; k++) {
    pthread_join(t[k], NULL);
    failed |= la[k].failed;
  }
  return failed ? -1 : (bu_now() - t0) / (double)(n / NW * NW);
}

/* --- parsweep and GNU parallel --------------------------------------------
 */

static int write_spec(const char *path, const char *model, int na) {
  char text[2048];
  snprintf(text, sizeof text,
           "seed: 1\n"
           "parameters:\n"
           "  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, "
           "num_samples: %d}\n"
           "  b: {type: LinearSample, lower_limit: 1, upper_limit: 2, "
           "num_samples: 100}\n"
           "outputs: [y, z]\n"
           "model:\n"
           "  command: [%s, \"{a}\", \"{b}\"]\n",
           na, model);
  return su_write(path, text);
}

static double run_sweep(const char *parsweep, const char *spec,
                        const char *out) {
  char *argv[] = {(char *)parsweep, "run",     (char *)spec, "-b",
                  "fork",           "-j",      "2",          "-o",
                  (char *)out,      "--force", "-q",         NULL};
  return su_run(argv, 0);
}

static int write_args(const char *path, int n) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  for (int i = 0; i < n; i++)
    fprintf(f, "%.17g %.17g\n", (double)(i / 100) * 1e-3,
            1.0 + (double)(i % 100) * 1e-2);
  return fclose(f);
}

static double run_parallel(const char *parallel, const char *args,
                           const char *model) {
  char *argv[] = {(char *)parallel, "--will-cite", "-j",  "2",
                  "--colsep",       " ",           "-a",  (char *)args,
                  (char *)model,    "{1}",         "{2}", NULL};
  return su_run(argv, 0);
}

int main(int argc, char **argv) {
  int n = 1000, par_n = 300, reps = 5, ballast_mib = 1024;
  const char *parsweep = PSW_BENCH_PARSWEEP, *model = PSW_BENCH_MODEL;
  const char *ballast = PSW_BENCH_BALLAST, *parallel = "parallel";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke")) {
      n = 200;
      par_n = 40;
      ballast_mib = 16;
      reps = 1;
    } else if (!strcmp(argv[i], "--n") && i + 1 < argc) {
      n = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--par-n") && i + 1 < argc) {
      par_n = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--ballast-mib") && i + 1 < argc) {
      ballast_mib = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--parsweep") && i + 1 < argc) {
      parsweep = argv[++i];
    } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
      model = argv[++i];
    } else if (!strcmp(argv[i], "--ballast-lib") && i + 1 < argc) {
      ballast = argv[++i];
    } else if (!strcmp(argv[i], "--parallel") && i + 1 < argc) {
      parallel = argv[++i];
    } else {
      fprintf(stderr, "usage: command_spawn [--n N] [--par-n N] "
                      "[--ballast-mib M] [--reps R] [--parsweep PATH] "
                      "[--model PATH] [--ballast-lib PATH] [--parallel PATH] "
                      "[--smoke]\n");
      return 2;
    }
  }
  n = n / 100 < 2 ? 200 : n / 100 * 100;
  if (reps < 1 || reps > MAXREPS || par_n <= 20 || ballast_mib < 0) {
    fprintf(stderr, "command_spawn: bad sizes\n");
    return 2;
  }
  char *abs_model = realpath(model, NULL),
       *abs_ballast = realpath(ballast, NULL);
  if (!abs_model || !abs_ballast) {
    fprintf(stderr, "command_spawn: %s not found\n",
            abs_model ? ballast : model);
    return 1;
  }
  char dir[] = "/tmp/psw_b3_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("command_spawn: mkdtemp");
    return 1;
  }
  char spec0[64], spec1[64], out[64], args0[64], args1[64];
  snprintf(spec0, sizeof spec0, "%s/s0.yaml", dir);
  snprintf(spec1, sizeof spec1, "%s/s1.yaml", dir);
  snprintf(out, sizeof out, "%s/out.h5", dir);
  snprintf(args0, sizeof args0, "%s/args0", dir);
  snprintf(args1, sizeof args1, "%s/args1", dir);
  if (write_spec(spec0, abs_model, 1) ||
      write_spec(spec1, abs_model, n / 100) || write_args(args0, 20) ||
      write_args(args1, par_n)) {
    fprintf(stderr, "command_spawn: cannot write the inputs in %s\n", dir);
    return 1;
  }
  char preload[4200], mib[64];
  snprintf(preload, sizeof preload, "%s", abs_ballast);
  snprintf(mib, sizeof mib, "%d", ballast_mib);
  char asan[4200];
  const char *asan0 = getenv("ASAN_OPTIONS");
  snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0",
           asan0 ? asan0 : "", asan0 && *asan0 ? ":" : "");

  /* Warm-up: the page cache, the model, parallel's perl modules. */
  if (run_sweep(parsweep, spec0, out) < 0 || bare_loop(abs_model, 20, 0) < 0 ||
      run_parallel(parallel, args0, abs_model) < 0)
    return 1;

  double ps[MAXREPS], bare[MAXREPS], piped[MAXREPS], par[MAXREPS], psb[MAXREPS],
      sp0[MAXREPS], sp1[MAXREPS], fk0[MAXREPS], fk1[MAXREPS];
  char s[9][32];
  printf("B3 command samples: parsweep fork -j 2 (%d samples of "
         "trivial_model) vs a bare posix_spawn+wait loop on 2 threads vs GNU "
         "parallel -j 2 (%d); worker RSS +%d MiB\n",
         n, par_n, ballast_mib);
  printf("%-4s %10s %10s %10s %10s %10s | %10s %10s %10s %10s\n", "rep",
         "parsweep", "bare", "pipe", "parallel", "ps+ballast", "spawn",
         "spawn+bal", "fork", "fork+bal");
  for (int r = 0; r < reps; r++) {
    double t0 = run_sweep(parsweep, spec0, out),
           t1 = run_sweep(parsweep, spec1, out);
    ps[r] = (t1 - t0) / (double)(n - 100);
    bare[r] = bare_loop(abs_model, n, 0);
    piped[r] = bare_loop(abs_model, n, 1);
    double p0 = run_parallel(parallel, args0, abs_model),
           p1 = run_parallel(parallel, args1, abs_model);
    par[r] = (p1 - p0) / (double)(par_n - 20);
    setenv("LD_PRELOAD", preload, 1);
    setenv("PSW_BENCH_BALLAST_MIB", mib, 1);
    setenv("ASAN_OPTIONS", asan, 1); /* a sanitized build: preload allowed */
    double b0 = run_sweep(parsweep, spec0, out),
           b1 = run_sweep(parsweep, spec1, out);
    unsetenv("LD_PRELOAD");
    unsetenv("PSW_BENCH_BALLAST_MIB");
    if (asan0)
      setenv("ASAN_OPTIONS", asan0, 1);
    else
      unsetenv("ASAN_OPTIONS");
    psb[r] = (b1 - b0) / (double)(n - 100);
    /* Contrast, from this process: posix_spawn and fork+exec with and
     * without the ballast (fewer samples: fork+exec of a big process is
     * slow). */
    int nc = n / 2;
    sp0[r] = bare_loop(abs_model, nc, 0);
    fk0[r] = bare_loop(abs_model, nc, 2);
    size_t len = (size_t)ballast_mib << 20;
    void *big = mmap(NULL, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED) {
      perror("command_spawn: mmap");
      return 1;
    }
    madvise(big, len, MADV_NOHUGEPAGE);
    memset(big, 1, len);
    sp1[r] = bare_loop(abs_model, nc, 0);
    fk1[r] = bare_loop(abs_model, nc, 2);
    munmap(big, len);
    if (t0 < 0 || t1 < 0 || b0 < 0 || b1 < 0 || bare[r] < 0 || piped[r] < 0 ||
        p0 < 0 || p1 < 0 || sp0[r] < 0 || sp1[r] < 0 || fk0[r] < 0 ||
        fk1[r] < 0) {
      fprintf(stderr, "command_spawn: a run failed\n");
      return 1;
    }
    printf("%-4d %10s %10s %10s %10s %10s | %10s %10s %10s %10s\n", r,
           bu_fmt_time(ps[r], s[0], 32), bu_fmt_time(bare[r], s[1], 32),
           bu_fmt_time(piped[r], s[2], 32), bu_fmt_time(par[r], s[3], 32),
           bu_fmt_time(psb[r], s[4], 32), bu_fmt_time(sp0[r], s[5], 32),
           bu_fmt_time(sp1[r], s[6], 32), bu_fmt_time(fk0[r], s[7], 32),
           bu_fmt_time(fk1[r], s[8], 32));
  }
  unlink(out);
  unlink(spec0);
  unlink(spec1);
  unlink(args0);
  unlink(args1);
  rmdir(dir);
  free(abs_model);
  free(abs_ballast);

  double mp = bu_median(ps, reps), mbare = bu_median(bare, reps),
         mpipe = bu_median(piped, reps), mpar = bu_median(par, reps),
         mpsb = bu_median(psb, reps), msp0 = bu_median(sp0, reps),
         msp1 = bu_median(sp1, reps), mfk0 = bu_median(fk0, reps),
         mfk1 = bu_median(fk1, reps);
  printf("\n%-44s %10s %10s %8s %s\n", "per sample, 2 at a time (median)",
         "time", "ratio", "target", "met");
  printf("%-44s %10s\n", "parsweep fork -j 2", bu_fmt_time(mp, s[0], 32));
  printf("%-44s %10s %9.2fx %8s %s\n",
         "bare posix_spawn+wait (stdout /dev/null)",
         bu_fmt_time(mbare, s[0], 32), mbare / mp, ">=0.8x",
         mbare / mp >= 0.8 ? "yes" : "NO");
  printf("%-44s %10s %9.2fx\n", "posix_spawn+wait, stdout read from a pipe",
         bu_fmt_time(mpipe, s[0], 32), mpipe / mp);
  printf("%-44s %10s %9.2fx %8s %s\n", "GNU parallel -j 2",
         bu_fmt_time(mpar, s[0], 32), mpar / mp, ">=5x",
         mpar / mp >= 5 ? "yes" : "NO");
  char what[96];
  snprintf(what, sizeof what, "parsweep, worker RSS +%d MiB (vs without)",
           ballast_mib);
  printf("%-44s %10s %9.2fx %8s %s\n", what, bu_fmt_time(mpsb, s[0], 32),
         mpsb / mp, "<=1.1x", mpsb / mp <= 1.1 ? "yes" : "NO");
  printf("%-44s %10s -> %s (%.2fx)\n", "  contrast: posix_spawn loop, +ballast",
         bu_fmt_time(msp0, s[0], 32), bu_fmt_time(msp1, s[1], 32), msp1 / msp0);
  printf("%-44s %10s -> %s (%.2fx)\n", "  contrast: fork+exec loop, +ballast",
         bu_fmt_time(mfk0, s[0], 32), bu_fmt_time(mfk1, s[1], 32), mfk1 / mfk0);
  bu_summary("B3", "command samples vs bare posix_spawn+wait loop", mbare / mp,
             ">=0.8x", mbare / mp >= 0.8);
  bu_summary("B3", "command samples vs GNU parallel -j 2", mpar / mp, ">=5x",
             mpar / mp >= 5);
  snprintf(what, sizeof what, "command samples, worker RSS +%d MiB / without",
           ballast_mib);
  bu_summary("B3", what, mpsb / mp, "<=1.1x", mpsb / mp <= 1.1);
  return 0;
}
