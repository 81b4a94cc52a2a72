/* parsweep tests — which rows of a chunked column are stored
 * (src/sweep/results_scan.c): runs of whole chunks in index order, merged
 * when adjacent, split at the block size, clipped at N; found from the
 * chunk index both ways (few chunks: by number; many: by lookup), without
 * reading the rows; a stop flag ends the scan. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "parsweep/error.h"
#include "results_h5.h"

#define C 8192ull       /* rows per chunk (PSW_H5_CHUNK) */
#define N 1000000005ull /* not a multiple of C */

struct got {
  uint64_t first[8192], count[8192];
  size_t n;
  int stop_after; /* set *stop after this many runs (0: never) */
  int *stop;
};

static int collect(void *arg, uint64_t first, size_t count) {
  struct got *g = arg;
  if (g->n < 8192) {
    g->first[g->n] = first;
    g->count[g->n] = count;
  }
  g->n++;
  if (g->stop_after && (int)g->n == g->stop_after)
    *g->stop = 1;
  return 0;
}

struct col {
  hid_t f, d;
};

/* A file with one [N] int8 column, chunks of C rows, where the chunks
 * listed hold a 1; opened again read-only. */
static struct col make(const char *path, const uint64_t *chunks,
                       size_t nchunks) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  int8_t zero = 0, one = 1;
  hid_t d = psw__h5_column(f, "status", H5T_STD_I8LE, N, &zero);
  for (size_t k = 0; k < nchunks; k++)
    CHECK_EQ(psw__h5_write_block(d, H5T_NATIVE_INT8, H5P_DEFAULT, chunks[k] * C,
                                 1, &one),
             0);
  H5Dclose(d);
  H5Fclose(f);
  struct col c = {H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), -1};
  c.d = H5Dopen2(c.f, "status", H5P_DEFAULT);
  CHECK(c.d >= 0);
  return c;
}

static void close_all(struct col c) {
  H5Dclose(c.d);
  H5Fclose(c.f);
}

/* Few chunks: 0, 1, 2 (one run), 10, and the last, partial one. */
static void few(const char *path) {
  const uint64_t last = (N - 1) / C;
  const uint64_t chunks[] = {0, 1, 2, 10, last};
  struct col d = make(path, chunks, 5);
  struct got g = {.n = 0};
  char err[256] = "";
  CHECK_EQ(psw__h5_stored_runs(d.d, 2 * C, NULL, collect, &g, err, sizeof err),
           0);
  CHECK_EQ(g.n, 4); /* [0, 2C) [2C, 3C) [10C, 11C) [last C, N) */
  CHECK_EQ(g.first[0], 0);
  CHECK_EQ(g.count[0], 2 * C);
  CHECK_EQ(g.first[1], 2 * C);
  CHECK_EQ(g.count[1], C);
  CHECK_EQ(g.first[2], 10 * C);
  CHECK_EQ(g.first[3], last * C);
  CHECK_EQ(g.count[3], N - last * C);
  close_all(d);
}

/* Many chunks (beyond the by-number limit), every 25th: one lookup per
 * chunk up to the last; and a stop ends it. */
static void many(const char *path) {
  enum { K = 4200 };
  static uint64_t chunks[K];
  for (size_t k = 0; k < K; k++)
    chunks[k] = 3 + k * 25;
  struct col d = make(path, chunks, K);
  struct got *g = calloc(1, sizeof *g);
  char err[256] = "";
  CHECK_EQ(psw__h5_stored_runs(d.d, C, NULL, collect, g, err, sizeof err), 0);
  CHECK_EQ(g->n, K);
  for (size_t k = 0; k < K && k < g->n; k++)
    if (g->first[k] != chunks[k] * C || g->count[k] != C) {
      CHECK_EQ(g->first[k], chunks[k] * C);
      break;
    }
  int stop = 0;
  memset(g, 0, sizeof *g);
  g->stop_after = 10;
  g->stop = &stop;
  CHECK_EQ(psw__h5_stored_runs(d.d, C, &stop, collect, g, err, sizeof err),
           PSW_ERR_INTERRUPTED);
  CHECK_EQ(g->n, 10);
  free(g);
  close_all(d);
}

/* Nothing stored: no run, no lookup. */
static void none(const char *path) {
  struct col d = make(path, NULL, 0);
  struct got g = {.n = 0};
  char err[256] = "";
  CHECK_EQ(psw__h5_stored_runs(d.d, C, NULL, collect, &g, err, sizeof err), 0);
  CHECK_EQ(g.n, 0);
  close_all(d);
}

int main(void) {
  char path[] = "/tmp/psw-test-scan-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return 1;
  close(fd);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  few(path);
  many(path);
  none(path);
  unlink(path);
  return check_failures() ? 1 : 0;
}
