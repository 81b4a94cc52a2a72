/* parsweep — results written by every node writer with MPI-IO. */
#include "runner_io.h"

#include <mpi.h>

#include "parsweep/mpi.h"
#include "results_mpi.h"

int psw__io_per_node(psw_ctx_t *ctx) {
  /* A sink on each node's writer, which psw_mpi_writers_comm joins. */
  return (psw_manager_caps(psw_ctx_manager(ctx)) & PSW_CAP_NODE_WRITERS) != 0;
}

int psw__io_create(psw_ctx_t *ctx, int pre_rc, const char *path,
                   const psw_spec_t *spec, const psw_results_meta_t *meta,
                   psw_results_t **out, char *err, size_t errlen) {
  MPI_Comm comm;
  int rc = psw_mpi_writers_comm(ctx, &comm);
  if (rc)
    return rc;
  return psw__results_create_mpi(path, spec, meta, comm, pre_rc, out, err,
                                 errlen);
}

int psw__io_finish(psw_ctx_t *ctx, psw_results_t *r,
                   const uint64_t counts[PSW_RESULTS_NSTATUS],
                   uint64_t totals[PSW_RESULTS_NSTATUS], char *err,
                   size_t errlen) {
  MPI_Comm comm;
  int rc = psw_mpi_writers_comm(ctx, &comm);
  if (rc) {
    psw__results_abort(r);
    return rc;
  }
  return psw__results_finish_mpi(r, comm, counts, totals, err, errlen);
}
