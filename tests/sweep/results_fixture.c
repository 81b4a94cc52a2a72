/* parsweep tests — the rows and helpers of test_results.c, apart so that
 * the test file holds the tests (issue 17: files by concern). The rows
 * must match check_results.py: both sides compute them from the same
 * formulas, chosen exact in binary so that C and numpy agree to the bit.
 * Helpers report failures by their return value (CHECK counts per file). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parsweep/error.h"
#include "results_fixture.h"

char tdir[256];
const char spec_text[] = "name: test\nseed: 7\n"
                         "parameters:\n"
                         "  membrane_cost: {type: LinearSample}\n"
                         "outputs: [LCOW, \"fs.energy[a,b]\"]\n";

/* ---- the rows: must match check_results.py ---------------------------- */

/* 0 = never written, else the status written for sample i of n. */
int row_state(uint64_t i, uint64_t n) {
  if ((i >= 1000 && i < 1400 && i % 3 != 0) || i + 5 >= n)
    return PSW_ST_NOT_RUN;
  if (i % 97 == 5)
    return PSW_ST_FAILED;
  if (i % 89 == 7)
    return PSW_ST_TIMEOUT;
  if (i % 211 == 11)
    return PSW_ST_CRASHED;
  return PSW_ST_OK;
}

int32_t exit_of(int st) {
  return st == PSW_ST_FAILED    ? 1
         : st == PSW_ST_TIMEOUT ? -9
         : st == PSW_ST_CRASHED ? -11
                                : 0;
}

double p0_of(uint64_t i) {
  return 20.0 + (double)(i % 101) * 0.125;
}
double p1_of(uint64_t i) {
  return 0.5 + (double)i * 0.0009765625;
}
double o0_of(uint64_t i) {
  return (double)(i % 13) * 0.5 - 3.0;
}
double o1_of(uint64_t i) {
  return (double)i * 2.0 + 0.25;
}
double elapsed_of(uint64_t i) {
  return (double)(i % 1000) * 0.0078125 + 0.5;
}

/* Values of one row; buffers owned by the caller. */
psw_row_t make_row(uint64_t i, uint64_t n, double p[2], double o[2]) {
  int st = row_state(i, n);
  psw_row_t row = {.index = i, .params = p, .outputs = o};
  p[0] = p0_of(i);
  p[1] = p1_of(i);
  o[0] = st == PSW_ST_OK ? o0_of(i) : NAN;
  o[1] = st == PSW_ST_OK ? o1_of(i) : NAN;
  row.ev.status = (int8_t)st;
  row.ev.exit_code = exit_of(st);
  row.ev.elapsed = elapsed_of(i);
  row.worker = (int32_t)(i % 7);
  row.node = (int32_t)(i % 3);
  return row;
}

/* ---- helpers ----------------------------------------------------------- */

static uint64_t lcg_state = 12345;
static uint64_t lcg(void) {
  lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return lcg_state >> 33;
}

static psw_param_t test_params[2];
char *test_outputs[2];

psw_spec_t make_spec(uint64_t n) {
  psw_spec_t s;
  memset(&s, 0, sizeof s);
  memset(test_params, 0, sizeof test_params);
  test_params[0].name = "membrane_cost";
  test_params[0].full_name = "fs.costing.membrane_cost";
  test_params[0].units = "USD/m**2";
  test_params[0].lower = 20;
  test_params[0].upper = 32.5;
  test_params[1].name = "recovery";
  test_params[1].full_name = NULL; /* -> "recovery" */
  test_params[1].units = NULL;     /* -> "None" */
  test_params[1].lower = 0.5;
  test_params[1].upper = 30;
  test_outputs[0] = "LCOW";
  test_outputs[1] = "fs.energy[a,b]";
  s.text = (char *)spec_text;
  s.seed = 7;
  s.params = test_params;
  s.nparams = 2;
  s.outputs = test_outputs;
  s.noutputs = 2;
  s.total = n;
  return s;
}

psw_results_meta_t test_meta(size_t buffer_rows) {
  psw_results_meta_t m = {.backend = "threads",
                          .nodes = 2,
                          .workers = 8,
                          .version = "9.8.7",
                          .buffer_rows = buffer_rows};
  return m;
}

int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* Number of entries of tdir whose name starts with ".<base>.tmp.". */
int count_tmp(const char *base) {
  char prefix[128];
  int n = 0;
  DIR *d = opendir(tdir);
  struct dirent *e;
  snprintf(prefix, sizeof prefix, ".%s.tmp.", base);
  if (!d)
    return -1;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, prefix, strlen(prefix)))
      n++;
  closedir(d);
  return n;
}

void path_of(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", tdir, name);
}

int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fputs(text, f);
  return fclose(f);
}

int file_is(const char *path, const char *text) {
  char buf[256] = "";
  FILE *f = fopen(path, "r");
  size_t n;
  if (!f)
    return 0;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strcmp(buf, text) == 0;
}

/* Append runs covering [a, b) of 1..maxlen rows to *runs. */
static int add_runs(uint64_t (**runs)[2], size_t *nruns, size_t *cap,
                    uint64_t a, uint64_t b, uint64_t maxlen) {
  while (a < b) {
    uint64_t len = 1 + lcg() % maxlen;
    if (*nruns == *cap) {
      void *t = realloc(*runs, 2 * *cap * sizeof **runs);
      if (!t)
        return PSW_ERR_NOMEM;
      *runs = t;
      *cap *= 2;
    }
    (*runs)[*nruns][0] = a;
    (*runs)[*nruns][1] = a + len < b ? a + len : b;
    a = (*runs)[(*nruns)++][1];
  }
  return 0;
}

static void shuffle_runs(uint64_t (*runs)[2], size_t nruns) {
  for (size_t k = nruns; k > 1; k--) {
    size_t j = lcg() % k;
    uint64_t t0 = runs[k - 1][0], t1 = runs[k - 1][1];
    runs[k - 1][0] = runs[j][0];
    runs[k - 1][1] = runs[j][1];
    runs[j][0] = t0;
    runs[j][1] = t1;
  }
}

/* Write every row of a sweep of n: first all but [5000, 9000) in shuffled
 * contiguous runs of 1..300 rows (every 7th reversed), as dynamic
 * scheduling delivers them; then [5000, 9000) scattered in runs of 1..2
 * rows, which the writer stores through point selections. Calls of 1..50
 * rows. */
int write_shuffled(psw_results_t *r, uint64_t n) {
  size_t nruns = 0, nlong, cap = 16;
  uint64_t(*runs)[2] = malloc(cap * sizeof *runs);
  psw_row_t rows[50];
  double p[50][2], o[50][2];
  int rc = runs ? 0 : PSW_ERR_NOMEM;
  if (!rc)
    rc = add_runs(&runs, &nruns, &cap, 0, 5000, 300);
  if (!rc)
    rc = add_runs(&runs, &nruns, &cap, 9000, n, 300);
  nlong = nruns;
  if (!rc)
    rc = add_runs(&runs, &nruns, &cap, 5000, 9000, 2);
  if (!rc) {
    shuffle_runs(runs, nlong);
    shuffle_runs(runs + nlong, nruns - nlong);
  }
  for (size_t k = 0; !rc && k < nruns; k++) {
    uint64_t a = runs[k][0], b = runs[k][1];
    int rev = k % 7 == 3;
    size_t m = 0, batch = 1 + lcg() % 50;
    for (uint64_t t = 0; !rc && t < b - a; t++) {
      uint64_t i = rev ? b - 1 - t : a + t;
      if (row_state(i, n) == PSW_ST_NOT_RUN)
        continue;
      rows[m] = make_row(i, n, p[m], o[m]);
      if (++m == batch) {
        rc = psw__results_write(r, rows, m);
        m = 0;
      }
    }
    if (!rc && m)
      rc = psw__results_write(r, rows, m);
  }
  free(runs);
  return rc;
}

/* Run argv and return its exit status (-1 if it did not exit). */
int run_argv(char *const argv[]) {
  int status;
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
