#!/usr/bin/python3
"""The toy reverse-osmosis cost model of ro_model.py, as a server model.

parsweep starts this script once per worker (ro_server.yaml: `model:
{server: [...]}`); build() runs once, then evaluate() once per sample. A
WaterTAP flowsheet goes the same way: build and initialise it in build(),
fix the swept variables and solve in evaluate(), rebuild in reset() after
a failed solve (docs/models.md, "Server models").
"""
import math
import os
import sys
import time

try:
    import parsweep
except ImportError:  # a source tree, not installed: the package is beside us
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import parsweep


def build():
    # A real flowsheet is built and initialised here: seconds to minutes,
    # once per worker rather than once per sample.
    time.sleep(0.2)
    return {"efficiency": 0.8}


def evaluate(m, p):
    print("solving ...")  # solver chatter on stdout cannot reach parsweep
    energy = p["pressure"] * 1e5 / (m["efficiency"] * p["recovery"]) / 3.6e6
    lcow = 0.05 * p["membrane_cost"] / (p["recovery"] * math.sqrt(p["pressure"])) + 0.1 * energy
    return {"lcow": lcow, "energy": energy}


def reset(m):
    return build()  # after a failed sample: start from a fresh model


if __name__ == "__main__":
    parsweep.serve(evaluate, build=build, reset=reset)
