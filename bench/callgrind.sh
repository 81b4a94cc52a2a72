#!/usr/bin/env bash
# parsweep benchmark — instructions per dispatch and per small collective,
# counted with callgrind (repeatable to a few instructions, unlike times on
# a shared machine), so that a regression shows as a number:
#
#   bash bench/callgrind.sh [BUILD_DIR] [BACKEND...]     (default: build;
#                                                         threads fork)
#
# For each backend (2 workers) and each operation of bench/callgrind_ops
# (for, for1, forcall, barrier, bcast, reduce, gather: see its header) it
# runs `valgrind --tool=callgrind build/bench/callgrind_ops BACKEND OP N`
# for two values of N and prints (Ir(N2) - Ir(N1)) / (N2 - N1): the
# instructions of one operation, start-up cancelled, summed over every
# process and thread (fork: the parent and its worker processes each write
# a callgrind.out, all are added; their shared pre-fork start-up cancels in
# the difference). Runs on one CPU (taskset -c 0), so that waits sleep or
# yield instead of spinning: the count is the operation's work, not how
# long a worker waited. About a minute in all. Needs valgrind.
set -uo pipefail
build=build
backends=()
for a in "$@"; do
  case $a in
  -h | --help)
    sed -n '2,18p' "$0"
    exit 0
    ;;
  threads | fork | serial) backends+=("$a") ;;
  *) build=$a ;;
  esac
done
[ ${#backends[@]} -gt 0 ] || backends=(threads fork)
exe=$build/bench/callgrind_ops
[ -x "$exe" ] || {
  echo "${0##*/}: no $exe (build the tree first)" >&2
  exit 2
}
command -v valgrind >/dev/null || {
  echo "${0##*/}: valgrind not found" >&2
  exit 2
}
pin=
command -v taskset >/dev/null && pin="taskset -c 0"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/psw-callgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ir BACKEND OP N: total instructions of one run, every process.
ir() {
  rm -f "$tmp"/cg.*
  # shellcheck disable=SC2086 # $pin: zero or more words
  $pin valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" \
    "$exe" "$@" >"$tmp/log" 2>&1 || {
    echo "${0##*/}: failed: callgrind_ops $*" >&2
    tail -n 5 "$tmp/log" >&2
    return 1
  }
  cat "$tmp"/cg.* | awk '/^totals:/ { s += $2 } END { printf "%d\n", s }'
}

echo "instructions per operation, 2 workers (callgrind, all processes and threads)"
printf '%-8s %-8s %10s %12s %12s %10s\n' backend op N2-N1 "Ir(N1)" "Ir(N2)" "Ir/op"
rc=0
for b in "${backends[@]}"; do
  for op in for for1 forcall barrier bcast reduce gather; do
    case $op in
    for) n1=100000 n2=1100000 ;; # chunked: a few instructions per task
    *) n1=1000 n2=11000 ;;
    esac
    if ! i1=$(ir "$b" "$op" $n1) || ! i2=$(ir "$b" "$op" $n2); then
      rc=1
      continue
    fi
    awk -v b="$b" -v op="$op" -v n1=$n1 -v n2=$n2 -v i1="$i1" -v i2="$i2" \
      'BEGIN { printf "%-8s %-8s %10d %12d %12d %10.1f\n", b, op, n2 - n1,
               i1, i2, (i2 - i1) / (n2 - n1) }'
  done
done
exit $rc
