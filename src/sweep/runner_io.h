/* parsweep — where a sweep's rows are written (internal).
 *
 * On single-node backends the root writes results.h5 alone (serial HDF5).
 * On the MPI backends every node writer (psw_is_node_writer) opens the one
 * file with parallel HDF5 and writes its own node's rows, so that no row is
 * funnelled through rank 0 (results_mpi.c). Builds without MPI have only
 * the first way (runner_io.c); runner_io_mpi.c adds the second. */
#ifndef PSW_SWEEP_RUNNER_IO_H
#define PSW_SWEEP_RUNNER_IO_H

#include "parsweep.h"
#include "results.h"

/* Non-zero when this region writes per node. */
int psw__io_per_node(psw_ctx_t *ctx);

/* On every node writer, collectively (pre_rc: the root's earlier error,
 * which every writer then returns). */
int psw__io_create(psw_ctx_t *ctx, int pre_rc, const char *path,
                   const psw_spec_t *spec, const psw_results_meta_t *meta,
                   psw_results_t **out, char *err, size_t errlen);

/* On every node writer, collectively: totals receives the counts of all
 * nodes. Frees r. */
int psw__io_finish(psw_ctx_t *ctx, psw_results_t *r,
                   const uint64_t counts[PSW_RESULTS_NSTATUS],
                   uint64_t totals[PSW_RESULTS_NSTATUS], char *err,
                   size_t errlen);

#endif /* PSW_SWEEP_RUNNER_IO_H */
