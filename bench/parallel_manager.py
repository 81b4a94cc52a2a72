#!/usr/bin/python3
"""B11 and B12: parsweep.parallel (WaterTAP's parallel manager API on
libparsweep) against the managers of WaterTAP itself, written here with
what they use underneath. Medians of interleaved runs.

usage: parallel_manager.py [--smoke] [--reps 5]          B11 (one process)
       mpirun -n 2 parallel_manager.py --b12 [--smoke]   B12 (under MPI)

B11 scatter/gather of 10,000 trivial parameters, number_of_subprocesses=2:
    parsweep's MultiprocessingParallelManager (fork workers, psw_for)
    vs WaterTAP's MultiProcessing pattern: multiprocessing.Queue with one
       item per parameter, 2 Process actors, a return queue, sorted
    vs WaterTAP's ConcurrentFutures pattern: ProcessPoolExecutor(2) with
       numpy.array_split into 2 chunks.  Target: >= 5x both. Also
       parsweep's ConcurrentFuturesParallelManager (the same 2 chunks) vs
       that pattern, like for like.
B12 200 parameters, 10% of them (the first 20, clustered) 50x slower
    (2 ms and 100 ms of sleep), under mpirun -n 2: parsweep's
    MPIParallelManager (dynamic) vs WaterTAP's MPI manager's static
    numpy.array_split on the same ranks. Target: dynamic within 1.15x of
    ideal (total work / 2); the static split's ratio reported.

Prints a table and SUMMARY|row|comparison|ratio|target|met lines for
bench/run_all.sh. Needs PYTHONPATH to find parsweep (python/ of a checkout)
and, from a build tree, PARSWEEP_LIBRARY.
"""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from concurrent import futures

import numpy

from parsweep.parallel import (ConcurrentFuturesParallelManager, LocalResults, MultiprocessingParallelManager,
                               create_parallel_manager)


def do_build():
    return [2.0]


def do_execute(local_parameters, factor):
    return [p * factor for p in local_parameters]


# -- WaterTAP's MultiProcessing pattern (one queue item per parameter) ------
def _actor(run_q, ret_q, build, kwargs, execute):
    args = build(**kwargs)
    while True:
        msg = run_q.get()
        if msg is None:
            return
        i, params = msg
        ret_q.put([i, params, execute(params, *args)])


def watertap_multiprocessing(params, n):
    chunks = numpy.array_split(params, len(params))
    run_q, ret_q = mp.Queue(), mp.Queue()
    for i, c in enumerate(chunks):
        run_q.put([i, c])
    procs = [mp.Process(target=_actor, args=(run_q, ret_q, do_build, {}, do_execute)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [LocalResults(*ret_q.get()) for _ in chunks]
    for p in procs:
        p.kill()
        p.join()
    results.sort(key=lambda r: r.process_number)
    return results


def _build_and_execute(params):
    return do_execute(params, *do_build())


def watertap_concurrent_futures(params, n):
    chunks = numpy.array_split(params, n)
    with futures.ProcessPoolExecutor(max_workers=n) as ex:
        running = {ex.submit(_build_and_execute, c): (i, c) for i, c in enumerate(chunks)}
        done = futures.wait(running).done
        results = [LocalResults(running[f][0], running[f][1], f.result()) for f in done]
    results.sort(key=lambda r: r.process_number)
    return results


def parsweep_multiprocessing(params, n):
    pm = MultiprocessingParallelManager(n)
    pm.scatter(do_build, {}, do_execute, params)
    return pm.gather()


def parsweep_concurrent_futures(params, n):
    pm = ConcurrentFuturesParallelManager(n)
    pm.scatter(do_build, {}, do_execute, params)
    return pm.gather()


def flat(results):
    return [x for r in results for x in r.results]


def b11(args):
    n_params = 1000 if args.smoke else 10_000
    params = list(range(n_params))
    expect = [2.0 * p for p in params]
    variants = [("parsweep MultiprocessingParallelManager", parsweep_multiprocessing),
                ("WaterTAP MultiProcessing (Queue per parameter)", watertap_multiprocessing),
                ("WaterTAP ConcurrentFutures (ProcessPool, array_split)", watertap_concurrent_futures),
                ("parsweep ConcurrentFuturesParallelManager", parsweep_concurrent_futures)]
    times = {name: [] for name, _ in variants}
    for _ in range(args.reps):
        for name, fn in variants:
            t0 = time.perf_counter()
            res = fn(params, 2)
            times[name].append(time.perf_counter() - t0)
            assert flat(res) == expect, name
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"B11: {n_params} trivial parameters, 2 subprocesses, median of {args.reps}")
    for name, _ in variants:
        print(f"  {name:55s} {med[name] * 1e3:9.1f} ms")
    ours = med[variants[0][0]]
    for name, _ in variants[1:3]:
        ratio = med[name] / ours
        print(f"SUMMARY|B11|parsweep MP manager vs {name}|{ratio:.1f}x|>=5x|{'yes' if ratio >= 5 else 'NO'}")
    # like for like: two chunks, one LocalResults per worker, both sides
    ratio = med[variants[2][0]] / med[variants[3][0]]
    print(f"SUMMARY|B11|parsweep CF manager vs WaterTAP ConcurrentFutures|{ratio:.1f}x|>=5x|"
          f"{'yes' if ratio >= 5 else 'NO'}")


def b12(args):
    n = 40 if args.smoke else 200
    fast, slow = (0.001, 0.05) if args.smoke else (0.002, 0.1)
    n_slow = n // 10
    params = numpy.arange(n)

    def cost(p):
        return slow if p < n_slow else fast

    def execute(local_parameters):
        for p in local_parameters:
            time.sleep(cost(int(p)))
        return [int(p) for p in local_parameters]

    try:
        pm = create_parallel_manager()
    except RuntimeError as e:  # a libparsweep without MPI
        print(f"B12 skipped: {e}")
        return
    rank, size = pm.get_rank(), pm.number_of_worker_processes()
    ideal = sum(cost(p) for p in range(n)) / size
    rows = {}
    for name in ("dynamic", "static"):
        walls = []
        for _ in range(args.reps):
            pm.sync_with_peers()
            t0 = time.perf_counter()
            if name == "dynamic":
                pm.scatter(lambda: [], {}, execute, params)
                got = flat(pm.gather())
            else:  # WaterTAP's MPI manager: array_split by rank, then allgather
                mine = numpy.array_split(params, size)[rank]
                got = [x for part in pm.combine_data_with_peers(execute(mine)) for x in part]
            walls.append(time.perf_counter() - t0)
            assert got == list(range(n)), name
        # the slowest rank's median is the wall time of the step
        rows[name] = max(pm.combine_data_with_peers(statistics.median(walls)))
    if rank == 0:
        print(f"B12: {n} parameters, {n_slow} clustered at the start {slow / fast:.0f}x slower, "
              f"{size} MPI ranks, ideal {ideal * 1e3:.0f} ms, median of {args.reps}")
        for name, wall in rows.items():
            print(f"  {name:8s} {wall * 1e3:8.0f} ms  {wall / ideal:.2f}x ideal")
        r = rows["dynamic"] / ideal
        print(f"SUMMARY|B12|MPI manager dynamic / ideal (static: {rows['static'] / ideal:.2f}x)|"
              f"{r:.2f}x|<=1.15x|{'yes' if r <= 1.15 else 'NO'}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--b12", action="store_true")
    ap.add_argument("--reps", type=int, default=None)
    args = ap.parse_args()
    if args.reps is None:
        args.reps = 1 if args.smoke else 5
    (b12 if args.b12 else b11)(args)


if __name__ == "__main__":
    main()
