#!/usr/bin/python3
"""Fault matrix row 13: arguments reach the model byte-exact, never
through a shell.

The command's arguments hold `$(touch CANARY)`, a backquote command, a
single and a double quote, spaces, a glob, a semicolon, a leading dash, a
backslash, non-ASCII UTF-8 and an empty string, next to placeholders. The
model (python3) writes what it received, hex-encoded; the test compares
bytes, and checks that no CANARY file appeared anywhere it could be
created.
"""
import os

from clitest import build_spec, check, describe, main, read_results, run, step, write

ARGS = ["$(touch CANARY)", "`touch CANARY2`", "it's", 'say "hi"', "a b  c", "*", "x;touch CANARY3",
        "-n", "--help", "back\\slash", "ünï", "", "{a}", "pre-{index}-post"]

MODEL = r"""
import sys
out = sys.argv[1]
with open(out + "." + sys.argv[-1], "w") as f:
    f.write("\n".join(a.encode("utf-8", "surrogateescape").hex() for a in sys.argv[2:]))
print("y=1")
"""


def test(args, tmp):
    model = write(os.path.join(tmp, "model.py"), MODEL)
    dump = os.path.join(tmp, "argv")
    spec = write(os.path.join(tmp, "s.yaml"), build_spec(
        "argv",
        [("a", "{type: LinearSample, lower_limit: 0.5, upper_limit: 1.5, num_samples: 3}")],
        ["y"], command=["/usr/bin/python3", model, dump] + ARGS + ["{index}"]))
    with step("every argument byte-exact, no shell"):
        p, _ = run(args, ["run", spec, "-o", os.path.join(tmp, "r.h5"), "-q"], tmp)
        check(p.returncode == 0, describe(p))
        check((read_results(os.path.join(tmp, "r.h5"))["status"] == 1).all(), "not all ok")
        for i, a in enumerate([0.5, 1.0, 1.5]):
            got = [bytes.fromhex(h) for h in open(f"{dump}.{i}").read().split("\n")]
            want = [x.replace("{a}", format(a, ".17g")).replace("{index}", str(i)).encode() for x in ARGS]
            want.append(str(i).encode())
            check(got == want, f"sample {i}: got {got}, expected {want}")
    with step("no CANARY created"):
        for d in (tmp, os.getcwd(), "/"):
            for c in ("CANARY", "CANARY2", "CANARY3"):
                check(not os.path.exists(os.path.join(d, c)), f"{d}/{c} exists")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
