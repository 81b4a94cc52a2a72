/* parsweep submit through libslurm: slurm_submit_batch_job. */
#include <errno.h>
#include <fcntl.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "psw_slurm.h"

int psw__slurm_config_ok(char *err, size_t errlen) {
  const char *conf = getenv("SLURM_CONF");
  if (!conf || !*conf)
    conf = "/etc/slurm/slurm.conf";
  if (access(conf, R_OK) != 0) {
    snprintf(err, errlen, "no Slurm configuration: %s: %s", conf,
             strerror(errno));
    return -1;
  }
  return 0;
}

int psw__slurm_quiet(void) {
  const char *log = getenv("PARSWEEP_LOG");
  if (log && !strcmp(log, "debug"))
    return -1;
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (saved < 0 || null < 0) {
    if (saved >= 0)
      close(saved);
    if (null >= 0)
      close(null);
    return -1;
  }
  dup2(null, STDERR_FILENO);
  close(null);
  return saved;
}

void psw__slurm_loud(int saved) {
  if (saved < 0)
    return;
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
}

void psw__slurm_init_once(void) {
  static int done;
  if (!done) {
    slurm_init(NULL);
    done = 1;
  }
}

int psw__slurm_unreachable(int e) {
  return (e >= SLURM_UNEXPECTED_MSG_ERROR &&
          e <= SLURM_COMMUNICATIONS_MISSING_SOCKET_ERROR) ||
         (e >= SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR &&
          e <= SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR) ||
         (e >= SLURM_PROTOCOL_SOCKET_IMPL_ZERO_RECV_LENGTH &&
          e < ESLURM_AUTH_CRED_INVALID) ||
         (e >= ESLURM_AUTH_CRED_INVALID && e <= ESLURM_AUTH_SKIP) ||
         e == ECONNREFUSED || e == ETIMEDOUT || e == EHOSTUNREACH ||
         e == ENETUNREACH || e == ECONNRESET;
}

/* Slurm's fields are non-const char *; it does not modify them. */
static char *str(const char *s) {
  return (char *)(uintptr_t)s;
}

int psw__slurm_submit(const psw_slurm_job_t *job, uint32_t *id,
                      int *unreachable, char *err, size_t errlen) {
  *unreachable = 0;
  if (psw__slurm_config_ok(err, errlen)) {
    *unreachable = 1;
    return -1;
  }
  int saved = psw__slurm_quiet();
  psw__slurm_init_once();
  job_desc_msg_t d;
  slurm_init_job_desc_msg(&d);
  d.script = str(job->script);
  d.argv = job->argv;
  d.argc = job->argc;
  d.environment = job->env;
  d.env_size = job->env_size;
  d.work_dir = str(job->work_dir);
  d.name = str(job->name);
  d.partition = str(job->partition);
  d.account = str(job->account);
  d.std_out = str(job->std_out);
  d.std_err = str(job->std_err);
  d.user_id = getuid();
  d.group_id = getgid();
  if (job->nodes > 0)
    d.min_nodes = (uint32_t)job->nodes;
  if (job->ntasks > 0)
    d.num_tasks = (uint32_t)job->ntasks;
  if (job->ntasks_per_node > 0)
    d.ntasks_per_node = (uint16_t)job->ntasks_per_node;
  if (job->ntasks_per_core > 0)
    d.ntasks_per_core = (uint16_t)job->ntasks_per_core;
  if (job->cpus_per_task > 0)
    d.cpus_per_task = (uint16_t)job->cpus_per_task;
  if (job->time_min >= 0)
    d.time_limit = (uint32_t)job->time_min;
  else if (job->time_min == -2)
    d.time_limit = INFINITE;
  if (job->warn_signal > 0) {
    d.warn_signal = (uint16_t)job->warn_signal;
    d.warn_time = (uint16_t)job->warn_time;
    if (job->warn_batch)
      d.warn_flags = KILL_JOB_BATCH;
  }
  submit_response_msg_t *resp = NULL;
  int rc = slurm_submit_batch_job(&d, &resp);
  int e = slurm_get_errno();
  psw__slurm_loud(saved);
  if (rc != SLURM_SUCCESS || !resp) {
    *unreachable = psw__slurm_unreachable(e);
    snprintf(err, errlen, "%s", slurm_strerror(e));
    if (resp)
      slurm_free_submit_response_response_msg(resp);
    return -1;
  }
  *id = resp->job_id;
  slurm_free_submit_response_response_msg(resp);
  return 0;
}
