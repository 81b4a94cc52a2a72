/* parsweep — the sweep runner's pieces (internal to src/sweep).
 *
 * runner.c orchestrates a run (the region on every worker, recursive
 * rounds, psw__sweep_run); the writer's lifecycle is in runner_write.c,
 * --resume in runner_resume.c, the stop signals in runner_stop.c, and what
 * an elastic worker needs of the head's run in runner_elastic.c. They
 * share the run's state below. */
#ifndef PSW_SWEEP_RUNNER_IMPL_H
#define PSW_SWEEP_RUNNER_IMPL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include "design.h"
#include "doneset.h"
#include "journal.h"
#include "lock.h"
#include "model.h"
#include "parsweep.h"
#include "progress.h"
#include "results.h"
#include "runner.h"

/* What the workers tell the caller of psw_parallel. */
struct shared {
  _Atomic int stop;   /* set by a signal: take no new samples */
  _Atomic int failed; /* first worker to fail fills err */
  int root_here;      /* the root worker ran in (or under) this process */
  char err[512];
  _Atomic int stats_set;   /* stats written (by one worker) */
  _Atomic int not_started; /* a stop while copying earlier rows: err says */
  psw_sweep_stats_t stats;
  char tmp[4096]; /* the root's temporary results file (clean_after_root) */
};

/* One row as it travels from a worker to the root. */
struct rec_hdr {
  double elapsed;
  int32_t exit_code;
  int32_t worker;
  int32_t node;
  int8_t status;
  int8_t skipped; /* already recorded by an earlier run (--resume) */
};
#define REC_VALUES(h) ((double *)((char *)(h) + sizeof(struct rec_hdr)))
struct run {
  int cancel_rfd; /* readable once running samples are to be cancelled */
  int cancel_wfd;
  const psw_sweep_opts_t *o;
  const psw_spec_t *spec;
  size_t rec_size;
  psw_doneset_t *done; /* --resume: the samples already recorded */
  uint64_t todo;       /* samples this run evaluates */
  /* The indices this region runs: [0, total), or a recursive sweep's
   * round [lo, hi) (an elastic worker: [0, total), the head decides). */
  uint64_t lo, hi;
  int round;         /* recursive: the round's number, from 1 */
  char *created;     /* --resume: the first run's "created", kept */
  int have_output;   /* --resume: the output exists (rows to copy) */
  int have_journals; /* --resume: journals of an earlier run (rows too) */
  uint8_t hash[16];  /* psw__spec_hash */
  char hash_hex[33];
  struct shared *sh;
};

/* Root-only state, touched by the sink on the collector thread. */
struct root {
  struct run *run;
  psw_lock_t lock;
  int per_node; /* every node writer writes its node's rows (MPI-IO) */
  psw_results_t *res;
  psw_journal_t *journal; /* this writer's */
  psw_progress_t prog;
  uint64_t counts[5];
  int io_err;
  /* Worker ids that sent rows (elastic: workers come and go, so the
   * region's size says little). */
  uint8_t *ids;
  size_t ids_cap, nids;
};

struct worker {
  struct run *run;
  psw_design_t *design;
  psw_model_inst_t *model;
  int rank, node;
  size_t batch_cap;   /* the model takes batches of this many (0: none) */
  uint64_t chunk_end; /* the end of the chunk this worker runs */
};

static inline void fail(struct run *run, int rc, const char *fmt,
                        const char *msg) {
  int expect = 0;
  if (atomic_compare_exchange_strong(&run->sh->failed, &expect, rc ? rc : 1))
    snprintf(run->sh->err, sizeof run->sh->err, fmt, msg);
}

static inline int recorded(const psw_doneset_t *done, uint64_t i) {
  return done && psw__doneset_has(done, i);
}

/* Loops over what earlier runs recorded (10^9 rows take minutes) poll the
 * stop flag: a signal ends them within a block. */
static inline int stopping(const struct run *run) {
  return atomic_load_explicit(&run->sh->stop, memory_order_relaxed);
}

/* runner_stop.c: the run's signal handlers (SIGINT, SIGTERM, SIGUSR1,
 * SIGHUP, SIGALRM stop it; SIGPIPE is ignored), from the resume scan to the
 * end of the region; old[] keeps the caller's for release. */
enum { PSW_RUN_NSIGS = 6 };
void psw__run_catch_stops(struct run *run, struct sigaction old[PSW_RUN_NSIGS]);
void psw__run_release_stops(const struct sigaction old[PSW_RUN_NSIGS]);
/* Whether this run's handlers are installed (a recursive sweep's caller
 * holds them over all its rounds). */
int psw__run_stops_held(const struct run *run);
/* elastic worker: the head's run was cancelled (psw_for_opts_t.cancel). */
void psw__run_cancel_hook(void *arg);

/* runner_write.c: a writer (the root, or every node writer with MPI-IO)
 * before and after the loop, the sink that records each row, and what
 * follows a recursive sweep's round. */
int psw__run_root_begin(psw_ctx_t *ctx, struct root *r);
int psw__run_root_end(psw_ctx_t *ctx, struct root *r, int loop_rc,
                      psw_sweep_stats_t *st);
int psw__run_sink(uint64_t i, const void *record, void *arg);
void psw__run_on_progress(uint64_t done, uint64_t failed, void *arg);
int psw__run_after_round(struct run *run, psw_sweep_stats_t *st);

/* runner_resume.c: which samples the output and the journals of an
 * interrupted run hold (before the region), and their rows copied into
 * the new file (by the root, in the region). */
int psw__run_load_resume(struct run *run, char *err, size_t errlen);
int psw__run_copy_recorded(struct root *r, char *err, size_t errlen);

/* runner.c: what every process of a run shares, and one region. */
int psw__run_init(struct run *run, const psw_sweep_opts_t *o,
                  const psw_spec_t *spec, char *err, size_t errlen);
void psw__run_fini(struct run *run);
int psw__run_region(psw_manager_t *mgr, struct run *run, double *wall);

/* runner_elastic.c: the bytes handed to every elastic worker as it joins
 * (psw_opts_t.elastic_info). */
int psw__run_einfo_build(const struct run *run, void **out, size_t *len);

#endif /* PSW_SWEEP_RUNNER_IMPL_H */
