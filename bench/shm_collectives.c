/* parsweep benchmark B4 — the shared-memory collectives of the threads and
 * fork backends (2 workers) against Open MPI's on this machine
 * (`mpirun -n 2 mpi_collectives`), measured in the same run:
 *
 *   build/bench/shm_collectives [--reps 5] [--mpi "CMD"] [--no-mpi] [--smoke]
 *
 * psw_barrier, and psw_bcast_bytes, psw_reduce (PSW_DOUBLE, PSW_SUM) and
 * psw_gather (PSW_BYTE) at 8 B, 1 KiB, 64 KiB and 1 MiB per worker, each in
 * a loop of many operations between two barriers, timed on worker 0 — the
 * same loops as mpi_collectives.c (collectives_common.h). Each repetition
 * runs threads, then fork, then the MPI program (CMD, by default the
 * mpirun command line this program was built with, one launch per
 * repetition and the launch not timed), so the three alternate. The table
 * gives the median time per operation and the ratio MPI / parsweep (>1:
 * parsweep is faster). Targets (issue 7): >= 1.5x for <= 1 KiB, >= 0.9x
 * above 64 KiB (64 KiB itself is reported without a target).
 * --smoke: 20 operations per loop, one repetition (ctest
 * bench.shm_collectives; no timing is checked). --no-mpi: parsweep only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parsweep.h>

#include "benchutil.h"
#include "collectives_common.h"

#define MAXREPS 64
#define NB 3 /* threads, fork, mpi */

static const char *const bk_names[NB] = {"threads", "fork", "Open MPI"};

struct region_arg {
  int smoke;
  double *out; /* [NOPS][NSIZES] seconds per op, written by worker 0 */
  char *send, *recv;
  int nw;
};

static int one_op(psw_ctx_t *ctx, int op, size_t b, char *send, char *recv) {
  switch (op) {
  case OP_BARRIER:
    return psw_barrier(ctx);
  case OP_BCAST:
    return psw_bcast_bytes(ctx, send, b, 0);
  case OP_REDUCE:
    return psw_reduce(ctx, send, recv, b / sizeof(double), PSW_DOUBLE, PSW_SUM,
                      0);
  default:
    return psw_gather(ctx, send, b, recv, PSW_BYTE, 0);
  }
}

static int region(psw_ctx_t *ctx, void *arg) {
  struct region_arg *ra = arg;
  size_t maxb = sizes[NSIZES - 1];
  /* Buffers of this worker: threads share the address space. */
  char *send = ra->send + (size_t)psw_rank(ctx) * maxb;
  char *recv = ra->recv + (size_t)psw_rank(ctx) * maxb * (size_t)ra->nw;
  for (int op = 0; op < NOPS; op++) {
    for (int s = 0; s < NSIZES; s++) {
      size_t b = sizes[s];
      if (op == OP_BARRIER && s > 0)
        break;
      long it = loop_iters(b, ra->smoke);
      int rc = psw_barrier(ctx);
      if (rc)
        return rc;
      double t0 = bu_now();
      for (long k = 0; k < it; k++)
        if ((rc = one_op(ctx, op, b, send, recv)))
          return rc;
      if ((rc = psw_barrier(ctx)))
        return rc;
      if (psw_rank(ctx) == 0)
        ra->out[op * NSIZES + s] = (bu_now() - t0) / (double)it;
    }
  }
  return 0;
}

/* One launch of the MPI program; fills out[NOPS][NSIZES]. 0 on success. */
static int run_mpi(const char *cmd, int smoke, double *out) {
  char line[4096];
  snprintf(line, sizeof line, "%s --reps 1%s", cmd, smoke ? " --smoke" : "");
  FILE *p = popen(line, "r");
  if (!p)
    return -1;
  int got = 0;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) {
    char name[32];
    int rep;
    size_t b;
    double t;
    if (sscanf(buf, "MPI %d %31s %zu %lf", &rep, name, &b, &t) != 4)
      continue;
    for (int op = 0; op < NOPS; op++) {
      if (strcmp(name, op_names[op]))
        continue;
      for (int s = 0; s < NSIZES; s++)
        if (op == OP_BARRIER ? s == 0 : sizes[s] == b) {
          out[op * NSIZES + s] = t;
          got++;
        }
    }
  }
  int st = pclose(p);
  return (st == 0 && got == 1 + (NOPS - 1) * NSIZES) ? 0 : -1;
}

static const char *size_name(size_t b) {
  switch (b) {
  case 8:
    return "8 B";
  case 1024:
    return "1 KiB";
  case 65536:
    return "64 KiB";
  default:
    return "1 MiB";
  }
}

int main(int argc, char **argv) {
  int reps = 5, smoke = 0, use_mpi = 1;
#ifdef PSW_BENCH_MPI_CMD
  const char *mpi_cmd = PSW_BENCH_MPI_CMD;
#else
  const char *mpi_cmd = NULL;
#endif
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke")) {
      smoke = 1;
      reps = 1;
    } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--mpi") && i + 1 < argc) {
      mpi_cmd = argv[++i];
    } else if (!strcmp(argv[i], "--no-mpi")) {
      use_mpi = 0;
    } else {
      fprintf(stderr, "usage: shm_collectives [--reps R] [--mpi CMD] "
                      "[--no-mpi] [--smoke]\n");
      return 2;
    }
  }
  if (!mpi_cmd)
    use_mpi = 0;
  if (reps < 1 || reps > MAXREPS) {
    fprintf(stderr, "shm_collectives: --reps 1..%d\n", MAXREPS);
    return 2;
  }

  const int nw = 2;
  size_t maxb = sizes[NSIZES - 1];
  struct region_arg ra = {smoke, NULL, NULL, NULL, nw};
  /* Shared mappings: fork workers write results and use the buffers. */
  double *res = bu_shared(sizeof(double) * NB * MAXREPS * NOPS * NSIZES);
  ra.out = bu_shared(sizeof(double) * NOPS * NSIZES);
  ra.send = bu_shared(maxb * (size_t)nw);
  ra.recv = bu_shared(maxb * (size_t)nw * (size_t)nw);
  if (!res || !ra.out || !ra.send || !ra.recv) {
    fprintf(stderr, "shm_collectives: out of memory\n");
    return 1;
  }
  psw_manager_t *m[2];
  psw_opts_t o;
  psw_opts_init(&o);
  o.num_workers = nw;
  for (int k = 0; k < 2; k++) {
    int rc = psw_create_parallel_manager(&m[k], bk_names[k], &o);
    if (rc) {
      fprintf(stderr, "shm_collectives: %s: %s\n", bk_names[k],
              psw_strerror(rc));
      return 1;
    }
  }
  printf("B4 collectives, 2 workers: threads and fork (shared memory) vs "
         "Open MPI (%s), %d repetition(s)\n",
         use_mpi ? mpi_cmd : "not run", reps);
  int nbk = use_mpi ? NB : 2;
  for (int r = 0; r < reps; r++) {
    for (int k = 0; k < nbk; k++) {
      double *dst = res + ((size_t)k * MAXREPS + (size_t)r) * NOPS * NSIZES;
      if (k < 2) {
        int rc = psw_parallel(m[k], region, &ra);
        if (rc) {
          fprintf(stderr, "shm_collectives: %s: %s\n", bk_names[k],
                  psw_strerror(rc));
          return 1;
        }
        memcpy(dst, ra.out, sizeof(double) * NOPS * NSIZES);
      } else if (run_mpi(mpi_cmd, smoke, dst)) {
        fprintf(stderr, "shm_collectives: the MPI baseline failed: %s\n",
                mpi_cmd);
        return 1;
      }
    }
    fprintf(stderr, "shm_collectives: repetition %d/%d done\n", r + 1, reps);
  }
  for (int k = 0; k < 2; k++)
    psw_destroy_parallel_manager(m[k]);

  printf("\n%-8s %-7s %12s %12s %12s %9s %9s %7s %s\n", "op", "size", "threads",
         "fork", "Open MPI", "MPI/thr", "MPI/fork", "target", "met");
  for (int op = 0; op < NOPS; op++) {
    for (int s = 0; s < NSIZES; s++) {
      if (op == OP_BARRIER && s > 0)
        break;
      double med[NB] = {0, 0, 0}, v[MAXREPS];
      for (int k = 0; k < nbk; k++) {
        for (int r = 0; r < reps; r++)
          v[r] = res[((size_t)k * MAXREPS + (size_t)r) * NOPS * NSIZES +
                     (size_t)(op * NSIZES + s)];
        med[k] = bu_median(v, reps);
      }
      size_t b = sizes[s];
      const char *target = b <= 1024 ? ">=1.5x" : b > 65536 ? ">=0.9x" : "-";
      double want = b <= 1024 ? 1.5 : b > 65536 ? 0.9 : 0;
      char t0[32], t1[32], t2[32], row[64];
      if (use_mpi) {
        double r0 = med[2] / med[0], r1 = med[2] / med[1];
        int met = r0 >= want && r1 >= want;
        printf("%-8s %-7s %12s %12s %12s %8.2fx %8.2fx %7s %s\n", op_names[op],
               op == OP_BARRIER ? "-" : size_name(b),
               bu_fmt_time(med[0], t0, sizeof t0),
               bu_fmt_time(med[1], t1, sizeof t1),
               bu_fmt_time(med[2], t2, sizeof t2), r0, r1, target,
               want > 0 ? (met ? "yes" : "NO") : "-");
        if (want > 0) {
          snprintf(row, sizeof row, "%s%s%s threads vs MPI", op_names[op],
                   op == OP_BARRIER ? "" : " ",
                   op == OP_BARRIER ? "" : size_name(b));
          bu_summary("B4", row, r0, target, r0 >= want);
          snprintf(row, sizeof row, "%s%s%s fork vs MPI", op_names[op],
                   op == OP_BARRIER ? "" : " ",
                   op == OP_BARRIER ? "" : size_name(b));
          bu_summary("B4", row, r1, target, r1 >= want);
        }
      } else {
        printf("%-8s %-7s %12s %12s %12s %9s %9s %7s %s\n", op_names[op],
               op == OP_BARRIER ? "-" : size_name(b),
               bu_fmt_time(med[0], t0, sizeof t0),
               bu_fmt_time(med[1], t1, sizeof t1), "-", "-", "-", target, "-");
      }
    }
  }
  return 0;
}
