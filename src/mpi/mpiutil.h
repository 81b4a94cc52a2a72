/* parsweep — MPI helpers shared by the mpi and hybrid backends (internal).
 *
 * Every wait in these backends goes through psw__mpi_wait: Open MPI's
 * blocking calls poll at full speed, which on an oversubscribed node takes
 * the CPU from the very worker everybody waits for. A short spin, then
 * sleeps that grow to a millisecond, costs microseconds of latency and
 * nothing while a worker runs a long sample. */
#ifndef PSW_MPI_UTIL_H
#define PSW_MPI_UTIL_H

#include <mpi.h>
#include <stddef.h>

#include "parsweep.h"

/* Initialise MPI once per process (MPI_THREAD_MULTIPLE: the dispatcher is
 * a thread) or join an MPI the application initialised. Reference-counted
 * with psw__mpi_release, which finalises only what we initialised. */
int psw__mpi_acquire(void);
void psw__mpi_release(void);

/* Wait for r without burning the CPU; returns 0 or PSW_ERR_SYS. */
int psw__mpi_wait(MPI_Request *r);

/* MPI datatype and operator of ours. */
MPI_Datatype psw__mpi_type(psw_type_t t);

/* Monotonic seconds. */
double psw__mpi_now(void);

/* Turn an MPI error code into a logged PSW_ERR_SYS. */
int psw__mpi_err(int mpirc, const char *what);

#endif /* PSW_MPI_UTIL_H */
