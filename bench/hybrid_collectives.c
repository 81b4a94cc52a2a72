/* parsweep benchmark B5 — the hybrid backend's hierarchical collectives
 * against flat MPI, measured in the same run, on every rank of an MPI job:
 *
 *   mpirun --allow-run-as-root --oversubscribe -n 2 \
 *       build/bench/hybrid_collectives [--reps 5] [--iters N] [--smoke]
 *   srun -N 2 -n 2 --mpi=pmix build/bench/hybrid_collectives   (2 nodes)
 *   srun -N 2 -n 4 --mpi=pmix build/bench/hybrid_collectives --iters 100
 *
 * Three sides, the same loops as B4 (collectives_common.h): psw_barrier,
 * psw_bcast_bytes, psw_reduce (PSW_DOUBLE, PSW_SUM, root 0) and psw_gather
 * (PSW_BYTE, root 0) at 8 B, 1 KiB, 64 KiB and 1 MiB per worker, each a loop
 * of many operations between two barriers, timed on worker/rank 0, on
 *   hybrid  psw_parallel of `-b hybrid`: one worker per rank (the ranks of a
 *           node form its node group; a rank alone on its node is a pool of
 *           one), so both sides have the same workers;
 *   mpi     psw_parallel of `-b mpi` (MPI's nonblocking collectives and
 *           parsweep's wait);
 *   MPI     plain blocking MPI_Barrier/Bcast/Reduce/Gather on
 *           MPI_COMM_WORLD, nothing of parsweep.
 * Each repetition runs the three, the first one rotating; the table gives
 * median times per operation and the ratios hybrid / MPI and hybrid / mpi
 * (time over time: < 1 means hybrid is faster). Target (issue 7): hybrid
 * / MPI <= 1.10 on one node (and the same against the mpi backend); with
 * several nodes the ratios are reported without a target. --iters N caps
 * the operations per loop (oversubscribed runs, where one costs
 * milliseconds). --smoke: 20 operations per loop, one repetition (ctest
 * bench.hybrid_collectives; no timing is checked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <parsweep.h>

#include "benchutil.h"
#include "collectives_common.h"

#define MAXREPS 64
#define NV 3 /* hybrid, mpi backend, plain MPI */

static const char *const v_names[NV] = {"hybrid", "mpi", "MPI"};

struct bufs {
  char *send, *recv;
  int smoke;
  long max_iters; /* --iters: at most this many operations per loop */
  double out[NOPS * NSIZES]; /* seconds per op, on worker/rank 0 */
};

static int psw_op(psw_ctx_t *ctx, int op, size_t b, char *send, char *recv) {
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

static int mpi_op(int op, size_t b, char *send, char *recv) {
  switch (op) {
  case OP_BARRIER:
    return MPI_Barrier(MPI_COMM_WORLD);
  case OP_BCAST:
    return MPI_Bcast(send, (int)b, MPI_BYTE, 0, MPI_COMM_WORLD);
  case OP_REDUCE:
    return MPI_Reduce(send, recv, (int)(b / sizeof(double)), MPI_DOUBLE,
                      MPI_SUM, 0, MPI_COMM_WORLD);
  default:
    return MPI_Gather(send, (int)b, MPI_BYTE, recv, (int)b, MPI_BYTE, 0,
                      MPI_COMM_WORLD);
  }
}

static long iters(const struct bufs *B, size_t b) {
  long it = loop_iters(b, B->smoke);
  return B->max_iters > 0 && it > B->max_iters ? B->max_iters : it;
}

/* The loops on a parsweep backend (one worker per rank, in this process). */
static int region(psw_ctx_t *ctx, void *arg) {
  struct bufs *B = arg;
  for (int op = 0; op < NOPS; op++) {
    for (int s = 0; s < NSIZES; s++) {
      size_t b = sizes[s];
      if (op == OP_BARRIER && s > 0)
        break;
      long it = iters(B, b);
      int rc = psw_barrier(ctx);
      if (rc)
        return rc;
      double t0 = bu_now();
      for (long k = 0; k < it; k++)
        if ((rc = psw_op(ctx, op, b, B->send, B->recv)))
          return rc;
      if ((rc = psw_barrier(ctx)))
        return rc;
      if (psw_rank(ctx) == 0)
        B->out[op * NSIZES + s] = (bu_now() - t0) / (double)it;
    }
  }
  return 0;
}

/* The same loops in plain MPI. */
static int plain_mpi(struct bufs *B, int me) {
  for (int op = 0; op < NOPS; op++) {
    for (int s = 0; s < NSIZES; s++) {
      size_t b = sizes[s];
      if (op == OP_BARRIER && s > 0)
        break;
      long it = iters(B, b);
      if (MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS)
        return 1;
      double t0 = bu_now();
      for (long k = 0; k < it; k++)
        if (mpi_op(op, b, B->send, B->recv) != MPI_SUCCESS)
          return 1;
      if (MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS)
        return 1;
      if (me == 0)
        B->out[op * NSIZES + s] = (bu_now() - t0) / (double)it;
    }
  }
  return 0;
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
  int provided, me, nranks, reps = 5, smoke = 0;
  long max_iters = 0;
  /* parsweep's MPI backends want MPI_THREAD_MULTIPLE (their dispatcher
   * thread); they use MPI initialised by the program. */
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--smoke")) {
      smoke = 1;
      reps = 1;
    } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
      max_iters = atol(argv[++i]);
    } else {
      if (me == 0)
        fprintf(stderr, "usage: hybrid_collectives [--reps R] [--iters N] "
                        "[--smoke]\n");
      MPI_Finalize();
      return 2;
    }
  }
  if (reps < 1 || reps > MAXREPS) {
    if (me == 0)
      fprintf(stderr, "hybrid_collectives: --reps 1..%d\n", MAXREPS);
    MPI_Finalize();
    return 2;
  }

  /* The layout: nodes = groups of ranks sharing memory. */
  MPI_Comm shm;
  int local_size, nnodes, lead;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, me, MPI_INFO_NULL,
                      &shm);
  MPI_Comm_size(shm, &local_size);
  MPI_Comm_rank(shm, &lead);
  lead = lead == 0;
  MPI_Allreduce(&lead, &nnodes, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Comm_free(&shm);
  int min_local, max_local;
  MPI_Allreduce(&local_size, &min_local, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&local_size, &max_local, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);

  psw_manager_t *m[2];
  psw_opts_t o;
  psw_opts_init(&o);
  /* One worker per rank on both backends: a rank alone on its node would
   * otherwise fork a pool of every CPU it may use. */
  o.num_workers = max_local == 1 ? 1 : 0;
  for (int k = 0; k < 2; k++) {
    int rc = psw_create_parallel_manager(&m[k], v_names[k], &o);
    if (rc) {
      fprintf(stderr, "hybrid_collectives: rank %d: %s: %s\n", me, v_names[k],
              psw_strerror(rc));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (psw_num_workers(m[k]) != nranks) {
      fprintf(stderr, "hybrid_collectives: %s has %d workers, not %d\n",
              v_names[k], psw_num_workers(m[k]), nranks);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }

  size_t maxb = sizes[NSIZES - 1];
  struct bufs *B = calloc(1, sizeof *B);
  double *res = calloc((size_t)NV * MAXREPS * NOPS * NSIZES, sizeof *res);
  if (B) {
    B->send = calloc(maxb, 1);
    B->recv = calloc(maxb * (size_t)nranks, 1);
    B->smoke = smoke;
    B->max_iters = max_iters;
  }
  if (!B || !res || !B->send || !B->recv) {
    fprintf(stderr, "hybrid_collectives: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (me == 0)
    printf("B5 collectives: hybrid vs flat MPI, %d ranks on %d node(s) "
           "(%d..%d ranks per node), one worker per rank, %d repetition(s)\n",
           nranks, nnodes, min_local, max_local, reps);
  for (int r = 0; r < reps; r++) {
    for (int j = 0; j < NV; j++) {
      int k = (r + j) % NV; /* the first side rotates */
      int rc = k < 2 ? psw_parallel(m[k], region, B) : plain_mpi(B, me);
      if (rc) {
        fprintf(stderr, "hybrid_collectives: rank %d: %s: %s\n", me, v_names[k],
                k < 2 ? psw_strerror(rc) : "MPI error");
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      memcpy(res + ((size_t)k * MAXREPS + (size_t)r) * NOPS * NSIZES, B->out,
             sizeof B->out);
    }
    if (me == 0)
      fprintf(stderr, "hybrid_collectives: repetition %d/%d done\n", r + 1,
              reps);
  }
  for (int k = 0; k < 2; k++)
    psw_destroy_parallel_manager(m[k]);

  if (me == 0) {
    char where[64];
    if (nnodes == 1)
      snprintf(where, sizeof where, "1 node");
    else
      snprintf(where, sizeof where, "%d nodes x %d", nnodes, max_local);
    const char *target = nnodes == 1 ? "<=1.10" : "-";
    printf("\n%-8s %-7s %12s %12s %12s %10s %10s %7s %s\n", "op", "size",
           "hybrid", "mpi", "MPI", "hybrid/MPI", "hybrid/mpi", "target", "met");
    for (int op = 0; op < NOPS; op++) {
      for (int s = 0; s < NSIZES; s++) {
        if (op == OP_BARRIER && s > 0)
          break;
        double med[NV], v[MAXREPS];
        for (int k = 0; k < NV; k++) {
          for (int r = 0; r < reps; r++)
            v[r] = res[((size_t)k * MAXREPS + (size_t)r) * NOPS * NSIZES +
                       (size_t)(op * NSIZES + s)];
          med[k] = bu_median(v, reps);
        }
        double q = med[0] / med[2], qb = med[0] / med[1];
        int met = q <= 1.10;
        char t0[32], t1[32], t2[32], row[160];
        printf("%-8s %-7s %12s %12s %12s %9.2fx %9.2fx %7s %s\n", op_names[op],
               op == OP_BARRIER ? "-" : size_name(sizes[s]),
               bu_fmt_time(med[0], t0, sizeof t0),
               bu_fmt_time(med[1], t1, sizeof t1),
               bu_fmt_time(med[2], t2, sizeof t2), q, qb, target,
               nnodes == 1 ? (met ? "yes" : "NO") : "-");
        for (int k = 2; k >= 1; k--) { /* vs MPI, vs the mpi backend */
          double x = k == 2 ? q : qb;
          snprintf(row, sizeof row, "%s%s%s hybrid / %s time, %s", op_names[op],
                   op == OP_BARRIER ? "" : " ",
                   op == OP_BARRIER ? "" : size_name(sizes[s]),
                   k == 2 ? "MPI" : "mpi backend", where);
          if (nnodes == 1)
            bu_summary("B5", row, x, target, x <= 1.10);
          else /* reported, no target */
            printf("SUMMARY|B5|%s|%.2f|-|-\n", row, x);
        }
      }
    }
  }
  fflush(stdout);
  free(B->send);
  free(B->recv);
  free(B);
  free(res);
  MPI_Finalize();
  return 0;
}
