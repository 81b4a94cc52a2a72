/* The factory: every name and alias of SPEC §1, case-insensitively; by
 * descriptor; "auto" without a launcher; an unknown name (serial plus one
 * warning that names the choices); backends not built in; options. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <parsweep.h>

#include "check.h"

/* --- a log handler that keeps what it is given ------------------------- */

static int n_msgs[PSW_LOG_TRACE + 1];
static char last_warn[4096];

static void capture(psw_log_level_t level, const char *msg, void *ud) {
  (void)ud;
  if ((unsigned)level <= PSW_LOG_TRACE)
    n_msgs[level]++;
  if (level == PSW_LOG_WARN)
    snprintf(last_warn, sizeof last_warn, "%s", msg);
}

static void reset_log(void) {
  memset(n_msgs, 0, sizeof n_msgs);
  last_warn[0] = 0;
}

/* --- names --------------------------------------------------------------- */

typedef struct name_case {
  const char *name;
  const char *native;
} name_case_t;

static const name_case_t BUILT[] = {
    {"serial", "serial"},
    {"single", "serial"},
    {"SingleProcess", "serial"},
    {"SERIAL", "serial"},
    {"singleprocess", "serial"},
    {"Single", "serial"},
    {"threads", "threads"},
    {"ConcurrentFutures", "threads"},
    {"concurrent.futures", "threads"},
    {"THREADS", "threads"},
    {"concurrentfutures", "threads"},
    {"Concurrent.Futures", "threads"},
    {"fork", "fork"},
    {"MultiProcessing", "fork"},
    {"MULTIPROCESSING", "fork"},
    {"multiprocessing", "fork"},
    {"Fork", "fork"},
};

/* SPEC §1 names of backends that may not be built into this library. */
static const name_case_t OPTIONAL[] = {
    {"mpi", "mpi"},       {"MPI", "mpi"},         {"hybrid", "hybrid"},
    {"HYBRID", "hybrid"}, {"elastic", "elastic"}, {"RayIo", "elastic"},
    {"Ray", "elastic"},   {"rayio", "elastic"},
};

static void check_name(const char *name, const char *native) {
  reset_log();
  psw_manager_t *mgr = NULL;
  int rc = psw_create_parallel_manager(&mgr, name, NULL);
  if (rc != 0) {
    fprintf(stderr, "'%s': psw_create_parallel_manager returned %d (%s)\n",
            name, rc, psw_err_name(rc));
    CHECK(!"known name creates its backend");
    return;
  }
  if (strcmp(psw_backend_name(mgr), native) != 0) {
    fprintf(stderr, "'%s' gave backend '%s', expected '%s'\n", name,
            psw_backend_name(mgr), native);
    CHECK(!"name gives its backend");
  }
  CHECK_EQ(n_msgs[PSW_LOG_WARN], 0);
  CHECK_EQ(n_msgs[PSW_LOG_ERROR], 0);
  const psw_backend_t *d = psw_backend_lookup(name);
  CHECK(d != NULL);
  if (d)
    CHECK(strcmp(psw_backend_desc_name(d), native) == 0);
  psw_destroy_parallel_manager(mgr);
}

static void check_optional(const char *name, const char *native) {
  reset_log();
  psw_manager_t *mgr = NULL;
  const psw_backend_t *d = psw_backend_lookup(name);
  if (d) { /* built in: it must be that backend (not created: needs MPI) */
    CHECK(strcmp(psw_backend_desc_name(d), native) == 0);
    printf("  %s: built in\n", name);
    return;
  }
  int rc = psw_create_parallel_manager(&mgr, name, NULL);
  if (rc != PSW_ERR_UNAVAILABLE) {
    fprintf(stderr,
            "'%s' (not built) gave %d (%s), backend %s; expected "
            "PSW_ERR_UNAVAILABLE\n",
            name, rc, psw_err_name(rc), rc == 0 ? psw_backend_name(mgr) : "-");
    CHECK(!"known backend not built in gives PSW_ERR_UNAVAILABLE");
  }
  if (rc == 0)
    psw_destroy_parallel_manager(mgr);
}

/* Remove every variable a launcher could have set, so "auto" sees none. */
static void unset_launcher_env(void) {
  static const char *prefixes[] = {"SLURM_", "OMPI_",  "PMIX_",  "PMI_",
                                   "MPI_",   "HYDRA_", "I_MPI_", "MV2_",
                                   "FLUX_",  "PALS_",  "ALPS_"};
  extern char **environ;
  int again = 1;
  while (again) {
    again = 0;
    for (char **e = environ; e && *e; e++) {
      for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++)
        if (!strncmp(*e, prefixes[p], strlen(prefixes[p]))) {
          char name[256];
          size_t n = strcspn(*e, "=");
          if (n >= sizeof name)
            n = sizeof name - 1;
          memcpy(name, *e, n);
          name[n] = 0;
          unsetenv(name);
          again = 1;
          break;
        }
      if (again)
        break;
    }
  }
}

static int cpus_available(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return -1;
  return CPU_COUNT(&set);
}

static int workers_of(const char *backend, int num_workers, int *rc_out) {
  psw_opts_t o;
  psw_opts_init(&o);
  o.num_workers = num_workers;
  psw_manager_t *mgr = NULL;
  int rc = psw_create_parallel_manager(&mgr, backend, &o);
  if (rc_out)
    *rc_out = rc;
  if (rc != 0)
    return rc;
  int n = psw_num_workers(mgr);
  psw_destroy_parallel_manager(mgr);
  return n;
}

int main(void) {
  unset_launcher_env();
  psw_log_set_handler(capture, NULL);
  psw_log_set_level(PSW_LOG_TRACE);

  /* Every name and alias, any case. */
  for (size_t i = 0; i < sizeof BUILT / sizeof BUILT[0]; i++)
    check_name(BUILT[i].name, BUILT[i].native);
  for (size_t i = 0; i < sizeof OPTIONAL / sizeof OPTIONAL[0]; i++)
    check_optional(OPTIONAL[i].name, OPTIONAL[i].native);

  /* The list of valid names has every name of SPEC §1 (built or not). */
  const char *valid = psw_backend_valid_names();
  CHECK(valid != NULL);
  if (valid) {
    static const char *must[] = {"serial",
                                 "single",
                                 "SingleProcess",
                                 "threads",
                                 "ConcurrentFutures",
                                 "concurrent.futures",
                                 "fork",
                                 "MultiProcessing",
                                 "auto"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
      if (!strstr(valid, must[i])) {
        fprintf(stderr, "psw_backend_valid_names() lacks '%s': %s\n", must[i],
                valid);
        CHECK(!"valid names complete");
      }
  }

  /* By descriptor. */
  struct {
    const psw_backend_t *(*desc)(void);
    const char *native;
  } descs[] = {{psw_backend_serial, "serial"},
               {psw_backend_threads, "threads"},
               {psw_backend_fork, "fork"}};
  for (int i = 0; i < 3; i++) {
    const psw_backend_t *d = descs[i].desc();
    CHECK(d != NULL);
    if (!d)
      continue;
    CHECK(strcmp(psw_backend_desc_name(d), descs[i].native) == 0);
    CHECK(psw_backend_lookup(descs[i].native) == d);
    psw_manager_t *mgr = NULL;
    int rc = psw_create_parallel_manager_with(&mgr, d, NULL);
    CHECK_EQ(rc, 0);
    if (rc == 0) {
      CHECK(strcmp(psw_backend_name(mgr), descs[i].native) == 0);
      psw_destroy_parallel_manager(mgr);
    }
  }

  /* auto, NULL and "" without a launcher: fork, no warning. */
  const char *autos[] = {NULL, "", "auto", "AUTO", "Auto"};
  for (int i = 0; i < 5; i++) {
    reset_log();
    psw_manager_t *mgr = NULL;
    int rc = psw_create_parallel_manager(&mgr, autos[i], NULL);
    CHECK_EQ(rc, 0);
    if (rc != 0)
      continue;
    if (strcmp(psw_backend_name(mgr), "fork") != 0) {
      fprintf(stderr, "'%s' without a launcher gave '%s', expected fork\n",
              autos[i] ? autos[i] : "(null)", psw_backend_name(mgr));
      CHECK(!"auto gives fork");
    }
    CHECK_EQ(n_msgs[PSW_LOG_WARN], 0);
    psw_destroy_parallel_manager(mgr);
  }
  const psw_backend_t *a = psw_backend_lookup("auto");
  CHECK(a != NULL && strcmp(psw_backend_desc_name(a), "fork") == 0);

  /* Unknown name: serial, exactly one warning naming the choices. */
  const char *unknown[] = {"nosuchbackend", "forks", "thread pool", "mpich",
                           "MultiProcess"};
  for (int i = 0; i < 5; i++) {
    reset_log();
    psw_manager_t *mgr = NULL;
    int rc = psw_create_parallel_manager(&mgr, unknown[i], NULL);
    CHECK_EQ(rc, 0);
    if (rc != 0)
      continue;
    CHECK(strcmp(psw_backend_name(mgr), "serial") == 0);
    CHECK_EQ(psw_num_workers(mgr), 1);
    if (n_msgs[PSW_LOG_WARN] != 1) {
      fprintf(stderr, "unknown '%s': %d warnings, expected exactly one\n",
              unknown[i], n_msgs[PSW_LOG_WARN]);
      CHECK(!"exactly one warning");
    }
    CHECK_EQ(n_msgs[PSW_LOG_ERROR], 0);
    if (!strstr(last_warn, "MultiProcessing") || !strstr(last_warn, "fork") ||
        !strstr(last_warn, "ConcurrentFutures") ||
        !strstr(last_warn, "serial") || !strstr(last_warn, unknown[i])) {
      fprintf(stderr,
              "the warning does not name the choices and the name "
              "given: \"%s\"\n",
              last_warn);
      CHECK(!"warning names the valid choices");
    }
    CHECK(psw_backend_lookup(unknown[i]) == NULL);
    psw_destroy_parallel_manager(mgr);
  }
  printf("unknown-name warning: \"%s\"\n", last_warn);
  /* At the default level the warning is still emitted. */
  psw_log_set_level(PSW_LOG_WARN);
  reset_log();
  {
    psw_manager_t *mgr = NULL;
    CHECK_EQ(psw_create_parallel_manager(&mgr, "bogus", NULL), 0);
    CHECK_EQ(n_msgs[PSW_LOG_WARN], 1);
    psw_destroy_parallel_manager(mgr);
  }
  psw_log_set_level(PSW_LOG_TRACE);

  /* Argument errors. */
  CHECK_EQ(psw_create_parallel_manager(NULL, "serial", NULL), PSW_ERR_INVAL);
  {
    psw_manager_t *mgr = NULL;
    CHECK_EQ(psw_create_parallel_manager_with(&mgr, NULL, NULL), PSW_ERR_INVAL);
    CHECK_EQ(psw_create_parallel_manager_with(NULL, psw_backend_fork(), NULL),
             PSW_ERR_INVAL);
    psw_opts_t o;
    psw_opts_init(&o);
    o.num_workers = -1;
    CHECK_EQ(psw_create_parallel_manager(&mgr, "threads", &o), PSW_ERR_INVAL);
    CHECK_EQ(psw_create_parallel_manager(&mgr, "fork", &o), PSW_ERR_INVAL);
    CHECK_EQ(psw_parallel(NULL, NULL, NULL), PSW_ERR_INVAL);
    CHECK(psw_backend_lookup(NULL) == NULL ||
          strcmp(psw_backend_desc_name(psw_backend_lookup(NULL)), "fork") == 0);
  }
  psw_destroy_parallel_manager(NULL);

  /* Options: defaults; num_workers respected; 0 = CPUs we may run on. */
  psw_opts_t o;
  memset(&o, 0x7f, sizeof o);
  psw_opts_init(&o);
  CHECK_EQ(o.num_workers, 0);
  CHECK(o.shm_slot_bytes == 0 || o.shm_slot_bytes == 128 * 1024);
  CHECK(o.abort_grace_s == 0.0 || o.abort_grace_s == 10.0);

  int cpus = cpus_available();
  CHECK(cpus >= 1);
  const char *pools[] = {"threads", "fork"};
  for (int p = 0; p < 2; p++) {
    CHECK_EQ(workers_of(pools[p], 0, NULL), cpus);
    CHECK_EQ(workers_of(pools[p], 1, NULL), 1);
    CHECK_EQ(workers_of(pools[p], 3, NULL), 3);
    CHECK_EQ(workers_of(pools[p], 13, NULL), 13);
  }
  CHECK_EQ(workers_of("serial", 0, NULL), 1);
  CHECK_EQ(workers_of("serial", 5, NULL), 1);

  /* With the affinity cut to one CPU, 0 means one worker. */
  cpu_set_t saved, one;
  if (sched_getaffinity(0, sizeof saved, &saved) == 0) {
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &saved))
      first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) {
      CHECK_EQ(workers_of("threads", 0, NULL), 1);
      CHECK_EQ(workers_of("fork", 0, NULL), 1);
      sched_setaffinity(0, sizeof saved, &saved);
    }
  }

  /* num_workers is what the regions get. */
  {
    psw_opts_t ow;
    psw_opts_init(&ow);
    ow.num_workers = 2;
    psw_manager_t *mgr = NULL;
    CHECK_EQ(psw_create_parallel_manager(&mgr, "ConcurrentFutures", &ow), 0);
    if (mgr) {
      CHECK_EQ(psw_num_workers(mgr), 2);
      psw_destroy_parallel_manager(mgr);
    }
  }

  psw_log_set_handler(NULL, NULL);
  printf("test_factory: %s\n", check_failures() ? "FAILED" : "passed");
  return check_failures() ? 1 : 0;
}
