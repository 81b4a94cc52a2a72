#!/usr/bin/python3
"""server.kill_resume (issue 12, acceptance 4; SPEC §3.1): SIGKILL of the
run mid-sweep, then --resume, with a server model (fork -j 2, 20 ms per
sample).

1. SIGKILL of parsweep and its fork workers (their process group: the
   servers are in groups of their own, as a batch system's kill of the
   job step would leave them if it missed them): every server notices
   (EOF on its fd 3) and exits by itself within seconds.
2. --resume, killed again, this time the whole session (servers too).
3. --resume with 30 s samples, SIGTERM: exit 4 within seconds (the running
   samples cancelled, not recorded), no server left.
4. --resume to the end: exit 0; the file holds every sample once, ok and
   exact; no sample journaled at a kill was evaluated again (by the
   server's own evaluation log), every sample was evaluated; nothing is
   left beside the output and no server is running.
5. SIGUSR1 (the walltime warning) with 0.5 s samples: the samples running
   finish and are recorded (exactly those the server evaluated), exit 4,
   no server left; --resume evaluates each of the others once.
"""
import os
import signal
import time

import numpy as np

from clitest import check, describe, read_results, run, step
from faultlib import journal_indices, kill_session, leftovers, recorded, start, wait_for
from srvtest import (builds, check_values, evals, grid, main, none_alive, server_pids, server_spec,
                     signal_run)


def test(args, tmp):
    n = grid()[0].size
    spec, log = server_spec(tmp, [args.server, "--eval-sleep=0.02", "--noise"], "timeout: 30")
    out = os.path.join(tmp, "r.h5")
    cmd = ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"]

    with step("SIGKILL of parsweep and its workers: the servers leave by themselves"):
        p = start(args, tmp, cmd)
        wait_for(lambda: len(evals(log)) >= 25, "25 evaluations", proc=p)
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate(timeout=30)
        rec1 = set(journal_indices(out, 3, 6)) | recorded(out)
        pids = server_pids(log)
        check(len(pids) == 2, f"{len(pids)} servers started")
        left = none_alive(pids, within=10)
        check(not left, f"servers {left} still running 10 s after parsweep was killed")
        check(not os.path.exists(out), "r.h5 exists after a killed run")
        check(len(rec1) >= 10, f"only {len(rec1)} samples journaled")

    with step("--resume, SIGKILL of the whole session midway"):
        n1 = len(evals(log))
        p = start(args, tmp, cmd + ["--resume"])
        wait_for(lambda: len(evals(log)) >= n1 + 25, "25 more evaluations", proc=p)
        kill_session(p)
        again = set(evals(log)[n1:]) & rec1
        check(not again, f"samples journaled before the kill evaluated again: {sorted(again)}")
        rec2 = set(journal_indices(out, 3, 6)) | recorded(out)
        check(rec2 > rec1, "nothing new journaled")

    with step("--resume, SIGTERM mid-sample: exit 4, the running samples not run, servers stopped"):
        n2 = len(evals(log))
        p = start(args, tmp, cmd + ["--resume"], env={"PSW_TEST_SERVER_EVAL_SLEEP": "30"})
        wait_for(lambda: len(builds(log)) >= 2 + len(pids) + 2, "two new servers", proc=p)
        time.sleep(0.3)  # both are inside their 30 s sample now
        signal_run(p, signal.SIGTERM)
        check(len(evals(log)) == n2, "a sample finished although each took 30 s")
        check(not none_alive(server_pids(log)), "a server outlived the run")
        rec2 = set(journal_indices(out, 3, 6)) | recorded(out)

    with step("--resume to the end: every sample once, exact; nothing left"):
        n2 = len(evals(log))
        p, _ = run(args, cmd + ["--resume"], tmp)
        check(p.returncode == 0, describe(p))
        again = set(evals(log)[n2:]) & rec2
        check(not again, f"journaled samples evaluated again: {sorted(again)}")
        check(set(evals(log)) == set(range(n)), "a sample was never evaluated")
        r = read_results(out)
        check((r["status"] == 1).all(), "a sample is not ok")
        check_values(r, "after resume")
        check(leftovers(tmp, "r.h5") == [], f"left beside r.h5: {leftovers(tmp, 'r.h5')}")
        check(not none_alive(server_pids(log)), "a server is still running")
        print(f"   {len(evals(log))} evaluations for {n} samples over 3 runs (2 killed), "
              f"{len(builds(log))} server starts")


    with step("SIGUSR1 (drain): the running samples finish and are recorded, exit 4; --resume completes"):
        spec, log = server_spec(tmp, [args.server], "timeout: 30", name="u.yaml")
        out = os.path.join(tmp, "u.h5")
        cmd = ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"]
        p = start(args, tmp, cmd, env={"PSW_TEST_SERVER_EVAL_SLEEP": "0.5"})
        wait_for(lambda: len(builds(log)) == 2, "two servers", proc=p)
        time.sleep(0.3)  # both are inside their first 0.5 s sample
        signal_run(p, signal.SIGUSR1, within=10)
        done = evals(log)
        check(len(done) >= 2, f"only {len(done)} samples finished after the drain")
        r = read_results(out)
        check(set(np.flatnonzero(r["status"] != 0).tolist()) == set(done),
              f"recorded {np.flatnonzero(r['status'] != 0).tolist()}, evaluated {done}")
        check(not none_alive(server_pids(log)), "a server outlived the drained run")
        p, _ = run(args, cmd + ["--resume"], tmp)
        check(p.returncode == 0, describe(p))
        check(sorted(evals(log)) == list(range(n)), "--resume: not every sample evaluated exactly once")
        check_values(read_results(out), "after the drain and --resume")


if __name__ == "__main__":
    main(test)
