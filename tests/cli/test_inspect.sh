#!/bin/sh
# test_inspect.sh — what a user coming from docker expects of the CLI
# (docs/CM.md): `aerie inspect` (CM_INSPECT through ctl's inspect verb) as
# key: value lines and as JSON that parses, with the argv and env the
# program got byte for byte, how each container ended, unknown ids
# refused; names unique until removed; logs --tail, wait, version, docker's
# run spellings, and usage errors that name the argument at fault.
# (CM_INSPECT's refusal to a cm client without cm.admin is tests/cm's
# cm_image_ops_need_cm_admin: containers hold no cm at all.)
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/inspect-test
. tests/cli/lib.sh
json_check() {      # NAME PYTHON-EXPR over j (the parsed stdout)
    if python3 -m json.tool "$out" > /dev/null 2>&1 &&
       python3 -c "import json,sys; j=json.load(open('$out')); sys.exit(0 if ($2) else 1)" 2>/dev/null; then
        pass "$1"
    else
        fail "$1" "$(head -c 600 "$out")"
    fi
}

# ---- before Aerie runs: the command line ----
aerie inspect
expect inspect_usage_needs_an_id 125 err "inspect: expected"
aerie inspect --format yaml 5
expect inspect_usage_bad_format 125 err "--format: 'yaml' is not json or text"
aerie inspect --bogus 5
expect inspect_usage_unknown_option 125 err "unknown option '--bogus'"
aerie logs --tail x 5
expect logs_tail_needs_a_number 125 err "--tail: 'x' is not a number"
aerie wait
expect wait_usage_needs_an_id 125 err "wait: expected"
aerie stop -t abc 5
expect stop_error_says_stop 125 err "^aerie: stop: -t takes seconds"
aerie version
expect version_command 0 out "^aerie 0\.1\.0"
./aerie help > "$out" 2>&1
if grep -q "^  inspect " "$out" && grep -q "^  wait " "$out"; then pass inspect_wait_in_help
else fail inspect_wait_in_help "$(head -c 600 "$out")"; fi

boot inspect_boot

# ---- a running container: its argv and env as its program got them ----
tab=$(printf '\t')
aerie start --name box --grant console,fs,self -e "Q=a \"b\" \\c${tab}é" busybox sh -c 'echo "it runs"; sleep 60'
box=$(cat "$out")
expect inspect_start_box 0 out "^[0-9]+$"
aerie inspect box
expect inspect_text_id 0 out "^id: +$box$"
for k in "name: +box$" "image: +busybox$" "state: +running$" "created: +20[0-9-]+ [0-9:.]+ UTC" "started: +20" \
         "command: +busybox sh -c 'echo \"it runs\"; sleep 60'$" "env: +Q=a \"b\"" "grants: .*console.*fs" \
         "mem_limit: +16777216$" "threads: +[1-9]" "threads_limit: +8$"; do
    if grep -Eq -- "^$k" "$out"; then pass "inspect_text_has_${k%%:*}"; else fail "inspect_text_has_${k%%:*}" "no '$k' in: $(head -c 800 "$out")"; fi
done
grep -q "^finished:" "$out" && fail inspect_running_has_no_finish "$(cat "$out")" || pass inspect_running_has_no_finish
aerie inspect --format json box
json_check inspect_json_parses "isinstance(j, list) and len(j) == 1"
json_check inspect_json_args_exact "j[0]['args'] == ['busybox', 'sh', '-c', 'echo \"it runs\"; sleep 60']"
json_check inspect_json_env_exact "'Q=a \"b\" \\\\c\\té' in j[0]['env']"
json_check inspect_json_numbers "j[0]['id'] == $box and j[0]['state'] == 'running' and j[0]['mem_limit'] == 16777216 and 'finished' not in j[0]"
json_check inspect_json_times "j[0]['created'].endswith('Z') and j[0]['created_ms_ago'] >= j[0]['started_ms_ago'] >= 0"

# ---- exec -w: where the process starts; -u refused naming why ----
aerie exec -w /bin box busybox pwd
expect exec_workdir 0 out "^/bin$"
aerie exec --workdir=/ box busybox pwd
expect exec_workdir_long_form 0 out "^/$"
aerie exec -w /nosuch box busybox pwd
expect exec_workdir_missing_named 1 err "exec: -w '/nosuch': no such directory in container $box"
aerie exec -w /bin/busybox box busybox pwd
expect exec_workdir_not_a_directory 1 err "-w '/bin/busybox': not a directory"
aerie exec -w tmp box busybox pwd
expect exec_workdir_relative_refused 125 err "-w needs an absolute directory"
aerie exec -u 1000 box busybox id
expect exec_user_refused 125 err "-u: the Linux personality has no users"

# ---- names: one container's until it is removed ----
aerie run --name box hello
expect name_in_use_refused 125 err "name: box is already in use by container $box; remove it"
aerie start --name box ticker 1000 50
expect name_in_use_refused_start 125 err "already in use by container $box"
aerie kill box
aerie run --name box hello
expect name_of_ended_still_in_use 125 err "already in use by container $box"

# ---- how each ended ----
aerie inspect box
expect inspect_killed_linux_program 0 out "^ended_by: +killed by signal 15 \(SIGTERM\)"
grep -Eq "^finished: +20" "$out" && pass inspect_finished_time || fail inspect_finished_time "$(cat "$out")"
aerie rm box
aerie run --name box busybox sh -c 'exit 3'
if [ "$rc" = 3 ]; then pass name_free_after_rm; else fail name_free_after_rm "status $rc: $(head -c 300 "$errf")"; fi
aerie inspect --format=json box
json_check inspect_exited_code "j[0]['state'] == 'exited' and j[0]['exit_code'] == 3 and 'finished' in j[0]"
aerie run --name crash crasher
aerie inspect crash
expect inspect_fault_named 0 out "^ended_by: +page fault at 0x0"
aerie start --name tk ticker 1000 50
aerie kill tk
aerie inspect tk
expect inspect_killed_state 0 out "^state: +killed$"

# ---- unknown ids and names; several at once ----
aerie inspect 999
expect inspect_unknown_id 1 err "^aerie: inspect: no such container 999$"
aerie inspect nosuch
expect inspect_unknown_name 1 err "no container named 'nosuch'"
aerie inspect --format json box 999 crash
if [ "$rc" = 1 ] && grep -q "no such container 999" "$errf"; then
    json_check inspect_json_several_skip_unknown "len(j) == 2 and j[0]['name'] == 'box' and j[1]['name'] == 'crash'"
else fail inspect_json_several_skip_unknown "status $rc: $(head -c 300 "$errf")"; fi

# ---- a long argument: cm keeps a bounded copy and says what it left out ----
long=$(head -c 3000 /dev/zero | tr '\0' x)
aerie run --name long busybox sh -c "true $long"
aerie inspect --format json long
json_check inspect_long_args_truncated "j[0]['truncated'] > 3000 and j[0]['args'] == ['busybox', 'sh', '-c']"

# ---- logs --tail, wait ----
aerie start --name lg busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done; sleep 2; exit 7'
sleep 1
aerie logs --tail 2 lg
if [ "$rc" = 0 ] && [ "$(cat "$out")" = "$(printf 'line4\nline5')" ]; then pass logs_tail_last_lines
else fail logs_tail_last_lines "status $rc: $(head -c 200 "$out")"; fi
aerie wait lg
expect wait_prints_exit_code 0 out "^7$"
aerie wait lg 999
expect wait_unknown_refused 1 err "no such container 999"
aerie logs -n 0 lg
if [ "$rc" = 0 ] && [ ! -s "$out" ]; then pass logs_tail_zero; else fail logs_tail_zero "$(head -c 200 "$out")"; fi

# ---- docker's spellings of run's options ----
aerie run --rm -m 8M -e X=from-e busybox sh -c 'echo $X'
expect run_docker_spellings 0 out "^from-e$"

# ---- run --rm of named containers, again and again: each name is free once its container is gone ----
aerie rm -f lg long crash tk box
for k in 1 2 3 4 5 6 7 8; do aerie run --rm --name "churn$k" busybox sh -c "true $long"; done
aerie ps -q
if [ ! -s "$out" ]; then pass removed_containers_gone; else fail removed_containers_gone "$(cat "$out")"; fi

echo "TESTS DONE $n"
