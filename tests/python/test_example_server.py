"""examples/ro_server.yaml, as the README runs it: a Python server model
built once per worker; the values read back with parsweep.read_results
equal the model's formula computed here with numpy."""

import os
import subprocess

import numpy as np

import parsweep

PARSWEEP = os.environ["PSW_PARSWEEP"]
REPO = os.environ["PSW_REPO"]


def test_ro_server_example(tmp_path):
    out = tmp_path / "ro.h5"
    r = subprocess.run([PARSWEEP, "run", "examples/ro_server.yaml", "-o", str(out),
                        "-j", "2", "--quiet"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = parsweep.read_results(out)
    p = res["sweep_params"]
    cost, rec, pres = (p[k]["value"] for k in ("membrane_cost", "recovery", "pressure"))
    c, g, f = np.meshgrid(np.linspace(20, 30, 6), np.geomspace(0.3, 0.9, 5),
                          [50.0, 60.0, 80.0], indexing="ij")
    np.testing.assert_array_equal(cost, c.ravel())
    # numpy's geomspace may use SIMD pow (SVML, not correctly rounded) on
    # AVX-512 machines: the design's own exactness is sweep.design's test.
    np.testing.assert_allclose(rec, g.ravel(), rtol=4e-16, atol=0)
    np.testing.assert_array_equal(pres, f.ravel())
    energy = pres * 1e5 / (0.8 * rec) / 3.6e6
    lcow = 0.05 * cost / (rec * np.sqrt(pres)) + 0.1 * energy
    np.testing.assert_array_equal(res["outputs"]["energy"]["value"], energy)
    np.testing.assert_array_equal(res["outputs"]["lcow"]["value"], lcow)
    assert res["solve_successful"].all() and res["attrs"]["workers"] == 2
