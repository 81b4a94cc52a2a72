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
import subprocess
import sys

from clitest import check, main, read_results, step
from elastictest import other_plugin_worker, plugin_head_dir
from faultlib import start, wait_for


def test(args, tmp):
    if not args.plugin:
        print("SKIP: needs --plugin")
        sys.exit(77)
    hd, spec = plugin_head_dir(tmp, args.plugin, na=10)
    hlog = os.path.join(tmp, "head.log")
    e = dict(os.environ, PARSWEEP_LOG="info")
    with open(hlog, "w") as hl:
        head = subprocess.Popen([args.parsweep, "run", spec, "-b", "elastic", "-o", "p.h5", "-q"],
                                cwd=hd, env=e, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=hl)
    ep = os.path.join(hd, "p.h5.endpoint")
    wait_for(lambda: os.path.exists(ep), "the endpoint file", proc=head)

    step("a worker whose plugin differs joins and is refused (id 1, no rank)")
    p = other_plugin_worker(args, tmp, hd, "p.h5.endpoint")
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
