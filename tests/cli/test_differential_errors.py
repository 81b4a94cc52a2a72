#!/usr/bin/python3
"""Issue 16: bad `num_diff_samples` / `differential:` input.

Each tests/specs/bad/diff_*.yaml starts with `# expect: <line>: <key path>`
and `# reason: <text>`. `parsweep run FILE` must exit 1 with one line on
stderr holding "FILE:<line>: <key path>: " and the reason, and nothing on
stdout. (cli.malformed_specs runs the same files, and checks that nothing
is written.)
"""
import glob
import os
import re

from clitest import check, main, run

EXPECT = re.compile(r"^# expect: (\d+): (.+?)\s*\n# reason: (.+?)\s*\n")


def test(args, tmp):
    files = sorted(glob.glob(os.path.join(args.repo, "tests", "specs", "bad", "diff_*.yaml")))
    check(len(files) >= 15, f"only {len(files)} bad differential specs")
    for path in files:
        with open(path) as f:
            m = EXPECT.match(f.read())
        check(m, f"{path}: no '# expect:' and '# reason:' lines")
        p, _ = run(args, ["run", path, "-o", os.path.join(tmp, "r.h5")], cwd=tmp, timeout=30)
        lines = p.stderr.splitlines()
        want = f"{path}:{m.group(1)}: {m.group(2)}: "
        print(f"{os.path.basename(path)}: {lines[-1] if lines else '(nothing)'}")
        check(p.returncode == 1, f"{path}: exit {p.returncode}, expected 1")
        check(len(lines) == 1 and want in lines[0] and m.group(3) in lines[0],
              f"{path}: expected one line with '{want}' and '{m.group(3)}', got {lines}")
        check(not p.stdout, f"{path}: printed on stdout: {p.stdout}")
        check(not os.listdir(tmp), f"{path}: left {os.listdir(tmp)}")


if __name__ == "__main__":
    main(test)
