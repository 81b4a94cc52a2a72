/* parsweep — dynamic distribution of work inside a region. */
#ifndef PARSWEEP_SCHED_H
#define PARSWEEP_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "manager.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One task. A non-zero return stops the loop on every worker (no new
 * chunks are handed out) and becomes psw_for's return value. */
typedef int (*psw_task_fn)(psw_ctx_t *ctx, uint64_t index, void *arg);

/* Collective: every worker of the region calls it with the same n. Runs
 * task(ctx, i, arg) exactly once for every i in 0..n-1, on whichever worker
 * is free: workers take chunks of indices from a shared counter, and the
 * chunks shrink as the work runs out (guided self-scheduling), so one slow
 * task does not leave the others idle at the end; a worker's chunk holds
 * at most about 5 ms of its tasks (measured as it goes), so slow tasks
 * that sit together are spread over the workers too. Returns when every index
 * has been run (an implied barrier), with 0, or the first task error on
 * every worker, or a region error (PSW_ERR_PEER_LOST, ...). */
PSW_EXTERN int psw_for(psw_ctx_t *ctx, uint64_t n, psw_task_fn task, void *arg);

/* A task that also produces a fixed-size record (opts.record_size bytes,
 * zeroed before the call) for the sink. */
typedef int (*psw_task_rec_fn)(psw_ctx_t *ctx, uint64_t index, void *record,
                               void *arg);

/* Receives every record exactly once, on the root worker's process, in a
 * collector thread of its own (one call at a time, in no particular index
 * order), while the workers go on. A negative return (a psw_err_t) stops
 * the loop like a task error; a positive one flags the record (e.g. a
 * failed sample: flagged records are counted for opts.progress); 0 is a
 * plain record. The record is valid only during the call. */
typedef int (*psw_sink_fn)(uint64_t index, const void *record, void *arg);

/* Options of psw_for_ex. Initialise with psw_for_opts_init() and then set
 * the fields you need, so that fields added later keep their defaults. */
typedef struct psw_for_opts {
  /* sizeof the caller's psw_for_opts_t, set by psw_for_opts_init(). The
   * library reads only the fields this size covers and gives the rest
   * their defaults, so that a program built against an older, smaller
   * psw_for_opts_t keeps working with a newer library (fields are only
   * ever appended). 0 (a struct zeroed by hand): this header's size. */
  size_t struct_size;
  size_t record_size; /* bytes per record; 0 = no records, no sink */
  psw_sink_fn sink;   /* used on the root only */
  void *sink_arg;
  uint64_t min_chunk; /* smallest chunk handed out; 0 = 1 */
  uint64_t max_chunk; /* largest chunk handed out; 0 = no limit. A limit
                         keeps the indices in flight close together, so
                         records reach the sink in nearly index order. */
  /* Non-zero: the sink runs on every node writer (psw_is_node_writer) with
   * the records of its node, instead of on the root with all of them, so
   * that results are not funnelled through one process (each node writes
   * its own rows, e.g. with parallel HDF5). Single-node backends have one
   * writer, the root. */
  int sink_per_node;
  /* Optional, with sink_per_node: called on the root, from a library
   * thread, with the number of tasks finished so far on all nodes and how
   * many of their records the sinks flagged, about once a second and at
   * the end. */
  void (*progress)(uint64_t done, uint64_t flagged, void *arg);
  void *progress_arg;
  /* Optional: once *stop is non-zero (read atomically), no new chunks are
   * handed out; the tasks running finish and the loop returns
   * PSW_ERR_INTERRUPTED. Backends whose workers share memory leave this to
   * the tasks; elastic, whose head runs no tasks, needs it to drain: its
   * workers then end their chunks after the task running, and with the
   * bit PSW_STOP_CANCEL set they are asked to cancel that task too
   * (opts.cancel, on each worker). */
  const int *stop;
  /* Optional, elastic workers: called once, from a library thread, when
   * the head asks for the task running to be cancelled (its stop has
   * PSW_STOP_CANCEL). It must make that task return soon (e.g. kill the
   * command it waits for); tasks that follow should return
   * PSW_ERR_INTERRUPTED. */
  void (*cancel)(void *arg);
  void *cancel_arg;
  /* The loop runs the indices first..n-1 only (0: all of 0..n-1); tasks
   * and the sink see those indices. A sweep that goes on in rounds (a
   * recursive sweep) runs each round's indices this way. An elastic
   * worker's n only bounds the indices it accepts: the head's n and first
   * decide what is handed out. */
  uint64_t first;
  /* Optional: called on a worker before it runs the tasks of a chunk
   * [begin, end), with the task's arg, so that the task can prepare the
   * chunk's later indices at once (the sweep hands them to the model in
   * one batch). The tasks still run one by one, in index order. The
   * serial, threads, fork, mpi and hybrid backends call it; elastic does
   * not (its chunks can be cut and handed back): a task must not depend
   * on it. */
  void (*chunk)(psw_ctx_t *ctx, uint64_t begin, uint64_t end, void *arg);
} psw_for_opts_t;

/* The bit of *psw_for_opts_t.stop that also cancels the tasks running. */
#define PSW_STOP_CANCEL 2

/* Non-zero on the workers that host a node's sink in psw_for_ex with
 * opts.sink_per_node: local rank 0 of each node group (hybrid), every rank
 * (mpi), the root (single-node backends). */
PSW_EXTERN int psw_is_node_writer(const psw_ctx_t *ctx);

/* Fill the first `size` bytes of `opts` with defaults (every field 0: no
 * records, chunks of any size from 1) and set opts->struct_size = size: nothing
 * past the caller's struct is written. `size` is at least sizeof(size_t);
 * PSW_ERR_INVAL otherwise (or NULL). */
PSW_EXTERN int psw_for_opts_init_sized(psw_for_opts_t *opts, size_t size);

/* Fill `opts` with defaults. In C this is psw_for_opts_init_sized() with
 * the caller's sizeof (the macro below), so that a program compiled
 * against this header passes its own size; the function itself (for dlsym
 * and ctypes users) assumes this library's size. */
PSW_EXTERN void psw_for_opts_init(psw_for_opts_t *opts);
#define psw_for_opts_init(opts)                                                \
  ((void)psw_for_opts_init_sized((opts), sizeof *(opts)))

/* psw_for with results streamed to the root as they are produced (the
 * scatter + gather of WaterTAP, without waiting for the end): every
 * task(ctx, i, record, arg) fills a record that reaches opts->sink on the
 * root while the loop runs. Memory is bounded: a worker whose records the
 * sink has not consumed yet waits. `opts` may be NULL (the defaults); only
 * the bytes its struct_size covers are read. Returns as psw_for. Errors
 * also: PSW_ERR_INVAL (record_size > 0 without a sink on the root, a
 * record too large for the backend's staging memory, first > n, a
 * struct_size below sizeof(size_t) but not 0). */
PSW_EXTERN int psw_for_ex(psw_ctx_t *ctx, uint64_t n, psw_task_rec_fn task,
                          void *arg, const psw_for_opts_t *opts);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_SCHED_H */
