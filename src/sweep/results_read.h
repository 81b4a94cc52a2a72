/* parsweep — reading a results.h5 (internal): `parsweep show`, `status`
 * and `run --resume`.
 *
 * Columns are read in blocks chosen by the caller, so memory stays bounded
 * whatever N is. Every function returns 0 or a negative psw_err_t and, where
 * it takes one, writes a one-line message (no newline) to err. */
#ifndef PSW_SWEEP_RESULTS_READ_H
#define PSW_SWEEP_RESULTS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

typedef struct psw_results_file psw_results_file_t;

/* What a results.h5 says about itself: its root attributes and the names
 * of its variables (in the order of the spec when the file recorded it,
 * else by name). Strings absent from the file are NULL. All of it belongs
 * to the psw_results_file_t. */
typedef struct psw_results_info {
  uint64_t n; /* N, the length of every column */
  size_t nparams, noutputs;
  char **params;  /* /sweep_params/<name> */
  char **outputs; /* /outputs/<name> */
  char *version;  /* parsweep_version */
  char *backend;
  char *created;
  char *spec_hash;        /* hex; NULL in files of parsweep before 0.2 */
  char *finished;         /* set at finish */
  char *spec;             /* the YAML text */
  int64_t nodes, workers; /* -1 when absent */
  uint64_t seed;
  int completed; /* 0/1; 0 when absent */
  /* count_* attributes by status; has_counts = 0 when absent (compute
   * them from the status column instead). */
  int has_counts;
  uint64_t counts[PSW_RESULTS_NSTATUS];
} psw_results_info_t;

/* One block of rows, as the caller provides it: arrays of `count`
 * elements, params/outputs `count x nparams|noutputs` row-major. Any
 * pointer may be NULL to skip that column. */
typedef struct psw_results_block {
  double *params;
  double *outputs;
  uint8_t *solve_successful;
  int8_t *status;
  int32_t *exit_code;
  double *elapsed;
  int32_t *worker;
  int32_t *node;
} psw_results_block_t;

/* Open `path` read-only. Fails with PSW_ERR_IO when the file cannot be
 * opened as HDF5, PSW_ERR_PARSE when it is not a parsweep results file
 * (no /parsweep/status, columns of different lengths), PSW_ERR_NOMEM. */
int psw__results_open(const char *path, psw_results_file_t **out, char *err,
                      size_t errlen);

/* psw__results_open on an HDF5 file image of len bytes held in memory
 * (copied; `name` stands for the path in messages): the fuzz target of
 * the reader (tests/fuzz/fuzz_results.c) reads corrupt files this way. */
int psw__results_open_image(const void *image, size_t len, const char *name,
                            psw_results_file_t **out, char *err, size_t errlen);

/* Close and free. Accepts NULL. */
void psw__results_close(psw_results_file_t *f);

/* The file's description. Never NULL; belongs to f. */
const psw_results_info_t *psw__results_info(const psw_results_file_t *f);

/* Read column i of /sweep_params (or /outputs) for rows [first,
 * first + count) into out[count]. Returns 0, PSW_ERR_INVAL (out of range)
 * or PSW_ERR_IO. */
int psw__results_read_param(psw_results_file_t *f, size_t i, uint64_t first,
                            size_t count, double *out, char *err,
                            size_t errlen);
int psw__results_read_output(psw_results_file_t *f, size_t i, uint64_t first,
                             size_t count, double *out, char *err,
                             size_t errlen);

/* Read the columns of b that are not NULL for rows [first, first + count):
 * everything needed to rebuild psw_row_t values (resume copies them into a
 * new file through psw__results_write). */
int psw__results_read_rows(psw_results_file_t *f, uint64_t first, size_t count,
                           const psw_results_block_t *b, char *err,
                           size_t errlen);

/* 0 when every value of status[count] (rows first...) is a status this
 * version knows (0..4, SPEC §4); else PSW_ERR_PARSE and "FILE:
 * /parsweep/status[ROW] = V is not a status ..." in err. A file edited by
 * hand or written by a newer parsweep may hold others: whoever uses a
 * status as an index or to decide what to run checks it first. */
int psw__results_check_status(const psw_results_file_t *f, uint64_t first,
                              const int8_t *status, size_t count, char *err,
                              size_t errlen);

/* The rows of f that hold anything: fn(arg, first, count) for runs of
 * stored rows (whole chunks of /parsweep/status that exist in the file),
 * in index order, at most `block` rows each (0: 64Ki). The rows fn does
 * not see were never written: "not run" (status 0, the column's fill
 * value, checked), NaN values. Only the chunk index is read
 * (results_scan.c), so a sweep of 10^12 samples stopped after 10^6 is
 * scanned in milliseconds, not minutes. A non-zero return from fn stops
 * and is returned (fn writes its own message); once *stop (may be NULL,
 * read atomically) is set, returns PSW_ERR_INTERRUPTED within ~10 ms;
 * PSW_ERR_PARSE for a fill value other than 0 or a chunk index that does
 * not match the column. For show, status and --resume. */
typedef int (*psw_results_run_fn)(void *arg, uint64_t first, size_t count);
int psw__results_stored(psw_results_file_t *f, size_t block, const int *stop,
                        psw_results_run_fn fn, void *arg, char *err,
                        size_t errlen);

/* Stream the stored rows of /parsweep/status of the open file f, in
 * blocks of at most `block` rows (0: 64Ki): fn(arg, first, status, count)
 * for each stored block (psw__results_stored), in order; a non-zero
 * return from fn stops and is returned. The rows fn does not see are "not
 * run". Every block is checked by psw__results_check_status before fn
 * sees it. */
typedef int (*psw_results_status_fn)(void *arg, uint64_t first,
                                     const int8_t *status, size_t count);
int psw__results_scan_status(psw_results_file_t *f, size_t block,
                             const int *stop, psw_results_status_fn fn,
                             void *arg, char *err, size_t errlen);

/* psw__results_scan_status on `path`, opened for it; *n_out (may be NULL)
 * receives N. */
int psw__results_read_status(const char *path, size_t block,
                             psw_results_status_fn fn, void *arg,
                             uint64_t *n_out, char *err, size_t errlen);

#endif /* PSW_SWEEP_RESULTS_READ_H */
