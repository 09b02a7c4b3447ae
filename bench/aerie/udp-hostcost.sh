#!/bin/sh
# bench/aerie/udp-hostcost.sh DIR LABEL — host time per datagram
# (docs/EVALUATION.md, branch udpev): one PLAN=quick udpwire boot of the
# build in DIR (its own udpwire-quick.img); samples every QEMU thread's
# and udpsink's /proc/.../schedstat each 0.5 s and prints the CPU time
# (run, and runnable but waiting for a core) per datagram sent, per
# thread and in all. Run from the tree's top with build/tools/udpsink
# built; output in build/hostcost/LABEL.
set -u
[ $# -eq 2 ] || { echo "usage: $0 BUILDDIR LABEL" >&2; exit 2; }
dir=$1 label=$2
out=$PWD/build/hostcost/$label
mkdir -p "$out"
sock=$out/s.sock
rm -f "$sock" "$out"/samp.*
build/tools/udpsink --sock "$sock" --system "$label" --timeout 400 > "$out/udpsink.log" 2>&1 &
sink=$!
load=$(uptime | sed 's/.*load average: //')
timeout 300 tools/qemu.sh --test --smp 2 --mem 2G --netwire "$sock" \
    --qemu "-name udpev,debug-threads=on" --append "exit_on_halt bench.plan=quick" --initrd "$dir/root.elf,$dir/udpwire-quick.img" "$dir/kernel.elf" > "$out/console.log" 2>&1 &
q=$!
qp=""
while kill -0 $q 2>/dev/null; do
    [ -n "$qp" ] || qp=$(pgrep -P $q -f qemu-system | head -1)
    [ -n "$qp" ] || qp=$(pgrep -f "qemu-system.*$sock" | head -1)
    if [ -n "$qp" ]; then
        for t in /proc/$qp/task/*; do
            l="$(cat $t/comm 2>/dev/null | tr ' ' _) $(cat $t/schedstat 2>/dev/null)"
            case "$l" in *" "[0-9]*) echo "$l" > "$out/samp.$(basename $t)" ;; esac
        done
    fi
    echo "udpsink $(cat /proc/$sink/schedstat 2>/dev/null)" > "$out/samp.sink.tmp" && [ -n "$(cut -d' ' -f2 $out/samp.sink.tmp)" ] && mv "$out/samp.sink.tmp" "$out/samp.sink"
    sleep 0.5
done
wait $q
kill $sink 2>/dev/null; wait $sink 2>/dev/null
sent=$(tr -d '\r' < "$out/console.log" | awk '/udpwire: streams=/{for(i=1;i<=NF;i++) if($i=="sent") s+=$(i+1)} END{print s+0}')
sink=$(grep -h "SAMPLE" "$out/udpsink.log" | awk '{printf "%s ", $6}')
echo "hostcost: $label load $load: sent $sent datagrams; sink Mbit/s $sink"
cat "$out"/samp.* | awk -v n=$sent '{ k=$1; if (k ~ /^CPU/ || k=="udpsink") {} else if (k ~ /^qemu-system/) k="qemu-main"; else k="qemu-other"; run[k]+=$2; wt[k]+=$3; R+=$2; W+=$3 }
    END { for (k in run) printf "  %-12s run %6.2f us  wait %6.2f us per datagram\n", k, run[k]/n/1000, wt[k]/n/1000; printf "  %-12s run %6.2f us  wait %6.2f us per datagram\n", "all", R/n/1000, W/n/1000 }'
