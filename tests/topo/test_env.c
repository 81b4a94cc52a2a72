/* Discovery from the environment: Open MPI and Slurm variables set here,
 * the local machine when there are none, how sources that describe another
 * job are ignored, and the list parsers. PMIx is kept out by clearing every
 * PMIX_* variable (discovery only asks PMIx when a server is advertised). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "parsweep.h"
#include "topo.h"

extern char **environ;

/* Remove every variable a launcher could have left, so that the test sees
 * only what it sets, also when ctest itself runs under srun or mpirun. */
static void clear_env(void) {
  static const char *const prefixes[] = {"PMIX_", "OMPI_", "SLURM_",
                                         "PARSWEEP_TOPOLOGY", "PARSWEEP_PMIX"};
  for (int again = 1; again;) {
    again = 0;
    for (char **e = environ; *e && !again; e++)
      for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(*e, prefixes[i], strlen(prefixes[i]))) {
          char name[256];
          size_t n = strcspn(*e, "=");
          snprintf(name, sizeof name, "%.*s", (int)n, *e);
          unsetenv(name);
          again = 1; /* environ changed under us */
          break;
        }
  }
}

static void setenvs(const char *const *kv) {
  for (; kv[0]; kv += 2)
    setenv(kv[0], kv[1], 1);
}

static int discover(psw_topo_t *t) {
  char err[256];
  int rc = psw__topo_discover(t, err, sizeof err);
  if (rc)
    fprintf(stderr, "discover: %s\n", err);
  return rc;
}

/* Host name and CPUs always come from this machine outside a synthetic
 * topology (PMIx is not asked here). */
static int check_local_process_facts(const psw_topo_t *t) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  CHECK(!strcmp(t->hostname, host));
  CHECK_EQ(t->src[PSW_TOPO_HOSTNAME], PSW_TOPO_SRC_LOCAL);
  CHECK_EQ(t->src[PSW_TOPO_CPUS], PSW_TOPO_SRC_LOCAL);
  cpu_set_t set;
  CHECK_OK(sched_getaffinity(0, sizeof set, &set));
  CHECK_EQ(t->num_cpus, CPU_COUNT(&set));
  for (int i = 0; i < t->num_cpus; i++)
    CHECK(CPU_ISSET(t->cpus[i], &set));
  for (int i = 1; i < t->num_cpus; i++)
    CHECK(t->cpus[i - 1] < t->cpus[i]);
  return 0;
}

static void check_sources(const psw_topo_t *t, const psw_topo_src_t want[7]) {
  for (int f = PSW_TOPO_JOB_SIZE; f <= PSW_TOPO_LOCAL_PEERS; f++)
    if (t->src[f] != want[f]) {
      fprintf(stderr, "fact %s: source %s, want %s\n", psw__topo_fact_name(f),
              psw__topo_src_name(t->src[f]), psw__topo_src_name(want[f]));
      CHECK(t->src[f] == want[f]);
    }
}

#define L PSW_TOPO_SRC_LOCAL
#define O PSW_TOPO_SRC_OMPI
#define S PSW_TOPO_SRC_SLURM
#define U PSW_TOPO_SRC_NONE

static int test_local(void) {
  clear_env();
  psw_topo_t t;
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 1);
  CHECK_EQ(t.rank, 0);
  CHECK_EQ(t.num_nodes, 1);
  CHECK_EQ(t.node_id, 0);
  CHECK_EQ(t.local_rank, 0);
  CHECK_EQ(t.local_size, 1);
  CHECK(t.num_local_peers == 1 && t.local_peers[0] == 0);
  check_sources(&t, (psw_topo_src_t[]){L, L, L, L, L, L, L});
  check_local_process_facts(&t);
  CHECK(!psw__topo_launched(&t));
  psw__topo_fini(&t);
  CHECK_EQ(psw__topo_discover(NULL, NULL, 0), PSW_ERR_INVAL);
  return 0;
}

static int test_ompi(void) {
  clear_env();
  setenvs((const char *[]){"OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_RANK",
                           "2", "OMPI_COMM_WORLD_LOCAL_RANK", "0",
                           "OMPI_COMM_WORLD_LOCAL_SIZE", "2", NULL});
  psw_topo_t t;
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 4);
  CHECK_EQ(t.rank, 2);
  CHECK_EQ(t.local_rank, 0);
  CHECK_EQ(t.local_size, 2);
  /* Open MPI's environment names no node count, id or peers: unknown. */
  CHECK_EQ(t.num_nodes, -1);
  CHECK_EQ(t.node_id, -1);
  CHECK(t.local_peers == NULL);
  check_sources(&t, (psw_topo_src_t[]){O, O, U, U, O, O, U});
  check_local_process_facts(&t);
  CHECK(psw__topo_launched(&t));
  psw__topo_fini(&t);

  /* Every rank on this node: one node, and the peers are all ranks. */
  setenvs((const char *[]){"OMPI_COMM_WORLD_SIZE", "3", "OMPI_COMM_WORLD_RANK",
                           "1", "OMPI_COMM_WORLD_LOCAL_RANK", "1",
                           "OMPI_COMM_WORLD_LOCAL_SIZE", "3", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.num_nodes, 1);
  CHECK_EQ(t.node_id, 0);
  CHECK(t.num_local_peers == 3 && t.local_peers[0] == 0 &&
        t.local_peers[2] == 2);
  check_sources(&t, (psw_topo_src_t[]){O, O, O, O, O, O, O});
  psw__topo_fini(&t);

  /* Alone on its node: the peers are itself. */
  setenvs((const char *[]){"OMPI_COMM_WORLD_LOCAL_RANK", "0",
                           "OMPI_COMM_WORLD_LOCAL_SIZE", "1", NULL});
  CHECK_OK(discover(&t));
  CHECK(t.num_local_peers == 1 && t.local_peers[0] == 1);
  CHECK_EQ(t.num_nodes, -1);
  psw__topo_fini(&t);

  /* Malformed or inconsistent: ignored, the local machine answers. */
  static const char *const bad[][4] = {
      {"OMPI_COMM_WORLD_SIZE", "abc", "OMPI_COMM_WORLD_RANK", "0"},
      {"OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK", "2"},
      {"OMPI_COMM_WORLD_SIZE", "0", "OMPI_COMM_WORLD_RANK", "0"},
      {"OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_RANK", "-1"},
      {"OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_RANK", ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    clear_env();
    setenvs((const char *[]){bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL});
    CHECK_OK(discover(&t));
    CHECK_EQ(t.job_size, 1);
    CHECK_EQ(t.src[PSW_TOPO_JOB_SIZE], L);
    psw__topo_fini(&t);
  }
  /* A local size that cannot be is dropped, the rest is kept. */
  clear_env();
  setenvs((const char *[]){"OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK",
                           "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "5",
                           "OMPI_COMM_WORLD_LOCAL_RANK", "x", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 2);
  CHECK_EQ(t.local_size, -1);
  CHECK_EQ(t.local_rank, -1);
  psw__topo_fini(&t);
  return 0;
}

static int test_slurm(void) {
  psw_topo_t t;
  /* srun -n 6 -N 3 with 3,2,1 tasks: rank 5 is alone on node 2. */
  clear_env();
  setenvs((const char *[]){"SLURM_STEP_ID", "0", "SLURM_STEP_NUM_TASKS", "6",
                           "SLURM_PROCID", "5", "SLURM_STEP_NUM_NODES", "3",
                           "SLURM_NODEID", "2", "SLURM_LOCALID", "0",
                           "SLURM_STEP_TASKS_PER_NODE", "3,2,1",
                           /* the allocation, bigger than the step */
                           "SLURM_NTASKS", "64", "SLURM_NNODES", "8",
                           "SLURM_TASKS_PER_NODE", "8(x8)", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 6);
  CHECK_EQ(t.rank, 5);
  CHECK_EQ(t.num_nodes, 3);
  CHECK_EQ(t.node_id, 2);
  CHECK_EQ(t.local_rank, 0);
  CHECK_EQ(t.local_size, 1);
  CHECK(t.num_local_peers == 1 && t.local_peers[0] == 5);
  check_sources(&t, (psw_topo_src_t[]){S, S, S, S, S, S, S});
  check_local_process_facts(&t);
  psw__topo_fini(&t);

  /* Rank 1 on node 0 of "2(x3),1"; the peers from SLURM_GTIDS win over
   * the counts: under -m cyclic a node holds ranks 1 and 3. */
  clear_env();
  setenvs((const char *[]){
      "SLURM_STEPID", "3", "SLURM_NTASKS", "7", "SLURM_PROCID", "3",
      "SLURM_NNODES", "4", "SLURM_NODEID", "1", "SLURM_LOCALID", "1",
      "SLURM_TASKS_PER_NODE", "2(x3),1", "SLURM_GTIDS", "1,3", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 7);
  CHECK_EQ(t.num_nodes, 4);
  CHECK_EQ(t.local_size, 2);
  CHECK(t.num_local_peers == 2 && t.local_peers[0] == 1 &&
        t.local_peers[1] == 3);
  CHECK_EQ(t.local_rank, 1);
  psw__topo_fini(&t);

  /* Without GTIDS the counts give the local size; node 3 of "2(x3),1". */
  unsetenv("SLURM_GTIDS");
  setenvs((const char *[]){"SLURM_PROCID", "6", "SLURM_NODEID", "3",
                           "SLURM_LOCALID", "0", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.local_size, 1);
  CHECK(t.num_local_peers == 1 && t.local_peers[0] == 6);
  psw__topo_fini(&t);
  setenvs((const char *[]){"SLURM_PROCID", "2", "SLURM_NODEID", "1", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.local_size, 2);
  CHECK(t.local_peers == NULL); /* the distribution is not known */
  CHECK_EQ(t.src[PSW_TOPO_LOCAL_PEERS], U);
  psw__topo_fini(&t);

  /* SLURM_NPROCS, the oldest name, is enough for the size. */
  clear_env();
  setenvs((const char *[]){"SLURM_STEP_ID", "0", "SLURM_NPROCS", "2",
                           "SLURM_PROCID", "1", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 2);
  CHECK_EQ(t.rank, 1);
  CHECK_EQ(t.num_nodes, -1);
  check_sources(&t, (psw_topo_src_t[]){S, S, U, U, U, U, U});
  psw__topo_fini(&t);

  /* The batch script of an allocation is one process, not a job step. */
  clear_env();
  setenvs((const char *[]){"SLURM_JOB_ID", "42", "SLURM_NTASKS", "8",
                           "SLURM_NNODES", "2", "SLURM_PROCID", "0",
                           "SLURM_NODEID", "0", "SLURM_LOCALID", "0", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 1);
  CHECK_EQ(t.src[PSW_TOPO_JOB_SIZE], L);
  psw__topo_fini(&t);

  /* Malformed values are dropped one by one. */
  clear_env();
  setenvs((const char *[]){
      "SLURM_STEP_ID", "0", "SLURM_STEP_NUM_TASKS", "4", "SLURM_PROCID", "2",
      "SLURM_STEP_NUM_NODES", "9", "SLURM_NODEID", "zz", "SLURM_LOCALID", "0",
      "SLURM_STEP_TASKS_PER_NODE", "2(x2", "SLURM_GTIDS", "0,7", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 4);
  CHECK_EQ(t.num_nodes, -1); /* more nodes than tasks */
  CHECK_EQ(t.node_id, -1);
  CHECK_EQ(t.local_size, -1);
  CHECK(t.local_peers == NULL); /* 7 is not a rank, and 2 is missing */
  CHECK_EQ(t.local_rank, 0);
  psw__topo_fini(&t);
  return 0;
}

/* mpirun inside a Slurm allocation: the ranks inherit SLURM_* of another
 * job; Open MPI's variables are about this one. */
static int test_mixed(void) {
  psw_topo_t t;
  clear_env();
  setenvs((const char *[]){
      "OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_RANK", "3",
      "OMPI_COMM_WORLD_LOCAL_RANK", "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "2",
      "SLURM_STEP_ID", "0", "SLURM_STEP_NUM_TASKS", "2", "SLURM_PROCID", "1",
      "SLURM_STEP_NUM_NODES", "2", "SLURM_NODEID", "1", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.job_size, 4);
  CHECK_EQ(t.rank, 3);
  CHECK_EQ(t.num_nodes, -1); /* Slurm's 2 nodes belong to another job */
  CHECK_EQ(t.node_id, -1);
  check_sources(&t, (psw_topo_src_t[]){O, O, U, U, O, O, U});
  psw__topo_fini(&t);

  /* When both describe the same job, each fills what the other lacks. */
  setenvs((const char *[]){"SLURM_STEP_NUM_TASKS", "4", "SLURM_PROCID", "3",
                           "SLURM_GTIDS", "2,3", NULL});
  CHECK_OK(discover(&t));
  CHECK_EQ(t.num_nodes, 2);
  CHECK_EQ(t.node_id, 1);
  CHECK(t.num_local_peers == 2 && t.local_peers[1] == 3);
  check_sources(&t, (psw_topo_src_t[]){O, O, S, S, O, O, S});
  psw__topo_fini(&t);

  /* A PMIx namespace without a server address is not a server: PMIx is not
   * initialised (it would poison MPI_Init) and the environment answers. */
  setenv("PMIX_NAMESPACE", "bogus", 1);
  setenv("PMIX_RANK", "3", 1);
  CHECK_OK(discover(&t));
  CHECK_EQ(t.src[PSW_TOPO_JOB_SIZE], O);
  psw__topo_fini(&t);
  /* PARSWEEP_PMIX=0 keeps PMIx out even with a server advertised. */
  setenv("PMIX_SERVER_URI4", "nowhere", 1);
  setenv("PARSWEEP_PMIX", "0", 1);
  CHECK_OK(discover(&t));
  CHECK_EQ(t.src[PSW_TOPO_JOB_SIZE], O);
  psw__topo_fini(&t);
  clear_env();
  return 0;
}

static int test_tasks_per_node(void) {
  int n = -1;
  CHECK_EQ(psw__slurm_tasks_on_node("2(x3),1", 0, &n), 2);
  CHECK_EQ(n, 4);
  CHECK_EQ(psw__slurm_tasks_on_node("2(x3),1", 2, NULL), 2);
  CHECK_EQ(psw__slurm_tasks_on_node("2(x3),1", 3, NULL), 1);
  CHECK_EQ(psw__slurm_tasks_on_node("2(x3),1", 4, NULL), -1);
  CHECK_EQ(psw__slurm_tasks_on_node("4", 0, &n), 4);
  CHECK_EQ(n, 1);
  CHECK_EQ(psw__slurm_tasks_on_node("1,5(x2),3", 2, &n), 5);
  CHECK_EQ(n, 4);
  CHECK_EQ(psw__slurm_tasks_on_node("1(x100)", 99, &n), 1);
  CHECK_EQ(n, 100);
  static const char *const bad[] = {"",     "2(x)",   "2(3)",  "2(x3",  "a",
                                    "2,,1", "2(x3)1", "-1",    "2(x0)", "2,",
                                    "(x2)", "2(y2)",  "2(x2))"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int got = psw__slurm_tasks_on_node(bad[i], 0, NULL);
    if (got != -1)
      fprintf(stderr, "tasks per node '%s' gave %d\n", bad[i], got);
    CHECK_EQ(got, -1);
  }
  CHECK_EQ(psw__slurm_tasks_on_node(NULL, 0, NULL), -1);
  CHECK_EQ(psw__slurm_tasks_on_node("2", -1, NULL), -1);
  return 0;
}

static int list_is(const char *s, const int *want, int nwant) {
  int *v = NULL, n = 0;
  int rc = psw__topo_parse_cpulist(s, &v, &n);
  int ok = rc == 0 && n == nwant && !memcmp(v, want, (size_t)n * sizeof *v);
  if (!ok)
    fprintf(stderr, "cpulist '%s': rc %d, %d values\n", s, rc, n);
  free(v);
  return ok;
}

static int test_lists(void) {
  CHECK(list_is("0-3,8", (int[]){0, 1, 2, 3, 8}, 5));
  CHECK(list_is("5", (int[]){5}, 1));
  CHECK(list_is("hwloc:0-1", (int[]){0, 1}, 2));
  CHECK(list_is("3,1,1,2-3", (int[]){1, 2, 3}, 3));
  CHECK(list_is("0x3", (int[]){0, 1}, 2));
  CHECK(list_is("0x00000001,0x00000003", (int[]){0, 1, 32}, 3));
  CHECK(list_is("hwloc:0xf0", (int[]){4, 5, 6, 7}, 4));
  static const char *const bad[] = {"",     "3-1",  "a",         "0-",
                                    "1,,2", "0xzz", "0x",        "0x1ffffffff",
                                    "-1",   "1 2",  "0-99999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int *v = NULL, n = 0;
    int rc = psw__topo_parse_cpulist(bad[i], &v, &n);
    if (rc != PSW_ERR_PARSE)
      fprintf(stderr, "cpulist '%s' gave %d\n", bad[i], rc);
    CHECK_EQ(rc, PSW_ERR_PARSE);
    CHECK(v == NULL);
  }

  char buf[64];
  CHECK(
      !strcmp(psw__topo_format_list((int[]){0, 1, 2, 3, 8}, 5, buf, sizeof buf),
              "0-3,8"));
  CHECK(!strcmp(psw__topo_format_list((int[]){1, 3, 4}, 3, buf, sizeof buf),
                "1,3-4"));
  CHECK(!strcmp(psw__topo_format_list(NULL, 0, buf, sizeof buf), ""));
  int many[100];
  for (int i = 0; i < 100; i++)
    many[i] = 3 * i;
  char small[16];
  psw__topo_format_list(many, 100, small, sizeof small);
  CHECK(strlen(small) < sizeof small);
  CHECK(strstr(small, "...") != NULL);
  CHECK(!strncmp(small, "0,3,6", 5));
  return 0;
}

int main(void) {
  test_local();
  test_ompi();
  test_slurm();
  test_mixed();
  test_tasks_per_node();
  test_lists();
  if (check_failures())
    fprintf(stderr, "test_env: %d failure(s)\n", check_failures());
  return check_failures() ? 1 : 0;
}
