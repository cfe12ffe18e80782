#!/usr/bin/python3
"""kill -9 across profile and billing boundaries: the history stays whole (issue 3).

Each round starts `meterd --source frames --frame-s 1 --speed 0` with 1-min capture
periods for every profile (--capture-energy/pq/amm 60), daily and monthly billing, on the
same data directory, waits a random 0.05..0.6 s (seeded RNG) and sends SIGKILL. The meter
clock continues from meter.nv, the frame generator restarts at the meter clock. The first
start is 2026-01-31T21:00Z (22:00 CET), so the first rounds cross the monthly billing of
2026-02-01 00:00 CET, and later ones several daily billings.

After every round, every log is read with `meterd --show LOG --csv` and the registers with
`--show-registers --report json`:
  * every row has all the columns of the header, none empty (no partial entry);
  * seq contiguous from 1; times strictly increasing (profiles, billing), not decreasing
    (event logs); profile entries on the 1-min grid;
  * profile_1: each delta == the difference of consecutive register columns (the first ==
    the register: the meter starts at zero);
  * billing entries: T1+T2+T3+T4 == total exactly (+A -A +R -R);
  * the rows seen after an earlier round are still there, unchanged (no entry lost or
    rewritten), except the newest one of each log, which a start may legitimately re-create
    if the kill fell between history.db and meter.nv: that case is counted and reported;
  * registers never go backwards between rounds; T1..T4 == total in the register store.

Usage: test_app_kill9.py METERD [--rounds N] [--seed S]
"""
import csv
import datetime
import io
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import mtrd_it  # noqa: E402

METERD = sys.argv[1]
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 50
SEED = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 3
chk = mtrd_it.Checks("test_app_kill9")
ARGS = ["--source", "frames", "--frame-s", "1", "--speed", "0", "--duration", "100000000",
        "--clock-start", "2026-01-31T21:00:00Z", "--timezone-min", "60",
        "--day", "1: 00:00 T2, 06:00 T1, 22:00 T2", "--week", "wk: 1 1 1 1 1 1 1",
        "--season", "all: 01-01 00:00 wk",
        "--capture-energy", "60", "--capture-pq", "60", "--capture-amm", "60",
        # keep every entry (no FIFO trim), so numbering from 1 stays checkable in long runs
        "--billing-days", "366", "--event-depth", "100000", "--profile-days", "3660",
        "--no-modbus", "--no-table", "--no-progress", "--log-level", "error"]
PROFILES = ["profile_1", "profile_pq", "profile_avg", "profile_min", "profile_max"]
BILLING = ["billing_monthly", "billing_daily"]
EVENTS = ["event_std", "event_pwr", "event_cfg"]
KINDS = ["a_imp", "a_exp", "r_imp", "r_exp"]
REG_KINDS = ["e_a_imp", "e_a_exp", "e_r_imp", "e_r_exp", "e_s_imp"]


def utc_s(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp())


def show(data, log, first=1):
    """Rows of a log from entry first on, as lists of strings (header first), or None.

    "N:0", not the documented "N:" (meterd rejects an empty LAST: reported)."""
    rc, out, err = mtrd_it.run(METERD, ["--show", log, "--csv", "--data-dir", data,
                                        "--entries", "%d:0" % first], 60)
    if rc != 0:
        chk.check(False, "--show %s exit %d: %s" % (log, rc, err.strip()[-200:]))
        return None
    return list(csv.reader(io.StringIO(out)))


def check_log(log, rows, problems, first, before):
    """Check the rows of entries first.. (before: the row of entry first - 1, or None)."""
    if not rows:
        return []  # an empty log prints nothing, not even the header
    head = [h.split(" [")[0] for h in rows[0]]
    body = rows[1:]
    ti = head.index("time")
    last_t = utc_s(before[ti]) if before else None
    for i, r in enumerate(body):
        if len(r) != len(head):
            problems.append("%s row %d: %d columns, header has %d" % (log, i + 1, len(r),
                                                                      len(head)))
            continue
        empty = [h for h, v in zip(head, r) if v == "" and h != "text"]
        if empty:
            problems.append("%s seq %s: empty columns %s" % (log, r[0], empty[:3]))
        if int(r[0]) != first + i:
            problems.append("%s: row %d has seq %s (want contiguous from 1)" % (log, first + i,
                                                                                r[0]))
            break
        t = utc_s(r[ti])
        if last_t is not None:
            if log.startswith("event"):
                if t < last_t:
                    problems.append("%s seq %s: time %s goes back" % (log, r[0], r[ti]))
            elif t <= last_t:
                problems.append("%s seq %s: time %s not after the previous" % (log, r[0], r[ti]))
        if log.startswith("profile") and t % 60 != 0:
            problems.append("%s seq %s: time %s off the 1-min grid" % (log, r[0], r[ti]))
        last_t = t
    if log == "profile_1":
        prev = {k: Decimal(0) for k in KINDS}
        if before:
            b = dict(zip(head, before))
            prev = {k: Decimal(b[k]) for k in KINDS}
        for r in body:
            if len(r) != len(head):
                continue
            d = dict(zip(head, r))
            for k in KINDS:
                if Decimal(d["d_" + k]) != Decimal(d[k]) - prev[k]:
                    problems.append("profile_1 seq %s: d_%s %s != %s - %s" % (
                        d["seq"], k, d["d_" + k], d[k], prev[k]))
                prev[k] = Decimal(d[k])
    if log in BILLING:
        for r in body:
            if len(r) != len(head):
                continue
            d = dict(zip(head, r))
            for k in KINDS:
                s = sum(Decimal(d["%s_t%d" % (k, t)]) for t in range(1, 5))
                if s != Decimal(d[k]):
                    problems.append("%s seq %s: %s T1..T4 sum %s != total %s" % (
                        log, d["seq"], k, s, d[k]))
    return body


def registers(data):
    rc, out, err = mtrd_it.run(METERD, ["--show-registers", "--data-dir", data,
                                        "--report", "json"], 30)
    if rc != 0:
        return None, "exit %d: %s" % (rc, err.strip()[-200:])
    return json.loads(out, parse_float=Decimal)["values"], ""


def main():
    rng = random.Random(SEED)
    data = mtrd_it.tmpdir("app-kill9")
    seen = {}  # log -> rows after the previous round
    prev_reg = None
    recreated = 0
    t_start = time.time()
    try:
        for rnd in range(1, ROUNDS + 1):
            d = mtrd_it.Daemon(METERD, ARGS + ["--data-dir", data], "k9")
            delay = rng.uniform(0.05, 0.6)
            time.sleep(delay)
            exited = d.p.poll()
            d.kill()
            err = d.stderr()
            d.cleanup()
            if exited is not None:
                chk.check(False, "round %d: meterd exited by itself (%s) before the kill: %s" % (
                    rnd, exited, err.strip()[-300:]))
                break
            problems = []
            logs = PROFILES + BILLING + EVENTS
            # every 25th round and the last read every log whole; the others from the newest
            # entry seen before (re-read: it may be re-created) on
            whole = rnd % 25 == 0 or rnd == ROUNDS
            firsts = [1 if whole else max(1, len(seen.get(lg, []))) for lg in logs]
            with ThreadPoolExecutor(max_workers=2) as ex:
                all_rows = list(ex.map(lambda a: show(data, *a), zip(logs, firsts)))
            for log, rows, first in zip(logs, all_rows, firsts):
                if rows is None:
                    problems.append("%s unreadable" % log)
                    continue
                old = seen.get(log, [])
                before = old[first - 2] if first >= 2 else None
                body = old[:first - 1] + check_log(log, rows, problems, first, before)
                # rows of the earlier round: all still there and unchanged but the newest,
                # which a start may re-create (kill between history.db and meter.nv)
                for i, r in enumerate(old):
                    if i >= len(body):
                        problems.append("%s: entry seq %s lost (had %d entries, now %d)" % (
                            log, r[0], len(old), len(body)))
                        break
                    if body[i] != r:
                        if i == len(old) - 1:
                            recreated += 1
                            print("note: round %d: %s seq %s re-created: %s -> %s" % (
                                rnd, log, r[0], ",".join(r[:6]), ",".join(body[i][:6])))
                        else:
                            problems.append("%s seq %s changed: %s -> %s" % (
                                log, r[0], r[:6], body[i][:6]))
                seen[log] = body
            reg, why = registers(data)
            if reg is None:
                problems.append("--show-registers: " + why)
            else:
                for k in REG_KINDS:
                    s = sum(reg["%s_t%d" % (k, t)] for t in range(1, 5))
                    if s != reg[k + "_total"]:
                        problems.append("registers %s: T1..T4 %s != total %s" % (
                            k, s, reg[k + "_total"]))
                if prev_reg is not None:
                    back = [k for k, v in reg.items()
                            if k.startswith("e_") and not k.endswith("_net_total")
                            and "_net_" not in k and "_bal_" not in k and "partial" not in k
                            and v < prev_reg.get(k, 0)]
                    if back:
                        problems.append("registers went backwards: %s" % [
                            (k, str(prev_reg[k]), str(reg[k])) for k in back[:3]])
                prev_reg = reg
            p1 = seen.get("profile_1", [])
            last = p1[-1][1] if p1 else "-"
            ok = chk.check(not problems, "round %d (kill after %.2f s): %d profile_1 entries up "
                           "to %s, %d daily, %d monthly, %d std events %s" % (
                               rnd, delay, len(p1), last, len(seen.get("billing_daily", [])),
                               len(seen.get("billing_monthly", [])),
                               len(seen.get("event_std", [])), problems[:4]))
            if not ok:
                break
        chk.check(len(seen.get("billing_monthly", [])) >= 1 and
                  len(seen.get("billing_daily", [])) >= 1,
                  "the rounds crossed billing boundaries: %d monthly, %d daily entries" % (
                      len(seen.get("billing_monthly", [])), len(seen.get("billing_daily", []))))
        chk.note("%d rounds in %.1f s; %d newest entries re-created after a kill" % (
            ROUNDS, time.time() - t_start, recreated))
    finally:
        mtrd_it.rmtree(data)
    chk.finish()


main()
