#!/usr/bin/python3
"""Issue 16, acceptance 2: a recursive sweep (num_successes 50, num_samples
40, a model failing for x < 0.3; 69 samples in 2 rounds) SIGKILLed as a
whole (parsweep, its fork workers, the models) in the middle of round 1,
then of round 2, each time followed by --resume: the final file is the
uninterrupted run's (the WaterTAP groups' rows and values, sample_index,
every evaluated sample's status and values, the attributes), and no sample
recorded (journaled) at a kill is evaluated again: the only repeats are
samples in flight at a kill, finished by their model but not yet
recorded (as for plain sweeps, faults.kill_resume)."""
import collections
import os
import signal

import h5py
import numpy as np

from clitest import check, describe, main, run, step
from faultlib import journal_indices, kill_session, recorded, start, wait_for
import recursive_lib as rl

JOBS = 2
SAME_ATTRS = ("num_samples", "count_ok", "evaluated", "evaluated_ok", "num_successes",
              "max_samples", "recursive_rounds", "completed")


def content(out):
    """What must not depend on how the run went (not elapsed, worker...)."""
    with h5py.File(out, "r") as f:
        d = {k: f[k][()] for k in ("sweep_params/x/value", "outputs/y/value",
                                   "solve_successful/solve_successful", "parsweep/status",
                                   "parsweep/sample_index", "parsweep/evaluated/status",
                                   "parsweep/evaluated/exit_code",
                                   "parsweep/evaluated/sweep_params/x",
                                   "parsweep/evaluated/outputs/y")}
        d.update({k: f.attrs[k] for k in SAME_ATTRS})
    return d


def killed(args, tmp, spec, out, log, at, extra):
    p = start(args, tmp, ["run", spec, "-o", out, "-b", "fork", "-j", str(JOBS), "-q"] + extra)
    wait_for(lambda: len(rl.evals(log)) >= at, f"{at} evaluations", proc=p)
    kill_session(p)
    return set(journal_indices(out)) | recorded(out)


def test(args, tmp):
    ref_dir = os.path.join(tmp, "ref")
    os.mkdir(ref_dir)
    with step("the uninterrupted run (the reference)"):
        spec, _ = rl.spec(ref_dir)
        p, _ = run(args, ["run", spec, "-o", "r.h5", "-b", "fork", "-j", str(JOBS), "-q"], ref_dir)
        check(p.returncode == 0, "reference: " + describe(p))
        e = rl.check_file(os.path.join(ref_dir, "r.h5"), 40, 50, 400, "reference")
        ref = content(os.path.join(ref_dir, "r.h5"))

    # 30 ms a sample: the kills land inside a round.
    spec, log = rl.spec(tmp, sleep=0.03)
    out = os.path.join(tmp, "r.h5")
    with step("SIGKILL in round 1 (after 20 evaluations)"):
        rec1 = killed(args, tmp, spec, out, log, 20, [])
        check(not os.path.exists(out), "an output after a kill in round 1")
        n1 = len(rl.evals(log))
    with step("--resume, drained by SIGUSR1 (the walltime warning) after 30: exit 4"):
        p = start(args, tmp, ["run", spec, "-o", out, "-b", "fork", "-j", str(JOBS), "-q", "--resume"])
        wait_for(lambda: len(rl.evals(log)) >= 30, "30 evaluations", proc=p)
        os.kill(p.pid, signal.SIGUSR1)
        _, err = p.communicate(timeout=60)
        check(p.returncode == 4, f"drained: exit {p.returncode}, expected 4: {err.decode()[-2000:]}")
        again = set(rl.evals(log)[n1:]) & rec1
        check(not again, f"samples recorded at the first kill evaluated again: {sorted(again)}")
        rec_d = recorded(out)
        n_d = len(rl.evals(log))
    with step("--resume, SIGKILL in round 2 (after 50); `parsweep status` says where it stands"):
        rec2 = killed(args, tmp, spec, out, log, max(50, n_d + 5), ["--resume"])
        again = set(rl.evals(log)[n_d:]) & rec_d
        check(not again, f"samples recorded at the drain evaluated again: {sorted(again)}")
        check(os.path.exists(out), "no output of round 1 after a kill in round 2")
        with h5py.File(out, "r") as f:
            check("evaluated" not in f.attrs, "the output was final before round 2 ended")
        p, _ = run(args, ["status", out], tmp)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("recursive")]
        x = rl.expected_rounds(40, 50, 400)[2]
        want = f"{sum(1 for i in rec2 if x[i] >= rl.CUT)} of 50 ok, {len(rec2)} samples evaluated"
        check(p.returncode == 0 and len(line) == 1 and want in line[0] and "round 2 (samples 40..68)" in line[0],
              f"status: expected '{want}', round 2: " + describe(p))
    with step("--resume to the end: the uninterrupted run's file"):
        n2 = len(rl.evals(log))
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", str(JOBS), "-q", "--resume"], tmp)
        check(p.returncode == 0, "resume: " + describe(p))
        again = set(rl.evals(log)[n2:]) & rec2
        check(not again, f"samples recorded at the second kill evaluated again: {sorted(again)}")
        rl.check_file(out, 40, 50, 400, "after resume")
        got = content(out)
        for k, v in ref.items():
            check(np.array_equal(np.asarray(got[k]), np.asarray(v), equal_nan=np.asarray(v).dtype.kind == "f"),
                  f"{k} differs from the uninterrupted run")
        n = collections.Counter(rl.evals(log))
        check(sorted(n) == list(range(e)), f"evaluated {sorted(n)[:5]}..., expected 0..{e - 1}")
        twice = sorted(i for i, c in n.items() if c > 1)
        # Repeats are only samples not recorded at a kill (checked above
        # run by run); at most one evaluation per run.
        check(max(n.values()) <= 3, f"a sample evaluated more than once per run: {n.most_common(3)}")
        print(f"   {sum(n.values())} evaluations for {e} samples; repeated (in flight at a kill): {twice}")


if __name__ == "__main__":
    main(test)
