#!/usr/bin/env bash
# Smoke tests of the test cluster, run through run_in_cluster.sh:
#   smoke.sh hostname           srun -N 2 hostname: both nodes answer
#   smoke.sh mpi MPI_HELLO      srun -N 2 -n 4 --mpi=pmix: world of 4 ranks,
#                               2 nodes, 2 ranks sharing memory on each
#   smoke.sh sbatch             sbatch --wait -N 2: exit 0, both nodes in the
#                               output file
#   smoke.sh timelimit          a 1-minute job with --signal=B:USR1@30: the
#                               batch shell gets USR1 before the limit, then
#                               the job is killed (state TIMEOUT); ~1.5 min
# Files go to $PSW_SLURM_DIR/work/NAME (not /tmp: the nodes have their own).
set -uo pipefail

fail() {
  echo "smoke $name: FAIL: $*" >&2
  exit 1
}

[ $# -ge 1 ] || {
  echo "usage: ${0##*/} hostname|mpi MPI_HELLO|sbatch|timelimit" >&2
  exit 2
}
name=$1
if [ -z "${SLURM_CONF:-}" ] || [ -z "${PSW_SLURM_DIR:-}" ]; then
  fail "run through run_in_cluster.sh"
fi
work=$PSW_SLURM_DIR/work/$name
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
nodes=$(sinfo -h -N -o '%N' | sort -u | tr '\n' ' ')
echo "nodes: $nodes"

case $name in
hostname)
  out=$(timeout 60 srun -N 2 hostname) || fail "srun exited $?"
  echo "$out"
  got=$(sort -u <<<"$out" | tr '\n' ' ')
  [ "$got" = "psw-n1 psw-n2 " ] || fail "hosts '$got', expected psw-n1 psw-n2"
  ;;

mpi)
  [ $# -ge 2 ] || fail "no MPI program given"
  out=$(timeout 120 srun -N 2 -n 4 --mpi=pmix "$2" 4 2 2>&1)
  rc=$?
  echo "$out"
  [ $rc = 0 ] || fail "srun exited $rc"
  grep -q '^world size=4 nodes=2 ' <<<"$out" || fail "no 'world size=4 nodes=2'"
  for n in psw-n1 psw-n2; do
    c=$(grep -c "^rank [0-9]/4 on $n local [01]/2\$" <<<"$out")
    [ "$c" = 2 ] || fail "$c ranks on $n with local size 2, expected 2"
  done
  ;;

sbatch)
  cat >"$work/job.sh" <<'EOF'
#!/bin/bash
echo "batch shell on $(hostname)"
srun hostname | sort
echo "nodelist $SLURM_JOB_NODELIST"
EOF
  timeout 120 sbatch --wait -N 2 -t 2 -o "$work/out" "$work/job.sh"
  rc=$?
  cat "$work/out"
  [ $rc = 0 ] || fail "sbatch --wait exited $rc"
  for n in psw-n1 psw-n2; do
    grep -qx "$n" "$work/out" || fail "$n not in $work/out"
  done
  ;;

timelimit)
  cat >"$work/job.sh" <<EOF
#!/bin/bash
t0=\$(date +%s)
trap 'echo "USR1 \$((\$(date +%s) - t0))" >>"$work/signals"' USR1
trap 'echo "TERM \$((\$(date +%s) - t0))" >>"$work/signals"; exit 143' TERM
echo started
while :; do sleep 1; done
EOF
  job=$(sbatch --parsable -N 1 -t 1 --signal=B:USR1@30 -o "$work/out" "$work/job.sh") ||
    fail "sbatch failed"
  echo "job $job: time limit 1 min, USR1 asked 30 s before"
  res=$("$PSW_SLURM_TOOLS/wait_job.sh" "$job" 240) || fail "wait_job: $res"
  echo "job $job ended: $res"
  cat "$work/out"
  echo "signals received by the batch shell (seconds after start):"
  cat "$work/signals" 2>/dev/null
  [ "${res%% *}" = TIMEOUT ] || fail "state ${res%% *}, expected TIMEOUT"
  grep -q '^USR1 ' "$work/signals" 2>/dev/null || fail "the batch shell got no USR1"
  [ "$(head -n 1 "$work/signals" | cut -d' ' -f1)" = USR1 ] ||
    fail "USR1 did not come first"
  ;;

*)
  fail "unknown test"
  ;;
esac
echo "smoke $name: ok"
