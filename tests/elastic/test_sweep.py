"""elastic.sweep: a head and two workers; one worker is SIGKILLed mid-sweep
and a third joins late (issue 8, acceptance 2).

The model is a /bin/sh command that logs "INDEX WORKER" for every
evaluation it finishes (what was computed, independently of results.h5)
and prints y = a * b + 1. Checked: the head exits 0; every sample is in
results.h5 once, ok, with y computed from its recorded parameters, and the
parameters are exactly the grid; every index was evaluated at least once,
and no more than the killed worker had in flight twice; the head logged the
loss; the late worker's id is in /parsweep/worker; no endpoint is left.
"""
import os
import signal
import stat
import time

import numpy as np

from clitest import build_spec, check, main, proc, read_results, step, write

NA, NB = 60, 5


def start(args, tmp, cmdargs, env=None):
    return proc.start([args.parsweep] + cmdargs, tmp, {"PARSWEEP_LOG": "info", **(env or {})})


def evals(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [tuple(int(x) for x in ln.split()) for ln in f if ln.strip()]


def wait_for(pred, what, timeout=60):
    t0 = time.monotonic()
    while not pred():
        check(time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s")
        time.sleep(0.02)


def test(args, tmp):
    log = os.path.join(tmp, "evals")
    # A script, as a command template has no escape for awk's braces.
    model = write(
        os.path.join(tmp, "model.sh"),
        f'sleep 0.03\necho "$1 $PARSWEEP_WORKER" >> {log}\n'
        "awk -v a=\"$2\" -v b=\"$3\" 'BEGIN { printf \"y=%.17g\\n\", a * b + 1 }'\n",
    )
    spec = write(
        os.path.join(tmp, "s.yaml"),
        build_spec(
            "elastic",
            [
                ("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {NA}}}"),
                ("b", f"{{type: LinearSample, lower_limit: 10, upper_limit: 20, num_samples: {NB}}}"),
            ],
            ["y"],
            command=["/bin/sh", model, "{index}", "{a}", "{b}"],
        ),
    )
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    n = NA * NB

    step("head: parsweep run -b elastic, no local workers")
    head = start(args, tmp, ["run", spec, "-b", "elastic", "-o", out, "-q"],
                 env={"PSW_ELASTIC_TIMEOUT": "2"})
    wait_for(lambda: os.path.exists(ep) or head.poll() is not None, "the endpoint file")
    if head.poll() is not None:
        check(False, f"the head ended: {head.communicate()[1].decode()[-2000:]}")
    mode = stat.S_IMODE(os.stat(ep).st_mode)
    check(mode == 0o600, f"endpoint mode {oct(mode)}, not 0600")

    step("two workers; SIGKILL the second mid-sweep")
    w1 = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    w2 = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    wait_for(lambda: len({w for _, w in evals(log)}) >= 2 and len(evals(log)) >= 40,
             "both workers evaluating")
    ids_before = {w for _, w in evals(log)}
    os.killpg(w2.pid, signal.SIGKILL)
    w2.communicate(timeout=30)
    killed_at = len(evals(log))
    check(killed_at < n // 2, f"the kill came too late ({killed_at} of {n} done)")

    step("a third worker joins late")
    w3 = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])

    hout, herr = head.communicate(timeout=240)
    herr = herr.decode(errors="replace")
    check(head.returncode == 0, f"head exit {head.returncode}\n{herr[-3000:]}")
    for name, w in (("w1", w1), ("w3", w3)):
        o, e = w.communicate(timeout=60)
        check(w.returncode == 0, f"{name} exit {w.returncode}: {e.decode()[-2000:]}")
    # The file is left as the mark of an ended sweep: no keys in it.
    mark = open(ep).read() if os.path.exists(ep) else ""
    check("ended: yes" in mark and "secret" not in mark, f"the endpoint file after the end: {mark!r}")

    step("results.h5: every sample once, ok, right values")
    r = read_results(out)
    a, b, y = r["params"]["a"], r["params"]["b"], r["outputs"]["y"]
    check(len(y) == n, f"{len(y)} rows, not {n}")
    check((r["status"] == 1).all(), f"statuses {np.bincount(r['status'], minlength=5)}")
    check(np.allclose(y, a * b + 1, rtol=1e-12, atol=0), "y != a * b + 1")
    grid = {(round(x, 12), round(z, 12)) for x in np.linspace(0, 1, NA) for z in np.linspace(10, 20, NB)}
    got = {(round(x, 12), round(z, 12)) for x, z in zip(a, b)}
    check(got == grid, "the recorded parameters are not the grid")

    step("at-least-once evaluation, exactly-once results")
    ev = evals(log)
    idx = [i for i, _ in ev]
    check(set(idx) == set(range(n)), f"{n - len(set(idx))} indices never evaluated")
    twice = len(idx) - len(set(idx))
    # The killed worker had one chunk in flight: its samples ran again.
    check(twice <= 8, f"{twice} evaluations repeated (more than one chunk's worth)")
    check("lost: no heartbeat" in herr, "the head did not log the lost worker:\n" + herr[-2000:])
    ids_after = {w for i, w in ev[killed_at:]}
    late = ids_after - ids_before
    check(len(late) == 1, f"worker ids after the kill {ids_after}, before {ids_before}")
    late_id = late.pop()
    workers = set(int(x) for x in r["worker"])
    check(late_id in workers, f"late worker {late_id} not in /parsweep/worker {workers}")
    print(f"{n} samples; killed after {killed_at}; {twice} evaluated twice; "
          f"workers in the file {sorted(workers)}, late {late_id}")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
