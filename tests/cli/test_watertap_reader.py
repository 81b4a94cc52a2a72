#!/usr/bin/python3
"""Acceptance 5: results.h5 reads the way WaterTAP's analysis reads it.

`watertap_style_read` below is written like WaterTAP's own reader of its
parameter-sweep output (a dict built from f["sweep_params"][name][meta][()]
and f["outputs"][...], with the `units` and `full_name` strings decoded from
bytes, and f["solve_successful"]["solve_successful"] as a list); it knows
nothing of the /parsweep group. It reads a real `parsweep run` of a grid
with LinearSample, ReverseGeomSample and PredeterminedFixedSample (`param`
and `units` given for one parameter) and a command model that fails on one
sample; the values must be numpy's design and the model's formula, the
failed sample NaN and False, and the metadata WaterTAP's.
"""
import os

import h5py
import numpy as np

from clitest import build_spec, check, close_rel, describe, main, run, step, write

LIN = (2.0, 4.0, 3)
RGEO = (0.1, 10.0, 4)
ARR = [1.5, -3.0]
FAIL = 7


def watertap_style_read(path):
    f = h5py.File(path, "r")
    out = {}
    for key in list(f.keys()):
        if key in ["sweep_params", "outputs"]:
            out[key] = {}
            for var in list(f[key].keys()):
                out[key][var] = {}
                for meta in list(f[key][var].keys()):
                    out[key][var][meta] = f[key][var][meta][()]
                    if meta == "units" or meta == "full_name":
                        out[key][var][meta] = out[key][var][meta].decode("utf-8")
        elif key == "solve_successful":
            out[key] = list(f[key]["solve_successful"][()])
    f.close()
    return out


def test(args, tmp):
    spec = write(
        os.path.join(tmp, "wt.yaml"),
        build_spec(
            "watertap",
            [
                (
                    "a",
                    f"{{type: LinearSample, lower_limit: {LIN[0]!r}, upper_limit: {LIN[1]!r}, "
                    f"num_samples: {LIN[2]}, param: 'fs.unit.area[0, A]', units: m^2}}",
                ),
                (
                    "b",
                    f"{{type: ReverseGeomSample, lower_limit: {RGEO[0]!r}, upper_limit: {RGEO[1]!r}, num_samples: {RGEO[2]}}}",
                ),
                (
                    "c",
                    "{type: PredeterminedFixedSample, array: [" + ", ".join(map(repr, ARR)) + "]}",
                ),
            ],
            ["out1", "out2"],
            command=[args.model, "{a}", "{b}", "{c}", "--index={index}", f"--exit={FAIL}"],
            extra="output: wt_results.h5",
        ),
    )
    with step("parsweep run (the spec's output, in the working directory)"):
        p, w = run(args, ["run", spec, "-b", "fork", "-j", "2", "-q"], cwd=tmp)
        check(p.returncode == 3, f"expected exit 3 (one sample fails), got {describe(p)}")
        path = os.path.join(tmp, "wt_results.h5")
        check(
            os.path.exists(path), "no wt_results.h5 (the spec's `output:`) in the working directory"
        )
    with step("read it as WaterTAP does"):
        d = watertap_style_read(path)
    lin = np.linspace(LIN[0], LIN[1], LIN[2])
    rgeo = ((RGEO[1] + RGEO[0]) - np.geomspace(RGEO[0], RGEO[1], RGEO[2]))[::-1]
    ea, eb, ec = (x.ravel() for x in np.meshgrid(lin, rgeo, np.array(ARR), indexing="ij"))
    n = ea.size
    check(
        sorted(d) == ["outputs", "solve_successful", "sweep_params"],
        f"top-level keys read: {sorted(d)}",
    )
    check(
        sorted(d["sweep_params"]) == ["a", "b", "c"], f"sweep_params: {sorted(d['sweep_params'])}"
    )
    check(sorted(d["outputs"]) == ["out1", "out2"], f"outputs: {sorted(d['outputs'])}")
    for group in ("sweep_params", "outputs"):
        for var, meta in d[group].items():
            check(
                sorted(meta)
                == sorted(["value", "lower bound", "upper bound", "units", "full_name"]),
                f"{group}/{var} has {sorted(meta)}",
            )
            for b in ("lower bound", "upper bound"):
                v = meta[b]
                check(
                    np.ndim(v) == 0 and isinstance(v, (float, np.floating)),
                    f"{group}/{var}/{b} is {type(v)} {v!r}",
                )
            check(
                meta["value"].dtype == np.float64 and meta["value"].shape == (n,),
                f"{group}/{var}/value is {meta['value'].dtype}{meta['value'].shape}",
            )
    sp, out = d["sweep_params"], d["outputs"]
    check(
        sp["a"]["full_name"] == "fs.unit.area[0, A]" and sp["a"]["units"] == "m^2",
        f"a: full_name {sp['a']['full_name']!r}, units {sp['a']['units']!r}",
    )
    check(
        sp["b"]["full_name"] == "b" and sp["b"]["units"] == "None",
        f"b: full_name {sp['b']['full_name']!r}, units {sp['b']['units']!r}",
    )
    check(out["out1"]["full_name"] == "out1", f"out1 full_name {out['out1']['full_name']!r}")
    check(np.array_equal(sp["a"]["value"], ea), "a: not numpy's linspace grid")
    check(np.array_equal(sp["c"]["value"], ec), "c: not the array's grid")
    dv = np.max(np.abs(sp["b"]["value"] - eb))
    check(
        dv <= 4e-16 * (RGEO[0] + RGEO[1]) * 2,
        f"b: differs from WaterTAP's ReverseGeomSample by {dv:.3g}:\n{sp['b']['value']}\n{eb}",
    )
    ok = d["solve_successful"]
    check(
        len(ok) == n and [bool(x) for x in ok] == [i != FAIL for i in range(n)],
        f"solve_successful: {ok}",
    )
    a, b, c = sp["a"]["value"], sp["b"]["value"], sp["c"]["value"]
    good = np.arange(n) != FAIL
    check(
        np.isnan(out["out1"]["value"][FAIL]) and np.isnan(out["out2"]["value"][FAIL]),
        "the failed sample's outputs are not NaN",
    )
    _, same1 = close_rel(out["out1"]["value"][good], (a * b + c)[good], 0)
    _, same2 = close_rel(out["out2"]["value"][good], (a - c)[good], 0)
    check(same1 and same2, "outputs differ from a*b + c, a - c")
    print(f"   {n} rows read WaterTAP's way; sample {FAIL} failed as expected")


if __name__ == "__main__":
    main(test)
