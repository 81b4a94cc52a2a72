"""elastic.nofile: a head whose descriptor limit is low (hard limit 200,
set with resource.setrlimit before exec) says so at its start, with the
number of workers it allows ("about 84 workers (2 connections each); raise
the hard limit (ulimit -Hn)"), and still completes a sweep with 20 worker
processes: every sample once and ok, the head and the workers exit 0
(issue 19)."""
import os
import resource
import subprocess
import sys
import time

import numpy as np

from clitest import build_spec, check, main, read_results, write


def low_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))


def test(args, tmp):
    if not args.plugin:
        sys.exit(77)
    na = 2000
    spec = write(os.path.join(tmp, "s.yaml"), build_spec(
        "s", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {na}}}")],
        ["out1", "out2"], plugin=args.plugin))
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    with open(os.path.join(tmp, "head.log"), "wb") as log:
        head = subprocess.Popen([args.parsweep, "run", spec, "-b", "elastic", "-o", out, "-q"],
                                cwd=tmp, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, preexec_fn=low_limit)
    t0 = time.monotonic()
    while not os.path.exists(ep):
        check(time.monotonic() - t0 < 30 and head.poll() is None, "no endpoint")
        time.sleep(0.01)
    w = subprocess.run([args.parsweep, "worker", "--connect", ep, "-j", "20", "--wait", "30"],
                       cwd=tmp, capture_output=True, text=True, timeout=90)
    head.wait(timeout=60)
    herr = open(os.path.join(tmp, "head.log")).read()
    check(head.returncode == 0, f"head exit {head.returncode}: {herr}")
    check(w.returncode == 0, f"workers exit {w.returncode}: {w.stderr[-2000:]}")
    check("RLIMIT_NOFILE, hard limit 200): about 84 workers (2 connections each); "
          "raise the hard limit (ulimit -Hn)" in herr, f"no descriptor line: {herr}")
    r = read_results(out)
    a = np.sort(r["params"]["a"])
    check(len(a) == na and np.allclose(a, np.linspace(0, 1, na)) and bool(np.all(r["ok"])),
          "the samples are not there once, ok")
    print("ok: the limit said, the sweep complete", flush=True)


if __name__ == "__main__":
    main(test)
