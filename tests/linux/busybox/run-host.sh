#!/bin/sh
# run-host.sh SCRIPT OUT CODE [SHELL] — runs a busybox (or, with SHELL,
# bash-static) test script on the build machine with the same binary
# Aerie runs, to record what it must print (stdout and stderr together)
# and its exit status. It runs in a fresh
# temporary directory (WORK), with an empty environment, and the scripts
# only touch files under WORK.
set -eu
case "$1$2$3" in *'
'*) echo "run-host.sh: bad arguments" >&2; exit 2 ;; esac
dir=$(pwd)
abs() { case "$1" in /*) echo "$1" ;; *) echo "$dir/$1" ;; esac; }
script=$(abs "$1") out=$(abs "$2") code=$(abs "$3") shell=${4:-/bin/busybox sh}
work=$(mktemp -d /tmp/aerie-bbtest.XXXXXX)
trap 'rm -rf "$work"' EXIT
set +e
(cd "$work" && env -i WORK="$work/w" TZ=UTC $shell "$script" > "$out" 2>&1)
echo $? > "$code"
[ -s "$out" ] || { echo "run-host.sh: $script printed nothing" >&2; exit 1; }
