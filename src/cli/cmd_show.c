/* parsweep show FILE.h5 [--csv] — summary of a results.h5, or its rows
 * as CSV.
 *
 * Both read the file in blocks of rows, so a sweep of any size is shown
 * in bounded memory. Exit: 0 ok, 1 cannot open / not a parsweep file /
 * write error (one line on stderr), 2 usage. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "results_read.h"
#include "sample.h"

/* Rows read at a time; fewer when rows are wide (CSV holds a whole row). */
#define SHOW_BLOCK_ROWS ((size_t)65536)
#define SHOW_BLOCK_BYTES ((size_t)8 << 20)

static const char *const status_names[PSW_RESULTS_NSTATUS] = {
    "not run", "ok", "failed", "timeout", "crashed"};

static void usage(FILE *to) {
  fputs("usage: parsweep show FILE.h5 [--csv]\n"
        "\n"
        "Summarise a results.h5: backend, nodes, workers, dates, the number\n"
        "of samples per status, and min/mean/max of every parameter and\n"
        "output over the samples that succeeded.\n"
        "\n"
        "  --csv       write every sample as CSV on stdout instead:\n"
        "              index,<parameters>,<outputs>,status,exit_code,"
        "elapsed,worker,node\n"
        "              (status: 0 not run, 1 ok, 2 failed, 3 timeout, "
        "4 crashed)\n"
        "  -h, --help  this help\n",
        to);
}

static size_t block_rows(size_t width) {
  size_t rows = SHOW_BLOCK_BYTES / (sizeof(double) * (width + 4));
  if (rows > SHOW_BLOCK_ROWS)
    rows = SHOW_BLOCK_ROWS;
  return rows ? rows : 1;
}

/* min/mean/max of one column over finite values of OK rows. */
struct stat {
  double min, max, sum;
  uint64_t n;
};

static void stat_add(struct stat *s, const int8_t *st, const double *v,
                     size_t count) {
  for (size_t k = 0; k < count; k++) {
    if (st[k] != PSW_ST_OK || !isfinite(v[k]))
      continue;
    if (s->n == 0 || v[k] < s->min)
      s->min = v[k];
    if (s->n == 0 || v[k] > s->max)
      s->max = v[k];
    s->sum += v[k];
    s->n++;
  }
}

static void print_stats(const char *title, char **names, size_t count,
                        const struct stat *s, int width) {
  if (count == 0)
    return;
  printf("\n%-*s %15s %15s %15s\n", width, title, "min", "mean", "max");
  for (size_t i = 0; i < count; i++) {
    if (s[i].n == 0)
      printf("%-*s %15s %15s %15s\n", width, names[i], "-", "-", "-");
    else
      printf("%-*s %15.7g %15.7g %15.7g\n", width, names[i], s[i].min,
             s[i].sum / (double)s[i].n, s[i].max);
  }
}

/* The summary's state while the stored rows stream by. */
struct sum {
  psw_results_file_t *f;
  size_t nv, nparams;
  uint64_t counts[PSW_RESULTS_NSTATUS], other, rows;
  struct stat *st;
  int8_t *status;
  double *col;
  char *err;
  size_t errlen;
};

static int sum_run(void *arg, uint64_t first, size_t cnt) {
  struct sum *s = arg;
  psw_results_block_t b = {.status = s->status};
  int rc = psw__results_read_rows(s->f, first, cnt, &b, s->err, s->errlen);
  s->rows += cnt;
  for (size_t k = 0; !rc && k < cnt; k++) {
    if (s->status[k] >= 0 && s->status[k] < PSW_RESULTS_NSTATUS)
      s->counts[s->status[k]]++;
    else
      s->other++;
  }
  for (size_t i = 0; !rc && i < s->nv; i++) {
    rc = i < s->nparams
             ? psw__results_read_param(s->f, i, first, cnt, s->col, s->err,
                                       s->errlen)
             : psw__results_read_output(s->f, i - s->nparams, first, cnt,
                                        s->col, s->err, s->errlen);
    if (!rc)
      stat_add(&s->st[i], s->status, s->col, cnt);
  }
  return rc;
}

static int summary(psw_results_file_t *f, const char *path, char *err,
                   size_t errlen) {
  const psw_results_info_t *in = psw__results_info(f);
  size_t nv = in->nparams + in->noutputs, bn = block_rows(1);
  struct sum s = {
      .f = f, .nv = nv, .nparams = in->nparams, .err = err, .errlen = errlen};
  s.st = calloc(nv ? nv : 1, sizeof *s.st);
  s.status = malloc(bn);
  s.col = malloc(bn * sizeof *s.col);
  uint64_t *counts = s.counts, other;
  struct stat *st = s.st;
  int rc = 0, width = 10;
  if (!s.st || !s.status || !s.col) {
    snprintf(err, errlen, "%s: out of memory", path);
    rc = -1;
    goto out;
  }
  /* Only the rows stored: the others are "not run" and count for no
   * statistic, and reading them would take minutes for 10^12 samples. */
  if ((rc = psw__results_stored(f, bn, NULL, sum_run, &s, err, errlen)))
    goto out;
  counts[PSW_ST_NOT_RUN] += in->n - s.rows;
  other = s.other;
  for (size_t i = 0; i < nv; i++) {
    const char *nm =
        i < in->nparams ? in->params[i] : in->outputs[i - in->nparams];
    if ((int)strlen(nm) > width)
      width = (int)strlen(nm);
  }
  printf("file       %s\n", path);
  printf("version    %s\n", in->version ? in->version : "-");
  printf("backend    %s\n", in->backend ? in->backend : "-");
  printf("nodes      %lld\n", (long long)in->nodes);
  printf("workers    %lld\n", (long long)in->workers);
  printf("created    %s\n", in->created ? in->created : "-");
  printf("finished   %s\n", in->finished ? in->finished : "-");
  printf("completed  %s\n", in->completed ? "yes" : "no (resumable)");
  printf("seed       %llu\n", (unsigned long long)in->seed);
  printf("samples    %llu\n", (unsigned long long)in->n);
  /* ok first: it is what a reader looks for. */
  for (int s = 1; s <= PSW_RESULTS_NSTATUS; s++) {
    int k = s % PSW_RESULTS_NSTATUS;
    printf("  %-9s%llu\n", status_names[k], (unsigned long long)counts[k]);
  }
  if (other)
    printf("  %-9s%llu\n", "unknown", (unsigned long long)other);
  print_stats("parameter", in->params, in->nparams, st, width);
  print_stats("output", in->outputs, in->noutputs, st + in->nparams, width);
  if (nv)
    printf("\n(min/mean/max over the %llu ok samples)\n",
           (unsigned long long)counts[PSW_ST_OK]);
out:
  free(s.st);
  free(s.status);
  free(s.col);
  return rc;
}

/* A CSV field: quoted (RFC 4180) when it holds a separator, a quote or a
 * line break; WaterTAP names such as "fs.x[a,b]" do. */
static void csv_name(const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"')
      putchar('"');
    putchar(*s);
  }
  putchar('"');
}

/* %.17g round-trips a double; NaN prints as "nan" whatever its sign bit. */
static void csv_double(double v, const char *fmt) {
  putchar(',');
  if (isnan(v))
    fputs("nan", stdout);
  else
    printf(fmt, v);
}

static int csv(psw_results_file_t *f, const char *path, char *err,
               size_t errlen) {
  const psw_results_info_t *in = psw__results_info(f);
  size_t bn = block_rows(in->nparams + in->noutputs);
  psw_results_block_t b = {0};
  int rc = 0;
  b.params = malloc(bn * (in->nparams ? in->nparams : 1) * sizeof(double));
  b.outputs = malloc(bn * (in->noutputs ? in->noutputs : 1) * sizeof(double));
  b.status = malloc(bn);
  b.exit_code = malloc(bn * sizeof(int32_t));
  b.elapsed = malloc(bn * sizeof(double));
  b.worker = malloc(bn * sizeof(int32_t));
  b.node = malloc(bn * sizeof(int32_t));
  if (!b.params || !b.outputs || !b.status || !b.exit_code || !b.elapsed ||
      !b.worker || !b.node) {
    snprintf(err, errlen, "%s: out of memory", path);
    rc = -1;
    goto out;
  }
  fputs("index", stdout);
  for (size_t i = 0; i < in->nparams; i++) {
    putchar(',');
    csv_name(in->params[i]);
  }
  for (size_t i = 0; i < in->noutputs; i++) {
    putchar(',');
    csv_name(in->outputs[i]);
  }
  fputs(",status,exit_code,elapsed,worker,node\n", stdout);
  for (uint64_t first = 0; first < in->n; first += bn) {
    size_t cnt = in->n - first < bn ? (size_t)(in->n - first) : bn;
    rc = psw__results_read_rows(f, first, cnt, &b, err, errlen);
    if (rc)
      break;
    for (size_t k = 0; k < cnt; k++) {
      printf("%llu", (unsigned long long)(first + k));
      for (size_t i = 0; i < in->nparams; i++)
        csv_double(b.params[k * in->nparams + i], "%.17g");
      for (size_t i = 0; i < in->noutputs; i++)
        csv_double(b.outputs[k * in->noutputs + i], "%.17g");
      printf(",%d,%d", b.status[k], b.exit_code[k]);
      csv_double(b.elapsed[k], "%.9g");
      printf(",%d,%d\n", b.worker[k], b.node[k]);
    }
  }
out:
  free(b.params);
  free(b.outputs);
  free(b.status);
  free(b.exit_code);
  free(b.elapsed);
  free(b.worker);
  free(b.node);
  return rc;
}

int psw__cmd_show(int argc, char **argv) {
  const char *path = NULL;
  int as_csv = 0, rc;
  char err[512] = "";
  psw_results_file_t *f = NULL;
  /* argv[0] is the verb ("show"). */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return PSW_EXIT_OK;
    } else if (!strcmp(a, "--csv")) {
      as_csv = 1;
    } else if (!strcmp(a, "--") && i + 1 < argc && !path) {
      path = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "parsweep show: unknown option '%s'\n", a);
      usage(stderr);
      return PSW_EXIT_USAGE;
    } else if (!path) {
      path = a;
    } else {
      fprintf(stderr, "parsweep show: more than one file ('%s')\n", a);
      usage(stderr);
      return PSW_EXIT_USAGE;
    }
  }
  if (!path) {
    fprintf(stderr, "parsweep show: missing FILE.h5\n");
    usage(stderr);
    return PSW_EXIT_USAGE;
  }
  if (psw__results_open(path, &f, err, sizeof err)) {
    fprintf(stderr, "parsweep show: %s\n", err);
    return PSW_EXIT_ERROR;
  }
  rc = as_csv ? csv(f, path, err, sizeof err)
              : summary(f, path, err, sizeof err);
  psw__results_close(f);
  if (rc) {
    fprintf(stderr, "parsweep show: %s\n", err);
    return PSW_EXIT_ERROR;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "parsweep show: %s: write error: %s\n", path,
            strerror(errno));
    return PSW_EXIT_ERROR;
  }
  return PSW_EXIT_OK;
}
