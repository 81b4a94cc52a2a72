"""parsweep.parallel under `mpirun -n 3` (libparsweep's mpi backend, no
mpi4py): parallel_mpi_main.py checks every method on every rank; a failing
do_execute on one rank makes gather() raise on all ranks, within seconds."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from parsweep.parallel import _lib

HERE = os.path.dirname(os.path.abspath(__file__))
MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(
    MPIRUN is None or _lib.lib().psw_backend_lookup(b"mpi") is None,
    reason="no mpirun, or libparsweep built without MPI")


def mpirun(n, *args, timeout=60):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
    cmd = [MPIRUN, "-n", str(n), "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return subprocess.run(cmd + [sys.executable, os.path.join(HERE, "parallel_mpi_main.py"), *args],
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_every_method_on_three_ranks():
    p = mpirun(3)
    assert p.returncode == 0, p.stdout + p.stderr
    found = sorted(re.findall(r"rank (\d) ok of 3 ran (\d+)\b", p.stdout))
    assert [r for r, _ in found] == ["0", "1", "2"], p.stdout
    # the 30 parameters were shared out among the ranks
    assert sum(int(k) for _, k in found) == 30


def test_do_execute_raises_on_one_rank():
    p = mpirun(3, "raise")
    # mpirun may interleave the ranks' lines: match, don't split
    assert sorted(re.findall(r"rank (\d) raised", p.stdout)) == ["0", "1", "2"], p.stdout + p.stderr
    assert len(re.findall(r"raised ValueError: parameter 3 is bad", p.stdout)) == 1, p.stdout
    assert len(re.findall(r"raised another worker raised", p.stdout)) == 2, p.stdout


def test_a_rank_dies():
    """mpirun ends the whole job when a rank exits: no hang, a failing status."""
    p = mpirun(3, "exit")
    assert p.returncode != 0
    assert not any("did not raise" in line for line in p.stdout.splitlines())


def test_hybrid_conformance():
    """2 ranks x 2 fork workers: the collectives span both levels."""
    p = mpirun(2, "hybrid")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "hybrid ok of 4 workers 4" in p.stdout, p.stdout
