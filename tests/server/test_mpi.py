#!/usr/bin/python3
"""server.mpi (issue 12, acceptance 1 and 5 under a launcher): the C test
server under `mpirun -n 3 parsweep run -b mpi` and `mpirun -n 2 parsweep
run -b hybrid -j 2`: exit 0, every sample ok with the formula recomputed
here bit for bit, one server per worker (3, then 4: the "build" lines of
its log, with distinct PARSWEEP_WORKER values), every sample evaluated
once, and no server running after mpirun has returned.
"""
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mpi"))

from clitest import check, describe, read_results, step  # noqa: E402
from mpitest import mpirun  # noqa: E402
from srvtest import builds, check_values, evals, grid, main, none_alive, server_pids, server_spec  # noqa: E402

RUNS = [(3, ["-b", "mpi"], 3), (2, ["-b", "hybrid", "-j", "2"], 4)]


def test(args, tmp):
    if not args.mpirun:
        print("SKIP: no MPI launcher")
        sys.exit(77)
    n = grid()[0].size
    for k, (ranks, flags, workers) in enumerate(RUNS):
        with step(f"mpirun -n {ranks} parsweep run {' '.join(flags)}"):
            spec, log = server_spec(tmp, [args.server, "--noise"], "timeout: 30",
                                    name=f"s{k}.yaml", outputs=["prod", "sum", "echo_a", "echo_b",
                                                                "echo_c", "index", "worker"])
            out = f"r{k}.h5"
            p, wall = mpirun(args, ranks, ["run", spec, "-o", out, "-q"] + flags, cwd=tmp, timeout=120)
            check(p.returncode == 0, describe(p))
            r = read_results(os.path.join(tmp, out))
            check((r["status"] == 1).all(), f"statuses {Counter(r['status'].tolist())}")
            check_values(r, " ".join(flags))
            b = builds(log)
            ids = sorted(int(x[2]) for x in b)
            check(len(b) == workers and ids == list(range(workers)),
                  f"{len(b)} server starts for {workers} workers, PARSWEEP_WORKER {ids}")
            check(Counter(r["worker"].tolist()) == Counter(r["outputs"]["worker"].astype(int).tolist()),
                  "/parsweep/worker disagrees with the server's PARSWEEP_WORKER")
            check(sorted(evals(log)) == list(range(n)), "not every sample evaluated once")
            check(not none_alive(server_pids(log)), "a server outlived the run")
            print(f"   {n} samples, {len(b)} servers, {wall:.1f} s")


if __name__ == "__main__":
    main(test, prefix="psw-server-mpi-")
