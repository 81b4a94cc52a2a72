/* parsweep — dynamic scheduling across ranks with two-sided MPI (internal).
 *
 * One dispatcher, a thread on rank 0 of a communicator of requesters (all
 * ranks for the mpi backend, one leader per node for hybrid), hands out
 * chunks of a psw_for loop. A requester asks for work for all the workers
 * it stands for, so the dispatcher's load grows with requesters (nodes),
 * not with workers. Records of psw_for_ex travel with the requests to the
 * dispatcher, which hands them to the sink. (One-sided MPI fails over TCP
 * between nodes here, so this is Isend/Improbe only.)
 *
 * Per loop: rank 0 calls psw__disp_serve_start, every requester (rank 0
 * included) calls psw__disp_next until it gets an empty chunk, rank 0 calls
 * psw__disp_serve_join. */
#ifndef PSW_MPI_DISPATCH_H
#define PSW_MPI_DISPATCH_H

#include <mpi.h>
#include <pthread.h>
#include <stdint.h>

#include "parsweep.h"

struct psw_disp {
  MPI_Comm req, rep; /* requests to rank 0; replies from it */
  int me, size;

  /* Server (rank 0 only), valid between serve_start and serve_join. */
  pthread_t tid;
  uint64_t n, next;
  int total_workers;
  psw_for_opts_t opts;
  int32_t err;
  int sink_failed;
  int server_rc; /* an MPI failure of the server itself */

  /* Client: records waiting to be sent with the next request. */
  unsigned char *recs;
  size_t nrecs, cap, esz;
  double last_send;
};

/* Collective over `comm`: duplicate the communicators. */
int psw__disp_init(struct psw_disp *d, MPI_Comm comm);
void psw__disp_fini(struct psw_disp *d);

/* Rank 0: start serving a loop of n indices shared by total_workers
 * workers (for chunk sizes); records of opts->record_size bytes go to
 * opts->sink. */
int psw__disp_serve_start(struct psw_disp *d, uint64_t n, int total_workers,
                          const psw_for_opts_t *opts);
/* Rank 0: wait for the loop to end; *err receives the loop's first error. */
int psw__disp_serve_join(struct psw_disp *d, int32_t *err);

/* Every requester: report `err` (0, or a task error that stops the loop),
 * send buffered records, and get the next chunk [*b, *e) for `workers`
 * workers; *b == *e means the loop is over for this requester. */
int psw__disp_next(struct psw_disp *d, int32_t err, int workers, uint64_t *b,
                   uint64_t *e);

/* A zeroed record slot for index i in the client's buffer (record_size
 * bytes), sent with a later request or by psw__disp_flush. */
void *psw__disp_record(struct psw_disp *d, uint64_t i);
/* Send buffered records now if the buffer is full or a second has passed
 * since the last send (so that slow chunks still report progress). */
int psw__disp_maybe_flush(struct psw_disp *d);

/* Prepare the client side of a loop (record size; 0 = none). */
int psw__disp_client_begin(struct psw_disp *d, size_t record_size);
void psw__disp_client_end(struct psw_disp *d);

#endif /* PSW_MPI_DISPATCH_H */
