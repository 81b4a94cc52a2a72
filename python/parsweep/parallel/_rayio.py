"""RayIoParallelManager on libparsweep's elastic backend (docs/elastic.md):
the caller is the head, which hands parameters out and receives every
result; worker processes connect to it over TCP, may join at any time and
may be lost without losing a parameter (their parameters go to the others).

By default the head starts number_of_subprocesses local workers (forked
before the head opens its sockets). Workers on other nodes join when the
head listens where they can reach it and writes its endpoint where they can
read it (RayIoParallelManager(n, endpoint=FILE, listen="HOST:PORT"), or
$PARSWEEP_RAYIO_ENDPOINT and $PARSWEEP_RAYIO_LISTEN): the same script
started with $PARSWEEP_RAYIO_CONNECT=FILE is a worker there, whose scatter()
serves the head's scatter and whose gather() returns [].
"""

import ctypes
import os
import select
import shutil
import tempfile
import threading
import time

from . import _lib
from ._classes import LocalResults, _FanOutParallelManager
from ._manager import Manager
from ._spmd import WorkerError, _flush_std, warn_if_threads

_START_TIMEOUT_S = 30  # a local worker waits this long for the head's go


def _local_worker(go_fd, endpoint, body, errpath):
    """A forked local worker: wait for the head, serve its region, leave
    without running the caller's exit handlers or destructors."""
    code = 1
    try:
        ready, _, _ = select.select([go_fd], [], [], _START_TIMEOUT_S)
        if ready and os.read(go_fd, 1) == b"g":
            # Not closed: the process ends here, and a worker's orderly
            # close waits out a heartbeat period (1 s) for nothing.
            m = Manager("elastic", elastic_connect=endpoint)
            m.run(body)
            code = 0
    except BaseException as e:  # noqa: B902 - reported to the head through errpath
        with open(errpath, "w") as f:
            f.write(str(e))
    finally:
        _flush_std()
        os._exit(code)


class RayIoParallelManager(_FanOutParallelManager):
    """WaterTAP's RayIo: one LocalResults per parameter, on libparsweep's
    elastic backend (no Ray). endpoint/listen: where the head writes its
    endpoint file and listens, so that workers on other nodes can join."""

    def __init__(self, number_of_subprocesses=1, endpoint=None, listen=None, min_workers=0,
                 record_size=1 << 16, **kwargs):
        super().__init__(number_of_subprocesses)
        self.min_workers = min_workers
        # what one parameter's result may take pickled: results stream to
        # the head in records of this size
        self.record_size = record_size
        self.endpoint = endpoint or os.environ.get("PARSWEEP_RAYIO_ENDPOINT")
        self.listen = listen or os.environ.get("PARSWEEP_RAYIO_LISTEN")
        self.connect = os.environ.get("PARSWEEP_RAYIO_CONNECT")

    def is_root_process(self):
        return self.connect is None

    def sum_values_and_sync(self, sendbuf, recvbuf):
        recvbuf[0][:] = sendbuf[0][:]

    def scatter(self, do_build, do_build_kwargs, do_execute, all_parameters):
        """Runs the whole computation before it returns; gather() gives the
        results or raises what went wrong."""
        import numpy

        n = len(all_parameters)
        self.actual_number_of_subprocesses = min(self.max_number_of_subprocesses, n)
        self._results, self._error = [], None
        if n == 0:
            return
        chunks = numpy.array_split(all_parameters, n)
        head = None if self.connect else os.getpid()

        def body(ctx):
            if os.getpid() == head:  # the head runs no tasks: nothing to build
                return ctx.for_each_collect(n, None, self.record_size, stop=stop)
            args = do_build(**do_build_kwargs)
            return ctx.for_each_collect(n, lambda i: do_execute(chunks[i], *args), self.record_size)

        stop = ctypes.c_int(0)
        try:
            if self.connect:
                _wait_for(self.connect, _START_TIMEOUT_S)
                with Manager("elastic", elastic_connect=self.connect) as m:
                    try:
                        m.run(body)
                    except WorkerError as e:
                        # The head ended the sweep while this worker was
                        # leaving (its end mark read before its BYE): as
                        # `parsweep worker`, that is the sweep's end, not
                        # a failure.
                        if getattr(e, "rc", None) != _lib.ERR_UNAVAILABLE:
                            raise
                return
            got = self._run_head(body, stop)
            self._results = [LocalResults(i, chunks[i], got[i]) for i in sorted(got)]
        except Exception as e:  # noqa: BLE001 - WaterTAP's callers expect it from gather()
            self._error = e

    def _run_head(self, body, stop):
        tmpdir = tempfile.mkdtemp(prefix="parsweep-rayio-")
        endpoint = self.endpoint or os.path.join(tmpdir, "endpoint")
        kids, pipes = {}, []
        warn_if_threads()
        _flush_std()
        try:
            for k in range(self.actual_number_of_subprocesses):
                r, w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(w)
                    _local_worker(r, endpoint, body, os.path.join(tmpdir, f"err.{k}"))
                os.close(r)
                kids[pid], _ = None, pipes.append(w)
            with Manager("elastic", elastic_endpoint=endpoint, elastic_listen=self.listen,
                         elastic_min_workers=self.min_workers) as m:
                for w in pipes:
                    os.write(w, b"g")
                watch = _Watchdog(kids, stop, remote=self.endpoint is not None)
                try:
                    return m.run(body)
                except WorkerError as e:
                    watch.finish()
                    _end(kids)  # their reports are written when they have left
                    raise self._explain(e, tmpdir, kids, stop) from None
                finally:
                    watch.finish()
        finally:
            for w in pipes:
                os.close(w)
            _end(kids)
            shutil.rmtree(tmpdir, ignore_errors=True)

    @staticmethod
    def _explain(error, tmpdir, kids, stop):
        """The workers' own exception before the head's view of it."""
        for name in sorted(os.listdir(tmpdir)):
            if name.startswith("err."):
                with open(os.path.join(tmpdir, name)) as f:
                    text = f.read()
                if not text.startswith("another worker raised"):
                    return WorkerError(text)
        if stop.value:
            statuses = ", ".join(f"pid {pid}: {_status(st)}" for pid, st in kids.items())
            return WorkerError(f"a worker process died, and no worker is left ({statuses})")
        return error


def _wait_for(path, timeout_s):
    """A worker may start before its head has written the endpoint."""
    deadline = time.monotonic() + timeout_s
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise WorkerError(f"{path}: no endpoint file after {timeout_s} s (is the head running?)")
        time.sleep(0.05)


def _status(st):
    if st is None:
        return "running"
    return f"signal {os.WTERMSIG(st)}" if os.WIFSIGNALED(st) else f"exit {os.WEXITSTATUS(st)}"


class _Watchdog:
    """Reaps the local workers while the head waits; once every one is gone
    and no remote worker may come, stops the loop (it would wait for
    workers for ever)."""

    def __init__(self, kids, stop, remote):
        self.kids, self.stop, self.remote = kids, stop, remote
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()

    def _main(self):
        while not self.done.wait(0.05):
            for pid, st in list(self.kids.items()):
                if st is None:
                    got, status = os.waitpid(pid, os.WNOHANG)
                    if got:
                        self.kids[pid] = status
            if not self.remote and self.kids and all(st is not None for st in self.kids.values()):
                self.stop.value = 1
                return

    def finish(self):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


def _end(kids, grace_s=5.0):
    """Every local worker reaped: they leave when the head's region ends;
    those still there after grace_s are killed."""
    deadline = time.monotonic() + grace_s
    for pid, st in kids.items():
        while st is None:
            got, status = os.waitpid(pid, os.WNOHANG)
            if got:
                kids[pid] = st = status
            elif time.monotonic() > deadline:
                os.kill(pid, 9)
                kids[pid] = st = os.waitpid(pid, 0)[1]
            else:
                time.sleep(0.01)
