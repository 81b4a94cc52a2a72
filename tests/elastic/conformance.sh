#!/bin/bash
# conformance.elastic: the conformance suite on the elastic backend, a head
# and WORKERS worker processes of the same program on loopback, as SPEC §2
# asks of every backend. Each process runs every case; all must pass.
#   conformance.sh CONFORMANCE_BINARY [WORKERS]
set -u
bin=$1
n=${2:-2}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Each process gets a limit below ctest's, so that a hang (a worker that
# died leaves the head waiting for it) still prints every log below.
limit=${PSW_CONFORMANCE_LIMIT:-150}
export PSW_ELASTIC_ENDPOINT=$dir/endpoint PSW_ELASTIC_MIN_WORKERS=$n
timeout "$limit" "$bin" elastic 0 >"$dir/head.log" 2>&1 &
head=$!
unset PSW_ELASTIC_ENDPOINT PSW_ELASTIC_MIN_WORKERS
for _ in $(seq 100); do [ -e "$dir/endpoint" ] && break; sleep 0.1; done
pids=()
for i in $(seq "$n"); do
  PSW_ELASTIC_CONNECT=$dir/endpoint timeout "$limit" "$bin" elastic 0 \
    >"$dir/w$i.log" 2>&1 &
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
# Every process ran every case and reported the region size head + n.
for f in "$dir"/head.log "$dir"/w*.log; do
  grep -q "conformance elastic: passed, 15 case(s)" "$f" || {
    echo "FAIL: $(basename "$f") did not pass all 15 cases"
    fail=1
  }
done
# The file stays as the end mark (issue 19), its keys gone.
if ! grep -qx "ended: yes" "$dir/endpoint" || grep -q secret "$dir/endpoint"; then
  echo "FAIL: the head's endpoint file is not the end mark"
  fail=1
fi
exit $fail
