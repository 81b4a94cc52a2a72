#!/usr/bin/python3
"""Issue 16: a differential sweep killed (SIGKILL of parsweep, its fork
workers and the models) midway, then --resume, gives the file of an
uninterrupted run: the same values and nominal_idx / differential_idx,
every sample (nominal and differential) once and ok, and no sample the
journals held at the kill evaluated again.
"""
import os

import h5py
import numpy as np

from clitest import build_spec, check, describe, main, run, same_array, step, write
from faultlib import evals, journal_indices, kill_session, leftovers, recorded, start, wait_for

N, D = 20, 9  # 20 nominal samples, 9 differential each: 200 samples


def spec(tmp, log):
    body = f'sleep 0.02; echo "$1" >> {log}; echo "y=$2"; echo "z=$3"'
    extra = (f"seed: 3\nnum_diff_samples: {D}\ndifferential:\n"
             "  a: {diff_mode: sum, diff_sample_type: UniformSample, relative_lb: 0.1, relative_ub: 0.1}\n"
             "  b: {diff_sample_type: NormalSample, std_dev: 0.5}\n")
    return write(os.path.join(tmp, "s.yaml"), build_spec(
        "diffkill",
        [("a", f"{{type: LinearSample, lower_limit: 1, upper_limit: 2, num_samples: {N // 2}}}"),
         ("b", "{type: PredeterminedFixedSample, array: [5, 6]}")],
        ["y", "z"], command=["/bin/sh", "-c", body, "sh", "{index}", "{a}", "{b}"], extra=extra))


def contents(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ("sweep_params/a/value", "sweep_params/b/value", "outputs/y/value",
                                       "outputs/z/value", "nominal_idx/nominal_idx",
                                       "differential_idx/differential_idx", "parsweep/status")}


def test(args, tmp):
    log = os.path.join(tmp, "evals")
    s = spec(tmp, log)
    ref, out = os.path.join(tmp, "ref.h5"), os.path.join(tmp, "r.h5")
    total = N * (1 + D)
    with step("uninterrupted reference run"):
        p, _ = run(args, ["run", s, "-o", ref, "-b", "fork", "-j", "4", "-q"], tmp)
        check(p.returncode == 0, describe(p))
        want = contents(ref)
        check(want["parsweep/status"].shape == (total,) and np.all(want["parsweep/status"] == 1),
              "reference: not every sample ok")
        os.remove(log)
    with step("SIGKILL midway (inside the differential samples), then --resume"):
        p = start(args, tmp, ["run", s, "-o", out, "-b", "fork", "-j", "4", "-q"])
        wait_for(lambda: len(evals(log)) >= 80, "80 evaluations", proc=p)
        kill_session(p)
        held = set(journal_indices(out, nparams=2, noutputs=2)) | recorded(out)
        check(len(held) >= 20, f"only {len(held)} samples journaled after 80 evaluations")
        n1 = len(evals(log))
        p, _ = run(args, ["run", s, "-o", out, "-b", "fork", "-j", "4", "-q", "--resume"], tmp)
        check(p.returncode == 0, "resume: " + describe(p))
        again = set(evals(log)[n1:]) & held
        check(not again, f"journaled samples evaluated again: {sorted(again)[:10]}")
        check(set(evals(log)) == set(range(total)), "some sample was never evaluated")
        got = contents(out)
        for k, v in want.items():
            check(same_array(got[k], v), f"{k} differs from the uninterrupted run")
        check(leftovers(tmp, "r.h5") == [], f"left beside r.h5: {leftovers(tmp, 'r.h5')}")
        print(f"   {len(evals(log))} evaluations for {total} samples ({len(held)} held at the kill)")


if __name__ == "__main__":
    main(test, prefix="psw-faults-")
