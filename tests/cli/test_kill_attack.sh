#!/bin/sh
# test_kill_attack.sh — stopping a Linux container that keeps its
# personality busy (attack17). A signal (`aerie kill`'s TERM, `aerie
# stop`) is a SEND cm makes to the container's personality with a 2 s
# timeout: a container whose processes write to its console without pause
# (cat /dev/zero) keeps it from receiving, and `aerie kill -t 1` said
# "the container manager said error -6" and left it running. ctl now says
# the signal was not taken and the CLI kills it after the grace, as one
# that ignores the signal; ctl and other containers serve on.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/kill-attack-test
aerie_timeout=60
. tests/cli/lib.sh

boot kill_attack_boot

# ---- a container whose processes flood its console ----
aerie start --name flood --grant console,fs,self busybox sh -c \
    'l=ffffffffffffffffffffffffffffffffffffffff; l=$l$l$l$l$l; yes $l & cat /dev/zero & exec cat /dev/zero'
flood=$(cat "$out")
[ "$rc" = 0 ] || fail kill_flood_started "status $rc: $(head -c 300 "$errf")"
i=0; while [ $i -lt 60 ] && ! ./aerie logs "$flood" 2>/dev/null | grep -q fff; do sleep 0.5; i=$((i + 1)); done
sleep 2
aerie kill -t 1 "$flood"
expect kill_ends_a_container_deaf_to_signals 0 out "^$flood\$"
echo "note: aerie kill said: $(head -c 200 "$errf")"   # "did not take the signal" when the flood held it off
i=0; while [ $i -lt 20 ] && ./aerie ps 2>/dev/null | grep -Eq " flood +running"; do sleep 0.5; i=$((i + 1)); done
aerie ps -a
# ended either way: killed after the grace (the flood held the signal
# off), or by the SIGTERM itself when it got through in time
expect kill_flood_container_ended 0 out " flood +(killed|faulted\(signal:15\))"
aerie run --rm --grant console,self busybox sh -c 'echo alive'
expect kill_flood_others_unaffected 0 out "^alive$"

echo "TESTS DONE $n"
