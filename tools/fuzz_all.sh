#!/usr/bin/env bash
# fuzz_all BUILD SECONDS: replay each libFuzzer target's corpus (fuzz/corpus/<target>/), then
# fuzz it for SECONDS on a scratch copy of the corpus. A crash fails the run; add the
# reproducer it prints to fuzz/corpus/<target>/ once fixed (STYLE.md section 8).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
seconds=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for bin in "$build"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    target=${name#fuzz_}
    corpus=fuzz/corpus/$target
    mkdir -p "$scratch/$target"
    if [ -d "$corpus" ]; then
        cp -r "$corpus/." "$scratch/$target/"
        "$bin" -runs=0 "$corpus" >/dev/null 2>"$scratch/$target.replay.log" ||
            { cat "$scratch/$target.replay.log"; echo "fuzz: $target: corpus replay failed" >&2; exit 1; }
    fi
    if [ "$seconds" -gt 0 ]; then
        "$bin" -max_total_time="$seconds" -artifact_prefix="$scratch/$target-" -print_final_stats=1 \
            "$scratch/$target" >"$scratch/$target.log" 2>&1 ||
            { tail -40 "$scratch/$target.log"; echo "fuzz: $target: crash (see above)" >&2; exit 1; }
        echo "fuzz: $target: $(grep -E 'stat::number_of_executed_units' "$scratch/$target.log" | awk '{print $2}') runs in ${seconds} s, no crash"
    fi
done
