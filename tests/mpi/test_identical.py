#!/usr/bin/python3
"""Issue 4, acceptance 2: one spec gives identical results.h5 values on
fork and under mpirun (mpi, hybrid), with the failure statuses of the sweep
issue, and the work spread over workers and nodes.

One spec: 3 grid parameters (5 x 3 x 2 = 30 samples), the command model of
tests/cli taking 30 ms per sample and misbehaving on chosen indices: exit 3
(status 2), SIGSEGV (4), a missing output (2) and a hang past the 1 s
timeout (3). Four runs:

  parsweep run spec -b fork -j 2
  mpirun -n 3 parsweep run spec -b mpi
  mpirun -n 2 parsweep run spec -b hybrid -j 2      (2 node groups of 2)
  mpirun -n 3 parsweep run spec -b hybrid           (3 ranks, one node group)

Each must exit 3 (mpirun's exit status too), write the same sweep_params,
outputs (NaN in the same places), status, exit_code and solve_successful,
all equal to values computed here with numpy; the root attributes name the
backend, workers and nodes of the run (fork/mpi/hybrid/hybrid, 2/3/4/3,
1/1/2/1); /parsweep/worker shows more than one worker at work under mpi and
hybrid, /parsweep/node both node ids under hybrid -n 2 -j 2 (node-major
worker ids: node = worker // 2), and no file but results is left behind.
"""
import os
import subprocess
import time

import numpy as np

from mpitest import (
    attr_str,
    build_spec,
    check,
    describe,
    main,
    mpirun,
    read_results,
    same_array,
    step,
    write,
)

TIMEOUT = 1.0
SLEEP = 0.03
A = (1.0, 5.0, 5)
B = [0.5, 2.0, 3.0]
C = [10.0, -1.0]
EXIT, SEGV, OMIT, HANG = 4, 11, 17, 23
# (status, exit_code) per failing index: exit 3 -> failed; SIGSEGV ->
# crashed, -11; missing out2 -> failed, exit 0; hang -> timeout, SIGTERM.
EXPECT = {EXIT: (2, 3), SEGV: (4, -11), OMIT: (2, 0), HANG: (3, -15)}

# label, launcher ranks (0: no launcher), extra options, backend, workers, nodes
RUNS = [
    ("fork -j 2", 0, ["-b", "fork", "-j", "2"], "fork", 2, 1),
    ("mpirun -n 3 -b mpi", 3, ["-b", "mpi"], "mpi", 3, 1),
    ("mpirun -n 2 -b hybrid -j 2", 2, ["-b", "hybrid", "-j", "2"], "hybrid", 4, 2),
    ("mpirun -n 3 -b hybrid", 3, ["-b", "hybrid"], "hybrid", 3, 1),
]


def expected():
    a, b, c = np.meshgrid(np.linspace(*A), np.array(B), np.array(C), indexing="ij")
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    n = a.size
    out1 = a * b + c
    out2 = a - c
    status = np.ones(n, dtype=np.int8)
    code = np.zeros(n, dtype=np.int32)
    for i, (st, ec) in EXPECT.items():
        status[i] = st
        code[i] = ec
        out1[i] = out2[i] = np.nan
    return {"a": a, "b": b, "c": c, "out1": out1, "out2": out2, "status": status,
            "exit_code": code, "ok": status == 1}


def spec_text(model):
    cmd = [model, "{a}", "{b}", "{c}", "--index={index}", f"--sleep={SLEEP}",
           f"--exit={EXIT}", f"--segv={SEGV}", f"--omit={OMIT}", f"--hang={HANG}"]
    return build_spec(
        "mpi_identical",
        [
            ("a", f"{{type: LinearSample, lower_limit: {A[0]!r}, upper_limit: {A[1]!r}, num_samples: {A[2]}}}"),
            ("b", "{type: PredeterminedFixedSample, array: [" + ", ".join(map(repr, B)) + "]}"),
            ("c", "{type: PredeterminedFixedSample, array: [" + ", ".join(map(repr, C)) + "]}"),
        ],
        ["out1", "out2"],
        command=cmd,
        model_extra=f"timeout: {TIMEOUT}\nretries: 0",
    )


def check_values(r, want, label):
    P, O = r["params"], r["outputs"]
    check(list(P) == ["a", "b", "c"] and list(O) == ["out1", "out2"],
          f"{label}: names {list(P)} {list(O)}")
    for k in ("a", "b", "c"):
        check(same_array(P[k], want[k]), f"{label}: sweep_params/{k} differs from numpy: {P[k]}")
    for k in ("out1", "out2"):
        bad = np.nonzero(~((O[k] == want[k]) | (np.isnan(O[k]) & np.isnan(want[k]))))[0]
        check(O[k].dtype == np.float64 and bad.size == 0,
              f"{label}: outputs/{k} differs at rows {bad}: {O[k][bad]} != {want[k][bad]}")
    bad = np.nonzero(r["status"] != want["status"])[0]
    check(bad.size == 0,
          f"{label}: status differs at rows {bad}: {r['status'][bad]}, expected {want['status'][bad]}")
    bad = np.nonzero(r["exit_code"] != want["exit_code"])[0]
    check(bad.size == 0,
          f"{label}: exit_code differs at rows {bad}: {r['exit_code'][bad]}, expected {want['exit_code'][bad]}")
    check(same_array(r["ok"].astype(bool), want["ok"]),
          f"{label}: solve_successful {r['ok']}, expected {want['ok'].astype(int)}")


def test(args, tmp):
    want = expected()
    n = want["a"].size
    write(os.path.join(tmp, "spec.yaml"), spec_text(args.model))
    results = {}
    for label, ranks, opts, backend, workers, nodes in RUNS:
        out = f"r{len(results)}.h5"
        with step(f"{label}: exit 3, SIGSEGV, missing output, hang past {TIMEOUT} s"):
            cmd = ["run", "spec.yaml", "-o", out, "-q"] + opts
            if ranks:
                p, wall = mpirun(args, ranks, cmd, cwd=tmp, timeout=120)
            else:
                t0 = time.monotonic()
                p = subprocess.run([args.parsweep] + cmd, cwd=tmp, stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=120)
                wall = time.monotonic() - t0
            check(p.returncode == 3, f"{label}: expected exit 3, got {describe(p)}")
            check(os.path.exists(os.path.join(tmp, out)), f"{label}: no {out}\n{describe(p)}")
            r = read_results(os.path.join(tmp, out))
            check_values(r, want, label)
            at = r["attrs"]
            got = (attr_str(at.get("backend")), int(at.get("workers", -1)), int(at.get("nodes", -1)))
            check(got == (backend, workers, nodes),
                  f"{label}: attributes backend/workers/nodes = {got}, expected {(backend, workers, nodes)}")
            check(int(at.get("completed", -1)) == 1 and int(at.get("num_samples", -1)) == n,
                  f"{label}: completed {at.get('completed')}, num_samples {at.get('num_samples')}")
            counts = {"ok": 26, "failed": 2, "timeout": 1, "crashed": 1}
            for k, v in counts.items():
                check(int(at.get(f"count_{k}", -1)) == v,
                      f"{label}: attribute count_{k} = {at.get(f'count_{k}')}, expected {v}")
            w, nd = r["worker"], r["node"]
            check(((w >= 0) & (w < workers)).all(), f"{label}: worker ids outside 0..{workers - 1}: {w}")
            check(((nd >= 0) & (nd < nodes)).all(), f"{label}: node ids outside 0..{nodes - 1}: {nd}")
            if ranks:
                check(np.unique(w).size > 1, f"{label}: one worker did all the work: {w}")
            if nodes == 2:
                check(set(np.unique(nd)) == {0, 1}, f"{label}: node ids {np.unique(nd)}, expected 0 and 1")
                check((nd == w // 2).all(),
                      f"{label}: worker ids are not node-major (node = worker // 2): worker {w}, node {nd}")
            el = r["elapsed"][HANG]
            check(TIMEOUT <= el < TIMEOUT + 2.0, f"{label}: hung sample's elapsed {el:.2f} s")
            results[label] = r
            print(f"   {wall:.1f} s; workers used {np.unique(w).tolist()}, nodes {np.unique(nd).tolist()}")
    with step("the four files hold identical values"):
        ref_label = RUNS[0][0]
        ref = results[ref_label]
        for label, r in results.items():
            for k in ("a", "b", "c"):
                check(same_array(r["params"][k], ref["params"][k]), f"{label} vs {ref_label}: sweep_params/{k}")
            for k in ("out1", "out2"):
                check(same_array(r["outputs"][k], ref["outputs"][k]), f"{label} vs {ref_label}: outputs/{k}")
            for k in ("status", "exit_code", "ok"):
                check(same_array(r[k], ref[k]), f"{label} vs {ref_label}: {k}: {r[k]} vs {ref[k]}")
    with step("nothing left behind but the results"):
        left = sorted(os.listdir(tmp))
        want_files = sorted(["spec.yaml"] + [f"r{i}.h5" for i in range(len(RUNS))])
        check(left == want_files, f"files in the run directory: {left}, expected {want_files}")


if __name__ == "__main__":
    main(test)
