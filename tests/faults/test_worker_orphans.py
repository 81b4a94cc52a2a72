#!/usr/bin/python3
"""Issue 18, item 6: SIGKILL of one fork worker while every worker runs a
long sample orphans no model (docs/reliability.md, "Hostile input, signals
and tampered files").

A model runs in a process group of its own, out of reach of its worker's
death. After `kill -9` of one worker (not the root's) during 60 s samples:
`parsweep run` exits 1 within seconds (not after the survivors' grace),
naming the dead worker; no model process of any worker is left (each model
writes its pid and the pid of a background child it waits for, so the
whole group is checked, not only its leader); no temporary file or lock is
left beside the output, only what --resume needs; one --resume then
completes the sweep with every sample evaluated exactly once. The same
with plugin hosts (isolate: true) in 60 s samples: no host is left. And
when the root worker itself is killed, its temporary results file and the
lock file are removed too (by the supervising parent).
"""
import os
import signal
import time

from clitest import check, describe, main, step, write
from faultlib import descendants, leftovers, sh_spec, start, wait_for
from test_signals import N, finish, host_pids, hosts_running, pids, resume_completes



def workers(pid):
    """The fork workers, oldest (the root's) first."""
    exe = os.readlink(f"/proc/{pid}/exe")
    out = []
    for c in descendants(pid)[1:]:
        try:
            if os.readlink(f"/proc/{c}/exe") == exe and b"__plugin-host" not in open(
                    f"/proc/{c}/cmdline", "rb").read():
                out.append(c)
        except OSError:
            pass
    return sorted(out)


def killed(args, d, p, victim, things):
    """SIGKILL victim; parsweep must exit 1 at once leaving none of things."""
    t0 = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    left = finish(p, things)
    took = time.monotonic() - t0
    check(p.returncode == 1, "expected exit 1: " + describe(p))
    check(took < 5, f"exit {took:.1f} s after the kill")
    check("killed by signal 9" in p.stderr, "no word of the dead worker: " + p.stderr)
    check(not left, f"processes left: {left}")
    bad = [x for x in leftovers(d, "r.h5") if ".journal." not in x]
    check(not bad, f"left beside r.h5: {bad}")
    return took


def command_case(args, tmp, name, pick):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    slow, pidf, log = (os.path.join(d, x) for x in ("slow", "pids", "evals"))
    script = (f'echo "sh $$" >> {pidf}; '
              f'if [ -e {slow} ]; then sleep 60 & echo "bg $!" >> {pidf}; wait; fi; '
              f'echo "$1" >> {log}; echo "y=$2"')
    spec, _ = sh_spec(d, N, script=script)
    out = os.path.join(d, "r.h5")
    write(slow, "")
    with step(f"{name}: exit 1 at once, no model of any worker left, no temporary"):
        p = start(args, d, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"])
        wait_for(lambda: len(pids(pidf, "bg")) >= 2, "both workers in a 60 s sample", proc=p)
        ws = workers(p.pid)
        check(len(ws) == 2, f"expected 2 fork workers under {p.pid}: {ws}")
        models = pids(pidf)
        took = killed(args, d, p, pick(ws), models)
        print(f"   exit 1 in {took:.2f} s; {len(models)} model processes gone")
    resume_completes(args, d, name, spec, log, slow)


def test(args, tmp):
    command_case(args, tmp, "other_worker", lambda ws: ws[-1])
    command_case(args, tmp, "root_worker", lambda ws: ws[0])

    with step("plugin hosts in 60 s samples: no host of any worker left"):
        d, spec, p, hosts = hosts_running(args, tmp)
        killed(args, d, p, workers(p.pid)[-1], hosts)
        check(not host_pids(spec), f"plugin hosts left: {host_pids(spec)}")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
