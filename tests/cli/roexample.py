"""The grid of examples/ro_sweep.yaml and the toy RO model's formula
(examples/ro_model.py, examples/ro_plugin.c), computed independently with
numpy, for the plot and plugin tests.

The example writes each parameter as a one-line flow mapping
(`name: {type: LinearSample, lower_limit: 20, ...}`); that is all this
reads (no YAML library is needed in CI).
"""
import os
import re

import numpy as np

PARAM = re.compile(r"^\s+(\w+):\s*\{(.*)\}\s*(#.*)?$")
ITEM = re.compile(r"(\w+):\s*(\[[^\]]*\]|[^,]+)")


def example_path(repo):
    return os.path.join(repo, "examples", "ro_sweep.yaml")


def parse_params(text):
    """{name: {key: value}} of the parameters section, in order."""
    params = {}
    section = None
    for line in text.splitlines():
        if re.match(r"^\w", line):
            section = line.split(":", 1)[0]
            continue
        if section != "parameters":
            continue
        m = PARAM.match(line)
        if not m:
            if line.strip() and not line.strip().startswith("#"):
                raise ValueError(f"cannot read parameter line {line!r}")
            continue
        items = {}
        for k, v in ITEM.findall(m.group(2)):
            v = v.strip()
            items[k] = [float(x) for x in v.strip("[]").split(",")] if v.startswith("[") else v
        params[m.group(1)] = items
    return params


def axis(p):
    t = p["type"]
    if t == "LinearSample":
        return np.linspace(float(p["lower_limit"]), float(p["upper_limit"]), int(p["num_samples"]))
    if t == "GeomSample":
        return np.geomspace(float(p["lower_limit"]), float(p["upper_limit"]), int(p["num_samples"]))
    if t == "PredeterminedFixedSample":
        return np.array(p["array"], dtype=float)
    raise ValueError(f"sampler {t} not handled here")


def grid(repo):
    """(names, {name: flattened values}) of the example's full factorial."""
    with open(example_path(repo)) as f:
        params = parse_params(f.read())
    names = list(params)
    mesh = np.meshgrid(*[axis(params[k]) for k in names], indexing="ij")
    return names, {k: m.ravel() for k, m in zip(names, mesh)}


def ro_outputs(cost, rec, p):
    """lcow, energy of the toy model, in its order of operations."""
    energy = p * 1e5 / (0.8 * rec) / 3.6e6
    lcow = 0.05 * cost / (rec * np.sqrt(p)) + 0.1 * energy
    return lcow, energy
