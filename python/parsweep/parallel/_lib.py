"""Finding and loading libparsweep, and its prototypes (ctypes).

Where the library is looked for, first found wins:

1. ``$PARSWEEP_LIBRARY``: the path of libparsweep.so itself.
2. Next to the installed package: ``cmake --install`` puts this package in
   ``PREFIX/lib/python3.X/dist-packages/parsweep`` and the library in
   ``PREFIX/lib`` (or ``lib64``, ``lib/<multiarch>``), so every ancestor
   directory of the package is tried with those library directories.
3. A build tree beside the source tree's ``python/`` directory
   (``build*/src/libparsweep.so``), for ``PYTHONPATH=python`` use from a
   checkout.
4. The dynamic linker's own search (``ctypes.util.find_library``).
"""

import ctypes
import ctypes.util
import glob
import os
import sysconfig

_LIBNAMES = ("libparsweep.so", "libparsweep.so.0", "libparsweep.dylib")


class ParsweepError(RuntimeError):
    """A libparsweep call failed; ``code`` is the negative psw_err_t and
    ``name`` its symbolic name ("PEER_LOST")."""

    def __init__(self, what, code, name="", message=""):
        self.code = code
        self.name = name
        super().__init__(f"{what}: {message or 'error'} ({name or code})")


def _candidates():
    env = os.environ.get("PARSWEEP_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    libdirs = ["lib", "lib64"] + ([os.path.join("lib", multiarch)] if multiarch else [])
    d = here
    while True:
        for ld in libdirs:
            for name in _LIBNAMES:
                yield os.path.join(d, ld, name)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    # A checkout: python/parsweep/parallel -> the source root.
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    for path in sorted(glob.glob(os.path.join(root, "build*", "src", "libparsweep.so"))):
        yield path
    found = ctypes.util.find_library("parsweep")
    if found:
        yield found


def find_library():
    """The path of the libparsweep that would be loaded, or None."""
    for path in _candidates():
        if os.path.sep not in path or os.path.exists(path):
            return path
    return None


_lib = None


def lib():
    """libparsweep as a ctypes.CDLL with its prototypes (loaded once)."""
    global _lib
    if _lib is None:
        path = find_library()
        if path is None:
            raise OSError(
                "libparsweep not found: set PARSWEEP_LIBRARY to its path, or "
                "install parsweep (cmake --install) into the prefix of this package"
            )
        _lib = _declare(ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL))
        _lib.path = path
    return _lib


class Opts(ctypes.Structure):
    """psw_opts_t (include/parsweep/manager.h). psw_opts_init_sized is told
    this mirror's size (struct_size), so that a newer library writes and
    reads only the fields it covers; the spare room is not needed for that
    and stays zero."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("num_workers", ctypes.c_int),
        ("shm_slot_bytes", ctypes.c_size_t),
        ("abort_grace_s", ctypes.c_double),
        ("elastic_connect", ctypes.c_char_p),
        ("elastic_listen", ctypes.c_char_p),
        ("elastic_endpoint", ctypes.c_char_p),
        ("elastic_min_workers", ctypes.c_int),
        ("elastic_info", ctypes.c_void_p),
        ("elastic_info_len", ctypes.c_size_t),
        ("_spare", ctypes.c_char * 256),
    ]


class ForOpts(ctypes.Structure):
    """psw_for_opts_t (include/parsweep/sched.h). psw_for_opts_init_sized
    is told this mirror's size (struct_size), so that a newer library writes
    and reads only the fields it covers; the spare room is not needed for
    that and stays zero."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("record_size", ctypes.c_size_t),
        ("sink", ctypes.c_void_p),
        ("sink_arg", ctypes.c_void_p),
        ("min_chunk", ctypes.c_uint64),
        ("max_chunk", ctypes.c_uint64),
        ("sink_per_node", ctypes.c_int),
        ("progress", ctypes.c_void_p),
        ("progress_arg", ctypes.c_void_p),
        ("stop", ctypes.c_void_p),
        ("cancel", ctypes.c_void_p),
        ("cancel_arg", ctypes.c_void_p),
        ("first", ctypes.c_uint64),
        ("chunk", ctypes.c_void_p),
        ("_spare", ctypes.c_char * 256),
    ]


REGION_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
TASK_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p)
TASK_REC_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p)
SINK_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p)

# psw_type_t and psw_op_t
INT32, INT64, UINT64, DOUBLE, BYTE = 0, 1, 2, 3, 4
SUM, MIN, MAX, PROD = 0, 1, 2, 3
ERR_PEER_LOST, ERR_ABORTED, ERR_MISMATCH, ERR_UNAVAILABLE = -4, -5, -6, -7


def _declare(L):
    P, I, S, C = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t, ctypes.c_char_p
    protos = {
        "psw_strerror": (C, [I]),
        "psw_err_name": (C, [I]),
        "psw_opts_init": (None, [ctypes.POINTER(Opts)]),
        "psw_opts_init_sized": (I, [ctypes.POINTER(Opts), S]),
        "psw_backend_lookup": (P, [C]),
        "psw_backend_desc_name": (C, [P]),
        "psw_create_parallel_manager": (I, [ctypes.POINTER(P), C, ctypes.POINTER(Opts)]),
        "psw_destroy_parallel_manager": (None, [P]),
        "psw_backend_name": (C, [P]),
        "psw_num_workers": (I, [P]),
        "psw_parallel": (I, [P, REGION_FN, P]),
        "psw_rank": (I, [P]),
        "psw_size": (I, [P]),
        "psw_node_id": (I, [P]),
        "psw_num_nodes": (I, [P]),
        "psw_barrier": (I, [P]),
        "psw_bcast": (I, [P, P, S, I, I]),
        "psw_bcast_bytes": (I, [P, P, S, I]),
        "psw_gather": (I, [P, P, S, P, I, I]),
        "psw_gatherv": (I, [P, P, S, P, P, P, I, I]),
        "psw_allgather": (I, [P, P, S, P, I]),
        "psw_allreduce": (I, [P, P, P, S, I, I]),
        "psw_for": (I, [P, ctypes.c_uint64, TASK_FN, P]),
        "psw_for_opts_init": (None, [ctypes.POINTER(ForOpts)]),
        "psw_for_opts_init_sized": (I, [ctypes.POINTER(ForOpts), S]),
        "psw_for_ex": (I, [P, ctypes.c_uint64, TASK_REC_FN, P, ctypes.POINTER(ForOpts)]),
    }
    for name, (res, args) in protos.items():
        f = getattr(L, name)
        f.restype = res
        f.argtypes = args
    return L


def check(rc, what):
    """Raise ParsweepError for a negative return code."""
    if rc < 0:
        L = lib()
        raise ParsweepError(what, rc, L.psw_err_name(rc).decode(), L.psw_strerror(rc).decode())
    return rc
