/* parsweep — the results.h5 writer's finish (SPEC §4): the counts per
 * status read from the file, the final root attributes, closing every
 * handle, then the commit (rename over the path) or the abort (the
 * temporary file removed). Apart from create and write (results.c) as the
 * end of a file's life is its own concern: what a stopped or failed run
 * leaves behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "results_csv.h"
#include "results_h5.h"
#include "results_impl.h"

/* Counts per status from the file itself, so that they agree with the
 * status column whatever was written (and rewritten). Only the chunks
 * stored are read: the others are all "not run" (the fill value), and
 * reading N rows of fill would make the finish of a large sweep stopped
 * early take minutes (10^12 rows: 8). */
struct count {
  psw_results_t *r;
  uint64_t *counts;
  uint64_t rows; /* read */
};

static int count_run(void *arg, uint64_t first, size_t cnt) {
  struct count *c = arg;
  int8_t *blk = (int8_t *)c->r->col; /* flushed: the scratch is free */
  if (psw__h5_read_block(c->r->status, H5T_NATIVE_INT8, c->r->dxpl, first, cnt,
                         blk) < 0)
    return PSW_ERR_IO;
  c->rows += cnt;
  for (size_t i = 0; i < cnt; i++)
    if (blk[i] >= 0 && blk[i] < PSW_RESULTS_NSTATUS)
      c->counts[blk[i]]++;
  return 0;
}

static int count_statuses(psw_results_t *r, uint64_t counts[]) {
  struct count c = {r, counts, 0};
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
    counts[s] = 0;
  if (psw__h5_stored_runs(r->status, r->cap * sizeof(double), NULL, count_run,
                          &c, NULL, 0))
    return -1;
  counts[PSW_ST_NOT_RUN] += r->n - c.rows;
  return 0;
}

static int final_attrs(psw_results_t *r, int completed, const uint64_t *given,
                       const char *when) {
  uint64_t counts[PSW_RESULTS_NSTATUS];
  char now[32];
  if (given)
    memcpy(counts, given, sizeof counts);
  else if (count_statuses(r, counts) < 0)
    return -1;
  if (when)
    snprintf(now, sizeof now, "%s", when);
  else
    psw__results_utc_now(now, sizeof now);
  if (psw__h5_attr_i64(r->file, "completed", completed ? 1 : 0) < 0 ||
      psw__h5_attr_string(r->file, "finished", now) < 0)
    return -1;
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
    if (psw__h5_attr_i64(r->file, psw__results_count_names[s],
                         (int64_t)counts[s]) < 0)
      return -1;
  return 0;
}

/* Close every HDF5 object of r; returns -1 if any close failed (the last
 * data reach the file in H5Fclose). */
static int close_all(psw_results_t *r) {
  int rc = 0;
  hid_t *cols[] = {&r->ss,      &r->status, &r->exit_code,
                   &r->elapsed, &r->worker, &r->node};
  for (size_t i = 0; r->values && i < r->nv; i++) {
    if (r->values[i] >= 0 && H5Dclose(r->values[i]) < 0)
      rc = -1;
    r->values[i] = H5I_INVALID_HID;
  }
  for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
    if (*cols[i] >= 0 && H5Dclose(*cols[i]) < 0)
      rc = -1;
    *cols[i] = H5I_INVALID_HID;
  }
  if (r->bool_type >= 0)
    H5Tclose(r->bool_type);
  r->bool_type = H5I_INVALID_HID;
  if (r->file >= 0 && H5Fclose(r->file) < 0)
    rc = -1;
  r->file = H5I_INVALID_HID;
  return rc;
}

static void free_all(psw_results_t *r) {
  free(r->path);
  free(r->csv);
  free(r->tmp);
  free(r->dir);
  free(r->values);
  free(r->idx);
  free(r->vals);
  free(r->st);
  free(r->ok);
  free(r->ec);
  free(r->el);
  free(r->wk);
  free(r->nd);
  free(r->order);
  free(r->col);
  free(r);
}

int psw__results_finish(psw_results_t *r, int completed, char *err,
                        size_t errlen) {
  return psw__results_finish_ex(r, completed, NULL, NULL, 1, err, errlen);
}

int psw__results_finish_ex(psw_results_t *r, int completed,
                           const uint64_t *counts, const char *when, int commit,
                           char *err, size_t errlen) {
  psw_h5_quiet_t q;
  int rc = PSW_ERR_IO;
  if (!r) {
    psw__results_errf(err, errlen, "results: invalid argument");
    return PSW_ERR_INVAL;
  }
  psw__h5_quiet_begin(&q);
  if (r->broken)
    goto out;
  if (psw__results_flush(r))
    goto out;
  if (final_attrs(r, completed, counts, when) < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot write the attributes",
                 r->tmp);
    goto out;
  }
  if (close_all(r) < 0) {
    psw__h5_errf(r->err, sizeof r->err, "%s: cannot close", r->tmp);
    goto out;
  }
  if (commit && psw__results_commit(r))
    goto out;
  /* WaterTAP's CSV from the file just renamed into place: results.h5 is
   * safe first, so a CSV that cannot be written (a wrong directory) costs
   * no results; the run then fails with the CSV's message, and --resume
   * writes it again. Only for a complete file, as WaterTAP writes it at
   * the end: a stopped sweep of 10^12 samples must not spend hours on
   * rows of NaN before it exits; --resume writes it when complete. */
  if (commit && r->csv && completed &&
      (rc = psw__results_write_csv(r->path, r->csv, r->err, sizeof r->err)))
    goto out;
  rc = 0;
out:
  if (rc) {
    psw__results_errf(err, errlen, "%s", r->err);
    psw__results_abort(r);
  } else {
    free_all(r);
  }
  psw__h5_quiet_end(&q);
  return rc;
}

void psw__results_abort(psw_results_t *r) {
  psw_h5_quiet_t q;
  int saved = errno;
  if (!r)
    return;
  psw__h5_quiet_begin(&q);
  close_all(r);
  H5Eclear2(H5E_DEFAULT);
  psw__h5_quiet_end(&q);
  if (r->tmp && !r->member) /* the group's leader removes a shared one */
    unlink(r->tmp);
  free_all(r);
  errno = saved;
}

/* Close a file laid out for MPI-IO writers without committing it (rank 0,
 * before the writers open it). */
int psw__results_close_layout(psw_results_t *r) {
  int rc = close_all(r) < 0 ? PSW_ERR_IO : 0;
  free_all(r);
  return rc;
}
