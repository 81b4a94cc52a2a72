/* PMIx discovery must not break MPI in the same process (run under mpirun):
 * discover (PMIx_Init, kept until exit) → a forked child that discovers and
 * exit()s (its atexit must not finalise the parent's PMIx connection) →
 * MPI_Init → MPI_Allreduce → MPI_Finalize → exit (our PMIx_Finalize runs
 * last). Open MPI 4.1 with PMIx 4.2 fails MPI_Init if PMIx was finalised
 * before it, and reports an abnormal termination if PMIx is never
 * finalised; this test fails in both cases. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "topo.h"

int main(int argc, char **argv) {
  psw_topo_t t;
  char err[256];
  if (psw__topo_discover(&t, err, sizeof err)) {
    fprintf(stderr, "discover: %s\n", err);
    return 1;
  }
  check_set_rank(t.rank);
  CHECK_EQ(t.src[PSW_TOPO_JOB_SIZE], PSW_TOPO_SRC_PMIX);
  CHECK_EQ(t.src[PSW_TOPO_LOCAL_SIZE], PSW_TOPO_SRC_PMIX);

  pid_t pid = fork();
  if (pid == 0) {
    /* A copy of the process: PMIx is not used here, the environment is. */
    psw_topo_t c;
    int bad = psw__topo_discover(&c, err, sizeof err) ||
              c.src[PSW_TOPO_JOB_SIZE] == PSW_TOPO_SRC_PMIX ||
              c.job_size != t.job_size || c.rank != t.rank;
    psw__topo_fini(&c);
    exit(bad); /* runs atexit handlers, on purpose */
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  CHECK_EQ(t.job_size, size);
  CHECK_EQ(t.rank, rank);
  long mine = rank + 1, sum = 0;
  MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  CHECK_EQ(sum, (long)size * (size + 1) / 2);
  /* Discovery again, after MPI_Init: same answers, no second PMIx_Init. */
  psw_topo_t again;
  CHECK_OK(psw__topo_discover(&again, err, sizeof err));
  CHECK_EQ(again.job_size, size);
  CHECK_EQ(again.src[PSW_TOPO_JOB_SIZE], PSW_TOPO_SRC_PMIX);
  psw__topo_fini(&again);
  int failures = check_failures(), any = 0;
  MPI_Allreduce(&failures, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  psw__topo_fini(&t);
  if (rank == 0)
    printf("test_mpi_after_discover: %d ranks, %s\n", size,
           any ? "FAILED" : "ok");
  return any ? 1 : 0;
}
