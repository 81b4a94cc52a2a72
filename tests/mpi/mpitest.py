"""Helpers shared by the parsweep tests under an MPI launcher (tests/mpi).

Every test script is run by ctest as

    python3 test_X.py --parsweep PATH --model PATH [--repo DIR] -- MPIRUN...

where MPIRUN... is the launcher prefix (PSW_MPIRUN in CMake: mpirun
--allow-run-as-root --oversubscribe). The scripts reuse tests/cli/clitest.py
(checks, results reader, spec builder) and add what a launcher needs:

  * mpirun(): runs `MPIRUN -n K [--tag-output] [WRAPPER] parsweep ARGS` in a
    session of its own, so that a run past its timeout is cleaned up by the
    ids of the processes it started (mpirun, the ranks, their children),
  * a wrapper that records every rank's own exit status in a file and
    exits 0 (Open MPI aborts the other ranks as soon as one exits non-zero,
    so mpirun's own exit status tells only about the first one),
  * tagged stderr (--tag-output): which rank printed which line.

Each script works in its own temporary directory (kept when PSW_KEEP_TMP is
set), prints what it checks and exits 0 on success, 1 on the first failed
check (with the reason).
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))

from clitest import main as clitest_main  # noqa: E402
from clitest import proc  # noqa: E402  (tests/pslib/proc.py)
from clitest import (  # noqa: E402  (re-exported for the tests)
    CheckFailed,
    attr_str,
    build_spec,
    check,
    describe,
    read_results,
    same_array,
    step,
    write,
)

__all__ = [
    "CheckFailed", "attr_str", "build_spec", "check", "describe", "read_results",
    "same_array", "step", "write", "main", "mpirun", "start_mpirun", "finish",
    "rank_lines", "rank_exit_codes", "session_pids", "snapshot", "proc",
]


def parse_args(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        sys.exit("usage: test_X.py --parsweep PATH --model PATH [--repo DIR] -- MPIRUN...")
    cut = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("--parsweep", required=True, help="the parsweep CLI")
    ap.add_argument("--model", required=True, help="psw_cli_model")
    ap.add_argument("--repo", default=None, help="the source tree root")
    a = ap.parse_args(argv[:cut])
    a.mpirun = argv[cut + 1:]
    if not a.mpirun:
        sys.exit("test_X.py: no launcher after --")
    return a


def main(test):
    """Run test(args, tmpdir) as tests/cli does, with the launcher's arguments."""
    clitest_main(test, parse=parse_args, prefix="psw-mpi-")


# A rank's own exit status, whatever mpirun does with it: the wrapper runs
# the command, writes its status to $PSW_RC_DIR/rc.<rank> and exits 0.
WRAPPER = """#!/bin/sh
"$@"
rc=$?
echo $rc > "$PSW_RC_DIR/rc.${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-x}}"
exit 0
"""


# One copy of the process helpers for every harness (tests/pslib/proc.py).
session_pids = proc.session_pids


def _command(args, n, cmdargs, tag, rc_dir):
    cmd = list(args.mpirun)
    if tag:
        cmd.append("--tag-output")
    cmd += ["-n", str(n)]
    if rc_dir is not None:
        wrapper = os.path.join(rc_dir, "psw_rc_wrapper.sh")
        if not os.path.exists(wrapper):
            write(wrapper, WRAPPER)
            os.chmod(wrapper, 0o755)
        cmd.append(wrapper)
    return cmd + [args.parsweep] + list(cmdargs)


def start_mpirun(args, n, cmdargs, cwd, tag=False, rc_dir=None, env=None):
    """Start `MPIRUN -n n parsweep CMDARGS` in its own session (Popen)."""
    extra = dict(env or {})
    if rc_dir is not None:
        extra["PSW_RC_DIR"] = rc_dir
    return proc.start(_command(args, n, cmdargs, tag, rc_dir), cwd, extra)


def finish(p, timeout=120):
    """Wait for a started mpirun; returns (CompletedProcess-like, wall s).
    Past the timeout the whole session is ended (SIGTERM to mpirun, which
    aborts its job, then SIGKILL to what is left) and the check fails."""
    try:
        return proc.finish(p, timeout)
    except subprocess.TimeoutExpired as e:
        raise CheckFailed(
            f"{' '.join(p.args)}: still running after {timeout} s (killed)\n"
            f"--- stderr:\n{e.stderr.decode(errors='replace')[-3000:]}"
        ) from None


def mpirun(args, n, cmdargs, cwd, timeout=120, tag=False, rc_dir=None, env=None):
    """Run `MPIRUN -n n [--tag-output] [WRAPPER] parsweep CMDARGS` to its end."""
    return finish(start_mpirun(args, n, cmdargs, cwd, tag, rc_dir, env), timeout)


def rank_exit_codes(rc_dir, n):
    """{rank: exit status} written by the wrapper (missing ranks absent)."""
    out = {}
    for r in range(n):
        path = os.path.join(rc_dir, f"rc.{r}")
        if os.path.exists(path):
            with open(path) as f:
                out[r] = int(f.read().strip())
    return out


TAGGED = re.compile(r"^\[(\d+),(\d+)\]<(stdout|stderr)>:(.*)$")


def rank_lines(text):
    """Lines of --tag-output text: [(rank or None, stream or None, line)]."""
    out = []
    for ln in text.splitlines():
        m = TAGGED.match(ln)
        if m:
            out.append((int(m.group(2)), m.group(3), m.group(4)))
        else:
            out.append((None, None, ln))
    return out


def snapshot(d):
    """{name: (bytes, mtime_ns)} of every entry of directory d."""
    out = {}
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[name] = (f.read(), os.stat(path).st_mtime_ns)
        else:
            out[name] = (None, None)
    return out
