#!/usr/bin/python3
"""Check a results.h5 written by tests/sweep/test_results.c with h5py.

usage: check_results.py FILE N SPEC_TEXT [--version V] [--backend B]
                        [--nodes K] [--workers W] [--seed S]

Asserts the layout of SPEC section 4 (every dataset, dtype, shape, string,
attribute and count) against rows computed here from the same formulas as
the C test, then reads the file the way WaterTAP's parameter-sweep analysis
does. Exit 0 when all holds; an AssertionError names the first difference.
"""
import argparse
import re
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # a missing package is a setup error, say which
    sys.exit(f"check_results.py: {e}: apt-get install python3-h5py python3-numpy")

OK, FAILED, TIMEOUT, CRASHED, NOT_RUN = 1, 2, 3, 4, 0
PARAMS = [
    ("membrane_cost", "fs.costing.membrane_cost", "USD/m**2", 20.0, 32.5),
    ("recovery", "recovery", "None", 0.5, 30.0),
]
OUTPUTS = ["LCOW", "fs.energy[a,b]"]


def expected(n):
    """The rows test_results.c writes (row_state and friends there)."""
    i = np.arange(n, dtype=np.uint64)
    st = np.full(n, OK, dtype=np.int8)
    st[i % 211 == 11] = CRASHED
    st[i % 89 == 7] = TIMEOUT
    st[i % 97 == 5] = FAILED
    never = ((i >= 1000) & (i < 1400) & (i % 3 != 0)) | (i + 5 >= n)
    st[never] = NOT_RUN
    written = st != NOT_RUN
    ok = st == OK
    fi = i.astype(np.float64)
    e = {"status": st}
    e["exit_code"] = np.select(
        [st == FAILED, st == TIMEOUT, st == CRASHED], [1, -9, -11], 0
    ).astype(np.int32)
    e["elapsed"] = np.where(written, (i % 1000).astype(np.float64) * 0.0078125 + 0.5, 0.0)
    e["worker"] = np.where(written, (i % 7).astype(np.int32), -1).astype(np.int32)
    e["node"] = np.where(written, (i % 3).astype(np.int32), -1).astype(np.int32)
    e["membrane_cost"] = np.where(written, 20.0 + (i % 101).astype(np.float64) * 0.125, np.nan)
    e["recovery"] = np.where(written, 0.5 + fi * 0.0009765625, np.nan)
    e["LCOW"] = np.where(ok, (i % 13).astype(np.float64) * 0.5 - 3.0, np.nan)
    e["fs.energy[a,b]"] = np.where(ok, fi * 2.0 + 0.25, np.nan)
    e["solve_successful"] = ok
    return e


def same(a, b):
    """Bit-exact equality, NaN equal to NaN."""
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def check_string(ds, want):
    assert ds.shape == (), (ds.name, ds.shape)
    info = h5py.check_string_dtype(ds.dtype)
    # What h5py makes from a Python str: variable length, UTF-8.
    assert info is not None and info.encoding == "utf-8" and info.length is None, (
        ds.name,
        ds.dtype,
    )
    got = ds[()]
    assert isinstance(got, bytes), (ds.name, type(got))
    assert got.decode("utf-8") == want, (ds.name, got, want)


def check_column(ds, dtype, want, fill):
    assert ds.dtype == np.dtype(dtype), (ds.name, ds.dtype, dtype)
    assert ds.shape == want.shape, (ds.name, ds.shape, want.shape)
    assert ds.chunks is not None, ds.name
    got = ds[...]
    bad = np.flatnonzero(~((got == want) | (np.isnan(got) & np.isnan(want))
                           if got.dtype.kind == "f" else got == want))
    assert bad.size == 0, (ds.name, bad[:5], got[bad[:5]], want[bad[:5]])
    if fill is not None:
        fv = ds.fillvalue
        assert (np.isnan(fv) and np.isnan(fill)) if isinstance(fill, float) and np.isnan(fill) \
            else fv == fill, (ds.name, fv, fill)


def check_variable(g, name, full_name, units, lo, hi, want):
    assert set(g.keys()) == {"value", "lower bound", "upper bound", "units", "full_name"}, (
        g.name,
        list(g.keys()),
    )
    for key, v in (("lower bound", lo), ("upper bound", hi)):
        ds = g[key]
        assert ds.shape == () and ds.dtype == np.float64, (ds.name, ds.shape, ds.dtype)
        assert ds[()] == v, (ds.name, ds[()], v)
    check_string(g["units"], units)
    check_string(g["full_name"], full_name)
    check_column(g["value"], np.float64, want, np.nan)


def read_like_watertap(path):
    """watertap/tools/parameter_sweep/tests/test_parameter_sweep.py
    _read_output_h5, the reader WaterTAP's own checks and users copy."""
    f = h5py.File(path, "r")
    output_dict = {}
    for key in list(f.keys()):
        if key in ["sweep_params", "outputs"]:
            output_dict[key] = {}
            for subkey in list(f[key].keys()):
                output_dict[key][subkey] = {}
                for subsubkey in list(f[key][subkey].keys()):
                    output_dict[key][subkey][subsubkey] = f[key][subkey][subsubkey][()]
                    if subsubkey == "units" or subsubkey == "full_name":
                        output_dict[key][subkey][subsubkey] = output_dict[key][subkey][
                            subsubkey
                        ].decode("utf-8")
        elif key == "solve_successful":
            output_dict[key] = list(f[key]["solve_successful"][()])
    f.close()
    return output_dict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("n", type=int)
    ap.add_argument("spec_text")
    ap.add_argument("--version", default="9.8.7")
    ap.add_argument("--backend", default="threads")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    n = a.n
    e = expected(n)

    with h5py.File(a.file, "r") as f:
        assert set(f.keys()) == {"sweep_params", "outputs", "solve_successful", "parsweep"}, list(
            f.keys()
        )
        # Spec order, kept by link creation order.
        assert list(f["sweep_params"].keys()) == [p[0] for p in PARAMS], list(f["sweep_params"])
        assert list(f["outputs"].keys()) == OUTPUTS, list(f["outputs"])
        for name, full, units, lo, hi in PARAMS:
            check_variable(f["sweep_params"][name], name, full, units, lo, hi, e[name])
        dmax = np.finfo("d").max
        for name in OUTPUTS:
            # No bounds: what WaterTAP writes for a bound of None.
            check_variable(f["outputs"][name], name, name, "None", -dmax, dmax, e[name])

        assert list(f["solve_successful"].keys()) == ["solve_successful"]
        ss = f["solve_successful"]["solve_successful"]
        assert ss.dtype == np.bool_, ss.dtype  # h5py's bool enum
        assert ss.id.get_type().get_super().get_size() == 1
        check_column(ss, np.bool_, e["solve_successful"], False)

        p = f["parsweep"]
        assert set(p.keys()) == {"status", "exit_code", "elapsed", "worker", "node"}, list(p)
        check_column(p["status"], np.int8, e["status"], 0)
        check_column(p["exit_code"], np.int32, e["exit_code"], 0)
        check_column(p["elapsed"], np.float64, e["elapsed"], 0.0)
        check_column(p["worker"], np.int32, e["worker"], -1)
        check_column(p["node"], np.int32, e["node"], -1)

        at = f.attrs
        want_attrs = {
            "parsweep_version", "backend", "nodes", "workers", "spec", "seed", "num_samples",
            "created", "finished", "completed", "count_not_run", "count_ok", "count_failed",
            "count_timeout", "count_crashed",
        }
        assert set(at.keys()) == want_attrs, sorted(at.keys())
        for key, v in (("parsweep_version", a.version), ("backend", a.backend),
                       ("spec", a.spec_text)):
            assert isinstance(at[key], str) and at[key] == v, (key, at[key], v)
        iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        assert iso.match(at["created"]) and iso.match(at["finished"]), (
            at["created"], at["finished"])
        assert at["created"] <= at["finished"]
        for key, v in (("nodes", a.nodes), ("workers", a.workers), ("seed", a.seed),
                       ("num_samples", n), ("completed", 1)):
            assert np.issubdtype(type(at[key]), np.integer) and at[key] == v, (key, at[key], v)
        st = e["status"]
        for key, code in (("count_not_run", NOT_RUN), ("count_ok", OK), ("count_failed", FAILED),
                          ("count_timeout", TIMEOUT), ("count_crashed", CRASHED)):
            assert at[key] == int(np.sum(st == code)), (key, at[key], int(np.sum(st == code)))
        assert sum(int(at[k]) for k in at if k.startswith("count_")) == n

    d = read_like_watertap(a.file)
    for name, full, units, lo, hi in PARAMS:
        v = d["sweep_params"][name]
        assert v["units"] == units and v["full_name"] == full, v
        assert v["lower bound"] == lo and v["upper bound"] == hi
        assert same(v["value"], e[name]), name
    for name in OUTPUTS:
        assert same(d["outputs"][name]["value"], e[name]), name
    assert d["solve_successful"] == list(e["solve_successful"])
    # WaterTAP's analysis masks with solve_successful: it must be a bool mask.
    mask = np.asarray(d["solve_successful"])
    assert mask.dtype == np.bool_
    assert np.all(np.isfinite(d["outputs"]["LCOW"]["value"][mask]))
    print(f"check_results.py: {a.file}: ok ({n} rows)")


if __name__ == "__main__":
    main()
