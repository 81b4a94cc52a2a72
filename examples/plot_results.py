#!/usr/bin/python3
"""Plot a parsweep results.h5 the way WaterTAP's analysis scripts read it.

usage: plot_results.py RESULTS.h5 [OUT.png] [--x PARAM] [--y OUTPUT]

Reads /sweep_params/<name>/value and /outputs/<name>/value, keeps the
samples whose /solve_successful/solve_successful is true, and draws the
output against one parameter, one line per value of the others.
"""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # no display needed: batch jobs, CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("png", nargs="?", default="results.png")
    ap.add_argument("--x", help="parameter on the x axis (default: first)")
    ap.add_argument("--y", help="output on the y axis (default: first)")
    a = ap.parse_args()
    with h5py.File(a.results, "r") as f:
        params = {k: f["sweep_params"][k]["value"][()] for k in f["sweep_params"]}
        outputs = {k: f["outputs"][k]["value"][()] for k in f["outputs"]}
        ok = f["solve_successful"]["solve_successful"][()].astype(bool)
        backend = f.attrs.get("backend", b"?")
    if isinstance(backend, bytes):
        backend = backend.decode()
    x = a.x or next(iter(params))
    y = a.y or next(iter(outputs))
    if x not in params or y not in outputs:
        sys.exit(f"plot_results.py: no parameter {x!r} or output {y!r} in {a.results}")
    others = [k for k in params if k != x]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    # One line per combination of the other parameters (a grid design), or
    # a scatter when the design is random.
    keys = np.stack([params[k] for k in others], axis=1) if others else np.zeros((len(ok), 0))
    combos = np.unique(keys[ok], axis=0) if ok.any() else []
    if 0 < len(combos) <= 20:
        for c in combos:
            sel = ok & np.all(keys == c, axis=1)
            order = np.argsort(params[x][sel])
            label = ", ".join(f"{k}={v:.3g}" for k, v in zip(others, c))
            ax.plot(params[x][sel][order], outputs[y][sel][order], marker="o", ms=3, label=label)
        ax.legend(fontsize=7)
    else:
        ax.scatter(params[x][ok], outputs[y][ok], s=4)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{a.results}: {ok.sum()}/{len(ok)} samples ok ({backend})")
    fig.tight_layout()
    fig.savefig(a.png, dpi=100)
    print(f"plot_results.py: wrote {a.png}")


if __name__ == "__main__":
    main()
