#!/bin/sh
# test_aerie.sh — the aerie CLI against a real Aerie: boots QEMU with its
# control channel on a socket under build/, waits for ctl, then checks
# run, start/ps/logs/stats/kill/rm, images, bad arguments, the message
# when no Aerie runs, and that garbage on the channel does not stop ctl.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/cli-test
sock=$dir/aerie.sock
log=$dir/qemu.log
out=$dir/out
errf=$dir/err
n=0
mkdir -p "$dir"
rm -f "$sock" "$dir"/*.out
export AERIE_SOCKET="$sock"

pass() { echo "TEST PASS $1"; n=$((n + 1)); }
fail() { echo "TEST FAIL $1: $2"; n=$((n + 1)); }

# aerie ARGS...: runs ./aerie, stdout in $out, stderr in $errf, status in $rc.
aerie() { ./aerie "$@" > "$out" 2> "$errf"; rc=$?; }

# expect NAME RC STREAM PATTERN: the last aerie call exited RC (or "nonzero")
# and STREAM (out or err) matches the extended regex PATTERN.
status_is() { if [ "$1" = nonzero ]; then [ "$rc" != 0 ]; else [ "$rc" = "$1" ]; fi; }
# status_only NAME: the last aerie call exited 0 (its output is not checked).
status_only() { if [ "$rc" = 0 ]; then pass "$1"; else fail "$1" "exit status $rc: $(head -c 300 "$errf")"; fi; }
expect() {
    f=$out; [ "$3" = err ] && f=$errf
    if ! status_is "$2"; then
        fail "$1" "exit status $rc, expected $2 (stdout: $(head -c 300 "$out"); stderr: $(head -c 300 "$errf"))"
    elif ! grep -Eq -- "$4" "$f"; then
        fail "$1" "std$3 does not match '$4': $(head -c 400 "$f")"
    else
        pass "$1"
    fi
}

# ---- before any Aerie runs ----
AERIE_SOCKET=$dir/nothing.sock ./aerie ps > "$out" 2> "$errf"; rc=$?
expect cli_no_aerie_says_make_run 1 err \
    "^aerie: no Aerie is running \(no socket at $dir/nothing.sock\): start one with 'make run'$"
aerie run --mem banana hello
expect cli_bad_mem_names_the_option 2 err "aerie: run: --mem: 'banana' must be a size"
aerie frob
expect cli_unknown_command_refused 2 err "unknown command 'frob'"
ok=1
for cmd in run start ps logs stats kill rm images cp help; do
    ./aerie "$cmd" --help > "$out" 2>&1 && grep -q "^usage: aerie $cmd" "$out" || { ok=0; break; }
done
if [ $ok = 1 ]; then pass cli_help_on_every_command; else fail cli_help_on_every_command "aerie $cmd --help: $(head -c 200 "$out")"; fi

# ---- boot ----
tools/qemu.sh --test --smp 2 --mem 256M --ctl "$sock" --initrd build/root.elf,build/boot.img \
    build/kernel.elf > "$log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null' EXIT
i=0
while [ $i -lt 120 ] && ! grep -q "ctl: ready" "$log" && kill -0 $qemu 2>/dev/null; do
    sleep 0.5; i=$((i + 1))
done
if ! grep -q "ctl: ready" "$log"; then
    fail cli_boot "ctl never said it was ready; last lines: $(tail -n 5 "$log" | tr '\n' '|')"
    echo "TESTS DONE $n"
    exit 0
fi
pass cli_boot

# ---- run ----
aerie run hello
expect cli_run_hello_prints_and_exits_0 0 out "^Hello from hello: a task that holds only"
aerie run crasher
expect cli_run_crasher_names_the_fault 139 err "^aerie: container [0-9]+ faulted: page fault at 0x0 \(read"
grep -q "crasher: about to read address 0" "$out" || fail cli_run_crasher_output "its output before the fault is missing"
aerie run --mem 1M memhog
expect cli_run_mem_option_limits_it 0 out "memhog: stopped at the limit after [0-9]{1,4} KiB \(errno [0-9]+, ENOMEM\)"
aerie run --grant self hello
if [ "$rc" = 0 ] && [ ! -s "$out" ]; then pass cli_run_without_console_is_silent
else fail cli_run_without_console_is_silent "status $rc, output '$(head -c 200 "$out")'"; fi
aerie run nosuch
expect cli_run_unknown_image_refused 125 err "aerie: run: image: no image 'nosuch'"

# ---- start, ps, logs, stats, kill, rm ----
aerie start ticker 1000 50
id=$(cat "$out")
expect cli_start_prints_id 0 out "^[0-9]+$"
aerie ps
expect cli_ps_shows_it_running 0 out "^$id +ticker +running "
i=0
while [ $i -lt 40 ]; do
    aerie logs "$id"; grep -q "^tick 3$" "$out" && break
    sleep 0.25; i=$((i + 1))
done
expect cli_logs_shows_its_output 0 out "^tick 1$"
aerie stats "$id"
expect cli_stats_shows_memory 0 out "^memory +[0-9.]+[BKM] of 16.0M"
aerie rm "$id"
expect cli_rm_refuses_a_running_one 1 err "container $id is running: kill it first, or use rm -f"
aerie kill "$id"
expect cli_kill_prints_id 0 out "^$id$"
aerie ps
expect cli_ps_shows_it_killed 0 out "^$id +ticker +killed "
aerie rm "$id"
expect cli_rm_removes_it 0 out "^$id$"
aerie ps
if [ "$rc" = 0 ] && ! grep -Eq "^$id " "$out" && grep -q "^ID " "$out"; then pass cli_ps_no_longer_shows_it
else fail cli_ps_no_longer_shows_it "status $rc: $(cat "$out")"; fi
aerie logs "$id"
expect cli_logs_of_removed_refused 1 err "no such container $id"

aerie images
expect cli_images_lists_hello 0 out "^hello$"

# ---- cp: a generated tree in and out again, byte for byte ----
tree=$dir/tree
rm -rf "$tree" "$dir/back" "$dir/note"
mkdir -p "$tree/deep/er/est" "$tree/with space" "$tree/empty-dir"
f=0
for d in "$tree" "$tree/deep" "$tree/deep/er" "$tree/deep/er/est" "$tree/with space"; do
    for size in 0 1 255 256 257 4096 9001; do
        head -c $size /dev/urandom > "$d/f$f-$size"; f=$((f + 1))
    done
done
head -c 65536 /dev/urandom > "$tree/deep/big"
printf 'name with %% and spaces\n' > "$tree/with space/odd %name"
aerie start --grant console,fs ticker 100000 1000
cpid=$(cat "$out")
aerie cp "$tree" "$cpid:/in"
status_only cli_cp_tree_into_container
aerie cp "$cpid:/in" "$dir/back"
status_only cli_cp_tree_out_of_container
if diff -r "$tree" "$dir/back" > "$dir/diff" 2>&1; then pass cli_cp_round_trip_byte_for_byte
else fail cli_cp_round_trip_byte_for_byte "$(head -c 300 "$dir/diff")"; fi
aerie cp "$cpid:/in/nothing" "$dir/x"
expect cli_cp_missing_file_named 1 err "aerie: cp: /in/nothing: no such file or directory"
aerie cp "$dir/back" "$dir/x"
expect cli_cp_needs_a_container_side 2 err "one side must be ID:PATH"
aerie rm -f "$cpid"
# files outlive the container until rm; no fs grant, no files
aerie start --grant console,fs grantprobe write /note inside
nid=$(cat "$out")
timeout 60 ./aerie logs -f "$nid" > /dev/null 2>&1      # returns once it has ended
aerie cp "$nid:/note" "$dir/note"
if [ "$rc" = 0 ] && [ "$(cat "$dir/note")" = inside ]; then pass cli_cp_out_of_an_ended_container
else fail cli_cp_out_of_an_ended_container "status $rc, '$(cat "$dir/note" 2>/dev/null)', $(head -c 200 "$errf")"; fi
aerie rm "$nid"
aerie start ticker 1000 100
gid=$(cat "$out")
aerie cp "$gid:/" "$dir/x"
expect cli_cp_without_fs_grant_refused 1 err "not granted fs"
aerie rm -f "$gid"

# ---- Ctrl-C on run kills the container ----
./aerie run ticker 1000 50 > "$out" 2> "$errf" &
runner=$!
sleep 2
kill -INT $runner
wait $runner; rc=$?
expect cli_run_ctrl_c_kills_it 137 err "container [0-9]+ was killed"

# ---- garbage on the channel ----
g=$dir/garbage.out
: > "$g"
( head -c 8192 /dev/urandom; head -c 3000 /dev/zero | tr '\0' 'x'; printf '\n\001\377\nG1 frob\nG1 ps\n'
  i=0; while [ $i -lt 60 ] && ! grep -q "^G1 ok" "$g"; do sleep 0.5; i=$((i + 1)); done ) |
    timeout 60 socat - "UNIX-CONNECT:$sock" > "$g" 2>/dev/null
if grep -q "^G1 err unknown verb 'frob'" "$g" && grep -q "^G1 ok" "$g" && grep -q "line longer than 1024 bytes" "$g"; then
    pass cli_garbage_answered_with_errors
else
    fail cli_garbage_answered_with_errors "replies: $(grep -v '^- err byte' "$g" | head -c 300)"
fi
aerie run hello
expect cli_works_after_garbage 0 out "^Hello from hello"

echo "TESTS DONE $n"
