# Background jobs: &, $!, wait, kill, exit statuses of killed jobs, trap.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
# Jobs write to files, read back in a fixed order: which one ends first
# is the host's load's business, not the shell's (a loaded host reordered them).
(sleep 0.2; echo "first job done" > j1) &
p1=$!
(echo "second job done" > j2) &
wait $!
wait $p1
cat j1 j2
echo "both waited"
sleep 10 &
p=$!
kill $p
wait $p 2>/dev/null    # whether "Terminated" is shown depends on when ash noticed: not its business here
echo "killed job: $?"
sh -c 'kill -TERM $$; echo not reached'
echo "self-killed: $?"
trap 'echo "trapped USR1"' USR1
kill -USR1 $$
echo "after trap"
for i in 1 2 3; do (sleep 0.$i; echo "job $i" > job$i) & done
wait
cat job1 job2 job3
echo "all jobs done"
sh -c 'exit 3' &
wait $!
echo "job status $?"
