#!/usr/bin/python3
"""server.startup (issue 12, acceptance 3; SPEC §3.1): a server that exits
before it is ready, one that never becomes ready within init_timeout, one
that says something else than "ready", a missing program and one that is
not executable: `parsweep run` exits 1 with exactly one line on stderr that
names the command, and the directory (an earlier results.h5 in it) is left
byte for byte as it was. A start-up is retried once (two starts logged
per worker). A server whose restart fails mid-run (it died at a sample,
and then cannot start twice) also stops the run with exit 1 and one line
naming it; the samples finished before are kept for --resume. SIGTERM
while the servers are starting (a 60 s build) stops the run at once: exit
4, nothing written, no server left.
"""
import os
import signal
import time

from clitest import check, describe, read_results, run, step
from faultlib import start, wait_for
from srvtest import builds, check_values, evals, main, none_alive, server_pids, server_spec, signal_run


def snapshot(d):
    return {x: open(os.path.join(d, x), "rb").read() for x in sorted(os.listdir(d))}


def refused(args, tmp, name, argv, extra, flags, want, starts):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    spec, log = server_spec(d, argv, extra)
    with open(os.path.join(d, "results.h5"), "wb") as f:
        f.write(b"an earlier result" + os.urandom(32))
    before = snapshot(d)
    os.unlink(log) if os.path.exists(log) else None
    t0 = time.monotonic()
    p, _ = run(args, ["run", spec, "-q", "--force"] + flags, d, timeout=60)
    wall = time.monotonic() - t0
    lines = p.stderr.splitlines()
    check(p.returncode == 1, f"{name}: expected exit 1: " + describe(p))
    check(len(lines) == 1, f"{name}: expected one line on stderr, got {len(lines)}:\n{p.stderr[-2000:]}")
    check(argv[0] in lines[0] and want in lines[0], f"{name}: the line does not name the command "
          f"and say '{want}': {lines[0]}")
    check(p.stdout == "", f"{name}: stdout {p.stdout!r}")
    after = snapshot(d)
    after.pop(os.path.basename(log), None)
    check(after == before, f"{name}: the directory changed: {sorted(set(after) ^ set(before))}")
    b = builds(log)
    check(len(b) == starts, f"{name}: {len(b)} starts, expected {starts}")
    check(not none_alive(server_pids(log)), f"{name}: a server outlived the run")
    print(f"   {name}: {lines[0][:150]} ({wall:.2f} s)")
    return wall


def test(args, tmp):
    with step("exits before ready: retried once, then exit 1"):
        refused(args, tmp, "exit", [args.server, "--start=exit:3"], "", ["-b", "serial"],
                "exit status 3", 2)
        refused(args, tmp, "exit2", [args.server, "--start=exit:3"], "", ["-b", "fork", "-j", "2"],
                "before it was ready", 4)
    with step("never ready within init_timeout"):
        wall = refused(args, tmp, "hang", [args.server, "--start=hang"], "init_timeout: 0.5",
                       ["-b", "threads", "-j", "2"], "init_timeout", 4)
        check(wall < 10, f"took {wall:.1f} s for two 0.5 s start-ups")
    with step("says something else than ready"):
        refused(args, tmp, "garbage", [args.server, "--start=garbage"], "", ["-b", "serial"],
                "instead of", 2)
    with step("a missing program, a file that is not executable"):
        refused(args, tmp, "missing", ["/nonexistent/psw-server"], "", ["-b", "serial"],
                "not an executable file", 0)
        refused(args, tmp, "notfound", ["psw-no-such-server-here"], "", ["-b", "serial"],
                "not found on PATH", 0)
        refused(args, tmp, "noexec", [os.path.join(args.repo, "README.md")], "", ["-b", "serial"],
                "not an executable file", 0)

    with step("SIGTERM during a long start-up: exit 4 at once, nothing written, no server left"):
        d = os.path.join(tmp, "term")
        os.mkdir(d)
        spec, log = server_spec(d, [args.server, "--build-sleep=60"])
        p = start(args, d, ["run", spec, "-q", "-b", "fork", "-j", "2"])
        wait_for(lambda: len(builds(log)) == 2, "two servers starting", proc=p)
        wall = signal_run(p, signal.SIGTERM)
        check(sorted(os.listdir(d)) == sorted(["s.yaml", "s.log"]), f"files: {os.listdir(d)}")
        check(not none_alive(server_pids(log)), "a server outlived the run")
        print(f"   stopped in {wall:.2f} s")

    with step("a restart that fails mid-run: exit 1, one line, samples kept for --resume"):
        d = os.path.join(tmp, "mid")
        os.mkdir(d)
        spec, log = server_spec(d, [args.server, "--exit=20:1"])
        p, _ = run(args, ["run", spec, "-q", "-b", "serial"], d, timeout=60,
                   env={"PSW_TEST_SERVER_START_FAIL_AFTER": "1"})
        lines = [ln for ln in p.stderr.splitlines() if "takes over" not in ln]
        check(p.returncode == 1, "expected exit 1: " + describe(p))
        check(len(lines) == 1 and args.server in lines[0] and "started twice" in lines[0],
              "expected one line naming the server: " + p.stderr[-2000:])
        check(len(builds(log)) == 3, f"{len(builds(log))} starts, expected 1 + 2")
        check(not none_alive(server_pids(log)), "a server outlived the run")
        check(not os.path.exists(os.path.join(d, "results.h5")), "results.h5 written")
        print(f"   {lines[0][:150]}")
        first = evals(log)
        check(sorted(first) == list(range(20)), f"evaluated before the stop: {sorted(first)}")
        p, _ = run(args, ["run", spec, "-q", "-b", "serial", "--resume"], d, timeout=60)
        check(p.returncode == 3, "--resume: expected exit 3 (sample 20 crashed): " + describe(p))
        again = set(evals(log)[len(first):]) & set(first)
        check(not again, f"--resume evaluated again {sorted(again)}")
        r = read_results(os.path.join(d, "results.h5"))
        check(r["status"][20] == 4 and r["exit_code"][20] == 1 and (r["status"] != 0).all(),
              f"statuses after --resume: sample 20 {r['status'][20]}/{r['exit_code'][20]}")
        check_values(r, "after --resume")


if __name__ == "__main__":
    main(test)
