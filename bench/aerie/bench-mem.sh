#!/bin/sh
# bench/aerie/bench-mem.sh — `make bench-mem` (glue): the memory and
# density rows alone (mem_idle, idle_capacity; issue 16), Aerie beside
# Linux in the same QEMU machine as make bench: one Aerie boot of
# build/startbench-mem.img (startbench's plan mem: 1000 idle containers
# in batches of 100, 5000 of the default spec, then containers until cm
# refuses one) and one boot of the Linux benchmark guest with
# bench.boot=mem (1000 idle processes in batches of 100, then processes
# until MemAvailable < 64 MiB), then benchstat over the two logs. No NIC.
#
# Environment: BUILD (build); LINUX=0 boots Aerie only (no Linux figure:
# for trying changes, not for reporting).
set -u

BUILD=${BUILD:-build}
out=$BUILD/bench/mem
tools=$BUILD/tools
mkdir -p "$out/raw"
need="$BUILD/kernel.elf $BUILD/root.elf $BUILD/startbench-mem.img $tools/benchrun $tools/benchstat"
[ "${LINUX:-1}" = 0 ] || need="$need $BUILD/bench/linux/vmlinuz $BUILD/bench/linux/initramfs.cpio"
for f in $need; do
    [ -f "$f" ] || { echo "bench-mem: $f is missing (make bench-mem builds it)" >&2; exit 2; }
done
failed=""
logs="$out/raw/aerie-mem.log"

echo "bench-mem: aerie"
"$tools/benchrun" --name aerie-mem --log "$out/raw/aerie-mem.log" --timeout 1200 --silence 180 -- \
    tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt" \
        --initrd "$BUILD/root.elf,$BUILD/startbench-mem.img" "$BUILD/kernel.elf" || failed="$failed aerie"

if [ "${LINUX:-1}" != 0 ]; then
    echo "bench-mem: linux"
    "$tools/benchrun" --name linux-mem --log "$out/raw/linux-mem.log" --timeout 1800 --silence 300 -- \
        tools/qemu.sh --test --smp 2 --mem 2G \
            --append "console=ttyS0 quiet loglevel=3 bench.boot=mem bench.plan=full" \
            --initrd "$BUILD/bench/linux/initramfs.cpio" "$BUILD/bench/linux/vmlinuz" || failed="$failed linux"
    logs="$logs $out/raw/linux-mem.log"
fi

# benchstat names every measure make bench must report; only the memory
# rows are here. Its exit status says some are missing: expected.
"$tools/benchstat" -o "$out" $logs > "$out/benchstat.out" 2> "$out/benchstat.err"
grep -E '^ +(measure|mem_idle|idle_capacity)' "$out/benchstat.out"
grep -E 'mem_idle|idle_capacity' "$out/stats.tsv"
grep -a '^# startbench: \(one \|capacity\|[0-9]* MiB\)' "$out/raw/aerie-mem.log" | tr -d '\r'
echo "bench-mem: logs in $out/raw/, statistics in $out/stats.tsv"
if [ -n "$failed" ]; then
    echo "bench-mem: failed:$failed" >&2
    exit 1
fi
