#!/usr/bin/env bash
# First command of the README: install what is missing, build, and start the meter on its
# embedded default input (the synthetic three-phase household), serving Modbus TCP on port 502
# and printing a live per-phase table. Extra arguments go to meterd (see build/src/daemon/meterd --help).
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target meterd >/dev/null
exec build/src/daemon/meterd --data-dir data "$@"
