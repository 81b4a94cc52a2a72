/* parsweep — a node-local group of workers in shared memory (internal).
 *
 * One contiguous block holds the synchronisation words, per-worker state
 * and the staging slots of the collectives. The block may be anonymous
 * MAP_SHARED memory mapped before fork (fork, threads) or, later, a named
 * segment attached by separately launched ranks (hybrid's node stage): the
 * algorithms only see the block and a local rank.
 *
 * Every wait is on a flag that one worker writes (per-worker words on
 * separate cache lines, epoch counters that only grow; no shared counter on
 * the fast path). Waiting is spin-then-block: a bounded spin, a few
 * sched_yield()s, then a futex sleep with a timeout so that an abort is
 * noticed even if a wake-up is missed. No lock is ever held across a
 * wait. */
#ifndef PSW_SHM_GROUP_H
#define PSW_SHM_GROUP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "parsweep/manager.h"

#define PSW_CACHELINE 64
#define PSW_SHM_DEFAULT_SLOT PSW_DEFAULT_SHM_SLOT_BYTES
#define PSW_SHM_LOOP_SLOTS 3

/* Per-worker words, used by the pool backends to report back, and the
 * worker's record ring of psw_for_ex (producer: the worker; consumer: the
 * collector thread on local rank 0). */
#define PSW_SHM_ROUNDS 32 /* dissemination rounds: ceil(log2 n) <= 31 */
#define PSW_SHM_BOXES 16  /* mailboxes per worker (a power of 2) */
#define PSW_SHM_SMALL 56  /* bytes a mailbox carries */

/* A worker's mailbox for small messages (shm/small.c): `seq` is the epoch
 * of the operation whose data is in `data`, stored after the data. */
struct psw_shm_box {
  _Atomic uint64_t seq;
  unsigned char data[PSW_SHM_SMALL];
} __attribute__((aligned(PSW_CACHELINE)));

struct psw_shm_worker {
  _Atomic int32_t rc;    /* region function's return */
  _Atomic int32_t state; /* PSW_W_* */
  _Atomic int32_t pid;   /* fork: the worker's pid */
  _Atomic uint64_t ring_head __attribute__((aligned(PSW_CACHELINE)));
  _Atomic uint64_t ring_tail __attribute__((aligned(PSW_CACHELINE)));
  /* Dissemination barrier: bar_in[k] is the epoch of the latest barrier in
   * whose round k worker (w - 2^k) mod n signalled this one (one writer
   * per round, so it only grows). */
  _Atomic uint64_t bar_in[PSW_SHM_ROUNDS]
      __attribute__((aligned(PSW_CACHELINE)));
  /* Barriers this worker has entered; written by it alone, read by a
   * waiter that looks for a departed worker that never entered its one. */
  _Atomic uint64_t bar_epoch __attribute__((aligned(PSW_CACHELINE)));
  /* This worker's own: the least `done` of the others when it last looked
   * (they only grow), so that posting reads their lines only when needed. */
  uint64_t done_floor;
  /* Epoch of the latest small-message operation this worker finished: a
   * mailbox's writer reuses it once every worker is past its last use. */
  _Atomic uint64_t done __attribute__((aligned(PSW_CACHELINE)));
  struct psw_shm_box box[PSW_SHM_BOXES];
} __attribute__((aligned(PSW_CACHELINE)));

enum { PSW_W_IDLE = 0, PSW_W_RUNNING = 1, PSW_W_DONE = 2 };

/* psw_for's shared counter; PSW_SHM_LOOP_SLOTS of them rotate so that one
 * barrier per loop suffices (see shm/loop.c). */
struct psw_shm_loop {
  _Atomic uint64_t next;
  _Atomic int32_t err;
  _Atomic uint32_t finished; /* workers that will take no more chunks */
} __attribute__((aligned(PSW_CACHELINE)));

/* Header of a staging slot; the data follows it. */
struct psw_shm_slot {
  uint64_t len;  /* bytes valid in data this step */
  uint32_t more; /* the writer has more steps to go */
  uint32_t pad;
  unsigned char data[] __attribute__((aligned(PSW_CACHELINE)));
} __attribute__((aligned(PSW_CACHELINE)));

struct psw_shm_group {
  /* Immutable after init. */
  uint32_t magic;
  int32_t n;           /* workers */
  uint64_t slot_bytes; /* data bytes per slot */
  uint64_t stride;     /* bytes between slots */
  uint64_t total;      /* bytes of the whole block */
  int32_t spin;        /* spin iterations before yielding */
  int32_t ncpus;       /* CPUs available, as given at init */
  /* The creator registered for membarrier(2)'s global expedited barrier:
   * waiters going to sleep take it, so that registered signallers may
   * publish a flag with a plain release store (psw__shm_signal). */
  int32_t mb;

  /* First error of the region (0 = none): set by a worker that failed or by
   * the supervisor that saw a worker die; makes every wait return it. */
  _Atomic int32_t abort __attribute__((aligned(PSW_CACHELINE)));
  /* Workers that have left the region function. A waiter that sees one
   * while its barrier is incomplete knows the barrier can never complete. */
  _Atomic uint32_t departed;

  /* The futex word every sleeping waiter sleeps on: bumped and woken when
   * a flag is stored while `sleepers` is non-zero, and on abort and
   * departure. The fast path only reads `sleepers` (no shared writes). */
  _Atomic uint32_t gen __attribute__((aligned(PSW_CACHELINE)));
  _Atomic uint32_t sleepers;

  struct psw_shm_loop loop[PSW_SHM_LOOP_SLOTS];

  /* hybrid: the node's queue of chunks fetched from the dispatcher. */
  struct psw_shm_nodeq {
    _Atomic uint32_t lock; /* spinlock over the fields below; never held
                              across a wait */
    _Atomic uint32_t seq;  /* futex word: bumped when ranges arrive or the
                              queue is done */
    _Atomic uint32_t kick; /* futex word: bumped when a worker wants more */
    uint32_t head, count, done;
    struct {
      uint64_t next, end;
    } r[8];
  } nodeq __attribute__((aligned(PSW_CACHELINE)));

  /* The record collector sleeps on coll_word when every ring is empty;
   * producers bump and wake it when coll_sleeping is set. */
  _Atomic uint32_t coll_word __attribute__((aligned(PSW_CACHELINE)));
  _Atomic uint32_t coll_sleeping;
  /* Followed by n struct psw_shm_worker, then 2*n slots. */
};

/* Bytes needed for a group of n workers with slot_bytes per slot. */
size_t psw__shm_group_bytes(int n, size_t slot_bytes);

/* Initialise a group in `mem` of psw__shm_group_bytes(n, slot_bytes) bytes,
 * aligned to a page. `ncpus` tunes the spin (no spinning when workers
 * outnumber CPUs). */
void psw__shm_group_init(void *mem, int n, size_t slot_bytes, int ncpus);

/* Map anonymous shared memory (survives fork) and initialise a group in it.
 * Returns 0, PSW_ERR_INVAL or PSW_ERR_SYS. */
int psw__shm_group_create(int n, size_t slot_bytes, int ncpus,
                          struct psw_shm_group **out);
void psw__shm_group_destroy(struct psw_shm_group *g);

/* Reset the synchronisation state between regions (all workers gone). */
void psw__shm_group_reset(struct psw_shm_group *g);

static inline struct psw_shm_worker *psw__shm_worker(struct psw_shm_group *g,
                                                     int w) {
  return (struct psw_shm_worker *)((char *)g +
                                   ((sizeof *g + PSW_CACHELINE - 1) &
                                    ~(size_t)(PSW_CACHELINE - 1))) +
         w;
}

/* Slot of worker w in buffer b (0 or 1). */
struct psw_shm_slot *psw__shm_slot(struct psw_shm_group *g, int b, int w);

/* Record the first error of the region and wake every waiter. */
void psw__shm_abort(struct psw_shm_group *g, int err);

/* A worker leaves the region function (with its return value). */
void psw__shm_depart(struct psw_shm_group *g, int rank, int rc);

/* The region's result from the workers' reports (after all departed): the
 * first worker's own error, not the ABORTED it caused in the others. */
int psw__shm_region_result(struct psw_shm_group *g);

/* Wait for every worker (a dissemination barrier over per-worker flags).
 * Returns 0 or the region's error. */
int psw__shm_barrier(struct psw_shm_group *g, int rank);

/* Register this process for membarrier(2)'s global expedited command (a
 * process that signals a group's flags; called by group init, attach and
 * every forked worker). Returns non-zero when registered: this process's
 * signals then take the fast path. */
int psw__shm_mb_register(void);

/* Store a flag other workers wait on and wake sleepers. */
void psw__shm_signal(struct psw_shm_group *g, _Atomic uint64_t *flag,
                     uint64_t v);

/* Wait until *flag >= target, set by worker `who` (-1: a barrier flag,
 * which depends on every worker having entered barrier `target`). Spins,
 * yields, then sleeps with a timeout; returns 0, the region's error, or
 * PSW_ERR_MISMATCH when a departed worker can no longer set it. */
int psw__shm_wait(struct psw_shm_group *g, _Atomic uint64_t *flag,
                  uint64_t target, int who);

#endif /* PSW_SHM_GROUP_H */
