/* An MPI hello for the test cluster: each rank prints its host, rank 0
 * gathers the host names and checks the world: size, distinct nodes, and an
 * allreduce across the nodes (so messages really cross them).
 *
 *   srun -N 2 -n 4 --mpi=pmix mpi_hello [EXPECTED_SIZE EXPECTED_NODES]
 *
 * Each rank prints "rank R/S on HOST local L/LS" (LS: ranks sharing its
 * node as MPI sees it). Rank 0 prints "world size=S nodes=N sum=X" and exits 1 when the
 * expectations given do not hold. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
  int rank, size, len, nodes = 0, ok = 1, lrank, lsize;
  long sum = 0, mine;
  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  char *all = NULL;
  MPI_Comm node;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(name, &len);
  /* The ranks sharing memory with this one: the node as the MPI library
   * sees it (from PMIx locality). */
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL,
                      &node);
  MPI_Comm_rank(node, &lrank);
  MPI_Comm_size(node, &lsize);
  MPI_Comm_free(&node);
  printf("rank %d/%d on %s local %d/%d\n", rank, size, name, lrank, lsize);
  fflush(stdout);

  mine = rank + 1;
  MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0)
    all = calloc((size_t)size, MPI_MAX_PROCESSOR_NAME);
  MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all,
             MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    for (int i = 0; i < size; i++) {
      int seen = 0;
      for (int j = 0; j < i && !seen; j++)
        seen = !strcmp(all + (size_t)i * MPI_MAX_PROCESSOR_NAME,
                       all + (size_t)j * MPI_MAX_PROCESSOR_NAME);
      nodes += !seen;
    }
    printf("world size=%d nodes=%d sum=%ld\n", size, nodes, sum);
    if (sum != (long)size * (size + 1) / 2)
      ok = 0;
    if (argc > 1 && atoi(argv[1]) != size)
      ok = 0;
    if (argc > 2 && atoi(argv[2]) != nodes)
      ok = 0;
    if (!ok)
      printf("mpi_hello: FAILED (expected size=%s nodes=%s)\n",
             argc > 1 ? argv[1] : "-", argc > 2 ? argv[2] : "-");
    free(all);
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return ok ? 0 : 1;
}
