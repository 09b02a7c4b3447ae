# The shell itself: pipes, redirections, here-documents, loops,
# functions, subshells, command substitution, arithmetic, exit codes.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
mkdir -p "$WORK" && cd "$WORK" || exit 98
echo "pipe: $(echo one two three | tr ' ' '\n' | wc -l)"
echo hello > f.txt
echo world >> f.txt
cat < f.txt
cat f.txt | while read w; do echo "line: $w"; done
cat <<EOT
here-doc in $(basename $PWD)
  indented $((6 * 7))
EOT
cat <<'EOT'
quoted $HOME stays
EOT
greet() { echo "hello, $1 ($#)"; return 3; }
greet aerie two
echo "status $?"
for i in 1 2 3; do printf '%s,' "$i"; done; echo
i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo "i=$i"
until [ $i -eq 0 ]; do i=$((i - 2)); [ $i -lt 0 ] && break; done; echo "until i=$i"
x=outer; (x=inner; echo "sub: $x"); echo "after: $x"
v=$(echo nested $(echo deep)); echo "$v"
false || echo "or ran"
true && echo "and ran"
sh -c 'exit 7'; echo "child exit $?"
case "abc.txt" in *.txt) echo "case txt" ;; *) echo "case other" ;; esac
set -- a b c; shift; echo "args: $* ($#)"
echo "err" 1>&2
ls nothing-here 2>/dev/null || echo "ls failed as expected"
{ echo grouped; echo twice; } | wc -l
exec 3> fd3.txt; echo "to fd3" >&3; exec 3>&-; cat fd3.txt
[ -n "$v" ] && [ ! -z "$v" ] && test "$v" = "nested deep" && echo "tests ok"
echo "arith: $(( (5 + 3) * 2 % 7 )) $(( 1 << 10 ))"
exit 4
