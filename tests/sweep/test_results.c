/* Tests of the results.h5 writer and reader, and of `parsweep show`.
 *
 * usage: test_results CHECK_RESULTS_PY [PYTHON]   (default /usr/bin/python3,
 *        the Debian interpreter that has python3-h5py)
 *
 * The main file is checked twice: here through our reader, and by
 * check_results.py through h5py the way WaterTAP's analysis reads it. Both
 * sides compute the expected rows from the same formulas (row_state, the
 * values below), chosen exact in binary so that C and numpy agree to the
 * bit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"
#include "parsweep/error.h"
#include "results.h"
#include "results_fixture.h"
#include "results_read.h"

#if defined(__has_include)
#if __has_include(<parsweep/version.h>)
#include <parsweep/version.h>
#endif
#endif
#ifndef PSW_VERSION_STRING
#define PSW_VERSION_STRING "unknown" /* what results.c writes then */
#endif

int psw__cmd_show(int argc, char **argv);

#if defined(__SANITIZE_ADDRESS__)
/* ASan keeps freed memory in a quarantine of up to 256 MiB, so a writer
 * that frees what it allocates still looks as if it grew with N (HDF5
 * allocates and frees per write). A small quarantine lets
 * test_bounded_memory measure the writer; ASAN_OPTIONS still overrides. */
const char *__asan_default_options(void);
/* Visible: the project builds with hidden visibility, and libasan looks
 * this up dynamically. */
__attribute__((visibility("default"))) const char *
__asan_default_options(void) {
  return "quarantine_size_mb=4";
}
#endif

static const char *check_py;
static const char *python = "/usr/bin/python3";

/* ---- tests ------------------------------------------------------------- */

/* Write n rows through the default buffer, mostly in order: blocks of 64
 * rows with every 10th block delayed by one, the shape dynamic scheduling
 * produces. Returns the peak RSS afterwards (KiB). */
static long write_many(const char *path, uint64_t n) {
  char err[256] = "";
  psw_spec_t spec = make_spec(n);
  psw_results_meta_t meta = test_meta(0);
  psw_results_t *r = NULL;
  struct rusage ru;
  psw_row_t rows[64];
  double p[64][2], o[64][2];
  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  for (uint64_t b = 0; b < n / 64; b++) {
    uint64_t blk = b % 10 == 9 ? b - 1 : (b % 10 == 8 ? b + 1 : b);
    for (int k = 0; k < 64; k++) {
      rows[k] = make_row(blk * 64 + (uint64_t)k, n, p[k], o[k]);
      rows[k].ev.status = PSW_ST_OK;
    }
    CHECK_OK(psw__results_write(r, rows, 64));
  }
  CHECK_OK(psw__results_finish(r, 1, err, sizeof err));
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* write_many in a child process: its peak RSS (KiB), -1 on failure. Each
 * run starts from the same state, so that ASan's quarantine of memory
 * freed by an earlier run does not count against a later one. */
static long child_peak(const char *path, uint64_t n) {
  struct rusage ru;
  int status;
  pid_t pid = fork();
  if (pid == 0) {
    write_many(path, n);
    _exit(check_failures() ? 1 : 0);
  }
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return -1;
  return ru.ru_maxrss;
}

/* 10^6 rows, then 3 x 10^6: the peak RSS must not grow with N. Holding
 * the rows would take 61 bytes each (59 MiB for 10^6, 3 x that next). */
static int test_bounded_memory(void) {
  const uint64_t n = 1000000;
  char path[512], err[256] = "";
  struct rusage ru;
  long base, m1, m3,
      held_kb = (long)(n * (8 + 4 * 8 + 1 + 4 + 8 + 4 + 4) / 1024);
  path_of(path, sizeof path, "million.h5");
  getrusage(RUSAGE_SELF, &ru);
  base = ru.ru_maxrss;
  m1 = child_peak(path, n);
  m3 = child_peak(path, 3 * n);
  CHECK(m1 > 0 && m3 > 0);
  fprintf(stderr,
          "bounded memory: peak RSS +%ld KiB for 10^6 rows, +%ld KiB for "
          "3 x 10^6 (holding 10^6 rows: %ld KiB)\n",
          m1 - base, m3 - base, held_kb);
  CHECK(m3 - m1 < held_kb / 4);
#if !defined(__SANITIZE_ADDRESS__)
  /* ASan's redzones and quarantine inflate the absolute figure. */
  CHECK(m1 - base < held_kb / 2);
#endif
  {
    psw_results_file_t *f = NULL;
    double v[3];
    CHECK_OK(psw__results_open(path, &f, err, sizeof err));
    const psw_results_info_t *in = psw__results_info(f);
    CHECK_EQ(in->n, 3 * n);
    CHECK(in->has_counts);
    CHECK_EQ(in->counts[PSW_ST_OK], 3 * n);
    CHECK_OK(psw__results_read_param(f, 1, 2999935, 3, v, err, sizeof err));
    CHECK(v[0] == p1_of(2999935) && v[2] == p1_of(2999937));
    psw__results_close(f);
  }
  unlink(path);
  return 0;
}

/* The main file: written shuffled, checked by our reader and by h5py. */
static int test_write_and_check(uint64_t n) {
  char path[512], err[256] = "", nbuf[32];
  psw_spec_t spec = make_spec(n);
  psw_results_meta_t meta = test_meta(1000);
  psw_results_t *r = NULL;
  double p[2], o[2];
  psw_row_t bogus;
  path_of(path, sizeof path, "results.h5");
  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  /* A row recorded twice keeps the last one: write a wrong one first. */
  bogus = make_row(42, n, p, o);
  p[0] = -1;
  CHECK_OK(psw__results_write(r, &bogus, 1));
  CHECK_OK(write_shuffled(r, n));
  CHECK(!exists(path));
  CHECK_EQ(count_tmp("results.h5"), 1);
  CHECK_OK(psw__results_finish(r, 1, err, sizeof err));
  CHECK(exists(path));
  CHECK_EQ(count_tmp("results.h5"), 0);

  /* Through our reader, in blocks of 777 rows. */
  psw_results_file_t *f = NULL;
  uint64_t counts[PSW_RESULTS_NSTATUS] = {0};
  CHECK_OK(psw__results_open(path, &f, err, sizeof err));
  const psw_results_info_t *in = psw__results_info(f);
  CHECK_EQ(in->n, n);
  CHECK_EQ(in->nparams, 2);
  CHECK_EQ(in->noutputs, 2);
  CHECK(!strcmp(in->params[0], "membrane_cost"));
  CHECK(!strcmp(in->params[1], "recovery"));
  CHECK(!strcmp(in->outputs[0], "LCOW"));
  CHECK(!strcmp(in->outputs[1], "fs.energy[a,b]"));
  CHECK(in->backend && !strcmp(in->backend, "threads"));
  CHECK(in->version && !strcmp(in->version, "9.8.7"));
  CHECK(in->spec && !strcmp(in->spec, spec_text));
  CHECK(in->created && strlen(in->created) == 20 && in->created[19] == 'Z');
  CHECK_EQ(in->nodes, 2);
  CHECK_EQ(in->workers, 8);
  CHECK_EQ(in->seed, 7);
  CHECK_EQ(in->completed, 1);
  CHECK(in->has_counts);
  for (uint64_t first = 0; first < n; first += 777) {
    size_t cnt = n - first < 777 ? (size_t)(n - first) : 777;
    double pv[777 * 2], ov[777 * 2], el[777];
    int8_t st[777];
    uint8_t ok[777];
    int32_t ec[777], wk[777], nd[777];
    psw_results_block_t b = {pv, ov, ok, st, ec, el, wk, nd};
    CHECK_OK(psw__results_read_rows(f, first, cnt, &b, err, sizeof err));
    for (size_t k = 0; k < cnt; k++) {
      uint64_t i = first + k;
      int s = row_state(i, n);
      counts[s]++;
      CHECK_EQ(st[k], s);
      CHECK_EQ(ok[k], s == PSW_ST_OK);
      CHECK_EQ(ec[k], s ? exit_of(s) : 0);
      CHECK_EQ(wk[k], s ? (int32_t)(i % 7) : -1);
      CHECK_EQ(nd[k], s ? (int32_t)(i % 3) : -1);
      CHECK(el[k] == (s ? elapsed_of(i) : 0.0));
      if (s) {
        CHECK(pv[2 * k] == p0_of(i) && pv[2 * k + 1] == p1_of(i));
      } else {
        CHECK(isnan(pv[2 * k]) && isnan(pv[2 * k + 1]));
      }
      if (s == PSW_ST_OK) {
        CHECK(ov[2 * k] == o0_of(i) && ov[2 * k + 1] == o1_of(i));
      } else {
        CHECK(isnan(ov[2 * k]) && isnan(ov[2 * k + 1]));
      }
    }
  }
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
    CHECK_EQ(in->counts[s], counts[s]);
  CHECK_EQ(psw__results_read_param(f, 2, 0, 1, p, err, sizeof err),
           PSW_ERR_INVAL);
  CHECK_EQ(psw__results_read_output(f, 0, n - 1, 2, o, err, sizeof err),
           PSW_ERR_INVAL);
  psw__results_close(f);

  /* Through h5py. */
  snprintf(nbuf, sizeof nbuf, "%llu", (unsigned long long)n);
  char *argv[] = {(char *)python, (char *)check_py,  path,
                  nbuf,           (char *)spec_text, NULL};
  CHECK_EQ(run_argv(argv), 0);
  return 0;
}

static int status_cb(void *arg, uint64_t first, const int8_t *st,
                     size_t count) {
  uint64_t *c = arg;
  (void)first;
  for (size_t k = 0; k < count; k++)
    c[st[k]]++;
  c[PSW_RESULTS_NSTATUS]++; /* blocks */
  return 0;
}

static int stop_cb(void *arg, uint64_t first, const int8_t *st, size_t count) {
  (void)arg;
  (void)st;
  (void)count;
  return first > 0 ? 7 : 0;
}

static int test_read_status(uint64_t n) {
  char path[512], err[256];
  uint64_t c[PSW_RESULTS_NSTATUS + 1] = {0}, nn = 0;
  path_of(path, sizeof path, "results.h5");
  CHECK_OK(
      psw__results_read_status(path, 1000, status_cb, c, &nn, err, sizeof err));
  CHECK_EQ(nn, n);
  CHECK_EQ(c[PSW_RESULTS_NSTATUS], (n + 999) / 1000);
  for (uint64_t i = 0; i < n; i++)
    c[row_state(i, n)]--;
  for (int s = 0; s < PSW_RESULTS_NSTATUS; s++)
    CHECK_EQ(c[s], 0);
  CHECK_EQ(psw__results_read_status(path, 1000, stop_cb, NULL, NULL, err,
                                    sizeof err),
           7);
  return 0;
}

/* The output is replaced only at finish; abort leaves it as it was. */
static int test_atomic(void) {
  char path[512], err[256];
  psw_spec_t spec = make_spec(100);
  psw_results_meta_t meta = test_meta(0);
  psw_results_t *r = NULL;
  psw_row_t row;
  double p[2], o[2];
  char tmp[600];
  path_of(path, sizeof path, "atomic.h5");
  CHECK_EQ(write_file(path, "old contents\n"), 0);

  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  snprintf(tmp, sizeof tmp, "%s", psw__results_tmp_path(r));
  CHECK(strstr(tmp, "/.atomic.h5.tmp.") != NULL);
  CHECK(exists(tmp));
  row = make_row(3, 100, p, o);
  CHECK_OK(psw__results_write(r, &row, 1));
  psw__results_abort(r);
  CHECK(!exists(tmp));
  CHECK(file_is(path, "old contents\n"));
  CHECK_EQ(count_tmp("atomic.h5"), 0);

  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  CHECK_OK(psw__results_write(r, &row, 1));
  CHECK(file_is(path, "old contents\n"));
  {
    struct stat st;
    CHECK(stat(psw__results_tmp_path(r), &st) == 0 &&
          (st.st_mode & 0600) == 0600);
  }
  CHECK_OK(psw__results_finish(r, 0, err, sizeof err));
  CHECK_EQ(count_tmp("atomic.h5"), 0);
  {
    psw_results_file_t *f = NULL;
    CHECK_OK(psw__results_open(path, &f, err, sizeof err));
    CHECK_EQ(psw__results_info(f)->completed, 0);
    CHECK_EQ(psw__results_info(f)->counts[PSW_ST_OK], 1);
    CHECK_EQ(psw__results_info(f)->counts[PSW_ST_NOT_RUN], 99);
    psw__results_close(f);
  }
  /* A stale temporary with our pid does not block a run. */
  snprintf(tmp, sizeof tmp, "%s/.atomic.h5.tmp.%ld", tdir, (long)getpid());
  CHECK_EQ(write_file(tmp, "stale"), 0);
  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  CHECK(strcmp(psw__results_tmp_path(r), tmp) != 0);
  CHECK_OK(psw__results_finish(r, 1, err, sizeof err));
  CHECK(file_is(tmp, "stale"));
  unlink(tmp);
  unlink(path);
  return 0;
}

static int test_errors(void) {
  char path[512], err[256] = "";
  psw_spec_t spec = make_spec(10);
  psw_results_meta_t meta = test_meta(0);
  psw_results_t *r = NULL;
  psw_results_file_t *f = NULL;
  psw_row_t row;
  double p[2], o[2];

  path_of(path, sizeof path, "no/such/dir/x.h5");
  CHECK_EQ(psw__results_create(path, &spec, &meta, &r, err, sizeof err),
           PSW_ERR_IO);
  CHECK(r == NULL && strstr(err, "no/such/dir") && !strchr(err, '\n'));

  test_outputs[1] = "a/b";
  path_of(path, sizeof path, "bad.h5");
  CHECK_EQ(psw__results_create(path, &spec, &meta, &r, err, sizeof err),
           PSW_ERR_INVAL);
  CHECK(!exists(path) && count_tmp("bad.h5") == 0);
  test_outputs[1] = "fs.energy[a,b]";

  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  row = make_row(10, 20, p, o);
  CHECK_EQ(psw__results_write(r, &row, 1), PSW_ERR_INVAL);
  CHECK(strstr(psw__results_error(r), "out of range") != NULL);
  psw__results_abort(r);
  psw__results_abort(NULL);

  /* Reader: missing file, not HDF5, HDF5 but not ours. */
  path_of(path, sizeof path, "missing.h5");
  CHECK_EQ(psw__results_open(path, &f, err, sizeof err), PSW_ERR_IO);
  CHECK(f == NULL && strstr(err, "missing.h5") && !strchr(err, '\n'));
  fprintf(stderr, "(expected) %s\n", err);
  path_of(path, sizeof path, "text.h5");
  CHECK_EQ(write_file(path, "not hdf5\n"), 0);
  CHECK_EQ(psw__results_open(path, &f, err, sizeof err), PSW_ERR_IO);
  fprintf(stderr, "(expected) %s\n", err);
  path_of(path, sizeof path, "plain.h5");
  {
    hid_t h = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(h >= 0);
    H5Gclose(H5Gcreate2(h, "parsweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Fclose(h);
  }
  CHECK_EQ(psw__results_open(path, &f, err, sizeof err), PSW_ERR_PARSE);
  CHECK(strstr(err, "not a parsweep results file (no /parsweep/status)"));
  fprintf(stderr, "(expected) %s\n", err);
  return 0;
}

/* An empty sweep, and one without outputs, still make valid files. */
static int test_edge_sizes(void) {
  char path[512], err[256] = "";
  psw_spec_t spec = make_spec(0);
  psw_results_meta_t meta = test_meta(0);
  psw_results_t *r = NULL;
  psw_results_file_t *f = NULL;
  path_of(path, sizeof path, "empty.h5");
  spec.noutputs = 0;
  meta.version = NULL; /* the library's own */
  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  CHECK_OK(psw__results_finish(r, 1, err, sizeof err));
  CHECK_OK(psw__results_open(path, &f, err, sizeof err));
  CHECK(!strcmp(psw__results_info(f)->version, PSW_VERSION_STRING));
  CHECK_EQ(psw__results_info(f)->n, 0);
  CHECK_EQ(psw__results_info(f)->noutputs, 0);
  CHECK_EQ(psw__results_info(f)->counts[PSW_ST_OK], 0);
  psw__results_close(f);

  spec = make_spec(3);
  spec.noutputs = 0;
  CHECK_OK(psw__results_create(path, &spec, &meta, &r, err, sizeof err));
  {
    double p[2] = {1, 2};
    psw_row_t row = {.index = 2, .params = p, .ev = {PSW_ST_OK, 0, 1.0}};
    CHECK_OK(psw__results_write(r, &row, 1));
  }
  CHECK_OK(psw__results_finish(r, 1, err, sizeof err));
  CHECK_OK(psw__results_open(path, &f, err, sizeof err));
  CHECK_EQ(psw__results_info(f)->counts[PSW_ST_OK], 1);
  CHECK_EQ(psw__results_info(f)->counts[PSW_ST_NOT_RUN], 2);
  psw__results_close(f);
  unlink(path);
  return 0;
}

/* Run psw__cmd_show with stdout and stderr sent to files. */
static int show(int argc, char **argv, const char *out, const char *errf) {
  int rc, so, se, fo, fe;
  fflush(stdout);
  fflush(stderr);
  so = dup(1);
  se = dup(2);
  fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  fe = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fo, 1);
  dup2(fe, 2);
  close(fo);
  close(fe);
  rc = psw__cmd_show(argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  return rc;
}

static int lines_of(const char *path) {
  FILE *f = fopen(path, "r");
  int c, n = 0;
  if (!f)
    return -1;
  while ((c = getc(f)) != EOF)
    n += c == '\n';
  fclose(f);
  return n;
}

static int test_show(uint64_t n) {
  char h5[512], out[512], errf[512], line[512];
  path_of(h5, sizeof h5, "results.h5");
  path_of(out, sizeof out, "show.out");
  path_of(errf, sizeof errf, "show.err");

  char *csv[] = {"show", h5, "--csv", NULL};
  CHECK_EQ(show(3, csv, out, errf), 0);
  CHECK_EQ(lines_of(out), (int)n + 1);
  {
    FILE *f = fopen(out, "r");
    CHECK(f != NULL);
    if (!f)
      return 1;
    CHECK(fgets(line, sizeof line, f) != NULL);
    CHECK(!strcmp(line, "index,membrane_cost,recovery,LCOW,"
                        "\"fs.energy[a,b]\",status,exit_code,elapsed,worker,"
                        "node\n"));
    for (uint64_t i = 0; i < n && fgets(line, sizeof line, f); i++) {
      char want[512], o[128];
      int s = row_state(i, n);
      if (s == PSW_ST_OK)
        snprintf(o, sizeof o, "%.17g,%.17g", o0_of(i), o1_of(i));
      else
        snprintf(o, sizeof o, "nan,nan");
      if (s)
        snprintf(want, sizeof want, "%llu,%.17g,%.17g,%s,%d,%d,%.9g,%d,%d\n",
                 (unsigned long long)i, p0_of(i), p1_of(i), o, s, exit_of(s),
                 elapsed_of(i), (int)(i % 7), (int)(i % 3));
      else
        snprintf(want, sizeof want, "%llu,nan,nan,nan,nan,0,0,0,-1,-1\n",
                 (unsigned long long)i);
      if (strcmp(line, want)) {
        fprintf(stderr, "csv row %llu: got %swant %s", (unsigned long long)i,
                line, want);
        CHECK(0);
        break;
      }
    }
    fclose(f);
  }

  char *sum[] = {"show", h5, NULL};
  CHECK_EQ(show(2, sum, out, errf), 0);
  {
    char buf[4096] = "";
    FILE *f = fopen(out, "r");
    size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
      fclose(f);
    buf[len] = '\0';
    CHECK(strstr(buf, "backend    threads\n") != NULL);
    CHECK(strstr(buf, "workers    8\n") != NULL);
    CHECK(strstr(buf, "completed  yes\n") != NULL);
    CHECK(strstr(buf, "fs.energy[a,b]") != NULL);
    CHECK(strstr(buf, "membrane_cost") != NULL);
  }

  char *help[] = {"show", "--help", NULL};
  CHECK_EQ(show(2, help, out, errf), 0);
  char *none[] = {"show", NULL};
  CHECK_EQ(show(1, none, out, errf), 2);
  char *bad[] = {"show", h5, "--bogus", NULL};
  CHECK_EQ(show(3, bad, out, errf), 2);
  char missing[512];
  path_of(missing, sizeof missing, "missing.h5");
  char *miss[] = {"show", missing, NULL};
  CHECK_EQ(show(2, miss, out, errf), 1);
  CHECK_EQ(lines_of(errf), 1);
  {
    FILE *f = fopen(errf, "r");
    CHECK(f && fgets(line, sizeof line, f) &&
          !strncmp(line, "parsweep show: ", 15) && strstr(line, missing));
    if (f)
      fclose(f);
  }
  path_of(missing, sizeof missing, "plain.h5");
  CHECK_EQ(show(2, miss, out, errf), 1);
  CHECK_EQ(lines_of(errf), 1);
  return 0;
}

static void cleanup(void) {
  DIR *d = opendir(tdir);
  struct dirent *e;
  char p[600];
  if (!d)
    return;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(p, sizeof p, "%s/%s", tdir, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(tdir);
}

int main(int argc, char **argv) {
  const uint64_t n = 20011;
  const char *t = getenv("TMPDIR");
  check_py = argc > 1 ? argv[1] : "tests/sweep/check_results.py";
  if (argc > 2)
    python = argv[2];
  snprintf(tdir, sizeof tdir, "%s/psw-results-XXXXXX", t && t[0] ? t : "/tmp");
  if (!mkdtemp(tdir)) {
    perror("mkdtemp");
    return 1;
  }
  test_bounded_memory();
  test_write_and_check(n);
  test_read_status(n);
  test_atomic();
  test_errors();
  test_edge_sizes();
  test_show(n);
  if (check_failures() == 0)
    cleanup();
  else
    fprintf(stderr, "files kept in %s\n", tdir);
  printf("test_results: %d failure(s)\n", check_failures());
  return check_failures() ? 1 : 0;
}
