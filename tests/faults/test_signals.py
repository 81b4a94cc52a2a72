#!/usr/bin/python3
"""Issue 18, item 4: SIGPIPE, SIGHUP and SIGALRM do not kill `parsweep run`
outright (docs/reliability.md, "Hostile input, signals and tampered files").

1. SIGPIPE: `parsweep run ... 2>&1 | head -1` (the reader goes away after
   one line) completes: exit 0, a complete results.h5 with the fault-free
   values, nothing left beside it.
2. SIGHUP to the run's process group (what a terminal's hang-up reaches:
   parsweep and its fork workers; the models are in groups of their own)
   while long command models run: a stop like SIGTERM. Exit 4 within
   seconds, no model process left (each writes its pid and the pid of its
   background child), no temporary, lock or journal left, the finished
   samples recorded and the cancelled ones not run; one --resume completes
   the sweep with every sample evaluated exactly once.
3. SIGALRM to parsweep alone: the same.
4. SIGHUP with plugin hosts (isolate: true) in 60 s samples: exit 4, no
   host left.
"""
import os
import signal
import subprocess
import time

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, step, write
from faultlib import alive, check_complete, evals, leftovers, sh_spec, start, wait_for

N = 8
FAST = 2  # samples 0 and 1 finish at once; the others wait while `slow` exists


def pids(path, kind=None):
    """The pids the models wrote ("sh PID" and "bg PID" lines)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = [x.split() for x in f]
    return [int(r[1]) for r in rows if len(r) == 2 and kind in (None, r[0])]


def finish(p, things):
    """Wait for parsweep (bounded); returns which of the pids `things` are
    still alive a moment later, after killing them (they would hold its
    stderr open). Fills p.stdout and p.stderr."""
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
    time.sleep(0.2)
    left = [x for x in things if alive(x)]
    for x in left:
        try:
            os.kill(x, signal.SIGKILL)
        except ProcessLookupError:
            pass
    o, e = p.communicate(timeout=30)
    p.stdout, p.stderr = o.decode(errors="replace"), e.decode(errors="replace")
    return left


def slow_spec(tmp):
    """A command model that, while tmp/slow exists, sleeps 60 s (in a
    background child it waits for) on samples >= FAST."""
    slow, pidf = os.path.join(tmp, "slow"), os.path.join(tmp, "pids")
    log = os.path.join(tmp, "evals")
    script = (f'echo "sh $$" >> {pidf}; '
              f'if [ -e {slow} ] && [ "$1" -ge {FAST} ]; then '
              f'sleep 60 & echo "bg $!" >> {pidf}; wait; fi; '
              f'echo "$1" >> {log}; echo "y=$2"')
    spec, _ = sh_spec(tmp, N, script=script)
    return spec, log, slow, pidf


def stop_case(args, tmp, name, send):
    """Start a fork run with 2 workers, signal it once both run a slow
    sample, and check the stop, then the resume."""
    d = os.path.join(tmp, name)
    os.mkdir(d)
    spec, log, slow, pidf = slow_spec(d)
    out = os.path.join(d, "r.h5")
    write(slow, "")
    with step(f"{name}: exit 4 within seconds, models cancelled, nothing left"):
        p = start(args, d, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"])
        wait_for(lambda: len(evals(log)) >= FAST and len(pids(pidf, "bg")) >= 2,
                 "two slow models running", proc=p)
        models = pids(pidf)
        t0 = time.monotonic()
        send(p)
        left = finish(p, models)
        took = time.monotonic() - t0
        check(p.returncode == 4, "expected exit 4: " + describe(p))
        check(took < 5, f"exit {took:.1f} s after the signal")
        check(not left, f"model processes left: {left}")
        check(leftovers(d, "r.h5") == [], f"left beside r.h5: {leftovers(d, 'r.h5')}")
        r = read_results(out)
        done = evals(log)
        ok = np.flatnonzero(r["status"] == 1).tolist()
        check(sorted(done) == ok, f"finished {sorted(done)}, recorded ok {ok}")
        check(set(np.unique(r["status"]).tolist()) <= {0, 1},
              f"cancelled samples recorded as failed: {r['status'].tolist()}")
        print(f"   exit 4 in {took:.2f} s; {len(ok)} recorded, {len(models)} model processes gone")
    resume_completes(args, d, name, spec, log, slow)


def resume_completes(args, d, name, spec, log, slow):
    """The models fast again: one --resume completes d/r.h5, and every
    sample was evaluated exactly once in all."""
    out = os.path.join(d, "r.h5")
    with step(f"{name}: one --resume completes it, every sample evaluated once"):
        os.unlink(slow)
        q, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q", "--resume"], d)
        check(q.returncode == 0, "resume: " + describe(q))
        check_complete(out, N, "after resume")
        check(sorted(evals(log)) == list(range(N)), f"evaluations: {sorted(evals(log))}")
        check(leftovers(d, "r.h5") == [], f"left beside r.h5: {leftovers(d, 'r.h5')}")


def host_pids(spec):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"__plugin-host" in argv and spec.encode() in argv and alive(int(d)):
            out.append(int(d))
    return out


def hosts_running(args, tmp):
    """A fork run with 2 workers whose plugin hosts (isolate: true) are both
    in a 60 s sample (nanosleep: no CPU burnt); returns (its directory, the
    spec, the process, the hosts' pids)."""
    d = os.path.join(tmp, "hosts")
    os.mkdir(d)
    spec = write(os.path.join(d, "p.yaml"), build_spec(
        "hosts", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {N}}}")],
        ["y"], plugin=args.plugin))
    p = start(args, d, ["run", spec, "-o", os.path.join(d, "r.h5"), "-b", "fork", "-j", "2", "-q"],
              env={"PSW_FAULT_SLEEP": "60"})
    wait_for(lambda: len(host_pids(spec)) >= 2, "two hosts in a sample", proc=p)
    time.sleep(0.3)  # both inside their first sample
    return d, spec, p, host_pids(spec)


def test(args, tmp):
    with step("SIGPIPE: `run ... 2>&1 | head -1` completes, results.h5 complete"):
        d = os.path.join(tmp, "pipe")
        os.mkdir(d)
        spec, _ = sh_spec(d, 40, sleep=0.05)
        out = os.path.join(d, "r.h5")
        # The reader is `head -1`: gone after the first log line, while the
        # sweep has not started (PARSWEEP_LOG=info has more to say).
        e = dict(os.environ, PARSWEEP_LOG="info")
        p = subprocess.Popen(
            f'"{args.parsweep}" run "{spec}" -o "{out}" -b fork -j 2 --progress 2>&1 '
            '| head -1 >/dev/null; exit "${PIPESTATUS[0]}"',
            shell=True, executable="/bin/bash", cwd=d, env=e, start_new_session=True)
        rc = p.wait(timeout=60)
        check(rc == 0, f"expected exit 0 with the reader gone, got {rc}")
        check_complete(out, 40, "after | head -1")
        check(leftovers(d, "r.h5") == [], f"left beside r.h5: {leftovers(d, 'r.h5')}")

    stop_case(args, tmp, "sighup", lambda p: os.killpg(p.pid, signal.SIGHUP))
    stop_case(args, tmp, "sigalrm", lambda p: os.kill(p.pid, signal.SIGALRM))

    with step("SIGHUP with plugin hosts in 60 s samples: exit 4, no host left"):
        d, spec, p, hosts = hosts_running(args, tmp)
        out = os.path.join(d, "r.h5")
        os.killpg(p.pid, signal.SIGHUP)
        left = finish(p, hosts)
        check(p.returncode == 4, "expected exit 4: " + describe(p))
        check(not left and not host_pids(spec), f"plugin hosts left: {left}")
        check(leftovers(d, "r.h5") == [], f"left beside r.h5: {leftovers(d, 'r.h5')}")
        r = read_results(out)
        check(set(np.unique(r["status"]).tolist()) <= {0, 1}, f"status {r['status'].tolist()}")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
