#!/bin/sh
# test_exec.sh — `aerie exec` (CM_EXEC; docs/CM.md "aerie exec", docs/LINUX.md
# "Programs run from outside") against a real Aerie behind aerie-engine:
# a program run in a running busybox container prints into the stream and
# its exit status is the CLI's; it sees the files pid 1 wrote; -i pipes
# stdin byte for byte; -e and the container's environment; refusals with
# their messages (no container, not running — and not started —, an Aerie
# program, a missing program named, bad arguments); exec'd processes die
# with `aerie kill`; an exec bomb stays inside the container's limits and
# the container goes on; the exec protocol cannot be reached from inside
# (a Linux program forging the request on its personality's endpoint, the
# hostile container trying CM_EXEC on every capability).
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/exec-test
. tests/cli/lib.sh

# ---- before Aerie runs: the command line ----
aerie exec
expect exec_usage_needs_an_id 125 err "expected"
aerie exec 5
expect exec_usage_needs_a_program 125 err "no program to run"
aerie exec 0 sh
expect exec_usage_bad_id 125 err "not a container id"
aerie exec -e NOEQUALS 5 sh
expect exec_usage_bad_env 125 err "needs NAME=VALUE"
./aerie help > "$out" 2>&1
grep -q "^  exec " "$out" && pass exec_in_help || fail exec_in_help "$(head -c 600 "$out")"

boot exec_boot

# ---- a busybox container whose pid 1 writes a file, then waits ----
aerie start --name box --grant console,fs,self --env BOXVAR=from-spec --threads 12 busybox sh -c \
    'mkdir -p /tmp; echo pid1-wrote > /tmp/made-by-pid1; echo box-ready; sleep 600'
box=$(cat "$out")
waitstate " box +running" || true
i=0; while [ $i -lt 60 ] && ! ./aerie logs "$box" 2>/dev/null | grep -q box-ready; do sleep 0.5; i=$((i + 1)); done

aerie exec "$box" busybox sh -c 'echo hi; exit 3'
expect exec_output_and_exit_status 3 out "^hi$"
[ "$(cat "$out")" = hi ] && pass exec_output_is_only_its_own || fail exec_output_is_only_its_own "$(head -c 300 "$out")"
aerie exec box busybox cat /tmp/made-by-pid1             # by its name, as docker takes either
expect exec_sees_pid1_files 0 out "^pid1-wrote$"
aerie exec "$box" sh -c 'echo exec-wrote > /tmp/made-by-exec'
aerie exec "$box" /bin/sh -c 'cat /tmp/made-by-exec; echo ppid=$PPID; echo var=$BOXVAR; echo x=$X; pwd'
expect exec_sees_its_own_earlier_files 0 out "^exec-wrote$"
grep -q "^ppid=0$" "$out" && pass exec_has_no_parent_inside || fail exec_has_no_parent_inside "$(head -c 300 "$out")"
grep -q "^var=from-spec$" "$out" && pass exec_gets_the_container_env || fail exec_gets_the_container_env "$(head -c 300 "$out")"
aerie exec -e X=given -e BOXVAR=over "$box" sh -c 'echo x=$X var=$BOXVAR'
expect exec_env_option 0 out "^x=given var=over$"
aerie exec "$box" sh -c 'kill -9 $$'
expect exec_killed_by_a_signal 137 err "signal 9"

# ---- -i: our stdin is its fd 0 ----
printf 'a\nb\nc\n' > "$in"; aerie exec -i "$box" busybox wc -l < "$in"
expect exec_i_pipes_stdin 0 out "^ *3$"
echo data > "$in"; aerie exec "$box" busybox wc -c < "$in"
expect exec_without_i_reads_empty 0 out "^ *0$"
head -c 200000 /dev/urandom > "$dir/in.bin"
want=$(md5sum < "$dir/in.bin" | cut -d' ' -f1)
aerie exec -i "$box" busybox md5sum < "$dir/in.bin"
expect exec_i_200k_byte_for_byte 0 out "^$want"
printf 'echo line1\necho $((6 * 7))\n' > "$in"; aerie exec -i "$box" sh < "$in"
expect exec_i_shell_reads_a_script 0 out "^42$"

# the input verb for an exec: refused for one started without -i, or an exec it never had
pr=$dir/proto.out
started=$( (printf 'E1 exec %s -- busybox sleep 20\n' "$box"; sleep 4) | timeout 30 socat - "UNIX-CONNECT:$sock" 2>/dev/null |
          awk '$1 == "E1" && $2 == "started" { print $3 }')
( printf 'I1 input %s:%s 3\nabcI2 input %s:99999 3\nxyzI3 input %s:%s eof\nI4 ps\n' "$box" "$started" "$box" "$box" \
      "$started"
  i=0; while [ $i -lt 60 ] && ! grep -q "^I4 ok" "$pr"; do sleep 0.5; i=$((i + 1)); done ) |
    timeout 60 socat - "UNIX-CONNECT:$sock" > "$pr" 2>/dev/null
if [ -n "$started" ] && grep -q "^I1 err .*not started with input" "$pr" && grep -q "^I2 err " "$pr" &&
   grep -q "^I3 ok" "$pr" && grep -q "^I4 ok" "$pr"; then
    pass exec_input_verb_refuses_cleanly
else
    fail exec_input_verb_refuses_cleanly "exec $started: $(head -c 500 "$pr" | tr '\n' '|')"
fi

# ---- refusals ----
aerie exec "$box" /no/such/prog arg
expect exec_missing_program_named 127 err "/no/such/prog.*no such program.*ENOENT"
aerie exec "$box" nosuchcmd
expect exec_missing_program_in_path_named 127 err "nosuchcmd.*ENOENT"
aerie exec "$box" /bin
expect exec_directory_refused 126 err "EACCES"
aerie exec "$box" /proc/self/exe
[ "$rc" = 126 ] || [ "$rc" = 127 ] && pass exec_proc_self_exe_refused || fail exec_proc_self_exe_refused "status $rc: $(head -c 300 "$errf")"
aerie exec 99999 sh
expect exec_no_such_container 1 err "no such container 99999"
aerie start hello
hello=$(cat "$out")
waitstate "^$hello .* exited" || true
aerie exec "$hello" sh
expect exec_stopped_container_refused 1 err "is not running.*does not start it"
waitstate "^$hello .* exited\(0\)" && pass exec_did_not_start_it || fail exec_did_not_start_it "$(./aerie ps | grep "^$hello ")"
made=$( (printf 'C1 create image=busybox name=made\n'; sleep 3) | timeout 20 socat - "UNIX-CONNECT:$sock" 2>/dev/null |
        awk '$1 == "C1" && $2 == "ok" { print $3 }')
aerie exec "$made" sh -c 'echo no'
expect exec_created_container_refused 1 err "is not running \(created\)"
waitstate " made +created" && pass exec_created_stays_created || fail exec_created_stays_created "$(./aerie ps | grep made)"
aerie start ticker 1000 100
tick=$(cat "$out")
aerie exec "$tick" sh
expect exec_aerie_program_refused 1 err "exec needs a Linux image"
./aerie kill "$tick" > /dev/null 2>&1

# ---- isolation: a container cannot run anything in another (or itself) ----
aerie run --grant console,fs,self hostile report
expect exec_hostile_cm_exec_refused 0 out "hostile: .* 0 surprises"
aerie exec "$box" busybox ls /tmp
expect exec_hostile_left_nothing 0 out "made-by-pid1"
grep -q '^x$' "$out" && fail exec_hostile_wrote_nothing "$(cat "$out")" || pass exec_hostile_wrote_nothing

# ---- limits: an exec bomb stays inside; the container goes on ----
# (one exec started first, to end with the kill below)
(timeout 300 ./aerie exec "$box" busybox sleep 500 > "$dir/k.out" 2>&1; echo $? > "$dir/k.rc") &
runner=$!
sleep 3
i=0; bombs=
while [ $i -lt 14 ]; do
    timeout 300 ./aerie exec "$box" busybox sleep 500 > /dev/null 2> "$dir/bomb.err" &
    bombs="$bombs $!"
    i=$((i + 1))
done
# until the container's thread count is at its limit (slow under a loaded host), 90 s at most
i=0
while [ $i -lt 180 ] && ! ./aerie stats --json "$box" 2>/dev/null | grep -q '"threads": 12,'; do
    sleep 0.5; i=$((i + 1))
done
aerie stats --json "$box"
grep -q '"threads": 12,' "$out" && pass exec_processes_charged_to_the_container ||
    fail exec_processes_charged_to_the_container "$(head -c 400 "$out")"
aerie exec "$box" sh -c 'echo should-not-run'
expect exec_bomb_bounded_by_limits 126 err "no room for another process.*EAGAIN"

# ---- kill: the exec'd processes end with the container ----
aerie kill -t 1 "$box"
wait $runner
[ "$(cat "$dir/k.rc")" = 137 ] && pass exec_dies_with_aerie_kill ||
    fail exec_dies_with_aerie_kill "status $(cat "$dir/k.rc"): $(head -c 200 "$dir/k.out")"
left=0
for b in $bombs; do wait "$b"; case $? in 137|126) ;; *) left=$((left + 1)) ;; esac; done
[ $left = 0 ] && pass exec_bomb_ends_with_the_container || fail exec_bomb_ends_with_the_container "$left did not end killed"
aerie exec "$box" sh
expect exec_killed_container_refused 1 err "is not running"

# ---- isolation ----
aerie run --rm --grant console,self busybox sh -c 'echo alive'
expect exec_other_containers_unaffected 0 out "^alive$"

echo "TESTS DONE $n"
