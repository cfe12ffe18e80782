#!/usr/bin/env bash
# Install the Debian packages meterd builds and tests with (only those missing).
# Debian 12; run as root. Used by ./start.sh and ./test.sh; .ci/run installs the
# list this script prints with --list --test (the one place the packages are named).
set -euo pipefail

BUILD_PKGS="build-essential cmake pkg-config libmodbus-dev libmatio-dev libinih-dev libcjson-dev
 libsqlite3-dev zlib1g-dev libcmocka-dev libssl-dev"
TEST_PKGS="clang libclang-rt-14-dev clang-format-14 gcc-arm-none-eabi libnewlib-arm-none-eabi
 valgrind mbpoll python3 python3-pymodbus python3-cryptography socat cppcheck"

want="$BUILD_PKGS"
list_only=0
for arg in "$@"; do
    case "$arg" in
    --test) want="$BUILD_PKGS $TEST_PKGS" ;;
    --list) list_only=1 ;;
    *) echo "install-deps: unknown argument $arg (use --test, --list)" >&2; exit 2 ;;
    esac
done
if [ "$list_only" = 1 ]; then
    echo $want
    exit 0
fi

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "meterd: installing:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "meterd: run as root (or install these packages yourself)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
