/* parsweep benchmark — is the MPI dispatcher a bottleneck at the seed's
 * scale (100 nodes, 10,400 workers)?
 *
 *   mpirun --allow-run-as-root --oversubscribe -n 8 \
 *       build/bench/dispatch_scale [--n 1000000] [--w 1,8,104] [--reps 11] \
 *       [--max-chunk 0,1024] [--min-chunk 1] [--rec BYTES] [--task-us T]
 *   mpirun --allow-run-as-root --oversubscribe -n 3 \
 *       build/bench/dispatch_scale --smoke          (ctest
 * bench.dispatch_scale)
 *
 * The dispatcher (src/mpi/dispatch.h) is a thread on rank 0 that hands out
 * chunks of a loop to requesters: every rank under the mpi backend, one
 * leader per node under hybrid, each asking for all the workers it stands
 * for. Here rank 0 only serves, and R requesters (ranks 1..R of the first
 * R+1 ranks: one mpirun gives every R from 1 to size-1, measured side by
 * side) each claim to stand for W workers (W = 104 mimics a seed node) and
 * loop on psw__disp_next with tasks that take no time (or --task-us per
 * task, divided among the W simulated workers), so the requests arrive as
 * fast as the dispatcher answers them.
 *
 * Per (R, W, max_chunk) it prints the medians over the repetitions of
 *   requests   psw__disp_next calls per loop, all requesters (the empty
 *              replies that end the loop included);
 *   model      the same count from the dispatcher's chunk arithmetic
 *              (psw__chunk_size, x W, max_chunk x W), computed here;
 *   per-wkr    the count if each of the R*W workers asked on its own;
 *   loop ms, req/s  wall time of the loop on rank 0, and requests served
 *              per second (the dispatcher's throughput when saturated);
 *   ratios     requests and req/s against W = 1 at the same R;
 *   Mrec/s     with --rec: records delivered to rank 0's sink per second
 *              (psw_for_ex without per-node sinks sends every record to
 *              the dispatcher; the loop is then bound by records).
 * then a projection to the seed (R = 100, W = 104): its request count from
 * the model, and the dispatcher time per loop at the median rate measured
 * with the most requesters.
 *
 * max_chunk 1024 is what the sweep runner asks for (src/sweep/runner.c);
 * 0 is pure guided self-scheduling. With more ranks than CPUs (2 here)
 * absolute rates measure the OS scheduler as much as the dispatcher; the
 * request counts, which decide the dispatcher's load, are exact.
 *
 * --smoke: tiny sizes, one repetition, records on; exits 1 unless every
 * index is handed out once, every record reaches the sink once, and the
 * request count does not grow with W (no timing is checked). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "core/sched.h"
#include "mpi/dispatch.h"
#include "mpi/mpiutil.h"

#define MAXV 16

struct opts {
  uint64_t n;
  int w[MAXV], nw;
  uint64_t cap[MAXV];
  int ncap;
  int reps;
  uint64_t min_chunk;
  size_t rec;
  double task_us;
  int smoke;
};

/* Rank 0's sink: every index must arrive once, with its payload. */
struct sink_state {
  unsigned char *seen; /* one bit per index */
  uint64_t n, got, dups, bad;
  size_t rec;
};

static int sink(uint64_t i, const void *record, void *arg) {
  struct sink_state *s = arg;
  if (i >= s->n) {
    s->bad++;
    return 0;
  }
  uint64_t tag;
  memcpy(&tag, record, s->rec < sizeof tag ? s->rec : sizeof tag);
  if (s->rec >= sizeof tag && tag != i * 3 + 1)
    s->bad++;
  if (s->seen[i / 8] & (1u << (i % 8)))
    s->dups++;
  s->seen[i / 8] |= (unsigned char)(1u << (i % 8));
  s->got++;
  return 0;
}

/* The dispatcher's chunk arithmetic (src/mpi/dispatch.c): the number of
 * non-empty chunks of a loop of n over R requesters of W workers. */
static uint64_t model_chunks(uint64_t n, int R, int W, uint64_t min_chunk,
                             uint64_t max_chunk) {
  uint64_t next = 0, count = 0;
  int total = R * W;
  while (next < n) {
    uint64_t c = psw__chunk_size(n - next, total, min_chunk) * (uint64_t)W;
    uint64_t cap = max_chunk;
    if (cap && W > 1)
      cap *= (uint64_t)W;
    if (cap && c > cap)
      c = cap;
    if (c > n - next)
      c = n - next;
    next += c;
    count++;
  }
  return count;
}

static void nap_us(double us) {
  if (us <= 0)
    return;
  struct timespec ts = {(time_t)(us / 1e6), (long)(fmod(us, 1e6) * 1e3)};
  while (nanosleep(&ts, &ts) && errno == EINTR)
    ;
}

/* Barrier and reduction that sleep while they wait: ranks that take no
 * part in a measurement must not spin on the 2 CPUs it runs on. */
static void quiet_barrier(MPI_Comm c) {
  MPI_Request r;
  MPI_Ibarrier(c, &r);
  psw__mpi_wait(&r);
}

static void quiet_sum(const double *in, double *out, int count, MPI_Comm c) {
  MPI_Request r;
  MPI_Ireduce(in, out, count, MPI_DOUBLE, MPI_SUM, 0, c, &r);
  psw__mpi_wait(&r);
}

struct result {
  double requests, covered, loop_s, wait_s;
  uint64_t got, dups, bad;
  int err;
};

/* One loop on communicator `c` (ranks 0..R): rank 0 serves, the others
 * request for W workers each. The result is valid on rank 0. */
static struct result one_loop(struct psw_disp *d, MPI_Comm c, int W,
                              uint64_t max_chunk, const struct opts *o,
                              struct sink_state *ss) {
  struct result res;
  memset(&res, 0, sizeof res);
  int me, size;
  MPI_Comm_rank(c, &me);
  MPI_Comm_size(c, &size);
  int R = size - 1;
  psw_for_opts_t fo;
  psw_for_opts_init(&fo);
  fo.min_chunk = o->min_chunk;
  fo.max_chunk = max_chunk;
  fo.record_size = o->rec;
  if (o->rec) {
    fo.sink = sink;
    fo.sink_arg = ss;
  }
  double mine[3] = {0, 0, 0}; /* requests, covered, seconds waiting */
  quiet_barrier(c);
  double t0 = MPI_Wtime();
  if (me == 0) {
    if (o->rec) {
      memset(ss->seen, 0, (size_t)((o->n + 7) / 8));
      ss->got = ss->dups = ss->bad = 0;
    }
    if (psw__disp_serve_start(d, o->n, R * W, &fo))
      res.err = 1;
    if (psw__disp_fin(d)) /* rank 0 asks for nothing */
      res.err = 1;
    int32_t lerr = 0;
    if (psw__disp_serve_join(d, &lerr) || lerr)
      res.err = 1;
    res.loop_s = MPI_Wtime() - t0;
  } else {
    struct psw_disp_out out;
    memset(&out, 0, sizeof out);
    if (o->rec && psw__disp_out_begin(&out, d, o->rec))
      res.err = 1;
    for (;;) {
      uint64_t b, e;
      double w0 = MPI_Wtime();
      if (psw__disp_next(d, 0, W, &b, &e)) {
        res.err = 1;
        break;
      }
      mine[2] += MPI_Wtime() - w0;
      mine[0] += 1;
      if (b == e)
        break;
      mine[1] += (double)(e - b);
      if (o->rec) {
        for (uint64_t i = b; i < e; i++) {
          uint64_t tag = i * 3 + 1;
          unsigned char *r = psw__disp_out_record(&out, i);
          memcpy(r, &tag, o->rec < sizeof tag ? o->rec : sizeof tag);
          if (psw__disp_out_maybe_flush(&out))
            res.err = 1;
        }
      }
      nap_us((double)(e - b) * o->task_us / W);
    }
    if (o->rec && psw__disp_out_flush(&out))
      res.err = 1;
    psw__disp_out_free(&out);
    if (psw__disp_fin(d))
      res.err = 1;
  }
  double sum[3];
  quiet_sum(mine, sum, 3, c);
  int err = res.err, anyerr = 0;
  MPI_Request r;
  MPI_Iallreduce(&err, &anyerr, 1, MPI_INT, MPI_MAX, c, &r);
  psw__mpi_wait(&r);
  if (me == 0) {
    res.requests = sum[0];
    res.covered = sum[1];
    res.wait_s = sum[2];
    res.err = anyerr;
    if (o->rec) {
      res.got = ss->got;
      res.dups = ss->dups;
      res.bad = ss->bad;
    }
  }
  return res;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int k) {
  qsort(v, (size_t)k, sizeof *v, cmp_double);
  return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static int parse_list_int(const char *s, int *out, int max) {
  int k = 0;
  while (*s && k < max) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 1 || v > 1000000)
      return -1;
    out[k++] = (int)v;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return -1;
  }
  return k;
}

static int parse_list_u64(const char *s, uint64_t *out, int max) {
  int k = 0;
  while (*s && k < max) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
      return -1;
    out[k++] = v;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return -1;
  }
  return k;
}

static int usage(int me) {
  if (me == 0)
    fprintf(stderr,
            "usage: mpirun -n K dispatch_scale [--n N] [--w LIST] [--reps K]\n"
            "         [--max-chunk LIST] [--min-chunk C] [--rec BYTES] "
            "[--task-us T] [--smoke]\n");
  return 2;
}

static int parse(int argc, char **argv, struct opts *o, int me) {
  o->n = 1000000;
  o->w[0] = 1, o->w[1] = 8, o->w[2] = 104, o->nw = 3;
  o->cap[0] = 0, o->cap[1] = 1024, o->ncap = 2;
  o->reps = 11;
  o->min_chunk = 1;
  o->rec = 0;
  o->task_us = 0;
  o->smoke = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--smoke")) {
      o->smoke = 1;
      o->n = 3000;
      o->reps = 1;
      o->rec = 24;
      continue;
    }
    if (!v)
      return usage(me);
    i++;
    if (!strcmp(a, "--n"))
      o->n = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--w"))
      o->nw = parse_list_int(v, o->w, MAXV);
    else if (!strcmp(a, "--max-chunk"))
      o->ncap = parse_list_u64(v, o->cap, MAXV);
    else if (!strcmp(a, "--min-chunk"))
      o->min_chunk = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--reps"))
      o->reps = atoi(v);
    else if (!strcmp(a, "--rec"))
      o->rec = (size_t)strtoull(v, NULL, 10);
    else if (!strcmp(a, "--task-us"))
      o->task_us = strtod(v, NULL);
    else
      return usage(me);
  }
  if (o->n < 1 || o->nw < 1 || o->ncap < 1 || o->reps < 1 || o->task_us < 0)
    return usage(me);
  return 0;
}

int main(int argc, char **argv) {
  if (psw__mpi_acquire()) {
    fprintf(stderr, "dispatch_scale: cannot initialise MPI\n");
    return 1;
  }
  int me, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  struct opts o;
  int rc = parse(argc, argv, &o, me);
  if (rc) {
    psw__mpi_release();
    return rc;
  }
  if (size < 2) {
    if (me == 0)
      fprintf(stderr,
              "dispatch_scale: needs at least 2 ranks (mpirun -n 2..8)\n");
    psw__mpi_release();
    return 2;
  }
  int nR = size - 1; /* R = 1 .. size-1 */
  /* One communicator and dispatcher per R: ranks 0..R. */
  MPI_Comm *comm = calloc((size_t)nR, sizeof *comm);
  struct psw_disp *disp = calloc((size_t)nR, sizeof *disp);
  for (int k = 0; k < nR; k++) {
    int R = k + 1;
    MPI_Comm_split(MPI_COMM_WORLD, me <= R ? 0 : MPI_UNDEFINED, me, &comm[k]);
    if (comm[k] != MPI_COMM_NULL && psw__disp_init(&disp[k], comm[k])) {
      fprintf(stderr, "dispatch_scale: psw__disp_init failed\n");
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  struct sink_state ss = {.n = o.n, .rec = o.rec};
  if (me == 0 && o.rec) {
    ss.seen = malloc((size_t)((o.n + 7) / 8));
    if (!ss.seen)
      MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int ncfg = nR * o.nw * o.ncap;
  double *req = calloc((size_t)ncfg * (size_t)o.reps, sizeof *req);
  double *loop = calloc((size_t)ncfg * (size_t)o.reps, sizeof *loop);
  double *wait = calloc((size_t)ncfg * (size_t)o.reps, sizeof *wait);
  int failures = 0;
  char cpus[32] = "?";
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu > 0)
    snprintf(cpus, sizeof cpus, "%ld", ncpu);
  if (me == 0)
    printf("dispatch_scale: n = %llu indices per loop, R = 1..%d requesters "
           "(+ rank 0 serving), W = workers per requester, min_chunk %llu, "
           "records %zu B, task %.3g us; %d ranks on %s CPUs, %d reps "
           "(medians), interleaved\n",
           (unsigned long long)o.n, nR, (unsigned long long)o.min_chunk, o.rec,
           o.task_us, size, cpus, o.reps);
  /* Side by side: every configuration once per repetition. */
  for (int rep = 0; rep < o.reps; rep++)
    for (int ci = 0; ci < o.ncap; ci++)
      for (int k = 0; k < nR; k++)
        for (int wi = 0; wi < o.nw; wi++) {
          int cfg = (ci * nR + k) * o.nw + wi;
          quiet_barrier(MPI_COMM_WORLD);
          if (comm[k] == MPI_COMM_NULL)
            continue;
          struct result r =
              one_loop(&disp[k], comm[k], o.w[wi], o.cap[ci], &o, &ss);
          if (me != 0)
            continue;
          req[cfg * o.reps + rep] = r.requests;
          loop[cfg * o.reps + rep] = r.loop_s;
          wait[cfg * o.reps + rep] = r.requests > 0 ? r.wait_s / r.requests : 0;
          const char *why = NULL;
          if (r.err)
            why = "a dispatcher call failed";
          else if (r.covered != (double)o.n)
            why = "the chunks do not cover the loop";
          else if (o.rec && (r.got != o.n || r.dups || r.bad))
            why = "records lost, duplicated or corrupted";
          if (why) {
            failures++;
            fprintf(stderr,
                    "dispatch_scale: R=%d W=%d max_chunk=%llu: %s (covered "
                    "%.0f of %llu, records %llu, dups %llu, bad %llu)\n",
                    k + 1, o.w[wi], (unsigned long long)o.cap[ci], why,
                    r.covered, (unsigned long long)o.n,
                    (unsigned long long)r.got, (unsigned long long)r.dups,
                    (unsigned long long)r.bad);
          }
        }
  double best_rate = 0; /* for the projection (below) */
  double big_rates[MAXV * MAXV];
  int nbig = 0;
  if (me == 0) {
    for (int ci = 0; ci < o.ncap; ci++) {
      printf("\nmax_chunk %llu%s\n", (unsigned long long)o.cap[ci],
             o.cap[ci] == 1024 ? " (the sweep runner's)"
             : o.cap[ci] == 0  ? " (none: pure guided self-scheduling)"
                               : "");
      printf("%3s %5s %8s %9s %9s %10s %9s %10s %9s %9s %9s%s\n", "R", "W",
             "workers", "requests", "model", "per-wkr", "loop ms", "req/s",
             "rtt us", "req/W=1", "rate/W=1", o.rec ? "    Mrec/s" : "");
      for (int k = 0; k < nR; k++) {
        double req1 = 0, rate1 = 0;
        for (int wi = 0; wi < o.nw; wi++) {
          int cfg = (ci * nR + k) * o.nw + wi;
          int R = k + 1, W = o.w[wi];
          double rq = median(req + cfg * o.reps, o.reps);
          double ls = median(loop + cfg * o.reps, o.reps);
          double rtt = median(wait + cfg * o.reps, o.reps);
          double rates[64];
          int nr = o.reps < 64 ? o.reps : 64;
          for (int j = 0; j < nr; j++)
            rates[j] = loop[cfg * o.reps + j] > 0
                           ? req[cfg * o.reps + j] / loop[cfg * o.reps + j]
                           : 0;
          double rate = median(rates, nr);
          if (k == nR - 1) /* the most requesters: the busiest dispatcher */
            big_rates[nbig++] = rate;
          uint64_t model =
              model_chunks(o.n, R, W, o.min_chunk, o.cap[ci]) + (uint64_t)R;
          uint64_t perw = model_chunks(o.n, R * W, 1, o.min_chunk, o.cap[ci]) +
                          (uint64_t)R * (uint64_t)W;
          if (wi == 0) {
            req1 = rq;
            rate1 = rate;
          }
          char recs[32] = "";
          if (o.rec && ls > 0)
            snprintf(recs, sizeof recs, " %9.2f", (double)o.n / ls / 1e6);
          printf("%3d %5d %8d %9.0f %9llu %10llu %9.2f %10.0f %9.1f %9.2f "
                 "%9.2f%s%s\n",
                 R, W, R * W, rq, (unsigned long long)model,
                 (unsigned long long)perw, ls * 1e3, rate, rtt * 1e6,
                 req1 > 0 ? rq / req1 : 0, rate1 > 0 ? rate / rate1 : 0, recs,
                 (double)model == rq ? "" : "  (!= model)");
          /* The contract: requests scale with requesters, not workers. */
          if (wi > 0 && rq > 1.25 * req1) {
            failures++;
            fprintf(stderr,
                    "dispatch_scale: R=%d: %.0f requests at W=%d, %.0f at "
                    "W=%d: the load grows with workers\n",
                    R, rq, W, req1, o.w[0]);
          }
        }
      }
      /* The same W, more requesters: requests grow about linearly in R. */
      if (nR > 1) {
        printf("requests(R=%d)/requests(R=1) at W = ", nR);
        for (int wi = 0; wi < o.nw; wi++) {
          int c1 = (ci * nR + 0) * o.nw + wi,
              cn = (ci * nR + nR - 1) * o.nw + wi;
          double r1 = median(req + c1 * o.reps, o.reps);
          double rn = median(req + cn * o.reps, o.reps);
          printf("%s%d: %.2f", wi ? ", " : "", o.w[wi], r1 > 0 ? rn / r1 : 0);
        }
        printf("\n");
      }
    }
    /* The seed: 100 nodes of 104 workers, at the median rate measured
     * with the most requesters. */
    best_rate = nbig ? median(big_rates, nbig) : 0;
    printf("\nseed projection (R = 100 node leaders, W = 104, n = %llu), "
           "from the dispatcher's chunk arithmetic, at the median rate "
           "measured with R = %d:\n",
           (unsigned long long)o.n, nR);
    for (int ci = 0; ci < o.ncap; ci++) {
      uint64_t seed = model_chunks(o.n, 100, 104, o.min_chunk, o.cap[ci]) + 100;
      uint64_t perw =
          model_chunks(o.n, 10400, 1, o.min_chunk, o.cap[ci]) + 10400;
      if (o.rec) { /* the loops were bound by records, not requests */
        printf("  max_chunk %5llu: %llu requests per loop (%.1f per worker), "
               "vs %llu if every worker asked (x%.0f); with --rec the loop "
               "time measures record traffic (Mrec/s), rerun without it for "
               "the request rate\n",
               (unsigned long long)o.cap[ci], (unsigned long long)seed,
               (double)seed / 10400.0, (unsigned long long)perw,
               (double)perw / (double)seed);
        continue;
      }
      double busy = best_rate > 0 ? (double)seed / best_rate : 0;
      printf("  max_chunk %5llu: %llu requests per loop (%.1f per worker), "
             "vs %llu if every worker asked (x%.0f); at %.0f req/s that is "
             "%.3f s of dispatcher time per loop, i.e. the dispatcher would "
             "be the bottleneck only for samples shorter than %.3g ms\n",
             (unsigned long long)o.cap[ci], (unsigned long long)seed,
             (double)seed / 10400.0, (unsigned long long)perw,
             (double)perw / (double)seed, best_rate, busy,
             best_rate > 0 ? busy * 10400.0 / (double)o.n * 1e3 : 0);
    }
    if (failures)
      fprintf(stderr, "dispatch_scale: %d check(s) failed\n", failures);
    else if (o.smoke)
      printf("\ndispatch_scale: smoke ok (every index handed out once%s; "
             "requests do not grow with W)\n",
             o.rec ? ", every record delivered once" : "");
    fflush(stdout);
  }
  int anyfail = 0;
  MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
  anyfail = failures != 0;
  for (int k = 0; k < nR; k++)
    if (comm[k] != MPI_COMM_NULL) {
      psw__disp_fini(&disp[k]);
      MPI_Comm_free(&comm[k]);
    }
  free(comm);
  free(disp);
  free(req);
  free(loop);
  free(wait);
  free(ss.seen);
  psw__mpi_release();
  return anyfail;
}
