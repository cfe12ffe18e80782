#!/usr/bin/python3
"""SIGTERM: meterd exits 0 and the stored registers equal the last published ones.

meterd replays pycomtrade test3 (G1) slowly (--speed 0.2: one frame per second of wall
time). Right after a frame is published, a pymodbus client reads every energy register
of the native map (uint64 Wh) between two readings of the frame sequence; if no frame
closed meanwhile, the daemon gets SIGTERM. It must exit 0, and:

  * the registers of its final report (--report json, printed after the last frame was
    published) equal `meterd --show-registers --report json` exactly, to the uWh;
  * each of the 44 stored energy registers is >= the Wh read over Modbus and exceeds it
    by less than one frame: meterd flushes the partial frame on SIGTERM (meter_loop.c:
    "the last, partial frame's energy is not lost"), which holds the samples fed since
    the last published frame (including the block being fed when the signal came). A
    client cannot see that flushed frame: it is published as the daemon stops. One frame
    of S total is 14.19 MVA (SOURCE.md, G1 pre-trigger) x 0.2 s = 789 Wh: bound 800 Wh.

Usage: test_sigterm.py METERD WAVEFORMS_DIR MODBUS_NATIVE_MD
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402

METERD, WAVE, DOC = sys.argv[1:4]
chk = mtrd_it.Checks("test_sigterm")
RM = mtrd_it.parse_regmap(DOC)
CFG = os.path.join(WAVE, "pycomtrade-generator-plant-records/test3.cfg")
MAP = "U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1"
KINDS = ["a_imp", "a_exp", "r_imp", "r_exp", "r_q1", "r_q2", "r_q3", "r_q4", "s_imp", "s_exp",
         "a_abs"]
CHANNELS = ["l1", "l2", "l3", "total"]


def read_energies(c):
    lo = RM["e_a_imp_l1"]["addr"]
    words = mtrd_it.regs(c, lo, 100) + mtrd_it.regs(c, lo + 100, 92)
    out = {}
    for kind in KINDS:
        for ch in CHANNELS:
            row = RM["e_%s_%s" % (kind, ch)]
            off = row["addr"] - lo
            out[(kind, ch)] = mtrd_it.u_int(words[off:off + 4])
    return out


def seq(c):
    return mtrd_it.u_int(mtrd_it.regs(c, RM["seq"]["addr"], 2))


def main():
    port = mtrd_it.free_port()
    dd = mtrd_it.tmpdir("term")
    d = mtrd_it.Daemon(METERD, ["--input", CFG, "--map", MAP, "--speed", "0.2",
                                "--modbus-port", str(port), "--modbus-bind", "127.0.0.1",
                                "--data-dir", dd, "--no-progress", "--no-table", "--report", "json"],
                       "term")
    try:
        c = mtrd_it.modbus_client(port)
        if not chk.check(c is not None, "pymodbus connects"):
            return
        published, s_pub = None, None
        deadline = time.monotonic() + 20
        s0 = seq(c)
        while time.monotonic() < deadline:
            s1 = seq(c)
            if s1 >= max(2, s0 + 1):
                t_read = time.monotonic()
                e = read_energies(c)
                if seq(c) == s1:
                    published, s_pub = e, s1
                    break
            time.sleep(0.01)
        if not chk.check(published is not None, "a frame was published and read (seq %s)" % s_pub):
            return
        d.p.send_signal(signal.SIGTERM)
        t_term = time.monotonic()
        c.close()
        rc = d.wait(15)
        chk.check(rc == 0, "meterd exits 0 on SIGTERM (exit %s)" % rc)
        rc2, st = mtrd_it.stored(METERD, dd)
        if not chk.check(st is not None, "--show-registers reads the store (exit %d)" % rc2):
            return
        try:
            rep = json.loads(d.stdout())
        except ValueError:
            rep = None
        if chk.check(rep is not None, "final report printed on stdout"):
            reported = {k: v for k, v in rep["values"].items() if k.startswith("e_")}
            chk.check(reported == st["Wh"],
                      "stored registers = the final report's registers, to the uWh")
        flush_wh = 800.0
        print("note: signal sent %.1f ms after the read began" % (1000 * (t_term - t_read)))
        diffs, worst = [], 0.0
        for (kind, ch), wh in sorted(published.items()):
            v = st["Wh"]["e_%s_%s" % (kind, ch)]
            worst = max(worst, v - wh)
            if not (v + 1e-9 >= wh and v - wh <= flush_wh):
                diffs.append("%s %s stored %.6f Wh, published %d Wh" % (kind, ch, v, wh))
        chk.check(not diffs, "all %d energy registers: published <= stored <= published + "
                  "%.1f Wh (largest excess %.3f Wh; frame %d, +A total %d Wh; store: %s "
                  "frames) %s" % (len(published), flush_wh, worst, s_pub,
                                  published[("a_imp", "total")], st["frames"], "; ".join(diffs)))
        chk.check(published[("a_imp", "total")] > 0, "+A total is not zero")
    finally:
        d.cleanup()
        mtrd_it.rmtree(dd)


main()
chk.finish()
