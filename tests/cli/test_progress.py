#!/usr/bin/python3
"""Progress output (issue 3: a bar on a terminal, a line every few seconds
in batch logs, --quiet silences it).

stderr is a pipe here, as in a batch job:
  - --quiet: nothing at all on stderr, for a clean run and for one with
    failed samples (a failed sample is a result, not an error);
  - default: only "parsweep: progress ..." lines and the final summary
    line, no carriage returns or escape sequences; the last progress line
    says N/N; a run of ~8 s of slow samples also prints progress while it
    runs (not only at the end);
  - --progress forces the bar, even on a pipe.
"""
import os
import re

from clitest import build_spec, check, describe, main, run, step, write

PROGRESS = re.compile(r"^parsweep: progress (\d+)/(\d+) samples, (\d+) failed")


def spec_for(model, n, actions):
    return build_spec(
        "progress",
        [
            ("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {n}}}"),
            ("b", "{type: PredeterminedFixedSample, array: [2]}"),
            ("c", "{type: PredeterminedFixedSample, array: [1]}"),
        ],
        ["out1", "out2"],
        command=[model, "{a}", "{b}", "{c}", "--index={index}"] + actions,
    )


def batch_lines(p, n, failed, label):
    check(p.stdout == "", f"{label}: output on stdout: {p.stdout!r}")
    check(
        "\r" not in p.stderr and "\033" not in p.stderr,
        f"{label}: terminal control characters in a batch log: {p.stderr!r}",
    )
    lines = p.stderr.splitlines()
    prog = [PROGRESS.match(ln) for ln in lines]
    others = [ln for ln, m in zip(lines, prog) if not m]
    check(
        len(others) == 1 and others[0].startswith("parsweep: ") and f"{n} samples" in others[0],
        f"{label}: stderr lines other than progress: {others}",
    )
    done = [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in prog if m]
    check(
        done and done[-1] == (n, n, failed),
        f"{label}: last progress {done[-1] if done else None}, expected {n}/{n}, {failed} failed",
    )
    check(
        all(t == n for _, t, _ in done)
        and [d for d, _, _ in done] == sorted(d for d, _, _ in done),
        f"{label}: progress not increasing: {done}",
    )
    return done


def test(args, tmp):
    ok = write(os.path.join(tmp, "ok.yaml"), spec_for(args.model, 40, []))
    bad = write(
        os.path.join(tmp, "bad.yaml"),
        spec_for(args.model, 40, ["--exit=3", "--segv=9", "--omit=20"]),
    )
    with step("--quiet: nothing on stderr"):
        for spec, rc in ((ok, 0), (bad, 3)):
            for extra in (["-q"], ["--quiet"]):
                out = os.path.join(tmp, "q.h5")
                p, _ = run(
                    args,
                    ["run", spec, "-o", out, "--force", "-b", "fork", "-j", "2"] + extra,
                    cwd=tmp,
                )
                check(
                    p.returncode == rc,
                    f"{os.path.basename(spec)} {extra[0]}: expected exit {rc}, got {describe(p)}",
                )
                check(
                    p.stderr == "" and p.stdout == "",
                    f"{os.path.basename(spec)} {extra[0]}: output with --quiet: {describe(p)}",
                )
    with step("batch (stderr a pipe): progress lines"):
        p, _ = run(args, ["run", ok, "-o", os.path.join(tmp, "b1.h5")], cwd=tmp)
        check(p.returncode == 0, describe(p))
        batch_lines(p, 40, 0, "clean run")
        p, _ = run(args, ["run", bad, "-o", os.path.join(tmp, "b2.h5")], cwd=tmp)
        check(p.returncode == 3, describe(p))
        batch_lines(p, 40, 3, "run with failures")
    with step("a slow run prints progress while it runs"):
        n = 16
        slow = write(os.path.join(tmp, "slow.yaml"), spec_for(args.model, n, ["--sleep=0.5"]))
        p, w = run(args, ["run", slow, "-o", os.path.join(tmp, "slow.h5"), "-b", "serial"], cwd=tmp)
        check(p.returncode == 0, describe(p))
        done = batch_lines(p, n, 0, "slow run")
        print(f"   {w:.1f} s, progress lines at {[d for d, _, _ in done]} of {n}")
        check(
            any(d < n for d, _, _ in done),
            f"a {w:.0f} s run printed no progress line before its end: {p.stderr!r}",
        )
    with step("--progress forces the bar"):
        p, _ = run(args, ["run", ok, "-o", os.path.join(tmp, "bar.h5"), "--progress"], cwd=tmp)
        check(p.returncode == 0, describe(p))
        check(
            "\r[" in p.stderr and "40/40" in p.stderr, f"--progress: no bar on stderr: {p.stderr!r}"
        )


if __name__ == "__main__":
    main(test)
