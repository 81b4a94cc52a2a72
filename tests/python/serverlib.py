"""Drive a server model over the protocol of docs/models.md, as parsweep
does, without parsweep: the tests of the Python helper itself."""

import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_PKG = os.path.normpath(os.path.join(HERE, "..", "..", "python"))


class Server:
    def __init__(self, script, params=("a", "b"), outputs=("y", "z"), env=None,
                 header=True):
        self.sock, theirs = socket.socketpair()
        e = dict(os.environ)
        e["PYTHONPATH"] = PYTHON_PKG + os.pathsep + e.get("PYTHONPATH", "")
        e["PARSWEEP_SERVER_FD"] = str(theirs.fileno())
        e.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script], pass_fds=(theirs.fileno(),), env=e,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        theirs.close()
        self.sock.settimeout(20)
        self.rd = self.sock.makefile("rb")
        if header:
            lines = ["parsweep-server 1", f"params {len(params)}", *params,
                     f"outputs {len(outputs)}", *outputs]
            self.send("\n".join(lines) + "\n")

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def line(self):
        return self.rd.readline().decode()

    def sample(self, index, *values):
        self.send("sample %d %s\n" % (index, " ".join(repr(float(v)) for v in values)))
        return self.line()

    def close(self, timeout=20):
        try:
            self.send("exit\n")
        except OSError:
            pass
        out, err = self.proc.communicate(timeout=timeout)
        self.rd.close()
        self.sock.close()
        return self.proc.returncode, out.decode(), err.decode()
