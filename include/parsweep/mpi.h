/* parsweep — what MPI users of the library may need (only in builds with
 * PSW_WITH_MPI; include after <mpi.h>). */
#ifndef PARSWEEP_MPI_H
#define PARSWEEP_MPI_H

#include <mpi.h>

#include "parsweep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* On a node writer (psw_is_node_writer) of an mpi or hybrid region: the
 * communicator of all node writers, in node order (e.g. to open one file
 * with parallel HDF5). Owned by the library, valid during the region.
 * Returns 0, PSW_ERR_UNAVAILABLE on other backends, PSW_ERR_INVAL on a
 * worker that is not a writer. */
PSW_EXTERN int psw_mpi_writers_comm(const psw_ctx_t *ctx, MPI_Comm *comm);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_MPI_H */
