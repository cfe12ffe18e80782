#!/usr/bin/python3
"""Modbus TCP of the real daemon during a replay, read by pymodbus and by mbpoll.

meterd replays pycomtrade test3 (G1, steady 3-phase generator, 4.3 s) in real time with
Modbus on a free port. A pymodbus client polls every 20 ms and keeps one consistent
reading per frame (sequence counter equal before and after the reading); mbpoll (Debian)
reads Urms L1, P total, data-valid and +A in parallel. Addresses come from
docs/modbus-native.md (generated from the catalogue).

Checks: data-valid 1 and sequence counter strictly increasing; +A total (uint64 Wh)
never decreasing and rising over the replay; the frames seen over Modbus, aggregated as
the report does (RMS of Urms, mean of P), equal SOURCE.md's whole-record figures within
+-0.1 %; the last +A equals the daemon's own final register truncated to Wh; every
value mbpoll read equals the value of a frame pymodbus read (same snapshot).

Usage: test_modbus_live.py METERD WAVEFORMS_DIR MODBUS_NATIVE_MD
"""
import json
import math
import os
import sys
import subprocess
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402
from pymodbus.exceptions import ModbusException  # noqa: E402

METERD, WAVE, DOC = sys.argv[1:4]
chk = mtrd_it.Checks("test_modbus_live")
RM = mtrd_it.parse_regmap(DOC)
CFG = os.path.join(WAVE, "pycomtrade-generator-plant-records/test3.cfg")
MAP = "U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1"
# SOURCE.md, test3 whole record (kV, kW -> V, W)
U_REF = [3476.18, 3476.29, 3476.21]
P_REF = [4466.88e3, 4458.77e3, 4441.53e3]
PT_REF = 13367.2e3


def a(name):
    return RM[name]["addr"]


def read_frame(c):
    """One consistent reading, or None if a frame closed during it."""
    h1 = mtrd_it.regs(c, 0, 14)
    seq1 = mtrd_it.u_int(h1[2:4])
    vals = mtrd_it.regs(c, a("u_rms_l1"), 100)  # 100..199: instantaneous quantities
    en = mtrd_it.regs(c, a("e_a_imp_l1"), 16)  # +A L1..L3, total
    h2 = mtrd_it.regs(c, 0, 4)
    if mtrd_it.u_int(h2[2:4]) != seq1:
        return None
    base = a("u_rms_l1")

    def i32(name):
        off = a(name) - base
        return mtrd_it.u_int(vals[off:off + 2], True) * RM[name]["lsb"]

    return {"seq": seq1, "valid": mtrd_it.u_int(h1[4:6]), "t_ms": mtrd_it.u_int(h1[6:10]),
            "u": [i32("u_rms_l%d" % n) for n in (1, 2, 3)],
            "u_raw_l1": mtrd_it.u_int(vals[0:2], True),
            "p": [i32("p_l%d" % n) for n in (1, 2, 3)], "pt": i32("p_total"), "f": i32("f"),
            "a_imp_total": mtrd_it.u_int(en[12:16])}


def main():
    port = mtrd_it.free_port()
    dd = mtrd_it.tmpdir("mb")
    d = mtrd_it.Daemon(METERD, ["--input", CFG, "--map", MAP, "--speed", "1", "--modbus-port",
                                str(port), "--modbus-bind", "127.0.0.1", "--data-dir", dd,
                                "--no-progress", "--no-table", "--report", "json"], "mb")
    frames, errors, mb = {}, [], []
    try:
        c = mtrd_it.modbus_client(port)
        chk.check(c is not None, "pymodbus connects to meterd on 127.0.0.1:%d" % port)
        if c is None:
            return

        def mbpoll_reader():
            time.sleep(1.0)
            for _ in range(3):
                try:
                    mb.append({"u100": mtrd_it.mbpoll(port, a("u_rms_l1"), 1, "4:int")[0],
                               "valid": mtrd_it.mbpoll(port, a("valid"), 1, "4:int")[0],
                               "pt_f": mtrd_it.mbpoll(port, RM["p_total"]["float"], 1,
                                                      "3:float")[0],
                               "a_kwh": mtrd_it.mbpoll(port, RM["e_a_imp_total"]["float"], 1,
                                                       "3:float")[0]})
                except (IOError, OSError) as e:
                    errors.append("mbpoll: %s" % e)
                time.sleep(0.6)

        t = threading.Thread(target=mbpoll_reader)
        t.start()
        while d.p.poll() is None:
            try:
                fr = read_frame(c)
            except (IOError, OSError, AttributeError, ModbusException) as e:
                # at the end of the replay meterd closes its server a moment before it
                # exits: a failed read then is the end, not an error (pymodbus raises its
                # own ConnectionException for the closed socket)
                try:
                    d.p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    errors.append(str(e))
                break
            if fr and fr["seq"] > 0 and fr["seq"] not in frames:
                frames[fr["seq"]] = fr
            time.sleep(0.02)
        t.join()
        c.close()
        rc = d.wait(30)
        chk.check(rc == 0, "meterd exits 0 at the end of the recording (exit %d)" % rc)
        try:
            rep = json.loads(d.stdout())
        except ValueError:
            rep = None
        chk.check(rep is not None, "replay report (JSON) on stdout")
    finally:
        d.cleanup()
        mtrd_it.rmtree(dd)
    chk.check(not errors, "no Modbus read errors while the daemon ran (%s)" % "; ".join(errors))
    seqs = sorted(frames)
    n_rep = rep["frames"] if rep else 0
    chk.check(len(seqs) >= 0.8 * n_rep and len(seqs) >= 10,
              "pymodbus saw %d distinct frames of the %d the report counts" % (len(seqs), n_rep))
    if not seqs:
        return
    fl = [frames[s] for s in seqs]
    chk.check(all(f["valid"] == 1 for f in fl), "data-valid is 1 in every frame read")
    chk.check(all(b["seq"] > x["seq"] for x, b in zip(fl, fl[1:])) and
              all(b["t_ms"] > x["t_ms"] for x, b in zip(fl, fl[1:])),
              "sequence counter and meter time increase (seq %d..%d)" % (seqs[0], seqs[-1]))
    e = [f["a_imp_total"] for f in fl]
    chk.check(all(y >= x for x, y in zip(e, e[1:])) and e[-1] > e[0],
              "+A total never decreases and rises: %d -> %d Wh" % (e[0], e[-1]))
    for n in range(3):
        u = math.sqrt(sum(f["u"][n] ** 2 for f in fl) / len(fl))
        p = sum(f["p"][n] for f in fl) / len(fl)
        chk.check(abs(u - U_REF[n]) <= 1e-3 * U_REF[n], "Urms L%d over Modbus (RMS of %d frames) "
                  "%.2f V, SOURCE.md %.2f V (%+.3f %%)" % (n + 1, len(fl), u, U_REF[n],
                                                          100 * (u / U_REF[n] - 1)))
        chk.check(abs(p - P_REF[n]) <= 1e-3 * P_REF[n], "P L%d over Modbus (mean of %d frames) "
                  "%.1f W, SOURCE.md %.1f W (%+.3f %%)" % (n + 1, len(fl), p, P_REF[n],
                                                          100 * (p / P_REF[n] - 1)))
    pt = sum(f["pt"] for f in fl) / len(fl)
    chk.check(abs(pt - PT_REF) <= 1e-3 * PT_REF, "P total over Modbus %.1f W, SOURCE.md %.1f W "
              "(%+.3f %%)" % (pt, PT_REF, 100 * (pt / PT_REF - 1)))
    fm = sum(f["f"] for f in fl) / len(fl)
    chk.check(abs(fm - 49.985) <= 0.010, "f over Modbus %.4f Hz, SOURCE.md 49.985 Hz" % fm)
    if rep:
        want = math.floor(rep["values"]["e_a_imp_total"] + 1e-9)
        chk.check(e[-1] == want or len(seqs) < n_rep,
                  "last +A over Modbus %d Wh = final register %s Wh truncated" % (
                      e[-1], rep["values"]["e_a_imp_total"]))
    chk.check(len(mb) >= 2, "mbpoll read %d times during the replay" % len(mb))
    u_seen = {f["u_raw_l1"] for f in fl}
    pt_seen = [f["pt"] for f in fl]
    for r in mb:
        chk.check(r["valid"] == 1, "mbpoll: data-valid %d" % r["valid"])
        chk.check(int(r["u100"]) in u_seen,
                  "mbpoll: Urms L1 %.2f V is the value of a frame pymodbus read" % (r["u100"] / 100))
        chk.check(any(abs(r["pt_f"] - x) <= 1e-5 * abs(x) + 0.1 for x in pt_seen),
                  "mbpoll: P total float %.1f W is the value of a frame pymodbus read "
                  "(mbpoll prints 6 digits)" % r["pt_f"])
        chk.check(e[0] / 1000 - 1 <= r["a_kwh"] <= e[-1] / 1000 + 1,
                  "mbpoll: +A total %.3f kWh within the range pymodbus saw" % r["a_kwh"])


main()
chk.finish()
