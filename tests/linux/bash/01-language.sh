# bash's own language, run by Debian's bash-static unmodified: arrays,
# associative arrays, [[ ]] and regular expressions, parameter expansion,
# arithmetic, functions with locals and recursion through command
# substitution (a fork per level), extglob, pipefail, printf -v.
case "$WORK" in /tmp/aerie-bbtest.*/w|/w) ;; *) echo "refusing: WORK=$WORK"; exit 99 ;; esac
bb=/bin/busybox
$bb mkdir -p "$WORK" && cd "$WORK" || exit 98
x="hello world"
echo "${x//o/0} ${x:1:3} ${x^^} ${#x} ${x#* } ${x%o*}"
[[ "abc123" =~ ^([a-z]+)([0-9]+)$ ]] && echo "re ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
declare -A m
for i in $($bb seq 1 50); do m[k$((i % 7))]=$i; done
echo "assoc ${#m[@]} ${m[k3]} $(for k in "${!m[@]}"; do echo "$k"; done | $bb sort | $bb tr '\n' ' ')"
arr=(one two three); arr+=(four); echo "arr ${arr[1]} ${#arr[@]} ${arr[*]:1:2}"
fib() { local n=$1; if (( n < 2 )); then echo "$n"; else echo $(( $(fib $((n - 1))) + $(fib $((n - 2))) )); fi; }
echo "fib $(fib 7)"
printf -v pv '%05d|%-4s|%x' 42 ab 255; echo "printf $pv"
echo "brace" {a,b}{1,2} {1..4}
shopt -s extglob; y=aaabbb; echo "extglob ${y##+(a)}"
set -o pipefail; false | true; echo "pipefail $?"; set +o pipefail
echo "arith $(( 2**40 )) $(( 7 % 3 )) $(( -7 / 2 )) $(( 1 << 62 ))"
read -r a b <<< "x y"; echo "herestring $b$a"
$bb cat <<EOT
heredoc ${x%% *} $((6 * 7))
EOT
case "file.tar.gz" in *.tar.gz) echo "case tgz" ;; *) echo "case other" ;; esac
f() { return 7; }; f; echo "return $?"
declare -i n=5; n+=3; echo "declare -i $n"
s=""; for ((i = 0; i < 5; i++)); do s+=$i; done; echo "c-for $s"
( exit 4 ); echo "subshell $?"
echo "end"
