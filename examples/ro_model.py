#!/usr/bin/python3
"""A toy reverse-osmosis cost model, run by parsweep as an external command.

parsweep runs it once per sample with the parameter values on the command
line (see ro_sweep.yaml) and reads `name=value` lines from its stdout.
Any other output is ignored; a non-zero exit marks the sample failed.
"""
import argparse
import math

p = argparse.ArgumentParser()
p.add_argument("--cost", type=float, required=True)  # $/m2 of membrane
p.add_argument("--rec", type=float, required=True)  # water recovery, 0..1
p.add_argument("--p", type=float, required=True)  # feed pressure, bar
a = p.parse_args()

# Specific energy of the high-pressure pump (kWh/m3 of permeate) and a
# levelised cost of water that grows with membrane cost and falls with
# recovery: smooth enough to plot, cheap enough to sweep.
energy = a.p * 1e5 / (0.8 * a.rec) / 3.6e6
lcow = 0.05 * a.cost / (a.rec * math.sqrt(a.p)) + 0.1 * energy
print("solving ...")
print(f"lcow = {lcow!r}")
print(f"energy = {energy!r}")
