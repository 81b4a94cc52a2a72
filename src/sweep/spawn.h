/* parsweep — starting a model's process (internal). */
#ifndef PSW_SWEEP_SPAWN_H
#define PSW_SWEEP_SPAWN_H

#include <sys/types.h>

/* Start argv (path: the executable, or NULL to search argv[0] on PATH)
 * with environment envp, in a process group of its own, stdin /dev/null,
 * stdout on out_fd (-1: ours), pass_fd (-1: none) as its fd 3, no other
 * descriptor of ours but 0-2, default signal dispositions and an empty
 * mask, except SIGUSR1: ignored. It is parsweep's drain signal (the
 * walltime warning), and launchers send it to every process of a job step
 * (srun) or to the ranks' children (mpirun), where its default action would
 * kill the running sample. Ignored, not blocked: shells clear the mask
 * when they start, and an ignored signal stays ignored across exec and in
 * the model's own children.
 *
 * Returns 0 once the child has exec'd, or an errno value (the exec's own:
 * ENOENT, EACCES, ...). vfork and exec rather than posix_spawn, which
 * cannot leave a signal ignored in the child. Safe in a multi-threaded
 * host; the cost does not grow with the host's memory. */
int psw__spawn(const char *path, char *const *argv, char *const *envp,
               int out_fd, int pass_fd, pid_t *pid);

#endif /* PSW_SWEEP_SPAWN_H */
