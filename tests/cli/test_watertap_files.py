#!/usr/bin/python3
"""Issue 14 acceptance 3: WaterTAP's own files run unchanged (SPEC 3.0).

Fixtures are written in the format of WaterTAP's parameter_sweep reader
(ParameterSweepReader.get_sweep_params_from_yaml: a flat mapping name ->
{type, param, ...}, as its tests write them with yaml.dump) and read back
as its writer and analysis do:

* grid kinds (a separate spec: mixing is an error): a descending
  LinearSample, a GeomSample with both bounds negative, a descending
  positive GeomSample, a ReverseGeomSample with positive and one with
  negative bounds, and a PredeterminedFixedSample,
  with `param`, `set_mode` and `default_value`, and a key WaterTAP's
  reader ignores for the type; values equal numpy's linspace (exactly) /
  geomspace (1 ulp: numpy may use SIMD pow) in WaterTAP's grid order
  (meshgrid indexing="ij", flattened);
* random kinds: UniformSample, NormalSample, LatinHypercubeSample,
  PredeterminedRandomSample, under h5_parent_group_name, read by h5py, by
  `parsweep show`/`status` and by --resume;
* outputs: as a mapping, units and full_name recorded;
* csv_results_file_name: numpy.genfromtxt(skip_header=1, delimiter=",")
  equals the h5 columns, failed samples' outputs NaN, header
  "# p1,...,o1,...", written atomically (mode 0644, no temporary left);
* errors in the parameter file name that file, the line and the key.
"""
import os
import signal
import stat
import subprocess
import time

import h5py
import numpy as np

from clitest import check, describe, main, run, same_array, step, write

GRID = """\
lin_desc:
  type: LinearSample
  param: fs.unit.area
  lower_limit: 30.0
  upper_limit: 20.0
  num_samples: 3
  set_mode: set_lb
  default_value: 25.0
geom_neg:
  type: GeomSample
  param: fs.unit.pressure
  lower_limit: -0.01
  upper_limit: -10.0
  num_samples: 3
geom_desc:
  type: GeomSample
  param: fs.unit.flow
  lower_limit: 100.0
  upper_limit: 0.3
  num_samples: 2
rgeom:
  type: ReverseGeomSample
  param: fs.unit.recovery
  lower_limit: 1
  upper_limit: 10
  num_samples: 3
  set_mode: set_fixed_state
  default_value: 3
rgeom_neg:
  type: ReverseGeomSample
  param: fs.unit.dp
  lower_limit: -0.5
  upper_limit: -50
  num_samples: 3
fixed:
  type: PredeterminedFixedSample
  param: fs.unit.temperature
  array:
  - 1.5
  - -2
  set_mode: set_ub
  num_samples: 7
"""

RANDOM = """\
uni:
  type: UniformSample
  param: fs.a
  lower_limit: 10
  upper_limit: 20
  num_samples: 5
norm:
  type: NormalSample
  param: fs.b
  mean: 10
  std: 2
  num_samples: 5
  lower_limit: 0
lhs:
  type: LatinHypercubeSample
  param: fs.c
  lower_limit: 10
  upper_limit: 20
  num_samples: 5
  set_mode: fix_value
predet:
  type: PredeterminedRandomSample
  param: fs.x
  array: [1, 2, 3, 4, 5]
  set_mode: set_lb
"""

FAIL = 5  # the grid sample whose model exits non-zero

# (file text, expected "line: key" in the message)
BAD = [
    ("x:\n  type: GeomSample\n  lower_limit: -1\n  upper_limit: 10\n  num_samples: 3\n",
     "3: x.lower_limit: "),
    ("x: {type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 2}\n"
     "y:\n  type: LinearSample\n  lower_limit: 1\n  upper_limit: 2\n  num_samples: 0\n",
     "6: y.num_samples: "),
    ("x:\n  type: LinearSample\n  lower_limit: .nan\n  upper_limit: 2\n  num_samples: 2\n",
     "3: x.lower_limit: "),
    ("x:\n  type: GeomSample\n  lower_limit: 1\n  upper_limit: 0\n  num_samples: 2\n",
     "4: x.upper_limit: "),
    ("x:\n  type: LinearSample\n  lower_limit: 1\n  upper_limit: 2\n  num_samples: 2\n"
     "  set_mode: fix_it\n", "6: x.set_mode: "),
    ("x: {type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 2}\n"
     "y: {type: UniformSample, lower_limit: 1, upper_limit: 2, num_samples: 2}\n",
     "2: y.type: "),
    ("x: {type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: 2}\n"
     "y: {type: LinearSample, lower_limt: 1, upper_limit: 2, num_samples: 2}\n",
     "2: y.lower_limt: "),
    ("x: {type: LinearSample, lower_limit: [1, upper_limit: 2}\n", "1: syntax: "),
]


def spec_text(params_ref, model, extra, outputs):
    return (
        f"name: wt\n{extra}"
        f"parameters: {params_ref}\n"
        f"outputs:\n{outputs}"
        f"model:\n  command: [{model!r}, '{{a}}', '{{b}}', '{{c}}', "
        f"'--index={{index}}', '--exit={FAIL}']\n"
    )


OUTPUTS = (
    "  out1: {units: USD/m^3, full_name: fs.costing.LCOW}\n"
    "  out2:\n    units: kWh/m^3\n"
)


def ulps_ok(got, want):
    got = np.asarray(got)
    want = np.asarray(want)
    return got.shape == want.shape and bool(
        np.all(np.abs(got - want) <= np.spacing(np.abs(want)))
    )


def check_grid(args, tmp):
    sdir = os.path.join(tmp, "specs")
    os.mkdir(sdir)
    pfile = write(os.path.join(sdir, "wt_grid.yaml"), GRID)
    spec = write(
        os.path.join(sdir, "grid.yaml"),
        spec_text("wt_grid.yaml", args.model,
                  "output: grid.h5\ncsv_results_file_name: grid.csv\n", OUTPUTS)
        .replace("{a}", "{lin_desc}").replace("{b}", "{geom_neg}")
        .replace("{c}", "{rgeom}"),
    )
    with step("grid kinds from a WaterTAP file (relative to the spec's directory)"):
        old = os.umask(0o022)
        try:
            p, _ = run(args, ["run", spec, "-b", "fork", "-j", "2", "-q"], cwd=tmp)
        finally:
            os.umask(old)
        check(p.returncode == 3, f"expected exit 3 (sample {FAIL} fails), got {describe(p)}")
    axes = [
        np.linspace(30.0, 20.0, 3),
        np.geomspace(-0.01, -10.0, 3),
        np.geomspace(100.0, 0.3, 2),
        ((10 + 1) - np.geomspace(1, 10, 3))[::-1],
        ((-50 + -0.5) - np.geomspace(-0.5, -50, 3))[::-1],
        np.array([1.5, -2.0]),
    ]
    names = ["lin_desc", "geom_neg", "geom_desc", "rgeom", "rgeom_neg", "fixed"]
    grid = [g.ravel() for g in np.meshgrid(*axes, indexing="ij")]
    h5 = os.path.join(tmp, "grid.h5")
    with h5py.File(h5, "r") as f:
        sp = f["sweep_params"]
        with step("values: numpy's linspace/geomspace in WaterTAP's grid order"):
            check(list(sp.keys()) == sorted(names) or set(sp.keys()) == set(names),
                  f"parameters {list(sp.keys())}")
            for k, name in enumerate(names):
                got = sp[name]["value"][()]
                if name in ("lin_desc", "fixed"):
                    check(same_array(got, grid[k]), f"{name}: {got} != {grid[k]}")
                else:
                    check(ulps_ok(got, grid[k]), f"{name}: {got} != {grid[k]} (1 ulp)")
            check(np.all(sp["geom_neg"]["value"][()] < 0), "negative geomspace")
            check(np.all(sp["rgeom_neg"]["value"][()] < 0), "negative reverse geomspace")
            check(sp["lin_desc"]["value"][0] == 30.0 and sp["lin_desc"]["value"][-1] == 20.0,
                  "descending linspace: 30 first, 20 last")
        with step("param, set_mode, default_value and bounds recorded"):
            g = sp["lin_desc"]
            check(g["full_name"][()].decode() == "fs.unit.area", "full_name of lin_desc")
            check(g.attrs["set_mode"] in ("set_lb", b"set_lb"), f"set_mode {g.attrs.get('set_mode')}")
            check(float(g.attrs["default_value"]) == 25.0, "default_value of lin_desc")
            check(g["lower bound"][()] == 20.0 and g["upper bound"][()] == 30.0,
                  "bounds of a descending range: the range its values span")
            check(sp["rgeom"].attrs["set_mode"] in ("set_fixed_state", b"set_fixed_state"),
                  "set_mode of rgeom")
            check(float(sp["rgeom"].attrs["default_value"]) == 3.0, "default_value of rgeom")
            check(sp["fixed"].attrs["set_mode"] in ("set_ub", b"set_ub"), "set_mode of fixed")
            check("set_mode" not in sp["geom_neg"].attrs and
                  "default_value" not in sp["geom_neg"].attrs,
                  "no set_mode/default_value where the file gives none")
            check(set(sp["lin_desc"].keys()) ==
                  {"value", "lower bound", "upper bound", "units", "full_name"},
                  f"WaterTAP's five datasets only: {list(sp['lin_desc'].keys())}")
            pf = f.attrs["parameters_file"]
            pf = pf.decode() if isinstance(pf, bytes) else pf
            check(pf == os.path.join("specs", "wt_grid.yaml") or pf.endswith("/wt_grid.yaml"),
                  f"parameters_file {pf!r}")
            pt = f.attrs["parameters_text"]
            pt = pt.decode() if isinstance(pt, bytes) else pt
            check(pt == GRID, "parameters_text is the file's text")
        with step("outputs: units and full_name recorded"):
            o = f["outputs"]
            check(o["out1"]["units"][()].decode() == "USD/m^3", "out1 units")
            check(o["out1"]["full_name"][()].decode() == "fs.costing.LCOW", "out1 full_name")
            check(o["out2"]["units"][()].decode() == "kWh/m^3", "out2 units")
            check(o["out2"]["full_name"][()].decode() == "out2", "out2 full_name: its name")
            a, b, c = (sp[n]["value"][()] for n in ("lin_desc", "geom_neg", "rgeom"))
            out1 = o["out1"]["value"][()]
            want = a * b + c
            want[FAIL] = np.nan
            check(same_array(out1, want), "out1 = a*b + c, NaN where the sample failed")
            cols = [sp[n]["value"][()] for n in names] + [o["out1"]["value"][()],
                                                          o["out2"]["value"][()]]
            ok = f["solve_successful"]["solve_successful"][()]
    csv = os.path.join(tmp, "grid.csv")
    with step("the CSV: WaterTAP's header, numpy.genfromtxt equals the h5 columns"):
        check(os.path.exists(csv), "no grid.csv in the working directory")
        with open(csv) as fh:
            header = fh.readline().rstrip("\n")
        check(header == "# " + ",".join(names + ["out1", "out2"]), f"header {header!r}")
        data = np.genfromtxt(csv, skip_header=1, delimiter=",")
        check(data.shape == (len(cols[0]), len(cols)), f"shape {data.shape}")
        for k, col in enumerate(cols):
            check(same_array(data[:, k], col), f"CSV column {k} differs from the h5 column")
        check(np.all(np.isnan(data[~ok, -2:])), "outputs NaN where not ok")
        check(not ok[FAIL] and np.all(np.isfinite(data[ok, -2:])), "ok rows have outputs")
        mode = stat.S_IMODE(os.stat(csv).st_mode)
        check(mode == 0o644, f"mode {oct(mode)}, expected 0644")
        left = [n for n in os.listdir(tmp) if ".tmp." in n]
        check(not left, f"temporaries left: {left}")


def check_random(args, tmp):
    write(os.path.join(tmp, "wt_random.yaml"), RANDOM)
    spec = write(
        os.path.join(tmp, "random.yaml"),
        spec_text("wt_random.yaml", args.model,
                  "seed: 7\noutput: random.h5\ncsv_results_file_name: random.csv\n"
                  "h5_parent_group_name: sweep1\n", OUTPUTS)
        .replace("{a}", "{uni}").replace("{b}", "{norm}").replace("{c}", "{predet}")
        .replace(f"--exit={FAIL}", "--exit=99"),
    )
    h5 = os.path.join(tmp, "random.h5")
    with step("random kinds from a WaterTAP file, under h5_parent_group_name"):
        p, _ = run(args, ["run", spec, "-b", "fork", "-j", "2", "-q"], cwd=tmp)
        check(p.returncode == 0, f"expected exit 0, got {describe(p)}")
    names = ["uni", "norm", "lhs", "predet"]
    with h5py.File(h5, "r") as f:
        with step("layout: WaterTAP's groups under /sweep1, /parsweep and attributes at the root"):
            check(set(f.keys()) == {"sweep1", "parsweep"}, f"root groups {list(f.keys())}")
            g = f["sweep1"]
            check(set(g.keys()) == {"sweep_params", "outputs", "solve_successful"},
                  f"/sweep1 holds {list(g.keys())}")
            check(set(g["sweep_params"].keys()) == set(names), "parameters under /sweep1")
            check("spec" in f.attrs and "count_ok" in f.attrs, "root attributes at the root")
            check(int(f.attrs["count_ok"]) == 5, "5 ok")
            v = {n: g["sweep_params"][n]["value"][()] for n in names}
            check(same_array(v["predet"], np.arange(1.0, 6.0)), f"predet {v['predet']}")
            check(np.all((v["uni"] >= 10) & (v["uni"] < 20)), "uniform within bounds")
            check(np.all((v["lhs"] >= 10) & (v["lhs"] < 20)), "LHS within bounds")
            strata = np.sort(np.floor((v["lhs"] - 10) / 2).astype(int))
            check(list(strata) == [0, 1, 2, 3, 4], f"LHS: one value per stratum {strata}")
            check(np.all(np.isfinite(v["norm"])), "normal finite")
            check(g["sweep_params"]["predet"].attrs["set_mode"] in ("set_lb", b"set_lb"),
                  "set_mode recorded under the parent group")
            check(g["outputs"]["out1"]["units"][()].decode() == "USD/m^3", "units under /sweep1")
            cols = [v[n] for n in names] + [g["outputs"][o]["value"][()] for o in ("out1", "out2")]
    with step("the CSV of a sweep under a parent group"):
        data = np.genfromtxt(os.path.join(tmp, "random.csv"), skip_header=1, delimiter=",")
        for k, col in enumerate(cols):
            check(same_array(data[:, k], col), f"CSV column {k} differs")
    with step("parsweep show and status find the groups"):
        p, _ = run(args, ["show", h5], cwd=tmp)
        check(p.returncode == 0 and all(n in p.stdout for n in names + ["out1"]),
              f"show: {describe(p)}")
        p, _ = run(args, ["show", h5, "--csv"], cwd=tmp)
        lines = p.stdout.strip().split("\n")
        check(p.returncode == 0 and len(lines) == 6, f"show --csv: {describe(p)}")
        p, _ = run(args, ["status", h5], cwd=tmp)
        check(p.returncode == 0, f"status: {describe(p)}")
    with step("the same parameters inline: the same values and spec hash"):
        inline = "\n".join("  " + ln for ln in RANDOM.replace("  lower_limit: 0\n", "", 1)
                           .rstrip("\n").split("\n"))
        spec2 = write(os.path.join(tmp, "random_inline.yaml"),
                      open(spec).read().replace("parameters: wt_random.yaml",
                                                "parameters:\n" + inline)
                      .replace("output: random.h5", "output: random_inline.h5")
                      .replace("csv_results_file_name: random.csv\n", ""))
        p, _ = run(args, ["run", spec2, "-b", "serial", "-q"], cwd=tmp)
        check(p.returncode == 0, f"inline: {describe(p)}")
        with h5py.File(h5, "r") as f, h5py.File(os.path.join(tmp, "random_inline.h5"), "r") as g:
            check(f.attrs["spec_hash"] == g.attrs["spec_hash"], "spec_hash differs")
            for n in names:
                check(same_array(f["sweep1"]["sweep_params"][n]["value"][()],
                                 g["sweep1"]["sweep_params"][n]["value"][()]), f"{n} differs")
    with step("--resume reads the file and writes the CSV again"):
        os.unlink(os.path.join(tmp, "random.csv"))
        p, _ = run(args, ["run", spec, "-b", "fork", "-j", "2", "-q", "--resume"], cwd=tmp)
        check(p.returncode == 0, f"resume: {describe(p)}")
        check(os.path.exists(os.path.join(tmp, "random.csv")), "CSV written again on --resume")
        with h5py.File(h5, "r") as f:
            check(set(f.keys()) == {"sweep1", "parsweep"}, "layout kept on --resume")
            check(same_array(f["sweep1"]["sweep_params"]["uni"]["value"][()], cols[0]),
                  "resumed rows copied")


def check_stopped(args, tmp):
    """A stopped run writes results.h5 (completed 0) but no CSV; the
    --resume that completes it writes the CSV."""
    d = os.path.join(tmp, "stopped")
    os.mkdir(d)
    write(os.path.join(d, "wt.yaml"), RANDOM)
    slow, started = os.path.join(d, "slow"), os.path.join(d, "started")
    script = (f'if [ -e {slow} ] && [ "$1" -ge 2 ]; then touch {started}; '
              'sleep 30 & wait; fi; echo "out1=$2"; echo "out2=$1"')
    spec = write(os.path.join(d, "spec.yaml"),
                 "seed: 3\nparameters: wt.yaml\n"
                 "outputs: {out1: {units: m}, out2: }\n"
                 "csv_results_file_name: r.csv\n"
                 f"model:\n  command: [sh, -c, {script!r}, sh, '{{index}}', '{{uni}}']\n")
    write(slow, "")
    with step("a stopped run: results.h5 with completed 0, no CSV"):
        p = subprocess.Popen([args.parsweep, "run", spec, "-b", "serial", "-q"], cwd=d,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        while not os.path.exists(started) and time.monotonic() - t0 < 20:
            time.sleep(0.02)
        check(os.path.exists(started), "sample 2 never started")
        p.send_signal(signal.SIGTERM)  # cancels the running model
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise
        check(p.returncode == 4, f"expected exit 4, got {p.returncode}: {err.decode()[-500:]}")
        with h5py.File(os.path.join(d, "results.h5"), "r") as f:
            check(int(f.attrs["completed"]) == 0, "completed 0")
        check(not os.path.exists(os.path.join(d, "r.csv")), "a CSV of a stopped run")
    os.unlink(slow)
    with step("--resume completes it and writes the CSV"):
        p, _ = run(args, ["run", spec, "-b", "serial", "-q", "--resume"], cwd=d)
        check(p.returncode == 0, f"resume: {describe(p)}")
        data = np.genfromtxt(os.path.join(d, "r.csv"), skip_header=1, delimiter=",")
        with h5py.File(os.path.join(d, "results.h5"), "r") as f:
            check(int(f.attrs["completed"]) == 1, "completed 1")
            check(same_array(data[:, 0], f["sweep_params"]["uni"]["value"][()]), "uni column")
            check(same_array(data[:, 4], f["outputs"]["out1"]["value"][()]), "out1 column")
            check(same_array(data[:, 5], np.arange(5.0)), "out2 = index: every row")


def check_errors(args, tmp):
    for k, (text, want) in enumerate(BAD):
        pfile = f"bad{k}.yaml"
        write(os.path.join(tmp, pfile), text)
        spec = write(
            os.path.join(tmp, f"spec_bad{k}.yaml"),
            spec_text(pfile, args.model, f"output: bad{k}.h5\n", OUTPUTS)
            .replace("{a}", "{index}").replace("{b}", "{index}").replace("{c}", "{index}"),
        )
        with step(f"a bad parameter file names it, the line and the key: {want.strip()}"):
            p, _ = run(args, ["run", spec, "-q"], cwd=tmp)
            err = p.stderr.strip()
            check(p.returncode == 1, f"expected exit 1, got {describe(p)}")
            check(err.count("\n") == 0, f"one line: {err!r}")
            check(f"{pfile}:{want}" in err, f"expected '{pfile}:{want}' in {err!r}")
            check(not os.path.exists(os.path.join(tmp, f"bad{k}.h5")), "no output")
    with step("a missing parameter file: the spec's line and the file's name"):
        spec = write(os.path.join(tmp, "spec_missing.yaml"),
                     spec_text("nowhere.yaml", args.model, "", OUTPUTS)
                     .replace("{a}", "{index}").replace("{b}", "{index}")
                     .replace("{c}", "{index}"))
        p, _ = run(args, ["run", spec, "-q"], cwd=tmp)
        check(p.returncode == 1 and "spec_missing.yaml:2: parameters: " in p.stderr
              and "nowhere.yaml" in p.stderr, f"got {describe(p)}")
    with step("a CSV that cannot be written is refused before anything runs"):
        write(os.path.join(tmp, "ok_csv.yaml"), RANDOM)
        os.mkdir(os.path.join(tmp, "adir"))
        for csv, want in (("nodir/r.csv", "nodir/r.csv: cannot write the CSV"),
                          ("adir", "adir: is a directory")):
            spec = write(os.path.join(tmp, "spec_csv.yaml"),
                         spec_text("ok_csv.yaml", args.model,
                                   f"output: csv_bad.h5\ncsv_results_file_name: {csv}\n",
                                   OUTPUTS)
                         .replace("{a}", "{uni}").replace("{b}", "{uni}")
                         .replace("{c}", "{uni}"))
            p, _ = run(args, ["run", spec, "-q"], cwd=tmp)
            err = p.stderr.strip()
            check(p.returncode == 1 and want in err and err.count("\n") == 0,
                  f"{csv}: {describe(p)}")
            check(not any(n.startswith(("csv_bad", ".csv_bad")) for n in os.listdir(tmp)),
                  f"{csv}: the output or its companions were touched")
    with step("h5_parent_group_name 'parsweep' and an unknown output key are refused"):
        write(os.path.join(tmp, "ok.yaml"), RANDOM)
        for extra, outs, want in (
            ("h5_parent_group_name: parsweep\n", OUTPUTS, "h5_parent_group_name: "),
            ("", "  out1: {unit: m}\n  out2:\n", "outputs.out1.unit: "),
        ):
            spec = write(os.path.join(tmp, "spec_top.yaml"),
                         spec_text("ok.yaml", args.model, extra, outs)
                         .replace("{a}", "{uni}").replace("{b}", "{uni}")
                         .replace("{c}", "{uni}"))
            p, _ = run(args, ["run", spec, "-q"], cwd=tmp)
            check(p.returncode == 1 and want in p.stderr, f"{want}: {describe(p)}")


def test(args, tmp):
    check_grid(args, tmp)
    check_random(args, tmp)
    check_stopped(args, tmp)
    check_errors(args, tmp)


if __name__ == "__main__":
    main(test)
