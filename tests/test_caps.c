/* The public API the sweep and the CLI use instead of the library's
 * internals (issue 17, acceptance 1), through the shared library as any
 * program sees it: each backend's capabilities against SPEC §1's
 * description of it, the backend listing against the lookup, the plan's
 * descriptor, and the elastic and process helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "parsweep.h"

/* SPEC §1, written out independently of the registry: what each backend
 * does. */
static const struct {
  const char *name;
  unsigned caps;
} expected[] = {
    {"serial", PSW_CAP_ROOT_EVALUATES},
    {"threads", PSW_CAP_ROOT_EVALUATES},
    {"fork", PSW_CAP_ROOT_EVALUATES},
    {"mpi", PSW_CAP_ROOT_EVALUATES | PSW_CAP_MULTI_NODE | PSW_CAP_NODE_WRITERS},
    {"hybrid",
     PSW_CAP_ROOT_EVALUATES | PSW_CAP_MULTI_NODE | PSW_CAP_NODE_WRITERS},
    {"elastic", PSW_CAP_DYNAMIC_MEMBERS | PSW_CAP_MULTI_NODE},
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

static void listing(void) {
  CHECK_EQ(psw_backend_count(), NEXPECTED);
  CHECK(psw_backend_info(psw_backend_count()) == NULL);
  for (size_t i = 0; i < NEXPECTED; i++) {
    const psw_backend_info_t *b = psw_backend_info(i);
    CHECK(b != NULL);
    if (!b)
      continue;
    CHECK(strcmp(b->name, expected[i].name) == 0);
    CHECK_EQ(b->caps, expected[i].caps);
    CHECK(psw_backend_lookup(b->name) == b->desc);
    for (const char *const *a = b->aliases; *a; a++)
      CHECK(psw_backend_lookup(*a) == b->desc);
    if (b->desc) {
      CHECK_EQ(psw_backend_caps(b->desc), expected[i].caps);
      CHECK(strcmp(psw_backend_desc_name(b->desc), b->name) == 0);
    }
  }
  /* The descriptors the library always has. */
  CHECK(psw_backend_info(0)->desc == psw_backend_serial());
  CHECK(psw_backend_info(2)->desc == psw_backend_fork());
  CHECK(psw_backend_info(3)->desc == psw_backend_mpi());
  CHECK(psw_backend_info(5)->desc == psw_backend_elastic());
  CHECK_EQ(psw_backend_caps(NULL), 0);
  CHECK_EQ(psw_manager_caps(NULL), 0);
}

static void manager(void) {
  psw_opts_t o;
  psw_opts_init(&o);
  o.num_workers = 2;
  psw_manager_t *m = NULL;
  CHECK_EQ(psw_create_parallel_manager(&m, "threads", &o), 0);
  CHECK_EQ(psw_manager_caps(m), PSW_CAP_ROOT_EVALUATES);
  /* elastic-only calls refuse another backend (a library without elastic
   * every manager). */
  int refused = psw_backend_elastic() ? PSW_ERR_INVAL : PSW_ERR_UNAVAILABLE;
  CHECK_EQ(psw_elastic_worker_id(m), refused);
  const void *data = NULL;
  size_t len = 0;
  CHECK_EQ(psw_elastic_info(m, &data, &len), refused);
  psw_destroy_parallel_manager(m);
  CHECK(psw_available_cpus() >= 1);
}

static void plan(void) {
  psw_topo_t t;
  char err[256];
  CHECK_EQ(psw_topo_describe("nodes:1 ranks_per_node:1 cpus_per_rank:3", 0, &t,
                             err, sizeof err),
           0);
  CHECK_EQ(t.job_size, 1);
  CHECK(t.src[PSW_TOPO_JOB_SIZE] == PSW_TOPO_SRC_SYNTHETIC);
  CHECK(strcmp(psw_topo_source_name(t.src[PSW_TOPO_CPUS]), "synthetic") == 0);
  CHECK(strcmp(psw_topo_fact_name(PSW_TOPO_JOB_SIZE), "job_size") == 0);
  char list[64];
  CHECK(strcmp(psw_topo_format_list(t.cpus, t.num_cpus, list, sizeof list),
               "0-2") == 0);
  psw_plan_t p;
  /* No launcher: auto is a fork pool of every CPU, its descriptor given. */
  CHECK_EQ(psw_plan(&t, PSW_BACKEND_AUTO, -1, &p), 0);
  CHECK(strcmp(p.backend, "fork") == 0);
  CHECK(p.desc == psw_backend_fork());
  CHECK_EQ(p.workers_per_rank, 3);
  CHECK_EQ(psw_plan(&t, "MultiProcessing", 2, &p), 0);
  CHECK(p.desc == psw_backend_fork());
  CHECK_EQ(p.workers_per_rank, 2);
  /* A backend not built: no descriptor (NULL where built without). */
  CHECK_EQ(psw_plan(&t, "mpi", -1, &p), 0);
  CHECK(p.desc == psw_backend_mpi());
  CHECK_EQ(p.available, psw_backend_mpi() != NULL);
  psw_topo_fini(&t);
  CHECK_EQ(psw_topo_describe("nodes:x", 0, &t, err, sizeof err), PSW_ERR_PARSE);
  CHECK(strstr(err, "nodes") != NULL);
  psw_topo_fini(&t);
  CHECK_EQ(psw_plan(NULL, NULL, -1, &p), PSW_ERR_INVAL);
}

static void elastic_ended(void) {
  char path[] = "/tmp/psw_test_caps_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0)
    return;
  CHECK(write(fd, "tcp://127.0.0.1:1\n", 18) == 18);
  CHECK_EQ(psw_elastic_endpoint_ended(path), 0);
  CHECK(write(fd, "ended: yes\n", 11) == 11);
  close(fd);
  CHECK_EQ(psw_elastic_endpoint_ended(path), 1);
  unlink(path);
  CHECK_EQ(psw_elastic_endpoint_ended(path), 0);
  CHECK_EQ(psw_elastic_endpoint_ended(NULL), 0);
  /* Outside a pool's child: no-ops. */
  psw_worker_track_pgid(getpid());
  psw_worker_untrack_pgid(getpid());
  psw_set_peer_lost_fd(-1);
}

int main(void) {
  listing();
  manager();
  plan();
  elastic_ended();
  if (check_failures())
    return 1;
  printf("ok\n");
  return 0;
}
