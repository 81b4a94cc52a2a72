/* parsweep — running a sweep on the parallel manager (internal).
 *
 * The runner talks to the manager only through include/parsweep.h: a
 * region on every worker, psw_for_ex to hand out samples dynamically and
 * stream their rows to the root, where a sink writes results.h5 as the rows
 * arrive. Any backend that implements the manager runs sweeps unchanged. */
#ifndef PSW_SWEEP_RUNNER_H
#define PSW_SWEEP_RUNNER_H

#include <stdint.h>

#include "parsweep.h"
#include "sample.h"
#include "spec.h"

enum psw_progress_mode {
  PSW_PROGRESS_AUTO = 0, /* a live bar on a terminal, else periodic lines */
  PSW_PROGRESS_BAR,
  PSW_PROGRESS_LINES,
  PSW_PROGRESS_NONE,
};

struct psw_sweep_stats;

typedef struct psw_sweep_opts {
  const psw_spec_t *spec;
  const char *output;  /* file to write */
  const char *backend; /* name; NULL = spec's parallel_back_end or auto */
  /* The backend, resolved once by the caller (psw_backend_lookup: "auto"
   * is the plan's pick); NULL: `backend` is resolved here. */
  const psw_backend_t *backend_desc;
  int workers; /* < 0 = spec's number_of_subprocesses */
  /* Called on every process with the outcome while the parallel manager
   * (and MPI) is still up: under mpirun a rank that exits first may end
   * the job, so reports must be made before any rank can exit. */
  void (*report)(const struct psw_sweep_stats *st, void *arg);
  void *report_arg;
  int resume;         /* evaluate only samples not yet in output or journals */
  int force;          /* discard what an interrupted run left (journals) */
  int progress;       /* enum psw_progress_mode */
  const char *listen; /* elastic head: HOST:PORT (NULL: the default) */
  /* Called once the manager is up (elastic: endpoint is the file workers
   * connect with, else NULL); a non-zero return ends the run. */
  int (*on_manager)(psw_manager_t *mgr, const char *endpoint, void *arg);
  void *on_manager_arg;
} psw_sweep_opts_t;

/* What happened, as every caller of psw_parallel sees it. */
typedef struct psw_sweep_stats {
  uint64_t n;         /* samples in the design */
  uint64_t counts[5]; /* by enum psw_status, over the whole file */
  uint64_t evaluated; /* samples evaluated by this run */
  int interrupted;    /* stopped by a signal before the end */
  int left;           /* elastic worker: it was stopped by a signal itself
                         and handed its samples back (psw__sweep_serve) */
  int root_here;      /* this process hosted the root worker (or supervised it):
                         under a launcher only that rank reports */
  int nodes, workers;
  double wall_s;
  char backend[32];
  /* A recursive sweep (recursive.h): after a round, rec_next is the end of
   * the next one (0: it was the last). After the last, the final file's
   * numbers: ok samples among the rec_evaluated evaluated, rec_selected
   * rows kept, in rec_rounds rounds. */
  int recursive, rec_rounds;
  uint64_t rec_next, rec_ok, rec_selected, rec_evaluated;
} psw_sweep_stats_t;

/* Run the sweep. Returns 0 when the run went through (look at stats for
 * failed samples and interruption), or a psw_err_t with a one-line reason
 * in err. */
int psw__sweep_run(const psw_sweep_opts_t *o, psw_sweep_stats_t *stats,
                   char *err, size_t errlen);

/* An elastic worker: join the sweep whose head wrote `endpoint`, evaluate
 * the samples it hands out until the sweep ends. Returns 0 when it ended
 * (stats->interrupted: this worker was stopped by a signal and gave its
 * samples back), PSW_ERR_UNAVAILABLE when the head had closed, or an error
 * with a one-line reason in err. */
int psw__sweep_serve(const char *endpoint, psw_sweep_stats_t *stats, char *err,
                     size_t errlen);

#endif /* PSW_SWEEP_RUNNER_H */
