"""The Python side of parsweep's server-model protocol (docs/models.md).

parsweep starts this process once per worker with the protocol channel on
the descriptor named by PARSWEEP_SERVER_FD (3), stdout on /dev/null and
stderr on the run's log. The channel is a socket of its own, so whatever the
model or its solver prints cannot corrupt it. Messages are lines:

    parsweep -> server   parsweep-server 1 / params P / names / outputs O / names
    server -> parsweep   ready
    parsweep -> server   sample INDEX V1 .. VP
    server -> parsweep   ok INDEX O1 .. OO    |    error INDEX TEXT
    parsweep -> server   exit                 (or end of file)

Numbers go as repr(float) one way and %.17g the other: both round-trip
every bit of a double.
"""

import inspect
import math
import os
import sys
import traceback

PROTOCOL = 1
_MAX_LINE = 1 << 20


class ProtocolError(RuntimeError):
    """The peer broke the protocol (or this process was not started by
    parsweep)."""


def _channel():
    text = os.environ.get("PARSWEEP_SERVER_FD")
    if text is None:
        raise ProtocolError(
            "parsweep.serve: PARSWEEP_SERVER_FD is not set: this script is a "
            "server model, to be started by `parsweep run` (model: {server: "
            "[...]} in the spec), not run by hand")
    try:
        fd = int(text)
        os.fstat(fd)
    except (ValueError, OSError) as e:
        raise ProtocolError(
            f"parsweep.serve: PARSWEEP_SERVER_FD={text!r} is not an open "
            f"descriptor ({e})") from None
    # The solver's own children must not hold the channel open: parsweep
    # learns that this server died from the end of file on its side.
    os.set_inheritable(fd, False)
    return fd


def _read_header(rd):
    def line():
        raw = rd.readline(_MAX_LINE + 1)
        if not raw.endswith(b"\n"):
            raise ProtocolError("parsweep.serve: the header ended early")
        return raw[:-1].decode("utf-8")

    magic = line().split(" ")
    if len(magic) != 2 or magic[0] != "parsweep-server":
        raise ProtocolError(f"parsweep.serve: not a parsweep header: {magic!r}")
    if int(magic[1]) != PROTOCOL:
        raise ProtocolError(
            f"parsweep.serve: protocol {magic[1]} (this helper speaks "
            f"{PROTOCOL}): use the parsweep package of the same release")
    names = {}
    for key in ("params", "outputs"):
        head = line().split(" ")
        if len(head) != 2 or head[0] != key:
            raise ProtocolError(f"parsweep.serve: expected '{key} N', got {head!r}")
        names[key] = [line() for _ in range(int(head[1]))]
    return names["params"], names["outputs"]


def _calls_with_model(evaluate):
    """evaluate(model, params), or evaluate(params) for a server without a
    build step."""
    try:
        sig = inspect.signature(evaluate)
    except (TypeError, ValueError):
        return True
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
    return star or len(positional) >= 2


def _one_line(text):
    return " ".join(str(text).split()) or "error"


def serve(evaluate, build=None, reset=None):
    """Serve samples to `parsweep run` until it says exit.

    build() runs once, before the server reports ready; its return value is
    the model handed to evaluate(model, params) (params: {name: float}),
    which returns {output name: number}. An exception, a missing output or
    a NaN fails the sample (its one-line text goes to parsweep's log; the
    first traceback goes to stderr), and then reset(model), when given,
    returns the model to use next. Returns when parsweep is done.
    """
    try:
        fd = _channel()
        rd = os.fdopen(fd, "rb", buffering=1 << 16, closefd=False)
        pnames, onames = _read_header(rd)
    except ProtocolError as e:  # one line, not a traceback: a usage error
        print(e, file=sys.stderr)
        raise SystemExit(1) from None
    model = build() if build is not None else None
    with_model = build is not None or _calls_with_model(evaluate)
    os.write(fd, b"ready\n")

    np_ = len(pnames)
    shown_traceback = False
    write = os.write
    while True:
        raw = rd.readline(_MAX_LINE + 1)
        if not raw or raw == b"exit\n":
            return
        fields = raw.split()
        if len(fields) != np_ + 2 or fields[0] != b"sample":
            raise ProtocolError(f"parsweep.serve: unexpected message {raw[:80]!r}")
        index = fields[1].decode()
        params = dict(zip(pnames, map(float, fields[2:])))
        try:
            out = evaluate(model, params) if with_model else evaluate(params)
            values = []
            for name in onames:
                if name not in out:
                    raise KeyError(f"evaluate returned no value for output '{name}'")
                v = float(out[name])
                if math.isnan(v):
                    raise ValueError(f"output '{name}' is NaN")
                values.append(repr(v))
            reply = f"ok {index} {' '.join(values)}\n"
        except Exception as e:  # the sample failed; the server goes on
            if not shown_traceback:
                shown_traceback = True
                print(f"parsweep.serve: sample {index} failed (first failure; "
                      "later ones are logged by parsweep):", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
                sys.stderr.flush()
            text = _one_line(f"{type(e).__name__}: {e}")
            # reset before the reply: its time and any crash in it belong
            # to the sample that failed, not to the next one.
            if reset is not None:
                model = reset(model)
            reply = f"error {index} {text}\n"
        data = reply.encode()
        while data:
            data = data[write(fd, data):]
