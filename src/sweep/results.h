/* parsweep — results.h5 (internal). Layout: SPEC §4, docs/results-format.md.
 *
 * The file is created with every dataset at its final size N (status 0,
 * outputs NaN), rows are written as they arrive through a bounded buffer,
 * and the file is built under a temporary name and renamed over the output
 * only when complete, so `output` is never half-written. */
#ifndef PSW_SWEEP_RESULTS_H
#define PSW_SWEEP_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "spec.h"

typedef struct psw_results psw_results_t;

/* Statuses 0..4 of enum psw_status; the root attributes counting them are
 * count_not_run, count_ok, count_failed, count_timeout, count_crashed. */
#define PSW_RESULTS_NSTATUS 5

typedef struct psw_results_meta {
  const char *backend; /* native backend name actually used */
  int nodes;
  int workers;
  const char *version;   /* parsweep_version; NULL: PSW_VERSION_STRING */
  size_t buffer_rows;    /* rows buffered between writes; 0: default (8Ki,
                            fewer for wide rows). Tests lower it. */
  const char *created;   /* the "created" attribute; NULL: now */
  const char *spec_hash; /* the "spec_hash" attribute (hex); NULL: none */
} psw_results_meta_t;

/* Create the file for `spec` (N = spec->total rows) at a temporary name
 * beside `path`, ".<base>.tmp.<pid>", created exclusively; `path` itself
 * is not touched before psw__results_finish. Returns 0, PSW_ERR_INVAL (a
 * parameter or output name HDF5 cannot hold: empty, ".", or with '/'),
 * PSW_ERR_IO or PSW_ERR_NOMEM, with a one-line message in err. */
int psw__results_create(const char *path, const psw_spec_t *spec,
                        const psw_results_meta_t *meta, psw_results_t **out,
                        char *err, size_t errlen);

/* Record rows (any order, each index once; a repeated index keeps the
 * last row written). Rows are copied. Buffered: memory stays bounded
 * whatever N is. Returns 0, PSW_ERR_INVAL (index >= N) or PSW_ERR_IO;
 * psw__results_error() has the message. After PSW_ERR_IO the file is
 * unusable: call psw__results_abort. */
int psw__results_write(psw_results_t *r, const psw_row_t *rows, size_t nrows);

/* The message of the last failed call on r ("" if none). Belongs to r. */
const char *psw__results_error(const psw_results_t *r);

/* The temporary file r is being built in (for messages and tests). */
const char *psw__results_tmp_path(const psw_results_t *r);

/* Flush, write the root attributes (completed = `completed`, counts per
 * status), close and rename over `path`. Frees r, also on error. */
int psw__results_finish(psw_results_t *r, int completed, char *err,
                        size_t errlen);

/* Abandon: close and remove the temporary file. Accepts NULL. */
void psw__results_abort(psw_results_t *r);

#endif /* PSW_SWEEP_RESULTS_H */
