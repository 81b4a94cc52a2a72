#!/usr/bin/python3
"""Write the seeds of fuzz_journal (tests/fuzz/corpus/journal/): inputs in
the layout of fuzz_journal.c, one per case of a damaged or forged journal.
Committed; rerun only to change them:

    python3 tests/fuzz/journal_seeds.py tests/fuzz/corpus/journal
"""
import struct, os, sys
d = sys.argv[1]
def rec(index, status, np=1, no=1, bad=0, worker=0, node=0):
    body = struct.pack('<QdiiiB3x', index, 0.5, 0, worker, node, status) + b'\0' * (8 * (np + no))
    return bytes([bad]) + body
def seed(np=1, no=1, n=8, h=0, recs=()):
    return bytes([np, no - 1, n, h]) + b''.join(recs)
S = {
 'ok': seed(recs=[rec(i, 1) for i in range(8)]),
 'header_only': seed(),
 'status_7': seed(recs=[rec(0, 1), rec(1, 7), rec(2, 1)]),
 'status_0': seed(recs=[rec(0, 0)]),
 'status_neg': seed(recs=[rec(0, 0xfd)]),
 'index_n': seed(recs=[rec(0, 1), rec(8, 1)]),
 'index_huge': seed(recs=[rec(2**63, 1)]),
 'torn': seed(h=32, recs=[rec(0, 1), rec(1, 1)]),
 'bad_checksum': seed(recs=[rec(0, 1), rec(1, 1, bad=1), rec(2, 1)]),
 'other_sweep': seed(h=8, recs=[rec(0, 1)]),
 'other_n': seed(h=4, recs=[rec(0, 1)]),
 'bad_magic': seed(h=1, recs=[rec(0, 1)]),
 'bad_header_sum': seed(h=2, recs=[rec(0, 1)]),
 'cut_header': seed(h=16, recs=[rec(0, 1)]),
 'wide': seed(np=3, no=3, n=255, recs=[rec(i, 1 + i % 4, 3, 3, worker=-i, node=2**31 - 1) for i in range(20)]),
 'n_zero': seed(n=0, recs=[rec(0, 1)]),
}
for k, v in S.items():
    with open(os.path.join(d, k), 'wb') as f:
        f.write(v)
print(len(S), "seeds")
