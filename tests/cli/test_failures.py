#!/usr/bin/python3
"""Acceptance 3: failing samples never stop the sweep.

A command model that, on chosen sample indices (passed through `{index}`),
exits 3, dies of SIGSEGV, omits an output, or hangs (sleep 60) past a
timeout of 1 s. Exactly those rows get status 2, 4, 2, 3, exit codes 3,
-11, 0, -15 (the timeout sends SIGTERM to the model's process group first,
and our model dies of it: src/sweep/model.h), NaN outputs and
solve_successful false; every other row is correct; parsweep exits 3; the
hang costs about the timeout (compared with the same sweep without it),
not the model's 60 s. Then retries: with `retries: 2` a model that fails
the first attempt of some samples and succeeds on the second ends with
every sample ok (exit 0), and without retries those samples fail.
"""
import os

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, same_array, step, write

TIMEOUT = 1.0
GRACE = 1.0  # PSW_MODEL_GRACE_S: SIGTERM, then SIGKILL after this
A = (1.0, 5.0, 5)
B = [0.5, 2.0, 3.0]
C = [10.0, -1.0]
EXIT, SEGV, OMIT, HANG = 4, 11, 17, 23
# expected (status, exit_code) per failing index
EXPECT = {EXIT: (2, 3), SEGV: (4, -11), OMIT: (2, 0), HANG: (3, -15)}


def grid():
    a, b, c = np.meshgrid(np.linspace(*A), np.array(B), np.array(C), indexing="ij")
    return a.ravel(), b.ravel(), c.ravel()


def spec_text(model, actions, retries=0, tmp=None):
    cmd = [model, "{a}", "{b}", "{c}", "--index={index}"] + actions
    if tmp:
        cmd.append(f"--dir={tmp}")
    return build_spec(
        "failures",
        [
            (
                "a",
                f"{{type: LinearSample, lower_limit: {A[0]!r}, upper_limit: {A[1]!r}, num_samples: {A[2]}}}",
            ),
            ("b", "{type: PredeterminedFixedSample, array: [" + ", ".join(map(repr, B)) + "]}"),
            ("c", "{type: PredeterminedFixedSample, array: [" + ", ".join(map(repr, C)) + "]}"),
        ],
        ["out1", "out2"],
        command=cmd,
        model_extra=f"timeout: {TIMEOUT}\nretries: {retries}",
    )


def check_rows(r, failing, label):
    ea, eb, ec = grid()
    n = ea.size
    P, O = r["params"], r["outputs"]
    check(
        same_array(P["a"], ea) and same_array(P["b"], eb) and same_array(P["c"], ec),
        f"{label}: design differs from numpy",
    )
    good = np.ones(n, dtype=bool)
    good[list(failing)] = False
    for i, (st, code) in failing.items():
        row = f"{label}: row {i}: status {r['status'][i]} exit_code {r['exit_code'][i]} ok {r['ok'][i]} outputs {O['out1'][i]}, {O['out2'][i]}"
        check(r["status"][i] == st, f"{row}; expected status {st}")
        check(r["exit_code"][i] == code, f"{row}; expected exit_code {code}")
        check(not r["ok"][i], f"{row}; expected solve_successful false")
        check(np.isnan(O["out1"][i]) and np.isnan(O["out2"][i]), f"{row}; expected NaN outputs")
    bad = np.nonzero(r["status"][good] != 1)[0]
    check(
        bad.size == 0,
        f"{label}: rows {np.nonzero(good)[0][bad]} should be ok, status {r['status'][good][bad]}",
    )
    check(r["ok"][good].astype(bool).all(), f"{label}: solve_successful false on a good row")
    check((r["exit_code"][good] == 0).all(), f"{label}: exit_code non-zero on a good row")
    a, b, c = P["a"][good], P["b"][good], P["c"][good]
    check(same_array(O["out1"][good], a * b + c), f"{label}: out1 wrong on good rows")
    check(same_array(O["out2"][good], a - c), f"{label}: out2 wrong on good rows")
    counts = {1: int(good.sum()), 2: 0, 3: 0, 4: 0}
    for st, _ in failing.values():
        counts[st] += 1
    for st, name in ((1, "ok"), (2, "failed"), (3, "timeout"), (4, "crashed")):
        got = r["attrs"].get(f"count_{name}")
        check(
            got is not None and int(got) == counts[st],
            f"{label}: attribute count_{name} = {got}, expected {counts[st]}",
        )


def test(args, tmp):
    n = A[2] * len(B) * len(C)
    base = write(
        os.path.join(tmp, "base.yaml"),
        spec_text(args.model, [f"--exit={EXIT}", f"--segv={SEGV}", f"--omit={OMIT}"]),
    )
    full = write(
        os.path.join(tmp, "full.yaml"),
        spec_text(
            args.model, [f"--exit={EXIT}", f"--segv={SEGV}", f"--omit={OMIT}", f"--hang={HANG}"]
        ),
    )
    for opts in (["-b", "serial"], ["-b", "fork", "-j", "2"], ["-b", "threads", "-j", "2"]):
        label = " ".join(opts)
        with step(f"{label}: exit 3, SIGSEGV, missing output, hang past {TIMEOUT} s"):
            tag = opts[1]
            p0, w0 = run(
                args, ["run", base, "-o", os.path.join(tmp, f"base-{tag}.h5"), "-q"] + opts, cwd=tmp
            )
            check(p0.returncode == 3, f"{label} (no hang): expected exit 3, got {describe(p0)}")
            r0 = read_results(os.path.join(tmp, f"base-{tag}.h5"))
            check_rows(r0, {k: v for k, v in EXPECT.items() if k != HANG}, label + " (no hang)")
            p, w = run(
                args, ["run", full, "-o", os.path.join(tmp, f"full-{tag}.h5"), "-q"] + opts, cwd=tmp
            )
            check(p.returncode == 3, f"{label}: expected exit 3, got {describe(p)}")
            r = read_results(os.path.join(tmp, f"full-{tag}.h5"))
            check_rows(r, EXPECT, label)
            el = r["elapsed"][HANG]
            check(
                TIMEOUT <= el < TIMEOUT + GRACE + 0.5,
                f"{label}: the hung sample's elapsed is {el} s (timeout {TIMEOUT} s)",
            )
            # The hang adds about the timeout (one worker busy that long),
            # never the model's 60 s.
            check(w >= TIMEOUT, f"{label}: run took {w:.2f} s, less than the timeout")
            check(
                w < w0 + TIMEOUT + GRACE + 2.0,
                f"{label}: with the hang {w:.2f} s, without {w0:.2f} s: the hang cost more than the timeout",
            )
            print(
                f"   {n} samples: {w0:.2f} s without the hang, {w:.2f} s with it; hung sample elapsed {el:.2f} s"
            )
    with step("retries: 2, the first attempt of samples 3 and 8 fails"):
        once = [3, 8]
        for retries, want_rc in ((0, 3), (2, 0)):
            d = os.path.join(tmp, f"markers-{retries}")
            os.mkdir(d)
            spec = write(
                os.path.join(tmp, f"retry{retries}.yaml"),
                spec_text(
                    args.model, ["--fail-once=" + ",".join(map(str, once))], retries=retries, tmp=d
                ),
            )
            out = os.path.join(tmp, f"retry{retries}.h5")
            p, w = run(args, ["run", spec, "-o", out, "-q", "-b", "fork", "-j", "2"], cwd=tmp)
            check(
                p.returncode == want_rc,
                f"retries {retries}: expected exit {want_rc}, got {describe(p)}",
            )
            r = read_results(out)
            check_rows(r, {} if retries else {i: (2, 3) for i in once}, f"retries {retries}")
            markers = sorted(os.listdir(d))
            check(
                markers == sorted(f"once.{i}" for i in once),
                f"retries {retries}: markers {markers}",
            )
            print(f"   retries {retries}: exit {p.returncode}, {w:.2f} s")


if __name__ == "__main__":
    main(test)
