/* parsweep — --resume (runner_impl.h).
 *
 * Before the region: which samples the existing output and the journals
 * of an interrupted run hold (a done set, so that no sample is computed
 * twice). In the region, on the root: their rows copied into the new
 * file, each index once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfiles.h"
#include "results_read.h"
#include "runner_impl.h"

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

int psw__run_copy_recorded(struct root *r, char *err, size_t errlen) {
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

int psw__run_load_resume(struct run *run, char *err, size_t errlen) {
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
