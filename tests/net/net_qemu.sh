#!/bin/sh
# net_qemu.sh — the net service on the real (emulated) NIC, driven from the
# host. It boots build/boot-net.img (tests/boot/net.conf) with the
# virtio-net NIC on QEMU user networking and three forwards from
# 127.0.0.1 (ports picked at random, retried if taken):
#     ECHO   -> guest 7     the echo server (apps/udpecho)
#     CLOSED -> guest 9     a port nobody binds
#     CTRL   -> guest 7101  nettest main, which answers "stats" after its tests
# The host side uses socat only (Debian's, not a program of ours). The
# guest's own tests (tests/net/nettest.c, nethostile.c) print their TEST
# lines on the serial console; this script passes them on and prints one
# TESTS DONE for everything.
#
# usage: tests/net/net_qemu.sh [KERNEL [IMAGE]]
set -u
kernel=${1:-build/kernel.elf}
image=${2:-build/boot-net.img}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/net_qemu.XXXXXX")
out=$tmp/serial.log
qpid=
passed=0 failed=0 host_tests=0

cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

pass() { echo "TEST PASS $1"; host_tests=$((host_tests + 1)); }
fail() { echo "TEST FAIL $1: $2"; host_tests=$((host_tests + 1)); }

. tests/net/wait_for.sh

boot() {
    for attempt in 1 2 3 4 5; do
        base=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
        ECHO=$base CLOSED=$((base + 1)) CTRL=$((base + 2))
        tools/qemu.sh --test --smp 2 --mem 256M --unrestricted \
            --hostfwd "udp:127.0.0.1:$ECHO-:7" --hostfwd "udp:127.0.0.1:$CLOSED-:9" \
            --hostfwd "udp:127.0.0.1:$CTRL-:7101" --initrd "build/root.elf,$image" "$kernel" >"$out" 2>&1 &
        qpid=$!
        if wait_for "udpecho: ready on port 7" 90; then
            return 0
        fi
        if grep -aq "host forwarding" "$out"; then      # a port was taken: try others
            kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
            continue
        fi
        return 1
    done
    return 1
}

# Sends file $1 to the echo server as datagrams of at most $2 bytes; the
# replies land in $1.back.
echo_file() {
    socat -b "$2" -t 3 - "UDP:127.0.0.1:$ECHO" <"$1" >"$1.back" 2>"$tmp/socat.err"
}

stat_of() {   # stat_of NAME TEXT
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

guest_stats() {
    printf stats | socat -t 3 - "UDP:127.0.0.1:$CTRL" 2>/dev/null | tr -d '\n'
}

if ! boot; then
    echo "net_qemu: the guest did not come up; its output:"
    tail -30 "$out"
    echo "TEST FAIL net_boots_with_nic: no 'udpecho: ready' line"
    echo "TESTS DONE 1"
    exit 1
fi

# 1. A standard client on the host gets every datagram back byte for byte.
ok=1 why=
for size in 1 64 512 1472; do
    head -c "$size" /dev/urandom >"$tmp/d$size"
    echo_file "$tmp/d$size" 2048
    if ! cmp -s "$tmp/d$size" "$tmp/d$size.back"; then
        ok=0 why="$why ${size}-byte datagram came back as $(wc -c <"$tmp/d$size.back") bytes;"
    fi
done
head -c 5120 /dev/urandom >"$tmp/ten"                 # ten datagrams of 512 in one session
echo_file "$tmp/ten" 512
cmp -s "$tmp/ten" "$tmp/ten.back" || { ok=0; why="$why 10x512 came back as $(wc -c <"$tmp/ten.back") bytes;"; }
[ $ok = 1 ] && pass host_socat_echo_byte_for_byte || fail host_socat_echo_byte_for_byte "$why"

# 2. The guest's own tests, then the storm from the host.
if ! wait_for "nettest: serving the host" 180; then
    fail guest_tests_finished "nettest main never finished; see the guest output"
else
    before=$(guest_stats)
    head -c 100000 /dev/zero >"$tmp/flood"             # 1000 datagrams of 100 bytes to a closed port
    socat -b 100 -t 1 - "UDP:127.0.0.1:$CLOSED" <"$tmp/flood" >/dev/null 2>&1
    head -c 3000 /dev/urandom >"$tmp/big"              # more than one frame: slirp fragments it
    echo_file "$tmp/big" 4096
    big_back=$(wc -c <"$tmp/big.back")
    sleep 1
    after=$(guest_stats)
    np0=$(stat_of udp_no_port "$before") np1=$(stat_of udp_no_port "$after")
    fr0=$(stat_of ip_fragment "$before") fr1=$(stat_of ip_fragment "$after")
    un0=$(stat_of icmp_unreach_tx "$before") un1=$(stat_of icmp_unreach_tx "$after")
    np0=${np0:-0} np1=${np1:-0} fr0=${fr0:-0} fr1=${fr1:-0} un0=${un0:-0} un1=${un1:-0}
    if [ -z "$before" ] || [ -z "$after" ]; then
        fail host_flood_to_closed_port_is_counted "no statistics from the guest ('$before' / '$after')"
    elif [ $((np1 - np0)) -ge 100 ] && [ $((un1 - un0)) -ge 1 ] && [ $((un1 - un0)) -le $(( (np1 - np0) / 2 )) ]; then
        pass host_flood_to_closed_port_is_counted
        echo "net_qemu: closed-port flood: udp_no_port +$((np1 - np0)) of 1000 sent, icmp_unreach_tx +$((un1 - un0)) (rate-limited)"
    else
        fail host_flood_to_closed_port_is_counted "udp_no_port +$((np1 - np0)), icmp_unreach_tx +$((un1 - un0))"
    fi
    ok0=$(stat_of ip_reasm_ok "$before") ok1=$(stat_of ip_reasm_ok "$after")
    ftx0=$(stat_of ip_frag_tx "$before") ftx1=$(stat_of ip_frag_tx "$after")
    ok0=${ok0:-0} ok1=${ok1:-0} ftx0=${ftx0:-0} ftx1=${ftx1:-0}
    # 3000 bytes: slirp sends 3 fragments, the guest reassembles one
    # datagram, the echo server sends it back in 3 fragments, slirp
    # reassembles them for socat.
    if cmp -s "$tmp/big" "$tmp/big.back" && [ $((fr1 - fr0)) -ge 3 ] && [ $((ok1 - ok0)) -ge 1 ] &&
       [ $((ftx1 - ftx0)) -ge 3 ]; then
        pass host_3000_byte_datagram_in_fragments_is_echoed
    else
        fail host_3000_byte_datagram_in_fragments_is_echoed "echo returned $big_back bytes; ip_fragment $fr0 -> $fr1, ip_reasm_ok $ok0 -> $ok1, ip_frag_tx $ftx0 -> $ftx1"
    fi
    head -c 1472 /dev/urandom >"$tmp/after"
    echo_file "$tmp/after" 2048
    cmp -s "$tmp/after" "$tmp/after.back" && pass host_echo_still_works_after_the_storm ||
        fail host_echo_still_works_after_the_storm "got $(wc -c <"$tmp/after.back") bytes back"
    printf exit | socat -t 0 - "UDP:127.0.0.1:$CTRL" >/dev/null 2>&1
fi

# 3. Nothing crashed, and every guest program finished.
if grep -aqE "PANIC|crashed|restarting|unknown system call" "$out"; then
    fail no_service_crashed "$(grep -aE 'PANIC|crashed|restarting|unknown system call' "$out" | head -3 | tr '\n' ' ')"
else
    pass no_service_crashed
fi
# Each guest program ends with "TESTS DONE n", n the tests it ran: four
# programs must say so, and the results they printed must add up to what
# they announced (a program that lost a result line, or announced more
# than it ran, fails this).
dones=$(grep -ac "^TESTS DONE" "$out")
announced=$(grep -a "^TESTS DONE" "$out" | tr -d '\r' | awk '{ s += $3 } END { print s + 0 }')
printed=$(grep -ac "^TEST \(PASS\|FAIL\) " "$out")
if [ "$dones" -ne 4 ]; then
    fail every_guest_program_reported "$dones of 4 said TESTS DONE"
elif [ "$announced" -ne "$printed" ] || [ "$printed" -eq 0 ]; then
    fail every_guest_program_reported "the programs announced $announced results and printed $printed"
else
    pass every_guest_program_reported
fi

kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
grep -a "^TEST \(PASS\|FAIL\) " "$out" | tr -d '\r'
guest=$(grep -ac "^TEST \(PASS\|FAIL\) " "$out")
echo "TESTS DONE $((guest + host_tests))"
