#!/usr/bin/python3
"""kill -9 at random instants during a replay with a persistent --data-dir.

Each round starts meterd on pycomtrade test3 (G1, 13.4 MW, so +A grows by about 744 Wh
per 10-cycle frame) at --speed 2 with Modbus on a free port and the same data dir, waits
a random time (seeded RNG), reads +A total (uint64 Wh) and the frame sequence over
Modbus, and sends SIGKILL at once. Then `meterd --show-registers --data-dir D --report
json` must show:

  * +A total >= the value the Modbus client saw (what a client saw is durable);
  * +A total >= the value stored after the previous round (never backwards);
  * +A total - seen <= the energy of the frames that can close between the read and the
    kill (wall time x speed / 0.2 s, plus one) x 760 Wh, plus 1 Wh of truncation: the
    store holds nothing that was not measured;
  * the store's frame count never decreases.

Usage: test_kill9.py METERD WAVEFORMS_DIR MODBUS_NATIVE_MD [--rounds N] [--seed S]
"""
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402

METERD, WAVE, DOC = sys.argv[1:4]
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 50
SEED = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20240601
SPEED = 2.0
# test3 G1: P total 13.39 MW (SOURCE.md); a 10-cycle frame at 49.985 Hz lasts 0.2001 s,
# so a frame adds 13.39e6 x 0.2001 / 3600 = 744 Wh to +A total. Bound with margin:
FRAME_WH_MAX = 760.0
chk = mtrd_it.Checks("test_kill9")
RM = mtrd_it.parse_regmap(DOC)
CFG = os.path.join(WAVE, "pycomtrade-generator-plant-records/test3.cfg")
MAP = "U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1"


def stored_a(dd):
    rc, st = mtrd_it.stored(METERD, dd)
    if st is None:
        return rc, None, None
    return rc, st["Wh"]["e_a_imp_total"], st["frames"]


def main():
    rng = random.Random(SEED)
    dd = mtrd_it.tmpdir("kill9")
    a_addr = RM["e_a_imp_total"]["addr"]
    prev_a, prev_frames = 0.0, 0
    seen_count = 0
    try:
        for r in range(ROUNDS):
            port = mtrd_it.free_port()
            d = mtrd_it.Daemon(METERD, ["--input", CFG, "--map", MAP, "--speed", str(SPEED),
                                        "--modbus-port", str(port), "--modbus-bind", "127.0.0.1",
                                        "--data-dir", dd, "--no-progress", "--no-table"], "k9")
            delay = rng.uniform(0.0, 1.5)
            seen = None
            t_read = None
            try:
                deadline = time.monotonic() + delay
                c = mtrd_it.modbus_client(port, timeout_s=1.0, tries=max(1, int(delay / 0.05)))
                time.sleep(max(0.0, deadline - time.monotonic()))
                if c is not None:
                    try:
                        t_read = time.monotonic()
                        seen = mtrd_it.u_int(mtrd_it.regs(c, a_addr, 4))
                        valid = mtrd_it.u_int(mtrd_it.regs(c, RM["valid"]["addr"], 2))
                        if valid != 1:
                            seen = None  # no frame yet: registers as loaded
                    except (IOError, OSError, AttributeError):
                        seen = None
                os.kill(d.p.pid, signal.SIGKILL)
                t_kill = time.monotonic()
                if c is not None:
                    c.close()
            finally:
                rc_d = d.kill()
                err = d.stderr()
                d.cleanup()
            rc, a, frames = stored_a(dd)
            tag = "round %d (kill after %.3f s)" % (r, delay)
            if not chk.check(a is not None, "%s: --show-registers reads the store (exit %d)%s" % (
                    tag, rc, "" if a is not None else " -- daemon stderr: " + err[-300:])):
                continue
            chk.check(rc_d == -signal.SIGKILL,
                      "%s: daemon ended by SIGKILL during the replay (exit %s)" % (tag, rc_d))
            chk.check(a + 1e-6 >= prev_a, "%s: +A %.6f Wh >= previous stored %.6f Wh" % (
                tag, a, prev_a))
            chk.check(frames is not None and frames >= prev_frames,
                      "%s: stored frame count %s >= previous %d" % (tag, frames, prev_frames))
            if seen is not None:
                seen_count += 1
                chk.check(a + 1e-6 >= seen, "%s: stored +A %.6f Wh >= %d Wh read over Modbus" % (
                    tag, a, seen))
                # frames the replay may add between the read and the kill; +1 s because the
                # real-time pacing catches up with a burst after a CPU stall on a busy machine
                n_max = int((t_kill - t_read + 1.0) * SPEED / 0.2) + 2
                chk.check(a - seen <= n_max * FRAME_WH_MAX + 1.0,
                          "%s: stored - seen = %.3f Wh <= %d frames x %g Wh + 1 Wh" % (
                              tag, a - seen, n_max, FRAME_WH_MAX))
            prev_a, prev_frames = a, frames or prev_frames
    finally:
        mtrd_it.rmtree(dd)
    chk.check(seen_count >= ROUNDS // 2, "a Modbus reading preceded %d of %d kills" % (
        seen_count, ROUNDS))
    chk.check(prev_a > 0, "+A grew to %.3f Wh over %d rounds" % (prev_a, ROUNDS))


main()
chk.finish()
