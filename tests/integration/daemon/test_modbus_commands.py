#!/usr/bin/env python3
"""Meter commands over Modbus (docs/modbus-native.md, command block 2000..2003), with pymodbus.

meterd runs the synthetic household as frames (--source frames, --speed 100) with
--modbus-write and tariff-source com. A client we did not write (pymodbus) writes:
  * to the command block without --modbus-write (first daemon): exception 1, nothing changes;
  * billing reset (code 1): the billing-period counter (582) goes 0 -> 1, and after the run
    `meterd --show billing --csv` has one entry whose +A equals the +A register it held then;
  * set tariff (6, arg 3): the tariff register (580) reads 3; arg 9 is refused (exception 3);
  * partial start (3) / stop (4): the running flag (590) follows;
  * set clock (7, UTC seconds in 2002..2003): meter time (6) jumps to it, the standard
    event log holds events 4 and 5 with the old and new times, and the monthly billing dates
    passed over (Feb 1 .. Jun 1) are closed once at the new time (a second billing entry);
  * an unknown code (99): exception 3; a write to 1999 (a read-only register): exception 2.
Usage: test_modbus_commands.py METERD REGMAP.md
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402

METERD, REGMAP = sys.argv[1], sys.argv[2]
chk = mtrd_it.Checks("test_modbus_commands")
RM = mtrd_it.parse_regmap(REGMAP)
CMD = 2000


def exc_code(r):
    return getattr(r, "exception_code", None) if r.isError() else None


def read_u(c, name):
    row = RM[name]
    return mtrd_it.u_int(mtrd_it.regs(c, row["addr"], row["words"]))


def start(dd, port, extra):
    return mtrd_it.Daemon(METERD, ["--source", "frames", "--frame-s", "1", "--speed", "100",
                                   "--clock-start", "2026-01-01T00:00:00Z", "--tariff-source",
                                   "com", "--data-dir", dd, "--modbus-port", str(port),
                                   "--modbus-bind", "127.0.0.1", "--no-table", *extra], "cmd")


def main():
    # writes are off by default
    dd0 = mtrd_it.tmpdir("cmd0")
    port = mtrd_it.free_port()
    d = start(dd0, port, [])
    try:
        c = mtrd_it.modbus_client(port)
        r = c.write_register(CMD, 1, slave=1)
        chk.check(exc_code(r) == 1, "without --modbus-write a command is refused with exception 1 "
                  "(got %s)" % exc_code(r))
        chk.check(read_u(c, "billing_count") == 0, "and nothing happened (billing count 0)")
        c.close()
    finally:
        d.p.terminate()
        d.wait(15)
        d.cleanup()
        mtrd_it.rmtree(dd0)

    dd = mtrd_it.tmpdir("cmd")
    port = mtrd_it.free_port()
    d = start(dd, port, ["--modbus-write"])
    try:
        c = mtrd_it.modbus_client(port)
        time.sleep(0.5)
        # billing reset
        r = c.write_register(CMD, 1, slave=1)
        chk.check(not r.isError(), "billing reset accepted (%s)" % r)
        chk.check(read_u(c, "billing_count") == 1, "billing count 0 -> 1")
        # set tariff 3 (tariff-source com), then an invalid tariff
        r = c.write_registers(CMD, [6, 3], slave=1)
        chk.check(not r.isError(), "set tariff 3 accepted")
        chk.check(read_u(c, "tariff") == 3, "tariff in force reads 3 (got %d)" % read_u(c, "tariff"))
        r = c.write_registers(CMD, [6, 9], slave=1)
        chk.check(exc_code(r) == 3, "tariff 9 refused with exception 3 (got %s)" % exc_code(r))
        chk.check(read_u(c, "tariff") == 3, "tariff still 3")
        # partial counters
        c.write_register(CMD, 3, slave=1)
        chk.check(read_u(c, "partial_running") == 1, "partial counters running after code 3")
        c.write_register(CMD, 4, slave=1)
        chk.check(read_u(c, "partial_running") == 0, "partial counters stopped after code 4")
        # set clock to 2026-06-01T12:00:00Z
        t_new = 1780315200
        r = c.write_registers(CMD, [7, 0, t_new >> 16, t_new & 0xFFFF], slave=1)
        chk.check(not r.isError(), "set clock accepted")
        mt_ms = read_u(c, "meter_time")
        chk.check(t_new * 1000 <= mt_ms < (t_new + 600) * 1000,
                  "meter time follows the new clock (%d ms)" % mt_ms)
        # errors
        r = c.write_register(CMD, 99, slave=1)
        chk.check(exc_code(r) == 3, "unknown code refused with exception 3 (got %s)" % exc_code(r))
        r = c.write_register(1999, 1, slave=1)
        chk.check(exc_code(r) == 2, "a write outside the command block gets exception 2 (got %s)"
                  % exc_code(r))
        c.close()
    finally:
        d.p.terminate()
        rc = d.wait(15)
        chk.check(rc == 0, "meterd exits 0 (exit %s)" % rc)
        d.cleanup()
    # the tariff input (COUNTIS "diG"): off T1, on T2
    dd2 = mtrd_it.tmpdir("cmd2")
    port = mtrd_it.free_port()
    d = start(dd2, port, ["--modbus-write", "--tariff-source", "input"])
    try:
        c = mtrd_it.modbus_client(port)
        time.sleep(0.3)
        chk.check(read_u(c, "tariff") == 1, "tariff input off: T1")
        c.write_registers(CMD, [9, 1], slave=1)
        chk.check(read_u(c, "tariff") == 2, "tariff input on (code 9, 1): T2")
        r = c.write_registers(CMD, [9, 5], slave=1)
        chk.check(exc_code(r) == 3, "input state 5 refused with exception 3")
        c.write_registers(CMD, [9, 0], slave=1)
        chk.check(read_u(c, "tariff") == 1, "tariff input off again: T1")
        c.close()
    finally:
        d.p.terminate()
        d.wait(15)
        d.cleanup()
        mtrd_it.rmtree(dd2)
    try:
        out = subprocess.run([METERD, "--data-dir", dd, "--show", "billing", "--csv"],
                             capture_output=True, text=True, timeout=30)
        rows = [ln.split(",") for ln in out.stdout.strip().splitlines()]
        chk.check(len(rows) == 3, "two monthly billing entries: the reset and the clock jump "
                  "(%d)" % (len(rows) - 1))
        head = rows[0]
        for row in rows[1:]:
            # integers in kWh with 9 decimals: compare exactly in uWh
            a_imp = round(float(row[head.index("a_imp [kWh]")]) * 1e9)
            tsum = sum(round(float(row[head.index("a_imp_t%d [kWh]" % t)]) * 1e9)
                       for t in (1, 2, 3, 4))
            chk.check(a_imp == tsum, "entry %s: +A = T1+T2+T3+T4 (%d uWh)" % (row[0], a_imp))
        if len(rows) == 3:
            chk.check(rows[2][1] == "2026-06-01T12:00:00Z", "second entry at the new time (%s)"
                      % rows[2][1])
        ev = subprocess.run([METERD, "--data-dir", dd, "--show", "events", "--csv"],
                            capture_output=True, text=True, timeout=30).stdout
        lines = [ln.split(",") for ln in ev.strip().splitlines()[1:]]
        codes = [int(ln[2]) for ln in lines]
        chk.check(4 in codes and 5 in codes, "clock adjusted old/new events logged (%s)" % codes)
        new = [ln for ln in lines if int(ln[2]) == 5]
        chk.check(bool(new) and int(new[0][4]) == t_new * 1000000,
                  "event 5 holds the new time in v1")
        chk.check(210 in codes and 216 in codes and 212 in codes and 213 in codes,
                  "billing reset, tariff set and partial start/stop events logged")
    finally:
        mtrd_it.rmtree(dd)
    chk.finish()


if __name__ == "__main__":
    main()
