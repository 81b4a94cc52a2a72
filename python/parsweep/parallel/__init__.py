"""parsweep.parallel: WaterTAP's parallel manager API on libparsweep.

Change ``from parameter_sweep.parallel.parallel_manager_factory import
create_parallel_manager`` to ``from parsweep.parallel import
create_parallel_manager``; the classes, their methods and gather()'s results
behave as WaterTAP's, and the work runs in libparsweep's worker processes
(fork backend; RayIo: the elastic backend, workers may join from other
nodes) or MPI ranks (mpi backend): do_build once per worker,
parameters handed out dynamically, and a worker that raises or dies makes
gather() raise instead of hanging. ``Manager(backend, n).run(fn)`` and each
manager's ``run(fn)`` give SPMD regions with real collectives (ctx.barrier,
ctx.bcast, ctx.gather, ctx.allgather, ctx.allreduce, ctx.for_each).

The library is found through $PARSWEEP_LIBRARY, next to the installed
package, or in a build tree beside the checkout (see _lib.py, docs/python.md).
"""

import os

from ._classes import (
    ConcurrentFuturesParallelManager,
    LocalResults,
    MPIParallelManager,
    MultiprocessingParallelManager,
    ParallelManager,
    SingleProcessParallelManager,
    build_and_execute,
)
from ._rayio import RayIoParallelManager
from ._lib import ParsweepError, find_library
from ._manager import Manager
from ._spmd import Context, WorkerError

__all__ = [
    "create_parallel_manager", "has_mpi_peer_processes", "should_fan_out",
    "ParallelManager", "SingleProcessParallelManager", "MPIParallelManager",
    "ConcurrentFuturesParallelManager", "MultiprocessingParallelManager",
    "RayIoParallelManager", "LocalResults", "build_and_execute", "Manager",
    "Context", "WorkerError", "ParsweepError", "find_library",
]

# The variables launchers set to the number of ranks: Open MPI, MPICH/Hydra
# and Intel MPI (PMI), MVAPICH, and srun (set for a step, not a batch script).
_LAUNCHER_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")


def _launcher_size():
    for var in _LAUNCHER_SIZE_VARS:
        try:
            return int(os.environ[var])
        except (KeyError, ValueError):
            continue
    return 1


def has_mpi_peer_processes():
    """Whether this process is one of several ranks of a launcher. Raises
    RuntimeError when it is and this libparsweep has no mpi backend: N
    copies of the whole computation would be wrong."""
    if _launcher_size() <= 1:
        return False
    from . import _lib

    if _lib.lib().psw_backend_lookup(b"mpi") is None:
        raise RuntimeError(
            f"parsweep.parallel: this process is one of {_launcher_size()} launcher ranks but "
            f"{_lib.lib().path} was built without MPI: rebuild with -DPSW_WITH_MPI=ON"
        )
    return True


def should_fan_out(number_of_subprocesses):
    """Whether to fan out to subprocesses (not under MPI)."""
    return number_of_subprocesses > 1


def create_parallel_manager(parallel_manager_class=None, **kwargs):
    """WaterTAP's factory. parallel_manager_class, when given, is
    instantiated with kwargs. Otherwise: several ranks of a launcher give
    MPIParallelManager; number_of_subprocesses > 1 fans out with
    parallel_back_end "MultiProcessing" (the default), "ConcurrentFutures"
    ("concurrent.futures") or "RayIo" ("ray"), case-insensitively, any other
    name raising NotImplementedError; else SingleProcessParallelManager."""
    if parallel_manager_class is not None:
        return parallel_manager_class(**kwargs)
    if has_mpi_peer_processes():
        return MPIParallelManager()
    number_of_subprocesses = kwargs.get("number_of_subprocesses", 1)
    if should_fan_out(number_of_subprocesses):
        backend = kwargs.get("parallel_back_end", "multiprocessing")
        name = backend.lower()
        if name in ("concurrentfutures", "concurrent.futures"):
            return ConcurrentFuturesParallelManager(number_of_subprocesses)
        if name in ("multiprocessing",):
            return MultiprocessingParallelManager(number_of_subprocesses)
        if name in ("rayio", "ray"):
            return RayIoParallelManager(number_of_subprocesses)
        raise NotImplementedError(f"ParallelManager {backend} is not yet implemented")
    return SingleProcessParallelManager()
