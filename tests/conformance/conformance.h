/* parsweep conformance suite: what its files share (tests/conformance/).
 *
 *   values.c       the expected values: (seed, rank, index) formulas
 *   coll.c         one collective, called and checked (t_bcast, t_reduce...)
 *   cases_coll.c   the collective cases (info, barrier, matrix, ...)
 *   cases_for.c    the psw_for and psw_for_ex cases
 *   cases_invalid.c argument errors
 *   main.c         the case table (cases.def), --list, one case or all
 *
 * Every case is an SPMD region: every worker computes the values it expects
 * itself and compares them with what the collectives delivered. A worker
 * returns its number of failed checks (or the error of a collective), which
 * psw_parallel() returns to main. */
#ifndef PSW_TESTS_CONFORMANCE_H
#define PSW_TESTS_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <parsweep.h>

/* One failure counter for all the files of the program (check.h's are
 * per file otherwise): a case counts the failures of the t_* checks it
 * calls in coll.c. main.c defines it. */
#define CHECK_SHARED_COUNTERS 1
#include "../check.h"

#define REPS 1000
#define JUNK 0x5a5a5a5a5a5a5a5aULL
#define SHM_INTS 65536

extern const psw_type_t TYPES[];      /* arithmetic types */
extern const psw_type_t COPY_TYPES[]; /* TYPES and bytes */
extern const psw_op_t OPS[];
#define NTYPES 4
#define NCOPY 5
#define NOPS 4

/* What every region gets. Lives in main's memory: fork workers see a copy
 * made at fork time, which is all they need. */
typedef struct suite {
  psw_manager_t *mgr;
  const char *backend; /* native name */
  int workers;         /* expected psw_num_workers, 0 = do not check */
  int shared;          /* workers share `shm` (single-node, one process tree) */
  int *shm;            /* MAP_SHARED, zeroed before each case */
} suite_t;

/* --- values.c ------------------------------------------------------------ */
uint64_t mix(uint64_t seed, int64_t rank, uint64_t i);
size_t tsize(psw_type_t t);
const char *tname(psw_type_t t);
const char *oname(psw_op_t op);
void *xmalloc(size_t n);
void fill(psw_type_t t, void *buf, size_t count, uint64_t seed, int rank,
          size_t off);
size_t expect_fill(psw_type_t t, const void *buf, size_t count, uint64_t seed,
                   int rank, size_t off, const char *what);
void red_elem(psw_type_t t, psw_op_t op, uint64_t h, void *out);
void na_elem(psw_op_t op, uint64_t h, void *out);
void combine(psw_type_t t, psw_op_t op, void *acc, const void *in);
size_t vcount(int r, size_t count);
size_t vlayout(int size, size_t count, size_t *counts, size_t *displs);

/* --- coll.c: one collective, checked; 0 or the collective's error -------- */
int t_bcast(psw_ctx_t *ctx, psw_type_t t, size_t count, int root, uint64_t seed,
            int bytes_api);
int t_scatter(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
              uint64_t seed);
int t_scatterv(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
               uint64_t seed);
int t_gather(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
             uint64_t seed, int all);
int t_gatherv(psw_ctx_t *ctx, psw_type_t t, size_t count, int root,
              uint64_t seed);
int t_reduce(psw_ctx_t *ctx, psw_type_t t, psw_op_t op, size_t count, int root,
             uint64_t seed, int inplace);
int t_reduce_bits(psw_ctx_t *ctx, psw_op_t op, size_t count, int root,
                  uint64_t seed);

/* --- cases_for.c: the tasks case_invalid hands to psw_for(_ex) ----------- */
int task_record(psw_ctx_t *ctx, uint64_t i, void *arg);
int task_rec(psw_ctx_t *ctx, uint64_t i, void *record, void *arg);

/* serial, threads, fork: one node, workers of this process tree. */
int is_single_node_backend(const char *name);

/* --- the cases (cases.def lists them) ------------------------------------ */
#define CONFORMANCE_CASE(name, fn, expect, alone_after)                        \
  int fn(psw_ctx_t *ctx, void *arg);
#include "cases.def"
#undef CONFORMANCE_CASE

/* Report a collective's error with context; the caller returns it. */
#define COLL_OK(rc, what)                                                      \
  do {                                                                         \
    if ((rc) != 0) {                                                           \
      fprintf(stderr, "%s:%d: [rank %d] %s returned %d (%s)\n", __FILE__,      \
              __LINE__, check__rank, what, rc, psw_err_name(rc));              \
      check__failures++;                                                       \
    }                                                                          \
  } while (0)

#define RUN(expr)                                                              \
  do {                                                                         \
    int run__rc = (expr);                                                      \
    if (run__rc != 0)                                                          \
      return run__rc;                                                          \
  } while (0)

/* A case's failures: those counted between BEGIN and END. */
#define BEGIN(ctx)                                                             \
  int base__ = check_failures();                                               \
  check_set_rank(psw_rank(ctx))
#define END() return check_failures() - base__

#endif /* PSW_TESTS_CONFORMANCE_H */
