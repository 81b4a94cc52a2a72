/* parsweep — which rows of a results.h5 column are stored at all.
 *
 * Every [N] column is chunked and HDF5 allocates a chunk only when one of
 * its rows is written, so a sweep of 10^12 samples stopped after 10^6 has
 * ~125 chunks on disk and 10^12 rows of fill value that are not. Reading
 * those rows (H5Dread) costs ~16 us per chunk (a chunk map, a selection
 * and a memset each): 20 s for 10^10 rows, 8 minutes for 10^12, for a
 * file that holds almost nothing. The status scans (resume, the counts at
 * finish, show, status) read the stored chunks only. HDF5 1.10 has no
 * chunk iterator (H5Dchunk_iter is 1.14); H5Dget_chunk_info(idx) and
 * H5Dget_chunk_info_by_coord walk the whole chunk index on every call
 * (quadratic), but H5Dget_chunk_storage_size is one B-tree lookup
 * (~0.4 us, whatever the number of chunks): one per chunk, stopping once
 * the H5Dget_num_chunks chunks are found, which for a sweep (indices
 * handed out in order) is right after the last row recorded. */
#include <stdio.h>
#include <stdlib.h>

#include "parsweep/error.h"
#include "results_h5.h"

/* Lookups between two reads of *stop (~2 ms). */
#define STOP_POLL 4096u

/* Up to this many chunks (33 M rows), the index is asked for each chunk by
 * its number: H5Dget_chunk_info walks the index up to it, so k chunks cost
 * k^2/2 steps (4096: ~0.1 s, 20000: 3 s); beyond, one lookup per chunk up
 * to the last one found. */
#define BY_INDEX_MAX 4096u

struct runs {
  psw_h5_run_fn fn;
  void *arg;
  size_t block;
  uint64_t n;
  const int *stop;
};

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int stopped(const int *stop) {
  return stop && __atomic_load_n(stop, __ATOMIC_RELAXED);
}

/* Report the stored rows [first, end), in pieces of at most block rows. */
static int emit(const struct runs *r, uint64_t first, uint64_t end) {
  if (end > r->n)
    end = r->n;
  while (first < end) {
    size_t cnt = end - first < r->block ? (size_t)(end - first) : r->block;
    int rc = stopped(r->stop) ? PSW_ERR_INTERRUPTED : r->fn(r->arg, first, cnt);
    if (rc)
      return rc;
    first += cnt;
  }
  return 0;
}

/* Few chunks: their offsets straight from the index, whatever rows they
 * hold (a file edited to hold the last row is as quick as any). */
static int by_index(const struct runs *r, hid_t dset, hid_t space,
                    hsize_t nchunks, uint64_t c, char *err, size_t errlen) {
  uint64_t *off = malloc(nchunks * sizeof *off);
  int rc = 0;
  if (!off) {
    snprintf(err, errlen, "out of memory");
    return PSW_ERR_NOMEM;
  }
  for (hsize_t k = 0; k < nchunks && !rc; k++) {
    hsize_t o[1];
    unsigned mask;
    haddr_t addr;
    hsize_t size;
    if (H5Dget_chunk_info(dset, space, k, o, &mask, &addr, &size) < 0) {
      psw__h5_errf(err, errlen, "cannot read the chunk index");
      rc = PSW_ERR_IO;
    } else if (o[0] % c || o[0] >= r->n) {
      snprintf(err, errlen, "its chunk index lists a chunk at row %llu",
               (unsigned long long)o[0]);
      rc = PSW_ERR_PARSE;
    }
    off[k] = o[0];
  }
  if (!rc) /* the index lists them in order; sorted to be sure */
    qsort(off, nchunks, sizeof *off, cmp_u64);
  for (hsize_t k = 0, e; k < nchunks && !rc; k = e) {
    for (e = k + 1; e < nchunks && off[e] <= off[e - 1] + c; e++)
      ;
    rc = emit(r, off[k], off[e - 1] + c);
  }
  free(off);
  return rc;
}

/* Many chunks: a lookup per chunk, in order, until all are found (for a
 * sweep: just past the last row recorded). */
static int by_lookup(const struct runs *r, hid_t dset, hsize_t nchunks,
                     uint64_t c, char *err, size_t errlen) {
  uint64_t total = r->n / c + (r->n % c != 0), found = 0, run = 0, j = 0;
  int in_run = 0, rc = 0;
  for (; j < total && found < nchunks && !rc; j++) {
    if (j % STOP_POLL == 0 && stopped(r->stop)) {
      rc = PSW_ERR_INTERRUPTED;
      break;
    }
    hsize_t off[1] = {j * c}, size = 0;
    /* An unstored chunk is an error of this call, silenced by the caller
     * and dropped here. */
    int here = H5Dget_chunk_storage_size(dset, off, &size) >= 0;
    H5Eclear2(H5E_DEFAULT);
    if (here && !in_run)
      run = j;
    else if (!here && in_run)
      rc = emit(r, run * c, j * c);
    in_run = here;
    found += here;
  }
  if (!rc && in_run)
    rc = emit(r, run * c, j * c);
  if (!rc && found < nchunks) {
    /* The index counts chunks that no lookup finds (outside the extent,
     * or an unreadable index): rows could be lost without a word. */
    snprintf(err, errlen,
             "its chunk index lists %llu chunks, %llu of them are within its "
             "%llu rows",
             (unsigned long long)nchunks, (unsigned long long)found,
             (unsigned long long)r->n);
    rc = PSW_ERR_PARSE;
  }
  return rc;
}

int psw__h5_stored_runs(hid_t dset, size_t block, const int *stop,
                        psw_h5_run_fn fn, void *arg, char *err, size_t errlen) {
  struct runs r = {fn, arg, block ? block : 1, 0, stop};
  hid_t space = H5Dget_space(dset), dcpl = H5Dget_create_plist(dset);
  hsize_t dims[1], chunk[1], nchunks = 0;
  int rc = PSW_ERR_IO;
  if (space < 0 || dcpl < 0 || H5Sget_simple_extent_ndims(space) != 1 ||
      H5Sget_simple_extent_dims(space, dims, NULL) != 1) {
    psw__h5_errf(err, errlen, "not a 1-D dataset");
    goto out;
  }
  r.n = dims[0];
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) {
    /* Contiguous or compact (not written by parsweep): all of it is
     * stored, or reads as its fill; either way it has to be read. */
    rc = emit(&r, 0, r.n);
    goto out;
  }
  /* Flushes the chunk cache first, so that a file being written (the
   * counts at finish) has every chunk it wrote in its index. */
  if (H5Pget_chunk(dcpl, 1, chunk) != 1 || chunk[0] == 0 ||
      H5Dget_num_chunks(dset, space, &nchunks) < 0) {
    psw__h5_errf(err, errlen, "cannot read the chunk index");
    goto out;
  }
  uint64_t c = chunk[0], total = r.n / c + (r.n % c != 0);
  if (nchunks == total || nchunks == 0) /* complete, or empty */
    rc = nchunks ? emit(&r, 0, r.n) : 0;
  else if (nchunks <= BY_INDEX_MAX)
    rc = by_index(&r, dset, space, nchunks, c, err, errlen);
  else
    rc = by_lookup(&r, dset, nchunks, c, err, errlen);
out:
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (space >= 0)
    H5Sclose(space);
  return rc;
}
