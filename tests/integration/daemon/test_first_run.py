#!/usr/bin/python3
"""First run: `meterd` with no input runs the synthetic household and serves Modbus.

Started for about 3 s with a free --modbus-port (and a temp --data-dir), it must show
the live per-phase table on stdout, and mbpoll (Debian) must read sensible values:
Urms L1..L3 230 V +-10 %, frequency 50 +-0.1 Hz, data-valid 1. SIGTERM then stops it
with exit 0.

Usage: test_first_run.py METERD MODBUS_NATIVE_MD
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402

METERD, DOC = sys.argv[1:3]
chk = mtrd_it.Checks("test_first_run")
RM = mtrd_it.parse_regmap(DOC)


def main():
    port = mtrd_it.free_port()
    dd = mtrd_it.tmpdir("first")
    d = mtrd_it.Daemon(METERD, ["--modbus-port", str(port), "--modbus-bind", "127.0.0.1",
                                "--data-dir", dd], "first")
    try:
        time.sleep(3.0)
        if not chk.check(d.p.poll() is None, "meterd still running after 3 s (stderr: %s)" %
                         d.stderr().strip()[-300:]):
            return
        try:
            u = mtrd_it.mbpoll(port, RM["u_rms_l1"]["addr"], 3, "4:int")
            u = [x * RM["u_rms_l1"]["lsb"] for x in u]
            f = mtrd_it.mbpoll(port, RM["f"]["float"], 1, "3:float")[0]
            valid = mtrd_it.mbpoll(port, RM["valid"]["addr"], 1, "4:int")[0]
        except (IOError, OSError) as e:
            chk.check(False, "mbpoll reads the synthetic meter: %s" % e)
            return
        for n, x in enumerate(u):
            chk.check(207.0 <= x <= 253.0, "mbpoll: Urms L%d %.2f V within 230 V +-10 %%" % (
                n + 1, x))
        chk.check(abs(f - 50.0) <= 0.1, "mbpoll: f %.3f Hz within 50 +-0.1 Hz" % f)
        chk.check(valid == 1, "mbpoll: data-valid %d" % valid)
        d.p.send_signal(signal.SIGTERM)
        rc = d.wait(10)
        chk.check(rc == 0, "SIGTERM: exit %d" % rc)
        out = d.stdout()
        chk.check("Urms" in out and "L1" in out and "L3" in out and "total" in out,
                  "live per-phase table on stdout (%d bytes): %r" % (len(out), out[:200]))
    finally:
        d.cleanup()
        mtrd_it.rmtree(dd)


main()
chk.finish()
