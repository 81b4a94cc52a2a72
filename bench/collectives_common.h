/* parsweep benchmark B4 — what shm_collectives.c and mpi_collectives.c
 * share: the operations, the message sizes and the loop lengths, so that
 * both sides run exactly the same loops. */
#ifndef PSW_COLLECTIVES_COMMON_H
#define PSW_COLLECTIVES_COMMON_H

#include <stddef.h>

enum { OP_BARRIER, OP_BCAST, OP_REDUCE, OP_GATHER, NOPS };
static const char *const op_names[NOPS] = {"barrier", "bcast", "reduce",
                                           "gather"};
#define NSIZES 4
static const size_t sizes[NSIZES] = {8, 1024, 65536, 1048576};

/* Operations per timed loop: about the same time per loop at every size. */
static inline long loop_iters(size_t bytes, int smoke) {
  if (smoke)
    return 20;
  if (bytes <= 1024)
    return 20000;
  if (bytes <= 65536)
    return 2000;
  return 200;
}

#endif /* PSW_COLLECTIVES_COMMON_H */
