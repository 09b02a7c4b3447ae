# wait_for.sh — sourced by the net tests that boot Aerie in QEMU
# (net_qemu.sh, tcp_qemu.sh): wait_for REGEX SECONDS waits until the
# serial log "$out" has a line matching REGEX; it fails at once when QEMU
# ("$qpid") is gone, or after SECONDS.
wait_for() {
    n=0
    while ! grep -aq "$1" "$out" 2>/dev/null; do
        [ -n "$qpid" ] && ! kill -0 "$qpid" 2>/dev/null && return 1
        n=$((n + 1))
        [ "$n" -gt $(($2 * 10)) ] && return 1
        sleep 0.1
    done
}
