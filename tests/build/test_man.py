#!/usr/bin/env python3
"""The man pages and the bash completion say what --help says (issue 14).

    test_man.py man PARSWEEP MAN1_DIR
        every verb's page (parsweep-VERB.1, rendered by man -l) lists
        exactly the options of `parsweep VERB --help`, and parsweep.1 lists
        exactly the verbs of `parsweep --help`
    test_man.py completion PARSWEEP COMPLETION_FILE
        bash `complete -p parsweep` shows the function; completing
        `parsweep <TAB>` offers every verb, `parsweep VERB -<TAB>` exactly
        the options of its --help, `parsweep run -b <TAB>` the backends
"""
import os
import re
import shutil
import subprocess
import sys

VERBS = ["run", "show", "info", "status", "submit", "worker"]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def out(*cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
    if r.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
    return r.stdout


OPT = re.compile(r"^(--?[A-Za-z][\w-]*)")


def options_of(lines):
    """The option names at the start of option-list lines."""
    found = set()
    for line in lines:
        head = re.split(r"\s{2,}", line.strip())[0]
        for word in head.split(", "):
            m = OPT.match(word)
            if m:
                found.add(m.group(1))
    return found


def help_options(parsweep, verb):
    text = out(parsweep, verb, "--help")
    # Option lines: indented, starting with a dash.
    return options_of(l for l in text.splitlines() if re.match(r"^ {2,}-", l))


def help_verbs(parsweep):
    text = out(parsweep, "--help")
    return {m.group(1) for m in re.finditer(r"^  (\w+) ", text, re.M)}


def man_sections(path):
    env = dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="0")
    text = out("man", "-l", "-P", "cat", path, env=env)
    text = re.sub(r".\x08", "", text)  # overstrike, if any
    sections, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            name = line.strip()
            sections[name] = []
        elif name:
            sections[name].append(line)
    return sections


def check_man(parsweep, man1):
    if not shutil.which("man"):
        print("man not installed (Debian: man-db)")
        sys.exit(77)
    for verb in VERBS:
        page = os.path.join(man1, "parsweep-%s.1" % verb)
        if not os.path.exists(page):
            fail("no man page %s" % page)
        sec = man_sections(page)
        if "OPTIONS" not in sec:
            fail("%s has no OPTIONS section" % page)
        # The option entries: the first indentation level of OPTIONS.
        ind = min(len(l) - len(l.lstrip()) for l in sec["OPTIONS"] if l.strip())
        entries = [l for l in sec["OPTIONS"]
                   if l.strip() and len(l) - len(l.lstrip()) == ind]
        in_man, in_help = options_of(entries), help_options(parsweep, verb)
        if in_man != in_help:
            fail("parsweep-%s.1 and `parsweep %s --help` differ: only in the "
                 "page %s, only in --help %s" % (verb, verb,
                 sorted(in_man - in_help), sorted(in_help - in_man)))
        print("parsweep-%s.1: %s" % (verb, " ".join(sorted(in_man))))
    sec = man_sections(os.path.join(man1, "parsweep.1"))
    ind = min(len(l) - len(l.lstrip()) for l in sec["VERBS"] if l.strip())
    in_man = {l.strip() for l in sec["VERBS"]
              if l.strip() and len(l) - len(l.lstrip()) == ind}
    if in_man != help_verbs(parsweep) or in_man != set(VERBS):
        fail("parsweep.1 lists verbs %s, --help %s" % (sorted(in_man),
             sorted(help_verbs(parsweep))))
    print("parsweep.1: verbs %s" % " ".join(sorted(in_man)))


def complete(script, words):
    """COMPREPLY for the command line `words` (the last word is completed)."""
    prog = (
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
        '_parsweep; printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "--norc", "-c", prog, "x", script] + words,
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        fail("completing %s: %s" % (words, r.stderr))
    return {w for w in r.stdout.splitlines() if w}


def check_completion(parsweep, script):
    r = subprocess.run(["bash", "--norc", "-c", 'source "$1"; complete -p parsweep',
                        "x", script], capture_output=True, text=True, timeout=30)
    if "-F _parsweep" not in r.stdout or not r.stdout.rstrip().endswith(" parsweep"):
        fail("complete -p parsweep: %r %r" % (r.stdout, r.stderr))
    got = complete(script, ["parsweep", ""])
    if not set(VERBS) <= got or not help_verbs(parsweep) <= got:
        fail("parsweep <TAB> offers %s" % sorted(got))
    if complete(script, ["parsweep", "su"]) != {"submit"}:
        fail("parsweep su<TAB> is not submit")
    for verb in VERBS:
        got, want = complete(script, ["parsweep", verb, "-"]), help_options(parsweep, verb)
        if got != want:
            fail("parsweep %s -<TAB>: only completed %s, only in --help %s" % (
                verb, sorted(got - want), sorted(want - got)))
    if complete(script, ["parsweep", "run", "--re"]) != {"--resume"}:
        fail("parsweep run --re<TAB> is not --resume")
    backends = complete(script, ["parsweep", "run", "spec.yaml", "-b", ""])
    if not {"auto", "fork", "mpi", "hybrid", "elastic"} <= backends:
        fail("parsweep run -b <TAB> offers %s" % sorted(backends))
    print("completion: verbs, every verb's options, backends")


def main():
    what, parsweep, where = sys.argv[1:4]
    if what == "man":
        check_man(parsweep, where)
    else:
        check_completion(parsweep, where)
    print("ok")


main()
