#!/usr/bin/python3
"""Fault matrix row 5: SIGKILL of one MPI rank mid-run, then --resume.

`mpirun -n 2 parsweep run` on the mpi and on the hybrid backend, the
model of test_resume.py (0.1 s a sample, each evaluation started logged).
About 1 s after the first sample, one rank is SIGKILLed: mpirun ends the
job and exits non-zero within seconds. results.h5 is absent or a complete
file (never half-written), and the writers' journals hold what was
recorded. `mpirun -n 2 parsweep run --resume` then completes the sweep:
every sample ok with the values of numpy, and no sample that a journal
held was evaluated again.
"""
import os
import signal
import sys
import time

import numpy as np

from mpitest import check, describe, finish, main, mpirun, proc, read_results, same_array, start_mpirun, step, write
from test_resume import N, NA, read_log, spec_text, wait_for_log

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from faultlib import journal_indices  # noqa: E402


def test(args, tmp):
    a, b, c = np.meshgrid(np.linspace(1, 5, NA), np.array([0.5, 2.0]), np.array([10.0, -1.0]),
                          indexing="ij")
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    for backend in ("mpi", "hybrid"):
        d = os.path.join(tmp, backend)
        os.mkdir(d)
        log = os.path.join(d, "eval.log")
        write(os.path.join(d, "spec.yaml"), spec_text(args.model, log))
        path = os.path.join(d, "results.h5")
        with step(f"{backend}: SIGKILL of one rank 1 s after the first sample"):
            p = start_mpirun(args, 2, ["run", "spec.yaml", "-b", backend], cwd=d)
            wait_for_log(log, p)
            time.sleep(1.0)
            ranks = proc.children(p.pid)
            check(len(ranks) == 2, f"mpirun has {len(ranks)} children: {ranks}")
            os.kill(max(ranks), signal.SIGKILL)
            r, wall = finish(p, timeout=60)
            check(r.returncode != 0, f"mpirun exited 0 after a rank was killed\n{describe(r)}")
            if os.path.exists(path):
                got = read_results(path)  # opens: a complete file
                check(got["status"].shape == (N,), "a results.h5 of the wrong size")
            recorded = set(journal_indices(path, nparams=3, noutputs=2))
            print(f"   mpirun exited {r.returncode} after {wall:.1f} s; "
                  f"{len(recorded)} samples journaled")
            check(recorded, "nothing journaled after 1 s")
        with step(f"{backend}: --resume completes it, nothing journaled evaluated again"):
            n = len(read_log(log))
            r2, _ = mpirun(args, 2, ["run", "spec.yaml", "-b", backend, "--resume"], cwd=d,
                           timeout=120)
            check(r2.returncode == 0, f"--resume: {describe(r2)}")
            fin = read_results(path)
            check((fin["status"] == 1).all(), f"status {fin['status']}")
            check(same_array(fin["outputs"]["out1"], a * b + c)
                  and same_array(fin["outputs"]["out2"], a - c), "outputs differ from numpy")
            again = set(read_log(log)[n:]) & recorded
            check(not again, f"journaled samples evaluated again: {sorted(again)}")
            left = sorted(x for x in os.listdir(d) if x.startswith("."))
            check(not left, f"left beside results.h5: {left}")


if __name__ == "__main__":
    main(test)
