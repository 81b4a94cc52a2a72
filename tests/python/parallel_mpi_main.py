"""Run under `mpirun -n N` by test_parallel_mpi.py: every method of
parsweep.parallel's MPIParallelManager the way parameter_sweep.py calls
them, checked against values computed from rank and size; each rank prints
one line 'rank R ok ...'. With argument `raise` or `exit`, one rank's
do_execute fails and every rank must see gather() raise."""

import os
import sys

import numpy as np

from parallellib import conformance
from parsweep.parallel import MPIParallelManager, WorkerError, create_parallel_manager


def do_build(base=10):
    return [base, -1]


def do_execute(local_parameters, base, multiplier):
    return [(base + p) * multiplier for p in local_parameters]


def fail_on_3(local_parameters):
    if 3 in list(local_parameters):
        if sys.argv[1] == "exit":
            os._exit(9)
        raise ValueError("parameter 3 is bad")
    return list(local_parameters)


def hybrid():
    """SPMD conformance on the hybrid backend: ranks x 2 fork workers."""
    from parsweep.parallel import Manager

    with Manager("hybrid", 2) as m:
        out = m.run(conformance)
        rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "0")))
        if rank == 0:
            size, _ = out
            print(f"hybrid ok of {size} workers {m.num_workers}", flush=True)


def main():
    if sys.argv[1:] == ["hybrid"]:
        return hybrid()
    # MPI wins over number_of_subprocesses, as in WaterTAP
    pm = create_parallel_manager(number_of_subprocesses=4, parallel_back_end="MultiProcessing")
    assert isinstance(pm, MPIParallelManager), type(pm)
    r, n = pm.get_rank(), pm.number_of_worker_processes()
    if len(sys.argv) > 1:
        pm.scatter(lambda: [], {}, fail_on_3, list(range(20)))
        try:
            pm.gather()
        except WorkerError as e:
            print(f"rank {r} raised {str(e).splitlines()[0]}", flush=True)
            return
        print(f"rank {r} did not raise", flush=True)
        return
    assert pm.is_root_process() == (r == 0)
    pm.sync_with_peers()
    a = np.arange(4.0) if r == 0 else np.zeros(4)
    pm.sync_array_with_peers(a)
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert pm.sync_pyobject_with_peers({"from": r}) == {"from": 0}
    assert pm.combine_data_with_peers(r + 1) == list(range(1, n + 1))
    total = np.zeros(1, dtype=int)
    pm.sum_values_and_sync(sendbuf=np.array(r + 1, dtype=int), recvbuf=total)
    assert total.tolist() == [n * (n + 1) // 2]
    # parameter_sweep.py's _combine_outputs: sizes, then Gatherv to root
    send = np.full(r + 1, float(r))
    sizes = pm.combine_data_with_peers(len(send))
    recv = np.zeros(sum(sizes)) if pm.is_root_process() else None
    pm.gather_arrays_to_root(sendbuf=send, recvbuf_spec=(recv, sizes))
    if r == 0:
        assert recv.tolist() == [float(i) for i in range(n) for _ in range(i + 1)]
    ok = np.array([True, r % 2 == 0])
    recv = np.empty(2 * n, dtype=bool) if r == 0 else None
    pm.gather_arrays_to_root(sendbuf=ok, recvbuf_spec=(recv, [2] * n))
    if r == 0:
        assert recv.tolist() == [x for i in range(n) for x in (True, i % 2 == 0)]
    # scatter/gather: every rank gets every result, in parameter order
    params = list(range(1, 31))
    pm.scatter(do_build, {"base": 100}, do_execute, params)
    res = pm.gather()
    assert [x for t in res for x in t.results] == [-(100 + p) for p in params]
    assert [list(t.parameters) for t in res] == [[p] for p in params]
    mine = pm.results_from_local_tree(res)
    assert all(t.process_number == r for t in mine)
    counts = pm.combine_data_with_peers(len(mine))
    assert sum(counts) == len(params)
    # SPMD regions on the mpi backend
    size, _ = pm.run(conformance)
    assert size == n
    print(f"rank {r} ok of {n} ran {len(mine)} ", flush=True)


if __name__ == "__main__":
    main()
