"""elastic.declared_lost: a worker the head declared lost that then
resumes says so, truthfully, and exits 1 (issue 18, item 8;
docs/elastic.md).

A head (PSW_ELASTIC_TIMEOUT=1) and worker A; A is SIGSTOPped mid-sweep
until the head logs it lost, worker B joins and A is continued. Checked:
A exits 1 within 5 s with one line saying the head declared it lost
(before the fix it said "lost the head", which was false: the head ran
on); the head completes the sweep with B (exit 0, every sample once, ok).
And one numbering: every evaluation's PARSWEEP_WORKER is the id the head's
log gave the worker process that ran it ("worker N joined ... (pid P)"),
and /parsweep/worker holds those ids.
"""
import os
import re
import signal
import subprocess
import time

from clitest import check, main, read_results, step
from faultlib import check_complete, sh_spec, start, wait_for

N = 80


def test(args, tmp):
    log = os.path.join(tmp, "evals")
    spec, _ = sh_spec(tmp, N, script=(
        f'sleep 0.05; echo "$1 $PARSWEEP_WORKER $PPID" >> {log}; echo "y=$2"'))
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    hlog = os.path.join(tmp, "head.log")
    e = dict(os.environ, PARSWEEP_LOG="info", PSW_ELASTIC_TIMEOUT="1")
    with open(hlog, "w") as hl:
        head = subprocess.Popen([args.parsweep, "run", spec, "-b", "elastic", "-o", out, "-q"],
                                cwd=tmp, env=e, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=hl, start_new_session=True)

    def head_log():
        with open(hlog) as f:
            return f.read()

    def lines():
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return [ln.split() for ln in f if ln.strip()]

    wait_for(lambda: os.path.exists(ep), "the endpoint file", proc=head)
    step("worker A evaluates, is stopped until the head declares it lost")
    a = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    wait_for(lambda: len(lines()) >= 5, "A evaluating", proc=head)
    a.send_signal(signal.SIGSTOP)
    wait_for(lambda: "lost: no heartbeat" in head_log(), "the head declaring A lost",
             timeout=20, proc=head)
    step("worker B joins; A is continued and must say what happened")
    b = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    wait_for(lambda: len(lines()) >= 15, "B evaluating", proc=head)
    a.send_signal(signal.SIGCONT)
    t0 = time.monotonic()
    try:
        _, aerr = a.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        a.kill()
        check(False, "worker A still runs 30 s after SIGCONT")
    took = time.monotonic() - t0
    aerr = aerr.decode(errors="replace")
    print(f"A exit {a.returncode} after {took:.1f} s: {aerr.strip()}")
    check(a.returncode == 1, f"A exit {a.returncode}, not 1: {aerr}")
    check(took < 5, f"A took {took:.1f} s to leave")
    said = [ln for ln in aerr.split("\n") if ln.startswith("parsweep")]
    check(len(said) == 1 and "declared this worker lost" in said[0],
          f"A did not say, in one line, that the head declared it lost: {aerr}")
    check("lost the head" not in aerr, f"A claims it lost the head: {aerr}")

    head.wait(timeout=120)
    b.communicate(timeout=30)
    hl = head_log()
    check(head.returncode == 0, f"head exit {head.returncode}: {hl[-1500:]}")
    check(b.returncode == 0, f"B exit {b.returncode}")
    check_complete(out, N, "after A was lost")

    step("one numbering: the head's log, PARSWEEP_WORKER, /parsweep/worker")
    ids = {int(pid): int(n) for n, pid in
           re.findall(r"elastic: worker (\d+) joined from \S+ \(pid (\d+)\)", hl)}
    check(ids.get(a.pid) and ids.get(b.pid), f"the head's log names A and B: {ids}")
    for idx, wid, ppid in lines():
        check(int(ppid) in ids and int(wid) == ids[int(ppid)],
              f"sample {idx}: PARSWEEP_WORKER {wid}, the head's log calls its worker "
              f"(pid {ppid}) {ids.get(int(ppid))}")
    r = read_results(out)
    got = set(int(x) for x in r["worker"])
    check(got <= {ids[a.pid], ids[b.pid]}, f"/parsweep/worker {got}, the head's ids {ids}")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
