/* parsweep — the results.h5 writer's state (internal to results*.c). */
#ifndef PSW_SWEEP_RESULTS_IMPL_H
#define PSW_SWEEP_RESULTS_IMPL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* Rows buffered between flushes: 8Ki rows (one chunk), fewer when a row is
 * wide, so the buffer stays near PSW_RESULTS_BUFFER_BYTES whatever N is: a
 * sweep of 10^4 samples fills it as much as one of 10^7 (flat memory). */
#define PSW_RESULTS_BUFFER_ROWS ((size_t)8192)
#define PSW_RESULTS_BUFFER_BYTES ((size_t)2 << 20)

/* A flush of more than PSW_RESULTS_MAX_RUNS contiguous runs, averaging
 * fewer than PSW_RESULTS_SHORT_RUN rows, writes through one point
 * selection per dataset instead of one hyperslab write per run. */
#define PSW_RESULTS_MAX_RUNS ((size_t)64)
#define PSW_RESULTS_SHORT_RUN ((size_t)16)

/* Root attribute names of the status counts, by status value. */
extern const char *const psw__results_count_names[PSW_RESULTS_NSTATUS];

/* A buffered row's place after sorting: its sample index and its slot. */
struct psw_results_slot {
  uint64_t index;
  size_t pos;
};

struct psw_results {
  char *path; /* the output, replaced at finish */
  char *tmp;  /* where the file is built */
  char *dir;  /* their directory, fsync'ed after the rename */
  char *csv;  /* csv_results_file_name: written after the rename, or NULL */
  hid_t file;
  hid_t dxpl; /* transfer properties of every write (H5P_DEFAULT serial) */
  hid_t bool_type;
  uint64_t n;
  size_t nparams, noutputs, nv; /* nv = nparams + noutputs */

  /* Datasets: values[0..nparams) sweep_params, then outputs. */
  hid_t *values;
  hid_t ss, status, exit_code, elapsed, worker, node;

  /* Rows received since the last flush, in arrival order (slot k). */
  size_t cap, len;
  uint64_t *idx;
  double *vals; /* len x nv, row-major */
  int8_t *st;
  uint8_t *ok;
  int32_t *ec;
  double *el;
  int32_t *wk, *nd;

  /* Flush scratch: the slots sorted by index, one gathered column. */
  struct psw_results_slot *order;
  unsigned char *col;
  hid_t points; /* during a scattered flush: the rows as a point selection */

  int broken; /* a write failed: only abort (or finish's error) remains */
  int member; /* one of several MPI-IO writers, not the one that named the
                 temporary file (and renames or removes it) */
  char err[256];
};

/* psw__results_create with explicit property lists (the MPI-IO path
 * passes an mpio fapl) and, for the members of an MPI-IO group, the
 * temporary name its leader made (NULL: make one). */
int psw__results_create_with(const char *path, const char *given_tmp,
                             const psw_spec_t *spec,
                             const psw_results_meta_t *meta, hid_t fapl,
                             hid_t dxpl, psw_results_t **out, char *err,
                             size_t errlen);

/* Open the datasets of a file laid out by psw__results_create (at tmp) for
 * writing through fapl; the result is a member (never renames). */
int psw__results_open_with(const char *path, const char *tmp,
                           const psw_spec_t *spec, hid_t fapl,
                           psw_results_t **out, char *err, size_t errlen);

/* Close a laid-out file without renaming it; frees r. */
int psw__results_close_layout(psw_results_t *r);

/* psw__results_finish with the counts per status given (NULL: counted from
 * the file), the "finished" time given (NULL: now), and the rename done
 * only when commit is set (one process of an MPI-IO group). */
int psw__results_finish_ex(psw_results_t *r, int completed,
                           const uint64_t *counts, const char *when, int commit,
                           char *err, size_t errlen);

/* The spec's names can be the file's links: 0, or PSW_ERR_INVAL with err
 * naming the one that cannot (results_layout.c). */
int psw__results_check_spec(const psw_spec_t *spec, char *err, size_t errlen);
/* Every group and dataset at its final size, empty (fill values), and the
 * root attributes: 0 or -1 (results_layout.c). */
int psw__results_layout(psw_results_t *r, const psw_spec_t *spec,
                        const psw_results_meta_t *meta);

/* Write every buffered row to the file and empty the buffer. Returns 0 or
 * PSW_ERR_IO with r->err set; on error r->broken is set. */
int psw__results_flush(psw_results_t *r);

/* Create the temporary HDF5 file beside `path`, ".<base>.tmp.<pid>[.<k>]",
 * exclusively (H5F_ACC_EXCL: O_CREAT|O_EXCL, which never follows a
 * symlink another user planted at that name), mode 0666 less the umask,
 * with file access list fapl: two runs never share it, and nothing is
 * written through a name that is not ours. Fills r->file, r->tmp and
 * r->dir. Returns 0, PSW_ERR_IO (r->err says why) or PSW_ERR_NOMEM. */
int psw__results_make_tmp(psw_results_t *r, hid_t fapl);

/* Rank 0 of an MPI-IO group: the temporary file given to create_with is
 * its own (it renames or removes it). Returns 0 or PSW_ERR_NOMEM. */
int psw__results_adopt_tmp(psw_results_t *r);

/* Make the closed temporary file durable and rename it over r->path:
 * fsync the file, rename, fsync the directory. Returns 0 or PSW_ERR_IO. */
int psw__results_commit(psw_results_t *r);

/* "YYYY-MM-DDTHH:MM:SSZ" for now, in UTC. */
void psw__results_utc_now(char *buf, size_t len);

/* Write msg to the one-line error buffer (err may be NULL). */
void psw__results_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PSW_SWEEP_RESULTS_IMPL_H */
