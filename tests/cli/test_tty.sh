#!/bin/sh
# test_tty.sh — terminals (`aerie run -t`, `aerie exec -t`, spec tty=;
# docs/LINUX.md "Terminals") against a real Aerie behind aerie-engine:
# busybox sh at a pseudo-terminal (tests/cli/ttydrive.py) shows its
# prompt, `tty` names /dev/pts/N, `stty size` the size we set and the one
# a SIGWINCH sent, ^C ends `sleep 100` and not the shell, `exit 3` is the
# CLI's status; the same through aerie exec -it; -t without a terminal
# still works; bad tty= values are refused naming the option; a container
# without a terminal gets ENOTTY/ENXIO, one with a terminal misusing it
# (bad pointers, huge sizes, other groups, other terminals, stealing it)
# gets clean errors (tests/cli/ttyprobe.c); floods of output and input
# pass whole and bounded.
# Run from the top of the tree after `make` (as tests/tests.list does).
set -u
dir=build/tty-test
. tests/cli/lib.sh
drive=tests/cli/ttydrive.py
probe=build/tests/cli/ttyprobe
# drives NAME STATUS PATTERN ROWSxCOLS CMD STEP...: CMD at a terminal; its last line is "exit STATUS"
drives() {
    name=$1 want=$2 pat=$3; shift 3
    timeout 200 python3 "$drive" "$@" > "$out" 2>&1
    if tail -n 1 "$out" | grep -q "^exit $want$" && grep -Eq -- "$pat" "$out"; then pass "$name"
    else fail "$name" "$(tail -c 600 "$out" | tr '\r\n' '||')"; fi
}

# ---- before Aerie runs: the options ----
aerie run -t --tty-size 0x5 busybox true
expect tty_size_zero_refused 125 err "--tty-size: '0x5' must be no, yes or ROWSxCOLS"
aerie run -t --tty-size 10000x80 busybox true
expect tty_size_huge_refused 125 err "--tty-size: '10000x80' must be"
aerie run --tty-size 24x80x3 busybox true
expect tty_size_garbage_refused 125 err "--tty-size: '24x80x3' must be"
aerie run --grant none -t hello
expect tty_needs_a_console_grant 125 err "--grant: 'no console' cannot go with a terminal"

boot tty_boot
mkdir -p "$dir/probe/bin" && cp "$probe" "$dir/probe/bin/ttyprobe"
aerie import --entrypoint /bin/ttyprobe ttyprobe "$dir/probe"
expect tty_probe_imported 0 out "^ttyprobe$"

# ---- isolation: no terminal, and a terminal misused ----
aerie run --rm ttyprobe notty
expect tty_none_gives_enotty 0 out "^ttyprobe: notty: 0 surprises"
aerie run --rm -i ttyprobe notty < /dev/null
expect tty_none_with_input_gives_enotty 0 out "^ttyprobe: notty: 0 surprises"
aerie run --rm -it ttyprobe attack < /dev/null
expect tty_misuse_fails_cleanly 0 out "ttyprobe: attack: 0 surprises"
aerie run --rm -t ttyprobe attack
expect tty_without_input_misuse_fails_cleanly 0 out "ttyprobe: attack: 0 surprises"

# ---- -t without a terminal (a pipe): a terminal all the same ----
printf 'tty\nstty size\nexit 4\n' > "$in"; aerie run --rm -it busybox sh < "$in"
expect tty_it_from_a_pipe 4 out "/dev/pts/0"
grep -q "24 80" "$out" && pass tty_it_from_a_pipe_default_size || fail tty_it_from_a_pipe_default_size "$(head -c 300 "$out")"
printf 'one\ntwo\n' > "$in"; aerie run --rm -it busybox cat < "$in"
expect tty_it_cat_lines_end 0 out "^two"

# ---- at a terminal: run -it busybox sh ----
drives tty_run_it_busybox_sh 3 "alive-42" 40x100 "./aerie run --rm -it busybox sh" \
    'expect:# ' 'send:tty\r' 'expect:/dev/pts/0' 'send:stty size\r' 'expect:40 100' \
    'size:50x120' 'sleep:1' 'send:stty size\r' 'expect:50 120' \
    'send:sleep 100\r' 'sleep:2' 'send:\x03' 'expect:# ' 'send:echo alive-$((6*7))\r' 'expect:alive-42' \
    'send:exit 3\r'
grep -q "50 120" "$out" && pass tty_sigwinch_resizes || fail tty_sigwinch_resizes "$(tail -c 300 "$out")"
# `read` reads the terminal in ICANON: our line discipline edits (DEL, ^U, ^W).
# Each line is typed once the shell said it runs the command (ready-N):
# typed earlier, busybox's own line editor (raw mode) would take it.
drives tty_line_editing 0 "kill-ok" 24x80 "./aerie run --rm -it busybox sh" \
    'expect:# ' 'send:echo ready-$((0+1)); read x; echo "got-$x"\r' 'expect:ready-1' 'send:abc\x7fd\r' 'expect:got-abd' \
    'send:echo ready-$((1+1)); read y; echo "kill-$y"\r' 'expect:ready-2' 'send:junk\x15ok\r' 'expect:kill-ok' \
    'send:echo ready-$((2+1)); read z; echo "word-$z"\r' 'expect:ready-3' 'send:one two\x17three\r' \
    'expect:word-one three' 'send:exit\r'
drives tty_ctrl_d_ends_the_shell 0 "# " 24x80 "./aerie run --rm -it busybox sh" 'expect:# ' 'send:\x04'

# ---- exec -it into a running container ----
aerie run -d --name host --grant console,fs,self busybox sleep 300
hid=$(cat "$out")
drives tty_exec_it_busybox_sh 5 "alive-7" 30x90 "./aerie exec -it $hid sh" \
    'expect:# ' 'send:tty\r' 'expect:/dev/pts/[0-9]' 'send:stty size\r' 'expect:30 90' \
    'send:sleep 100\r' 'sleep:2' 'send:\x03' 'expect:# ' 'send:echo alive-$((3+4))\r' 'expect:alive-7' \
    'send:exit 5\r'
./aerie ps | grep -q " host  *running" && pass tty_exec_ctrl_c_spares_the_container ||
    fail tty_exec_ctrl_c_spares_the_container "$(./aerie ps | grep host)"
./aerie kill "$hid" > /dev/null 2>&1

# ---- floods: bounded, nothing lost ----
aerie run --rm -t busybox sh -c 'head -c 400000 /dev/zero | tr "\0" x; echo; echo flood-done'
expect tty_output_flood_passes 0 out "flood-done"
head -c 300000 /dev/zero | tr '\0' y > "$dir/flood.in"
aerie run --rm -it busybox sh -c 'stty raw -echo; sleep 2; wc -c' < "$dir/flood.in"
expect tty_input_flood_passes_whole 0 out "300000"

# attack18: a byte 0xFF (sent as 0xFF 0xFF) met a full terminal between its
# two bytes: the second was read again as an escape's first, so typed
# bytes "W !\"#" became a window size (8225x8739) and were lost as input.
# 4095 bytes fill the terminal (one line, pushed whole), the rest waits.
{ head -c 4095 /dev/zero | tr '\0' a; printf '\377W !"#\n'; } > "$dir/esc.in"
aerie run --rm -it busybox sh -c 'sleep 3; wc -c; stty size' < "$dir/esc.in"
expect tty_ff_at_a_full_terminal_is_a_byte 0 out "^4102"
grep -q "^24 80" "$out" && pass tty_ff_at_a_full_terminal_forges_no_size ||
    fail tty_ff_at_a_full_terminal_forges_no_size "$(tail -c 200 "$out" | tr '\r\n' '||')"

echo "TESTS DONE $n"
