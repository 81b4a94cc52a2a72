/* parsweep — collectives over an MPI communicator (internal).
 *
 * The mpi backend runs them over all ranks; hybrid runs them over one
 * leader per node, between its node-local stages. Counts are bytes except
 * for reductions. Each is a nonblocking MPI collective finished with
 * psw__mpi_wait (see mpiutil.h). Reductions gather the contributions and
 * fold them in rank order on the root, then (allreduce) broadcast the
 * result: slower than MPI_Allreduce for large messages, but the result is
 * the same bits on every rank and for every run, which MPI's own
 * algorithms do not promise for floating point. */
#ifndef PSW_MPI_COLL_H
#define PSW_MPI_COLL_H

#include <mpi.h>
#include <stddef.h>

#include "parsweep.h"

int psw__mpic_barrier(MPI_Comm comm);
int psw__mpic_bcast(MPI_Comm comm, void *buf, size_t nbytes, int root);
int psw__mpic_scatterv(MPI_Comm comm, const void *sendbuf, const size_t *counts,
                       const size_t *displs, void *recvbuf, size_t recvbytes,
                       int root);
/* root < 0: allgatherv (counts/displs on every rank). */
int psw__mpic_gatherv(MPI_Comm comm, const void *sendbuf, size_t sendbytes,
                      void *recvbuf, const size_t *counts, const size_t *displs,
                      int root);
/* root < 0: allreduce. sendbuf may equal recvbuf. */
int psw__mpic_reduce(MPI_Comm comm, const void *sendbuf, void *recvbuf,
                     size_t count, psw_type_t type, psw_op_t op, int root);

#endif /* PSW_MPI_COLL_H */
