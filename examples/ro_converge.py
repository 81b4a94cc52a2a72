#!/usr/bin/python3
"""A toy reverse-osmosis model that, like a real flowsheet, does not solve
on part of the space: the brine leaving the last element has an osmotic
pressure of about PI_FEED / (1 - recovery); once that exceeds the feed
pressure no water crosses the membrane and the "solver" gives up (exit 1).
Used by ro_recursive.yaml, a recursive sweep that asks for a number of good
solves (num_successes) however many samples fail."""
import argparse
import sys

PI_FEED = 20.0  # bar, osmotic pressure of the feed

p = argparse.ArgumentParser()
p.add_argument("--rec", type=float, required=True)  # water recovery, 0..1
p.add_argument("--p", type=float, required=True)  # feed pressure, bar
a = p.parse_args()

brine = PI_FEED / (1 - a.rec)
if brine > a.p:
    print(f"did not converge: brine osmotic pressure {brine:.1f} bar > feed {a.p:.1f} bar")
    sys.exit(1)
energy = a.p * 1e5 / (0.8 * a.rec) / 3.6e6  # kWh/m3 of permeate
print(f"energy = {energy!r}")
print(f"flux_margin = {a.p - brine!r}")
