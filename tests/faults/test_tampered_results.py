#!/usr/bin/python3
"""Issue 18 item 3: values read back from a results file or a journal are
input, and are checked before they index anything.

- /parsweep/status holding 7, 5, 127 or -3 (edited by hand, or written by a
  newer parsweep): `run --resume` exits 1 with one line naming the file,
  the dataset and the row; nothing is evaluated and no file changes
  (status 7 used to write past the counts array; the others exited 0 with
  counts that did not add up).
- count_* attributes that do not add up to N are ignored by `status`,
  which counts the status column instead; with no counts, a status out of
  range makes `status` exit 1 naming it; `show` counts it as `unknown`.
- a journal record whose checksum holds but whose status is not 1..4, or
  whose index is not below N: `run --resume` exits 1 naming the journal
  and the record (it used to be taken for a torn tail and dropped, with
  every record after it).
"""
import ctypes
import os
import shutil
import struct

import h5py

from clitest import check, describe, main, run, step
from faultlib import FIXED, HEADER, evals, journal_indices, kill_session, sh_spec, start, wait_for

N = 20


def files(tmp):
    """Every file but the model's log, with its bytes."""
    return {x: open(os.path.join(tmp, x), "rb").read() for x in sorted(os.listdir(tmp))
            if x != "evals"}


def refused(args, tmp, spec, out, want, what):
    before, n = files(tmp), len(evals(os.path.join(tmp, "evals")))
    p, _ = run(args, ["run", spec, "-o", out, "-q", "--resume"], tmp, timeout=30)
    line = p.stderr.strip()
    check(p.returncode == 1, f"{what}: expected exit 1: " + describe(p))
    check(len(line.splitlines()) == 1 and all(w in line for w in want),
          f"{what}: expected one line with {want}: {line!r}")
    check(len(evals(os.path.join(tmp, "evals"))) == n, f"{what}: something was evaluated")
    check(files(tmp) == before, f"{what}: files changed")
    print(f"   {what}: {line}")


def xxh3(data):
    lib = ctypes.CDLL("libxxhash.so.0")  # parsweep's own dependency
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return lib.XXH3_64bits(data, len(data))


def forge(path, k, rs, index=None, status=None):
    """Rewrite record k of a journal with a valid checksum."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        off = HEADER + k * rs
        if index is not None:
            struct.pack_into("<Q", data, off, index)
        if status is not None:
            struct.pack_into("<b", data, off + 28, status)
        struct.pack_into("<Q", data, off + rs - 8, xxh3(bytes(data[off:off + rs - 8])))
        f.seek(0)
        f.write(data)


def test(args, tmp):
    out = os.path.join(tmp, "r.h5")
    spec, log = sh_spec(tmp, N, sleep=0)
    with step("a finished run"):
        p, _ = run(args, ["run", spec, "-o", out, "-q"], tmp)
        check(p.returncode == 0, "first run: " + describe(p))
        pristine = os.path.join(tmp, "pristine")
        shutil.move(out, pristine)

    for v in (7, 5, 127, -3):
        with step(f"/parsweep/status[3] = {v}: --resume refused"):
            shutil.copy(pristine, out)
            with h5py.File(out, "r+") as f:
                f["parsweep/status"][3] = v
            refused(args, tmp, spec, out, ["r.h5", "/parsweep/status[3]", f"= {v} "],
                    f"status {v}")

    with step("count_* attributes that do not add up: status counts the column"):
        shutil.copy(pristine, out)
        with h5py.File(out, "r+") as f:
            f.attrs["count_ok"] = -5
        p, _ = run(args, ["status", out], tmp)
        check(p.returncode == 0 and f"  ok       {N}\n" in p.stdout
              and "remaining  0\n" in p.stdout, "status: " + describe(p))

    with step("no count_* attributes, status 7: status exits 1, show says unknown"):
        with h5py.File(out, "r+") as f:
            for k in list(f.attrs):
                if k.startswith("count_"):
                    del f.attrs[k]
            f["parsweep/status"][4] = 7
        p, _ = run(args, ["status", out], tmp)
        check(p.returncode == 1 and "/parsweep/status[4] = 7" in p.stderr
              and len(p.stderr.splitlines()) == 1, "status: " + describe(p))
        p, _ = run(args, ["show", out], tmp)
        check(p.returncode == 0 and "  unknown  1\n" in p.stdout
              and f"  ok       {N - 1}\n" in p.stdout, "show: " + describe(p))
        os.remove(out)

    with step("a killed run: journals only"):
        spec, log = sh_spec(tmp, N, sleep=0.1)
        p = start(args, tmp, ["run", spec, "-o", out, "-j", "1", "-q"])
        wait_for(lambda: len(journal_indices(out)) >= 5, "5 journaled samples", proc=p)
        kill_session(p)
        journals = [x for x in os.listdir(tmp) if x.startswith(".r.h5.journal.")]
        check(len(journals) == 1, f"journals: {journals}")
        jpath = os.path.join(tmp, journals[0])
        clean = open(jpath, "rb").read()
        rs = FIXED + 8 * 2 + 8

    for what, kw, want in (("status 7", {"status": 7}, "status 7 is not one of 1..4"),
                           ("status 0", {"status": 0}, "status 0 is not one of 1..4"),
                           ("index N", {"index": N}, f"index {N} is not below N = {N}")):
        with step(f"a journal record with a valid checksum and {what}: refused"):
            with open(jpath, "wb") as f:
                f.write(clean)
            forge(jpath, 2, rs, **kw)
            refused(args, tmp, spec, out, [journals[0], "record 2", want, "cannot resume"],
                    f"journal {what}")

    with step("the untouched journal still resumes to a complete file"):
        with open(jpath, "wb") as f:
            f.write(clean)
        p, _ = run(args, ["run", spec, "-o", out, "-q", "--resume"], tmp, timeout=60)
        check(p.returncode == 0, "resume: " + describe(p))
        with h5py.File(out, "r") as f:
            st = f["parsweep/status"][:]
        check((st == 1).all(), f"statuses after resume: {st.tolist()}")


if __name__ == "__main__":
    main(test, prefix="psw-tamper-")
