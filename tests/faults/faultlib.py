"""Helpers of the fault-matrix tests (tests/faults, label `faults`).

They drive `parsweep run` with a /bin/sh command model that appends the
index of every evaluation it finishes to an `evals` log (what was computed,
independently of results.h5) and prints y = a, on a LinearSample of N
points in [0, 1]: a fault-free run gives y == linspace(0, 1, N), all ok.
"""
import os
import signal
import struct
import subprocess
import time

import numpy as np

from clitest import build_spec, check, read_results, write

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
    e = dict(os.environ)
    e.pop("PARSWEEP_LOG", None)
    if env:
        e.update(env)
    return subprocess.Popen(
        [args.parsweep] + list(cmdargs),
        cwd=tmp,
        env=e,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for(pred, what, timeout=30, proc=None):
    t0 = time.monotonic()
    while not pred():
        if proc is not None:
            check(proc.poll() is None, f"{what}: the run ended first (exit {proc.returncode})")
        check(time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s")
        time.sleep(0.02)


def kill_session(p):
    """SIGKILL every process of p's session (parsweep, workers, models)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.communicate(timeout=30)
    # The models are in process groups of their own, in the same session.
    for pid in session_pids(p.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def descendants(pid):
    """pid and every process below it (from /proc), like a job step's."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def session_pids(sid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid:
            out.append(int(d))
    return out


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


def alive(pid):
    """pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
