"""Shared by the parsweep.parallel tests: the SPMD conformance check, run on
every backend (test_parallel.py on one process, parallel_mpi_main.py under
mpirun)."""

import os

import numpy as np


def conformance(ctx):
    """Every collective, checked against values computed from rank and size."""
    r, n = ctx.rank, ctx.size
    ctx.barrier()
    a = np.arange(5, dtype=np.float64) if r == 0 else np.zeros(5)
    ctx.bcast_array(a)
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ctx.bcast({"x": [1, 2]} if r == 0 else None) == {"x": [1, 2]}
    assert ctx.bcast("from last" if r == n - 1 else None, root=n - 1) == "from last"
    g = ctx.gather(("r", r))
    assert g == ([("r", i) for i in range(n)] if r == 0 else None)
    assert ctx.allgather(r * 10) == [i * 10 for i in range(n)]
    assert ctx.allreduce(np.array([r, 1], dtype=np.int64)).tolist() == [n * (n - 1) // 2, n]
    assert ctx.allreduce(np.array([r + 0.5]), "max").tolist() == [n - 0.5]
    assert ctx.allreduce(np.array([r + 1], dtype=np.int16), "prod").tolist() == [
        int(np.prod(np.arange(1, n + 1)))]
    assert ctx.allreduce([r]) == list(range(n))  # objects: combined in rank order
    big = np.full(100_000, float(r))  # more than one staging slot
    assert ctx.allreduce(big)[-1] == n * (n - 1) / 2
    send = np.full(r + 1, r, dtype=np.int32)
    counts = [i + 1 for i in range(n)]
    recv = np.zeros(sum(counts), dtype=np.int32) if r == 0 else None
    ctx.gatherv_array(send, recv, counts)
    if r == 0:
        assert recv.tolist() == [i for i in range(n) for _ in range(i + 1)]
    done = []
    ctx.for_each(50, done.append)
    every = sorted(i for part in ctx.allgather(done) for i in part)
    assert every == list(range(50))
    done = []
    ctx.for_each(7, done.append, max_chunk=1)  # psw_for_ex, one index at a time
    assert sorted(i for part in ctx.allgather(done) for i in part) == list(range(7))
    return n, os.getpid()
