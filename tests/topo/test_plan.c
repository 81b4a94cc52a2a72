/* The plan behind `auto`: a table of topologies × requests × -j × builds
 * with the expected backend, worker counts and reason, then invariants over
 * every combination of a larger grid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parsweep.h"
#include "plan.h"
#include "topo.h"

#define ALL (PSW_PLAN_HAVE_MPI | PSW_PLAN_HAVE_HYBRID | PSW_PLAN_HAVE_ELASTIC)
#define NONE 0u
#define MPI PSW_PLAN_HAVE_MPI
#define HYB PSW_PLAN_HAVE_HYBRID
#define ELA PSW_PLAN_HAVE_ELASTIC

/* A described topology; `launcher` (when not NONE) replaces the source of
 * the job size, as a launcher would supply it. */
static int make(psw_topo_t *t, const char *desc, psw_topo_src_t launcher) {
  char err[256];
  int rc = psw__topo_synthetic(desc, 0, t, err, sizeof err);
  if (rc) {
    fprintf(stderr, "bad test topology '%s': %s\n", desc, err);
    return rc;
  }
  if (launcher != PSW_TOPO_SRC_NONE)
    for (int f = 0; f < PSW_TOPO_NFACTS; f++)
      t->src[f] = launcher;
  return 0;
}

#define LOCAL PSW_TOPO_SRC_LOCAL
#define SYN PSW_TOPO_SRC_NONE /* keep "synthetic" */
#define SLURM PSW_TOPO_SRC_SLURM
#define OMPI PSW_TOPO_SRC_OMPI
#define PMIX PSW_TOPO_SRC_PMIX

static const struct row {
  const char *desc;
  psw_topo_src_t src;
  const char *req;
  int jobs;
  unsigned have;
  /* expected */
  const char *backend;
  int available, per_rank, per_node, group, ignored, warn;
  const char *reason; /* a piece of it */
} rows[] = {
    /* --- auto without a launcher: fork over the CPUs, or -j ------------ */
    {"", LOCAL, NULL, -1, ALL, "fork", 1, 1, 1, 0, 0, 0,
     "no parallel launcher"},
    {"cpus_per_rank:8", LOCAL, NULL, -1, ALL, "fork", 1, 8, 8, 0, 0, 0,
     "one per CPU"},
    {"cpus_per_rank:8", LOCAL, "auto", 0, ALL, "fork", 1, 8, 8, 0, 0, 0,
     "a fork pool of 8 workers"},
    {"cpus_per_rank:8", LOCAL, "", 3, ALL, "fork", 1, 3, 3, 0, 0, 0, "(-j 3)"},
    {"cpus_per_rank:8", LOCAL, "AUTO", 20, NONE, "fork", 1, 20, 20, 0, 0, 0,
     "(-j 20)"},
    {"cpus_per_rank:8", SYN, NULL, -1, NONE, "fork", 1, 8, 8, 0, 0, 0,
     "topology from synthetic"},
    /* --- auto under a launcher, one CPU per rank: mpi ------------------- */
    {"nodes:2 ranks_per_node:4", SYN, NULL, -1, ALL, "mpi", 1, 1, 4, 0, 0, 0,
     "each rank has exactly 1 CPU; mpi: one worker per rank"},
    {"nodes:2 ranks_per_node:4", PMIX, NULL, 8, ALL, "mpi", 1, 1, 4, 0, 1, 0,
     "-j 8 does not apply"},
    {"", SLURM, NULL, -1, ALL, "mpi", 1, 1, 1, 0, 0, 0, "under Slurm, 1 rank"},
    {"", OMPI, NULL, -1, MPI, "mpi", 1, 1, 1, 0, 0, 0, "under Open MPI"},
    /* --- alone on a node with N CPUs: hybrid with a fork pool of N ------ */
    {"nodes:4 cpus_per_rank:8", PMIX, NULL, -1, ALL, "hybrid", 1, 8, 8, 0, 0, 0,
     "alone on its node; hybrid: MPI across nodes"},
    {"nodes:4 cpus_per_rank:8", PMIX, NULL, 4, ALL, "hybrid", 1, 4, 4, 0, 0, 0,
     "a fork pool of 4 workers (-j 4)"},
    {"nodes:4 cpus_per_rank:8", PMIX, NULL, 0, ALL, "hybrid", 1, 8, 8, 0, 0, 0,
     "under PMIx, 4 ranks on 4 nodes"},
    {"cpus_per_rank:16", SLURM, NULL, -1, ALL, "hybrid", 1, 16, 16, 0, 0, 0,
     "this rank has 16 CPUs"},
    /* --- several ranks on a node: they are its node-local group -------- */
    {"nodes:2 ranks_per_node:3 cpus_per_rank:4", SYN, NULL, -1, ALL, "hybrid",
     1, 1, 3, 1, 0, 0, "the 3 ranks on this node form its node-local group"},
    {"nodes:2 ranks_per_node:3 cpus_per_rank:4", OMPI, NULL, 0, ALL, "hybrid",
     1, 1, 3, 1, 0, 0, "node-local group"},
    /* -j N asks each of them for its own pool, as the backend does. */
    {"nodes:2 ranks_per_node:3 cpus_per_rank:4", OMPI, NULL, 2, ALL, "hybrid",
     1, 2, 6, 0, 0, 0,
     "-j 2 asks each of the 3 ranks on this node for a fork "
     "pool of 2 workers"},
    {"ranks:1,3 cpus_per_rank:2", SLURM, NULL, -1, ALL, "hybrid", 1, 2, 2, 0, 0,
     0, "alone on its node"}, /* rank 0 is alone on node 0 */
    /* --- the nearest backend this build has ----------------------------- */
    {"nodes:4 cpus_per_rank:8", PMIX, NULL, -1, MPI, "mpi", 1, 1, 1, 0, 0, 1,
     "hybrid is not built"},
    {"nodes:2 ranks_per_node:2", PMIX, NULL, -1, HYB, "hybrid", 1, 1, 2, 1, 0,
     1, "mpi is not built"},
    {"nodes:2 ranks_per_node:3 cpus_per_rank:4", PMIX, NULL, -1, NONE, "fork",
     1, 4, 12, 0, 0, 1, "built without MPI"},
    {"nodes:2 ranks_per_node:4", SLURM, NULL, -1, ELA, "fork", 1, 1, 4, 0, 0, 1,
     "every rank would run the whole sweep on its own"},
    {"cpus_per_rank:6", SLURM, NULL, 2, NONE, "fork", 1, 2, 2, 0, 0, 1,
     "fork on this node only, a fork pool of 2 workers"},
    /* --- named backends ------------------------------------------------- */
    {"cpus_per_rank:8", LOCAL, "serial", -1, ALL, "serial", 1, 1, 1, 0, 0, 0,
     "backend serial asked for"},
    {"cpus_per_rank:8", LOCAL, "SingleProcess", 4, NONE, "serial", 1, 1, 1, 0,
     1, 0, "-j 4 does not apply"},
    {"cpus_per_rank:8", LOCAL, "single", -1, NONE, "serial", 1, 1, 1, 0, 0, 0,
     "one worker"},
    {"cpus_per_rank:8", LOCAL, "threads", -1, NONE, "threads", 1, 8, 8, 0, 0, 0,
     "a thread pool of 8 workers"},
    {"cpus_per_rank:8", LOCAL, "ConcurrentFutures", 2, NONE, "threads", 1, 2, 2,
     0, 0, 0, "(-j 2)"},
    {"cpus_per_rank:8", LOCAL, "concurrent.futures", 0, NONE, "threads", 1, 8,
     8, 0, 0, 0, "one per CPU"},
    {"cpus_per_rank:8", LOCAL, "fork", 5, NONE, "fork", 1, 5, 5, 0, 0, 0,
     "backend fork asked for: a fork pool of 5"},
    {"cpus_per_rank:8", LOCAL, "multiprocessing", -1, NONE, "fork", 1, 8, 8, 0,
     0, 0, "fork"},
    {"nodes:3 ranks_per_node:2 cpus_per_rank:2", PMIX, "fork", -1, ALL, "fork",
     1, 2, 4, 0, 0, 1, "every rank would run the whole sweep on its own"},
    {"nodes:2", SLURM, "threads", 3, ALL, "threads", 1, 3, 3, 0, 0, 1,
     "under Slurm, 2 ranks on 2 nodes"},
    {"cpus_per_rank:8", LOCAL, "mpi", -1, NONE, "mpi", 0, 0, 0, 0, 0, 1,
     "not built into this library"},
    {"cpus_per_rank:8", LOCAL, "MPI", -1, MPI, "mpi", 1, 1, 1, 0, 0, 0,
     "one worker per rank"},
    {"nodes:2 ranks_per_node:2", PMIX, "hybrid", -1, ALL, "hybrid", 1, 1, 2, 1,
     0, 0, "node-local group"},
    {"nodes:2 ranks_per_node:2", PMIX, "hybrid", 3, ALL, "hybrid", 1, 3, 6, 0,
     0, 0, "(-j 3)"},
    {"cpus_per_rank:3", LOCAL, "HyBrId", -1, HYB, "hybrid", 1, 3, 3, 0, 0, 0,
     "a fork pool of 3"},
    {"cpus_per_rank:3", LOCAL, "hybrid", -1, MPI, "hybrid", 0, 0, 0, 0, 0, 1,
     "not built"},
    {"", LOCAL, "elastic", 3, NONE, "elastic", 0, 0, 0, 0, 0, 1, "not built"},
    {"", LOCAL, "Ray", 3, ELA, "elastic", 1, 3, 3, 0, 0, 0,
     "the head runs 3 local workers"},
    {"", LOCAL, "RayIo", -1, ELA, "elastic", 1, 0, 0, 0, 0, 0,
     "the head runs 0 local workers"},
    /* --- unknown names: serial, as the manager does ---------------------- */
    {"cpus_per_rank:8", LOCAL, "bogus", 4, ALL, "serial", 1, 1, 1, 0, 0, 1,
     "unknown parallel backend 'bogus', using serial; valid choices: serial"},
};

static int check_row(const struct row *r) {
  psw_topo_t t;
  CHECK_OK(make(&t, r->desc, r->src));
  psw_plan_t p;
  CHECK_OK(psw__plan(&t, r->req, r->jobs, r->have, &p));
  int bad = strcmp(p.backend, r->backend) || p.available != r->available ||
            p.workers_per_rank != r->per_rank ||
            p.workers_per_node != r->per_node || p.node_group != r->group ||
            p.jobs_ignored != r->ignored || p.warn != r->warn ||
            !strstr(p.reason, r->reason);
  if (bad) {
    fprintf(stderr,
            "row '%s' src %s req %s -j %d have %u:\n  got  %s avail %d "
            "rank %d node %d group %d ignored %d warn %d\n  want %s avail %d "
            "rank %d node %d group %d ignored %d warn %d\n  reason: %s\n  "
            "want in reason: %s\n",
            r->desc, psw__topo_src_name(t.src[0]), r->req ? r->req : "NULL",
            r->jobs, r->have, p.backend, p.available, p.workers_per_rank,
            p.workers_per_node, p.node_group, p.jobs_ignored, p.warn,
            r->backend, r->available, r->per_rank, r->per_node, r->group,
            r->ignored, r->warn, p.reason, r->reason);
    CHECK(!bad);
  }
  psw__topo_fini(&t);
  return 0;
}

/* Facts a launcher may leave unknown: Open MPI gives no node count or id. */
static int test_unknowns(void) {
  psw_topo_t t;
  psw__topo_init(&t);
  int cpus[2] = {0, 1};
  t.job_size = 4;
  t.rank = 1;
  t.src[PSW_TOPO_JOB_SIZE] = t.src[PSW_TOPO_RANK] = PSW_TOPO_SRC_OMPI;
  t.cpus = cpus;
  t.num_cpus = 2;
  psw_plan_t p;
  CHECK_OK(psw__plan(&t, NULL, -1, ALL, &p));
  CHECK(!strcmp(p.backend, "hybrid"));
  CHECK_EQ(p.workers_per_rank, 2);
  CHECK_EQ(p.workers_per_node, -1);
  CHECK(strstr(p.reason, "number of nodes unknown") != NULL);
  CHECK(strstr(p.reason, "assumed alone") != NULL);
  /* No CPU list at all counts as one CPU: mpi. */
  t.cpus = NULL;
  t.num_cpus = 0;
  CHECK_OK(psw__plan(&t, NULL, -1, ALL, &p));
  CHECK(!strcmp(p.backend, "mpi"));
  CHECK_EQ(psw__plan(NULL, NULL, -1, ALL, &p), PSW_ERR_INVAL);
  CHECK_EQ(psw__plan(&t, NULL, -1, ALL, NULL), PSW_ERR_INVAL);
  return 0;
}

/* Invariants over a grid of topologies × requests × -j × builds. */
static int test_invariants(void) {
  static const char *const descs[] = {
      "",
      "cpus_per_rank:2",
      "cpus_per_rank:64",
      "nodes:2",
      "nodes:2 cpus_per_rank:4",
      "nodes:3 ranks_per_node:2",
      "nodes:3 ranks_per_node:2 cpus_per_rank:8",
      "ranks:1,4,2 cpus_per_rank:3 rank:2",
      "ranks:1,4,2 dist:cyclic rank:6",
      "nodes:100 ranks_per_node:104 rank:5000",
      "nodes:100 ranks_per_node:1 cpus_per_rank:104 rank:99",
  };
  static const psw_topo_src_t srcs[] = {LOCAL, SYN, PMIX, SLURM, OMPI};
  static const char *const reqs[] = {
      NULL,     "auto",    "serial", "threads", "fork", "mpi",
      "hybrid", "elastic", "MPI",    "Ray",     "nope", "MultiProcessing",
  };
  static const int jobs[] = {-1, 0, 1, 3, 1000};
  long combos = 0;
  for (size_t d = 0; d < sizeof descs / sizeof descs[0]; d++)
    for (size_t s = 0; s < sizeof srcs / sizeof srcs[0]; s++) {
      psw_topo_t t;
      CHECK_OK(make(&t, descs[d], srcs[s]));
      for (size_t q = 0; q < sizeof reqs / sizeof reqs[0]; q++)
        for (size_t j = 0; j < sizeof jobs / sizeof jobs[0]; j++)
          for (unsigned have = 0; have <= ALL; have++) {
            psw_plan_t p;
            CHECK_OK(psw__plan(&t, reqs[q], jobs[j], have, &p));
            combos++;
            CHECK(psw__plan_native_name(p.backend) != NULL);
            CHECK(strcmp(p.backend, "auto") != 0);
            CHECK(p.reason[0] && !strchr(p.reason, '\n'));
            CHECK(strlen(p.reason) < sizeof p.reason - 1); /* not cut */
            /* SPEC §5: without MPI, several ranks never each run a
             * single-node sweep; the refusal is exactly that case. */
            int single = !strcmp(p.backend, "serial") ||
                         !strcmp(p.backend, "threads") ||
                         !strcmp(p.backend, "fork");
            CHECK_EQ(p.refuse, !(have & MPI) && t.job_size > 1 && single);
            if (p.refuse)
              CHECK(p.warn);
            if (!p.available) {
              CHECK(p.warn);
              CHECK_EQ(p.workers_per_rank, 0);
              continue;
            }
            if (strcmp(p.backend, "elastic"))
              CHECK(p.workers_per_rank >= 1);
            if (p.node_group) {
              CHECK(!strcmp(p.backend, "hybrid"));
              CHECK(t.local_size > 1);
              CHECK_EQ(p.workers_per_rank, 1);
            }
            if (p.jobs_ignored)
              CHECK(jobs[j] > 0);
            int pool = !strcmp(p.backend, "fork") ||
                       !strcmp(p.backend, "threads") ||
                       (!strcmp(p.backend, "hybrid") && !p.node_group);
            if (pool)
              CHECK_EQ(p.workers_per_rank, jobs[j] > 0 ? jobs[j] : t.num_cpus);
            if (!strcmp(p.backend, "mpi") || !strcmp(p.backend, "serial"))
              CHECK_EQ(p.workers_per_rank, 1);
            CHECK_EQ(p.workers_per_node, p.workers_per_rank * t.local_size);
            /* auto never picks what this build lacks, and only picks
             * distributed backends under a launcher. */
            if (!reqs[q] || !strcmp(reqs[q], "auto")) {
              int dist =
                  !strcmp(p.backend, "mpi") || !strcmp(p.backend, "hybrid");
              CHECK(!dist || psw__topo_launched(&t));
              CHECK(psw__topo_launched(&t) || !strcmp(p.backend, "fork"));
              if (!strcmp(p.backend, "mpi"))
                CHECK(have & MPI);
              if (!strcmp(p.backend, "hybrid"))
                CHECK(have & HYB);
            }
          }
      psw__topo_fini(&t);
    }
  CHECK(combos > 10000);
  return 0;
}

/* SPEC §1's names agree with the factory for every backend this build has,
 * and psw__plan uses this build's backends. */
static int test_names_and_build(void) {
  static const char *const names[] = {"serial",
                                      "single",
                                      "SingleProcess",
                                      "threads",
                                      "ConcurrentFutures",
                                      "concurrent.futures",
                                      "fork",
                                      "MultiProcessing",
                                      "mpi",
                                      "MPI",
                                      "hybrid",
                                      "elastic",
                                      "RayIo",
                                      "Ray",
                                      "FORK",
                                      "singleprocess"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const char *native = psw__plan_native_name(names[i]);
    CHECK(native != NULL);
    const psw_backend_t *be = psw_backend_lookup(names[i]);
    if (be)
      CHECK(native && !strcmp(native, psw_backend_desc_name(be)));
  }
  CHECK(psw__plan_native_name("auto") &&
        !strcmp(psw__plan_native_name("Auto"), "auto"));
  CHECK(psw__plan_native_name("nope") == NULL);
  CHECK(psw__plan_native_name(NULL) == NULL);

  unsigned have = psw__registry_have();
  CHECK_EQ(!!(have & MPI), psw_backend_lookup("mpi") != NULL);
  CHECK_EQ(!!(have & HYB), psw_backend_lookup("hybrid") != NULL);
  psw_topo_t t;
  CHECK_OK(make(&t, "nodes:2 ranks_per_node:2", PMIX));
  psw_plan_t a, b;
  CHECK_OK(psw__plan(&t, NULL, -1, psw__registry_have(), &a));
  CHECK_OK(psw__plan(&t, NULL, -1, have, &b));
  CHECK(!memcmp(&a, &b, sizeof a));
  psw__topo_fini(&t);
  return 0;
}

int main(void) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    check_row(&rows[i]);
  test_unknowns();
  test_invariants();
  test_names_and_build();
  if (check_failures())
    fprintf(stderr, "test_plan: %d failure(s)\n", check_failures());
  return check_failures() ? 1 : 0;
}
