#!/usr/bin/python3
"""server.backends (issue 12, acceptance 1 and 5): a server model written
without any helper (tests/models/psw_test_server.c), chatty on stdout and
stderr, on serial, threads (replying in hex floats) and fork (mpi, hybrid:
server.mpi; elastic: server.elastic).

Checked on each: exit 0; results.h5 read with h5py holds the grid and, for
every sample, the formula recomputed here with numpy, bit for bit (a * b +
c, the sum, every parameter echoed back exactly, the index); the servers
started (the "build" lines of its log) number the workers, not the
samples, each with its own PARSWEEP_WORKER; every sample was evaluated
exactly once; no server is left running once parsweep has exited.
Then the two servers of docs/models.md (C and awk) pass the same value
check (issue 12, acceptance 5).
"""
import os
from collections import Counter

from clitest import check, describe, read_results, run, step
from srvtest import builds, check_values, evals, grid, main, none_alive, server_pids, server_spec

BACKENDS = [(["-b", "serial"], 1), (["-b", "threads", "-j", "2"], 2),
            (["-b", "fork", "-j", "3"], 3), (["-b", "MultiProcessing", "-j", "2"], 2)]


def test(args, tmp):
    n = grid()[0].size
    for k, (flags, workers) in enumerate(BACKENDS):
        with step(" ".join(flags)):
            # threads: the replies in hex floats (%a), exact too
            hexf = ["--hex"] if "threads" in flags else []
            spec, log = server_spec(tmp, [args.server, "--noise"] + hexf, "timeout: 30",
                                    name=f"s{k}.yaml", outputs=["prod", "sum", "echo_a", "echo_b",
                                                                "echo_c", "index", "worker"])
            out = f"{tmp}/r{k}.h5"
            p, wall = run(args, ["run", spec, "-o", out, "-q"] + flags, tmp)
            check(p.returncode == 0, describe(p))
            r = read_results(out)
            check((r["status"] == 1).all(), f"statuses {Counter(r['status'].tolist())}")
            check_values(r, " ".join(flags))
            b = builds(log)
            check(len(b) == workers, f"{len(b)} server starts for {workers} workers: {b}")
            check(sorted(int(x[2]) for x in b) == list(range(workers)),
                  f"PARSWEEP_WORKER of the servers: {[x[2] for x in b]}")
            got = Counter(r["outputs"]["worker"].astype(int).tolist())
            check(set(got) <= set(range(workers)), f"worker outputs {got}")
            check(Counter(r["worker"].tolist()) == got,
                  "/parsweep/worker disagrees with the server's PARSWEEP_WORKER")
            e = evals(log)
            check(sorted(e) == list(range(n)), f"{len(e)} evaluations for {n} samples")
            check(not none_alive(server_pids(log)), "a server outlived the run")
            print(f"   {n} samples, {len(b)} servers, {wall:.2f} s")

    # The two servers of docs/models.md, in C and in awk (the protocol
    # without any helper), on one backend each that starts several.
    docs = [("C", [args.doc_server], ["-b", "threads", "-j", "2"]),
            ("awk", ["/bin/sh", os.path.join(args.repo, "tests", "models", "psw_awk_server.sh")],
             ["-b", "fork", "-j", "2"])]
    for k, (lang, argv, flags) in enumerate(docs):
        with step(f"the {lang} server of docs/models.md, {' '.join(flags)}"):
            if lang == "C" and not args.doc_server:
                continue
            spec, _ = server_spec(tmp, argv, "timeout: 30\ninit_timeout: 20", name=f"d{k}.yaml", outputs=["y"],
                                  log_arg=False)
            out = f"{tmp}/d{k}.h5"
            p, wall = run(args, ["run", spec, "-o", out, "-q"] + flags, tmp)
            check(p.returncode == 0, describe(p))
            r = read_results(out)
            check((r["status"] == 1).all(), f"statuses {Counter(r['status'].tolist())}")
            check_values(r, f"{lang} server")
            print(f"   {n} samples, {wall:.2f} s")


if __name__ == "__main__":
    main(test)
