#!/bin/sh
# bench/aerie/run.sh — the Aerie side of `make bench` (glue): five Aerie
# boots in the machine the Linux side uses (tools/qemu.sh --test --smp 2
# --mem 2G --netwire SOCK), each under benchrun with tools/udpsink on the
# other end of its NIC, each leaving its serial console as
# $BENCH_RAW/aerie-NAME.log (SAMPLE lines with system=aerie):
#   start  build/startbench-PLAN.img: startup, startup_parallel, mem_idle,
#          idle_capacity (bench/aerie/startbench.c, driving cm)
#   ipc    build/ipcbench.elf as the boot task: ipc_rtt
#   fs     build/fsbench-PLAN.img: fs (bench/aerie/fsbench.c)
#   udp    build/udpwire-PLAN.img: udp_bw; udpsink prints those SAMPLE
#          lines into $BENCH_RAW/aerie-udp.udpsink.log
#   lx     build/lxdrive-PLAN.img: the Linux ABI, lx_* (bench/aerie/lxdrive.c
#          running the static Linux program lxbench under the personality)
#   restart  build/restartbench-PLAN.img: restart (bench/aerie/restartbench.c:
#          console, fs and net killed under containers, kill to first answer)
#   control  build/boot.img as make run boots it, with aerie-engine and the
#          control channel: channel_in/out, import_10m, start_imported_first,
#          start_boot, mem_per_container_8m (bench/aerie/control.sh)
# A boot that fails is named and the next one runs; the exit status is 0
# only if every boot finished.
#
# Environment given by bench/run.sh: BUILD, BENCH_PLAN (quick|full|long),
# BENCH_RAW, BENCH_TOOLS, BENCH_RUNDIR.
set -u

BUILD=${BUILD:-build}
raw=${BENCH_RAW:?}
tools=${BENCH_TOOLS:?}
rundir=${BENCH_RUNDIR:?}
case "${BENCH_PLAN:-full}" in quick) plan=quick ;; *) plan=full ;; esac
failed=""

for f in "$BUILD/kernel.elf" "$BUILD/root.elf" "$BUILD/ipcbench.elf" "$BUILD/startbench-$plan.img" \
         "$BUILD/fsbench-$plan.img" "$BUILD/udpwire-$plan.img" "$BUILD/lxdrive-$plan.img" \
         "$BUILD/restartbench-$plan.img"; do
    [ -f "$f" ] || { echo "bench/aerie/run.sh: $f is missing (make bench builds it)" >&2; exit 2; }
done

# aerie_boot NAME TIMEOUT SILENCE INITRD [APPEND] — one Aerie boot.
aerie_boot() {
    name=$1 limit=$2 silence=$3 initrd=$4 append="exit_on_halt bench.plan=$plan ${5:-}"
    sock=$rundir/aerie-$name.sock
    echo "bench: aerie-$name (limit ${limit}s)"
    "$tools/udpsink" --sock "$sock" --system aerie --timeout $((limit + 30)) \
        > "$raw/aerie-$name.udpsink.log" 2> "$raw/aerie-$name.udpsink.err" &
    sink=$!
    "$tools/benchrun" --name "aerie-$name" --log "$raw/aerie-$name.log" \
        --timeout "$limit" --silence "$silence" -- \
        tools/qemu.sh --test --smp 2 --mem 2G --netwire "$sock" \
            --append "$append" --initrd "$initrd" "$BUILD/kernel.elf"
    rc=$?
    kill "$sink" 2>/dev/null
    wait "$sink" 2>/dev/null
    case $rc in
        0) why="" ;;
        1) why="an experiment failed" ;;
        *) why="killed or incomplete" ;;
    esac
    if [ -n "$why" ]; then
        failed="$failed aerie-$name"
        echo "bench: FAILED: aerie-$name ($why; see $raw/aerie-$name.log)" >&2
    fi
    grep -q '^SAMPLE ' "$raw/aerie-$name.udpsink.log" ||
        mv "$raw/aerie-$name.udpsink.log" "$raw/aerie-$name.udpsink.txt"
    if [ -s "$raw/aerie-$name.udpsink.err" ]; then
        sed 's/^/bench: udpsink: /' "$raw/aerie-$name.udpsink.err" >&2
    fi
}

aerie_boot start 600 120 "$BUILD/root.elf,$BUILD/startbench-$plan.img"
aerie_boot ipc 180 120 "$BUILD/ipcbench.elf"
aerie_boot fs 300 120 "$BUILD/root.elf,$BUILD/fsbench-$plan.img"
aerie_boot udp 300 120 "$BUILD/root.elf,$BUILD/udpwire-$plan.img"
# lx: the full plan's shell workloads (lx_shell pipes=1000, lx_tree) add
# about two minutes, and a batch of pipes=1000 samples prints nothing
# until its container ends (bench/aerie/bench-linux.sh).
if [ "$plan" = quick ]; then lxlimit=300; else lxlimit=600; fi
aerie_boot lx $lxlimit 300 "$BUILD/root.elf,$BUILD/lxdrive-$plan.img"
aerie_boot restart 300 120 "$BUILD/root.elf,$BUILD/restartbench-$plan.img"

echo "bench: aerie-control (limit 900s)"
if ! timeout 900 bench/aerie/control.sh "$BUILD" "$plan" "$raw" > "$raw/aerie-control.log" \
        2> "$raw/aerie-control.err"; then
    failed="$failed aerie-control"
    echo "bench: FAILED: aerie-control (see $raw/aerie-control.err)" >&2
fi

if [ -n "$failed" ]; then
    echo "bench/aerie/run.sh: failed:$failed" >&2
    exit 1
fi
exit 0
