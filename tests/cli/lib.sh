# lib.sh — what the CLI test scripts that boot their own Aerie behind
# aerie-engine share (test_exec, test_stdin, test_stdin_attack,
# test_kill_attack, test_observe, test_tty, test_inspect,
# test_inspect_attack). Sourced after the script sets $dir (its
# scratch directory under build/) and, if its commands may run long,
# $aerie_timeout (seconds; 0: none; default 120). Gives the files every
# script uses, a fresh $dir, AERIE_SOCKET, the counter n, and:
#   pass NAME / fail NAME WHY      one TEST line each, counted in n
#   aerie ARGS...                  ./aerie: stdout in $out, stderr in $errf, status in $rc
#   expect NAME STATUS out|err RE  the last aerie's status is STATUS and its stdout/stderr matches RE
#   boot NAME [QEMU-OPTION...]     aerie-engine on $sock and Aerie in QEMU behind it, up (see below)
#   waitstate RE [TRIES]           waits (0.5 s a try, 120 tries) for a line of `aerie ps` to match RE
#   idof NAME                      the id of the newest container called NAME
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
waitstate() {
    i=0
    while [ $i -lt "${2:-120}" ]; do
        ./aerie ps 2>/dev/null | grep -Eq -- "$1" && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}
idof() { ./aerie ps | awk -v n="$1" '$3 == n { print $1 }' | tail -n 1; }

# boot NAME [QEMU-OPTION...]: starts aerie-engine (store and log in $dir)
# and Aerie in QEMU (2 CPUs, 256M, plus the options given) behind it, both
# killed when the script exits — with $on_exit run first, if the script set
# it (its own helpers to end) — and waits up to 90 s for `aerie ps` to be
# answered. If it never is, fails NAME with the console's last lines and
# ends the script there, so one sick boot costs one test, not a hang.
boot() {
    boot_name=$1; shift
    build/tools/aerie-engine --socket "$sock" --vm "$vm" --store "$dir/store" --log "$elog" 2> "$dir/engine.err" &
    engine=$!
    i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    tools/qemu.sh --test "$@" --smp 2 --mem 256M --ctl "$vm" --initrd build/root.elf,build/boot.img build/kernel.elf \
        > "$log" 2>&1 &
    qemu=$!
    trap 'eval "${on_exit:-:}"; kill $qemu $engine 2>/dev/null; wait 2>/dev/null' EXIT
    i=0; while [ $i -lt 90 ] && ! ./aerie ps > /dev/null 2>&1; do sleep 1; i=$((i + 1)); done
    if ! ./aerie ps > /dev/null 2>&1; then
        fail "$boot_name" "Aerie never let a client in: $(tail -n 5 "$log" | tr '\n' '|')"
        echo "TESTS DONE $n"; exit 0
    fi
}
