"""Helpers shared by the parsweep CLI tests (tests/cli/test_*.py).

Every test script is run by ctest as

    python3 test_X.py --parsweep PATH [--repo DIR] [--model PATH]
                      [--plugin PATH] [--ro-plugin PATH] [--sobol PATH]

works in its own temporary directory (removed at the end unless
PSW_KEEP_TMP is set), prints what it checks and exits 0 on success, 1 on
the first failed check (with the reason).
"""
import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time

import h5py
import numpy as np

# tests/pslib: the process helpers every harness shares.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pslib import proc  # noqa: E402

FAILURES = []


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--parsweep", required=True, help="the parsweep CLI")
    ap.add_argument("--repo", default=None, help="the source tree root")
    ap.add_argument("--model", default=None, help="psw_cli_model")
    ap.add_argument("--plugin", default=None, help="libpsw_cli_plugin.so")
    ap.add_argument("--ro-plugin", default=None, help="examples' libro_plugin.so")
    ap.add_argument("--sobol", default=None, help="psw_cli_sobol (GSL reference)")
    return ap.parse_args(argv)


class CheckFailed(Exception):
    pass


def check(cond, what):
    """Fail the test with `what` unless cond holds."""
    if not cond:
        raise CheckFailed(what)


def main(test, parse=None, prefix="psw-cli-"):
    """Run test(args, tmpdir) in a fresh temporary directory (kept when
    PSW_KEEP_TMP is set); exit 0 on success, 1 on the first failed check.
    parse: the argument parser (default: this module's parse_args)."""
    args = (parse or parse_args)()
    keep = os.environ.get("PSW_KEEP_TMP")
    tmp = tempfile.mkdtemp(prefix=prefix)
    t0 = time.monotonic()
    rc = 0
    try:
        test(args, tmp)
    except CheckFailed as e:
        print(f"FAIL: {e}", flush=True)
        rc = 1
    except Exception:
        import traceback

        traceback.print_exc()
        rc = 1
    finally:
        if keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'ok' if rc == 0 else 'FAILED'} in {time.monotonic() - t0:.1f} s", flush=True)
    sys.exit(rc)


def yaml_str(s):
    """A YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yaml_list(items):
    return "[" + ", ".join(yaml_str(str(x)) for x in items) + "]"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def run(args, cmdargs, cwd, timeout=120, env=None):
    """Run `parsweep CMDARGS`; returns (CompletedProcess, wall seconds)."""
    return proc.run([args.parsweep] + list(cmdargs), cwd, timeout, env)


def describe(p):
    return f"exit {p.returncode}\n--- stdout:\n{p.stdout[-3000:]}\n--- stderr:\n{p.stderr[-3000:]}"


def attr_str(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        return attr_str(v[()])
    return str(v)


def read_results(path):
    """Everything of a results.h5, as numpy arrays (names in file order)."""
    r = {"params": {}, "outputs": {}, "attrs": {}}
    with h5py.File(path, "r") as f:
        for k in f["sweep_params"]:
            r["params"][k] = f["sweep_params"][k]["value"][()]
        for k in f["outputs"]:
            r["outputs"][k] = f["outputs"][k]["value"][()]
        r["ok"] = f["solve_successful"]["solve_successful"][()]
        for k in ("status", "exit_code", "elapsed", "worker", "node"):
            r[k] = f["parsweep"][k][()]
        for k, v in f.attrs.items():
            r["attrs"][k] = v
    return r


def same_array(a, b):
    """Bitwise equal float arrays (NaN equals NaN)."""
    a = np.asarray(a)
    b = np.asarray(b)
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    )


def close_rel(got, want, rtol):
    """max relative difference, and whether it is within rtol."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return np.inf, False
    denom = np.maximum(np.abs(want), np.finfo(float).tiny)
    d = np.max(np.abs(got - want) / denom) if got.size else 0.0
    return d, bool(d <= rtol)


@contextlib.contextmanager
def step(what):
    print(f"-- {what}", flush=True)
    yield


def build_spec(name, params, outputs, command=None, plugin=None, extra="", model_extra=""):
    """YAML text of a spec. params: list of (name, inline mapping text)."""
    lines = [f"name: {name}", extra.rstrip("\n")] if extra else [f"name: {name}"]
    lines.append("parameters:")
    for pname, body in params:
        lines.append(f"  {pname}: {body}")
    lines.append(f"outputs: {yaml_list(outputs)}")
    lines.append("model:")
    if command is not None:
        lines.append(f"  command: {yaml_list(command)}")
    if plugin is not None:
        lines.append(f"  plugin: {yaml_str(plugin)}")
    if model_extra:
        for ln in model_extra.strip("\n").split("\n"):
            lines.append("  " + ln)
    return "\n".join(lines) + "\n"
