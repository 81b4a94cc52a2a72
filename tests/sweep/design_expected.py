#!/usr/bin/env python3
"""Expected grid of test_design.c's GRID_SPEC, computed the way WaterTAP does.

WaterTAP (watertap/tools/parameter_sweep/sampling_types.py and
parameter_sweep.py::_create_global_combo_array) builds each axis with numpy
and combines them with meshgrid(indexing="ij"), flattened in C order. This
prints one line per sample: the index and the parameter values with %.17g.
Prints "SKIP" when numpy is not installed (the C test then skips the
comparison). Keep the axes in sync with GRID_SPEC in test_design.c.
"""
import sys

try:
    import numpy as np
except ImportError:
    print("SKIP")
    sys.exit(0)

lo, up = 1.0, 100.0
axes = [
    np.linspace(20, 30, 11),  # LinearSample
    np.geomspace(0.01, 1, 5, endpoint=True),  # GeomSample
    np.array([50.0, 60.0, 80.0]),  # PredeterminedFixedSample
    ((up + lo) - np.geomspace(lo, up, 4, endpoint=True))[::-1],  # ReverseGeom
    np.linspace(0, 5e-324, 3),  # LinearSample, step underflows to 0
]
grid = np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(axes), -1).T
for i, row in enumerate(grid):
    print(i, " ".join("%.17g" % v for v in row))
