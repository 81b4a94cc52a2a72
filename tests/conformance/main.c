/* parsweep conformance suite: one battery for every backend.
 *
 *   conformance BACKEND [WORKERS [CASE]]
 *   conformance --list
 *
 * BACKEND is any name the factory accepts; WORKERS is opts.num_workers (0 or
 * absent: the default); CASE runs one case only (ctest runs each in a
 * process of its own: conformance.<configuration>.<case>). --list prints
 * the case names, one a line, in cases.def's order. Exit status 0 when every
 * case run passed, 1 when one failed, 2 on a usage error (an unknown case).
 *
 * Nothing here assumes a single process: under a launcher (mpi, hybrid)
 * every rank runs main and psw_parallel; the checks that need memory shared
 * by all workers (a MAP_SHARED mapping made before the manager) run only on
 * the backends whose workers all descend from this process (serial, threads,
 * fork). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "conformance.h"

/* check.h's counters, one for the whole program (CHECK_SHARED_COUNTERS). */
_Thread_local int check__failures;
_Thread_local int check__rank = -1;

typedef struct test_case {
  const char *name;
  psw_region_fn fn;
  int expect;              /* psw_parallel's expected return */
  const char *alone_after; /* cases run first when this one runs alone */
} test_case_t;

static const test_case_t CASES[] = {
#define CONFORMANCE_CASE(name, fn, expect, alone_after)                        \
  {#name, fn, expect, alone_after},
#include "cases.def"
#undef CONFORMANCE_CASE
};
#define NCASES (sizeof CASES / sizeof CASES[0])

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const test_case_t *find_case(const char *name, size_t len) {
  for (size_t i = 0; i < NCASES; i++)
    if (strlen(CASES[i].name) == len && !strncmp(CASES[i].name, name, len))
      return &CASES[i];
  return NULL;
}

/* One region; prints its line. Returns 1 when it failed. */
static int run_case(suite_t *s, const test_case_t *c, const char *note) {
  memset(s->shm, 0, SHM_INTS * sizeof(int));
  fflush(stdout); /* fork workers must not inherit unwritten output */
  fflush(stderr);
  double t0 = now();
  int rc = psw_parallel(s->mgr, c->fn, s);
  double dt = now() - t0;
  int ok = rc == c->expect;
  printf("%-4s %-18s %7.3f s%s", ok ? "ok" : "FAIL", c->name, dt, note);
  if (!ok) {
    if (rc > 0)
      printf("  (%d failed checks)", rc);
    else
      printf("  (psw_parallel returned %d %s, expected %d %s)", rc,
             psw_err_name(rc), c->expect, psw_err_name(c->expect));
  }
  printf("\n");
  return !ok;
}

/* The cases named in c->alone_after (space-separated), then c. */
static int run_alone(suite_t *s, const test_case_t *c) {
  int failed = 0;
  for (const char *p = c->alone_after; *p;) {
    size_t len = strcspn(p, " ");
    const test_case_t *before = len ? find_case(p, len) : NULL;
    if (len && !before) {
      fprintf(stderr,
              "conformance: cases.def: case '%s' runs after '%.*s', "
              "which is no case\n",
              c->name, (int)len, p);
      failed++;
    } else if (before) {
      failed += run_case(s, before, "  (run first)");
    }
    p += len + (p[len] == ' ');
  }
  return failed + run_case(s, c, "");
}

static void usage(FILE *f, const char *prog) {
  fprintf(f,
          "usage: %s BACKEND [WORKERS [CASE]]\n       %s --list\ncases:", prog,
          prog);
  for (size_t i = 0; i < NCASES; i++)
    fprintf(f, " %s", CASES[i].name);
  fprintf(f, "\n");
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--list")) {
    for (size_t i = 0; i < NCASES; i++)
      printf("%s\n", CASES[i].name);
    return 0;
  }
  if (argc < 2 || argc > 4 || argv[1][0] == '-') {
    usage(stderr, argv[0]);
    return 2;
  }
  const char *name = argv[1];
  int workers = argc > 2 ? atoi(argv[2]) : 0;
  const test_case_t *only = NULL;
  if (argc > 3 && !(only = find_case(argv[3], strlen(argv[3])))) {
    fprintf(stderr, "conformance: no case named '%s'\n", argv[3]);
    usage(stderr, argv[0]);
    return 2;
  }

  /* Before the manager: a pool that forks at creation still shares it. */
  int *shm = mmap(NULL, SHM_INTS * sizeof(int), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) {
    perror("mmap");
    return 1;
  }

  psw_opts_t opts;
  psw_opts_init(&opts);
  opts.num_workers = workers;
  psw_manager_t *mgr = NULL;
  int rc = psw_create_parallel_manager(&mgr, name, &opts);
  if (rc != 0) {
    fprintf(stderr, "conformance: creating backend '%s': %s\n", name,
            psw_strerror(rc));
    return 1;
  }
  const psw_backend_t *desc = psw_backend_lookup(name);
  suite_t s = {mgr, psw_backend_name(mgr), 0, 0, shm};
  int failed = 0;
  if (!desc || strcmp(psw_backend_desc_name(desc), s.backend) != 0) {
    fprintf(stderr, "conformance: '%s' gave backend '%s', lookup says '%s'\n",
            name, s.backend, desc ? psw_backend_desc_name(desc) : "(none)");
    failed++;
  }
  s.shared = is_single_node_backend(s.backend);
  if (!strcmp(s.backend, "threads") || !strcmp(s.backend, "fork"))
    s.workers = workers;
  else if (!strcmp(s.backend, "serial"))
    s.workers = 1;
  if (s.workers > 0 && psw_num_workers(mgr) != s.workers) {
    fprintf(stderr, "conformance: psw_num_workers = %d, expected %d\n",
            psw_num_workers(mgr), s.workers);
    failed++;
  }
  printf("conformance: backend %s, %d workers\n", s.backend,
         psw_num_workers(mgr));

  /* The summary counts the cases asked for (one, or all). */
  double t_all = now();
  size_t ran = only ? 1 : NCASES;
  if (only)
    failed += run_alone(&s, only);
  else
    for (size_t i = 0; i < NCASES; i++)
      failed += run_case(&s, &CASES[i], "");
  printf("conformance %s: %s, %zu case(s), %.3f s\n", s.backend,
         failed ? "FAILED" : "passed", ran, now() - t_all);
  psw_destroy_parallel_manager(mgr);
  munmap(shm, SHM_INTS * sizeof(int));
  return failed ? 1 : 0;
}
