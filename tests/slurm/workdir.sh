# Sourced by the job tests (jobscripts.sh, submit.sh, walltime.sh):
#   psw_workdir DIR PARSWEEP   empty DIR, cd into it, export PARSWEEP
#   fail MESSAGE...            print it and DIR's *.out and *.log, exit 1
# DIR must be visible from every node (not /tmp: each node has its own).
# Sanitized builds: Open MPI's and libpmix's own leaks are not ours; ctest
# passes LSAN_OPTIONS with the suppressions' copy in the build tree (which
# the nodes can see).
export LSAN_OPTIONS=${LSAN_OPTIONS:-}

psw_workdir() {
  PSW_WORK=$1
  export PARSWEEP=$2
  rm -rf "$PSW_WORK"
  mkdir -p "$PSW_WORK"
  cd "$PSW_WORK"
}

fail() {
  echo "FAIL: $*" >&2
  for f in "$PSW_WORK"/*.out "$PSW_WORK"/*.log; do
    [ -f "$f" ] && { echo "--- $f"; cat "$f"; } >&2
  done
  exit 1
}
