#!/usr/bin/python3
"""Acceptance 4: every malformed spec of tests/specs/bad (at least 25) is
refused before anything runs or any output is touched.

Each file starts with `# expect: <line>: <key path>`. `parsweep run FILE`,
run in a directory that already holds a results.h5 (arbitrary bytes) and,
when the spec names an `output:`, that file too, must exit 1 with exactly
one line on stderr containing "FILE:<line>: <key path>", print nothing on
stdout, and leave the directory byte-identical (no new file either).
tests/cli/specs/*.yaml add cases that set `output:` before their error.
"""
import glob
import os
import re

from clitest import check, describe, main, run

EXPECT = re.compile(rb"^# expect: (\d+): (.+?)\s*$")
HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = re.compile(rb"^output:[ \t]*([^#\s][^#\r\n]*?)[ \t]*(#.*)?$", re.M)


def snapshot(d):
    out = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


def test(args, tmp):
    files = sorted(glob.glob(os.path.join(args.repo, "tests", "specs", "bad", "*.yaml")))
    check(len(files) >= 25, f"only {len(files)} malformed specs in tests/specs/bad")
    # and ours, which name their own output (that file must stay untouched)
    files += sorted(glob.glob(os.path.join(HERE, "specs", "*.yaml")))
    named_output = 0
    failures = []
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            text = f.read()
        m = EXPECT.match(text.split(b"\n", 1)[0])
        check(m, f"{path}: first line is not '# expect: <line>: <key path>'")
        want = f"{path}:{int(m.group(1))}: {m.group(2).decode()}"
        d = os.path.join(tmp, f"case{i}")
        os.mkdir(d)
        with open(os.path.join(d, "results.h5"), "wb") as f:
            f.write(b"not an HDF5 file: an earlier result " + os.urandom(64))
        om = OUTPUT.search(text)
        if om:
            out = om.group(1).decode().strip("\"'")
            if out and "/" not in out:
                named_output += 1
                with open(os.path.join(d, out), "wb") as f:
                    f.write(b"the output named by the spec " + os.urandom(64))
        before = snapshot(d)
        p, _ = run(args, ["run", path], cwd=d, timeout=30)
        lines = p.stderr.splitlines()
        problems = []
        if p.returncode != 1:
            problems.append(f"exit {p.returncode}, expected 1")
        if len(lines) != 1 or not p.stderr.endswith("\n"):
            problems.append(f"{len(lines)} lines on stderr, expected one")
        if want not in p.stderr:
            problems.append(f"stderr lacks {want!r}")
        if p.stdout:
            problems.append("output on stdout")
        if snapshot(d) != before:
            problems.append(
                "the directory changed: "
                + ", ".join(sorted(set(os.listdir(d)) ^ set(before)) or ["a file's bytes"])
            )
        name = os.path.basename(path)
        if problems:
            failures.append(f"{name}: {'; '.join(problems)}\n    {describe(p)}")
            print(f"   FAIL {name}: {'; '.join(problems)}")
        else:
            print(f"   ok   {name}: {lines[0]}")
    check(named_output >= 3, f"only {named_output} specs name an output")
    check(not failures, f"{len(failures)} of {len(files)} malformed specs:\n" + "\n".join(failures))
    print(f"   all {len(files)} malformed specs refused with file, line and key")


if __name__ == "__main__":
    main(test)
