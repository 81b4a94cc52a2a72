/* parsweep — shared-memory group: layout, flags and waits, barrier, abort. */
#include "shm/group.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "shm/futex.h"

#define PSW_SHM_MAGIC 0x70737731u /* "psw1" */
/* How long a sleeper sleeps before it re-checks abort and departures on its
 * own (a safety net; normally it is woken). */
#define PSW_SHM_SLEEP_NS (50 * 1000 * 1000)
#define PSW_SHM_YIELDS 16

static size_t round_up(size_t x, size_t a) {
  return (x + a - 1) & ~(a - 1);
}

static size_t workers_offset(void) {
  return round_up(sizeof(struct psw_shm_group), PSW_CACHELINE);
}

static size_t slots_offset(int n) {
  return workers_offset() + (size_t)n * sizeof(struct psw_shm_worker);
}

size_t psw__shm_group_bytes(int n, size_t slot_bytes) {
  size_t stride =
      sizeof(struct psw_shm_slot) + round_up(slot_bytes, PSW_CACHELINE);
  return round_up(slots_offset(n) + 2 * (size_t)n * stride, 4096);
}

void psw__shm_group_init(void *mem, int n, size_t slot_bytes, int ncpus) {
  struct psw_shm_group *g = mem;
  size_t total = psw__shm_group_bytes(n, slot_bytes);
  memset(mem, 0, slots_offset(n));
  g->magic = PSW_SHM_MAGIC;
  g->n = n;
  g->slot_bytes = slot_bytes;
  g->stride = sizeof(struct psw_shm_slot) + round_up(slot_bytes, PSW_CACHELINE);
  g->total = total;
  g->ncpus = ncpus;
  /* Spinning only pays when every waiter has a CPU of its own; otherwise it
   * steals the CPU from the worker everybody waits for. */
  g->spin = n <= ncpus ? 20000 : 0;
  g->mb = psw__shm_mb_register();
}

/* This process is registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED (a
 * forked child registers again: its copy of this flag says nothing about
 * its own registration). */
static int mb_self;

int psw__shm_mb_register(void) {
  long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  mb_self = q > 0 && (q & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
            syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0,
                    0) == 0;
  return mb_self;
}

int psw__shm_group_create(int n, size_t slot_bytes, int ncpus,
                          struct psw_shm_group **out) {
  if (n < 1 || slot_bytes < PSW_CACHELINE || !out)
    return PSW_ERR_INVAL;
  size_t bytes = psw__shm_group_bytes(n, slot_bytes);
  void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    PSW_ERROR("mmap of %zu bytes of shared memory: %s", bytes, strerror(errno));
    return PSW_ERR_SYS;
  }
  psw__shm_group_init(mem, n, slot_bytes, ncpus);
  *out = mem;
  return 0;
}

void psw__shm_group_destroy(struct psw_shm_group *g) {
  if (g)
    munmap(g, g->total);
}

void psw__shm_group_reset(struct psw_shm_group *g) {
  psw__shm_group_init(g, g->n, g->slot_bytes, g->ncpus);
}

struct psw_shm_slot *psw__shm_slot(struct psw_shm_group *g, int b, int w) {
  return (struct psw_shm_slot *)((char *)g + slots_offset(g->n) +
                                 ((size_t)b * (size_t)g->n + (size_t)w) *
                                     g->stride);
}

/* Wake every sleeper: bump the word first so that one about to sleep on
 * the old value does not. */
static void wake_all(struct psw_shm_group *g) {
  atomic_fetch_add(&g->gen, 1);
  psw__futex_wake_all(&g->gen);
}

void psw__shm_abort(struct psw_shm_group *g, int err) {
  int32_t zero = 0;
  atomic_compare_exchange_strong(&g->abort, &zero, err);
  wake_all(g); /* every wait of the group sleeps on `gen` */
}

void psw__shm_depart(struct psw_shm_group *g, int rank, int rc) {
  struct psw_shm_worker *w = psw__shm_worker(g, rank);
  atomic_store(&w->rc, rc);
  atomic_store(&w->state, PSW_W_DONE);
  /* A region error (a lost peer, a mismatch) is the others' error too;
   * any other failure is ABORTED for them. */
  if (rc == PSW_ERR_PEER_LOST || rc == PSW_ERR_MISMATCH)
    psw__shm_abort(g, rc);
  else if (rc != 0)
    psw__shm_abort(g, PSW_ERR_ABORTED);
  atomic_fetch_add(&g->departed, 1);
  wake_all(g);
}

void psw__shm_signal(struct psw_shm_group *g, _Atomic uint64_t *flag,
                     uint64_t v) {
  /* A store then a load of sleepers, which a waiter going to sleep
   * increments before it checks the flag again: one of the two must see
   * the other, or the waiter sleeps through the store. A seq_cst store
   * (an xchg, which waits for the flag's cache line) makes sure of it on
   * the signaller's side. With membarrier(2) the waiter makes sure of it
   * instead, on its slow path: its global expedited barrier runs a full
   * fence on every CPU running a registered signaller, so this store is
   * either visible before the waiter's re-check or this load runs after
   * the fence and sees sleepers. The fast path is then a plain store. */
  if (g->mb && mb_self) {
    atomic_store_explicit(flag, v, memory_order_release);
    atomic_signal_fence(memory_order_seq_cst); /* the compiler keeps order */
    if (atomic_load_explicit(&g->sleepers, memory_order_relaxed))
      wake_all(g);
    return;
  }
  atomic_store(flag, v);
  if (atomic_load(&g->sleepers))
    wake_all(g);
}

static int reached(_Atomic uint64_t *flag, uint64_t target) {
  return atomic_load_explicit(flag, memory_order_acquire) >= target;
}

/* Can the flag still be set? Only while the worker that sets it (who >= 0),
 * or for a barrier every worker that has not entered it, is still in the
 * region. A departed worker set its flags before it departed, so re-check
 * after seeing the departure. */
static int cannot_come(struct psw_shm_group *g, _Atomic uint64_t *flag,
                       uint64_t target, int who) {
  for (int w = who < 0 ? 0 : who; w < (who < 0 ? g->n : who + 1); w++) {
    struct psw_shm_worker *x = psw__shm_worker(g, w);
    if (atomic_load(&x->state) == PSW_W_DONE && !reached(flag, target) &&
        (who >= 0 || atomic_load(&x->bar_epoch) < target))
      return 1;
  }
  return 0;
}

int psw__shm_wait(struct psw_shm_group *g, _Atomic uint64_t *flag,
                  uint64_t target, int who) {
  for (int i = 0; i < g->spin; i++) {
    if (reached(flag, target))
      return 0;
    psw__cpu_relax();
  }
  for (int i = 0; i < PSW_SHM_YIELDS; i++) {
    if (reached(flag, target))
      return 0;
    sched_yield();
  }
  for (;;) {
    uint32_t gen = atomic_load(&g->gen);
    if (reached(flag, target))
      return 0;
    int32_t err = atomic_load(&g->abort);
    if (err)
      return err;
    if (atomic_load(&g->departed) && cannot_come(g, flag, target, who))
      return PSW_ERR_MISMATCH;
    atomic_fetch_add(&g->sleepers, 1);
    if (g->mb) /* pairs with the fast path of psw__shm_signal */
      syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
    if (atomic_load(flag) < target)
      psw__futex_wait(&g->gen, gen, PSW_SHM_SLEEP_NS);
    atomic_fetch_sub(&g->sleepers, 1);
  }
}

int psw__shm_barrier(struct psw_shm_group *g, int rank) {
  int32_t err = atomic_load_explicit(&g->abort, memory_order_relaxed);
  if (err)
    return err;
  struct psw_shm_worker *me = psw__shm_worker(g, rank);
  uint64_t e = atomic_load_explicit(&me->bar_epoch, memory_order_relaxed) + 1;
  atomic_store(&me->bar_epoch, e);
  /* Round k: tell worker rank + 2^k, wait for rank - 2^k. After
   * ceil(log2 n) rounds every worker has heard, directly or not, from all
   * the others. Epochs only grow, so a partner already at the next barrier
   * (it can be at most one ahead) satisfies the >= test too. */
  int k = 0;
  for (int64_t d = 1; d < g->n; d <<= 1, k++) {
    int to = (int)((rank + d) % g->n);
    psw__shm_signal(g, &psw__shm_worker(g, to)->bar_in[k], e);
    int rc = psw__shm_wait(g, &me->bar_in[k], e, -1);
    if (rc)
      return rc;
  }
  return 0;
}

int psw__shm_region_result(struct psw_shm_group *g) {
  int first = 0;
  for (int r = 0; r < g->n; r++) {
    int rc = atomic_load(&psw__shm_worker(g, r)->rc);
    if (rc && rc != PSW_ERR_ABORTED)
      return rc;
    if (rc && !first)
      first = rc;
  }
  return first;
}
