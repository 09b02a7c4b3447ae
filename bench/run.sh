#!/bin/sh
# bench/run.sh — what `make bench` runs after building (glue): the Linux
# benchmark boots, then the Aerie side (bench/aerie/run.sh), then
# tools/benchstat and the gnuplot scripts, then bench/tcb.sh. Every step
# that fails is named, and the rest still runs; the last line says what
# failed, and the exit status is 1 if anything did.
#
# Environment: BUILD (default build), QUICK (non-empty and not 0: the quick
# plan), LONG (likewise: the full plan plus 1000 idle runc containers).
# Results: bench/results/ (raw logs in bench/results/raw/).
set -u

BUILD=${BUILD:-build}
plan=full
case "${LONG:-}" in ''|0) ;; *) plan=long ;; esac
case "${QUICK:-}" in ''|0) ;; *) plan=quick ;; esac
tools=$BUILD/tools
results=bench/results
raw=$results/raw
failed=""
fail() { failed="$failed $1"; echo "bench: FAILED: $1${2:+ ($2)}" >&2; }

for t in benchrun udpsink benchstat; do
    [ -x "$tools/$t" ] || { echo "bench: $tools/$t is missing (make bench builds it)" >&2; exit 2; }
done
rm -rf "$raw"
mkdir -p "$raw"
t0=$(date +%s)
echo "bench: plan=$plan; logs in $raw/"

# The wire between the guest NIC and udpsink: a Unix socket, short enough
# for sun_path.
rundir=$(pwd)/$BUILD/bench/run
[ ${#rundir} -le 80 ] || rundir=$(mktemp -d /tmp/aerie-bench.XXXXXX)
mkdir -p "$rundir"

# linux_boot NAME TIMEOUT SILENCE — one Linux benchmark boot in the shared
# QEMU configuration, with udpsink on the other end of its NIC.
linux_boot() {
    name=$1 limit=$2 silence=$3
    sock=$rundir/linux-$name.sock
    echo "bench: [$(( $(date +%s) - t0 ))s] linux-$name (limit ${limit}s)"
    "$tools/udpsink" --sock "$sock" --system linux --timeout $((limit + 30)) \
        > "$raw/linux-$name.udpsink.log" 2> "$raw/linux-$name.udpsink.err" &
    sink=$!
    "$tools/benchrun" --name "linux-$name" --log "$raw/linux-$name.log" \
        --timeout "$limit" --silence "$silence" -- \
        tools/qemu.sh --test --smp 2 --mem 2G --netwire "$sock" \
            --append "console=ttyS0 quiet loglevel=3 bench.boot=$name bench.plan=$plan" \
            --initrd "$BUILD/bench/linux/initramfs.cpio" "$BUILD/bench/linux/vmlinuz"
    rc=$?
    kill "$sink" 2>/dev/null
    wait "$sink" 2>/dev/null
    case $rc in
        0) ;;
        1) fail "linux-$name" "an experiment failed; see $raw/linux-$name.log" ;;
        *) fail "linux-$name" "killed or incomplete; see $raw/linux-$name.log" ;;
    esac
    # Only a boot that ran the UDP experiment leaves SAMPLE lines there.
    grep -q '^SAMPLE ' "$raw/linux-$name.udpsink.log" ||
        mv "$raw/linux-$name.udpsink.log" "$raw/linux-$name.udpsink.txt"
    if [ -s "$raw/linux-$name.udpsink.err" ]; then
        sed 's/^/bench: udpsink: /' "$raw/linux-$name.udpsink.err" >&2
    fi
}

# procs ends with the Linux ABI experiments (lx_*), whose shell workloads
# (each on two CPUs and on one) take about a minute (quick) or 3 to 6
# minutes (full) of it.
if [ "$plan" = quick ]; then
    linux_boot procs 480 120
    linux_boot runc 240 120
    linux_boot crun 180 120
    linux_boot capacity 240 120
else
    linux_boot procs 1380 300
    if [ "$plan" = long ]; then linux_boot runc 3600 300; else linux_boot runc 900 300; fi
    linux_boot crun 900 300
    linux_boot capacity 600 300
fi

# The Aerie side writes aerie-*.log files of SAMPLE lines into $BENCH_RAW.
echo "bench: [$(( $(date +%s) - t0 ))s] aerie"
if [ -x bench/aerie/run.sh ]; then
    BUILD=$BUILD BENCH_PLAN=$plan BENCH_RAW=$raw BENCH_TOOLS=$tools BENCH_RUNDIR=$rundir \
        bench/aerie/run.sh
    rc=$?
    [ $rc = 0 ] || fail aerie "bench/aerie/run.sh exited with status $rc"
else
    fail aerie "bench/aerie/run.sh is missing or not executable"
fi

echo "bench: [$(( $(date +%s) - t0 ))s] statistics"
"$tools/benchstat" -o "$results" "$raw"/*.log || fail benchstat "could not read every log"

if command -v gnuplot >/dev/null 2>&1; then
    plots=$(pwd)/bench/plots
    for gp in startup cdf udp bars; do
        (cd "$results" && GNUPLOT_LIB=$plots gnuplot "$plots/$gp.gp") || fail "plot $gp" "gnuplot failed"
    done
    echo "bench: plots: $(cd "$results" && ls ./*.png 2>/dev/null | tr '\n' ' ')"
else
    fail plots "gnuplot is missing (apt-get install gnuplot-nox)"
fi

echo "bench: [$(( $(date +%s) - t0 ))s] trusted computing base"
bench/tcb.sh "$BUILD/bench/tcb" > "$results/tcb.tsv" || fail tcb "bench/tcb.sh failed"

# TCP and HTTP (bench/tcp.sh): both guests on QEMU user networking with
# forwards, after the rest (its own CSV, bench/results/tcp.csv).
echo "bench: [$(( $(date +%s) - t0 ))s] tcp and http"
BUILD=$BUILD bench/tcp.sh || fail tcp "bench/tcp.sh failed"

[ "$rundir" = "$(pwd)/$BUILD/bench/run" ] || rm -rf "$rundir"
echo "bench: [$(( $(date +%s) - t0 ))s] results in $results/ (summary.tsv, stats.tsv, *.csv, *.png, tcb.tsv)"
if [ -n "$failed" ]; then
    echo "bench: finished with failures:$failed"
    exit 1
fi
echo "bench: finished, nothing failed"
