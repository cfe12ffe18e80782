#!/usr/bin/env python3
"""SIGHUP reloads the reloadable options and the configuration-change log records each change.

meterd runs the synthetic household as frames from a configuration file (-c) with
nv-sync-ms = 1000. The test rewrites the file with nv-sync-ms = 250 and table = false (and a
non-reloadable option changed too), sends SIGHUP, lets frames pass, stops meterd with SIGTERM,
and reads `meterd --show config-changes --csv`: exactly one entry, code 47 ("parameter
changed"), v0 = 1 (who: configuration), text "nv-sync-ms: 1000 -> 250"; the non-reloadable
option is not applied (the log says it needs a restart) and not logged as changed.
Usage: test_sighup.py METERD
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtrd_it  # noqa: E402

METERD = sys.argv[1]
chk = mtrd_it.Checks("test_sighup")

CONF = """[source]
source = frames
frame-s = 1
[replay]
speed = 50
[storage]
data-dir = {dd}
nv-sync-ms = {sync}
[modbus]
modbus = false
[console]
table = false
[demand]
demand-period = {period}
"""


def main():
    dd = mtrd_it.tmpdir("hup")
    conf = os.path.join(dd, "meterd.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(dd=dd, sync=1000, period=900))
    d = mtrd_it.Daemon(METERD, ["-c", conf, "--clock-start", "2026-01-01T00:00:00Z"], "hup")
    try:
        time.sleep(1.0)
        with open(conf, "w") as f:
            f.write(CONF.format(dd=dd, sync=250, period=600))
        d.p.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        d.p.send_signal(signal.SIGTERM)
        rc = d.wait(15)
        chk.check(rc == 0, "meterd exits 0 (exit %s)" % rc)
        err = d.stderr()
        chk.check("reload: nv-sync-ms: 1000 -> 250" in err, "the log names the change")
        chk.check("1 option(s) changed" in err, "one reloadable option changed")
        out = subprocess.run([METERD, "--data-dir", dd, "--show", "config-changes", "--csv"],
                             capture_output=True, text=True, timeout=30)
        rows = [ln.split(",", 5) for ln in out.stdout.strip().splitlines()]
        chk.check(out.returncode == 0 and len(rows) == 2,
                  "one configuration-change entry (%d rows, exit %d)" % (len(rows) - 1,
                                                                        out.returncode))
        if len(rows) == 2:
            head, row = rows[0], rows[1]
            chk.check(head[:3] == ["seq", "time", "code"], "columns %s" % head)
            chk.check(row[2] == "47", "event code 47, parameter changed (%s)" % row[2])
            chk.check(row[3] == "1", "who: configuration (v0 = %s)" % row[3])
            chk.check(row[5].strip('"') == "nv-sync-ms: 1000 -> 250", "text: %s" % row[5])
    finally:
        d.cleanup()
        mtrd_it.rmtree(dd)
    chk.finish()


if __name__ == "__main__":
    main()
