#!/usr/bin/python3
"""After the fault tests (a ctest fixture cleanup: it runs once they are
done): nothing of ours is left in /dev/shm (names "psw-UID-...") or in
$TMPDIR (the fault tests' "psw-faults-*" directories), whatever
the tests killed on the way."""
import os
import sys
import tempfile

uid = os.getuid()
shm = [x for x in os.listdir("/dev/shm") if x.startswith(f"psw-{uid}-")]
tmp = tempfile.gettempdir()
dirs = [x for x in os.listdir(tmp) if x.startswith("psw-faults-")]
print(f"/dev/shm: {shm or 'nothing of ours'}; {tmp}: {dirs or 'nothing of ours'}")
sys.exit(1 if shm or dirs else 0)
