/* parsweep benchmark B4, the baseline — Open MPI's own collectives on this
 * machine:
 *
 *   mpirun --allow-run-as-root --oversubscribe -n 2 \
 *       build/bench/mpi_collectives [--reps 1] [--smoke]
 *
 * MPI_Barrier, and MPI_Bcast (MPI_BYTE), MPI_Reduce (MPI_DOUBLE, MPI_SUM)
 * and MPI_Gather (MPI_BYTE) at 8 B, 1 KiB, 64 KiB and 1 MiB per rank, each
 * in a loop of many operations (collectives_common.h) between two barriers,
 * timed on rank 0. Rank 0 prints one line per loop:
 *   MPI REP OP BYTES SECONDS_PER_OP
 * which shm_collectives reads (it starts this program once per repetition,
 * interleaved with its own loops). Plain MPI: nothing of parsweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "collectives_common.h"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int me, size, reps = 1, smoke = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke"))
      smoke = 1;
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = atoi(argv[++i]);
    else {
      if (me == 0)
        fprintf(stderr, "usage: mpi_collectives [--reps R] [--smoke]\n");
      MPI_Finalize();
      return 2;
    }
  }
  size_t maxb = sizes[NSIZES - 1];
  char *send = calloc(maxb, 1);
  char *recv = calloc(maxb * (size_t)size, 1);
  if (!send || !recv)
    MPI_Abort(MPI_COMM_WORLD, 1);
  for (int r = 0; r < reps; r++) {
    for (int op = 0; op < NOPS; op++) {
      for (int s = 0; s < NSIZES; s++) {
        size_t b = sizes[s];
        if (op == OP_BARRIER && s > 0)
          break;
        long it = loop_iters(b, smoke);
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (long k = 0; k < it; k++) {
          switch (op) {
          case OP_BARRIER:
            MPI_Barrier(MPI_COMM_WORLD);
            break;
          case OP_BCAST:
            MPI_Bcast(send, (int)b, MPI_BYTE, 0, MPI_COMM_WORLD);
            break;
          case OP_REDUCE:
            MPI_Reduce(send, recv, (int)(b / sizeof(double)), MPI_DOUBLE,
                       MPI_SUM, 0, MPI_COMM_WORLD);
            break;
          default:
            MPI_Gather(send, (int)b, MPI_BYTE, recv, (int)b, MPI_BYTE, 0,
                       MPI_COMM_WORLD);
          }
        }
        MPI_Barrier(MPI_COMM_WORLD);
        double t = (MPI_Wtime() - t0) / (double)it;
        if (me == 0)
          printf("MPI %d %s %zu %.9e\n", r, op_names[op],
                 op == OP_BARRIER ? (size_t)0 : b, t);
      }
    }
  }
  fflush(stdout);
  free(send);
  free(recv);
  MPI_Finalize();
  return 0;
}
