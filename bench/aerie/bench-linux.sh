#!/bin/sh
# bench/aerie/bench-linux.sh — `make bench-linux` (glue): the Linux ABI
# benchmark alone, Aerie beside Linux in the same QEMU machine as make
# bench: one Aerie boot of build/lxdrive-PLAN.img (lxbench under the
# Linux personality, issue 13's shell workloads included) and one boot of
# the Linux benchmark guest with bench.boot=lx (the same lxbench binary on
# Debian's kernel), then benchstat over the two logs. No NIC: neither side
# uses the network. lxdrive prints a batch's samples when its container
# ends, and a batch of pipes=1000 samples takes minutes: hence the long
# silence allowed.
#
# Environment: BUILD (build), BENCH_PLAN (quick|full|tree|threads, default quick).
set -u

BUILD=${BUILD:-build}
case "${BENCH_PLAN:-quick}" in full) plan=full ;; tree) plan=tree ;; threads) plan=threads ;; *) plan=quick ;; esac
out=$BUILD/bench/lx
tools=$BUILD/tools
mkdir -p "$out/raw"
for f in "$BUILD/kernel.elf" "$BUILD/root.elf" "$BUILD/lxdrive-$plan.img" "$BUILD/bench/linux/vmlinuz" \
         "$BUILD/bench/linux/initramfs.cpio" "$tools/benchrun" "$tools/benchstat"; do
    [ -f "$f" ] || { echo "bench-linux: $f is missing (make bench-linux builds it)" >&2; exit 2; }
done
failed=""

echo "bench-linux: aerie ($plan)"
"$tools/benchrun" --name aerie-lx --log "$out/raw/aerie-lx.log" --timeout 900 --silence 300 -- \
    tools/qemu.sh --test --smp 2 --mem 2G --append "exit_on_halt bench.plan=$plan" \
        --initrd "$BUILD/root.elf,$BUILD/lxdrive-$plan.img" "$BUILD/kernel.elf" || failed="$failed aerie"

echo "bench-linux: linux ($plan)"
"$tools/benchrun" --name linux-lx --log "$out/raw/linux-lx.log" --timeout 900 --silence 180 -- \
    tools/qemu.sh --test --smp 2 --mem 2G \
        --append "console=ttyS0 quiet loglevel=3 bench.boot=lx bench.plan=$plan" \
        --initrd "$BUILD/bench/linux/initramfs.cpio" "$BUILD/bench/linux/vmlinuz" || failed="$failed linux"

# benchstat names every measure make bench must report; only lx_* are here.
"$tools/benchstat" -o "$out" "$out/raw/aerie-lx.log" "$out/raw/linux-lx.log" \
    > "$out/benchstat.out" 2> "$out/benchstat.err" || failed="$failed benchstat"
grep -E '^ +(measure|lx_)' "$out/benchstat.out"
grep 'lx_' "$out/stats.tsv"
grep 'lx_' "$out/goals.tsv"
echo "bench-linux: logs in $out/raw/, statistics in $out/stats.tsv"
if [ -n "$failed" ]; then
    echo "bench-linux: failed:$failed" >&2
    exit 1
fi
