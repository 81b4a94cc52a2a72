/* parsweep — results.h5 written by several processes with MPI-IO
 * (internal; builds with PSW_WITH_MPI).
 *
 * Every node writer opens the one file through parallel HDF5 on the
 * writers' communicator and writes the rows of its own node as they arrive
 * (independent MPI-IO writes into chunks allocated at creation), so no row
 * travels through rank 0. Creation, the final attributes and the close are
 * collective; rank 0 of the communicator names the temporary file and
 * renames it into place. */
#ifndef PSW_SWEEP_RESULTS_MPI_H
#define PSW_SWEEP_RESULTS_MPI_H

#include <mpi.h>

#include "results.h"

/* Collective over comm. pre_rc (rank 0's): an error found before, e.g.
 * the output lock, that every writer must return. */
int psw__results_create_mpi(const char *path, const psw_spec_t *spec,
                            const psw_results_meta_t *meta, MPI_Comm comm,
                            int pre_rc, psw_results_t **out, char *err,
                            size_t errlen);

/* Collective over comm: sum the writers' counts per status into totals,
 * write the attributes, close, and (rank 0) rename over the output. Frees
 * r. Returns 0 or PSW_ERR_IO, the same on every writer. */
int psw__results_finish_mpi(psw_results_t *r, MPI_Comm comm,
                            const uint64_t counts[PSW_RESULTS_NSTATUS],
                            uint64_t totals[PSW_RESULTS_NSTATUS], char *err,
                            size_t errlen);

#endif /* PSW_SWEEP_RESULTS_MPI_H */
