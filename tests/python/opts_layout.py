#!/usr/bin/python3
"""The ctypes mirrors of psw_opts_t and psw_for_opts_t
(python/parsweep/parallel/_lib.py) have the C layout: every field at the
offset the compiler gives it (printed by `test_opts_abi --layout`), and the
mirror at least as large as the C struct.

usage: opts_layout.py TEST_OPTS_ABI   (PYTHONPATH holds python/)
"""
import subprocess
import sys

from parsweep.parallel import _lib


def main():
    out = subprocess.run([sys.argv[1], "--layout"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    mirrors = {"psw_opts_t": _lib.Opts, "psw_for_opts_t": _lib.ForOpts}
    failures, seen = [], {k: set() for k in mirrors}
    for line in out.splitlines():
        struct, field, value = line.split()
        mirror = mirrors[struct]
        if field == "sizeof":
            if _lib.ctypes.sizeof(mirror) < int(value):
                failures.append(f"{mirror.__name__} smaller than {struct}")
            continue
        seen[struct].add(field)
        got = getattr(mirror, field, None)
        if got is None or got.offset != int(value):
            failures.append(f"{struct}.{field} at {value}, mirror at "
                            f"{got.offset if got else 'missing'}")
    for struct, mirror in mirrors.items():
        extra = {f for f, _ in mirror._fields_ if not f.startswith("_")}
        extra -= seen[struct]
        if extra:
            failures.append(f"{mirror.__name__} has fields C lacks: {extra}")
    for f in failures:
        print("FAIL:", f)
    print(f"{sum(map(len, seen.values()))} fields compared, "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
