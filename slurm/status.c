/* parsweep status JOBID through libslurm: slurm_load_job. */
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "psw_slurm.h"

/* Slurm's names of enum job_states (as squeue -l / scontrol print them). */
static const char *state_name(uint32_t s) {
  static const char *const names[] = {
      "PENDING",   "RUNNING",   "SUSPENDED", "COMPLETED",
      "CANCELLED", "FAILED",    "TIMEOUT",   "NODE_FAIL",
      "PREEMPTED", "BOOT_FAIL", "DEADLINE",  "OUT_OF_MEMORY"};
  uint32_t b = s & JOB_STATE_BASE;
  return b < sizeof names / sizeof names[0] ? names[b] : "UNKNOWN";
}

int psw__slurm_job_info(uint32_t id, psw_slurm_job_info_t *out,
                        int *unreachable, char *err, size_t errlen) {
  *unreachable = 0;
  memset(out, 0, sizeof *out);
  if (psw__slurm_config_ok(err, errlen)) {
    *unreachable = 1;
    return -1;
  }
  int saved = psw__slurm_quiet();
  psw__slurm_init_once();
  job_info_msg_t *msg = NULL;
  int rc = slurm_load_job(&msg, id, SHOW_ALL);
  int e = slurm_get_errno();
  psw__slurm_loud(saved);
  if (rc != SLURM_SUCCESS || !msg) {
    *unreachable = psw__slurm_unreachable(e);
    snprintf(err, errlen, "%s", slurm_strerror(e));
    if (msg)
      slurm_free_job_info_msg(msg);
    return -1;
  }
  if (msg->record_count == 0) {
    slurm_free_job_info_msg(msg);
    snprintf(err, errlen, "%s", slurm_strerror(ESLURM_INVALID_JOB_ID));
    return -1;
  }
  const slurm_job_info_t *j = &msg->job_array[0];
  uint32_t base = j->job_state & JOB_STATE_BASE;
  out->id = j->job_id;
  snprintf(out->name, sizeof out->name, "%s", j->name ? j->name : "");
  snprintf(out->state, sizeof out->state, "%s", state_name(j->job_state));
  out->done = base >= JOB_COMPLETE;
  if (j->job_state & JOB_COMPLETING)
    snprintf(out->state + strlen(out->state),
             sizeof out->state - strlen(out->state), "+COMPLETING");
  if (j->exit_code & 0x7f) {
    out->exit_signal = (int)(j->exit_code & 0x7f);
  } else {
    out->exit_status = (int)((j->exit_code >> 8) & 0xff);
  }
  snprintf(out->nodes, sizeof out->nodes, "%s", j->nodes ? j->nodes : "");
  out->elapsed = -1;
  if (base != JOB_PENDING && j->start_time > 0) {
    time_t end = out->done && j->end_time > 0 ? j->end_time : time(NULL);
    out->elapsed = end > j->start_time ? (long long)(end - j->start_time) : 0;
  }
  out->time_min = j->time_limit == INFINITE ? -2 : (long long)j->time_limit;
  slurm_free_job_info_msg(msg);
  return 0;
}
