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
 * included) calls psw__disp_next until it gets an empty chunk, sends its
 * last records and calls psw__disp_fin; rank 0 calls psw__disp_serve_join.
 * Records may be sent from another thread than the requests (hybrid's
 * collector), as long as they are all sent before the fin. */
#ifndef PSW_MPI_DISPATCH_H
#define PSW_MPI_DISPATCH_H

#include <mpi.h>
#include <pthread.h>
#include <stdint.h>

#include "parsweep.h"

/* Records waiting to go to the dispatcher: filled by one thread. */
struct psw_disp_out {
  MPI_Comm comm; /* the dispatcher's request communicator */
  unsigned char *recs;
  size_t nrecs, cap, esz;
  double last_send;
};

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
  int server_rc;          /* an MPI failure of the server itself */
  uint64_t done, flagged; /* reported by per-node sinks, for progress */
};

/* Collective over `comm`: duplicate the communicators. */
int psw__disp_init(struct psw_disp *d, MPI_Comm comm);
void psw__disp_fini(struct psw_disp *d);

/* Rank 0: start serving a loop of n indices shared by total_workers
 * workers (for chunk sizes); records of opts->record_size bytes go to
 * opts->sink. */
int psw__disp_serve_start(struct psw_disp *d, uint64_t n, int total_workers,
                          const psw_for_opts_t *opts);
/* Rank 0: wait until every requester has finished (psw__disp_fin); *err
 * receives the loop's first error. */
int psw__disp_serve_join(struct psw_disp *d, int32_t *err);

/* Every requester: report `err` (0, or a task error that stops the loop)
 * and get the next chunk [*b, *e) for `workers` workers; *b == *e means
 * there is no more work for this requester. */
int psw__disp_next(struct psw_disp *d, int32_t err, int workers, uint64_t *b,
                   uint64_t *e);

/* Every requester, once its last records are sent: done with this loop. */
int psw__disp_fin(struct psw_disp *d);

/* A requester whose node writes its own records (per-node sinks) tells the
 * dispatcher how many more tasks it finished, and how many more of their
 * records its sink flagged, for opts.progress. */
int psw__disp_progress(struct psw_disp *d, uint64_t done, uint64_t flagged);

/* Records of a requester (record_size 0: none). */
int psw__disp_out_begin(struct psw_disp_out *o, struct psw_disp *d,
                        size_t record_size);
void psw__disp_out_free(struct psw_disp_out *o);
/* A zeroed record slot for index i (flush first when the buffer is full:
 * psw__disp_out_maybe_flush after every record keeps room for one). */
void *psw__disp_out_record(struct psw_disp_out *o, uint64_t i);
/* Forget the last record taken (its task failed). */
void psw__disp_out_drop(struct psw_disp_out *o);
/* Send when full or a second has passed since the last send (so that slow
 * chunks still report progress); psw__disp_out_flush sends now. */
int psw__disp_out_maybe_flush(struct psw_disp_out *o);
int psw__disp_out_flush(struct psw_disp_out *o);

#endif /* PSW_MPI_DISPATCH_H */
