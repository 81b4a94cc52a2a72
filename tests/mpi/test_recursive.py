#!/usr/bin/python3
"""Recursive sweeps (issue 16, acceptance 1) under a real launcher:

  mpirun -n 3 parsweep run spec -b mpi
  mpirun -n 2 parsweep run spec -b hybrid -j 2   (h5_parent_group_name: the
                                                  selection under /grp)

num_successes 50, num_samples 40, a model failing for x < 0.3: exit 0 on
every rank, the WaterTAP groups hold the first 50 ok samples with the
design's values, /parsweep/evaluated every evaluated sample, each evaluated
exactly once (recursive_lib, as cli.recursive does on fork); then
max_samples 60: exit 3, all 60 kept."""
import collections
import os

from mpitest import check, describe, main, mpirun, step
import recursive_lib as rl

RUNS = [
    ("mpi -n 3", 3, ["-b", "mpi"], None),
    ("hybrid -n 2 -j 2", 2, ["-b", "hybrid", "-j", "2"], "grp"),
]


def test(args, tmp):
    for k, (label, ranks, opts, parent) in enumerate(RUNS):
        d = os.path.join(tmp, f"run{k}")
        os.mkdir(d)
        extra = f"h5_parent_group_name: {parent}\n" if parent else ""
        with step(f"{label}: num_successes 50, num_samples 40: exit 0, the first 50 ok kept"):
            spec, log = rl.spec(d, extra=extra)
            p, _ = mpirun(args, ranks, ["run", spec, "-o", "r.h5"] + opts, cwd=d)
            check(p.returncode == 0, f"{label}: expected exit 0: " + describe(p))
            e = rl.check_file(os.path.join(d, "r.h5"), 40, 50, 400, label, parent=parent)
            n = collections.Counter(rl.evals(log))
            check(sorted(n) == list(range(e)) and max(n.values()) == 1,
                  f"{label}: each of 0..{e - 1} not evaluated exactly once")
    with step("mpi -n 3, max_samples 60: exit 3, every evaluated sample kept"):
        d = os.path.join(tmp, "small")
        os.mkdir(d)
        spec, log = rl.spec(d, max_samples=60)
        p, _ = mpirun(args, 3, ["run", spec, "-o", "r.h5", "-b", "mpi"], cwd=d)
        check(p.returncode == 3, "expected exit 3: " + describe(p))
        check(rl.check_file(os.path.join(d, "r.h5"), 40, 50, 60, "max_samples 60") == 60, "not all 60 kept")


if __name__ == "__main__":
    main(test)
