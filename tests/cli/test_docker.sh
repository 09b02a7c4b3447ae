#!/bin/sh
# test_docker.sh — what a user who knows docker reaches for first, against
# a booted Aerie behind aerie-engine (docs/CM.md): ps with docker's
# COMMAND, CREATED and STATUS columns ("Up 5 seconds", "Exited (N) X ago"),
# -a/-q/--no-trunc; aerie rename (cm's CM_RENAME, admin only: a cm client's
# refusal is tests/cm's cm_rename_needs_cm_admin) with the refusals a new
# user meets (a name in use, an id lookalike, a removed container's name);
# cp NAME:PATH both ways; and usage errors that name the argument at fault.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/docker-test
. tests/cli/lib.sh

# ---- before Aerie runs: the command line ----
aerie rename onlyone
expect rename_needs_two 125 err "rename: expected CONTAINER NEW_NAME"
aerie rename a b c
expect rename_not_three 125 err "rename: expected CONTAINER NEW_NAME, got more"
aerie rename --force a b
expect rename_unknown_option 125 err "rename: unknown option '--force'"
aerie ps --bogus
expect ps_unknown_option 125 err "ps: unknown option '--bogus'"
aerie ps -ax
expect ps_unknown_combined_flag 125 err "ps: unknown option '-ax'"
aerie ps web
expect ps_no_operand 125 err "ps: unknown argument 'web'"
./aerie ps --help > "$out" 2>&1
if grep -q "STATUS" "$out" && grep -q -- "--no-trunc" "$out"; then pass ps_help_names_columns
else fail ps_help_names_columns "$(head -c 600 "$out")"; fi
./aerie --help > "$out" 2>&1
if grep -q "^  rename CONTAINER NEW_NAME " "$out"; then pass rename_in_help; else fail rename_in_help "$(head -c 900 "$out")"; fi

boot docker_boot

# ---- ps: docker's columns beside the script-friendly ones ----
aerie start --name web busybox sh -c 'echo up; sleep 60'
web=$(cat "$out")
aerie run busybox sh -c 'exit 3'
aerie run --name crash crasher
aerie start --name made ticker 1000 50
aerie kill made
aerie ps
expect ps_header_docker_columns 0 out "^ID +IMAGE +NAME +STATE +COMMAND +CREATED +STATUS +MEM$"
expect ps_running_up 0 out "^$web +busybox +web +running +\"busybox sh -c 'echo ...\" +([0-9]+ seconds?|Less than a second) ago +Up ([0-9]+ seconds?|Less than a second) +[0-9.]+[KM] / 16.0M$"
expect ps_exited_code_and_when 0 out " +exited\(3\) +\"busybox sh -c 'exit \.\.\.\" .* ago +Exited \(3\) .* ago "
expect ps_fault_as_run_exits 0 out " crash +faulted\(page\) +\".*\" .* ago +Exited \(139\) "
expect ps_killed_137 0 out " made +killed +.* +Exited \(137\) "
aerie ps --no-trunc
expect ps_no_trunc_whole_command 0 out "^$web .*\"busybox sh -c 'echo up; sleep 60'\" "
aerie ps -aq
if grep -qx "$web" "$out" && ! grep -q "IMAGE" "$out" && [ "$(wc -l < "$out")" -ge 4 ]; then pass ps_aq_ids_only
else fail ps_aq_ids_only "$(head -c 300 "$out")"; fi
# a command with a control byte and a terminal escape is shown with '?'
esc=$(printf 'a\033[31mred\tb')
aerie run busybox echo "$esc"
aerie ps --no-trunc
if grep -q "\"busybox echo 'a?\[31mred?b'\"" "$out" && ! grep -q "$(printf '\033')" "$out"; then pass ps_command_control_bytes_shown_safe
else fail ps_command_control_bytes_shown_safe "$(grep echo "$out" | od -c | head -5)"; fi

# ---- rename: a name is how the operator finds a container ----
aerie rename web api
if [ "$rc" = 0 ] && [ ! -s "$out" ]; then pass rename_quiet_success; else fail rename_quiet_success "status $rc: $(head -c 300 "$errf")"; fi
aerie ps
expect rename_shows_in_ps 0 out "^$web +busybox +api +running "
aerie logs api
expect rename_new_name_finds_it 0 out "^up$"
aerie logs web
expect rename_old_name_gone 1 err "logs: no container named 'web'"
aerie start --name web busybox sleep 60
web2=$(cat "$out")
expect rename_old_name_free_at_once 0 out "^[0-9]+$"
aerie rename api web
expect rename_to_a_name_in_use 1 err "rename: name: web is already in use by container $web2"
aerie rename api crash
expect rename_to_an_ended_ones_name 1 err "already in use by container"
aerie rename api api
expect rename_to_its_own_name 1 err "rename: container $web is already called api"
aerie rename api 9lives
expect rename_id_lookalike_refused 1 err "rename: name: a name starts with a letter"
aerie rename api 'a b'
expect rename_space_refused 1 err "rename: name: a name starts with a letter"
aerie rename api "$(printf 'x\033[2J')"
expect rename_escape_refused 1 err "rename: name: a name starts with a letter"
aerie rename api abcdefghijklmnopqrstuvwxyz0123456
expect rename_too_long_refused 1 err "name: .* is not 1 to 31 bytes"
aerie rename nosuch x
expect rename_unknown_name 1 err "rename: no container named 'nosuch'"
aerie rename 999999 x
expect rename_unknown_id 1 err "rename: no such container 999999"
aerie ps
expect rename_refusals_change_nothing 0 out "^$web +busybox +api +running "
aerie rm -f "$web2"
aerie rename crash crashed
if [ "$rc" = 0 ] && [ ! -s "$out" ]; then pass rename_ended_container; else fail rename_ended_container "status $rc: $(head -c 300 "$errf")"; fi
aerie inspect crashed
expect rename_inspect_new_name 0 out "^name: +crashed$"
aerie rm crashed
aerie rename crashed again
expect rename_removed_container_refused 1 err "no container named 'crashed'"

# ---- cp takes a name where it takes an id, both ways ----
aerie run --name files --grant console,fs,self busybox sh -c 'echo from-inside > /made.txt'
aerie cp files:/made.txt "$dir/got.txt"
if [ "$rc" = 0 ] && [ "$(cat "$dir/got.txt" 2>/dev/null)" = from-inside ]; then pass cp_out_by_name
else fail cp_out_by_name "status $rc: $(head -c 300 "$errf")"; fi
echo from-outside > "$dir/put.txt"
aerie cp "$dir/put.txt" files:/put.txt
aerie cp files:/put.txt "$dir/back.txt"
if [ "$rc" = 0 ] && [ "$(cat "$dir/back.txt" 2>/dev/null)" = from-outside ]; then pass cp_in_by_name
else fail cp_in_by_name "status $rc: $(head -c 300 "$errf")"; fi
aerie cp nosuch:/made.txt "$dir/x"
expect cp_unknown_name 1 err "cp: no container named 'nosuch'"
[ -e "$dir/x" ] && fail cp_unknown_name_writes_nothing "$dir/x exists" || pass cp_unknown_name_writes_nothing
aerie cp files:/made.txt other:/x
expect cp_both_containers_refused 125 err "cp: one side must be ID:PATH"
aerie cp files:/nosuch "$dir/y"
expect cp_missing_file_named 1 err "/nosuch"
aerie rm -f files api

# ---- attack21: what a container controls, copied or shown (SECURITY 78n, 78o) ----
# its set-user-ID and set-group-ID files come out without those bits (a
# container must not plant a set-id program of the operator's on the host)
aerie run --name suid --grant console,fs,self busybox sh -c \
    'echo "#!/bin/sh" > /s; chmod 6755 /s; mkdir /d; cp /s /d/t; chmod 4711 /d/t; chmod 2700 /d; ls -ln /s /d'
if grep -q '^-rwsr-sr-x' "$out"; then pass cp_setid_made_inside
else fail cp_setid_made_inside "$(head -c 300 "$out")"; fi
aerie cp suid:/s "$dir/s"
m=$(stat -c %a "$dir/s" 2>/dev/null)
if [ "$rc" = 0 ] && [ $((0$m & 06000)) = 0 ] && [ $((0$m & 0700)) = $((0700)) ]; then pass cp_out_drops_setid_bits
else fail cp_out_drops_setid_bits "status $rc, mode $m: $(head -c 300 "$errf")"; fi
aerie cp suid:/d "$dir/dd"
m=$(stat -c %a "$dir/dd/t" 2>/dev/null); md=$(stat -c %a "$dir/dd" 2>/dev/null)
if [ "$rc" = 0 ] && [ $((0$m & 06000)) = 0 ] && [ $((0$md & 06000)) = 0 ]; then pass cp_out_tree_drops_setid_bits
else fail cp_out_tree_drops_setid_bits "status $rc, modes $m $md: $(head -c 300 "$errf")"; fi
aerie rm suid
# a command holding bytes that are not UTF-8 (a lone 0x9B is CSI to a
# terminal that takes 8-bit controls), a C1 control, a UTF-8 character
# and an overlong '/': only the character comes through, as itself
odd=$(printf 'x\233[2Jy\302\233z\303\251w\300\257v')
aerie run --name odd busybox echo "$odd"
aerie ps --no-trunc
row=$(grep ' odd ' "$out")
if printf '%s' "$row" | grep -q 'x?\[2Jy?z'"$(printf '\303\251')"'w??v' && ! printf '%s' "$row" | LC_ALL=C grep -q "$(printf '\233')"; then
    pass ps_command_not_utf8_shown_safe
else fail ps_command_not_utf8_shown_safe "$(printf '%s' "$row" | od -c | head -6)"; fi
aerie ps
row=$(grep ' odd ' "$out")
if ! printf '%s' "$row" | LC_ALL=C grep -q "$(printf '\233')"; then pass ps_command_cut_not_utf8_shown_safe
else fail ps_command_cut_not_utf8_shown_safe "$(printf '%s' "$row" | od -c | head -6)"; fi
aerie rm odd

# ---- attack22: a container's FIFOs copied out or into (SECURITY 78u) ----
# a FIFO has no bytes: cp names it and skips it, and makes or truncates
# no host file (a get of one made the file, then failed "is a directory")
aerie run --name fifo --grant console,fs,self busybox sh -c \
    'mkfifo /p; mkdir /d; mkfifo /d/q; echo kept > /d/f; ls -l /p'
if grep -q '^p' "$out"; then pass cp_fifo_made_inside; else fail cp_fifo_made_inside "$(head -c 300 "$out")"; fi
echo precious > "$dir/keep"
aerie cp fifo:/p "$dir/keep"
if [ "$rc" = 1 ] && grep -q "/p: skipped: a FIFO cannot be copied" "$errf" && [ "$(cat "$dir/keep")" = precious ]; then
    pass cp_out_fifo_skipped_host_file_untouched
else fail cp_out_fifo_skipped_host_file_untouched "status $rc, keep '$(cat "$dir/keep")': $(head -c 300 "$errf")"; fi
aerie cp fifo:/p "$dir/newfile"
if [ "$rc" = 1 ] && [ ! -e "$dir/newfile" ]; then pass cp_out_fifo_makes_no_file
else fail cp_out_fifo_makes_no_file "status $rc: $(ls -l "$dir/newfile" 2>&1)"; fi
aerie cp fifo:/d "$dir/dfifo"
if [ "$rc" = 1 ] && grep -q "/d/q: skipped: a FIFO" "$errf" && [ "$(cat "$dir/dfifo/f" 2>/dev/null)" = kept ] && \
   [ ! -e "$dir/dfifo/q" ]; then pass cp_out_tree_skips_fifo
else fail cp_out_tree_skips_fifo "status $rc: $(head -c 300 "$errf"); $(ls "$dir/dfifo" 2>&1)"; fi
aerie cp "$dir/keep" fifo:/p
expect cp_in_onto_fifo_refused 1 err "/p: a FIFO \(named pipe\): only files, directories and symbolic links are copied"
aerie rm fifo

echo "TESTS DONE $n"
