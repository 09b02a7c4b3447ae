#!/bin/sh
# expect_abort.sh — runs a program that must stop itself, and reports in
# the test protocol: TEST PASS/FAIL NAME, TESTS DONE 1. Passes when the
# exit status is STATUS and the output matches the regular expression.
#
# usage: expect_abort.sh NAME STATUS REGEX PROGRAM [ARG...]
name=$1 status=$2 regex=$3
shift 3
out=$("$@" 2>&1)
got=$?
if [ "$got" -ne "$status" ]; then
    echo "TEST FAIL $name: exit status $got, expected $status; output: $(echo "$out" | head -3 | tr '\n' ' ')"
elif ! printf '%s\n' "$out" | grep -Eq "$regex"; then
    echo "TEST FAIL $name: output did not match /$regex/: $(echo "$out" | head -3 | tr '\n' ' ')"
else
    echo "TEST PASS $name"
fi
echo "TESTS DONE 1"
