/* parsweep — results.h5 writer: from the row buffer to the file.
 *
 * Rows arrive in any order; under dynamic scheduling they come mostly as
 * contiguous runs of indices, one per chunk of work. A flush sorts the
 * buffered slots by index, then for each dataset gathers its column in
 * that order and writes each contiguous run with one hyperslab write. */
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "results_h5.h"
#include "results_impl.h"

/* One dataset's source in the buffer: element of slot k at
 * base + k * stride, `size` bytes. */
struct column {
  hid_t dset;
  hid_t mtype;
  size_t size;
  const unsigned char *base;
  size_t stride;
};

static int slot_cmp(const void *a, const void *b) {
  const struct psw_results_slot *x = a, *y = b;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Sort r->order by (index, arrival) and keep, for a repeated index, the
 * row that arrived last. Returns the number of slots kept. */
static size_t sort_slots(psw_results_t *r) {
  size_t m = 0;
  int sorted = 1;
  for (size_t k = 0; k < r->len; k++) {
    r->order[k].index = r->idx[k];
    r->order[k].pos = k;
    if (k && r->idx[k] <= r->idx[k - 1])
      sorted = 0;
  }
  if (!sorted)
    qsort(r->order, r->len, sizeof *r->order, slot_cmp);
  for (size_t k = 0; k < r->len; k++)
    if (k + 1 == r->len || r->order[k + 1].index != r->order[k].index)
      r->order[m++] = r->order[k];
  return m;
}

static void gather(const psw_results_t *r, const struct column *c, size_t m) {
  unsigned char *dst = r->col;
  switch (c->size) {
  case 8:
    for (size_t j = 0; j < m; j++)
      memcpy(dst + 8 * j, c->base + r->order[j].pos * c->stride, 8);
    break;
  case 4:
    for (size_t j = 0; j < m; j++)
      memcpy(dst + 4 * j, c->base + r->order[j].pos * c->stride, 4);
    break;
  default:
    for (size_t j = 0; j < m; j++)
      memcpy(dst + c->size * j, c->base + r->order[j].pos * c->stride, c->size);
  }
}

/* Write the gathered column in one call through a point selection of the
 * m indices (r->points, built by select_points). */
static int write_points(psw_results_t *r, const struct column *c, size_t m) {
  hsize_t cnt[1] = {(hsize_t)m};
  hid_t ms = H5Screate_simple(1, cnt, NULL);
  int rc = -1;
  if (ms < 0)
    return -1;
  if (H5Dwrite(c->dset, c->mtype, ms, r->points, r->dxpl, r->col) >= 0)
    rc = 0;
  H5Sclose(ms);
  return rc;
}

/* Count the contiguous runs of the m sorted slots. */
static size_t count_runs(const psw_results_t *r, size_t m) {
  size_t runs = m ? 1 : 0;
  for (size_t j = 1; j < m; j++)
    runs += r->order[j].index != r->order[j - 1].index + 1;
  return runs;
}

/* The file space of every column (they all have N elements) with the m
 * sorted indices selected as points. */
_Static_assert(sizeof(hsize_t) <= sizeof(double),
               "coordinates must fit in the column scratch");

static hid_t select_points(psw_results_t *r, size_t m) {
  hsize_t *coord = (hsize_t *)r->col; /* free until the first gather */
  hid_t fs = H5Dget_space(r->status);
  if (fs < 0)
    return H5I_INVALID_HID;
  /* Sizes of hsize_t and of the largest element (double) agree, so the
   * coordinates fit in the column scratch; H5Sselect_elements copies them. */
  for (size_t j = 0; j < m; j++)
    coord[j] = (hsize_t)r->order[j].index;
  if (H5Sselect_elements(fs, H5S_SELECT_SET, m, coord) < 0) {
    H5Sclose(fs);
    return H5I_INVALID_HID;
  }
  return fs;
}

/* Write the gathered column run by run. */
static int write_runs(psw_results_t *r, const struct column *c, size_t m) {
  size_t j = 0;
  while (j < m) {
    size_t start = j;
    while (j + 1 < m && r->order[j + 1].index == r->order[j].index + 1)
      j++;
    j++;
    if (psw__h5_write_block(c->dset, c->mtype, r->dxpl, r->order[start].index,
                            j - start, r->col + start * c->size) < 0)
      return -1;
  }
  return 0;
}

int psw__results_flush(psw_results_t *r) {
  size_t m, runs, ncols = r->nv + 6;
  struct column *cols;
  psw_h5_quiet_t q;
  int rc = 0;
  if (r->broken)
    return PSW_ERR_IO;
  if (r->len == 0)
    return 0;
  cols = malloc(ncols * sizeof *cols);
  if (!cols) {
    psw__results_errf(r->err, sizeof r->err, "%s: out of memory", r->tmp);
    r->broken = 1;
    return PSW_ERR_NOMEM;
  }
  psw__h5_quiet_begin(&q);
  for (size_t c = 0; c < r->nv; c++)
    cols[c] = (struct column){r->values[c], H5T_NATIVE_DOUBLE, 8,
                              (const unsigned char *)(r->vals + c),
                              r->nv * sizeof(double)};
  cols[r->nv + 0] = (struct column){r->ss, r->bool_type, 1, r->ok, 1};
  cols[r->nv + 1] = (struct column){r->status, H5T_NATIVE_INT8, 1,
                                    (const unsigned char *)r->st, 1};
  cols[r->nv + 2] = (struct column){r->exit_code, H5T_NATIVE_INT32, 4,
                                    (const unsigned char *)r->ec, 4};
  cols[r->nv + 3] = (struct column){r->elapsed, H5T_NATIVE_DOUBLE, 8,
                                    (const unsigned char *)r->el, 8};
  cols[r->nv + 4] = (struct column){r->worker, H5T_NATIVE_INT32, 4,
                                    (const unsigned char *)r->wk, 4};
  cols[r->nv + 5] = (struct column){r->node, H5T_NATIVE_INT32, 4,
                                    (const unsigned char *)r->nd, 4};
  m = sort_slots(r);
  /* Contiguous runs are the rule; when rows came scattered, one write per
   * run would cost one HDF5 call per row and dataset (~2.5 us each, as
   * much as ~16 elements of a point selection): write all rows of the
   * flush through one point selection instead. */
  r->points = H5I_INVALID_HID;
  runs = count_runs(r, m);
  if (runs > PSW_RESULTS_MAX_RUNS && runs * PSW_RESULTS_SHORT_RUN > m) {
    r->points = select_points(r, m);
    if (r->points < 0) {
      psw__h5_errf(r->err, sizeof r->err, "%s: cannot select rows", r->tmp);
      r->broken = 1;
      rc = PSW_ERR_IO;
    }
  }
  for (size_t c = 0; !rc && c < ncols; c++) {
    gather(r, &cols[c], m);
    if ((r->points >= 0 ? write_points(r, &cols[c], m)
                        : write_runs(r, &cols[c], m)) < 0) {
      psw__h5_errf(r->err, sizeof r->err, "%s: cannot write rows", r->tmp);
      r->broken = 1;
      rc = PSW_ERR_IO;
      break;
    }
  }
  if (r->points >= 0)
    H5Sclose(r->points);
  r->points = H5I_INVALID_HID;
  r->len = 0;
  psw__h5_quiet_end(&q);
  free(cols);
  return rc;
}
