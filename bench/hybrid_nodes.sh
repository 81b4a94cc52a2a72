#!/usr/bin/env bash
# parsweep benchmark B5 across nodes: bench/hybrid_collectives (the hybrid
# backend's collectives vs flat MPI) on the project's 2-node test Slurm
# cluster (tests/slurm/cluster.sh: two slurmd "nodes" on this one machine,
# each in its own namespaces; they share its CPUs).
#
#   bash bench/hybrid_nodes.sh BUILD_DIR [--smoke] [--reps R] [--cluster DIR]
#
# Starts a cluster of its own in DIR (default BUILD_DIR/bench/cluster, or
# $PSW_BENCH_CLUSTER_DIR; not under /tmp) with the tests' cluster.sh and
# stops it at exit; --cluster DIR uses one already running there (started
# by `tests/slurm/cluster.sh start DIR`) and leaves it running. Then, through
# tests/slurm/run_in_cluster.sh:
#   srun -N 2 -n 2 --mpi=pmix hybrid_collectives   one rank per node: hybrid
#        is a pool of one per node, its MPI stage is MPI among 2 ranks
#   srun -N 2 -n 4 --mpi=pmix hybrid_collectives   two ranks per node: a node
#        group of 2 ranks each, MPI among the 2 leaders; flat MPI has 4 ranks
#        (4 processes on 2 cores: the scheduler is part of what is measured,
#        an operation can cost milliseconds: at most --iters 100 per loop)
# Needs root, Slurm, munge and an MPI build (PSW_WITH_MPI); exit 77
# (skipped) without them.
set -uo pipefail
build=
smoke=
reps=
cluster=
while [ $# -gt 0 ]; do
  case $1 in
  --smoke) smoke=--smoke ;;
  --reps)
    reps="--reps $2"
    shift
    ;;
  --cluster)
    cluster=$2
    shift
    ;;
  -h | --help)
    sed -n '2,21p' "$0"
    exit 0
    ;;
  *) build=$1 ;;
  esac
  shift
done
[ -n "$build" ] || {
  echo "usage: ${0##*/} BUILD_DIR [--smoke] [--reps R] [--cluster DIR]" >&2
  exit 2
}
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || exit 2
exe=$build/bench/hybrid_collectives
[ -x "$exe" ] || {
  echo "${0##*/}: no $exe (configure with -DPSW_WITH_MPI=ON)" >&2
  exit 77
}
slurm=$src/tests/slurm
if [ "$(id -u)" != 0 ] || ! command -v slurmctld >/dev/null ||
  ! command -v srun >/dev/null; then
  echo "${0##*/}: needs root and Slurm (slurmctld, slurmd, srun): skipped" >&2
  exit 77
fi
if [ -z "$cluster" ]; then
  dir=${PSW_BENCH_CLUSTER_DIR:-$build/bench/cluster}
  bash "$slurm/cluster.sh" start "$dir" || exit 1
  trap 'bash "$slurm/cluster.sh" stop "$dir"' EXIT
else
  dir=$cluster
fi

rc=0
for n in 2 4; do
  cap=
  [ "$n" = 4 ] && [ -z "$smoke" ] && cap="--iters 100"
  echo "=== B5 on 2 nodes: srun -N 2 -n $n --mpi=pmix hybrid_collectives $smoke $reps $cap"
  # shellcheck disable=SC2086 # $smoke, $reps, $cap: zero or more words
  timeout 600 bash "$slurm/run_in_cluster.sh" "$dir" \
    srun -N 2 -n "$n" --mpi=pmix "$exe" $smoke $reps $cap || rc=1
done
exit $rc
