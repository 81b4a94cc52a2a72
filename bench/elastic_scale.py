#!/usr/bin/python3
"""B13: the elastic head at scale (issue 19): samples/s through the head
and the head's peak RSS with 100, 400 and 1,000 worker processes.

usage: elastic_scale.py PARSWEEP PLUGIN.so [WORKERS ...] [--samples N]

For each number of workers W: a head (`parsweep run -b elastic`, no local
workers) on an N-sample grid of the trivial plugin, and W worker processes
started at once (`parsweep worker -j W`) as soon as it wrote its endpoint
file. samples/s is N over the time from the workers' start to the head's
exit (so it includes the joining storm and writing results.h5); the head's
peak RSS is its VmHWM, read from /proc until it exits. Each worker must
exit 0 and results.h5 must hold N samples, all ok. Prints one SUMMARY line
per W for bench/run_all.sh.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

SPEC = """name: b13
parameters:
  a: {{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {n}}}
outputs: [out1, out2]
model:
  plugin: {plugin}
output: r.h5
"""


def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return 0


def one(parsweep, plugin, w, n):
    with tempfile.TemporaryDirectory(prefix="psw-b13-") as tmp:
        with open(os.path.join(tmp, "s.yaml"), "w") as f:
            f.write(SPEC.format(n=n, plugin=os.path.abspath(plugin)))
        ep = os.path.join(tmp, "r.h5.endpoint")
        hlog = open(os.path.join(tmp, "head.log"), "wb")
        head = subprocess.Popen([parsweep, "run", "s.yaml", "-b", "elastic", "-q"], cwd=tmp,
                                stdin=subprocess.DEVNULL, stdout=hlog, stderr=subprocess.STDOUT)
        while not os.path.exists(ep):
            if head.poll() is not None:
                sys.exit(f"head exited {head.returncode} before listening")
            time.sleep(0.01)
        wlog = open(os.path.join(tmp, "workers.log"), "wb")
        t0 = time.monotonic()
        workers = subprocess.Popen([parsweep, "worker", "--connect", ep, "-j", str(w),
                                    "--wait", "120"], cwd=tmp, stdin=subprocess.DEVNULL,
                                   stdout=wlog, stderr=subprocess.STDOUT)
        peak = 0
        while head.poll() is None:
            peak = max(peak, hwm(head.pid))
            time.sleep(0.05)
        wall = time.monotonic() - t0
        workers.wait(timeout=300)
        if head.returncode or workers.returncode:
            sys.exit(f"W={w}: head exit {head.returncode}, workers exit {workers.returncode}: "
                     + open(os.path.join(tmp, "workers.log")).read()[-2000:])
        import h5py
        with h5py.File(os.path.join(tmp, "r.h5"), "r") as f:
            ok = int((f["solve_successful"]["solve_successful"][()] == 1).sum())
        if ok != n:
            sys.exit(f"W={w}: {ok} of {n} samples ok")
        return n / wall, peak / 1024.0, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("parsweep")
    ap.add_argument("plugin")
    ap.add_argument("workers", nargs="*", type=int, default=[100, 400, 1000])
    ap.add_argument("--samples", type=int, default=1000000)
    a = ap.parse_args()
    a.parsweep = os.path.abspath(a.parsweep)
    print(f"{'workers':>8} {'samples':>9} {'wall s':>7} {'samples/s':>10} {'head RSS MiB':>13}")
    for w in a.workers:
        rate, rss, wall = one(a.parsweep, a.plugin, w, a.samples)
        print(f"{w:>8} {a.samples:>9} {wall:>7.2f} {rate:>10.0f} {rss:>13.1f}", flush=True)
        print(f"SUMMARY B13 elastic head, {w} workers: {rate:.0f} samples/s, "
              f"head peak RSS {rss:.1f} MiB")


if __name__ == "__main__":
    main()
