#!/usr/bin/python3
"""Acceptance 2: random designs through the CLI.

UniformSample, NormalSample, LatinHypercubeSample (two of them),
PredeterminedRandomSample and SobolSample (two dimensions) with a fixed
seed, evaluated by a plugin that echoes its parameters:
  - identical sweep_params on serial, threads -j 1/2/3 and fork -j 2/3;
  - every LatinHypercubeSample has exactly one sample per stratum;
  - the SobolSample columns equal GSL's gsl_qrng_sobol sequence (printed by
    psw_cli_sobol, a C program linked with GSL), scaled to the bounds;
  - PredeterminedRandomSample is the array, row i = array[i];
  - a different seed changes every pseudo-random column (not Sobol, which
    GSL does not scramble);
  - NormalSample mean and std within tolerance for 10^5 samples.
"""
import os
import subprocess

import numpy as np

from clitest import build_spec, check, describe, main, read_results, run, same_array, step, write

N = 1000
U = (-1.0, 3.0)
NORM = (5.0, 2.0)  # mean, std
L1 = (10.0, 20.0)
L2 = (0.0, 1.0)
S1 = (0.0, 1.0)
S2 = (100.0, 250.0)
NAMES = ["u", "n", "l1", "p", "s1", "l2", "s2"]

RUNS = [
    ["-b", "serial"],
    ["-b", "threads", "-j", "1"],
    ["-b", "threads", "-j", "2"],
    ["-b", "threads", "-j", "3"],
    ["-b", "fork", "-j", "2"],
    ["-b", "fork", "-j", "3"],
]


def random_spec(plugin, seed, n, parray):
    params = [
        ("u", f"{{type: UniformSample, lower_limit: {U[0]!r}, upper_limit: {U[1]!r}}}"),
        ("n", f"{{type: NormalSample, mean: {NORM[0]!r}, std: {NORM[1]!r}}}"),
        ("l1", f"{{type: LatinHypercubeSample, lower_limit: {L1[0]!r}, upper_limit: {L1[1]!r}}}"),
        (
            "p",
            "{type: PredeterminedRandomSample, array: ["
            + ", ".join(repr(float(x)) for x in parray)
            + "]}",
        ),
        ("s1", f"{{type: SobolSample, lower_limit: {S1[0]!r}, upper_limit: {S1[1]!r}}}"),
        ("l2", f"{{type: LatinHypercubeSample, lower_limit: {L2[0]!r}, upper_limit: {L2[1]!r}}}"),
        ("s2", f"{{type: SobolSample, lower_limit: {S2[0]!r}, upper_limit: {S2[1]!r}}}"),
    ]
    return build_spec(
        "random",
        params,
        [f"o_{k}" for k in NAMES],
        plugin=plugin,
        extra=f"seed: {seed}\nnum_samples: {n}",
    )


def sobol_reference(sobol, dim, n):
    out = subprocess.run([sobol, str(dim), str(n)], check=True, stdout=subprocess.PIPE).stdout
    pts = np.array([[float(x) for x in ln.split()] for ln in out.decode().splitlines()])
    check(pts.shape == (n, dim), f"psw_cli_sobol printed {pts.shape}")
    return pts


def scale(lo, up, x):
    """lower + (upper - lower) * x, as SPEC'd for [0, 1) draws."""
    return lo + (up - lo) * x


def check_lhs(v, lo, up, n, what):
    """Exactly one value in each of the n equal strata of [lo, up)."""
    check(
        v.shape == (n,) and np.all(v >= lo) and np.all(v < up),
        f"{what}: values outside [{lo}, {up})",
    )
    edges = lo + (up - lo) * (np.arange(n + 1) / n)
    s = np.sort(v)
    bad = np.nonzero((s < edges[:-1]) | (s > edges[1:]))[0]
    check(
        bad.size == 0, f"{what}: not one sample per stratum; first strata without one: {bad[:10]}"
    )
    # and not merely on the stratum grid: the jitter spreads within strata
    frac = (s - edges[:-1]) / (edges[1:] - edges[:-1])
    check(
        0.3 < frac.mean() < 0.7 and frac.std() > 0.15,
        f"{what}: in-stratum positions not uniform: mean {frac.mean()}, std {frac.std()}",
    )


def one_run(args, tmp, spec_path, opts, tag):
    out = os.path.join(tmp, f"r-{tag}.h5")
    p, wall = run(args, ["run", spec_path, "-o", out, "--quiet"] + opts, cwd=tmp)
    check(p.returncode == 0, f"{' '.join(opts)}: expected exit 0, got {describe(p)}")
    print(f"   {' '.join(opts)}: {wall:.2f} s")
    return read_results(out)


def test(args, tmp):
    rng = np.random.default_rng(2024)
    parray = rng.uniform(-50, 50, N).round(6)
    spec_path = write(os.path.join(tmp, "random.yaml"), random_spec(args.plugin, 12345, N, parray))
    ref = None
    with step(f"seed 12345, N={N}: identical on every backend and worker count"):
        for i, opts in enumerate(RUNS):
            r = one_run(args, tmp, spec_path, opts, str(i))
            P = r["params"]
            check(sorted(P) == sorted(NAMES), f"sweep_params {list(P)}")
            check(
                (r["status"] == 1).all() and r["ok"].astype(bool).all(),
                f"{opts}: not every sample ok",
            )
            for k in NAMES:
                check(
                    same_array(r["outputs"][f"o_{k}"], P[k]),
                    f"{opts}: output o_{k} is not parameter {k}",
                )
            if ref is None:
                ref = P
            else:
                for k in NAMES:
                    diff = np.nonzero(P[k] != ref[k])[0]
                    check(
                        diff.size == 0,
                        f"{' '.join(opts)}: {k} differs from {' '.join(RUNS[0])} at rows {diff[:10]}",
                    )
    P = ref
    with step("value ranges and LatinHypercubeSample strata"):
        check(np.all(P["u"] >= U[0]) and np.all(P["u"] < U[1]), "UniformSample outside its bounds")
        sig = (U[1] - U[0]) / np.sqrt(12 * N)
        check(
            abs(P["u"].mean() - (U[0] + U[1]) / 2) < 5 * sig, f"UniformSample mean {P['u'].mean()}"
        )
        check(np.unique(P["u"]).size == N, "UniformSample repeats values")
        check_lhs(P["l1"], L1[0], L1[1], N, "l1")
        check_lhs(P["l2"], L2[0], L2[1], N, "l2")
        check(
            not np.array_equal(np.argsort(P["l1"]), np.argsort(P["l2"])),
            "l1 and l2 have the same stratum order",
        )
        c = np.corrcoef(P["l1"], P["l2"])[0, 1]
        check(abs(c) < 0.15, f"l1 and l2 correlated: {c}")
        check(same_array(P["p"], parray), "PredeterminedRandomSample is not the array in order")
    with step("SobolSample equals gsl_qrng_sobol (2 dimensions, spec order)"):
        pts = sobol_reference(args.sobol, 2, N)
        for k, (lo, up), d in (("s1", S1, 0), ("s2", S2, 1)):
            want = scale(lo, up, pts[:, d])
            bad = np.nonzero(P[k] != want)[0]
            check(
                bad.size == 0,
                f"{k}: differs from GSL at rows {bad[:10]}: {P[k][bad[:3]]} vs {want[bad[:3]]}",
            )
    with step("another seed: other pseudo-random values, same Sobol points"):
        spec2 = write(os.path.join(tmp, "random2.yaml"), random_spec(args.plugin, 12346, N, parray))
        r2 = one_run(args, tmp, spec2, ["-b", "fork", "-j", "2"], "seed2")
        for k in ("u", "n", "l1", "l2"):
            same = np.count_nonzero(r2["params"][k] == P[k])
            check(same < N // 100, f"{k}: {same} of {N} values unchanged by a new seed")
        check_lhs(r2["params"]["l1"], L1[0], L1[1], N, "l1 (seed 12346)")
        for k in ("s1", "s2", "p"):
            check(same_array(r2["params"][k], P[k]), f"{k}: changed with the seed")
    with step("NormalSample: mean and std of 10^5 samples"):
        n = 100000
        spec3 = build_spec(
            "normal",
            [("x", f"{{type: NormalSample, mean: {NORM[0]!r}, std: {NORM[1]!r}}}")],
            ["y"],
            plugin=args.plugin,
            extra=f"seed: 99\nnum_samples: {n}",
        )
        spec3 = write(os.path.join(tmp, "normal.yaml"), spec3)
        rs = one_run(args, tmp, spec3, ["-b", "fork", "-j", "2"], "normal-fork")
        rt = one_run(args, tmp, spec3, ["-b", "threads", "-j", "2"], "normal-threads")
        x = rs["params"]["x"]
        check(
            same_array(x, rt["params"]["x"]), "10^5 normal samples differ between fork and threads"
        )
        check(same_array(rs["outputs"]["y"], x), "output y is not x")
        m, s = x.mean(), x.std(ddof=1)
        # 5 standard errors: std error of the mean is std/sqrt(n), of the
        # sample std about std/sqrt(2n)
        check(
            abs(m - NORM[0]) < 5 * NORM[1] / np.sqrt(n),
            f"NormalSample mean {m}, expected {NORM[0]}",
        )
        check(
            abs(s - NORM[1]) < 5 * NORM[1] / np.sqrt(2 * n),
            f"NormalSample std {s}, expected {NORM[1]}",
        )
        z = (x - NORM[0]) / NORM[1]
        within1 = np.mean(np.abs(z) < 1)
        check(abs(within1 - 0.6826894921) < 0.01, f"fraction within 1 std {within1}")
        check(np.unique(x).size == n, "NormalSample repeats values")
        print(f"   mean {m:.5f}, std {s:.5f}")


if __name__ == "__main__":
    main(test)
