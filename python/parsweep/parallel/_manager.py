"""Manager: a libparsweep parallel manager (psw_manager_t) held from Python.

``Manager(backend, num_workers).run(fn)`` runs ``fn(ctx)`` on every worker
(an SPMD region, _spmd.Context). The WaterTAP-style classes are built on it.
"""

import ctypes
import os

from . import _lib
from ._lib import check
from ._spmd import run_region


class Manager:
    """A parallel manager of libparsweep.

    backend: a native name or alias of libparsweep (``serial``, ``threads``,
    ``fork``, ``mpi``, ``hybrid``, ``elastic``; ``auto`` from the
    environment). num_workers: workers per node for threads and fork (0: one
    per CPU this process may use). Close it (or use ``with``) to free it;
    MPI's manager is freed at exit instead (MPI cannot start twice).
    """

    def __init__(self, backend="auto", num_workers=0, abort_grace_s=0.0, elastic_connect=None,
                 elastic_listen=None, elastic_endpoint=None, elastic_min_workers=0):
        L = _lib.lib()
        opts = _lib.Opts()
        L.psw_opts_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        opts.num_workers = int(num_workers)
        opts.abort_grace_s = float(abort_grace_s)
        # elastic (docs/elastic.md): a worker when elastic_connect names the
        # endpoint file a head wrote; else the head
        for field in ("elastic_connect", "elastic_listen", "elastic_endpoint"):
            value = locals()[field]
            if value is not None:
                setattr(opts, field, os.fsencode(value))
        opts.elastic_min_workers = int(elastic_min_workers)
        ptr = ctypes.c_void_p()
        if L.psw_backend_lookup(backend.encode()) is None and backend.lower() != "auto":
            valid = "serial threads fork mpi hybrid elastic auto (or their WaterTAP aliases)"
            raise ValueError(f"unknown or unavailable libparsweep backend {backend!r}: valid: {valid}")
        check(L.psw_create_parallel_manager(ctypes.byref(ptr), backend.encode(), ctypes.byref(opts)),
              f"creating the {backend} manager")
        self._ptr = ptr
        self.backend = L.psw_backend_name(ptr).decode()
        self.num_workers = L.psw_num_workers(ptr)

    def run(self, fn):
        """fn(ctx) on every worker; returns the root's return value (under
        mpi, each rank gets its own). Raises WorkerError when a worker raised
        or died, within seconds, with no worker left behind."""
        if self._ptr is None:
            raise ValueError("the manager is closed")
        return run_region(self._ptr, fn)

    def close(self):
        if getattr(self, "_ptr", None) is not None:
            _lib.lib().psw_destroy_parallel_manager(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
