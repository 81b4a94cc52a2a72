#!/bin/bash
# conformance.elastic: the conformance suite on the elastic backend, a head
# and WORKERS worker processes of the same program on loopback, as SPEC §2
# asks of every backend. Each process runs CASE (ctest: one entry per case,
# conformance.elastic.CASE), or every case; all must pass.
#   conformance.sh CONFORMANCE_BINARY [WORKERS [CASE]]
set -u
bin=$1
n=${2:-2}
one=${3:-}
# How many cases each process must report passed: one, or all those the
# program lists (tests/conformance/cases.def).
if [ -n "$one" ]; then
  want=1
else
  want=$("$bin" --list | wc -l)
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Each process gets a limit below ctest's, so that a hang (a worker that
# died leaves the head waiting for it) still prints every log below.
limit=${PSW_CONFORMANCE_LIMIT:-150}
export PSW_ELASTIC_ENDPOINT=$dir/endpoint PSW_ELASTIC_MIN_WORKERS=$n
timeout "$limit" "$bin" elastic 0 ${one:+"$one"} >"$dir/head.log" 2>&1 &
head=$!
unset PSW_ELASTIC_ENDPOINT PSW_ELASTIC_MIN_WORKERS
# (up to 10 s; it is usually there within 0.05 s)
for _ in $(seq 500); do [ -e "$dir/endpoint" ] && break; sleep 0.02; done
pids=()
for i in $(seq "$n"); do
  PSW_ELASTIC_CONNECT=$dir/endpoint timeout "$limit" "$bin" elastic 0 \
    ${one:+"$one"} >"$dir/w$i.log" 2>&1 &
  pids+=($!)
done
fail=0
wait "$head" || fail=1
for i in $(seq "$n"); do
  wait "${pids[$((i - 1))]}" || fail=1
done
for f in "$dir"/head.log "$dir"/w*.log; do
  echo "--- $(basename "$f")"
  cat "$f"
done
# Every process ran the case(s) and passed.
for f in "$dir"/head.log "$dir"/w*.log; do
  grep -q "conformance elastic: passed, $want case(s)" "$f" || {
    echo "FAIL: $(basename "$f") did not pass its $want case(s)"
    fail=1
  }
done
# The file stays as the end mark (issue 19), its keys gone.
if ! grep -qx "ended: yes" "$dir/endpoint" || grep -q secret "$dir/endpoint"; then
  echo "FAIL: the head's endpoint file is not the end mark"
  fail=1
fi
exit $fail
