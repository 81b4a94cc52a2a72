"""Helpers of the recursive-sweep tests (SPEC 3.2; cli.recursive,
mpi.recursive, elastic.recursive, faults.recursive_resume).

The model is a /bin/sh command that fails (exit 1) for x < 0.3 of a
UniformSample x in [0, 1), else prints y = 2x, and appends the index of
every evaluation to an `evals` log: what was computed, independently of
results.h5. Expectations come from design_ref (the design recomputed in
Python) and the round rule of docs/spec.md, never from parsweep's output."""
import os

import h5py
import numpy as np

import design_ref
from clitest import build_spec, check, write

SEED = 7
CUT = 0.3


def spec(tmp, num_samples=40, num_successes=50, max_samples=None, sleep=0, extra="", cut=CUT):
    """Write tmp/rec.yaml; returns (spec path, evals log path). The model
    fails for x < cut (check_file expects CUT)."""
    log = os.path.join(tmp, "evals")
    nap = f"sleep {sleep}\n" if sleep else ""
    # A file: the command template takes braces for placeholders.
    model = write(os.path.join(tmp, "model.sh"), nap + (
        f"awk -v x=\"$2\" 'BEGIN {{ if (x < {cut}) exit 1; printf \"y = %.17g\\n\", 2 * x }}'\n"
        f"rc=$?\necho \"$1\" >> {log}\nexit $rc\n"))
    top = f"seed: {SEED}\nnum_samples: {num_samples}\nnum_successes: {num_successes}\n"
    if max_samples is not None:
        top += f"max_samples: {max_samples}\n"
    text = build_spec(
        "recursive",
        [("x", "{type: UniformSample, lower_limit: 0, upper_limit: 1}")],
        ["y"],
        command=["/bin/sh", model, "{index}", "{x}"],
        extra=top + extra,
    )
    return write(os.path.join(tmp, "rec.yaml"), text), log


def evals(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [int(v) for v in f.read().split()]


def rounds_for(good, num_samples, m, max_samples):
    """The samples evaluated (all of [0, E)) and the number of rounds, by
    the rule of docs/spec.md, for good[i] = "sample i solves": round 1 is
    num_samples; then, with `ok` of the `hi` so far ok, ceil((M - ok) * hi
    / ok) more plus a tenth (as many again while none is ok), at least a
    quarter of num_samples, capped by max_samples."""
    hi, rounds = num_samples, 1
    while True:
        ok = int(good[:hi].sum())
        if ok >= m or hi >= max_samples:
            return hi, rounds
        need = m - ok
        size = hi if ok == 0 else -(-need * hi // ok)
        if ok:
            size += size // 10
        size = max(size, num_samples // 4)
        hi += max(1, min(size, max_samples - hi))
        rounds += 1


def expected_rounds(num_samples, m, max_samples):
    """rounds_for this module's model; also the design's x over [0, E)."""
    x = design_ref.uniform(SEED, "x", 0.0, 1.0, max_samples)
    hi, rounds = rounds_for(x >= CUT, num_samples, m, max_samples)
    return hi, rounds, x[:hi]


def check_file(out, num_samples, m, max_samples, what, parent=None):
    """The final file against the design: the WaterTAP groups hold the first
    M ok samples (in index order), /parsweep/evaluated every evaluated one.
    Returns E."""
    e, rounds, x = expected_rounds(num_samples, m, max_samples)
    good = np.flatnonzero(x >= CUT)
    sel = good[:m]
    with h5py.File(out, "r") as f:
        g = f[parent] if parent else f
        got_x = g["sweep_params/x/value"][()]
        got_y = g["outputs/y/value"][()]
        ss = g["solve_successful/solve_successful"][()]
        idx = f["parsweep/sample_index"][()]
        ev = f["parsweep/evaluated"]
        ev_status = ev["status"][()]
        ev_x = ev["sweep_params/x"][()]
        ev_y = ev["outputs/y"][()]
        a = dict(f.attrs)
        status = f["parsweep/status"][()]
    check(got_x.shape == (len(sel),), f"{what}: {got_x.shape[0]} rows in the WaterTAP groups, expected {len(sel)}")
    check(np.array_equal(idx, sel), f"{what}: sample_index {idx[:10]}..., expected the first ok indices {sel[:10]}...")
    check(np.array_equal(got_x, x[sel]), f"{what}: /sweep_params/x differs from the design at the selected indices")
    check(np.array_equal(got_y, 2 * x[sel]), f"{what}: /outputs/y != 2x")
    check(bool(np.all(ss)) and np.all(status == 1), f"{what}: a kept row is not ok")
    check(ev_status.shape == (e,), f"{what}: {ev_status.shape[0]} evaluated rows, expected {e}")
    check(np.array_equal(ev_status, np.where(x >= CUT, 1, 2)), f"{what}: evaluated statuses differ from x >= {CUT}")
    check(np.array_equal(ev_x, x), f"{what}: /parsweep/evaluated/sweep_params/x differs from the design")
    check(np.array_equal(ev_y[x >= CUT], 2 * x[x >= CUT]) and np.all(np.isnan(ev_y[x < CUT])),
          f"{what}: /parsweep/evaluated/outputs/y wrong")
    want = {"num_samples": len(sel), "count_ok": len(sel), "evaluated": e,
            "evaluated_ok": len(good), "num_successes": m, "max_samples": max_samples,
            "recursive_rounds": rounds, "completed": 1}
    for k, v in want.items():
        check(int(a.get(k, -1)) == v, f"{what}: attribute {k} = {a.get(k)}, expected {v}")
    return e
