#!/bin/sh
# bench-net.sh — `make bench-net`: boots build/boot-udpbench.img on the
# benchmark machine (2 CPUs, 2 GiB) with the NIC on QEMU user networking,
# forwards a random free host port on 127.0.0.1 to the guest's control
# port 7000, and runs the host receiver (build/tools/udprecv), which asks
# for runs of 1, 2, 4 and 8 streams and counts what arrives. Output:
# build/bench/udpbench.log (SAMPLE lines and the summary), the guest's
# console in build/bench/udpbench-guest.log.
set -u
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-10}
STREAMS=${BENCH_STREAMS:-1,2,4,8}
mkdir -p "$BUILD/bench"
glog=$BUILD/bench/udpbench-guest.log
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null' EXIT INT TERM
for attempt in 1 2 3 4 5; do
    ctrl=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
    tools/qemu.sh --test --smp 2 --mem 2G --unrestricted --hostfwd "udp:127.0.0.1:$ctrl-:7000" \
        --initrd "$BUILD/root.elf,$BUILD/boot-udpbench.img" "$BUILD/kernel.elf" >"$glog" 2>&1 &
    qpid=$!
    sleep 2
    if kill -0 "$qpid" 2>/dev/null; then break; fi
    grep -q "host forwarding" "$glog" || { cat "$glog"; exit 1; }
    qpid=
done
[ -n "$qpid" ] || { echo "bench-net: could not start QEMU"; exit 1; }
{ "$BUILD/tools/udprecv" -c "$ctrl" -s "$STREAMS" -t "$SECS" -w 180; echo $? >"$BUILD/bench/.udprecv-status"; } |
    tee "$BUILD/bench/udpbench.log"
status=$(cat "$BUILD/bench/.udprecv-status")
sleep 1
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
echo "samples: $BUILD/bench/udpbench.log (guest console: $glog)"
exit $status
