#!/usr/bin/python3
"""Real recordings with a 1-min capture period: profile entries match the registers (issue 3).

Each Drouaz .mat recording (${MTR_SHARED_DATA}/waveforms/drouaz-appliances-fr-230v-50hz,
kettle 10 s at 15 kHz, halogen 5 s, laptop 6 s, refrigerator 19 s at 20 kHz, 1P2W, channel maps as tests/integration/daemon/
test_recordings.py uses them) is replayed by meterd with --capture-energy 60 and a
--clock-start placed so that a minute boundary falls inside the recording, with
--frames-csv writing the registers after every frame (meter_time = frame end, UTC s).
Checks:
  * exactly one load-profile entry, at the minute boundary, status 0x04 (first interval:
    not measured whole);
  * its register columns (+A, -A, +R, -R) lie between the registers after the frame before
    the boundary and after the frame that contains it (within one frame's energy; the
    meter cuts the frame at the boundary), to the printed uWh;
  * its deltas equal its register values (first interval of a fresh meter);
  * after the run, --show-registers >= the entry;
  * `meterd --billing-reset` on the stopped meter creates a monthly billing entry whose
    +A -A +R -R totals and T1..T4 equal --show-registers exactly (kWh with 9 decimals vs
    Wh with 6: both whole uWh).

Usage: test_app_recordings.py METERD WAVEFORMS_DIR
"""
import csv
import datetime
import io
import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import mtrd_it  # noqa: E402

METERD, WAVE = sys.argv[1], sys.argv[2]
chk = mtrd_it.Checks("test_app_recordings")
DZ = os.path.join(WAVE, "drouaz-appliances-fr-230v-50hz")
# name, file, extra args, clock start (the boundary 10:01:00Z falls inside the recording)
CASES = [
    ("kettle (10 s, 15 kHz)", "data_bouilloire_1_15KHz_mesure1.mat",
     ["--map", "U1=voltage,I1=currentSensor1"], "2026-01-10T10:00:55Z"),
    ("halogen lamp (5 s, 20 kHz)", "data_lampeHalogene_1_20KHz_mesure1.mat", [],
     "2026-01-10T10:00:57Z"),
    ("laptop SMPS (6 s, 20 kHz)", "data_pcPortable_1_20KHz_mesure1.mat", [],
     "2026-01-10T10:00:56Z"),
    ("refrigerator (19 s, 20 kHz)", "data_refrigerateur_1_20KHz_mesure1.mat", [],
     "2026-01-10T10:00:42Z"),
]
BOUNDARY = "2026-01-10T10:01:00Z"
KINDS = [("a_imp", "e_a_imp_total"), ("a_exp", "e_a_exp_total"), ("r_imp", "e_r_imp_total"),
         ("r_exp", "e_r_exp_total")]
UWH = Decimal("0.000001")


def show_csv(data, log):
    rc, out, err = mtrd_it.run(METERD, ["--show", log, "--csv", "--data-dir", data], 30)
    if rc != 0 or not out.strip():
        return []
    rd = csv.reader(io.StringIO(out))
    head = [h.split(" [")[0] for h in next(rd)]
    return [dict(zip(head, r)) for r in rd]


def registers(data):
    rc, out, err = mtrd_it.run(METERD, ["--show-registers", "--data-dir", data,
                                        "--report", "json"], 30)
    return json.loads(out, parse_float=Decimal)["values"] if rc == 0 else None


def case(name, fname, extra, start):
    path = os.path.join(DZ, fname)
    if not os.path.exists(path):
        chk.check(False, "%s: %s missing" % (name, path))
        return
    data = mtrd_it.tmpdir("app-rec")
    try:
        fcsv = os.path.join(data, "frames.csv")
        rc, _, err = mtrd_it.run(METERD, ["--input", path, "--net", "1P2W", *extra,
                                          "--speed", "0", "--capture-energy", "60",
                                          "--clock-start", start, "--data-dir", data,
                                          "--frames-csv", fcsv, "--no-modbus", "--no-table",
                                          "--no-progress"], 60)
        if not chk.check(rc == 0, "%s: replay exit %d %s" % (name, rc, err.strip()[-200:])):
            return
        with open(fcsv) as fh:
            frames = list(csv.DictReader(fh))
        prof = show_csv(data, "profile_1")
        if not chk.check(len(prof) == 1 and prof[0]["time"] == BOUNDARY,
                         "%s: one profile entry at %s (got %s)" % (
                             name, BOUNDARY, [p["time"] for p in prof])):
            return
        e = prof[0]
        chk.check(e["status"] == "0x04", "%s: status %s, want 0x04 (first interval not whole)" %
                  (name, e["status"]))
        b_s = Decimal(int(datetime.datetime.strptime(BOUNDARY, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()))
        k = next(i for i, f in enumerate(frames) if Decimal(f["meter_time"]) >= b_s)
        before = frames[k - 1] if k > 0 else None
        after = frames[k]
        bad = []
        for col, reg in KINDS:
            v = Decimal(e[col]) * 1000  # kWh -> Wh
            lo = Decimal(before[reg]) if before else Decimal(0)
            hi = Decimal(after[reg])
            if not (lo - UWH <= v <= hi + UWH):
                bad.append("%s %s Wh not in [%s, %s]" % (col, v, lo, hi))
            if e["d_" + col] != e[col]:
                bad.append("d_%s %s != %s" % (col, e["d_" + col], e[col]))
        chk.check(not bad, "%s: entry +A %s Wh between the registers after frames %s and %s "
                  "(%s .. %s Wh), deltas == registers %s" % (
                      name, Decimal(e["a_imp"]) * 1000, before["seq"] if before else "-",
                      after["seq"], before["e_a_imp_total"] if before else 0,
                      after["e_a_imp_total"], bad))
        reg = registers(data)
        if not chk.check(reg is not None, "%s: --show-registers" % name):
            return
        low = [c for c, r in KINDS if reg[r] < Decimal(e[c]) * 1000]
        chk.check(not low, "%s: --show-registers (+A %s Wh) >= the entry (%s)" % (
            name, reg["e_a_imp_total"], low))
        rc, out, err = mtrd_it.run(METERD, ["--billing-reset", "--data-dir", data], 30)
        chk.check(rc == 0, "%s: --billing-reset exit %d %s" % (name, rc, (out + err)[-200:]))
        bill = show_csv(data, "billing_monthly")
        reg2 = registers(data)
        if not chk.check(len(bill) == 1 and reg2 is not None,
                         "%s: one monthly entry after --billing-reset (%d)" % (name, len(bill))):
            return
        b = bill[0]
        bad = []
        for col, r in KINDS:
            base = r[:-len("_total")]
            if Decimal(b[col]) * 1000 != reg2[r]:
                bad.append("%s: entry %s Wh, registers %s Wh" % (col, Decimal(b[col]) * 1000,
                                                                 reg2[r]))
            for t in range(1, 5):
                if Decimal(b["%s_t%d" % (col, t)]) * 1000 != reg2["%s_t%d" % (base, t)]:
                    bad.append("%s_t%d" % (col, t))
        chk.check(not bad, "%s: billing-reset entry == --show-registers exactly (+A %s kWh) %s" %
                  (name, b["a_imp"], bad))
        chk.check(reg2 == reg, "%s: --billing-reset did not change the registers" % name)
    finally:
        mtrd_it.rmtree(data)


def main():
    for c in CASES:
        case(*c)
    chk.finish()


main()
