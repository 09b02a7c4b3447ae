#!/bin/sh
# test_stdin_attack.sh — attacks on containers' standard input (`aerie run
# -i`, grant=stdin; docs/SECURITY.md rows 37e-37i) against a real Aerie,
# through aerie-engine as `make run` starts them: several threads of one
# reader all see the end (a wakeup reaches one waiter); a console restart
# with readers waiting ends their input (an Aerie program and a Linux one)
# and sends no input to the wrong container; a raw client whose input a
# container never reads holds back only itself (ps, other containers'
# input and output go on) and hears why when the container is killed;
# malformed ids and sizes on the input verb; 40 idle `run -i` sessions
# (once 15 took every channel of the link) leave ps and run working; the
# input ring is the container's memory, not the console's; a ctl restart
# ends the input of every container whose CLI it took with it.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/stdin-attack-test
. tests/cli/lib.sh
# never PIDFILE: a writer that never writes (killed by its pid at the end)
never() { sleep 600 2>/dev/null & echo $! > "$1"; wait; }

on_exit='for f in "$dir"/w*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done'
boot stdin_attack_boot

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

# ---- 40 idle `run -i` sessions: the link's channels are not used up (37i) ----
# Each session's input goes on its run's own connection (one channel, as
# `aerie run`), and the link has 62 client channels. Once each held two
# of 30: 15 of these left every other client waiting.
k=1
runners=
while [ $k -le 40 ]; do
    (never "$dir/w$((100 + k)).pid" | timeout 300 ./aerie run -i --name idle$k stdinprobe cat \
         > "$dir/idle$k.out" 2>&1) &
    runners="$runners $!"
    k=$((k + 1))
done
i=0
while [ $i -lt 240 ] && [ "$(./aerie ps 2>/dev/null | grep -Ec " idle[0-9]+ +running")" -lt 40 ]; do
    sleep 0.5; i=$((i + 1))
done
t0=$(date +%s)
aerie ps
t1=$(date +%s)
if [ "$rc" = 0 ] && [ "$(grep -Ec " idle[0-9]+ +running" "$out")" = 40 ] && [ $((t1 - t0)) -lt 20 ]; then
    pass stdin_many_idle_sessions_leave_ps_working
else fail stdin_many_idle_sessions_leave_ps_working "status $rc in $((t1 - t0)) s, $(grep -c idle "$out") idle: $(head -c 200 "$errf")"; fi
printf 'BESIDE-40\n' > "$in"; aerie run --rm -i stdinprobe cat < "$in"
expect stdin_many_idle_sessions_leave_run_working 0 out "^got: BESIDE-40$"
aerie run --rm hello
expect stdin_many_idle_sessions_leave_plain_run_working 0 out "Hello from hello"
k=1
while [ $k -le 40 ]; do kill "$(cat "$dir/w$((100 + k)).pid")" 2>/dev/null; k=$((k + 1)); done
i=0
while [ $i -lt 240 ] && [ "$(./aerie ps 2>/dev/null | grep -Ec " idle[0-9]+ +exited\(0\)")" -lt 40 ]; do
    sleep 0.5; i=$((i + 1))
done
wait $runners
ok=$(grep -l "^stdinprobe: 0 bytes, end$" "$dir"/idle*.out | wc -l)
[ "$ok" = 40 ] && pass stdin_many_idle_sessions_each_end_with_their_writer ||
    fail stdin_many_idle_sessions_each_end_with_their_writer "$ok of 40 read the end: $(./aerie ps | grep -c 'idle.*exited(0)') exited(0)"
./aerie ps | awk '$3 ~ /^idle[0-9]+$/ { print $1 }' | xargs ./aerie rm > /dev/null 2>&1

# ---- the input ring is the container's: 4 KiB of its own memory ----
aerie start --grant console,stdin --name chg1 idle
with=$(cat "$out")
aerie start --grant console --name chg0 idle
without=$(cat "$out")
sleep 1
m1=$(./aerie stats --json "$with" | sed 's/.*"mem_used": \([0-9]*\).*/\1/')
m0=$(./aerie stats --json "$without" | sed 's/.*"mem_used": \([0-9]*\).*/\1/')
d=$((m1 - m0))
[ "$d" -ge 4096 ] && [ "$d" -le 8192 ] && pass stdin_ring_is_charged_to_its_container ||
    fail stdin_ring_is_charged_to_its_container "with stdin $m1 bytes, without $m0: $d more, expected 4096..8192"
./aerie rm -f "$with" "$without" > /dev/null 2>&1

# ---- a ctl restart: the CLIs it took with it end their containers' input ----
(never "$dir/w51.pid" | timeout 120 ./aerie run -i --name ctlaerie stdinprobe cat > "$dir/c1.out" 2>&1
 echo $? > "$dir/c1.rc") &
runners=$!
(never "$dir/w52.pid" | timeout 120 ./aerie run -i --name ctllinux busybox cat > "$dir/c2.out" 2>&1
 echo $? > "$dir/c2.rc") &
runners="$runners $!"
waitstate " ctlaerie +running" || true
waitstate " ctllinux +running" || true
sleep 2                                   # both claimed their input, in read(0)
aerie debug-kill-service ctl              # its own session goes with ctl
sleep 2
if waitstate " ctlaerie +exited\(0\)" 60; then pass stdin_ctl_restart_aerie_reader_sees_the_end
else fail stdin_ctl_restart_aerie_reader_sees_the_end "$(./aerie ps | grep ctlaerie)"; fi
if waitstate " ctllinux +exited\(0\)" 60; then pass stdin_ctl_restart_linux_reader_sees_the_end
else fail stdin_ctl_restart_linux_reader_sees_the_end "$(./aerie ps | grep ctllinux)"; fi
grep -q "previous ctl's clients fed 2 containers' input" "$log" && pass stdin_ctl_restart_names_the_orphans ||
    fail stdin_ctl_restart_names_the_orphans "$(grep 'ctl:' "$log" | tail -n 3 | tr '\n' '|')"
kill "$(cat "$dir/w51.pid")" "$(cat "$dir/w52.pid")" 2>/dev/null
wait $runners
grep -q "Aerie went away" "$dir/c1.out" && pass stdin_ctl_restart_cli_hears_it ||
    fail stdin_ctl_restart_cli_hears_it "status $(cat "$dir/c1.rc"): $(head -c 200 "$dir/c1.out")"
printf 'AFTER-CTL\n' > "$in"; aerie run --rm -i stdinprobe cat < "$in"
expect stdin_ctl_restart_new_input_works 0 out "^got: AFTER-CTL$"

echo "TESTS DONE $n"
