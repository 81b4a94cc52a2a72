"""results.h5 as Python dicts (docs/results-format.md, docs/python.md)."""

_WATERTAP_GROUPS = ("sweep_params", "outputs")


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


def _variables(g):
    out = {}
    for name, var in g.items():  # creation order = spec order
        d = {}
        for key, ds in var.items():
            d[key] = _text(ds[()])
        out[name] = d
    return out


def _watertap_root(f, group):
    if group is not None:
        return f[group]
    if "sweep_params" in f:
        return f
    # h5_parent_group_name: WaterTAP's groups under one parent group
    parents = [g for name, g in f.items()
               if name != "parsweep" and hasattr(g, "keys") and "sweep_params" in g]
    if len(parents) != 1:
        raise KeyError("no sweep_params group in the file (pass group=)")
    return parents[0]


def read_results(path, group=None):
    """Read results.h5 into the dict shape of WaterTAP's _read_output_h5:

        {"sweep_params": {name: {"value", "lower bound", "upper bound",
                                 "units", "full_name"}},
         "outputs": {...the same...},
         "solve_successful": bool[N],
         "status": int8[N], "exit_code": int32[N], "attrs": {...}}

    plus, for a differential sweep, "nominal_idx" and "differential_idx"
    (float64[N], NaN where not applicable), as _read_output_h5 reads them.

    group names the parent group of WaterTAP's groups when the sweep used
    h5_parent_group_name (found by itself when there is only one).
    """
    import h5py  # only here: serving needs no third-party module

    with h5py.File(path, "r") as f:
        root = _watertap_root(f, group)
        out = {g: _variables(root[g]) for g in _WATERTAP_GROUPS}
        out["solve_successful"] = root["solve_successful/solve_successful"][()].astype(bool)
        for key in ("nominal_idx", "differential_idx"):  # differential sweeps
            if key in root:
                out[key] = root[key][key][()]
        out["status"] = f["parsweep/status"][()]
        out["exit_code"] = f["parsweep/exit_code"][()]
        out["attrs"] = {k: _text(v) for k, v in f.attrs.items()}
    return out
