"""elastic.resume_journal: a resumed elastic run journals what it finishes
as it goes, like a fresh one (issue 18, item 1).

A head with two local workers (-j 2) runs a /bin/sh model that logs every
evaluation it finishes; it is SIGKILLed with its whole session, resumed
(`--resume -b elastic -j 1`), and SIGKILLed again after a while. At the second
kill the journal must hold what the resumed run finished, but for about the
last 0.15 s: evaluations finished and not journaled are bounded by 0.5 s
of the run's own pace (plus the two samples in flight). Before the fix the
resumed head sized its chunks from the pace of samples the first run had
recorded (skipped in no time), handed the worker hundreds of samples, and
got none back until a chunk was done: the journal did not grow, and the
second kill lost everything the resumed run had computed. A last --resume
completes the sweep: every sample once, ok, right values, and no sample
the journals held at the second kill is evaluated again.
"""
import os
import time

from clitest import check, main, step
from faultlib import (check_complete, evals, journal_indices, kill_session, sh_spec, start,
                      wait_for)

N = 700


def test(args, tmp):
    spec, log = sh_spec(tmp, N, sleep=0.01)
    out = os.path.join(tmp, "r.h5")
    run = ["run", spec, "-b", "elastic", "-o", out, "-q"]

    step("a first run, SIGKILLed after ~80 samples")
    p = start(args, tmp, run + ["-j", "2"])
    wait_for(lambda: len(set(journal_indices(out))) >= 80, "80 samples journaled", proc=p)
    kill_session(p)
    first = set(journal_indices(out))
    n1 = len(evals(log))

    step("--resume, SIGKILLed again after ~1 s of work")
    # One worker: every chunk it gets is sized from its pace over recorded
    # samples (the first ones, skipped in no time).
    p = start(args, tmp, run + ["-j", "1", "--resume"])
    t0 = time.monotonic()
    wait_for(lambda: len(evals(log)) - n1 >= 120, "120 samples evaluated by the resumed run",
             timeout=60, proc=p)
    kill_session(p)
    took = time.monotonic() - t0
    journal = set(journal_indices(out))
    ev2 = evals(log)[n1:]
    finished = set(ev2)
    lost = finished - journal
    pace = len(ev2) / took
    bound = int(0.5 * pace) + 2
    print(f"first run journaled {len(first)}; the resumed run finished {len(finished)} in "
          f"{took:.1f} s ({pace:.0f}/s); the journal held {len(journal & finished)} of them, "
          f"{len(lost)} lost (bound {bound})")
    check(first <= journal, "the resumed run lost what the first had journaled")
    check(len(lost) <= bound, f"{len(lost)} of the {len(finished)} samples the resumed run "
          f"finished were not journaled at the kill (more than {bound}: 0.5 s of work)")

    step("--resume to the end: nothing the journals held is evaluated again")
    n2 = len(evals(log))
    p = start(args, tmp, run + ["-j", "2", "--resume"])
    _, err = p.communicate(timeout=120)
    check(p.returncode == 0, f"last resume: exit {p.returncode}: {err.decode()[-2000:]}")
    again = set(evals(log)[n2:]) & journal
    check(not again, f"{len(again)} journaled samples evaluated again: {sorted(again)[:10]}")
    check_complete(out, N, "after the last --resume")


if __name__ == "__main__":
    main(test, prefix="psw-elastic-")
