"""elastic.errors: every way `parsweep worker` and the elastic head refuse
to start says so in one line, with the documented exit code (docs/cli.md).

- worker without --connect: 2; an unknown option: 2;
- an endpoint file that never appears (--wait 0.5): 1, naming the file;
- a malformed endpoint file: 1, naming file and line;
- an endpoint whose head is gone (nothing listens): 5 within --wait,
  "never reached the head";
- a worker whose model differs from the head's (another plugin file under
  the same path, seen by the worker only): 1, "differs from the head's";
  the head goes on and finishes with a good worker;
- run --listen with a backend other than elastic: 2; a malformed --listen
  value: 1, naming it; an address that cannot be bound: 1;
- a head SIGKILLed mid-sweep: its worker exits 5 within seconds, "lost the
  connection to the head";
- a late worker whose model cannot start on its node (a relative command
  its directory lacks): it exits 1 naming the command, and the head logs it
  and completes the sweep with the others (exit 0, every sample ok).
"""
import signal
import os
import socket
import time

from clitest import build_spec, check, main, proc, read_results, run, write
from elastictest import other_plugin_worker, plugin_head_dir


def popen(args, tmp, cmd, env=None):
    return proc.start([args.parsweep] + cmd, tmp, env, session=False, text=True)


def one_line(p, code, needle, what):
    err = p.stderr.strip()
    check(p.returncode == code, f"{what}: exit {p.returncode}, not {code}: {err}")
    lines = [ln for ln in err.split("\n") if ln.startswith("parsweep")]
    check(any(needle in ln for ln in lines), f"{what}: no line with {needle!r}: {err}")


def test(args, tmp):
    spec = write(os.path.join(tmp, "s.yaml"), build_spec(
        "e", [("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 20}")],
        ["y"], command=["/bin/echo", "y=1"]))

    p, _ = run(args, ["worker"], tmp)
    one_line(p, 2, "--connect FILE is required", "worker without --connect")
    p, _ = run(args, ["worker", "--connect", "x", "--bogus"], tmp)
    one_line(p, 2, "unknown option", "worker --bogus")

    t0 = time.monotonic()
    p, _ = run(args, ["worker", "--connect", "none.endpoint", "--wait", "0.5"], tmp)
    one_line(p, 1, "none.endpoint: No such file or directory", "missing endpoint")
    check(time.monotonic() - t0 < 10, "waited far longer than --wait")

    bad = write(os.path.join(tmp, "bad.endpoint"), "address: tcp://127.0.0.1:1\nserver_public oops\n")
    p, _ = run(args, ["worker", "--connect", bad], tmp)
    one_line(p, 1, "bad.endpoint:2: expected 'key: value'", "malformed endpoint")

    # A head that is gone: a port nothing listens on.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    key = "0" * 40
    gone = write(os.path.join(tmp, "gone.endpoint"),
                 f"address: tcp://127.0.0.1:{port}\nserver_public: {key}\n"
                 f"client_public: {key}\nclient_secret: {key}\n")
    p, _ = run(args, ["worker", "--connect", gone, "--wait", "1"], tmp)
    one_line(p, 5, "never reached the head", "head gone")

    p, _ = run(args, ["run", spec, "-b", "fork", "--listen", "127.0.0.1:0", "-o", "x.h5"], tmp)
    one_line(p, 2, "--listen applies to -b elastic only", "--listen on fork")
    check(not os.path.exists(os.path.join(tmp, "x.h5")), "x.h5 written")
    p, _ = run(args, ["run", spec, "-b", "elastic", "--listen", "127.0.0.1:99999", "-o", "x.h5"], tmp)
    one_line(p, 1, "cannot listen on '127.0.0.1:99999'", "--listen port out of range")
    p, _ = run(args, ["run", spec, "-b", "elastic", "--listen", "192.0.2.1:0", "-o", "x.h5"], tmp)
    one_line(p, 1, "cannot listen on tcp://192.0.2.1", "--listen on an address not ours")
    check(not os.path.exists(os.path.join(tmp, "x.h5")), "x.h5 written")

    # A worker whose plugin differs from the head's: the same relative path,
    # other bytes, in a directory only the worker runs in (the head's
    # directory does not exist for it: it was renamed after the head read
    # the spec and hashed its plugin).
    if args.plugin:
        hd, pspec = plugin_head_dir(tmp, args.plugin)
        head = popen(args, hd, ["run", pspec, "-b", "elastic", "-o", "p.h5", "-q"])
        ep = os.path.join(hd, "p.h5.endpoint")
        t0 = time.monotonic()
        while not os.path.exists(ep):
            check(time.monotonic() - t0 < 30 and head.poll() is None, "no endpoint from the head")
            time.sleep(0.05)
        p = other_plugin_worker(args, tmp, hd, "p.h5.endpoint")
        one_line(p, 1, "differs from the head's", "a worker with another plugin")
        good = popen(args, hd, ["worker", "--connect", ep, "-j", "1"])
        hout, herr = head.communicate(timeout=60)
        good.communicate(timeout=30)
        check(head.returncode == 0, f"head exit {head.returncode} after the refused worker: {herr}")
        check(good.returncode == 0, f"good worker exit {good.returncode}")

    # The head dies: the worker must not wait for ever.
    slow = write(os.path.join(tmp, "slow.yaml"), build_spec(
        "slow", [("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 500}")],
        ["y"], command=["/bin/sh", "-c", "sleep 0.05; echo y=1"]))
    head = popen(args, tmp, ["run", slow, "-b", "elastic", "-o", "slow.h5", "-q"])
    ep = os.path.join(tmp, "slow.h5.endpoint")
    t0 = time.monotonic()
    while not os.path.exists(ep):
        check(time.monotonic() - t0 < 30 and head.poll() is None, "no endpoint from the head")
        time.sleep(0.05)
    w = popen(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    time.sleep(1.5)
    check(w.poll() is None, "the worker ended before the head was killed")
    head.send_signal(signal.SIGKILL)
    head.communicate(timeout=30)
    t0 = time.monotonic()
    wout, werr = w.communicate(timeout=60)
    took = time.monotonic() - t0
    check(w.returncode == 5, f"worker exit {w.returncode} after the head died: {werr}")
    check("lost the connection to the head" in werr, f"worker said: {werr}")
    check(took < 15, f"the worker took {took:.1f} s to notice")

    # A late joiner whose model will not start does not fail the sweep.
    hd2 = os.path.join(tmp, "cmdhead")
    os.mkdir(hd2)
    write(os.path.join(hd2, "m.sh"), "#!/bin/sh\nsleep 0.02\necho y=1\n")
    os.chmod(os.path.join(hd2, "m.sh"), 0o755)
    cspec = write(os.path.join(hd2, "c.yaml"), build_spec(
        "c", [("a", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 300}")],
        ["y"], command=["./m.sh"]))
    head = popen(args, hd2, ["run", cspec, "-b", "elastic", "-o", "c.h5", "-q"],
                 env={"PARSWEEP_LOG": "warn"})
    ep = os.path.join(hd2, "c.h5.endpoint")
    t0 = time.monotonic()
    while not os.path.exists(ep):
        check(time.monotonic() - t0 < 30 and head.poll() is None, "no endpoint from the head")
        time.sleep(0.05)
    good = popen(args, hd2, ["worker", "--connect", ep, "-j", "1"])
    time.sleep(1.0)
    nodir = os.path.join(tmp, "nodir")
    os.mkdir(nodir)
    moved = hd2 + ".moved"
    os.rename(hd2, moved)  # the head's directory is not there for it
    try:
        p, _ = run(args, ["worker", "--connect", os.path.join(moved, "c.h5.endpoint"), "-j", "1"],
                   nodir)
    finally:
        os.rename(moved, hd2)
    one_line(p, 1, "./m.sh", "a late worker whose command is missing")
    hout, herr = head.communicate(timeout=120)
    good.communicate(timeout=30)
    check(head.returncode == 0, f"head exit {head.returncode} after a worker failed: {herr}")
    check("left the region" in herr, f"the head did not log the failed worker: {herr[-1500:]}")
    check(good.returncode == 0, f"good worker exit {good.returncode}")
    r = read_results(os.path.join(hd2, "c.h5"))
    check(len(r["status"]) == 300 and (r["status"] == 1).all(),
          f"statuses after the failed worker: {sorted(set(r['status'].tolist()))}")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
