"""SPMD regions of libparsweep from Python: ``Manager.run(fn)`` runs
``fn(ctx)`` once on every worker of a backend; ``ctx`` has the rank, the
collectives (on numpy arrays and on picklable objects) and the dynamic loop.

On the fork backend the workers are forked children of the caller: what
``fn`` changes in memory stays in them, so the root's return value and every
worker's exception travel back through a private temporary directory.
"""

import ctypes
import os
import pickle
import shutil
import sys
import tempfile
import threading
import traceback

from . import _lib
from ._lib import ParsweepError, check

_MODEL_ERR = -15  # PSW_ERR_MODEL: the region function raised


class WorkerError(RuntimeError):
    """A worker's Python code raised, or a worker process died; the message
    names the worker and carries the worker's traceback when there is one."""


def _np():
    import numpy

    return numpy


_DTYPES = {"int32": _lib.INT32, "int64": _lib.INT64, "uint64": _lib.UINT64, "float64": _lib.DOUBLE}
_OPS = {"sum": _lib.SUM, "min": _lib.MIN, "max": _lib.MAX, "prod": _lib.PROD}


def _reduce_dtype(np, dtype):
    """The dtype a reduction runs in: the array's own when the library has it,
    else the widest of its kind."""
    if dtype.name in _DTYPES:
        return dtype
    if dtype.kind in "bi":
        return np.dtype("int64")
    if dtype.kind == "u":
        return np.dtype("uint64")
    if dtype.kind == "f":
        return np.dtype("float64")
    raise TypeError(f"cannot reduce arrays of dtype {dtype}")


class Context:
    """One worker's view of a region (psw_ctx_t)."""

    def __init__(self, ptr):
        self._p = ptr
        L = _lib.lib()
        self.rank = L.psw_rank(ptr)
        self.size = L.psw_size(ptr)
        self.node = L.psw_node_id(ptr)
        self.num_nodes = L.psw_num_nodes(ptr)

    def is_root(self):
        return self.rank == 0

    def barrier(self):
        check(_lib.lib().psw_barrier(self._p), "barrier")

    # -- byte messages underneath the object collectives
    def _bcast_bytes(self, data, root):
        np = _np()
        n = np.array([len(data) if self.rank == root else 0], dtype=np.int64)
        check(_lib.lib().psw_bcast(self._p, n.ctypes.data, 1, _lib.INT64, root), "bcast")
        buf = np.frombuffer(data, dtype=np.uint8).copy() if self.rank == root else np.empty(int(n[0]), np.uint8)
        if buf.size:
            check(_lib.lib().psw_bcast_bytes(self._p, buf.ctypes.data, buf.size, root), "bcast")
        return buf.tobytes()

    def _gather_bytes(self, data, root, everyone=False):
        np = _np()
        L = _lib.lib()
        mine = np.array([len(data)], dtype=np.int64)
        sizes = np.zeros(self.size, dtype=np.int64)
        check(L.psw_allgather(self._p, mine.ctypes.data, 1, sizes.ctypes.data, _lib.INT64), "allgather")
        send = np.frombuffer(data, dtype=np.uint8)
        counts = sizes.astype(np.uint64)
        displs = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.uint64)
        recv = np.empty(int(sizes.sum()) if (everyone or self.rank == root) else 0, np.uint8)
        check(
            L.psw_gatherv(self._p, send.ctypes.data if send.size else None, send.size,
                          recv.ctypes.data if recv.size else None, counts.ctypes.data,
                          displs.ctypes.data, _lib.BYTE, root),
            "gatherv",
        )
        if everyone:
            recv = np.frombuffer(self._bcast_bytes(recv.tobytes(), root), dtype=np.uint8)
        elif self.rank != root:
            return None
        return [recv[int(d):int(d) + int(c)].tobytes() for d, c in zip(displs, counts)]

    # -- picklable objects
    def bcast(self, obj, root=0):
        """root's obj on every worker (sync_pyobject_with_peers)."""
        data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL) if self.rank == root else b""
        return pickle.loads(self._bcast_bytes(data, root))

    def gather(self, obj, root=0):
        """Every worker's obj, in rank order, on root (None elsewhere)."""
        parts = self._gather_bytes(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), root)
        return None if parts is None else [pickle.loads(p) for p in parts]

    def gather_pickled(self, obj, root=0):
        """As gather, but root gets every worker's pickle of obj unopened
        (bytes, rank order), to pass on (None elsewhere)."""
        return self._gather_bytes(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), root)

    def allgather(self, obj):
        """Every worker's obj, in rank order, on every worker
        (combine_data_with_peers)."""
        parts = self._gather_bytes(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), 0, everyone=True)
        return [pickle.loads(p) for p in parts]

    # -- numpy arrays
    def bcast_array(self, array, root=0):
        """Root's contents copied into `array` (same shape, contiguous) on
        every worker (sync_array_with_peers)."""
        np = _np()
        if not (isinstance(array, np.ndarray) and array.flags.c_contiguous):
            raise TypeError("bcast_array needs a C-contiguous numpy array")
        if array.nbytes:
            check(_lib.lib().psw_bcast_bytes(self._p, array.ctypes.data, array.nbytes, root), "bcast")
        return array

    def allreduce(self, value, op="sum"):
        """Element-wise reduction over the workers, result on every worker.
        A numpy array (or number) is reduced by the library in rank order
        and comes back as an array of its shape; any other picklable object
        is combined in Python with `op` ("sum", "min", "max", "prod" or a
        two-argument function), in rank order."""
        np = _np()
        if isinstance(value, (np.ndarray, np.generic, int, float)) and isinstance(op, str) and op in _OPS:
            a = np.asarray(value)
            dt = _reduce_dtype(np, a.dtype)
            send = np.ascontiguousarray(a, dtype=dt).ravel()
            recv = np.empty_like(send)
            if send.size:
                check(_lib.lib().psw_allreduce(self._p, send.ctypes.data, recv.ctypes.data, send.size,
                                               _DTYPES[dt.name], _OPS[op]), "allreduce")
            return recv.reshape(a.shape).astype(a.dtype, copy=False)
        import functools
        import operator

        fn = {"sum": operator.add, "min": min, "max": max, "prod": operator.mul}.get(op, op)
        return functools.reduce(fn, self.allgather(value))

    def gatherv_array(self, sendbuf, recvbuf, counts, root=0):
        """MPI's Gatherv: worker r's `sendbuf` (counts[r] elements) lands at
        element sum(counts[:r]) of root's `recvbuf` (numpy; None elsewhere)."""
        np = _np()
        send = np.ascontiguousarray(sendbuf)
        item = send.dtype.itemsize
        L = _lib.lib()
        if self.rank == root:
            if not (isinstance(recvbuf, np.ndarray) and recvbuf.flags.c_contiguous):
                raise TypeError("gather_arrays_to_root needs a C-contiguous numpy receive buffer on the root")
            if recvbuf.dtype != send.dtype:
                raise TypeError(f"gather_arrays_to_root: send dtype {send.dtype} != receive dtype {recvbuf.dtype}")
            c = np.asarray(counts, dtype=np.uint64) * np.uint64(item)
            if int(c.sum()) > recvbuf.nbytes:
                raise ValueError("gather_arrays_to_root: the counts exceed the receive buffer")
            d = np.concatenate(([0], np.cumsum(c)[:-1])).astype(np.uint64)
            rc = L.psw_gatherv(self._p, send.ctypes.data if send.size else None, send.nbytes,
                               recvbuf.ctypes.data, c.ctypes.data, d.ctypes.data, _lib.BYTE, root)
        else:
            rc = L.psw_gatherv(self._p, send.ctypes.data if send.size else None, send.nbytes,
                               None, None, None, _lib.BYTE, root)
        check(rc, "gatherv")
        return recvbuf

    # -- the dynamic loop
    def for_each(self, n, task, max_chunk=0):
        """Collective: task(i) exactly once for every i in range(n), on
        whichever worker is free (psw_for: guided self-scheduling). An
        exception in task stops the loop on every worker and is raised again
        on the worker where it happened. max_chunk > 0 caps the indices a
        worker takes at once (1: one at a time, for long tasks whose cost
        varies, where the first guided chunks could hold all the slow ones)."""
        failure = []
        L = _lib.lib()

        def run(index):
            try:
                task(int(index))
                return 0
            except BaseException as e:  # noqa: B902 - every exception must stop the loop
                failure.append(e)
                return _MODEL_ERR

        if max_chunk:
            opts = _lib.ForOpts()
            L.psw_for_opts_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
            opts.max_chunk = int(max_chunk)
            cb = _lib.TASK_REC_FN(lambda _ctx, index, _rec, _arg: run(index))
            rc = L.psw_for_ex(self._p, n, cb, None, ctypes.byref(opts))
        else:
            rc = L.psw_for(self._p, n, _lib.TASK_FN(lambda _ctx, index, _arg: run(index)), None)
        if failure:
            raise failure[0]
        check(rc, "psw_for")


    def for_each_collect(self, n, task, record_size=1 << 16, stop=None):
        """Collective: result = task(i) exactly once for every i in
        range(n), on whichever worker is free; returns {i: result} on the
        root, {} elsewhere. Each result travels pickled in a record of
        record_size bytes (8 of them its length) streamed to the root while
        the loop runs (psw_for_ex's sink), so it reaches the root even when
        the worker that made it is lost later (elastic). stop: a ctypes
        c_int that, once non-zero, ends the loop (PSW_ERR_INTERRUPTED)."""
        failure, got = [], {}
        L = _lib.lib()

        def run(_ctx, index, rec, _arg):
            try:
                data = pickle.dumps(task(int(index)), pickle.HIGHEST_PROTOCOL)
                if len(data) + 8 > record_size:
                    raise ValueError(f"the result of parameter {int(index)} takes {len(data)} bytes pickled, "
                                     f"more than a record's {record_size - 8}")
                ctypes.memmove(rec, len(data).to_bytes(8, "little") + data, len(data) + 8)
                return 0
            except BaseException as e:  # noqa: B902 - every exception must stop the loop
                failure.append(e)
                return _MODEL_ERR

        def sink(index, rec, _arg):
            size = int.from_bytes(ctypes.string_at(rec, 8), "little")
            got[int(index)] = ctypes.string_at(rec + 8, size)
            return 0

        opts = _lib.ForOpts()
        L.psw_for_opts_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        opts.record_size = record_size
        sink_cb = _lib.SINK_FN(sink)
        opts.sink = ctypes.cast(sink_cb, ctypes.c_void_p)
        if stop is not None:
            opts.stop = ctypes.addressof(stop)
        rc = L.psw_for_ex(self._p, n, _lib.TASK_REC_FN(run), None, ctypes.byref(opts))
        if failure:
            raise failure[0]
        check(rc, "psw_for_ex")
        return {i: pickle.loads(b) for i, b in got.items()}


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _flush_std():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:  # noqa: BLE001 - a closed stream must not fail the region
            pass


def warn_if_threads():
    """Forking while other Python threads run can hand a child a lock one of
    them held (the GIL's among them): say so once per call."""
    if threading.active_count() > 1:
        import warnings

        warnings.warn(f"parsweep.parallel forks worker processes while {threading.active_count() - 1} other "
                      "Python thread(s) run: a worker may deadlock on a lock one of them held",
                      RuntimeWarning, stacklevel=3)


def run_region(mgr_ptr, fn):
    """Run fn(Context) on every worker of the manager; return the root's
    return value (under mpi, this rank's own). Raise WorkerError when a
    worker raised or died."""
    L = _lib.lib()
    backend = L.psw_backend_name(mgr_ptr).decode()
    caller = os.getpid()
    tmpdir = tempfile.mkdtemp(prefix="parsweep-py-") if backend in ("fork", "hybrid") else None
    box = {"errors": {}}
    lock = threading.Lock()

    def region(ctx_ptr, _arg):
        ctx = Context(ctx_ptr)
        forked = os.getpid() != caller
        try:
            ret = fn(ctx)
            rc = 0
        except BaseException as e:  # noqa: B902 - reported to the caller
            ret, rc = None, _MODEL_ERR
            text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            record = (isinstance(e, ParsweepError), f"{type(e).__name__}: {e}", text)
            if forked:
                _write(os.path.join(tmpdir, f"err.{ctx.rank}"), pickle.dumps(record))
            else:
                with lock:
                    box["errors"][ctx.rank] = record
        if rc == 0 and (ctx.rank == 0 or backend == "mpi"):
            if forked:
                try:
                    _write(os.path.join(tmpdir, "ret"), pickle.dumps(ret, pickle.HIGHEST_PROTOCOL))
                except Exception as e:  # noqa: BLE001
                    _write(os.path.join(tmpdir, f"err.{ctx.rank}"),
                           pickle.dumps((False, f"cannot return the root's result: {e}", "")))
                    rc = _MODEL_ERR
            else:
                box["ret"] = ret
        if forked:
            _flush_std()
        return rc

    if backend in ("fork", "hybrid"):
        warn_if_threads()
    _flush_std()  # else the children would print the caller's pending output again
    try:
        rc = L.psw_parallel(mgr_ptr, _lib.REGION_FN(region), None)
        errors = dict(box["errors"])
        if tmpdir:
            for name in os.listdir(tmpdir):
                if name.startswith("err."):
                    with open(os.path.join(tmpdir, name), "rb") as f:
                        errors[int(name[4:])] = pickle.loads(f.read())
            if rc == 0 and os.path.exists(os.path.join(tmpdir, "ret")):
                with open(os.path.join(tmpdir, "ret"), "rb") as f:
                    box["ret"] = pickle.loads(f.read())
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    if rc != 0 or errors:
        raise _region_error(rc, errors)
    return box.get("ret")


def _region_error(rc, errors):
    """The error that best explains a failed region: a worker's own Python
    exception before the library errors it caused in the others."""
    own = {r: e for r, e in errors.items() if not e[0]}
    if own:
        rank = min(own)
        _, line, text = own[rank]
        return WorkerError(f"worker {rank} raised {line}\n{text}".rstrip())
    L = _lib.lib()
    name = L.psw_err_name(rc).decode()
    if rc == _lib.ERR_PEER_LOST or any("PEER_LOST" in e[1] for e in errors.values()):
        rc = _lib.ERR_PEER_LOST
        name = "PEER_LOST"
        return WorkerError(f"a worker process died ({name}: {L.psw_strerror(rc).decode()})")
    if rc == _MODEL_ERR or any("(MODEL)" in e[1] for e in errors.values()):
        # under mpi: the rank whose code raised reports the exception itself
        return WorkerError("another worker raised: its own rank reports the exception")
    e = WorkerError(f"the parallel region failed ({name}: {L.psw_strerror(rc).decode()})")
    e.rc = rc  # the library's code, e.g. UNAVAILABLE: an elastic sweep that ended
    return e
