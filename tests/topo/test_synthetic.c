/* Synthetic topologies: every key, both distributions, uneven nodes, every
 * rank of a description against an independent placement, and malformed
 * descriptions whose errors name the bad token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parsweep.h"
#include "topo.h"

static void check_all_synthetic(const psw_topo_t *t) {
  for (int f = 0; f < PSW_TOPO_NFACTS; f++)
    CHECK_EQ(t->src[f], PSW_TOPO_SRC_SYNTHETIC);
}

static int test_example(void) {
  psw_topo_t t;
  char err[256];
  CHECK_OK(psw__topo_synthetic("nodes:2 ranks_per_node:3 cpus_per_rank:4 "
                               "rank:4",
                               0, &t, err, sizeof err));
  CHECK_EQ(t.job_size, 6);
  CHECK_EQ(t.rank, 4);
  CHECK_EQ(t.num_nodes, 2);
  CHECK_EQ(t.node_id, 1);
  CHECK_EQ(t.local_rank, 1);
  CHECK_EQ(t.local_size, 3);
  CHECK_EQ(t.num_local_peers, 3);
  for (int i = 0; i < 3; i++)
    CHECK_EQ(t.local_peers[i], 3 + i);
  CHECK_EQ(t.num_cpus, 4);
  for (int i = 0; i < 4; i++)
    CHECK_EQ(t.cpus[i], 4 + i);
  CHECK(!strcmp(t.hostname, "node1"));
  check_all_synthetic(&t);
  psw__topo_fini(&t);
  CHECK(t.cpus == NULL && t.local_peers == NULL && t.job_size == -1);
  return 0;
}

static int test_defaults(void) {
  psw_topo_t t;
  char err[256];
  /* The empty description is one process on one node with one CPU. */
  CHECK_OK(psw__topo_synthetic("", 0, &t, err, sizeof err));
  CHECK_EQ(t.job_size, 1);
  CHECK_EQ(t.num_nodes, 1);
  CHECK_EQ(t.local_size, 1);
  CHECK_EQ(t.num_cpus, 1);
  CHECK_EQ(t.cpus[0], 0);
  CHECK(!strcmp(t.hostname, "node0"));
  psw__topo_fini(&t);
  /* The rank argument applies when the description has no rank:, and
   * blanks of any kind separate tokens. */
  CHECK_OK(psw__topo_synthetic("\tnodes:3  ranks_per_node:2\n", 5, &t, err,
                               sizeof err));
  CHECK_EQ(t.rank, 5);
  CHECK_EQ(t.node_id, 2);
  CHECK_EQ(t.local_rank, 1);
  psw__topo_fini(&t);
  CHECK_OK(psw__topo_synthetic("nodes:3 ranks_per_node:2 rank:0", 5, &t, err,
                               sizeof err));
  CHECK_EQ(t.rank, 0);
  psw__topo_fini(&t);
  return 0;
}

static int test_hostnames(void) {
  static const struct {
    const char *desc, *want;
  } cases[] = {
      {"nodes:12 rank:11 hostnames:n%03d", "n011"},
      {"nodes:12 rank:11 hostnames:%d.cluster", "11.cluster"},
      {"nodes:12 rank:11 hostnames:c%-3d|", "c11 |"},
      {"nodes:2 rank:1 hostnames:100%%-n%d", "100%-n1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    psw_topo_t t;
    char err[256];
    CHECK_OK(psw__topo_synthetic(cases[i].desc, 0, &t, err, sizeof err));
    if (strcmp(t.hostname, cases[i].want))
      fprintf(stderr, "%s: got '%s'\n", cases[i].desc, t.hostname);
    CHECK(!strcmp(t.hostname, cases[i].want));
    psw__topo_fini(&t);
  }
  return 0;
}

/* Placement computed the obvious way, to compare every rank against. */
static void reference(const int *counts, int nodes, int cyclic, int *node_of,
                      int *lrank_of) {
  int *used = calloc((size_t)nodes, sizeof *used);
  int r = 0;
  if (!cyclic) {
    for (int i = 0; i < nodes; i++)
      for (int j = 0; j < counts[i]; j++, r++)
        node_of[r] = i, lrank_of[r] = j;
  } else {
    for (int round = 0, placed = 1; placed; round++) {
      placed = 0;
      for (int i = 0; i < nodes; i++)
        if (used[i] < counts[i]) {
          node_of[r] = i;
          lrank_of[r++] = used[i]++;
          placed = 1;
        }
    }
  }
  free(used);
}

static int check_every_rank(const char *desc, const int *counts, int nodes,
                            int cyclic, int cpr) {
  int total = 0;
  for (int i = 0; i < nodes; i++)
    total += counts[i];
  int *node_of = malloc((size_t)total * sizeof *node_of);
  int *lrank_of = malloc((size_t)total * sizeof *lrank_of);
  reference(counts, nodes, cyclic, node_of, lrank_of);
  for (int r = 0; r < total; r++) {
    psw_topo_t t;
    char err[256];
    CHECK_OK(psw__topo_synthetic(desc, r, &t, err, sizeof err));
    CHECK_EQ(t.job_size, total);
    CHECK_EQ(t.num_nodes, nodes);
    CHECK_EQ(t.node_id, node_of[r]);
    CHECK_EQ(t.local_rank, lrank_of[r]);
    CHECK_EQ(t.local_size, counts[node_of[r]]);
    CHECK_EQ(t.num_local_peers, t.local_size);
    /* The peers are exactly the ranks the reference put on this node, in
     * ascending order, and this rank is at its local rank among them. */
    int k = 0;
    for (int q = 0; q < total; q++)
      if (node_of[q] == node_of[r]) {
        CHECK(k < t.num_local_peers && t.local_peers[k] == q);
        k++;
      }
    CHECK_EQ(t.local_peers[t.local_rank], r);
    CHECK_EQ(t.num_cpus, cpr);
    CHECK_EQ(t.cpus[0], lrank_of[r] * cpr);
    psw__topo_fini(&t);
  }
  free(node_of);
  free(lrank_of);
  return 0;
}

static int test_placements(void) {
  int even[4] = {3, 3, 3, 3};
  CHECK_OK(check_every_rank("nodes:4 ranks_per_node:3", even, 4, 0, 1));
  CHECK_OK(
      check_every_rank("nodes:4 ranks_per_node:3 dist:cyclic", even, 4, 1, 1));
  CHECK_OK(check_every_rank("nodes:4 ranks_per_node:3 dist:block "
                            "cpus_per_rank:5",
                            even, 4, 0, 5));
  int uneven[5] = {2, 1, 4, 1, 3};
  CHECK_OK(check_every_rank("ranks:2,1,4,1,3", uneven, 5, 0, 1));
  CHECK_OK(check_every_rank("ranks:2,1,4,1,3 dist:cyclic cpus_per_rank:2",
                            uneven, 5, 1, 2));
  CHECK_OK(
      check_every_rank("nodes:5 ranks:2,1,4,1,3 dist:cyclic", uneven, 5, 1, 1));
  /* Slurm's example: srun -n 5 -N 2 -m cyclic gives node 0 ranks 0,2,4. */
  int two[2] = {3, 2};
  CHECK_OK(check_every_rank("ranks:3,2 dist:cyclic", two, 2, 1, 1));
  psw_topo_t t;
  char err[256];
  CHECK_OK(psw__topo_synthetic("ranks:3,2 dist:cyclic rank:4", 0, &t, err,
                               sizeof err));
  CHECK_EQ(t.node_id, 0);
  CHECK_EQ(t.local_rank, 2);
  CHECK_EQ(t.num_local_peers, 3);
  CHECK(t.local_peers[0] == 0 && t.local_peers[1] == 2 &&
        t.local_peers[2] == 4);
  psw__topo_fini(&t);
  return 0;
}

/* The seed's scale and the limits. */
static int test_large(void) {
  psw_topo_t t;
  char err[256];
  CHECK_OK(psw__topo_synthetic("nodes:100 ranks_per_node:104 rank:10399", 0, &t,
                               err, sizeof err));
  CHECK_EQ(t.job_size, 10400);
  CHECK_EQ(t.node_id, 99);
  CHECK_EQ(t.local_rank, 103);
  psw__topo_fini(&t);
  CHECK_OK(psw__topo_synthetic("nodes:1024 ranks_per_node:1024 dist:cyclic "
                               "rank:1048575",
                               0, &t, err, sizeof err));
  CHECK_EQ(t.node_id, 1023);
  CHECK_EQ(t.local_rank, 1023);
  psw__topo_fini(&t);
  CHECK_OK(psw__topo_synthetic("ranks_per_node:256 cpus_per_rank:4096", 0, &t,
                               err, sizeof err));
  CHECK_EQ(t.num_cpus, 4096);
  psw__topo_fini(&t);
  return 0;
}

static int test_bad(void) {
  /* Each malformed description and a piece its message must contain: the
   * bad token, so that a user sees what to fix. */
  static const struct {
    const char *desc, *want;
  } cases[] = {
      {"nodes:0", "'nodes:0'"},
      {"nodes:-1", "'nodes:-1'"},
      {"nodes:two", "'nodes:two'"},
      {"nodes:", "'nodes:'"},
      {"nodes:2x", "'nodes:2x'"},
      {"nodes:99999999999999999999", "'nodes:99999999999999999999'"},
      {"nodes:2 nodes:3", "'nodes:3': key given twice"},
      {"cores:4", "'cores:4': unknown key"},
      {"nodes", "'nodes': expected KEY:VALUE"},
      {":3", "unknown key"},
      {"ranks_per_node:0", "'ranks_per_node:0'"},
      {"cpus_per_rank:0", "'cpus_per_rank:0'"},
      {"cpus_per_rank:4097", "'cpus_per_rank:4097'"},
      {"rank:-1", "'rank:-1'"},
      {"nodes:2 rank:2", "'rank:2': only 2 ranks"},
      {"ranks:2,1 rank:3", "'rank:3'"},
      {"ranks:2,,1", "'ranks:2,,1'"},
      {"ranks:2,0", "'ranks:2,0'"},
      {"ranks:", "'ranks:'"},
      {"ranks:2,1,", "'ranks:2,1,'"},
      {"ranks:2,1 ranks_per_node:2", "'ranks_per_node:2'"},
      {"nodes:3 ranks:2,1", "'nodes:3': ranks: lists 2 nodes"},
      {"dist:random", "'dist:random'"},
      {"hostnames:node", "'hostnames:node'"},
      {"hostnames:n%s", "'hostnames:n%s'"},
      {"hostnames:n%d%d", "'hostnames:n%d%d'"},
      {"hostnames:n%123d", "'hostnames:n%123d'"},
      {"hostnames:%", "'hostnames:%'"},
      {"nodes:2048 ranks_per_node:1024", "more than 2^20 ranks"},
      {"ranks_per_node:1024 cpus_per_rank:2048", "more than 2^20 CPUs"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    psw_topo_t t;
    char err[256] = "";
    int rc = psw__topo_synthetic(cases[i].desc, 0, &t, err, sizeof err);
    if (rc != PSW_ERR_PARSE || !strstr(err, cases[i].want))
      fprintf(stderr, "desc '%s': rc %d, message '%s', want '%s'\n",
              cases[i].desc, rc, err, cases[i].want);
    CHECK_EQ(rc, PSW_ERR_PARSE);
    CHECK(strstr(err, cases[i].want) != NULL);
    CHECK(!strncmp(err, "synthetic topology: ", 20));
    /* On error nothing is left to free and every fact is unknown. */
    CHECK(t.cpus == NULL && t.local_peers == NULL && t.job_size == -1);
  }
  psw_topo_t t;
  CHECK_EQ(psw__topo_synthetic(NULL, 0, &t, NULL, 0), PSW_ERR_INVAL);
  CHECK_EQ(psw__topo_synthetic("", -1, &t, NULL, 0), PSW_ERR_INVAL);
  CHECK_EQ(psw__topo_synthetic("", 0, NULL, NULL, 0), PSW_ERR_INVAL);
  /* A tiny error buffer is truncated, never overrun. */
  char small[8];
  CHECK_EQ(psw__topo_synthetic("nodes:0", 0, &t, small, sizeof small),
           PSW_ERR_PARSE);
  CHECK_EQ(strlen(small), sizeof small - 1);
  return 0;
}

/* PARSWEEP_TOPOLOGY drives discovery. */
static int test_discover_env(void) {
  psw_topo_t t;
  char err[256];
  setenv("PARSWEEP_TOPOLOGY",
         "nodes:3 ranks_per_node:2 cpus_per_rank:3 "
         "rank:3 hostnames:h%d",
         1);
  CHECK_OK(psw__topo_discover(&t, err, sizeof err));
  CHECK_EQ(t.job_size, 6);
  CHECK_EQ(t.node_id, 1);
  CHECK_EQ(t.local_rank, 1);
  CHECK_EQ(t.cpus[0], 3);
  CHECK(!strcmp(t.hostname, "h1"));
  check_all_synthetic(&t);
  psw__topo_fini(&t);
  setenv("PARSWEEP_TOPOLOGY", "nodes:2 ranks_per_node:2", 1);
  CHECK_OK(psw__topo_discover(&t, err, sizeof err));
  CHECK_EQ(t.rank, 0); /* no rank: → 0 */
  psw__topo_fini(&t);
  setenv("PARSWEEP_TOPOLOGY", "nodes:2 bogus:1", 1);
  CHECK_EQ(psw__topo_discover(&t, err, sizeof err), PSW_ERR_PARSE);
  CHECK(strstr(err, "PARSWEEP_TOPOLOGY") && strstr(err, "'bogus:1'"));
  psw__topo_fini(&t);
  unsetenv("PARSWEEP_TOPOLOGY");
  return 0;
}

int main(void) {
  test_example();
  test_defaults();
  test_hostnames();
  test_placements();
  test_large();
  test_bad();
  test_discover_env();
  if (check_failures())
    fprintf(stderr, "test_synthetic: %d failure(s)\n", check_failures());
  return check_failures() ? 1 : 0;
}
