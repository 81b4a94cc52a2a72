#!/usr/bin/python3
"""Fault matrix row 4: SIGKILL of a fork worker mid-sample.

A sweep on the fork backend (4 workers, a /bin/sh model). Once samples are
being recorded, one worker process (not the root's) is SIGKILLed while its
model runs. The survivors notice (the region fails with "a worker of the
region died") and the run exits 1 within seconds, leaving no process
behind; nothing recorded is lost: one --resume evaluates only what the
journal does not hold, and the file then has every sample once, ok, with
the fault-free values.
"""
import os
import signal
import time

from clitest import check, describe, main, run, step
from faultlib import (check_complete, descendants, evals, journal_indices, leftovers, sh_spec,
                      start, wait_for)

N = 200


def parsweeps(pid):
    """pid's descendants that are parsweep too."""
    exe = os.readlink(f"/proc/{pid}/exe")
    out = set()
    for c in descendants(pid)[1:]:
        try:
            if os.readlink(f"/proc/{c}/exe") == exe:
                out.add(c)
        except OSError:
            pass
    return out


def workers(pid):
    """The fork workers: parsweep's descendants that stay parsweep.

    A model's process is parsweep too between its fork and its exec (long
    under TSan, whose vfork is a fork): killing one of those fails a sample
    (exit 3), not a worker. Models here live 0.1 s, so a process seen in two
    looks 0.5 s apart is a worker.
    """
    first = parsweeps(pid)
    time.sleep(0.5)
    return sorted(first & parsweeps(pid))


def test(args, tmp):
    spec, log = sh_spec(tmp, N, sleep=0.1)
    out = os.path.join(tmp, "r.h5")
    with step("SIGKILL of one fork worker: exit 1 within seconds, no process left"):
        p = start(args, tmp, ["run", spec, "-o", out, "-b", "fork", "-j", "4", "-q"])
        wait_for(lambda: len(evals(log)) >= 30, "30 evaluations", proc=p)
        ws = workers(p.pid)
        check(len(ws) >= 3, f"expected fork workers under {p.pid}: {ws}")
        victim = max(ws)  # the root worker is the first one forked
        os.kill(victim, signal.SIGKILL)
        t0 = time.monotonic()
        o, e = p.communicate(timeout=60)
        took = time.monotonic() - t0
        p.stdout, p.stderr = o.decode(), e.decode()
        check(p.returncode == 1, "expected exit 1: " + describe(p))
        check(took < 15, f"the run took {took:.1f} s to notice the dead worker")
        check("died" in p.stderr, "no word of the dead worker: " + p.stderr)
        time.sleep(1.5)  # models finishing their last sleep
        alive = [x for x in ws if os.path.exists(f"/proc/{x}") and
                 open(f"/proc/{x}/stat").read().split()[2] != "Z"]
        check(not alive, f"workers still alive: {alive}")
        print(f"   noticed in {took:.2f} s; {len(evals(log))} evaluations so far")
    with step("one --resume: journaled samples kept, every sample once and ok"):
        recorded = set(journal_indices(out))
        check(len(recorded) >= 10, f"only {len(recorded)} samples journaled")
        n = len(evals(log))
        q, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "4", "-q", "--resume"], tmp)
        check(q.returncode == 0, "resume: " + describe(q))
        again = set(evals(log)[n:]) & recorded
        check(not again, f"journaled samples evaluated again: {sorted(again)[:10]}")
        check_complete(out, N, "after resume")
        check(leftovers(tmp, "r.h5") == [], f"left beside r.h5: {leftovers(tmp, 'r.h5')}")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
