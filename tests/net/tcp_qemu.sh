#!/bin/sh
# tcp_qemu.sh — TCP end to end: boots build/boot-tcp.img (tests/boot/tcp.conf)
# with the NIC on QEMU user networking and three forwards from 127.0.0.1
# (ports picked at random, retried if taken):
#     HTTP -> guest 80     the httpd container (tcptest launch asks cm for it)
#     ECHO -> guest 7      tcpecho
#     CTRL -> guest 7102   UDP: tcptest launch answers "stats [PREFIX]"
# The host side uses Debian's curl, socat, nc (netcat-openbsd) and ab
# (apache2-utils) only. The guest's own tests (tests/net/tcptest.c) print
# their TEST lines on the serial console; this script passes them on and
# prints one TESTS DONE for everything.
#
# usage: tests/net/tcp_qemu.sh [KERNEL [IMAGE [BIGFILE]]]
set -u
kernel=${1:-build/kernel.elf}
image=${2:-build/boot-tcp.img}
big=${3:-build/tcp-www/www/big.bin}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcp_qemu.XXXXXX") || exit 1
out=$tmp/serial.log
qpid=
host_tests=0

cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    rm -rf "${tmp:?}"
}
trap cleanup EXIT INT TERM

pass() { echo "TEST PASS $1"; host_tests=$((host_tests + 1)); }
fail() { echo "TEST FAIL $1: $2"; host_tests=$((host_tests + 1)); }
check() { if [ "$2" = ok ]; then pass "$1"; else fail "$1" "$2"; fi; }

. tests/net/wait_for.sh

boot() {
    for attempt in 1 2 3 4 5; do
        base=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
        HTTP=$base ECHO=$((base + 1)) CTRL=$((base + 2))
        tools/qemu.sh --test --smp 2 --mem 512M --unrestricted \
            --hostfwd "tcp:127.0.0.1:$HTTP-:80" --hostfwd "tcp:127.0.0.1:$ECHO-:7" \
            --hostfwd "udp:127.0.0.1:$CTRL-:7102" --initrd "build/root.elf,$image" "$kernel" >"$out" 2>&1 &
        qpid=$!
        if wait_for "tcptest: serving the host" 400 && wait_for "httpd: serving" 60; then
            return 0
        fi
        if grep -aq "host forwarding" "$out"; then
            kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
            continue
        fi
        return 1
    done
    return 1
}

stats() {   # stats [PREFIX]
    printf 'stats %s' "${1:-}" | socat -t 3 - "UDP:127.0.0.1:$CTRL" 2>/dev/null | tr -d '\n'
}

stat_of() {   # stat_of NAME TEXT
    v=$(echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p")
    echo "${v:-0}"
}

if ! boot; then
    echo "tcp_qemu: the guest did not come up; its output:"
    tail -30 "$out"
    echo "TEST FAIL tcp_boots_with_httpd: no 'httpd: serving' line"
    echo "TESTS DONE 1"
    exit 1
fi

# 1. curl: a page, a 1 MiB file byte for byte, HEAD, 404, two requests on one connection.
why=ok
curl -s -m 20 "http://127.0.0.1:$HTTP/" >"$tmp/index" || why="curl failed ($?)"
grep -q "Hello from Aerie" "$tmp/index" || why="the page came back as: $(head -c 200 "$tmp/index")"
check curl_fetches_the_page "$why"

why=ok
curl -s -m 60 -o "$tmp/big" "http://127.0.0.1:$HTTP/big.bin" || why="curl failed ($?)"
cmp -s "$big" "$tmp/big" || why="$why; got $(wc -c <"$tmp/big") bytes, not the 1048576 of $big"
check curl_fetches_1MiB_byte_identical "$why"

why=ok
head=$(curl -s -m 10 -I "http://127.0.0.1:$HTTP/big.bin" | tr -d '\r')
echo "$head" | grep -q "^Content-Length: 1048576" || why="HEAD said: $head"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/no-such-file")
[ "$code" = 404 ] || why="$why; a missing file gave $code"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$HTTP/../etc/passwd")
[ "$code" = 400 ] || why="$why; a path with .. gave $code"
curl -s -m 20 -v "http://127.0.0.1:$HTTP/" "http://127.0.0.1:$HTTP/small.txt" -o /dev/null -o /dev/null \
    2>"$tmp/keep"
grep -q "Re-using existing connection" "$tmp/keep" || why="$why; the second request did not reuse the connection"
check http_head_404_and_keepalive "$why"

# 2. socat and nc through the echo server.
why=ok
head -c 1048576 /dev/urandom >"$tmp/echo"
socat -t 20 -T 30 - "TCP:127.0.0.1:$ECHO" <"$tmp/echo" >"$tmp/echo.back" 2>"$tmp/socat.err" || why="socat failed"
cmp -s "$tmp/echo" "$tmp/echo.back" || why="$why; 1 MiB came back as $(wc -c <"$tmp/echo.back") bytes"
check socat_echo_1MiB_round_trip "$why"

why=ok
got=$(printf 'hello over tcp\n' | nc -N -w 10 127.0.0.1 "$ECHO")
[ "$got" = "hello over tcp" ] || why="nc got '$got'"
check nc_echo_round_trip "$why"

# 3. Many connections: one after another, and 100 at once.
before=$(stats tcp_)
why=ok
ab -n 1000 -c 1 -s 30 "http://127.0.0.1:$HTTP/small.txt" >"$tmp/ab1" 2>&1 || why="ab exited $?"
grep -q "^Complete requests: *1000" "$tmp/ab1" || why="$why; $(grep -E 'Complete|apr_' "$tmp/ab1" | tr '\n' ' ')"
grep -q "^Failed requests: *0" "$tmp/ab1" || why="$why; $(grep 'Failed' "$tmp/ab1")"
check ab_1000_connections_one_after_another "$why"

# 100 at once. QEMU's user networking listens on a forwarded port with a
# backlog of 1; tools/qemu.sh preloads build/tools/slirp_backlog.so to
# raise it, else the host kernel drops handshakes under such a burst and
# clients stall for minutes without the guest ever seeing them (see
# tools/slirp_backlog.c and docs/NET.md). So here nothing is excused:
# all 2000 requests answered, none failed, no retry (-r not given), and
# every connection seen by the guest, none refused or reset by it. -s is
# ab's per-request wait, generous for a loaded host.
why=ok
drops0=$(( $(stat_of tcp_syn_dropped "$before") + $(stat_of tcp_no_buffer "$before") + $(stat_of tcp_rst_tx "$before") ))
over0=$(nstat -az TcpExtListenOverflows 2>/dev/null | awk 'NR>1 {print $2}')
ab -n 2000 -c 100 -s 120 "http://127.0.0.1:$HTTP/small.txt" >"$tmp/ab100" 2>&1 || why="ab exited $?"
over1=$(nstat -az TcpExtListenOverflows 2>/dev/null | awk 'NR>1 {print $2}')
after=$(stats tcp_)
drops1=$(( $(stat_of tcp_syn_dropped "$after") + $(stat_of tcp_no_buffer "$after") + $(stat_of tcp_rst_tx "$after") ))
grep -q "^Complete requests: *2000" "$tmp/ab100" || why="$why; $(grep -E 'Complete|apr_' "$tmp/ab100" | tr '\n' ' ')"
grep -q "^Failed requests: *0" "$tmp/ab100" || why="$why; $(grep -A1 'Failed' "$tmp/ab100" | tr '\n' ' ')"
grep -q "Non-2xx" "$tmp/ab100" && why="$why; $(grep 'Non-2xx' "$tmp/ab100")"
[ "$drops1" -eq "$drops0" ] || why="$why; Aerie refused or reset $((drops1 - drops0)) connections"
echo "tcp_qemu: ab -c 100: $(sed -n 's/^Time taken for tests: *//p' "$tmp/ab100");" \
     "host listen overflows during the run: $(( ${over1:-0} - ${over0:-0} ))"
[ "$why" = ok ] || sed 's/^/  ab| /' "$tmp/ab100" | tail -25
check ab_2000_requests_100_at_once "$why"
opened=$(( $(stat_of tcp_passive_open "$after") - $(stat_of tcp_passive_open "$before") ))
echo "tcp_qemu: passive opens during ab: $opened; counters now: $after"
[ "$opened" -ge 3000 ] && pass tcp_counters_saw_every_connection ||
    fail tcp_counters_saw_every_connection "tcp_passive_open +$opened, want >= 3000"

# 4. Still serving, nothing crashed, every guest program reported.
got=$(printf 'still here\n' | nc -N -w 10 127.0.0.1 "$ECHO")
[ "$got" = "still here" ] && pass echo_still_works_at_the_end || fail echo_still_works_at_the_end "nc got '$got'"
if grep -aqE "PANIC|crashed|restarting|unknown system call" "$out"; then
    fail no_service_crashed "$(grep -aE 'PANIC|crashed|restarting|unknown system call' "$out" | head -3 | tr '\n' ' ')"
else
    pass no_service_crashed
fi
dones=$(grep -ac "^TESTS DONE" "$out")
[ "$dones" -eq 2 ] && pass every_guest_program_reported || fail every_guest_program_reported "$dones of 2 said TESTS DONE"

printf exit | socat -t 0 - "UDP:127.0.0.1:$CTRL" >/dev/null 2>&1
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
grep -a "^TEST \(PASS\|FAIL\) " "$out" | tr -d '\r'
guest=$(grep -ac "^TEST \(PASS\|FAIL\) " "$out")
echo "TESTS DONE $((guest + host_tests))"
