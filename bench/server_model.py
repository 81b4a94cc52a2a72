#!/usr/bin/python3
"""B9 and B10: a Python model served once per worker (SPEC §3.1) against
the Python pools WaterTAP's users have today. Ratios measured in one run,
the variants interleaved (A B C A B C ...), medians.

usage: server_model.py PARSWEEP [--smoke] [--reps 3]

B9  a flowsheet-like model: build() takes 1 s, each solve 5 ms of CPU;
    400 samples, 2 workers:
      parsweep run, server model, fork backend, -j 2, into results.h5
      multiprocessing.Pool(2, initializer=build).imap(chunksize=1)
        (WaterTAP's MultiProcessing pattern), results into HDF5 with h5py
      parsweep run, command model (a process per sample: build every time),
        on a subset of the samples (it would take minutes), per sample
    Target: parsweep >= 1.0x the Pool.
B10 a trivial evaluate, 20,000 samples, 2 workers: server model end to end
    into results.h5 vs Pool(2) chunksize=1 + h5py writing the same columns.
    Target >= 1.0x. Also the protocol's own round trip (a Python driver and
    the Python helper on a socket pair, no parsweep) in us per sample.

Prints a table and SUMMARY|row|comparison|ratio|target|met lines for
bench/run_all.sh.
"""
import argparse
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(os.path.dirname(HERE), "python")

MODEL = r'''
import os, sys, time
sys.path.insert(0, {pkg!r})
BUILD_S, SOLVE_S = {build_s!r}, {solve_s!r}

def build():
    time.sleep(BUILD_S)            # building and initialising the flowsheet
    return {{"k": 2.0}}

def evaluate(m, p):
    end = time.perf_counter() + SOLVE_S
    while time.perf_counter() < end:   # the solve: CPU
        pass
    return {{"y": m["k"] * p["a"] + p["b"], "z": p["a"] - p["b"]}}

if __name__ == "__main__":
    if len(sys.argv) > 1:          # a command model: build, solve once, print
        m = build()
        out = evaluate(m, {{"a": float(sys.argv[1]), "b": float(sys.argv[2])}})
        print("\n".join(f"{{k}}={{v!r}}" for k, v in out.items()))
    else:
        import parsweep
        parsweep.serve(evaluate, build=build)
'''

SPEC = """
seed: 1
parallel_back_end: fork
number_of_subprocesses: 2
output: {out}
parameters:
  a: {{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {na}}}
  b: {{type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 20}}
outputs: [y, z]
model:
  {kind}: [{py}, {model}{args}]
  timeout: 60
"""


def write_model(tmp, build_s, solve_s):
    path = os.path.join(tmp, f"model_{build_s}_{solve_s}.py")
    with open(path, "w") as f:
        f.write(MODEL.format(pkg=PKG, build_s=build_s, solve_s=solve_s))
    return path


def run_parsweep(parsweep, tmp, model, n, kind):
    out = os.path.join(tmp, f"{kind}.h5")
    spec = os.path.join(tmp, f"{kind}.yaml")
    args = ', "{a}", "{b}"' if kind == "command" else ""
    with open(spec, "w") as f:
        f.write(SPEC.format(out=out, na=n // 20, kind=kind, py=sys.executable,
                            model=model, args=args))
    t0 = time.perf_counter()
    r = subprocess.run([parsweep, "run", spec, "--force", "--quiet"],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"parsweep run ({kind}) failed: {r.returncode} {r.stderr}")
    return wall


# --- the Pool baseline (module level: the workers import this script) -----
_model = None
_mod = None


def _init(path):
    global _model, _mod
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_model", path)
    _mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(_mod)
    _model = _mod.build()


def _task(p):
    try:
        out = _mod.evaluate(_model, {"a": p[0], "b": p[1]})
        return out["y"], out["z"], True
    except Exception:
        return float("nan"), float("nan"), False


def run_pool(tmp, model, n):
    import h5py
    import numpy as np
    t0 = time.perf_counter()
    a, b = np.meshgrid(np.linspace(0, 1, n // 20), np.linspace(1, 2, 20),
                       indexing="ij")
    params = list(zip(a.ravel().tolist(), b.ravel().tolist()))
    with mp.get_context("fork").Pool(2, initializer=_init, initargs=(model,)) as pool:
        rows = list(pool.imap(_task, params, chunksize=1))
    y = np.array([r[0] for r in rows])
    z = np.array([r[1] for r in rows])
    ok = np.array([r[2] for r in rows])
    with h5py.File(os.path.join(tmp, "pool.h5"), "w") as f:
        for g, name, col in (("sweep_params", "a", a.ravel()),
                             ("sweep_params", "b", b.ravel()),
                             ("outputs", "y", y), ("outputs", "z", z)):
            f[f"{g}/{name}/value"] = col
        f["solve_successful/solve_successful"] = ok
    return time.perf_counter() - t0


def protocol_round_trip(model, n):
    """us per sample: a Python driver and the helper on a socket pair."""
    mine, theirs = socket.socketpair()
    env = dict(os.environ, PARSWEEP_SERVER_FD=str(theirs.fileno()))
    p = subprocess.Popen([sys.executable, model], pass_fds=(theirs.fileno(),),
                         env=env, stdout=subprocess.DEVNULL)
    theirs.close()
    rd = mine.makefile("rb")
    mine.sendall(b"parsweep-server 1\nparams 2\na\nb\noutputs 2\ny\nz\n")
    assert rd.readline() == b"ready\n"
    t0 = time.perf_counter()
    for i in range(n):
        mine.sendall(b"sample %d 0.5 1.5\n" % i)
        rd.readline()
    us = (time.perf_counter() - t0) / n * 1e6
    mine.sendall(b"exit\n")
    p.wait(10)
    return us


def compare(row, parsweep, tmp, model, n, reps, cmd_model=None, cmd_n=0):
    ps, pool, cmd = [], [], []
    for _ in range(reps):
        ps.append(run_parsweep(parsweep, tmp, model, n, "server"))
        pool.append(run_pool(tmp, model, n))
        if cmd_model:
            cmd.append(run_parsweep(parsweep, tmp, cmd_model, cmd_n, "command"))
    m_ps, m_pool = statistics.median(ps), statistics.median(pool)
    print(f"{row}: {n} samples, 2 workers, medians of {reps}")
    print(f"  parsweep server model      {m_ps:8.3f} s  {m_ps / n * 1e6:9.1f} us/sample")
    print(f"  Pool(2) chunksize=1 + h5py {m_pool:8.3f} s  {m_pool / n * 1e6:9.1f} us/sample")
    ratio = m_pool / m_ps
    print(f"SUMMARY|{row}|server model vs Pool(2, initializer) chunksize=1|"
          f"{ratio:.2f}|1.0|{'yes' if ratio >= 1.0 else 'NO'}")
    if cmd:
        m_cmd = statistics.median(cmd)
        per = m_cmd / cmd_n
        print(f"  parsweep command model     {m_cmd:8.3f} s for {cmd_n} samples: "
              f"{per * 1e3:.1f} ms/sample, {per * n:.1f} s for {n}")
        print(f"SUMMARY|{row}|server model vs command model (per sample)|"
              f"{per * n / m_ps:.2f}|-|-")
    return m_ps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("parsweep")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    reps = 1 if a.smoke else a.reps
    with tempfile.TemporaryDirectory(prefix="psw-b9-") as tmp:
        build_s, n9, n10 = (0.2, 40, 400) if a.smoke else (1.0, 400, 20000)
        slow = write_model(tmp, build_s, 0.005)
        compare("B9", a.parsweep, tmp, slow, n9, reps, cmd_model=slow, cmd_n=20)
        trivial = write_model(tmp, 0.0, 0.0)
        m10 = compare("B10", a.parsweep, tmp, trivial, n10, reps)
        rt = protocol_round_trip(trivial, 2000 if a.smoke else 20000)
        print(f"  protocol round trip (Python driver, Python helper): {rt:.1f} us/sample; "
              f"parsweep's whole cost per sample: {m10 / n10 * 1e6 * 2:.1f} us of worker time")


if __name__ == "__main__":
    main()
