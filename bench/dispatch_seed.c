/* parsweep benchmark B14 — the dispatcher end to end at the seed's scale:
 * 100 node leaders standing for 104 workers each (10,400 workers), every
 * sample's record through the dispatcher into results.h5.
 *
 *   mpirun --allow-run-as-root --oversubscribe -n 3 build/bench/dispatch_seed \
 *       [--n 100000,1000000,10000000] [--leaders 100] [--w 104] [--dir DIR]
 *   mpirun ... -n 3 build/bench/dispatch_seed --smoke     (ctest
 *       bench.dispatch_seed)
 *
 * Rank 0 is the sweep's root: the dispatcher (src/mpi/dispatch.c) hands out
 * chunks and its sink writes every record through the sweep's writer
 * (src/sweep/results*.c) into DIR/dispatch_seed.h5, as `parsweep run -b
 * mpi` does without per-node writers (the file is removed after each N).
 * Ranks 1..K-1 simulate the node leaders, round robin (leader l on rank 1 + l %
 * (K-1)): each request asks for 104 workers' share, as a hybrid node leader
 * does, and the leader fills one record per sample of its chunk at once (the
 * model takes no time), so requests and records arrive as fast as rank 0 takes
 * them. What is measured is the root: requests served, records received, rows
 * written.
 *
 * Per N it prints the wall time of the loop (from the first request to the
 * file finished and renamed), samples/s, the number of requests, and rank
 * 0's peak RSS (VmHWM, reset before each N through /proc/self/clear_refs),
 * then the ratio of the peak RSS at the largest N to that at the smallest
 * (flat memory: the root keeps no per-sample state) and the rate against
 * the target (10^5 samples/s on the 2-core development machine).
 *
 * Every run checks what reached the sink: N records, each index once (sum
 * of indices and of values), every value what the leader computed; exit 1
 * otherwise. --smoke: N = 3000, 8 leaders of 4 workers, no timing. */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "benchutil.h"
#include "mpi/dispatch.h"
#include "mpi/mpiutil.h"
#include "results.h"
#include "spec.h"

#define MAXN 8
#define ROWBUF 4096

/* One sample's record, as a leader sends it. */
struct rec {
  double a, y, elapsed;
  int32_t worker, node;
};

struct opts {
  uint64_t n[MAXN];
  int nn, leaders, w, smoke;
  const char *dir;
};

/* Rank 0: rows buffered for the writer, and what the check needs. */
struct root {
  psw_results_t *res;
  uint64_t n, got, isum, bad;
  size_t nrows;
  psw_row_t rows[ROWBUF];
  double p[ROWBUF], o[ROWBUF];
  int failed;
};

static double value_of(uint64_t i, uint64_t n) {
  return n > 1 ? (double)i / (double)(n - 1) : 0;
}

static int flush_rows(struct root *r) {
  if (r->nrows && psw__results_write(r->res, r->rows, r->nrows))
    r->failed = 1;
  r->nrows = 0;
  return r->failed;
}

static int sink(uint64_t i, const void *record, void *arg) {
  struct root *r = arg;
  struct rec x;
  memcpy(&x, record, sizeof x);
  if (i >= r->n || x.a != value_of(i, r->n) || x.y != 2 * x.a + 1)
    r->bad++;
  r->got++;
  r->isum += i;
  size_t k = r->nrows++;
  r->p[k] = x.a;
  r->o[k] = x.y;
  r->rows[k] = (psw_row_t){.index = i,
                           .params = &r->p[k],
                           .outputs = &r->o[k],
                           .ev = {.status = PSW_ST_OK, .elapsed = x.elapsed},
                           .worker = x.worker,
                           .node = x.node};
  if (r->nrows == ROWBUF)
    flush_rows(r);
  return 0;
}

/* Rank 0's peak resident set (KiB), and its reset. */
static long vm_hwm_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6))
      kib = strtol(line + 6, NULL, 10);
  if (f)
    fclose(f);
  return kib;
}

/* Each N starts from what the process holds, not from what the N before
 * it held and freed: HDF5's free lists and malloc's unused heap go back
 * first (else the peak of N carries over into the next: one process runs
 * every N). */
static void reset_hwm(void) {
  H5garbage_collect();
  malloc_trim(0);
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f) {
    fputs("5", f);
    fclose(f);
  }
}

static void quiet_barrier(MPI_Comm c) {
  MPI_Request q;
  MPI_Ibarrier(c, &q);
  psw__mpi_wait(&q);
}

/* The root of one loop of n samples; 0 when every check held. */
static int serve(struct psw_disp *d, uint64_t n, const struct opts *o,
                 double *secs, long *hwm) {
  static struct root r; /* 160 KiB of row buffers: not on the stack */
  char text[512], path[4096], err[512];
  snprintf(text, sizeof text,
           "parameters:\n  a: {type: LinearSample, lower_limit: 0, "
           "upper_limit: 1, num_samples: %llu}\noutputs: [y]\n"
           "model: {plugin: ./bench.so}\n",
           (unsigned long long)n);
  snprintf(path, sizeof path, "%s/dispatch_seed.h5", o->dir);
  psw_spec_t *spec = NULL;
  if (psw__spec_parse("dispatch_seed.yaml", text, strlen(text), &spec, err,
                      sizeof err)) {
    fprintf(stderr, "dispatch_seed: %s\n", err);
    return 1;
  }
  memset(&r, 0, sizeof r);
  r.n = n;
  psw_results_meta_t meta = {
      .backend = "mpi", .nodes = o->leaders, .workers = o->leaders * o->w};
  reset_hwm();
  double t0 = MPI_Wtime();
  int rc = psw__results_create(path, spec, &meta, &r.res, err, sizeof err);
  if (rc) {
    fprintf(stderr, "dispatch_seed: %s\n", err);
    psw__spec_free(spec);
    return 1;
  }
  psw_for_opts_t fo;
  psw_for_opts_init(&fo);
  fo.max_chunk = 1024; /* the sweep runner's */
  fo.record_size = sizeof(struct rec);
  fo.sink = sink;
  fo.sink_arg = &r;
  int32_t lerr = 0;
  if (psw__disp_serve_start(d, n, o->leaders * o->w, &fo) || psw__disp_fin(d) ||
      psw__disp_serve_join(d, &lerr) || lerr)
    r.failed = 1;
  flush_rows(&r);
  if (psw__results_finish(r.res, !r.failed, err, sizeof err)) {
    fprintf(stderr, "dispatch_seed: %s\n", err);
    r.failed = 1;
  }
  *secs = MPI_Wtime() - t0;
  *hwm = vm_hwm_kib();
  unlink(path); /* 380 MB at 10^7 samples */
  psw__spec_free(spec);
  uint64_t want = n * (n - 1) / 2;
  if (r.failed || r.got != n || r.isum != want || r.bad) {
    fprintf(stderr,
            "dispatch_seed: N=%llu: %llu records (want %llu), index sum "
            "%llu (want %llu), %llu wrong values%s\n",
            (unsigned long long)n, (unsigned long long)r.got,
            (unsigned long long)n, (unsigned long long)r.isum,
            (unsigned long long)want, (unsigned long long)r.bad,
            r.failed ? ", the writer failed" : "");
    return 1;
  }
  return 0;
}

/* Ranks 1..K-1: the leaders this rank stands for, round robin until each
 * got an empty chunk. Returns requests made, or -1. */
static long lead(struct psw_disp *d, uint64_t n, const struct opts *o, int me,
                 int size) {
  int mine = 0, *active = calloc((size_t)o->leaders, sizeof *active);
  for (int l = me - 1; l < o->leaders; l += size - 1)
    active[mine++] = l;
  struct psw_disp_out out;
  memset(&out, 0, sizeof out);
  long requests = 0;
  int err = psw__disp_out_begin(&out, d, sizeof(struct rec));
  while (!err && mine > 0) {
    for (int k = 0; k < mine && !err;) {
      uint64_t b, e;
      if ((err = psw__disp_next(d, 0, o->w, &b, &e)))
        break;
      requests++;
      if (b == e) {
        active[k] = active[--mine];
        continue;
      }
      for (uint64_t i = b; i < e && !err; i++) {
        struct rec x = {.a = value_of(i, n),
                        .elapsed = 1e-6,
                        .worker = active[k] * o->w + (int32_t)(i % o->w),
                        .node = active[k]};
        x.y = 2 * x.a + 1;
        memcpy(psw__disp_out_record(&out, i), &x, sizeof x);
        err = psw__disp_out_maybe_flush(&out);
      }
      k++;
    }
  }
  if (!err)
    err = psw__disp_out_flush(&out);
  psw__disp_out_free(&out);
  free(active);
  if (psw__disp_fin(d))
    err = 1;
  return err ? -1 : requests;
}

static int parse(int argc, char **argv, struct opts *o) {
  o->n[0] = 100000, o->n[1] = 1000000, o->n[2] = 10000000, o->nn = 3;
  o->leaders = 100, o->w = 104, o->smoke = 0;
  o->dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--smoke")) {
      o->smoke = 1, o->n[0] = 3000, o->nn = 1, o->leaders = 8, o->w = 4;
      continue;
    }
    if (!v)
      return 2;
    i++;
    if (!strcmp(a, "--n")) {
      o->nn = 0;
      for (char *s = (char *)v; *s && o->nn < MAXN;) {
        o->n[o->nn++] = strtoull(s, &s, 10);
        s += *s == ',';
      }
    } else if (!strcmp(a, "--leaders"))
      o->leaders = atoi(v);
    else if (!strcmp(a, "--w"))
      o->w = atoi(v);
    else if (!strcmp(a, "--dir"))
      o->dir = v;
    else
      return 2;
  }
  for (int k = 0; k < o->nn; k++)
    if (o->n[k] < 2)
      return 2;
  return o->leaders < 1 || o->w < 1 || o->nn < 1 ? 2 : 0;
}

int main(int argc, char **argv) {
  if (psw__mpi_acquire()) {
    fprintf(stderr, "dispatch_seed: MPI_Init failed\n");
    return 1;
  }
  int me, size, rc = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  struct opts o;
  if (parse(argc, argv, &o) || size < 2) {
    if (me == 0)
      fprintf(stderr, "usage: mpirun -n K (K >= 2) dispatch_seed [--n LIST] "
                      "[--leaders L] [--w W] [--dir DIR] [--smoke]\n");
    psw__mpi_release();
    return 2;
  }
  struct psw_disp d;
  if (psw__disp_init(&d, MPI_COMM_WORLD)) {
    fprintf(stderr, "dispatch_seed: cannot set up the dispatcher\n");
    psw__mpi_release();
    return 1;
  }
  if (me == 0)
    printf("B14 dispatch_seed: %d leaders x %d workers on %d rank(s), "
           "records of %zu B through the writer\n"
           "%12s %9s %12s %10s %12s\n",
           o.leaders, o.w, size - 1, sizeof(struct rec), "N", "wall s",
           "samples/s", "requests", "root HWM MiB");
  long first_hwm = 0, last_hwm = 0;
  double min_rate = 0;
  for (int k = 0; k < o.nn; k++) {
    quiet_barrier(MPI_COMM_WORLD);
    double secs = 0;
    long hwm = 0, req = 0, total = 0;
    if (me == 0)
      rc |= serve(&d, o.n[k], &o, &secs, &hwm);
    else if ((req = lead(&d, o.n[k], &o, me, size)) < 0)
      rc = 1;
    MPI_Request q;
    MPI_Ireduce(&req, &total, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD, &q);
    psw__mpi_wait(&q);
    if (me == 0) {
      double rate = (double)o.n[k] / secs;
      printf("%12llu %9.2f %12.0f %10ld %12.1f\n", (unsigned long long)o.n[k],
             secs, rate, total, hwm / 1024.0);
      if (k == 0)
        first_hwm = hwm;
      last_hwm = hwm;
      min_rate = k == 0 || rate < min_rate ? rate : min_rate;
    }
  }
  if (me == 0 && !o.smoke && o.nn > 1) {
    double grow = (double)last_hwm / (double)first_hwm;
    printf("root peak RSS N=%llu / N=%llu: %.3f (target <= 1.1)\n"
           "slowest rate / 10^5 samples/s: %.2f (target >= 1)\n",
           (unsigned long long)o.n[o.nn - 1], (unsigned long long)o.n[0], grow,
           min_rate / 1e5);
    bu_summary("B14",
               "MPI dispatcher + writer, 100 leaders x 104 workers: samples/s "
               "(slowest N)",
               min_rate / 1e5, ">= 1 (x 10^5/s)", min_rate >= 1e5);
    bu_summary("B14", "root peak RSS, largest vs smallest N", grow, "<= 1.1",
               grow <= 1.1);
  }
  int any = 0;
  MPI_Request q;
  MPI_Iallreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &q);
  psw__mpi_wait(&q);
  psw__disp_fini(&d);
  psw__mpi_release();
  return any ? 1 : 0;
}
