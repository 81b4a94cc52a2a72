/* parsweep — dynamic distribution of work inside a region. */
#ifndef PARSWEEP_SCHED_H
#define PARSWEEP_SCHED_H

#include <stdint.h>

#include "export.h"
#include "manager.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One task. A non-zero return stops the loop on every worker (no new
 * chunks are handed out) and becomes psw_for's return value. */
typedef int (*psw_task_fn)(psw_ctx_t *ctx, uint64_t index, void *arg);

/* Collective: every worker of the region calls it with the same n. Runs
 * task(ctx, i, arg) exactly once for every i in 0..n-1, on whichever worker
 * is free: workers take chunks of indices from a shared counter, and the
 * chunks shrink as the work runs out (guided self-scheduling), so one slow
 * task does not leave the others idle at the end. Returns when every index
 * has been run (an implied barrier), with 0, or the first task error on
 * every worker, or a region error (PSW_ERR_PEER_LOST, ...). */
PSW_EXTERN int psw_for(psw_ctx_t *ctx, uint64_t n, psw_task_fn task, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* PARSWEEP_SCHED_H */
