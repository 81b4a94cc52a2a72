#!/usr/bin/python3
"""Issue 18, item 2 (all but the elastic endpoint): a file another user
planted beside the output, at the name of one of parsweep's own files, is
never written through (docs/reliability.md, "Hostile input, signals and
tampered files").

Another user who can write to the output's directory pre-creates symlinks
at the names parsweep uses, pointing to a canary file elsewhere (a file of
the victim's, say) or to a name that does not exist yet (a file parsweep
would create for them):
1. the lock `.r.h5.lock` a symlink (to the canary; dangling): the run
   refuses with one line naming it; the canary is unchanged, the dangling
   target is not created, no output is written;
2. a journal `.r.h5.journal.0` a symlink to a journal of the same sweep
   elsewhere (the canary), then `--resume`: refused with one line, the
   canary not appended to (it was, through the symlink); with `--force`
   the symlink is removed, a fresh journal created, the canary unchanged;
3. the temporary results names `.r.h5.tmp.PID` of the next pids symlinks
   to the canary: the run completes, the canary unchanged.
"""
import os
import shutil

from clitest import check, describe, main, run, step, write
from faultlib import check_complete, kill_session, sh_spec, start, wait_for

N = 20


def one_line(p, *words):
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1, "expected exit 1: " + describe(p))
    check(len(lines) == 1 and all(w in lines[0] for w in words),
          f"expected one line with {words}: {p.stderr}")


def test(args, tmp):
    d, elsewhere = os.path.join(tmp, "shared"), os.path.join(tmp, "victim")
    os.mkdir(d)
    os.mkdir(elsewhere)
    canary = write(os.path.join(elsewhere, "canary"), "precious\n")
    spec, _ = sh_spec(d, N, sleep=0.01)
    out = os.path.join(d, "r.h5")
    lock = os.path.join(d, ".r.h5.lock")

    with step("the lock a symlink to a file elsewhere: refused, the file untouched"):
        os.symlink(canary, lock)
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"], d)
        one_line(p, ".r.h5.lock", "symbolic link")
        check(open(canary).read() == "precious\n", "the canary changed")
        check(not os.path.exists(out), "r.h5 written")
        os.unlink(lock)

    with step("the lock a dangling symlink: refused, its target not created"):
        target = os.path.join(elsewhere, "made-by-parsweep")
        os.symlink(target, lock)
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"], d)
        one_line(p, ".r.h5.lock", "symbolic link")
        check(not os.path.lexists(target), f"{target} created through the lock's symlink")
        os.unlink(lock)

    with step("a journal a symlink to one of the same sweep elsewhere: --resume refused"):
        slow = os.path.join(d, "slow")
        script = (f'if [ -e {slow} ] && [ "$1" -ge 4 ]; then exec sleep 30; fi; echo "y=$2"')
        spec, _ = sh_spec(d, N, script=script)
        write(slow, "")
        jour = os.path.join(d, ".r.h5.journal.0")
        p = start(args, d, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"])
        wait_for(lambda: os.path.exists(jour) and os.path.getsize(jour) >= 64 + 4 * 56,
                 "4 samples journaled", proc=p)
        kill_session(p)
        victim = os.path.join(elsewhere, "journal")
        shutil.move(jour, victim)
        before = open(victim, "rb").read()
        os.symlink(victim, jour)
        os.unlink(slow)
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q", "--resume"], d)
        one_line(p, ".r.h5.journal.0", "symbolic link")
        check(open(victim, "rb").read() == before, "the journal elsewhere was written through the symlink")
        check(os.path.islink(jour), "the symlink was removed")

    with step("--force: the symlink removed, a fresh journal, the file elsewhere untouched"):
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q", "--force"], d)
        check(p.returncode == 0, "--force: " + describe(p))
        check(open(victim, "rb").read() == before, "the journal elsewhere changed")
        check_complete(out, N, "after --force")

    with step("the next pids' temporary names symlinks to the canary: never written"):
        os.unlink(out)
        with open("/proc/sys/kernel/ns_last_pid") as f:
            last = int(f.read())
        names = [os.path.join(d, f".r.h5.tmp.{last + k}") for k in range(1, 200)]
        for n in names:
            os.symlink(canary, n)
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2", "-q"], d)
        check(p.returncode == 0, "run: " + describe(p))
        check(open(canary).read() == "precious\n", "the canary changed")
        check_complete(out, N, "with planted temporary names")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
