# lib.sh — what the CLI test scripts that boot their own Aerie behind
# aerie-engine share (test_exec, test_stdin, test_stdin_attack,
# test_kill_attack, test_observe). Sourced after the script sets $dir (its
# scratch directory under build/) and, if its commands may run long,
# $aerie_timeout (seconds; 0: none; default 120). Gives the files every
# script uses, a fresh $dir, AERIE_SOCKET, the counter n, and:
#   pass NAME / fail NAME WHY      one TEST line each, counted in n
#   aerie ARGS...                  ./aerie: stdout in $out, stderr in $errf, status in $rc
#   expect NAME STATUS out|err RE  the last aerie's status is STATUS and its stdout/stderr matches RE
sock=$dir/aerie.sock
vm=$dir/vm.sock
log=$dir/qemu.log
elog=$dir/engine.log
out=$dir/out
errf=$dir/err
in=$dir/in                 # what a command reads (a file: aerie() then runs in this shell, not a pipe's)
n=0
rm -rf "$dir"
mkdir -p "$dir"
export AERIE_SOCKET="$sock"

pass() { echo "TEST PASS $1"; n=$((n + 1)); }
fail() { echo "TEST FAIL $1: $2"; n=$((n + 1)); }
aerie() { timeout "${aerie_timeout:-120}" ./aerie "$@" > "$out" 2> "$errf"; rc=$?; }
expect() {
    f=$out; [ "$3" = err ] && f=$errf
    if [ "$rc" != "$2" ]; then
        fail "$1" "exit status $rc, expected $2 (stdout: $(head -c 300 "$out"); stderr: $(head -c 300 "$errf"))"
    elif ! grep -Eq -- "$4" "$f"; then
        fail "$1" "std$3 does not match '$4': $(head -c 400 "$f")"
    else
        pass "$1"
    fi
}
