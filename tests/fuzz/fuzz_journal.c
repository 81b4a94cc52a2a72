/* parsweep fuzz target — the journal reader of `run --resume`
 * (src/sweep/journal.c: psw__journal_scan, psw__journal_count_recorded).
 *
 * Structure-aware, like fuzz_results: a journal whose records fail their
 * XXH3 checksum is only a torn tail, so the input describes a journal and
 * the target writes it with checksums that hold (unless the input asks
 * for a wrong one), then scans it as --resume does. Layout (bytes past the
 * end read as 0): 1 byte parameters (0-3), 1 byte outputs (1-3), 1 byte N
 * (0-255), 1 byte header flags (1 wrong magic, 2 wrong checksum, 4 other
 * N, 8 other hash, 16 cut inside the header, 32 a trailing partial
 * record), then records: 1 flag byte (1: wrong checksum) and the record's
 * bytes before its checksum (index, elapsed, exit code, worker, node,
 * status, padding, values), as many as the input holds (at most 64).
 *
 * Contracts beyond the sanitizers: every error has a one-line message;
 * every row handed to the caller has an index below N and a status of
 * 1..4, and comes from a record whose checksum held. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "journal.h"
#include "parsweep/error.h"
#include "spec.h"

#include "input.h"
#include "require.h"

#define HEADER 64
#define FIXED 32
#define MAX_RECORDS 64

static char dir[256], output[300], journal[320];

static void cleanup(void) {
  unlink(journal);
  rmdir(dir);
}

/* The journal is a file beside an output: one directory of our own. */
static void setup(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/psw-fuzz-journal-%d", tmp ? tmp : "/tmp",
           (int)getpid());
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    abort();
  snprintf(output, sizeof output, "%s/r.h5", dir);
  snprintf(journal, sizeof journal, "%s/.r.h5.journal.0", dir);
  atexit(cleanup);
}

struct seen {
  uint64_t n, rows;
};

static int on_row(const psw_row_t *row, void *arg) {
  struct seen *s = arg;
  REQUIRE(row->index < s->n);
  REQUIRE(row->ev.status >= 1 && row->ev.status <= 4);
  s->rows++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t hash[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                   9, 10, 11, 12, 13, 14, 15, 16};
  if (!dir[0])
    setup();
  struct in in = {data, size};
  size_t np = byte(&in) % 4, no = byte(&in) % 3 + 1;
  uint64_t n = byte(&in);
  uint8_t hflags = byte(&in);
  psw_spec_t spec = {
      .path = "fuzz.yaml", .nparams = np, .noutputs = no, .total = n};
  size_t rs = FIXED + 8 * (np + no) + 8;

  /* The header, as journal.c writes it (host byte order). */
  unsigned char h[HEADER] = {0};
  uint32_t v = 1, hs = HEADER, p32 = (uint32_t)np, o32 = (uint32_t)no;
  uint64_t hn = hflags & 4 ? n + 1 : n;
  memcpy(h, hflags & 1 ? "PSWJRNL2" : "PSWJRNL1", 8);
  memcpy(h + 8, &v, 4);
  memcpy(h + 12, &hs, 4);
  memcpy(h + 16, &hn, 8);
  memcpy(h + 24, &p32, 4);
  memcpy(h + 28, &o32, 4);
  memcpy(h + 32, hash, 16);
  h[32] ^= (uint8_t)(hflags & 8);
  uint64_t c = XXH3_64bits(h, 56) ^ (hflags & 2);
  memcpy(h + 56, &c, 8);

  FILE *f = fopen(journal, "wb");
  REQUIRE(f != NULL);
  size_t written = fwrite(h, 1, hflags & 16 ? HEADER / 2 : HEADER, f);
  unsigned char rec[FIXED + 8 * 6 + 8];
  for (int k = 0; k < MAX_RECORDS && in.n; k++) {
    uint8_t rflags = byte(&in);
    for (size_t i = 0; i < rs - 8; i++)
      rec[i] = byte(&in);
    uint64_t rc = XXH3_64bits(rec, rs - 8) ^ (rflags & 1);
    memcpy(rec + rs - 8, &rc, 8);
    written += fwrite(rec, 1, rs, f);
  }
  if (hflags & 32)
    written += fwrite(rec, 1, rs / 2, f);
  REQUIRE(fclose(f) == 0);

  psw_journal_scan_t js;
  struct seen s = {n, 0};
  char err[512] = "";
  int rc =
      psw__journal_scan(output, &spec, hash, on_row, &s, &js, err, sizeof err);
  if (rc) {
    REQUIRE(err[0] && !strchr(err, '\n'));
  } else {
    REQUIRE(js.files == 1 && js.records == s.rows);
  }
  /* A journal without room for a record never counts as finished
   * samples (nor gives a row). */
  if (written < HEADER + rs)
    REQUIRE(psw__journal_count_recorded(output, &spec) == 0 && s.rows == 0);
  unlink(journal);
  return 0;
}
