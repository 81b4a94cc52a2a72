"""Helpers of the fault-matrix tests (tests/faults, label `faults`).

They drive `parsweep run` with a /bin/sh command model that appends the
index of every evaluation it finishes to an `evals` log (what was computed,
independently of results.h5) and prints y = a, on a LinearSample of N
points in [0, 1]: a fault-free run gives y == linspace(0, 1, N), all ok.
"""
import os
import struct
import time

import numpy as np

from clitest import build_spec, check, proc, read_results, write

HEADER = 64  # src/sweep/journal.c
FIXED = 32


def sh_spec(tmp, n, sleep=0.05, extra="", model_extra="", script=None):
    """Write tmp/s.yaml; returns (spec path, evals log path)."""
    log = os.path.join(tmp, "evals")
    body = script or f'sleep {sleep}; echo "$1" >> {log}; echo "y=$2"'
    spec = write(
        os.path.join(tmp, "s.yaml"),
        build_spec(
            "faults",
            [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {n}}}")],
            ["y"],
            command=["/bin/sh", "-c", body, "sh", "{index}", "{a}"],
            extra=extra,
            model_extra=model_extra,
        ),
    )
    return spec, log


def evals(log):
    """Indices the model finished, in order (with repeats)."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [int(x) for x in f.read().split()]


def start(args, tmp, cmdargs, env=None):
    """Start `parsweep CMDARGS` in its own session (so that a test can kill
    the whole run, as a batch system does)."""
    return proc.start([args.parsweep] + list(cmdargs), tmp, env)


def wait_for(pred, what, timeout=30, proc=None):
    t0 = time.monotonic()
    while not pred():
        if proc is not None:
            check(proc.poll() is None, f"{what}: the run ended first (exit {proc.returncode})")
        check(time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s")
        time.sleep(0.02)


# One copy of the process helpers for every harness (tests/pslib/proc.py).
kill_session = proc.kill_session
descendants = proc.descendants
session_pids = proc.session_pids


def journal_indices(out, nparams=1, noutputs=1):
    """Indices recorded in the journals beside `out` (.BASE.journal.*):
    whole records with a valid layout; the checksum is left to parsweep
    (a torn tail is at most one partial record, dropped here too)."""
    d, base = os.path.split(os.path.abspath(out))
    rs = FIXED + 8 * (nparams + noutputs) + 8
    got = []
    for name in sorted(os.listdir(d)):
        if not name.startswith(f".{base}.journal."):
            continue
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        check(len(data) == 0 or data[:8] == b"PSWJRNL1", f"{name}: bad magic")
        for off in range(HEADER, len(data) - rs + 1, rs):
            got.append(struct.unpack_from("<Q", data, off)[0])
    return got


def recorded(out):
    """Indices with a status in results.h5 (empty when there is none)."""
    if not os.path.exists(out):
        return set()
    r = read_results(out)
    return set(np.flatnonzero(r["status"] != 0).tolist())


def check_complete(out, n, what):
    """Nothing lost: every sample exactly once, ok, with the fault-free
    values; the file opens with h5py without any repair."""
    r = read_results(out)
    check(r["status"].shape == (n,), f"{what}: {r['status'].shape} rows, expected {n}")
    bad = np.flatnonzero(r["status"] != 1)
    check(bad.size == 0, f"{what}: samples not ok: {bad[:20].tolist()} "
          f"status {r['status'][bad[:20]].tolist()}")
    check(np.array_equal(r["outputs"]["y"], np.linspace(0, 1, n)), f"{what}: y != a")
    check(int(r["attrs"]["completed"]) == 1, f"{what}: completed != 1")
    return r


def leftovers(tmp, out):
    """Companion files of `out` still there (none after a finished run but
    for nothing)."""
    base = os.path.basename(out)
    return sorted(x for x in os.listdir(tmp) if x.startswith(f".{base}."))


alive = proc.alive
