#!/usr/bin/python3
"""B8: time per sample and peak memory of `parsweep run` as the number of
samples grows (issue 7: 10^4 -> 10^7, flat within 20% and 10%).

usage: mem_growth.py PARSWEEP PLUGIN.so [N ...] [--backend fork] [-j 2]
                     [--fixed N0] [--isolate]
                     [--launcher "mpirun --allow-run-as-root --oversubscribe -n 4"]

Time per sample is the slope over a run of N0 samples (default 100)
measured first: (wall(N) - wall(N0)) / (N - N0), so that start-up (loading
libraries, creating the file, forking) does not count as per-sample cost.
Without --launcher it prints SUMMARY lines for bench/run_all.sh: the time
per sample and the peak at the largest N against the smallest.

Runs a 2-parameter grid sweep of a trivial plugin model for each N (default
10^4 and 10^6) and prints the peak resident set of the largest process of
the run (the parent or a fork worker; getrusage(RUSAGE_CHILDREN) after each
run, so each N runs in a fresh child of this script) and its ratio to the
smallest N. Results stream to results.h5 in bounded blocks, so the ratio
should stay near 1.

--launcher CMD runs `CMD parsweep run ...` (split on spaces), e.g. with
--backend mpi or hybrid (issue 4: rank 0's peak memory must not grow with
the number of samples). RUSAGE_CHILDREN of the launcher covers mpirun and
every rank (Open MPI starts the ranks as children of mpirun, which waits
for them), i.e. the largest process of the job, not rank 0's. So each rank
runs under this script as a wrapper (`mem_growth.py --rank-wrapper DIR --
parsweep ...`) that waits for its rank and writes the rank's own peak
(the rank and its fork workers, if any) to DIR/rss.<rank>; the table then
shows rank 0's peak, the largest of the other ranks, and the whole job.
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
  isolate: {isolate}
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


def run_one(a, tmp, n, rep, jobs, launcher):
    """One run of N samples: (peak KiB, wall s, {rank: KiB})."""
    spec = os.path.join(tmp, f"s{n}.yaml")
    with open(spec, "w") as f:
        f.write(SPEC.format(na=max(n // 100, 1), plugin=os.path.abspath(a.plugin),
                            isolate="true" if a.isolate else "false"))
    out = os.path.join(tmp, f"r{n}.h5")
    cmd = [os.path.abspath(a.parsweep), "run", spec, "-o", out, "-b", a.backend,
           "--quiet", "--force"] + jobs
    rdir = os.path.join(tmp, f"rss{n}.{rep}")
    if launcher:
        os.mkdir(rdir)
        cmd = launcher + [sys.executable, os.path.abspath(__file__),
                          "--rank-wrapper", rdir, "--"] + cmd
    rc, kib, wall = peak_kib(cmd)
    if rc != 0:
        sys.exit(f"mem_growth.py: parsweep exited {rc} for N={n}")
    peaks = rank_peaks(rdir) if launcher else {}
    if launcher and 0 not in peaks:
        sys.exit(f"mem_growth.py: no peak from rank 0 for N={n}")
    return kib, wall, peaks


def rank_wrapper(argv):
    """`--rank-wrapper DIR -- CMD...`: run CMD (one MPI rank), write its
    peak RSS (KiB, over it and the descendants it waited for) to
    DIR/rss.<rank>, exit with its status."""
    d, cmd = argv[0], argv[2:]
    rc = subprocess.call(cmd)
    rank = os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMIX_RANK", "x"))
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.path.join(d, f"rss.{rank}"), "w") as f:
        f.write(f"{rss}\n")
    sys.exit(rc if rc >= 0 else 128 - rc)


def rank_peaks(d):
    """{rank: KiB} written by the wrappers."""
    out = {}
    for name in os.listdir(d):
        if name.startswith("rss.") and name[4:].isdigit():
            with open(os.path.join(d, name)) as f:
                out[int(name[4:])] = int(f.read())
    return out


def main():
    if len(sys.argv) > 3 and sys.argv[1] == "--rank-wrapper" and sys.argv[3] == "--":
        rank_wrapper(sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("parsweep")
    ap.add_argument("plugin")
    ap.add_argument("n", nargs="*", type=int, default=[10**4, 10**6])
    ap.add_argument("--backend", default="fork")
    ap.add_argument("-j", default=None,
                    help="workers per node (default 2 without --launcher; "
                    "with it, none given: the mpi backend has one per rank)")
    ap.add_argument("--max-ratio", type=float, default=0,
                    help="exit 1 when peak(N)/peak(smallest N) exceeds this "
                    "(rank 0's peak with --launcher)")
    ap.add_argument("--fixed", type=int, default=100,
                    help="samples of the run whose wall time is taken as the "
                    "fixed cost (0: none)")
    ap.add_argument("--reps", type=int, default=5,
                    help="runs of every size, interleaved; medians reported")
    ap.add_argument("--time-from", type=int, default=1000000,
                    help="compare the time per sample from the first size "
                    "at least this large")
    ap.add_argument("--isolate", action="store_true",
                    help="plugin in a host process of its own (model.isolate; "
                    "default false: the sweep's own cost per sample)")
    ap.add_argument("--launcher", default=None,
                    help="launcher command line, split on spaces, e.g. "
                    "'mpirun --allow-run-as-root --oversubscribe -n 4'")
    a = ap.parse_args()
    launcher = a.launcher.split() if a.launcher else []
    if a.j is None and not launcher:
        a.j = "2"
    jobs = ["-j", a.j] if a.j is not None else []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sizes = ([a.fixed] if a.fixed else []) + a.n
        runs = {n: [] for n in sizes}
        for rep in range(max(a.reps, 1)):  # A B C A B C ...: load hits all alike
            for n in sizes:
                runs[n].append(run_one(a, tmp, n, rep, jobs, launcher))
        for n in sizes:
            rs = sorted(runs[n], key=lambda r: r[1])  # by wall time
            med = rs[len(rs) // 2]
            kib = sorted(r[0] for r in runs[n])[len(rs) // 2]
            rows.append((n, kib, med[1], med[2]))
    fixed = rows.pop(0)[2] if a.fixed else 0.0
    if a.fixed:
        print(f"fixed cost: {fixed:.3f} s (a run of {a.fixed} samples); "
              f"isolate: {'true' if a.isolate else 'false'}")
    if launcher:
        print(f"launcher: {' '.join(launcher)}; backend {a.backend} {' '.join(jobs)}")
        base = rows[0][3][0]
        print(f"{'samples':>10} {'rank 0 (MiB)':>13} {'ratio':>7} {'other ranks':>12} "
              f"{'job max':>9} {'ratio':>7} {'wall (s)':>9} {'samples/s':>10}")
    else:
        base = rows[0][1]
        print(f"{'samples':>10} {'peak RSS (MiB)':>15} {'ratio':>7} {'wall (s)':>9} "
              f"{'samples/s':>10} {'us/sample':>10} {'ratio':>7}")
    def per_sample(n, wall):
        return max(wall - fixed, 1e-9) / max(n - a.fixed, 1)

    per0 = per_sample(rows[0][0], rows[0][2])
    worst = 0.0
    for n, kib, wall, peaks in rows:
        if launcher:
            r0 = peaks[0]
            others = max([v for k, v in peaks.items() if k != 0], default=0)
            ratio = r0 / base
            print(f"{n:>10} {r0 / 1024:>13.1f} {ratio:>7.3f} {others / 1024:>12.1f} "
                  f"{kib / 1024:>9.1f} {kib / rows[0][1]:>7.3f} {wall:>9.2f} {n / wall:>10.0f}")
        else:
            ratio = kib / base
            print(f"{n:>10} {kib / 1024:>15.1f} {ratio:>7.3f} {wall:>9.2f} {n / wall:>10.0f} "
                  f"{per_sample(n, wall) * 1e6:>10.3f} {per_sample(n, wall) / per0:>7.3f}")
        worst = max(worst, ratio)
    if not launcher and len(rows) > 1:
        n, kib, wall, _ = rows[-1]
        # The time is compared from the first size with work enough to time
        # (10^6: 10^5 samples take ~0.03 s against ~0.04 s of start-up, and
        # their slope moved from 0.16 to 0.25 us between three runs).
        t0 = next((r for r in rows if r[0] >= a.time_from), rows[0])
        tr = per_sample(n, wall) / per_sample(t0[0], t0[2])
        mr = kib / base
        print(f"SUMMARY|B8|time per sample at {n} vs {t0[0]} samples|{tr:.2f}|<= 1.2|"
              f"{'yes' if tr <= 1.2 else 'NO'}")
        print(f"SUMMARY|B8|peak RSS at {n} vs {rows[0][0]} samples|{mr:.2f}|<= 1.1|"
              f"{'yes' if mr <= 1.1 else 'NO'}")
    if a.max_ratio and worst > a.max_ratio:
        sys.exit(f"mem_growth.py: peak memory ratio {worst:.3f} > {a.max_ratio}")


if __name__ == "__main__":
    main()
