/* parsweep — recursive sweeps: round sizes, the replay for --resume and
 * the final rewrite (see recursive.h). */
#include "recursive.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "outfiles.h"
#include "parsweep/error.h"
#include "results_csv.h"
#include "results_read.h"
#include "util.h"

uint64_t psw__rec_next(const psw_spec_t *s, uint64_t hi, uint64_t ok) {
  if (ok >= s->num_successes || hi >= s->max_samples)
    return 0;
  uint64_t need = s->num_successes - ok;
  unsigned __int128 size;
  if (!ok) {
    size = hi; /* nothing ok yet: as many again */
  } else {
    /* The samples the success rate so far says M needs, and a tenth more,
     * so that a round seldom ends a few short of M (each round waits for
     * its slowest sample). Integer arithmetic: every process gets the
     * same rounds. */
    size = ((unsigned __int128)need * hi + ok - 1) / ok;
    size += size / 10;
  }
  /* Every round costs a start (models, servers, workers) and a wait for
   * its slowest sample: none smaller than a quarter of the first. */
  if (size < s->first_round / 4)
    size = s->first_round / 4;
  if (size < 1)
    size = 1;
  if (size > s->max_samples - hi)
    size = s->max_samples - hi;
  return hi + (uint64_t)size;
}

/* --- the replay ------------------------------------------------------- */

struct bits {
  uint8_t *eval, *ok;
  uint64_t n;
};

static void mark(struct bits *b, uint64_t i, int8_t status) {
  if (i >= b->n || status == PSW_ST_NOT_RUN)
    return;
  b->eval[i / 8] |= (uint8_t)(1u << (i & 7));
  if (status == PSW_ST_OK)
    b->ok[i / 8] |= (uint8_t)(1u << (i & 7));
  else /* a journal's later record of an index is the same sample */
    b->ok[i / 8] &= (uint8_t) ~(1u << (i & 7));
}

static int scan_block(void *arg, uint64_t first, const int8_t *status,
                      size_t count) {
  for (size_t k = 0; k < count; k++)
    mark(arg, first + k, status[k]);
  return 0;
}

static int scan_row(const psw_row_t *row, void *arg) {
  mark(arg, row->index, row->ev.status);
  return 0;
}

static int bit(const uint8_t *b, uint64_t i) {
  return (b[i / 8] >> (i & 7)) & 1;
}

/* The output already rewritten by psw__rec_finalize? Its attributes say
 * what it holds. */
static int read_final(const char *output, psw_rec_plan_t *p) {
  hid_t f = H5Fopen(output, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    return 0;
  int is_final = H5Aexists(f, "recursive_rounds") > 0;
  if (is_final) {
    const char *names[3] = {"evaluated", "evaluated_ok", "num_samples"};
    uint64_t *vals[3] = {&p->evaluated, &p->ok, &p->selected};
    for (int k = 0; k < 3; k++) {
      hid_t a = H5Aopen(f, names[k], H5P_DEFAULT);
      if (a < 0 || H5Aread(a, H5T_NATIVE_UINT64, vals[k]) < 0)
        is_final = 0;
      if (a >= 0)
        H5Aclose(a);
    }
  }
  H5Fclose(f);
  return is_final;
}

int psw__rec_plan(const char *output, const psw_spec_t *s,
                  const uint8_t hash[16], psw_rec_plan_t *p, char *err,
                  size_t errlen) {
  memset(p, 0, sizeof *p);
  p->hi = s->first_round;
  p->round = 1;
  int have_output = access(output, F_OK) == 0;
  if (have_output && read_final(output, p)) {
    /* Finished by this very sweep? Another's (or one of another spec) is
     * left to the resume check, which refuses it naming both. */
    psw_results_file_t *f = NULL;
    char hex[33];
    psw__spec_hash_hex(hash, hex);
    if (!psw__results_open(output, &f, err, errlen)) {
      const char *h = psw__results_info(f)->spec_hash;
      p->finalized = h && !strcmp(h, hex);
      psw__results_close(f);
    }
    err[0] = '\0';
    if (p->finalized)
      return 0;
    p->ok = p->evaluated = p->selected = 0;
  }
  struct bits b = {calloc(s->total / 8 + 1, 1), calloc(s->total / 8 + 1, 1),
                   s->total};
  int rc = 0;
  if (!b.eval || !b.ok) {
    snprintf(err, errlen, "%s: out of memory", output);
    rc = PSW_ERR_NOMEM;
    goto out;
  }
  if (have_output) {
    psw_results_file_t *f = NULL;
    rc = psw__results_open(output, &f, err, errlen);
    /* Another sweep's file: the resume check says so, naming both. */
    if (!rc && psw__results_info(f)->n == s->total)
      rc = psw__results_scan_status(f, 0, NULL, scan_block, &b, err, errlen);
    psw__results_close(f);
    if (rc)
      goto out;
  }
  if (psw__outfiles_count(output, JOURNAL_PREFIX) > 0) {
    psw_journal_scan_t js;
    if ((rc = psw__journal_scan(output, s, hash, scan_row, &b, &js, err,
                                errlen)))
      goto out;
  }
  for (uint64_t i = 0; i < s->total; i++) {
    p->evaluated += bit(b.eval, i);
    p->ok += bit(b.ok, i);
  }
  /* Round after round, while the round is wholly recorded. */
  uint64_t lo = 0, hi = s->first_round, ok = 0;
  for (;;) {
    uint64_t i = lo;
    for (; i < hi && bit(b.eval, i); i++)
      ok += bit(b.ok, i);
    if (i < hi)
      break; /* this round is not finished: run it (its rest) */
    uint64_t next = psw__rec_next(s, hi, ok);
    if (!next) { /* every round ran: only the rewrite is left */
      lo = hi;
      break;
    }
    lo = hi;
    hi = next;
    p->round++;
  }
  p->lo = lo;
  p->hi = hi;
out:
  free(b.eval);
  free(b.ok);
  return rc;
}

/* --- the final rewrite ------------------------------------------------- */

struct fin {
  hid_t f, lcpl;
  const uint64_t *sel; /* selected indices, increasing */
  hsize_t k, e;        /* rows kept, rows evaluated */
  char *err;
  size_t errlen;
};

static int h5fail(struct fin *F, const char *what, const char *path) {
  snprintf(F->err, F->errlen,
           "cannot rewrite the results of a recursive "
           "sweep: %s %s",
           what, path);
  return PSW_ERR_IO;
}

/* Column `path` ([N] rows, rows >= e never evaluated): copied whole to
 * `keep` (NULL: not kept) cut to its e evaluated rows, then itself
 * rewritten to the k selected rows. */
static int select_col(struct fin *F, const char *path, const char *keep) {
  if (keep) {
    if (H5Ocopy(F->f, path, F->f, keep, H5P_DEFAULT, F->lcpl) < 0)
      return h5fail(F, "copy", path);
    hid_t c = H5Dopen2(F->f, keep, H5P_DEFAULT);
    herr_t hr = c < 0 ? -1 : H5Dset_extent(c, &F->e);
    if (c >= 0)
      H5Dclose(c);
    if (hr < 0)
      return h5fail(F, "cut", keep);
  }
  hid_t d = H5Dopen2(F->f, path, H5P_DEFAULT);
  if (d < 0)
    return h5fail(F, "open", path);
  int rc = 0;
  hid_t ft = H5Dget_type(d);
  hid_t mt = ft < 0 ? -1 : H5Tget_native_type(ft, H5T_DIR_ASCEND);
  size_t es = mt < 0 ? 0 : H5Tget_size(mt);
  char *buf = es ? malloc((F->e ? F->e : 1) * es) : NULL;
  if (!buf || H5Dset_extent(d, &F->e) < 0 ||
      (F->e && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)) {
    rc = h5fail(F, "read", path);
    goto out;
  }
  /* sel is increasing and sel[j] >= j: gathering in place is safe. */
  for (hsize_t j = 0; j < F->k; j++)
    memmove(buf + j * es, buf + F->sel[j] * es, es);
  if (H5Dset_extent(d, &F->k) < 0 ||
      (F->k && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0))
    rc = h5fail(F, "write", path);
out:
  free(buf);
  if (mt >= 0)
    H5Tclose(mt);
  if (ft >= 0)
    H5Tclose(ft);
  H5Dclose(d);
  return rc;
}

/* A root attribute set to v: the existing one keeps its type, a new one
 * is a uint64. */
static int set_attr(struct fin *F, const char *name, uint64_t v) {
  hid_t a;
  if (H5Aexists(F->f, name) > 0) {
    a = H5Aopen(F->f, name, H5P_DEFAULT);
  } else {
    hid_t sp = H5Screate(H5S_SCALAR);
    a = H5Acreate2(F->f, name, H5T_STD_U64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
  }
  herr_t hr = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_UINT64, &v);
  if (a >= 0)
    H5Aclose(a);
  return hr < 0 ? h5fail(F, "attribute", name) : 0;
}

static int write_index(struct fin *F) {
  hsize_t dims[1] = {F->k};
  hid_t sp = H5Screate_simple(1, dims, NULL);
  hid_t d = sp < 0 ? -1
                   : H5Dcreate2(F->f, "/parsweep/sample_index", H5T_STD_U64LE,
                                sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t hr = d < 0  ? -1
              : F->k ? H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, F->sel)
                     : 0;
  if (d >= 0)
    H5Dclose(d);
  if (sp >= 0)
    H5Sclose(sp);
  return hr < 0 ? h5fail(F, "write", "/parsweep/sample_index") : 0;
}

/* The selection: the first M ok among [0, e). */
static int select_ok(struct fin *F, const psw_spec_t *s, uint64_t **sel,
                     uint64_t *ok) {
  hid_t d = H5Dopen2(F->f, "/parsweep/status", H5P_DEFAULT);
  int8_t *st = malloc(F->e ? F->e : 1);
  *sel = malloc((F->e ? F->e : 1) * sizeof **sel);
  hid_t fs = d < 0 ? -1 : H5Dget_space(d);
  hsize_t start[1] = {0}, cnt[1] = {F->e};
  hid_t ms = H5Screate_simple(1, cnt, NULL);
  int rc = 0;
  if (!st || !*sel || fs < 0 || ms < 0 ||
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
      (F->e && H5Dread(d, H5T_NATIVE_INT8, ms, fs, H5P_DEFAULT, st) < 0)) {
    rc = h5fail(F, "read", "/parsweep/status");
  } else {
    *ok = 0;
    F->k = 0;
    for (hsize_t i = 0; i < F->e; i++)
      if (st[i] == PSW_ST_OK && (*ok)++ < s->num_successes)
        (*sel)[F->k++] = i;
  }
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  if (d >= 0)
    H5Dclose(d);
  free(st);
  return rc;
}

static int copy_file(const char *from, const char *to, char *err,
                     size_t errlen) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int out =
      in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  int rc = in < 0 || out < 0 ? -1 : 0;
  char buf[1 << 16];
  ssize_t n;
  while (!rc && (n = read(in, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || write(out, buf, (size_t)n) != n)
      rc = -1;
  }
  if (!rc && fsync(out) < 0)
    rc = -1;
  if (rc)
    snprintf(err, errlen, "%s: cannot copy to %s: %s", from, to,
             strerror(errno));
  if (in >= 0)
    close(in);
  if (out >= 0 && close(out) < 0 && !rc) {
    snprintf(err, errlen, "%s: %s", to, strerror(errno));
    rc = -1;
  }
  return rc ? PSW_ERR_IO : 0;
}

static int rewrite(struct fin *F, const psw_spec_t *s, uint64_t evaluated,
                   int rounds, uint64_t *ok_out) {
  static const char *const cols[] = {"status", "exit_code", "elapsed", "worker",
                                     "node"};
  char path[1024], keep[1024];
  const char *pre = s->h5_parent ? s->h5_parent : "";
  const char *slash = s->h5_parent ? "/" : "";
  uint64_t *sel = NULL, ok = 0;
  int rc = select_ok(F, s, &sel, &ok);
  F->sel = sel;
  for (size_t c = 0; !rc && c < sizeof cols / sizeof *cols; c++) {
    snprintf(path, sizeof path, "/parsweep/%s", cols[c]);
    snprintf(keep, sizeof keep, "/parsweep/evaluated/%s", cols[c]);
    rc = select_col(F, path, keep);
  }
  for (size_t j = 0; !rc && j < s->nparams; j++) {
    snprintf(path, sizeof path, "/%s%ssweep_params/%s/value", pre, slash,
             s->params[j].name);
    snprintf(keep, sizeof keep, "/parsweep/evaluated/sweep_params/%s",
             s->params[j].name);
    rc = select_col(F, path, keep);
  }
  for (size_t j = 0; !rc && j < s->noutputs; j++) {
    snprintf(path, sizeof path, "/%s%soutputs/%s/value", pre, slash,
             s->outputs[j]);
    snprintf(keep, sizeof keep, "/parsweep/evaluated/outputs/%s",
             s->outputs[j]);
    rc = select_col(F, path, keep);
  }
  if (!rc) {
    snprintf(path, sizeof path, "/%s%ssolve_successful/solve_successful", pre,
             slash);
    rc = select_col(F, path, NULL);
  }
  if (!rc)
    rc = write_index(F);
  /* The root attributes describe the rows kept (all ok); the recursive
   * ones what was evaluated. */
  const char *zero[] = {"count_not_run", "count_failed", "count_timeout",
                        "count_crashed"};
  for (size_t k = 0; !rc && k < 4; k++)
    rc = set_attr(F, zero[k], 0);
  if (!rc)
    rc = set_attr(F, "count_ok", F->k);
  if (!rc)
    rc = set_attr(F, "num_samples", F->k);
  if (!rc)
    rc = set_attr(F, "completed", 1);
  if (!rc)
    rc = set_attr(F, "num_successes", s->num_successes);
  if (!rc)
    rc = set_attr(F, "max_samples", s->max_samples);
  if (!rc)
    rc = set_attr(F, "evaluated", evaluated);
  if (!rc)
    rc = set_attr(F, "evaluated_ok", ok);
  if (!rc)
    rc = set_attr(F, "recursive_rounds", (uint64_t)rounds);
  *ok_out = ok;
  free(sel);
  F->sel = NULL;
  return rc;
}

int psw__rec_finalize(const char *output, const psw_spec_t *s,
                      uint64_t evaluated, int rounds, uint64_t *ok_out,
                      uint64_t *selected_out, char *err, size_t errlen) {
  char suffix[64];
  snprintf(suffix, sizeof suffix, ".tmp.%ld.final", (long)getpid());
  char *tmp = psw__outfile(output, suffix);
  if (!tmp) {
    snprintf(err, errlen, "%s: out of memory", output);
    return PSW_ERR_NOMEM;
  }
  int rc = copy_file(output, tmp, err, errlen);
  struct fin F = {
      .f = -1, .lcpl = -1, .e = evaluated, .err = err, .errlen = errlen};
  if (!rc) {
    F.f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    F.lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (F.f < 0 || F.lcpl < 0 ||
        H5Pset_create_intermediate_group(F.lcpl, 1) < 0)
      rc = h5fail(&F, "open", tmp);
  }
  if (!rc)
    rc = rewrite(&F, s, evaluated, rounds, ok_out);
  if (F.lcpl >= 0)
    H5Pclose(F.lcpl);
  if (F.f >= 0 && H5Fclose(F.f) < 0 && !rc)
    rc = h5fail(&F, "close", tmp);
  *selected_out = F.k;
  if (!rc) { /* on disk before it replaces the output */
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0 || rename(tmp, output) < 0) {
      snprintf(err, errlen, "%s: cannot replace %s: %s", tmp, output,
               strerror(errno));
      rc = PSW_ERR_IO;
    }
    if (fd >= 0)
      close(fd);
  }
  if (rc)
    unlink(tmp);
  else
    psw__outfiles_sync_dir(output);
  /* csv_results_file_name: the rows kept, as WaterTAP's CSV holds its
   * groups' rows (the last round wrote all max_samples). */
  if (!rc && s->csv_file)
    rc = psw__results_write_csv(output, s->csv_file, err, errlen);
  free(tmp);
  return rc;
}

int psw__rec_status(const char *path, const char *spec_text, char *line,
                    size_t len) {
  psw_rec_plan_t p;
  char err[512];
  psw_spec_t *s = NULL;
  uint8_t hash[16];
  line[0] = '\0';
  if (!spec_text ||
      psw__spec_parse(path, spec_text, strlen(spec_text), &s, err, sizeof err))
    return 0; /* a spec that does not parse here: no line */
  int rc = 0;
  if (s->num_successes && !psw__spec_hash(s, hash) &&
      !(rc = psw__rec_plan(path, s, hash, &p, err, sizeof err))) {
    if (p.finalized)
      snprintf(line, len,
               "%llu of %llu ok, %llu samples evaluated (max_samples %llu): "
               "finished",
               (unsigned long long)p.ok, (unsigned long long)s->num_successes,
               (unsigned long long)p.evaluated,
               (unsigned long long)s->max_samples);
    else if (p.lo == p.hi)
      snprintf(line, len,
               "%llu of %llu ok, %llu samples evaluated (max_samples %llu): "
               "%d round(s) ran, the final rewrite is left (--resume)",
               (unsigned long long)p.ok, (unsigned long long)s->num_successes,
               (unsigned long long)p.evaluated,
               (unsigned long long)s->max_samples, p.round);
    else
      snprintf(line, len,
               "%llu of %llu ok, %llu samples evaluated (max_samples %llu): "
               "round %d (samples %llu..%llu)",
               (unsigned long long)p.ok, (unsigned long long)s->num_successes,
               (unsigned long long)p.evaluated,
               (unsigned long long)s->max_samples, p.round,
               (unsigned long long)p.lo, (unsigned long long)p.hi - 1);
  }
  psw__spec_free(s);
  return rc;
}
