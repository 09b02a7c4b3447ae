#!/bin/sh
# test_stdin.sh — containers' standard input (`aerie run -i`, grant=stdin;
# docs/CONSOLE.md "Input") against a real Aerie, through aerie-engine as
# `make run` starts them: piped input reaches busybox (wc, sh) and an Aerie
# program's read(0) byte for byte, with the end at the pipe's end; without
# -i fd 0 is empty; input for one container never shows in another, and a
# container misusing the input protocol (admin operations, guessed
# streams, huge reads, its notification, CM_INPUT through every slot)
# gets errors; the input verb refuses unknown, ended and input-less
# containers and the session goes on; a slow reader holds the writer
# back and loses nothing; kill with input pending, the CLI killed (the
# container gets the end), Ctrl-C, and a console restart under a reader.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/stdin-test
. tests/cli/lib.sh
# lacks NAME PATTERN: the last stdout does not hold the fixed string.
lacks() { if grep -qF -- "$2" "$out"; then fail "$1" "'$2' showed: $(head -c 300 "$out")"; else pass "$1"; fi; }

# ---- before Aerie runs: the options ----
aerie run --grant none -i hello
expect stdin_needs_a_console_grant 125 err "grant: 'stdin' needs console"
./aerie run --help > "$out" 2>&1
grep -q -- "-i, --interactive" "$out" && pass stdin_help_names_i || fail stdin_help_names_i "$(head -c 300 "$out")"

boot stdin_boot

# ---- input gets there ----
printf 'a\nb\n' > "$in"; aerie run --rm -i busybox wc -l < "$in"
expect stdin_pipe_to_busybox_wc 0 out "^ *2$"
printf 'echo hello from sh\necho $((6 * 7))\n' > "$in"; aerie run --rm -i busybox sh < "$in"
expect stdin_busybox_sh_runs_piped_commands 0 out "^42$"
grep -q "^hello from sh$" "$out" || fail stdin_busybox_sh_runs_every_line "$(head -c 200 "$out")"
echo data > "$in"; aerie run --rm busybox wc -c < "$in"
expect stdin_without_i_reads_empty_linux 0 out "^ *0$"
aerie run --rm stdinprobe cat < "$in"
expect stdin_without_i_reads_empty_aerie 0 out "^stdinprobe: 0 bytes, end$"
printf 'one\ntwo\nthree' > "$in"; aerie run --rm -i stdinprobe cat < "$in"
expect stdin_aerie_program_reads_lines 0 out "^stdinprobe: 13 bytes, end$"
grep -q "^got: three$" "$out" || fail stdin_aerie_program_last_line "$(head -c 200 "$out")"
echo hi > "$in"; aerie run --rm -it busybox cat < "$in"
expect stdin_it_without_a_terminal_works 0 out "^hi"            # a terminal: echoed, lines end \r\n
aerie run --rm -i busybox cat < /dev/null
if [ "$rc" = 0 ] && [ ! -s "$out" ]; then pass stdin_empty_input_ends_at_once
else fail stdin_empty_input_ends_at_once "status $rc: $(head -c 200 "$out")"; fi
head -c 300000 /dev/urandom > "$dir/in.bin"
want=$(md5sum < "$dir/in.bin" | cut -d' ' -f1)
aerie run --rm -i busybox md5sum < "$dir/in.bin"
expect stdin_300k_byte_for_byte 0 out "^$want"
# a slow reader: 2 MB wait behind a 3 s sleep (the ring holds 4 KiB), none lost
head -c 2000000 /dev/zero > "$in"; aerie run --rm -i busybox sh -c 'sleep 3; wc -c' < "$in"
expect stdin_slow_reader_loses_nothing 0 out "^ *2000000$"

# ---- isolation: A's input never shows elsewhere; misuse fails cleanly ----
(printf 'SECRET-A\n' | timeout 120 ./aerie run -i --name victim stdinprobe cat 5000 > "$dir/a.out" 2>&1
 echo $? > "$dir/a.rc") &
runner=$!
waitstate " victim +running" || true
aerie run --rm stdinprobe attack < "$in"
expect stdin_attack_without_input_fails_cleanly 0 out "^stdinprobe: attack: 0 surprises$"
lacks stdin_attack_without_input_sees_no_other_input "SECRET-A"
grep -q "^stdinprobe: 0 bytes, end$" "$out" || fail stdin_attack_without_input_reads_end "$(head -c 200 "$out")"
printf 'D-DATA\n' > "$in"; aerie run --rm -i stdinprobe attack < "$in"
expect stdin_attack_with_input_fails_cleanly 0 out "^stdinprobe: attack: 0 surprises$"
lacks stdin_attack_with_input_sees_no_other_input "SECRET-A"
grep -Eq "^(early|got): D-DATA$" "$out" && pass stdin_attacker_keeps_its_own_input ||
    fail stdin_attacker_keeps_its_own_input "$(head -c 300 "$out")"
wait $runner
if [ "$(cat "$dir/a.rc")" = 0 ] && grep -q "^got: SECRET-A$" "$dir/a.out" && ! grep -q "D-DATA" "$dir/a.out"; then
    pass stdin_input_reaches_only_its_container
else
    fail stdin_input_reaches_only_its_container "status $(cat "$dir/a.rc"): $(head -c 300 "$dir/a.out")"
fi

# ---- the input verb: refusals, and the session goes on ----
aerie start busybox sleep 60
quiet=$(cat "$out")
victim=$(idof victim)
pr=$dir/proto.out
: > "$pr"
( printf 'P1 input %s 5\nhelloP2 input %s eof\nP3 input 99999 eof\nP4 input %s 3\nabcP5 input x 4\nwxyz' \
      "$quiet" "$quiet" "$victim"
  printf 'P6 input %s 1099511627777\nP7 input %s banana\nP8 ps\n' "$quiet" "$quiet"
  i=0; while [ $i -lt 60 ] && ! grep -q "^P8 ok" "$pr"; do sleep 0.5; i=$((i + 1)); done ) |
    timeout 60 socat - "UNIX-CONNECT:$sock" > "$pr" 2>/dev/null
ok=1
for want in "^P1 err .*not started with input" "^P2 err .*not started with input" "^P3 err .*no such container" \
            "^P4 err .*has ended" "^P5 err .*not a container id" "^P6 err usage" "^P7 err usage" "^P8 ok"; do
    grep -Eq "$want" "$pr" || { ok=0; break; }
done
[ $ok = 1 ] && pass stdin_input_verb_refuses_cleanly || fail stdin_input_verb_refuses_cleanly "no '$want' in: $(head -c 500 "$pr" | tr '\n' '|')"
./aerie kill "$quiet" > /dev/null 2>&1

# ---- ends: kill with input pending, the CLI gone, Ctrl-C ----
(timeout 120 ./aerie run -i --name sleeper busybox sleep 60 < /dev/zero > "$dir/k.out" 2>&1; echo $? > "$dir/k.rc") &
runner=$!
waitstate " sleeper +running" || true
sleep 2                                   # its ring full, the rest held in ctl and the engine
aerie kill "$(idof sleeper)"
wait $runner
[ "$(cat "$dir/k.rc")" = 143 ] && pass stdin_kill_with_input_pending ||
    fail stdin_kill_with_input_pending "status $(cat "$dir/k.rc"): $(head -c 200 "$dir/k.out")"
echo still > "$in"; aerie run --rm -i busybox cat < "$in"
expect stdin_works_after_a_kill_with_input_pending 0 out "^still$"

# the writers below never write: each is killed at the end (never by name)
{ sleep 600 2>/dev/null & echo $! > "$dir/w1.pid"; wait; } | timeout 120 ./aerie run -i --name orphan busybox cat \
    > /dev/null 2>&1 &
waitstate " orphan +running" || true
for p in $(pgrep -f "aerie run -i --name orphan"); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = aerie ] && kill -9 "$p"
done
waitstate " orphan +exited\(0\)" && pass stdin_cli_gone_gives_the_end ||
    fail stdin_cli_gone_gives_the_end "$(./aerie ps | grep orphan)"

{ sleep 600 2>/dev/null & echo $! > "$dir/w2.pid"; wait; } | timeout 120 ./aerie run -i --name ctrlc busybox cat \
    > "$out" 2> "$errf" &
waitstate " ctrlc +running" || true
for p in $(pgrep -f "aerie run -i --name ctrlc"); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = aerie ] && kill -INT "$p"
done
waitstate " ctrlc +faulted\(signal:2\)" && pass stdin_ctrl_c_sends_sigint ||
    fail stdin_ctrl_c_sends_sigint "$(./aerie ps | grep ctrlc)"

# ---- a console restart under a reader: the input ends, nothing hangs ----
{ sleep 600 2>/dev/null & echo $! > "$dir/w3.pid"; wait; } | timeout 120 ./aerie run -i --name survivor busybox cat \
    > /dev/null 2>&1 &
waitstate " survivor +running" || true
aerie debug-kill-service console
waitstate " survivor +exited\(0\)" && pass stdin_console_restart_ends_the_input ||
    fail stdin_console_restart_ends_the_input "$(./aerie ps | grep survivor) $(head -c 200 "$errf")"
echo back > "$in"; aerie run --rm -i busybox cat < "$in"
expect stdin_works_after_a_console_restart 0 out "^back$"
kill "$(cat "$dir/w1.pid")" "$(cat "$dir/w2.pid")" "$(cat "$dir/w3.pid")" 2>/dev/null

echo "TESTS DONE $n"
