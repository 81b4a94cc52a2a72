"""topo.pmix_timeout: PMIx_Init is waited for with a bound.

PMIx 4.2's client waits for its job data with no timeout, and a server can
fail to send it (openpmix#2967: a rank that starts after a peer has already
finished, under Open MPI 4.1's mpirun). Here the server is a socket that
accepts and never answers: `parsweep info` must give up after
PARSWEEP_PMIX_TIMEOUT seconds with one warning naming PMIx_Init and the
variable, report the topology from the environment, and exit 0, where it
used to wait for ever.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parsweep", required=True)
    a = ap.parse_args()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port = srv.getsockname()[1]
    held = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])  # and never answer
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    uri = f"fake.0;tcp4://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMIX_", "OMPI_", "SLURM_", "PARSWEEP_"))}
    env.update(PMIX_NAMESPACE="fake", PMIX_RANK="0", PMIX_SERVER_URI4=uri,
               PMIX_SERVER_URI41=uri, PARSWEEP_PMIX_TIMEOUT="1.5")
    t0 = time.monotonic()
    try:
        p = subprocess.run([a.parsweep, "info", "--json"], env=env, capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print("FAIL: parsweep info still waits for PMIx_Init after 60 s")
        return 1
    took = time.monotonic() - t0
    fails = []
    if not held:
        fails.append("parsweep never connected to the fake PMIx server")
    if p.returncode != 0:
        fails.append(f"exit {p.returncode}: {p.stderr}")
    if took < 1.4 or took > 15:
        fails.append(f"took {took:.1f} s with a bound of 1.5 s")
    warn = [ln for ln in p.stderr.splitlines() if "PMIx_Init did not return" in ln]
    if len(warn) != 1 or "1.5 s" not in warn[0] or "PARSWEEP_PMIX_TIMEOUT" not in warn[0]:
        fails.append(f"expected one warning naming the bound: {p.stderr!r}")
    try:
        j = json.loads(p.stdout)
        if j.get("job_size_source") == "PMIx":
            fails.append(f"facts from a PMIx that never answered: {j}")
    except ValueError:
        fails.append(f"not JSON: {p.stdout!r}")
    for f in fails:
        print("FAIL:", f)
    print(f"gave up on PMIx_Init after {took:.2f} s" if not fails else "FAILED")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
