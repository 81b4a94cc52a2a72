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

/* The child also dies with the thread that started it (PR_SET_PDEATHSIG,
 * SIGKILL): a model never outlives its worker. Only its leader, though:
 * in a fork worker the group id is also recorded for the supervisor
 * (backends/procpool.h), which kills the whole group if the worker dies.
 * So every child of psw__spawn is reaped with psw__spawn_reap (after its
 * group has been killed, while the unreaped leader still pins the group
 * id), never with waitpid directly: a recorded group id left behind could
 * later name an unrelated group. Returns waitpid's result (EINTR retried);
 * *status may be NULL. */
pid_t psw__spawn_reap(pid_t pid, int *status);

#endif /* PSW_SWEEP_SPAWN_H */
