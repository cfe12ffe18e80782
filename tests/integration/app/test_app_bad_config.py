#!/usr/bin/python3
"""Bad configuration and bad commands are rejected clearly; nothing stored is lost (issue 3).

A data directory gets two days of history (`--source frames`, 60-s frames, a T1/T2
calendar). Then, with that --data-dir:
  * `meterd --check-config` with each bad item -> exit 2 and a message naming the item
    (and its text and column where the parser gives one): overlapping seasons (same
    start), unsorted switch times, an invalid date (02-30) as a season start and as a
    special day, an unknown week name, tariff T5, demand-period 700, billing-day 29;
  * the same bad items given to a real start (`meterd --source frames ...`) -> exit 2
    before anything is stored;
  * bad commands on the stopped meter: --set-tariff 5, --set-time with month 13,
    --partial bogus, --show of an unknown log -> exit 2 with the item named;
  * a running meter on the directory, then `meterd --billing-reset` -> exit 4 and a message
    saying the directory is in use (the running meter keeps running).
Every log (--show LOG --csv) and the registers (--show-registers --report json) are
compared before and after: unchanged (the running meter's own frames are allowed only
after that step, whose output is checked separately).

Usage: test_app_bad_config.py METERD
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import mtrd_it  # noqa: E402

METERD = sys.argv[1]
chk = mtrd_it.Checks("test_app_bad_config")
DAY = ["--day", "1: 00:00 T2, 06:00 T1, 22:00 T2"]
WEEK = ["--week", "wk: 1 1 1 1 1 1 1"]
SEASON = ["--season", "all: 01-01 00:00 wk"]
GOOD = ["--timezone-min", "60", *DAY, *WEEK, *SEASON]
LOGS = ["profile_1", "profile_pq", "profile_avg", "profile_min", "profile_max",
        "billing_monthly", "billing_daily", "event_std", "event_pwr", "event_cfg"]

# name, options replacing the good calendar items, words the message must contain
BAD = [
    ("overlapping seasons", [*DAY, *WEEK, "--season", "a: 01-01 00:00 wk",
                             "--season", "b: 01-01 00:00 wk"],
     ["[tariff]", "season #2", "overlapping seasons"]),
    ("unsorted switch times", ["--day", "1: 06:00 T1, 05:00 T2", *WEEK, *SEASON],
     ["[tariff]", "day #1", "'1: 06:00 T1, 05:00 T2'", "column", "ascending"]),
    ("invalid season date 02-30", [*DAY, *WEEK, "--season", "a: 02-30 00:00 wk"],
     ["[tariff]", "season #1", "'a: 02-30 00:00 wk'", "column", "no such day"]),
    ("invalid special day 02-30", [*DAY, *WEEK, *SEASON, "--special", "02-30 1"],
     ["[tariff]", "special #1", "'02-30 1'", "no such day"]),
    ("unknown week name", [*DAY, *WEEK, "--season", "a: 01-01 00:00 nowk"],
     ["[tariff]", "season #1", "unknown week"]),
    ("tariff T5", ["--day", "1: 00:00 T2, 06:00 T5", *WEEK, *SEASON],
     ["[tariff]", "day #1", "'1: 00:00 T2, 06:00 T5'", "column", "T1..T4"]),
    ("demand-period 700", [*DAY, *WEEK, *SEASON, "--demand-period", "700"],
     ["demand period", "divisor of one hour"]),
    ("billing-day 29", [*DAY, *WEEK, *SEASON, "--billing-day", "29"],
     ["billing-day", "29", "1..28"]),
]

BAD_CMDS = [
    ("--set-tariff 5", ["--set-tariff", "5"], ["--set-tariff", "'5'", "1..4"]),
    ("--set-time month 13", ["--set-time", "2026-13-01T00:00:00Z"], ["--set-time", "2026-13-01"]),
    ("--partial bogus", ["--partial", "bogus"], ["--partial", "'bogus'", "start, stop or reset"]),
    ("--show unknown log", ["--show", "nosuchlog"], ["'nosuchlog'", "no such log"]),
]


def state(data):
    """Every log as CSV text and the registers as JSON text."""
    out = {}
    for log in LOGS:
        rc, o, e = mtrd_it.run(METERD, ["--show", log, "--csv", "--data-dir", data], 30)
        out[log] = (rc, o)
    rc, o, e = mtrd_it.run(METERD, ["--show-registers", "--data-dir", data, "--report", "json"],
                           30)
    out["registers"] = (rc, o)
    return out


def compare(before, after, what):
    diff = [k for k in before if before[k] != after.get(k)]
    chk.check(not diff, "%s: history and registers unchanged (changed: %s)" % (what, diff))


def main():
    data = mtrd_it.tmpdir("app-badcfg")
    d = None
    try:
        rc, _, err = mtrd_it.run(METERD, ["--source", "frames", "--frame-s", "60", "--speed", "0",
                                          "--duration", "172800", "--clock-start",
                                          "2025-12-31T23:00:00Z", *GOOD, "--data-dir", data,
                                          "--no-modbus", "--no-table", "--no-progress"], 60)
        chk.check(rc == 0, "two days of history written (exit %d) %s" % (rc, err[-200:]))
        before = state(data)
        chk.check(before["billing_daily"][1].count("\n") == 3 and before["registers"][0] == 0,
                  "baseline: 2 daily entries and readable registers")
        for name, opts, words in BAD:
            rc, out, err = mtrd_it.run(METERD, ["--check-config", *opts, "--data-dir", data], 30)
            text = out + err
            missing = [w for w in words if w not in text]
            chk.check(rc == 2 and not missing, "--check-config %s: exit %d (want 2), message "
                      "'%s' (missing %s)" % (name, rc, text.strip()[-200:], missing))
            rc, out, err = mtrd_it.run(METERD, ["--source", "frames", "--frame-s", "60",
                                                "--speed", "0", "--duration", "3600", *opts,
                                                "--timezone-min", "60", "--data-dir", data,
                                                "--no-modbus", "--no-table", "--no-progress"], 30)
            text = out + err
            missing = [w for w in words if w not in text]
            chk.check(rc == 2 and not missing, "start with %s: exit %d (want 2), names the item "
                      "(missing %s)" % (name, rc, missing))
        compare(before, state(data), "after the bad configurations")
        for name, opts, words in BAD_CMDS:
            rc, out, err = mtrd_it.run(METERD, [*opts, "--data-dir", data], 30)
            text = out + err
            missing = [w for w in words if w not in text]
            chk.check(rc == 2 and not missing, "%s: exit %d (want 2), message '%s' (missing %s)"
                      % (name, rc, text.strip()[-160:], missing))
        compare(before, state(data), "after the bad commands")
        # a running meter: 60-s frames in real time, so it idles after its first frame
        d = mtrd_it.Daemon(METERD, ["--source", "frames", "--frame-s", "60", "--speed", "1",
                                    "--duration", "3600", *GOOD, "--data-dir", data,
                                    "--no-modbus", "--no-table", "--no-progress"], "run")
        time.sleep(1.0)
        rc, out, err = mtrd_it.run(METERD, ["--billing-reset", "--data-dir", data], 30)
        text = out + err
        chk.check(rc == 4 and "in use" in text and "meter.nv" in text,
                  "--billing-reset on a running meter's data dir: exit %d (want 4), '%s'" %
                  (rc, text.strip()[-200:]))
        chk.check(d.p.poll() is None, "the running meter kept running")
        d.kill()
        d.cleanup()
        d = None
        after = state(data)
        m_before = before["billing_monthly"][1]
        chk.check(after["billing_monthly"][1] == m_before,
                  "no monthly billing entry was added by the refused --billing-reset")
        for log in LOGS:
            b = before[log][1]
            a = after[log][1]
            chk.check(a.startswith(b), "%s: every entry stored before is still there unchanged "
                      "(%d -> %d lines)" % (log, b.count("\n"), a.count("\n")))
    finally:
        if d is not None:
            d.cleanup()
        mtrd_it.rmtree(data)
    chk.finish()


main()
