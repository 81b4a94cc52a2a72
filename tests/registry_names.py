#!/usr/bin/python3
"""Backend names are written once (issue 17, acceptance 2).

`parsweep info --json` lists the same names as the registry table (printed
by `test_registry --names`), the unknown-name warning of the plan too, and
every native name and alias appears as a string literal exactly once in the
C sources of src/, pmix/, slurm/ and include/ (src/registry.h or
src/core/registry.c; "auto", which is public, include/parsweep/manager.h).

usage: registry_names.py PARSWEEP TEST_REGISTRY REPO
"""
import json
import os
import re
import subprocess
import sys


# Literals that are not this registry's, each with why. (The sweep and the
# core ask a backend's capabilities, never its name: build.public_api.)
ELSEWHERE = {
    ("src/cli/cmd_submit.c", "hybrid"): "the default job-script template, "
                                        "jobscripts/hybrid.sbatch",
}


def strip_comments(text):
    """C source without its comments (names in prose are not code)."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        sys.exit(f"{argv}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def main():
    parsweep, test_registry, repo = sys.argv[1:4]
    table = run([test_registry, "--names"]).split()
    failures = []
    info = json.loads(run([parsweep, "info", "--json"]))
    if info["backends"].split() != table:
        failures.append(f"info lists {info['backends']!r}, registry {table}")
    text = run([parsweep, "info"])
    line = [ln for ln in text.splitlines() if ln.split()[:1] == ["backends"]]
    if not line or line[0].split()[1:] != table:
        failures.append(f"info's text lists {line}, registry {table}")
    unknown = json.loads(run([parsweep, "info", "--json", "-b", "nope"]))
    tail = unknown["reason"].split("valid choices: ", 1)
    if len(tail) != 2 or tail[1].split() != table or unknown["backend"] != "serial":
        failures.append(f"unknown-name plan: {unknown['reason']!r}")
    # Every name, alias included, once as a literal in the C sources (the
    # registry may not list an unbuilt backend's aliases: read them from
    # registry.c's table too).
    src = {}
    for top in ("src", "pmix", "slurm", "include"):
        for d, _, files in os.walk(os.path.join(repo, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    path = os.path.join(d, f)
                    with open(path, encoding="utf-8") as fh:
                        src[os.path.relpath(path, repo)] = strip_comments(
                            fh.read())
    reg = (src["src/core/registry.c"] + src["src/registry.h"] +
           src["include/parsweep/manager.h"])
    names = set(re.findall(r'"([A-Za-z.]+)"', reg.split("psw__registry[] =")[1]
                           .split("};")[0]))
    names |= set(re.findall(r'#define PSW_BACKEND_\w+ "(\w+)"', reg))
    missing = [n for n in table if n not in names]
    if missing:
        failures.append(f"names listed but not in the table: {missing}")
    for name in sorted(names):
        where = [(p, len(re.findall('"%s"' % re.escape(name), text)))
                 for p, text in src.items()]
        where = [w for w in where if w[1] and (w[0], name) not in ELSEWHERE]
        if sum(c for _, c in where) != 1:
            failures.append(f'"{name}" appears {where}, not once')
    for f in failures:
        print("FAIL:", f)
    print(f"{len(names)} names checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
