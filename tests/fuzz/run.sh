#!/bin/sh
# run.sh — one short libFuzzer run reported in the test protocol.
#   run.sh NAME FUZZER SEED-DIR [SECONDS]
# The corpus grows in build/fuzz/corpus/NAME (kept between runs); a crash
# leaves its input in build/fuzz/crash-NAME-* and fails the test.
set -u
name=$1 fuzzer=$2 seeds=$3 secs=${4:-${FUZZ_SECONDS:-10}}
corpus=build/fuzz/corpus/$name
out=build/fuzz/$name.out
mkdir -p "$corpus"
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/crash-$name-" "$corpus" "$seeds" > "$out" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")
if [ "$status" != 0 ] || grep -q -e 'ERROR: ' -e 'runtime error' "$out"; then
    tail -n 40 "$out"
    echo "TEST FAIL $name: the fuzzer stopped with status $status after ${runs:-?} runs (log: $out)"
else
    echo "$name: $runs runs in ${secs}s, corpus $(ls "$corpus" | wc -l) inputs"
    echo "TEST PASS $name"
fi
echo "TESTS DONE 1"
