#!/usr/bin/python3
"""Acceptance 6 (first half): examples/plot_results.py makes a PNG from
the results of the example sweep.

Runs examples/ro_sweep.yaml as the README does (from the repository root:
its command runs examples/ro_model.py by a relative path) but with -o into
a temporary directory, checks the file against numpy (the grid, and
ro_model.py's formula: the model prints repr() of Python floats, so the
values are exact), then runs plot_results.py with /usr/bin/python3 (Debian's
h5py and matplotlib) and checks the PNG: signature, IHDR chunk, a sensible
size, not blank.
"""
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

from clitest import check, close_rel, describe, main, read_results, run, same_array, step
from roexample import grid, ro_outputs

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_info(data):
    """(width, height, bit depth, colour type, inflated IDAT bytes)."""
    check(data[:8] == PNG_SIG, f"not a PNG: starts with {data[:8]!r}")
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        check(zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"PNG chunk {kind!r}: bad CRC")
        chunks.append((kind, body))
        pos += 12 + length
    check(
        chunks and chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND",
        f"PNG chunks {[k for k, _ in chunks]}",
    )
    w, h, depth, ctype = struct.unpack(">IIBB", chunks[0][1][:10])
    idat = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    return w, h, depth, ctype, idat


def test(args, tmp):
    out = os.path.join(tmp, "results.h5")
    with step("parsweep run examples/ro_sweep.yaml -o TMP/results.h5 (from the repository root)"):
        p, w = run(
            args,
            ["run", "examples/ro_sweep.yaml", "-o", out, "-j", "2"],
            cwd=args.repo,
            timeout=170,
        )
        check(p.returncode == 0, f"expected exit 0, got {describe(p)}")
        print(f"   {w:.1f} s")
    names, g = grid(args.repo)
    r = read_results(out)
    P, O = r["params"], r["outputs"]
    for k in names:
        d, ok = close_rel(P[k], g[k], 4e-16)
        check(ok, f"{k} differs from numpy's grid by {d:.3g}")
    lcow, energy = ro_outputs(P["membrane_cost"], P["recovery"], P["pressure"])
    check(
        same_array(O["lcow"], lcow) and same_array(O["energy"], energy),
        "outputs differ from ro_model.py's formula",
    )
    check(r["ok"].astype(bool).all(), "not every sample ok")
    png = os.path.join(tmp, "ro.png")
    with step("examples/plot_results.py results.h5 ro.png"):
        script = os.path.join(args.repo, "examples", "plot_results.py")
        q = subprocess.run(
            [sys.executable, script, out, png],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=120,
        )
        check(
            q.returncode == 0,
            f"plot_results.py: exit {q.returncode}\n{q.stdout.decode()}\n{q.stderr.decode()}",
        )
        check(os.path.isfile(png), f"no {png}; it printed {q.stdout.decode()!r}")
        with open(png, "rb") as f:
            data = f.read()
        wd, ht, depth, ctype, idat = png_info(data)
        check(200 <= wd <= 4000 and 150 <= ht <= 4000, f"PNG is {wd}x{ht}")
        # not a blank canvas: the rows (after their filter byte) vary
        px = np.frombuffer(idat, dtype=np.uint8)
        check(np.unique(px).size > 16, "the PNG looks blank")
        print(f"   {len(data)} bytes, {wd}x{ht}, bit depth {depth}, colour type {ctype}")
    with step("default output name: results.png in the working directory"):
        q = subprocess.run(
            [sys.executable, script, out],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=120,
        )
        check(q.returncode == 0, f"plot_results.py: exit {q.returncode}\n{q.stderr.decode()}")
        with open(os.path.join(tmp, "results.png"), "rb") as f:
            check(f.read(8) == PNG_SIG, "results.png is not a PNG")


if __name__ == "__main__":
    main(test)
