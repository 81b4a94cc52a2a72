"""The seed's parallel manager classes (WaterTAP's parameter_sweep.parallel)
on libparsweep. Observable behaviour follows WaterTAP's own classes: the
shapes gather() returns, LocalResults and their order, and what each
collective does on the caller; the work itself runs in libparsweep's
workers with dynamic distribution (psw_for)."""

import atexit
import pickle
from abc import ABC, abstractmethod

from ._manager import Manager


class LocalResults:
    """The results of one unit of work: ``process_number`` (the rank, or the
    index of the parameter chunk, as in WaterTAP), the ``parameters`` it ran
    and the ``results`` do_execute returned for them."""

    def __init__(self, process_number, parameters, results):
        self.process_number = process_number
        self.parameters = parameters
        self.results = results

    def __repr__(self):
        return f"LocalResults({self.process_number!r}, {self.parameters!r}, {self.results!r})"


def build_and_execute(do_build, do_build_kwargs, do_execute, local_parameters):
    """do_build once, then do_execute on the parameters with what it built."""
    return do_execute(local_parameters, *do_build(**do_build_kwargs))


class ParallelManager(ABC):
    "Abstract base of the parallel managers (WaterTAP's interface)."
    ROOT_PROCESS_RANK = 0

    @abstractmethod
    def is_root_process(self):
        """Whether this process is the root of its group."""

    @abstractmethod
    def get_rank(self):
        """This process's rank in its group."""

    @abstractmethod
    def number_of_worker_processes(self):
        """How many processes run the simulations."""

    @abstractmethod
    def sync_with_peers(self):
        """A barrier with the peer processes."""

    @abstractmethod
    def sync_array_with_peers(self, data):
        """Broadcast root's array into `data` on every process."""

    @abstractmethod
    def sync_pyobject_with_peers(self, obj):
        """Return root's obj on every process."""

    @abstractmethod
    def combine_data_with_peers(self, data):
        """The list of every process's data, in rank order, on every process."""

    @abstractmethod
    def gather_arrays_to_root(self, sendbuf, recvbuf_spec):
        """Gatherv: recvbuf_spec = (receive array, sizes per process) on root."""

    @abstractmethod
    def sum_values_and_sync(self, sendbuf, recvbuf):
        """Allreduce with sum: recvbuf holds the sum on every process."""

    @abstractmethod
    def scatter(self, do_build, do_build_kwargs, do_execute, all_parameters):
        """Run do_execute(parameters, *do_build(**do_build_kwargs)) over all
        the parameters, do_build once per worker."""

    @abstractmethod
    def gather(self):
        """The list of LocalResults of the last scatter."""

    @abstractmethod
    def results_from_local_tree(self, results):
        """The LocalResults this process is responsible for."""


class _CallerOnly(ParallelManager):
    """WaterTAP's code runs on the caller alone: it is the root, and the
    collectives act on its data only (what WaterTAP's single-process and
    fan-out managers do)."""

    def is_root_process(self):
        return True

    def get_rank(self):
        return self.ROOT_PROCESS_RANK

    def sync_with_peers(self):
        pass

    def sync_array_with_peers(self, data):
        pass

    def sync_pyobject_with_peers(self, obj):
        return obj

    def combine_data_with_peers(self, data):
        return [data]

    def gather_arrays_to_root(self, sendbuf, recvbuf_spec):
        receive_arr, receive_sizes = recvbuf_spec[0], recvbuf_spec[1]
        assert len(receive_arr) == sum(receive_sizes), (
            "Gathering arrays to root cannot be done with mismatched sizes")
        receive_arr[:] = sendbuf[:]

    def results_from_local_tree(self, results):
        return results


class SingleProcessParallelManager(_CallerOnly):
    "Everything in the calling process."

    def __init__(self, **kwargs):
        self.results = None

    def number_of_worker_processes(self):
        return 1

    def sum_values_and_sync(self, sendbuf, recvbuf):
        recvbuf[0][:] = sendbuf[0][:]

    def scatter(self, do_build, do_build_kwargs, do_execute, all_parameters):
        self.results = LocalResults(
            self.ROOT_PROCESS_RANK, all_parameters,
            build_and_execute(do_build, do_build_kwargs, do_execute, all_parameters))

    def gather(self):
        return [self.results]

    def run(self, fn):
        """fn(ctx) as an SPMD region of one worker (libparsweep's serial)."""
        with Manager("serial") as m:
            return m.run(fn)


class _FanOutParallelManager(_CallerOnly):
    """The caller is the root and the only process WaterTAP's code runs on;
    the work fans out to libparsweep's fork workers (processes, one Python
    interpreter each). The collectives act on the caller alone, as
    WaterTAP's do for these managers; ``run(fn)`` gives real collectives
    among the workers."""

    # one LocalResults per parameter (MultiProcessing, RayIo) or per worker
    # chunk (ConcurrentFutures)
    _per_parameter = True

    def __init__(self, number_of_subprocesses=1, **kwargs):
        self.max_number_of_subprocesses = number_of_subprocesses
        self.actual_number_of_subprocesses = None
        self._results = None
        self._error = None

    def number_of_worker_processes(self):
        if self.actual_number_of_subprocesses is None:
            return self.max_number_of_subprocesses
        return self.actual_number_of_subprocesses

    def sum_values_and_sync(self, sendbuf, recvbuf):
        recvbuf[:] = sendbuf

    def scatter(self, do_build, do_build_kwargs, do_execute, all_parameters):
        """Runs the whole computation before it returns (the workers are
        forked by this call and must not race other Python threads of the
        caller); what went wrong is raised by gather()."""
        import numpy

        n = len(all_parameters)
        self.actual_number_of_subprocesses = min(self.max_number_of_subprocesses, n)
        self._results, self._error = [], None
        if n == 0:
            return
        chunks = numpy.array_split(all_parameters, n if self._per_parameter else self.actual_number_of_subprocesses)

        def body(ctx):
            # Only (index, result) pairs travel: the caller has the chunks,
            # and the root passes the workers' pickles on without opening
            # them (one serialisation, not three).
            args = do_build(**do_build_kwargs)
            mine = []
            ctx.for_each(len(chunks), lambda i: mine.append((i, do_execute(chunks[i], *args))))
            return ctx.gather_pickled(mine)

        try:
            with Manager("fork", self.actual_number_of_subprocesses) as m:
                parts = m.run(body)
            done = sorted((x for p in parts for x in pickle.loads(p)), key=lambda x: x[0])
            self._results = [LocalResults(i, chunks[i], r) for i, r in done]
        except Exception as e:  # noqa: BLE001 - WaterTAP's callers expect it from gather()
            self._error = e

    def gather(self):
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._results

    def run(self, fn):
        """fn(ctx) on number_of_worker_processes() forked workers."""
        with Manager("fork", self.number_of_worker_processes()) as m:
            return m.run(fn)


class MultiprocessingParallelManager(_FanOutParallelManager):
    "WaterTAP's MultiProcessing: one LocalResults per parameter, on fork workers."


class ConcurrentFuturesParallelManager(_FanOutParallelManager):
    "WaterTAP's ConcurrentFutures: one LocalResults per worker's chunk, on fork workers."
    _per_parameter = False


_world = None


def _world_manager():
    """The process's one mpi manager: MPI starts once and ends at exit."""
    global _world
    if _world is None:
        _world = Manager("mpi")
        atexit.register(_world.close)
    return _world


class MPIParallelManager(ParallelManager):
    """One worker per rank of the launcher (mpirun, srun), on libparsweep's
    mpi backend; every rank runs the script. `MPI` (WaterTAP passes the
    mpi4py module) is accepted and not used."""

    def __init__(self, MPI=None, **kwargs):
        self._mgr = _world_manager()
        self.rank = self._mgr.run(lambda ctx: ctx.rank)
        self.num_procs = self._mgr.num_workers
        self.results = None
        self._all = None
        self._error = None

    def _run(self, fn):
        return self._mgr.run(fn)

    def is_root_process(self):
        return self.rank == self.ROOT_PROCESS_RANK

    def get_rank(self):
        return self.rank

    def number_of_worker_processes(self):
        return self.num_procs

    def sync_with_peers(self):
        self._run(lambda ctx: ctx.barrier())

    def sync_array_with_peers(self, data):
        if self.num_procs > 1:
            self._run(lambda ctx: ctx.bcast_array(data, self.ROOT_PROCESS_RANK))

    def sync_pyobject_with_peers(self, obj):
        return self._run(lambda ctx: ctx.bcast(obj, self.ROOT_PROCESS_RANK))

    def combine_data_with_peers(self, data):
        return self._run(lambda ctx: ctx.allgather(data))

    def gather_arrays_to_root(self, sendbuf, recvbuf_spec):
        recvbuf, counts = recvbuf_spec[0], recvbuf_spec[1]
        self._run(lambda ctx: ctx.gatherv_array(sendbuf, recvbuf, counts, self.ROOT_PROCESS_RANK))

    def sum_values_and_sync(self, sendbuf, recvbuf):
        import numpy

        total = self._run(lambda ctx: ctx.allreduce(numpy.asarray(sendbuf), "sum"))
        numpy.copyto(recvbuf, numpy.asarray(total).reshape(numpy.shape(recvbuf)), casting="unsafe")

    def scatter(self, do_build, do_build_kwargs, do_execute, all_parameters):
        """do_build once per rank, then the parameters one at a time to
        whichever rank is free. gather() gives one LocalResults per
        parameter, in parameter order, with process_number the rank that ran
        it, on every rank."""
        import numpy

        n = len(all_parameters)
        self.results, self._all, self._error = [], [], None
        if n == 0:
            return
        chunks = numpy.array_split(all_parameters, n)

        def body(ctx):
            args = do_build(**do_build_kwargs)
            mine = []

            def task(i):
                mine.append((i, LocalResults(ctx.rank, chunks[i], do_execute(chunks[i], *args))))

            # One parameter per request: the mpi dispatcher's guided
            # chunks are not paced by task time, so its first chunks could
            # hold every slow parameter (B12).
            ctx.for_each(n, task, max_chunk=1)
            every = sorted((x for part in ctx.allgather(mine) for x in part), key=lambda x: x[0])
            return [r for _, r in mine], [r for _, r in every]

        try:
            self.results, self._all = self._run(body)
        except Exception as e:  # noqa: BLE001 - raised by gather(), as for the others
            self._error = e

    def gather(self):
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._all

    def results_from_local_tree(self, results):
        return [r for r in results if r.process_number == self.get_rank()]

    def run(self, fn):
        """fn(ctx) on every rank (each rank gets its own return value)."""
        return self._run(fn)
