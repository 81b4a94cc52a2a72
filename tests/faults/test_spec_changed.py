#!/usr/bin/python3
"""Fault matrix row 10: a changed spec or model on --resume is refused.

An interrupted sweep (drained: results.h5 with some samples) and a killed
one (journals only) are resumed with a spec that differs in a parameter's
bound, in the model command, in the model's env, and with a rebuilt plugin
(different bytes): each is refused with exit 1 and one line saying that
the spec or the model changed, nothing is evaluated and no file changes.
Changes that do not alter what is computed (the timeout, retries, the
number of workers) are accepted.
"""
import os
import shutil
import signal

from clitest import build_spec, check, describe, main, run, step, write
from faultlib import evals, kill_session, sh_spec, start, wait_for

N = 60


def snapshot(tmp):
    return {x: open(os.path.join(tmp, x), "rb").read() for x in sorted(os.listdir(tmp))
            if x.startswith(".r.h5") or x == "r.h5"}


def refused(args, tmp, spec, out, what):
    before, n = snapshot(tmp), len(evals(os.path.join(tmp, "evals")))
    p, _ = run(args, ["run", spec, "-o", out, "-q", "--resume"], tmp)
    check(p.returncode == 1, f"{what}: expected exit 1: " + describe(p))
    line = p.stderr.strip()
    check(len(line.splitlines()) == 1 and "cannot resume" in line and "r.h5" in line,
          f"{what}: expected one line 'cannot resume' naming r.h5: {line}")
    check(len(evals(os.path.join(tmp, "evals"))) == n, f"{what}: something was evaluated")
    check(snapshot(tmp) == before, f"{what}: files changed")


def test(args, tmp):
    out = os.path.join(tmp, "r.h5")
    spec, log = sh_spec(tmp, N, sleep=0.05)
    text = open(spec).read()
    variants = {
        "a bound": text.replace("upper_limit: 1,", "upper_limit: 2,"),
        "the command": text.replace("sleep 0.05", "sleep 0.06"),
        "the env": text + "  env: {MODEL_MODE: fast}\n",
    }
    with step("a drained run: results.h5 with some samples"):
        p = start(args, tmp, ["run", spec, "-o", out, "-j", "2", "-q"])
        wait_for(lambda: len(evals(log)) >= 10, "10 evaluations", proc=p)
        os.kill(p.pid, signal.SIGUSR1)
        p.communicate(timeout=30)
        check(p.returncode == 4, f"drain: exit {p.returncode}")
    for what, t in variants.items():
        with step(f"resume with {what} changed: refused"):
            refused(args, tmp, write(os.path.join(tmp, "changed.yaml"), t), out, what)
    with step("timeout, retries and workers changed: accepted"):
        t = text.replace("  command:", "  timeout: 30\n  retries: 2\n  command:")
        p, _ = run(args, ["run", write(os.path.join(tmp, "ok.yaml"), t), "-o", out, "-q",
                          "--resume", "-j", "3"], tmp)
        check(p.returncode == 0, "resume with run options changed: " + describe(p))

    with step("a killed run (journals only), then a changed command: refused"):
        os.remove(out)
        p = start(args, tmp, ["run", spec, "-o", out, "-j", "2", "-q"])
        wait_for(lambda: len(evals(log)) >= N + 10, "10 more evaluations", proc=p)
        kill_session(p)
        check(not os.path.exists(out), "r.h5 after a killed first run")
        refused(args, tmp, write(os.path.join(tmp, "changed.yaml"), variants["the command"]),
                out, "journals, the command")

    with step("a rebuilt plugin (other bytes, same path): refused"):
        for x in os.listdir(tmp):
            if x.startswith(".r.h5"):
                os.remove(os.path.join(tmp, x))
        plugin = shutil.copy(args.plugin, os.path.join(tmp, "model.so"))
        pspec = write(os.path.join(tmp, "p.yaml"), build_spec(
            "p", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {N}}}")],
            ["y"], plugin=plugin))
        p, _ = run(args, ["run", pspec, "-o", out, "-q"], tmp)
        check(p.returncode == 0, "plugin run: " + describe(p))
        with open(plugin, "ab") as f:
            f.write(b"\0rebuilt")
        refused(args, tmp, pspec, out, "a rebuilt plugin")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
