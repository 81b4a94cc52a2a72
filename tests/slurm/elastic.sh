#!/usr/bin/env bash
# elastic.sh REPO PARSWEEP WORKDIR: jobscripts/elastic.sbatch on the 2-node
# test cluster (run through run_in_cluster.sh). The model is a /bin/sh
# script (about 20 ms a sample) that appends its sample index and node to
# WORKDIR/evals and prints y = a * b + 1.
#  1. sbatch --wait -N 2 elastic.sbatch on 400 samples: exit 0; every
#     sample ok with y equal to a * b + 1 computed here; the head listened
#     on this node's address, not on all interfaces; workers joined from
#     both slurmd nodes (the head's log) and evaluated samples on both
#     (/parsweep/node holds node ids 0 and 1, and so says the model's own
#     record); the workers' step ended (exit 0); no endpoint file remains.
#  2. the walltime warning, sent at once (scancel -b -s USR1) mid-sweep:
#     the head drains and the job exits 4; results.h5 holds exactly the
#     samples the model finished, ok and right, the rest not run; the
#     workers end with the sweep; the endpoint file is the end mark.
#  3. a sweep of 8 samples with a local worker (-j 1) that ends before the
#     workers' step joins: the job exits 0, the workers' step exits 0 (its
#     workers say the sweep has ended), no "refused" line, well before the
#     30 s the job gives workers that never reached the head.
# WORKDIR must be visible from both nodes (not /tmp: each node has its own).
set -euo pipefail
repo=$1 parsweep=$2 work=$3
. "$(dirname "$0")/workdir.sh"
psw_workdir "$work" "$parsweep"
# The head's log lines (worker joins, listening address) are at info.
export PARSWEEP_LOG=info

spec() { # NA SECONDS: NA x 4 samples
  cat >model.sh <<SH
sleep $2
echo "\$1 \${SLURMD_NODENAME:-?}" >>"$work/evals"
awk -v a="\$2" -v b="\$3" 'BEGIN { printf "y=%.17g\\n", a * b + 1 }'
SH
  cat >spec.yaml <<YAML
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: $1}
  b: {type: PredeterminedFixedSample, array: [1, 2, 3, 4]}
outputs: [y]
model:
  command: [/bin/sh, $work/model.sh, '{index}', '{a}', '{b}']
YAML
}

check() { # FILE NA MODE: MODE complete or partial (after a drain)
  /usr/bin/python3 - "$@" "$work/evals" <<'PY'
import collections
import sys
import h5py
import numpy as np
path, na, mode, evals = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = [line.split() for line in open(evals).read().splitlines()]
done = collections.Counter(int(i) for i, _ in runs)
hosts = collections.Counter(h for _, h in runs)
with h5py.File(path, "r") as f:
    status = f["parsweep/status"][()]
    y = f["outputs/y/value"][()]
    node = f["parsweep/node"][()]
    pa = f["sweep_params/a/value"][()]
    pb = f["sweep_params/b/value"][()]
a, b = np.meshgrid(np.linspace(0, 1, na), [1.0, 2.0, 3.0, 4.0], indexing="ij")
a, b = a.ravel(), b.ravel()
ok = np.flatnonzero(status == 1)
# Not-run rows hold NaN parameters too (docs/results-format.md).
assert np.array_equal(pa[ok], a[ok]) and np.array_equal(pb[ok], b[ok]), \
    "sweep_params"
bad = np.flatnonzero((status != 1) & (status != 0))
assert bad.size == 0, f"failed samples {bad.tolist()}"
assert np.array_equal(y[ok], a[ok] * b[ok] + 1), "recorded y != a * b + 1"
assert np.isnan(y[status == 0]).all(), "not-run rows are not NaN"
assert np.isnan(pa[status == 0]).all(), "not-run rows have parameters"
assert sorted(done) == ok.tolist(), (
    f"finished {len(done)} samples but recorded {ok.size} ok")
if mode == "complete":
    assert ok.size == a.size, f"{ok.size} of {a.size} samples ok"
    nodes = sorted(set(node[ok].tolist()))
    assert nodes == [0, 1], f"node ids {nodes}: not both nodes"
    assert sorted(hosts) == ["psw-n1", "psw-n2"], f"model ran on {dict(hosts)}"
    print(f"complete: {a.size} samples ok; by node id "
          f"{dict(collections.Counter(node.tolist()))}, by host {dict(hosts)}; "
          f"{sum(done.values()) - len(done)} evaluated twice")
else:
    assert 0 < ok.size < a.size, f"{ok.size} of {a.size} recorded: not mid-sweep"
    print(f"drained: {ok.size} of {a.size} samples finished, all recorded")
PY
}

# The log of a job of elastic.sbatch: the head listened on an IPv4
# address, exited HEAD_EXIT, workers joined from NODES, their step ended
# with an exit status WORKERS_EXIT (a regex), and the head removed ENDPOINT.
check_log() { # LOG HEAD_EXIT WORKERS_EXIT ENDPOINT [NODE...]
  local log=$1 rc=$2 wrc=$3 ep=$4 n
  shift 4
  grep -q "parsweep exited $rc" "$log" || fail "no 'parsweep exited $rc' in $log"
  grep -Eq "the workers exited $wrc\$" "$log" ||
    fail "the workers' step did not exit $wrc"
  grep -Eq "elastic: head listening on tcp://[0-9.]+:[0-9]+" "$log" ||
    fail "no 'head listening' line with an IPv4 address"
  ! grep -Eq "head listening on tcp://(\*|0\.0\.0\.0)" "$log" ||
    fail "the head listened on all interfaces"
  for n in "$@"; do
    grep -Eq "elastic: worker [0-9]+ joined from $n " "$log" ||
      fail "no worker joined from $n"
  done
  # The file stays as the end mark (issue 19): no keys left in it.
  grep -qx "ended: yes" "$ep" && ! grep -q secret "$ep" ||
    fail "$ep is not the end mark after the sweep"
}

echo "--- sbatch --wait -N 2 jobscripts/elastic.sbatch"
spec 100 0.02
t0=$SECONDS
sbatch --wait -N 2 -t 10 -o elastic.out "$repo/jobscripts/elastic.sbatch" \
  spec.yaml -o elastic.h5 -q >/dev/null || fail "elastic.sbatch did not exit 0"
echo "job done in $((SECONDS - t0)) s"
check_log elastic.out 0 0 elastic.h5.endpoint psw-n1 psw-n2
check elastic.h5 100 complete || fail "elastic.h5"

echo "--- the walltime warning (scancel -b -s USR1) mid-sweep"
rm -f evals
spec 100 0.3
job=$(sbatch --parsable -N 2 -t 10 -o drain.out \
  "$repo/jobscripts/elastic.sbatch" spec.yaml -o drain.h5 -q) ||
  fail "sbatch elastic.sbatch"
end=$((SECONDS + 120))
until [ -f evals ] && [ "$(wc -l <evals)" -ge 20 ]; do
  [ "$SECONDS" -lt "$end" ] || fail "20 samples not done in 120 s"
  sleep 0.2
done
scancel -b -s USR1 "$job"
res=$("$PSW_SLURM_TOOLS/wait_job.sh" "$job" 120) || fail "wait_job: $res"
echo "job $job: $res after the warning"
[ "$res" = "FAILED 4:0" ] || fail "job state $res, expected FAILED 4:0"
# The workers end with the drained sweep (exit 0: they were not stopped
# themselves; only the head got the warning).
check_log drain.out 4 0 drain.h5.endpoint
check drain.h5 100 partial || fail "drain.h5"
echo "--- a sweep that ends before the workers' step has joined (issue 19)"
rm -f evals
spec 2 0
t0=$SECONDS
sbatch --wait -N 2 -t 10 -o quick.out "$repo/jobscripts/elastic.sbatch" \
  spec.yaml -o quick.h5 -j 1 -q >/dev/null || fail "quick: elastic.sbatch did not exit 0"
echo "job done in $((SECONDS - t0)) s"
cat quick.out
grep -q "parsweep exited 0" quick.out || fail "quick: the head did not exit 0"
# Workers that come after the end exit 0 and say so: the step does not
# fail. Or the head ended before the step started, and none started.
grep -Eq "the workers exited 0|the sweep ended before its workers started" quick.out ||
  fail "quick: the workers' step did not exit 0"
! grep -q "refused" quick.out || fail "quick: a 'refused' line"
[ $((SECONDS - t0)) -lt 25 ] || fail "quick: the job took $((SECONDS - t0)) s"
grep -qx "ended: yes" quick.h5.endpoint || fail "quick: no end mark"
echo "elastic.sh: ok"
