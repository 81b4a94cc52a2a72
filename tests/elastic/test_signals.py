"""elastic.signals: SIGTERM, or a second SIGINT, to an elastic head cancels
the models its workers run, local (-j N) and remote (`parsweep worker`),
as on every backend (docs/cli.md: a 1 s grace) (issue 18, item 5).

The model sleeps 20 s while a marker file exists (the command, hence the
spec hash, stays the same once it is removed). Each case waits until every
worker runs a model, signals the head process alone (as `kill PID` does),
and checks: the head exits 4 within 3 s with results.h5 written (every
sample recorded not run), every worker exits 4 within 3 s as well, and no
model process is left in any session. Then, the marker removed, --resume
completes the sweep. Before the fix the head waited for the models: it
exited after ~20 s.
"""
import os
import signal
import time

from clitest import check, main, read_results, step
from faultlib import alive, check_complete, session_pids, sh_spec, start, wait_for

N = 6


def models(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [int(x) for x in f.read().split()]


def stop_case(args, tmp, name, sigs, remote):
    spec, log = sh_spec(tmp, N, script=(
        f'echo $$ >> {tmp}/pids.{name}; [ -e {tmp}/slow ] && sleep 20; echo "y=$2"'))
    open(os.path.join(tmp, "slow"), "w").close()
    out = os.path.join(tmp, f"{name}.h5")
    pids = os.path.join(tmp, f"pids.{name}")
    jobs = "1" if remote else "2"
    head = start(args, tmp, ["run", spec, "-b", "elastic", "-j", jobs, "-o", out])
    ep = out + ".endpoint"
    wait_for(lambda: os.path.exists(ep), "the endpoint file", proc=head)
    procs = [("head", head)]
    if remote:
        procs.append(("remote worker", start(args, tmp, ["worker", "--connect", ep, "-j", "1"])))
    wait_for(lambda: len(models(pids)) >= 2, "two models running", proc=head)
    time.sleep(0.3)
    t0 = time.monotonic()
    for k, sig in enumerate(sigs):
        if k:
            time.sleep(0.3)
            t0 = time.monotonic()
        head.send_signal(sig)
    took = {}
    errs = {}
    for what, p in procs:
        try:
            _, err = p.communicate(timeout=30)
        except Exception:
            check(False, f"{name}: the {what} still runs 30 s after the signal")
        took[what] = time.monotonic() - t0
        errs[what] = err.decode(errors="replace")
    print(f"{name}: " + ", ".join(f"{w} exit {p.returncode} after {took[w]:.1f} s" for w, p in procs))
    for what, p in procs:
        check(p.returncode == 4, f"{name}: the {what} exit {p.returncode}, not 4: {errs[what][-1500:]}")
        check(took[what] < 3, f"{name}: the {what} exited {took[what]:.1f} s after the signal (> 3 s)")
    check("--resume" in errs["head"], f"{name}: the head did not say how to resume: {errs['head']}")
    left = [pid for pid in models(pids) if alive(pid)]
    for _, p in procs:
        left += [pid for pid in session_pids(p.pid) if alive(pid)]
    check(not left, f"{name}: model processes left running: {left}")
    r = read_results(out)
    check((r["status"] == 0).all(), f"{name}: statuses {r['status'].tolist()}, not all 'not run'")

    os.unlink(os.path.join(tmp, "slow"))
    p = start(args, tmp, ["run", spec, "-b", "elastic", "-j", "2", "-o", out, "--resume", "-q"])
    _, err = p.communicate(timeout=60)
    check(p.returncode == 0, f"{name}: --resume exit {p.returncode}: {err.decode()[-1500:]}")
    check_complete(out, N, f"{name}: after --resume")


def test(args, tmp):
    step("SIGTERM to the head: its local worker's and a remote worker's models are cancelled")
    stop_case(args, tmp, "term", [signal.SIGTERM], remote=True)
    step("SIGINT twice to the head: -j 2 local workers' models are cancelled")
    stop_case(args, tmp, "int2", [signal.SIGINT, signal.SIGINT], remote=False)


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
