"""parsweep.read_results on a file `parsweep run` wrote: the dict shape of
WaterTAP's _read_output_h5 with values equal to the design and the model's
formula computed here, the failed sample NaN/False, parsweep's status and
attributes; and with h5_parent_group_name, WaterTAP's groups found under
their parent."""

import os
import subprocess

import numpy as np
import pytest

import parsweep

PARSWEEP = os.environ["PSW_PARSWEEP"]
MODEL = os.environ["PSW_CLI_MODEL"]
FAIL = 4


def run_sweep(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"""\
seed: 1
parallel_back_end: serial
output: {tmp_path / 'r.h5'}
parameters:
  a: {{type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 3, units: m, param: fs.a}}
  b: {{type: PredeterminedFixedSample, array: [0.5, 4]}}
  c: {{type: PredeterminedFixedSample, array: [0.25]}}
outputs: [out1, out2]
model:
  command: [{MODEL}, "{{a}}", "{{b}}", "{{c}}", "--index={{index}}", "--exit={FAIL}"]
""")
    r = subprocess.run([PARSWEEP, "run", str(spec), "--quiet"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, r.stderr  # one sample failed
    return tmp_path / "r.h5"


def expected():
    a, b = np.meshgrid(np.linspace(1, 2, 3), [0.5, 4], indexing="ij")
    a, b, c = a.ravel(), b.ravel(), np.full(6, 0.25)
    out1, out2 = a * b + c, a - c
    out1[FAIL] = out2[FAIL] = np.nan
    return a, b, c, out1, out2


def check(r):
    a, b, c, out1, out2 = expected()
    assert list(r["sweep_params"]) == ["a", "b", "c"]
    assert list(r["outputs"]) == ["out1", "out2"]
    np.testing.assert_array_equal(r["sweep_params"]["a"]["value"], a)
    np.testing.assert_array_equal(r["sweep_params"]["b"]["value"], b)
    np.testing.assert_array_equal(r["sweep_params"]["c"]["value"], c)
    np.testing.assert_array_equal(r["outputs"]["out1"]["value"], out1)
    np.testing.assert_array_equal(r["outputs"]["out2"]["value"], out2)
    assert r["sweep_params"]["a"]["units"] == "m"
    assert r["sweep_params"]["a"]["full_name"] == "fs.a"
    assert r["sweep_params"]["a"]["lower bound"] == 1.0
    assert r["sweep_params"]["a"]["upper bound"] == 2.0
    ok = np.ones(6, bool)
    ok[FAIL] = False
    np.testing.assert_array_equal(r["solve_successful"], ok)
    assert r["solve_successful"].dtype == bool
    np.testing.assert_array_equal(r["status"], np.where(ok, 1, 2))
    assert r["exit_code"][FAIL] == 3 and (r["exit_code"][ok] == 0).all()
    assert r["attrs"]["backend"] == "serial"
    assert r["attrs"]["completed"] == 1
    assert isinstance(r["attrs"]["spec"], str)


def test_read_results(tmp_path):
    check(parsweep.read_results(run_sweep(tmp_path)))


def test_read_results_parent_group(tmp_path):
    # WaterTAP's groups under /loop1 (h5_parent_group_name), /parsweep and
    # the attributes at the root: moved here by h5py, as the writer of
    # SPEC §3.0 lays them out.
    import h5py
    path = run_sweep(tmp_path)
    with h5py.File(path, "r+") as f:
        f.create_group("loop1")
        for g in ("sweep_params", "outputs", "solve_successful"):
            f.move(g, "loop1/" + g)
    check(parsweep.read_results(path))
    check(parsweep.read_results(path, group="loop1"))
    with h5py.File(path, "r+") as f:  # two candidates: the caller must say
        f.copy("loop1", "loop2")
    with pytest.raises(KeyError, match="pass group="):
        parsweep.read_results(path)
    check(parsweep.read_results(path, group="loop2"))


def test_missing_file(tmp_path):
    with pytest.raises(OSError):
        parsweep.read_results(tmp_path / "nope.h5")
