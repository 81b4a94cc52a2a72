#!/usr/bin/python3
"""Fault matrix row 14: a full disk and a read-only output directory give
exit 1 with one line, and leave a state that --resume completes.

The output goes to a tmpfs of 256 KiB (mounted by the test: needs root;
exit 77, skipped, without the right to mount). A sweep of 6000 samples
needs more (its journal alone is 336 KB): the run fails with exit 1 and
one line naming the file and "No space left on device", and there is no
results.h5. With the tmpfs grown, one --resume completes it without
evaluating again any sample its journal had recorded. Then, the
directory remounted read-only: a --force run and a --resume run exit 1
with one line ("Read-only file system"), and results.h5 is byte-for-byte
what it was.
"""
import os
import subprocess
import sys

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, step, write
from faultlib import evals, journal_indices, leftovers

N = 6000


def mount(*argv):
    return subprocess.run(["mount"] + list(argv), capture_output=True, text=True)


def test(args, tmp):
    small = os.path.join(tmp, "small")
    os.mkdir(small)
    m = mount("-t", "tmpfs", "-o", "size=256k,mode=0755", "psw-faults", small)
    if m.returncode != 0:
        print(f"SKIP: cannot mount a tmpfs ({m.stderr.strip()})")
        sys.exit(77)
    try:
        log = os.path.join(tmp, "evals")
        env = {"PSW_FAULT_LOG": log}
        spec = write(os.path.join(tmp, "s.yaml"), build_spec(
            "disk", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {N}}}")],
            ["y"], plugin=args.plugin))
        out = os.path.join(small, "r.h5")
        with step("disk full: exit 1, one line, no results.h5"):
            p, _ = run(args, ["run", spec, "-o", out, "-j", "2", "-q"], tmp, env=env)
            check(p.returncode == 1, "expected exit 1: " + describe(p))
            line = p.stderr.strip()
            check(len(line.splitlines()) == 1 and "No space left on device" in line
                  and "r.h5" in line, "expected one line naming r.h5 and ENOSPC: " + line)
            check(not os.path.exists(out), "a results.h5 after a failed run")
            recorded = set(journal_indices(out))
            print(f"   {len(recorded)} samples journaled before the disk filled")
        with step("more room: one --resume completes, the journaled samples kept"):
            check(mount("-o", "remount,size=16m", small).returncode == 0, "remount")
            n = len(evals(log))
            p, _ = run(args, ["run", spec, "-o", out, "-j", "2", "-q", "--resume"], tmp, env=env)
            check(p.returncode == 0, "resume: " + describe(p))
            again = set(evals(log)[n:]) & recorded
            check(not again, f"journaled samples evaluated again: {sorted(again)[:10]}")
            r = read_results(out)
            check((r["status"] == 1).all(), "not every sample ok")
            check(np.array_equal(r["outputs"]["y"], np.linspace(0, 1, N)), "y != a")
            check(leftovers(small, "r.h5") == [], f"left: {leftovers(small, 'r.h5')}")
        with step("read-only directory: exit 1, one line, results.h5 untouched"):
            before = open(out, "rb").read()
            check(mount("-o", "remount,ro", small).returncode == 0, "remount ro")
            for extra in (["--force"], ["--resume"]):
                p, _ = run(args, ["run", spec, "-o", out, "-q"] + extra, tmp, env=env)
                check(p.returncode == 1, f"{extra}: expected exit 1: " + describe(p))
                line = p.stderr.strip()
                check(len(line.splitlines()) == 1 and "Read-only file system" in line,
                      f"{extra}: expected one line with EROFS: {line}")
            check(open(out, "rb").read() == before, "results.h5 changed")
    finally:
        subprocess.run(["umount", "-l", small], capture_output=True)


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
