#!/usr/bin/python3
"""Fault matrix rows 6, 9 and 11 (issue: nothing lost).

6. SIGKILL of the whole run (parsweep, its fork workers and the running
   models) while results.h5 is being written, twice, then --resume: the
   output is absent until a run completes; no sample recorded in the
   journals at a kill is evaluated again; the final file has every sample
   once, ok, with the fault-free values, and nothing is left beside it.
   Without --resume the journals are not thrown away: exit 1, naming them.
   With a complete earlier output, a --force run killed midway leaves that
   earlier version intact.
9. --resume after completion, twice: zero new evaluations, identical values.
11. The run killed holding the output lock: the next run reclaims it (the
   second-run refusal itself is cli.concurrent_output).
"""
import os

import numpy as np

from clitest import check, describe, main, read_results, run, same_array, step
from faultlib import (check_complete, evals, journal_indices, kill_session, leftovers,
                      recorded, sh_spec, start, wait_for)

N = 300


def killed_run(args, tmp, spec, out, log, extra, at):
    """Start a run, SIGKILL it once `at` evaluations are logged; returns the
    samples recorded at that moment (journals and output)."""
    p = start(args, tmp, ["run", spec, "-o", out, "-b", "fork", "-j", "4", "-q"] + extra)
    wait_for(lambda: len(evals(log)) >= at, f"{at} evaluations", proc=p)
    kill_session(p)
    return set(journal_indices(out)) | recorded(out)


def test(args, tmp):
    spec, log = sh_spec(tmp, N)
    out = os.path.join(tmp, "r.h5")

    with step("SIGKILL of the whole run midway: no output, journals kept"):
        rec1 = killed_run(args, tmp, spec, out, log, [], 60)
        check(not os.path.exists(out), "r.h5 exists after a run killed before its end")
        check(len(rec1) >= 20, f"only {len(rec1)} samples journaled after 60 evaluations")
        left = leftovers(tmp, "r.h5")
        check(any(".journal." in x for x in left), f"no journal left: {left}")

    with step("without --resume: refused, the journals untouched"):
        before = {x: open(os.path.join(tmp, x), "rb").read() for x in left if ".journal." in x}
        p, _ = run(args, ["run", spec, "-o", out, "-q"], tmp)
        check(p.returncode == 1, "expected exit 1: " + describe(p))
        check("--resume" in p.stderr and "journal" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
              "expected one line naming the journals and --resume: " + p.stderr)
        after = {x: open(os.path.join(tmp, x), "rb").read() for x in before}
        check(before == after, "the journals changed")

    with step("--resume killed midway too: still no output, more journaled"):
        n1 = len(evals(log))
        rec2 = killed_run(args, tmp, spec, out, log, ["--resume"], n1 + 60)
        again = set(evals(log)[n1:]) & rec1
        check(not again, f"samples journaled before the kill evaluated again: {sorted(again)[:10]}")
        check(not os.path.exists(out), "r.h5 exists after a killed run")
        check(rec2 > rec1, "the second run journaled nothing new")

    with step("--resume completes (stale lock reclaimed): each journaled sample kept"):
        n2 = len(evals(log))
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "4", "-q", "--resume"], tmp)
        check(p.returncode == 0, "resume: " + describe(p))
        again = set(evals(log)[n2:]) & rec2
        check(not again, f"journaled samples evaluated again: {sorted(again)[:10]}")
        check(set(evals(log)) == set(range(N)), "some sample was never evaluated")
        r1 = check_complete(out, N, "after resume")
        check(leftovers(tmp, "r.h5") == [], f"left beside r.h5: {leftovers(tmp, 'r.h5')}")
        print(f"   {len(evals(log))} evaluations for {N} samples over 3 runs (2 killed)")

    with step("--resume after completion, twice: nothing evaluated, same values"):
        for k in range(2):
            n3 = len(evals(log))
            p, _ = run(args, ["run", spec, "-o", out, "-q", "--resume"], tmp)
            check(p.returncode == 0, f"resume {k + 2}: " + describe(p))
            check(len(evals(log)) == n3, f"resume {k + 2} evaluated {len(evals(log)) - n3} samples")
            r = read_results(out)
            for key in ("status", "exit_code", "elapsed", "worker", "node"):
                check(same_array(r[key], r1[key]), f"resume {k + 2}: {key} changed")
            check(same_array(r["outputs"]["y"], r1["outputs"]["y"]), "y changed")

    with step("--force killed midway: the complete earlier r.h5 stays as it was"):
        old = open(out, "rb").read()
        n4 = len(evals(log))
        killed_run(args, tmp, spec, out, log, ["--force"], n4 + 40)
        check(open(out, "rb").read() == old, "r.h5 changed under a killed --force run")
        check_complete(out, N, "the earlier version")
        p, _ = run(args, ["run", spec, "-o", out, "-q", "--force"], tmp)
        check(p.returncode == 0, "--force after the kill: " + describe(p))
        check_complete(out, N, "after --force")
        check(leftovers(tmp, "r.h5") == [], f"left beside r.h5: {leftovers(tmp, 'r.h5')}")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
