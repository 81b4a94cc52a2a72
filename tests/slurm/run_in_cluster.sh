#!/usr/bin/env bash
# run_in_cluster.sh DIR CMD [ARG...]: run CMD against the test cluster that
# `cluster.sh start DIR` started: SLURM_CONF (and PSW_SLURM_DIR) exported, a
# surrounding job's SLURM_* variables removed, and PSW_SLURM_TOOLS set to
# this directory (for wait_job.sh). Exits 1 when DIR holds no cluster.
#
#   run_in_cluster.sh build/tests/slurm/cluster srun -N 2 hostname
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: ${0##*/} DIR CMD [ARG...]" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$1
shift
lines=$("$here/cluster.sh" env "$dir") || exit 1
eval "$lines"
export PSW_SLURM_TOOLS=$here
exec "$@"
