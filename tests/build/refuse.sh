#!/usr/bin/env bash
# refuse.sh MODE PARSWEEP WORKDIR [ARGS...]: SPEC §5's launch refusal. A
# parsweep built without MPI (variant.sh nompi) started as several ranks
# must exit 1 within seconds with one line naming the cure (rebuild with
# MPI, or -b elastic), before any model runs (the model touches a file) or
# any output, lock or journal exists (the work directory holds the spec
# alone afterwards).
#   mpirun   ARGS: the mpirun command line prefix; mpirun -n 2
#   srun     ARGS: REPO; on the test cluster (run_in_cluster.sh): srun -N 2,
#            then jobscripts/hybrid.sbatch, which must end before its step;
#            and `parsweep worker` under srun is not refused
# First, as a control, the same parsweep without a launcher runs the model.
# WORKDIR must be visible from every node (not /tmp).
set -euo pipefail
mode=$1 parsweep=$2 work=$3
shift 3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
mark=$work/model_ran

# nothing_left WHAT: the work directory holds the spec (and logs) alone.
nothing_left() {
  local f left=
  shopt -s nullglob dotglob
  for f in *; do
    case $f in spec.yaml | *.log) ;; *) left+=" $f" ;; esac
  done
  shopt -u nullglob dotglob
  [ -z "$left" ] || fail "$1 left files:$left"
}

cat >spec.yaml <<YAML
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 4}
outputs: [y]
model:
  command: [sh, -c, "touch $mark; echo y=1"]
YAML

"$parsweep" run spec.yaml -o control.h5 -q || fail "control run exited $?"
[ -e "$mark" ] || fail "control: the model did not touch $mark"
rm -f "$mark" control.h5*
nothing_left control

# parsweep submit refuses the templates that would end their job at once
# (--dry-run: no Slurm needed), and still takes the others.
jobscripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../jobscripts" && pwd)
for t in hybrid mpi chain node elastic; do
  set +e
  PARSWEEP_JOBSCRIPTS=$jobscripts "$parsweep" submit spec.yaml --template "$t" \
    --dry-run >submit.log 2>&1
  rc=$?
  set -e
  case $t in
  node | elastic) [ "$rc" = 0 ] || { cat submit.log; fail "submit $t: exit $rc"; } ;;
  *)
    [ "$rc" = 1 ] || { cat submit.log; fail "submit $t: exit $rc, not 1"; }
    grep -q "^parsweep submit: .*$t.sbatch starts one parsweep per node or core and this parsweep is built without MPI" submit.log ||
      { cat submit.log; fail "submit $t: not the refusal"; } ;;
  esac
done
echo "--- submit refuses hybrid, mpi, chain; takes node, elastic"
rm -f submit.log

# expect_refused LOG RC SECONDS WHAT
expect_refused() {
  local log=$1 rc=$2 secs=$3 what=$4
  cat "$log"
  [ "$rc" = 1 ] || fail "$what exited $rc, not 1"
  [ "$secs" -le 20 ] || fail "$what took $secs s"
  local ours
  ours=$(grep -c '^parsweep' "$log" || true)
  [ "$ours" = 1 ] || fail "$what: $ours lines from parsweep, not 1"
  grep -q "^parsweep run: .*built without MPI.*runs as 2 ranks.*rebuild it with MPI.*-b elastic" "$log" ||
    fail "$what: not the refusal line"
  [ ! -e "$mark" ] || fail "$what: the model ran"
  nothing_left "$what"
  echo "--- $what: refused (exit 1, $secs s, one line, nothing created)"
}

run_timed() { # LOG CMD...: sets RC and SECS
  local t0=$SECONDS
  set +e
  timeout 60 "${@:2}" >"$1" 2>&1
  RC=$?
  set -e
  SECS=$((SECONDS - t0))
}

case $mode in
mpirun)
  run_timed mpirun.log "$@" -n 2 "$parsweep" run spec.yaml -o out.h5
  expect_refused mpirun.log "$RC" "$SECS" "mpirun -n 2 parsweep run"
  ;;
srun)
  repo=$1
  run_timed srun.log srun -N 2 -n 2 "$parsweep" run spec.yaml -o out.h5
  expect_refused srun.log "$RC" "$SECS" "srun -N 2 parsweep run"
  # elastic workers, one per node: not refused (no head here, so each
  # ends with its own error about the endpoint file, not the refusal).
  run_timed worker.log srun -N 2 -n 2 "$parsweep" worker \
    --connect "$work/none.endpoint" --wait 1
  cat worker.log
  grep -q "built without MPI" worker.log && fail "parsweep worker refused"
  grep -q "none.endpoint" worker.log || fail "the workers did not start"
  rm -f worker.log
  # The template ends the job before its step: exit 1, its message.
  t0=$SECONDS
  set +e
  PARSWEEP=$parsweep timeout 120 sbatch --wait -N 2 -t 5 -o hybrid.log \
    "$repo/jobscripts/hybrid.sbatch" spec.yaml -o out.h5 >/dev/null
  RC=$?
  set -e
  cat hybrid.log
  [ "$RC" = 1 ] || fail "hybrid.sbatch exited $RC, not 1"
  grep -q "built without MPI: rebuild it with MPI" hybrid.log ||
    fail "hybrid.sbatch: no refusal message"
  grep -q "^parsweep run:" hybrid.log && fail "hybrid.sbatch started its step"
  [ ! -e "$mark" ] || fail "hybrid.sbatch: the model ran"
  nothing_left hybrid.sbatch
  echo "--- hybrid.sbatch: ended before its step ($((SECONDS - t0)) s)"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "refuse.$mode: ok"
