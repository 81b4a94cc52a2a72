#!/usr/bin/env bash
# jobscripts.sh REPO PARSWEEP PLUGIN WORKDIR: the sbatch templates on the
# 2-node test cluster (run through run_in_cluster.sh).
#  1. sbatch --wait -N 2 jobscripts/hybrid.sbatch SPEC: exit 0, results.h5
#     correct (h5py) with rows from both nodes, the log shows PMIx reporting
#     2 nodes;
#  2. sbatch --wait jobscripts/node.sbatch SPEC: exit 0, results correct;
#  3. a template without a spec fails with its usage line and exit 2;
#  4. the block every template carries is the same in all of them.
# WORKDIR must be visible from both nodes (not /tmp: each node has its own).
set -euo pipefail
repo=$1 parsweep=$2 plugin=$3 work=$4
. "$(dirname "$0")/workdir.sh"
psw_workdir "$work" "$parsweep"
cat >spec.yaml <<YAML
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 300}
  b: {type: PredeterminedFixedSample, array: [1, 2, 3]}
outputs: [y, z]
model:
  plugin: $plugin
YAML
check() { # FILE NODES
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    a, b = np.meshgrid(np.linspace(0, 1, 300), [1.0, 2.0, 3.0], indexing="ij")
    assert np.array_equal(f["sweep_params/a/value"][()], a.ravel())
    assert np.array_equal(f["outputs/y/value"][()], (a + b).ravel())
    assert (f["parsweep/status"][()] == 1).all()
    nodes = sorted(set(f["parsweep/node"][()].tolist()))
    assert nodes == list(range(int(sys.argv[2]))), nodes
PY
}

echo "--- sbatch --wait -N 2 jobscripts/hybrid.sbatch"
sbatch --wait -N 2 -t 10 -o hybrid.out "$repo/jobscripts/hybrid.sbatch" \
  spec.yaml -o hybrid.h5 -q >/dev/null || fail "hybrid.sbatch did not exit 0"
check hybrid.h5 2 || fail "hybrid.h5"
grep -Eq "nodes +2 +\(source: PMIx\)" hybrid.out ||
  fail "the log does not show PMIx reporting 2 nodes"
grep -q "parsweep exited 0" hybrid.out || fail "no exit line in the log"

echo "--- sbatch --wait jobscripts/node.sbatch"
sbatch --wait -t 10 -o node.out "$repo/jobscripts/node.sbatch" spec.yaml \
  -o node.h5 -q >/dev/null || fail "node.sbatch did not exit 0"
check node.h5 1 || fail "node.h5"

echo "--- a template without a spec"
set +e
sbatch --wait -t 10 -o usage.out "$repo/jobscripts/node.sbatch" >/dev/null
rc=$?
set -e
[ "$rc" = 2 ] || fail "expected exit 2 without a spec, got $rc"
grep -q "usage: sbatch" usage.out || fail "no usage line"

echo "--- the shared block of every template"
block() { sed -n '/^# --- the same in every template/,/^# -\{70,\}$/p' "$1"; }
ref=$(block "$repo/jobscripts/node.sbatch")
[ "$(wc -l <<<"$ref")" -gt 20 ] || fail "node.sbatch: no shared block found"
for t in "$repo"/jobscripts/*.sbatch; do
  [ "$(block "$t")" = "$ref" ] || fail "${t##*/}: its shared block differs from node.sbatch's"
done
echo "jobscripts.sh: ok"
