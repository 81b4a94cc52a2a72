#!/bin/bash
# parsweep benchmarks — run every benchmark of bench/ once and print a
# summary table of the ratios against their baselines and whether each
# target of issue 7 is met (docs/performance.md has the numbers).
#
#   bash bench/run_all.sh [BUILD_DIR] [--smoke] [--nodes]
#
# BUILD_DIR (default: build) is a configured and built tree; with
# PSW_WITH_MPI the Open MPI baseline of B4, B5 and dispatch_scale run too.
# --smoke: every benchmark at its tiny size (seconds in all).
# --nodes: also B5 on the 2-node test Slurm cluster (bench/hybrid_nodes.sh
# starts and stops one; needs root and Slurm).
# The summary also goes to $LOGDIR/summary.tsv (row, comparison, ratio,
# target, met: every SUMMARY| line of the logs), and bench/chart.py draws
# it (when matplotlib is there) into docs/performance.png, or with --smoke
# into $LOGDIR/performance.png ($CHART: another path).
# Full run: about four minutes on 2 cores. Each benchmark's own output goes
# to stdout as it runs, and to $LOGDIR (default: a fresh directory under
# /tmp, printed at the end). The summary comes last. Exit status: 0 when
# every benchmark ran (whether or not targets are met), 1 otherwise.
set -u
build=build
smoke=
nodes=
for a in "$@"; do
  case $a in
  --smoke) smoke=--smoke ;;
  --nodes) nodes=1 ;;
  -h | --help)
    sed -n '2,20p' "$0"
    exit 0
    ;;
  *) build=$a ;;
  esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
mpirun=${MPIRUN:-mpirun --allow-run-as-root --oversubscribe}
logdir=${LOGDIR:-$(mktemp -d /tmp/psw-bench.XXXXXX)}
mkdir -p "$logdir"
failed=0

run() { # run NAME CMD...: tee the output into $logdir/NAME.log
  local name=$1
  shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$logdir/$name.log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    echo "=== $name FAILED (exit $rc)"
    failed=1
  fi
  echo
  return "$rc"
}

b=$build/bench
run B1.threads_dispatch "$b/threads_dispatch" $smoke
run B2.fork_pool "$b/fork_pool" $smoke
run B3.command_spawn "$b/command_spawn" $smoke
run B4.shm_collectives "$b/shm_collectives" $smoke
if [ -x "$b/hybrid_collectives" ]; then # B5, one node
  run B5.hybrid_collectives $mpirun -n 2 "$b/hybrid_collectives" $smoke
  if [ -n "$nodes" ]; then # B5, 2 nodes
    run B5.hybrid_nodes bash "$src/bench/hybrid_nodes.sh" "$build" $smoke
  fi
fi
run B6.end_to_end "$b/end_to_end" $smoke
run B7.load_balance "$b/load_balance" $smoke
if [ -x "$b/dispatch_scale" ]; then
  if [ -n "$smoke" ]; then
    run dispatch_scale $mpirun -n 3 "$b/dispatch_scale" --smoke
  else
    run dispatch_scale $mpirun -n 8 "$b/dispatch_scale" --n 1000000 --reps 5
  fi
fi
if [ -x "$b/dispatch_seed" ]; then # B14
  run B14.dispatch_seed $mpirun -n 3 "$b/dispatch_seed" --dir "$logdir" \
    ${smoke:+--smoke}
fi
if [ -x "$build/src/cli/parsweep" ] && [ -e "$b/libtrivial_plugin.so" ]; then
  if [ -n "$smoke" ]; then
    sizes="1000 10000"
  else
    sizes="10000 100000 1000000 10000000"
  fi
  (cd "$logdir" && run B8.mem_growth $py "$src/bench/mem_growth.py" \
    "$(realpath "$build/src/cli/parsweep")" \
    "$(realpath "$b/libtrivial_plugin.so")" $sizes --backend fork -j 2) ||
    failed=1
fi

if [ -x "$build/src/cli/parsweep" ]; then # B9, B10: Python server models
  run B9_B10.server_model $py "$src/bench/server_model.py" \
    "$(realpath "$build/src/cli/parsweep")" $smoke
fi

if [ -x "$build/src/cli/parsweep" ] && [ -e "$b/libtrivial_plugin.so" ]; then
  # B13: the elastic head with 100, 400, 1,000 workers (the smoke run: 20)
  if [ -n "$smoke" ]; then b13="20 --samples 20000"; else b13="100 400 1000"; fi
  run B13.elastic_scale $py "$src/bench/elastic_scale.py" \
    "$(realpath "$build/src/cli/parsweep")" \
    "$(realpath "$b/libtrivial_plugin.so")" $b13 || failed=1
fi

if [ -e "$build/src/libparsweep.so" ]; then # B11, B12: parsweep.parallel
  lib=$(realpath "$build/src/libparsweep.so")
  (export PYTHONPATH="$src/python" PARSWEEP_LIBRARY="$lib"
    run B11.parallel_manager $py "$src/bench/parallel_manager.py" $smoke &&
      if command -v mpirun >/dev/null; then
        run B12.parallel_manager_mpi $mpirun -n 2 $py \
          "$src/bench/parallel_manager.py" --b12 $smoke
      fi) || failed=1
fi

echo "=== summary (ratios: how many times better than the baseline; B5: time / MPI's; B7: wall / ideal)"
printf '%-4s %-50s %10s %8s %s\n' row comparison ratio target met
cat "$logdir"/*.log | grep '^SUMMARY|' |
  awk -F'|' '{ printf "%-4s %-50s %10s %8s %s\n", $2, $3, $4, $5, $6 }'
met=$(cat "$logdir"/*.log | grep -c '^SUMMARY|.*|yes$')
missed=$(cat "$logdir"/*.log | grep -c '^SUMMARY|.*|NO$')
echo "targets met: $met, missed: $missed; logs in $logdir"

# Machine-readable summary and chart: every SUMMARY| line of every log.
{
  printf 'row\tcomparison\tratio\ttarget\tmet\n'
  cat "$logdir"/*.log | grep '^SUMMARY|' | cut -d'|' -f2- | tr '|' '\t'
} >"$logdir/summary.tsv"
if $py -c 'import matplotlib' 2>/dev/null; then
  if [ -n "$smoke" ]; then chart=${CHART:-$logdir/performance.png}; else
    chart=${CHART:-$src/docs/performance.png}
  fi
  $py "$src/bench/chart.py" "$logdir/summary.tsv" -o "$chart" || failed=1
else
  echo "(no matplotlib for $py: no chart; summary in $logdir/summary.tsv)"
fi
exit $failed
