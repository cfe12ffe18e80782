#!/usr/bin/env bash
# clang-format 14 check of every C source and header we own (STYLE.md section 11).
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
git ls-files -co --exclude-standard '*.c' '*.h' | grep -v '^build' | xargs "$cf" --dry-run -Werror
echo "format: OK"
