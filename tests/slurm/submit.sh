#!/usr/bin/env bash
# submit.sh MODE PARSWEEP PLUGIN REPO WORKDIR: parsweep submit / status
# (issue: Slurm, acceptance 2 and 4).
#
#   cluster      on the test cluster (through run_in_cluster.sh):
#                `submit spec.yaml --template node -N 1 -t 5` prints a job
#                id, the job completes, results.h5 is correct (h5py),
#                `status JOBID` and `status results.h5` report it;
#                `--dry-run` submits nothing.
#   unreachable  no cluster: SLURM_CONF names a slurm.conf whose slurmctld
#                port nothing listens on (then a missing file): submit and
#                `status JOBID` exit 1 with a one-line reason; --dry-run and
#                `status FILE.h5` work without Slurm.
# WORKDIR must be visible from every node (not /tmp).
set -euo pipefail
mode=$1 parsweep=$2 plugin=$3 repo=$4 work=$5
supp=$repo/tests/lsan.supp
export LSAN_OPTIONS="suppressions=$supp:fast_unwind_on_malloc=0:print_suppressions=0"
export PARSWEEP_JOBSCRIPTS=$repo/jobscripts
. "$(dirname "$0")/workdir.sh"
psw_workdir "$work" "$parsweep"
cat >spec.yaml <<YAML
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 20}
  b: {type: PredeterminedFixedSample, array: [1, 2, 3]}
outputs: [y, z]
model:
  plugin: $plugin
YAML
check() { # FILE
  /usr/bin/python3 - "$1" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    a, b = np.meshgrid(np.linspace(0, 1, 20), [1.0, 2.0, 3.0], indexing="ij")
    st = f["parsweep/status"][()]
    assert st.shape == (60,), st.shape
    assert (st == 1).all()
    assert np.array_equal(f["sweep_params/a/value"][()], a.ravel())
    assert np.array_equal(f["outputs/y/value"][()], (a + b).ravel())
PY
}
# one_line_error WHAT CMD...: CMD exits 1 with one line "... cannot reach
# Slurm: ..." on stderr and nothing on stdout.
one_line_error() {
  local what=$1 rc=0
  shift
  "$@" >out.log 2>err.log || rc=$?
  [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1"
  [ "$(wc -l <err.log)" = 1 ] || fail "$what: not one line on stderr"
  grep -q "^parsweep [a-z]*: cannot reach Slurm: ." err.log ||
    fail "$what: no 'cannot reach Slurm' reason"
  [ ! -s out.log ] || fail "$what: wrote on stdout"
  echo "  $what: $(cat err.log)"
}
dry_run_ok() {
  "$parsweep" submit spec.yaml --template node -N 1 -t 5 --dry-run >dry.log ||
    fail "--dry-run did not exit 0"
  grep -q "^#SBATCH --signal=B:USR1@300" dry.log ||
    fail "--dry-run does not show the template"
  grep -q "nodes=1" dry.log || fail "--dry-run does not show -N"
  grep -q "time=0-00:05:00" dry.log || fail "--dry-run does not show -t"
  # 300 s would come at once under -t 5: a quarter of the limit.
  grep -q -- "--signal=B:USR1@75" dry.log || fail "--dry-run: warning not fitted to -t 5"
  grep -q "$work/spec.yaml" dry.log || fail "--dry-run: no spec argument"
}

case $mode in
cluster)
  echo "--- --dry-run submits nothing"
  before=$(squeue -h | wc -l)
  dry_run_ok
  sleep 1
  after=$(squeue -h | wc -l)
  [ "$before" = "$after" ] || fail "--dry-run changed squeue ($before -> $after)"

  echo "--- parsweep submit spec.yaml --template node -N 1 -t 5"
  "$parsweep" submit spec.yaml --template node -N 1 -t 5 -- -o node.h5 -q \
    >submit.log || fail "submit did not exit 0"
  [ "$(wc -l <submit.log)" = 1 ] || fail "submit: not one line on stdout"
  grep -Eq "^Submitted batch job [0-9]+$" submit.log ||
    fail "submit printed: $(cat submit.log)"
  job=$(awk '{print $4}' submit.log)
  end=$("$PSW_SLURM_TOOLS/wait_job.sh" "$job" 240) || fail "wait_job: $end"
  [ "$end" = "COMPLETED 0:0" ] || fail "job $job ended $end"
  [ -f "parsweep-$job.out" ] || fail "no parsweep-$job.out in the work dir"
  grep -q "parsweep exited 0" "parsweep-$job.out" || fail "no exit line"
  check node.h5 || fail "node.h5"

  echo "--- parsweep status $job"
  "$parsweep" status "$job" >status.log || fail "status JOBID exit $?"
  cat status.log
  grep -Eq "^state +COMPLETED" status.log || fail "status: no COMPLETED"
  grep -Eq "^exit code +0:0" status.log || fail "status: no exit code"
  grep -Eq "^nodes +psw-n1" status.log || fail "status: no node"

  echo "--- parsweep status node.h5"
  "$parsweep" status node.h5 >status.log || fail "status FILE exit $?"
  cat status.log
  grep -Eq "^done +60 " status.log || fail "status FILE: not 60 done"
  grep -Eq "^remaining +0$" status.log || fail "status FILE: remaining"
  grep -Eq "^state +complete$" status.log || fail "status FILE: state"
  ;;
unreachable)
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >slurm.conf <<CONF
ClusterName=pswdead
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
AuthType=auth/munge
MessageTimeout=2
NodeName=localhost CPUs=1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES
CONF
  echo "--- SLURM_CONF with no slurmctld listening (port $port)"
  export SLURM_CONF=$work/slurm.conf
  one_line_error "submit" "$parsweep" submit spec.yaml --template node
  one_line_error "status JOBID" "$parsweep" status 42
  dry_run_ok
  echo "--- SLURM_CONF naming a missing file"
  export SLURM_CONF=$work/missing.conf
  one_line_error "submit" "$parsweep" submit spec.yaml --template node
  one_line_error "status JOBID" "$parsweep" status 42
  dry_run_ok

  echo "--- parsweep status FILE.h5 without Slurm"
  "$parsweep" run spec.yaml -b serial -o local.h5 -q || fail "run"
  check local.h5 || fail "local.h5"
  "$parsweep" status local.h5 >status.log || fail "status FILE exit $?"
  cat status.log
  grep -Eq "^done +60 " status.log || fail "status FILE: not 60 done"
  grep -Eq "^remaining +0$" status.log || fail "status FILE: remaining"
  ;;
*)
  echo "usage: ${0##*/} cluster|unreachable PARSWEEP PLUGIN REPO WORKDIR" >&2
  exit 2
  ;;
esac
echo "submit.sh $mode: ok"
