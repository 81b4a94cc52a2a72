/* parsweep fuzz target — the results.h5 reader of `run --resume`, `show`
 * and `status` (src/sweep/results_read.c, results_h5_read.c,
 * results_scan.c).
 *
 * Structure-aware: the input describes a results file (N; each column's
 * presence, rank, length, type, layout, fill value and first values; the
 * variables; the count attributes; a truncation), which is built with
 * HDF5 in memory (core driver, no file) and handed to the reader as a file
 * image (psw__results_open_image). Mutating the bytes of a real file
 * instead fuzzes libhdf5's own parser, which leaks and allocates without
 * bound on corrupt metadata within seconds (HDF5 1.10) — not this code.
 * The layout of an input is in tests/fuzz/README.md; corpus/results holds
 * seeds for the cases of docs/reliability.md (truncated, wrong types and
 * shapes, status out of range, huge dims, bad count attributes).
 *
 * Contracts beyond the sanitizers: every failure has a one-line message; a
 * file that opens describes itself consistently; what the status scan
 * hands over (what --resume and `status` count by) is a status of 0..4,
 * inside [0, N), in order. Work is bounded whatever N says. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsweep/error.h"
#include "results_read.h"

#include "input.h"
#include "require.h"

#define ROWS 64      /* rows read at each end */
#define BLOCK 4096   /* the status scan's block */
#define MAX_BLOCKS 8 /* blocks of the scan looked at */
#define MAX_VALUES 64

static const uint64_t n_table[16] = {
    0,    1,    2,    3,    5,        8,          64,         65,
    4095, 4096, 4097, 1000, 1u << 31, 1ull << 40, 1ull << 62, 0};

/* --- building the file ------------------------------------------------- */

static void one_line(const char *err) {
  REQUIRE(err[0] != '\0');
  REQUIRE(strchr(err, '\n') == NULL);
}

/* The file type of a descriptor's type byte. */
static hid_t file_type(uint8_t t, hid_t boolt, hid_t str4) {
  switch (t % 9) {
  case 0:
    return H5T_STD_I8LE;
  case 1:
    return H5T_STD_U8LE;
  case 2:
    return H5T_STD_I16LE;
  case 3:
    return H5T_STD_I32LE;
  case 4:
    return H5T_STD_I64LE;
  case 5:
    return H5T_IEEE_F32LE;
  case 6:
    return H5T_IEEE_F64LE;
  case 7:
    return str4;
  default:
    return boolt;
  }
}

/* One dataset at `path` (groups on the way made), from a 4-byte
 * descriptor and up to MAX_VALUES values. */
static void column(struct in *in, hid_t file, const char *path, uint64_t n,
                   hid_t boolt, hid_t str4) {
  uint8_t a = byte(in), t = byte(in), fill = byte(in);
  uint8_t k = byte(in) % (MAX_VALUES + 1);
  int8_t vals[MAX_VALUES];
  for (int i = 0; i < k; i++)
    vals[i] = (int8_t)byte(in);
  if (a & 1)
    return;                /* absent */
  int rank = (a >> 1) & 3; /* 0: 1-D, 1: scalar, 2 and 3: 2-D */
  uint64_t len = n;
  switch ((a >> 3) & 3) {
  case 1:
    len = n ? n - 1 : 0;
    break;
  case 2:
    len = n + 1;
    break;
  case 3:
    len = 0;
    break;
  }
  int chunked = (a & 0x20) || len > 65536; /* never allocate N bytes */
  hsize_t dims[2] = {len, 2}, maxd[2] = {H5S_UNLIMITED, 2};
  hsize_t chunk[2] = {len < 1024 ? (len ? len : 1) : 1024, 2};
  hid_t space =
      rank == 1 ? H5Screate(H5S_SCALAR)
                : H5Screate_simple(rank ? 2 : 1, dims, chunked ? maxd : NULL);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t ft = file_type(t, boolt, str4);
  H5Pset_create_intermediate_group(lcpl, 1);
  if (chunked && rank != 1)
    H5Pset_chunk(dcpl, rank ? 2 : 1, chunk);
  if (t % 9 == 0 || t % 9 == 1)
    H5Pset_fill_value(dcpl, H5T_NATIVE_INT8, &fill);
  hid_t d = H5Dcreate2(file, path, ft, space, lcpl, dcpl, H5P_DEFAULT);
  if (d >= 0 && k && rank != 1) {
    /* the first values of the first column; int8 converted by HDF5 (the
     * enum and the string take the bytes as they are) */
    hsize_t start[2] = {0, 0}, cnt[2] = {k < len ? k : len, 1};
    hid_t mt = t % 9 == 8 ? boolt : t % 9 == 7 ? H5T_NATIVE_UCHAR : 0;
    hid_t mspace = H5Screate_simple(1, cnt, NULL);
    if (cnt[0] && t % 9 != 7 &&
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, cnt, NULL) >= 0)
      H5Dwrite(d, mt ? mt : H5T_NATIVE_INT8, mspace, space, H5P_DEFAULT, vals);
    H5Sclose(mspace);
  } else if (d >= 0 && rank == 1 && t % 9 != 7) {
    H5Dwrite(d, t % 9 == 8 ? boolt : H5T_NATIVE_INT8, H5S_ALL, H5S_ALL,
             H5P_DEFAULT, vals);
  }
  if (d >= 0)
    H5Dclose(d);
  H5Pclose(dcpl);
  H5Pclose(lcpl);
  H5Sclose(space);
}

static void attr_i64(hid_t file, const char *name, int64_t v, int as_text) {
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t t = as_text ? H5Tcopy(H5T_C_S1) : H5Tcopy(H5T_STD_I64LE);
  char text[8] = "7";
  if (as_text)
    H5Tset_size(t, sizeof text);
  hid_t a = H5Acreate2(file, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    H5Awrite(a, as_text ? t : H5T_NATIVE_INT64,
             as_text ? (const void *)text : (const void *)&v);
    H5Aclose(a);
  }
  H5Tclose(t);
  H5Sclose(s);
}

static const char *const col_path[6] = {
    "parsweep/status",    "solve_successful/solve_successful",
    "parsweep/exit_code", "parsweep/elapsed",
    "parsweep/worker",    "parsweep/node"};
static const char *const var_names[4] = {"a", "b b", "fs.x[0,1]", "y"};
static const char *const count_names[5] = {"count_not_run", "count_ok",
                                           "count_failed", "count_timeout",
                                           "count_crashed"};

/* The image of the file the input describes, malloc'd; NULL if HDF5
 * refused to make it. */
static void *build(struct in *in, size_t *len) {
  uint8_t nsel = byte(in), flags = byte(in), vars = byte(in);
  uint64_t n = n_table[nsel % 16];
  if (nsel % 16 == 15) { /* any N below 2^62, from the next 8 bytes */
    for (int i = 0; i < 8; i++)
      n = n << 8 | byte(in);
    n &= (1ull << 62) - 1;
  }
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);
  hid_t file = H5Fcreate("fuzz-build.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (file < 0)
    return NULL;
  hid_t boolt = H5Tenum_create(H5T_NATIVE_UINT8), str4 = H5Tcopy(H5T_C_S1);
  uint8_t f0 = 0, f1 = 1;
  H5Tenum_insert(boolt, "FALSE", &f0);
  H5Tenum_insert(boolt, "TRUE", &f1);
  H5Tset_size(str4, 4);
  for (int c = 0; c < 6; c++)
    column(in, file, col_path[c], n, boolt, str4);
  char path[64];
  for (unsigned v = 0; v < (vars & 3u) + ((vars >> 2) & 3u); v++) {
    int param = v < (vars & 3u);
    /* flag bit 4: the variable is a dataset, not a group holding "value" */
    snprintf(path, sizeof path, "%s/%s%s", param ? "sweep_params" : "outputs",
             var_names[v % 4], (flags & 0x10) ? "" : "/value");
    column(in, file, path, n, boolt, str4);
  }
  if (flags & 2)
    for (int s = 0; s < 5; s++)
      /* flag bit 5: scaled to N (counts that may add up on a large N) */
      attr_i64(file, count_names[s],
               (int64_t)((uint64_t)(int8_t)byte(in) *
                         (flags & 0x20 ? n / 4 + 1 : 1)), /* wraps */
               (flags & 4) != 0);
  H5Tclose(boolt);
  H5Tclose(str4);
  void *image = NULL;
  ssize_t size = H5Fflush(file, H5F_SCOPE_GLOBAL) < 0
                     ? -1
                     : H5Fget_file_image(file, NULL, 0);
  if (size > 0 && (image = malloc((size_t)size)) &&
      H5Fget_file_image(file, image, (size_t)size) != size) {
    free(image);
    image = NULL;
  }
  H5Fclose(file);
  *len = size > 0 ? (size_t)size : 0;
  if (image && (flags & 1)) /* truncated at a fraction of its length */
    *len = *len * (byte(in) + 1u) / 257u;
  return image;
}

/* --- reading it, as --resume, show and status do ---------------------- */

struct seen {
  uint64_t n, next, blocks;
};

static int on_status(void *arg, uint64_t first, const int8_t *st,
                     size_t count) {
  struct seen *s = arg;
  REQUIRE(first >= s->next && count <= BLOCK && count <= s->n - first);
  for (size_t k = 0; k < count; k++)
    REQUIRE(st[k] >= 0 && st[k] < PSW_RESULTS_NSTATUS);
  s->next = first + count;
  return ++s->blocks >= MAX_BLOCKS ? 1 : 0; /* 1: enough, stop */
}

static void read_rows(psw_results_file_t *f, const psw_results_info_t *in,
                      uint64_t first, size_t cnt) {
  static double params[ROWS * 4], outputs[ROWS * 4], elapsed[ROWS], col[ROWS];
  static uint8_t ss[ROWS];
  static int8_t status[ROWS];
  static int32_t exit_code[ROWS], worker[ROWS], node[ROWS];
  char err[512] = "";
  psw_results_block_t b = {.params = in->nparams <= 4 ? params : NULL,
                           .outputs = in->noutputs <= 4 ? outputs : NULL,
                           .solve_successful = ss,
                           .status = status,
                           .exit_code = exit_code,
                           .elapsed = elapsed,
                           .worker = worker,
                           .node = node};
  if (psw__results_read_rows(f, first, cnt, &b, err, sizeof err) ||
      psw__results_check_status(f, first, status, cnt, err, sizeof err))
    one_line(err);
  for (size_t i = 0; i < in->nparams && i < 4; i++)
    if (psw__results_read_param(f, i, first, cnt, col, err, sizeof err))
      one_line(err);
  for (size_t i = 0; i < in->noutputs && i < 4; i++)
    if (psw__results_read_output(f, i, first, cnt, col, err, sizeof err))
      one_line(err);
  /* Out of range is refused, never read. */
  REQUIRE(psw__results_read_rows(f, in->n, 1, &b, err, sizeof err) ==
          PSW_ERR_INVAL);
  REQUIRE(psw__results_read_param(f, in->nparams, 0, 0, col, err, sizeof err) ==
          PSW_ERR_INVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct in inp = {data, size};
  size_t len = 0;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* building may fail: quietly */
  void *image = build(&inp, &len);
  if (!image)
    return 0;
  /* PSW_FUZZ_DUMP=FILE: the file an input describes, for h5dump or show */
  const char *dump = getenv("PSW_FUZZ_DUMP");
  FILE *df = dump ? fopen(dump, "wb") : NULL;
  if (df) {
    fwrite(image, 1, len, df);
    fclose(df);
  }
  psw_results_file_t *f = NULL;
  char err[512] = "";
  int rc = psw__results_open_image(image, len, "fuzz.h5", &f, err, sizeof err);
  free(image); /* copied by the open */
  if (rc) {
    REQUIRE(f == NULL);
    one_line(err);
    return 0;
  }
  const psw_results_info_t *in = psw__results_info(f);
  for (size_t i = 0; i < in->nparams; i++)
    REQUIRE(in->params[i] != NULL);
  for (size_t i = 0; i < in->noutputs; i++)
    REQUIRE(in->outputs[i] != NULL);
  if (in->has_counts) { /* kept only when they add up to N */
    uint64_t sum = 0;
    for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
      sum += in->counts[s];
    REQUIRE(sum == in->n);
  }
  struct seen s = {in->n, 0, 0};
  err[0] = '\0';
  rc = psw__results_scan_status(f, BLOCK, NULL, on_status, &s, err, sizeof err);
  if (rc && rc != 1)
    one_line(err);
  size_t head = in->n < ROWS ? (size_t)in->n : ROWS;
  read_rows(f, in, 0, head);
  if (in->n > ROWS)
    read_rows(f, in, in->n - ROWS, ROWS);
  psw__results_close(f);
  return 0;
}
