/* parsweep — a shared-memory group in a named segment, for processes of
 * one node that were launched separately (hybrid's ranks of a node).
 *
 * The name is unique per user, job, process and run
 * ("/psw-UID-JOB-PID-RANDOM", JOB the Slurm job id or 0), created with
 * O_EXCL and mode 0600, and unlinked as soon as every member has attached,
 * so that nothing is left in /dev/shm and two jobs (or two users) can never
 * meet in one segment. A process killed inside that short window leaves
 * its name: psw__shm_named_reap, run whenever a manager of a backend of
 * node shared memory (threads, fork, hybrid) is created, removes the names
 * of this user whose process is gone. */
#ifndef PSW_SHM_NAMED_H
#define PSW_SHM_NAMED_H

#include <stddef.h>

#include "shm/group.h"

#define PSW_SHM_NAME_MAX 64

/* Leader: create and initialise; *name receives the name to pass on. */
int psw__shm_named_create(int n, size_t slot_bytes, int ncpus,
                          char name[PSW_SHM_NAME_MAX],
                          struct psw_shm_group **out);
/* Member: attach to the leader's segment. */
int psw__shm_named_attach(const char *name, struct psw_shm_group **out);
/* Leader, once everyone is attached: remove the name. */
void psw__shm_named_unlink(const char *name);
/* Remove what killed processes of this user left in /dev/shm; returns
 * how many names were removed. */
int psw__shm_named_reap(void);

#endif /* PSW_SHM_NAMED_H */
