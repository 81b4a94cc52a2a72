#!/usr/bin/python3
"""The sweep and the CLI are clients of libparsweep (issue 17, acceptance 1).

Every C file under src/sweep and src/cli includes only the library's public
headers (parsweep.h, parsweep/*.h), headers of its own directory, the
sweep's headers (the CLI runs the sweep) and slurm/'s helper modules: none
of the library's internals (internal.h, backend.h, registry.h, core/, shm/,
mpi/, hybrid/, elastic/, backends/, pmix/). None decides by a backend's name
or descriptor: no string comparison with a backend's name or with
psw_backend_name()/psw_backend_desc_name(), no `== psw_backend_xxx()`; the
capabilities (psw_backend_caps, psw_manager_caps) say what a backend can do.
Their CMakeLists put neither src/ nor pmix/ on the include path.

usage: public_api.py REPO
Prints each violation as FILE:LINE: what; exits 1 if there is any.
"""
import os
import re
import sys

CLIENTS = ("src/sweep", "src/cli")
# Backend names of SPEC §1 (the registry's; aliases are not compared).
NAMES = ("serial", "threads", "fork", "mpi", "hybrid", "elastic")
DESCS = r"psw_backend_(?:%s)\s*\(\s*\)" % "|".join(NAMES)
COMPARE = re.compile(
    # a string compare with a backend's name as a literal
    r'\bstr(?:n?case)?n?cmp\s*\([^;]*"(?:%s)"' % "|".join(NAMES)
    # or with whatever the library says the backend's name is
    + r"|\bstr(?:n?case)?n?cmp\s*\([^;]*psw_backend_(?:desc_)?name\s*\("
    # a descriptor compared with one of the library's
    + r"|[=!]=\s*%s|%s\s*[=!]=" % (DESCS, DESCS))
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def strip_comments(text):
    """Comments blanked, newlines kept (so that line numbers stay)."""
    return re.sub(r"/\*.*?\*/|//[^\n]*",
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text,
                  flags=re.S)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def allowed_include(repo, here, name):
    """Why `name` may be included from directory `here`, or None."""
    if name == "parsweep.h" or name.startswith("parsweep/"):
        return "public"
    if "/" in name or name.startswith("."):
        return None  # a path into another module: src/ is not on the path
    for d in (here, "src/sweep", "slurm"):
        if os.path.isfile(os.path.join(repo, d, name)):
            return d
    return None


def check_sources(repo):
    bad = []
    for top in CLIENTS:
        for d, _, files in os.walk(os.path.join(repo, top)):
            here = os.path.relpath(d, repo)
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                rel = os.path.join(here, f)
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    text = strip_comments(fh.read())
                for m in INCLUDE.finditer(text):
                    if not allowed_include(repo, here, m.group(1)):
                        bad.append(f"{rel}:{line_of(text, m.start())}: "
                                   f'includes "{m.group(1)}", not a public '
                                   "header of libparsweep")
                for m in COMPARE.finditer(text):
                    what = " ".join(m.group(0).split())
                    bad.append(f"{rel}:{line_of(text, m.start())}: decides "
                               f"by a backend's name or descriptor: {what}")
    return bad


def check_cmake(repo):
    bad = []
    for top in CLIENTS:
        path = os.path.join(repo, top, "CMakeLists.txt")
        with open(path, encoding="utf-8") as fh:
            text = re.sub(r"#[^\n]*", "", fh.read())
        for m in re.finditer(r"target_include_directories\s*\(([^)]*)\)",
                             text):
            for d in re.findall(r"\$\{PROJECT_SOURCE_DIR\}/(\w+)", m.group(1)):
                if d in ("src", "pmix"):
                    bad.append(f"{top}/CMakeLists.txt:"
                               f"{line_of(text, m.start())}: puts {d}/ on "
                               "the include path")
    return bad


def main():
    repo = sys.argv[1]
    bad = check_sources(repo) + check_cmake(repo)
    for b in bad:
        print(b)
    print(f"{len(bad)} violation(s) in {', '.join(CLIENTS)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
