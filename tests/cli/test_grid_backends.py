#!/usr/bin/python3
"""Acceptance 1: a three-parameter grid (LinearSample, GeomSample,
PredeterminedFixedSample) with a command model, on every one-node backend
and the WaterTAP aliases.

results.h5, read with h5py, must hold numpy's full factorial
(meshgrid(indexing="ij") of linspace/geomspace/array, flattened in C
order), the outputs the model printed (echo_* are the values it parsed;
out1/out2 recomputed here from those values), every sample ok, the same
arrays on every backend, and the root attribute `backend` naming the native
backend actually used.
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
    build_spec,
)

LIN = (0.5, 3.5, 7)  # lower, upper, num
GEO = (0.01, 100.0, 5)
ARR = [-2, 0.25, 7, 1e3, 1 / 3]
# geomspace: pow/log10 of libm vs numpy's own may differ by 1 ulp
GEOM_RTOL = 4e-16

BACKENDS = [
    (["-b", "serial"], "serial"),
    (["-b", "threads", "-j", "2"], "threads"),
    (["-b", "fork", "-j", "2"], "fork"),
    (["-b", "MultiProcessing", "-j", "2"], "fork"),
    (["-b", "ConcurrentFutures", "-j", "2"], "threads"),
]


def expected_grid():
    a, b, c = np.meshgrid(
        np.linspace(LIN[0], LIN[1], LIN[2]),
        np.geomspace(GEO[0], GEO[1], GEO[2]),
        np.array(ARR, dtype=float),
        indexing="ij",
    )
    return a.ravel(), b.ravel(), c.ravel()


def test(args, tmp):
    spec = build_spec(
        "grid3",
        [
            (
                "a",
                f"{{type: LinearSample, lower_limit: {LIN[0]!r}, upper_limit: {LIN[1]!r}, num_samples: {LIN[2]}}}",
            ),
            (
                "b",
                f"{{type: GeomSample, lower_limit: {GEO[0]!r}, upper_limit: {GEO[1]!r}, num_samples: {GEO[2]}}}",
            ),
            (
                "c",
                "{type: PredeterminedFixedSample, array: ["
                + ", ".join(repr(float(x)) for x in ARR)
                + "]}",
            ),
        ],
        ["out1", "out2", "echo_a", "echo_b", "echo_c", "index"],
        command=[args.model, "{a}", "{b}", "{c}", "--index={index}"],
        model_extra="timeout: 30",
    )
    spec_path = write(os.path.join(tmp, "grid.yaml"), spec)
    ea, eb, ec = expected_grid()
    n = ea.size
    check(n == LIN[2] * GEO[2] * len(ARR), "grid size")
    first = None
    for opts, native in BACKENDS:
        label = " ".join(opts)
        out = os.path.join(tmp, f"r-{opts[1]}.h5")
        with step(f"run {label}"):
            p, wall = run(args, ["run", spec_path, "-o", out, "--quiet"] + opts, cwd=tmp)
            check(p.returncode == 0, f"{label}: expected exit 0, got {describe(p)}")
            print(f"   {wall:.2f} s")
        r = read_results(out)
        P, O = r["params"], r["outputs"]
        check(
            list(P) == ["a", "b", "c"] or sorted(P) == ["a", "b", "c"],
            f"{label}: sweep_params {list(P)}",
        )
        check(
            sorted(O) == sorted(["out1", "out2", "echo_a", "echo_b", "echo_c", "index"]),
            f"{label}: outputs {list(O)}",
        )
        for k in P:
            check(
                P[k].dtype == np.float64 and P[k].shape == (n,),
                f"{label}: {k} is {P[k].dtype}{P[k].shape}",
            )
        # The design: exactly numpy's for linspace and the array, ~1 ulp for
        # geomspace.
        check(same_array(P["a"], ea), f"{label}: a differs from numpy linspace:\n{P['a']}\n{ea}")
        check(same_array(P["c"], ec), f"{label}: c differs from the array:\n{P['c']}\n{ec}")
        d, ok = close_rel(P["b"], eb, GEOM_RTOL)
        check(ok, f"{label}: b differs from numpy geomspace by {d:.3g} relative:\n{P['b']}\n{eb}")
        # The outputs: what the model printed, for the values it was given.
        check(
            same_array(O["echo_a"], P["a"]), f"{label}: the model got other a values than recorded"
        )
        check(
            same_array(O["echo_b"], P["b"]), f"{label}: the model got other b values than recorded"
        )
        check(
            same_array(O["echo_c"], P["c"]), f"{label}: the model got other c values than recorded"
        )
        check(
            same_array(O["index"], np.arange(n, dtype=float)),
            f"{label}: row i is not sample i: {O['index']}",
        )
        a, b, c = P["a"], P["b"], P["c"]
        check(
            same_array(O["out1"], a * b + c), f"{label}: out1 != a*b + c:\n{O['out1']}\n{a * b + c}"
        )
        check(same_array(O["out2"], a - c), f"{label}: out2 != a - c")
        check(
            r["ok"].shape == (n,) and r["ok"].astype(bool).all(),
            f"{label}: solve_successful not all true: {r['ok']}",
        )
        check(
            r["status"].dtype == np.int8 and (r["status"] == 1).all(),
            f"{label}: status {r['status']}",
        )
        check((r["exit_code"] == 0).all(), f"{label}: exit codes {r['exit_code']}")
        backend = r["attrs"].get("backend")
        backend = backend.decode() if isinstance(backend, bytes) else str(backend)
        check(
            backend == native,
            f"{label}: root attribute backend is {backend!r}, expected {native!r}",
        )
        check(
            int(r["attrs"].get("completed", -1)) == 1,
            f"{label}: completed attribute {r['attrs'].get('completed')}",
        )
        check(
            int(r["attrs"].get("num_samples", -1)) == n,
            f"{label}: num_samples attribute {r['attrs'].get('num_samples')}",
        )
        if "-j" in opts:
            check(
                int(r["attrs"].get("workers", -1)) == 2,
                f"{label}: workers attribute {r['attrs'].get('workers')}",
            )
            check(
                set(np.unique(r["worker"])) <= {0, 1},
                f"{label}: worker ids {np.unique(r['worker'])}",
            )
        arrays = {f"sweep_params/{k}": P[k] for k in P}
        arrays.update({f"outputs/{k}": O[k] for k in O})
        arrays["solve_successful"] = r["ok"]
        arrays["status"] = r["status"]
        arrays["exit_code"] = r["exit_code"]
        if first is None:
            first = (label, arrays)
        else:
            for k, v in arrays.items():
                check(same_array(v, first[1][k]), f"{label}: {k} differs from {first[0]}")
        print(f"   {label}: {n} rows match numpy and the model; backend={backend}")


if __name__ == "__main__":
    main(test)
