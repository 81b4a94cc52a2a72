#!/usr/bin/python3
"""Issue 16, acceptance 3: differential sweeps (SPEC §3.2).

For every diff_mode (sum, product, percentile) with every diff_sample_type
(UniformSample, NormalSample, LinearSample, GeomSample, ReverseGeomSample),
through `parsweep run` with a plugin that echoes its parameters:
  - the nominal rows are the grid (numpy.meshgrid, "ij"), first;
  - each differential row's perturbed values equal WaterTAP's formulas
    (differential.py, _create_differential_sweep_params; sampling_types.py)
    computed here with numpy: grid kinds exactly the linspace / geomspace /
    reverse geomspace between the bounds, full factorial, first parameter
    slowest; UniformSample lb + (ub - lb) * u and NormalSample nominal +
    std_dev * z with the same draws u_j / z_j for every nominal sample (as
    WaterTAP re-seeds before each inner sweep), the 200 u filling [0, 1)
    and the 200 z with mean ~0 and standard deviation ~1, the rows of a
    block sorted by the first differential parameter; the parameters not
    perturbed keep their nominal values; another seed gives other draws;
  - the layout equals, group by group, a fixture written here by following
    WaterTAP's DifferentialParameterSweep and its writer (skeleton,
    _append_differential_results, _write_output_to_h5) for the same inputs
    (for the random kinds, the draws recovered from the file, shuffled, so
    that the fixture's own argsort must give the file's row order);
  - the same values on serial, fork -j 3, elastic -j 2 and mpirun -n 3
    -b mpi (each when built), and every sample in /parsweep once, ok.
"""
import argparse
import os
import subprocess

import h5py
import numpy as np

from clitest import build_spec, check, close_rel, describe, main, run, same_array, step, write

PARAMS = [  # nominal design: a grid, N = 3 * 2 * 2 * 2 = 24
    ("a", "{type: LinearSample, lower_limit: 0.5, upper_limit: 1.5, num_samples: 3}"),
    ("b", "{type: LinearSample, lower_limit: 2, upper_limit: 4, num_samples: 2}"),
    ("c", "{type: PredeterminedFixedSample, array: [1.0, 3.0]}"),
    ("d", "{type: GeomSample, lower_limit: 10, upper_limit: 20, num_samples: 2}"),
]
NAMES = [p[0] for p in PARAMS]
AXES = [np.linspace(0.5, 1.5, 3), np.linspace(2, 4, 2), np.array([1.0, 3.0]), np.geomspace(10, 20, 2)]
OUTPUTS = ["o_a", "o_b", "o_c", "o_d"]  # the plugin echoes parameter k % 4
N = 24

# Each case: num_diff_samples and {name: entry}; together they cover every
# (diff_mode, diff_sample_type) pair.
PCT = {"nominal_lb": 0.0, "nominal_ub": 4.0}
CASES = {
    "uniform": (200, {
        "a": {"diff_mode": "sum", "diff_sample_type": "UniformSample", "relative_lb": 0.1, "relative_ub": 0.2},
        "b": {"diff_mode": "product", "diff_sample_type": "UniformSample", "relative_lb": 0.9, "relative_ub": 1.1},
        "c": {"diff_mode": "percentile", "diff_sample_type": "UniformSample", "relative_lb": -0.05,
              "relative_ub": 0.05, **PCT},
    }),
    "normal": (200, {
        "d": {"diff_mode": "sum", "diff_sample_type": "NormalSample", "std_dev": 0.5},
        "a": {"diff_mode": "product", "diff_sample_type": "NormalSample", "std_dev": 0.01},
        "b": {"diff_mode": "percentile", "diff_sample_type": "NormalSample", "std_dev": 0.2},
        "c": {"diff_sample_type": "NormalSample", "std_dev": 0.0},
    }),
    "grid1": (2, {
        "a": {"diff_mode": "sum", "diff_sample_type": "LinearSample", "relative_lb": 0.1, "relative_ub": 0.1},
        "b": {"diff_mode": "product", "diff_sample_type": "GeomSample", "relative_lb": 0.5, "relative_ub": 2.0},
        "c": {"diff_mode": "percentile", "diff_sample_type": "ReverseGeomSample", "relative_lb": -0.1,
              "relative_ub": 0.1, **PCT},
    }),
    "grid2": (3, {
        "b": {"diff_mode": "percentile", "diff_sample_type": "LinearSample", "relative_lb": -0.1,
              "relative_ub": 0.2, **PCT},
        "c": {"diff_mode": "sum", "diff_sample_type": "GeomSample", "relative_lb": 0.2, "relative_ub": 0.1},
        "a": {"diff_mode": "product", "diff_sample_type": "ReverseGeomSample", "relative_lb": 0.5,
              "relative_ub": 1.5},
    }),
    "grid3": (2, {
        "c": {"diff_mode": "product", "diff_sample_type": "LinearSample", "relative_lb": 0.5, "relative_ub": 1.5},
        "a": {"diff_mode": "percentile", "diff_sample_type": "GeomSample", "relative_lb": -0.1,
              "relative_ub": 0.1, **PCT},
        "d": {"diff_mode": "sum", "diff_sample_type": "ReverseGeomSample", "relative_lb": 0.1, "relative_ub": 0.3},
    }),
    "single": (1, {  # num_diff_samples 1: one row per nominal sample, lb (ub for ReverseGeomSample)
        "d": {"diff_mode": "sum", "diff_sample_type": "ReverseGeomSample", "relative_lb": 0.1, "relative_ub": 0.3},
        "a": {"diff_mode": "product", "diff_sample_type": "LinearSample", "relative_lb": 0.5, "relative_ub": 1.5},
        "b": {"diff_mode": "percentile", "diff_sample_type": "GeomSample", "relative_lb": -0.1,
              "relative_ub": 0.1, **PCT},
    }),
}
GRID_KINDS = ("LinearSample", "GeomSample", "ReverseGeomSample")


def parse():
    ap = argparse.ArgumentParser()
    for a in ("--parsweep", "--repo", "--model", "--plugin", "--ro-plugin", "--sobol"):
        ap.add_argument(a, default=None)
    ap.add_argument("--elastic", default="0", help="1 when parsweep has the elastic backend")
    ap.add_argument("--mpirun", default="", help="the launcher command line, when built with MPI")
    return ap.parse_args()


def entry_yaml(e):
    return "{" + ", ".join(f"{k}: {v}" for k, v in e.items()) + "}"


def spec_text(plugin, num_diff, entries, seed=11):
    extra = f"seed: {seed}\nnum_diff_samples: {num_diff}\ndifferential:\n"
    extra += "".join(f"  {k}: {entry_yaml(e)}\n" for k, e in entries.items())
    return build_spec("diff", PARAMS, OUTPUTS, plugin=plugin, extra=extra)


# --- WaterTAP's formulas, written here from differential.py and
# --- sampling_types.py (independent of parsweep's C code).
def wt_bounds(e, v):
    if e["diff_sample_type"] == "NormalSample":
        return v, e["std_dev"]  # NormalSample(pyomo_object, nominal_val, std_dev, n)
    rl, ru = e["relative_lb"], e["relative_ub"]
    if e["diff_mode"] == "sum":
        return v * (1 - rl), v * (1 + ru)
    if e["diff_mode"] == "product":
        return v * rl, v * ru
    delta = abs(e["nominal_ub"] - e["nominal_lb"])
    return v + delta * rl, v + delta * ru


def wt_axis(kind, lb, ub, n):
    if kind == "LinearSample":
        return np.linspace(lb, ub, n)
    if kind == "GeomSample":
        return np.geomspace(lb, ub, n, endpoint=True)
    return ((ub + lb) - np.geomspace(lb, ub, n, endpoint=True))[::-1]


def wt_inner_sweep(entries, nominal_row, num_diff, draws):
    """The rows of WaterTAP's inner ParameterSweep for one nominal sample
    (_create_differential_sweep_params + _create_global_combo_array): a
    {name: values} dict in the order of `entries`. draws[name]: the unit
    draws u (UniformSample) or standard normals z (NormalSample) that
    numpy.random would have given, in draw order."""
    vals = []
    for name, e in entries.items():
        lb, ub = wt_bounds(e, nominal_row[NAMES.index(name)])
        kind = e["diff_sample_type"]
        if kind in GRID_KINDS:
            vals.append(wt_axis(kind, lb, ub, num_diff))
        elif kind == "UniformSample":  # numpy: low + (high - low) * u
            vals.append(lb + (ub - lb) * draws[name])
        else:  # numpy: loc + scale * z
            vals.append(lb + ub * draws[name])
    if next(iter(entries.values()))["diff_sample_type"] in GRID_KINDS:
        multi = [v for v in vals if len(v) > 1]
        combo = np.zeros((1 if not multi else int(np.prod([len(v) for v in multi])), len(vals)))
        if multi:
            mesh = np.array(np.meshgrid(*multi, indexing="ij")).reshape(len(multi), -1).T
        m = 0
        for j, v in enumerate(vals):
            if len(v) == 1:
                combo[:, j] = v[0]
            else:
                combo[:, j] = mesh[:, m]
                m += 1
    else:
        combo = np.vstack(vals).T[np.argsort(vals[0]), :]
    return {name: combo[:, j] for j, name in enumerate(entries)}


def echo(row):
    return [row[k % len(NAMES)] for k in range(len(OUTPUTS))]


def watertap_fixture(path, nominal, entries, num_diff, draws):
    """What WaterTAP's DifferentialParameterSweep (one process) and its
    writer store for these nominal samples and this echo model."""
    out = {"sweep_params": {}, "outputs": {}}
    for j, name in enumerate(NAMES):
        out["sweep_params"][name] = {"value": nominal[:, j].copy(), "full_name": name}
    for k, o in enumerate(OUTPUTS):
        out["outputs"][o] = {"value": np.array([echo(r)[k] for r in nominal]), "full_name": o}
    out["nominal_idx"] = np.arange(N, dtype=float)  # _create_local_output_skeleton
    out["differential_idx"] = np.array([np.nan] * N)
    solve = [True] * N
    idx = np.arange(N).astype(float)  # local_values[:, 0]
    n_diff = None
    for k in range(N):  # _append_differential_results, one inner sweep each
        inner = wt_inner_sweep(entries, nominal[k], num_diff, draws)
        n_diff = len(next(iter(inner.values())))
        rows = np.repeat(nominal[k][None, :], n_diff, axis=0)
        for name, v in inner.items():
            rows[:, NAMES.index(name)] = v
        solve.extend([True] * n_diff)
        for j, name in enumerate(NAMES):  # perturbed, or the nominal value
            sp = out["sweep_params"][name]
            sp["value"] = np.concatenate((sp["value"], rows[:, j]))
        for m, o in enumerate(OUTPUTS):
            ov = out["outputs"][o]
            ov["value"] = np.concatenate((ov["value"], [echo(r)[m] for r in rows]))
    out["nominal_idx"] = np.concatenate((idx, np.array([np.nan] * np.repeat(idx, n_diff))), axis=0)
    out["differential_idx"] = np.concatenate((np.array(np.nan * idx), np.repeat(idx, n_diff)), axis=0)
    out["solve_successful"] = solve
    with h5py.File(path, "w") as f:  # writer.py _write_output_to_h5
        for key, item in out.items():
            grp = f.create_group(key)
            if key in ("sweep_params", "outputs"):
                for sub, subitem in item.items():
                    sg = grp.create_group(sub)
                    for k2, v in subitem.items():
                        sg.create_dataset(k2, data=v)
            else:
                grp.create_dataset(key, data=out[key])


def compare_layout(ours, fixture, what):
    """Group by group: WaterTAP's groups, their members, and every array."""
    with h5py.File(ours, "r") as a, h5py.File(fixture, "r") as b:
        check(set(a) - {"parsweep"} == set(b), f"{what}: root groups {sorted(a)} vs WaterTAP's {sorted(b)}")
        for key in b:
            if key in ("sweep_params", "outputs"):
                check(set(a[key]) == set(b[key]), f"{what}: /{key} holds {sorted(a[key])}, WaterTAP {sorted(b[key])}")
                for sub in b[key]:
                    ga, gb = a[key][sub], b[key][sub]
                    check(set(gb) <= set(ga), f"{what}: /{key}/{sub} lacks {set(gb) - set(ga)}")
                    va, vb = ga["value"][()], gb["value"][()]
                    check(va.dtype == vb.dtype and va.shape == vb.shape,
                          f"{what}: /{key}/{sub}/value {va.dtype}{va.shape} vs {vb.dtype}{vb.shape}")
                    d, ok = close_rel(va, vb, 1e-12)
                    check(ok, f"{what}: /{key}/{sub}/value differs from WaterTAP's by {d:.3g} (relative)")
            else:
                check(set(a[key]) == {key}, f"{what}: /{key} holds {sorted(a[key])}, expected the dataset {key}")
                da, db = a[key][key][()], b[key][key][()]
                check(da.dtype == db.dtype, f"{what}: /{key}/{key} is {da.dtype}, WaterTAP writes {db.dtype}")
                check(same_array(da, db), f"{what}: /{key}/{key} differs:\n{da}\nvs WaterTAP\n{db}")


def read(path):
    with h5py.File(path, "r") as f:
        vals = np.stack([f["sweep_params"][n]["value"][()] for n in NAMES], axis=1)
        outs = np.stack([f["outputs"][o]["value"][()] for o in OUTPUTS], axis=1)
        return vals, outs, f["parsweep"]["status"][()], dict(f.attrs)


def check_values(vals, entries, num_diff, what):
    """WaterTAP's formulas; returns the draws recovered per random entry."""
    nominal = vals[:N]
    want = np.array(np.meshgrid(*AXES, indexing="ij")).reshape(len(AXES), -1).T
    check(same_array(nominal, want), f"{what}: the nominal rows are not the grid in C order")
    grid = next(iter(entries.values()))["diff_sample_type"] in GRID_KINDS
    per = num_diff ** len(entries) if grid else num_diff
    check(vals.shape[0] == N * (1 + per), f"{what}: {vals.shape[0]} rows, expected {N * (1 + per)}")
    draws = {}
    for n in range(N):
        block = vals[N + n * per:N + (n + 1) * per]
        for j, name in enumerate(NAMES):  # not perturbed: the nominal value
            if name not in entries:
                check(np.all(block[:, j] == nominal[n, j]), f"{what}: '{name}' changed in block {n}")
        if grid:
            axes = [wt_axis(e["diff_sample_type"], *wt_bounds(e, nominal[n, NAMES.index(k)]), num_diff)
                    for k, e in entries.items()]
            want = np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(axes), -1).T
            for m, name in enumerate(entries):
                d, ok = close_rel(block[:, NAMES.index(name)], want[:, m], 1e-14)
                check(ok, f"{what}: block {n} '{name}' off WaterTAP's {entries[name]['diff_sample_type']} "
                          f"by {d:.3g}:\n{block[:, NAMES.index(name)]}\nvs\n{want[:, m]}")
            continue
        first = NAMES.index(next(iter(entries)))
        check(np.all(np.diff(block[:, first]) >= 0), f"{what}: block {n} not sorted by the first entry")
        for name, e in entries.items():
            v = block[:, NAMES.index(name)]
            lb, ub = wt_bounds(e, nominal[n, NAMES.index(name)])
            if e["diff_sample_type"] == "UniformSample":
                u = (v - lb) / (ub - lb)
                check(np.all((u >= -1e-12) & (u < 1)), f"{what}: '{name}' outside [lb, ub) in block {n}")
                if n == 0:
                    draws[name] = u
                want = lb + (ub - lb) * draws[name]
            else:
                z = (v - lb) / ub if ub else np.zeros_like(v)
                if n == 0:
                    draws[name] = z
                want = lb + ub * draws[name]
            d, ok = close_rel(v, want, 1e-12)
            check(ok, f"{what}: block {n} '{name}' is not WaterTAP's {e['diff_sample_type']} "
                      f"({e.get('diff_mode')}) with the common draws (off by {d:.3g})")
    for name, x in draws.items():  # 200 draws fill [0, 1) / look N(0, 1)
        if entries[name]["diff_sample_type"] == "UniformSample":
            check(x.min() < 0.05 and x.max() > 0.95 and 0.4 < x.mean() < 0.6,
                  f"{what}: '{name}' draws u do not fill [0, 1): min {x.min()}, max {x.max()}, mean {x.mean()}")
        elif entries[name]["std_dev"]:
            check(abs(x.mean()) < 0.25 and 0.8 < x.std() < 1.2,
                  f"{what}: '{name}' draws z are not N(0, 1): mean {x.mean()}, std {x.std()}")
    return draws


def test(args, tmp):
    specs = {}
    for case, (nd, entries) in CASES.items():
        specs[case] = write(os.path.join(tmp, f"{case}.yaml"), spec_text(args.plugin, nd, entries))
    rng = np.random.default_rng(5)
    for case, (nd, entries) in CASES.items():
        out = os.path.join(tmp, f"{case}.h5")
        with step(f"{case}: serial run, WaterTAP's formulas, then its layout"):
            p, _ = run(args, ["run", specs[case], "-o", out, "-b", "serial", "-q"], tmp)
            check(p.returncode == 0, describe(p))
            vals, outs, status, attrs = read(out)
            check(np.all(status == 1), f"{case}: statuses {np.unique(status)}")
            check(np.array_equal(outs, vals[:, [k % 4 for k in range(4)]]), f"{case}: outputs not echoed")
            draws = check_values(vals, entries, nd, case)
            check(int(attrs["num_nominal_samples"]) == N and int(attrs["num_samples"]) == len(vals),
                  f"{case}: attributes {attrs.get('num_nominal_samples')} / {attrs.get('num_samples')}")
            if draws:  # shuffled: the fixture's argsort must restore the order
                perm = rng.permutation(nd)
                draws = {k: v[perm] for k, v in draws.items()}
            fix = os.path.join(tmp, f"{case}.watertap.h5")
            watertap_fixture(fix, vals[:N], entries, nd, draws)
            compare_layout(out, fix, case)
    ref, _, _, _ = read(os.path.join(tmp, "uniform.h5"))
    with step("another seed: other draws, the same nominal rows"):
        other = write(os.path.join(tmp, "seed.yaml"), spec_text(args.plugin, *CASES["uniform"], seed=12))
        out = os.path.join(tmp, "seed.h5")
        p, _ = run(args, ["run", other, "-o", out, "-b", "serial", "-q"], tmp)
        check(p.returncode == 0, describe(p))
        vals, _, _, _ = read(out)
        check(same_array(vals[:N], ref[:N]), "the nominal rows changed with the seed")
        check(not np.any(vals[N:, 0] == ref[N:, 0]), "differential draws did not change with the seed")
    backends = [["-b", "fork", "-j", "3"]]
    if args.elastic == "1":
        backends.append(["-b", "elastic", "-j", "2"])
    if args.mpirun:
        backends.append(["-b", "mpi"])
    for flags in backends:
        for case in ("uniform", "grid2"):
            with step(f"{case} on {' '.join(flags)}: the serial run's values, every sample once"):
                out = os.path.join(tmp, f"{case}-{flags[1]}.h5")
                cmd = ["run", specs[case], "-o", out, "-q"] + flags
                if flags[1] == "mpi":
                    p = subprocess.run(args.mpirun.split() + ["-n", "3", args.parsweep] + cmd, cwd=tmp,
                                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
                else:
                    p, _ = run(args, cmd, tmp)
                check(p.returncode == 0, describe(p))
                vals, outs, status, _ = read(out)
                base, _, _, _ = read(os.path.join(tmp, f"{case}.h5"))
                check(same_array(vals, base), f"{case} on {flags[1]}: values differ from serial")
                check(np.all(status == 1), f"{case} on {flags[1]}: statuses {np.unique(status)}")
                with h5py.File(out, "r") as f:
                    w = f["parsweep"]["worker"][()]
                check(np.all(w >= 0), f"{case} on {flags[1]}: a row no worker produced")


if __name__ == "__main__":
    main(test, parse=parse)
