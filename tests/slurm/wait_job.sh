#!/usr/bin/env bash
# wait_job.sh JOBID [TIMEOUT_S]: wait until job JOBID has ended (polling
# scontrol every 0.5 s: sbatch --wait polls every 10 s or so) and print
# "STATE EXITCODE", e.g. "COMPLETED 0:0", "TIMEOUT 0:15", "FAILED 1:0".
# Exit 0 once the job has ended whatever its state, 124 on timeout
# (default 300 s), 1 when scontrol does not know the job. Needs SLURM_CONF
# (run it through run_in_cluster.sh).
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: ${0##*/} JOBID [TIMEOUT_S]" >&2
  exit 2
fi
job=$1
end=$(($(date +%s) + ${2:-300}))
while :; do
  if ! line=$(scontrol show job -o "$job" 2>&1); then
    echo "${0##*/}: $line" >&2
    exit 1
  fi
  state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line")
  code=$(sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' <<<"$line")
  case $state in
  COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | \
    OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
    echo "$state $code"
    exit 0
    ;;
  esac
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "${0##*/}: job $job still $state after ${2:-300}s" >&2
    exit 124
  fi
  sleep 0.5
done
