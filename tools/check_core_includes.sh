#!/usr/bin/env bash
# The portable core includes only its own headers and the freestanding-friendly standard
# headers of STYLE.md section 3 (<math.h> for metrology).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -Hn '^[[:space:]]*#[[:space:]]*include' src/core/*/*.[ch] include/meterd/*.h |
      grep -Ev '#[[:space:]]*include[[:space:]]*(<(stdint|stddef|stdbool|string|limits|math)\.h>|"meterd/[a-z_0-9]+\.h"|"[a-z_0-9]+_int\.h")' || true)
if [ -n "$bad" ]; then
    echo "check_core_includes: the core may not include:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "check_core_includes: OK"
