"""examples/ro_diff.yaml, as its header runs it (from the repository root):
a differential sweep of the Python server model. 6 nominal samples, then 4
differential samples of each; the perturbed values follow WaterTAP's
formulas (sum: [0.9, 1.1] x nominal; percentile: nominal -/+ 0.05 x 0.6)
with the same draws for every nominal sample, pressure keeps its nominal
value, WaterTAP's nominal_idx / differential_idx, and the model's outputs
equal its formula computed here."""

import os
import subprocess

import h5py
import numpy as np

import parsweep

PARSWEEP = os.environ["PSW_PARSWEEP"]
REPO = os.environ["PSW_REPO"]
N, D = 6, 4


def test_ro_diff_example(tmp_path):
    out = tmp_path / "diff.h5"
    r = subprocess.run([PARSWEEP, "run", "examples/ro_diff.yaml", "-o", str(out), "-j", "2", "--quiet"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = parsweep.read_results(out)
    p = res["sweep_params"]
    cost, rec, pres = (p[k]["value"] for k in ("membrane_cost", "recovery", "pressure"))
    assert cost.shape == (N * (1 + D),)
    c, g = np.meshgrid(np.linspace(20, 30, 3), np.linspace(0.5, 0.8, 2), indexing="ij")
    np.testing.assert_array_equal(cost[:N], c.ravel())
    np.testing.assert_array_equal(rec[:N], g.ravel())
    np.testing.assert_array_equal(pres, np.full(N * (1 + D), 60.0))
    nom = np.repeat(np.arange(N), D)  # the nominal sample of each differential row
    lb_c, ub_c = cost[nom] * (1 - 0.1), cost[nom] * (1 + 0.1)
    lb_r, ub_r = rec[nom] + 0.6 * -0.05, rec[nom] + 0.6 * 0.05
    u_c = ((cost[N:] - lb_c) / (ub_c - lb_c)).reshape(N, D)
    u_r = ((rec[N:] - lb_r) / (ub_r - lb_r)).reshape(N, D)
    for u in (u_c, u_r):
        assert np.all((u >= 0) & (u < 1))
        np.testing.assert_allclose(u, np.tile(u[0], (N, 1)), rtol=0, atol=1e-9)
    assert np.all(np.diff(cost[N:].reshape(N, D), axis=1) >= 0)  # sorted by membrane_cost
    with h5py.File(out, "r") as f:
        ni = f["nominal_idx"]["nominal_idx"][()]
        di = f["differential_idx"]["differential_idx"][()]
    assert res["nominal_idx"].dtype == np.float64 and res["differential_idx"].dtype == np.float64
    np.testing.assert_array_equal(res["nominal_idx"], ni)  # read_results as _read_output_h5
    np.testing.assert_array_equal(res["differential_idx"], di)
    np.testing.assert_array_equal(ni, np.concatenate((np.arange(N, dtype=float), np.full(N * D, np.nan))))
    np.testing.assert_array_equal(di, np.concatenate((np.full(N, np.nan), nom.astype(float))))
    energy = pres * 1e5 / (0.8 * rec) / 3.6e6
    lcow = 0.05 * cost / (rec * np.sqrt(pres)) + 0.1 * energy
    np.testing.assert_array_equal(res["outputs"]["energy"]["value"], energy)
    np.testing.assert_array_equal(res["outputs"]["lcow"]["value"], lcow)
    assert res["solve_successful"].all()
