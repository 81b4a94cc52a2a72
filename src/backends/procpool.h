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

struct psw_procpool {
  struct psw_shm_group *g;
  int first, count; /* local ranks [first, first + count) are children */
  double grace;     /* seconds survivors get after a death */
  struct psw_child *c;
  int started;
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

#endif /* PSW_BACKENDS_PROCPOOL_H */
