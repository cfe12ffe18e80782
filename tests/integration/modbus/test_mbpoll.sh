#!/bin/bash
# Native Modbus map read by mbpoll (Debian package mbpoll, built on libmodbus): a client
# we did not write. Expected values are computed from the fixture's physical inputs
# (mb_fixture.c) by hand: 230.12 V at 0.01 V = 23012; +A total 5e15 uWh = 5e9 Wh
# = 0x0000_0001_2A05_F200; sequence 2^32 + 123456789 -> uint32 123456789.
# Usage: test_mbpoll.sh <mb_fixture>
set -u
FIXTURE=$1
WORK=$(mktemp -d)
FAILS=0
"$FIXTURE" --lifetime-s 60 >"$WORK/port" 2>"$WORK/fixture.log" &
FPID=$!
trap 'kill $FPID 2>/dev/null; wait $FPID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    grep -q PORT "$WORK/port" && break
    sleep 0.1
done
PORT=$(awk '/PORT/ {print $2}' "$WORK/port")
[ -n "$PORT" ] || { echo "FAIL: fixture did not start"; cat "$WORK/fixture.log"; exit 1; }

# mbpoll with protocol (0-based) addresses, one poll; prints "value" lines only.
mb() {
    mbpoll -m tcp -p "$PORT" -a 1 -0 -1 -o 2 "$@" 127.0.0.1 2>&1 | sed -n 's/^\[[0-9]*\]:[[:space:]]*//p'
}

check() { # name, expected (space-separated), mbpoll args...
    local name=$1 want=$2
    shift 2
    local got
    got=$(mb "$@" | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" != "$want" ]; then
        echo "FAIL: $name: got '$got', want '$want'"
        FAILS=$((FAILS + 1))
    else
        echo "ok: $name = $got"
    fi
}

# Header: map version 1, sequence counter, data valid.
check "map version" "1" -B -t 4:int -r 0 -c 1
check "sequence uint32" "123456789" -B -t 4:int -r 2 -c 1
check "data valid" "1" -B -t 3:int -r 4 -c 1
# int32 scaled, FC3 and FC4.
check "Urms L1..L3 (0.01 V), FC3" "23012 23150 22987" -B -t 4:int -r 100 -c 3
check "Urms L1..L3 (0.01 V), FC4" "23012 23150 22987" -B -t 3:int -r 100 -c 3
check "P L1..L3, total (0.1 W)" "12345 -5678 0 6667" -B -t 3:int -r 124 -c 4
check "Irms L1, In (mA)" "5432" -B -t 4:int -r 108 -c 1
check "In (mA)" "7250" -B -t 4:int -r 114 -c 1
check "f (mHz)" "49987" -B -t 4:int -r 196 -c 1
check "PF L2 (0.001)" "-985" -B -t 4:int -r 158 -c 1
# float32 copies at +1000.
check "Urms L1 float (V)" "230.12" -B -t 3:float -r 1100 -c 1
check "P total float (W)" "666.7" -B -t 3:float -r 1130 -c 1
check "+A total float (kWh)" "5e+06" -B -t 3:float -r 1312 -c 1
# uint64 energy in Wh, high word first.
check "+A L1 uint64 (Wh)" "0x0000 0x0000 0x00BC 0x614E" -t 4:hex -r 300 -c 4
check "+A total uint64 (Wh)" "0x0000 0x0001 0x2A05 0xF200" -t 3:hex -r 312 -c 4
check "net L2 int64 (Wh) = -2499" "0xFFFF 0xFFFF 0xFFFF 0xF63D" -t 4:hex -r 480 -c 4

# FC3 and FC4 identical over the instantaneous and energy blocks.
for start in 0 100 300 425 1100 1300 1400; do
    a=$(mb -t 4:hex -r $start -c 100)
    b=$(mb -t 3:hex -r $start -c 100)
    if [ -z "$a" ] || [ "$a" != "$b" ]; then
        echo "FAIL: FC3 and FC4 differ at $start"
        FAILS=$((FAILS + 1))
    fi
done
echo "ok: FC3 == FC4"

# Illegal address -> exception 2; writes -> exception 1.
out=$(mbpoll -m tcp -p "$PORT" -a 1 -0 -1 -t 4 -r 1999 -c 2 127.0.0.1 2>&1)
if echo "$out" | grep -q "Illegal data address"; then echo "ok: exception 2"; else
    echo "FAIL: read past the map: $out"
    FAILS=$((FAILS + 1))
fi
out=$(mbpoll -m tcp -p "$PORT" -a 1 -0 -1 -t 4 -r 100 127.0.0.1 7 2>&1)
if echo "$out" | grep -q "Illegal function"; then echo "ok: write refused"; else
    echo "FAIL: write: $out"
    FAILS=$((FAILS + 1))
fi
# The value did not change.
check "Urms L1 after write" "23012" -B -t 4:int -r 100 -c 1

# Several mbpoll clients at once, polling 5 times each, while one connection sits silent.
exec 3<>/dev/tcp/127.0.0.1/"$PORT"
pids=()
for k in $(seq 8); do
    (mbpoll -m tcp -p "$PORT" -a 1 -0 -c 1 -l 50 -B -t 4:int -r 100 -o 1 127.0.0.1 2>&1 &
        mp=$!
        sleep 1
        kill -INT $mp 2>/dev/null
        wait $mp) >"$WORK/c$k.out" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
exec 3>&-
for k in $(seq 8); do
    n=$(grep -c "23012" "$WORK/c$k.out")
    if [ "$n" -lt 5 ]; then
        echo "FAIL: concurrent client $k got $n answers"
        cat "$WORK/c$k.out"
        FAILS=$((FAILS + 1))
    fi
done
echo "ok: 8 concurrent mbpoll clients beside a silent connection"

if [ $FAILS -ne 0 ]; then
    echo "$FAILS failure(s)"
    cat "$WORK/fixture.log"
    exit 1
fi
echo "all mbpoll checks passed"
