#!/usr/bin/python3
"""A synthetic month through the real meterd: CLI history and the Modbus map (issue 3).

1. `meterd --source frames --frame-s 60 --speed 0 --duration 2678400 --clock-start
   2025-12-31T23:00:00Z --timezone-min 60` with a T1 06:00-22:00 / T2 calendar replays
   January 2026 (CET) in seconds. Then `--show billing|daily|profile --csv` and
   `--show-registers --report json` are read back and checked:
   * counts: 1 monthly entry, 31 daily entries, 31 x 96 load-profile entries;
   * grid: profile entries every 15 min from 00:15 CET, daily at local midnight, the
     monthly entry at 2026-02-01 00:00 CET; seq contiguous from 1; status 0x00;
   * sums: T1+T2+T3+T4 == total for +A, -A, +R, -R in every billing entry, exactly (the
     CSV prints kWh with 9 decimals: whole uWh, compared as decimals);
   * profile deltas == differences of consecutive register columns (the first == the
     register), daily period energies == differences of consecutive daily registers;
   * maximum demand: +P MD == max over the tariffs' MD; each MD time on the 5-min grid;
   * the monthly entry at the end == --show-registers (register store) exactly, per
     column, for the totals and T1..T4.
2. The same data directory, a few more minutes of meter time with Modbus on
   (--speed 30, 60-s frames: the published snapshot stays for 2 s), read with
   pymodbus at the addresses of docs/modbus-native.md: T1..T4 (500..) against the total
   (+A 312 ...): each tariff register is the truncated Wh of a uWh register, so
   floor(total) - sum(floor(Tn)) is 0..3 Wh; the tariff in force (580) is the calendar's;
   after SIGTERM every register read equals --show-registers truncated to Wh.

Usage: test_daemon_month.py MTERD MODBUS_NATIVE_MD
"""
import csv
import datetime
import io
import json
import os
import signal
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import mtrd_it  # noqa: E402

METERD, DOC = sys.argv[1], sys.argv[2]
chk = mtrd_it.Checks("test_daemon_month")
T0 = datetime.datetime(2025, 12, 31, 23, 0, 0, tzinfo=datetime.timezone.utc)
CAL = ["--timezone-min", "60", "--day", "1: 00:00 T2, 06:00 T1, 22:00 T2",
       "--week", "wk: 1 1 1 1 1 1 1", "--season", "all: 01-01 00:00 wk"]
KINDS = [("a_imp", "e_a_imp"), ("a_exp", "e_a_exp"), ("r_imp", "e_r_imp"), ("r_exp", "e_r_exp")]


def utc(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def show(data, log, *extra):
    """--show LOG --csv: list of dicts with Decimal values (column name without unit)."""
    rc, out, err = mtrd_it.run(METERD, ["--show", log, "--csv", "--data-dir", data, *extra], 60)
    if rc != 0:
        chk.check(False, "--show %s exit %d: %s" % (log, rc, err.strip()[-300:]))
        return []
    rows = []
    rd = csv.reader(io.StringIO(out))
    head = [h.split(" [")[0] for h in next(rd)]
    for r in rd:
        if len(r) != len(head):
            chk.check(False, "--show %s: row %r has %d columns, header %d" % (log, r[:3], len(r),
                                                                              len(head)))
            continue
        d = {}
        for h, v in zip(head, r):
            if h in ("time", "status", "text"):
                d[h] = v
            elif h == "seq":
                d[h] = int(v)
            else:
                d[h] = Decimal(v)
        rows.append(d)
    return rows


def registers(data):
    """--show-registers --report json: values (Wh, varh) as Decimal."""
    rc, out, err = mtrd_it.run(METERD, ["--show-registers", "--data-dir", data,
                                        "--report", "json"], 30)
    if rc != 0:
        chk.check(False, "--show-registers exit %d: %s" % (rc, err.strip()[-300:]))
        return None
    return json.loads(out, parse_float=Decimal)["values"]


def check_seq(rows, log):
    seqs = [r["seq"] for r in rows]
    chk.check(seqs == list(range(1, len(rows) + 1)),
              "%s: seq contiguous 1..%d (first %s, last %s)" % (log, len(rows), seqs[:1],
                                                                 seqs[-1:]))


def month(data):
    args = ["--source", "frames", "--frame-s", "60", "--speed", "0", "--duration", "2678400",
            "--clock-start", "2025-12-31T23:00:00Z", *CAL, "--data-dir", data,
            "--no-modbus", "--no-table", "--no-progress"]
    t = time.time()
    rc, _, err = mtrd_it.run(METERD, args, 120)
    chk.check(rc == 0, "month replay exit %d in %.1f s %s" % (rc, time.time() - t,
                                                              err.strip()[-300:] if rc else ""))
    # ---- load profile 1 ----
    prof = show(data, "profile")
    chk.check(len(prof) == 31 * 96, "profile: %d entries, want 31 x 96 = 2976" % len(prof))
    check_seq(prof, "profile")
    bad_grid = [(r["seq"], r["time"]) for i, r in enumerate(prof)
                if utc(r["time"]) != T0 + datetime.timedelta(minutes=15 * (i + 1))]
    chk.check(not bad_grid, "profile: every entry on the 15-min grid from 2025-12-31T23:15Z "
              "(off-grid: %s)" % bad_grid[:3])
    bad_st = [(r["seq"], r["status"]) for r in prof if r["status"] != "0x00"]
    chk.check(not bad_st, "profile: status 0x00 everywhere (else %s)" % bad_st[:3])
    bad_d = []
    prev = {k: Decimal(0) for k, _ in KINDS}
    for r in prof:
        for k, _ in KINDS:
            if r["d_" + k] != r[k] - prev[k]:
                bad_d.append((r["seq"], k, r["d_" + k], r[k] - prev[k]))
            prev[k] = r[k]
    chk.check(not bad_d, "profile: every delta == difference of consecutive registers, the "
              "first == the register (mismatches: %s)" % bad_d[:3])
    # ---- daily billing ----
    daily = show(data, "daily")
    chk.check(len(daily) == 31, "daily: %d entries, want 31" % len(daily))
    check_seq(daily, "daily")
    bad = [(r["seq"], r["time"]) for i, r in enumerate(daily)
           if utc(r["time"]) != T0 + datetime.timedelta(days=i + 1)]
    chk.check(not bad, "daily: entries at local midnight (23:00Z) (else %s)" % bad[:3])
    check_billing_rows(daily, "daily")
    prev = {k: Decimal(0) for k, _ in KINDS}
    bad = []
    for r in daily:
        for k, _ in KINDS:
            if r["period_" + k] != r[k] - prev[k]:
                bad.append((r["seq"], k))
            prev[k] = r[k]
    chk.check(not bad, "daily: period energies == differences of the daily registers "
              "(else %s)" % bad[:3])
    # the daily register at each midnight == the profile register at the same instant
    pt = {r["time"]: r for r in prof}
    bad = [(r["seq"], k) for r in daily for k, _ in KINDS
           if r["time"] in pt and pt[r["time"]][k] != r[k]]
    chk.check(not bad, "daily registers == profile registers at the same instant (else %s)"
              % bad[:3])
    # ---- monthly billing ----
    bill = show(data, "billing")
    chk.check(len(bill) == 1, "billing: %d monthly entries, want 1" % len(bill))
    check_seq(bill, "billing")
    if bill:
        b = bill[0]
        chk.check(b["time"] == "2026-01-31T23:00:00Z",
                  "billing: entry at %s, want 2026-01-31T23:00:00Z (02-01 00:00 CET)" % b["time"])
        check_billing_rows(bill, "billing")
        for k, _ in KINDS:
            chk.check(b["period_" + k] == b[k], "billing: period %s == register (first period "
                      "of a fresh meter): %s kWh" % (k, b[k]))
        chk.check(daily and all(b[k] == daily[-1][k] for k, _ in KINDS),
                  "billing registers == the daily entry at the same instant")
        reg = registers(data)
        if reg is not None:
            bad = []
            for k, name in KINDS:
                for sfx, col in [("_total", "")] + [("_t%d" % t, "_t%d" % t) for t in range(1, 5)]:
                    want = reg[name + sfx]
                    got = b[k + col] * 1000
                    if got != want:
                        bad.append("%s%s: entry %s Wh, registers %s Wh" % (k, col, got, want))
            chk.check(not bad, "billing entry at the end == --show-registers exactly for +A -A "
                      "+R -R totals and T1..T4 (+A %s kWh) %s" % (b["a_imp"], bad[:3]))
    return prof, daily, bill


def check_billing_rows(rows, log):
    bad = []
    for r in rows:
        for k, _ in KINDS:
            s = sum(r["%s_t%d" % (k, t)] for t in range(1, 5))
            if s != r[k]:
                bad.append((r["seq"], k, s, r[k]))
    chk.check(not bad, "%s: T1+T2+T3+T4 == total exactly for +A -A +R -R in %d entries "
              "(else %s)" % (log, len(rows), bad[:3]))
    bad = []
    for r in rows:
        md_t = [r["md_p_imp_t%d" % t] for t in range(1, 5)]
        if max(md_t) != r["md_p_imp"]:
            bad.append((r["seq"], "max of tariff MD %s != MD %s" % (max(md_t), r["md_p_imp"])))
        for c in ("md_p_imp_time", "md_p_exp_time"):
            if r[c] != 0 and (int(r[c]) - int(T0.timestamp())) % 300 != 0:
                bad.append((r["seq"], "%s %s not on the 5-min grid" % (c, r[c])))
            if r[c] != 0 and not (T0.timestamp() < int(r[c]) <= utc(r["time"]).timestamp()):
                bad.append((r["seq"], "%s %s outside the period" % (c, r[c])))
    chk.check(not bad, "%s: MD +P == max of the tariffs' MD, MD times on the 5-min demand grid "
              "inside the period (else %s)" % (log, bad[:3]))


def modbus_phase(data):
    rm = mtrd_it.parse_regmap(DOC)
    port = mtrd_it.free_port()
    # 60-s frames at 30x real time: a frame every 2 s; meterd acts on SIGTERM only when the
    # running frame's wall time has passed (pace() does not look at the stop flag; reported).
    d = mtrd_it.Daemon(METERD, ["--source", "frames", "--frame-s", "60", "--speed", "30",
                                "--duration", "900", *CAL, "--data-dir", data,
                                "--modbus-port", str(port), "--modbus-bind", "127.0.0.1",
                                "--no-table", "--no-progress"], "mb")
    try:
        c = mtrd_it.modbus_client(port)
        if not chk.check(c is not None, "Modbus TCP connect on 127.0.0.1:%d" % port):
            return
        vals = None
        frames_seen = set()
        t_end = time.time() + 20
        while time.time() < t_end:
            h1 = mtrd_it.regs(c, 0, 6)
            # words 2..3: frame sequence (the generator restarts it at 0), 4..5: data valid
            if mtrd_it.u_int(h1[4:6]) != 1:
                time.sleep(0.05)
                continue
            frames_seen.add(mtrd_it.u_int(h1[2:4]))
            if len(frames_seen) < 5:  # a few minutes of meter time first
                time.sleep(0.05)
                continue
            tot = mtrd_it.regs(c, rm["e_a_imp_total"]["addr"], 4)
            tar = mtrd_it.regs(c, 500, 84)  # 500..583: tariff registers, tariff, billing count
            dem = mtrd_it.regs(c, 600, 48)
            h2 = mtrd_it.regs(c, 0, 10)
            if h1[2:4] == h2[2:4]:
                vals = (tot, tar, dem)
                t_ms = mtrd_it.u_int(h2[6:10])
                d.p.send_signal(signal.SIGTERM)  # at once: no further frame after this one
                break
        if not chk.check(vals is not None, "a consistent Modbus reading (sequence unchanged)"):
            return
        tot, tar, dem = vals

        def u64(words, off):
            return mtrd_it.u_int(words[off:off + 4])

        a_tot = u64(tot, 0)
        names = ["e_a_imp", "e_a_exp", "e_r_imp", "e_r_exp"]
        t_sum = {}
        for j, n in enumerate(names):
            t_sum[n] = [u64(tar, 16 * j + 4 * t) for t in range(4)]
        s = sum(t_sum["e_a_imp"])
        chk.check(0 <= a_tot - s <= 3, "Modbus: +A total (312) %d Wh, T1..T4 (500..) %s sum %d Wh: "
                  "difference %d within 0..3 Wh (each register truncated to Wh)"
                  % (a_tot, t_sum["e_a_imp"], s, a_tot - s))
        tariff = mtrd_it.u_int(tar[80:82])
        billing_count = mtrd_it.u_int(tar[82:84])
        chk.check(billing_count == 1, "Modbus: billing count (582) %d == 1" % billing_count)
        c.close()
        t_term = time.time()
        rc = d.wait(30)
        chk.check(rc == 0, "SIGTERM: exit %d after %.1f s" % (rc, time.time() - t_term))
        reg = registers(data)
        if reg is None:
            return
        meter_t = datetime.datetime.fromtimestamp(t_ms / 1000.0, datetime.timezone.utc)
        local = meter_t + datetime.timedelta(minutes=60) - datetime.timedelta(seconds=1)
        want_tariff = 1 if 6 <= local.hour < 22 else 2
        chk.check(tariff == want_tariff, "Modbus: tariff in force (580) T%d at meter time %s, "
                  "calendar says T%d" % (tariff, meter_t.isoformat(), want_tariff))
        bad = []
        for n in names:
            w = int(reg[n + "_total"])
            if n == "e_a_imp" and w != a_tot:
                bad.append("%s_total Modbus %d, registers %d" % (n, a_tot, w))
            for t in range(4):
                wt = int(reg["%s_t%d" % (n, t + 1)])
                if t_sum[n][t] != wt:
                    bad.append("%s_t%d Modbus %d, registers %d" % (n, t + 1, t_sum[n][t], wt))
            ts = sum(reg["%s_t%d" % (n, t)] for t in range(1, 5))
            if ts != reg[n + "_total"]:
                bad.append("%s: registers T1..T4 sum %s != total %s" % (n, ts, reg[n + "_total"]))
        chk.check(not bad, "Modbus tariff registers == --show-registers truncated to Wh after "
                  "SIGTERM, and there T1..T4 == total exactly (%s)" % bad[:3])
        md = mtrd_it.u_int(dem[16:18], True)
        md_t = [mtrd_it.u_int(dem[24 + 2 * t:26 + 2 * t], True) for t in range(4)]
        chk.check(md == max(md_t), "Modbus: MD +P (616) %d == max of T1..T4 MD (624..) %s" %
                  (md, md_t))
    finally:
        d.cleanup()


def main():
    data = mtrd_it.tmpdir("app-month")
    try:
        month(data)
        modbus_phase(data)
    finally:
        mtrd_it.rmtree(data)
    chk.finish()


main()
