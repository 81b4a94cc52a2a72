#!/usr/bin/python3
"""Interrupt an mpi run (mpirun -n 2) and complete it with --resume under
mpirun: every sample recorded exactly once, values equal to a fault-free run.

The model (tests/cli's, 0.1 s per sample, 48 samples) is started through
/bin/sh, which first appends $PARSWEEP_INDEX to a log: the log is every
evaluation that was started. Three ways to interrupt, each ~1 s after the
first sample started, each followed by `mpirun -n 2 parsweep run --resume`:

  * SIGINT to mpirun. Open MPI does not forward SIGINT: mpirun aborts its
    job, sending SIGTERM to the ranks (parsweep's "SIGTERM": stop, cancel
    running commands, write what is recorded) and exits 1 itself (its own
    abort status, not the ranks' 4; the ranks' "interrupted" line is lost
    with mpirun's output forwarding). Checked: mpirun exits 1 or 4. Open
    MPI sends SIGKILL odls_base_sigkill_timeout (1 s by default) after the
    SIGTERM, so the ranks have that long to cancel their commands and
    write the file.
  * SIGINT to the ranks themselves (the children of mpirun, found by pid;
    a terminal's Ctrl-C reaches only mpirun, as each rank has a process
    group of its own): the ranks exit 4 and so does mpirun, with
    "interrupted ... --resume".
  * SIGUSR1 to mpirun (Open MPI forwards SIGUSR1 and SIGUSR2 to the ranks:
    the batch system's walltime warning): exit 4.

After each interrupt results.h5 is a complete file (completed = 0) with
0 < recorded < N. After --resume (exit 0): every status 1, values equal to
a fault-free run of the same spec (fork -j 2) and to numpy; rows recorded
before the interrupt are unchanged (elapsed, worker), the resume evaluated
exactly the rows that were not recorded, once each, and rows recorded
before were never evaluated again (the log).
"""
import os
import signal
import subprocess
import time

import numpy as np

from mpitest import (
    build_spec,
    check,
    describe,
    finish,
    main,
    mpirun,
    proc,
    read_results,
    same_array,
    start_mpirun,
    step,
    write,
)

NA, NB, NC = 12, 2, 2
N = NA * NB * NC
SLEEP = 0.1
DELAY = 1.0  # seconds after the first sample started


def spec_text(model, log):
    script = f'echo "$PARSWEEP_INDEX" >> {log}; exec "$0" "$@"'
    return build_spec(
        "mpi_resume",
        [
            ("a", f"{{type: LinearSample, lower_limit: 1, upper_limit: 5, num_samples: {NA}}}"),
            ("b", "{type: PredeterminedFixedSample, array: [0.5, 2.0]}"),
            ("c", "{type: PredeterminedFixedSample, array: [10.0, -1.0]}"),
        ],
        ["out1", "out2"],
        command=["/bin/sh", "-c", script, model, "{a}", "{b}", "{c}", "--index={index}",
                 f"--sleep={SLEEP}"],
    )


def read_log(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [int(x) for x in f.read().split()]


def wait_for_log(path, p, timeout=60):
    t0 = time.monotonic()
    while not read_log(path):
        check(p.poll() is None, "mpirun ended before the first sample started")
        check(time.monotonic() - t0 < timeout, f"no sample started within {timeout} s")
        time.sleep(0.02)


def test(args, tmp):
    a, b, c = np.meshgrid(np.linspace(1, 5, NA), np.array([0.5, 2.0]), np.array([10.0, -1.0]),
                          indexing="ij")
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    with step("a fault-free run (fork -j 2)"):
        log = os.path.join(tmp, "ref.log")
        write(os.path.join(tmp, "ref.yaml"), spec_text(args.model, log))
        p = subprocess.run([args.parsweep, "run", "ref.yaml", "-o", "ref.h5", "-q", "-b", "fork",
                            "-j", "2"], cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=120)
        check(p.returncode == 0, f"fault-free run: {describe(p)}")
        ref = read_results(os.path.join(tmp, "ref.h5"))
        check(same_array(ref["params"]["a"], a) and same_array(ref["params"]["b"], b)
              and same_array(ref["params"]["c"], c), "fault-free run: design differs from numpy")
        check(same_array(ref["outputs"]["out1"], a * b + c)
              and same_array(ref["outputs"]["out2"], a - c), "fault-free run: outputs wrong")
        check(sorted(read_log(log)) == list(range(N)), "fault-free run: not one evaluation per sample")

    scenarios = [
        ("SIGINT to mpirun", "mpirun", signal.SIGINT, (1, 4)),
        ("SIGINT to the ranks", "ranks", signal.SIGINT, (4,)),
        ("SIGUSR1 to mpirun", "mpirun", signal.SIGUSR1, (4,)),
    ]
    for k, (label, target, sig, codes) in enumerate(scenarios):
        d = os.path.join(tmp, f"s{k}")
        os.mkdir(d)
        log = os.path.join(d, "eval.log")
        write(os.path.join(d, "spec.yaml"), spec_text(args.model, log))
        with step(f"mpirun -n 2 -b mpi, {label} {DELAY} s after the first sample"):
            p = start_mpirun(args, 2, ["run", "spec.yaml", "-b", "mpi"], cwd=d)
            wait_for_log(log, p)
            time.sleep(DELAY)
            check(p.poll() is None, f"{label}: the run ended before the signal")
            if target == "mpirun":
                p.send_signal(sig)
            else:
                ranks = proc.children(p.pid)
                check(len(ranks) == 2, f"{label}: mpirun has {len(ranks)} children: {ranks}")
                for pid in ranks:
                    os.kill(pid, sig)
            r, wall = finish(p, timeout=60)
            check(r.returncode in codes, f"{label}: mpirun exited {r.returncode}, expected "
                  f"{' or '.join(map(str, codes))}\n{describe(r)}")
            if r.returncode == 4:
                check("interrupted" in r.stderr and "--resume" in r.stderr,
                      f"{label}: no 'interrupted ... --resume' message\n{describe(r)}")
            path = os.path.join(d, "results.h5")
            check(os.path.exists(path), f"{label}: no results.h5 after the interrupt\n{describe(r)}")
            got = read_results(path)
            done = got["status"] != 0
            check(int(got["attrs"].get("completed", -1)) == 0,
                  f"{label}: completed = {got['attrs'].get('completed')}, expected 0")
            check(0 < done.sum() < N, f"{label}: {done.sum()} of {N} recorded after the interrupt")
            check((got["status"][done] == 1).all(),
                  f"{label}: a recorded sample is not ok: {got['status']}")
            check(same_array(got["outputs"]["out1"][done], (a * b + c)[done]),
                  f"{label}: recorded out1 wrong")
            check(np.isnan(got["outputs"]["out1"][~done]).all(),
                  f"{label}: a sample not run has an output")
            before_log = read_log(log)
            files = sorted(os.listdir(d))
            check(files == ["eval.log", "results.h5", "spec.yaml"], f"{label}: files left: {files}")
            print(f"   mpirun exited {r.returncode} after {wall:.1f} s; {done.sum()}/{N} recorded, "
                  f"{len(before_log)} evaluations started")
        with step(f"{label}: mpirun -n 2 parsweep run --resume completes it"):
            r2, wall2 = mpirun(args, 2, ["run", "spec.yaml", "-b", "mpi", "--resume"], cwd=d,
                               timeout=120)
            check(r2.returncode == 0, f"{label}: --resume: {describe(r2)}")
            fin = read_results(path)
            check(int(fin["attrs"].get("completed", -1)) == 1, f"{label}: --resume: not completed")
            check((fin["status"] == 1).all(), f"{label}: --resume: status {fin['status']}")
            for key in ("a", "b", "c"):
                check(same_array(fin["params"][key], ref["params"][key]),
                      f"{label}: --resume: sweep_params/{key} differs from the fault-free run")
            for key in ("out1", "out2"):
                check(same_array(fin["outputs"][key], ref["outputs"][key]),
                      f"{label}: --resume: outputs/{key} differs from the fault-free run")
            check(same_array(fin["ok"], ref["ok"]) and same_array(fin["exit_code"], ref["exit_code"]),
                  f"{label}: --resume: solve_successful/exit_code differ from the fault-free run")
            check(same_array(fin["elapsed"][done], got["elapsed"][done])
                  and same_array(fin["worker"][done], got["worker"][done]),
                  f"{label}: --resume changed rows recorded before the interrupt")
            after = read_log(log)[len(before_log):]
            want = sorted(np.nonzero(~done)[0].tolist())
            check(sorted(after) == want,
                  f"{label}: --resume evaluated {sorted(after)}, expected exactly the rows not "
                  f"recorded {want}")
            counts = np.bincount(np.array(read_log(log), dtype=int), minlength=N)
            again = np.nonzero(done & (counts != 1))[0]
            check(again.size == 0, f"{label}: rows recorded before the interrupt were evaluated "
                  f"{counts[again]} times in all: {again}")
            m = [ln for ln in r2.stderr.splitlines() if "evaluated now" in ln]
            check(m and f"({len(want)} evaluated now)" in m[0],
                  f"{label}: --resume summary {m}, expected {len(want)} evaluated now")
            print(f"   --resume: exit 0 in {wall2:.1f} s, evaluated {len(after)} samples once each")


if __name__ == "__main__":
    main(test)
