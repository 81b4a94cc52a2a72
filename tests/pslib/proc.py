"""Starting, timing out and reaping processes: the one copy the test
harnesses share (tests/cli/clitest.py, tests/faults/faultlib.py,
tests/mpi/mpitest.py, tests/server/srvtest.py; standard library only).

A run that a test may have to kill as a whole (parsweep with its workers
and models, mpirun with its ranks) starts in a session of its own
(start()); the session's processes are then found by their session id in
/proc, also those that left the process group (the models are in groups
of their own) or were re-parented after their parent died.
"""
import os
import signal
import subprocess
import time


def environ(extra=None):
    """os.environ without PARSWEEP_LOG (a developer's setting would change
    what the tests read on stderr), then `extra`."""
    e = dict(os.environ)
    e.pop("PARSWEEP_LOG", None)
    if extra:
        e.update(extra)
    return e


def run(cmd, cwd, timeout=120, env=None):
    """Run cmd to its end (stdin closed, output captured and decoded);
    returns (CompletedProcess, wall seconds). Past `timeout`:
    subprocess.TimeoutExpired, the process killed."""
    t0 = time.monotonic()
    p = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=environ(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
    )
    wall = time.monotonic() - t0
    p.stdout = p.stdout.decode(errors="replace")
    p.stderr = p.stderr.decode(errors="replace")
    return p, wall


def start(cmd, cwd, env=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
          session=True, text=False):
    """Start cmd, stdin closed, by default in a session of its own (so that
    a test can kill the whole run, as a batch system does) with its output
    captured (bytes; text=True: str). stdout/stderr: a file instead, where
    nobody would read a pipe while the test waits (it can be closed once
    start returns). p.t0: its start."""
    p = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=environ(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=session,
        text=text,
    )
    p.t0 = time.monotonic()
    return p


def finish(p, timeout=120):
    """Wait for a started process; returns (CompletedProcess, wall seconds
    since its start). Past `timeout` its session is ended (terminate())
    and subprocess.TimeoutExpired raised, with what it printed."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        terminate(p)
        out, err = p.communicate()
        raise subprocess.TimeoutExpired(p.args, timeout, out, err) from None
    wall = time.monotonic() - p.t0
    r = subprocess.CompletedProcess(p.args, p.returncode)
    r.stdout = out.decode(errors="replace")
    r.stderr = err.decode(errors="replace")
    return r, wall


def _kill_pids(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def terminate(p, grace=5):
    """End a started process gently: SIGTERM to it (mpirun aborts its job,
    parsweep stops), up to `grace` s; then SIGKILL to whatever of its
    session is left, by pid."""
    try:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=grace)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    _kill_pids(session_pids(p.pid))
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass


def kill_session(p):
    """SIGKILL every process of p's session (parsweep, workers, models) at
    once, as a node failure would; p reaped."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.communicate(timeout=30)
    # The models are in process groups of their own, in the same session.
    _kill_pids(session_pids(p.pid))


def _stat(pid):
    """/proc/PID/stat after the command name: [state, ppid, pgrp, session,
    ...], or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _all_stats():
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(d)
            if st is not None:
                yield int(d), st


def session_pids(sid):
    """Every process of session `sid` (a run, its workers, their children)."""
    return [pid for pid, st in _all_stats() if int(st[3]) == sid]


def children(pid):
    """The processes whose parent is pid (zombies too: not reaped yet)."""
    return [c for c, st in _all_stats() if int(st[1]) == pid]


def descendants(pid):
    """pid and every process below it, like a job step's."""
    kids = {}
    for c, st in _all_stats():
        kids.setdefault(int(st[1]), []).append(c)
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def alive(pid):
    """pid exists and is not a zombie."""
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def living(pids):
    """Those of pids that are alive."""
    return [p for p in pids if alive(p)]


def wait_gone(pids, within=5.0):
    """Wait up to `within` s for pids to end; returns those still alive."""
    t0 = time.monotonic()
    while living(pids) and time.monotonic() - t0 < within:
        time.sleep(0.05)
    return living(pids)
