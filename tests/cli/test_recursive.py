#!/usr/bin/python3
"""Recursive sweeps (issue 16, SPEC 3.2) on the fork backend: acceptance 1
(num_successes 50, num_samples 40, a model failing for x < 0.3: exit 0, the
WaterTAP groups hold the first 50 ok samples with the design's values,
/parsweep/evaluated every evaluated sample once), max_samples too small
(exit 3, all kept), --resume of a finished sweep (nothing evaluated), and
the spec errors. mpi.recursive and elastic.recursive run acceptance 1 on
their backends; faults.recursive_resume is acceptance 2."""
import collections
import os

import h5py
import numpy as np

from clitest import check, describe, main, run, step, write
import recursive_lib as rl


def test(args, tmp):
    out = os.path.join(tmp, "r.h5")
    with step("num_successes 50, num_samples 40 on fork: exit 0, the first 50 ok kept"):
        spec, log = rl.spec(tmp)
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2"], tmp)
        check(p.returncode == 0, "expected exit 0: " + describe(p))
        e = rl.check_file(out, 40, 50, 400, "fork")
        n = collections.Counter(rl.evals(log))
        check(sorted(n) == list(range(e)) and max(n.values()) == 1,
              f"evaluations: expected each of 0..{e - 1} once, got {sorted(n.items())[:5]}...")
        check("50 of 50 ok after" in p.stderr, "no summary line 'M of N ok': " + p.stderr)
        check("in 2 round(s)" in p.stderr, "the summary does not say the rounds: " + p.stderr)
        print(f"   {e} samples evaluated")

    with step("--resume of the finished sweep: nothing evaluated, exit 0, file unchanged"):
        before = open(out, "rb").read()
        k = len(rl.evals(log))
        p, _ = run(args, ["run", spec, "-o", out, "--resume"], tmp)
        check(p.returncode == 0, "expected exit 0: " + describe(p))
        check(len(rl.evals(log)) == k, "samples evaluated again")
        check(open(out, "rb").read() == before, "the file changed")

    with step("--resume of it with another num_successes: refused, the file unchanged"):
        other = write(os.path.join(tmp, "other.yaml"), open(spec).read().replace("num_successes: 50", "num_successes: 49"))
        p, _ = run(args, ["run", other, "-o", out, "--resume"], tmp)
        check(p.returncode == 1 and "cannot resume" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
              "expected exit 1, one line 'cannot resume': " + describe(p))
        check(open(out, "rb").read() == before, "the file changed")

    with step("max_samples 60 (too small for 50 ok): exit 3, every evaluated sample kept"):
        os.remove(log)
        spec, log = rl.spec(tmp, max_samples=60)
        out = os.path.join(tmp, "r60.h5")
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2"], tmp)
        check(p.returncode == 3, "expected exit 3: " + describe(p))
        e = rl.check_file(out, 40, 50, 60, "max_samples 60")
        check(e == 60, f"{e} evaluated, expected all 60")
        check(sorted(rl.evals(log)) == list(range(60)), "not each of the 60 samples evaluated once")

    with step("h5_parent_group_name and csv_results_file_name: the kept rows there"):
        spec, log = rl.spec(tmp, extra="h5_parent_group_name: grp\ncsv_results_file_name: r.csv\n")
        out = os.path.join(tmp, "rp.h5")
        p, _ = run(args, ["run", spec, "-o", out, "-b", "fork", "-j", "2"], tmp)
        check(p.returncode == 0, "expected exit 0: " + describe(p))
        rl.check_file(out, 40, 50, 400, "h5_parent", parent="grp")
        csv = np.genfromtxt(os.path.join(tmp, "r.csv"), delimiter=",", names=True)
        x = rl.expected_rounds(40, 50, 400)[2]
        check(csv.shape == (50,) and np.array_equal(csv["x"], x[x >= rl.CUT][:50]),
              f"the CSV does not hold the 50 kept rows: {csv.shape}")

    with step("examples/ro_recursive.yaml from the repository root: 30 good solves"):
        ex = os.path.join(tmp, "ex.h5")
        p, _ = run(args, ["run", "examples/ro_recursive.yaml", "-o", ex, "-j", "2"], args.repo)
        check(p.returncode == 0, "expected exit 0: " + describe(p))
        rec = rl.design_ref.uniform(3, "recovery", 0.3, 0.7, 200)
        pres = rl.design_ref.uniform(3, "pressure", 25.0, 60.0, 200)
        good = 20.0 / (1 - rec) <= pres  # examples/ro_converge.py's condition
        e, rounds = rl.rounds_for(good, 20, 30, 200)
        sel = np.flatnonzero(good[:e])[:30]
        with h5py.File(ex, "r") as f:
            check(np.array_equal(f["parsweep/sample_index"][()], sel), "example: not the first 30 ok samples")
            check(np.array_equal(f["sweep_params/recovery/value"][()], rec[sel])
                  and np.array_equal(f["sweep_params/pressure/value"][()], pres[sel]), "example: values")
            energy = pres[sel] * 1e5 / (0.8 * rec[sel]) / 3.6e6
            check(np.allclose(f["outputs/energy/value"][()], energy, rtol=1e-15, atol=0), "example: energy")
            check(f["parsweep/evaluated/status"].shape == (e,) and int(f.attrs["recursive_rounds"]) == rounds,
                  f"example: {f['parsweep/evaluated/status'].shape} evaluated in {f.attrs['recursive_rounds']} rounds, "
                  f"expected {e} in {rounds}")
        print(f"   {e} samples in {rounds} rounds")

    with step("under 10% ok: WaterTAP's warning to consider the limits"):
        spec, log = rl.spec(tmp, num_samples=20, num_successes=5, max_samples=40, cut=0.97)
        p, _ = run(args, ["run", spec, "-o", os.path.join(tmp, "low.h5"), "-j", "2"], tmp)
        check(p.returncode in (0, 3) and "under 10%" in p.stderr and "limits" in p.stderr,
              "no warning of a low success rate: " + describe(p))

    with step("spec errors: one line naming file, line and key; exit 1 like every spec error"):
        base = open(rl.spec(tmp, max_samples=60)[0]).read()
        cases = [
            (base.replace("UniformSample", "LatinHypercubeSample"), "num_successes", "LatinHypercubeSample"),
            (base.replace("num_successes: 50\n", ""), "max_samples", "only with num_successes"),
            (base.replace("num_successes: 50", "num_successes: 0"), "num_successes", "at least 1"),
            (base.replace("max_samples: 60", "max_samples: 30"), "max_samples", "fewer than num_samples"),
            (base.replace("{type: UniformSample, lower_limit: 0, upper_limit: 1}",
                          "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 4}")
                 .replace("num_samples: 40\n", ""), "num_successes", "random designs"),
        ]
        for text, key, why in cases:
            bad = write(os.path.join(tmp, "bad.yaml"), text)
            p, _ = run(args, ["run", bad, "-o", os.path.join(tmp, "bad.h5")], tmp)
            line = p.stderr.strip()
            check(p.returncode == 1 and len(line.splitlines()) == 1 and "bad.yaml:" in line
                  and key in line and why in line, f"{key} ({why}): " + describe(p))


if __name__ == "__main__":
    main(test)
