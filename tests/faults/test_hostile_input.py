#!/usr/bin/python3
"""Issue 18 item 8 (the spec and command-line part): hostile input is
refused up front, with one line naming the file and line, key or flag,
and nothing is run or touched.

- 200,000 nested '[' (libyaml's loader took 95 s of CPU): refused within
  seconds, "nested deeper than 64"; 64 levels still reach the key checks.
- DEL (0x7f) and C1 controls (U+0085, U+009B) in parameter and output
  names: refused as control characters (they used to be accepted).
- num_samples 2^63, and a grid whose product is as large: refused naming
  the key, "too many for one results file" (was "cannot create the
  layout" from HDF5, after the lock and the temporary were made).
- 20,000 parameters, and 16,000 parameters with 2 outputs: refused naming
  the limit of 16000 values a sample (was "invalid argument" after the
  start, leaving a journal with only a header).
- a journal with no record (a run killed before its first sample): not
  counted as finished samples; a fresh run replaces it (it was refused:
  "an interrupted run left finished samples").
- an output that is a directory or a FIFO, with or without --force, from
  -o or from the spec: refused before running (a directory used to fail
  on the final rename, after the whole sweep).
- `-o ''`: a usage error naming -o, exit 2 (was "results: invalid
  argument", exit 1).
"""
import os
import time

from clitest import build_spec, check, describe, main, run, step, write
from faultlib import evals, journal_indices, kill_session, sh_spec, start, wait_for

PARAM = "{type: UniformSample, lower_limit: 0, upper_limit: 1}"


def files(d):
    return {x: open(os.path.join(d, x), "rb").read() if os.path.isfile(os.path.join(d, x))
            else "dir" for x in sorted(os.listdir(d))}


def refused(args, d, cmd, want, what, code=1, timeout=10):
    """`parsweep CMD` in d: exit `code`, stderr's first line holds every
    string of want, nothing evaluated, no file created or changed."""
    before, n = files(d), len(evals(os.path.join(d, "evals")))
    t0 = time.process_time()
    p, wall = run(args, cmd, d, timeout=timeout)
    lines = p.stderr.splitlines()
    check(p.returncode == code, f"{what}: expected exit {code}: " + describe(p))
    check(lines and all(w in lines[0] for w in want),
          f"{what}: expected a line with {want}: {p.stderr!r}")
    check(code == 2 or len(lines) == 1, f"{what}: {len(lines)} lines on stderr")
    check(len(evals(os.path.join(d, "evals"))) == n, f"{what}: something was evaluated")
    check(files(d) == before, f"{what}: the directory changed: "
          + ", ".join(sorted(set(files(d)) ^ set(before))))
    print(f"   {what}: {lines[0] if lines else ''} ({wall:.2f} s)")
    return wall


def spec_with(d, name, params, outputs=("y",), top=""):
    lines = [top.rstrip("\n")] if top else []
    lines.append("parameters:")
    lines += [f"  {k}: {v}" for k, v in params]
    lines.append("outputs: [" + ", ".join(outputs) + "]")
    lines.append('model:\n  command: ["/bin/sh", "-c", "echo y=1"]')
    return write(os.path.join(d, name), "\n".join(lines) + "\n")


def test(args, tmp):
    with step("200,000 nested '[': refused at once"):
        s = write(os.path.join(tmp, "deep.yaml"), "parameters: " + "[" * 200000 + "\n")
        wall = refused(args, tmp, ["run", s], ["deep.yaml:1: syntax:",
                                               "nested deeper than 64"], "200k '['")
        check(wall < 5, f"200k '[': {wall:.1f} s")
    with step("64 levels: not refused for depth (the key checks answer)"):
        s = write(os.path.join(tmp, "d64.yaml"),
                  "name: " + "[" * 63 + "]" * 63 + "\nparameters: {a: " + PARAM + "}\n"
                  "outputs: [y]\nmodel: {command: [/bin/true]}\n")
        refused(args, tmp, ["run", s], ["d64.yaml:1: name:"], "64 levels")
        s = write(os.path.join(tmp, "d65.yaml"),
                  "name: " + "[" * 64 + "]" * 64 + "\nparameters: {a: " + PARAM + "}\n"
                  "outputs: [y]\nmodel: {command: [/bin/true]}\n")
        refused(args, tmp, ["run", s], ["d65.yaml:1: syntax: nested deeper than 64"],
                "65 levels")

    with step("control characters in names: refused"):
        cases = [
            ("del.yaml", [('"a\\x7fb"', PARAM)], ("y",), "del.yaml:3: parameters.a?b:"),
            ("c1.yaml", [('"c\\x9b"', PARAM)], ("y",), "c1.yaml:3: parameters.c??:"),
            ("nel.yaml", [("a", PARAM)], ("y", '"z\\u0085"'), "nel.yaml:4: outputs[1]:"),
            ("del_out.yaml", [("a", PARAM)], ('"y\\x7f"',), "del_out.yaml:4: outputs[0]:"),
        ]
        for name, params, outputs, want in cases:
            s = spec_with(tmp, name, params, outputs, top="num_samples: 2")
            refused(args, tmp, ["run", s, "-o", "r.h5"], [want, "control character"], name)

    with step("num_samples 2^63, and a grid as large: refused naming the key"):
        s = spec_with(tmp, "n63.yaml", [("a", PARAM)], top="num_samples: 9223372036854775808")
        refused(args, tmp, ["run", s, "-o", "r.h5"],
                ["n63.yaml:1: num_samples: 9223372036854775808 samples: too many for one "
                 "results file", "at most 242720316759336205"], "num_samples 2^63")
        axis = "{type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 2097152}"
        s = spec_with(tmp, "grid63.yaml", [("a", axis), ("b", axis), ("c", axis)])
        refused(args, tmp, ["run", s, "-o", "r.h5"],
                ["grid63.yaml:4: parameters.c.num_samples: 9223372036854775808 samples: "
                 "too many"], "grid 2^63")

    with step("20,000 parameters; 16,000 and 2 outputs: refused naming the limit"):
        # refused on the count, before any parameter is read
        s = spec_with(tmp, "p20k.yaml", [(f"p{i}", "0") for i in range(20000)],
                      top="num_samples: 2")
        refused(args, tmp, ["run", s, "-o", "r.h5"],
                ["p20k.yaml:2: parameters: 20000 parameters: at most 16000"], "20,000 parameters",
                timeout=30)
        s = spec_with(tmp, "p16k.yaml", [(f"p{i}", PARAM) for i in range(16000)],
                      outputs=("y", "z"), top="num_samples: 2")
        refused(args, tmp, ["run", s, "-o", "r.h5"],
                ["p16k.yaml:16003: outputs: 16000 parameters and 2 outputs: at most 16000"],
                "16,000 parameters and 2 outputs", timeout=30)
        for x in ("p20k.yaml", "p16k.yaml"):
            os.remove(os.path.join(tmp, x))

    with step("an output that is a directory or a FIFO: refused before running"):
        spec, log = sh_spec(tmp, 4, sleep=0)
        os.mkdir(os.path.join(tmp, "outdir"))
        os.mkfifo(os.path.join(tmp, "fifo"))
        for extra in ([], ["--force"], ["--resume"]):
            refused(args, tmp, ["run", spec, "-q", "-o", "outdir"] + extra,
                    ["outdir: is a directory"], f"-o outdir {' '.join(extra)}")
            refused(args, tmp, ["run", spec, "-q", "-o", "fifo"] + extra,
                    ["fifo: is not a regular file"], f"-o fifo {' '.join(extra)}")
        s = write(os.path.join(tmp, "out_dir.yaml"), open(spec).read().replace(
            "name: faults", "name: faults\noutput: outdir"))
        refused(args, tmp, ["run", s, "-q", "--force"], ["outdir: is a directory"],
                "output: outdir in the spec")

    with step("-o '': a usage error naming -o"):
        refused(args, tmp, ["run", spec, "-q", "-o", ""], ["-o"], "-o ''", code=2)

    with step("a journal without a record (killed before its first sample)"):
        out = os.path.join(tmp, "r.h5")
        fast = write(os.path.join(tmp, "fast.yaml"), open(spec).read())
        # (rewrites s.yaml; the model lets go of our stderr, so that the
        # kill below need not wait for its sleep)
        slow, _ = sh_spec(tmp, 4, script="exec 2>/dev/null; sleep 30")
        jr = os.path.join(tmp, ".r.h5.journal.0")
        p = start(args, tmp, ["run", slow, "-o", out, "-j", "1", "-q"])
        wait_for(lambda: os.path.exists(jr) and os.path.getsize(jr) >= 64, "the journal's header",
                 proc=p)
        kill_session(p)
        check(os.path.getsize(jr) == 64 and not journal_indices(out),
              f"journal of {os.path.getsize(jr)} bytes")
        # and an empty one of a second writer (killed before its header)
        open(os.path.join(tmp, ".r.h5.journal.1"), "wb").close()
        p, _ = run(args, ["run", fast, "-o", out, "-q"], tmp, timeout=60)
        check(p.returncode == 0, "a fresh run beside journals without records: " + describe(p))
        left = [x for x in os.listdir(tmp) if x.startswith(".r.h5.")]
        check(not left, f"left beside the output: {left}")


if __name__ == "__main__":
    main(test, prefix="psw-hostile-")
