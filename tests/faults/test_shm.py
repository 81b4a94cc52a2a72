#!/usr/bin/python3
"""Fault matrix row 12: concurrent runs share nothing in /dev/shm, and
nothing of ours is left there or in $TMPDIR.

Two sweeps run at once on one node (fork backend, 3 workers each, outputs
in one directory). While they run, no process of either maps anything
from /dev/shm (the fork backend's segment is anonymous shared memory,
private to each run). Before them, /dev/shm holds a name of ours as a run
killed inside hybrid's create-attach window leaves it
("psw-UID-JOB-PID-RANDOM" with a dead PID), and one of a live process: the
first is removed, the second kept. Afterwards both results are correct and
complete, and $TMPDIR (an empty directory given to the runs) and the
output directory hold nothing of ours.
"""
import os
import subprocess

from clitest import check, describe, main, step
from faultlib import check_complete, evals, leftovers, session_pids, sh_spec, start, wait_for

N = 80


def shm_maps(pids):
    found = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps") as f:
                found += [f"{pid}: {ln.strip()}" for ln in f if "/dev/shm/" in ln]
        except OSError:
            pass
    return found


def test(args, tmp):
    uid = os.getuid()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"/dev/shm/psw-{uid}-0-{dead.pid}-00000000deadbeef"
    live = f"/dev/shm/psw-{uid}-0-{os.getpid()}-000000000000cafe"
    for p in (stale, live):
        with open(p, "w"):
            pass
    tmpdir = os.path.join(tmp, "tmpdir")
    os.mkdir(tmpdir)
    try:
        runs = []
        with step("two runs at once: no /dev/shm mapping in any of their processes"):
            for k in range(2):
                d = os.path.join(tmp, f"run{k}")
                os.mkdir(d)
                spec, log = sh_spec(d, N, sleep=0.05)
                out = os.path.join(tmp, f"r{k}.h5")
                p = start(args, d, ["run", spec, "-o", out, "-b", "fork", "-j", "3", "-q"],
                          env={"TMPDIR": tmpdir})
                runs.append((p, out, log))
            for p, _, log in runs:
                wait_for(lambda: len(evals(log)) >= 10, "10 evaluations", proc=p)
            pids = [x for p, _, _ in runs for x in session_pids(p.pid)]
            check(len(pids) >= 8, f"expected both runs' processes: {pids}")
            maps = shm_maps(pids)
            check(not maps, "mappings from /dev/shm: " + "; ".join(maps[:5]))
            for p, out, _ in runs:
                o, e = p.communicate(timeout=120)
                p.stdout, p.stderr = o.decode(), e.decode()
                check(p.returncode == 0, f"{out}: " + describe(p))
        with step("both complete; nothing left in TMPDIR, beside the outputs, in /dev/shm"):
            for _, out, _ in runs:
                check_complete(out, N, out)
                check(leftovers(tmp, os.path.basename(out)) == [], f"left beside {out}")
            check(os.listdir(tmpdir) == [], f"left in TMPDIR: {os.listdir(tmpdir)}")
            check(not os.path.exists(stale), f"{stale} (a dead process's) not removed")
            check(os.path.exists(live), f"{live} (a live process's) removed")
            ours = [x for x in os.listdir("/dev/shm") if x.startswith(f"psw-{uid}-")
                    and x != os.path.basename(live)]
            check(not ours, f"left in /dev/shm: {ours}")
    finally:
        for p in (stale, live):
            if os.path.exists(p):
                os.remove(p)


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
