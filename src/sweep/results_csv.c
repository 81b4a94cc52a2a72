/* parsweep — WaterTAP's CSV beside results.h5 (SPEC 3.0,
 * csv_results_file_name).
 *
 * The layout of WaterTAP's writer (ParameterSweepWriter._write_to_csv, a
 * numpy.savetxt): one header line "# p1,...,o1,..." (parameters then
 * outputs, in spec order), then one row per sample in index order, values
 * separated by ",", NaN outputs where a sample is not ok. WaterTAP writes
 * "%.6e"; here each value is the shortest "%.{15,16,17}g" that reads back
 * as the same double, so the CSV equals the h5 columns bit for bit and
 * numpy.genfromtxt, numpy.loadtxt and pandas.read_csv(comment="#") read
 * both. NaN is written "nan" (as savetxt does), infinities "inf"/"-inf".
 *
 * The rows come from the finished results.h5 itself, read in blocks, so
 * memory stays bounded whatever N is and the CSV says what the file says.
 * The file is made by the rules of docs/elastic.md "Files parsweep
 * creates": a temporary ".BASE.tmp.PID[.K]" beside it, created
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644 (less the umask), fsync'ed, renamed
 * over the CSV, the directory fsync'ed; a taken name is passed over. */
#include "results_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfiles.h"
#include "parsweep/error.h"
#include "results_impl.h"
#include "results_read.h"
#include "sample.h"

#define CSV_BLOCK ((size_t)4096)
#define TMP_TRIES 100

/* The shortest of %.15g..%.17g that strtod reads back as v. The C locale
 * (parsweep never calls setlocale) makes the decimal point a '.'. */
static void put_double(FILE *fp, double v) {
  char buf[40];
  if (isnan(v)) {
    fputs("nan", fp);
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (prec == 17 || strtod(buf, NULL) == v)
      break;
  }
  fputs(buf, fp);
}

static int write_rows(FILE *fp, psw_results_file_t *f, char *err,
                      size_t errlen) {
  const psw_results_info_t *in = psw__results_info(f);
  size_t np = in->nparams, no = in->noutputs;
  double *pv = malloc(CSV_BLOCK * (np ? np : 1) * sizeof *pv);
  double *ov = malloc(CSV_BLOCK * (no ? no : 1) * sizeof *ov);
  int8_t *st = malloc(CSV_BLOCK);
  int rc = 0;
  if (!pv || !ov || !st) {
    psw__results_errf(err, errlen, "CSV: out of memory");
    rc = PSW_ERR_NOMEM;
  }
  for (uint64_t first = 0; !rc && first < in->n; first += CSV_BLOCK) {
    size_t cnt =
        in->n - first < CSV_BLOCK ? (size_t)(in->n - first) : CSV_BLOCK;
    psw_results_block_t b = {.params = pv, .outputs = ov, .status = st};
    if ((rc = psw__results_read_rows(f, first, cnt, &b, err, errlen)))
      break;
    for (size_t k = 0; k < cnt; k++) {
      for (size_t i = 0; i < np; i++) {
        if (i)
          fputc(',', fp);
        put_double(fp, pv[k * np + i]);
      }
      for (size_t i = 0; i < no; i++) {
        if (np || i)
          fputc(',', fp);
        put_double(fp, st[k] == PSW_ST_OK ? ov[k * no + i] : NAN);
      }
      fputc('\n', fp);
    }
  }
  free(pv);
  free(ov);
  free(st);
  return rc;
}

static void write_header(FILE *fp, const psw_results_info_t *in) {
  fputs("# ", fp);
  for (size_t i = 0; i < in->nparams + in->noutputs; i++) {
    if (i)
      fputc(',', fp);
    fputs(i < in->nparams ? in->params[i] : in->outputs[i - in->nparams], fp);
  }
  fputc('\n', fp);
}

/* Create DIR/.BASE.tmp.PID[.K] exclusively; *tmp receives its name. */
static int make_tmp(const char *csv, char **tmp, char *err, size_t errlen) {
  char suffix[48];
  for (int k = 0; k < TMP_TRIES; k++) {
    if (k == 0)
      snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    else
      snprintf(suffix, sizeof suffix, ".tmp.%ld.%d", (long)getpid(), k);
    char *name = psw__outfile(csv, suffix);
    if (!name) {
      psw__results_errf(err, errlen, "%s: out of memory", csv);
      return -1;
    }
    int fd =
        open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      *tmp = name;
      return fd;
    }
    int e = errno;
    if (e != EEXIST && e != ELOOP) {
      psw__results_errf(err, errlen, "%s: cannot create: %s", name,
                        strerror(e));
      free(name);
      return -1;
    }
    free(name); /* taken (by anything): the next name */
  }
  psw__results_errf(err, errlen,
                    "%s: cannot create a temporary file beside it: %d names "
                    "taken",
                    csv, TMP_TRIES);
  return -1;
}

int psw__results_write_csv(const char *h5, const char *csv, char *err,
                           size_t errlen) {
  psw_results_file_t *f = NULL;
  char *tmp = NULL;
  FILE *fp = NULL;
  int rc = psw__results_open(h5, &f, err, errlen);
  if (rc)
    return rc;
  int fd = make_tmp(csv, &tmp, err, errlen);
  rc = PSW_ERR_IO;
  if (fd < 0)
    goto out;
  if (!(fp = fdopen(fd, "w"))) {
    psw__results_errf(err, errlen, "%s: %s", tmp, strerror(errno));
    close(fd);
    goto out;
  }
  write_header(fp, psw__results_info(f));
  if ((rc = write_rows(fp, f, err, errlen)))
    goto out;
  rc = PSW_ERR_IO;
  /* Every byte on disk before the rename makes it the CSV. */
  if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) < 0) {
    psw__results_errf(err, errlen, "%s: cannot write: %s", tmp,
                      strerror(errno));
    goto out;
  }
  int closed = fclose(fp);
  fp = NULL;
  if (closed != 0) {
    psw__results_errf(err, errlen, "%s: cannot write: %s", tmp,
                      strerror(errno));
    goto out;
  }
  if (rename(tmp, csv) < 0) {
    psw__results_errf(err, errlen, "%s: cannot rename to %s: %s", tmp, csv,
                      strerror(errno));
    goto out;
  }
  free(tmp);
  tmp = NULL; /* renamed: no longer ours to remove */
  psw__outfiles_sync_dir(csv);
  rc = 0;
out:
  if (fp)
    fclose(fp);
  if (tmp) {
    unlink(tmp);
    free(tmp);
  }
  psw__results_close(f);
  return rc;
}

int psw__results_csv_check(const char *csv, char *err, size_t errlen) {
  struct stat st;
  if (stat(csv, &st) == 0 && !S_ISREG(st.st_mode)) {
    psw__results_errf(
        err, errlen, "%s: %s, not a CSV file (csv_results_file_name)", csv,
        S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
    return PSW_ERR_IO;
  }
  const char *slash = strrchr(csv, '/');
  char *dir = slash == csv ? strdup("/")
              : slash      ? strndup(csv, (size_t)(slash - csv))
                           : strdup(".");
  if (!dir) {
    psw__results_errf(err, errlen, "%s: out of memory", csv);
    return PSW_ERR_NOMEM;
  }
  int rc = 0, e = 0;
  if (stat(dir, &st) < 0)
    e = errno;
  else if (!S_ISDIR(st.st_mode))
    e = ENOTDIR;
  else if (access(dir, W_OK | X_OK) < 0)
    e = errno;
  if (e) {
    psw__results_errf(err, errlen,
                      "%s: cannot write the CSV (csv_results_file_name) in "
                      "%s: %s",
                      csv, dir, strerror(e));
    rc = PSW_ERR_IO;
  }
  free(dir);
  return rc;
}
