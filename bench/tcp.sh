#!/bin/sh
# bench/tcp.sh — TCP and HTTP, Aerie beside the Linux guest, in the same
# QEMU machine (tools/qemu.sh --smp 2 --mem 2G) on the same network:
# QEMU user networking with forwards from 127.0.0.1 (slirp's listen
# backlog raised by tools/slirp_backlog.so for both, see docs/NET.md).
#
#   Aerie  build/boot-tcp.img: the httpd container (apps/httpd, from the
#          container manager) on 80, tcpecho on 7.
#   Linux  bench/linux's initramfs, boot "tcp": busybox httpd on 80 serving
#          the same small.txt, busybox nc -ll -e cat on 7001-7004.
#
# Measures, REPS times each (medians printed):
#   http   ab -n $AB_N -c $AB_C http://.../small.txt: requests/s, and the
#          latency percentiles ab reports (50, 90, 99 %), ms
#   out    the 1 MiB big.bin fetched with curl on 1 and on 4 connections
#          at once: Mbit/s from the guest to the host (one way)
#   echo   $ECHO_MIB MiB through the echo server on 1 and on 4
#          connections at once (socat): Mbit/s in each direction (the
#          bytes go out and come back at the same time)
# Writes bench/results/tcp.csv (experiment,system,method,param,sample,
# value,unit,log) and prints one line per median.
#
# usage: bench/tcp.sh   (after make and make bench-linux-image)
set -u
BUILD=${BUILD:-build}
REPS=${REPS:-3}
AB_N=${AB_N:-2000}
AB_C=${AB_C:-10}
ECHO_MIB=${ECHO_MIB:-4}
results=bench/results
mkdir -p "$results/raw"
csv=$results/tcp.csv
echo "experiment,system,method,param,sample,value,unit,log" >"$csv"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpbench.XXXXXX") || exit 1
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "${tmp:?}"' EXIT INT TERM

for t in ab socat curl; do
    command -v $t >/dev/null 2>&1 || { echo "bench/tcp.sh: $t is missing (apache2-utils, socat)" >&2; exit 2; }
done

wait_for() {   # wait_for FILE REGEX SECONDS
    n=0
    while ! grep -aq "$2" "$1" 2>/dev/null; do
        kill -0 "$qpid" 2>/dev/null || return 1
        n=$((n + 1))
        [ "$n" -gt $(($3 * 10)) ] && return 1
        sleep 0.1
    done
}

row() {   # row SYSTEM METHOD PARAM SAMPLE VALUE UNIT
    echo "tcp,$1,$2,$3,$4,$5,$6,raw/tcp-$1.console" >>"$csv"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }

# measure SYSTEM HTTP_PORT ECHO_PORT1..4
measure() {
    sys=$1 http=$2
    shift 2
    for r in $(seq 1 "$REPS"); do
        ab -n "$AB_N" -c "$AB_C" -s 120 "http://127.0.0.1:$http/small.txt" >"$tmp/ab" 2>&1
        if ! grep -q "^Failed requests: *0" "$tmp/ab" || ! grep -q "^Complete requests: *$AB_N" "$tmp/ab"; then
            echo "bench/tcp.sh: $sys: ab failed:" >&2
            grep -E "Complete|Failed|apr_" "$tmp/ab" >&2
            continue
        fi
        row "$sys" http_rps "c=$AB_C" "$r" "$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$tmp/ab")" req/s
        for q in 50 90 99; do
            row "$sys" "http_p$q" "c=$AB_C" "$r" "$(sed -n "s/^ *$q% *\\([0-9]*\\).*/\\1/p" "$tmp/ab")" ms
        done
    done
    # one way, guest -> host: n curls at once fetch the 1 MiB big.bin
    for n in 1 4; do
        for r in $(seq 1 "$REPS"); do
            t0=$(date +%s.%N)
            pids=
            for k in $(seq 1 $n); do
                curl -s -m 120 -o "$tmp/big.$k" "http://127.0.0.1:$http/big.bin" &
                pids="$pids $!"
            done
            for p in $pids; do wait "$p"; done
            t1=$(date +%s.%N)
            ok=1
            for k in $(seq 1 $n); do
                [ "$(wc -c <"$tmp/big.$k")" -eq 1048576 ] || ok=0
            done
            if [ $ok = 0 ]; then
                echo "bench/tcp.sh: $sys: a 1 MiB fetch on $n connections came back short" >&2
                continue
            fi
            mbit=$(echo "$t0 $t1" | awk -v b=$((n * 1048576)) '{ printf "%.1f", b * 8 / ($2 - $1) / 1e6 }')
            row "$sys" out_mbit "conns=$n" "$r" "$mbit" Mbit/s
        done
    done
    head -c $((ECHO_MIB * 1048576)) /dev/urandom >"$tmp/data"
    for n in 1 4; do
        for r in $(seq 1 "$REPS"); do
            t0=$(date +%s.%N)
            k=0 pids=
            for port in "$@"; do
                k=$((k + 1))
                [ $k -le $n ] || break
                socat -b 65536 -t 30 -T 120 - "TCP:127.0.0.1:$port" <"$tmp/data" >"$tmp/back.$k" 2>/dev/null &
                pids="$pids $!"
            done
            for p in $pids; do wait "$p"; done      # not QEMU, which runs in the background too
            t1=$(date +%s.%N)
            ok=1
            for k in $(seq 1 $n); do
                cmp -s "$tmp/data" "$tmp/back.$k" || ok=0
            done
            if [ $ok = 0 ]; then
                echo "bench/tcp.sh: $sys: echo on $n connections came back wrong" >&2
                continue
            fi
            mbit=$(echo "$t0 $t1" | awk -v b=$((n * ECHO_MIB * 1048576)) '{ printf "%.1f", b * 8 / ($2 - $1) / 1e6 }')
            row "$sys" echo_mbit "conns=$n" "$r" "$mbit" Mbit/s
        done
    done
}

summary() {   # summary SYSTEM
    for m in "http_rps c=$AB_C" "http_p50 c=$AB_C" "http_p90 c=$AB_C" "http_p99 c=$AB_C" "out_mbit conns=1" "out_mbit conns=4" "echo_mbit conns=1" "echo_mbit conns=4"; do
        set -- $m
        v=$(awk -F, -v s="$SYS" -v me="$1" -v p="$2" '$2 == s && $3 == me && $4 == p { print $6 }' "$csv" | median)
        u=$(awk -F, -v s="$SYS" -v me="$1" '$2 == s && $3 == me { print $7; exit }' "$csv")
        printf 'bench/tcp.sh: %-6s %-10s %-8s median %s %s\n' "$SYS" "$1" "$2" "$v" "$u"
    done
}

ports() { base=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 )); }

# ---- Aerie ----
ports
log=$results/raw/tcp-aerie.console
tools/qemu.sh --test --smp 2 --mem 2G --unrestricted \
    --hostfwd "tcp:127.0.0.1:$base-:80" --hostfwd "tcp:127.0.0.1:$((base + 1))-:7" \
    --hostfwd "tcp:127.0.0.1:$((base + 2))-:7" --hostfwd "tcp:127.0.0.1:$((base + 3))-:7" \
    --hostfwd "tcp:127.0.0.1:$((base + 4))-:7" --hostfwd "udp:127.0.0.1:$((base + 5))-:7102" \
    --initrd "$BUILD/root.elf,$BUILD/boot-tcp.img" "$BUILD/kernel.elf" >"$log" 2>&1 &
qpid=$!
if wait_for "$log" "httpd: serving" 240 && wait_for "$log" "TESTS DONE.*" 120; then
    sleep 5                                   # the hostile client and the probes are done
    measure aerie "$base" $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4))
else
    echo "bench/tcp.sh: the Aerie guest did not come up (see $log)" >&2
fi
printf exit | socat -t 0 - "UDP:127.0.0.1:$((base + 5))" >/dev/null 2>&1
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=

# ---- Linux ----
ports
log=$results/raw/tcp-linux.console
if [ -r "$BUILD/bench/linux/initramfs.cpio" ]; then
    tools/qemu.sh --test --smp 2 --mem 2G --unrestricted \
        --hostfwd "tcp:127.0.0.1:$base-:80" --hostfwd "tcp:127.0.0.1:$((base + 1))-:7001" \
        --hostfwd "tcp:127.0.0.1:$((base + 2))-:7002" --hostfwd "tcp:127.0.0.1:$((base + 3))-:7003" \
        --hostfwd "tcp:127.0.0.1:$((base + 4))-:7004" \
        --append "console=ttyS0 quiet loglevel=3 bench.boot=tcp bench.plan=full" \
        --initrd "$BUILD/bench/linux/initramfs.cpio" "$BUILD/bench/linux/vmlinuz" >"$log" 2>&1 &
    qpid=$!
    if wait_for "$log" "BENCH TCP READY" 240; then
        sleep 2
        measure linux "$base" $((base + 1)) $((base + 2)) $((base + 3)) $((base + 4))
    else
        echo "bench/tcp.sh: the Linux guest did not come up (see $log)" >&2
    fi
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
    qpid=
else
    echo "bench/tcp.sh: no Linux guest ($BUILD/bench/linux/initramfs.cpio: make bench-linux-image)" >&2
fi

for SYS in aerie linux; do
    summary
done
