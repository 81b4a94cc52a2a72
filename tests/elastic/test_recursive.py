#!/usr/bin/python3
"""elastic.recursive: a recursive sweep (issue 16, acceptance 1) on the
elastic backend. The head (no local workers) runs the rounds; one worker
joins at the start, a second while round 1 runs (a late joiner), and both
follow the head from round to round until it ends the sweep. num_successes
50, num_samples 40, a model failing for x < 0.3: exit 0 for the head and
both workers, the WaterTAP groups hold the first 50 ok samples with the
design's values, /parsweep/evaluated every evaluated sample, each
evaluated exactly once (no worker lost)."""
import collections
import os
import time

from clitest import check, main, proc, step
import recursive_lib as rl


def start(args, tmp, cmdargs):
    return proc.start([args.parsweep] + cmdargs, tmp)


def wait_for(pred, what, proc, timeout=30, worker=None):
    t0 = time.monotonic()
    while not pred():
        if proc.poll() is not None:
            check(False, f"{what}: the head ended first: {proc.communicate()[1].decode()[-2000:]}")
        if worker is not None and worker.poll() is not None:
            check(False, f"{what}: the worker ended first (exit {worker.returncode}): "
                  f"{worker.communicate()[1].decode()[-2000:]}")
        check(time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s")
        time.sleep(0.02)


def test(args, tmp):
    # 20 ms a sample: round 1 lasts long enough for a worker to join it.
    spec, log = rl.spec(tmp, sleep=0.02)
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    with step("head, a worker, and a second one joining during round 1"):
        head = start(args, tmp, ["run", spec, "-b", "elastic", "-o", out])
        wait_for(lambda: os.path.exists(ep), "the endpoint file", head)
        w1 = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
        wait_for(lambda: len(rl.evals(log)) >= 5, "5 evaluations", head, worker=w1)
        w2 = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
        _, herr = head.communicate(timeout=120)
        herr = herr.decode(errors="replace")
        check(head.returncode == 0, f"head exit {head.returncode}: {herr[-3000:]}")
        for name, w in (("w1", w1), ("w2", w2)):
            _, e = w.communicate(timeout=60)
            check(w.returncode == 0, f"{name} exit {w.returncode}: {e.decode()[-2000:]}")
        check("50 of 50 ok after" in herr, "no summary 'M of N ok': " + herr[-2000:])
    with step("the file: the first 50 ok samples, every evaluated one once"):
        e = rl.check_file(out, 40, 50, 400, "elastic")
        n = collections.Counter(rl.evals(log))
        check(sorted(n) == list(range(e)) and max(n.values()) == 1,
              f"each of 0..{e - 1} not evaluated exactly once: {sorted(n.items())[:5]}")


if __name__ == "__main__":
    main(test)
