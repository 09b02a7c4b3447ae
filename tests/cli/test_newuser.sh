#!/bin/sh
# test_newuser.sh — a new user, and a docker user, at ./aerie: typos name
# the word meant and exit 125 as docker's; docker's run options either
# work (-w, --env-file, -e NAME, -dit) or are refused saying what Aerie
# does instead (-p, -v, --restart); ps --filter; rm and kill of several
# ids go on past a wrong one; container/image/system commands and prune;
# a program missing from its image is 127, one Aerie cannot run 126, and
# neither is left in ps (docs/CM.md, "The aerie command line").
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/newuser-test
. tests/cli/lib.sh

# ---- before Aerie runs: the command line ----
aerie rn hello
expect typo_command_names_the_near_ones 125 err "unknown command 'rn': did you mean 'run' or 'rm'\?"
aerie run --nmae x hello
expect typo_option_names_the_near_one 125 err "run: unknown option '--nmae': did you mean '--name'\?"
aerie kill --sginal KILL 5
expect typo_kill_option_named 125 err "kill: unknown option '--sginal': did you mean '--signal'\?"
aerie --verison
expect typo_global_option_named 125 err "did you mean '--version'\?"
aerie run -p 8080:80 httpd
expect run_publish_says_what_instead 125 err "-p: Aerie maps no ports per container: --ports tcp:80 .*FORWARD"
aerie run -v /tmp:/data hello
expect run_volume_says_what_instead 125 err "-v: Aerie has no volumes or bind mounts: .*aerie cp"
aerie run --restart always hello
expect run_restart_refused_clearly 125 err "--restart: Aerie does not start a container again"
aerie run --cpus 1.5 hello
expect run_cpus_share_refused_clearly 125 err "--cpus: '1.5': Aerie's --cpus .* lists the CPUs"
aerie ps --filter colour=red
expect ps_filter_unknown_key 125 err "ps: --filter: Aerie filters by status, name, id, ancestor, exited, not 'colour'"
aerie logs --since 10m web
expect logs_since_says_why 125 err "logs: --since: Aerie keeps no times .* --tail N"
aerie image prune
expect image_prune_says_why 125 err "no dangling images"
aerie container frob
expect container_unknown_subcommand 125 err "container: no command 'frob'"
aerie volume create data
expect volume_says_what_instead 125 err "unknown command 'volume': Aerie has no volumes: 'aerie cp'"

boot newuser_boot

# ---- run: docker's -w, --env-file, -e NAME ----
printf '# settings\nGREETING=hello there\n\nFROM_HOST\n' > "$dir/env"
FROM_HOST=passed; export FROM_HOST
aerie run --rm --grant console,fs,self -w /bin --env-file "$dir/env" -e FROM_HOST -e UNSET_HERE busybox sh -c \
    'echo "$(pwd)|$GREETING|$FROM_HOST|${UNSET_HERE-unset}"'
expect run_workdir_and_env_file 0 out "^/bin\|hello there\|passed\|unset$"
aerie run -dit busybox sh
expect run_dit_read_as_docker_spells_it 125 err "run: -d cannot go with -i"
# -d --rm: the id at once (nothing left holding the caller's pipe), removed at its end
drm=$(timeout 20 ./aerie run -d --rm busybox sleep 1)
i=0
while [ $i -lt 40 ] && ./aerie ps -q | grep -qx "${drm:-none}"; do sleep 0.5; i=$((i + 1)); done
if [ -n "$drm" ] && ! ./aerie ps -q | grep -qx "$drm"; then pass run_d_rm_removed_at_its_end
else fail run_d_rm_removed_at_its_end "id '$drm': $(./aerie ps)"; fi
aerie run busybox:latest echo tagged
expect run_latest_tag_is_the_name 0 out "^tagged$"
aerie run helo
expect run_unknown_image_names_the_near_one 125 err "no image 'helo': did you mean 'hello'\?"

# ---- ps --filter ----
aerie start --name keep busybox sleep 60
keep=$(cat "$out")
aerie run --name three busybox sh -c 'exit 3'
aerie run --name crash crasher
aerie ps --filter status=running
if grep -q "^$keep " "$out" && [ -z "$(awk 'NR > 1 && $4 != "running"' "$out")" ]; then pass ps_filter_status_running
else fail ps_filter_status_running "$(cat "$out")"; fi
aerie ps --filter status=exited
if grep -q " three " "$out" && grep -q " crash " "$out" && ! grep -q " keep " "$out"; then pass ps_filter_exited_is_any_end
else fail ps_filter_exited_is_any_end "$(cat "$out")"; fi
aerie ps -f exited=139 --filter name=cra
expect ps_filter_code_and_name 0 out " crash +faulted\(page\) "
aerie ps --filter ancestor=crasher --filter ancestor=nosuch -q
if [ "$(wc -l < "$out")" = 1 ]; then pass ps_filter_same_key_is_or; else fail ps_filter_same_key_is_or "$(cat "$out")"; fi

# ---- rm and kill of several: a wrong one is named, the others done ----
aerie start --name a1 busybox sleep 60
aerie start --name a2 busybox sleep 60
aerie kill --signal=KILL a1 nosuch a2
expect kill_several_names_the_wrong_one 1 err "kill: no container named 'nosuch'"
aerie ps --filter status=killed
if grep -q " a1 " "$out" && grep -q " a2 " "$out"; then pass kill_several_does_the_others
else fail kill_several_does_the_others "$(cat "$out")"; fi
aerie rm a1 nosuch 999999 a2
expect rm_several_names_the_wrong_ones 1 err "rm: no container named 'nosuch'"
if grep -q "no such container 999999" "$errf" && grep -qx a1 "$out" && grep -qx a2 "$out"; then pass rm_several_does_the_others
else fail rm_several_does_the_others "$(cat "$out") / $(cat "$errf")"; fi

# ---- docker's two-word commands, prune ----
aerie container ls --filter name=keep -q
expect container_ls_is_ps 0 out "^$keep$"
aerie image ls
expect image_ls_is_images 0 out "^NAME +SIZE +PROGRAM +IMPORTED$"
aerie images -q
expect images_q_names_only 0 out "^hello$"
aerie container prune < /dev/null
if [ "$rc" = 0 ] && grep -q "Are you sure" "$errf" && ./aerie ps | grep -q " three "; then pass prune_asks_first
else fail prune_asks_first "status $rc: $(cat "$out") / $(cat "$errf")"; fi
aerie system prune -f
if [ "$rc" = 0 ] && grep -q "^Deleted Containers:" "$out" && grep -Eq "^Total: [0-9]+ containers? removed" "$out" &&
   ./aerie ps -q | grep -qx "$keep" && [ "$(./aerie ps -q)" = "$(./aerie ps -q --filter status=running)" ]; then
    pass prune_removes_all_but_running
else fail prune_removes_all_but_running "status $rc: $(cat "$out") / $(./aerie ps)"; fi
aerie rm -f keep

# ---- a program missing from its image, or one Aerie cannot run ----
bb=${BUSYBOX:-/bin/busybox}
mkdir -p "$dir/img/bin" "$dir/img/etc"
cp "$bb" "$dir/img/bin/busybox"
echo 'just text' > "$dir/img/etc/motd"
aerie import --entrypoint /bin/busybox bbimg "$dir/img"
before=$(./aerie ps -q | wc -l)
aerie run --entrypoint /bin/nope bbimg
expect run_missing_program_127 127 err "the program /bin/nope is not a file in the image"
aerie run --entrypoint /etc/motd bbimg
expect run_not_a_program_126 126 err "is not a program Aerie runs"
aerie start --entrypoint /bin/nope bbimg
expect start_missing_program_127 127 err "start: .*/bin/nope is not a file in the image"
printf '#!/bin/sh\necho hi\n' > "$dir/img/etc/run.sh"
aerie import --entrypoint /etc/run.sh bbscript "$dir/img"
aerie run bbscript
expect run_script_entrypoint_says_why 126 err "its program /etc/run.sh is not a program Aerie runs: it is a script"
if [ "$(./aerie ps -q | wc -l)" = "$before" ]; then pass failed_starts_leave_nothing_in_ps
else fail failed_starts_leave_nothing_in_ps "$(./aerie ps)"; fi
aerie start bbimg sleep 60
used=$(cat "$out")
aerie rmi bbimg
expect rmi_in_use_says_how_to_find_them 1 err "is used by 1 container.*aerie ps --filter ancestor=bbimg lists them"
aerie rm -f "$used"
aerie rmi bbimg bbscript
aerie import "$dir/img" bbswapped
expect import_docker_order_said 125 err "the order is NAME PATH \(aerie import bbswapped $dir/img\)"

# ---- exec in a container without files says why nothing is found ----
aerie start busybox sleep 60
nofs=$(cat "$out")
aerie exec "$nofs" ls
expect exec_without_files_says_why 127 err "has no files \(it was started without the fs grant\).*--grant console,fs,self busybox"
aerie stop "$nofs"
aerie stop "$nofs"
expect stop_of_an_ended_one_succeeds 0 out "^$nofs$"
aerie kill "$nofs"
expect kill_of_an_ended_one_refused 1 err "is not running"

echo "TESTS DONE $n"
