/* parsweep — the libslurm side of `parsweep submit` and `parsweep status`
 * (internal). The job description is plain C (no Slurm header) so that the
 * CLI can build it, and print it for --dry-run, without libslurm.
 *
 * Every function returns 0 or -1 and then writes a one-line message (no
 * newline) to err. libslurm's own log lines are kept off stderr unless
 * PARSWEEP_LOG=debug. */
#ifndef PSW_SLURM_H
#define PSW_SLURM_H

#include <stddef.h>
#include <stdint.h>

/* One batch job. Numbers are -1 when not set (Slurm's default applies);
 * strings NULL when not set. */
typedef struct psw_slurm_job {
  const char *script; /* the whole script text, "#!..." */
  char **argv;        /* argv[0] the script name, then its arguments */
  uint32_t argc;
  char **env; /* "NAME=VALUE" */
  uint32_t env_size;
  const char *work_dir, *name, *partition, *account, *std_out, *std_err;
  long nodes, ntasks, ntasks_per_node, ntasks_per_core, cpus_per_task;
  long time_min;   /* minutes; -2 unlimited */
  int warn_signal; /* 0: none */
  int warn_time;   /* seconds before the limit */
  int warn_batch;  /* B: the batch shell only */
} psw_slurm_job_t;

/* A job as slurmctld reports it. */
typedef struct psw_slurm_job_info {
  uint32_t id;
  char name[128];
  char state[32];     /* COMPLETED, RUNNING, ... */
  int done;           /* the job has ended */
  int exit_status;    /* of the batch script */
  int exit_signal;    /* 0 when none */
  char nodes[256];    /* node list, "" when none yet */
  long long elapsed;  /* seconds run so far (or in all); -1 not started */
  long long time_min; /* limit in minutes, -2 unlimited */
} psw_slurm_job_info_t;

/* Is Slurm configured here: SLURM_CONF, else /etc/slurm/slurm.conf,
 * readable. libslurm aborts the process on a missing configuration, so
 * check this before anything else. */
int psw__slurm_config_ok(char *err, size_t errlen);

/* Submit the job; *id receives its id. *unreachable is set to 1 when the
 * failure is that slurmctld could not be reached or authenticated (versus
 * a job it rejected). */
int psw__slurm_submit(const psw_slurm_job_t *job, uint32_t *id,
                      int *unreachable, char *err, size_t errlen);

/* Load job `id` from slurmctld. *unreachable as for submit. */
int psw__slurm_job_info(uint32_t id, psw_slurm_job_info_t *out,
                        int *unreachable, char *err, size_t errlen);

#endif /* PSW_SLURM_H */
