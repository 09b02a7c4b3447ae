#!/bin/sh
# bench/aerie/udp-counts.sh DIR LABEL — kicks and interrupts per datagram
# (docs/EVALUATION.md, branch udpev): one PLAN=quick udpwire boot of the
# build in DIR (kernel.elf, root.elf, console/net/udpwire.elf,
# images/netstat.elf, tools/mkimage) with apps/netstat granted net.admin
# dumping the net service's counters every 2 s, and QEMU tracing kicks
# (virtio_queue_notify) and interrupts (virtio_notify). Run from the
# tree's top with build/tools/udpsink built; output in build/count/LABEL.
set -u
[ $# -eq 2 ] || { echo "usage: $0 BUILDDIR LABEL" >&2; exit 2; }
dir=$1 label=$2
out=$PWD/build/count/$label
mkdir -p "$out"
sed 's/@PLAN@/quick/' bench/aerie/udpwire.conf > "$out/boot.conf"
echo 'service netstat bin/netstat mem=2M threads=2 objects=32 grant=console,net.admin args="-w 2 -r 60"' >> "$out/boot.conf"
"$dir/tools/mkimage" -o "$out/img" boot.conf="$out/boot.conf" bin/console="$dir/console.elf" \
    bin/net="$dir/net.elf" bin/udpwire="$dir/udpwire.elf" bin/netstat="$dir/images/netstat.elf" || exit 1
sock=$out/s.sock
rm -f "$sock" "$out/trace"
build/tools/udpsink --sock "$sock" --system "$label" --timeout 400 > "$out/udpsink.log" 2>&1 &
sink=$!
echo "count: $label ($(uptime | sed 's/.*load/load/'))"
timeout 300 tools/qemu.sh --test --smp 2 --mem 2G --netwire "$sock" \
    --qemu "-trace virtio_notify -trace virtio_queue_notify -D $out/trace" \
    --append "exit_on_halt bench.plan=quick" --initrd "$dir/root.elf,$out/img" "$dir/kernel.elf" > "$out/console.log" 2>&1
kill $sink 2>/dev/null; wait $sink 2>/dev/null
tr -d '\r' < "$out/console.log" | grep "udpwire: streams" | sed 's/.*# udpwire/udpwire/'
sent=$(tr -d '\r' < "$out/console.log" | awk '/udpwire: streams=/{for(i=1;i<=NF;i++) if($i=="sent") s+=$(i+1)} END{print s+0}')
# the last complete netstat dump
tr -d '\r' < "$out/console.log" | awk '/netstat: --/{last=cur; cur=""; next} /netstat: /{cur=cur $0 "\n"} END{printf "%s", last}' > "$out/netstat.last"
echo "sent $sent datagrams"
grep -E "dev_(tx_frames|irqs|notifies|irq_arms|tx_irq_armed|rx_refills|rx_frames)" "$out/netstat.last"
awk '$1 ~ /virtio_queue_notify/ { for (i=1;i<=NF;i++) { if ($i=="n") q[$(i+3)]=$(i+1); } k[$NF]++ }
     $1 ~ /virtio_notify$/ || / virtio_notify / { irq[$NF]++ }
     END { for (v in k) printf "kicks queue %s: %d\n", q[v], k[v]; for (v in irq) printf "irqs vq %s (queue %s): %d\n", v, q[v], irq[v] }' "$out/trace"
