#!/usr/bin/python3
"""Errors under a launcher: every rank refuses alike, before touching the
output.

Under mpirun -n 3 (-b mpi and -b hybrid), in a directory that holds an
earlier, valid results.h5:

  1. malformed specs of tests/specs/bad (their first line says the expected
     `<line>: <key path>`): every rank exits 1 (each rank's own status,
     through a wrapper), the combined stderr holds "FILE:LINE: KEY" and no
     other kind of line from a rank, mpirun itself exits non-zero (1), and
     the directory is byte-identical (same bytes and mtimes, no new file);
  2. a valid spec whose output exists, without --force: every rank exits
     1 with "FILE exists; use --force ...", mpirun exits 1, nothing changes;
  3. the same with --force: exit 0, the file is replaced by a complete one
     written by the launcher's backend, and no other file appears.
"""
import os
import re
import subprocess

import numpy as np

from mpitest import (
    attr_str,
    build_spec,
    check,
    describe,
    main,
    mpirun,
    rank_exit_codes,
    rank_lines,
    read_results,
    snapshot,
    step,
    write,
)

EXPECT = re.compile(rb"^# expect: (\d+): (.+?)\s*$")
# A few kinds of error: a bad value, a structural error, a model error, an
# unknown placeholder (the spec reader's checks are the same code on every
# rank; tests/cli covers all of them without a launcher).
CASES = ["array_empty.yaml", "duplicate_parameter.yaml", "lower_gt_upper.yaml",
         "unknown_placeholder.yaml", "unknown_top_key.yaml"]
RANKS = 3


def good_spec(model, n):
    return build_spec(
        "errors",
        [
            ("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {n}}}"),
            ("b", "{type: PredeterminedFixedSample, array: [2, 3]}"),
            ("c", "{type: PredeterminedFixedSample, array: [1]}"),
        ],
        ["out1", "out2"],
        command=[model, "{a}", "{b}", "{c}", "--index={index}"],
    )


def refused(args, d, rcdir, cmd, backend, want_msg, label):
    """Run cmd under mpirun twice (ranks' statuses through the wrapper, then
    mpirun's own status); check both and that d is unchanged."""
    before = snapshot(d)
    for f in os.listdir(rcdir):
        if f.startswith("rc."):
            os.unlink(os.path.join(rcdir, f))
    p, _ = mpirun(args, RANKS, cmd + ["-b", backend], cwd=d, timeout=60, tag=True, rc_dir=rcdir)
    codes = rank_exit_codes(rcdir, RANKS)
    check(codes == {r: 1 for r in range(RANKS)},
          f"{label}: ranks' exit statuses {codes}, expected 1 on each of {RANKS}\n{describe(p)}")
    lines = [(rank, ln) for rank, _, ln in rank_lines(p.stderr) if rank is not None]
    msg = [rank for rank, ln in lines if want_msg in ln]
    others = [ln for rank, ln in lines if want_msg not in ln]
    check(msg, f"{label}: no rank printed {want_msg!r}\n{describe(p)}")
    check(not others, f"{label}: other lines from the ranks: {others}")
    check(p.stdout == "", f"{label}: output on stdout: {p.stdout!r}")
    check(snapshot(d) == before,
          f"{label}: the directory changed: "
          + (", ".join(sorted(set(os.listdir(d)) ^ set(before))) or "a file's bytes or mtime"))
    p2, _ = mpirun(args, RANKS, cmd + ["-b", backend], cwd=d, timeout=60)
    check(p2.returncode == 1, f"{label}: mpirun exited {p2.returncode}, expected 1\n{describe(p2)}")
    check(snapshot(d) == before, f"{label} (plain mpirun): the directory changed")
    return sorted(set(msg))


def test(args, tmp):
    rcdir = os.path.join(tmp, "rc")
    os.mkdir(rcdir)
    d = os.path.join(tmp, "run")
    os.mkdir(d)
    write(os.path.join(d, "good.yaml"), good_spec(args.model, 5))
    with step("an earlier results.h5 (fork)"):
        p = subprocess.run([args.parsweep, "run", "good.yaml", "-b", "fork", "-j", "2", "-q"],
                           cwd=d, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 0, f"earlier run: {describe(p)}")
        check(attr_str(read_results(os.path.join(d, "results.h5"))["attrs"]["backend"]) == "fork",
              "earlier run: backend")
    bad_dir = os.path.join(args.repo, "tests", "specs", "bad")
    for backend in ("mpi", "hybrid"):
        for name in CASES:
            path = os.path.join(bad_dir, name)
            with open(path, "rb") as f:
                m = EXPECT.match(f.read().split(b"\n", 1)[0])
            check(m, f"{path}: first line is not '# expect: <line>: <key path>'")
            want = f"{path}:{int(m.group(1))}: {m.group(2).decode()}"
            label = f"mpirun -n {RANKS} -b {backend}: {name}"
            with step(f"{label}: exit 1 on every rank, output untouched"):
                ranks = refused(args, d, rcdir, ["run", path], backend, want, label)
                print(f"   message from ranks {ranks}: {want}")
        label = f"mpirun -n {RANKS} -b {backend}: existing output without --force"
        with step(f"{label}: refused on every rank"):
            ranks = refused(args, d, rcdir, ["run", "good.yaml"], backend,
                            "results.h5 exists; use --force", label)
            print(f"   message from ranks {ranks}")
    with step(f"mpirun -n {RANKS} -b mpi --force: the file is replaced"):
        write(os.path.join(d, "good.yaml"), good_spec(args.model, 7))
        p, _ = mpirun(args, RANKS, ["run", "good.yaml", "-b", "mpi", "--force", "-q"], cwd=d)
        check(p.returncode == 0, f"--force: {describe(p)}")
        r = read_results(os.path.join(d, "results.h5"))
        check(attr_str(r["attrs"]["backend"]) == "mpi" and r["status"].size == 14
              and (r["status"] == 1).all(),
              f"--force: backend {r['attrs'].get('backend')}, status {r['status']}")
        a, b = r["params"]["a"], r["params"]["b"]
        check(np.array_equal(r["outputs"]["out1"], a * b + 1.0), "--force: out1 wrong")
        check(sorted(os.listdir(d)) == ["good.yaml", "results.h5"],
              f"--force: files left: {sorted(os.listdir(d))}")


if __name__ == "__main__":
    main(test)
