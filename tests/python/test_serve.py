"""parsweep.serve, the Python helper of server models (SPEC §3.1, §7),
driven over its protocol channel as parsweep drives it."""

import math
import os
import random
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverlib import PYTHON_PKG, Server  # noqa: E402

MODEL = """
import math, os, sys, parsweep
log = os.environ.get("BUILD_LOG")
def build():
    if log:
        with open(log, "a") as f: f.write("build\\n")
    return {"k": 2.0, "builds": 1}
def reset(m):
    if log:
        with open(log, "a") as f: f.write("reset\\n")
    return build()
def evaluate(m, p):
    print("y=12345\\n\\nz = 7")            # noise on stdout, real output names
    print("stderr noise", file=sys.stderr)
    a = p["a"]
    if a == -1: raise ValueError("bad a\\nsecond line")
    if a == -2: return {"y": float("nan"), "z": 0.0}
    if a == -3: return {"y": 1.0}
    if a == -4: return {"y": "not a number", "z": 1}
    return {"y": m["k"] * a + p["b"], "z": a}
parsweep.serve(evaluate, build=build, reset=reset)
"""


def ok_values(line, index):
    f = line.split()
    assert f[:2] == ["ok", str(index)], line
    return [float(v) for v in f[2:]]


def test_ready_values_and_clean_exit(tmp_path):
    log = tmp_path / "builds"
    s = Server(MODEL, env={"BUILD_LOG": str(log)})
    assert s.line() == "ready\n"
    assert ok_values(s.sample(0, 1.5, 2.0), 0) == [5.0, 1.5]
    assert ok_values(s.sample(7, 0.1, 0.2), 7) == [2 * 0.1 + 0.2, 0.1]
    rc, out, err = s.close()
    assert rc == 0
    assert out.count("y=12345") == 2  # stdout is the model's, never parsed
    assert log.read_text() == "build\n"


def test_doubles_are_exact_both_ways():
    # every bit: random 64-bit patterns that are finite doubles, subnormals
    # and the extremes; the echo output z is the parameter a itself
    rng = random.Random(5)
    values = [5e-324, -5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
              0.1, 1 / 3, -0.0]
    while len(values) < 300:
        v = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(v) and v > -1e300:
            values.append(v)
    s = Server(MODEL.replace('return {"y": m["k"] * a + p["b"], "z": a}',
                             'return {"y": 0.0, "z": a}'))
    assert s.line() == "ready\n"
    for i, v in enumerate(values):
        # parsweep sends %.17g; so does this test
        s.send("sample %d %.17g 0\n" % (i, v))
        got = ok_values(s.line(), i)[1]
        assert struct.pack("<d", got) == struct.pack("<d", v), (v, got)
    assert s.close()[0] == 0


@pytest.mark.parametrize("a,text", [
    (-1, "error 5 ValueError: bad a second line\n"),
    (-2, "error 5 ValueError: output 'y' is NaN\n"),
    (-3, "error 5 KeyError: \"evaluate returned no value for output 'z'\"\n"),
    (-4, "error 5 ValueError: could not convert string to float: 'not a number'\n"),
])
def test_failures_are_one_line_and_reset_runs(tmp_path, a, text):
    log = tmp_path / "builds"
    s = Server(MODEL, env={"BUILD_LOG": str(log)})
    assert s.line() == "ready\n"
    assert s.sample(5, a, 0) == text
    # the server goes on, with the model reset returned
    assert ok_values(s.sample(6, 1, 1), 6) == [3.0, 1.0]
    rc, out, err = s.close()
    assert rc == 0
    assert log.read_text() == "build\nreset\nbuild\n"
    assert "Traceback" in err  # the first failure's traceback, on stderr


def test_only_the_first_traceback_is_printed():
    s = Server(MODEL)
    assert s.line() == "ready\n"
    for i in range(3):
        assert s.sample(i, -1, 0).startswith(f"error {i} ")
    rc, out, err = s.close()
    assert rc == 0 and err.count("Traceback") == 1


def test_evaluate_without_build_takes_params_only():
    s = Server("import parsweep\n"
               "parsweep.serve(lambda p: {'y': p['a'] + p['b'], 'z': p['b']})")
    assert s.line() == "ready\n"
    assert ok_values(s.sample(0, 1, 2), 0) == [3.0, 2.0]
    assert s.close()[0] == 0


def test_end_of_file_ends_the_server():
    s = Server(MODEL)
    assert s.line() == "ready\n"
    s.sock.shutdown(1)  # parsweep died: no exit message, only the EOF
    assert s.proc.wait(20) == 0


def test_build_runs_before_ready(tmp_path):
    flag = tmp_path / "built"
    s = Server("import parsweep, time\n"
               f"def build():\n time.sleep(0.3); open({str(flag)!r}, 'w').close()\n"
               "parsweep.serve(lambda m, p: {'y': 1, 'z': 2}, build=build)")
    assert s.line() == "ready\n"
    assert flag.exists()
    assert s.close()[0] == 0


def test_channel_not_inherited_by_the_models_children(tmp_path):
    # A solver the model starts must not keep the channel open, or parsweep
    # would not see the server die.
    s = Server("import os, subprocess, parsweep\n"
               "fd = int(os.environ['PARSWEEP_SERVER_FD'])\n"
               "def evaluate(p):\n"
               "    r = subprocess.run(['/bin/sh', '-c', 'ls /proc/self/fd'],"
               " capture_output=True, text=True, close_fds=False)\n"
               "    return {'y': float(str(fd) in r.stdout.split()), 'z': 0}\n"
               "parsweep.serve(evaluate)")
    assert s.line() == "ready\n"
    assert ok_values(s.sample(0, 0, 0), 0) == [0.0, 0.0]
    assert s.close()[0] == 0


def test_wrong_protocol_version_is_refused():
    s = Server("import parsweep\nparsweep.serve(lambda p: {})", header=False)
    s.send("parsweep-server 9\nparams 0\noutputs 0\n")
    rc, out, err = s.close()
    assert rc == 1 and "protocol 9" in err


def test_not_started_by_parsweep():
    env = dict(os.environ, PYTHONPATH=PYTHON_PKG)
    env.pop("PARSWEEP_SERVER_FD", None)
    r = subprocess.run([sys.executable, "-c",
                        "import parsweep; parsweep.serve(lambda p: {})"],
                       env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "PARSWEEP_SERVER_FD is not set" in r.stderr
    assert "parsweep run" in r.stderr
