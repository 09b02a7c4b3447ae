#!/bin/sh
# net_frames.sh — the net stack at the frame level: boots
# build/boot-net-frames.img with the NIC on QEMU's socket backend, whose
# other end is build/tools/netframe on 127.0.0.1 (ARP, ICMP echo, UDP, a
# storm of malformed frames; see tools/netframe.c). Ports are picked at
# random and retried if taken.
set -u
kernel=${1:-build/kernel.elf}
image=${2:-build/boot-net-frames.img}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/net_frames.XXXXXX")
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
for attempt in 1 2 3 4 5; do
    mine=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
    theirs=$((mine + 1))
    tools/qemu.sh --test --smp 2 --mem 256M --framesock "$mine:$theirs" \
        --initrd "build/root.elf,$image" "$kernel" >"$tmp/serial.log" 2>&1 &
    qpid=$!
    sleep 1
    kill -0 "$qpid" 2>/dev/null && break
    qpid=
done
[ -n "$qpid" ] || { cat "$tmp/serial.log"; echo "TEST FAIL net_frames_boot: QEMU did not start"; echo "TESTS DONE 1"; exit 1; }
build/tools/netframe "$mine" "$theirs"
status=$?
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
qpid=
if grep -aqE "PANIC|crashed|restarting" "$tmp/serial.log"; then
    echo "net_frames: the guest said:"
    grep -aE "PANIC|crashed|restarting" "$tmp/serial.log"
    status=1
fi
echo "net_frames: guest console:"
sed 's/^/  | /' "$tmp/serial.log" | tail -15
exit $status
