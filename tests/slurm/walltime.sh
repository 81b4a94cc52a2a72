#!/usr/bin/env bash
# walltime.sh MODE REPO PARSWEEP WORKDIR: the walltime drain on the test
# cluster, with real time limits (issue: Slurm, acceptance 3). Run through
# run_in_cluster.sh. The model is a /bin/sh script that sleeps, then appends
# its sample index to WORKDIR/evals (the record of what was computed,
# independent of results.h5) and prints y = a.
#
#   drain  sbatch --wait -t 2 --signal=B:USR1@30 jobscripts/node.sbatch on
#          a sweep longer than the job: the job exits 4; results.h5 holds
#          exactly the finished samples (every index in evals, status ok,
#          y right) and the rest as not run, none failed.
#   chain  jobscripts/chain.sbatch -N 2 -t 2 on a sweep of several minutes'
#          work: several jobs, each but the last drained (exit 4) and
#          resubmitted with --resume, the last exits 0; every sample
#          recorded ok with y right; each computed once, but for at most
#          those in flight at a deadline (workers x (jobs - 1)).
#   scancel  node.sbatch cancelled mid-sweep with a plain `scancel` (no
#          warning: SIGTERM, then SIGKILL): results.h5 absent or complete;
#          a --resume job completes it, evaluating none of the samples
#          recorded (results.h5 or journal) at the cancel.
# WORKDIR must be visible from both nodes (not /tmp).
set -euo pipefail
mode=$1 repo=$2 parsweep=$3 work=$4
. "$(dirname "$0")/workdir.sh"
psw_workdir "$work" "$parsweep"
spec() { # N SECONDS
  cat >spec.yaml <<YAML
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: $1}
outputs: [y]
model:
  command: [/bin/sh, -c, 'sleep $2; echo "\$1" >> $work/evals; echo "y=\$2"',
            sh, '{index}', '{a}']
YAML
}
check() { # FILE N MODE: MODE partial (after a drain) or complete (chain)
  /usr/bin/python3 - "$@" "$work/evals" <<'PY'
import collections
import sys
import h5py
import numpy as np
path, n, mode, evals = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
done = [int(x) for x in open(evals).read().split()]
with h5py.File(path, "r") as f:
    status = f["parsweep/status"][()]
    y = f["outputs/y/value"][()]
a = np.linspace(0, 1, n)
ok = np.flatnonzero(status == 1)
bad = np.flatnonzero((status != 1) & (status != 0))
assert bad.size == 0, f"failed samples {bad.tolist()}"
assert np.array_equal(y[ok], a[ok]), "recorded y != a"
assert np.isnan(y[status == 0]).all(), "not-run rows are not NaN"
count = collections.Counter(done)
if mode == "partial":
    assert sorted(count) == ok.tolist(), (
        f"finished {sorted(count)} but recorded ok {ok.tolist()}")
    assert 0 < ok.size < n, f"{ok.size} of {n} recorded: not mid-sweep"
    print(f"drained: {ok.size} of {n} samples finished, all recorded")
else:
    assert ok.size == n, f"{ok.size} of {n} samples ok"
    assert sorted(count) == list(range(n)), "a recorded sample never ran"
    twice = sum(c - 1 for c in count.values())
    print(f"complete: {n} samples ok; {twice} computed more than once")
    print(twice)
PY
}

case $mode in
drain)
  # 2 CPUs, 0.5 s a sample: 600 samples take 150 s; the warning comes 30
  # to 90 s after the start (Slurm sends it up to 60 s early).
  spec 600 0.5
  set +e
  sbatch --wait -N 1 -t 2 --signal=B:USR1@30 -o drain.out \
    "$repo/jobscripts/node.sbatch" spec.yaml -o drain.h5 -q >/dev/null
  rc=$?
  set -e
  [ "$rc" = 4 ] || fail "node.sbatch at its time limit: exit $rc, expected 4"
  grep -q "parsweep exited 4" drain.out || fail "no 'parsweep exited 4' in the log"
  check drain.h5 600 partial || fail "drain.h5"
  ;;
chain)
  # 2 nodes x 2 CPUs, 0.5 s a sample: 1000 samples are 125 s of work;
  # each job of -t 2 gets the warning (30 s, also for the jobs chain.sbatch
  # submits) 30 to 90 s after its start: 2 to 5 jobs.
  spec 1000 0.5
  first=$(PSW_CHAIN_MAX=8 sbatch --parsable -N 2 -t 2 --signal=B:USR1@30 \
    -o chain.out "$repo/jobscripts/chain.sbatch" spec.yaml -o chain.h5 -q) ||
    fail "sbatch chain.sbatch"
  echo "chain: first job $first"
  end=$(($(date +%s) + 600))
  while :; do
    [ "$(date +%s)" -lt "$end" ] || fail "the chain did not end in 600 s"
    if grep -Eq "parsweep exited [^4]|chain stops|not be submitted|came before" \
      chain.out 2>/dev/null && [ -z "$(squeue -h -o %i)" ]; then
      break
    fi
    sleep 2
  done
  cat chain.out
  jobs=$(grep -c "chain job [0-9]* of at most" chain.out)
  drained=$(grep -c "parsweep exited 4" chain.out || true)
  [ "$jobs" -ge 2 ] || fail "$jobs job(s): the sweep never drained"
  [ "$drained" = $((jobs - 1)) ] || fail "$jobs jobs but $drained drained"
  [ "$(grep "parsweep exited" chain.out | tail -n 1)" = "parsweep job: parsweep exited 0" ] ||
    fail "the last job did not exit 0"
  res=$(check chain.h5 1000 complete) || fail "chain.h5: $res"
  echo "$res" | head -n 1
  twice=$(echo "$res" | tail -n 1)
  # At most the samples in flight at each deadline: 4 workers a job.
  [ "$twice" -le $((4 * (jobs - 1))) ] ||
    fail "$twice samples computed twice over $jobs jobs"
  ;;
scancel)
  spec 200 0.3
  job=$(sbatch --parsable -t 10 -o sc.out "$repo/jobscripts/node.sbatch" \
    spec.yaml -o sc.h5 -q) || fail "sbatch node.sbatch"
  end=$(($(date +%s) + 120))
  until [ -f evals ] && [ "$(wc -l <evals)" -ge 20 ]; do
    [ "$(date +%s)" -lt "$end" ] || fail "20 samples not done in 120 s"
    sleep 0.2
  done
  scancel "$job"
  res=$("$PSW_SLURM_TOOLS/wait_job.sh" "$job" 120) || fail "wait_job: $res"
  echo "job $job: $res after scancel"
  [ "${res%% *}" = CANCELLED ] || fail "state ${res%% *}, expected CANCELLED"
  # What was recorded at the cancel: the file's rows and the journal's.
  /usr/bin/python3 - "$work" <<'PY2' >recorded || fail "reading what was recorded"
import os, struct, sys
import h5py
import numpy as np
d = sys.argv[1]
got = set()
if os.path.exists(f"{d}/sc.h5"):
    with h5py.File(f"{d}/sc.h5", "r") as f:  # opens: never half-written
        got |= set(np.flatnonzero(f["parsweep/status"][()] != 0).tolist())
for name in os.listdir(d):
    if name.startswith(".sc.h5.journal."):
        data = open(f"{d}/{name}", "rb").read()
        for off in range(64, len(data) - 56 + 1, 56):
            got.add(struct.unpack_from("<Q", data, off)[0])
print(" ".join(map(str, sorted(got))))
PY2
before=$(wc -l <evals)
echo "recorded at the cancel: $(wc -w <recorded) samples; $before evaluated"
set +e
sbatch --wait -t 10 -o resume.out "$repo/jobscripts/node.sbatch" spec.yaml \
  -o sc.h5 -q --resume >/dev/null
rc=$?
set -e
[ "$rc" = 0 ] || fail "the --resume job exited $rc"
again=$(tail -n +$((before + 1)) evals | sort | comm -12 - <(tr ' ' '\n' <recorded | sort))
[ -z "$again" ] || fail "recorded samples evaluated again: $again"
res=$(check sc.h5 200 complete) || fail "sc.h5: $res"
echo "$res" | head -n 1
  ;;
*)
  echo "usage: ${0##*/} drain|chain|scancel REPO PARSWEEP WORKDIR" >&2
  exit 2
  ;;
esac
echo "walltime.sh $mode: ok"
