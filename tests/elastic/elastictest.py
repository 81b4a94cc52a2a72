"""Helpers shared by the elastic tests (tests/elastic/test_*.py)."""
import os
import shutil

from clitest import build_spec, run, write


def plugin_head_dir(tmp, plugin, na=20):
    """tmp/headdir with a copy of the plugin (./libm.so) and p.yaml, a sweep
    of it (a: na points, b and c: 2); returns (headdir, spec path)."""
    hd = os.path.join(tmp, "headdir")
    os.mkdir(hd)
    shutil.copy(plugin, os.path.join(hd, "libm.so"))
    spec = write(os.path.join(hd, "p.yaml"), build_spec(
        "p", [("a", f"{{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: {na}}}"),
              ("b", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 2}"),
              ("c", "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 2}")],
        ["out1", "out2"], plugin="./libm.so"))
    return hd, spec


def other_plugin_worker(args, tmp, hd, endpoint):
    """Run `parsweep worker -j 1` whose plugin differs from the head's: the
    same relative path, other bytes, in a directory only the worker runs in
    (the head's directory hd is renamed while it starts, so it cannot
    change to it). Returns the finished process (clitest.run)."""
    wd = os.path.join(tmp, "workerdir")
    os.makedirs(wd, exist_ok=True)
    with open(os.path.join(wd, "libm.so"), "wb") as f:
        f.write(open(args.plugin, "rb").read() + b"\0other build")
    moved = hd + ".moved"
    os.rename(hd, moved)
    try:
        p, _ = run(args, ["worker", "--connect", os.path.join(moved, endpoint), "-j", "1"], wd)
    finally:
        os.rename(moved, hd)
    return p
