"""elastic.endpoint_file: the head creates its endpoint file safely in a
directory others may write (issue 18, item 2; docs/elastic.md, "Files").

The endpoint (address and keys) is written to OUTPUT.endpoint.tmp.PID,
created O_EXCL|O_NOFOLLOW with mode 0600, then renamed to OUTPUT.endpoint.
The head is started by a shell that first plants a name at its own pid's
temporary (`exec` keeps the pid):

- a symlink to a file elsewhere: the head refuses (exit 1, one line naming
  the temporary, "File exists"); the link's target is untouched, no
  endpoint and no results are written. Before the fix the target was
  overwritten with the sweep's keys;
- a regular file another user could read: the same refusal; the file does
  not receive the keys;
- a symlink planted at OUTPUT.endpoint itself: the rename replaces the
  link, not its target; the endpoint file is a regular file of mode 0600
  and the sweep completes.
"""
import os
import stat
import subprocess

from clitest import build_spec, check, main, read_results, step, write
from faultlib import start, wait_for

N = 4


def head_with_planted(args, tmp, out, plant):
    """Run the head from a shell that first makes `plant` (a shell command
    given $T, the head's temporary) at OUTPUT.endpoint.tmp.$$."""
    spec = os.path.join(tmp, "s.yaml")
    script = f'T="{out}.endpoint.tmp.$$"; {plant}; exec "$0" run "$1" -b elastic -o "$2" -q'
    e = dict(os.environ)
    e.pop("PARSWEEP_LOG", None)
    p = subprocess.Popen(["/bin/sh", "-c", script, args.parsweep, spec, out], cwd=tmp, env=e,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:  # a head that was not refused waits for workers: stop it
        p.stdout, p.stderr = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.stdout, p.stderr = p.communicate(timeout=30)
    return p


def refused(p, out, what):
    err = p.stderr.strip()
    check(p.returncode == 1, f"{what}: exit {p.returncode}, not 1: {err}")
    check(any(".endpoint.tmp." in ln and "File exists" in ln for ln in err.split("\n")),
          f"{what}: no line naming the temporary: {err}")
    check(not os.path.exists(out + ".endpoint"), f"{what}: an endpoint file was written")
    check(not os.path.exists(out), f"{what}: results were written")


def test(args, tmp):
    write(os.path.join(tmp, "s.yaml"), build_spec(
        "e", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {N}}}")],
        ["y"], command=["/bin/sh", "-c", 'echo "y=$1"', "sh", "{a}"]))
    out = os.path.join(tmp, "r.h5")
    elsewhere = os.path.join(tmp, "elsewhere")
    os.mkdir(elsewhere)
    victim = write(os.path.join(elsewhere, "victim"), "precious\n")

    step("a symlink at the head's temporary: refused, its target untouched")
    p = head_with_planted(args, tmp, out, f'ln -s "{victim}" "$T"')
    with open(victim) as f:
        got = f.read()
    check(got == "precious\n", f"the link's target was written: {got[:200]!r}")
    refused(p, out, "planted symlink")
    for name in os.listdir(tmp):
        if ".endpoint.tmp." in name:
            os.unlink(os.path.join(tmp, name))

    step("a file at the head's temporary: refused, it does not receive the keys")
    p = head_with_planted(args, tmp, out, ': > "$T"; chmod 644 "$T"')
    refused(p, out, "planted file")
    planted = [n for n in os.listdir(tmp) if ".endpoint.tmp." in n]
    check(len(planted) == 1, f"temporaries {planted}")
    check(os.path.getsize(os.path.join(tmp, planted[0])) == 0,
          "the planted file holds the keys")
    os.unlink(os.path.join(tmp, planted[0]))

    step("a symlink at OUTPUT.endpoint: replaced, not followed")
    os.symlink(victim, out + ".endpoint")
    head = start(args, tmp, ["run", "s.yaml", "-b", "elastic", "-o", out, "-q"])
    ep = out + ".endpoint"
    wait_for(lambda: not os.path.islink(ep) and os.path.exists(ep), "the endpoint file",
             proc=head)
    st = os.lstat(ep)
    check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          f"endpoint mode {oct(st.st_mode)}: not a regular file of mode 0600")
    w = start(args, tmp, ["worker", "--connect", ep, "-j", "1"])
    _, err = head.communicate(timeout=60)
    w.communicate(timeout=30)
    check(head.returncode == 0, f"head exit {head.returncode}: {err.decode()[-1500:]}")
    with open(victim) as f:
        check(f.read() == "precious\n", "the target of the link at OUTPUT.endpoint was written")
    r = read_results(out)
    check((r["status"] == 1).all() and len(r["status"]) == N, "the sweep did not complete")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
