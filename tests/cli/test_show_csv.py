#!/usr/bin/python3
"""`parsweep show FILE --csv` equals what h5py reads from FILE, and the
summary's counts and min/mean/max agree with numpy.

The sweep has parameter names that need CSV quoting (WaterTAP-style
"feed[0,NaCl]", a name with a double quote) and failing samples (NaN
outputs, non-zero status and exit codes). `show` of a file that is not a
results.h5 exits 1.
"""
import csv
import io
import os

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, step, write

NAMES = ["feed[0,NaCl]", 'b "q"', "c"]


def test(args, tmp):
    spec = write(
        os.path.join(tmp, "s.yaml"),
        build_spec(
            "show",
            [
                (
                    f"'{NAMES[0]}'",
                    "{type: LinearSample, lower_limit: 0.1, upper_limit: 0.7, num_samples: 7}",
                ),
                (
                    f"'{NAMES[1]}'",
                    "{type: GeomSample, lower_limit: 1e-3, upper_limit: 1e3, num_samples: 4}",
                ),
                ("c", "{type: PredeterminedFixedSample, array: [3, -0.5, 1e-300]}"),
            ],
            ["out2", "out1"],
            command=[args.model]
            + ["{" + n + "}" for n in NAMES]
            + ["--index={index}", "--exit=5,40", "--segv=17", "--omit=83"],
        ),
    )
    out = os.path.join(tmp, "r.h5")
    p, _ = run(args, ["run", spec, "-o", out, "-q", "-b", "threads", "-j", "2"], cwd=tmp)
    check(p.returncode == 3, f"run: expected exit 3, got {describe(p)}")
    r = read_results(out)
    n = r["status"].size
    with step("show --csv"):
        p, _ = run(args, ["show", out, "--csv"], cwd=tmp)
        check(p.returncode == 0 and p.stderr == "", f"show --csv: {describe(p)}")
        rows = list(csv.reader(io.StringIO(p.stdout)))
        header = rows[0]
        want = (
            ["index"]
            + list(r["params"])
            + list(r["outputs"])
            + ["status", "exit_code", "elapsed", "worker", "node"]
        )
        check(header == want, f"CSV header {header}, expected {want}")
        check(
            sorted(r["params"]) == sorted(NAMES),
            f"parameter names in the file: {list(r['params'])}",
        )
        check(
            list(r["outputs"]) == ["out2", "out1"] or sorted(r["outputs"]) == ["out1", "out2"],
            f"outputs {list(r['outputs'])}",
        )
        body = rows[1:]
        check(len(body) == n, f"{len(body)} CSV rows, {n} samples in the file")
        cols = list(zip(*body))
        col = {name: cols[k] for k, name in enumerate(header)}
        check([int(x) for x in col["index"]] == list(range(n)), "index column is not 0..N-1")
        for group in ("params", "outputs"):
            for name, v in r[group].items():
                got = np.array([float(x) for x in col[name]])
                check(
                    np.array_equal(got, v, equal_nan=True),
                    f"CSV column {name!r} differs from h5py: {got[:5]} vs {v[:5]}",
                )
                check(
                    all(x == "nan" for x, y in zip(col[name], v) if np.isnan(y)),
                    f"{name}: NaN not written as nan",
                )
        for name in ("status", "exit_code", "worker", "node"):
            got = np.array([int(x) for x in col[name]])
            check(np.array_equal(got, r[name]), f"CSV column {name} differs from /parsweep/{name}")
        el = np.array([float(x) for x in col["elapsed"]])
        check(
            np.allclose(el, r["elapsed"], rtol=1e-8, atol=0),
            "CSV elapsed differs from /parsweep/elapsed",
        )
        check(
            sorted(np.nonzero(r["status"] != 1)[0]) == [5, 17, 40, 83],
            f"failed rows {np.nonzero(r['status'] != 1)[0]}",
        )
        print(f"   {n} rows x {len(header)} columns equal h5py's")
    with step("show (summary)"):
        p, _ = run(args, ["show", out], cwd=tmp)
        check(p.returncode == 0, f"show: {describe(p)}")
        text = p.stdout
        ok = r["status"] == 1
        counts = {
            "ok": int(ok.sum()),
            "failed": int((r["status"] == 2).sum()),
            "crashed": int((r["status"] == 4).sum()),
            "timeout": 0,
        }
        lines = {ln.split()[0]: ln.split() for ln in text.splitlines() if ln.strip()}
        for k, v in counts.items():
            check(
                k in lines and lines[k][-1] == str(v),
                f"summary line for {k!r}: {lines.get(k)}; expected {v}\n{text}",
            )
        check(f"samples    {n}" in text, f"summary lacks the sample count {n}:\n{text}")
        check("backend    threads" in text, f"summary lacks the backend:\n{text}")
        stats = {}
        for ln in text.splitlines():
            parts = ln.rsplit(None, 3)
            if len(parts) == 4 and parts[0].strip() in list(r["params"]) + list(r["outputs"]):
                stats[parts[0].strip()] = [float(x) for x in parts[1:]]
        for name, v in list(r["params"].items()) + list(r["outputs"].items()):
            check(name in stats, f"summary has no min/mean/max line for {name!r}:\n{text}")
            want = [v[ok].min(), v[ok].mean(), v[ok].max()]
            check(
                np.allclose(stats[name], want, rtol=1e-6, atol=0),
                f"{name}: summary {stats[name]}, numpy {want}",
            )
    with step("show of a file that is not a results.h5"):
        junk = write(os.path.join(tmp, "junk.h5"), "not hdf5\n")
        p, _ = run(args, ["show", junk], cwd=tmp)
        check(
            p.returncode == 1 and len(p.stderr.splitlines()) == 1 and "junk.h5" in p.stderr,
            f"show junk.h5: {describe(p)}",
        )
        p, _ = run(args, ["show", os.path.join(tmp, "missing.h5"), "--csv"], cwd=tmp)
        check(
            p.returncode == 1 and "missing.h5" in p.stderr and p.stdout == "",
            f"show missing.h5: {describe(p)}",
        )


if __name__ == "__main__":
    main(test)
