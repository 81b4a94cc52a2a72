#!/usr/bin/python3
"""SPEC §5: `run` refuses (exit 1) an output that another run is using,
even with --force.

Run 1 writes results.h5 with a model whose sample 0 hangs until its 4 s
timeout. While it runs, a second `parsweep run` of the same output, with
and without --force, must exit 1 at once with a one-line message naming the
output, evaluating nothing. Run 1 then finishes (exit 3: one timeout) and
its results.h5 is intact; afterwards --force works again.
"""
import os
import subprocess
import time

from clitest import build_spec, check, describe, main, read_results, run, step, write

TIMEOUT = 4


def test(args, tmp):
    marks = os.path.join(tmp, "marks")
    os.mkdir(marks)
    spec = write(
        os.path.join(tmp, "s.yaml"),
        build_spec(
            "busy",
            [
                ("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 4}"),
                ("b", "{type: PredeterminedFixedSample, array: [2]}"),
                ("c", "{type: PredeterminedFixedSample, array: [1]}"),
            ],
            ["out1", "out2"],
            command=[
                args.model,
                "{a}",
                "{b}",
                "{c}",
                "--index={index}",
                "--hang=0",
                f"--dir={marks}",
            ],
            model_extra=f"timeout: {TIMEOUT}",
        ),
    )
    out = os.path.join(tmp, "results.h5")
    env = dict(os.environ)
    env.pop("PARSWEEP_LOG", None)
    first = subprocess.Popen(
        [args.parsweep, "run", spec, "-o", out, "-b", "serial", "-q"],
        cwd=tmp,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        t0 = time.monotonic()
        while not os.path.exists(os.path.join(marks, "hang.0")):
            check(first.poll() is None, f"run 1 ended early: exit {first.returncode}")
            check(time.monotonic() - t0 < 10, "run 1 did not start its model in 10 s")
            time.sleep(0.05)
        for extra in (["--force"], []):
            with step(
                f"a second run of the same output ({' '.join(extra) or 'no --force'}) while run 1 is busy"
            ):
                p, w = run(
                    args,
                    ["run", spec, "-o", out, "-b", "serial", "-q"] + extra,
                    cwd=tmp,
                    timeout=60,
                )
                check(
                    p.returncode == 1,
                    f"expected exit 1 (output in use), got {describe(p)} after {w:.1f} s",
                )
                check(
                    len(p.stderr.splitlines()) == 1 and "results.h5" in p.stderr,
                    f"message should be one line naming the output: {p.stderr!r}",
                )
                check(
                    first.poll() is None,
                    "run 1 ended during the check: the test is too slow to tell",
                )
                check(w < TIMEOUT - 1, f"the refusal took {w:.1f} s")
                print(f"   refused: {p.stderr.strip()}")
        so, se = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    check(
        first.returncode == 3,
        f"run 1: expected exit 3 (one timeout), got {first.returncode}: {se.decode()}",
    )
    r = read_results(out)
    check(list(r["status"]) == [3, 1, 1, 1], f"run 1's results: status {r['status']}")
    with step("--force once run 1 has finished"):
        os.remove(os.path.join(marks, "hang.0"))
        p, _ = run(
            args, ["run", spec, "-o", out, "-b", "serial", "-q", "--force"], cwd=tmp, timeout=60
        )
        check(p.returncode == 3, f"expected exit 3, got {describe(p)}")


if __name__ == "__main__":
    main(test)
