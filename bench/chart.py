#!/usr/bin/python3
"""Chart of the benchmark summary: every row's ratio against its target.

    /usr/bin/python3 bench/chart.py LOGDIR|summary.tsv|X.log... [-o PNG]

Reads the summary that bench/run_all.sh writes ($LOGDIR/summary.tsv: a
header, then one line per row: row, comparison, ratio, target, met; tab
separated), or, for a directory without one or for .log files, the
`SUMMARY|row|comparison|ratio|target|met` lines the benchmarks print. Every
row present is drawn, whatever benchmark printed it: a bar from 1 to the
ratio (log scale), green when the target is met, red when missed, grey
without a target, and the target as a black tick. Writes a PNG (default:
docs/performance.png beside this script's directory). Needs matplotlib
(Agg backend; no display).
"""
import argparse
import csv
import math
import os
import re
import sys

FIELDS = ("row", "comparison", "ratio", "target", "met")


def number(text):
    """The first number in text ('1.5x', '>= 20x', '34,285x'), or None."""
    m = re.search(r"[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", text or "")
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def read_tsv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    if rows and [c.strip().lower() for c in rows[0][:5]] == list(FIELDS):
        rows = rows[1:]
    return [dict(zip(FIELDS, (c.strip() for c in r))) for r in rows if len(r) >= 5]


def read_logs(paths):
    out = []
    for p in paths:
        with open(p, errors="replace") as f:
            for line in f:
                if line.startswith("SUMMARY|"):
                    parts = line.rstrip("\n").split("|")[1:]
                    if len(parts) >= 5:
                        out.append(dict(zip(FIELDS, (c.strip() for c in parts))))
    return out


def load(inputs):
    rows = []
    for p in inputs:
        if os.path.isdir(p):
            tsv = os.path.join(p, "summary.tsv")
            if os.path.exists(tsv):
                rows += read_tsv(tsv)
            else:
                logs = sorted(
                    os.path.join(p, n) for n in os.listdir(p) if n.endswith(".log")
                )
                rows += read_logs(logs)
        elif p.endswith(".tsv"):
            rows += read_tsv(p)
        else:
            rows += read_logs([p])
    return rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="+", help="LOGDIR, summary.tsv or .log files")
    ap.add_argument(
        "-o",
        "--output",
        default=os.path.join(os.path.dirname(here), "docs", "performance.png"),
    )
    ap.add_argument("--title", default="parsweep benchmarks (issue 7): ratio vs target")
    a = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for r in load(a.inputs):
        ratio = number(r["ratio"])
        if ratio is None or ratio <= 0 or not math.isfinite(ratio):
            continue
        t = r["target"]
        tv = number(t)
        way = ">=" if ">" in t else "<=" if "<" in t else "~" if tv else ""
        met = r["met"].lower()
        rows.append(
            {
                "label": f'{r["row"]}  {r["comparison"]}  ({t if tv else "no target"})',
                "row": r["row"],
                "ratio": ratio,
                "target": tv,
                "way": way,
                "met": "yes" if met == "yes" else "no" if met == "no" else "",
            }
        )
    if not rows:
        print("chart.py: no summary rows found in", " ".join(a.inputs), file=sys.stderr)
        return 1

    n = len(rows)
    fig, ax = plt.subplots(figsize=(11, 1.4 + 0.24 * n))
    colors = {"yes": "#2e8b57", "no": "#d62728", "": "#9e9e9e"}
    ys = list(range(n))[::-1]  # first row at the top
    for y, r in zip(ys, rows):
        ax.barh(y, r["ratio"] - 1, left=1, height=0.7, color=colors[r["met"]])
        if r["target"]:
            ax.plot([r["target"]], [y], marker="|", markersize=11, mew=2, color="k")
        ax.text(
            r["ratio"] * (1.06 if r["ratio"] >= 1 else 1 / 1.06),
            y,
            f'{r["ratio"]:.3g}',
            va="center",
            ha="left" if r["ratio"] >= 1 else "right",
            fontsize=7,
        )
    # a thin line between benchmarks
    for i in range(1, n):
        if rows[i]["row"] != rows[i - 1]["row"]:
            ax.axhline(ys[i] + 0.5, color="#cccccc", lw=0.8)
    ax.set_xscale("log")
    ax.axvline(1, color="k", lw=0.8)
    lo = min(min(r["ratio"] for r in rows), min((r["target"] or 1) for r in rows))
    hi = max(max(r["ratio"] for r in rows), max((r["target"] or 1) for r in rows))
    ax.set_xlim(min(lo, 1) / 3, max(hi, 1) * 3)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks(ys)
    ax.set_yticklabels([r["label"] for r in rows], fontsize=7)
    ax.set_xlabel(
        "ratio, as each row defines it (log scale, bars start at 1); the "
        "target's >= or <= in the label says which way is better",
        fontsize=8,
    )
    ax.set_title(a.title, fontsize=10)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=colors["yes"], label="target met"),
            Patch(color=colors["no"], label="target missed"),
            Patch(color=colors[""], label="no target"),
            Line2D([], [], marker="|", color="k", ls="", markersize=11, mew=2, label="target"),
        ],
        loc="lower right",
        fontsize=7,
    )
    ax.grid(axis="x", which="major", color="#eeeeee")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    fig.savefig(a.output, dpi=90)
    try:  # a palette PNG: a quarter of the bytes, the same picture
        from PIL import Image

        Image.open(a.output).convert("RGB").quantize(colors=64).save(
            a.output, optimize=True
        )
    except ImportError:
        pass
    print(f"chart.py: {n} rows -> {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
