# Background jobs: &, $!, wait, kill, exit statuses of killed jobs, trap.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
(sleep 0.2; echo "first job done") &
p1=$!
(echo "second job done") &
wait $!
wait $p1
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
for i in 1 2 3; do (sleep 0.$i; echo "job $i") & done
wait
echo "all jobs done"
sh -c 'exit 3' &
wait $!
echo "job status $?"
