#!/usr/bin/python3
"""Command-line errors (SPEC §5 exit codes) and the output-file rules.

  - usage errors exit 2 and create nothing: no verb, an unknown verb, `run`
    without a spec, two specs, a bad -j, -j without a value, an unknown
    option; `show` without a file or with an unknown option;
  - --help of every verb exits 0 and prints its usage on stdout;
  - a spec that does not exist exits 1 with its path in a one-line message;
  - an existing output is refused without --force (exit 1, file untouched,
    named in the message); --force replaces it with the new results;
  - --force with a model that cannot be started (a missing command) exits 1
    and keeps the earlier output as it was.
"""
import os

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, step, write


def listing(d):
    return sorted(os.listdir(d))


def test(args, tmp):
    spec = write(
        os.path.join(tmp, "ok.yaml"),
        build_spec(
            "usage",
            [
                ("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 3}"),
                ("b", "{type: PredeterminedFixedSample, array: [2, 4]}"),
                ("c", "{type: PredeterminedFixedSample, array: [1]}"),
            ],
            ["out1", "out2"],
            command=[args.model, "{a}", "{b}", "{c}"],
        ),
    )
    base = listing(tmp)
    with step("usage errors: exit 2, nothing created"):
        cases = [
            [],
            ["frobnicate"],
            ["run"],
            ["run", spec, spec],
            ["run", spec, "-j", "x"],
            ["run", spec, "-j", "-1"],
            ["run", spec, "-j", "2x"],
            ["run", spec, "-j"],
            ["run", spec, "--no-such-option"],
            ["run", spec, "-Z"],
            ["show"],
            ["show", "results.h5", "--bogus"],
        ]
        for argv in cases:
            p, _ = run(args, argv, cwd=tmp, timeout=30)
            check(
                p.returncode == 2, f"parsweep {' '.join(argv)}: expected exit 2, got {describe(p)}"
            )
            check(p.stderr.strip() != "", f"parsweep {' '.join(argv)}: no message on stderr")
            check(
                listing(tmp) == base,
                f"parsweep {' '.join(argv)}: created {set(listing(tmp)) - set(base)}",
            )
            print(f"   exit 2: parsweep {' '.join(argv)}: {p.stderr.splitlines()[0]}")
    with step("--help of every verb"):
        for argv in (["--help"], ["run", "--help"], ["show", "--help"], ["info", "--help"]):
            p, _ = run(args, argv, cwd=tmp, timeout=30)
            check(
                p.returncode == 0 and "usage" in p.stdout.lower(),
                f"parsweep {' '.join(argv)}: {describe(p)}",
            )
        check(listing(tmp) == base, "--help created a file")
    with step("a spec that does not exist: exit 1 naming it"):
        missing = os.path.join(tmp, "no-such-dir", "missing.yaml")
        p, _ = run(args, ["run", missing], cwd=tmp, timeout=30)
        check(p.returncode == 1, f"missing spec: expected exit 1, got {describe(p)}")
        check(
            missing in p.stderr and len(p.stderr.splitlines()) == 1,
            f"missing spec: message should be one line naming {missing}: {p.stderr!r}",
        )
        check(listing(tmp) == base, "missing spec: created a file")
    out = os.path.join(tmp, "results.h5")
    old = b"an earlier results.h5 " + os.urandom(100)
    with step("an existing output: refused without --force, replaced with it"):
        with open(out, "wb") as f:
            f.write(old)
        for argv in (
            ["run", spec],
            ["run", spec, "-o", "results.h5"],
            ["run", spec, "-o", out, "-b", "fork", "-j", "2"],
        ):
            p, _ = run(args, argv + ["-q"], cwd=tmp, timeout=60)
            check(
                p.returncode == 1, f"parsweep {' '.join(argv)}: expected exit 1, got {describe(p)}"
            )
            check(
                "results.h5" in p.stderr and len(p.stderr.splitlines()) == 1,
                f"message should be one line naming the output: {p.stderr!r}",
            )
            check(open(out, "rb").read() == old, "the existing output changed without --force")
        check(listing(tmp) == sorted(base + ["results.h5"]), f"files appeared: {listing(tmp)}")
        p, _ = run(args, ["run", spec, "--force", "-q"], cwd=tmp, timeout=60)
        check(p.returncode == 0, f"--force: expected exit 0, got {describe(p)}")
        r = read_results(out)
        check(
            r["params"]["a"].size == 6 and (r["status"] == 1).all(),
            "--force: the new results are not there",
        )
        check(
            np.array_equal(
                r["outputs"]["out1"], r["params"]["a"] * r["params"]["b"] + r["params"]["c"]
            ),
            "--force: wrong outputs",
        )
        check(listing(tmp) == sorted(base + ["results.h5"]), f"--force left files: {listing(tmp)}")
    with step("--force with a model that cannot start keeps the earlier output"):
        bad = write(
            os.path.join(tmp, "badcmd.yaml"),
            build_spec(
                "badcmd",
                [("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 3}")],
                ["out1"],
                command=[os.path.join(tmp, "no-such-model"), "{a}"],
            ),
        )
        with open(out, "rb") as f:
            good = f.read()
        p, _ = run(args, ["run", bad, "--force", "-q", "-b", "serial"], cwd=tmp, timeout=60)
        check(p.returncode == 1, f"missing model command: expected exit 1, got {describe(p)}")
        check("no-such-model" in p.stderr, f"the message should name the command: {p.stderr!r}")
        check(open(out, "rb").read() == good, "the earlier output changed although the run failed")
        check(
            listing(tmp) == sorted(base + ["badcmd.yaml", "results.h5"]),
            f"files left: {listing(tmp)}",
        )


if __name__ == "__main__":
    main(test)
