#!/bin/sh
# bench/aerie/bench-udp.sh — `make bench-udp` (glue): make bench's udp_bw
# rows alone, Aerie beside Linux in the same QEMU machine (tools/qemu.sh
# --test --smp 2 --mem 2G --netwire SOCK, tools/udpsink at the other end),
# in alternating boots: Aerie, Linux, Aerie, Linux, ... ROUNDS times, so
# that the host's load falls on both alike. Each boot is the full plan
# (5 s per run, three runs per stream count 1, 2, 4, 8) unless PLAN=quick.
#
# Environment: BUILD (build); OUT ($BUILD/bench/udp); ROUNDS (3); PLAN (full|quick); LINUX=0 boots
# Aerie only (for trying changes, not for reporting); AERIE_BUILDS: more
# Aerie build directories to alternate with BUILD's, as LABEL=DIR words
# (an older commit's worktree build, for an A/B of commits: each round
# then boots BUILD's Aerie, each of those, then Linux).
# ICOUNT=1: every boot under -icount shift=0,sleep=off (one guest ns per
# instruction, the vCPUs taken in turn by one host thread): the figure is
# then what the guest's senders handed over per second of guest time
# ("sent N datagrams in S+M s" on the console), which the host's load
# does not move — the instructions a datagram costs, not the wall clock.
# Output: every SAMPLE line in $BUILD/bench/udp/samples.tsv
# (round label streams mbit), the boots' consoles in $BUILD/bench/udp/raw/,
# and per label and stream count the median over the rounds' medians.
set -u

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
PLAN=${PLAN:-full}
out=${OUT:-$BUILD/bench/udp}
tools=$BUILD/tools
mkdir -p "$out/raw"
rundir=$(pwd)/$out/run
[ ${#rundir} -le 80 ] || rundir=$(mktemp -d /tmp/aerie-udp.XXXXXX)
mkdir -p "$rundir"
for f in "$tools/udpsink" "$tools/benchrun" "$BUILD/kernel.elf" "$BUILD/root.elf" "$BUILD/udpwire-$PLAN.img"; do
    [ -f "$f" ] || { echo "bench-udp: $f is missing (make bench-udp builds it)" >&2; exit 2; }
done
builds="aerie=$BUILD ${AERIE_BUILDS:-}"
: > "$out/samples.tsv"
failed=""

# boot ROUND LABEL KIND DIR — one boot with udpsink on its wire; its
# udpsink SAMPLE lines (mbit) go to samples.tsv under LABEL.
boot() {
    round=$1 label=$2 kind=$3 dir=$4
    sock=$rundir/$label.sock log=$out/raw/$label-$round
    echo "bench-udp: round $round: $label ($(uptime | sed 's/.*load/load/'))"
    set --
    [ "${ICOUNT:-0}" != 1 ] || set -- --qemu "-icount shift=0,sleep=off"
    "$tools/udpsink" --sock "$sock" --system "$label" --timeout 400 > "$log.udpsink.log" 2>&1 &
    sink=$!
    if [ "$kind" = linux ]; then
        "$tools/benchrun" --name "$label" --log "$log.log" --timeout 360 --silence 120 -- \
            tools/qemu.sh --test --smp 2 --mem 2G --netwire "$sock" "$@" \
                --append "console=ttyS0 quiet loglevel=3 bench.boot=udp bench.plan=$PLAN" \
                --initrd "$BUILD/bench/linux/initramfs.cpio" "$BUILD/bench/linux/vmlinuz"
    else
        "$tools/benchrun" --name "$label" --log "$log.log" --timeout 300 --silence 120 -- \
            tools/qemu.sh --test --smp 2 --mem 2G --netwire "$sock" "$@" \
                --append "exit_on_halt bench.plan=$PLAN" \
                --initrd "$dir/root.elf,$dir/udpwire-$PLAN.img" "$dir/kernel.elf"
    fi || failed="$failed $label-$round"
    kill "$sink" 2>/dev/null
    wait "$sink" 2>/dev/null
    if [ "${ICOUNT:-0}" = 1 ]; then
        # "# udpwire: streams=N run=R: sent X datagrams in S+M s ..." (udpsend's alike)
        tr -d '\r' < "$log.log" | awk -v r="$round" -v l="$label" '
            $1 == "#" && $3 ~ /^streams=/ && $5 == "sent" {
                n = $3; sub("streams=", "", n); split($9, t, "+")
                printf "%s\t%s\t%s\t%.1f\n", r, l, n, $6 * 1472 * 8 / (t[1] + t[2]) / 1e6 }'
    else
        awk -v r="$round" -v l="$label" '$1 == "SAMPLE" && $4 == "mbit" { sub("streams=", "", $5); print r "\t" l "\t" $5 "\t" $6 }' \
            "$log.udpsink.log"
    fi > "$log.tsv"
    cat "$log.tsv" >> "$out/samples.tsv"
    awk '{ printf "  %s streams=%s %s Mbit/s\n", $2, $3, $4 }' "$log.tsv"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
    for b in $builds; do boot "$r" "${b%%=*}" aerie "${b#*=}"; done
    [ "${LINUX:-1}" = 0 ] || boot "$r" linux linux -
    r=$((r + 1))
done
[ "$rundir" = "$(pwd)/$out/run" ] || rm -rf "$rundir"

# Medians: first of each boot's runs per stream count, then over the rounds.
echo "bench-udp: medians (Mbit/s) over $ROUNDS rounds of boot medians; samples: $out/samples.tsv"
sort -k2,2 -k3,3n -k1,1n -k4,4n "$out/samples.tsv" | awk '
    function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { k = $2 " streams=" $3; kr = k SUBSEP $1; v[kr, ++n[kr]] = $4; if (!(kr in seen)) { seen[kr] = 1; keys[k] = keys[k] " " $1 } }
    END {
        for (k in keys) {
            m = split(substr(keys[k], 2), rs, " "); delete bm
            for (i = 1; i <= m; i++) { kr = k SUBSEP rs[i]; delete a
                for (j = 1; j <= n[kr]; j++) a[j] = v[kr, j]
                bm[i] = med(a, n[kr]); all = all sprintf(" %.0f", bm[i]) }
            for (i = 2; i <= m; i++) for (j = i; j > 1 && bm[j - 1] > bm[j]; j--) { t = bm[j]; bm[j] = bm[j - 1]; bm[j - 1] = t }
            printf "%-24s median %6.0f   boots:%s\n", k, med(bm, m), all; all = ""
        }
    }' | sort
if [ -n "$failed" ]; then
    echo "bench-udp: failed:$failed" >&2
    exit 1
fi
