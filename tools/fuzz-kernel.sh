#!/bin/sh
# fuzz-kernel.sh — runs the kernel fuzzer (tests/kernel/t_fuzz.c) in one
# QEMU boot for CALLS invocations from SEED, and says whether the kernel
# survived with every page and object given back. Used by make fuzz-kernel.
#
# usage: tools/fuzz-kernel.sh CALLS SEED|"" SMP KERNEL KTEST LOG
set -eu
[ $# -eq 6 ] || { echo "usage: $0 CALLS SEED SMP KERNEL KTEST LOG" >&2; exit 2; }
calls=$1 seed=$2 smp=$3 kernel=$4 ktest=$5 log=$6
case "$calls" in ''|*[!0-9]*) echo "fuzz-kernel: FUZZ_CALLS must be a number, not '$calls'" >&2; exit 2 ;; esac
case "$seed" in *[!0-9]*) echo "fuzz-kernel: FUZZ_SEED must be a number, not '$seed'" >&2; exit 2 ;; esac
[ -n "$seed" ] || seed=$(( $(date +%s) % 1000000007 + 1 ))
echo "fuzz-kernel: seed $seed, $calls calls on $smp CPUs (repeat: make fuzz-kernel FUZZ_SEED=$seed FUZZ_CALLS=$calls)"
echo "fuzz-kernel: log in $log"
tools/qemu.sh --test --smp "$smp" --mem 256M --append "exit_on_halt kt=kernel_fuzz fuzz=$calls fuzz_seed=$seed" \
    --initrd "$ktest" "$kernel" > "$log" 2>&1 || true
grep -E "^fuzz: seed .*:" "$log" || true
if grep -q "PANIC" "$log"; then
    echo "fuzz-kernel: the kernel panicked (seed $seed):"
    grep -A30 "PANIC" "$log" | head -40
    exit 1
fi
if grep -q "^TEST PASS kernel_fuzz" "$log"; then
    echo "fuzz-kernel: passed: no panic, every page and object given back"
    exit 0
fi
echo "fuzz-kernel: FAILED (seed $seed):"
grep -E "^TEST FAIL|leaked" "$log" || tail -20 "$log"
exit 1
