#!/bin/bash
# bench/aerie/ipc-compare.sh — `make bench-ipc`'s boot for several builds,
# alternated so that every build sees the same host load (docs/EVALUATION.md,
# branch ipcx). Each DIR is a tree with build/kernel.elf and
# build/ipcbench.elf built (a `git worktree` at another commit, say):
#
#   bench/aerie/ipc-compare.sh [-n ROUNDS] DIR...
#
# Per boot and series it prints min / p10 / median of the 200 samples in
# µs of the host's TSC (the SAMPLE ns × the boot's own cycles/ns, then ÷
# the host's TSC rate, TSC_GHZ, from /proc/cpuinfo unless given: the
# guest's ns follow its TSC calibration, which a loaded host skews), and
# before each boot the host's cache-line round trip between its CPUs
# (build/tools/lineping), which the cross-CPU rows follow under TCG.
# Logs: build/bench/compare/.
set -eu
rounds=3
if [ "${1:-}" = -n ]; then rounds=$2; shift 2; fi
[ $# -ge 1 ] || { echo "usage: $0 [-n ROUNDS] DIR..." >&2; exit 2; }
here=$(cd "$(dirname "$0")/../.." && pwd)
ghz=${TSC_GHZ:-$(awk '/^cpu MHz/ { printf "%.3f", $4 / 1000; exit }' /proc/cpuinfo)}
out=$here/build/bench/compare
mkdir -p "$out"
make -C "$here" -s --no-print-directory build/tools/lineping
for d in "$@"; do
    for f in build/kernel.elf build/ipcbench.elf; do
        [ -f "$d/$f" ] || { echo "ipc-compare: no $d/$f (build it first)" >&2; exit 1; }
    done
done
echo "host TSC ${ghz} GHz; load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
    for d in "$@"; do
        name=$(basename "$d")
        echo "$(date +%H:%M:%S) $("$here/build/tools/lineping")"
        log=$out/$name.$(date +%H%M%S).log
        (cd "$d" && timeout 300 tools/qemu.sh --test --smp 2 --mem 2G --append exit_on_halt \
            --initrd build/ipcbench.elf build/kernel.elf) > "$log" 2>&1 || true
        grep -aq '^BENCH DONE ipcbench' "$log" || { echo "$name: the boot did not finish, see $log"; continue; }
        awk -v name="$name" -v ghz="$ghz" '
            { sub(/\r$/, "") }
            /^ipc round trip, two (tasks|threads), (same|cross)_cpu: median/ {
                key = ($5 == "tasks," ? "tasks" : "threads") " " substr($6, 1, length($6) - 1)
                gsub(/\(/, "", $10); ratio[key] = $8 / $10 }
            /^SAMPLE ipc_rtt(_threads)? aerie call_reply (same|cross)_cpu / {
                key = ($2 == "ipc_rtt" ? "tasks" : "threads") " " $5; v[key] = v[key] " " $6 }
            END {
                for (k in v) {
                    n = split(v[k], s, " "); asort(s); f = ratio[k] / ghz / 1000
                    printf "%s %-17s min %7.2f  p10 %7.2f  median %7.2f us\n", name, k,
                           s[1] * f, s[int(n / 10) + 1] * f, s[int(n / 2) + 1] * f } }' "$log" | sort
    done
done
