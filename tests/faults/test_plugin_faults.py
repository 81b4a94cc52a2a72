#!/usr/bin/python3
"""Fault matrix rows 1 and 2 (issue: nothing lost; crash isolation).

A plugin (fault_plugin.c) dies of SIGSEGV at sample 5 and of abort() at
sample 17, and loops forever at sample 29 under `timeout: 1`. Each runs in
a host process of its own (model.isolate, the default): exactly those
samples are recorded crashed (status 4, exit code -11 / -6) and timed out
(status 3, -15), every other sample is ok with the fault-free value, the
sweep finishes (exit 3) in about the timeout (not forever), and a --resume
evaluates nothing again. With `retries: 1` a sample that crashes on its
first attempt only (`once`) ends ok. With `isolate: false` the same crash
takes the whole run down (exit 1), and one --resume completes it from the
journal without evaluating again what was recorded. A host that dies while
a child of its plugin keeps its socket open is seen dead at once (crashed,
not timed out).
"""
import os

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, step, write
from faultlib import evals, journal_indices

N = 40
SEGV, ABORT, HANG = 5, 17, 29


def spec(tmp, plugin, extra=""):
    return write(
        os.path.join(tmp, "p.yaml"),
        build_spec(
            "plugin-faults",
            [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {N}}}")],
            ["y"],
            plugin=plugin,
            model_extra="timeout: 1\n" + extra,
        ),
    )


def test(args, tmp):
    log = os.path.join(tmp, "evals")
    env = {"PSW_FAULT_LOG": log, "PSW_FAULT_DIR": tmp}
    # Sanitized builds: the plugin's crashes are the test, not findings;
    # let them die of their signal as in a plain build.
    for k in ("ASAN_OPTIONS", "TSAN_OPTIONS"):
        env[k] = ":".join(x for x in (os.environ.get(k), "handle_segv=0:handle_abort=0") if x)
    a = np.linspace(0, 1, N)
    out = os.path.join(tmp, "r.h5")
    orphan_out = os.path.join(tmp, "orphan.h5")

    with step("segfault, abort and an endless loop: 3 samples lost, not the sweep"):
        env["PSW_FAULT"] = f"segv:{SEGV},abort:{ABORT},hang:{HANG}"
        s = spec(tmp, args.plugin)
        p, wall = run(args, ["run", s, "-o", out, "-j", "2", "-q"], tmp, env=env)
        check(p.returncode == 3, "expected exit 3 (some samples failed): " + describe(p))
        check(wall < 20, f"took {wall:.1f} s: the hang was not cut at its timeout")
        r = read_results(out)
        want = {SEGV: (4, -11), ABORT: (4, -6), HANG: (3, -15)}
        for i, (st, code) in want.items():
            check((r["status"][i], r["exit_code"][i]) == (st, code),
                  f"sample {i}: status {r['status'][i]} exit {r['exit_code'][i]}, "
                  f"expected {st} {code}")
            check(np.isnan(r["outputs"]["y"][i]), f"sample {i}: output not NaN")
        ok = np.array([i not in want for i in range(N)])
        check((r["status"][ok] == 1).all(), f"other samples not ok: {r['status'].tolist()}")
        check(np.array_equal(r["outputs"]["y"][ok], a[ok]), "ok samples: y != a")
        check(sorted(evals(log)) == np.flatnonzero(ok).tolist(),
              "the finished evaluations are not exactly the ok samples")
        check(p.stderr.count("a new host takes over") == 3, "expected 3 host replacements: " + p.stderr)

    with step("a host dies while its plugin's child keeps the socket: crashed at once"):
        env["PSW_FAULT"] = f"orphan:{SEGV}"
        p, _ = run(args, ["run", s, "-o", orphan_out, "-j", "2", "-q"], tmp, env=env)
        check(p.returncode == 3, "orphan: expected exit 3: " + describe(p))
        r = read_results(orphan_out)
        check((r["status"][SEGV], r["exit_code"][SEGV]) == (4, -11),
              f"orphan: sample {SEGV}: status {r['status'][SEGV]} exit "
              f"{r['exit_code'][SEGV]}, expected 4 -11 (not the timeout's 3)")
        ok = np.arange(N) != SEGV
        check((r["status"][ok] == 1).all(), f"orphan: others not ok: {r['status'].tolist()}")

    with step("--resume: recorded (even failed) samples are not evaluated again"):
        env["PSW_FAULT"] = f"segv:{SEGV},abort:{ABORT},hang:{HANG}"
        n = len(evals(log))
        p, _ = run(args, ["run", s, "-o", out, "-j", "2", "-q", "--resume"], tmp, env=env)
        check(p.returncode == 3, "resume: expected exit 3: " + describe(p))
        check(len(evals(log)) == n, "resume evaluated samples again")

    with step("retries: 1 and a crash on the first attempt only: all ok"):
        env["PSW_FAULT"] = f"once:{SEGV},once:{ABORT}"
        s = spec(tmp, args.plugin, "retries: 1")
        p, _ = run(args, ["run", s, "-o", out, "-j", "2", "-q", "--force"], tmp, env=env)
        check(p.returncode == 0, "retries: " + describe(p))
        r = read_results(out)
        check((r["status"] == 1).all() and np.array_equal(r["outputs"]["y"], a),
              f"retries: status {r['status'].tolist()}")

    with step("isolate: false: the crash ends the run (exit 1); one --resume completes"):
        os.remove(out)
        os.remove(log)
        env["PSW_FAULT"] = f"segv:{SEGV}"
        env["PSW_FAULT_SLEEP"] = "0.05"
        s = spec(tmp, args.plugin, "isolate: false")
        p, _ = run(args, ["run", s, "-o", out, "-b", "fork", "-j", "2", "-q"], tmp, env=env)
        check(p.returncode == 1, "in-process crash: expected exit 1: " + describe(p))
        check(not os.path.exists(out), "an output after a failed first run")
        recorded = set(journal_indices(out))
        n = len(evals(log))
        env["PSW_FAULT"] = ""
        p, _ = run(args, ["run", s, "-o", out, "-b", "fork", "-j", "2", "-q", "--resume"], tmp, env=env)
        check(p.returncode == 0, "resume after the crash: " + describe(p))
        again = set(evals(log)[n:]) & recorded
        check(not again, f"recorded samples evaluated again: {sorted(again)}")
        r = read_results(out)
        check((r["status"] == 1).all() and np.array_equal(r["outputs"]["y"], a),
              "after resume: not every sample ok with y == a")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
