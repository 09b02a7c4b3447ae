#!/bin/sh
# bench/aerie/run.sh — PLACEHOLDER for the Aerie side of `make bench`.
#
# The Aerie side is not implemented yet. When it is, this script boots Aerie
# with the same machine as the Linux side:
#     tools/qemu.sh --test --smp 2 --mem 2G --netwire SOCK ... build/kernel.elf
# (run under $BENCH_TOOLS/benchrun, with $BENCH_TOOLS/udpsink --system aerie
# on SOCK for the UDP runs) and leaves logs of SAMPLE lines with system=aerie
# as $BENCH_RAW/aerie-*.log. See bench/README.md, "Plugging in the Aerie side".
#
# Environment given by bench/run.sh: BUILD, BENCH_PLAN (quick|full),
# BENCH_RAW, BENCH_TOOLS, BENCH_RUNDIR.
echo "bench/aerie/run.sh: the Aerie side of the benchmarks is not implemented yet: no Aerie samples" >&2
exit 3
