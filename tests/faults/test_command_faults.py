#!/usr/bin/python3
"""Fault matrix row 3: a command that exits 3, and one that kills itself
with SIGTERM.

Sample 7's command exits 3 after printing its output; sample 13's sends
itself SIGTERM. Exactly those rows are recorded failed (status 2, exit code
3) and crashed (status 4, exit code -15) with NaN outputs; every other
sample is ok with the fault-free value; the sweep exits 3; a --resume then
evaluates nothing (a failed sample is recorded, not lost) and changes no
value.
"""
import os

import numpy as np

from clitest import check, describe, main, read_results, run, same_array, step
from faultlib import evals, sh_spec

N = 30


def test(args, tmp):
    log = os.path.join(tmp, "evals")
    script = (f'echo "$1" >> {log}; echo "y=$2"; '
              'if [ "$1" = 7 ]; then exit 3; fi; '
              'if [ "$1" = 13 ]; then kill -TERM $$; sleep 5; fi')
    spec, _ = sh_spec(tmp, N, script=script)
    out = os.path.join(tmp, "r.h5")
    with step("exit 3 and SIGTERM: recorded failed and crashed, the rest ok"):
        p, _ = run(args, ["run", spec, "-o", out, "-j", "2", "-q"], tmp)
        check(p.returncode == 3, "expected exit 3: " + describe(p))
        r = read_results(out)
        for i, want in {7: (2, 3), 13: (4, -15)}.items():
            got = (int(r["status"][i]), int(r["exit_code"][i]))
            check(got == want, f"sample {i}: (status, exit code) {got}, expected {want}")
            check(np.isnan(r["outputs"]["y"][i]), f"sample {i}: output not NaN")
        ok = np.ones(N, bool)
        ok[[7, 13]] = False
        check((r["status"][ok] == 1).all(), f"status {r['status'].tolist()}")
        check(np.array_equal(r["outputs"]["y"][ok], np.linspace(0, 1, N)[ok]), "y != a")
        check(sorted(evals(log)) == list(range(N)), "not every sample evaluated once")
    with step("--resume: nothing evaluated again, nothing changed"):
        q, _ = run(args, ["run", spec, "-o", out, "-j", "2", "-q", "--resume"], tmp)
        check(q.returncode == 3, "resume: expected exit 3: " + describe(q))
        check(len(evals(log)) == N, "resume evaluated samples again")
        r2 = read_results(out)
        for k in ("status", "exit_code", "elapsed"):
            check(same_array(r[k], r2[k]), f"{k} changed on resume")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
