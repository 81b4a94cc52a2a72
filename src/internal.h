/* parsweep — the manager and context bodies (internal). */
#ifndef PSW_INTERNAL_H
#define PSW_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "backend.h"
#include "parsweep.h"

struct psw_shm_group;

struct psw_manager {
  const struct psw_backend *be;
  psw_opts_t opts;
  int num_workers; /* workers in a region, all nodes */
  int in_region;   /* guards against nested psw_parallel */
  void *be_state;  /* owned by the backend */
};

/* One per worker and region, built by the backend. */
struct psw_ctx {
  psw_manager_t *mgr;
  int rank, size;
  int node_id, num_nodes;
  int local_rank, local_size;
  /* Node-local shared-memory group (threads, fork; the node stage of
   * hybrid). NULL on serial. */
  struct psw_shm_group *grp;
  /* Sequence of the collective steps this worker has done in grp: selects
   * the double buffer (see shm/coll.c). Same on every worker. */
  uint64_t step;
  uint64_t loops; /* psw_for calls so far: selects the loop slot */
  void *be_ctx;   /* backend's per-worker state */
};

/* Fill the fields common to every backend. */
void psw__ctx_init(psw_ctx_t *c, psw_manager_t *m, int rank, int size);

/* Logging inside the library. */
void psw__log(psw_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#undef PSW_ERROR /* src/sweep/util.h's, in a test that includes both */
#undef PSW_WARN
#undef PSW_INFO
#undef PSW_DEBUG
#define PSW_ERROR(...) psw__log(PSW_LOG_ERROR, __VA_ARGS__)
#define PSW_WARN(...) psw__log(PSW_LOG_WARN, __VA_ARGS__)
#define PSW_INFO(...) psw__log(PSW_LOG_INFO, __VA_ARGS__)
#define PSW_DEBUG(...) psw__log(PSW_LOG_DEBUG, __VA_ARGS__)

/* The line an elastic head's endpoint file holds once its sweep has ended
 * (the keys are gone; a worker that comes later exits 0 saying so), and
 * whether the file at path holds it (src/core/ended.c). */
#define PSW_ENDPOINT_ENDED "ended: yes"
int psw__endpoint_ended(const char *path);

/* CLOCK_MONOTONIC in seconds. (Also in src/sweep/util.h, the same.) */
#ifndef PSW_MONO_NOW_DEFINED
#define PSW_MONO_NOW_DEFINED
static inline double psw__mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#endif

/* memcpy that accepts NULL buffers with nothing to copy (zero counts, and
 * the buffers non-receivers pass), which memcpy itself does not. */
static inline void psw__copy(void *dst, const void *src, size_t n) {
  if (n)
    __builtin_memcpy(dst, src, n);
}

/* CPUs this process may run on (sched_getaffinity), at least 1. */
int psw__available_cpus(void);

#endif /* PSW_INTERNAL_H */
