"""A Python server model (parsweep.serve) run by `parsweep run` (issue 12,
acceptance 1 and 2 with the Python helper itself): on serial, threads,
fork, mpi, hybrid and elastic the values read back equal the formula
computed here with numpy, and build() ran once per worker; one run with
samples that raise, return NaN, os._exit, SIGSEGV themselves and hang past
the timeout, amid noise on stdout and stderr, records each with the status
and exit_code of SPEC §3.1, calls reset() after each failure, builds once
more per death and never otherwise, and leaves no server running."""

import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

import parsweep

# tests/pslib: the process helpers the test harnesses share.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pslib import proc  # noqa: E402

PARSWEEP = os.environ["PSW_PARSWEEP"]
MPIRUN = shlex.split(os.environ.get("PSW_MPIRUN", ""))
PKG = os.environ["PYTHONPATH"].split(os.pathsep)[0]

MODEL = r'''
import os, signal, sys, time
sys.path.insert(0, {pkg!r})
import parsweep

LOG = {log!r}

def log(text):
    with open(LOG, "a") as f:
        f.write(text + "\n")

def build():
    log(f"build {{os.getpid()}} {{os.environ['PARSWEEP_WORKER']}}")
    return {{"pid": os.getpid()}}

def reset(m):
    log(f"reset {{os.getpid()}}")
    return m

def evaluate(m, p):
    print("\ny=999\nz = -1\n\n", flush=True)          # chatter with real output names
    print("y=999 on stderr\n", file=sys.stderr, flush=True)
    fault = int(p["fault"])
    log(f"eval {{os.getpid()}} {{p['a']!r}} {{p['b']!r}} {{fault}}")
    if fault == 1:
        raise RuntimeError("the solver did not converge")
    if fault == 2:
        return {{"y": float("nan"), "z": 0.0}}
    if fault == 3:
        os._exit(3)
    if fault == 4:
        os.kill(os.getpid(), signal.SIGSEGV)
    if fault == 5:
        time.sleep(60)
    return {{"y": p["a"] * p["b"] + 1.0, "z": p["a"] - p["b"]}}

parsweep.serve(evaluate, build=build, reset=reset)
'''

FAULTS = [0, 1, 0, 2, 0, 3, 0, 4, 0, 5]
#          ok, raise, NaN, os._exit(3), SIGSEGV, hang
EXPECT = {0: (1, 0), 1: (2, 0), 2: (2, 0), 3: (4, 3), 4: (4, -11), 5: (3, None)}


def write_spec(tmp, faults, backend, extra=""):
    log = tmp / "model.log"
    model = tmp / "model.py"
    model.write_text(MODEL.format(pkg=PKG, log=str(log)))
    spec = tmp / "s.yaml"
    spec.write_text(f"""\
seed: 3
parallel_back_end: {backend}
output: {tmp / 'r.h5'}
parameters:
  a: {{type: LinearSample, lower_limit: 0.1, upper_limit: 2.9, num_samples: 4}}
  b: {{type: PredeterminedFixedSample, array: [-1.5, 0.25, 3.0]}}
  fault: {{type: PredeterminedFixedSample, array: {faults}}}
outputs: [y, z]
model:
  server: [{sys.executable}, {model}]
  init_timeout: 60
{extra}""")
    return spec, log


def log_lines(log, kind):
    if not log.exists():
        return []
    return [ln.split() for ln in log.read_text().splitlines() if ln.startswith(kind + " ")]


def expected_grid(faults):
    a, b, f = np.meshgrid(np.linspace(0.1, 2.9, 4), [-1.5, 0.25, 3.0], faults, indexing="ij")
    return a.ravel(), b.ravel(), f.ravel()


def alive(pids, within=5.0):
    """The pids still running after at most `within` seconds (a zombie
    waiting for init to reap it is not running)."""
    return proc.wait_gone([int(p) for p in pids], within)


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def check_values(path, workers):
    r = parsweep.read_results(path)
    a, b, _ = expected_grid([0])
    np.testing.assert_array_equal(r["sweep_params"]["a"]["value"], a)
    np.testing.assert_array_equal(r["outputs"]["y"]["value"], a * b + 1.0)
    np.testing.assert_array_equal(r["outputs"]["z"]["value"], a - b)
    assert r["solve_successful"].all()
    assert r["attrs"]["workers"] == workers
    return r


BACKENDS = [
    ("serial", [], 1),
    ("threads", ["-j", "2"], 2),
    ("fork", ["-j", "2"], 2),
    ("MultiProcessing", ["-j", "3"], 3),
]


@pytest.mark.parametrize("backend,flags,workers", BACKENDS)
def test_backends(tmp_path, backend, flags, workers):
    spec, log = write_spec(tmp_path, [0], backend)
    r = run([PARSWEEP, "run", str(spec), "-q", *flags])
    assert r.returncode == 0, r.stderr
    check_values(tmp_path / "r.h5", workers)
    builds = log_lines(log, "build")
    assert len(builds) == workers, builds            # one build per worker, not per sample
    assert len({b[2] for b in builds}) == workers    # each worker its own
    assert len(log_lines(log, "eval")) == 12         # each sample once
    assert not alive([b[1] for b in builds])


@pytest.mark.skipif(not MPIRUN, reason="no MPI in this build")
@pytest.mark.parametrize("backend,ranks,flags,workers", [
    ("mpi", 3, [], 3), ("hybrid", 2, ["-j", "2"], 4)])
def test_mpi_backends(tmp_path, backend, ranks, flags, workers):
    spec, log = write_spec(tmp_path, [0], backend)
    r = run([*MPIRUN, "-n", str(ranks), PARSWEEP, "run", str(spec), "-q", *flags])
    assert r.returncode == 0, r.stderr
    check_values(tmp_path / "r.h5", workers)
    builds = log_lines(log, "build")
    assert len(builds) == workers, builds
    assert len(log_lines(log, "eval")) == 12
    assert not alive([b[1] for b in builds])


def test_elastic(tmp_path):
    spec, log = write_spec(tmp_path, [0], "elastic")
    r = run([PARSWEEP, "run", str(spec), "-q", "-j", "2"])
    if r.returncode != 0 and "elastic" in r.stderr and "not built" in r.stderr:
        pytest.skip("no elastic backend in this build")
    assert r.returncode == 0, r.stderr
    res = parsweep.read_results(tmp_path / "r.h5")
    a, b, _ = expected_grid([0])
    np.testing.assert_array_equal(res["outputs"]["y"]["value"], a * b + 1.0)
    builds = log_lines(log, "build")
    assert len(builds) == 2, builds                   # the head builds none
    assert len(log_lines(log, "eval")) == 12
    assert not alive([b[1] for b in builds])


@pytest.mark.parametrize("backend,flags", [("serial", []), ("fork", ["-j", "2"])])
def test_faults(tmp_path, backend, flags):
    spec, log = write_spec(tmp_path, FAULTS, backend, "  timeout: 2\n")
    t0 = time.monotonic()
    r = run([PARSWEEP, "run", str(spec), "-q", *flags])
    assert r.returncode == 3, r.stderr                # finished, some samples failed
    assert time.monotonic() - t0 < 60
    res = parsweep.read_results(tmp_path / "r.h5")
    a, b, f = expected_grid(FAULTS)
    status, code = res["status"], res["exit_code"]
    for i, fault in enumerate(f.astype(int)):
        want_status, want_code = EXPECT[fault]
        assert status[i] == want_status, (i, fault, status[i])
        if want_code is not None:
            assert code[i] == want_code, (i, fault, code[i])
    ok = f == 0
    np.testing.assert_array_equal(res["outputs"]["y"]["value"][ok], (a * b + 1.0)[ok])
    np.testing.assert_array_equal(res["outputs"]["z"]["value"][ok], (a - b)[ok])
    assert np.isnan(res["outputs"]["y"]["value"][~ok]).all()
    # the exception's one-line text reaches parsweep's log
    assert "RuntimeError: the solver did not converge" in r.stderr
    n = len(f) // len(FAULTS)  # samples per fault code
    deaths = n * 3              # os._exit, SIGSEGV, hang
    workers = 1 if backend == "serial" else 2
    builds = log_lines(log, "build")
    resets = log_lines(log, "reset")
    # one build per worker, one more per death, none otherwise: a death on
    # a worker's last sample starts no new server
    worker_of = {b[1]: b[2] for b in builds}
    last_server = {b[2]: b[1] for b in builds}       # in log order
    last_fault = {}
    for e in log_lines(log, "eval"):
        last_fault[e[1]] = int(e[4])
    final_deaths = sum(last_fault.get(pid, 0) in (3, 4, 5) for pid in last_server.values())
    assert len(set(worker_of.values())) == workers
    assert len(builds) == workers + deaths - final_deaths, (builds, final_deaths)
    assert len(resets) == n * 2   # raise and NaN: reset, the server goes on
    served = Counter(b[1] for b in builds)
    assert all(v == 1 for v in served.values())      # a process builds once
    assert not alive(list(served))


def test_kill_resume_exactly_once(tmp_path):
    spec, log = write_spec(tmp_path, [0], "fork", "  timeout: 30\n")
    model = tmp_path / "model.py"
    model.write_text(model.read_text().replace(
        "    fault = int(p[\"fault\"])", "    time.sleep(0.15)\n    fault = int(p[\"fault\"])"))
    p = subprocess.Popen([PARSWEEP, "run", str(spec), "-q", "-j", "2"],
                         start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(log_lines(log, "eval")) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)                   # the whole run, workers included
    p.wait(10)
    first = len(log_lines(log, "eval"))
    assert 4 <= first < 12
    assert not alive([b[1] for b in log_lines(log, "build")])  # no server outlives it
    r = run([PARSWEEP, "run", str(spec), "-q", "-j", "2", "--resume"])
    assert r.returncode == 0, r.stderr
    check_values(tmp_path / "r.h5", 2)
    evals = [tuple(e[2:]) for e in log_lines(log, "eval")]
    # every sample evaluated, and none that the journal held twice: at most
    # the samples in flight at the kill (2 workers) run again
    assert len(set(evals)) == 12
    assert len(evals) - 12 <= 2
