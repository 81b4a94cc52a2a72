"""Helpers of the server-model tests (tests/server, issue 12).

Each script is run by ctest as

    python3 test_X.py --parsweep PATH --server PATH [--repo DIR] -- [MPIRUN...]

with the C test server tests/models/psw_test_server.c (its options are
described there): it logs "build PID WORKER" at each start and "eval INDEX
PID" before each reply, so the tests count server starts and evaluations
independently of results.h5. The formula it computes is recomputed here
with numpy.
"""
import argparse
import os
import signal
import sys
import time

import numpy as np

from clitest import build_spec, check, main as clitest_main, proc, write


def parse_args(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    ap = argparse.ArgumentParser()
    ap.add_argument("--parsweep", required=True)
    ap.add_argument("--server", required=True, help="psw_test_server")
    ap.add_argument("--doc-server", default=None, help="psw_doc_server (docs/models.md)")
    ap.add_argument("--repo", default=None)
    a = ap.parse_args(argv[:cut])
    a.mpirun = argv[cut + 1:]
    return a


def main(test, prefix="psw-server-"):
    clitest_main(test, parse=parse_args, prefix=prefix)


NA, NB, NC = 7, 5, 3
OUTPUTS = ["prod", "sum", "echo_a", "echo_b", "echo_c", "index"]


def grid():
    """The spec's design as numpy computes it (C order, a slowest)."""
    a, b, c = np.meshgrid(
        np.linspace(0.1, 3.7, NA), np.linspace(-2.0, 1.0 / 3.0, NB),
        np.array([1e-3, 0.25, 7.0]), indexing="ij")
    return a.ravel(), b.ravel(), c.ravel()


def server_spec(tmp, server_argv, model_extra="", name="s.yaml", outputs=None, log_arg=True):
    """A 3-parameter grid (105 samples) with a server model."""
    log = os.path.join(tmp, name.rsplit(".", 1)[0] + ".log")
    text = build_spec(
        "server",
        [("a", f"{{type: LinearSample, lower_limit: 0.1, upper_limit: 3.7, num_samples: {NA}}}"),
         ("b", f"{{type: LinearSample, lower_limit: -2.0, upper_limit: {1.0 / 3.0!r}, num_samples: {NB}}}"),
         ("c", "{type: PredeterminedFixedSample, array: [1e-3, 0.25, 7.0]}")],
        outputs or OUTPUTS,
        command=None,
        model_extra=model_extra,
    )
    if log_arg:
        server_argv = server_argv + [f"--log={log}"]
    argv = ", ".join('"' + x.replace('"', '\\"') + '"' for x in server_argv)
    text = text.replace("model:\n", f"model:\n  server: [{argv}]\n", 1)
    return write(os.path.join(tmp, name), text), log


def log_lines(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [ln.split() for ln in f if ln.strip()]


def builds(log):
    return [ln for ln in log_lines(log) if ln[0] == "build"]


def evals(log):
    return [int(ln[1]) for ln in log_lines(log) if ln[0] == "eval"]


def check_values(r, what, ok_mask=None):
    """Every ok sample: the formula, the grid, exact; parameters exact."""
    a, b, c = grid()
    n = a.size
    check(len(r["status"]) == n, f"{what}: {len(r['status'])} rows, not {n}")
    for name, want in (("a", a), ("b", b), ("c", c)):
        check(np.array_equal(r["params"][name], want), f"{what}: parameter {name} is not the grid")
    ok = r["status"] == 1 if ok_mask is None else ok_mask
    o = r["outputs"]
    exp = {"prod": a * b + c, "y": a * b + c, "sum": a + b + c, "echo_a": a, "echo_b": b, "echo_c": c,
           "index": np.arange(n, dtype=float)}
    for name, want in exp.items():
        if name not in o:
            continue
        got = o[name]
        bad = np.flatnonzero(ok & ~(got == want))
        check(bad.size == 0, f"{what}: {name} differs at {bad[:5].tolist()}: got "
              f"{got[bad[:5]].tolist()}, want {want[bad[:5]].tolist()}")
        notok = ~ok
        check(np.isnan(got[notok]).all(), f"{what}: {name} not NaN where the sample is not ok")


def server_pids(log):
    return {int(ln[1]) for ln in builds(log)}


# One copy of the process helpers for every harness (tests/pslib/proc.py):
# alive(pids) is those still alive, none_alive(pids, within) those alive
# after waiting up to `within` s for them to end.
alive = proc.living
none_alive = proc.wait_gone


def signal_run(p, sig=signal.SIGTERM, within=5.0):
    """Send sig to a started run (faultlib.start); it must exit 4
    (interrupted) within `within` seconds. Returns the seconds it took."""
    t0 = time.monotonic()
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    wall = time.monotonic() - t0
    check(p.returncode == 4, f"exit {p.returncode} after {signal.Signals(sig).name}, "
          f"expected 4: {err.decode()[-1000:]}")
    check(wall < within, f"took {wall:.1f} s to stop after {signal.Signals(sig).name}")
    return wall
