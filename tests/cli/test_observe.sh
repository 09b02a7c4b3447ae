#!/bin/sh
# test_observe.sh — aerie stats --json, top, trace and debug against a real
# Aerie, through aerie-engine as `make run` starts them (docs/CM.md):
# memory figures agree with what the container's own quota says to a
# page; CPU time, IPC calls, file bytes and packets move; a trace shows a
# known program's calls in order and counts what a flood drops; gdb in
# batch mode attaches to a running container, breaks on a function,
# continues, reads a variable, single-steps, sets a variable and detaches,
# and the program then finishes normally; a crash held for the debugger
# shows its backtrace; debugging or tracing what one may not is refused.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/observe-test
aerie_timeout=0
. tests/cli/lib.sh
# json FILE KEY: a number from stats --json's one line.
json() { sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" "$1"; }
# waitlog ID PATTERN: waits up to 60 s for the container's log to match.
waitlog() {
    i=0
    while [ $i -lt 120 ]; do
        ./aerie logs "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
# waitend ID: waits up to 60 s for it to end.
waitend() {
    i=0
    while [ $i -lt 120 ]; do
        ./aerie ps 2>/dev/null | grep -Eq "^$1 .*(exited|faulted|killed)" && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

# ---- the command line, before any Aerie runs ----
ok=1
for cmd in stats top trace debug; do
    ./aerie "$cmd" --help > "$out" 2>&1 && grep -q "^usage: aerie $cmd" "$out" || { ok=0; break; }
done
if [ $ok = 1 ]; then pass observe_help_on_every_command; else fail observe_help_on_every_command "aerie $cmd --help: $(head -c 200 "$out")"; fi
aerie trace --kind bogus 5
expect observe_trace_bad_kind_is_a_usage_error 125 err "--kind: 'bogus' is not a list"
aerie trace --bytes 1K 5
expect observe_trace_small_buffer_is_a_usage_error 125 err "--bytes: '1K' is not a size from 8K to 16M"
aerie debug --port 0 5
expect observe_debug_bad_port_is_a_usage_error 125 err "--port: '0' is not a port number"
aerie debug
expect observe_debug_needs_an_id 125 err "expected \[--port N\] ID"

boot observe_boot --nic

# ---- stats and top: the figures are the enforced ones ----
aerie start --mem 4M quotaprobe 512 30
q=$(cat "$out")
if waitlog "$q" "quotaprobe: used="; then
    used=$(./aerie logs "$q" | sed -n 's/.*used=\([0-9]*\) limit=\([0-9]*\).*/\1/p')
    ./aerie stats --json "$q" > "$dir/q.json"
    run=$(json "$dir/q.json" mem_program); all=$(json "$dir/q.json" mem_used); lim=$(json "$dir/q.json" mem_limit)
    logb=$(json "$dir/q.json" mem_log); rest=$(json "$dir/q.json" mem_rest)
    d=$((run - used)); [ $d -lt 0 ] && d=$((-d))
    if [ "$d" -le 4096 ] && [ "$lim" = 4194304 ] && [ "$all" = $((run + logb + rest)) ] && [ "$all" -le "$lim" ] &&
       [ "$run" -ge 524288 ]; then
        pass observe_stats_json_matches_its_own_quota
    else
        fail observe_stats_json_matches_its_own_quota "probe used=$used; stats: program=$run all=$all limit=$lim log=$logb rest=$rest"
    fi
    ./aerie top --once > "$dir/top" 2>&1
    human=$(awk -v b="$all" 'BEGIN { if (b < 1048576) printf "%.1fK", b / 1024; else printf "%.1fM", b / 1048576 }')
    if grep -Eq "^$q +quotaprobe +running .* $human +4.0M +1 " "$dir/top"; then pass observe_top_shows_the_same_memory
    else fail observe_top_shows_the_same_memory "no row '$q ... running ... $human 4.0M 1' in: $(tr '\n' '|' < "$dir/top")"; fi
else
    fail observe_stats_json_matches_its_own_quota "quotaprobe printed nothing: $(./aerie logs "$q" 2>&1 | head -c 200)"
fi
./aerie kill "$q" > /dev/null 2>&1

aerie start cpuworker 400000000
c=$(cat "$out")
sleep 2
./aerie stats --json "$c" > "$dir/c.json"
cpu=$(json "$dir/c.json" cpu_ns); up=$(json "$dir/c.json" uptime_ns)
if [ -n "$cpu" ] && [ "$cpu" -gt 0 ] && [ "$cpu" -le $((up + 100000000)) ]; then pass observe_cpu_time_counted
else fail observe_cpu_time_counted "cpu_ns=$cpu uptime_ns=$up"; fi
./aerie top --once > "$dir/top" 2>&1
if grep -Eq "^$c +[^ ]* +running +[01] +[0-9.]+% " "$dir/top" && grep -q "CPU%.*IPC/s.*FS-R/s.*NET-PK/s" "$dir/top" &&
   grep -Eq "^containers: [0-9]+ +cpu0 [0-9.]+% +cpu1 [0-9.]+%" "$dir/top"; then
    pass observe_top_once_lists_running_container
else fail observe_top_once_lists_running_container "$(tr '\n' '|' < "$dir/top")"; fi
./aerie kill "$c" > /dev/null 2>&1

aerie run ticker 6 10
t=$(./aerie ps | awk '$2 == "ticker" { id = $1 } END { print id }')
./aerie stats --json "$t" > "$dir/t.json"
calls=$(json "$dir/t.json" ipc_calls)
if [ -n "$calls" ] && [ "$calls" -ge 6 ]; then pass observe_ipc_calls_counted; else fail observe_ipc_calls_counted "ipc_calls=$calls after 6 lines"; fi
aerie run --grant console,fs,self grantprobe write /note.txt hello-observability
g=$(./aerie ps | awk '$2 == "grantprobe" { id = $1 } END { print id }')
./aerie stats --json "$g" > "$dir/g.json"
fw=$(json "$dir/g.json" fs_written_bytes); fr=$(json "$dir/g.json" fs_read_bytes)
if [ "$fw" -ge 19 ] && [ "$fr" -ge 19 ]; then pass observe_file_bytes_counted; else fail observe_file_bytes_counted "written=$fw read=$fr"; fi
# Its fs session's metadata (fs's heap, docs/FS.md "Metadata: a promise and
# an overdraft"): shown, and in its human form beside its cap.
fm=$(json "$dir/g.json" fs_meta_bytes)
./aerie stats "$g" > "$dir/g.txt" 2>&1
if [ -n "$fm" ] && [ "$fm" -gt 0 ] && grep -q "^fs meta .* of .*in fs's heap" "$dir/g.txt"; then
    pass observe_fs_metadata_shown
else
    fail observe_fs_metadata_shown "fs_meta_bytes=$fm: $(cat "$dir/g.txt")"
fi
aerie start --grant console,fs,net,self --ports 7641 grantprobe steady 7641 150
s=$(cat "$out")
sleep 2
./aerie stats --json "$s" > "$dir/s.json"
tx=$(json "$dir/s.json" net_tx_packets); rx=$(json "$dir/s.json" net_rx_packets)
if [ "$tx" -gt 0 ] && [ "$rx" -gt 0 ]; then pass observe_packets_counted; else fail observe_packets_counted "tx=$tx rx=$rx: $(cat "$dir/s.json")"; fi
./aerie kill "$s" > /dev/null 2>&1

# ---- trace ----
aerie start ticker 8 300
t=$(cat "$out")
timeout 60 ./aerie trace "$t" > "$dir/trace" 2> "$dir/trace.err"
ncalls=$(grep -c "call console label 1 -> ok" "$dir/trace")
if [ "$ncalls" -ge 5 ] && tail -2 "$dir/trace" | head -1 | grep -q "thread exit 0" &&
   awk '/call console/ { if ($1 + 0 < last) bad = 1; last = $1 + 0 } END { exit bad }' "$dir/trace" &&
   grep -q -- "--- .* events, 0 dropped ---" "$dir/trace"; then
    pass observe_trace_shows_calls_in_order_then_exit
else fail observe_trace_shows_calls_in_order_then_exit "$(head -c 600 "$dir/trace" | tr '\n' '|') $(cat "$dir/trace.err")"; fi
# A flood the reader cannot keep up with, whatever the host's speed: the
# reader is stopped for 3 s while the ticker writes a line every 5 ms, so
# far more than the 8 KiB ring's 128 records arrive unread.
aerie start ticker 800 5
t=$(cat "$out")
./aerie trace --bytes 8K --summary "$t" > "$dir/flood" 2>&1 &
tracer=$!                 # the tracer itself (not a timeout wrapper): it is what must stop
sleep 0.5
kill -STOP "$tracer"
sleep 3
kill -CONT "$tracer"
wait "$tracer"
cnt=$(awk '/console:1$/ { print $4 }' "$dir/flood"); drop=$(sed -n 's/^events dropped (buffer full): //p' "$dir/flood")
if [ -n "$cnt" ] && [ -n "$drop" ] && [ "$drop" -gt 0 ] && [ $((cnt + drop)) -le 801 ] && [ $((cnt + drop)) -ge 400 ]; then
    pass observe_trace_flood_counts_dropped_events
else fail observe_trace_flood_counts_dropped_events "$(tr '\n' '|' < "$dir/flood")"; fi
aerie start ticker 50 100
t=$(cat "$out")
timeout 60 ./aerie trace --kind thread "$t" > "$dir/kind" 2>&1
if ! grep -q "call console" "$dir/kind" && grep -q "thread exit 0" "$dir/kind"; then pass observe_trace_kind_filter
else fail observe_trace_kind_filter "$(head -c 300 "$dir/kind" | tr '\n' '|')"; fi
aerie start busybox sh -c 'sleep 2; echo traced'
t=$(cat "$out")
timeout 60 ./aerie trace --kind syscall "$t" > "$dir/lx" 2>&1
if grep -Eq "^ +[0-9.]+ cpu[0-9]+ t[0-9a-f]+ write\(0x1, 0x[0-9a-f]+\) = 7 " "$dir/lx" && ! grep -q "call console" "$dir/lx"; then
    pass observe_trace_shows_linux_system_calls
else fail observe_trace_shows_linux_system_calls "$(head -c 600 "$dir/lx" | tr '\n' '|')"; fi
aerie trace 99999
expect observe_trace_of_no_container_refused 1 err "no such container 99999"
aerie trace "$t"
expect observe_trace_of_ended_container_refused 1 err "is not running"

# ---- debug ----
aerie start --debug yes dbgloop 120
d=$(cat "$out")
waitlog "$d" "dbgloop: running"
cat > "$dir/g1.gdb" <<EOF
set pagination off
set confirm off
target remote | ./aerie debug $d
break step
continue
print counter > 0
print \$pc == step
stepi
print \$pc != step
delete
set var stop_now = 1
detach
EOF
timeout 120 gdb -batch -nx -x "$dir/g1.gdb" build/images/dbgloop.elf > "$dir/gdb1" 2>&1
if grep -q "Breakpoint 1, step" "$dir/gdb1" && [ "$(grep -c '^\$[0-9]* = 1$' "$dir/gdb1")" = 3 ] &&
   grep -q "Inferior 1 (Remote target) detached" "$dir/gdb1"; then
    pass observe_gdb_breaks_reads_steps_detaches
else fail observe_gdb_breaks_reads_steps_detaches "$(tr '\n' '|' < "$dir/gdb1" | head -c 800)"; fi
if waitend "$d" && ./aerie ps | grep -Eq "^$d +dbgloop .*exited\(0\)" && ./aerie logs "$d" | grep -q "dbgloop: stopped after [1-9]"; then
    pass observe_debugged_program_finishes_normally
else fail observe_debugged_program_finishes_normally "$(./aerie ps | grep "^$d ") $(./aerie logs "$d" | tr '\n' '|')"; fi

aerie start --debug hold crasher
h=$(cat "$out")
sleep 2
./aerie stats --json "$h" > "$dir/h.json"
if ./aerie ps | grep -Eq "^$h +crasher .*running" && grep -q '"state": "held"' "$dir/h.json"; then
    pass observe_hold_keeps_crashed_container
else fail observe_hold_keeps_crashed_container "$(./aerie ps | grep "^$h ") $(cat "$dir/h.json")"; fi
printf "set pagination off\ntarget remote | ./aerie debug %s\nbacktrace\ncontinue\nbacktrace\ndetach\n" "$h" > "$dir/g2.gdb"
timeout 60 gdb -batch -nx -x "$dir/g2.gdb" build/images/crasher.elf > "$dir/gdb2" 2>&1
if grep -q "SIGSEGV" "$dir/gdb2" && grep -Eq "^#0 +main \(\) at apps/crasher/crasher.c:[0-9]+" "$dir/gdb2"; then
    pass observe_held_crash_backtrace
else fail observe_held_crash_backtrace "$(tr '\n' '|' < "$dir/gdb2" | head -c 600)"; fi
./aerie kill "$h" > /dev/null 2>&1

# ---- who may: only a debuggable container, only its own ids ----
aerie start ticker 100 100
t=$(cat "$out")
printf '' | ./aerie debug "$t" > "$out" 2> "$errf"; rc=$?
expect observe_debug_of_undebuggable_refused 1 err "was not created with debug=yes or debug=hold"
printf '' | ./aerie debug 99999 > "$out" 2> "$errf"; rc=$?
expect observe_debug_of_no_container_refused 1 err "no such container 99999"
./aerie kill "$t" > /dev/null 2>&1
aerie start --debug yes dbgloop 120
d=$(cat "$out")
aerie run hostile report
expect observe_hostile_cannot_debug_or_trace_others 0 out "hostile: [0-9]+ held capabilities attacked, 0 surprises"
./aerie kill "$d" > /dev/null 2>&1

echo "TESTS DONE $n"
