#!/bin/sh
# test_stdin_attack.sh — attacks on containers' standard input (`aerie run
# -i`, grant=stdin; docs/SECURITY.md rows 37e-37i) against a real Aerie,
# through aerie-engine as `make run` starts them: several threads of one
# reader all see the end (a wakeup reaches one waiter); a console restart
# with readers waiting ends their input (an Aerie program and a Linux one)
# and sends no input to the wrong container; a raw client whose input a
# container never reads holds back only itself (ps, other containers'
# input and output go on) and hears why when the container is killed;
# malformed ids and sizes on the input verb.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/stdin-attack-test
sock=$dir/aerie.sock
vm=$dir/vm.sock
log=$dir/qemu.log
out=$dir/out
errf=$dir/err
in=$dir/in
n=0
rm -rf "$dir"
mkdir -p "$dir"
export AERIE_SOCKET="$sock"

pass() { echo "TEST PASS $1"; n=$((n + 1)); }
fail() { echo "TEST FAIL $1: $2"; n=$((n + 1)); }
aerie() { timeout 120 ./aerie "$@" > "$out" 2> "$errf"; rc=$?; }
expect() {
    f=$out; [ "$3" = err ] && f=$errf
    if [ "$rc" != "$2" ]; then
        fail "$1" "exit status $rc, expected $2 (stdout: $(head -c 300 "$out"); stderr: $(head -c 300 "$errf"))"
    elif ! grep -Eq -- "$4" "$f"; then
        fail "$1" "std$3 does not match '$4': $(head -c 400 "$f")"
    else
        pass "$1"
    fi
}
# waitstate REGEX [TRIES]: waits (0.5 s a try, 120 tries) for a ps line to match.
waitstate() {
    i=0
    while [ $i -lt "${2:-120}" ]; do
        ./aerie ps 2>/dev/null | grep -Eq -- "$1" && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
idof() { ./aerie ps | awk -v n="$1" '$3 == n { print $1 }' | tail -n 1; }
# never PIDFILE: a writer that never writes (killed by its pid at the end)
never() { sleep 600 2>/dev/null & echo $! > "$1"; wait; }

build/tools/aerie-engine --socket "$sock" --vm "$vm" --store "$dir/store" --log "$dir/engine.log" \
    2> "$dir/engine.err" &
engine=$!
i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
tools/qemu.sh --test --smp 2 --mem 256M --ctl "$vm" --initrd build/root.elf,build/boot.img build/kernel.elf > "$log" 2>&1 &
qemu=$!
trap 'kill $qemu $engine 2>/dev/null; for f in "$dir"/w*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; wait 2>/dev/null' EXIT
i=0; while [ $i -lt 90 ] && ! ./aerie ps > /dev/null 2>&1; do sleep 1; i=$((i + 1)); done
if ! ./aerie ps > /dev/null 2>&1; then
    fail stdin_attack_boot "Aerie never let a client in: $(tail -n 5 "$log" | tr '\n' '|')"
    echo "TESTS DONE $n"; exit 0
fi

# ---- several readers of one input: every one sees the end ----
# (the console's signal wakes one waiter; it passes on what is left)
{ sleep 2; printf 'abc'; } | timeout 60 ./aerie run --rm -i stdinprobe threads 4 > "$out" 2> "$errf"; rc=$?
expect stdin_threads_all_see_the_end 0 out "^stdinprobe: 4 readers, 3 bytes, all ended$"

# two Linux processes (fork) read the one input at once: between them every byte, once, and both end
head -c 100000 /dev/urandom > "$dir/in.bin"
aerie run --rm -i busybox sh -c 'wc -c & wc -c; wait' < "$dir/in.bin"
sum=$(awk '{ s += $1 } END { print s }' "$out")
[ "$rc" = 0 ] && [ "$(wc -l < "$out")" = 2 ] && [ "$sum" = 100000 ] && pass stdin_linux_two_processes_share_the_input ||
    fail stdin_linux_two_processes_share_the_input "status $rc: $(head -c 200 "$out")"

# a fork of a container waiting for input: the clone (a stream without input) reads the end;
# the input that comes after goes to the original alone
({ while [ ! -f "$dir/go" ]; do sleep 0.2; done; printf 'ORIG\n'; } |
     timeout 120 ./aerie run -i --name forked stdinprobe cat > "$dir/r3.out" 2>&1; echo $? > "$dir/r3.rc") &
runner=$!
waitstate " forked +running" || true
sleep 1
aerie fork "$(idof forked)"
clone=$(head -n 1 "$out")
if [ "$rc" = 0 ] && waitstate "^$clone +stdinprobe +forked +exited\(0\)" 60; then
    pass stdin_fork_clone_reads_the_end
else fail stdin_fork_clone_reads_the_end "status $rc ($(head -c 100 "$out")): $(./aerie ps | grep forked)"; fi
touch "$dir/go"
wait $runner
./aerie logs "$clone" > "$out" 2>&1
if [ "$(cat "$dir/r3.rc")" = 0 ] && grep -q "^got: ORIG$" "$dir/r3.out" && ! grep -q ORIG "$out"; then
    pass stdin_fork_input_goes_to_the_original_alone
else fail stdin_fork_input_goes_to_the_original_alone "$(head -c 200 "$dir/r3.out") / clone: $(head -c 200 "$out")"; fi

# ---- a console restart with readers waiting ----
(never "$dir/w1.pid" | timeout 120 ./aerie run -i --name rsaerie stdinprobe cat > "$dir/r1.out" 2>&1
 echo $? > "$dir/r1.rc") &
(never "$dir/w2.pid" | timeout 120 ./aerie run -i --name rslinux busybox cat > "$dir/r2.out" 2>&1
 echo $? > "$dir/r2.rc") &
waitstate " rsaerie +running" || true
waitstate " rslinux +running" || true
sleep 2                                   # both in read(0), waiting on their notification
aerie debug-kill-service console
expect stdin_console_restart_done 0 out "^console: restarted"
if waitstate " rsaerie +exited\(0\)" 60; then pass stdin_console_restart_aerie_reader_sees_the_end
else fail stdin_console_restart_aerie_reader_sees_the_end "$(./aerie ps | grep rsaerie)"; fi
if waitstate " rslinux +exited\(0\)" 60; then pass stdin_console_restart_linux_reader_sees_the_end
else fail stdin_console_restart_linux_reader_sees_the_end "$(./aerie ps | grep rslinux)"; fi
# input after the restart reaches only the container it is for
printf 'AFTER-RESTART\n' > "$in"; aerie run --rm -i stdinprobe cat < "$in"
expect stdin_console_restart_new_input_works 0 out "^got: AFTER-RESTART$"
if grep -q AFTER-RESTART "$dir/r1.out" "$dir/r2.out"; then
    fail stdin_console_restart_input_not_misdirected "$(cat "$dir/r1.out" "$dir/r2.out" | head -c 300)"
else pass stdin_console_restart_input_not_misdirected; fi
grep -q "^stdinprobe: 0 bytes, end$" "$dir/r1.out" && pass stdin_console_restart_reader_reads_nothing ||
    fail stdin_console_restart_reader_reads_nothing "$(head -c 300 "$dir/r1.out")"
kill "$(cat "$dir/w1.pid")" "$(cat "$dir/w2.pid")" 2>/dev/null

# ---- a raw client's input that is never read holds back only itself ----
aerie start --grant console,self,stdin --name deaf busybox sleep 120
deaf=$(cat "$out")
pr=$dir/raw.out
: > "$pr"
( printf 'Q1 input %s 200000\n' "$deaf"; head -c 200000 /dev/zero
  i=0; while [ $i -lt 240 ] && ! grep -q "^Q1 " "$pr"; do sleep 0.5; i=$((i + 1)); done ) |
    timeout 150 socat - "UNIX-CONNECT:$sock" > "$pr" 2>/dev/null &
raw=$!
sleep 3                                   # its ring full, the rest held in ctl and the engine
t0=$(date +%s)
aerie ps
t1=$(date +%s)
if [ "$rc" = 0 ] && grep -q " deaf " "$out" && [ $((t1 - t0)) -lt 20 ]; then pass stdin_unread_input_leaves_ps_working
else fail stdin_unread_input_leaves_ps_working "status $rc in $((t1 - t0)) s: $(head -c 200 "$out")"; fi
printf 'NEIGHBOUR\n' > "$in"; aerie run --rm -i stdinprobe cat < "$in"
expect stdin_unread_input_leaves_neighbours_input 0 out "^got: NEIGHBOUR$"
grep -q "^Q1 " "$pr" && fail stdin_unread_input_is_held "answered early: $(head -c 200 "$pr")" ||
    pass stdin_unread_input_is_held
./aerie kill "$deaf" > /dev/null 2>&1
wait $raw
grep -Eq "^Q1 err .*(has ended|no such container)" "$pr" && pass stdin_unread_input_killed_answers ||
    fail stdin_unread_input_killed_answers "$(head -c 300 "$pr" | tr '\n' '|')"

# ---- malformed ids and sizes on the input verb; the session goes on ----
aerie start --grant console,self,stdin busybox sleep 60
live=$(cat "$out")
: > "$pr"
( printf 'M1 input 18446744073709551616 1\nxM2 input 00000000000000000001 eof\nM3 input %s 1 2\n' "$live"
  printf 'M4 input %s 99999999999999\nM5 input %s -1\nM6 input %s 0\nM7 input 0 eof\n' "$live" "$live" "$live"
  printf 'M8 input %s\nM9 ps\n' "$live"
  i=0; while [ $i -lt 60 ] && ! grep -q "^M9 ok" "$pr"; do sleep 0.5; i=$((i + 1)); done ) |
    timeout 60 socat - "UNIX-CONNECT:$sock" > "$pr" 2>/dev/null
ok=1
for want in "^M1 err .*not a container id" "^M2 err .*not a container id" "^M3 err usage" "^M4 err usage" \
            "^M5 err usage" "^M6 ok" "^M7 err .*not a container id" "^M8 err usage" "^M9 ok"; do
    grep -Eq "$want" "$pr" || { ok=0; break; }
done
[ $ok = 1 ] && pass stdin_input_verb_malformed_refused ||
    fail stdin_input_verb_malformed_refused "no '$want' in: $(head -c 600 "$pr" | tr '\n' '|')"
./aerie ps | grep -Eq "^$live +busybox .* running" && pass stdin_input_verb_malformed_leaves_it_running ||
    fail stdin_input_verb_malformed_leaves_it_running "$(./aerie ps | grep "^$live ")"
./aerie kill "$live" > /dev/null 2>&1

echo "TESTS DONE $n"
