#!/usr/bin/python3
"""No include cycles between the C files of src/, pmix/ and slurm/ (issue 17,
acceptance 3).

A file A.c depends on B.c when A.c includes (directly or through other
headers) a header that declares a function B.c defines, and A.c uses that
function. A cycle is a set of files each reaching the others that way: the
modules cannot be understood, tested or replaced one at a time. Function
pointers in vtables are not dependencies (a backend is reached through its
descriptor, not by name). Headers are resolved as the build's include path
does (the file's own directory, src/, pmix/, slurm/, include/).

usage: include_cycles.py REPO
"""
import os
import re
import sys

ROOTS = ("src", "pmix", "slurm")
# Cycles left, each with why. Empty: every cycle is an error.
ALLOWED = {}
# Layers: files under the first directory may not depend on the second
# (the manager is above the node-local algorithms it does not use itself;
# the backends that use them call them).
FORBIDDEN = [("src/core/", "src/shm/")]

DECL = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{)]*(?:\([^)]*\)[^;{)]*)*\)"
                  r"\s*(?:__attribute__\s*\(\(.*?\)\)\s*)?;", re.M | re.S)
DEFN = re.compile(r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{]*\)\s*\{",
                  re.M)
INCL = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip(text):
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def main():
    repo = sys.argv[1]
    files = {}
    for top in ROOTS + ("include",):
        for d, _, names in os.walk(os.path.join(repo, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    p = os.path.relpath(os.path.join(d, n), repo)
                    with open(os.path.join(repo, p), encoding="utf-8") as f:
                        raw = f.read()
                    files[p] = (raw, strip(raw))
    search = ["src", "pmix", "slurm", "include", "include/parsweep"]

    def resolve(frm, inc):
        for d in [os.path.dirname(frm)] + search:
            p = os.path.normpath(os.path.join(d, inc))
            if p in files:
                return p
        return None  # system or generated headers

    def closure(p, seen):
        for inc in INCL.findall(files[p][0]):
            h = resolve(p, inc)
            if h and h not in seen:
                seen.add(h)
                closure(h, seen)
        return seen

    definer = {}
    for p, (_, code) in files.items():
        if p.endswith(".c") and p.split("/")[0] in ROOTS:
            for fn in DEFN.findall(code):
                definer.setdefault(fn, set()).add(p)
    declared = {p: set(DECL.findall(code)) for p, (_, code) in files.items()
                if p.endswith(".h")}
    graph = {}
    for p, (_, code) in files.items():
        if not p.endswith(".c") or p.split("/")[0] not in ROOTS:
            continue
        used = set(re.findall(r"\b\w+\b", code))
        deps = set()
        for h in closure(p, set()):
            for fn in declared.get(h, ()) & used:
                # A function this file defines too has alternatives chosen
                # by the build (topo_pmix.c or topo_pmix_none.c), not a
                # dependency between them.
                if p not in definer.get(fn, set()):
                    deps |= definer.get(fn, set())
        deps.discard(p)
        graph[p] = deps
    # Strongly connected components (Tarjan, iterative enough for ~200).
    sys.setrecursionlimit(10000)
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    bad = 0
    for comp in sccs:
        key = frozenset(comp)
        if key in ALLOWED:
            print("allowed:", " ".join(comp), "--", ALLOWED[key])
            continue
        bad += 1
        print("CYCLE:", " ".join(comp))
        for a in comp:
            for b in sorted(graph[a] & set(comp)):
                fns = sorted(fn for fn in definer if b in definer[fn]
                             and re.search(r"\b%s\b" % fn, files[a][1]))
                print(f"    {a} -> {b}: {', '.join(fns[:4])}")
    for upper, lower in FORBIDDEN:
        for a in sorted(graph):
            for b in sorted(graph[a]):
                if a.startswith(upper) and b.startswith(lower):
                    bad += 1
                    print(f"LAYER: {a} depends on {b}")
    print(f"{len(graph)} files, {bad} cycles or layer violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
