"""Shared helpers of the daemon integration tests (tests/integration/daemon/).

Standard library only, except the Modbus helpers, which import pymodbus (Debian
python3-pymodbus, 3.0.x API) when first used. Every test runs the real meterd binary
as a user does: command-line options, files, signals and Modbus TCP.
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time


class Checks:
    """Collects pass/fail lines and prints the plain 'N passed, N failed' summary."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        self.notes = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print("ok:   " + what)
        else:
            self.failed.append(what)
            print("FAIL: " + what)
        sys.stdout.flush()
        return ok

    def note(self, what):
        self.notes.append(what)
        print("note: " + what)

    def finish(self):
        for n in self.notes:
            print("note: " + n)
        print("%s: %d passed, %d failed" % (self.name, self.passed, len(self.failed)))
        sys.exit(1 if self.failed or self.passed == 0 else 0)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (the daemon binds it next)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tmpdir(tag):
    return tempfile.mkdtemp(prefix="mtrd-it-%s-" % tag)


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


def run(meterd, args, timeout=120):
    """Run meterd to completion; returns (exit code, stdout, stderr)."""
    p = subprocess.run([meterd, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def replay_json(meterd, args, timeout=120):
    """Run a replay with --report json; returns (exit code, report dict or None, stderr)."""
    rc, out, err = run(meterd, ["--speed", "0", "--report", "json", "--no-modbus",
                                "--no-progress", "--no-table", *args], timeout)
    try:
        rep = json.loads(out)
    except ValueError:
        rep = None
    return rc, rep, err


FRAMES_RE = re.compile(r"record (\d+), (\d+) frames")


def stored(meterd, data_dir):
    """The register store as --show-registers --report json prints it.

    Returns (exit code, dict): dict has 'Wh' (the energy registers by catalogue name,
    e.g. 'e_a_imp_total', in Wh/varh/VAh) and 'frames' (frames counted by the store),
    or None if it could not be read."""
    rc, out, _ = run(meterd, ["--show-registers", "--data-dir", data_dir, "--report", "json"], 30)
    try:
        d = json.loads(out)
    except ValueError:
        return rc, None
    m = FRAMES_RE.search(d.get("input", ""))
    return rc, {"Wh": {k: v for k, v in d["values"].items() if k.startswith("e_")}, "frames": int(m.group(2)) if m else None,
                "record": int(m.group(1)) if m else None}


class Daemon:
    """A meterd started in the background; stdout/stderr go to files in a temp dir."""

    def __init__(self, meterd, args, tag="d"):
        self.dir = tmpdir(tag + "-log")
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen([meterd, *args], stdout=self.out, stderr=self.err,
                                  stdin=subprocess.DEVNULL)

    def wait(self, timeout=30):
        try:
            return self.p.wait(timeout=timeout)
        finally:
            self.out.close()
            self.err.close()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        return self.wait(10)

    def stdout(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.out_path, errors="replace") as fh:
            return fh.read()

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.err_path, errors="replace") as fh:
            return fh.read()

    def cleanup(self):
        if self.p.poll() is None:
            self.kill()
        rmtree(self.dir)


# ---- Modbus (pymodbus) ----

def modbus_client(port, timeout_s=1.0, tries=50):
    """Connect to the daemon's Modbus TCP server, retrying while it starts.

    pymodbus 3.0.0rc1 truncates the timeout to whole seconds: below 1 s the connect is
    non-blocking and fails with EINPROGRESS, so the timeout is at least 1 s."""
    timeout_s = max(1.0, timeout_s)
    import logging
    from pymodbus.client import ModbusTcpClient
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    for _ in range(tries):
        c = ModbusTcpClient("127.0.0.1", port=port, timeout=timeout_s, retries=0)
        if c.connect():
            return c
        c.close()
        time.sleep(0.05)
    return None


def regs(c, addr, count):
    r = c.read_holding_registers(addr, count, slave=1)
    if r.isError():
        raise IOError("read %d+%d: %s" % (addr, count, r))
    return r.registers


def u_int(words, signed=False):
    v = 0
    for w in words:
        v = (v << 16) | w
    bits = 16 * len(words)
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def f32(words):
    return struct.unpack(">f", struct.pack(">HH", *words))[0]


def parse_regmap(path):
    """docs/modbus-native.md (generated from the catalogue): name -> address row."""
    rows = {}
    pat = re.compile(r"^\| (\d+) \| (\d) \| (\w+) \| ([^|]+) \| ([^|]+) \| `(\w+)` \|")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = pat.match(line)
            if m:
                fl = m.group(5).strip()
                rows[m.group(6)] = {"addr": int(m.group(1)), "words": int(m.group(2)),
                                    "type": m.group(3), "lsb": float(m.group(4).split()[0]),
                                    "float": None if fl == "-" else int(fl.split()[0])}
    return rows


def read_named(c, regmap, name):
    """Integer value of a catalogue register, scaled to its base unit (Wh for energies)."""
    row = regmap[name]
    v = u_int(regs(c, row["addr"], row["words"]), row["type"].startswith("int"))
    return v * row["lsb"]


def mbpoll(port, addr, count, typ, timeout=10):
    """Read with Debian's mbpoll, protocol (0-based) addresses, big-endian words.

    typ is an mbpoll -t argument ("4:int", "3:float", "4"). Returns a list of numbers."""
    cmd = ["mbpoll", "-m", "tcp", "-p", str(port), "-a", "1", "-0", "-1", "-B", "-t", typ,
           "-r", str(addr), "-c", str(count), "-o", "2", "127.0.0.1"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    vals = []
    for line in p.stdout.splitlines():
        m = re.match(r"^\[(\d+)\]:\s+(\S+)", line)
        if m:
            vals.append(float(m.group(2)))
    if len(vals) != count:
        raise IOError("mbpoll %s: %s %s" % (" ".join(cmd[1:]), p.stdout[-300:], p.stderr[-300:]))
    return vals
