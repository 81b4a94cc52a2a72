#!/usr/bin/python3
"""server.faults (issue 12, acceptance 2; SPEC §3.1): in one run, with a
server chatty on stdout and stderr (blank lines, "name=value" lines for
the real output names, "ok 0 1 2 3" and "ready" lines), samples that the
server reports as errors, that come back NaN, during which the server
exits or dies of SIGSEGV, that hang past the timeout, and replies that
break the protocol (another index, too few values, garbage, a 4 MiB line).

Each is recorded with SPEC §3.1's status and exit_code (error/NaN/protocol:
failed 2, exit code 0; exit 7: crashed 4, 7; SIGSEGV: crashed 4, -11;
hang: timed out 3, -15 after SIGTERM); every other sample is ok and
exact; one new server per death (1 + 7), none otherwise; the run
exits 3; nothing is left running. Then retries: 1 with a server that dies
at a sample only the first time: the retry (on a new server) is ok.
"""
from collections import Counter

import numpy as np

from clitest import check, describe, read_results, run, step
from srvtest import builds, check_values, evals, grid, main, none_alive, server_pids, server_spec

FAULTS = {  # index: (option, status, exit_code)
    3: ("--error=3", 2, 0),
    10: ("--nan=10", 2, 0),
    20: ("--exit=20:7", 4, 7),
    30: ("--segv=30", 4, -11),
    40: ("--hang=40", 3, -15),
    50: ("--bad-index=50", 2, 0),
    60: ("--short=60", 2, 0),
    70: ("--garbage=70", 2, 0),
    80: ("--long=80", 2, 0),
}
DEATHS = 7  # exit, segv, hang, and the four protocol errors


def test(args, tmp):
    n = grid()[0].size
    with step("every fault in one run, serial, timeout 1 s"):
        opts = [f[0] for f in FAULTS.values()]
        spec, log = server_spec(tmp, [args.server, "--noise"] + opts, "timeout: 1")
        out = f"{tmp}/r.h5"
        # Serial: every death is followed by more samples on the same
        # worker, so each costs exactly one new start (a server is started
        # again for the next sample, not when there is none).
        p, wall = run(args, ["run", spec, "-o", out, "-q", "-b", "serial"], tmp)
        check(p.returncode == 3, "expected exit 3 (some samples failed): " + describe(p))
        r = read_results(out)
        for i, (_, st, code) in FAULTS.items():
            check(r["status"][i] == st and r["exit_code"][i] == code,
                  f"sample {i} ({FAULTS[i][0]}): status {r['status'][i]} exit_code "
                  f"{r['exit_code'][i]}, expected {st} {code}")
        others = np.ones(n, bool)
        others[list(FAULTS)] = False
        check((r["status"][others] == 1).all(),
              f"other samples not all ok: {Counter(r['status'][others].tolist())}")
        check((r["exit_code"][others] == 0).all(), "an ok sample with a non-zero exit_code")
        check_values(r, "faults")
        b = builds(log)
        check(len(b) == 1 + DEATHS, f"{len(b)} server starts, expected 1 + {DEATHS}")
        e = Counter(evals(log))
        replied = set(range(n)) - {20, 30, 40, 80}
        check(set(e) == replied and max(e.values()) == 1,
              f"evaluations: {sorted(set(range(n)) - set(e))} missing, "
              f"{[i for i, c in e.items() if c > 1]} repeated")
        check("refused (asked to)" in p.stderr, "the server's error text is not in the log")
        check(not none_alive(server_pids(log)), "a server outlived the run")
        print(f"   {n} samples, {len(b)} server starts, {wall:.2f} s")

    with step("the same on fork -j 2: statuses, values, at most one start per death"):
        out = f"{tmp}/f.h5"
        spec, log = server_spec(tmp, [args.server, "--noise"] + opts, "timeout: 1", name="f.yaml")
        p, wall = run(args, ["run", spec, "-o", out, "-q", "-b", "fork", "-j", "2"], tmp)
        check(p.returncode == 3, "expected exit 3: " + describe(p))
        r2 = read_results(out)
        for key in ("status", "exit_code"):
            check(np.array_equal(r2[key], r[key]), f"fork: {key} differs from serial")
        check_values(r2, "faults on fork")
        nb = len(builds(log))
        check(2 <= nb <= 2 + DEATHS, f"{nb} server starts for 2 workers and {DEATHS} deaths")
        check(not none_alive(server_pids(log)), "a server outlived the run")

    with step("retries: 1, the first server dies at sample 5: the retry is ok"):
        spec, log = server_spec(tmp, [args.server, "--exit=5:9@1"], "retries: 1", name="t.yaml")
        out = f"{tmp}/t.h5"
        p, _ = run(args, ["run", spec, "-o", out, "-q", "-b", "serial"], tmp)
        check(p.returncode == 0, describe(p))
        r = read_results(out)
        check((r["status"] == 1).all(), f"statuses {Counter(r['status'].tolist())}")
        check_values(r, "retries")
        check(len(builds(log)) == 2, f"{len(builds(log))} server starts, expected 2")
        check(Counter(evals(log))[5] == 1, "sample 5 not evaluated once by the second server")
        check(not none_alive(server_pids(log)), "a server outlived the run")


if __name__ == "__main__":
    main(test)
