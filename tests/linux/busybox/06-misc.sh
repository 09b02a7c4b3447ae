# Odds and ends: date with a fixed time, sleep, printf, test, expr, basename.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
date -u -d @1234567890 '+%Y-%m-%d %H:%M:%S %a'
date -u -d @0 +%s
start=$(date +%s)
sleep 1
end=$(date +%s)
[ $((end - start)) -ge 1 ] && echo "slept at least a second"
expr 6 \* 7
basename /a/b/c.txt .txt
dirname /a/b/c.txt
printf '%s\n' "$(echo spaced   words)"
echo $((0x10 + 010))
test 3 -gt 2 && test abc '<' abd && echo "comparisons ok"
echo "uname: $(uname -s)"
true; echo $?; false; echo $?
