"""`parsweep info` end to end (standard library only).

    python3 test_info_cli.py --parsweep PATH                 # no launcher
    python3 test_info_cli.py --parsweep PATH --mpirun CMD... # under mpirun

Without --mpirun: a synthetic description (--topology or PARSWEEP_TOPOLOGY)
is reported exactly as described, for every rank of several descriptions,
with the plan auto picks; without one, the local machine; usage errors exit
2. With --mpirun: `CMD -n 2 parsweep info --json` reports, on both ranks,
a job of 2 read from PMIx. Exits 0 on success, 1 with the reason otherwise.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

FAILED = []


def check(cond, what):
    if not cond:
        FAILED.append(what)
        print("FAIL:", what, flush=True)


def clean_env(**extra):
    """The environment without any launcher's variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMIX_", "OMPI_", "SLURM_", "PARSWEEP_"))}
    env.update(extra)
    return env


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       env=env if env is not None else clean_env())
    return p.returncode, p.stdout, p.stderr


def info_json(psw, args, env=None):
    rc, out, err = run([psw, "info", "--json"] + args, env)
    check(rc == 0, f"info --json {args}: exit {rc}, stderr {err!r}")
    lines = out.splitlines()
    check(len(lines) == 1, f"info --json {args}: {len(lines)} lines")
    return json.loads(lines[0]) if lines else {}


def placement(counts, cyclic):
    """rank -> (node, local rank), computed independently of the C code."""
    where, used, r = [], [0] * len(counts), 0
    if not cyclic:
        for node, c in enumerate(counts):
            where += [(node, j) for j in range(c)]
        return where
    while r < sum(counts):
        for node, c in enumerate(counts):
            if used[node] < c:
                where.append((node, used[node]))
                used[node] += 1
                r += 1
    return where


def expect_plan(counts, cpr, names, local_size):
    """SPEC §1's auto as plan.h states it, for a synthetic topology and the
    backends this build lists."""
    have_mpi, have_hyb = "mpi" in names, "hybrid" in names
    if sum(counts) == 1 or not (have_mpi or have_hyb):
        return "fork", cpr
    want_mpi = cpr == 1
    if want_mpi and not have_mpi:
        want_mpi = False
    if not want_mpi and not have_hyb:
        want_mpi = True
    if want_mpi:
        return "mpi", 1
    return "hybrid", 1 if local_size > 1 else cpr


def test_synthetic(psw):
    cases = [
        # desc, counts per node, cpus per rank, cyclic
        ("nodes:2 ranks_per_node:3 cpus_per_rank:4", [3, 3], 4, False),
        ("ranks:2,1,3 dist:cyclic", [2, 1, 3], 1, True),
        ("nodes:4 cpus_per_rank:8 hostnames:cn%02d", [1] * 4, 8, False),
        ("cpus_per_rank:6", [1], 6, False),
    ]
    for desc, counts, cpr, cyclic in cases:
        where = placement(counts, cyclic)
        for rank in range(sum(counts)):
            full = f"{desc} rank:{rank}"
            j = info_json(psw, ["--topology", full])
            if not j:
                continue
            node, lrank = where[rank]
            peers = [q for q in range(len(where)) if where[q][0] == node]
            fmt = desc.split("hostnames:")[1] if "hostnames:" in desc \
                else "node%d"
            want = {
                "job_size": sum(counts), "rank": rank, "nodes": len(counts),
                "node_id": node, "local_rank": lrank,
                "local_size": counts[node], "local_peers": peers,
                "hostname": fmt % node, "cpus": cpr,
                "cpu_list": list(range(lrank * cpr, lrank * cpr + cpr)),
                "topology": full,
            }
            for k, v in want.items():
                check(j.get(k) == v, f"{full}: {k} = {j.get(k)!r}, want {v!r}")
            for k in ("job_size", "rank", "nodes", "node_id", "local_rank",
                      "local_size", "local_peers", "hostname", "cpus"):
                check(j.get(k + "_source") == "synthetic",
                      f"{full}: {k}_source = {j.get(k + '_source')!r}")
            be, workers = expect_plan(counts, cpr,
                                      j.get("backends", "").split(),
                                      counts[node])
            check(j.get("backend") == be and j.get("workers") == workers,
                  f"{full}: plan {j.get('backend')}/{j.get('workers')}, "
                  f"want {be}/{workers} ({j.get('reason')})")
            check(j.get("available") is True, f"{full}: not available")
            check(isinstance(j.get("reason"), str) and j["reason"],
                  f"{full}: no reason")

    # PARSWEEP_TOPOLOGY is the same as --topology.
    desc = "nodes:2 ranks_per_node:3 cpus_per_rank:4 rank:4"
    a = info_json(psw, ["--topology", desc])
    b = info_json(psw, [], clean_env(PARSWEEP_TOPOLOGY=desc))
    check(a == b, f"--topology and PARSWEEP_TOPOLOGY differ:\n{a}\n{b}")

    # The text form names every fact with its source.
    rc, out, err = run([psw, "info", "--topology", desc])
    check(rc == 0, f"info --topology: exit {rc} {err}")
    for want in ("job size     6", "nodes        2", "node id      1",
                 "local peers  3-5", "cpus         4: 4-7", "node1",
                 "(source: synthetic)", "because"):
        check(want in out, f"text output lacks {want!r}:\n{out}")

    # -b and -j plan for a named backend.
    j = info_json(psw, ["--topology", "cpus_per_rank:8", "-b", "threads",
                        "-j", "3"])
    check(j.get("backend") == "threads" and j.get("workers") == 3
          and j.get("requested") == "threads" and j.get("jobs") == 3,
          f"-b threads -j 3: {j}")
    j = info_json(psw, ["--topology", "cpus_per_rank:8", "-b",
                        "MultiProcessing"])
    check(j.get("backend") == "fork" and j.get("workers") == 8, f"alias: {j}")
    j = info_json(psw, ["--topology", "cpus_per_rank:8", "-b", "nonsense"])
    check(j.get("backend") == "serial" and j.get("warning") is True,
          f"unknown backend: {j}")


def test_local(psw):
    j = info_json(psw, [])
    ncpu = len(os.sched_getaffinity(0))
    for k, v in {"job_size": 1, "rank": 0, "nodes": 1, "node_id": 0,
                 "local_rank": 0, "local_size": 1, "local_peers": [0],
                 "cpus": ncpu, "cpu_list": sorted(os.sched_getaffinity(0)),
                 "hostname": os.uname().nodename, "topology": None,
                 "backend": "fork", "workers": ncpu}.items():
        check(j.get(k) == v, f"local: {k} = {j.get(k)!r}, want {v!r}")
    for k in ("job_size", "nodes", "cpus", "hostname"):
        check(j.get(k + "_source") == "local",
              f"local: {k}_source = {j.get(k + '_source')!r}")


def test_usage(psw):
    for args, code, what in [
        (["--topology", "nodes:2 cores:4"], 2, "'cores:4'"),
        (["--topology"], 2, "needs a value"),
        (["--bogus"], 2, "unknown option"),
        (["extra"], 2, "unexpected argument"),
        (["-j", "-3"], 2, "-j needs"),
    ]:
        rc, out, err = run([psw, "info"] + args)
        check(rc == code and what in err,
              f"info {args}: exit {rc}, stderr {err!r}; want {code}, {what!r}")
    rc, out, err = run([psw, "info"], clean_env(PARSWEEP_TOPOLOGY="nodes:x"))
    check(rc == 1 and "PARSWEEP_TOPOLOGY" in err and "'nodes:x'" in err,
          f"bad PARSWEEP_TOPOLOGY: exit {rc}, stderr {err!r}")
    rc, out, err = run([psw, "info", "--help"])
    check(rc == 0 and "--topology DESC" in out, f"--help: {rc} {out!r}")


def test_mpirun(psw, mpirun):
    cmd = shlex.split(mpirun) + ["-n", "2", psw, "info", "--json"]
    env = clean_env()
    rc, out, err = run(cmd, env)
    check(rc == 0, f"{' '.join(cmd)}: exit {rc}\n{err}")
    reports = [json.loads(line) for line in out.splitlines() if line.strip()]
    check(len(reports) == 2, f"{len(reports)} reports:\n{out}\n{err}")
    check(sorted(r.get("rank") for r in reports) == [0, 1],
          f"ranks: {[r.get('rank') for r in reports]}")
    for r in reports:
        for k, v in {"job_size": 2, "nodes": 1, "node_id": 0,
                     "local_size": 2, "local_peers": [0, 1],
                     "local_rank": r.get("rank")}.items():
            check(r.get(k) == v, f"rank {r.get('rank')}: {k} = {r.get(k)!r}")
        for k in ("job_size", "rank", "nodes", "node_id", "local_rank",
                  "local_size", "local_peers", "hostname"):
            check(r.get(k + "_source") == "PMIx",
                  f"rank {r.get('rank')}: {k}_source = "
                  f"{r.get(k + '_source')!r}")
        check(r.get("backend") in ("mpi", "hybrid", "fork"),
              f"backend {r.get('backend')}")
        print(f"rank {r['rank']}: {r['backend']}: {r['reason']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parsweep", required=True)
    ap.add_argument("--mpirun", default=None,
                    help="launcher command line without -n (one string)")
    a = ap.parse_args()
    if a.mpirun:
        test_mpirun(a.parsweep, a.mpirun)
    else:
        test_synthetic(a.parsweep)
        test_local(a.parsweep)
        test_usage(a.parsweep)
    print("FAILED" if FAILED else "ok", len(FAILED) or "")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
