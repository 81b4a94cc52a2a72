"""elastic.security: only workers holding the sweep's key get in, and the
traffic is encrypted (issue 8, acceptance 3).

A head listens on loopback; tcpdump captures every packet of its port. A
worker given an endpoint file with another key pair (made with libzmq's
zmq_curve_keypair) is refused: it exits 1 with one line naming the refusal,
never gets a worker id, and the head logs the refusal. A worker with the
right file runs the sweep. The capture is then searched for every parameter
value, as text (the spec the head sends) and as an IEEE double (the records
sent back): none may appear. As a control, the capture must hold the ZMTP
greeting's mechanism name "CURVE", which is plain text by design, and a
fair amount of traffic. Needs root and tcpdump (skipped, 77, otherwise).
"""
import ctypes
import ctypes.util
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np

from clitest import build_spec, check, main, proc, read_results, write

VALUES = [98765.4321 + 1.25 * k for k in range(16)]


def keypair():
    lib = ctypes.CDLL(ctypes.util.find_library("zmq") or "libzmq.so.5")
    pub, sec = ctypes.create_string_buffer(41), ctypes.create_string_buffer(41)
    check(lib.zmq_curve_keypair(pub, sec) == 0, "zmq_curve_keypair failed")
    return pub.value.decode(), sec.value.decode()


def wait_for(pred, what, timeout=30):
    t0 = time.monotonic()
    while not pred():
        check(time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s")
        time.sleep(0.02)


def popen(args, tmp, cmd, env=None):
    return proc.start([args.parsweep] + cmd, tmp, {"PARSWEEP_LOG": "info", **(env or {})},
                      session=False, text=True)


def test(args, tmp):
    tcpdump = shutil.which("tcpdump") or ("/usr/bin/tcpdump" if os.path.exists("/usr/bin/tcpdump") else None)
    if os.geteuid() != 0 or not tcpdump:
        print("SKIP: needs root and tcpdump to capture loopback traffic")
        sys.exit(77)
    arr = ", ".join(repr(v) for v in VALUES)
    spec = write(
        os.path.join(tmp, "s.yaml"),
        build_spec(
            "secret",
            [("p", f"{{type: PredeterminedFixedSample, array: [{arr}]}}"),
             ("q", "{type: LinearSample, lower_limit: 0.5, upper_limit: 0.75, num_samples: 2}")],
            ["y"],
            command=["/bin/echo", "y=1"],
        ),
    )
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    head = popen(args, tmp, ["run", spec, "-b", "elastic", "-o", out, "-q"])
    wait_for(lambda: os.path.exists(ep) or head.poll() is not None, "the endpoint file")
    check(head.poll() is None, "the head ended before listening")
    with open(ep) as f:
        lines = dict(ln.rstrip("\n").split(": ", 1) for ln in f if ": " in ln)
    port = lines["address"].rsplit(":", 1)[1]
    check(lines["address"].startswith("tcp://127.0.0.1:"), f"head listens on {lines['address']}")

    cap = os.path.join(tmp, "cap.pcap")
    # --immediate-mode: else packets wait in the kernel's ring for up to a
    # second, and a sweep shorter than that leaves the capture empty.
    dump = subprocess.Popen([tcpdump, "-i", "lo", "-U", "--immediate-mode", "-n", "-w", cap, f"tcp port {port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # tcpdump says "listening on lo" once capturing.
    line = dump.stderr.readline()
    check("listening" in line, f"tcpdump did not start: {line}")

    # The wrong key: the same head and server key, another client key pair.
    pub, sec = keypair()
    bad = os.path.join(tmp, "bad.endpoint")
    write(bad, f"address: {lines['address']}\nserver_public: {lines['server_public']}\n"
               f"client_public: {pub}\nclient_secret: {sec}\n")
    os.chmod(bad, 0o600)
    t0 = time.monotonic()
    w_bad = popen(args, tmp, ["worker", "--connect", bad, "-j", "1"],
                  env={"PSW_ELASTIC_CONNECT_TIMEOUT": "20"})
    bout, berr = w_bad.communicate(timeout=60)
    took = time.monotonic() - t0
    check(w_bad.returncode == 1, f"wrong-key worker exit {w_bad.returncode}: {berr}")
    check("refused this worker's key" in berr, f"wrong-key worker said: {berr}")
    check("connected to" not in berr, f"wrong-key worker got in: {berr}")
    check(took < 15, f"the refusal took {took:.1f} s")

    w = popen(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    hout, herr = head.communicate(timeout=120)
    wout, werr = w.communicate(timeout=60)
    check(head.returncode == 0, f"head exit {head.returncode}: {herr[-2000:]}")
    check(w.returncode == 0, f"worker exit {w.returncode}: {werr[-2000:]}")
    check("refused a worker from" in herr and "its key is not this sweep's" in herr,
          f"the head did not log the refusal:\n{herr[-2000:]}")
    time.sleep(0.5)
    dump.send_signal(signal.SIGINT)
    dump.communicate(timeout=30)

    r = read_results(out)
    check((r["status"] == 1).all() and len(r["status"]) == 2 * len(VALUES), "the sweep did not complete")
    check(set(r["params"]["p"]) == set(VALUES), "the recorded p are not the spec's values")
    check(set(int(x) for x in r["worker"]) == {1}, f"workers {set(r['worker'])}: the refused one got an id")

    # The search can see a double: results.h5 holds them in the clear.
    with open(out, "rb") as f:
        h5 = f.read()
    check(sum(struct.pack("<d", v) in h5 for v in VALUES) == len(VALUES),
          "the search does not find the values in results.h5 itself")
    with open(cap, "rb") as f:
        data = f.read()
    check(len(data) > 8000, f"only {len(data)} bytes captured")
    check(b"CURVE" in data, "the capture holds no ZMTP CURVE greeting (captured the wrong traffic?)")
    leaks = []
    for v in VALUES + [0.5, 0.75]:
        for pat in (repr(v).encode(), struct.pack("<d", v)):
            if pat in data:
                leaks.append((v, pat))
    check(not leaks, f"parameter values in the clear on the wire: {leaks[:4]}")
    print(f"captured {len(data)} bytes on port {port}; no parameter value in the clear; "
          f"refused worker took {took:.2f} s")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
