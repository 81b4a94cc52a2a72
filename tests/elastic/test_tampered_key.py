"""elastic.tampered_key: a worker whose endpoint file was tampered with is
refused, and the head logs the refusal as docs/elastic.md documents it
(issue 18, item 8).

The sweep's endpoint file is copied with one character of client_secret
changed (and, second, of server_public): CURVE's handshake fails before the
head's key check (ZAP) is asked, so before the fix the head logged nothing.
Checked: each such worker exits 1 with "refused this worker's key" and
never gets a worker id; the head logs "elastic: refused a worker from
127.0.0.1: its key is not this sweep's" once per refused worker; a worker
with the true file then completes the sweep (exit 0 both).
"""
import os

from clitest import build_spec, check, main, read_results, run, step, write
from faultlib import start, wait_for

N = 4


def tampered(ep, key, path):
    with open(ep) as f:
        lines = f.read().split("\n")
    for k, ln in enumerate(lines):
        if ln.startswith(key + ": "):
            v = ln[len(key) + 2:]
            c = "0" if v[7] != "0" else "1"
            lines[k] = f"{key}: {v[:7]}{c}{v[8:]}"
    write(path, "\n".join(lines))
    os.chmod(path, 0o600)
    return path


def test(args, tmp):
    spec = write(os.path.join(tmp, "s.yaml"), build_spec(
        "e", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {N}}}")],
        ["y"], command=["/bin/sh", "-c", 'echo "y=$1"', "sh", "{a}"]))
    out = os.path.join(tmp, "r.h5")
    ep = out + ".endpoint"
    head = start(args, tmp, ["run", spec, "-b", "elastic", "-o", out, "-q"],
                 env={"PARSWEEP_LOG": "warn"})
    wait_for(lambda: os.path.exists(ep), "the endpoint file", proc=head)
    for key in ("client_secret", "server_public"):
        step(f"a worker with a tampered {key}: refused")
        bad = tampered(ep, key, os.path.join(tmp, f"bad-{key}.endpoint"))
        p, _ = run(args, ["worker", "--connect", bad, "-j", "1"], tmp,
                   env={"PSW_ELASTIC_CONNECT_TIMEOUT": "10"})
        check(p.returncode == 1, f"{key}: worker exit {p.returncode}: {p.stderr}")
        check("refused this worker's key" in p.stderr, f"{key}: the worker said: {p.stderr}")
    step("the true endpoint file: the sweep completes; the head logged both refusals")
    w = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    _, herr = head.communicate(timeout=60)
    w.communicate(timeout=30)
    herr = herr.decode(errors="replace")
    check(head.returncode == 0, f"head exit {head.returncode}: {herr[-1500:]}")
    lines = [ln for ln in herr.split("\n")
             if "elastic: refused a worker from 127.0.0.1: its key is not this sweep's" in ln]
    check(len(lines) == 2, f"{len(lines)} refusal lines in the head's log, not 2:\n{herr[-2000:]}")
    r = read_results(out)
    check((r["status"] == 1).all() and len(r["status"]) == N, "the sweep did not complete")
    check(set(int(x) for x in r["worker"]) == {1},
          f"workers {set(r['worker'].tolist())}: a refused worker got an id")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
