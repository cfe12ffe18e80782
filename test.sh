#!/usr/bin/env bash
# Second command of the README: build and run the whole test suite, as CI does
# (STYLE.md section 9). Stages: format, gcc -Werror build + tests, ASan/UBSan build + tests,
# valgrind over the unit tests, fuzz corpus replay + short fuzzing, the Cortex-M4 core build
# with the no-alloc and include checks. MTR_FUZZ_SECONDS (default 60) sets the fuzzing time
# per target; MTR_SLOW=1 adds the tests labelled slow.
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh --test
jobs=$(nproc)
fuzz_s=${MTR_FUZZ_SECONDS:-60}
labels="unit|integration|fuzz-replay"
if [ "${MTR_SLOW:-0}" = 1 ]; then labels="$labels|slow"; fi

echo "== format (clang-format 14)"
tools/check_format.sh

echo "== gcc build, warnings as errors"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

echo "== cppcheck (portable core)"
cppcheck --quiet --enable=warning,portability,performance --std=c11 --error-exitcode=1 \
    -Iinclude src/core

echo "== Cortex-M4 core build, no allocation, core includes"
tools/check_core_includes.sh
tools/build_arm_core.sh build-arm

echo "== clang ASan/UBSan build + tests"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMTR_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest -j"$jobs" -L "$labels" --output-on-failure)

echo "== valgrind over the unit tests"
tools/valgrind_units.sh build

echo "== fuzzing: corpus replay and ${fuzz_s} s per target"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTR_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs"
tools/fuzz_all.sh build-fuzz "$fuzz_s"

echo "== tests (gcc build)"
cd build && ctest -j"$jobs" -L "$labels" --output-on-failure
