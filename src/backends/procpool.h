/* parsweep — forked workers of a shared-memory group, and their
 * supervision (internal). Used by the fork backend (every worker is a
 * child) and by hybrid (local worker 0 is the MPI rank itself, the others
 * are its children).
 *
 * The supervisor watches each child through a pidfd. A child that dies (a
 * signal, or an exit before its region function returned) aborts the
 * group, which makes every survivor's pending and future collectives
 * return PSW_ERR_PEER_LOST at once. Survivors that do not leave within the
 * grace period are killed, and every child is reaped before supervise
 * returns. Children die with their parent (PR_SET_PDEATHSIG). */
#ifndef PSW_BACKENDS_PROCPOOL_H
#define PSW_BACKENDS_PROCPOOL_H

#include <sys/types.h>

#include "internal.h"
#include "shm/group.h"

#define PSW_DEFAULT_GRACE_S 10.0

struct psw_child;

/* Process groups a child may have running at once (a model and, briefly,
 * its replacement). */
#define PSW_POOL_PGIDS 4

struct psw_procpool {
  struct psw_shm_group *g;
  int first, count; /* local ranks [first, first + count) are children */
  double grace;     /* seconds survivors get after a death */
  struct psw_child *c;
  int started;
  /* MAP_SHARED, PSW_POOL_PGIDS per child: the process groups of the
   * models each child runs now (psw__procpool_track). */
  _Atomic pid_t *pgids;
};

/* Runs in a child for local rank `rank`; returns the region function's
 * result (the child then departs and exits). */
typedef int (*psw_child_fn)(int rank, void *arg);

/* Fork `count` children for local ranks first.. of g. On failure the group
 * is aborted and the children already started must still be supervised.
 * Returns 0, PSW_ERR_NOMEM or PSW_ERR_SYS. */
int psw__procpool_start(struct psw_procpool *p, struct psw_shm_group *g,
                        int first, int count, double grace, psw_child_fn fn,
                        void *arg);

/* Block until every child has ended; frees what start made. Returns 0, or
 * PSW_ERR_PEER_LOST when a child died inside the region. */
int psw__procpool_supervise(struct psw_procpool *p);

/* A model runs in a process group of its own (sweep/spawn.c), so neither
 * the death of its worker (PR_SET_PDEATHSIG reaches the group's leader
 * only) nor a SIGKILL of the worker's group reaches what it started. A
 * pool child therefore records each model's process group in shared
 * memory (track, when started; untrack, before the leader is reaped: an
 * unreaped leader pins the group id). When a child dies inside the region,
 * or is killed after the grace, the supervisor SIGKILLs the groups it had
 * recorded. Outside a pool child both are no-ops. */
void psw__procpool_track(pid_t pgid);
void psw__procpool_untrack(pid_t pgid);

/* A descriptor the supervisor writes one byte to when a child dies inside
 * the region (-1: none; process-wide). The sweep runner passes its cancel
 * pipe: the surviving workers cancel their running models at once
 * (recorded not run) and leave, so that the root removes its temporaries
 * and its lock instead of being killed after the grace. */
void psw__procpool_set_cancel_fd(int fd);

#endif /* PSW_BACKENDS_PROCPOOL_H */
