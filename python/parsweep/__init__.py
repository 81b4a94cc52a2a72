"""parsweep from Python.

* ``parsweep.serve(evaluate, build=None, reset=None)``: make this script a
  server model (SPEC §3.1, docs/models.md): built once per worker, then fed
  samples one at a time by ``parsweep run``.
* ``parsweep.read_results(path)``: results.h5 as a dict in the shape of
  WaterTAP's ``_read_output_h5``, plus parsweep's per-sample status.
* ``parsweep.parallel``: WaterTAP's parallel manager API
  (``create_parallel_manager``, ``scatter``/``gather``, the collectives) on
  libparsweep's worker processes and MPI ranks, plus SPMD regions.

Only the standard library is needed to serve; h5py and numpy to read.
"""

from ._serve import ProtocolError, serve
from ._results import read_results

__all__ = ["serve", "read_results", "ProtocolError"]
__version__ = "0.1.0"
