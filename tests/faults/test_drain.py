#!/usr/bin/python3
"""Fault matrix row 7 (SPEC §5, the walltime drain): SIGUSR1 sent to every process of a run,
as srun and mpirun deliver it (parsweep, its workers and the models they
started, each model in its own process group), makes `parsweep run` stop
starting samples, let the running ones finish, record every finished one
and exit 4; --resume then evaluates only the rest.

The model is a /bin/sh script: shells clear the signal mask at start, so a
model that only had SIGUSR1 blocked would die of it (status failed, exit
-10). Every finished evaluation appends its index to a log, so the test
knows what was computed, independently of results.h5: after the drain, the
recorded samples are exactly the finished ones, all ok with the right
value; after --resume every sample is ok and was computed exactly once.
"""
import os
import signal
import subprocess
import time

import numpy as np

from clitest import check, describe, main, read_results, run, step
from faultlib import descendants, evals, sh_spec

N = 40
SLEEP = 0.4


def test(args, tmp):
    spec, log = sh_spec(tmp, N, sleep=SLEEP)
    out = os.path.join(tmp, "results.h5")
    env = dict(os.environ)
    env.pop("PARSWEEP_LOG", None)
    with step("SIGUSR1 to every process of a running sweep: exit 4"):
        p = subprocess.Popen(
            [args.parsweep, "run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        t0 = time.monotonic()
        while len(evals(log)) < 3:
            check(p.poll() is None, f"the run ended early: exit {p.returncode}")
            check(time.monotonic() - t0 < 30, "3 samples not done in 30 s")
            time.sleep(0.05)
        # Mid-sample: every worker is inside a model.
        time.sleep(SLEEP / 2)
        pids = descendants(p.pid)
        check(len(pids) >= 3, f"expected parsweep, workers and models: {pids}")
        for pid in pids:
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
        o, e = p.communicate(timeout=60)
        p.stdout, p.stderr = o.decode(), e.decode()
        check(p.returncode == 4, "drain: expected exit 4, " + describe(p))

    with step("the recorded samples are exactly the finished ones, all ok"):
        done = evals(log)
        r = read_results(out)
        ok = np.flatnonzero(r["status"] == 1)
        check(sorted(done) == sorted(set(done)), f"a sample ran twice: {done}")
        check(sorted(done) == ok.tolist(), f"finished {sorted(done)}, recorded ok {ok.tolist()}")
        failed = np.flatnonzero((r["status"] != 1) & (r["status"] != 0))
        check(failed.size == 0, f"samples failed by the drain: {failed.tolist()} "
              f"exit codes {r['exit_code'][failed].tolist()}")
        check(3 <= ok.size < N, f"{ok.size} recorded; expected a partial sweep")
        a = np.linspace(0, 1, N)
        check(np.array_equal(r["outputs"]["y"][ok], a[ok]), "recorded y != a")
        check(np.isnan(r["outputs"]["y"][r["status"] == 0]).all(), "not-run rows not NaN")

    with step("--resume completes it: every sample ok, each computed once"):
        q, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q", "--resume"], tmp)
        check(q.returncode == 0, "resume: " + describe(q))
        r = read_results(out)
        check((r["status"] == 1).all(), f"status after resume: {r['status'].tolist()}")
        check(np.array_equal(r["outputs"]["y"], np.linspace(0, 1, N)), "y after resume")
        done = evals(log)
        check(sorted(done) == list(range(N)), f"evaluations: {sorted(done)}")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
