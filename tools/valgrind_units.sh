#!/usr/bin/env bash
# Run every unit test binary of a build (ctest label "unit", not "slow") under valgrind
# memcheck; any error or leak fails.
set -euo pipefail
build=${1:-build}
/usr/bin/python3 - "$build" <<'PY'
import json, os, subprocess, sys
build = sys.argv[1]
info = json.loads(subprocess.run(["ctest", "--test-dir", build, "-L", "unit", "--show-only=json-v1"],
                                 check=True, capture_output=True, text=True).stdout)
failed = []
for t in info["tests"]:
    labels = [p["value"] for p in t.get("properties", []) if p["name"] == "LABELS"]
    labels = labels[0] if labels else []
    cmd = t.get("command") or []
    if not cmd or "slow" in labels or "no-valgrind" in labels:
        continue
    with open(cmd[0], "rb") as f:
        if f.read(4) != b"\x7fELF":
            continue  # scripts run other programs; their C parts are covered elsewhere
    cwd = next((p["value"] for p in t.get("properties", []) if p["name"] == "WORKING_DIRECTORY"), build)
    vg = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect"]
    r = subprocess.run(vg + cmd, cwd=cwd, capture_output=True, text=True)
    status = "ok" if r.returncode == 0 else "FAILED (%d)" % r.returncode
    print("valgrind %-28s %s" % (t["name"], status), flush=True)
    if r.returncode != 0:
        failed.append(t["name"])
        sys.stdout.write(r.stdout[-4000:] + r.stderr[-4000:])
if failed:
    print("valgrind: failed:", " ".join(failed))
    sys.exit(1)
PY
