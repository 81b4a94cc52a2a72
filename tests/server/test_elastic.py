#!/usr/bin/python3
"""server.elastic (issue 12, acceptance 1 on elastic): a head (`parsweep
run -b elastic`, which evaluates nothing and so starts no server) and two
`parsweep worker -j 2` processes: exit 0 everywhere; every sample ok with
the formula recomputed here bit for bit; one server per worker process (4
"build" lines, none from the head), every sample evaluated once; no
server running afterwards.
"""
import os
import subprocess
import sys
import time
from collections import Counter

from clitest import check, proc, read_results, step
from srvtest import builds, check_values, evals, grid, main, none_alive, server_pids, server_spec


def start(args, tmp, cmdargs, name):
    """stdout and stderr into files: the servers' chatter on stderr must not
    fill a pipe nobody reads while the test waits for the head."""
    with open(os.path.join(tmp, name + ".out"), "wb") as o, open(os.path.join(tmp, name + ".err"), "wb") as er:
        p = proc.start([args.parsweep] + cmdargs, tmp, stdout=o, stderr=er)
    p.err_path = os.path.join(tmp, name + ".err")
    return p


def err_tail(p):
    with open(p.err_path, "rb") as f:
        return f.read().decode(errors="replace")[-2000:]


def test(args, tmp):
    n = grid()[0].size
    spec, log = server_spec(tmp, [args.server, "--noise", "--eval-sleep=0.005"], "timeout: 30",
                            outputs=["prod", "sum", "echo_a", "echo_b", "echo_c", "index", "worker"])
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    with step("head and two workers of 2"):
        head = start(args, tmp, ["run", spec, "-b", "elastic", "-o", out, "-q"], "head")
        t0 = time.monotonic()
        while not os.path.exists(ep):
            check(head.poll() is None, f"the head ended: {err_tail(head)}")
            check(time.monotonic() - t0 < 30, "no endpoint file within 30 s")
            time.sleep(0.02)
        check(builds(log) == [], "the head started a server")
        ws = [start(args, tmp, ["worker", "--connect", ep, "-j", "2"], f"w{k}") for k in range(2)]
        try:
            head.wait(timeout=90)
            for w in ws:
                w.wait(timeout=30)
        finally:
            for p in [head] + ws:
                if p.poll() is None:
                    os.killpg(p.pid, 9)
                    p.wait()
        check(head.returncode == 0, f"head exit {head.returncode}: {err_tail(head)}")
        for w in ws:
            check(w.returncode == 0, f"worker exit {w.returncode}: {err_tail(w)}")
    with step("values, one server per worker, each sample once, nothing left"):
        r = read_results(out)
        check((r["status"] == 1).all(), f"statuses {Counter(r['status'].tolist())}")
        check_values(r, "elastic")
        b = builds(log)
        check(len(b) == 4 and len({x[2] for x in b}) == 4,
              f"{len(b)} server starts for 4 workers, PARSWEEP_WORKER {[x[2] for x in b]}")
        check(Counter(r["worker"].tolist()) == Counter(r["outputs"]["worker"].astype(int).tolist()),
              "/parsweep/worker disagrees with the server's PARSWEEP_WORKER")
        check(sorted(evals(log)) == list(range(n)), "not every sample evaluated once")
        check(not none_alive(server_pids(log)), "a server outlived the run")
        print(f"   {n} samples, {len(b)} servers, workers {sorted(Counter(r['worker'].tolist()).items())}")


if __name__ == "__main__":
    if "elastic" not in subprocess.run([sys.argv[sys.argv.index("--parsweep") + 1], "run", "--help"],
                                       capture_output=True, text=True).stdout:
        sys.exit(77)
    main(test)
