#!/usr/bin/env python3
"""Generate the synthetic COMTRADE vectors of tests/vectors/comtrade/ (fixed seed).

Each vector is a pure sine (integer number of cycles in the record), so the
expected RMS and mean power are closed forms: Urms = Upk/sqrt(2), P = Urms*Irms*cos(phi).
The test (tests/unit/comtrade/test_comtrade.c) states those closed forms; this
tool only writes the files. Run: tools/gen_comtrade_vectors.py tests/vectors/comtrade
Output is deterministic (random.Random(SEED) only picks the start phase).
"""
import math
import os
import random
import struct
import sys

SEED = 20240305


def sine(pk, f_hz, fs_hz, n, phi):
    return [pk * math.sin(2 * math.pi * f_hz * k / fs_hz + phi) for k in range(n)]


def three_phase(pk, f_hz, fs_hz, n, phi0, lag=0.0):
    return [sine(pk, f_hz, fs_hz, n, phi0 - lag - p * 2 * math.pi / 3) for p in range(3)]


def write(path, text, newline):
    with open(path, "wb") as f:
        f.write(text.replace("\n", newline).encode("ascii"))


def analog_line(i, name, ph, ccbm, uu, a, ratio=None):
    s = f"{i},{name},{ph},{ccbm},{uu},{a!r},0,0,-2147483647,2147483647"
    if ratio is not None:
        s += f",{ratio[0]},{ratio[1]},{ratio[2]}"
    return s


def counts(values, a):
    return [int(round(v / a)) for v in values]


def gen_ascii_1999(out, rng):
    # 50 Hz, 1000 Hz, 200 samples = 10 cycles; U 230 V rms in kV (0.1 V/count), I 10 A rms lagging 30 deg.
    fs, n, f = 1000, 200, 50
    phi = rng.uniform(0, 2 * math.pi)
    u = three_phase(230 * math.sqrt(2) / 1000, f, fs, n, phi)  # kV
    i = three_phase(10 * math.sqrt(2), f, fs, n, phi, math.radians(30))
    au, ai = 0.0001, 0.001
    lines = ["Synthetic ASCII,meterd-gen,1999", "7,6A,1D"]
    for p, ph in enumerate("ABC"):
        lines.append(analog_line(p + 1, f"V{ph}_FDR", ph, "FEEDER 1", "kV", au, (20, 0.1, "P")))
    for p, ph in enumerate("ABC"):
        lines.append(analog_line(p + 4, f"I{ph}_FDR", ph, "FEEDER 1", "A", ai, (400, 5, "P")))
    lines += ["1,BRK,,FEEDER 1,0", "50", "1", f"{fs},{n}",
              "05/03/2024,12:00:00.000000", "05/03/2024,12:00:00.100000", "ASCII", "1"]
    write(os.path.join(out, "ascii_1999.cfg"), "\n".join(lines) + "\n", "\n")
    cu = [counts(x, au) for x in u]
    ci = [counts(x, ai) for x in i]
    rows = []
    for k in range(n):
        vals = [cu[p][k] for p in range(3)] + [ci[p][k] for p in range(3)]
        rows.append(f"{k + 1},{k * 1000}," + ",".join(str(v) for v in vals) + ",0")
    write(os.path.join(out, "ascii_1999.dat"), "\n".join(rows) + "\n", "\n")
    return cu, ci


def gen_binary32_2013(out, rng):
    # 60 Hz, 4000 Hz, 400 samples = 6 cycles, stored as SECONDARY values:
    # U 100/sqrt(3) V rms (VT 20000/100), I 4 A rms in mA (CT 600/5), in phase.
    # Two rate segments of the same rate (200 + 200 samples).
    fs, n, f = 4000, 400, 60
    phi = rng.uniform(0, 2 * math.pi)
    u = three_phase(100 / math.sqrt(3) * math.sqrt(2), f, fs, n, phi)
    i = three_phase(4000 * math.sqrt(2), f, fs, n, phi)  # mA
    au, ai = 1e-5, 0.01
    lines = ["Synthetic B32,meterd-gen,2013", "6,6A,0D"]
    for p, ph in enumerate("RST"):
        lines.append(analog_line(p + 1, f"Bus U{ph}", "", "", "V", au, (20000, 100, "S")))
    for p, ph in enumerate("RST"):
        lines.append(analog_line(p + 4, f"Line I{ph}", "", "", "mA", ai, (600, 5, "S")))
    lines += ["60", "2", f"{fs},200", f"{fs},{n}",
              "01/02/2024,00:00:00.500000", "01/02/2024,00:00:00.550000", "BINARY32", "1",
              "-5h30,+1", "A,0"]
    write(os.path.join(out, "binary32_2013.cfg"), "\n".join(lines) + "\n", "\r\n")
    cu = [counts(x, au) for x in u]
    ci = [counts(x, ai) for x in i]
    with open(os.path.join(out, "binary32_2013.dat"), "wb") as fh:
        for k in range(n):
            vals = [cu[p][k] for p in range(3)] + [ci[p][k] for p in range(3)]
            fh.write(struct.pack("<II6i", k + 1, k * 250, *vals))


def gen_nrates0(out, rng):
    # Single phase, BINARY 1999, nrates = 0: timestamps in units of timemult = 10 us,
    # step 25 -> 250 us -> 4000 Hz. 50 Hz, 800 samples = 10 cycles; U 230 V, I 5 A, PF 0.5 lagging.
    n, f, fs = 800, 50, 4000
    phi = rng.uniform(0, 2 * math.pi)
    u = sine(230 * math.sqrt(2), f, fs, n, phi)
    i = sine(5 * math.sqrt(2), f, fs, n, phi - math.radians(60))
    au, ai = 0.01, 0.0005
    lines = ["Synthetic nrates0,meterd-gen,1999", "2,2A,0D",
             analog_line(1, "U1", "", "", "V", au, (1, 1, "P")),
             analog_line(2, "I1", "", "", "A", ai, (1, 1, "P")),
             "50", "0", f"0,{n}",
             "29/02/2024,23:59:59.999999", "01/03/2024,00:00:00.000000", "BINARY", "10"]
    write(os.path.join(out, "nrates0.cfg"), "\n".join(lines) + "\n", "\r\n")
    cu, ci = counts(u, au), counts(i, ai)
    with open(os.path.join(out, "nrates0.dat"), "wb") as fh:
        for k in range(n):
            fh.write(struct.pack("<IIhh", k + 1, 1000 + 25 * k, cu[k], ci[k]))


def gen_1991(out, rng):
    # 1991: no revision year, 10-field analog lines, 3-field digital lines, mm/dd/yy dates,
    # no timemult. Phases by name only (R/S/T). kV and kA. 50 Hz at 2000 Hz, 400 samples.
    n, f, fs = 400, 50, 2000
    phi = rng.uniform(0, 2 * math.pi)
    u = three_phase(11 / math.sqrt(3) * math.sqrt(2), f, fs, n, phi)  # kV
    i = three_phase(0.2 * math.sqrt(2), f, fs, n, phi, math.radians(-20))  # kA, leading
    au, ai = 0.001, 0.0001
    lines = ["OLD STATION,REC 7", "8,6A,2D"]
    for p, ph in enumerate("RST"):
        lines.append(f"{p + 1},VR_BUS".replace("VR", "V" + ph) + f",,BUS,kV,{au},0,0,-32767,32767")
    for p, ph in enumerate("RST"):
        lines.append(f"{p + 4},I{ph}_BUS,,BUS,kA,{ai},0,0,-32767,32767")
    lines += ["1,TRIP,0", "2,CB,1", "50", "1", f"{fs},{n}",
              "03/05/94,08:30:00.000", "03/05/94,08:30:00.100", "ASCII"]
    write(os.path.join(out, "v1991.cfg"), "\n".join(lines) + "\n", "\r\n")
    cu = [counts(x, au) for x in u]
    ci = [counts(x, ai) for x in i]
    rows = []
    for k in range(n):
        vals = [cu[p][k] for p in range(3)] + [ci[p][k] for p in range(3)]
        rows.append(f"{k + 1},{k * 500}," + ",".join(str(v) for v in vals) + ",0,1")
    write(os.path.join(out, "v1991.Dat"), "\n".join(rows) + "\n", "\r\n")


def gen_bad(out):
    # Missing-value and non-finite cases, small and fixed (no randomness needed).
    # missing_ascii: 1999 ASCII, 99999 in channel VB at sample 17 (line 17).
    lines = ["Missing,gen,1999", "2,2A,0D",
             "1,VB,B,X,V,0.1,0,0,-32767,32767,1,1,P", "2,IB,B,X,A,0.01,0,0,-32767,32767,1,1,P",
             "50", "1", "1000,20", "01/01/2024,00:00:00.000000", "01/01/2024,00:00:00.000000",
             "ASCII", "1"]
    write(os.path.join(out, "missing_ascii.cfg"), "\n".join(lines) + "\n", "\n")
    rows = [f"{k + 1},{k * 1000},{99999 if k == 16 else 100 + k},{k}" for k in range(20)]
    write(os.path.join(out, "missing_ascii.dat"), "\n".join(rows) + "\n", "\n")
    # missing_bin: BINARY, 0x8000 in channel 2 (I) of record 10 -> byte offset 9*12 + 8 + 2 = 118.
    lines[0] = "MissingBin,gen,1999"
    lines[9] = "BINARY"
    write(os.path.join(out, "missing_bin.cfg"), "\n".join(lines) + "\n", "\n")
    with open(os.path.join(out, "missing_bin.dat"), "wb") as fh:
        for k in range(20):
            fh.write(struct.pack("<IIhH", k + 1, k * 1000, 100, 0x8000 if k == 9 else 7))
    # nan_float: FLOAT32 2013, NaN in channel 1 (U) of record 5 -> byte offset 4*16 + 8 = 72.
    lines = ["NaN,gen,2013", "2,2A,0D",
             "1,U,A,X,V,1,0,0,-1e6,1e6,1,1,P", "2,I,A,X,A,1,0,0,-1e6,1e6,1,1,P",
             "50", "1", "1000,20", "01/01/2024,00:00:00.000000", "01/01/2024,00:00:00.000000",
             "FLOAT32", "1", "+0,+0", "0,0"]
    write(os.path.join(out, "nan_float.cfg"), "\n".join(lines) + "\n", "\n")
    with open(os.path.join(out, "nan_float.dat"), "wb") as fh:
        for k in range(20):
            fh.write(struct.pack("<IIff", k + 1, k * 1000, float("nan") if k == 4 else 1.5, 2.0))
    # multirate: two different rates -> the meter cannot take it (ENOTSUP), the parser can.
    lines = ["Multi,gen,1999", "2,2A,0D",
             "1,U,A,X,V,1,0,0,-32767,32767,1,1,P", "2,I,A,X,A,1,0,0,-32767,32767,1,1,P",
             "50", "2", "4000,8", "1000,12", "01/01/2024,00:00:00.000000",
             "01/01/2024,00:00:00.000000", "BINARY", "1"]
    write(os.path.join(out, "multirate.cfg"), "\n".join(lines) + "\n", "\n")
    with open(os.path.join(out, "multirate.dat"), "wb") as fh:
        for k in range(12):
            fh.write(struct.pack("<IIhh", k + 1, k * 250, 1, 1))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/comtrade"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    gen_ascii_1999(out, rng)
    gen_binary32_2013(out, rng)
    gen_nrates0(out, rng)
    gen_1991(out, rng)
    gen_bad(out)


if __name__ == "__main__":
    main()
