#!/usr/bin/python3
"""Write the seeds of fuzz_results (tests/fuzz/corpus/results/): inputs in
the layout fuzz_results.c reads (see tests/fuzz/README.md), one per case of
a corrupt results file. The seeds are committed; rerun this only to change
them:

    python3 tests/fuzz/results_seeds.py tests/fuzz/corpus/results
"""
import os
import sys

I8, U8, I16, I32, I64, F32, F64, STR4, BOOL = range(9)
N_INDEX = {0: 0, 1: 1, 2: 2, 3: 3, 5: 4, 8: 5, 64: 6, 65: 7, 4095: 8, 4096: 9,
           4097: 10, 1000: 11, 1 << 31: 12, 1 << 40: 13, 1 << 62: 14}
TRUNCATE, COUNTS, COUNTS_TEXT, VAR_DATASET, COUNTS_SCALED = 1, 2, 4, 0x10, 0x20


def col(t, values=(), absent=False, rank=0, delta=0, chunked=False, fill=0):
    """A column: rank 0 1-D, 1 scalar, 2 2-D; delta 0 N, 1 N-1, 2 N+1, 3 0."""
    a = int(absent) | rank << 1 | delta << 3 | int(chunked) << 5
    return bytes([a, t, fill & 0xFF, len(values)] + [v & 0xFF for v in values])


def seed(n=8, flags=COUNTS, nparams=2, noutputs=1, status=None, cols=None,
         params=None, outputs=None, counts=(0, 8, 0, 0, 0), trunc=None):
    status = col(I8, [1] * min(n, 64)) if status is None else status
    c = cols or {}
    body = [status,
            c.get(1, col(BOOL, [1] * min(n, 64))),
            c.get(2, col(I32, [0] * min(n, 64))),
            c.get(3, col(F64, [1] * min(n, 64))),
            c.get(4, col(I32, [0] * min(n, 64))),
            c.get(5, col(I32, [0] * min(n, 64)))]
    body += (params or [col(F64, list(range(min(n, 64))))] * nparams)
    body += (outputs or [col(F64, list(range(min(n, 64))))] * noutputs)
    out = bytes([N_INDEX[n], flags, nparams | noutputs << 2]) + b"".join(body)
    if flags & COUNTS:
        out += bytes(v & 0xFF for v in counts)
    if flags & TRUNCATE:
        out += bytes([trunc])
    return out


SEEDS = {
    "ok": seed(),
    "not_run": seed(status=col(I8, [1, 1, 0, 0, 2, 3, 4, 0]), counts=(3, 2, 1, 1, 1)),
    "status_7": seed(status=col(I8, [1, 1, 1, 7, 1, 1, 1, 1])),
    "status_neg": seed(status=col(I8, [1, 1, 1, -3, 1, 1, 1, 1])),
    "status_127": seed(status=col(I8, [127] * 8), flags=0),
    "status_float": seed(status=col(F64, [1, 2, 3, 4, 0, 1, 1, 1])),
    "status_uint8": seed(status=col(U8, [1, 200, 1, 1, 1, 1, 1, 1])),
    "status_string": seed(status=col(STR4, [0x31] * 8)),
    "status_2d": seed(status=col(I8, [1] * 8, rank=2)),
    "status_scalar": seed(status=col(I8, [1], rank=1)),
    "status_fill_5": seed(status=col(I8, [], chunked=True, fill=5)),
    "no_status": seed(status=col(I8, absent=True)),
    "short_exit_code": seed(cols={2: col(I32, [0] * 7, delta=1)}),
    "no_node": seed(cols={5: col(I32, absent=True)}),
    "bool_7": seed(cols={1: col(BOOL, [7, 1, 0, 255, 1, 1, 1, 1])}),
    "long_value": seed(outputs=[col(F64, [1] * 8, delta=2)]),
    "empty_value": seed(params=[col(F64, [], delta=3), col(F64, [1] * 8)]),
    "value_strings": seed(params=[col(STR4, [0x41] * 8), col(F64, [1] * 8)]),
    "vars_datasets": seed(flags=COUNTS | VAR_DATASET),
    "no_vars": seed(nparams=0, noutputs=0),
    "many_vars": seed(nparams=3, noutputs=3),
    "huge_dims": seed(n=1 << 40, flags=0, status=col(I8, [1] * 8, chunked=True),
                      cols={c: col(I32, [0] * 8, chunked=True) for c in (1, 2, 4, 5)}),
    "huge_62": seed(n=1 << 62, flags=COUNTS | COUNTS_SCALED,
                    status=col(I8, [1, 2, 3, 4], chunked=True), counts=(4, 0, 0, 0, 0)),
    "n_4097": seed(n=4097, flags=0, status=col(I8, [1] * 64, chunked=True)),
    "counts_negative": seed(counts=(-5, 13, 0, 0, 0)),
    "counts_text": seed(flags=COUNTS | COUNTS_TEXT),
    "counts_huge": seed(n=1 << 40, flags=COUNTS | COUNTS_SCALED,
                        status=col(I8, [1], chunked=True), counts=(127, 127, 127, 127, 127)),
    "truncated_half": seed(flags=COUNTS | TRUNCATE, trunc=128),
    "truncated_head": seed(flags=COUNTS | TRUNCATE, trunc=3),
    "truncated_tail": seed(flags=COUNTS | TRUNCATE, trunc=250),
}


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
