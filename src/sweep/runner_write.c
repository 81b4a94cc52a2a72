/* parsweep — the writer of a sweep (runner_impl.h).
 *
 * The root (or, with MPI-IO, every node writer) holds the output's lock,
 * creates the temporary results file, copies what earlier runs recorded,
 * records every row the workers stream to it (journal first, then
 * results.h5), and at the end renames the complete file into place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfiles.h"
#include "recursive.h"
#include "runner_impl.h"
#include "runner_io.h"

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

int psw__run_sink(uint64_t i, const void *record, void *arg) {
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
void psw__run_on_progress(uint64_t done, uint64_t failed, void *arg) {
  struct root *r = arg;
  psw__progress_set(&r->prog, done, failed);
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
int psw__run_root_begin(psw_ctx_t *ctx, struct root *r) {
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
    rc = psw__run_copy_recorded(r, err, sizeof err);
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
int psw__run_root_end(psw_ctx_t *ctx, struct root *r, int loop_rc,
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
  /* Workers that come and go: those that sent rows. */
  if (psw_manager_caps(psw_ctx_manager(ctx)) & PSW_CAP_DYNAMIC_MEMBERS)
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
int psw__run_after_round(struct run *run, psw_sweep_stats_t *st) {
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
