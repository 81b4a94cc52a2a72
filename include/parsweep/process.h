/* parsweep — for programs whose workers start processes of their own (a
 * model run as a command): the pool backends (fork, hybrid's local pool)
 * clean those up when a worker dies, and tell the program.
 *
 * A worker that starts a process in a process group of its own (setpgid)
 * records the group while it runs; if the worker dies inside a region, or
 * is killed after opts.abort_grace_s, the supervisor SIGKILLs the groups it
 * had recorded (PR_SET_PDEATHSIG reaches a group's leader only). Outside a
 * pool's child both calls are no-ops. */
#ifndef PARSWEEP_PROCESS_H
#define PARSWEEP_PROCESS_H

#include <sys/types.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Record process group `pgid`, started by this worker (up to 4 at once: a
 * model and, briefly, its replacement). */
PSW_EXTERN void psw_worker_track_pgid(pid_t pgid);

/* Forget it: call before its leader is reaped (an unreaped leader pins the
 * group id). */
PSW_EXTERN void psw_worker_untrack_pgid(pid_t pgid);

/* A descriptor the supervisor writes one byte to when a worker dies inside
 * a region (-1: none; process-wide; set it in the process that calls
 * psw_parallel). A program passes the write end of a pipe its workers
 * watch, so that the survivors cancel what they run and leave the region
 * at once instead of being killed after the grace. */
PSW_EXTERN void psw_set_peer_lost_fd(int fd);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_PROCESS_H */
