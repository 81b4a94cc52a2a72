"""elastic.worker_ids: one numbering of workers: the head's log ("elastic:
worker N joined ..."), /parsweep/worker and PARSWEEP_WORKER all give a
worker the id the head gave it when it joined (issue 18, item 8;
docs/elastic.md).

Ids count every worker that joined; the region's ranks only those that
took part. A worker that joined and was refused (its plugin differs from
the head's: the test_errors.py setup) takes id 1 and no rank, so the next
worker is "worker 2" in the head's log while its rank is 1: before the fix
results.h5 recorded 1. Checked: the good worker's id in the log is 2, and
every row of /parsweep/worker is 2. (PARSWEEP_WORKER is checked against the
log in elastic.declared_lost, with a command model.)
"""
import os
import re
import shutil
import subprocess
import sys

from clitest import build_spec, check, main, read_results, run, step, write
from faultlib import start, wait_for


def test(args, tmp):
    if not args.plugin:
        print("SKIP: needs --plugin")
        sys.exit(77)
    hd = os.path.join(tmp, "headdir")
    os.mkdir(hd)
    shutil.copy(args.plugin, os.path.join(hd, "libm.so"))
    spec = write(os.path.join(hd, "p.yaml"), build_spec(
        "p", [("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 10}"),
              ("b", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 2}"),
              ("c", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 2}")],
        ["out1", "out2"], plugin="./libm.so"))
    hlog = os.path.join(tmp, "head.log")
    e = dict(os.environ, PARSWEEP_LOG="info")
    with open(hlog, "w") as hl:
        head = subprocess.Popen([args.parsweep, "run", spec, "-b", "elastic", "-o", "p.h5", "-q"],
                                cwd=hd, env=e, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=hl)
    ep = os.path.join(hd, "p.h5.endpoint")
    wait_for(lambda: os.path.exists(ep), "the endpoint file", proc=head)

    step("a worker whose plugin differs joins and is refused (id 1, no rank)")
    wd = os.path.join(tmp, "workerdir")
    os.mkdir(wd)
    with open(os.path.join(wd, "libm.so"), "wb") as f:
        f.write(open(args.plugin, "rb").read() + b"\0other build")
    moved = hd + ".moved"
    os.rename(hd, moved)  # the head's directory is not there for it
    try:
        p, _ = run(args, ["worker", "--connect", os.path.join(moved, "p.h5.endpoint"), "-j", "1"],
                   wd)
    finally:
        os.rename(moved, hd)
    check(p.returncode == 1 and "differs from the head's" in p.stderr,
          f"the other plugin's worker: exit {p.returncode}: {p.stderr}")

    step("a good worker completes the sweep: its id is the same everywhere")
    good = start(args, hd, ["worker", "--connect", ep, "-j", "1"])
    head.wait(timeout=60)
    good.communicate(timeout=30)
    with open(hlog) as f:
        hl = f.read()
    check(head.returncode == 0 and good.returncode == 0,
          f"head exit {head.returncode}, worker exit {good.returncode}: {hl[-1500:]}")
    ids = {int(pid): int(n) for n, pid in
           re.findall(r"elastic: worker (\d+) joined from \S+ \(pid (\d+)\)", hl)}
    check(ids.get(good.pid) == 2, f"the good worker is not 'worker 2' in the head's log: {ids}")
    r = read_results(os.path.join(hd, "p.h5"))
    got = sorted(set(int(x) for x in r["worker"]))
    check(got == [2], f"/parsweep/worker holds {got}; the head's log calls the worker 2")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
