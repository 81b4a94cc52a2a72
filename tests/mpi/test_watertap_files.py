#!/usr/bin/python3
"""Issue 14 (WaterTAP files, SPEC 3.0) under a real launcher: a spec whose
`parameters:` names a WaterTAP sweep-parameter file (a descending
LinearSample with set_mode, a negative GeomSample), with
h5_parent_group_name and csv_results_file_name, run

  parsweep run spec -b fork -j 2                    (the reference)
  mpirun -n 3 parsweep run spec -b mpi
  mpirun -n 2 parsweep run spec -b hybrid -j 2      (2 node groups: two
                                                     MPI-IO writers open the
                                                     groups under the parent)

Each exits 3 (one sample fails); WaterTAP's groups are under /grp with
/parsweep at the root; the values equal numpy's linspace/geomspace; the CSV
is byte for byte the fork run's, and numpy.genfromtxt of it equals the h5
columns; `parsweep status` reads the file; no temporary is left.
"""
import os

import h5py
import numpy as np

from mpitest import check, describe, main, mpirun, same_array, step, write
from clitest import run  # noqa: E402  (mpitest put tests/cli on the path)

PARAMS = """\
a:
  type: LinearSample
  param: fs.a
  lower_limit: 3
  upper_limit: 1
  num_samples: 5
  set_mode: set_ub
b:
  type: GeomSample
  param: fs.b
  lower_limit: -1
  upper_limit: -100
  num_samples: 3
"""
FAIL = 4

RUNS = [
    ("fork -j 2", 0, ["-b", "fork", "-j", "2"]),
    ("mpirun -n 3 -b mpi", 3, ["-b", "mpi"]),
    ("mpirun -n 2 -b hybrid -j 2", 2, ["-b", "hybrid", "-j", "2"]),
]


def test(args, tmp):
    write(os.path.join(tmp, "wt.yaml"), PARAMS)
    spec = write(
        os.path.join(tmp, "spec.yaml"),
        "parameters: wt.yaml\n"
        "outputs:\n  out1: {units: m, full_name: fs.out1}\n  out2:\n"
        "csv_results_file_name: r.csv\nh5_parent_group_name: grp\n"
        f"model:\n  command: [{args.model!r}, '{{a}}', '{{b}}', '1', "
        f"'--index={{index}}', '--exit={FAIL}']\n",
    )
    a, b = np.meshgrid(np.linspace(3, 1, 5), np.geomspace(-1, -100, 3), indexing="ij")
    ref_csv = None
    for k, (label, ranks, opts) in enumerate(RUNS):
        d = os.path.join(tmp, f"run{k}")
        os.mkdir(d)
        cmd = ["run", spec, "-q"] + opts
        with step(label):
            if ranks:
                p, _ = mpirun(args, ranks, cmd, cwd=d)
            else:
                p, _ = run(args, cmd, cwd=d)
            check(p.returncode == 3, f"{label}: expected exit 3, got {describe(p)}")
        with step(f"{label}: layout, values, CSV"):
            h5 = os.path.join(d, "results.h5")
            with h5py.File(h5, "r") as f:
                check(set(f.keys()) == {"grp", "parsweep"}, f"root {list(f.keys())}")
                g = f["grp"]
                check(same_array(g["sweep_params/a/value"][()], a.ravel()), "a: linspace")
                got_b = g["sweep_params/b/value"][()]
                check(bool(np.all(np.abs(got_b - b.ravel()) <= np.spacing(np.abs(b.ravel())))),
                      f"b: negative geomspace {got_b}")
                check(g["sweep_params/a"].attrs["set_mode"] in ("set_ub", b"set_ub"), "set_mode")
                check(g["outputs/out1/units"][()].decode() == "m", "units")
                ok = g["solve_successful/solve_successful"][()]
                cols = [g[f"sweep_params/{n}/value"][()] for n in "ab"] + [
                    g[f"outputs/{n}/value"][()] for n in ("out1", "out2")]
            check(not ok[FAIL] and int(ok.sum()) == 14, f"ok {ok}")
            csv = os.path.join(d, "r.csv")
            data = np.genfromtxt(csv, skip_header=1, delimiter=",")
            for j, col in enumerate(cols):
                check(same_array(data[:, j], col), f"CSV column {j} differs from the h5")
            with open(csv, "rb") as fh:
                text = fh.read()
            if ref_csv is None:
                ref_csv = text
            check(text == ref_csv, f"{label}: the CSV differs from the fork run's")
            p, _ = run(args, ["status", h5], cwd=d)
            check(p.returncode in (0, 3) and "15" in p.stdout, f"status: {describe(p)}")
            left = sorted(set(os.listdir(d)) - {"results.h5", "r.csv"})
            check(not left, f"left behind: {left}")


if __name__ == "__main__":
    main(test)
