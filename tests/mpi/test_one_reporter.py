#!/usr/bin/python3
"""Issue 4: under a launcher every rank runs the same `parsweep run` command
line, and one process reports.

mpirun -n 3 --tag-output (every line of the combined output prefixed by
the rank that printed it), for -b mpi and -b hybrid (3 ranks, one node
group):

  1. a clean sweep of ~6 s (36 samples of 0.5 s on 3 workers), so that
     progress lines are printed while it runs (every ~5 s) and at its end:
     exactly one "parsweep: FILE: N samples ..." summary line in all; at
     least two "parsweep: progress" lines, all from the rank that prints
     the summary, the last one N/N with 0 failed, counts non-decreasing; no
     other line from a rank on stderr, nothing on stdout, exit 0;
  2. a short sweep in which one sample fails (exit 3), run 3 times: the
     same, and the last progress line counts the failed sample. With exit
     3, Open MPI aborts the job as soon as the first rank exits non-zero,
     so a rank that exits before the reporter has printed its summary can
     take the summary away (lines without a rank's tag are mpirun's notice
     of that abort and are not counted).
"""
import os
import re

from mpitest import build_spec, check, describe, main, mpirun, rank_lines, step, write

PROGRESS = re.compile(r"^parsweep: progress (\d+)/(\d+) samples, (\d+) failed")
SUMMARY = re.compile(r"^parsweep: (\S+): (\d+) samples \((\d+) evaluated now\) on (\S+) with (\d+) workers")
RANKS = 3


def spec_for(model, n, actions):
    return build_spec(
        "one_reporter",
        [
            ("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {n}}}"),
            ("b", "{type: PredeterminedFixedSample, array: [2]}"),
            ("c", "{type: PredeterminedFixedSample, array: [1]}"),
        ],
        ["out1", "out2"],
        command=[model, "{a}", "{b}", "{c}", "--index={index}"] + actions,
    )


def one_reporter(args, tmp, spec, backend, n, failed, min_progress, label):
    out = f"{backend}.h5"
    p, wall = mpirun(args, RANKS, ["run", spec, "-o", out, "-b", backend, "--force"],
                     cwd=tmp, timeout=120, tag=True)
    want_rc = 3 if failed else 0
    check(p.returncode == want_rc, f"{label}: expected exit {want_rc}, got {describe(p)}")
    check(p.stdout == "", f"{label}: output on stdout: {p.stdout!r}")
    lines = [x for x in rank_lines(p.stderr) if x[0] is not None]
    summary = [(rank, ln) for rank, _, ln in lines if SUMMARY.match(ln)]
    progress = [(rank, PROGRESS.match(ln)) for rank, _, ln in lines if PROGRESS.match(ln)]
    others = [(rank, ln) for rank, _, ln in lines if not SUMMARY.match(ln) and not PROGRESS.match(ln)]
    check(len(summary) == 1, f"{label}: {len(summary)} summary lines, expected 1:\n{p.stderr}")
    reporter = summary[0][0]
    m = SUMMARY.match(summary[0][1])
    check(m.group(1) == out and int(m.group(2)) == n and int(m.group(3)) == n
          and m.group(4) == backend and int(m.group(5)) == RANKS,
          f"{label}: summary line {summary[0][1]!r}")
    check(not others, f"{label}: other lines on stderr: {others}")
    ranks = sorted({rank for rank, _ in progress})
    check(len(progress) >= min_progress,
          f"{label}: {len(progress)} progress lines in a {wall:.1f} s run, expected at least "
          f"{min_progress}:\n{p.stderr}")
    check(ranks == [reporter],
          f"{label}: progress lines from ranks {ranks}, summary from rank {reporter}:\n{p.stderr}")
    done = [(int(mm.group(1)), int(mm.group(2)), int(mm.group(3))) for _, mm in progress]
    check(done[-1] == (n, n, failed),
          f"{label}: last progress line {done[-1]}, expected {n}/{n} samples, {failed} failed")
    check([d for d, _, _ in done] == sorted(d for d, _, _ in done),
          f"{label}: progress not increasing: {done}")
    return wall, reporter, done


def test(args, tmp):
    N = 36
    write(os.path.join(tmp, "long.yaml"), spec_for(args.model, N, ["--sleep=0.5"]))
    nf = 12
    write(os.path.join(tmp, "failing.yaml"), spec_for(args.model, nf, ["--exit=7"]))
    for backend in ("mpi", "hybrid"):
        label = f"mpirun -n {RANKS} -b {backend}"
        with step(f"{label}, a ~6 s clean sweep: one process prints progress and the summary"):
            wall, reporter, done = one_reporter(args, tmp, "long.yaml", backend, N, 0, 2, label)
            print(f"   {wall:.1f} s; rank {reporter} printed {len(done)} progress lines "
                  f"{[d for d, _, _ in done]} and the summary")
        with step(f"{label}, a sweep with a failed sample (exit 3), 3 times: the same"):
            for k in range(3):
                wall, reporter, done = one_reporter(args, tmp, "failing.yaml", backend, nf, 1, 1,
                                                    f"{label} (failed sample, run {k + 1})")
                print(f"   run {k + 1}: {wall:.1f} s; rank {reporter}: progress {done}, summary")


if __name__ == "__main__":
    main(test)
