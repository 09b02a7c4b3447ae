#!/bin/sh
# run_fuzz.sh — a bounded libFuzzer run of the net stack as a test entry:
# replays the seed corpus, then fuzzes for RUNS inputs or SECONDS, whichever
# comes first, and reports in the test protocol. New inputs go to WORK, not
# to the committed corpus; a crash leaves its input in WORK/crash-*.
#
# usage: run_fuzz.sh FUZZER SEED_DIR WORK_DIR RUNS SECONDS
set -u
fuzzer=$1 seeds=$2 work=$3 runs=$4 secs=$5
name=$(basename "$1")_bounded_run

rm -rf "$work"
mkdir -p "$work/corpus"
"$fuzzer" -runs="$runs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -use_value_profile=1 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" \
    > "$work/log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
if [ "$rc" -eq 0 ]; then
    echo "$name: ${execs:-?} inputs, no crash (log: $work/log)"
    echo "TEST PASS $name"
else
    crash=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | head -1)
    tail -40 "$work/log"
    echo "TEST FAIL $name: the fuzzer exited with $rc after ${execs:-?} inputs; input: ${crash:-none saved}; replay: $fuzzer $crash"
fi
echo "TESTS DONE 1"
