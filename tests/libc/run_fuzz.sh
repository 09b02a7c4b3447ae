#!/bin/sh
# run_fuzz.sh — a short libFuzzer run as one test in the project's
# protocol: TEST PASS/FAIL NAME and TESTS DONE 1. A failure shows the
# fuzzer's report; the input that failed is kept in ARTIFACTS.
#
# usage: run_fuzz.sh NAME FUZZER RUNS ARTIFACTS
name=$1 fuzzer=$2 runs=$3 artifacts=$4
mkdir -p "$artifacts"
log="$artifacts/$name.log"
if "$fuzzer" -runs="$runs" -seed=1 -max_len=96 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    echo "TEST PASS $name"
else
    why=$(grep -E "glibc|ERROR|SUMMARY" "$log" | head -2 | tr '\n' ' ')
    echo "TEST FAIL $name: ${why:-fuzzer failed} (log: $log)"
    tail -30 "$log"
fi
echo "TESTS DONE 1"
