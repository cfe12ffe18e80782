#!/usr/bin/env bash
# Build the portable core for a Cortex-M4 with hard float (arm-none-eabi-gcc), and check
# that the core references no allocator and no stdio (check_no_alloc, on both the M4 objects
# and the host library when it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-arm}
mkdir -p "$out"
cc=arm-none-eabi-gcc
flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c11 -O2 -Wall -Wextra
 -Wpedantic -Werror -Wshadow -Wundef -Wcast-qual -Wwrite-strings -Wstrict-prototypes
 -Wmissing-prototypes -Wvla -Wconversion -ffunction-sections -fdata-sections -Iinclude"
objs=()
for src in src/core/*/*.c; do
    obj="$out/$(basename "${src%.c}").o"
    # shellcheck disable=SC2086
    $cc $flags -c "$src" -o "$obj"
    objs+=("$obj")
done
arm-none-eabi-ar rcs "$out/libmeterd_core_m4.a" "${objs[@]}"
echo "arm: built $out/libmeterd_core_m4.a from ${#objs[@]} files"
tools/check_no_alloc.sh arm-none-eabi-nm "$out/libmeterd_core_m4.a"
if [ -f build/src/core/libmeterd_core.a ]; then
    tools/check_no_alloc.sh nm build/src/core/libmeterd_core.a
fi
