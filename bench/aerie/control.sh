#!/bin/sh
# bench/aerie/control.sh — the control channel and imported images, measured
# from the host as a user sees them (make bench; bench/README.md): Aerie
# boots as make run boots it (aerie-engine, then QEMU with the channel) in
# the bench machine (--smp 2 --mem 2G), and ./aerie does the work. SAMPLE
# lines go to stdout (system aerie):
#   channel_in, channel_out   MB/s of a 16 MiB `aerie cp` into / out of a
#                             container (the CLI's whole command)
#   import_10m                ms for `aerie import` of a 10 MiB directory
#                             image: archive built, sent, checked, stored
#   start_imported_first      ms for `aerie run --rm` of a just-imported
#                             image (its first container: fs indexes it)
#   start_boot                ms for `aerie run --rm` of a boot image
#   mem_per_container_8m      KiB a container of an image with an 8 MiB
#                             file is charged (the file is shared, counted
#                             once in cm, not per container)
#   image_bytes_8m            KiB of that image's archive, for comparison
#
# usage: control.sh BUILD PLAN (quick|full) LOGDIR
set -u
BUILD=$1 plan=$2 logdir=$3
dir=$BUILD/bench/control
sock=$dir/aerie.sock
samples=10
[ "$plan" = quick ] && samples=3
rm -rf "$dir"
mkdir -p "$dir"
export AERIE_SOCKET=$sock

"$BUILD/tools/aerie-engine" --socket "$sock" --vm "$dir/vm.sock" --store "$dir/store" \
    --log "$logdir/aerie-control.engine.log" &
engine=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
tools/qemu.sh --test --smp 2 --mem 2G --ctl "$dir/vm.sock" --initrd "$BUILD/root.elf,$BUILD/boot.img" \
    "$BUILD/kernel.elf" > "$logdir/aerie-control.qemu.log" 2>&1 &
qemu=$!
trap 'kill $qemu $engine 2>/dev/null; wait $qemu $engine 2>/dev/null' EXIT
i=0; while [ $i -lt 120 ] && ! ./aerie ps > /dev/null 2>&1; do sleep 1; i=$((i + 1)); done

now_ms() { date +%s%3N; }
sample() { echo "SAMPLE $1 aerie - - $2 $3"; }
# timed CMD...: runs it; its wall time in ms in $ms; status in $rc.
timed() { t=$(now_ms); "$@" > /dev/null 2> "$dir/err"; rc=$?; ms=$(( $(now_ms) - t )); }
rate() { awk -v ms="$1" 'BEGIN { printf "%.1f", 16 * 1048576 / 1e6 / (ms / 1000) }'; }

echo "control: channel"
head -c 16777216 /dev/urandom > "$dir/big"
cid=$(./aerie start --grant console,fs --mem 64M --fs-bytes 40M ticker 1000000 1000)
timed ./aerie cp "$dir/big" "$cid:/big"               # warm: the fs session, ctl's buffers
k=0
while [ $k -lt "$samples" ]; do
    timed ./aerie cp "$dir/big" "$cid:/big"
    [ $rc = 0 ] && sample channel_in "$(rate $ms)" MB/s || { cat "$dir/err" >&2; exit 1; }
    timed ./aerie cp "$cid:/big" "$dir/back"
    [ $rc = 0 ] && cmp -s "$dir/big" "$dir/back" || { echo "cp out failed or differs" >&2; exit 1; }
    sample channel_out "$(rate $ms)" MB/s
    k=$((k + 1))
done
./aerie rm -f "$cid" > /dev/null

echo "control: import and first start"
mkdir -p "$dir/img/bin"
cp "$BUILD/images/hello.elf" "$dir/img/bin/hello"
head -c 10485760 /dev/urandom > "$dir/img/data"
timed ./aerie run --rm hello                           # warm
k=0
while [ $k -lt "$samples" ]; do
    timed ./aerie import --entrypoint /bin/hello i10m "$dir/img"
    [ $rc = 0 ] && sample import_10m "$ms" ms || { cat "$dir/err" >&2; exit 1; }
    timed ./aerie run --rm --grant console,fs i10m
    [ $rc = 0 ] && sample start_imported_first "$ms" ms || { cat "$dir/err" >&2; exit 1; }
    timed ./aerie run --rm --grant console,fs hello
    [ $rc = 0 ] && sample start_boot "$ms" ms || { cat "$dir/err" >&2; exit 1; }
    ./aerie rmi i10m > /dev/null
    k=$((k + 1))
done

echo "control: memory per container of an image with an 8 MiB file"
mkdir -p "$dir/big8/bin"
cp "$BUILD/images/idle.elf" "$dir/big8/bin/idle"
head -c 8388608 /dev/urandom > "$dir/big8/blob"
./aerie import --entrypoint /bin/idle big8 "$dir/big8" > /dev/null || exit 1
sample image_bytes_8m "$(./aerie images | awk '$1 == "big8" { print $2 }' | sed 's/M$//' |
    awk '{ printf "%.0f", $1 * 1024 }')" KiB
k=0
while [ $k -lt "$samples" ]; do
    id=$(./aerie start --grant console,fs big8) || exit 1
    used=$(./aerie ps | awk -v id="$id" '$1 == id { print $6 }')
    case "$used" in
        *K) sample mem_per_container_8m "${used%K}" KiB ;;
        *M) sample mem_per_container_8m "$(echo "${used%M}" | awk '{ printf "%.1f", $1 * 1024 }')" KiB ;;
        *B) sample mem_per_container_8m "$(echo "${used%B}" | awk '{ printf "%.2f", $1 / 1024 }')" KiB ;;
    esac
    k=$((k + 1))
done
echo "control: done"
