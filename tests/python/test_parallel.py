"""parsweep.parallel on one process: WaterTAP's own parallel-manager tests
(src/parameter_sweep/parallel/tests) with the import changed, then what
parsweep adds: real worker processes, faults that raise instead of hanging,
and SPMD regions with collectives on serial, threads and fork."""

import os
import sys
import time

import numpy as np
import pytest

from parsweep.parallel import (
    ConcurrentFuturesParallelManager,
    LocalResults,
    Manager,
    MPIParallelManager,
    MultiprocessingParallelManager,
    ParallelManager,
    RayIoParallelManager,
    SingleProcessParallelManager,
    WorkerError,
    create_parallel_manager,
)

from parallellib import conformance

# tests/pslib: the process helpers the test harnesses share.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pslib import proc  # noqa: E402

FAN_OUT = [MultiprocessingParallelManager, ConcurrentFuturesParallelManager, RayIoParallelManager]


def do_build(base=10):
    return [base, -1]


def do_execute(local_parameters, base, multiplier):
    return [(base + p) * multiplier for p in local_parameters]


@pytest.fixture(autouse=True)
def fast_elastic(monkeypatch):
    """RayIo's head declares a silent worker lost after this many seconds
    (default 5): short, for the fault tests."""
    monkeypatch.setenv("PSW_ELASTIC_TIMEOUT", "2")


def children():
    """Live processes whose parent is this one (zombies count: unreaped)."""
    return proc.children(os.getpid())


# --- WaterTAP's test_parallel_manager.py -----------------------------------

def test_single_process():
    all_parameters = [1, 2, 3, 4]
    pm = SingleProcessParallelManager()
    pm.scatter(do_build, dict(), do_execute, all_parameters)
    res = pm.gather()
    assert len(res) == 1
    assert res[0].parameters == all_parameters
    assert res[0].results == [-11, -12, -13, -14]


def test_single_process_with_build_kwargs():
    all_parameters = [1, 2, 3, 4]
    pm = SingleProcessParallelManager()
    pm.scatter(do_build, {"base": 100}, do_execute, all_parameters)
    res = pm.gather()
    assert len(res) == 1
    assert res[0].parameters == all_parameters
    assert res[0].results == [-101, -102, -103, -104]


@pytest.mark.parametrize("number_of_subprocesses", [1, 4, 8])
def test_multiple_subprocesses(number_of_subprocesses):
    all_parameters = [1, 2, 3, 4, 5]
    pm = ConcurrentFuturesParallelManager(number_of_subprocesses)
    used = min(number_of_subprocesses, len(all_parameters))
    pm.scatter(do_build, {"base": 100}, do_execute, all_parameters)
    res = pm.gather()
    assert len(res) == used  # one LocalResults per subprocess's chunk
    assert pm.number_of_worker_processes() == used
    for r in res:
        assert len(r.parameters) > 0
        assert len(r.parameters) == len(r.results)
    assert [r.process_number for r in res] == list(range(used))
    assert [x for r in res for x in r.results] == [-101, -102, -103, -104, -105]


@pytest.mark.parametrize("cls", [MultiprocessingParallelManager, RayIoParallelManager])
@pytest.mark.parametrize("number_of_subprocesses", [1, 2])
def test_multiple_subprocesses_per_parameter(cls, number_of_subprocesses):
    all_parameters = [1, 2, 3, 4, 5]
    pm = cls(number_of_subprocesses)
    pm.scatter(do_build, {"base": 100}, do_execute, all_parameters)
    res = pm.gather()
    assert len(res) == len(all_parameters)  # one LocalResults per parameter
    for i, r in enumerate(res):
        assert r.process_number == i
        assert list(r.parameters) == [all_parameters[i]]
        assert len(r.parameters) == len(r.results)
    assert [x for r in res for x in r.results] == [-101, -102, -103, -104, -105]


def test_create_parallel_manager():
    pm = create_parallel_manager(number_of_subprocesses=2, parallel_back_end="ConcurrentFutures")
    assert isinstance(pm, ConcurrentFuturesParallelManager)
    pm = create_parallel_manager(number_of_subprocesses=2, parallel_back_end="MultiProcessing")
    assert isinstance(pm, MultiprocessingParallelManager)
    pm = create_parallel_manager(number_of_subprocesses=2, parallel_back_end="RayIo")
    assert isinstance(pm, RayIoParallelManager)


def test_factory_rules():
    for name, cls in [("concurrent.futures", ConcurrentFuturesParallelManager),
                      ("CONCURRENTFUTURES", ConcurrentFuturesParallelManager),
                      ("multiprocessing", MultiprocessingParallelManager),
                      ("ray", RayIoParallelManager), ("rayio", RayIoParallelManager)]:
        pm = create_parallel_manager(number_of_subprocesses=3, parallel_back_end=name)
        assert type(pm) is cls and pm.number_of_worker_processes() == 3
    # the default back end is MultiProcessing; one subprocess means no fan-out
    assert type(create_parallel_manager(number_of_subprocesses=2)) is MultiprocessingParallelManager
    assert type(create_parallel_manager()) is SingleProcessParallelManager
    assert type(create_parallel_manager(number_of_subprocesses=1, parallel_back_end="Bogus")) \
        is SingleProcessParallelManager
    with pytest.raises(NotImplementedError, match="ParallelManager Bogus is not yet implemented"):
        create_parallel_manager(number_of_subprocesses=2, parallel_back_end="Bogus")
    pm = create_parallel_manager(MultiprocessingParallelManager, number_of_subprocesses=5)
    assert type(pm) is MultiprocessingParallelManager and pm.number_of_worker_processes() == 5
    for cls in FAN_OUT + [SingleProcessParallelManager, MPIParallelManager]:
        assert issubclass(cls, ParallelManager)


def test_launcher_of_one_rank_is_not_mpi(monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "1")
    assert type(create_parallel_manager()) is SingleProcessParallelManager


# --- WaterTAP's test_{multiprocessing,concurrent_futures,ray_io}_parallel_manager.py

@pytest.mark.parametrize("cls", FAN_OUT + [SingleProcessParallelManager])
def test_collectives_on_one_process(cls):
    pm = cls(number_of_subprocesses=1) if cls is not SingleProcessParallelManager else cls()
    assert pm.combine_data_with_peers("test_data") == ["test_data"]
    sendbuf, recvbuf_spec = [1, 2, 3], [[0, 0, 0], [1, 2]]
    pm.gather_arrays_to_root(sendbuf, recvbuf_spec)
    assert recvbuf_spec[0] == [1, 2, 3]
    with pytest.raises(AssertionError, match="mismatched sizes"):
        pm.gather_arrays_to_root(sendbuf, [[0, 0], [1, 2]])
    sendbuf, recvbuf = [[1, 2, 3]], [[]]
    pm.sum_values_and_sync(sendbuf, recvbuf)
    assert recvbuf[0] == [1, 2, 3]
    assert pm.is_root_process() and pm.get_rank() == 0
    pm.sync_with_peers()
    a = np.arange(3.0)
    assert pm.sync_array_with_peers(a) is None and a.tolist() == [0.0, 1.0, 2.0]
    obj = {"a": 1}
    assert pm.sync_pyobject_with_peers(obj) is obj
    res = [LocalResults(0, [1], [2])]
    assert pm.results_from_local_tree(res) is res


def test_sum_values_and_sync_numpy():
    """How parameter_sweep.py calls it with several workers (MultiProcessing,
    ConcurrentFutures: recvbuf[:] = sendbuf) and on one (recvbuf[0][:])."""
    for cls in (MultiprocessingParallelManager, ConcurrentFuturesParallelManager):
        recv = np.zeros(1, dtype=int)
        cls(2).sum_values_and_sync(sendbuf=np.array(7, dtype=int), recvbuf=recv)
        assert recv.tolist() == [7]
    recv = np.zeros((1, 2))
    SingleProcessParallelManager().sum_values_and_sync(np.array([[1.5, 2.5]]), recv)
    assert recv.tolist() == [[1.5, 2.5]]


# --- beyond WaterTAP ---------------------------------------------------------

def slow_pid(local_parameters):
    time.sleep(0.05)
    return [(os.getpid(), p) for p in local_parameters]


@pytest.mark.parametrize("cls", FAN_OUT)
def test_results_come_from_worker_processes(cls):
    builds = "/tmp"  # each worker's do_build leaves a mark here
    mark = f"{builds}/psw-py-build-{os.getpid()}-"

    def build():
        open(mark + str(os.getpid()), "w").close()
        return []

    pm = cls(2)
    pm.scatter(build, {}, slow_pid, list(range(12)))
    res = pm.gather()
    pids = {pid for r in res for pid, _ in r.results}
    assert [p for r in res for _, p in r.results] == list(range(12))
    assert len(pids) == 2 and os.getpid() not in pids
    marks = [f for f in os.listdir(builds) if f.startswith(os.path.basename(mark))]
    for f in marks:
        os.unlink(os.path.join(builds, f))
    # do_build once per worker, in the workers
    assert sorted(int(f.rsplit("-", 1)[1]) for f in marks) == sorted(pids)
    assert children() == []


def raise_on_3(local_parameters):
    if 3 in list(local_parameters):
        raise ValueError("parameter 3 is bad")
    return list(local_parameters)


def exit_on_3(local_parameters):
    if 3 in list(local_parameters):
        os._exit(9)
    time.sleep(0.01)
    return list(local_parameters)


@pytest.mark.parametrize("cls", FAN_OUT)
def test_do_execute_raises(cls):
    pm = cls(2)
    t0 = time.monotonic()
    pm.scatter(lambda: [], {}, raise_on_3, list(range(8)))
    with pytest.raises(WorkerError, match=r"raised ValueError: parameter 3 is bad"):
        pm.gather()
    assert time.monotonic() - t0 < 30
    assert children() == []
    # the manager is usable again afterwards
    pm.scatter(do_build, {}, do_execute, [1, 2])
    assert [x for r in pm.gather() for x in r.results] == [-11, -12]


@pytest.mark.parametrize("cls", FAN_OUT)
def test_worker_dies(cls):
    pm = cls(2)
    t0 = time.monotonic()
    pm.scatter(lambda: [], {}, exit_on_3, list(range(8)))
    with pytest.raises(WorkerError, match="a worker process died"):
        pm.gather()
    assert time.monotonic() - t0 < 30
    assert children() == []


def exit_once(local_parameters, marker):
    """The first worker to run parameter 3 dies; parameter 3 is run again."""
    if 3 in list(local_parameters) and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(9)
    time.sleep(0.01)
    return [(os.getpid(), int(p)) for p in local_parameters]


def test_rayio_worker_lost_loses_nothing(tmp_path):
    pm = RayIoParallelManager(2)
    marker = str(tmp_path / "died")
    pm.scatter(lambda: [marker], {}, exit_once, list(range(30)))
    res = pm.gather()
    assert os.path.exists(marker)  # a worker did die
    assert [p for r in res for _, p in r.results] == list(range(30))
    assert children() == []


def test_rayio_remote_worker_joins(tmp_path):
    """A head with an endpoint: the same kind of script started elsewhere
    with PARSWEEP_RAYIO_CONNECT joins it; the head waits for both workers."""
    import subprocess
    import sys

    endpoint = str(tmp_path / "head.endpoint")
    env = dict(os.environ, PARSWEEP_RAYIO_CONNECT=endpoint,
               PYTHONPATH=os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    remote = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "rayio_worker.py")],
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        pm = RayIoParallelManager(1, endpoint=endpoint, min_workers=2)
        pm.scatter(lambda: [], {}, lambda lp: [(os.getpid(), int(p)) for p in lp if time.sleep(0.01) is None],
                   list(range(60)))
        res = pm.gather()
        out, _ = remote.communicate(timeout=30)
    finally:
        remote.kill()
        remote.wait()
    assert remote.returncode == 0, out
    assert out == f"worker {remote.pid} gather []\n"
    assert [p for r in res for _, p in r.results] == list(range(60))
    pids = {pid for r in res for pid, _ in r.results}
    assert remote.pid in pids and len(pids) == 2 and os.getpid() not in pids
    # the head leaves an end mark in place of its endpoint (issue 19: a
    # worker that comes late learns the sweep ended); no key remains
    with open(endpoint) as f:
        mark = f.read()
    assert "ended: yes" in mark and "secret" not in mark, mark


def test_rayio_large_results_and_limit():
    pm = RayIoParallelManager(2, record_size=1 << 20)
    pm.scatter(lambda: [], {}, lambda lp: [b"x" * 500_000 for _ in lp], list(range(4)))
    assert [len(x) for r in pm.gather() for x in r.results] == [500_000] * 4
    pm = RayIoParallelManager(2)  # 64 KiB records by default
    pm.scatter(lambda: [], {}, lambda lp: [b"x" * 100_000 for _ in lp], list(range(4)))
    with pytest.raises(WorkerError, match="more than a record's 65528"):
        pm.gather()


def test_fork_with_threads_warns():
    import threading

    ev = threading.Event()
    t = threading.Thread(target=ev.wait)
    t.start()
    try:
        with pytest.warns(RuntimeWarning, match="other Python thread"):
            assert Manager("fork", 1).run(lambda ctx: ctx.size) == 1
    finally:
        ev.set()
        t.join()


def test_do_build_raises():
    def build():
        raise KeyError("no model")

    pm = MultiprocessingParallelManager(2)
    pm.scatter(build, {}, do_execute, [1, 2, 3])
    with pytest.raises(WorkerError, match="KeyError: 'no model'"):
        pm.gather()


def test_numpy_parameters():
    """parameter_sweep.py passes a 2-D array of combinations."""
    combos = np.arange(20.0).reshape(10, 2)
    pm = MultiprocessingParallelManager(2)
    pm.scatter(lambda: [], {}, lambda lp: lp.sum(axis=1), combos)
    res = pm.gather()
    assert len(res) == 10 and all(r.parameters.shape == (1, 2) for r in res)
    assert np.concatenate([r.results for r in res]).tolist() == combos.sum(axis=1).tolist()


def test_empty_parameters():
    pm = MultiprocessingParallelManager(2)
    pm.scatter(do_build, {}, do_execute, [])
    assert pm.gather() == []


# --- SPMD regions ------------------------------------------------------------

@pytest.mark.parametrize("backend", ["serial", "threads", "fork"])
def test_spmd_conformance(backend):
    with Manager(backend, 3) as m:
        n, pid = m.run(conformance)
    assert n == (1 if backend == "serial" else 3)
    assert (pid != os.getpid()) == (backend == "fork")


def test_spmd_from_the_managers():
    assert MultiprocessingParallelManager(2).run(lambda ctx: ctx.allgather(ctx.rank)) == [0, 1]
    assert SingleProcessParallelManager().run(lambda ctx: ctx.size) == 1


@pytest.mark.parametrize("backend", ["threads", "fork"])
def test_spmd_error_names_the_worker(backend):
    def body(ctx):
        if ctx.rank == 1:
            raise RuntimeError("rank one fails")
        ctx.barrier()  # the others wait here and are released by the failure

    t0 = time.monotonic()
    with Manager(backend, 2) as m, pytest.raises(WorkerError, match="worker 1 raised RuntimeError: rank one fails"):
        m.run(body)
    assert time.monotonic() - t0 < 30


def test_library_lookup(monkeypatch, tmp_path):
    from parsweep.parallel import _lib

    assert os.path.exists(_lib.find_library())
    monkeypatch.setenv("PARSWEEP_LIBRARY", str(tmp_path / "nowhere.so"))
    assert _lib.find_library() is None
