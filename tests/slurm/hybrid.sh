#!/usr/bin/env bash
# hybrid.sh CONFORMANCE PARSWEEP PLUGIN WORKDIR: the hybrid backend on the
# 2-node test cluster (run through run_in_cluster.sh).
#  1. the conformance suite with one rank per node, each forking 2 workers:
#     PMIx/MPI see 2 nodes, one leader per node, collectives node-local first
#     (the log line of the backend names the node groups);
#  2. the suite with 2 ranks per node forming each node's group;
#  3. a sweep over both nodes writing one results.h5 with parallel HDF5:
#     values checked with h5py against numpy, rows from both nodes.
# WORKDIR must be visible from both nodes (not /tmp: each node has its own).
set -euo pipefail
conf=$1 parsweep=$2 plugin=$3 work=$4
# Sanitized builds: Open MPI's and libpmix's own leaks are not ours; ctest
# passes LSAN_OPTIONS with the suppressions' copy in the build tree (which
# the nodes can see).
export LSAN_OPTIONS=${LSAN_OPTIONS:-}
rm -rf "$work"
mkdir -p "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "--- conformance: 2 nodes x 1 rank x 2 forked workers"
out=$(PARSWEEP_LOG=info srun -N 2 -n 2 --mpi=pmix "$conf" hybrid 2 2>&1) ||
  { echo "$out"; fail "conformance hybrid 2x1x2"; }
echo "$out" | grep -q "hybrid: 2 node groups (a forked pool per rank), 4 workers" ||
  { echo "$out"; fail "expected 2 node groups of 2 workers"; }
[ "$(echo "$out" | grep -c 'conformance hybrid: passed')" = 2 ] ||
  { echo "$out"; fail "both ranks must pass"; }

echo "--- conformance: 2 nodes x 2 ranks (a node group of ranks per node)"
out=$(PARSWEEP_LOG=info srun -N 2 -n 4 --mpi=pmix "$conf" hybrid 0 2>&1) ||
  { echo "$out"; fail "conformance hybrid 2x2 ranks"; }
echo "$out" | grep -q "hybrid: 2 node groups (the ranks of each node), 4 workers" ||
  { echo "$out"; fail "expected 2 node groups of 2 ranks"; }
[ "$(echo "$out" | grep -c 'conformance hybrid: passed')" = 4 ] ||
  { echo "$out"; fail "all four ranks must pass"; }

echo "--- parsweep info under srun: PMIx reports 2 nodes"
# One file per task: srun forwards the tasks' stdout in pieces, and two
# JSON lines longer than its 1 KiB pieces come out interleaved.
srun -N 2 -n 2 --mpi=pmix --output="$work/info.%t" "$parsweep" info --json ||
  { cat "$work"/info.* ; fail "parsweep info"; }
out=$(cat "$work/info.0" "$work/info.1")
/usr/bin/python3 - "$out" <<'PY' || { echo "$out"; fail "info"; }
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
assert len(rows) == 2, rows
for r in rows:
    assert r["nodes"] == 2 and r["nodes_source"] == "PMIx", r
    assert r["backend"] == "hybrid", r
assert sorted(r["hostname"] for r in rows) == ["psw-n1", "psw-n2"], rows
PY

echo "--- a sweep across both nodes"
cat >"$work/spec.yaml" <<YAML
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 400}
  b: {type: PredeterminedFixedSample, array: [1, 2, 3]}
outputs: [y, z]
model:
  plugin: $plugin
YAML
(cd "$work" && srun -N 2 -n 2 --mpi=pmix "$parsweep" run spec.yaml \
  -o results.h5 -b hybrid -j 2) || fail "parsweep run under srun"
/usr/bin/python3 - "$work/results.h5" <<'PY' || fail "results"
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    a, b = np.meshgrid(np.linspace(0, 1, 400), [1.0, 2.0, 3.0], indexing="ij")
    a, b = a.ravel(), b.ravel()
    assert np.array_equal(f["sweep_params/a/value"][()], a)
    assert np.array_equal(f["sweep_params/b/value"][()], b)
    assert np.array_equal(f["outputs/y/value"][()], a + b)  # trivial plugin
    assert np.array_equal(f["outputs/z/value"][()], a * b)
    assert (f["parsweep/status"][()] == 1).all()
    nodes = f["parsweep/node"][()]
    assert set(nodes.tolist()) == {0, 1}, np.bincount(nodes)
    assert f.attrs["nodes"] == 2 and f.attrs["workers"] == 4
    assert f.attrs["backend"] in (b"hybrid", "hybrid")
    print("rows per node:", np.bincount(nodes).tolist())
PY
ls -A "$work" | grep -q '\.tmp\.' && fail "temporary files left behind"
echo "hybrid.sh: ok"
