# bash's process machinery under the personality: process substitution
# (/dev/fd/N), coprocesses, here-documents into pipelines, background jobs
# with wait and kill, traps, file descriptors opened with exec, mapfile
# from a pipe, and external programs (busybox) in pipelines.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
bb=/bin/busybox
$bb mkdir -p "$WORK" && cd "$WORK" || exit 98
$bb diff <(printf 'a\nb\n') <(printf 'a\nc\n') > d.out; echo "procsub diff $?"
$bb tail -2 d.out
while read -r l; do echo "got $l"; done < <(printf 'p\nq\n')
mapfile -t lines < <($bb seq 3); echo "mapfile ${#lines[@]} ${lines[2]}"
echo "to a command" > >($bb tr a-z A-Z > up.txt); wait $!; $bb cat up.txt
coproc $bb cat; echo ping >&"${COPROC[1]}"; read -r r <&"${COPROC[0]}"; echo "coproc $r"
exec {COPROC[1]}>&-; wait "$COPROC_PID"; echo "coproc done $?"
exec 3> fd3.txt; echo via3 >&3; exec 3>&-; $bb cat fd3.txt
exec 4< fd3.txt; read -r l <&4; exec 4<&-; echo "read via 4: $l"
$bb sleep 10 & p=$!; kill "$p"; wait "$p"; echo "killed $?"
(echo job > job.txt) & wait $!; echo "job $? $($bb cat job.txt)"
trap 'echo trapped USR1' USR1; kill -USR1 $$; echo "after trap"
trap 'echo exit trap' EXIT
out=$($bb seq 1 200 | $bb sort -rn | $bb head -3 | $bb tr '\n' ,); echo "pipeline $out"
$bb printf 'x\ny\nx\n' | { $bb sort | $bb uniq -c; } | $bb sed 's/^ *//'
n=0; $bb seq 5 | while read -r i; do n=$((n + i)); done; echo "lastpipe-less $n"
shopt -s lastpipe; set +m; n=0; $bb seq 5 | while read -r i; do n=$((n + i)); done; echo "lastpipe $n"
# through pipes: reopening a regular file that way would truncate it on Linux
{ echo "stdout alias" > /dev/stdout; } | $bb cat
{ echo "stderr alias" > /dev/stderr; } 2>&1 | $bb cat
$bb cat /dev/stdin <<< "stdin alias"
[ -e /dev/fd/0 ] && echo "dev fd exists"
echo end
