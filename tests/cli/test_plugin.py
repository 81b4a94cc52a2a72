#!/usr/bin/python3
"""The C plugin model: examples/libro_plugin.so over the grid of
examples/ro_sweep.yaml (its model section replaced by `plugin:`).

Outputs equal the formula of examples/ro_plugin.c computed with numpy
(to 1e-15 relative: a compiler may contract a*b + c into an fma); every
sample ok with exit code 0; serial, fork -j 2 and threads -j 2 give
identical files' contents. A spec that does not fit the plugin (its init
fails) marks every sample failed instead of stopping the run.
"""
import os

import numpy as np

from clitest import (
    check,
    close_rel,
    describe,
    main,
    read_results,
    run,
    same_array,
    step,
    write,
    yaml_str,
)
from roexample import example_path, grid, ro_outputs


def test(args, tmp):
    check(args.ro_plugin and os.path.exists(args.ro_plugin), f"no plugin {args.ro_plugin}")
    with open(example_path(args.repo)) as f:
        text = f.read()
    head = text.split("\nmodel:", 1)[0]
    check(
        "parameters:" in head and "outputs:" in head,
        "examples/ro_sweep.yaml: no parameters/outputs before model:",
    )
    spec = write(
        os.path.join(tmp, "ro_plugin.yaml"),
        head + f"\nmodel:\n  plugin: {yaml_str(args.ro_plugin)}\n",
    )
    names, g = grid(args.repo)
    check(names == ["membrane_cost", "recovery", "pressure"], f"example parameters {names}")
    lcow, energy = ro_outputs(g["membrane_cost"], g["recovery"], g["pressure"])
    n = lcow.size
    first = None
    for opts in (["-b", "serial"], ["-b", "fork", "-j", "2"], ["-b", "threads", "-j", "2"]):
        label = " ".join(opts)
        with step(label):
            out = os.path.join(tmp, f"{opts[1]}.h5")
            p, w = run(args, ["run", spec, "-o", out, "-q"] + opts, cwd=tmp)
            check(p.returncode == 0, f"{label}: expected exit 0, got {describe(p)}")
            r = read_results(out)
            P, O = r["params"], r["outputs"]
            for k in names:
                d, ok = close_rel(P[k], g[k], 4e-16)
                check(ok, f"{label}: {k} differs from numpy's grid by {d:.3g}")
            check(
                (r["status"] == 1).all()
                and (r["exit_code"] == 0).all()
                and r["ok"].astype(bool).all(),
                f"{label}: not every sample ok",
            )
            # the formula on the recorded inputs (geomspace may differ by an ulp)
            wl, we = ro_outputs(P["membrane_cost"], P["recovery"], P["pressure"])
            for name, got, want in (("lcow", O["lcow"], wl), ("energy", O["energy"], we)):
                d, ok = close_rel(got, want, 1e-15)
                check(ok, f"{label}: {name} differs from ro_plugin.c's formula by {d:.3g} relative")
            d, ok = close_rel(O["lcow"], lcow, 1e-14)
            check(ok, f"{label}: lcow differs from the formula on numpy's grid by {d:.3g}")
            arrays = dict(P, **O, ok=r["ok"], status=r["status"], exit_code=r["exit_code"])
            if first is None:
                first = (label, arrays)
            else:
                for k, v in arrays.items():
                    check(same_array(v, first[1][k]), f"{label}: {k} differs from {first[0]}")
            print(f"   {n} samples in {w:.2f} s")
    with step("a spec the plugin's init refuses (no pressure parameter)"):
        bad = write(
            os.path.join(tmp, "misfit.yaml"),
            "parameters:\n"
            "  membrane_cost: {type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 4}\n"
            "  recovery: {type: PredeterminedFixedSample, array: [0.5]}\n"
            "outputs: [lcow, energy]\n"
            f"model: {{plugin: {yaml_str(args.ro_plugin)}}}\n",
        )
        out = os.path.join(tmp, "misfit.h5")
        p, _ = run(args, ["run", bad, "-o", out, "-q", "-b", "fork", "-j", "2"], cwd=tmp)
        check(
            p.returncode in (1, 3),
            f"misfit: expected exit 3 (every sample failed) or 1, got {describe(p)}",
        )
        if p.returncode == 3:
            r = read_results(out)
            check(
                (r["status"] == 2).all() and np.isnan(r["outputs"]["lcow"]).all(),
                f"misfit: status {r['status']}",
            )
        else:
            check(
                not os.path.exists(out) and len(p.stderr.splitlines()) == 1,
                f"misfit: {describe(p)}",
            )
        print(f"   exit {p.returncode}: {p.stderr.strip()[:200]}")


if __name__ == "__main__":
    main(test)
