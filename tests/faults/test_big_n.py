#!/usr/bin/python3
"""Issue 18 item 7: a sweep of 10^12 samples answers every stop within
seconds, its file stays small, and show/status/--resume of it take
seconds, not minutes.

A stopped 10^12 run holds ~10^6 rows in ~125 chunks; everything else was
never written (HDF5 allocates chunks lazily). Before the fix the finish
counted statuses over all 10^12 rows (8 minutes to exit 4), `show` read
them all, `--resume` allocated a 125 GB bitmap and failed with an empty
message, and the elastic head tried the same after 30 s of waiting.

Steps (the fault plugin: y = a, microseconds per sample):
1. run, SIGTERM 1 s after the first sample is journaled: exit 4 within
   3 s; the file small, the rows it holds ok with y == a, the counts
   adding up to N.
2. status (count attributes removed, so it scans) and show: seconds.
3. --resume, SIGTERM likewise: exit 4 within 3 s, more rows, the
   earlier ones unchanged.
4. a file with 5000 rows spread over the 10^12 (a slow scan): --resume
   answers SIGTERM during the scan with exit 4 and a line, file untouched.
5. -b elastic with 10^12 samples: refused at once, naming num_samples and
   the memory it needs (skipped on a machine with over 1 TB).
"""
import hashlib
import os
import shutil
import signal
import time

import h5py
import numpy as np

from clitest import build_spec, check, main, step, write
from faultlib import HEADER, start, wait_for

N = 10**12


def spec_file(tmp, plugin):
    return write(os.path.join(tmp, "s.yaml"), build_spec(
        "big", [("a", "{type: UniformSample, lower_limit: 0, upper_limit: 1}")], ["y"],
        plugin=plugin, extra=f"num_samples: {N}\nseed: 7\nparallel_back_end: serial"))


def journaling(out):
    """True once the run writing `out` has journaled a sample (its journal
    holds more than its header): it is sweeping."""
    j = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.journal.0")
    return lambda: os.path.exists(j) and os.path.getsize(j) > HEADER


def stop_after(args, tmp, cmd, delay, limit, sig=signal.SIGTERM, ready=None):
    """Start parsweep CMD, send sig `delay` s after ready() holds (at once
    when None; a loaded machine may start slowly); returns (exit code,
    seconds from the signal to the exit, stderr). Fails past limit."""
    p = start(args, tmp, cmd)
    if ready:
        wait_for(ready, "the first sample journaled", timeout=30, proc=p)
    time.sleep(delay)
    if p.poll() is not None:
        check(False, f"{cmd}: ended before the signal: exit {p.returncode} "
              f"{p.stderr.read().decode(errors='replace')}")
    p.send_signal(sig)
    t0 = time.monotonic()
    try:
        _, err = p.communicate(timeout=limit)
    except Exception:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        check(False, f"{cmd}: still running {limit} s after the signal")
    return p.returncode, time.monotonic() - t0, err.decode(errors="replace")


def ok_rows(path):
    """(count_ok attribute, indices of ok rows among the first ones)."""
    with h5py.File(path, "r") as f:
        st = f["parsweep/status"]
        k = int(f.attrs["count_ok"])
        check(int(f.attrs["count_not_run"]) + k == N, f"{path}: counts do not add up to N")
        head = st[: k + 1_000_000]
        check(int((head == 1).sum()) == k, f"{path}: {int((head == 1).sum())} ok rows in "
              f"the first {head.size}, count_ok {k}")
        idx = np.flatnonzero(head == 1)
        y = f["outputs/y/value"][: head.size][idx]
        a = f["sweep_params/a/value"][: head.size][idx]
        check(np.array_equal(y, a), f"{path}: y != a")
        return k, idx, y


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test(args, tmp):
    spec = spec_file(tmp, args.plugin)
    out = os.path.join(tmp, "r.h5")
    with step("10^12 samples, SIGTERM while sweeping: exit 4 within 3 s, a small file"):
        rc, dt, err = stop_after(args, tmp, ["run", spec, "-o", out, "-q"], 1.0, 3,
                                 ready=journaling(out))
        check(rc == 4, f"exit {rc}, expected 4: {err}")
        print(f"   exit 4 {dt:.2f} s after SIGTERM")
        size = os.path.getsize(out)
        check(size < 200 << 20, f"{out}: {size} bytes")
        k, idx, _ = ok_rows(out)
        check(k > 0, "no sample recorded")
        print(f"   {k} samples recorded, {size >> 20} MiB")
    with step("status (scanning, no count attributes) and show: within seconds"):
        scan = os.path.join(tmp, "nocounts.h5")
        shutil.copy(out, scan)
        with h5py.File(scan, "r+") as f:
            for s in ("count_not_run", "count_ok", "count_failed", "count_timeout",
                      "count_crashed"):
                del f.attrs[s]
        for cmd, want in ((["status", scan], f"done       {k} "),
                          (["show", out], f"  ok       {k}\n"),
                          (["show", out], f"  not run  {N - k}\n")):
            p = start(args, tmp, cmd)
            try:
                so, se = p.communicate(timeout=10)
            except Exception:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
                check(False, f"{cmd[0]}: no answer within 10 s")
            so = so.decode(errors="replace")
            check(p.returncode == 0 and want in so, f"{cmd[0]}: exit {p.returncode}, "
                  f"expected {want!r} in:\n{so}{se.decode(errors='replace')}")
    with step("--resume, SIGTERM while sweeping: exit 4 within 3 s, earlier rows kept"):
        res = os.path.join(tmp, "resumed.h5")
        shutil.copy(out, res)
        rc, dt, err = stop_after(args, tmp, ["run", spec, "-o", res, "--resume", "-q"], 1.0, 3,
                                 ready=journaling(res))
        check(rc == 4, f"exit {rc}, expected 4: {err}")
        k2, idx2, _ = ok_rows(res)
        check(k2 > k, f"--resume recorded nothing new ({k2} <= {k})")
        with h5py.File(out, "r") as f, h5py.File(res, "r") as g:
            m = idx[-1] + 1
            check(np.array_equal(f["outputs/y/value"][:m][idx], g["outputs/y/value"][:m][idx]),
                  "the rows of the first run changed")
        print(f"   exit 4 {dt:.2f} s after SIGTERM, {k2} samples")
    with step("a scan of rows spread over 10^12: --resume answers SIGTERM during it"):
        spread = os.path.join(tmp, "spread.h5")
        shutil.copy(out, spread)
        with h5py.File(spread, "r+") as f:
            st = f["parsweep/status"]
            for i in range(5000):  # 5000 chunks: looked up one by one
                st[(i + 1) * (N // 5000) - 1] = 1
        before = digest(spread)
        rc, dt, err = stop_after(args, tmp, ["run", spec, "-o", spread, "--resume", "-q"],
                                 1.0, 3)
        check(rc == 4 and "interrupted while reading" in err and "--resume" in err,
              f"exit {rc}, expected 4 and a line: {err!r}")
        check(digest(spread) == before, "the file changed")
        left = sorted(x for x in os.listdir(tmp) if x.startswith(".spread.h5."))
        check(not left, f"left behind: {left}")
        print(f"   exit 4 {dt:.2f} s after SIGTERM: {err.strip()}")
    with step("-b elastic with 10^12 samples: refused up front with the reason"):
        mem = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        if N // 8 <= mem // 8:
            print("   skipped: this machine has the memory")
            return
        el = os.path.join(tmp, "el.h5")
        p = start(args, tmp, ["run", spec, "-o", el, "-b", "elastic", "-j", "1", "-q"])
        try:
            _, se = p.communicate(timeout=10)
        except Exception:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            check(False, "elastic: not refused within 10 s")
        se = se.decode(errors="replace")
        check(p.returncode == 1 and f"num_samples {N}" in se and "GiB" in se,
              f"exit {p.returncode}: {se!r}")
        left = sorted(x for x in os.listdir(tmp) if x.startswith("el.h5") or x.startswith(".el.h5"))
        check(not left, f"left behind: {left}")
        print(f"   {se.strip()}")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
