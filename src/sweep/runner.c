/* parsweep — the sweep runner (see runner.h).
 *
 * Every worker samples, evaluates and fills a row record; psw_for_ex hands
 * out sample indices dynamically and streams the records to a sink on the
 * root, which writes results.h5 as they arrive. The parent's view (counts,
 * errors) comes back through a small MAP_SHARED block, so it works whether
 * the workers are threads or forked processes. */
#include "sweep/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/procpool.h"
#include "internal.h"
#include "parsweep.h"
#include "shm/group.h"
#include "sweep/design.h"
#include "sweep/doneset.h"
#include "sweep/journal.h"
#include "sweep/lock.h"
#include "sweep/model.h"
#include "sweep/outfiles.h"
#include "sweep/progress.h"
#include "sweep/recursive.h"
#include "sweep/results.h"
#include "sweep/results_csv.h"
#include "sweep/results_read.h"
#include "sweep/runner_io.h"

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
/* The spec's bound on values a sample keeps every record within the fork
 * and threads backends' staging slot (a ring entry: 8 bytes + a record). */
_Static_assert(8 + sizeof(struct rec_hdr) +
                       PSW_SPEC_MAX_VALUES * sizeof(double) <=
                   PSW_SHM_DEFAULT_SLOT,
               "PSW_SPEC_MAX_VALUES: a record must fit the staging slot");

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

/* The signal handler's view of the running sweep (set only while one
 * runs). */
static _Atomic int *stop_flag;
static int cancel_wfd = -1;
static volatile sig_atomic_t signals_seen;

/* SIGUSR1 (the walltime warning) and a first SIGINT stop dispatching: the
 * samples running finish and are recorded. SIGTERM, or a second SIGINT,
 * also cancels the running commands (their samples stay "not run", to be
 * done on --resume), so that the run ends before a batch system's SIGKILL.
 * SIGHUP (the terminal closed, or a hang-up sent by hand) and SIGALRM (an
 * alarm or `timeout -s ALRM`) are stops of the same kind as SIGTERM: their
 * default action would kill the run without its file. Only
 * async-signal-safe calls here. */
static void on_signal(int sig) {
  int saved = errno;
  if (stop_flag)
    atomic_fetch_or(stop_flag, 1);
  int cancel = sig == SIGTERM || sig == SIGHUP || sig == SIGALRM ||
               (sig == SIGINT && signals_seen++);
  /* The elastic head passes a cancel on to its workers. */
  if (cancel && stop_flag)
    atomic_fetch_or(stop_flag, PSW_STOP_CANCEL);
  if (cancel && cancel_wfd >= 0) {
    char b = 1;
    ssize_t w = write(cancel_wfd, &b, 1);
    (void)w;
  }
  errno = saved;
}

void psw__sweep_request_stop(void) {
  on_signal(SIGUSR1);
}

/* elastic worker: the head's run was cancelled (psw_for_opts_t.cancel). */
static void cancel_hook(void *arg) {
  (void)arg;
  on_signal(SIGTERM);
}

static void fail(struct run *run, int rc, const char *fmt, const char *msg) {
  int expect = 0;
  if (atomic_compare_exchange_strong(&run->sh->failed, &expect, rc ? rc : 1))
    snprintf(run->sh->err, sizeof run->sh->err, fmt, msg);
}

static int recorded(const psw_doneset_t *done, uint64_t i) {
  return done && psw__doneset_has(done, i);
}

/* Loops over what earlier runs recorded (10^9 rows take minutes) poll the
 * stop flag: a signal ends them within a block. */
static int stopping(const struct run *run) {
  return atomic_load_explicit(&run->sh->stop, memory_order_relaxed);
}

/* The worker's next chunk: its tasks hand the model batches from it. */
static void on_chunk(psw_ctx_t *ctx, uint64_t begin, uint64_t end, void *arg) {
  (void)ctx;
  (void)begin;
  struct worker *w = arg;
  w->chunk_end = end;
}

/* Hand the model the samples from i to the chunk's end that are not
 * recorded, up to a batch, when there are two or more: one wake-up of
 * its host for all of them (model_ring.h). */
static int hand_batch(struct worker *w, uint64_t i) {
  size_t n = 0;
  for (uint64_t j = i; j < w->chunk_end && n < w->batch_cap; j++) {
    if (recorded(w->run->done, j))
      continue;
    int rc =
        psw__design_sample(w->design, j, psw__model_batch_slot(w->model, n, j));
    if (rc)
      return rc;
    n++;
  }
  return n > 1 ? psw__model_batch_start(w->model, n, w->run->spec->retries) : 0;
}

static int task(psw_ctx_t *ctx, uint64_t i, void *record, void *arg) {
  (void)ctx;
  struct worker *w = arg;
  const psw_spec_t *spec = w->run->spec;
  struct rec_hdr *h = record;
  if (recorded(w->run->done, i)) {
    h->skipped = 1;
    return 0;
  }
  int batched = psw__model_batch_next(w->model, i);
  if (atomic_load_explicit(&w->run->sh->stop, memory_order_relaxed)) {
    /* Handed over in a batch: what the host has finished, or runs now,
     * is recorded; it starts nothing more. */
    if (!batched)
      return PSW_ERR_INTERRUPTED;
    psw__model_batch_halt(w->model);
  }
  double *params = REC_VALUES(h), *outputs = params + spec->nparams;
  int rc = 0;
  if (!batched && w->batch_cap > 1 && i + 1 < w->chunk_end) {
    if ((rc = hand_batch(w, i)))
      return rc;
    batched = psw__model_batch_next(w->model, i);
  }
  /* A batch's sample has its parameters in its slot (taken with it). */
  if (!batched && (rc = psw__design_sample(w->design, i, params)))
    return rc;
  psw_eval_t ev = {0};
  double elapsed = 0;
  int attempt = 0;
  if (batched) {
    /* The host made the attempts of a FAILED sample itself; after a crash
     * or a timeout the ones left are made here, one by one. */
    rc = psw__model_batch_take(w->model, i, params, outputs, &ev, &attempt);
    if (rc)
      return rc;
    elapsed = ev.elapsed;
  }
  for (; attempt <= spec->retries && !(attempt && ev.status == PSW_ST_OK);
       attempt++) {
    if ((rc = psw__model_eval(w->model, i, params, outputs, &ev))) {
      /* A server that cannot be restarted says why, naming the command. */
      const char *why = psw__model_error(w->model);
      if (rc != PSW_ERR_INTERRUPTED && why[0])
        fail(w->run, rc, "%s", why);
      return rc;
    }
    elapsed += ev.elapsed;
  }
  h->elapsed = elapsed;
  h->exit_code = ev.exit_code;
  h->status = ev.status;
  h->worker = w->rank;
  h->node = w->node;
  return 0;
}

static void note_worker(struct root *r, int32_t id) {
  if (id < 0)
    return;
  size_t byte = (size_t)id / 8;
  if (byte >= r->ids_cap) {
    size_t cap = byte * 2 + 16;
    uint8_t *ids = realloc(r->ids, cap);
    if (!ids)
      return; /* only a count for the summary */
    memset(ids + r->ids_cap, 0, cap - r->ids_cap);
    r->ids = ids;
    r->ids_cap = cap;
  }
  if (!(r->ids[byte] & (1u << (id & 7)))) {
    r->ids[byte] |= (uint8_t)(1u << (id & 7));
    r->nids++;
  }
}

static int sink(uint64_t i, const void *record, void *arg) {
  struct root *r = arg;
  const struct rec_hdr *h = record;
  if (h->skipped)
    return 0;
  const psw_spec_t *spec = r->run->spec;
  const double *params = REC_VALUES(h);
  psw_row_t row = {.index = i,
                   .params = params,
                   .outputs = params + spec->nparams,
                   .ev = {h->status, h->exit_code, h->elapsed},
                   .worker = h->worker,
                   .node = h->node};
  /* The journal first: once there, the sample is never computed again. */
  int rc = psw__journal_add(r->journal, &row);
  if (rc) {
    fail(r->run, rc, "%s", psw__journal_error(r->journal));
    return rc;
  }
  rc = psw__results_write(r->res, &row, 1);
  if (rc) {
    fail(r->run, rc, "%s", "cannot write results (see the log)");
    return rc;
  }
  if (h->status >= 0 && h->status < 5)
    r->counts[h->status]++;
  note_worker(r, h->worker);
  if (!r->per_node) /* per node: the dispatcher's counts drive progress */
    psw__progress_step(&r->prog, h->status == PSW_ST_OK);
  /* A failed sample is a flagged record: counted for progress. */
  return h->status != PSW_ST_OK;
}

/* Per-node writers: progress of all nodes, on the root. */
static void on_progress(uint64_t done, uint64_t failed, void *arg) {
  struct root *r = arg;
  psw__progress_set(&r->prog, done, failed);
}

/* --resume: copy the rows earlier runs recorded (the output's, then the
 * journals') into the new file, each index once, and only those known at
 * load_resume (a journal being appended to now holds this run's rows). */
struct copy {
  struct root *r;
  psw_doneset_t seen;
  psw_results_file_t *f; /* the output being copied */
  psw_results_block_t b; /* one block of its rows */
  char *err;
  size_t errlen;
};

static int copy_row(struct copy *c, const psw_row_t *row) {
  uint64_t i = row->index;
  if (!recorded(c->r->run->done, i) || recorded(&c->seen, i))
    return 0;
  /* Both readers refused a status outside 0..4 with a message; the count
   * is never indexed by an unchecked value from a file. */
  if (row->ev.status < 0 || row->ev.status >= PSW_RESULTS_NSTATUS)
    return PSW_ERR_PARSE;
  int rc = psw__doneset_add(&c->seen, i, i + 1);
  if (!rc)
    rc = psw__results_write(c->r->res, row, 1);
  if (!rc)
    c->r->counts[row->ev.status]++;
  return rc;
}

static int copy_journal_row(const psw_row_t *row, void *arg) {
  struct copy *c = arg;
  return stopping(c->r->run) ? PSW_ERR_INTERRUPTED : copy_row(c, row);
}

/* One run of rows the output holds (psw__results_stored): read, and the
 * recorded ones copied. */
static int copy_block(void *arg, uint64_t first, size_t cnt) {
  struct copy *c = arg;
  const psw_results_block_t *b = &c->b;
  size_t P = c->r->run->spec->nparams, O = c->r->run->spec->noutputs;
  int rc = stopping(c->r->run) ? PSW_ERR_INTERRUPTED : 0;
  if (!rc)
    rc = psw__results_read_rows(c->f, first, cnt, b, c->err, c->errlen);
  if (!rc)
    rc = psw__results_check_status(c->f, first, b->status, cnt, c->err,
                                   c->errlen);
  for (size_t k = 0; k < cnt && !rc; k++) {
    if (b->status[k] == PSW_ST_NOT_RUN)
      continue;
    psw_row_t row = {.index = first + k,
                     .params = b->params + k * P,
                     .outputs = b->outputs + k * O,
                     .ev = {b->status[k], b->exit_code[k], b->elapsed[k]},
                     .worker = b->worker[k],
                     .node = b->node[k]};
    rc = copy_row(c, &row);
  }
  return rc;
}

/* The output's rows: only its stored chunks are read (the rest is "not
 * run"), so what a copy costs follows what was recorded, not N. */
static int copy_output_rows(struct copy *c, char *err, size_t errlen) {
  const psw_spec_t *spec = c->r->run->spec;
  int rc = psw__results_open(c->r->run->o->output, &c->f, err, errlen);
  if (rc)
    return rc;
  enum { BLOCK = 4096 };
  size_t P = spec->nparams, O = spec->noutputs;
  /* check_output compared them, but this is another open of the file: the
   * blocks below are sized by the spec, so the file must still match it. */
  const psw_results_info_t *in = psw__results_info(c->f);
  if (in->n != spec->total || in->nparams != P || in->noutputs != O) {
    snprintf(err, errlen, "%s: cannot resume: it changed while being read",
             c->r->run->o->output);
    psw__results_close(c->f);
    return PSW_ERR_INVAL;
  }
  psw_results_block_t *b = &c->b;
  b->params = malloc(BLOCK * (P ? P : 1) * sizeof(double));
  b->outputs = malloc(BLOCK * (O ? O : 1) * sizeof(double));
  b->status = malloc(BLOCK);
  b->exit_code = malloc(BLOCK * sizeof(int32_t));
  b->worker = malloc(BLOCK * sizeof(int32_t));
  b->node = malloc(BLOCK * sizeof(int32_t));
  b->elapsed = malloc(BLOCK * sizeof(double));
  if (!b->params || !b->outputs || !b->status || !b->exit_code || !b->worker ||
      !b->node || !b->elapsed) {
    snprintf(err, errlen, "%s: out of memory", c->r->run->o->output);
    rc = PSW_ERR_NOMEM;
  } else {
    c->err = err;
    c->errlen = errlen;
    rc = psw__results_stored(c->f, BLOCK, NULL, copy_block, c, err, errlen);
  }
  free(b->params);
  free(b->outputs);
  free(b->status);
  free(b->exit_code);
  free(b->worker);
  free(b->node);
  free(b->elapsed);
  psw__results_close(c->f);
  c->f = NULL;
  return rc;
}

/* A failed copy or scan without a message of its own (memory, the cap of
 * the done set, a signal): say which. */
static void resume_error(const struct run *run, int rc, const char *doing,
                         char *err, size_t errlen) {
  if (err[0])
    return;
  if (rc == PSW_ERR_BUSY)
    snprintf(err, errlen,
             "%s: cannot resume: the samples recorded are scattered over more "
             "than %zu separate runs of indices (%llu MiB for the map of "
             "what is done, the most allowed: an eighth of this machine's "
             "memory)",
             run->o->output, psw__doneset_default_max(),
             (unsigned long long)(psw__mem_budget() >> 20));
  else if (rc == PSW_ERR_INTERRUPTED)
    snprintf(err, errlen,
             "%s: interrupted while %s; nothing was changed: run again with "
             "--resume",
             run->o->output, doing);
  else
    snprintf(err, errlen, "%s: %s: %s", run->o->output, doing,
             psw_strerror(rc));
}

static int copy_recorded(struct root *r, char *err, size_t errlen) {
  struct run *run = r->run;
  struct copy c = {.r = r};
  psw__doneset_init(&c.seen, 0);
  int rc = 0;
  err[0] = '\0';
  if (run->have_output)
    rc = copy_output_rows(&c, err, errlen);
  if (!rc && run->have_journals) {
    psw_journal_scan_t js;
    rc = psw__journal_scan(run->o->output, run->spec, run->hash,
                           copy_journal_row, &c, &js, err, errlen);
  }
  psw__doneset_free(&c.seen);
  if (rc)
    resume_error(run, rc, "copying the samples recorded before", err, errlen);
  return rc;
}

/* Under the lock, what runs that are gone left beside the output: their
 * temporary results.h5 (a run killed before its rename), and with --force
 * the journals of an interrupted run (without it, psw__sweep_run refused
 * to start; with --resume they were read). */
static void clean_left_behind(struct run *run) {
  size_t n = psw__outfiles_remove(run->o->output, ".tmp.");
  if (n)
    psw_log(PSW_LOG_INFO, "%s: removed %zu temporary file(s) of a killed run",
            run->o->output, n);
  if (run->o->force && !run->o->resume &&
      (n = psw__outfiles_remove(run->o->output, JOURNAL_PREFIX)))
    psw_log(PSW_LOG_INFO,
            "%s: --force: removed %zu journal(s) of an "
            "interrupted run",
            run->o->output, n);
  /* Journals without a record (a run that failed or was killed before its
   * first sample) record nothing: not counted, and replaced. */
  if ((n = psw__journal_remove_empty(run->o->output, run->spec)))
    psw_log(PSW_LOG_INFO, "%s: removed %zu journal(s) without a record",
            run->o->output, n);
}

/* A recursive sweep's round, said beside the progress ("M of N ok"). */
static void round_line(const struct run *run, uint64_t ok) {
  char line[256];
  if (run->lo == run->hi) /* --resume after the last round */
    snprintf(line, sizeof line,
             "recursive: every round ran (%llu of %llu ok): the final rewrite",
             (unsigned long long)ok,
             (unsigned long long)run->spec->num_successes);
  else
    snprintf(line, sizeof line,
             "recursive: round %d: samples %llu..%llu (%llu of %llu ok so far)",
             run->round, (unsigned long long)run->lo,
             (unsigned long long)run->hi - 1, (unsigned long long)ok,
             (unsigned long long)run->spec->num_successes);
  if (run->o->progress == PSW_PROGRESS_NONE)
    psw_log(PSW_LOG_INFO, "%s", line);
  else
    fprintf(stderr, "parsweep: %s\n", line);
}

/* A writer (the root, or every node writer with MPI-IO), before the loop:
 * the output under construction. */
static int root_begin(psw_ctx_t *ctx, struct root *r) {
  struct run *run = r->run;
  char err[512] = "";
  psw_results_meta_t meta = {.backend = psw_backend_name(psw_ctx_manager(ctx)),
                             .nodes = psw_num_nodes(ctx),
                             .workers = psw_size(ctx),
                             .created = run->created,
                             .spec_hash = run->hash_hex};
  int rc = 0;
  /* One run per output: the root's process holds the lock while the file
   * is written (a second run is refused even with --force). */
  if (psw_is_root(ctx))
    rc = psw__lock_output(run->o->output, &r->lock, err, sizeof err);
  if (!rc && psw_is_root(ctx))
    clean_left_behind(run);
  if (r->per_node)
    rc = psw__io_create(ctx, rc, run->o->output, run->spec, &meta, &r->res, err,
                        sizeof err);
  else if (!rc)
    rc = psw__results_create(run->o->output, run->spec, &meta, &r->res, err,
                             sizeof err);
  if (!rc && !r->per_node)
    snprintf(run->sh->tmp, sizeof run->sh->tmp, "%s",
             psw__results_tmp_path(r->res));
  /* The earlier rows first: a stop during that copy (long for 10^9 rows)
   * leaves no new journal behind (journals are only read by it). */
  if (!rc && run->done && psw_is_root(ctx))
    rc = copy_recorded(r, err, sizeof err);
  /* Each writer its own journal: under MPI-IO, named by its rank. */
  if (!rc)
    rc = psw__journal_open(run->o->output, r->per_node ? psw_rank(ctx) : 0,
                           run->spec, run->hash, &r->journal, err, sizeof err);
  if (rc == PSW_ERR_INTERRUPTED) { /* a stop before anything ran */
    snprintf(run->sh->err, sizeof run->sh->err, "%s", err);
    atomic_store(&run->sh->not_started, 1);
  } else if (rc) {
    fail(run, rc, "%s", err[0] ? err : psw_strerror(rc));
  }
  if (rc) {
    psw__journal_close(r->journal, NULL, 0);
    r->journal = NULL;
    psw__results_abort(r->res);
    r->res = NULL;
    psw__unlock_output(&r->lock);
    return rc;
  }
  if (psw_is_root(ctx))
    psw__progress_init(&r->prog, stderr, run->o->progress,
                       run->hi - (run->spec->total - run->todo));
  if (psw_is_root(ctx) && run->spec->num_successes)
    round_line(run, r->counts[PSW_ST_OK]);
  return 0;
}

/* A writer, after the loop: the file is complete (or interrupted) and
 * renamed into place, or abandoned on error. */
static int root_end(psw_ctx_t *ctx, struct root *r, int loop_rc,
                    psw_sweep_stats_t *st) {
  struct run *run = r->run;
  char err[512] = "";
  int rc = loop_rc == PSW_ERR_INTERRUPTED ? 0 : loop_rc;
  uint64_t totals[5];
  memcpy(totals, r->counts, sizeof totals);
  /* Everything this writer recorded is on disk before the output is
   * replaced. A journal that could not be written fails the run: the
   * earlier output stays, and the journal's intact records are what
   * --resume keeps. Under MPI-IO the writers still finish together (a
   * collective): there the file, complete, is kept, and the journals are
   * not needed any more. */
  if (psw__journal_close(r->journal, err, sizeof err) && !rc) {
    if (r->per_node) {
      psw_log(PSW_LOG_INFO, "%s", err);
    } else {
      fail(run, PSW_ERR_IO, "%s", err);
      rc = PSW_ERR_IO;
    }
  }
  r->journal = NULL;
  err[0] = '\0';
  if (r->res && !rc && r->per_node) {
    /* Collective: the other writers wait for this one. */
    rc = psw__io_finish(ctx, r->res, r->counts, totals, err, sizeof err);
    if (rc)
      fail(run, rc, "%s", err);
  } else if (r->res && !rc) {
    int complete = r->counts[1] + r->counts[2] + r->counts[3] + r->counts[4] ==
                   run->spec->total;
    rc = psw__results_finish(r->res, complete, err, sizeof err);
    if (rc)
      fail(run, rc, "%s", err);
  } else {
    psw__results_abort(r->res);
  }
  r->res = NULL;
  /* results.h5 now holds every journal's rows: drop the journals (after
   * the rename is on disk). A kill before this leaves them: --resume reads
   * the same rows twice, harmlessly. */
  if (!rc && psw_is_root(ctx)) {
    psw__outfiles_sync_dir(run->o->output);
    psw__outfiles_remove(run->o->output, JOURNAL_PREFIX);
  }
  psw__unlock_output(&r->lock);
  if (psw_is_root(ctx) && !rc)
    psw__progress_end(&r->prog);
  memcpy(st->counts, totals, sizeof st->counts);
  st->counts[PSW_ST_NOT_RUN] =
      run->spec->total - (totals[1] + totals[2] + totals[3] + totals[4]);
  /* Recorded now, less what an earlier run had recorded (--resume). */
  st->evaluated = totals[1] + totals[2] + totals[3] + totals[4] -
                  (run->spec->total - run->todo);
  st->interrupted = loop_rc == PSW_ERR_INTERRUPTED;
  st->nodes = psw_num_nodes(ctx);
  st->workers = psw_size(ctx);
  if (!strcmp(psw_backend_name(psw_ctx_manager(ctx)), "elastic"))
    st->workers = (int)r->nids;
  free(r->ids);
  r->ids = NULL;
  snprintf(st->backend, sizeof st->backend, "%s",
           psw_backend_name(psw_ctx_manager(ctx)));
  return rc;
}

/* The root, after a round of a recursive sweep: the next round, or (the
 * last) the final rewrite of the output. Every evaluated sample of
 * [0, hi) is recorded unless the run was stopped. */
static int after_round(struct run *run, psw_sweep_stats_t *st) {
  const psw_spec_t *s = run->spec;
  st->recursive = 1;
  st->rec_rounds = run->round;
  if (st->interrupted)
    return 0;
  st->rec_next = psw__rec_next(s, run->hi, st->counts[PSW_ST_OK]);
  /* As WaterTAP warns: so few solves hint at limits to be changed. */
  if (st->counts[PSW_ST_OK] * 10 < run->hi)
    psw_log(PSW_LOG_WARN,
            "recursive: %llu of %llu samples so far ok (under 10%%): consider "
            "the parameters' limits",
            (unsigned long long)st->counts[PSW_ST_OK],
            (unsigned long long)run->hi);
  if (st->rec_next)
    return 0;
  char err[512] = "";
  int rc = psw__rec_finalize(run->o->output, s, run->hi, run->round,
                             &st->rec_ok, &st->rec_selected, err, sizeof err);
  if (rc)
    fail(run, rc, "%s", err);
  st->rec_evaluated = run->hi;
  psw_log(PSW_LOG_INFO,
          "recursive: %llu of %llu ok after %llu samples in %d round(s)",
          (unsigned long long)st->rec_ok, (unsigned long long)s->num_successes,
          (unsigned long long)run->hi, run->round);
  return rc;
}

static int region(psw_ctx_t *ctx, void *arg) {
  struct run *run = arg;
  struct worker w = {
      .run = run, .rank = psw_rank(ctx), .node = psw_node_id(ctx)};
  /* elastic: the id of the head's log ("worker N"), not the region's rank,
   * in /parsweep/worker and PARSWEEP_WORKER: one numbering. */
  int eid = psw_elastic_worker_id(psw_ctx_manager(ctx));
  if (eid > 0)
    w.rank = eid;
  struct root r = {.run = run, .lock = {.fd = -1}};
  psw_sweep_stats_t st;
  memset(&st, 0, sizeof st);
  char err[512] = "";
  int rc = psw__design_create(run->spec, &w.design);
  if (rc) {
    fail(run, rc, "%s", "cannot build the sample design");
    return rc;
  }
  /* The elastic head hands samples out and writes; it evaluates none, so
   * it needs no model (a plugin's init may be costly). */
  int evaluates = !(psw_is_root(ctx) &&
                    !strcmp(psw_backend_name(psw_ctx_manager(ctx)), "elastic"));
  if (evaluates) {
    /* The cancel fd already: a server's start-up may take minutes. */
    rc = psw__model_open_ex(run->spec, w.rank, w.rank, run->cancel_rfd,
                            &w.model, err, sizeof err);
    if (rc) {
      fail(run, rc, "%s", err);
      goto out;
    }
    psw__model_set_cancel_fd(w.model, run->cancel_rfd);
    w.batch_cap = psw__model_batch_cap(w.model);
    psw__model_set_stop(w.model, &run->sh->stop);
  }
  r.per_node = psw__io_per_node(ctx);
  int writer = r.per_node ? psw_is_node_writer(ctx) : psw_is_root(ctx);
  if (writer && (rc = root_begin(ctx, &r)))
    goto out;
  psw_for_opts_t fo;
  psw_for_opts_init(&fo);
  fo.record_size = run->rec_size;
  fo.sink = sink;
  fo.sink_arg = &r;
  fo.sink_per_node = r.per_node;
  if (r.per_node && psw_is_root(ctx)) {
    fo.progress = on_progress;
    fo.progress_arg = &r;
  }
  /* Samples in flight stay within a window of indices, so rows reach the
   * writer nearly in order (few, long runs per flush; a prefix-like set of
   * recorded samples when a run is interrupted). */
  fo.max_chunk = 1024;
  /* The elastic head runs no tasks: it stops handing out samples itself. */
  fo.stop = (const int *)&run->sh->stop;
  fo.cancel = cancel_hook;
  fo.first = run->lo;
  fo.chunk = on_chunk;
  int loop_rc = psw_for_ex(ctx, run->hi, task, &w, &fo);
  if (writer)
    rc = root_end(ctx, &r, loop_rc, &st);
  else
    rc = loop_rc == PSW_ERR_INTERRUPTED ? 0 : loop_rc;
  /* A recursive sweep: the root decides what follows the round. */
  if (!rc && psw_is_root(ctx) && run->spec->num_successes)
    rc = after_round(run, &st);
  if (rc)
    goto out;
  /* Everyone learns the outcome, so that every process that called
   * psw_parallel (every rank under MPI) can report it and exit alike. */
  if ((rc = psw_bcast_bytes(ctx, &st, sizeof st, 0)))
    goto out;
  /* Every worker has the same values: the first of each process (of each
   * shared block: threads and fork workers share one) writes them; the
   * root's process (or, for fork, its supervising parent) is marked to
   * report them. */
  if (psw_is_root(ctx))
    run->sh->root_here = 1;
  if (!atomic_exchange(&run->sh->stats_set, 1))
    run->sh->stats = st;
out:
  psw__model_close(w.model);
  psw__design_free(w.design);
  return rc;
}

/* --resume: which samples do the existing output and the journals of an
 * interrupted run already hold? */
struct resume_scan {
  struct run *run;
  psw_doneset_t *done;
};

static int resume_block(void *arg, uint64_t first, const int8_t *status,
                        size_t count) {
  struct resume_scan *s = arg;
  int rc = 0;
  for (size_t k = 0, e; k < count && !rc; k = e) {
    for (; k < count && status[k] == PSW_ST_NOT_RUN; k++)
      ;
    for (e = k; e < count && status[e] != PSW_ST_NOT_RUN; e++)
      ;
    rc = psw__doneset_add(s->done, first + k, first + e);
  }
  return rc;
}

static int resume_row(const psw_row_t *row, void *arg) {
  struct resume_scan *s = arg;
  if (stopping(s->run))
    return PSW_ERR_INTERRUPTED;
  return psw__doneset_add(s->done, row->index, row->index + 1);
}

/* The output of an earlier run: the same sweep? */
static int check_output(struct run *run, char *err, size_t errlen) {
  psw_results_file_t *f = NULL;
  int rc = psw__results_open(run->o->output, &f, err, errlen);
  if (rc)
    return rc;
  const psw_results_info_t *info = psw__results_info(f);
  int same = info->n == run->spec->total &&
             info->nparams == run->spec->nparams &&
             info->noutputs == run->spec->noutputs;
  for (size_t k = 0; same && k < info->nparams; k++)
    same = !strcmp(info->params[k], run->spec->params[k].name);
  for (size_t k = 0; same && k < info->noutputs; k++)
    same = !strcmp(info->outputs[k], run->spec->outputs[k]);
  if (!same)
    snprintf(err, errlen,
             "%s: cannot resume: it was written for a different sweep "
             "(samples, parameters or outputs differ from %s)",
             run->o->output, run->spec->path);
  else if (info->spec_hash && strcmp(info->spec_hash, run->hash_hex))
    snprintf(err, errlen,
             "%s: cannot resume: the spec or the model changed since it was "
             "written (spec hash %s, %s now has %s)",
             run->o->output, info->spec_hash, run->spec->path, run->hash_hex);
  else if (info->created && !(run->created = strdup(info->created)))
    rc = PSW_ERR_NOMEM;
  if (err[0])
    rc = PSW_ERR_INVAL;
  psw__results_close(f);
  return rc;
}

/* The output's stored status blocks (only those: the rest is "not run"),
 * answering a stop within a block. */
static int scan_output(struct run *run, struct resume_scan *s, char *err,
                       size_t errlen) {
  psw_results_file_t *f = NULL;
  int rc = psw__results_open(run->o->output, &f, err, errlen);
  if (!rc)
    rc = psw__results_scan_status(f, 0, (const int *)&run->sh->stop,
                                  resume_block, s, err, errlen);
  psw__results_close(f);
  return rc;
}

static int load_resume(struct run *run, char *err, size_t errlen) {
  const char *out = run->o->output;
  run->have_output = access(out, F_OK) == 0;
  run->have_journals = psw__outfiles_count(out, JOURNAL_PREFIX) > 0;
  if (!run->have_output && !run->have_journals) {
    psw_log(PSW_LOG_INFO, "%s: nothing recorded yet: a fresh run", out);
    return 0;
  }
  err[0] = '\0';
  int rc = run->have_output ? check_output(run, err, errlen) : 0;
  if (rc)
    return rc;
  if (!(run->done = malloc(sizeof *run->done))) {
    snprintf(err, errlen, "%s: out of memory", out);
    return PSW_ERR_NOMEM;
  }
  psw__doneset_init(run->done, 0);
  struct resume_scan s = {run, run->done};
  if (run->have_output && (rc = scan_output(run, &s, err, errlen))) {
    resume_error(run, rc, "reading what it holds", err, errlen);
    return rc;
  }
  uint64_t from_output = run->done->count;
  if (run->have_journals) {
    psw_journal_scan_t js;
    if ((rc = psw__journal_scan(out, run->spec, run->hash, resume_row, &s, &js,
                                err, errlen))) {
      resume_error(run, rc, "reading the journals beside it", err, errlen);
      return rc;
    }
    psw_log(PSW_LOG_INFO,
            "%s: %llu samples recorded in the output, %llu more in %zu "
            "journal(s) of an interrupted run (%llu records; %llu bytes of "
            "torn tail dropped)",
            out, (unsigned long long)from_output,
            (unsigned long long)(run->done->count - from_output), js.files,
            (unsigned long long)js.records,
            (unsigned long long)js.dropped_bytes);
  }
  run->todo = run->spec->total - run->done->count;
  return 0;
}

/* What every process of a run shares: the MAP_SHARED block that fork
 * workers report through, and the pipe that cancels running samples. */
static int run_init(struct run *run, const psw_sweep_opts_t *o,
                    const psw_spec_t *spec, char *err, size_t errlen) {
  memset(run, 0, sizeof *run);
  run->o = o;
  run->spec = spec;
  run->todo = spec->total;
  run->hi = spec->total;
  run->round = 1;
  run->cancel_rfd = -1;
  run->rec_size = sizeof(struct rec_hdr) +
                  (spec->nparams + spec->noutputs) * sizeof(double);
  run->sh = mmap(NULL, sizeof *run->sh, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (run->sh == MAP_FAILED) {
    run->sh = NULL;
    snprintf(err, errlen, "mmap: %s", strerror(errno));
    return PSW_ERR_SYS;
  }
  memset(run->sh, 0, sizeof *run->sh);
  int cancel[2];
  if (pipe2(cancel, O_CLOEXEC | O_NONBLOCK) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return PSW_ERR_SYS;
  }
  run->cancel_rfd = cancel[0];
  run->cancel_wfd = cancel[1];
  return 0;
}

static void run_fini(struct run *run) {
  psw__doneset_free(run->done);
  free(run->done);
  free(run->created);
  if (run->sh)
    munmap(run->sh, sizeof *run->sh);
  if (run->cancel_rfd >= 0) {
    close(run->cancel_rfd);
    close(run->cancel_wfd);
  }
}

/* After a failed region: a root worker that was killed (a fork worker)
 * left its temporary results file and the lock file. The supervising
 * process removes them, under the lock taken again: while another run
 * holds it, they are not ours to touch. (A root that ended normally has
 * removed or renamed its file already.) */
static void clean_after_root(struct run *run) {
  if (!run->sh->tmp[0] || access(run->sh->tmp, F_OK) != 0)
    return;
  psw_lock_t lk = {.fd = -1};
  char err[512] = "";
  if (psw__lock_output(run->o->output, &lk, err, sizeof err))
    return;
  if (unlink(run->sh->tmp) == 0)
    psw_log(PSW_LOG_INFO, "%s: removed the killed root worker's %s",
            run->o->output, run->sh->tmp);
  psw__unlock_output(&lk);
}

/* A recursive sweep's next round, [hi, rec_next): every sample below it is
 * in the output now (the round before renamed it into place), so the
 * region copies them and runs the new indices. */
static int next_round(struct run *run, char *err, size_t errlen) {
  run->lo = run->hi;
  run->hi = run->sh->stats.rec_next;
  run->round++;
  atomic_store(&run->sh->stats_set, 0);
  if (run->done) {
    psw__doneset_free(run->done);
  } else if (!(run->done = malloc(sizeof *run->done))) {
    snprintf(err, errlen, "%s: out of memory", run->o->output);
    return PSW_ERR_NOMEM;
  }
  psw__doneset_init(run->done, 0);
  int rc = run->lo ? psw__doneset_add(run->done, 0, run->lo) : 0;
  if (rc) {
    snprintf(err, errlen, "%s: %s", run->o->output, psw_strerror(rc));
    return rc;
  }
  run->have_output = 1;
  run->have_journals = 0;
  run->todo = run->spec->total - run->lo;
  return 0;
}

/* psw_parallel(region) with the run's signal handlers installed.
 * Dispositions are inherited by fork workers: one handler everywhere,
 * setting the shared stop flag. Model commands run in process groups of
 * their own, so a terminal's ^C (or its hang-up) reaches parsweep, not
 * them; parsweep cancels them. SIGPIPE is ignored: a reader of our stderr
 * that went away (`parsweep run ... 2>&1 | head -1`) must not end the run;
 * the lost log lines are simply not written (the models get SIGPIPE's
 * default back, psw__spawn). */
enum { NSIGS = 6 };
static const int stop_sigs[NSIGS] = {SIGINT, SIGTERM, SIGUSR1,
                                     SIGHUP, SIGALRM, SIGPIPE};

/* The run's handlers, from the resume scan (which can take minutes for
 * 10^9 recorded samples) to the end of the region; old[] keeps the
 * caller's for release_stops. */
static void catch_stops(struct run *run, struct sigaction old[NSIGS]) {
  struct sigaction sa, ign;
  const int *sigs = stop_sigs;
  stop_flag = &run->sh->stop;
  cancel_wfd = run->cancel_wfd;
  signals_seen = 0;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  for (int k = 0; k < NSIGS; k++)
    sigaction(sigs[k], sigs[k] == SIGPIPE ? &ign : &sa, &old[k]);
}

static void release_stops(const struct sigaction old[NSIGS]) {
  for (int k = 0; k < NSIGS; k++)
    sigaction(stop_sigs[k], &old[k], NULL);
  stop_flag = NULL;
  cancel_wfd = -1;
}

static int run_region(psw_manager_t *mgr, struct run *run, double *wall) {
  struct sigaction old[NSIGS];
  /* A recursive sweep's caller holds them over all its rounds: a stop
   * between two rounds is kept for the next (which it then stops). */
  int own = stop_flag != &run->sh->stop;
  if (own)
    catch_stops(run, old);
  /* A fork worker whose supervisor sees a sibling die is told through the
   * cancel pipe, like a SIGTERM: its models are cancelled (recorded not
   * run) and it leaves at once, cleaning up (backends/procpool.c). */
  psw__procpool_set_cancel_fd(run->cancel_wfd);
  double t0 = psw__mono_now();
  int rc = psw_parallel(mgr, region, run);
  *wall = psw__mono_now() - t0;
  psw__procpool_set_cancel_fd(-1);
  if (own)
    release_stops(old);
  return rc;
}

/* The region, or a recursive sweep's rounds one after another, with the
 * run's signal handlers held over all of them (a stop between two rounds
 * stops the next). *evaluated: the samples evaluated by this run. */
static int run_rounds(psw_manager_t *mgr, struct run *run, double *wall,
                      uint64_t *evaluated, char *err, size_t errlen) {
  struct sigaction old[NSIGS];
  int rc;
  catch_stops(run, old);
  for (;;) {
    double round_wall;
    rc = run_region(mgr, run, &round_wall);
    *wall += round_wall;
    if (rc)
      clean_after_root(run);
    if (atomic_load(&run->sh->not_started) && !atomic_load(&run->sh->failed)) {
      /* Stopped while the earlier rows were being copied: the output and
       * the journals are as they were. */
      snprintf(err, errlen, "%s", run->sh->err);
      rc = PSW_ERR_INTERRUPTED;
      break;
    }
    if (rc || atomic_load(&run->sh->failed)) {
      if (run->sh->err[0])
        snprintf(err, errlen, "%s", run->sh->err);
      else
        snprintf(err, errlen, "sweep failed: %s", psw_strerror(rc));
      if (!rc)
        rc = PSW_ERR_IO;
      break;
    }
    *evaluated += run->sh->stats.evaluated;
    if (!run->sh->stats.rec_next || (rc = next_round(run, err, errlen)))
      break;
  }
  release_stops(old);
  return rc;
}

/* --- elastic: what a worker needs of the head's run ----------------------
 * The spec's bytes and path, the head's working directory (relative model
 * paths), the spec hash (the worker checks that its plugin and command
 * give the same), and with --resume the samples already recorded. */
struct einfo {
  char magic[8];
  char hash[33];
  char pad[7];
  uint64_t text_len, path_len, cwd_len, done_len;
};
#define EINFO_MAGIC "PSWEI01"

static int einfo_build(const struct run *run, void **out, size_t *len) {
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd))
    cwd[0] = '\0';
  const psw_spec_t *spec = run->spec;
  struct einfo h = {.magic = EINFO_MAGIC,
                    .text_len = strlen(spec->text),
                    .path_len = strlen(spec->path),
                    .cwd_len = strlen(cwd),
                    .done_len =
                        run->done ? psw__doneset_packed_size(run->done) : 0};
  memcpy(h.hash, run->hash_hex, sizeof h.hash);
  *len = sizeof h + h.text_len + h.path_len + h.cwd_len + h.done_len;
  char *b = malloc(*len);
  if (!b)
    return PSW_ERR_NOMEM;
  char *at = b;
  memcpy(at, &h, sizeof h);
  at += sizeof h;
  memcpy(at, spec->text, h.text_len);
  at += h.text_len;
  memcpy(at, spec->path, h.path_len);
  at += h.path_len;
  memcpy(at, cwd, h.cwd_len);
  at += h.cwd_len;
  if (h.done_len)
    psw__doneset_pack(run->done, at);
  *out = b;
  return 0;
}

int psw__sweep_run(const psw_sweep_opts_t *o, psw_sweep_stats_t *stats,
                   char *err, size_t errlen) {
  const psw_spec_t *spec = o->spec;
  struct run run;
  psw_manager_t *mgr = NULL;
  void *info = NULL;
  char *endpoint = NULL;
  int rc = run_init(&run, o, spec, err, errlen);
  if (rc)
    goto out;
  if (psw__spec_hash(spec, run.hash)) {
    rc = PSW_ERR_NOMEM;
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  psw__spec_hash_hex(run.hash, run.hash_hex);
  /* csv_results_file_name is written after the sweep: a directory that is
   * not there is said now, not after hours of samples. */
  if (spec->csv_file &&
      (rc = psw__results_csv_check(spec->csv_file, err, errlen)))
    goto out;
  if (spec->num_successes && o->resume) {
    psw_rec_plan_t plan;
    if ((rc = psw__rec_plan(o->output, spec, run.hash, &plan, err, errlen)))
      goto out;
    if (plan.finalized) { /* a finished recursive sweep: nothing to do */
      psw_log(PSW_LOG_INFO, "%s: the recursive sweep was finished already",
              o->output);
      *stats = (psw_sweep_stats_t){.n = spec->total,
                                   .root_here = 1,
                                   .recursive = 1,
                                   .rec_ok = plan.ok,
                                   .rec_selected = plan.selected,
                                   .rec_evaluated = plan.evaluated};
      if (o->report)
        o->report(stats, o->report_arg);
      goto out;
    }
    run.lo = plan.lo;
    run.hi = plan.hi;
    run.round = plan.round;
  } else if (spec->num_successes) {
    run.hi = spec->first_round;
  }
  if (o->resume) {
    struct sigaction old[NSIGS];
    catch_stops(&run, old);
    rc = load_resume(&run, err, errlen);
    release_stops(old);
    if (rc)
      goto out;
  }
  /* Journals without --resume: an interrupted (or running) sweep of this
   * output has finished samples that are not in it. */
  size_t nj;
  if (!o->resume && !o->force &&
      (nj = psw__journal_count_recorded(o->output, spec))) {
    snprintf(err, errlen,
             "%s: an interrupted run left finished samples in %zu journal(s) "
             "beside it (.%s" JOURNAL_PREFIX "*): use --resume to keep them, "
             "or --force to discard them",
             o->output, nj,
             strrchr(o->output, '/') ? strrchr(o->output, '/') + 1 : o->output);
    rc = PSW_ERR_EXISTS;
    goto out;
  }

  psw_opts_t mo;
  psw_opts_init(&mo);
  mo.num_workers = o->workers >= 0 ? o->workers : spec->num_workers;
  const char *be = o->backend ? o->backend : spec->backend;
  const psw_backend_t *desc = psw_backend_lookup(be);
  if (desc && desc == psw_backend_elastic() &&
      spec->total / 8 > psw__mem_budget()) {
    /* The head keeps a bit per sample (handed out, finished): refused
     * before anything is touched rather than failing after a start. */
    snprintf(err, errlen,
             "%s: num_samples %llu needs %.1f GiB for the elastic head's map "
             "of samples (a bit each); at most %.1f GiB on this machine (an "
             "eighth of its memory): split the sweep, or use another backend",
             spec->path, (unsigned long long)spec->total,
             (double)(spec->total / 8) / (1 << 30),
             (double)psw__mem_budget() / (1 << 30));
    rc = PSW_ERR_NOMEM;
    goto out;
  }
  if (desc && desc == psw_backend_elastic()) {
    /* The head: OUTPUT.endpoint for the workers, and what they need. */
    size_t el = strlen(o->output) + sizeof ".endpoint";
    if (!(endpoint = malloc(el)) ||
        einfo_build(&run, &info, &mo.elastic_info_len)) {
      rc = PSW_ERR_NOMEM;
      snprintf(err, errlen, "out of memory");
      goto out;
    }
    snprintf(endpoint, el, "%s.endpoint", o->output);
    mo.elastic_endpoint = endpoint;
    mo.elastic_listen = o->listen;
    mo.elastic_info = info;
    mo.num_workers = 0;
  }
  if ((rc = psw_create_parallel_manager(&mgr, be, &mo))) {
    snprintf(err, errlen, "cannot create the '%s' parallel manager: %s",
             be ? be : "auto", psw_strerror(rc));
    goto out;
  }
  psw_log(PSW_LOG_INFO, "sweep %s: %llu samples on backend %s, %d workers",
          spec->path, (unsigned long long)spec->total, psw_backend_name(mgr),
          psw_num_workers(mgr));
  if (o->on_manager && (rc = o->on_manager(mgr, endpoint, o->on_manager_arg))) {
    snprintf(err, errlen, "cannot start the local workers: %s",
             psw_strerror(rc));
    goto out;
  }

  double wall = 0;
  uint64_t evaluated = 0;
  if ((rc = run_rounds(mgr, &run, &wall, &evaluated, err, errlen)))
    goto out;
  *stats = run.sh->stats;
  stats->evaluated = evaluated;
  stats->root_here = run.sh->root_here;
  stats->n = spec->total;
  stats->wall_s = wall;
  if (o->report)
    o->report(stats, o->report_arg);
out:
  if (rc && err[0] == '\0') /* every error says something */
    snprintf(err, errlen, "%s: %s", o->output, psw_strerror(rc));
  psw_destroy_parallel_manager(mgr);
  free(info);
  free(endpoint);
  run_fini(&run);
  return rc;
}

/* A worker's copy of the head's spec: parsed from the bytes the head sent,
 * from the head's directory when this host has it, and refused when its
 * model differs from the head's. */
static int serve_spec(psw_manager_t *mgr, psw_spec_t **spec,
                      psw_doneset_t **done, char *err, size_t errlen) {
  const void *data;
  size_t len;
  struct einfo h;
  if (psw_elastic_info(mgr, &data, &len) || len < sizeof h) {
    snprintf(err, errlen, "the head sent no sweep (not a parsweep run head?)");
    return PSW_ERR_PARSE;
  }
  memcpy(&h, data, sizeof h);
  const char *at = (const char *)data + sizeof h;
  if (memcmp(h.magic, EINFO_MAGIC, 8) || h.hash[32] ||
      h.text_len + h.path_len + h.cwd_len + h.done_len != len - sizeof h) {
    snprintf(err, errlen,
             "the head's sweep description is malformed (a "
             "parsweep of another version?)");
    return PSW_ERR_PARSE;
  }
  char path[4096], cwd[4096];
  snprintf(path, sizeof path, "%.*s", (int)h.path_len, at + h.text_len);
  snprintf(cwd, sizeof cwd, "%.*s", (int)h.cwd_len,
           at + h.text_len + h.path_len);
  if (cwd[0] && chdir(cwd) != 0)
    psw_log(PSW_LOG_INFO,
            "elastic: no directory %s here; model paths are relative to %s",
            cwd, "this worker's directory");
  int rc = psw__spec_parse(path, at, h.text_len, spec, err, errlen);
  if (rc)
    return rc;
  uint8_t hash[16];
  char hex[33];
  if (psw__spec_hash(*spec, hash))
    return PSW_ERR_NOMEM;
  psw__spec_hash_hex(hash, hex);
  if (strcmp(hex, h.hash)) {
    snprintf(err, errlen,
             "%s: the model here differs from the head's (spec hash %s here, "
             "%s at the head): a plugin or command of another version?",
             path, hex, h.hash);
    return PSW_ERR_INVAL;
  }
  if (h.done_len) { /* the runs of samples recorded before (--resume) */
    if (!(*done = malloc(sizeof **done)))
      return PSW_ERR_NOMEM;
    psw__doneset_init(*done, 0);
    if ((rc = psw__doneset_unpack(*done,
                                  at + h.text_len + h.path_len + h.cwd_len,
                                  h.done_len, (*spec)->total))) {
      snprintf(err, errlen,
               "the head's list of samples recorded before is malformed");
      return rc;
    }
  }
  return 0;
}

int psw__sweep_serve(const char *endpoint, psw_sweep_stats_t *stats, char *err,
                     size_t errlen) {
  psw_opts_t mo;
  psw_opts_init(&mo);
  mo.elastic_connect = endpoint;
  psw_manager_t *mgr = NULL;
  psw_spec_t *spec = NULL;
  psw_doneset_t *done = NULL;
  struct run run = {.cancel_rfd = -1};
  psw_sweep_opts_t o = {.progress = PSW_PROGRESS_NONE};
  memset(stats, 0, sizeof *stats);
  int rc = psw_create_parallel_manager(&mgr, "elastic", &mo);
  if (rc == PSW_ERR_UNAVAILABLE && psw__endpoint_ended(endpoint))
    return rc; /* as it joined, or before: the caller says so */
  if (rc == PSW_ERR_PEER_LOST) {
    snprintf(err, errlen, "cannot join the sweep of %s: never reached its head",
             endpoint);
    return rc;
  }
  if (rc) {
    snprintf(err, errlen, "cannot join the sweep of %s: %s%s", endpoint,
             psw_strerror(rc),
             rc == PSW_ERR_UNAVAILABLE ? "" : " (the line above says why)");
    /* UNAVAILABLE is kept for "the head had closed". */
    return rc == PSW_ERR_UNAVAILABLE ? PSW_ERR_INVAL : rc;
  }
  if ((rc = serve_spec(mgr, &spec, &done, err, errlen)))
    goto out;
  o.spec = spec;
  if ((rc = run_init(&run, &o, spec, err, errlen)))
    goto out;
  run.done = done;
  done = NULL;
  double wall;
  /* A recursive sweep: one region per round, while the head says another
   * follows (its indices come from the head's chunks). */
  struct sigaction old[NSIGS];
  catch_stops(&run, old); /* held between the rounds too */
  do {
    atomic_store(&run.sh->stats_set, 0);
    run.sh->stats.rec_next = 0;
    rc = run_region(mgr, &run, &wall);
  } while (!rc && !atomic_load(&run.sh->failed) && run.sh->stats.rec_next);
  release_stops(old);
  if (rc == PSW_ERR_INTERRUPTED) { /* this worker's own stop */
    stats->left = 1;
    rc = 0;
  } else if (rc || atomic_load(&run.sh->failed)) {
    if (rc == PSW_ERR_PEER_LOST) /* the head: the one peer a worker has */
      snprintf(err, errlen, "lost the head of %s (killed, or unreachable)",
               endpoint);
    else if (rc == PSW_ERR_TIMEOUT && !run.sh->err[0]) /* the head's BYE */
      snprintf(err, errlen,
               "the head of %s declared this worker lost (no heartbeat "
               "reached it within its timeout: this process was stopped or "
               "stalled); its samples went to other workers",
               endpoint);
    else if (run.sh->err[0])
      snprintf(err, errlen, "%s", run.sh->err);
    else
      snprintf(err, errlen, "the sweep failed: %s", psw_strerror(rc));
    if (!rc)
      rc = PSW_ERR_IO;
    goto out;
  } else {
    *stats = run.sh->stats;
    stats->n = spec->total;
    stats->wall_s = wall;
  }
out:
  psw_destroy_parallel_manager(mgr);
  psw__doneset_free(done);
  free(done);
  run_fini(&run);
  psw__spec_free(spec);
  return rc;
}
