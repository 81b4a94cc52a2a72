#!/usr/bin/python3
"""Peak memory of `parsweep run` as the number of samples grows.

usage: mem_growth.py PARSWEEP PLUGIN.so [N ...] [--backend fork] [-j 2]

Runs a 2-parameter grid sweep of a trivial plugin model for each N (default
10^4 and 10^6) and prints the peak resident set of the largest process of
the run (the parent or a fork worker; getrusage(RUSAGE_CHILDREN) after each
run, so each N runs in a fresh child of this script) and its ratio to the
smallest N. Results stream to results.h5 in bounded blocks, so the ratio
should stay near 1.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

SPEC = """
seed: 1
parameters:
  a: {{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {na}}}
  b: {{type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 100}}
outputs: [y, z]
model:
  plugin: {plugin}
"""


def peak_kib(cmd):
    """Run cmd in a fresh child process and return (rc, maxrss KiB, wall s)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # measure in a child so the counters start from zero
        os.close(r)
        t0 = time.monotonic()
        rc = subprocess.call(cmd)
        wall = time.monotonic() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        os.write(w, f"{rc} {rss} {wall}".encode())
        os._exit(0)
    os.close(w)
    out = os.read(r, 100).decode().split()
    os.waitpid(pid, 0)
    return int(out[0]), int(out[1]), float(out[2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("parsweep")
    ap.add_argument("plugin")
    ap.add_argument("n", nargs="*", type=int, default=[10**4, 10**6])
    ap.add_argument("--backend", default="fork")
    ap.add_argument("-j", default="2")
    ap.add_argument("--max-ratio", type=float, default=0,
                    help="exit 1 when peak(N)/peak(smallest N) exceeds this")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.n:
            spec = os.path.join(tmp, f"s{n}.yaml")
            with open(spec, "w") as f:
                f.write(SPEC.format(na=max(n // 100, 1), plugin=os.path.abspath(a.plugin)))
            out = os.path.join(tmp, f"r{n}.h5")
            rc, kib, wall = peak_kib([a.parsweep, "run", spec, "-o", out, "-b",
                                      a.backend, "-j", a.j, "--quiet"])
            if rc != 0:
                sys.exit(f"mem_growth.py: parsweep exited {rc} for N={n}")
            rows.append((n, kib, wall))
    base = rows[0][1]
    print(f"{'samples':>10} {'peak RSS (MiB)':>15} {'ratio':>7} {'wall (s)':>9} {'samples/s':>10}")
    worst = 0.0
    for n, kib, wall in rows:
        ratio = kib / base
        worst = max(worst, ratio)
        print(f"{n:>10} {kib / 1024:>15.1f} {ratio:>7.3f} {wall:>9.2f} {n / wall:>10.0f}")
    if a.max_ratio and worst > a.max_ratio:
        sys.exit(f"mem_growth.py: peak memory ratio {worst:.3f} > {a.max_ratio}")


if __name__ == "__main__":
    main()
