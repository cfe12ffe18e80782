#!/usr/bin/python3
"""Bad input: meterd exits with the documented code, names the file and the line or
byte offset on stderr, and leaves the register store as it was (or, for a corruption in
the middle of the data, holding only whole frames measured before the bad sample).

Bad files are made in a temp dir from copies of the shared recordings (never in the
repository). Exit codes (meterd --help): 1 bad data mid-stream, 2 usage, 3 input cannot
be opened or header malformed.

Usage: test_bad_input.py METERD WAVEFORMS_DIR
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402

METERD, WAVE = sys.argv[1:3]
chk = mtrd_it.Checks("test_bad_input")
PC = os.path.join(WAVE, "pycomtrade-generator-plant-records")
DZ = os.path.join(WAVE, "drouaz-appliances-fr-230v-50hz")
G1 = "U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1"
CSV = "data_pcPortable_1_20KHz_mesure1_excerpt_3s-3.5s.csv"
P_CSV_W = 21.56  # SOURCE.md, laptop excerpt


def edit_line(path, line_no, text):
    with open(path, "rb") as fh:
        lines = fh.read().split(b"\n")
    lines[line_no - 1] = text
    with open(path, "wb") as fh:
        fh.write(b"\n".join(lines))


def make(tmp):
    cases = []
    # COMTRADE .cfg with a bad analog line (line 5: channel 3's a is not a number)
    for ext in ("cfg", "dat"):
        shutil.copy(os.path.join(PC, "test3." + ext), os.path.join(tmp, "badcfg." + ext))
    edit_line(os.path.join(tmp, "badcfg.cfg"), 5,
              b"3,IC_G1,C,GER 1,A,x2.4557964802,0.0000000000,0,-32768,32767,2500,5,P\r")
    cases.append(dict(name="COMTRADE .cfg, bad number on line 5", input="badcfg.cfg",
                      args=["--map", G1], codes=(3,), where=r"badcfg\.cfg:5\b"))
    # COMTRADE .dat truncated in the middle of a record (74-byte records)
    shutil.copy(os.path.join(PC, "test3.cfg"), os.path.join(tmp, "trunc.cfg"))
    with open(os.path.join(PC, "test3.dat"), "rb") as fh:
        data = fh.read()
    with open(os.path.join(tmp, "trunc.dat"), "wb") as fh:
        fh.write(data[:74 * 10000 + 37])
    cases.append(dict(name="COMTRADE .dat truncated mid-record", input="trunc.cfg",
                      args=["--map", G1], codes=(1, 3), where=r"trunc\.dat.*(byte|offset)",
                      mid=True))
    # COMTRADE .cfg naming a channel count the .cfg does not have
    for ext in ("cfg", "dat"):
        shutil.copy(os.path.join(PC, "test3." + ext), os.path.join(tmp, "count." + ext))
    edit_line(os.path.join(tmp, "count.cfg"), 2, b"63,32A,31D\r")
    cases.append(dict(name="COMTRADE channel count mismatch (line 2)", input="count.cfg",
                      args=["--map", G1], codes=(3,), where=r"count\.(cfg|dat)"))
    # .mat truncated
    with open(os.path.join(DZ, "data_pcPortable_1_20KHz_mesure1.mat"), "rb") as fh:
        mat = fh.read()
    with open(os.path.join(tmp, "trunc.mat"), "wb") as fh:
        fh.write(mat[:100000])
    cases.append(dict(name=".mat truncated", input="trunc.mat", args=["--net", "1P2W"],
                      codes=(3,), where=r"trunc\.mat.*byte offset"))
    # .mat with a corrupt header (not MATLAB 5: version/endian bytes overwritten)
    with open(os.path.join(tmp, "hdr.mat"), "wb") as fh:
        fh.write(mat[:124] + b"\x00\x00XX" + mat[128:])
    cases.append(dict(name=".mat corrupt header (endian indicator)", input="hdr.mat",
                      args=["--net", "1P2W"], codes=(3,), where=r"hdr\.mat"))
    # .mat with bytes overwritten inside the first compressed element (zlib data)
    bad = bytearray(mat)
    bad[200000:200008] = b"\xde\xad\xbe\xef\xde\xad\xbe\xef"
    with open(os.path.join(tmp, "zlib.mat"), "wb") as fh:
        fh.write(bytes(bad))
    cases.append(dict(name=".mat corrupt compressed data", input="zlib.mat",
                      args=["--net", "1P2W"], codes=(1, 3), where=r"zlib\.mat.*(byte|offset|sample [0-9])"))
    # CSV: bad number, NaN, short row in the middle; unknown column in --map
    src = os.path.join(DZ, CSV)
    for tag, line in (("num", b"3.25,12x.5,0.1"), ("nan", b"3.25,nan,0.1"),
                      ("short", b"3.25,230.1")):
        p = os.path.join(tmp, "bad_%s.csv" % tag)
        shutil.copy(src, p)
        edit_line(p, 5001, line)
        cases.append(dict(name="CSV %s on line 5001" % {"num": "bad number", "nan": "NaN",
                                                         "short": "2 fields of 3"}[tag],
                          input=p, args=["--net", "1P2W"], codes=(1,),
                          where=r"bad_%s\.csv:5001\b" % tag, mid=True, bad_sample=4999))
    shutil.copy(src, os.path.join(tmp, "col.csv"))
    cases.append(dict(name="CSV unknown column in --map", input="col.csv",
                      args=["--net", "1P2W", "--map", "U1=voltage_V,I1=bogus_A"], codes=(2, 3),
                      where=r"col\.csv.*bogus_A"))
    cases.append(dict(name="missing file", input="nope.cfg", args=["--map", G1], codes=(3,),
                      where=r"nope\.cfg"))
    return cases


def main():
    tmp = mtrd_it.tmpdir("bad")
    dd = os.path.join(tmp, "data")
    try:
        cases = make(tmp)
        # a store with something in it first
        rc, rep, err = mtrd_it.replay_json(METERD, ["--input", os.path.join(DZ, CSV), "--net",
                                                    "1P2W", "--data-dir", dd])
        if not chk.check(rc == 0, "a good replay fills the store (exit %d)" % rc):
            return
        for c in cases:
            _, before = mtrd_it.stored(METERD, dd)
            inp = c["input"] if os.path.isabs(c["input"]) else os.path.join(tmp, c["input"])
            rc, out, err = mtrd_it.run(METERD, ["--input", inp, "--speed", "0", "--no-modbus",
                                                "--no-progress", "--no-table", "--data-dir", dd,
                                                *c["args"]], 60)
            errors = "\n".join(l for l in err.splitlines() if ": info:" not in l)
            chk.check(rc in c["codes"], "%s: exit %d, want %s" % (
                c["name"], rc, " or ".join(map(str, c["codes"]))))
            chk.check(re.search(c["where"], errors) is not None,
                      "%s: stderr names the file and where (/%s/): %r" % (
                          c["name"], c["where"], errors.strip()[-300:]))
            _, after = mtrd_it.stored(METERD, dd)
            if before is None or after is None:
                chk.check(False, "%s: store readable before and after" % c["name"])
                continue
            if c.get("mid") and rc == 1:
                # whole frames before the bad sample only
                added = after["Wh"]["e_a_imp_total"] - before["Wh"]["e_a_imp_total"]
                frames = after["frames"] - before["frames"]
                n_bad = c.get("bad_sample", 10000)
                max_frames = n_bad // (20000 // 5)  # 10 cycles of 50 Hz at 20 kHz = 4000
                max_wh = P_CSV_W * 1.2 * (n_bad / 20000.0) / 3600.0 if "bad_sample" in c \
                    else 1e9
                chk.check(0 <= frames <= max(max_frames, 0) + (0 if "bad_sample" in c else 99)
                          and 0 <= added <= max_wh,
                          "%s: store gained %d whole frames, %.6f Wh (bad sample %d)" % (
                              c["name"], frames, added, n_bad))
            else:
                chk.check(after["Wh"] == before["Wh"] and after["frames"] == before["frames"],
                          "%s: register store unchanged" % c["name"])
    finally:
        mtrd_it.rmtree(tmp)


main()
chk.finish()
